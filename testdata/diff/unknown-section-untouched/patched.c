/*
 * An unknown section that does not change is no reason to refuse, and it is
 * not copied into the output.
 */
#include <lpb-kernel.h>

static int lpb_cfg[2] __section(".lpb_unknown") __used = { 1, 2 };

int lpb_use(int x)
{
	return x + 2;
}
