/* batch.c - `mlrun batch`: the jobs of FILE (batch_file.c), at most N at once, each a child
 * `mlrun run` of this very binary (/proc/self/exe), so that every job gets the whole sandbox and
 * its own report; then one aggregate (docs/batch.md). Single-threaded: one poll loop over a
 * signalfd and one pidfd per running job; the clock matters only while the batch is stopping. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch.h"
#include "../lib/cleanup.h"
#include "../lib/paths.h"
#include "../runtime/run.h"
#include "../runtime/state.h"
#include "../lib/trace.h"

#define BATCH_USAGE "mlrun batch [--jobs N] [--policy P] [--trust-jobs] [--report-dir D] [--json] FILE|-"

/* ---- running the jobs -------------------------------------------------------------------- */

/* A memfd rather than a pipe, for the job's stdin and its report: any size, and no reader or
 * writer to keep alive while the job runs. The stdin text is sealed: the job cannot change it.
 * Signals are blocked and the file is in memory: one write writes it all or fails. */
static int memfd_with(const char *name, const char *text, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd >= 0 && text && (write(fd, text, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) < 0 ||
				fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0))
		closep(&fd), fd = -1;
	return fd;
}

static int open_output(const struct batch *b, const struct batch_job *j, const char *ext, struct error *err)
{
	char name[BATCH_NAME_MAX + 8];
	if (b->dirfd < 0)
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	snprintf(name, sizeof(name), "%s.%s", j->label, ext);
	int fd = paths_open_output(b->dirfd, name, "job output", false, NULL, err);
	if (fd < 0)
		errno = -fd;
	return fd < 0 ? -1 : fd;
}

/* mlrun run -q --name ID --report-fd 3 [--report FILE] [--policy P] [JOB OPTIONS] -- CMD... */
static const char **job_args(const struct batch *b, const struct batch_job *j, const char *id, const char *report)
{
	/* 12 fixed words at most (7 + --report F + --policy P + "--"), the job's, and the NULL */
	const char **a = calloc(12 + batch_strv_len(j->opts) + batch_strv_len(j->argv) + 1, sizeof(*a));
	size_t k = 0;
	if (!a)
		return NULL;
	a[k++] = "mlrun", a[k++] = "run", a[k++] = "-q", a[k++] = "--name", a[k++] = id;
	a[k++] = "--report-fd", a[k++] = "3";
	if (b->report_dir)
		a[k++] = "--report", a[k++] = report;
	if (b->policy && !j->has_policy)
		a[k++] = "--policy", a[k++] = b->policy;
	for (char **p = j->opts; p && *p; p++)
		a[k++] = *p;
	a[k++] = "--";
	for (char **p = j->argv; *p; p++)
		a[k++] = *p;
	return a;
}

/* In the forked child: fds 0-3, a process group of its own (a terminal's Ctrl-C reaches only the
 * batch, which decides), death with the batch, the caller's signal mask, exec. */
