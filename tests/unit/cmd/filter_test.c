/* SPDX-License-Identifier: MIT */
/* Tests for cmd/filter.c: ss-style filters, their errors, and matching. */
#include "tests/unit/check_main.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cmd/filter.h"
#include "collectors/snapshot.h"

#define MAXW 16

/* Split a filter string on spaces into argv (in buf), parse it. */
static int
parse_str(struct td_filter *f, const char *s, struct td_err *err)
{
	static char buf[512];
	char *argv[MAXW], *tok, *save;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, " ", &save); tok != NULL && argc < MAXW;
	    tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	memset(err, 0, sizeof(*err));
	return filter_parse(f, argc, argv, err);
}

static struct td_sock
mksock(const char *src, int sport, const char *dst, int dport, int state)
{
	struct td_sock sk;
	struct in_addr a4;

	memset(&sk, 0, sizeof(sk));
	sk.state = (uint8_t)state;
	sk.sport = (uint16_t)sport;
	sk.dport = (uint16_t)dport;
	if (inet_pton(AF_INET, src, &a4) == 1) {
		sk.family = AF_INET;
		sk.src.s6_addr[10] = sk.src.s6_addr[11] = 0xff;
		memcpy(&sk.src.s6_addr[12], &a4, 4);
		inet_pton(AF_INET, dst, &a4);
		sk.dst.s6_addr[10] = sk.dst.s6_addr[11] = 0xff;
		memcpy(&sk.dst.s6_addr[12], &a4, 4);
	} else {
		sk.family = AF_INET6;
		inet_pton(AF_INET6, src, &sk.src);
		inet_pton(AF_INET6, dst, &sk.dst);
	}
	return sk;
}

static const struct {
	const char	*filter;
	unsigned int	 states;
} state_cases[] = {
	{ "", TD_STATES_ALL },
	{ "state established", TD_STATE_BIT(TD_ST_ESTABLISHED) },
	{ "state TIME-WAIT state close-wait",
	  TD_STATE_BIT(TD_ST_TIME_WAIT) | TD_STATE_BIT(TD_ST_CLOSE_WAIT) },
	{ "state time_wait close_wait",
	  TD_STATE_BIT(TD_ST_TIME_WAIT) | TD_STATE_BIT(TD_ST_CLOSE_WAIT) },
	{ "state bucket", TD_STATE_BIT(TD_ST_SYN_RECV) | TD_STATE_BIT(TD_ST_TIME_WAIT) },
	{ "state connected", TD_STATES_ALL & ~(TD_STATE_BIT(TD_ST_LISTEN) | TD_STATE_BIT(TD_ST_CLOSE)) },
	{ "state synchronized",
	  TD_STATES_ALL & ~(TD_STATE_BIT(TD_ST_LISTEN) | TD_STATE_BIT(TD_ST_CLOSE) |
	      TD_STATE_BIT(TD_ST_SYN_SENT)) },
	{ "exclude listen", TD_STATES_ALL & ~TD_STATE_BIT(TD_ST_LISTEN) },
	{ "state all exclude time-wait", TD_STATES_ALL & ~TD_STATE_BIT(TD_ST_TIME_WAIT) },
};

START_TEST(test_filter_parse_states)
{
	struct td_filter f;
	struct td_err err;

	ck_assert_int_eq(parse_str(&f, state_cases[_i].filter, &err), 0);
	ck_assert_uint_eq(f.states, state_cases[_i].states);
}
END_TEST

