/* SPDX-License-Identifier: MIT */
/*
 * Tests for tcp/state.c and tcp/profile.c: names, the transition table, the
 * retransmission schedules against KERNEL-FACTS Part C (T1, T7), lifetimes
 * and the knob table.
 */
#include "tests/unit/check_main.h"

#include <stdlib.h>
#include <string.h>

#include "collectors/sysctl.h"
#include "tcp/tm.h"

START_TEST(test_tm_state_name_roundtrip)
{
	unsigned int st;

	for (st = 1; st < TM_STATE_MAX; st++)
		ck_assert_int_eq(tm_state_parse(tm_state_name(st)), (int)st);
	ck_assert_int_eq(tm_state_parse("time-wait"), TM_TIME_WAIT);
	ck_assert_int_eq(tm_state_parse("FIN-WAIT-2"), TM_FIN_WAIT2);
	ck_assert_int_eq(tm_state_parse("closed"), TM_CLOSE);
	ck_assert_int_eq(tm_state_parse("bogus"), -1);
	ck_assert_int_eq(TM_ESTABLISHED, 1);
	ck_assert_int_eq(TM_NEW_SYN_RECV, 12);
}
END_TEST

/* T7: SYN retransmits at 1,2,3,4,5,7,11 s (linear 4, then doubling); ETIMEDOUT ~131 s. */
static const unsigned int t7_at_s[] = { 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 };

START_TEST(test_tm_syn_rtx_at_t7)
{
	struct tm_profile p = tm_profile_linux();

	ck_assert_uint_eq(tm_syn_rtx_at(&p, _i + 1), TM_SEC(t7_at_s[_i]));
}
END_TEST

START_TEST(test_tm_syn_giveup)
{
	struct tm_profile p = tm_profile_linux();

	ck_assert_uint_eq(tm_syn_giveup(&p), TM_SEC(131));
	p.syn_linear_timeouts = 0;
	/* Before 6.5: 1, 3, 7, 15, 31, 63, give up at 127 s. */
	ck_assert_uint_eq(tm_syn_rtx_at(&p, 6), TM_SEC(63));
	ck_assert_uint_eq(tm_syn_giveup(&p), TM_SEC(127));
}
END_TEST

/* T1: SYN-ACK retransmitted at 1, 3, 7, 15, 31 s, request dropped at 63 s. */
static const unsigned int t1_at_s[] = { 1, 3, 7, 15, 31 };

START_TEST(test_tm_synack_rtx_at_t1)
{
	struct tm_profile p = tm_profile_linux();

	ck_assert_uint_eq(tm_synack_rtx_at(&p, _i + 1), TM_SEC(t1_at_s[_i]));
	ck_assert_uint_eq(tm_synack_giveup(&p), TM_SEC(63));
}
END_TEST

START_TEST(test_tm_retries_timeout)
{
	struct tm_profile p = tm_profile_linux();

	/* tcp_retries2=15 with TCP_RTO_MIN: 924.6 s (ip-sysctl.rst). */
	ck_assert_uint_eq(tm_retries_timeout(&p, 15, p.retries_base), TM_MS(924600));
	/* orphan retries 8: 102.2 s. */
	ck_assert_uint_eq(tm_retries_timeout(&p, 8, p.retries_base), TM_MS(102200));
}
END_TEST

/* A host's sysctls for tm_profile_from_values(): "name=value;..." */
static int
get_from(const void *ctx, const char *sysctl, int64_t *v)
{
	const char *s = strstr((const char *)ctx, sysctl);

	if (s == NULL)
		return 0;
	*v = strtoll(s + strlen(sysctl) + 1, NULL, 10);
	return 1;
}

START_TEST(test_retries_timeout_follows_rto_max_not_rto_min)
{
	struct tm_profile p = tm_profile_from_values(get_from, "net.ipv4.tcp_rto_min_us=5000;");
	struct tm_sockctx est = { 0 };	/* a LAST_ACK FIN: tcp_retries2 */

	/* retransmits_timed_out(): rto_base is the constant TCP_RTO_MIN. */
	ck_assert_uint_eq(p.rto_min, TM_MS(5));
	ck_assert_uint_eq(tm_state_max_lifetime(&p, TM_LAST_ACK, &est), TM_MS(924600));
	/* tcp_model_timeout() caps with tcp_rto_max(): 60 s gives ilog2(300) = 8,
	 * 511 x 200 ms + 7 x 60 s = 522.2 s. */
	p = tm_profile_from_values(get_from, "net.ipv4.tcp_rto_max_ms=60000;");
	ck_assert_uint_eq(tm_state_max_lifetime(&p, TM_LAST_ACK, &est), TM_MS(522200));
}
END_TEST

