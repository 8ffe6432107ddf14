/* audit_probes.c - the probes of `mlrun audit` and how each outcome is judged.
 *
 * A probe runs tests/probes/probe.c inside a sandbox of the audited policy; the probe exits 0
 * when the action it attempted succeeded. Escape probes pass when the action failed, whatever
 * stopped it. Limit probes run with a small limit of their own and pass when the limit held;
 * when the report says the limit's controller is not enforced on this host they are "not
 * enforced here", never a pass or a failure. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "../runtime/exitcodes.h"

static void first_line(const char *text, char *obs, size_t len)
{
	snprintf(obs, len, "%.*s", (int)strcspn(text, "\n"), text);
}

static size_t n_violations(const struct audit_outcome *o)
{
	json_object *v;
	return o->report && json_object_object_get_ex(o->report, "violations", &v) ? json_object_array_length(v) : 0;
}

static bool mlrun_failed(const struct audit_outcome *o)
{
	const char *status = audit_report_str(o, "status");
	return o->exit_status == EXIT_MLRUN_ERROR || !o->report || (status && strcmp(status, "error") == 0);
}

/* What happened, as the table shows it: the probe's answer, or how the sandbox ended. */
static void observe(const struct audit_outcome *o, char *obs, size_t len)
{
	const char *status = audit_report_str(o, "status");
	if (o->exit_status == EXIT_MLRUN_SIGNAL_BASE + SIGSYS)
		snprintf(obs, len, "killed by SIGSYS");
	else if (status && strcmp(status, "exited") && strcmp(status, "error"))
		snprintf(obs, len, "%s (exit %d)", status, o->exit_status);
	else
		first_line(o->out, obs, len);
	if (n_violations(o) && strlen(obs) + 10 < len)
		strcat(obs, " [seccomp]");
}

static enum audit_verdict error_verdict(const struct audit_outcome *o, char *obs, size_t len)
{
	first_line(o->err[0] ? o->err : "mlrun failed", obs, len);
	return AV_ERROR;
}

/* The attempted action must fail (probe exit status 1, or the sandbox killed it). */
static enum audit_verdict blocked(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs, size_t len)
{
	(void)ctx;
	if (mlrun_failed(o))
		return error_verdict(o, obs, len);
	observe(o, obs, len);
	return o->exit_status == 0 ? AV_ESCAPED : AV_PASS;
}

static enum audit_verdict secret(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs, size_t len)
{
	enum audit_verdict v = blocked(ctx, o, obs, len);
	if (v == AV_ERROR)
		return v;
	return strstr(o->out, ctx->token) ? AV_ESCAPED : AV_PASS;
}

/* Seen from the host: does the canary file exist? */
static enum audit_verdict canary(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs, size_t len)
{
	enum audit_verdict v = blocked(ctx, o, obs, len);
	bool exists = access(ctx->canary, F_OK) == 0;
	unlink(ctx->canary);
	return v == AV_ERROR ? v : exists ? AV_ESCAPED : AV_PASS;
}

static enum audit_verdict no_fds(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs, size_t len)
{
	enum audit_verdict v = blocked(ctx, o, obs, len);
	const char *count = strstr(o->out, "count ");
	int n = count ? atoi(count + 6) : -1;
	if (v == AV_ERROR)
		return v;
	snprintf(obs, len, "%d inherited fds", n);
	return n == 0 ? AV_PASS : AV_ESCAPED;
}

static enum audit_verdict env_unset(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				    size_t len)
{
	enum audit_verdict v = blocked(ctx, o, obs, len);
	return v == AV_ERROR ? v : strncmp(o->out, "unset", 5) == 0 ? AV_PASS : AV_ESCAPED;
}

static enum audit_verdict no_caps(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs, size_t len)
{
	enum audit_verdict v = blocked(ctx, o, obs, len);
	char eff[64] = "", nnp[16] = "";
	sscanf(o->out, "CapEff %63s NoNewPrivs %15s", eff, nnp);
	bool empty = eff[0] && strspn(eff, "0") == strlen(eff);
	return v == AV_ERROR ? v : empty && strcmp(nnp, "1") == 0 ? AV_PASS : AV_ESCAPED;
}

static enum audit_verdict own_pids(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				   size_t len)
{
	enum audit_verdict v = blocked(ctx, o, obs, len);
	int n = 0;
	for (const char *s = o->out; *s; s += strcspn(s, "\n") + (s[strcspn(s, "\n")] != 0))
		n += *s >= '0' && *s <= '9';
	snprintf(obs, len, "%d processes visible", n);
	return v == AV_ERROR ? v : n <= 3 ? AV_PASS : AV_ESCAPED;
}

