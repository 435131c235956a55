/* SPDX-License-Identifier: MIT */
/*
 * Synthetic snapshots and socket streams for the analyzer tests: a header
 * with Linux 6.18's defaults (KERNEL-FACTS Part A), sockets built field by
 * field, and a runner that streams them through one analyzer.
 */
#ifndef TD_TESTS_UNIT_ANALYZERS_SYNTH_H
#define TD_TESTS_UNIT_ANALYZERS_SYNTH_H

#include <arpa/inet.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "analyzers/history.h"
#include "collectors/snapshot.h"

static inline void
synth_sys(struct td_snapshot *s, int id, int64_t v)
{
	s->sys.s[id].readable = true;
	s->sys.s[id].v[0] = v;
}

static inline void
synth_snap(struct td_snapshot *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	snprintf(s->meta.host, sizeof(s->meta.host), "synth");
	snprintf(s->meta.kernel, sizeof(s->meta.kernel), "6.18.0");
	snprintf(s->meta.boot_id, sizeof(s->meta.boot_id), "b00t");
	s->meta.netns_ino = 4026531840u;
	s->meta.mono_ns = 1000LL * 1000000000;
	s->meta.time_ns = 1700000000LL * 1000000000;
	for (i = 0; i < TD_CTR_MAX; i++)
		s->ctr.present[i] = true;
	synth_sys(s, TD_SYS_SYNCOOKIES, 1);
	synth_sys(s, TD_SYS_MAX_SYN_BACKLOG, 2048);
	synth_sys(s, TD_SYS_SOMAXCONN, 4096);
	synth_sys(s, TD_SYS_SYNACK_RETRIES, 5);
	synth_sys(s, TD_SYS_SYN_RETRIES, 6);
	synth_sys(s, TD_SYS_FIN_TIMEOUT, 60);
	synth_sys(s, TD_SYS_TW_REUSE, 2);
	synth_sys(s, TD_SYS_MAX_TW_BUCKETS, 131072);
	synth_sys(s, TD_SYS_EHASH_ENTRIES, 262144);
	synth_sys(s, TD_SYS_PORT_RANGE, 32768);
	s->sys.s[TD_SYS_PORT_RANGE].v[1] = 60999;
	s->sys.s[TD_SYS_RESERVED_PORTS].readable = true;
	synth_sys(s, TD_SYS_KEEPALIVE_TIME, 7200);
	synth_sys(s, TD_SYS_KEEPALIVE_INTVL, 75);
	synth_sys(s, TD_SYS_KEEPALIVE_PROBES, 9);
	synth_sys(s, TD_SYS_ORPHAN_RETRIES, 0);
	synth_sys(s, TD_SYS_MAX_ORPHANS, 131072);
	synth_sys(s, TD_SYS_RETRIES2, 15);
	synth_sys(s, TD_SYS_TIMESTAMPS, 1);
	synth_sys(s, TD_SYS_NETDEV_MAX_BACKLOG, 1000);
}

/* An IPv4 socket; addresses as dotted quads. */
static inline struct td_sock
synth_sock(int state, const char *src, int sport, const char *dst, int dport)
{
	struct td_sock sk;
	struct in_addr a;

	memset(&sk, 0, sizeof(sk));
	sk.family = AF_INET;
	sk.state = (uint8_t)state;
	sk.kind = state == TD_ST_TIME_WAIT ? TD_SK_TW : TD_SK_FULL;
	sk.sport = (uint16_t)sport;
	sk.dport = (uint16_t)dport;
	sk.src.s6_addr[10] = sk.src.s6_addr[11] = 0xff;
	sk.dst.s6_addr[10] = sk.dst.s6_addr[11] = 0xff;
	inet_pton(AF_INET, src, &a);
	memcpy(&sk.src.s6_addr[12], &a, 4);
	inet_pton(AF_INET, dst, &a);
	memcpy(&sk.dst.s6_addr[12], &a, 4);
	if (sk.kind == TD_SK_FULL && state != TD_ST_LISTEN)
		sk.inode = 1000 + (uint64_t)sport;
	sk.cookie = ((uint64_t)sport << 32) | (uint64_t)dport;
	return sk;
}

/* The same for IPv6. */
static inline struct td_sock
synth_sock6(int state, const char *src, int sport, const char *dst, int dport)
{
	struct td_sock sk = synth_sock(state, "0.0.0.0", sport, "0.0.0.0", dport);

	sk.family = AF_INET6;
	inet_pton(AF_INET6, src, &sk.src);
	inet_pton(AF_INET6, dst, &sk.dst);
	return sk;
}

struct synth_run {
	struct td_snapshot	snap;
	struct td_config	cfg;
	struct analyzer_run	run;
	struct td_findings	out;
	bool			started;
};

static inline void
synth_begin(struct synth_run *r, const char *analyzer)
{
	struct td_err err = { 0 };

	memset(r, 0, sizeof(*r));
	synth_snap(&r->snap);
	config_defaults(&r->cfg);
	r->run.ax.snap = &r->snap;
	r->run.ax.cfg = &r->cfg;
	r->run.enabled = UINT64_C(1) << analyzer_index(analyzer);
	(void)err;
}

/* Tests may change r->snap and r->cfg until the first socket is fed. */
static inline void
synth_start(struct synth_run *r)
{
	struct td_err err = { 0 };

	if (r->started)
		return;
	r->started = true;
	if (analyzer_run_init(&r->run, &err) != 0)
		abort();
}

static inline void
synth_feed(struct synth_run *r, const struct td_sock *sk)
{
	synth_start(r);
	analyzer_run_visit(&r->run, sk);
}

static inline void
synth_finish(struct synth_run *r)
{
	struct td_err err = { 0 };

	synth_start(r);
	if (analyzer_run_finish(&r->run, &r->out, &err) != 0)
		abort();
}

static inline void
synth_end(struct synth_run *r)
{
	analyzer_run_free(&r->run);
	td_findings_free(&r->out);
}

/* The first finding with this id, or NULL. */
static inline const struct td_finding *
synth_find(const struct synth_run *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->out.n; i++)
		if (strcmp(r->out.v[i].id, id) == 0)
			return &r->out.v[i];
	return NULL;
}

static inline int64_t
synth_ev(const struct td_finding *f, const char *key)
{
	const struct td_evidence *e = td_ev_find(f, key);

	if (e == NULL) {
		fprintf(stderr, "no evidence '%s' in %s\n", key, f->id);
		abort();
	}
	return e->type == TD_EV_FLOAT ? (int64_t)e->f : e->i;
}

/* True if any recommendation of any finding mentions key as its key. */
static inline bool
synth_reco(const struct synth_run *r, const char *key)
{
	size_t i;
	unsigned int j;

	for (i = 0; i < r->out.n; i++)
		for (j = 0; j < r->out.v[i].nreco; j++)
			if (strstr(r->out.v[i].reco[j].key, key) != NULL)
				return true;
	return false;
}

/* A previous run interval_s seconds ago, with counters as given in prev_ctr. */
static inline void
synth_prev(struct synth_run *r, struct td_history *prev, double interval_s)
{
	history_init(prev, &r->snap);
	prev->mono_ns = r->snap.meta.mono_ns - (int64_t)(interval_s * 1e9);
	r->run.ax.prev = prev;
	r->run.ax.delta.known = true;
	r->run.ax.delta.interval_s = interval_s;
}

#endif /* TD_TESTS_UNIT_ANALYZERS_SYNTH_H */
