/* SPDX-License-Identifier: MIT */
/*
 * Snapshot files: JSON save and load that stream (see snapfile.h for the
 * format and its conventions).
 *
 * Loading uses a small scanner over the FILE: it tracks line and column,
 * strings, escapes and nesting depth, so it can find where each top-level
 * member and each element of "sockets" starts and ends.  Each such piece of
 * text (one socket, or one header member) is handed to json_loadb; the
 * "sockets" array as a whole is never held in memory.
 */
#include "collectors/snapfile.h"

#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zstd.h>

#include "collectors/sockdiag.h"
#include "core/safefile.h"
#include "core/util.h"

/* One socket object in a file is far below this; more is garbage. */
#define SNAP_ELEM_MAX	(1 << 20)
/*
 * The header (every member but "sockets") is a few KiB: a file with more
 * members or more text than this is refused, so a hostile header cannot
 * make every command hold it (2M members took 254 MB).  Members this
 * version does not know are checked, not kept.
 */
#define SNAP_HDR_MEMBERS_MAX	256
#define SNAP_HDR_BYTES_MAX	(1 << 20)
#define SNAP_HDR_NAME_MAX	128

/* ---- Field tables shared by both directions ---- */

/* The tcp_info and skmem members: unsigned, named as the struct's fields. */
#define NF(type, f)	{ #f, RECORD_AT_UNSIGNED, offsetof(struct type, f), \
	sizeof(((struct type *)0)->f), NULL, 0 }

#define TCPI_FIELDS(X) \
	X(td_tcpi, state) X(td_tcpi, ca_state) X(td_tcpi, retransmits) \
	X(td_tcpi, probes) X(td_tcpi, backoff) X(td_tcpi, options) \
	X(td_tcpi, snd_wscale) X(td_tcpi, rcv_wscale) \
	X(td_tcpi, delivery_rate_app_limited) X(td_tcpi, rto) X(td_tcpi, ato) \
	X(td_tcpi, snd_mss) X(td_tcpi, rcv_mss) X(td_tcpi, unacked) \
	X(td_tcpi, sacked) X(td_tcpi, lost) X(td_tcpi, retrans) \
	X(td_tcpi, fackets) X(td_tcpi, last_data_sent) \
	X(td_tcpi, last_ack_sent) X(td_tcpi, last_data_recv) \
	X(td_tcpi, last_ack_recv) X(td_tcpi, pmtu) X(td_tcpi, rcv_ssthresh) \
	X(td_tcpi, rtt) X(td_tcpi, rttvar) X(td_tcpi, snd_ssthresh) \
	X(td_tcpi, snd_cwnd) X(td_tcpi, advmss) X(td_tcpi, reordering) \
	X(td_tcpi, rcv_rtt) X(td_tcpi, rcv_space) X(td_tcpi, total_retrans) \
	X(td_tcpi, pacing_rate) X(td_tcpi, max_pacing_rate) \
	X(td_tcpi, bytes_acked) X(td_tcpi, bytes_received) \
	X(td_tcpi, segs_out) X(td_tcpi, segs_in) X(td_tcpi, notsent_bytes) \
	X(td_tcpi, min_rtt) X(td_tcpi, data_segs_in) X(td_tcpi, data_segs_out) \
	X(td_tcpi, delivery_rate) X(td_tcpi, busy_time) \
	X(td_tcpi, rwnd_limited) X(td_tcpi, sndbuf_limited) \
	X(td_tcpi, delivered) X(td_tcpi, delivered_ce) X(td_tcpi, bytes_sent) \
	X(td_tcpi, bytes_retrans) X(td_tcpi, dsack_dups) \
	X(td_tcpi, reord_seen) X(td_tcpi, rcv_ooopack) X(td_tcpi, snd_wnd) \
	X(td_tcpi, rcv_wnd) X(td_tcpi, rehash) X(td_tcpi, total_rto) \
	X(td_tcpi, total_rto_recoveries) X(td_tcpi, total_rto_time) \
	X(td_tcpi, len)

#define SKMEM_FIELDS(X) \
	X(td_skmem, rmem_alloc) X(td_skmem, rcvbuf) X(td_skmem, wmem_alloc) \
	X(td_skmem, sndbuf) X(td_skmem, fwd_alloc) X(td_skmem, wmem_queued) \
	X(td_skmem, optmem) X(td_skmem, backlog) X(td_skmem, drops)

#define NF_FIELD(type, f)	NF(type, f),
#define NF_KEYLEN(type, f)	sizeof(#f) - 1,
static const struct record_field tcpi_fields[] = { TCPI_FIELDS(NF_FIELD) };
static const struct record_field skmem_fields[] = { SKMEM_FIELDS(NF_FIELD) };
/* Their keys' lengths: uints() writes them without a strlen each. */
static const uint8_t tcpi_keylen[] = { TCPI_FIELDS(NF_KEYLEN) };
static const uint8_t skmem_keylen[] = { SKMEM_FIELDS(NF_KEYLEN) };
_Static_assert(sizeof(tcpi_keylen) == ARRAY_SIZE(tcpi_fields), "a length for each key");
_Static_assert(sizeof(skmem_keylen) == ARRAY_SIZE(skmem_fields), "a length for each key");

static const struct record_desc tcpi_desc = RECORD_DESC("tcp_info", tcpi_fields);
static const struct record_desc skmem_desc = RECORD_DESC("skmem", skmem_fields);

static const char *const kind_names[] = {
	[TD_SK_FULL] = "full", [TD_SK_REQ] = "request", [TD_SK_TW] = "timewait",
};

static json_int_t
clamp_u64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v;
}

static void
store_field(void *base, const struct record_field *f, uint64_t v)
{
	char *p = (char *)base + f->off;
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (f->size) {
	case 1: memcpy(p, &u8, 1); break;
	case 2: memcpy(p, &u16, 2); break;
	case 4: memcpy(p, &u32, 4); break;
	default: memcpy(p, &v, 8); break;
	}
}

