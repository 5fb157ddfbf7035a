/* The patch changes the initializer of an existing global variable. */
#include <lpb-kernel.h>

int lpb_threshold = 20;

int lpb_over(int v)
{
	return v > lpb_threshold;
}
