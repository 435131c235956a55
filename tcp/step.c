/* SPDX-License-Identifier: MIT */
/*
 * tm_step(): the model's only state-changing entry.  One event for one host
 * in, effects out (tcp/tm.h).  The layout follows Linux, whose function names
 * the comments cite (KERNEL-FACTS Part D 1.1):
 *
 *   demux             tcp_v4_rcv(): full socket, timewait, request, listener,
 *                     else RST (no socket)
 *   listener_rcv      tcp_conn_request(), cookie_v4_check()
 *   req_rcv           tcp_check_req(), tcp_v4_syn_recv_sock()
 *   tw_rcv            tcp_timewait_state_process()
 *   conn_rcv          tcp_rcv_synsent_state_process(), tcp_rcv_state_process()
 *                     in RFC 9293 3.10.7.4 order: sequence/PAWS, RST, SYN,
 *                     ACK, URG (ignored), text, FIN
 *   timers            tcp_retransmit_timer(), reqsk_timer_handler(),
 *                     tcp_keepalive_timer(), delack, timewait
 *   app calls         a visible state x call table (app_table[]), then the
 *                     new_state[] table of tcp.c for close()/shutdown()
 *
 * Simplifications, deliberate: no congestion control (at most 10 segments
 * in flight), out-of-order segments are dropped with a duplicate ACK instead
 * of being queued, no urgent data, no window probing, PAWS only compares
 * TSval with ts_recent.
 */
#include "tcp/tm.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SEQ_BETWEEN(s, lo, hi)	(TM_SEQ_GEQ(s, lo) && TM_SEQ_LEQ(s, hi))

struct ctx {
	const struct tm_profile	*p;
	struct tm_host		*h;
	tm_time			 now;
	struct tm_fxbuf		*out;
	struct tm_effect	 spill;		/* target when out is full */
};

/* ---- Effects ---- */

static struct tm_effect *
fx_new(struct ctx *c, enum tm_fx_kind kind, enum tm_obj obj, uint32_t sock, const char *why)
{
	struct tm_effect *fx;

	if (c->out->n < c->out->cap) {
		fx = &c->out->v[c->out->n++];
	} else {
		c->out->lost++;
		fx = &c->spill;
	}
	/* Header and the small union members; segment records copy theirs. */
	memset(fx, 0, offsetof(struct tm_effect, u) + sizeof(fx->u.app));
	fx->at = c->now;
	fx->host = c->h->index;
	fx->kind = (uint8_t)kind;
	fx->obj = (uint8_t)obj;
	fx->sock = sock;
	fx->reason = why;
	return fx;
}

static void
count(struct ctx *c, enum tm_counter id)
{
	struct tm_effect *fx = fx_new(c, TM_FX_COUNTER, TM_OBJ_FULL, 0, NULL);

	fx->u.ctr.id = (uint16_t)id;
	fx->u.ctr.delta = 1;
	c->h->counters[id]++;
}

static void
report(struct ctx *c, enum tm_obj obj, uint32_t id, enum tm_state from, enum tm_state to,
    enum tm_event_id ev, const char *why)
{
	struct tm_effect *fx = fx_new(c, TM_FX_STATE, obj, id, why);

	fx->u.st.from = (uint8_t)from;
	fx->u.st.to = (uint8_t)to;
	fx->u.st.event = (uint8_t)ev;
	if (!tm_transition_legal(c->p, obj, from, ev, to)) {
		fx = fx_new(c, TM_FX_ERROR, obj, id, "illegal transition (not in the table)");
		fx->u.st.from = (uint8_t)from;
		fx->u.st.to = (uint8_t)to;
		fx->u.st.event = (uint8_t)ev;
	}
}

static void
app_result(struct ctx *c, uint32_t id, enum tm_call call, int err, int64_t ret, const char *why)
{
	struct tm_effect *fx = fx_new(c, TM_FX_APP, TM_OBJ_FULL, id, why);

	fx->u.app.call = (uint8_t)call;
	fx->u.app.err = err;
	fx->u.app.ret = ret;
	fx->u.app.sock = id;
}

static void
timer_arm(struct ctx *c, enum tm_obj obj, uint32_t id, tm_time *deadline, enum tm_timer t,
    tm_time after)
{
	struct tm_effect *fx;

	*deadline = c->now + after;
	if (*deadline == 0)
		*deadline = 1;
	fx = fx_new(c, TM_FX_TIMER_SET, obj, id, NULL);
	fx->u.tmr.timer = (uint8_t)t;
	fx->u.tmr.expires = *deadline;
}

static void
timer_stop(struct ctx *c, enum tm_obj obj, uint32_t id, tm_time *deadline, enum tm_timer t)
{
	struct tm_effect *fx;

	if (*deadline == 0)
		return;
	*deadline = 0;
	fx = fx_new(c, TM_FX_TIMER_CLR, obj, id, NULL);
	fx->u.tmr.timer = (uint8_t)t;
}

/* ---- Segments ---- */

static void
seg_init(struct tm_seg *s, const struct tm_addr *src, const struct tm_addr *dst,
    uint16_t sport, uint16_t dport, tm_seq seq, tm_seq ack, uint8_t flags)
{
	memset(s, 0, sizeof(*s));
	s->src = *src;
	s->dst = *dst;
	s->sport = sport;
	s->dport = dport;
	s->seq = seq;
	s->ack = (flags & TM_ACK) ? ack : 0;
	s->flags = flags;
}

static uint32_t
ts_now(const struct ctx *c, uint32_t off)
{
	/* tcp_time_stamp_ts(): a millisecond clock plus the per-tuple offset. */
	return (uint32_t)(c->now / TM_NS_PER_MS) + off;
}

static void
emit_seg(struct ctx *c, enum tm_obj obj, uint32_t id, const struct tm_seg *s, bool rtx,
    const char *why)
{
	struct tm_effect *fx = fx_new(c, TM_FX_SEG_OUT, obj, id, why);

	fx->u.seg.seg = *s;
	fx->u.seg.rtx = rtx;
	fx->u.seg.to_host = 0xffff;
	if (s->flags & TM_RST)
		count(c, TM_C_OUT_RSTS);
	if (rtx)
		count(c, TM_C_RETRANS_SEGS);
}

/* tcp_v4_send_reset(): the answer to a segment no socket wants. */
static void
send_reset_for(struct ctx *c, const struct tm_seg *in, enum tm_obj obj, uint32_t id,
    const char *why)
{
	struct tm_seg s;

	if (in->flags & TM_RST)
		return;
	if (in->flags & TM_ACK)
		seg_init(&s, &in->dst, &in->src, in->dport, in->sport, in->ack, 0, TM_RST);
	else
		seg_init(&s, &in->dst, &in->src, in->dport, in->sport, 0,
		    in->seq + tm_seg_seqlen(in), TM_RST | TM_ACK);
	emit_seg(c, obj, id, &s, false, why);
}

/* ---- Object pools ---- */

static uint32_t
new_id(struct tm_host *h)
{
	if (h->next_id == 0)
		h->next_id = 1;
	return h->next_id++;
}

struct tm_conn *
tm_host_conn(struct tm_host *h, uint32_t id)
{
	uint32_t i;

	if (id == 0)
		return NULL;
	for (i = 0; i < h->hw_conns; i++)
		if (h->conns[i].id == id)
			return &h->conns[i];
	return NULL;
}

struct tm_reqsk *
tm_host_req(struct tm_host *h, uint32_t id)
{
	uint32_t i;

	if (id == 0)
		return NULL;
	for (i = 0; i < h->hw_reqs; i++)
		if (h->reqs[i].id == id)
			return &h->reqs[i];
	return NULL;
}

struct tm_twsk *
tm_host_tw(struct tm_host *h, uint32_t id)
{
	uint32_t i;

	if (id == 0)
		return NULL;
	for (i = 0; i < h->hw_tws; i++)
		if (h->tws[i].id == id)
			return &h->tws[i];
	return NULL;
}

static struct tm_conn *
conn_alloc(struct tm_host *h, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < h->nconns; i++)
		if (h->conns[i].id == 0) {
			if (i >= h->hw_conns)
				h->hw_conns = i + 1;
			memset(&h->conns[i], 0, sizeof(h->conns[i]));
			h->conns[i].id = id ? id : new_id(h);
			return &h->conns[i];
		}
	return NULL;
}

static void
conn_free(struct tm_conn *k)
{
	k->id = 0;
}

static bool
addr_eq(const struct tm_addr *a, const struct tm_addr *b)
{
	return memcmp(&a->a, &b->a, sizeof(a->a)) == 0;
}

static bool
addr_any(const struct tm_addr *a)
{
	static const struct in6_addr any;

	return memcmp(&a->a, &any, sizeof(any)) == 0;
}

void
tm_host_init(struct tm_host *h, uint16_t index, const struct tm_addr *addr, uint64_t key0,
    uint64_t key1, struct tm_conn *conns, uint32_t nconns, struct tm_reqsk *reqs,
    uint32_t nreqs, struct tm_twsk *tws, uint32_t ntws)
{
	memset(h, 0, sizeof(*h));
	h->index = index;
	h->addr = *addr;
	h->key[0] = key0;
	h->key[1] = key1;
	h->conns = conns;
	h->nconns = nconns;
	h->reqs = reqs;
	h->nreqs = nreqs;
	h->tws = tws;
	h->ntws = ntws;
	h->next_id = 1;
	h->next_port = 40000;
	memset(conns, 0, sizeof(*conns) * nconns);
	memset(reqs, 0, sizeof(*reqs) * nreqs);
	memset(tws, 0, sizeof(*tws) * ntws);
}

tm_time
tm_host_next_deadline(const struct tm_host *h)
{
	tm_time t = TM_TIME_INF;
	uint32_t i;
	int j;

	for (i = 0; i < h->hw_conns; i++) {
		if (h->conns[i].id == 0)
			continue;
		for (j = 0; j < TM_T_MAX; j++)
			if (h->conns[i].deadline[j] && h->conns[i].deadline[j] < t)
				t = h->conns[i].deadline[j];
	}
	for (i = 0; i < h->hw_reqs; i++)
		if (h->reqs[i].id && h->reqs[i].deadline && h->reqs[i].deadline < t)
			t = h->reqs[i].deadline;
	for (i = 0; i < h->hw_tws; i++)
		if (h->tws[i].id && h->tws[i].deadline && h->tws[i].deadline < t)
			t = h->tws[i].deadline;
	return t;
}

unsigned int
tm_host_live(const struct tm_host *h)
{
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < h->hw_conns; i++)
		if (h->conns[i].id && h->conns[i].state != TM_CLOSE)
			n++;
	for (i = 0; i < h->hw_reqs; i++)
		if (h->reqs[i].id)
			n++;
	for (i = 0; i < h->hw_tws; i++)
		if (h->tws[i].id)
			n++;
	return n;
}

/* ---- Full sockets: output ---- */

static uint16_t
wnd_field(const struct ctx *c, const struct tm_conn *k, bool syn)
{
	uint32_t w = k->rcv_wnd;

	if (syn || !k->has_ws)
		return w > 65535 ? 65535 : (uint16_t)w;
	w >>= c->p->wscale;
	return w > 65535 ? 65535 : (uint16_t)w;
}

static void
conn_seg(struct ctx *c, const struct tm_conn *k, struct tm_seg *s, tm_seq seq, uint8_t flags,
    uint32_t len)
{
	seg_init(s, &k->laddr, &k->raddr, k->lport, k->rport, seq, k->rcv_nxt, flags);
	s->len = len;
	s->wnd = wnd_field(c, k, (flags & TM_SYN) != 0);
	if (flags & TM_SYN) {
		s->has_mss = true;
		s->mss = c->p->mss;
		if (k->state == TM_SYN_SENT || (k->state == TM_SYN_RECV && !k->from_listener)) {
			/*
			 * tcp_syn_options(): a full socket's SYN, and its SYN-ACK in a
			 * simultaneous open, offer what the sysctls enable.
			 */
			s->has_ts = c->p->timestamps != 0;
			s->sack_ok = c->p->sack != 0;
			s->has_wscale = c->p->window_scaling != 0;
		} else {
			s->has_ts = k->has_ts;
			s->sack_ok = k->has_sack;
			s->has_wscale = k->has_ws;
		}
		s->wscale = c->p->wscale;
	} else {
		s->has_ts = k->has_ts;
	}
	if (s->has_ts) {
		s->tsval = ts_now(c, k->ts_off);
		s->tsecr = k->ts_recent;
	}
}

static void
conn_clear_ack(struct ctx *c, struct tm_conn *k)
{
	k->ack_pending = false;
	k->unacked_rcv = 0;
	timer_stop(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_DELACK], TM_T_DELACK);
}

