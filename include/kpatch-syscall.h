/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch-syscall.h - lp-build's own header for syscall fixes written for kpatch-build.
 *
 * Why it exists: SYSCALL_DEFINEn(name, ...) puts the body in `static inline long
 * __do_sys_name(...)`, and the kernel's `inline` implies `notrace`. When the compiler
 * keeps __do_sys_name out of line (a large body), the function has no ftrace entry and
 * cannot be redirected; the fix would be refused. KPATCH_SYSCALL_DEFINEn(name, ...)
 * expands like SYSCALL_DEFINEn but names the body `__kpatch_do_sys_name` and leaves out
 * `inline`: to the differ it is a new function, and the wrapper that calls it
 * (__x64_sys_name, which has an ftrace entry) is what changes and is patched.
 * The syscall's tracing metadata (SYSCALL_METADATA) stays the running kernel's.
 *
 * Written from the kernel's own wrappers (arch/x86/include/asm/syscall_wrapper.h,
 * arch/arm64/include/asm/syscall_wrapper.h, Linux 6.12); other architectures get a
 * compile-time error rather than a wrapper that might not match theirs.
 */
#ifndef LPB_KPATCH_SYSCALL_H
#define LPB_KPATCH_SYSCALL_H

#include <linux/syscalls.h>
#include "kpatch-macros.h"

#define KPATCH_SYSCALL_DEFINE1(name, ...) KPATCH_SYSCALL_DEFINEx(1, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE2(name, ...) KPATCH_SYSCALL_DEFINEx(2, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE3(name, ...) KPATCH_SYSCALL_DEFINEx(3, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE4(name, ...) KPATCH_SYSCALL_DEFINEx(4, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE5(name, ...) KPATCH_SYSCALL_DEFINEx(5, _##name, __VA_ARGS__)
#define KPATCH_SYSCALL_DEFINE6(name, ...) KPATCH_SYSCALL_DEFINEx(6, _##name, __VA_ARGS__)

#define KPATCH_SYSCALL_DEFINEx(x, sname, ...) __KPATCH_SYSCALL_DEFINEx(x, sname, __VA_ARGS__)

/* What every architecture's wrapper calls: the sign-extending __se_sys and the body. */
#define __KPATCH_SE_SYS_AND_BODY(x, name, ...)					\
	static long __se_sys##name(__MAP(x, __SC_LONG, __VA_ARGS__))		\
	{									\
		long ret = __kpatch_do_sys##name(__MAP(x, __SC_CAST, __VA_ARGS__)); \
		__MAP(x, __SC_TEST, __VA_ARGS__);				\
		__PROTECT(x, ret, __MAP(x, __SC_ARGS, __VA_ARGS__));		\
		return ret;							\
	}									\
	static long __kpatch_do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__))

#define __KPATCH_SYS_DECLS(x, name, ...)					\
	static long __se_sys##name(__MAP(x, __SC_LONG, __VA_ARGS__));		\
	static long __kpatch_do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__));

#if defined(CONFIG_X86_64)
#define __KPATCH_SYSCALL_DEFINEx(x, name, ...)					\
	__KPATCH_SYS_DECLS(x, name, __VA_ARGS__)				\
	__X64_SYS_STUBx(x, name, __VA_ARGS__)					\
	__IA32_SYS_STUBx(x, name, __VA_ARGS__)					\
	__KPATCH_SE_SYS_AND_BODY(x, name, __VA_ARGS__)
#elif defined(CONFIG_ARM64)
#define __KPATCH_SYSCALL_DEFINEx(x, name, ...)					\
	asmlinkage long __arm64_sys##name(const struct pt_regs *regs);		\
	ALLOW_ERROR_INJECTION(__arm64_sys##name, ERRNO);			\
	__KPATCH_SYS_DECLS(x, name, __VA_ARGS__)				\
	asmlinkage long __arm64_sys##name(const struct pt_regs *regs)		\
	{									\
		return __se_sys##name(SC_ARM64_REGS_TO_ARGS(x, __VA_ARGS__));	\
	}									\
	__KPATCH_SE_SYS_AND_BODY(x, name, __VA_ARGS__)
#else
#error "kpatch-syscall.h: KPATCH_SYSCALL_DEFINE is written for x86_64 and arm64; use SYSCALL_DEFINE here"
#endif

#endif /* LPB_KPATCH_SYSCALL_H */
