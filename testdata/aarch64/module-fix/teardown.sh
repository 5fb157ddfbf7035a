# Undo setup.sh (before the late-load scenario).
D=/proc/sys/fs/binfmt_misc
echo -1 > $D/lpbt
umount $D && rmmod binfmt_misc
