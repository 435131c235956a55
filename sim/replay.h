/* SPDX-License-Identifier: MIT */
/*
 * Replay: TCP connections reconstructed from captured segments.  Each
 * connection (a 4-tuple from its SYN to its end; a reused 4-tuple after a
 * close is a new connection) has two endpoints whose states (tcp/tm.h's
 * enum tm_state, the kernel's names) follow the segments each one sends and
 * receives, as RFC 9293 3.3.2 and Linux's tcp_rcv_state_process() move
 * them; connections already open when the capture began are picked up in
 * the middle.  Per connection: a timeline per endpoint, handshake times,
 * who closed first, how it ended, retransmitted SYN/SYN-ACK/FIN with their
 * intervals, bytes each way, Zeek's conn_state and history, Wireshark's
 * tcp.analysis names for the per-packet flags, the expected next event of
 * each endpoint under a tm_profile, and the departures from that profile.
 *
 * Streaming: memory is bounded by the connections open at once (at most
 * max_conns, further ones are counted as dropped), idle connections expire
 * by capture time, and every connection is handed to on_end exactly once,
 * when it ends, expires, or the capture ends.
 */
#ifndef TD_SIM_REPLAY_H
#define TD_SIM_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/tm.h"

struct td_err;
struct rp_model;
struct rp_conn;

#define RP_TL_MAX	16		/* states kept per endpoint timeline */
#define RP_RTX_MAX	8		/* retransmission intervals kept */
#define RP_HIST_MAX	48		/* history letters kept */
#define RP_DEPS_KEPT	6		/* departures kept per connection */
#define RP_TOMB_MIN	4096		/* ended connections remembered, at least */
#define RP_TOMB_PER_OPEN 4		/* ... and per connection open at once (peak) */

/* Wireshark's tcp.analysis.* names, counted per connection. */
enum rp_an {
	RP_AN_RETRANSMISSION = 0,
	RP_AN_OUT_OF_ORDER,
	RP_AN_LOST_SEGMENT,
	RP_AN_ACK_LOST_SEGMENT,
	RP_AN_DUPLICATE_ACK,
	RP_AN_ZERO_WINDOW,
	RP_AN_ZERO_WINDOW_PROBE,
	RP_AN_WINDOW_UPDATE,
	RP_AN_KEEP_ALIVE,
	RP_AN_KEEP_ALIVE_ACK,
	RP_AN_REUSED_PORTS,
	RP_AN_MAX
};
const char	*rp_an_name(enum rp_an a);	/* "retransmission", ... */

/* Where the capture departs from the profile's behaviour. */
enum rp_dep {
	RP_DEP_SYN_RTO = 0,		/* SYN retransmitted after another interval */
	RP_DEP_SYNACK_RTO,		/* SYN-ACK retransmitted after another interval */
	RP_DEP_RST_NOT_FIN,		/* RST from an open endpoint that sent no FIN */
	RP_DEP_DATA_AFTER_FIN,		/* data beyond the sender's own FIN */
	RP_DEP_OUT_OF_WINDOW,		/* data beyond the receiver's advertised window */
	RP_DEP_TW_LOWER_SEQ,		/* SYN reopening TIME_WAIT with a lower sequence number */
	RP_DEP_SYNACK_AFTER_ACK,	/* SYN-ACK retransmitted after the third ACK was seen */
	RP_DEP_ACK_MISSING,		/* the model acknowledges a SYN-ACK or FIN; no ACK came */
	RP_DEP_RST_UNEXPECTED,		/* a RST where no call or segment makes the model send one */
	RP_DEP_UNEXPECTED,		/* a segment the model would not send in its state */
	RP_DEP_MAX
};
const char	*rp_dep_name(enum rp_dep d);	/* "synack_rto", ... */

