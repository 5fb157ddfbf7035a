#!/usr/bin/env bash
# lp-build on s390x, end to end: the s390x test kernel (Debian's linux-source-6.12,
# tinyconfig + scripts/kernel/lpb-s390x.config: z10, SCLP console, -O2, expolines,
# -mrecord-mcount ftrace, livepatch; cross-built with kbuild and cached: build-kernel.sh
# --arch s390x), every case of testdata/s390x/ built with `lp-build -s TREE` and observed
# in qemu-system-s390x -M s390-ccw-virtio -cpu max (the machine and busybox-static:s390x
# come from arch/ through `lp-build targets`): before, patched, after, and late load for
# module cases. The modules carry the expoline site tables (.s390_indirect_*,
# .s390_return_*) of the code they include, which the module loader reads.
#
# Usage: tests/kernel/s390x.sh [CASE...]     (with CASEs: only those)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
export LPB_ARCH=s390x LPB_CASES="$LPB_REPO/testdata/s390x" LPB_BUILD_JOBS="${LPB_BUILD_JOBS:-2}"
lpb_setup_out
lpb_kernel
status=0

# First, the machine itself: a plain kbuild module with a PC-relative reference into
# vmlinux longer than 2 GiB (tests/kernel/modules/s390x-larl-probe). QEMU 7.2's TCG wraps
# such a displacement at 32 bits; real machines reach +/-4 GiB. Cases whose patched code
# reaches vmlinux data that way (pcrel_far_data=yes in case.conf: callbacks, whose
# show_console_dev reads its unit's con_flags table from vmlinux) run only where the
# probe finds the machine right, and are named as skipped otherwise.
probe="$OUT/larl-probe"; mkdir -p "$probe"
cp "$here/modules/s390x-larl-probe/"* "$probe/"
lpb_build_module "$probe"
printf 'insmod /lpb/larl-probe.ko\ndmesg | grep "larl-probe:"\n' >"$OUT/larl-probe.sh"
lpb_boot "$OUT/larl-probe.sh" "$OUT/larl-probe.log" "$probe/larl-probe.ko"
read -r got larl dist < <(sed -n 's/^.*larl-probe: got \([0-9a-f]*\) larl \([0-9a-f]*\) distance \(-\?[0-9]*\) MiB.*$/\1 \2 \3/p' "$OUT/larl-probe.log" | head -n1)
lpb_check "the larl probe module loaded and reported (kernel data ${dist:-?} MiB from the module)" test -n "${larl:-}"
if [ -n "${larl:-}" ] && [ "$got" = "$larl" ]; then
  echo "this machine computes PC-relative displacements beyond 2 GiB right: every case runs"
else
  LPB_SKIP_CASES="$(grep -lx 'pcrel_far_data=yes' "$LPB_CASES"/*/case.conf | xargs -r -n1 dirname | xargs -r -n1 basename | tr '\n' ' ')"
  LPB_SKIP_REASON="this QEMU computes larl beyond 2 GiB to ${larl:-?} instead of $got (a 32-bit wrap in its TCG; the module loader's displacement is right)"
  export LPB_SKIP_CASES LPB_SKIP_REASON
fi
LPB_TEST_OUT="$OUT/catalogue" "$here/patches.sh" "$@" || status=1
[ $# -gt 0 ] && { lpb_summary s390x-probe || status=1; exit $status; }

echo "--- expoline site tables"
# Indirect branches in included code go through thunks; their site tables must come along.
tables="$(for ko in "$OUT"/catalogue/cases/*/livepatch-*.ko; do
  s390x-linux-gnu-readelf -SW "$ko" | grep -oE '\.s390_(indirect|return)_[a-z]+' ; done | sort -u | tr '\n' ' ')"
echo "expoline site tables in the modules: ${tables:-none}"
lpb_check "at least one module carries an expoline site table of its code" test -n "$tables"
lpb_summary s390x || status=1
exit $status
