/* num.h - the few rounding helpers mlrun needs, without libm: one shared library less to map
 * and relocate at every start (docs/performance.md, "Supervisor memory"). Exact for the
 * magnitudes used here (|x| < 2^52); NaN and larger values pass through unchanged. */
#pragma once

#define NUM_EXACT_LIMIT 4503599627370496.0 /* 2^52: from here on every double is an integer */

static inline double num_floor(double x)
{
	if (!(x > -NUM_EXACT_LIMIT && x < NUM_EXACT_LIMIT))
		return x;
	double t = (double)(long long)x; /* truncates toward zero */
	return t > x ? t - 1 : t;
}

static inline double num_ceil(double x)
{
	return -num_floor(-x);
}

/* Half away from zero, as round(3). */
static inline double num_round(double x)
{
	return x < 0 ? -num_floor(-x + 0.5) : num_floor(x + 0.5);
}

static inline double num_max(double a, double b)
{
	return a > b ? a : b;
}

/* The largest power of ten <= x, for x > 0. */
static inline double num_pow10_floor(double x)
{
	double p = 1;
	while (p > x)
		p /= 10;
	while (p * 10 <= x)
		p *= 10;
	return p;
}
