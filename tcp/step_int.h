/* SPDX-License-Identifier: MIT */
/*
 * Private to the model's step (tcp/step.c and the files it names): the
 * per-step context and the helpers the parts share.  The tmi_ prefix marks
 * them internal; nothing outside tcp/ includes this header, and other layers
 * use tcp/tm.h only.
 */
#ifndef TD_TCP_STEP_INT_H
#define TD_TCP_STEP_INT_H

#include "tcp/tm.h"

/* One tm_step() call: the profile, the host, the event's time, the effects. */
struct ctx {
	const struct tm_profile	*p;
	struct tm_host		*h;
	tm_time			 now;
	struct tm_fxbuf		*out;
	struct tm_effect	 spill;		/* target when out is full */
};

/*
 * tcp/state.c: tm_transition_legal() inline, for tmi_report() (every state
 * change): the table's flags by (obj, from, to, event), built once.
 */
extern uint8_t tmi_legal_flags[TM_OBJ_TW + 1][TM_STATE_MAX][TM_STATE_MAX][TM_E_MAX];
extern bool tmi_legal_built;
void	tmi_legal_build(void);

static inline bool
tmi_legal(const struct tm_profile *p, enum tm_obj obj, enum tm_state from, enum tm_event_id ev,
    enum tm_state to)
{
	if ((unsigned int)obj > TM_OBJ_TW || (unsigned int)from >= TM_STATE_MAX ||
	    (unsigned int)to >= TM_STATE_MAX || (unsigned int)ev >= TM_E_MAX)
		return false;
	if (!__atomic_load_n(&tmi_legal_built, __ATOMIC_ACQUIRE))
		tmi_legal_build();
	return (tmi_legal_flags[obj][from][to][ev] & (p->minisocks ? TM_TR_LINUX : TM_TR_RFC)) != 0;
}

/* tcp/step.c */
struct tm_effect *tmi_fx_new(struct ctx *c, enum tm_fx_kind kind, enum tm_obj obj, uint32_t sock, const char *why);
void	tmi_count(struct ctx *c, enum tm_counter id);
void	tmi_report_full(struct ctx *c, enum tm_obj obj, uint32_t id, enum tm_state from,
    enum tm_state to, enum tm_event_id ev, const char *why);

/*
 * A state change: its TM_FX_STATE record, and a TM_FX_ERROR record when the
 * table does not have the edge (tm_transition_legal()).  Inline, the common
 * case of a quiet buffer (struct tm_fxbuf) with room and a legal edge: no
 * record, only its place counted; tmi_report_full() does the rest.
 */
static inline void
tmi_report(struct ctx *c, enum tm_obj obj, uint32_t id, enum tm_state from, enum tm_state to,
    enum tm_event_id ev, const char *why)
{
	struct tm_fxbuf *out = c->out;

	if (out->quiet && out->n + out->skipped < out->cap && tmi_legal(c->p, obj, from, ev, to)) {
		out->skipped++;
		out->noted = true;
		return;
	}
	tmi_report_full(c, obj, id, from, to, ev, why);
}
void	tmi_app_result(struct ctx *c, uint32_t id, enum tm_call call, int err, int64_t ret, const char *why);
void	tmi_timer_arm(struct ctx *c, enum tm_obj obj, uint32_t id, tm_time *deadline, enum tm_timer t,
    tm_time after);
void	tmi_timer_stop(struct ctx *c, enum tm_obj obj, uint32_t id, tm_time *deadline, enum tm_timer t);

/* tcp/host.c */
struct tm_conn *tmi_conn_alloc(struct tm_host *h, uint32_t id);
void	tmi_conn_free(struct tm_conn *k);
bool	tmi_addr_eq(const struct tm_addr *a, const struct tm_addr *b);
struct tm_reqsk *tmi_req_alloc(struct tm_host *h);
struct tm_twsk *tmi_tw_alloc(struct ctx *c, uint32_t id);
void	tmi_tw_free(struct ctx *c, struct tm_twsk *tw);
struct tm_conn *tmi_find_conn(struct tm_host *h, const struct tm_seg *s);
struct tm_twsk *tmi_find_tw(struct tm_host *h, const struct tm_addr *raddr, uint16_t lport, uint16_t rport);
struct tm_reqsk *tmi_find_req(struct tm_host *h, const struct tm_seg *s);
struct tm_conn *tmi_find_listener(struct tm_host *h, const struct tm_addr *a, uint16_t port);

