/* oci_hooks.h - the runtime-spec's hooks that mlrun-oci runs: prestart and createRuntime (by the
 * supervisor, once the container's namespaces exist, before anything of it runs), poststart (by
 * `start`) and poststop (by `delete`). docs/oci.md, "Hooks". */
#pragma once

#include <sys/types.h>

#include "../lib/error.h"
#include "oci_spec.h"

struct json_object;

/* The state JSON a hook reads on stdin (runtime-spec runtime.md "State"); malloc'd, or NULL. */
char *oci_hook_state(const char *id, const char *status, pid_t pid, const char *bundle,
		     struct json_object *annotations);

/* Run the stage's hooks in order, each to its end: the program the config names, its args and
 * env only, the state on stdin, output_fd as its stdout and stderr, no other descriptor, cwd the
 * bundle, in the namespaces runtime_ns names (three fds: net, ipc, uts; -1 = the caller's own).
 * 0, or -errno with err naming the hook ("hooks.createRuntime[0]: /x exited with status 1") at
 * the first that fails or outlives its timeout (then killed). */
int oci_hooks_run(const struct oci_spec *s, enum oci_hook_stage st, const char *state, const char *bundle,
		  const int runtime_ns[3], int output_fd, struct error *err);
