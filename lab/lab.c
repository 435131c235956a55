/* SPDX-License-Identifier: MIT */
/*
 * The kernel lab: namespace, TUN wiring, per-namespace sysctls and a
 * private tracefs instance.  See lab.h for the contract.  The trace is
 * read and decoded by the project's tracefs client (collectors/tracefs.h:
 * binary records, by the formats in /sys/kernel/tracing/events/{sock,tcp}/).
 */
#include "lab/lab.h"

#include <sys/stat.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "collectors/tracefs.h"
#include "collectors/tracefs_inst.h"

static int
write_file(const char *path, const char *val, struct td_err *err)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0)
		return td_errf(err, errno, "%s: %s", path, strerror(errno));
	n = write(fd, val, len);
	if (n < 0 || (size_t)n != len) {
		int e = n < 0 ? errno : EIO;

		close(fd);
		return td_errf(err, e, "writing '%s' to %s: %s", val, path, strerror(e));
	}
	close(fd);
	return 0;
}

int
lab_enter(struct lab *lab, unsigned int id, struct td_err *err)
{
	unsigned int a = 1 + (id / 250) % 250, b = 2 + id % 250;
	char buf[64];

	memset(lab, 0, sizeof(*lab));
	lab->tun.fd = -1;
	snprintf(lab->local4_s, sizeof(lab->local4_s), "198.18.%u.%u", a, b);
	snprintf(lab->local6_s, sizeof(lab->local6_s), "2001:db8:7464::%x:%x:1", a, b);
	tm_addr_parse(lab->local4_s, &lab->local4);
	tm_addr_parse(lab->local6_s, &lab->local6);
	snprintf(buf, sizeof(buf), "198.19.%u.%u", a, b);
	tm_addr_parse(buf, &lab->peer4);
	snprintf(buf, sizeof(buf), "2001:db8:7464::%x:%x:2", a, b);
	tm_addr_parse(buf, &lab->peer6);
	if (unshare(CLONE_NEWNET) < 0)
		return td_errf(err, errno, "new network namespace: %s%s", strerror(errno),
		    errno == EPERM ? " (needs root)" : "");
	lab->entered = true;
	/*
	 * No router solicitations or duplicate address detection on the wire
	 * we compare: set before the device exists, so it inherits "default".
	 */
	if (lab_sysctl(lab, "net/ipv6/conf/default/accept_dad", "0", err) < 0 ||
	    lab_sysctl(lab, "net/ipv6/conf/default/router_solicitations", "0", err) < 0 ||
	    lab_sysctl(lab, "net/ipv6/conf/default/dad_transmits", "0", err) < 0 ||
	    lab_link_up("lo", err) < 0 ||
	    lab_tun_open(&lab->tun, "tdk0", err) < 0 ||
	    lab_tun_up(&lab->tun, err) < 0 ||
	    lab_tun_addr(&lab->tun, &lab->local4, 15, err) < 0 ||
	    lab_tun_addr(&lab->tun, &lab->local6, 64, err) < 0)
		return -1;
	return 0;
}

int
lab_sysctl(struct lab *lab, const char *name, const char *value, struct td_err *err)
{
	char path[PATH_MAX], *p;

	(void)lab;
	if (strstr(name, "..") != NULL || name[0] == '/' || name[0] == '\0')
		return td_errf(err, EINVAL, "sysctl '%s': bad name", name);
	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	return write_file(path, value, err);
}

static void
trace_remove(struct lab *lab)
{
	tracefs_close(lab->trace);
	lab->trace = NULL;
}

