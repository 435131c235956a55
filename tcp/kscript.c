/* SPDX-License-Identifier: MIT */
/*
 * The scenario runner's kernel leg: plays a struct tm_kscen against the
 * kernel of a tm_klab, one real socket per connection on the kernel's side
 * and scripted segments over the TUN device on the peer's side, and checks
 * every segment the kernel sends (flags, relative seq/ack, length, option
 * presence, time) and its trace events against the scenario.  See kscript.h.
 */
#include "tcp/kscript.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "collectors/sockdiag.h"
#include "tcp/klab.h"
#include "tcp/pcap.h"
#include "tcp/tun.h"

#define PEER_ISN	1000u
#define MS		1000000ull

/* Option presence bits of a parsed segment spec. */
enum {
	O_MSS = 1 << 0,
	O_WS = 1 << 1,
	O_SACKOK = 1 << 2,
	O_TS = 1 << 3,
	O_SACK = 1 << 4,
};

struct pseg {
	uint8_t		flags;
	bool		any_seq, any_ack;
	int64_t		seq, ack;
	uint32_t	len;
	unsigned int	opts;
};

struct kconn {
	int		fd;		/* kernel socket, -1 if none */
	bool		kisn_known;
	uint32_t	kisn;
	uint16_t	kport, pport;
	uint32_t	ts_recent;	/* last TSval from the kernel */
};

struct runner {
	struct tm_klab	*lab;
	struct tm_krun	*run;
	const struct tm_kscen *scen;
	struct kconn	 conn[TM_KCONN_MAX];
	int		 lfd;		/* listener */
	struct tm_addr	 kaddr, paddr;
	uint64_t	 t0, tprev;
	struct tm_pcap	 pcap;
	bool		 pcap_on;
	uint64_t	 realtime_off;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint8_t		 pkt[TM_PKT_MAX + 1];
};

/* ---- Recording and failing ---- */

static void
rec(struct runner *r, uint64_t t, enum tm_krec_kind kind, int c, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
rec(struct runner *r, uint64_t t, enum tm_krec_kind kind, int c, const char *fmt, ...)
{
	struct tm_krun *run = r->run;
	struct tm_krec *e;
	va_list ap;

	if (run->nrec == run->caprec) {
		size_t cap = run->caprec ? run->caprec * 2 : 64;
		struct tm_krec *n = realloc(run->rec, cap * sizeof(*n));

		if (n == NULL)
			return;
		run->rec = n;
		run->caprec = cap;
	}
	e = &run->rec[run->nrec++];
	e->t_ns = t >= r->t0 ? t - r->t0 : 0;
	e->kind = kind;
	e->c = c;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

static int
fail(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct runner *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->run->failed) {
		r->run->failed = true;
		va_start(ap, fmt);
		vsnprintf(r->run->why, sizeof(r->run->why), fmt, ap);
		va_end(ap);
	}
	return 1;
}

static double
rel_s(const struct runner *r, uint64_t t)
{
	return (double)(t - r->t0) / 1e9;
}

/* ---- Segment specs ---- */

static int
parse_flags(const char *s, size_t n, uint8_t *fl)
{
	size_t i;

	*fl = 0;
	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case 'F': *fl |= TM_FIN; break;
		case 'S': *fl |= TM_SYN; break;
		case 'R': *fl |= TM_RST; break;
		case 'P': *fl |= TM_PSH; break;
		case '.': *fl |= TM_ACK; break;
		case 'U': *fl |= TM_URG; break;
		case 'E': *fl |= TM_ECE; break;
		case 'W': *fl |= TM_CWR; break;
		default: return -1;
		}
	}
	return 0;
}

