/* cgroup.h - the run's cgroup v2 leaf: create and limit it before the clone, read its
 * statistics while and after the program runs, kill everything in it, remove it.
 *
 * On a host without a usable cgroup v2 tree (hybrid/v1 layout, no delegation, controllers
 * missing) cgroup_leaf_create() still succeeds: the leaf is "degraded" (dirfd == -1 or a
 * controller missing), each enforced_* flag says what really holds, and reason[] says why, so
 * the runtime can fall back to rlimits and report honestly. mlrun never writes to a cgroup
 * tree that is not the host's pure cgroup2 hierarchy (or a subtree delegated to the caller). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "../policy/policy.h"
#include "../lib/error.h"

#define CGROUP_REASON_MAX 512
#define CGROUP_DRAIN_TIMEOUT_MS 2000 /* how long destroy waits for killed processes to exit */

/* What the host offers; filled by cgroup_probe() (also used by `mlrun features`). */
struct cgroup_host {
	bool unified;		   /* /sys/fs/cgroup is a cgroup2 mount (pure v2) */
	bool hybrid;		   /* a cgroup2 mount exists beside v1 controllers */
	char own_path[512];	   /* this process' cgroup, relative to the mount ("/user.slice/...") */
	char parent_path[1024];	   /* absolute dir where mlrun would create leaves ("" if none) */
	bool can_write_parent;	   /* parent is writable by us (root, or a delegated subtree) */
	bool create_parent;	   /* parent is mlrun's own slice, made on first use (root) */
	char leaf_prefix[16];	   /* leaf name = prefix + id: "" in mlrun.slice, "mlrun-" when
				      leaves sit beside the user's own cgroups (delegated) */
	bool memory, cpu, pids, io; /* controllers available to leaves under parent */
	bool memory_peak;	   /* memory.peak exists (kernel >= 5.19) */
	bool cgroup_kill;	   /* cgroup.kill exists (kernel >= 5.14) */
	char systemd_unit[96];	   /* the run's delegated systemd scope ("" if none; systemd.c) */
	uint64_t systemd_ns[4];	   /* CLOCK_MONOTONIC ns when the request began, the bus was
				      connected, StartTransientUnit replied, the job ended (-v) */
	bool systemd_retried;	   /* the manager knew no OOMPolicy for scopes: asked twice */
	char reason[CGROUP_REASON_MAX]; /* why leaves cannot be used, or "" */
};

struct cgroup_leaf {
	int dirfd;   /* O_PATH|O_DIRECTORY fd of the leaf (for CLONE_INTO_CGROUP); -1 if none */
	char path[1024]; /* absolute path of the leaf, "" if none */
	bool enforced_memory, enforced_cpu, enforced_pids, enforced_io;
	char reason[CGROUP_REASON_MAX]; /* what is not enforced and why; "" when all is */
};

struct cgroup_stats {
	uint64_t memory_current_bytes;
	uint64_t memory_peak_bytes;   /* memory.peak; 0 if the kernel has none */
	bool has_memory_peak;
	uint64_t cpu_usage_usec, cpu_user_usec, cpu_system_usec; /* cpu.stat */
	uint64_t nr_throttled, throttled_usec;
	uint64_t pids_current, pids_peak; /* pids.peak optional (kernel >= 6.1) */
	bool has_pids_peak;
	uint64_t pids_max_events;     /* pids.events "max": forks refused by pids.max */
	uint64_t io_read_bytes, io_write_bytes; /* io.stat rbytes/wbytes summed over devices */
	uint64_t oom_kills;	      /* memory.events oom_kill */
	uint64_t oom_events;	      /* memory.events oom */
};

/* Inspect the host (read-only). Never fails hard: problems land in host->reason. */
void cgroup_probe(struct cgroup_host *host);

/* Use dir (--cgroup-parent: absolute under /sys/fs/cgroup, or relative to it as in
 * /proc/self/cgroup) instead of the probed parent; re-checks writability and controllers. A
 * missing dir is created on first use (like mlrun.slice). -EINVAL for a path with '..' or
 * the root itself. On a host without pure cgroup v2 it changes nothing (leaves stay off). */
int cgroup_host_set_parent(struct cgroup_host *host, const char *dir, struct error *err);

/* Rootless on a pure v2 tree whose own cgroup is not delegated: ask the systemd user manager
 * (sd-bus, libsystemd loaded on demand) for a transient mlrun-<id>.scope in mlrun.slice with
 * Delegate=yes (memory, cpu, pids; io when the manager has it), move this process into <scope>/supervisor and re-probe, so
 * that leaves go to <scope>/mlrun-<id>. Returns 1 when the scope is in use (host->systemd_unit),
 * 0 when it does not apply or systemd cannot help (host->reason then says why, exactly: no bus,
 * refusal, ...; leaves stay off), -EEXIST (err filled) when such a scope exists already. The
 * scope goes away by itself once no process is left in it. */
