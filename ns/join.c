/* join.c - an existing namespace named by a path (mlrun-oci's linux.namespaces[].path: pods,
 * `podman --network container:X`, Kubernetes' pause container), opened and checked before the
 * supervisor joins it (runtime/supervisor.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "ns.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

static const char *type_name(int nstype)
{
	switch (nstype) {
	case CLONE_NEWNET:
		return "network";
	case CLONE_NEWIPC:
		return "ipc";
	case CLONE_NEWUTS:
		return "uts";
	case CLONE_NEWPID:
		return "pid";
	case CLONE_NEWNS:
		return "mount";
	case CLONE_NEWUSER:
		return "user";
	case CLONE_NEWCGROUP:
		return "cgroup";
	default:
		return "unknown";
	}
}

/* The path's last component is opened without following a link, unless it lives in a proc
 * directory (/proc/PID/ns/net is a kernel link that nobody can plant): a link placed where the
 * engine's path points must not redirect the join to another namespace file. */
static int open_ns_file(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	if (!slash || slash[1] == '\0' || (size_t)(slash - path) >= sizeof(dir))
		return -EINVAL;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	_cleanup_close_ int dirfd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	struct statfs sfs;
	if (fstatfs(dirfd, &sfs) < 0)
		return -errno;
	int flags = O_RDONLY | O_CLOEXEC | (sfs.f_type == PROC_SUPER_MAGIC ? 0 : O_NOFOLLOW);
	int fd = openat(dirfd, slash + 1, flags);
	return fd < 0 ? -errno : fd;
}

/* Not trusting a file for its name: only an nsfs inode of the type the config names is a
 * namespace; anything else (a regular file, /dev/null, a namespace of another type) is refused
 * before setns could act on it. */
static int check_ns_file(int fd, int nstype, const char *what, const char *path, struct error *err)
{
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0)
		return error_set(err, errno, "%s: %s", what, path);
	if (sfs.f_type != NSFS_MAGIC)
		return error_set(err, EINVAL, "%s: %s is not a namespace file (nsfs)", what, path);
	int t = ioctl(fd, NS_GET_NSTYPE);
	if (t < 0)
		return error_set(err, errno, "%s: %s: NS_GET_NSTYPE", what, path);
	if (t != nstype)
		return error_set(err, EINVAL, "%s: %s is a %s namespace, the config says %s", what, path, type_name(t),
				 type_name(nstype));
	return 0;
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The caller (its real uid: mlrun may run with more rights than the user who started it) must
 * hold CAP_SYS_ADMIN over the namespace's owning user namespace, by the kernel's own rule
 * (cap_capable): either that user namespace is the caller's own and the caller has the
 * capability there, or one of its ancestors is a child of the caller's own that the caller's
 * uid created. A rootless caller naming root's namespace (/proc/1/ns/net) is refused here, with
 * the field named, whatever the kernel would say later. */
static int check_caller_may_join(int fd, const char *what, const char *path, struct error *err)
{
	_cleanup_close_ int self = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return error_set(err, errno, "%s: /proc/self/ns/user", what);
	int u = ioctl(fd, NS_GET_USERNS);
	if (u < 0)
		return error_set(err, errno, "%s: %s: its owning user namespace", what, path);
	uid_t caller = getuid();
	bool privileged = caller == 0 && geteuid() == 0 && ns_have_cap(CAP_SYS_ADMIN);
	for (;;) {
		if (same_file(u, self)) {
			close(u);
			if (privileged)
				return 0;
			break;
		}
		uid_t owner;
		int parent = ioctl(u, NS_GET_PARENT);
		int r = ioctl(u, NS_GET_OWNER_UID, &owner);
		close(u);
		if (parent < 0 || r < 0) {
			if (parent >= 0)
				close(parent);
			break; /* EPERM: above the caller's own user namespace */
		}
		if (owner == caller && same_file(parent, self)) {
			close(parent);
			return 0;
		}
		u = parent;
	}
	return error_set(err, EPERM, "%s: %s belongs to a user namespace in which uid %u has no CAP_SYS_ADMIN: "
			 "mlrun-oci joins only namespaces its caller could join itself", what, path, (unsigned)caller);
}

int ns_open_join(const char *path, int nstype, const char *what, struct error *err)
{
	if (path[0] != '/')
		return error_set(err, EINVAL, "%s: %s is not an absolute path", what, path);
	int fd = open_ns_file(path);
	if (fd == -ELOOP)
		return error_set(err, ELOOP, "%s: %s is a symbolic link (a namespace is named by its own file)", what, path);
	if (fd < 0)
		return error_set(err, -fd, "%s: %s", what, path);
	int r = check_ns_file(fd, nstype, what, path, err);
	if (r == 0)
		r = check_caller_may_join(fd, what, path, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}