enum rp_end {
	RP_END_OPEN = 0,		/* still open when the capture ended */
	RP_END_FIN,			/* FIN both ways, last ACK seen */
	RP_END_RST,			/* reset by ended.by in state ended.state */
	RP_END_TIMEOUT,			/* idle longer than the idle limit */
	RP_END_HALF_CLOSED,		/* one FIN only, then the capture ended or it expired */
	RP_END_EVICTED,			/* pushed out by the connection cap */
};
const char	*rp_end_name(enum rp_end e);	/* "open", "fin", "rst", ... */

struct rp_tl {
	uint64_t	t;		/* ns since the first packet of the capture */
	uint8_t		st;		/* enum tm_state */
	uint64_t	pkt;		/* packet number that showed it */
};

/* The model's view of one endpoint (sim/replay_model.c). */
#define RP_MTL_MAX	12		/* model states kept per endpoint */

struct rp_mtl {
	uint64_t	t, pkt;		/* ns since the capture's first packet; the packet that caused it */
	uint8_t		st, obj;	/* enum tm_state, enum tm_obj */
	const char	*why;		/* the model's reason (static text), or NULL */
};

struct rp_mside {
	uint8_t		st, obj;	/* the model's state of the endpoint now, and its object */
	struct rp_mtl	tl[RP_MTL_MAX];
	uint8_t		ntl;
	uint32_t	tl_more;
	bool		has_next;	/* a timer of the model is armed */
	uint64_t	next_t;		/* when it fires, ns since the capture's first packet */
	uint8_t		next_timer;	/* enum tm_timer */
	bool		started;	/* the model has seen the endpoint start */
	bool		syn_waiting;	/* a SYN waits for this (responder) side's answer */
	uint64_t	rto;		/* its retransmission timeout, ns */
};

/*
 * The model's expected next event of side i in words (rp_mside's state,
 * object and next timer under p): "TIME_WAIT ends at 61.2 s (...)".
 */
void	rp_model_next(const struct rp_conn *c, int i, const struct tm_profile *p, char *buf,
	    size_t len);

/* Whether the model followed a connection. */
enum rp_follow {
	RP_MODEL_FOLLOWED = 0,
	RP_MODEL_OFF,			/* not followed from the start (c->model_note says why) */
	RP_MODEL_LOST,			/* followed up to a packet (c->model_note) */
};

struct rp_side {
	struct tm_addr	addr;
	uint16_t	port;
	uint8_t		st;		/* enum tm_state now */
	struct rp_tl	tl[RP_TL_MAX];
	uint8_t		ntl;
	uint32_t	tl_more;	/* changes past RP_TL_MAX */
	uint64_t	packets, bytes;	/* bytes: new sequence space of payload */
	bool		has_isn, fin_sent, sent_data;
	tm_seq		isn, snd_max, fin_seq, last_ack;
	bool		has_ack;
	uint16_t	last_wnd;
	uint8_t		wscale;		/* from its SYN; 0 without one */
	bool		has_wscale, has_ts;
	uint32_t	last_tsval;
	uint32_t	nsyn;		/* SYN or SYN-ACK sent (first + retransmissions) */
	uint32_t	nfin;
	uint64_t	syn_t, fin_t;	/* ns, last SYN/SYN-ACK and last FIN */
	uint64_t	syn_rtx[RP_RTX_MAX];	/* intervals, ns */
	uint64_t	fin_rtx[RP_RTX_MAX];
	uint8_t		nsyn_rtx, nfin_rtx;
	bool		saw_keepalive;	/* the last segment was a keep-alive probe */
	bool		has_gap;	/* ack_gap is known */
	uint64_t	ack_gap;	/* ns: the shortest wait, at the capture point, from the
					   peer's newest data to this side's ACK of all of it */
	bool		lost;		/* a gap was seen since the last advance */
	uint64_t	adv_t;		/* when snd_max last advanced */
	struct rp_mside	m;		/* the model's view of it */
};

struct rp_departure {
	uint8_t		id;		/* enum rp_dep */
	uint64_t	pkt;
	char		text[160];
};

