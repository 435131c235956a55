/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/sockdiag.c: netlink replies recorded from a real
 * kernel (tests/fixtures/netlink/record.sh; the error cases are derived from
 * them by derive.py) replayed through sockdiag_parse(), and checked against
 * what ss printed for the same namespace at the same moment (*.expect).
 */
#include "tests/unit/check_main.h"
#include "tests/unit/collectors/fixture.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "collectors/sockdiag.h"

#define MAXSOCK	64

struct seen {
	size_t		n;
	struct td_sock	sk[MAXSOCK];
	int		stop_after;	/* fail the walk after this many, 0 = never */
};

static int
collect(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct seen *s = arg;

	ck_assert_uint_lt(s->n, MAXSOCK);
	s->sk[s->n++] = *sk;
	if (s->stop_after > 0 && (int)s->n == s->stop_after)
		return td_errf(err, ECANCELED, "enough");
	return 0;
}

static char *
fixture(const char *name, size_t *len)
{
	const char *path = fixture_path("netlink", name);
	char *buf;
	FILE *fp;
	long n;

	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	/* Netlink messages are read in place: malloc aligns for any type. */
	buf = malloc((size_t)n + 8);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* Parse a whole fixture; returns sockdiag_parse's result. */
static int
replay(const char *name, struct sockdiag_parser *p, struct seen *s, struct td_err *err)
{
	size_t len;
	char *buf = fixture(name, &len);
	int rc;

	rc = sockdiag_parse(p, buf, len, collect, s, err);
	free(buf);
	return rc;
}

/* An endpoint the way ss -n prints it (misc/ss.c inet_addr_print). */
static void
endpoint(const struct td_sock *sk, const struct in6_addr *a, unsigned int port,
    char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN + 2], ps[8];

	if (port == 0)
		snprintf(ps, sizeof(ps), "*");
	else
		snprintf(ps, sizeof(ps), "%u", port);
	if (sk->family == AF_INET) {
		inet_ntop(AF_INET, &a->s6_addr[12], addr, sizeof(addr));
		snprintf(buf, len, "%s:%s", addr, ps);
	} else if (!sk->v6only && IN6_IS_ADDR_UNSPECIFIED(a)) {
		snprintf(buf, len, "*:%s", ps);
	} else {
		inet_ntop(AF_INET6, a, addr, sizeof(addr));
		snprintf(buf, len, "[%s]:%s", addr, ps);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The decoded sockets, as sorted "STATE RQ WQ LOCAL PEER INODE COOKIE" lines. */
static void
check_against_ss(const struct seen *s, const char *expect_name)
{
	char *got[MAXSOCK], *want[MAXSOCK], line[512], l[80], r[80];
	size_t nwant = 0, i;
	FILE *fp;

	for (i = 0; i < s->n; i++) {
		endpoint(&s->sk[i], &s->sk[i].src, s->sk[i].sport, l, sizeof(l));
		endpoint(&s->sk[i], &s->sk[i].dst, s->sk[i].dport, r, sizeof(r));
		snprintf(line, sizeof(line), "%s %u %u %s %s %llu %llx",
		    td_state_ss_name(s->sk[i].state), s->sk[i].rqueue, s->sk[i].wqueue, l, r,
		    (unsigned long long)s->sk[i].inode, (unsigned long long)s->sk[i].cookie);
		got[i] = strdup(line);
	}
	fp = fopen(fixture_path("netlink", expect_name), "r");
	ck_assert_msg(fp != NULL, "cannot open %s", expect_name);
	while (nwant < MAXSOCK && fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		want[nwant++] = strdup(line);
	}
	fclose(fp);
	ck_assert_uint_eq(s->n, nwant);
	qsort(got, s->n, sizeof(got[0]), cmp_str);
	qsort(want, nwant, sizeof(want[0]), cmp_str);
	for (i = 0; i < nwant; i++) {
		ck_assert_str_eq(got[i], want[i]);
		free(got[i]);
		free(want[i]);
	}
}

START_TEST(test_sockdiag_parse_inet_matches_ss)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("inet-info.nl", &p, &s, &err), 0);
	ck_assert(p.done);
	ck_assert_uint_eq(p.nsocks, s.n);
	check_against_ss(&s, "inet-info.expect");
}
END_TEST

