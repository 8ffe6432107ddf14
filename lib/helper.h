/* helper.h - running one of the host's own programs (newuidmap, getent) from mlrun: found only in
 * /usr/bin or /usr/sbin (never PATH), opened by a walk that checks every directory on the way,
 * and executed from that fd with an empty environment. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* An O_PATH fd of /usr/bin/NAME or else /usr/sbin/NAME: a regular executable file that root
 * owns and only root can write, reached through directories only root can change, no link
 * followed. root_alias is another uid read as root's ((uid_t)-1: none): inside a user namespace
 * that does not map host root (rootless podman), root's files read as the overflow uid
 * (ns_root_alias()). -ENOENT (err untouched) when neither exists; another -errno with err set
 * when one is not root's alone. */
int helper_open(const char *name, uid_t root_alias, struct error *err);
/* The same check for DIR/NAME, DIR an absolute path (-ENOENT, err untouched, when it is not there). */
int helper_open_in(const char *dir, const char *name, uid_t root_alias, struct error *err);

struct helper_run {
	pid_t pid;
	int out;   /* read end of its stdout and stderr, -1 once read */
};

/* Start the program EXE (from helper_open) with ARGV, an empty environment, no blocked signals,
 * stdin /dev/null and stdout/stderr one pipe, without copying this process's memory (vfork).
 * 0 or -errno with err set. */
int helper_start(struct helper_run *h, int exe, char *const argv[], struct error *err);

/* Read what it wrote (the first size-1 bytes kept, NUL-terminated, the rest drained so that it
 * never blocks) and wait for it: its wait status, or -errno with err set. */
int helper_finish(struct helper_run *h, const char *name, char *out, size_t size, struct error *err);

/* Kill a started helper and reap it (on an error path before helper_finish). */
void helper_abort(struct helper_run *h);
