#include "trace.h"

#include <stdio.h>
#include <time.h>

uint64_t trace_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void trace_start(struct trace *t, bool on)
{
	t->on = on;
	t->t0_ns = t->last_ns = trace_now_ns();
}

void trace_step(struct trace *t, uint64_t end_ns, const char *what)
{
	if (!t->on)
		return;
	if (!end_ns)
		end_ns = trace_now_ns();
	uint64_t since = end_ns > t->t0_ns ? end_ns - t->t0_ns : 0;
	uint64_t took = end_ns > t->last_ns ? end_ns - t->last_ns : 0;
	fprintf(stderr, "mlrun: [+%9.3f ms] %8.3f ms  %s\n", since / 1e6, took / 1e6, what);
	t->last_ns = end_ns;
}
