/* parse.c - the pure half of cgroup/: parsing what the kernel's cgroup files say and
 * formatting what we write into them. No OS state, so tests/unit/test_cgroup.c covers it. */
#define _GNU_SOURCE
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Largest cpus value accepted: far beyond any machine, small enough that quota stays exact. */
#define CPUS_MAX 1e6

int cgroup_parse_u64(const char *s, uint64_t *v)
{
	if (!s)
		return -EINVAL;
	if (strncmp(s, "max", 3) == 0) {
		s += 3;
		*v = UINT64_MAX;
	} else {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		uint64_t n = 0;
		for (; isdigit((unsigned char)*s); s++) {
			unsigned d = (unsigned)(*s - '0');
			if (n > (UINT64_MAX - d) / 10)
				return -ERANGE;
			n = n * 10 + d;
		}
		*v = n;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return *s ? -EINVAL : 0;
}

/* The line after s's, or NULL at the end of the text. */
static const char *next_line(const char *s)
{
	s = strchr(s, '\n');
	return s ? s + 1 : NULL;
}

/* Copy the token starting at s (up to a space or end of line) to out; returns its length. */
static size_t token(const char *s, char *out, size_t size)
{
	size_t n = strcspn(s, " \t\n");
	if (n >= size)
		return 0;
	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}

int cgroup_parse_flat_key(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line; line = next_line(line)) {
		if (strncmp(line, key, klen) != 0 || line[klen] != ' ')
			continue;
		char value[32];
		if (token(line + klen + 1, value, sizeof(value)) == 0)
			return -EINVAL;
		return cgroup_parse_u64(value, v) < 0 ? -EINVAL : 0;
	}
	return -ENOENT;
}

/* Value of "name=N" among the fields of one io.stat line (up to its newline). */
static int io_field(const char *line, const char *name, uint64_t *v)
{
	size_t nlen = strlen(name);
	const char *end = strchr(line, '\n');
	if (!end)
		end = line + strlen(line);

	for (const char *f = line; f < end; f++) {
		if ((f == line || f[-1] == ' ') && strncmp(f, name, nlen) == 0 && f[nlen] == '=') {
			char value[32];
			if (token(f + nlen + 1, value, sizeof(value)) == 0)
				return -EINVAL;
			return cgroup_parse_u64(value, v) < 0 ? -EINVAL : 0;
		}
	}
	return -ENOENT;
}

int cgroup_parse_io_stat(const char *text, uint64_t *rbytes, uint64_t *wbytes)
{
	*rbytes = *wbytes = 0;
	for (const char *line = text; line && *line; line = next_line(line)) {
		unsigned maj, min;
		if (*line == '\n')
			continue;
		if (sscanf(line, "%u:%u ", &maj, &min) != 2)
			return -EINVAL;
		uint64_t r = 0, w = 0;
		/* A device line may lack a field (only the io.cost stats, say): count it as 0. */
		if (io_field(line, "rbytes", &r) == -EINVAL || io_field(line, "wbytes", &w) == -EINVAL)
			return -EINVAL;
		*rbytes += r;
		*wbytes += w;
	}
	return 0;
}

