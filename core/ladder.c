/* SPDX-License-Identifier: MIT */
/* The one ladder renderer (core/ladder.h). */
#include <inttypes.h>
#include <string.h>

#include "core/ladder.h"
#include "core/util.h"

static const char dashes[TD_LADDER_MIDW_MAX + 1] =
    "------------------------------------------------------------"
    "------------------------------------------------------------";

const char *
td_ladder_flags(enum td_lstyle style, uint8_t flags, char *buf, size_t len)
{
	/* tcpdump's order (print-tcp.c tcp_flag_values[]); the model ladder's own. */
	static const struct {
		uint8_t	 bit;
		char	 c;
	} wire[] = {
		{ TD_LF_FIN, 'F' }, { TD_LF_SYN, 'S' }, { TD_LF_RST, 'R' }, { TD_LF_PSH, 'P' },
		{ TD_LF_ACK, '.' }, { TD_LF_URG, 'U' }, { TD_LF_ECE, 'E' }, { TD_LF_CWR, 'W' },
	}, model[] = {
		{ TD_LF_SYN, 'S' }, { TD_LF_FIN, 'F' }, { TD_LF_RST, 'R' }, { TD_LF_PSH, 'P' },
		{ TD_LF_URG, 'U' }, { TD_LF_ACK, '.' },
	};
	size_t i, n = 0, nt = style == TD_LADDER_WIRE ? ARRAY_SIZE(wire) : ARRAY_SIZE(model);

	if (len == 0)
		return buf;
	for (i = 0; i < nt && n + 1 < len; i++) {
		uint8_t bit = style == TD_LADDER_WIRE ? wire[i].bit : model[i].bit;

		if (flags & bit)
			buf[n++] = style == TD_LADDER_WIRE ? wire[i].c : model[i].c;
	}
	buf[n] = '\0';
	if (n == 0 && style == TD_LADDER_WIRE)
		snprintf(buf, len, "none");
	return buf;
}

void
td_ladder_label(const struct td_ladder *l, const struct td_lseg *s, char *buf, size_t len)
{
	char fl[16];
	size_t n = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	td_appendf(buf, len, &n, "%s", td_ladder_flags(l->style, s->flags, fl, sizeof(fl)));
	if (l->style == TD_LADDER_WIRE) {
		td_appendf(buf, len, &n, " %" PRId64, s->has_rseq ? s->rseq : (int64_t)s->seq);
		if (s->flags & TD_LF_ACK)
			td_appendf(buf, len, &n, " ack %" PRId64, s->has_rack ? s->rack : (int64_t)s->ack);
		if (s->len > 0)
			td_appendf(buf, len, &n, " len %" PRIu32, s->len);
		if (s->win == 0 && !(s->flags & TD_LF_RST))
			td_appendf(buf, len, &n, " win 0");
	} else {
		if (s->has_rseq && s->len > 0)
			td_appendf(buf, len, &n, " %" PRId64 ":%" PRId64, s->rseq, s->rseq + s->len);
		else if (s->has_rseq)
			td_appendf(buf, len, &n, " seq %" PRId64, s->rseq);
		else
			td_appendf(buf, len, &n, " seq %" PRIu32, s->seq);
		if (s->flags & TD_LF_ACK) {
			if (s->has_rack)
				td_appendf(buf, len, &n, " ack %" PRId64, s->rack);
			else
				td_appendf(buf, len, &n, " ack %" PRIu32, s->ack);
		}
		if (s->nsack > 0)
			td_appendf(buf, len, &n, s->dsack ? " <dsack>" : " <sack x%u>", s->nsack);
		/* The model always offers MSS on a SYN; the others as negotiated. */
		if (s->flags & TD_LF_SYN)
			td_appendf(buf, len, &n, " <mss%s%s%s>", s->sack_ok ? ",sack" : "", s->ts ? ",ts" : "",
			    s->wscale ? ",ws" : "");
	}
	if (s->tags[0] != '\0')
		td_appendf(buf, len, &n, " %s", s->tags);
}

