/* test_seccomp_builtin.c - the seccomp programs compiled into mlrun at build time
 * (security/builtin.c) are byte for byte what libseccomp compiles at run time for the same
 * profile, and only a profile exactly equal to a built-in one gets one.
 * TAP on stdout; exit 1 on any failure. */
#define _GNU_SOURCE
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/security.h"

#include "tap.h"

#define check(pass, ...) tap(pass, NULL, __VA_ARGS__)

/* The profile a policy with `seccomp = name` and no allow/deny lists runs with (security.c). */
static void effective(struct syscall_profile *sp, const char *name, char **allow, size_t n_allow, char **deny,
		      size_t n_deny)
{
	struct error err = { 0 };
	if (syscall_profile_builtin(sp, name) < 0 || syscall_profile_adjust(sp, allow, n_allow, deny, n_deny, &err) < 0)
		abort();
}

static void test_same_bytes(const char *name)
{
	static struct syscall_profile sp;
	struct sock_fprog built = { 0 }, compiled = { 0 };
	struct error err = { 0 };
	char got[128];

	effective(&sp, name, NULL, 0, NULL, 0);
	const char *which = seccomp_filter_builtin(&sp, &built);
	check(which && strcmp(which, name) == 0, "%s: the run-time profile finds its built-in program", name);
	if (seccomp_filter_compile(&sp, &compiled, &err) < 0)
		abort();
	snprintf(got, sizeof(got), "built in %u instructions, compiled now %u", built.len, compiled.len);
	tap(built.len == compiled.len && built.len > 0 &&
		    memcmp(built.filter, compiled.filter, (size_t)built.len * sizeof(*built.filter)) == 0,
	    got, "%s: the built-in program is byte for byte what seccomp_filter_compile makes now (%u instructions)",
	    name, compiled.len);
	free(built.filter);
	free(compiled.filter);
}

/* Any difference from the built-in profile, one syscall or the default, means compiling. */
static void test_only_exact(void)
{
	static struct syscall_profile sp;
	struct sock_fprog prog = { 0 };
	char *deny[] = { "getppid" }, *allow[] = { "ptrace" };

	effective(&sp, "default", NULL, 0, deny, 1);
	check(!seccomp_filter_builtin(&sp, &prog) && !prog.filter, "default + deny_syscalls getppid: compiled, not built in");
	effective(&sp, "strict", allow, 1, NULL, 0);
	check(!seccomp_filter_builtin(&sp, &prog) && !prog.filter, "strict + allow_syscalls ptrace: compiled, not built in");
	effective(&sp, "strict", NULL, 0, NULL, 0);
	sp.default_allow = true;
	check(!seccomp_filter_builtin(&sp, &prog) && !prog.filter, "strict's verdicts as a deny-list: compiled");
	effective(&sp, "default", NULL, 0, NULL, 0);
	sp.verdict[SYSCALL_NR_MAX - 1] = SV_UNSET;
	check(!seccomp_filter_builtin(&sp, &prog) && !prog.filter, "default with its last number no longer denied: compiled");
	/* What the adjustment always adds is part of the key: the bare built-in lacks it. */
	syscall_profile_builtin(&sp, "strict");
	int write_nr = syscall_resolve("write");
	sp.verdict[write_nr] = SV_UNSET;
	check(!seccomp_filter_builtin(&sp, &prog) && !prog.filter, "strict without the required syscalls: compiled");
}

static void test_version(void)
{
	const struct scmp_version *v = seccomp_version();
	char now[32];
	snprintf(now, sizeof(now), "%u.%u.%u", v->major, v->minor, v->micro);
	tap(strcmp(now, seccomp_filter_builtin_libseccomp()) == 0, now,
	    "the built-in programs were compiled by the libseccomp linked in (%s)", seccomp_filter_builtin_libseccomp());
}

int main(void)
{
	test_same_bytes("strict");
	test_same_bytes("default");
	test_only_exact();
	test_version();
	return tap_done();
}
