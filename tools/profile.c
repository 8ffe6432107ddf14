/* profile.c - `mlrun profile`: run PROGRAM exactly as `mlrun run` would (a child `mlrun run`
 * with the same options, stdio passed through, its exit status) and sample its resource use
 * from the outside every --interval: a timeline written as CSV or JSON, a summary on stderr,
 * and on request an SVG with a memory and a CPU panel (docs/profile.md).
 *
 * One poll loop, no threads, no sleeps: a timerfd paces the samples, the child's pidfd says
 * when it ended, an inotify watch on the state directory says when the sandbox registered
 * (its state file names its cgroup leaf and pid 1), a signalfd relays signals to the child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/num.h"
#include "../lib/paths.h"
#include "profile.h"
#include "../runtime/run.h"
#include "snapshot.h"

#define INTERVAL_DEFAULT_MS 50
#define INTERVAL_MAX_MS 3600000
#define MiB 1048576.0

extern char **environ;

/* Signals sent to profile that it relays to the child `mlrun run` (which relays them on). */
static const int relayed[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM };

enum format { FORMAT_CSV, FORMAT_JSON };

struct profile_opts {
	uint64_t interval_ms;
	enum format format;
	bool format_set, quiet;
	const char *output, *plot;
	char id[STATE_ID_MAX];
	char **run_argv; /* "mlrun" "run" ["--name" ID] RUN OPTIONS... PROGRAM ARG..., NULL */
	char **command;	 /* PROGRAM ARG..., within the caller's argv */
};

