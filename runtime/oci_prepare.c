/* oci_prepare.c - mlrun-oci's entry into the run path: an OCI bundle's config.json (parsed by
 * oci_spec.c) becomes the same struct policy and struct sandbox the exec-wrapper path builds,
 * and run_main() runs it with the same child, supervisor, cgroup leaf and report.
 *
 * What differs from `mlrun run` is only where things come from: the root is the bundle's
 * (rootfs/oci.c), the mounts, process, rlimits and seccomp filter are the config's, and the
 * program waits for `mlrun-oci start`. What does not differ: a user namespace always (container
 * uid 0 is an unprivileged host uid, never host root), no capability beyond the config's (and
 * those only in the program's own user namespace), no_new_privs always, pid 1 is mlrun's init.
 * See docs/oci.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/paths.h"
#include "oci_spec.h"
#include "prepare.h"

#define OCI_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int set(struct policy *p, const char *section, const char *key, const char *value, struct error *err)
{
	struct error e = { 0 };
	if (policy_set_from(p, section, key, value, "config.json", &e) < 0)
		return error_set(err, EINVAL, "config.json: [%s] %s = %s: %s", section, key, value, e.msg);
	return 0;
}

static int set_u64(struct policy *p, const char *section, const char *key, uint64_t v, struct error *err)
{
	char buf[32];
	if (v == POLICY_UNLIMITED)
		return set(p, section, key, "unlimited", err);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return set(p, section, key, buf, err);
}

static uint64_t tighter(uint64_t policy_value, uint64_t config_value)
{
	if (!config_value)
		return policy_value;
	return config_value < policy_value ? config_value : policy_value;
}

/* Without the annotation: exactly the config's limits (none where it sets none), no mlrun
 * seccomp profile (the config's own filter applies), no time limits. With
 * run.mlrun.policy = NAME: that policy's settings, each limit the tighter of the two. */
int oci_policy(struct policy *p, const struct run_oci *oci, struct error *err)
{
	const struct oci_spec *s = oci->spec;
	int r;

	policy_init(p);
	if (s->policy) {
		_cleanup_free_ char *path = NULL;
		if (strchr(s->policy, '/'))
			return error_set(err, EINVAL, "annotations.run.mlrun.policy: '%s': a policy name from mlrun's own "
					 "directories, not a path", s->policy);
		int fd = policy_open(s->policy, mlrun_policy_dirs(), &path, err);
		if (fd < 0)
			return fd;
		if ((r = policy_load_fd(p, fd, path, err)) < 0)
			return r;
	} else {
		static const char *const open_settings[][3] = {
			{ "limits", "memory", "unlimited" },   { "limits", "pids", "unlimited" },
			{ "limits", "cpus", "unlimited" },     { "limits", "timeout", "unlimited" },
			{ "limits", "cpu_time", "unlimited" }, { "security", "seccomp", "off" },
		};
		for (size_t i = 0; i < ARRAY_SIZE(open_settings); i++)
			if ((r = set(p, open_settings[i][0], open_settings[i][1], open_settings[i][2], err)) < 0)
				return r;
	}
	/* Settings that belong to the exec-wrapper's own root, or to the engine here. */
	if ((r = set(p, "sandbox", "quiet", "true", err)) < 0 || (r = set(p, "security", "landlock", "false", err)) < 0 ||
	    (r = set(p, "limits", "file_size", "unlimited", err)) < 0 || (r = set(p, "analysis", "python", "off", err)) < 0 ||
	    (r = set(p, "filesystem", "workdir", "none", err)) < 0)
		return r;
	if ((r = set_u64(p, "limits", "memory", tighter(p->memory_bytes, s->memory_limit), err)) < 0 ||
	    (r = set_u64(p, "limits", "pids", tighter(p->pids, s->pids_limit), err)) < 0)
		return r;
	if (s->cpu_quota) {
		double cpus = (double)s->cpu_quota / (double)s->cpu_period;
		if (p->cpus > 0 && p->cpus < cpus)
			cpus = p->cpus;
		char buf[32];
		snprintf(buf, sizeof(buf), "%.2f", cpus < 0.01 ? 0.01 : cpus);
		if ((r = set(p, "limits", "cpus", buf, err)) < 0)
			return r;
	}
	/* A joined network namespace is not one of mlrun's: as with the host's, the report says
	 * network: false, and a policy that asks for a network of its own cannot have it. */
	if (s->net_path && s->policy && p->net != NET_HOST)
		return error_set(err, EINVAL, "annotations.run.mlrun.policy: the policy's [network] net cannot hold in the "
				 "network namespace linux.namespaces joins (%s)", s->net_path);
	/* No network namespace in the config is the host's network; a policy asking for less gets it. */
	if (!(s->namespaces & OCI_NS_NET) || s->net_path) {
		if (!s->policy || p->net == NET_HOST) {
			if ((r = set(p, "network", "allow_host", "true", err)) < 0 || (r = set(p, "network", "net", "host", err)) < 0)
				return r;
		}
	} else if (p->net == NET_HOST || !s->policy) {
		if ((r = set(p, "network", "net", "loopback", err)) < 0)
			return r;
	}
	if (s->hostname && s->hostname[0] && (r = set(p, "sandbox", "hostname", s->hostname, err)) < 0)
		return r;
	return policy_validate(p, err);
}

