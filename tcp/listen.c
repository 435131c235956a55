/* SPDX-License-Identifier: MIT */
/*
 * Listeners and request sockets: tcp_conn_request() (request socket,
 * SYN-ACK, syncookies when the SYN queue overflows), cookie_v4_check(),
 * tcp_check_req() and tcp_v4_syn_recv_sock() (the child is born at the third
 * ACK into the accept queue), and inet_csk_listen_stop() when the listener
 * closes.  Under the rfc9293 profile a request socket stands for the TCB in
 * SYN-RECEIVED (RFC 9293 3.10.7.2).
 */
#include "tcp/step_int.h"

#include <string.h>

/* ---- ISN, timestamp offset, syncookies ---- */

/* A keyed hash of the tuple under a salted key (syncookies). */
static uint32_t
tuple_off(const struct ctx *c, const struct tm_addr *l, const struct tm_addr *r, uint16_t lp,
    uint16_t rp, uint64_t salt)
{
	uint64_t key[2] = { c->h->key[0] ^ salt, c->h->key[1] };

	return (uint32_t)tm_tuple_hash(key, l, r, lp, rp);
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

/* ---- SYN in LISTEN (tcp_conn_request()) ---- */

/*
 * tcp_openreq_init_rwin() -> tcp_select_initial_window() when the listener's
 * SO_RCVBUF was set (SOCK_RCVBUF_LOCK): the space is tcp_full_space(), half
 * the buffer (tcp_win_from_space() at TCP_DEFAULT_SCALING_RATIO), which also
 * clamps the window; rounded down to a multiple of the MSS (less the
 * timestamp option) when larger; the window scale the smallest that covers
 * it, ilog2(space) - 15, at least 0.  false: the profile's window and scale.
 */
static bool
req_rwin(struct ctx *c, const struct tm_reqsk *r, uint32_t *wnd, uint8_t *ws)
{
	const struct tm_conn *l = tm_host_conn(c->h, r->listener);
	uint32_t space, mss = c->p->mss - (r->has_ts ? 12 : 0), x;
	unsigned int lg = 0;

	if (l == NULL || l->opt.rcvbuf == 0)
		return false;
	space = (uint32_t)l->opt.rcvbuf / 2;
	for (x = space; x > 1; x >>= 1)
		lg++;
	*ws = !r->has_ws || lg <= 15 ? 0 : lg - 15 > 14 ? 14 : (uint8_t)(lg - 15);
	if (space > mss)
		space -= space % mss;
	*wnd = space > 65535 ? 65535 : space;
	return true;
}

void
tmi_synack_seg(struct ctx *c, const struct tm_reqsk *r, struct tm_seg *s)
{
	uint32_t wnd = c->p->rcv_wnd;
	uint8_t ws = c->p->wscale;

	(void)req_rwin(c, r, &wnd, &ws);
	tmi_seg_init(s, &r->laddr, &r->raddr, r->lport, r->rport, r->iss, r->irs + 1, TM_SYN | TM_ACK);
	s->wnd = wnd > 65535 ? 65535 : (uint16_t)wnd;
	s->has_mss = true;
	s->mss = c->p->mss;
	s->has_ts = r->has_ts;
	s->sack_ok = r->has_sack;
	s->has_wscale = r->has_ws;
	s->wscale = ws;
	if (s->has_ts) {
		s->tsval = tmi_ts_now(c, r->ts_off);
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
	tmi_count(c, TM_C_PASSIVE_OPENS);
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
				tmi_count(c, TM_C_REQQ_FULL_DO_COOKIES);
			} else {
				tmi_count(c, TM_C_REQQ_FULL_DROP);
				tmi_count(c, TM_C_LISTEN_DROPS);
				return;
			}
		}
	}
	if (p->queue_limits && l->ack_backlog > l->backlog) {
		/* sk_acceptq_is_full(): the SYN is dropped (Part B #8). */
		tmi_count(c, TM_C_LISTEN_OVERFLOWS);
		tmi_count(c, TM_C_LISTEN_DROPS);
		return;
	}
	if (p->queue_limits && !want_cookie && !from_tw && !p->syncookies &&
	    p->max_syn_backlog - l->qlen < (p->max_syn_backlog >> 2)) {
		tmi_count(c, TM_C_LISTEN_DROPS);
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
		tmi_synack_seg(c, &tmp, &out);
		l->last_overflow = c->now ? c->now : 1;
		tmi_count(c, TM_C_SYNCOOKIES_SENT);
		tmi_emit_seg(c, TM_OBJ_FULL, l->id, &out, false,
		    "tcp_conn_request(): syncookie SYN-ACK, no request kept, never retransmitted");
		return;
	}
	if ((r = tmi_req_alloc(c->h)) == NULL) {
		tmi_count(c, TM_C_LISTEN_DROPS);
		return;
	}
	r->listener = l->id;
	r->laddr = s->dst;
	r->raddr = s->src;
	r->lport = s->dport;
	r->rport = s->sport;
	r->irs = s->seq;
	r->iss = tm_isn_ts(c->p, c->h->key, &s->dst, &s->src, s->dport, s->sport, c->now,
	    &r->ts_off);
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
		tmi_report(c, TM_OBJ_REQ, r->id, TM_ST_NONE, TM_NEW_SYN_RECV, TM_E_SYN,
		    from_tw ? "tcp_conn_request(): SYN from TIME_WAIT, ISN = tw_snd_nxt + 65537" :
		    "tcp_conn_request(): request socket (ss: SYN-RECV)");
	else
		tmi_report(c, TM_OBJ_FULL, r->id, TM_LISTEN, TM_SYN_RECV, TM_E_SYN,
		    "RFC 9293 3.10.7.2: SYN in LISTEN");
	tmi_synack_seg(c, r, &out);
	tmi_emit_seg(c, p->minisocks ? TM_OBJ_REQ : TM_OBJ_FULL, r->id, &out, false, "tcp_v4_send_synack()");
	r->deadline = c->now + p->rto_init;
	{
		struct tm_effect *fx = tmi_fx_new(c, TM_FX_TIMER_SET,
		    p->minisocks ? TM_OBJ_REQ : TM_OBJ_FULL, r->id, NULL);

		fx->u.tmr.timer = TM_T_SYNACK;
		fx->u.tmr.expires = r->deadline;
	}
}