static const struct {
	const char	*filter;
	const char	*msg;
} bad_cases[] = {
	{ "state TIME-WAITT", "unknown state 'TIME-WAITT'" },
	{ "state", "'state' needs a state name" },
	{ "state new-syn-recv", "unknown state 'new-syn-recv'" },
	{ "sport = 70000", "bad port '70000'" },
	{ "sport = :nosuchservice", "bad port ':nosuchservice'" },
	{ "dport", "'dport' needs a port" },
	{ "src 10.0.0.0/33", "bad prefix '10.0.0.0/33'" },
	{ "dst ::1/129", "bad prefix '::1/129'" },
	{ "dst 300.1.1.1", "bad prefix '300.1.1.1'" },
	{ "src [::1", "bad prefix '[::1'" },
	{ "( sport = 22", "missing ')'" },
	{ "sport = 22 )", "unexpected ')'" },
	{ "sport = 22 or", "'or' needs a term" },
	{ "sport = 22 state listen", "'state' must come before" },
	{ "frobnicate", "unknown filter word 'frobnicate'" },
	{ "state listenin", "unknown state 'listenin'" },
	{ "& sport = 22", "'&' needs a term before it" },
	{ "sport = 22 |", "'|' needs a term" },
};

START_TEST(test_filter_parse_errors)
{
	struct td_filter f;
	struct td_err err;

	ck_assert_int_eq(parse_str(&f, bad_cases[_i].filter, &err), -1);
	ck_assert_msg(strstr(err.msg, bad_cases[_i].msg) != NULL, "'%s': got '%s'",
	    bad_cases[_i].filter, err.msg);
	ck_assert(strchr(err.msg, '\n') == NULL);
}
END_TEST

static const struct {
	const char	*filter;
	bool		 want;
} match_cases[] = {
	/* socket: 198.18.0.5:40000 -> 198.19.1.1:80, ESTABLISHED */
	{ "", true },
	{ "sport = :40000", true },
	{ "sport 40000", true },
	{ "dport = :http", true },
	{ "dport != 80", false },
	{ "sport > 32767 and dport < 1024", true },
	{ "sport >= 40001", false },
	{ "sport le 40000", true },
	{ "src 198.18.0.0/15", true },
	{ "src 198.18.0.0/16 dst 198.19.0.0/16", true },
	{ "dst 198.18.0.0/16", false },
	{ "dst 198.19.1.1:80", true },
	{ "dst 198.19.1.1:81", false },
	{ "dst *:80", true },
	{ "src ::1", false },
	{ "not dport = 80", false },
	{ "! ( dport = 22 or dport = 443 )", true },
	{ "dport = 22 or dport = 80", true },
	{ "(dport = 22 or dport = 80) and sport = 1", false },
	{ "state listen", false },
	{ "state established sport = 40000", true },
	{ "exclude established", false },
};

START_TEST(test_filter_match_v4)
{
	struct td_sock sk = mksock("198.18.0.5", 40000, "198.19.1.1", 80, TD_ST_ESTABLISHED);
	struct td_filter f;
	struct td_err err;

	ck_assert_msg(parse_str(&f, match_cases[_i].filter, &err) == 0, "%s: %s",
	    match_cases[_i].filter, err.msg);
	ck_assert_msg(filter_match(&f, &sk) == match_cases[_i].want, "'%s'", match_cases[_i].filter);
}
END_TEST

START_TEST(test_filter_match_v6)
{
	struct td_sock sk = mksock("2001:db8::1", 443, "2001:db8:1::9", 51000, TD_ST_TIME_WAIT);
	struct td_filter f;
	struct td_err err;

	ck_assert_int_eq(parse_str(&f, "src 2001:db8::/32 dst [2001:db8:1::9]:51000", &err), 0);
	ck_assert(filter_match(&f, &sk));
	ck_assert_int_eq(parse_str(&f, "src 2001:db9::/32", &err), 0);
	ck_assert(!filter_match(&f, &sk));
	ck_assert_int_eq(parse_str(&f, "src [2001:db8::1]/128", &err), 0);
	ck_assert(filter_match(&f, &sk));
	ck_assert_int_eq(parse_str(&f, "src 198.18.0.0/15", &err), 0);
	ck_assert(!filter_match(&f, &sk));
	ck_assert_int_eq(parse_str(&f, "state time-wait", &err), 0);
	ck_assert(filter_match(&f, &sk));
}
END_TEST

