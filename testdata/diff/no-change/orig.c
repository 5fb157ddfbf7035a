/*
 * patched.c is a byte-for-byte copy of this file: every construct of
 * lpb-kernel.h is here, and nothing may be reported as changed.
 */
#include <lpb-kernel.h>

DEFINE_STATIC_KEY_FALSE(lpb_nc_key);

extern int lpb_ext(int x);
extern void __cold lpb_report(const char *what, int where);

int lpb_nc_data = 5;
static int lpb_nc_table[3] = { 1, 2, 3 };
const char lpb_nc_name[] = "no-change";
static int lpb_nc_unknown[2] __section(".lpb_unknown") __used = { 1, 2 };

static noinline int lpb_nc_scale(int v, int factor)
{
	int i, s = 0;

	for (i = 0; i < v; i++)
		s += lpb_ext(i) * factor;
	return s;
}

int lpb_nc_a(int x)
{
	static int calls;

	might_sleep();
	calls++;
	if (WARN_ON(x < 0))
		return -1;
	WARN_ONCE(x == 3, "lpb: %s %d\n", __func__, x);
	if (static_branch_unlikely(&lpb_nc_key))
		return lpb_ext(x) + calls;
	return lpb_nc_scale(x, 3) + lpb_nc_table[x & 1] + lpb_nc_data;
}

int lpb_nc_b(const int *p, int n)
{
	int i, s = 0, v = 0;

	lpb_load_nofault(v, p);
	for (i = 0; i < n; i++) {
		if (p[i] < 0) {
			lpb_report(lpb_nc_name, i);
			return -1;
		}
		s += p[i];
	}
	return s + v + lpb_nc_scale(n, 3);
}

int notrace lpb_nc_c(int x)
{
	return lpb_ext(x) + 7;
}

int __init lpb_nc_init(void)
{
	pr_info("lpb: init\n");
	return lpb_nc_a(1);
}

static void __exit lpb_nc_exit(void)
{
	pr_info("lpb: exit\n");
}
