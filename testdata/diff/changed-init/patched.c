/* The patch changes an __init function, which has run and been freed. */
#include <lpb-kernel.h>

extern int lpb_register(int id);

int __init lpb_setup(void)
{
	pr_info("lpb: setting up v2\n");
	return lpb_register(1);
}
