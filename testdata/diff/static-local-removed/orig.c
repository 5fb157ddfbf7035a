/*
 * The patched function no longer uses the static local it used to: the
 * original counter would silently stop being updated, so this is refused.
 */
#include <lpb-kernel.h>

int lpb_count_event(int ev)
{
	static int seen;

	seen++;
	pr_info("lpb: event %d (%d seen)\n", ev, seen);
	return seen;
}