/*
 * Every word of ss(8)'s STATE-FILTER (iproute2 misc/ss.c scan_state) and
 * the states it selects.
 */
#define B(x)	TD_STATE_BIT(TD_ST_##x)
static const struct {
	const char	*word;
	unsigned int	 states;
} ss_words[] = {
	{ "established", B(ESTABLISHED) },
	{ "syn-sent", B(SYN_SENT) },
	{ "syn-recv", B(SYN_RECV) },
	{ "syn-rcv", B(SYN_RECV) },
	{ "fin-wait-1", B(FIN_WAIT1) },
	{ "fin-wait-2", B(FIN_WAIT2) },
	{ "time-wait", B(TIME_WAIT) },
	{ "closed", B(CLOSE) },
	{ "close", B(CLOSE) },
	{ "unconnected", B(CLOSE) },
	{ "close-wait", B(CLOSE_WAIT) },
	{ "last-ack", B(LAST_ACK) },
	{ "listening", B(LISTEN) },
	{ "LISTENING", B(LISTEN) },
	{ "listen", B(LISTEN) },
	{ "closing", B(CLOSING) },
	{ "all", TD_STATES_ALL },
	{ "connected", TD_STATES_ALL & ~(B(LISTEN) | B(CLOSE)) },
	{ "synchronized", TD_STATES_ALL & ~(B(LISTEN) | B(CLOSE) | B(SYN_SENT)) },
	{ "bucket", B(SYN_RECV) | B(TIME_WAIT) },
	{ "big", TD_STATES_ALL & ~(B(SYN_RECV) | B(TIME_WAIT)) },
};

START_TEST(test_filter_parse_ss_words)
{
	char *argv[2] = { "state", (char *)ss_words[_i].word };
	struct td_filter f;
	struct td_err err = { 0 };

	ck_assert_msg(filter_parse(&f, 2, argv, &err) == 0, "state %s: %s", argv[1], err.msg);
	ck_assert_msg(f.states == ss_words[_i].states, "state %s: %#x, want %#x", argv[1],
	    f.states, ss_words[_i].states);
	/* exclude WORD removes exactly those states. */
	argv[0] = "exclude";
	ck_assert_int_eq(filter_parse(&f, 2, argv, &err), 0);
	ck_assert_uint_eq(f.states, TD_STATES_ALL & ~ss_words[_i].states);
	/* Quoted as one word, as a shell user writes it. */
	{
		char one[64];
		char *w[1] = { one };

		snprintf(one, sizeof(one), "state %s", ss_words[_i].word);
		ck_assert_int_eq(filter_parse(&f, 1, w, &err), 0);
		ck_assert_uint_eq(f.states, ss_words[_i].states);
	}
}
END_TEST

/*
 * The same filter written as ss users write it: unquoted (one token per
 * word), quoted as one word, in quoted pieces mixed with bare words, with
 * tabs, glued parentheses, ss's one-character operators and backslash
 * escapes.  Each form must parse to the very same filter.
 */
static const struct {
	const char	*words[8];	/* argv of the form under test, NULL-ended */
	const char	*plain;		/* the unquoted form, split at spaces */
} same_cases[] = {
	{ { "dport = :443 or sport = :443" }, "dport = :443 or sport = :443" },
	{ { "dport", "= :443 or", "sport = :443" }, "dport = :443 or sport = :443" },
	{ { "state established", "( dport = :443 or sport = :443 )" },
	  "state established ( dport = :443 or sport = :443 )" },
	{ { "state", "listening", "sport = :22" }, "state listening sport = :22" },
	{ { "  src\t127.0.0.1/8  ", "and", "\tnot dport = 7000 " },
	  "src 127.0.0.1/8 and not dport = 7000" },
	{ { "(dport = :443 or sport = :443)" }, "( dport = :443 or sport = :443 )" },
	{ { "dport = :443 | sport = :443 & src 10.0.0.0/8" },
	  "dport = :443 or sport = :443 and src 10.0.0.0/8" },
	{ { "excl time-wait excl listening" }, "exclude time-wait exclude listen" },
	{ { "sport geq 1024 and sport leq 2048" }, "sport >= 1024 and sport <= 2048" },
	{ { "s\\port = 22" }, "sport = 22" },
	{ { "", "state", "", "time-wait" }, "state time-wait" },
};

