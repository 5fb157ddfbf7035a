/*
 * The patch only moves lpb_second() above lpb_first().  With
 * -ffunction-sections nothing in either function changes -- but GCC renames
 * their static locals (count.0 <-> count.1), __LINE__ moves and the .LC
 * labels of their strings are renumbered.  No functional change.
 */
#include <lpb-kernel.h>

int lpb_second(int x)
{
	static int count;

	might_sleep();
	count -= x;
	pr_info("lpb: second %d\n", count);
	return count;
}

int lpb_first(int x)
{
	static int count;

	count += x;
	WARN_ON(count > 1000);
	pr_info("lpb: first %d\n", count);
	return count;
}