__attribute__((noreturn)) static void exec_job(const int fds[4], const sigset_t *mask, pid_t batch, const char **args)
{
	int high[4];
	/* Every source moves above 3 first, so that no dup2 below clobbers another one. */
	for (int i = 0; i < 4; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
			_exit(EXIT_MLRUN_ERROR);
	for (int i = 0; i < 4; i++)
		if (dup2(high[i], i) < 0)
			_exit(EXIT_MLRUN_ERROR);
	setpgid(0, 0);
	/* A batch killed outright still stops its jobs, each cleaning up its own sandbox. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != batch)
		_exit(EXIT_MLRUN_ERROR);
	sigprocmask(SIG_SETMASK, mask, NULL);
	execv("/proc/self/exe", (char *const *)args);
	_exit(EXIT_MLRUN_ERROR);
}

static void record(struct batch *b, size_t index, int report_fd, int wstatus);
static void progress(const struct batch *b);

/* A job refused before it ran (batch_check_tighten): mlrun's own error for this job only, on
 * the batch's stderr and in D/LABEL.err; it counts as status "error". */
static void refuse_job(struct batch *b, size_t index)
{
	const struct batch_job *j = &b->jobs[index];
	char msg[ERROR_MSG_MAX];
	snprintf(msg, sizeof(msg), "mlrun: batch: %s:%d: job %s not run: %s\n", strcmp(b->file, "-") ? b->file : "<stdin>",
		 j->line, j->label, j->refused);
	fputs(msg, stderr);
	struct error e = { 0 };
	int fd = b->dirfd >= 0 ? open_output(b, j, "err", &e) : -1;
	if (fd >= 0 && write(fd, msg, strlen(msg)) < 0)
		fprintf(stderr, "mlrun: batch: cannot write %s.err: %s\n", j->label, strerror(errno));
	closep(&fd);
	record(b, index, -1, W_EXITCODE(EXIT_MLRUN_ERROR, 0));
	progress(b);
}

static void start_job(struct batch *b, size_t index)
{
	const struct batch_job *j = &b->jobs[index];
	if (j->refused) {
		refuse_job(b, index);
		return;
	}
	char id[STATE_ID_MAX], report[PATH_MAX];
	struct error err = { 0 };
	int fds[4] = { j->has_stdin ? memfd_with("mlrun-batch-stdin", j->stdin_text, j->stdin_len)
				    : open("/dev/null", O_RDONLY | O_CLOEXEC),
		       open_output(b, j, "out", &err), open_output(b, j, "err", &err), memfd_with("mlrun-batch-report", NULL, 0) };
	struct batch_slot s = { .pidfd = -1, .report_fd = fds[3], .job = index };
	snprintf(id, sizeof(id), "%s-%s", b->id, j->label);
	snprintf(report, sizeof(report), "%s/%s.json", b->report_dir ? b->report_dir : ".", j->label);
	_cleanup_free_ const char **args = job_args(b, j, id, report);
	pid_t self = getpid();
	if (fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0 && fds[3] >= 0 && args) {
		if ((s.pid = fork()) == 0)
			exec_job(fds, &b->saved_mask, self, args);
		if (s.pid > 0 && (s.pidfd = (int)syscall(SYS_pidfd_open, s.pid, 0)) < 0)
			kill(s.pid, SIGKILL), waitpid(s.pid, NULL, 0);
	}
	int saved = errno;
	for (int i = 0; i < 3; i++)
		closep(&fds[i]);
	if (s.pidfd >= 0) {
		b->slots[b->n_slots++] = s;
		return;
	}
	fprintf(stderr, "mlrun: batch: cannot start job %s: %s\n", j->label, err.msg[0] ? err.msg : strerror(saved));
	record(b, index, -1, W_EXITCODE(EXIT_MLRUN_ERROR, 0));
	closep(&fds[3]);
}

static void progress(const struct batch *b)
{
	size_t done = b->n_ok + b->n_failed, fill = b->n_jobs ? done * BATCH_BAR_WIDTH / b->n_jobs : BATCH_BAR_WIDTH;
	char bar[BATCH_BAR_WIDTH + 1];
	if (!b->tty)
		return;
	memset(bar, '#', fill);
	memset(bar + fill, '.', BATCH_BAR_WIDTH - fill);
	bar[BATCH_BAR_WIDTH] = '\0';
	/* Carriage return, then erase to the end of the line: one line, redrawn in place. */
	fprintf(stderr, "\r[%s] %zu/%zu  ok %zu  failed %zu%s\033[K", bar, done, b->n_jobs, b->n_ok, b->n_failed,
		b->stop_signal ? "  stopping" : "");
}

static void finish(struct batch *b, size_t i)
{
	struct batch_slot *s = &b->slots[i];
	int st = 0;
	while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
		;
	closep(&s->pidfd);
	record(b, s->job, s->report_fd, st);
	closep(&s->report_fd);
	*s = b->slots[--b->n_slots];
	progress(b);
}

static void signal_all(const struct batch *b, int sig)
{
	for (size_t i = 0; i < b->n_slots; i++)
		syscall(SYS_pidfd_send_signal, b->slots[i].pidfd, sig, NULL, 0);
}

/* The first SIGINT/SIGTERM stops the batch: no new job, SIGTERM to every job's mlrun (which
 * relays it into its sandbox and cleans up), SIGKILL after the grace period. A second signal
 * ends the grace period at once. */
static void take_signals(struct batch *b)
{
	struct signalfd_siginfo si;
	while (read(b->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (b->stop_signal) {
			b->kill_at_ns = trace_now_ns();
			continue;
		}
		b->stop_signal = (int)si.ssi_signo;
		b->kill_at_ns = trace_now_ns() + BATCH_STOP_GRACE_MS * 1000000ull;
		signal_all(b, SIGTERM);
		progress(b);
	}
}

static int wait_round(struct batch *b)
{
	struct pollfd fds[1 + BATCH_MAX_PARALLEL] = { { .fd = b->sigfd, .events = POLLIN } };
	size_t n = b->n_slots;
	uint64_t now = trace_now_ns();
	int timeout_ms = !b->stop_signal || b->killed ? -1
			 : now >= b->kill_at_ns	      ? 0
						      : (int)((b->kill_at_ns - now) / 1000000 + 1);
	for (size_t i = 0; i < n; i++)
		fds[1 + i] = (struct pollfd){ .fd = b->slots[i].pidfd, .events = POLLIN };
	if (poll(fds, 1 + n, timeout_ms) < 0)
		return errno == EINTR ? 0 : -errno;
	if (fds[0].revents)
		take_signals(b);
	/* Downwards: finish() moves the last slot, already looked at, into the freed one. */
	for (size_t i = n; i-- > 0;)
		if (fds[1 + i].revents)
			finish(b, i);
	if (b->stop_signal && !b->killed && trace_now_ns() >= b->kill_at_ns)
		signal_all(b, SIGKILL), b->killed = true;
	return 0;
}

static int run_all(struct batch *b, struct error *err)
{
	progress(b);
	for (;;) {
		take_signals(b); /* one that came while no job ran: start nothing more */
		while (!b->stop_signal && b->next < b->n_jobs && b->n_slots < b->parallel)
			start_job(b, b->next++);
		if (!b->n_slots)
			return 0;
		int r = wait_round(b);
		if (r < 0) {
			signal_all(b, SIGKILL);
			return error_set(err, -r, "batch: waiting for the jobs failed");
		}
	}
}

/* ---- results ----------------------------------------------------------------------------- */

static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;
	json_object_object_get_ex(o, key, &v);
	return v;
}

static json_object *read_report(int fd)
{
	struct stat st;
	_cleanup_free_ char *text = NULL;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0 || !(text = malloc((size_t)st.st_size + 1)) ||
	    pread(fd, text, (size_t)st.st_size, 0) != st.st_size)
		return NULL;
	text[st.st_size] = '\0';
	return json_tokener_parse(text);
}

static void parse_report(struct batch_outcome *o, int fd)
{
	json_object *r = read_report(fd), *v = field(r, "status");
	for (int s = RUN_EXITED; json_object_is_type(v, json_type_string) && s <= RUN_ERROR; s++)
		if (strcmp(json_object_get_string(v), run_status_name((enum run_status)s)) == 0)
			o->status = (enum run_status)s, o->reported = true;
	if (o->reported) {
		o->code = (v = field(r, "exit_code")) ? json_object_get_int(v) : -1;
		o->wall_ms = json_object_get_double(field(r, "wall_ms"));
		o->memory_peak_bytes = (uint64_t)json_object_get_int64(field(r, "memory_peak_bytes"));
		v = field(r, "violations");
		for (size_t i = 0; json_object_is_type(v, json_type_array) && i < json_object_array_length(v); i++)
			o->violations += (uint64_t)json_object_get_int64(field(json_object_array_get_idx(v, i), "count"));
	}
	json_object_put(r);
}

/* A job's mlrun that died of a signal (early in its set-up, or SIGKILLed after the grace period)
 * did not clean up: remove its state file and cgroup leaf as `mlrun gc` would. It is reaped, so
 * nothing else owns them. */
static void sweep_job(const char *id)
{
	struct error e1 = { 0 }, e2 = { 0 };
	struct state_entry e;
	struct cgroup_host host;
	struct cgroup_leaf leaf;
	if (state_find(id, &e, &e1) == 0 && !state_alive(&e))
		state_remove(id);
	cgroup_probe(&host);
	if (cgroup_leaf_open(&leaf, &host, id, &e1) == 0 && cgroup_leaf_destroy(&leaf, &e2) < 0)
		fprintf(stderr, "mlrun: batch: %s\n", e2.msg);
}

static void record(struct batch *b, size_t index, int report_fd, int wstatus)
{
	struct batch_outcome *o = &b->out[index];
	char id[STATE_ID_MAX];
	*o = (struct batch_outcome){ .done = true, .status = RUN_ERROR, .code = -1 };
	parse_report(o, report_fd);
	if (o->status == RUN_EXITED && o->code == 0)
		b->n_ok++;
	else
		b->n_failed++;
	snprintf(id, sizeof(id), "%s-%s", b->id, b->jobs[index].label);
	if (WIFSIGNALED(wstatus))
		sweep_job(id);
}

/* ---- the aggregate ----------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static json_object *jdouble(double v, int decimals)
{
	char text[64];
	snprintf(text, sizeof(text), "%.*f", decimals, v);
	return json_object_new_double_s(v, text);
}

/* Nearest rank: the smallest wall time with at least pct% of the jobs at or below it. */
static json_object *percentile(const double *sorted, size_t n, size_t pct)
{
	return n ? jdouble(sorted[(pct * n + 99) / 100 - 1], 1) : NULL;
}

static json_object *by_status(const struct batch *b)
{
	size_t count[RUN_ERROR + 1] = { 0 };
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < b->n_jobs; i++)
		if (b->out[i].done && (b->out[i].status != RUN_EXITED || b->out[i].code != 0))
			count[b->out[i].status]++;
	for (int s = RUN_EXITED; s <= RUN_ERROR; s++)
		if (count[s])
			json_object_object_add(o, run_status_name((enum run_status)s), json_object_new_int64((int64_t)count[s]));
	return o;
}