/* A resource the config limits must be enforced: there is no rlimit fallback in this mode. */
int oci_check_enforced(const struct run_oci *oci, const struct policy *p, const struct run_enforced *e,
		       struct error *err)
{
	const struct oci_spec *s = oci->spec;
	const char *field = s->memory_limit && !e->memory ? "linux.resources.memory.limit"
			    : s->pids_limit && !e->pids	  ? "linux.resources.pids.limit"
			    : s->cpu_quota && !e->cpu	  ? "linux.resources.cpu.quota"
			    : s->cpu_shares && s->cpu_shares != OCI_CPU_SHARES_DEFAULT && !e->cpu ? "linux.resources.cpu.shares"
							  : NULL;
	(void)p; /* the annotation's own limits degrade as in `mlrun run` (rlimits, enforced: false) */
	if (field)
		return error_set(err, EOPNOTSUPP, "%s: cannot be enforced on this host (%s); mlrun-oci has no fallback", field,
				 e->why[0] ? e->why : "no cgroup v2 leaf");
	return 0;
}

/* Why enforced.seccomp is false for a container without mlrun's own filter: the config's filter
 * (if any) still decides, in the kernel, but nothing of it is counted. */
const char *oci_seccomp_why(const struct run_oci *oci)
{
	return oci->spec->seccomp ? "seccomp: mlrun's own filter is off (no run.mlrun.policy annotation); the config's "
				    "linux.seccomp filter is loaded and denies in the kernel, its denials are not "
				    "counted (config_seccomp)"
				  : "seccomp: mlrun's own filter is off (no run.mlrun.policy annotation) and the config "
				    "has no linux.seccomp: no system call is filtered";
}

/* linux.resources.cpu.shares becomes the leaf's cpu.weight (cgroup/cgroup.h has the formula),
 * written before the clone like every limit; without a leaf only the default passes
 * (oci_check_enforced). */
int oci_set_cpu_weight(const struct run_oci *oci, const struct cgroup_leaf *leaf, struct error *err)
{
	const struct oci_spec *s = oci->spec;
	if (!s->cpu_shares || leaf->dirfd < 0 || !leaf->enforced_cpu)
		return 0;
	uint64_t w = cgroup_cpu_weight_from_shares(s->cpu_shares);
	struct error e = { 0 };
	int r = cgroup_leaf_set_cpu_weight(leaf, w, &e);
	if (r < 0)
		error_set(err, 0, "linux.resources.cpu.shares: %llu (cpu.weight %llu): %s", (unsigned long long)s->cpu_shares,
			  (unsigned long long)w, e.msg);
	return r;
}

