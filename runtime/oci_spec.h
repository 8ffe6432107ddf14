/* oci_spec.h - an OCI bundle's config.json (runtime-spec 1.x), parsed into what mlrun-oci
 * honours. Pure: no OS state (fuzzed by tests/fuzz/oci_spec.c).
 *
 * Every key is known or refused: a field mlrun cannot honour fails with its path named
 * ("linux.devices: ..."), never a silent skip. docs/oci.md lists what is supported. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

#define OCI_MAX_MOUNTS 64
#define OCI_MAX_MASKS 64
#define OCI_MAX_RLIMITS 8
#define OCI_MAX_ARGS 4096
#define OCI_MAX_ENV 1024
#define OCI_MAX_IDMAPS 340 /* the kernel's limit of lines in a uid_map (4.15+) */
#define OCI_MAX_GROUPS 64
#define OCI_CPU_SHARES_DEFAULT 1024 /* cgroup v1's default cpu.shares: cpu.weight 100, every leaf's own */
#define OCI_OOM_SCORE_ADJ_MIN (-1000) /* the kernel's OOM_SCORE_ADJ_MIN .. _MAX */
#define OCI_OOM_SCORE_ADJ_MAX 1000
#define OCI_MAX_SYSCTLS 32
#define OCI_MAX_HOOKS 16
#define OCI_SYSCTL_KEY_MAX 128
#define OCI_SYSCTL_VALUE_MAX 1024

enum oci_mount_kind { OCI_BIND, OCI_TMPFS, OCI_PROC, OCI_SYSFS, OCI_DEVPTS, OCI_MQUEUE, OCI_CGROUP };

struct oci_mount {
	enum oci_mount_kind kind;
	char *dst; /* absolute, no ".", ".." or "//" */
	char *src; /* bind: host path (absolute, or relative to the bundle) */
	uint64_t attr; /* MOUNT_ATTR_* from the options */
	bool recursive; /* rbind */
	char *size, *mode; /* tmpfs: the size= and mode= option values, or NULL */
};

struct oci_rlimit {
	int resource;
	uint64_t soft, hard;
};

/* Which namespaces the config lists (new ones, or joined: net_path, ipc_path, uts_path). */
enum {
	OCI_NS_PID = 1 << 0,
	OCI_NS_NET = 1 << 1,
	OCI_NS_MOUNT = 1 << 2,
	OCI_NS_IPC = 1 << 3,
	OCI_NS_UTS = 1 << 4,
	OCI_NS_USER = 1 << 5,
	OCI_NS_CGROUP = 1 << 6,
};

/* process.capabilities (oci_caps.c): the five sets as masks of Linux capability numbers. */
#define OCI_CAP_COUNT 41 /* CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40) */
#define OCI_CAP_MAX_UNKNOWN 8
enum oci_cap_set { OCI_CAP_BOUNDING, OCI_CAP_EFFECTIVE, OCI_CAP_PERMITTED, OCI_CAP_INHERITABLE, OCI_CAP_AMBIENT, OCI_CAP_SETS };
struct oci_caps {
	uint64_t set[OCI_CAP_SETS];
	const char *unknown[OCI_CAP_MAX_UNKNOWN]; /* names not granted (strings of the document) */
	size_t n_unknown;			   /* how many there were (may exceed the array) */
};

/* linux.sysctl: a namespaced key of a namespace that is the container's own (oci_spec.c). */
struct oci_sysctl {
	char *key;   /* "net.ipv4.ping_group_range" */
	char *value;
};

/* hooks: the stages mlrun-oci runs (createContainer and startContainer are refused: docs/oci.md). */
enum oci_hook_stage { OCI_HOOK_PRESTART, OCI_HOOK_CREATE_RUNTIME, OCI_HOOK_POSTSTART, OCI_HOOK_POSTSTOP, OCI_HOOK_STAGES };

