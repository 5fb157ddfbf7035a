# The PL011's port type (serial_core.c's type_show), and the trigger type of the first
# interrupt (irqdesc.c's type_show, which must stay as it is).
echo "ttyAMA0 type: $(cat /sys/class/tty/ttyAMA0/type)"
echo "irq $(ls /sys/kernel/irq | sort -n | head -n1) type: $(cat /sys/kernel/irq/$(ls /sys/kernel/irq | sort -n | head -n1)/type)"
