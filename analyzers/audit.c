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

#include "analyzers/config.h"
#include "analyzers/knob_range.h"
#include "collectors/snapshot.h"
#include "core/safefile.h"
#include "core/util.h"

/* One TCP line of the file being read. */
struct conf_kv {
	unsigned int	line;
	char		*key, *value;	/* value NULL: not key = value (key is the raw line) */
};

struct conf_file {
	struct conf_kv	*kv;
	size_t		 n, cap;
	size_t		 settings;	/* lines of the form key = value with a dotted key */
	size_t		 content;	/* lines that are neither blank nor comments */
	size_t		 other;		/* settings of other subsystems */
	bool		 aim_time_wait;
};

/* The last value the file gives name, or NULL. */
static const char *
conf_other(const void *fp, const char *name)
{
	const struct conf_file *cf = fp;
	const char *v = NULL;
	size_t i;

	for (i = 0; i < cf->n; i++)
		if (cf->kv[i].value != NULL && strcmp(cf->kv[i].key, name) == 0)
			v = cf->kv[i].value;
	return v;
}

static bool
mentions_time_wait(const char *s)
{
	static const char *const words[] = { "time_wait", "time-wait", "timewait", "time wait" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strcasestr(s, words[i]) != NULL)
			return true;
	return false;
}

static bool
is_tcp_key(const char *key)
{
	return strncmp(key, "net.ipv4.tcp_", 13) == 0 || advice_find(key) != NULL;
}

