# The serial console's /proc/consoles line (blank runs squeezed), then the
# callbacks' kernel log lines in order.
sed -n 's/  */ /g; /^ttysclp0/p' /proc/consoles
dmesg | sed -n 's/^.*lpbcb: /callback: /p'
