/* stack.c - an OCI config's own seccomp filter, counted: one listener for two filters.
 *
 * The kernel allows one listener per filter chain (SECCOMP_FILTER_FLAG_NEW_LISTENER fails with
 * EBUSY when a filter below already has one), and a USER_NOTIF verdict goes to the listener of
 * the filter that returned it (the newest one, when several do; without a listener the call
 * fails with ENOSYS). So the config's filter (loaded first) and mlrun's policy filter (stacked on
 * it) become one program here, which computes both verdicts and returns the one the kernel would
 * have chosen of the two (the lowest action, signed, as seccomp_run_filters() compares them; on a
 * tie the newer filter's, mlrun's). One change only: when that verdict is the config's ERRNO, the
 * program returns USER_NOTIF instead, and the supervisor answers with exactly that errno
 * (notify.c), after counting it. KILL, TRAP, LOG, TRACE and ALLOW of the config stay the kernel's:
 * a kill never depends on the supervisor. A dead supervisor closes the listener: a waiting or
 * later notified call fails with ENOSYS, never succeeds.
 *
 * Layout of the merged program (classic BPF jumps only forward, so nothing is moved):
 *   [config's program, each RET K replaced by a JA to its stub] [config's stubs]
 *   [policy's program, likewise] [policy's stubs] [pick the winner, RET A]
 * A stub stores the verdict and its rank (the action with the sign bit flipped: unsigned order
 * then equals the kernel's signed order) in scratch memory. The supervisor decides what to
 * answer by running the two original programs on the notification's seccomp_data, the same
 * bytes the kernel's filter saw (seccomp_prog_eval). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "../lib/cleanup.h"
#include "security.h"

#define M_VA 12 /* the config's verdict, as the merged program returns it */
#define M_RA 13 /* its rank */
#define M_VB 14 /* the policy's */
#define M_RB 15
#define SIGN_BIT 0x80000000u
#define X32_BIT 0x40000000u
#define MAX_STUBS 64
#define STUB_LEN 12 /* the longest stub, the converting one */
#define MERGE_MAX 4096 /* BPF_MAXINSNS */

static uint32_t rank_of(uint32_t verdict)
{
	return (verdict & SECCOMP_RET_ACTION_FULL) ^ SIGN_BIT;
}

uint32_t seccomp_stacked_verdict(uint32_t older, uint32_t newer)
{
	return rank_of(older) < rank_of(newer) ? older : newer;
}

/* Programs from libseccomp: loads from seccomp_data, ALU, jumps, RET K. Scratch memory and
 * RET A are not expected; refused, so the slots the stubs use are ours alone. */
static int check_input(const struct sock_fprog *p)
{
	if (!p->len)
		return -EINVAL;
	for (unsigned i = 0; i < p->len; i++) {
		uint16_t c = p->filter[i].code;
		if (c == BPF_ST || c == BPF_STX || c == (BPF_LD | BPF_MEM) || c == (BPF_LDX | BPF_MEM) ||
		    c == (BPF_RET | BPF_A))
			return -EOPNOTSUPP;
	}
	return 0;
}

struct builder {
	struct sock_filter *f;
	unsigned n;
};

static void emit(struct builder *b, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (b->n < MERGE_MAX)
		b->f[b->n] = (struct sock_filter){ code, jt, jf, k };
	b->n++;
}

/* Copies p, each RET K a JA to the stub for K, then the stubs (one per distinct K), each
 * ending with a JA to `next` (patched by the caller: the next part's first instruction). The
 * JAs to patch are listed in *fix. */