START_TEST(test_tm_state_max_lifetime)
{
	struct tm_profile p = tm_profile_linux();
	struct tm_sockctx ctx = { .orphan = true };

	ck_assert_uint_eq(tm_state_max_lifetime(&p, TM_TIME_WAIT, NULL), TM_SEC(60));
	ck_assert_uint_eq(tm_state_max_lifetime(&p, TM_CLOSE_WAIT, NULL), TM_TIME_INF);
	ck_assert_uint_eq(tm_state_max_lifetime(&p, TM_FIN_WAIT2, NULL), TM_TIME_INF);
	ck_assert_uint_eq(tm_state_max_lifetime(&p, TM_FIN_WAIT2, &ctx), TM_SEC(60));
	p.fin_timeout = TM_SEC(3);
	/* max(3 s, 3.5 x 1 s RTO) */
	ck_assert_uint_eq(tm_state_max_lifetime(&p, TM_FIN_WAIT2, &ctx), TM_MS(3500));
	ck_assert_uint_eq(tm_state_max_lifetime(&p, TM_NEW_SYN_RECV, NULL), TM_SEC(63));
	ctx.keepalive = true;
	ctx.orphan = false;
	ck_assert_uint_eq(tm_state_max_lifetime(&p, TM_ESTABLISHED, &ctx), TM_SEC(7200 + 9 * 75));
	p = tm_profile_rfc9293();
	ck_assert_uint_eq(tm_state_max_lifetime(&p, TM_TIME_WAIT, NULL), TM_SEC(240));
}
END_TEST

START_TEST(test_tm_transition_table_kernel_edges)
{
	struct tm_profile lx = tm_profile_linux(), rfc = tm_profile_rfc9293();

	/* F21 / Part B #22 edges are legal for linux, not for the RFC profile. */
	ck_assert(tm_trace_edge_legal(&lx, TM_FIN_WAIT2, TM_FIN_WAIT2));
	ck_assert(tm_trace_edge_legal(&lx, TM_FIN_WAIT2, TM_CLOSE));
	ck_assert(tm_trace_edge_legal(&lx, TM_LISTEN, TM_SYN_RECV));
	ck_assert(tm_trace_edge_legal(&lx, TM_CLOSE, TM_SYN_SENT));
	ck_assert(!tm_trace_edge_legal(&lx, TM_FIN_WAIT2, TM_TIME_WAIT));
	ck_assert(!tm_trace_edge_legal(&lx, TM_CLOSING, TM_TIME_WAIT));
	ck_assert(tm_trace_edge_legal(&rfc, TM_FIN_WAIT2, TM_TIME_WAIT));
	ck_assert(!tm_trace_edge_legal(&rfc, TM_FIN_WAIT2, TM_FIN_WAIT2));
	ck_assert(tm_transition_legal(&lx, TM_OBJ_TW, TM_TIME_WAIT, TM_E_TW_SYN, TM_CLOSE));
	ck_assert(!tm_transition_legal(&lx, TM_OBJ_FULL, TM_ESTABLISHED, TM_E_FIN, TM_TIME_WAIT));
}
END_TEST

