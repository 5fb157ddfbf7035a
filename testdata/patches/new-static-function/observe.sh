# Does /proc/cmdline end in a blank? (qemu-run.sh's -append leaves one.)
c=$(cat /proc/cmdline)
case "$c" in
*" ") echo "cmdline: ends in a blank" ;;
*) echo "cmdline: no trailing blank" ;;
esac
