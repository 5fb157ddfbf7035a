/*
 * The only reference to a static local is in the .cold part of a function.
 * The patch changes the cold path's message and adds a second static local,
 * which renumbers GCC's names: the variable must still be paired with the
 * original one, found through the .cold child.
 */
#include <lpb-kernel.h>

extern void __cold lpb_report(const char *what, int where);

int lpb_scan(const int *buf, int n)
{
	int i, s = 0;

	for (i = 0; i < n; i++) {
		if (buf[i] < 0) {
			static int failures;

			failures++;
			lpb_report("bad entry", failures);
			return -1;
		}
		s += buf[i];
	}
	return s;
}
