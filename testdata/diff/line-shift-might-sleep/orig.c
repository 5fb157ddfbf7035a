/*
 * might_sleep() passes __LINE__ to __might_sleep(), so the line number is an
 * immediate operand in the code.  The patch only adds comment lines above
 * the functions: nothing functional changes.
 */
#include <lpb-kernel.h>

extern int lpb_wait_event(int ev);

int lpb_sleepy(int ev)
{
	might_sleep();
	return lpb_wait_event(ev) + 1;
}

int lpb_sleepy2(int ev)
{
	might_sleep();
	if (ev > 4)
		return lpb_wait_event(ev) * 2;
	might_sleep();
	return lpb_wait_event(ev + 1);
}
