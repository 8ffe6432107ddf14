/* features.c - `mlrun features [--json]`: what this host offers and what mlrun would enforce. */
#define _GNU_SOURCE
#include <errno.h>
#include <json.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../lib/cleanup.h"
#include "../policy/policy.h"
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
	else if (ft->container_denied[0] && !ft->hostname_only)
		CASE("container", "%s", NS_FIX_CONTAINER);
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
	ns_probe(&ft->ns, true);
	ns_probe_denied(&ft->ns, ft->container_denied, sizeof(ft->container_denied));
	if (!ft->ns.filtered)
		ft->container_denied[0] = '\0';
	ft->hostname_only = ft->container_denied[0] && ns_probe_hostname_only(&ft->ns);
	struct policy dflt; /* the built-in [sandbox] uid and gid */
	policy_init(&dflt);
	bool root_mode = ns_can_map_ids(dflt.uid, dflt.gid);
	policy_free(&dflt);
	ft->root = geteuid() != 0	     ? ROOT_NOT
		   : root_mode		     ? ROOT_MODE
		   : ns_have_cap(CAP_SETFCAP) ? ROOT_OWN_UID
					     : ROOT_IMPOSSIBLE;
	cgroup_systemd_probe(&ft->cg); /* rootless, not delegated: would the user manager give a scope? */
	if (ft->max_user_namespaces == 0)
		snprintf(ft->userns_fix, sizeof(ft->userns_fix), "sysctl -w user.max_user_namespaces=15000");
	else if (geteuid() != 0 && ft->unprivileged_userns_clone == 0)
		snprintf(ft->userns_fix, sizeof(ft->userns_fix), "sysctl -w kernel.unprivileged_userns_clone=1");
	else if (geteuid() != 0 && ft->apparmor_restrict == 1)
		snprintf(ft->userns_fix, sizeof(ft->userns_fix),
			 "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or install an AppArmor profile "
			 "for mlrun with 'userns,')");
	features_setup_case(ft); /* last: it names the fixes found above */
}

static const char *yes_no(bool b) { return b ? "yes" : "no"; }

#define ROOT_FIX                                                                                   \
	"fix: give the container Docker's default capabilities (CAP_SETUID and CAP_SETGID, or at least " \
	"CAP_SETFCAP), or run it as a non-root user (USER 1000)"

static const char *root_text(enum features_root r)
{
	switch (r) {
	case ROOT_MODE:
		return "root: the sandbox runs as [sandbox] uid/gid (60000)";
	case ROOT_OWN_UID:
		return "root that cannot map uid 60000 (no CAP_SETUID/CAP_SETGID, or not mapped here): the sandbox runs "
		       "as uid 0 mapped to itself, as rootless";
	case ROOT_IMPOSSIBLE:
		return "root without CAP_SETUID/CAP_SETGID/CAP_SETFCAP: no user namespace can be mapped; " ROOT_FIX;
	default:
		return "not root: the sandbox runs as your own uid (rootless)";
	}
}

/* "yes", or why not and what to do; NULL when it could not be asked (no namespaces). */
static const char *fresh_proc_text(const struct features *ft)
{
	if (ft->ns.proc_err < 0)
		return NULL;
	if (ft->ns.proc_err == 0)
		return "yes";
	if (ft->ns.proc_err == EPERM)
		return "no - the kernel refuses one while this container's /proc has masked files "
		       "(mount_too_revealing): [sandbox] proc = fresh (strict) cannot run here, proc = container "
		       "uses the container's /proc read-only; " NS_FIX_UNMASK_PROC;
	return "no - the seccomp filter denies the new mount API; " NS_FIX_CONTAINER;
}

static bool can_run(const struct features *ft)
{
	return ft->userns && (!ft->container_denied[0] || ft->hostname_only) && ft->root != ROOT_IMPOSSIBLE;
}

#define HOSTNAME_ONLY_TEXT                                                                              \
	"runs, but cannot set the hostname - its seccomp filter denies sethostname (podman's default "  \
	"profile does): the sandbox keeps the container's hostname and the report says enforced.hostname " \
	"false; [sandbox] hostname_required = true (strict) refuses to run here"

/* The one fix for everything this container keeps from a sandbox, or NULL. */
static const char *container_fix(const struct features *ft)
{
	if (ft->container_denied[0] && !(ft->hostname_only && ft->ns.proc_err != EPERM))
		return NS_FIX_CONTAINER; /* with a masked /proc too: seccomp and systempaths */
	if (ft->root == ROOT_IMPOSSIBLE)
		return ROOT_FIX;
	if (ft->hostname_only)
		return NS_FIX_HOSTNAME;
	return ft->ns.proc_err == EPERM ? NS_FIX_UNMASK_PROC : NULL;
}

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
	if (ft->hostname_only)
		printf("container           " HOSTNAME_ONLY_TEXT "; " NS_FIX_HOSTNAME "\n");
	else if (ft->container_denied[0])
		printf("container           no sandbox possible - its seccomp filter denies %s; %s\n", ft->container_denied,
		       NS_FIX_CONTAINER);
	else
		printf("container           %s\n", ft->ns.filtered ? "a seccomp filter that allows what mlrun needs"
								: "no outer seccomp filter");
	const char *fp = fresh_proc_text(ft);
	printf("fresh /proc         %s\n", fp ? fp : "unknown (no namespaces)");
	printf("identity            %s\n", root_text(ft->root));
	printf("\nmlrun would enforce here:\n");
	printf("  namespaces        %s\n", !can_run(ft)	    ? "NONE (cannot run)"
					 : ft->hostname_only ? "user pid mount net ipc uts (the container's hostname) cgroup"
							     : "user pid mount net ipc uts cgroup");
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
	static const char *const roots[] = { "not-root", "root", "own-uid", "impossible" };
	const char *fp = fresh_proc_text(ft);
	json_object *k = json_object_new_object();
	json_object_object_add(k, "seccomp_filter", json_object_new_boolean(ft->ns.filtered));
	json_object_object_add(k, "denied", ft->container_denied[0] ? json_object_new_string(ft->container_denied) : NULL);
	json_object_object_add(k, "fresh_proc", fp ? json_object_new_boolean(ft->ns.proc_err == 0) : NULL);
	json_object_object_add(k, "identity", json_object_new_string(roots[ft->root]));
	json_object_object_add(k, "can_run", json_object_new_boolean(can_run(ft)));
	json_object_object_add(k, "hostname", ft->ns.hostname_err < 0 ? NULL : json_object_new_boolean(ft->ns.hostname_err == 0));
	const char *fix = container_fix(ft);
	json_object_object_add(k, "fix", fix ? json_object_new_string(fix) : NULL);
	json_object_object_add(o, "container", k);
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
