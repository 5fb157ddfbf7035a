/*
 * The patched lpb_entry() tail-calls a NEW static function.  Both end up in
 * the patch module and share its TOC, so the sibling call is fine.
 */
#include <lpb-kernel.h>

extern int lpb_ext(int x);

int lpb_entry(int x)
{
	return lpb_ext(x) + 1;
}
