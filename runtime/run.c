/* run.c - `mlrun run`, top to bottom: merge the policy, prepare the sandbox, create the
 * cgroup leaf, supervise, remove the leaf, report, exit with the program's status. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "analysis.h"
#include "../lib/paths.h"
#include "../lib/cleanup.h"
#include "prepare.h"
#include "pty.h"
#include "run.h"
#include "scan.h"
#include "state.h"
#include "supervisor.h"
#include "../lib/trace.h"

extern char **environ;

void run_make_id(char *buf, size_t len)
{
	unsigned char b[6] = { 0 };
	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		uint64_t t = trace_now_ns() ^ (uint64_t)getpid();
		memcpy(b, &t, sizeof(b));
	}
	snprintf(buf, len, "r-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* built-in defaults < policy file < MLRUN_* environment < flags */
static int merge_policy(struct policy *p, const struct run_options *o, struct error *err)
{
	const char *name = o->policy ? o->policy : getenv("MLRUN_POLICY");
	int r;

	if (o->oci) /* mlrun-oci: the bundle and its annotation, never the engine's environment */
		return oci_policy(p, o->oci, err);
	policy_init(p);
	if (name && *name) {
		_cleanup_free_ char *path = NULL;
		int fd = policy_open(name, mlrun_policy_dirs(), &path, err);
		if (fd < 0)
			return fd;
		if ((r = policy_load_fd(p, fd, path, err)) < 0)
			return r;
	}
	if ((r = policy_apply_env(p, environ, err)) < 0)
		return r;
	for (size_t i = 0; i < o->n_sets; i++) {
		struct error e = { 0 };
		const struct run_set *s = &o->sets[i];
		if ((r = policy_set_from(p, s->section, s->key, s->value, s->flag, &e)) < 0) {
			error_set(err, 0, "%s: %s", s->flag, e.msg); /* e.msg has its reason: no strerror */
			return r;
		}
	}
	return policy_validate(p, err);
}

/* An MLRUN_* variable outranks the policy file (SPEC's merge order), so `MLRUN_SECCOMP=off
 * mlrun -p strict` runs without a filter: say so on stderr and in the report, so a run that
 * says "policy": "strict" never hides that its environment loosened it. */
static void note_env_settings(const struct policy *p, const struct run_options *o, struct run_result *res)
{
	if (o->oci)
		return; /* not applied (merge_policy) */
	res->n_env = policy_env_settings(environ, res->env_names, res->env_values, RUN_MAX_ENV_SETTINGS);
	for (size_t i = 0; i < res->n_env && !o->quiet && p->path; i++)
		fprintf(stderr, "mlrun: warning: %s=%s overrides the policy %s (the environment wins over the policy "
				"file; a flag wins over both)\n",
			res->env_names[i], res->env_values[i], p->name);
}

/* What holds for this run, whatever the policy asked. */
static void compute_enforced(const struct cgroup_leaf *leaf, const struct policy *p, struct run_enforced *e)
{
	memset(e, 0, sizeof(*e));
	e->memory = leaf->enforced_memory;
	e->cpu = leaf->enforced_cpu;
	e->pids = leaf->enforced_pids;
	e->io = leaf->enforced_io;
	e->seccomp = security_seccomp_enforced(p);
	if (security_seccomp_recording_only(p))
		e->seccomp_why = SECCOMP_LOG_WHY;
	e->landlock = security_landlock_enforced(p);
	e->network = p->net != NET_HOST;
	e->proc = true; /* until the child says it fell back to the container's (note_proc_fallback) */
	e->hostname = true; /* unless the container's filter denies sethostname (note_hostname_kept) */
	snprintf(e->why, sizeof(e->why), "%s", leaf->reason);
}

#define PROC_CONTAINER_WHY                                                                                 \
	"proc: the kernel refused a fresh /proc (the container's /proc has masked files), so the sandbox "  \
	"has the container's /proc, read-only ([sandbox] proc = container): the program sees the "          \
	"container's processes; " NS_FIX_UNMASK_PROC

/* [sandbox] proc = container fell back: the report and stderr say so. */
static void note_proc_fallback(const struct run_options *o, const struct run_result *res, struct run_enforced *e)
{
	if (!res->proc_container)
		return;
	e->proc = false;
	e->proc_why = PROC_CONTAINER_WHY;
	if (!o->quiet)
		fprintf(stderr, "mlrun: warning: not enforced here: %s\n", PROC_CONTAINER_WHY);
}

