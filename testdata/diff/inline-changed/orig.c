/*
 * The patch changes a static inline helper.  The helper has no body of its
 * own in the object: every function it was inlined into changes instead.
 */
#include <lpb-kernel.h>

extern int lpb_raw(int x);

static inline int lpb_calc(int x)
{
	return (x << 2) + 3;
}

int lpb_first(int x)
{
	return lpb_raw(lpb_calc(x));
}

int lpb_second(int x)
{
	return lpb_raw(lpb_calc(x + 1)) + 1;
}

int lpb_third(int x)
{
	return lpb_raw(x) + 2;
}