struct oci_hook {
	char *path;	  /* absolute, in the runtime's namespaces */
	char **args;	  /* NULL-terminated, or NULL: { path } */
	size_t n_args;
	char **env;	  /* NULL-terminated, or NULL: empty */
	size_t n_env;
	uint64_t timeout; /* seconds, 0 = none */
};

struct oci_idmap {
	uint32_t container, host, size;
};

struct oci_spec {
	char *root_path;
	bool root_readonly;
	char **args; /* NULL-terminated */
	size_t n_args;
	char **env; /* NULL-terminated */
	size_t n_env;
	char *cwd;
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	struct oci_rlimit rlimits[OCI_MAX_RLIMITS];
	size_t n_rlimits;
	bool no_new_privileges;
	struct oci_caps caps;
	bool terminal;	/* fds 0-2 a pty whose master goes to the engine's console socket */
	uint32_t console_rows, console_cols; /* process.consoleSize, 0 = unset */
	char *hostname;
	struct oci_mount mounts[OCI_MAX_MOUNTS];
	size_t n_mounts;
	unsigned namespaces; /* OCI_NS_* */
	size_t n_uid_map, n_gid_map; /* 0: no map given (mlrun's own one-id map) */
	struct oci_idmap uid_map[OCI_MAX_IDMAPS], gid_map[OCI_MAX_IDMAPS];
	uint32_t groups[OCI_MAX_GROUPS]; /* process.user.additionalGids, checked against gid_map by oci_prepare.c */
	size_t n_groups;
	char *net_path, *ipc_path, *uts_path; /* linux.namespaces[].path: join that one, or NULL */
	struct oci_sysctl sysctls[OCI_MAX_SYSCTLS];
	size_t n_sysctls;
	struct oci_hook hooks[OCI_HOOK_STAGES][OCI_MAX_HOOKS];
	size_t n_hooks[OCI_HOOK_STAGES];
	char *masked[OCI_MAX_MASKS];
	size_t n_masked;
	char *read_only[OCI_MAX_MASKS];
	size_t n_read_only;
	struct json_object *seccomp; /* linux.seccomp (a reference), or NULL */
	uint64_t memory_limit;	     /* bytes, 0 = none */
	uint64_t cpu_quota, cpu_period; /* cpu_quota 0 = none */
	uint64_t pids_limit;	     /* 0 = none */
	uint64_t cpu_shares;	     /* linux.resources.cpu.shares, 0 = unset (cgroup v1 units: cpu.weight in the leaf) */
	bool has_oom_score_adj;	     /* process.oomScoreAdj given: written for the container's processes */
	int oom_score_adj;
	char *cgroups_path;
	char *policy; /* annotation run.mlrun.policy, or NULL */
	bool seccomp_uncounted; /* annotation run.mlrun.seccomp_count = "off": linux.seccomp's ERRNO in the kernel */
	struct json_object *annotations; /* a reference, or NULL */
	struct json_object *root;	 /* the whole document */
};

/* Parse config.json's text. 0, or -EINVAL with err naming the field. s is always safe to
 * oci_spec_free() afterwards. */
int oci_spec_parse(const char *text, size_t len, struct oci_spec *s, struct error *err);
void oci_spec_free(struct oci_spec *s);

struct json_object;
/* process.capabilities (NULL: none granted) into c: 0, or -EINVAL naming the field. */
int oci_caps_parse(struct json_object *o, struct oci_caps *c, struct error *err);
/* "CAP_CHOWN" for 0, ...; NULL beyond the table. */
const char *oci_cap_name(int cap);
const char *oci_cap_set_name(enum oci_cap_set set);
/* The config's name of a hook stage ("createRuntime"). */
const char *oci_hook_stage_name(enum oci_hook_stage st);
/* mlrun-oci exec: a runtime-spec process object alone (exec's --process FILE) into s's process
 * fields, checked as config.json's process is. s is always safe to oci_spec_free(). */
int oci_process_parse(struct json_object *p, struct oci_spec *s, struct error *err);