int
lab_trace_start(struct lab *lab, uint16_t lo, uint16_t hi, struct td_err *err)
{
	const struct tracefs_opts o = {
		.port = lo,
		.port_hi = hi,
		.events = TD_TRACE_BIT(TD_TRACE_STATE) | TD_TRACE_BIT(TD_TRACE_RETRANSMIT_SYNACK) |
		    TD_TRACE_BIT(TD_TRACE_SEND_RESET) | TD_TRACE_BIT(TD_TRACE_RECEIVE_RESET),
		.prefix = "tdk",
		.kept = true,
	};

	lab->port_lo = lo;
	lab->port_hi = hi;
	/*
	 * The client removes the dead labs' instances first; the caller has
	 * called tfs_guard().  Signals wait until the instance is set up.
	 */
	tfs_block(true);
	lab->trace = tracefs_open(&o, err);
	tfs_block(false);
	return lab->trace == NULL ? -1 : 0;
}

/* ---- Reading the trace ---- */

const char *
lab_state_name(int st)
{
	return st > 0 && st < TD_ST_MAX ? td_state_name((unsigned int)st) : "?";
}

struct collect {
	const struct lab *lab;
	struct in6_addr	 local4, local6;	/* the kernel's addresses, IPv4 v4-mapped */
	struct lab_ev	*ev;
	size_t		 cap, n;
};

/* Keep the events on the lab's ports whose local end (the source) is the lab's. */
static int
collect_one(const struct td_trace_ev *t, void *arg, struct td_err *err)
{
	struct collect *c = arg;
	struct lab_ev *ev;

	(void)err;
	if (c->n == c->cap)
		return 0;
	if (!((t->sport >= c->lab->port_lo && t->sport <= c->lab->port_hi) ||
	    (t->dport >= c->lab->port_lo && t->dport <= c->lab->port_hi)))
		return 0;
	if (memcmp(&t->src, &c->local4, sizeof(t->src)) != 0 &&
	    memcmp(&t->src, &c->local6, sizeof(t->src)) != 0)
		return 0;
	ev = &c->ev[c->n++];
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = (uint64_t)t->mono_ns;
	ev->kind = (enum lab_ev_kind)t->kind;
	ev->sport = t->sport;
	ev->dport = t->dport;
	ev->oldstate = t->oldstate;
	ev->newstate = t->newstate;
	snprintf(ev->reason, sizeof(ev->reason), "%s", t->reason);
	return 0;
}

static void
collect_init(struct collect *c, const struct lab *lab, struct lab_ev *ev, size_t cap)
{
	struct in_addr a4;

	memset(c, 0, sizeof(*c));
	c->lab = lab;
	c->ev = ev;
	c->cap = cap;
	if (inet_pton(AF_INET, lab->local4_s, &a4) == 1) {
		c->local4.s6_addr[10] = c->local4.s6_addr[11] = 0xff;
		memcpy(&c->local4.s6_addr[12], &a4, 4);
	}
	if (inet_pton(AF_INET6, lab->local6_s, &c->local6) != 1)
		memset(&c->local6, 0xff, sizeof(c->local6));
}

int
lab_trace_read_dir(const struct lab *lab, const char *dir, struct lab_ev *ev, size_t cap,
    struct td_err *err)
{
	const struct tracefs_opts o = {
		.events = TD_TRACE_BIT(TD_TRACE_STATE) | TD_TRACE_BIT(TD_TRACE_RETRANSMIT_SYNACK) |
		    TD_TRACE_BIT(TD_TRACE_SEND_RESET) | TD_TRACE_BIT(TD_TRACE_RECEIVE_RESET),
		.port = lab->port_lo,
		.port_hi = lab->port_hi,
	};
	struct collect c;

	collect_init(&c, lab, ev, cap);
	if (tracefs_read_dir(dir, &o, 0, collect_one, &c, err) < 0)
		return -1;
	return (int)c.n;
}

int
lab_trace_read(struct lab *lab, struct lab_ev *ev, size_t cap, struct td_err *err)
{
	struct collect c;

	if (lab->trace == NULL)
		return td_errf(err, EINVAL, "trace: no tracefs instance");
	collect_init(&c, lab, ev, cap);
	if (tracefs_read(lab->trace, collect_one, &c, err) < 0)
		return -1;
	return (int)c.n;
}

void
lab_leave(struct lab *lab)
{
	trace_remove(lab);
	lab_tun_close(&lab->tun);
}
