/* oci.c - the root filesystem of an OCI bundle (mlrun-oci, docs/oci.md).
 *
 * Parent side: the same plan the exec-wrapper path builds, with three differences: ops[0] is
 * the bundle's root directory (cloned; its clone becomes the root instead of mlrun's tmpfs),
 * the config's mounts come in the config's order (the runtime-spec's rule: /dev before
 * /dev/pts), and the config's maskedPaths/readonlyPaths replace the fixed /proc list.
 * Child side: the masks, each path walked beneath the new root without following a link: the
 * container image is not trusted, and the host's root is still this process' root while the
 * masks are mounted. Nothing in the child side allocates. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "rootfs.h"


static const char *const oci_dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

/* A canonical host path, opened without following any link; its inode recorded for the child
 * (which walks it again and refuses any other inode, as plan.c's binds). */
static int add_verified_bind(struct rootfs_plan *plan, const char *src, const char *dst, uint64_t attr,
			     bool recursive, struct error *err)
{
	struct stat st;
	_cleanup_close_ int fd = rootfs_openat2(AT_FDCWD, src, O_PATH, RESOLVE_NO_SYMLINKS);
	if (fd < 0)
		return error_set(err, -fd, "cannot bind %s at %s", src, dst[0] ? dst : "/");
	if (fstat(fd, &st) < 0)
		return error_set(err, errno, "cannot bind %s at %s", src, dst[0] ? dst : "/");
	struct rootfs_op *op = rootfs_op_add(plan, ROOTFS_BIND, src, dst, err);
	if (!op)
		return -err->code;
	op->attr = attr;
	op->single = !recursive;
	op->src_is_dir = S_ISDIR(st.st_mode);
	op->src_dev = st.st_dev;
	op->src_ino = st.st_ino;
	return 0;
}

int rootfs_oci_begin(struct rootfs_plan *plan, const char *root, bool writable, struct error *err)
{
	struct stat st;
	memset(plan, 0, sizeof(*plan));
	plan->root_bind = true;
	plan->root_writable = writable;
	if (stat(root, &st) < 0)
		return error_set(err, errno, "root.path %s", root);
	if (!S_ISDIR(st.st_mode))
		return error_set(err, ENOTDIR, "root.path %s", root);
	return add_verified_bind(plan, root, "", 0, true, err);
}

int rootfs_oci_add_bind(struct rootfs_plan *plan, const char *src, const char *dst, uint64_t attr, bool recursive,
			struct error *err)
{
	return add_verified_bind(plan, src, dst, attr, recursive, err);
}

int rootfs_oci_add_fs(struct rootfs_plan *plan, enum rootfs_op_kind kind, const char *fstype, const char *dst,
		      uint64_t attr, const char *size, const char *mode, struct error *err)
{
	struct rootfs_op *op = rootfs_op_add(plan, kind, kind == ROOTFS_FS ? fstype : NULL, dst, err);
	if (!op)
		return -err->code;
	op->attr = attr;
	op->size_bytes = POLICY_UNLIMITED;
	if (kind == ROOTFS_TMPFS) {
		if (size && strlen(size) >= sizeof(op->opt_size))
			return error_set(err, EINVAL, "tmpfs size=%s on %s: too long", size, dst);
		if (mode && strlen(mode) >= sizeof(op->opt_mode))
			return error_set(err, EINVAL, "tmpfs mode=%s on %s: too long", mode, dst);
		snprintf(op->opt_size, sizeof(op->opt_size), "%s", size ? size : "");
		snprintf(op->opt_mode, sizeof(op->opt_mode), "%s", mode ? mode : "");
	}
	return 0;
}

static bool plan_covers(const struct rootfs_plan *plan, const char *rel)
{
	for (size_t i = plan->root_bind ? 1 : 0; i < plan->n; i++)
		if (strcmp(plan->ops[i].dst, rel) == 0)
			return true;
	return false;
}

