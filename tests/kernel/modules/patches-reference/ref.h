/* Hand-written reference livepatches for testdata/patches (validation only).
 * Non-exported kernel symbols come from System.map (no KASLR in the test
 * kernel): LPB_ADDR_<name> is defined on the command line. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>
#define SYM(type, name) ((type)LPB_ADDR_##name)

#define LPB_REF_PATCH(objname_, ...)					\
static struct klp_func funcs[] = { __VA_ARGS__, { } };			\
static struct klp_object objs[] = { { .name = objname_, .funcs = funcs, LPB_REF_CALLBACKS }, { } }; \
static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };	\
static int __init lpref_init(void) { return klp_enable_patch(&patch); }	\
static void __exit lpref_exit(void) { }					\
module_init(lpref_init); module_exit(lpref_exit);			\
MODULE_LICENSE("GPL"); MODULE_INFO(livepatch, "Y");
#ifndef LPB_REF_CALLBACKS
#define LPB_REF_CALLBACKS
#endif
