/* test_units.c - sizes, durations, counts, cores and booleans as users write them.
 * TAP on stdout; exit 1 on any failure. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

#include "tap.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define TiB (1024 * GiB)
#define UNL POLICY_UNLIMITED



/* want_rc 0: the value must be want; otherwise the call must fail with want_rc. */
struct u64_case {
	const char *in;
	int want_rc;
	uint64_t want;
};

static void run_u64(const char *what, int (*fn)(const char *, uint64_t *), const struct u64_case *c,
		    size_t n)
{
	char got[128];

	for (size_t i = 0; i < n; i++) {
		uint64_t v = 12345;
		int rc = fn(c[i].in, &v);
		int pass = rc == c[i].want_rc && (rc != 0 || v == c[i].want);

		snprintf(got, sizeof(got), "rc=%d value=%" PRIu64, rc, v);
		if (c[i].want_rc == 0)
			tap(pass, got, "%s '%s' = %" PRIu64, what, c[i].in, c[i].want);
		else
			tap(pass, got, "%s '%s' fails with %s", what, c[i].in,
			    c[i].want_rc == -ERANGE ? "ERANGE" : "EINVAL");
	}
}

static const struct u64_case sizes[] = {
	{ "0", 0, 0 },
	{ "1", 0, 1 },
	{ "4096", 0, 4096 },
	{ "10b", 0, 10 },
	{ "10B", 0, 10 },
	{ "1K", 0, KiB },
	{ "1k", 0, KiB },
	{ "1KB", 0, KiB },
	{ "1KiB", 0, KiB },
	{ "1kib", 0, KiB },
	{ "64M", 0, 64 * MiB },
	{ "64MiB", 0, 64 * MiB },
	{ "64mb", 0, 64 * MiB },
	{ "64 M", 0, 64 * MiB },
	{ "  256M  ", 0, 256 * MiB },
	{ "1G", 0, GiB },
	{ "1GiB", 0, GiB },
	{ "2T", 0, 2 * TiB },
	{ "1.5G", 0, GiB + GiB / 2 },
	{ "0.5K", 0, 512 },
	{ "16777215T", 0, 16777215 * TiB },
	{ "18446744073709551614", 0, UINT64_MAX - 1 },
	{ "unlimited", 0, UNL },
	{ "Unlimited", 0, UNL },
	{ "max", 0, UNL },
	{ "MAX", 0, UNL },
	{ "", -EINVAL, 0 },
	{ "   ", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "-64M", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ "1.5", -EINVAL, 0 },
	{ "1.", -EINVAL, 0 },
	{ ".5K", -EINVAL, 0 },
	{ "12Q", -EINVAL, 0 },
	{ "1KK", -EINVAL, 0 },
	{ "1Kx", -EINVAL, 0 },
	{ "1iB", -EINVAL, 0 },
	{ "K", -EINVAL, 0 },
	{ "1e3", -EINVAL, 0 },
	{ "0x10", -EINVAL, 0 },
	{ "1,5G", -EINVAL, 0 },
	{ "1 G B", -EINVAL, 0 },
	{ "1P", -EINVAL, 0 },
	{ "unlimitedx", -EINVAL, 0 },
	{ "16777216T", -ERANGE, 0 },
	{ "17179869184G", -ERANGE, 0 },
	{ "18446744073709551615", -ERANGE, 0 },
	{ "99999999999999999999", -ERANGE, 0 },
	{ "0.0001K", -ERANGE, 0 },
};

static const struct u64_case durations[] = {
	{ "1500ms", 0, 1500 },
	{ "10s", 0, 10000 },
	{ "2m", 0, 120000 },
	{ "1h", 0, 3600000 },
	{ "1.5s", 0, 1500 },
	{ "1.5", 0, 1500 },
	{ "10", 0, 10000 },
	{ "0.5m", 0, 30000 },
	{ "10S", 0, 10000 },
	{ "100MS", 0, 100 },
	{ " 5s ", 0, 5000 },
	{ "5 s", 0, 5000 },
	{ "1.2345s", 0, 1235 },
	{ "0.0015s", 0, 2 },
	{ "30d", 0, 30ULL * 86400000 },
	{ "1.5d", 0, 36ULL * 3600000 },
	{ "365d", 0, 365ULL * 86400000 },
	{ "8760h", 0, 365ULL * 86400000 },
	{ "25d", 0, 25ULL * 86400000 }, /* above INT_MAX ms: must not wrap anywhere */
	{ "0", 0, 0 }, /* 0 is 0, never "no limit": the policy keys refuse it */
	{ "0s", 0, 0 },
	{ "0ms", 0, 0 },
	{ "0.0", 0, 0 },
	{ "unlimited", 0, UNL },
	{ "max", 0, UNL },
	{ "", -EINVAL, 0 },
	{ "-1s", -EINVAL, 0 },
	{ "10x", -EINVAL, 0 },
	{ "s", -EINVAL, 0 },
	{ "1.s", -EINVAL, 0 },
	{ "1 h m", -EINVAL, 0 },
	{ "10sec", -EINVAL, 0 },
	{ "1dd", -EINVAL, 0 },
	{ "1day", -EINVAL, 0 },
	{ "1e3ms", -EINVAL, 0 },
	{ "never", -EINVAL, 0 },
	{ "0.4ms", -ERANGE, 0 },
	{ "365.001d", -ERANGE, 0 },
	{ "8761h", -ERANGE, 0 },
	{ "31536000001ms", -ERANGE, 0 },
	{ "5124095576030h", -ERANGE, 0 },
	{ "5124095576031h", -ERANGE, 0 },
	{ "99999999999999999999s", -ERANGE, 0 },
};

