/* idmap.c - the user namespace's id maps, written by the parent for the child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/helper.h"
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

bool ns_initial_userns(void)
{
	unsigned long inside = 1, outside = 1, count = 0;
	_cleanup_fclose_ FILE *f = fopen("/proc/self/uid_map", "re");
	int n = f ? fscanf(f, "%lu %lu %lu", &inside, &outside, &count) : 0;
	/* the initial namespace's map is the identity over every id, and only it can be */
	return n == 3 && inside == 0 && outside == 0 && count == 4294967295UL && fscanf(f, "%lu", &inside) != 1;
}

uid_t ns_root_alias(void)
{
	return ns_initial_userns() ? (uid_t)-1 : ns_overflow_uid();
}

uid_t ns_overflow_uid(void)
{
	unsigned long v = 65534;
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/overflowuid", "re");
	if (f && fscanf(f, "%lu", &v) != 1)
		v = 65534;
	return (uid_t)v;
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

bool ns_range_reaches_parent_root(const char *file, uint32_t start, uint32_t count)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	unsigned long inside, outside, n;
	if (!f)
		return true; /* cannot tell: refuse */
	while (fscanf(f, "%lu %lu %lu", &inside, &outside, &n) == 3)
		if (outside == 0 && inside >= start && inside - start < count)
			return true;
	return false;
}

int ns_open_idmap_helper(const char *name, struct error *err)
{
	int fd = helper_open(name, ns_root_alias(), err);
	if (fd != -ENOENT)
		return fd;
	return error_set(err, ENOENT, "%s not found in /usr/bin or /usr/sbin: mapping the config's id ranges as a "
			 "user needs it (Debian's package uidmap) and ranges for you in /etc/subuid and /etc/subgid", name);
}

#define HELPER_MSG_MAX 512

/* Run the verified helper: NAME PID INSIDE OUTSIDE COUNT..., with an empty environment, stdin
 * /dev/null and its messages captured for our error. */
static int run_helper(int exe, const char *name, pid_t pid, const struct ns_idmap_range *r, size_t n, struct error *err)
{
	_cleanup_free_ char *nums = malloc((3 * n + 1) * 12);
	_cleanup_free_ char **argv = calloc(3 * n + 3, sizeof(char *));
	if (!nums || !argv)
		return error_set(err, ENOMEM, "out of memory");
	char *p = nums;
	argv[0] = (char *)name;
	argv[1] = p;
	p += sprintf(p, "%d", (int)pid) + 1;
	for (size_t i = 0; i < n; i++) {
		const uint32_t v[3] = { r[i].inside, r[i].outside, r[i].count };
		for (int k = 0; k < 3; k++) {
			argv[2 + 3 * i + k] = p;
			p += sprintf(p, "%u", (unsigned)v[k]) + 1;
		}
	}
	struct helper_run h;
	int rc = helper_start(&h, exe, argv, err);
	if (rc < 0)
		return rc;
	char msg[HELPER_MSG_MAX];
	int status = helper_finish(&h, name, msg, sizeof(msg), err);
	if (status < 0)
		return status;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	msg[strcspn(msg, "\n")] = '\0';
	return error_set(err, EPERM, "%s refused the id ranges (%s, first %u %u %u): %s", name,
			 name[3] == 'u' ? "linux.uidMappings" : "linux.gidMappings", (unsigned)r[0].inside,
			 (unsigned)r[0].outside, (unsigned)r[0].count, msg[0] ? msg : "no message");
}

static bool setgroups_allowed(pid_t pid)
{
	char path[64], buf[8] = "";
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read(fd, buf, sizeof(buf) - 1) >= 5 && memcmp(buf, "allow", 5) == 0;
}

/* "inside outside count" lines for the kernel, into buf. */
static void format_ranges(char *buf, size_t len, const struct ns_idmap_range *r, size_t n)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%u %u %u\n", (unsigned)r[i].inside, (unsigned)r[i].outside,
					(unsigned)r[i].count);
}

static int write_ranges(pid_t pid, const struct ns_idmap *m, struct error *err)
{
	int r;
	if (m->via_helpers) {
		if ((r = run_helper(m->newuidmap_fd, "newuidmap", pid, m->uid, m->n_uid, err)) < 0 ||
		    (r = run_helper(m->newgidmap_fd, "newgidmap", pid, m->gid, m->n_gid, err)) < 0)
			return r;
		/* newgidmap leaves setgroups allowed only when it used a range of /etc/subgid */
		if (m->need_setgroups && !setgroups_allowed(pid))
			return error_set(err, EPERM, "process.user.additionalGids: newgidmap denied setgroups in the "
					 "container (it allows it only when a range comes from /etc/subgid)");
		return 0;
	}
	/* 340 lines of three 10-digit numbers fit */
	_cleanup_free_ char *text = malloc(NS_IDMAP_MAX * 40);
	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	bool own_uid = m->n_uid == 1 && m->uid[0].count == 1 && m->uid[0].outside == geteuid();
	bool own_gid = m->n_gid == 1 && m->gid[0].count == 1 && m->gid[0].outside == getegid();
	format_ranges(text, NS_IDMAP_MAX * 40, m->uid, m->n_uid);
	if ((r = write_proc_file(pid, "uid_map", text, own_uid, err)) < 0)
		return r;
	if (m->deny_setgroups && (r = write_proc_file(pid, "setgroups", "deny\n", true, err)) < 0)
		return r;
	format_ranges(text, NS_IDMAP_MAX * 40, m->gid, m->n_gid);
	return write_proc_file(pid, "gid_map", text, own_gid, err);
}

int ns_write_idmap(pid_t pid, const struct ns_idmap *m, struct error *err)
{
	char line[64];
	int r;

	if (m->n_uid && m->n_gid)
		return write_ranges(pid, m, err);
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
