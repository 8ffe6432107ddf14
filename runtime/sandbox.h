/* sandbox.h - one run: everything the parent prepares before the clone, so that the child
 * between clone and exec only replays it (no allocation, no parsing, no lookups). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#include "../lib/helper.h"
#include "../ns/ns.h"
#include "../policy/policy.h"
#include "../rootfs/rootfs.h"
#include "../security/security.h"

#define SANDBOX_MAX_EXEC_PATHS 8

/* Stages the child reports over its pipe: (stage, -errno, index) on failure, and with -v
 * (stage, 0, time) after each step. The parent turns them into messages. */
enum child_stage {
	STAGE_SYNC,	   /* waiting for the parent to write the id maps */
	STAGE_IDENTITY,	   /* become the sandbox user */
	STAGE_PARENT_DEATH, /* die with the supervisor */
	STAGE_HOSTNAME,
	STAGE_LOOPBACK,
	STAGE_CGROUPNS,
	STAGE_MOUNT_PRIVATE,
	STAGE_CLONE_SOURCES,
	STAGE_ASSEMBLE_ROOT,
	STAGE_PIVOT,
	STAGE_CHDIR,
	STAGE_SESSION,
	STAGE_FORK_PAYLOAD,
	STAGE_RLIMITS,
	STAGE_CLOSE_FDS,
	STAGE_TERMINAL, /* the program's pty as fds 0-2 and controlling terminal */
	STAGE_DROP_CAPS,
	STAGE_NO_NEW_PRIVS,
	STAGE_LANDLOCK_RULES, /* pid 1 builds the ruleset after pivot_root */
	STAGE_LANDLOCK,	      /* the payload enforces it */
	STAGE_SECCOMP,
	STAGE_EXEC,
	STAGE_MASK_PROC, /* cover host details in /proc (rootfs/proc_mask.c) */
	STAGE_PROC_CONTAINER, /* not a failure: /proc is the container's ([sandbox] proc = container) */
	STAGE_OCI_START, /* mlrun-oci: created, waiting for `start` (runtime/oci_prepare.c) */
	STAGE_CONTAINER_USERNS, /* mlrun-oci with capabilities: the program's own user namespace */
	STAGE_SYSCTL,	 /* mlrun-oci: linux.sysctl, index = which one */
	STAGE_IDS_CHECKED, /* pid 1 waits for the supervisor's accounts lookup before the fork */
	STAGE_SECCOMP_TAKE, /* pid 1 takes the filter the supervisor compiled after the clone */
	STAGE_COUNT,
};

struct child_msg {
	int32_t stage;
	int32_t err;	/* -errno, or 0 for a timing record */
	int32_t index;	/* rootfs op index, or exec path index */
	int32_t pad;
	uint64_t t_ns;	/* CLOCK_MONOTONIC when the step ended */
};

struct sandbox_rlimit {
	int resource;
	uint64_t soft, hard;
};

/* Where the kernel keeps mlrun's own argv and environment strings (/proc/PID/cmdline and
 * environ): the sandbox's pid 1, a fork of mlrun, overwrites its copy of them (cmdline.c). */
struct sandbox_cmdline {
	char *args;
	size_t args_len;
	char *env;
	size_t env_len;
};

/* The program's capabilities, as masks of capability numbers: all zero (everything dropped) in
 * the exec-wrapper path; mlrun-oci's are the config's (runtime/oci_prepare.c, docs/oci.md). */
struct sandbox_caps {
	uint64_t bounding, effective, permitted, inheritable, ambient;
	bool own_userns; /* the program enters a user namespace of its own first (child.c) */
	bool own_netns;	 /* ... with a network namespace of its own, lo up */
	char uid_map[32], gid_map[32]; /* its one-line id maps: the sandbox's ids to themselves */
};

struct sandbox {
	const struct policy *policy;
	const char *id; /* sandbox id (state file name, MLRUN_ID) */
	struct rootfs_plan plan;
	struct ns_idmap idmap;
	bool as_root;		/* mlrun runs as host root: drop supplementary groups */
	gid_t groups[64];	/* mlrun-oci: process.user.additionalGids, set instead of none */
	size_t n_groups;
	/* As root: the accounts lookup of the ids (NSS: mlrun-ids, or two getent processes) starts
	 * in sandbox_prepare and the supervisor reads its verdict while the child builds the root;
	 * pid 1 forks the program only after its second start byte (supervisor.c). */
	bool check_accounts_later;
	struct sandbox_accounts {
		struct helper_run pw, gr; /* with mlrun-ids, pw alone asks both */
		bool ids_helper;
		char uid[16], gid[16];
	} accounts;
	uint64_t clone_flags;
	bool loopback;
	struct ns_lo_request lo;
	bool unshare_cgroupns;
	const char *hostname; /* sethostname in the child; NULL keeps the container's (prepare.h) */

