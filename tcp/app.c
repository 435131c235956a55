/* SPDX-License-Identifier: MIT */
/*
 * Application calls (the socket API: net/ipv4/af_inet.c, tcp.c,
 * inet_connection_sock.c): connect, listen, accept, send, recv, shutdown,
 * close, setsockopt, getsockopt and ioctl.  A visible state x call table (app_table[]) decides
 * which calls are allowed and their errors; close() and shutdown() move along
 * tcp.c's new_state[].
 */
#include "tcp/step_int.h"

#include <errno.h>
#include <pthread.h>

#include "core/util.h"

enum app_action {
	A_ERR = 0,		/* fail with err */
	A_CONNECT, A_LISTEN, A_BACKLOG, A_ACCEPT, A_SEND, A_SEND_QUEUE, A_RECV,
	A_SHUT_FIN, A_SHUT_DISCONNECT, A_SHUT_LISTEN, A_NOP, A_CLOSE, A_SETOPT, A_GETOPT, A_IOCTL,
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
	{ TM_CALL_SHUTDOWN, ST(TM_LISTEN), A_SHUT_LISTEN, 0 },
	{ TM_CALL_SHUTDOWN, ST(TM_CLOSE), A_ERR, ENOTCONN },
	{ TM_CALL_SHUTDOWN, ST_ALL, A_NOP, 0 },
	{ TM_CALL_CLOSE, ST_ALL, A_CLOSE, 0 },
	{ TM_CALL_SETSOCKOPT, ST_ALL, A_SETOPT, 0 },
	{ TM_CALL_GETSOCKOPT, ST_ALL, A_GETOPT, 0 },
	{ TM_CALL_IOCTL, ST(TM_LISTEN), A_ERR, EINVAL },	/* tcp_ioctl() */
	{ TM_CALL_IOCTL, ST_ALL, A_IOCTL, 0 },
};

/*
 * The first matching row of app_table[] by (call, state), built once from
 * the table, so a call does not walk it (close() matched at row 20):
 * app_row[call][state] is the row + 1, 0 when none matches.
 */
static uint8_t app_row[TM_CALL_SO_ERROR][TM_STATE_MAX];
static pthread_once_t app_row_once = PTHREAD_ONCE_INIT;
static bool app_row_built;	/* set (release) when app_row is complete */

_Static_assert(ARRAY_SIZE(app_table) < UINT8_MAX, "app_row holds a row + 1 in 8 bits");
_Static_assert(TM_STATE_MAX <= 32, "app_table's states are a 32-bit mask");

static void
app_row_build(void)
{
	size_t row;
	unsigned int st;

	for (row = ARRAY_SIZE(app_table); row-- > 0;)	/* the first match wins */
		for (st = 0; st < TM_STATE_MAX; st++)
			if (app_table[row].call < TM_CALL_SO_ERROR && (app_table[row].states & ST(st)))
				app_row[app_table[row].call][st] = (uint8_t)(row + 1);
	__atomic_store_n(&app_row_built, true, __ATOMIC_RELEASE);
}

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

/* ---- connect() ---- */

static void
conn_start(struct ctx *c, struct tm_conn *k, bool have_isn, tm_seq isn)
{
	struct tm_seg s;

	k->iss = tm_isn_ts(c->p, c->h->key, &k->laddr, &k->raddr, k->lport, k->rport,
	    c->now, &k->ts_off);
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
	tmi_set_state(c, k, TM_SYN_SENT, TM_E_CONNECT, "tcp_v4_connect()");
	tmi_count(c, TM_C_ACTIVE_OPENS);
	tmi_conn_seg(c, k, &s, k->iss, TM_SYN, 0);
	tmi_emit_seg(c, TM_OBJ_FULL, k->id, &s, false, "tcp_connect()");
	tmi_rtx_arm(c, k);
}

