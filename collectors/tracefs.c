/* SPDX-License-Identifier: MIT */
/*
 * sock:inet_sock_set_state (and, for the kernel lab, three tcp events)
 * through a private tracefs instance.  The kernel filters (TCP, ports, new
 * state), we read trace_pipe's (or trace's) text lines and parse the fields
 * the events' print formats name (the format files of events/sock/... and
 * events/tcp/...; include/trace/events/sock.h and tcp.h).
 */
#include "collectors/tracefs.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "collectors/tracefs_inst.h"
#include "core/num.h"

#define TRACE_SECS_MAX	((int64_t)4000000000)	/* 126 years of uptime */

struct tracefs_session {
	struct tfs_inst	inst;			/* the instance */
	const char *events[TD_TRACE_KINDS];	/* the enabled events' directories */
	size_t	nevents;
	int	fd;			/* trace_pipe, -1 when kept */
	int64_t	mono_to_real;		/* ns to add to the mono clock */
	unsigned int swept;		/* dead runs' instances removed at open */
	char	swept_name[64];		/* the first of them */
	char	buf[65536];
	size_t	len;			/* bytes of an unfinished line in buf */
};

/* Per kind: its name, the text before its fields in a trace line, its events/ directory. */
static const struct {
	const char	*name;
	const char	*tag;
	const char	*dir;
} kinds[TD_TRACE_KINDS] = {
	[TD_TRACE_STATE] = { "inet_sock_set_state", ": inet_sock_set_state: ",
	    "sock/inet_sock_set_state" },
	[TD_TRACE_RETRANSMIT_SYNACK] = { "tcp_retransmit_synack", ": tcp_retransmit_synack: ",
	    "tcp/tcp_retransmit_synack" },
	[TD_TRACE_SEND_RESET] = { "tcp_send_reset", ": tcp_send_reset: ", "tcp/tcp_send_reset" },
	[TD_TRACE_RECEIVE_RESET] = { "tcp_receive_reset", ": tcp_receive_reset: ",
	    "tcp/tcp_receive_reset" },
};

/* Write text to dir/name; a missing file is taken for a missing tracepoint (ev). */
static int
write_file(const char *dir, const char *name, const char *text, const char *ev,
    struct td_err *err)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd, saved;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		return td_errf(err, saved == ENOENT ? ENODEV : saved, "tracefs: %s: %s%s%s%s", p,
		    strerror(saved), saved == ENOENT ? " (no " : "", saved == ENOENT ? ev : "",
		    saved == ENOENT ? " tracepoint?)" : "");
	}
	n = write(fd, text, strlen(text));
	saved = errno;
	close(fd);
	if (n < 0)
		return td_errf(err, saved, "tracefs: writing '%s' to %s: %s", text, p, strerror(saved));
	return 0;
}

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The kernel-side port filter of opts ("" for none). */
static void
port_filter(const struct tracefs_opts *opts, char *buf, size_t len)
{
	buf[0] = '\0';
	if (opts == NULL || opts->port == 0)
		return;
	if (opts->port_hi > opts->port)
		snprintf(buf, len, "(sport >= %u && sport <= %u) || (dport >= %u && dport <= %u)",
		    opts->port, opts->port_hi, opts->port, opts->port_hi);
	else
		snprintf(buf, len, "(sport == %u || dport == %u)", opts->port, opts->port);
}

/* Filter and enable one tcp event (their formats have no protocol field). */
static int
enable_tcp_event(struct tracefs_session *s, enum td_trace_kind k, const char *ports,
    struct td_err *err)
{
	char name[128];

	/* tcp_send_reset prints src= and dest= sockaddrs, not sport and dport: filtered when read. */
	if (ports[0] != '\0' && k != TD_TRACE_SEND_RESET) {
		snprintf(name, sizeof(name), "events/%s/filter", kinds[k].dir);
		if (write_file(s->inst.dir, name, ports, kinds[k].name, err) < 0)
			return -1;
	}
	snprintf(name, sizeof(name), "events/%s/enable", kinds[k].dir);
	s->events[s->nevents++] = kinds[k].dir;
	return write_file(s->inst.dir, name, "1", kinds[k].name, err);
}

