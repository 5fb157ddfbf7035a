/*
 * The changed function passes the address of an unchanged static function
 * as a callback.  The callback stays the original one (UNDEF in the output,
 * resolved to the running kernel's copy), it is not copied.
 */
#include <lpb-kernel.h>

extern int lpb_register_cb(int (*cb)(int), int prio);

static int lpb_cb(int x)
{
	return x * 7;
}

int lpb_install(int prio)
{
	return lpb_register_cb(lpb_cb, prio + 1);
}