/* Make the full socket for a completed handshake; NULL when the accept queue is full. */
static struct tm_conn *
syn_recv_sock(struct ctx *c, struct tm_conn *l, const struct tm_seg *s, uint32_t id, tm_seq iss,
    tm_seq irs)
{
	struct tm_conn *k;

	if (c->p->queue_limits && l->ack_backlog > l->backlog) {
		tmi_count(c, TM_C_LISTEN_OVERFLOWS);
		tmi_count(c, TM_C_LISTEN_DROPS);
		return NULL;
	}
	if ((k = tmi_conn_alloc(c->h, id)) == NULL) {
		tmi_count(c, TM_C_LISTEN_DROPS);
		return NULL;
	}
	k->state = TM_SYN_RECV;
	child_init(c, k, s, iss, irs);
	return k;
}

void
tmi_listener_rcv(struct ctx *c, struct tm_conn *l, const struct tm_seg *s, tm_seq tw_isn, bool from_tw)
{
	struct tm_conn *k;

	if (s->flags & TM_RST)
		return;
	if (s->flags & TM_ACK) {
		bool check = c->p->syncookies == 2 || (c->p->syncookies == 1 && l->last_overflow &&
		    c->now - l->last_overflow < TM_SEC(120));

		if (check && !(s->flags & (TM_SYN | TM_RST))) {
			if (!cookie_valid(c, s)) {
				tmi_count(c, TM_C_SYNCOOKIES_FAILED);
			} else {
				tmi_count(c, TM_C_SYNCOOKIES_RECV);
				if ((k = syn_recv_sock(c, l, s, 0, s->ack - 1, s->seq - 1)) == NULL)
					return;
				k->has_ts = s->has_ts && c->p->timestamps;
				tm_isn_ts(c->p, c->h->key, &k->laddr, &k->raddr, k->lport, k->rport,
				    c->now, &k->ts_off);
				if (k->has_ts) {
					k->ts_recent = s->tsval;
					k->ts_recent_stamp = c->now ? c->now : 1;
				}
				tmi_report(c, TM_OBJ_FULL, k->id, TM_LISTEN, TM_SYN_RECV, TM_E_COOKIE_ACK,
				    "cookie_v4_check(): valid syncookie, child created");
				tmi_set_state(c, k, TM_ESTABLISHED, TM_E_COOKIE_ACK, "tcp_child_process()");
				child_in_queue(c, l, k);
				if (s->len > 0 || (s->flags & TM_FIN))
					tmi_conn_rcv(c, k, s);
				return;
			}
		}
		/* tcp_rcv_state_process() LISTEN: an ACK -> RST (no socket). */
		tmi_send_reset_for(c, s, TM_OBJ_FULL, l->id, "LISTEN: ACK without a request, reset");
		return;
	}
	if (s->flags & TM_SYN)
		listener_syn(c, l, s, tw_isn, from_tw);
}

