/* audit.h - `mlrun audit`: escape and limit-breach probes run in sandboxes of a policy.
 *
 * audit.c drives (plants the bait on the host, runs each probe through `mlrun run`, prints the
 * table); audit_probes.c holds the probes and how each outcome is judged. */
#pragma once

#include <json.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define AUDIT_MAX_ARGS 8
#define AUDIT_TOKEN_MAX 64

/* AV_RLIMIT: no cgroup enforces the limit here, but the rlimit fallback stopped the probe. */
enum audit_verdict { AV_PASS, AV_ESCAPED, AV_NOT_ENFORCED, AV_SKIPPED, AV_ERROR, AV_RLIMIT };

/* The bait the audit plants on the host, and what a probe's arguments may refer to. */
struct audit_ctx {
	char exe[PATH_MAX];	/* this mlrun */
	char probe[PATH_MAX];	/* the static probe binary */
	char dir[PATH_MAX / 2]; /* the audit's temporary directory on the host (short enough to extend) */
	char secret[PATH_MAX];	/* a world-readable file outside anything a policy should expose */
	char canary[PATH_MAX];	/* a file a probe tries to create in a world-writable host dir */
	char suid_dir[PATH_MAX]; /* holds a setuid-root copy of the probe (root only) */
	char token[AUDIT_TOKEN_MAX];
	char port[16];		/* a TCP listener on the host's 127.0.0.1 */
	char abstract[64];	/* a listening host abstract unix socket */
	char sleeper[16];	/* a host pid to signal */
	bool root;
	int tcp_fd, unix_fd, pty_master, pty_slave;
	pid_t sleeper_pid;
};

/* What one probe run produced. */
struct audit_outcome {
	int exit_status; /* mlrun's */
	char out[2048];	 /* the probe's stdout */
	char err[1024];	 /* mlrun's stderr, for errors */
	json_object *report;
};

struct audit_probe {
	const char *name;
	const char *expected;
	/* probe arguments; "@SECRET", "@CANARY", "@PORT", "@ABSTRACT", "@PID" are replaced */
	const char *argv[AUDIT_MAX_ARGS];
	const char *opts[AUDIT_MAX_ARGS]; /* extra `mlrun run` options (limits for limit probes) */
	bool pty, root_only, suid;
	enum audit_verdict (*judge)(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				    size_t len);
};

extern const struct audit_probe audit_probes[];
extern const size_t audit_n_probes;

/* Report helpers for the judges. */
const char *audit_report_str(const struct audit_outcome *o, const char *key);
bool audit_report_bool(const struct audit_outcome *o, const char *obj, const char *key);
double audit_report_num(const struct audit_outcome *o, const char *key);

int audit_main(int argc, char **argv);
