/* SPDX-License-Identifier: MIT */
/*
 * Kernel TCP counters from procfs, by name.
 *
 * /proc/net/netstat and /proc/net/snmp come as pairs of lines with the same
 * "Section:" prefix, names on the first and values on the second
 * (net/ipv4/proc.c, netstat_seq_show and snmp_seq_show_tcp_udp); nstat's
 * load_ugly_table() reads them the same way.  We look each name up in the
 * TD_COUNTERS table, so a counter this kernel does not print stays absent
 * instead of reading as zero.  /proc/net/sockstat has one "TCP:" line of
 * name/value pairs; /proc/net/softnet_stat has one line of hex columns per
 * CPU (net/core/net-procfs.c softnet_seq_show: processed, dropped,
 * time_squeeze first).
 */
#include "collectors/counters.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snapshot.h"
#include "core/num.h"
#include "core/safefile.h"

const struct td_field td_counter_fields[TD_CTR_MAX] = {
#define X(id, json, sec, key, kind, help)	[TD_CTR_##id] = { json, sec, key, help, kind },
	TD_COUNTERS(X)
#undef X
};

int
counters_find(const char *json_key)
{
	int i;

	for (i = 0; i < TD_CTR_MAX; i++)
		if (strcmp(td_counter_fields[i].json, json_key) == 0)
			return i;
	return -1;
}

static int
counter_by_key(const char *section, const char *key)
{
	int i;

	for (i = 0; i < TD_CTR_MAX; i++)
		if (strcmp(td_counter_fields[i].section, section) == 0 &&
		    strcmp(td_counter_fields[i].key, key) == 0)
			return i;
	return -1;
}

/* Split s in place on blanks into at most max words; returns the count. */
static size_t
split_words(char *s, char **w, size_t max)
{
	size_t n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(s, " \t\n", &save); t != NULL; t = strtok_r(NULL, " \t\n", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = t;
	}
	return n;
}

/* A decimal value; negative values (Tcp MaxConn is -1) parse but are flagged. */
static int
parse_dec(const char *s, uint64_t *v, bool *negative)
{
	*negative = s[0] == '-';
	if (*negative) {
		*v = 0;
		return td_num_i64(s, INT64_MIN, 0, &(int64_t){ 0 }, NULL);
	}
	return td_num_u64(s, 10, UINT64_MAX, v, NULL);
}

#define MAX_WORDS	1024

/*
 * Read a header/value table (netstat or snmp).  Every pair must have the
 * same section and as many values as names.
 */
