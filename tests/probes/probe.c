/* probe - a static multi-call program run inside sandboxes by the tests, so that they do not
 * depend on what the sandbox's root happens to contain. Each command prints what it observed
 * on stdout and exits 0 when the attempted action succeeded, 1 when it failed.
 *
 *   probe read FILE            print FILE, or "errno NAME"
 *   probe write FILE [BYTES]   create FILE with BYTES bytes (default 1)
 *   probe ls DIR               list DIR
 *   probe kill PID [SIG]       send a signal
 *   probe connect HOST PORT    TCP connect to an IPv4 address
 *   probe listen PORT          bind+listen on 127.0.0.1:PORT
 *   probe fds                  list open fds above 2 (excluding the one used to list)
 *   probe env NAME             print $NAME or "unset"
 *   probe ids                  print "uid euid gid egid"
 *   probe tiocsti              push a character into fd 0's terminal
 *   probe signals N FILE       write "ready" to FILE, then print the first N signals received
 *   probe daemon FILE          double-fork, setsid, write "up" to FILE, sleep forever
 *   probe sleep SECONDS        sleep
 *   probe spin SECONDS         burn CPU
 *   probe memhog MIB           allocate and touch MIB MiB
 *   probe forkbomb N           try to fork N children that sleep; print how many succeeded
 *   probe exit N | probe raise SIG
 * and the escape attempts of attacks.c (syscall NAME, userns, mount, ...), sockets.c
 * (socket FAMILY TYPE PROTO, socketpair ...), storm.c (storm, junk-then, thread-fork), the
 * /proc views of procview.c (strings FILE, unmask PATH), numa.c (numa) and sched.c (sched, sched-rt).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
	printf("errno %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	fflush(stdout);
	(void)what;
	return 1;
}

static int cmd_read(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("open");
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	return n < 0 ? fail("read") : 0;
}

static int cmd_write(const char *path, long bytes)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("open");
	char buf[65536];
	memset(buf, 'x', sizeof(buf));
	while (bytes > 0) {
		ssize_t n = write(fd, buf, bytes < (long)sizeof(buf) ? (size_t)bytes : sizeof(buf));
		if (n < 0)
			return fail("write");
		bytes -= n;
	}
	if (close(fd) < 0)
		return fail("close");
	printf("ok\n");
	return 0;
}

static int cmd_ls(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return fail("opendir");
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			printf("%s\n", e->d_name);
	closedir(d);
	return 0;
}

static int cmd_connect(const char *host, int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket");
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, host, &a.sin_addr);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail("connect");
	printf("connected\n");
	return 0;
}

static int cmd_listen(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket");
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0)
		return fail("bind");
	printf("listening\n");
	return 0;
}

static int cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return fail("opendir");
	int self = dirfd(d), n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd <= 2 || fd == self)
			continue;
		printf("%d\n", fd);
		n++;
	}
	closedir(d);
	printf("count %d\n", n);
	return 0;
}

static int cmd_tiocsti(void)
{
	char c = '#';
	if (ioctl(0, TIOCSTI, &c) < 0)
		return fail("ioctl");
	printf("injected\n");
	return 0;
}

static volatile sig_atomic_t got[64];
static volatile sig_atomic_t ngot;
static void on_signal(int sig)
{
	if (ngot < 64)
		got[ngot++] = sig;
}

static int cmd_signals(int n, const char *ready)
{
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_signal);
	int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "ready\n", 6) != 6)
		return fail("ready");
	close(fd);
	/* Print each signal as it arrives, so a test can send the next one when it has seen it. */
	int printed = 0;
	for (int waited = 0; printed < n && waited < 2000; waited++) { /* bounded: 20 s */
		while (printed < ngot)
			printf("%s\n", sigabbrev_np(got[printed++]));
		usleep(10000);
	}
	return printed >= n ? 0 : 1;
}

static int cmd_daemon(const char *file)
{
	if (fork() > 0)
		return 0;
	setsid();
	if (fork() > 0)
		_exit(0);
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, "up\n", 3) != 3)
			_exit(1);
		close(fd);
	}
	for (;;)
		pause();
}

