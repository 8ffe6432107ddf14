/* oci_exec.c - mlrun-oci exec, ps, pause and resume (docs/oci.md).
 *
 * exec: a new process in a running container, with exactly its program's isolation. It joins
 * every namespace of the container through a pidfd of the sandbox's pid 1 (mlrun's init),
 * the one mlrun's state entry names, verified as `mlrun kill` verifies it: its start time, its
 * parent the container's live supervisor, a pid namespace other than ours; nothing is read
 * from the container's own /proc. It enters the container's cgroup leaf when there is one,
 * then gets the program's walls, in the program's order: its uid/gid, rlimits, no
 * capabilities (sandbox_set_capabilities(), the program's own step), no_new_privs, the
 * config's seccomp filter and the run.mlrun.policy annotation's, stacked. Its fds are 0-2
 * (the engine's, or the console socket's pty) and nothing else of ours.
 *
 * Processes: mlrun-oci exec (P) forks the joiner (A), which joins the cgroup and the
 * namespaces and forks the process (B), the first one in the container's pid namespace; A
 * exits at once, so B is reparented to the engine's subreaper (conmon, containerd's shim) that
 * reads B's host pid from --pid-file and reaps it: its exit status is the exec's. Without
 * --detach, P is that subreaper itself and exits with B's status. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json.h>
#include <grp.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../lib/cleanup.h"
#include "../runtime/oci_spec.h"
#include "../runtime/prepare.h"
#include "../runtime/state.h"
#include "oci_int.h"

#define CONFIG_MAX (4 << 20)
#define PROCESS_MAX (1 << 20)
#define EXEC_MAX_ENV 256

/* ---- the container's verified parts ------------------------------------------------------ */

/* mlrun's own state entry of the container (its supervisor, pid 1, cgroup leaf): only if it is
 * the supervisor state.json names (same pid and start time). */
static int container_entry(const char *id, const struct oci_state *s, struct state_entry *e)
{
	struct error err = { 0 };
	if (!s->mlrun_id[0] || state_find(s->mlrun_id, e, &err) < 0)
		return -fail("container %s: mlrun's state entry %s is missing%s%s", id, s->mlrun_id,
			     err.msg[0] ? ": " : "", err.msg);
	if (e->supervisor_pid != s->pid || e->supervisor_start != s->pid_start)
		return -fail("container %s: mlrun's state entry %s names another supervisor: refusing it", id, s->mlrun_id);
	return 0;
}

static int open_state(const char *id, struct oci_state *s)
{
	_cleanup_close_ int dfd = open_container_dir(id, false, NULL);
	if (dfd < 0 || read_state(dfd, id, s) < 0)
		return -1;
	json_object_put(s->annotations);
	s->annotations = NULL;
	return 0;
}

bool oci_frozen(const struct oci_state *s)
{
	struct state_entry e;
	struct error err = { 0 };
	struct cgroup_leaf leaf;
	char buf[8] = "";
	if (!s->mlrun_id[0] || state_find(s->mlrun_id, &e, &err) < 0 || e.supervisor_pid != s->pid ||
	    state_open_leaf(&e, &leaf) < 0)
		return false;
	int fd = openat(leaf.dirfd, "cgroup.freeze", O_RDONLY | O_CLOEXEC);
	close(leaf.dirfd);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && buf[0] == '1';
}

/* ---- exec: the process' side (A and B); no allocation from here on ---------------------- */

enum exec_stage {
	EX_DUMPABLE,
	EX_CGROUP,
	EX_SETNS,
	EX_FORK,
	EX_SESSION,
	EX_TERMINAL,
	EX_IDENTITY,
	EX_CLOSE_FDS,
	EX_CWD,
	EX_RLIMITS,
	EX_CAPS,
	EX_NNP,
	EX_SECCOMP,
	EX_EXEC,
};

static const char *const exec_stage_names[] = {
	[EX_DUMPABLE] = "make the process undumpable",
	[EX_CGROUP] = "join the container's cgroup leaf",
	[EX_SETNS] = "join the container's namespaces",
	[EX_FORK] = "fork into the container's pid namespace",
	[EX_SESSION] = "start a new session",
	[EX_TERMINAL] = "take the console as controlling terminal",
	[EX_IDENTITY] = "switch to process.user",
	[EX_CLOSE_FDS] = "close mlrun-oci's descriptors",
	[EX_CWD] = "enter process.cwd",
	[EX_RLIMITS] = "set rlimits",
	[EX_CAPS] = "drop capabilities",
	[EX_NNP] = "set no_new_privs",
	[EX_SECCOMP] = "load the seccomp filters",
	[EX_EXEC] = "execute the program",
};

