# The heading of /proc/devices (devinfo_show).
head -n 1 /proc/devices
