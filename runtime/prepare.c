/* prepare.c - everything the child needs, computed by the parent before the clone: the mount
 * plan, the program's candidate paths, argv, the clean environment, rlimits, id maps. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/helper.h"
#include "../lib/num.h"
#include "../lib/paths.h"
#include "prepare.h"
#include "state.h"

/* PATH inside the sandbox; the program is looked up there by the parent. */
#define SANDBOX_PATH "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
/* Libraries that start one thread per core unless told otherwise (OpenBLAS#4762). */
static const char *const thread_vars[] = { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
					   "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS" };

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int push_path(struct sandbox *sb, const char *path, struct error *err)
{
	if (sb->n_exec_paths >= SANDBOX_MAX_EXEC_PATHS)
		return 0;
	if (!(sb->exec_paths[sb->n_exec_paths] = strdup(path)))
		return error_set(err, ENOMEM, "out of memory");
	sb->n_exec_paths++;
	return 0;
}

/* PROGRAM ending in .py/.js that is not executable runs with the policy's interpreter. */
static const char *interpreter_for(const struct policy *p, const char *prog, struct error *err, int *r)
{
	struct stat st;
	const char *interp = has_suffix(prog, ".py") ? p->interpreter_py
			     : has_suffix(prog, ".js") ? p->interpreter_js
						       : NULL;
	*r = 0;
	if (!interp)
		return NULL;
	if (stat(prog, &st) < 0) {
		*r = error_set(err, errno, "%s", prog);
		return NULL;
	}
	if ((st.st_mode & S_IXUSR) && S_ISREG(st.st_mode))
		return NULL;
	return interp;
}

static int build_exec(struct sandbox *sb, const struct policy *p, int argc, char **argv, struct error *err)
{
	int r;
	const char *interp = interpreter_for(p, argv[0], err, &r);
	if (r < 0) {
		sb->program_missing = true;
		return r;
	}
	size_t extra = interp ? 1 : 0;
	sb->argv = calloc((size_t)argc + extra + 1, sizeof(char *));
	if (!sb->argv)
		return error_set(err, ENOMEM, "out of memory");
	/* Copies: the child blanks mlrun's own argv strings before it runs the program. */
	for (int i = 0; i < argc + (int)extra; i++)
		if (!(sb->argv[i] = strdup(interp && i == 0 ? interp : argv[i - extra])))
			return error_set(err, ENOMEM, "out of memory");

	const char *prog = sb->argv[0];
	if (strchr(prog, '/'))
		return push_path(sb, prog, err);
	/* A bare name: every PATH directory of the sandbox, in order. */
	char buf[PATH_MAX];
	const char *dir = SANDBOX_PATH;
	while (*dir) {
		size_t len = strcspn(dir, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, dir, prog);
		if ((r = push_path(sb, buf, err)) < 0)
			return r;
		dir += len + (dir[len] == ':');
	}
	return 0;
}

static int env_push(char **envp, size_t *n, size_t cap, const char *name, const char *value, struct error *err)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < *n; i++) /* later settings replace earlier ones */
		if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=') {
			free(envp[i]);
			envp[i] = NULL;
			if (asprintf(&envp[i], "%s=%s", name, value) < 0)
				return error_set(err, ENOMEM, "out of memory");
			return 0;
		}
	if (*n >= cap)
		return error_set(err, E2BIG, "too many environment variables");
	if (asprintf(&envp[*n], "%s=%s", name, value) < 0)
		return error_set(err, ENOMEM, "out of memory");
	(*n)++;
	return 0;
}

/* The environment is rebuilt from nothing: a fixed minimal set, the thread counts derived from
 * --cpus, then the policy's [env] and --env/--keep-env (which win). */
