/* SPDX-License-Identifier: MIT */
/*
 * Test helper: walk the live sockets of the current network namespace
 * through collectors/source.c and print one line per socket in the shape
 * of `ss -tanH -e`'s first columns, so a test can compare them:
 *	STATE RECV-Q SEND-Q LOCAL:PORT PEER:PORT INODE
 * -i adds kind, timer, uid, cookie, tcp_info length, skmem and congestion;
 * -p adds the owner as pid=N comm=NAME (or pid=- when unknown), and says
 * on stderr how many processes could not be looked at.
 * Usage: collect [-4|-6] [-i] [-p] [STATE...]
 */
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/source.h"

static void
endpoint(const struct td_sock *sk, const struct in6_addr *a, unsigned int port,
    char *buf, size_t len)
{
	char addr[64], ps[8];

	td_addr_str(sk, a, addr, sizeof(addr));
	/* ss shows an IPv6 wildcard that also takes IPv4 as '*' (inet_addr_print). */
	if (sk->family == AF_INET6 && !sk->v6only && IN6_IS_ADDR_UNSPECIFIED(a))
		snprintf(addr, sizeof(addr), "*");
	if (port == 0)
		snprintf(ps, sizeof(ps), "*");
	else
		snprintf(ps, sizeof(ps), "%u", port);
	/* ss brackets IPv6 addresses, v4-mapped ones included, in an AF_INET6 dump. */
	if (sk->family == AF_INET6 && strcmp(addr, "*") != 0)
		snprintf(buf, len, "[%s%s]:%s", td_addr_is_v4(a) ? "::ffff:" : "", addr, ps);
	else
		snprintf(buf, len, "%s:%s", addr, ps);
}

static int
print_sock(const struct td_sock *sk, void *arg, struct td_err *err)
{
	char l[96], r[96];
	bool info = ((bool *)arg)[0], owner = ((bool *)arg)[1];

	(void)err;
	endpoint(sk, &sk->src, sk->sport, l, sizeof(l));
	endpoint(sk, &sk->dst, sk->dport, r, sizeof(r));
	printf("%s %u %u %s %s %" PRIu64, td_state_ss_name(sk->state), sk->rqueue,
	    sk->wqueue, l, r, sk->inode);
	if (info)
		printf(" kind=%u timer=%s,%u,%u uid=%u cookie=%" PRIx64 " tcpi=%u skmem=%d cong=%s",
		    sk->kind, td_timer_name(sk->timer), sk->timer_ms, sk->retrans, sk->uid,
		    sk->cookie, sk->has_tcpi ? sk->tcpi.len : 0, sk->has_skmem, sk->cong);
	if (sk->has_owner)
		printf(" pid=%d comm=%s", sk->pid, sk->comm);
	else if (owner)
		printf(" pid=-");
	printf("\n");
	return 0;
}

int
main(int argc, char **argv)
{
	struct td_source src = { .proc_root = "/proc" };
	struct td_err err = { 0 };
	bool flags[2] = { false, false };
	int c, st;

	while ((c = getopt(argc, argv, "46ip")) != -1) {
		switch (c) {
		case '4': src.family = AF_INET; break;
		case '6': src.family = AF_INET6; break;
		case 'i': flags[0] = true; src.want_info = true; break;
		case 'p': flags[1] = true; src.want_owner = true; break;
		default: return 64;
		}
	}
	for (; optind < argc; optind++) {
		st = td_state_parse(argv[optind]);
		if (st < 0) {
			fprintf(stderr, "collect: unknown state '%s'\n", argv[optind]);
			return 64;
		}
		src.states |= TD_STATE_BIT(st);
	}
	if (source_walk(&src, print_sock, flags, &err) < 0) {
		fprintf(stderr, "collect: %s\n", err.msg);
		return 1;
	}
	if (src.want_owner && src.owners_hidden > 0)
		fprintf(stderr, "collect: %zu processes hidden\n", src.owners_hidden);
	source_close(&src);
	return 0;
}