START_TEST(test_sockdiag_parse_inet6_matches_ss)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("inet6-info.nl", &p, &s, &err), 0);
	check_against_ss(&s, "inet6-info.expect");
}
END_TEST

START_TEST(test_sockdiag_parse_plain_has_no_extensions)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;
	size_t i;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("inet-plain.nl", &p, &s, &err), 0);
	check_against_ss(&s, "inet-plain.expect");
	for (i = 0; i < s.n; i++) {
		ck_assert(!s.sk[i].has_tcpi);
		ck_assert(!s.sk[i].has_skmem);
		ck_assert_str_eq(s.sk[i].cong, "");
	}
}
END_TEST

/* Kinds, timers and the tcp_info facts of KERNEL-FACTS F13/F14. */
START_TEST(test_sockdiag_decode_kinds_and_info)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;
	size_t i, nreq = 0, ntw = 0, nfw2 = 0, nlisten = 0, nfull = 0;
	const struct td_sock *sk;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("inet-info.nl", &p, &s, &err), 0);
	for (i = 0; i < s.n; i++) {
		sk = &s.sk[i];
		ck_assert_uint_eq(sk->family, AF_INET);
		ck_assert(td_addr_is_v4(&sk->src) && td_addr_is_v4(&sk->dst));
		switch (sk->kind) {
		case TD_SK_REQ:
			nreq++;
			ck_assert_uint_eq(sk->state, TD_ST_SYN_RECV);
			ck_assert_uint_eq(sk->inode, 0);
			ck_assert_uint_eq(sk->timer, TD_TIMER_ON);
			ck_assert_uint_gt(sk->timer_ms, 0);
			ck_assert(!sk->has_tcpi);
			break;
		case TD_SK_TW:
			ntw++;
			/* TIME_WAIT, or an orphan's FIN_WAIT2 substate (F2). */
			if (sk->state == TD_ST_FIN_WAIT2)
				nfw2++;
			else
				ck_assert_uint_eq(sk->state, TD_ST_TIME_WAIT);
			ck_assert_uint_eq(sk->timer, TD_TIMER_TIMEWAIT);
			ck_assert_uint_le(sk->timer_ms, 60000);
			ck_assert_uint_eq(sk->inode, 0);
			break;
		default:
			nfull++;
			ck_assert(sk->has_tcpi && sk->has_skmem);
			ck_assert_str_ne(sk->cong, "");
			/* tcpi_state is sk_state; the kernel sends its whole struct. */
			ck_assert_uint_eq(sk->tcpi.state, sk->state);
			ck_assert_uint_ge(sk->tcpi.len, 232);
			ck_assert_uint_gt(sk->skmem.rcvbuf, 0);
			if (sk->state == TD_ST_LISTEN) {
				nlisten++;
				/* tcp_diag_get_info: unacked/sacked mirror rq/wq (F13). */
				ck_assert_uint_eq(sk->tcpi.unacked, sk->rqueue);
				ck_assert_uint_eq(sk->tcpi.sacked, sk->wqueue);
			}
			break;
		}
	}
	ck_assert_uint_eq(nreq, 3);
	ck_assert_uint_eq(ntw, 3);
	ck_assert_uint_eq(nfw2, 1);
	ck_assert_uint_eq(nlisten, 3);
	ck_assert_uint_eq(nfull, s.n - nreq - ntw);
}
END_TEST

/* A child waiting in the accept queue has inode 0 but is a full socket (F13);
 * IPv6 request sockets decode like IPv4 ones. */