struct exec_msg {
	int stage, err;
};

struct joiner {
	const struct sandbox *sb;
	int init_fd;  /* pidfd of the container's pid 1 */
	int ns_flags; /* CLONE_NEW* to join */
	int procs_fd; /* the leaf's cgroup.procs, -1 without a leaf */
	int tty;      /* the console's pty slave, -1 without a terminal */
	int pid_fd;   /* A -> P: B's host pid */
	int err_fd;   /* A, B -> P: an exec_msg; EOF at B's execve */
	uid_t uid;
	gid_t gid;
	bool as_root;
	const char *cwd;
};

__attribute__((noreturn)) static void exec_fail(const struct joiner *j, enum exec_stage stage, int e)
{
	struct exec_msg m = { stage, e < 0 ? -e : e };
	ssize_t n = write(j->err_fd, &m, sizeof(m));
	(void)n;
	_exit(127);
}

static void exec_step(const struct joiner *j, enum exec_stage stage, int r)
{
	if (r < 0)
		exec_fail(j, stage, r);
}

/* Nothing of ours reaches the program: every fd but 0-2 and the error pipe (close-on-exec) is
 * closed before the first path inside the container is resolved, so no host directory can be
 * reached as /proc/self/fd/N (runc's CVE-2024-21626). */
static int close_host_fds(const struct joiner *j)
{
	if (j->err_fd > 3 && syscall(SYS_close_range, 3, j->err_fd - 1, 0) < 0)
		return -errno;
	return syscall(SYS_close_range, j->err_fd + 1, ~0u, 0) < 0 ? -errno : 0;
}

/* process.cwd, resolved inside the container's root as its program would, after the switch to
 * process.user and with no fd of ours left: a link the container planted there resolves
 * within the container's root, and a /proc magic link is refused. */
static int enter_cwd(const char *cwd)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	int fd = (int)syscall(SYS_openat2, root, cwd, &how, sizeof(how));
	int e = errno;
	close(root);
	if (fd < 0)
		return -e;
	int r = fchdir(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int become_user(const struct joiner *j)
{
	/* The host's supplementary groups (root's) must not follow the process in. */
	if (setgroups(0, NULL) < 0 && (j->as_root || errno != EPERM))
		return -errno;
	if (setresgid(j->gid, j->gid, j->gid) < 0)
		return -errno;
	/* the permitted set survives the switch away from uid 0 (sandbox_set_capabilities then
	 * keeps exactly what process.capabilities grants, as for the program) */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresuid(j->uid, j->uid, j->uid) < 0)
		return -errno;
	return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ? -errno : 0;
}

/* The config's filter first, then the policy's, without a listener (its notifying verdicts
 * were rewritten by seccomp_prog_unmonitored: no monitor reads an exec'd process' calls). */
static int load_filters(const struct security_plan *sec)
{
	if (sec->oci_prog.len && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sec->oci_prog) < 0)
		return -errno;
	if (sec->seccomp && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sec->prog) < 0)
		return -errno;
	return 0;
}

__attribute__((noreturn)) static void exec_process(const struct joiner *j)
{
	const struct sandbox *sb = j->sb;
	close(j->pid_fd);
	exec_step(j, EX_SESSION, setsid() < 0 ? -errno : 0);
	if (j->tty >= 0) {
		exec_step(j, EX_TERMINAL, ioctl(j->tty, TIOCSCTTY, 0) < 0 ? -errno : 0);
		for (int fd = 0; fd < 3; fd++)
			exec_step(j, EX_TERMINAL, dup2(j->tty, fd) < 0 ? -errno : 0);
	}
	exec_step(j, EX_IDENTITY, become_user(j));
	exec_step(j, EX_CLOSE_FDS, close_host_fds(j));
	exec_step(j, EX_CWD, enter_cwd(j->cwd));
	if (sb->set_umask)
		umask(sb->umask);
	exec_step(j, EX_RLIMITS, sandbox_set_rlimits(sb));
	exec_step(j, EX_CAPS, sandbox_set_capabilities(&sb->caps));
	exec_step(j, EX_NNP, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0);
	exec_step(j, EX_SECCOMP, load_filters(&sb->sec));
	int best = -ENOENT;
	for (size_t i = 0; i < sb->n_exec_paths; i++) {
		execve(sb->exec_paths[i], sb->argv, sb->envp);
		if (errno != ENOENT && errno != ENOTDIR && best == -ENOENT)
			best = -errno;
	}
	exec_fail(j, EX_EXEC, best);
}

