/* SPDX-License-Identifier: MIT */
/*
 * Thresholds for the analyzers: defaults, the INI file and --set.
 *
 * The file format is deliberately small: "[section]" names an analyzer,
 * "key = value" sets one of its thresholds (a number) or "enabled = yes|no".
 * Blank lines and lines starting with '#' or ';' are ignored.  Anything
 * else is an error naming the file and line, so a typo never silently
 * leaves a default in place.
 */
#include "analyzers/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyzers/analyzer.h"
#include "collectors/snapshot.h"
#include "core/num.h"
#include "core/safefile.h"
#include "core/util.h"

const struct td_threshold_field td_threshold_fields[TD_TH_MAX] = {
#define X(id, sec, k, d, lo, hi, dc)	[TD_TH_##id] = { .section = sec, .key = k, \
	.doc = dc, .dflt = d, .min = lo, .max = hi },
	TD_THRESHOLDS(X)
#undef X
};

void
config_defaults(struct td_config *cfg)
{
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < TD_TH_MAX; i++)
		cfg->v[i] = td_threshold_fields[i].dflt;
}

static int
parse_bool(const char *s, bool *b)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*b = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*b = false;
			return 0;
		}
	}
	return -1;
}

/*
 * Set section.key to value.  where is "FILE:LINE: " or "--set: ", put in
 * front of any error.
 */
static int
apply(struct td_config *cfg, const char *where, const char *section,
    const char *key, const char *value, struct td_err *err)
{
	const struct td_threshold_field *f;
	unsigned int i;
	const char *why;
	double v;
	bool on;
	int idx;

	idx = analyzer_index(section);
	if (idx < 0)
		return td_errf(err, EINVAL, "%sunknown section '%s' (an analyzer id: see tcpdoctor.conf(5))",
		    where, section);
	if (*value == '\0')
		return td_errf(err, EINVAL, "%s%s.%s: missing value", where, section, key);
	if (strcmp(key, "enabled") == 0) {
		if (parse_bool(value, &on) < 0)
			return td_errf(err, EINVAL, "%s%s.enabled: '%s' is not yes or no",
			    where, section, value);
		if (on)
			cfg->disabled &= ~(UINT64_C(1) << idx);
		else
			cfg->disabled |= UINT64_C(1) << idx;
		return 0;
	}
	for (i = 0; i < TD_TH_MAX; i++) {
		f = &td_threshold_fields[i];
		if (strcmp(f->section, section) != 0 || strcmp(f->key, key) != 0)
			continue;
		if (td_num_double(value, f->min, f->max, &v, &why) == 0) {
			cfg->v[i] = v;
			return 0;
		}
		if (why != td_num_small && why != td_num_large)
			return td_errf(err, EINVAL, "%s%s.%s: '%s' is not a number",
			    where, section, key, value);
		return td_errf(err, ERANGE, "%s%s.%s: %s is out of range (%g to %g)",
		    where, section, key, value, f->min, f->max);
	}
	return td_errf(err, EINVAL, "%sunknown key '%s' in [%s] (see tcpdoctor.conf(5))",
	    where, key, section);
}

enum config_line
config_read_line(FILE *fp, char *buf, size_t cap)
{
	size_t n = 0;
	bool nul = false, any = false;
	int c;

	while ((c = getc(fp)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0')
			nul = true;
		if (n + 1 < cap)
			buf[n] = (char)c;
		n++;
	}
	buf[n + 1 < cap ? n : cap - 1] = '\0';
	if (c == EOF && ferror(fp))
		return CONFIG_LINE_ERROR;
	if (!any)
		return CONFIG_LINE_EOF;
	if (nul)
		return CONFIG_LINE_NUL;
	return n + 1 > cap ? CONFIG_LINE_LONG : CONFIG_LINE_OK;
}

int
config_load(struct td_config *cfg, const char *path, bool must_exist, struct td_err *err)
{
	struct td_err sub = { 0 };
	char line[1024], section[64] = "", where[300];
	char *s, *eq, *end;
	unsigned int lineno = 0;
	FILE *fp;
	int rc = 0;

	/* A regular file, /dev/null, '-' or the caller's descriptor; never a FIFO by name. */
	fp = safefile_fopen_input("config", path, 0, &sub);
	if (fp == NULL) {
		if (sub.code == ENOENT && !must_exist)
			return 0;
		return td_errf(err, sub.code, "%s", sub.msg);
	}
	for (;;) {
		enum config_line got = config_read_line(fp, line, sizeof(line));

		if (got == CONFIG_LINE_EOF || got == CONFIG_LINE_ERROR)
			break;
		lineno++;
		snprintf(where, sizeof(where), "%s:%u: ", path, lineno);
		if (got == CONFIG_LINE_NUL) {
			rc = td_errf(err, EINVAL, "%sline has a NUL byte: not a text file", where);
			break;
		}
		if (got == CONFIG_LINE_LONG) {
			rc = td_errf(err, EINVAL, "%sline longer than %zu bytes", where, sizeof(line) - 1);
			break;
		}
		s = td_trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			end = strchr(s, ']');
			if (end == NULL || *td_trim(end + 1) != '\0') {
				rc = td_errf(err, EINVAL, "%sbad section line '%s' (want [name])", where, s);
				break;
			}
			*end = '\0';
			s = td_trim(s + 1);
			if (analyzer_index(s) < 0) {
				rc = td_errf(err, EINVAL, "%sunknown section '[%s]' (an analyzer id)", where, s);
				break;
			}
			snprintf(section, sizeof(section), "%s", s);
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			rc = td_errf(err, EINVAL, "%sexpected 'key = value', got '%s'", where, s);
			break;
		}
		if (section[0] == '\0') {
			rc = td_errf(err, EINVAL, "%s'%s' before any [section]", where, s);
			break;
		}
		*eq = '\0';
		if (apply(cfg, where, section, td_trim(s), td_trim(eq + 1), err) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(fp))
		rc = td_errf(err, EIO, "config '%s': read error", path);
	fclose(fp);
	return rc;
}

int
config_set(struct td_config *cfg, const char *setting, struct td_err *err)
{
	char buf[256];
	char *dot, *eq;

	if (snprintf(buf, sizeof(buf), "%s", setting) >= (int)sizeof(buf))
		return td_errf(err, EINVAL, "--set: '%.40s...' is too long", setting);
	eq = strchr(buf, '=');
	dot = strchr(buf, '.');
	if (eq == NULL || dot == NULL || dot > eq)
		return td_errf(err, EINVAL, "--set: '%s' is not SECTION.KEY=VALUE", setting);
	*eq = '\0';
	*dot = '\0';
	return apply(cfg, "--set: ", td_trim(buf), td_trim(dot + 1), td_trim(eq + 1), err);
}
