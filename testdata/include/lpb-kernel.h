/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lpb-kernel.h - a small, self-contained stand-in for the Linux 6.12 headers,
 * used by the `lp-build diff` behaviour tests (testdata/diff/<case>/{orig,patched}.c).
 *
 * Compile with -nostdinc -ffreestanding and the kernel-like flags that
 * tests/diff/run_cases.py passes for each architecture.  Nothing here is
 * ever linked or run: the tests only look at the relocatable objects.
 *
 * Every construct below copies the exact assembly that Linux 6.12 emits for
 * it on each architecture (arch/<arch>/include/asm/{bug,jump_label,asm-extable,
 * extable}.h, include/linux/{init,compiler_types,once_lite,static_call}.h),
 * with CONFIG_GENERIC_BUG, CONFIG_DEBUG_BUGVERBOSE,
 * CONFIG_GENERIC_BUG_RELATIVE_POINTERS, CONFIG_JUMP_LABEL and (x86)
 * CONFIG_OBJTOOL / CONFIG_HAVE_STATIC_CALL_INLINE as a distribution kernel has
 * them.  Entry sizes that result, per architecture:
 *
 *              __bug_table  __ex_table  __jump_table  .static_call_sites
 *   x86_64         12          12           16              8
 *   ppc64le        12           8           16              -
 *   aarch64        12          12           16              -
 *   s390x          12          12           16              -
 *   loongarch64    12          12           16              -
 *
 * Left out, per architecture:
 *   - static calls exist only on x86_64 (the only architecture with
 *     CONFIG_HAVE_STATIC_CALL_INLINE); their .static_call_sites entries are
 *     written by objtool in a real build, so LPB_STATIC_CALL() emits the call
 *     and the entry itself from inline asm, as objtool would have.
 *   - objtool's other output (.orc_unwind*, __pfx_ symbols, .retpoline_sites,
 *     .return_sites, .call_sites, .ibt_endbr_seal) is not emulated: the
 *     compiler never produces it.
 *   - instrumentation_begin()/end() emit nothing (CONFIG_NOINSTR_VALIDATION
 *     is off in distribution kernels).
 *   - printk index (.printk_index, CONFIG_PRINTK_INDEX) is off.
 */
#ifndef LPB_KERNEL_H
#define LPB_KERNEL_H

#if !defined(__x86_64__) && !defined(__powerpc64__) && !defined(__aarch64__) && \
    !defined(__s390x__) && !(defined(__loongarch__) && __loongarch_grlen == 64)
#error "lpb-kernel.h: unsupported architecture"
#endif

/* ---------------------------------------------------------------- types */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef unsigned long size_t;
typedef long ssize_t;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

typedef struct {
	int counter;
} atomic_t;

/* ------------------------------------------------------- compiler glue */

#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)
#define ___PASTE(a, b) a##b
#define __PASTE(a, b) ___PASTE(a, b)

