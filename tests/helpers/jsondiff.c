/* SPDX-License-Identifier: MIT */
/*
 * Test helper: the differential test of the streaming JSON writer.  Walks
 * the sockets of a source (the live kernel in the current namespace, or a
 * saved snapshot with -f) once, and for every socket
 *  - writes it with the streaming writer (core/jsonw.h: the description
 *    walk, and the socket writer snapfile_sock_members() the commands use)
 *    and with jansson (record_json()), full and as ls prints it (without
 *    -i, tcp_info; without -p, the cgroup): the bytes must be the same;
 * and feeds it to the real `ls -j`, `ls --format ndjson` and `snapshot`
 * writers while building the same three documents with jansson; at the
 * end each writer's output is parsed back and must equal its jansson
 * document value for value (key order included).
 * Usage: jsondiff [-i] [-p] [-f FROM | -n NLFILE]
 * -n replays recorded sock_diag replies (the .nl files of tests/fixtures/netlink)
 * through the real decoder, with this host's header.
 * Prints "jsondiff: N sockets, M bytes: writer and jansson agree", or the
 * first difference and exits 1; 2 when the source cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/output.h"
#include "collectors/snapfile.h"
#include "collectors/sockdiag.h"
#include "collectors/source.h"
#include "core/jsonw.h"
#include "core/record.h"

struct mem {
	FILE	*fp;
	char	*text;
	size_t	 len;
};

struct diff {
	unsigned int		 skip;		/* SNAPFILE_SOCK_INFO without -i */
	size_t			 n, bytes;
	int			 bad;
	struct mem		 one;		/* one record, rewound per socket */
	struct jw		 jw;
	struct out		 ls, nd;
	struct mem		 lsm, ndm, snm;
	struct snapfile_writer	 snw;
	json_t			*ls_socks, *snap_socks, *nd_lines;
	const struct td_snapshot *snap;
};

static void
mem_open(struct mem *m)
{
	m->text = NULL;
	m->len = 0;
	if ((m->fp = open_memstream(&m->text, &m->len)) == NULL) {
		perror("jsondiff: open_memstream");
		exit(2);
	}
}

static void
mem_close(struct mem *m)
{
	if (fclose(m->fp) != 0) {
		perror("jsondiff: memstream");
		exit(2);
	}
}

/*
 * The writers' bytes for sk (members but those in skip) against jansson's:
 * the description walk (jw_rec_members) and the socket writer the commands
 * use (snapfile_sock_members), each after an empty object (ls -j) and
 * after a member (NDJSON's head).
 */
