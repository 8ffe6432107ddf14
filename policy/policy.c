/* policy.c - the keys of a policy: defaults, one setter per kind of value, cross-key checks.
 *
 * Every key is a row of keys[] (section, name, setter, field); files, MLRUN_* variables and
 * flags all arrive through policy_set(), so a value is parsed and checked the same way
 * wherever it was written. */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "syscalls.h"
#include "internal.h"

#define HOSTNAME_MAX 64	     /* HOST_NAME_MAX: what sethostname() accepts */
#define SYSCALL_NAME_MAX 64  /* longer than any syscall name libseccomp knows */
#define LIST_SEPARATORS ", \t"

#define HINT_SIZE "expected bytes or K/M/G/T like 256M, or unlimited"
#define HINT_DURATION "expected e.g. 1500ms, 10s, 1.5m, 2h, 30d (at most 365d), or unlimited"
#define HINT_COUNT "expected a whole number, or unlimited"
/* One rule for 0 (mlrun-policy(5)): "unlimited" is the only way to say no limit; 0 is a real
 * zero where that makes sense (swap, file_size) and refused everywhere else. */
#define HINT_NOT_ZERO "0 is not allowed; write unlimited for no limit"

enum key_flags {
	KF_NONZERO = 1 << 0,	   /* 0 would mean "nothing at all" or, worse, "no limit" */
	KF_FINITE = 1 << 2,	   /* "unlimited" makes no sense (sampling interval, fds) */
	KF_RW = 1 << 3,		   /* bind: read-write */
	KF_MIN_MEMORY = 1 << 4,	   /* memory: below POLICY_MIN_MEMORY nothing starts (a bare segfault) */
};

/* The smallest memory limit accepted: under it no program can even be loaded (the rlimit
 * fallback makes execve's own mappings fail with SIGSEGV, a cgroup OOM-kills at once), so the
 * run would end in a signal with nothing pointing at the limit. */
#define POLICY_MIN_MEMORY (1ULL << 20)

struct key_spec;
typedef int (*key_setter)(struct policy *p, const struct key_spec *k, const char *value,
			  struct error *err);

struct key_spec {
	const char *section;
	const char *key;
	key_setter set;
	size_t offset;	     /* the field in struct policy */
	size_t count_offset; /* lists: their n_* field */
	unsigned flags;
	const char *const *names; /* enums: the accepted words, indexed by value */
};

#define FIELD(f) offsetof(struct policy, f)
#define AT(p, k, type) ((type *)(void *)((char *)(p) + (k)->offset))

/* The enum setter writes through an int. */
_Static_assert(sizeof(enum net_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum workdir_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum proc_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum on_violation) == sizeof(int), "enum size");
_Static_assert(sizeof(enum analysis_mode) == sizeof(int), "enum size");

static const char *const net_names[] = { [NET_NONE] = "none", [NET_LOOPBACK] = "loopback",
					 [NET_HOST] = "host", NULL };
static const char *const workdir_names[] = { [WORKDIR_NONE] = "none", [WORKDIR_RO] = "ro",
					     [WORKDIR_RW] = "rw", NULL };
static const char *const proc_names[] = { [PROC_FRESH] = "fresh", [PROC_CONTAINER] = "container",
					  [PROC_NONE] = "none", NULL };
static const char *const violation_names[] = { [VIOLATION_ERRNO] = "errno",
					       [VIOLATION_KILL] = "kill",
					       [VIOLATION_LOG] = "log", NULL };
static const char *const analysis_names[] = { [ANALYSIS_OFF] = "off", [ANALYSIS_WARN] = "warn",
					      [ANALYSIS_REJECT_HIGH] = "reject-high",
					      [ANALYSIS_REJECT_CRITICAL] = "reject-critical", NULL };

static const char *const sections[] = { "sandbox", "limits",  "filesystem", "network",
					"security", "monitor", "env",	 "grants", "analysis" };

/* Built-in defaults, written as policies/default.ini writes them (a unit test checks that
 * they agree): parsing them through policy_set keeps one definition of every value. */
