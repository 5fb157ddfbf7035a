/*
 * The patch changes a 64-bit constant.  Depending on the architecture it is
 * built from immediates or loaded from a literal pool (.rodata.cst8, or
 * s390x's .LC labels), so only the pool entry may differ.  lpb_mask2() uses
 * an unchanged constant and must not be dragged in.
 */
#include <lpb-kernel.h>

u64 lpb_mask(u64 x)
{
	return x ^ 0x123456789abcdef1ULL;
}

u64 lpb_mask2(u64 x)
{
	return x ^ 0x0fedcba987654321ULL;
}
