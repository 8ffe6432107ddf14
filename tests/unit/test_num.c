/* test_num.c - lib/num.h, the libm-free rounding that reports, CPU counts and the profile's
 * scales use: known values, and floor's defining property over a sweep. TAP on stdout. */
#include <stdio.h>

#include "lib/num.h"

#include "tap.h"

static int check(double got, double want, const char *what)
{
	char g[64];
	snprintf(g, sizeof(g), "%.17g (want %.17g)", got, want);
	return tap(got == want, g, "%s", what);
}

int main(void)
{
	check(num_floor(2.5), 2, "floor 2.5");
	check(num_floor(-2.5), -3, "floor -2.5");
	check(num_floor(-3), -3, "floor -3");
	check(num_floor(0.0), 0, "floor 0");
	check(num_floor(1e300), 1e300, "floor of a huge value is itself");
	check(num_ceil(0.25), 1, "ceil 0.25 (a quarter of a CPU is one thread)");
	check(num_ceil(2), 2, "ceil 2");
	check(num_ceil(-0.5), 0, "ceil -0.5");
	check(num_round(12.34 * 10) / 10, 12.3, "12.34 ms to one decimal");
	check(num_round(12.35 * 10) / 10, 12.4, "12.35 ms to one decimal (123.5 rounds up)");
	check(num_round(2.5), 3, "round half away from zero");
	check(num_round(-2.5), -3, "round -2.5");
	check(num_max(1, 2), 2, "max");
	check(num_pow10_floor(0.037), 0.01, "power of ten under 0.037");
	check(num_pow10_floor(1), 1, "power of ten under 1");
	check(num_pow10_floor(999), 100, "power of ten under 999");
	check(num_pow10_floor(1000), 1000, "power of ten under 1000");

	int bad = 0;
	for (double x = -1000; x <= 1000; x += 0.37) {
		double f = num_floor(x);
		if (!(f <= x && x < f + 1 && f == (double)(long long)f))
			bad++;
	}
	tap(bad == 0, NULL, "floor(x) <= x < floor(x) + 1, an integer, over [-1000, 1000]");
	return tap_done();
}
