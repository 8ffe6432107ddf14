/* rootfs.h - the sandbox's root filesystem.
 *
 * The parent turns the policy into a plan (a flat list of operations, every path and file
 * content resolved and checked); the child, which must not allocate between clone and exec,
 * only walks that list. The root is a small tmpfs holding read-only binds of what the policy
 * exposes, generated /etc files, a minimal /dev, a fresh /proc and a sized tmpfs on /tmp;
 * it is made read-only and pivoted into, and the host's root is detached. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "../policy/policy.h"
#include "../lib/error.h"

#define ROOTFS_MAX_OPS (POLICY_MAX_BINDS + 64)

enum rootfs_op_kind {
	ROOTFS_BIND,	/* clone host tree src (recursively) onto dst, with attr */
	ROOTFS_TMPFS,	/* a fresh tmpfs of size_bytes on dst */
	ROOTFS_PROC,	/* a fresh proc for the sandbox's pid namespace; with src ("/proc"), where the
			 * kernel refuses one, a read-only recursive clone of src instead */
	ROOTFS_DEVPTS,	/* a private devpts instance */
	ROOTFS_DIR,	/* mkdir dst */
	ROOTFS_SYMLINK, /* dst -> src */
	ROOTFS_FILE,	/* dst holds the text src */
	ROOTFS_SCRIPT,	/* the scanned bytes src (size_bytes long) bound read-only over the file dst (script.c) */
	ROOTFS_FS,	/* a fresh filesystem of type src (sysfs, mqueue, cgroup2: OCI mounts, oci.c) */
};

struct rootfs_op {
	enum rootfs_op_kind kind;
	char *src;	   /* host path, link target or file content (owned by the plan) */
	char *dst;	   /* path inside the sandbox, relative to its root: "usr", "etc/passwd" */
	uint64_t attr;	   /* MOUNT_ATTR_* for mounts */
	uint64_t size_bytes; /* tmpfs size */
	mode_t mode;	   /* tmpfs root, directory or file mode */
	bool src_is_dir;   /* bind: the mount point is a directory (else a file) */
	bool in_host;	   /* dst lies inside a host bind: its mount point must exist, nothing is created */
	bool single;	   /* bind: this mount only, not its submounts (OCI "bind" rather than "rbind") */
	dev_t src_dev;	   /* bind: the inode the parent verified at src, checked again by the child */
	ino_t src_ino;
	char opt_size[24];   /* tmpfs "size=" value, formatted by the parent; "" = kernel default */
	char opt_mode[8];    /* tmpfs "mode=" value, octal */
	int tree_fd;	   /* child scratch: the detached clone of src, or -1 */
};

struct rootfs_plan {
	struct rootfs_op ops[ROOTFS_MAX_OPS];
	size_t n;
	char *cwd; /* working directory inside the sandbox */
	bool proc_fell_back; /* child: /proc is the container's (ROOTFS_PROC's fallback was used) */
	/* OCI bundles (oci.c): ops[0] is a bind whose clone becomes the root instead of mlrun's own
	 * tmpfs; it is made read-only last unless root_writable. */
	bool root_bind, root_writable;
	char **masked, **read_only; /* OCI maskedPaths / readonlyPaths, relative ("proc/kcore") */
	size_t n_masked, n_read_only;
};

struct rootfs_identity {
	uid_t uid;
	gid_t gid;
	const char *hostname;
	bool tty; /* a terminal is passed in: mount a devpts instance */
	const char *state_dir; /* mlrun's own state directory (canonical), or NULL: masked in every bind */
};

/* Beneath the directory, following no symbolic link: how the child walks its own new root. */
#define RESOLVE_STRICT (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)

/* openat2(2) (glibc has no wrapper): the fd, or -errno. With RESOLVE_NO_SYMLINKS no component
 * may be a link; with RESOLVE_BENEATH nothing may leave dirfd. */
static inline int rootfs_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC, .resolve = resolve };
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Build the plan from the policy, the caller's cwd and identity. Checks every host source:
 * "cannot expose /nope (--ro-bind): No such file or directory". */
int rootfs_plan_build(struct rootfs_plan *plan, const struct policy *p, const struct rootfs_identity *id,
		      struct error *err);
void rootfs_plan_free(struct rootfs_plan *plan);