void oci_note_enforced(const struct run_oci *oci, struct run_enforced *e)
{
	/* the config's own filter alone, its denials counted (seccomp_count_config) */
	if (oci->spec->seccomp && !oci->spec->policy && !oci->spec->seccomp_uncounted) {
		e->seccomp = true;
		e->seccomp_profile = "linux.seccomp";
	}
	if (!oci->spec->uts_path)
		return;
	e->hostname = false;
	snprintf(e->hostname_why, sizeof(e->hostname_why), "hostname: the container joined the UTS namespace %s "
		 "(linux.namespaces): its hostname is that namespace's", oci->spec->uts_path);
}

/* The host id that id (inside) maps to in ranges r, or -1. */
static int64_t map_one(const struct ns_idmap_range *r, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= r[i].inside && id - r[i].inside < r[i].count)
			return (int64_t)r[i].outside + (id - r[i].inside);
	return -1;
}

/* The config's ranges, or mlrun's one id (dflt) for the process' own. */
static size_t take_ranges(struct ns_idmap_range *out, const struct oci_idmap *m, size_t n, uint32_t id, uint32_t dflt)
{
	if (!n) {
		out[0] = (struct ns_idmap_range){ id, dflt, 1 };
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (struct ns_idmap_range){ m[i].container, m[i].host, m[i].size };
	return n;
}

/* The container's root is never the host's: an id mapped onto host uid or gid 0 would make every
 * file of the host that root owns the container's. Outside the initial user namespace (rootless
 * podman), "host 0" is id 0 of the namespace above mlrun-oci's own, which is what the kernel
 * lets mlrun-oci's map reach: the check reads mlrun-oci's own map. */
static int check_no_root(const struct ns_idmap_range *r, size_t n, const char *what, struct error *err)
{
	for (size_t i = 0; i < n; i++)
		if (ns_range_reaches_parent_root(what[0] == 'u' ? "/proc/self/uid_map" : "/proc/self/gid_map", r[i].outside,
						 r[i].count))
			return error_set(err, EPERM, "linux.%sMappings[%zu]: maps container %ss onto host %s 0; mlrun-oci "
					 "never runs a container as host root", what, i, what, what);
	return 0;
}

static int build_idmap(struct sandbox *sb, const struct policy *p, const struct oci_spec *s, struct error *err)
{
	struct ns_idmap *m = &sb->idmap;
	int r;
	if (sb->as_root && (r = sandbox_check_ids(p, err)) < 0)
		return r;
	uint32_t dflt_uid = sb->as_root ? p->uid : geteuid(), dflt_gid = sb->as_root ? p->gid : getegid();
	m->n_uid = take_ranges(m->uid, s->uid_map, s->n_uid_map, s->uid, dflt_uid);
	m->n_gid = take_ranges(m->gid, s->gid_map, s->n_gid_map, s->gid, dflt_gid);
	int64_t host_uid = map_one(m->uid, m->n_uid, s->uid), host_gid = map_one(m->gid, m->n_gid, s->gid);
	if (host_uid < 0 || host_gid < 0)
		return error_set(err, EINVAL, "linux.%sMappings: the process' %s %u is not in the mapped ranges",
				 host_uid < 0 ? "uid" : "gid", host_uid < 0 ? "uid" : "gid",
				 (unsigned)(host_uid < 0 ? s->uid : s->gid));
	if ((r = check_no_root(m->uid, m->n_uid, "uid", err)) < 0 || (r = check_no_root(m->gid, m->n_gid, "gid", err)) < 0)
		return r;
	/* Each supplementary group must exist in the container (setgroups refuses an unmapped gid). */
	for (size_t i = 0; i < s->n_groups; i++) {
		if (map_one(m->gid, m->n_gid, s->groups[i]) < 0)
			return error_set(err, EINVAL, "process.user.additionalGids[%zu]: gid %u is not in the container's "
					 "gid map (%s)", i, (unsigned)s->groups[i],
					 s->n_gid_map ? "linux.gidMappings" : "mlrun-oci maps only the primary gid without "
					 "linux.gidMappings");
		_Static_assert(ARRAY_SIZE(sb->groups) >= OCI_MAX_GROUPS, "room for every additional gid");
		sb->groups[sb->n_groups++] = s->groups[i];
	}
	m->inside_uid = s->uid, m->host_uid = (uid_t)host_uid;
	m->inside_gid = s->gid, m->host_gid = (gid_t)host_gid;
	m->newuidmap_fd = m->newgidmap_fd = -1;
	/* Who may write these maps. Root with CAP_SETUID and CAP_SETGID over its namespace writes
	 * them (the kernel checks each id is mapped in its own namespace). A user writes one id, its
	 * own, after denying setgroups; any other range goes through the setuid helpers, which allow
	 * only the ranges /etc/subuid and /etc/subgid give the caller. */
	if (sb->as_root && ns_have_cap(CAP_SETUID) && ns_have_cap(CAP_SETGID))
		return 0;
	if (m->n_uid == 1 && m->n_gid == 1 && m->uid[0].count == 1 && m->gid[0].count == 1 &&
	    m->uid[0].outside == geteuid() && m->gid[0].outside == getegid() && !s->n_groups) {
		m->deny_setgroups = true;
		return 0;
	}
	m->via_helpers = true;
	m->need_setgroups = s->n_groups > 0;
	if ((m->newuidmap_fd = ns_open_idmap_helper("newuidmap", err)) < 0 ||
	    (m->newgidmap_fd = ns_open_idmap_helper("newgidmap", err)) < 0)
		return m->newuidmap_fd < 0 ? m->newuidmap_fd : m->newgidmap_fd;
	return 0;
}

/* A path of the config relative to the bundle, or absolute: canonical, for the plan's walk
 * without links. The engine is the caller: its paths are its intent. */
static int bundle_path(const struct run_oci *oci, const char *path, const char *what, char *out, struct error *err)
{
	char joined[PATH_MAX];
	if (path[0] != '/') {
		if (snprintf(joined, sizeof(joined), "%s/%s", oci->bundle, path) >= (int)sizeof(joined))
			return error_set(err, ENAMETOOLONG, "%s: path too long", what);
		path = joined;
	}
	if (!realpath(path, out))
		return error_set(err, errno, "%s: %s", what, path);
	return 0;
}

#define SYSFS_BIND_ATTR (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

static int build_plan(struct sandbox *sb, const struct run_oci *oci, struct error *err)
{
	const struct oci_spec *s = oci->spec;
	char path[PATH_MAX];
	int r;
	if ((r = bundle_path(oci, s->root_path, "root.path", path, err)) < 0 ||
	    (r = rootfs_oci_begin(&sb->plan, path, !s->root_readonly, err)) < 0)
		return r;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct oci_mount *m = &s->mounts[i];
		char what[48];
		snprintf(what, sizeof(what), "mounts[%zu].source", i);
		switch (m->kind) {
		case OCI_BIND:
			if ((r = bundle_path(oci, m->src, what, path, err)) < 0)
				return r;
			/* nodev always: no device of the host through a bind */
			r = rootfs_oci_add_bind(&sb->plan, path, m->dst, m->attr | MOUNT_ATTR_NODEV, m->recursive, err);
			break;
		case OCI_TMPFS:
			r = rootfs_oci_add_fs(&sb->plan, ROOTFS_TMPFS, NULL, m->dst, m->attr, m->size, m->mode, err);
			break;
		case OCI_PROC:
			r = rootfs_oci_add_fs(&sb->plan, ROOTFS_PROC, NULL, m->dst, m->attr, NULL, NULL, err);
			break;
		case OCI_DEVPTS:
			r = rootfs_oci_add_fs(&sb->plan, ROOTFS_DEVPTS, NULL, m->dst, m->attr, NULL, NULL, err);
			break;
		case OCI_SYSFS:
			/* The host's network (no network namespace: a Kubernetes pod on hostNetwork): a fresh
			 * sysfs needs CAP_SYS_ADMIN over the network namespace's owner, which the container
			 * never holds; so, as runc and crun fall back, the host's /sys read-only. A joined
			 * network gets its own sysfs, made by the supervisor in it (rootfs_premake_fs). */
			if (sb->policy->net == NET_HOST && !s->net_path)
				r = rootfs_oci_add_bind(&sb->plan, "/sys", m->dst, m->attr | SYSFS_BIND_ATTR, true, err);
			else
				r = rootfs_oci_add_fs(&sb->plan, ROOTFS_FS, "sysfs", m->dst, m->attr, NULL, NULL, err);
			break;
		case OCI_MQUEUE:
			r = rootfs_oci_add_fs(&sb->plan, ROOTFS_FS, "mqueue", m->dst, m->attr, NULL, NULL, err);
			break;
		case OCI_CGROUP:
			r = rootfs_oci_add_fs(&sb->plan, ROOTFS_FS, "cgroup2", m->dst, m->attr, NULL, NULL, err);
			break;
		}
		if (r < 0)
			return r;
	}
	if ((r = rootfs_oci_add_devices(&sb->plan, err)) < 0 ||
	    (oci->tty >= 0 && (r = rootfs_oci_add_console(&sb->plan, oci->tty, err)) < 0) ||
	    (r = rootfs_oci_make_mountpoints(&sb->plan, err)) < 0)
		return r;
	for (size_t i = 0; i < s->n_masked; i++)
		if ((r = rootfs_oci_add_mask(&sb->plan, s->masked[i], false, err)) < 0)
			return r;
	for (size_t i = 0; i < s->n_read_only; i++)
		if ((r = rootfs_oci_add_mask(&sb->plan, s->read_only[i], true, err)) < 0)
			return r;
	if (!(sb->plan.cwd = strdup(s->cwd)))
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

static char **copy_strv(char *const *v, size_t n)
{
	char **out = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; out && i < n; i++)
		if (!(out[i] = strdup(v[i]))) {
			for (size_t j = 0; j < i; j++)
				free(out[j]);
			free(out);
			return NULL;
		}
	return out;
}

