/* ns.h - namespaces: clone3 into new namespaces, user/group id maps, the loopback interface. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

/* Namespaces every sandbox gets; CLONE_NEWNET is added unless the network is the host's.
 * CLONE_NEWCGROUP is unshared by the child itself once it sits in its leaf, so that the
 * leaf (not the supervisor's cgroup) is the root of its cgroup view. */
/* The fixes mlrun names, in its errors, reports and `mlrun features`, when the container it runs
 * in keeps it from building a sandbox (docs/containers.md has the table). */
#define NS_FIX_UNMASK_PROC                                                                            \
	"fix: give the container an unmasked /proc (podman/Docker: --security-opt systempaths=unconfined; " \
	"Kubernetes: securityContext.procMount: Unmasked), see docs/containers.md"
/* podman's default profile (containers-common) denies only sethostname (and setdomainname, which
 * mlrun never calls) of what a sandbox needs: the run goes on keeping the container's hostname. */
#define NS_SECCOMP_UNCONFINED                                                                           \
	"run the container with --security-opt seccomp=unconfined (podman/Docker) or "                     \
	"securityContext.seccompProfile.type: Unconfined (Kubernetes), or use mlrun-oci as its runtime"
#define NS_FIX_HOSTNAME "fix: " NS_SECCOMP_UNCONFINED "; see docs/containers.md"
#define NS_FIX_CONTAINER                                                                                 \
	"fix: run the container with --security-opt seccomp=unconfined --security-opt systempaths=unconfined " \
	"(podman/Docker), or with securityContext.seccompProfile.type: Unconfined and procMount: Unmasked "    \
	"(Kubernetes), or make mlrun the container's runtime (mlrun-oci, the OCI runtime mode); see "          \
	"docs/containers.md"

#define NS_CLONE_FLAGS (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)

struct ns_clone_args {
	uint64_t flags;	 /* CLONE_NEW* flags */
	int cgroup_fd;	 /* leaf dirfd for CLONE_INTO_CGROUP, or -1 */
};

/* fork()-like clone3: returns 0 in the child, the child's pid in the parent (its pidfd in
 * *pidfd, O_CLOEXEC), or -errno. */
pid_t ns_clone(const struct ns_clone_args *args, int *pidfd);

/* Id maps for a freshly cloned child, written by the parent.
 * Root: inside_uid -> host_uid (an unprivileged host uid, never 0).
 * Rootless: the caller's own uid/gid map to themselves ("setgroups deny" first, as the
 * kernel requires for an unprivileged writer). */
#define NS_IDMAP_MAX 340 /* the kernel's limit of lines in a uid_map or gid_map (4.15+) */
struct ns_idmap_range {
	uint32_t inside, outside, count;
};
struct ns_idmap {
	uid_t inside_uid, host_uid;
	gid_t inside_gid, host_gid;
	bool deny_setgroups;
	/* mlrun-oci: a config's ranges, written instead of the one-id maps above when n_uid > 0
	 * (n_gid likewise) */
	size_t n_uid, n_gid;
	struct ns_idmap_range uid[NS_IDMAP_MAX], gid[NS_IDMAP_MAX];
	/* A caller without CAP_SETUID/CAP_SETGID over its namespace writes ranges through Debian's
	 * setuid newuidmap/newgidmap (they check /etc/subuid, /etc/subgid), opened and verified by
	 * ns_open_idmap_helper(); they decide /proc/PID/setgroups themselves. */
	bool via_helpers;
	bool need_setgroups; /* supplementary groups asked for: newgidmap must leave setgroups allowed */
	int newuidmap_fd, newgidmap_fd;
};
int ns_write_idmap(pid_t pid, const struct ns_idmap *map, struct error *err);

/* Open name ("newuidmap") from a fixed system directory (/usr/bin, /usr/sbin), never from PATH:
 * walked from / without links, every directory and the file owned by root and writable by no one
 * else, the file regular and executable. Returns an O_PATH fd (O_CLOEXEC) or -errno. */
int ns_open_idmap_helper(const char *name, struct error *err);

