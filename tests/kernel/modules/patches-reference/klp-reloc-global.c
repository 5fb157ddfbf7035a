#include "ref.h"
#include <linux/utsname.h>
static int lp_version_proc_show(struct seq_file *m, void *v)
{
	unsigned long (*get_taint)(void) = SYM(unsigned long (*)(void), get_taint);
	seq_printf(m, SYM(const char *, linux_proc_banner),
		utsname()->sysname, utsname()->release, utsname()->version);
	if (get_taint())
		seq_printf(m, "taint mask %#lx\n", get_taint());
	return 0;
}
LPB_REF_PATCH(NULL, { .old_name = "version_proc_show", .new_func = lp_version_proc_show })
