/* probe.c - what the host's cgroup tree allows, found without changing anything: the layout
 * (pure v2, hybrid, v1), this process' own cgroup, where leaves can go and which controllers
 * they can get. Every "no" comes with a reason a user can act on.
 *
 * Where leaves go (docs/cgroups.md has the full story):
 *   - root with a writable /sys/fs/cgroup: /sys/fs/cgroup/mlrun.slice/<id>, a slice of mlrun's
 *     own beside system.slice and user.slice, created on first use;
 *   - otherwise (rootless, or root in a container with a read-only cgroupfs): beside our own
 *     cgroup, as <parent-of-own>/mlrun-<id>, when that parent is delegated to us. Our own
 *     cgroup holds our process, so by the no-internal-processes rule it cannot have controllers
 *     enabled for children; its parent can. This is the layout systemd gives a delegated user
 *     manager (user@UID.service/app.slice/<our scope>) and the one the test VM builds. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../lib/cleanup.h"

#define UNIFIED_HYBRID CGROUP_MOUNT "/unified"
#define SYSTEMD_FIX "systemd-run --user --scope -p Delegate=yes mlrun ..."

static bool is_fs(const char *path, long magic)
{
	struct statfs sfs;
	return statfs(path, &sfs) == 0 && sfs.f_type == magic;
}

/* Pure cgroup2 at /sys/fs/cgroup is the only layout mlrun writes to; say why otherwise. */
static bool probe_layout(struct cgroup_host *host)
{
	if (is_fs(CGROUP_MOUNT, CGROUP2_SUPER_MAGIC)) {
		host->unified = true;
		return true;
	}
	if (is_fs(CGROUP_MOUNT, TMPFS_MAGIC) && is_fs(UNIFIED_HYBRID, CGROUP2_SUPER_MAGIC)) {
		host->hybrid = true;
		cgroup_reason_set(host->reason, sizeof(host->reason),
			 "hybrid cgroup layout (v1 controllers in " CGROUP_MOUNT ", a controller-less cgroup2 at "
			 UNIFIED_HYBRID "): limits need a pure cgroup v2 tree (boot with "
			 "systemd.unified_cgroup_hierarchy=1)");
	} else if (is_fs(CGROUP_MOUNT, TMPFS_MAGIC)) {
		cgroup_reason_set(host->reason, sizeof(host->reason),
			 "cgroup v1 layout at " CGROUP_MOUNT ": limits need a pure cgroup v2 tree (boot with "
			 "systemd.unified_cgroup_hierarchy=1)");
	} else {
		cgroup_reason_set(host->reason, sizeof(host->reason), "no cgroup2 filesystem mounted at " CGROUP_MOUNT);
	}
	return false;
}

static void probe_own_path(struct cgroup_host *host)
{
	char text[4096];
	int r = cgroup_read(AT_FDCWD, "/proc/self/cgroup", text, sizeof(text));

	if (r == 0)
		r = cgroup_parse_own_path(text, host->own_path, sizeof(host->own_path));
	if (r < 0 && host->unified)
		cgroup_reason_set(host->reason, sizeof(host->reason), "cannot find this process' cgroup in /proc/self/cgroup: %s",
			 strerror(-r));
}

static bool writable(const char *dir, const char *name)
{
	char path[1100];
	snprintf(path, sizeof(path), "%s%s%s", dir, name ? "/" : "", name ? name : "");
	return faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == 0;
}

/* Root on a writable tree: mlrun.slice at the top, like systemd's system.slice. */
static bool probe_root_parent(struct cgroup_host *host)
{
	if (geteuid() != 0 || !writable(CGROUP_MOUNT, NULL) || !writable(CGROUP_MOUNT, "cgroup.subtree_control"))
		return false;
	snprintf(host->parent_path, sizeof(host->parent_path), CGROUP_MOUNT "/" CGROUP_SLICE);
	host->create_parent = true;
	host->can_write_parent = true;
	return true;
}

/* The parent of our own cgroup, if it is delegated to us: owned by our uid and its
 * cgroup.subtree_control (to enable controllers) and cgroup.procs writable. cgroup.procs
 * matters because CLONE_INTO_CGROUP is a migration, and migrating needs write access to the
 * cgroup.procs of the common ancestor of source (our cgroup) and destination (the leaf). */