static int
parse_opts(const char *s, unsigned int *o)
{
	static const struct {
		const char	*name;
		unsigned int	 bit;
	} tab[] = {
		{ "mss", O_MSS }, { "ws", O_WS }, { "sackok", O_SACKOK },
		{ "ts", O_TS }, { "sack", O_SACK },
	};
	size_t i, n;

	*o = 0;
	if (s == NULL || strcmp(s, "-") == 0)
		return 0;
	while (*s) {
		n = strcspn(s, ",");
		for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
			if (strlen(tab[i].name) == n && strncmp(tab[i].name, s, n) == 0)
				break;
		if (i == sizeof(tab) / sizeof(tab[0]))
			return -1;
		*o |= tab[i].bit;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int
parse_seg(const char *spec, struct pseg *p, struct td_err *err)
{
	char fl[16], seq[24], ack[24], opts[64] = "-";
	unsigned int len;
	int n;

	memset(p, 0, sizeof(*p));
	n = sscanf(spec, "%15s %23s %23s %u %63s", fl, seq, ack, &len, opts);
	if (n < 4 || parse_flags(fl, strlen(fl), &p->flags) < 0 || parse_opts(opts, &p->opts) < 0)
		return td_errf(err, EINVAL, "scenario: bad segment '%s'", spec);
	p->any_seq = strcmp(seq, "-") == 0;
	p->any_ack = strcmp(ack, "-") == 0;
	p->seq = p->any_seq ? 0 : strtoll(seq, NULL, 10);
	p->ack = p->any_ack ? 0 : strtoll(ack, NULL, 10);
	p->len = len;
	return 0;
}

static unsigned int
seg_opts(const struct tm_seg *s)
{
	return (s->has_mss ? O_MSS : 0) | (s->has_wscale ? O_WS : 0) |
	    (s->sack_ok ? O_SACKOK : 0) | (s->has_ts ? O_TS : 0) | (s->nsack ? O_SACK : 0);
}

static void
opts_str(unsigned int o, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s%s", o & O_MSS ? "mss," : "", o & O_WS ? "ws," : "",
	    o & O_SACKOK ? "sackok," : "", o & O_TS ? "ts," : "", o & O_SACK ? "sack," : "");
	if (buf[0] == '\0')
		snprintf(buf, cap, "-");
	else
		buf[strlen(buf) - 1] = '\0';
}

/* A segment in spec syntax, seq/ack relative (no ack printed without ACK). */
static void
norm_str(uint8_t flags, int64_t seq, int64_t ack, uint32_t len, unsigned int opts,
    char *buf, size_t cap)
{
	char fl[16], o[48], a[24];

	tm_flags_str(flags, fl, sizeof(fl));
	opts_str(opts, o, sizeof(o));
	if (flags & TM_ACK)
		snprintf(a, sizeof(a), "%lld", (long long)ack);
	else
		snprintf(a, sizeof(a), "-");
	snprintf(buf, cap, "%s %lld %s %u %s", fl, (long long)seq, a, len, o);
}

/* ---- Time windows ---- */

/*
 * The late slack of the kernel's timer wheel for a timeout of dt: the
 * granularity of the wheel level it lands in (kernel/time/timer.c, LVL_*,
 * 64 slots per level, each level 8 times coarser; HZ=250 here).
 */
static uint64_t
wheel_slack(uint64_t dt)
{
	uint64_t jiffy = 4 * MS, j = dt / jiffy, gran = 1;

	while (j >= 63 * gran && gran < 4096)
		gran *= 8;
	return (gran + 1) * jiffy;
}

static uint64_t
tolerance(uint64_t dt)
{
	uint64_t t = dt / 20;

	return t > 20 * MS ? t : 20 * MS;
}

/* ---- Sockets ---- */

static int
sockaddr_of(const struct tm_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, &a->a.s6_addr[12], 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = a->a;
	return sizeof(*sin6);
}

static int
new_socket(struct runner *r, uint16_t port, struct td_err *err)
{
	struct sockaddr_storage ss;
	int fd, one = 1;
	socklen_t len;

	fd = socket(r->kaddr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return td_errf(err, errno, "socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	len = (socklen_t)sockaddr_of(&r->kaddr, port, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		td_errf(err, errno, "bind port %u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int
conn_socket(struct runner *r, int c, struct td_err *err)
{
	if (r->conn[c].fd < 0 && (r->conn[c].fd = new_socket(r, r->conn[c].kport, err)) < 0)
		return -1;
	return r->conn[c].fd;
}

static int
do_sockopt(struct runner *r, const struct tm_kstep *st, struct td_err *err)
{
	static const struct {
		const char	*name;
		int		 level, opt;
	} tab[] = {
		{ "keepalive", SOL_SOCKET, SO_KEEPALIVE },
		{ "keepidle", IPPROTO_TCP, TCP_KEEPIDLE },
		{ "keepintvl", IPPROTO_TCP, TCP_KEEPINTVL },
		{ "keepcnt", IPPROTO_TCP, TCP_KEEPCNT },
		{ "linger2", IPPROTO_TCP, TCP_LINGER2 },
		{ "user_timeout", IPPROTO_TCP, TCP_USER_TIMEOUT },
		{ "syncnt", IPPROTO_TCP, TCP_SYNCNT },
		{ "linger", SOL_SOCKET, SO_LINGER },
	};
	struct linger lg = { 1, (int)st->n };
	int fd, v = (int)st->n;
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].name, st->s1) == 0)
			break;
	if (i == sizeof(tab) / sizeof(tab[0]))
		return td_errf(err, EINVAL, "scenario: unknown socket option '%s'", st->s1);
	if ((fd = conn_socket(r, st->c, err)) < 0)
		return -1;
	if (tab[i].opt == SO_LINGER ?
	    setsockopt(fd, tab[i].level, tab[i].opt, &lg, sizeof(lg)) :
	    setsockopt(fd, tab[i].level, tab[i].opt, &v, sizeof(v)) < 0)
		return td_errf(err, errno, "setsockopt %s=%ld: %s", st->s1, st->n, strerror(errno));
	return 0;
}

/* ---- The wire ---- */

static int
emit(struct runner *r, const uint8_t *pkt, size_t len, uint64_t ts)
{
	/* Captures carry wall-clock time, as tcpdump's do. */
	if (r->pcap_on && tm_pcap_write(&r->pcap, ts + r->realtime_off, pkt, len, NULL) < 0)
		r->pcap_on = false;
	return 0;
}

static int
conn_of(const struct runner *r, const struct tm_seg *s)
{
	int c;

	for (c = 0; c < TM_KCONN_MAX; c++)
		if (r->conn[c].kport == s->sport && r->conn[c].pport == s->dport)
			return c;
	return -1;
}

/*
 * Read the kernel's next segment on one of our connections, waiting until
 * deadline.  Returns 1 with *s and *ts set, 0 at the deadline, -1 on a
 * harness error.  Other traffic (IPv6 neighbour discovery, MLD) is skipped.
 */
static int
kernel_seg(struct runner *r, uint64_t deadline, struct tm_seg *s, int *c, uint64_t *ts,
    struct td_err *err)
{
	struct td_err derr;
	uint64_t now;
	int n, ms;

	for (;;) {
		now = tm_now_ns();
		ms = deadline > now ? (int)((deadline - now + MS - 1) / MS) : 0;
		n = tm_tun_read(&r->lab->tun, r->pkt, sizeof(r->pkt), ms, ts, err);
		if (n <= 0)
			return n;
		emit(r, r->pkt, (size_t)n, *ts);
		memset(&derr, 0, sizeof(derr));
		if (tm_seg_decode(r->pkt, (size_t)n, s, &derr) != TM_DEC_OK) {
			if (derr.code == EPROTONOSUPPORT)
				continue;	/* not TCP */
			fail(r, "kernel sent a bad packet at +%.3fs: %s", rel_s(r, *ts), derr.msg);
			continue;
		}
		if ((*c = conn_of(r, s)) >= 0)
			return 1;
	}
}

/* Normalise and record a kernel segment; returns its spec form. */
static void
kernel_norm(struct runner *r, int c, const struct tm_seg *s, uint64_t ts, struct pseg *p)
{
	struct kconn *k = &r->conn[c];
	char buf[96];

	memset(p, 0, sizeof(*p));
	p->flags = s->flags;
	if (s->flags & TM_SYN) {
		p->seq = k->kisn_known ? (int32_t)(s->seq - k->kisn) : 0;
		k->kisn = s->seq;
		k->kisn_known = true;
	} else {
		p->seq = k->kisn_known ? (int32_t)(s->seq - k->kisn) : (int64_t)s->seq;
	}
	p->ack = (int32_t)(s->ack - PEER_ISN);
	p->len = s->len;
	p->opts = seg_opts(s);
	if (s->has_ts)
		k->ts_recent = s->tsval;
	norm_str(p->flags, p->seq, p->ack, p->len, p->opts, buf, sizeof(buf));
	rec(r, ts, KR_OUT, c, "%s", buf);
}

static int
step_in(struct runner *r, const struct tm_kstep *st, struct td_err *err)
{
	struct kconn *k = &r->conn[st->c];
	struct tm_seg s;
	struct pseg p;
	uint64_t now;
	char buf[96];
	int n;

	if (parse_seg(st->seg, &p, err) < 0)
		return -1;
	memset(&s, 0, sizeof(s));
	s.src = r->paddr;
	s.dst = r->kaddr;
	s.sport = k->pport;
	s.dport = k->kport;
	s.seq = PEER_ISN + (uint32_t)p.seq;
	s.ack = (p.flags & TM_ACK) ? k->kisn + (uint32_t)p.ack : 0;
	s.flags = p.flags;
	s.wnd = 65535;
	s.len = p.len;
	if (p.opts & O_MSS) {
		s.has_mss = true;
		s.mss = 1460;
	}
	if (p.opts & O_WS) {
		s.has_wscale = true;
		s.wscale = 7;
	}
	s.sack_ok = (p.opts & O_SACKOK) != 0;
	if (p.opts & O_TS) {
		s.has_ts = true;
		s.tsval = (uint32_t)((tm_now_ns() - r->t0) / MS) + 1;
		s.tsecr = k->ts_recent;
	}
	if ((n = tm_seg_encode(&s, r->pkt, sizeof(r->pkt), err)) < 0)
		return -1;
	now = tm_now_ns();
	if (tm_tun_write(&r->lab->tun, r->pkt, (size_t)n, err) < 0)
		return -1;
	emit(r, r->pkt, (size_t)n, now);
	norm_str(p.flags, p.seq, p.ack, p.len, p.opts, buf, sizeof(buf));
	rec(r, now, KR_IN, st->c, "%s", buf);
	r->tprev = now;
	return 0;
}

static int
step_out(struct runner *r, const struct tm_kstep *st, struct td_err *err)
{
	uint64_t dt = (uint64_t)st->ms * MS, want = r->tprev + dt, ts;
	uint64_t lo = want - (tolerance(dt) < want ? tolerance(dt) : want);
	uint64_t hi = want + tolerance(dt) + wheel_slack(dt);
	struct tm_seg s;
	struct pseg e, p;
	char got[96], exp[96];
	int c, n;

	if (parse_seg(st->seg, &e, err) < 0)
		return -1;
	norm_str(e.flags, e.seq, e.ack, e.len, e.opts, exp, sizeof(exp));
	n = kernel_seg(r, hi, &s, &c, &ts, err);
	if (n < 0)
		return -1;
	if (n == 0) {
		rec(r, hi, KR_CHECK, st->c, "missing: %s", exp);
		r->tprev = want;
		return fail(r, "c%d: expected '%s' at +%.3fs (%d ms after the previous step), nothing came by +%.3fs",
		    st->c, st->seg, rel_s(r, want), st->ms, rel_s(r, hi));
	}
	kernel_norm(r, c, &s, ts, &p);
	r->tprev = ts;
	norm_str(p.flags, p.seq, p.ack, p.len, p.opts, got, sizeof(got));
	if (c != st->c || p.flags != e.flags || (!e.any_seq && p.seq != e.seq) ||
	    (!e.any_ack && (e.flags & TM_ACK) && p.ack != e.ack) || p.len != e.len ||
	    p.opts != e.opts)
		return fail(r, "c%d: expected '%s', kernel sent c%d '%s' at +%.3fs", st->c,
		    st->seg, c, got, rel_s(r, ts));
	if (ts < lo)
		return fail(r, "c%d: '%s' came at +%.3fs, %.0f ms early (expected +%.3fs)", c, got,
		    rel_s(r, ts), (double)(want - ts) / 1e6, rel_s(r, want));
	return 0;
}

static int
step_quiet(struct runner *r, const struct tm_kstep *st, struct td_err *err)
{
	uint64_t until = r->tprev + (uint64_t)st->ms * MS, ts;
	struct tm_seg s;
	struct pseg p;
	char got[96];
	int c, n;

	while ((n = kernel_seg(r, until, &s, &c, &ts, err)) == 1) {
		kernel_norm(r, c, &s, ts, &p);
		norm_str(p.flags, p.seq, p.ack, p.len, p.opts, got, sizeof(got));
		fail(r, "c%d: kernel sent '%s' at +%.3fs during %d ms of expected silence", c, got,
		    rel_s(r, ts), st->ms);
	}
	if (n < 0)
		return -1;
	r->tprev = until;
	return 0;
}

static int
step_app(struct runner *r, const struct tm_kstep *st, struct td_err *err)
{
	struct kconn *k = st->c >= 0 ? &r->conn[st->c] : NULL;
	struct sockaddr_storage ss;
	uint64_t now = tm_now_ns();
	socklen_t len = sizeof(ss);
	char buf[4096];
	int fd, v;
	ssize_t w;

	switch (st->op) {
	case KS_LISTEN:
		if ((r->lfd = new_socket(r, r->run->base_port, err)) < 0)
			return -1;
		if (listen(r->lfd, (int)st->n) < 0)
			return td_errf(err, errno, "listen: %s", strerror(errno));
		rec(r, now, KR_APP, -1, "listen(%ld)", st->n);
		break;
	case KS_CONNECT:
		if ((fd = conn_socket(r, st->c, err)) < 0)
			return -1;
		len = (socklen_t)sockaddr_of(&r->paddr, k->pport, &ss);
		if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
			return td_errf(err, errno, "connect: %s", strerror(errno));
		rec(r, now, KR_APP, st->c, "connect()");
		break;
	case KS_ACCEPT:
		fd = accept4(r->lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			rec(r, now, KR_APP, st->c, "accept() = %s", strerror(errno));
			if (errno != st->n)
				fail(r, "c%d: accept() failed: %s", st->c, strerror(errno));
			break;
		}
		v = -1;
		{
			uint16_t port = ntohs(ss.ss_family == AF_INET ?
			    ((struct sockaddr_in *)&ss)->sin_port :
			    ((struct sockaddr_in6 *)&ss)->sin6_port);
			int c;

			for (c = 0; c < TM_KCONN_MAX; c++)
				if (r->conn[c].pport == port)
					v = c;
		}
		rec(r, now, KR_APP, v, "accept()");
		if (v != st->c || st->n != 0) {
			close(fd);
			fail(r, "c%d: accept() returned connection c%d", st->c, v);
			break;
		}
		k->fd = fd;
		break;
	case KS_SEND:
		memset(buf, 'x', sizeof(buf));
		w = send(k->fd, buf, (size_t)st->n < sizeof(buf) ? (size_t)st->n : sizeof(buf),
		    MSG_NOSIGNAL);
		rec(r, now, KR_APP, st->c, "send(%ld) = %zd", st->n, w);
		if (w != st->n)
			fail(r, "c%d: send(%ld) = %zd: %s", st->c, st->n, w, strerror(errno));
		break;
	case KS_SHUTDOWN:
		rec(r, now, KR_APP, st->c, "shutdown(SHUT_WR)");
		if (shutdown(k->fd, SHUT_WR) < 0)
			fail(r, "c%d: shutdown: %s", st->c, strerror(errno));
		break;
	case KS_CLOSE:
		if (st->c < 0) {
			rec(r, now, KR_APP, -1, "close(listener)");
			close(r->lfd);
			r->lfd = -1;
		} else {
			rec(r, now, KR_APP, st->c, "close()");
			close(k->fd);
			k->fd = -1;
		}
		break;
	case KS_SOCKOPT:
		rec(r, now, KR_APP, st->c, "setsockopt(%s, %ld)", st->s1, st->n);
		if (do_sockopt(r, st, err) < 0)
			return -1;
		break;
	case KS_SOERROR:
		len = sizeof(v);
		v = -1;
		if (k->fd < 0 || getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &v, &len) < 0)
			return fail(r, "c%d: SO_ERROR: no socket", st->c);
		rec(r, now, KR_CHECK, st->c, "SO_ERROR = %s", v ? strerror(v) : "0");
		if (v != st->n)
			fail(r, "c%d: SO_ERROR is %d (%s), expected %ld (%s)", st->c, v,
			    v ? strerror(v) : "none", st->n, st->n ? strerror((int)st->n) : "none");
		break;
	default:
		break;
	}
	r->tprev = tm_now_ns();
	return 0;
}

