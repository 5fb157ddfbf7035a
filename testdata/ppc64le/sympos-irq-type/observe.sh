# The trigger types /sys/kernel/irq/*/type shows (irqdesc.c's type_show), and
# the cache types of cpu0 (another file's type_show, which stays as it is).
for f in /sys/kernel/irq/*/type; do cat "$f"; done | sort -u
for f in /sys/devices/system/cpu/cpu0/cache/index*/type; do [ -f "$f" ] && cat "$f"; done | sort -u
