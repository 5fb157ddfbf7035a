/* The patch changes __initdata, which has been used and freed after boot. */
#include <lpb-kernel.h>

extern int lpb_register(int id);

int lpb_boot_level __initdata = 3;

int __init lpb_setup(void)
{
	return lpb_register(lpb_boot_level);
}
