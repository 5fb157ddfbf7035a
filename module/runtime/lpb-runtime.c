// SPDX-License-Identifier: GPL-2.0
/*
 * lp-build's livepatch runtime: the module init that turns the patch table
 * (lpb-table.h) into the kernel's klp_patch and enables it.
 *
 * kbuild compiles this file once per kernel tree, with the tree's own flags, and the
 * object is linked unchanged into every patch module built for that tree. It must
 * therefore not depend on the module it ends up in: no KBUILD_MODNAME (pr_fmt,
 * dynamic debug), no module parameters. lp-build checks the object for the probe
 * module's name when it records the tree's link recipe (module/LinkRecipe.cpp).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/slab.h>

#include "lpb-table.h"

static struct klp_patch lpb_patch;
static struct klp_object *lpb_objects;	/* parallel to lpb_table.objects */

static const struct lpb_table_object *lpb_entry(struct klp_object *obj)
{
	return &lpb_table.objects[obj - lpb_objects];
}

/*
 * klp has one callback of each kind per object; a patch built from several units can
 * bring several. They run in table order, and the first failing pre_patch stops the
 * patching as the kernel's own would.
 */
static int lpb_pre_patch(struct klp_object *obj)
{
	lpb_pre_patch_fn *const *fn;
	int ret;

	for (fn = lpb_entry(obj)->pre_patch; *fn; fn++) {
		ret = (*fn)(obj);
		if (ret)
			return ret;
	}
	return 0;
}

static void lpb_post_patch(struct klp_object *obj)
{
	lpb_callback_fn *const *fn;

	for (fn = lpb_entry(obj)->post_patch; *fn; fn++)
		(*fn)(obj);
}

static void lpb_pre_unpatch(struct klp_object *obj)
{
	lpb_callback_fn *const *fn;

	for (fn = lpb_entry(obj)->pre_unpatch; *fn; fn++)
		(*fn)(obj);
}

static void lpb_post_unpatch(struct klp_object *obj)
{
	lpb_callback_fn *const *fn;

	for (fn = lpb_entry(obj)->post_unpatch; *fn; fn++)
		(*fn)(obj);
}

static void lpb_free(void)
{
	unsigned int i;

	if (!lpb_objects)
		return;
	for (i = 0; i < lpb_table.nr_objects; i++)
		kfree(lpb_objects[i].funcs);
	kfree(lpb_objects);
	lpb_objects = NULL;
}

static int __init lpb_init(void)
{
	const struct lpb_table *t = &lpb_table;
	unsigned int i, j;
	int ret;

	/* Both arrays end with an empty entry, as klp expects. */
	lpb_objects = kcalloc(t->nr_objects + 1, sizeof(*lpb_objects), GFP_KERNEL);
	if (!lpb_objects)
		return -ENOMEM;
	for (i = 0; i < t->nr_objects; i++) {
		const struct lpb_table_object *o = &t->objects[i];
		struct klp_object *obj = &lpb_objects[i];
		struct klp_func *funcs;

		funcs = kcalloc(o->nr_funcs + 1, sizeof(*funcs), GFP_KERNEL);
		if (!funcs) {
			lpb_free();
			return -ENOMEM;
		}
		for (j = 0; j < o->nr_funcs; j++) {
			funcs[j].old_name = o->funcs[j].old_name;
			funcs[j].new_func = o->funcs[j].new_func;
			funcs[j].old_sympos = o->funcs[j].old_sympos;
		}
		obj->name = o->name;
		obj->funcs = funcs;
		if (o->pre_patch)
			obj->callbacks.pre_patch = lpb_pre_patch;
		if (o->post_patch)
			obj->callbacks.post_patch = lpb_post_patch;
		if (o->pre_unpatch)
			obj->callbacks.pre_unpatch = lpb_pre_unpatch;
		if (o->post_unpatch)
			obj->callbacks.post_unpatch = lpb_post_unpatch;
	}

	lpb_patch.mod = THIS_MODULE;
	lpb_patch.objs = lpb_objects;
	lpb_patch.replace = t->replace;
	ret = klp_enable_patch(&lpb_patch);
	if (ret)
		lpb_free();	/* klp is done with the arrays when it fails */
	return ret;
}

static void __exit lpb_exit(void)
{
	/* The patch is disabled and klp has dropped its references before unload. */
	lpb_free();
}

module_init(lpb_init);
module_exit(lpb_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