START_TEST(test_sockdiag_decode_accept_queue_child_is_full)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;
	size_t i, n = 0, nreq = 0;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("inet6-info.nl", &p, &s, &err), 0);
	for (i = 0; i < s.n; i++) {
		if (s.sk[i].kind == TD_SK_REQ) {
			nreq++;
			ck_assert_uint_eq(s.sk[i].state, TD_ST_SYN_RECV);
			ck_assert_uint_eq(s.sk[i].sport, 9091);
			ck_assert(!td_addr_is_v4(&s.sk[i].dst));
		}
		if (s.sk[i].state == TD_ST_ESTABLISHED && s.sk[i].inode == 0) {
			n++;
			ck_assert_uint_eq(s.sk[i].kind, TD_SK_FULL);
			ck_assert(s.sk[i].has_tcpi);
		}
		if (s.sk[i].state == TD_ST_LISTEN && s.sk[i].sport == 8082) {
			ck_assert(s.sk[i].v6only);
			ck_assert_uint_eq(s.sk[i].rqueue, 1);
		}
		if (s.sk[i].state == TD_ST_LISTEN && s.sk[i].sport == 8081)
			ck_assert(!s.sk[i].v6only);
	}
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(nreq, 2);		/* IPv6 request sockets */
}
END_TEST

START_TEST(test_sockdiag_parse_truncated)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("truncated.nl", &p, &s, &err), -1);
	ck_assert_int_eq(err.code, EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "truncated"));
	ck_assert_uint_eq(s.n, 1);
}
END_TEST

START_TEST(test_sockdiag_parse_done_with_error)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("done-error.nl", &p, &s, &err), -1);
	ck_assert_int_eq(err.code, ENOMEM);
	ck_assert_ptr_nonnull(strstr(err.msg, "dump failed"));
	ck_assert(!p.done);
	ck_assert_uint_eq(s.n, 1);
}
END_TEST

START_TEST(test_sockdiag_parse_nlmsg_error)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("error.nl", &p, &s, &err), -1);
	ck_assert_int_eq(err.code, EACCES);
	ck_assert_ptr_nonnull(strstr(err.msg, "CAP_NET_ADMIN"));
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

/* A kernel before 4.x sent 104 bytes of tcp_info: the rest reads as zero. */
START_TEST(test_sockdiag_decode_short_tcp_info)
{
	struct sockdiag_parser p = { 0 }, p2 = { 0 };
	struct td_err err = { 0 };
	static struct seen s, full;
	const struct td_sock *a, *b = NULL;
	size_t i;

	memset(&s, 0, sizeof(s));
	memset(&full, 0, sizeof(full));
	ck_assert_int_eq(replay("short-tcpinfo.nl", &p, &s, &err), 0);
	ck_assert_int_eq(replay("inet-info.nl", &p2, &full, &err), 0);
	ck_assert_uint_eq(s.n, 1);
	a = &s.sk[0];
	for (i = 0; i < full.n; i++)
		if (full.sk[i].cookie == a->cookie)
			b = &full.sk[i];
	ck_assert_ptr_nonnull(b);
	ck_assert(a->has_tcpi);
	ck_assert_uint_eq(a->tcpi.len, 104);
	/* The fields inside the first 104 bytes are the recorded ones... */
	ck_assert_uint_eq(a->tcpi.state, b->tcpi.state);
	ck_assert_uint_eq(a->tcpi.rto, b->tcpi.rto);
	ck_assert_uint_eq(a->tcpi.snd_mss, b->tcpi.snd_mss);
	ck_assert_uint_eq(a->tcpi.advmss, b->tcpi.advmss);
	ck_assert_uint_eq(a->tcpi.rcv_space, b->tcpi.rcv_space);
	ck_assert_uint_eq(a->tcpi.total_retrans, b->tcpi.total_retrans);
	/* ...and everything after tcpi_total_retrans is zero. */
	ck_assert_uint_eq(a->tcpi.pacing_rate, 0);
	ck_assert_uint_eq(a->tcpi.max_pacing_rate, 0);
	ck_assert_uint_eq(a->tcpi.segs_out, 0);
	ck_assert_uint_eq(a->tcpi.snd_wnd, 0);
	ck_assert_uint_eq(a->tcpi.total_rto_time, 0);
	ck_assert_uint_ne(b->tcpi.max_pacing_rate, 0);
	/* Other attributes of the message are still decoded. */
	ck_assert_str_eq(a->cong, b->cong);
	ck_assert_uint_eq(a->skmem.rcvbuf, b->skmem.rcvbuf);
}
END_TEST

