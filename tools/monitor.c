/* monitor.c - live sandboxes: `mlrun ps`, `stats`, `top`, `kill`, `gc`.
 *
 * Everything is read from the state directory and the kernel (snapshot.c): the run's cgroup
 * files where there is a leaf, else /proc of the sandbox's processes (pid 1 and its descendants). */
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
#include "../lib/cleanup.h"
#include "../runtime/exitcodes.h"
#include "monitor.h"
#include "snapshot.h"
#include "../runtime/state.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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

/* A field of the table, printable: a command line (or a policy path) is the caller's text and may
 * hold newlines, tabs or escape sequences that would break the table or drive the terminal.
 * Control bytes become \n, \t, \r or \xHH, a backslash \\ (as ps(1) and ls -b show them). */
static const char *printable(char *buf, size_t len, const char *s)
{
	size_t o = 0;
	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;
		const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\\' ? "\\\\" : NULL;
		if (esc)
			o += (size_t)snprintf(buf + o, len - o, "%s", esc);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
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
		char id[sizeof(v[i].id) * 4], policy[sizeof(v[i].policy) * 4], command[41 * 4 + 8];
		fprintf(f, "%-16s %8d %-12s %6s %10s %10s %5llu  %.40s\n", printable(id, sizeof(id), v[i].id),
			(int)v[i].supervisor_pid, printable(policy, sizeof(policy), v[i].policy), age, cpu, mem,
			(unsigned long long)s.pids, printable(command, sizeof(command), v[i].command));
	}
}

/* The state directory's entries, or the one error line ps, top and gc all print. */
static int list_or_fail(struct state_entry **v, size_t *n)
{
	struct error err = { 0 };
	if (state_list(v, n, &err) < 0) {
		fprintf(stderr, "mlrun: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int monitor_ps(int argc, char **argv)
{
	bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
	if (argc > (json ? 2 : 1)) {
		fprintf(stderr, "mlrun: ps: unknown argument '%s' (usage: mlrun ps [--json])\n", argv[json ? 2 : 1]);
		return EXIT_MLRUN_ERROR;
	}
	struct state_entry *v;
	size_t n;
	if (list_or_fail(&v, &n) < 0)
		return EXIT_MLRUN_ERROR;
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
	int r;
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
		if ((r = state_signal_supervisor(&e, sig)) < 0) {
			fprintf(stderr, "mlrun: kill: cannot signal %s: %s\n", e.id,
				r == -ESRCH ? "that sandbox is not running (see mlrun ps)" : strerror(-r));
			return EXIT_MLRUN_ERROR;
		}
		return 0;
	}
	/* Default: everything in the sandbox, at once. */
	if ((r = state_kill_sandbox(&e)) < 0) {
		fprintf(stderr, "mlrun: kill: cannot kill %s: %s\n", e.id,
			r == -ESRCH ? "that sandbox is not running (see mlrun ps)" : strerror(-r));
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
	struct state_entry *v;
	size_t n, removed = 0;
	if (list_or_fail(&v, &n) < 0)
		return EXIT_MLRUN_ERROR;
	for (size_t i = 0; i < n; i++) {
		if (state_alive(&v[i]))
			continue;
		struct cgroup_leaf leaf;
		if (state_open_leaf(&v[i], &leaf) == 0) {
			struct error e2 = { 0 };
			if (cgroup_leaf_destroy(&leaf, &e2) < 0) {
				close(leaf.dirfd);
				fprintf(stderr, "mlrun: gc: %s\n", e2.msg);
				continue;
			}
		} else if (v[i].cgroup[0])
			fprintf(stderr, "mlrun: gc: %s: not removing cgroup %s (not the leaf mlrun makes for this "
				"id under this host's cgroup parent); remove it yourself if it is left over\n",
				v[i].id, v[i].cgroup);
		state_remove(v[i].id);
		printf("removed %s\n", v[i].id);
		removed++;
	}
	free(v);
	removed += state_remove_orphan_tmp(); /* registrations cut short by a killed supervisor */
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
		struct state_entry *v;
		size_t n;
		if (list_or_fail(&v, &n) < 0)
			return EXIT_MLRUN_ERROR;
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
