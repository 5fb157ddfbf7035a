#!/usr/bin/env bash
# Boots a kernel built by build-kernel.sh with an initramfs from mkinitramfs.sh
# under QEMU (TCG, no KVM), captures the serial console and judges the run.
#
# Usage: scripts/kernel/qemu-run.sh KERNELDIR INITRAMFS [TIMEOUT-SECONDS]
#   KERNELDIR  build dir (holds the image, LPB_QEMU_IMAGE in it) or the image file
#   TIMEOUT    default 300 s (QEMU is killed after it)
#
# Environment:
#   LPB_QEMU_LOG     where to keep the serial log (default: a temp file, kept)
#   LPB_QEMU_APPEND  extra kernel command line arguments
#   LPB_QEMU_SMP     vCPUs (default 2)
#   The machine (lp-build --verify takes these from arch/, Target::qemuMachine):
#   LPB_QEMU_SYSTEM  the QEMU binary (default qemu-system-x86_64)
#   LPB_QEMU_MACHINE its machine options (default "-m 512")
#   LPB_QEMU_CONSOLE the serial console's device name (default ttyS0)
#   LPB_QEMU_IMAGE   the image in a build dir (default arch/x86/boot/bzImage)
#   LPB_QEMU_QUIET=1 do not copy the console to stdout while it runs
#
# Exit status:
#   0  end marker "LPB-END-OF-RUN rc=0" seen and no kernel Oops/BUG/WARNING/Call Trace/panic
#   1  the guest test script exited non-zero (marker says rc=N, N != 0)
#   2  no end marker (timeout, hang, panic before the end, QEMU failure)
#   3  end marker seen but the log shows a kernel Oops/BUG:/WARNING:/Call Trace/panic
# The last lines (on stderr) say which, how long the run took and where the log is.
set -uo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 KERNELDIR|bzImage INITRAMFS [TIMEOUT-SECONDS]" >&2
  exit 2
fi
kdir="$1"; initrd="$2"; tmo="${3:-300}"
system="${LPB_QEMU_SYSTEM:-qemu-system-x86_64}"
read -r -a machine <<<"${LPB_QEMU_MACHINE:--m 512}"
console="${LPB_QEMU_CONSOLE:-ttyS0}"
if [ -d "$kdir" ]; then kernel="$kdir/${LPB_QEMU_IMAGE:-arch/x86/boot/bzImage}"; else kernel="$kdir"; fi
[ -f "$kernel" ] || { echo "qemu-run.sh: no kernel image: $kernel" >&2; exit 2; }
[ -f "$initrd" ] || { echo "qemu-run.sh: no initramfs: $initrd" >&2; exit 2; }
command -v "$system" >/dev/null || { echo "qemu-run.sh: $system missing (scripts/install-deps.sh --kernel)" >&2; exit 2; }

log="${LPB_QEMU_LOG:-$(mktemp --tmpdir lpb-qemu.XXXXXX.log)}"
append="console=$console panic=-1 ${LPB_QEMU_APPEND:-}"
smp="${LPB_QEMU_SMP:-2}"

t0=$(date +%s.%N)
# -accel tcg: KVM is not usable here (no vmx; /dev/kvm hangs), so force TCG.
# -smp N,sockets=N: without ACPI the kernel finds CPUs in SeaBIOS's MP table,
#   which lists one CPU per socket; plain -smp 2 (2 cores, 1 socket) boots 1 CPU.
# -no-reboot: the guest's `reboot -f` (and panic=-1) makes QEMU exit.
# stdin from /dev/null: works without a terminal (CI) and never grabs the tty.
if [ "${LPB_QEMU_QUIET:-0}" = 1 ]; then out=/dev/null; else out=/dev/stdout; fi
timeout -k 10 "$tmo" "$system" \
    -accel tcg "${machine[@]}" -smp "$smp,sockets=$smp,cores=1,threads=1" \
    -nographic -no-reboot \
    -kernel "$kernel" -initrd "$initrd" \
    -append "$append" \
    </dev/null 2>&1 | tr -d '\r' | tee "$log" >"$out"
qrc=${PIPESTATUS[0]}
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')

say() { echo "qemu-run.sh: $*" >&2; }
bugs="$(grep -nE 'Oops|BUG:|WARNING:|Call Trace|Kernel panic' "$log" | head -n 20)"
marker="$(grep -oE 'LPB-END-OF-RUN rc=[0-9]+' "$log" | tail -n1)"

if [ -z "$marker" ]; then
  if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    say "FAIL: timed out after ${tmo}s without end marker"
  else
    say "FAIL: no end marker (qemu exit status $qrc)"
  fi
  [ -n "$bugs" ] && say "kernel problems in log:" && echo "$bugs" >&2
  say "boot-to-end ${secs}s, log: $log"
  exit 2
fi
if [ -n "$bugs" ]; then
  say "FAIL: kernel Oops/BUG/WARNING/Call Trace/panic in log:"
  echo "$bugs" >&2
  say "boot-to-end ${secs}s, log: $log"
  exit 3
fi
rc="${marker##*rc=}"
if [ "$rc" != 0 ]; then
  say "FAIL: guest test script exited $rc"
  say "boot-to-end ${secs}s, log: $log"
  exit 1
fi
say "OK: end marker seen, no kernel problems; boot-to-end ${secs}s, log: $log"
exit 0
