#!/usr/bin/env bash
# lp-build on arm64, end to end: the aarch64 test kernel (Debian's linux-source-7.3 from
# trixie-backports, since Linux 6.12 has no arm64 livepatch; tinyconfig +
# scripts/kernel/lpb-aarch64.config: -O2, patchable-function-entry ftrace with CALL_OPS,
# livepatch, KASLR with the 2 GiB module region; cross-built with kbuild and cached:
# build-kernel.sh --arch aarch64), every case of testdata/aarch64/ built with
# `lp-build -s TREE` and observed in qemu-system-aarch64 -M virt (the machine and
# busybox-static:arm64 come from arch/ through `lp-build targets`): before, patched,
# after, and late load for module cases.
#
# Then calls that leave the module: with the module region spread over 2 GiB, a patch
# module lies beyond a branch's 128 MiB of kernel text, and every call out goes through
# a PLT entry that the module loader reserved when it counted the module's CALL26/JUMP26
# relocations, its .klp.rela.* sections included (arch/arm64/kernel/module-plts.c). A
# module whose count missed them fails to apply its klp relocations (a WARNING, then
# the patch does not enable). The check asserts that klp-reloc-global's module carries
# its call to get_taint in a .klp.rela section of an executable section, boots it, and
# asserts from the guest's /proc/kallsyms that the call really was out of branch range
# (booting again, up to three times, in the few cases KASLR placed the module close).
# Finally, the link recipe: on 7.x kbuild as on 6.12, lp-build replays kbuild's recorded
# commands instead of running `make M=` per patch.
#
# Usage: tests/kernel/aarch64.sh [CASE...]     (with CASEs: only those)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
export LPB_ARCH=aarch64 LPB_CASES="$LPB_REPO/testdata/aarch64" LPB_BUILD_JOBS="${LPB_BUILD_JOBS:-2}"
lpb_setup_out
status=0
LPB_TEST_OUT="$OUT/catalogue" "$here/patches.sh" "$@" || status=1
[ $# -gt 0 ] && exit $status

echo "--- calls out of the module, through PLT entries"
lpb_kernel
ko="$OUT/catalogue/cases/klp-reloc-global/livepatch-klp-reloc-global.ko"
lpb_check "klp-reloc-global's module was built" test -f "$ko"
# The .klp.rela section for get_taint: SHT_RELA, applying to an executable section, with
# the branch relocation the loader counts.
klp_branch_to_get_taint() {
  local ko="$1" sec idx type info
  sec="$(aarch64-linux-gnu-readelf -rW "$ko" |
    awk '/^Relocation section/ { s = $3; gsub(/\047/, "", s) }
         s ~ /^\.klp\.rela\.vmlinux\./ && /R_AARCH64_(CALL|JUMP)26/ && /\.klp\.sym\.vmlinux\.get_taint,/ && !done { print s; done = 1 }')"
  [ -n "$sec" ] || { echo "no CALL26/JUMP26 to get_taint in a .klp.rela.vmlinux section" >&2; return 1; }
  read -r idx type info < <(aarch64-linux-gnu-readelf -SW "$ko" | sed 's/^ *\[ *\([0-9]*\)\]/\1/' |
    awk -v s="$sec" '$2 == s { print $1, $3, $(NF-1) }')
  echo "  $sec: section $idx, type ${type:-?}, applies to section ${info:-?}"
  [ "$type" = RELA ] || return 1
  aarch64-linux-gnu-readelf -SW "$ko" | sed 's/^ *\[ *\([0-9]*\)\]/\1/' |
    awk -v i="$info" '$1 == i { found = 1; x = $(NF-3) ~ /X/; print "  which is", $2, "flags", $(NF-3) } END { exit !(found && x) }'
}
lpb_check "the call to get_taint is a branch relocation in a .klp.rela section of executable code" \
  klp_branch_to_get_taint "$ko"
far=no
for attempt in 1 2 3; do
  log="$OUT/far-calls-$attempt.log"
  lpb_boot "$here/guest/aarch64-far-calls.sh" "$log" "$here/guest/common.sh" "$ko"
  qrc=$?
  fn="$(lpb_obs "$log" module-fn)"; gt="$(lpb_obs "$log" kernel-get_taint)"; sp="$(lpb_obs "$log" kernel-seq_printf)"
  dist="$(python3 -c 'import sys; a, b, c = (int(x, 16) for x in sys.argv[1:]); print(max(abs(a - b), abs(a - c)) >> 20)' \
    "${fn:-0}" "${gt:-0}" "${sp:-0}" 2>/dev/null)"
  echo "boot $attempt: qemu-run $qrc; module's version_proc_show at ${fn:-?}, get_taint at ${gt:-?}: ${dist:-?} MiB apart"
  lpb_check "boot $attempt: the patched function calls get_taint, no WARNING (qemu-run status $qrc)" \
    test "$qrc" = 0
  [ -n "$dist" ] && [ "$dist" -ge 128 ] && { far=yes; break; }
  echo "  (within a branch's reach of the kernel: no PLT entry needed, booting again)"
done
lpb_check "a boot placed the module beyond 128 MiB of kernel text, so its calls used PLT entries" test "$far" = yes

echo "--- the link recipe on 7.x kbuild"
# Every case's module was linked by replaying kbuild's recorded commands.
replayed() { ! grep -l "using make M=" "$OUT"/catalogue/cases/*/lp-build.err >/dev/null 2>&1; }
lpb_check "no case fell back to make M= (the recipe replays on Linux 7.3)" replayed
lpb_summary aarch64 || status=1
exit $status
