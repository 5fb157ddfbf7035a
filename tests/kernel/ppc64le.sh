#!/usr/bin/env bash
# lp-build on ppc64le, end to end: the ppc64le test kernel (Debian's linux-source-6.12,
# tinyconfig + scripts/kernel/lpb-ppc64le.config: pseries, -O2, -mprofile-kernel, livepatch;
# cross-built with kbuild and cached: build-kernel.sh --arch ppc64le), every case of
# testdata/ppc64le/ built with `lp-build -s TREE` and observed in qemu-system-ppc64
# -M pseries (the machine and busybox-static:ppc64el come from arch/ through
# `lp-build targets`): before, patched, after, and late load for module cases.
# Then the -Os flavour of that kernel (--flavour Os, lpb-ppc64le-Os.config), where GCC
# saves and restores registers through _savegpr0_*/_restgpr0_*: a few cases again, and at
# least one of their modules must branch to those helpers (or the flavour proves nothing).
#
# Usage: tests/kernel/ppc64le.sh [CASE...]     (with CASEs: those, -O2 only)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
export LPB_ARCH=ppc64le LPB_CASES="$LPB_REPO/testdata/ppc64le" LPB_BUILD_JOBS="${LPB_BUILD_JOBS:-2}"
status=0
echo "--- -O2 (as distro kernels are built)"
"$here/patches.sh" "$@" || status=1
[ $# -gt 0 ] && exit $status

echo "--- -Os (tinyconfig's own)"
lpb_setup_out
LPB_FLAVOUR=Os LPB_TEST_OUT="$OUT/Os" "$here/patches.sh" proc-string klp-reloc-global stack-args-kernfs || status=1
helpers="$(for ko in "$OUT"/Os/cases/*/livepatch-*.ko; do
  powerpc64le-linux-gnu-objdump -dr "$ko" | grep -oE 'R_PPC64_REL24[[:space:]]+_(save|rest)gpr0_[0-9]+' ; done |
  awk '{print $2}' | sort -u | tr '\n' ' ')"
echo "save/restore helper calls in the -Os modules: ${helpers:-none}"
lpb_check "-Os: a module calls GCC's out-of-line register save/restore helpers" test -n "$helpers"
lpb_summary ppc64le-Os || status=1
exit $status
