/* The patch adds a kpatch pre-patch callback next to a changed function. */
#include <lpb-kernel.h>

extern int lpb_dev_state(int id);

int lpb_probe(int id)
{
	return lpb_dev_state(id) + 2;
}

static int lpb_pre_patch(void *obj)
{
	pr_info("lpb: about to patch\n");
	return 0;
}
KPATCH_PRE_PATCH_CALLBACK(lpb_pre_patch);
