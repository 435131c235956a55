/* SPDX-License-Identifier: MIT */
/*
 * Timer expiries (net/ipv4/tcp_timer.c): tcp_retransmit_timer() with
 * tcp_write_timeout() (the SYN schedule of tcp/state.c), tcp_keepalive_timer()
 * (keepalive probes and the orphan FIN_WAIT2 timeout), reqsk_timer_handler()
 * (SYN-ACK retransmission), the delayed ACK, and timewait expiry.
 */
#include "tcp/step_int.h"

#include <errno.h>

void
tmi_keepalive_arm(struct ctx *c, struct tm_conn *k, tm_time after)
{
	tmi_timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_KEEPALIVE], TM_T_KEEPALIVE, after);
}

tm_time
tmi_ka_time(const struct ctx *c, const struct tm_conn *k)
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

/* ---- Full sockets ---- */

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
		tmi_tail_loss_probe(c, k);
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
		    tm_retries_timeout(p, retries, p->retries_base);
		expired = c->now - k->retrans_stamp >= tmo;
	}
	if (expired) {
		if (k->state == TM_SYN_SENT)
			tmi_count(c, TM_C_ATTEMPT_FAILS);
		else
			tmi_count(c, TM_C_ABORT_ON_TIMEOUT);
		if (k->state == TM_ESTABLISHED || k->state == TM_CLOSE_WAIT)
			tmi_count(c, TM_C_ESTAB_RESETS);
		tmi_conn_error(c, k, ETIMEDOUT, "tcp_write_timeout(): retries exhausted");
		tmi_conn_done(c, k, TM_E_TMR_RTX, "tcp_write_err(): ETIMEDOUT");
		return;
	}
	/* tcp_connect() already stamped SYN_SENT with the first SYN (time 0 is a time). */
	if (k->retransmits == 0 && k->state != TM_SYN_SENT)
		k->retrans_stamp = k->head_sent ? k->head_sent : c->now;
	tmi_count(c, TM_C_TIMEOUTS);
	switch (k->state) {
	case TM_SYN_SENT:
		tmi_conn_seg(c, k, &s, k->iss, TM_SYN, 0);
		tmi_count(c, TM_C_SYN_RETRANS);
		tmi_emit_seg(c, TM_OBJ_FULL, k->id, &s, true, "tcp_retransmit_timer(): SYN");
		break;
	case TM_SYN_RECV:
		tmi_conn_seg(c, k, &s, k->iss, TM_SYN | TM_ACK, 0);
		tmi_emit_seg(c, TM_OBJ_FULL, k->id, &s, true, "tcp_retransmit_timer(): SYN-ACK");
		break;
	default:
		len = k->snd_nxt - k->snd_una - (k->fin_sent ? 1 : 0);
		if (len > k->snd_mss)
			len = k->snd_mss;
		if (len > 0)
			tmi_conn_seg(c, k, &s, k->snd_una, TM_ACK | TM_PSH, len);
		else
			tmi_conn_seg(c, k, &s, k->snd_una, TM_FIN | TM_ACK, 0);
		tmi_emit_seg(c, TM_OBJ_FULL, k->id, &s, true, "tcp_retransmit_timer()");
		tmi_conn_clear_ack(c, k);
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
	tmi_timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX, tmo);
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
				tmi_enter_timewait(c, k, TM_FIN_WAIT2, tmo - c->p->timewait_len, TM_E_TMR_KEEPALIVE);
				return;
			}
		}
		tmi_active_reset(c, k, "tcp_keepalive_timer(): orphan FIN_WAIT2");
		tmi_conn_done(c, k, TM_E_TMR_KEEPALIVE, "tcp_keepalive_timer(): orphan FIN_WAIT2");
		return;
	}
	if (!k->opt.keepalive || k->state == TM_CLOSE || k->state == TM_SYN_SENT ||
	    k->state == TM_LISTEN)
		return;
	if (k->snd_una != k->snd_nxt || k->sndq > 0) {
		tmi_keepalive_arm(c, k, tmi_ka_time(c, k));
		return;
	}
	elapsed = c->now - k->last_rcv;
	if (elapsed >= tmi_ka_time(c, k)) {
		if ((k->opt.user_timeout && elapsed >= k->opt.user_timeout && k->probes_out > 0) ||
		    (!k->opt.user_timeout && (int)k->probes_out >= ka_probes(c, k))) {
			if (c->p->keepalive_rst)
				tmi_active_reset(c, k, "tcp_keepalive_timer(): reason TCP_KEEPALIVE_TIMEOUT");
			if (k->state == TM_ESTABLISHED || k->state == TM_CLOSE_WAIT)
				tmi_count(c, TM_C_ESTAB_RESETS);
			tmi_count(c, TM_C_ABORT_ON_TIMEOUT);
			tmi_conn_error(c, k, ETIMEDOUT, "keepalive: the peer is dead");
			tmi_conn_done(c, k, TM_E_TMR_KEEPALIVE, "tcp_keepalive_timer(): tcp_write_err()");
			return;
		}
		/* tcp_write_wakeup() -> tcp_xmit_probe_skb(): seq SND.UNA - 1, no data. */
		tmi_conn_seg(c, k, &s, k->snd_una - 1, TM_ACK, 0);
		tmi_emit_seg(c, TM_OBJ_FULL, k->id, &s, false, "keepalive probe (seq SND.UNA-1)");
		tmi_count(c, TM_C_KEEPALIVE);
		k->probes_out++;
		tmi_keepalive_arm(c, k, ka_intvl(c, k));
		return;
	}
	tmi_keepalive_arm(c, k, tmi_ka_time(c, k) - elapsed);
}

