/* features.h - what the host offers (`mlrun features`). */
#pragma once

#include <stdbool.h>

#include "../cgroup/cgroup.h"
#include "../ns/ns.h"

/* As root: which identity a run takes (ns_can_map_ids, runtime/prepare.c). */
enum features_root { ROOT_NOT, ROOT_MODE, ROOT_OWN_UID, ROOT_IMPOSSIBLE };

struct features {
	char kernel[128];
	long max_user_namespaces, unprivileged_userns_clone, apparmor_restrict; /* -1: no such sysctl */
	bool userns;
	char userns_fix[256];
	bool seccomp;
	int landlock_abi;
	struct cgroup_host cg;
	struct ns_probe ns;	    /* what the container we run in allows (ns/probe.c) */
	char container_denied[128]; /* calls its seccomp filter denies, "" if none */
	bool hostname_only;	    /* ...and that is only sethostname (podman's profile): runs, keeps the hostname */
	enum features_root root;
	char setup_case[96];   /* which case of docs/guide-rootless.md this host is (short tag) */
	char setup_fix[512];   /* what to do about it, "" when nothing */
};

void features_probe(struct features *ft);
int features_main(int argc, char **argv);
