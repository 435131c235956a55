/* SPDX-License-Identifier: MIT */
/*
 * tm_step(): the model's only state-changing entry (tcp/tm.h).  One event for
 * one host in, effects out.  This file holds the entry, the effect log every
 * other part appends to, and the demultiplexer; the rest of the model is laid
 * out as Linux lays out net/ipv4, whose function names the comments cite
 * (KERNEL-FACTS Part D 1.1):
 *
 *   step.c      tm_step(); the effect log; tcp_v4_rcv()'s demux: full
 *               socket, timewait, request, listener, else RST (no socket)
 *   input.c     tcp_input.c: tcp_rcv_synsent_state_process(),
 *               tcp_rcv_state_process() in RFC 9293 3.10.7.4 order (PAWS and
 *               sequence, RST, SYN, ACK, URG ignored, text, FIN), tcp_ack(),
 *               tcp_data_queue() with its out-of-order queue, tcp_fin(),
 *               tcp_reset(), tcp_done()
 *   output.c    tcp_output.c: tcp_write_xmit(), tcp_send_fin(),
 *               tcp_send_ack(), challenge ACKs, resets, the retransmission
 *               and loss-probe timers' arming
 *   timer.c     tcp_timer.c: tcp_retransmit_timer(), tcp_keepalive_timer(),
 *               reqsk_timer_handler(), the delayed ACK, timewait expiry
 *   listen.c    tcp_conn_request(), syncookies, tcp_check_req(),
 *               tcp_v4_syn_recv_sock(), inet_csk_listen_stop()
 *   timewait.c  tcp_minisocks.c: tcp_time_wait(),
 *               tcp_timewait_state_process()
 *   app.c       the socket calls: a visible state x call table
 *               (app_table[]), then tcp.c's new_state[] for close() and
 *               shutdown()
 *   host.c      the object pools (full, request and timewait sockets) and
 *               the lookups
 *
 * The parts share helpers through the private tcp/step_int.h; nothing outside
 * tcp/ includes it.
 *
 * Simplifications, deliberate: no congestion control (at most 10 segments
 * in flight), no urgent data, no zero-window probing (a zero window is taken
 * as one MSS), PAWS only compares TSval with ts_recent, and the out-of-order
 * queue holds at most TM_OFO_MAX ranges (more are dropped, as the kernel
 * prunes under memory pressure).
 */
#include "tcp/step_int.h"

#include <stddef.h>
#include <string.h>

/* ---- Effects ---- */

struct tm_effect *
tmi_fx_new(struct ctx *c, enum tm_fx_kind kind, enum tm_obj obj, uint32_t sock, const char *why)
{
	struct tm_effect *fx;

	if (c->out->n + c->out->skipped < c->out->cap) {
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

/*
 * A quiet buffer (struct tm_fxbuf) leaves this record out: true, and the
 * record is counted where tmi_fx_new() would have put it (skipped, or lost
 * when the buffer is full).  note: a state or counter record.
 */
static inline bool
fx_skip(struct ctx *c, bool note)
{
	struct tm_fxbuf *out = c->out;

	if (!out->quiet)
		return false;
	if (out->n + out->skipped < out->cap) {
		out->skipped++;
		out->noted |= note;
	} else {
		out->lost++;
	}
	return true;
}

void
tmi_count(struct ctx *c, enum tm_counter id)
{
	struct tm_effect *fx;

	if (fx_skip(c, true)) {
		c->h->counters[id]++;
		return;
	}
	fx = tmi_fx_new(c, TM_FX_COUNTER, TM_OBJ_FULL, 0, NULL);
	fx->u.ctr.id = (uint16_t)id;
	fx->u.ctr.delta = 1;
	c->h->counters[id]++;
}

/* The parts of tmi_report() that build records, out of its quiet path. */
static __attribute__((noinline)) void
report_fx(struct ctx *c, enum tm_fx_kind kind, enum tm_obj obj, uint32_t id, enum tm_state from,
    enum tm_state to, enum tm_event_id ev, const char *why)
{
	struct tm_effect *fx = tmi_fx_new(c, kind, obj, id, why);

	fx->u.st.from = (uint8_t)from;
	fx->u.st.to = (uint8_t)to;
	fx->u.st.event = (uint8_t)ev;
}

void
tmi_report_full(struct ctx *c, enum tm_obj obj, uint32_t id, enum tm_state from, enum tm_state to,
    enum tm_event_id ev, const char *why)
{
	if (!fx_skip(c, true))
		report_fx(c, TM_FX_STATE, obj, id, from, to, ev, why);
	if (!tmi_legal(c->p, obj, from, ev, to))
		report_fx(c, TM_FX_ERROR, obj, id, from, to, ev, "illegal transition (not in the table)");
}

void
tmi_app_result(struct ctx *c, uint32_t id, enum tm_call call, int err, int64_t ret, const char *why)
{
	struct tm_effect *fx = tmi_fx_new(c, TM_FX_APP, TM_OBJ_FULL, id, why);

	fx->u.app.call = (uint8_t)call;
	fx->u.app.err = err;
	fx->u.app.ret = ret;
	fx->u.app.sock = id;
}

void
tmi_timer_arm(struct ctx *c, enum tm_obj obj, uint32_t id, tm_time *deadline, enum tm_timer t,
    tm_time after)
{
	struct tm_effect *fx;

	*deadline = c->now + after;
	if (*deadline == 0)
		*deadline = 1;
	fx = tmi_fx_new(c, TM_FX_TIMER_SET, obj, id, NULL);
	fx->u.tmr.timer = (uint8_t)t;
	fx->u.tmr.expires = *deadline;
}

void
tmi_timer_stop(struct ctx *c, enum tm_obj obj, uint32_t id, tm_time *deadline, enum tm_timer t)
{
	struct tm_effect *fx;

	if (*deadline == 0)
		return;
	*deadline = 0;
	if (fx_skip(c, false))
		return;
	fx = tmi_fx_new(c, TM_FX_TIMER_CLR, obj, id, NULL);
	fx->u.tmr.timer = (uint8_t)t;
}

/* ---- Demux (tcp_v4_rcv()) ---- */

static void
seg_arrives(struct ctx *c, const struct tm_seg *s)
{
	struct tm_conn *k;
	struct tm_twsk *tw;
	struct tm_reqsk *r;

	if ((k = tmi_find_conn(c->h, s)) != NULL) {
		tmi_conn_rcv(c, k, s);
		return;
	}
	if ((tw = tmi_find_tw(c->h, &s->src, s->dport, s->sport)) != NULL) {
		tmi_tw_rcv(c, tw, s);
		return;
	}
	if ((r = tmi_find_req(c->h, s)) != NULL) {
		tmi_req_rcv(c, r, s);
		return;
	}
	if ((k = tmi_find_listener(c->h, &s->dst, s->dport)) != NULL) {
		tmi_listener_rcv(c, k, s, 0, false);
		return;
	}
	/* tcp_v4_send_reset(): no socket (reason NO_SOCKET). */
	tmi_send_reset_for(c, s, TM_OBJ_FULL, 0, "no socket: reset");
}

/* ---- The entry ---- */

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
		if (!tmi_addr_eq(&ev->u.seg.dst, &h->addr))
			return 0;
		seg_arrives(&c, &ev->u.seg);
		return 0;
	case TM_EV_TIMER:
		tmi_timer_fires(&c, ev);
		return 0;
	case TM_EV_APP:
		tmi_app_call(&c, &ev->u.app);
		return 0;
	}
	tmi_fx_new(&c, TM_FX_ERROR, TM_OBJ_FULL, 0, "unknown event kind");
	return -1;
}
