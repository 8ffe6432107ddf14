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
/* Every path inside the new root: never above it, never through a link. */

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

/* The source the parent verified, opened again in this mount namespace (open_tree cannot clone
 * from a descriptor of the parent's namespace: EINVAL). The canonical path is walked without
 * following any link and must lead to the inode the parent checked: a component swapped for a
 * symlink in between fails (ELOOP), anything else put there is refused (ESTALE). */
static int open_source(const struct rootfs_op *op)
{
	struct stat st;
	int fd = rootfs_openat2(AT_FDCWD, op->src, O_PATH, RESOLVE_NO_SYMLINKS);
	if (fd < 0)
		return fd;
	int r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r == 0 && (st.st_dev != op->src_dev || st.st_ino != op->src_ino))
		r = -ESTALE;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
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
		int src = open_source(op);
		if (src < 0)
			return src;
		op->tree_fd = open_tree(src, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						       (op->single ? 0 : AT_RECURSIVE));
		int r = op->tree_fd < 0 ? -errno : 0;
		close(src);
		if (r < 0)
			return r;
		if ((r = set_attr(op->tree_fd, op->attr, AT_RECURSIVE)) < 0)
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

int rootfs_premake_fs(struct rootfs_plan *plan, const char *fstype)
{
	for (size_t i = 0; i < plan->n; i++) {
		struct rootfs_op *op = &plan->ops[i];
		if (op->kind != ROOTFS_FS || strcmp(op->src, fstype) != 0 || op->tree_fd >= 0)
			continue;
		int m = new_fs(fstype, NULL, op->attr);
		if (m < 0)
			return m;
		op->tree_fd = m;
		return m;
	}
	return -ENOENT;
}

/* The directory holding the last component of op->dst (returned in *name), walked one
 * component at a time beneath the new root without following any link: an earlier run may
 * have replaced a directory of a read-write bind by a link to a host path, and the host's root
 * is still this process's root. Missing directories are created only outside host binds. */
