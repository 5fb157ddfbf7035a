# The syslog priority the kernel records for a user-space message written to
# /dev/kmsg at KERN_EMERG (<8>: facility user, level 0), with the message.
echo "<8>lpb-varargs: written at emergency level" > /dev/kmsg
dmesg -r | sed -n 's/^<\([0-9]*\)>.*\] \(lpb-varargs: .*\)$/\1 \2/p' | tail -n 1