static bool
port_busy(struct tm_host *h, uint16_t lport, const struct tm_addr *raddr, uint16_t rport)
{
	uint32_t i;

	for (i = 0; i < h->hw_conns; i++) {
		struct tm_conn *k = &h->conns[i];

		if (k->id && k->lport == lport && k->state != TM_CLOSE &&
		    (k->state == TM_LISTEN || (k->rport == rport && tmi_addr_eq(&k->raddr, raddr))))
			return true;
	}
	return tmi_find_tw(h, raddr, lport, rport) != NULL;
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
	} else if ((tw = tmi_find_tw(h, &a->raddr, port, a->rport)) != NULL) {
		/* tcp_twsk_unique(): reuse needs tcp_tw_reuse and timestamps (Part B #23). */
		bool loop = a->raddr.a.s6_addr[12] == 127 || tmi_addr_eq(&a->raddr, &h->addr);

		if (c->p->timestamps && tw->has_ts && (c->p->tw_reuse == 1 || (c->p->tw_reuse == 2 && loop)) &&
		    c->now - tw->ts_recent_stamp >= c->p->tw_reuse_delay) {
			reuse = true;
			reuse_isn = tw->snd_nxt + 65535 + 2;
			tmi_count(c, TM_C_TW_RECYCLED);
			tmi_tw_report(c, tw, TM_CLOSE, TM_E_CONNECT, "tcp_twsk_unique(): TIME_WAIT tuple reused");
			tmi_tw_free(c, tw);
		} else {
			return EADDRNOTAVAIL;
		}
	} else if (port_busy(h, port, &a->raddr, a->rport)) {
		return EADDRINUSE;
	}
	if ((k = tm_host_conn(h, *idp)) == NULL && (k = tmi_conn_alloc(h, 0)) == NULL)
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

/* ---- close() ---- */

/* __tcp_close() */
static void
app_close(struct ctx *c, struct tm_conn *k)
{
	enum tm_state st = k->state;
	tm_time tmo;

	k->shut_rd = k->shut_wr = true;
	if (st == TM_LISTEN) {
		tmi_set_state(c, k, TM_CLOSE, TM_E_CLOSE, "__tcp_close(): listener");
		tmi_listen_stop(c, k);
		k->orphan = true;
		tmi_conn_done(c, k, TM_E_CLOSE, "listener closed");
		return;
	}
	k->orphan = true;
	if (st == TM_CLOSE) {
		tmi_conn_done(c, k, TM_E_CLOSE, "close()");
		return;
	}
	if (k->rcvq > 0) {
		/* RFC 2525 2.17: unread data is lost, so RST instead of FIN (Part B #18). */
		tmi_count(c, TM_C_ABORT_ON_CLOSE);
		k->rcvq = 0;
		tmi_set_state(c, k, TM_CLOSE, TM_E_CLOSE, "__tcp_close(): unread data, RST instead of FIN");
		tmi_active_reset(c, k, "__tcp_close(): reason TCP_ABORT_ON_CLOSE");
		tmi_conn_done(c, k, TM_E_CLOSE, "close()");
		return;
	}
	if (k->opt.linger0) {
		tmi_count(c, TM_C_ABORT_ON_DATA);
		if (st == TM_ESTABLISHED || st == TM_CLOSE_WAIT || st == TM_FIN_WAIT1 ||
		    st == TM_FIN_WAIT2 || st == TM_SYN_RECV)
			tmi_active_reset(c, k, "SO_LINGER 0: tcp_disconnect()");
		tmi_conn_done(c, k, TM_E_CLOSE, "SO_LINGER 0: abortive close");
		return;
	}
	if (new_state[st].to != st || c->p->trace_linux) {
		/* tcp_close_state() traces even the self-edges (Part B #22). */
		if (new_state[st].to != st || st == TM_FIN_WAIT1 || st == TM_FIN_WAIT2 ||
		    st == TM_LAST_ACK || st == TM_CLOSING)
			tmi_set_state(c, k, new_state[st].to, TM_E_CLOSE, new_state[st].to == st ?
			    "tcp_close_state(): new_state[] self-edge, traced" : "tcp_close_state()");
	}
	if (new_state[st].fin) {
		k->fin_queued = true;
		tmi_push(c, k);
	}
	if (k->state == TM_FIN_WAIT2 && c->p->orphan_fin_wait2) {
		if (k->opt.linger2_s < 0) {
			tmi_active_reset(c, k, "TCP_LINGER2 < 0: reason TCP_ABORT_ON_LINGER");
			tmi_count(c, TM_C_ABORT_ON_LINGER);
			tmi_conn_done(c, k, TM_E_CLOSE, "TCP_LINGER2 < 0");
			return;
		}
		tmo = tm_fin_time(c->p, k->opt.linger2_s, k->rto);
		if (tmo > c->p->timewait_len)
			tmi_keepalive_arm(c, k, tmo - c->p->timewait_len);
		else
			tmi_enter_timewait(c, k, TM_FIN_WAIT2, tmo, TM_E_TW_TAKEOVER);
		return;
	}
	if (k->state == TM_CLOSE)
		tmi_conn_done(c, k, TM_E_CLOSE, "close()");
}

