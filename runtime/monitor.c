/* monitor.c - live sandboxes: `mlrun ps`, `stats`, `top`, `kill`, `gc`.
 *
 * Everything is read from the state directory and the kernel: the run's cgroup files where
 * there is a leaf, else /proc of the sandbox's processes (pid 1 and its descendants). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "cleanup.h"
#include "exitcodes.h"
#include "monitor.h"
#include "state.h"

#define MAX_WALK 4096 /* processes of one sandbox walked through /proc */

struct snapshot {
	bool from_cgroup;
	uint64_t cpu_usec, memory_bytes, pids;
	struct cgroup_stats cg;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* utime+stime (usec) and RSS (bytes) of one process from /proc/PID/stat. */
static void proc_usage(pid_t pid, uint64_t *cpu_usec, uint64_t *rss)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f || !fgets(line, sizeof(line), f))
		return;
	char *p = strrchr(line, ')');
	unsigned long long ut = 0, st = 0, rss_pages = 0;
	/* after ")": state(3) ... utime(14) stime(15) ... rss(24) */
	if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %*u %*u %llu",
			&ut, &st, &rss_pages) == 3) {
		long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
		*cpu_usec += (ut + st) * 1000000ull / (unsigned long long)hz;
		*rss += rss_pages * (unsigned long long)page;
	}
}

static void walk_procs(pid_t init, struct snapshot *s)
{
	pid_t queue[MAX_WALK];
	size_t head = 0, tail = 0;
	queue[tail++] = init;
	while (head < tail) {
		pid_t p = queue[head++];
		s->pids++;
		proc_usage(p, &s->cpu_usec, &s->memory_bytes);
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)p, (int)p);
		_cleanup_fclose_ FILE *f = fopen(path, "re");
		int c;
		while (f && tail < MAX_WALK && fscanf(f, "%d", &c) == 1)
			queue[tail++] = c;
	}
}

static int snapshot_take(const struct state_entry *e, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	if (e->cgroup[0]) {
		struct cgroup_leaf leaf = { .dirfd = open(e->cgroup, O_PATH | O_DIRECTORY | O_CLOEXEC) };
		snprintf(leaf.path, sizeof(leaf.path), "%s", e->cgroup);
		if (leaf.dirfd >= 0) {
			int r = cgroup_stats_read(&leaf, &s->cg);
			close(leaf.dirfd);
			if (r == 0) {
				s->from_cgroup = true;
				s->cpu_usec = s->cg.cpu_usage_usec;
				s->memory_bytes = s->cg.memory_current_bytes;
				s->pids = s->cg.pids_current;
				return 0;
			}
		}
	}
	if (e->init_pid <= 0 || kill(e->init_pid, 0) < 0)
		return -ESRCH;
	walk_procs(e->init_pid, s);
	return 0;
}

static void fmt_age(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000;
	if (s < 120)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%llum", (unsigned long long)(s / 60));
	else
		snprintf(buf, len, "%lluh", (unsigned long long)(s / 3600));
}

static json_object *entry_json(const struct state_entry *e, const struct snapshot *s, bool alive)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(e->id));
	json_object_object_add(o, "pid", json_object_new_int(e->supervisor_pid));
	json_object_object_add(o, "init_pid", json_object_new_int(e->init_pid));
	json_object_object_add(o, "policy", json_object_new_string(e->policy));
	json_object_object_add(o, "age_ms", json_object_new_int64((int64_t)(now_ms() - e->started_ms)));
	json_object_object_add(o, "alive", json_object_new_boolean(alive));
	json_object_object_add(o, "source", json_object_new_string(s->from_cgroup ? "cgroup" : "proc"));
	json_object_object_add(o, "cpu_ms", json_object_new_double((double)s->cpu_usec / 1000.0));
	json_object_object_add(o, "memory_bytes", json_object_new_int64((int64_t)s->memory_bytes));
	json_object_object_add(o, "pids", json_object_new_int64((int64_t)s->pids));
	json_object_object_add(o, "cgroup", e->cgroup[0] ? json_object_new_string(e->cgroup) : NULL);
	json_object_object_add(o, "command", json_object_new_string(e->command));
	if (s->from_cgroup) {
		json_object_object_add(o, "memory_peak_bytes", json_object_new_int64((int64_t)s->cg.memory_peak_bytes));
		json_object_object_add(o, "oom_kills", json_object_new_int64((int64_t)s->cg.oom_kills));
		json_object_object_add(o, "cpu_throttled_count", json_object_new_int64((int64_t)s->cg.nr_throttled));
		json_object_object_add(o, "io_read_bytes", json_object_new_int64((int64_t)s->cg.io_read_bytes));
		json_object_object_add(o, "io_write_bytes", json_object_new_int64((int64_t)s->cg.io_write_bytes));
	}
	return o;
}

