/* units.c - sizes, durations, counts and booleans as people write them in policy files,
 * MLRUN_* variables and flags. Pure functions: no allocation, no OS state.
 *
 * Numbers are parsed by hand rather than with strtoull/strtod, which accept signs, leading
 * whitespace, hex, exponents and "nan", and silently wrap "-1" to UINT64_MAX - exactly the
 * value that means "unlimited" here. */
#include "policy.h"

#include "../lib/cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

/* Fraction digits beyond this change a value by less than a millionth of its unit. */
#define FRAC_DIGITS_MAX 9
#define MS_PER_S 1000ULL
#define MS_PER_MIN (60 * MS_PER_S)
#define MS_PER_H (60 * MS_PER_MIN)
#define MS_PER_DAY (24 * MS_PER_H)
#define CPUS_MIN 0.01  /* cpu.max rejects quotas below 1ms per 100ms period */
#define CPUS_MAX 65536.0

/* "12.5" split into 12 and 5/10; only the digits up to FRAC_DIGITS_MAX are kept. */
struct decimal {
	uint64_t whole;
	uint64_t frac;
	uint64_t frac_scale; /* 10^(fraction digits kept); 1 when there is no fraction */
};

struct unit {
	const char *suffix;
	uint64_t mult;
};

static const struct unit duration_units[] = {
	{ "", MS_PER_S }, /* a bare number is seconds, like sleep(1) and timeout(1) */
	{ "ms", 1 },
	{ "s", MS_PER_S },
	{ "m", MS_PER_MIN },
	{ "h", MS_PER_H },
	{ "d", MS_PER_DAY },
};

/* Trim surrounding whitespace: *s moves to the first non-space, the length is returned. */
static size_t trim(const char **s)
{
	const char *p = *s;
	size_t len;

	while (isspace((unsigned char)*p))
		p++;
	len = strlen(p);
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	*s = p;
	return len;
}

