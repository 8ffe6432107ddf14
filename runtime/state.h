/* state.h - one small JSON file per live sandbox, so that `mlrun ps/stats/kill/top/gc` can find
 * it: /run/mlrun as root, $XDG_RUNTIME_DIR/mlrun otherwise. Written by the supervisor after
 * the clone, removed when the run ends; one whose supervisor is gone is left for `mlrun gc`. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define STATE_ID_MAX 64

struct state_entry {
	char id[STATE_ID_MAX];
	pid_t supervisor_pid;
	uint64_t supervisor_start; /* /proc/PID/stat starttime: guards against pid reuse */
	pid_t init_pid;		   /* the sandbox's pid 1, as seen from the host */
	char policy[128];
	char cgroup[1024]; /* leaf path, "" when the host has none */
	uint64_t started_ms; /* CLOCK_REALTIME */
	char command[512];
};

/* The state directory for this user; created (0700) when create is true. */
int state_dir(char *buf, size_t len, bool create, struct error *err);
int state_write(const struct state_entry *e, struct error *err);
void state_remove(const char *id);
/* Every entry (malloc'd array in *out, count in *n). */
int state_list(struct state_entry **out, size_t *n, struct error *err);
int state_find(const char *id, struct state_entry *e, struct error *err);
/* The supervisor recorded in e is still the same live process. */
bool state_alive(const struct state_entry *e);
uint64_t state_proc_starttime(pid_t pid);
