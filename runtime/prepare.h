/* prepare.h - build a struct sandbox from the merged policy and the command line. */
#pragma once

#include "run.h"
#include "sandbox.h"

/* Limits no cgroup enforces on this host, to be approximated with rlimits. */
struct sandbox_fallbacks {
	bool memory, pids, cpu_time;
	/* The container's filter denies sethostname (and [sandbox] hostname_required is false): the
	 * sandbox keeps this hostname, the container's, also named in /etc/hostname and /etc/hosts. */
	const char *kept_hostname;
};

int sandbox_prepare(struct sandbox *sb, const struct policy *p, const struct run_options *o, const char *id,
		    const struct sandbox_fallbacks *fb, struct error *err);
void sandbox_release(struct sandbox *sb);
