/*
 * A notrace function has no ftrace call site (no __fentry__/_mcount call and
 * no patchable-entry NOPs), so ftrace cannot redirect it: changing it cannot
 * be live patched.
 */
#include <lpb-kernel.h>

extern int lpb_cycles(int cpu);

int notrace lpb_fast_clock(int cpu)
{
	return lpb_cycles(cpu) + 7;
}

int lpb_slow_clock(int cpu)
{
	return lpb_cycles(cpu) + 9;
}
