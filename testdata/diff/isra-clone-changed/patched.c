/*
 * GCC's IPA-SRA turns lpb_score() into lpb_score.isra.0, which takes the two
 * fields it reads instead of the pointer.  The patch changes the clone's body
 * only: its callers still call the same clone and do not change.
 */
#include <lpb-kernel.h>

struct lpb_cfg {
	int a, b, c, d;
	long pad[4];
};

static noinline int lpb_score(const struct lpb_cfg *c)
{
	return c->a * 5 + c->b;
}

int lpb_use_score(struct lpb_cfg *c)
{
	return lpb_score(c) + 1;
}

int lpb_use_score2(struct lpb_cfg *c)
{
	return lpb_score(c) + 2;
}
