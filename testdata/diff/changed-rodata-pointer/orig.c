/*
 * The patch swaps which existing function a const function-pointer table
 * holds.  The bytes of the table stay zero; only its relocations change.
 */
#include <lpb-kernel.h>

extern int lpb_ext(int x);

int lpb_handler_a(int x)
{
	return lpb_ext(x) + 1;
}

int lpb_handler_b(int x)
{
	return lpb_ext(x) - 1;
}

int (*const lpb_handlers[2])(int) = { lpb_handler_a, lpb_handler_b };
