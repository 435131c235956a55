/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/failed_connects.c: findings from per-destination aggregates. */
#include "tests/unit/check_main.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "analyzers/failed_connects.h"

static struct events_agg agg;

static struct ev_dest *
dest(const char *v4, uint16_t port, uint64_t opened)
{
	struct ev_dest *d = &agg.dest[agg.ndest++];
	char buf[64];

	memset(d, 0, sizeof(*d));
	snprintf(buf, sizeof(buf), "::ffff:%s", v4);
	ck_assert_int_eq(inet_pton(AF_INET6, buf, &d->addr), 1);
	d->family = AF_INET;
	d->port = port;
	d->opened = opened;
	d->pid = -1;
	return d;
}

static const struct {
	unsigned int	 outcome;
	uint64_t	 failed, opened;
	const char	*id;		/* NULL: no finding */
	int		 severity;
	const char	*first_key;
} cases[] = {
	{ EV_REFUSED,	  3, 3,   "failed_connects.refused",	   TD_SEV_WARNING,  "service" },
	{ EV_REFUSED,	  10, 10, "failed_connects.refused",	   TD_SEV_CRITICAL, "service" },
	{ EV_TIMED_OUT,	  5, 8,   "failed_connects.timed_out",	   TD_SEV_WARNING,  "path" },
	{ EV_UNREACHABLE, 4, 4,   "failed_connects.unreachable",   TD_SEV_WARNING,  "route" },
	{ EV_NO_PORT,	  3, 5,   "failed_connects.no_local_port", TD_SEV_WARNING,
	  "net.ipv4.ip_local_port_range" },
	{ EV_REFUSED,	  2, 2,   NULL, 0, NULL },	/* below the minimum */
	{ EV_TIMED_OUT,	  3, 7,   NULL, 0, NULL },	/* below half the attempts */
	{ EV_ABANDONED,	  9, 9,   NULL, 0, NULL },	/* the application's choice */
};

START_TEST(test_failed_connects_findings)
{
	struct td_findings fs = { 0 };
	struct td_snapshot snap;
	struct td_err err = { 0 };
	struct ev_dest *d;

	memset(&agg, 0, sizeof(agg));
	memset(&snap, 0, sizeof(snap));
	d = dest("198.18.0.2", 81, cases[_i].opened);
	d->n[cases[_i].outcome] = cases[_i].failed;
	d->succeeded = cases[_i].opened - cases[_i].failed;
	ck_assert_int_eq(failed_connects_findings(&agg, &snap, 7, &fs, &err), 0);
	ck_assert_int_eq(td_findings_check(&fs, &err), 0);
	if (cases[_i].id == NULL) {
		ck_assert_uint_eq(fs.n, 0);
	} else {
		ck_assert_uint_eq(fs.n, 1);
		ck_assert_str_eq(fs.v[0].id, cases[_i].id);
		ck_assert_str_eq(fs.v[0].subject, "198.18.0.2:81");
		ck_assert_int_eq(fs.v[0].severity, cases[_i].severity);
		ck_assert(fs.v[0].nreco >= 1);
		ck_assert_str_eq(fs.v[0].reco[0].key, cases[_i].first_key);
		ck_assert_int_eq(td_ev_find(&fs.v[0], "attempts")->i, (int64_t)cases[_i].opened);
	}
	td_findings_free(&fs);
}
END_TEST

/* Healthy destinations give nothing. */
START_TEST(test_failed_connects_healthy)
{
	struct td_findings fs = { 0 };
	struct td_snapshot snap;
	struct td_err err = { 0 };
	struct ev_dest *d;

	memset(&agg, 0, sizeof(agg));
	memset(&snap, 0, sizeof(snap));
	d = dest("198.18.0.2", 80, 1000);
	d->succeeded = 1000;
	d->n[EV_CLOSED] = 990;
	d->n[EV_RESET] = 10;
	ck_assert_int_eq(failed_connects_findings(&agg, &snap, 7, &fs, &err), 0);
	ck_assert_uint_eq(fs.n, 0);
	td_findings_free(&fs);
}
END_TEST

/* The registry's analyzer: the events of analyzer_ctx, nothing without them. */
START_TEST(test_failed_connects_registry)
{
	const struct analyzer *a = analyzer_find("failed_connects");
	struct analyzer_ctx ax;
	struct td_findings fs = { 0 };
	struct td_snapshot snap;
	struct td_err err = { 0 };
	struct ev_dest *d;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(a->title);
	memset(&agg, 0, sizeof(agg));
	memset(&snap, 0, sizeof(snap));
	memset(&ax, 0, sizeof(ax));
	ax.snap = &snap;
	d = dest("198.18.0.3", 80, 4);
	d->n[EV_TIMED_OUT] = 4;
	ck_assert_int_eq(a->finish(NULL, &ax, &fs, &err), 0);
	ck_assert_uint_eq(fs.n, 0);		/* no events given */
	ax.events = &agg;
	ax.connect_timeout_s = 3;
	ck_assert_int_eq(a->finish(NULL, &ax, &fs, &err), 0);
	ck_assert_uint_eq(fs.n, 1);
	ck_assert_str_eq(fs.v[0].id, "failed_connects.timed_out");
	ck_assert(td_ev_find(&fs.v[0], "connect_timeout_s")->f == 3);
	td_findings_free(&fs);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/failed_connects");
	TCase *tc = tcase_create("failed_connects_findings");

	tcase_add_loop_test(tc, test_failed_connects_findings, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_failed_connects_healthy);
	tcase_add_test(tc, test_failed_connects_registry);
	suite_add_tcase(s, tc);
	return s;
}
