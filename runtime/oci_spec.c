/* oci_spec.c - config.json to struct oci_spec (see oci_spec.h). Pure: fuzzed.
 *
 * Each object's keys are checked against the ones mlrun-oci honours; an unknown or unsupported
 * key fails naming its path. Empty values of unsupported keys ({} / [] / "" / false) are
 * accepted: engines write them by default, and an empty request asks for nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <json.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "oci_spec.h"

#define JSON_DEPTH 64

static bool empty_value(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return true;
	case json_type_object:
		return json_object_object_length(v) == 0;
	case json_type_array:
		return json_object_array_length(v) == 0;
	case json_type_string:
		return json_object_get_string_len(v) == 0;
	case json_type_boolean:
		return !json_object_get_boolean(v);
	default:
		return false;
	}
}

/* known: keys honoured; tolerated: keys accepted only when empty (engines' defaults). */
static int check_keys(json_object *o, const char *where, const char *const *known, const char *const *tolerated,
		      struct error *err)
{
	if (!json_object_is_type(o, json_type_object))
		return error_set(err, EINVAL, "%s: not an object", where);
	json_object_object_foreach(o, key, val)
	{
		bool ok = false;
		for (const char *const *k = known; k && *k && !ok; k++)
			ok = strcmp(*k, key) == 0;
		for (const char *const *k = tolerated; k && *k && !ok; k++)
			if (strcmp(*k, key) == 0) {
				if (!empty_value(val))
					return error_set(err, EINVAL, "%s%s%s: not supported by mlrun-oci (docs/oci.md)", where,
							 where[0] ? "." : "", key);
				ok = true;
			}
		if (!ok)
			return error_set(err, EINVAL, "%s%s%s: unknown or unsupported field (docs/oci.md)", where,
					 where[0] ? "." : "", key);
	}
	return 0;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int get_string(json_object *o, const char *key, const char *where, char **out, bool required,
		      struct error *err)
{
	json_object *v = get(o, key);
	if (!v) {
		if (required)
			return error_set(err, EINVAL, "%s.%s: missing", where, key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return error_set(err, EINVAL, "%s.%s: not a string", where, key);
	const char *s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return error_set(err, EINVAL, "%s.%s: contains a NUL byte", where, key);
	if (!(*out = strdup(s)))
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* A JSON integer in [0, max]. */
static int get_uint(json_object *o, const char *key, const char *where, uint64_t max, uint64_t *out,
		    struct error *err)
{
	json_object *v = get(o, key);
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return error_set(err, EINVAL, "%s.%s: not an integer", where, key);
	int64_t i = json_object_get_int64(v);
	if (i < 0)
		return error_set(err, ERANGE, "%s.%s: negative", where, key);
	uint64_t u = json_object_get_uint64(v);
	if (u > max)
		return error_set(err, ERANGE, "%s.%s: too large", where, key);
	*out = u;
	return 0;
}

static int get_bool(json_object *o, const char *key, const char *where, bool *out, struct error *err)
{
	json_object *v = get(o, key);
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return error_set(err, EINVAL, "%s.%s: not a boolean", where, key);
	*out = json_object_get_boolean(v);
	return 0;
}

/* An array of strings, copied into a NULL-terminated array. */
static int get_strings(json_object *o, const char *key, const char *where, size_t max, char ***out, size_t *n,
		       struct error *err)
{
	json_object *v = get(o, key);
	*n = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return error_set(err, EINVAL, "%s.%s: not an array", where, key);
	size_t len = json_object_array_length(v);
	if (len > max)
		return error_set(err, E2BIG, "%s.%s: more than %zu entries", where, key, max);
	if (!(*out = calloc(len + 1, sizeof(char *))))
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		if (!e || !json_object_is_type(e, json_type_string))
			return error_set(err, EINVAL, "%s.%s[%zu]: not a string", where, key, i);
		const char *s = json_object_get_string(e);
		if (strlen(s) != (size_t)json_object_get_string_len(e))
			return error_set(err, EINVAL, "%s.%s[%zu]: contains a NUL byte", where, key, i);
		if (!((*out)[i] = strdup(s)))
			return error_set(err, ENOMEM, "out of memory");
		*n = i + 1;
	}
	return 0;
}

/* An absolute path without ".", ".." or empty components (a container path). */
static bool clean_abs_path(const char *p)
{
	if (p[0] != '/')
		return false;
	if (strcmp(p, "/") == 0)
		return true;
	for (const char *c = p + 1; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
		size_t len = strcspn(c, "/");
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
	}
	return true;
}

static int parse_rlimit(json_object *r, size_t i, struct oci_rlimit *out, struct error *err)
{
	static const struct {
		const char *name;
		int resource;
	} names[] = {
		{ "RLIMIT_CPU", RLIMIT_CPU },	  { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_DATA", RLIMIT_DATA },
		{ "RLIMIT_STACK", RLIMIT_STACK }, { "RLIMIT_CORE", RLIMIT_CORE },   { "RLIMIT_RSS", RLIMIT_RSS },
		{ "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
		{ "RLIMIT_AS", RLIMIT_AS },	  { "RLIMIT_LOCKS", RLIMIT_LOCKS }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
		{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
		{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	};
	static const char *const known[] = { "type", "soft", "hard", NULL };
	char where[48];
	snprintf(where, sizeof(where), "process.rlimits[%zu]", i);
	int rc = check_keys(r, where, known, NULL, err);
	if (rc < 0)
		return rc;
	json_object *t = get(r, "type");
	if (!t || !json_object_is_type(t, json_type_string))
		return error_set(err, EINVAL, "%s.type: missing", where);
	out->resource = -1;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strcmp(json_object_get_string(t), names[k].name) == 0)
			out->resource = names[k].resource;
	if (out->resource < 0)
		return error_set(err, EINVAL, "%s.type: unknown rlimit", where);
	out->soft = out->hard = 0;
	if ((rc = get_uint(r, "soft", where, UINT64_MAX, &out->soft, err)) < 0 ||
	    (rc = get_uint(r, "hard", where, UINT64_MAX, &out->hard, err)) < 0)
		return rc;
	if (out->soft > out->hard)
		return error_set(err, EINVAL, "%s: soft above hard", where);
	return 0;
}

static int parse_process(json_object *p, struct oci_spec *s, struct error *err)
{
	static const char *const known[] = { "terminal", "user", "args", "env", "cwd", "capabilities", "rlimits",
					     "noNewPrivileges", "oomScoreAdj", "consoleSize", NULL };
	static const char *const tolerated[] = { "apparmorProfile", "selinuxLabel", "ioPriority", "scheduler",
						 "execCPUAffinity", "commandLine", NULL };
	static const char *const user_known[] = { "uid", "gid", "umask", "additionalGids", NULL };
	static const char *const user_tolerated[] = { "username", NULL };
	int r;
	if ((r = check_keys(p, "process", known, tolerated, err)) < 0)
		return r;
	if ((r = get_bool(p, "terminal", "process", &s->terminal, err)) < 0)
		return r;
	json_object *cs = get(p, "consoleSize");
	if (cs) {
		static const char *const cs_known[] = { "height", "width", NULL };
		uint64_t h = 0, w = 0;
		if ((r = check_keys(cs, "process.consoleSize", cs_known, NULL, err)) < 0 ||
		    (r = get_uint(cs, "height", "process.consoleSize", UINT16_MAX, &h, err)) < 0 ||
		    (r = get_uint(cs, "width", "process.consoleSize", UINT16_MAX, &w, err)) < 0)
			return r;
		s->console_rows = (uint32_t)h;
		s->console_cols = (uint32_t)w;
	}
	if ((r = get_strings(p, "args", "process", OCI_MAX_ARGS, &s->args, &s->n_args, err)) < 0 ||
	    (r = get_strings(p, "env", "process", OCI_MAX_ENV, &s->env, &s->n_env, err)) < 0 ||
	    (r = get_string(p, "cwd", "process", &s->cwd, true, err)) < 0)
		return r;
	if (s->n_args == 0 || !s->args[0][0])
		return error_set(err, EINVAL, "process.args: missing or empty");
	if (!clean_abs_path(s->cwd))
		return error_set(err, EINVAL, "process.cwd: %s is not a clean absolute path", s->cwd);
	json_object *u = get(p, "user");
	if (!u)
		return error_set(err, EINVAL, "process.user: missing");
	if ((r = check_keys(u, "process.user", user_known, user_tolerated, err)) < 0)
		return r;
	uint64_t uid = 0, gid = 0, um = 0;
	if ((r = get_uint(u, "uid", "process.user", UINT32_MAX - 1, &uid, err)) < 0 ||
	    (r = get_uint(u, "gid", "process.user", UINT32_MAX - 1, &gid, err)) < 0 ||
	    (r = get_uint(u, "umask", "process.user", 0777, &um, err)) < 0)
		return r;
	s->uid = (uint32_t)uid;
	s->gid = (uint32_t)gid;
	s->has_umask = get(u, "umask") != NULL;
	s->umask = (uint32_t)um;
	json_object *g = get(u, "additionalGids");
	if (g && !json_object_is_type(g, json_type_array))
		return error_set(err, EINVAL, "process.user.additionalGids: not an array");
	for (size_t i = 0; g && i < json_object_array_length(g); i++) {
		json_object *e = json_object_array_get_idx(g, i);
		int64_t v = e && json_object_is_type(e, json_type_int) ? json_object_get_int64(e) : -1;
		if (v < 0 || v >= (int64_t)UINT32_MAX)
			return error_set(err, EINVAL, "process.user.additionalGids[%zu]: not a gid", i);
		if (s->n_groups >= OCI_MAX_GROUPS)
			return error_set(err, E2BIG, "process.user.additionalGids: more than %d", OCI_MAX_GROUPS);
		s->groups[s->n_groups++] = (uint32_t)v;
	}
	json_object *rl = get(p, "rlimits");
	if (rl && !json_object_is_type(rl, json_type_array))
		return error_set(err, EINVAL, "process.rlimits: not an array");
	for (size_t i = 0; rl && i < json_object_array_length(rl); i++) {
		if (s->n_rlimits >= OCI_MAX_RLIMITS)
			return error_set(err, E2BIG, "process.rlimits: more than %d entries", OCI_MAX_RLIMITS);
		if ((r = parse_rlimit(json_object_array_get_idx(rl, i), i, &s->rlimits[s->n_rlimits], err)) < 0)
			return r;
		s->n_rlimits++;
	}
	if ((r = get_bool(p, "noNewPrivileges", "process", &s->no_new_privileges, err)) < 0)
		return r;
	json_object *oom = get(p, "oomScoreAdj");
	if (oom && (!json_object_is_type(oom, json_type_int) || json_object_get_int64(oom) < OCI_OOM_SCORE_ADJ_MIN ||
		    json_object_get_int64(oom) > OCI_OOM_SCORE_ADJ_MAX))
		return error_set(err, EINVAL, "process.oomScoreAdj: not an integer from %d to %d", OCI_OOM_SCORE_ADJ_MIN,
				 OCI_OOM_SCORE_ADJ_MAX);
	s->has_oom_score_adj = oom != NULL;
	s->oom_score_adj = oom ? (int)json_object_get_int64(oom) : 0;
	return oci_caps_parse(get(p, "capabilities"), &s->caps, err);
}

static int mount_option(struct oci_mount *m, const char *opt, size_t i, struct error *err)
{
	static const struct {
		const char *name;
		uint64_t set;
	} flags[] = {
		{ "ro", MOUNT_ATTR_RDONLY },	   { "nosuid", MOUNT_ATTR_NOSUID }, { "nodev", MOUNT_ATTR_NODEV },
		{ "noexec", MOUNT_ATTR_NOEXEC },   { "noatime", 0 }, { "nodiratime", MOUNT_ATTR_NODIRATIME },
		{ "relatime", 0 }, { "strictatime", 0 }, /* atime: the kernel default (docs/oci.md) */
		{ "rw", 0 }, { "suid", 0 }, { "dev", 0 }, { "exec", 0 }, { "atime", 0 },
		/* every mount of the sandbox is private already (rootfs_make_private) */
		{ "private", 0 }, { "rprivate", 0 }, { "slave", 0 }, { "rslave", 0 },
		{ "unbindable", 0 }, { "runbindable", 0 },
		/* devpts: mlrun's instance is always newinstance, ptmxmode=0666, mode=0620 */
		{ "newinstance", 0 }, { "ptmxmode=0666", 0 }, { "mode=620", 0 }, { "mode=0620", 0 }, { "gid=5", 0 },
	};
	for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
		if (strcmp(opt, flags[k].name) == 0) {
			if (m->kind != OCI_DEVPTS && (strncmp(opt, "mode=", 5) == 0 || strncmp(opt, "gid=", 4) == 0))
				break;
			m->attr |= flags[k].set;
			return 0;
		}
	if (strcmp(opt, "bind") == 0 || strcmp(opt, "rbind") == 0) {
		m->recursive = m->recursive || strcmp(opt, "rbind") == 0;
		return 0;
	}
	if (m->kind == OCI_TMPFS && (strncmp(opt, "size=", 5) == 0 || strncmp(opt, "mode=", 5) == 0)) {
		char **dst = opt[0] == 's' ? &m->size : &m->mode;
		free(*dst);
		if (!(*dst = strdup(opt + 5)))
			return error_set(err, ENOMEM, "out of memory");
		return 0;
	}
	return error_set(err, EINVAL, "mounts[%zu].options: '%s' on %s is not supported by mlrun-oci", i, opt,
			 m->dst ? m->dst : "?");
}

static int parse_mount(json_object *o, size_t i, struct oci_mount *m, struct error *err)
{
	static const char *const known[] = { "destination", "type", "source", "options", NULL };
	static const char *const tolerated[] = { "uidMappings", "gidMappings", NULL };
	char where[32];
	char *type = NULL;
	snprintf(where, sizeof(where), "mounts[%zu]", i);
	int r = check_keys(o, where, known, tolerated, err);
	if (r < 0 || (r = get_string(o, "destination", where, &m->dst, true, err)) < 0 ||
	    (r = get_string(o, "type", where, &type, false, err)) < 0 ||
	    (r = get_string(o, "source", where, &m->src, false, err)) < 0)
		goto out;
	if (!clean_abs_path(m->dst) || strcmp(m->dst, "/") == 0) {
		r = error_set(err, EINVAL, "%s.destination: %s is not a clean absolute path below /", where, m->dst);
		goto out;
	}
	json_object *opts = get(o, "options");
	bool bind_opt = false;
	for (size_t k = 0; opts && json_object_is_type(opts, json_type_array) && k < json_object_array_length(opts); k++) {
		json_object *e = json_object_array_get_idx(opts, k);
		const char *s = e && json_object_is_type(e, json_type_string) ? json_object_get_string(e) : "";
		bind_opt = bind_opt || strcmp(s, "bind") == 0 || strcmp(s, "rbind") == 0;
	}
	static const struct {
		const char *type;
		enum oci_mount_kind kind;
	} kinds[] = {
		{ "bind", OCI_BIND },	  { "tmpfs", OCI_TMPFS },   { "proc", OCI_PROC },	  { "sysfs", OCI_SYSFS },
		{ "devpts", OCI_DEVPTS }, { "mqueue", OCI_MQUEUE }, { "cgroup", OCI_CGROUP }, { "cgroup2", OCI_CGROUP },
	};
	bool found = false;
	if (bind_opt) {
		m->kind = OCI_BIND;
		found = true;
	}
	for (size_t k = 0; !found && type && k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(type, kinds[k].type) == 0) {
			m->kind = kinds[k].kind;
			found = true;
		}
	if (!found) {
		r = error_set(err, EINVAL, "%s.type: '%s' on %s is not supported by mlrun-oci", where, type ? type : "(none)",
			      m->dst);
		goto out;
	}
	if (m->kind == OCI_BIND && (!m->src || !m->src[0])) {
		r = error_set(err, EINVAL, "%s.source: a bind needs a source", where);
		goto out;
	}
	if (opts && !json_object_is_type(opts, json_type_array)) {
		r = error_set(err, EINVAL, "%s.options: not an array", where);
		goto out;
	}
	for (size_t k = 0; opts && k < json_object_array_length(opts); k++) {
		json_object *e = json_object_array_get_idx(opts, k);
		if (!e || !json_object_is_type(e, json_type_string)) {
			r = error_set(err, EINVAL, "%s.options[%zu]: not a string", where, k);
			goto out;
		}
		if ((r = mount_option(m, json_object_get_string(e), i, err)) < 0)
			goto out;
	}
	if (m->kind == OCI_SYSFS || m->kind == OCI_CGROUP)
		m->attr |= MOUNT_ATTR_RDONLY; /* never a writable sysfs or cgroupfs (docs/oci.md) */
	/* A proc or sysfs mounted in a user namespace must be at least as locked down as the host's
	 * (the kernel's mount_too_revealing): nosuid, nodev, noexec always. */
	if (m->kind == OCI_PROC || m->kind == OCI_SYSFS || m->kind == OCI_CGROUP || m->kind == OCI_MQUEUE)
		m->attr |= MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	r = 0;
out:
	free(type);
	return r;
}

/* A path joins an existing namespace (ns/join.c checks the file when the container is built):
 * network, ipc and uts only. pid and mount: mlrun's init is pid 1 of a pid namespace of its own
 * and kills every process in it at the end, and its root is built in a mount namespace of its
 * own. user: mlrun always creates the container's user namespace. cgroup: the container's cgroup
 * namespace is rooted at its own leaf. */
static int namespace_path(json_object *n, unsigned flag, const char *where, struct oci_spec *s, struct error *err)
{
	char **slot = flag == OCI_NS_NET ? &s->net_path : flag == OCI_NS_IPC ? &s->ipc_path
		      : flag == OCI_NS_UTS ? &s->uts_path : NULL;
	const char *why = flag == OCI_NS_PID	 ? "mlrun's init is pid 1 of a pid namespace of its own"
			  : flag == OCI_NS_MOUNT ? "the container's root is built in a mount namespace of its own"
			  : flag == OCI_NS_USER	 ? "mlrun-oci always creates the container's user namespace"
						 : "the container's cgroup namespace is rooted at its own cgroup leaf";
	json_object *p = get(n, "path");
	if (!p || empty_value(p))
		return 0;
	if (!slot)
		return error_set(err, EINVAL, "%s.path: joining an existing %s namespace is not supported by mlrun-oci (%s)",
				 where, json_object_get_string(get(n, "type")), why);
	if (*slot)
		return error_set(err, EINVAL, "%s: a second path for the same namespace type", where);
	int r = get_string(n, "path", where, slot, true, err);
	if (r < 0)
		return r;
	if ((*slot)[0] != '/')
		return error_set(err, EINVAL, "%s.path: %s is not an absolute path", where, *slot);
	return 0;
}

static int parse_namespaces(json_object *a, struct oci_spec *s, struct error *err)
{
	static const struct {
		const char *type;
		unsigned flag;
	} types[] = {
		{ "pid", OCI_NS_PID }, { "network", OCI_NS_NET }, { "mount", OCI_NS_MOUNT }, { "ipc", OCI_NS_IPC },
		{ "uts", OCI_NS_UTS }, { "user", OCI_NS_USER },	  { "cgroup", OCI_NS_CGROUP },
	};
	static const char *const known[] = { "type", "path", NULL };
	if (!json_object_is_type(a, json_type_array))
		return error_set(err, EINVAL, "linux.namespaces: not an array");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		char where[40];
		snprintf(where, sizeof(where), "linux.namespaces[%zu]", i);
		json_object *n = json_object_array_get_idx(a, i);
		int r = check_keys(n, where, known, NULL, err);
		if (r < 0)
			return r;
		json_object *t = get(n, "type");
		const char *ts = t && json_object_is_type(t, json_type_string) ? json_object_get_string(t) : "";
		unsigned flag = 0;
		for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			if (strcmp(ts, types[k].type) == 0)
				flag = types[k].flag;
		if (!flag)
			return error_set(err, EINVAL, "%s.type: '%s' is not supported by mlrun-oci", where, ts);
		if ((r = namespace_path(n, flag, where, s, err)) < 0)
			return r;
		s->namespaces |= flag;
	}
	return 0;
}

/* Ranges as the kernel takes them (at most 340, none wrapping past 2^32); overlaps are left to
 * the kernel, which refuses them when the map is written. */
static int parse_idmaps(json_object *a, const char *where, size_t *n, struct oci_idmap *m, struct error *err)
{
	static const char *const known[] = { "containerID", "hostID", "size", NULL };
	if (!a)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return error_set(err, EINVAL, "%s: not an array", where);
	if (json_object_array_length(a) > OCI_MAX_IDMAPS)
		return error_set(err, E2BIG, "%s: more than %d ranges (the kernel's limit)", where, OCI_MAX_IDMAPS);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		char at[64];
		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		uint64_t c = 0, h = 0, len = 0;
		int r = check_keys(e, at, known, NULL, err);
		for (size_t k = 0; r == 0 && known[k]; k++)
			if (!get(e, known[k]))
				r = error_set(err, EINVAL, "%s.%s: missing", at, known[k]);
		if (r < 0 || (r = get_uint(e, "containerID", at, UINT32_MAX, &c, err)) < 0 ||
		    (r = get_uint(e, "hostID", at, UINT32_MAX, &h, err)) < 0 || (r = get_uint(e, "size", at, UINT32_MAX, &len, err)) < 0)
			return r;
		if (len == 0 || c + len - 1 > UINT32_MAX - 1 || h + len - 1 > UINT32_MAX - 1)
			return error_set(err, EINVAL, "%s: bad range", at);
		m[(*n)++] = (struct oci_idmap){ (uint32_t)c, (uint32_t)h, (uint32_t)len };
	}
	return 0;
}

/* Device rules. No device node can be made or opened in mlrun's user namespace except the
 * host binds of null, zero, full, random, urandom, tty and the private devpts; like runc, which
 * appends its default devices to every rule list, those stay usable whatever the rules say, and
 * an "allow" for any other device permits access to a node that does not exist there, so it
 * grants nothing. The rules are checked for shape only, never written to a cgroup. */
static int check_device_rules(json_object *d, struct error *err)
{
	for (size_t i = 0; d && i < json_object_array_length(d); i++) {
		json_object *e = json_object_array_get_idx(d, i), *allow = get(e, "allow");
		if (!allow || !json_object_is_type(allow, json_type_boolean))
			return error_set(err, EINVAL, "linux.resources.devices[%zu].allow: missing", i);
	}
	return 0;
}

static int parse_resources(json_object *res, struct oci_spec *s, struct error *err)
{
	static const char *const known[] = { "devices", "memory", "cpu", "pids", NULL };
	static const char *const tolerated[] = { "hugepageLimits", "blockIO", "network", "rdma", "unified", NULL };
	static const char *const mem_known[] = { "limit", "swap", NULL };
	static const char *const mem_tolerated[] = { "reservation", "kernel", "kernelTCP", "swappiness",
						     "disableOOMKiller", "useHierarchy", "checkBeforeUpdate", NULL };
	static const char *const cpu_known[] = { "quota", "period", "shares", NULL };
	static const char *const cpu_tolerated[] = { "realtimeRuntime", "realtimePeriod", "cpus", "mems",
						     "idle", "burst", NULL };
	static const char *const pids_known[] = { "limit", NULL };
	int r = check_keys(res, "linux.resources", known, tolerated, err);
	if (r < 0)
		return r;
	json_object *m = get(res, "memory"), *c = get(res, "cpu"), *p = get(res, "pids"), *d = get(res, "devices");
	if (m) {
		if ((r = check_keys(m, "linux.resources.memory", mem_known, mem_tolerated, err)) < 0)
			return r;
		json_object *l = get(m, "limit");
		if (l && json_object_is_type(l, json_type_int) && json_object_get_int64(l) < 0)
			s->memory_limit = 0; /* -1: unlimited */
		else if ((r = get_uint(m, "limit", "linux.resources.memory", UINT64_MAX, &s->memory_limit, err)) < 0)
			return r;
		/* swap: mlrun sets memory.swap.max = 0 (a tightening: docs/oci.md) */
	}
	if (c) {
		if ((r = check_keys(c, "linux.resources.cpu", cpu_known, cpu_tolerated, err)) < 0)
			return r;
		json_object *q = get(c, "quota");
		if (q && json_object_is_type(q, json_type_int) && json_object_get_int64(q) < 0)
			s->cpu_quota = 0;
		else if ((r = get_uint(c, "quota", "linux.resources.cpu", UINT32_MAX, &s->cpu_quota, err)) < 0)
			return r;
		if ((r = get_uint(c, "period", "linux.resources.cpu", 1000000, &s->cpu_period, err)) < 0)
			return r;
		if (s->cpu_quota && !s->cpu_period)
			s->cpu_period = 100000;
		/* shares (0 unset): the leaf's cpu.weight, or refused without one (oci_check_enforced) */
		if ((r = get_uint(c, "shares", "linux.resources.cpu", UINT64_MAX, &s->cpu_shares, err)) < 0)
			return r;
	}
	if (p) {
		if ((r = check_keys(p, "linux.resources.pids", pids_known, NULL, err)) < 0)
			return r;
		json_object *l = get(p, "limit");
		if (l && json_object_is_type(l, json_type_int) && json_object_get_int64(l) <= 0)
			s->pids_limit = 0; /* 0 or -1: unlimited */
		else if ((r = get_uint(p, "limit", "linux.resources.pids", UINT32_MAX, &s->pids_limit, err)) < 0)
			return r;
	}
	if (d && !json_object_is_type(d, json_type_array))
		return error_set(err, EINVAL, "linux.resources.devices: not an array");
	return check_device_rules(d, err);
}

static int parse_masks(json_object *a, const char *where, char **out, size_t *n, struct error *err)
{
	if (!a)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return error_set(err, EINVAL, "%s: not an array", where);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (*n >= OCI_MAX_MASKS)
			return error_set(err, E2BIG, "%s: more than %d entries", where, OCI_MAX_MASKS);
		if (!e || !json_object_is_type(e, json_type_string) || !clean_abs_path(json_object_get_string(e)) ||
		    strcmp(json_object_get_string(e), "/") == 0)
			return error_set(err, EINVAL, "%s[%zu]: not a clean absolute path below /", where, i);
		if (!(out[*n] = strdup(json_object_get_string(e))))
			return error_set(err, ENOMEM, "out of memory");
		(*n)++;
	}
	return 0;
}

/* The sysctls runc accepts, as it validates them: those of a namespace the container has of its
 * own. IPC: these keys and fs.mqueue.*; network: net.* (a key the kernel does not keep per network
 * namespace has no file in a new namespace's /proc/sys/net: writing it fails naming it). Not
 * kernel.hostname/domainname (the config's hostname says it), and nothing else: a sysctl of the
 * host (kernel.core_pattern, vm.*) would change the machine for everyone. A namespace the
 * container shares (the host's network, a joined one) is refused too: its sysctls are others'. */
static int check_sysctl(const char *key, const struct oci_spec *s, struct error *err)
{
	static const char *const ipc_keys[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
						"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
						NULL };
	size_t len = strlen(key);
	if (len == 0 || len > OCI_SYSCTL_KEY_MAX)
		return error_set(err, EINVAL, "linux.sysctl.%s: empty or too long a key", key);
	/* Dots become slashes under /proc/sys: no slash of its own, no empty component (".." or
	 * "net..x" would walk elsewhere). */
	if (strchr(key, '/') || key[0] == '.' || key[len - 1] == '.' || strstr(key, ".."))
		return error_set(err, EINVAL, "linux.sysctl.%s: not a sysctl name (no '/', no empty component)", key);
	bool ipc = strncmp(key, "fs.mqueue.", 10) == 0;
	for (const char *const *k = ipc_keys; !ipc && *k; k++)
		ipc = strcmp(key, *k) == 0;
	if (ipc) {
		if (s->ipc_path)
			return error_set(err, EINVAL, "linux.sysctl.%s: the IPC namespace is joined (%s), not the container's own",
					 key, s->ipc_path);
		return 0; /* mlrun always creates the IPC namespace */
	}
	if (strncmp(key, "net.", 4) == 0) {
		if (!(s->namespaces & OCI_NS_NET))
			return error_set(err, EINVAL, "linux.sysctl.%s: the container has the host's network namespace", key);
		if (s->net_path)
			return error_set(err, EINVAL, "linux.sysctl.%s: the network namespace is joined (%s), not the "
					 "container's own", key, s->net_path);
		return 0;
	}
	return error_set(err, EINVAL, "linux.sysctl.%s: not a namespaced sysctl (only net.*, fs.mqueue.* and the IPC "
			 "kernel.msg*/sem/shm* keys of the container's own namespaces)", key);
}

static int parse_sysctl(json_object *o, struct oci_spec *s, struct error *err)
{
	if (!json_object_is_type(o, json_type_object))
		return error_set(err, EINVAL, "linux.sysctl: not an object");
	json_object_object_foreach(o, key, val)
	{
		if (s->n_sysctls >= OCI_MAX_SYSCTLS)
			return error_set(err, E2BIG, "linux.sysctl: more than %d entries", OCI_MAX_SYSCTLS);
		int r = check_sysctl(key, s, err);
		if (r < 0)
			return r;
		if (!json_object_is_type(val, json_type_string))
			return error_set(err, EINVAL, "linux.sysctl.%s: not a string", key);
		const char *v = json_object_get_string(val);
		size_t vlen = (size_t)json_object_get_string_len(val);
		if (strlen(v) != vlen || vlen > OCI_SYSCTL_VALUE_MAX)
			return error_set(err, EINVAL, "linux.sysctl.%s: a NUL byte or more than %d bytes", key,
					 OCI_SYSCTL_VALUE_MAX);
		struct oci_sysctl *e = &s->sysctls[s->n_sysctls];
		if (!(e->key = strdup(key)) || !(e->value = strdup(v))) {
			free(e->key);
			e->key = NULL;
			return error_set(err, ENOMEM, "out of memory");
		}
		s->n_sysctls++;
	}
	return 0;
}

static int parse_linux(json_object *l, struct oci_spec *s, struct error *err)
{
	static const char *const known[] = { "namespaces", "uidMappings", "gidMappings", "resources", "cgroupsPath",
					     "seccomp", "maskedPaths", "readonlyPaths", "rootfsPropagation", "sysctl", NULL };
	static const char *const tolerated[] = { "devices", "mountLabel", "intelRdt", "personality",
						 "timeOffsets", "memoryPolicy", NULL };
	int r = check_keys(l, "linux", known, tolerated, err);
	if (r < 0)
		return r;
	json_object *ns = get(l, "namespaces");
	if (!ns)
		return error_set(err, EINVAL, "linux.namespaces: missing");
	if ((r = parse_namespaces(ns, s, err)) < 0)
		return r;
	if (!(s->namespaces & OCI_NS_PID) || !(s->namespaces & OCI_NS_MOUNT))
		return error_set(err, EINVAL, "linux.namespaces: a container without its own %s namespace is not supported by "
				 "mlrun-oci", !(s->namespaces & OCI_NS_PID) ? "pid" : "mount");
	json_object *sysctl = get(l, "sysctl");
	if (sysctl && !json_object_is_type(sysctl, json_type_null) && (r = parse_sysctl(sysctl, s, err)) < 0)
		return r;
	if ((r = parse_idmaps(get(l, "uidMappings"), "linux.uidMappings", &s->n_uid_map, s->uid_map, err)) < 0 ||
	    (r = parse_idmaps(get(l, "gidMappings"), "linux.gidMappings", &s->n_gid_map, s->gid_map, err)) < 0)
		return r;
	json_object *res = get(l, "resources");
	if (res && (r = parse_resources(res, s, err)) < 0)
		return r;
	if ((r = get_string(l, "cgroupsPath", "linux", &s->cgroups_path, false, err)) < 0)
		return r;
	json_object *sc = get(l, "seccomp");
	if (sc && !json_object_is_type(sc, json_type_null))
		s->seccomp = json_object_get(sc);
	if ((r = parse_masks(get(l, "maskedPaths"), "linux.maskedPaths", s->masked, &s->n_masked, err)) < 0 ||
	    (r = parse_masks(get(l, "readonlyPaths"), "linux.readonlyPaths", s->read_only, &s->n_read_only, err)) < 0)
		return r;
	json_object *prop = get(l, "rootfsPropagation");
	if (prop && (!json_object_is_type(prop, json_type_string) ||
		     (strcmp(json_object_get_string(prop), "private") && strcmp(json_object_get_string(prop), "rprivate") &&
		      strcmp(json_object_get_string(prop), "slave") && strcmp(json_object_get_string(prop), "rslave") &&
		      json_object_get_string_len(prop) != 0)))
		return error_set(err, EINVAL, "linux.rootfsPropagation: only private or slave (every mount is private in "
				 "mlrun-oci)");
	return 0;
}

const char *oci_hook_stage_name(enum oci_hook_stage st)
{
	static const char *const names[OCI_HOOK_STAGES] = { "prestart", "createRuntime", "poststart", "poststop" };
	return st < OCI_HOOK_STAGES ? names[st] : "?";
}

static int parse_hook(json_object *o, const char *where, struct oci_hook *h, struct error *err)
{
	static const char *const known[] = { "path", "args", "env", "timeout", NULL };
	int r = check_keys(o, where, known, NULL, err);
	if (r < 0 || (r = get_string(o, "path", where, &h->path, true, err)) < 0 ||
	    (r = get_strings(o, "args", where, OCI_MAX_ARGS, &h->args, &h->n_args, err)) < 0 ||
	    (r = get_strings(o, "env", where, OCI_MAX_ENV, &h->env, &h->n_env, err)) < 0)
		return r;
	if (h->path[0] != '/')
		return error_set(err, EINVAL, "%s.path: %s is not an absolute path", where, h->path);
	json_object *t = get(o, "timeout");
	if (t && (!json_object_is_type(t, json_type_int) || json_object_get_int64(t) <= 0))
		return error_set(err, EINVAL, "%s.timeout: not a positive integer", where);
	return get_uint(o, "timeout", where, 86400, &h->timeout, err);
}

/* createContainer and startContainer run in the container's namespaces, a host program inside
 * a root the image controls: refused (docs/oci.md). The others run host programs the engine
 * names, outside the container (runtime/oci_hooks.c). */
static int parse_hooks(json_object *h, struct oci_spec *s, struct error *err)
{
	if (!json_object_is_type(h, json_type_object))
		return error_set(err, EINVAL, "hooks: not an object");
	json_object_object_foreach(h, key, val)
	{
		int st = -1;
		for (int i = 0; i < OCI_HOOK_STAGES; i++)
			if (strcmp(key, oci_hook_stage_name((enum oci_hook_stage)i)) == 0)
				st = i;
		if (st < 0) {
			if (empty_value(val))
				continue;
			if (strcmp(key, "createContainer") == 0 || strcmp(key, "startContainer") == 0)
				return error_set(err, EINVAL, "hooks.%s: not supported by mlrun-oci (a hook in the container's "
						 "namespaces: docs/oci.md)", key);
			return error_set(err, EINVAL, "hooks.%s: unknown or unsupported field (docs/oci.md)", key);
		}
		if (!json_object_is_type(val, json_type_array))
			return error_set(err, EINVAL, "hooks.%s: not an array", key);
		for (size_t i = 0; i < json_object_array_length(val); i++) {
			char where[64];
			snprintf(where, sizeof(where), "hooks.%s[%zu]", key, i);
			if (s->n_hooks[st] >= OCI_MAX_HOOKS)
				return error_set(err, E2BIG, "hooks.%s: more than %d entries", key, OCI_MAX_HOOKS);
			struct oci_hook *hk = &s->hooks[st][s->n_hooks[st]++];
			int r = parse_hook(json_object_array_get_idx(val, i), where, hk, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int oci_spec_parse(const char *text, size_t len, struct oci_spec *s, struct error *err)
{
	static const char *const known[] = { "ociVersion", "process", "root", "hostname", "mounts", "hooks",
					     "annotations", "linux", NULL };
	static const char *const tolerated[] = { "domainname", "solaris", "windows", "vm", "zos", NULL };
	memset(s, 0, sizeof(*s));
	if (len > INT32_MAX)
		return error_set(err, E2BIG, "config.json is too large");
	json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		return error_set(err, ENOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	s->root = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!s->root || je != json_tokener_success || used != len) {
		if (s->root && je == json_tokener_success) {
			json_object_put(s->root);
			s->root = NULL;
			return error_set(err, EINVAL, "config.json: trailing data after the object");
		}
		json_object_put(s->root);
		s->root = NULL;
		return error_set(err, EINVAL, "config.json: %s", json_tokener_error_desc(je));
	}
	int r = check_keys(s->root, "", known, tolerated, err);
	if (r < 0)
		return r;
	json_object *v = get(s->root, "ociVersion");
	if (!v || !json_object_is_type(v, json_type_string) || strncmp(json_object_get_string(v), "1.", 2) != 0)
		return error_set(err, EINVAL, "ociVersion: missing or not 1.x");
	json_object *root = get(s->root, "root");
	static const char *const root_known[] = { "path", "readonly", NULL };
	if (!root)
		return error_set(err, EINVAL, "root: missing");
	if ((r = check_keys(root, "root", root_known, NULL, err)) < 0 ||
	    (r = get_string(root, "path", "root", &s->root_path, true, err)) < 0 ||
	    (r = get_bool(root, "readonly", "root", &s->root_readonly, err)) < 0)
		return r;
	if (!s->root_path[0])
		return error_set(err, EINVAL, "root.path: empty");
	json_object *p = get(s->root, "process");
	if (!p)
		return error_set(err, EINVAL, "process: missing (mlrun-oci runs a process)");
	if ((r = parse_process(p, s, err)) < 0)
		return r;
	if ((r = get_string(s->root, "hostname", "", &s->hostname, false, err)) < 0)
		return r;
	json_object *m = get(s->root, "mounts");
	if (m && !json_object_is_type(m, json_type_array))
		return error_set(err, EINVAL, "mounts: not an array");
	for (size_t i = 0; m && i < json_object_array_length(m); i++) {
		if (s->n_mounts >= OCI_MAX_MOUNTS)
			return error_set(err, E2BIG, "mounts: more than %d entries", OCI_MAX_MOUNTS);
		s->n_mounts++;
		if ((r = parse_mount(json_object_array_get_idx(m, i), i, &s->mounts[i], err)) < 0)
			return r;
	}
	json_object *h = get(s->root, "hooks");
	if (h && (r = parse_hooks(h, s, err)) < 0)
		return r;
	json_object *a = get(s->root, "annotations");
	if (a) {
		if (!json_object_is_type(a, json_type_object))
			return error_set(err, EINVAL, "annotations: not an object");
		json_object_object_foreach(a, key, val)
		{
			if (!json_object_is_type(val, json_type_string))
				return error_set(err, EINVAL, "annotations.%s: not a string", key);
		}
		s->annotations = json_object_get(a);
		if ((r = get_string(a, "run.mlrun.policy", "annotations", &s->policy, false, err)) < 0)
			return r;
		/* the program may need the one seccomp listener itself (a nested sandbox, mlrun's own) */
		json_object *count = get(a, "run.mlrun.seccomp_count");
		if (count && strcmp(json_object_get_string(count), "off") != 0)
			return error_set(err, EINVAL, "annotations.run.mlrun.seccomp_count: '%s': only \"off\" is accepted",
					 json_object_get_string(count));
		s->seccomp_uncounted = count != NULL;
	}
	json_object *l = get(s->root, "linux");
	if (!l)
		return error_set(err, EINVAL, "linux: missing (mlrun-oci runs Linux containers)");
	return parse_linux(l, s, err);
}

int oci_process_parse(struct json_object *p, struct oci_spec *s, struct error *err)
{
	memset(s, 0, sizeof(*s));
	if (!p || !json_object_is_type(p, json_type_object))
		return error_set(err, EINVAL, "process: not a JSON object");
	s->root = json_object_get(p);
	return parse_process(p, s, err);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void oci_spec_free(struct oci_spec *s)
{
	free(s->root_path);
	free_strv(s->args, s->n_args);
	free_strv(s->env, s->n_env);
	free(s->cwd);
	free(s->hostname);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].dst);
		free(s->mounts[i].src);
		free(s->mounts[i].size);
		free(s->mounts[i].mode);
	}
	for (size_t i = 0; i < s->n_masked; i++)
		free(s->masked[i]);
	for (size_t i = 0; i < s->n_read_only; i++)
		free(s->read_only[i]);
	free(s->cgroups_path);
	free(s->net_path);
	free(s->ipc_path);
	free(s->uts_path);
	for (int st = 0; st < OCI_HOOK_STAGES; st++)
		for (size_t i = 0; i < s->n_hooks[st]; i++) {
			free(s->hooks[st][i].path);
			free_strv(s->hooks[st][i].args, s->hooks[st][i].n_args);
			free_strv(s->hooks[st][i].env, s->hooks[st][i].n_env);
		}
	for (size_t i = 0; i < s->n_sysctls; i++) {
		free(s->sysctls[i].key);
		free(s->sysctls[i].value);
	}
	free(s->policy);
	json_object_put(s->seccomp);
	json_object_put(s->annotations);
	json_object_put(s->root);
	memset(s, 0, sizeof(*s));
}