int cgroup_parse_own_path(const char *text, char *path, size_t size)
{
	static const char deleted[] = " (deleted)";

	for (const char *line = text; line && *line; line = next_line(line)) {
		/* v1 lines are "N:ctrl:/path"; the unified hierarchy's is "0::/path". */
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line += 3;
		size_t n = strcspn(line, "\n");
		if (n >= sizeof(deleted) - 1 && strncmp(line + n - (sizeof(deleted) - 1), deleted, sizeof(deleted) - 1) == 0)
			n -= sizeof(deleted) - 1;
		if (n == 0 || line[0] != '/')
			return -EINVAL;
		if (n >= size)
			return -ENAMETOOLONG;
		memcpy(path, line, n);
		path[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

bool cgroup_list_has(const char *list, const char *name)
{
	size_t nlen = strlen(name);

	for (const char *s = list; s && *s;) {
		s += strspn(s, " \t\n");
		size_t n = strcspn(s, " \t\n");
		if (n == nlen && strncmp(s, name, n) == 0)
			return true;
		s += n;
	}
	return false;
}

int cgroup_format_cpu_max(double cpus, char *buf, size_t size)
{
	int n;

	if (isnan(cpus) || cpus < 0)
		return -EINVAL;
	if (cpus > CPUS_MAX)
		return -ERANGE;
	if (cpus == 0) {
		n = snprintf(buf, size, "max %llu", CGROUP_CPU_PERIOD_USEC);
	} else {
		/* cpus is in [0, CPUS_MAX]: adding 0.5 and truncating rounds to the nearest µs. */
		uint64_t quota = (uint64_t)(cpus * (double)CGROUP_CPU_PERIOD_USEC + 0.5);
		if (quota < CGROUP_CPU_MIN_QUOTA_USEC)
			quota = CGROUP_CPU_MIN_QUOTA_USEC;
		n = snprintf(buf, size, "%" PRIu64 " %llu", quota, CGROUP_CPU_PERIOD_USEC);
	}
	return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

/* ln(x), x > 0, in long double and without libm (lib/num.h): x = m * 2^k with m in
 * [sqrt(1/2), sqrt(2)), ln(m) = 2 atanh((m-1)/(m+1)) by its series (|z| < 0.18). */
static long double ln_ld(long double x)
{
	int k = 0;
	while (x >= M_SQRT2l)
		x /= 2, k++;
	while (x < M_SQRT1_2l)
		x *= 2, k--;
	long double z = (x - 1) / (x + 1), z2 = z * z, term = z, sum = 0;
	for (int n = 1; n < 60; n += 2, term *= z2)
		sum += term / n;
	return 2 * sum + k * M_LN2l;
}

/* e^y for 0 <= y <= 10: the Taylor series of e^(y/256), squared 8 times. */
static long double exp_ld(long double y)
{
	long double r = y / 256, term = 1, sum = 1;
	for (int n = 1; n < 24; n++) {
		term *= r / n;
		sum += term;
	}
	for (int i = 0; i < 8; i++)
		sum *= sum;
	return sum;
}

uint64_t cgroup_cpu_weight_from_shares(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares <= CGROUP_CPU_SHARES_MIN)
		return CGROUP_CPU_WEIGHT_MIN;
	if (shares >= CGROUP_CPU_SHARES_MAX)
		return CGROUP_CPU_WEIGHT_MAX;
	long double l = ln_ld((long double)shares) / M_LN2l;
	long double v = exp_ld(((l * l + 125 * l) / 612 - 7.0L / 34) * M_LN10l);
	uint64_t w = (uint64_t)v;
	/* ceil(v). Where v is an integer exactly (1024 shares: 10^2) the series lands a hair off
	 * it; no other share value comes within 4e-10 of an integer (checked over the whole range
	 * with 40-digit arithmetic), so within 1e-12 of one is that integer. */
	return (long double)w >= v * (1 - 1e-12L) ? w : w + 1;
}

/* "max" for 0 (no limit), else the number. */
static void rate(char *out, size_t size, uint64_t bps)
{
	if (bps == 0 || bps == UINT64_MAX)
		snprintf(out, size, "max");
	else
		snprintf(out, size, "%" PRIu64, bps);
}

int cgroup_format_io_max(unsigned int major, unsigned int minor, uint64_t rbps, uint64_t wbps,
			 char *buf, size_t size)
{
	char r[24], w[24];

	rate(r, sizeof(r), rbps);
	rate(w, sizeof(w), wbps);
	int n = snprintf(buf, size, "%u:%u rbps=%s wbps=%s", major, minor, r, w);
	return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

bool cgroup_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > CGROUP_ID_MAX || id[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
			return false;
	return true;
}

static void reason_vadd(char *reason, size_t size, const char *fmt, va_list ap)
{
	size_t len = strnlen(reason, size);

	if (len + 1 >= size)
		return;
	if (len > 0) {
		snprintf(reason + len, size - len, "; ");
		len = strnlen(reason, size);
	}
	vsnprintf(reason + len, size - len, fmt, ap);
}

void cgroup_reason_add(char *reason, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reason_vadd(reason, size, fmt, ap);
	va_end(ap);
}

void cgroup_reason_set(char *reason, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (size == 0)
		return;
	reason[0] = '\0';
	va_start(ap, fmt);
	reason_vadd(reason, size, fmt, ap);
	va_end(ap);
}
