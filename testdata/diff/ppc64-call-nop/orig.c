/*
 * lpb_entry() calls a function outside this object: GCC emits `bl; nop` on
 * ppc64le (the linker or module loader turns the nop into a TOC restore) and
 * never a sibling call, so patching it is fine everywhere.
 */
#include <lpb-kernel.h>

extern int lpb_ext(int x);

int lpb_entry(int x)
{
	return lpb_ext(x + 1);
}
