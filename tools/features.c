/* features.c - `mlrun features [--json]`: what this host offers and what mlrun would enforce. */
#define _GNU_SOURCE
#include <errno.h>
#include <json.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../lib/cleanup.h"
#include "features.h"

static long read_long(const char *path, long dflt)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	long v;
	if (!f || fscanf(f, "%ld", &v) != 1)
		return dflt;
	return v;
}

static int landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

static bool seccomp_available(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "Seccomp:", 8) == 0)
			return true;
	return false;
}

/* podman's and systemd's markers live in /run; docker's /.dockerenv counts only without systemd as
 * PID 1 (a VM or machine booted from a container image's tree has it too). */
static bool in_container(void)
{
	char comm[32] = "";
	_cleanup_fclose_ FILE *f = fopen("/proc/1/comm", "re");
	if (f && !fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	return access("/run/.containerenv", F_OK) == 0 || access("/run/systemd/container", F_OK) == 0 ||
	       (access("/.dockerenv", F_OK) == 0 && strcmp(comm, "systemd\n") != 0);
}

/* The case of docs/guide-rootless.md this host is, in the guide's order, and its fix. */
static void features_setup_case(struct features *ft)
{
	const struct cgroup_host *cg = &ft->cg;
#define CASE(tag, ...) (snprintf(ft->setup_case, sizeof(ft->setup_case), "%s", tag), \
			snprintf(ft->setup_fix, sizeof(ft->setup_fix), __VA_ARGS__))
	if (!ft->userns)
		CASE(ft->apparmor_restrict == 1 ? "apparmor-userns" : "no-userns", "%s", ft->userns_fix);
	else if (cg->systemd_unit[0])
		CASE("systemd-scope", "%s", "");
	else if (cg->parent_path[0] && cg->can_write_parent)
		CASE(geteuid() == 0 ? "root" : "delegated", "%s", "");
	else if (!cg->unified)
		CASE("no-cgroup-v2", "boot with systemd.unified_cgroup_hierarchy=1 (a pure cgroup v2 tree)");
	else if (in_container())
		CASE("container", "start the container with a cgroup namespace and a writable, delegated cgroup "
		     "(podman: --cgroupns=private; docker: --cgroupns=private and a cgroup v2 host)");
	else if (geteuid() == 0)
		CASE("root-readonly-cgroupfs", "%.300s", cg->reason);
	else
		CASE("no-systemd", "run mlrun in a cgroup delegated to you (see docs/guide-rootless.md)");
#undef CASE
}

void features_probe(struct features *ft)
{
	memset(ft, 0, sizeof(*ft));
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(ft->kernel, sizeof(ft->kernel), "%s", u.release);
	ft->max_user_namespaces = read_long("/proc/sys/user/max_user_namespaces", -1);
	ft->unprivileged_userns_clone = read_long("/proc/sys/kernel/unprivileged_userns_clone", -1);
	ft->apparmor_restrict = read_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", -1);
	ft->userns = ft->max_user_namespaces != 0 && (geteuid() == 0 || (ft->unprivileged_userns_clone != 0 &&
									  ft->apparmor_restrict != 1));
	ft->seccomp = seccomp_available();
	ft->landlock_abi = landlock_abi();
	cgroup_probe(&ft->cg);
	cgroup_systemd_probe(&ft->cg); /* rootless, not delegated: would the user manager give a scope? */
	features_setup_case(ft);
	if (ft->max_user_namespaces == 0)
		snprintf(ft->userns_fix, sizeof(ft->userns_fix), "sysctl -w user.max_user_namespaces=15000");
	else if (geteuid() != 0 && ft->unprivileged_userns_clone == 0)
		snprintf(ft->userns_fix, sizeof(ft->userns_fix), "sysctl -w kernel.unprivileged_userns_clone=1");
	else if (geteuid() != 0 && ft->apparmor_restrict == 1)
		snprintf(ft->userns_fix, sizeof(ft->userns_fix),
			 "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or install an AppArmor profile "
			 "for mlrun with 'userns,')");
}

static const char *yes_no(bool b) { return b ? "yes" : "no"; }

