/* notify.c - violations the program cannot forge: seccomp user notifications.
 *
 * The payload loads the filter with a listener (SECCOMP_FILTER_FLAG_NEW_LISTENER), passes the
 * listener fd to the supervisor over a socketpair (SCM_RIGHTS) and closes both before execve:
 * the program never holds them. Each denied syscall then stops the calling thread in the
 * kernel until the supervisor, in its poll loop, has read what it was (the kernel's account,
 * not the program's) and answered: fail it with EPERM, kill the sandbox, or let it proceed;
 * under mlrun-oci, a call the config's own filter denies with ERRNO fails with that errno.
 *
 * A slow supervisor only delays the denied calls (allowed ones never wait); a dead one closes
 * the listener, so waiting calls fail with ENOSYS, and PR_SET_PDEATHSIG takes the sandbox down
 * anyway. Threads are independent: each waits for its own answer. A program cannot add a second
 * listener (the kernel refuses one per filter chain), and a filter of its own can only make its
 * own calls fail sooner. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "../lib/trace.h"
#include "security.h"

#define MAX_ERRNO 4095 /* the kernel clamps an ERRNO verdict's data to it */

/* Storm throttle: mlrun spends at most 1/STORM_CPU_SHARE of the wall time answering, after a
 * first STORM_GRACE_NS (about 3,000 answers at ~6 us each: a program that tries a few denied
 * calls never waits). */
#define STORM_CPU_SHARE 50
#define STORM_GRACE_NS (20 * 1000000ull)
#define STORM_MIN_PAUSE_NS (10 * 1000000ull) /* fewer, longer pauses: each wake-up costs too */
#define STORM_DRAIN_MAX 4096

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static int send_fd(int sock, int fd)
{
	char byte = 'L';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

/* Last step before execve. From here until execve the payload only makes the syscalls the
 * filter always allows (syscall_is_required): the supervisor cannot answer anything yet. Once
 * the supervisor has received a notification, the waiting thread ignores all but fatal
 * signals (WAIT_KILLABLE_RECV, Linux 5.19), so a signal cannot replay the call behind its back. */
int seccomp_enforce(const struct security_plan *sec)
{
	/* An OCI bundle's own filter first: mlrun's, stacked on it, still sees every call it lets
	 * through (the kernel applies the strictest verdict of all filters). Under mlrun-oci the
	 * two are one program (stack.c, seccomp_count_config) and oci_prog is empty. */
	if (sec->oci_prog.len && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sec->oci_prog) < 0)
		return -errno;
	if (!sec->seccomp)
		return 0;
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &sec->prog);
	if (fd < 0 && errno == EINVAL)
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &sec->prog);
	if (fd < 0)
		return -errno;
	int r = send_fd(sec->notify_fd, (int)fd);
	close((int)fd);
	close(sec->notify_fd);
	return r;
}

static uint64_t process_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int alloc_buffers(struct violation_monitor *m)
{
	struct seccomp_notif_sizes sz = { 0 };
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		return -errno;
	/* The kernel's structs may be larger than the ones we were compiled with. */
	m->notif_size = sz.seccomp_notif > sizeof(struct seccomp_notif) ? sz.seccomp_notif : sizeof(struct seccomp_notif);
	m->resp_size = sz.seccomp_notif_resp > sizeof(struct seccomp_notif_resp) ? sz.seccomp_notif_resp
										 : sizeof(struct seccomp_notif_resp);
	m->notif = calloc(1, m->notif_size);
	m->resp = calloc(1, m->resp_size);
	return m->notif && m->resp ? 0 : -ENOMEM;
}

void violation_monitor_init(struct violation_monitor *m, struct security_plan *sec, enum on_violation action,
			    uint64_t start_ns, struct violation_log *log)
{
	memset(m, 0, sizeof(*m));
	m->sock_fd = TAKE_FD(sec->monitor_fd);
	m->listener_fd = -1;
	m->action = action;
	m->start_ns = start_ns;
	m->log = log;
	m->cpu_start_ns = process_cpu_ns();
	m->config_prog = sec->config_prog.len ? &sec->config_prog : NULL;
	m->policy_prog = sec->policy_prog.len ? &sec->policy_prog : NULL;
	m->sources = sec->oci_sources;
	if (sec->notify_fd >= 0)
		close(TAKE_FD(sec->notify_fd)); /* the payload's end lives on in the child only */
	if (m->sock_fd >= 0)
		alloc_buffers(m); /* without them every denied call kills the sandbox: fail closed */
}

int violation_monitor_fd(struct violation_monitor *m, uint64_t now_ns)
{
	if (m->paused_until_ns && now_ns < m->paused_until_ns)
		return -1;
	if (m->paused_until_ns) {
		m->throttled_ns += now_ns - m->pause_start_ns;
		m->paused_until_ns = 0;
	}
	return m->listener_fd >= 0 ? m->listener_fd : m->sock_fd;
}