START_TEST(test_sockdiag_parse_dump_intr_first)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("intr.nl", &p, &s, &err), 1);
	ck_assert(p.intr);
	ck_assert_uint_eq(p.nsocks, 0);
	ck_assert_str_eq(err.msg, "");
}
END_TEST

START_TEST(test_sockdiag_parse_dump_intr_late)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("intr-late.nl", &p, &s, &err), 1);
	ck_assert(p.intr);
	ck_assert_uint_eq(p.nsocks, 2);
}
END_TEST

/* Buffers arrive one recv at a time: DONE ends the dump, not the buffer. */
START_TEST(test_sockdiag_parse_in_pieces)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;
	const struct nlmsghdr *nlh;
	size_t len, cut;
	char *buf;

	memset(&s, 0, sizeof(s));
	buf = fixture("inet-info.nl", &len);
	nlh = (const struct nlmsghdr *)buf;
	cut = NLMSG_ALIGN(nlh->nlmsg_len);
	nlh = (const struct nlmsghdr *)(buf + cut);
	cut += NLMSG_ALIGN(nlh->nlmsg_len);
	ck_assert_int_eq(sockdiag_parse(&p, buf, cut, collect, &s, &err), 1);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(sockdiag_parse(&p, buf + cut, len - cut, collect, &s, &err), 0);
	ck_assert_uint_eq(s.n, 15);
	/* After DONE nothing more is delivered. */
	ck_assert_int_eq(sockdiag_parse(&p, buf, len, collect, &s, &err), 0);
	ck_assert_uint_eq(s.n, 15);
	free(buf);
}
END_TEST

START_TEST(test_sockdiag_parse_consumer_stops)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	static struct seen s;

	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	ck_assert_int_eq(replay("inet-info.nl", &p, &s, &err), -1);
	ck_assert_int_eq(err.code, ECANCELED);
	ck_assert_str_eq(err.msg, "enough");
	ck_assert_uint_eq(s.n, 3);
}
END_TEST

START_TEST(test_sockdiag_parse_wrong_sequence)
{
	struct sockdiag_parser p = { .seq = 1 };
	struct td_err err = { 0 };
	static struct seen s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("inet-info.nl", &p, &s, &err), -1);
	ck_assert_int_eq(err.code, EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "sequence"));
}
END_TEST

START_TEST(test_sockdiag_parse_state_filter)
{
	struct sockdiag_parser p = { .states = TD_STATE_BIT(TD_ST_NEW_SYN_RECV) };
	struct td_err err = { 0 };
	static struct seen s;
	size_t i;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(replay("inet-info.nl", &p, &s, &err), 0);
	ck_assert_uint_eq(s.n, 3);
	for (i = 0; i < s.n; i++)
		ck_assert_uint_eq(s.sk[i].kind, TD_SK_REQ);
}
END_TEST