struct rp_conn {
	uint64_t	id;		/* 1, 2, ... in order of the first packet */
	struct rp_side	s[2];		/* [0] originator (sent the SYN), [1] responder */
	uint64_t	first_t, last_t, end_t;	/* ns since the capture's first packet */
	uint64_t	first_pkt, last_pkt;
	uint64_t	syn_t, synack_t, ack_t;	/* handshake, 0 if not seen (+1 ns) */
	bool		partial;	/* picked up in the middle (no SYN seen) */
	bool		flipped;	/* originator guessed from ports ('^' in history) */
	bool		established;	/* the handshake completed (or partial) */
	bool		reused;		/* a SYN reopened a 4-tuple seen before */
	bool		bad_checksum;
	int8_t		closer;		/* side that sent the first FIN or RST, -1 */
	uint8_t		end;		/* enum rp_end */
	int8_t		end_by;		/* RST: side that sent it, -1 */
	uint8_t		end_state;	/* RST: that side's state before it */
	uint8_t		third_ack_side;	/* for synack_after_ack */
	uint32_t	synack_after_ack;
	char		history[RP_HIST_MAX + 1];
	uint8_t		hist_n[2][16];	/* repeat counters for c, t, w, g */
	uint64_t	an[RP_AN_MAX];
	struct rp_departure dep[RP_DEPS_KEPT];
	uint8_t		ndep;
	uint32_t	dep_more;
	uint32_t	dep_seen;	/* bitmask of enum rp_dep */
	uint8_t		model;		/* enum rp_follow */
	char		model_note[160];	/* why it is not (or no longer) followed */
	/* Private to replay.c. */
	struct rp_model	*mdl;
	struct rp_conn	*hnext, *lprev, *lnext;
	uint32_t	hash;
	bool		done;		/* handed to on_end (then freed) */
};

/* "SF", "S0", ... */
const char	*rp_conn_state(const struct rp_conn *c);
/* Which side the capture point was nearer to, from the handshake timing. */
const char	*rp_capture_near(const struct rp_conn *c);	/* originator|responder|unknown */
/*
 * The expected next event of side i at the end of the capture under p, in
 * words: "SYN-ACK retransmission 2.0 s after the last (tcp_synack_retries 5)".
 */
void		 rp_expected(const struct rp_conn *c, int i, const struct tm_profile *p,
		    char *buf, size_t len);

/* What the receiving side's model answered a segment with (for ladders). */
struct rp_mresp {
	bool		has;
	int		dir;		/* the side that sends it: 0 originator */
	struct tm_seg	seg;		/* as the model sends it (payload NULL) */
	bool		rtx;
	uint32_t	rseq, rack;	/* relative to its own ISN and to the peer's */
	bool		has_rack;	/* the peer's ISN is known */
};

/* One packet as a connection saw it (for ladders). */
struct rp_pkt {
	uint64_t	no, t;		/* t: ns since the capture's first packet */
	int		dir;		/* 0: originator -> responder */
	const struct tm_seg *seg;
	uint8_t		st_before[2], st_after[2];
	uint8_t		mst_after[2];	/* the model's states after it */
	uint8_t		mobj_after[2];
	bool		followed;	/* the model follows the connection */
	uint32_t	an;		/* bitmask of enum rp_an */
	uint32_t	dep;		/* bitmask of enum rp_dep raised by this packet */
	const struct rp_departure *deps;	/* those of them with their words, for on_pkt */
	unsigned int	ndeps;
	/* The model's segments (only those with .has set are filled in; not zeroed per packet). */
	struct rp_mresp	mresp;		/* the model's answer to it */
	struct rp_mresp	msyn;		/* the responder's model's answer to the SYN, made when
					   this packet (its first) showed the responder answering */
	struct rp_mresp	minstead;	/* the model's segment in this packet's place (a FIN
					   where the capture has a RST), dir: this packet's */
};

/* Capture-level aggregates for the findings (bounded tables). */
#define RP_LISTENERS	256
#define RP_SRCSET	256