	/* exec: candidate paths tried in order (PATH search done by the parent), argv, envp */
	char *exec_paths[SANDBOX_MAX_EXEC_PATHS];
	size_t n_exec_paths;
	char **argv;
	char **envp;
	bool program_missing; /* preparation failed on PROGRAM itself (exit 127/126, not 125) */
	struct sandbox_cmdline cmdline; /* mlrun's own, blanked in pid 1 */

	struct security_plan sec; /* seccomp filter and Landlock rules (security/) */

	struct sandbox_rlimit rlimits[8];
	size_t n_rlimits;
	bool verbose;
	sigset_t payload_sigmask; /* the caller's signal mask, restored for the program */

	/* pipes, as seen by the child */
	int sync_fd;   /* read end: one byte once the id maps are written; EOF = parent died */
	int msg_fd;    /* write end (CLOEXEC): child_msg records */
	int status_fd; /* write end: pid 1 sends the payload's end (struct payload_end), then
			* sandbox_end once it alone is left */
	int tty_slave;	    /* the program's pty (runtime/pty.c), -1 without a terminal */
	bool tty_slave_for[3]; /* which of fds 0-2 it replaces (those that were terminals) */
	int out_pipe[3];       /* fds 0-2: a pipe's write end that replaces it (runtime/relay.h), -1 */

	/* mlrun-oci (runtime/oci_prepare.c, docs/oci.md); -1 / false in the exec-wrapper path */
	int ready_fd;	   /* write end: one byte when the container is created */
	int start_fd;	   /* the start FIFO (read-write): `mlrun-oci start` writes the byte that lets it exec */
	int oci_stdio[3];  /* the engine's fds 0-2 for the program (the supervisor's own stderr is a log) */
	bool no_pty;	   /* never put a pty between the program and fds 0-2 */
	bool set_umask;
	mode_t umask;
	bool set_oom_score_adj; /* process.oomScoreAdj: the supervisor writes it (runtime/oci_oom.c) */
	int oom_score_adj;
	struct sandbox_caps caps;
	/* linux.namespaces[].path (ns/join.c): entered by the supervisor just before the clone, so
	 * the child is created in them (its own user namespace holds no capability over them) */
	int join_fd[3];
	int join_type[3];	/* CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS */
	const char *join_what[3]; /* the config field, for the kernel's refusal */
	size_t n_join;
	int premade_fd[2];	/* sysfs / mqueue of a joined namespace, made by the supervisor (-1) */
	/* after the clone the supervisor enters the container's network, IPC and UTS namespaces:
	 * engines join a container's namespaces through the pid `create` gave them, its own */
	bool follow_ns;
	/* hooks.prestart/createRuntime (runtime/oci_hooks.c), run by the supervisor after the clone */
	const struct oci_spec *oci_spec;
	const char *oci_id, *oci_bundle;
	/* linux.sysctl: path under /proc/sys ("net/ipv4/ping_group_range") and the value (the spec's) */
	struct sandbox_sysctl {
		char path[132];
		const char *value;
		size_t len;
	} sysctls[32];
	size_t n_sysctls;
};

/* pid 1's one message on status_fd when the payload has ended. */
struct payload_end {
	int32_t status;	      /* its wait status */
	uint32_t pad;
	uint64_t cpu_prof_ns; /* its CPU as RLIMIT_CPU counts it (tick-sampled user+system) */
};

/* pid 1's second message, once it has killed and reaped every other process of the sandbox
 * and closed every fd but this pipe: the run is over, only pid 1's own exit (the kernel tearing
 * down the namespaces) is left. Its rusage with its children's is what wait4 on it would say. */
struct sandbox_end {
	int64_t utime_us, stime_us; /* pid 1's and every reaped process' CPU */
	int64_t maxrss_kb;	    /* the largest of them */
};

/* Sent by the supervisor to pid 1 when there is no cgroup to kill: pid 1 kills and reaps
 * every process of the sandbox before it exits, so wait4's rusage counts their CPU too. */
#define SANDBOX_SIG_TEARDOWN SIGPWR

/* The child: set up the sandbox and run pid 1 (a tiny init that forwards signals and reaps)
 * and the payload. Never returns. */
__attribute__((noreturn)) void sandbox_child(struct sandbox *sb);
/* Exactly the capability sets c (zero: none; child.c): the program's, and mlrun-oci exec's. */
int sandbox_set_capabilities(const struct sandbox_caps *c);
/* The sandbox's rlimits (child.c): the program's, and mlrun-oci exec's. */
int sandbox_set_rlimits(const struct sandbox *sb);

const char *sandbox_stage_name(enum child_stage s);

/* Parent: find mlrun's command line and environment strings. Child: blank them in place, so
 * that pid 1 reads "mlrun-init" with an empty environment. */
int sandbox_find_cmdline(struct sandbox_cmdline *c, struct error *err);
void sandbox_hide_cmdline(const struct sandbox_cmdline *c);