/* The host process must still be alive, whatever the probe printed. */
static enum audit_verdict host_pid(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				   size_t len)
{
	enum audit_verdict v = blocked(ctx, o, obs, len);
	bool alive = kill(ctx->sleeper_pid, 0) == 0;
	return v == AV_ERROR ? v : alive && v == AV_PASS ? AV_PASS : AV_ESCAPED;
}

/* "uid euid gid egid": a setuid-root binary must not change the effective uid. */
static enum audit_verdict setuid_ids(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				     size_t len)
{
	enum audit_verdict v = blocked(ctx, o, obs, len);
	long uid = -1, euid = -2;
	sscanf(o->out, "%ld %ld", &uid, &euid);
	if (v == AV_ERROR)
		return v;
	snprintf(obs, len, "uid %ld euid %ld", uid, euid);
	return uid == euid ? AV_PASS : AV_ESCAPED;
}

static bool enforced(const struct audit_outcome *o, const char *what)
{
	return audit_report_bool(o, "enforced", what);
}

/* rlimit: the fallback mlrun sets when no cgroup enforces the limit (NULL: none), named in the
 * observation when it is what held the probe. */
static enum audit_verdict limit_or(const struct audit_outcome *o, bool is_enforced, bool held, const char *rlimit,
				   char *obs, size_t len)
{
	if (mlrun_failed(o))
		return error_verdict(o, obs, len);
	observe(o, obs, len);
	if (!is_enforced && held && rlimit) {
		size_t n = strlen(obs);
		snprintf(obs + n, len - n, " (%s)", rlimit);
		return AV_RLIMIT;
	}
	return !is_enforced ? AV_NOT_ENFORCED : held ? AV_PASS : AV_ESCAPED;
}

static enum audit_verdict limit(const struct audit_outcome *o, bool is_enforced, bool held, char *obs, size_t len)
{
	return limit_or(o, is_enforced, held, NULL, obs, len);
}

static enum audit_verdict pids(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs, size_t len)
{
	(void)ctx;
	return limit_or(o, enforced(o, "pids"), o->exit_status != 0, "RLIMIT_NPROC", obs, len);
}

static enum audit_verdict memory(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs, size_t len)
{
	(void)ctx;
	return limit_or(o, enforced(o, "memory"), o->exit_status != 0, "RLIMIT_DATA", obs, len);
}

static enum audit_verdict tmp_full(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				   size_t len)
{
	(void)ctx;
	return limit(o, true, o->exit_status != 0, obs, len); /* tmpfs size= holds on every host */
}

static bool status_is(const struct audit_outcome *o, const char *want)
{
	const char *s = audit_report_str(o, "status");
	return s && strcmp(s, want) == 0;
}

/* CPU time is read from the cgroup (samples > 0); RLIMIT_CPU alone is only a fallback. */
static enum audit_verdict cpu_time(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				   size_t len)
{
	(void)ctx;
	return limit_or(o, audit_report_num(o, "samples") > 0, status_is(o, "cpu-time"), "RLIMIT_CPU", obs, len);
}

static enum audit_verdict cpu_share(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				    size_t len)
{
	(void)ctx;
	double wall = audit_report_num(o, "wall_ms");
	double cpu = audit_report_num(o, "cpu_user_ms") + audit_report_num(o, "cpu_system_ms");
	double share = wall > 0 ? cpu / wall : 0;
	enum audit_verdict v = limit(o, enforced(o, "cpu"), share <= 0.35, obs, len);
	if (v != AV_ERROR)
		snprintf(obs, len, "used %.2f cores", share);
	return v;
}

static enum audit_verdict wall_clock(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				     size_t len)
{
	(void)ctx;
	return limit(o, true, status_is(o, "timeout"), obs, len);
}

/* ---- kernel module autoload (socket families and protocols) ----
 * socket(2) with an unknown protocol fails with EPROTONOSUPPORT, but only after the kernel
 * tried to load a module for it; "the call failed" therefore proves nothing. Only the
 * filter's answer (EPERM, or the kill of on_violation = kill) shows it never reached the
 * kernel. */
