/* SPDX-License-Identifier: MIT */
/*
 * The state file of `check --state-file`; see history.h.
 *
 * Format 2 (text, one record a line, every line ends with '\n'; unknown
 * records are damage):
 *	tcpdoctor-state 2
 *	boot_id <id>
 *	netns_ino <n>
 *	netns_cookie <n>		(0 when the kernel gives none)
 *	mono_ns <n>			(CLOCK_BOOTTIME of the sample)
 *	time_ns <n>			(CLOCK_REALTIME of the sample)
 *	counter <json_key> <value>	(decimal, 0 to 2^64-1, exactly)
 *	cookie <hex> <first_seen_mono_ns>
 *	gauge <key> <value>
 *	end
 * The last line tells a whole file from one cut short at a line boundary.
 * Format 1 (tcpdoctor before the namespace cookie) is read too: the same
 * records without netns_cookie and end.
 */
#include "analyzers/history.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "core/num.h"
#include "core/safefile.h"

#define HIST_MAGIC	"tcpdoctor-state"
#define HIST_VERSION	2
#define HIST_COOKIES_MIN	1024	/* first allocation of the cookie table */

void
history_init(struct td_history *h, const struct td_snapshot *snap)
{
	memset(h, 0, sizeof(*h));
	h->valid = true;
	h->version = HIST_VERSION;
	snprintf(h->boot_id, sizeof(h->boot_id), "%s", snap->meta.boot_id);
	h->netns_ino = snap->meta.netns_ino;
	h->netns_cookie = snap->meta.netns_cookie;
	h->mono_ns = snap->meta.mono_ns;
	h->time_ns = snap->meta.time_ns;
	h->ctr = snap->ctr;
}

void
history_free(struct td_history *h)
{
	free(h->cookies);
	h->cookies = NULL;
	h->ncookies = 0;
	h->cookies_cap = 0;
}

