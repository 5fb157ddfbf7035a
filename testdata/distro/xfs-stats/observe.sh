# The last line of xfs's global stats (xfs_stats_format); whether dynamic debug knows the
# fix's pr_debug (enabled here, so "=p"), and how many times it printed during the read.
echo 'format "lpb-xfs" +p' >/proc/dynamic_debug/control 2>/dev/null
echo "dyndbg sites: $(grep -c 'lpb-xfs: stats read' /proc/dynamic_debug/control)"
n0=$(dmesg | grep -c 'lpb-xfs: stats read')
tail -n 1 /sys/fs/xfs/stats/stats
n1=$(dmesg | grep -c 'lpb-xfs: stats read')
echo "messages: $((n1 - n0))"
# (After disabling, the patch module is still loaded until rmmod: its descriptor stays
# listed, but the kernel runs the original function again, which prints nothing.)
