/* landlock.c - a second wall behind the mount namespace, with raw Landlock syscalls.
 *
 * If a mount were ever left writable by mistake (a bind the plan got wrong, a filesystem that
 * ignores MS_RDONLY, a kernel bug in the new mount API), Landlock still confines writes to
 * what the policy meant to be writable: /tmp, /dev/shm, the read-write binds, a read-write
 * working directory and the few device nodes. Everything else is read and execute only. With
 * net = host (ABI 4+), TCP bind and connect are denied outright; from ABI 6 on, the program can
 * neither connect to abstract unix sockets nor signal processes outside its own domain. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "internal.h"

/* The system headers may predate the newer ABIs; the values are the kernel's uapi. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

#define FS_V1 ((1ULL << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define FS_READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* Read-write trees: everything but creating device nodes. */
#define FS_RW                                                                                                   \
	((FS_V1 | LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE) &                                      \
	 ~(LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK))
/* Device nodes (/dev/null, /dev/tty, ...) and the pty: read, write, truncate on open, ioctl. */
#define FS_DEV                                                                                                  \
	(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_DIR |            \
	 LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)
/* The rights that mean anything on a file that is not a directory. */
#define FS_FILE                                                                                                 \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |             \
	 LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

#ifndef LANDLOCK_RULE_PATH_BENEATH
#define LANDLOCK_RULE_PATH_BENEATH 1
#endif

/* struct landlock_ruleset_attr as of ABI 6; older kernels accept the larger struct as long
 * as the fields they do not know are zero. */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

int landlock_abi_version(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

static uint64_t handled_fs_for(int abi)
{
	uint64_t fs = FS_V1;
	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

static int add_rule(struct security_plan *sec, const char *dst, uint64_t access, struct error *err)
{
	if (sec->n_rules >= LANDLOCK_MAX_RULES)
		return error_set(err, E2BIG, "too many Landlock rules");
	struct landlock_rule *r = &sec->rules[sec->n_rules];
	if (asprintf(&r->path, "/%s", dst) < 0) {
		r->path = NULL;
		return error_set(err, ENOMEM, "out of memory");
	}
	r->access = access & sec->handled_fs;
	sec->n_rules++;
	return 0;
}

/* What the plan made writable stays writable; the rest of the tree is read and execute. */
static uint64_t access_for(const struct rootfs_op *op)
{
	bool rw = !(op->attr & MOUNT_ATTR_RDONLY);
	switch (op->kind) {
	case ROOTFS_TMPFS:
		return rw ? FS_RW : 0;
	case ROOTFS_BIND:
		if (!rw)
			return 0;
		return strncmp(op->dst, "dev/", 4) == 0 ? FS_DEV : FS_RW;
	case ROOTFS_DEVPTS:
		return FS_DEV;
	default:
		return 0;
	}
}

int landlock_prepare(struct security_plan *sec, const struct policy *p, const struct rootfs_plan *plan,
		     struct error *err)
{
	int abi = p->landlock ? landlock_abi_version() : 0;
	int r;

	sec->landlock_abi = abi;
	if (abi <= 0)
		return 0;
	sec->handled_fs = handled_fs_for(abi);
	/* The host's network: no TCP server and no TCP client, whatever the port (ABI 4). */
	if (abi >= 4 && p->net == NET_HOST)
		sec->handled_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
	/* Abstract unix sockets ignore the filesystem; signals could reach pid 1 (ABI 6). */
	if (abi >= 6)
		sec->scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	if ((r = add_rule(sec, "", FS_READ, err)) < 0)
		return r;
	for (size_t i = 0; i < plan->n; i++) {
		uint64_t access = access_for(&plan->ops[i]);
		if (access && (r = add_rule(sec, plan->ops[i].dst, access, err)) < 0)
			return r;
	}
	return 0;
}

void landlock_release(struct security_plan *sec)
{
	for (size_t i = 0; i < sec->n_rules; i++)
		free(sec->rules[i].path);
	sec->n_rules = 0;
}

static int add_path_rule(int ruleset, const struct landlock_rule *rule)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = rule->access };
	struct stat st;
	int fd = open(rule->path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= FS_FILE;
	pb.parent_fd = fd;
	if (r == 0 && pb.allowed_access && syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* In pid 1, after pivot_root: the rule paths now name the sandbox's own tree. */
int landlock_create(struct security_plan *sec, int *failed)
{
	struct ruleset_attr attr = { sec->handled_fs, sec->handled_net, sec->scoped };
	*failed = -1;
	if (sec->landlock_abi <= 0)
		return 0;
	int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < sec->n_rules; i++) {
		int r = add_path_rule(fd, &sec->rules[i]);
		if (r < 0) {
			*failed = (int)i;
			close(fd);
			return r;
		}
	}
	sec->ruleset_fd = fd;
	return 0;
}

/* In the payload, after no_new_privs (Landlock requires it without CAP_SYS_ADMIN). */
int landlock_enforce(const struct security_plan *sec)
{
	if (sec->landlock_abi <= 0)
		return 0;
	int r = syscall(SYS_landlock_restrict_self, sec->ruleset_fd, 0) < 0 ? -errno : 0;
	close(sec->ruleset_fd);
	return r;
}
