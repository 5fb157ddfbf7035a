#include "ref.h"
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/string.h>
#include <linux/refcount.h>
typedef struct {
	struct list_head list;
	unsigned long flags;
	int offset;
	int size;
	char *magic;
	char *mask;
	const char *interpreter;
	char *name;
	struct dentry *dentry;
	struct file *interp_file;
	refcount_t users;
} Node;
enum {Enabled, Magic};
#define MISC_FMT_PRESERVE_ARGV0 (1UL << 31)
#define MISC_FMT_OPEN_BINARY (1UL << 30)
#define MISC_FMT_CREDENTIALS (1UL << 29)
#define MISC_FMT_OPEN_FILE (1UL << 28)
static void entry_status(Node *e, char *page)
{
	char *dp = page;
	const char *status = "disabled";
	if (test_bit(Enabled, &e->flags))
		status = "enabled";
	dp += sprintf(dp, "%s\ninterpreter %s\n", status, e->interpreter);
	dp += sprintf(dp, "flags: ");
	if (e->flags & MISC_FMT_PRESERVE_ARGV0) *dp++ = 'P';
	if (e->flags & MISC_FMT_OPEN_BINARY) *dp++ = 'O';
	if (e->flags & MISC_FMT_CREDENTIALS) *dp++ = 'C';
	if (e->flags & MISC_FMT_OPEN_FILE) *dp++ = 'F';
	if (!(e->flags & (MISC_FMT_PRESERVE_ARGV0 | MISC_FMT_OPEN_BINARY |
			  MISC_FMT_CREDENTIALS | MISC_FMT_OPEN_FILE)))
		dp += sprintf(dp, "none");
	*dp++ = '\n';
	if (!test_bit(Magic, &e->flags)) {
		sprintf(dp, "extension .%s\n", e->magic);
	} else {
		dp += sprintf(dp, "offset %i\nmagic ", e->offset);
		dp = bin2hex(dp, e->magic, e->size);
		if (e->mask) {
			dp += sprintf(dp, "\nmask ");
			dp = bin2hex(dp, e->mask, e->size);
		}
		*dp++ = '\n';
		*dp = '\0';
	}
}
static ssize_t lp_bm_entry_read(struct file *file, char __user *buf, size_t nbytes, loff_t *ppos)
{
	Node *e = file_inode(file)->i_private;
	ssize_t res;
	char *page = (char *) __get_free_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	entry_status(e, page);
	res = simple_read_from_buffer(buf, nbytes, ppos, page, strlen(page));
	free_page((unsigned long) page);
	return res;
}
LPB_REF_PATCH("binfmt_misc", { .old_name = "bm_entry_read", .new_func = lp_bm_entry_read })