/* A: undumpable before it enters anything (the container's processes, same uid inside, cannot
 * ptrace it or open its /proc/PID/fd while it holds our fds), into the leaf, into the
 * namespaces, then B. */
__attribute__((noreturn)) static void exec_joiner(const struct joiner *j)
{
	exec_step(j, EX_DUMPABLE, prctl(PR_SET_DUMPABLE, 0) < 0 ? -errno : 0);
	if (j->procs_fd >= 0)
		exec_step(j, EX_CGROUP, write(j->procs_fd, "0", 1) != 1 ? -errno : 0);
	exec_step(j, EX_SETNS, setns(j->init_fd, j->ns_flags) < 0 ? -errno : 0);
	pid_t b = fork();
	if (b == 0)
		exec_process(j);
	exec_step(j, EX_FORK, b < 0 ? -errno : 0);
	ssize_t n = write(j->pid_fd, &b, sizeof(b));
	_exit(n == sizeof(b) ? 0 : 1);
}

/* ---- exec: the command ------------------------------------------------------------------- */

struct exec_args {
	const char *process, *pid_file, *console_socket, *cwd, *user, *id;
	const char *env[EXEC_MAX_ENV];
	size_t n_env;
	bool detach, tty;
	char **args;
	int n_args;
};

static int parse_exec_args(int argc, char **argv, struct exec_args *a)
{
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },	 { "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },	 { "console-socket", required_argument, NULL, 'S' },
		{ "tty", no_argument, NULL, 't' },		 { "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },	 { "user", required_argument, NULL, 'u' },
		{ "preserve-fds", required_argument, NULL, 'f' }, { "no-new-privs", no_argument, NULL, 'n' },
		{ "ignore-paused", no_argument, NULL, 'i' },	 { "cap", required_argument, NULL, 'C' },
		{ "additional-gids", required_argument, NULL, 'g' }, { "apparmor", required_argument, NULL, 'A' },
		{ "process-label", required_argument, NULL, 'L' }, { "cgroup", required_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 0;
	opterr = 0;
	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "+p:dtu:e:c:g:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->process = optarg;
			break;
		case 'd':
			a->detach = true;
			break;
		case 'P':
			a->pid_file = optarg;
			break;
		case 'S':
			a->console_socket = optarg;
			break;
		case 't':
			a->tty = true;
			break;
		case 'w':
			a->cwd = optarg;
			break;
		case 'e':
			if (a->n_env >= EXEC_MAX_ENV)
				return fail("exec: more than %d --env", EXEC_MAX_ENV);
			a->env[a->n_env++] = optarg;
			break;
		case 'u':
			a->user = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "0") != 0)
				return fail("exec --preserve-fds %s: passing extra descriptors is not supported", optarg);
			break;
		case 'n': /* always */
		case 'i': /* a paused container is refused all the same */
			break;
		case 'c': /* runc's -c is --cap */
		case 'C':
			return fail("exec --cap %s: not supported by mlrun-oci (the process' capabilities apply; docs/oci.md)", optarg);
		case 'g':
			return fail("exec --additional-gids %s: not supported by mlrun-oci exec", optarg);
		case 'A':
		case 'L':
			if (optarg[0])
				return fail("exec %s %s: not supported by mlrun-oci", argv[optind - 1], optarg);
			break;
		case 'G':
			return fail("exec --cgroup %s: the process always joins the container's own leaf", optarg);
		default:
			return fail("exec: unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return fail("usage: exec [--process FILE] [--detach] [--pid-file F] [--console-socket S] [--tty] [--cwd D] "
			    "[--env K=V] [--user UID[:GID]] ID [ARGS...]");
	a->id = argv[optind++];
	a->args = argv + optind;
	a->n_args = argc - optind;
	if (a->process && a->n_args)
		return fail("exec: --process FILE and ARGS: one or the other");
	if (!a->process && !a->n_args)
		return fail("exec %s: no --process FILE and no ARGS: nothing to run", a->id);
	return 0;
}