static enum audit_verdict filtered(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				   size_t len)
{
	enum audit_verdict v = blocked(ctx, o, obs, len);
	if (v != AV_PASS || o->exit_status == EXIT_MLRUN_SIGNAL_BASE + SIGSYS)
		return v;
	if (strncmp(o->out, "errno EPERM", 11) == 0)
		return AV_PASS;
	snprintf(obs, len, "in the kernel: %.*s", (int)strcspn(o->out, "\n"), o->out);
	return AV_ESCAPED;
}

/* ---- host details in /proc (rootfs/proc_mask.c, runtime/cmdline.c) ---- */

/* A masked /proc file reads as nothing: unreadable or empty both pass. */
static enum audit_verdict proc_masked(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				      size_t len)
{
	(void)ctx;
	if (mlrun_failed(o))
		return error_verdict(o, obs, len);
	observe(o, obs, len);
	if (o->exit_status != 0)
		return AV_PASS;
	if (!o->out[0] || !strcmp(o->out, "\n")) {
		snprintf(obs, len, "empty");
		return AV_PASS;
	}
	return AV_ESCAPED;
}

/* pid 1's command line and environment (probe strings) must show nothing of mlrun's: not this
 * binary, not the audit's directory (in --report and --ro-bind), not the variable it set. */
static enum audit_verdict pid1_clean(const struct audit_ctx *ctx, const struct audit_outcome *o, char *obs,
				     size_t len)
{
	if (mlrun_failed(o))
		return error_verdict(o, obs, len);
	observe(o, obs, len);
	bool leaks = strstr(o->out, ctx->exe) || strstr(o->out, ctx->dir) || strstr(o->out, ctx->token);
	return leaks ? AV_ESCAPED : AV_PASS;
}

#define PROC_MASKED(name, path) { name, "empty or unreadable", { "read", path }, { NULL }, false, false, false, proc_masked }

#define WRITE(path) { "write", path, NULL }

