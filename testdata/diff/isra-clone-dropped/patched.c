/*
 * The original build has lpb_score.isra.0 (IPA-SRA passes the two fields read
 * instead of the pointer).  The patch makes lpb_score() hand the whole struct
 * to another function, so GCC can no longer do that: the patched object has a
 * plain lpb_score() and both callers now call it instead of the clone.
 */
#include <lpb-kernel.h>

struct lpb_cfg {
	int a, b, c, d;
	long pad[4];
};

extern int lpb_cfg_check(const struct lpb_cfg *c);

static noinline int lpb_score(const struct lpb_cfg *c)
{
	return c->a * 3 + c->b + lpb_cfg_check(c);
}

int lpb_use_score(struct lpb_cfg *c)
{
	return lpb_score(c) + 1;
}

int lpb_use_score2(struct lpb_cfg *c)
{
	return lpb_score(c) + 2;
}
