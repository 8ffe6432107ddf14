/* notice.c - the one line mlrun says when it, not the program, ended the run: a run killed
 * by a limit must not look like the program's own exit status (124 alone says nothing). */
#include <inttypes.h>
#include <stdio.h>

#include "run.h"

/* "1500ms", "10s", "2m", "1h": the largest unit that divides the value. */
static void format_ms(char *buf, size_t len, uint64_t ms)
{
	static const struct { uint64_t ms; const char *unit; } units[] = { { 3600000, "h" }, { 60000, "m" }, { 1000, "s" } };
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms % units[i].ms == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", ms / units[i].ms, units[i].unit);
			return;
		}
	snprintf(buf, len, "%" PRIu64 "ms", ms);
}

/* "256M", "1G", "4096": the largest power of 1024 that divides the value. */
static void format_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "TGMK";
	for (int i = 0; i < 4; i++) {
		uint64_t u = 1ULL << (10 * (4 - i));
		if (bytes >= u && bytes % u == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", bytes / u, units[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, bytes);
}

void run_note_ending(FILE *f, const struct run_result *res, const struct policy *p)
{
	char v[32];
	switch (res->status) {
	case RUN_TIMEOUT:
		format_ms(v, sizeof(v), p->timeout_ms);
		fprintf(f, "mlrun: time limit %s reached, program killed\n", v);
		break;
	case RUN_CPU_TIME:
		format_ms(v, sizeof(v), p->cpu_time_ms);
		fprintf(f, "mlrun: cpu time limit %s reached, program killed\n", v);
		break;
	case RUN_OOM:
		format_bytes(v, sizeof(v), p->memory_bytes);
		fprintf(f, "mlrun: memory limit %s reached, program killed (out of memory)\n", v);
		break;
	case RUN_PIDS:
		fprintf(f, "mlrun: process limit %" PRIu64 " reached, the program could not start more\n", p->pids);
		break;
	default:
		break;
	}
}
