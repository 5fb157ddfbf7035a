/*
 * The patch gives a zero-initialized global an initial value, which moves it
 * from .bss.lpb_mode to .data.lpb_mode.
 */
#include <lpb-kernel.h>

int lpb_mode = 1;

int lpb_get_mode(void)
{
	return lpb_mode;
}