/* args[0] with a slash is tried as is; a bare name in each directory of the config's PATH. */
static int build_exec(struct sandbox *sb, const struct oci_spec *s, struct error *err)
{
	if (!(sb->argv = copy_strv(s->args, s->n_args)) || !(sb->envp = copy_strv(s->env, s->n_env)))
		return error_set(err, ENOMEM, "out of memory");
	const char *prog = s->args[0];
	if (strchr(prog, '/')) {
		if (!(sb->exec_paths[0] = strdup(prog)))
			return error_set(err, ENOMEM, "out of memory");
		sb->n_exec_paths = 1;
		return 0;
	}
	const char *dirs = OCI_DEFAULT_PATH;
	for (size_t i = 0; i < s->n_env; i++)
		if (strncmp(s->env[i], "PATH=", 5) == 0)
			dirs = s->env[i] + 5;
	char buf[PATH_MAX];
	while (*dirs && sb->n_exec_paths < SANDBOX_MAX_EXEC_PATHS) {
		size_t len = strcspn(dirs, ":");
		if (len && snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, dirs, prog) < (int)sizeof(buf) &&
		    !(sb->exec_paths[sb->n_exec_paths++] = strdup(buf)))
			return error_set(err, ENOMEM, "out of memory");
		dirs += len + (dirs[len] == ':');
	}
	if (!sb->n_exec_paths)
		return error_set(err, ENOENT, "process.args[0]: %s: no PATH to look it up in", prog);
	return 0;
}