struct tracefs_session *
tracefs_open(const struct tracefs_opts *opts, struct td_err *err)
{
	const char *state_ev = kinds[TD_TRACE_STATE].name;
	struct tracefs_session *s;
	char filter[512], ports[160], path[PATH_MAX + 16];
	const char *root;
	size_t n;
	unsigned int st, want;
	bool first = true;
	int k;

	root = tfs_root(err);
	if (root == NULL)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		td_errf(err, ENOMEM, "out of memory");
		return NULL;
	}
	s->fd = -1;
	want = opts != NULL && opts->events != 0 ? opts->events : TD_TRACE_BIT(TD_TRACE_STATE);
	if (tfs_inst_make(&s->inst, root, opts != NULL && opts->prefix != NULL ? opts->prefix :
	    "tcpdoctor", &s->swept, s->swept_name, err) < 0) {
		free(s);
		return NULL;
	}
	port_filter(opts, ports, sizeof(ports));
	n = (size_t)snprintf(filter, sizeof(filter), "protocol == 6");
	if (ports[0] != '\0')
		n += (size_t)snprintf(filter + n, sizeof(filter) - n, " && (%s)", ports);
	if (opts != NULL && opts->states != 0) {
		n += (size_t)snprintf(filter + n, sizeof(filter) - n, " && (");
		for (st = 1; st < TD_ST_MAX && n < sizeof(filter); st++) {
			if (!(opts->states & TD_STATE_BIT(st)))
				continue;
			n += (size_t)snprintf(filter + n, sizeof(filter) - n, "%snewstate == %u",
			    first ? "" : " || ", st);
			first = false;
		}
		snprintf(filter + n, sizeof(filter) - n, ")");
	}
	/* The mono clock is CLOCK_MONOTONIC: one offset turns it into wall time. */
	if (write_file(s->inst.dir, "trace_clock", "mono", state_ev, err) < 0)
		goto fail;
	if (want & TD_TRACE_BIT(TD_TRACE_STATE)) {
		s->events[s->nevents++] = kinds[TD_TRACE_STATE].dir;
		if (write_file(s->inst.dir, "events/sock/inet_sock_set_state/filter", filter, state_ev,
		    err) < 0 ||
		    write_file(s->inst.dir, "events/sock/inet_sock_set_state/enable", "1", state_ev,
		    err) < 0)
			goto fail;
	}
	for (k = TD_TRACE_STATE + 1; k < TD_TRACE_KINDS; k++)
		if ((want & TD_TRACE_BIT(k)) && enable_tcp_event(s, (enum td_trace_kind)k, ports,
		    err) < 0)
			goto fail;
	if (write_file(s->inst.dir, "tracing_on", "1", state_ev, err) < 0)
		goto fail;
	s->mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	if (opts != NULL && opts->kept)
		return s;
	snprintf(path, sizeof(path), "%s/trace_pipe", s->inst.dir);
	s->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (s->fd < 0) {
		td_errf(err, errno, "tracefs: %s: %s", path, strerror(errno));
		goto fail;
	}
	return s;
fail:
	tracefs_close(s);
	return NULL;
}

void
tracefs_close(struct tracefs_session *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	/* An instance can be removed once nothing holds its files open. */
	tfs_inst_remove(&s->inst, s->events, s->nevents);
	free(s);
}

unsigned int
tracefs_swept(const struct tracefs_session *s, const char **first)
{
	*first = s->swept_name;
	return s->swept;
}

uint64_t
tracefs_lost(struct tracefs_session *s)
{
	char p[PATH_MAX + 300], line[128];
	struct dirent *de;
	uint64_t total = 0, v;
	DIR *d;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/per_cpu", s->inst.dir);
	d = opendir(p);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "cpu", 3) != 0)
			continue;
		snprintf(p, sizeof(p), "%s/per_cpu/%s/stats", s->inst.dir, de->d_name);
		fp = fopen(p, "re");
		if (fp == NULL)
			continue;
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "overrun: %" SCNu64, &v) == 1)
				total += v;
		fclose(fp);
	}
	closedir(d);
	return total;
}

