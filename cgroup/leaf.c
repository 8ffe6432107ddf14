/* leaf.c - the run's cgroup: create it (limits in place before anything runs in it), open it by
 * id, kill everything in it, remove it.
 *
 * The leaf stays a leaf: cgroup v2's no-internal-processes rule means a cgroup with processes
 * cannot enable controllers for children, so controllers are enabled in the parent (and in the
 * root for mlrun.slice), never in the leaf, and the supervisor never enters the leaf itself:
 * only the child does, via CLONE_INTO_CGROUP on leaf->dirfd. */
#define _GNU_SOURCE
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"

#define KILL_FALLBACK_ROUNDS 100 /* freeze + SIGKILL passes before giving up (kernel < 5.14) */

static void leaf_init(struct cgroup_leaf *leaf)
{
	memset(leaf, 0, sizeof(*leaf));
	leaf->dirfd = -1;
}

/* No cgroup for this run: every enforced_* stays false and the reason says why. */
static void leaf_degrade(struct cgroup_leaf *leaf, const char *why)
{
	cgroup_reason_set(leaf->reason, sizeof(leaf->reason), "no cgroup limits: %s", why);
}

static int leaf_name(char *name, size_t size, const struct cgroup_host *host, const char *id,
		     struct error *err)
{
	if (!cgroup_id_valid(id))
		return error_set(err, EINVAL,
				 "invalid sandbox id '%s' (letters, digits, '-', '_', '.'; at most %d characters)",
				 id ? id : "", CGROUP_ID_MAX);
	snprintf(name, size, "%s%s", host->leaf_prefix, id);
	return 0;
}

