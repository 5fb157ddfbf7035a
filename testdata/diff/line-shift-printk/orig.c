/*
 * A message that prints __LINE__ (and __FILE__): the line is an immediate
 * argument of _printk().  The patch only adds comment lines above.  Like
 * kpatch, lp-build treats a change of nothing but such line numbers as no
 * change.
 */
#include <lpb-kernel.h>

extern int lpb_io(int port);

int lpb_trace_io(int port)
{
	int v = lpb_io(port);

	if (v < 0)
		printk(KERN_ERR "lpb: %s:%d: port %d failed\n", __FILE__, __LINE__, port);
	return v;
}
