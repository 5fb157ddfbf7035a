# Two reads of /proc/uptime: the uptime itself varies, so show only how
# many lines each read had and the lines after the first.
for i in 1 2; do
	v=$(cat /proc/uptime)
	extra=$(printf '%s\n' "$v" | sed -n '2,$p')
	echo "read $i: $(printf '%s\n' "$v" | wc -l) line(s), extra: ${extra:-none}"
done
