/* probe.c - what the container mlrun runs in allows, asked of the kernel before anything is built.
 *
 * Inside a container the outer seccomp filter (Docker's and podman's default profiles) and a
 * masked /proc decide whether a sandbox can be built at all; the kernel's own answers tell them
 * apart from mlrun's bugs. Each question is asked so that only a filter can say no: unshare(0)
 * and mount("", "", ...) never reach a permission check (the kernel answers 0, and ENOENT from
 * looking up the empty target before it asks may_mount()),
 * and sethostname in a user namespace of our own holds CAP_SYS_ADMIN there. A fresh proc is
 * tried in a child of its own (new user, pid and mount namespaces): the kernel refuses it
 * while the container's /proc has masked files (mount_too_revealing). A filter that denies only
 * sethostname (podman's default profile) still lets a sandbox be built: the caller keeps the
 * container's hostname ([sandbox] hostname_required decides, runtime/run.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "ns.h"

#define PROBE_HOSTNAME "mlrun-probe"

struct probe_answer {
	int hostname_err, proc_err;
};

bool ns_seccomp_filtered(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "Seccomp:", 8) == 0)
			return strtol(line + 8, NULL, 10) == 2; /* SECCOMP_MODE_FILTER */
	return false;
}

/* A syscall's errno, 0 if it succeeded or failed in the kernel's own way (expected). */
static int filter_errno(long r, int expected)
{
	return r == 0 || errno == expected ? 0 : errno;
}

static int fresh_proc(void)
{
	int fs = fsopen("proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		return errno;
	int m = -1, e = 0;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 || (m = fsmount(fs, FSMOUNT_CLOEXEC, 0)) < 0)
		e = errno;
	if (m >= 0)
		close(m);
	close(fs);
	return e;
}

/* The child: pid 1 of new user, pid, mount and UTS namespaces. Syscalls only, then _exit. */
__attribute__((noreturn)) static void probe_child(int fd, bool with_proc)
{
	struct probe_answer a = { 0, 0 };
	a.hostname_err = sethostname(PROBE_HOSTNAME, strlen(PROBE_HOSTNAME)) < 0 ? errno : 0;
	if (with_proc)
		a.proc_err = fresh_proc();
	ssize_t n = write(fd, &a, sizeof(a));
	_exit(n == (ssize_t)sizeof(a) ? 0 : 1);
}

void ns_probe(struct ns_probe *pr, bool with_proc)
{
	memset(pr, 0, sizeof(*pr));
	pr->filtered = ns_seccomp_filtered();
	pr->unshare_err = filter_errno(unshare(0), 0);
	pr->mount_err = filter_errno(mount("", "", "", 0, NULL), ENOENT);
	pr->hostname_err = pr->proc_err = -1;

	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		pr->clone_err = errno;
		return;
	}
	int pidfd = -1;
	struct ns_clone_args a = { CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS, -1 };
	pid_t pid = ns_clone(&a, &pidfd);
	if (pid == 0) {
		close(p[0]);
		probe_child(p[1], with_proc);
	}
	close(p[1]);
	if (pid < 0) {
		pr->clone_err = (int)-pid;
	} else {
		struct probe_answer ans;
		ssize_t n;
		while ((n = read(p[0], &ans, sizeof(ans))) < 0 && errno == EINTR)
			;
		while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof(ans)) {
			pr->hostname_err = ans.hostname_err;
			pr->proc_err = with_proc ? ans.proc_err : -1;
		}
		close(pidfd);
	}
	close(p[0]);
}

size_t ns_probe_denied(const struct ns_probe *pr, char *buf, size_t len)
{
	const char *names[4];
	size_t n = 0, used = 0;
	/* Docker's profile denies namespace flags to clone (and clone3 outright) with unshare. */
	if (pr->clone_err == EPERM && pr->unshare_err)
		names[n++] = "clone with namespace flags";
	if (pr->unshare_err)
		names[n++] = "unshare";
	if (pr->mount_err)
		names[n++] = "mount";
	if (pr->hostname_err > 0)
		names[n++] = "sethostname";
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? (i + 1 == n ? " and " : ", ") : "",
					 names[i]);
	return pr->filtered ? n : 0;
}

bool ns_probe_hostname_only(const struct ns_probe *pr)
{
	char denied[128];
	return ns_probe_denied(pr, denied, sizeof(denied)) == 1 && pr->hostname_err > 0;
}

int ns_check_container(const struct ns_probe *pr, struct error *err)
{
	char denied[128];
	if (ns_probe_denied(pr, denied, sizeof(denied)) == 0 || ns_probe_hostname_only(pr))
		return 0;
	return error_set(err, 0, "no sandbox can be built in this container: its seccomp filter denies %s (Docker's "
			 "and podman's default profiles do, to a process without CAP_SYS_ADMIN); " NS_FIX_CONTAINER,
			 denied);
}
