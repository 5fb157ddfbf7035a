#include "ref.h"
#include <linux/fs.h>
static int lp_devinfo_show(struct seq_file *f, void *v)
{
	int i = *(loff_t *) v;
	if (i < CHRDEV_MAJOR_MAX) {
		if (i == 0)
			seq_puts(f, "Character devices (major name):\n");
		SYM(void (*)(struct seq_file *, off_t), chrdev_show)(f, i);
	}
	return 0;
}
LPB_REF_PATCH(NULL, { .old_name = "devinfo_show", .new_func = lp_devinfo_show })
