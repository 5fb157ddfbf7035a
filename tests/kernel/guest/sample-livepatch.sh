# Guest side of tests/kernel/sample-livepatch.sh (runs as /lpb/test.sh).
# Prints LPB-OBS lines the host re-checks; exits non-zero if a check fails.
# shellcheck source=tests/kernel/guest/common.sh
. /lpb/common.sh
P=livepatch_sample
patched_text="this has been live patched"

before="$(cat /proc/cmdline)"
echo "LPB-OBS before: $before"
case "$before" in *console=ttyS0*) [ "$before" != "$patched_text" ]; r=$? ;; *) r=1 ;; esac
check before-unpatched $r

insmod /lpb/livepatch-sample.ko
r=$?
echo "LPB-OBS insmod: $r"
[ $r = 0 ] && wait_transition $P; check transition-patch $?
echo "LPB-OBS enabled: $(cat /sys/kernel/livepatch/$P/enabled 2>/dev/null)"
patched="$(cat /proc/cmdline)"
echo "LPB-OBS patched: $patched"
[ "$patched" = "$patched_text" ]; check patched $?

echo 0 > /sys/kernel/livepatch/$P/enabled
wait_transition $P; check transition-unpatch $?
after="$(cat /proc/cmdline)"
echo "LPB-OBS after: $after"
[ "$after" = "$before" ]; check unpatched-again $?

# A disabled patch module can be removed (checked, but not one of the three).
rmmod livepatch_sample
r=$?
echo "LPB-OBS rmmod: $r"
check rmmod $r
lsmod
exit "$fails"
