/* stats.c - one snapshot of the leaf's accounting, straight from the kernel's cgroup files.
 *
 * A file of a controller the leaf does not have is simply absent (ENOENT): its numbers stay 0
 * and the leaf's enforced_* flags already say so. memory.peak and pids.peak are newer than the
 * rest (5.19, 6.1), so they are read as optional and flagged with has_*. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <string.h>

#include "../lib/cleanup.h"

struct key_slot {
	const char *key;
	uint64_t *value;
};

/* Keep the first real failure; a missing file or key is not one. */
static void note(int *first, int r)
{
	if (r < 0 && r != -ENOENT && *first == 0)
		*first = r;
}

static int read_single(int dirfd, const char *file, uint64_t *v, bool *present)
{
	char text[64];
	int r = cgroup_read(dirfd, file, text, sizeof(text));

	if (r == 0)
		r = cgroup_parse_u64(text, v);
	if (present)
		*present = r == 0;
	return r;
}

static int read_keys(int dirfd, const char *file, const struct key_slot *slots, size_t n)
{
	char text[CGROUP_FILE_MAX];
	int r = cgroup_read(dirfd, file, text, sizeof(text));

	for (size_t i = 0; r == 0 && i < n; i++) {
		int k = cgroup_parse_flat_key(text, slots[i].key, slots[i].value);
		if (k == -EINVAL)
			r = k;
	}
	return r;
}

static int read_io(int dirfd, struct cgroup_stats *st)
{
	char text[CGROUP_FILE_MAX];
	int r = cgroup_read(dirfd, "io.stat", text, sizeof(text));

	return r < 0 ? r : cgroup_parse_io_stat(text, &st->io_read_bytes, &st->io_write_bytes);
}

int cgroup_stats_read(const struct cgroup_leaf *leaf, struct cgroup_stats *st)
{
	int fd = leaf ? leaf->dirfd : -1, first = 0;
	const struct key_slot memory_events[] = {
		{ "oom", &st->oom_events },
		{ "oom_kill", &st->oom_kills },
	};
	const struct key_slot cpu_stat[] = {
		{ "usage_usec", &st->cpu_usage_usec },	 { "user_usec", &st->cpu_user_usec },
		{ "system_usec", &st->cpu_system_usec }, { "nr_throttled", &st->nr_throttled },
		{ "throttled_usec", &st->throttled_usec },
	};
	const struct key_slot pids_events[] = { { "max", &st->pids_max_events } };

	memset(st, 0, sizeof(*st));
	if (fd < 0)
		return -EBADF;
	note(&first, read_single(fd, "memory.current", &st->memory_current_bytes, NULL));
	note(&first, read_single(fd, "memory.peak", &st->memory_peak_bytes, &st->has_memory_peak));
	note(&first, read_keys(fd, "memory.events", memory_events, ARRAY_SIZE(memory_events)));
	note(&first, read_keys(fd, "cpu.stat", cpu_stat, ARRAY_SIZE(cpu_stat)));
	note(&first, read_single(fd, "pids.current", &st->pids_current, NULL));
	note(&first, read_single(fd, "pids.peak", &st->pids_peak, &st->has_pids_peak));
	note(&first, read_keys(fd, "pids.events", pids_events, ARRAY_SIZE(pids_events)));
	note(&first, read_io(fd, st));
	return first;
}
