/* test_seccomp_stack.c - the merged program of an OCI config's filter and mlrun's policy filter
 * (security/stack.c), run on made-up syscalls: its verdict is the kernel's verdict of the two
 * stacked (lowest action, ties to the newer policy filter), except that the config's ERRNO
 * becomes USER_NOTIF (not for sendmsg nor another ABI). Pure logic: nothing is loaded. TAP. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "lib/cleanup.h"
#include "security/security.h"

#include "tap.h"

static struct sock_fprog compile(scmp_filter_ctx ctx)
{
	struct sock_fprog p = { 0 };
	struct error err = { 0 };
	if (seccomp_export_prog(ctx, &p, &err) < 0) {
		fprintf(stderr, "export: %s\n", err.msg);
		exit(1);
	}
	seccomp_release(ctx);
	return p;
}

/* The config: allow by default; bpf ERRNO(1), mkdir ERRNO(13), clone3 ERRNO(38), acct KILL,
 * socket(AF_NETLINK) ERRNO(22), sendmsg ERRNO(1). */
static struct sock_fprog config_prog(uint32_t dflt)
{
	scmp_filter_ctx c = seccomp_init(dflt);
	seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0);
	if (dflt != SCMP_ACT_ALLOW) {
		static const int ok[] = { SYS_read, SYS_write, SYS_mount, SYS_unshare, SYS_getpid };
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			seccomp_rule_add(c, SCMP_ACT_ALLOW, ok[i], 0);
	}
	seccomp_rule_add(c, SCMP_ACT_ERRNO(1), SYS_bpf, 0);
	seccomp_rule_add(c, SCMP_ACT_ERRNO(13), SYS_mkdir, 0);
	seccomp_rule_add(c, SCMP_ACT_ERRNO(38), SYS_clone3, 0);
	seccomp_rule_add(c, SCMP_ACT_KILL_PROCESS, SYS_acct, 0);
	seccomp_rule_add(c, SCMP_ACT_ERRNO(22), SYS_socket, 1, SCMP_A0(SCMP_CMP_EQ, 16));
	seccomp_rule_add(c, SCMP_ACT_ERRNO(1), SYS_sendmsg, 0);
	return compile(c);
}

/* The policy: notify mount, mkdir, unshare, acct; clone3 ENOSYS itself; the rest allowed. */
static struct sock_fprog policy_prog(void)
{
	scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
	seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_NOTIFY);
	seccomp_rule_add(c, SCMP_ACT_NOTIFY, SYS_mount, 0);
	seccomp_rule_add(c, SCMP_ACT_NOTIFY, SYS_mkdir, 0);
	seccomp_rule_add(c, SCMP_ACT_NOTIFY, SYS_unshare, 0);
	seccomp_rule_add(c, SCMP_ACT_NOTIFY, SYS_acct, 0);
	seccomp_rule_add(c, SCMP_ACT_ERRNO(ENOSYS), SYS_clone3, 0);
	return compile(c);
}

static uint32_t expected(const struct sock_fprog *config, const struct sock_fprog *policy,
			 const struct seccomp_data *d)
{
	uint32_t c = seccomp_prog_eval(config, d);
	uint32_t v = policy ? seccomp_stacked_verdict(c, seccomp_prog_eval(policy, d)) : c;
	bool ours = d->arch == seccomp_arch_native() && !(d->nr & 0x40000000) && d->nr != SYS_sendmsg;
	if (v == c && (c & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO && ours &&
	    (!policy || (seccomp_prog_eval(policy, d) & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ERRNO))
		return SECCOMP_RET_USER_NOTIF;
	return v;
}

static void check_all(const char *what, const struct sock_fprog *config, const struct sock_fprog *policy)
{
	struct sock_fprog merged = { 0 };
	int r = seccomp_prog_merge(config, policy, &merged);
	if (!tap(r == 0, NULL, "%s: merged", what))
		return;
	int bad = 0;
	char got[128] = "";
	static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386 };
	for (size_t a = 0; a < 2; a++)
		for (int nr = 0; nr < 470; nr++)
			for (uint64_t a0 = 0; a0 < 20; a0 += 16) {
				struct seccomp_data d = { .nr = nr, .arch = arches[a], .args = { a0 } };
				uint32_t want = expected(config, policy, &d), have = seccomp_prog_eval(&merged, &d);
				if (want != have && !bad++)
					snprintf(got, sizeof(got), "nr %d arch %#x a0 %llu: %#x, want %#x", nr, arches[a],
						 (unsigned long long)a0, have, want);
			}
	tap(!bad, got, "%s: every verdict is the kernel's of the two, config ERRNO notifying", what);
	free(merged.filter);
}

static uint32_t run_nr(const struct sock_fprog *p, int nr, uint64_t a0)
{
	struct seccomp_data d = { .nr = nr, .arch = seccomp_arch_native(), .args = { a0 } };
	return seccomp_prog_eval(p, &d);
}

int main(void)
{
	struct sock_fprog c1 = config_prog(SCMP_ACT_ALLOW), c2 = config_prog(SCMP_ACT_ERRNO(38)), p = policy_prog();
	check_all("allow-list config alone", &c1, NULL);
	check_all("deny-by-default config alone", &c2, NULL);
	check_all("config and policy", &c1, &p);
	check_all("deny-by-default config and policy", &c2, &p);

	struct sock_fprog m = { 0 };
	seccomp_prog_merge(&c1, &p, &m);
	tap(run_nr(&m, SYS_mkdir, 0) == SECCOMP_RET_USER_NOTIF, NULL, "both deny mkdir: notified (the config's ERRNO)");
	tap(run_nr(&m, SYS_mount, 0) == SECCOMP_RET_USER_NOTIF, NULL, "only the policy denies mount: notified");
	tap(run_nr(&m, SYS_acct, 0) == SECCOMP_RET_KILL_PROCESS, NULL, "the config's KILL beats the policy's notification");
	tap(run_nr(&m, SYS_clone3, 0) == SECCOMP_RET_ERRNO + ENOSYS, NULL, "both ERRNO: the policy's, in the kernel");
	tap(run_nr(&m, SYS_sendmsg, 0) == SECCOMP_RET_ERRNO + 1, NULL, "sendmsg: the config's ERRNO stays in the kernel");
	tap(run_nr(&m, SYS_socket, 16) == SECCOMP_RET_USER_NOTIF && run_nr(&m, SYS_socket, 2) == SECCOMP_RET_ALLOW, NULL,
	    "argument rules kept");
	tap(run_nr(&m, SYS_getpid, 0) == SECCOMP_RET_ALLOW, NULL, "allowed by both: allowed");
	free(m.filter);

	struct sock_fprog bad = { 1, (struct sock_filter[]){ { BPF_RET | BPF_A, 0, 0, 0 } } };
	tap(seccomp_prog_merge(&bad, NULL, &m) == -EOPNOTSUPP, NULL, "RET A refused");
	struct sock_fprog junk = { 1, (struct sock_filter[]){ { 0xffff, 0, 0, 0 } } };
	tap(run_nr(&junk, 0, 0) == SECCOMP_RET_KILL_PROCESS, NULL, "a malformed program evaluates to KILL_PROCESS");
	free(c1.filter);
	free(c2.filter);
	free(p.filter);
	return tap_done();
}
