/*
 * Every caller passes factor = 3, so GCC's IPA-CP emits lpb_scale.constprop.0
 * with the constant folded in.  The patch changes that clone's body.
 */
#include <lpb-kernel.h>

extern int lpb_sample(int i);

static noinline int lpb_scale(int v, int factor)
{
	int i, s = 0;

	for (i = 0; i < v; i++)
		s += lpb_sample(i) * factor;
	return s;
}

int lpb_total(int v)
{
	return lpb_scale(v, 3) + 1;
}

int lpb_total2(int v)
{
	return lpb_scale(v, 3) + 2;
}
