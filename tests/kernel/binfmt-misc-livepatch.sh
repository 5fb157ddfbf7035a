#!/usr/bin/env bash
# "Patch a module" case: a hand-written livepatch
# (tests/kernel/modules/livepatch-binfmt-misc) replaces bm_status_read() in the
# in-tree module binfmt_misc of the cached test kernel. Boots under QEMU/TCG and
# checks /proc/sys/fs/binfmt_misc/status reads "enabled" before, "enabled (live
# patched)" while the patch is on (both when the patch is loaded after the module
# and when the module is loaded after the patch), and "enabled" again after
# disabling; and that the serial log has no Oops/BUG:/WARNING:/Call Trace.
# Usage: tests/kernel/binfmt-misc-livepatch.sh   (exit 0 = pass; see lib.sh for env)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
lpb_setup_out
lpb_kernel

mod="$OUT/livepatch-binfmt-misc"
mkdir -p "$mod"
cp "$here/modules/livepatch-binfmt-misc/livepatch-binfmt-misc.c" "$here/modules/livepatch-binfmt-misc/Kbuild" "$mod/"
lpb_build_module "$mod"

log="$OUT/binfmt-misc-livepatch.log"
set +e
lpb_boot "$here/guest/binfmt-misc-livepatch.sh" "$log" "$here/guest/common.sh" \
  "$mod/livepatch-binfmt-misc.ko" "$KDIR/fs/binfmt_misc.ko"
qrc=$?
set -e
lpb_check "boot ran to the end marker, no Oops/BUG/WARNING/Call Trace (qemu-run status $qrc)" \
  test "$qrc" = 0 -o "$qrc" = 1

same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
for k in before patched after late-load late-after; do echo "$k: $(lpb_obs "$log" "$k")"; done
lpb_check "status reads 'enabled' before patching" same "$(lpb_obs "$log" before)" "enabled"
lpb_check "status reads 'enabled (live patched)' after insmod of the patch" same "$(lpb_obs "$log" patched)" "enabled (live patched)"
lpb_check "status reads 'enabled' after disabling" same "$(lpb_obs "$log" after)" "enabled"
lpb_check "module loaded after the patch comes up patched" same "$(lpb_obs "$log" late-load)" "enabled (live patched)"
lpb_check "... and unpatched after disabling" same "$(lpb_obs "$log" late-after)" "enabled"
lpb_check "guest-side checks all passed (rc=0)" grep -q 'LPB-END-OF-RUN rc=0' "$log"
lpb_summary binfmt-misc-livepatch
