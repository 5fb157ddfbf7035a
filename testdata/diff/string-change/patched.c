/* A string literal changes in one function; its neighbour stays as it is. */
#include <lpb-kernel.h>

extern int lpb_dev_state(int id);

int lpb_greet(int id)
{
	pr_info("lpb: hello again from device %d\n", id);
	return lpb_dev_state(id);
}

int lpb_farewell(int id)
{
	pr_info("lpb: goodbye from device %d\n", id);
	return lpb_dev_state(id) + 1;
}
