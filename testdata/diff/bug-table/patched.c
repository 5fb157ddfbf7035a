/*
 * Three functions have __bug_table entries (WARN_ON, WARN, BUG_ON).  The
 * patch changes lpb_check_b(), which has two of them: exactly those two
 * entries go into the output.
 */
#include <lpb-kernel.h>

extern int lpb_state(int x);

int lpb_check_a(int x)
{
	if (WARN_ON(x < 0))
		return -1;
	return lpb_state(x) + 1;
}

int lpb_check_b(int x)
{
	WARN(x > 10, "lpb: %d is much too big\n", x);
	if (WARN_ON(x == 7))
		return -7;
	return lpb_state(x) + 2;
}

int lpb_check_c(int x)
{
	BUG_ON(x == 3);
	return lpb_state(x) + 3;
}
