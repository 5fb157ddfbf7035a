// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hand-written livepatch for the in-tree module binfmt_misc (fs/binfmt_misc.c),
 * the "patch a module" target of lp-build's test kernel. It replaces the
 * static bm_status_read(), which backs /proc/sys/fs/binfmt_misc/status, so
 * that reading it gives "enabled (live patched)" instead of "enabled".
 * Only exported symbols are used, so no klp relocations are needed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/fs.h>
#include <linux/string.h>

static ssize_t livepatch_bm_status_read(struct file *file, char __user *buf,
					size_t nbytes, loff_t *ppos)
{
	/* i_binfmt_misc() is binfmt_misc-internal; the test keeps it enabled. */
	static const char s[] = "enabled (live patched)\n";

	return simple_read_from_buffer(buf, nbytes, ppos, s, strlen(s));
}

static struct klp_func funcs[] = {
	{
		.old_name = "bm_status_read",
		.new_func = livepatch_bm_status_read,
	}, { }
};

static struct klp_object objs[] = {
	{
		.name = "binfmt_misc",
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int livepatch_init(void)
{
	return klp_enable_patch(&patch);
}

static void livepatch_exit(void)
{
}

module_init(livepatch_init);
module_exit(livepatch_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lp-build test: live patch of binfmt_misc bm_status_read");
MODULE_INFO(livepatch, "Y");