/* Append the op that puts a private read-only copy of bytes over the file at dst (absolute,
 * inside the sandbox), so that the program runs exactly what [analysis] scanned (script.c).
 * Call after rootfs_plan_build: it must be the last op, once every bind is in place. */
int rootfs_plan_add_script(struct rootfs_plan *plan, const char *dst, const char *bytes, size_t len, mode_t mode,
			   struct error *err);
int rootfs_place_script(int rootfd, struct rootfs_op *op);

/* Human description of op i, for error messages from the child ("bind /usr at /usr"). */
void rootfs_describe_op(const struct rootfs_plan *plan, size_t i, char *buf, size_t len);

/* Child side, in order. Each returns 0 or -errno and stores the failing op's index. */
int rootfs_make_private(void);
int rootfs_clone_sources(struct rootfs_plan *plan, size_t *failed);
int rootfs_assemble(struct rootfs_plan *plan, int *rootfd, size_t *failed);
/* mlrun-oci, parent side: the first ROOTFS_FS op of fstype gets its filesystem made now (a
 * detached mount in op->tree_fd, which rootfs_assemble attaches instead of making one), by a
 * process that sits in the namespace the filesystem shows (a joined network namespace for
 * sysfs, a joined IPC namespace for mqueue) and holds the capability the child lacks there.
 * Returns the fd (owned by the op), -ENOENT if the plan has no such op, or -errno. */
int rootfs_premake_fs(struct rootfs_plan *plan, const char *fstype);
int rootfs_pivot(int rootfd);

/* Append an op (src and dst copied; dst without its leading '/'); NULL with err set when full. */
struct rootfs_op *rootfs_op_add(struct rootfs_plan *plan, enum rootfs_op_kind kind, const char *src,
				const char *dst, struct error *err);

/* oci.c: the plan of an OCI bundle. The root is the canonical host directory root (cloned,
 * never written to except for the mount points the config's mounts need, created beneath it
 * without following links); then the config's mounts in order, then the default devices. */
int rootfs_oci_begin(struct rootfs_plan *plan, const char *root, bool writable, struct error *err);
int rootfs_oci_add_bind(struct rootfs_plan *plan, const char *src, const char *dst, uint64_t attr, bool recursive,
			struct error *err);
/* kind: ROOTFS_TMPFS (size/mode: the option strings or ""), ROOTFS_PROC, ROOTFS_DEVPTS, or
 * ROOTFS_FS with fstype "sysfs", "mqueue", "cgroup2". */
int rootfs_oci_add_fs(struct rootfs_plan *plan, enum rootfs_op_kind kind, const char *fstype, const char *dst,
		      uint64_t attr, const char *size, const char *mode, struct error *err);
/* /dev/null, zero, full, random, urandom, tty bound from the host (no mknod in a user
 * namespace), unless a mount of the config already covers that path. */
int rootfs_oci_add_devices(struct rootfs_plan *plan, struct error *err);
/* Parent: create in the bundle's root the mount points its mounts need (oci.c). */
int rootfs_oci_make_mountpoints(const struct rootfs_plan *plan, struct error *err);
int rootfs_oci_add_mask(struct rootfs_plan *plan, const char *path, bool read_only, struct error *err);
/* Child: the plan's masked and read-only paths, each walked beneath rootfd without following
 * a link (the container's image is not trusted). *failed indexes masked then read_only. */
int rootfs_oci_mask(int rootfd, const struct rootfs_plan *plan, size_t *failed);
const char *rootfs_oci_mask_path(const struct rootfs_plan *plan, size_t i);

/* Cover the host details of the fresh proc below rootfd (proc_mask.c): runc's maskedPaths and
 * readonlyPaths. Stores the failing entry's index; rootfs_proc_mask_path() names it. */
int rootfs_mask_proc(int rootfd, size_t *failed);
/* Mask one path beneath rootfd (proc_mask.c), walked without following a link: a directory is
 * covered with an empty read-only tmpfs, anything else with the null device (checked to be 1:3),
 * or, ro, the path is bound read-only onto itself. A path that is not there is skipped
 * (which exist depends on the kernel), as runc and crun do. */
int rootfs_mask_one(int rootfd, const char *path, bool ro);
const char *rootfs_proc_mask_path(size_t i);
