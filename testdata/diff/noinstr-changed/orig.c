/*
 * noinstr code (.noinstr.text, notrace) runs where tracing is not allowed:
 * it has no ftrace entry and cannot be patched.
 */
#include <lpb-kernel.h>

extern int lpb_ext(int x);

noinstr int lpb_entry_work(int x)
{
	return lpb_ext(x) + 3;
}