/* The value of "key=" in the event text, copied into buf; NULL if absent. */
static const char *
field(const char *text, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key), i;
	const char *p = text;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == text || p[-1] == ' ') && p[kl] == '=') {
			p += kl + 1;
			for (i = 0; i + 1 < len && p[i] != '\0' && p[i] != ' ' && p[i] != '\n'; i++)
				buf[i] = p[i];
			buf[i] = '\0';
			return buf;
		}
		p += kl;
	}
	return NULL;
}

static int
parse_state(const char *s)
{
	return td_state_parse_kernel(s, strlen(s));
}

static int
parse_addr(const char *s, struct in6_addr *a)
{
	struct in_addr a4;

	if (inet_pton(AF_INET6, s, a) == 1)
		return 0;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &a4, 4);
		return 0;
	}
	return -1;
}

/* "family=AF_INET" or "AF_INET6" into ev->family; -1 with *err set otherwise. */
static int
parse_family(const char *p, const char *line, struct td_trace_ev *ev, struct td_err *err)
{
	char fam[16];

	if (field(p, "family", fam, sizeof(fam)) == NULL ||
	    (strcmp(fam, "AF_INET") != 0 && strcmp(fam, "AF_INET6") != 0))
		return td_errf(err, EPROTO, "trace: bad family in '%.80s'", line);
	ev->family = strcmp(fam, "AF_INET") == 0 ? AF_INET : AF_INET6;
	return 0;
}

/* sport, dport, saddr/daddr (saddrv6/daddrv6 for AF_INET6) into ev. */
static int
parse_ends(const char *p, const char *line, struct td_trace_ev *ev, struct td_err *err)
{
	char v[64], sa[64], da[64];
	uint64_t port;

	if (field(p, "sport", v, sizeof(v)) == NULL || td_num_u64(v, 10, 65535, &port, NULL) < 0)
		return td_errf(err, EPROTO, "trace: bad sport in '%.80s'", line);
	ev->sport = (uint16_t)port;
	if (field(p, "dport", v, sizeof(v)) == NULL || td_num_u64(v, 10, 65535, &port, NULL) < 0)
		return td_errf(err, EPROTO, "trace: bad dport in '%.80s'", line);
	ev->dport = (uint16_t)port;
	/* saddrv6 holds the address for both families (v4-mapped for AF_INET). */
	if (ev->family == AF_INET) {
		if (field(p, "saddr", sa, sizeof(sa)) == NULL || field(p, "daddr", da, sizeof(da)) == NULL)
			return td_errf(err, EPROTO, "trace: no address in '%.80s'", line);
	} else if (field(p, "saddrv6", sa, sizeof(sa)) == NULL ||
	    field(p, "daddrv6", da, sizeof(da)) == NULL) {
		return td_errf(err, EPROTO, "trace: no address in '%.80s'", line);
	}
	if (parse_addr(sa, &ev->src) < 0 || parse_addr(da, &ev->dst) < 0)
		return td_errf(err, EPROTO, "trace: bad address in '%.80s'", line);
	return 0;
}

/* A %pISpc sockaddr: "198.18.0.1:80" or "[2001:db8::1]:80". */
static int
parse_sockaddr(const char *s, struct in6_addr *a, uint16_t *port)
{
	char host[64];
	const char *colon, *open = s[0] == '[' ? s + 1 : s;
	uint64_t v;

	if (open != s) {
		if ((colon = strchr(open, ']')) == NULL || colon[1] != ':')
			return -1;
	} else if ((colon = strrchr(s, ':')) == NULL) {
		return -1;
	}
	if ((size_t)(colon - open) >= sizeof(host))
		return -1;
	memcpy(host, open, (size_t)(colon - open));
	host[colon - open] = '\0';
	colon += open != s ? 2 : 1;
	if (!isdigit((unsigned char)*colon) || td_num_u64(colon, 10, 65535, &v, NULL) < 0)
		return -1;
	*port = (uint16_t)v;
	return parse_addr(host, a);
}

