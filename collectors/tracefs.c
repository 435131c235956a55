/* SPDX-License-Identifier: MIT */
/*
 * sock:inet_sock_set_state through a private tracefs instance.  The kernel
 * filters (TCP, port, new state), we read trace_pipe's text lines and
 * parse the fields the event's print format names (format file of
 * events/sock/inet_sock_set_state, include/trace/events/sock.h).
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

#define EVENT_DIR	"events/sock/inet_sock_set_state"
#define TRACE_SECS_MAX	((int64_t)4000000000)	/* 126 years of uptime */

struct tracefs_session {
	struct tfs_inst	inst;			/* the instance */
	int	fd;			/* trace_pipe */
	int64_t	mono_to_real;		/* ns to add to the mono clock */
	unsigned int swept;		/* dead runs' instances removed at open */
	char	swept_name[64];		/* the first of them */
	char	buf[65536];
	size_t	len;			/* bytes of an unfinished line in buf */
};

static const char *const events[] = { "sock/inet_sock_set_state" };

static int
write_file(const char *dir, const char *name, const char *text, struct td_err *err)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd, saved;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		return td_errf(err, saved == ENOENT ? ENODEV : saved, "tracefs: %s: %s%s", p,
		    strerror(saved), saved == ENOENT ? " (no inet_sock_set_state tracepoint?)" : "");
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

struct tracefs_session *
tracefs_open(const struct tracefs_opts *opts, struct td_err *err)
{
	struct tracefs_session *s;
	char filter[512], path[PATH_MAX + 16];
	const char *root;
	size_t n;
	unsigned int st;
	bool first = true;

	root = tfs_root(err);
	if (root == NULL)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		td_errf(err, ENOMEM, "out of memory");
		return NULL;
	}
	s->fd = -1;
	if (tfs_inst_make(&s->inst, root, "tcpdoctor", &s->swept, s->swept_name, err) < 0) {
		free(s);
		return NULL;
	}
	n = (size_t)snprintf(filter, sizeof(filter), "protocol == 6");
	if (opts != NULL && opts->port != 0)
		n += (size_t)snprintf(filter + n, sizeof(filter) - n, " && (sport == %u || dport == %u)",
		    opts->port, opts->port);
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
	if (write_file(s->inst.dir, "trace_clock", "mono", err) < 0 ||
	    write_file(s->inst.dir, EVENT_DIR "/filter", filter, err) < 0 ||
	    write_file(s->inst.dir, EVENT_DIR "/enable", "1", err) < 0 ||
	    write_file(s->inst.dir, "tracing_on", "1", err) < 0) {
		tracefs_close(s);
		return NULL;
	}
	s->mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	snprintf(path, sizeof(path), "%s/trace_pipe", s->inst.dir);
	s->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (s->fd < 0) {
		td_errf(err, errno, "tracefs: %s: %s", path, strerror(errno));
		tracefs_close(s);
		return NULL;
	}
	return s;
}

void
tracefs_close(struct tracefs_session *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	/* An instance can be removed once nothing holds its files open. */
	tfs_inst_remove(&s->inst, events, sizeof(events) / sizeof(events[0]));
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
	if (strncmp(s, "TCP_", 4) != 0)
		return -1;
	return td_state_parse(s + 4);
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

int
tracefs_parse_line(const char *line, int64_t mono_to_real, struct td_trace_ev *ev,
    struct td_err *err)
{
	const char *ev_at, *p, *bracket, *dash, *ts;
	char fam[16], proto[24], v[64], sa[64], da[64];
	unsigned long port;
	int64_t secs, frac;
	int digits;
	int old, new;
	size_t n;

	ev_at = strstr(line, ": inet_sock_set_state: ");
	if (ev_at == NULL)
		return 0;
	memset(ev, 0, sizeof(*ev));
	ev->pid = -1;
	p = ev_at + strlen(": inet_sock_set_state: ");
	if (field(p, "protocol", proto, sizeof(proto)) == NULL)
		return td_errf(err, EPROTO, "trace: no protocol in '%.80s'", line);
	if (strcmp(proto, "IPPROTO_TCP") != 0)
		return 0;
	if (field(p, "family", fam, sizeof(fam)) == NULL ||
	    (strcmp(fam, "AF_INET") != 0 && strcmp(fam, "AF_INET6") != 0))
		return td_errf(err, EPROTO, "trace: bad family in '%.80s'", line);
	ev->family = strcmp(fam, "AF_INET") == 0 ? AF_INET : AF_INET6;
	if (field(p, "oldstate", v, sizeof(v)) == NULL || (old = parse_state(v)) < 0 ||
	    field(p, "newstate", v, sizeof(v)) == NULL || (new = parse_state(v)) < 0)
		return td_errf(err, EPROTO, "trace: bad state in '%.80s'", line);
	ev->oldstate = (uint8_t)old;
	ev->newstate = (uint8_t)new;
	if (field(p, "sport", v, sizeof(v)) == NULL || (port = strtoul(v, NULL, 10)) > 65535)
		return td_errf(err, EPROTO, "trace: bad sport in '%.80s'", line);
	ev->sport = (uint16_t)port;
	if (field(p, "dport", v, sizeof(v)) == NULL || (port = strtoul(v, NULL, 10)) > 65535)
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
	/* The timestamp ends right before ": inet_sock_set_state". */
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
	if (__builtin_add_overflow(secs * 1000000000 + frac, mono_to_real, &ev->time_ns))
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
			ev->pid = (int32_t)strtol(dash + 1, NULL, 10);
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