static void warn_degraded(const struct run_options *o, const struct run_enforced *e)
{
	if (!o->quiet && e->seccomp_why)
		fprintf(stderr, "mlrun: warning: %s\n", e->seccomp_why);
	if (o->quiet || (e->memory && e->cpu && e->pids))
		return;
	/* One line: the reason and its fix are in `mlrun features` and the report's enforced.why. */
	fprintf(stderr, "mlrun: warning: not enforced here:%s%s%s (rlimit fallbacks instead; see `mlrun features`)\n",
		e->memory ? "" : " memory", e->cpu ? "" : " cpu", e->pids ? "" : " pids");
}

/* Under the rlimit fallback (no memory cgroup) a failed allocation often ends the program with
 * SIGSEGV or SIGABRT (a stack or a heap that cannot grow), not with an out-of-memory kill anyone
 * can see: point at the limit, or the caller is left with a bare 139. */
static void hint_memory_fallback(const struct run_options *o, const struct policy *p,
				 const struct run_enforced *e, const struct run_result *res)
{
	char size[32];
	if (o->quiet || e->memory || p->memory_bytes == POLICY_UNLIMITED ||
	    (res->signal != SIGSEGV && res->signal != SIGBUS && res->signal != SIGABRT && res->signal != SIGKILL))
		return;
	if (p->memory_bytes % (1ULL << 20) == 0)
		snprintf(size, sizeof(size), "%lluM", (unsigned long long)(p->memory_bytes >> 20));
	else
		snprintf(size, sizeof(size), "%llu bytes", (unsigned long long)p->memory_bytes);
	fprintf(stderr, "mlrun: note: the program died of SIG%s while memory was limited only by the rlimit fallback "
			"(RLIMIT_DATA = %s, no memory cgroup here): running out of it ends a program this way; "
			"raise --memory if it needs more\n",
		sigabbrev_np(res->signal) ? sigabbrev_np(res->signal) : "?", size);
}

/* Inside a container whose seccomp profile denies what every sandbox needs (Docker's default
 * denies unshare, mount and sethostname without CAP_SYS_ADMIN), fail before anything is created
 * with the cause and the fixes, rather than at the first step that hits the filter. Asked only
 * under a filter: nothing else refuses these calls (ns/probe.c). Where it denies only
 * sethostname (podman's default profile), the sandbox can be built in a UTS namespace of its own
 * that keeps the container's hostname: *keep_hostname, unless [sandbox] hostname_required
 * refuses that (strict, as bubblewrap's --hostname fails hard where sethostname fails). */
static int check_container(const struct policy *p, bool *keep_hostname, struct error *err)
{
	struct ns_probe pr;
	*keep_hostname = false;
	if (!ns_seccomp_filtered())
		return 0;
	ns_probe(&pr, false);
	if (!ns_probe_hostname_only(&pr))
		return ns_check_container(&pr, err);
	if (p->hostname_required)
		return error_set(err, 0, "cannot set the hostname '%s': the container's seccomp filter "
				 "denies sethostname (podman's default profile does) and [sandbox] hostname_required = "
				 "true; set hostname_required = false (MLRUN_HOSTNAME_REQUIRED=false) to keep the "
				 "container's hostname, or " NS_SECCOMP_UNCONFINED "; see docs/containers.md",
				 p->hostname);
	*keep_hostname = true;
	return 0;
}

/* The container's hostname, which a sandbox that cannot set its own keeps: in /etc/hostname,
 * /etc/hosts and messages only when the policy would accept it as a hostname (nothing odd
 * reaches a file or a terminal); else NULL. */
static const char *container_hostname(struct utsname *u)
{
	return uname(u) == 0 && policy_hostname_valid(u->nodename) ? u->nodename : NULL;
}

/* The hostname was not set (check_container): the report and stderr say so, naming the key. */
static void note_hostname_kept(const struct run_options *o, const struct policy *p, const char *kept,
			       struct run_enforced *e)
{
	e->hostname = false;
	snprintf(e->hostname_why, sizeof(e->hostname_why),
		 "hostname: the container's seccomp filter denies sethostname (podman's default profile does), so the "
		 "sandbox keeps the container's hostname%s%s%s, not [sandbox] hostname = %s (hostname_required = false "
		 "allows it); " NS_FIX_HOSTNAME,
		 kept ? " '" : "", kept ? kept : "", kept ? "'" : "", p->hostname);
	if (!o->quiet)
		fprintf(stderr, "mlrun: warning: not enforced here: %s\n", e->hostname_why);
}

