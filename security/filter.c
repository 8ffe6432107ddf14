/* filter.c - compile a syscall profile into classic BPF with libseccomp (parent side).
 *
 * The filter is built and exported here, before the clone, into a plain buffer; the payload
 * only hands that buffer to seccomp(2). A denied syscall returns SECCOMP_RET_USER_NOTIF: the
 * supervisor names it, counts it and answers (errno, kill or log). Only the native
 * architecture is in the filter: a syscall through another ABI (int 0x80, x32's
 * __X32_SYSCALL_BIT) hits the bad-architecture action, a notification too, which the
 * supervisor records as "foreign-abi" and answers by killing the sandbox, as those ABIs have
 * their own syscall numbers that this filter never looked at. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "security.h"

#define LO32 0xffffffffull
/* Every CLONE_NEW* flag clone(2) accepts (CLONE_NEWTIME only exists for clone3/unshare). */
#define CLONE_NS_FLAGS                                                                                  \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
	 CLONE_NEWNET)
#define BPF_INSN_SIZE 8
/* socket(2)'s type: the low 4 bits, the rest are SOCK_NONBLOCK and SOCK_CLOEXEC. */
#define SOCK_TYPE_BITS 4
#define SOCK_TYPE_MASK ((1u << SOCK_TYPE_BITS) - 1)

struct rules {
	scmp_filter_ctx ctx;
	uint32_t action; /* what the rules being added do: SCMP_ACT_NOTIFY or SCMP_ACT_ALLOW */
	int nr;
};

static int add(struct rules *r, unsigned int n, const struct scmp_arg_cmp *cmp)
{
	return seccomp_rule_add_array(r->ctx, r->action, r->nr, n, cmp);
}

/* Conditions that must hold besides the one on the argument being enumerated. */
#define MAX_EXTRA 2
struct extra {
	struct scmp_arg_cmp c[MAX_EXTRA];
	size_t n;
};

static int add_with(struct rules *r, struct scmp_arg_cmp cmp, const struct extra *x)
{
	struct scmp_arg_cmp c[1 + MAX_EXTRA] = { cmp };
	size_t n = x ? x->n : 0;
	for (size_t i = 0; i < n; i++)
		c[1 + i] = x->c[i];
	return add(r, (unsigned)(1 + n), c);
}

/* One rule per value: the low 32 bits of argument `arg` equal it, and `x` holds too
 * (int arguments: the kernel ignores the upper half, so must the filter). */
static int add_in(struct rules *r, unsigned arg, const uint32_t *set, size_t n, const struct extra *x)
{
	for (size_t i = 0; i < n; i++) {
		int e = add_with(r, SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, LO32, set[i]), x);
		if (e < 0)
			return e;
	}
	return 0;
}

static bool prefix_hits(const uint32_t *set, size_t n, uint32_t mask, uint32_t val)
{
	for (size_t i = 0; i < n; i++)
		if ((set[i] & mask) == val)
			return true;
	return false;
}

/* Rules matching every value of bits 0..bit NOT in set: libseccomp cannot negate, so the
 * complement is covered by bit prefixes (at most bit+1 per excluded value), each a masked
 * comparison. */
static int add_not_in_from(struct rules *r, unsigned arg, const uint32_t *set, size_t n, const struct extra *x,
			   uint32_t mask, uint32_t val, int bit)
{
	if (!prefix_hits(set, n, mask, val))
		return add_with(r, SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, mask, val), x);
	if (bit < 0)
		return 0; /* exactly a value of the set */
	uint32_t b = 1u << bit;
	int e = add_not_in_from(r, arg, set, n, x, mask | b, val, bit - 1);
	return e < 0 ? e : add_not_in_from(r, arg, set, n, x, mask | b, val | b, bit - 1);
}

/* Every 32-bit value not in set. */
static int add_not_in(struct rules *r, unsigned arg, const uint32_t *set, size_t n, const struct extra *x)
{
	return add_not_in_from(r, arg, set, n, x, 0, 0, 31);
}

/* clone: new namespaces (a user namespace gives back every capability, in a world of its own
 * the kernel still has to defend). Rules for the denied calls, or for the allowed ones. */
static int clone_rules(struct rules *r, bool denied)
{
	if (!denied)
		return add(r, 1, &SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0));
	for (unsigned b = 0; b < 32; b++) {
		uint64_t f = 1ull << b;
		int e = (CLONE_NS_FLAGS & f) ? add(r, 1, &SCMP_A0(SCMP_CMP_MASKED_EQ, f, f)) : 0;
		if (e < 0)
			return e;
	}
	return 0;
}

/* socket: only local and IP sockets, and netlink for routing queries (getaddrinfo and
 * if_nameindex ask NETLINK_ROUTE); raw packet, crypto (AF_ALG), VSOCK, Bluetooth and the other
 * families are attack surface no ML program needs. */