static const struct {
	const char *section, *key, *value;
} defaults[] = {
	{ "sandbox", "hostname", "mlrun" },
	{ "sandbox", "interpreter.py", "/usr/bin/python3" },
	{ "sandbox", "interpreter.js", "/usr/bin/node" },
	{ "sandbox", "uid", "60000" },
	{ "sandbox", "gid", "60000" },
	{ "sandbox", "quiet", "false" },
	{ "sandbox", "proc", "container" },
	{ "sandbox", "hostname_required", "false" },
	{ "limits", "memory", "1G" },
	{ "limits", "swap", "0" },
	{ "limits", "cpus", "1" },
	{ "limits", "pids", "256" },
	{ "limits", "timeout", "60s" },
	{ "limits", "cpu_time", "60s" },
	{ "limits", "tmp_size", "256M" },
	{ "limits", "shm_size", "64M" },
	{ "limits", "file_size", "1G" },
	{ "limits", "open_files", "1024" },
	{ "limits", "io_read_bps", "unlimited" },
	{ "limits", "io_write_bps", "unlimited" },
	{ "filesystem", "workdir", "ro" },
	{ "network", "net", "none" },
	{ "network", "allow_host", "false" },
	{ "security", "seccomp", "default" },
	{ "security", "on_violation", "errno" },
	{ "security", "landlock", "true" },
	{ "monitor", "interval", "100ms" },
	{ "analysis", "python", "off" },
	{ "env", "keep", "TERM, LANG" },
};

static int nomem(struct error *err)
{
	return error_set(err, ENOMEM, "cannot allocate policy value");
}

static int bad(struct error *err, const struct key_spec *k, const char *what, const char *value,
	       int r, const char *hint)
{
	if (r == -ERANGE)
		return error_set(err, 0, "%s '%s' is out of range for [%s] %s (%s)", what, value,
				 k->section, k->key, hint);
	return error_set(err, 0, "bad %s '%s' for [%s] %s (%s)", what, value, k->section, k->key,
			 hint);
}

/* Replace a string field; the old value is freed so a key set twice does not leak. */
static int replace_str(char **field, const char *value, struct error *err)
{
	char *copy = strdup(value);

	if (!copy)
		return nomem(err);
	free(*field);
	*field = copy;
	return 0;
}

static int set_size(struct policy *p, const struct key_spec *k, const char *value,
		    struct error *err)
{
	uint64_t v;
	int r = parse_size(value, &v);

	if (r < 0)
		return bad(err, k, "size", value, r, HINT_SIZE);
	if (v == 0 && (k->flags & KF_NONZERO))
		return bad(err, k, "size", value, -EINVAL, HINT_NOT_ZERO);
	if (v < POLICY_MIN_MEMORY && (k->flags & KF_MIN_MEMORY))
		return bad(err, k, "size", value, -EINVAL, "the smallest memory limit is 1M: no program starts with less");
	*AT(p, k, uint64_t) = v;
	return 0;
}

static int set_duration(struct policy *p, const struct key_spec *k, const char *value,
			struct error *err)
{
	uint64_t v;
	int r = parse_duration_ms(value, &v);

	if (r < 0)
		return bad(err, k, "duration", value, r, HINT_DURATION);
	if (v == 0) /* a zero duration would end the program at once */
		return bad(err, k, "duration", value, -EINVAL, HINT_NOT_ZERO);
	if (v == POLICY_UNLIMITED && (k->flags & KF_FINITE))
		return bad(err, k, "duration", value, -EINVAL, "must be a positive duration like 100ms");
	*AT(p, k, uint64_t) = v;
	return 0;
}

static int set_count(struct policy *p, const struct key_spec *k, const char *value,
		     struct error *err)
{
	uint64_t v;
	int r = parse_count(value, &v);

	if (r < 0)
		return bad(err, k, "number", value, r, HINT_COUNT);
	if (v == 0 && (k->flags & KF_NONZERO))
		return bad(err, k, "number", value, -EINVAL, HINT_NOT_ZERO);
	if (v == POLICY_UNLIMITED && (k->flags & KF_FINITE))
		return bad(err, k, "number", value, -EINVAL, "must be a positive whole number");
	*AT(p, k, uint64_t) = v;
	return 0;
}

static int set_cpus(struct policy *p, const struct key_spec *k, const char *value,
		    struct error *err)
{
	double v;
	int r = parse_cpus(value, &v);

