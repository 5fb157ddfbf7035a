#!/usr/bin/env bash
# Checks the patch catalogue's guest flow and expectations WITHOUT lp-build: builds
# hand-written reference livepatches (tests/kernel/modules/patches-reference/CASE.c,
# one per ok case of testdata/patches, doing what the case's patch.diff does) and
# runs tests/kernel/patches.sh with LPB_PREBUILT pointing at them. A failure here
# is a problem of the case (observe.sh / expect.*) or of the kernel, not of lp-build.
# The references reach non-exported symbols through System.map addresses
# (LPB_ADDR_<name>; the test kernel has no KASLR).
# Usage: tests/kernel/patches-reference.sh [CASE...]   (see patches.sh for env)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
lpb_kernel
src="$here/modules/patches-reference"
work="$(mktemp -d --tmpdir lpb-patches-ref.XXXXXX)"
trap 'rm -rf "$work"' EXIT
grep -q '^# CONFIG_RELOCATABLE is not set' "$KDIR/.config" || { echo "kernel is relocatable: System.map addresses unusable" >&2; exit 1; }
syms="chrdev_show chrdevs chrdevs_lock file_systems file_systems_lock get_taint saved_command_line reboot_type linux_proc_banner __set_task_comm sysctl_drop_caches proc_dointvec_minmax"
defs=""
for s in $syms; do
  a="$(awk -v s="$s" '$3 == s { print $1; exit }' "$KDIR/System.map")"
  [ -n "$a" ] || { echo "no $s in System.map" >&2; exit 1; }
  defs="$defs -DLPB_ADDR_$s=0x$a"
done
# Static locals: fs/drop_caches.c's stfu (the only "stfu.N" in vmlinux).
a="$(awk '$3 ~ /^stfu\.[0-9]+$/ { print $1 }' "$KDIR/System.map")"
[ "$(echo "$a" | wc -w)" = 1 ] || { echo "expected one stfu.N in System.map" >&2; exit 1; }
defs="$defs -DLPB_ADDR_stfu=0x$a"
mkdir -p "$work/ko"
for f in "$src"/*.c; do
  c="$(basename "$f" .c)"
  [ $# -eq 0 ] || case " $* " in *" $c "*) ;; *) continue ;; esac
  d="$work/$c"; mkdir -p "$d"
  cp "$src/ref.h" "$d/"; cp "$f" "$d/livepatch-$c.c"
  printf 'obj-m := livepatch-%s.o\nccflags-y := %s -I$(srctree)/fs/proc -Wno-missing-prototypes -Wno-missing-declarations\n' "$c" "$defs" >"$d/Kbuild"
  lpb_build_module "$d"
  cp "$d/livepatch-$c.ko" "$work/ko/"
done
LPB_PREBUILT="$work/ko" "$here/patches.sh" "$@"
