/* SPDX-License-Identifier: MIT */
/*
 * bench/floor: the netlink floor of a socket listing.  A bare libmnl dump
 * of every TCP socket that only counts the replies: no decoding, no output.
 * What any listing of the sockets costs at least; make bench reports every
 * command as a multiple of it.
 *
 *   floor family    one SOCK_DIAG_BY_FAMILY request per family (AF_INET,
 *                   then AF_INET6): what tcpdoctor and ss ask for
 *   floor onepass   one TCPDIAG_GETSOCK request, the older inet_diag_req:
 *                   the kernel answers it with family AF_UNSPEC and walks
 *                   its socket hash once for both families
 *                   (inet_diag_rcv_msg_compat and inet_diag_dump_compat,
 *                   net/ipv4/inet_diag.c)
 *
 * With -e EXPECTED it exits 1 unless exactly that many sockets came back:
 * the benchmark checks with it, every round, that the namespace still holds
 * the population it measures.  Prints the count.
 *
 * Usage: floor family|onepass [-e EXPECTED]
 */
#include <sys/socket.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#ifndef MNL_SOCKET_DUMP_SIZE
#define MNL_SOCKET_DUMP_SIZE	32768
#endif
#define ALL_STATES		0xfff		/* TCP_ESTABLISHED..TCP_NEW_SYN_RECV */

static char buf[MNL_SOCKET_DUMP_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));

/* Send the request in buf and count replies of type TYPE until DONE. */
static long
dump(struct mnl_socket *nl, struct nlmsghdr *nlh, uint16_t type)
{
	long count = 0;
	ssize_t n;
	int len;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("floor: send");
		return -1;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			perror("floor: recv");
			return -1;
		}
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == type) {
				count++;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				return count;
			} else if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				fprintf(stderr, "floor: the kernel refused the request: %s\n",
				    strerror(-e->error));
				return -1;
			}
		}
	}
}

int
main(int argc, char **argv)
{
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	long expect = -1, total = 0, c;
	int onepass, opt, i;
	char *end;

	if (argc < 2 || (strcmp(argv[1], "family") != 0 && strcmp(argv[1], "onepass") != 0)) {
		fprintf(stderr, "usage: floor family|onepass [-e EXPECTED]\n");
		return 64;
	}
	onepass = strcmp(argv[1], "onepass") == 0;
	optind = 2;
	while ((opt = getopt(argc, argv, "e:")) != -1) {
		if (opt != 'e')
			return 64;
		errno = 0;
		expect = strtol(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || expect < 0) {
			fprintf(stderr, "floor: -e '%s' is not a count\n", optarg);
			return 64;
		}
	}
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("floor: netlink socket");
		return 1;
	}
	for (i = 0; i < (onepass ? 1 : 2); i++) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = (uint32_t)time(NULL) + (uint32_t)i;
		if (onepass) {
			struct inet_diag_req *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

			nlh->nlmsg_type = TCPDIAG_GETSOCK;
			r->idiag_family = AF_INET;	/* ignored: the compat dump is AF_UNSPEC */
			r->idiag_states = ALL_STATES;
		} else {
			struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

			nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
			r->sdiag_family = i == 0 ? AF_INET : AF_INET6;
			r->sdiag_protocol = IPPROTO_TCP;
			r->idiag_states = ALL_STATES;
		}
		c = dump(nl, nlh, nlh->nlmsg_type);
		if (c < 0)
			return 1;
		total += c;
	}
	mnl_socket_close(nl);
	printf("%ld\n", total);
	if (expect >= 0 && total != expect) {
		fprintf(stderr, "floor: %ld sockets, expected %ld\n", total, expect);
		return 1;
	}
	return 0;
}
