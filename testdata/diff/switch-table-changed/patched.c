/*
 * A dense switch becomes a jump table in read-only data next to the function
 * (x86_64 builds use it too here: the kernel's -fno-jump-tables comes with
 * retpolines).  The patch changes one case: the function and its table go
 * into the output.
 */
#include <lpb-kernel.h>

extern int lpb_op(int code, int v);

int lpb_dispatch(int cmd, int v)
{
	switch (cmd) {
	case 0: return lpb_op(10, v);
	case 1: return lpb_op(11, v + 1);
	case 2: return lpb_op(12, v * 2);
	case 3: return lpb_op(13, v - 3);
	case 4: return lpb_op(14, v | 4);
	case 5: return lpb_op(15, v << 5);
	case 6: return lpb_op(16, v >> 6);
	case 7: return lpb_op(17, -v);
	default: return -22;
	}
}
