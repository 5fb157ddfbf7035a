/*
 * x86_64 static calls: two functions call through the static call lpb_sc
 * defined in this object; the patch changes one of them.  Its
 * .static_call_sites entry is kept, the other's is not.
 * (static-call-module builds the same sources with --module.)
 */
#include <lpb-kernel.h>

extern void lpb_target(void);

DEFINE_STATIC_CALL(lpb_sc, lpb_target);

int lpb_do(int x)
{
	LPB_STATIC_CALL(lpb_sc);
	return x + 2;
}

int lpb_do_more(int x)
{
	LPB_STATIC_CALL(lpb_sc);
	return x + 3;
}
