/* audit.c - `mlrun audit [--policy P] [--json] [RUN OPTIONS...]`.
 *
 * Plants bait on the host (a world-readable secret, a world-writable directory, a TCP
 * listener on 127.0.0.1, an abstract unix socket, a process to signal, a setuid-root binary,
 * a leaked fd and environment variable), runs every probe of audit_probes.c in its own sandbox
 * through `mlrun run` (this very binary, so the audit tests exactly what users run), prints a
 * table and exits 1 if anything escaped. The bait is as permissive as the host allows, so that
 * only the sandbox, never file permissions, can stop a probe. Everything is removed at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/paths.h"
#include "../policy/policy.h"
#include "audit.h"
#include "../lib/cleanup.h"
#include "../lib/error.h"
#include "../runtime/exitcodes.h"

#define PROBE_TIMEOUT "20s" /* a bound for every probe; limit probes set their own */
#define MAX_ARGV 96

static const char *const verdict_names[] = { "pass", "ESCAPED", "not enforced here", "skipped", "error",
					     "held by rlimit" };

struct audit_opts {
	const char *policy;
	char policy_path[PATH_MAX]; /* resolved here: the runs start in the audit's own directory */
	bool json;
	char **run_args; /* passed to every `mlrun run` */
	int n_run_args;
};

const char *audit_report_str(const struct audit_outcome *o, const char *key)
{
	json_object *v;
	return o->report && json_object_object_get_ex(o->report, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

bool audit_report_bool(const struct audit_outcome *o, const char *obj, const char *key)
{
	json_object *x, *v;
	return o->report && json_object_object_get_ex(o->report, obj, &x) && json_object_object_get_ex(x, key, &v) &&
	       json_object_get_boolean(v);
}

double audit_report_num(const struct audit_outcome *o, const char *key)
{
	json_object *v;
	return o->report && json_object_object_get_ex(o->report, key, &v) ? json_object_get_double(v) : 0;
}

static bool executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* The probe: $MLRUN_PROBE, else next to a build tree (./mlrun and build/tests/probe), else
 * the installed copy. */
static int find_probe(struct audit_ctx *c, struct error *err)
{
	char dir[PATH_MAX];
	const char *env = getenv("MLRUN_PROBE");
	snprintf(dir, sizeof(dir), "%s", c->exe);
	const char *candidates[3][2] = { { env ? env : "", "" }, { dirname(dir), "/build/tests/probe" },
					 { mlrun_datadir(), "/probes/probe" } };
	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		if (!candidates[i][0][0])
			continue;
		snprintf(c->probe, sizeof(c->probe), "%s%s", candidates[i][0], candidates[i][1]);
		if (executable(c->probe))
			return 0;
	}
	return error_set(err, 0, "audit: the probe binary is in neither %s/build/tests/probe (a build tree next to "
				 "this mlrun: run `make`) nor %s/probes (`make install` puts it there)",
			 dir /* dirname() above cut it to the binary's directory */, mlrun_datadir());
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -errno;
	return fchmod(fd, mode) < 0 ? -errno : 0;
}

static int make_dir(const char *parent, const char *name, mode_t mode, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", parent, name);
	if (mkdir(out, mode) < 0 || chmod(out, mode) < 0) /* chmod: the umask must not narrow it */
		return -errno;
	return 0;
}

/* A setuid-root copy of the probe: only root can make one. */
static int plant_setuid(struct audit_ctx *c)
{
	char path[PATH_MAX + 16], buf[65536];
	int r = make_dir(c->dir, "suid", 0755, c->suid_dir, sizeof(c->suid_dir));
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/probe", c->suid_dir);
	_cleanup_close_ int in = open(c->probe, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	ssize_t n;
	if (in < 0 || out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -EIO;
	return fchown(out, 0, 0) < 0 || fchmod(out, 04755) < 0 ? -errno : 0;
}

static int listen_tcp(struct audit_ctx *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	c->tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->tcp_fd < 0 || bind(c->tcp_fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(c->tcp_fd, 8) < 0 ||
	    getsockname(c->tcp_fd, (struct sockaddr *)&a, &len) < 0)
		return -errno;
	snprintf(c->port, sizeof(c->port), "%u", ntohs(a.sin_port));
	return 0;
}

static int listen_abstract(struct audit_ctx *c)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(c->abstract, sizeof(c->abstract), "mlrun-audit-%d-%.8s", (int)getpid(), c->token + 13);
	memcpy(a.sun_path + 1, c->abstract, strlen(c->abstract));
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(c->abstract));
	c->unix_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->unix_fd < 0 || bind(c->unix_fd, (struct sockaddr *)&a, len) < 0 || listen(c->unix_fd, 8) < 0)
		return -errno;
	return 0;
}