static int
cookie_cmp(const void *a, const void *b)
{
	const struct td_hist_cookie *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

bool
history_add_cookie(struct td_history *h, uint64_t cookie, int64_t first_ns)
{
	struct td_hist_cookie *nc;
	size_t cap;

	if (h->ncookies == h->cookies_cap && h->cookies_cap < TD_HISTORY_COOKIES) {
		cap = h->cookies_cap == 0 ? HIST_COOKIES_MIN : h->cookies_cap * 2;
		if (cap > TD_HISTORY_COOKIES)
			cap = TD_HISTORY_COOKIES;
		nc = realloc(h->cookies, cap * sizeof(*nc));
		if (nc != NULL) {
			h->cookies = nc;
			h->cookies_cap = cap;
		}
	}
	if (h->ncookies >= h->cookies_cap) {
		h->untracked++;
		return false;
	}
	h->cookies[h->ncookies].cookie = cookie;
	h->cookies[h->ncookies].first_ns = first_ns;
	h->ncookies++;
	return true;
}

void
history_untracked(struct td_history *h)
{
	h->untracked++;
}

void
history_sort(struct td_history *h)
{
	if (h->ncookies > 1)
		qsort(h->cookies, h->ncookies, sizeof(*h->cookies), cookie_cmp);
}

int64_t
history_track(const struct td_history *prev, struct td_history *next, uint64_t cookie,
    int64_t now, uint64_t max, uint64_t *tracked, uint64_t *untracked)
{
	int64_t first = prev != NULL ? history_first_seen(prev, cookie) : -1;

	if (next != NULL) {
		if (*tracked < max && history_add_cookie(next, cookie, first >= 0 ? first : now))
			(*tracked)++;
		else
			(*untracked)++;
	}
	return first;
}

int64_t
history_first_seen(const struct td_history *h, uint64_t cookie)
{
	struct td_hist_cookie key = { .cookie = cookie }, *p;

	if (h == NULL || h->ncookies == 0)
		return -1;
	p = bsearch(&key, h->cookies, h->ncookies, sizeof(key), cookie_cmp);
	return p != NULL ? p->first_ns : -1;
}

/* The key as it is stored (see history_set_gauge). */
static void
gauge_key(char *dst, size_t len, const char *key)
{
	char *p;

	snprintf(dst, len, "%s", key);
	for (p = dst; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p > '~')
			*p = '_';
}

void
history_set_gauge(struct td_history *h, const char *key, int64_t value)
{
	char k[TD_HISTORY_GAUGE_KEY];
	size_t i;

	gauge_key(k, sizeof(k), key);
	key = k;
	for (i = 0; i < h->ngauges; i++)
		if (strcmp(h->gauges[i].key, key) == 0)
			break;
	if (i == h->ngauges) {
		if (h->ngauges >= TD_HISTORY_GAUGES)
			return;
		h->ngauges++;
		snprintf(h->gauges[i].key, sizeof(h->gauges[i].key), "%s", key);
	}
	h->gauges[i].value = value;
}

bool
history_gauge(const struct td_history *h, const char *key, int64_t *value)
{
	char k[TD_HISTORY_GAUGE_KEY];
	size_t i;

	gauge_key(k, sizeof(k), key);
	key = k;
	for (i = 0; i < h->ngauges; i++)
		if (strcmp(h->gauges[i].key, key) == 0) {
			*value = h->gauges[i].value;
			return true;
		}
	return false;
}

/* A counter (not a gauge) present in both that is lower now; its id or -1. */
static int
counter_backwards(const struct td_counters *was, const struct td_counters *now)
{
	int i;

	for (i = 0; i < TD_CTR_MAX; i++)
		if (td_counter_fields[i].kind == TD_COUNTER && was->present[i] && now->present[i] &&
		    now->v[i] < was->v[i])
			return i;
	return -1;
}

enum td_hist_verdict
history_compare(const struct td_history *prev, const struct td_snapshot *snap,
    int64_t min_window_ns, char *why, size_t len)
{
	const struct td_meta *m = &snap->meta;
	int64_t window;
	int id;

	why[0] = '\0';
	if (!prev->valid)
		return TD_HIST_NONE;
	if (prev->boot_id[0] == '\0' || m->boot_id[0] == '\0' || strcmp(prev->boot_id, m->boot_id) != 0) {
		/*
		 * A live sample is of the running boot, the newest there is.
		 * Between a replayed snapshot (--from) and a state of two boots,
		 * CLOCK_BOOTTIME says nothing (it restarts with the boot): only
		 * the wall clock orders them.
		 */
		if (strcmp(m->source, "live") != 0 && prev->time_ns > m->time_ns) {
			snprintf(why, len, "it holds a sample of another boot taken after this one (%.1f s later): kept",
			    (double)(prev->time_ns - m->time_ns) / 1e9);
			return TD_HIST_NEWER;
		}
		return TD_HIST_OTHER_BOOT;
	}
	if (prev->mono_ns > m->mono_ns) {
		snprintf(why, len, "it holds a newer sample than this run's (%.3f s later): kept",
		    (double)(prev->mono_ns - m->mono_ns) / 1e9);
		return TD_HIST_NEWER;
	}
	/*
	 * The namespace: nsfs gives a namespace a new inode when it is created
	 * and reuses it once the namespace is freed (fs/nsfs.c, the proc inum
	 * from proc_alloc_inum()), so the inode alone can match a namespace
	 * that is gone.  net->net_cookie is a boot-wide counter that is never
	 * reused (net/core/net_namespace.c), read with SO_NETNS_COOKIE.
	 */
	if (prev->netns_ino != m->netns_ino || prev->netns_cookie != m->netns_cookie) {
		if (prev->netns_ino == m->netns_ino && (prev->netns_cookie == 0) != (m->netns_cookie == 0)) {
			snprintf(why, len, "it does not say which network namespace it is from (%s): starting over",
			    prev->netns_cookie == 0 ? "no namespace cookie in it: an older tcpdoctor or kernel" :
			    "this kernel gives no namespace cookie");
			return TD_HIST_UNVERIFIED;
		}
		snprintf(why, len, "it is from another network namespace (inode %" PRIu64 ", cookie %" PRIu64
		    "; this one: inode %" PRIu64 ", cookie %" PRIu64 "): starting over",
		    prev->netns_ino, prev->netns_cookie, m->netns_ino, m->netns_cookie);
		return TD_HIST_OTHER_NS;
	}
	if ((id = counter_backwards(&prev->ctr, &snap->ctr)) >= 0) {
		snprintf(why, len, "counters went backwards (%s %" PRIu64 " then %" PRIu64
		    "): the namespace's counters restarted, no rates from this run; starting over",
		    td_counter_fields[id].json, prev->ctr.v[id], snap->ctr.v[id]);
		return TD_HIST_BACKWARDS;
	}
	window = m->mono_ns - prev->mono_ns;
	if (window < min_window_ns) {
		snprintf(why, len, "the previous run was %.3f s ago, less than the %.3f s a rate needs: no rates from this run, the previous state stays the baseline",
		    (double)window / 1e9, (double)min_window_ns / 1e9);
		return TD_HIST_SHORT;
	}
	return TD_HIST_SAME;
}

bool
history_usable(enum td_hist_verdict v)
{
	return v == TD_HIST_SAME || v == TD_HIST_SHORT;
}

bool
history_replaces(enum td_hist_verdict v)
{
	return v != TD_HIST_SHORT && v != TD_HIST_NEWER;
}

static int
parse_i64(const char *s, int64_t *v)
{
	return td_num_i64(s, INT64_MIN, INT64_MAX, v, NULL);
}

/* A u64 in decimal, exactly: digits only, no sign, no more than 2^64-1. */
static int
parse_u64(const char *s, uint64_t *v)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	return td_num_u64(s, 10, UINT64_MAX, v, NULL);
}

