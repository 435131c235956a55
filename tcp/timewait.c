/* SPDX-License-Identifier: MIT */
/*
 * Timewait sockets (net/ipv4/tcp_minisocks.c): tcp_time_wait() hands a
 * closing connection to a timewait socket with a substate (FIN_WAIT2 or
 * TIME_WAIT), and tcp_timewait_state_process() answers what arrives for it.
 * Under the rfc9293 profile the same object is the TCB in TIME-WAIT, reported
 * as one full socket.
 */
#include "tcp/step_int.h"

/*
 * tcp_time_wait(): a timewait socket replaces the full one (Linux), or the
 * TCB itself enters TIME-WAIT (RFC profile, reported as one object).
 */
void
tmi_enter_timewait(struct ctx *c, struct tm_conn *k, enum tm_state substate, tm_time timeo,
    enum tm_event_id ev)
{
	struct tm_twsk *tw = tmi_tw_alloc(c, k->id);
	enum tm_state from = k->state;

	if (tw == NULL) {
		tmi_count(c, TM_C_TW_OVERFLOW);
		tmi_conn_done(c, k, c->p->minisocks ? TM_E_TW_TAKEOVER : ev,
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
	/* tcp_time_wait(): tw_rcv_wscale = rx_opt.rcv_wscale, 0 unless agreed. */
	tw->rcv_wscale = !k->has_ws ? 0 : k->own_rwin ? k->rcv_wscale : c->p->wscale;
	tw->has_ts = k->has_ts;
	tw->ts_recent = k->ts_recent;
	tw->ts_recent_stamp = k->ts_recent_stamp;
	tw->ts_off = k->ts_off;
	tw->from_conn = k->id;
	tw->deadline = c->now + (substate == TM_TIME_WAIT ? c->p->timewait_len : timeo);
	if (c->p->minisocks) {
		tmi_set_state(c, k, TM_CLOSE, TM_E_TW_TAKEOVER,
		    "tcp_time_wait() + tcp_done(): the timewait socket takes over");
		tmi_report(c, TM_OBJ_TW, tw->id, TM_ST_NONE, substate, TM_E_TW_TAKEOVER,
		    substate == TM_TIME_WAIT ? "tcp_time_wait(TCP_TIME_WAIT): TCP_TIMEWAIT_LEN" :
		    "tcp_time_wait(TCP_FIN_WAIT2, tcp_fin_time()): orphan FIN_WAIT2");
	} else {
		k->state = TM_TIME_WAIT;
		tmi_report(c, TM_OBJ_FULL, k->id, from, TM_TIME_WAIT, ev, "RFC 9293: enter TIME-WAIT, 2 MSL");
	}
	{
		struct tm_effect *fx = tmi_fx_new(c, TM_FX_TIMER_SET,
		    c->p->minisocks ? TM_OBJ_TW : TM_OBJ_FULL, tw->id, NULL);

		fx->u.tmr.timer = TM_T_TW;
		fx->u.tmr.expires = tw->deadline;
	}
	tmi_stop_all_timers(c, k);
	if (!c->p->minisocks || k->orphan)
		tmi_conn_free(k);
}

/* tcp_in_window() of tcp_minisocks.c */
bool
tmi_in_window(tm_seq seq, tm_seq end, tm_seq s_win, tm_seq e_win)
{
	if (seq == s_win)
		return true;
	if (TM_SEQ_GT(end, s_win) && TM_SEQ_LT(seq, e_win))
		return true;
	return seq == e_win && seq == end;
}

void
tmi_tw_report(struct ctx *c, struct tm_twsk *tw, enum tm_state to, enum tm_event_id ev, const char *why)
{
	if (c->p->minisocks)
		tmi_report(c, TM_OBJ_TW, tw->id, tw->substate, to, ev, why);
	else
		tmi_report(c, TM_OBJ_FULL, tw->id, TM_TIME_WAIT, to, ev, why);
}

void
tmi_tw_kill(struct ctx *c, struct tm_twsk *tw, enum tm_event_id ev, const char *why)
{
	tmi_tw_report(c, tw, TM_CLOSE, ev, why);
	tmi_tw_free(c, tw);
}

static void
tw_rearm(struct ctx *c, struct tm_twsk *tw, tm_time len)
{
	struct tm_effect *fx;

	tw->deadline = c->now + len;
	fx = tmi_fx_new(c, TM_FX_TIMER_SET, c->p->minisocks ? TM_OBJ_TW : TM_OBJ_FULL, tw->id,
	    "inet_twsk_reschedule()");
	fx->u.tmr.timer = TM_T_TW;
	fx->u.tmr.expires = tw->deadline;
}

static void
tw_ack(struct ctx *c, struct tm_twsk *tw, const char *why)
{
	struct tm_seg s;

	/* tcp_v4_timewait_ack() */
	tmi_seg_init(&s, &tw->laddr, &tw->raddr, tw->lport, tw->rport, tw->snd_nxt, tw->rcv_nxt, TM_ACK);
	/* tw_rcv_wnd >> tw_rcv_wscale: scaled only when the handshake agreed it. */
	s.wnd = tw->rcv_wnd >> tw->rcv_wscale > 65535 ? 65535 :
	    (uint16_t)(tw->rcv_wnd >> tw->rcv_wscale);
	if (tw->has_ts) {
		s.has_ts = true;
		s.tsval = tmi_ts_now(c, tw->ts_off);
		s.tsecr = tw->ts_recent;
	}
	tmi_emit_seg(c, c->p->minisocks ? TM_OBJ_TW : TM_OBJ_FULL, tw->id, &s, false, why);
}

/* tcp_v4_send_reset() from the TCB's state: RST|ACK, seq SND.NXT, ack RCV.NXT. */
static void
tw_rst(struct ctx *c, struct tm_twsk *tw, const char *why)
{
	struct tm_seg s;

	tmi_seg_init(&s, &tw->laddr, &tw->raddr, tw->lport, tw->rport, tw->snd_nxt, tw->rcv_nxt,
	    TM_RST | TM_ACK);
	tmi_emit_seg(c, TM_OBJ_FULL, tw->id, &s, false, why);
}

/* RFC 9293 3.10.7.4, first check: is the segment acceptable (RCV.WND = rcv_wnd)? */
static bool
tw_acceptable(const struct tm_twsk *tw, const struct tm_seg *s)
{
	uint32_t len = tm_seg_seqlen(s);
	tm_seq lo = tw->rcv_nxt, hi = tw->rcv_nxt + tw->rcv_wnd;

	if (tw->rcv_wnd == 0)
		return len == 0 && s->seq == lo;
	if (TM_SEQ_GEQ(s->seq, lo) && TM_SEQ_LT(s->seq, hi))
		return true;
	return len > 0 && TM_SEQ_GEQ(s->seq + len - 1, lo) && TM_SEQ_LT(s->seq + len - 1, hi);
}

/*
 * The rfc9293 profile's TCB in TIME-WAIT takes RST and SYN as the other
 * synchronized states do (RFC 9293 3.10.7.4; an RST at RCV.NXT is taken
 * above).  Without the RFC 5961 checks an acceptable RST closes it ("enter
 * the CLOSED state, delete the TCB") and an acceptable SYN is an error:
 * reset, CLOSED.  With them an acceptable RST not at RCV.NXT gets a
 * challenge ACK (RFC 5961 3.2), and so does a SYN wherever it falls (4.2).
 * tcp_rfc1337 (RFC 1337: ignore RSTs in TIME-WAIT) keeps its meaning.
 * Returns false for what the common code answers: an RST outside the window
 * (ignored) or, without RFC 5961, a SYN outside it (an ACK).
 */
static bool
tw_rfc_rst_syn(struct ctx *c, struct tm_twsk *tw, const struct tm_seg *s)
{
	bool ok = tw_acceptable(tw, s);

	if (s->flags & TM_RST) {
		if (!ok)
			return false;
		if (c->p->rfc1337)
			return true;
		if (c->p->rfc5961) {
			if (tmi_challenge_allowed(c, &tw->last_oow_ack))
				tw_ack(c, tw, "RFC 5961 3.2: RST in the window, not at RCV.NXT: challenge ACK");
			return true;
		}
		tmi_tw_kill(c, tw, TM_E_RST, "RFC 9293 3.10.7.4: RST in TIME-WAIT, CLOSED");
		return true;
	}
	if (c->p->rfc5961) {
		tmi_count(c, TM_C_SYN_CHALLENGE);
		if (tmi_challenge_allowed(c, &tw->last_oow_ack))
			tw_ack(c, tw, "RFC 5961 4.2: SYN in TIME-WAIT, challenge ACK");
		return true;
	}
	if (!ok)
		return false;
	tw_rst(c, tw, "RFC 9293 3.10.7.4: SYN in the window, reset");
	tmi_tw_kill(c, tw, TM_E_SYN, "RFC 9293 3.10.7.4: SYN in the window, CLOSED");
	return true;
}

void
tmi_tw_rcv(struct ctx *c, struct tm_twsk *tw, const struct tm_seg *s)
{
	tm_seq end = s->seq + tm_seg_seqlen(s);
	bool paws = tw->has_ts && s->has_ts && (int32_t)(s->tsval - tw->ts_recent) < 0 &&
	    !(s->flags & TM_RST);
	struct tm_conn *l;
	tm_seq isn;

	if (tw->substate == TM_FIN_WAIT2) {
		if (paws || !tmi_in_window(s->seq, end, tw->rcv_nxt, tw->rcv_nxt + tw->rcv_wnd)) {
			if (!tmi_oow_limited_seg(c, &tw->last_oow_ack, s))
				tw_ack(c, tw, "FIN_WAIT2 substate: out of window");
			return;
		}
		if (s->flags & TM_RST) {
			tmi_tw_kill(c, tw, TM_E_RST, "tcp_timewait_state_process(): RST in the FIN_WAIT2 substate");
			return;
		}
		if ((s->flags & TM_SYN) && TM_SEQ_GEQ(s->seq, tw->rcv_nxt)) {
			tmi_send_reset_for(c, s, TM_OBJ_TW, tw->id, "TCP_TW_RST: SYN in the FIN_WAIT2 substate");
			tmi_tw_kill(c, tw, TM_E_SYN, "TCP_TW_RST");
			return;
		}
		if (!(s->flags & TM_ACK) || !TM_SEQ_GT(end, tw->rcv_nxt) || end == s->seq)
			return;		/* a duplicate ACK */
		if (!(s->flags & TM_FIN) || end != tw->rcv_nxt + 1) {
			tmi_send_reset_for(c, s, TM_OBJ_TW, tw->id, "TCP_TW_RST: new data after close()");
			tmi_tw_kill(c, tw, TM_E_DATA, "TCP_TW_RST: new data after close()");
			return;
		}
		tw->rcv_nxt = end;
		tmi_tw_report(c, tw, TM_TIME_WAIT, TM_E_FIN, "FIN in the FIN_WAIT2 substate: real TIME_WAIT");
		tw->substate = TM_TIME_WAIT;
		tw_rearm(c, tw, c->p->timewait_len);
		tw_ack(c, tw, "TCP_TW_ACK");
		return;
	}
	/* Real TIME_WAIT. */
	if (!paws && s->seq == tw->rcv_nxt && (s->seq == end || (s->flags & TM_RST))) {
		if (s->flags & TM_RST) {
			if (!c->p->rfc1337) {
				tmi_count(c, TM_C_TW_KILLED);
				tmi_tw_kill(c, tw, TM_E_RST, "TIME_WAIT assassination: RST at RCV.NXT, tcp_rfc1337=0");
			}
			return;
		}
		tw_rearm(c, tw, c->p->timewait_len);
		return;
	}
	if (!c->p->minisocks && !paws && (s->flags & (TM_RST | TM_SYN)) && tw_rfc_rst_syn(c, tw, s))
		return;
	if ((s->flags & TM_SYN) && !(s->flags & (TM_RST | TM_ACK)) && !paws && c->p->tw_syn_reopen &&
	    (TM_SEQ_GT(s->seq, tw->rcv_nxt) || (s->has_ts && tw->has_ts &&
	    (int32_t)(tw->ts_recent - s->tsval) < 0))) {
		isn = tw->snd_nxt + 65535 + 2;
		if (isn == 0)
			isn++;
		l = tmi_find_listener(c->h, &tw->laddr, tw->lport);
		if (l != NULL) {
			tmi_tw_kill(c, tw, TM_E_TW_SYN, "TCP_TW_SYN: a newer SYN reopens the tuple");
			tmi_listener_rcv(c, l, s, isn, true);
			return;
		}
		tw_ack(c, tw, "TCP_TW_SYN without a listener: ACK");
		return;
	}
	if (paws)
		tmi_count(c, TM_C_PAWS_ESTAB);
	if (!(s->flags & TM_RST)) {
		if (paws || (s->flags & TM_ACK))
			tw_rearm(c, tw, c->p->timewait_len);
		if (tmi_oow_limited_seg(c, &tw->last_oow_ack, s)) {
			tmi_count(c, TM_C_ACK_SKIPPED_TW);
			return;
		}
		tw_ack(c, tw, (s->flags & TM_FIN) ? "TIME_WAIT: retransmitted FIN, ACK again and re-arm 60 s" :
		    "TIME_WAIT: out-of-window segment, ACK");
		return;
	}
	/* Other RSTs are ignored. */
}
