/* SPDX-License-Identifier: MIT */
/*
 * The one ladder renderer: a TCP conversation between two endpoints drawn a
 * row at a time.  `tcpdoctor sim` (the model's run), `replay --conn` (a
 * captured connection) and the lab's comparison of a kernel run with the
 * model's (`sim --against-kernel`, the conformance suite) all print through
 * it; callers only fill rows.
 *
 * A row has the endpoints' columns (left: the originator or first host,
 * right: the other; their states, calls, notes), the segment seen on the
 * wire or sent by the model as an arrow between them, and, beside it, what
 * the model expected at that point (another segment, or words).  A row
 * whose two sides disagree is marked.
 *
 * Two layouts:
 *   TD_LADDER_ARROWS   time  left  -- S. 0 ack 1 ----->  right  note
 *                      and, when the row carries an expectation,
 *                      "  expected: <-- F. 1 ack 1" (or its words) after it
 *   TD_LADDER_SIDE     "! <seen> | <expected>": the two sides as text
 *                      cells, each with its own time (the lab's view)
 *   TD_LADDER_LIST     "time  words": one side, a record a line (a lab run)
 *
 * Segments are described with the header's own bits (RFC 9293 3.1) so that
 * every layer can fill a row; tcp/segment.h has tm_seg_ladder() to fill one
 * from a model segment.  Labels come in two styles:
 *   TD_LADDER_MODEL    the model's ladder: "S seq 0 <mss,sack,ts,ws>",
 *                      "P. 1:101 ack 1", D-SACK and SACK blocks
 *   TD_LADDER_WIRE     a capture's ladder (tcpdump-like): "P. 1 ack 1 len 100",
 *                      "win 0"
 * followed by the row's tags ("(rtx)", "[retransmission]").
 *
 * No allocation; output goes to the FILE given.  tests/unit/core/ladder_test.c.
 */
#ifndef TD_CORE_LADDER_H
#define TD_CORE_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* TCP header flags, as on the wire (RFC 9293 3.1, RFC 3168 for ECE, CWR). */
enum td_lflag {
	TD_LF_FIN = 0x01,
	TD_LF_SYN = 0x02,
	TD_LF_RST = 0x04,
	TD_LF_PSH = 0x08,
	TD_LF_ACK = 0x10,
	TD_LF_URG = 0x20,
	TD_LF_ECE = 0x40,
	TD_LF_CWR = 0x80,
};

/* What an arrow carries. */
struct td_lseg {
	uint8_t		flags;		/* enum td_lflag */
	uint32_t	seq, ack;	/* as on the wire */
	int64_t		rseq, rack;	/* relative to the sender's / receiver's ISN */
	bool		has_rseq, has_rack;	/* the ISN is known */
	uint32_t	len, win;	/* payload bytes, raw window field */
	bool		mss, sack_ok, ts, wscale;	/* options present */
	unsigned int	nsack;		/* SACK blocks */
	bool		dsack;		/* the first block is a D-SACK (RFC 2883) */
	char		tags[96];	/* words after the label, "" for none */
};

enum td_ldir {
	TD_LDIR_NONE = 0,		/* no arrow: the row is words */
	TD_LDIR_RIGHT,			/* left -> right */
	TD_LDIR_LEFT,			/* right -> left */
};

/* One side of a row: what was seen (or sent), or what the model expected. */
struct td_lside {
	bool		present;
	uint64_t	t;		/* ns; the row's time in TD_LADDER_ARROWS */
	enum td_ldir	dir;		/* an arrow, with seg */
	bool		lost;		/* the arrow ends in 'x' */
	struct td_lseg	seg;
	const char	*text;		/* words instead of an arrow (NULL: none) */
};

struct td_lrow {
	const char	*left, *right;	/* the endpoints' columns (NULL: empty) */
	const char	*note;		/* after the right column (NULL: none) */
	struct td_lside	seen;		/* the segment or event of this row */
	struct td_lside	expected;	/* what the model expected beside it */
	bool		differs;	/* the sides disagree: marked '!' (SIDE) */
};

enum td_llayout { TD_LADDER_ARROWS, TD_LADDER_SIDE, TD_LADDER_LIST };
enum td_lstyle { TD_LADDER_MODEL, TD_LADDER_WIRE };

struct td_ladder {
	FILE		*out;
	enum td_llayout	 layout;
	enum td_lstyle	 style;
	int		 twidth, tprec;	/* the time column: width, digits after the point */
	int		 colw;		/* ARROWS: the left column; SIDE: the seen cell */
	int		 midw;		/* ARROWS: the arrow column (at most TD_LADDER_MIDW_MAX) */
};

#define TD_LADDER_MIDW_MAX	120

/* The column titles (ARROWS: time, left, right; SIDE: the two cells; LIST: none). */
void	td_ladder_head(const struct td_ladder *l, const char *time_title, const char *left,
	    const char *right);

/* Print one row. */
void	td_ladder_row(const struct td_ladder *l, const struct td_lrow *r);

/* A segment's label in the ladder's style, into buf (always terminated). */
void	td_ladder_label(const struct td_ladder *l, const struct td_lseg *s, char *buf,
	    size_t len);

/*
 * The flag letters in a style: TD_LADDER_WIRE in tcpdump's order
 * ("FSRP.UEW", "none" for no flag), TD_LADDER_MODEL in the model ladder's
 * ("SFRPU.", "" for none).  buf holds at least 12 bytes.
 */
const char *td_ladder_flags(enum td_lstyle style, uint8_t flags, char *buf, size_t len);

#endif /* TD_CORE_LADDER_H */
