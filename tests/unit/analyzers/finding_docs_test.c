/* SPDX-License-Identifier: MIT */
/*
 * Tests for analyzers/finding_docs.c: every finding id an analyzer can
 * produce (each td_finding_add(..., "ID", ...) or td_finding_untracked(...,
 * "ID", ...) in analyzers/NAME.c) has a row,
 * every row is produced by some analyzer, and the JSON man page lists it.
 */
#include "tests/unit/check_main.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/analyzer.h"
#include "analyzers/finding_docs.h"

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	ck_assert_msg(fp != NULL, "cannot read %s", path);
	buf = calloc(1, 1 << 20);
	n = fread(buf, 1, (1 << 20) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Every quoted "analyzer.what" after td_finding_add( or td_finding_untracked( in the analyzers' sources. */
static size_t
produced_ids(char ids[][48], size_t max)
{
	DIR *d = opendir(TD_SRCDIR "/analyzers");
	struct dirent *e;
	static const char *const calls[] = { "td_finding_add(", "td_finding_untracked(" };
	char path[512], *src, *p, *q;
	size_t n = 0, c;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) < 3 || strcmp(e->d_name + strlen(e->d_name) - 2, ".c") != 0)
			continue;
		snprintf(path, sizeof(path), TD_SRCDIR "/analyzers/%s", e->d_name);
		src = slurp(path);
		for (c = 0; c < 2; c++) {
			for (p = src; (p = strstr(p, calls[c])) != NULL; p++) {
				p = strchr(p, '"');
				if (p == NULL || (q = strchr(p + 1, '"')) == NULL || q - p - 1 >= 48)
					break;
				if (memchr(p + 1, '.', (size_t)(q - p - 1)) == NULL || n >= max)
					continue;	/* the declaration in findings.c, not a use */
				memcpy(ids[n], p + 1, (size_t)(q - p - 1));
				ids[n][q - p - 1] = '\0';
				n++;
			}
		}
		free(src);
	}
	closedir(d);
	return n;
}

/*
 * Ids an analyzer keeps in a table and passes to td_finding_add() by
 * pointer (failed_connects.c's kinds[]): every literal "NAME.what" in
 * analyzers/NAME.c, NAME a registry analyzer, not among the n found yet.
 */
static size_t
table_ids(char ids[][48], size_t n, size_t max)
{
	DIR *d = opendir(TD_SRCDIR "/analyzers");
	struct dirent *e;
	char path[512], name[64], pat[72], *src;
	const char *p, *q;
	size_t len, k;
	bool seen;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 3 || len > 60 || strcmp(e->d_name + len - 2, ".c") != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 2), e->d_name);
		if (analyzer_find(name) == NULL)
			continue;
		snprintf(path, sizeof(path), TD_SRCDIR "/analyzers/%s", e->d_name);
		snprintf(pat, sizeof(pat), "\"%s.", name);
		src = slurp(path);
		for (p = src; (p = strstr(p, pat)) != NULL; p++) {
			if ((q = strchr(p + 1, '"')) == NULL || (len = (size_t)(q - p - 1)) >= 48)
				break;
			seen = false;
			for (k = 0; k < n; k++)
				seen |= strlen(ids[k]) == len && memcmp(ids[k], p + 1, len) == 0;
			if (seen || n >= max)
				continue;
			memcpy(ids[n], p + 1, len);
			ids[n][len] = '\0';
			n++;
		}
		free(src);
	}
	closedir(d);
	return n;
}

START_TEST(test_finding_docs_cover_the_analyzers)
{
	char ids[128][48];
	size_t n = produced_ids(ids, 128), i, j;
	char *man = slurp(TD_SRCDIR "/man/tcpdoctor-json.7");
	char an[48];
	bool used;

	n = table_ids(ids, n, 128);
	ck_assert_uint_ge(n, 17);
	for (i = 0; i < n; i++) {
		ck_assert_msg(finding_doc_find(ids[i]) != NULL, "%s has no row in finding_docs.c", ids[i]);
		ck_assert_msg(strstr(man, ids[i]) != NULL, "%s is not in tcpdoctor-json(7)", ids[i]);
		snprintf(an, sizeof(an), "%.47s", ids[i]);
		*strchr(an, '.') = '\0';
		ck_assert_msg(analyzer_find(an) != NULL, "%s: no such analyzer", ids[i]);
	}
	for (j = 0; j < td_finding_doc_count; j++) {
		used = false;
		for (i = 0; i < n; i++)
			used |= strcmp(ids[i], td_finding_docs[j].id) == 0;
		ck_assert_msg(used, "%s is documented but no analyzer produces it", td_finding_docs[j].id);
		ck_assert(td_finding_docs[j].means[0] != '\0' && td_finding_docs[j].fix[0] != '\0');
	}
	free(man);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/finding_docs");
	TCase *tc = tcase_create("finding_docs");

	tcase_add_test(tc, test_finding_docs_cover_the_analyzers);
	suite_add_tcase(s, tc);
	return s;
}
