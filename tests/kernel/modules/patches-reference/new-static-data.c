#include "ref.h"
#include <linux/fs.h>
static const char * const internal_fs_names[] = { "anon_inodefs", "bdev", "pipefs", "sockfs" };
static bool fs_is_internal(const struct file_system_type *fs)
{
	int i;
	for (i = 0; i < ARRAY_SIZE(internal_fs_names); i++)
		if (!strcmp(fs->name, internal_fs_names[i]))
			return true;
	return false;
}
static int lp_filesystems_proc_show(struct seq_file *m, void *v)
{
	rwlock_t *lock = SYM(rwlock_t *, file_systems_lock);
	struct file_system_type *tmp;
	read_lock(lock);
	for (tmp = *SYM(struct file_system_type **, file_systems); tmp; tmp = tmp->next) {
		if (fs_is_internal(tmp))
			continue;
		seq_printf(m, "%s\t%s\n", (tmp->fs_flags & FS_REQUIRES_DEV) ? "" : "nodev", tmp->name);
	}
	read_unlock(lock);
	return 0;
}
LPB_REF_PATCH(NULL, { .old_name = "filesystems_proc_show", .new_func = lp_filesystems_proc_show })