/* ---- sock_diag checkpoints ---- */

struct ss_find {
	uint16_t	sport, dport;
	bool		found;
	struct td_sock	sk;
};

static int
ss_match(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct ss_find *f = arg;

	(void)err;
	if (sk->sport == f->sport && sk->dport == f->dport && !f->found) {
		f->found = true;
		f->sk = *sk;
	}
	return 0;
}

/*
 * The connection's socket as the collectors see it (collectors/sockdiag.c):
 * state, and the timer's time left when st->n > 0 (within 1 s: sock_diag
 * reports jiffies left, and TIME_WAIT's wheel slack is about that).
 */
static int
step_ss(struct runner *r, const struct tm_kstep *st, struct td_err *err)
{
	struct sockdiag_req req = { .family = r->kaddr.family };
	struct ss_find f = { .sport = r->conn[st->c].kport, .dport = r->conn[st->c].pport };
	uint64_t now = tm_now_ns();
	const char *got;

	if (sockdiag_dump(&req, ss_match, &f, err) < 0)
		return -1;
	got = f.found ? td_state_name(f.sk.state) : "none";
	if (f.found && st->n > 0)
		rec(r, now, KR_CHECK, st->c, "ss %s timer %u ms", got, f.sk.timer_ms);
	else
		rec(r, now, KR_CHECK, st->c, "ss %s", got);
	if (strcmp(got, st->s1) != 0)
		fail(r, "c%d: sock_diag shows %s at +%.3fs, expected %s", st->c, got,
		    rel_s(r, now), st->s1);
	else if (f.found && st->n < 0 && f.sk.timer != TD_TIMER_OFF)
		fail(r, "c%d: %s has a timer (%u ms left) at +%.3fs, expected none", st->c, got,
		    f.sk.timer_ms, rel_s(r, now));
	else if (f.found && st->n > 0 &&
	    (f.sk.timer_ms + 1000 < (uint64_t)st->n || f.sk.timer_ms > (uint64_t)st->n + 1000))
		fail(r, "c%d: %s timer has %u ms left at +%.3fs, expected %ld ms", st->c, got,
		    f.sk.timer_ms, rel_s(r, now), st->n);
	r->tprev = tm_now_ns();
	return 0;
}

