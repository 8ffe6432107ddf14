/* supervisor.c - the parent's side of a run.
 *
 * Single-threaded by design: the child is cloned from a process with no other thread (a
 * thread holding malloc's lock would deadlock it), and PR_SET_PDEATHSIG follows the parent
 * thread (bubblewrap#692). One poll loop watches the signalfd, the child's pidfd, its message
 * pipe, and the clock for the timeout and the samples. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "oci_hooks.h"
#include "prepare.h"
#include "pty.h"
#include "relay.h"
#include "state.h"
#include "supervisor.h"

/* Signals sent to mlrun that are relayed to the program (through the sandbox's pid 1). */
/* How long pid 1 may take to kill and reap the sandbox before it is killed itself. */
#define TEARDOWN_GRACE_NS (1000 * 1000000ull)

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM,
				 SIGTSTP };

struct sup {
	struct sandbox *sb;
	struct cgroup_leaf *leaf;
	const struct policy *p;
	struct trace *tr;
	pid_t pid;
	int pidfd, sigfd, msg_fd, status_fd, sync_fd;
	uint64_t start_ns, deadline_ns, next_sample_ns;
	uint64_t kill_deadline_ns; /* no cgroup: SIGKILL pid 1 if its teardown takes longer */
	bool exited, timed_out, cpu_time_out;
	bool init_reaped; /* wait4 collected pid 1 (not so when it reported the sandbox empty) */
	int init_status;
	struct rusage ru;
	int payload_status;
	uint64_t payload_prof_ns; /* its CPU as RLIMIT_CPU counted it */
	bool have_payload_status;
	bool sandbox_empty; /* pid 1 said it alone is left (struct sandbox_end); it is dying */
	struct child_msg failure; /* first failed step, stage < 0 when none */
	uint64_t mem_sum, samples;
	struct cgroup_stats last;
	bool have_stats;
	bool registered; /* a state file exists */
	bool proc_container; /* the child fell back to the container's /proc */
	struct violation_monitor vm; /* denied syscalls (security/notify.c) */
	struct pty_relay pty; /* the program's terminal (runtime/pty.c) */
	struct out_relay out; /* the caller's regular-file stdout/stderr (runtime/relay.c) */
};

static int pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

static void kill_sandbox(struct sup *s)
{
	/* cgroup.kill reaches every process of the run, also those that left the pid namespace's
	 * process tree view; killing pid 1 of the pid namespace takes the rest with it. */
	violation_monitor_drain(&s->vm, trace_now_ns()); /* calls still waiting count too */
	if (s->leaf && s->leaf->dirfd >= 0) {
		cgroup_leaf_kill(s->leaf);
		pidfd_signal(s->pidfd, SIGKILL);
		return;
	}
	/* No cgroup: pid 1 kills and reaps the rest first, so their CPU is in its rusage. */
	pidfd_signal(s->pidfd, SANDBOX_SIG_TEARDOWN);
	if (!s->kill_deadline_ns)
		s->kill_deadline_ns = trace_now_ns() + TEARDOWN_GRACE_NS;
}

static int make_pipe(int fds[2], struct error *err)
{
	return pipe2(fds, O_CLOEXEC) < 0 ? error_set(err, errno, "cannot create a pipe") : 0;
}

/* The start signal's channel. A socket, not a pipe: the child may already have failed and
 * closed its end (close_range before the id maps), and a byte written to a pipe nobody reads
 * any more kills the writer with SIGPIPE, so mlrun died of signal 13 (exit 141) instead of
 * reporting the child's failure. send(MSG_NOSIGNAL) returns EPIPE instead. */
static int make_sync_channel(int fds[2], struct error *err)
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0
		       ? error_set(err, errno, "cannot create the sandbox's start channel")
		       : 0;
}

/* Let the child go on: past the id maps (the first byte), and to the program's fork once the
 * ids are checked (the second). EPIPE: it has already ended, and its failure message (or its
 * exit) is what the supervision loop reports, not this write. */
