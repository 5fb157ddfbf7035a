/*
 * lpb_tick() keeps a count in a static local.  GCC names it calls.N, with N
 * from a counter shared by every static local of the file; clang names it
 * lpb_tick.calls.  The patch changes the message and adds a second static
 * local, which renumbers GCC's names.  The patched function must go on using
 * the original variable (UNDEF in the output); the new one is new data.
 */
#include <lpb-kernel.h>

int lpb_tick(void)
{
	static int misses;
	static int calls;

	calls++;
	if (calls > 100)
		misses++;
	pr_info("lpb: tick %d, %d misses\n", calls, misses);
	return calls;
}
