/* state.h - one small JSON file per live sandbox, so that `mlrun ps/stats/kill/top/gc` can find
 * it: /run/mlrun as root, $XDG_RUNTIME_DIR/mlrun otherwise, /tmp/mlrun-UID without it. Written
 * by the supervisor after the clone, removed when the run ends; one whose supervisor is gone is
 * left for `mlrun gc`.
 *
 * Nothing in the directory is trusted for its name: the directory is used only when it and
 * every directory above it pass state_dir_open()'s checks, every file in it is reached with
 * *at() calls on that fd and read only when fstat says it is a private regular file of ours,
 * and what an entry names (a cgroup, pids) is checked again before it is acted on
 * (state_target.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

#define STATE_ID_MAX 64

struct state_entry {
	char id[STATE_ID_MAX];
	pid_t supervisor_pid;
	uint64_t supervisor_start; /* /proc/PID/stat starttime: guards against pid reuse */
	pid_t init_pid;		   /* the sandbox's pid 1, as seen from the host */
	uint64_t init_start;	   /* its starttime, as supervisor_start */
	char policy[128];
	char cgroup[1024]; /* leaf path, "" when the host has none */
	uint64_t started_ms; /* CLOCK_REALTIME */
	char command[512];
};

/* The state directory's path for this user; created (0700) and verified as state_dir_open()
 * does when create is true. */
int state_dir(char *buf, size_t len, bool create, struct error *err);
/* An O_PATH|O_DIRECTORY fd of the state directory (for *at() calls), created 0700 when create is true, only
 * if it is ours: a directory (not a link) owned by the euid with no group/other permission,
 * under directories owned by root or us that nobody else can write (unless sticky). Else
 * -errno with err naming the directory and the fix; -ENOENT without err when it does not
 * exist and create is false. */
int state_dir_open(bool create, struct error *err);
/* The same checks for another private state directory at the absolute path (mlrun-oci's --root):
 * its parent must resolve (links allowed, the result checked); the directory itself may not be
 * a link. */
int state_private_dir_open(const char *path, bool create, struct error *err);
int state_write(const struct state_entry *e, struct error *err);
void state_remove(const char *id);
/* Remove the temporary files (.ID.PID.tmp) of writers that died before renaming them (a
 * supervisor killed while registering its run). Returns how many were removed. */
size_t state_remove_orphan_tmp(void);
/* Every entry (malloc'd array in *out, count in *n). */
int state_list(struct state_entry **out, size_t *n, struct error *err);
int state_find(const char *id, struct state_entry *e, struct error *err);
/* The content of one state file NAME ("ID.json"), already checked as a private file of ours:
 * 0, or -EINVAL unless it is a JSON object whose id is NAME's. Pure: fuzzed by tests/fuzz/state.c. */
int state_entry_parse(const char *text, const char *name, struct state_entry *e);
/* The supervisor recorded in e is still the same live process. */
bool state_alive(const struct state_entry *e);
uint64_t state_proc_starttime(pid_t pid);

/* state_target.c: acting on what an entry names, each only after checking it is the sandbox's. */
struct cgroup_leaf;
/* The run's cgroup leaf, only if e->cgroup is exactly where mlrun puts the leaf of e->id under
 * this host's parent and opens as one (cgroup_leaf_open). -ENOENT when it is not. */
int state_open_leaf(const struct state_entry *e, struct cgroup_leaf *leaf);
/* pid 1 of the sandbox is still the one recorded: its start time matches, its parent is the
 * live supervisor recorded, and it is in a pid namespace other than ours. */
bool state_init_verified(const struct state_entry *e);
/* A pidfd of the sandbox's pid 1, verified as state_init_verified() does (mlrun-oci exec joins
 * its namespaces through it). -errno when it is not the recorded one. */
int state_open_init(const struct state_entry *e);
/* Signal the supervisor (which forwards it to the program) through a pidfd. 0 or -errno. */
int state_signal_supervisor(const struct state_entry *e, int sig);
/* SIGKILL everything in the sandbox: cgroup.kill of a verified leaf, else SIGKILL to its
 * verified pid 1 through a pidfd (the pid namespace dies with it). 0 or -errno. */
int state_kill_sandbox(const struct state_entry *e);
