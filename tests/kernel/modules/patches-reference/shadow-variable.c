#include "ref.h"
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include "internal.h"	/* fs/proc/internal.h: PROC_I, proc_pid */
#define COMM_PREV_SHADOW_ID (0x6c700000UL | 1)
static struct task_struct *lp_get_proc_task(const struct inode *inode)
{
	return get_pid_task(proc_pid(inode), PIDTYPE_PID);
}
static ssize_t lp_comm_write(struct file *file, const char __user *buf, size_t count, loff_t *offset)
{
	struct inode *inode = file_inode(file);
	struct task_struct *p;
	char buffer[TASK_COMM_LEN] = {};
	const size_t maxlen = sizeof(buffer) - 1;
	if (copy_from_user(buffer, buf, count > maxlen ? maxlen : count))
		return -EFAULT;
	p = lp_get_proc_task(inode);
	if (!p)
		return -ESRCH;
	if (same_thread_group(current, p)) {
		char *prev = klp_shadow_get_or_alloc(p, COMM_PREV_SHADOW_ID, TASK_COMM_LEN, GFP_KERNEL, NULL, NULL);
		if (prev)
			__get_task_comm(prev, TASK_COMM_LEN, p);
		SYM(void (*)(struct task_struct *, const char *, bool), __set_task_comm)(p, buffer, false);
	} else
		count = -EINVAL;
	put_task_struct(p);
	return count;
}
static int lp_comm_show(struct seq_file *m, void *v)
{
	struct inode *inode = m->private;
	struct task_struct *p;
	const char *prev;
	char name[TASK_COMM_LEN];
	p = lp_get_proc_task(inode);
	if (!p)
		return -ESRCH;
	seq_puts(m, __get_task_comm(name, sizeof(name), p));
	prev = klp_shadow_get(p, COMM_PREV_SHADOW_ID);
	if (prev)
		seq_printf(m, " (was %s)", prev);
	seq_putc(m, '\n');
	put_task_struct(p);
	return 0;
}
LPB_REF_PATCH(NULL, { .old_name = "comm_write", .new_func = lp_comm_write },
		    { .old_name = "comm_show", .new_func = lp_comm_show })
