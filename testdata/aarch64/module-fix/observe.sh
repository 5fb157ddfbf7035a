# binfmt_misc's status and the entry setup.sh registered (bm_entry_read).
D=/proc/sys/fs/binfmt_misc
echo "status: $(cat $D/status)"
cat $D/lpbt