/* tcp/output.c */
void	tmi_seg_init(struct tm_seg *s, const struct tm_addr *src, const struct tm_addr *dst,
    uint16_t sport, uint16_t dport, tm_seq seq, tm_seq ack, uint8_t flags);
uint32_t	tmi_ts_now(const struct ctx *c, uint32_t off);
void	tmi_emit_seg(struct ctx *c, enum tm_obj obj, uint32_t id, const struct tm_seg *s, bool rtx,
    const char *why);
void	tmi_send_reset_for(struct ctx *c, const struct tm_seg *in, enum tm_obj obj, uint32_t id,
    const char *why);
void	tmi_conn_seg(struct ctx *c, const struct tm_conn *k, struct tm_seg *s, tm_seq seq, uint8_t flags,
    uint32_t len);
void	tmi_conn_clear_ack(struct ctx *c, struct tm_conn *k);
void	tmi_send_ack(struct ctx *c, struct tm_conn *k, const char *why);
bool	tmi_oow_limited(struct ctx *c, tm_time *last);
bool	tmi_oow_limited_seg(struct ctx *c, tm_time *last, const struct tm_seg *s);
bool	tmi_challenge_allowed(struct ctx *c, tm_time *last);
void	tmi_challenge_ack(struct ctx *c, struct tm_conn *k, const char *why);
void	tmi_active_reset(struct ctx *c, struct tm_conn *k, const char *why);
void	tmi_rtx_arm(struct ctx *c, struct tm_conn *k);
void	tmi_xmit_timer(struct ctx *c, struct tm_conn *k);
void	tmi_push(struct ctx *c, struct tm_conn *k);
void	tmi_tail_loss_probe(struct ctx *c, struct tm_conn *k);

/* tcp/input.c */
void	tmi_set_state(struct ctx *c, struct tm_conn *k, enum tm_state to, enum tm_event_id ev, const char *why);
void	tmi_stop_all_timers(struct ctx *c, struct tm_conn *k);
void	tmi_conn_done(struct ctx *c, struct tm_conn *k, enum tm_event_id ev, const char *why);
void	tmi_conn_error(struct ctx *c, struct tm_conn *k, int err, const char *why);
void	tmi_rtt_sample(struct ctx *c, struct tm_conn *k, tm_time m);
void	tmi_conn_rcv(struct ctx *c, struct tm_conn *k, const struct tm_seg *s);
void	tmi_cleanup_rbuf(struct ctx *c, struct tm_conn *k, uint32_t copied);

/* tcp/listen.c */
void	tmi_synack_seg(struct ctx *c, const struct tm_reqsk *r, struct tm_seg *s);
void	tmi_listener_rcv(struct ctx *c, struct tm_conn *l, const struct tm_seg *s, tm_seq tw_isn, bool from_tw);
void	tmi_req_drop(struct ctx *c, struct tm_conn *l, struct tm_reqsk *r, enum tm_event_id ev, const char *why);
void	tmi_req_rcv(struct ctx *c, struct tm_reqsk *r, const struct tm_seg *s);
void	tmi_listen_stop(struct ctx *c, struct tm_conn *l);

/* tcp/timewait.c */
void	tmi_enter_timewait(struct ctx *c, struct tm_conn *k, enum tm_state substate, tm_time timeo,
    enum tm_event_id ev);
bool	tmi_in_window(tm_seq seq, tm_seq end, tm_seq s_win, tm_seq e_win);
void	tmi_tw_report(struct ctx *c, struct tm_twsk *tw, enum tm_state to, enum tm_event_id ev, const char *why);
void	tmi_tw_kill(struct ctx *c, struct tm_twsk *tw, enum tm_event_id ev, const char *why);
void	tmi_tw_rcv(struct ctx *c, struct tm_twsk *tw, const struct tm_seg *s);

/* tcp/timer.c */
void	tmi_keepalive_arm(struct ctx *c, struct tm_conn *k, tm_time after);
tm_time	tmi_ka_time(const struct ctx *c, const struct tm_conn *k);
void	tmi_timer_fires(struct ctx *c, const struct tm_event *ev);

/* tcp/app.c */
void	tmi_app_call(struct ctx *c, const struct tm_app *a);

#endif /* TD_TCP_STEP_INT_H */