/* ---- The trace ---- */

static void
kev_name(const struct runner *r, uint16_t sport, uint16_t dport, char *buf, size_t cap)
{
	int c;

	for (c = 0; c < TM_KCONN_MAX; c++)
		if (r->conn[c].kport == sport && r->conn[c].pport == dport) {
			snprintf(buf, cap, "c%d", c);
			return;
		}
	if (sport == r->run->base_port && dport == 0)
		snprintf(buf, cap, "L");
	else
		snprintf(buf, cap, "%u-%u", sport, dport);
}

static int
check_trace(struct runner *r, struct td_err *err)
{
	struct tm_kev ev[256];
	char got[2048], who[24];
	size_t i, n = 0;
	int nev;

	if ((nev = tm_klab_trace_read(r->lab, ev, 256, err)) < 0)
		return -1;
	got[0] = '\0';
	for (i = 0; i < (size_t)nev; i++) {
		char one[96];

		kev_name(r, ev[i].sport, ev[i].dport, who, sizeof(who));
		switch (ev[i].kind) {
		case TM_KEV_STATE:
			snprintf(one, sizeof(one), "%s %s>%s", who, tm_kstate_name(ev[i].oldstate),
			    tm_kstate_name(ev[i].newstate));
			break;
		case TM_KEV_RETRANSMIT_SYNACK:
			snprintf(one, sizeof(one), "%s retransmit_synack", who);
			break;
		case TM_KEV_SEND_RESET:
			snprintf(one, sizeof(one), "%s send_reset(%s)", who, ev[i].reason);
			break;
		case TM_KEV_RECEIVE_RESET:
			snprintf(one, sizeof(one), "%s receive_reset", who);
			break;
		}
		rec(r, ev[i].ts_ns, KR_TRACE, -1, "%s", one);
		if (n < sizeof(got))
			n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s", n ? ", " : "", one);
	}
	if (r->scen->trace != NULL && strcmp(got, r->scen->trace) != 0) {
		fail(r, "trace differs");
		rec(r, tm_now_ns(), KR_CHECK, -1, "trace expected: %s", r->scen->trace);
		rec(r, tm_now_ns(), KR_CHECK, -1, "trace got:      %s", got);
	}
	return 0;
}