START_TEST(test_sockdiag_decode_short_message)
{
	char buf[64] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct td_err err = { 0 };
	struct td_sock sk;

	nlh->nlmsg_len = sizeof(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	ck_assert_int_eq(sockdiag_decode(nlh, &sk, &err), -1);
	ck_assert_int_eq(err.code, EPROTO);
}
END_TEST

static int
count_only(const struct td_sock *sk, void *arg, struct td_err *err)
{
	(void)sk;
	(void)err;
	(*(size_t *)arg)++;
	return 0;
}

/*
 * Corrupt each byte of a real reply in turn: the parser must return a
 * result (any) without reading out of bounds (the sanitizer build checks).
 */
START_TEST(test_sockdiag_parse_corrupt_bytes)
{
	static const unsigned char flips[] = { 0xff, 0x01, 0x80 };
	size_t len, i, j, n;
	char *buf, *copy;
	int rc;

	buf = fixture("inet-info.nl", &len);
	copy = malloc(len);
	for (j = 0; j < sizeof(flips); j++) {
		for (i = 0; i < len; i++) {
			struct sockdiag_parser p = { 0 };
			struct td_err err = { 0 };

			memcpy(copy, buf, len);
			copy[i] ^= (char)flips[j];
			n = 0;
			rc = sockdiag_parse(&p, copy, len, count_only, &n, &err);
			ck_assert(rc >= -1 && rc <= 1);
			ck_assert(rc != -1 || err.msg[0] != '\0');
			ck_assert_uint_le(n, 15);
		}
	}
	free(copy);
	free(buf);
}
END_TEST

/* A length above 2 GiB must not pass as a negative int (libmnl 1.0.4 does). */
START_TEST(test_sockdiag_parse_huge_length)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	struct nlmsghdr *nlh;
	size_t len, n = 0;
	char *buf;

	buf = fixture("inet-info.nl", &len);
	nlh = (struct nlmsghdr *)buf;
	nlh->nlmsg_len = 0xe800007cu;
	ck_assert_int_eq(sockdiag_parse(&p, buf, len, count_only, &n, &err), -1);
	ck_assert_int_eq(err.code, EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "truncated"));
	ck_assert_uint_eq(n, 0);
	free(buf);
}
END_TEST

/* NLMSG_ERROR codes: the message and the errno a caller maps to an exit status. */
static const struct {
	int32_t		 error;		/* as the kernel puts it: -errno */
	int		 code;
	const char	*hint;
} ecodes[] = {
	{ -EPERM, EPERM, "(needs CAP_NET_ADMIN or root?)" },
	{ -ENOENT, ENOENT, "(kernel without inet_diag and tcp_diag?)" },
	{ -EINVAL, EINVAL, "request failed: Invalid argument" },
	{ INT32_MIN, EPROTO, "request failed" },
	{ 5, EPROTO, "request failed" },
};

START_TEST(test_sockdiag_parse_error_codes)
{
	struct {
		struct nlmsghdr	h;
		int32_t		error;
		struct nlmsghdr	req;
	} msg;
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	size_t n = 0;

	memset(&msg, 0, sizeof(msg));
	msg.h.nlmsg_len = sizeof(msg);
	msg.h.nlmsg_type = NLMSG_ERROR;
	msg.error = ecodes[_i].error;
	ck_assert_int_eq(sockdiag_parse(&p, &msg, sizeof(msg), count_only, &n, &err), -1);
	ck_assert_int_eq(err.code, ecodes[_i].code);
	ck_assert_msg(strstr(err.msg, ecodes[_i].hint) != NULL, "%s", err.msg);
}
END_TEST

static const struct {
	unsigned int	in, out;
} kstates[] = {
	{ 0, TD_STATES_ALL },
	{ TD_STATE_BIT(TD_ST_LISTEN), TD_STATE_BIT(TD_ST_LISTEN) },
	{ TD_STATE_BIT(TD_ST_SYN_RECV),
	  TD_STATE_BIT(TD_ST_SYN_RECV) | TD_STATE_BIT(TD_ST_NEW_SYN_RECV) },
	{ TD_STATE_BIT(TD_ST_NEW_SYN_RECV),
	  TD_STATE_BIT(TD_ST_SYN_RECV) | TD_STATE_BIT(TD_ST_NEW_SYN_RECV) },
	{ TD_STATE_BIT(TD_ST_TIME_WAIT) | TD_STATE_BIT(TD_ST_FIN_WAIT2),
	  TD_STATE_BIT(TD_ST_TIME_WAIT) | TD_STATE_BIT(TD_ST_FIN_WAIT2) },
};

START_TEST(test_sockdiag_kernel_states_table)
{
	ck_assert_uint_eq(sockdiag_kernel_states(kstates[_i].in), kstates[_i].out);
}
END_TEST

