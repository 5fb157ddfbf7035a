/*
 * The patch reads another element of a global array.  On RELA targets the
 * instruction bytes can stay the same and only the relocation addend
 * changes (lpb_arr+4 becomes lpb_arr+8).
 */
#include <lpb-kernel.h>

extern int lpb_arr[8];

int lpb_get(void)
{
	return lpb_arr[2];
}
