/* SPDX-License-Identifier: MIT */
/*
 * The conformance runner's kernel backend (backend.h): the kernel's side is a
 * real socket per connection in a lab, the peer writes and reads
 * packets on its TUN device, checkpoints come from collectors/sockdiag and
 * the trace from the lab's tracefs instance.  Times are CLOCK_MONOTONIC.
 */
#include "lab/runner.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/sockios.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/counters.h"
#include "collectors/snapshot.h"
#include "collectors/sockdiag.h"
#include "lab/backend.h"
#include "lab/lab.h"
#include "lab/pcap.h"
#include "lab/script.h"
#include "lab/tun.h"
#include "core/util.h"

/*
 * A blocking call (KS_BLOCK): made on a thread, on a socket whose
 * O_NONBLOCK is cleared for it, while the runner goes on playing the peer.
 */
struct kblock {
	bool		 started;
	pthread_t	 th;
	int		 call;		/* 'c' connect, 'a' accept, 'r' recv */
	int		 fd;
	struct sockaddr_storage ss;
	socklen_t	 sslen;
	atomic_bool	 done;
	long		 res;		/* fd, bytes, 0; -errno */
};

struct kernel {
	struct lab	*lab;
	int		 lfd;		/* listener */
	struct kblock	 blk[LAB_CONN_MAX];
	struct lab_pcap	 pcap;
	bool		 pcap_on;
	uint64_t	 realtime_off;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	struct td_counters base;	/* the namespace's counters when the run began */
	uint8_t		 pkt[TM_PKT_MAX + 1];
};

#define KB(r)	((struct kernel *)(r)->be)

static uint64_t
k_now(struct krunner *r)
{
	(void)r;
	return lab_now_ns();
}

static void
emit(struct kernel *kb, const uint8_t *pkt, size_t len, uint64_t ts)
{
	/* Captures carry wall-clock time, as tcpdump's do. */
	if (kb->pcap_on && lab_pcap_write(&kb->pcap, ts + kb->realtime_off, pkt, len, NULL) < 0)
		kb->pcap_on = false;
}

static int
k_send(struct krunner *r, const struct tm_seg *s, struct td_err *err)
{
	struct kernel *kb = KB(r);
	int n;

	if ((n = tm_seg_encode(s, kb->pkt, sizeof(kb->pkt), err)) < 0)
		return -1;
	if (lab_tun_write(&kb->lab->tun, kb->pkt, (size_t)n, err) < 0)
		return -1;
	emit(kb, kb->pkt, (size_t)n, lab_now_ns());
	return 0;
}

/* Other traffic on the device (IPv6 neighbour discovery, MLD) is skipped. */
static int
k_recv(struct krunner *r, uint64_t deadline, struct tm_seg *s, uint64_t *ts,
    struct td_err *err)
{
	struct kernel *kb = KB(r);
	struct td_err derr;
	uint64_t now;
	int n, ms;