/* tcp_send_ack() */
static void
send_ack(struct ctx *c, struct tm_conn *k, const char *why)
{
	struct tm_seg s;

	conn_seg(c, k, &s, k->snd_nxt, TM_ACK, 0);
	if (k->dsack_pending) {
		s.nsack = 1;
		s.sack[0][0] = k->dsack[0];
		s.sack[0][1] = k->dsack[1];
		k->dsack_pending = false;
		count(c, TM_C_DSACK_OLD_SENT);
	}
	if (k->has_sack) {
		/* tcp_build_sack(): the out-of-order ranges, most recent first. */
		int i;

		for (i = (int)k->nofo - 1; i >= 0 && s.nsack < 3; i--) {
			s.sack[s.nsack][0] = k->ofo[i].start;
			s.sack[s.nsack][1] = k->ofo[i].end - (k->ofo[i].fin ? 1 : 0);
			s.nsack++;
		}
	}
	emit_seg(c, TM_OBJ_FULL, k->id, &s, false, why);
	conn_clear_ack(c, k);
}

/* __tcp_oow_rate_limited(): one reply per tcp_invalid_ratelimit per socket. */
static bool
oow_limited(struct ctx *c, tm_time *last)
{
	if (*last != 0 && c->now - *last < c->p->invalid_ratelimit)
		return true;
	*last = c->now ? c->now : 1;
	return false;
}

/* tcp_send_challenge_ack(): RFC 5961, per-socket and per-netns limits. */
static void
challenge_ack(struct ctx *c, struct tm_conn *k, const char *why)
{
	struct tm_host *h = c->h;

	if (oow_limited(c, &k->last_oow_ack))
		return;
	if (c->now - h->chal_window >= TM_SEC(1) || h->chal_window == 0) {
		h->chal_window = c->now ? c->now : 1;
		h->chal_count = 0;
	}
	if (h->chal_count >= c->p->challenge_ack_limit)
		return;
	h->chal_count++;
	count(c, TM_C_CHALLENGE_ACK);
	send_ack(c, k, why);
}

/* tcp_send_active_reset(): RST|ACK from our state. */
static void
active_reset(struct ctx *c, struct tm_conn *k, const char *why)
{
	struct tm_seg s;

	conn_seg(c, k, &s, k->snd_nxt, TM_RST | TM_ACK, 0);
	s.has_ts = false;
	emit_seg(c, TM_OBJ_FULL, k->id, &s, false, why);
}

static void
rtx_arm(struct ctx *c, struct tm_conn *k)
{
	timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX, k->rto);
}

/*
 * tcp_set_xmit_timer(): a tail loss probe (tcp_schedule_loss_probe(), SACK
 * connections before any RTO) in 2 x SRTT, plus TCP_RTO_MIN when one segment
 * is out, never later than the RTO; otherwise the RTO.
 */
static void
xmit_timer(struct ctx *c, struct tm_conn *k)
{
	tm_time pto;

	if (c->p->tlp && k->has_sack && k->retransmits == 0 && k->snd_una != k->snd_nxt &&
	    k->state != TM_SYN_SENT && k->state != TM_SYN_RECV) {
		if (k->srtt)
			pto = 2 * k->srtt + (k->snd_nxt - k->snd_una <= k->snd_mss + 1 ?
			    c->p->rto_min : TM_MS(8));
		else
			pto = c->p->rto_init;
		if (pto > k->rto)
			pto = k->rto;
		k->tlp_armed = true;
		timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX, pto);
		return;
	}
	k->tlp_armed = false;
	rtx_arm(c, k);
}

static void
keepalive_arm(struct ctx *c, struct tm_conn *k, tm_time after)
{
	timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_KEEPALIVE], TM_T_KEEPALIVE, after);
}

static tm_time
ka_time(const struct ctx *c, const struct tm_conn *k)
{
	return k->opt.keepidle ? k->opt.keepidle : c->p->keepalive_time;
}

static tm_time
ka_intvl(const struct ctx *c, const struct tm_conn *k)
{
	return k->opt.keepintvl ? k->opt.keepintvl : c->p->keepalive_intvl;
}

static int
ka_probes(const struct ctx *c, const struct tm_conn *k)
{
	return k->opt.keepcnt ? k->opt.keepcnt : c->p->keepalive_probes;
}

/* Send new data, then the FIN once the data is out (tcp_write_xmit, tcp_send_fin). */
static void
push(struct ctx *c, struct tm_conn *k)
{
	struct tm_seg s;
	uint32_t inflight, len, limit;
	bool sent = false;

	if (k->state != TM_ESTABLISHED && k->state != TM_CLOSE_WAIT &&
	    k->state != TM_FIN_WAIT1 && k->state != TM_LAST_ACK && k->state != TM_CLOSING)
		return;
	limit = k->snd_wnd;
	if (limit > 10u * k->snd_mss)
		limit = 10u * k->snd_mss;
	while (k->sndq > 0 && !k->fin_sent) {
		inflight = k->snd_nxt - k->snd_una;
		if (inflight >= limit)
			break;
		len = k->sndq < k->snd_mss ? k->sndq : k->snd_mss;
		if (len > limit - inflight)
			len = limit - inflight;
		if (k->snd_una == k->snd_nxt)
			k->head_sent = c->now;
		conn_seg(c, k, &s, k->snd_nxt, TM_ACK | (len == k->sndq ? TM_PSH : 0), len);
		if (k->rtt_start == 0) {
			k->rtt_start = c->now ? c->now : 1;
			k->rtt_seq = k->snd_nxt + len;
		}
		k->snd_nxt += len;
		k->sndq -= len;
		emit_seg(c, TM_OBJ_FULL, k->id, &s, false, "tcp_write_xmit()");
		sent = true;
	}
	if (k->fin_queued && !k->fin_sent && k->sndq == 0) {
		if (k->snd_una == k->snd_nxt)
			k->head_sent = c->now;
		conn_seg(c, k, &s, k->snd_nxt, TM_FIN | TM_ACK, 0);
		k->fin_sent = true;
		k->snd_nxt++;
		emit_seg(c, TM_OBJ_FULL, k->id, &s, false, "tcp_send_fin()");
		sent = true;
	}
	if (sent) {
		conn_clear_ack(c, k);
		if (k->deadline[TM_T_RTX] == 0 || k->tlp_armed)
			xmit_timer(c, k);
	}
}

/* ---- Full sockets: state changes ---- */

static void
set_state(struct ctx *c, struct tm_conn *k, enum tm_state to, enum tm_event_id ev, const char *why)
{
	enum tm_state from = k->state;

	k->state = to;
	report(c, TM_OBJ_FULL, k->id, from, to, ev, why);
}

static void
stop_all_timers(struct ctx *c, struct tm_conn *k)
{
	int t;

	for (t = 0; t < TM_T_MAX; t++)
		timer_stop(c, TM_OBJ_FULL, k->id, &k->deadline[t], (enum tm_timer)t);
}

/* tcp_done(): the socket is CLOSE; an orphan is freed. */
static void
conn_done(struct ctx *c, struct tm_conn *k, enum tm_event_id ev, const char *why)
{
	if (k->state != TM_CLOSE)
		set_state(c, k, TM_CLOSE, ev, why);
	stop_all_timers(c, k);
	if (k->orphan)
		conn_free(k);
}

/* Report an asynchronous error to the application (SO_ERROR). */
static void
conn_error(struct ctx *c, struct tm_conn *k, int err, const char *why)
{
	k->err = err;
	if (!k->orphan)
		app_result(c, k->id, k->state == TM_SYN_SENT ? TM_CALL_CONNECT : TM_CALL_SO_ERROR,
		    err, -1, why);
}

/* tcp_reset(): an acceptable RST arrived. */
static void
conn_reset(struct ctx *c, struct tm_conn *k, enum tm_event_id ev, const char *why)
{
	int err;

	switch (k->state) {
	case TM_SYN_SENT:
		err = ECONNREFUSED;
		count(c, TM_C_ATTEMPT_FAILS);
		break;
	case TM_CLOSE_WAIT:
		err = EPIPE;
		break;
	case TM_CLOSE:
		return;
	default:
		err = ECONNRESET;
	}
	if (k->state == TM_ESTABLISHED || k->state == TM_CLOSE_WAIT)
		count(c, TM_C_ESTAB_RESETS);
	conn_error(c, k, err, why);
	conn_done(c, k, ev, why);
}

static struct tm_twsk *
tw_alloc(struct ctx *c, uint32_t id)
{
	struct tm_host *h = c->h;
	uint32_t i;

	if ((int)h->ntw_live >= c->p->max_tw_buckets)
		return NULL;
	for (i = 0; i < h->ntws; i++)
		if (h->tws[i].id == 0) {
			if (i >= h->hw_tws)
				h->hw_tws = i + 1;
			memset(&h->tws[i], 0, sizeof(h->tws[i]));
			h->tws[i].id = id;
			h->ntw_live++;
			return &h->tws[i];
		}
	return NULL;
}

static void
tw_free(struct ctx *c, struct tm_twsk *tw)
{
	tw->id = 0;
	c->h->ntw_live--;
}

/*
 * tcp_time_wait(): a timewait socket replaces the full one (Linux), or the
 * TCB itself enters TIME-WAIT (RFC profile, reported as one object).
 */
static void
enter_timewait(struct ctx *c, struct tm_conn *k, enum tm_state substate, tm_time timeo,
    enum tm_event_id ev)
{
	struct tm_twsk *tw = tw_alloc(c, k->id);
	enum tm_state from = k->state;

	if (tw == NULL) {
		count(c, TM_C_TW_OVERFLOW);
		conn_done(c, k, c->p->minisocks ? TM_E_TW_TAKEOVER : ev,
		    "tcp_time_wait(): no timewait socket (tcp_max_tw_buckets), TIME_WAIT skipped");
		return;
	}
	tw->substate = substate;
	tw->laddr = k->laddr;
	tw->raddr = k->raddr;
	tw->lport = k->lport;
	tw->rport = k->rport;
	tw->snd_nxt = k->snd_nxt;
	tw->rcv_nxt = k->rcv_nxt;
	tw->rcv_wnd = k->rcv_wnd;
	tw->has_ts = k->has_ts;
	tw->ts_recent = k->ts_recent;
	tw->ts_recent_stamp = k->ts_recent_stamp;
	tw->ts_off = k->ts_off;
	tw->from_conn = k->id;
	tw->deadline = c->now + (substate == TM_TIME_WAIT ? c->p->timewait_len : timeo);
	if (c->p->minisocks) {
		set_state(c, k, TM_CLOSE, TM_E_TW_TAKEOVER,
		    "tcp_time_wait() + tcp_done(): the timewait socket takes over");
		report(c, TM_OBJ_TW, tw->id, TM_ST_NONE, substate, TM_E_TW_TAKEOVER,
		    substate == TM_TIME_WAIT ? "tcp_time_wait(TCP_TIME_WAIT): TCP_TIMEWAIT_LEN" :
		    "tcp_time_wait(TCP_FIN_WAIT2, tcp_fin_time()): orphan FIN_WAIT2");
	} else {
		k->state = TM_TIME_WAIT;
		report(c, TM_OBJ_FULL, k->id, from, TM_TIME_WAIT, ev, "RFC 9293: enter TIME-WAIT, 2 MSL");
	}
	{
		struct tm_effect *fx = fx_new(c, TM_FX_TIMER_SET,
		    c->p->minisocks ? TM_OBJ_TW : TM_OBJ_FULL, tw->id, NULL);

		fx->u.tmr.timer = TM_T_TW;
		fx->u.tmr.expires = tw->deadline;
	}
	stop_all_timers(c, k);
	if (!c->p->minisocks || k->orphan)
		conn_free(k);
}

/* ---- Full sockets: input ---- */

static void
rtt_sample(struct ctx *c, struct tm_conn *k, tm_time m)
{
	tm_time rto, var4;

	if (k->srtt == 0) {
		k->srtt = m ? m : 1;
		k->rttvar = m / 2;
	} else {
		tm_time d = k->srtt > m ? k->srtt - m : m - k->srtt;

		k->rttvar = (3 * k->rttvar + d) / 4;
		k->srtt = (7 * k->srtt + m) / 8;
	}
	var4 = 4 * k->rttvar;
	if (c->p->minisocks) {
		/* __tcp_set_rto(): srtt + rttvar, rttvar at least TCP_RTO_MIN. */
		rto = k->srtt + (var4 > c->p->rto_min ? var4 : c->p->rto_min);
	} else {
		/* RFC 6298 2.3, 2.4. */
		rto = k->srtt + var4;
		if (rto < c->p->rto_min)
			rto = c->p->rto_min;
	}
	k->rto = rto > c->p->rto_max ? c->p->rto_max : rto;
}

static void
options_from_peer(struct ctx *c, struct tm_conn *k, const struct tm_seg *s)
{
	k->has_ts = s->has_ts && c->p->timestamps;
	k->has_sack = s->sack_ok && c->p->sack;
	k->has_ws = s->has_wscale && c->p->window_scaling;
	k->snd_mss = s->has_mss && s->mss && s->mss < c->p->mss ? s->mss : c->p->mss;
	k->snd_wscale = k->has_ws ? (s->wscale > 14 ? 14 : s->wscale) : 0;
	if (k->has_ts) {
		k->ts_recent = s->tsval;
		k->ts_recent_stamp = c->now ? c->now : 1;
	}
}

