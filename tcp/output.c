/* SPDX-License-Identifier: MIT */
/*
 * What a full socket sends (net/ipv4/tcp_output.c): segments built from the
 * socket's state, tcp_write_xmit() and tcp_send_fin() for data and FIN,
 * tcp_send_ack() with D-SACK and SACK blocks, the rate-limited challenge ACK
 * (tcp_send_challenge_ack()), resets (tcp_send_active_reset(), and
 * tcp_v4_send_reset() for segments no socket wants), the tail loss probe, and
 * the arming of the retransmission timer (tcp_set_xmit_timer()).
 */
#include "tcp/step_int.h"

#include <string.h>

/* ---- Segments ---- */

void
tmi_seg_init(struct tm_seg *s, const struct tm_addr *src, const struct tm_addr *dst,
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

uint32_t
tmi_ts_now(const struct ctx *c, uint32_t off)
{
	/* tcp_time_stamp_ts(): a millisecond clock plus the per-tuple offset. */
	return (uint32_t)(c->now / TM_NS_PER_MS) + off;
}

void
tmi_emit_seg(struct ctx *c, enum tm_obj obj, uint32_t id, const struct tm_seg *s, bool rtx,
    const char *why)
{
	struct tm_effect *fx = tmi_fx_new(c, TM_FX_SEG_OUT, obj, id, why);

	fx->u.seg.seg = *s;
	fx->u.seg.rtx = rtx;
	fx->u.seg.to_host = 0xffff;
	if (s->flags & TM_RST)
		tmi_count(c, TM_C_OUT_RSTS);
	if (rtx)
		tmi_count(c, TM_C_RETRANS_SEGS);
}

/* tcp_v4_send_reset(): the answer to a segment no socket wants. */
void
tmi_send_reset_for(struct ctx *c, const struct tm_seg *in, enum tm_obj obj, uint32_t id,
    const char *why)
{
	struct tm_seg s;

	if (in->flags & TM_RST)
		return;
	if (in->flags & TM_ACK)
		tmi_seg_init(&s, &in->dst, &in->src, in->dport, in->sport, in->ack, 0, TM_RST);
	else
		tmi_seg_init(&s, &in->dst, &in->src, in->dport, in->sport, 0,
		    in->seq + tm_seg_seqlen(in), TM_RST | TM_ACK);
	tmi_emit_seg(c, obj, id, &s, false, why);
}

/* ---- Full sockets ---- */

static uint16_t
wnd_field(const struct ctx *c, const struct tm_conn *k, bool syn)
{
	uint32_t w = k->rcv_wnd;

	if (syn || !k->has_ws)
		return w > 65535 ? 65535 : (uint16_t)w;
	w >>= k->own_rwin ? k->rcv_wscale : c->p->wscale;
	return w > 65535 ? 65535 : (uint16_t)w;
}

void
tmi_conn_seg(struct ctx *c, const struct tm_conn *k, struct tm_seg *s, tm_seq seq, uint8_t flags,
    uint32_t len)
{
	tmi_seg_init(s, &k->laddr, &k->raddr, k->lport, k->rport, seq, k->rcv_nxt, flags);
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
		s->tsval = tmi_ts_now(c, k->ts_off);
		s->tsecr = k->ts_recent;
	}
}

void
tmi_conn_clear_ack(struct ctx *c, struct tm_conn *k)
{
	k->ack_pending = false;
	k->unacked_rcv = 0;
	k->pushed = 0;
	tmi_timer_stop(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_DELACK], TM_T_DELACK);
}