/* ---- Request sockets (tcp_check_req()) ---- */

void
tmi_req_drop(struct ctx *c, struct tm_conn *l, struct tm_reqsk *r, enum tm_event_id ev, const char *why)
{
	if (c->p->minisocks)
		tmi_report(c, TM_OBJ_REQ, r->id, TM_NEW_SYN_RECV, TM_CLOSE, ev, why);
	else
		tmi_report(c, TM_OBJ_FULL, r->id, TM_SYN_RECV, TM_CLOSE, ev, why);
	if (l != NULL) {
		l->qlen--;
		if (r->num_timeout == 0)
			l->young--;
	}
	r->id = 0;
}

static void
req_send_ack(struct ctx *c, struct tm_reqsk *r, const struct tm_seg *in, const char *why)
{
	struct tm_seg s;

	if (tmi_oow_limited_seg(c, &r->last_oow_ack, in))
		return;
	tmi_seg_init(&s, &r->laddr, &r->raddr, r->lport, r->rport, r->iss + 1, r->irs + 1, TM_ACK);
	s.wnd = c->p->rcv_wnd > 65535 ? 65535 : (uint16_t)c->p->rcv_wnd;
	tmi_emit_seg(c, TM_OBJ_REQ, r->id, &s, false, why);
}

/* tcp_check_req() */
void
tmi_req_rcv(struct ctx *c, struct tm_reqsk *r, const struct tm_seg *s)
{
	struct tm_conn *l = tm_host_conn(c->h, r->listener);
	struct tm_conn *k;
	struct tm_seg out;
	tm_seq end = s->seq + tm_seg_seqlen(s);
	uint8_t flg = s->flags & (TM_SYN | TM_RST | TM_ACK), rws;
	uint32_t id = r->id, rwnd;

	if (l == NULL || l->state != TM_LISTEN) {
		tmi_req_drop(c, NULL, r, TM_E_LISTEN_STOP, "listener gone");
		return;
	}
	if (s->seq == r->irs && flg == TM_SYN) {
		/* A retransmitted SYN: repeat the SYN-ACK (rate-limited). */
		if (!tmi_oow_limited(c, &r->last_oow_ack)) {
			tmi_synack_seg(c, r, &out);
			tmi_emit_seg(c, TM_OBJ_REQ, r->id, &out, true, "tcp_check_req(): SYN retransmitted, SYN-ACK again");
		}
		return;
	}
	if ((flg & TM_ACK) && s->ack != r->iss + 1) {
		tmi_send_reset_for(c, s, TM_OBJ_FULL, l->id, "tcp_check_req(): bad ACK, reset by the listener");
		return;
	}
	if (!req_rwin(c, r, &rwnd, &rws))
		rwnd = c->p->rcv_wnd;
	if (!tmi_in_window(s->seq, end, r->irs + 1, r->irs + 1 + rwnd)) {
		if (!(flg & TM_RST))
			req_send_ack(c, r, s, "tcp_check_req(): out of window");
		return;
	}
	if (s->seq == r->irs)
		flg &= (uint8_t)~TM_SYN;
	if (flg & TM_RST) {
		if (s->seq != r->irs + 1 && c->p->rfc5961) {
			req_send_ack(c, r, s, "tcp_reqsk_send_challenge_ack(): RST not at RCV.NXT");
			return;
		}
		tmi_count(c, TM_C_ATTEMPT_FAILS);
		tmi_req_drop(c, l, r, TM_E_RST, "tcp_check_req(): embryonic reset");
		return;
	}
	if (flg & TM_SYN) {
		tmi_count(c, TM_C_ATTEMPT_FAILS);
		tmi_send_reset_for(c, s, TM_OBJ_REQ, r->id, "tcp_check_req(): SYN in window, embryonic reset");
		tmi_req_drop(c, l, r, TM_E_SYN, "tcp_check_req(): embryonic reset");
		return;
	}
	if (!(flg & TM_ACK))
		return;
	if (r->num_timeout < l->opt.defer_accept && end == r->irs + 1) {
		/*
		 * tcp_check_req(): "While TCP_DEFER_ACCEPT is active, drop bare
		 * ACK": the request stays, marked acked, until data (or the end
		 * of the deferring period, reqsk_timer_handler()) comes.
		 */
		r->acked = true;
		tmi_count(c, TM_C_DEFER_ACCEPT_DROP);
		return;
	}
	k = syn_recv_sock(c, l, s, id, r->iss, r->irs);
	if (k == NULL) {
		/* listen_overflow: (Part B #8, lab T2). */
		if (c->p->abort_on_overflow) {
			tmi_send_reset_for(c, s, TM_OBJ_REQ, id, "tcp_abort_on_overflow=1: accept queue full");
			tmi_req_drop(c, l, r, TM_E_RST, "tcp_abort_on_overflow=1: request removed");
			return;
		}
		r->acked = true;
		return;
	}
	k->has_ts = r->has_ts;
	k->has_sack = r->has_sack;
	k->has_ws = r->has_ws;
	/* sk_clone_lock() copies sk_rcvbuf and its lock; the child keeps the request's window. */
	k->opt.rcvbuf = l->opt.rcvbuf;
	k->own_rwin = req_rwin(c, r, &k->rcv_wnd, &k->rcv_wscale);
	k->snd_mss = r->peer_mss < c->p->mss ? r->peer_mss : c->p->mss;
	k->snd_wscale = r->peer_wscale;
	k->snd_wnd = k->has_ws ? (uint32_t)s->wnd << k->snd_wscale : s->wnd;
	k->ts_off = r->ts_off;
	if (k->has_ts) {
		k->ts_recent = s->has_ts ? s->tsval : r->ts_recent;
		k->ts_recent_stamp = c->now ? c->now : 1;
	}
	if (r->num_timeout == 0)
		tmi_rtt_sample(c, k, c->now - r->born);
	if (c->p->minisocks) {
		tmi_report(c, TM_OBJ_FULL, k->id, TM_LISTEN, TM_SYN_RECV, TM_E_ACK,
		    "inet_csk_clone_lock(): child born at the 3rd ACK");
		tmi_req_drop(c, l, r, TM_E_ACK, "tcp_check_req(): request replaced by the child");
	} else {
		l->qlen--;
		if (r->num_timeout == 0)
			l->young--;
		r->id = 0;
	}
	tmi_set_state(c, k, TM_ESTABLISHED, TM_E_ACK, "tcp_rcv_state_process(): SYN_RECV -> ESTABLISHED");
	child_in_queue(c, l, k);
	if (s->len > 0 || (s->flags & TM_FIN))
		tmi_conn_rcv(c, k, s);
}

/* ---- Stopping (inet_csk_listen_stop()) ---- */

void
tmi_listen_stop(struct ctx *c, struct tm_conn *l)
{
	struct tm_host *h = c->h;
	uint32_t i;

	for (i = 0; i < h->hw_reqs; i++)
		if (h->reqs[i].id && h->reqs[i].listener == l->id)
			tmi_req_drop(c, l, &h->reqs[i], TM_E_LISTEN_STOP,
			    "inet_csk_listen_stop(): request dropped silently");
	for (i = 0; i < h->hw_conns; i++) {
		struct tm_conn *k = &h->conns[i];

		if (!k->id || !k->from_listener || k->accepted || k->parent != l->id)
			continue;
		k->orphan = true;
		if (k->state == TM_ESTABLISHED || k->state == TM_CLOSE_WAIT || k->state == TM_SYN_RECV) {
			tmi_active_reset(c, k, "inet_csk_listen_stop(): unaccepted child, reason TCP_STATE");
			tmi_conn_done(c, k, TM_E_LISTEN_STOP, "inet_csk_listen_stop()");
		} else {
			tmi_conn_done(c, k, TM_E_LISTEN_STOP, "inet_csk_listen_stop()");
		}
	}
}
