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
	suite_add_tcase(s, tc);
	tc = tcase_create("filter_match");
	tcase_add_loop_test(tc, test_filter_match_v4, 0,
	    (int)(sizeof(match_cases) / sizeof(match_cases[0])));
	tcase_add_test(tc, test_filter_match_v6);
	suite_add_tcase(s, tc);
	return s;
}