static void
ack_snd_check(struct ctx *c, struct tm_conn *k)
{
	if (!k->ack_pending || k->state == TM_CLOSE)
		return;
	/* __tcp_ack_snd_check(): quick ACK mode or two full segments: now. */
	if (k->quick > 0 || k->unacked_rcv >= 2u * k->snd_mss || k->dsack_pending) {
		if (k->quick > 0)
			k->quick--;
		send_ack(c, k, "__tcp_ack_snd_check(): immediate");
		return;
	}
	if (k->deadline[TM_T_DELACK] == 0)
		timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_DELACK], TM_T_DELACK,
		    c->p->delack_min);
}

/* tcp_fin() */
static void
conn_fin(struct ctx *c, struct tm_conn *k)
{
	k->fin_rcvd = true;
	k->ack_pending = true;
	switch (k->state) {
	case TM_SYN_RECV:
	case TM_ESTABLISHED:
		set_state(c, k, TM_CLOSE_WAIT, TM_E_FIN, "tcp_fin(): the peer closed its side");
		/* The FIN is acknowledged at once (quick ACK). */
		send_ack(c, k, "tcp_fin()");
		break;
	case TM_FIN_WAIT1:
		send_ack(c, k, "tcp_fin(): crossed FINs");
		set_state(c, k, TM_CLOSING, TM_E_FIN, "tcp_fin(): FIN in FIN_WAIT1 (simultaneous close)");
		break;
	case TM_FIN_WAIT2:
		send_ack(c, k, "tcp_fin()");
		enter_timewait(c, k, TM_TIME_WAIT, 0, TM_E_FIN);
		break;
	default:
		break;
	}
}

/*
 * tcp_data_queue_ofo(): keep an out-of-order range (merged with the ones it
 * touches; when all TM_OFO_MAX slots are taken the segment is dropped, as the
 * kernel prunes under memory pressure).
 */
static void
ofo_add(struct tm_conn *k, tm_seq start, tm_seq end, bool fin)
{
	unsigned int i, j;

	for (i = 0; i < k->nofo; i++) {
		if (TM_SEQ_GT(start, k->ofo[i].end) || TM_SEQ_LT(end, k->ofo[i].start))
			continue;
		/* Overlapping or adjacent: merge, then take it out to re-add. */
		if (TM_SEQ_LT(k->ofo[i].start, start))
			start = k->ofo[i].start;
		if (TM_SEQ_GT(k->ofo[i].end, end))
			end = k->ofo[i].end;
		fin = fin || k->ofo[i].fin;
		for (j = i + 1; j < k->nofo; j++)
			k->ofo[j - 1] = k->ofo[j];
		k->nofo--;
		i = (unsigned int)-1;	/* restart: the bigger range may touch others */
	}
	if (k->nofo == TM_OFO_MAX)
		return;
	k->ofo[k->nofo].start = start;
	k->ofo[k->nofo].end = end;
	k->ofo[k->nofo].fin = fin;
	k->nofo++;
}

/* tcp_ofo_queue(): move what became in order; true when a FIN came with it. */
static bool
ofo_pull(struct tm_conn *k)
{
	unsigned int i, j;
	bool fin = false, moved = true;
	uint32_t data;

	while (moved) {
		moved = false;
		for (i = 0; i < k->nofo; i++) {
			if (TM_SEQ_GT(k->ofo[i].start, k->rcv_nxt))
				continue;
			if (TM_SEQ_GT(k->ofo[i].end, k->rcv_nxt)) {
				data = k->ofo[i].end - k->rcv_nxt - (k->ofo[i].fin ? 1 : 0);
				k->rcvq += data;
				k->unacked_rcv += data;
				k->rcv_nxt = k->ofo[i].end;
				fin = fin || k->ofo[i].fin;
			}
			for (j = i + 1; j < k->nofo; j++)
				k->ofo[j - 1] = k->ofo[j];
			k->nofo--;
			moved = true;
			break;
		}
	}
	return fin;
}

/* tcp_data_queue(): in-order data and FIN, out-of-order ranges kept aside. */
static void
data_queue(struct ctx *c, struct tm_conn *k, const struct tm_seg *s)
{
	tm_seq end = s->seq + tm_seg_seqlen(s);
	uint32_t skip, len;
	bool fin = false;

	if (s->len == 0 && !(s->flags & TM_FIN))
		return;
	if (TM_SEQ_LEQ(end, k->rcv_nxt)) {
		/* A retransmit: D-SACK it and ACK at once. */
		if (s->len > 0) {
			k->dsack[0] = s->seq;
			k->dsack[1] = s->seq + s->len;
			k->dsack_pending = k->has_sack;
		}
		k->ack_pending = true;
		k->quick = k->quick > 0 ? k->quick : 1;
		return;
	}
	if (TM_SEQ_GT(s->seq, k->rcv_nxt)) {
		/* Out of order: kept, and a duplicate ACK (with SACK) at once. */
		if (!k->fin_rcvd)
			ofo_add(k, s->seq, end, (s->flags & TM_FIN) != 0);
		k->ack_pending = true;
		k->quick = k->quick > 0 ? k->quick : 1;
		return;
	}
	skip = k->rcv_nxt - s->seq;
	len = s->len > skip ? s->len - skip : 0;
	if (len > 0) {
		k->rcv_nxt += len;
		k->rcvq += len;
		k->unacked_rcv += len;
		k->ack_pending = true;
	}
	if (s->flags & TM_FIN) {
		k->rcv_nxt++;
		fin = true;
	}
	if (k->nofo > 0) {
		/* The hole is filled: what was held comes in, ACKed at once. */
		if (!fin)
			fin = ofo_pull(k);
		else
			k->nofo = 0;
		k->ack_pending = true;
		k->quick = k->quick > 0 ? k->quick : 1;
	}
	if (fin)
		conn_fin(c, k);
}

/* tcp_rcv_synsent_state_process() */
static void
synsent_rcv(struct ctx *c, struct tm_conn *k, const struct tm_seg *s)
{
	if (s->flags & TM_ACK) {
		if (TM_SEQ_LEQ(s->ack, k->iss) || TM_SEQ_GT(s->ack, k->snd_nxt)) {
			/* RFC 9293 fig. 8; reset reason TCP_INVALID_ACK_SEQUENCE (Part B #20). */
			send_reset_for(c, s, TM_OBJ_FULL, k->id,
			    "tcp_rcv_synsent_state_process(): unacceptable ACK, stay SYN_SENT");
			/* "Previous FIN/ACK or RST/ACK might be ignored": retransmit the SYN soon
			 * (TCP_TIMEOUT_MIN, 2 jiffies at HZ=250). */
			if (k->retransmits == 0)
				timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX, TM_MS(8));
			return;
		}
		if (s->flags & TM_RST) {
			conn_reset(c, k, TM_E_RST, "tcp_reset(): connection refused");
			return;
		}
		if (!(s->flags & TM_SYN))
			return;
		k->irs = s->seq;
		k->rcv_nxt = s->seq + 1;
		k->snd_una = s->ack;
		k->snd_wnd = s->wnd;
		options_from_peer(c, k, s);
		if (k->retransmits == 0 && k->rtt_start)
			rtt_sample(c, k, c->now - k->rtt_start);
		else
			k->rto = c->p->rto_init;
		k->rtt_start = 0;
		k->retransmits = 0;
		k->backoff = 0;
		k->last_rcv = c->now;
		timer_stop(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX);
		set_state(c, k, TM_ESTABLISHED, TM_E_SYNACK, "tcp_finish_connect()");
		app_result(c, k->id, TM_CALL_CONNECT, 0, 0, "connect() completes");
		if (k->opt.keepalive)
			keepalive_arm(c, k, ka_time(c, k));
		if (k->sndq > 0 || k->fin_queued) {
			/* The 3rd ACK carries the queued data (data-on-third-ack). */
			push(c, k);
			if (k->snd_nxt != k->snd_una)
				return;
		}
		send_ack(c, k, "tcp_rcv_synsent_state_process(): 3rd ACK");
		return;
	}
	if (s->flags & TM_RST)
		return;			/* RST without ACK in SYN_SENT: dropped */
	if (s->flags & TM_SYN) {
		struct tm_seg out;

		/* Crossed SYNs: SYN_RECV, SYN-ACK with the same ISN (Part B #15). */
		k->irs = s->seq;
		k->rcv_nxt = s->seq + 1;
		k->snd_wnd = s->wnd;
		options_from_peer(c, k, s);
		set_state(c, k, TM_SYN_RECV, TM_E_SYN, "tcp_rcv_synsent_state_process(): crossed SYNs");
		conn_seg(c, k, &out, k->iss, TM_SYN | TM_ACK, 0);
		emit_seg(c, TM_OBJ_FULL, k->id, &out, false, "tcp_send_synack()");
	}
}

static bool
seq_acceptable(const struct tm_conn *k, const struct tm_seg *s)
{
	tm_seq end = s->seq + tm_seg_seqlen(s);

	/* tcp_sequence(): !before(end_seq, rcv_wup) && !after(seq, rcv_nxt + wnd). */
	return TM_SEQ_GEQ(end, k->rcv_nxt) && !TM_SEQ_GT(s->seq, k->rcv_nxt + k->rcv_wnd);
}

/* Linux's tcp_validate_incoming(): steps 1-4.  Returns false to discard. */
static bool
validate_incoming(struct ctx *c, struct tm_conn *k, const struct tm_seg *s)
{
	/* PAWS (RFC 7323 5): an old TSval is dropped, except an RST. */
	if (k->has_ts && s->has_ts && k->ts_recent_stamp &&
	    (int32_t)(s->tsval - k->ts_recent) < 0 && !(s->flags & TM_RST)) {
		count(c, TM_C_PAWS_ESTAB);
		if (s->flags & TM_SYN)
			goto syn_challenge;
		if (!oow_limited(c, &k->last_oow_ack))
			send_ack(c, k, "tcp_validate_incoming(): PAWS, duplicate ACK");
		return false;
	}
	/* Step 1: sequence number. */
	if (!seq_acceptable(k, s)) {
		if (!(s->flags & TM_RST)) {
			if (s->flags & TM_SYN)
				goto syn_challenge;
			if (!oow_limited(c, &k->last_oow_ack))
				send_ack(c, k, "tcp_validate_incoming(): out of window, duplicate ACK");
		} else if (s->seq == k->rcv_nxt - 1 && (k->state == TM_CLOSE_WAIT ||
		    k->state == TM_LAST_ACK || k->state == TM_CLOSING)) {
			conn_reset(c, k, TM_E_RST, "tcp_reset_check(): RST at RCV.NXT-1 after FIN");
		}
		return false;
	}
	/* Step 2: RST. */
	if (s->flags & TM_RST) {
		if (s->seq == k->rcv_nxt || !c->p->rfc5961) {
			conn_reset(c, k, TM_E_RST, "tcp_validate_incoming(): RST at RCV.NXT");
			return false;
		}
		challenge_ack(c, k, "RFC 5961 3.2: in-window RST, challenge ACK");
		return false;
	}
	/* Step 4: SYN in a synchronized state. */
	if (s->flags & TM_SYN) {
		if (k->state == TM_SYN_RECV && (s->flags & TM_ACK) && s->seq + 1 == k->rcv_nxt &&
		    s->ack == k->snd_nxt)
			return true;	/* simultaneous open: the peer's SYN-ACK */
syn_challenge:
		if (!c->p->rfc5961) {
			/* RFC 9293 base rule: in-window SYN -> RST, connection aborted. */
			active_reset(c, k, "RFC 9293 3.10.7.4: SYN in window");
			conn_reset(c, k, TM_E_RST, "RFC 9293 3.10.7.4: SYN in window");
			return false;
		}
		count(c, TM_C_SYN_CHALLENGE);
		challenge_ack(c, k, "RFC 5961 4.2: SYN in a synchronized state, challenge ACK");
		return false;
	}
	return true;
}

