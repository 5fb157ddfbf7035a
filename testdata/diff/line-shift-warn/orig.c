/*
 * WARN_ON(), WARN() and BUG_ON() record __LINE__ in their __bug_table entry
 * (and, on x86_64, objtool's .discard.reachable annotation follows each WARN).
 * The patch only adds blank lines above the functions.
 */
#include <lpb-kernel.h>

extern int lpb_state(int id);

int lpb_validate(int id)
{
	if (WARN_ON(id < 0))
		return -1;
	WARN(id > 100, "lpb: id %d out of range\n", id);
	return lpb_state(id) + 1;
}

int lpb_must(int id)
{
	BUG_ON(id == 3);
	WARN_ON_ONCE(id == 4);
	return lpb_state(id) + 2;
}
