# Whether a task forked now (grep) has the shadow variable's "newpid:" line, and whether
# it is its own pid.
sh -c 'grep "^newpid:" /proc/self/status | wc -l'
sh -c 'exec awk "/^Pid:/ {p=\$2} /^newpid:/ {n=\$2} END {print (n == \"\" ? \"no newpid\" : (n == p ? \"newpid is pid\" : \"newpid \" n \" pid \" p))}" /proc/self/status'
