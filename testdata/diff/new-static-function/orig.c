/* The patch moves part of a function into a new static helper. */
#include <lpb-kernel.h>

extern int lpb_hw_read(int reg);

int lpb_poll(int reg)
{
	int v = lpb_hw_read(reg);

	if (v < 0)
		return v;
	return v & 0xff;
}