static int start_sleeper(struct audit_ctx *c)
{
	c->sleeper_pid = fork();
	if (c->sleeper_pid < 0)
		return -errno;
	if (c->sleeper_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	snprintf(c->sleeper, sizeof(c->sleeper), "%d", (int)c->sleeper_pid);
	return 0;
}

/* A terminal for the TIOCSTI probe (without one the ioctl fails for the wrong reason). */
static int open_pty(struct audit_ctx *c)
{
	c->pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->pty_master < 0 || grantpt(c->pty_master) < 0 || unlockpt(c->pty_master) < 0)
		return -errno;
	const char *name = ptsname(c->pty_master);
	c->pty_slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	return c->pty_slave < 0 ? -errno : 0;
}

static int plant(struct audit_ctx *c, struct error *err)
{
	const char *tmp = getenv("TMPDIR");
	char sub[PATH_MAX / 2 + 32], text[128];
	unsigned char rnd[8] = { 0 };
	int r;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return error_set(err, errno, "audit: no random bytes");
	snprintf(c->token, sizeof(c->token), "mlrun-secret-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
		 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	snprintf(c->dir, sizeof(c->dir), "%s/mlrun-audit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(c->dir) || chmod(c->dir, 0755) < 0)
		return error_set(err, errno, "audit: cannot create a directory in %s", tmp && *tmp ? tmp : "/tmp");
	snprintf(text, sizeof(text), "%s\n", c->token);
	if ((r = make_dir(c->dir, "secret", 0755, sub, sizeof(sub))) < 0 || (r = make_dir(c->dir, "work", 0755, sub,
											   sizeof(sub))) < 0 ||
	    (r = make_dir(c->dir, "reports", 0700, sub, sizeof(sub))) < 0 ||
	    (r = make_dir(c->dir, "host", 01777, sub, sizeof(sub))) < 0)
		return error_set(err, -r, "audit: cannot create %s", sub);
	snprintf(c->canary, sizeof(c->canary), "%s/canary", sub);
	snprintf(c->secret, sizeof(c->secret), "%s/secret/secret.txt", c->dir);
	if ((r = write_file(c->secret, text, 0644)) < 0)
		return error_set(err, -r, "audit: cannot plant %s", c->secret);
	if (c->root && (r = plant_setuid(c)) < 0)
		return error_set(err, -r, "audit: cannot plant a setuid binary in %s", c->dir);
	if ((r = listen_tcp(c)) < 0 || (r = listen_abstract(c)) < 0)
		return error_set(err, -r, "audit: cannot open the host listeners");
	if ((r = start_sleeper(c)) < 0 || (r = open_pty(c)) < 0)
		return error_set(err, -r, "audit: cannot set up the host process or terminal");
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void cleanup(struct audit_ctx *c)
{
	if (c->sleeper_pid > 0) {
		kill(c->sleeper_pid, SIGKILL);
		waitpid(c->sleeper_pid, NULL, 0);
	}
	int fds[] = { c->tcp_fd, c->unix_fd, c->pty_master, c->pty_slave };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (c->dir[0])
		nftw(c->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *substitute(const struct audit_ctx *c, const char *arg)
{
	static const char *const keys[] = { "@SECRET", "@CANARY", "@PORT", "@ABSTRACT", "@PID" };
	const char *values[] = { c->secret, c->canary, c->port, c->abstract, c->sleeper };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(arg, keys[i]) == 0)
			return values[i];
	return arg;
}

/* mlrun run -q [--policy P] --timeout 20s RUN_ARGS PROBE_OPTS --report F --ro-bind PROBE:/probe
 *   [--ro-bind SUID:/audit-suid] -- /probe ARGS (later flags win, so the probe's limits do) */
static size_t build_argv(const struct audit_ctx *c, const struct audit_opts *o, const struct audit_probe *p,
			 char *bufs[3], const char *argv[MAX_ARGV])
{
	size_t n = 0;
	argv[n++] = c->exe;
	argv[n++] = "run";
	argv[n++] = "-q";
	if (o->policy)
		argv[n++] = "--policy", argv[n++] = o->policy;
	argv[n++] = "--timeout", argv[n++] = PROBE_TIMEOUT;
	for (int i = 0; i < o->n_run_args && n < MAX_ARGV - 32; i++)
		argv[n++] = o->run_args[i];
	for (size_t i = 0; i < AUDIT_MAX_ARGS && p->opts[i]; i++)
		argv[n++] = p->opts[i];
	argv[n++] = "--report", argv[n++] = bufs[0];
	argv[n++] = "--ro-bind", argv[n++] = bufs[1];
	if (p->suid)
		argv[n++] = "--ro-bind", argv[n++] = bufs[2];
	argv[n++] = "--";
	argv[n++] = "/probe";
	for (size_t i = 0; i < AUDIT_MAX_ARGS && p->argv[i]; i++)
		argv[n++] = substitute(c, p->argv[i]);
	argv[n] = NULL;
	return n;
}

static void read_text(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : 0;
	buf[n > 0 ? n : 0] = '\0';
}

/* The child of the audit becomes `mlrun run`, with a leaked fd and variable to find. */
__attribute__((noreturn)) static void exec_run(const struct audit_ctx *c, const struct audit_probe *p,
					       const char *const *argv, const char *out, const char *errf)
{
	int in = p->pty ? c->pty_slave : open("/dev/null", O_RDONLY);
	int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600), e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
		_exit(EXIT_MLRUN_ERROR);
	setenv("MLRUN_AUDIT_SECRET", c->token, 1);
	if (open(c->secret, O_RDONLY) < 0) /* deliberately inheritable */
		_exit(EXIT_MLRUN_ERROR);
	char work[PATH_MAX + 8];
	snprintf(work, sizeof(work), "%s/work", c->dir);
	if (chdir(work) < 0)
		_exit(EXIT_MLRUN_ERROR);
	execv(c->exe, (char *const *)argv);
	_exit(EXIT_MLRUN_ERROR);
}

static int run_probe(const struct audit_ctx *c, const struct audit_opts *o, const struct audit_probe *p,
		     struct audit_outcome *out)
{
	char report[PATH_MAX + 32], probe_bind[PATH_MAX + 16], suid_bind[PATH_MAX + 16], so[PATH_MAX + 32],
		se[PATH_MAX + 32];
	char *bufs[3] = { report, probe_bind, suid_bind };
	const char *argv[MAX_ARGV];
	int status;

	snprintf(report, sizeof(report), "%s/reports/report.json", c->dir);
	snprintf(so, sizeof(so), "%s/reports/stdout", c->dir);
	snprintf(se, sizeof(se), "%s/reports/stderr", c->dir);
	snprintf(probe_bind, sizeof(probe_bind), "%s:/probe", c->probe);
	snprintf(suid_bind, sizeof(suid_bind), "%s:/audit-suid", c->suid_dir);
	unlink(report);
	build_argv(c, o, p, bufs, argv);
	memset(out, 0, sizeof(*out));
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		exec_run(c, p, argv, so, se);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	out->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_MLRUN_SIGNAL_BASE + WTERMSIG(status);
	read_text(so, out->out, sizeof(out->out));
	read_text(se, out->err, sizeof(out->err));
	out->report = json_object_from_file(report);
	return 0;
}

/* -p NAME|FILE as `mlrun run` would resolve it from the caller's directory. */
static int resolve_policy(struct audit_opts *o, struct error *err)
{
	_cleanup_free_ char *path = NULL;
	int r;
	if (!o->policy)
		return 0;
	if ((r = policy_resolve(o->policy, mlrun_policy_dirs(), &path, err)) < 0)
		return r;
	if (!realpath(path, o->policy_path))
		return error_set(err, errno, "cannot open policy %s", path);
	o->policy = o->policy_path;
	return 0;
}

static bool flag_without_value(const char *a)
{
	static const char *const flags[] = { "-q", "--quiet", "-v", "--verbose", "--summary" };
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (strcmp(a, flags[i]) == 0)
			return true;
	return false;
}

static int parse_args(int argc, char **argv, struct audit_opts *o, struct error *err)
{
	memset(o, 0, sizeof(*o));
	o->run_args = calloc((size_t)argc + 1, sizeof(char *));
	if (!o->run_args)
		return error_set(err, ENOMEM, "out of memory");
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--policy") || !strcmp(argv[i], "-p")) && i + 1 < argc)
			o->policy = argv[++i];
		else if (!strncmp(argv[i], "--policy=", 9))
			o->policy = argv[i] + 9;
		else if (!strcmp(argv[i], "--json"))
			o->json = true;
		else if (!strcmp(argv[i], "--") || argv[i][0] != '-')
			return error_set(err, EINVAL, "audit: unexpected '%s' (usage: mlrun audit [--policy P] [--json] "
						      "[RUN OPTIONS...])", argv[i]);
		else {
			o->run_args[o->n_run_args++] = argv[i];
			/* a run option's value travels with it: "--net host" */
			if (!strchr(argv[i], '=') && !flag_without_value(argv[i]) && i + 1 < argc)
				o->run_args[o->n_run_args++] = argv[++i];
		}
	}
	return 0;
}

struct tally {
	int n[6];
};

static void print_row(const struct audit_opts *o, json_object *rows, const struct audit_probe *p,
		      enum audit_verdict v, const char *obs)
{
	if (!o->json) {
		printf("%-20s %-26s %-34s %s\n", p->name, p->expected, obs, verdict_names[v]);
		return;
	}
	json_object *r = json_object_new_object();
	json_object_object_add(r, "probe", json_object_new_string(p->name));
	json_object_object_add(r, "expected", json_object_new_string(p->expected));
	json_object_object_add(r, "observed", json_object_new_string(obs));
	json_object_object_add(r, "verdict", json_object_new_string(verdict_names[v]));
	json_object_array_add(rows, r);
}

static enum audit_verdict audit_one(const struct audit_ctx *c, const struct audit_opts *o,
				    const struct audit_probe *p, char *obs, size_t len)
{
	struct audit_outcome out;
	if (p->root_only && !c->root) {
		snprintf(obs, len, "needs root to plant");
		return AV_SKIPPED;
	}
	if (run_probe(c, o, p, &out) < 0) {
		snprintf(obs, len, "cannot run: %s", strerror(errno));
		return AV_ERROR;
	}
	enum audit_verdict v = p->judge(c, &out, obs, len);
	json_object_put(out.report);
	return v;
}

static void print_summary(const struct audit_opts *o, json_object *rows, const struct tally *t)
{
	if (!o->json) {
		printf("mlrun: audit of %s: %d passed, %d escaped, %d held by rlimit, %d not enforced here, %d skipped, "
		       "%d errors\n",
		       o->policy ? o->policy : "the built-in defaults", t->n[AV_PASS], t->n[AV_ESCAPED], t->n[AV_RLIMIT],
		       t->n[AV_NOT_ENFORCED], t->n[AV_SKIPPED], t->n[AV_ERROR]);
		return;
	}
	json_object *j = json_object_new_object();
	json_object_object_add(j, "policy", json_object_new_string(o->policy ? o->policy : "builtin"));
	json_object_object_add(j, "probes", rows);
	static const char *const keys[] = { "passed", "escaped", "not_enforced", "skipped", "errors", "held_by_rlimit" };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		json_object_object_add(j, keys[i], json_object_new_int(t->n[i]));
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

/* A sandbox that cannot even start (a bad policy or flag) is mlrun's failure, not an escape. */
static int preflight(const struct audit_ctx *c, const struct audit_opts *o, struct error *err)
{
	static const struct audit_probe check = { "preflight", "", { "exit", "0" }, { NULL }, false, false, false, NULL };
	struct audit_outcome out;
	if (run_probe(c, o, &check, &out) < 0)
		return error_set(err, errno, "audit: cannot run mlrun");
	json_object_put(out.report);
	if (out.exit_status == 0)
		return 0;
	out.err[strcspn(out.err, "\n")] = '\0';
	return error_set(err, 0, "audit: the sandbox does not start: %s",
			 out.err[0] ? out.err + (strncmp(out.err, "mlrun: ", 7) ? 0 : 7) : "unknown error");
}

int audit_main(int argc, char **argv)
{
	struct audit_ctx c = { .tcp_fd = -1, .unix_fd = -1, .pty_master = -1, .pty_slave = -1, .root = geteuid() == 0 };
	struct audit_opts o;
	struct error err = { 0 };
	struct tally t = { { 0 } };
	char obs[256];
	int r;

	ssize_t n = readlink("/proc/self/exe", c.exe, sizeof(c.exe) - 1);
	c.exe[n > 0 ? n : 0] = '\0';
	if ((r = parse_args(argc, argv, &o, &err)) < 0 || (r = find_probe(&c, &err)) < 0 ||
	    (r = resolve_policy(&o, &err)) < 0 || (r = plant(&c, &err)) < 0 || (r = preflight(&c, &o, &err)) < 0) {
		fprintf(stderr, "mlrun: %s\n", err.msg);
		cleanup(&c);
		free(o.run_args);
		return EXIT_MLRUN_ERROR;
	}
	json_object *rows = o.json ? json_object_new_array() : NULL;
	if (!o.json)
		printf("%-20s %-26s %-34s %s\n", "PROBE", "EXPECTED", "OBSERVED", "VERDICT");
	for (size_t i = 0; i < audit_n_probes; i++) {
		enum audit_verdict v = audit_one(&c, &o, &audit_probes[i], obs, sizeof(obs));
		t.n[v]++;
		print_row(&o, rows, &audit_probes[i], v, obs);
		fflush(stdout);
	}
	print_summary(&o, rows, &t);
	cleanup(&c);
	free(o.run_args);
	return t.n[AV_ESCAPED] || t.n[AV_ERROR] ? 1 : 0;
}