/* The config's rlimits (or an exec's process'); with the annotation, merged with the policy's
 * (and its fallbacks for limits no cgroup enforces here, as `mlrun run` applies them): the
 * lower of the two. */
static int build_rlimits(struct sandbox *sb, const struct policy *p, bool with_policy, const struct oci_rlimit *rl,
			 size_t n, const struct sandbox_fallbacks *fb, struct error *err)
{
	if (with_policy)
		sandbox_policy_rlimits(sb, p, fb);
	for (size_t i = 0; i < n; i++) {
		const struct oci_rlimit *c = &rl[i];
		size_t j = 0;
		while (j < sb->n_rlimits && sb->rlimits[j].resource != c->resource)
			j++;
		if (j == sb->n_rlimits) {
			if (j >= ARRAY_SIZE(sb->rlimits))
				return error_set(err, E2BIG, "process.rlimits: too many with the policy's own");
			sb->rlimits[sb->n_rlimits++] = (struct sandbox_rlimit){ c->resource, c->soft, c->hard };
			continue;
		}
		struct sandbox_rlimit *m = &sb->rlimits[j];
		m->soft = c->soft < m->soft ? c->soft : m->soft;
		m->hard = c->hard < m->hard ? c->hard : m->hard;
		if (m->soft > m->hard)
			m->soft = m->hard;
	}
	return 0;
}