	for (;;) {
		now = lab_now_ns();
		ms = deadline > now ? (int)((deadline - now + KMS - 1) / KMS) : 0;
		n = lab_tun_read(&kb->lab->tun, kb->pkt, sizeof(kb->pkt), ms, ts, err);
		if (n <= 0)
			return n;
		emit(kb, kb->pkt, (size_t)n, *ts);
		memset(&derr, 0, sizeof(derr));
		if (tm_seg_decode(kb->pkt, (size_t)n, s, &derr) != TM_DEC_OK) {
			if (derr.code != EPROTONOSUPPORT)
				krunner_fail(r, "kernel sent a bad packet at +%.3fs: %s",
				    (double)(*ts - r->t0) / 1e9, derr.msg);
			continue;
		}
		return 1;
	}
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
new_socket(struct krunner *r, uint16_t port, struct td_err *err)
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
conn_socket(struct krunner *r, int c, struct td_err *err)
{
	if (r->conn[c].fd < 0 && (r->conn[c].fd = new_socket(r, r->conn[c].kport, err)) < 0)
		return -1;
	return r->conn[c].fd;
}

static void *
block_thread(void *arg)
{
	struct kblock *b = arg;
	char buf[4096];
	long rc;

	if (b->call == 'c')
		rc = connect(b->fd, (struct sockaddr *)&b->ss, b->sslen);
	else if (b->call == 'a')
		rc = accept4(b->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	else
		rc = recv(b->fd, buf, sizeof(buf), 0);
	b->res = rc < 0 ? -errno : rc;
	atomic_store(&b->done, true);
	return NULL;
}

static void
set_blocking(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

/* Wait for a blocking call until deadline (ns, monotonic); true if it returned. */
static bool
block_join(struct kblock *b, uint64_t deadline)
{
	struct timespec ts;

	if (!b->started)
		return false;
	while (!atomic_load(&b->done) && lab_now_ns() < deadline) {
		ts.tv_sec = 0;
		ts.tv_nsec = 1000000;
		nanosleep(&ts, NULL);
	}
	if (!atomic_load(&b->done))
		return false;
	pthread_join(b->th, NULL);
	b->started = false;
	set_blocking(b->fd, false);
	return true;
}

/* End a call still blocked at the end of the run (a blocking syscall is a cancellation point). */
static void
block_cancel(struct kblock *b)
{
	if (!b->started)
		return;
	if (!atomic_load(&b->done))
		pthread_cancel(b->th);
	pthread_join(b->th, NULL);
	b->started = false;
}

/* The accepted fd as connection index (by the peer's port), or -errno. */
static long
accepted_conn(struct krunner *r, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint16_t port;
	int c;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return -errno;
	}
	port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	for (c = 0; c < LAB_CONN_MAX; c++)
		if (r->conn[c].pport == port && r->conn[c].fd < 0) {
			r->conn[c].fd = fd;
			return c;
		}
	close(fd);
	return -ENOENT;
}

static int
do_block(struct krunner *r, const struct lab_step *st, long *res, struct td_err *err)
{
	struct kernel *kb = KB(r);
	struct kblock *b = &kb->blk[st->c];
	struct kconn *k = &r->conn[st->c];

	if (st->op == KS_BLOCK) {
		memset(b, 0, sizeof(*b));
		atomic_init(&b->done, false);
		if (strcmp(st->s1, "connect") == 0) {
			if ((b->fd = conn_socket(r, st->c, err)) < 0)
				return -1;
			b->call = 'c';
			b->sslen = (socklen_t)sockaddr_of(&r->paddr, k->pport, &b->ss);
		} else if (strcmp(st->s1, "accept") == 0) {
			b->fd = kb->lfd;
			b->call = 'a';
		} else if (strcmp(st->s1, "recv") == 0) {
			b->fd = k->fd;
			b->call = 'r';
		} else {
			return td_errf(err, EINVAL, "scenario: unknown blocking call '%s'", st->s1);
		}
		set_blocking(b->fd, true);
		if (pthread_create(&b->th, NULL, block_thread, b) != 0) {
			set_blocking(b->fd, false);
			return td_errf(err, EAGAIN, "pthread_create failed");
		}
		b->started = true;
		/* A call that does not block returns at once: give it a moment to. */
		*res = block_join(b, lab_now_ns() + 20 * KMS);
		if (*res && b->call == 'a' && b->res >= 0)
			(void)accepted_conn(r, (int)b->res);
		return 0;
	}
	if (st->op == KS_BLOCKED) {
		*res = atomic_load(&b->done);
		return 0;
	}
	if (!block_join(b, lab_now_ns() + 1000 * KMS)) {
		*res = LAB_STILL_BLOCKED;
		return 0;
	}
	*res = b->res;
	if (b->call == 'a' && b->res >= 0)
		*res = accepted_conn(r, (int)b->res) == st->c ? 0 : -ENOENT;
	return 0;
}

/* getsockopt() and ioctl() checks. */
static int
do_getopt(struct krunner *r, const struct lab_step *st, long *res, struct td_err *err)
{
	int fd = st->c < 0 ? KB(r)->lfd : r->conn[st->c].fd, v = 0, rc;
	socklen_t len = sizeof(v);
	struct tcp_info ti;

	if (fd < 0)
		return td_errf(err, EBADF, "c%d: %s: no socket", st->c, st->s1);
	if (strncmp(st->s1, "tcpi_", 5) == 0) {
		len = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		rc = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
		if (strcmp(st->s1, "tcpi_state") == 0)
			v = ti.tcpi_state;
		else if (strcmp(st->s1, "tcpi_retransmits") == 0)
			v = ti.tcpi_retransmits;
		else if (strcmp(st->s1, "tcpi_backoff") == 0)
			v = ti.tcpi_backoff;
		else if (strcmp(st->s1, "tcpi_probes") == 0)
			v = ti.tcpi_probes;
		else
			return td_errf(err, EINVAL, "scenario: unknown TCP_INFO field '%s'", st->s1);
	} else if (strcmp(st->s1, "siocinq") == 0) {
		rc = ioctl(fd, SIOCINQ, &v);
	} else if (strcmp(st->s1, "siocoutq") == 0) {
		rc = ioctl(fd, SIOCOUTQ, &v);
	} else if (strcmp(st->s1, "so_error") == 0) {
		rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len);
	} else if (strcmp(st->s1, "rcvbuf") == 0) {
		rc = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len);
	} else if (strcmp(st->s1, "sndbuf") == 0) {
		rc = getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len);
	} else if (strcmp(st->s1, "defer_accept") == 0) {
		rc = getsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, &len);
	} else {
		return td_errf(err, EINVAL, "scenario: unknown option '%s'", st->s1);
	}
	*res = rc < 0 ? -errno : v;
	return 0;
}

