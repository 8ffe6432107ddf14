/* batch.h - `mlrun batch [--jobs N] [--policy P] [--trust-jobs] [--report-dir D] [--json] FILE|-` (argv[0] is
 * "batch"): many jobs, each a full `mlrun run`, at most N at once; one aggregate (docs/batch.md).
 * Below batch_main: the batch's own data, shared by batch.c (running) and batch_file.c (the job
 * file) only. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "../runtime/exitcodes.h"

#define BATCH_MAX_PARALLEL 256	 /* --jobs ceiling: a pidfd and a report fd per running job */
#define BATCH_NAME_MAX 48	 /* "b-<12 hex>-NAME" must stay a valid sandbox id (< 64) */
#define BATCH_STOP_GRACE_MS 5000 /* after SIGTERM, how long the jobs get before SIGKILL */
#define BATCH_BAR_WIDTH 30

/* One line of the file. */
struct batch_job {
	char **opts, **argv;	  /* `mlrun run` options ("--timeout", "5s", ...); the command */
	char *label, *stdin_text; /* label: the job's name, else its 1-based index */
	size_t stdin_len;
	bool has_stdin, has_policy, has_timeout, has_memory;
	uint64_t timeout_ms, memory_bytes; /* the job's own "timeout" and "memory" */
	char *refused; /* why the job may not run (it would loosen the batch's limits), or NULL */
	int line;
};

/* What a finished job's report said. */
struct batch_outcome {
	bool done, reported;
	enum run_status status;
	int code; /* the program's exit code, -1 if it did not exit */
	double wall_ms;
	uint64_t memory_peak_bytes, violations;
};

/* A running job: its `mlrun run` process and the memfd it writes its report to. */
struct batch_slot {
	pid_t pid;
	int pidfd, report_fd;
	size_t job;
};

struct batch {
	unsigned parallel;
	const char *policy, *report_dir, *file;
	bool json, tty, killed;
	bool trust_jobs; /* --trust-jobs: a job's own policy, timeout and memory win, even looser */
	char id[16];		       /* "b-" and 12 hex digits */
	int dirfd, sigfd, stop_signal; /* dirfd of --report-dir or -1; the signal that stopped it */
	struct batch_job *jobs;
	struct batch_outcome *out;
	size_t n_jobs, jobs_cap, next, n_ok, n_failed, n_slots;
	struct batch_slot slots[BATCH_MAX_PARALLEL];
	uint64_t kill_at_ns;
	sigset_t saved_mask; /* the caller's, restored for every job */
};

int batch_main(int argc, char **argv);

/* Read and check every job of b->file ("-": stdin) into b->jobs; errors carry FILE:LINE. */
int batch_load_jobs(struct batch *b, struct error *err);
void batch_job_free(struct batch_job *j);
/* Mark (j->refused) every job whose own settings would loosen the batch's limits. */
int batch_check_tighten(struct batch *b, struct error *err);
/* The policy NAME|FILE resolves and loads (what `mlrun run --policy` will do). */
int batch_check_policy(const char *name, struct error *err);
size_t batch_strv_len(char *const *v);
