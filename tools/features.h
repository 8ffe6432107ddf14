/* features.h - what the host offers (`mlrun features`). */
#pragma once

#include <stdbool.h>

#include "../cgroup/cgroup.h"

struct features {
	char kernel[128];
	long max_user_namespaces, unprivileged_userns_clone, apparmor_restrict; /* -1: no such sysctl */
	bool userns;
	char userns_fix[256];
	bool seccomp;
	int landlock_abi;
	struct cgroup_host cg;
	char setup_case[96];   /* which case of docs/guide-rootless.md this host is (short tag) */
	char setup_fix[512];   /* what to do about it, "" when nothing */
};

void features_probe(struct features *ft);
int features_main(int argc, char **argv);
