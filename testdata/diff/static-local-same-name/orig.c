/*
 * Two functions each keep a static local named `count`.  GCC numbers them
 * from one counter in output order, so moving lpb_beta() above lpb_alpha()
 * swaps the names: lpb_beta's variable is count.0 in the original object and
 * count.1 in the patched one, where count.0 now belongs to lpb_alpha.  The
 * patch also changes lpb_beta's message.  The two variables must be paired
 * by the functions that use them, not by name.
 */
#include <lpb-kernel.h>

int lpb_alpha(void)
{
	static int count;

	count++;
	pr_info("lpb: alpha %d\n", count);
	return count;
}

int lpb_beta(void)
{
	static int count;

	count += 2;
	pr_info("lpb: beta %d\n", count);
	return count;
}
