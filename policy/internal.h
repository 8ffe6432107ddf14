/* internal.h - what policy.c shares with load.c; not part of the module's interface. */
#pragma once

#include <stdbool.h>

#include "policy.h"

/* Whether [section] exists at all (so a file names an unknown one once, at its header). */
bool policy_section_known(const char *section);

/* One cross-key problem; key1/key2 name the INI keys involved (key2 may be NULL), so
 * `mlrun check` can point at the line that set them. */
typedef void (*policy_problem_fn)(void *ctx, const char *key1, const char *key2, const char *msg);

/* Report every cross-key problem of p through fn; returns how many there were. */
int policy_validate_each(const struct policy *p, policy_problem_fn fn, void *ctx);
