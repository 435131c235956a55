/* SPDX-License-Identifier: MIT */
/*
 * Segments arriving at a full socket (net/ipv4/tcp_input.c):
 * tcp_rcv_synsent_state_process() for SYN_SENT, tcp_rcv_state_process() for
 * the synchronized states with tcp_validate_incoming() (PAWS, sequence, RST,
 * SYN per RFC 5961), tcp_ack(), tcp_data_queue() with the out-of-order queue
 * (tcp_data_queue_ofo(), tcp_ofo_queue()), tcp_fin(); and the state changes
 * they cause: tcp_set_state(), tcp_reset(), tcp_done().
 */
#include "tcp/step_int.h"

#include <errno.h>

/* ---- State changes ---- */

void
tmi_set_state(struct ctx *c, struct tm_conn *k, enum tm_state to, enum tm_event_id ev, const char *why)
{
	enum tm_state from = k->state;

	k->state = to;
	tmi_report(c, TM_OBJ_FULL, k->id, from, to, ev, why);
}

void
tmi_stop_all_timers(struct ctx *c, struct tm_conn *k)
{
	int t;

	for (t = 0; t < TM_T_MAX; t++)
		tmi_timer_stop(c, TM_OBJ_FULL, k->id, &k->deadline[t], (enum tm_timer)t);
}

/* tcp_done(): the socket is CLOSE; an orphan is freed. */
void
tmi_conn_done(struct ctx *c, struct tm_conn *k, enum tm_event_id ev, const char *why)
{
	if (k->state != TM_CLOSE)
		tmi_set_state(c, k, TM_CLOSE, ev, why);
	tmi_stop_all_timers(c, k);
	if (k->orphan)
		tmi_conn_free(k);
}

/* Report an asynchronous error to the application (SO_ERROR). */
void
tmi_conn_error(struct ctx *c, struct tm_conn *k, int err, const char *why)
{
	k->err = err;
	if (!k->orphan)
		tmi_app_result(c, k->id, k->state == TM_SYN_SENT ? TM_CALL_CONNECT : TM_CALL_SO_ERROR,
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
		tmi_count(c, TM_C_ATTEMPT_FAILS);
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
		tmi_count(c, TM_C_ESTAB_RESETS);
	tmi_conn_error(c, k, err, why);
	tmi_conn_done(c, k, ev, why);
}

/* ---- Input ---- */

void
tmi_rtt_sample(struct ctx *c, struct tm_conn *k, tm_time m)
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
		tmi_send_ack(c, k, "__tcp_ack_snd_check(): immediate");
		return;
	}
	if (k->deadline[TM_T_DELACK] == 0)
		tmi_timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_DELACK], TM_T_DELACK,
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
		tmi_set_state(c, k, TM_CLOSE_WAIT, TM_E_FIN, "tcp_fin(): the peer closed its side");
		if (c->p->fin_pingpong && k->rcv_nxt - k->irs > 2) {
			/*
			 * tcp_fin() only schedules the ACK and enters pingpong
			 * mode, which ends quick-ACK mode (tcp_in_quickack_mode()):
			 * once data came, icsk_ack.ato is TCP_ATO_MIN
			 * (tcp_event_data_recv()) and __tcp_ack_snd_check() leaves
			 * the ACK to the delayed-ACK timer (tcp_send_delayed_ack());
			 * a FIN of ours sent before it carries the ACK.
			 */
			k->quick = 0;
			break;
		}
		/* No data yet: ato is 0 and the delayed ACK is due at once. */
		tmi_send_ack(c, k, "tcp_fin()");
		break;
	case TM_FIN_WAIT1:
		tmi_send_ack(c, k, "tcp_fin(): crossed FINs");
		tmi_set_state(c, k, TM_CLOSING, TM_E_FIN, "tcp_fin(): FIN in FIN_WAIT1 (simultaneous close)");
		break;
	case TM_FIN_WAIT2:
		tmi_send_ack(c, k, "tcp_fin()");
		tmi_enter_timewait(c, k, TM_TIME_WAIT, 0, TM_E_FIN);
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

/*
 * tcp_measure_rcv_mss(): the largest segment seen (up to our MSS) is the
 * peer's MSS as far as delayed ACKs go; a smaller one sets ICSK_ACK_PUSHED,
 * a second one ICSK_ACK_PUSHED2 (cleared when an ACK goes out).  The header
 * length terms of the kernel's test are left out: segments here are either
 * full or clearly small.
 */
static void
measure_rcv_mss(const struct ctx *c, struct tm_conn *k, uint32_t len)
{
	uint32_t mss = k->rcv_mss ? k->rcv_mss : 536;	/* tcp_initialize_rcv_mss(): TCP_MSS_DEFAULT */

	if (len >= mss) {
		k->rcv_mss = len < c->p->mss ? len : c->p->mss;
	} else {
		k->rcv_mss = mss;
		if (k->pushed < 2)
			k->pushed++;
	}
}

