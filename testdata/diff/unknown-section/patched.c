/*
 * Data in a section lp-build knows nothing about changes: it cannot tell
 * whether that is safe, so it refuses.
 */
#include <lpb-kernel.h>

static int lpb_cfg[2] __section(".lpb_unknown") __used = { 1, 3 };

int lpb_use(int x)
{
	return x + 1;
}