/* ---- Request sockets ---- */

/* reqsk_timer_handler() */
static void
req_timer(struct ctx *c, struct tm_reqsk *r)
{
	struct tm_conn *l = tm_host_conn(c->h, r->listener);
	int max = c->p->synack_retries, defer;
	bool expire, resend;
	struct tm_seg s;
	tm_time t;

	if (l == NULL) {
		tmi_req_drop(c, NULL, r, TM_E_LISTEN_STOP, "listener gone");
		return;
	}
	/* The listener's TCP_SYNCNT overrides tcp_synack_retries. */
	if (l->opt.syncnt)
		max = l->opt.syncnt;
	defer = l->opt.defer_accept;
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
	/*
	 * syn_ack_recalc(): with TCP_DEFER_ACCEPT, a request whose bare ACK
	 * came (acked) is not dropped before the deferring period ends, and
	 * its SYN-ACK is not resent until the last retransmission of the
	 * period, "to give last chance for data or ACK to create established
	 * socket"; the timer runs on all the same.
	 */
	expire = r->num_timeout >= max && (!r->acked || r->num_timeout >= defer);
	resend = !r->acked || r->num_timeout + 1 >= defer;
	if (expire) {
		tmi_req_drop(c, l, r, TM_E_TMR_SYNACK,
		    "reqsk_timer_handler(): SYN-ACK retries exhausted, dropped silently (no RST)");
		return;
	}
	if (resend) {
		tmi_synack_seg(c, r, &s);
		tmi_emit_seg(c, c->p->minisocks ? TM_OBJ_REQ : TM_OBJ_FULL, r->id, &s, true,
		    r->acked && defer ? "tcp_rtx_synack(): the end of TCP_DEFER_ACCEPT's period" :
		    r->acked ? "tcp_rtx_synack(): the 3rd ACK was dropped (accept queue full)" :
		    "tcp_rtx_synack() (tracepoint tcp_retransmit_synack)");
	}
	if (r->num_timeout++ == 0)
		l->young--;
	t = r->num_timeout > 30 ? c->p->rto_max : c->p->rto_init << r->num_timeout;
	if (t > c->p->rto_max)
		t = c->p->rto_max;
	r->deadline = c->now + t;
	{
		struct tm_effect *fx = tmi_fx_new(c, TM_FX_TIMER_SET,
		    c->p->minisocks ? TM_OBJ_REQ : TM_OBJ_FULL, r->id, NULL);

		fx->u.tmr.timer = TM_T_SYNACK;
		fx->u.tmr.expires = r->deadline;
	}
}

/* ---- Dispatch ---- */

bool
tm_timer_due(struct tm_host *h, const struct tm_event *ev)
{
	struct tm_conn *k;
	struct tm_reqsk *r;
	struct tm_twsk *tw;
	enum tm_timer t = ev->u.tmr.timer;
	tm_time now = ev->at;

	/* The conditions tmi_timer_fires() acts on, in its order. */
	if (ev->u.tmr.obj == TM_OBJ_REQ || (ev->u.tmr.obj == TM_OBJ_FULL && t == TM_T_SYNACK)) {
		r = tm_host_req(h, ev->u.tmr.sock);
		return r != NULL && r->deadline && r->deadline <= now;
	}
	if (ev->u.tmr.obj == TM_OBJ_TW || (ev->u.tmr.obj == TM_OBJ_FULL && t == TM_T_TW)) {
		tw = tm_host_tw(h, ev->u.tmr.sock);
		return tw != NULL && tw->deadline && tw->deadline <= now;
	}
	if (ev->u.tmr.obj != TM_OBJ_FULL)
		return false;
	k = tm_host_conn(h, ev->u.tmr.sock);
	return k != NULL && (unsigned int)t < TM_T_MAX && k->deadline[t] != 0 &&
	    k->deadline[t] <= now;
}

void
tmi_timer_fires(struct ctx *c, const struct tm_event *ev)
{
	struct tm_conn *k;
	struct tm_reqsk *r;
	struct tm_twsk *tw;
	enum tm_timer t = ev->u.tmr.timer;

	if (!tm_timer_due(c->h, ev))
		return;
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
			tmi_count(c, TM_C_TW);
			tmi_tw_kill(c, tw, tw->substate == TM_FIN_WAIT2 ? TM_E_TMR_FIN_WAIT2 : TM_E_TMR_TIME_WAIT,
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
			tmi_tw_kill(c, tw, TM_E_TMR_TIME_WAIT, "2 MSL expired");
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
			tmi_count(c, TM_C_DELAYED_ACKS);
			tmi_send_ack(c, k, "delayed ACK timer");
		}
		break;
	case TM_T_KEEPALIVE:
		conn_keepalive_timer(c, k);
		break;
	default:
		break;
	}
}