static int open_dir(int at, const char *name, const char *path, struct error *err)
{
	int fd = openat(at, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? error_set(err, errno, "cannot open cgroup %s", path) : fd;
}

/* The directory leaves go in, with controllers enabled for them. For root that is mlrun.slice
 * (or --cgroup-parent), made on first use: enable the controllers in the directory above (the
 * root cgroup is exempt from the no-internal-processes rule), mkdir the slice, enable them in
 * it too. A delegated parent exists already; we only enable what it offers. */
static int open_parent(const struct cgroup_host *host, char why[CG_NCTRL][CGROUP_WHY_MAX],
		       struct error *err)
{
	static const bool want[CG_NCTRL] = { true, true, true, true };
	char above[sizeof(host->parent_path)];
	int fd;

	if (host->create_parent) {
		snprintf(above, sizeof(above), "%s", host->parent_path);
		char *slash = strrchr(above, '/');
		if (!slash || slash == above || !slash[1])
			return error_set(err, EINVAL, "bad cgroup parent %s", host->parent_path);
		*slash = '\0';
		const char *name = slash + 1;
		_cleanup_close_ int abovefd = open_dir(AT_FDCWD, above, above, err);
		if (abovefd < 0)
			return abovefd;
		cgroup_enable_controllers(abovefd, above, want, why);
		if (mkdirat(abovefd, name, 0755) < 0 && errno != EEXIST)
			return error_set(err, errno, "cannot create cgroup %s", host->parent_path);
		fd = open_dir(abovefd, name, host->parent_path, err);
	} else {
		fd = open_dir(AT_FDCWD, host->parent_path, host->parent_path, err);
	}
	if (fd >= 0)
		cgroup_enable_controllers(fd, host->parent_path, want, why);
	return fd;
}

/* Which controllers the leaf really has decides what can be enforced. */
static int leaf_read_controllers(struct cgroup_leaf *leaf, struct error *err)
{
	char list[512];
	int r = cgroup_read(leaf->dirfd, "cgroup.controllers", list, sizeof(list));

	if (r < 0)
		return error_set(err, -r, "cannot read %s/cgroup.controllers", leaf->path);
	leaf->enforced_memory = cgroup_list_has(list, "memory");
	leaf->enforced_cpu = cgroup_list_has(list, "cpu");
	leaf->enforced_pids = cgroup_list_has(list, "pids");
	leaf->enforced_io = cgroup_list_has(list, "io");
	return 0;
}

/* leaf->path = <parent>/<name>, or an error naming the path that does not fit. */
static int leaf_set_path(struct cgroup_leaf *leaf, const struct cgroup_host *host, const char *name,
			 struct error *err)
{
	if (snprintf(leaf->path, sizeof(leaf->path), "%s/%s", host->parent_path, name) < (int)sizeof(leaf->path))
		return 0;
	leaf->path[0] = '\0';
	return error_set(err, ENAMETOOLONG, "cgroup path too long: %s/%s", host->parent_path, name);
}

int cgroup_leaf_create(struct cgroup_leaf *leaf, const struct cgroup_host *host, const char *id,
		       const struct policy *p, struct error *err)
{
	char why[CG_NCTRL][CGROUP_WHY_MAX] = { { 0 } };
	char name[CGROUP_ID_MAX + sizeof(host->leaf_prefix)];
	int r;

	leaf_init(leaf);
	r = leaf_name(name, sizeof(name), host, id, err);
	if (r < 0)
		return r;
	if (!host->unified || !host->can_write_parent || !host->parent_path[0]) {
		leaf_degrade(leaf, host->reason[0] ? host->reason : "no writable cgroup v2 tree");
		return 0;
	}
	_cleanup_close_ int parentfd = open_parent(host, why, err);
	if (parentfd < 0)
		return parentfd;
	if ((r = leaf_set_path(leaf, host, name, err)) < 0)
		return r;
	if (mkdirat(parentfd, name, 0755) < 0) {
		r = errno;
		leaf->path[0] = '\0';
		if (r == EEXIST)
			return error_set(err, r, "cannot create cgroup %s/%s (a sandbox named '%s' is running, "
					 "or was left behind: see mlrun gc)", host->parent_path, name, id);
		return error_set(err, r, "cannot create cgroup %s/%s", host->parent_path, name);
	}
	/* From here on a failure must remove the directory we made: nothing is left behind. */
	leaf->dirfd = open_dir(parentfd, name, leaf->path, err);
	r = leaf->dirfd < 0 ? leaf->dirfd : leaf_read_controllers(leaf, err);
	if (r == 0)
		r = cgroup_limits_apply(leaf, p, why, err);
	if (r < 0) {
		closep(&leaf->dirfd);
		unlinkat(parentfd, name, AT_REMOVEDIR);
		leaf_init(leaf);
	}
	return r;
}

/* A leaf made earlier (for kill, gc, stats), opened beneath the cgroup2 mount without following
 * links, and only if it is still a leaf of ours: whatever a state file or someone else's
 * directory says, kill and gc never write cgroup.kill into, or remove, anything else. */
static int open_existing_leaf(const char *path)
{
	size_t n = strlen(CGROUP_MOUNT);
	if (strncmp(path, CGROUP_MOUNT "/", n + 1) != 0)
		return -ENOENT;
	_cleanup_close_ int mnt = open(CGROUP_MOUNT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct statfs sfs;
	if (mnt < 0 || fstatfs(mnt, &sfs) < 0)
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -ENOENT; /* not a pure cgroup2 host: mlrun made no leaf here */
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
					   RESOLVE_NO_XDEV };
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, mnt, path + n + 1, &how, sizeof(how));
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (st.st_uid != geteuid())
		return -EPERM;
	/* A leaf has no child cgroups (user@.service, a slice: many). */
	int lfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		if (lfd >= 0)
			close(lfd);
		return -errno;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return -EPERM;
	return TAKE_FD(fd);
}

int cgroup_leaf_open(struct cgroup_leaf *leaf, const struct cgroup_host *host, const char *id,
		     struct error *err)
{
	char name[CGROUP_ID_MAX + sizeof(host->leaf_prefix)];
	int r;

	leaf_init(leaf);
	r = leaf_name(name, sizeof(name), host, id, err);
	if (r < 0)
		return r;
	if (!host->parent_path[0])
		return error_set(err, ENOENT, "no sandbox '%s': %s", id, host->reason);
	if ((r = leaf_set_path(leaf, host, name, err)) < 0)
		return r;
	leaf->dirfd = open_existing_leaf(leaf->path);
	if (leaf->dirfd < 0) {
		r = leaf->dirfd == -ENOENT ? error_set(err, ENOENT, "no sandbox '%s' (no cgroup %s)", id, leaf->path)
		    : leaf->dirfd == -EPERM ? error_set(err, EPERM, "cgroup %s is not a leaf of uid %u", leaf->path,
							 (unsigned)geteuid())
					    : error_set(err, -leaf->dirfd, "cannot open cgroup %s", leaf->path);
		leaf_init(leaf);
		return r;
	}
	r = leaf_read_controllers(leaf, err);
	if (r < 0) {
		closep(&leaf->dirfd);
		leaf_init(leaf);
	}
	return r;
}