/* tcp_ack(): step 5.  Returns -1 to discard, 0 to go on. */
static int
conn_ack(struct ctx *c, struct tm_conn *k, const struct tm_seg *s)
{
	uint32_t acked;

	if (TM_SEQ_GT(s->ack, k->snd_nxt)) {
		if (k->state == TM_SYN_RECV) {
			send_reset_for(c, s, TM_OBJ_FULL, k->id, "SYN_RECV: unacceptable ACK");
			return -1;
		}
		if (k->state != TM_ESTABLISHED)
			challenge_ack(c, k, "tcp_ack(): ACK of unsent data");
		return -1;
	}
	k->probes_out = 0;
	if (TM_SEQ_LT(s->ack, k->snd_una))
		return 0;		/* old ACK: nothing to do */
	k->snd_wnd = k->has_ws ? (uint32_t)s->wnd << k->snd_wscale : s->wnd;
	if (k->snd_wnd == 0)
		k->snd_wnd = k->snd_mss;
	acked = s->ack - k->snd_una;
	if (acked == 0)
		return 0;
	k->snd_una = s->ack;
	if (k->rtt_start && TM_SEQ_GEQ(s->ack, k->rtt_seq) && k->retransmits == 0)
		rtt_sample(c, k, c->now - k->rtt_start);
	if (k->rtt_start && TM_SEQ_GEQ(s->ack, k->rtt_seq))
		k->rtt_start = 0;
	k->retransmits = 0;
	k->backoff = 0;
	k->retrans_stamp = 0;
	k->head_sent = c->now;
	if (k->srtt == 0)
		k->rto = c->p->rto_init;
	if (k->snd_una == k->snd_nxt) {
		k->tlp_armed = false;
		timer_stop(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX);
	} else {
		xmit_timer(c, k);
	}
	return 0;
}

static bool
fin_acked(const struct tm_conn *k)
{
	return k->fin_sent && k->snd_una == k->snd_nxt;
}

/* tcp_rcv_state_process() for everything but LISTEN and SYN_SENT. */
static void
conn_rcv(struct ctx *c, struct tm_conn *k, const struct tm_seg *s)
{
	tm_time tmo;
	uint32_t id = k->id;

	if (k->state == TM_SYN_SENT) {
		synsent_rcv(c, k, s);
		return;
	}
	if (!(s->flags & (TM_ACK | TM_RST | TM_SYN)))
		return;
	if (!validate_incoming(c, k, s))
		return;
	if (k->id != id || k->state == TM_CLOSE)
		return;
	k->last_rcv = c->now;
	if (k->has_ts && s->has_ts && TM_SEQ_LEQ(s->seq, k->rcv_nxt)) {
		k->ts_recent = s->tsval;
		k->ts_recent_stamp = c->now ? c->now : 1;
	}
	/* Step 5: ACK. */
	if (!(s->flags & TM_ACK))
		return;
	if (conn_ack(c, k, s) < 0)
		return;
	switch (k->state) {
	case TM_SYN_RECV:
		if (TM_SEQ_LT(k->snd_una, k->iss + 1)) {
			send_reset_for(c, s, TM_OBJ_FULL, k->id, "SYN_RECV: unacceptable ACK");
			return;
		}
		set_state(c, k, TM_ESTABLISHED, (s->flags & TM_SYN) ? TM_E_SYNACK : TM_E_ACK,
		    "tcp_rcv_state_process(): SYN_RECV, our SYN-ACK acknowledged");
		if (!k->from_listener)
			app_result(c, k->id, TM_CALL_CONNECT, 0, 0, "connect() completes (simultaneous open)");
		if (s->flags & TM_SYN) {
			/* The peer's SYN-ACK is old data now: ACK it (with a D-SACK). */
			k->dsack[0] = s->seq;
			k->dsack[1] = s->seq + 1;
			k->dsack_pending = k->has_sack;
			send_ack(c, k, "simultaneous open: ACK of the peer's SYN-ACK");
		}
		break;
	case TM_FIN_WAIT1:
		if (!fin_acked(k))
			break;
		set_state(c, k, TM_FIN_WAIT2, TM_E_ACK, "tcp_rcv_state_process(): our FIN acknowledged");
		if (!k->orphan || !c->p->orphan_fin_wait2)
			break;
		if (k->opt.linger2_s < 0) {
			count(c, TM_C_ABORT_ON_DATA);
			send_reset_for(c, s, TM_OBJ_FULL, k->id, "TCP_LINGER2 < 0");
			conn_done(c, k, TM_E_CLOSE, "TCP_LINGER2 < 0: no FIN_WAIT2");
			return;
		}
		if (s->len > 0 && TM_SEQ_GT(s->seq + s->len, k->rcv_nxt)) {
			count(c, TM_C_ABORT_ON_DATA);
			send_reset_for(c, s, TM_OBJ_FULL, k->id, "data after close()");
			conn_done(c, k, TM_E_DATA, "new data after close(): TCPAbortOnData");
			return;
		}
		tmo = tm_fin_time(c->p, k->opt.linger2_s, k->rto);
		if (tmo > c->p->timewait_len) {
			keepalive_arm(c, k, tmo - c->p->timewait_len);
		} else if (s->flags & TM_FIN) {
			keepalive_arm(c, k, tmo);
		} else {
			enter_timewait(c, k, TM_FIN_WAIT2, tmo, TM_E_ACK);
			return;
		}
		break;
	case TM_CLOSING:
		if (fin_acked(k)) {
			enter_timewait(c, k, TM_TIME_WAIT, 0, TM_E_ACK);
			return;
		}
		break;
	case TM_LAST_ACK:
		if (fin_acked(k)) {
			conn_done(c, k, TM_E_ACK, "tcp_rcv_state_process(): LAST_ACK, FIN acknowledged");
			return;
		}
		break;
	default:
		break;
	}
	/* Step 7: text. */
	switch (k->state) {
	case TM_CLOSE_WAIT:
	case TM_CLOSING:
	case TM_LAST_ACK:
		if (!TM_SEQ_LT(s->seq, k->rcv_nxt))
			break;
		/* FALLTHROUGH */
	case TM_FIN_WAIT1:
	case TM_FIN_WAIT2:
		if (k->shut_rd && s->len > 0 && TM_SEQ_GT(s->seq + s->len, k->rcv_nxt)) {
			/* RFC 1122 4.2.2.13: data after close() -> RST. */
			count(c, TM_C_ABORT_ON_DATA);
			send_reset_for(c, s, TM_OBJ_FULL, k->id, "tcp_rcv_state_process(): data after close()");
			conn_error(c, k, ECONNRESET, "data after close()");
			conn_done(c, k, TM_E_DATA, "new data after close(): TCPAbortOnData");
			return;
		}
		/* FALLTHROUGH */
	case TM_ESTABLISHED:
		data_queue(c, k, s);
		break;
	default:
		break;
	}
	if (k->id != id || k->state == TM_CLOSE)
		return;
	push(c, k);
	ack_snd_check(c, k);
}

/* ---- Listener, request sockets (tcp_conn_request, tcp_check_req) ---- */

static struct tm_reqsk *
req_alloc(struct tm_host *h)
{
	uint32_t i;

	for (i = 0; i < h->nreqs; i++)
		if (h->reqs[i].id == 0) {
			if (i >= h->hw_reqs)
				h->hw_reqs = i + 1;
			memset(&h->reqs[i], 0, sizeof(h->reqs[i]));
			h->reqs[i].id = new_id(h);
			return &h->reqs[i];
		}
	return NULL;
}

static uint32_t
tuple_off(const struct ctx *c, const struct tm_addr *l, const struct tm_addr *r, uint16_t lp,
    uint16_t rp, uint64_t salt)
{
	uint64_t key[2] = { c->h->key[0] ^ salt, c->h->key[1] };
	uint8_t buf[36];

	memcpy(buf, &l->a, 16);
	memcpy(buf + 16, &r->a, 16);
	memcpy(buf + 32, &lp, 2);
	memcpy(buf + 34, &rp, 2);
	return (uint32_t)tm_siphash(key, buf, sizeof(buf));
}

/*
 * ISN and timestamp offset of a tuple from one keyed hash: the ISN is what
 * tm_isn() gives (low 32 bits + the clock), the offset the high 32 bits
 * (Linux derives both from per-tuple hashes, secure_tcp_seq_and_ts_off()).
 */
static tm_seq
isn_tsoff(const struct ctx *c, const struct tm_addr *l, const struct tm_addr *r, uint16_t lp,
    uint16_t rp, uint32_t *ts_off)
{
	uint8_t buf[36];
	uint64_t h, clock;

	memcpy(buf, &l->a, 16);
	memcpy(buf + 16, &r->a, 16);
	memcpy(buf + 32, &lp, 2);
	memcpy(buf + 34, &rp, 2);
	h = tm_siphash(c->h->key, buf, sizeof(buf));
	*ts_off = (uint32_t)(h >> 32);
	clock = c->p->isn_tick_ns ? c->now / c->p->isn_tick_ns : c->now >> c->p->isn_shift;
	return (tm_seq)((uint32_t)h + (uint32_t)clock);
}

/* cookie_v4_init_sequence(): the ISN is a MAC of the tuple and the peer's ISN. */
static tm_seq
cookie_isn(const struct ctx *c, const struct tm_seg *syn)
{
	return tuple_off(c, &syn->dst, &syn->src, syn->dport, syn->sport,
	    0x636f6f6b6965ull ^ syn->seq) + (tm_seq)(c->now / TM_SEC(60));
}

static bool
cookie_valid(const struct ctx *c, const struct tm_seg *ack)
{
	tm_seq peer_isn = ack->seq - 1;
	tm_seq base = tuple_off(c, &ack->dst, &ack->src, ack->dport, ack->sport,
	    0x636f6f6b6965ull ^ peer_isn);
	tm_seq d = (ack->ack - 1) - base;
	tm_seq now_tick = (tm_seq)(c->now / TM_SEC(60));

	/* tcp_cookie_time() counts minutes; a cookie is valid for MAX_SYNCOOKIE_AGE (2) of them. */
	return TM_SEQ_LEQ(d, now_tick) && now_tick - d <= 2;
}

static void
synack_seg(struct ctx *c, const struct tm_reqsk *r, struct tm_seg *s)
{
	seg_init(s, &r->laddr, &r->raddr, r->lport, r->rport, r->iss, r->irs + 1, TM_SYN | TM_ACK);
	s->wnd = c->p->rcv_wnd > 65535 ? 65535 : (uint16_t)c->p->rcv_wnd;
	s->has_mss = true;
	s->mss = c->p->mss;
	s->has_ts = r->has_ts;
	s->sack_ok = r->has_sack;
	s->has_wscale = r->has_ws;
	s->wscale = c->p->wscale;
	if (s->has_ts) {
		s->tsval = ts_now(c, r->ts_off);
		s->tsecr = r->ts_recent;
	}
}

static void
child_in_queue(struct ctx *c, struct tm_conn *l, struct tm_conn *k)
{
	k->from_listener = true;
	k->parent = l->id;
	k->acq_order = ++c->h->acq_counter;
	l->ack_backlog++;
	count(c, TM_C_PASSIVE_OPENS);
}

static void
child_init(struct ctx *c, struct tm_conn *k, const struct tm_seg *s, tm_seq iss, tm_seq irs)
{
	k->laddr = s->dst;
	k->raddr = s->src;
	k->lport = s->dport;
	k->rport = s->sport;
	k->iss = iss;
	k->irs = irs;
	k->snd_una = k->snd_nxt = k->write_seq = iss + 1;
	k->rcv_nxt = irs + 1;
	k->rcv_wnd = c->p->rcv_wnd;
	k->snd_wnd = s->wnd;
	k->snd_mss = c->p->mss;
	k->rto = c->p->rto_init;
	k->quick = c->p->quickacks;
	k->last_rcv = c->now;
}

