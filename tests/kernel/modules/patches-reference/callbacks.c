#define LPB_REF_CALLBACKS .callbacks = { .pre_patch = cb_pre_patch, .post_patch = cb_post_patch, .pre_unpatch = cb_pre_unpatch, .post_unpatch = cb_post_unpatch }
#include "ref.h"
#include <linux/console.h>
#include <linux/tty_driver.h>
static const char *consoles_fix_state = "none";
static int cb_pre_patch(struct klp_object *obj)
{
	consoles_fix_state = "pre-patch";
	pr_info("lpbcb: pre-patch %s\n", obj->name ?: "vmlinux");
	return 0;
}
static void cb_post_patch(struct klp_object *obj)
{
	pr_info("lpbcb: post-patch %s (state was %s)\n", obj->name ?: "vmlinux", consoles_fix_state);
	consoles_fix_state = "post-patch";
}
static void cb_pre_unpatch(struct klp_object *obj)
{
	pr_info("lpbcb: pre-unpatch %s (state was %s)\n", obj->name ?: "vmlinux", consoles_fix_state);
	consoles_fix_state = "pre-unpatch";
}
static void cb_post_unpatch(struct klp_object *obj)
{
	pr_info("lpbcb: post-unpatch %s (state was %s)\n", obj->name ?: "vmlinux", consoles_fix_state);
	consoles_fix_state = "post-unpatch";
}
static int lp_show_console_dev(struct seq_file *m, void *v)
{
	static const struct { short flag; char name; } con_flags[] = {
		{ CON_ENABLED, 'E' }, { CON_CONSDEV, 'C' }, { CON_BOOT, 'B' }, { CON_NBCON, 'N' },
		{ CON_PRINTBUFFER, 'p' }, { CON_BRL, 'b' }, { CON_ANYTIME, 'a' },
	};
	char flags[ARRAY_SIZE(con_flags) + 1];
	struct console *con = v;
	unsigned int a;
	dev_t dev = 0;
	if (con->device) {
		const struct tty_driver *driver;
		int index;
		console_lock();
		driver = con->device(con, &index);
		console_unlock();
		if (driver) {
			dev = MKDEV(driver->major, driver->minor_start);
			dev += index;
		}
	}
	for (a = 0; a < ARRAY_SIZE(con_flags); a++)
		flags[a] = (con->flags & con_flags[a].flag) ? con_flags[a].name : ' ';
	flags[a] = 0;
	seq_setwidth(m, 21 - 1);
	seq_printf(m, "%s%d", con->name, con->index);
	seq_pad(m, ' ');
	seq_printf(m, "%c%c%c (%s)", con->read ? 'R' : '-',
		   ((con->flags & CON_NBCON) || con->write) ? 'W' : '-',
		   con->unblank ? 'U' : '-', flags);
	if (dev)
		seq_printf(m, " %4d:%d", MAJOR(dev), MINOR(dev));
	seq_printf(m, " [fix: %s]", consoles_fix_state);
	seq_putc(m, '\n');
	return 0;
}
LPB_REF_PATCH(NULL, { .old_name = "show_console_dev", .new_func = lp_show_console_dev })