static int open_parent(int rootfd, const struct rootfs_op *op, const char **name)
{
	char comp[NAME_MAX + 1];
	const char *p = op->dst, *slash;
	int dirfd = rootfs_openat2(rootfd, ".", O_PATH | O_DIRECTORY, RESOLVE_STRICT);

	for (; dirfd >= 0 && (slash = strchr(p, '/')); p = slash + 1) {
		size_t len = (size_t)(slash - p);
		if (len == 0 || len > NAME_MAX) {
			close(dirfd);
			return -EINVAL;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		int fd = rootfs_openat2(dirfd, comp, O_PATH | O_DIRECTORY, RESOLVE_STRICT);
		if (fd == -ENOENT && !op->in_host)
			fd = mkdirat(dirfd, comp, 0755) < 0 && errno != EEXIST
				     ? -errno
				     : rootfs_openat2(dirfd, comp, O_PATH | O_DIRECTORY, RESOLVE_STRICT);
		close(dirfd);
		dirfd = fd;
	}
	*name = p;
	return dirfd;
}

/* The mount point for op (a directory, or an empty file for a file bind), created only outside
 * host binds and opened without following a link: the fd move_mount attaches to. */
static int open_mountpoint(int rootfd, const struct rootfs_op *op, bool is_dir)
{
	const char *name;
	int r = 0, dirfd = open_parent(rootfd, op, &name);
	if (dirfd < 0)
		return dirfd;
	if (!op->in_host && is_dir)
		r = mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST ? -errno : 0;
	if (!op->in_host && !is_dir) {
		/* O_EXCL: an existing mount point (one an OCI bundle's root already has, owned by an
		 * id the sandbox does not map) is used as it is, never opened for writing. */
		int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		r = fd < 0 ? (errno == EEXIST ? 0 : -errno) : close(fd);
	}
	if (r == 0)
		r = rootfs_openat2(dirfd, name, O_PATH | (is_dir ? O_DIRECTORY : 0), RESOLVE_STRICT);
	close(dirfd);
	return r;
}

static int attach(int mfd, int rootfd, const struct rootfs_op *op, bool is_dir)
{
	int target = open_mountpoint(rootfd, op, is_dir), r = target;
	if (target >= 0) {
		r = move_mount(mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0 ? -errno : 0;
		close(target);
	}
	close(mfd);
	return r;
}

/* Generated files, directories and links live only in the root tmpfs (the plan refuses any
 * inside a host bind); the walk still follows no link. */
static int write_file(int rootfd, const struct rootfs_op *op)
{
	const char *name;
	int dirfd = open_parent(rootfd, op, &name);
	if (dirfd < 0)
		return dirfd;
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, op->mode);
	close(dirfd);
	if (fd < 0)
		return -errno;
	size_t len = strlen(op->src);
	ssize_t n = write(fd, op->src, len);
	int r = n < 0 ? -errno : ((size_t)n != len ? -EIO : 0);
	close(fd);
	return r;
}

static int make_entry(int rootfd, const struct rootfs_op *op)
{
	const char *name;
	int dirfd = open_parent(rootfd, op, &name);
	if (dirfd < 0)
		return dirfd;
	int r;
	if (op->kind == ROOTFS_DIR)
		r = mkdirat(dirfd, name, op->mode) < 0 && errno != EEXIST ? -errno : 0;
	else
		r = symlinkat(op->src, dirfd, name) < 0 ? -errno : 0;
	close(dirfd);
	return r;
}

/* [sandbox] proc = container, where the kernel refused a fresh proc (a container's /proc with
 * masked files: mount_too_revealing): the container's own /proc, cloned with its masks (locked
 * to it in our user namespace) and made read-only, nosuid, nodev, noexec on every submount
 * before it is visible. The program sees the container's processes, not only its own: the
 * parent reports it as not enforced. */
static int container_proc(const struct rootfs_op *op)
{
	int src = open_source(op);
	if (src < 0)
		return src;
	int m = open_tree(src, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	int r = m < 0 ? -errno : 0;
	close(src);
	if (r == 0 && (r = set_attr(m, MOUNT_ATTR_RDONLY | op->attr, AT_RECURSIVE)) < 0)
		close(m);
	return r < 0 ? r : m;
}

static int apply_op(int rootfd, struct rootfs_op *op, bool *fell_back)
{
	bool plan_fell_back = false;
	int m;

	switch (op->kind) {
	case ROOTFS_DIR:
	case ROOTFS_SYMLINK:
		return make_entry(rootfd, op);
	case ROOTFS_FILE:
		return write_file(rootfd, op);
	case ROOTFS_SCRIPT:
		return rootfs_place_script(rootfd, op);
	case ROOTFS_BIND:
		m = op->tree_fd;
		op->tree_fd = -1;
		return attach(m, rootfd, op, op->src_is_dir);
	case ROOTFS_TMPFS: {
		const char *opts[] = { "size", op->opt_size, "mode", op->opt_mode, NULL };
		m = new_fs("tmpfs", opts, op->attr);
		break;
	}
	case ROOTFS_PROC:
		m = new_fs("proc", NULL, op->attr);
		if (m == -EPERM && op->src && (m = container_proc(op)) >= 0)
			plan_fell_back = true;
		break;
	case ROOTFS_FS:
		m = op->tree_fd >= 0 ? op->tree_fd : new_fs(op->src, NULL, op->attr); /* premade: rootfs_premake_fs */
		op->tree_fd = -1;
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
	*fell_back |= plan_fell_back;
	return attach(m, rootfd, op, true);
}

int rootfs_assemble(struct rootfs_plan *plan, int *rootfd_out, size_t *failed)
{
	const char *opts[] = { "size", ROOT_TMPFS_SIZE, "mode", "0755", NULL };

	*failed = plan->n;
	size_t first = 0;
	int rootfd;
	if (plan->root_bind && plan->n > 0) { /* an OCI bundle's root: its clone (oci.c) */
		rootfd = plan->ops[0].tree_fd;
		plan->ops[0].tree_fd = -1;
		first = 1;
	} else
		rootfd = new_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (rootfd < 0)
		return rootfd;
	/* Stack the new root on "/" so that it is part of this mount namespace (pivot_root needs
	 * that) without depending on any host directory existing. */
	if (move_mount(rootfd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		int r = -errno;
		close(rootfd);
		return r;
	}
	for (size_t i = first; i < plan->n; i++) {
		int r = apply_op(rootfd, &plan->ops[i], &plan->proc_fell_back);
		if (r < 0) {
			*failed = i;
			close(rootfd);
			return r;
		}
	}
	/* The root itself becomes read-only last; /tmp, /dev/shm and rw binds are their own
	 * mounts and keep their flags. */
	int r = plan->root_writable ? 0 : set_attr(rootfd, MOUNT_ATTR_RDONLY, 0);
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
