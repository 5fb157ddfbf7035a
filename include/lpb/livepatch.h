/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <lpb/livepatch.h> - what a patch given to lp-build can use beyond the kernel's own API.
 *
 * lp-build compiles every unit it patches with this directory on the include path, so a
 * fix can say `#include <lpb/livepatch.h>`.
 *
 * Callbacks (Documentation/livepatch/callbacks.rst): name a function of the patched unit
 * to run around the transition of the object (vmlinux or the module) the unit belongs to.
 *
 *     static int lpb_fix_pre_patch(struct klp_object *obj) { ...; return 0; }
 *     LPB_PRE_PATCH_CALLBACK(lpb_fix_pre_patch);
 *
 * A pre-patch callback returning non-zero refuses the patch (or the module load).
 * The post-patch and pre-unpatch callbacks and the post-unpatch callback return void.
 *
 * Shadow variables (Documentation/livepatch/shadow-vars.rst) need nothing from here: use
 * klp_shadow_alloc()/klp_shadow_get()/klp_shadow_free() from <linux/livepatch.h>. Shadow
 * ids are per patch series; LPB_SHADOW_ID() builds one from a small number so that two
 * fixes do not collide by accident.
 */
#ifndef LPB_LIVEPATCH_H
#define LPB_LIVEPATCH_H

#include <linux/compiler.h>
#include <linux/livepatch.h>

/*
 * Each macro leaves a pointer to the callback in a section lp-build's differ recognises
 * (the section names kpatch-build's macros use, so patches written for it build here
 * too). lp-build wires the function into the klp_object's callbacks and drops the section.
 */
struct lpb_callback_ref {
	void *fn;
	const char *objname;
};

#define __LPB_CALLBACK(kind, callback, type)					\
	static type __maybe_unused __lpb_check_##kind##_##callback = callback;	\
	static struct lpb_callback_ref __used					\
	__section(".kpatch.callbacks." #kind) __lpb_cb_##kind##_##callback = {	\
		.fn = (void *)callback,						\
		.objname = NULL,						\
	}

typedef int (*lpb_pre_patch_t)(struct klp_object *obj);
typedef void (*lpb_post_patch_t)(struct klp_object *obj);

#define LPB_PRE_PATCH_CALLBACK(fn)   __LPB_CALLBACK(pre_patch, fn, lpb_pre_patch_t)
#define LPB_POST_PATCH_CALLBACK(fn)  __LPB_CALLBACK(post_patch, fn, lpb_post_patch_t)
#define LPB_PRE_UNPATCH_CALLBACK(fn) __LPB_CALLBACK(pre_unpatch, fn, lpb_post_patch_t)
#define LPB_POST_UNPATCH_CALLBACK(fn) __LPB_CALLBACK(post_unpatch, fn, lpb_post_patch_t)

/* A shadow variable id: lp-build's range, then the fix's own small number. */
#define LPB_SHADOW_ID(n) (0x6c700000UL | (unsigned long)(n))

#endif /* LPB_LIVEPATCH_H */
