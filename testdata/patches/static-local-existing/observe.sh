# Write 1, 4 (the silencing bit; 1..4 only), 1 to /proc/sys/vm/drop_caches and
# count the messages the writes gave, in the original format ("drop_caches: N")
# and in the patched one ("... (4 toggles these messages)"). The static local
# stfu carries over from one observation to the next: before leaves it set
# (silent), the patched toggle clears it, after (original again) sets it.
dmesg -c >/dev/null
for v in 1 4 1; do echo $v > /proc/sys/vm/drop_caches; done
k=$(dmesg)
echo "original-format messages: $(printf '%s\n' "$k" | grep -c 'drop_caches: [0-9]*$')"
echo "patched-format messages: $(printf '%s\n' "$k" | grep -c 'drop_caches: [0-9]* (4 toggles')"