/* The capability that, held in the namespace that set the sandbox up, would undo its mounts:
 * unmount or remount the masks of /proc and the read-only root, mount a fresh, unmasked proc.
 * (CAP_SYS_PTRACE there does not reach pid 1: it never exec'd, so its memory belongs to the
 * caller's user namespace, and the kernel asks for the capability there.) */
#define CAPS_OVER_MOUNTS (1ull << CAP_SYS_ADMIN)

/* process.capabilities, as the config grants them; none with the annotation run.mlrun.policy
 * (an mlrun policy grants no capability, and its seccomp profile denies what they would allow).
 * A program that may hold CAPS_OVER_MOUNTS runs in a user namespace of its own (child.c,
 * enter_container_userns), where it acts only on its own locked copy of the mounts. */
static int build_caps(struct sandbox *sb, const struct oci_spec *s, struct error *err)
{
	struct sandbox_caps *c = &sb->caps;
	if (s->policy)
		return 0;
	c->bounding = s->caps.set[OCI_CAP_BOUNDING];
	c->effective = s->caps.set[OCI_CAP_EFFECTIVE];
	c->permitted = s->caps.set[OCI_CAP_PERMITTED];
	c->inheritable = s->caps.set[OCI_CAP_INHERITABLE];
	c->ambient = s->caps.set[OCI_CAP_AMBIENT];
	c->own_userns = (c->permitted & CAPS_OVER_MOUNTS) != 0;
	c->own_netns = c->own_userns && (sb->clone_flags & CLONE_NEWNET);
	snprintf(c->uid_map, sizeof(c->uid_map), "%u %u 1\n", (unsigned)sb->idmap.inside_uid, (unsigned)sb->idmap.inside_uid);
	snprintf(c->gid_map, sizeof(c->gid_map), "%u %u 1\n", (unsigned)sb->idmap.inside_gid, (unsigned)sb->idmap.inside_gid);
	/* The program writes its own id maps through a proc of the sandbox's pid namespace, which
	 * the kernel mounts only where a proc is mounted already (not "too revealing"). */
	bool has_proc = false;
	for (size_t i = 0; i < s->n_mounts; i++)
		has_proc = has_proc || s->mounts[i].kind == OCI_PROC;
	if (c->own_userns && !has_proc)
		return error_set(err, EOPNOTSUPP, "process.capabilities: CAP_SYS_ADMIN needs a proc mount in mounts (the "
				 "container's own user namespace is set up through it; docs/oci.md)");
	return 0;
}

