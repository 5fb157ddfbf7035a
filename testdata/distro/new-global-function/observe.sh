# How many regions /proc/devices lists (one "major name" line each), then the end of
# its character device list (the distro kernel lists block devices after it).
echo "listed: $(grep -c '^ *[0-9]' /proc/devices)"
sed '/^$/q' /proc/devices | tail -n 3
