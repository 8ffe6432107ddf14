/* child.c - the sandbox's side, from clone3 to execve.
 *
 * Read top to bottom, this is the order in which the sandbox is built. Every step is one
 * function whose comment names what it protects against; a failing step sends
 * (stage, -errno, index) to the parent over a CLOEXEC pipe and exits: the parent prints the
 * message. Nothing here allocates: the parent prepared every path, string and buffer. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "sandbox.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void send_msg(const struct sandbox *sb, enum child_stage stage, int err, int index)
{
	struct child_msg m = { .stage = stage, .err = err, .index = index, .t_ns = now_ns() };
	ssize_t n = write(sb->msg_fd, &m, sizeof(m)); /* < PIPE_BUF: atomic */
	(void)n;
}

/* Report a failed step and exit; a successful one is traced with -v. */
static void step(const struct sandbox *sb, enum child_stage stage, int r, int index)
{
	if (r < 0) {
		send_msg(sb, stage, r, index);
		_exit(EXIT_MLRUN_ERROR);
	}
	if (sb->verbose)
		send_msg(sb, stage, 0, index);
}

/* Inherited descriptors (the caller's leaks, the supervisor's own) must not reach the
 * sandbox: close every fd above 2 except the child's three pipes, the seccomp socket and the
 * program's pty. */
static int close_inherited_fds(const struct sandbox *sb)
{
	enum { N_KEEP = 9 };
	int keep[N_KEEP] = { sb->sync_fd, sb->msg_fd, sb->status_fd, sb->sec.seccomp ? sb->sec.notify_fd : -1,
			     sb->tty_slave, sb->ready_fd, sb->start_fd, sb->premade_fd[0], sb->premade_fd[1] };
	for (int i = 1; i < N_KEEP; i++) /* sort nine values */
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	unsigned int from = 3;
	for (int i = 0; i < N_KEEP; i++) {
		if (keep[i] < 0 || (unsigned int)keep[i] < from)
			continue;
		if ((unsigned int)keep[i] > from && syscall(SYS_close_range, from, keep[i] - 1, 0) < 0)
			return -errno;
		from = (unsigned int)keep[i] + 1;
	}
	return syscall(SYS_close_range, from, ~0u, 0) < 0 ? -errno : 0;
}

/* A caller's stdout/stderr that is a regular file reaches the program as a pipe the supervisor
 * copies (runtime/relay.h): the file_size limit is for files the program writes, and the
 * caller's own file would otherwise stop at it, or cost the program a SIGXFSZ. Before the fds
 * are closed: the pipe's own fds go with the rest. */
static int use_output_pipes(const struct sandbox *sb)
{
	for (int fd = 0; fd < 3; fd++)
		if (sb->out_pipe[fd] >= 0 && dup2(sb->out_pipe[fd], fd) < 0)
			return -errno;
	return 0;
}

/* The caller's terminal never enters the sandbox: TIOCSETD, tcflow, tcsetattr, TIOCSWINSZ and
 * O_NONBLOCK on it would outlive the run. Fds 0-2 that were terminals become the program's
 * own pty (the rest pass through unchanged), in pid 1 too. */
static int use_own_terminal(const struct sandbox *sb)
{
	if (sb->tty_slave < 0)
		return 0;
	for (int fd = 0; fd < 3; fd++)
		if (sb->tty_slave_for[fd] && dup2(sb->tty_slave, fd) < 0)
			return -errno;
	return close(sb->tty_slave) < 0 ? -errno : 0;
}

/* The program leads a session whose controlling terminal is its pty: Ctrl-C there is SIGINT
 * to its foreground process group, /dev/tty is the pty, and job control inside works. */
static int take_terminal(const struct sandbox *sb)
{
	for (int fd = 0; fd < 3; fd++)
		if (sb->tty_slave_for[fd])
			return setsid() < 0 || ioctl(fd, TIOCSCTTY, 0) < 0 ? -errno : 0;
	return 0;
}

