/* exitcodes.h - exit statuses (timeout(1)/env(1) conventions) and report statuses, in one place. */
#pragma once

enum {
	EXIT_MLRUN_TIMEOUT = 124,   /* wall-clock or CPU-time limit killed it */
	EXIT_MLRUN_ERROR = 125,	    /* mlrun itself failed; nothing ran, nothing left behind */
	EXIT_MLRUN_CANNOT_EXEC = 126, /* PROGRAM found but could not be executed */
	EXIT_MLRUN_NOT_FOUND = 127, /* PROGRAM not found in the sandbox */
	EXIT_MLRUN_SIGNAL_BASE = 128, /* 128+N: killed by signal N */
};

/* The report's "status" values (SPEC). */
enum run_status {
	RUN_EXITED,
	RUN_SIGNALED,
	RUN_OOM,
	RUN_TIMEOUT,
	RUN_CPU_TIME,
	RUN_PIDS,
	RUN_OUTPUT,
	RUN_REJECTED,
	RUN_ERROR,
};

static inline const char *run_status_name(enum run_status s)
{
	static const char *const names[] = { "exited", "signaled", "oom",    "timeout", "cpu-time",
					     "pids",   "output",   "rejected", "error" };
	return names[s];
}