static void
listener_syn(struct ctx *c, struct tm_conn *l, const struct tm_seg *s, tm_seq tw_isn, bool from_tw)
{
	const struct tm_profile *p = c->p;
	struct tm_reqsk *r;
	struct tm_seg out;
	bool want_cookie = false;

	if (p->queue_limits && !from_tw) {
		if (p->syncookies == 2 || l->qlen > l->backlog) {
			/* tcp_syn_flood_action() */
			if (p->syncookies) {
				want_cookie = true;
				count(c, TM_C_REQQ_FULL_DO_COOKIES);
			} else {
				count(c, TM_C_REQQ_FULL_DROP);
				count(c, TM_C_LISTEN_DROPS);
				return;
			}
		}
	}
	if (p->queue_limits && l->ack_backlog > l->backlog) {
		/* sk_acceptq_is_full(): the SYN is dropped (Part B #8). */
		count(c, TM_C_LISTEN_OVERFLOWS);
		count(c, TM_C_LISTEN_DROPS);
		return;
	}
	if (p->queue_limits && !want_cookie && !from_tw && !p->syncookies &&
	    p->max_syn_backlog - l->qlen < (p->max_syn_backlog >> 2)) {
		count(c, TM_C_LISTEN_DROPS);
		return;
	}
	if (want_cookie) {
		struct tm_reqsk tmp;

		memset(&tmp, 0, sizeof(tmp));
		tmp.laddr = s->dst;
		tmp.raddr = s->src;
		tmp.lport = s->dport;
		tmp.rport = s->sport;
		tmp.irs = s->seq;
		tmp.iss = cookie_isn(c, s);
		/* No timestamps in the SYN: the cookie keeps only the MSS (T6). */
		tmp.has_ts = s->has_ts && p->timestamps;
		tmp.has_sack = tmp.has_ts && s->sack_ok && p->sack;
		tmp.has_ws = tmp.has_ts && s->has_wscale && p->window_scaling;
		tmp.ts_recent = s->tsval;
		synack_seg(c, &tmp, &out);
		l->last_overflow = c->now ? c->now : 1;
		count(c, TM_C_SYNCOOKIES_SENT);
		emit_seg(c, TM_OBJ_FULL, l->id, &out, false,
		    "tcp_conn_request(): syncookie SYN-ACK, no request kept, never retransmitted");
		return;
	}
	if ((r = req_alloc(c->h)) == NULL) {
		count(c, TM_C_LISTEN_DROPS);
		return;
	}
	r->listener = l->id;
	r->laddr = s->dst;
	r->raddr = s->src;
	r->lport = s->dport;
	r->rport = s->sport;
	r->irs = s->seq;
	r->iss = isn_tsoff(c, &s->dst, &s->src, s->dport, s->sport, &r->ts_off);
	if (from_tw)
		r->iss = tw_isn;
	r->has_ts = s->has_ts && p->timestamps;
	r->has_sack = s->sack_ok && p->sack;
	r->has_ws = s->has_wscale && p->window_scaling;
	r->peer_mss = s->has_mss ? s->mss : 536;
	r->peer_wscale = s->has_wscale ? (s->wscale > 14 ? 14 : s->wscale) : 0;
	r->ts_recent = s->tsval;
	r->born = c->now;
	l->qlen++;
	l->young++;
	if (p->minisocks)
		report(c, TM_OBJ_REQ, r->id, TM_ST_NONE, TM_NEW_SYN_RECV, TM_E_SYN,
		    from_tw ? "tcp_conn_request(): SYN from TIME_WAIT, ISN = tw_snd_nxt + 65537" :
		    "tcp_conn_request(): request socket (ss: SYN-RECV)");
	else
		report(c, TM_OBJ_FULL, r->id, TM_LISTEN, TM_SYN_RECV, TM_E_SYN,
		    "RFC 9293 3.10.7.2: SYN in LISTEN");
	synack_seg(c, r, &out);
	emit_seg(c, p->minisocks ? TM_OBJ_REQ : TM_OBJ_FULL, r->id, &out, false, "tcp_v4_send_synack()");
	r->deadline = c->now + p->rto_init;
	{
		struct tm_effect *fx = fx_new(c, TM_FX_TIMER_SET,
		    p->minisocks ? TM_OBJ_REQ : TM_OBJ_FULL, r->id, NULL);

		fx->u.tmr.timer = TM_T_SYNACK;
		fx->u.tmr.expires = r->deadline;
	}
}

static void req_drop(struct ctx *c, struct tm_conn *l, struct tm_reqsk *r, enum tm_event_id ev,
    const char *why);

/* Make the full socket for a completed handshake; NULL when the accept queue is full. */
static struct tm_conn *
syn_recv_sock(struct ctx *c, struct tm_conn *l, const struct tm_seg *s, uint32_t id, tm_seq iss,
    tm_seq irs)
{
	struct tm_conn *k;

	if (c->p->queue_limits && l->ack_backlog > l->backlog) {
		count(c, TM_C_LISTEN_OVERFLOWS);
		count(c, TM_C_LISTEN_DROPS);
		return NULL;
	}
	if ((k = conn_alloc(c->h, id)) == NULL) {
		count(c, TM_C_LISTEN_DROPS);
		return NULL;
	}
	k->state = TM_SYN_RECV;
	child_init(c, k, s, iss, irs);
	return k;
}

static void
listener_rcv(struct ctx *c, struct tm_conn *l, const struct tm_seg *s, tm_seq tw_isn, bool from_tw)
{
	struct tm_conn *k;

	if (s->flags & TM_RST)
		return;
	if (s->flags & TM_ACK) {
		bool check = c->p->syncookies == 2 || (c->p->syncookies == 1 && l->last_overflow &&
		    c->now - l->last_overflow < TM_SEC(120));

		if (check && !(s->flags & (TM_SYN | TM_RST))) {
			if (!cookie_valid(c, s)) {
				count(c, TM_C_SYNCOOKIES_FAILED);
			} else {
				count(c, TM_C_SYNCOOKIES_RECV);
				if ((k = syn_recv_sock(c, l, s, 0, s->ack - 1, s->seq - 1)) == NULL)
					return;
				k->has_ts = s->has_ts && c->p->timestamps;
				isn_tsoff(c, &k->laddr, &k->raddr, k->lport, k->rport, &k->ts_off);
				if (k->has_ts) {
					k->ts_recent = s->tsval;
					k->ts_recent_stamp = c->now ? c->now : 1;
				}
				report(c, TM_OBJ_FULL, k->id, TM_LISTEN, TM_SYN_RECV, TM_E_COOKIE_ACK,
				    "cookie_v4_check(): valid syncookie, child created");
				set_state(c, k, TM_ESTABLISHED, TM_E_COOKIE_ACK, "tcp_child_process()");
				child_in_queue(c, l, k);
				if (s->len > 0 || (s->flags & TM_FIN))
					conn_rcv(c, k, s);
				return;
			}
		}
		/* tcp_rcv_state_process() LISTEN: an ACK -> RST (no socket). */
		send_reset_for(c, s, TM_OBJ_FULL, l->id, "LISTEN: ACK without a request, reset");
		return;
	}
	if (s->flags & TM_SYN)
		listener_syn(c, l, s, tw_isn, from_tw);
}

static void
req_drop(struct ctx *c, struct tm_conn *l, struct tm_reqsk *r, enum tm_event_id ev, const char *why)
{
	if (c->p->minisocks)
		report(c, TM_OBJ_REQ, r->id, TM_NEW_SYN_RECV, TM_CLOSE, ev, why);
	else
		report(c, TM_OBJ_FULL, r->id, TM_SYN_RECV, TM_CLOSE, ev, why);
	if (l != NULL) {
		l->qlen--;
		if (r->num_timeout == 0)
			l->young--;
	}
	r->id = 0;
}

/* tcp_in_window() of tcp_minisocks.c */
static bool
in_window(tm_seq seq, tm_seq end, tm_seq s_win, tm_seq e_win)
{
	if (seq == s_win)
		return true;
	if (TM_SEQ_GT(end, s_win) && TM_SEQ_LT(seq, e_win))
		return true;
	return seq == e_win && seq == end;
}

static void
req_send_ack(struct ctx *c, struct tm_reqsk *r, const char *why)
{
	struct tm_seg s;

	if (oow_limited(c, &r->last_oow_ack))
		return;
	seg_init(&s, &r->laddr, &r->raddr, r->lport, r->rport, r->iss + 1, r->irs + 1, TM_ACK);
	s.wnd = c->p->rcv_wnd > 65535 ? 65535 : (uint16_t)c->p->rcv_wnd;
	emit_seg(c, TM_OBJ_REQ, r->id, &s, false, why);
}

/* tcp_check_req() */
static void
req_rcv(struct ctx *c, struct tm_reqsk *r, const struct tm_seg *s)
{
	struct tm_conn *l = tm_host_conn(c->h, r->listener);
	struct tm_conn *k;
	struct tm_seg out;
	tm_seq end = s->seq + tm_seg_seqlen(s);
	uint8_t flg = s->flags & (TM_SYN | TM_RST | TM_ACK);
	uint32_t id = r->id;

	if (l == NULL || l->state != TM_LISTEN) {
		req_drop(c, NULL, r, TM_E_LISTEN_STOP, "listener gone");
		return;
	}
	if (s->seq == r->irs && flg == TM_SYN) {
		/* A retransmitted SYN: repeat the SYN-ACK (rate-limited). */
		if (!oow_limited(c, &r->last_oow_ack)) {
			synack_seg(c, r, &out);
			emit_seg(c, TM_OBJ_REQ, r->id, &out, true, "tcp_check_req(): SYN retransmitted, SYN-ACK again");
		}
		return;
	}
	if ((flg & TM_ACK) && s->ack != r->iss + 1) {
		send_reset_for(c, s, TM_OBJ_FULL, l->id, "tcp_check_req(): bad ACK, reset by the listener");
		return;
	}
	if (!in_window(s->seq, end, r->irs + 1, r->irs + 1 + c->p->rcv_wnd)) {
		if (!(flg & TM_RST))
			req_send_ack(c, r, "tcp_check_req(): out of window");
		return;
	}
	if (s->seq == r->irs)
		flg &= (uint8_t)~TM_SYN;
	if (flg & TM_RST) {
		if (s->seq != r->irs + 1 && c->p->rfc5961) {
			req_send_ack(c, r, "tcp_reqsk_send_challenge_ack(): RST not at RCV.NXT");
			return;
		}
		count(c, TM_C_ATTEMPT_FAILS);
		req_drop(c, l, r, TM_E_RST, "tcp_check_req(): embryonic reset");
		return;
	}
	if (flg & TM_SYN) {
		count(c, TM_C_ATTEMPT_FAILS);
		send_reset_for(c, s, TM_OBJ_REQ, r->id, "tcp_check_req(): SYN in window, embryonic reset");
		req_drop(c, l, r, TM_E_SYN, "tcp_check_req(): embryonic reset");
		return;
	}
	if (!(flg & TM_ACK))
		return;
	k = syn_recv_sock(c, l, s, id, r->iss, r->irs);
	if (k == NULL) {
		/* listen_overflow: (Part B #8, lab T2). */
		if (c->p->abort_on_overflow) {
			send_reset_for(c, s, TM_OBJ_REQ, id, "tcp_abort_on_overflow=1: accept queue full");
			req_drop(c, l, r, TM_E_RST, "tcp_abort_on_overflow=1: request removed");
			return;
		}
		r->acked = true;
		return;
	}
	k->has_ts = r->has_ts;
	k->has_sack = r->has_sack;
	k->has_ws = r->has_ws;
	k->snd_mss = r->peer_mss < c->p->mss ? r->peer_mss : c->p->mss;
	k->snd_wscale = r->peer_wscale;
	k->snd_wnd = k->has_ws ? (uint32_t)s->wnd << k->snd_wscale : s->wnd;
	k->ts_off = r->ts_off;
	if (k->has_ts) {
		k->ts_recent = s->has_ts ? s->tsval : r->ts_recent;
		k->ts_recent_stamp = c->now ? c->now : 1;
	}
	if (r->num_timeout == 0)
		rtt_sample(c, k, c->now - r->born);
	if (c->p->minisocks) {
		report(c, TM_OBJ_FULL, k->id, TM_LISTEN, TM_SYN_RECV, TM_E_ACK,
		    "inet_csk_clone_lock(): child born at the 3rd ACK");
		req_drop(c, l, r, TM_E_ACK, "tcp_check_req(): request replaced by the child");
	} else {
		l->qlen--;
		if (r->num_timeout == 0)
			l->young--;
		r->id = 0;
	}
	set_state(c, k, TM_ESTABLISHED, TM_E_ACK, "tcp_rcv_state_process(): SYN_RECV -> ESTABLISHED");
	child_in_queue(c, l, k);
	if (s->len > 0 || (s->flags & TM_FIN))
		conn_rcv(c, k, s);
}

/* ---- Timewait sockets (tcp_timewait_state_process) ---- */

static void
tw_report(struct ctx *c, struct tm_twsk *tw, enum tm_state to, enum tm_event_id ev, const char *why)
{
	if (c->p->minisocks)
		report(c, TM_OBJ_TW, tw->id, tw->substate, to, ev, why);
	else
		report(c, TM_OBJ_FULL, tw->id, TM_TIME_WAIT, to, ev, why);
}

static void
tw_kill(struct ctx *c, struct tm_twsk *tw, enum tm_event_id ev, const char *why)
{
	tw_report(c, tw, TM_CLOSE, ev, why);
	tw_free(c, tw);
}

static void
tw_rearm(struct ctx *c, struct tm_twsk *tw, tm_time len)
{
	struct tm_effect *fx;

	tw->deadline = c->now + len;
	fx = fx_new(c, TM_FX_TIMER_SET, c->p->minisocks ? TM_OBJ_TW : TM_OBJ_FULL, tw->id,
	    "inet_twsk_reschedule()");
	fx->u.tmr.timer = TM_T_TW;
	fx->u.tmr.expires = tw->deadline;
}

static void
tw_ack(struct ctx *c, struct tm_twsk *tw, const char *why)
{
	struct tm_seg s;

	/* tcp_v4_timewait_ack() */
	seg_init(&s, &tw->laddr, &tw->raddr, tw->lport, tw->rport, tw->snd_nxt, tw->rcv_nxt, TM_ACK);
	s.wnd = tw->rcv_wnd >> c->p->wscale;
	if (tw->has_ts) {
		s.has_ts = true;
		s.tsval = ts_now(c, tw->ts_off);
		s.tsecr = tw->ts_recent;
	}
	emit_seg(c, c->p->minisocks ? TM_OBJ_TW : TM_OBJ_FULL, tw->id, &s, false, why);
}

static struct tm_conn *find_listener(struct tm_host *h, const struct tm_addr *a, uint16_t port);