/* ---- The run ---- */

int
tm_krun_kernel(struct tm_klab *lab, const struct tm_kscen *scen, struct tm_krun *run,
    struct td_err *err)
{
	struct runner *r;
	struct timespec rt;
	const struct tm_kstep *st;
	struct tm_seg s;
	struct pseg p;
	uint64_t ts;
	int c, ret = -1;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	r->lab = lab;
	r->run = run;
	r->scen = run->scen = scen;
	r->lfd = -1;
	run->failed = false;
	run->why[0] = '\0';
	r->kaddr = run->family == AF_INET6 ? lab->local6 : lab->local4;
	r->paddr = run->family == AF_INET6 ? lab->peer6 : lab->peer4;
	for (c = 0; c < TM_KCONN_MAX; c++) {
		r->conn[c].fd = -1;
		r->conn[c].kport = scen->active ? (uint16_t)(run->base_port + 1 + c) : run->base_port;
		r->conn[c].pport = scen->active ? run->base_port : (uint16_t)(run->base_port + 1 + c);
	}
	if (run->pcap_fp != NULL) {
		if (tm_pcap_fcreate(&r->pcap, run->pcap_fp, "capture", err) < 0)
			goto out;
		r->pcap_on = true;
		clock_gettime(CLOCK_REALTIME, &rt);
		r->realtime_off = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec -
		    tm_now_ns();
	}
	for (st = scen->steps; st->op != KS_END; st++)
		if (st->op == KS_SYSCTL && tm_klab_sysctl(lab, st->s1, st->s2, err) < 0)
			goto out;
	if (tm_klab_trace_start(lab, run->base_port, (uint16_t)(run->base_port + TM_KCONN_MAX),
	    err) < 0)
		goto out;
	r->t0 = r->tprev = tm_now_ns();
	for (st = scen->steps; st->op != KS_END; st++) {
		if (st->c >= TM_KCONN_MAX) {
			td_errf(err, EINVAL, "scenario %s: connection %d out of range", scen->name, st->c);
			goto out;
		}
		switch (st->op) {
		case KS_SYSCTL:
			break;
		case KS_IN:
			if (step_in(r, st, err) < 0)
				goto out;
			break;
		case KS_OUT:
			if (step_out(r, st, err) < 0)
				goto out;
			break;
		case KS_QUIET:
			if (step_quiet(r, st, err) < 0)
				goto out;
			break;
		case KS_SS:
			if (step_ss(r, st, err) < 0)
				goto out;
			break;
		default:
			if (step_app(r, st, err) < 0)
				goto out;
			break;
		}
	}
	/* Anything the kernel sent that no step expected is a difference too. */
	while ((c = kernel_seg(r, tm_now_ns() + 50 * MS, &s, &c, &ts, err)) == 1) {
		char got[96];

		kernel_norm(r, conn_of(r, &s), &s, ts, &p);
		norm_str(p.flags, p.seq, p.ack, p.len, p.opts, got, sizeof(got));
		fail(r, "kernel sent '%s' at +%.3fs after the last step", got, rel_s(r, ts));
	}
	if (c < 0)
		goto out;
	if (check_trace(r, err) < 0)
		goto out;
	ret = 0;
out:
	if (r->pcap_on || r->pcap.fp != NULL)
		tm_pcap_close(&r->pcap, NULL);
	for (c = 0; c < TM_KCONN_MAX; c++)
		if (r->conn[c].fd >= 0)
			close(r->conn[c].fd);
	if (r->lfd >= 0)
		close(r->lfd);
	free(r);
	return ret;
}

