#include "ref.h"
#include <linux/fs.h>
#include <linux/mutex.h>
struct char_device_struct {
	struct char_device_struct *next;
	unsigned int major;
	unsigned int baseminor;
	int minorct;
	char name[64];
	struct cdev *cdev;
};
unsigned int lp_chrdev_regions_in_use(void)
{
	struct char_device_struct **chrdevs = SYM(struct char_device_struct **, chrdevs), *cd;
	struct mutex *lock = SYM(struct mutex *, chrdevs_lock);
	unsigned int i, n = 0;
	mutex_lock(lock);
	for (i = 0; i < 255; i++)
		for (cd = chrdevs[i]; cd; cd = cd->next)
			n++;
	mutex_unlock(lock);
	return n;
}
static int lp_devinfo_show(struct seq_file *f, void *v)
{
	int i = *(loff_t *) v;
	if (i < CHRDEV_MAJOR_MAX) {
		if (i == 0)
			seq_puts(f, "Character devices:\n");
		SYM(void (*)(struct seq_file *, off_t), chrdev_show)(f, i);
		if (i == CHRDEV_MAJOR_MAX - 1)
			seq_printf(f, "(%u regions)\n", lp_chrdev_regions_in_use());
	}
	return 0;
}
LPB_REF_PATCH(NULL, { .old_name = "devinfo_show", .new_func = lp_devinfo_show })
