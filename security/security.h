/* security.h - the payload's last two walls: Landlock and the seccomp filter, and the
 * supervisor's side of the filter (naming, counting and answering denied syscalls).
 *
 * Order in the payload, after no_new_privs: Landlock (restrict_self needs no_new_privs), then
 * seccomp, last, so the filter has to allow nothing of the set-up but the final execve.
 * Everything is prepared by the parent before the clone: the compiled BPF, the Landlock
 * access masks and the paths to open; the child only makes syscalls. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../policy/policy.h"
#include "../rootfs/rootfs.h"
#include "../policy/syscalls.h"

#define LANDLOCK_MAX_RULES (ROOTFS_MAX_OPS + 1)

struct landlock_rule {
	char *path;	 /* inside the sandbox, absolute */
	uint64_t access; /* LANDLOCK_ACCESS_FS_* granted beneath it (file rights only if not a dir) */
};

struct security_plan {
	/* seccomp */
	bool seccomp;		/* a filter is loaded */
	struct sock_fprog prog; /* compiled by the parent (filter.c), or built in (builtin.c) */
	const char *prog_builtin; /* the built-in profile whose build-time program prog is, NULL: compiled now */
	int notify_fd;		/* payload's end of the socketpair carrying the listener fd */
	struct sock_fprog oci_prog; /* an OCI bundle's linux.seccomp (oci_seccomp.c), loaded first; len 0: none */
	int monitor_fd;		/* supervisor's end */

	/* Landlock */
	int landlock_abi; /* 0: not applied */
	uint64_t handled_fs, handled_net, scoped;
	struct landlock_rule rules[LANDLOCK_MAX_RULES];
	size_t n_rules;
	int ruleset_fd; /* child scratch: built by pid 1 after pivot_root, applied by the payload */
};

/* Parent side: compile the filter for p's profile and adjustments, plan Landlock from the
 * root filesystem's plan. Errors name the profile or the syscall. */
int security_prepare(struct security_plan *sec, const struct policy *p, const struct rootfs_plan *plan,
		     struct error *err);
void security_release(struct security_plan *sec);

/* What the policy gets on this host (the report's enforced.seccomp / enforced.landlock). */
bool security_seccomp_enforced(const struct policy *p);
/* A filter is loaded but only records (on_violation = log): enforced.seccomp is false, and
 * this is why (the warning on stderr and the report's not_enforced_reason). */
#define SECCOMP_LOG_WHY "on_violation = log: denied syscalls are allowed and only recorded; seccomp is not enforced"
bool security_seccomp_recording_only(const struct policy *p);
bool security_landlock_enforced(const struct policy *p);
/* The best Landlock ABI of the running kernel, 0 if none. */
int landlock_abi_version(void);

/* filter.c: the profile as classic BPF, malloc'd into prog->filter. */
int seccomp_filter_compile(const struct syscall_profile *sp, struct sock_fprog *prog, struct error *err);
/* oci_seccomp.c: an OCI config's linux.seccomp object (runtime-spec config-linux.md) as classic
 * BPF, malloc'd into prog->filter. Errors name the field ("linux.seccomp.syscalls[3].action"). */
struct json_object;
int seccomp_compile_oci(struct json_object *seccomp, struct sock_fprog *prog, struct error *err);
/* filter.c: prog's notifying verdicts replaced by what the monitor would answer for v, for a
 * process no monitor listens to (mlrun-oci exec). */
void seccomp_prog_unmonitored(struct sock_fprog *prog, enum on_violation v);
/* The BPF of a libseccomp context, malloc'd into prog (filter.c). */
int seccomp_export_prog(void *ctx, struct sock_fprog *prog, struct error *err);
/* builtin.c: if sp equals a built-in profile exactly (as a policy without allow_syscalls and
 * deny_syscalls has it), its program compiled at build time, malloc'd into prog, and the
 * profile's name; else NULL and prog untouched. */
const char *seccomp_filter_builtin(const struct syscall_profile *sp, struct sock_fprog *prog);
/* The libseccomp version the built-in programs were compiled with. */
const char *seccomp_filter_builtin_libseccomp(void);

/* Child side, no allocation. landlock_create: in pid 1 after pivot_root, opens every rule's
 * path (O_PATH) and builds the ruleset; *failed is the failing rule. landlock_enforce and
 * seccomp_enforce: in the payload, in that order, after no_new_privs. */
int landlock_create(struct security_plan *sec, int *failed);
int landlock_enforce(const struct security_plan *sec);
int seccomp_enforce(const struct security_plan *sec);

/* The denied syscalls of one run, as the report lists them: one entry per native syscall
 * number (SYSCALL_NR_MAX), one "other" for every number above the table, one "foreign-abi":
 * junk numbers can never push a real attempt out. */
#define VIOLATION_MAX (SYSCALL_NR_MAX + 2)

struct violation {
	char syscall[32];
	uint64_t count;
	const char *action; /* the policy's on_violation: errno, kill or log */
	double first_ms;    /* first occurrence, since the sandbox was cloned */
};

struct violation_log {
	struct violation v[VIOLATION_MAX];
	size_t n;
	bool lower_bound;    /* the storm throttle held calls back: counts are at least these */
	double throttled_ms; /* how long denied calls waited for the supervisor's budget */
};

/* Supervisor side: receives the listener fd from the payload, then answers every denied
 * syscall. Cost only on denied calls: allowed ones never leave the kernel's filter. */
struct violation_monitor {
	int sock_fd;	 /* until the listener arrives */
	int listener_fd; /* seccomp user notifications */
	enum on_violation action;
	uint64_t start_ns;
	bool killed; /* on_violation = kill fired */
	struct violation_log *log;
	void *notif, *resp; /* kernel-sized buffers for SECCOMP_IOCTL_NOTIF_RECV/SEND */
	size_t notif_size, resp_size;
	int16_t slot[SYSCALL_NR_MAX + 2]; /* 1 + index in log->v by key, 0 for none */
	uint64_t cpu_start_ns;		   /* mlrun's CPU when the run started */
	uint64_t paused_until_ns;	   /* storm throttle: the listener is not read until then */
	uint64_t pause_start_ns, throttled_ns;
};

enum { MONITOR_KILL = 1 };

/* Takes over sec->monitor_fd and closes the child's end (call after the clone). */
void violation_monitor_init(struct violation_monitor *m, struct security_plan *sec, enum on_violation action,
			    uint64_t start_ns, struct violation_log *log);
/* The fd to poll for POLLIN, -1 when there is none or while the storm throttle holds the
 * denied calls back (until violation_monitor_wake_ns, UINT64_MAX if not paused). */
int violation_monitor_fd(struct violation_monitor *m, uint64_t now_ns);
uint64_t violation_monitor_wake_ns(const struct violation_monitor *m);
/* Before the sandbox is killed: count the calls still waiting for an answer. */
void violation_monitor_drain(struct violation_monitor *m, uint64_t now_ns);
/* Handle what is readable; MONITOR_KILL when the sandbox must be killed now. */
int violation_monitor_handle(struct violation_monitor *m, short revents, uint64_t now_ns);
/* After the sandbox is gone: close, record the throttled time, and mlrun's CPU since the
 * monitor started in *cpu_ms. True when on_violation = kill fired (the caller reports that
 * kill as SIGSYS). */
bool violation_monitor_finish(struct violation_monitor *m, double *cpu_ms);
/* "mlrun: 3 denied syscalls: ptrace x1, bpf x2" (nothing when there were none). */
void violations_print(FILE *f, const struct violation_log *log);
