/*
 * A function marked __cold lives in .text.unlikely.<name> (GCC) rather than
 * .text.<name>.  It is an ordinary function with an ftrace entry: changing it
 * is patched like any other.
 */
#include <lpb-kernel.h>

extern void lpb_dump(int code);

__cold noinline void lpb_fatal(int code)
{
	pr_err("lpb: fatal error code %d\n", code);
	lpb_dump(code);
}

int lpb_run(int x)
{
	if (unlikely(x < 0)) {
		lpb_fatal(x);
		return -1;
	}
	return x;
}