static void
tw_rcv(struct ctx *c, struct tm_twsk *tw, const struct tm_seg *s)
{
	tm_seq end = s->seq + tm_seg_seqlen(s);
	bool paws = tw->has_ts && s->has_ts && (int32_t)(s->tsval - tw->ts_recent) < 0 &&
	    !(s->flags & TM_RST);
	struct tm_conn *l;
	tm_seq isn;

	if (tw->substate == TM_FIN_WAIT2) {
		if (paws || !in_window(s->seq, end, tw->rcv_nxt, tw->rcv_nxt + tw->rcv_wnd)) {
			if (!oow_limited(c, &tw->last_oow_ack))
				tw_ack(c, tw, "FIN_WAIT2 substate: out of window");
			return;
		}
		if (s->flags & TM_RST) {
			tw_kill(c, tw, TM_E_RST, "tcp_timewait_state_process(): RST in the FIN_WAIT2 substate");
			return;
		}
		if ((s->flags & TM_SYN) && TM_SEQ_GEQ(s->seq, tw->rcv_nxt)) {
			send_reset_for(c, s, TM_OBJ_TW, tw->id, "TCP_TW_RST: SYN in the FIN_WAIT2 substate");
			tw_kill(c, tw, TM_E_SYN, "TCP_TW_RST");
			return;
		}
		if (!(s->flags & TM_ACK) || !TM_SEQ_GT(end, tw->rcv_nxt) || end == s->seq)
			return;		/* a duplicate ACK */
		if (!(s->flags & TM_FIN) || end != tw->rcv_nxt + 1) {
			send_reset_for(c, s, TM_OBJ_TW, tw->id, "TCP_TW_RST: new data after close()");
			tw_kill(c, tw, TM_E_DATA, "TCP_TW_RST: new data after close()");
			return;
		}
		tw->rcv_nxt = end;
		tw_report(c, tw, TM_TIME_WAIT, TM_E_FIN, "FIN in the FIN_WAIT2 substate: real TIME_WAIT");
		tw->substate = TM_TIME_WAIT;
		tw_rearm(c, tw, c->p->timewait_len);
		tw_ack(c, tw, "TCP_TW_ACK");
		return;
	}
	/* Real TIME_WAIT. */
	if (!paws && s->seq == tw->rcv_nxt && (s->seq == end || (s->flags & TM_RST))) {
		if (s->flags & TM_RST) {
			if (!c->p->rfc1337) {
				count(c, TM_C_TW_KILLED);
				tw_kill(c, tw, TM_E_RST, "TIME_WAIT assassination: RST at RCV.NXT, tcp_rfc1337=0");
			}
			return;
		}
		tw_rearm(c, tw, c->p->timewait_len);
		return;
	}
	if ((s->flags & TM_SYN) && !(s->flags & (TM_RST | TM_ACK)) && !paws && c->p->tw_syn_reopen &&
	    (TM_SEQ_GT(s->seq, tw->rcv_nxt) || (s->has_ts && tw->has_ts &&
	    (int32_t)(tw->ts_recent - s->tsval) < 0))) {
		isn = tw->snd_nxt + 65535 + 2;
		if (isn == 0)
			isn++;
		l = find_listener(c->h, &tw->laddr, tw->lport);
		if (l != NULL) {
			tw_kill(c, tw, TM_E_TW_SYN, "TCP_TW_SYN: a newer SYN reopens the tuple");
			listener_rcv(c, l, s, isn, true);
			return;
		}
		tw_ack(c, tw, "TCP_TW_SYN without a listener: ACK");
		return;
	}
	if (paws)
		count(c, TM_C_PAWS_ESTAB);
	if (!(s->flags & TM_RST)) {
		if (paws || (s->flags & TM_ACK))
			tw_rearm(c, tw, c->p->timewait_len);
		if (oow_limited(c, &tw->last_oow_ack)) {
			count(c, TM_C_ACK_SKIPPED_TW);
			return;
		}
		tw_ack(c, tw, (s->flags & TM_FIN) ? "TIME_WAIT: retransmitted FIN, ACK again and re-arm 60 s" :
		    "TIME_WAIT: out-of-window segment, ACK");
		return;
	}
	/* Other RSTs are ignored. */
}

/* ---- Demux ---- */

static struct tm_conn *
find_conn(struct tm_host *h, const struct tm_seg *s)
{
	uint32_t i;

	for (i = 0; i < h->hw_conns; i++) {
		struct tm_conn *k = &h->conns[i];

		if (k->id && k->state != TM_LISTEN && k->state != TM_CLOSE && k->lport == s->dport &&
		    k->rport == s->sport && addr_eq(&k->raddr, &s->src))
			return k;
	}
	return NULL;
}

static struct tm_twsk *
find_tw(struct tm_host *h, const struct tm_addr *raddr, uint16_t lport, uint16_t rport)
{
	uint32_t i;

	for (i = 0; i < h->hw_tws; i++) {
		struct tm_twsk *tw = &h->tws[i];

		if (tw->id && tw->lport == lport && tw->rport == rport && addr_eq(&tw->raddr, raddr))
			return tw;
	}
	return NULL;
}

static struct tm_reqsk *
find_req(struct tm_host *h, const struct tm_seg *s)
{
	uint32_t i;

	for (i = 0; i < h->hw_reqs; i++) {
		struct tm_reqsk *r = &h->reqs[i];

		if (r->id && r->lport == s->dport && r->rport == s->sport && addr_eq(&r->raddr, &s->src))
			return r;
	}
	return NULL;
}

static struct tm_conn *
find_listener(struct tm_host *h, const struct tm_addr *a, uint16_t port)
{
	uint32_t i;

	for (i = 0; i < h->hw_conns; i++) {
		struct tm_conn *k = &h->conns[i];

		if (k->id && k->state == TM_LISTEN && k->lport == port &&
		    (addr_any(&k->laddr) || addr_eq(&k->laddr, a)))
			return k;
	}
	return NULL;
}

static void
seg_arrives(struct ctx *c, const struct tm_seg *s)
{
	struct tm_conn *k;
	struct tm_twsk *tw;
	struct tm_reqsk *r;

	if ((k = find_conn(c->h, s)) != NULL) {
		conn_rcv(c, k, s);
		return;
	}
	if ((tw = find_tw(c->h, &s->src, s->dport, s->sport)) != NULL) {
		tw_rcv(c, tw, s);
		return;
	}
	if ((r = find_req(c->h, s)) != NULL) {
		req_rcv(c, r, s);
		return;
	}
	if ((k = find_listener(c->h, &s->dst, s->dport)) != NULL) {
		listener_rcv(c, k, s, 0, false);
		return;
	}
	/* tcp_v4_send_reset(): no socket (reason NO_SOCKET). */
	send_reset_for(c, s, TM_OBJ_FULL, 0, "no socket: reset");
}

/* ---- Timers ---- */

/*
 * tcp_send_loss_probe(): retransmit the last segment once, then the RTO
 * from now (tcp_rearm_rto()).  Not a timeout: no backoff, no retry count.
 */
static void
tail_loss_probe(struct ctx *c, struct tm_conn *k)
{
	struct tm_seg s;
	uint32_t data = k->snd_nxt - k->snd_una - (k->fin_sent ? 1 : 0), last;

	k->tlp_armed = false;
	if (k->fin_sent) {
		conn_seg(c, k, &s, k->snd_nxt - 1, TM_FIN | TM_ACK, 0);
		if (data == 0)
			k->head_sent = c->now;
	} else {
		last = data % k->snd_mss ? data % k->snd_mss : k->snd_mss;
		if (last > data)
			last = data;
		conn_seg(c, k, &s, k->snd_nxt - last, TM_ACK | TM_PSH, last);
		if (last == data)
			k->head_sent = c->now;
	}
	count(c, TM_C_LOSS_PROBES);
	emit_seg(c, TM_OBJ_FULL, k->id, &s, true, "tcp_send_loss_probe(): tail loss probe");
	conn_clear_ack(c, k);
	rtx_arm(c, k);
}

/* tcp_retransmit_timer() and tcp_write_timeout() */
static void
conn_rtx_timer(struct ctx *c, struct tm_conn *k)
{
	const struct tm_profile *p = c->p;
	struct tm_seg s;
	bool expired = false;
	tm_time tmo;
	uint32_t len;

	if (k->snd_una == k->snd_nxt && k->state != TM_SYN_SENT && k->state != TM_SYN_RECV)
		return;
	if (k->tlp_armed) {
		tail_loss_probe(c, k);
		return;
	}
	if (k->state == TM_SYN_SENT || k->state == TM_SYN_RECV) {
		/* The one SYN schedule (state.c): count, then time since retrans_stamp. */
		expired = tm_syn_expired(p, k->opt.syncnt, k->state == TM_SYN_SENT, k->retransmits,
		    c->now - k->retrans_stamp, k->opt.user_timeout);
	} else if (k->retransmits > 0) {
		int retries = p->retries2;

		if (k->orphan)
			retries = p->orphan_retries == 0 ? 8 : p->orphan_retries;
		tmo = k->opt.user_timeout ? k->opt.user_timeout :
		    tm_retries_timeout(p, retries, p->rto_min);
		expired = c->now - k->retrans_stamp >= tmo;
	}
	if (expired) {
		if (k->state == TM_SYN_SENT)
			count(c, TM_C_ATTEMPT_FAILS);
		else
			count(c, TM_C_ABORT_ON_TIMEOUT);
		if (k->state == TM_ESTABLISHED || k->state == TM_CLOSE_WAIT)
			count(c, TM_C_ESTAB_RESETS);
		conn_error(c, k, ETIMEDOUT, "tcp_write_timeout(): retries exhausted");
		conn_done(c, k, TM_E_TMR_RTX, "tcp_write_err(): ETIMEDOUT");
		return;
	}
	/* tcp_connect() already stamped SYN_SENT with the first SYN (time 0 is a time). */
	if (k->retransmits == 0 && k->state != TM_SYN_SENT)
		k->retrans_stamp = k->head_sent ? k->head_sent : c->now;
	count(c, TM_C_TIMEOUTS);
	switch (k->state) {
	case TM_SYN_SENT:
		conn_seg(c, k, &s, k->iss, TM_SYN, 0);
		count(c, TM_C_SYN_RETRANS);
		emit_seg(c, TM_OBJ_FULL, k->id, &s, true, "tcp_retransmit_timer(): SYN");
		break;
	case TM_SYN_RECV:
		conn_seg(c, k, &s, k->iss, TM_SYN | TM_ACK, 0);
		emit_seg(c, TM_OBJ_FULL, k->id, &s, true, "tcp_retransmit_timer(): SYN-ACK");
		break;
	default:
		len = k->snd_nxt - k->snd_una - (k->fin_sent ? 1 : 0);
		if (len > k->snd_mss)
			len = k->snd_mss;
		if (len > 0)
			conn_seg(c, k, &s, k->snd_una, TM_ACK | TM_PSH, len);
		else
			conn_seg(c, k, &s, k->snd_una, TM_FIN | TM_ACK, 0);
		emit_seg(c, TM_OBJ_FULL, k->id, &s, true, "tcp_retransmit_timer()");
		conn_clear_ack(c, k);
		break;
	}
	k->retransmits++;
	k->total_rto++;
	k->rtt_start = 0;	/* Karn */
	if (k->state == TM_SYN_SENT || k->state == TM_SYN_RECV) {
		tm_time next = tm_syn_next_rto(p, k->state == TM_SYN_SENT, k->total_rto, k->rto);

		if (next != k->rto)
			k->backoff++;
		k->rto = next;		/* linear phase first in SYN_SENT (Part B #7) */
	} else {
		k->backoff++;
		k->rto = k->rto << 1 > p->rto_max ? p->rto_max : k->rto << 1;
	}
	tmo = k->rto;
	if (k->opt.user_timeout) {
		/* tcp_clamp_rto_to_user_timeout(): fire when the user timeout is up. */
		tm_time el = c->now - k->retrans_stamp;

		if (el >= k->opt.user_timeout)
			tmo = TM_MS(4);
		else if (k->opt.user_timeout - el < tmo)
			tmo = k->opt.user_timeout - el;
	}
	timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX, tmo);
}

