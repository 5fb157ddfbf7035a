# Disable and re-enable all binfmt_misc handlers (bm_status_write), show the
# status after each, then the kernel log lines the writes gave (pr_fmt adds
# the "binfmt_misc: " prefix).
D=/proc/sys/fs/binfmt_misc
dmesg -c >/dev/null
echo 0 > $D/status; s0=$(cat $D/status)
echo 1 > $D/status; s1=$(cat $D/status)
echo "after 0: $s0, after 1: $s1"
dmesg | sed -n 's/^\[[^]]*\] //; /handlers /p'
