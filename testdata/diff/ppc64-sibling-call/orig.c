/*
 * lpb_entry() ends with a call to lpb_helper(), a function of the same
 * object, so GCC makes it a sibling call.  On ppc64le that is a plain `b` to
 * lpb_helper's local entry, which assumes caller and callee share a TOC --
 * untrue once lpb_entry() lives in the patch module and lpb_helper() stays in
 * vmlinux.  Elsewhere the tail call is harmless.
 */
#include <lpb-kernel.h>

extern int lpb_ext(int x);

noinline int lpb_helper(int x)
{
	return lpb_ext(x) * 2 + 1;
}

int lpb_entry(int x)
{
	return lpb_helper(x + 1);
}
