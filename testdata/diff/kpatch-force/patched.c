/* The patch marks the function it changes with KPATCH_FORCE_UNSAFE(). */
#include <lpb-kernel.h>

extern int lpb_dev_state(int id);

int lpb_probe(int id)
{
	return lpb_dev_state(id) + 2;
}
KPATCH_FORCE_UNSAFE(lpb_probe);
