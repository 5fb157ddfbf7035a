/* The patch moves part of a function into a new static helper. */
#include <lpb-kernel.h>

extern int lpb_hw_read(int reg);

static noinline int lpb_poll_checked(int reg)
{
	int v = lpb_hw_read(reg);

	if (v < 0 || v > 0xffff) {
		pr_warn("lpb: bad value %d in register %d\n", v, reg);
		return -5;
	}
	return v;
}

int lpb_poll(int reg)
{
	int v = lpb_poll_checked(reg);

	if (v < 0)
		return v;
	return v & 0xff;
}
