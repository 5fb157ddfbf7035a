#!/usr/bin/env bash
# Runs every QEMU kernel test in tests/kernel/ (builds the cached kernel first if
# needed: ~5 min once, then < 1 s) and prints one summary line.
# Usage: tests/kernel/run-all.sh
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
passed=0; failed=0
for t in harness-selftest sample-livepatch binfmt-misc-livepatch; do
  echo "=== $t"
  if "$here/$t.sh"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "=== $t FAILED"; fi
done
echo "kernel-tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
