/* SPDX-License-Identifier: MIT */
/*
 * Socket renderers (table, json, ndjson) and the JSON document framing
 * shared by every command.  Renderers decide nothing: they print the
 * records they are given, in the order given.
 */
#include "cmd/output.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/termsafe.h"
#include "core/jsonw.h"
#include "core/record.h"
#include "collectors/snapfile.h"

#include "core/util.h"

char *
output_ms(uint32_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%ums", ms);
	else if (ms < 60000)
		snprintf(buf, len, "%u.%us", ms / 1000, (ms % 1000) / 100);
	else if (ms < 3600000)
		snprintf(buf, len, "%um%02us", ms / 60000, (ms / 1000) % 60);
	else
		snprintf(buf, len, "%uh%02um", ms / 3600000, (ms / 60000) % 60);
	return buf;
}

void
output_wrap(FILE *fp, const char *text, int col, const struct output_wrap *ow)
{
	const char *p = text, *w;
	bool first = true;
	int wl;

	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (w = p; *w != '\0' && *w != ' '; w++)
			;
		wl = (int)(w - p);
		if (col > ow->min_col && col + 1 + wl > ow->width) {
			fprintf(fp, "\n%s", ow->cont);
			col = (int)strlen(ow->cont);
		} else if (!first || ow->first_space) {
			fputc(' ', fp);
			col++;
		}
		fwrite(p, 1, (size_t)wl, fp);
		col += wl;
		p = w;
		first = false;
	}
	fputc('\n', fp);
}

/* The ITEM strings of an array's or map's elements, indent spaces in. */
static void
rec_items(FILE *fp, const struct record_val *arr, int indent, bool none)
{
	const struct record_desc *d = arr->desc;
	const char *e;
	struct record_val v;
	size_t i, k, shown = 0;

	for (i = 0, e = arr->rec; i < arr->n; i++, e += arr->stride) {
		if (arr->keep != NULL && !arr->keep(e))
			continue;
		for (k = 0; k < d->n; k++)
			if ((d->f[k].flags & RECORD_F_TABLE_ITEM) && record_get(&d->f[k], e, &v) &&
			    v.type == RECORD_T_STR) {
				fprintf(fp, "%*s%.*s\n", indent, "", (int)v.n, v.s);
				shown++;
			}
	}
	if (shown == 0 && none)
		fprintf(fp, "%*snone\n", indent, "");
}

void
output_rec_lines(FILE *fp, const struct record_desc *d, const void *rec)
{
	const struct record_field *f;
	struct record_val v;
	size_t i;

	for (i = 0; i < d->n; i++) {
		f = &d->f[i];
		if (!record_get(f, rec, &v))
			continue;
		if (v.type == RECORD_T_OBJ) {
			/* A nested record's lines stand in its place. */
			output_rec_lines(fp, v.desc, v.rec);
			continue;
		}
		if (v.type == RECORD_T_ARR || v.type == RECORD_T_MAP) {
			if (f->label != NULL) {
				fprintf(fp, "  %s\n", f->label);
				rec_items(fp, &v, 4, (f->flags & RECORD_F_TABLE_NONE) != 0);
			} else if (f->flags & RECORD_F_TABLE_ROWS) {
				rec_items(fp, &v, 0, false);
			}
			continue;
		}
		if (f->label == NULL)
			continue;
		if (v.type == RECORD_T_STR) {
			if (v.n == 0 && (f->flags & RECORD_F_TABLE_NONEMPTY))
				continue;
			fprintf(fp, "  %-11s %.*s\n", f->label, (int)v.n, v.s);
		} else if (v.type == RECORD_T_INT) {
			fprintf(fp, "  %-11s %" PRId64 "\n", f->label, v.i);
		} else if (v.type == RECORD_T_UINT) {
			fprintf(fp, "  %-11s %" PRIu64 "\n", f->label, v.u);
		}
	}
}

/* ---- JSON framing ---- */

