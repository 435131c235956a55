/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/tally.c: bounded top-N tables and distinct counts. */
#include "tests/unit/check_main.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/tally.h"

START_TEST(test_tally_exact_when_small)
{
	struct td_tally *t = calloc(1, sizeof(*t));
	int idx[3];
	uint32_t k;
	bool is_new;
	int s, i;

	for (k = 0; k < 100; k++)
		for (i = 0; i <= (int)k; i++) {
			s = tally_slot(t, &k, sizeof(k), &is_new);
			t->ent[s].count++;
		}
	ck_assert(!t->pruned);
	ck_assert_uint_eq(t->n, 100);
	ck_assert_uint_eq(tally_top(t, idx, 3), 3);
	ck_assert_uint_eq(t->ent[idx[0]].count, 100);
	ck_assert_uint_eq(t->ent[idx[1]].count, 99);
	ck_assert_uint_eq(t->ent[idx[2]].count, 98);
	k = 42;
	ck_assert_int_ge(tally_lookup(t, &k, sizeof(k)), 0);
	k = 4242;
	ck_assert_int_eq(tally_lookup(t, &k, sizeof(k)), -1);
	free(t);
}
END_TEST

/* A million distinct keys and one heavy hitter: memory stays fixed, the hitter survives. */
START_TEST(test_tally_bounded_keeps_heavy_hitter)
{
	struct td_tally *t = calloc(1, sizeof(*t));
	uint32_t k, heavy = 0xffffffffu;
	bool is_new;
	int idx[1], s;

	for (k = 0; k < 1000000; k++) {
		s = tally_slot(t, &k, sizeof(k), &is_new);
		t->ent[s].count++;
		if (k % 10 == 0) {
			s = tally_slot(t, &heavy, sizeof(heavy), &is_new);
			t->ent[s].count++;
		}
	}
	ck_assert(t->pruned);
	ck_assert_uint_le(t->n, TD_TALLY_CAP);
	ck_assert_uint_eq(tally_top(t, idx, 1), 1);
	ck_assert_int_eq(memcmp(t->ent[idx[0]].key, &heavy, sizeof(heavy)), 0);
	ck_assert_uint_ge(t->ent[idx[0]].count, 90000);
	free(t);
}
END_TEST

/* Many equal heavy keys, then a stream of new ones: pruning always frees a slot. */
START_TEST(test_tally_equal_counts_never_overflow)
{
	struct td_tally *t = calloc(1, sizeof(*t));
	uint32_t k;
	bool is_new;
	int s;

	for (k = 0; k < 100000; k++) {
		s = tally_slot(t, &k, sizeof(k), &is_new);
		ck_assert_int_ge(s, 0);
		ck_assert_int_lt(s, TD_TALLY_CAP);
		t->ent[s].count += k < 400 ? 100 : 1;
		ck_assert_uint_le(t->n, TD_TALLY_CAP);
	}
	free(t);
}
END_TEST

START_TEST(test_distinct_estimate)
{
	struct td_distinct d;
	uint32_t k;

	memset(&d, 0, sizeof(d));
	ck_assert_uint_eq(distinct_estimate(&d), 0);
	for (k = 0; k < 17; k++)
		distinct_add(&d, &k, sizeof(k));
	for (k = 0; k < 17; k++)		/* repeats do not count */
		distinct_add(&d, &k, sizeof(k));
	ck_assert_uint_ge(distinct_estimate(&d), 16);
	ck_assert_uint_le(distinct_estimate(&d), 17);
	for (k = 17; k < 1000; k++)
		distinct_add(&d, &k, sizeof(k));
	ck_assert_uint_ge(distinct_estimate(&d), 900);
	ck_assert_uint_le(distinct_estimate(&d), 1100);
}
END_TEST

/* ep "a:port" as a tally key (v4-mapped for IPv4). */
static struct td_ep_key
ep(const char *a, uint16_t port)
{
	struct td_ep_key k;
	char buf[64];

	memset(&k, 0, sizeof(k));
	if (strchr(a, ':') == NULL) {
		snprintf(buf, sizeof(buf), "::ffff:%s", a);
		a = buf;
	}
	ck_assert_int_eq(inet_pton(AF_INET6, a, &k.addr), 1);
	k.port = port;
	return k;
}

static int
add_listener(struct td_tally *t, const char *a, uint16_t port)
{
	struct td_ep_key k = ep(a, port);
	bool is_new;

	return tally_slot(t, &k, sizeof(k), &is_new);
}

/* The kernel's preference: exact address, then 0.0.0.0, then a dual-stack [::]. */
START_TEST(test_td_listener_of_preference)
{
	struct td_tally *t = calloc(1, sizeof(*t));
	struct td_ep_key req, found, want;
	int exact, any4, any6;

	any6 = add_listener(t, "::", 80);
	req = ep("10.0.0.1", 80);
	ck_assert_int_eq(td_listener_of(&req, td_tally_lookup_ep, t, &found), any6);
	want = ep("::", 80);
	ck_assert_mem_eq(&found, &want, sizeof(want));
	any4 = add_listener(t, "0.0.0.0", 80);
	ck_assert_int_eq(td_listener_of(&req, td_tally_lookup_ep, t, &found), any4);
	exact = add_listener(t, "10.0.0.1", 80);
	ck_assert_int_eq(td_listener_of(&req, td_tally_lookup_ep, t, &found), exact);
	ck_assert_mem_eq(&found, &req, sizeof(req));
	/* IPv6 never reaches an AF_INET listener; another port reaches none. */
	req = ep("2001:db8::1", 80);
	ck_assert_int_eq(td_listener_of(&req, td_tally_lookup_ep, t, &found), any6);
	req = ep("10.0.0.1", 81);
	ck_assert_int_eq(td_listener_of(&req, td_tally_lookup_ep, t, &found), -1);
	ck_assert_mem_eq(&found, &req, sizeof(req));
	free(t);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/tally");
	TCase *tc = tcase_create("tally");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tally_exact_when_small);
	tcase_add_test(tc, test_tally_bounded_keeps_heavy_hitter);
	tcase_add_test(tc, test_tally_equal_counts_never_overflow);
	tcase_add_test(tc, test_distinct_estimate);
	tcase_add_test(tc, test_td_listener_of_preference);
	suite_add_tcase(s, tc);
	return s;
}
