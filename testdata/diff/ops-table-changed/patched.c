/*
 * The patch points an existing operations table at a new function.  The
 * table's bytes do not change (the pointer is a relocation), but what it
 * points to does: that is changed data, which a live patch cannot apply.
 */
#include <lpb-kernel.h>

struct lpb_ops {
	int (*open)(int);
	int (*close)(int);
};

extern int lpb_ext(int x);

int lpb_open(int x)
{
	return lpb_ext(x) + 1;
}

int lpb_close(int x)
{
	return lpb_ext(x) - 1;
}

int lpb_close_checked(int x)
{
	if (x < 0)
		return -1;
	return lpb_ext(x) - 1;
}

const struct lpb_ops lpb_ops = {
	.open = lpb_open,
	.close = lpb_close_checked,
};
