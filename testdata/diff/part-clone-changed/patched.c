/*
 * GCC's partial inlining splits lpb_lookup(): the cheap NULL test is inlined
 * into the callers and the loop becomes lpb_lookup.part.0.  The patch changes
 * a message inside the split-off part only.
 */
#include <lpb-kernel.h>

struct lpb_table {
	int n;
	int keys[64];
	int vals[64];
};

extern int lpb_fixup(int i);

int lpb_lookup(struct lpb_table *t, int key)
{
	int i;

	if (likely(!t))
		return -1;
	for (i = 0; i < t->n; i++) {
		if (t->keys[i] == key) {
			pr_info("lpb: found %d at %d\n", key, i);
			return t->vals[i] + lpb_fixup(i);
		}
	}
	pr_info("lpb: key %d not found\n", key);
	return -2;
}

int lpb_lookup_a(struct lpb_table *t)
{
	return lpb_lookup(t, 1);
}

int lpb_lookup_b(struct lpb_table *t)
{
	return lpb_lookup(t, 2);
}