static int build_env(struct sandbox *sb, const struct policy *p, const char *id, struct error *err)
{
	size_t cap = POLICY_MAX_ENV + 16, n = 0;
	char threads[24];
	int r;

	sb->envp = calloc(cap + 1, sizeof(char *));
	if (!sb->envp)
		return error_set(err, ENOMEM, "out of memory");
	const char *fixed[][2] = {
		{ "PATH", SANDBOX_PATH }, { "HOME", "/tmp" },	  { "TMPDIR", "/tmp" },
		{ "USER", "sandbox" },	  { "LOGNAME", "sandbox" }, { "LANG", "C.UTF-8" },
		{ "MLRUN_SANDBOX", "1" }, { "MLRUN_ID", id },
	};
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		if ((r = env_push(sb->envp, &n, cap, fixed[i][0], fixed[i][1], err)) < 0)
			return r;
	const char *term = getenv("TERM");
	if (term && (r = env_push(sb->envp, &n, cap, "TERM", term, err)) < 0)
		return r;
	long ncpu = p->cpus > 0 ? (long)num_ceil(p->cpus) : sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(threads, sizeof(threads), "%ld", ncpu > 0 ? ncpu : 1);
	for (size_t i = 0; i < ARRAY_SIZE(thread_vars); i++)
		if ((r = env_push(sb->envp, &n, cap, thread_vars[i], threads, err)) < 0)
			return r;
	for (size_t i = 0; i < p->n_env; i++) {
		const char *value = p->env[i].value ? p->env[i].value : getenv(p->env[i].name);
		if (value && (r = env_push(sb->envp, &n, cap, p->env[i].name, value, err)) < 0)
			return r;
	}
	return 0;
}

static void add_rlimit(struct sandbox *sb, int resource, uint64_t value)
{
	if (value == POLICY_UNLIMITED || sb->n_rlimits >= ARRAY_SIZE(sb->rlimits))
		return;
	/* RLIMIT_CPU: the soft limit sends SIGXCPU (reported as cpu-time), the hard one a second
	 * later SIGKILL; equal limits would skip straight to SIGKILL. */
	uint64_t hard = resource == RLIMIT_CPU ? value + 1 : value;
	sb->rlimits[sb->n_rlimits++] = (struct sandbox_rlimit){ resource, value, hard };
}

/* rlimits always set, plus the fallbacks for limits no cgroup enforces. RLIMIT_AS is never
 * used: it breaks JITs and ML runtimes that reserve large ranges (nsjail#76); RLIMIT_DATA
 * counts only writable private memory, so PROT_NONE reservations are unaffected. */
void sandbox_policy_rlimits(struct sandbox *sb, const struct policy *p, const struct sandbox_fallbacks *fb)
{
	add_rlimit(sb, RLIMIT_CORE, 0);
	/* A caller allowed real-time priority (RLIMIT_RTPRIO, often granted to desktop users)
	 * would hand it on: a SCHED_FIFO spinner is not held by cpu.max and starves the host, the
	 * supervisor included. RLIMIT_NICE: no raising its priority above the caller's processes. */
	add_rlimit(sb, RLIMIT_RTPRIO, 0);
	add_rlimit(sb, RLIMIT_NICE, 0);
	add_rlimit(sb, RLIMIT_FSIZE, p->file_size_bytes);
	add_rlimit(sb, RLIMIT_NOFILE, p->open_files);
	if (fb->memory)
		add_rlimit(sb, RLIMIT_DATA, p->memory_bytes);
	if (fb->pids)
		add_rlimit(sb, RLIMIT_NPROC, p->pids);
	if (fb->cpu_time && p->cpu_time_ms != POLICY_UNLIMITED)
		add_rlimit(sb, RLIMIT_CPU, p->cpu_time_ms / 1000 + (p->cpu_time_ms % 1000 != 0)); /* rounded up, no overflow */
}

/* mlrun's state directory, canonical, for the plan to hide from every bind (docs/security.md,
 * "Paths while building the root"). It is created first: one that did not exist could otherwise
 * be created by the program inside a read-write bind and trusted by the next run. If it cannot
 * be created, the program (no more rights on the host than the caller) cannot create it either. */
static const char *hidden_state_dir(char *buf, size_t len)
{
	char dir[PATH_MAX] = "";
	struct error ignored = { 0 };
	state_dir(dir, sizeof(dir), true, &ignored);
	if (!dir[0] || !realpath(dir, buf) || strlen(buf) >= len)
		return NULL;
	return buf;
}

