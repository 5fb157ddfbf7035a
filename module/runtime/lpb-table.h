/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The patch table: what one livepatch changes, as plain data.
 *
 * lp-build splits a patch module's metadata in two. lpb-runtime.c holds everything that
 * needs the kernel's types (klp_patch, klp_object, klp_func, the callbacks) and is
 * compiled once per kernel tree; lpb-table.c is written for each patch, includes only
 * this header, and so compiles in milliseconds. At module init the runtime builds the
 * kernel's structures from the table and enables the patch.
 */
#ifndef LPB_TABLE_H
#define LPB_TABLE_H

struct klp_object;

/* The callback types of struct klp_callbacks. */
typedef int lpb_pre_patch_fn(struct klp_object *obj);
typedef void lpb_callback_fn(struct klp_object *obj);

struct lpb_table_func {
	const char *old_name;		/* the function the kernel redirects */
	void *new_func;			/* its new version, in this module */
	unsigned long old_sympos;	/* which same-named symbol; 0 when unique */
};

struct lpb_table_object {
	const char *name;		/* the patched module, NULL for vmlinux */
	const struct lpb_table_func *funcs;
	unsigned int nr_funcs;
	/* The callbacks of each kind, run in order: NULL-terminated lists, or NULL. */
	lpb_pre_patch_fn *const *pre_patch;
	lpb_callback_fn *const *post_patch;
	lpb_callback_fn *const *pre_unpatch;
	lpb_callback_fn *const *post_unpatch;
};

struct lpb_table {
	const struct lpb_table_object *objects;
	unsigned int nr_objects;
	int replace;			/* klp_patch.replace: atomic replace */
};

/* Defined by the per-patch lpb-table.c. */
extern const struct lpb_table lpb_table;

#endif /* LPB_TABLE_H */
