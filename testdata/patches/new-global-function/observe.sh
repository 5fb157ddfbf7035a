# How many regions /proc/devices lists (one "major name" line each), then
# the end of its character device list.
echo "listed: $(grep -c '^ *[0-9]' /proc/devices)"
tail -n 2 /proc/devices
