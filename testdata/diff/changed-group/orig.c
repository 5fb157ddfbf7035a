/*
 * A function in a COMDAT section group (as the assembler makes for
 * `.section ...,"axG",@progbits,SIG,comdat`) changes.  The linker keeps one
 * copy of each group by signature, so a changed group member cannot be
 * patched safely.
 */
#include <lpb-kernel.h>

#if defined(__x86_64__) || defined(__aarch64__)
#define LPB_RET "ret"
#elif defined(__powerpc64__)
#define LPB_RET "blr"
#elif defined(__s390x__)
#define LPB_RET "br %r14"
#elif defined(__loongarch__)
#define LPB_RET "jr $ra"
#endif

#define LPB_GROUP_BODY LPB_RET

asm(".section .text.lpb_grp,\"axG\",@progbits,lpb_grp,comdat\n"
    ".globl lpb_grp\n"
    ".type lpb_grp, @function\n"
    "lpb_grp:\n"
    "\t" LPB_GROUP_BODY "\n"
    ".size lpb_grp, . - lpb_grp\n"
    ".previous\n");

extern int lpb_grp(int x);

int lpb_grp_user(int x)
{
	return lpb_grp(x) + 1;
}
