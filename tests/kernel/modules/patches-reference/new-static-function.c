#include "ref.h"
#include <linux/ctype.h>
static noinline size_t cmdline_trimmed_len(const char *s)
{
	size_t len = strlen(s);
	while (len && isspace(s[len - 1]))
		len--;
	return len;
}
static int lp_cmdline_proc_show(struct seq_file *m, void *v)
{
	const char *cl = *SYM(char **, saved_command_line);
	seq_write(m, cl, cmdline_trimmed_len(cl));
	seq_putc(m, '\n');
	return 0;
}
LPB_REF_PATCH(NULL, { .old_name = "cmdline_proc_show", .new_func = lp_cmdline_proc_show })
