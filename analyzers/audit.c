/* SPDX-License-Identifier: MIT */
/*
 * Reading sysctl.conf(5) files for tune --audit; see audit.h.  The syntax
 * is sysctl(8)'s: "key = value" (or key=value), '#' and ';' comments,
 * keys with '.' or '/' separators, and a leading '-' that tells sysctl to
 * ignore errors for the line.
 */
#include "analyzers/audit.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collectors/snapshot.h"
#include "core/safefile.h"

#define AUDIT_MAX_LINES	4096

struct conf_kv {
	unsigned int	line;
	char		key[128], value[128];
	bool		bad;		/* not key = value */
	char		raw[128];
};

struct conf_file {
	struct conf_kv	*kv;
	size_t		 n;
	bool		 aim_time_wait;
};

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* The last value the file gives name, or NULL. */
static const char *
conf_other(const void *fp, const char *name)
{
	const struct conf_file *cf = fp;
	const char *v = NULL;
	size_t i;

	for (i = 0; i < cf->n; i++)
		if (!cf->kv[i].bad && strcmp(cf->kv[i].key, name) == 0)
			v = cf->kv[i].value;
	return v;
}

static bool
mentions_time_wait(const char *s)
{
	static const char *const words[] = { "time_wait", "time-wait", "timewait", "time wait" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(s, words[i]) != NULL)
			return true;
	return false;
}

/*
 * After fgets() into buf, which was filled with '\n' first: true when the
 * line read holds a NUL byte.  fgets() puts its terminator right after
 * the bytes read and leaves the rest of buf alone, so the last NUL in buf
 * is the terminator, and any NUL before it came from the file.
 */
static bool
line_has_nul(const char *buf, size_t size)
{
	const char *end = memrchr(buf, '\0', size);

	return end != NULL && memchr(buf, '\0', (size_t)(end - buf)) != NULL;
}

static int
read_conf(const char *path, struct conf_file *cf, struct td_err *err)
{
	char line[1024], *s, *eq, *p;
	unsigned int lineno = 0;
	struct conf_kv *kv;
	FILE *fp;

	memset(cf, 0, sizeof(*cf));
	/* A regular file, '-' or the caller's descriptor; never a FIFO by name. */
	fp = safefile_fopen_input("--audit", path, 0, err);
	if (fp == NULL)
		return -1;
	cf->kv = calloc(AUDIT_MAX_LINES, sizeof(*cf->kv));
	if (cf->kv == NULL) {
		fclose(fp);
		return td_errf(err, ENOMEM, "'%s': out of memory", path);
	}
	while (memset(line, '\n', sizeof(line)), fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (line_has_nul(line, sizeof(line))) {
			fclose(fp);
			return td_errf(err, EINVAL, "'%s': line %u has a NUL byte: not a text file", path,
			    lineno);
		}
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			fclose(fp);
			return td_errf(err, EINVAL, "'%s': line %u is too long", path, lineno);
		}
		s = trim(line);
		if (*s == '#' || *s == ';') {
			if (mentions_time_wait(s))
				cf->aim_time_wait = true;
			continue;
		}
		if (*s == '\0')
			continue;
		if (cf->n >= AUDIT_MAX_LINES) {
			fclose(fp);
			return td_errf(err, EFBIG, "'%s': more than %d settings", path, AUDIT_MAX_LINES);
		}
		kv = &cf->kv[cf->n++];
		kv->line = lineno;
		snprintf(kv->raw, sizeof(kv->raw), "%s", s);
		if (*s == '-')
			s++;
		eq = strchr(s, '=');
		if (eq == NULL) {
			kv->bad = true;
			continue;
		}
		*eq = '\0';
		snprintf(kv->key, sizeof(kv->key), "%s", trim(s));
		snprintf(kv->value, sizeof(kv->value), "%s", trim(eq + 1));
		for (p = kv->key; *p != '\0'; p++)
			if (*p == '/')
				*p = '.';
	}
	if (ferror(fp)) {
		fclose(fp);
		return td_errf(err, EIO, "'%s': read error", path);
	}
	fclose(fp);
	return 0;
}

static bool
is_tcp_key(const char *key)
{
	return strncmp(key, "net.ipv4.tcp_", 13) == 0 || advice_find(key) != NULL;
}

static struct td_audit_line *
add(struct td_audit *a)
{
	struct td_audit_line *nv;
	size_t cap;

	if (a->n == a->cap) {
		cap = a->cap != 0 ? a->cap * 2 : 32;
		nv = realloc(a->v, cap * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		a->v = nv;
		a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[a->n]));
	return &a->v[a->n++];
}

/* Up to three integers separated by blanks; -1 when anything else is there. */
static int
parse_ints(const char *s, int64_t v[3])
{
	char *end;
	int n = 0;

	while (*s != '\0') {
		if (n == 3)
			return -1;
		v[n] = strtoll(s, &end, 10);
		if (end == s)
			return -1;
		n++;
		s = end;
		while (isspace((unsigned char)*s))
			s++;
	}
	return n > 0 ? n : -1;
}

int
audit_file(struct td_audit *a, const char *path, const struct td_snapshot *snap, struct td_err *err)
{
	struct conf_file cf;
	struct td_audit_in in;
	struct td_audit_line *l;
	const struct conf_kv *kv;
	size_t i;
	int rc = 0;

	if (read_conf(path, &cf, err) < 0) {
		free(cf.kv);
		return -1;
	}
	memset(&in, 0, sizeof(in));
	in.snap = snap;
	if (snap != NULL)
		advice_kernel_version(snap->meta.kernel, &in.kmajor, &in.kminor);
	in.aim_time_wait = cf.aim_time_wait;
	in.other = conf_other;
	in.file = &cf;
	for (i = 0; i < cf.n; i++) {
		kv = &cf.kv[i];
		if (!kv->bad && !is_tcp_key(kv->key)) {
			a->other++;
			continue;
		}
		if ((l = add(a)) == NULL) {
			rc = td_errf(err, ENOMEM, "out of memory");
			break;
		}
		snprintf(l->file, sizeof(l->file), "%s", path);
		l->line = kv->line;
		if (kv->bad) {
			snprintf(l->key, sizeof(l->key), "%s", kv->raw);
			l->verdict = TD_VERDICT_INVALID;
			snprintf(l->why, sizeof(l->why), "not a 'key = value' line: sysctl rejects it");
			continue;
		}
		snprintf(l->key, sizeof(l->key), "%s", kv->key);
		snprintf(l->value, sizeof(l->value), "%s", kv->value);
		l->adv = advice_find(kv->key);
		if (l->adv == NULL) {
			l->verdict = TD_VERDICT_UNKNOWN;
			snprintf(l->why, sizeof(l->why), "tcpdoctor has no advice on this knob");
			continue;
		}
		/* Judge under the canonical name (short names in files are rare but possible). */
		snprintf(l->key, sizeof(l->key), "%s", l->adv->name);
		in.value = kv->value;
		in.nv = parse_ints(kv->value, in.v);
		if (l->adv->judge == NULL) {
			l->verdict = TD_VERDICT_FINE;
			snprintf(l->why, sizeof(l->why), "%s", l->adv->meaning);
		} else {
			l->verdict = l->adv->judge(&in, l->why, sizeof(l->why));
		}
	}
	free(cf.kv);
	return rc;
}

void
audit_free(struct td_audit *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}
