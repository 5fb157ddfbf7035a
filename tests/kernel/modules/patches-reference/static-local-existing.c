#include "ref.h"
#include <linux/sched.h>
/* Uses the running kernel's static local stfu (System.map: stfu.0); the cache
 * dropping itself is left out (only the messages are observed). */
static int lp_drop_caches_sysctl_handler(const struct ctl_table *table, int write,
		void *buffer, size_t *length, loff_t *ppos)
{
	int *stfu = SYM(int *, stfu);
	int drop = *SYM(int *, sysctl_drop_caches);
	int ret = SYM(int (*)(const struct ctl_table *, int, void *, size_t *, loff_t *),
		      proc_dointvec_minmax)(table, write, buffer, length, ppos);
	if (ret)
		return ret;
	if (write) {
		drop = *SYM(int *, sysctl_drop_caches);
		if (!*stfu)
			pr_info("%s (%d): drop_caches: %d (4 toggles these messages)\n",
				current->comm, task_pid_nr(current), drop);
		*stfu ^= drop & 4;
	}
	return 0;
}
LPB_REF_PATCH(NULL, { .old_name = "drop_caches_sysctl_handler", .new_func = lp_drop_caches_sysctl_handler })
