# Guest side of the far-call check of tests/kernel/aarch64.sh (runs as /lpb/test.sh).
# The module is klp-reloc-global's: its version_proc_show calls get_taint through a
# klp relocation (.klp.rela.vmlinux..text...) and seq_printf through an ordinary one.
# Printed for the host: where the module's function and the kernel functions it calls
# lie (the host decides whether a branch could reach them without a PLT entry), and
# whether the patched /proc/version works.
# shellcheck source=tests/kernel/guest/common.sh
. /lpb/common.sh
P=livepatch_klp_reloc_global
addr() { awk -v n="$1" -v m="$2" '$3 == n && (m == "" ? NF == 3 : $4 == "[" m "]") { print $1; exit }' /proc/kallsyms; }

insmod /lpb/livepatch-klp-reloc-global.ko; r=$?; check insmod-patch $r
[ $r = 0 ] && wait_transition $P; check transition-patch $?
echo "LPB-OBS module-fn: $(addr version_proc_show $P)"
echo "LPB-OBS kernel-get_taint: $(addr get_taint)"
echo "LPB-OBS kernel-seq_printf: $(addr seq_printf)"
echo "LPB-OBS kaslr: $(grep -c nokaslr /proc/cmdline) nokaslr"
v="$(sed -n 's/^taint mask //p' /proc/version)"
echo "LPB-OBS taint-mask: $v"
[ -n "$v" ] && [ $(( (v >> 15) & 1 )) = 1 ]; check patched-calls-get_taint $?
echo 0 > /sys/kernel/livepatch/$P/enabled
wait_transition $P; check transition-unpatch $?
rmmod $P; check rmmod-patch $?
exit "$fails"