/*
 * tcp_cleanup_rbuf() after recv() copied bytes: an ACK that is owed goes out
 * now if more than one rcv_mss came since the last one (rcv_nxt - rcv_wup,
 * the peer's FIN included), or the read emptied the queue after small
 * segments (ICSK_ACK_PUSHED2, or ICSK_ACK_PUSHED outside pingpong mode,
 * which tcp_fin() entered).
 */
void
tmi_cleanup_rbuf(struct ctx *c, struct tm_conn *k, uint32_t copied)
{
	uint32_t wup = k->unacked_rcv + (k->fin_rcvd ? 1 : 0);
	uint32_t mss = k->rcv_mss ? k->rcv_mss : 536;
	bool pingpong = k->fin_rcvd && c->p->fin_pingpong;

	if (!k->ack_pending || k->state == TM_CLOSE)
		return;
	if (wup > mss || (copied > 0 && k->rcvq == 0 &&
	    (k->pushed >= 2 || (k->pushed == 1 && !pingpong))))
		tmi_send_ack(c, k, "tcp_cleanup_rbuf(): the read made the owed ACK due");
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
	if (len > 0)
		measure_rcv_mss(c, k, s->len);
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
			tmi_send_reset_for(c, s, TM_OBJ_FULL, k->id,
			    "tcp_rcv_synsent_state_process(): unacceptable ACK, stay SYN_SENT");
			/* "Previous FIN/ACK or RST/ACK might be ignored": retransmit the SYN soon
			 * (TCP_TIMEOUT_MIN, 2 jiffies at HZ=250). */
			if (k->retransmits == 0)
				tmi_timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX, TM_MS(8));
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
			tmi_rtt_sample(c, k, c->now - k->rtt_start);
		else
			k->rto = c->p->rto_init;
		k->rtt_start = 0;
		k->retransmits = 0;
		k->backoff = 0;
		k->last_rcv = c->now;
		tmi_timer_stop(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX);
		tmi_set_state(c, k, TM_ESTABLISHED, TM_E_SYNACK, "tcp_finish_connect()");
		tmi_app_result(c, k->id, TM_CALL_CONNECT, 0, 0, "connect() completes");
		if (k->opt.keepalive)
			tmi_keepalive_arm(c, k, tmi_ka_time(c, k));
		if (k->sndq > 0 || k->fin_queued) {
			/* The 3rd ACK carries the queued data (data-on-third-ack). */
			tmi_push(c, k);
			if (k->snd_nxt != k->snd_una)
				return;
		}
		tmi_send_ack(c, k, "tcp_rcv_synsent_state_process(): 3rd ACK");
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
		tmi_set_state(c, k, TM_SYN_RECV, TM_E_SYN, "tcp_rcv_synsent_state_process(): crossed SYNs");
		tmi_conn_seg(c, k, &out, k->iss, TM_SYN | TM_ACK, 0);
		tmi_emit_seg(c, TM_OBJ_FULL, k->id, &out, false, "tcp_send_synack()");
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
		tmi_count(c, TM_C_PAWS_ESTAB);
		if (s->flags & TM_SYN)
			goto syn_challenge;
		if (!tmi_oow_limited_seg(c, &k->last_oow_ack, s))
			tmi_send_ack(c, k, "tcp_validate_incoming(): PAWS, duplicate ACK");
		return false;
	}
	/* Step 1: sequence number. */
	if (!seq_acceptable(k, s)) {
		if (!(s->flags & TM_RST)) {
			if (s->flags & TM_SYN)
				goto syn_challenge;
			if (!tmi_oow_limited_seg(c, &k->last_oow_ack, s))
				tmi_send_ack(c, k, "tcp_validate_incoming(): out of window, duplicate ACK");
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
		tmi_challenge_ack(c, k, "RFC 5961 3.2: in-window RST, challenge ACK");
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
			tmi_active_reset(c, k, "RFC 9293 3.10.7.4: SYN in window");
			conn_reset(c, k, TM_E_RST, "RFC 9293 3.10.7.4: SYN in window");
			return false;
		}
		tmi_count(c, TM_C_SYN_CHALLENGE);
		tmi_challenge_ack(c, k, "RFC 5961 4.2: SYN in a synchronized state, challenge ACK");
		return false;
	}
	return true;
}

