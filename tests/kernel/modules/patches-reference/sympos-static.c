#include "ref.h"
#include <linux/kobject.h>
#include <linux/reboot.h>
#include <linux/sysfs.h>
static ssize_t lp_type_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	static const struct { enum reboot_type type; const char *name; } types[] = {
		{ BOOT_TRIPLE, "triple" }, { BOOT_KBD, "kbd" }, { BOOT_BIOS, "bios" },
		{ BOOT_ACPI, "acpi" }, { BOOT_EFI, "efi" }, { BOOT_CF9_FORCE, "pci" },
	};
	enum reboot_type cur = *SYM(enum reboot_type *, reboot_type);
	int i, len = 0;
	for (i = 0; i < ARRAY_SIZE(types); i++)
		len += sysfs_emit_at(buf, len, types[i].type == cur ? "%s[%s]" : "%s%s",
				     i ? " " : "", types[i].name);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}
LPB_REF_PATCH(NULL, { .old_name = "type_show", .new_func = lp_type_show, .old_sympos = 2 })