struct profiler {
	const struct profile_opts *po;
	pid_t pid;
	int pidfd, timerfd, sigfd, inofd;
	uint64_t t0_ns, prev_cpu_usec, prev_t_us;
	bool attached, ended, exited;
	struct snapshot_source src;
	struct profile_timeline tl;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- command line ------------------------------------------------------------------------ */

enum { FLAG_INTERVAL, FLAG_FORMAT, FLAG_OUTPUT, FLAG_PLOT };
static const char *const profile_flags[] = { "--interval", "--format", "--output", "--plot" };

static void profile_usage(FILE *f)
{
	fputs("usage: mlrun profile [--interval 50ms] [--format csv|json] [--output FILE] [--plot FILE.svg]\n"
	      "                     [RUN OPTIONS] [--] PROGRAM [ARG...]\n"
	      "Runs PROGRAM like `mlrun run` and samples memory, CPU, pids and io every interval;\n"
	      "the timeline goes to FILE (default profile-ID.csv, - for stdout). See mlrun --help.\n",
	      f);
}

/* argv[i] is one of profile's flags ("--flag VALUE" or "--flag=VALUE"): its index, the value
 * (NULL if missing) and how many words it took; -1 when it is not. */
static int match_flag(int argc, char **argv, int i, const char **value, int *words)
{
	for (size_t k = 0; k < ARRAY_SIZE(profile_flags); k++) {
		size_t len = strlen(profile_flags[k]);
		if (strncmp(argv[i], profile_flags[k], len) != 0 || (argv[i][len] && argv[i][len] != '='))
			continue;
		*words = argv[i][len] ? 1 : 2;
		*value = argv[i][len] ? argv[i] + len + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
		return (int)k;
	}
	return -1;
}

static int set_flag(struct profile_opts *po, int k, const char *value, struct error *err)
{
	uint64_t ms;
	if (!value)
		return error_set(err, 0, "profile: option '%s' needs a value", profile_flags[k]);
	if (k == FLAG_INTERVAL) {
		if (parse_duration_ms(value, &ms) < 0 || ms == 0 || ms > INTERVAL_MAX_MS)
			return error_set(err, 0, "profile: --interval: '%s' is not a sampling interval (1ms to 1h, like 50ms)",
					 value);
		po->interval_ms = ms;
	} else if (k == FLAG_FORMAT) {
		if (strcmp(value, "csv") && strcmp(value, "json"))
			return error_set(err, 0, "profile: --format: '%s' is neither csv nor json", value);
		po->format = strcmp(value, "json") ? FORMAT_CSV : FORMAT_JSON;
		po->format_set = true;
	} else
		*(k == FLAG_OUTPUT ? &po->output : &po->plot) = value;
	return 0;
}

/* Take profile's flags out of argv[1..]; the rest, in order, is for `mlrun run` (rest[], with
 * map[] giving each word's index in argv). Flags count only before "--" and before index limit,
 * where PROGRAM starts: PROGRAM's own --output is its business. */
static int split_args(int argc, char **argv, int limit, struct profile_opts *po, char **rest, int *map, int *n,
		      struct error *err)
{
	bool options = true;
	*po = (struct profile_opts){ .interval_ms = INTERVAL_DEFAULT_MS };
	*n = 0;
	for (int i = 1; i < argc; i++) {
		const char *value;
		int words, r, k = options && i < limit ? match_flag(argc, argv, i, &value, &words) : -1;
		options = options && strcmp(argv[i], "--") != 0;
		if (k < 0) {
			map[*n] = i;
			rest[(*n)++] = argv[i];
		} else if ((r = set_flag(po, k, value, err)) < 0)
			return r;
		else
			i += words - 1;
	}
	return 0;
}

/* Where PROGRAM starts in rest[] (or -errno), as `mlrun run` itself will parse it; the --name
 * and -q it finds land in po. cli_parse_run writes into its words: it gets copies. */
static int locate_program(char **rest, int n, struct profile_opts *po, struct error *err)
{
	_cleanup_free_ char **copy = calloc((size_t)n + 2, sizeof(char *));
	struct run_options o;
	int r = 0;
	char *none[] = { "mlrun", NULL };
	if (!copy)
		return error_set(err, ENOMEM, "profile");
	/* cli_parse_run restarts getopt at optind 1, which keeps glibc's place inside the last word
	 * it scanned (a freed copy by now): optind 0 resets getopt fully. */
	optind = 0;
	getopt(1, none, "+");
	for (int i = 0; i <= n && r == 0; i++)
		if (!(copy[i] = strdup(i ? rest[i - 1] : "run")))
			r = error_set(err, ENOMEM, "profile");
	if (r == 0 && (r = cli_parse_run(n + 1, copy, &o, err)) == 0) {
		r = (int)(o.argv - copy) - 1;
		po->quiet = o.quiet;
		/* What profile itself needs of the id (its state file, profile-ID.csv); the rest of the
		 * rules are mlrun run's to enforce. */
		if (o.name && (strlen(o.name) >= STATE_ID_MAX || strchr(o.name, '/') || o.name[0] == '.'))
			r = error_set(err, 0, "profile: --name: '%s' is not a sandbox id (letters, digits, '-', '_', '.')",
				      o.name);
		else if (o.name)
			snprintf(po->id, sizeof(po->id), "%s", o.name);
	}
	for (int i = 0; i <= n; i++)
		free(copy[i]);
	return r;
}

/* "mlrun" "run" ["--name" ID] REST..., NULL: the id is generated unless given, so that the
 * sandbox's state file can be found. */
static int build_run_argv(struct profile_opts *po, char **rest, int n, struct error *err)
{
	char **v = calloc((size_t)n + 5, sizeof(char *));
	int k = 0;
	if (!v)
		return error_set(err, ENOMEM, "profile");
	v[k++] = "mlrun";
	v[k++] = "run";
	if (!po->id[0]) {
		run_make_id(po->id, sizeof(po->id));
		v[k++] = "--name";
		v[k++] = po->id;
	}
	memcpy(v + k, rest, (size_t)n * sizeof(char *));
	po->run_argv = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct profile_opts *po, struct error *err)
{
	_cleanup_free_ char **rest = calloc((size_t)argc + 1, sizeof(char *));
	_cleanup_free_ int *map = calloc((size_t)argc + 1, sizeof(int));
	int n = 0, limit = argc, prog, r;
	if (!rest || !map)
		return error_set(err, ENOMEM, "profile");
	/* Strip flags up to "--", find PROGRAM; if a flag came from beyond it, again up to it. */
	for (;;) {
		if ((r = split_args(argc, argv, limit, po, rest, map, &n, err)) < 0 ||
		    (r = locate_program(rest, n, po, err)) < 0)
			return r;
		prog = map[r];
		if (prog >= limit)
			break;
		limit = prog;
	}
	po->command = argv + prog;
	size_t len = po->output ? strlen(po->output) : 0;
	if (!po->format_set && len > 5 && strcmp(po->output + len - 5, ".json") == 0)
		po->format = FORMAT_JSON;
	return build_run_argv(po, rest, n, err);
}

/* ---- sampling ---------------------------------------------------------------------------- */

static void arm_timer(int fd, uint64_t interval_ms)
{
	struct timespec ts = { .tv_sec = (time_t)(interval_ms / 1000), .tv_nsec = (long)(interval_ms % 1000) * 1000000 };
	struct itimerspec it = { .it_interval = ts, .it_value = ts };
	timerfd_settime(fd, 0, &it, NULL); /* cannot fail: a valid fd and interval */
}

static bool push(struct profile_timeline *t, const struct profile_sample *x)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct profile_sample *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return false;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *x;
	return true;
}

