/* snapshot.h - one reading of a live sandbox's resource use: from its cgroup leaf's files where
 * there is a leaf, else from /proc of its processes (its pid 1 and every descendant). Shared by
 * `mlrun ps/stats/top` (one reading) and `mlrun profile` (a reading every interval). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../cgroup/cgroup.h"
#include "../runtime/state.h"

struct snapshot {
	bool from_cgroup;
	uint64_t cpu_usec, memory_bytes, pids;
	struct cgroup_stats cg; /* all the leaf said (io, peaks, oom kills); from_cgroup only */
};

/* Where readings come from: the leaf, opened once by its path in the state file and then only
 * through its dirfd, and pid 1 of the sandbox for the /proc fallback. */
struct snapshot_source {
	struct cgroup_leaf leaf; /* dirfd -1 when the sandbox has no leaf */
	pid_t init_pid;
};

void snapshot_open(struct snapshot_source *src, const struct state_entry *e);
void snapshot_close(struct snapshot_source *src);

/* 0, or -ESRCH when no process of the sandbox is left (its leaf is empty, or its pid 1 is gone
 * or a zombie). The /proc fallback sums RSS (shared pages count once per process) and knows
 * nothing of io; its CPU time is exact for live threads, in clock ticks for exited ones. */
int snapshot_read(const struct snapshot_source *src, struct snapshot *s);

/* The fields of one /proc/PID/stat line the fallback uses: state letter, utime and stime (clock
 * ticks), rss (pages). Pure; 0 or -EINVAL. */
int snapshot_parse_proc_stat(const char *line, char *state, unsigned long long *utime, unsigned long long *stime,
			     unsigned long long *rss_pages);

/* Open, read, close: one reading of the sandbox a state entry describes. */
int snapshot_take(const struct state_entry *e, struct snapshot *s);
