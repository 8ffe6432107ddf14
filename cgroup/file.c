/* file.c - reading and writing cgroup files relative to a directory fd, so that the run's
 * cgroup is resolved once (its dirfd) and never looked up by path again. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"

const char *const cgroup_ctrl_name[CG_NCTRL] = {
	[CG_MEMORY] = "memory",
	[CG_CPU] = "cpu",
	[CG_PIDS] = "pids",
	[CG_IO] = "io",
};

int cgroup_read(int dirfd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (size == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return 0;
}

int cgroup_write(int dirfd, const char *dirpath, const char *name, const char *value,
		 struct error *err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);

	if (fd < 0)
		return error_set(err, errno, "cannot write %s to %s/%s", value, dirpath, name);
	/* cgroupfs takes the whole value in one write or rejects it; no partial writes. */
	ssize_t n;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_set(err, errno, "cannot write %s to %s/%s", value, dirpath, name);
	if ((size_t)n != len)
		return error_set(err, EIO, "cannot write %s to %s/%s (short write)", value, dirpath, name);
	return 0;
}

/* Why enabling a controller failed, in words a user can act on. */
static void note_enable_failure(char *why, const char *dirpath, const char *name, int errnum)
{
	const char *hint = "";

	if (errnum == EBUSY)
		hint = " (the cgroup holds processes itself: cgroup v2's no-internal-processes rule "
		       "forbids enabling controllers for its children)";
	else if (errnum == EACCES || errnum == EPERM || errnum == EROFS)
		hint = " (the subtree is not delegated to this user)";
	cgroup_reason_add(why, CGROUP_WHY_MAX, "cannot enable +%s in %s/cgroup.subtree_control: %s%s", name,
			  dirpath, strerror(errnum), hint);
}

int cgroup_enable_controllers(int dirfd, const char *dirpath, const bool want[CG_NCTRL],
			      char why[CG_NCTRL][CGROUP_WHY_MAX])
{
	char offered[512], enabled[512];
	int r = cgroup_read(dirfd, "cgroup.controllers", offered, sizeof(offered));

	if (r == 0)
		r = cgroup_read(dirfd, "cgroup.subtree_control", enabled, sizeof(enabled));
	if (r < 0) {
		for (int c = 0; c < CG_NCTRL; c++)
			if (want[c] && !why[c][0])
				cgroup_reason_add(why[c], CGROUP_WHY_MAX, "cannot read %s/cgroup.controllers: %s",
					 dirpath, strerror(-r));
		return r;
	}
	for (int c = 0; c < CG_NCTRL; c++) {
		const char *name = cgroup_ctrl_name[c];
		char value[16];

		if (!want[c] || cgroup_list_has(enabled, name))
			continue;
		if (!cgroup_list_has(offered, name)) {
			if (!why[c][0])
				cgroup_reason_add(why[c], CGROUP_WHY_MAX, "%s controller not offered by %s/cgroup.controllers",
					 name, dirpath);
			continue;
		}
		snprintf(value, sizeof(value), "+%s", name);
		r = cgroup_write(dirfd, dirpath, "cgroup.subtree_control", value, NULL);
		if (r < 0 && !why[c][0])
			note_enable_failure(why[c], dirpath, name, -r);
	}
	return 0;
}