/* One point of the timeline. The first sample's CPU% covers the time since the child started
 * (the sandbox used no CPU before it existed). The /proc fallback loses the CPU time of
 * processes that exited: a drop counts as no usage, never as negative. */
static void take_sample(struct profiler *p)
{
	struct snapshot s;
	if (p->ended)
		return;
	if (snapshot_read(&p->src, &s) < 0) {
		p->ended = true; /* the sandbox is gone; its pid 1 may be reused, stop looking */
		return;
	}
	uint64_t t_us = (now_ns() - p->t0_ns) / 1000;
	struct profile_sample x = { .elapsed_ms = (double)t_us / 1000.0, .memory_bytes = s.memory_bytes,
			    .cpu_usec = s.cpu_usec, .pids = s.pids, .from_cgroup = s.from_cgroup,
			    .io_read_bytes = s.cg.io_read_bytes, .io_write_bytes = s.cg.io_write_bytes };
	uint64_t cpu = s.cpu_usec > p->prev_cpu_usec ? s.cpu_usec - p->prev_cpu_usec : 0;
	if (t_us > p->prev_t_us)
		x.cpu_percent = 100.0 * (double)cpu / (double)(t_us - p->prev_t_us);
	p->prev_cpu_usec = s.cpu_usec;
	p->prev_t_us = t_us;
	p->ended = !push(&p->tl, &x);
}

/* The sandbox registered (state file written after the clone): start sampling it. A state
 * file of that name written by another supervisor is not ours. */
static void try_attach(struct profiler *p)
{
	struct state_entry e;
	if (p->attached || state_find(p->po->id, &e, NULL) < 0 || e.supervisor_pid != p->pid)
		return;
	snapshot_open(&p->src, &e);
	p->attached = true;
	take_sample(p);
	arm_timer(p->timerfd, p->po->interval_ms); /* the next ones every interval from now */
}

