/* state_target.c - acting on what a state entry names (see state.h).
 *
 * A state file says which cgroup and which pids belong to a sandbox; `mlrun kill/gc/ps` act on
 * them long after it was written. Pids get reused and a file can be planted, so nothing is
 * acted on for the file's word alone: the leaf must be exactly the one mlrun would make for
 * that id, and a pid is used only through a pidfd whose process is checked after it was
 * pinned (start time, parent, pid namespace). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../lib/cleanup.h"
#include "state.h"

int state_open_leaf(const struct state_entry *e, struct cgroup_leaf *leaf)
{
	struct cgroup_host host;
	leaf->dirfd = -1;
	if (!e->cgroup[0])
		return -ENOENT;
	cgroup_probe(&host);
	/* A leaf in the run's own systemd scope is found from the scope, not from our cgroup. */
	cgroup_host_use_scope(&host, e->id, e->cgroup);
	/* The path is rebuilt from this host's parent and the id; the file's string must match it. */
	if (cgroup_leaf_open(leaf, &host, e->id, NULL) < 0)
		return -ENOENT;
	if (strcmp(leaf->path, e->cgroup) != 0) {
		closep(&leaf->dirfd);
		leaf->dirfd = -1;
		return -ENOENT;
	}
	return 0;
}

/* A pidfd of pid, only if it is the process that started at start. The start time is read
 * after the pidfd pins a process: if it still matches, the pinned process is the recorded one
 * (a reused pid has a later start), so a signal through the fd cannot reach a stranger. */
static int pidfd_checked(pid_t pid, uint64_t start)
{
	if (pid <= 0 || start == 0)
		return -ESRCH;
	int fd = pidfd_open(pid, 0);
	if (fd < 0)
		return -errno;
	if (state_proc_starttime(pid) != start) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	int ppid = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "PPid: %d", &ppid) == 1)
			break;
	return (pid_t)ppid;
}

/* Rootless, pid 1 (undumpable) hides its ns links from its own uid; its status does not: an
 * NSpid line of two or more pids is a process in a pid namespace below ours (/proc's). */
static bool nspid_nested(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		int a, b;
		if (strncmp(line, "NSpid:", 6) == 0)
			return sscanf(line + 6, "%d %d", &a, &b) == 2;
	}
	return false;
}

static bool in_other_pid_ns(pid_t pid)
{
	char path[64];
	struct stat self, other;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	if (stat("/proc/self/ns/pid", &self) == 0 && stat(path, &other) == 0)
		return self.st_dev != other.st_dev || self.st_ino != other.st_ino;
	return errno == EACCES && nspid_nested(pid);
}

/* Pidfds of the supervisor and of pid 1, both verified. */
static int open_targets(const struct state_entry *e, int *sup, int *init)
{
	*sup = *init = -1;
	int s = pidfd_checked(e->supervisor_pid, e->supervisor_start);
	if (s < 0)
		return s;
	int i = pidfd_checked(e->init_pid, e->init_start);
	/* Both pinned: the sandbox's pid 1 is the supervisor's child in a pid namespace of its own
	 * (a planted entry naming any process of ours, or the caller's shell, is neither). */
	if (i >= 0 && (parent_of(e->init_pid) != e->supervisor_pid || !in_other_pid_ns(e->init_pid))) {
		close(i);
		i = -ESRCH;
	}
	if (i < 0) {
		close(s);
		return i;
	}
	*sup = s;
	*init = i;
	return 0;
}

bool state_init_verified(const struct state_entry *e)
{
	int sup, init;
	if (open_targets(e, &sup, &init) < 0)
		return false;
	close(sup);
	close(init);
	return true;
}

int state_signal_supervisor(const struct state_entry *e, int sig)
{
	_cleanup_close_ int sup = -1, init = -1;
	int r = open_targets(e, &sup, &init);
	if (r < 0)
		return r;
	return pidfd_send_signal(sup, sig, NULL, 0) < 0 ? -errno : 0;
}

int state_kill_sandbox(const struct state_entry *e)
{
	struct cgroup_leaf leaf;
	if (state_open_leaf(e, &leaf) == 0) {
		int r = cgroup_leaf_kill(&leaf);
		close(leaf.dirfd);
		if (r == 0)
			return 0;
	}
	_cleanup_close_ int sup = -1, init = -1;
	int r = open_targets(e, &sup, &init);
	if (r < 0)
		return r;
	return pidfd_send_signal(init, SIGKILL, NULL, 0) < 0 ? -errno : 0;
}

int state_open_init(const struct state_entry *e)
{
	int sup, init;
	int r = open_targets(e, &sup, &init);
	if (r < 0)
		return r;
	close(sup);
	return init;
}