int cgroup_systemd_scope(struct cgroup_host *host, const char *id, struct error *err);

/* For `mlrun features`: when cgroup_systemd_scope() would be tried, whether a user manager
 * answers and which controllers it could delegate (host->memory/cpu/pids/io, host->systemd_unit =
 * "mlrun-<id>.scope"), else why not (appended to host->reason). Starts nothing. */
void cgroup_systemd_probe(struct cgroup_host *host);

/* A run's leaf recorded at leaf_path (its state file) that sits in a systemd scope of mlrun's
 * (.../mlrun.slice/mlrun-<id or batch id>.scope/mlrun-<id>): point host at that scope, so that
 * cgroup_leaf_open(host, id) (which checks owner and leafness) finds it from any cgroup.
 * -ENOENT (host unchanged) for any other shape. */
int cgroup_host_use_scope(struct cgroup_host *host, const char *id, const char *leaf_path);

/* Create the leaf <parent>/<prefix><id> (parent: --cgroup-parent, else derived by cgroup_probe) with
 * the policy's limits written before any process enters it. Returns 0 with a degraded leaf
 * when the host cannot do better, -errno (err filled) when something that should have worked
 * failed; then nothing is left behind. */
int cgroup_leaf_create(struct cgroup_leaf *leaf, const struct cgroup_host *host, const char *id,
		       const struct policy *p, struct error *err);

/* Open the leaf of a live sandbox by id (for `mlrun stats/kill/ps/gc`); enforced_* says which
 * controllers it has. -ENOENT (err filled) when there is no such sandbox. */
int cgroup_leaf_open(struct cgroup_leaf *leaf, const struct cgroup_host *host, const char *id,
		     struct error *err);

/* Kill every process in the leaf (cgroup.kill; falls back to freeze + SIGKILL over
 * cgroup.procs on kernels < 5.14). Asynchronous: processes may still be exiting on return.
 * -EBADF when the leaf is degraded (no cgroup): the caller must kill the child by pid.
 * With cgroup.kill present it only calls openat/write/close (async-signal-safe). */
int cgroup_leaf_kill(const struct cgroup_leaf *leaf);

/* Freeze (or thaw) every process in the leaf (cgroup.freeze): Ctrl-Z on a run. -EBADF for a
 * degraded leaf. */
int cgroup_leaf_freeze(const struct cgroup_leaf *leaf, bool frozen);

/* One snapshot of the leaf's statistics. Optional files missing are flagged (has_*); files of
 * a controller the leaf lacks leave their fields 0. Returns 0, -EBADF for a degraded leaf, or
 * the first unexpected error (st then still holds everything that could be read). */
int cgroup_stats_read(const struct cgroup_leaf *leaf, struct cgroup_stats *st);

/* linux.resources.cpu.shares (cgroup v1's cpu.shares, [2, 262144], default 1024) as cgroup v2's
 * cpu.weight ([1, 10000], default 100), by runc's and crun's formula (opencontainers/cgroups
 * ConvertCPUSharesToCgroupV2Value since 2025): ceil(10^((l^2 + 125 l)/612 - 7/34)), l = log2(shares),
 * which maps the minimum, the default and the maximum onto each other (the older linear formula
 * 1 + (shares - 2) * 9999 / 262142 made the default 1024 a weight of 39). 0 (unset) stays 0;
 * values outside the range are clamped. Pure. */
#define CGROUP_CPU_SHARES_MIN 2
#define CGROUP_CPU_SHARES_MAX 262144
#define CGROUP_CPU_WEIGHT_MIN 1
#define CGROUP_CPU_WEIGHT_MAX 10000
uint64_t cgroup_cpu_weight_from_shares(uint64_t shares);

/* Write cpu.weight into the leaf before any process enters it. -EOPNOTSUPP (err filled) when the
 * leaf has no cpu controller (a degraded leaf: nothing to write it to). */
int cgroup_leaf_set_cpu_weight(const struct cgroup_leaf *leaf, uint64_t weight, struct error *err);

/* Kill what is left, wait (bounded, CGROUP_DRAIN_TIMEOUT_MS) for populated 0, rmdir, close
 * the fd. Idempotent; on failure the leaf is kept as is so that a retry (or `mlrun gc`) can
 * finish the job, and err names the path. */
int cgroup_leaf_destroy(struct cgroup_leaf *leaf, struct error *err);