uint64_t violation_monitor_wake_ns(const struct violation_monitor *m)
{
	return m->paused_until_ns ? m->paused_until_ns : UINT64_MAX;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The payload's one message: the listener fd, or EOF if it ended before loading the filter. */
static void receive_listener(struct violation_monitor *m)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg(m->sock_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&m->listener_fd, CMSG_DATA(c), sizeof(int));
	close_fd(&m->sock_fd);
}


/* The run's violation table has one entry per key: a native syscall number, every number
 * above the table in one "other", and calls through another ABI in "foreign-abi". */
enum { KEY_OTHER = SYSCALL_NR_MAX, KEY_FOREIGN_ABI };
_Static_assert(VIOLATION_KEYS >= KEY_FOREIGN_ABI + 1, "a slot for every key");

/* Which filter a notification is for: the policy's (mlrun's own), or the config's own
 * linux.seccomp whose ERRNO verdicts notify under mlrun-oci (stack.c). */
enum { FROM_POLICY, FROM_CONFIG };

static void record(struct violation_monitor *m, int from, int key, int nr, uint64_t now_ns)
{
	struct violation_log *log = m->log;
	int16_t *slot = &m->slot[from][key];
	if (!*slot) { /* named once, on its first call: later ones cost an increment */
		if (log->n >= VIOLATION_MAX)
			return; /* cannot happen: an entry per filter and key */
		struct violation *v = &log->v[log->n];
		if (key == KEY_OTHER)
			snprintf(v->syscall, sizeof(v->syscall), "other");
		else if (key == KEY_FOREIGN_ABI)
			snprintf(v->syscall, sizeof(v->syscall), "foreign-abi");
		else
			syscall_name(nr, v->syscall, sizeof(v->syscall));
		v->action = from == FROM_CONFIG ? "errno" : policy_on_violation_name(m->action);
		v->source = !m->sources ? NULL : from == FROM_CONFIG ? "linux.seccomp" : "run.mlrun.policy";
		v->first_ms = (double)(now_ns - m->start_ns) / 1e6;
		*slot = (int16_t)++log->n;
	}
	log->v[*slot - 1].count++;
}

static bool action_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a & SECCOMP_RET_ACTION_FULL) < (int32_t)(b & SECCOMP_RET_ACTION_FULL);
}

/* Whose verdict the kernel notified, found by running the original programs on the same
 * seccomp_data the kernel's filter saw: the config's ERRNO (*errno_ret: exactly its errno, as
 * the kernel clamps it), or the policy's notification; -1 for anything else, which cannot
 * happen and is denied, never let through. */
