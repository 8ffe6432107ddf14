/* idmap.c - the user namespace's id maps, written by the parent for the child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "ns.h"

/* 1 when kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10+) is on, else 0. */
static bool apparmor_restricts_userns(void)
{
	char c = '0';
	_cleanup_close_ int fd = open("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read(fd, &c, 1) == 1 && c == '1';
}

bool ns_have_cap(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	if (cap < 0 || cap >= 64 || syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* Whether id lies inside one extent of this process's own uid_map or gid_map ("inside outside
 * count" lines): only such an id can be mapped into a child user namespace. */
static bool id_mapped(const char *file, unsigned id)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	unsigned long inside, outside, count;
	while (f && fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
		if (id >= inside && id - inside < count)
			return true;
	return false;
}

bool ns_can_map_ids(uid_t uid, gid_t gid)
{
	return ns_have_cap(CAP_SETUID) && ns_have_cap(CAP_SETGID) && id_mapped("/proc/self/uid_map", uid) &&
	       id_mapped("/proc/self/gid_map", gid);
}

static int write_proc_file(pid_t pid, const char *name, const char *text, bool own_id, struct error *err)
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
		/* The most reported failure of every userns sandbox: say what to do about it, and
		 * blame AppArmor only when its restriction is on. */
		if ((e == EPERM || e == EACCES) && apparmor_restricts_userns())
			return error_set(err, e,
					 "cannot write %s of the sandbox's user namespace: unprivileged user "
					 "namespaces are restricted by AppArmor (Ubuntu 23.10+: sysctl "
					 "kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile "
					 "for mlrun; `mlrun features` shows the fix)",
					 name);
		if ((e == EPERM || e == EACCES) && !own_id)
			return error_set(err, e,
					 "cannot write '%.*s' to %s: mapping an id other than mlrun's own (uid %u, "
					 "gid %u) needs CAP_SETUID and CAP_SETGID, and the id mapped in mlrun's own "
					 "user namespace (/proc/self/uid_map, gid_map)",
					 (int)strcspn(text, "\n"), text, path, (unsigned)geteuid(), (unsigned)getegid());
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
	r = write_proc_file(pid, "uid_map", line, m->host_uid == geteuid(), err);
	if (r < 0)
		return r;
	/* An unprivileged writer may only map its gid once setgroups is denied, so that the
	 * child cannot drop a group that was keeping it out of a file (user_namespaces(7)). */
	if (m->deny_setgroups) {
		r = write_proc_file(pid, "setgroups", "deny\n", true, err);
		if (r < 0)
			return r;
	}
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)m->inside_gid, (unsigned)m->host_gid);
	return write_proc_file(pid, "gid_map", line, m->host_gid == getegid(), err);
}
