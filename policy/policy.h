/* policy.h - the run's configuration: built-in defaults < INI policy < MLRUN_* env < flags.
 *
 * Every setting, wherever it comes from, goes through policy_set(section, key, value): one
 * parser and one validator for files, environment variables and command-line flags. Pure
 * logic: nothing here touches OS state except reading the policy file.
 *
 * A non-repeatable key set again (a second time in one file, or later by env or a flag)
 * replaces the earlier value: last wins. The comments below give the built-in defaults, which
 * are exactly policies/default.ini. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/error.h"

#define POLICY_MAX_BINDS 256
#define POLICY_MAX_ENV 128
#define POLICY_MAX_SYSCALLS 256
#define POLICY_UNLIMITED UINT64_MAX
/* The longest finite duration (timeout, cpu_time, intervals): 365 days. */
#define POLICY_DURATION_MAX_MS (365ULL * 24 * 3600 * 1000)

enum net_mode { NET_NONE, NET_LOOPBACK, NET_HOST };
enum workdir_mode { WORKDIR_NONE, WORKDIR_RO, WORKDIR_RW };
/* [sandbox] proc: a fresh proc of the sandbox's pid namespace, required (fresh) or with the
 * container's own /proc (bound read-only) where the kernel refuses a fresh one (container), or
 * no /proc at all (none). */
enum proc_mode { PROC_FRESH, PROC_CONTAINER, PROC_NONE };
enum on_violation { VIOLATION_ERRNO, VIOLATION_KILL, VIOLATION_LOG };
enum analysis_mode { ANALYSIS_OFF, ANALYSIS_WARN, ANALYSIS_REJECT_HIGH, ANALYSIS_REJECT_CRITICAL };

#define POLICY_MAX_GRANTS 64

struct grant {
	char *pattern; /* a path or glob, relative to the working directory or absolute */
	char *origin;  /* "FILE:LINE" or the flag that set it, for messages; NULL if unknown */
	bool write;
};

struct bind {
	char *src; /* host path as written (absolute or relative to the cwd) */
	char *dst; /* path inside the sandbox; when not given: src if absolute, else NULL (the
		    * runtime binds a relative src at its real path) */
	char *origin; /* "FILE:LINE" or the flag that set it, for messages; NULL if unknown */
	bool rw;
};

struct env_var {
	char *name;
	char *value; /* NULL: keep the caller's value of name, if set (keep-env) */
};

struct policy {
	char *name; /* "strict", or the file's basename without .ini; "builtin" */
	/* Where the value policy_set_from() is applying came from, copied into the binds and
	 * grants it creates (checked only when the sandbox is built) so their errors name it. */
	const char *setting_origin;
	char *path; /* file it was read from, NULL for built-in defaults */

	/* [sandbox] */
	char *hostname;	     /* hostname = mlrun */
	char *interpreter_py; /* interpreter.py = /usr/bin/python3 */
	char *interpreter_js; /* interpreter.js = /usr/bin/node */
	uint32_t uid;	     /* uid = 60000: host uid the sandbox runs as when mlrun is root; 0 refused */
	uint32_t gid;	     /* gid = 60000 */
	bool quiet;	     /* quiet = false: true is -q (no warnings, no notes; errors only) */
	enum proc_mode proc; /* proc = container: fresh|container|none (docs/containers.md) */
	bool hostname_required; /* hostname_required = false: refuse where sethostname is denied */