static bool probe_delegated_parent(struct cgroup_host *host)
{
	char rel[sizeof(host->own_path)], abs[sizeof(host->parent_path)];
	struct stat st;

	if (strcmp(host->own_path, "/") == 0 || strncmp(host->own_path, "/..", 3) == 0) {
		cgroup_reason_set(host->reason, sizeof(host->reason),
			 "this process is in cgroup %s: not root and nothing delegated; fix: " SYSTEMD_FIX,
			 host->own_path);
		return false;
	}
	snprintf(rel, sizeof(rel), "%s", host->own_path);
	char *slash = strrchr(rel, '/');
	*slash = '\0'; /* rel is now the parent; "" for the root */
	if (snprintf(abs, sizeof(abs), CGROUP_MOUNT "%s", rel) >= (int)sizeof(abs)) {
		cgroup_reason_set(host->reason, sizeof(host->reason), "cgroup path too long: %s", host->own_path);
		return false;
	}
	if (stat(abs, &st) < 0) {
		cgroup_reason_set(host->reason, sizeof(host->reason), "cannot stat %s: %s", abs, strerror(errno));
		return false;
	}
	if (st.st_uid != geteuid() || !writable(abs, NULL) || !writable(abs, "cgroup.subtree_control") ||
	    !writable(abs, "cgroup.procs")) {
		cgroup_reason_set(host->reason, sizeof(host->reason),
			 "cgroup %s is not delegated to uid %u (owned by uid %u); fix: " SYSTEMD_FIX,
			 abs, (unsigned)geteuid(), (unsigned)st.st_uid);
		return false;
	}
	snprintf(host->parent_path, sizeof(host->parent_path), "%s", abs);
	snprintf(host->leaf_prefix, sizeof(host->leaf_prefix), CGROUP_DELEGATED_PREFIX);
	host->can_write_parent = true;
	return true;
}

/* Leaves can get what the directory they are made in is offered; when mlrun makes that
 * directory itself (mlrun.slice) it can enable anything the directory above it has. */
static void probe_controllers(struct cgroup_host *host)
{
	char dir[sizeof(host->parent_path)], list[512], missing[64] = "";

	snprintf(dir, sizeof(dir), "%s", host->parent_path);
	if (host->create_parent)
		*strrchr(dir, '/') = '\0';
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = fd < 0 ? -errno : cgroup_read(fd, "cgroup.controllers", list, sizeof(list));

	host->memory = host->cpu = host->pids = host->io = false;
	if (r < 0) {
		cgroup_reason_set(host->reason, sizeof(host->reason), "cannot read %s/cgroup.controllers: %s", dir,
				  strerror(-r));
		return;
	}
	host->memory = cgroup_list_has(list, "memory");
	host->cpu = cgroup_list_has(list, "cpu");
	host->pids = cgroup_list_has(list, "pids");
	host->io = cgroup_list_has(list, "io");
	for (int c = 0; c < CG_NCTRL; c++)
		if (!cgroup_list_has(list, cgroup_ctrl_name[c]))
			cgroup_reason_add(missing, sizeof(missing), "%s", cgroup_ctrl_name[c]);
	if (missing[0])
		cgroup_reason_set(host->reason, sizeof(host->reason),
				  "controllers not offered to leaves under %s: %s (%s/cgroup.controllers has \"%.*s\")",
				  host->parent_path, missing, dir, (int)strcspn(list, "\n"), list);
}

/* An explicit parent (--cgroup-parent): one that does not exist yet is made on first use, like
 * mlrun.slice, if its own parent is writable; one that exists must be writable by us as a
 * delegated subtree is, and leaves in it get the "mlrun-" prefix (it may hold other cgroups). */