static int copy_part(struct builder *b, const struct sock_fprog *p, bool config, unsigned *fix, unsigned *n_fix)
{
	uint32_t ks[MAX_STUBS];
	unsigned n_ks = 0, base = b->n;
	for (unsigned i = 0; i < p->len; i++) {
		struct sock_filter in = p->filter[i];
		if (in.code == (BPF_RET | BPF_K)) {
			unsigned s = 0;
			while (s < n_ks && ks[s] != in.k)
				s++;
			if (s == n_ks) {
				if (n_ks == MAX_STUBS)
					return -E2BIG;
				ks[n_ks++] = in.k;
			}
			in = (struct sock_filter){ BPF_JMP | BPF_JA, 0, 0, s }; /* stub index, patched below */
		}
		emit(b, in.code, in.jt, in.jf, in.k);
	}
	unsigned stub_at[MAX_STUBS];
	for (unsigned s = 0; s < n_ks; s++) {
		uint32_t k = ks[s];
		stub_at[s] = b->n;
		emit(b, BPF_LD | BPF_IMM, 0, 0, k);
		emit(b, BPF_ST, 0, 0, config ? M_VA : M_VB);
		emit(b, BPF_LD | BPF_IMM, 0, 0, rank_of(k));
		emit(b, BPF_ST, 0, 0, config ? M_RA : M_RB);
		if (config && (k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) {
			/* The config's ERRNO becomes a notification, except for another ABI (its numbers
			 * mean other calls: the kernel answers) and sendmsg, the call that hands the
			 * listener to the supervisor (nobody could answer it yet). */
			emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
			emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 5, seccomp_arch_native());
			emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
			emit(b, BPF_JMP | BPF_JSET | BPF_K, 3, 0, X32_BIT);
			emit(b, BPF_JMP | BPF_JEQ | BPF_K, 2, 0, SYS_sendmsg);
			emit(b, BPF_LD | BPF_IMM, 0, 0, SECCOMP_RET_USER_NOTIF);
			emit(b, BPF_ST, 0, 0, M_VA);
		}
		if (*n_fix >= 2 * MAX_STUBS)
			return -E2BIG;
		fix[(*n_fix)++] = b->n;
		emit(b, BPF_JMP | BPF_JA, 0, 0, 0);
	}
	for (unsigned i = 0; i < p->len && b->n <= MERGE_MAX; i++)
		if (p->filter[i].code == (BPF_RET | BPF_K))
			b->f[base + i].k = stub_at[b->f[base + i].k] - (base + i + 1);
	return 0;
}

static void patch(struct builder *b, const unsigned *fix, unsigned n_fix, unsigned target)
{
	for (unsigned i = 0; i < n_fix && b->n <= MERGE_MAX; i++)
		b->f[fix[i]].k = target - (fix[i] + 1);
}

int seccomp_prog_merge(const struct sock_fprog *config, const struct sock_fprog *policy, struct sock_fprog *out)
{
	int r;
	if ((r = check_input(config)) < 0 || (policy && (r = check_input(policy)) < 0))
		return r;
	struct builder b = { calloc(MERGE_MAX, sizeof(struct sock_filter)), 0 };
	unsigned fix[2 * MAX_STUBS], n_fix = 0;
	if (!b.f)
		return -ENOMEM;
	if ((r = copy_part(&b, config, true, fix, &n_fix)) < 0)
		goto fail;
	if (policy) {
		patch(&b, fix, n_fix, b.n);
		n_fix = 0;
		if ((r = copy_part(&b, policy, false, fix, &n_fix)) < 0)
			goto fail;
		patch(&b, fix, n_fix, b.n);
		/* rank(config) >= rank(policy): the newer filter, mlrun's, wins a tie, as in the kernel */
		emit(&b, BPF_LD | BPF_MEM, 0, 0, M_RA);
		emit(&b, BPF_LDX | BPF_MEM, 0, 0, M_RB);
		emit(&b, BPF_JMP | BPF_JGE | BPF_X, 0, 2, 0);
		emit(&b, BPF_LD | BPF_MEM, 0, 0, M_VB);
		emit(&b, BPF_RET | BPF_A, 0, 0, 0);
	} else {
		patch(&b, fix, n_fix, b.n);
	}
	emit(&b, BPF_LD | BPF_MEM, 0, 0, M_VA);
	emit(&b, BPF_RET | BPF_A, 0, 0, 0);
	if (b.n > MERGE_MAX) {
		r = -E2BIG;
		goto fail;
	}
	out->filter = b.f;
	out->len = (unsigned short)b.n;
	return 0;
fail:
	free(b.f);
	return r;
}

static uint32_t load_word(const struct seccomp_data *d, uint32_t off, bool *ok)
{
	uint32_t w;
	if (off % 4 || off > sizeof(*d) - 4) {
		*ok = false;
		return 0;
	}
	memcpy(&w, (const char *)d + off, 4);
	return w;
}