int sandbox_prepare_ns(struct sandbox *sb, const struct policy *p, struct error *err)
{
	sb->clone_flags = NS_CLONE_FLAGS;
	if (p->net != NET_HOST)
		sb->clone_flags |= CLONE_NEWNET;
	if (p->net == NET_LOOPBACK) {
		sb->loopback = true;
		int r = ns_build_lo_up(&sb->lo, err);
		if (r < 0)
			return r;
	}
	sb->unshare_cgroupns = true;
	return 0;
}

/* As root the sandbox runs as the policy's uid/gid on the host. An id some account or group
 * holds would hand the program that account's files (gid 42 = shadow reads /etc/shadow through
 * a bind), or the caller's own: refuse it, naming the key. */
static int check_own_ids(const struct policy *p, struct error *err)
{
	if (p->uid == getuid() || p->uid == geteuid())
		return error_set(err, 0, "[sandbox] uid = %u is the caller's own uid", (unsigned)p->uid);
	if (p->gid == getgid() || p->gid == getegid())
		return error_set(err, 0, "[sandbox] gid = %u is the caller's own gid", (unsigned)p->gid);
	return 0;
}

int sandbox_check_ids(const struct policy *p, struct error *err)
{
	int r = check_own_ids(p, err);
	return r < 0 ? r : sandbox_check_accounts(p, err);
}

/* The NSS lookups run in a program of their own: accounts also live in LDAP, SSSD,
 * systemd-homed and systemd's dynamic users, which only NSS knows, and mlrun itself is linked
 * statically (glibc's NSS cannot load its modules into it; docs/performance.md). That program is
 * mlrun-ids (both lookups in one process) next to the binary or in MLRUN_LIBEXECDIR, else the
 * host's getent, once per database. Each is opened only where it must be and only if it and every
 * directory above it are root's alone (lib/helper.h), never through PATH: a program of the
 * caller's answering "no such account" would hand the sandbox that account's files. */
static int open_ids_helper(bool *ids_helper, struct error *err)
{
	*ids_helper = true;
	for (const char *const *dir = mlrun_helper_dirs(); *dir; dir++) {
		struct error ignored = { 0 };
		int fd = helper_open_in(*dir, "mlrun-ids", ns_root_alias(), &ignored);
		if (fd >= 0)
			return fd;
	}
	*ids_helper = false;
	int fd = helper_open("getent", ns_root_alias(), err);
	if (fd == -ENOENT)
		return error_set(err, ENOENT, "neither mlrun-ids nor getent was found: as root mlrun asks NSS through one of "
				 "them whether [sandbox] uid and gid belong to an account (make install; Debian's package libc-bin)");
	return fd;
}

static int lookup_start(struct helper_run *h, int exe, const char *arg0, const char *arg1, char *arg2, struct error *err)
{
	char *argv[] = { (char *)arg0, (char *)arg1, arg2, NULL };
	return helper_start(h, exe, argv, err);
}

static int refuse(const char *what, const char *id, const char *name, struct error *err)
{
	return error_set(err, 0, "[sandbox] %s = %s belongs to the %s '%s' on this host; the sandbox needs an id no account "
			 "or group uses", what, id, what[0] == 'u' ? "account" : "group", name);
}

/* The name getent or mlrun-ids wrote, printable, into name. */
static void take_name(const char *out, char *name, size_t size)
{
	size_t n = strcspn(out, ":\n");
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		name[i] = out[i] > ' ' && out[i] < 0x7f && out[i] != '\'' ? out[i] : '?';
	name[n] = '\0';
}