#define __section(s) __attribute__((__section__(s)))
#define __used __attribute__((__used__))
#define __maybe_unused __attribute__((__unused__))
#define __aligned(x) __attribute__((__aligned__(x)))
#define __cold __attribute__((__cold__))
#define __noreturn __attribute__((__noreturn__))
#define __packed __attribute__((__packed__))
#define __printf(a, b) __attribute__((__format__(printf, a, b)))
#define noinline __attribute__((__noinline__))
#define __always_inline inline __attribute__((__always_inline__))
#define asm_inline asm __inline
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() __asm__ __volatile__("" : : : "memory")
#define unreachable() __builtin_unreachable()
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val) do { *(volatile __typeof__(x) *)&(x) = (val); } while (0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * notrace: include/linux/compiler_types.h.  arm64 builds with
 * -fpatchable-function-entry (CC_USING_PATCHABLE_FUNCTION_ENTRY), where
 * no_instrument_function would not remove the NOPs; everybody else here
 * builds with -pg (x86_64 -mfentry, s390x -mfentry -mnop-mcount, ppc64le
 * -mprofile-kernel, loongarch64 with clang -pg since clang 16 has no
 * -fpatchable-function-entry for LoongArch), where it suppresses the
 * __fentry__/_mcount/mcount call.
 */
#if defined(__aarch64__)
#define notrace __attribute__((patchable_function_entry(0, 0)))
#else
#define notrace __attribute__((__no_instrument_function__))
#endif

/* include/linux/init.h (built-in code: __exitused is __used). */
#define __init __section(".init.text") __cold
#define __initdata __section(".init.data")
#define __initconst __section(".init.rodata")
#define __exit __section(".exit.text") __used __cold notrace
#define __exitdata __section(".exit.data")

/* Text sections of their own (include/linux/sched/debug.h, compiler_types.h, kprobes.h). */
#define __sched __section(".sched.text")
#define __kprobes __section(".kprobes.text")
#define noinstr noinline notrace __section(".noinstr.text")

/* EXPORT_SYMBOL: nothing fancy, a __ksymtab-free marker. */
#define EXPORT_SYMBOL(sym) extern __typeof__(sym) sym
#define EXPORT_SYMBOL_GPL(sym) extern __typeof__(sym) sym

/* ----------------------------------------------------------- printk */

#define KERN_SOH "\001"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"

extern __printf(1, 2) int _printk(const char *fmt, ...);
#define printk(fmt, ...) _printk(fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...) printk(KERN_ERR fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO fmt, ##__VA_ARGS__)

/* ------------------------------------------------------- might_sleep */

extern void __might_sleep(const char *file, int line);
extern void __cond_resched(void);
#define might_resched() __cond_resched()
#define might_sleep()                                   \
	do {                                            \
		__might_sleep(__FILE__, __LINE__);      \
		might_resched();                        \
	} while (0)

/* ----------------------------------------------------------- BUG/WARN */

#define BUGFLAG_WARNING (1 << 0)
#define BUGFLAG_ONCE (1 << 1)
#define BUGFLAG_DONE (1 << 2)
#define BUGFLAG_NO_CUT_HERE (1 << 3)
#define BUGFLAG_TAINT(taint) ((taint) << 8)
#define TAINT_WARN 9

/* include/asm-generic/bug.h with CONFIG_GENERIC_BUG_RELATIVE_POINTERS */
struct bug_entry {
	signed int bug_addr_disp;
	signed int file_disp;
	unsigned short line;
	unsigned short flags;
};

extern __printf(1, 2) void __warn_printk(const char *fmt, ...);

#if defined(__x86_64__)
/* arch/x86/include/asm/bug.h + objtool's ASM_REACHABLE (include/linux/objtool.h) */
#define ASM_UD2 ".byte 0x0f, 0x0b"
#define __BUG_REL(val) ".long " __stringify(val) " - ."
#define ASM_REACHABLE                                           \
	"998:\n\t"                                              \
	".pushsection .discard.reachable\n\t"                   \
	".long 998b\n\t"                                        \
	".popsection\n\t"
#define _BUG_FLAGS(ins, flags, extra)                                   \
	do {                                                            \
		asm_inline volatile("1:\t" ins "\n"                     \
			".pushsection __bug_table,\"aw\"\n"             \
			"2:\t" __BUG_REL(1b) "\t# bug_entry::bug_addr\n" \
			"\t" __BUG_REL(%c0) "\t# bug_entry::file\n"     \
			"\t.word %c1" "\t# bug_entry::line\n"           \
			"\t.word %c2" "\t# bug_entry::flags\n"          \
			"\t.org 2b+%c3\n"                               \
			".popsection\n"                                 \
			extra                                           \
			: : "i" (__FILE__), "i" (__LINE__),             \
			    "i" (flags),                                \
			    "i" (sizeof(struct bug_entry)));            \
	} while (0)
#define BUG()                                   \
	do {                                    \
		_BUG_FLAGS(ASM_UD2, 0, "");     \
		__builtin_unreachable();        \
	} while (0)
#define __WARN_FLAGS(flags)                                             \
	do {                                                            \
		__auto_type __flags = BUGFLAG_WARNING | (flags);        \
		_BUG_FLAGS(ASM_UD2, __flags, ASM_REACHABLE);            \
	} while (0)

#elif defined(__powerpc64__)
/* arch/powerpc/include/asm/bug.h (PPC64: WARN_ON uses tdnei on the condition) */
#define _EMIT_BUG_ENTRY                         \
	".section __bug_table,\"aw\"\n"         \
	"2:	.4byte 1b - .\n"                \
	"	.4byte %0 - .\n"                \
	"	.short %1, %2\n"                \
	".org 2b+%3\n"                          \
	".previous\n"
#define BUG_ENTRY(insn, flags, ...)                     \
	__asm__ __volatile__(                           \
		"1:	" insn "\n"                     \
		_EMIT_BUG_ENTRY                         \
		: : "i" (__FILE__), "i" (__LINE__),     \
		  "i" (flags),                          \
		  "i" (sizeof(struct bug_entry)),       \
		  ##__VA_ARGS__)
#define BUG()                                   \
	do {                                    \
		BUG_ENTRY("twi 31, 0, 0", 0);   \
		unreachable();                  \
	} while (0)
#define __WARN_FLAGS(flags) BUG_ENTRY("twi 31, 0, 0", BUGFLAG_WARNING | (flags))
#define WARN_ON(x) ({                                                   \
	int __ret_warn_on = !!(x);                                      \
	if (__builtin_constant_p(__ret_warn_on)) {                      \
		if (__ret_warn_on)                                      \
			__WARN();                                       \
	} else {                                                        \
		BUG_ENTRY("tdnei %4, 0",                                \
			  BUGFLAG_WARNING | BUGFLAG_TAINT(TAINT_WARN),  \
			  "r" (__ret_warn_on));                         \
	}                                                               \
	unlikely(__ret_warn_on);                                        \
})

