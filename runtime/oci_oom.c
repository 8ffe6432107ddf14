/* oci_oom.c - process.oomScoreAdj: the supervisor writes it into the container's first process
 * (the sandbox's pid 1, whose children inherit it) while that process still waits for its id
 * maps, before anything of the image runs, as runc's init has it before it execs.
 *
 * The kernel decides who may lower it: below the process' oom_score_adj_min (the lowest value a
 * CAP_SYS_RESOURCE writer last set for it or an ancestor, 0 by default) it asks for
 * CAP_SYS_RESOURCE in the initial user namespace. So as host root any value holds (the engine's
 * intent: a kubelet protects its pod sandboxes with -998); rootless, a value lower than the
 * caller may take itself fails create naming the field, never ignored. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../rootfs/rootfs.h"
#include "prepare.h"

#define OOM_FIELD "process.oomScoreAdj"

/* The caller's own oom_score_adj, for the message; INT32_MIN when it cannot be read. */
static int own_oom_score_adj(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/oom_score_adj", "re");
	int v;
	return f && fscanf(f, "%d", &v) == 1 ? v : INT32_MIN;
}

/* /proc/PID of exactly the process behind pidfd, as an O_PATH fd. The walk follows no link from
 * a /proc that fstatfs says is a proc file system, so nothing mounted or linked over it (by
 * anyone) redirects the write; and the pidfd still naming a live process after the open proves
 * /proc/PID is that process, not a later one that reused its pid. */
static int open_proc_pid(pid_t pid, int pidfd, struct error *err)
{
	struct statfs sf;
	char name[16];
	_cleanup_close_ int proc = rootfs_openat2(AT_FDCWD, "/proc", O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
	if (proc < 0)
		return error_set(err, -proc, OOM_FIELD ": cannot open /proc");
	if (fstatfs(proc, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
		return error_set(err, EXDEV, OOM_FIELD ": /proc is not a proc file system");
	snprintf(name, sizeof(name), "%d", (int)pid);
	int dir = rootfs_openat2(proc, name, O_PATH | O_DIRECTORY, RESOLVE_STRICT | RESOLVE_NO_XDEV);
	if (dir < 0)
		return error_set(err, -dir, OOM_FIELD ": cannot open /proc/%d", (int)pid);
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
		int e = errno;
		close(dir);
		return error_set(err, e, OOM_FIELD ": the container's first process is gone");
	}
	return dir;
}

/* Closes the gap between the config asking the kernel's OOM killer to spare (or prefer) the
 * container and the container running without it: written through fds of the verified process,
 * never a path the container could swap. */
int oci_write_oom_score_adj(pid_t pid, int pidfd, int value, struct error *err)
{
	char text[16];
	_cleanup_close_ int dir = open_proc_pid(pid, pidfd, err);
	if (dir < 0)
		return dir;
	_cleanup_close_ int fd = rootfs_openat2(dir, "oom_score_adj", O_WRONLY | O_NOCTTY, RESOLVE_STRICT | RESOLVE_NO_XDEV);
	if (fd < 0)
		return error_set(err, -fd, OOM_FIELD ": cannot open /proc/%d/oom_score_adj", (int)pid);
	int len = snprintf(text, sizeof(text), "%d\n", value);
	if (write(fd, text, (size_t)len) == len)
		return 0;
	if (errno == EACCES || errno == EPERM) {
		int own = own_oom_score_adj();
		char mine[48] = "";
		if (own != INT32_MIN)
			snprintf(mine, sizeof(mine), " (its own oom_score_adj is %d)", own);
		error_set(err, 0, OOM_FIELD ": %d is below what mlrun-oci may set%s: a lower value needs CAP_SYS_RESOURCE, "
			  "which it does not hold (rootless, or a root without it)", value, mine);
		return -EACCES;
	}
	return error_set(err, errno, OOM_FIELD ": cannot write %d to /proc/%d/oom_score_adj", value, (int)pid);
}