static int failed(const char *prog, const char *args, int status, const char *out, struct error *err)
{
	char why[128];
	if (WIFEXITED(status))
		snprintf(why, sizeof(why), "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "was killed by signal %d", WTERMSIG(status));
	return error_set(err, 0, "cannot tell whether the sandbox's ids are taken on this host: `%s %s` %s%s%.*s", prog,
			 args, why, out[0] ? ": " : "", (int)strcspn(out, "\n"), out);
}

/* getent: 0 when no entry has the id, a refusal when one has, a failure for anything else
 * (fail closed: only "not found", exit 2, lets the run go on). */
static int getent_finish(struct helper_run *h, const char *db, const char *key, struct error *err)
{
	char out[256], name[64], args[64];
	int status = helper_finish(h, "getent", out, sizeof(out), err);
	if (status < 0)
		return status;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		return 0;
	snprintf(args, sizeof(args), "%s %s", db, key);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return failed("getent", args, status, out, err);
	take_name(out, name, sizeof(name));
	return refuse(db[0] == 'p' ? "uid" : "gid", key, name, err);
}

/* mlrun-ids: 0 free, 3 the uid is an account's, 4 the gid a group's, anything else a failure. */
static int ids_finish(struct sandbox_accounts *a, struct error *err)
{
	char out[256], name[64], args[40];
	int status = helper_finish(&a->pw, "mlrun-ids", out, sizeof(out), err);
	if (status < 0)
		return status;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (code == 0)
		return 0;
	snprintf(args, sizeof(args), "%s %s", a->uid, a->gid);
	if (code != 3 && code != 4)
		return failed("mlrun-ids", args, status, out, err);
	take_name(out, name, sizeof(name));
	return refuse(code == 3 ? "uid" : "gid", code == 3 ? a->uid : a->gid, name, err);
}

int sandbox_accounts_start(struct sandbox_accounts *a, const struct policy *p, struct error *err)
{
	a->pw = a->gr = (struct helper_run){ -1, -1 };
	_cleanup_close_ int exe = open_ids_helper(&a->ids_helper, err);
	if (exe < 0)
		return exe;
	snprintf(a->uid, sizeof(a->uid), "%u", (unsigned)p->uid);
	snprintf(a->gid, sizeof(a->gid), "%u", (unsigned)p->gid);
	if (a->ids_helper)
		return lookup_start(&a->pw, exe, "mlrun-ids", a->uid, a->gid, err);
	/* getent: both databases at once, the two lookups together take no longer than one */
	int r = lookup_start(&a->pw, exe, "getent", "passwd", a->uid, err);
	if (r == 0 && (r = lookup_start(&a->gr, exe, "getent", "group", a->gid, err)) < 0)
		helper_abort(&a->pw);
	return r;
}

void sandbox_accounts_abort(struct sandbox_accounts *a)
{
	helper_abort(&a->pw);
	helper_abort(&a->gr);
}

int sandbox_accounts_finish(struct sandbox_accounts *a, struct error *err)
{
	int r = a->ids_helper ? ids_finish(a, err) : getent_finish(&a->pw, "passwd", a->uid, err);
	if (r == 0 && !a->ids_helper)
		r = getent_finish(&a->gr, "group", a->gid, err);
	sandbox_accounts_abort(a);
	return r;
}

int sandbox_check_accounts(const struct policy *p, struct error *err)
{
	struct sandbox_accounts a;
	int r = sandbox_accounts_start(&a, p, err);
	return r < 0 ? r : sandbox_accounts_finish(&a, err);
}

/* Root without the capabilities to map another uid maps its own uid 0, as a rootless caller
 * maps its own. The kernel allows a map of host uid 0 only to a writer holding CAP_SETFCAP
 * (Linux 5.12+: a mapped root could write file capabilities that count outside), so without
 * it no user namespace can be set up at all: say so before the clone. */
static int check_own_root_map(struct error *err)
{
	if (geteuid() != 0 || ns_have_cap(CAP_SETFCAP))
		return 0;
	return error_set(err, 0, "running as root (uid 0) without CAP_SETUID/CAP_SETGID and without "
			 "CAP_SETFCAP: the kernel lets it map neither another uid into the sandbox's user namespace "
			 "(needs CAP_SETUID) nor its own uid 0 (needs CAP_SETFCAP), so no sandbox can be set up; run "
			 "the container with Docker's default capabilities (or add CAP_SETUID and CAP_SETGID, or "
			 "CAP_SETFCAP), or as a non-root user (USER 1000); see docs/containers.md");
}

int sandbox_prepare(struct sandbox *sb, const struct policy *p, const struct run_options *o, const char *id,
		    const struct sandbox_fallbacks *fb, struct error *err)
{
	int r;

	memset(sb, 0, sizeof(*sb));
	sb->policy = p;
	sb->id = id;
	sb->hostname = fb->kept_hostname ? NULL : p->hostname; /* NULL: the child leaves it */
	sb->verbose = o->verbose;
	sb->sync_fd = sb->msg_fd = sb->status_fd = sb->tty_slave = -1;
	sb->ready_fd = sb->start_fd = sb->oci_stdio[0] = sb->oci_stdio[1] = sb->oci_stdio[2] = -1;
	sb->premade_fd[0] = sb->premade_fd[1] = -1;
	sb->as_root = geteuid() == 0 && ns_can_map_ids(p->uid, p->gid);
	/* As root the sandbox runs as an unprivileged host uid, never 0; rootless (and as a root
	 * that cannot map other ids: no CAP_SETUID/CAP_SETGID in a container, or a user namespace
	 * that maps only root), the caller's own ids map to themselves. The inside ids equal the
	 * host ids either way. */
	/* The NSS lookup (mlrun-ids, ≈1 ms; or two getent processes) starts now and is read after
	 * the clone: it runs beside this preparation and the child's root build, off the critical path. */
	if (sb->as_root && ((r = check_own_ids(p, err)) < 0 || (r = sandbox_accounts_start(&sb->accounts, p, err)) < 0))
		return r;
	sb->check_accounts_later = sb->as_root;
	if (!sb->as_root && (r = check_own_root_map(err)) < 0)
		return r;
	uid_t uid = sb->as_root ? p->uid : geteuid();
	gid_t gid = sb->as_root ? p->gid : getegid();
	sb->idmap = (struct ns_idmap){ .inside_uid = uid, .host_uid = uid, .inside_gid = gid, .host_gid = gid,
				       .deny_setgroups = !sb->as_root };

	if ((r = sandbox_prepare_ns(sb, p, err)) < 0)
		return r;

	char state[PATH_MAX];
	struct rootfs_identity ident = { uid, gid, fb->kept_hostname ? fb->kept_hostname : p->hostname, isatty(0) || isatty(1) || isatty(2),
					 hidden_state_dir(state, sizeof(state)) };
	if ((r = rootfs_plan_build(&sb->plan, p, &ident, err)) < 0)
		return r;
	if ((r = build_exec(sb, p, o->argc, o->argv, err)) < 0 || (r = build_env(sb, p, id, err)) < 0)
		return r;
	if ((r = security_prepare_overlapped(&sb->sec, p, &sb->plan, err)) < 0)
		return r;
	sandbox_policy_rlimits(sb, p, fb);
	return sandbox_find_cmdline(&sb->cmdline, err);
}

void sandbox_release(struct sandbox *sb)
{
	if (sb->check_accounts_later)
		sandbox_accounts_abort(&sb->accounts);
	if (sb->idmap.via_helpers) {
		if (sb->idmap.newuidmap_fd >= 0)
			close(sb->idmap.newuidmap_fd);
		if (sb->idmap.newgidmap_fd >= 0)
			close(sb->idmap.newgidmap_fd);
	}
	security_release(&sb->sec);
	rootfs_plan_free(&sb->plan);
	for (size_t i = 0; i < sb->n_join; i++)
		close(sb->join_fd[i]);
	sb->n_join = 0;
	for (size_t i = 0; i < sb->n_exec_paths; i++)
		free(sb->exec_paths[i]);
	if (sb->envp)
		for (char **e = sb->envp; *e; e++)
			free(*e);
	free(sb->envp);
	if (sb->argv)
		for (char **a = sb->argv; *a; a++)
			free(*a);
	free(sb->argv);
	sb->envp = NULL;
	sb->argv = NULL;
	sb->n_exec_paths = 0;
}