/* linux.namespaces[].path: each opened and checked now (ns/join.c); the supervisor enters them
 * before the clone, so the clone does not create those. A joined UTS namespace keeps its
 * hostname (setting one would change the other containers'), and the child brings up no lo in
 * a joined network namespace. */
static int build_joins(struct sandbox *sb, const struct oci_spec *s, struct error *err)
{
	static const char *const what[] = { "linux.namespaces (network).path", "linux.namespaces (ipc).path",
					    "linux.namespaces (uts).path" };
	const char *paths[] = { s->net_path, s->ipc_path, s->uts_path };
	const int types[] = { CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS };
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (!paths[i])
			continue;
		int fd = ns_open_join(paths[i], types[i], what[i], err);
		if (fd < 0)
			return fd;
		sb->join_fd[sb->n_join] = fd;
		sb->join_type[sb->n_join] = types[i];
		sb->join_what[sb->n_join++] = what[i];
		sb->clone_flags &= ~(uint64_t)types[i];
	}
	if (s->net_path)
		sb->loopback = false;
	if (s->uts_path) {
		if (s->hostname && s->hostname[0])
			return error_set(err, EINVAL, "hostname: cannot be set in the UTS namespace linux.namespaces joins (%s)",
					 s->uts_path);
		sb->hostname = NULL;
	}
	return 0;
}

/* linux.sysctl's keys as paths under /proc/sys (dots become slashes, as runc does). */
static int build_sysctls(struct sandbox *sb, const struct oci_spec *s, struct error *err)
{
	for (size_t i = 0; i < s->n_sysctls; i++) {
		struct sandbox_sysctl *d = &sb->sysctls[i];
		if (i >= ARRAY_SIZE(sb->sysctls) || strlen(s->sysctls[i].key) >= sizeof(d->path))
			return error_set(err, E2BIG, "linux.sysctl.%s: too many or too long", s->sysctls[i].key);
		snprintf(d->path, sizeof(d->path), "%s", s->sysctls[i].key);
		for (char *c = d->path; *c; c++)
			if (*c == '.')
				*c = '/';
		d->value = s->sysctls[i].value;
		d->len = strlen(d->value);
		sb->n_sysctls = i + 1;
	}
	return 0;
}

int sandbox_prepare_oci(struct sandbox *sb, const struct policy *p, const struct run_oci *oci, const char *id,
			const struct sandbox_fallbacks *fb, struct error *err)
{
	const struct oci_spec *s = oci->spec;
	int r;

	memset(sb, 0, sizeof(*sb));
	sb->policy = p;
	sb->id = id;
	sb->hostname = p->hostname;
	sb->sync_fd = sb->msg_fd = sb->status_fd = -1;
	sb->premade_fd[0] = sb->premade_fd[1] = -1;
	sb->ready_fd = oci->ready_fd;
	sb->start_fd = oci->start_fd;
	for (int fd = 0; fd < 3; fd++)
		sb->oci_stdio[fd] = oci->stdio[fd];
	sb->no_pty = true;
	/* process.terminal: the engine's pty is the program's fds 0-2 and controlling terminal */
	sb->tty_slave = oci->tty;
	for (int fd = 0; fd < 3; fd++)
		sb->tty_slave_for[fd] = oci->tty >= 0;
	sb->as_root = geteuid() == 0;
	if ((r = build_idmap(sb, p, s, err)) < 0)
		return r;
	if ((r = sandbox_prepare_ns(sb, p, err)) < 0 || (r = build_joins(sb, s, err)) < 0 ||
	    (r = build_sysctls(sb, s, err)) < 0)
		return r;
	if ((r = build_caps(sb, s, err)) < 0)
		return r;
	/* root only: a rootless caller holds no CAP_SYS_ADMIN where the kernel asks for it, and
	 * cannot join anything through /proc/PID/ns either */
	sb->follow_ns = sb->as_root;
	sb->oci_spec = s;
	sb->oci_id = oci->id;
	sb->oci_bundle = oci->bundle;
	if ((r = build_plan(sb, oci, err)) < 0 || (r = build_exec(sb, s, err)) < 0)
		return r;
	if ((r = security_prepare(&sb->sec, p, &sb->plan, err)) < 0)
		return r;
	sb->sec.oci_sources = true;
	if (s->seccomp && ((r = seccomp_compile_oci(s->seccomp, &sb->sec.oci_prog, err)) < 0 ||
			   (!s->seccomp_uncounted && (r = seccomp_count_config(&sb->sec, err)) < 0)))
		return r;
	if ((r = build_rlimits(sb, p, s->policy != NULL, s->rlimits, s->n_rlimits, fb, err)) < 0)
		return r;
	sb->set_umask = s->has_umask;
	sb->umask = (mode_t)s->umask;
	sb->set_oom_score_adj = s->has_oom_score_adj;
	sb->oom_score_adj = s->oom_score_adj;
	return sandbox_find_cmdline(&sb->cmdline, err);
}

