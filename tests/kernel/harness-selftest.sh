#!/usr/bin/env bash
# Self-test of the kernel test harness in scripts/kernel/:
#   - build-kernel.sh: a second run with the same inputs is a no-op (< 1 s) and
#     prints the same build dir; a fragment whose options do not stick fails loudly;
#   - qemu-run.sh: exit 0 for a clean run, 1 when the guest script fails,
#     3 when the log shows a kernel WARNING:/Call Trace, 2 on timeout.
# Usage: tests/kernel/harness-selftest.sh   (builds the cached kernel if needed)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
lpb_setup_out
lpb_kernel

# --- build-kernel.sh caching -----------------------------------------------------
t0=$(date +%s%N)
again="$("$LPB_KSCRIPTS/build-kernel.sh" 2>"$OUT/again.err" | tail -n1)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "second build-kernel.sh run: ${ms} ms"
lpb_check "cached build-kernel.sh run prints the same dir" test "$again" = "$KDIR"
lpb_check "cached build-kernel.sh run takes < 1 s (${ms} ms)" test "$ms" -lt 1000
lpb_check "cached build-kernel.sh run builds nothing" test ! -s "$OUT/again.err"
lpb_check "build dir has bzImage, vmlinux, Module.symvers, binfmt_misc.ko" \
  test -s "$KDIR/arch/x86/boot/bzImage" -a -s "$KDIR/vmlinux" -a -s "$KDIR/Module.symvers" -a -s "$KDIR/fs/binfmt_misc.ko"
lpb_check "extracted source is pristine (no .config / objects in it)" \
  test ! -e "$KDIR/source/.config" -a ! -e "$KDIR/source/vmlinux" -a ! -e "$KDIR/source/include/generated"

# --- a fragment that does not stick fails loudly ---------------------------------
# Separate cache that borrows the already extracted source (configure only, ~10 s).
fake="$OUT/cache"
mkdir -p "$fake/src"
ln -s "$(readlink -f "$KDIR/source")" "$fake/src/linux-source-6.12"
bad="$OUT/bad.config"
cat "$LPB_KSCRIPTS/lpb-x86_64.config" >"$bad"
printf '%s\n' 'CONFIG_LPB_NO_SUCH_OPTION=y' '# CONFIG_FTRACE is not set' >>"$bad"
set +e
LPB_CACHE="$fake" "$LPB_KSCRIPTS/build-kernel.sh" "$bad" >"$OUT/bad.out" 2>"$OUT/bad.err"
brc=$?
set -e
grep 'ERROR' "$OUT/bad.err" || true
lpb_check "bad fragment: build-kernel.sh fails" test "$brc" != 0
lpb_check "bad fragment: names the unknown option" grep -q 'ERROR: CONFIG_LPB_NO_SUCH_OPTION=y requested' "$OUT/bad.err"
lpb_check "bad fragment: names an option its dependency dropped (LIVEPATCH without FTRACE)" grep -q 'ERROR: CONFIG_LIVEPATCH=y requested' "$OUT/bad.err"
lpb_check "bad fragment: no build dir marked complete" test -z "$(ls "$fake"/kernels/*/.lpb-complete 2>/dev/null)"

# --- qemu-run.sh verdicts ------------------------------------------------------------
run() { # run NAME TIMEOUT SCRIPT-TEXT -> prints the qemu-run status
  printf '%s\n' "$3" >"$OUT/$1.sh"
  "$LPB_KSCRIPTS/mkinitramfs.sh" "$OUT/$1.cpio.gz" "$OUT/$1.sh"
  local rc=0
  LPB_QEMU_QUIET=1 LPB_QEMU_LOG="$OUT/$1.log" "$LPB_KSCRIPTS/qemu-run.sh" "$KDIR" "$OUT/$1.cpio.gz" "$2" >&2 || rc=$?
  echo "$rc"
}
rc=$(run ok 120 'echo hello from the guest; grep -c ^processor /proc/cpuinfo')
lpb_check "clean run -> 0 (got $rc)" test "$rc" = 0
cpus="${LPB_QEMU_SMP:-2}"
lpb_check "clean run: guest output and $cpus CPU(s) in the log (LPB_QEMU_SMP)" grep -q "LPB-INIT: kernel .* $cpus CPU(s)" "$OUT/ok.log"
rc=$(run fail 120 'echo failing on purpose; exit 7')
lpb_check "guest script exit 7 -> 1 (got $rc)" test "$rc" = 1
rc=$(run warn 120 'echo "WARNING: CPU: 0 PID: 1 at fake/file.c:1 (printed by the test)"')
lpb_check "WARNING: in the log -> 3 (got $rc)" test "$rc" = 3
rc=$(run hang 20 'echo hanging on purpose; sleep 1000')
lpb_check "hanging guest -> 2 after the timeout (got $rc)" test "$rc" = 2
lpb_summary harness-selftest
