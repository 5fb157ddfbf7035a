# kernel/reboot.c's type_show (patched) and serial_core's (must not be).
echo "reboot type: $(cat /sys/kernel/reboot/type)"
echo "ttyS0 type: $(cat /sys/class/tty/ttyS0/type)"