/* mlrun-oci exec: what a process joining the container gets of its sandbox. The exec'd
 * process' args, env, rlimits (the config's when it gives none) and umask; the config's
 * seccomp filter; the annotation policy's filter with its denied calls answered by the kernel
 * (seccomp_prog_unmonitored: no monitor listens to an exec'd process, so they are not counted
 * in the report); the policy's rlimits. No plan, no namespaces: those are joined. */
/* An exec'd process' process.capabilities, as for the program (none with run.mlrun.policy).
 * It joins pid 1's user namespace, the one that made the container's mounts, so
 * CAPS_OVER_MOUNTS there would undo them (build_caps): refused. */
static int build_exec_caps(struct sandbox *sb, const struct oci_spec *config, const struct oci_spec *proc,
			   struct error *err)
{
	if (config->policy)
		return 0;
	const uint64_t *set = proc->caps.set;
	if (set[OCI_CAP_PERMITTED] & CAPS_OVER_MOUNTS)
		return error_set(err, EOPNOTSUPP, "process.capabilities: CAP_SYS_ADMIN cannot be granted to an exec'd "
				 "process (it would hold it over the container's mounts; docs/oci.md)");
	sb->caps = (struct sandbox_caps){ .bounding = set[OCI_CAP_BOUNDING], .effective = set[OCI_CAP_EFFECTIVE],
					  .permitted = set[OCI_CAP_PERMITTED], .inheritable = set[OCI_CAP_INHERITABLE],
					  .ambient = set[OCI_CAP_AMBIENT] };
	return 0;
}

int sandbox_prepare_oci_exec(struct sandbox *sb, const struct policy *p, const struct oci_spec *config,
			     const struct oci_spec *proc, const struct sandbox_fallbacks *fb, struct error *err)
{
	int r;
	memset(sb, 0, sizeof(*sb));
	sb->policy = p;
	sb->sync_fd = sb->msg_fd = sb->status_fd = sb->ready_fd = sb->start_fd = sb->tty_slave = -1;
	if ((r = build_exec(sb, proc, err)) < 0 || (r = build_exec_caps(sb, config, proc, err)) < 0)
		return r;
	if ((r = security_prepare(&sb->sec, p, &sb->plan, err)) < 0)
		return r;
	if (sb->sec.seccomp) {
		close(TAKE_FD(sb->sec.notify_fd));
		close(TAKE_FD(sb->sec.monitor_fd));
		seccomp_prog_unmonitored(&sb->sec.prog, p->on_violation);
	}
	if (config->seccomp && (r = seccomp_compile_oci(config->seccomp, &sb->sec.oci_prog, err)) < 0)
		return r;
	const struct oci_spec *rl = proc->n_rlimits ? proc : config;
	if ((r = build_rlimits(sb, p, config->policy != NULL, rl->rlimits, rl->n_rlimits, fb, err)) < 0)
		return r;
	sb->set_umask = proc->has_umask;
	sb->umask = (mode_t)proc->umask;
	return 0;
}