static int
read_table(const char *path, struct td_counters *ctr, struct td_err *err)
{
	char *hdr = NULL, *val = NULL, **hw = NULL, **vw = NULL;
	size_t hcap = 0, vcap = 0, nh, nv, i;
	unsigned int lineno = 0;
	uint64_t v;
	bool neg;
	FILE *fp;
	int rc = -1, id;

	fp = safefile_fopen_proc(path);
	if (fp == NULL)
		return td_errf(err, errno, "counters: cannot read '%s': %s", path,
		    strerror(errno));
	hw = calloc(MAX_WORDS + 1, sizeof(*hw));
	vw = calloc(MAX_WORDS + 1, sizeof(*vw));
	if (hw == NULL || vw == NULL) {
		td_errf(err, ENOMEM, "counters: out of memory");
		goto out;
	}
	while (getline(&hdr, &hcap, fp) > 0) {
		lineno++;
		if (hdr[strspn(hdr, " \t\n")] == '\0')
			continue;
		if (getline(&val, &vcap, fp) <= 0) {
			td_errf(err, EBADMSG, "counters: '%s' line %u: names without a value line",
			    path, lineno);
			goto out;
		}
		lineno++;
		nh = split_words(hdr, hw, MAX_WORDS);
		nv = split_words(val, vw, MAX_WORDS);
		if (nh > MAX_WORDS || nv > MAX_WORDS) {
			td_errf(err, EBADMSG, "counters: '%s' line %u: more than %d fields",
			    path, lineno, MAX_WORDS);
			goto out;
		}
		if (nh < 1 || hw[0][strlen(hw[0]) - 1] != ':' || nv < 1 ||
		    strcmp(hw[0], vw[0]) != 0) {
			td_errf(err, EBADMSG, "counters: '%s' line %u: expected a value line "
			    "for section '%s'", path, lineno, nh >= 1 ? hw[0] : "");
			goto out;
		}
		if (nh != nv) {
			td_errf(err, EBADMSG, "counters: '%s' line %u: %zu values for %zu names",
			    path, lineno, nv - 1, nh - 1);
			goto out;
		}
		hw[0][strlen(hw[0]) - 1] = '\0';
		for (i = 1; i < nh; i++) {
			if (parse_dec(vw[i], &v, &neg) < 0) {
				td_errf(err, EBADMSG, "counters: '%s' line %u: value '%s' of %s "
				    "is not a number", path, lineno, vw[i], hw[i]);
				goto out;
			}
			id = counter_by_key(hw[0], hw[i]);
			/* A negative value has no meaning as a count: keep it absent. */
			if (id >= 0 && !neg) {
				ctr->v[id] = v;
				ctr->present[id] = true;
			}
		}
	}
	if (ferror(fp)) {
		td_errf(err, errno, "counters: error reading '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(hdr);
	free(val);
	free(hw);
	free(vw);
	fclose(fp);
	return rc;
}

/* "TCP: inuse 5 orphan 0 tw 0 alloc 7 mem 1"; a missing file leaves them absent. */
static int
read_sockstat(const char *path, struct td_counters *ctr, struct td_err *err)
{
	char *line = NULL, *w[64];
	size_t cap = 0, n, i;
	unsigned int lineno = 0;
	uint64_t v;
	bool neg;
	FILE *fp;
	int rc = 0, id;

	fp = safefile_fopen_proc(path);
	if (fp == NULL)
		return 0;
	while (rc == 0 && getline(&line, &cap, fp) > 0) {
		lineno++;
		if (strncmp(line, "TCP:", 4) != 0)
			continue;
		n = split_words(line, w, 63);
		if (n > 63 || n % 2 == 0) {
			rc = td_errf(err, EBADMSG, "counters: '%s' line %u: expected "
			    "name/value pairs after 'TCP:'", path, lineno);
			break;
		}
		for (i = 1; i + 1 < n; i += 2) {
			if (parse_dec(w[i + 1], &v, &neg) < 0 || neg) {
				rc = td_errf(err, EBADMSG, "counters: '%s' line %u: value '%s' "
				    "of %s is not a count", path, lineno, w[i + 1], w[i]);
				break;
			}
			id = counter_by_key("Sockstat", w[i]);
			if (id >= 0) {
				ctr->v[id] = v;
				ctr->present[id] = true;
			}
		}
	}
	free(line);
	fclose(fp);
	return rc;
}

/* Sum the first three hex columns of every CPU's line. */
static int
read_softnet(const char *path, struct td_counters *ctr, struct td_err *err)
{
	static const int ids[3] = {
		TD_CTR_SOFTNET_PROCESSED, TD_CTR_SOFTNET_DROPPED, TD_CTR_SOFTNET_SQUEEZED,
	};
	char *line = NULL, *w[64];
	uint64_t sum[3] = { 0 }, v;
	size_t cap = 0, n, i;
	unsigned int lineno = 0;
	FILE *fp;
	int rc = 0;

	fp = safefile_fopen_proc(path);
	if (fp == NULL)
		return 0;
	while (getline(&line, &cap, fp) > 0) {
		lineno++;
		n = split_words(line, w, 63);
		if (n == 0)
			continue;
		if (n < 3 || n > 63) {
			rc = td_errf(err, EBADMSG, "counters: '%s' line %u: expected at least "
			    "3 hex columns", path, lineno);
			break;
		}
		for (i = 0; i < 3; i++) {
			if (td_num_u64(w[i], 16, UINT64_MAX, &v, NULL) < 0) {
				rc = td_errf(err, EBADMSG, "counters: '%s' line %u: column %zu "
				    "'%s' is not hexadecimal", path, lineno, i + 1, w[i]);
				goto out;
			}
			sum[i] += v;
		}
	}
	if (lineno > 0) {
		for (i = 0; i < 3; i++) {
			ctr->v[ids[i]] = sum[i];
			ctr->present[ids[i]] = true;
		}
	}
out:
	free(line);
	fclose(fp);
	return rc;
}

int
counters_read(const char *proc_root, struct td_counters *ctr, struct td_err *err)
{
	char path[PATH_MAX];

	memset(ctr, 0, sizeof(*ctr));
	if (proc_root == NULL)
		proc_root = "/proc";
	snprintf(path, sizeof(path), "%s/net/netstat", proc_root);
	if (read_table(path, ctr, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/net/snmp", proc_root);
	if (read_table(path, ctr, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/net/sockstat", proc_root);
	if (read_sockstat(path, ctr, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/net/softnet_stat", proc_root);
	return read_softnet(path, ctr, err);
}
