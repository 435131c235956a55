/* SPDX-License-Identifier: MIT */
/*
 * The state file of `check --state-file`; see history.h.
 *
 * Format (text, one record a line, unknown records are an error):
 *	tcpdoctor-state 1
 *	boot_id <id>
 *	netns_ino <n>
 *	mono_ns <n>
 *	time_ns <n>
 *	counter <json_key> <value>
 *	cookie <hex> <first_seen_mono_ns>
 *	gauge <key> <value>
 */
#include "analyzers/history.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "core/safefile.h"

#define HIST_MAGIC	"tcpdoctor-state 1"

void
history_init(struct td_history *h, const struct td_snapshot *snap)
{
	memset(h, 0, sizeof(*h));
	h->valid = true;
	snprintf(h->boot_id, sizeof(h->boot_id), "%s", snap->meta.boot_id);
	h->netns_ino = snap->meta.netns_ino;
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
}

static int
cookie_cmp(const void *a, const void *b)
{
	const struct td_hist_cookie *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

void
history_add_cookie(struct td_history *h, uint64_t cookie, int64_t first_ns)
{
	if (h->cookies == NULL) {
		h->cookies = calloc(TD_HISTORY_COOKIES, sizeof(*h->cookies));
		if (h->cookies == NULL) {
			h->cookies_full = true;
			return;
		}
	}
	if (h->ncookies >= TD_HISTORY_COOKIES) {
		h->cookies_full = true;
		return;
	}
	h->cookies[h->ncookies].cookie = cookie;
	h->cookies[h->ncookies].first_ns = first_ns;
	h->ncookies++;
}

void
history_sort(struct td_history *h)
{
	if (h->ncookies > 1)
		qsort(h->cookies, h->ncookies, sizeof(*h->cookies), cookie_cmp);
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

bool
history_matches(const struct td_history *prev, const struct td_snapshot *snap)
{
	return prev->valid && prev->boot_id[0] != '\0' &&
	    strcmp(prev->boot_id, snap->meta.boot_id) == 0 &&
	    prev->netns_ino == snap->meta.netns_ino &&
	    prev->mono_ns < snap->meta.mono_ns;
}

static int
parse_i64(const char *s, int64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' ? -1 : 0;
}

int
history_load(struct td_history *h, const char *path, struct td_err *err)
{
	char line[512], a[128], b[128], c[128], extra[2];
	struct td_err sub = { 0 };
	unsigned int lineno = 0;
	uint64_t u;
	int64_t v;
	int n, id, rc = 0;
	FILE *fp;

	memset(h, 0, sizeof(*h));
	/* Never through a link, never a FIFO or device: a regular file of ours. */
	fp = safefile_fopen_input("state file", path, SAFEFILE_PRIVATE, &sub);
	if (fp == NULL) {
		if (sub.code == ENOENT)
			return 0;
		return td_errf(err, sub.code, "%s", sub.msg);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (lineno == 1) {
			if (strcmp(line, HIST_MAGIC) != 0) {
				rc = td_errf(err, EBADMSG, "state file '%s': line 1: not a tcpdoctor state file", path);
				break;
			}
			continue;
		}
		n = sscanf(line, "%127s %127s %127s %1s", a, b, c, extra);
		if (n == 2 && strcmp(a, "boot_id") == 0) {
			snprintf(h->boot_id, sizeof(h->boot_id), "%.39s", b);
		} else if (n == 2 && strcmp(a, "netns_ino") == 0 && parse_i64(b, &v) == 0) {
			h->netns_ino = (uint64_t)v;
		} else if (n == 2 && strcmp(a, "mono_ns") == 0 && parse_i64(b, &v) == 0) {
			h->mono_ns = v;
		} else if (n == 2 && strcmp(a, "time_ns") == 0 && parse_i64(b, &v) == 0) {
			h->time_ns = v;
		} else if (n == 3 && strcmp(a, "counter") == 0 && sscanf(c, "%" SCNu64 "%1s", &u, extra) == 1) {
			/* Counters this build does not know are ignored. */
			if ((id = counters_find(b)) >= 0) {
				h->ctr.v[id] = u;
				h->ctr.present[id] = true;
			}
		} else if (n == 3 && strcmp(a, "cookie") == 0 &&
		    sscanf(b, "%" SCNx64 "%1s", &u, extra) == 1 && parse_i64(c, &v) == 0) {
			history_add_cookie(h, u, v);
		} else if (n == 3 && strcmp(a, "gauge") == 0 && parse_i64(c, &v) == 0) {
			history_set_gauge(h, b, v);
		} else {
			rc = td_errf(err, EBADMSG, "state file '%s': line %u: cannot parse '%.60s'",
			    path, lineno, line);
			break;
		}
	}
	if (rc == 0 && lineno == 0)
		rc = td_errf(err, EBADMSG, "state file '%s': empty", path);
	fclose(fp);
	if (rc < 0) {
		history_free(h);
		return -1;
	}
	history_sort(h);
	h->valid = true;
	return 0;
}

int
history_save(struct td_history *h, const char *path, struct td_err *err)
{
	struct safefile sf;
	size_t i;
	FILE *fp;

	/* Replaced atomically, a regular file of ours (0600 when new), never a link. */
	if (safefile_create(&sf, "state file", path, SAFEFILE_PRIVATE, 0600, err) < 0)
		return -1;
	fp = sf.fp;
	fprintf(fp, "%s\nboot_id %s\nnetns_ino %" PRIu64 "\nmono_ns %" PRId64 "\ntime_ns %" PRId64 "\n",
	    HIST_MAGIC, h->boot_id[0] != '\0' ? h->boot_id : "-", h->netns_ino, h->mono_ns, h->time_ns);
	for (i = 0; i < TD_CTR_MAX; i++)
		if (h->ctr.present[i])
			fprintf(fp, "counter %s %" PRIu64 "\n", td_counter_fields[i].json, h->ctr.v[i]);
	for (i = 0; i < h->ncookies; i++)
		fprintf(fp, "cookie %" PRIx64 " %" PRId64 "\n", h->cookies[i].cookie, h->cookies[i].first_ns);
	for (i = 0; i < h->ngauges; i++)
		fprintf(fp, "gauge %s %" PRId64 "\n", h->gauges[i].key, h->gauges[i].value);
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
