# A fresh shell renames itself twice through /proc/self/comm, then reads
# its comm back (comm_write attaches the shadow, comm_show reads it).
sh -c 'echo lpbone > /proc/self/comm; echo lpbtwo > /proc/self/comm; read c < /proc/self/comm; echo "comm: $c"'