void
tm_krun_print(const struct tm_krun *run, FILE *fp)
{
	static const char *const kinds[] = {
		[KR_IN] = "<in ", [KR_OUT] = ">out", [KR_APP] = "app ", [KR_TRACE] = "trc ",
		[KR_CHECK] = "chk ",
	};
	struct tm_krec *sorted;
	size_t i;

	if (run->nrec == 0)
		return;
	if ((sorted = malloc(run->nrec * sizeof(*sorted))) == NULL)
		return;
	memcpy(sorted, run->rec, run->nrec * sizeof(*sorted));
	/* Trace events were appended at the end: a stable insertion sort by time. */
	for (i = 1; i < run->nrec; i++) {
		struct tm_krec x = sorted[i];
		size_t j = i;

		while (j > 0 && sorted[j - 1].t_ns > x.t_ns) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = x;
	}
	for (i = 0; i < run->nrec; i++) {
		const struct tm_krec *e = &sorted[i];
		char who[8];

		if (e->c >= 0)
			snprintf(who, sizeof(who), "c%d", e->c % 100);
		else
			snprintf(who, sizeof(who), "-");
		fprintf(fp, "%9.3f  %-3s %s  %s\n", (double)e->t_ns / 1e9, who, kinds[e->kind],
		    e->text);
	}
	free(sorted);
}

void
tm_krun_free(struct tm_krun *run)
{
	free(run->rec);
	run->rec = NULL;
	run->nrec = run->caprec = 0;
}
