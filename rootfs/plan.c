/* plan.c - turn the policy into the list of operations the child performs (parent side).
 *
 * Every host path is resolved and checked here, so that a bad bind is a clear error before
 * anything is cloned, and the child only replays a list it cannot get wrong. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "rootfs.h"

#define ATTR_RO (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
#define ATTR_RW (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
#define ATTR_DEV (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC) /* device nodes: no setuid, no exec */
#define MODE_STICKY_TMP 01777

/* Top-level host entries the default root replicates: a symlink stays a symlink (merged /usr),
 * a directory is bound read-only. */
static const char *const system_dirs[] = { "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32" };

/* /etc entries a dynamically linked runtime (and Python with numpy) needs. */
static const char *const etc_entries[] = {
	"etc/ld.so.cache", "etc/ld.so.conf", "etc/ld.so.conf.d", "etc/alternatives",
	"etc/localtime",   "etc/nsswitch.conf", "etc/os-release", "etc/mime.types",
};

/* TLS trust roots: of no use without a network (net = none), so not bound there (two host
 * paths fewer in view, and 0.1-0.15 ms of mount work: docs/performance.md). */
static const char *const etc_network_entries[] = { "etc/ssl", "etc/ca-certificates" };

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

/* Destinations the sandbox itself provides: a bind at, above or below them would replace /proc
 * or /dev, or hide mlrun's own files (the generated /etc files are checked from the plan). */
static const char *const reserved_dsts[] = { "proc", "dev", "run/mlrun" };

#define MASK_TMPFS_BYTES 4096 /* the empty read-only tmpfs over mlrun's state directory */

