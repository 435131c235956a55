/* SPDX-License-Identifier: MIT */
/* SOCK_DESTROY requests over NETLINK_SOCK_DIAG; see sockkill.h. */
#include "collectors/sockkill.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "collectors/snapshot.h"

struct sockkill {
	struct mnl_socket	*nl;
	uint32_t		 portid, seq;
};

struct sockkill *
sockkill_open(struct td_err *err)
{
	struct sockkill *k = calloc(1, sizeof(*k));

	if (k == NULL) {
		td_errf(err, ENOMEM, "kill: out of memory");
		return NULL;
	}
	k->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (k->nl == NULL || mnl_socket_bind(k->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		td_errf(err, errno, "kill: sock_diag socket: %s", strerror(errno));
		sockkill_close(k);
		return NULL;
	}
	{
		struct timeval tv = { .tv_sec = 5 };

		/* An answer that never comes must not hang a cron job. */
		setsockopt(mnl_socket_get_fd(k->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	k->portid = mnl_socket_get_portid(k->nl);
	k->seq = (uint32_t)time(NULL);
	return k;
}

void
sockkill_close(struct sockkill *k)
{
	if (k == NULL)
		return;
	if (k->nl != NULL)
		mnl_socket_close(k->nl);
	free(k);
}

/* The kernel's byte layout of an address: 4 bytes for AF_INET, 16 for AF_INET6. */
static void
put_addr(__be32 dst[4], int family, const struct in6_addr *a)
{
	memset(dst, 0, 16);
	if (family == AF_INET)
		memcpy(dst, &a->s6_addr[12], 4);	/* stored v4-mapped */
	else
		memcpy(dst, a->s6_addr, 16);
}

int
sockkill_one(struct sockkill *k, const struct td_sock *sk, struct td_err *err)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));	/* an ack: a few dozen bytes */
	struct inet_diag_req_v2 *r;
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	ssize_t got;
	int n, tries;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DESTROY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++k->seq;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = sk->family;
	r->sdiag_protocol = IPPROTO_TCP;
	r->idiag_states = ~0u;
	r->id.idiag_sport = htons(sk->sport);
	r->id.idiag_dport = htons(sk->dport);
	put_addr(r->id.idiag_src, sk->family, &sk->src);
	put_addr(r->id.idiag_dst, sk->family, &sk->dst);
	r->id.idiag_if = sk->ifindex;
	/* ss splits the cookie the same way (misc/ss.c); sockdiag.c joins it. */
	r->id.idiag_cookie[0] = (uint32_t)sk->cookie;
	r->id.idiag_cookie[1] = (uint32_t)(sk->cookie >> 32);
	if (mnl_socket_sendto(k->nl, nlh, nlh->nlmsg_len) < 0)
		return td_errf(err, errno, "send: %s", strerror(errno));
	/* Stale answers (a timed-out request's) are skipped, a bounded number. */
	for (tries = 0; tries < 64; tries++) {
		got = mnl_socket_recvfrom(k->nl, buf, sizeof(buf));
		if (got < 0)
			return td_errf(err, errno, "receive: %s", errno == EAGAIN ?
			    "no answer from the kernel in 5 s" : strerror(errno));
		n = (int)got;
		nlh = (struct nlmsghdr *)buf;
		for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
			if (nlh->nlmsg_seq != k->seq || nlh->nlmsg_pid != k->portid)
				continue;	/* an old answer */
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				return td_errf(err, EPROTO, "a short acknowledgement");
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error == 0)
				return 0;
			return td_errf(err, -e->error, "%s", strerror(-e->error));
		}
	}
	return td_errf(err, EPROTO, "no acknowledgement for the request");
}