/* tcp_keepalive_timer() */
static void
conn_keepalive_timer(struct ctx *c, struct tm_conn *k)
{
	struct tm_seg s;
	tm_time elapsed, tmo;

	if (k->state == TM_FIN_WAIT2 && k->orphan && c->p->orphan_fin_wait2) {
		if (k->opt.linger2_s >= 0) {
			tmo = tm_fin_time(c->p, k->opt.linger2_s, k->rto);
			if (tmo > c->p->timewait_len) {
				enter_timewait(c, k, TM_FIN_WAIT2, tmo - c->p->timewait_len, TM_E_TMR_KEEPALIVE);
				return;
			}
		}
		active_reset(c, k, "tcp_keepalive_timer(): orphan FIN_WAIT2");
		conn_done(c, k, TM_E_TMR_KEEPALIVE, "tcp_keepalive_timer(): orphan FIN_WAIT2");
		return;
	}
	if (!k->opt.keepalive || k->state == TM_CLOSE || k->state == TM_SYN_SENT ||
	    k->state == TM_LISTEN)
		return;
	if (k->snd_una != k->snd_nxt || k->sndq > 0) {
		keepalive_arm(c, k, ka_time(c, k));
		return;
	}
	elapsed = c->now - k->last_rcv;
	if (elapsed >= ka_time(c, k)) {
		if ((k->opt.user_timeout && elapsed >= k->opt.user_timeout && k->probes_out > 0) ||
		    (!k->opt.user_timeout && (int)k->probes_out >= ka_probes(c, k))) {
			if (c->p->keepalive_rst)
				active_reset(c, k, "tcp_keepalive_timer(): reason TCP_KEEPALIVE_TIMEOUT");
			if (k->state == TM_ESTABLISHED || k->state == TM_CLOSE_WAIT)
				count(c, TM_C_ESTAB_RESETS);
			count(c, TM_C_ABORT_ON_TIMEOUT);
			conn_error(c, k, ETIMEDOUT, "keepalive: the peer is dead");
			conn_done(c, k, TM_E_TMR_KEEPALIVE, "tcp_keepalive_timer(): tcp_write_err()");
			return;
		}
		/* tcp_write_wakeup() -> tcp_xmit_probe_skb(): seq SND.UNA - 1, no data. */
		conn_seg(c, k, &s, k->snd_una - 1, TM_ACK, 0);
		emit_seg(c, TM_OBJ_FULL, k->id, &s, false, "keepalive probe (seq SND.UNA-1)");
		count(c, TM_C_KEEPALIVE);
		k->probes_out++;
		keepalive_arm(c, k, ka_intvl(c, k));
		return;
	}
	keepalive_arm(c, k, ka_time(c, k) - elapsed);
}

/* reqsk_timer_handler() */
static void
req_timer(struct ctx *c, struct tm_reqsk *r)
{
	struct tm_conn *l = tm_host_conn(c->h, r->listener);
	int max = c->p->synack_retries;
	struct tm_seg s;
	tm_time t;

	if (l == NULL) {
		req_drop(c, NULL, r, TM_E_LISTEN_STOP, "listener gone");
		return;
	}
	if ((l->qlen << 1) > (l->backlog > 8 ? l->backlog : 8)) {
		/* Fewer retries for old requests when the queue is half full. */
		int young = l->young << 1;

		while (max > 2) {
			if (l->qlen < young)
				break;
			max--;
			young <<= 1;
		}
	}
	if (r->num_timeout >= max) {
		req_drop(c, l, r, TM_E_TMR_SYNACK,
		    "reqsk_timer_handler(): SYN-ACK retries exhausted, dropped silently (no RST)");
		return;
	}
	synack_seg(c, r, &s);
	emit_seg(c, c->p->minisocks ? TM_OBJ_REQ : TM_OBJ_FULL, r->id, &s, true,
	    r->acked ? "tcp_rtx_synack(): the 3rd ACK was dropped (accept queue full)" :
	    "tcp_rtx_synack() (tracepoint tcp_retransmit_synack)");
	if (r->num_timeout++ == 0)
		l->young--;
	t = r->num_timeout > 30 ? c->p->rto_max : c->p->rto_init << r->num_timeout;
	if (t > c->p->rto_max)
		t = c->p->rto_max;
	r->deadline = c->now + t;
	{
		struct tm_effect *fx = fx_new(c, TM_FX_TIMER_SET,
		    c->p->minisocks ? TM_OBJ_REQ : TM_OBJ_FULL, r->id, NULL);

		fx->u.tmr.timer = TM_T_SYNACK;
		fx->u.tmr.expires = r->deadline;
	}
}

static void
timer_fires(struct ctx *c, const struct tm_event *ev)
{
	struct tm_conn *k;
	struct tm_reqsk *r;
	struct tm_twsk *tw;
	enum tm_timer t = ev->u.tmr.timer;

	switch (ev->u.tmr.obj) {
	case TM_OBJ_REQ:
		r = tm_host_req(c->h, ev->u.tmr.sock);
		if (r != NULL && r->deadline && r->deadline <= c->now) {
			r->deadline = 0;
			req_timer(c, r);
		}
		return;
	case TM_OBJ_TW:
		tw = tm_host_tw(c->h, ev->u.tmr.sock);
		if (tw != NULL && tw->deadline && tw->deadline <= c->now) {
			count(c, TM_C_TW);
			tw_kill(c, tw, tw->substate == TM_FIN_WAIT2 ? TM_E_TMR_FIN_WAIT2 : TM_E_TMR_TIME_WAIT,
			    tw->substate == TM_FIN_WAIT2 ? "FIN_WAIT2 substate expired (silent)" :
			    "TIME_WAIT expired");
		}
		return;
	case TM_OBJ_FULL:
		break;
	}
	/* Full sockets: also the RFC profile's request and timewait objects. */
	if (t == TM_T_SYNACK) {
		r = tm_host_req(c->h, ev->u.tmr.sock);
		if (r != NULL && r->deadline && r->deadline <= c->now) {
			r->deadline = 0;
			req_timer(c, r);
		}
		return;
	}
	if (t == TM_T_TW) {
		tw = tm_host_tw(c->h, ev->u.tmr.sock);
		if (tw != NULL && tw->deadline && tw->deadline <= c->now)
			tw_kill(c, tw, TM_E_TMR_TIME_WAIT, "2 MSL expired");
		return;
	}
	k = tm_host_conn(c->h, ev->u.tmr.sock);
	if (k == NULL || (unsigned int)t >= TM_T_MAX || k->deadline[t] == 0 || k->deadline[t] > c->now)
		return;
	k->deadline[t] = 0;
	switch (t) {
	case TM_T_RTX:
		conn_rtx_timer(c, k);
		break;
	case TM_T_DELACK:
		if (k->ack_pending) {
			count(c, TM_C_DELAYED_ACKS);
			send_ack(c, k, "delayed ACK timer");
		}
		break;
	case TM_T_KEEPALIVE:
		conn_keepalive_timer(c, k);
		break;
	default:
		break;
	}
}

/* ---- Application calls: the visible state x call table ---- */

enum app_action {
	A_ERR = 0,		/* fail with err */
	A_CONNECT, A_LISTEN, A_BACKLOG, A_ACCEPT, A_SEND, A_SEND_QUEUE, A_RECV,
	A_SHUT_FIN, A_SHUT_DISCONNECT, A_NOP, A_CLOSE, A_SETOPT,
};

#define ST(s)		(1u << (s))
#define ST_ALL		0x1ffeu
#define ST_SYNC		(ST(TM_ESTABLISHED) | ST(TM_FIN_WAIT1) | ST(TM_FIN_WAIT2) | ST(TM_CLOSE_WAIT) | \
			 ST(TM_CLOSING) | ST(TM_LAST_ACK) | ST(TM_SYN_RECV))

/* First matching row wins.  Errors as Linux returns them (inet_stream_connect, tcp_sendmsg, ...). */
static const struct {
	uint8_t		call;
	uint32_t	states;
	uint8_t		action;
	int		err;
} app_table[] = {
	{ TM_CALL_CONNECT, ST(TM_CLOSE), A_CONNECT, 0 },
	{ TM_CALL_CONNECT, ST(TM_SYN_SENT), A_ERR, EALREADY },
	{ TM_CALL_CONNECT, ST(TM_LISTEN), A_ERR, EINVAL },
	{ TM_CALL_CONNECT, ST_ALL, A_ERR, EISCONN },
	{ TM_CALL_LISTEN, ST(TM_CLOSE), A_LISTEN, 0 },
	{ TM_CALL_LISTEN, ST(TM_LISTEN), A_BACKLOG, 0 },
	{ TM_CALL_LISTEN, ST_ALL, A_ERR, EINVAL },
	{ TM_CALL_ACCEPT, ST(TM_LISTEN), A_ACCEPT, 0 },
	{ TM_CALL_ACCEPT, ST_ALL, A_ERR, EINVAL },
	{ TM_CALL_SEND, ST(TM_ESTABLISHED) | ST(TM_CLOSE_WAIT), A_SEND, 0 },
	{ TM_CALL_SEND, ST(TM_SYN_SENT) | ST(TM_SYN_RECV), A_SEND_QUEUE, 0 },
	{ TM_CALL_SEND, ST_ALL, A_ERR, EPIPE },
	{ TM_CALL_RECV, ST_SYNC | ST(TM_CLOSE), A_RECV, 0 },
	{ TM_CALL_RECV, ST(TM_SYN_SENT), A_ERR, EAGAIN },
	{ TM_CALL_RECV, ST_ALL, A_ERR, ENOTCONN },
	{ TM_CALL_SHUTDOWN, ST(TM_ESTABLISHED) | ST(TM_SYN_RECV) | ST(TM_CLOSE_WAIT), A_SHUT_FIN, 0 },
	{ TM_CALL_SHUTDOWN, ST(TM_SYN_SENT), A_SHUT_DISCONNECT, 0 },
	{ TM_CALL_SHUTDOWN, ST(TM_CLOSE), A_ERR, ENOTCONN },
	{ TM_CALL_SHUTDOWN, ST_ALL, A_NOP, 0 },
	{ TM_CALL_CLOSE, ST_ALL, A_CLOSE, 0 },
	{ TM_CALL_SETSOCKOPT, ST_ALL, A_SETOPT, 0 },
};

/* tcp.c new_state[]: what close() moves to, and whether it sends a FIN. */
static const struct {
	uint8_t	to;
	bool	fin;
} new_state[TM_STATE_MAX] = {
	[TM_ESTABLISHED] = { TM_FIN_WAIT1, true },
	[TM_SYN_SENT] = { TM_CLOSE, false },
	[TM_SYN_RECV] = { TM_FIN_WAIT1, true },
	[TM_FIN_WAIT1] = { TM_FIN_WAIT1, false },
	[TM_FIN_WAIT2] = { TM_FIN_WAIT2, false },
	[TM_TIME_WAIT] = { TM_CLOSE, false },
	[TM_CLOSE] = { TM_CLOSE, false },
	[TM_CLOSE_WAIT] = { TM_LAST_ACK, true },
	[TM_LAST_ACK] = { TM_LAST_ACK, false },
	[TM_LISTEN] = { TM_CLOSE, false },
	[TM_CLOSING] = { TM_CLOSING, false },
};

static void
conn_start(struct ctx *c, struct tm_conn *k, bool have_isn, tm_seq isn)
{
	struct tm_seg s;

	k->iss = isn_tsoff(c, &k->laddr, &k->raddr, k->lport, k->rport, &k->ts_off);
	if (have_isn)
		k->iss = isn;
	k->snd_una = k->iss;
	k->snd_nxt = k->iss + 1;
	k->write_seq = k->snd_nxt;
	k->rcv_wnd = c->p->rcv_wnd;
	k->snd_mss = c->p->mss;
	k->rto = c->p->rto_init;
	k->quick = c->p->quickacks;
	k->head_sent = c->now;
	k->retrans_stamp = c->now;	/* tcp_connect(): tp->retrans_stamp = tcp_time_stamp_ts(tp) */
	k->rtt_start = c->now ? c->now : 1;
	k->rtt_seq = k->iss + 1;
	set_state(c, k, TM_SYN_SENT, TM_E_CONNECT, "tcp_v4_connect()");
	count(c, TM_C_ACTIVE_OPENS);
	conn_seg(c, k, &s, k->iss, TM_SYN, 0);
	emit_seg(c, TM_OBJ_FULL, k->id, &s, false, "tcp_connect()");
	rtx_arm(c, k);
}

static bool
port_busy(struct tm_host *h, uint16_t lport, const struct tm_addr *raddr, uint16_t rport)
{
	uint32_t i;

	for (i = 0; i < h->hw_conns; i++) {
		struct tm_conn *k = &h->conns[i];

		if (k->id && k->lport == lport && k->state != TM_CLOSE &&
		    (k->state == TM_LISTEN || (k->rport == rport && addr_eq(&k->raddr, raddr))))
			return true;
	}
	return find_tw(h, raddr, lport, rport) != NULL;
}

