/* internal.h - what the cgroup/ files share and nobody else needs: the pure parsers (unit-tested
 * in tests/unit/test_cgroup.c) and the openat-based file helpers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

#define CGROUP_MOUNT "/sys/fs/cgroup"
#define CGROUP_SLICE "mlrun.slice"	 /* root's parent of all leaves, under CGROUP_MOUNT */
#define CGROUP_DELEGATED_PREFIX "mlrun-" /* leaf name prefix beside the user's own cgroups */
#define CGROUP_SCOPE_SLICE "mlrun.slice" /* the user manager's slice of mlrun-<id>.scope units */
#define CGROUP_CPU_PERIOD_USEC 100000ULL /* cpu.max period: the kernel's default, 100 ms */
#define CGROUP_CPU_MIN_QUOTA_USEC 1000ULL /* the kernel refuses quotas below 1 ms */
#define CGROUP_ID_MAX 64
#define CGROUP_FILE_MAX 16384 /* cgroup files we read are small; io.stat is the largest */

/* ---- pure parsers (parse.c): no OS state, no allocation ---- */

/* A decimal u64, or "max" -> UINT64_MAX; trailing whitespace allowed. 0, -EINVAL, -ERANGE. */
int cgroup_parse_u64(const char *s, uint64_t *v);

/* The value of `key` in a flat-keyed file ("key value\n" lines: cpu.stat, memory.events,
 * pids.events, cgroup.events). 0, -ENOENT when the key is absent, -EINVAL when malformed. */
int cgroup_parse_flat_key(const char *text, const char *key, uint64_t *v);

/* io.stat ("MAJ:MIN rbytes=N wbytes=N rios=N ..." per device): rbytes and wbytes summed over
 * every device. 0 or -EINVAL. */
int cgroup_parse_io_stat(const char *text, uint64_t *rbytes, uint64_t *wbytes);

/* This process' cgroup v2 path from /proc/self/cgroup's text (the "0::PATH" line, a trailing
 * " (deleted)" removed). 0, -ENOENT (no v2 line), -ENAMETOOLONG. */
int cgroup_parse_own_path(const char *text, char *path, size_t size);

/* Whether a space-separated controller list ("cpuset cpu io memory pids") holds name. */
bool cgroup_list_has(const char *list, const char *name);

/* cpu.max from a fractional number of cores: "<quota> <period>" with period 100000 µs; 0 cores
 * means no limit ("max 100000"). Quotas below 1 ms are raised to 1 ms (the kernel minimum).
 * 0, -EINVAL (negative, NaN), -ERANGE (absurdly large), -ENOBUFS. */
int cgroup_format_cpu_max(double cpus, char *buf, size_t size);

/* io.max line for one device; a zero rate is "max" (unlimited). 0 or -ENOBUFS. */
int cgroup_format_io_max(unsigned int major, unsigned int minor, uint64_t rbps, uint64_t wbps,
			 char *buf, size_t size);

/* Sandbox ids become directory names: [A-Za-z0-9_.-], 1..CGROUP_ID_MAX chars, no leading dot. */
bool cgroup_id_valid(const char *id);

/* Set a reason buffer / append "; "-separated text to one, truncating quietly: reasons are
 * for people, and a cut-off path beats a failure. */
void cgroup_reason_set(char *reason, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cgroup_reason_add(char *reason, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- file helpers (file.c): every file of a cgroup is opened with openat on its dirfd ---- */

/* Read a whole (small) cgroup file into buf, NUL-terminated. 0 or -errno; no error text, the
 * caller decides whether a missing file matters. */
int cgroup_read(int dirfd, const char *name, char *buf, size_t size);

/* Write value to dir/name in one write(2) (cgroup files take one value per write). On failure
 * err says "cannot write VALUE to DIRPATH/NAME: reason". */
int cgroup_write(int dirfd, const char *dirpath, const char *name, const char *value,
		 struct error *err);

/* The controllers mlrun uses, in the order it enables them. */
enum cgroup_ctrl { CG_MEMORY, CG_CPU, CG_PIDS, CG_IO, CG_NCTRL };
extern const char *const cgroup_ctrl_name[CG_NCTRL];
#define CGROUP_WHY_MAX 160

/* Enable each controller in want[] that dirfd's cgroup.controllers offers in its
 * cgroup.subtree_control, one write each so that one refusal does not hide the others. Why a
 * controller could not be enabled goes to why[c] (kept if already set: the first cause wins).
 * Returns 0, or -errno when cgroup.controllers cannot be read at all (why[] filled too). */
int cgroup_enable_controllers(int dirfd, const char *dirpath, const bool want[CG_NCTRL],
			      char why[CG_NCTRL][CGROUP_WHY_MAX]);

/* ---- across files ---- */

/* limits.c: write the policy's limits into the fresh, empty leaf. leaf->enforced_* says on entry
 * which controllers the leaf has; a limit asked for without its controller (or, for io, without
 * a disk to throttle) is cleared there and explained in leaf->reason, using why[]. */
int cgroup_limits_apply(struct cgroup_leaf *leaf, const struct policy *p,
			char why[CG_NCTRL][CGROUP_WHY_MAX], struct error *err);
