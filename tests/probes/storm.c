/* storm.c - probes that make the supervisor work or hide from its accounting (issue 18).
 *
 *   probe storm THREADS SECONDS    THREADS threads call bpf(-1) in a loop for SECONDS;
 *                                  print "calls N" (denied calls made)
 *   probe junk-then FIRST LAST     call syscall numbers FIRST..LAST once each, then unshare,
 *                                  mount, ptrace and bpf; print "done"
 *   probe thread-fork N MS         a second thread forks N children that spin; each reports
 *                                  once it has used MS ms of CPU; then the main thread prints
 *                                  "ready" and exits without reaping them
 *   probe thread-fork-hold N MS    the same, then waits forever (stays alive for ps/stats)
 *   probe thread-fork-deny N MS    the same, then calls bpf (under on_violation = kill, the
 *                                  supervisor then tears the sandbox down)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_long calls;
static double storm_until;

static double now_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *storm_thread(void *unused)
{
	(void)unused;
	while (now_s(CLOCK_MONOTONIC) < storm_until) {
		syscall(SYS_bpf, -1, 0, 0);
		atomic_fetch_add(&calls, 1);
	}
	return NULL;
}

static int cmd_storm(int n, double seconds)
{
	pthread_t th[64];
	if (n < 1 || n > 64)
		n = 1;
	storm_until = now_s(CLOCK_MONOTONIC) + seconds;
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, storm_thread, NULL) != 0)
			return 1;
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	printf("calls %ld\n", atomic_load(&calls));
	return 0;
}

static int cmd_junk_then(long first, long last)
{
	for (long nr = first; nr <= last; nr++)
		syscall(nr, 0, 0, 0, 0, 0, 0);
	syscall(SYS_unshare, 0);
	syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL);
	syscall(SYS_ptrace, -1, 0, 0, 0);
	syscall(SYS_bpf, -1, 0, 0);
	printf("done\n");
	return 0;
}

struct fork_arg {
	int n, pipe_w;
	double ms;
};

/* Spin until this process has used ms of CPU, say so, then spin on. */
static void spinner(int pipe_w, double ms)
{
	while (now_s(CLOCK_PROCESS_CPUTIME_ID) * 1e3 < ms)
		;
	if (write(pipe_w, "x", 1) != 1)
		_exit(1);
	for (;;)
		;
}

/* The forking thread stays alive: its children are listed under it, not the main thread (an
 * exiting thread would hand them over to another thread of its process). */
static void *fork_thread(void *p)
{
	struct fork_arg *a = p;
	for (int i = 0; i < a->n; i++)
		if (fork() == 0)
			spinner(a->pipe_w, a->ms);
	for (;;)
		pause();
	return NULL;
}

enum after_ready { EXIT, HOLD, DENY };

static int cmd_thread_fork(int n, double ms, enum after_ready then)
{
	int fds[2];
	pthread_t th;
	struct fork_arg a = { .n = n, .ms = ms };
	if (pipe(fds) < 0)
		return 1;
	a.pipe_w = fds[1];
	if (pthread_create(&th, NULL, fork_thread, &a) != 0)
		return 1;
	char c;
	for (int i = 0; i < n; i++)
		if (read(fds[0], &c, 1) != 1)
			return 1;
	printf("ready\n");
	fflush(stdout);
	if (then == DENY)
		syscall(SYS_bpf, -1, 0, 0);
	if (then != EXIT)
		for (;;)
			pause();
	return 0;
}

/* Returns -1 for a command that is not one of these. */
int probe_storm(int argc, char **argv)
{
	const char *c = argv[1];
	if (!strcmp(c, "storm") && argc > 3)
		return cmd_storm(atoi(argv[2]), atof(argv[3]));
	if (!strcmp(c, "junk-then") && argc > 3)
		return cmd_junk_then(atol(argv[2]), atol(argv[3]));
	if (!strcmp(c, "thread-fork") && argc > 3)
		return cmd_thread_fork(atoi(argv[2]), atof(argv[3]), EXIT);
	if (!strcmp(c, "thread-fork-hold") && argc > 3)
		return cmd_thread_fork(atoi(argv[2]), atof(argv[3]), HOLD);
	if (!strcmp(c, "thread-fork-deny") && argc > 3)
		return cmd_thread_fork(atoi(argv[2]), atof(argv[3]), DENY);
	return -1;
}