int
tracefs_parse_line(const char *line, int64_t mono_to_real, struct td_trace_ev *ev,
    struct td_err *err)
{
	const char *ev_at = NULL, *p, *bracket, *dash, *ts;
	char proto[24], v[64], sa[64], da[64];
	int64_t secs, frac, pid;
	int digits;
	int old, new, k;
	size_t n;

	for (k = 0; k < TD_TRACE_KINDS; k++)
		if ((ev_at = strstr(line, kinds[k].tag)) != NULL)
			break;
	if (ev_at == NULL)
		return 0;
	memset(ev, 0, sizeof(*ev));
	ev->pid = -1;
	ev->kind = (uint8_t)k;
	p = ev_at + strlen(kinds[k].tag);
	switch (k) {
	case TD_TRACE_STATE:
		if (field(p, "protocol", proto, sizeof(proto)) == NULL)
			return td_errf(err, EPROTO, "trace: no protocol in '%.80s'", line);
		if (strcmp(proto, "IPPROTO_TCP") != 0)
			return 0;
		if (parse_family(p, line, ev, err) < 0)
			return -1;
		if (field(p, "oldstate", v, sizeof(v)) == NULL || (old = parse_state(v)) < 0 ||
		    field(p, "newstate", v, sizeof(v)) == NULL || (new = parse_state(v)) < 0)
			return td_errf(err, EPROTO, "trace: bad state in '%.80s'", line);
		ev->oldstate = (uint8_t)old;
		ev->newstate = (uint8_t)new;
		if (parse_ends(p, line, ev, err) < 0)
			return -1;
		break;
	case TD_TRACE_SEND_RESET:
		/* Since 6.10: src= and dest= sockaddrs and the reason; before, the sk fields. */
		if (field(p, "src", sa, sizeof(sa)) != NULL) {
			if (field(p, "dest", da, sizeof(da)) == NULL ||
			    parse_sockaddr(sa, &ev->src, &ev->sport) < 0 ||
			    parse_sockaddr(da, &ev->dst, &ev->dport) < 0)
				return td_errf(err, EPROTO, "trace: bad address in '%.80s'", line);
			ev->family = sa[0] == '[' ? AF_INET6 : AF_INET;
		} else if (parse_family(p, line, ev, err) < 0 || parse_ends(p, line, ev, err) < 0) {
			return -1;
		}
		field(p, "reason", ev->reason, sizeof(ev->reason));
		break;
	default:
		if (parse_family(p, line, ev, err) < 0 || parse_ends(p, line, ev, err) < 0)
			return -1;
		break;
	}
	/* The timestamp ends right before ": EVENT: ". */
	ts = ev_at;
	while (ts > line && (isdigit((unsigned char)ts[-1]) || ts[-1] == '.'))
		ts--;
	/*
	 * seconds.fraction, read as integers: a double loses nanoseconds after
	 * days of uptime.  The clock is CLOCK_MONOTONIC, seconds since boot:
	 * more than TRACE_SECS_MAX (over 100 years) is not a timestamp, and
	 * would overflow the nanoseconds.
	 */
	secs = 0;
	frac = 0;
	digits = 0;
	for (p = ts; p < ev_at && *p != '.'; p++) {
		secs = secs * 10 + (*p - '0');
		if (secs > TRACE_SECS_MAX)
			return td_errf(err, EPROTO, "trace: timestamp out of range in '%.80s'", line);
	}
	if (p < ev_at)
		for (p++; p < ev_at; p++, digits++)
			if (digits < 9)
				frac = frac * 10 + (*p - '0');
	for (; digits < 9; digits++)
		frac *= 10;
	if (ts == ev_at || *ts == '.')
		return td_errf(err, EPROTO, "trace: no timestamp in '%.80s'", line);
	ev->mono_ns = secs * 1000000000 + frac;
	if (__builtin_add_overflow(ev->mono_ns, mono_to_real, &ev->time_ns))
		return td_errf(err, EPROTO, "trace: timestamp out of range in '%.80s'", line);
	/* "comm-pid [cpu]": comm may hold spaces and dashes, the pid follows the last '-'. */
	bracket = strstr(line, " [");
	if (bracket != NULL && bracket < ts) {
		p = line;
		while (*p == ' ')
			p++;
		for (dash = bracket; dash > p && *dash != '-'; dash--)
			;
		if (*dash == '-') {
			/* The pid is left-aligned: blanks may follow it before " [". */
			if (td_num_i64n(dash + 1, strspn(dash + 1, "0123456789"), 10, 0, INT32_MAX,
			    &pid, NULL) == 0)
				ev->pid = (int32_t)pid;
			n = (size_t)(dash - p);
			if (n >= sizeof(ev->comm))
				n = sizeof(ev->comm) - 1;
			if (strncmp(p, "<...>", 5) != 0) {
				memcpy(ev->comm, p, n);
				ev->comm[n] = '\0';
			}
		}
	}
	return 1;
}

