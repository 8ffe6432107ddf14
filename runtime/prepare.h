/* prepare.h - build a struct sandbox from the merged policy and the command line. */
#pragma once

#include "run.h"
#include "sandbox.h"

/* Limits no cgroup enforces on this host, to be approximated with rlimits. */
struct sandbox_fallbacks {
	bool memory, pids, cpu_time;
	/* The container's filter denies sethostname (and [sandbox] hostname_required is false): the
	 * sandbox keeps this hostname, the container's, also named in /etc/hostname and /etc/hosts. */
	const char *kept_hostname;
};

int sandbox_prepare(struct sandbox *sb, const struct policy *p, const struct run_options *o, const char *id,
		    const struct sandbox_fallbacks *fb, struct error *err);
void sandbox_release(struct sandbox *sb);

/* The rlimits a policy always sets, plus the fallbacks for limits no cgroup enforces. */
void sandbox_policy_rlimits(struct sandbox *sb, const struct policy *p, const struct sandbox_fallbacks *fb);

/* As root the sandbox runs as p's uid/gid: refused when an account or group holds them. */
int sandbox_check_ids(const struct policy *p, struct error *err);
/* Its NSS half: refused when any account or group on the host (any NSS source) holds them. In
 * two halves: start asks (mlrun-ids, else getent: processes of their own), finish reads the
 * verdict; abort ends a started lookup whose verdict is no longer wanted (a no-op after finish). */
int sandbox_check_accounts(const struct policy *p, struct error *err);
int sandbox_accounts_start(struct sandbox_accounts *a, const struct policy *p, struct error *err);
int sandbox_accounts_finish(struct sandbox_accounts *a, struct error *err);
void sandbox_accounts_abort(struct sandbox_accounts *a);
/* The namespaces of the policy's sandbox: the clone flags (a network namespace unless the
 * network is the host's), lo's request for a loopback network, a cgroup namespace. */
int sandbox_prepare_ns(struct sandbox *sb, const struct policy *p, struct error *err);

/* oci_prepare.c: mlrun-oci's second entry into the same code. The policy an OCI bundle gets
 * (its limits; the run.mlrun.policy annotation's policy, which can only tighten), the sandbox
 * built from its config, and the check that every resource it asks for is enforced here. */
int oci_policy(struct policy *p, const struct run_oci *oci, struct error *err);
int sandbox_prepare_oci(struct sandbox *sb, const struct policy *p, const struct run_oci *oci, const char *id,
			const struct sandbox_fallbacks *fb, struct error *err);
/* mlrun-oci exec: proc's program with config's seccomp filter, the policy's (unmonitored) and
 * rlimits; its namespaces and cgroup are joined, not built. */
int sandbox_prepare_oci_exec(struct sandbox *sb, const struct policy *p, const struct oci_spec *config,
			     const struct oci_spec *proc, const struct sandbox_fallbacks *fb, struct error *err);
struct run_enforced;
int oci_check_enforced(const struct run_oci *oci, const struct policy *p, const struct run_enforced *e,
		       struct error *err);
/* oci_oom.c: process.oomScoreAdj into pid (the sandbox's pid 1, verified through pidfd). */
int oci_write_oom_score_adj(pid_t pid, int pidfd, int value, struct error *err);
const char *oci_seccomp_why(const struct run_oci *oci);
int oci_set_cpu_weight(const struct run_oci *oci, const struct cgroup_leaf *leaf, struct error *err);
/* What a joined namespace takes out of the report's enforced map: a joined UTS namespace's
 * hostname is not the sandbox's (a joined network is not mlrun's either: oci_policy makes it
 * the policy's host network, network: false). */
void oci_note_enforced(const struct run_oci *oci, struct run_enforced *e);