static int judge(const struct violation_monitor *m, const struct seccomp_notif *n, int *errno_ret)
{
	if (!m->config_prog)
		return FROM_POLICY;
	uint32_t c = seccomp_prog_eval(m->config_prog, &n->data);
	uint32_t p = m->policy_prog ? seccomp_prog_eval(m->policy_prog, &n->data) : SECCOMP_RET_ALLOW;
	if ((c & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO && action_before(c, p)) {
		uint32_t e = c & SECCOMP_RET_DATA;
		*errno_ret = e > MAX_ERRNO ? MAX_ERRNO : (int)e;
		return FROM_CONFIG;
	}
	if (m->policy_prog && (p & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF && !action_before(c, p))
		return FROM_POLICY;
	return -1;
}

/* The filter is compiled for the native ABI only; libseccomp sends the others (int 0x80,
 * x32's __X32_SYSCALL_BIT) to the bad-architecture action, a notification too, so the kill
 * is recorded. Their numbers mean other syscalls: never judged, never let through. */
static bool foreign_abi(const struct seccomp_notif *n)
{
#ifdef __x86_64__
	if (n->data.nr & 0x40000000)
		return true;
#endif
	return n->data.arch != seccomp_arch_native();
}

static int key_of(int nr)
{
	return nr >= 0 && nr < SYSCALL_NR_MAX ? nr : KEY_OTHER;
}

/* A storm of denied calls must not cost the supervisor more than a small share of the wall
 * time (it runs outside the run's cgroup and cpu-time limit). Over budget, it stops reading
 * the listener for a while: the calling threads wait in the kernel, throttled at no cost to
 * anyone, and every call is still counted when it is answered. */
static void throttle(struct violation_monitor *m, uint64_t now_ns)
{
	uint64_t used = process_cpu_ns() - m->cpu_start_ns;
	uint64_t allowed = STORM_GRACE_NS + (now_ns - m->start_ns) / STORM_CPU_SHARE;
	if (used <= allowed)
		return;
	uint64_t resume = m->start_ns + (used - STORM_GRACE_NS) * STORM_CPU_SHARE;
	m->paused_until_ns = resume > now_ns + STORM_MIN_PAUSE_NS ? resume : now_ns + STORM_MIN_PAUSE_NS;
	m->pause_start_ns = now_ns;
	m->log->lower_bound = true;
}

/* One denied syscall: count it, then answer it (errno or log), or leave it waiting for the
 * kill. SECCOMP_USER_NOTIF_FLAG_CONTINUE is only for the policy's on_violation = log, where
 * letting the call through is the point; the config's own ERRNO (mlrun-oci, stack.c) is answered
 * with exactly its errno, whatever the policy's on_violation, as the kernel would have. */
static int answer(struct violation_monitor *m, uint64_t now_ns)
{
	if (!m->notif || !m->resp) { /* cannot read or answer it: nothing may run unjudged */
		m->killed = true;
		return MONITOR_KILL;
	}
	memset(m->notif, 0, m->notif_size); /* the kernel insists */
	struct seccomp_notif *n = m->notif;
	if (ioctl(m->listener_fd, SECCOMP_IOCTL_NOTIF_RECV, n) < 0)
		return 0; /* ENOENT: the caller died meanwhile */
	int errno_ret = EPERM, from = judge(m, n, &errno_ret);
	if (from == FROM_CONFIG) /* the config's ERRNO: counted, answered with exactly its errno */
		record(m, from, foreign_abi(n) ? KEY_FOREIGN_ABI : key_of(n->data.nr), n->data.nr, now_ns);
	else if (from == FROM_POLICY && foreign_abi(n)) {
		record(m, from, KEY_FOREIGN_ABI, n->data.nr, now_ns);
		m->killed = true;
		return MONITOR_KILL;
	} else if (from == FROM_POLICY) {
		record(m, from, key_of(n->data.nr), n->data.nr, now_ns);
		if (m->action == VIOLATION_KILL) {
			m->killed = true;
			return MONITOR_KILL;
		}
	}
	memset(m->resp, 0, m->resp_size);
	struct seccomp_notif_resp *r = m->resp;
	r->id = n->id;
	if (from == FROM_POLICY && m->action == VIOLATION_LOG)
		r->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else
		r->error = -errno_ret;
	ioctl(m->listener_fd, SECCOMP_IOCTL_NOTIF_SEND, r); /* ENOENT: it died meanwhile */
	throttle(m, now_ns);
	return 0;
}

void violation_monitor_drain(struct violation_monitor *m, uint64_t now_ns)
{
	struct pollfd p = { .fd = m->listener_fd, .events = POLLIN };
	struct seccomp_notif *n = m->notif;
	/* Each waiting thread has one call pending: bounded by the run's tasks. */
	for (int i = 0; i < STORM_DRAIN_MAX && n && m->listener_fd >= 0; i++) {
		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
			return;
		memset(n, 0, m->notif_size);
		int errno_ret, from;
		if (ioctl(m->listener_fd, SECCOMP_IOCTL_NOTIF_RECV, n) == 0 && (from = judge(m, n, &errno_ret)) >= 0)
			record(m, from, foreign_abi(n) ? KEY_FOREIGN_ABI : key_of(n->data.nr), n->data.nr, now_ns);
	}
}

int violation_monitor_handle(struct violation_monitor *m, short revents, uint64_t now_ns)
{
	if (m->listener_fd < 0) {
		if (revents & (POLLIN | POLLHUP | POLLERR))
			receive_listener(m);
		return 0;
	}
	if (revents & POLLIN)
		return answer(m, now_ns);
	if (revents & (POLLHUP | POLLERR))
		close_fd(&m->listener_fd); /* every filtered task is gone */
	return 0;
}

bool violation_monitor_finish(struct violation_monitor *m, double *cpu_ms)
{
	close_fd(&m->sock_fd);
	close_fd(&m->listener_fd);
	free(m->notif);
	free(m->resp);
	m->notif = m->resp = NULL;
	if (m->paused_until_ns)
		m->throttled_ns += trace_now_ns() - m->pause_start_ns;
	if (m->log) /* NULL when the run failed before the monitor started */
		m->log->throttled_ms = (double)m->throttled_ns / 1e6;
	if (m->cpu_start_ns) /* the answers are most of what the supervisor does during a run */
		*cpu_ms = (double)(process_cpu_ns() - m->cpu_start_ns) / 1e6;
	return m->killed;
}

void violations_print(FILE *f, const struct violation_log *log)
{
	uint64_t total = 0;
	for (size_t i = 0; i < log->n; i++)
		total += log->v[i].count;
	if (!total)
		return;
	bool logged = strcmp(log->v[0].action, "log") == 0;
	fprintf(f, "mlrun: %llu %s syscall%s:", (unsigned long long)total, logged ? "logged" : "denied",
		total == 1 ? "" : "s");
	for (size_t i = 0; i < log->n; i++)
		fprintf(f, "%s %s x%llu", i ? "," : "", log->v[i].syscall, (unsigned long long)log->v[i].count);
	fputc('\n', f);
}