/* The version after the magic: " 2", blanks around it allowed; -1 if not a positive int. */
static int
header_version(const char *s, int *ver)
{
	size_t n;
	int64_t v;

	s += strspn(s, " \t\n\v\f\r");
	n = strcspn(s, " \t\n\v\f\r");
	if (s[n + strspn(s + n, " \t\n\v\f\r")] != '\0' ||
	    td_num_i64n(s, n, 10, 1, INT_MAX, &v, NULL) < 0)
		return -1;
	*ver = (int)v;
	return 0;
}

/* True for bytes a state file never holds: what a crash or a disk leaves. */
static bool
binary(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < ' ' && s[i] != '\n' && s[i] != '\t') || s[i] == 0x7f)
			return true;
	return false;
}

/*
 * One line into buf, NUL bytes kept (fgets would hide them): its length,
 * or -1 at the end of the file.  *nl tells whether the line ended with
 * '\n'; a line longer than size - 1 bytes leaves the rest unread.
 */
static long
get_line(FILE *fp, char *buf, size_t size, bool *nl)
{
	size_t n = 0;
	int ch;

	*nl = false;
	while (n < size - 1 && (ch = getc(fp)) != EOF) {
		if (ch == '\n') {
			*nl = true;
			break;
		}
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	return n == 0 && !*nl ? -1 : (long)n;
}

int
history_read(struct td_history *h, FILE *fp, const char *name, struct td_err *err)
{
	char line[512], a[128], b[128], c[128], extra[2];
	unsigned int lineno = 0, seen = 0;
	bool ended = false, nl;
	uint64_t u;
	int64_t v;
	long n;
	int k, id, ver = 0;

	enum { S_BOOT = 1, S_INO = 2, S_COOKIE = 4, S_MONO = 8, S_TIME = 16 };
#define DAMAGED(...)	do { td_errf(err, EBADMSG, __VA_ARGS__); goto damaged; } while (0)
	memset(h, 0, sizeof(*h));
	errno = 0;
	while ((n = get_line(fp, line, sizeof(line), &nl)) >= 0) {
		lineno++;
		if (binary(line, (size_t)n))
			DAMAGED("state file '%s': line %u: damaged (binary data)", name, lineno);
		if (ver == 0) {
			/*
			 * Blank lines are as good as an empty file (`echo > FILE`).
			 * What was never a state file (text that is not ours) is not
			 * replaced: a configuration file named by mistake.  A header
			 * cut short, or binary data, is a damaged state.
			 */
			if (line[strspn(line, " \t")] == '\0')
				continue;
			if (strncmp(line, HIST_MAGIC, strlen(HIST_MAGIC)) != 0) {
				if (!nl && strncmp(HIST_MAGIC, line, (size_t)n) == 0)
					DAMAGED("state file '%s': cut short on line %u", name, lineno);
				td_errf(err, EBADMSG,
				    "state file '%s': line %u: not a tcpdoctor state file (not replaced: remove it or name another file)",
				    name, lineno);
				history_free(h);
				return -1;
			}
			if (!nl)
				DAMAGED("state file '%s': cut short on line %u", name, lineno);
			if (header_version(line + strlen(HIST_MAGIC), &ver) < 0)
				DAMAGED("state file '%s': line %u: '%.60s' is not a state file header", name, lineno, line);
			if (ver != 1 && ver != HIST_VERSION)
				DAMAGED("state file '%s': format %d, from another version of tcpdoctor (this one reads 1 and %d)",
				    name, ver, HIST_VERSION);
			h->version = ver;
			continue;
		}
		if (!nl && (size_t)n == sizeof(line) - 1)
			DAMAGED("state file '%s': line %u: too long", name, lineno);
		if (!nl)
			DAMAGED("state file '%s': line %u: cut short", name, lineno);
		if (ended)
			DAMAGED("state file '%s': line %u: data after the end record", name, lineno);
		k = sscanf(line, "%127s %127s %127s %1s", a, b, c, extra);
		if (k == 1 && ver >= 2 && strcmp(a, "end") == 0) {
			ended = true;
		} else if (k == 2 && strcmp(a, "boot_id") == 0) {
			snprintf(h->boot_id, sizeof(h->boot_id), "%.39s", strcmp(b, "-") == 0 ? "" : b);
			seen |= S_BOOT;
		} else if (k == 2 && strcmp(a, "netns_ino") == 0 && parse_u64(b, &u) == 0) {
			h->netns_ino = u;
			seen |= S_INO;
		} else if (k == 2 && ver >= 2 && strcmp(a, "netns_cookie") == 0 && parse_u64(b, &u) == 0) {
			h->netns_cookie = u;
			seen |= S_COOKIE;
		} else if (k == 2 && strcmp(a, "mono_ns") == 0 && parse_i64(b, &v) == 0) {
			h->mono_ns = v;
			seen |= S_MONO;
		} else if (k == 2 && strcmp(a, "time_ns") == 0 && parse_i64(b, &v) == 0) {
			h->time_ns = v;
			seen |= S_TIME;
		} else if (k == 3 && strcmp(a, "counter") == 0 && parse_u64(c, &u) == 0) {
			/* Counters this build does not know are ignored. */
			if ((id = counters_find(b)) >= 0) {
				h->ctr.v[id] = u;
				h->ctr.present[id] = true;
			}
		} else if (k == 3 && strcmp(a, "cookie") == 0 && isxdigit((unsigned char)b[0]) &&
		    td_num_u64(b, 16, UINT64_MAX, &u, NULL) == 0 && parse_i64(c, &v) == 0) {
			history_add_cookie(h, u, v);
		} else if (k == 3 && strcmp(a, "gauge") == 0 && parse_i64(c, &v) == 0) {
			history_set_gauge(h, b, v);
		} else {
			DAMAGED("state file '%s': line %u: cannot parse '%.60s'", name, lineno, line);
		}
	}
	if (ferror(fp)) {
		td_errf(err, errno != 0 ? errno : EIO, "state file '%s': %s", name,
		    strerror(errno != 0 ? errno : EIO));
		history_free(h);
		return -1;
	}
	if (ver == 0)
		DAMAGED("state file '%s': empty", name);
	if (ver >= 2 && !ended)
		DAMAGED("state file '%s': cut short (no end record after line %u)", name, lineno);
	if ((seen & (S_BOOT | S_INO | S_MONO | S_TIME)) != (S_BOOT | S_INO | S_MONO | S_TIME) ||
	    (ver >= 2 && !(seen & S_COOKIE)))
		DAMAGED("state file '%s': incomplete (it must have boot_id, netns_ino%s, mono_ns and time_ns)",
		    name, ver >= 2 ? ", netns_cookie" : "");
#undef DAMAGED
	h->untracked = 0;
	history_sort(h);
	h->valid = true;
	return 0;
damaged:
	history_free(h);
	memset(h, 0, sizeof(*h));
	return 1;
}

int
history_load(struct td_history *h, const char *path, struct td_err *err)
{
	struct td_err sub = { 0 };
	FILE *fp;
	int rc;

	memset(h, 0, sizeof(*h));
	/* Never through a link, never a FIFO or device: a regular file of ours. */
	fp = safefile_fopen_input("state file", path, SAFEFILE_PRIVATE, &sub);
	if (fp == NULL) {
		if (sub.code == ENOENT)
			return 0;
		return td_errf(err, sub.code, "%s", sub.msg);
	}
	rc = history_read(h, fp, path, err);
	fclose(fp);
	return rc;
}

/* The records of format HIST_VERSION; see the top of the file. */
static void
history_write(FILE *fp, const struct td_history *h)
{
	size_t i;

	fprintf(fp, "%s %d\nboot_id %s\nnetns_ino %" PRIu64 "\nnetns_cookie %" PRIu64
	    "\nmono_ns %" PRId64 "\ntime_ns %" PRId64 "\n",
	    HIST_MAGIC, HIST_VERSION, h->boot_id[0] != '\0' ? h->boot_id : "-", h->netns_ino,
	    h->netns_cookie, h->mono_ns, h->time_ns);
	for (i = 0; i < TD_CTR_MAX; i++)
		if (h->ctr.present[i])
			fprintf(fp, "counter %s %" PRIu64 "\n", td_counter_fields[i].json, h->ctr.v[i]);
	for (i = 0; i < h->ncookies; i++)
		fprintf(fp, "cookie %" PRIx64 " %" PRId64 "\n", h->cookies[i].cookie, h->cookies[i].first_ns);
	for (i = 0; i < h->ngauges; i++)
		fprintf(fp, "gauge %s %" PRId64 "\n", h->gauges[i].key, h->gauges[i].value);
	fputs("end\n", fp);
}

int
history_save(struct td_history *h, const char *path, struct td_err *err)
{
	struct safefile sf;

	/* Replaced atomically, a regular file of ours (0600 when new), never a link. */
	if (safefile_create(&sf, "state file", path, SAFEFILE_PRIVATE, 0600, err) < 0)
		return -1;
	history_write(sf.fp, h);
	return safefile_commit(&sf, err);
}

int
history_lock(const char *path, unsigned int timeout_s, struct td_err *err)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	char lock[4096];
	unsigned int i;
	int fd;

	/*
	 * The state file is judged before its lock is created: a device, FIFO,
	 * directory or link named as state file gets no NAME.lock beside it.
	 */
	if (safefile_check("state file", path, SAFEFILE_PRIVATE, err) < 0)
		return -1;
	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
		return td_errf(err, ENAMETOOLONG, "state file '%s': name too long", path);
	/* O_NOFOLLOW|O_NONBLOCK, then fstat: a planted link or FIFO is refused. */
	fd = safefile_open_private("state file lock", lock, 0600, err);
	if (fd < 0)
		return -1;
	for (i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK || i >= timeout_s * 10) {
			td_errf(err, errno == EWOULDBLOCK ? EAGAIN : errno,
			    "state file lock '%s': %s", lock,
			    errno == EWOULDBLOCK ? "held by another run" : strerror(errno));
			close(fd);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return fd;
}

void
history_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
