/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/lifetimes.c: connections that die young, from aggregates. */
#include "tests/unit/check_main.h"

#include <arpa/inet.h>
#include <string.h>

#include "analyzers/lifetimes.h"

static struct events_agg agg;

static void
row(struct ev_dest *d, uint16_t port, uint64_t est, uint64_t young)
{
	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:198.18.0.2", &d->addr), 1);
	d->family = AF_INET;
	d->port = port;
	d->opened = est;
	d->succeeded = est;
	d->n[EV_RESET] = young;
	d->died_young = young;
	d->pid = -1;
}

static const struct {
	uint64_t	 est, young;
	bool		 listener, found;
} cases[] = {
	{ 10, 10, false, true },	/* every connection reset at once */
	{ 10, 5,  true,  true },	/* half: still the finding */
	{ 10, 4,  false, false },	/* below half */
	{ 4,  4,  true,  false },	/* too few to judge */
	{ 0,  0,  false, false },
};

START_TEST(test_lifetimes_findings)
{
	struct td_findings fs = { 0 };
	struct td_err err = { 0 };

	memset(&agg, 0, sizeof(agg));
	if (cases[_i].listener)
		row(&agg.lsn[agg.nlsn++], 9302, cases[_i].est, cases[_i].young);
	else
		row(&agg.dest[agg.ndest++], 9302, cases[_i].est, cases[_i].young);
	ck_assert_int_eq(lifetimes_findings(&agg, &fs, &err), 0);
	ck_assert_int_eq(td_findings_check(&fs, &err), 0);
	if (!cases[_i].found) {
		ck_assert_uint_eq(fs.n, 0);
	} else {
		ck_assert_uint_eq(fs.n, 1);
		ck_assert_str_eq(fs.v[0].id, "lifetimes.die_young");
		ck_assert_str_eq(fs.v[0].subject, "198.18.0.2:9302");
		ck_assert_int_eq(td_ev_find(&fs.v[0], "died_young")->i, (int64_t)cases[_i].young);
		ck_assert(td_ev_find(&fs.v[0], cases[_i].listener ? "listener" : "destination") != NULL);
		ck_assert(fs.v[0].nreco >= 1);
	}
	td_findings_free(&fs);
}
END_TEST

/* Short connections closed with FIN on both sides are healthy: nothing. */
START_TEST(test_lifetimes_short_but_clean)
{
	struct td_findings fs = { 0 };
	struct td_err err = { 0 };

	memset(&agg, 0, sizeof(agg));
	row(&agg.dest[agg.ndest++], 80, 200, 0);
	agg.dest[0].n[EV_RESET] = 0;
	agg.dest[0].n[EV_CLOSED] = 200;
	agg.dest[0].life_n = 200;
	agg.dest[0].life_sum_ms = 200;
	ck_assert_int_eq(lifetimes_findings(&agg, &fs, &err), 0);
	ck_assert_uint_eq(fs.n, 0);
	td_findings_free(&fs);
}
END_TEST

/* events_agg_add counts a reset younger than EV_YOUNG_MS, not an older one or a clean close. */
START_TEST(test_events_agg_died_young)
{
	struct td_conn_ev ev;

	memset(&agg, 0, sizeof(agg));
	memset(&ev, 0, sizeof(ev));
	ev.role = EV_ROLE_ACTIVE;
	ev.sk.family = AF_INET;
	ev.sk.dport = 80;
	ev.born_ns = 1000000000;
	ev.outcome = EV_RESET;
	ev.closed_ns = ev.born_ns + 5000000;			/* 5 ms */
	events_agg_add(&agg, &ev);
	ev.closed_ns = ev.born_ns + (int64_t)EV_YOUNG_MS * 1000000 + 1000000;	/* older */
	events_agg_add(&agg, &ev);
	ev.outcome = EV_CLOSED;
	ev.closed_ns = ev.born_ns + 5000000;
	events_agg_add(&agg, &ev);
	ck_assert_uint_eq(agg.ndest, 1);
	ck_assert_uint_eq(agg.dest[0].opened, 3);
	ck_assert_uint_eq(agg.dest[0].died_young, 1);
}
END_TEST

/* The registry's analyzer: the events of analyzer_ctx, nothing without them. */
START_TEST(test_lifetimes_registry)
{
	const struct analyzer *a = analyzer_find("lifetimes");
	struct analyzer_ctx ax;
	struct td_findings fs = { 0 };
	struct td_err err = { 0 };

	ck_assert_ptr_nonnull(a);
	ck_assert(a->judges_events);
	ck_assert_ptr_nonnull(a->title);
	memset(&agg, 0, sizeof(agg));
	memset(&ax, 0, sizeof(ax));
	row(&agg.lsn[agg.nlsn++], 9302, 6, 6);
	ck_assert_int_eq(a->finish(NULL, &ax, &fs, &err), 0);
	ck_assert_uint_eq(fs.n, 0);		/* no events given */
	ax.events = &agg;
	ck_assert_int_eq(a->finish(NULL, &ax, &fs, &err), 0);
	ck_assert_uint_eq(fs.n, 1);
	ck_assert_str_eq(fs.v[0].id, "lifetimes.die_young");
	ck_assert_int_eq(td_ev_find(&fs.v[0], "died_young")->i, 6);
	td_findings_free(&fs);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/lifetimes");
	TCase *tc = tcase_create("lifetimes_findings");

	tcase_add_loop_test(tc, test_lifetimes_findings, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_lifetimes_short_but_clean);
	tcase_add_test(tc, test_events_agg_died_young);
	tcase_add_test(tc, test_lifetimes_registry);
	suite_add_tcase(s, tc);
	return s;
}