/* path equals dir or lies below it (both without a leading '/'; dir "" is the root). */
static bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return n == 0 || (strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

struct rootfs_op *rootfs_op_add(struct rootfs_plan *plan, enum rootfs_op_kind kind, const char *src,
				 const char *dst, struct error *err)
{
	if (plan->n >= ROOTFS_MAX_OPS) {
		error_set(err, E2BIG, "too many filesystem entries (at most %d)", ROOTFS_MAX_OPS);
		return NULL;
	}
	struct rootfs_op *op = &plan->ops[plan->n];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->tree_fd = -1;
	op->src = src ? strdup(src) : NULL;
	op->dst = strdup(dst[0] == '/' ? dst + 1 : dst);
	if ((src && !op->src) || !op->dst) {
		free(op->src);
		free(op->dst);
		error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	plan->n++;
	return op;
}

static int add_simple(struct rootfs_plan *plan, enum rootfs_op_kind kind, const char *src, const char *dst,
		      mode_t mode, struct error *err)
{
	struct rootfs_op *op = rootfs_op_add(plan, kind, src, dst, err);
	if (!op)
		return -err->code;
	op->mode = mode;
	return 0;
}

static int add_tmpfs(struct rootfs_plan *plan, const char *dst, uint64_t size, mode_t mode, uint64_t attr,
		     struct error *err)
{
	struct rootfs_op *op = rootfs_op_add(plan, ROOTFS_TMPFS, NULL, dst, err);
	if (!op)
		return -err->code;
	op->size_bytes = size;
	op->mode = mode;
	op->attr = attr;
	if (size != POLICY_UNLIMITED)
		snprintf(op->opt_size, sizeof(op->opt_size), "%llu", (unsigned long long)size);
	snprintf(op->opt_mode, sizeof(op->opt_mode), "%o", (unsigned)mode);
	return 0;
}

/* A bind of the canonical host path src at dst. `what` names where it came from for error
 * messages. src is opened once without following any link and its inode recorded: the child
 * must walk the path again in its own mount namespace (open_tree cannot clone from a
 * descriptor of another namespace) and refuses anything but this inode, so a component
 * swapped for a symlink in between (TOCTOU) is never followed. */
static int add_bind(struct rootfs_plan *plan, const char *src, const char *dst, uint64_t attr, const char *what,
		    struct error *err)
{
	struct stat st;
	_cleanup_close_ int fd = rootfs_openat2(AT_FDCWD, src, O_PATH, RESOLVE_NO_SYMLINKS);
	if (fd < 0)
		return error_set(err, -fd, "cannot expose %s (%s)", src, what);
	if (fstat(fd, &st) < 0)
		return error_set(err, errno, "cannot expose %s (%s)", src, what);
	struct rootfs_op *op = rootfs_op_add(plan, ROOTFS_BIND, src, dst, err);
	if (!op)
		return -err->code;
	op->attr = attr;
	op->src_is_dir = S_ISDIR(st.st_mode);
	op->src_dev = st.st_dev;
	op->src_ino = st.st_ino;
	return 0;
}

/* dst is a clean absolute path below / that does not replace what the sandbox itself provides:
 * a bind over /etc or /etc/passwd would make the set-up write the generated files into the
 * host directory, one over /proc or /dev would replace them. */
static int check_user_dst(const struct rootfs_plan *plan, const char *dst, const char *what, struct error *err)
{
	if (dst[0] != '/' || strcmp(dst, "/") == 0)
		return error_set(err, 0, "%s: destination %s must be an absolute path below /", what, dst);
	for (const char *c = dst + 1; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
		size_t len = strcspn(c, "/");
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return error_set(err, 0, "%s: destination %s must not contain '.', '..' or '//'", what, dst);
	}
	const char *rel = dst + 1;
	for (size_t i = 0; i < ARRAY_SIZE(reserved_dsts); i++)
		if (path_within(rel, reserved_dsts[i]) || path_within(reserved_dsts[i], rel))
			return error_set(err, EPERM, "%s: cannot bind over %s: the sandbox provides /%s itself", what, dst,
					 reserved_dsts[i]);
	for (size_t i = 0; i < plan->n; i++)
		if (plan->ops[i].kind == ROOTFS_FILE && path_within(plan->ops[i].dst, rel))
			return error_set(err, EPERM, "%s: cannot bind over %s: mlrun generates /%s there", what, dst,
					 plan->ops[i].dst);
	return 0;
}

/* A bind the caller asked for (--workdir, --bind, --ro-bind, [grants]). If its source holds
 * mlrun's own state directory, an empty read-only tmpfs hides it: the program could otherwise
 * plant files that later runs of mlrun trust (the cached seccomp filter, state files). A
 * source inside that directory cannot be hidden and is refused. */
static int add_user_bind(struct rootfs_plan *plan, const struct rootfs_identity *id, const char *src,
			 const char *dst, uint64_t attr, const char *what, struct error *err)
{
	char mask[PATH_MAX];
	const char *state = id->state_dir;
	int r = check_user_dst(plan, dst, what, err);
	if (r < 0)
		return r;
	if (state && path_within(src + 1, state + 1))
		return error_set(err, EPERM, "%s: cannot expose %s: it is inside mlrun's state directory %s", what, src,
				 state);
	if ((r = add_bind(plan, src, dst, attr, what, err)) < 0)
		return r;
	if (!state || !path_within(state + 1, src + 1))
		return 0;
	const char *rest = state + strlen(src) + (src[1] != '\0'); /* state below src, without the '/' */
	if ((size_t)snprintf(mask, sizeof(mask), "%s/%s", dst, rest) >= sizeof(mask))
		return error_set(err, ENAMETOOLONG, "%s: cannot hide %s below %s", what, state, dst);
	return add_tmpfs(plan, mask, MASK_TMPFS_BYTES, 0,
			 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
}

/* Replicate host entry path (relative to /) if it exists: symlink as symlink, else a bind. */
static int add_host_entry(struct rootfs_plan *plan, const char *rel, struct error *err)
{
	char host[PATH_MAX], target[PATH_MAX];
	struct stat st;

	snprintf(host, sizeof(host), "/%s", rel);
	if (lstat(host, &st) < 0)
		return 0; /* optional: this host has no such entry */
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(host, target, sizeof(target) - 1);
		if (n < 0)
			return error_set(err, errno, "cannot read link %s", host);
		target[n] = '\0';
		return add_simple(plan, ROOTFS_SYMLINK, target, rel, 0, err);
	}
	return add_bind(plan, host, rel, ATTR_RO, "system file", err);
}

static int add_etc_files(struct rootfs_plan *plan, const struct rootfs_identity *id, struct error *err)
{
	char text[1024];
	int r;

	snprintf(text, sizeof(text),
		 "root:x:0:0:root:/root:/usr/sbin/nologin\n"
		 "sandbox:x:%u:%u:mlrun sandbox:/tmp:/bin/sh\n"
		 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		 (unsigned)id->uid, (unsigned)id->gid);
	if ((r = add_simple(plan, ROOTFS_FILE, text, "etc/passwd", 0644, err)) < 0)
		return r;
	snprintf(text, sizeof(text), "root:x:0:\nsandbox:x:%u:\nnogroup:x:65534:\n", (unsigned)id->gid);
	if ((r = add_simple(plan, ROOTFS_FILE, text, "etc/group", 0644, err)) < 0)
		return r;
	snprintf(text, sizeof(text), "127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost\n", id->hostname);
	if ((r = add_simple(plan, ROOTFS_FILE, text, "etc/hosts", 0644, err)) < 0)
		return r;
	snprintf(text, sizeof(text), "%s\n", id->hostname);
	return add_simple(plan, ROOTFS_FILE, text, "etc/hostname", 0644, err);
}

static int add_dev(struct rootfs_plan *plan, const struct policy *p, const struct rootfs_identity *id,
		   struct error *err)
{
	char src[64], dst[64];
	int r;

	/* /dev is a directory of the read-only root: nothing can be created in it. */
	if ((r = add_simple(plan, ROOTFS_DIR, NULL, "dev", 0755, err)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		snprintf(src, sizeof(src), "/dev/%s", dev_nodes[i]);
		snprintf(dst, sizeof(dst), "dev/%s", dev_nodes[i]);
		if ((r = add_bind(plan, src, dst, ATTR_DEV, "device", err)) < 0)
			return r;
	}
	static const char *const links[][2] = {
		{ "/proc/self/fd", "dev/fd" },	       { "/proc/self/fd/0", "dev/stdin" },
		{ "/proc/self/fd/1", "dev/stdout" },   { "/proc/self/fd/2", "dev/stderr" },
		{ "pts/ptmx", "dev/ptmx" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if ((r = add_simple(plan, ROOTFS_SYMLINK, links[i][0], links[i][1], 0, err)) < 0)
			return r;
	/* Python multiprocessing needs a writable /dev/shm (cpython#93253); sized, never exec. */
	if ((r = add_tmpfs(plan, "dev/shm", p->shm_bytes, MODE_STICKY_TMP,
			   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err)) < 0)
		return r;
	if (id->tty) {
		struct rootfs_op *op = rootfs_op_add(plan, ROOTFS_DEVPTS, NULL, "dev/pts", err);
		if (!op)
			return -err->code;
		op->attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
	}
	return 0;
}

/* /proc as [sandbox] proc asks: a fresh proc; with "container", the container's /proc as the
 * fallback where the kernel refuses a fresh one (mounts.c), its inode checked like any bind
 * source; with "none", an empty directory. */
static int add_proc(struct rootfs_plan *plan, enum proc_mode mode, struct error *err)
{
	struct stat st;
	if (mode == PROC_NONE)
		return add_simple(plan, ROOTFS_DIR, NULL, "proc", 0555, err);
	struct rootfs_op *op = rootfs_op_add(plan, ROOTFS_PROC, mode == PROC_CONTAINER ? "/proc" : NULL, "proc", err);
	if (!op)
		return -err->code;
	op->attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	if (mode != PROC_CONTAINER)
		return 0;
	_cleanup_close_ int fd = rootfs_openat2(AT_FDCWD, "/proc", O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
	if (fd < 0 || fstat(fd, &st) < 0)
		return error_set(err, fd < 0 ? -fd : errno, "cannot open /proc ([sandbox] proc = container)");
	op->src_is_dir = true;
	op->src_dev = st.st_dev;
	op->src_ino = st.st_ino;
	return 0;
}

static int add_workdir(struct rootfs_plan *plan, const struct policy *p, const struct rootfs_identity *id,
		       struct error *err)
{
	char cwd[PATH_MAX];

	if (p->workdir == WORKDIR_NONE) {
		plan->cwd = strdup("/tmp");
		return plan->cwd ? 0 : error_set(err, ENOMEM, "out of memory");
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return error_set(err, errno, "cannot get the current directory for --workdir");
	/* Exposing / would expose the whole host: refuse instead of surprising anyone. */
	if (strcmp(cwd, "/") == 0)
		return error_set(err, 0, "--workdir: the current directory is / (the whole host); run from a project "
					 "directory or use --workdir none");
	plan->cwd = strdup(cwd);
	if (!plan->cwd)
		return error_set(err, ENOMEM, "out of memory");
	return add_user_bind(plan, id, cwd, cwd, p->workdir == WORKDIR_RW ? ATTR_RW : ATTR_RO, "--workdir", err);
}

static int add_policy_binds(struct rootfs_plan *plan, const struct policy *p, const struct rootfs_identity *id,
			    struct error *err)
{
	for (size_t i = 0; i < p->n_binds; i++) {
		const struct bind *b = &p->binds[i];
		const char *what = b->origin ? b->origin : b->rw ? "--bind" : "--ro-bind";
		/* The caller named this path: links in it are the caller's intent, resolved once here. */
		_cleanup_free_ char *src = realpath(b->src, NULL);
		if (!src && b->origin && b->origin[0] != '-') /* from a file: its FILE:LINE first */
			return error_set(err, errno, "%s: cannot expose %s ([filesystem] %s)", b->origin, b->src,
					 b->rw ? "bind" : "ro_bind");
		if (!src)
			return error_set(err, errno, "cannot expose %s (%s)", b->src, what);
		const char *dst = b->dst ? b->dst : src;
		int r = add_user_bind(plan, id, src, dst, b->rw ? ATTR_RW : ATTR_RO, what, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The canonical path of an open fd (the kernel's, no link in it). */
static int fd_path(int fd, char *buf, size_t len)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

/* One match of a grant, opened without following any symlink: the granted directories are
 * often writable by earlier runs, which could plant outputs/run1 -> /var/log (or ~/.ssh) and
 * so redirect the grant anywhere. No link and no '..' (refused by the policy parser, and the
 * "." and ".." entries a ".*" pattern matches are skipped) means the match lies beneath the
 * pattern's literal base; a relative pattern is also walked RESOLVE_BENEATH the cwd. */
static int add_grant_match(struct rootfs_plan *plan, const struct rootfs_identity *id, const struct grant *g,
			   const char *match, json_object *list, struct error *err)
{
	const char *key = g->write ? "write" : "read";
	char real[PATH_MAX];
	uint64_t resolve = RESOLVE_NO_SYMLINKS | (match[0] == '/' ? 0 : RESOLVE_BENEATH);
	_cleanup_close_ int fd = rootfs_openat2(AT_FDCWD, match, O_PATH, resolve);
	if (fd == -ELOOP || fd == -EXDEV)
		return error_set(err, ELOOP, "[grants] %s = %s: %s is or goes through a symlink; grants never follow links",
				 key, g->pattern, match);
	if (fd < 0)
		return error_set(err, -fd, "[grants] %s = %s: cannot open %s", key, g->pattern, match);
	int r = fd_path(fd, real, sizeof(real));
	if (r < 0)
		return error_set(err, -r, "[grants] %s = %s: cannot resolve %s", key, g->pattern, match);
	char what[64];
	snprintf(what, sizeof(what), "[grants] %s", key);
	if ((r = add_user_bind(plan, id, real, real, g->write ? ATTR_RW : ATTR_RO, what, err)) < 0)
		return r;
	json_object_array_add(list, json_object_new_string(real));
	return 0;
}

static bool is_dot_entry(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return strcmp(base, ".") == 0 || strcmp(base, "..") == 0;
}

/* One grant pattern: every match becomes a bind at its real path; the resolved paths are also
 * collected for /run/mlrun/grants.json. A pattern that matches nothing is an error: a grant
 * that silently grants nothing hides a typo. */
static int add_grant(struct rootfs_plan *plan, const struct rootfs_identity *id, const struct grant *g,
		     json_object *list, struct error *err)
{
	glob_t gl;
	size_t added = 0;
	int r = glob(g->pattern, GLOB_NOSORT | GLOB_BRACE, NULL, &gl);
	if (r != 0 && r != GLOB_NOMATCH)
		return error_set(err, r == GLOB_NOSPACE ? ENOMEM : EIO, "[grants] cannot expand %s", g->pattern);
	for (size_t i = 0; r == 0 && i < gl.gl_pathc; i++)
		if (!is_dot_entry(gl.gl_pathv[i]) && (r = add_grant_match(plan, id, g, gl.gl_pathv[i], list, err)) == 0)
			added++;
	globfree(&gl);
	if ((r == 0 || r == GLOB_NOMATCH) && added == 0)
		return error_set(err, ENOENT, "%s%s[grants] %s = %s matches nothing", g->origin ? g->origin : "",
				 g->origin ? ": " : "", g->write ? "write" : "read", g->pattern);
	return r;
}

/* Binds for the policy's grants, and /run/mlrun/grants.json telling the program what it was
 * granted (always present, so a program can rely on it). */
static int add_grants(struct rootfs_plan *plan, const struct policy *p, const struct rootfs_identity *id,
		      struct error *err)
{
	json_object *o = json_object_new_object(), *rd = json_object_new_array(), *wr = json_object_new_array();
	json_object *pr = json_object_new_array(), *pw = json_object_new_array();
	int r = 0;

	json_object_object_add(o, "read", rd);
	json_object_object_add(o, "write", wr);
	for (size_t i = 0; i < p->n_grants && r == 0; i++) {
		json_object_array_add(p->grants[i].write ? pw : pr, json_object_new_string(p->grants[i].pattern));
		r = add_grant(plan, id, &p->grants[i], p->grants[i].write ? wr : rd, err);
	}
	json_object *pat = json_object_new_object();
	json_object_object_add(pat, "read", pr);
	json_object_object_add(pat, "write", pw);
	json_object_object_add(o, "patterns", pat);
	if (r == 0)
		r = add_simple(plan, ROOTFS_FILE,
			       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
			       "run/mlrun/grants.json", 0444, err);
	json_object_put(o);
	return r;
}

static size_t path_depth(const char *s)
{
	size_t d = 1;
	for (; *s; s++)
		d += *s == '/';
	return d;
}

/* Parents before children: a bind under /tmp must land on the sandbox's /tmp, not under it.
 * Stable insertion sort by depth; the list is short. */
static void sort_by_depth(struct rootfs_plan *plan)
{
	for (size_t i = 1; i < plan->n; i++) {
		struct rootfs_op cur = plan->ops[i];
		size_t d = path_depth(cur.dst), j = i;
		while (j > 0 && path_depth(plan->ops[j - 1].dst) > d) {
			plan->ops[j] = plan->ops[j - 1];
			j--;
		}
		plan->ops[j] = cur;
	}
}

static bool is_mount(const struct rootfs_op *op)
{
	return op->kind == ROOTFS_BIND || op->kind == ROOTFS_TMPFS || op->kind == ROOTFS_PROC ||
	       op->kind == ROOTFS_DEVPTS;
}

/* Where each destination lands. One inside a host bind must already exist on the host: creating
 * it would leave directories there owned by the sandbox's uid, and a link planted by an earlier
 * run (/data/m -> /host/dir) would move it onto any host path. So nothing is created there and
 * nothing mlrun generates may land there. Checked here for a clear message; the child walks
 * again without following links and without creating anything inside host binds. */
static int check_destinations(struct rootfs_plan *plan, struct error *err)
{
	char host[PATH_MAX];

	for (size_t i = 0; i < plan->n; i++) {
		struct rootfs_op *op = &plan->ops[i];
		const struct rootfs_op *cover = NULL;
		for (size_t j = 0; j < i; j++) { /* sorted by depth: the last match is the deepest */
			const struct rootfs_op *o = &plan->ops[j];
			if (o->kind == ROOTFS_SYMLINK && path_within(op->dst, o->dst))
				return error_set(err, ELOOP, "destination /%s goes through the symlink /%s -> %s; name the real path",
						 op->dst, o->dst, o->src);
			if (is_mount(o) && path_within(op->dst, o->dst) && strcmp(op->dst, o->dst) != 0)
				cover = o;
		}
		if (!cover || cover->kind != ROOTFS_BIND)
			continue;
		op->in_host = true;
		if (!is_mount(op))
			return error_set(err, EPERM, "mlrun would write /%s inside the bind of %s at /%s", op->dst,
					 cover->src, cover->dst);
		snprintf(host, sizeof(host), "%s/%s", cover->src, op->dst + strlen(cover->dst) + 1);
		int fd = rootfs_openat2(AT_FDCWD, host, O_PATH, RESOLVE_NO_SYMLINKS);
		if (fd == -ENOENT)
			return error_set(err, ENOENT, "mount point /%s: %s must exist (mlrun creates nothing inside the bind of %s at /%s)",
					 op->dst, host, cover->src, cover->dst);
		if (fd == -ELOOP || fd == -EXDEV)
			return error_set(err, ELOOP, "mount point /%s: %s goes through a symlink (never followed inside the bind of %s at /%s)",
					 op->dst, host, cover->src, cover->dst);
		if (fd < 0)
			return error_set(err, -fd, "mount point /%s: %s inside the bind of %s at /%s", op->dst, host,
					 cover->src, cover->dst);
		close(fd);
	}
	return 0;
}

int rootfs_plan_build(struct rootfs_plan *plan, const struct policy *p, const struct rootfs_identity *id,
		      struct error *err)
{
	int r;

	memset(plan, 0, sizeof(*plan));
	for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++)
		if ((r = add_host_entry(plan, system_dirs[i], err)) < 0)
			goto fail;
	if ((r = add_simple(plan, ROOTFS_DIR, NULL, "etc", 0755, err)) < 0)
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(etc_entries); i++)
		if ((r = add_host_entry(plan, etc_entries[i], err)) < 0)
			goto fail;
	for (size_t i = 0; p->net != NET_NONE && i < ARRAY_SIZE(etc_network_entries); i++)
		if ((r = add_host_entry(plan, etc_network_entries[i], err)) < 0)
			goto fail;
	if ((r = add_etc_files(plan, id, err)) < 0 || (r = add_dev(plan, p, id, err)) < 0)
		goto fail;
	if ((r = add_proc(plan, p->proc, err)) < 0)
		goto fail;
	if ((r = add_tmpfs(plan, "tmp", p->tmp_bytes, MODE_STICKY_TMP, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err)) < 0)
		goto fail;
	if ((r = add_workdir(plan, p, id, err)) < 0 || (r = add_policy_binds(plan, p, id, err)) < 0 ||
	    (r = add_grants(plan, p, id, err)) < 0)
		goto fail;
	sort_by_depth(plan);
	if ((r = check_destinations(plan, err)) < 0)
		goto fail;
	return 0;
fail:
	rootfs_plan_free(plan);
	return r;
}

void rootfs_plan_free(struct rootfs_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->ops[i].src);
		free(plan->ops[i].dst);
	}
	free(plan->cwd);
	for (size_t i = 0; i < plan->n_masked; i++)
		free(plan->masked[i]);
	for (size_t i = 0; i < plan->n_read_only; i++)
		free(plan->read_only[i]);
	free(plan->masked);
	free(plan->read_only);
	plan->masked = plan->read_only = NULL;
	plan->n_masked = plan->n_read_only = 0;
	plan->n = 0;
	plan->cwd = NULL;
}

void rootfs_describe_op(const struct rootfs_plan *plan, size_t i, char *buf, size_t len)
{
	if (i >= plan->n) {
		snprintf(buf, len, "mount the root filesystem (a tmpfs)");
		return;
	}
	const struct rootfs_op *op = &plan->ops[i];
	switch (op->kind) {
	case ROOTFS_BIND:
		snprintf(buf, len, "bind %s at /%s (%s)", op->src, op->dst,
			 op->attr & MOUNT_ATTR_RDONLY ? "read-only" : "read-write");
		break;
	case ROOTFS_TMPFS:
		snprintf(buf, len, "mount tmpfs (%llu bytes) on /%s", (unsigned long long)op->size_bytes, op->dst);
		break;
	case ROOTFS_PROC:
		snprintf(buf, len, op->src ? "mount proc on /%s (or bind the container's %s)" : "mount proc on /%s",
			 op->dst, op->src);
		break;
	case ROOTFS_DEVPTS:
		snprintf(buf, len, "mount devpts on /%s", op->dst);
		break;
	case ROOTFS_FS:
		snprintf(buf, len, "mount %s on /%s", op->src, op->dst);
		break;
	case ROOTFS_DIR:
		snprintf(buf, len, "create directory /%s", op->dst);
		break;
	case ROOTFS_SYMLINK:
		snprintf(buf, len, "create symlink /%s -> %s", op->dst, op->src);
		break;
	case ROOTFS_FILE:
		snprintf(buf, len, "write /%s", op->dst);
		break;
	case ROOTFS_SCRIPT:
		snprintf(buf, len, "place the scanned copy of the script over /%s", op->dst);
		break;
	}
}