/* tcp_send_ack() */
void
tmi_send_ack(struct ctx *c, struct tm_conn *k, const char *why)
{
	struct tm_seg s;

	tmi_conn_seg(c, k, &s, k->snd_nxt, TM_ACK, 0);
	if (k->dsack_pending) {
		s.nsack = 1;
		s.sack[0][0] = k->dsack[0];
		s.sack[0][1] = k->dsack[1];
		k->dsack_pending = false;
		tmi_count(c, TM_C_DSACK_OLD_SENT);
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
	tmi_emit_seg(c, TM_OBJ_FULL, k->id, &s, false, why);
	tmi_conn_clear_ack(c, k);
}

/* __tcp_oow_rate_limited(): one reply per tcp_invalid_ratelimit per socket. */
bool
tmi_oow_limited(struct ctx *c, tm_time *last)
{
	if (*last != 0 && c->now - *last < c->p->invalid_ratelimit)
		return true;
	*last = c->now ? c->now : 1;
	return false;
}

/*
 * tcp_oow_rate_limited(): a segment that carries data or a FIN and no SYN is
 * "not likely part of an ACK loop", so its duplicate ACK is never limited
 * and leaves the stamp alone; anything else goes through the limit.
 */
bool
tmi_oow_limited_seg(struct ctx *c, tm_time *last, const struct tm_seg *s)
{
	if (tm_seg_seqlen(s) > 0 && !(s->flags & TM_SYN))
		return false;
	return tmi_oow_limited(c, last);
}

/*
 * tcp_send_challenge_ack()'s limits (RFC 5961 7): the object's
 * out-of-window stamp *last, then the per-netns count per second.  True
 * when a challenge ACK may go out (and is counted).
 */
bool
tmi_challenge_allowed(struct ctx *c, tm_time *last)
{
	struct tm_host *h = c->h;

	if (tmi_oow_limited(c, last))
		return false;
	if (c->now - h->chal_window >= TM_SEC(1) || h->chal_window == 0) {
		h->chal_window = c->now ? c->now : 1;
		h->chal_count = 0;
	}
	if (h->chal_count >= c->p->challenge_ack_limit)
		return false;
	h->chal_count++;
	tmi_count(c, TM_C_CHALLENGE_ACK);
	return true;
}

/* tcp_send_challenge_ack(): RFC 5961, per-socket and per-netns limits. */
void
tmi_challenge_ack(struct ctx *c, struct tm_conn *k, const char *why)
{
	if (tmi_challenge_allowed(c, &k->last_oow_ack))
		tmi_send_ack(c, k, why);
}

/* tcp_send_active_reset(): RST|ACK from our state. */
void
tmi_active_reset(struct ctx *c, struct tm_conn *k, const char *why)
{
	struct tm_seg s;

	tmi_conn_seg(c, k, &s, k->snd_nxt, TM_RST | TM_ACK, 0);
	s.has_ts = false;
	tmi_emit_seg(c, TM_OBJ_FULL, k->id, &s, false, why);
}

void
tmi_rtx_arm(struct ctx *c, struct tm_conn *k)
{
	tmi_timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX, k->rto);
}

/*
 * tcp_set_xmit_timer(): a tail loss probe (tcp_schedule_loss_probe(), SACK
 * connections before any RTO) in 2 x SRTT, plus TCP_RTO_MIN when one segment
 * is out, never later than the RTO; otherwise the RTO.
 */
void
tmi_xmit_timer(struct ctx *c, struct tm_conn *k)
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
		tmi_timer_arm(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_RTX], TM_T_RTX, pto);
		return;
	}
	k->tlp_armed = false;
	tmi_rtx_arm(c, k);
}

/* Send new data, then the FIN once the data is out (tcp_write_xmit, tcp_send_fin). */
void
tmi_push(struct ctx *c, struct tm_conn *k)
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
		tmi_conn_seg(c, k, &s, k->snd_nxt, TM_ACK | (len == k->sndq ? TM_PSH : 0), len);
		if (k->rtt_start == 0) {
			k->rtt_start = c->now ? c->now : 1;
			k->rtt_seq = k->snd_nxt + len;
		}
		k->snd_nxt += len;
		k->sndq -= len;
		tmi_emit_seg(c, TM_OBJ_FULL, k->id, &s, false, "tcp_write_xmit()");
		sent = true;
	}
	if (k->fin_queued && !k->fin_sent && k->sndq == 0) {
		if (k->snd_una == k->snd_nxt)
			k->head_sent = c->now;
		tmi_conn_seg(c, k, &s, k->snd_nxt, TM_FIN | TM_ACK, 0);
		k->fin_sent = true;
		k->snd_nxt++;
		tmi_emit_seg(c, TM_OBJ_FULL, k->id, &s, false, "tcp_send_fin()");
		sent = true;
	}
	if (sent) {
		tmi_conn_clear_ack(c, k);
		if (k->deadline[TM_T_RTX] == 0 || k->tlp_armed)
			tmi_xmit_timer(c, k);
	}
}

/*
 * tcp_send_loss_probe(): retransmit the last segment once, then the RTO
 * from now (tcp_rearm_rto()).  Not a timeout: no backoff, no retry count.
 */
void
tmi_tail_loss_probe(struct ctx *c, struct tm_conn *k)
{
	struct tm_seg s;
	uint32_t data = k->snd_nxt - k->snd_una - (k->fin_sent ? 1 : 0), last;

	k->tlp_armed = false;
	if (k->fin_sent) {
		tmi_conn_seg(c, k, &s, k->snd_nxt - 1, TM_FIN | TM_ACK, 0);
		if (data == 0)
			k->head_sent = c->now;
	} else {
		last = data % k->snd_mss ? data % k->snd_mss : k->snd_mss;
		if (last > data)
			last = data;
		tmi_conn_seg(c, k, &s, k->snd_nxt - last, TM_ACK | TM_PSH, last);
		if (last == data)
			k->head_sent = c->now;
	}
	tmi_count(c, TM_C_LOSS_PROBES);
	tmi_emit_seg(c, TM_OBJ_FULL, k->id, &s, true, "tcp_send_loss_probe(): tail loss probe");
	tmi_conn_clear_ack(c, k);
	tmi_rtx_arm(c, k);
}