static int socket_family_rules(struct rules *r, bool denied)
{
	static const uint32_t ok_families[] = { AF_UNIX }; /* AF_INET/AF_INET6: socket_inet_rules */
	static const uint32_t with_netlink[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };
	static const uint32_t route[] = { NETLINK_ROUTE };
	const struct extra netlink = { { SCMP_A0(SCMP_CMP_MASKED_EQ, LO32, AF_NETLINK) }, 1 };
	int e;
	if (!denied) {
		if ((e = add_in(r, 0, ok_families, ARRAY_SIZE(ok_families), NULL)) < 0)
			return e;
		return add_in(r, 2, route, 1, &netlink);
	}
	if ((e = add_not_in(r, 0, with_netlink, ARRAY_SIZE(with_netlink), NULL)) < 0)
		return e;
	return add_not_in(r, 2, route, 1, &netlink);
}

/* socket(AF_INET/AF_INET6): only TCP and UDP. Any other type or protocol (SCTP, DCCP, L2TP,
 * UDP-Lite, MPTCP, raw, ping) makes inet_create() request_module("net-pf-N-proto-P-type-T"):
 * the kernel loads whatever module matches, and a rarely used protocol module is where the
 * bugs are. The type's low 4 bits are the type, the rest SOCK_NONBLOCK/SOCK_CLOEXEC. Allowed:
 * (STREAM, 0 or TCP), (DGRAM, 0 or UDP). Denied: another type, another protocol, or TCP and
 * UDP crossed. One masked compare matches both families: they differ only in bit 3. */
_Static_assert((AF_INET | 8) == AF_INET6 && !(AF_INET & 8), "AF_INET and AF_INET6 differ only in bit 3");
#define INET_FAMILY SCMP_A0(SCMP_CMP_MASKED_EQ, LO32 & ~8u, AF_INET)
#define SOCK_TYPE_IS(t) SCMP_A1(SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK, t)
#define PROTO_IS(p) SCMP_A2(SCMP_CMP_MASKED_EQ, LO32, p)

static int socket_inet_rules(struct rules *r, bool denied)
{
	static const uint32_t types[] = { SOCK_STREAM, SOCK_DGRAM };
	static const uint32_t protos[] = { 0, IPPROTO_TCP, IPPROTO_UDP };
	const struct extra inet = { { INET_FAMILY }, 1 };
	const struct extra stream = { { INET_FAMILY, SOCK_TYPE_IS(SOCK_STREAM) }, 2 };
	const struct extra dgram = { { INET_FAMILY, SOCK_TYPE_IS(SOCK_DGRAM) }, 2 };
	const uint32_t tcp_ok[] = { 0, IPPROTO_TCP }, udp_ok[] = { 0, IPPROTO_UDP };
	int e;
	if (!denied) {
		e = add_in(r, 2, tcp_ok, ARRAY_SIZE(tcp_ok), &stream);
		return e < 0 ? e : add_in(r, 2, udp_ok, ARRAY_SIZE(udp_ok), &dgram);
	}
	if ((e = add_not_in_from(r, 1, types, ARRAY_SIZE(types), &inet, 0, 0, SOCK_TYPE_BITS - 1)) < 0 ||
	    (e = add_not_in(r, 2, protos, ARRAY_SIZE(protos), &inet)) < 0 ||
	    (e = add_with(r, PROTO_IS(IPPROTO_UDP), &stream)) < 0)
		return e;
	return add_with(r, PROTO_IS(IPPROTO_TCP), &dgram);
}

static int socket_rules(struct rules *r, bool denied)
{
	int e = socket_family_rules(r, denied);
	return e < 0 ? e : socket_inet_rules(r, denied);
}

/* socketpair: only AF_UNIX supports it, but the kernel creates the socket before it finds
 * out, so socketpair(AF_INET, SOCK_STREAM, IPPROTO_SCTP) loads modules just like socket. */
static int socketpair_rules(struct rules *r, bool denied)
{
	static const uint32_t unix_only[] = { AF_UNIX };
	return denied ? add_not_in(r, 0, unix_only, 1, NULL) : add_in(r, 0, unix_only, 1, NULL);
}

/* ioctl: TIOCSTI pushes keystrokes into a terminal, TIOCLINUX reads a console's screen. The
 * command is an unsigned int: only its low 32 bits count (a full 64-bit compare could be
 * dodged with junk in the upper half). */
static int ioctl_rules(struct rules *r, bool denied)
{
	static const uint32_t bad[] = { TIOCSTI, TIOCLINUX };
	return denied ? add_in(r, 1, bad, ARRAY_SIZE(bad), NULL) : add_not_in(r, 1, bad, ARRAY_SIZE(bad), NULL);
}

