/* net.c - bring lo up in the sandbox's fresh network namespace.
 *
 * The RTM_NEWLINK request is built with libnl-route-3 in the parent; the child, which must
 * not allocate between clone and exec, only sends the bytes and reads the ack. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/cleanup.h"
#include "ns.h"

#define LO_IFINDEX 1 /* the kernel creates lo first in every network namespace */

int ns_build_lo_up(struct ns_lo_request *req, struct error *err)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
	struct nl_msg *msg = NULL;
	int r = 0;

	if (!orig || !change) {
		r = error_set(err, ENOMEM, "cannot build the netlink request for lo");
		goto out;
	}
	rtnl_link_set_ifindex(orig, LO_IFINDEX);
	rtnl_link_set_flags(change, IFF_UP);
	int nr = rtnl_link_build_change_request(orig, change, 0, &msg);
	if (nr < 0 || !msg) {
		r = error_set(err, EINVAL, "cannot build the netlink request for lo: %s", nl_geterror(nr));
		goto out;
	}
	struct nlmsghdr *h = nlmsg_hdr(msg);
	if (h->nlmsg_len > sizeof(req->buf)) {
		r = error_set(err, E2BIG, "netlink request for lo is %u bytes", h->nlmsg_len);
		goto out;
	}
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = 1;
	memcpy(req->buf, h, h->nlmsg_len);
	req->len = h->nlmsg_len;
out:
	if (msg)
		nlmsg_free(msg);
	rtnl_link_put(orig);
	rtnl_link_put(change);
	return r;
}

int ns_send_lo_up(const struct ns_lo_request *req)
{
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(fd, req->buf, req->len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;

	union {
		struct nlmsghdr h;
		unsigned char raw[512];
	} ack;
	ssize_t n = recv(fd, &ack, sizeof(ack), 0);
	if (n < 0)
		return -errno;
	if ((size_t)n < NLMSG_LENGTH(sizeof(struct nlmsgerr)) || ack.h.nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	const struct nlmsgerr *e = NLMSG_DATA(&ack.h);
	return e->error; /* 0 or -errno, as the kernel says */
}