static bool word_eq(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

static bool is_unlimited_word(const char *s, size_t len)
{
	return word_eq(s, len, "unlimited") || word_eq(s, len, "max");
}

/* digits[.digits] at *s, advancing *s past it. No sign, no exponent, a digit on both sides
 * of the point. */
static int parse_decimal(const char **s, struct decimal *d)
{
	const char *p = *s;

	*d = (struct decimal){ .frac_scale = 1 };
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		uint64_t digit = (uint64_t)(*p - '0');

		if (d->whole > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		d->whole = d->whole * 10 + digit;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (int n = 0; isdigit((unsigned char)*p); p++, n++) {
			if (n < FRAC_DIGITS_MAX) {
				d->frac = d->frac * 10 + (uint64_t)(*p - '0');
				d->frac_scale *= 10;
			}
		}
	}
	*s = p;
	return 0;
}

static bool decimal_is_zero(const struct decimal *d)
{
	return d->whole == 0 && d->frac == 0;
}

/* d * mult rounded to the nearest integer. It must stay below POLICY_UNLIMITED (which would
 * read as "no limit"), and a non-zero input must not round to 0 (which may mean the same). */
static int decimal_scale(const struct decimal *d, uint64_t mult, uint64_t *out)
{
	unsigned __int128 v = (unsigned __int128)d->whole * mult;

	v += ((unsigned __int128)d->frac * mult + d->frac_scale / 2) / d->frac_scale;
	if (v >= POLICY_UNLIMITED)
		return -ERANGE;
	if (v == 0 && !decimal_is_zero(d))
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

/* "", "b", or k/m/g/t followed by nothing, "b" or "ib": all powers of 1024, any case. */
static int size_unit(const char *s, size_t len, uint64_t *mult)
{
	static const char prefixes[] = "kmgt";
	const char *prefix;

	if (len == 0 || word_eq(s, len, "b")) {
		*mult = 1;
		return 0;
	}
	prefix = memchr(prefixes, tolower((unsigned char)s[0]), sizeof(prefixes) - 1);
	if (!prefix)
		return -EINVAL;
	if (len > 1 && !word_eq(s + 1, len - 1, "b") && !word_eq(s + 1, len - 1, "ib"))
		return -EINVAL;
	*mult = 1ULL << (10 * (prefix - prefixes + 1));
	return 0;
}

/* The shape every quantity shares: "unlimited" (returns 1), or a decimal number followed by
 * optional blanks and a unit word, which is left in unit and unit_len for the caller. */
static int split_quantity(const char *s, struct decimal *d, const char **unit, size_t *unit_len)
{
	const char *end, *p;
	size_t len;
	int r;

	if (!s)
		return -EINVAL;
	len = trim(&s);
	if (is_unlimited_word(s, len))
		return 1;
	end = s + len;
	p = s;
	r = parse_decimal(&p, d);
	if (r < 0)
		return r;
	while (p < end && isspace((unsigned char)*p))
		p++;
	*unit = p;
	*unit_len = (size_t)(end - p);
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	struct decimal d;
	const char *unit;
	size_t unit_len;
	uint64_t mult;
	int r = split_quantity(s, &d, &unit, &unit_len);

	if (r < 0)
		return r;
	if (r == 1) {
		*bytes = POLICY_UNLIMITED;
		return 0;
	}
	r = size_unit(unit, unit_len, &mult);
	if (r < 0)
		return r;
	/* A fraction of a unit is fine ("1.5G"); a fraction of a byte is a typo. */
	if (mult == 1 && d.frac_scale > 1)
		return -EINVAL;
	return decimal_scale(&d, mult, bytes);
}

int parse_duration_ms(const char *s, uint64_t *ms)
{
	struct decimal d;
	const char *unit;
	size_t unit_len;
	int r = split_quantity(s, &d, &unit, &unit_len);

	if (r < 0)
		return r;
	if (r == 1) {
		*ms = POLICY_UNLIMITED;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++) {
		if (!word_eq(unit, unit_len, duration_units[i].suffix))
			continue;
		/* "0", "0s", "0ms" are 0: never "no limit" (that is "unlimited"); the key decides. */
		if (decimal_is_zero(&d)) {
			*ms = 0;
			return 0;
		}
		/* Far below what wraps anywhere: ms to ns fits in 64 bits, and the supervisor's
		 * poll timeout is computed from a bounded value (a timeout that wrapped would wait
		 * forever). Larger is a typo; "unlimited" says it on purpose. */
		r = decimal_scale(&d, duration_units[i].mult, ms);
		return r == 0 && *ms > POLICY_DURATION_MAX_MS ? -ERANGE : r;
	}
	return -EINVAL;
}

int parse_count(const char *s, uint64_t *n)
{
	struct decimal d;
	const char *unit;
	size_t unit_len;
	int r = split_quantity(s, &d, &unit, &unit_len);

	if (r < 0)
		return r;
	if (r == 1) {
		*n = POLICY_UNLIMITED;
		return 0;
	}
	if (unit_len || d.frac_scale > 1)
		return -EINVAL;
	if (d.whole == POLICY_UNLIMITED)
		return -ERANGE;
	*n = d.whole;
	return 0;
}

int parse_cpus(const char *s, double *cpus)
{
	struct decimal d;
	const char *unit;
	size_t unit_len;
	double v;
	int r = split_quantity(s, &d, &unit, &unit_len);

	if (r < 0)
		return r;
	if (r == 1) {
		*cpus = 0.0;
		return 0;
	}
	if (unit_len)
		return -EINVAL;
	v = (double)d.whole + (double)d.frac / (double)d.frac_scale;
	if (v < CPUS_MIN || v > CPUS_MAX)
		return -ERANGE;
	*cpus = v;
	return 0;
}

int parse_bool(const char *s, bool *b)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t len;

	if (!s)
		return -EINVAL;
	len = trim(&s);
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (word_eq(s, len, yes[i])) {
			*b = true;
			return 0;
		}
		if (word_eq(s, len, no[i])) {
			*b = false;
			return 0;
		}
	}
	return -EINVAL;
}
