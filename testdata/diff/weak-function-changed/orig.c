/* A weak function (a default another object may override) changes. */
#include <lpb-kernel.h>

extern int lpb_ext(int x);

__attribute__((weak)) int lpb_arch_setup(int x)
{
	return lpb_ext(x) + 1;
}