static json_object *aggregate(const struct batch *b)
{
	_cleanup_free_ double *walls = calloc(b->n_jobs + 1, sizeof(*walls));
	json_object *o = json_object_new_object();
	size_t n = 0, total = b->n_ok + b->n_failed, peak = SIZE_MAX;
	uint64_t violations = 0;
	char sig[32];
	for (size_t i = 0; i < b->n_jobs; i++) {
		const struct batch_outcome *x = &b->out[i];
		/* A job whose sandbox never ran its program (status "error") has no wall time or peak. */
		bool ran = x->reported && x->status != RUN_ERROR;
		violations += x->violations;
		if (ran && walls)
			walls[n++] = x->wall_ms;
		if (ran && (peak == SIZE_MAX || x->memory_peak_bytes > b->out[peak].memory_peak_bytes))
			peak = i;
	}
	qsort(walls, n, sizeof(*walls), cmp_double);
	snprintf(sig, sizeof(sig), "SIG%s", b->stop_signal ? sigabbrev_np(b->stop_signal) : "");
	json_object_object_add(o, "id", json_object_new_string(b->id));
	json_object_object_add(o, "total", json_object_new_int64((int64_t)total));
	json_object_object_add(o, "succeeded", json_object_new_int64((int64_t)b->n_ok));
	json_object_object_add(o, "failed", json_object_new_int64((int64_t)b->n_failed));
	json_object_object_add(o, "failed_by_status", by_status(b));
	json_object_object_add(o, "success_rate", total ? jdouble((double)b->n_ok / (double)total, 4) : NULL);
	json_object_object_add(o, "violations", json_object_new_int64((int64_t)violations));
	json_object_object_add(o, "wall_ms_p50", percentile(walls, n, 50));
	json_object_object_add(o, "wall_ms_p95", percentile(walls, n, 95));
	json_object_object_add(o, "memory_peak_bytes",
			       peak == SIZE_MAX ? NULL : json_object_new_int64((int64_t)b->out[peak].memory_peak_bytes));
	json_object_object_add(o, "memory_peak_job", peak == SIZE_MAX ? NULL : json_object_new_string(b->jobs[peak].label));
	json_object_object_add(o, "not_started", json_object_new_int64((int64_t)(b->n_jobs - total)));
	json_object_object_add(o, "interrupted", b->stop_signal ? json_object_new_string(sig) : NULL);
	json_object_object_add(o, "report_dir", b->report_dir ? json_object_new_string(b->report_dir) : NULL);
	return o;
}

