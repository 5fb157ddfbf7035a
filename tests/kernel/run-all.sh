#!/usr/bin/env bash
# Runs every QEMU kernel test in tests/kernel/ (builds the cached kernel first if
# needed: ~5 min once, then < 1 s) and prints one summary line.
# Usage: tests/kernel/run-all.sh
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
passed=0; failed=0; skipped=0
# patches-reference: the catalogue's expectations with hand-written reference patches;
# patches: the end-to-end catalogue (testdata/patches) through `lp-build build`,
# patches-stacking: -R, replace and several patches in one module;
# both exit 77 (skipped) while build/lp-build has no `build` command;
# distro: Debian's own kernel, never built here (testdata/distro), booted in QEMU;
# ppc64le: the ppc64le test kernel and its catalogue (testdata/ppc64le) in qemu-system-ppc64;
# objects: lp-build diff on real units of every architecture's defconfig tree (testdata/objects).
for t in harness-selftest sample-livepatch binfmt-misc-livepatch patches-reference patches patches-stacking tree-untouched distro ppc64le aarch64 s390x objects; do
  echo "=== $t"
  "$here/$t.sh"; rc=$?
  if [ "$rc" = 0 ]; then passed=$((passed + 1))
  elif [ "$rc" = 77 ]; then skipped=$((skipped + 1)); echo "=== $t SKIPPED"
  else failed=$((failed + 1)); echo "=== $t FAILED"; fi
done
echo "kernel-tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
