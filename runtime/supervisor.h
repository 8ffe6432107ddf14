/* supervisor.h - clone the sandbox, forward signals, enforce time limits, sample the cgroup,
 * reap, and turn what happened into a run_result. */
#pragma once

#include "run.h"
#include "sandbox.h"
#include "../lib/trace.h"

/* Returns 0 when the program ran (res filled, whatever its fate), or -errno when the sandbox
 * could not be set up (err filled; res->exit_code is 125, 126 or 127). Nothing is left
 * running either way. */
int supervise(struct sandbox *sb, struct cgroup_leaf *leaf, const struct policy *p, struct trace *tr,
	      struct run_result *res, struct error *err);