/* ---- setsockopt() ---- */

/*
 * secs_to_retrans() (net/ipv4/tcp.c): TCP_DEFER_ACCEPT seconds as the number
 * of SYN-ACK retransmissions (1 s, doubling up to TCP_RTO_MAX) that cover
 * them; retrans_to_secs() turns it back for getsockopt().
 */
static uint8_t
secs_to_retrans(int64_t secs, tm_time rto, tm_time rto_max)
{
	tm_time period = rto, want = TM_SEC(secs);
	unsigned int res = 1;

	if (secs <= 0)
		return 0;
	while (want > period && res < 255) {
		res++;
		rto = rto * 2 > rto_max ? rto_max : rto * 2;
		period += rto;
	}
	return (uint8_t)res;
}

static int64_t
retrans_to_secs(unsigned int n, tm_time rto, tm_time rto_max)
{
	tm_time period = rto;

	if (n == 0)
		return 0;
	while (--n) {
		rto = rto * 2 > rto_max ? rto_max : rto * 2;
		period += rto;
	}
	return (int64_t)(period / TM_SEC(1));
}

/*
 * sock_setsockopt() SO_RCVBUF / SO_SNDBUF: the value, capped at
 * net.core.rmem_max / wmem_max (212992, the default), doubled "to allow
 * room for struct sk_buff overhead", and at least SOCK_MIN_RCVBUF (2304:
 * 2048 + the aligned struct sk_buff) or SOCK_MIN_SNDBUF (twice that).
 */
static int
buf_value(int64_t v, int min)
{
	if (v > 212992)
		v = 212992;
	if (v < 0)
		v = 0;
	return (int)(v * 2 > min ? v * 2 : min);
}

static int
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
			tmi_keepalive_arm(c, k, tmi_ka_time(c, k));
		else if (!k->opt.keepalive)
			tmi_timer_stop(c, TM_OBJ_FULL, k->id, &k->deadline[TM_T_KEEPALIVE], TM_T_KEEPALIVE);
		break;
	case TM_SO_KEEPIDLE:
		k->opt.keepidle = TM_SEC(v);
		if (k->opt.keepalive && k->state != TM_CLOSE && k->state != TM_LISTEN) {
			tm_time el = c->now - k->last_rcv;

			tmi_keepalive_arm(c, k, k->opt.keepidle > el ? k->opt.keepidle - el : 0);
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
	case TM_SO_DEFER_ACCEPT:
		k->opt.defer_accept = secs_to_retrans(v, c->p->rto_init, c->p->rto_max);
		break;
	case TM_SO_RCVBUF:
		k->opt.rcvbuf = buf_value(v, 2304);
		break;
	case TM_SO_SNDBUF:
		k->opt.sndbuf = buf_value(v, 4608);
		break;
	default:
		return ENOPROTOOPT;	/* read only */
	}
	return 0;
}

/*
 * getsockopt(): sock_getsockopt() for the SOL_SOCKET ones, do_tcp_getsockopt()
 * and tcp_get_info() for the TCP ones.  Buffer sizes not set by the
 * application are the tcp_rmem[1] / tcp_wmem[1] defaults of tcp_init_sock()
 * (autotuning, which grows them once established, is not modelled).
 */