static int
do_sockopt(struct krunner *r, const struct lab_step *st, long *res, struct td_err *err)
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
		{ "defer_accept", IPPROTO_TCP, TCP_DEFER_ACCEPT },
		{ "rcvbuf", SOL_SOCKET, SO_RCVBUF },
		{ "sndbuf", SOL_SOCKET, SO_SNDBUF },
	};
	struct linger lg = { 1, (int)st->n };
	int fd, v = (int)st->n, rc;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++)
		if (strcmp(tab[i].name, st->s1) == 0)
			break;
	if (i == ARRAY_SIZE(tab))
		return td_errf(err, EINVAL, "scenario: unknown socket option '%s'", st->s1);
	if (st->c < 0)
		fd = KB(r)->lfd;
	else if ((fd = conn_socket(r, st->c, err)) < 0)
		return -1;
	if (tab[i].opt == SO_LINGER && tab[i].level == SOL_SOCKET)
		rc = setsockopt(fd, tab[i].level, tab[i].opt, &lg, sizeof(lg));
	else
		rc = setsockopt(fd, tab[i].level, tab[i].opt, &v, sizeof(v));
	*res = rc < 0 ? -errno : 0;
	return 0;
}

static int
k_app(struct krunner *r, const struct lab_step *st, long *res, struct td_err *err)
{
	struct kernel *kb = KB(r);
	struct kconn *k = st->c >= 0 ? &r->conn[st->c] : NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[4096];
	int fd, v, c;
	ssize_t w;

	*res = 0;
	switch (st->op) {
	case KS_LISTEN:
		if ((kb->lfd = new_socket(r, r->run->base_port, err)) < 0)
			return -1;
		if (listen(kb->lfd, (int)st->n) < 0)
			*res = -errno;
		break;
	case KS_CONNECT:
		if ((fd = conn_socket(r, st->c, err)) < 0)
			return -1;
		len = (socklen_t)sockaddr_of(&r->paddr, k->pport, &ss);
		if (connect(fd, (struct sockaddr *)&ss, len) < 0)
			*res = -errno;
		break;
	case KS_ACCEPT:
		fd = accept4(kb->lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			*res = -errno;
			break;
		}
		{
			uint16_t port = ntohs(ss.ss_family == AF_INET ?
			    ((struct sockaddr_in *)&ss)->sin_port :
			    ((struct sockaddr_in6 *)&ss)->sin6_port);

			*res = -ENOENT;
			for (c = 0; c < LAB_CONN_MAX; c++)
				if (r->conn[c].pport == port && r->conn[c].fd < 0) {
					r->conn[c].fd = fd;
					*res = c;
					break;
				}
		}
		if (*res < 0)
			close(fd);
		break;
	case KS_SEND:
		memset(buf, 'x', sizeof(buf));
		w = send(k->fd, buf, (size_t)st->n < sizeof(buf) ? (size_t)st->n : sizeof(buf),
		    MSG_NOSIGNAL);
		*res = w < 0 ? -errno : (w == st->n ? 0 : -EIO);
		break;
	case KS_SHUTDOWN:
		if (shutdown(st->c < 0 ? kb->lfd : k->fd, (int)st->n) < 0)
			*res = -errno;
		break;
	case KS_RECV:
		w = recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT);
		*res = w < 0 ? -errno : w;
		break;
	case KS_CLOSE:
		if (st->c < 0) {
			close(kb->lfd);
			kb->lfd = -1;
		} else {
			close(k->fd);
			k->fd = -1;
		}
		break;
	case KS_SOCKOPT:
		return do_sockopt(r, st, res, err);
	case KS_GETOPT:
		return do_getopt(r, st, res, err);
	case KS_BLOCK:
	case KS_BLOCKED:
	case KS_RETURNED:
		return do_block(r, st, res, err);
	case KS_SOERROR:
		len = sizeof(v);
		v = 0;
		if (k->fd < 0 || getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &v, &len) < 0)
			return td_errf(err, EBADF, "c%d: SO_ERROR: no socket", st->c);
		*res = v;
		break;
	default:
		break;
	}
	return 0;
}