static void print_table(FILE *f, struct state_entry *v, size_t n)
{
	fprintf(f, "%-16s %8s %-12s %6s %10s %10s %5s  %s\n", "ID", "PID", "POLICY", "AGE", "CPU", "MEMORY", "PIDS",
		"COMMAND");
	for (size_t i = 0; i < n; i++) {
		struct snapshot s;
		if (!state_alive(&v[i]) || snapshot_take(&v[i], &s) < 0)
			continue;
		char age[16], mem[24], cpu[24];
		fmt_age(age, sizeof(age), now_ms() - v[i].started_ms);
		snprintf(cpu, sizeof(cpu), "%.1fs", (double)s.cpu_usec / 1e6);
		snprintf(mem, sizeof(mem), "%.1fM", (double)s.memory_bytes / 1048576.0);
		fprintf(f, "%-16s %8d %-12s %6s %10s %10s %5llu  %.40s\n", v[i].id, (int)v[i].supervisor_pid, v[i].policy,
			age, cpu, mem, (unsigned long long)s.pids, v[i].command);
	}
}

int monitor_ps(int argc, char **argv)
{
	bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
	if (argc > (json ? 2 : 1)) {
		fprintf(stderr, "mlrun: ps: unknown argument '%s' (usage: mlrun ps [--json])\n", argv[json ? 2 : 1]);
		return EXIT_MLRUN_ERROR;
	}
	struct error err = { 0 };
	struct state_entry *v;
	size_t n;
	if (state_list(&v, &n, &err) < 0) {
		fprintf(stderr, "mlrun: %s\n", err.msg);
		return EXIT_MLRUN_ERROR;
	}
	if (json) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			struct snapshot s;
			if (state_alive(&v[i]) && snapshot_take(&v[i], &s) == 0)
				json_object_array_add(a, entry_json(&v[i], &s, true));
		}
		puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(a);
	} else
		print_table(stdout, v, n);
	free(v);
	return 0;
}

int monitor_stats(int argc, char **argv)
{
	bool json = false;
	const char *id = NULL;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (!id)
			id = argv[i];
	if (!id) {
		fprintf(stderr, "mlrun: stats: no sandbox id given (usage: mlrun stats ID [--json])\n");
		return EXIT_MLRUN_ERROR;
	}
	struct error err = { 0 };
	struct state_entry e;
	struct snapshot s;
	if (state_find(id, &e, &err) < 0 || !state_alive(&e) || snapshot_take(&e, &s) < 0) {
		fprintf(stderr, "mlrun: %s\n", err.msg[0] ? err.msg : "that sandbox is not running (see mlrun ps)");
		return EXIT_MLRUN_ERROR;
	}
	json_object *o = entry_json(&e, &s, true);
	if (json)
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else {
		json_object_object_foreach(o, key, val)
		{
			const char *text = json_object_get_string(val);
			printf("%-20s %s\n", key, text ? text : "-");
		}
	}
	json_object_put(o);
	return 0;
}