static int
app_getopt(struct ctx *c, struct tm_conn *k, enum tm_sockopt o, int64_t *ret)
{
	switch (o) {
	case TM_SO_KEEPALIVE:		*ret = k->opt.keepalive; break;
	case TM_SO_KEEPIDLE:		*ret = (int64_t)(tmi_ka_time(c, k) / TM_SEC(1)); break;
	case TM_SO_KEEPINTVL:
		*ret = (int64_t)((k->opt.keepintvl ? k->opt.keepintvl : c->p->keepalive_intvl) /
		    TM_SEC(1));
		break;
	case TM_SO_KEEPCNT:
		*ret = k->opt.keepcnt ? k->opt.keepcnt : c->p->keepalive_probes;
		break;
	case TM_SO_LINGER2:
		/* do_tcp_getsockopt(): (linger2 ?: tcp_fin_timeout) / HZ, or -1 */
		*ret = k->opt.linger2_s < 0 ? -1 : k->opt.linger2_s ? k->opt.linger2_s :
		    (int64_t)(c->p->fin_timeout / TM_SEC(1));
		break;
	case TM_SO_SYNCNT:		*ret = k->opt.syncnt ? k->opt.syncnt : c->p->syn_retries; break;
	case TM_SO_USER_TIMEOUT:	*ret = (int64_t)(k->opt.user_timeout / TM_MS(1)); break;
	case TM_SO_DEFER_ACCEPT:
		*ret = retrans_to_secs(k->opt.defer_accept, c->p->rto_init, c->p->rto_max);
		break;
	case TM_SO_RCVBUF:		*ret = k->opt.rcvbuf ? k->opt.rcvbuf : 131072; break;
	case TM_SO_SNDBUF:		*ret = k->opt.sndbuf ? k->opt.sndbuf : 16384; break;
	case TM_SO_ERROR:
		/* sock_error(): xchg(&sk->sk_err, 0) */
		*ret = k->err;
		k->err = 0;
		break;
	case TM_SO_TCPI_STATE:		*ret = k->state; break;
	case TM_SO_TCPI_RETRANSMITS:	*ret = k->retransmits; break;
	case TM_SO_TCPI_BACKOFF:	*ret = k->backoff; break;
	case TM_SO_TCPI_PROBES:		*ret = k->probes_out; break;
	default:
		return ENOPROTOOPT;
	}
	return 0;
}

/*
 * tcp_ioctl(): SIOCINQ is tcp_inq(), the bytes not yet read (the peer's
 * FIN is not counted; 0 before the handshake completed); SIOCOUTQ is
 * write_seq - snd_una, the bytes not yet acknowledged, our FIN counting one
 * once queued (tcp_send_fin() advances write_seq).
 */
static int
app_ioctl(struct tm_conn *k, enum tm_sockopt o, int64_t *ret)
{
	bool opening = k->state == TM_SYN_SENT || k->state == TM_SYN_RECV;

	if (o == TM_SO_SIOCINQ)
		*ret = opening ? 0 : k->rcvq;
	else if (o == TM_SO_SIOCOUTQ)
		*ret = opening ? 0 : (int64_t)(uint32_t)(k->snd_nxt - k->snd_una) + k->sndq +
		    (k->fin_queued && !k->fin_sent);
	else
		return EINVAL;
	return 0;
}

/* ---- The call table at work ---- */