/* personality: the values Docker allows (query, PER_LINUX, PER_LINUX32, UNAME26); others turn
 * off ASLR or make data executable. */
static int personality_rules(struct rules *r, bool denied)
{
	static const uint32_t ok[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };
	return denied ? add_not_in(r, 0, ok, ARRAY_SIZE(ok), NULL) : add_in(r, 0, ok, ARRAY_SIZE(ok), NULL);
}

static int args_rules(struct rules *r, bool denied)
{
	char name[32];
	syscall_name(r->nr, name, sizeof(name));
	if (strcmp(name, "clone") == 0)
		return clone_rules(r, denied);
	if (strcmp(name, "socket") == 0)
		return socket_rules(r, denied);
	if (strcmp(name, "socketpair") == 0)
		return socketpair_rules(r, denied);
	if (strcmp(name, "ioctl") == 0)
		return ioctl_rules(r, denied);
	if (strcmp(name, "personality") == 0)
		return personality_rules(r, denied);
	return -EINVAL;
}

/* Rules only for what differs from the default action (libseccomp refuses the others). */
static int add_verdict(scmp_filter_ctx ctx, const struct syscall_profile *sp, int nr)
{
	uint32_t deny = SCMP_ACT_NOTIFY, allow = SCMP_ACT_ALLOW;
	struct rules r = { ctx, sp->default_allow ? deny : allow, nr };
	switch ((enum syscall_verdict)sp->verdict[nr]) {
	case SV_UNSET:
		return 0;
	case SV_ALLOW:
		return sp->default_allow ? 0 : seccomp_rule_add(ctx, allow, nr, 0);
	case SV_DENY:
		return sp->default_allow ? seccomp_rule_add(ctx, deny, nr, 0) : 0;
	case SV_ENOSYS:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	case SV_ARGS:
		return args_rules(&r, sp->default_allow);
	}
	return -EINVAL;
}

int seccomp_export_prog(void *ctx, struct sock_fprog *prog, struct error *err)
{
	_cleanup_close_ int fd = memfd_create("mlrun-seccomp", MFD_CLOEXEC);
	struct stat st;
	int e;
	if (fd < 0)
		return error_set(err, errno, "cannot create a buffer for the seccomp filter");
	if ((e = seccomp_export_bpf(ctx, fd)) < 0)
		return error_set(err, -e, "cannot export the seccomp filter");
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % BPF_INSN_SIZE)
		return error_set(err, EINVAL, "libseccomp exported a malformed filter");
	void *buf = malloc((size_t)st.st_size);
	if (!buf)
		return error_set(err, ENOMEM, "out of memory");
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		return error_set(err, EIO, "cannot read back the seccomp filter");
	}
	prog->filter = buf;
	prog->len = (unsigned short)(st.st_size / BPF_INSN_SIZE);
	return 0;
}

int seccomp_filter_compile(const struct syscall_profile *sp, struct sock_fprog *prog, struct error *err)
{
	scmp_filter_ctx ctx = seccomp_init(sp->default_allow ? SCMP_ACT_ALLOW : SCMP_ACT_NOTIFY);
	char name[32];
	int r = 0;

	if (!ctx)
		return error_set(err, ENOMEM, "cannot initialise libseccomp");
	/* Another ABI's syscall numbers mean other syscalls: the supervisor records the attempt
	 * and kills rather than misjudge (notify.c, foreign_abi). */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_NOTIFY)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0) {
		r = error_set(err, -r, "cannot configure libseccomp");
		goto out;
	}
	for (int nr = 0; nr < SYSCALL_NR_MAX; nr++)
		if ((r = add_verdict(ctx, sp, nr)) < 0) {
			r = error_set(err, -r, "cannot add the seccomp rule for %s", syscall_name(nr, name, sizeof(name)));
			goto out;
		}
	r = seccomp_export_prog(ctx, prog, err);
out:
	seccomp_release(ctx);
	return r;
}

/* mlrun-oci exec: no monitor reads an exec'd process' listener, so a notifying filter would
 * block its denied calls forever. Each SECCOMP_RET_USER_NOTIF becomes the verdict the monitor
 * would have given (errno: EPERM; kill: the process dies; log: allowed, in the audit log). */
void seccomp_prog_unmonitored(struct sock_fprog *prog, enum on_violation v)
{
	uint32_t verdict = v == VIOLATION_KILL ? SECCOMP_RET_KILL_PROCESS
			   : v == VIOLATION_LOG	   ? SECCOMP_RET_LOG
						   : SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
	for (unsigned short i = 0; i < prog->len; i++)
		if (prog->filter[i].code == (BPF_RET | BPF_K) && prog->filter[i].k == SECCOMP_RET_USER_NOTIF)
			prog->filter[i].k = verdict;
}