int monitor_kill(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "mlrun: kill: usage: mlrun kill ID [SIGNAL]\n");
		return EXIT_MLRUN_ERROR;
	}
	struct error err = { 0 };
	struct state_entry e;
	if (state_find(argv[1], &e, &err) < 0 || !state_alive(&e)) {
		fprintf(stderr, "mlrun: %s\n", err.msg[0] ? err.msg : "that sandbox is not running (see mlrun ps)");
		return EXIT_MLRUN_ERROR;
	}
	if (argc == 3) {
		/* A signal goes to the supervisor, which forwards it to the program like any other. */
		const char *name = argv[2];
		int sig = 0;
		if (strncmp(name, "SIG", 3) == 0)
			name += 3;
		for (int s = 1; s < NSIG && !sig; s++)
			if (sigabbrev_np(s) && strcmp(sigabbrev_np(s), name) == 0)
				sig = s;
		if (!sig)
			sig = atoi(name);
		if (sig <= 0 || sig >= NSIG) {
			fprintf(stderr, "mlrun: kill: unknown signal '%s'\n", argv[2]);
			return EXIT_MLRUN_ERROR;
		}
		if (kill(e.supervisor_pid, sig) < 0) {
			fprintf(stderr, "mlrun: kill: cannot signal %s: %s\n", e.id, strerror(errno));
			return EXIT_MLRUN_ERROR;
		}
		return 0;
	}
	/* Default: everything in the sandbox, at once. */
	if (e.cgroup[0]) {
		struct cgroup_leaf leaf = { .dirfd = open(e.cgroup, O_PATH | O_DIRECTORY | O_CLOEXEC) };
		snprintf(leaf.path, sizeof(leaf.path), "%s", e.cgroup);
		int r = leaf.dirfd >= 0 ? cgroup_leaf_kill(&leaf) : -errno;
		if (leaf.dirfd >= 0)
			close(leaf.dirfd);
		if (r == 0)
			return 0;
	}
	if (kill(e.init_pid, SIGKILL) < 0) {
		fprintf(stderr, "mlrun: kill: cannot kill %s: %s\n", e.id, strerror(errno));
		return EXIT_MLRUN_ERROR;
	}
	return 0;
}

int monitor_gc(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "mlrun: gc: takes no arguments\n");
		return EXIT_MLRUN_ERROR;
	}
	struct error err = { 0 };
	struct state_entry *v;
	size_t n, removed = 0;
	if (state_list(&v, &n, &err) < 0) {
		fprintf(stderr, "mlrun: %s\n", err.msg);
		return EXIT_MLRUN_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		if (state_alive(&v[i]))
			continue;
		if (v[i].cgroup[0]) {
			struct cgroup_leaf leaf = { .dirfd = open(v[i].cgroup, O_PATH | O_DIRECTORY | O_CLOEXEC) };
			snprintf(leaf.path, sizeof(leaf.path), "%s", v[i].cgroup);
			struct error e2 = { 0 };
			if (leaf.dirfd >= 0 && cgroup_leaf_destroy(&leaf, &e2) < 0) {
				fprintf(stderr, "mlrun: gc: %s\n", e2.msg);
				continue;
			}
		}
		state_remove(v[i].id);
		printf("removed %s\n", v[i].id);
		removed++;
	}
	free(v);
	printf("%zu removed\n", removed);
	return 0;
}

static struct termios saved_tio;
static void restore_tty(void) { tcsetattr(0, TCSANOW, &saved_tio); }

int monitor_top(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "mlrun: top: takes no arguments\n");
		return EXIT_MLRUN_ERROR;
	}
	bool tty = isatty(0) && tcgetattr(0, &saved_tio) == 0;
	if (tty) {
		struct termios raw = saved_tio;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		tcsetattr(0, TCSANOW, &raw);
		atexit(restore_tty);
	}
	/* Ctrl-C and q both quit; SIGINT arrives through the loop, the terminal is restored. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		struct error err = { 0 };
		struct state_entry *v;
		size_t n;
		if (state_list(&v, &n, &err) < 0) {
			fprintf(stderr, "mlrun: %s\n", err.msg);
			return EXIT_MLRUN_ERROR;
		}
		printf("\033[H\033[2Jmlrun top - %zu sandboxes - q to quit\n\n", n);
		print_table(stdout, v, n);
		fflush(stdout);
		free(v);
		struct pollfd p = { .fd = 0, .events = POLLIN };
		int r = poll(&p, 1, 1000);
		sigset_t pending;
		sigpending(&pending);
		if (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM))
			return 0;
		char c;
		if (r > 0 && (read(0, &c, 1) <= 0 || c == 'q' || c == 'Q'))
			return 0;
	}
}
