/* mounts.c - the child's side of the root filesystem: replay the plan with the new mount API.
 *
 * Sources are cloned (open_tree) while the host's tree is still visible, so a bind from a
 * path the sandbox later shadows (a workdir under /tmp) still works; the new root is a tmpfs
 * stacked on "/" and entered with pivot_root(".", "."). Nothing here allocates. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rootfs.h"

#define ROOT_TMPFS_SIZE "4m" /* holds only mount points and the generated /etc files */

/* Mount events inside must never propagate to the host (or back): make every mount private. */
int rootfs_make_private(void)
{
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? -errno : 0;
}

static int set_attr(int fd, uint64_t attr, unsigned int flags)
{
	struct mount_attr a = { .attr_set = attr };
	return mount_setattr(fd, "", AT_EMPTY_PATH | flags, &a, sizeof(a)) < 0 ? -errno : 0;
}

/* Detached recursive clones of every bind source, each already carrying its flags: a
 * read-only bind is read-only (and nosuid, nodev) on every submount before it is visible. */
int rootfs_clone_sources(struct rootfs_plan *plan, size_t *failed)
{
	for (size_t i = 0; i < plan->n; i++) {
		struct rootfs_op *op = &plan->ops[i];
		if (op->kind != ROOTFS_BIND)
			continue;
		*failed = i;
		op->tree_fd = open_tree(AT_FDCWD, op->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (op->tree_fd < 0)
			return -errno;
		int r = set_attr(op->tree_fd, op->attr, AT_RECURSIVE);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A detached mount of a fresh filesystem of type fstype; options as key/value pairs. */
static int new_fs(const char *fstype, const char *const *opts, uint64_t attr)
{
	int fs = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	for (; opts && opts[0]; opts += 2) {
		if (opts[1] && !opts[1][0])
			continue; /* empty value: keep the kernel's default */
		int r = opts[1] ? fsconfig(fs, FSCONFIG_SET_STRING, opts[0], opts[1], 0)
				: fsconfig(fs, FSCONFIG_SET_FLAG, opts[0], NULL, 0);
		if (r < 0) {
			r = -errno;
			close(fs);
			return r;
		}
	}
	int m = -1;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned int)attr);
	int r = m < 0 ? -errno : m;
	close(fs);
	return r;
}

/* mkdir -p of the parents of rel below dirfd (rel is relative, no "..": the plan made it). */
static int mkdir_parents(int dirfd, const char *rel)
{
	char path[PATH_MAX];
	size_t len = strlen(rel);
	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, rel, len + 1);
	for (char *p = path; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (path[0] && mkdirat(dirfd, path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* The mount point for op: a directory, or an empty file for a file bind. */
static int make_mountpoint(int rootfd, const struct rootfs_op *op, bool is_dir)
{
	int r = mkdir_parents(rootfd, op->dst);
	if (r < 0)
		return r;
	if (is_dir)
		return mkdirat(rootfd, op->dst, 0755) < 0 && errno != EEXIST ? -errno : 0;
	int fd = openat(rootfd, op->dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int attach(int mfd, int rootfd, const char *dst)
{
	int r = move_mount(mfd, "", rootfd, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0 ? -errno : 0;
	close(mfd);
	return r;
}

static int write_file(int rootfd, const struct rootfs_op *op)
{
	int r = mkdir_parents(rootfd, op->dst);
	if (r < 0)
		return r;
	int fd = openat(rootfd, op->dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, op->mode);
	if (fd < 0)
		return -errno;
	size_t len = strlen(op->src);
	ssize_t n = write(fd, op->src, len);
	r = n < 0 ? -errno : ((size_t)n != len ? -EIO : 0);
	close(fd);
	return r;
}

static int apply_op(int rootfd, struct rootfs_op *op)
{
	int r, m;

	switch (op->kind) {
	case ROOTFS_DIR:
		if ((r = mkdir_parents(rootfd, op->dst)) < 0)
			return r;
		return mkdirat(rootfd, op->dst, op->mode) < 0 && errno != EEXIST ? -errno : 0;
	case ROOTFS_SYMLINK:
		if ((r = mkdir_parents(rootfd, op->dst)) < 0)
			return r;
		return symlinkat(op->src, rootfd, op->dst) < 0 ? -errno : 0;
	case ROOTFS_FILE:
		return write_file(rootfd, op);
	case ROOTFS_SCRIPT:
		return rootfs_place_script(rootfd, op);
	case ROOTFS_BIND:
		if ((r = make_mountpoint(rootfd, op, op->src_is_dir)) < 0)
			return r;
		r = attach(op->tree_fd, rootfd, op->dst);
		op->tree_fd = -1;
		return r;
	case ROOTFS_TMPFS: {
		const char *opts[] = { "size", op->opt_size, "mode", op->opt_mode, NULL };
		m = new_fs("tmpfs", opts, op->attr);
		break;
	}
	case ROOTFS_PROC:
		m = new_fs("proc", NULL, op->attr);
		break;
	case ROOTFS_DEVPTS: {
		/* A private instance: the sandbox's ptys are not the host's. */
		const char *opts[] = { "newinstance", NULL, "ptmxmode", "0666", "mode", "0620", NULL };
		m = new_fs("devpts", opts, op->attr);
		break;
	}
	default:
		return -EINVAL;
	}
	if (m < 0)
		return m;
	if ((r = make_mountpoint(rootfd, op, true)) < 0) {
		close(m);
		return r;
	}
	return attach(m, rootfd, op->dst);
}

int rootfs_assemble(struct rootfs_plan *plan, int *rootfd_out, size_t *failed)
{
	const char *opts[] = { "size", ROOT_TMPFS_SIZE, "mode", "0755", NULL };

	*failed = plan->n;
	int rootfd = new_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (rootfd < 0)
		return rootfd;
	/* Stack the new root on "/" so that it is part of this mount namespace (pivot_root needs
	 * that) without depending on any host directory existing. */
	if (move_mount(rootfd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		int r = -errno;
		close(rootfd);
		return r;
	}
	for (size_t i = 0; i < plan->n; i++) {
		int r = apply_op(rootfd, &plan->ops[i]);
		if (r < 0) {
			*failed = i;
			close(rootfd);
			return r;
		}
	}
	/* The root itself becomes read-only last; /tmp, /dev/shm and rw binds are their own
	 * mounts and keep their flags. */
	int r = set_attr(rootfd, MOUNT_ATTR_RDONLY, 0);
	if (r < 0) {
		close(rootfd);
		return r;
	}
	*rootfd_out = rootfd;
	return 0;
}

/* Enter the new root and detach the host's: after this no path leads back to it. */
int rootfs_pivot(int rootfd)
{
	if (fchdir(rootfd) < 0)
		return -errno;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	return chdir("/") < 0 ? -errno : 0;
}