const struct audit_probe audit_probes[] = {
	/* the filesystem */
	{ "write-root", "fails: read-only root", WRITE("/mlrun-escape"), { NULL }, false, false, false, blocked },
	{ "write-etc", "fails: read-only /etc", WRITE("/etc/mlrun-escape"), { NULL }, false, false, false, blocked },
	{ "write-usr", "fails: read-only /usr", WRITE("/usr/mlrun-escape"), { NULL }, false, false, false, blocked },
	{ "write-host-dir", "fails: host dir unseen", WRITE("@CANARY"), { NULL }, false, false, false, canary },
	{ "read-host-secret", "fails: host file unseen", { "read", "@SECRET" }, { NULL }, false, false, false, secret },
	{ "read-shadow", "fails: no /etc/shadow", { "read", "/etc/shadow" }, { NULL }, false, false, false, blocked },
	{ "read-machine-id", "fails: host file unseen", { "read", "/etc/machine-id" }, { NULL }, false, false, false,
	  blocked },
	{ "write-proc-sys", "fails: /proc/sys read-only", { "open-write", "/proc/sys/kernel/hostname" }, { NULL },
	  false, false, false, blocked },
	{ "write-proc-mem", "fails: Landlock", { "open-write", "/proc/self/mem" }, { NULL }, false, false, false,
	  blocked },
	{ "overwrite-self-exe", "fails", { "open-write", "/proc/self/exe" }, { NULL }, false, false, false, blocked },
	{ "overwrite-mlrun-exe", "fails: pid 1 undumpable", { "open-write", "/proc/1/exe" }, { NULL }, false, false,
	  false, blocked },
	{ "mknod-device", "fails: no CAP_MKNOD", { "mknod", "/tmp/null" }, { NULL }, false, false, false, blocked },
	{ "mount-tmpfs", "fails: EPERM", { "mount", "/tmp" }, { NULL }, false, false, false, blocked },
	/* privileges */
	{ "capabilities", "none, no_new_privs", { "caps" }, { NULL }, false, false, false, no_caps },
	{ "setuid-binary", "euid unchanged", { "exec", "/audit-suid/probe", "ids" }, { NULL }, false, true, true,
	  setuid_ids },
	{ "new-user-namespace", "fails: EPERM", { "userns" }, { NULL }, false, false, false, blocked },
	{ "inherited-fd", "none", { "fds" }, { NULL }, false, false, false, no_fds },
	{ "leaked-env", "unset", { "env", "MLRUN_AUDIT_SECRET" }, { NULL }, false, false, false, env_unset },
	/* other processes */
	{ "host-pids-visible", "only the sandbox's", { "ls", "/proc" }, { NULL }, false, false, false, own_pids },
	{ "signal-host-pid", "fails: ESRCH", { "kill", "@PID", "15" }, { NULL }, false, false, false, host_pid },
	{ "ptrace-child", "fails: EPERM", { "ptrace-child" }, { NULL }, false, false, false, blocked },
	{ "ptrace-mlrun-init", "fails", { "syscall", "ptrace", "16", "1" }, { NULL }, false, false, false, blocked },
	{ "tiocsti-inject", "fails", { "tiocsti" }, { NULL }, true, false, false, blocked },
	/* the network */
	{ "host-loopback-tcp", "fails", { "connect", "127.0.0.1", "@PORT" }, { NULL }, false, false, false, blocked },
	{ "host-abstract-unix", "fails", { "abstract", "@ABSTRACT" }, { NULL }, false, false, false, blocked },
	{ "raw-packet-socket", "fails: EPERM", { "syscall", "socket", "17", "3", "768" }, { NULL }, false, false,
	  false, blocked },
	{ "af-alg-socket", "fails: EPERM", { "syscall", "socket", "38", "5", "0" }, { NULL }, false, false, false,
	  blocked },
	/* kernel module autoload: the filter must answer before the kernel looks for a module */
	{ "autoload-sctp", "fails: EPERM", { "socket", "inet", "stream", "sctp" }, { NULL }, false, false, false,
	  filtered },
	{ "autoload-inet-proto", "fails: EPERM", { "socket", "inet6", "dgram", "115" }, { NULL }, false, false, false,
	  filtered },
	{ "autoload-socketpair", "fails: EPERM", { "socketpair", "netlink", "raw", "0" }, { NULL }, false, false,
	  false, filtered },
	/* kernel attack surface */
	{ "keyctl", "fails: EPERM", { "syscall", "keyctl", "1", "0" }, { NULL }, false, false, false, blocked },
	{ "bpf", "fails: EPERM", { "bpf" }, { NULL }, false, false, false, blocked },
	{ "userfaultfd", "fails: EPERM", { "syscall", "userfaultfd", "1" }, { NULL }, false, false, false, blocked },
	{ "io_uring", "fails: EPERM", { "io_uring" }, { NULL }, false, false, false, blocked },
	{ "perf_event_open", "fails: EPERM", { "perf" }, { NULL }, false, false, false, blocked },
	{ "kernel-module", "fails: EPERM", { "syscall", "finit_module", "0", "0", "0" }, { NULL }, false, false,
	  false, blocked },
	{ "i386-abi-syscall", "killed: SIGSYS", { "int80", "20" }, { NULL }, false, false, false, blocked },
	{ "x32-abi-syscall", "killed: SIGSYS", { "x32", "39" }, { NULL }, false, false, false, blocked },
	/* host details in /proc: masked whatever the policy, pid 1 is not mlrun's command line */
	PROC_MASKED("proc-kallsyms", "/proc/kallsyms"),
	PROC_MASKED("proc-keys", "/proc/keys"),
	PROC_MASKED("proc-timer-list", "/proc/timer_list"),
	PROC_MASKED("proc-sched-debug", "/proc/sched_debug"),
	PROC_MASKED("proc-interrupts", "/proc/interrupts"),
	{ "pid1-cmdline", "not mlrun's command line", { "strings", "/proc/1/cmdline" }, { NULL }, false, false, false,
	  pid1_clean },
	{ "pid1-environ", "not mlrun's environment", { "strings", "/proc/1/environ" }, { NULL }, false, false, false,
	  pid1_clean },
	/* limits: each with a small limit of its own */
	{ "fork-bomb", "stops before 64", { "forkbomb", "64" }, { "--pids", "16" }, false, false, false, pids },
	{ "memory-balloon", "stops before 256M", { "memhog", "256" }, { "--memory", "64M" }, false, false, false,
	  memory },
	{ "fill-tmp", "ENOSPC at 8M", { "write", "/tmp/fill", "33554432" }, { "--tmp-size", "8M" }, false, false,
	  false, tmp_full },
	{ "cpu-time-spinner", "killed at 1s CPU", { "spin", "5" }, { "--cpu-time", "1s" }, false, false, false,
	  cpu_time },
	{ "cpu-share", "<= 0.35 of a core", { "spin", "1" }, { "--cpus", "0.25" }, false, false, false, cpu_share },
	{ "wall-clock", "killed at 500ms", { "sleep", "5" }, { "--timeout", "500ms" }, false, false, false,
	  wall_clock },
};

const size_t audit_n_probes = sizeof(audit_probes) / sizeof(audit_probes[0]);
