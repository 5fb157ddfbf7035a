#include "ref.h"
/* The uptime line itself is not observed (only the line count and the extra line). */
static int lp_uptime_proc_show(struct seq_file *m, void *v)
{
	static unsigned int reads;
	seq_puts(m, "0.00 0.00\n");
	seq_printf(m, "reads %u\n", ++reads);
	return 0;
}
LPB_REF_PATCH(NULL, { .old_name = "uptime_proc_show", .new_func = lp_uptime_proc_show })