#elif defined(__aarch64__)
/* arch/arm64/include/asm/asm-bug.h + bug.h */
#define __BUGVERBOSE_LOCATION(file, line)                       \
		.pushsection .rodata.str,"aMS",@progbits,1;     \
	14472:	.string file;                                   \
		.popsection;                                    \
								\
		.long 14472b - .;                               \
		.short line;
#define __BUG_ENTRY(flags)                              \
		.pushsection __bug_table,"aw";          \
		.align 2;                               \
	14470:	.long 14471f - .;                       \
	__BUGVERBOSE_LOCATION(__FILE__, __LINE__)       \
		.short flags;                           \
		.align 2;                               \
		.popsection;                            \
	14471:
#define ASM_BUG_FLAGS(flags)    \
	__BUG_ENTRY(flags)      \
	brk	0x800
#define __BUG_FLAGS(flags) asm volatile(__stringify(ASM_BUG_FLAGS(flags)));
#define BUG()                           \
	do {                            \
		__BUG_FLAGS(0);         \
		unreachable();          \
	} while (0)
#define __WARN_FLAGS(flags) __BUG_FLAGS(BUGFLAG_WARNING | (flags))

#elif defined(__s390x__)
/* arch/s390/include/asm/bug.h */
#define __EMIT_BUG(x)                                           \
	do {                                                    \
		asm_inline volatile(                            \
			"0:	mc	0,0\n"                  \
			".section .rodata.str,\"aMS\",@progbits,1\n" \
			"1:	.asciz	\"" __FILE__ "\"\n"     \
			".previous\n"                           \
			".section __bug_table,\"aw\"\n"         \
			"2:	.long	0b-.\n"                 \
			"	.long	1b-.\n"                 \
			"	.short	%0,%1\n"                \
			"	.org	2b+%2\n"                \
			".previous\n"                           \
			: : "i" (__LINE__),                     \
			    "i" (x),                            \
			    "i" (sizeof(struct bug_entry)));    \
	} while (0)
#define BUG()                           \
	do {                            \
		__EMIT_BUG(0);          \
		unreachable();          \
	} while (0)
#define __WARN_FLAGS(flags)                             \
	do {                                            \
		__EMIT_BUG(BUGFLAG_WARNING | (flags));  \
	} while (0)
