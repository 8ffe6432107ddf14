/* oci_seccomp.c - an OCI config's linux.seccomp, compiled by libseccomp in the parent.
 *
 * The runtime-spec's seccomp object (config-linux.md): defaultAction, defaultErrnoRet,
 * architectures, syscalls[] with names, action, errnoRet and args. Everything else (flags,
 * listenerPath, SCMP_ACT_NOTIFY) is refused with the field named: the filter is what the engine
 * asked for or nothing runs. A syscall name this libseccomp does not know is skipped, as runc
 * and crun do (Docker's default profile lists calls of every architecture and kernel). */
#define _GNU_SOURCE
#include <errno.h>
#include <json.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "security.h"

#define MAX_ARGS 6

static int parse_action(const char *s, uint32_t errno_ret, uint32_t *out)
{
	static const struct {
		const char *name;
		uint32_t action;
	} actions[] = {
		{ "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD },
		{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
		{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
		{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
		{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
		{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
	};
	if (strcmp(s, "SCMP_ACT_ERRNO") == 0) {
		*out = SCMP_ACT_ERRNO(errno_ret);
		return 0;
	}
	if (strcmp(s, "SCMP_ACT_TRACE") == 0) {
		*out = SCMP_ACT_TRACE(errno_ret);
		return 0;
	}
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(s, actions[i].name) == 0) {
			*out = actions[i].action;
			return 0;
		}
	return -EINVAL;
}

static int parse_op(const char *s, enum scmp_compare *op)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
		{ "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(s, ops[i].name) == 0) {
			*op = ops[i].op;
			return 0;
		}
	return -EINVAL;
}

static int parse_arch(const char *s, uint32_t *arch)
{
	static const struct {
		const char *name;
		uint32_t arch;
	} archs[] = {
		{ "SCMP_ARCH_X86", SCMP_ARCH_X86 },	    { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
		{ "SCMP_ARCH_X32", SCMP_ARCH_X32 },	    { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
		{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 }, { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
		{ "SCMP_ARCH_S390X", SCMP_ARCH_S390X },	    { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
	};
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++)
		if (strcmp(s, archs[i].name) == 0) {
			*arch = archs[i].arch;
			return 0;
		}
	return -EINVAL;
}

static uint64_t get_u64(json_object *o, const char *key, uint64_t dflt)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_uint64(v) : dflt;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static int check_keys(json_object *o, const char *const *known, const char *where, struct error *err)
{
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		bool ok = false;
		for (const char *const *k = known; *k && !ok; k++)
			ok = strcmp(*k, key) == 0;
		if (!ok)
			return error_set(err, EINVAL, "%s.%s: not supported by mlrun-oci", where, key);
	}
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, json_object *rule, size_t ri, uint32_t dflt, uint32_t dflt_errno,
		    struct error *err)
{
	static const char *const known[] = { "names", "action", "errnoRet", "args", "comment", "includes", "excludes",
					     NULL };
	char where[64];
	snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", ri);
	if (!json_object_is_type(rule, json_type_object))
		return error_set(err, EINVAL, "%s: not an object", where);
	int r = check_keys(rule, known, where, err);
	if (r < 0)
		return r;
	json_object *v;
	/* includes/excludes are Docker's profile-file conditions, resolved by the engine: a
	 * config carrying a non-empty one was not resolved, and guessing would be wrong. */
	if ((json_object_object_get_ex(rule, "includes", &v) || json_object_object_get_ex(rule, "excludes", &v)) &&
	    json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0)
		return error_set(err, EINVAL, "%s: includes/excludes conditions are not resolved by an OCI runtime", where);
	const char *act = get_str(rule, "action");
	uint32_t action;
	if (!act || parse_action(act, (uint32_t)get_u64(rule, "errnoRet", dflt_errno), &action) < 0)
		return error_set(err, EINVAL, "%s.action: '%s' is not supported (SCMP_ACT_NOTIFY and unknown actions are "
				 "refused)", where, act ? act : "(missing)");
	struct scmp_arg_cmp cmp[MAX_ARGS];
	unsigned int n_cmp = 0;
	if (json_object_object_get_ex(rule, "args", &v) && v) {
		if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > MAX_ARGS)
			return error_set(err, EINVAL, "%s.args: an array of at most %d conditions", where, MAX_ARGS);
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *a = json_object_array_get_idx(v, i);
			const char *op = a ? get_str(a, "op") : NULL;
			enum scmp_compare c;
			uint64_t index = a ? get_u64(a, "index", 99) : 99;
			if (!op || parse_op(op, &c) < 0 || index >= MAX_ARGS)
				return error_set(err, EINVAL, "%s.args[%zu]: needs an index 0-5 and a known op", where, i);
			cmp[n_cmp++] = (struct scmp_arg_cmp){ (unsigned int)index, c, get_u64(a, "value", 0),
							      get_u64(a, "valueTwo", 0) };
		}
	}
	if (!json_object_object_get_ex(rule, "names", &v) || !json_object_is_type(v, json_type_array))
		return error_set(err, EINVAL, "%s.names: missing", where);
	if (action == dflt)
		return 0; /* libseccomp refuses a rule that repeats the default */
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *n = json_object_array_get_idx(v, i);
		if (!n || !json_object_is_type(n, json_type_string))
			return error_set(err, EINVAL, "%s.names[%zu]: not a string", where, i);
		int nr = seccomp_syscall_resolve_name(json_object_get_string(n));
		if (nr == __NR_SCMP_ERROR)
			continue;
		if ((r = seccomp_rule_add_array(ctx, action, nr, n_cmp, cmp)) < 0)
			return error_set(err, -r, "%s: cannot add a rule for %s", where, json_object_get_string(n));
	}
	return 0;
}

int seccomp_compile_oci(struct json_object *s, struct sock_fprog *prog, struct error *err)
{
	static const char *const known[] = { "defaultAction", "defaultErrnoRet", "architectures", "syscalls", "flags",
					     NULL };
	if (!json_object_is_type(s, json_type_object))
		return error_set(err, EINVAL, "linux.seccomp: not an object");
	int r = check_keys(s, known, "linux.seccomp", err);
	if (r < 0)
		return r;
	json_object *v;
	if (json_object_object_get_ex(s, "flags", &v) && json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) > 0)
		return error_set(err, EINVAL, "linux.seccomp.flags: not supported by mlrun-oci");
	uint32_t dflt_errno = (uint32_t)get_u64(s, "defaultErrnoRet", EPERM), dflt;
	const char *da = get_str(s, "defaultAction");
	if (!da || parse_action(da, dflt_errno, &dflt) < 0)
		return error_set(err, EINVAL, "linux.seccomp.defaultAction: '%s' is not supported", da ? da : "(missing)");
	scmp_filter_ctx ctx = seccomp_init(dflt);
	if (!ctx)
		return error_set(err, ENOMEM, "cannot create a seccomp filter");
	/* No libseccomp attribute NNP: mlrun sets no_new_privs itself before loading. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (json_object_object_get_ex(s, "architectures", &v) && v) {
		for (size_t i = 0; json_object_is_type(v, json_type_array) && i < json_object_array_length(v); i++) {
			json_object *a = json_object_array_get_idx(v, i);
			uint32_t arch;
			if (!a || !json_object_is_type(a, json_type_string) ||
			    parse_arch(json_object_get_string(a), &arch) < 0) {
				r = error_set(err, EINVAL, "linux.seccomp.architectures[%zu]: unknown architecture", i);
				goto out;
			}
			if ((r = seccomp_arch_add(ctx, arch)) < 0 && r != -EEXIST) {
				r = error_set(err, -r, "linux.seccomp.architectures[%zu]", i);
				goto out;
			}
		}
	}
	r = 0;
	if (json_object_object_get_ex(s, "syscalls", &v) && v) {
		if (!json_object_is_type(v, json_type_array)) {
			r = error_set(err, EINVAL, "linux.seccomp.syscalls: not an array");
			goto out;
		}
		for (size_t i = 0; i < json_object_array_length(v) && r == 0; i++)
			r = add_rule(ctx, json_object_array_get_idx(v, i), i, dflt, dflt_errno, err);
	}
	if (r == 0)
		r = seccomp_export_prog(ctx, prog, err);
out:
	seccomp_release(ctx);
	return r;
}
