/* snapshot.c - a live sandbox's resource use, from the kernel (see snapshot.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "snapshot.h"

#define MAX_WALK 4096 /* processes of one sandbox walked through /proc */

void snapshot_open(struct snapshot_source *src, const struct state_entry *e)
{
	memset(src, 0, sizeof(*src));
	src->leaf.dirfd = -1;
	/* Only what is verified to be the sandbox's: its own leaf, its own pid 1 (not a reused pid). */
	src->init_pid = state_init_verified(e) ? e->init_pid : 0;
	if (state_open_leaf(e, &src->leaf) < 0)
		src->leaf.dirfd = -1;
}

void snapshot_close(struct snapshot_source *src)
{
	if (src->leaf.dirfd >= 0)
		close(src->leaf.dirfd);
	src->leaf.dirfd = -1;
}

/* cgroup.events "populated": a removed leaf's files read as absent (all zeros), an emptied
 * one as zeros too; neither is a reading of a running sandbox. */
static bool leaf_populated(int dirfd)
{
	char text[256];
	int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	return strstr(text, "populated 1") != NULL;
}

/* Exact CPU time of a process' live threads (schedstat: ns), in usec. */
static uint64_t threads_runtime_usec(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	_cleanup_closedir_ DIR *d = opendir(path);
	uint64_t ns = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char file[300], text[128];
		unsigned long long v;
		snprintf(file, sizeof(file), "%s/schedstat", de->d_name);
		_cleanup_close_ int fd = openat(dirfd(d), file, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
		if (n <= 0)
			continue;
		text[n] = '\0';
		if (sscanf(text, "%llu", &v) == 1)
			ns += v;
	}
	return ns / 1000;
}

int snapshot_parse_proc_stat(const char *line, char *state, unsigned long long *utime, unsigned long long *stime,
			     unsigned long long *rss_pages)
{
	const char *p = strrchr(line, ')');
	/* after ") ": state(3) ... utime(14) stime(15) ... rss(24); a line that ends at ")" has no
	 * p + 2 to read from */
	if (!p || p[1] != ' ' || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %*u %*u %llu",
			 state, utime, stime, rss_pages) != 4)
		return -EINVAL;
	return 0;
}

/* One process from /proc/PID/stat: adds its CPU time (usec) and RSS (bytes); returns its state
 * letter ('Z' for a zombie), 0 when it is gone. stat's utime+stime also count exited threads
 * but only in clock ticks (10 ms): the larger of it and the live threads' exact runtime is
 * the better estimate of both. */
static char proc_usage(pid_t pid, uint64_t *cpu_usec, uint64_t *rss)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f || !fgets(line, sizeof(line), f))
		return 0;
	char state = 0;
	unsigned long long ut = 0, st = 0, rss_pages = 0;
	if (snapshot_parse_proc_stat(line, &state, &ut, &st, &rss_pages) < 0)
		return 0;
	long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	uint64_t ticks_usec = (ut + st) * 1000000ull / (unsigned long long)hz, exact = threads_runtime_usec(pid);
	*cpu_usec += exact > ticks_usec ? exact : ticks_usec;
	*rss += rss_pages * (unsigned long long)page;
	return state;
}

/* A process' children are listed per thread (the thread that forked them): read them all, or
 * whatever a second thread forks is missed. Orphans are pid 1's, so from pid 1 down this
 * reaches every process of the sandbox's pid namespace. */
static size_t queue_children(pid_t pid, pid_t *queue, size_t tail)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	_cleanup_closedir_ DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char file[300];
		snprintf(file, sizeof(file), "%s/children", de->d_name);
		int fd = openat(dirfd(d), file, O_RDONLY | O_CLOEXEC);
		_cleanup_fclose_ FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
		if (!f && fd >= 0)
			close(fd);
		int c;
		while (f && tail < MAX_WALK && fscanf(f, "%d", &c) == 1)
			queue[tail++] = c;
	}
	return tail;
}

static int walk_procs(pid_t init, struct snapshot *s)
{
	pid_t queue[MAX_WALK];
	size_t head = 0, tail = 0;
	queue[tail++] = init;
	while (head < tail) {
		pid_t p = queue[head++];
		uint64_t rss_before = s->memory_bytes;
		char state = proc_usage(p, &s->cpu_usec, &s->memory_bytes);
		/* pid 1 exiting has released its memory before it is a zombie: a sample with RSS 0
		 * would be a point of the timeline that never was */
		if (p == init && (state == 0 || state == 'Z' || state == 'X' || s->memory_bytes == rss_before))
			return -ESRCH;
		s->pids += state != 0;
		tail = queue_children(p, queue, tail);
	}
	return 0;
}

int snapshot_read(const struct snapshot_source *src, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	if (src->leaf.dirfd >= 0 && cgroup_stats_read(&src->leaf, &s->cg) == 0) {
		if (!leaf_populated(src->leaf.dirfd))
			return -ESRCH;
		s->from_cgroup = true;
		s->cpu_usec = s->cg.cpu_usage_usec;
		s->memory_bytes = s->cg.memory_current_bytes;
		s->pids = s->cg.pids_current;
		return 0;
	}
	memset(&s->cg, 0, sizeof(s->cg));
	if (src->init_pid <= 0)
		return -ESRCH;
	return walk_procs(src->init_pid, s);
}

int snapshot_take(const struct state_entry *e, struct snapshot *s)
{
	struct snapshot_source src;
	snapshot_open(&src, e);
	int r = snapshot_read(&src, s);
	snapshot_close(&src);
	return r;
}
