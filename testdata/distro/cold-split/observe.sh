# The end of /proc/cmdline (cmdline_proc_show): " (N bytes)" comes from the .cold piece,
# N the length of what precedes " [cold]".
line="$(cat /proc/cmdline)"
case "$line" in
  *" [cold] ("*" bytes)")
    n="${line##* (}"; n="${n% bytes)}"; head="${line% \[cold\] (*}"
    if [ "$n" = "${#head}" ]; then echo "cold piece: length matches"; else echo "cold piece: length $n for ${#head} bytes"; fi ;;
  *) echo "no cold piece" ;;
esac
