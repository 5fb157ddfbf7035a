# The st_size of a sysfs attribute created now: binfmt_misc's refcnt, made
# (by __kernfs_create_file) as the module loads.
insmod /lpb/binfmt_misc.ko || exit 1
stat -c '%n %s' /sys/module/binfmt_misc/refcnt
rmmod binfmt_misc