	if (r < 0)
		return bad(err, k, "cpus", value, r,
			   "expected cores from 0.01 to 65536 like 0.5 or 2, or unlimited");
	*AT(p, k, double) = v;
	return 0;
}

static int set_bool(struct policy *p, const struct key_spec *k, const char *value,
		    struct error *err)
{
	if (parse_bool(value, AT(p, k, bool)) < 0)
		return bad(err, k, "boolean", value, -EINVAL, "expected true/false, yes/no, on/off or 1/0");
	return 0;
}

/* uid/gid: the sandbox's own ids on the host (as root). Below 1000 are the system's accounts
 * and groups (0 root, 42 shadow: a policy choosing them reads what those read); 65534/65535
 * are the overflow ids every unmapped file shows as in a user namespace; above 2^31-2 some
 * tools read ids as negative. runtime/prepare.c also refuses ids an account or group has. */
#define SANDBOX_ID_MIN 1000
#define SANDBOX_ID_MAX 2147483646
#define OVERFLOW_ID 65534

static int set_id(struct policy *p, const struct key_spec *k, const char *value,
		  struct error *err)
{
	uint64_t v;
	int r = parse_count(value, &v);

	if (r < 0 || v < SANDBOX_ID_MIN || v > SANDBOX_ID_MAX || v == OVERFLOW_ID || v == OVERFLOW_ID + 1)
		return bad(err, k, "id", value, r == -ERANGE ? r : -EINVAL,
			   "expected an unprivileged id from 1000 to 2147483646, not 65534 or 65535, "
			   "that no account or group uses");
	*AT(p, k, uint32_t) = (uint32_t)v;
	return 0;
}

bool policy_hostname_valid(const char *value)
{
	size_t len = strlen(value);
	return len > 0 && len <= HOSTNAME_MAX && value[0] != '-' && value[0] != '.' &&
	       strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == len;
}

static int set_hostname(struct policy *p, const struct key_spec *k, const char *value,
			struct error *err)
{
	if (!policy_hostname_valid(value))
		return bad(err, k, "hostname", value, -EINVAL,
			   "expected up to 64 letters, digits, '-' and '.'");
	return replace_str(AT(p, k, char *), value, err);
}

static int set_abs_path(struct policy *p, const struct key_spec *k, const char *value,
			struct error *err)
{
	if (value[0] != '/' || strlen(value) >= PATH_MAX)
		return bad(err, k, "path", value, -EINVAL, "expected an absolute path");
	return replace_str(AT(p, k, char *), value, err);
}

static int set_enum(struct policy *p, const struct key_spec *k, const char *value,
		    struct error *err)
{
	char hint[128] = "expected";
	size_t used;

	for (int i = 0; k->names[i]; i++) {
		if (strcmp(value, k->names[i]) == 0) {
			*AT(p, k, int) = i;
			return 0;
		}
	}
	/* "expected none, loopback or host" */
	for (int i = 0; k->names[i]; i++) {
		const char *sep = i == 0 ? " " : k->names[i + 1] ? ", " : " or ";

		used = strlen(hint);
		snprintf(hint + used, sizeof(hint) - used, "%s%s", sep, k->names[i]);
	}
	return bad(err, k, "value", value, -EINVAL, hint);
}

static int set_seccomp(struct policy *p, const struct key_spec *k, const char *value,
		       struct error *err)
{
	if (strcmp(value, "strict") != 0 && strcmp(value, "default") != 0 &&
	    strcmp(value, "off") != 0 && (value[0] != '/' || strlen(value) >= PATH_MAX))
		return bad(err, k, "value", value, -EINVAL,
			   "expected strict, default, off or an absolute path to a profile");
	return replace_str(AT(p, k, char *), value, err);
}

/* A DST with a ".." component could climb out of the new root while it is still mounted
 * under the host's tree (before pivot_root): refuse it outright. */