/* Before cgroup.kill (5.14): freeze so that nothing forks while we read cgroup.procs, SIGKILL
 * each pid (a frozen task still dies of SIGKILL), thaw, repeat until the list is empty. */
static int kill_fallback(const struct cgroup_leaf *leaf)
{
	char procs[CGROUP_FILE_MAX];
	int r = -EBUSY;

	cgroup_write(leaf->dirfd, leaf->path, "cgroup.freeze", "1", NULL);
	for (int round = 0; round < KILL_FALLBACK_ROUNDS; round++) {
		r = cgroup_read(leaf->dirfd, "cgroup.procs", procs, sizeof(procs));
		if (r < 0)
			break;
		if (!procs[0])
			break;
		for (char *s = procs, *end; *s; s = end) {
			long pid = strtol(s, &end, 10);
			if (end == s)
				break;
			if (pid > 0)
				kill((pid_t)pid, SIGKILL);
		}
		r = -EBUSY;
	}
	cgroup_write(leaf->dirfd, leaf->path, "cgroup.freeze", "0", NULL);
	return r;
}

int cgroup_leaf_freeze(const struct cgroup_leaf *leaf, bool frozen)
{
	if (!leaf || leaf->dirfd < 0)
		return -EBADF;
	return cgroup_write(leaf->dirfd, leaf->path, "cgroup.freeze", frozen ? "1" : "0", NULL);
}

int cgroup_leaf_kill(const struct cgroup_leaf *leaf)
{
	if (!leaf || leaf->dirfd < 0)
		return -EBADF;
	/* cgroup.kill SIGKILLs every process in the subtree at once, forks in flight included,
	 * which is what makes a double-forked setsid daemon die with its sandbox. */
	int r = cgroup_write(leaf->dirfd, leaf->path, "cgroup.kill", "1", NULL);
	return r == -ENOENT ? kill_fallback(leaf) : r;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until cgroup.events says "populated 0", at most timeout_ms. The kernel signals changes
 * of cgroup.events with POLLPRI, so this sleeps in poll() instead of spinning. */
static int wait_unpopulated(int dirfd, int timeout_ms)
{
	_cleanup_close_ int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	int64_t deadline = now_ms() + timeout_ms;
	char text[256];

	if (fd < 0)
		return -errno;
	for (;;) {
		uint64_t populated = 1;
		ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
		if (n < 0)
			return -errno;
		text[n] = '\0';
		if (cgroup_parse_flat_key(text, "populated", &populated) == 0 && populated == 0)
			return 0;
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd = { .fd = fd, .events = POLLPRI };
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
	}
}

int cgroup_leaf_destroy(struct cgroup_leaf *leaf, struct error *err)
{
	if (!leaf || leaf->dirfd < 0)
		return 0;
	cgroup_leaf_kill(leaf);
	int waited = wait_unpopulated(leaf->dirfd, CGROUP_DRAIN_TIMEOUT_MS);

	/* rmdir through the leaf's own fd ("..") rather than re-resolving the path string. */
	_cleanup_close_ int parentfd = openat(leaf->dirfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parentfd < 0)
		return error_set(err, errno, "cannot remove cgroup %s", leaf->path);
	const char *slash = strrchr(leaf->path, '/');
	if (!slash || !slash[1])
		return error_set(err, EINVAL, "cannot remove cgroup '%s': not a cgroup path", leaf->path);
	const char *name = slash + 1;
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		if (errno == EBUSY && waited == -ETIMEDOUT)
			return error_set(err, EBUSY, "cannot remove cgroup %s: processes still inside %d ms after "
					 "cgroup.kill", leaf->path, CGROUP_DRAIN_TIMEOUT_MS);
		return error_set(err, errno, "cannot remove cgroup %s", leaf->path);
	}
	closep(&leaf->dirfd);
	leaf_init(leaf);
	return 0;
}
