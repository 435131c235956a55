/* SPDX-License-Identifier: MIT */
/*
 * Replay's observer: both endpoints of a captured connection driven through
 * the bundled TCP (tcp/tm.h) by the segments the capture shows.  Each
 * endpoint is a tm_host of its own with one connection's worth of pools;
 * the segments its peer sent are delivered to it (tm_step, TM_EV_SEG) at
 * the time the capture saw them, its timers fire at the model's deadlines,
 * and what it sent itself is explained by the application call that makes
 * the model send it (connect, listen, send, shutdown, close) or by a timer.
 * Where the endpoint and the model disagree the observer reports a
 * departure, and aligns the model to what was seen (its initial sequence
 * numbers, the time of its first SYN-ACK, a retransmission timer that fired
 * early), since the capture is the truth and the model the expectation.
 *
 * What a capture cannot show is not guessed at: the capture point is not
 * the endpoint (a segment is seen before its receiver gets it, or after its
 * sender sent it), so times are compared with a tolerance (rpm_tol()); a
 * missing ACK is not reported when its segment was retransmitted (lost
 * beyond the capture point); a listener's queues are shared by connections,
 * which the capture-level findings judge, not this per-connection model;
 * the data path (congestion window, segment sizes) is aligned to the
 * capture, not checked.
 */
#ifndef TD_SIM_REPLAY_MODEL_H
#define TD_SIM_REPLAY_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/replay.h"

struct rp_model;

/* A departure found by the model, handed to the engine's list. */
struct rpm_dep {
	uint8_t		id;		/* enum rp_dep */
	char		text[160];
};

#define RPM_DEPS_MAX	4

struct rpm_deps {
	struct rpm_dep	v[RPM_DEPS_MAX];
	unsigned int	n;
};

/* What the engine knows of the segment that the model needs. */
struct rpm_seen {
	int		 dir;		/* the sending side: 0 originator */
	const struct tm_seg *seg;
	uint64_t	 t, pkt;	/* ns since the capture's first packet */
	bool		 ctl_rtx;	/* a SYN or SYN-ACK with the side's first sequence number again */
	bool		 new_data;	/* payload beyond what the side sent before */
	uint32_t	 new_len;	/* how much of it is new */
	bool		 new_fin;	/* the side's first FIN */
	bool		 keepalive;	/* a keep-alive probe */
	bool		 peer_rtx;	/* a retransmission of anything (SYN-ACK, FIN, data) */
};

/*
 * A model for connection c (its endpoints' addresses and ports), or NULL
 * when memory runs out (the connection is then not followed, c->model says
 * so).
 */
struct rp_model	*rpm_new(const struct tm_profile *p, struct rp_conn *c);
void		 rpm_free(struct rp_model *m);
/*
 * The same in a block of rpm_size() bytes the caller gives (one an
 * earlier model left: it need not be zeroed); rpm_release() instead of
 * rpm_free() hands the block back.  Replay recycles them: a capture opens
 * and closes connections all along, and allocating 3.6 KiB each time was
 * a tenth of its time.
 */
size_t		 rpm_size(void);
struct rp_model	*rpm_new_in(void *mem, const struct tm_profile *p, struct rp_conn *c);
void		*rpm_release(struct rp_model *m);
/*
 * A connection picked up in the middle: both endpoints are made ESTABLISHED
 * in the model as if a handshake had come just before g, side d's first
 * segment (with ACK), at t (ns since the capture's first packet): side d's
 * ISN is g's seq - 1, its peer's g's ack - 1.  Returns 0, or -1 if the model
 * did not take it (c->model_note says why).
 */
int		 rpm_pickup(struct rp_model *m, struct rp_conn *c, int d, const struct tm_seg *g,
		    uint64_t t, uint64_t pkt);
/* One segment the capture showed, before the engine's own bookkeeping of it ends. */
void		 rpm_segment(struct rp_model *m, struct rp_conn *c, const struct rpm_seen *sn,
		    struct rpm_deps *out, struct rp_pkt *pk);
/*
 * The connection ends (or the capture does) at time t: expectations past
 * their tolerance become departures, and each side's model state and next
 * event are written into c->s[i].m.
 */
void		 rpm_end(struct rp_model *m, struct rp_conn *c, uint64_t t, struct rpm_deps *out);
/* Write c->s[i].m's state and next event as of time t (for ladders, mid-way). */
void		 rpm_summary(struct rp_model *m, struct rp_conn *c, uint64_t t);

#endif /* TD_SIM_REPLAY_MODEL_H */
