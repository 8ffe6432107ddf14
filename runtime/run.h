/* run.h - one `mlrun run`: options, the merged policy, the result, the report. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "../cgroup/cgroup.h"
#include "../policy/policy.h"
#include "../security/security.h"
#include "../lib/error.h"
#include "exitcodes.h"

#define RUN_MAX_SETS 256

/* A setting from a flag, applied through policy_set() after the file and the environment. */
struct run_set {
	const char *flag; /* "--memory", for messages */
	const char *section, *key, *value;
};

/* mlrun-oci's entry into the run path (runtime/oci_prepare.c): the policy and the sandbox come
 * from an OCI bundle instead of a policy file and a command line. */
struct oci_spec;
struct run_oci {
	const struct oci_spec *spec;
	const char *bundle;	 /* canonical bundle directory: relative paths of config.json */
	int ready_fd, start_fd;	 /* see struct sandbox */
	int stdio[3];
	int tty; /* process.terminal: the pty's slave (its master went to the console socket), else -1 */
	const char *id; /* the engine's container id (the hooks' state) */
};

struct run_options {
	const char *policy; /* -p NAME|FILE (or MLRUN_POLICY) */
	struct run_set sets[RUN_MAX_SETS];
	size_t n_sets;
	const char *report_path; /* --report FILE|- */
	int report_fd;		 /* --report-fd N, -1 if unset */
	const char *name;	 /* --name ID */
	const char *cgroup_parent;
	bool verbose, summary, quiet;
	char **argv; /* PROGRAM [ARG...] */
	int argc;
	const struct run_oci *oci; /* mlrun-oci; NULL in the exec-wrapper path */
};

#define RUN_MAX_ENV_SETTINGS 16 /* more than there are MLRUN_<KEY> variables */

struct run_result {
	enum run_status status;
	int exit_code; /* what mlrun exits with */
	int code;      /* the program's exit code, -1 if it did not exit */
	int signal;    /* the signal that killed it, 0 if none */
	double wall_ms;
	double cpu_user_ms, cpu_system_ms;
	uint64_t memory_peak_bytes, memory_avg_bytes;
	bool memory_from_rusage; /* peak is max RSS of one process (no cgroup) */
	uint64_t pids_peak;
	uint64_t io_read_bytes, io_write_bytes;
	uint64_t oom_kills;
	uint64_t cpu_throttled_count, cpu_throttled_ms;
	uint64_t samples;
	bool cgroup_stats; /* pids, io, memory average came from the cgroup (else unmeasured) */
	bool proc_container; /* /proc is the container's, not the sandbox's own ([sandbox] proc) */
	struct violation_log violations; /* denied syscalls (security/notify.c) */
	double supervisor_cpu_ms;	/* mlrun's own CPU during the run (answers, samples) */
	char error[ERROR_MSG_MAX]; /* status "error": why */
	int output_errno, output_fd; /* copying the program's output to the caller's file failed (relay.h) */
	char *analysis_json;	   /* the [analysis] scan's JSON, when one ran (malloc'd) */
	/* MLRUN_* variables that changed the policy (SPEC: they win over the policy file). */
	const char *env_names[RUN_MAX_ENV_SETTINGS], *env_values[RUN_MAX_ENV_SETTINGS];
	size_t n_env;
};

/* What the host could enforce for this run (the report's "enforced"). */
struct run_enforced {
	bool memory, cpu, pids, io, seccomp, landlock, network;
	bool proc; /* /proc shows only the sandbox's own processes (or there is none) */
	const char *proc_why; /* why not, or NULL */
	bool hostname; /* the sandbox has [sandbox] hostname (not the container's, kept) */
	char hostname_why[768]; /* why not, or "": room for two 64-byte names and the fix */
	char why[CGROUP_REASON_MAX]; /* "cgroup v2 not available: ..." */
	const char *seccomp_why;     /* why a loaded filter does not count as enforced, or NULL */
};

int cli_parse_run(int argc, char **argv, struct run_options *o, struct error *err);
void cli_usage(FILE *f);

/* Prepare, run and supervise; returns mlrun's exit status (never 0 on mlrun's own failure). */
int run_main(const struct run_options *o);

/* Generated sandbox id: "r-" and 12 hex digits. */
void run_make_id(char *buf, size_t len);

/* The JSON report. Its destinations (--report-fd, --report) are opened by report_open before
 * anything runs: a report that cannot be written refuses the run instead of being lost after it.
 * A field is -1 when that destination was not asked for. */
struct report_dest {
	int fd;	  /* --report-fd N, checked writable */
	int file; /* --report FILE (or a dup of stderr for "-") */
	bool created; /* the file was made by this run (removed again if the report fails) */
};
int report_open(const struct run_options *o, struct report_dest *d, struct error *err);
void report_close(struct report_dest *d);
int report_write(const struct run_options *o, const struct report_dest *d, const char *id, const struct policy *p,
		 char *const *command, const struct run_result *res, const struct run_enforced *enf, struct error *err);
void report_summary(FILE *f, const struct run_result *res, const struct run_enforced *enf);
/* One line when a limit mlrun set ended the program (timeout, cpu time, memory, pids); else nothing. */
void run_note_ending(FILE *f, const struct run_result *res, const struct policy *p);
/* mlrun's subcommands, for the hint when PROGRAM (no slash) is not found: likely a typo of one. */
#define RUN_SUBCOMMANDS "audit, batch, check, features, gc, kill, profile, ps, run, scan, stats, top"