static uint64_t
field_max(size_t size)
{
	return size >= 8 ? (uint64_t)INT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

/* ---- To JSON ---- */


/* ---- The socket record: saved, loaded back, ls -j and NDJSON ---- */

#define SK(rec)	((const struct td_sock *)(rec))

static bool
sk_family(const void *rec, struct record_val *v)
{
	return record_str(v, SK(rec)->family == AF_INET ? "ipv4" : "ipv6");
}

static bool
sk_state(const void *rec, struct record_val *v)
{
	return record_str(v, td_state_name(SK(rec)->state));
}

static bool
sk_kind(const void *rec, struct record_val *v)
{
	unsigned int k = SK(rec)->kind;

	return record_str(v, k < ARRAY_SIZE(kind_names) && kind_names[k] != NULL ? kind_names[k] : "full");
}

/* IPv4 sockets store addresses v4-mapped; IPv6 ones keep ::ffff: visible. */
static bool
sk_addr(const struct td_sock *sk, const struct in6_addr *a, struct record_val *v)
{
	const uint8_t *b = &a->s6_addr[12];
	char *p = v->buf;
	int i;

	if (sk->family != AF_INET) {
		_Static_assert(sizeof(v->buf) >= INET6_ADDRSTRLEN, "room for an IPv6 address");
		return record_str(v, td_addr6_str(a, v->buf));
	}
	/* Dotted quad by hand: inet_ntop's sprintf was a tenth of `ls -j`. */
	for (i = 0; i < 4; i++) {
		if (b[i] >= 100)
			*p++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*p++ = (char)('0' + b[i] / 10 % 10);
		*p++ = (char)('0' + b[i] % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	v->type = RECORD_T_STR;
	v->s = v->buf;
	v->n = (size_t)(p - v->buf - 1);
	v->cut = false;
	return true;
}

static bool
sk_src(const void *rec, struct record_val *v)
{
	return sk_addr(SK(rec), &SK(rec)->src, v);
}

static bool
sk_dst(const void *rec, struct record_val *v)
{
	return sk_addr(SK(rec), &SK(rec)->dst, v);
}

static bool
sk_timer_name(const void *rec, struct record_val *v)
{
	return record_str(v, td_timer_name(SK(rec)->timer));
}

static const struct record_field timer_fields[] = {
	RECORD_FN("name", sk_timer_name),
	RECORD_INT("expires_ms", struct td_sock, timer_ms),
	RECORD_INT("retrans", struct td_sock, retrans),
};
static const struct record_desc timer_desc = RECORD_DESC("timer", timer_fields);

static bool
sk_timer(const void *rec, struct record_val *v)
{
	return record_obj(v, &timer_desc, rec);
}

static const struct record_field cong_field = RECORD_CHARS("cong", struct td_sock, cong);

static bool
sk_cong(const void *rec, struct record_val *v)
{
	return SK(rec)->cong[0] != '\0' && record_get(&cong_field, rec, v);
}

static bool
sk_tcpi(const void *rec, struct record_val *v)
{
	return SK(rec)->has_tcpi && record_obj(v, &tcpi_desc, &SK(rec)->tcpi);
}

static bool
sk_skmem(const void *rec, struct record_val *v)
{
	return SK(rec)->has_skmem && record_obj(v, &skmem_desc, &SK(rec)->skmem);
}

/* The cgroup v2 id (masked to the schema's integers), its path and container, when known. */
static bool
sk_cgroup_id(const void *rec, struct record_val *v)
{
	return SK(rec)->cgroup_id != 0 && record_int(v, (int64_t)(SK(rec)->cgroup_id & INT64_MAX));
}

static const struct record_field cgroup_field = RECORD_CHARS("cgroup", struct td_sock, cgroup);
static const struct record_field container_field = RECORD_CHARS("container", struct td_sock, container);

static bool
sk_cgroup(const void *rec, struct record_val *v)
{
	return SK(rec)->cgroup_id != 0 && SK(rec)->cgroup[0] != '\0' && record_get(&cgroup_field, rec, v);
}

static bool
sk_container(const void *rec, struct record_val *v)
{
	return SK(rec)->cgroup_id != 0 && SK(rec)->container[0] != '\0' &&
	    record_get(&container_field, rec, v);
}

static const struct record_field owner_fields[] = {
	RECORD_INT("pid", struct td_sock, pid),
	RECORD_CHARS("comm", struct td_sock, comm),
};
static const struct record_desc owner_desc = RECORD_DESC("owner", owner_fields);

static bool
sk_owner(const void *rec, struct record_val *v)
{
	return SK(rec)->has_owner && record_obj(v, &owner_desc, rec);
}

/* Every (process, fd) holding it, as ss -p lists them. */
static const struct record_field holder_fields[] = {
	RECORD_INT("pid", struct td_owner, pid),
	RECORD_CHARS("comm", struct td_owner, comm),
	RECORD_INT("fd", struct td_owner, fd),
};
static const struct record_desc holder_desc = RECORD_DESC("owners", holder_fields);

/* An owner read from a snapshot that had only "owner" has no fd. */
static bool
holder_keep(const void *elem)
{
	return ((const struct td_owner *)elem)->fd >= 0;
}

static bool
sk_owners(const void *rec, struct record_val *v)
{
	const struct td_sock *sk = rec;
	size_t n = sk->nowners < TD_SOCK_OWNERS ? sk->nowners : TD_SOCK_OWNERS, i, kept = 0;

	if (!sk->has_owner)
		return false;
	for (i = 0; i < n; i++)
		kept += holder_keep(&sk->owners[i]);
	return kept > 0 && record_arr(v, &holder_desc, sk->owners, n, sizeof(sk->owners[0]),
	    holder_keep);
}

static bool
sk_owners_more(const void *rec, struct record_val *v)
{
	return SK(rec)->has_owner && SK(rec)->owners_more > 0 && record_uint(v, SK(rec)->owners_more);
}

static bool
sk_owner_unseen(const void *rec, struct record_val *v)
{
	if (SK(rec)->has_owner)
		return false;
	if (SK(rec)->owner_status == TD_OWNER_UNREADABLE)
		return record_str(v, "unreadable");
	if (SK(rec)->owner_status == TD_OWNER_SKIPPED)
		return record_str(v, "skipped");
	return false;
}

static const struct record_field sock_fields[] = {
	RECORD_FN("family", sk_family),
	RECORD_FN("state", sk_state),
	RECORD_FN("kind", sk_kind),
	RECORD_FN("src", sk_src),
	RECORD_INT("sport", struct td_sock, sport),
	RECORD_FN("dst", sk_dst),
	RECORD_INT("dport", struct td_sock, dport),
	RECORD_INT("ifindex", struct td_sock, ifindex),
	RECORD_INT("rqueue", struct td_sock, rqueue),
	RECORD_INT("wqueue", struct td_sock, wqueue),
	RECORD_FN("timer", sk_timer),
	RECORD_INT("uid", struct td_sock, uid),
	RECORD_INT("inode", struct td_sock, inode),
	RECORD_INT("cookie", struct td_sock, cookie),
	RECORD_INT("shutdown", struct td_sock, shutdown),
	RECORD_INT("tos", struct td_sock, tos),
	RECORD_INT("tclass", struct td_sock, tclass),
	RECORD_INT("mark", struct td_sock, mark),
	RECORD_BOOL("v6only", struct td_sock, v6only),
	{ .key = "cong", .how = RECORD_GET, .get = sk_cong, .group = SNAPFILE_SOCK_INFO },
	{ .key = "tcp_info", .how = RECORD_GET, .get = sk_tcpi, .group = SNAPFILE_SOCK_INFO },
	{ .key = "skmem", .how = RECORD_GET, .get = sk_skmem, .group = SNAPFILE_SOCK_INFO },
	{ .key = "cgroup_id", .how = RECORD_GET, .get = sk_cgroup_id, .group = SNAPFILE_SOCK_CGROUP },
	{ .key = "cgroup", .how = RECORD_GET, .get = sk_cgroup, .group = SNAPFILE_SOCK_CGROUP },
	{ .key = "container", .how = RECORD_GET, .get = sk_container, .group = SNAPFILE_SOCK_CGROUP },
	RECORD_FN("owner", sk_owner),
	RECORD_FN("owners", sk_owners),
	RECORD_FN("owners_more", sk_owners_more),
	RECORD_FN("owner_unseen", sk_owner_unseen),
};
const struct record_desc snapfile_sock_desc = RECORD_DESC("socket", sock_fields);

/*
 * The socket's members without the record walk: ls -j, NDJSON and snapshot
 * write every socket, and the walk (a getter, a record_val and a key check
 * a member) was most of their time.  The members up to v6only are present
 * in every socket and need no escape (keys are literals here; names come
 * from fixed tables; addresses are digits, hex, '.' and ':'); they go
 * straight into the writer's buffer.  The rest (tcp_info, cgroup and
 * container names, owners' comm: text that may need escaping) go through
 * the description, and only when the socket has any of them.  It writes
 * what jw_rec_members(&snapfile_sock_desc) writes, byte for byte
 * (tests/unit/collectors/snapfile_test.c compares the two with jansson's
 * document on the fixtures, tests/integration/156-sock-writer.sh on a live
 * namespace).
 */
#define SOCK_FIXED	19	/* sock_fields[] up to v6only */
#define SOCK_CGROUP	22	/* sock_fields[] from cgroup_id on */
static const struct record_desc sock_cong_desc = { "socket", sock_fields + SOCK_FIXED, 1 };
static const struct record_desc sock_info_desc = { "socket", sock_fields + SOCK_FIXED + 1, 2 };
static const struct record_desc sock_tail_desc = {
	"socket", sock_fields + SOCK_CGROUP, ARRAY_SIZE(sock_fields) - SOCK_CGROUP,
};
#define SOCK_OWNER	25	/* sock_fields[] from owner on */
static const struct record_desc sock_owner_desc = {
	"socket", sock_fields + SOCK_OWNER, ARRAY_SIZE(sock_fields) - SOCK_OWNER,
};

static char *
lit(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}
#define LIT(o, s)	lit((o), (s), sizeof(s) - 1)

static char *
quoted(char *o, const char *s, size_t n)
{
	*o++ = '"';
	memcpy(o, s, n);
	o[n] = '"';
	return o + n + 1;
}

static char *
addr(char *o, const struct td_sock *sk, const struct in6_addr *a)
{
	struct record_val v;

	sk_addr(sk, a, &v);
	return quoted(o, v.s, v.n);
}

/*
 * ,"key":{"a":1,...} for a table of unsigned members (tcp_info, skmem:
 * their keys are C member names, nothing to escape), at most room bytes;
 * NULL when the table needs more.
 */
static char *
uints(char *o, size_t room, const char *key, const struct record_desc *d, const uint8_t *keylen,
    const void *rec)
{
	char *start = o;
	uint64_t v;
	size_t i, n;

	o = lit(o, key, strlen(key));
	for (i = 0; i < d->n; i++) {
		const char *p = (const char *)rec + d->f[i].off;
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;

		switch (d->f[i].size) {
		case 1: memcpy(&u8, p, 1); v = u8; break;
		case 2: memcpy(&u16, p, 2); v = u16; break;
		case 4: memcpy(&u32, p, 4); v = u32; break;
		default: memcpy(&v, p, 8); break;
		}
		n = keylen[i];
		/* The key, its quotes, ',' or '{', ':', 20 digits, and '}'. */
		if ((size_t)(o - start) + n + 25 > room)
			return NULL;
		*o++ = i == 0 ? '{' : ',';
		o = quoted(o, d->f[i].key, n);
		*o++ = ':';
		o = jw_fmt_u64(o, v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v);
	}
	if (d->n == 0)
		*o++ = '{';
	*o++ = '}';
	return o;
}

/* tcp_info and skmem, when the socket has them (ls -i, snapshot). */
static void
sock_info(struct jw *w, const struct td_sock *sk)
{
	char *o;
	bool sep;

	if (sk->cong[0] != '\0')
		jw_rec_members(w, &sock_cong_desc, sk, 0);
	if (!sk->has_tcpi && !sk->has_skmem)
		return;
	o = jw_room(w, 4096, &sep);
	if (o != NULL && sk->has_tcpi)
		o = uints(o, 2048, sep ? ",\"tcp_info\":" : "\"tcp_info\":", &tcpi_desc, tcpi_keylen,
		    &sk->tcpi);
	if (o != NULL && sk->has_skmem)
		o = uints(o, 2048, sep || sk->has_tcpi ? ",\"skmem\":" : "\"skmem\":", &skmem_desc,
		    skmem_keylen, &sk->skmem);
	if (o != NULL)
		jw_room_done(w, o);
	else	/* Did not fit (it does, unless the tables grow), or a failed write. */
		jw_rec_members(w, &sock_info_desc, sk, 0);
}

static bool
sock_has_tail(const struct td_sock *sk)
{
	return sk->cgroup_id != 0 || sk->has_owner || sk->owner_status == TD_OWNER_UNREADABLE ||
	    sk->owner_status == TD_OWNER_SKIPPED;
}

/*
 * A timewait or request socket whose members of SNAPFILE_SOCK_MINI are
 * what its kind always has (0): they can be left out and read back.  One
 * read from a file that says otherwise keeps them.
 */
static bool
mini(const struct td_sock *sk)
{
	return (sk->kind == TD_SK_TW || sk->kind == TD_SK_REQ) && sk->rqueue == 0 &&
	    sk->wqueue == 0 && sk->uid == 0 && sk->inode == 0 && sk->shutdown == 0 &&
	    sk->tos == 0 && sk->tclass == 0 && !sk->v6only &&
	    (sk->kind != TD_SK_TW || sk->retrans == 0);
}

void
snapfile_sock_members(struct jw *w, const struct td_sock *sk, unsigned int skip)
{
	const char *state = td_state_name(sk->state), *timer = td_timer_name(sk->timer);
	const char *kind = sk->kind < ARRAY_SIZE(kind_names) && kind_names[sk->kind] != NULL ?
	    kind_names[sk->kind] : "full";
	size_t ns = strlen(state), nt = strlen(timer), nk = strlen(kind);
	char *o;
	bool sep;

	/* Keys some 230 bytes, addresses 2 x 47, integers 12 x 20, names. */
	if (ns + nt + nk > 256 || (o = jw_room(w, 1024, &sep)) == NULL) {
		jw_rec_members(w, &snapfile_sock_desc, sk, skip);
		return;
	}
	if (sep)
		*o++ = ',';
	o = LIT(o, "\"family\":");
	o = sk->family == AF_INET ? LIT(o, "\"ipv4\"") : LIT(o, "\"ipv6\"");
	o = LIT(o, ",\"state\":");
	o = quoted(o, state, ns);
	o = LIT(o, ",\"kind\":");
	o = quoted(o, kind, nk);
	o = LIT(o, ",\"src\":");
	o = addr(o, sk, &sk->src);
	o = LIT(o, ",\"sport\":");
	o = jw_fmt_u64(o, sk->sport);
	o = LIT(o, ",\"dst\":");
	o = addr(o, sk, &sk->dst);
	o = LIT(o, ",\"dport\":");
	o = jw_fmt_u64(o, sk->dport);
	o = LIT(o, ",\"ifindex\":");
	o = jw_fmt_u64(o, sk->ifindex);
	if ((skip & SNAPFILE_SOCK_MINI) && mini(sk)) {
		o = LIT(o, ",\"timer\":{\"name\":");
		o = quoted(o, timer, nt);
		o = LIT(o, ",\"expires_ms\":");
		o = jw_fmt_u64(o, sk->timer_ms);
		if (sk->kind != TD_SK_TW) {
			o = LIT(o, ",\"retrans\":");
			o = jw_fmt_u64(o, sk->retrans);
		}
		o = LIT(o, "},\"cookie\":");
		o = jw_fmt_u64(o, sk->cookie > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : sk->cookie);
		o = LIT(o, ",\"mark\":");
		o = jw_fmt_u64(o, sk->mark);
		jw_room_done(w, o);
		/* Nothing else is there for these kinds, but say so if it were. */
		if (!(skip & SNAPFILE_SOCK_INFO) && (sk->cong[0] != '\0' || sk->has_tcpi ||
		    sk->has_skmem))
			sock_info(w, sk);
		if (sock_has_tail(sk))
			jw_rec_members(w, &sock_tail_desc, sk, skip);
		return;
	}
	o = LIT(o, ",\"rqueue\":");
	o = jw_fmt_u64(o, sk->rqueue);
	o = LIT(o, ",\"wqueue\":");
	o = jw_fmt_u64(o, sk->wqueue);
	o = LIT(o, ",\"timer\":{\"name\":");
	o = quoted(o, timer, nt);
	o = LIT(o, ",\"expires_ms\":");
	o = jw_fmt_u64(o, sk->timer_ms);
	o = LIT(o, ",\"retrans\":");
	o = jw_fmt_u64(o, sk->retrans);
	o = LIT(o, "},\"uid\":");
	o = jw_fmt_u64(o, sk->uid);
	/* 64-bit unsigned members are written clamped, as jw_uint does. */
	o = LIT(o, ",\"inode\":");
	o = jw_fmt_u64(o, sk->inode > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : sk->inode);
	o = LIT(o, ",\"cookie\":");
	o = jw_fmt_u64(o, sk->cookie > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : sk->cookie);
	o = LIT(o, ",\"shutdown\":");
	o = jw_fmt_u64(o, sk->shutdown);
	o = LIT(o, ",\"tos\":");
	o = jw_fmt_u64(o, sk->tos);
	o = LIT(o, ",\"tclass\":");
	o = jw_fmt_u64(o, sk->tclass);
	o = LIT(o, ",\"mark\":");
	o = jw_fmt_u64(o, sk->mark);
	o = sk->v6only ? LIT(o, ",\"v6only\":true") : LIT(o, ",\"v6only\":false");
	jw_room_done(w, o);
	if (!(skip & SNAPFILE_SOCK_INFO))
		sock_info(w, sk);
	if (sock_has_tail(sk))
		jw_rec_members(w, &sock_tail_desc, sk, skip);
}

json_t *
snapfile_sock_json(const struct td_sock *sk)
{
	return record_json(&snapfile_sock_desc, sk);
}

#define HEAD(rec)	((const struct snapfile_head *)(rec))

static bool
head_schema(const void *rec, struct record_val *v)
{
	(void)rec;
	return record_str(v, TD_SCHEMA);
}

static bool
head_command(const void *rec, struct record_val *v)
{
	return record_str(v, HEAD(rec)->command);
}

static bool
head_type(const void *rec, struct record_val *v)
{
	return HEAD(rec)->type != NULL && record_str(v, HEAD(rec)->type);
}

static bool
head_version(const void *rec, struct record_val *v)
{
	return HEAD(rec)->version != 0 && record_int(v, HEAD(rec)->version);
}

static bool
head_time(const void *rec, struct record_val *v)
{
	unsigned int m = HEAD(rec)->members;

	td_time_utc((m & SNAPFILE_HEAD_OWN_TIME) || HEAD(rec)->meta == NULL ? HEAD(rec)->time_ns :
	    HEAD(rec)->meta->time_ns, v->buf, sizeof(v->buf), TD_TIME_DATE |
	    ((m & SNAPFILE_HEAD_NSEC) ? TD_TIME_NSEC : (m & SNAPFILE_HEAD_USEC) ? TD_TIME_USEC : 0));
	return record_str(v, v->buf);
}

static const struct record_field host_field[] = { RECORD_CHARS("host", struct td_meta, host) };
static const struct record_field netns_field[] = { RECORD_CHARS("netns", struct td_meta, netns) };
static const struct record_field kernel_field[] = { RECORD_CHARS("kernel", struct td_meta, kernel) };

/* A char-array member of the meta, if the head carries it. */
static bool
head_meta_chars(const void *rec, struct record_val *v, const struct record_field *f, unsigned int bit)
{
	if (HEAD(rec)->meta == NULL || (bit != 0 && !(HEAD(rec)->members & bit)))
		return false;
	return record_get(f, HEAD(rec)->meta, v);
}

static bool
head_host(const void *rec, struct record_val *v)
{
	if (HEAD(rec)->members & SNAPFILE_HEAD_NO_HOST)
		return false;
	return head_meta_chars(rec, v, host_field, 0);
}

static bool
head_netns(const void *rec, struct record_val *v)
{
	return head_meta_chars(rec, v, netns_field, SNAPFILE_HEAD_NETNS);
}

static bool
head_kernel(const void *rec, struct record_val *v)
{
	return head_meta_chars(rec, v, kernel_field, SNAPFILE_HEAD_KERNEL);
}

static const struct record_field meta_fields[] = {
	RECORD_INT("time_ns", struct td_meta, time_ns),
	RECORD_INT("mono_ns", struct td_meta, mono_ns),
	RECORD_INT("netns_ino", struct td_meta, netns_ino),
	RECORD_CHARS("boot_id", struct td_meta, boot_id),
	RECORD_CHARS("source", struct td_meta, source),
	RECORD_CHARS("version", struct td_meta, version),
};
static const struct record_desc meta_desc = RECORD_DESC("meta", meta_fields);

static bool
head_meta(const void *rec, struct record_val *v)
{
	if (HEAD(rec)->meta == NULL || !(HEAD(rec)->members & SNAPFILE_HEAD_META))
		return false;
	return record_obj(v, &meta_desc, HEAD(rec)->meta);
}

static const struct record_field head_fields[] = {
	RECORD_FN("schema", head_schema),
	RECORD_FN("command", head_command),
	RECORD_FN("type", head_type),
	RECORD_FN("version", head_version),
	RECORD_FN("time", head_time),
	RECORD_FN("host", head_host),
	RECORD_FN("netns", head_netns),
	RECORD_FN("kernel", head_kernel),
	RECORD_FN("meta", head_meta),
};
const struct record_desc snapfile_head_desc = RECORD_DESC("head", head_fields);

json_t *
snapfile_line_head(const struct snapfile_head *h)
{
	return record_json(&snapfile_head_desc, h);
}

json_t *
snapfile_header_json(const struct td_snapshot *snap, const char *command)
{
	struct snapfile_head h = { &snap->meta, command, SNAPFILE_HEAD_ALL };

	return snapfile_line_head(&h);
}

/* The text sysctl (ip_local_reserved_ports), as every char array is written. */
static json_t *
reserved_ports_json(const struct td_sysctls *sys)
{
	static const struct record_field f = RECORD_CHARS("reserved_ports", struct td_sysctls,
	    reserved_ports);
	struct record_val v;

	record_get(&f, sys, &v);
	return record_val_json(&v);
}

json_t *
snapfile_counters_json(const struct td_counters *ctr)
{
	json_t *o = json_object();
	int i;

	for (i = 0; o != NULL && i < TD_CTR_MAX; i++)
		json_object_set_new(o, td_counter_fields[i].json, ctr->present[i] ?
		    json_integer(clamp_u64(ctr->v[i])) : json_null());
	return o;
}

json_t *
snapfile_sysctls_json(const struct td_sysctls *sys)
{
	const struct td_sysval *sv;
	json_t *o = json_object(), *v;
	int i;

	for (i = 0; o != NULL && i < TD_SYS_MAX; i++) {
		sv = &sys->s[i];
		if (!sv->readable)
			v = json_null();
		else if (td_sysctl_fields[i].kind == TD_SYS_PAIR)
			v = json_pack("[II]", (json_int_t)sv->v[0], (json_int_t)sv->v[1]);
		else if (td_sysctl_fields[i].kind == TD_SYS_TEXT)
			v = reserved_ports_json(sys);
		else
			v = json_integer(sv->v[0]);
		json_object_set_new(o, td_sysctl_fields[i].name, v);
	}
	return o;
}

/* ---- From JSON ---- */

/* An unsigned integer member; missing is 0 unless required. */
static int
get_uint(const json_t *o, const char *ctx, const char *key, uint64_t max, bool required,
    uint64_t *out, struct td_err *err)
{
	const json_t *v = json_object_get(o, key);
	json_int_t x;

	*out = 0;
	if (v == NULL) {
		if (required)
			return td_errf(err, EBADMSG, "missing \"%s%s\"", ctx, key);
		return 0;
	}
	if (!json_is_integer(v))
		return td_errf(err, EBADMSG, "\"%s%s\" is not an integer", ctx, key);
	x = json_integer_value(v);
	if (x < 0 || (uint64_t)x > max)
		return td_errf(err, EBADMSG, "\"%s%s\" is out of range (%" JSON_INTEGER_FORMAT ")",
		    ctx, key, x);
	*out = (uint64_t)x;
	return 0;
}

/* A string member copied into buf; missing is "" unless required. */
static int
get_str(const json_t *o, const char *ctx, const char *key, bool required, char *buf,
    size_t size, struct td_err *err)
{
	const json_t *v = json_object_get(o, key);
	size_t n;

	buf[0] = '\0';
	if (v == NULL) {
		if (required)
			return td_errf(err, EBADMSG, "missing \"%s%s\"", ctx, key);
		return 0;
	}
	if (!json_is_string(v))
		return td_errf(err, EBADMSG, "\"%s%s\" is not a string", ctx, key);
	n = json_string_length(v);
	if (n >= size || memchr(json_string_value(v), '\0', n) != NULL)
		return td_errf(err, EBADMSG, "\"%s%s\" is longer than %zu bytes or holds NUL",
		    ctx, key, size - 1);
	memcpy(buf, json_string_value(v), n + 1);
	return 0;
}

static int
get_fields(const json_t *o, const char *ctx, void *base, const struct record_field *f, size_t n,
    struct td_err *err)
{
	uint64_t v;
	size_t i;

	if (!json_is_object(o))
		return td_errf(err, EBADMSG, "\"%s\" is not an object", ctx);
	for (i = 0; i < n; i++) {
		if (get_uint(o, ctx, f[i].key, field_max(f[i].size), false, &v, err) < 0)
			return -1;
		store_field(base, &f[i], v);
	}
	return 0;
}

static int
get_addr(const json_t *o, const char *key, int family, struct in6_addr *a, struct td_err *err)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in_addr v4;

	if (get_str(o, "", key, true, buf, sizeof(buf), err) < 0)
		return -1;
	memset(a, 0, sizeof(*a));
	if (family == AF_INET && inet_pton(AF_INET, buf, &v4) == 1) {
		a->s6_addr[10] = 0xff;
		a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v4, 4);
		return 0;
	}
	if (family == AF_INET6 && inet_pton(AF_INET6, buf, a) == 1)
		return 0;
	return td_errf(err, EBADMSG, "\"%s\" is not an %s address: '%s'", key,
	    family == AF_INET ? "IPv4" : "IPv6", buf);
}

static int
name_index(const char *name, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

/*
 * The owner members of a socket object (or of an owners table entry):
 * owner, owners, owners_more, owner_unseen, into sk's owner fields.
 */
static int
get_owner_members(const json_t *o, struct td_sock *sk, struct td_err *err)
{
	const json_t *t;
	uint64_t v;

	if ((t = json_object_get(o, "owner")) != NULL) {
		if (!json_is_object(t))
			return td_errf(err, EBADMSG, "\"owner\" is not an object");
		if (get_uint(t, "owner.", "pid", INT32_MAX, true, &v, err) < 0 ||
		    get_str(t, "owner.", "comm", false, sk->comm, sizeof(sk->comm), err) < 0)
			return -1;
		sk->pid = (int32_t)v;
		sk->has_owner = true;
		sk->owner_status = TD_OWNER_FOUND;
		sk->nowners = 1;
		sk->owners[0].pid = sk->pid;
		sk->owners[0].fd = -1;		/* snapshots before "owners" */
		memcpy(sk->owners[0].comm, sk->comm, sizeof(sk->comm));
	}
	if ((t = json_object_get(o, "owners")) != NULL) {
		size_t k, n;

		if (!json_is_array(t) || json_array_size(t) == 0 || !sk->has_owner)
			return td_errf(err, EBADMSG, "\"owners\" is not a non-empty array beside \"owner\"");
		n = json_array_size(t);
		sk->nowners = 0;
		for (k = 0; k < n && k < TD_SOCK_OWNERS; k++) {
			const json_t *e = json_array_get(t, k);
			struct td_owner *ow = &sk->owners[k];

			if (!json_is_object(e))
				return td_errf(err, EBADMSG, "\"owners[%zu]\" is not an object", k);
			if (get_uint(e, "owners[].", "pid", INT32_MAX, true, &v, err) < 0)
				return -1;
			ow->pid = (int32_t)v;
			if (get_uint(e, "owners[].", "fd", INT32_MAX, true, &v, err) < 0)
				return -1;
			ow->fd = (int32_t)v;
			if (get_str(e, "owners[].", "comm", false, ow->comm, sizeof(ow->comm), err) < 0)
				return -1;
			sk->nowners++;
		}
		sk->owners_more = n > TD_SOCK_OWNERS ? (uint32_t)(n - TD_SOCK_OWNERS) : 0;
	}
	if (get_uint(o, "", "owners_more", UINT32_MAX, false, &v, err) < 0)
		return -1;
	sk->owners_more = v > UINT32_MAX - sk->owners_more ? UINT32_MAX : sk->owners_more + (uint32_t)v;
	if ((t = json_object_get(o, "owner_unseen")) != NULL) {
		const char *w = json_string_value(t);

		if (w != NULL && strcmp(w, "unreadable") == 0)
			sk->owner_status = TD_OWNER_UNREADABLE;
		else if (w != NULL && strcmp(w, "skipped") == 0)
			sk->owner_status = TD_OWNER_SKIPPED;
		else
			return td_errf(err, EBADMSG, "\"owner_unseen\" is not \"unreadable\" or \"skipped\"");
		if (sk->has_owner)
			return td_errf(err, EBADMSG, "\"owner_unseen\" beside \"owner\"");
	}
	return 0;
}

int
snapfile_sock_from_json(const json_t *o, struct td_sock *sk, struct td_err *err)
{
	const json_t *t;
	char buf[32];
	uint64_t v;
	int i;

	memset(sk, 0, sizeof(*sk));
	if (!json_is_object(o))
		return td_errf(err, EBADMSG, "expected object");
	if (get_str(o, "", "family", true, buf, sizeof(buf), err) < 0)
		return -1;
	if (strcmp(buf, "ipv4") == 0)
		sk->family = AF_INET;
	else if (strcmp(buf, "ipv6") == 0)
		sk->family = AF_INET6;
	else
		return td_errf(err, EBADMSG, "\"family\" is '%s', not ipv4 or ipv6", buf);
	if (get_str(o, "", "state", true, buf, sizeof(buf), err) < 0)
		return -1;
	for (i = 0; i < TD_ST_MAX; i++)
		if (strcmp(td_state_name((unsigned int)i), buf) == 0)
			break;
	if (i == TD_ST_MAX)
		return td_errf(err, EBADMSG, "\"state\" '%s' is not a kernel state name", buf);
	sk->state = (uint8_t)i;
	if (get_str(o, "", "kind", true, buf, sizeof(buf), err) < 0)
		return -1;
	if ((i = name_index(buf, kind_names, ARRAY_SIZE(kind_names))) < 0)
		return td_errf(err, EBADMSG, "\"kind\" '%s' is not full, request or timewait", buf);
	sk->kind = (uint8_t)i;
	if (get_addr(o, "src", sk->family, &sk->src, err) < 0 ||
	    get_addr(o, "dst", sk->family, &sk->dst, err) < 0)
		return -1;

#define U(key, field, max, req)							\
	do {									\
		if (get_uint(o, "", key, max, req, &v, err) < 0)		\
			return -1;						\
		sk->field = v;							\
	} while (0)
	U("sport", sport, UINT16_MAX, true);
	U("dport", dport, UINT16_MAX, true);
	U("ifindex", ifindex, UINT32_MAX, false);
	/* A timewait or request socket may leave out what its kind never has. */
	U("rqueue", rqueue, UINT32_MAX, sk->kind == TD_SK_FULL);
	U("wqueue", wqueue, UINT32_MAX, sk->kind == TD_SK_FULL);
	U("uid", uid, UINT32_MAX, false);
	U("inode", inode, INT64_MAX, sk->kind == TD_SK_FULL);
	U("cookie", cookie, INT64_MAX, false);
	U("shutdown", shutdown, UINT8_MAX, false);
	U("tos", tos, UINT8_MAX, false);
	U("tclass", tclass, UINT8_MAX, false);
	U("mark", mark, UINT32_MAX, false);
	U("cgroup_id", cgroup_id, INT64_MAX, false);
#undef U
	if (get_str(o, "", "cgroup", false, sk->cgroup, sizeof(sk->cgroup), err) < 0 ||
	    get_str(o, "", "container", false, sk->container, sizeof(sk->container), err) < 0)
		return -1;
	t = json_object_get(o, "v6only");
	if (t != NULL && !json_is_boolean(t))
		return td_errf(err, EBADMSG, "\"v6only\" is not true or false");
	sk->v6only = json_is_true(t);

	t = json_object_get(o, "timer");
	if (t != NULL) {
		if (!json_is_object(t))
			return td_errf(err, EBADMSG, "\"timer\" is not an object");
		if (get_str(t, "timer.", "name", true, buf, sizeof(buf), err) < 0)
			return -1;
		for (i = 0; i <= TD_TIMER_UNKNOWN; i++)
			if (strcmp(td_timer_name((unsigned int)i), buf) == 0)
				break;
		if (i > TD_TIMER_UNKNOWN)
			return td_errf(err, EBADMSG, "\"timer.name\" '%s' is not a timer name", buf);
		sk->timer = (uint8_t)i;
		if (get_uint(t, "timer.", "expires_ms", UINT32_MAX, false, &v, err) < 0)
			return -1;
		sk->timer_ms = (uint32_t)v;
		if (get_uint(t, "timer.", "retrans", UINT32_MAX, false, &v, err) < 0)
			return -1;
		sk->retrans = (uint32_t)v;
	}
	if (get_str(o, "", "cong", false, sk->cong, sizeof(sk->cong), err) < 0)
		return -1;
	if ((t = json_object_get(o, "tcp_info")) != NULL) {
		if (get_fields(t, "tcp_info.", &sk->tcpi, tcpi_fields, ARRAY_SIZE(tcpi_fields), err) < 0)
			return -1;
		sk->has_tcpi = true;
	}
	if ((t = json_object_get(o, "skmem")) != NULL) {
		if (get_fields(t, "skmem.", &sk->skmem, skmem_fields, ARRAY_SIZE(skmem_fields), err) < 0)
			return -1;
		sk->has_skmem = true;
	}
	return get_owner_members(o, sk, err);
}

int
snapfile_header_from_json(const json_t *o, struct td_snapshot *snap, struct td_err *err)
{
	struct td_meta *m = &snap->meta;
	const json_t *meta, *ctr, *sys, *v;
	uint64_t u;
	int i;

	memset(snap, 0, sizeof(*snap));
	if (!json_is_object(o))
		return td_errf(err, EBADMSG, "expected object");
	if (get_str(o, "", "host", true, m->host, sizeof(m->host), err) < 0 ||
	    get_str(o, "", "netns", false, m->netns, sizeof(m->netns), err) < 0 ||
	    get_str(o, "", "kernel", true, m->kernel, sizeof(m->kernel), err) < 0)
		return -1;
	meta = json_object_get(o, "meta");
	if (!json_is_object(meta))
		return td_errf(err, EBADMSG, "missing \"meta\" object");
	if (get_uint(meta, "meta.", "time_ns", INT64_MAX, true, &u, err) < 0)
		return -1;
	m->time_ns = (int64_t)u;
	if (get_uint(meta, "meta.", "mono_ns", INT64_MAX, false, &u, err) < 0)
		return -1;
	m->mono_ns = (int64_t)u;
	if (get_uint(meta, "meta.", "netns_ino", INT64_MAX, false, &u, err) < 0)
		return -1;
	m->netns_ino = u;
	if (get_str(meta, "meta.", "boot_id", false, m->boot_id, sizeof(m->boot_id), err) < 0 ||
	    get_str(meta, "meta.", "version", false, m->version, sizeof(m->version), err) < 0)
		return -1;
	snprintf(m->source, sizeof(m->source), "file");

	ctr = json_object_get(o, "counters");
	if (ctr != NULL && !json_is_object(ctr))
		return td_errf(err, EBADMSG, "\"counters\" is not an object");
	for (i = 0; ctr != NULL && i < TD_CTR_MAX; i++) {
		v = json_object_get(ctr, td_counter_fields[i].json);
		if (v == NULL || json_is_null(v))
			continue;	/* absent on the kernel it was taken from */
		if (get_uint(ctr, "counters.", td_counter_fields[i].json, INT64_MAX, true,
		    &u, err) < 0)
			return -1;
		snap->ctr.v[i] = u;
		snap->ctr.present[i] = true;
	}

	sys = json_object_get(o, "sysctls_unreadable");
	if (sys != NULL && !json_is_object(sys))
		return td_errf(err, EBADMSG, "\"sysctls_unreadable\" is not an object");
	for (i = 0; sys != NULL && i < TD_SYS_MAX; i++) {
		if (get_uint(sys, "sysctls_unreadable.", td_sysctl_fields[i].name, 4095, false,
		    &u, err) < 0)
			return -1;
		snap->sys.error[i] = (int)u;
	}

	sys = json_object_get(o, "sysctls");
	if (sys != NULL && !json_is_object(sys))
		return td_errf(err, EBADMSG, "\"sysctls\" is not an object");
	for (i = 0; sys != NULL && i < TD_SYS_MAX; i++) {
		const char *name = td_sysctl_fields[i].name;
		struct td_sysval *sv = &snap->sys.s[i];
		int64_t n;

		v = json_object_get(sys, name);
		if (v == NULL || json_is_null(v))
			continue;	/* unreadable where it was taken */
		switch (td_sysctl_fields[i].kind) {
		case TD_SYS_INT:
			if (!json_is_integer(v))
				return td_errf(err, EBADMSG, "\"sysctls.%s\" is not an integer",
				    name);
			sv->v[0] = json_integer_value(v);
			break;
		case TD_SYS_PAIR:
			if (!json_is_array(v) || json_array_size(v) != 2 ||
			    !json_is_integer(json_array_get(v, 0)) ||
			    !json_is_integer(json_array_get(v, 1)))
				return td_errf(err, EBADMSG, "\"sysctls.%s\" is not a pair of "
				    "integers", name);
			sv->v[0] = json_integer_value(json_array_get(v, 0));
			sv->v[1] = json_integer_value(json_array_get(v, 1));
			if (i == TD_SYS_PORT_RANGE && !sysctl_port_range_ok(sv->v[0], sv->v[1]))
				return td_errf(err, EBADMSG, "\"sysctls.%s\" is not a port range the "
				    "kernel accepts (1 <= low <= high <= 65535): [%lld, %lld]", name,
				    (long long)sv->v[0], (long long)sv->v[1]);
			break;
		case TD_SYS_TEXT:
			if (get_str(sys, "sysctls.", name, true, snap->sys.reserved_ports,
			    sizeof(snap->sys.reserved_ports), err) < 0)
				return -1;
			n = sysctl_count_ports(snap->sys.reserved_ports);
			if (n < 0)
				return td_errf(err, EBADMSG, "\"sysctls.%s\" is not a port list: "
				    "'%s'", name, snap->sys.reserved_ports);
			sv->v[0] = n;
			break;
		}
		sv->readable = true;
	}
	return 0;
}

/* ---- Saving ---- */

static int
write_err(struct td_err *err)
{
	return td_errf(err, errno != 0 ? errno : EIO, "write failed: %s",
	    strerror(errno != 0 ? errno : EIO));
}

json_t *
snapfile_header_doc(const struct td_snapshot *snap, const char *command)
{
	json_t *doc;

	doc = snapfile_header_json(snap, command);
	if (doc == NULL)
		return NULL;
	json_object_set_new(doc, "counters", snapfile_counters_json(&snap->ctr));
	json_object_set_new(doc, "sysctls", snapfile_sysctls_json(&snap->sys));
	if (sysctl_unreadable(&snap->sys, NULL, NULL) > 0) {
		/* Blind spots, not absent knobs: name -> errno (sysctl.h). */
		json_t *u = json_object();
		int i;

		for (i = 0; i < TD_SYS_MAX; i++)
			if (!snap->sys.s[i].readable && snap->sys.error[i] != 0)
				json_object_set_new(u, td_sysctl_fields[i].name,
				    json_integer(snap->sys.error[i]));
		json_object_set_new(doc, "sysctls_unreadable", u);
	}
	return doc;
}

/* The header, then the open "sockets" array, through w->jw (on fp). */
static int
begin_doc(struct snapfile_writer *w, FILE *fp, const struct td_snapshot *snap,
    const char *command, struct td_err *err)
{
	const char *key;
	json_t *doc, *v;

	doc = snapfile_header_doc(snap, command);
	if (doc == NULL)
		return td_errf(err, ENOMEM, "snapshot: out of memory");
	/*
	 * The header indented, each socket compact on its own line: small
	 * files that diff well, without paying for indentation per socket.
	 */
	jw_init(&w->jw, fp, JW_INDENT2);
	jw_obj(&w->jw, NULL);
	json_object_foreach(doc, key, v)
		jw_json(&w->jw, key, v);
	json_decref(doc);
	jw_arr(&w->jw, "sockets");
	jw_style(&w->jw, JW_COMPACT);
	w->in_sockets = true;
	if (w->jw.err != 0)
		return td_errf(err, w->jw.err == EINVAL ? ENOMEM : w->jw.err,
		    "snapshot: cannot encode the header");
	return 0;
}

int
snapfile_begin(struct snapfile_writer *w, FILE *fp, const struct td_snapshot *snap,
    const char *command, struct td_err *err)
{
	memset(w, 0, sizeof(*w));
	w->fp = fp;
	return begin_doc(w, fp, snap, command, err);
}

int
snapfile_begin_file(struct snapfile_writer *w, FILE *fp, const struct td_snapshot *snap,
    const char *command, unsigned int flags, struct td_err *err)
{
	unsigned char tag[8 + sizeof(SNAPFILE_TAG) - 1];
	uint32_t magic = SNAPFILE_MAGIC, len = sizeof(SNAPFILE_TAG) - 1;
	int i;

	memset(w, 0, sizeof(*w));
	w->fp = fp;
	w->table = (flags & SNAPFILE_OWNERS_TABLE) != 0;
	/* The skippable frame: magic and size little-endian (RFC 8878, 3.1.2). */
	for (i = 0; i < 4; i++) {
		tag[i] = (unsigned char)(magic >> (8 * i));
		tag[4 + i] = (unsigned char)(len >> (8 * i));
	}
	memcpy(tag + 8, SNAPFILE_TAG, len);
	errno = 0;
	if (fwrite(tag, 1, sizeof(tag), fp) != sizeof(tag))
		return write_err(err);
	if (zout_open(&w->z, fp, SNAPFILE_ZLEVEL, (flags & SNAPFILE_THREADED) != 0, err) < 0 &&
	    ((flags & SNAPFILE_THREADED) == 0 || err->code != EAGAIN ||
	    (memset(err, 0, sizeof(*err)), zout_open(&w->z, fp, SNAPFILE_ZLEVEL, false, err)) < 0))
		return -1;
	w->file = true;
	return begin_doc(w, w->z.fp, snap, command, err);
}

/* The writer failed: errno is its first error. */
static int
jw_err(struct snapfile_writer *w, struct td_err *err)
{
	errno = w->jw.err;
	return write_err(err);
}

int
snapfile_put_sock(const struct td_sock *sk, void *writer, struct td_err *err)
{
	struct snapfile_writer *w = writer;

	jw_obj(&w->jw, NULL);
	snapfile_sock_members(&w->jw, sk, w->file ? SNAPFILE_SOCK_MINI : 0);
	jw_end(&w->jw);
	if (w->jw.err != 0)
		return jw_err(w, err);
	w->nsocks++;
	if (w->table && sk->inode != 0) {
		if (w->nheld == w->capheld) {
			size_t cap = w->capheld == 0 ? 4096 : w->capheld * 2;
			uint64_t *nh = realloc(w->held, cap * sizeof(*nh));

			if (nh == NULL)
				return td_errf(err, ENOMEM, "snapshot: out of memory");
			w->held = nh;
			w->capheld = cap;
		}
		/* sock_diag inodes are 32-bit (idiag_inode); a file's are below 2^56. */
		w->held[w->nheld++] = (sk->inode & (UINT64_MAX >> 8)) << 8 | sk->state;
	}
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t
snapfile_held(struct snapfile_writer *w, const uint64_t **list)
{
	size_t i, n = 0;

	if (w->in_sockets) {
		jw_end(&w->jw);
		w->in_sockets = false;
		if (w->table) {
			jw_style(&w->jw, JW_INDENT2);
			jw_arr(&w->jw, "owners");
			jw_style(&w->jw, JW_COMPACT);
			w->in_owners = true;
			if (w->nheld > 0)
				qsort(w->held, w->nheld, sizeof(w->held[0]), cmp_u64);
			for (i = 0; i < w->nheld; i++)
				if (n == 0 || w->held[i] >> 8 != w->held[n - 1] >> 8)
					w->held[n++] = w->held[i];
			w->nheld = n;
		}
	}
	*list = w->held;
	return w->nheld;
}

int
snapfile_put_owner(struct snapfile_writer *w, const struct td_sock *sk, struct td_err *err)
{
	if (!w->in_owners)
		return td_errf(err, EINVAL, "snapshot: no owners table open");
	/* What sk_owner .. sk_owner_unseen write: nothing for a socket without. */
	if (!sk->has_owner && sk->owner_status != TD_OWNER_UNREADABLE &&
	    sk->owner_status != TD_OWNER_SKIPPED)
		return 0;
	jw_obj(&w->jw, NULL);
	jw_uint(&w->jw, "inode", sk->inode);
	jw_rec_members(&w->jw, &sock_owner_desc, sk, 0);
	jw_end(&w->jw);
	return w->jw.err != 0 ? jw_err(w, err) : 0;
}

int
snapfile_end(struct snapfile_writer *w, struct td_err *err)
{
	const uint64_t *list;
	int rc = 0;

	if (w->in_sockets)
		snapfile_held(w, &list);
	if (w->in_owners)
		jw_end(&w->jw);
	w->in_owners = false;
	jw_end(&w->jw);
	jw_raw(&w->jw, "\n", 1);
	errno = 0;
	if (jw_flush(&w->jw) < 0)
		rc = jw_err(w, err);
	free(w->held);
	w->held = NULL;
	w->nheld = w->capheld = 0;
	if (w->file) {
		w->file = false;
		if (rc < 0) {
			zout_abort(&w->z);
			return -1;
		}
		if (zout_close(&w->z, err) < 0)
			return -1;
	}
	if (rc == 0 && fflush(w->fp) != 0)
		return write_err(err);
	return rc;
}

void
snapfile_abort(struct snapfile_writer *w)
{
	free(w->held);
	w->held = NULL;
	w->nheld = w->capheld = 0;
	if (w->file)
		zout_abort(&w->z);
	w->file = false;
}

/* ---- Loading: the scanner ---- */

#define SNAP_INBUF	65536

/*
 * The owners table of a snapshot file, as read: one entry per socket
 * that has owner members, in increasing inode order, its owners in a
 * shared array (with OWN_SEP, the first of them is the "owner" member,
 * which then differs from owners[0]).
 */
#define SNAP_OWNERS_MAX	(1u << 22)	/* entries; a socket table has fewer */
#define OWN_HAS		1u		/* has_owner */
#define OWN_SEP		2u

struct own_ent {
	uint64_t	inode;
	uint32_t	first;		/* index in own_owners */
	uint32_t	more;		/* owners_more */
	uint8_t		n;		/* owners kept */
	uint8_t		status;		/* enum td_owner_status */
	uint8_t		flags;		/* OWN_* */
};

struct snapfile_reader {
	FILE		*fp;
	char		*path;
	/* A snapshot file (format 2): the text is decompressed from fp. */
	bool		 z;
	int		 version;
	long		 zstart;	/* file offset of the first zstd frame */
	void		*dctx;		/* ZSTD_DCtx */
	char		*zin;		/* compressed bytes read, ZSTD_DStreamInSize() */
	size_t		 zcap, zpos, zlen;
	size_t		 zhint;		/* ZSTD_decompressStream's last return: 0 at a frame's end */
	char		 zerr[160];	/* why the compressed data could not be read */
	/* Its owners table, joined to the sockets by inode. */
	struct own_ent	*own;
	size_t		 nown, capown;
	struct td_owner	*own_owners;
	size_t		 nowners, capowners;
	unsigned long	 line, col;	/* position of the next character */
	unsigned long	 cline, ccol;	/* position of the last one read */
	long		 off;		/* file offset of the next character */
	long		 sockets_off;	/* file offset of the sockets '[' */
	unsigned long	 sockets_line, sockets_col;
	char		*buf;		/* text of the value being captured */
	size_t		 len, cap;
	bool		 capture;
	size_t		 ipos, ilen;	/* our own input buffer: stdio per byte is slow */
	char		 in[SNAP_INBUF];
};

/*
 * The next decompressed bytes of a snapshot file into r->in.  At the end
 * of the data, a frame left unfinished (a cut file) or damaged data sets
 * r->zerr, which sc_err() reports instead of what the scanner expected.
 */
static int
sc_zfill(struct snapfile_reader *r)
{
	ZSTD_inBuffer ib;
	ZSTD_outBuffer ob;
	size_t n;

	while (r->ilen == 0 && r->zerr[0] == '\0') {
		if (r->zpos == r->zlen) {
			r->zpos = 0;
			r->zlen = fread(r->zin, 1, r->zcap, r->fp);
			if (r->zlen == 0) {
				if (r->zhint != 0 && !ferror(r->fp))
					snprintf(r->zerr, sizeof(r->zerr), "the compressed data is cut "
					    "short (truncated?)");
				return -1;
			}
		}
		ib = (ZSTD_inBuffer){ r->zin, r->zlen, r->zpos };
		ob = (ZSTD_outBuffer){ r->in, sizeof(r->in), 0 };
		n = ZSTD_decompressStream(r->dctx, &ob, &ib);
		r->zpos = ib.pos;
		if (ZSTD_isError(n)) {
			snprintf(r->zerr, sizeof(r->zerr), "damaged compressed data (zstd: %s)",
			    ZSTD_getErrorName(n));
			return -1;
		}
		r->zhint = n;
		r->ilen = ob.pos;
	}
	return r->ilen > 0 ? 0 : -1;
}

static int
sc_fill(struct snapfile_reader *r)
{
	r->ipos = 0;
	r->ilen = 0;
	if (r->z)
		return sc_zfill(r);
	r->ilen = fread(r->in, 1, sizeof(r->in), r->fp);
	return r->ilen > 0 ? 0 : -1;
}

static inline int
sc_get(struct snapfile_reader *r)
{
	int c;

	if (r->ipos == r->ilen && sc_fill(r) < 0)
		return EOF;
	c = (unsigned char)r->in[r->ipos++];
	r->off++;
	r->cline = r->line;
	r->ccol = r->col;
	if (c == '\n') {
		r->line++;
		r->col = 1;
	} else {
		r->col++;
	}
	return c;
}

/* Give back the character just read (it is still in the buffer). */
static void
sc_unget(struct snapfile_reader *r, int c)
{
	if (c == EOF)
		return;
	r->ipos--;
	r->off--;
	r->line = r->cline;
	r->col = r->ccol;
}

/*
 * Continue reading at offset off of the text (of the file, or of the
 * decompressed document: decompressed again from the start up to there),
 * which is at line, col.
 */
static int
sc_seek(struct snapfile_reader *r, long off, unsigned long line, unsigned long col)
{
	long at = 0;

	if (fseek(r->fp, r->z ? r->zstart : off, SEEK_SET) < 0)
		return -1;
	r->ipos = r->ilen = 0;
	if (r->z) {
		ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
		r->zpos = r->zlen = 0;
		r->zhint = 0;
		r->zerr[0] = '\0';
		for (;;) {
			if (sc_fill(r) < 0) {
				errno = EIO;
				return -1;
			}
			if (at + (long)r->ilen > off)
				break;
			at += (long)r->ilen;
		}
		r->ipos = (size_t)(off - at);
	}
	r->off = off;
	r->line = line;
	r->col = col;
	return 0;
}

static int
sc_ws(struct snapfile_reader *r)
{
	int c;

	do
		c = sc_get(r);
	while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	return c;
}

static int __attribute__((format(printf, 5, 6)))
sc_err(struct snapfile_reader *r, unsigned long line, unsigned long col, struct td_err *err,
    const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ferror(r->fp))
		return td_errf(err, EIO, "--from '%s': read error: %s", r->path, strerror(errno));
	if (r->zerr[0] != '\0')
		return td_errf(err, EBADMSG, "--from '%s': %s", r->path, r->zerr);
	return td_errf(err, EBADMSG, "--from '%s': line %lu, column %lu: %s", r->path, line,
	    col, msg);
}

static int
sc_append(struct snapfile_reader *r, const char *p, size_t n, struct td_err *err)
{
	size_t ncap;
	char *b;

	if (!r->capture)
		return 0;
	if (r->len + n + 1 > r->cap) {
		if (r->len + n + 1 > SNAP_ELEM_MAX)
			return sc_err(r, r->cline, r->ccol, err, "value longer than %d bytes",
			    SNAP_ELEM_MAX);
		for (ncap = r->cap == 0 ? 4096 : r->cap; ncap < r->len + n + 1; ncap *= 2)
			;
		b = realloc(r->buf, ncap);
		if (b == NULL)
			return td_errf(err, ENOMEM, "--from '%s': out of memory", r->path);
		r->buf = b;
		r->cap = ncap;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return 0;
}

static int
sc_put(struct snapfile_reader *r, int c, struct td_err *err)
{
	char ch = (char)c;

	return sc_append(r, &ch, 1, err);
}

/*
 * Take the run of buffered bytes up to (not including) one of the bytes
 * in stop, which must include '\n' so that only the column moves.  This is
 * the fast path of the scanner; the stop byte is then read with sc_get.
 */
static int
sc_run(struct snapfile_reader *r, const bool *stop, struct td_err *err)
{
	size_t start = r->ipos, i = r->ipos;

	while (i < r->ilen && !stop[(unsigned char)r->in[i]])
		i++;
	if (i == start)
		return 0;
	r->ipos = i;
	r->off += (long)(i - start);
	r->col += i - start;
	r->cline = r->line;
	r->ccol = r->col - 1;
	return sc_append(r, r->in + start, i - start, err);
}

/* Bytes that end a fast run: inside a string, a scalar, or nested values. */
static const bool str_stop[256] = { ['"'] = true, ['\\'] = true, ['\n'] = true };
static const bool scalar_stop[256] = {
	[','] = true, [':'] = true, [']'] = true, ['}'] = true,
	[' '] = true, ['\t'] = true, ['\r'] = true, ['\n'] = true,
};
static const bool nest_stop[256] = {
	['"'] = true, ['{'] = true, ['}'] = true, ['['] = true, [']'] = true, ['\n'] = true,
};

/* The rest of a string whose opening quote was read (and put). */
static int
sc_string(struct snapfile_reader *r, struct td_err *err)
{
	int c;

	for (;;) {
		if (sc_run(r, str_stop, err) < 0)
			return -1;
		c = sc_get(r);
		if (c == EOF)
			return sc_err(r, r->line, r->col, err, "unexpected end of file in a string");
		if (sc_put(r, c, err) < 0)
			return -1;
		if (c == '"')
			return 0;
		if (c == '\\') {
			c = sc_get(r);
			if (c == EOF)
				return sc_err(r, r->line, r->col, err,
				    "unexpected end of file in a string");
			if (sc_put(r, c, err) < 0)
				return -1;
		}
	}
}

/*
 * Scan one value whose first character c was just read, putting its text
 * into r->buf when capturing.  Structure inside is checked by json_loadb
 * later; here we only find where the value ends.
 */
static int
sc_value(struct snapfile_reader *r, int c, struct td_err *err)
{
	unsigned long depth = 0;

	if (c == EOF)
		return sc_err(r, r->line, r->col, err, "unexpected end of file (truncated?)");
	for (;;) {
		if (sc_put(r, c, err) < 0)
			return -1;
		if (c == '"') {
			if (sc_string(r, err) < 0)
				return -1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return sc_err(r, r->cline, r->ccol, err, "unexpected '%c'", c);
			depth--;
		} else if (depth == 0) {
			/* A scalar: read up to the next delimiter. */
			for (;;) {
				if (sc_run(r, scalar_stop, err) < 0)
					return -1;
				c = sc_get(r);
				if (c == EOF || scalar_stop[c]) {
					sc_unget(r, c);
					return 0;
				}
				if (sc_put(r, c, err) < 0)
					return -1;
			}
		}
		if (depth == 0)
			return 0;
		if (sc_run(r, nest_stop, err) < 0)
			return -1;
		c = sc_get(r);
		if (c == EOF)
			return sc_err(r, r->line, r->col, err,
			    "unexpected end of file (truncated?)");
	}
}

/* Parse the captured text; jansson's position is mapped to the file's. */
static json_t *
sc_load(struct snapfile_reader *r, unsigned long line, unsigned long col, struct td_err *err)
{
	json_error_t je;
	json_t *v;

	/* A member twice in one object is an error, not "the last one wins". */
	v = json_loadb(r->buf, r->len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (v == NULL) {
		const char *near = strstr(je.text, "near '");
		size_t nl;

		line += (unsigned long)(je.line > 0 ? je.line - 1 : 0);
		col = je.line <= 1 ? col + (unsigned long)(je.column > 0 ? je.column - 1 : 0) :
		    (unsigned long)je.column;
		/* jansson: "duplicate object key near '"tw"'"; say which member. */
		if (json_error_code(&je) == json_error_duplicate_key && near != NULL &&
		    (nl = strlen(near + 6)) > 0 && near[6 + nl - 1] == '\'')
			sc_err(r, line, col, err, "duplicate member %.*s", (int)(nl - 1), near + 6);
		else
			sc_err(r, line, col, err, "%s", je.text);
		return NULL;
	}
	return v;
}

static void
sc_reset(struct snapfile_reader *r)
{
	r->len = 0;
	if (r->buf != NULL)
		r->buf[0] = '\0';
}

/* ---- Loading: the owners table of a snapshot file ---- */

/* One entry of "owners" (an object), kept in r->own; entries come in increasing inode order. */
static int
own_add(struct snapfile_reader *r, const json_t *o, struct td_err *err)
{
	struct td_sock sk;
	struct own_ent *e;
	uint64_t inode;
	size_t need, i;
	bool sep;

	if (!json_is_object(o))
		return td_errf(err, EBADMSG, "expected object");
	if (get_uint(o, "", "inode", INT64_MAX, true, &inode, err) < 0)
		return -1;
	if (inode == 0 || (r->nown > 0 && inode <= r->own[r->nown - 1].inode))
		return td_errf(err, EBADMSG, "\"inode\" %llu is not above the entry before's "
		    "(the table is in increasing inode order, without 0)",
		    (unsigned long long)inode);
	sk.has_owner = false;
	sk.pid = 0;
	sk.comm[0] = '\0';
	sk.owner_status = TD_OWNER_NA;
	sk.nowners = 0;
	sk.owners_more = 0;
	if (get_owner_members(o, &sk, err) < 0)
		return -1;
	if (!sk.has_owner && sk.owner_status == TD_OWNER_NA)
		return 0;	/* nothing to say about it */
	if (r->nown >= SNAP_OWNERS_MAX)
		return td_errf(err, EBADMSG, "more than %u entries", SNAP_OWNERS_MAX);
	sep = sk.has_owner && (sk.nowners == 0 || sk.owners[0].pid != sk.pid ||
	    strcmp(sk.owners[0].comm, sk.comm) != 0);
	need = r->nowners + sk.nowners + sep;
	if (r->nown == r->capown) {
		size_t cap = r->capown == 0 ? 1024 : r->capown * 2;
		struct own_ent *n = realloc(r->own, cap * sizeof(*n));

		if (n == NULL)
			return td_errf(err, ENOMEM, "out of memory");
		r->own = n;
		r->capown = cap;
	}
	if (need > r->capowners) {
		size_t cap = r->capowners == 0 ? 1024 : r->capowners;
		struct td_owner *n;

		while (cap < need)
			cap *= 2;
		if ((n = realloc(r->own_owners, cap * sizeof(*n))) == NULL)
			return td_errf(err, ENOMEM, "out of memory");
		r->own_owners = n;
		r->capowners = cap;
	}
	e = &r->own[r->nown++];
	e->inode = inode;
	e->first = (uint32_t)r->nowners;
	e->more = sk.owners_more;
	e->n = sk.nowners;
	e->status = sk.owner_status;
	e->flags = (sk.has_owner ? OWN_HAS : 0) | (sep ? OWN_SEP : 0);
	if (sep) {
		struct td_owner *ow = &r->own_owners[r->nowners++];

		ow->pid = sk.pid;
		ow->fd = -1;
		memcpy(ow->comm, sk.comm, sizeof(ow->comm));
	}
	for (i = 0; i < sk.nowners; i++)
		r->own_owners[r->nowners++] = sk.owners[i];
	return 0;
}

/* The entry of inode, or NULL. */
static const struct own_ent *
own_find(const struct snapfile_reader *r, uint64_t inode)
{
	size_t lo = 0, hi = r->nown, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->own[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nown && r->own[lo].inode == inode ? &r->own[lo] : NULL;
}

/* The socket's owners from its entry, as if they were its own members. */
static void
own_apply(const struct snapfile_reader *r, const struct own_ent *e, struct td_sock *sk)
{
	const struct td_owner *ow = &r->own_owners[e->first];

	sk->has_owner = (e->flags & OWN_HAS) != 0;
	sk->owner_status = e->status;
	sk->owners_more = e->more;
	if (sk->has_owner) {
		sk->pid = ow->pid;
		memcpy(sk->comm, ow->comm, sizeof(sk->comm));
	}
	if (e->flags & OWN_SEP)
		ow++;
	sk->nowners = e->n;
	memcpy(sk->owners, ow, e->n * sizeof(*ow));
}

/* The "owners" array, its '[' just read: every entry into r->own. */
static int
read_owners(struct snapfile_reader *r, struct td_err *err)
{
	struct td_err sub = { 0 };
	unsigned long line, col, n = 0;
	json_t *o;
	int c, rc;

	c = sc_ws(r);
	if (c == ']')
		return 0;
	for (;;) {
		n++;
		if (c != '{')
			return sc_err(r, r->cline, r->ccol, err, c == EOF ?
			    "unexpected end of file in \"owners\" (truncated?)" : "expected object");
		sc_reset(r);
		r->capture = true;
		line = r->cline;
		col = r->ccol;
		if (sc_value(r, c, err) < 0 || (o = sc_load(r, line, col, err)) == NULL)
			return -1;
		rc = own_add(r, o, &sub);
		json_decref(o);
		if (rc < 0)
			return sc_err(r, line, col, err, "owners entry %lu: %s", n, sub.msg);
		c = sc_ws(r);
		if (c == ']')
			return 0;
		if (c != ',')
			return sc_err(r, r->cline, r->ccol, err, c == EOF ?
			    "unexpected end of file in \"owners\" (truncated?)" :
			    "expected ',' or ']'");
		c = sc_ws(r);
	}
}

/* The header members snapfile_header_from_json() and snapfile_open() read. */
static bool
header_member_known(const char *name)
{
	static const char *const known[] = {
		"schema", "command", "time", "host", "netns", "kernel", "meta", "counters",
		"sysctls",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (strcmp(name, known[i]) == 0)
			return true;
	return false;
}

/*
 * Read the top-level object, keeping the members this version reads (the
 * others are parsed, then kept as null so that a second one with the same
 * name is seen) but not "sockets".  A member given twice, more than
 * SNAP_HDR_MEMBERS_MAX members, a name longer than SNAP_HDR_NAME_MAX or
 * more than SNAP_HDR_BYTES_MAX of header text is an error.
 */
static json_t *
read_header(struct snapfile_reader *r, struct td_err *err)
{
	json_t *doc, *key = NULL, *val;
	unsigned long line, col, nmembers = 0;
	size_t hdr_bytes = 0;
	bool have_sockets = false;
	const char *name;
	int c;

	c = sc_ws(r);
	if (c != '{')
		return c == EOF ? (sc_err(r, r->line, r->col, err, "empty file"), NULL) :
		    (sc_err(r, r->cline, r->ccol, err, "expected '{' (not a tcpdoctor snapshot)"),
		    NULL);
	doc = json_object();
	c = sc_ws(r);
	if (c == '}')
		goto end;
	for (;;) {
		if (c != '"') {
			sc_err(r, r->cline, r->ccol, err, c == EOF ?
			    "unexpected end of file (truncated?)" : "expected a member name");
			goto fail;
		}
		sc_reset(r);
		r->capture = true;
		line = r->cline;
		col = r->ccol;
		if (sc_put(r, c, err) < 0 || sc_string(r, err) < 0 ||
		    (key = sc_load(r, line, col, err)) == NULL)
			goto fail;
		name = json_string_value(key);
		if (++nmembers > SNAP_HDR_MEMBERS_MAX) {
			sc_err(r, line, col, err, "more than %d members in the top-level object "
			    "(a snapshot has 10)", SNAP_HDR_MEMBERS_MAX);
			goto fail;
		}
		if (strlen(name) > SNAP_HDR_NAME_MAX) {
			sc_err(r, line, col, err, "a member name longer than %d bytes",
			    SNAP_HDR_NAME_MAX);
			goto fail;
		}
		if (json_object_get(doc, name) != NULL ||
		    (have_sockets && strcmp(name, "sockets") == 0)) {
			sc_err(r, line, col, err, "duplicate member \"%s\"", name);
			goto fail;
		}
		if (strcmp(name, "all_netns") == 0) {
			/* cmd/allns.c's document: one snapshot per namespace inside. */
			sc_err(r, line, col, err,
			    "a whole-host snapshot (tcpdoctor -A snapshot): replay it with -A");
			goto fail;
		}
		c = sc_ws(r);
		if (c != ':') {
			sc_err(r, r->cline, r->ccol, err, "expected ':'");
			goto fail;
		}
		c = sc_ws(r);
		if (strcmp(name, "owners") == 0) {
			if (c != '[') {
				sc_err(r, r->cline, r->ccol, err, c == EOF ?
				    "unexpected end of file (truncated?)" :
				    "\"owners\": expected array");
				goto fail;
			}
			if (read_owners(r, err) < 0)
				goto fail;
			json_object_set_new(doc, name, json_null());	/* seen: not twice */
		} else if (strcmp(name, "sockets") == 0) {
			if (c != '[') {
				sc_err(r, r->cline, r->ccol, err, c == EOF ?
				    "unexpected end of file (truncated?)" :
				    "\"sockets\": expected array");
				goto fail;
			}
			r->sockets_off = r->off - 1;
			r->sockets_line = r->cline;
			r->sockets_col = r->ccol;
			have_sockets = true;
			r->capture = false;
			if (sc_value(r, c, err) < 0)
				goto fail;
		} else {
			sc_reset(r);
			line = r->cline;
			col = r->ccol;
			if (sc_value(r, c, err) < 0)
				goto fail;
			hdr_bytes += r->len;
			if (hdr_bytes > SNAP_HDR_BYTES_MAX) {
				sc_err(r, line, col, err, "the header is larger than %d bytes",
				    SNAP_HDR_BYTES_MAX);
				goto fail;
			}
			if ((val = sc_load(r, line, col, err)) == NULL)
				goto fail;
			/* A member this version does not read: checked, then only its name kept. */
			if (!header_member_known(name)) {
				json_decref(val);
				val = json_null();
			}
			json_object_set_new(doc, name, val);
		}
		json_decref(key);
		key = NULL;
		c = sc_ws(r);
		if (c == '}')
			break;
		if (c != ',') {
			sc_err(r, r->cline, r->ccol, err, c == EOF ?
			    "unexpected end of file (truncated?)" : "expected ',' or '}'");
			goto fail;
		}
		c = sc_ws(r);
	}
end:
	c = sc_ws(r);
	if (c != EOF) {
		sc_err(r, r->cline, r->ccol, err, "data after the end of the snapshot");
		goto fail;
	}
	if (r->zerr[0] != '\0') {	/* a frame cut short, or damaged, after the document */
		sc_err(r, r->line, r->col, err, "%s", r->zerr);
		goto fail;
	}
	if (!have_sockets) {
		sc_err(r, r->line, r->col, err, "no \"sockets\" array");
		goto fail;
	}
	return doc;
fail:
	json_decref(key);
	json_decref(doc);
	return NULL;
}

void
snapfile_close(struct snapfile_reader *r)
{
	if (r == NULL)
		return;
	ZSTD_freeDCtx(r->dctx);
	free(r->zin);
	free(r->own);
	free(r->own_owners);
	if (r->fp != NULL)
		fclose(r->fp);
	free(r->path);
	free(r->buf);
	free(r);
}

/*
 * A snapshot file (format 2) starts with the skippable frame of
 * snapfile_begin_file(): then the text is the decompressed rest.  Anything
 * else is read as it is, from where it started.  Returns 0, or -1 with
 * *err set for a skippable frame that is not ours, or ours of a format
 * this version does not read.
 */
static int
open_tag(struct snapfile_reader *r, struct td_err *err)
{
	unsigned char h[8], tag[64];
	const char *t = (const char *)tag;
	uint32_t magic, len;
	long start = ftell(r->fp);
	size_t n = fread(h, 1, sizeof(h), r->fp);
	char *end;
	int i;

	magic = len = 0;
	for (i = 3; n == sizeof(h) && i >= 0; i--) {
		magic = magic << 8 | h[i];
		len = len << 8 | h[4 + i];
	}
	if (n < sizeof(h) || (magic & 0xfffffff0u) != (SNAPFILE_MAGIC & 0xfffffff0u)) {
		if (start < 0 || fseek(r->fp, start, SEEK_SET) < 0)
			return td_errf(err, errno, "--from '%s': cannot seek: %s", r->path,
			    strerror(errno));
		return 0;
	}
	/* RFC 8878, 3.1.2: magic 0x184D2A50 to 0x184D2A5F, size, user data. */
	if (magic != SNAPFILE_MAGIC || len >= sizeof(tag) || fread(tag, 1, len, r->fp) != len ||
	    memchr(tag, '\0', len) != NULL || len < sizeof("tcpdoctor snapshot 1\n") - 1 ||
	    strncmp(t, "tcpdoctor snapshot ", 19) != 0 || tag[len - 1] != '\n')
		return td_errf(err, EBADMSG, "--from '%s': not a tcpdoctor snapshot (it starts with "
		    "a zstd skippable frame that is not one)", r->path);
	tag[len - 1] = '\0';
	errno = 0;
	r->version = (int)strtol(t + 19, &end, 10);
	if (errno != 0 || *end != '\0' || end == t + 19 || r->version < 1)
		return td_errf(err, EBADMSG, "--from '%s': not a tcpdoctor snapshot (its tag is "
		    "'%s')", r->path, t);
	if (r->version != SNAPFILE_VERSION)
		return td_errf(err, EBADMSG, "--from '%s': a snapshot file of format %d; this "
		    "tcpdoctor reads formats 1 (JSON) and %d (a newer tcpdoctor wrote it?)", r->path,
		    r->version, SNAPFILE_VERSION);
	r->z = true;
	r->zstart = start + 8 + (long)len;
	r->dctx = ZSTD_createDCtx();
	r->zcap = ZSTD_DStreamInSize();
	r->zin = malloc(r->zcap);
	if (r->dctx == NULL || r->zin == NULL)
		return td_errf(err, ENOMEM, "--from '%s': out of memory", r->path);
	return 0;
}

struct snapfile_reader *
snapfile_open(const char *path, struct td_snapshot *snap, struct td_err *err)
{
	struct snapfile_reader *r;
	struct td_err sub = { 0 };
	const json_t *schema;
	json_t *doc;

	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->path = strdup(path)) == NULL) {
		free(r);
		td_errf(err, ENOMEM, "--from '%s': out of memory", path);
		return NULL;
	}
	/* A regular file, '-' or the caller's descriptor; never a FIFO by name. */
	r->fp = safefile_fopen_input("--from", path, 0, err);
	if (r->fp == NULL) {
		snapfile_close(r);
		return NULL;
	}
	/* The sockets are read after the header, by seeking back (sc_seek). */
	if (fseek(r->fp, 0, SEEK_CUR) < 0 && errno == ESPIPE) {
		td_errf(err, SAFEFILE_EKIND, "--from '%s': is a pipe; a snapshot is read twice, "
		    "so save it to a file first", path);
		snapfile_close(r);
		return NULL;
	}
	if (open_tag(r, err) < 0) {
		snapfile_close(r);
		return NULL;
	}
	r->line = r->col = 1;
	doc = read_header(r, err);
	if (doc == NULL) {
		snapfile_close(r);
		return NULL;
	}
	schema = json_object_get(doc, "schema");
	if (!json_is_string(schema) || strcmp(json_string_value(schema), TD_SCHEMA) != 0) {
		td_errf(err, EBADMSG, "--from '%s': not a %s snapshot (schema %s%s%s)", path,
		    TD_SCHEMA, json_is_string(schema) ? "'" : "",
		    json_is_string(schema) ? json_string_value(schema) : "missing",
		    json_is_string(schema) ? "'" : "");
		goto fail;
	}
	if (snapfile_header_from_json(doc, snap, &sub) < 0) {
		td_errf(err, sub.code, "--from '%s': header: %s", path, sub.msg);
		goto fail;
	}
	json_decref(doc);
	return r;
fail:
	json_decref(doc);
	snapfile_close(r);
	return NULL;
}

/* Whether the captured element starts as the writer writes a socket of the other family. */
static bool
other_family(const struct snapfile_reader *r, int family)
{
	static const char pre[] = "{\"family\":\"ipv";

	return r->len > sizeof(pre) && memcmp(r->buf, pre, sizeof(pre) - 1) == 0 &&
	    r->buf[sizeof(pre)] == '"' &&
	    r->buf[sizeof(pre) - 1] == (family == AF_INET ? '6' : '4');
}

/*
 * One walk of the "sockets" array.  skip: a pass of a two-pass walk, in
 * which the sockets of the other family (checked in the other pass) are
 * passed over without being parsed.
 */
static int
walk_pass(struct snapfile_reader *r, unsigned int states, int family, bool skip,
    td_sock_fn fn, void *arg, struct td_err *err)
{
	struct td_err sub = { 0 };
	unsigned long line, col, n = 0;
	const struct own_ent *e;
	struct td_sock sk;
	json_t *o;
	int c, rc;

	if (sc_seek(r, r->sockets_off, r->sockets_line, r->sockets_col) < 0)
		return r->zerr[0] != '\0' ? sc_err(r, r->line, r->col, err, "%s", r->zerr) :
		    td_errf(err, errno, "--from '%s': cannot seek: %s", r->path, strerror(errno));
	if (sc_get(r) != '[')
		return sc_err(r, r->cline, r->ccol, err, "\"sockets\": expected array");
	c = sc_ws(r);
	if (c == ']')
		return 0;
	for (;;) {
		n++;
		if (c != '{')
			return sc_err(r, r->cline, r->ccol, err, c == EOF ?
			    "unexpected end of file in \"sockets\" (truncated?)" :
			    "expected object");
		sc_reset(r);
		r->capture = true;
		line = r->cline;
		col = r->ccol;
		if (sc_value(r, c, err) < 0)
			return -1;
		if (!skip || !other_family(r, family)) {
			if ((o = sc_load(r, line, col, err)) == NULL)
				return -1;
			rc = snapfile_sock_from_json(o, &sk, &sub);
			json_decref(o);
			if (rc < 0)
				return sc_err(r, line, col, err, "socket %lu: %s", n, sub.msg);
			if (r->nown > 0 && sk.inode != 0 && (e = own_find(r, sk.inode)) != NULL) {
				if (sk.has_owner || sk.owner_status != TD_OWNER_NA)
					return sc_err(r, line, col, err, "socket %lu: owner members "
					    "both here and in the owners table (inode %llu)", n,
					    (unsigned long long)sk.inode);
				own_apply(r, e, &sk);
			}
			if (sockdiag_state_match(states, sk.state) &&
			    (family == 0 || family == sk.family) && fn(&sk, arg, err) < 0) {
				if (err != NULL && err->msg[0] == '\0')
					td_errf(err, 0, "--from '%s': walk stopped by the consumer",
					    r->path);
				return -1;
			}
		}
		c = sc_ws(r);
		if (c == ']')
			return 0;
		if (c != ',')
			return sc_err(r, r->cline, r->ccol, err, c == EOF ?
			    "unexpected end of file in \"sockets\" (truncated?)" :
			    "expected ',' or ']'");
		c = sc_ws(r);
	}
}

int
snapfile_walk(struct snapfile_reader *r, unsigned int states, int family,
    td_sock_fn fn, void *arg, struct td_err *err)
{
	/*
	 * A snapshot file holds the sockets as one kernel walk of both
	 * families gave them: IPv4 first, then IPv6, as the live commands
	 * list them (the order within each family is the kernel's).
	 */
	if (r->z && family == 0)
		return walk_pass(r, states, AF_INET, true, fn, arg, err) < 0 ? -1 :
		    walk_pass(r, states, AF_INET6, true, fn, arg, err);
	return walk_pass(r, states, family, false, fn, arg, err);
}