static int
app_connect(struct ctx *c, const struct tm_app *a, uint32_t *idp)
{
	struct tm_host *h = c->h;
	struct tm_conn *k;
	struct tm_twsk *tw;
	uint16_t port = a->lport;
	bool reuse = false;
	tm_seq reuse_isn = 0;
	int tries;

	if (port == 0) {
		for (tries = 0; tries < 1000; tries++) {
			port = h->next_port++;
			if (h->next_port >= 60999)
				h->next_port = 32768;
			if (!port_busy(h, port, &a->raddr, a->rport))
				break;
		}
		if (tries == 1000)
			return EADDRNOTAVAIL;
	} else if ((tw = find_tw(h, &a->raddr, port, a->rport)) != NULL) {
		/* tcp_twsk_unique(): reuse needs tcp_tw_reuse and timestamps (Part B #23). */
		bool loop = a->raddr.a.s6_addr[12] == 127 || addr_eq(&a->raddr, &h->addr);

		if (c->p->timestamps && tw->has_ts && (c->p->tw_reuse == 1 || (c->p->tw_reuse == 2 && loop)) &&
		    c->now - tw->ts_recent_stamp >= c->p->tw_reuse_delay) {
			reuse = true;
			reuse_isn = tw->snd_nxt + 65535 + 2;
			count(c, TM_C_TW_RECYCLED);
			tw_report(c, tw, TM_CLOSE, TM_E_CONNECT, "tcp_twsk_unique(): TIME_WAIT tuple reused");
			tw_free(c, tw);
		} else {
			return EADDRNOTAVAIL;
		}
	} else if (port_busy(h, port, &a->raddr, a->rport)) {
		return EADDRINUSE;
	}
	if ((k = tm_host_conn(h, *idp)) == NULL && (k = conn_alloc(h, 0)) == NULL)
		return ENOBUFS;
	k->state = TM_CLOSE;
	k->laddr = h->addr;
	k->raddr = a->raddr;
	k->lport = port;
	k->rport = a->rport;
	*idp = k->id;
	/* A reused tuple starts above the old incarnation's sequence space. */
	conn_start(c, k, reuse, reuse_isn);
	return 0;
}

static void
listen_stop(struct ctx *c, struct tm_conn *l)
{
	struct tm_host *h = c->h;
	uint32_t i;

	for (i = 0; i < h->hw_reqs; i++)
		if (h->reqs[i].id && h->reqs[i].listener == l->id)
			req_drop(c, l, &h->reqs[i], TM_E_LISTEN_STOP,
			    "inet_csk_listen_stop(): request dropped silently");
	for (i = 0; i < h->hw_conns; i++) {
		struct tm_conn *k = &h->conns[i];

		if (!k->id || !k->from_listener || k->accepted || k->parent != l->id)
			continue;
		k->orphan = true;
		if (k->state == TM_ESTABLISHED || k->state == TM_CLOSE_WAIT || k->state == TM_SYN_RECV) {
			active_reset(c, k, "inet_csk_listen_stop(): unaccepted child, reason TCP_STATE");
			conn_done(c, k, TM_E_LISTEN_STOP, "inet_csk_listen_stop()");
		} else {
			conn_done(c, k, TM_E_LISTEN_STOP, "inet_csk_listen_stop()");
		}
	}
}

/* __tcp_close() */
static void
app_close(struct ctx *c, struct tm_conn *k)
{
	enum tm_state st = k->state;
	tm_time tmo;

	k->shut_rd = k->shut_wr = true;
	if (st == TM_LISTEN) {
		set_state(c, k, TM_CLOSE, TM_E_CLOSE, "__tcp_close(): listener");
		listen_stop(c, k);
		k->orphan = true;
		conn_done(c, k, TM_E_CLOSE, "listener closed");
		return;
	}
	k->orphan = true;
	if (st == TM_CLOSE) {
		conn_done(c, k, TM_E_CLOSE, "close()");
		return;
	}
	if (k->rcvq > 0) {
		/* RFC 2525 2.17: unread data is lost, so RST instead of FIN (Part B #18). */
		count(c, TM_C_ABORT_ON_CLOSE);
		k->rcvq = 0;
		set_state(c, k, TM_CLOSE, TM_E_CLOSE, "__tcp_close(): unread data, RST instead of FIN");
		active_reset(c, k, "__tcp_close(): reason TCP_ABORT_ON_CLOSE");
		conn_done(c, k, TM_E_CLOSE, "close()");
		return;
	}
	if (k->opt.linger0) {
		count(c, TM_C_ABORT_ON_DATA);
		if (st == TM_ESTABLISHED || st == TM_CLOSE_WAIT || st == TM_FIN_WAIT1 ||
		    st == TM_FIN_WAIT2 || st == TM_SYN_RECV)
			active_reset(c, k, "SO_LINGER 0: tcp_disconnect()");
		conn_done(c, k, TM_E_CLOSE, "SO_LINGER 0: abortive close");
		return;
	}
	if (new_state[st].to != st || c->p->trace_linux) {
		/* tcp_close_state() traces even the self-edges (Part B #22). */
		if (new_state[st].to != st || st == TM_FIN_WAIT1 || st == TM_FIN_WAIT2 ||
		    st == TM_LAST_ACK || st == TM_CLOSING)
			set_state(c, k, new_state[st].to, TM_E_CLOSE, new_state[st].to == st ?
			    "tcp_close_state(): new_state[] self-edge, traced" : "tcp_close_state()");
	}
	if (new_state[st].fin) {
		k->fin_queued = true;
		push(c, k);
	}
	if (k->state == TM_FIN_WAIT2 && c->p->orphan_fin_wait2) {
		if (k->opt.linger2_s < 0) {
			active_reset(c, k, "TCP_LINGER2 < 0: reason TCP_ABORT_ON_LINGER");
			count(c, TM_C_ABORT_ON_LINGER);
			conn_done(c, k, TM_E_CLOSE, "TCP_LINGER2 < 0");
			return;
		}
		tmo = tm_fin_time(c->p, k->opt.linger2_s, k->rto);
		if (tmo > c->p->timewait_len)
			keepalive_arm(c, k, tmo - c->p->timewait_len);
		else
			enter_timewait(c, k, TM_FIN_WAIT2, tmo, TM_E_TW_TAKEOVER);
		return;
	}
	if (k->state == TM_CLOSE)
		conn_done(c, k, TM_E_CLOSE, "close()");
}

static void
app_setopt(struct ctx *c, struct tm_conn *k, const struct tm_app *a)
{
	int64_t v = a->val;
	bool was = k->opt.keepalive;

	switch (a->opt) {
	case TM_SO_KEEPALIVE:
		k->opt.keepalive = v != 0;
		/* tcp_set_keepalive() */
		if (k->state == TM_CLOSE || k->state == TM_LISTEN)
			break;
		if (k->opt.keepalive && !was)
			keepalive_arm(c, k, ka_time(c, k));
		else if (!k->opt.keepalive)
			timer_stop(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_KEEPALIVE], TM_T_KEEPALIVE);
		break;
	case TM_SO_KEEPIDLE:
		k->opt.keepidle = TM_SEC(v);
		if (k->opt.keepalive && k->state != TM_CLOSE && k->state != TM_LISTEN) {
			tm_time el = c->now - k->last_rcv;

			keepalive_arm(c, k, k->opt.keepidle > el ? k->opt.keepidle - el : 0);
		}
		break;
	case TM_SO_KEEPINTVL:
		k->opt.keepintvl = TM_SEC(v);
		break;
	case TM_SO_KEEPCNT:
		k->opt.keepcnt = (int)v;
		break;
	case TM_SO_LINGER2:
		k->opt.linger2_s = v;
		break;
	case TM_SO_USER_TIMEOUT:
		k->opt.user_timeout = TM_MS(v);
		break;
	case TM_SO_LINGER0:
		k->opt.linger0 = v != 0;
		break;
	case TM_SO_SYNCNT:
		k->opt.syncnt = (int)v;
		break;
	case TM_SO_MAX:
		break;
	}
}

static void
app_call(struct ctx *c, const struct tm_app *a)
{
	struct tm_host *h = c->h;
	struct tm_conn *k = NULL, *best;
	enum tm_state st = TM_CLOSE;
	uint32_t id = a->sock, i;
	size_t row;
	int err = 0;
	int64_t ret = 0;

	if (a->call >= TM_CALL_SO_ERROR) {
		app_result(c, id, a->call, EINVAL, -1, "unknown call");
		return;
	}
	if (a->call != TM_CALL_CONNECT && a->call != TM_CALL_LISTEN) {
		if ((k = tm_host_conn(h, id)) == NULL || k->orphan) {
			app_result(c, id, a->call, EBADF, -1, "no such socket");
			return;
		}
		st = k->state;
	} else if (id != 0 && (k = tm_host_conn(h, id)) != NULL) {
		st = k->state;
	}
	for (row = 0; row < ARRAY_SIZE(app_table); row++)
		if (app_table[row].call == a->call && (app_table[row].states & ST(st)))
			break;
	if (row == ARRAY_SIZE(app_table)) {
		app_result(c, id, a->call, EINVAL, -1, "no row in the call table");
		return;
	}
	if (k != NULL && k->err && a->call != TM_CALL_CLOSE && a->call != TM_CALL_SETSOCKOPT &&
	    a->call != TM_CALL_RECV) {
		/* sock_error(): a pending error is returned first, once. */
		err = k->err;
		k->err = 0;
		app_result(c, id, a->call, err, -1, "pending socket error");
		return;
	}
	switch (app_table[row].action) {
	case A_ERR:
		err = app_table[row].err;
		break;
	case A_CONNECT:
		err = app_connect(c, a, &id);
		if (err == 0)
			err = EINPROGRESS;
		ret = id;
		break;
	case A_LISTEN:
		if (port_busy(h, a->lport, &h->addr, 0) && find_listener(h, &h->addr, a->lport)) {
			err = EADDRINUSE;
			break;
		}
		if (k == NULL && (k = conn_alloc(h, 0)) == NULL) {
			err = ENOBUFS;
			break;
		}
		k->state = TM_CLOSE;
		k->laddr = h->addr;
		k->lport = a->lport;
		k->backlog = a->backlog < c->p->somaxconn ? a->backlog : c->p->somaxconn;
		if (k->backlog < 0)
			k->backlog = 0;
		set_state(c, k, TM_LISTEN, TM_E_LISTEN, "inet_csk_listen_start()");
		id = k->id;
		ret = id;
		break;
	case A_BACKLOG:
		k->backlog = a->backlog < c->p->somaxconn ? a->backlog : c->p->somaxconn;
		break;
	case A_ACCEPT:
		best = NULL;
		for (i = 0; i < h->hw_conns; i++) {
			struct tm_conn *q = &h->conns[i];

			if (q->id && q->from_listener && !q->accepted && q->parent == k->id &&
			    (best == NULL || q->acq_order < best->acq_order))
				best = q;
		}
		if (best == NULL) {
			err = EAGAIN;
			break;
		}
		best->accepted = true;
		k->ack_backlog--;
		ret = best->id;
		app_result(c, best->id, TM_CALL_ACCEPT, 0, best->id, "accept(): the oldest child");
		return;
	case A_SEND:
		if (k->shut_wr) {
			err = EPIPE;
			break;
		}
		k->sndq += a->len;
		ret = a->len;
		push(c, k);
		break;
	case A_SEND_QUEUE:
		k->sndq += a->len;
		ret = a->len;
		break;
	case A_RECV:
		if (k->rcvq > 0) {
			ret = a->len && a->len < k->rcvq ? a->len : k->rcvq;
			k->rcvq -= (uint32_t)ret;
		} else if (k->err) {
			err = k->err;
			k->err = 0;
		} else if (k->fin_rcvd || k->state == TM_CLOSE) {
			ret = 0;	/* EOF */
		} else {
			err = EAGAIN;
		}
		break;
	case A_SHUT_FIN:
		if (a->how == 0) {
			k->shut_rd = true;
			break;
		}
		if (a->how == 2)
			k->shut_rd = true;
		k->shut_wr = true;
		set_state(c, k, new_state[st].to, TM_E_SHUTDOWN, "tcp_shutdown(): tcp_close_state()");
		k->fin_queued = true;
		push(c, k);
		break;
	case A_SHUT_DISCONNECT:
		conn_done(c, k, TM_E_SHUTDOWN, "inet_shutdown(): SYN_SENT, disconnect");
		break;
	case A_NOP:
		if (a->how != 1)
			k->shut_rd = true;
		if (a->how != 0)
			k->shut_wr = true;
		break;
	case A_CLOSE:
		app_result(c, id, a->call, 0, 0, NULL);
		app_close(c, k);
		return;
	case A_SETOPT:
		app_setopt(c, k, a);
		break;
	}
	app_result(c, id, a->call, err, err && err != EINPROGRESS ? -1 : ret, NULL);
}

int
tm_step(const struct tm_profile *p, struct tm_host *h, const struct tm_event *ev,
    struct tm_fxbuf *out)
{
	struct ctx c;

	c.p = p;
	c.h = h;
	c.now = ev->at;
	c.out = out;
	switch (ev->kind) {
	case TM_EV_SEG:
		if (!addr_eq(&ev->u.seg.dst, &h->addr))
			return 0;
		seg_arrives(&c, &ev->u.seg);
		return 0;
	case TM_EV_TIMER:
		timer_fires(&c, ev);
		return 0;
	case TM_EV_APP:
		app_call(&c, &ev->u.app);
		return 0;
	}
	fx_new(&c, TM_FX_ERROR, TM_OBJ_FULL, 0, "unknown event kind");
	return -1;
}
