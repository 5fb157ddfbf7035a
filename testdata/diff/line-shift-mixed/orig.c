/*
 * The patch adds lines at the top, so every __LINE__ below moves, and it
 * really changes lpb_mixed_b().  Only lpb_mixed_b() is patched; the other
 * functions differ by line numbers only.
 */
#include <lpb-kernel.h>

extern int lpb_state(int id);

int lpb_mixed_a(int id)
{
	might_sleep();
	if (WARN_ON(id < 0))
		return -1;
	return lpb_state(id) + 1;
}

int lpb_mixed_b(int id)
{
	might_sleep();
	WARN_ON(id > 9);
	return lpb_state(id) + 2;
}

int lpb_mixed_c(int id)
{
	might_sleep();
	WARN(id == 5, "lpb: five\n");
	return lpb_state(id) + 3;
}
