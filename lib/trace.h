/* trace.h - `-v`: every setup step with its duration, on stderr. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct trace {
	bool on;
	uint64_t t0_ns, last_ns;
};

uint64_t trace_now_ns(void);
void trace_start(struct trace *t, bool on);
/* Print "mlrun: [+   1.234 ms]    0.456 ms  what" for a step that ended at end_ns (0 = now). */
void trace_step(struct trace *t, uint64_t end_ns, const char *what);