static void print_counts(json_object *counts)
{
	const char *sep = " ";
	json_object_object_foreach(counts, status, n)
	{
		printf("%s%s %s", sep, status, json_object_get_string(n));
		sep = ", ";
	}
	if (*sep == ' ')
		printf(" -");
}

/* The text form: one "key  value" line per field of the JSON form, as `mlrun stats` prints. */
static void print_text(json_object *o)
{
	json_object_object_foreach(o, key, val)
	{
		printf("%-17s", key);
		if (json_object_is_type(val, json_type_object))
			print_counts(val);
		else
			printf(" %s", val ? json_object_get_string(val) : "-");
		putchar('\n');
	}
}

/* ---- the command ------------------------------------------------------------------------- */

static int parse_options(struct batch *b, int argc, char **argv, struct error *err)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'j' }, { "policy", required_argument, NULL, 'p' },
		{ "report-dir", required_argument, NULL, 'd' }, { "json", no_argument, NULL, 'J' },
		{ "trust-jobs", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long n;
	opterr = 0;
	optind = 1;
	for (int c; (c = getopt_long(argc, argv, ":j:p:", opts, NULL)) != -1;) {
		switch (c) {
		case 'j':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 1 || n > BATCH_MAX_PARALLEL)
				return error_set(err, 0, "batch: --jobs: '%s' is not a number from 1 to %d", optarg,
						 BATCH_MAX_PARALLEL);
			b->parallel = (unsigned)n;
			break;
		case 'p':
			b->policy = optarg;
			break;
		case 'd':
			b->report_dir = optarg;
			break;
		case 'J':
			b->json = true;
			break;
		case 'T':
			b->trust_jobs = true;
			break;
		default:
			return error_set(err, 0, "batch: %s '%s' (usage: %s)", c == ':' ? "no value for" : "unknown option",
					 argv[optind - 1], BATCH_USAGE);
		}
	}
	if (optind != argc - 1)
		return error_set(err, 0, "batch: %s (usage: %s)", optind < argc ? "one job file only" : "no job file given",
				 BATCH_USAGE);
	b->file = argv[optind];
	return 0;
}

