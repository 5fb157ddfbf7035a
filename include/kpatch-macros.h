/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-macros.h - lp-build's own header for patches written for kpatch-build.
 *
 * kpatch-build users write `#include "kpatch-macros.h"` in the patched source. lp-build
 * puts this directory on the include path of every unit it compiles, so those patches
 * build unchanged. The macros have the names and argument types kpatch-build's users
 * know; each leaves a pointer in a `.kpatch.*` section that lp-build's differ reads
 * (differ/Include.cpp) and then drops from the patch module:
 *
 *   KPATCH_IGNORE_FUNCTION(fn)   treat fn as unchanged (its change is not patched)
 *   KPATCH_IGNORE_SECTION(name)  treat the section named `name` as unchanged
 *   KPATCH_FORCE_UNSAFE(fn)      patch fn although a rule would refuse it
 *   KPATCH_PRE_PATCH_CALLBACK(fn)     int fn(patch_object *obj), may refuse the patch
 *   KPATCH_POST_PATCH_CALLBACK(fn)    void fn(patch_object *obj)
 *   KPATCH_PRE_UNPATCH_CALLBACK(fn)   void fn(patch_object *obj)
 *   KPATCH_POST_UNPATCH_CALLBACK(fn)  void fn(patch_object *obj)
 *
 * A callback runs around the transition of the object (vmlinux or the module) that the
 * unit defining it links into, as with <lpb/livepatch.h> (Documentation/livepatch/callbacks.rst).
 */
#ifndef LPB_KPATCH_MACROS_H
#define LPB_KPATCH_MACROS_H

#include <linux/compiler.h>
#include <linux/livepatch.h>

/* kpatch-build's name for the object a callback is called for. */
typedef struct klp_object patch_object;

#define KPATCH_IGNORE_SECTION(_sec)						\
	static const char *__UNIQUE_ID(kpatch_ignore_section_) __used		\
	__section(".kpatch.ignore.sections") = _sec

#define KPATCH_IGNORE_FUNCTION(_fn)						\
	static void *__kpatch_ignore_func_##_fn __used				\
	__section(".kpatch.ignore.functions") = (void *)_fn

#define KPATCH_FORCE_UNSAFE(_fn)						\
	static void *__kpatch_force_func_##_fn __used				\
	__section(".kpatch.force") = (void *)_fn

struct kpatch_pre_patch_callback {
	int (*fn)(patch_object *obj);
	char *objname;	/* filled in by the builder: the object the unit links into */
};
struct kpatch_post_patch_callback {
	void (*fn)(patch_object *obj);
	char *objname;
};
struct kpatch_pre_unpatch_callback {
	void (*fn)(patch_object *obj);
	char *objname;
};
struct kpatch_post_unpatch_callback {
	void (*fn)(patch_object *obj);
	char *objname;
};

#define __KPATCH_CALLBACK(kind, _fn)						\
	static struct kpatch_##kind##_callback kpatch_##kind##_data __used	\
	__section(".kpatch.callbacks." #kind) = {				\
		.fn = _fn,							\
		.objname = NULL,						\
	}

#define KPATCH_PRE_PATCH_CALLBACK(_fn)    __KPATCH_CALLBACK(pre_patch, _fn)
#define KPATCH_POST_PATCH_CALLBACK(_fn)   __KPATCH_CALLBACK(post_patch, _fn)
#define KPATCH_PRE_UNPATCH_CALLBACK(_fn)  __KPATCH_CALLBACK(pre_unpatch, _fn)
#define KPATCH_POST_UNPATCH_CALLBACK(_fn) __KPATCH_CALLBACK(post_unpatch, _fn)

#endif /* LPB_KPATCH_MACROS_H */
