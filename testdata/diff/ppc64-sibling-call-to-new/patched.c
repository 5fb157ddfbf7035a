/*
 * The patched lpb_entry() tail-calls a NEW static function.  Both end up in
 * the patch module and share its TOC, so the sibling call is fine.
 */
#include <lpb-kernel.h>

extern int lpb_ext(int x);

static noinline int lpb_entry_slow(int x)
{
	pr_info("lpb: slow path for %d\n", x);
	return lpb_ext(x) + 1;
}

int lpb_entry(int x)
{
	if (x < 0)
		return -1;
	return lpb_entry_slow(x);
}
