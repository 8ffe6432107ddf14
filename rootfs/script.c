/* script.c - run exactly the bytes the [analysis] scan judged (ROOTFS_SCRIPT).
 *
 * Scanning a path and letting the program open the same path later is a race: whoever can
 * write the file (another user, an earlier rw run, a FIFO) swaps it in between. So the parent
 * reads the script once, scans those bytes, and the plan ends with this op: inside the new
 * mount namespace a private tmpfs receives the copy, which is bind-mounted read-only over the
 * file the program will open. Nothing is written on a host path; the host file keeps what it
 * had, only this sandbox sees the copy over it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rootfs.h"

#define SCRIPT_STAGE ".mlrun-scanned" /* in the root tmpfs, removed before the program starts */
#define SCRIPT_NAME "script"
#define SCRIPT_SLACK_BYTES 65536      /* the staging tmpfs: the copy and a little room */

int rootfs_plan_add_script(struct rootfs_plan *plan, const char *dst, const char *bytes, size_t len, mode_t mode,
			   struct error *err)
{
	if (plan->n >= ROOTFS_MAX_OPS)
		return error_set(err, E2BIG, "too many filesystem entries (at most %d)", ROOTFS_MAX_OPS);
	struct rootfs_op *op = &plan->ops[plan->n];
	memset(op, 0, sizeof(*op));
	op->kind = ROOTFS_SCRIPT;
	op->tree_fd = -1;
	op->src = malloc(len + 1);
	op->dst = strdup(dst[0] == '/' ? dst + 1 : dst);
	if (!op->src || !op->dst) {
		free(op->src);
		free(op->dst);
		return error_set(err, ENOMEM, "out of memory");
	}
	memcpy(op->src, bytes, len);
	op->src[len] = '\0';
	op->size_bytes = len;
	op->mode = mode;
	snprintf(op->opt_size, sizeof(op->opt_size), "%llu", (unsigned long long)len + SCRIPT_SLACK_BYTES);
	plan->n++;
	return 0;
}

/* The file the program will open, resolved inside the new root (its symlinks can only lead
 * within it); -ENOENT when the sandbox cannot see it (then nothing can run it either). */
static int open_target(int rootfd, const char *dst)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, rootfd, dst, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		int r = S_ISDIR(st.st_mode) ? -EISDIR : -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* A fresh tmpfs attached at SCRIPT_STAGE holding the copy; returns its root fd. */
static int stage_copy(int rootfd, const struct rootfs_op *op)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), m = -1, r = 0;
	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "size", op->opt_size, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0)
		r = -errno;
	close(fs);
	if (r == 0 && mkdirat(rootfd, SCRIPT_STAGE, 0700) < 0)
		r = -errno;
	if (r == 0 && move_mount(m, "", rootfd, SCRIPT_STAGE, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		r = -errno;
	int fd = r == 0 ? openat(m, SCRIPT_NAME, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, op->mode) : -1;
	if (r == 0 && fd < 0)
		r = -errno;
	for (size_t off = 0; r == 0 && off < op->size_bytes;) {
		ssize_t n = write(fd, op->src + off, op->size_bytes - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r = n < 0 ? -errno : -EIO;
		else
			off += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		if (m >= 0)
			close(m);
		return r;
	}
	return m;
}

/* Detach the staging tmpfs and remove its mount point: the program sees only the bind. umount
 * takes a path, so it is named from the root (the child's cwd is set to the new root anyway
 * by rootfs_pivot; it is put back here all the same). */
static int unstage(int rootfd)
{
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), r = 0;
	if (cwd < 0)
		return -errno;
	if (fchdir(rootfd) < 0 || umount2(SCRIPT_STAGE, MNT_DETACH) < 0 || unlinkat(rootfd, SCRIPT_STAGE, AT_REMOVEDIR) < 0)
		r = -errno;
	if (fchdir(cwd) < 0 && r == 0)
		r = -errno;
	close(cwd);
	return r;
}

int rootfs_place_script(int rootfd, struct rootfs_op *op)
{
	int target = open_target(rootfd, op->dst);
	if (target == -ENOENT)
		return 0;
	if (target < 0)
		return target;
	int m = stage_copy(rootfd, op), r = 0;
	if (m < 0) {
		close(target);
		return m;
	}
	/* Read-only: the program (owner of the copy) cannot rewrite what was scanned either. */
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	int tree = open_tree(m, SCRIPT_NAME, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 ||
	    move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		r = -errno;
	if (tree >= 0)
		close(tree);
	close(m);
	close(target);
	int u = unstage(rootfd);
	return r < 0 ? r : u;
}