/* SIGINT and SIGTERM arrive through a signalfd. An inherited SIG_IGN (a shell's background job
 * ignores SIGINT) would discard them first: the batch must stay stoppable, and clean up. */
static int setup_signals(struct batch *b, struct error *err)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_BLOCK, &set, &b->saved_mask);
	b->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return b->sigfd < 0 ? error_set(err, errno, "batch: cannot create a signalfd") : 0;
}

/* Everything that can be wrong is found here, before any job runs. */
static int prepare(struct batch *b, int argc, char **argv, struct error *err)
{
	struct error e = { 0 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	b->parallel = cpus < 1 ? 1 : cpus > BATCH_MAX_PARALLEL ? BATCH_MAX_PARALLEL : (unsigned)cpus;
	int r = parse_options(b, argc, argv, err);
	if (r == 0 && b->policy && batch_check_policy(b->policy, &e) < 0)
		r = error_set(err, 0, "batch: --policy %s: %s", b->policy, e.msg);
	if (r == 0)
		r = batch_load_jobs(b, err);
	if (r == 0)
		r = batch_check_tighten(b, err);
	if (r == 0 && !(b->out = calloc(b->n_jobs + 1, sizeof(*b->out))))
		r = error_set(err, ENOMEM, "out of memory");
	if (r == 0 && b->report_dir && mkdir(b->report_dir, 0755) < 0 && errno != EEXIST)
		r = error_set(err, errno, "batch: cannot create the report directory %s", b->report_dir);
	if (r == 0 && b->report_dir && (b->dirfd = open(b->report_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = error_set(err, errno, "batch: cannot open the report directory %s", b->report_dir);
	/* Another user's directory (planted in /tmp) would receive every job's output. */
	struct stat st;
	if (r == 0 && b->report_dir && (fstat(b->dirfd, &st) < 0 || st.st_uid != geteuid()))
		r = error_set(err, 0, "batch: refusing the report directory %s: it does not belong to uid %u",
			      b->report_dir, (unsigned)geteuid());
	return r == 0 ? setup_signals(b, err) : r;
}

/* Rootless in a cgroup not delegated (a systemd session): one delegated systemd scope for the
 * whole batch, so that every job finds a delegated parent and asks systemd nothing; a D-Bus round
 * trip and a unit per job would cost more than many jobs do (docs/performance.md). When systemd
 * cannot help, each job tries on its own and reports why it could not. */
static void batch_scope(const struct batch *b)
{
	struct cgroup_host host;
	struct error e = { 0 };
	cgroup_probe(&host);
	cgroup_systemd_scope(&host, b->id, &e);
}

int batch_main(int argc, char **argv)
{
	struct batch b = { .dirfd = -1, .sigfd = -1 };
	struct error err = { 0 };
	int r = prepare(&b, argc, argv, &err);
	if (r == 0) {
		run_make_id(b.id, sizeof(b.id));
		b.id[0] = 'b';
		batch_scope(&b);
		b.tty = isatty(STDERR_FILENO);
		r = run_all(&b, &err);
		if (b.tty)
			fputc('\n', stderr);
		json_object *o = aggregate(&b);
		if (b.json)
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			print_text(o);
		json_object_put(o);
	}
	if (r < 0)
		fprintf(stderr, "mlrun: %s\n", err.msg);
	for (size_t i = 0; i < b.n_jobs; i++)
		batch_job_free(&b.jobs[i]);
	free(b.jobs), free(b.out);
	closep(&b.dirfd), closep(&b.sigfd);
	if (r < 0)
		return EXIT_MLRUN_ERROR;
	return b.stop_signal ? EXIT_MLRUN_SIGNAL_BASE + b.stop_signal : b.n_failed ? 1 : 0;
}
