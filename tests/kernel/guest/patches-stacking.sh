# Guest side of tests/kernel/patches-stacking.sh (runs as /lpb/test.sh).
# shellcheck source=tests/kernel/guest/common.sh
. /lpb/common.sh
o() { echo "LPB-OBS $1: dev=[$(head -n1 /proc/devices)] uptime-lines=$(cat /proc/uptime | wc -l) patches=[$(ls /sys/kernel/livepatch | tr '\n' ' ')]"; }
o s0
# 1. two non-replace patches stack
insmod /lpb/lp-a.ko; wait_transition lp_a; insmod /lpb/lp-b.ko; wait_transition lp_b
o s1-both-nonreplace
echo 0 > /sys/kernel/livepatch/lp_b/enabled; wait_transition lp_b; o s1-b-off
echo 0 > /sys/kernel/livepatch/lp_a/enabled; wait_transition lp_a; rmmod lp_b; rmmod lp_a; o s1-all-off
# 2. replace: D replaces C
insmod /lpb/lp-c.ko; wait_transition lp_c; o s2-c
insmod /lpb/lp-d.ko; wait_transition lp_d; wait_transition lp_c; o s2-d-replaced-c
echo 0 > /sys/kernel/livepatch/lp_d/enabled; wait_transition lp_d; rmmod lp_d; rmmod lp_c; o s2-off
# 3. one module from two patches
insmod /lpb/lp-e.ko; wait_transition lp_e; o s3-e
echo 0 > /sys/kernel/livepatch/lp_e/enabled; wait_transition lp_e; rmmod lp_e; o s3-off
lsmod
exit "$fails"
