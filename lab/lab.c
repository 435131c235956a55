/* SPDX-License-Identifier: MIT */
/*
 * The kernel lab: namespace, TUN wiring, per-namespace sysctls and a
 * private tracefs instance.  See lab.h for the contract.  Trace lines are
 * parsed from the formats in /sys/kernel/tracing/events/{sock,tcp}/.../format
 * (include/trace/events/sock.h, include/trace/events/tcp.h).
 */
#include "lab/lab.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "collectors/tracefs_inst.h"

static const char *const trace_events[] = {
	"sock/inet_sock_set_state",
	"tcp/tcp_retransmit_synack",
	"tcp/tcp_send_reset",
	"tcp/tcp_receive_reset",
};

#define NEVENTS	(sizeof(trace_events) / sizeof(trace_events[0]))

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
	tfs_inst_remove(&lab->tinst, trace_events, NEVENTS);
	lab->trace_dir[0] = '\0';
}

int
lab_trace_start(struct lab *lab, uint16_t lo, uint16_t hi, struct td_err *err)
{
	char path[PATH_MAX + 64], filt[256];
	const char *root;
	size_t i;

	if ((root = tfs_root(err)) == NULL)
		return -1;
	lab->port_lo = lo;
	lab->port_hi = hi;
	/*
	 * Removes the dead labs' instances first; the caller has called
	 * tfs_guard().  Signals wait until the files written below are closed.
	 */
	tfs_block(true);
	if (tfs_inst_make(&lab->tinst, root, "tdk", NULL, NULL, err) < 0) {
		tfs_block(false);
		return -1;
	}
	snprintf(lab->trace_dir, sizeof(lab->trace_dir), "%s", lab->tinst.dir);
	snprintf(filt, sizeof(filt), "(sport >= %u && sport <= %u) || (dport >= %u && dport <= %u)",
	    lo, hi, lo, hi);
	snprintf(path, sizeof(path), "%s/trace_clock", lab->trace_dir);
	if (write_file(path, "mono", err) < 0)
		goto fail;
	for (i = 0; i < NEVENTS; i++) {
		/* tcp_send_reset has no port fields: filtered when read. */
		if (strcmp(trace_events[i], "tcp/tcp_send_reset") != 0) {
			snprintf(path, sizeof(path), "%s/events/%s/filter", lab->trace_dir,
			    trace_events[i]);
			if (write_file(path, filt, err) < 0)
				goto fail;
		}
		snprintf(path, sizeof(path), "%s/events/%s/enable", lab->trace_dir, trace_events[i]);
		if (write_file(path, "1", err) < 0)
			goto fail;
	}
	snprintf(path, sizeof(path), "%s/tracing_on", lab->trace_dir);
	if (write_file(path, "1", err) < 0)
		goto fail;
	tfs_block(false);
	return 0;
fail:
	trace_remove(lab);
	tfs_block(false);
	return -1;
}

/* ---- Reading the trace ---- */

