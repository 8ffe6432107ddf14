/* ocicount.c - calls an OCI config's own seccomp filter denies (tests/oci-count.bats).
 *
 *   probe call NAME                 make the call once; print "NAME: ok" or "NAME: errno E"
 *   probe call-storm NAME SECS E    make it in a loop for SECS; print "calls N unexpected M"
 *                                   (M: calls that did not fail with errno E)
 *   probe call-loop NAME FILE       write "running" to FILE, then make it forever; append
 *                                   "ALLOWED" whenever it succeeds, "errno E" when E changes
 *   probe listener                  load an allow-all filter with a listener of its own (as a
 *                                   nested sandbox does); print "listener: ok" or "listener: errno E"
 *
 * NAME: bpf, add_key, audit-socket (socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT)), mkdir
 * (/tmp/ocicount), mount (tmpfs on /tmp), acct. Each is harmless if it were allowed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long call(const char *name)
{
	if (!strcmp(name, "bpf"))
		return syscall(SYS_bpf, -1, 0, 0);
	if (!strcmp(name, "add_key"))
		return syscall(SYS_add_key, "user", "ocicount", "x", 1, -3 /* KEY_SPEC_SESSION_KEYRING */);
	if (!strcmp(name, "audit-socket")) {
		long fd = syscall(SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
		if (fd >= 0)
			close((int)fd);
		return fd;
	}
	if (!strcmp(name, "mkdir")) {
		long r = syscall(SYS_mkdir, "/tmp/ocicount", 0700);
		if (r == 0)
			rmdir("/tmp/ocicount");
		return r;
	}
	if (!strcmp(name, "mount"))
		return syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL);
	if (!strcmp(name, "acct"))
		return syscall(SYS_acct, NULL);
	errno = EINVAL;
	return -2;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_call(const char *name)
{
	long r = call(name);
	if (r == -2)
		return 2;
	if (r < 0)
		printf("%s: errno %d\n", name, errno);
	else
		printf("%s: ok\n", name);
	return 0;
}

static int cmd_storm(const char *name, double secs, int expect)
{
	long n = 0, unexpected = 0;
	double until = now_s() + secs;
	while (now_s() < until) {
		long r = call(name);
		n++;
		if (r != -1 || errno != expect)
			unexpected++;
	}
	printf("calls %ld unexpected %ld\n", n, unexpected);
	return 0;
}

static int cmd_loop(const char *name, const char *file)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	int last = 0;
	char buf[64];
	if (fd < 0 || write(fd, "running\n", 8) != 8)
		return 1;
	for (;;) {
		long r = call(name);
		int e = r < 0 ? errno : 0;
		if (r >= 0) {
			if (write(fd, "ALLOWED\n", 8) != 8)
				return 1;
		} else if (e != last) {
			int len = snprintf(buf, sizeof(buf), "errno %d\n", e);
			if (write(fd, buf, (size_t)len) != len)
				return 1;
			last = e;
		}
	}
}

static int cmd_listener(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { 1, &allow };
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0)
		printf("listener: errno %d\n", errno);
	else
		printf("listener: ok\n");
	return 0;
}

int probe_ocicount(int argc, char **argv)
{
	if (!strcmp(argv[1], "listener"))
		return cmd_listener();
	const char *c = argv[1];
	if (!strcmp(c, "call") && argc > 2)
		return cmd_call(argv[2]);
	if (!strcmp(c, "call-storm") && argc > 4)
		return cmd_storm(argv[2], atof(argv[3]), atoi(argv[4]));
	if (!strcmp(c, "call-loop") && argc > 3)
		return cmd_loop(argv[2], argv[3]);
	return -1;
}
