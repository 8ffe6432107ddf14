/* limits.c - write the policy's limits into the leaf while it is still empty.
 *
 * They are written before the clone on purpose: the child is created inside the leaf by
 * CLONE_INTO_CGROUP, so there is no moment at which it (or a fork bomb it starts) runs
 * unlimited. A controller the leaf does not have is not an error: that limit is reported as not
 * enforced, with the reason, and the runtime falls back to the nearest rlimit. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/cleanup.h"

static void not_enforced(struct cgroup_leaf *leaf, const char *what, const char *why)
{
	cgroup_reason_add(leaf->reason, sizeof(leaf->reason), "%s limit not enforced: %s", what,
			  why[0] ? why : "controller not enabled for the leaf");
}

static int write_u64(struct cgroup_leaf *leaf, const char *file, uint64_t v, struct error *err)
{
	char value[24];

	if (v == POLICY_UNLIMITED)
		snprintf(value, sizeof(value), "max");
	else
		snprintf(value, sizeof(value), "%" PRIu64, v);
	return cgroup_write(leaf->dirfd, leaf->path, file, value, err);
}

static int apply_memory(struct cgroup_leaf *leaf, const struct policy *p, const char *why,
			struct error *err)
{
	int r;

	if (!leaf->enforced_memory) {
		if (p->memory_bytes != POLICY_UNLIMITED)
			not_enforced(leaf, "memory", why);
		return 0;
	}
	r = write_u64(leaf, "memory.max", p->memory_bytes, err);
	if (r < 0)
		return r;
	/* Swap is 0 unless asked for: pages pushed out to swap do not count against memory.max, so
	 * with swap a program could hold memory.max of RAM plus the whole swap device. */
	r = write_u64(leaf, "memory.swap.max", p->swap_bytes, err);
	if (r == -ENOENT)
		cgroup_reason_add(leaf->reason, sizeof(leaf->reason),
				  "%s/memory.swap.max missing (kernel without swap accounting): swap use is not limited",
				  leaf->path);
	else if (r < 0)
		return r;
	/* On OOM kill the whole sandbox, not one victim: a half-killed program (a dead worker, a
	 * live parent waiting on it) is worse than a clean "oom" verdict. */
	return cgroup_write(leaf->dirfd, leaf->path, "memory.oom.group", "1", err);
}

int cgroup_leaf_set_cpu_weight(const struct cgroup_leaf *leaf, uint64_t weight, struct error *err)
{
	char value[24];

	if (leaf->dirfd < 0 || !leaf->enforced_cpu)
		return error_set(err, EOPNOTSUPP, "cpu.weight: no cgroup v2 leaf with the cpu controller here");
	snprintf(value, sizeof(value), "%" PRIu64, weight);
	return cgroup_write(leaf->dirfd, leaf->path, "cpu.weight", value, err);
}

static int apply_cpu(struct cgroup_leaf *leaf, const struct policy *p, const char *why,
		     struct error *err)
{
	char value[48];
	int r;

	if (!leaf->enforced_cpu) {
		if (p->cpus > 0)
			not_enforced(leaf, "cpu", why);
		return 0;
	}
	r = cgroup_format_cpu_max(p->cpus, value, sizeof(value));
	if (r < 0)
		return error_set(err, -r, "bad cpus value %g for %s/cpu.max", p->cpus, leaf->path);
	return cgroup_write(leaf->dirfd, leaf->path, "cpu.max", value, err);
}

static int apply_pids(struct cgroup_leaf *leaf, const struct policy *p, const char *why,
		      struct error *err)
{
	if (!leaf->enforced_pids) {
		if (p->pids != POLICY_UNLIMITED)
			not_enforced(leaf, "pids", why);
		return 0;
	}
	return write_u64(leaf, "pids.max", p->pids, err);
}

/* The whole disk holding the filesystem of "/": io.max takes disks, not partitions (the kernel
 * answers ENODEV for a partition), so a partition is mapped to its disk through sysfs. */
static int root_disk(unsigned *maj, unsigned *min, char *why, size_t why_size)
{
	struct stat st;
	char path[96], text[32];

	if (stat("/", &st) < 0) {
		snprintf(why, why_size, "cannot stat /: %s", strerror(errno));
		return -errno;
	}
	*maj = major(st.st_dev);
	*min = minor(st.st_dev);
	if (*maj == 0) {
		snprintf(why, why_size, "/ is not on a block device (device 0:%u: tmpfs, overlay, 9p, btrfs "
			 "subvolume...), io.max has nothing to throttle", *min);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", *maj, *min);
	if (access(path, F_OK) == 0) {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev", *maj, *min);
		if (cgroup_read(AT_FDCWD, path, text, sizeof(text)) < 0 || sscanf(text, "%u:%u", maj, min) != 2) {
			snprintf(why, why_size, "cannot find the disk of partition %u:%u in %s", *maj, *min, path);
			return -ENODEV;
		}
	}
	return 0;
}

static bool unlimited_bps(uint64_t bps)
{
	return bps == 0 || bps == POLICY_UNLIMITED;
}

/* io.max throttles only the disk behind "/" (see docs/cgroups.md for what that leaves out). */
static int apply_io(struct cgroup_leaf *leaf, const struct policy *p, const char *why,
		    struct error *err)
{
	char value[96], disk_why[CGROUP_WHY_MAX];
	unsigned maj, min;
	int r;

	if (unlimited_bps(p->io_read_bps) && unlimited_bps(p->io_write_bps))
		return 0;
	if (!leaf->enforced_io) {
		not_enforced(leaf, "io", why);
		return 0;
	}
	if (root_disk(&maj, &min, disk_why, sizeof(disk_why)) < 0) {
		leaf->enforced_io = false;
		not_enforced(leaf, "io", disk_why);
		return 0;
	}
	r = cgroup_format_io_max(maj, min, p->io_read_bps, p->io_write_bps, value, sizeof(value));
	if (r < 0)
		return error_set(err, -r, "cannot format io.max for %u:%u", maj, min);
	struct error ioerr = { 0 };
	r = cgroup_write(leaf->dirfd, leaf->path, "io.max", value, &ioerr);
	/* A device the throttler cannot handle (ENODEV, EINVAL) is a host limitation, not a
	 * failure of the run. */
	if (r == -ENODEV || r == -EINVAL) {
		leaf->enforced_io = false;
		not_enforced(leaf, "io", ioerr.msg);
		return 0;
	}
	if (r < 0 && err && !error_isset(err))
		*err = ioerr;
	return r;
}

int cgroup_limits_apply(struct cgroup_leaf *leaf, const struct policy *p,
			char why[CG_NCTRL][CGROUP_WHY_MAX], struct error *err)
{
	int r = apply_memory(leaf, p, why[CG_MEMORY], err);

	if (r == 0)
		r = apply_cpu(leaf, p, why[CG_CPU], err);
	if (r == 0)
		r = apply_pids(leaf, p, why[CG_PIDS], err);
	if (r == 0)
		r = apply_io(leaf, p, why[CG_IO], err);
	return r;
}
