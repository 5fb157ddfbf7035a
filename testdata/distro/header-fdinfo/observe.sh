# The inode line of an open file's fdinfo (seq_show).
grep -E "^(ino|inode):" /proc/self/fdinfo/0 | cut -f1
