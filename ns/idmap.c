/* idmap.c - the user namespace's id maps, written by the parent for the child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "ns.h"

static int write_proc_file(pid_t pid, const char *name, const char *text, struct error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "cannot open %s", path);
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	if (n < 0) {
		int e = errno;
		/* The most reported failure of every userns sandbox: say what to do about it. */
		if (e == EPERM || e == EACCES)
			return error_set(err, e,
					 "cannot write %s of the sandbox's user namespace; if unprivileged user "
					 "namespaces are restricted (Ubuntu 23.10+: sysctl "
					 "kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile "
					 "for mlrun), `mlrun features` shows the fix",
					 name);
		return error_set(err, e, "cannot write '%.*s' to %s", (int)strcspn(text, "\n"), text, path);
	}
	if ((size_t)n != len)
		return error_set(err, EIO, "short write to %s", path);
	return 0;
}

int ns_write_idmap(pid_t pid, const struct ns_idmap *m, struct error *err)
{
	char line[64];
	int r;

	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)m->inside_uid, (unsigned)m->host_uid);
	r = write_proc_file(pid, "uid_map", line, err);
	if (r < 0)
		return r;
	/* An unprivileged writer may only map its gid once setgroups is denied, so that the
	 * child cannot drop a group that was keeping it out of a file (user_namespaces(7)). */
	if (m->deny_setgroups) {
		r = write_proc_file(pid, "setgroups", "deny\n", err);
		if (r < 0)
			return r;
	}
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)m->inside_gid, (unsigned)m->host_gid);
	return write_proc_file(pid, "gid_map", line, err);
}
