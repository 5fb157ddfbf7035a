# Load xfs (after libcrc32c, which it depends on) from the distro's modules.
insmod /lpb/libcrc32c.ko 2>/dev/null || grep -q '^libcrc32c ' /proc/modules || exit 1
insmod /lpb/xfs.ko || exit 1