/* ---- sock_diag checkpoints (collectors/sockdiag.c) ---- */

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

static int
k_ss(struct krunner *r, int c, struct kss *out, struct td_err *err)
{
	struct sockdiag_req req = { .family = r->kaddr.family };
	struct ss_find f = { .sport = r->conn[c].kport, .dport = r->conn[c].pport };

	if (sockdiag_dump(&req, ss_match, &f, err) < 0)
		return -1;
	out->found = f.found;
	if (f.found) {
		snprintf(out->state, sizeof(out->state), "%s", td_state_name(f.sk.state));
		out->has_timer = f.sk.timer != TD_TIMER_OFF;
		out->timer_ms = f.sk.timer_ms;
	}
	return 0;
}

/* The namespace's MIB counters (collectors/counters.c), by nstat name. */
static int
k_counter(struct krunner *r, const char *name, uint64_t *v, bool *known, struct td_err *err)
{
	struct td_counters now;
	char full[96];
	int i;

	if (counters_read("/proc", &now, err) < 0)
		return -1;
	*known = false;
	for (i = 0; i < TD_CTR_MAX; i++) {
		snprintf(full, sizeof(full), "%s%s", td_counter_fields[i].section,
		    td_counter_fields[i].key);
		if (strcmp(full, name) == 0 && now.present[i] && KB(r)->base.present[i]) {
			*known = true;
			*v = now.v[i] - KB(r)->base.v[i];
			break;
		}
	}
	return 0;
}

static int
k_trace(struct krunner *r, struct lab_ev *ev, size_t cap, struct td_err *err)
{
	return lab_trace_read(KB(r)->lab, ev, cap, err);
}

static const struct kback_ops kernel_ops = {
	.now = k_now,
	.send = k_send,
	.recv = k_recv,
	.app = k_app,
	.ss = k_ss,
	.counter = k_counter,
	.trace = k_trace,
};

int
lab_run_kernel(struct lab *lab, const struct lab_scen *scen, struct lab_run *run,
    struct td_err *err)
{
	struct krunner *r;
	struct kernel *kb;
	struct timespec rt;
	const struct lab_step *st;
	uint16_t lo = run->base_port, hi = (uint16_t)(run->base_port + LAB_CONN_MAX);
	int c, ret = -1;
	size_t i;

	r = calloc(1, sizeof(*r));
	kb = calloc(1, sizeof(*kb));
	if (r == NULL || kb == NULL) {
		free(r);
		free(kb);
		return td_errf(err, ENOMEM, "out of memory");
	}
	kb->lab = lab;
	kb->lfd = -1;
	r->ops = &kernel_ops;
	r->be = kb;
	run->kaddr = run->family == AF_INET6 ? lab->local6 : lab->local4;
	run->paddr = run->family == AF_INET6 ? lab->peer6 : lab->peer4;
	krunner_init(r, run, scen, &run->kaddr, &run->paddr);
	if (run->pcap_fp != NULL) {
		if (lab_pcap_fcreate(&kb->pcap, run->pcap_fp, "capture", err) < 0)
			goto out;
		kb->pcap_on = true;
		clock_gettime(CLOCK_REALTIME, &rt);
		kb->realtime_off = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec -
		    lab_now_ns();
	}
	for (st = scen->steps; st->op != KS_END; st++)
		if (st->op == KS_SYSCTL && lab_sysctl(lab, st->s1, st->s2, err) < 0)
			goto out;
	for (i = 0; i < run->nsets && i < LAB_SETS_MAX; i++)
		if (lab_sysctl(lab, run->set_name[i], run->set_value[i], err) < 0)
			goto out;
	if (scen->prog != NULL)
		lab_xports(scen->prog, &lo, &hi);
	if (lab_trace_start(lab, lo, hi, err) < 0 || counters_read("/proc", &kb->base, err) < 0)
		goto out;
	ret = krunner_run(r, err);
out:
	for (c = 0; c < LAB_CONN_MAX; c++)
		block_cancel(&kb->blk[c]);
	if (kb->pcap.fp != NULL)
		lab_pcap_close(&kb->pcap, NULL);
	for (c = 0; c < LAB_CONN_MAX; c++)
		if (r->conn[c].fd >= 0)
			close(r->conn[c].fd);
	if (kb->lfd >= 0)
		close(kb->lfd);
	free(kb);
	free(r);
	return ret;
}