START_TEST(test_sockdiag_state_match)
{
	ck_assert(sockdiag_state_match(0, TD_ST_CLOSE_WAIT));
	ck_assert(sockdiag_state_match(TD_STATE_BIT(TD_ST_NEW_SYN_RECV), TD_ST_SYN_RECV));
	ck_assert(!sockdiag_state_match(TD_STATE_BIT(TD_ST_LISTEN), TD_ST_SYN_RECV));
	ck_assert(!sockdiag_state_match(TD_STATE_BIT(TD_ST_LISTEN), 200));
}
END_TEST

/* Every SOCK_DIAG_BY_FAMILY message of buf retyped as TYPE, as the one-pass reply has it. */
static void
retype(char *buf, size_t len, uint16_t type)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY)
			nlh->nlmsg_type = type;
}

START_TEST(test_sockdiag_parse_onepass_reply)
{
	struct sockdiag_parser p = { .type = TCPDIAG_GETSOCK }, q = { 0 };
	struct td_err err = { 0 };
	static struct seen s, t;
	size_t len;
	char *buf = fixture("inet-info.nl", &len);

	memset(&s, 0, sizeof(s));
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(sockdiag_parse(&q, buf, len, collect, &t, &err), 0);
	retype(buf, len, TCPDIAG_GETSOCK);
	/* The reply to TCPDIAG_GETSOCK carries that type; the same sockets. */
	ck_assert_int_eq(sockdiag_parse(&p, buf, len, collect, &s, &err), 0);
	ck_assert_uint_eq(s.n, t.n);
	ck_assert_uint_gt(s.n, 0);
	ck_assert_mem_eq(s.sk, t.sk, s.n * sizeof(s.sk[0]));
	/* A reply of the other request's type is refused. */
	memset(&q, 0, sizeof(q));
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(sockdiag_parse(&q, buf, len, collect, &t, &err), -1);
	ck_assert_int_eq(err.code, EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "unexpected message type 18"));
	free(buf);
}
END_TEST

static const struct {
	int	code;
	bool	refused;
} onepass_codes[] = {
	{ EOPNOTSUPP, true },	/* sock_diag_rcv_msg: no compat handler */
	{ EINVAL, true },	/* inet_diag_rcv_msg_compat: type or length */
	{ ENOENT, true },	/* inet_diag_lock_handler: no tcp_diag */
	{ EPERM, false },
	{ ENOBUFS, false },
	{ EINTR, false },
	{ 0, false },
};

START_TEST(test_sockdiag_onepass_refused_codes)
{
	ck_assert(sockdiag_onepass_refused(onepass_codes[_i].code) == onepass_codes[_i].refused);
}
END_TEST