/* Whether ids [start, start+count) of this namespace include one that this namespace's map
 * (/proc/self/uid_map or gid_map: file) puts on id 0 of the parent namespace: host root in the
 * initial namespace, the namespace owner's parent root when nested. An id the map does not hold
 * cannot be mapped at all (the kernel refuses it). */
bool ns_range_reaches_parent_root(const char *file, uint32_t start, uint32_t count);

/* Whether root mode can map the sandbox to uid/gid: CAP_SETUID and CAP_SETGID, effective in this
 * process's own user namespace, and both ids mapped there (one that maps only root, as `unshare
 * -r` makes, has no uid 60000 to give). CAP_SYS_ADMIN is not needed: Docker's capability set
 * lacks it, and root mode works there. Root that cannot (crun's default spec has neither cap)
 * runs as a rootless caller would: its own ids mapped to themselves. */
bool ns_can_map_ids(uid_t uid, gid_t gid);
/* Whether this process is in the initial user namespace (its uid_map the identity over all ids):
 * outside it, "root" is the namespace's uid 0, an ordinary user of the host (rootless podman). */
bool ns_initial_userns(void);
/* The uid a file owned by an id this namespace does not map reads as (kernel.overflowuid). */
uid_t ns_overflow_uid(void);
/* The uid the host root's files read as besides 0, for lib/helper.h: (uid_t)-1 in the initial
 * user namespace; inside another, the overflow uid (which any unmapped host user's files read as
 * too: there the mount namespace is the engine's that started us, docs/oci.md). */
uid_t ns_root_alias(void);
/* Whether capability cap is in this process's effective set. */
bool ns_have_cap(int cap);

/* A prebuilt RTM_NEWLINK request that sets lo (ifindex 1 in every new netns) up: built with
 * libnl-route-3 in the parent, so the child only sends bytes and allocates nothing. */
struct ns_lo_request {
	unsigned char buf[256];
	size_t len;
};
int ns_build_lo_up(struct ns_lo_request *req, struct error *err);

/* Child side: send the request on a NETLINK_ROUTE socket and check the kernel's ack.
 * Returns 0 or -errno. No allocation. */
int ns_send_lo_up(const struct ns_lo_request *req);

/* What the container mlrun runs in lets it do (probe.c). An *_err is 0 when allowed, the errno
 * of a refusal, -1 when it could not be asked (the namespaces could not be created). */
struct ns_probe {
	bool filtered;	  /* this process runs under a seccomp filter (an outer profile) */
	int clone_err;	  /* creating new user, pid, mount and UTS namespaces */
	int unshare_err;  /* unshare(0): only a filter refuses it */
	int mount_err;	  /* mount(2) reaching the kernel: only a filter refuses it */
	int hostname_err; /* sethostname in a UTS namespace of our own */
	int proc_err;	  /* a fresh proc in a pid namespace of our own (EPERM: a masked /proc) */
};
bool ns_seccomp_filtered(void);
/* Ask; with_proc also tries a fresh proc (`mlrun features`: a run simply tries it). Forks once. */
void ns_probe(struct ns_probe *pr, bool with_proc);
/* The calls an outer filter denies, as words ("unshare, mount and sethostname") in buf; returns
 * how many (0 without a filter: then a refusal has another cause, reported where it happens). */
size_t ns_probe_denied(const struct ns_probe *pr, char *buf, size_t len);
/* Whether sethostname is the only call the filter denies (podman's default profile): a sandbox can
 * be built, in a UTS namespace of its own that keeps the container's hostname. */
bool ns_probe_hostname_only(const struct ns_probe *pr);
/* 0 (also when ns_probe_hostname_only: the caller decides), or the one error naming what the
 * filter denies and the fixes (NS_FIX_CONTAINER). */
int ns_check_container(const struct ns_probe *pr, struct error *err);

/* An existing namespace named by path (mlrun-oci's linux.namespaces[].path), for setns: its
 * O_CLOEXEC fd, or -errno with err naming `what` (the config field). Refused: a path whose last
 * component is a link (other than proc's own /proc/PID/ns/X), a file that is not an nsfs
 * namespace of type nstype (CLONE_NEW*), and a namespace whose owning user namespace the
 * caller's real uid holds no CAP_SYS_ADMIN over (join.c). */
int ns_open_join(const char *path, int nstype, const char *what, struct error *err);
