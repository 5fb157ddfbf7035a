/*
 * lpb_caller() calls lpb_helper(), a static function of the same object, and
 * uses the result.  On ppc64le GCC emits a local call -- `bl` to the local
 * entry with no nop after it, since caller and callee share the TOC.  Once
 * lpb_caller() is in the patch module and lpb_helper() stays in vmlinux the
 * call needs a stub and a TOC restore in that nop slot, which is not there
 * (kpatch adds it with a GCC plugin).  Elsewhere this is an ordinary call.
 */
#include <lpb-kernel.h>

extern int lpb_ext(int x);

static noinline int lpb_helper(int x)
{
	return lpb_ext(x) * 3;
}

int lpb_caller(int x)
{
	return lpb_helper(x) + 1;
}

int lpb_other(int x)
{
	return lpb_helper(x) + 5;
}