/* The arrow column: "-- LABEL ---->" or "<---- LABEL --", 'x' for a lost one. */
static void
arrow(const struct td_ladder *l, const struct td_lside *sd, char *buf, size_t len)
{
	char label[256];
	int midw = l->midw < 7 ? 7 : l->midw > TD_LADDER_MIDW_MAX ? TD_LADDER_MIDW_MAX : l->midw;
	size_t ll, pad;

	td_ladder_label(l, &sd->seg, label, sizeof(label));
	ll = strlen(label);
	if (ll > (size_t)midw - 6)
		ll = (size_t)midw - 6;
	pad = (size_t)midw - 6 - ll;
	if (sd->dir == TD_LDIR_RIGHT)
		snprintf(buf, len, "-- %.*s %.*s%s", (int)ll, label, (int)pad, dashes,
		    sd->lost ? "x" : ">");
	else
		snprintf(buf, len, "%s%.*s %.*s --", sd->lost ? "x" : "<", (int)pad, dashes, (int)ll,
		    label);
}

/* A side as words: its arrow ("-> LABEL", "<- LABEL") or its text. */
static void
side_words(const struct td_ladder *l, const struct td_lside *sd, char *buf, size_t len)
{
	char label[256];

	if (sd->dir != TD_LDIR_NONE) {
		td_ladder_label(l, &sd->seg, label, sizeof(label));
		snprintf(buf, len, "%s %s%s", sd->dir == TD_LDIR_RIGHT ? "->" : "<-", label,
		    sd->lost ? " (lost)" : "");
	} else {
		snprintf(buf, len, "%s", sd->text ? sd->text : "");
	}
}

void
td_ladder_head(const struct td_ladder *l, const char *time_title, const char *left,
    const char *right)
{
	if (l->layout == TD_LADDER_LIST)
		return;
	if (l->layout == TD_LADDER_SIDE)
		fprintf(l->out, "  %-*s | %s\n", l->colw, left, right);
	else
		fprintf(l->out, "%*s  %-*s %-*s %s\n", l->twidth, time_title, l->colw, left, l->midw,
		    "", right);
}

/* A SIDE cell: "TIME WORDS", empty when the side is absent. */
static void
cell(const struct td_ladder *l, const struct td_lside *sd, char *buf, size_t len)
{
	char words[320];

	buf[0] = '\0';
	if (!sd->present)
		return;
	side_words(l, sd, words, sizeof(words));
	snprintf(buf, len, "%*.*f %s", l->twidth, l->tprec, (double)sd->t / 1e9, words);
}

void
td_ladder_row(const struct td_ladder *l, const struct td_lrow *r)
{
	char mid[TD_LADDER_MIDW_MAX + 8], a[400], b[400];
	const char *right = r->right ? r->right : "";

	if (l->layout == TD_LADDER_LIST) {
		side_words(l, &r->seen, a, sizeof(a));
		fprintf(l->out, "%*.*f  %s\n", l->twidth, l->tprec, (double)r->seen.t / 1e9, a);
		return;
	}
	if (l->layout == TD_LADDER_SIDE) {
		cell(l, &r->seen, a, sizeof(a));
		cell(l, &r->expected, b, sizeof(b));
		fprintf(l->out, "%c %-*s | %s\n", r->differs ? '!' : ' ', l->colw, a, b);
		return;
	}
	mid[0] = '\0';
	if (r->seen.dir != TD_LDIR_NONE)
		arrow(l, &r->seen, mid, sizeof(mid));
	fprintf(l->out, "%*.*f  %-*s %-*s %s", l->twidth, l->tprec, (double)r->seen.t / 1e9, l->colw,
	    r->left ? r->left : "", l->midw, mid, right);
	if (r->note != NULL)
		fprintf(l->out, "%s%s", right[0] ? "  " : "", r->note);
	if (r->expected.present) {
		side_words(l, &r->expected, a, sizeof(a));
		fprintf(l->out, "  expected: %s", a);
	}
	fputc('\n', l->out);
}
