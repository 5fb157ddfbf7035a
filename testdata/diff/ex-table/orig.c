/*
 * Two functions have __ex_table entries (a load that may fault).  The patch
 * changes lpb_peek2(), which has two: exactly those go into the output.
 */
#include <lpb-kernel.h>

int lpb_peek(const int *p)
{
	int v = 0;

	lpb_load_nofault(v, p);
	return v + 1;
}

int lpb_peek2(const int *p)
{
	int a = 0, b = 0;

	lpb_load_nofault(a, p);
	lpb_load_nofault(b, p + 1);
	return a + b + 2;
}
