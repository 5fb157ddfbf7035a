#!/usr/bin/env bash
# Builds a tiny busybox-static initramfs (newc cpio, gzip) that runs one test script.
#
# Usage: scripts/kernel/mkinitramfs.sh OUTPUT.cpio.gz TEST-SCRIPT [FILE...]
#   TEST-SCRIPT  shell script run by busybox sh inside the guest as /lpb/test.sh
#   FILE...      extra files (e.g. *.ko) copied flat into /lpb/ in the guest
#
# Inside the guest, /init mounts proc, sysfs, devtmpfs and a tmpfs on /tmp,
# cds to /lpb, runs `sh /lpb/test.sh`, then prints
#     LPB-END-OF-RUN rc=<exit status of test.sh>
# on the console and powers the machine off with `reboot -f` (QEMU's -no-reboot
# turns that into QEMU exiting). scripts/kernel/qemu-run.sh waits for that line.
# The script's stdout and stderr go to the kernel log line by line (/dev/kmsg),
# so in the serial log each of its lines carries a "[    1.234567] " printk
# prefix and is never cut by a kernel message printed at the same time (a line
# that starts with "<N>" would be read as a log level by /dev/kmsg).
#
# Needs: busybox-static (/bin/busybox must be statically linked), cpio, gzip.
# The archive is reproducible: fixed owners, mtimes and file order.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 OUTPUT.cpio.gz TEST-SCRIPT [FILE...]" >&2
  exit 2
fi
out="$1"; test_script="$2"; shift 2
busybox="${LPB_BUSYBOX:-/bin/busybox}"

[ -f "$test_script" ] || { echo "mkinitramfs.sh: no such test script: $test_script" >&2; exit 2; }
[ -x "$busybox" ] || { echo "mkinitramfs.sh: $busybox not found (apt-get install busybox-static)" >&2; exit 2; }
if file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked'; then
  echo "mkinitramfs.sh: $busybox is dynamically linked; install busybox-static" >&2
  exit 2
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,lpb,etc,root,mnt}
cp "$busybox" "$stage/bin/busybox"
# One symlink per applet (sh, mount, insmod, rmmod, cat, sleep, reboot, ...). A busybox of
# another architecture (LPB_BUSYBOX from fetch-busybox.sh) cannot run here: its applets
# are listed by the machine's own busybox-static, the same Debian package.
lister="$busybox"
"$lister" --list-full >/dev/null 2>&1 || lister=/bin/busybox
"$lister" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  [ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
# The kernel opens /dev/console for init before anything is mounted.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$stage/dev/null" c 1 3 2>/dev/null || true

cp "$test_script" "$stage/lpb/test.sh"
for f in "$@"; do
  [ -f "$f" ] || { echo "mkinitramfs.sh: no such file: $f" >&2; exit 2; }
  cp "$f" "$stage/lpb/"
done

cat >"$stage/init" <<'EOF'
#!/bin/sh
# lp-build test initramfs /init (busybox).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
# Send every output line through the kernel log (/dev/kmsg) so that it reaches
# the serial console as one whole record: written to the console directly, user
# lines get cut in the middle by kernel messages printed at the same moment.
echo on >/proc/sys/kernel/printk_devkmsg 2>/dev/null
if [ -w /dev/kmsg ]; then
  to_log() { while IFS= read -r l || [ -n "$l" ]; do printf '%s\n' "$l" >/dev/kmsg; done; }
else
  to_log() { cat; }
fi
echo "LPB-INIT: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPU(s), running /lpb/test.sh" | to_log
cd /lpb
{ sh /lpb/test.sh; echo $? >/tmp/.lpb-rc; } 2>&1 | to_log
rc=$(cat /tmp/.lpb-rc 2>/dev/null || echo 255)
echo "LPB-END-OF-RUN rc=$rc" | to_log
sync
reboot -f
# reboot -f should not return; make sure init never exits (that would panic).
while :; do sleep 60; done
EOF
chmod 755 "$stage/init" "$stage/lpb/test.sh"

mkdir -p "$(dirname "$out")"
(
  cd "$stage"
  find . -mindepth 1 -exec touch -h -d @0 {} +
  find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible
) | gzip -9n >"$out.tmp"
mv "$out.tmp" "$out"
