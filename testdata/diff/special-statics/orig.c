/*
 * "Special" static locals are never paired with the original object's:
 * WARN_ONCE()'s __already_done (in .data..once), RCU_LOCKDEP_WARN()'s
 * __warned and __func__.  When lpb_check() changes, its copies are new data
 * in the output rather than references to the original ones.  lpb_quiet()
 * uses WARN_ONCE() too but does not change, so its flag stays out.
 */
#include <lpb-kernel.h>

extern int lpb_rcu_held(void);

int lpb_check(int v)
{
	RCU_LOCKDEP_WARN(!lpb_rcu_held(), "lpb_check() needs rcu_read_lock()");
	WARN_ONCE(v < 0, "lpb: negative value %d\n", v);
	pr_info("%s: value %d\n", __func__, v);
	return v * 2;
}

int lpb_quiet(int v)
{
	WARN_ONCE(v == 7, "lpb: seven\n");
	return v + 1;
}
