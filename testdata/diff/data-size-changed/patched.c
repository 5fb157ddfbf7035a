/* The patch grows a static array by one element. */
#include <lpb-kernel.h>

static int lpb_table[5] = { 1, 2, 3, 4, 5 };

void lpb_table_set(unsigned int i, int v)
{
	lpb_table[i % ARRAY_SIZE(lpb_table)] = v;
}

int lpb_table_sum(void)
{
	int i, s = 0;

	for (i = 0; i < ARRAY_SIZE(lpb_table); i++)
		s += lpb_table[i];
	return s;
}
