/* procview.c - the probe's look at what /proc shows of the host (tests/trust_proc.bats and
 * `mlrun audit`). Same conventions as probe.c: print what happened, exit 0 when the attempted
 * action succeeded (something was read), 1 when it failed.
 *
 *   probe strings FILE     print FILE with its NUL separators as spaces, or "errno NAME";
 *                          exits 1 when FILE cannot be read or is empty
 *   probe unmask PATH      try to take a mask off PATH (a user and mount namespace of its own
 *                          when it can get one, then umount), then read PATH: "bytes N" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static const char *errname(int e)
{
	return strerrorname_np(e) ? strerrorname_np(e) : "?";
}

/* Bytes of path, NULs shown as spaces on stdout when show (trailing ones dropped); -errno when
 * it cannot be read. */
static long read_all(const char *path, int show)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char buf[4096];
	long total = 0, nuls = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; show && i < n; i++) {
			if (!buf[i]) {
				nuls++;
				continue;
			}
			for (; nuls > 0; nuls--)
				putchar(' ');
			putchar(buf[i]);
		}
		total += n;
	}
	int e = errno;
	close(fd);
	return n < 0 ? -e : total;
}

static int cmd_strings(const char *path)
{
	long n = read_all(path, 1);
	if (n < 0)
		printf("errno %s\n", errname((int)-n));
	else
		putchar('\n');
	return n > 0 ? 0 : 1;
}

static int cmd_unmask(const char *path)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		printf("unshare: errno %s\n", errname(errno));
	if (umount2(path, MNT_DETACH) < 0)
		printf("umount: errno %s\n", errname(errno));
	else
		printf("umount: ok\n");
	long n = read_all(path, 0);
	if (n < 0)
		printf("read: errno %s\n", errname((int)-n));
	else
		printf("bytes %ld\n", n);
	return n > 0 ? 0 : 1;
}

int probe_proc(int argc, char **argv)
{
	const char *c = argv[1];
	if (!strcmp(c, "strings") && argc > 2)
		return cmd_strings(argv[2]);
	if (!strcmp(c, "unmask") && argc > 2)
		return cmd_unmask(argv[2]);
	return -1;
}