/* Watch the state directory for the sandbox's file; without inotify the ticks poll for it. */
static int watch_state_dir(void)
{
	char dir[512];
	if (state_dir(dir, sizeof(dir), true, NULL) < 0)
		return -1;
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd >= 0 && inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CREATE) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void drain(int fd)
{
	char buf[4096];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* A signal sent to profile goes on to the run. One the terminal sent (SI_KERNEL: ^C, window
 * size) already reached the child, which shares our process group: relaying it would double it. */
static void relay_signal(struct profiler *p)
{
	struct signalfd_siginfo si;
	while (read(p->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_code != SI_KERNEL)
			syscall(SYS_pidfd_send_signal, p->pidfd, (int)si.ssi_signo, NULL, 0);
}

static int reap(struct profiler *p)
{
	int st;
	if (waitpid(p->pid, &st, 0) < 0)
		return -errno;
	p->tl.summary.duration_ms = (double)(now_ns() - p->t0_ns) / 1e6;
	p->tl.summary.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_MLRUN_SIGNAL_BASE + WTERMSIG(st);
	p->exited = true;
	return 0;
}

static int sample_loop(struct profiler *p)
{
	while (!p->exited) {
		struct pollfd fds[] = {
			{ .fd = p->pidfd, .events = POLLIN },
			{ .fd = p->timerfd, .events = POLLIN },
			{ .fd = p->sigfd, .events = POLLIN },
			{ .fd = p->attached ? -1 : p->inofd, .events = POLLIN }, /* poll skips a negative fd */
		};
		int r = poll(fds, ARRAY_SIZE(fds), -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (fds[3].revents) {
			drain(p->inofd);
			try_attach(p);
		}
		if (fds[1].revents) {
			drain(p->timerfd);
			if (p->attached)
				take_sample(p);
			else
				try_attach(p);
		}
		if (fds[2].revents)
			relay_signal(p);
		if (fds[0].revents && (r = reap(p)) < 0)
			return r;
	}
	return 0;
}

/* Start `mlrun run` (this very binary) with the caller's signal mask; an exec error comes
 * back from posix_spawn itself. */
static int spawn_run(struct profiler *p, const sigset_t *mask, struct error *err)
{
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	p->t0_ns = now_ns();
	int r = posix_spawn(&p->pid, "/proc/self/exe", NULL, &attr, p->po->run_argv, environ);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		return error_set(err, r, "profile: cannot start mlrun run (/proc/self/exe)");
	if ((p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0)) >= 0)
		return 0;
	r = error_set(err, errno, "profile: cannot watch the run (pidfd_open)");
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	return r;
}

static int profile_run(struct profiler *p, struct error *err)
{
	sigset_t set, old;
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(relayed); i++)
		sigaddset(&set, relayed[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	p->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	p->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (p->sigfd < 0 || p->timerfd < 0)
		return error_set(err, errno, "profile: cannot create a %s", p->sigfd < 0 ? "signalfd" : "timerfd");
	arm_timer(p->timerfd, p->po->interval_ms);
	p->inofd = watch_state_dir();
	int r = spawn_run(p, &old, err);
	if (r == 0 && (r = sample_loop(p)) < 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		return error_set(err, -r, "profile: waiting for the run failed");
	}
	return r;
}

/* ---- the timeline: summary, CSV, JSON ---------------------------------------------------- */

/* The summary's peaks and mean; duration and exit status are the loop's. */
static void summarize(struct profile_timeline *t)
{
	struct profile_summary *s = &t->summary;
	double weighted = 0, prev = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct profile_sample *x = &t->v[i];
		if (x->memory_bytes > s->memory_peak_bytes) {
			s->memory_peak_bytes = x->memory_bytes;
			s->memory_peak_at_ms = x->elapsed_ms;
		}
		s->cpu_peak_percent = num_max(s->cpu_peak_percent, x->cpu_percent);
		s->pids_peak = x->pids > s->pids_peak ? x->pids : s->pids_peak;
		weighted += x->cpu_percent * (x->elapsed_ms - prev); /* a time-weighted mean */
		prev = x->elapsed_ms;
	}
	s->cpu_mean_percent = prev > 0 ? weighted / prev : 0;
}

const char *profile_source_name(const struct profile_timeline *t)
{
	return t->n == 0 ? "none" : t->v[0].from_cgroup ? "cgroup" : "proc";
}

/* One sample as a CSV row or a JSON object; io is null (empty in CSV) where /proc measured. */
static void write_sample(FILE *f, const struct profile_sample *x, bool json)
{
	char rd[24], wr[24];
	snprintf(rd, sizeof(rd), x->from_cgroup ? "%llu" : json ? "null" : "", (unsigned long long)x->io_read_bytes);
	snprintf(wr, sizeof(wr), x->from_cgroup ? "%llu" : json ? "null" : "", (unsigned long long)x->io_write_bytes);
	fprintf(f,
		json ? "{\"elapsed_ms\":%.1f,\"memory_bytes\":%llu,\"cpu_usec\":%llu,\"cpu_percent\":%.1f,\"pids\":%llu,"
		       "\"io_read_bytes\":%s,\"io_write_bytes\":%s,\"source\":\"%s\"}"
		     : "%.1f,%llu,%llu,%.1f,%llu,%s,%s,%s\n",
		x->elapsed_ms, (unsigned long long)x->memory_bytes, (unsigned long long)x->cpu_usec, x->cpu_percent,
		(unsigned long long)x->pids, rd, wr, x->from_cgroup ? "cgroup" : "proc");
}

static void write_csv(FILE *f, const struct profile_timeline *t)
{
	fputs("elapsed_ms,memory_bytes,cpu_usec,cpu_percent,pids,io_read_bytes,io_write_bytes,source\n", f);
	for (size_t i = 0; i < t->n; i++)
		write_sample(f, &t->v[i], false);
}

static void write_json(FILE *f, const struct profile_timeline *t)
{
	const struct profile_summary *s = &t->summary;
	json_object *cmd = json_object_new_array(); /* json-c escapes the command's strings */
	for (char **a = t->command; *a; a++)
		json_object_array_add(cmd, json_object_new_string(*a));
	/* The id is safe as is: mlrun run accepts only letters, digits, '-', '_' and '.'. */
	fprintf(f, "{\"id\":\"%s\",\"command\":%s,\"interval_ms\":%llu,\"source\":%s%s%s,\"samples\":[", t->id,
		json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		(unsigned long long)t->interval_ms, t->n ? "\"" : "", t->n ? profile_source_name(t) : "null",
		t->n ? "\"" : "");
	json_object_put(cmd);
	for (size_t i = 0; i < t->n; i++) {
		fputs(i ? ",\n" : "\n", f);
		write_sample(f, &t->v[i], true);
	}
	fprintf(f, "],\n\"summary\":{\"duration_ms\":%.1f,\"samples\":%zu,\"memory_peak_bytes\":%llu,"
		   "\"memory_peak_at_ms\":%.1f,\"cpu_mean_percent\":%.1f,\"cpu_peak_percent\":%.1f,\"pids_peak\":%llu,"
		   "\"exit_code\":%d}}\n",
		s->duration_ms, t->n, (unsigned long long)s->memory_peak_bytes, s->memory_peak_at_ms, s->cpu_mean_percent,
		s->cpu_peak_percent, (unsigned long long)s->pids_peak, s->exit_code);
}

static void print_summary(const struct profile_timeline *t, const char *output, const char *plot)
{
	const struct profile_summary *s = &t->summary;
	fprintf(stderr, "mlrun: profile     %s: %.2f s, %zu samples every %llu ms (source: %s)\n", t->id,
		s->duration_ms / 1e3, t->n, (unsigned long long)t->interval_ms, profile_source_name(t));
	fprintf(stderr, "mlrun: memory      peak %.1f MiB at %.2f s\n", (double)s->memory_peak_bytes / MiB,
		s->memory_peak_at_ms / 1e3);
	fprintf(stderr, "mlrun: cpu         mean %.1f%%, peak %.1f%% of one core\n", s->cpu_mean_percent,
		s->cpu_peak_percent);
	fprintf(stderr, "mlrun: pids        peak %llu\n", (unsigned long long)s->pids_peak);
	fprintf(stderr, "mlrun: timeline    %s\n", strcmp(output, "-") ? output : "(stdout)");
	if (plot)
		fprintf(stderr, "mlrun: plot        %s\n", plot);
}

/* ---- main -------------------------------------------------------------------------------- */

/* Outputs are checked before the run, so a bad path fails before anything runs, and written
 * after it; one the check created is removed again when nothing ran. "-" is stdout. */
static int out_check(const char *path, bool *created, struct error *err)
{
	int fd;
	*created = false;
	if (path && strcmp(path, "-") != 0) {
		if ((fd = paths_open_output(AT_FDCWD, path, "profile", true, created, err)) < 0)
			return fd;
		close(fd);
	}
	return 0;
}

static void out_write(const char *path, void (*fn)(FILE *, const struct profile_timeline *),
		      const struct profile_timeline *t)
{
	bool std = strcmp(path, "-") == 0;
	struct error err = { 0 };
	int fd = std ? -1 : paths_open_output(AT_FDCWD, path, "profile", false, NULL, &err);
	FILE *f = std ? stdout : fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!std && fd >= 0 && !f)
		close(fd);
	if (f)
		fn(f, t);
	if (err.msg[0])
		fprintf(stderr, "mlrun: %s\n", err.msg);
	else if (!f || ferror(f) | (std ? fflush(f) : fclose(f)))
		fprintf(stderr, "mlrun: profile: cannot write %s: %s\n", path, strerror(errno));
}

int profile_main(int argc, char **argv)
{
	struct profile_opts po = { 0 };
	struct error err = { 0 };
	struct profiler p = { .po = &po, .pidfd = -1, .timerfd = -1, .sigfd = -1, .inofd = -1 };
	char path[STATE_ID_MAX + 32];
	bool made_output = false, made_plot = false;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return profile_usage(stdout), 0;
	int r = parse_args(argc, argv, &po, &err);
	p.tl = (struct profile_timeline){ .id = po.id, .command = po.command, .interval_ms = po.interval_ms };
	snprintf(path, sizeof(path), "profile-%s.%s", po.id, po.format == FORMAT_JSON ? "json" : "csv");
	const char *output = po.output ? po.output : path;
	if (r == 0 && (r = out_check(output, &made_output, &err)) == 0 && (r = out_check(po.plot, &made_plot, &err)) == 0)
		r = profile_run(&p, &err);
	/* Nothing ran when mlrun run failed (its message is out) before the sandbox registered. */
	if (r == 0 && (p.attached || p.tl.summary.exit_code != EXIT_MLRUN_ERROR)) {
		summarize(&p.tl);
		out_write(output, po.format == FORMAT_JSON ? write_json : write_csv, &p.tl);
		if (po.plot)
			out_write(po.plot, profile_write_svg, &p.tl);
		if (!po.quiet)
			print_summary(&p.tl, output, po.plot);
	} else {
		if (made_output)
			unlink(output);
		if (made_plot)
			unlink(po.plot);
	}
	int fds[] = { p.pidfd, p.timerfd, p.sigfd, p.inofd };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (p.attached)
		snapshot_close(&p.src);
	free(p.tl.v);
	free(po.run_argv);
	if (r < 0)
		fprintf(stderr, "mlrun: %s\n", err.msg);
	return r < 0 ? EXIT_MLRUN_ERROR : p.tl.summary.exit_code;
}