/* tcp_ack(): step 5.  Returns -1 to discard, 0 to go on. */
static int
conn_ack(struct ctx *c, struct tm_conn *k, const struct tm_seg *s)
{
	uint32_t acked;
	bool sampled;

	if (TM_SEQ_GT(s->ack, k->snd_nxt)) {
		if (k->state == TM_SYN_RECV) {
			tmi_send_reset_for(c, s, TM_OBJ_FULL, k->id, "SYN_RECV: unacceptable ACK");
			return -1;
		}
		/*
		 * tcp_ack() (6.18): "if (after(ack, tp->snd_nxt))":
		 * tcp_send_challenge_ack() in every state, ESTABLISHED too
		 * (RFC 9293 3.10.7.4: send an ACK, drop the segment).
		 */
		tmi_challenge_ack(c, k, "tcp_ack(): ACK of unsent data");
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
	sampled = k->rtt_start && TM_SEQ_GEQ(s->ack, k->rtt_seq) && k->retransmits == 0;
	if (sampled)
		tmi_rtt_sample(c, k, c->now - k->rtt_start);
	if (k->rtt_start && TM_SEQ_GEQ(s->ack, k->rtt_seq))
		k->rtt_start = 0;
	k->retransmits = 0;
	/*
	 * tcp_ack_update_rtt(): "RFC6298: only reset backoff on valid RTT
	 * measurement": none for retransmitted data (Karn), unless the
	 * timestamp echo gives one (tcp_rtt_tsopt_us()).
	 */
	if (sampled || k->has_ts)
		k->backoff = 0;
	k->retrans_stamp = 0;
	k->head_sent = c->now;
	if (k->srtt == 0)
		k->rto = c->p->rto_init;
	if (k->snd_una == k->snd_nxt) {
		k->tlp_armed = false;
		tmi_timer_stop(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX);
	} else {
		tmi_xmit_timer(c, k);
	}
	return 0;
}

static bool
fin_acked(const struct tm_conn *k)
{
	return k->fin_sent && k->snd_una == k->snd_nxt;
}

/* tcp_rcv_state_process() for everything but LISTEN and SYN_SENT. */
void
tmi_conn_rcv(struct ctx *c, struct tm_conn *k, const struct tm_seg *s)
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
			tmi_send_reset_for(c, s, TM_OBJ_FULL, k->id, "SYN_RECV: unacceptable ACK");
			return;
		}
		tmi_set_state(c, k, TM_ESTABLISHED, (s->flags & TM_SYN) ? TM_E_SYNACK : TM_E_ACK,
		    "tcp_rcv_state_process(): SYN_RECV, our SYN-ACK acknowledged");
		if (!k->from_listener)
			tmi_app_result(c, k->id, TM_CALL_CONNECT, 0, 0, "connect() completes (simultaneous open)");
		if (s->flags & TM_SYN) {
			/* The peer's SYN-ACK is old data now: ACK it (with a D-SACK). */
			k->dsack[0] = s->seq;
			k->dsack[1] = s->seq + 1;
			k->dsack_pending = k->has_sack;
			tmi_send_ack(c, k, "simultaneous open: ACK of the peer's SYN-ACK");
		}
		break;
	case TM_FIN_WAIT1:
		if (!fin_acked(k))
			break;
		tmi_set_state(c, k, TM_FIN_WAIT2, TM_E_ACK, "tcp_rcv_state_process(): our FIN acknowledged");
		if (!k->orphan || !c->p->orphan_fin_wait2)
			break;
		if (k->opt.linger2_s < 0) {
			tmi_count(c, TM_C_ABORT_ON_DATA);
			tmi_send_reset_for(c, s, TM_OBJ_FULL, k->id, "TCP_LINGER2 < 0");
			tmi_conn_done(c, k, TM_E_CLOSE, "TCP_LINGER2 < 0: no FIN_WAIT2");
			return;
		}
		if (s->len > 0 && TM_SEQ_GT(s->seq + s->len, k->rcv_nxt)) {
			tmi_count(c, TM_C_ABORT_ON_DATA);
			tmi_send_reset_for(c, s, TM_OBJ_FULL, k->id, "data after close()");
			tmi_conn_done(c, k, TM_E_DATA, "new data after close(): TCPAbortOnData");
			return;
		}
		tmo = tm_fin_time(c->p, k->opt.linger2_s, k->rto);
		if (tmo > c->p->timewait_len) {
			tmi_keepalive_arm(c, k, tmo - c->p->timewait_len);
		} else if (s->flags & TM_FIN) {
			tmi_keepalive_arm(c, k, tmo);
		} else {
			tmi_enter_timewait(c, k, TM_FIN_WAIT2, tmo, TM_E_ACK);
			return;
		}
		break;
	case TM_CLOSING:
		if (fin_acked(k)) {
			tmi_enter_timewait(c, k, TM_TIME_WAIT, 0, TM_E_ACK);
			return;
		}
		break;
	case TM_LAST_ACK:
		if (fin_acked(k)) {
			tmi_conn_done(c, k, TM_E_ACK, "tcp_rcv_state_process(): LAST_ACK, FIN acknowledged");
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
			tmi_count(c, TM_C_ABORT_ON_DATA);
			tmi_send_reset_for(c, s, TM_OBJ_FULL, k->id, "tcp_rcv_state_process(): data after close()");
			tmi_conn_error(c, k, ECONNRESET, "data after close()");
			tmi_conn_done(c, k, TM_E_DATA, "new data after close(): TCPAbortOnData");
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
	tmi_push(c, k);
	ack_snd_check(c, k);
}
