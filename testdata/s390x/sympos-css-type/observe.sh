# The first subchannel's type (css.c's type_show), and the trigger type of interrupt 0
# (irqdesc.c's type_show, which must stay as it is).
sch="$(ls /sys/bus/css/devices | sort | head -n1)"
echo "subchannel $sch type: $(cat /sys/bus/css/devices/$sch/type)"
echo "irq 0 type: $(cat /sys/kernel/irq/0/type)"
