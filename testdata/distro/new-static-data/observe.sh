# /proc/filesystems, tabs shown as blanks.
tr '\t' ' ' < /proc/filesystems
