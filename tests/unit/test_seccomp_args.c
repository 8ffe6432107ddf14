/* test_seccomp_args.c - the compiled argument rules, judged by running the exported BPF on
 * made-up syscalls (pure logic: a small classic-BPF interpreter, nothing loaded into the
 * kernel, no socket created on the host). Checks socket(2) and socketpair(2) over every
 * family that matters, every type with and without SOCK_NONBLOCK|SOCK_CLOEXEC, protocols
 * 0..300 and junk in the upper 32 bits, in the default (deny-list) and strict (allow-list)
 * filters. TAP on stdout; exit 1 on any failure. */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/cleanup.h"
#include "security/security.h"

#include "tap.h"

#define LO32 0xffffffffull
#define VERDICT_ERR 0xdeadu

/* Run prog on d; the 32-bit return value, or VERDICT_ERR on an instruction it cannot run. */
static uint32_t bpf_run(const struct sock_fprog *prog, const struct seccomp_data *d)
{
	const unsigned char *data = (const unsigned char *)d;
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	for (unsigned pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *f = &prog->filter[pc];
		uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k + 4 > sizeof(*d))
				return VERDICT_ERR;
			memcpy(&a, data + f->k, 4);
			continue;
		case BPF_LD | BPF_MEM:
			a = mem[f->k % BPF_MEMWORDS];
			continue;
		case BPF_LDX | BPF_MEM:
			x = mem[f->k % BPF_MEMWORDS];
			continue;
		case BPF_ST:
			mem[f->k % BPF_MEMWORDS] = a;
			continue;
		case BPF_STX:
			mem[f->k % BPF_MEMWORDS] = x;
			continue;
		case BPF_LD | BPF_IMM:
			a = f->k;
			continue;
		case BPF_MISC | BPF_TAX:
			x = a;
			continue;
		case BPF_MISC | BPF_TXA:
			a = x;
			continue;
		case BPF_ALU | BPF_AND | BPF_K:
		case BPF_ALU | BPF_AND | BPF_X:
			a &= src;
			continue;
		case BPF_ALU | BPF_OR | BPF_K:
		case BPF_ALU | BPF_OR | BPF_X:
			a |= src;
			continue;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_X:
			pc += a == src ? f->jt : f->jf;
			continue;
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_X:
			pc += a > src ? f->jt : f->jf;
			continue;
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_X:
			pc += a >= src ? f->jt : f->jf;
			continue;
		case BPF_JMP | BPF_JSET | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_X:
			pc += (a & src) ? f->jt : f->jf;
			continue;
		case BPF_RET | BPF_K:
			return f->k;
		case BPF_RET | BPF_A:
			return a;
		default:
			return VERDICT_ERR;
		}
	}
	return VERDICT_ERR;
}

static uint32_t judge(const struct sock_fprog *prog, const char *name, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct seccomp_data d = { .nr = syscall_resolve(name), .arch = seccomp_arch_native() };
	d.args[0] = a0;
	d.args[1] = a1;
	d.args[2] = a2;
	return bpf_run(prog, &d);
}

/* What mlrun promises (docs/security.md, "Argument rules"). */
static bool socket_ok(uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint32_t family = (uint32_t)(a0 & LO32), type = (uint32_t)(a1 & 0xf), proto = (uint32_t)(a2 & LO32);
	if (family == AF_UNIX)
		return true;
	if (family == AF_NETLINK)
		return proto == NETLINK_ROUTE;
	if (family != AF_INET && family != AF_INET6)
		return false;
	return (type == SOCK_STREAM && (proto == 0 || proto == IPPROTO_TCP)) ||
	       (type == SOCK_DGRAM && (proto == 0 || proto == IPPROTO_UDP));
}

static int compile(const char *profile, struct sock_fprog *prog)
{
	static struct syscall_profile sp;
	struct error err = { 0 };
	if (syscall_profile_builtin(&sp, profile) < 0 || syscall_profile_adjust(&sp, NULL, 0, NULL, 0, &err) < 0)
		return -1;
	return seccomp_filter_compile(&sp, prog, &err);
}

static void test_socket(const char *profile, const struct sock_fprog *prog)
{
	static const uint64_t families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_ALG, AF_VSOCK,
					     AF_BLUETOOTH, 0, 3, 8, 11, 18, 42, 46, 4096, 0x100000002ull,
					     0x10000000aull, 0xfffffff2ull, 0x80000002ull };
	static const uint64_t flags[] = { 0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC,
					  0x700000000ull };
	static const uint64_t junk_protos[] = { 0x10006, 0x10011, 0x100000006ull, 0x100000011ull, 0x80000000,
						0xffffffff, 0xffffffff00000000ull, 262, 256 + 6, 1ull << 31 | 17 };
	char got[160] = "";
	unsigned long n = 0, wrong = 0;
	for (size_t f = 0; f < ARRAY_SIZE(families); f++)
		for (uint64_t type = 0; type < 16; type++)
			for (size_t fl = 0; fl < ARRAY_SIZE(flags); fl++)
				for (uint64_t p = 0; p < 301 + ARRAY_SIZE(junk_protos); p++) {
					uint64_t proto = p < 301 ? p : junk_protos[p - 301];
					uint64_t a0 = families[f], a1 = type | flags[fl];
					uint32_t v = judge(prog, "socket", a0, a1, proto);
					uint32_t want = socket_ok(a0, a1, proto) ? SECCOMP_RET_ALLOW : SECCOMP_RET_USER_NOTIF;
					n++;
					if (v != want && !wrong++)
						snprintf(got, sizeof(got), "socket(%#llx, %#llx, %#llx) gave %#x, want %#x",
							 (unsigned long long)a0, (unsigned long long)a1,
							 (unsigned long long)proto, v, want);
				}
	tap(!wrong, got, "%s: socket allows unix, netlink-route, inet/inet6 TCP and UDP only (%lu of %lu wrong)",
	    profile, wrong, n);
}

static void test_socketpair(const char *profile, const struct sock_fprog *prog)
{
	static const uint64_t families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_ALG,
					     0, 0x100000001ull, 0xffffffff00000001ull, 0x80000001ull };
	char got[160] = "";
	int wrong = 0;
	for (size_t f = 0; f < ARRAY_SIZE(families); f++)
		for (uint64_t type = 1; type <= 5; type++) {
			uint32_t v = judge(prog, "socketpair", families[f], type | SOCK_CLOEXEC, 0);
			uint32_t want = (families[f] & LO32) == AF_UNIX ? SECCOMP_RET_ALLOW : SECCOMP_RET_USER_NOTIF;
			if (v != want && !wrong++)
				snprintf(got, sizeof(got), "socketpair(%#llx, %llu) gave %#x", (unsigned long long)families[f],
					 (unsigned long long)type, v);
		}
	tap(!wrong, got, "%s: socketpair only for AF_UNIX", profile);
}

int main(void)
{
	const char *profiles[] = { "default", "strict" };
	for (size_t i = 0; i < ARRAY_SIZE(profiles); i++) {
		struct sock_fprog prog = { 0 };
		if (!tap(compile(profiles[i], &prog) == 0, NULL, "%s compiles", profiles[i]))
			continue;
		tap(judge(&prog, "getppid", 0, 0, 0) == SECCOMP_RET_ALLOW && judge(&prog, "ptrace", 0, 0, 0) == SECCOMP_RET_USER_NOTIF,
		    NULL, "%s: the interpreter runs the filter (getppid allowed, ptrace denied)", profiles[i]);
		test_socket(profiles[i], &prog);
		test_socketpair(profiles[i], &prog);
		free(prog.filter);
	}
	return tap_done();
}