static int cmd_spin(double seconds)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	volatile unsigned long x = 0;
	do {
		for (int i = 0; i < 1000000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
	printf("spun\n");
	return 0;
}

static int cmd_memhog(long mib)
{
	size_t len = (size_t)mib << 20;
	char *p = malloc(len);
	if (!p)
		return fail("malloc");
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	printf("allocated %ld MiB\n", mib);
	return 0;
}

static int cmd_forkbomb(int n)
{
	int ok = 0;
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			sleep(30);
			_exit(0);
		}
		if (p < 0)
			break;
		ok++;
	}
	printf("forked %d\n", ok);
	return ok == n ? 0 : 1;
}

int probe_attack(int argc, char **argv);
int probe_sockets(int argc, char **argv);
int probe_storm(int argc, char **argv);
int probe_proc(int argc, char **argv);
int probe_numa(int argc, char **argv);
int probe_sched(int argc, char **argv);
int probe_isolation(int argc, char **argv);

/* One line per call for the probe files that test syscalls one by one: "NAME ok" or
 * "NAME errno ENAME"; returns 1 on failure. */
int probe_report(const char *name, long r);
int probe_report(const char *name, long r)
{
	if (r < 0) {
		printf("%s errno %s\n", name, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
		return 1;
	}
	printf("%s ok\n", name);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: probe COMMAND [ARGS]\n");
		return 2;
	}
	const char *c = argv[1];
	const char *a1 = argc > 2 ? argv[2] : "", *a2 = argc > 3 ? argv[3] : "";
	if (!strcmp(c, "read"))
		return cmd_read(a1);
	if (!strcmp(c, "write"))
		return cmd_write(a1, argc > 3 ? atol(a2) : 1);
	if (!strcmp(c, "ls"))
		return cmd_ls(a1);
	if (!strcmp(c, "kill"))
		return kill(atoi(a1), argc > 3 ? atoi(a2) : SIGTERM) < 0 ? fail("kill") : (printf("sent\n"), 0);
	if (!strcmp(c, "connect"))
		return cmd_connect(a1, atoi(a2));
	if (!strcmp(c, "listen"))
		return cmd_listen(atoi(a1));
	if (!strcmp(c, "fds"))
		return cmd_fds();
	if (!strcmp(c, "env")) {
		const char *v = getenv(a1);
		printf("%s\n", v ? v : "unset");
		return 0;
	}
	if (!strcmp(c, "ids")) {
		printf("%d %d %d %d\n", getuid(), geteuid(), getgid(), getegid());
		return 0;
	}
	if (!strcmp(c, "tiocsti"))
		return cmd_tiocsti();
	if (!strcmp(c, "signals"))
		return cmd_signals(atoi(a1), a2);
	if (!strcmp(c, "daemon"))
		return cmd_daemon(a1);
	if (!strcmp(c, "sleep"))
		return sleep((unsigned)atoi(a1)), 0;
	if (!strcmp(c, "spin"))
		return cmd_spin(atof(a1));
	if (!strcmp(c, "memhog"))
		return cmd_memhog(atol(a1));
	if (!strcmp(c, "forkbomb"))
		return cmd_forkbomb(atoi(a1));
	if (!strcmp(c, "exit"))
		return atoi(a1);
	if (!strcmp(c, "raise"))
		return raise(atoi(a1)), 0;
	int r = probe_attack(argc, argv);
	if (r >= 0 || (r = probe_sockets(argc, argv)) >= 0 || (r = probe_numa(argc, argv)) >= 0 ||
	    (r = probe_sched(argc, argv)) >= 0)
		return r;
	if ((r = probe_storm(argc, argv)) >= 0)
		return r;
	if ((r = probe_proc(argc, argv)) >= 0 || (r = probe_isolation(argc, argv)) >= 0)
		return r;
	fprintf(stderr, "probe: unknown command %s\n", c);
	return 2;
}
