/* The only changed function is marked KPATCH_IGNORE_FUNCTION(). */
#include <lpb-kernel.h>

extern int lpb_dev_state(int id);

int lpb_probe(int id)
{
	return lpb_dev_state(id) + 1;
}

int lpb_debug_dump(int id)
{
	pr_info("lpb: state %d\n", lpb_dev_state(id));
	return 0;
}
