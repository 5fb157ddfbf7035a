/*
 * Two functions test a static key defined in this object; the patch changes
 * one of them.  Its __jump_table entry is kept, the other function's is not.
 * (static-key-module builds the same sources with --module.)
 */
#include <lpb-kernel.h>

DEFINE_STATIC_KEY_FALSE(lpb_debug_key);

extern int lpb_slow_path(int x);

int lpb_fast_path(int x)
{
	if (static_branch_unlikely(&lpb_debug_key))
		return lpb_slow_path(x) + 1;
	return x + 2;
}

int lpb_other_path(int x)
{
	if (static_branch_unlikely(&lpb_debug_key))
		return lpb_slow_path(x) * 2;
	return x * 3;
}