START_TEST(test_sockdiag_request_ext_and_type)
{
	static char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockdiag_req req = { .family = AF_INET6, .want_info = true };
	const struct inet_diag_req_v2 *r;
	const struct inet_diag_req *old;
	struct nlmsghdr *nlh;
	uint8_t all = SOCKDIAG_EXT(INET_DIAG_INFO) | SOCKDIAG_EXT(INET_DIAG_CONG) |
	    SOCKDIAG_EXT(INET_DIAG_SKMEMINFO) | SOCKDIAG_EXT(INET_DIAG_TOS) |
	    SOCKDIAG_EXT(INET_DIAG_TCLASS);

	/* want_info alone: all five attributes, as ls -i and snapshot need. */
	nlh = sockdiag_request(buf, &req, 7);
	ck_assert_uint_eq(nlh->nlmsg_type, SOCK_DIAG_BY_FAMILY);
	ck_assert_uint_eq(nlh->nlmsg_seq, 7);
	ck_assert_uint_eq(nlh->nlmsg_len, NLMSG_LENGTH(sizeof(*r)));
	r = mnl_nlmsg_get_payload(nlh);
	ck_assert_uint_eq(r->sdiag_family, AF_INET6);
	ck_assert_uint_eq(r->sdiag_protocol, IPPROTO_TCP);
	ck_assert_uint_eq(r->idiag_ext, all);
	ck_assert_uint_eq(r->idiag_states, TD_STATES_ALL);
	/* Only what check asks for. */
	req.ext = SOCKDIAG_EXT(INET_DIAG_INFO) | SOCKDIAG_EXT(INET_DIAG_SKMEMINFO);
	r = mnl_nlmsg_get_payload(sockdiag_request(buf, &req, 7));
	ck_assert_uint_eq(r->idiag_ext, 1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_SKMEMINFO - 1));
	/* Without want_info, none (ext alone does not ask). */
	req.want_info = false;
	r = mnl_nlmsg_get_payload(sockdiag_request(buf, &req, 7));
	ck_assert_uint_eq(r->idiag_ext, 0);
	/* Both families: the older request, one walk, ext and states kept. */
	req.family = AF_UNSPEC;
	req.want_info = true;
	req.ext = SOCKDIAG_EXT(INET_DIAG_SKMEMINFO);
	req.states = TD_STATE_BIT(TD_ST_LISTEN);
	nlh = sockdiag_request(buf, &req, 9);
	ck_assert_uint_eq(nlh->nlmsg_type, TCPDIAG_GETSOCK);
	ck_assert_uint_eq(nlh->nlmsg_len, NLMSG_LENGTH(sizeof(*old)));
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	old = mnl_nlmsg_get_payload(nlh);
	ck_assert_uint_eq(old->idiag_ext, 1 << (INET_DIAG_SKMEMINFO - 1));
	ck_assert_uint_eq(old->idiag_states, TD_STATE_BIT(TD_ST_LISTEN));
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/sockdiag");
	TCase *tc;

	tc = tcase_create("sockdiag_parse");
	tcase_add_test(tc, test_sockdiag_parse_inet_matches_ss);
	tcase_add_test(tc, test_sockdiag_parse_inet6_matches_ss);
	tcase_add_test(tc, test_sockdiag_parse_plain_has_no_extensions);
	tcase_add_test(tc, test_sockdiag_parse_truncated);
	tcase_add_test(tc, test_sockdiag_parse_done_with_error);
	tcase_add_test(tc, test_sockdiag_parse_nlmsg_error);
	tcase_add_test(tc, test_sockdiag_parse_dump_intr_first);
	tcase_add_test(tc, test_sockdiag_parse_dump_intr_late);
	tcase_add_test(tc, test_sockdiag_parse_in_pieces);
	tcase_add_test(tc, test_sockdiag_parse_consumer_stops);
	tcase_add_test(tc, test_sockdiag_parse_wrong_sequence);
	tcase_add_test(tc, test_sockdiag_parse_state_filter);
	tcase_add_test(tc, test_sockdiag_parse_onepass_reply);
	tcase_add_test(tc, test_sockdiag_request_ext_and_type);
	tcase_add_loop_test(tc, test_sockdiag_onepass_refused_codes, 0,
	    (int)(sizeof(onepass_codes) / sizeof(onepass_codes[0])));
	tcase_add_test(tc, test_sockdiag_parse_corrupt_bytes);
	tcase_add_test(tc, test_sockdiag_parse_huge_length);
	tcase_add_loop_test(tc, test_sockdiag_parse_error_codes, 0,
	    (int)(sizeof(ecodes) / sizeof(ecodes[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("sockdiag_decode");
	tcase_add_test(tc, test_sockdiag_decode_kinds_and_info);
	tcase_add_test(tc, test_sockdiag_decode_accept_queue_child_is_full);
	tcase_add_test(tc, test_sockdiag_decode_short_tcp_info);
	tcase_add_test(tc, test_sockdiag_decode_short_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("sockdiag_kernel_states");
	tcase_add_loop_test(tc, test_sockdiag_kernel_states_table, 0,
	    (int)(sizeof(kstates) / sizeof(kstates[0])));
	tcase_add_test(tc, test_sockdiag_state_match);
	suite_add_tcase(s, tc);
	return s;
}
