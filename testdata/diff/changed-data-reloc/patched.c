/*
 * The patch makes a global pointer point at another variable.  In a
 * relocatable object both initializers are the same zero bytes; only the
 * relocation differs.
 */
#include <lpb-kernel.h>

int lpb_primary = 1;
int lpb_secondary = 2;
int *lpb_current = &lpb_secondary;

int lpb_read_current(void)
{
	return *lpb_current;
}