int
tracefs_read_file(const char *path, int64_t mono_to_real, td_trace_fn fn, void *arg,
    struct td_err *err)
{
	struct td_trace_ev ev;
	char line[1024];
	size_t len;
	bool whole = true, nl, skip;
	int count = 0, rc;
	FILE *fp;

	/*
	 * An open file keeps the kernel from removing the instance (EBUSY):
	 * a signal handler that removes it waits until the file is closed.
	 */
	tfs_block(true);
	if ((fp = fopen(path, "re")) == NULL) {
		int e = errno;

		tfs_block(false);
		return td_errf(err, e, "%s: %s", path, strerror(e));
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* The rest of a line longer than the buffer is dropped with it. */
		len = strlen(line);
		nl = len > 0 && line[len - 1] == '\n';
		skip = !whole || !(nl || feof(fp));
		whole = nl || feof(fp);
		if (skip)
			continue;
		if (nl)
			line[len - 1] = '\0';
		if ((rc = tracefs_parse_line(line, mono_to_real, &ev, err)) == 1)
			rc = fn(&ev, arg, err) < 0 ? -1 : (count++, 1);
		if (rc < 0) {
			count = -1;
			break;
		}
	}
	fclose(fp);
	tfs_block(false);
	return count;
}

int
tracefs_read(struct tracefs_session *s, td_trace_fn fn, void *arg, struct td_err *err)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/trace", s->inst.dir);
	return tracefs_read_file(path, s->mono_to_real, fn, arg, err);
}

int
tracefs_poll(struct tracefs_session *s, int timeout_ms, td_trace_fn fn, void *arg,
    struct td_err *err)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct td_trace_ev ev;
	char *start, *nl;
	ssize_t r;
	int rc, count = 0;

	rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : td_errf(err, errno, "trace: poll: %s", strerror(errno));
	if (rc == 0)
		return 0;
	for (;;) {
		r = read(s->fd, s->buf + s->len, sizeof(s->buf) - 1 - s->len);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return td_errf(err, errno, "trace: reading trace_pipe: %s", strerror(errno));
		}
		if (r == 0)
			break;
		s->len += (size_t)r;
		s->buf[s->len] = '\0';
		start = s->buf;
		while ((nl = strchr(start, '\n')) != NULL) {
			*nl = '\0';
			rc = tracefs_parse_line(start, s->mono_to_real, &ev, err);
			if (rc < 0)
				return -1;
			if (rc == 1) {
				if (fn(&ev, arg, err) < 0)
					return -1;
				count++;
			}
			start = nl + 1;
		}
		s->len -= (size_t)(start - s->buf);
		memmove(s->buf, start, s->len);
		if (s->len == sizeof(s->buf) - 1)
			s->len = 0;	/* a line longer than the buffer: drop it */
	}
	return count;
}