static void print_text(const struct features *ft)
{
	const struct cgroup_host *cg = &ft->cg;
	bool leaves = (cg->parent_path[0] && cg->can_write_parent) || cg->systemd_unit[0];
	printf("kernel              %s\n", ft->kernel);
	printf("user namespaces     %s%s%s\n", yes_no(ft->userns), ft->userns_fix[0] ? "; fix: " : "", ft->userns_fix);
	printf("cgroup v2           %s%s\n", cg->unified ? "unified" : (cg->hybrid ? "hybrid (v1 controllers)" : "absent"),
	       cg->reason[0] ? "" : "");
	if (cg->systemd_unit[0])
		printf("cgroup leaves       %s (a delegated scope per run from the systemd user manager)\n",
		       cg->parent_path);
	else
		printf("cgroup leaves       %s%s%s\n", leaves ? cg->parent_path : "no", cg->reason[0] ? " - " : "", cg->reason);
	printf("set-up case         %s%s%s\n", ft->setup_case, ft->setup_fix[0] ? "; fix: " : " (nothing to set up)",
	       ft->setup_fix);
	printf("controllers         memory=%s cpu=%s pids=%s io=%s\n", yes_no(cg->memory), yes_no(cg->cpu), yes_no(cg->pids), yes_no(cg->io));
	printf("memory.peak         %s\n", yes_no(cg->memory_peak));
	printf("cgroup.kill         %s\n", yes_no(cg->cgroup_kill));
	printf("seccomp             %s\n", yes_no(ft->seccomp));
	printf("landlock            %s (ABI %d)\n", yes_no(ft->landlock_abi > 0), ft->landlock_abi);
	printf("\nmlrun would enforce here:\n");
	printf("  namespaces        %s\n", ft->userns ? "user pid mount net ipc uts cgroup" : "NONE (cannot run)");
	printf("  memory limit      %s\n", leaves && cg->memory ? "cgroup memory.max" : "rlimit fallback (RLIMIT_DATA per process)");
	printf("  cpu limit         %s\n", leaves && cg->cpu ? "cgroup cpu.max" : "not enforced (no cpu controller)");
	printf("  pids limit        %s\n", leaves && cg->pids ? "cgroup pids.max" : "rlimit fallback (RLIMIT_NPROC)");
	printf("  cpu-time limit    %s\n", leaves ? "cgroup cpu.stat" : "rlimit fallback (RLIMIT_CPU, whole seconds, per process)");
	printf("  wall-clock limit  yes (supervisor)\n");
}

static void print_json(const struct features *ft)
{
	const struct cgroup_host *cg = &ft->cg;
	bool leaves = (cg->parent_path[0] && cg->can_write_parent) || cg->systemd_unit[0];
	json_object *o = json_object_new_object(), *c = json_object_new_object(), *w = json_object_new_object();
	json_object_object_add(o, "kernel", json_object_new_string(ft->kernel));
	json_object_object_add(o, "user_namespaces", json_object_new_boolean(ft->userns));
	json_object_object_add(o, "user_namespaces_fix", ft->userns_fix[0] ? json_object_new_string(ft->userns_fix) : NULL);
	json_object_object_add(o, "seccomp", json_object_new_boolean(ft->seccomp));
	json_object_object_add(o, "landlock_abi", json_object_new_int(ft->landlock_abi));
	json_object_object_add(c, "unified", json_object_new_boolean(cg->unified));
	json_object_object_add(c, "hybrid", json_object_new_boolean(cg->hybrid));
	json_object_object_add(c, "parent", leaves ? json_object_new_string(cg->parent_path) : NULL);
	json_object_object_add(c, "memory", json_object_new_boolean(cg->memory));
	json_object_object_add(c, "cpu", json_object_new_boolean(cg->cpu));
	json_object_object_add(c, "pids", json_object_new_boolean(cg->pids));
	json_object_object_add(c, "io", json_object_new_boolean(cg->io));
	json_object_object_add(c, "memory_peak", json_object_new_boolean(cg->memory_peak));
	json_object_object_add(c, "cgroup_kill", json_object_new_boolean(cg->cgroup_kill));
	json_object_object_add(c, "reason", cg->reason[0] ? json_object_new_string(cg->reason) : NULL);
	json_object_object_add(c, "systemd_scope", cg->systemd_unit[0] ? json_object_new_string(cg->systemd_unit) : NULL);
	json_object_object_add(o, "setup_case", json_object_new_string(ft->setup_case));
	json_object_object_add(o, "setup_fix", ft->setup_fix[0] ? json_object_new_string(ft->setup_fix) : NULL);
	json_object_object_add(o, "cgroup", c);
	json_object_object_add(w, "memory", json_object_new_boolean(leaves && cg->memory));
	json_object_object_add(w, "cpu", json_object_new_boolean(leaves && cg->cpu));
	json_object_object_add(w, "pids", json_object_new_boolean(leaves && cg->pids));
	json_object_object_add(w, "io", json_object_new_boolean(leaves && cg->io));
	json_object_object_add(w, "network", json_object_new_boolean(ft->userns));
	json_object_object_add(o, "would_enforce", w);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int features_main(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else {
			fprintf(stderr, "mlrun: features: unknown option '%s'\n", argv[i]);
			return 125;
		}
	}
	struct features ft;
	features_probe(&ft);
	if (json)
		print_json(&ft);
	else
		print_text(&ft);
	return 0;
}
