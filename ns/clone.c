/* clone.c - one clone3 call puts the child into its namespaces and (optionally) its cgroup:
 * no window in which the child runs outside its limits. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns.h"

pid_t ns_clone(const struct ns_clone_args *a, int *pidfd)
{
	struct clone_args ca;

	memset(&ca, 0, sizeof(ca));
	*pidfd = -1;
	ca.flags = a->flags | CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)pidfd;
	ca.exit_signal = SIGCHLD;
	if (a->cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)a->cgroup_fd;
	}
	long r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r >= 0)
		return (pid_t)r;
	if (errno != ENOSYS)
		return -errno;
	/* Kernels before 5.3 (and valgrind) have no clone3. Legacy clone does the same except
	 * CLONE_INTO_CGROUP, which has no equivalent without a window outside the limits. */
	if (a->cgroup_fd >= 0)
		return -ENOSYS;
	r = syscall(SYS_clone, (unsigned long)(a->flags | CLONE_PIDFD | SIGCHLD), NULL, pidfd, NULL, NULL);
	return r < 0 ? -errno : (pid_t)r;
}
