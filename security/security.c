/* security.c - prepare the payload's syscall filter and Landlock ruleset (parent side). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "internal.h"

static bool seccomp_wanted(const struct policy *p)
{
	return p->seccomp && strcmp(p->seccomp, "off") != 0;
}

/* A filter that cannot be loaded fails the run (exit 125). Under on_violation = log every
 * denied call is answered "continue": the filter records, it does not enforce. */
bool security_seccomp_enforced(const struct policy *p)
{
	return seccomp_wanted(p) && p->on_violation != VIOLATION_LOG;
}

bool security_seccomp_recording_only(const struct policy *p)
{
	return seccomp_wanted(p) && p->on_violation == VIOLATION_LOG;
}

bool security_landlock_enforced(const struct policy *p)
{
	return p->landlock && landlock_abi_version() > 0;
}

static int load_profile(struct syscall_profile *sp, const struct policy *p, struct error *err)
{
	if (p->seccomp[0] == '/')
		return syscall_profile_load(sp, p->seccomp, err);
	if (syscall_profile_builtin(sp, p->seccomp) < 0)
		return error_set(err, EINVAL, "unknown seccomp profile '%s'", p->seccomp);
	return 0;
}

/* The filter, compiled here on every run and never read back from disk: a stored filter could
 * be replaced by anyone who can write as the caller's uid, the sandboxed program included
 * (docs/security.md, "State directory and filter cache"). A profile equal to a built-in one
 * takes the program compiled into the binary at build time instead (builtin.c): the same
 * bytes, without libseccomp's 1.5-4 ms. And the socketpair the payload sends the listener over. */
/* The program compiled after the clone: a MAP_SHARED page range made before it, so the child
 * sees what the supervisor writes; the kernel's own bound on a classic BPF program. */
struct seccomp_later {
	unsigned short len; /* 0 until compiled */
	struct sock_filter insns[BPF_MAXINSNS];
};

static int seccomp_prepare(struct security_plan *sec, const struct policy *p, bool overlapped, struct error *err)
{
	_cleanup_free_ struct syscall_profile *sp = calloc(1, sizeof(*sp));
	int fds[2], r;

	if (!sp)
		return error_set(err, ENOMEM, "out of memory");
	if ((r = load_profile(sp, p, err)) < 0 ||
	    (r = syscall_profile_adjust(sp, p->allow_syscalls, p->n_allow_syscalls, p->deny_syscalls,
					p->n_deny_syscalls, err)) < 0)
		return r;
	sec->prog_builtin = seccomp_filter_builtin(sp, &sec->prog);
	if (!sec->prog_builtin && overlapped) {
		void *m = mmap(NULL, sizeof(struct seccomp_later), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return error_set(err, errno, "cannot map memory for the seccomp filter");
		sec->shared = m;
		sec->later = TAKE_PTR(sp);
	} else if (!sec->prog_builtin && (r = seccomp_filter_compile(sp, &sec->prog, err)) < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return error_set(err, errno, "cannot create the seccomp notification socket");
	sec->notify_fd = fds[0];
	sec->monitor_fd = fds[1];
	sec->seccomp = true;
	return 0;
}

static int prepare(struct security_plan *sec, const struct policy *p, const struct rootfs_plan *plan, bool overlapped,
		   struct error *err)
{
	int r;
	memset(sec, 0, sizeof(*sec));
	sec->notify_fd = sec->monitor_fd = sec->ruleset_fd = -1;
	if (seccomp_wanted(p) && (r = seccomp_prepare(sec, p, overlapped, err)) < 0)
		return r;
	return landlock_prepare(sec, p, plan, err);
}

int security_prepare(struct security_plan *sec, const struct policy *p, const struct rootfs_plan *plan,
		     struct error *err)
{
	return prepare(sec, p, plan, false, err);
}

int security_prepare_overlapped(struct security_plan *sec, const struct policy *p, const struct rootfs_plan *plan,
				struct error *err)
{
	return prepare(sec, p, plan, true, err);
}

int security_compile_later(struct security_plan *sec, struct error *err)
{
	struct sock_fprog prog = { 0 };
	if (!sec->later)
		return 0;
	int r = seccomp_filter_compile(sec->later, &prog, err);
	if (r < 0)
		return r;
	if (prog.len == 0 || prog.len > BPF_MAXINSNS) {
		free(prog.filter);
		return error_set(err, E2BIG, "the seccomp filter has %u instructions (at most %d)", prog.len, BPF_MAXINSNS);
	}
	memcpy(sec->shared->insns, prog.filter, prog.len * sizeof(*prog.filter));
	sec->shared->len = prog.len;
	sec->prog = prog; /* the supervisor's own copy, freed by security_release */
	free(sec->later);
	sec->later = NULL;
	return 0;
}

int security_adopt_later(struct security_plan *sec)
{
	if (!sec->shared)
		return 0;
	if (sec->shared->len == 0 || sec->shared->len > BPF_MAXINSNS)
		return -EINVAL;
	sec->prog.filter = sec->shared->insns;
	sec->prog.len = sec->shared->len;
	return 0;
}

void security_release(struct security_plan *sec)
{
	free(sec->prog.filter);
	sec->prog.filter = NULL;
	free(sec->oci_prog.filter);
	sec->oci_prog.filter = NULL;
	free(sec->later);
	sec->later = NULL;
	if (sec->shared)
		munmap(sec->shared, sizeof(*sec->shared));
	sec->shared = NULL;
	sec->oci_prog.len = 0;
	free(sec->config_prog.filter);
	free(sec->policy_prog.filter);
	sec->config_prog = sec->policy_prog = (struct sock_fprog){ 0 };
	/* The fds are only valid once the filter was prepared (a zeroed plan holds fd 0). */
	if (sec->seccomp && sec->notify_fd >= 0)
		close(TAKE_FD(sec->notify_fd));
	if (sec->seccomp && sec->monitor_fd >= 0)
		close(TAKE_FD(sec->monitor_fd));
	sec->seccomp = false;
	landlock_release(sec);
}
