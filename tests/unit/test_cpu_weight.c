/* test_cpu_weight.c - cgroup_cpu_weight_from_shares(): linux.resources.cpu.shares as cgroup v2's
 * cpu.weight, by runc's and crun's formula (cgroup/cgroup.h). The expected values were computed
 * with 40-digit decimal arithmetic; the first block is opencontainers/cgroups' own test table.
 * TAP output; exit 1 on any failure. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>

#include "cgroup/cgroup.h"

static int n_tests, n_failed;

static void expect(uint64_t shares, uint64_t want)
{
	uint64_t got = cgroup_cpu_weight_from_shares(shares);
	n_tests++;
	if (got != want)
		n_failed++;
	printf("%sok %d - shares %llu -> cpu.weight %llu\n", got == want ? "" : "not ", n_tests,
	       (unsigned long long)shares, (unsigned long long)want);
	if (got != want)
		printf("#   got %llu\n", (unsigned long long)got);
}

int main(void)
{
	/* unset, below the minimum, the minimum, just above, the default, the maximum, beyond it */
	static const uint64_t table[][2] = {
		{ 0, 0 },	   { 1, 1 },	     { 2, 1 },	       { 3, 2 },	 { 1024, 100 },
		{ 262143, 10000 }, { 262144, 10000 }, { 262145, 10000 }, { UINT64_MAX, 10000 },
		/* between them; 200416 is the value closest to an integer (7913.0000032): ceil */
		{ 4, 2 },	   { 5, 2 },	     { 10, 4 },	       { 100, 17 },	 { 256, 35 },
		{ 512, 59 },	   { 1000, 99 },     { 1023, 100 },    { 1025, 101 },	 { 2048, 174 },
		{ 4096, 303 },	   { 8192, 532 },    { 10000, 627 },   { 16384, 942 },	 { 65536, 3023 },
		{ 100000, 4340 },  { 131072, 5478 }, { 200415, 7913 }, { 200416, 7914 }, { 200417, 7914 },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		expect(table[i][0], table[i][1]);

	/* over the whole range: never decreasing, never outside [1, 10000] */
	uint64_t prev = 1, bad = 0;
	for (uint64_t s = CGROUP_CPU_SHARES_MIN; s <= CGROUP_CPU_SHARES_MAX; s++) {
		uint64_t w = cgroup_cpu_weight_from_shares(s);
		if (w < prev || w < CGROUP_CPU_WEIGHT_MIN || w > CGROUP_CPU_WEIGHT_MAX)
			bad = s;
		prev = w;
	}
	n_tests++;
	n_failed += bad != 0;
	printf("%sok %d - monotonic within [1, 10000] over [2, 262144]\n", bad ? "not " : "", n_tests);
	if (bad)
		printf("#   breaks at shares %llu\n", (unsigned long long)bad);
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
