/* sockets.c - the probe's socket attempts (tests/seccomp.bats, `mlrun audit`): families and
 * protocols whose socket(2) would make the kernel load a module on demand. Same conventions
 * as probe.c: print what happened, exit 0 when the call succeeded, 1 when it failed.
 *
 *   probe socket FAMILY TYPE PROTO       socket(2); "ok" or "errno NAME"
 *   probe socketpair FAMILY TYPE PROTO   socketpair(2); likewise
 *
 * FAMILY, TYPE and PROTO are numbers or names: unix inet inet6 netlink packet;
 * stream dgram raw seqpacket (with +nonblock, +cloexec); tcp udp sctp icmp icmpv6 udplite. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct name {
	const char *name;
	long value;
};

static const struct name names[] = {
	{ "unix", AF_UNIX },	     { "inet", AF_INET },	  { "inet6", AF_INET6 },
	{ "netlink", AF_NETLINK },   { "packet", AF_PACKET },	  { "stream", SOCK_STREAM },
	{ "dgram", SOCK_DGRAM },     { "raw", SOCK_RAW },	  { "seqpacket", SOCK_SEQPACKET },
	{ "nonblock", SOCK_NONBLOCK }, { "cloexec", SOCK_CLOEXEC }, { "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },	     { "sctp", IPPROTO_SCTP },	  { "icmp", IPPROTO_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6 }, { "udplite", IPPROTO_UDPLITE },
};

/* "stream+cloexec", "132" or "0x84": the OR of its parts. */
static long value(const char *s)
{
	long v = 0;
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *save = NULL, *w = strtok_r(buf, "+", &save); w; w = strtok_r(NULL, "+", &save)) {
		size_t i;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(names[i].name, w) == 0)
				break;
		v |= i < sizeof(names) / sizeof(names[0]) ? names[i].value : strtol(w, NULL, 0);
	}
	return v;
}

static int result(int r)
{
	if (r < 0) {
		printf("errno %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
		return 1;
	}
	printf("ok\n");
	return 0;
}

int probe_sockets(int argc, char **argv);

int probe_sockets(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[1], "socket") && strcmp(argv[1], "socketpair")))
		return -1;
	int family = (int)value(argv[2]), type = (int)value(argv[3]), proto = (int)value(argv[4]);
	if (!strcmp(argv[1], "socket"))
		return result(socket(family, type, proto));
	int sv[2];
	return result(socketpair(family, type, proto, sv));
}