static bool has_dotdot(const char *path)
{
	for (const char *s = path; (s = strstr(s, "..")); s += 2)
		if ((s == path || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return true;
	return false;
}

/* Collapse "//" and drop a trailing '/', so "/data/" and "/data" are one destination. */
static void normalize_path(char *path)
{
	char *w = path;

	for (const char *r = path; *r; r++)
		if (!(*r == '/' && w > path && w[-1] == '/'))
			*w++ = *r;
	if (w > path + 1 && w[-1] == '/')
		w--;
	*w = '\0';
}

static bool same_bind_target(const struct bind *b, const char *src, const char *dst)
{
	if (b->dst && dst)
		return strcmp(b->dst, dst) == 0;
	return !b->dst && !dst && strcmp(b->src, src) == 0;
}

/* SRC[:DST]. Without DST an absolute SRC appears at the same path, a relative one at its
 * real path (dst NULL: only the runtime can resolve it). */
static int set_bind(struct policy *p, const struct key_spec *k, const char *value,
		    struct error *err)
{
	const char *colon = strchr(value, ':');
	_cleanup_free_ char *src = colon ? strndup(value, (size_t)(colon - value)) : strdup(value);
	_cleanup_free_ char *dst = NULL;
	size_t i;

	if (!src)
		return nomem(err);
	if (!src[0])
		return bad(err, k, "bind", value, -EINVAL, "SRC is empty; expected SRC[:DST]");
	if (colon || src[0] == '/') {
		dst = strdup(colon ? colon + 1 : src);
		if (!dst)
			return nomem(err);
		if (dst[0] != '/')
			return bad(err, k, "bind", value, -EINVAL, "DST must be an absolute path");
		if (has_dotdot(dst))
			return bad(err, k, "bind", value, -EINVAL, "DST must not contain '..'");
		normalize_path(dst);
		if (strcmp(dst, "/") == 0)
			return bad(err, k, "bind", value, -EINVAL, "cannot bind over the sandbox's /");
	}

	/* A later bind onto the same DST wins, e.g. --bind /data over a policy's ro_bind. */
	for (i = 0; i < p->n_binds && !same_bind_target(&p->binds[i], src, dst); i++)
		;
	if (i == POLICY_MAX_BINDS)
		return bad(err, k, "bind", value, -E2BIG, "too many binds, at most 256");
	if (i == p->n_binds)
		p->n_binds++;
	_cleanup_free_ char *origin = NULL;
	if (p->setting_origin && !(origin = strdup(p->setting_origin)))
		return nomem(err);
	free(p->binds[i].src);
	free(p->binds[i].dst);
	free(p->binds[i].origin);
	p->binds[i] = (struct bind){ .src = TAKE_PTR(src), .dst = TAKE_PTR(dst), .origin = TAKE_PTR(origin),
				     .rw = (k->flags & KF_RW) != 0 };
	return 0;
}

static bool valid_syscall_name(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= SYSCALL_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

static bool list_has(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Appends every name, or none: all are checked before the first is added. */
static int set_syscalls(struct policy *p, const struct key_spec *k, const char *value,
			struct error *err)
{
	char **list = AT(p, k, char *);
	size_t *n = (size_t *)(void *)((char *)p + k->count_offset);
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL, *name;
	size_t added = 0;

	if (!copy)
		return nomem(err);
	for (name = strtok_r(copy, LIST_SEPARATORS, &save); name;
	     name = strtok_r(NULL, LIST_SEPARATORS, &save)) {
		char msg[ERROR_MSG_MAX];
		if (!valid_syscall_name(name))
			return error_set(err, 0, "bad syscall name '%s' for [%s] %s (expected [a-z0-9_]+)",
					 name, k->section, k->key);
		/* Checked here, not only in policy_validate(), so the message keeps the file's line. */
		if (syscall_list_problem(name, k->key, msg, sizeof(msg)))
			return error_set(err, 0, "%s", msg);
		if (!list_has(list, *n, name))
			added++;
	}
	if (*n + added > POLICY_MAX_SYSCALLS)
		return error_set(err, 0, "too many syscalls for [%s] %s (at most %d)", k->section,
				 k->key, POLICY_MAX_SYSCALLS);

	strcpy(copy, value);
	for (name = strtok_r(copy, LIST_SEPARATORS, &save); name;
	     name = strtok_r(NULL, LIST_SEPARATORS, &save)) {
		if (list_has(list, *n, name))
			continue;
		list[*n] = strdup(name);
		if (!list[*n])
			return nomem(err);
		(*n)++;
	}
	return 0;
}

/* A comma-separated list of paths or globs; each entry is resolved by the runtime (rootfs
 * plan), where the working directory is known. Appends every entry, or none. */
static int set_grants(struct policy *p, const struct key_spec *k, const char *value,
		      struct error *err)
{
	_cleanup_free_ char *copy = strdup(value);
	char *entries[POLICY_MAX_GRANTS], *save = NULL, *pat;
	size_t n = 0;

	if (!copy)
		return nomem(err);
	for (pat = strtok_r(copy, ",", &save); pat; pat = strtok_r(NULL, ",", &save)) {
		pat += strspn(pat, " \t");
		for (size_t len = strlen(pat); len && (pat[len - 1] == ' ' || pat[len - 1] == '\t');)
			pat[--len] = '\0';
		if (!pat[0])
			return bad(err, k, "grant", value, -EINVAL, "an empty entry");
		if (has_dotdot(pat))
			return bad(err, k, "grant", value, -EINVAL, "entries must not contain '..'");
		if (p->n_grants + n >= POLICY_MAX_GRANTS)
			return bad(err, k, "grant", value, -E2BIG, "too many grants, at most 64");
		entries[n++] = pat;
	}
	if (n == 0)
		return bad(err, k, "grant", value, -EINVAL, "expected PATH or GLOB, ...");
	for (size_t i = 0; i < n; i++) {
		struct grant *g = &p->grants[p->n_grants];
		if (!(g->pattern = strdup(entries[i])) || (p->setting_origin && !(g->origin = strdup(p->setting_origin)))) {
			free(g->pattern);
			*g = (struct grant){ 0 };
			return nomem(err);
		}
		g->write = (k->flags & KF_RW) != 0;
		p->n_grants++;
	}
	return 0;
}

static const struct key_spec keys[] = {
	{ "sandbox", "hostname", set_hostname, FIELD(hostname), 0, 0, NULL },
	{ "sandbox", "interpreter.py", set_abs_path, FIELD(interpreter_py), 0, 0, NULL },
	{ "sandbox", "interpreter.js", set_abs_path, FIELD(interpreter_js), 0, 0, NULL },
	{ "sandbox", "uid", set_id, FIELD(uid), 0, 0, NULL },
	{ "sandbox", "gid", set_id, FIELD(gid), 0, 0, NULL },
	{ "sandbox", "quiet", set_bool, FIELD(quiet), 0, 0, NULL },
	{ "sandbox", "proc", set_enum, FIELD(proc), 0, 0, proc_names },
	{ "sandbox", "hostname_required", set_bool, FIELD(hostname_required), 0, 0, NULL },
	{ "limits", "memory", set_size, FIELD(memory_bytes), 0, KF_NONZERO | KF_MIN_MEMORY, NULL },
	{ "limits", "swap", set_size, FIELD(swap_bytes), 0, 0, NULL },
	{ "limits", "cpus", set_cpus, FIELD(cpus), 0, 0, NULL },
	{ "limits", "pids", set_count, FIELD(pids), 0, KF_NONZERO, NULL },
	{ "limits", "timeout", set_duration, FIELD(timeout_ms), 0, 0, NULL },
	{ "limits", "cpu_time", set_duration, FIELD(cpu_time_ms), 0, 0, NULL },
	{ "limits", "tmp_size", set_size, FIELD(tmp_bytes), 0, KF_NONZERO, NULL },
	{ "limits", "shm_size", set_size, FIELD(shm_bytes), 0, KF_NONZERO, NULL },
	{ "limits", "file_size", set_size, FIELD(file_size_bytes), 0, 0, NULL },
	{ "limits", "open_files", set_count, FIELD(open_files), 0, KF_NONZERO | KF_FINITE, NULL },
	{ "limits", "io_read_bps", set_size, FIELD(io_read_bps), 0, KF_NONZERO, NULL },
	{ "limits", "io_write_bps", set_size, FIELD(io_write_bps), 0, KF_NONZERO, NULL },
	{ "filesystem", "workdir", set_enum, FIELD(workdir), 0, 0, workdir_names },
	{ "filesystem", "ro_bind", set_bind, 0, 0, 0, NULL },
	{ "filesystem", "bind", set_bind, 0, 0, KF_RW, NULL },
	{ "network", "net", set_enum, FIELD(net), 0, 0, net_names },
	{ "network", "allow_host", set_bool, FIELD(allow_host), 0, 0, NULL },
	{ "security", "seccomp", set_seccomp, FIELD(seccomp), 0, 0, NULL },
	{ "security", "allow_syscalls", set_syscalls, FIELD(allow_syscalls), FIELD(n_allow_syscalls),
	  0, NULL },
	{ "security", "deny_syscalls", set_syscalls, FIELD(deny_syscalls), FIELD(n_deny_syscalls), 0,
	  NULL },
	{ "security", "on_violation", set_enum, FIELD(on_violation), 0, 0, violation_names },
	{ "security", "landlock", set_bool, FIELD(landlock), 0, 0, NULL },
	{ "monitor", "interval", set_duration, FIELD(sample_interval_ms), 0, KF_FINITE, NULL },
	{ "grants", "read", set_grants, 0, 0, 0, NULL },
	{ "grants", "write", set_grants, 0, 0, KF_RW, NULL },
	{ "analysis", "python", set_enum, FIELD(analysis_python), 0, 0, analysis_names },
};

/* [env] names: what a shell would accept, so the child's envp holds nothing odd. */
static bool valid_env_name(const char *name)
{
	if (!(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return false;
	for (const char *s = name; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

/* One entry per name, last wins; value NULL keeps the caller's value. */
static int env_put(struct policy *p, const char *name, const char *value, struct error *err)
{
	_cleanup_free_ char *v = NULL;
	size_t i;

	if (value && !(v = strdup(value)))
		return nomem(err);
	for (i = 0; i < p->n_env && strcmp(p->env[i].name, name) != 0; i++)
		;
	if (i == POLICY_MAX_ENV)
		return error_set(err, 0, "too many [env] entries (at most %d)", POLICY_MAX_ENV);
	if (i == p->n_env) {
		p->env[i].name = strdup(name);
		if (!p->env[i].name)
			return nomem(err);
		p->n_env++;
	}
	free(p->env[i].value);
	p->env[i].value = TAKE_PTR(v);
	return 0;
}

static int set_env_keep(struct policy *p, const char *value, struct error *err)
{
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL, *name;
	int r;

	if (!copy)
		return nomem(err);
	for (name = strtok_r(copy, LIST_SEPARATORS, &save); name;
	     name = strtok_r(NULL, LIST_SEPARATORS, &save))
		if (!valid_env_name(name))
			return error_set(err, 0, "bad variable name '%s' for [env] keep", name);
	strcpy(copy, value);
	for (name = strtok_r(copy, LIST_SEPARATORS, &save); name;
	     name = strtok_r(NULL, LIST_SEPARATORS, &save))
		if ((r = env_put(p, name, NULL, err)) < 0)
			return r;
	return 0;
}

static int set_env(struct policy *p, const char *key, const char *value, struct error *err)
{
	if (strcmp(key, "keep") == 0)
		return set_env_keep(p, value, err);
	if (!valid_env_name(key))
		return error_set(err, 0, "bad variable name '%s' in [env] (expected [A-Za-z_][A-Za-z0-9_]*)",
				 key);
	return env_put(p, key, value, err);
}

bool policy_section_known(const char *section)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (strcmp(section, sections[i]) == 0)
			return true;
	return false;
}

int policy_set_from(struct policy *p, const char *section, const char *key, const char *value,
		    const char *origin, struct error *err)
{
	p->setting_origin = origin;
	int r = policy_set(p, section, key, value, err);
	p->setting_origin = NULL;
	return r;
}

int policy_set(struct policy *p, const char *section, const char *key, const char *value,
	       struct error *err)
{
	if (!section || !key || !value)
		return error_set(err, EINVAL, "policy_set: missing section, key or value");
	if (!policy_section_known(section))
		return error_set(err, 0, "unknown section [%s]", section);
	if (strcmp(section, "env") == 0)
		return set_env(p, key, value, err);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(section, keys[i].section) == 0 && strcmp(key, keys[i].key) == 0)
			return keys[i].set(p, &keys[i], value, err);
	return error_set(err, 0, "unknown key '%s' in [%s]", key, section);
}

void policy_init(struct policy *p)
{
	*p = (struct policy){ 0 };
	p->name = strdup("builtin");
	/* Only allocation can fail here (the table is unit-tested), and a void interface has no
	 * way to say so: better to stop than to run with a half-built policy. */
	if (!p->name)
		abort();
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		if (policy_set(p, defaults[i].section, defaults[i].key, defaults[i].value, NULL) < 0)
			abort();
}

void policy_free(struct policy *p)
{
	free(p->name);
	free(p->path);
	free(p->hostname);
	free(p->interpreter_py);
	free(p->interpreter_js);
	free(p->seccomp);
	for (size_t i = 0; i < p->n_binds; i++) {
		free(p->binds[i].src);
		free(p->binds[i].dst);
		free(p->binds[i].origin);
	}
	for (size_t i = 0; i < p->n_allow_syscalls; i++)
		free(p->allow_syscalls[i]);
	for (size_t i = 0; i < p->n_deny_syscalls; i++)
		free(p->deny_syscalls[i]);
	for (size_t i = 0; i < p->n_env; i++) {
		free(p->env[i].name);
		free(p->env[i].value);
	}
	for (size_t i = 0; i < p->n_grants; i++) {
		free(p->grants[i].pattern);
		free(p->grants[i].origin);
	}
	*p = (struct policy){ 0 };
}

int policy_validate_each(const struct policy *p, policy_problem_fn fn, void *ctx)
{
	char msg[ERROR_MSG_MAX];
	int n = 0;

	if (p->net == NET_HOST && !p->allow_host) {
		fn(ctx, "net", "allow_host", "net = host but [network] allow_host is false");
		n++;
	}
	for (size_t i = 0; i < p->n_allow_syscalls; i++) {
		if (!list_has(p->deny_syscalls, p->n_deny_syscalls, p->allow_syscalls[i]))
			continue;
		snprintf(msg, sizeof(msg), "syscall '%s' is in both allow_syscalls and deny_syscalls",
			 p->allow_syscalls[i]);
		fn(ctx, "allow_syscalls", "deny_syscalls", msg);
		n++;
	}
	/* A misspelt name would silently filter nothing (policy/syscalls.c knows the names). */
	for (size_t i = 0; i < p->n_allow_syscalls + p->n_deny_syscalls; i++) {
		bool allow = i < p->n_allow_syscalls;
		const char *key = allow ? "allow_syscalls" : "deny_syscalls";
		const char *name = allow ? p->allow_syscalls[i] : p->deny_syscalls[i - p->n_allow_syscalls];
		if (syscall_list_problem(name, key, msg, sizeof(msg))) {
			fn(ctx, key, NULL, msg);
			n++;
		}
	}
	if (p->seccomp && strcmp(p->seccomp, "off") == 0) {
		if (p->n_allow_syscalls > 0) {
			fn(ctx, "allow_syscalls", "seccomp", "allow_syscalls is set but seccomp = off");
			n++;
		}
		if (p->n_deny_syscalls > 0) {
			fn(ctx, "deny_syscalls", "seccomp", "deny_syscalls is set but seccomp = off");
			n++;
		}
	}
	return n;
}

static void first_problem(void *ctx, const char *key1, const char *key2, const char *msg)
{
	(void)key1;
	(void)key2;
	error_set(ctx, 0, "%s", msg);
}

int policy_validate(const struct policy *p, struct error *err)
{
	return policy_validate_each(p, first_problem, err) > 0 ? -EINVAL : 0;
}

const char *policy_net_name(enum net_mode net)
{
	return (unsigned)net < ARRAY_SIZE(net_names) - 1 ? net_names[net] : "?";
}

const char *policy_workdir_name(enum workdir_mode workdir)
{
	return (unsigned)workdir < ARRAY_SIZE(workdir_names) - 1 ? workdir_names[workdir] : "?";
}

const char *policy_proc_name(enum proc_mode proc)
{
	return (unsigned)proc < ARRAY_SIZE(proc_names) - 1 ? proc_names[proc] : "?";
}

const char *policy_on_violation_name(enum on_violation v)
{
	return (unsigned)v < ARRAY_SIZE(violation_names) - 1 ? violation_names[v] : "?";
}
