/*
 * __sched functions (schedule(), the sleeping lock slow paths...) live in
 * .sched.text.  They are traced and patchable like any other.
 */
#include <lpb-kernel.h>

extern int lpb_wait_queue(int q);

int __sched lpb_wait_for(int q)
{
	might_sleep();
	return lpb_wait_queue(q) + 2;
}