static int send_start(int fd, size_t bytes, struct error *err)
{
	ssize_t n;
	while ((n = send(fd, "\0", bytes, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)bytes || (n < 0 && errno == EPIPE))
		return 0;
	return error_set(err, n < 0 ? errno : EIO, "cannot start the sandbox");
}

static void sample(struct sup *s, uint64_t now)
{
	struct cgroup_stats st;
	if (!s->leaf || s->leaf->dirfd < 0 || cgroup_stats_read(s->leaf, &st) < 0)
		return;
	s->last = st;
	s->have_stats = true;
	s->mem_sum += st.memory_current_bytes;
	s->samples++;
	s->next_sample_ns = now + s->p->sample_interval_ms * 1000000ull;
	/* CPU time is enforced from the cgroup's own accounting: it counts every thread and
	 * process of the run, and resolves well below a second (isolate#72). */
	if (s->p->cpu_time_ms != POLICY_UNLIMITED && st.cpu_usage_usec / 1000 >= s->p->cpu_time_ms && !s->cpu_time_out) {
		s->cpu_time_out = true;
		kill_sandbox(s);
	}
}

static void read_messages(struct sup *s)
{
	struct child_msg m;
	ssize_t n;
	while ((n = read(s->msg_fd, &m, sizeof(m))) == (ssize_t)sizeof(m)) {
		if (m.err < 0 && s->failure.stage < 0)
			s->failure = m;
		if (m.err == 0 && m.stage == STAGE_PROC_CONTAINER)
			s->proc_container = true;
		if (m.err == 0 && s->tr->on)
			trace_step(s->tr, m.t_ns, sandbox_stage_name(m.stage));
	}
	if (n == 0) {
		close(s->msg_fd);
		s->msg_fd = -1;
	}
}

static void tv_from_us(struct timeval *tv, int64_t us)
{
	tv->tv_sec = us / 1000000;
	tv->tv_usec = us % 1000000;
}

/* pid 1's messages, in order: the payload's end, then the sandbox's. Only pid 1 holds the
 * pipe's write end (the payload closes it first thing, and pid 1 is not dumpable, so no
 * process of the sandbox can take it from /proc or with pidfd_getfd). */
static void read_status(struct sup *s)
{
	if (s->status_fd < 0)
		return;
	if (!s->have_payload_status) {
		struct payload_end end;
		ssize_t n = read(s->status_fd, &end, sizeof(end));
		if (n == (ssize_t)sizeof(end)) {
			s->payload_status = end.status;
			s->payload_prof_ns = end.cpu_prof_ns;
			s->have_payload_status = true;
		} else if (n == 0) {
			closep(&s->status_fd);
			s->status_fd = -1;
			return;
		}
	}
	if (s->have_payload_status && !s->sandbox_empty) {
		struct sandbox_end end;
		ssize_t n = read(s->status_fd, &end, sizeof(end));
		if (n == (ssize_t)sizeof(end) && !s->init_reaped) { /* else wait4 said it all */
			s->sandbox_empty = true;
			tv_from_us(&s->ru.ru_utime, end.utime_us);
			tv_from_us(&s->ru.ru_stime, end.stime_us);
			s->ru.ru_maxrss = end.maxrss_kb;
		} else if (n == 0) {
			closep(&s->status_fd);
			s->status_fd = -1;
		}
	}
}

/* The program's status is in and pid 1 is alone in the sandbox: the run is over. pid 1 is
 * killed (it was exiting anyway; now it provably runs no more user code) and the caller gets
 * its answer without waiting for the kernel to tear the namespaces down in pid 1's exit. The
 * zombie is reaped later (finish_init) or, once mlrun has exited, by whoever inherits it. */
static void sandbox_over(struct sup *s)
{
	pidfd_signal(s->pidfd, SIGKILL);
	s->exited = true;
}

/* poll's timeout until wake (ns), -1 for never. A wait longer than INT_MAX ms (24.8 days) is
 * cut to INT_MAX: the loop wakes, finds the deadline not reached and waits again. A plain (int)
 * cast would wrap to a negative value, which poll reads as "wait forever". */
static int poll_timeout_ms(uint64_t now, uint64_t wake)
{
	if (wake == UINT64_MAX)
		return -1;
	uint64_t ms = (wake > now ? wake - now : 0) / 1000000 + 1;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Ctrl-Z (or SIGTSTP) stops the whole run: the sandbox (frozen, or its program stopped), then
 * mlrun with the caller's terminal settings back; `fg` or `bg` continues both. */
static void suspend_run(struct sup *s)
{
	bool frozen = s->leaf && s->leaf->dirfd >= 0 && cgroup_leaf_freeze(s->leaf, true) == 0;
	if (!frozen)
		pidfd_signal(s->pidfd, SIGTSTP); /* pid 1 relays it to the program */
	pty_suspend(&s->pty);
	kill(getpid(), SIGSTOP);
	pty_resume(&s->pty);
	if (frozen)
		cgroup_leaf_freeze(s->leaf, false);
	pidfd_signal(s->pidfd, SIGCONT);
}

static void relay_signal(struct sup *s, int sig)
{
	if (sig == SIGTSTP)
		return suspend_run(s);
	if (sig == SIGCONT)
		pty_resume(&s->pty);
	if (sig == SIGWINCH && s->pty.master >= 0)
		return pty_resize(&s->pty); /* the kernel signals the pty's foreground */
	pidfd_signal(s->pidfd, sig);
}

static int loop(struct sup *s)
{
	while (!s->exited) {
		uint64_t now = trace_now_ns();
		if (!s->timed_out && s->deadline_ns && now >= s->deadline_ns) {
			s->timed_out = true;
			kill_sandbox(s);
		}
		if (s->kill_deadline_ns && now >= s->kill_deadline_ns) {
			pidfd_signal(s->pidfd, SIGKILL);
			s->kill_deadline_ns = UINT64_MAX; /* sent, once */
		}
		if (s->next_sample_ns && now >= s->next_sample_ns)
			sample(s, now);
		uint64_t wake = UINT64_MAX;
		if (s->deadline_ns && !s->timed_out)
			wake = s->deadline_ns;
		if (s->next_sample_ns && s->next_sample_ns < wake)
			wake = s->next_sample_ns;
		if (s->kill_deadline_ns && s->kill_deadline_ns < wake)
			wake = s->kill_deadline_ns;
		if (violation_monitor_wake_ns(&s->vm) < wake)
			wake = violation_monitor_wake_ns(&s->vm);
		int timeout_ms = poll_timeout_ms(now, wake);

		struct pollfd fds[5 + PTY_POLLFDS + RELAY_POLLFDS] = {
			{ .fd = s->pidfd, .events = POLLIN },
			{ .fd = s->sigfd, .events = POLLIN },
			{ .fd = s->msg_fd, .events = POLLIN }, /* poll skips a negative fd */
			{ .fd = violation_monitor_fd(&s->vm, now), .events = POLLIN },
			{ .fd = s->status_fd, .events = POLLIN },
		};
		int pty_ms = pty_pollfds(&s->pty, fds + 5);
		relay_pollfds(&s->out, fds + 5 + PTY_POLLFDS);
		if (pty_ms >= 0 && (timeout_ms < 0 || pty_ms < timeout_ms))
			timeout_ms = pty_ms;
		if (poll(fds, ARRAY_SIZE(fds), timeout_ms) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[2].revents)
			read_messages(s);
		pty_handle(&s->pty, fds + 5);
		relay_handle(&s->out, fds + 5 + PTY_POLLFDS);
		if (fds[3].revents && violation_monitor_handle(&s->vm, fds[3].revents, trace_now_ns()) == MONITOR_KILL)
			kill_sandbox(s);
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				relay_signal(s, (int)si.ssi_signo);
		}
		if (fds[0].revents & POLLIN) {
			pid_t w;
			while ((w = wait4(s->pid, &s->init_status, 0, &s->ru)) < 0 && errno == EINTR)
				; /* the pidfd said it exited: only the call was interrupted */
			if (w < 0)
				return -errno;
			s->exited = s->init_reaped = true;
		} else if (fds[4].revents) {
			read_status(s);
			if (s->sandbox_empty)
				sandbox_over(s);
		}
	}
	return 0;
}

/* Reap pid 1 if it has finished exiting; otherwise leave it: it is killed and alone, and the
 * kernel is tearing its namespaces down. Once mlrun exits, its new parent reaps it. */
static void finish_init(struct sup *s)
{
	siginfo_t si = { 0 };
	if (s->exited && !s->init_reaped && s->pidfd >= 0)
		waitid(P_PIDFD, (id_t)s->pidfd, &si, WEXITED | WNOHANG);
}

/* SIGXCPU is the RLIMIT_CPU fallback's verdict only if that limit was set and the payload's
 * CPU, as the kernel counts it for that limit, reached it: any program can send itself
 * SIGXCPU. (Only the payload's: the rlimit is per process, and so is this check.) */
static bool rlimit_cpu_reached(const struct sup *s)
{
	for (size_t i = 0; i < s->sb->n_rlimits; i++)
		if (s->sb->rlimits[i].resource == RLIMIT_CPU)
			return s->have_payload_status && s->payload_prof_ns >= s->sb->rlimits[i].soft * 1000000000ull;
	return false;
}

/* The program's fate: the payload's status if pid 1 reported it, else pid 1's own. */
static void classify(struct sup *s, struct run_result *res)
{
	int st = s->have_payload_status ? s->payload_status : s->init_status;
	res->code = -1;
	res->signal = 0;
	if (WIFEXITED(st)) {
		res->status = RUN_EXITED;
		res->code = WEXITSTATUS(st);
		res->exit_code = res->code;
	} else {
		res->status = RUN_SIGNALED;
		res->signal = WTERMSIG(st);
		res->exit_code = EXIT_MLRUN_SIGNAL_BASE + res->signal;
	}
	if (s->have_stats && s->last.oom_kills > 0 && res->status == RUN_SIGNALED && res->signal == SIGKILL)
		res->status = RUN_OOM;
	else if (s->have_stats && s->last.pids_max_events > 0 && !(res->status == RUN_EXITED && res->code == 0))
		res->status = RUN_PIDS;
	if (res->status == RUN_SIGNALED && res->signal == SIGXCPU && rlimit_cpu_reached(s)) {
		res->status = RUN_CPU_TIME;
		res->exit_code = EXIT_MLRUN_TIMEOUT;
	}
	if (s->cpu_time_out) {
		res->status = RUN_CPU_TIME;
		res->exit_code = EXIT_MLRUN_TIMEOUT;
	}
	if (s->timed_out) {
		res->status = RUN_TIMEOUT;
		res->exit_code = EXIT_MLRUN_TIMEOUT;
	}
}

static void account(struct sup *s, struct run_result *res, uint64_t end_ns)
{
	res->wall_ms = (double)(end_ns - s->start_ns) / 1e6;
	res->cpu_user_ms = (double)s->ru.ru_utime.tv_sec * 1e3 + (double)s->ru.ru_utime.tv_usec / 1e3;
	res->cpu_system_ms = (double)s->ru.ru_stime.tv_sec * 1e3 + (double)s->ru.ru_stime.tv_usec / 1e3;
	res->memory_peak_bytes = (uint64_t)s->ru.ru_maxrss * 1024;
	res->memory_from_rusage = true;
	if (!s->have_stats)
		return;
	res->cgroup_stats = true;
	const struct cgroup_stats *st = &s->last;
	res->cpu_user_ms = (double)st->cpu_user_usec / 1e3;
	res->cpu_system_ms = (double)st->cpu_system_usec / 1e3;
	if (st->has_memory_peak && st->memory_peak_bytes) {
		res->memory_peak_bytes = st->memory_peak_bytes;
		res->memory_from_rusage = false;
	}
	res->memory_avg_bytes = res->samples ? s->mem_sum / res->samples : st->memory_current_bytes;
	res->pids_peak = st->has_pids_peak ? st->pids_peak : res->pids_peak;
	res->io_read_bytes = st->io_read_bytes;
	res->io_write_bytes = st->io_write_bytes;
	res->oom_kills = st->oom_kills;
	res->cpu_throttled_count = st->nr_throttled;
	res->cpu_throttled_ms = st->throttled_usec / 1000;
}

/* A step of the child failed: say which, on what, and why. */
static int setup_failure(struct sup *s, struct run_result *res, struct error *err)
{
	const struct child_msg *m = &s->failure;
	int e = -m->err;
	res->status = RUN_ERROR;
	if (m->stage == STAGE_EXEC) {
		const char *prog = s->sb->argv[0];
		res->exit_code = e == ENOENT ? EXIT_MLRUN_NOT_FOUND : EXIT_MLRUN_CANNOT_EXEC;
		if (e == ENOENT && !strchr(prog, '/')) { /* likely a mistyped subcommand */
			error_set(err, 0, "%s: not found in the sandbox: %s (not an mlrun command either: %s)", prog,
				  strerror(e), RUN_SUBCOMMANDS);
			return -e;
		}
		if (e == ENOENT)
			return error_set(err, e, "%s: not found in the sandbox", prog);
		return error_set(err, e, "%s: cannot execute", prog);
	}
	res->exit_code = EXIT_MLRUN_ERROR;
	/* After set_rlimits the policy's open_files is the limit that ran out, not the step. */
	if (e == EMFILE && (m->stage == STAGE_DROP_CAPS || m->stage == STAGE_NO_NEW_PRIVS ||
			    m->stage == STAGE_LANDLOCK || m->stage == STAGE_SECCOMP))
		return error_set(err, e, "open_files = %llu is too low: the sandbox's set-up has no descriptor left to %s "
				 "(the program's fds 0-2 and mlrun's own need more); raise open_files",
				 (unsigned long long)s->p->open_files, sandbox_stage_name(m->stage));
	/* [sandbox] proc = fresh where the container's /proc has masked files (mount_too_revealing). */
	if (m->stage == STAGE_ASSEMBLE_ROOT && e == EPERM && s->p->proc == PROC_FRESH &&
	    (size_t)m->index < s->sb->plan.n && s->sb->plan.ops[m->index].kind == ROOTFS_PROC)
		return error_set(err, 0, "cannot mount a fresh /proc: the kernel refuses one while the container's /proc "
				 "has masked files (mount_too_revealing) and [sandbox] proc = %s requires it; set proc = "
				 "container (MLRUN_PROC=container) to use the container's /proc read-only (the program "
				 "then sees its processes), or give the container an unmasked /proc (podman/Docker: "
				 "--security-opt systempaths=unconfined; Kubernetes: procMount: Unmasked); see "
				 "docs/containers.md",
				 policy_proc_name(s->p->proc));
	if (m->stage == STAGE_CLONE_SOURCES || m->stage == STAGE_ASSEMBLE_ROOT) {
		char what[1024];
		rootfs_describe_op(&s->sb->plan, (size_t)m->index, what, sizeof(what));
		return error_set(err, e, "cannot %s", what);
	}
	if (m->stage == STAGE_MASK_PROC)
		return error_set(err, e, "cannot mask /%s in the sandbox",
				 s->sb->plan.root_bind ? rootfs_oci_mask_path(&s->sb->plan, (size_t)m->index)
						       : rootfs_proc_mask_path((size_t)m->index));
	if (m->stage == STAGE_SYSCTL && (size_t)m->index < s->sb->n_sysctls)
		return error_set(err, e, "linux.sysctl: cannot write /proc/sys/%s in the container's namespaces",
				 s->sb->sysctls[m->index].path);
	if (m->stage == STAGE_CHDIR)
		return error_set(err, e, "cannot enter the working directory %s in the sandbox (as uid %u)",
				 s->sb->plan.cwd, (unsigned)s->sb->idmap.inside_uid);
	return error_set(err, e, "cannot %s", sandbox_stage_name(m->stage));
}

/* Make the run visible to `mlrun ps/stats/kill`; a failure only costs that visibility. */
static void register_state(struct sup *s)
{
	struct state_entry e = { .supervisor_pid = getpid(), .init_pid = s->pid };
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	e.started_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	e.supervisor_start = state_proc_starttime(e.supervisor_pid);
	e.init_start = state_proc_starttime(e.init_pid);
	snprintf(e.id, sizeof(e.id), "%s", s->sb->id);
	snprintf(e.policy, sizeof(e.policy), "%s", s->p->name ? s->p->name : "builtin");
	snprintf(e.cgroup, sizeof(e.cgroup), "%s", s->leaf && s->leaf->dirfd >= 0 ? s->leaf->path : "");
	size_t off = 0;
	for (char **a = s->sb->argv; *a && off < sizeof(e.command) - 1; a++)
		off += (size_t)snprintf(e.command + off, sizeof(e.command) - off, "%s%s", off ? " " : "", *a);
	struct error ignored = { 0 };
	s->registered = state_write(&e, &ignored) == 0;
}

/* mlrun-oci, linux.namespaces[].path: the supervisor enters each joined namespace (checked by
 * ns_open_join) before the clone, where it still holds the capabilities the kernel asks for over
 * them; the child's own user namespace never will. A sysfs or mqueue mount that must show a
 * joined network or IPC namespace is made here too, for the same reason (rootfs_premake_fs).
 * The kernel's setns checks are the final word; its refusal names the field. */
static int enter_joined_ns(struct sandbox *sb, struct error *err)
{
	for (size_t i = 0; i < sb->n_join; i++)
		if (setns(sb->join_fd[i], sb->join_type[i]) < 0)
			return error_set(err, errno, "%s: cannot join that namespace", sb->join_what[i]);
	for (size_t i = 0; i < sb->n_join; i++) {
		const char *fstype = sb->join_type[i] == CLONE_NEWNET ? "sysfs" : sb->join_type[i] == CLONE_NEWIPC ? "mqueue" : NULL;
		int m = fstype ? rootfs_premake_fs(&sb->plan, fstype) : -ENOENT;
		if (m < 0 && m != -ENOENT)
			return error_set(err, -m, "%s: cannot mount %s for that namespace", sb->join_what[i], fstype);
		if (m >= 0)
			sb->premade_fd[sb->join_type[i] == CLONE_NEWNET ? 0 : 1] = m;
	}
	return 0;
}

static void close_premade(struct sandbox *sb)
{
	for (int i = 0; i < 2; i++)
		if (sb->premade_fd[i] >= 0) {
			close(sb->premade_fd[i]);
			sb->premade_fd[i] = -1;
		}
	for (size_t i = 0; i < sb->plan.n; i++)
		if (sb->plan.ops[i].kind == ROOTFS_FS)
			sb->plan.ops[i].tree_fd = -1;
}

/* mlrun-oci: engines join a container's namespaces through the pid `create` wrote, which is
 * the supervisor's (podman --network container:X, a pod's infra container: /proc/PID/ns/net).
 * So the supervisor moves into the container's network, IPC and UTS namespaces, or a container
 * joining "X's network" would get the host's. It uses none of them itself. */
static int follow_container_ns(const struct sup *s, struct error *err)
{
	/* only the ones the clone made: a joined one the supervisor is in already, and a host's
	 * (--network host) may need rights over the host it lacks (root of rootless podman) */
	int flags = (int)(s->sb->clone_flags & (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS));
	if (!s->sb->follow_ns || !flags)
		return 0;
	if (setns(s->pidfd, flags) < 0)
		return error_set(err, errno, "cannot enter the container's network, IPC and UTS namespaces (for engines that "
				 "join them through the pid mlrun-oci gives)");
	return 0;
}

/* mlrun-oci's hooks.prestart and createRuntime: once the container's namespaces exist (the
 * supervisor has entered them: its pid in the state leads to them, as for engines), before
 * anything of the container runs; in the runtime's namespaces (runtime_ns, taken before any
 * setns), their output into the supervisor's log, never the container's stdio. A failure
 * destroys the container (runtime-spec) and names the hook. */
static int run_create_hooks(const struct sup *s, const int runtime_ns[3], struct error *err)
{
	const struct oci_spec *spec = s->sb->oci_spec;
	if (!spec || (!spec->n_hooks[OCI_HOOK_PRESTART] && !spec->n_hooks[OCI_HOOK_CREATE_RUNTIME]))
		return 0;
	char *state = oci_hook_state(s->sb->oci_id, "creating", getpid(), s->sb->oci_bundle, spec->annotations);
	if (!state)
		return error_set(err, ENOMEM, "out of memory");
	int r = oci_hooks_run(spec, OCI_HOOK_PRESTART, state, s->sb->oci_bundle, runtime_ns, 2, err);
	if (r == 0)
		r = oci_hooks_run(spec, OCI_HOOK_CREATE_RUNTIME, state, s->sb->oci_bundle, runtime_ns, 2, err);
	free(state);
	return r;
}

static int open_runtime_ns(const struct sandbox *sb, int fds[3], struct error *err)
{
	static const char *const names[3] = { "/proc/thread-self/ns/net", "/proc/thread-self/ns/ipc",
					      "/proc/thread-self/ns/uts" };
	const struct oci_spec *spec = sb->oci_spec;
	bool hooks = spec && (spec->n_hooks[OCI_HOOK_PRESTART] || spec->n_hooks[OCI_HOOK_CREATE_RUNTIME]);
	for (int i = 0; i < 3; i++)
		fds[i] = hooks ? open(names[i], O_RDONLY | O_CLOEXEC) : -1;
	for (int i = 0; hooks && i < 3; i++)
		if (fds[i] < 0)
			return error_set(err, errno, "hooks: cannot open the runtime's namespace %s", names[i]);
	return 0;
}

static int start_child(struct sup *s, struct error *err)
{
	int sync[2], msg[2], status[2], r;

	if ((r = make_sync_channel(sync, err)) < 0)
		return r;
	if ((r = make_pipe(msg, err)) < 0) {
		close(sync[0]), close(sync[1]);
		return r;
	}
	if ((r = make_pipe(status, err)) < 0) {
		close(sync[0]), close(sync[1]), close(msg[0]), close(msg[1]);
		return r;
	}
	s->sb->sync_fd = sync[0];
	s->sb->msg_fd = msg[1];
	s->sb->status_fd = status[1];
	if (!s->sb->no_pty) /* else mlrun-oci's own: the engine's console (oci_prepare.c) */
		s->sb->tty_slave = s->pty.slave;
	for (int fd = 0; fd < 3; fd++) {
		if (!s->sb->no_pty)
			s->sb->tty_slave_for[fd] = s->pty.slave >= 0 && s->pty.slave_for[fd];
		s->sb->out_pipe[fd] = s->out.for_fd[fd] >= 0 ? s->out.for_fd[fd] : s->sb->oci_stdio[fd];
	}
	struct ns_clone_args ca = { .flags = s->sb->clone_flags, .cgroup_fd = s->leaf ? s->leaf->dirfd : -1 };
	_cleanup_close_ int rt_net = -1, rt_ipc = -1, rt_uts = -1;
	int runtime_ns[3];
	r = open_runtime_ns(s->sb, runtime_ns, err);
	rt_net = runtime_ns[0], rt_ipc = runtime_ns[1], rt_uts = runtime_ns[2];
	if (r < 0 || (r = enter_joined_ns(s->sb, err)) < 0) {
		close(sync[0]), close(sync[1]), close(msg[0]), close(msg[1]), close(status[0]), close(status[1]);
		close_premade(s->sb);
		return r;
	}
	s->start_ns = trace_now_ns();
	s->pid = ns_clone(&ca, &s->pidfd);
	if (s->pid == 0)
		sandbox_child(s->sb);
	close_premade(s->sb);
	close(sync[0]), close(msg[1]), close(status[1]);
	pty_started(&s->pty);
	relay_started(&s->out);
	s->sync_fd = sync[1];
	s->msg_fd = msg[0];
	s->status_fd = status[0];
	if (s->pid < 0)
		return error_set(err, -s->pid, "cannot create the sandbox (clone3 with new namespaces)");
	fcntl(s->msg_fd, F_SETFL, O_NONBLOCK);
	fcntl(s->status_fd, F_SETFL, O_NONBLOCK);
	trace_step(s->tr, 0, "clone3 into new namespaces");

	r = s->sb->set_oom_score_adj ? oci_write_oom_score_adj(s->pid, s->pidfd, s->sb->oom_score_adj, err) : 0;
	if (r == 0)
		r = ns_write_idmap(s->pid, &s->sb->idmap, err);
	bool later = s->sb->check_accounts_later || s->sb->sec.later;
	if (r == 0)
		r = follow_container_ns(s, err);
	if (r == 0)
		r = run_create_hooks(s, runtime_ns, err);
	if (r == 0)
		r = send_start(s->sync_fd, later ? 1 : 2, err);
	if (r == 0)
		trace_step(s->tr, 0, "write id maps");
	/* As root: the NSS lookup while the child builds the root; a refusal kills it before
	 * anything of the program has run (pid 1 forks it only after the second byte). */
	if (r == 0 && s->sb->check_accounts_later && (r = sandbox_accounts_finish(&s->sb->accounts, err)) == 0)
		trace_step(s->tr, 0, "check the sandbox ids (NSS), in parallel with the child");
	/* A profile that is not built in: libseccomp compiles it now, while the child mounts; the
	 * child reads the program only after the second byte, and fails rather than load none. */
	if (r == 0 && s->sb->sec.later && (r = security_compile_later(&s->sb->sec, err)) == 0)
		trace_step(s->tr, 0, "compile the seccomp filter, in parallel with the child");
	if (r == 0 && later)
		r = send_start(s->sync_fd, 1, err);
	if (r < 0) {
		pidfd_signal(s->pidfd, SIGKILL);
		waitpid(s->pid, NULL, 0);
		return r;
	}
	register_state(s);
	return 0;
}

int supervise(struct sandbox *sb, struct cgroup_leaf *leaf, const struct policy *p, struct trace *tr,
	      struct run_result *res, struct error *err)
{
	struct sup s = { .sb = sb, .leaf = leaf, .p = p, .tr = tr, .pidfd = -1, .sigfd = -1, .msg_fd = -1,
			 .status_fd = -1, .sync_fd = -1, .vm = { .sock_fd = -1, .listener_fd = -1 },
			 .pty = { .master = -1, .slave = -1, .in_fd = -1, .out_fd = -1 },
			 .out = { .rd = { -1, -1 }, .wr = { -1, -1 }, .dst = { -1, -1 }, .for_fd = { -1, -1, -1 } } };
	sigset_t fwd, old;
	int r;

	s.failure.stage = -1;
	sigemptyset(&fwd);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&fwd, forwarded[i]);
	sigprocmask(SIG_BLOCK, &fwd, &old);
	sb->payload_sigmask = old;
	s.sigfd = signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s.sigfd < 0) {
		r = error_set(err, errno, "cannot create a signalfd");
		goto out;
	}
	if (!sb->no_pty && (r = pty_open(&s.pty, err)) < 0) {
		res->exit_code = EXIT_MLRUN_ERROR;
		goto out;
	}
	/* RLIMIT_FSIZE is set whenever file_size is (prepare.c): then a regular-file stdout or
	 * stderr is relayed (relay.h) */
	if ((r = relay_open(&s.out, p->file_size_bytes != POLICY_UNLIMITED, err)) < 0) {
		res->exit_code = EXIT_MLRUN_ERROR;
		goto out;
	}
	if ((r = start_child(&s, err)) < 0) {
		res->exit_code = EXIT_MLRUN_ERROR;
		goto out;
	}
	violation_monitor_init(&s.vm, &sb->sec, p->on_violation, s.start_ns, &res->violations);
	if (p->timeout_ms != POLICY_UNLIMITED)
		s.deadline_ns = s.start_ns + p->timeout_ms * 1000000ull;
	if (leaf && leaf->dirfd >= 0)
		s.next_sample_ns = s.start_ns + 1; /* a first sample right away */
	if ((r = loop(&s)) < 0) {
		kill_sandbox(&s);
		pidfd_signal(s.pidfd, SIGKILL);
		waitpid(s.pid, NULL, 0);
		error_set(err, -r, "supervising the sandbox failed");
		res->exit_code = EXIT_MLRUN_ERROR;
		goto out;
	}
	uint64_t end = trace_now_ns();
	pty_drain(&s.pty); /* the program's last output comes before the report */
	relay_drain(&s.out);
	res->output_errno = s.out.error;
	res->output_fd = s.out.error_fd;
	if (s.msg_fd >= 0)
		read_messages(&s); /* the rest: every writer is gone with the pid namespace */
	read_status(&s);
	res->proc_container = s.proc_container;
	if (s.failure.stage >= 0 && !s.timed_out) {
		r = setup_failure(&s, res, err);
		goto out;
	}
	sample(&s, end); /* the last word, before the leaf is removed */
	res->samples = s.samples;
	classify(&s, res);
	account(&s, res, end);
	r = 0;
out:
	/* Killed for a violation: say so the way a seccomp kill always has, SIGSYS (159). */
	if (violation_monitor_finish(&s.vm, &res->supervisor_cpu_ms) && res->status == RUN_SIGNALED &&
	    res->signal == SIGKILL) {
		res->signal = SIGSYS;
		res->exit_code = EXIT_MLRUN_SIGNAL_BASE + SIGSYS;
	}
	pty_close(&s.pty);
	relay_close(&s.out);
	finish_init(&s);
	if (s.registered)
		state_remove(sb->id);
	if (s.pidfd >= 0)
		close(s.pidfd);
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (s.msg_fd >= 0)
		close(s.msg_fd);
	if (s.status_fd >= 0)
		close(s.status_fd);
	if (s.sync_fd >= 0)
		close(s.sync_fd);
	/* The forwarded signals stay blocked: one that arrives after the program ended must not
	 * turn mlrun's exit status into a signal of its own. */
	return r;
}