START_TEST(test_filter_parse_quoted)
{
	struct td_filter quoted, plain;
	struct td_err err = { 0 };
	char *argv[8];
	int argc = 0;

	while (argc < 8 && same_cases[_i].words[argc] != NULL) {
		argv[argc] = (char *)same_cases[_i].words[argc];
		argc++;
	}
	ck_assert_msg(filter_parse(&quoted, argc, argv, &err) == 0, "case %d: %s", _i, err.msg);
	ck_assert_msg(parse_str(&plain, same_cases[_i].plain, &err) == 0, "case %d: %s", _i,
	    err.msg);
	ck_assert_uint_eq(quoted.states, plain.states);
	ck_assert_int_eq(quoted.nn, plain.nn);
	ck_assert_int_eq(quoted.root, plain.root);
	ck_assert_msg(memcmp(quoted.n, plain.n, sizeof(quoted.n[0]) * (size_t)plain.nn) == 0,
	    "case %d parses differently from '%s'", _i, same_cases[_i].plain);
}
END_TEST

/* A quoted filter matches exactly the sockets its unquoted form matches. */
START_TEST(test_filter_match_quoted)
{
	struct td_sock a = mksock("198.18.0.5", 443, "198.19.1.1", 40000, TD_ST_ESTABLISHED);
	struct td_sock b = mksock("198.18.0.5", 40001, "198.19.1.1", 443, TD_ST_ESTABLISHED);
	struct td_sock c = mksock("198.18.0.5", 40001, "198.19.1.1", 80, TD_ST_ESTABLISHED);
	struct td_sock d = mksock("0.0.0.0", 443, "0.0.0.0", 0, TD_ST_LISTEN);
	char *one[] = { "dport = :443 or sport = :443" };
	char *lst[] = { "state listening" };
	struct td_filter f;
	struct td_err err = { 0 };

	ck_assert_int_eq(filter_parse(&f, 1, one, &err), 0);
	ck_assert(filter_match(&f, &a));
	ck_assert(filter_match(&f, &b));
	ck_assert(!filter_match(&f, &c));
	ck_assert_int_eq(filter_parse(&f, 1, lst, &err), 0);
	ck_assert(filter_match(&f, &d));
	ck_assert(!filter_match(&f, &a));
}
END_TEST

START_TEST(test_filter_too_long)
{
	struct td_filter f;
	struct td_err err = { 0 };
	char *argv[200];
	int i;

	for (i = 0; i < 200; i++)
		argv[i] = (i % 2 == 0) ? "sport" : "1";
	ck_assert_int_eq(filter_parse(&f, 200, argv, &err), -1);
	ck_assert(strstr(err.msg, "filter too long") != NULL);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("cmd/filter");
	TCase *tc;

	tc = tcase_create("filter_parse");
	tcase_add_loop_test(tc, test_filter_parse_states, 0,
	    (int)(sizeof(state_cases) / sizeof(state_cases[0])));
	tcase_add_loop_test(tc, test_filter_parse_errors, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_filter_too_long);
	tcase_add_loop_test(tc, test_filter_parse_ss_words, 0,
	    (int)(sizeof(ss_words) / sizeof(ss_words[0])));
	tcase_add_loop_test(tc, test_filter_parse_quoted, 0,
	    (int)(sizeof(same_cases) / sizeof(same_cases[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("filter_match");
	tcase_add_loop_test(tc, test_filter_match_v4, 0,
	    (int)(sizeof(match_cases) / sizeof(match_cases[0])));
	tcase_add_test(tc, test_filter_match_v6);
	tcase_add_test(tc, test_filter_match_quoted);
	suite_add_tcase(s, tc);
	return s;
}