/* A state directory another user made (or opened up) refuses the run: its files would be
 * trusted by the next mlrun ps/kill/gc. One that cannot be made at all (read-only /run) only
 * costs the run's visibility to those commands, as before. */
static int check_state_dir(struct error *err)
{
	struct error e = { 0 };
	int fd = state_dir_open(true, &e);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd == -EPERM || fd == -ENOTDIR) {
		*err = e;
		return fd;
	}
	return 0;
}

/* EMFILE in mlrun's own steps (or the child's before the policy's limits apply): the caller's
 * RLIMIT_NOFILE ran out, so say which limit to raise rather than only which step failed. */
static void hint_fd_limit(struct error *err)
{
	struct rlimit rl;
	if (err->code != EMFILE || strstr(err->msg, "open_files") || getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	size_t n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, " (mlrun's own open-file limit, ulimit -n = %llu, is too low "
		 "to build the sandbox; raise it)", (unsigned long long)rl.rlim_cur);
}

int run_main(const struct run_options *o)
{
	struct error err = { 0 };
	struct policy p;
	struct sandbox sb;
	struct cgroup_host host;
	struct cgroup_leaf leaf = { .dirfd = -1 };
	struct run_result res = { .exit_code = EXIT_MLRUN_ERROR, .status = RUN_ERROR, .code = -1 };
	struct run_enforced enf = { 0 };
	struct trace tr;
	struct analysis_pin pin = { 0 };
	struct report_dest out;
	char id[64];
	int r;
	bool prepared = false, keep_hostname = false;
	struct utsname uts;

	memset(&sb, 0, sizeof(sb));
	/* The report's destination first: one that cannot be written stops the run before the
	 * program starts (its result would be lost, and a wrapper would see only the exit status). */
	if (report_open(o, &out, &err) < 0) {
		fprintf(stderr, "mlrun: %s\n", err.msg);
		return EXIT_MLRUN_ERROR;
	}
	term_save();
	trace_start(&tr, o->verbose);
	snprintf(id, sizeof(id), "%s", o->name ? o->name : "");
	if (!o->name)
		run_make_id(id, sizeof(id));

	if ((r = merge_policy(&p, o, &err)) < 0 || (r = check_container(&p, &keep_hostname, &err)) < 0 || (r = check_state_dir(&err)) < 0)
		goto fail;
	struct run_options quiet_o; /* [sandbox] quiet (or MLRUN_QUIET) is -q */
	if (p.quiet && !o->quiet) {
		quiet_o = *o;
		quiet_o.quiet = true;
		o = &quiet_o;
	}
	note_env_settings(&p, o, &res);
	trace_step(&tr, 0, "merge policy");
	/* [analysis] python: scan what will run before anything is created (advisory, analysis.h) */
	if ((r = analysis_check(&p, o, &res, &pin, &err)) < 0)
		goto fail;

	cgroup_probe(&host);
	if (o->cgroup_parent && (r = cgroup_host_set_parent(&host, o->cgroup_parent, &err)) < 0)
		goto fail;
	/* rootless in a cgroup not delegated to us: a delegated scope from the user's systemd */
	if (!o->cgroup_parent && (r = cgroup_systemd_scope(&host, id, &err)) < 0)
		goto fail;
	if (r == 1) { /* -v: where the D-Bus round trips go (docs/performance.md) */
		trace_step(&tr, host.systemd_ns[0], "probe cgroups");
		trace_step(&tr, host.systemd_ns[1], "systemd scope: load libsystemd, connect to the user bus");
		trace_step(&tr, host.systemd_ns[2], host.systemd_retried ? "systemd scope: StartTransientUnit "
					  "(twice: this manager knows no OOMPolicy for scopes)" : "systemd scope: StartTransientUnit");
		trace_step(&tr, host.systemd_ns[3], "systemd scope: wait for the job (JobRemoved)");
		trace_step(&tr, 0, "systemd scope: move into <scope>/supervisor");
	}
	if ((r = cgroup_leaf_create(&leaf, &host, id, &p, &err)) < 0)
		goto fail;
	trace_step(&tr, 0, leaf.dirfd >= 0 ? "create cgroup leaf" : "probe cgroups (none usable)");
	compute_enforced(&leaf, &p, &enf);
	if (o->oci && ((r = oci_check_enforced(o->oci, &p, &enf, &err)) < 0 || (r = oci_set_cpu_weight(o->oci, &leaf, &err)) < 0))
		goto fail;
	if (o->oci)
		oci_note_enforced(o->oci, &enf);
	if (o->oci && !enf.seccomp && !enf.seccomp_why)
		enf.seccomp_why = oci_seccomp_why(o->oci);

	const char *kept = keep_hostname ? container_hostname(&uts) : NULL;
	struct sandbox_fallbacks fb = { !enf.memory, !enf.pids, leaf.dirfd < 0,
					keep_hostname ? (kept ? kept : p.hostname) : NULL };
	prepared = true;
	if ((r = o->oci ? sandbox_prepare_oci(&sb, &p, o->oci, id, &fb, &err) : sandbox_prepare(&sb, &p, o, id, &fb, &err)) <
	    0) {
		if (sb.program_missing)
			res.exit_code = r == -ENOENT ? EXIT_MLRUN_NOT_FOUND : EXIT_MLRUN_CANNOT_EXEC;
		goto fail;
	}
	if ((r = analysis_place(&pin, &sb.plan, &err)) < 0) /* the sandbox runs the scanned bytes */
		goto fail;
	/* Which seccomp program the run loads: built into the binary or compiled now (security/builtin.c). */
	trace_step(&tr, 0, !sb.sec.seccomp      ? "prepare sandbox"
			   : sb.sec.prog_builtin ? "prepare sandbox (seccomp filter: built in at build time)"
			   : sb.sec.later	 ? "prepare sandbox (seccomp filter: compiled after the clone)"
						 : "prepare sandbox (seccomp filter: compiled now)");
	warn_degraded(o, &enf);
	if (keep_hostname)
		note_hostname_kept(o, &p, kept, &enf);
	if (!o->quiet && p.landlock && !enf.landlock)
		fprintf(stderr, "mlrun: warning: not enforced here: landlock (the kernel has no Landlock ABI)\n");

	r = supervise(&sb, &leaf, &p, &tr, &res, &err);
	/* The caller's terminal settings and fd flags are theirs again before mlrun writes. */
	term_restore();
	trace_step(&tr, 0, "program ended");
	note_proc_fallback(o, &res, &enf);
	if (cgroup_leaf_destroy(&leaf, r < 0 ? NULL : &err) < 0 && r == 0) {
		r = -EBUSY;
		res.exit_code = EXIT_MLRUN_ERROR;
	}
	if (r < 0)
		goto fail;
	trace_step(&tr, 0, "remove cgroup leaf");
	if (res.output_errno) { /* the program's output is lost: never exit 0 over that */
		fprintf(stderr, "mlrun: the program's %s could not be copied to the caller's file: %s\n",
			res.output_fd == 1 ? "stdout" : "stderr", strerror(res.output_errno));
		if (res.exit_code == 0)
			res.exit_code = EXIT_MLRUN_ERROR;
	}
	if (report_write(o, &out, id, &p, sb.argv, &res, &enf, &err) < 0) {
		fprintf(stderr, "mlrun: %s\n", err.msg);
		res.exit_code = EXIT_MLRUN_ERROR; /* a run without its report is not a success */
	}
	if (!o->quiet)
		run_note_ending(stderr, &res, &p);
	report_close(&out);
	if (o->summary)
		report_summary(stderr, &res, &enf);
	if (!o->quiet)
		violations_print(stderr, &res.violations);
	hint_memory_fallback(o, &p, &enf, &res);
	sandbox_release(&sb);
	policy_free(&p);
	free(res.analysis_json);
	analysis_pin_free(&pin);
	return res.exit_code;

fail:
	term_restore();
	cgroup_leaf_destroy(&leaf, NULL);
	hint_fd_limit(&err);
	fprintf(stderr, "mlrun: %s\n", err.msg[0] ? err.msg : strerror(-r));
	if (res.status != RUN_REJECTED)
		res.status = RUN_ERROR;
	snprintf(res.error, sizeof(res.error), "%s", err.msg);
	struct error ignored = { 0 };
	report_write(o, &out, id, &p, sb.argv ? sb.argv : o->argv, &res, &enf, &ignored);
	report_close(&out);
	if (prepared)
		sandbox_release(&sb);
	policy_free(&p);
	free(res.analysis_json);
	analysis_pin_free(&pin);
	return res.exit_code;
}