struct rp_listener {
	struct tm_addr	addr;
	uint16_t	port;
	bool		used;
	uint64_t	syns;		/* connections opened by a SYN */
	uint64_t	s0;		/* no SYN-ACK ever */
	uint64_t	sh;		/* SYN-ACK but no third ACK (half-open) */
	uint64_t	done;		/* handshakes completed */
	uint64_t	rej;
	uint64_t	synack_after_ack;	/* connections with it */
	uint64_t	synack_after_ack_pkts;
	uint64_t	sources;	/* distinct sources, up to RP_SRCSET */
	bool		sources_more;
	struct in6_addr	src[RP_SRCSET];	/* open-addressed set */
	uint64_t	syn_rtx;	/* connections whose SYN was retransmitted */
	uint64_t	s0_rtx;		/* of those, never answered */
	uint64_t	isn_n;		/* SYN-ACK ISNs seen */
	tm_seq		isn_last;
	int64_t		isn_delta;	/* the last delta */
	uint64_t	isn_same_delta;	/* consecutive equal or small deltas */
	uint64_t	isn_small;	/* deltas below 2^16 */
};

struct rp_stats {
	uint64_t	segments, conns, open, open_peak, ended, expired, dropped;
	uint64_t	tombstone_segments;	/* segments after a connection's end */
	uint64_t	tw_forgotten;	/* ended ones given up while maybe still in TIME_WAIT */
	uint64_t	by_state[16];	/* index: rp_state_index() */
	uint64_t	by_end[8];
	uint64_t	an[RP_AN_MAX];
	uint64_t	dep[RP_DEP_MAX];
	uint64_t	rst_total, rst_max_per_s, rst_conns;
	uint64_t	rst_sec, rst_sec_n;
	uint64_t	rst_in_tw;	/* RST to an endpoint in TIME_WAIT */
	uint64_t	rst_not_fin;	/* established connections reset, no FIN first */
	uint64_t	half_closed;	/* ended half closed after at least half_close_min */
	uint64_t	half_closed_max_ns;
	uint64_t	reuse_tw;	/* SYN on a 4-tuple whose old connection may be in TIME_WAIT */
	uint64_t	synack_after_ack;
	uint64_t	first_ts, last_ts;	/* absolute capture times, ns */
	uint64_t	near[3];	/* capture_near: originator, responder, unknown */
	uint64_t	model_followed, model_off, model_lost;	/* connections */
	uint64_t	model_picked_up;	/* of those followed or lost, picked up in the middle */
	char		ex_half[3][96], ex_rst_tw[3][96], ex_reuse[3][96];
	uint8_t		nex_half, nex_rst_tw, nex_reuse;
	struct rp_listener lis[RP_LISTENERS];
	uint64_t	lis_more;	/* connections to listeners past the table */
};

/* Index into rp_stats.by_state for a conn_state word; names via rp_state_names. */
extern const char *const rp_state_names[];
extern const unsigned int rp_nstates;
int		 rp_state_index(const char *name);

struct rp_opts {
	struct tm_profile prof;
	uint32_t	max_conns;	/* 0: 100000 */
	uint64_t	idle_ns;	/* 0: 300 s */
	uint64_t	half_close_min_ns;	/* 0: 2 s */
	void		(*on_end)(const struct rp_conn *c, void *arg);
	void		(*on_pkt)(const struct rp_conn *c, const struct rp_pkt *p, void *arg);
	void		*arg;
};

struct replay;

struct replay	*rp_new(const struct rp_opts *o, struct td_err *err);
/* One segment at capture time ts_ns (absolute), packet number no. */
void		 rp_segment(struct replay *r, uint64_t ts_ns, uint64_t no,
		    const struct tm_seg *seg, bool bad_checksum);
/* End of the capture: every open connection ends (open / half closed). */
void		 rp_finish(struct replay *r);
const struct rp_stats *rp_stats(const struct replay *r);
const struct tm_profile *rp_profile(const struct replay *r);
void		 rp_free(struct replay *r);

#endif /* TD_SIM_REPLAY_H */