int cgroup_host_set_parent(struct cgroup_host *host, const char *dir, struct error *err)
{
	char abs[sizeof(host->parent_path)];
	size_t len;

	if (!dir || dir[0] != '/')
		return error_set(err, EINVAL, "cgroup parent '%s' must be an absolute path", dir ? dir : "");
	if (strstr(dir, "/../") || strstr(dir, "/./") || ((len = strlen(dir)) >= 3 && strcmp(dir + len - 3, "/..") == 0))
		return error_set(err, EINVAL, "cgroup parent '%s' must not contain '.' or '..'", dir);
	/* Relative to the cgroup2 mount unless it already names a path under it. */
	bool under = strncmp(dir, CGROUP_MOUNT "/", sizeof(CGROUP_MOUNT)) == 0;
	if (snprintf(abs, sizeof(abs), "%s%s", under ? "" : CGROUP_MOUNT, dir) >= (int)sizeof(abs))
		return error_set(err, ENAMETOOLONG, "cgroup parent too long: %s", dir);
	for (len = strlen(abs); len > sizeof(CGROUP_MOUNT) && abs[len - 1] == '/'; len--)
		abs[len - 1] = '\0';
	if (strcmp(abs, CGROUP_MOUNT) == 0 || strcmp(abs, CGROUP_MOUNT "/") == 0)
		return error_set(err, EINVAL, "cgroup parent must be below " CGROUP_MOUNT ", not the root itself");
	if (!host->unified)
		return 0; /* leaves never go outside a pure cgroup2 tree: stay degraded */

	snprintf(host->parent_path, sizeof(host->parent_path), "%s", abs);
	host->reason[0] = '\0';
	host->can_write_parent = host->create_parent = false;
	host->leaf_prefix[0] = '\0';
	if (access(abs, F_OK) < 0) {
		char above[sizeof(abs)];
		snprintf(above, sizeof(above), "%s", abs);
		*strrchr(above, '/') = '\0';
		host->create_parent = host->can_write_parent = writable(above, NULL) && writable(above, "cgroup.subtree_control");
		if (!host->can_write_parent)
			cgroup_reason_set(host->reason, sizeof(host->reason), "cannot create cgroup %s: %s is not writable",
					  abs, above);
	} else {
		host->can_write_parent = writable(abs, NULL) && writable(abs, "cgroup.subtree_control") &&
					 writable(abs, "cgroup.procs");
		snprintf(host->leaf_prefix, sizeof(host->leaf_prefix), CGROUP_DELEGATED_PREFIX);
		if (!host->can_write_parent)
			cgroup_reason_set(host->reason, sizeof(host->reason),
					  "cgroup %s is not writable by uid %u (it, its cgroup.subtree_control and "
					  "cgroup.procs must be): " SYSTEMD_FIX, abs, (unsigned)geteuid());
	}
	if (host->can_write_parent)
		probe_controllers(host);
	return 0;
}

static bool kernel_at_least(unsigned major, unsigned minor)
{
	struct utsname u;
	unsigned ma = 0, mi = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* A file a non-root cgroup near us has, or failing that, the kernel version that added it
 * (distribution kernels backport, so the file wins when we can see one). */
static bool has_file(const struct cgroup_host *host, const char *name, unsigned major, unsigned minor)
{
	char path[1200];

	if (strcmp(host->own_path, "/") != 0) {
		snprintf(path, sizeof(path), CGROUP_MOUNT "%s/%s", host->own_path, name);
		if (access(path, F_OK) == 0)
			return true;
	}
	if (host->parent_path[0]) {
		snprintf(path, sizeof(path), "%s/%s", host->parent_path, name);
		if (access(path, F_OK) == 0)
			return true;
	}
	return kernel_at_least(major, minor);
}

void cgroup_probe(struct cgroup_host *host)
{
	memset(host, 0, sizeof(*host));
	bool unified = probe_layout(host);
	probe_own_path(host);
	if (!unified || host->reason[0])
		return;
	if (!probe_root_parent(host) && !probe_delegated_parent(host)) {
		if (geteuid() == 0) {
			char why[sizeof(host->reason)];
			snprintf(why, sizeof(why), "%s", host->reason);
			cgroup_reason_set(host->reason, sizeof(host->reason),
				 CGROUP_MOUNT " is not writable by this root (read-only cgroupfs or a user namespace); %s", why);
		}
		return;
	}
	probe_controllers(host);
	host->cgroup_kill = has_file(host, "cgroup.kill", 5, 14);
	host->memory_peak = has_file(host, "memory.peak", 5, 19);
}