static const char *const kstates[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV", [4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2", [6] = "TIME_WAIT", [7] = "CLOSE", [8] = "CLOSE_WAIT",
	[9] = "LAST_ACK", [10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
};

const char *
lab_state_name(int st)
{
	if (st <= 0 || (size_t)st >= sizeof(kstates) / sizeof(kstates[0]))
		return "?";
	return kstates[st];
}

/* "TCP_SYN_RECV" -> 3; -1 if unknown. */
static int
kstate_parse(const char *s, size_t n)
{
	size_t i;

	if (n > 4 && strncmp(s, "TCP_", 4) == 0) {
		s += 4;
		n -= 4;
	}
	for (i = 1; i < sizeof(kstates) / sizeof(kstates[0]); i++)
		if (strlen(kstates[i]) == n && strncmp(kstates[i], s, n) == 0)
			return (int)i;
	return -1;
}

/* The value of " key=" in line, its length in *n; NULL if absent. */
static const char *
field(const char *line, const char *key, size_t *n)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	if ((p = strstr(line, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	*n = strcspn(p, " \n");
	return p;
}

static long
field_num(const char *line, const char *key)
{
	const char *p;
	size_t n;

	if ((p = field(line, key, &n)) == NULL)
		return -1;
	return strtol(p, NULL, 10);
}

/* Port of "198.18.0.1:80" or "[2001:db8::1]:80". */
static long
field_port(const char *line, const char *key)
{
	const char *p, *c;
	size_t n;

	if ((p = field(line, key, &n)) == NULL)
		return -1;
	for (c = p + n; c > p && c[-1] != ':'; c--)
		;
	return c > p ? strtol(c, NULL, 10) : -1;
}

static bool
port_wanted(const struct lab *lab, long sport, long dport)
{
	return (sport >= lab->port_lo && sport <= lab->port_hi) ||
	    (dport >= lab->port_lo && dport <= lab->port_hi);
}

/* Is the event's local address the lab's?  (The kernel side is the source.) */
static bool
addr_wanted(const struct lab *lab, const char *at)
{
	char pat[80];

	snprintf(pat, sizeof(pat), " saddr=%s ", lab->local4_s);
	if (strstr(at, pat) != NULL)
		return true;
	snprintf(pat, sizeof(pat), " saddrv6=%s ", lab->local6_s);
	if (strstr(at, pat) != NULL)
		return true;
	snprintf(pat, sizeof(pat), " src=%s:", lab->local4_s);
	if (strstr(at, pat) != NULL)
		return true;
	snprintf(pat, sizeof(pat), " src=[%s]:", lab->local6_s);
	return strstr(at, pat) != NULL;
}

/* Parse one trace line; 1 if it is one of ours, 0 to skip it. */
static int
trace_line(const struct lab *lab, const char *line, struct lab_ev *ev)
{
	static const struct {
		const char	*name;
		enum lab_ev_kind kind;
	} names[] = {
		{ " inet_sock_set_state: ", LAB_EV_STATE },
		{ " tcp_retransmit_synack: ", LAB_EV_RETRANSMIT_SYNACK },
		{ " tcp_send_reset: ", LAB_EV_SEND_RESET },
		{ " tcp_receive_reset: ", LAB_EV_RECEIVE_RESET },
	};
	const char *at = NULL, *p, *ts;
	long sport, dport;
	size_t i, n;

	if (line[0] == '#')
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((at = strstr(line, names[i].name)) != NULL)
			break;
	if (at == NULL)
		return 0;
	memset(ev, 0, sizeof(*ev));
	ev->kind = names[i].kind;
	/* The timestamp ends with ':' right before the event name. */
	for (ts = at; ts > line && ts[-1] != ' '; ts--)
		;
	if (ts == at)
		return 0;
	{
		double sec = strtod(ts, NULL);

		ev->ts_ns = (uint64_t)(sec * 1e9 + 0.5);
	}
	if (ev->kind == LAB_EV_SEND_RESET) {
		sport = field_port(at, "src");
		dport = field_port(at, "dest");
		if ((p = field(at, "reason", &n)) != NULL)
			snprintf(ev->reason, sizeof(ev->reason), "%.*s", (int)n, p);
	} else {
		sport = field_num(at, "sport");
		dport = field_num(at, "dport");
	}
	if (sport < 0 || dport < 0 || !port_wanted(lab, sport, dport) || !addr_wanted(lab, at))
		return 0;
	ev->sport = (uint16_t)sport;
	ev->dport = (uint16_t)dport;
	if (ev->kind == LAB_EV_STATE) {
		ev->oldstate = (p = field(at, "oldstate", &n)) ? kstate_parse(p, n) : -1;
		ev->newstate = (p = field(at, "newstate", &n)) ? kstate_parse(p, n) : -1;
	}
	return 1;
}

int
lab_trace_read(struct lab *lab, struct lab_ev *ev, size_t cap, struct td_err *err)
{
	char path[PATH_MAX + 16], line[1024];
	size_t n = 0;
	FILE *fp;

	if (lab->trace_dir[0] == '\0')
		return td_errf(err, EINVAL, "trace: no tracefs instance");
	snprintf(path, sizeof(path), "%s/trace", lab->trace_dir);
	/*
	 * An open file keeps the kernel from removing the instance (EBUSY):
	 * the signal handler that removes it waits until the file is closed.
	 */
	tfs_block(true);
	if ((fp = fopen(path, "re")) == NULL) {
		int e = errno;

		tfs_block(false);
		return td_errf(err, e, "%s: %s", path, strerror(e));
	}
	while (n < cap && fgets(line, sizeof(line), fp) != NULL)
		if (trace_line(lab, line, &ev[n]) == 1)
			n++;
	fclose(fp);
	tfs_block(false);
	return (int)n;
}

void
lab_leave(struct lab *lab)
{
	trace_remove(lab);
	lab_tun_close(&lab->tun);
}