/* Nothing may run before the id maps exist; EOF here means the supervisor died first. */
static int wait_for_parent(const struct sandbox *sb)
{
	char c;
	ssize_t n;
	do
		n = read(sb->sync_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -ECHILD;
}

/* newgidmap leaves setgroups allowed only when it mapped a range of /etc/subgid; read on the stack. */
static bool setgroups_allowed(void)
{
	char buf[8] = "";
	int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n >= 5 && memcmp(buf, "allow", 5) == 0;
}

/* Run as the unprivileged sandbox user from here on; as root, also shed root's supplementary
 * groups, which would otherwise still grant group access to host files. The set-up that follows
 * (mounts, pivot_root, the program's capabilities) needs the capabilities of the user namespace:
 * a switch away from a uid 0 that the namespace maps would clear them, so KEEPCAPS holds the
 * permitted set across it and the effective set is restored from it, as runc and crun do. */
static int become_sandbox_user(const struct sandbox *sb)
{
	if ((sb->as_root || (sb->idmap.via_helpers && setgroups_allowed())) && setgroups(sb->n_groups, sb->groups) < 0)
		return -errno;
	/* groups asked for that cannot be set (newgidmap denied setgroups: no /etc/subgid range used) */
	if (sb->n_groups && !sb->as_root && !(sb->idmap.via_helpers && setgroups_allowed()))
		return -EPERM;
	if (setresgid(sb->idmap.inside_gid, sb->idmap.inside_gid, sb->idmap.inside_gid) < 0)
		return -errno;
	if (prctl(PR_SET_KEEPCAPS, 1) < 0)
		return -errno;
	if (setresuid(sb->idmap.inside_uid, sb->idmap.inside_uid, sb->idmap.inside_uid) < 0)
		return -errno;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	if (prctl(PR_SET_KEEPCAPS, 0) < 0 || syscall(SYS_capget, &h, d) < 0)
		return -errno;
	d[0].effective = d[0].permitted, d[1].effective = d[1].permitted;
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* If the supervisor is killed, the sandbox must die too. PDEATHSIG is set after the uid
 * change (which clears it) and then the parent is re-checked: it may have died just before. */
static int die_with_parent(const struct sandbox *sb)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return -errno;
	struct pollfd p = { .fd = sb->sync_fd, .events = POLLIN };
	int n;
	while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -errno;
	return p.revents & (POLLHUP | POLLERR) ? -ECHILD : 0;
}

/* No hostname (sb->hostname NULL) where the container's seccomp filter denies sethostname and
 * the policy allows keeping the container's: the UTS namespace is still the sandbox's own. */
static int set_hostname(const struct sandbox *sb)
{
	if (!sb->hostname)
		return 0;
	return sethostname(sb->hostname, strlen(sb->hostname)) < 0 ? -errno : 0;
}

/* mlrun-oci's linux.sysctl (only keys of the container's own namespaces: oci_spec.c), once its
 * namespaces exist: /proc/sys/net and the IPC keys show the writer's namespaces. Each file is
 * opened beneath /proc/sys with no link and no mount crossing, so a name cannot lead to a
 * sysctl of the host outside the one the key says. */
static int write_sysctls(const struct sandbox *sb, int *failed)
{
	if (!sb->n_sysctls)
		return 0;
	int dir = rootfs_openat2(AT_FDCWD, "/proc/sys", O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (dir < 0)
		return dir;
	int r = 0;
	for (size_t i = 0; i < sb->n_sysctls && r == 0; i++) {
		*failed = (int)i;
		int fd = rootfs_openat2(dir, sb->sysctls[i].path, O_WRONLY | O_NOCTTY,
					RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
		if (fd < 0) {
			r = fd;
			break;
		}
		ssize_t n = write(fd, sb->sysctls[i].value, sb->sysctls[i].len);
		r = n < 0 ? -errno : (size_t)n != sb->sysctls[i].len ? -EIO : 0;
		close(fd);
	}
	close(dir);
	return r;
}

/* The cgroup namespace is created here, once the child sits in its leaf, so the leaf is the
 * root of what it sees in /proc/self/cgroup: the host's cgroup paths stay hidden. */
static int unshare_cgroupns(void)
{
	return unshare(CLONE_NEWCGROUP) < 0 ? -errno : 0;
}

/* A new session: the caller's terminal is no longer the sandbox's controlling terminal, so
 * TIOCSTI cannot push keystrokes into the caller's shell, and job-control signals from that
 * terminal reach only the supervisor, which forwards them. */
static int start_session(void)
{
	return setsid() < 0 ? -errno : 0;
}

/* The config's or the policy's rlimits (also mlrun-oci exec's: tools/oci_exec.c). */
int sandbox_set_rlimits(const struct sandbox *sb)
{
	for (size_t i = 0; i < sb->n_rlimits; i++) {
		struct rlimit rl = { .rlim_cur = sb->rlimits[i].soft, .rlim_max = sb->rlimits[i].hard };
		if (setrlimit(sb->rlimits[i].resource, &rl) < 0)
			return -errno;
	}
	return 0;
}

/* A fresh proc of the sandbox's pid namespace, detached (pid directories only, CLOEXEC), to
 * write the program's own id maps once it has left the sandbox's user namespace: the
 * container's proc may sit anywhere or be masked, and the maps must be opened from the new
 * namespace. Closed before anything of the image runs. */
static int open_own_proc(void)
{
	int fs = fsopen("proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	int m = -1;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "subset", "pid", 0) == 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	int r = m < 0 ? -errno : m;
	close(fs);
	return r;
}

/* CAP_SYS_ADMIN granted to the container must not act where mlrun set the sandbox up: the
 * program enters a user namespace of its own, owned by the sandbox's, with a copy of the
 * sandbox's mount namespace. The kernel locks every mount of that copy (MNT_LOCKED, and its
 * read-only, nosuid, nodev, noexec flags), so it cannot unmount or remount mlrun's masks of
 * /proc or the read-only root; the pid namespace stays the sandbox's, so neither can it mount a
 * fresh, unmasked proc. Its UTS namespace (a copy: same hostname) and network namespace are its
 * own, so the capabilities act there, as in runc. */
static int enter_container_userns(const struct sandbox *sb)
{
	int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | (sb->caps.own_netns ? CLONE_NEWNET : 0);
	return unshare(flags) < 0 ? -errno : 0;
}

static int write_proc(int procfd, const char *file, const char *text)
{
	int fd = openat(procfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int r = n < 0 ? -errno : (size_t)n == strlen(text) ? 0 : -EIO;
	close(fd);
	return r;
}

/* The container's user namespace maps only the sandbox's one uid and gid (to themselves), and
 * setgroups is denied there (the kernel's rule for a map its own process writes): no other id
 * of the sandbox's namespace becomes reachable through the new one. */
static int map_container_ids(const struct sandbox *sb, int procfd)
{
	/* The uid switch left the process non-dumpable, which makes its /proc files host root's;
	 * it execs a program of the same uid next, which would be dumpable anyway. */
	int r = prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 ? -errno : 0;
	if (r == 0)
		r = write_proc(procfd, "self/setgroups", "deny");
	if (r == 0)
		r = write_proc(procfd, "self/gid_map", sb->caps.gid_map);
	if (r == 0)
		r = write_proc(procfd, "self/uid_map", sb->caps.uid_map);
	close(procfd);
	return r;
}

/* Exactly the capabilities the config grants (none in the exec-wrapper path, none in pid 1),
 * never more: the bounding set first (what file capabilities or a setuid-root program could
 * ever add back), then the effective, permitted and inheritable sets, then the ambient set
 * (what a program not running as uid 0 keeps across execve), cleared before it is raised.
 * Also mlrun-oci exec's (tools/oci_exec.c): one place decides what a container's process keeps. */
int sandbox_set_capabilities(const struct sandbox_caps *c)
{
	/* Up to the kernel's last capability: DROP of an unknown one is EINVAL (no READ probe
	 * before each drop: 41 syscalls fewer, in pid 1 and in the payload); a kept one is probed. */
	for (int cap = 0;; cap++)
		if (c->bounding & (1ull << cap)) {
			if (prctl(PR_CAPBSET_READ, cap) < 0)
				break;
		} else if (prctl(PR_CAPBSET_DROP, cap) < 0) {
			if (errno == EINVAL && cap > 0)
				break;
			return -errno;
		}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	for (int i = 0; i < 2; i++)
		d[i] = (struct __user_cap_data_struct){ .effective = (uint32_t)(c->effective >> (32 * i)),
							.permitted = (uint32_t)(c->permitted >> (32 * i)),
							.inheritable = (uint32_t)(c->inheritable >> (32 * i)) };
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	for (int cap = 0; cap < 64; cap++)
		if ((c->ambient & (1ull << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -errno;
	return 0;
}

/* setuid binaries and file capabilities gain nothing, and seccomp can be loaded unprivileged. */
static int set_no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

/* The syscall filter (security/notify.c): kernel attack surface the program has no use for.
 * It is loaded last, after every other step, so the filter never has to allow the set-up's own
 * syscalls beyond handing the listener to the supervisor and the final execve. */
static int load_seccomp(const struct sandbox *sb)
{
	return seccomp_enforce(&sb->sec);
}

/* mlrun-oci: the container is created once everything above has succeeded; the engine's
 * `start` decides when the program runs. Until then nothing of the image has executed. EOF
 * cannot happen (the FIFO is open read-write), so only `start`'s byte or a kill ends the wait. */
static int wait_for_start(const struct sandbox *sb)
{
	char c = 1;
	ssize_t n;
	if (sb->start_fd < 0)
		return 0;
	if (sb->ready_fd >= 0) {
		while ((n = write(sb->ready_fd, &c, 1)) < 0 && errno == EINTR)
			;
		close(sb->ready_fd);
		if (n != 1)
			return -EPIPE;
	}
	while ((n = read(sb->start_fd, &c, 1)) < 0 && errno == EINTR)
		;
	close(sb->start_fd);
	return n == 1 ? 0 : -ECANCELED;
}

/* Try the prepared candidate paths; report the most telling errno if none can be executed. */
static void exec_payload(const struct sandbox *sb)
{
	int best = -ENOENT, best_index = 0;
	for (size_t i = 0; i < sb->n_exec_paths; i++) {
		execve(sb->exec_paths[i], sb->argv, sb->envp);
		if (errno != ENOENT && errno != ENOTDIR && best == -ENOENT) {
			best = -errno;
			best_index = (int)i;
		}
	}
	send_msg(sb, STAGE_EXEC, best, best_index);
	_exit(best == -ENOENT ? EXIT_MLRUN_NOT_FOUND : EXIT_MLRUN_CANNOT_EXEC);
}

__attribute__((noreturn)) static void run_payload(const struct sandbox *sb)
{
	sigprocmask(SIG_SETMASK, &sb->payload_sigmask, NULL);
	close(sb->status_fd);
	close(sb->sync_fd);

	step(sb, STAGE_TERMINAL, take_terminal(sb), 0);
	step(sb, STAGE_RLIMITS, sandbox_set_rlimits(sb), 0);
	if (sb->caps.own_userns) {
		int procfd = open_own_proc();
		step(sb, STAGE_CONTAINER_USERNS, procfd, 0);
		step(sb, STAGE_CONTAINER_USERNS, enter_container_userns(sb), 1);
		step(sb, STAGE_CONTAINER_USERNS, map_container_ids(sb, procfd), 2);
		if (sb->caps.own_netns && sb->loopback)
			step(sb, STAGE_LOOPBACK, ns_send_lo_up(&sb->lo), 0);
	}
	step(sb, STAGE_DROP_CAPS, sandbox_set_capabilities(&sb->caps), 0);
	step(sb, STAGE_NO_NEW_PRIVS, set_no_new_privs(), 0);
	if (sb->set_umask)
		umask(sb->umask);
	step(sb, STAGE_OCI_START, wait_for_start(sb), 0);
	/* Landlock: writes outside what the policy made writable, even through a mount gone wrong. */
	step(sb, STAGE_LANDLOCK, landlock_enforce(&sb->sec), 0);
	step(sb, STAGE_SECCOMP, load_seccomp(sb), 0);
	exec_payload(sb);
	_exit(EXIT_MLRUN_ERROR);
}

/* A process' CPU time as RLIMIT_CPU measures it: the PROF clock (tick-sampled user+system),
 * which can run ahead of wait4's precise rusage on a busy machine. */
static uint64_t prof_cpu_ns(pid_t pid)
{
	const clockid_t prof = (clockid_t)((~(unsigned)pid << 3) | 0); /* MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_PROF) */
	struct timespec ts;
	if (clock_gettime(prof, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t tv_us(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Tell the supervisor the sandbox is empty, with the CPU and memory wait4 on pid 1 would give.
 * Every fd but the status pipe is closed first, so the program's pty and output pipes are at
 * EOF when the message arrives: the supervisor drains them and returns at once, without
 * waiting for pid 1's exit and the namespaces' teardown in it. */
static void send_sandbox_end(const struct sandbox *sb)
{
	struct rusage self, kids;
	struct sandbox_end end = { 0 };
	if (getrusage(RUSAGE_SELF, &self) == 0 && getrusage(RUSAGE_CHILDREN, &kids) == 0) {
		end.utime_us = tv_us(self.ru_utime) + tv_us(kids.ru_utime);
		end.stime_us = tv_us(self.ru_stime) + tv_us(kids.ru_stime);
		end.maxrss_kb = self.ru_maxrss > kids.ru_maxrss ? self.ru_maxrss : kids.ru_maxrss;
	}
	if (sb->status_fd > 0)
		syscall(SYS_close_range, 0, sb->status_fd - 1, 0);
	syscall(SYS_close_range, sb->status_fd + 1, ~0u, 0);
	ssize_t n = write(sb->status_fd, &end, sizeof(end)); /* < PIPE_BUF: atomic */
	(void)n;
}

/* Kill every other process of the pid namespace and reap them all: a process is only in
 * wait4's rusage once reaped, and without a cgroup that rusage is the run's CPU time. Were
 * pid 1 to exit first, the kernel would kill them unreaped and their CPU would go unseen.
 * waitpid's ECHILD is the proof that pid 1 is alone: every process of a pid namespace descends
 * from its pid 1 and orphans are reparented to it, so no child left means no process left. */
__attribute__((noreturn)) static void teardown(const struct sandbox *sb, int code)
{
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	if (errno == ECHILD)
		send_sandbox_end(sb);
	_exit(code);
}

/* pid 1 of the sandbox: forwards the signals the supervisor relays to the payload, reaps
 * every orphan, and when the payload ends sends its wait status to the supervisor, then
 * tears the sandbox down and exits. */
__attribute__((noreturn)) static void run_init(const struct sandbox *sb, pid_t payload)
{
	close(sb->msg_fd); /* EOF for the supervisor once the payload has exec'd */
	close(sb->sync_fd);
	if (sb->sec.seccomp)
		close(sb->sec.notify_fd); /* only the payload may hand over the listener */
	if (sb->sec.ruleset_fd >= 0)
		close(sb->sec.ruleset_fd);
	if (sb->ready_fd >= 0)
		close(sb->ready_fd); /* only the payload says "created" */
	if (sb->start_fd >= 0)
		close(sb->start_fd);
	/* The payload runs as the same uid: it must not ptrace or read the memory of pid 1. */
	prctl(PR_SET_DUMPABLE, 0);
	static const struct sandbox_caps none;
	sandbox_set_capabilities(&none);
	set_no_new_privs();

	sigset_t set;
	sigprocmask(SIG_BLOCK, NULL, &set); /* the supervisor blocked what it forwards */
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SANDBOX_SIG_TEARDOWN);
	bool suspended = false;
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		/* The supervisor's (from outside the pid namespace: si_pid 0), not the program's. */
		if (sig == SANDBOX_SIG_TEARDOWN) {
			if (si.si_code == SI_USER && si.si_pid == 0)
				kill(-1, SIGKILL); /* the payload's end follows through SIGCHLD */
			continue;
		}
		/* Ctrl-Z without a cgroup to freeze: stop every process of the sandbox (SIGTSTP
		 * itself would be dropped, the program's process group is orphaned in its session). */
		if (sig == SIGTSTP || (sig == SIGCONT && suspended)) {
			suspended = sig == SIGTSTP;
			kill(-1, suspended ? SIGSTOP : SIGCONT);
			continue;
		}
		if (sig != SIGCHLD) {
			kill(payload, sig);
			continue;
		}
		siginfo_t ci;
		int status;
		/* Look before reaping: the payload's CPU clock is readable while it is a zombie. */
		while (memset(&ci, 0, sizeof(ci)), waitid(P_ALL, 0, &ci, WEXITED | WNOHANG | WNOWAIT) == 0 && ci.si_pid > 0) {
			struct payload_end end = { .cpu_prof_ns = ci.si_pid == payload ? prof_cpu_ns(payload) : 0 };
			if (waitpid(ci.si_pid, &status, __WALL) != ci.si_pid || ci.si_pid != payload)
				continue;
			end.status = status;
			ssize_t n = write(sb->status_fd, &end, sizeof(end));
			(void)n;
			teardown(sb, WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_MLRUN_SIGNAL_BASE + WTERMSIG(status));
		}
	}
}

void sandbox_child(struct sandbox *sb)
{
	size_t failed = 0;
	int rootfd = -1, failed_rule = -1, r;

	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD); /* pid 1 collects it with sigwaitinfo */
	sigaddset(&chld, SANDBOX_SIG_TEARDOWN);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	step(sb, STAGE_CLOSE_FDS, use_output_pipes(sb), 0);
	step(sb, STAGE_CLOSE_FDS, close_inherited_fds(sb), 0);
	step(sb, STAGE_TERMINAL, use_own_terminal(sb), 0);
	step(sb, STAGE_SYNC, wait_for_parent(sb), 0);
	step(sb, STAGE_MOUNT_PRIVATE, rootfs_make_private(), 0);
	/* Sources are cloned with the caller's own file access (root's, or the rootless user's),
	 * before the switch to the sandbox user: what the caller exposes, the caller can read. */
	r = rootfs_clone_sources(&sb->plan, &failed);
	step(sb, STAGE_CLONE_SOURCES, r, (int)failed);
	step(sb, STAGE_IDENTITY, become_sandbox_user(sb), 0);
	step(sb, STAGE_PARENT_DEATH, die_with_parent(sb), 0);
	step(sb, STAGE_HOSTNAME, set_hostname(sb), 0);
	if (sb->loopback)
		step(sb, STAGE_LOOPBACK, ns_send_lo_up(&sb->lo), 0);
	int failed_sysctl = 0;
	r = write_sysctls(sb, &failed_sysctl);
	step(sb, STAGE_SYSCTL, r, failed_sysctl);
	if (sb->unshare_cgroupns)
		step(sb, STAGE_CGROUPNS, unshare_cgroupns(), 0);
	r = rootfs_assemble(&sb->plan, &rootfd, &failed);
	step(sb, STAGE_ASSEMBLE_ROOT, r, (int)failed);
	if (sb->plan.proc_fell_back) /* always sent: the report must say so */
		send_msg(sb, STAGE_PROC_CONTAINER, 0, 0);
	r = sb->plan.root_bind ? rootfs_oci_mask(rootfd, &sb->plan, &failed) : rootfs_mask_proc(rootfd, &failed);
	step(sb, STAGE_MASK_PROC, r, (int)failed);
	step(sb, STAGE_PIVOT, rootfs_pivot(rootfd), 0);
	close(rootfd);
	step(sb, STAGE_CHDIR, chdir(sb->plan.cwd) < 0 ? -errno : 0, 0);
	step(sb, STAGE_SESSION, start_session(), 0);
	r = landlock_create(&sb->sec, &failed_rule);
	step(sb, STAGE_LANDLOCK_RULES, r, failed_rule);

	/* Nothing of the program runs before the supervisor has refused the ids of an account. */
	step(sb, STAGE_IDS_CHECKED, wait_for_parent(sb), 0);
	/* The filter the supervisor compiled meanwhile, from the mapping shared before the clone:
	 * no program runs without it, and no other program is ever loaded in its place. */
	if (sb->sec.shared)
		step(sb, STAGE_SECCOMP_TAKE, security_adopt_later(&sb->sec), 0);
	/* From here on nothing reads mlrun's own argv or environment (sb->argv is a copy). */
	sandbox_hide_cmdline(&sb->cmdline);
	/* vfork: pid 1's memory is not copied for a process that only runs syscalls on its stack
	 * and execs (no page-table copy, no copy-on-write faults on either side: 0.1-0.3 ms); pid 1
	 * sleeps until the program's execve. Not for mlrun-oci, whose payload waits for `start`
	 * while pid 1 must relay signals. */
	pid_t payload = sb->start_fd < 0 ? vfork() : fork();
	if (payload == 0)
		run_payload(sb);
	step(sb, STAGE_FORK_PAYLOAD, payload < 0 ? -errno : 0, 0);
	run_init(sb, payload);
}

const char *sandbox_stage_name(enum child_stage s)
{
	static const char *const names[STAGE_COUNT] = {
		[STAGE_SYNC] = "wait for the id maps",
		[STAGE_IDENTITY] = "switch to the sandbox user",
		[STAGE_PARENT_DEATH] = "tie the sandbox to the supervisor",
		[STAGE_HOSTNAME] = "set the hostname",
		[STAGE_LOOPBACK] = "bring up lo",
		[STAGE_CGROUPNS] = "enter a cgroup namespace",
		[STAGE_MOUNT_PRIVATE] = "make mounts private",
		[STAGE_CLONE_SOURCES] = "clone bind sources",
		[STAGE_ASSEMBLE_ROOT] = "assemble the root filesystem",
		[STAGE_PIVOT] = "pivot_root into the sandbox",
		[STAGE_CHDIR] = "enter the working directory",
		[STAGE_SESSION] = "start a new session",
		[STAGE_FORK_PAYLOAD] = "fork the program",
		[STAGE_RLIMITS] = "set rlimits",
		[STAGE_CLOSE_FDS] = "close inherited descriptors",
		[STAGE_TERMINAL] = "give the program its own terminal",
		[STAGE_DROP_CAPS] = "drop capabilities",
		[STAGE_NO_NEW_PRIVS] = "set no_new_privs",
		[STAGE_LANDLOCK_RULES] = "build the Landlock ruleset",
		[STAGE_LANDLOCK] = "enforce the Landlock ruleset",
		[STAGE_SECCOMP] = "load the seccomp filter",
		[STAGE_EXEC] = "execute the program",
		[STAGE_MASK_PROC] = "mask host details in /proc",
		[STAGE_PROC_CONTAINER] = "bind the container's /proc (a fresh proc was refused)",
		[STAGE_OCI_START] = "wait for mlrun-oci start",
		[STAGE_CONTAINER_USERNS] = "enter the container's own user namespace",
		[STAGE_SYSCTL] = "write linux.sysctl",
		[STAGE_IDS_CHECKED] = "wait for the supervisor's id check and seccomp filter",
		[STAGE_SECCOMP_TAKE] = "take the seccomp filter the supervisor compiled",
	};
	return s >= 0 && s < STAGE_COUNT ? names[s] : "set up the sandbox";
}
