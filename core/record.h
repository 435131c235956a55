/* SPDX-License-Identifier: MIT */
/*
 * Record descriptions: a kind of record (a socket, the head of a JSON
 * document, ...) is described once, as a table of fields, and every format
 * renders from that table: core/jsonw.h streams it as JSON without
 * allocating, record_json() builds the same value with jansson (for the
 * documents still assembled as a json_t, and as the reference the writer is
 * tested against), the table and Prometheus renderers walk the same fields.
 * curl's tool_writeout.c variables[] and our counters' TD_COUNTERS table
 * are the model.
 *
 * A field is read from the record at an offset (integers, booleans, reals,
 * fixed char arrays), or computed by a getter (names, addresses, nested
 * objects, arrays, fields that are present only sometimes).  A getter
 * fills a struct record_val and returns false to leave the field out.
 * Nothing here allocates: a getter that formats text writes into the
 * value's own buffer.
 *
 * Example, the timer object of a socket (collectors/snapfile.c):
 *
 *	static bool
 *	timer_name(const void *rec, struct record_val *v)
 *	{
 *		return record_str(v, td_timer_name(((const struct td_sock *)rec)->timer));
 *	}
 *	static const struct record_field timer_fields[] = {
 *		RECORD_FN("name", timer_name),
 *		RECORD_INT("expires_ms", struct td_sock, timer_ms),
 *		RECORD_INT("retrans", struct td_sock, retrans),
 *	};
 *	const struct record_desc timer_desc = RECORD_DESC("timer", timer_fields);
 *
 * A field may belong to a group (bits in .group): a renderer given those
 * bits in skip leaves it out (ls without -i skips the socket's tcp_info).
 * A field with a key is a JSON member; one with a label is a line of the
 * table ("  means:      ..." in explain, output_rec_lines()); a field may
 * be either or both.
 *
 * Integers are signed or unsigned by their C type; an unsigned value above
 * INT64_MAX is written as INT64_MAX (the schema's integers are JSON
 * numbers that jansson reads as json_int_t, a long long).  Strings must be
 * NUL-free; bytes that are not valid UTF-8 make the whole string ASCII,
 * each byte from 0x80 up written as '?', and at most RECORD_STR_MAX bytes
 * are kept, as the snapshot writer always did.
 */
#ifndef TD_CORE_RECORD_H
#define TD_CORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define RECORD_STR_MAX	255	/* bytes of a string field kept (snapshot compatibility) */

enum record_type {
	RECORD_T_NULL = 0,
	RECORD_T_BOOL,
	RECORD_T_INT,		/* i */
	RECORD_T_UINT,		/* u, written clamped to INT64_MAX */
	RECORD_T_REAL,		/* d; not finite: written as null */
	RECORD_T_STR,		/* s, n bytes (not NUL-terminated necessarily) */
	RECORD_T_OBJ,		/* desc, rec: a nested record */
	RECORD_T_ARR,		/* desc, rec, n, stride: n records, stride bytes apart */
	RECORD_T_STRS,		/* strs, n: an array of n strings */
	RECORD_T_MAP,		/* desc, rec, n, stride: an object of n members, each
				 * element's first field the name, its second the value */
};

struct record_desc;

struct record_val {
	enum record_type	 type;
	bool			 b;
	int64_t			 i;
	uint64_t		 u;
	double			 d;
	const char		*s;
	size_t			 n;		/* STR: bytes; ARR: elements */
	bool			 cut;		/* STR: at most RECORD_STR_MAX bytes */
	const struct record_desc *desc;
	const void		*rec;
	const char *const	*strs;		/* STRS */
	size_t			 stride;
	/* ARR: an element is written only when keep() says so (NULL: all). */
	bool			(*keep)(const void *elem);
	char			 buf[64];	/* scratch for a getter that formats */
};

/* How a field's value is found. */
enum record_how {
	RECORD_AT_SIGNED = 1,	/* a signed integer of size bytes at off */
	RECORD_AT_UNSIGNED,	/* an unsigned integer of size bytes at off */
	RECORD_AT_BOOL,		/* a bool at off */
	RECORD_AT_REAL,		/* a double at off */
	RECORD_AT_CHARS,	/* a char array of size bytes at off, up to its NUL */
	RECORD_AT_STRP,		/* a const char * at off (NULL: left out) */
	RECORD_GET,		/* get() computes it */
};

struct record_field {
	const char		*key;		/* the JSON key, snake_case */
	enum record_how		 how;
	size_t			 off, size;
	bool			(*get)(const void *rec, struct record_val *v);
	unsigned int		 group;		/* bits a renderer may skip (0: always) */
	const char		*label;		/* its line in a table ("means:"); NULL: none */
	unsigned int		 flags;		/* RECORD_F_* */
};