	/* [limits]; POLICY_UNLIMITED (or 0.0 for cpus) means "no limit", written "unlimited" or
	 * "max". 0 is never "no limit": a real zero for swap and file_size, refused elsewhere. */
	uint64_t memory_bytes;	  /* memory = 1G (never 0) */
	uint64_t swap_bytes;	  /* swap = 0 */
	double cpus;		  /* cpus = 1 (cores, fractional, 0.01..65536) */
	uint64_t pids;		  /* pids = 256 (never 0) */
	uint64_t timeout_ms;	  /* timeout = 60s (wall clock; never 0) */
	uint64_t cpu_time_ms;	  /* cpu_time = 60s (user+sys; never 0) */
	uint64_t tmp_bytes;	  /* tmp_size = 256M (never 0: tmpfs reads size=0 as no limit) */
	uint64_t shm_bytes;	  /* shm_size = 64M (/dev/shm; never 0) */
	uint64_t file_size_bytes; /* file_size = 1G (RLIMIT_FSIZE; 0 = no file writes) */
	uint64_t open_files;	  /* open_files = 1024 (RLIMIT_NOFILE; never 0 or unlimited) */
	uint64_t io_read_bps;	  /* io_read_bps = unlimited (never 0) */
	uint64_t io_write_bps;	  /* io_write_bps = unlimited (never 0) */

	/* [filesystem] */
	enum workdir_mode workdir; /* workdir = ro|rw|none */
	/* ro_bind = SRC[:DST], bind = SRC[:DST]; repeatable. DST is absolute, without "..", not
	 * "/"; a later bind onto the same DST replaces the earlier one. */
	struct bind binds[POLICY_MAX_BINDS];
	size_t n_binds;

	/* [network] */
	enum net_mode net; /* net = none|loopback|host */
	bool allow_host;   /* allow_host = false: may net=host be chosen at all */

	/* [security] */
	char *seccomp; /* seccomp = strict|default|off|/path/to/profile */
	/* allow_syscalls = a, b c: comma/space separated [a-z0-9_]+ names, appended, deduped */
	char *allow_syscalls[POLICY_MAX_SYSCALLS];
	size_t n_allow_syscalls;
	char *deny_syscalls[POLICY_MAX_SYSCALLS]; /* deny_syscalls = a, b (same syntax) */
	size_t n_deny_syscalls;
	enum on_violation on_violation; /* on_violation = errno|kill|log */
	bool landlock;			/* landlock = true */

	/* [monitor] */
	uint64_t sample_interval_ms; /* interval = 100ms */

	/* [grants]: read = GLOB, ... exposes matches read-only; write = PATH, ... read-write; both
	 * at their real path, listed for the program in /run/mlrun/grants.json. Repeatable. */
	struct grant grants[POLICY_MAX_GRANTS];
	size_t n_grants;

	/* [analysis] python = off|warn|reject-high|reject-critical: scan a .py program first */
	enum analysis_mode analysis_python;

	/* [env]: NAME = VALUE sets, keep = NAME, NAME keeps the caller's value. One entry per
	 * name, last wins. Default: keep = TERM, LANG. */
	struct env_var env[POLICY_MAX_ENV];
	size_t n_env;
};

/* Built-in defaults (the "default" profile's values, no file); name is "builtin". Aborts
 * only if memory for a few short strings cannot be had. */
void policy_init(struct policy *p);
/* Frees every string and zeroes p; safe to call twice. */
void policy_free(struct policy *p);

/* Set one key. section/key as in the INI file; value is the raw string. Errors name the key:
 * "bad size '12Q' for [limits] memory". Repeatable keys (ro_bind, bind, [env] entries,
 * allow_syscalls, deny_syscalls, keep) append. */
int policy_set(struct policy *p, const char *section, const char *key, const char *value,
	       struct error *err);
/* policy_set() recording ORIGIN ("FILE:LINE", "--ro-bind", "MLRUN_NET") in what it creates. */
int policy_set_from(struct policy *p, const char *section, const char *key, const char *value,
		    const char *origin, struct error *err);

/* Read an INI file into p (on top of what p holds) and set p->path and p->name. The first
 * problem fails with "FILE:LINE: message". Cross-key checks are left to policy_validate(),
 * which runs once everything is merged. Leading whitespace is ignored (no continuation
 * lines); ';' or '#' start a comment line, " ;" an inline comment. The file is opened once
 * and must be a regular file. */
