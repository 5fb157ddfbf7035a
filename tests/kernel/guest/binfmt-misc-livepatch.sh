# Guest side of tests/kernel/binfmt-misc-livepatch.sh (runs as /lpb/test.sh).
# Target: the in-tree module binfmt_misc; observed through
# /proc/sys/fs/binfmt_misc/status, which bm_status_read() produces.
# shellcheck source=tests/kernel/guest/common.sh
. /lpb/common.sh
P=livepatch_binfmt_misc
D=/proc/sys/fs/binfmt_misc
orig=enabled
patched_text="enabled (live patched)"

load_target() { insmod /lpb/binfmt_misc.ko && mount -t binfmt_misc binfmt_misc $D; }
unload_target() { umount $D && rmmod binfmt_misc; }
status() { cat $D/status 2>&1; }

# --- 1. target module loaded first, then the patch --------------------------
load_target; check load-target $?
v="$(status)"; echo "LPB-OBS before: $v"
[ "$v" = "$orig" ]; check before $?
# The module works: register a handler and read it back.
echo ':lpbt:E::lpbt::/bin/sh:' > $D/register
grep -q 'interpreter /bin/sh' $D/lpbt; check register-entry $?
echo -1 > $D/lpbt

insmod /lpb/livepatch-binfmt-misc.ko; r=$?; check insmod-patch $r
[ $r = 0 ] && wait_transition $P; check transition-patch $?
v="$(status)"; echo "LPB-OBS patched: $v"
[ "$v" = "$patched_text" ]; check patched $?

echo 0 > /sys/kernel/livepatch/$P/enabled
wait_transition $P; check transition-unpatch $?
v="$(status)"; echo "LPB-OBS after: $v"
[ "$v" = "$orig" ]; check unpatched-again $?
rmmod livepatch_binfmt_misc; check rmmod-patch $?

# --- 2. patch loaded first, target module loaded afterwards -------------------
unload_target; check unload-target $?
insmod /lpb/livepatch-binfmt-misc.ko; r=$?; check insmod-patch-first $r
[ $r = 0 ] && wait_transition $P; check transition-patch $?
load_target; check load-target-late $?
v="$(status)"; echo "LPB-OBS late-load: $v"
[ "$v" = "$patched_text" ]; check patched-on-module-load $?
echo 0 > /sys/kernel/livepatch/$P/enabled
wait_transition $P; check transition-unpatch $?
v="$(status)"; echo "LPB-OBS late-after: $v"
[ "$v" = "$orig" ]; check late-unpatched-again $?
rmmod livepatch_binfmt_misc; check rmmod-patch-2 $?
unload_target; check unload-target-2 $?
lsmod
exit "$fails"
