/* s390 expolines (CONFIG_EXPOLINE): every indirect call and return goes through a thunk,
 * and each site is listed in .s390_indirect_call / .s390_return_mem, which the kernel's
 * module loader reads (nospec_revert) to undo the thunks where they are not needed. */
#include "lpb-kernel.h"

int (*lpb_hook)(int);

int lpb_calls_hook(int x)
{
	return lpb_hook(x) + 2;
}

int lpb_also_calls_hook(int x)
{
	return lpb_hook(x) * 3;
}