/* A regular file of at most max bytes, NUL-terminated (malloc'd). */
static char *read_small(int fd, size_t max, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		errno = EFBIG;
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			free(buf);
			errno = n < 0 ? errno : EIO;
			return NULL;
		}
		got += (size_t)n;
	}
	if (buf)
		buf[got] = '\0';
	*len = got;
	return buf;
}

static json_object *parse_json(const char *text, size_t len)
{
	json_tokener *tok = json_tokener_new_ex(64);
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	bool ok = json_tokener_get_error(tok) == json_tokener_success && json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The exec'd process: --process FILE, or the container's process with ARGS and the flags. */
static json_object *exec_process_json(const struct exec_args *a, const struct oci_spec *config)
{
	if (a->process) {
		_cleanup_close_ int fd = open(a->process, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		size_t len;
		_cleanup_free_ char *text = fd < 0 ? NULL : read_small(fd, PROCESS_MAX, &len);
		json_object *o = text ? parse_json(text, len) : NULL;
		if (!o)
			fail("exec --process %s: %s", a->process, text ? "not a JSON object" : strerror(errno));
		return o;
	}
	json_object *p = NULL, *orig;
	if (!json_object_object_get_ex(config->root, "process", &orig) || json_object_deep_copy(orig, &p, NULL) < 0) {
		fail("exec %s: cannot copy the container's process", a->id);
		return NULL;
	}
	json_object *args = json_object_new_array(), *env, *user;
	for (int i = 0; i < a->n_args; i++)
		json_object_array_add(args, json_object_new_string(a->args[i]));
	json_object_object_add(p, "args", args);
	json_object_object_add(p, "terminal", json_object_new_boolean(a->tty));
	json_object_object_del(p, "consoleSize");
	if (a->cwd)
		json_object_object_add(p, "cwd", json_object_new_string(a->cwd));
	if (a->n_env) {
		if (!json_object_object_get_ex(p, "env", &env) || !json_object_is_type(env, json_type_array)) {
			env = json_object_new_array();
			json_object_object_add(p, "env", env);
		}
		for (size_t i = 0; i < a->n_env; i++)
			json_object_array_add(env, json_object_new_string(a->env[i]));
	}
	if (a->user) {
		unsigned uid, gid;
		int n = 0, k = sscanf(a->user, "%u%n:%u%n", &uid, &n, &gid, &n);
		if (k < 1 || a->user[n]) {
			json_object_put(p);
			fail("exec --user %s: UID or UID:GID (numbers)", a->user);
			return NULL;
		}
		if (!json_object_object_get_ex(p, "user", &user) || !json_object_is_type(user, json_type_object)) {
			user = json_object_new_object();
			json_object_object_add(p, "user", user);
		}
		json_object_object_add(user, "uid", json_object_new_int64(uid));
		if (k == 2)
			json_object_object_add(user, "gid", json_object_new_int64(gid));
		json_object_object_del(user, "additionalGids");
	}
	return p;
}

static int load_config(const char *id, struct oci_spec *config)
{
	struct error err = { 0 };
	_cleanup_close_ int dfd = open_container_dir(id, false, NULL);
	if (dfd < 0)
		return -1;
	_cleanup_close_ int fd = open_private(dfd, "config.json", O_RDONLY);
	size_t len;
	_cleanup_free_ char *text = fd < 0 ? NULL : read_small(fd, CONFIG_MAX, &len);
	if (!text)
		return -fail("container %s: no private copy of its config (%s)", id, strerror(fd < 0 ? -fd : errno));
	if (oci_spec_parse(text, len, config, &err) < 0)
		return -fail("container %s: its config: %s", id, err.msg);
	return 0;
}

static volatile pid_t exec_pid;
static void forward_to_exec(int sig)
{
	if (exec_pid > 0)
		kill(exec_pid, sig);
}

/* Without --detach: we are the subreaper B was reparented to; wait for it (A is reaped on the
 * way) and exit with its status, relaying the usual signals. */
static int wait_exec(pid_t b)
{
	static const int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	struct sigaction sa = { .sa_handler = forward_to_exec };
	sigemptyset(&sa.sa_mask);
	exec_pid = b;
	for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
		sigaction(fwd[i], &sa, NULL);
	int status;
	for (;;) {
		pid_t w = waitpid(-1, &status, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fail("exec: lost the process: %s", strerror(errno));
		if (w == b)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}

struct exec_ctx {
	struct oci_spec config, proc;
	struct policy policy;
	struct sandbox sb;
	bool sb_ready;
	struct state_entry entry;
	struct cgroup_leaf leaf;
	int init_fd, procs_fd, tty;
	int pid_pipe[2], err_pipe[2];
};

static void exec_ctx_free(struct exec_ctx *c)
{
	if (c->sb_ready)
		sandbox_release(&c->sb);
	policy_free(&c->policy); /* zeroed, or oci_policy()'s */
	oci_spec_free(&c->config);
	oci_spec_free(&c->proc);
	int *fds[] = { &c->init_fd, &c->procs_fd, &c->tty, &c->leaf.dirfd, &c->pid_pipe[0], &c->pid_pipe[1],
		       &c->err_pipe[0], &c->err_pipe[1] };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(TAKE_FD(*fds[i]));
}

static int exec_prepare(const struct exec_args *a, struct exec_ctx *c)
{
	struct oci_state s;
	struct error err = { 0 };
	if (open_state(a->id, &s) < 0)
		return -1;
	if (!supervisor_running(&s) || !s.started)
		return -fail("container %s is not running: nothing to exec in", a->id);
	if (oci_frozen(&s))
		return -fail("container %s is paused: resume it first", a->id);
	if (load_config(a->id, &c->config) < 0 || container_entry(a->id, &s, &c->entry) < 0)
		return -1;
	json_object *pj = exec_process_json(a, &c->config);
	if (!pj)
		return -1;
	int r = oci_process_parse(pj, &c->proc, &err);
	json_object_put(pj);
	if (r < 0)
		return -fail("exec %s: %s", a->process ? a->process : "process", err.msg);
	if (c->proc.terminal && !a->console_socket)
		return -fail("exec %s: process.terminal is true but no --console-socket was given", a->id);
	/* The process joins pid 1's namespaces: the recorded one, checked after it is pinned. */
	if ((c->init_fd = state_open_init(&c->entry)) < 0)
		return -fail("container %s: its pid 1 is not the one mlrun recorded (%s): refusing to join it", a->id,
			     strerror(-c->init_fd));
	struct sandbox_fallbacks fb = { .memory = true, .pids = true, .cpu_time = true };
	if (c->entry.cgroup[0]) {
		if (state_open_leaf(&c->entry, &c->leaf) < 0)
			return -fail("container %s: its cgroup leaf %s is not mlrun's: refusing it", a->id, c->entry.cgroup);
		if ((c->procs_fd = openat(c->leaf.dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC)) < 0)
			return -fail("container %s: cannot open %s/cgroup.procs: %s", a->id, c->leaf.path, strerror(errno));
		fb.memory = fb.pids = false;
	}
	struct run_oci oci = { .spec = &c->config };
	if (oci_policy(&c->policy, &oci, &err) < 0)
		return -fail("container %s: %s", a->id, err.msg);
	c->sb_ready = true;
	if (sandbox_prepare_oci_exec(&c->sb, &c->policy, &c->config, &c->proc, &fb, &err) < 0)
		return -fail("exec %s: %s", a->id, err.msg);
	if (c->proc.terminal && (c->tty = open_console(a->console_socket, &c->proc)) < 0)
		return -1;
	if (pipe2(c->pid_pipe, O_CLOEXEC) < 0 || pipe2(c->err_pipe, O_CLOEXEC) < 0)
		return -fail("exec: cannot create pipes: %s", strerror(errno));
	return 0;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)got;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int oci_cmd_exec(int argc, char **argv)
{
	struct exec_args a;
	if (parse_exec_args(argc, argv, &a))
		return 1;
	struct exec_ctx c;
	memset(&c, 0, sizeof(c));
	c.init_fd = c.procs_fd = c.tty = c.leaf.dirfd = -1;
	c.pid_pipe[0] = c.pid_pipe[1] = c.err_pipe[0] = c.err_pipe[1] = -1;
	int rc = 1;
	if (exec_prepare(&a, &c) < 0)
		goto out;
	/* The host's network is not a namespace of the container's to join. */
	int ns = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
	if (c.policy.net != NET_HOST)
		ns |= CLONE_NEWNET;
	struct joiner j = { .sb = &c.sb, .init_fd = c.init_fd, .ns_flags = ns, .procs_fd = c.procs_fd, .tty = c.tty,
			    .pid_fd = c.pid_pipe[1], .err_fd = c.err_pipe[1], .uid = c.proc.uid, .gid = c.proc.gid,
			    .as_root = geteuid() == 0, .cwd = c.proc.cwd };
	if (!a.detach && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		fail("exec: cannot become a subreaper: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	pid_t joiner = fork();
	if (joiner < 0) {
		fail("exec: cannot fork: %s", strerror(errno));
		goto out;
	}
	if (joiner == 0)
		exec_joiner(&j);
	close(TAKE_FD(c.pid_pipe[1]));
	close(TAKE_FD(c.err_pipe[1]));
	pid_t b = -1;
	ssize_t n = read_full(c.pid_pipe[0], &b, sizeof(b));
	while (waitpid(joiner, NULL, 0) < 0 && errno == EINTR)
		;
	struct exec_msg m;
	ssize_t e = read_full(c.err_pipe[0], &m, sizeof(m)); /* EOF: B has exec'd its program */
	if (e == (ssize_t)sizeof(m)) {
		const char *what = m.stage >= 0 && (size_t)m.stage < ARRAY_SIZE(exec_stage_names) ? exec_stage_names[m.stage]
												 : "start the process";
		/* The kernel lets setns() through a pidfd only a caller that may ptrace the target,
		 * and mlrun's pid 1 is undumpable with the host's user namespace as its mm's. */
		if (m.stage == EX_SETNS && m.err == EPERM && geteuid() != 0)
			fail("exec %s: cannot %s: %s (rootless outside an engine's user namespace, the kernel "
			     "lets only a caller that may ptrace mlrun's undumpable pid 1 join it; docs/oci.md)",
			     a.id, what, strerror(m.err));
		else
			fail("exec %s: cannot %s: %s", a.id, what, strerror(m.err));
		if (!a.detach && n == (ssize_t)sizeof(b) && b > 0)
			waitpid(b, NULL, 0);
		goto out;
	}
	if (n != (ssize_t)sizeof(b) || b <= 0) {
		fail("exec %s: the process was not started", a.id);
		goto out;
	}
	int w;
	if (a.pid_file && (w = write_pid_file(a.pid_file, b)) < 0) {
		fail("exec %s: --pid-file %s: %s", a.id, a.pid_file, strerror(-w));
		kill(b, SIGKILL);
		goto out;
	}
	rc = a.detach ? 0 : wait_exec(b);
out:
	exec_ctx_free(&c);
	return rc;
}

/* ---- ps ---------------------------------------------------------------------------------- */

static int cmp_pid(const void *x, const void *y)
{
	return *(const int *)x - *(const int *)y;
}

static bool same_ns(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The container's host pids: its leaf's cgroup.procs, or (no leaf) every process in pid 1's
 * pid namespace (exec'd processes are not pid 1's descendants). */
/* v twice as long; on failure v is freed (the caller only returns). */
static int grow_pids(int **v, size_t *cap)
{
	int *w = realloc(*v, *cap * 2 * sizeof(**v));
	if (!w) {
		free(*v);
		*v = NULL;
		return -ENOMEM;
	}
	*v = w;
	*cap *= 2;
	return 0;
}

static int container_pids(const struct state_entry *e, int **out, size_t *n)
{
	size_t cap = 64;
	int *v = malloc(cap * sizeof(*v));
	*n = 0;
	if (!v)
		return -ENOMEM;
	struct cgroup_leaf leaf;
	if (e->cgroup[0] && state_open_leaf(e, &leaf) == 0) {
		int fd = openat(leaf.dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
		close(leaf.dirfd);
		_cleanup_fclose_ FILE *f = fd < 0 ? NULL : fdopen(fd, "re");
		int pid;
		while (f && fscanf(f, "%d", &pid) == 1) {
			if (*n == cap && grow_pids(&v, &cap) < 0)
				return -ENOMEM;
			v[(*n)++] = pid;
		}
	} else {
		char ns[64], path[64];
		snprintf(ns, sizeof(ns), "/proc/%d/ns/pid", (int)e->init_pid);
		_cleanup_closedir_ DIR *d = opendir("/proc");
		struct dirent *de;
		while (d && (de = readdir(d))) {
			char *end;
			long pid = strtol(de->d_name, &end, 10);
			if (*end || pid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/ns/pid", pid);
			if (pid == e->init_pid || !same_ns(ns, path))
				continue;
			if (*n == cap && grow_pids(&v, &cap) < 0)
				return -ENOMEM;
			v[(*n)++] = (int)pid;
		}
	}
	qsort(v, *n, sizeof(*v), cmp_pid);
	*out = v;
	return 0;
}

int oci_cmd_ps(int argc, char **argv)
{
	bool json = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *f = NULL;
		if (!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f"))
			f = i + 1 < argc ? argv[++i] : "";
		else if (!strncmp(argv[i], "--format=", 9))
			f = argv[i] + 9;
		else
			return fail("ps: unknown option %s", argv[i]);
		if (strcmp(f, "json") && strcmp(f, "table"))
			return fail("ps --format %s: table or json", f);
		json = !strcmp(f, "json");
	}
	if (i != argc - 1)
		return fail("usage: ps [--format table|json] ID");
	const char *id = argv[i];
	struct oci_state s;
	struct state_entry e;
	if (open_state(id, &s) < 0)
		return 1;
	if (!supervisor_running(&s)) {
		if (json)
			printf("[]\n");
		return 0;
	}
	if (container_entry(id, &s, &e) < 0)
		return 1;
	if (!state_init_verified(&e))
		return fail("container %s: its pid 1 is not the one mlrun recorded: refusing it", id);
	_cleanup_free_ int *pids = NULL;
	size_t n;
	int r = container_pids(&e, &pids, &n);
	if (r < 0)
		return fail("ps %s: %s", id, strerror(-r));
	if (json) {
		printf("[");
		for (size_t k = 0; k < n; k++)
			printf("%s%d", k ? "," : "", pids[k]);
		printf("]\n");
		return 0;
	}
	printf("%-8s %s\n", "PID", "CMD");
	for (size_t k = 0; k < n; k++) {
		char path[64], comm[64] = "?";
		snprintf(path, sizeof(path), "/proc/%d/comm", pids[k]);
		_cleanup_fclose_ FILE *f = fopen(path, "re");
		if (f && fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		printf("%-8d %s\n", pids[k], comm);
	}
	return 0;
}

/* ---- pause / resume ---------------------------------------------------------------------- */

static int freeze(int argc, char **argv, bool frozen)
{
	const char *cmd = frozen ? "pause" : "resume";
	if (argc != 2)
		return fail("usage: %s ID", cmd);
	const char *id = argv[1];
	struct oci_state s;
	struct state_entry e;
	struct cgroup_leaf leaf;
	if (open_state(id, &s) < 0)
		return 1;
	if (!supervisor_running(&s) || !s.started)
		return fail("%s %s: the container is not running", cmd, id);
	if (container_entry(id, &s, &e) < 0)
		return 1;
	/* Without a leaf there is nothing that freezes every process at once (SIGSTOP can be seen,
	 * and misses forks in flight): refused, never a pretended success. */
	if (!e.cgroup[0])
		return fail("%s %s: the container has no cgroup v2 leaf on this host (cgroups are not pure v2, or not "
			    "delegated), so there is no cgroup.freeze to %s it with",
			    cmd, id, frozen ? "freeze" : "thaw");
	if (state_open_leaf(&e, &leaf) < 0)
		return fail("%s %s: its cgroup leaf %s is not mlrun's: refusing it", cmd, id, e.cgroup);
	int r = cgroup_leaf_freeze(&leaf, frozen);
	close(leaf.dirfd);
	if (r < 0)
		return fail("%s %s: %s/cgroup.freeze: %s", cmd, id, leaf.path, strerror(-r));
	return 0;
}

int oci_cmd_pause(int argc, char **argv)
{
	return freeze(argc, argv, true);
}

int oci_cmd_resume(int argc, char **argv)
{
	return freeze(argc, argv, false);
}