int policy_load_file(struct policy *p, const char *path, struct error *err);
/* The same from an fd policy_open() returned (always consumed); path names it in messages. */
int policy_load_fd(struct policy *p, int fd, const char *path, struct error *err);

/* Open PATH read-only for what ("policy", "seccomp profile"): a regular file, or an error
 * naming it. Returns the fd or -errno. */
int policy_open_file(const char *path, const char *what, struct error *err);

/* Resolve and open -p NAME|FILE: a path (contains '/' or ends in .ini) is the caller's choice
 * and used as is; a bare name is looked up as DIR/policies/NAME.ini in DIRS (NULL-terminated,
 * mlrun's own data directories), never in the current directory, and must belong to root or
 * the caller and be writable by no one else. Returns the open fd and a malloc'd path in *out. */
int policy_open(const char *name_or_path, const char *const *dirs, char **out, struct error *err);
/* policy_open() without keeping the fd, for callers that hand the path on. */
int policy_resolve(const char *name_or_path, const char *const *dirs, char **out, struct error *err);

/* Apply MLRUN_<KEY> environment variables (MLRUN_MEMORY, MLRUN_TIMEOUT, MLRUN_CPUS, ...; see
 * docs/policy.md for the table). envp is the caller's environment (NULL: none). An empty
 * variable counts as unset; other MLRUN_* names (MLRUN_POLICY) are left to the CLI. */
int policy_apply_env(struct policy *p, char *const *envp, struct error *err);

/* The MLRUN_<KEY> variables policy_apply_env() would apply (set and non-empty), in table order:
 * up to max names and values (pointers into envp). Returns how many. */
size_t policy_env_settings(char *const *envp, const char **names, const char **values, size_t max);

/* Cross-key checks after everything is merged (net=host without allow_host, ...). */
int policy_validate(const struct policy *p, struct error *err);

/* `mlrun check`: print every problem of one file as "FILE:LINE: message" to out; returns the
 * number of problems (0 = valid), or -errno (nothing printed) when the file cannot be read. */
int policy_check_file(const char *path, FILE *out);

/* The words the policy uses for each mode ("loopback", "ro", "kill"), for reports and -v. */
const char *policy_net_name(enum net_mode net);
const char *policy_workdir_name(enum workdir_mode workdir);
const char *policy_proc_name(enum proc_mode proc);
/* A [sandbox] hostname the policy accepts: up to 64 letters, digits, '-' and '.', not starting
 * with '-' or '.'. */
bool policy_hostname_valid(const char *value);
const char *policy_on_violation_name(enum on_violation v);

/* Pure parsers, unit-tested: sizes are bytes or K/M/G/T (powers of 1024; "64M", "64MB",
 * "64MiB", any case, "1.5G"), "unlimited"/"max" -> POLICY_UNLIMITED; durations are "1500ms",
 * "10s", "1.5s", "2m", "1h", "30d", a bare number is seconds, "unlimited"/"max" ->
 * POLICY_UNLIMITED, "0" -> 0 (policy keys refuse it), at most POLICY_DURATION_MAX_MS (else -ERANGE); booleans true/false/yes/no/on/off/1/0. Surrounding whitespace is
 * ignored. Return 0 or -EINVAL (junk, sign, empty) / -ERANGE (too large, or a non-zero value
 * that rounds to 0). */
int parse_size(const char *s, uint64_t *bytes);
int parse_duration_ms(const char *s, uint64_t *ms);
int parse_bool(const char *s, bool *b);
/* Counts (pids, open_files, ids): a plain decimal integer or "unlimited"/"max". */
int parse_count(const char *s, uint64_t *n);
/* CPU cores: a decimal 0.01..65536 ("0.5", "2"), or "unlimited"/"max" -> 0.0. */
int parse_cpus(const char *s, double *cpus);
