/*
 * An __init function calls a normal function that the patch changes; the
 * __init function itself does not change and must be left out.
 */
#include <lpb-kernel.h>

extern int lpb_register(int id);

noinline int lpb_configure(int level)
{
	return lpb_register(level * 4) + 1;
}

int __init lpb_setup(void)
{
	pr_info("lpb: setting up\n");
	return lpb_configure(3) + 1;
}