void
tmi_app_call(struct ctx *c, const struct tm_app *a)
{
	struct tm_host *h = c->h;
	struct tm_conn *k = NULL, *best;
	enum tm_state st = TM_CLOSE;
	uint32_t id = a->sock, i;
	size_t row;
	int err = 0;
	int64_t ret = 0;

	if (a->call >= TM_CALL_SO_ERROR) {
		tmi_app_result(c, id, a->call, EINVAL, -1, "unknown call");
		return;
	}
	if (a->call != TM_CALL_CONNECT && a->call != TM_CALL_LISTEN) {
		if ((k = tm_host_conn(h, id)) == NULL || k->orphan) {
			tmi_app_result(c, id, a->call, EBADF, -1, "no such socket");
			return;
		}
		st = k->state;
	} else if (id != 0 && (k = tm_host_conn(h, id)) != NULL) {
		st = k->state;
	}
	if (!__atomic_load_n(&app_row_built, __ATOMIC_ACQUIRE))
		(void)pthread_once(&app_row_once, app_row_build);
	row = (unsigned int)st < TM_STATE_MAX ? app_row[a->call][st] : 0;
	if (row-- == 0) {
		tmi_app_result(c, id, a->call, EINVAL, -1, "no row in the call table");
		return;
	}
	if (k != NULL && k->err && a->call != TM_CALL_CLOSE && a->call != TM_CALL_SETSOCKOPT &&
	    a->call != TM_CALL_RECV && a->call != TM_CALL_GETSOCKOPT && a->call != TM_CALL_IOCTL) {
		/* sock_error(): a pending error is returned first, once. */
		err = k->err;
		k->err = 0;
		tmi_app_result(c, id, a->call, err, -1, "pending socket error");
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
		if (port_busy(h, a->lport, &h->addr, 0) && tmi_find_listener(h, &h->addr, a->lport)) {
			err = EADDRINUSE;
			break;
		}
		if (k == NULL && (k = tmi_conn_alloc(h, 0)) == NULL) {
			err = ENOBUFS;
			break;
		}
		k->state = TM_CLOSE;
		k->laddr = h->addr;
		k->lport = a->lport;
		k->backlog = a->backlog < c->p->somaxconn ? a->backlog : c->p->somaxconn;
		if (k->backlog < 0)
			k->backlog = 0;
		tmi_set_state(c, k, TM_LISTEN, TM_E_LISTEN, "inet_csk_listen_start()");
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
		tmi_app_result(c, best->id, TM_CALL_ACCEPT, 0, best->id, "accept(): the oldest child");
		return;
	case A_SEND:
		if (k->shut_wr) {
			err = EPIPE;
			break;
		}
		k->sndq += a->len;
		ret = a->len;
		tmi_push(c, k);
		break;
	case A_SEND_QUEUE:
		/*
		 * tcp_sendmsg_locked() -> sk_stream_wait_connect(): a blocking
		 * send() waits for the handshake (its data then rides on the
		 * ACK, sk_write_pending); a non-blocking one gets EAGAIN.
		 */
		if (a->nonblock) {
			err = EAGAIN;
			break;
		}
		k->sndq += a->len;
		ret = a->len;
		break;
	case A_RECV:
		/*
		 * tcp_recvmsg_locked(): queued data first; with none, the
		 * socket error, then end of file when the peer's FIN came
		 * (SOCK_DONE) or the reading side is shut down (RCV_SHUTDOWN,
		 * from shutdown(SHUT_RD) or SHUT_RDWR), before EAGAIN.
		 */
		if (k->rcvq > 0) {
			ret = a->len && a->len < k->rcvq ? a->len : k->rcvq;
			k->rcvq -= (uint32_t)ret;
			tmi_cleanup_rbuf(c, k, (uint32_t)ret);
		} else if (k->err) {
			err = k->err;
			k->err = 0;
		} else if (k->fin_rcvd || k->shut_rd || k->state == TM_CLOSE) {
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
		tmi_set_state(c, k, new_state[st].to, TM_E_SHUTDOWN, "tcp_shutdown(): tcp_close_state()");
		k->fin_queued = true;
		tmi_push(c, k);
		break;
	case A_SHUT_LISTEN:
		/*
		 * inet_shutdown() on a listener: SHUT_WR does nothing; SHUT_RD
		 * and SHUT_RDWR call tcp_disconnect(), which stops it as close()
		 * does (LISTEN>CLOSE, then inet_csk_listen_stop(): unaccepted
		 * children reset, requests dropped), and the socket stays open
		 * in CLOSE, free to listen() again.
		 */
		if (a->how == 1)
			break;
		tmi_set_state(c, k, TM_CLOSE, TM_E_SHUTDOWN,
		    "inet_shutdown(): SHUT_RD on a listener, tcp_disconnect()");
		tmi_listen_stop(c, k);
		k->ack_backlog = 0;
		break;
	case A_SHUT_DISCONNECT:
		tmi_conn_done(c, k, TM_E_SHUTDOWN, "inet_shutdown(): SYN_SENT, disconnect");
		break;
	case A_NOP:
		if (a->how != 1)
			k->shut_rd = true;
		if (a->how != 0)
			k->shut_wr = true;
		break;
	case A_CLOSE:
		tmi_app_result(c, id, a->call, 0, 0, NULL);
		app_close(c, k);
		return;
	case A_SETOPT:
		err = app_setopt(c, k, a);
		break;
	case A_GETOPT:
		err = app_getopt(c, k, a->opt, &ret);
		break;
	case A_IOCTL:
		err = app_ioctl(k, a->opt, &ret);
		break;
	}
	tmi_app_result(c, id, a->call, err, err && err != EINPROGRESS ? -1 : ret, NULL);
}