#define WARN_ON(x) ({                                   \
	int __ret_warn_on = !!(x);                      \
	if (__builtin_constant_p(__ret_warn_on)) {      \
		if (__ret_warn_on)                      \
			__WARN();                       \
	} else {                                        \
		if (unlikely(__ret_warn_on))            \
			__WARN();                       \
	}                                               \
	unlikely(__ret_warn_on);                        \
})

#elif defined(__loongarch__)
/* arch/loongarch/include/asm/bug.h (BRK_BUG is 1) */
#define __BUGVERBOSE_LOCATION(file, line)                       \
		.pushsection .rodata.str, "aMS", @progbits, 1;  \
	10002:	.string file;                                   \
		.popsection;                                    \
								\
		.long 10002b - .;                               \
		.short line;
#define __BUG_ENTRY(flags)                                      \
		.pushsection __bug_table, "aw";                 \
		.align 2;                                       \
	10000:	.long 10001f - .;                               \
		__BUGVERBOSE_LOCATION(__FILE__, __LINE__)       \
		.short flags;                                   \
		.popsection;                                    \
	10001:
#define ASM_BUG_FLAGS(flags)    \
	__BUG_ENTRY(flags)      \
	break		1;
#define __BUG_FLAGS(flags, extra) \
	asm_inline volatile (__stringify(ASM_BUG_FLAGS(flags)) extra);
#define __WARN_FLAGS(flags)                                     \
	do {                                                    \
		__BUG_FLAGS(BUGFLAG_WARNING | (flags), "");     \
	} while (0)
#define BUG()                           \
	do {                            \
		__BUG_FLAGS(0, "");     \
		unreachable();          \
	} while (0)
#endif

/* include/asm-generic/bug.h, the __WARN_FLAGS flavour */
#define __WARN() __WARN_FLAGS(BUGFLAG_TAINT(TAINT_WARN))
#define __WARN_printf(taint, arg...)                                    \
	do {                                                            \
		__warn_printk(arg);                                     \
		__WARN_FLAGS(BUGFLAG_NO_CUT_HERE | BUGFLAG_TAINT(taint)); \
	} while (0)
#ifndef WARN_ON
#define WARN_ON(condition) ({                                           \
	int __ret_warn_on = !!(condition);                              \
	if (unlikely(__ret_warn_on))                                    \
		__WARN();                                               \
	unlikely(__ret_warn_on);                                        \
})
#endif
#define WARN(condition, format...) ({                                   \
	int __ret_warn_on = !!(condition);                              \
	if (unlikely(__ret_warn_on))                                    \
		__WARN_printf(TAINT_WARN, format);                      \
	unlikely(__ret_warn_on);                                        \
})
#define WARN_ON_ONCE(condition) ({                                      \
	int __ret_warn_on = !!(condition);                              \
	if (unlikely(__ret_warn_on))                                    \
		__WARN_FLAGS(BUGFLAG_ONCE | BUGFLAG_TAINT(TAINT_WARN)); \
	unlikely(__ret_warn_on);                                        \
})
#define BUG_ON(condition) do { if (unlikely(condition)) BUG(); } while (0)

/* include/linux/once_lite.h: the __already_done special static */
#define __ONCE_LITE_IF(condition)                                       \
	({                                                              \
		static bool __section(".data..once") __already_done;    \
		bool __ret_cond = !!(condition);                        \
		bool __ret_once = false;                                \
									\
		if (unlikely(__ret_cond && !__already_done)) {          \
			__already_done = true;                          \
			__ret_once = true;                              \
		}                                                       \
		unlikely(__ret_once);                                   \
	})
#define DO_ONCE_LITE_IF(condition, func, ...)                           \
	({                                                              \
		bool __ret_do_once = !!(condition);                     \
									\
		if (__ONCE_LITE_IF(__ret_do_once))                      \
			func(__VA_ARGS__);                              \
									\
		unlikely(__ret_do_once);                                \
	})
#define WARN_ONCE(condition, format...) \
	DO_ONCE_LITE_IF(condition, WARN, 1, format)