int rootfs_oci_add_devices(struct rootfs_plan *plan, struct error *err)
{
	char src[32], dst[32];
	for (size_t i = 0; i < sizeof(oci_dev_nodes) / sizeof(oci_dev_nodes[0]); i++) {
		snprintf(dst, sizeof(dst), "dev/%s", oci_dev_nodes[i]);
		if (plan_covers(plan, dst))
			continue;
		snprintf(src, sizeof(src), "/dev/%s", oci_dev_nodes[i]);
		int r = add_verified_bind(plan, src, dst, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Attack: the console's name must lead to the container's own pty, never to another terminal
 * of the host. The slave fd has no path the child can clone (open_tree takes only mounts of the
 * caller's mount namespace, and the child's is a copy), so its devpts name is bound, walked
 * without links like every bind source, and only when it is the very inode of the fd, here and
 * again in the child (src_dev/src_ino). */
int rootfs_oci_add_console(struct rootfs_plan *plan, int tty, struct error *err)
{
	struct stat st;
	char src[32];
	if (plan_covers(plan, "dev/console"))
		return 0;
	if (fstat(tty, &st) < 0)
		return error_set(err, errno, "process.terminal: the console's pty");
	/* devpts slaves: majors 136-143 (UNIX98_PTY_SLAVE_MAJOR), index = (major - 136) * 256 + minor */
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) < 136 || major(st.st_rdev) > 143)
		return error_set(err, ENOTTY, "process.terminal: the console is not a pty slave");
	snprintf(src, sizeof(src), "/dev/pts/%u", (major(st.st_rdev) - 136) * 256 + minor(st.st_rdev));
	int r = add_verified_bind(plan, src, "dev/console", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false, err);
	if (r < 0)
		return r;
	const struct rootfs_op *op = &plan->ops[plan->n - 1];
	if (op->src_dev != st.st_dev || op->src_ino != st.st_ino)
		return error_set(err, EXDEV, "process.terminal: %s is not the console's pty (its devpts is not /dev/pts)", src);
	return 0;
}

int rootfs_oci_add_mask(struct rootfs_plan *plan, const char *path, bool read_only, struct error *err)
{
	char ***list = read_only ? &plan->read_only : &plan->masked;
	size_t *n = read_only ? &plan->n_read_only : &plan->n_masked;
	char **grown = realloc(*list, (*n + 1) * sizeof(char *));
	if (!grown)
		return error_set(err, ENOMEM, "out of memory");
	*list = grown;
	if (!(grown[*n] = strdup(path[0] == '/' ? path + 1 : path)))
		return error_set(err, ENOMEM, "out of memory");
	(*n)++;
	return 0;
}

const char *rootfs_oci_mask_path(const struct rootfs_plan *plan, size_t i)
{
	if (i < plan->n_masked)
		return plan->masked[i];
	if (i < plan->n_masked + plan->n_read_only)
		return plan->read_only[i - plan->n_masked];
	return "?";
}

static bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return n == 0 || (strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

static bool is_mount_op(const struct rootfs_op *op)
{
	return op->kind == ROOTFS_BIND || op->kind == ROOTFS_TMPFS || op->kind == ROOTFS_PROC ||
	       op->kind == ROOTFS_DEVPTS || op->kind == ROOTFS_FS;
}

/* Create dst's missing components beneath rootfd (directories; the last one a file for a file
 * bind), never following a link: the image may hold links to anywhere on the host. */
static int make_mountpoint(int rootfd, const struct rootfs_op *op)
{
	char comp[NAME_MAX + 1];
	const char *p = op->dst;
	int dirfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	while (dirfd >= 0 && *p) {
		size_t len = strcspn(p, "/");
		if (len == 0 || len > NAME_MAX) {
			close(dirfd);
			return -EINVAL;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		bool last = p[len] == '\0';
		int r = 0;
		if (last && op->kind == ROOTFS_BIND && !op->src_is_dir) {
			/* O_EXCL: whatever the image already has there is left as it is (the child
			 * refuses it as a mount point if it is a link) */
			int fd = openat(dirfd, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd < 0 && errno != EEXIST)
				r = -errno;
			else if (fd >= 0)
				close(fd);
			close(dirfd);
			return r;
		}
		if (mkdirat(dirfd, comp, 0755) < 0 && errno != EEXIST)
			r = -errno;
		int next = r < 0 ? r : rootfs_openat2(dirfd, comp, O_PATH | O_DIRECTORY, RESOLVE_STRICT);
		close(dirfd);
		dirfd = next;
		p += len + (p[len] == '/');
	}
	if (dirfd < 0)
		return dirfd;
	close(dirfd);
	return 0;
}

/* Parent side, before the clone: the mount points the config's mounts need in the bundle's
 * root itself (not inside an earlier mount of the config, which the child builds). As runc and
 * crun do: in the user namespace the sandbox cannot write into a root owned by host uids it
 * does not map. */
int rootfs_oci_make_mountpoints(const struct rootfs_plan *plan, struct error *err)
{
	if (!plan->root_bind || plan->n == 0)
		return 0;
	_cleanup_close_ int rootfd = rootfs_openat2(AT_FDCWD, plan->ops[0].src, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
	if (rootfd < 0)
		return error_set(err, -rootfd, "root.path %s", plan->ops[0].src);
	for (size_t i = 1; i < plan->n; i++) {
		const struct rootfs_op *op = &plan->ops[i];
		bool inside = false;
		for (size_t j = 1; j < i && !inside; j++)
			inside = is_mount_op(&plan->ops[j]) && path_within(op->dst, plan->ops[j].dst);
		if (!is_mount_op(op) || inside)
			continue;
		int r = make_mountpoint(rootfd, op);
		if (r < 0)
			return error_set(err, -r, "cannot create the mount point /%s in %s", op->dst, plan->ops[0].src);
	}
	return 0;
}

/* ---- child side ---------------------------------------------------------------------------- */

int rootfs_oci_mask(int rootfd, const struct rootfs_plan *plan, size_t *failed)
{
	for (size_t i = 0; i < plan->n_masked + plan->n_read_only; i++) {
		*failed = i;
		bool ro = i >= plan->n_masked;
		int r = rootfs_mask_one(rootfd, rootfs_oci_mask_path(plan, i), ro);
		if (r < 0)
			return r;
	}
	return 0;
}