/* The kernel-edge notes trace prints: the edge's own fact, the first matching row. */
START_TEST(test_tm_trace_edge_note)
{
	struct tm_profile lx = tm_profile_linux();
	const char *n;
	unsigned int from, to;

	ck_assert_str_eq(tm_trace_edge_note(TM_FIN_WAIT2, TM_CLOSE),
	    "a timewait socket takes over (TIME_WAIT, or FIN_WAIT2 for an orphan); it is not traced");
	ck_assert_str_eq(tm_trace_edge_note(TM_CLOSING, TM_CLOSE), tm_trace_edge_note(TM_FIN_WAIT2, TM_CLOSE));
	ck_assert_ptr_nonnull(strstr(tm_trace_edge_note(TM_SYN_SENT, TM_CLOSE), "reset or timeout"));
	ck_assert_ptr_nonnull(strstr(tm_trace_edge_note(TM_LISTEN, TM_CLOSE), "listener closed"));
	ck_assert_ptr_nonnull(strstr(tm_trace_edge_note(TM_CLOSE, TM_SYN_SENT), "sport is 0"));
	/* Into CLOSE_WAIT from any state, even one the model does not expect. */
	ck_assert_ptr_nonnull(strstr(tm_trace_edge_note(TM_SYN_RECV, TM_CLOSE_WAIT), "peer sent FIN"));
	ck_assert_ptr_nonnull(strstr(tm_trace_edge_note((enum tm_state)200, TM_CLOSE_WAIT), "peer sent FIN"));
	ck_assert_ptr_null(tm_trace_edge_note(TM_ESTABLISHED, TM_FIN_WAIT1));
	ck_assert_ptr_null(tm_trace_edge_note(TM_TIME_WAIT, TM_CLOSE));
	ck_assert_ptr_null(tm_trace_edge_note((enum tm_state)200, TM_CLOSE));
	/* Every note but the catch-all names an edge the linux profile takes. */
	for (from = TM_ESTABLISHED; from <= TM_CLOSING; from++)
		for (to = TM_ESTABLISHED; to <= TM_CLOSING; to++) {
			n = tm_trace_edge_note((enum tm_state)from, (enum tm_state)to);
			if (n != NULL && to != TM_CLOSE_WAIT)
				ck_assert_msg(tm_trace_edge_legal(&lx, (enum tm_state)from, (enum tm_state)to),
				    "note for %s -> %s, an edge linux does not take",
				    tm_state_name((enum tm_state)from), tm_state_name((enum tm_state)to));
		}
}
END_TEST

/* tm_transition_legal() bisects: the table must stay sorted, one row per key. */
START_TEST(test_tm_transitions_sorted)
{
	const struct tm_transition *t;
	size_t n, i;

	t = tm_transitions(&n);
	ck_assert_uint_gt(n, 50);
	for (i = 1; i < n; i++) {
		uint32_t a = (uint32_t)t[i - 1].obj << 24 | (uint32_t)t[i - 1].from << 16 |
		    (uint32_t)t[i - 1].to << 8 | t[i - 1].event;
		uint32_t b = (uint32_t)t[i].obj << 24 | (uint32_t)t[i].from << 16 |
		    (uint32_t)t[i].to << 8 | t[i].event;

		ck_assert_msg(a < b, "row %zu (%s -> %s on %s) out of order", i, tm_state_name(t[i].from),
		    tm_state_name(t[i].to), tm_event_name(t[i].event));
	}
	/* Every row is found by the search under a profile it belongs to. */
	for (i = 0; i < n; i++) {
		struct tm_profile p = (t[i].flags & TM_TR_LINUX) ? tm_profile_linux() : tm_profile_rfc9293();

		ck_assert(tm_transition_legal(&p, t[i].obj, t[i].from, t[i].event, t[i].to));
	}
}
END_TEST

START_TEST(test_tm_state_waits)
{
	struct tm_profile lx = tm_profile_linux();
	uint32_t m = tm_state_waits(&lx, TM_CLOSE_WAIT);

	ck_assert(m & (1u << TM_E_CLOSE));
	ck_assert(!(m & (1u << TM_E_FIN)));
	ck_assert(tm_state_waits(&lx, TM_SYN_SENT) & (1u << TM_E_SYNACK));
}
END_TEST

START_TEST(test_tm_knob_set)
{
	struct tm_profile p = tm_profile_linux();
	char msg[128];

	ck_assert_int_eq(tm_knob_set(&p, "tcp_fin_timeout=3", msg, sizeof(msg)), 0);
	ck_assert_uint_eq(p.fin_timeout, TM_SEC(3));
	ck_assert_int_eq(tm_knob_set(&p, "net.ipv4.tcp_rfc1337=1", msg, sizeof(msg)), 0);
	ck_assert_int_eq(p.rfc1337, 1);
	ck_assert_int_eq(tm_knob_set(&p, "tcp_syncookies=3", msg, sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, "tcp_syncookies"));
	ck_assert_int_eq(tm_knob_set(&p, "nope=1", msg, sizeof(msg)), -1);
	ck_assert_int_eq(tm_knob_set(&p, "tcp_rfc1337", msg, sizeof(msg)), -1);
	ck_assert_int_eq(tm_knob_set(&p, "minisocks=0", msg, sizeof(msg)), 0);
	ck_assert(!p.minisocks);
	ck_assert_int_eq(tm_knob_get(&p, tm_knob_find("tcp_fin_timeout")), 3);
}
END_TEST

