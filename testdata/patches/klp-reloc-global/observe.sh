# /proc/version: number of lines, and whether the taint line the patch adds
# is there and has TAINT_LIVEPATCH (bit 15, "K"). Other taint bits (an
# out-of-tree "O" for instance) are left out: they depend on the builder.
v=$(cat /proc/version)
echo "lines: $(printf '%s\n' "$v" | wc -l)"
m=$(printf '%s\n' "$v" | sed -n 's/^taint mask //p')
if [ -n "$m" ]; then
	echo "taint line: yes, livepatch bit: $(( (m >> 15) & 1 ))"
else
	echo "taint line: no"
fi