static uint32_t alu(uint16_t op, uint32_t a, uint32_t v, bool *ok)
{
	switch (op) {
	case BPF_ADD: return a + v;
	case BPF_SUB: return a - v;
	case BPF_MUL: return a * v;
	case BPF_DIV: return v ? a / v : (*ok = false, 0);
	case BPF_MOD: return v ? a % v : (*ok = false, 0);
	case BPF_OR: return a | v;
	case BPF_AND: return a & v;
	case BPF_XOR: return a ^ v;
	case BPF_LSH: return v < 32 ? a << v : 0;
	case BPF_RSH: return v < 32 ? a >> v : 0;
	case BPF_NEG: return -a;
	}
	*ok = false;
	return 0;
}

/* Classic BPF as the kernel runs a seccomp filter. Anything malformed: KILL_PROCESS, which the
 * supervisor never turns into an allowed call. */
uint32_t seccomp_prog_eval(const struct sock_fprog *p, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	bool ok = true;
	for (unsigned pc = 0; pc < p->len && ok; pc++) {
		const struct sock_filter *in = &p->filter[pc];
		uint32_t src = BPF_SRC(in->code) == BPF_X ? x : in->k;
		switch (BPF_CLASS(in->code)) {
		case BPF_LD:
			if (in->code == (BPF_LD | BPF_W | BPF_ABS))
				a = load_word(d, in->k, &ok);
			else if (in->code == (BPF_LD | BPF_IMM))
				a = in->k;
			else if (in->code == (BPF_LD | BPF_MEM) && in->k < BPF_MEMWORDS)
				a = mem[in->k];
			else if (in->code == (BPF_LD | BPF_W | BPF_LEN))
				a = sizeof(*d);
			else
				ok = false;
			break;
		case BPF_LDX:
			if (in->code == (BPF_LDX | BPF_IMM))
				x = in->k;
			else if (in->code == (BPF_LDX | BPF_MEM) && in->k < BPF_MEMWORDS)
				x = mem[in->k];
			else if (in->code == (BPF_LDX | BPF_W | BPF_LEN))
				x = sizeof(*d);
			else
				ok = false;
			break;
		case BPF_ST:
		case BPF_STX:
			if (in->k >= BPF_MEMWORDS)
				ok = false;
			else
				mem[in->k] = BPF_CLASS(in->code) == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			a = alu(BPF_OP(in->code), a, src, &ok);
			break;
		case BPF_JMP:
			if (BPF_OP(in->code) == BPF_JA) {
				pc += in->k;
				break;
			}
			bool t = BPF_OP(in->code) == BPF_JEQ    ? a == src
				 : BPF_OP(in->code) == BPF_JGT  ? a > src
				 : BPF_OP(in->code) == BPF_JGE  ? a >= src
				 : BPF_OP(in->code) == BPF_JSET ? (a & src) != 0
								: (ok = false);
			pc += t ? in->jt : in->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(in->code) == BPF_A ? a : in->k;
		case BPF_MISC:
			if (BPF_MISCOP(in->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default:
			ok = false;
		}
	}
	return SECCOMP_RET_KILL_PROCESS;
}

int seccomp_count_config(struct security_plan *sec, struct error *err)
{
	struct sock_fprog merged;
	int fds[2], r;
	if (!sec->oci_prog.len)
		return 0;
	if ((r = seccomp_prog_merge(&sec->oci_prog, sec->seccomp ? &sec->prog : NULL, &merged)) < 0)
		return r == -E2BIG ? error_set(err, E2BIG, "linux.seccomp: the filter and mlrun's together exceed %d BPF "
					       "instructions", MERGE_MAX)
				   : error_set(err, -r, "linux.seccomp: cannot stack the filter with mlrun's");
	if (!sec->seccomp) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
			free(merged.filter);
			return error_set(err, errno, "cannot create the seccomp notification socket");
		}
		sec->notify_fd = fds[0];
		sec->monitor_fd = fds[1];
	} else {
		sec->policy_prog = sec->prog;
	}
	sec->config_prog = sec->oci_prog;
	sec->oci_prog = (struct sock_fprog){ 0 };
	sec->prog = merged;
	sec->prog_builtin = NULL;
	sec->seccomp = true;
	return 0;
}