/* A sysctl name: no blanks, and a '.' (after '/' became '.') between words. */
static bool
is_sysctl_key(const char *key)
{
	const char *p;

	if (*key == '\0' || strchr(key, '.') == NULL)
		return false;
	for (p = key; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return false;
	return true;
}

static void
conf_free(struct conf_file *cf)
{
	size_t i;

	for (i = 0; i < cf->n; i++) {
		free(cf->kv[i].key);
		free(cf->kv[i].value);
	}
	free(cf->kv);
	memset(cf, 0, sizeof(*cf));
}

static int
conf_add(struct conf_file *cf, unsigned int line, const char *key, const char *value)
{
	struct conf_kv *nv, *kv;
	size_t cap;

	if (cf->n == cf->cap) {
		cap = cf->cap != 0 ? cf->cap * 2 : 16;
		nv = realloc(cf->kv, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		cf->kv = nv;
		cf->cap = cap;
	}
	kv = &cf->kv[cf->n];
	kv->line = line;
	kv->key = strdup(key);
	kv->value = value != NULL ? strdup(value) : NULL;
	if (kv->key == NULL || (value != NULL && kv->value == NULL)) {
		free(kv->key);
		free(kv->value);
		return -1;
	}
	cf->n++;
	return 0;
}

/* Read the TCP lines of path into *cf; room is how many more the run may take. */
static int
read_conf(const char *path, struct conf_file *cf, size_t room, struct td_err *err)
{
	char line[AUDIT_MAX_LINE + 1], raw[AUDIT_MAX_LINE + 1], *s, *eq, *key, *p;
	bool dotted;
	unsigned int lineno = 0;
	enum config_line got;
	FILE *fp;

	memset(cf, 0, sizeof(*cf));
	/* A regular file, '-' or the caller's descriptor; never a FIFO by name. */
	fp = safefile_fopen_input("--audit", path, 0, err);
	if (fp == NULL)
		return -1;
	while ((got = config_read_line(fp, line, sizeof(line))) != CONFIG_LINE_EOF) {
		if (got == CONFIG_LINE_ERROR)
			break;
		lineno++;
		if (got == CONFIG_LINE_NUL) {
			fclose(fp);
			return td_errf(err, EINVAL, "'%s': line %u has a NUL byte: not a sysctl file",
			    path, lineno);
		}
		if (got == CONFIG_LINE_LONG) {
			fclose(fp);
			return td_errf(err, EINVAL, "'%s': line %u is longer than %d bytes", path,
			    lineno, AUDIT_MAX_LINE);
		}
		s = td_trim(line);
		if (*s == '#' || *s == ';') {
			if (mentions_time_wait(s))
				cf->aim_time_wait = true;
			continue;
		}
		if (*s == '\0')
			continue;
		cf->content++;
		memcpy(raw, s, strlen(s) + 1);
		key = *s == '-' ? s + 1 : s;
		eq = strchr(key, '=');
		dotted = false;
		if (eq != NULL) {
			*eq = '\0';
			key = td_trim(key);
			for (p = key; *p != '\0'; p++)
				if (*p == '/')
					*p = '.';
			dotted = is_sysctl_key(key);
		}
		if (dotted) {
			cf->settings++;
			if (!is_tcp_key(key)) {
				cf->other++;
				continue;
			}
		}
		if (cf->n >= room) {
			fclose(fp);
			return td_errf(err, EOVERFLOW, "'%s': line %u: more than %d TCP settings in this run; a sysctl configuration has a few dozen",
			    path, lineno, AUDIT_MAX_SETTINGS);
		}
		if ((dotted ? conf_add(cf, lineno, key, td_trim(eq + 1)) : conf_add(cf, lineno, raw, NULL)) < 0) {
			fclose(fp);
			return td_errf(err, ENOMEM, "'%s': out of memory", path);
		}
	}
	if (got == CONFIG_LINE_ERROR) {
		int e = errno;

		fclose(fp);
		return td_errf(err, e, "'%s': %s", path, strerror(e));
	}
	fclose(fp);
	if (cf->content > 0 && cf->settings == 0)
		return td_errf(err, EINVAL, "'%s': not a sysctl file: none of its %zu lines has the form 'key = value' with a dotted key",
		    path, cf->content);
	return 0;
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

/* Judge one line into l; returns the reason text (on the stack of the caller). */
static enum td_verdict
judge(const struct conf_kv *kv, struct td_audit_in *in, const struct td_advice *adv,
    char *why, size_t len)
{
	const struct knob_range *r;

	if (kv->value == NULL) {
		snprintf(why, len, "not a 'key = value' line: sysctl rejects it");
		return TD_VERDICT_INVALID;
	}
	if (adv == NULL) {
		snprintf(why, len, "tcpdoctor has no advice on this knob");
		return TD_VERDICT_UNKNOWN;
	}
	in->value = kv->value;
	r = knob_range_find(adv->name);
	if (r != NULL && r->n > 0) {
		if (knob_range_check(r, kv->value, in->v, why, len) < 0)
			return TD_VERDICT_INVALID;
		in->nv = r->n;
	} else {
		in->nv = knob_parse_ints(kv->value, in->v, 3);
	}
	if (adv->judge == NULL) {
		snprintf(why, len, "%s", adv->meaning);
		return TD_VERDICT_FINE;
	}
	return adv->judge(in, why, len);
}

int
audit_file(struct td_audit *a, const char *path, const struct td_snapshot *snap, struct td_err *err)
{
	struct conf_file cf;
	struct td_audit_in in;
	struct td_audit_line *l;
	const struct conf_kv *kv;
	char why[1024];
	size_t i, room = a->n < AUDIT_MAX_SETTINGS ? AUDIT_MAX_SETTINGS - a->n : 0;
	int rc = 0;

	if (read_conf(path, &cf, room, err) < 0) {
		conf_free(&cf);
		return -1;
	}
	memset(&in, 0, sizeof(in));
	in.snap = snap;
	if (snap != NULL)
		advice_kernel_version(snap->meta.kernel, &in.kmajor, &in.kminor);
	in.aim_time_wait = cf.aim_time_wait;
	in.other = conf_other;
	in.file = &cf;
	a->other += cf.other;
	for (i = 0; i < cf.n; i++) {
		kv = &cf.kv[i];
		if ((l = add(a)) == NULL) {
			rc = td_errf(err, ENOMEM, "out of memory");
			break;
		}
		l->file = path;
		l->line = kv->line;
		l->adv = kv->value != NULL ? advice_find(kv->key) : NULL;
		why[0] = '\0';
		l->verdict = judge(kv, &in, l->adv, why, sizeof(why));
		/* Judge under the canonical name (short names in files are rare but possible). */
		l->key = strdup(l->adv != NULL ? l->adv->name : kv->key);
		l->value = strdup(kv->value != NULL ? kv->value : "");
		l->why = strdup(why);
		if (l->key == NULL || l->value == NULL || l->why == NULL) {
			rc = td_errf(err, ENOMEM, "out of memory");
			break;
		}
	}
	conf_free(&cf);
	return rc;
}

void
audit_free(struct td_audit *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].key);
		free(a->v[i].value);
		free(a->v[i].why);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}