static const struct u64_case counts[] = {
	{ "0", 0, 0 },
	{ "64", 0, 64 },
	{ " 1024 ", 0, 1024 },
	{ "unlimited", 0, UNL },
	{ "-1", -EINVAL, 0 },
	{ "1.5", -EINVAL, 0 },
	{ "1K", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ "18446744073709551615", -ERANGE, 0 },
	{ "99999999999999999999", -ERANGE, 0 },
};

static void test_cpus(void)
{
	static const struct {
		const char *in;
		int want_rc;
		double want;
	} c[] = {
		{ "0.5", 0, 0.5 },     { "2", 0, 2.0 },	      { "1.25", 0, 1.25 },
		{ "0.01", 0, 0.01 },   { "unlimited", 0, 0.0 }, { "max", 0, 0.0 },
		{ "0", -ERANGE, 0 },   { "0.001", -ERANGE, 0 }, { "65537", -ERANGE, 0 },
		{ "-1", -EINVAL, 0 },  { "1e2", -EINVAL, 0 },	{ "nan", -EINVAL, 0 },
		{ "inf", -EINVAL, 0 }, { "", -EINVAL, 0 },	{ "2 cores", -EINVAL, 0 },
	};
	char got[64];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		double v = -1;
		int rc = parse_cpus(c[i].in, &v);

		snprintf(got, sizeof(got), "rc=%d value=%g", rc, v);
		tap(rc == c[i].want_rc && (rc != 0 || v == c[i].want), got, "cpus '%s' %s", c[i].in,
		    c[i].want_rc ? "is refused" : "parses");
	}
}

static void test_bools(void)
{
	static const struct {
		const char *in;
		int want_rc;
		bool want;
	} c[] = {
		{ "true", 0, true },   { "false", 0, false }, { "yes", 0, true },  { "no", 0, false },
		{ "on", 0, true },     { "off", 0, false },   { "1", 0, true },	   { "0", 0, false },
		{ "TRUE", 0, true },   { "Off", 0, false },   { "", -EINVAL, 0 },  { "2", -EINVAL, 0 },
		{ "truee", -EINVAL, 0 }, { "yes please", -EINVAL, 0 }, { "t", -EINVAL, 0 },
	};
	char got[64];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		bool v = !c[i].want;
		int rc = parse_bool(c[i].in, &v);

		snprintf(got, sizeof(got), "rc=%d value=%d", rc, v);
		tap(rc == c[i].want_rc && (rc != 0 || v == c[i].want), got, "bool '%s' %s", c[i].in,
		    c[i].want_rc ? "is refused" : (c[i].want ? "is true" : "is false"));
	}
}

static void test_null(void)
{
	uint64_t v;
	double d;
	bool b;

	tap(parse_size(NULL, &v) == -EINVAL && parse_duration_ms(NULL, &v) == -EINVAL &&
		    parse_count(NULL, &v) == -EINVAL && parse_cpus(NULL, &d) == -EINVAL &&
		    parse_bool(NULL, &b) == -EINVAL,
	    "a non-EINVAL return", "NULL input is EINVAL for every parser");
}

int main(void)
{
	run_u64("size", parse_size, sizes, sizeof(sizes) / sizeof(sizes[0]));
	run_u64("duration", parse_duration_ms, durations, sizeof(durations) / sizeof(durations[0]));
	run_u64("count", parse_count, counts, sizeof(counts) / sizeof(counts[0]));
	test_cpus();
	test_bools();
	test_null();
	return tap_done();
}