/* A table leaves out an empty string (JSON still has it, as ""). */
#define RECORD_F_TABLE_NONEMPTY	1u
/* JSON: a nested record's members are this record's own (no key of its own). */
#define RECORD_F_INLINE		2u
/*
 * Tables.  A record's labelled fields are lines "  LABEL       VALUE"; a
 * nested record's labelled lines stand in its parent's place.  An array
 * with a label is a heading "  LABEL" and, under it, each element's
 * RECORD_F_TABLE_ITEM string indented by four ("    none" for no element
 * with RECORD_F_TABLE_NONE); an array with RECORD_F_TABLE_ROWS (no
 * label) is its elements' ITEM strings as they are, one a line.
 */
#define RECORD_F_TABLE_ITEM	4u
#define RECORD_F_TABLE_NONE	8u
#define RECORD_F_TABLE_ROWS	16u

struct record_desc {
	const char			*name;	/* for messages and tests */
	const struct record_field	*f;
	size_t				 n;
};

#define RECORD_SIZEOF(type, m)	sizeof(((type *)0)->m)
#define RECORD_HOW_INT(x)	_Generic((x), signed char: RECORD_AT_SIGNED, short: RECORD_AT_SIGNED, \
	int: RECORD_AT_SIGNED, long: RECORD_AT_SIGNED, long long: RECORD_AT_SIGNED, \
	default: RECORD_AT_UNSIGNED)
/* An integer member; signedness and size from its C type. */
#define RECORD_INT(k, type, m)	{ (k), RECORD_HOW_INT(((type *)0)->m), offsetof(type, m), \
	RECORD_SIZEOF(type, m), NULL }
#define RECORD_BOOL(k, type, m)	{ (k), RECORD_AT_BOOL, offsetof(type, m), sizeof(bool), NULL }
#define RECORD_REAL(k, type, m)	{ (k), RECORD_AT_REAL, offsetof(type, m), sizeof(double), NULL }
#define RECORD_CHARS(k, type, m) { (k), RECORD_AT_CHARS, offsetof(type, m), RECORD_SIZEOF(type, m), NULL }
#define RECORD_FN(k, fn)	{ (k), RECORD_GET, 0, 0, (fn) }
/* A const char * member with its table label (key NULL: the table only). */
#define RECORD_TEXT(k, lab, type, m) { .key = (k), .how = RECORD_AT_STRP, \
	.off = offsetof(type, m), .size = sizeof(const char *), .label = (lab) }
#define RECORD_DESC(name, fields) { (name), (fields), sizeof(fields) / sizeof((fields)[0]) }

/*
 * The value of field f of rec into *v.  Returns false when the field is
 * left out of this record.
 */
bool	record_get(const struct record_field *f, const void *rec, struct record_val *v);

/* Getter helpers: set *v and return true. */
bool	record_str(struct record_val *v, const char *s);
bool	record_int(struct record_val *v, int64_t i);
bool	record_uint(struct record_val *v, uint64_t u);
bool	record_real(struct record_val *v, double d);
bool	record_bool(struct record_val *v, bool b);
bool	record_null(struct record_val *v);
bool	record_obj(struct record_val *v, const struct record_desc *desc, const void *rec);
bool	record_arr(struct record_val *v, const struct record_desc *desc, const void *first,
	    size_t n, size_t stride, bool (*keep)(const void *elem));
/* An object of n members: each element's first field its name, the second its value. */
bool	record_map(struct record_val *v, const struct record_desc *desc, const void *first,
	    size_t n, size_t stride);
/*
 * A map element's member: its name (first field, a string, NUL-terminated
 * into name) and its value (second field).  False: the element is left out.
 */
bool	record_map_entry(const struct record_desc *d, const void *elem,
	    char name[RECORD_STR_MAX + 1], struct record_val *value);
/* An array of n strings (NUL-terminated, written as record_str() writes one). */
bool	record_strs(struct record_val *v, const char *const *strs, size_t n);

/* The bytes of a STR value that are written (cut applied). */
size_t	record_str_len(const struct record_val *v);
/*
 * The same value built with jansson: record_json() returns a new object
 * (NULL when memory runs out), record_json_members() adds rec's members to
 * o but those of the groups in skip (0, or -1 when memory runs out),
 * record_val_json() one value.
 */
json_t	*record_json(const struct record_desc *d, const void *rec);
int	 record_json_members(json_t *o, const struct record_desc *d, const void *rec,
	    unsigned int skip);
json_t	*record_val_json(const struct record_val *v);
/* True if s[0..n) is valid UTF-8 (RFC 3629: no overlongs, no surrogates). */
bool	record_utf8_valid(const char *s, size_t n);

#endif /* TD_CORE_RECORD_H */