#define printk_once(fmt, ...) \
	DO_ONCE_LITE_IF(true, printk, fmt, ##__VA_ARGS__)

/* include/linux/rcupdate.h RCU_LOCKDEP_WARN: the __warned special static */
extern void lockdep_rcu_suspicious(const char *file, const int line, const char *s);
#define RCU_LOCKDEP_WARN(c, s)                                          \
	do {                                                            \
		static bool __section(".data..unlikely") __warned;      \
		if ((c) && !__warned) {                                 \
			__warned = true;                                \
			lockdep_rcu_suspicious(__FILE__, __LINE__, s);  \
		}                                                       \
	} while (0)

/* ------------------------------------------------------- static keys */

struct static_key {
	atomic_t enabled;
	union {
		unsigned long type;
		struct jump_entry *entries;
		struct static_key_mod *next;
	};
};
struct static_key_true {
	struct static_key key;
};
struct static_key_false {
	struct static_key key;
};

#define JUMP_TYPE_FALSE 0UL
#define JUMP_TYPE_TRUE 1UL
#define STATIC_KEY_INIT_TRUE { .enabled = { 1 }, { .type = JUMP_TYPE_TRUE } }
#define STATIC_KEY_INIT_FALSE { .enabled = { 0 }, { .type = JUMP_TYPE_FALSE } }
#define STATIC_KEY_TRUE_INIT (struct static_key_true) { .key = STATIC_KEY_INIT_TRUE, }
#define STATIC_KEY_FALSE_INIT (struct static_key_false) { .key = STATIC_KEY_INIT_FALSE, }
#define DEFINE_STATIC_KEY_TRUE(name) struct static_key_true name = STATIC_KEY_TRUE_INIT
#define DEFINE_STATIC_KEY_FALSE(name) struct static_key_false name = STATIC_KEY_FALSE_INIT
#define DECLARE_STATIC_KEY_FALSE(name) extern struct static_key_false name
#define DECLARE_STATIC_KEY_TRUE(name) extern struct static_key_true name

#if defined(__x86_64__)
/* arch/x86/include/asm/jump_label.h (!CONFIG_HAVE_JUMP_LABEL_HACK: a 5-byte NOP) */
#define JUMP_TABLE_ENTRY                                \
	".pushsection __jump_table,  \"aw\" \n\t"       \
	".balign 8\n\t"                                 \
	".long 1b - . \n\t"                             \
	".long %l[l_yes] - . \n\t"                      \
	".quad %c0 + %c1 - .\n\t"                       \
	".popsection \n\t"
static __always_inline bool arch_static_branch(struct static_key *const key, const bool branch)
{
	asm goto("1:"
		 ".byte 0x0f,0x1f,0x44,0x00,0x00\n\t"
		 JUMP_TABLE_ENTRY
		 : : "i" (key), "i" (branch) : : l_yes);
	return false;
l_yes:
	return true;
}
static __always_inline bool arch_static_branch_jump(struct static_key *const key, const bool branch)
{
	asm goto("1:"
		 "jmp %l[l_yes]\n\t"
		 JUMP_TABLE_ENTRY
		 : : "i" (key), "i" (branch) : : l_yes);
	return false;
l_yes:
	return true;
}
#elif defined(__powerpc64__)
/* arch/powerpc/include/asm/jump_label.h (FTR_ENTRY_LONG is .8byte) */
static __always_inline bool arch_static_branch(struct static_key *key, bool branch)
{
	asm goto("1:\n\t"
		 "nop # arch_static_branch\n\t"
		 ".pushsection __jump_table,  \"aw\"\n\t"
		 ".long 1b - ., %l[l_yes] - .\n\t"
		 ".8byte %c0 - .\n\t"
		 ".popsection \n\t"
		 : : "i" (&((char *)key)[branch]) : : l_yes);
	return false;
l_yes:
	return true;
}
static __always_inline bool arch_static_branch_jump(struct static_key *key, bool branch)
{
	asm goto("1:\n\t"
		 "b %l[l_yes] # arch_static_branch_jump\n\t"
		 ".pushsection __jump_table,  \"aw\"\n\t"
		 ".long 1b - ., %l[l_yes] - .\n\t"
		 ".8byte %c0 - .\n\t"
		 ".popsection \n\t"
		 : : "i" (&((char *)key)[branch]) : : l_yes);
	return false;
l_yes:
	return true;
}
#elif defined(__aarch64__)
/* arch/arm64/include/asm/jump_label.h */
#define JUMP_TABLE_ENTRY(key, label)                    \
	".pushsection	__jump_table, \"aw\"\n\t"       \
	".align		3\n\t"                          \
	".long		1b - ., %l["#label"] - .\n\t"   \
	".quad		%c0 - .\n\t"                    \
	".popsection\n\t"                               \
	:  :  "i"(key) :  : label
static __always_inline bool arch_static_branch(struct static_key *const key, const bool branch)
{
	char *k = &((char *)key)[branch];

	asm goto(
		"1:	nop					\n\t"
		JUMP_TABLE_ENTRY(k, l_yes)
		);
	return false;
l_yes:
	return true;
}
static __always_inline bool arch_static_branch_jump(struct static_key *const key, const bool branch)
{
	char *k = &((char *)key)[branch];

	asm goto(
		"1:	b		%l[l_yes]		\n\t"
		JUMP_TABLE_ENTRY(k, l_yes)
		);
	return false;
l_yes:
	return true;
}
#elif defined(__s390x__)
/* arch/s390/include/asm/jump_label.h (GCC >= 9: the "jdd" constraint) */
static __always_inline bool arch_static_branch(struct static_key *key, bool branch)
{
	asm goto("0:	brcl 0,%l[label]\n"
		 ".pushsection __jump_table,\"aw\"\n"
		 ".balign	8\n"
		 ".long	0b-.,%l[label]-.\n"
		 ".quad	%0+%1-.\n"
		 ".popsection\n"
		 : : "jdd" (key), "i" (branch) : : label);
	return false;
label:
	return true;
}
static __always_inline bool arch_static_branch_jump(struct static_key *key, bool branch)
{
	asm goto("0:	brcl 15,%l[label]\n"
		 ".pushsection __jump_table,\"aw\"\n"
		 ".balign	8\n"
		 ".long	0b-.,%l[label]-.\n"
		 ".quad	%0+%1-.\n"
		 ".popsection\n"
		 : : "jdd" (key), "i" (branch) : : label);
	return false;
label:
	return true;
}
#elif defined(__loongarch__)
/* arch/loongarch/include/asm/jump_label.h */
#define JUMP_TABLE_ENTRY                                \
	 ".pushsection	__jump_table, \"aw\"	\n\t"   \
	 ".align	3			\n\t"   \
	 ".long		1b - ., %l[l_yes] - .	\n\t"   \
	 ".quad		%0 - .			\n\t"   \
	 ".popsection				\n\t"
static __always_inline bool arch_static_branch(struct static_key *const key, const bool branch)
{
	asm goto(
		"1:	nop			\n\t"
		JUMP_TABLE_ENTRY
		:  :  "i"(&((char *)key)[branch]) :  : l_yes);
	return false;
l_yes:
	return true;
}
static __always_inline bool arch_static_branch_jump(struct static_key *const key, const bool branch)
{
	asm goto(
		"1:	b	%l[l_yes]	\n\t"
		JUMP_TABLE_ENTRY
		:  :  "i"(&((char *)key)[branch]) :  : l_yes);
	return false;
l_yes:
	return true;
}
#endif

/* include/linux/jump_label.h (only the type-checked common forms) */
#define static_branch_likely(x)                                                 \
	({                                                                      \
		bool branch;                                                    \
		if (__builtin_types_compatible_p(__typeof__(*x), struct static_key_true)) \
			branch = !arch_static_branch(&(x)->key, true);          \
		else                                                            \
			branch = !arch_static_branch_jump(&(x)->key, true);     \
		likely(branch);                                                 \
	})
#define static_branch_unlikely(x)                                               \
	({                                                                      \
		bool branch;                                                    \
		if (__builtin_types_compatible_p(__typeof__(*x), struct static_key_true)) \
			branch = arch_static_branch_jump(&(x)->key, false);     \
		else                                                            \
			branch = arch_static_branch(&(x)->key, false);          \
		unlikely(branch);                                               \
	})

/* ---------------------------------------------------- exception table */

/*
 * lpb_load_nofault(dst, ptr): one load that may fault, with an __ex_table
 * entry that resumes after it -- the shape of get_kernel_nofault()/__get_user().
 * Entry layouts: arch/x86/include/asm/asm.h (EX_TYPE_DEFAULT = 1),
 * arch/arm64/include/asm/asm-extable.h (EX_TYPE_KACCESS_ERR_ZERO = 3, no registers),
 * arch/powerpc/include/asm/extable.h (two relative words only),
 * arch/s390/include/asm/asm-extable.h (EX_TYPE_FIXUP = 1),
 * arch/loongarch/include/asm/asm-extable.h (EX_TYPE_FIXUP = 1).
 */
#if defined(__x86_64__)
#define lpb_load_nofault(dst, ptr)                                      \
	asm volatile("1:	movl (%1), %0\n"                        \
		     "2:\n"                                             \
		     " .pushsection \"__ex_table\",\"a\"\n"             \
		     " .balign 4\n"                                     \
		     " .long (1b) - .\n"                                \
		     " .long (2b) - .\n"                                \
		     " .long 1 \n"                                      \
		     " .popsection\n"                                   \
		     : "=r" (dst) : "r" (ptr) : "memory")
#elif defined(__powerpc64__)
#define lpb_load_nofault(dst, ptr)                                      \
	asm volatile("1:	lwz %0,0(%1)\n"                         \
		     "2:\n"                                             \
		     ".section __ex_table,\"a\";"                       \
		     ".balign 4;"                                       \
		     ".long (1b) - . ;"                                 \
		     ".long (2b) - . ;"                                 \
		     ".previous\n"                                      \
		     : "=r" (dst) : "b" (ptr) : "memory")
#elif defined(__aarch64__)
#define lpb_load_nofault(dst, ptr)                                      \
	asm volatile("1:	ldr %w0, [%1]\n"                        \
		     "2:\n"                                             \
		     ".pushsection	__ex_table, \"a\"\n"            \
		     ".align		2\n"                            \
		     ".long		((1b) - .)\n"                   \
		     ".long		((2b) - .)\n"                   \
		     ".short		(3)\n"                          \
		     ".short		(0)\n"                          \
		     ".popsection\n"                                    \
		     : "=r" (dst) : "r" (ptr) : "memory")
#elif defined(__s390x__)
#define lpb_load_nofault(dst, ptr)                                      \
	asm volatile("0:	l	%0,0(%1)\n"                     \
		     "1:\n"                                             \
		     ".section __ex_table,\"a\";"                       \
		     ".balign	4;"                                     \
		     ".long	(0b) - .;"                              \
		     ".long	(1b) - .;"                              \
		     ".short	(1);"                                   \
		     ".short	(0);"                                   \
		     ".previous\n"                                      \
		     : "=d" (dst) : "a" (ptr) : "memory")
#elif defined(__loongarch__)
#define lpb_load_nofault(dst, ptr)                                      \
	asm volatile("1:	ld.w %0, %1, 0\n"                       \
		     "2:\n"                                             \
		     ".pushsection	__ex_table, \"a\"\n"            \
		     ".balign	4\n"                                    \
		     ".long		((1b) - .)\n"                   \
		     ".long		((2b) - .)\n"                   \
		     ".short		(1)\n"                          \
		     ".short		(0)\n"                          \
		     ".popsection\n"                                    \
		     : "=r" (dst) : "r" (ptr) : "memory")
#endif

/* ------------------------------------------------------- static calls */

#if defined(__x86_64__)
/*
 * include/linux/static_call.h with CONFIG_HAVE_STATIC_CALL_INLINE, and
 * arch/x86/include/asm/static_call.h's trampoline (a jmp.d32, then ud1).
 * The call site and its .static_call_sites entry
 * (struct static_call_site { s32 addr; s32 key; }) are what objtool adds
 * to a plain `call __SCT__name`; here they come straight from inline asm.
 */
struct static_call_key {
	void *func;
	union {
		unsigned long type;
		struct static_call_mod *mods;
		struct static_call_site *sites;
	};
};
#define STATIC_CALL_KEY(name) __PASTE(__SCK__, name)
#define STATIC_CALL_TRAMP(name) __PASTE(__SCT__, name)
#define DECLARE_STATIC_CALL(name, func)                                 \
	extern struct static_call_key STATIC_CALL_KEY(name);            \
	extern __typeof__(func) STATIC_CALL_TRAMP(name)
#define ARCH_DEFINE_STATIC_CALL_TRAMP(name, func)                       \
	asm(".pushsection .static_call.text, \"ax\"\n"                  \
	    ".align 4\n"                                                \
	    ".globl " __stringify(STATIC_CALL_TRAMP(name)) "\n"         \
	    __stringify(STATIC_CALL_TRAMP(name)) ":\n"                  \
	    ".byte 0xe9; .long " #func " - (. + 4)\n"                  \
	    ".byte 0x0f, 0xb9, 0xcc\n"                                  \
	    ".type " __stringify(STATIC_CALL_TRAMP(name)) ", @function\n" \
	    ".size " __stringify(STATIC_CALL_TRAMP(name)) ", . - "      \
		__stringify(STATIC_CALL_TRAMP(name)) "\n"               \
	    ".popsection\n")
#define DEFINE_STATIC_CALL(name, _func)                                 \
	DECLARE_STATIC_CALL(name, _func);                               \
	struct static_call_key STATIC_CALL_KEY(name) = {                \
		.func = _func,                                          \
		.type = 1,                                              \
	};                                                              \
	ARCH_DEFINE_STATIC_CALL_TRAMP(name, _func)
/* A void(void) static call: `call __SCT__name` plus its .static_call_sites entry. */
#define LPB_STATIC_CALL(name)                                           \
	asm volatile("1:	call " __stringify(STATIC_CALL_TRAMP(name)) "\n" \
		     ".pushsection .static_call_sites, \"a\"\n"         \
		     ".align 4\n"                                       \
		     ".long 1b - .\n"                                   \
		     ".long " __stringify(STATIC_CALL_KEY(name)) " - .\n" \
		     ".popsection\n"                                    \
		     : : : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", \
		       "r10", "r11", "memory", "cc")
#endif

/* ------------------------------------------------------ kpatch macros */

/* kpatch's kmod/patch/kpatch-macros.h, callbacks and force/ignore markers */
struct kpatch_pre_patch_callback {
	int (*fn)(void *obj);
	char *objname;
};
struct kpatch_post_patch_callback {
	void (*fn)(void *obj);
	char *objname;
};
typedef int (*kpatch_pre_patch_call_t)(void *);
typedef void (*kpatch_post_patch_call_t)(void *);

#define KPATCH_PRE_PATCH_CALLBACK(_fn)                                  \
	static inline kpatch_pre_patch_call_t __pre_patchtest(void) { return _fn; } \
	static struct kpatch_pre_patch_callback kpatch_pre_patch_data   \
		__section(".kpatch.callbacks.pre_patch") __used = {     \
		.fn = _fn,                                              \
		.objname = NULL                                         \
	}
#define KPATCH_POST_PATCH_CALLBACK(_fn)                                 \
	static inline kpatch_post_patch_call_t __post_patchtest(void) { return _fn; } \
	static struct kpatch_post_patch_callback kpatch_post_patch_data \
		__section(".kpatch.callbacks.post_patch") __used = {    \
		.fn = _fn,                                              \
		.objname = NULL                                         \
	}
#define KPATCH_FORCE_UNSAFE(_fn) \
	void *__kpatch_force_func_##_fn __section(".kpatch.force") = _fn
#define KPATCH_IGNORE_FUNCTION(_fn) \
	void *__kpatch_ignore_func_##_fn __section(".kpatch.ignore.functions") = _fn

#endif /* LPB_KERNEL_H */
