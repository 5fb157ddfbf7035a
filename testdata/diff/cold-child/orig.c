/*
 * The error path of lpb_process() calls a __cold function, so GCC moves it to
 * lpb_process.cold in .text.unlikely.lpb_process.  The patch changes a string
 * used only there.  lpb_other() has a .cold child too, and stays as it is.
 */
#include <lpb-kernel.h>

extern void __cold lpb_report(const char *what, int where);

int lpb_process(const int *buf, int n)
{
	int i, s = 0;

	for (i = 0; i < n; i++) {
		if (buf[i] < 0) {
			lpb_report("negative value", i);
			return -1;
		}
		s += buf[i];
	}
	return s;
}

int lpb_other(const int *buf, int n)
{
	int i, s = 1;

	for (i = 0; i < n; i++) {
		if (buf[i] == 0) {
			lpb_report("zero value", i);
			return -1;
		}
		s *= buf[i];
	}
	return s;
}