START_TEST(test_tm_profile_from_values)
{
	struct td_sysctls sys;
	struct tm_profile p;

	memset(&sys, 0, sizeof(sys));
	sys.s[TD_SYS_SYNACK_RETRIES].readable = true;
	sys.s[TD_SYS_SYNACK_RETRIES].v[0] = 2;
	sys.s[TD_SYS_FIN_TIMEOUT].readable = true;
	sys.s[TD_SYS_FIN_TIMEOUT].v[0] = 3;
	sys.s[TD_SYS_KEEPALIVE_TIME].v[0] = 5;	/* unreadable: ignored */
	p = tm_profile_from_values(sysctl_value, &sys);
	ck_assert_int_eq(p.synack_retries, 2);
	ck_assert_uint_eq(p.fin_timeout, TM_SEC(3));
	ck_assert_uint_eq(p.keepalive_time, TM_SEC(7200));
	ck_assert_uint_eq(tm_synack_giveup(&p), TM_SEC(7));
}
END_TEST

START_TEST(test_tm_isn_clock)
{
	struct tm_profile p = tm_profile_linux();
	uint64_t key[2] = { 1, 2 };
	struct tm_addr a = { .family = 2 }, b = { .family = 2 };
	tm_seq i0, i1;

	a.a.s6_addr[15] = 1;
	b.a.s6_addr[15] = 2;
	i0 = tm_isn(&p, key, &a, &b, 45000, 81, TM_MS(220));
	i1 = tm_isn(&p, key, &a, &b, 45000, 81, TM_MS(220) + TM_SEC(1));
	/* T5: 15.625 per microsecond. */
	ck_assert_uint_eq((uint32_t)(i1 - i0), 15625000u);
	ck_assert_uint_ne(tm_isn(&p, key, &a, &b, 45001, 81, TM_MS(220)), i0);
}
END_TEST

/*
 * SipHash-2-4's test vectors (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", appendix A and the reference vectors.h): key 00..0f,
 * message 00 01 .. (len-1).
 */
START_TEST(test_tm_siphash_vectors)
{
	const uint64_t key[2] = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	uint8_t msg[15];
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	ck_assert_uint_eq(tm_siphash(key, msg, 0), 0x726fdb47dd0e0e31ull);
	ck_assert_uint_eq(tm_siphash(key, msg, 15), 0xa129ca6149be45e5ull);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("tcp/state");
	TCase *tc = tcase_create("state");

	tcase_add_test(tc, test_tm_state_name_roundtrip);
	tcase_add_loop_test(tc, test_tm_syn_rtx_at_t7, 0, (int)(sizeof(t7_at_s) / sizeof(t7_at_s[0])));
	tcase_add_test(tc, test_tm_syn_giveup);
	tcase_add_loop_test(tc, test_tm_synack_rtx_at_t1, 0, (int)(sizeof(t1_at_s) / sizeof(t1_at_s[0])));
	tcase_add_test(tc, test_tm_retries_timeout);
	tcase_add_test(tc, test_retries_timeout_follows_rto_max_not_rto_min);
	tcase_add_test(tc, test_tm_state_max_lifetime);
	tcase_add_test(tc, test_tm_transition_table_kernel_edges);
	tcase_add_test(tc, test_tm_transitions_sorted);
	tcase_add_test(tc, test_tm_trace_edge_note);
	tcase_add_test(tc, test_tm_state_waits);
	tcase_add_test(tc, test_tm_knob_set);
	tcase_add_test(tc, test_tm_profile_from_values);
	tcase_add_test(tc, test_tm_isn_clock);
	tcase_add_test(tc, test_tm_siphash_vectors);
	suite_add_tcase(s, tc);
	return s;
}