int
output_json_line(FILE *fp, json_t *v)
{
	int rc;

	if (v == NULL)
		return -1;
	rc = json_dumpf(v, fp, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (rc < 0 || fputc('\n', fp) == EOF || ferror(fp))
		return -1;
	return 0;
}

void
output_json_head(struct jw *w, const struct td_snapshot *snap, const char *command)
{
	struct snapfile_head h = { &snap->meta, command, SNAPFILE_HEAD_ALL };

	jw_obj(w, NULL);
	jw_rec_members(w, &snapfile_head_desc, &h, 0);
}

int
output_json_doc(FILE *fp, const struct td_snapshot *snap, const char *command, json_t *body)
{
	json_t *doc;

	doc = snapfile_header_json(snap, command);
	if (doc == NULL) {
		json_decref(body);
		return -1;
	}
	if (body != NULL) {
		json_object_update(doc, body);
		json_decref(body);
	}
	return json_dumpf(doc, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 &&
	    fputc('\n', fp) != EOF ? (json_decref(doc), 0) : (json_decref(doc), -1);
}

/* ---- Table ---- */

static int
addr_width(const struct out *o)
{
	return o->opts->family == AF_INET ? 21 : 47;
}

/*
 * A line under construction.  The table is the hot path of `ls` (one line
 * per socket): it is built with these small appenders and written with one
 * fwrite, because vfprintf dominated the profile.
 */
struct line {
	char	b[8192];	/* room for 8 owners, a cgroup path and -e, escaped */
	size_t	n;
};

static void
line_put(struct line *ln, const char *s, size_t len)
{
	if (len > sizeof(ln->b) - 1 - ln->n)
		len = sizeof(ln->b) - 1 - ln->n;
	memcpy(ln->b + ln->n, s, len);
	ln->n += len;
}

static void
line_pad(struct line *ln, size_t upto)
{
	while (ln->n < upto && ln->n < sizeof(ln->b) - 1)
		ln->b[ln->n++] = ' ';
}

/* Decimal digits of v into the end of buf[24]; returns the first digit. */
static char *
utoa(uint64_t v, char *end)
{
	*--end = '\0';
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

static void
line_printf(struct line *ln, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ln->b + ln->n, sizeof(ln->b) - 1 - ln->n, fmt, ap);
	va_end(ap);
	if (n > 0)
		ln->n += (size_t)n < sizeof(ln->b) - 1 - ln->n ? (size_t)n : sizeof(ln->b) - 2 - ln->n;
}

/* A left-aligned field of at least width columns, then one space. */
static void
line_field(struct line *ln, const char *s, size_t width)
{
	size_t start = ln->n;

	line_put(ln, s, strlen(s));
	line_pad(ln, start + width);
	line_put(ln, " ", 1);
}

/* A right-aligned number of at least width columns, then one space. */
static void
line_num(struct line *ln, uint64_t v, size_t width)
{
	char buf[24], *d = utoa(v, buf + sizeof(buf));
	size_t len = strlen(d);

	while (len < width--)
		line_put(ln, " ", 1);
	line_put(ln, d, len);
	line_put(ln, " ", 1);
}

/* addr:port as ss prints it: [v6]:port, a dual-stack wildcard as *, port 0 as *. */
static void
line_endpoint(struct line *ln, const struct td_sock *sk, const struct in6_addr *a,
    uint16_t port, size_t width)
{
	char host[INET6_ADDRSTRLEN], buf[24];
	size_t start = ln->n;

	td_addr_str(sk, a, host, sizeof(host));
	if (sk->family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(a) && !sk->v6only) {
		line_put(ln, "*", 1);
	} else if (strchr(host, ':') != NULL) {
		line_put(ln, "[", 1);
		line_put(ln, host, strlen(host));
		line_put(ln, "]", 1);
	} else {
		line_put(ln, host, strlen(host));
	}
	line_put(ln, ":", 1);
	if (port == 0) {
		line_put(ln, "*", 1);
	} else {
		const char *d = utoa(port, buf + sizeof(buf));

		line_put(ln, d, strlen(d));
	}
	line_pad(ln, start + width);
	line_put(ln, " ", 1);
}

/*
 * The owners as ss -p prints them, every (process, fd) holding the socket:
 * users:(("nginx",pid=1,fd=6),("nginx",pid=2,fd=6)); holders beyond the
 * ones kept are counted, (+N more); without owner "-", or why not.
 */
static void
line_owners(struct line *ln, const struct td_sock *sk)
{
	unsigned int i;

	if (!sk->has_owner) {
		if (sk->owner_status == TD_OWNER_UNREADABLE)
			line_put(ln, "unreadable ", 11);
		else if (sk->owner_status == TD_OWNER_SKIPPED)
			line_put(ln, "skipped ", 8);
		else
			line_put(ln, "- ", 2);
		return;
	}
	line_put(ln, "users:(", 7);
	for (i = 0; i < sk->nowners && i < TD_SOCK_OWNERS; i++) {
		/* A name may hold a newline or tab too: one socket, one line. */
		char comm[TERMSAFE_MAX(sizeof(sk->owners[i].comm))];

		termsafe_escape(sk->owners[i].comm, strnlen(sk->owners[i].comm,
		    sizeof(sk->owners[i].comm)), false, comm);
		line_printf(ln, "%s(\"%s\",pid=%d", i > 0 ? "," : "", comm, sk->owners[i].pid);
		if (sk->owners[i].fd >= 0)	/* unknown in snapshots older than "owners" */
			line_printf(ln, ",fd=%d", sk->owners[i].fd);
		line_put(ln, ")", 1);
	}
	if (sk->owners_more > 0)
		line_printf(ln, ",(+%u more)", sk->owners_more);
	line_put(ln, ") ", 2);
}

/*
 * With -c: who runs in the socket's cgroup, then its path, as ss --cgroup
 * prints it ("cgroup:/system.slice/nginx.service"); "-" for a socket
 * without one (request and timewait sockets carry no cgroup), the id
 * alone when the cgroup is gone or its path is not known.
 */
static void
line_cgroup(struct line *ln, const struct td_sock *sk)
{
	char buf[TERMSAFE_MAX(sizeof(sk->cgroup))];

	if (sk->cgroup_id == 0) {
		line_put(ln, "- ", 2);
		return;
	}
	if (sk->cgroup[0] == '\0') {
		line_printf(ln, "cgroup_id:%" PRIu64 " ", sk->cgroup_id);
		return;
	}
	if (sk->container[0] != '\0') {
		termsafe_escape(sk->container, strnlen(sk->container, sizeof(sk->container)), false, buf);
		line_printf(ln, "%s ", buf);
	}
	termsafe_escape(sk->cgroup, strnlen(sk->cgroup, sizeof(sk->cgroup)), false, buf);
	line_printf(ln, "cgroup:%s ", buf);
}

static int
table_begin(struct out *o)
{
	struct line ln;
	size_t w = (size_t)addr_width(o);

	ln.n = 0;	/* not "= { 0 }": that clears all 8 KiB of b, per line */
	if (o->opts->no_header)
		return 0;
	line_field(&ln, "State", 11);
	line_put(&ln, " Recv-Q  Send-Q ", 16);
	line_field(&ln, "Local Address:Port", w);
	line_field(&ln, "Peer Address:Port", w);
	if (o->opts->owner)
		line_put(&ln, "Process ", 8);
	if (o->opts->cgroup)
		line_put(&ln, "Cgroup ", 7);
	if (o->opts->extended)
		line_put(&ln, "Details", 7);
	while (ln.n > 0 && ln.b[ln.n - 1] == ' ')
		ln.n--;
	ln.b[ln.n++] = '\n';
	fwrite(ln.b, 1, ln.n, o->fp);
	return ferror(o->fp) ? -1 : 0;
}

static void
table_info(struct out *o, const struct td_sock *sk)
{
	const struct td_tcpi *t = &sk->tcpi;

	fputs("\t", o->fp);
	if (sk->cong[0] != '\0')
		fprintf(o->fp, " %s", sk->cong);
	if (t->options & 0x1)	/* TCPI_OPT_TIMESTAMPS */
		fputs(" ts", o->fp);
	if (t->options & 0x2)	/* TCPI_OPT_SACK */
		fputs(" sack", o->fp);
	if (t->options & 0x4)	/* TCPI_OPT_WSCALE */
		fprintf(o->fp, " wscale:%u,%u", t->snd_wscale, t->rcv_wscale);
	fprintf(o->fp, " rto:%.0f rtt:%.3f/%.3f ato:%.0f mss:%u pmtu:%u rcvmss:%u advmss:%u"
	    " cwnd:%u", t->rto / 1000.0, t->rtt / 1000.0, t->rttvar / 1000.0,
	    t->ato / 1000.0, t->snd_mss, t->pmtu, t->rcv_mss, t->advmss, t->snd_cwnd);
	if (t->snd_ssthresh < 0xffff)
		fprintf(o->fp, " ssthresh:%u", t->snd_ssthresh);
	fprintf(o->fp, " bytes_sent:%" PRIu64 " bytes_retrans:%" PRIu64 " bytes_acked:%" PRIu64
	    " bytes_received:%" PRIu64 " segs_out:%u segs_in:%u", t->bytes_sent, t->bytes_retrans,
	    t->bytes_acked, t->bytes_received, t->segs_out, t->segs_in);
	fprintf(o->fp, " lastsnd:%u lastrcv:%u lastack:%u", t->last_data_sent,
	    t->last_data_recv, t->last_ack_recv);
	if (t->unacked != 0)
		fprintf(o->fp, " unacked:%u", t->unacked);
	if (t->retrans != 0 || t->total_retrans != 0)
		fprintf(o->fp, " retrans:%u/%u", t->retrans, t->total_retrans);
	if (t->lost != 0)
		fprintf(o->fp, " lost:%u", t->lost);
	if (t->backoff != 0)
		fprintf(o->fp, " backoff:%u", t->backoff);
	if (t->min_rtt != 0)
		fprintf(o->fp, " minrtt:%.3f", t->min_rtt / 1000.0);
	fprintf(o->fp, " rcv_space:%u rcv_ssthresh:%u notsent:%u", t->rcv_space,
	    t->rcv_ssthresh, t->notsent_bytes);
	if (sk->has_skmem)
		fprintf(o->fp, " skmem:(r%u,rb%u,t%u,tb%u,f%u,w%u,o%u,bl%u,d%u)",
		    sk->skmem.rmem_alloc, sk->skmem.rcvbuf, sk->skmem.wmem_alloc,
		    sk->skmem.sndbuf, sk->skmem.fwd_alloc, sk->skmem.wmem_queued,
		    sk->skmem.optmem, sk->skmem.backlog, sk->skmem.drops);
	fputc('\n', o->fp);
}

static int
table_sock(struct out *o, const struct td_sock *sk)
{
	struct line ln;
	char tbuf[32];
	size_t w = (size_t)addr_width(o);

	/* Only n: an initializer would clear all 8 KiB of b for every socket
	 * (memset was 55% of `ls`'s instructions). */
	ln.n = 0;
	line_field(&ln, td_state_ss_name(sk->state), 11);
	line_num(&ln, sk->rqueue, 7);
	line_num(&ln, sk->wqueue, 7);
	line_endpoint(&ln, sk, &sk->src, sk->sport, w);
	line_endpoint(&ln, sk, &sk->dst, sk->dport, w);
	if (o->opts->owner) {
		line_owners(&ln, sk);
	}
	if (o->opts->cgroup)
		line_cgroup(&ln, sk);
	if (o->opts->extended) {
		if (sk->timer != TD_TIMER_OFF)
			line_printf(&ln, "timer:(%s,%s,%u) ", td_timer_name(sk->timer),
			    output_ms(sk->timer_ms, tbuf, sizeof(tbuf)), sk->retrans);
		line_printf(&ln, "uid:%u ino:%" PRIu64 " sk:%" PRIx64, sk->uid, sk->inode, sk->cookie);
		if (sk->kind == TD_SK_REQ)
			line_put(&ln, " request", 8);
		else if (sk->kind == TD_SK_TW)
			line_put(&ln, " timewait", 9);
	}
	while (ln.n > 0 && ln.b[ln.n - 1] == ' ')
		ln.n--;
	ln.b[ln.n++] = '\n';
	fwrite(ln.b, 1, ln.n, o->fp);
	if (o->opts->info && sk->has_tcpi)
		table_info(o, sk);
	o->count++;
	/*
	 * Stop at the first failed write (errno says why): a reader that went
	 * away must not leave us walking millions of sockets into the void.
	 */
	return ferror(o->fp) ? -1 : 0;
}

static int
table_end(struct out *o)
{
	(void)o;
	return 0;
}

/* ---- JSON: one document, streamed ---- */

/*
 * Both JSON renderers write through the streaming writer (core/jsonw.h):
 * no allocation per socket.  A socket is snapfile_sock_desc, with
 * tcp_info, skmem and cong only under -i (the cgroup only under -c or
 * -p), so that `ls -j` prints the same from the kernel and from a
 * snapshot (which always keeps them).
 */
static unsigned int
sock_skip(const struct out *o)
{
	/* The cgroup only with -c or -p: the same from the kernel and a snapshot. */
	return (o->opts->info ? 0 : SNAPFILE_SOCK_INFO) |
	    (o->opts->cgroup || o->opts->owner ? 0 : SNAPFILE_SOCK_CGROUP);
}

/* The writer failed: errno says why. */
static int
jw_failed(const struct out *o)
{
	errno = o->jw->err;
	return -1;
}

static int
json_begin(struct out *o)
{
	if ((o->jw = malloc(sizeof(*o->jw))) == NULL)
		return -1;
	/* {head...,"sockets":[ one socket a line ],"count":N,tail...} */
	jw_init(o->jw, o->fp, JW_COMPACT);
	output_json_head(o->jw, o->snap, o->command);
	jw_style(o->jw, JW_LINES);
	jw_arr(o->jw, "sockets");
	jw_style(o->jw, JW_COMPACT);
	return o->jw->err != 0 ? jw_failed(o) : 0;
}

static int
json_sock(struct out *o, const struct td_sock *sk)
{
	jw_obj(o->jw, NULL);
	snapfile_sock_members(o->jw, sk, sock_skip(o));
	jw_end(o->jw);
	o->count++;
	return o->jw->err != 0 ? jw_failed(o) : 0;
}

static int
json_end(struct out *o)
{
	const char *key;
	json_t *v;

	jw_end(o->jw);
	jw_uint(o->jw, "count", o->count);
	/* Members known only after the walk (ls: "unseen"), after "count". */
	if (o->tail != NULL)
		json_object_foreach(o->tail, key, v)
			jw_json(o->jw, key, v);
	jw_end(o->jw);
	jw_raw(o->jw, "\n", 1);
	return jw_flush(o->jw);
}

/* ---- NDJSON: one self-contained object per socket ---- */

static int
ndjson_begin(struct out *o)
{
	struct snapfile_head h = { &o->snap->meta, o->command, SNAPFILE_HEAD_NETNS };
	struct jw *hw;
	FILE *mem;
	int rc;

	if ((o->jw = malloc(sizeof(*o->jw))) == NULL)
		return -1;
	jw_init(o->jw, o->fp, JW_COMPACT);
	/* The head every line repeats, encoded once: {"schema":...,"netns":... */
	if ((mem = open_memstream(&o->line_head, &o->line_head_len)) == NULL)
		return -1;
	if ((hw = malloc(sizeof(*hw))) == NULL) {
		fclose(mem);
		return -1;
	}
	jw_init(hw, mem, JW_COMPACT);
	jw_obj(hw, NULL);
	jw_rec_members(hw, &snapfile_head_desc, &h, 0);
	rc = jw_flush(hw);	/* the object stays open: "{" and the members */
	free(hw);
	if (fclose(mem) != 0 || rc < 0 || o->line_head_len < 1)
		return -1;
	return 0;
}

static int
ndjson_sock(struct out *o, const struct td_sock *sk)
{
	jw_obj_text(o->jw, NULL, o->line_head + 1, o->line_head_len - 1);
	snapfile_sock_members(o->jw, sk, sock_skip(o));
	jw_end(o->jw);
	jw_raw(o->jw, "\n", 1);
	o->count++;
	return o->jw->err != 0 ? jw_failed(o) : 0;
}

static int
ndjson_end(struct out *o)
{
	return jw_flush(o->jw);
}

void
output_free(struct out *o)
{
	free(o->jw);
	o->jw = NULL;
	free(o->line_head);
	o->line_head = NULL;
}

static const struct sock_renderer renderers[] = {
	[TD_FMT_TABLE] = { "table", table_begin, table_sock, table_end },
	[TD_FMT_JSON] = { "json", json_begin, json_sock, json_end },
	[TD_FMT_NDJSON] = { "ndjson", ndjson_begin, ndjson_sock, ndjson_end },
};

const struct sock_renderer *
output_sock_renderer(enum td_format fmt)
{
	if ((size_t)fmt >= ARRAY_SIZE(renderers) || renderers[fmt].name == NULL)
		return NULL;
	return &renderers[fmt];
}