static int
same_bytes(struct diff *d, const struct td_sock *sk, unsigned int skip)
{
	json_t *o = json_object();
	char *want;
	int rc = 0, how;

	if (o == NULL || record_json_members(o, &snapfile_sock_desc, sk, skip) < 0 ||
	    (want = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		fprintf(stderr, "jsondiff: out of memory\n");
		exit(2);
	}
	for (how = 0; how < 4 && rc == 0; how++) {
		rewind(d->one.fp);
		jw_init(&d->jw, d->one.fp, JW_COMPACT);
		jw_obj(&d->jw, NULL);
		if (how >= 2)
			jw_int(&d->jw, "h", 1);
		if (how % 2 == 0)
			jw_rec_members(&d->jw, &snapfile_sock_desc, sk, skip);
		else
			snapfile_sock_members(&d->jw, sk, skip);
		jw_end(&d->jw);
		jw_raw(&d->jw, "", 1);		/* the NUL that ends the text */
		if (jw_flush(&d->jw) < 0 || fflush(d->one.fp) != 0) {
			fprintf(stderr, "jsondiff: out of memory\n");
			exit(2);
		}
		/* After the member: {"h":1, then what jansson prints after its '{'. */
		if ((how < 2 && strcmp(want, d->one.text) != 0) ||
		    (how >= 2 && (strncmp(d->one.text, "{\"h\":1", 6) != 0 ||
		    strcmp(d->one.text + 6 + (want[1] != '}'), want + 1) != 0))) {
			printf("jsondiff: socket %zu differs%s\n  %s: %s\n  jansson: %s\n", d->n,
			    skip ? " (as ls prints it)" : "",
			    how % 2 ? "socket writer" : "description walk", d->one.text, want);
			rc = -1;
		}
		if (how == 1)
			d->bytes += strlen(d->one.text);
	}
	free(want);
	json_decref(o);
	return rc;
}

/* The NDJSON line jansson builds: the head's first members, then the socket's. */
static json_t *
nd_line(const struct diff *d, const struct td_sock *sk)
{
	struct snapfile_head h = { &d->snap->meta, "ls", SNAPFILE_HEAD_NETNS };
	json_t *o = record_json(&snapfile_head_desc, &h);

	record_json_members(o, &snapfile_sock_desc, sk, d->skip);
	return o;
}

static int
visit(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct diff *d = arg;
	const struct sock_renderer *js = output_sock_renderer(TD_FMT_JSON);
	const struct sock_renderer *nd = output_sock_renderer(TD_FMT_NDJSON);
	json_t *lean = json_object();

	if (same_bytes(d, sk, 0) < 0 || (d->skip != 0 && same_bytes(d, sk, d->skip) < 0))
		d->bad = 1;
	if (js->sock(&d->ls, sk) < 0 || nd->sock(&d->nd, sk) < 0 ||
	    snapfile_put_sock(sk, &d->snw, err) < 0)
		return td_errf(err, errno, "writing: %s", strerror(errno));
	record_json_members(lean, &snapfile_sock_desc, sk, d->skip);
	json_array_append_new(d->ls_socks, lean);
	json_array_append_new(d->snap_socks, snapfile_sock_json(sk));
	json_array_append_new(d->nd_lines, nd_line(d, sk));
	d->n++;
	return 0;
}

/* Recorded netlink replies through the real decoder, into visit(). */
static int
replay(const char *path, struct diff *d, struct td_err *err)
{
	struct sockdiag_parser p = { 0 };
	FILE *fp = fopen(path, "rb");
	char *buf;
	long len;
	int rc;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 || (buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, fp) != (size_t)len)
		return td_errf(err, errno, "%s: cannot read", path);
	fclose(fp);
	rc = sockdiag_parse(&p, buf, (size_t)len, visit, d, err);
	free(buf);
	return rc < 0 ? -1 : 0;
}

