# A fresh shell renames itself twice through /proc/self/comm, then reads
# its comm back (comm_write attaches the shadow, comm_show reads it).
# printf, not echo: the kernel would keep echo's newline in the name.
sh -c 'printf lpbone > /proc/self/comm; printf lpbtwo > /proc/self/comm; read c < /proc/self/comm; echo "comm: $c"'