/* Parse text and compare it with want (key order too); 0 when equal. */
static int
same_doc(const char *what, const char *text, size_t len, json_t *want)
{
	json_error_t e;
	json_t *got = json_loadb(text, len, JSON_DECODE_ANY, &e);
	char *a, *b;
	int rc = 0;

	if (got == NULL) {
		printf("jsondiff: %s: the writer's output does not parse: line %d: %s\n", what,
		    e.line, e.text);
		return -1;
	}
	/* json_equal ignores member order; the dumps with PRESERVE_ORDER do not. */
	a = json_dumps(got, JSON_COMPACT | JSON_PRESERVE_ORDER);
	b = json_dumps(want, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!json_equal(got, want) || a == NULL || b == NULL || strcmp(a, b) != 0) {
		printf("jsondiff: %s: the writer's document differs from jansson's\n", what);
		rc = -1;
	}
	free(a);
	free(b);
	json_decref(got);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct diff d;
	static struct out_opts oo;
	struct td_source src = { .proc_root = "/proc" };
	struct td_snapshot snap;
	struct td_err err = { 0 };
	const struct sock_renderer *js = output_sock_renderer(TD_FMT_JSON);
	const struct sock_renderer *nd = output_sock_renderer(TD_FMT_NDJSON);
	json_t *doc, *line;
	const char *p, *nl, *nlfile = NULL;
	size_t i;
	int c;

	while ((c = getopt(argc, argv, "ipf:n:")) != -1) {
		switch (c) {
		case 'i': src.want_info = true; break;
		case 'p': src.want_owner = true; break;
		case 'f': src.from = optarg; break;
		case 'n': nlfile = optarg; break;
		default:
			fprintf(stderr, "usage: jsondiff [-i] [-p] [-f FROM | -n NLFILE]\n");
			return 2;
		}
	}
	/* As ls: -i adds tcp_info, -p the owners and the cgroup (-c alone is not needed here). */
	oo.info = src.want_info;
	oo.owner = src.want_owner;
	src.want_cgroup = src.want_owner;
	d.skip = (src.want_info ? 0 : SNAPFILE_SOCK_INFO) | (src.want_owner ? 0 : SNAPFILE_SOCK_CGROUP);
	if (source_header(&src, &snap, &err) < 0) {
		fprintf(stderr, "jsondiff: %s\n", err.msg);
		return 2;
	}
	d.snap = &snap;
	mem_open(&d.one);
	mem_open(&d.lsm);
	mem_open(&d.ndm);
	mem_open(&d.snm);
	d.ls = (struct out){ .fp = d.lsm.fp, .opts = &oo, .snap = &snap, .command = "ls" };
	d.nd = (struct out){ .fp = d.ndm.fp, .opts = &oo, .snap = &snap, .command = "ls" };
	d.ls_socks = json_array();
	d.snap_socks = json_array();
	d.nd_lines = json_array();
	if (js->begin(&d.ls) < 0 || nd->begin(&d.nd) < 0 ||
	    snapfile_begin(&d.snw, d.snm.fp, &snap, "snapshot", &err) < 0 ||
	    (nlfile != NULL ? replay(nlfile, &d, &err) : source_walk(&src, visit, &d, &err)) < 0 ||
	    js->end(&d.ls) < 0 || nd->end(&d.nd) < 0 || snapfile_end(&d.snw, &err) < 0) {
		fprintf(stderr, "jsondiff: %s\n", err.msg[0] != '\0' ? err.msg : strerror(errno));
		return 2;
	}
	source_close(&src);
	output_free(&d.ls);
	output_free(&d.nd);
	mem_close(&d.lsm);
	mem_close(&d.ndm);
	mem_close(&d.snm);

	/* ls -j: the head, the sockets, the count. */
	doc = snapfile_header_json(&snap, "ls");
	json_object_set_new(doc, "sockets", d.ls_socks);
	json_object_set_new(doc, "count", json_integer((json_int_t)d.n));
	if (same_doc("ls -j", d.lsm.text, d.lsm.len, doc) < 0)
		d.bad = 1;
	json_decref(doc);

	/* snapshot: the head, counters, sysctls (and the unreadable ones), the sockets. */
	doc = snapfile_header_json(&snap, "snapshot");
	json_object_set_new(doc, "counters", snapfile_counters_json(&snap.ctr));
	json_object_set_new(doc, "sysctls", snapfile_sysctls_json(&snap.sys));
	if (sysctl_unreadable(&snap.sys, NULL, NULL) > 0) {
		json_t *u = json_object();

		for (c = 0; c < TD_SYS_MAX; c++)
			if (!snap.sys.s[c].readable && snap.sys.error[c] != 0)
				json_object_set_new(u, td_sysctl_fields[c].name,
				    json_integer(snap.sys.error[c]));
		json_object_set_new(doc, "sysctls_unreadable", u);
	}
	json_object_set_new(doc, "sockets", d.snap_socks);
	if (same_doc("snapshot", d.snm.text, d.snm.len, doc) < 0)
		d.bad = 1;
	json_decref(doc);

	/* NDJSON: one line per socket, each its own document. */
	for (i = 0, p = d.ndm.text; p < d.ndm.text + d.ndm.len; i++, p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(d.ndm.text + d.ndm.len - p));
		line = json_array_get(d.nd_lines, i);
		if (nl == NULL || line == NULL ||
		    same_doc("ndjson line", p, (size_t)(nl - p), line) < 0) {
			printf("jsondiff: ndjson line %zu differs or is missing\n", i + 1);
			d.bad = 1;
			break;
		}
	}
	if (!d.bad && i != d.n) {
		printf("jsondiff: ndjson has %zu lines for %zu sockets\n", i, d.n);
		d.bad = 1;
	}
	json_decref(d.nd_lines);
	if (d.bad)
		return 1;
	printf("jsondiff: %zu sockets, %zu bytes: writer and jansson agree\n", d.n, d.bytes);
	free(d.one.text);
	free(d.lsm.text);
	free(d.ndm.text);
	free(d.snm.text);
	return 0;
}
