/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/snapfile.c.  The socket records are the real ones
 * decoded from the recorded netlink fixtures (tests/fixtures/netlink), the
 * counters and sysctls come from the procfs fixtures, so the round trips
 * run on what a 6.18 kernel really reports.
 */
#include "tests/unit/check_main.h"
#include "tests/unit/collectors/fixture.h"

#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/counters.h"
#include "collectors/snapfile.h"
#include "collectors/sockdiag.h"
#include "collectors/sysctl.h"

#define MAXSOCK	64

struct recs {
	size_t		n;
	struct td_sock	sk[MAXSOCK];
};

static int
keep(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct recs *r = arg;

	(void)err;
	ck_assert_uint_lt(r->n, MAXSOCK);
	r->sk[r->n++] = *sk;
	return 0;
}

static void
replay(const char *name, struct recs *r)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	char *buf;
	long n;
	FILE *fp;

	fp = fopen(fixture_path("netlink", name), "rb");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	ck_assert_int_eq(sockdiag_parse(&p, buf, (size_t)n, keep, r, &err), 0);
	free(buf);
}

/* Every record of both recordings, one with owners, one with an unreadable owner. */
static struct recs *
real_records(void)
{
	struct recs *r = calloc(1, sizeof(*r));

	replay("inet-info.nl", r);
	replay("inet6-info.nl", r);
	ck_assert_uint_eq(r->n, 26);
	/* Shared by two processes (one more counted, past the kept ones). */
	r->sk[1].has_owner = true;
	r->sk[1].owner_status = TD_OWNER_FOUND;
	r->sk[1].pid = 4321;
	snprintf(r->sk[1].comm, sizeof(r->sk[1].comm), "nginx: worker");
	r->sk[1].nowners = 2;
	r->sk[1].owners[0].pid = 4321;
	r->sk[1].owners[0].fd = 6;
	snprintf(r->sk[1].owners[0].comm, sizeof(r->sk[1].owners[0].comm), "nginx: worker");
	r->sk[1].owners[1].pid = 4322;
	r->sk[1].owners[1].fd = 6;
	snprintf(r->sk[1].owners[1].comm, sizeof(r->sk[1].owners[1].comm), "nginx: worker");
	r->sk[1].owners_more = 1;
	/* Its owner could not be read. */
	r->sk[2].owner_status = TD_OWNER_UNREADABLE;
	return r;
}

/* What survives JSON: u64 values above INT64_MAX are clamped to it. */
static void
clamp(struct td_sock *sk)
{
	uint64_t *f[] = {
		&sk->tcpi.pacing_rate, &sk->tcpi.max_pacing_rate, &sk->tcpi.bytes_acked,
		&sk->tcpi.bytes_received, &sk->tcpi.delivery_rate, &sk->tcpi.busy_time,
		&sk->tcpi.rwnd_limited, &sk->tcpi.sndbuf_limited, &sk->tcpi.bytes_sent,
		&sk->tcpi.bytes_retrans, &sk->inode, &sk->cookie,
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (*f[i] > (uint64_t)INT64_MAX)
			*f[i] = (uint64_t)INT64_MAX;
}

static void
header(struct td_snapshot *snap)
{
	struct td_err err = { 0 };

	memset(snap, 0, sizeof(*snap));
	snap->meta.time_ns = INT64_C(1795513248435852619);
	snap->meta.mono_ns = 977895614267;
	snprintf(snap->meta.host, sizeof(snap->meta.host), "vm");
	snprintf(snap->meta.netns, sizeof(snap->meta.netns), "td-123-x");
	snap->meta.netns_ino = 4026531833u;
	snprintf(snap->meta.kernel, sizeof(snap->meta.kernel), "6.18.44");
	snprintf(snap->meta.boot_id, sizeof(snap->meta.boot_id),
	    "b2a9c2a2-4f95-43b7-bce9-5843fa01872c");
	snprintf(snap->meta.source, sizeof(snap->meta.source), "live");
	snprintf(snap->meta.version, sizeof(snap->meta.version), "0.1.0");
	/* old-kernel has absent counters; reserved has a port list. */
	ck_assert_int_eq(counters_read(fixture_path("proc", "old-kernel"), &snap->ctr, &err), 0);
	ck_assert_int_eq(sysctl_read(fixture_path("proc", "reserved"), &snap->sys, &err), 0);
}

static char *
tmpname(void)
{
	static char name[64];
	int fd;

	snprintf(name, sizeof(name), "/tmp/td-snapfile-XXXXXX");
	fd = mkstemp(name);
	ck_assert_int_ge(fd, 0);
	close(fd);
	return name;
}

static void
save(const char *path, const struct td_snapshot *snap, const struct recs *r)
{
	struct snapfile_writer w;
	struct td_err err = { 0 };
	FILE *fp = fopen(path, "w");
	size_t i;

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(snapfile_begin(&w, fp, snap, "snapshot", &err), 0);
	for (i = 0; i < r->n; i++)
		ck_assert_int_eq(snapfile_put_sock(&r->sk[i], &w, &err), 0);
	ck_assert_int_eq(snapfile_end(&w, &err), 0);
	fclose(fp);
}

/* Load path; returns the reader (header in *snap, records in *r). */
static struct snapfile_reader *
load(const char *path, struct td_snapshot *snap, struct recs *r, struct td_err *err)
{
	struct snapfile_reader *rd;

	memset(r, 0, sizeof(*r));
	rd = snapfile_open(path, snap, err);
	if (rd != NULL && snapfile_walk(rd, 0, 0, keep, r, err) < 0) {
		snapfile_close(rd);
		return NULL;
	}
	return rd;
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	fclose(fp);
}

/* The error loading text gives (or "" when it loads). */
static const char *
load_error(const char *text, int *code)
{
	static struct td_err err;
	struct td_snapshot snap;
	struct snapfile_reader *rd;
	static struct recs r;
	char *path = tmpname();

	memset(&err, 0, sizeof(err));
	write_file(path, text, strlen(text));
	rd = load(path, &snap, &r, &err);
	snapfile_close(rd);
	unlink(path);
	*code = err.code;
	return err.msg;
}

/* ---- converters ---- */

START_TEST(test_snapfile_sock_json_fields)
{
	struct recs *r = real_records();
	const struct td_sock *req = NULL, *mapped = NULL, *est = NULL;
	json_t *o;
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (r->sk[i].kind == TD_SK_REQ && r->sk[i].family == AF_INET)
			req = &r->sk[i];
		if (r->sk[i].family == AF_INET6 && td_addr_is_v4(&r->sk[i].src))
			mapped = &r->sk[i];
		if (r->sk[i].state == TD_ST_ESTABLISHED && r->sk[i].has_tcpi)
			est = &r->sk[i];
	}
	ck_assert(req != NULL && mapped != NULL && est != NULL);

	o = snapfile_sock_json(req);
	ck_assert_str_eq(json_string_value(json_object_get(o, "family")), "ipv4");
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")), "SYN_RECV");
	ck_assert_str_eq(json_string_value(json_object_get(o, "kind")), "request");
	ck_assert_str_eq(json_string_value(json_object_get(o, "src")), "198.18.0.1");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "sport")), 9090);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "timer"), "name")),
	    "on");
	ck_assert_ptr_null(json_object_get(o, "tcp_info"));
	ck_assert_ptr_null(json_object_get(o, "skmem"));
	ck_assert_ptr_null(json_object_get(o, "owner"));
	json_decref(o);

	o = snapfile_sock_json(mapped);
	ck_assert_str_eq(json_string_value(json_object_get(o, "family")), "ipv6");
	ck_assert_str_eq(json_string_value(json_object_get(o, "src")), "::ffff:127.0.0.1");
	json_decref(o);

	o = snapfile_sock_json(est);
	ck_assert_ptr_nonnull(json_object_get(json_object_get(o, "tcp_info"), "rtt"));
	ck_assert_ptr_nonnull(json_object_get(json_object_get(o, "skmem"), "drops"));
	/* max_pacing_rate is ~0 (unlimited) on the kernel: clamped. */
	ck_assert_uint_eq(est->tcpi.max_pacing_rate, UINT64_MAX);
	ck_assert(json_integer_value(json_object_get(json_object_get(o, "tcp_info"),
	    "max_pacing_rate")) == INT64_MAX);
	json_decref(o);
	free(r);
}
END_TEST

START_TEST(test_snapfile_sock_roundtrip_real_records)
{
	struct recs *r = real_records();
	struct td_err err = { 0 };
	struct td_sock back, want;
	json_t *o;
	size_t i;

	for (i = 0; i < r->n; i++) {
		o = snapfile_sock_json(&r->sk[i]);
		ck_assert_int_eq(snapfile_sock_from_json(o, &back, &err), 0);
		json_decref(o);
		want = r->sk[i];
		clamp(&want);
		ck_assert_msg(memcmp(&back, &want, sizeof(want)) == 0, "record %zu differs", i);
	}
	free(r);
}
END_TEST

/* ---- The socket writer (snapfile_sock_members) against jansson ---- */

/* What the fast writer, the description walk and jansson make of sk agree. */
static void
sock_differential(const struct td_sock *sk, unsigned int skip, const char *what, size_t idx)
{
	char *fast = NULL, *walk = NULL, *ref;
	size_t nfast = 0, nwalk = 0, i;
	json_t *doc, *parsed;
	json_error_t jerr;
	struct jw *w = malloc(sizeof(*w));
	FILE *fp;
	int pass;

	ck_assert_ptr_nonnull(w);
	/* Pass 0: the object empty before (ls -j); 1: a member before (NDJSON's head). */
	for (pass = 0; pass < 2; pass++) {
		fp = open_memstream(&fast, &nfast);
		jw_init(w, fp, JW_COMPACT);
		jw_obj(w, NULL);
		if (pass == 1)
			jw_int(w, "head", 1);
		snapfile_sock_members(w, sk, skip);
		jw_end(w);
		ck_assert_int_eq(jw_flush(w), 0);
		fclose(fp);
		fp = open_memstream(&walk, &nwalk);
		jw_init(w, fp, JW_COMPACT);
		jw_obj(w, NULL);
		if (pass == 1)
			jw_int(w, "head", 1);
		jw_rec_members(w, &snapfile_sock_desc, sk, skip);
		jw_end(w);
		ck_assert_int_eq(jw_flush(w), 0);
		fclose(fp);
		ck_assert_msg(nfast == nwalk && memcmp(fast, walk, nfast) == 0,
		    "%s %zu skip %u: fast writer\n%s\ndescription walk\n%s", what, idx, skip, fast, walk);
		if (pass == 0) {
			/* jansson's document of the same record, less the skipped groups. */
			doc = snapfile_sock_json(sk);
			ck_assert_ptr_nonnull(doc);
			for (i = 0; i < snapfile_sock_desc.n; i++)
				if (snapfile_sock_desc.f[i].group & skip)
					json_object_del(doc, snapfile_sock_desc.f[i].key);
			ref = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
			ck_assert_ptr_nonnull(ref);
			ck_assert_msg(strcmp(ref, fast) == 0, "%s %zu skip %u: fast writer\n%s\njansson\n%s",
			    what, idx, skip, fast, ref);
			/* Value for value: what jansson reads back is what it built. */
			parsed = json_loads(fast, 0, &jerr);
			ck_assert_msg(parsed != NULL, "%s %zu: %s", what, idx, jerr.text);
			ck_assert(json_equal(parsed, doc));
			json_decref(parsed);
			free(ref);
			json_decref(doc);
		}
		free(fast);
		free(walk);
		fast = walk = NULL;
	}
	free(w);
}

static void
sock_differential_all(const struct td_sock *sk, const char *what, size_t idx)
{
	static const unsigned int skips[] = {
		0, SNAPFILE_SOCK_INFO, SNAPFILE_SOCK_CGROUP, SNAPFILE_SOCK_INFO | SNAPFILE_SOCK_CGROUP,
	};
	size_t i;

	for (i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
		sock_differential(sk, skips[i], what, idx);
}

/* The recorded kernel records (tcp_info, skmem, cong, owners) as they are. */
START_TEST(test_snapfile_sock_writer_real_records)
{
	struct recs *r = real_records();
	size_t i;

	for (i = 0; i < r->n; i++)
		sock_differential_all(&r->sk[i], "recorded socket", i);
	free(r);
}
END_TEST

/*
 * Made-up records at the edges: every state, kind and timer number (and
 * one past each table), u64 values above INT64_MAX, the widest integers,
 * names that need escaping or are not UTF-8, cgroup and owner variants.
 */
START_TEST(test_snapfile_sock_writer_edges)
{
	struct recs *r = real_records();
	struct td_sock sk;
	size_t i, n = 0;
	unsigned int v;

	for (v = 0; v < 300; v++) {
		sk = r->sk[v % r->n];
		sk.family = v % 2 ? AF_INET : AF_INET6;
		if (v % 5 == 0) {
			/* An IPv6 socket whose addresses are v4-mapped keeps ::ffff: visible. */
			memset(&sk.src, 0, sizeof(sk.src));
			sk.src.s6_addr[10] = sk.src.s6_addr[11] = 0xff;
			sk.src.s6_addr[12] = (uint8_t)v;
			sk.src.s6_addr[15] = 255;
		}
		sk.state = (uint8_t)(v % 16);
		sk.kind = (uint8_t)(v % 5);
		sk.timer = (uint8_t)(v % 9);
		sk.sport = (uint16_t)(v * 997);
		sk.dport = v % 3 ? 65535 : 0;
		sk.ifindex = v % 7 ? v : UINT32_MAX;
		sk.rqueue = UINT32_MAX - v;
		sk.wqueue = v * 1000003u;
		sk.timer_ms = v % 4 ? 0 : 4294967295u;
		sk.retrans = v;
		sk.uid = v % 6 ? 65534 : UINT32_MAX;
		sk.inode = v % 3 == 0 ? UINT64_MAX : (uint64_t)v * 10000000019ULL;
		sk.cookie = v % 4 == 0 ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX - v;
		sk.shutdown = (uint8_t)(v % 4);
		sk.tos = (uint8_t)(255 - v);
		sk.tclass = (uint8_t)v;
		sk.mark = v % 2 ? 0 : 0xffffffffu;
		sk.v6only = v % 3 == 1;
		sk.has_tcpi = v % 4 != 3;
		sk.has_skmem = v % 5 != 2;
		if (v % 11 == 0)
			sk.tcpi.bytes_acked = UINT64_MAX - v;
		snprintf(sk.cong, sizeof(sk.cong), "%s", v % 6 == 0 ? "" : v % 6 == 1 ? "c\"u\\b\n" : "bbr");
		sk.cgroup_id = v % 4 == 0 ? 0 : v % 4 == 1 ? UINT64_MAX : v;
		snprintf(sk.cgroup, sizeof(sk.cgroup), "%s",
		    v % 3 == 0 ? "" : v % 3 == 1 ? "/sys\x01tem.slice/\xff\xfe.service" : "/k8s/p\xc3\xa9\"d");
		snprintf(sk.container, sizeof(sk.container), "%s", v % 2 ? "" : "pod ns/na\tme");
		sk.owner_status = (uint8_t)(v % 5);
		sk.has_owner = sk.owner_status == TD_OWNER_FOUND;
		sk.nowners = (uint8_t)(sk.has_owner ? 1 + v % TD_SOCK_OWNERS : 0);
		for (i = 0; i < sk.nowners; i++) {
			sk.owners[i].pid = (int32_t)(100 + i);
			sk.owners[i].fd = i == 1 ? -1 : (int32_t)i;
			snprintf(sk.owners[i].comm, sizeof(sk.owners[i].comm), "%s",
			    i % 2 ? "w\"k\x7f" : "nginx: worker");
		}
		sk.pid = sk.has_owner ? 100 : 0;
		snprintf(sk.comm, sizeof(sk.comm), "%s", sk.has_owner ? "a\\b" : "");
		sk.owners_more = v % 3 ? 0 : v;
		sock_differential_all(&sk, "edge socket", v);
		n++;
	}
	ck_assert_uint_eq(n, 300);
	free(r);
}
END_TEST

/* Every socket of the saved snapshot fixtures. */
static int
diff_saved(const struct td_sock *sk, void *arg, struct td_err *err)
{
	size_t *n = arg;

	(void)err;
	sock_differential_all(sk, "saved socket", (*n)++);
	return 0;
}

START_TEST(test_snapfile_sock_writer_saved_fixtures)
{
	static const char *const files[] = {
		"check-healthy.json", "check-s1-accept-queue.json", "check-s2-syn-flood.json",
		"check-s4-close-wait.json", "check-s5-time-wait.json", "mixed.json",
	};
	struct snapfile_reader *rd;
	struct td_snapshot snap;
	struct td_err err = { 0 };
	size_t i, n = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		rd = snapfile_open(fixture_path("snapshots", files[i]), &snap, &err);
		ck_assert_msg(rd != NULL, "%s: %s", files[i], err.msg);
		ck_assert_int_eq(snapfile_walk(rd, 0, 0, diff_saved, &n, &err), 0);
		snapfile_close(rd);
	}
	ck_assert_uint_gt(n, 6);
}
END_TEST

START_TEST(test_snapfile_counters_and_sysctls_json)
{
	struct td_snapshot snap, back;
	struct td_err err = { 0 };
	json_t *doc, *c, *s;

	header(&snap);
	c = snapfile_counters_json(&snap.ctr);
	ck_assert(json_is_null(json_object_get(c, "tw_overflow")));	/* absent */
	ck_assert_int_eq(json_integer_value(json_object_get(c, "tw")), 10);
	ck_assert_int_eq(json_integer_value(json_object_get(c, "attempt_fails")), 0);
	s = snapfile_sysctls_json(&snap.sys);
	ck_assert(json_is_null(json_object_get(s, "net.ipv4.tcp_tw_recycle")));
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(s,
	    "net.ipv4.ip_local_port_range"), 1)), 9100);
	ck_assert_str_eq(json_string_value(json_object_get(s,
	    "net.ipv4.ip_local_reserved_ports")), "8080,9000-9010,9100,9200-9300");

	doc = snapfile_header_json(&snap, "snapshot");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "schema")), "tcpdoctor/1");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "time")), "2026-11-24T09:40:48Z");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "netns")), "td-123-x");
	json_object_set_new(doc, "counters", c);
	json_object_set_new(doc, "sysctls", s);
	ck_assert_int_eq(snapfile_header_from_json(doc, &back, &err), 0);
	json_decref(doc);
	ck_assert_str_eq(back.meta.source, "file");
	snprintf(back.meta.source, sizeof(back.meta.source), "live");
	ck_assert(memcmp(&back.meta, &snap.meta, sizeof(snap.meta)) == 0);
	ck_assert(memcmp(&back.ctr, &snap.ctr, sizeof(snap.ctr)) == 0);
	ck_assert(memcmp(&back.sys, &snap.sys, sizeof(snap.sys)) == 0);
	ck_assert_int_eq(sysctl_usable_ports(&back.sys), 89);
}
END_TEST

/*
 * The line heads of events, trace, watch and watch's recording, each
 * from snapfile_line_head(): the exact text (members in this order) that
 * these commands wrote with their own json_pack() calls before.
 */
START_TEST(test_snapfile_line_heads)
{
	static const struct {
		const char	*command, *type;
		int		 version;
		unsigned int	 members;
		const char	*want;
	} c[] = {
		{ "events", "connection", 0,
		    SNAPFILE_HEAD_NETNS | SNAPFILE_HEAD_USEC | SNAPFILE_HEAD_OWN_TIME,
		    "{\"schema\":\"tcpdoctor/1\",\"command\":\"events\",\"type\":\"connection\","
		    "\"time\":\"2026-11-24T09:40:49.000001Z\",\"host\":\"vm\",\"netns\":\"td-123-x\"}" },
		{ "trace", NULL, 0, SNAPFILE_HEAD_USEC | SNAPFILE_HEAD_OWN_TIME,
		    "{\"schema\":\"tcpdoctor/1\",\"command\":\"trace\","
		    "\"time\":\"2026-11-24T09:40:49.000001Z\",\"host\":\"vm\"}" },
		{ "watch", NULL, 0, SNAPFILE_HEAD_NETNS,
		    "{\"schema\":\"tcpdoctor/1\",\"command\":\"watch\","
		    "\"time\":\"2026-11-24T09:40:48Z\",\"host\":\"vm\",\"netns\":\"td-123-x\"}" },
		{ "watch", "sample", 3,
		    SNAPFILE_HEAD_NSEC | SNAPFILE_HEAD_NO_HOST | SNAPFILE_HEAD_OWN_TIME,
		    "{\"schema\":\"tcpdoctor/1\",\"command\":\"watch\",\"type\":\"sample\","
		    "\"version\":3,\"time\":\"2026-11-24T09:40:49.000001234Z\"}" },
	};
	struct td_snapshot snap;
	struct snapfile_head h;
	char *text;
	size_t i;
	json_t *o;

	header(&snap);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		h = (struct snapfile_head){ .meta = &snap.meta, .command = c[i].command,
		    .type = c[i].type, .version = c[i].version, .members = c[i].members,
		    .time_ns = INT64_C(1795513249000001234) };
		if (c[i].version != 0)
			h.meta = NULL;		/* a recording line needs no meta */
		o = snapfile_line_head(&h);
		ck_assert_ptr_nonnull(o);
		text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		ck_assert_str_eq(text, c[i].want);
		free(text);
		json_decref(o);
	}
}
END_TEST

/* ---- files ---- */

START_TEST(test_snapfile_save_load_roundtrip)
{
	struct recs *r = real_records(), *b = calloc(1, sizeof(*b)), *c = calloc(1, sizeof(*c));
	struct td_snapshot snap, s2, s3;
	struct snapfile_reader *rd;
	struct td_err err = { 0 };
	char p1[64], p2[64], p3[64], cmd[512];
	size_t i;

	header(&snap);
	snprintf(p1, sizeof(p1), "%s", tmpname());
	snprintf(p2, sizeof(p2), "%s", tmpname());
	snprintf(p3, sizeof(p3), "%s", tmpname());
	save(p1, &snap, r);
	rd = load(p1, &s2, b, &err);
	ck_assert_msg(rd != NULL, "%s", err.msg);
	ck_assert_uint_eq(b->n, r->n);
	for (i = 0; i < r->n; i++) {
		clamp(&r->sk[i]);
		ck_assert_msg(memcmp(&b->sk[i], &r->sk[i], sizeof(r->sk[i])) == 0,
		    "record %zu differs", i);
	}
	/* A second walk of the same reader gives the same stream. */
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(snapfile_walk(rd, 0, 0, keep, c, &err), 0);
	ck_assert(memcmp(c, b, sizeof(*b)) == 0);
	snapfile_close(rd);

	save(p2, &s2, b);
	rd = load(p2, &s3, c, &err);
	ck_assert_ptr_nonnull(rd);
	snapfile_close(rd);
	save(p3, &s3, c);
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", p2, p3);
	ck_assert_int_eq(system(cmd), 0);
	/* Only meta.source differs between the live save and the reload's. */
	snprintf(cmd, sizeof(cmd), "diff %s %s | grep -c '^[<>]' | grep -qx 2 && "
	    "diff %s %s | grep -q '\"source\": \"file\"'", p1, p2, p1, p2);
	ck_assert_int_eq(system(cmd), 0);
	unlink(p1);
	unlink(p2);
	unlink(p3);
	free(r);
	free(b);
	free(c);
}
END_TEST

static const struct {
	unsigned int	states;
	int		family;
	size_t		n;
} filters[] = {
	{ 0, 0, 26 },
	{ 0, AF_INET, 15 },
	{ 0, AF_INET6, 11 },
	{ TD_STATE_BIT(TD_ST_NEW_SYN_RECV), 0, 5 },
	{ TD_STATE_BIT(TD_ST_SYN_RECV), AF_INET6, 2 },
	{ TD_STATE_BIT(TD_ST_TIME_WAIT), 0, 3 },
	{ TD_STATE_BIT(TD_ST_FIN_WAIT2), 0, 2 },
	{ TD_STATE_BIT(TD_ST_LISTEN) | TD_STATE_BIT(TD_ST_CLOSE_WAIT), AF_INET, 5 },
};

START_TEST(test_snapfile_walk_filters)
{
	struct recs *r = real_records(), *b = calloc(1, sizeof(*b));
	struct td_snapshot snap, s2;
	struct snapfile_reader *rd;
	struct td_err err = { 0 };
	char *path = tmpname();
	size_t i;

	header(&snap);
	save(path, &snap, r);
	rd = snapfile_open(path, &s2, &err);
	ck_assert_ptr_nonnull(rd);
	ck_assert_int_eq(snapfile_walk(rd, filters[_i].states, filters[_i].family, keep, b,
	    &err), 0);
	ck_assert_uint_eq(b->n, filters[_i].n);
	for (i = 0; i < b->n; i++) {
		ck_assert(sockdiag_state_match(filters[_i].states, b->sk[i].state));
		ck_assert(filters[_i].family == 0 || b->sk[i].family == filters[_i].family);
	}
	snapfile_close(rd);
	unlink(path);
	free(r);
	free(b);
}
END_TEST

/* Save the first n records to path and return the file's bytes. */
static char *
saved_text(const char *path, struct recs *r, size_t n, size_t *len)
{
	struct td_snapshot snap;
	char *text;
	FILE *fp;

	header(&snap);
	r->n = n;
	save(path, &snap, r);
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	*len = (size_t)ftell(fp);
	rewind(fp);
	text = malloc(*len);
	ck_assert_uint_eq(fread(text, 1, *len, fp), *len);
	fclose(fp);
	return text;
}

/* Every proper prefix of a snapshot is a clean error, never a crash or a pass. */
START_TEST(test_snapfile_truncated_everywhere)
{
	struct recs *r = real_records(), *b = calloc(1, sizeof(*b));
	struct td_snapshot s2;
	struct snapfile_reader *rd;
	char *path = tmpname(), *text, cut[64];
	size_t len, i;

	text = saved_text(path, r, 3, &len);
	snprintf(cut, sizeof(cut), "%s", tmpname());
	/* The last byte is the final newline: without it the file is whole. */
	for (i = 0; i + 1 < len; i++) {
		struct td_err err = { 0 };

		write_file(cut, text, i);
		rd = load(cut, &s2, b, &err);
		ck_assert_msg(rd == NULL, "prefix of %zu bytes loaded", i);
		ck_assert_msg(err.code == EBADMSG, "prefix %zu: code %d: %s", i, err.code,
		    err.msg);
		ck_assert_msg(strncmp(err.msg, "--from '", 8) == 0 && strstr(err.msg, ": line ") !=
		    NULL, "prefix %zu: %s", i, err.msg);
	}
	unlink(cut);
	unlink(path);
	free(text);
	free(r);
	free(b);
}
END_TEST

/* Corrupt each byte of a saved file in turn: a clean result or a clean error. */
START_TEST(test_snapfile_corrupt_bytes)
{
	static const char subst[] = "{}[]\",:\\0a \x80";
	struct recs *r = real_records(), *b = calloc(1, sizeof(*b));
	struct td_snapshot s2;
	struct snapfile_reader *rd;
	char *path = tmpname(), *text, cut[64];
	size_t len, i, j;

	text = saved_text(path, r, 2, &len);
	snprintf(cut, sizeof(cut), "%s", tmpname());
	/* Every 7th byte, each replacement: about 2,000 loads. */
	for (i = 0; i < len; i += 7) {
		for (j = 0; j < sizeof(subst) - 1; j++) {
			struct td_err err = { 0 };
			char saved = text[i];

			text[i] = subst[j];
			write_file(cut, text, len);
			text[i] = saved;
			rd = load(cut, &s2, b, &err);
			if (rd == NULL)
				ck_assert_msg(err.code == EBADMSG && err.msg[0] != '\0',
				    "byte %zu: code %d: %s", i, err.code, err.msg);
			snapfile_close(rd);
		}
	}
	unlink(cut);
	unlink(path);
	free(text);
	free(r);
	free(b);
}
END_TEST

static const char head[] = "{\"schema\":\"tcpdoctor/1\",\"host\":\"h\",\"kernel\":\"k\","
    "\"meta\":{\"time_ns\":1},\n";

static const struct {
	const char	*text;
	const char	*msg;		/* expected after "--from '<file>': " */
} bad[] = {
	{ "", "line 1, column 1: empty file" },
	{ "garbage\n", "line 1, column 1: expected '{' (not a tcpdoctor snapshot)" },
	{ "[1,2]", "line 1, column 1: expected '{' (not a tcpdoctor snapshot)" },
	/* The example of the house style. */
	{ "{\"schema\":\"tcpdoctor/1\",\"host\":\"h\",\"kernel\":\"k\",\"meta\":{\"time_ns\":1},\n"
	  "\"sockets\": [\n      42]}\n", "line 3, column 7: expected object" },
	{ "{\"schema\":\"tcpdoctor/1\", \"sockets\": []} x",
	  "line 1, column 41: data after the end of the snapshot" },
	{ "{\"schema\":\"tcpdoctor/1\"}", "line 1, column 25: no \"sockets\" array" },
	{ "{\"schema\":\"tcpdoctor/1\" \"x\":1}", "line 1, column 25: expected ',' or '}'" },
	{ "{\"schema\":\"tcpdoctor/1\",\"sockets\":{}}",
	  "line 1, column 35: \"sockets\": expected array" },
	{ "{\"schema\":\"tcpdoctor/1\",\"n\":tru}", "line 1, column 31: invalid token near 'tru'" },
	{ "{\"schema\":\"tcpdoctor/1\",\"host\":\"h\",\"kernel\":\"k\",\"meta\":{\"time_ns\":1},\n"
	  "\"sockets\":[{\"a\":1} {}]}", "line 2, column 12: socket 1: missing \"family\"" },
	/* A member twice: at the top, inside a header member, inside a socket. */
	{ "{\"schema\":\"tcpdoctor/1\",\"host\":\"h\",\"host\":\"i\",\"sockets\":[]}",
	  "line 1, column 36: duplicate member \"host\"" },
	{ "{\"schema\":\"tcpdoctor/1\",\"x\":1,\"x\":2,\"sockets\":[]}",
	  "line 1, column 31: duplicate member \"x\"" },
	{ "{\"schema\":\"tcpdoctor/1\",\"sockets\":[],\"sockets\":[]}",
	  "line 1, column 38: duplicate member \"sockets\"" },
	{ "{\"schema\":\"tcpdoctor/1\",\"meta\":{\"time_ns\":1,\"time_ns\":2},\"sockets\":[]}",
	  "line 1, column 53: duplicate member \"time_ns\"" },
	{ "{\"schema\":\"tcpdoctor/1\",\"host\":\"h\",\"kernel\":\"k\",\"meta\":{\"time_ns\":1},\n"
	  "\"sockets\":[{\"family\":\"ipv4\",\"family\":\"ipv6\"}]}",
	  "line 2, column 36: duplicate member \"family\"" },
	/* The header's size is bounded; an unknown member is still checked. */
	{ "{\"schema\":\"tcpdoctor/1\",\"x\":[1,2,}", "line 1, column 34: unexpected token near '}'" },
	{ "{\"schema\":\"tcpdoctor/1\",\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\":1}",
	  "line 1, column 25: a member name longer than 128 bytes" },
};

START_TEST(test_snapfile_open_bad_table)
{
	const char *msg, *p;
	int code;

	msg = load_error(bad[_i].text, &code);
	ck_assert_int_eq(code, EBADMSG);
	p = strstr(msg, "': ");
	ck_assert_msg(p != NULL, "%s", msg);
	ck_assert_str_eq(p + 3, bad[_i].msg);
}
END_TEST

/* A jansson error inside a socket is reported at its place in the file. */
START_TEST(test_snapfile_error_inside_socket_position)
{
	char text[1024];
	const char *msg;
	int code;

	snprintf(text, sizeof(text), "%s\"sockets\": [\n  {\"family\": \"ipv4\",\n"
	    "   \"state\": }\n]}\n", head);
	msg = load_error(text, &code);
	ck_assert_int_eq(code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(msg, "line 4, column 13: "));
}
END_TEST

START_TEST(test_snapfile_bad_socket_field)
{
	char text[1024];
	const char *msg;
	int code;

	snprintf(text, sizeof(text), "%s\"sockets\": [\n  {\"family\": \"ipv4\", \"state\": "
	    "\"LISTEN\", \"kind\": \"full\", \"src\": \"1.2.3.4\", \"dst\": \"0.0.0.0\", "
	    "\"sport\": 70000, \"dport\": 0, \"rqueue\": 0, \"wqueue\": 0, \"inode\": 1}]}\n", head);
	msg = load_error(text, &code);
	ck_assert_int_eq(code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(msg, "line 3, column 3: socket 1: \"sport\" is out of range"));

	snprintf(text, sizeof(text), "%s\"sockets\": [{\"family\": \"ipv4\", \"state\": "
	    "\"LISTENING\"}]}\n", head);
	msg = load_error(text, &code);
	ck_assert_ptr_nonnull(strstr(msg, "\"state\" 'LISTENING' is not a kernel state name"));

	snprintf(text, sizeof(text), "%s\"sockets\": [{\"family\": \"ipv6\", \"state\": "
	    "\"LISTEN\", \"kind\": \"full\", \"src\": \"1.2.3.4\"}]}\n", head);
	msg = load_error(text, &code);
	ck_assert_ptr_nonnull(strstr(msg, "\"src\" is not an IPv6 address: '1.2.3.4'"));
}
END_TEST

START_TEST(test_snapfile_schema)
{
	const char *msg;
	int code;

	msg = load_error("{\"schema\":\"tcpdoctor/2\",\"sockets\":[]}", &code);
	ck_assert_int_eq(code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(msg, "not a tcpdoctor/1 snapshot (schema 'tcpdoctor/2')"));
	msg = load_error("{\"sockets\":[]}", &code);
	ck_assert_ptr_nonnull(strstr(msg, "not a tcpdoctor/1 snapshot (schema missing)"));
	msg = load_error("{\"schema\":\"tcpdoctor/1\",\"sockets\":[]}", &code);
	ck_assert_ptr_nonnull(strstr(msg, "header: missing \"host\""));
}
END_TEST

START_TEST(test_snapfile_missing_file)
{
	struct td_snapshot snap;
	struct td_err err = { 0 };

	ck_assert_ptr_null(snapfile_open("/nonexistent/snap.json", &snap, &err));
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_str_eq(err.msg, "--from '/nonexistent/snap.json': No such file or directory");
}
END_TEST

START_TEST(test_snapfile_empty_sockets)
{
	struct td_snapshot snap, s2;
	struct recs *r = calloc(1, sizeof(*r)), *b = calloc(1, sizeof(*b));
	struct snapfile_reader *rd;
	struct td_err err = { 0 };
	char *path = tmpname();

	header(&snap);
	save(path, &snap, r);
	rd = load(path, &s2, b, &err);
	ck_assert_msg(rd != NULL, "%s", err.msg);
	ck_assert_uint_eq(b->n, 0);
	snapfile_close(rd);
	unlink(path);
	free(r);
	free(b);
}
END_TEST

/* ---- The snapshot file (format 2: snapshot -o) ---- */

/*
 * Save r as a snapshot file: the sockets in the order of idx (both
 * families mixed, as one kernel walk gives them), with table their
 * owners in the owners table, as snapsave_live() writes them.
 */
static void
save_file(const char *path, const struct td_snapshot *snap, const struct recs *r,
    const size_t *idx, bool table, unsigned int flags)
{
	struct snapfile_writer w;
	struct td_err err = { 0 };
	struct td_sock *sk = malloc(sizeof(*sk));
	FILE *fp = fopen(path, "w");
	const uint64_t *held;
	size_t i, j, n;

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(snapfile_begin_file(&w, fp, snap, "snapshot",
	    flags | (table ? SNAPFILE_OWNERS_TABLE : 0), &err), 0);
	for (i = 0; i < r->n; i++) {
		*sk = r->sk[idx[i]];
		if (table) {	/* the walk knows no owner yet */
			sk->has_owner = false;
			sk->owner_status = TD_OWNER_NA;
			sk->nowners = 0;
			sk->owners_more = 0;
			sk->pid = 0;
			sk->comm[0] = '\0';
			memset(sk->owners, 0, sizeof(sk->owners));
		}
		ck_assert_int_eq(snapfile_put_sock(sk, &w, &err), 0);
	}
	if (table) {
		n = snapfile_held(&w, &held);
		for (i = 0; i < n; i++) {
			for (j = 0; j < r->n && r->sk[j].inode != held[i] >> 8; j++)
				;
			ck_assert_uint_lt(j, r->n);
			ck_assert_uint_eq(held[i] & 0xff, r->sk[j].state);
			if (i > 0)
				ck_assert_uint_gt(held[i] >> 8, held[i - 1] >> 8);
			ck_assert_int_eq(snapfile_put_owner(&w, &r->sk[j], &err), 0);
		}
	}
	ck_assert_int_eq(snapfile_end(&w, &err), 0);
	fclose(fp);
	free(sk);
}

static char *
file_bytes(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *b;

	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	*len = (size_t)ftell(fp);
	rewind(fp);
	b = malloc(*len + 1);
	ck_assert_uint_eq(fread(b, 1, *len, fp), *len);
	fclose(fp);
	return b;
}

/* The sockets mixed (v6, v4, v6, ...) as one walk of both families gives them. */
static void
mixed_order(const struct recs *r, size_t *idx)
{
	size_t i, n = 0, v4 = 0, v6 = 0;

	while (v4 < r->n || v6 < r->n) {
		for (; v6 < r->n && r->sk[v6].family != AF_INET6; v6++)
			;
		if (v6 < r->n)
			idx[n++] = v6++;
		for (; v4 < r->n && r->sk[v4].family != AF_INET; v4++)
			;
		if (v4 < r->n)
			idx[n++] = v4++;
	}
	ck_assert_uint_eq(n, r->n);
	for (i = 0; i < 15; i++)	/* real_records: IPv4 first */
		ck_assert_int_eq(r->sk[i].family, AF_INET);
}

START_TEST(test_format2_roundtrip)
{
	struct recs *r = real_records(), *b = calloc(1, sizeof(*b)), *c = calloc(1, sizeof(*c));
	struct td_snapshot snap, s2;
	struct snapfile_reader *rd;
	struct td_err err = { 0 };
	size_t idx[MAXSOCK], i, la, lb;
	char pa[64], pb[64], pc[64], *ta, *tb;
	int table;

	header(&snap);
	mixed_order(r, idx);
	ck_assert(r->sk[1].inode != 0 && r->sk[2].inode != 0);
	snprintf(pa, sizeof(pa), "%s", tmpname());
	snprintf(pb, sizeof(pb), "%s", tmpname());
	snprintf(pc, sizeof(pc), "%s", tmpname());
	for (table = 0; table < 2; table++) {
		save_file(pa, &snap, r, idx, table, SNAPFILE_THREADED);
		save_file(pb, &snap, r, idx, table, 0);
		/* Compressed by a helper thread or by the writer: the same bytes. */
		ta = file_bytes(pa, &la);
		tb = file_bytes(pb, &lb);
		ck_assert(la == lb && memcmp(ta, tb, la) == 0);
		ck_assert(memcmp(ta + 8, SNAPFILE_TAG, sizeof(SNAPFILE_TAG) - 1) == 0);
		free(ta);
		free(tb);
		/* Read back: IPv4 first, each family in the file's order, owners joined. */
		rd = load(pa, &s2, b, &err);
		ck_assert_msg(rd != NULL, "%s", err.msg);
		ck_assert_uint_eq(b->n, r->n);
		for (i = 0; i < r->n; i++) {
			struct td_sock want = r->sk[i];

			clamp(&want);
			ck_assert_msg(memcmp(&b->sk[i], &want, sizeof(want)) == 0,
			    "table %d: record %zu differs", table, i);
		}
		ck_assert_str_eq(s2.meta.host, "vm");
		ck_assert_uint_eq(s2.ctr.present[0], snap.ctr.present[0]);
		/* Walked again, and by family: the same. */
		memset(c, 0, sizeof(*c));
		ck_assert_int_eq(snapfile_walk(rd, 0, 0, keep, c, &err), 0);
		ck_assert(memcmp(c, b, sizeof(*b)) == 0);
		memset(c, 0, sizeof(*c));
		ck_assert_int_eq(snapfile_walk(rd, 0, AF_INET6, keep, c, &err), 0);
		ck_assert_uint_eq(c->n, 11);
		ck_assert(memcmp(&c->sk[0], &b->sk[15], sizeof(c->sk[0])) == 0);
		snapfile_close(rd);
		/* Saved again from what was read, as plain JSON: the plain save's bytes. */
		save(pc, &s2, b);
		save(pb, &s2, r);
		ta = file_bytes(pb, &la);
		tb = file_bytes(pc, &lb);
		for (i = 0; i < r->n; i++)
			clamp(&r->sk[i]);
		ck_assert(la == lb && memcmp(ta, tb, la) == 0);
		free(ta);
		free(tb);
	}
	unlink(pa);
	unlink(pb);
	unlink(pc);
	free(r);
	free(b);
	free(c);
}
END_TEST

/* What SNAPFILE_SOCK_MINI leaves out of a timewait or request socket, and reads back as 0. */
START_TEST(test_format2_mini_members)
{
	struct recs *r = real_records();
	struct td_err err = { 0 };
	struct td_sock back, odd;
	char *text = NULL;
	size_t len = 0, i, nmini = 0;
	struct jw w;
	json_t *o;
	FILE *fp;

	for (i = 0; i < r->n; i++) {
		const struct td_sock *sk = &r->sk[i];
		bool mini = sk->kind != TD_SK_FULL;

		fp = open_memstream(&text, &len);
		jw_init(&w, fp, JW_COMPACT);
		jw_obj(&w, NULL);
		snapfile_sock_members(&w, sk, SNAPFILE_SOCK_MINI);
		jw_end(&w);
		ck_assert_int_eq(jw_flush(&w), 0);
		fclose(fp);
		ck_assert_msg((strstr(text, "\"rqueue\"") == NULL) == mini, "%zu: %s", i, text);
		ck_assert((strstr(text, "\"uid\"") == NULL) == mini);
		ck_assert((strstr(text, "\"v6only\"") == NULL) == mini);
		ck_assert(strstr(text, "\"cookie\"") != NULL && strstr(text, "\"mark\"") != NULL);
		ck_assert((strstr(text, "\"retrans\"") == NULL) == (sk->kind == TD_SK_TW));
		nmini += mini;
		o = json_loads(text, 0, NULL);
		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(snapfile_sock_from_json(o, &back, &err), 0);
		json_decref(o);
		odd = *sk;
		clamp(&odd);
		ck_assert_msg(memcmp(&back, &odd, sizeof(odd)) == 0, "record %zu differs", i);
		free(text);
		text = NULL;
	}
	ck_assert_uint_eq(nmini, 9);	/* 5 request, 3 TIME_WAIT and 1 FIN_WAIT2 timewait */
	/* One that says more than its kind has (from a file) keeps every member. */
	for (i = 0; i < r->n && r->sk[i].kind != TD_SK_TW; i++)
		;
	odd = r->sk[i];
	odd.uid = 1000;
	fp = open_memstream(&text, &len);
	jw_init(&w, fp, JW_COMPACT);
	jw_obj(&w, NULL);
	snapfile_sock_members(&w, &odd, SNAPFILE_SOCK_MINI);
	jw_end(&w);
	ck_assert_int_eq(jw_flush(&w), 0);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(text, "\"uid\":1000"));
	ck_assert_ptr_nonnull(strstr(text, "\"rqueue\":0"));
	free(text);
	free(r);
}
END_TEST

/* A file whose bytes are those of a snapshot file with tag (its length) and text after it. */
static void
tagged(const char *path, const char *tag, const void *rest, size_t n)
{
	FILE *fp = fopen(path, "w");
	uint32_t len = (uint32_t)strlen(tag);
	unsigned char h[8] = { 0x5d, 0x2a, 0x4d, 0x18 };
	int i;

	for (i = 0; i < 4; i++)
		h[4 + i] = (unsigned char)(len >> (8 * i));
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(h, 1, 8, fp), 8);
	ck_assert_uint_eq(fwrite(tag, 1, len, fp), len);
	if (n > 0)
		ck_assert_uint_eq(fwrite(rest, 1, n, fp), n);
	fclose(fp);
}

START_TEST(test_format2_tags)
{
	struct td_snapshot snap;
	struct td_err err = { 0 };
	char *path = tmpname();
	FILE *fp;

	tagged(path, "tcpdoctor snapshot 3\n", "x", 1);
	ck_assert_ptr_null(snapfile_open(path, &snap, &err));
	ck_assert_int_eq(err.code, EBADMSG);
	ck_assert_msg(strstr(err.msg, "a snapshot file of format 3; this tcpdoctor reads formats "
	    "1 (JSON) and 2") != NULL, "%s", err.msg);
	memset(&err, 0, sizeof(err));
	tagged(path, "something else\n", "", 0);
	ck_assert_ptr_null(snapfile_open(path, &snap, &err));
	ck_assert_msg(strstr(err.msg, "not a tcpdoctor snapshot (it starts with a zstd skippable "
	    "frame that is not one)") != NULL, "%s", err.msg);
	/* Another skippable frame's magic. */
	fp = fopen(path, "w");
	fwrite("\x50\x2a\x4d\x18\x02\x00\x00\x00hi", 1, 10, fp);
	fclose(fp);
	memset(&err, 0, sizeof(err));
	ck_assert_ptr_null(snapfile_open(path, &snap, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "that is not one"));
	/* Ours, then no zstd frame: the document is missing. */
	memset(&err, 0, sizeof(err));
	tagged(path, SNAPFILE_TAG, "", 0);
	ck_assert_ptr_null(snapfile_open(path, &snap, &err));
	ck_assert_int_eq(err.code, EBADMSG);
	ck_assert_msg(strstr(err.msg, "empty file") != NULL, "%s", err.msg);
	/* Ours, then plain text where the frames belong. */
	memset(&err, 0, sizeof(err));
	tagged(path, SNAPFILE_TAG, "{\"schema\":\"tcpdoctor/1\",\"sockets\":[]}", 36);
	ck_assert_ptr_null(snapfile_open(path, &snap, &err));
	ck_assert_int_eq(err.code, EBADMSG);
	ck_assert_msg(strstr(err.msg, "damaged compressed data (zstd: ") != NULL, "%s", err.msg);
	unlink(path);
}
END_TEST

/* Cut a snapshot file anywhere, or change any byte: a clean error (or, changed, a clean load). */
START_TEST(test_format2_cut_and_corrupt)
{
	struct recs *r = real_records(), *b = calloc(1, sizeof(*b));
	struct td_snapshot snap, s2;
	struct snapfile_reader *rd;
	char *path = tmpname(), cut[64], *text;
	size_t idx[MAXSOCK], len, i;

	header(&snap);
	mixed_order(r, idx);
	save_file(path, &snap, r, idx, true, 0);
	text = file_bytes(path, &len);
	snprintf(cut, sizeof(cut), "%s", tmpname());
	for (i = 0; i < len; i++) {
		struct td_err err = { 0 };

		write_file(cut, text, i);
		rd = load(cut, &s2, b, &err);
		ck_assert_msg(rd == NULL, "prefix of %zu bytes loaded", i);
		ck_assert_msg(err.code == EBADMSG && strncmp(err.msg, "--from '", 8) == 0,
		    "prefix %zu: code %d: %s", i, err.code, err.msg);
	}
	for (i = 0; i < len; i++) {
		struct td_err err = { 0 };

		text[i] ^= 0x21;
		write_file(cut, text, len);
		text[i] ^= 0x21;
		rd = load(cut, &s2, b, &err);
		/* The tag's text, or the frames' checksums: never a silent change. */
		ck_assert_msg(rd == NULL && err.code == EBADMSG, "byte %zu changed: loaded", i);
		snapfile_close(rd);
	}
	unlink(cut);
	unlink(path);
	free(text);
	free(r);
	free(b);
}
END_TEST

static const struct {
	const char	*text;
	const char	*msg;
} bad_owners[] = {
	{ "\"owners\":{}}", "\"owners\": expected array" },
	{ "\"owners\":[1]}", "line 3, column 11: expected object" },
	{ "\"owners\":[{\"owner\":{\"pid\":1}}]}", "owners entry 1: missing \"inode\"" },
	{ "\"owners\":[{\"inode\":0,\"owner_unseen\":\"skipped\"}]}",
	  "owners entry 1: \"inode\" 0 is not above the entry before's" },
	{ "\"owners\":[{\"inode\":9,\"owner_unseen\":\"skipped\"},{\"inode\":9}]}",
	  "owners entry 2: \"inode\" 9 is not above the entry before's" },
	{ "\"owners\":[{\"inode\":9,\"owner_unseen\":\"gone\"}]}",
	  "owners entry 1: \"owner_unseen\" is not \"unreadable\" or \"skipped\"" },
	{ "\"owners\":[{\"inode\":7,\"owner_unseen\":\"skipped\"}]}",
	  "socket 1: owner members both here and in the owners table (inode 7)" },
	{ "\"owners\":[],\"owners\":[]}", "duplicate member \"owners\"" },
};

START_TEST(test_format2_bad_owners)
{
	char text[1024];
	const char *msg;
	int code;

	snprintf(text, sizeof(text), "%s\"sockets\":[{\"family\":\"ipv4\",\"state\":\"LISTEN\","
	    "\"kind\":\"full\",\"src\":\"1.2.3.4\",\"dst\":\"0.0.0.0\",\"sport\":80,\"dport\":0,"
	    "\"rqueue\":0,\"wqueue\":0,\"inode\":7,\"owner_unseen\":\"unreadable\"}],\n%s", head,
	    bad_owners[_i].text);
	msg = load_error(text, &code);
	ck_assert_int_eq(code, EBADMSG);
	ck_assert_msg(strstr(msg, bad_owners[_i].msg) != NULL, "%s", msg);
}
END_TEST

/* Plain JSON with a table and mini sockets (zstd -d of a file) reads the same, in file order. */
START_TEST(test_format2_plain_table)
{
	char text[2048];
	struct td_snapshot snap;
	struct snapfile_reader *rd;
	struct td_err err = { 0 };
	struct recs *b = calloc(1, sizeof(*b));
	char *path = tmpname();

	snprintf(text, sizeof(text), "%s\"sockets\":[\n"
	    "{\"family\":\"ipv6\",\"state\":\"TIME_WAIT\",\"kind\":\"timewait\",\"src\":\"::1\","
	    "\"sport\":1,\"dst\":\"::1\",\"dport\":2,\"ifindex\":0,\"timer\":{\"name\":\"timewait\","
	    "\"expires_ms\":5},\"cookie\":3,\"mark\":0},\n"
	    "{\"family\":\"ipv4\",\"state\":\"LISTEN\",\"kind\":\"full\",\"src\":\"1.2.3.4\","
	    "\"dst\":\"0.0.0.0\",\"sport\":80,\"dport\":0,\"rqueue\":0,\"wqueue\":0,\"inode\":7}],\n"
	    "\"owners\":[{\"inode\":7,\"owner\":{\"pid\":42,\"comm\":\"a\"},\"owners\":[{\"pid\":42,"
	    "\"comm\":\"a\",\"fd\":3},{\"pid\":43,\"comm\":\"b\",\"fd\":4}],\"owners_more\":2},"
	    "{\"inode\":8,\"owner_unseen\":\"skipped\"}]}\n", head);
	write_file(path, text, strlen(text));
	rd = load(path, &snap, b, &err);
	ck_assert_msg(rd != NULL, "%s", err.msg);
	ck_assert_uint_eq(b->n, 2);
	ck_assert_int_eq(b->sk[0].family, AF_INET6);	/* plain text: file order */
	ck_assert_uint_eq(b->sk[0].rqueue, 0);
	ck_assert_uint_eq(b->sk[0].timer_ms, 5);
	ck_assert(b->sk[1].has_owner && b->sk[1].pid == 42 && b->sk[1].nowners == 2);
	ck_assert_int_eq(b->sk[1].owners[1].fd, 4);
	ck_assert_str_eq(b->sk[1].owners[1].comm, "b");
	ck_assert_uint_eq(b->sk[1].owners_more, 2);
	ck_assert_int_eq(b->sk[1].owner_status, TD_OWNER_FOUND);
	snapfile_close(rd);
	/* A full socket still needs its queues. */
	snprintf(text, sizeof(text), "%s\"sockets\":[{\"family\":\"ipv4\",\"state\":\"LISTEN\","
	    "\"kind\":\"full\",\"src\":\"1.2.3.4\",\"dst\":\"0.0.0.0\",\"sport\":80,\"dport\":0,"
	    "\"wqueue\":0,\"inode\":7}]}\n", head);
	write_file(path, text, strlen(text));
	memset(&err, 0, sizeof(err));
	ck_assert_ptr_null(load(path, &snap, b, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "socket 1: missing \"rqueue\""));
	unlink(path);
	free(b);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/snapfile");
	TCase *tc;

	tc = tcase_create("snapfile_json");
	tcase_add_test(tc, test_snapfile_sock_json_fields);
	tcase_add_test(tc, test_snapfile_sock_roundtrip_real_records);
	tcase_add_test(tc, test_snapfile_counters_and_sysctls_json);
	tcase_add_test(tc, test_snapfile_sock_writer_real_records);
	tcase_add_test(tc, test_snapfile_sock_writer_edges);
	tcase_add_test(tc, test_snapfile_sock_writer_saved_fixtures);
	tcase_add_test(tc, test_snapfile_line_heads);
	suite_add_tcase(s, tc);

	tc = tcase_create("snapfile_file");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_snapfile_save_load_roundtrip);
	tcase_add_loop_test(tc, test_snapfile_walk_filters, 0,
	    (int)(sizeof(filters) / sizeof(filters[0])));
	tcase_add_test(tc, test_snapfile_truncated_everywhere);
	tcase_add_test(tc, test_snapfile_corrupt_bytes);
	tcase_add_test(tc, test_snapfile_empty_sockets);
	suite_add_tcase(s, tc);

	tc = tcase_create("snapfile_errors");
	tcase_add_loop_test(tc, test_snapfile_open_bad_table, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_snapfile_error_inside_socket_position);
	tcase_add_test(tc, test_snapfile_bad_socket_field);
	tcase_add_test(tc, test_snapfile_schema);
	tcase_add_test(tc, test_snapfile_missing_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("snapfile_format2");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_format2_roundtrip);
	tcase_add_test(tc, test_format2_mini_members);
	tcase_add_test(tc, test_format2_tags);
	tcase_add_test(tc, test_format2_cut_and_corrupt);
	tcase_add_loop_test(tc, test_format2_bad_owners, 0,
	    (int)(sizeof(bad_owners) / sizeof(bad_owners[0])));
	tcase_add_test(tc, test_format2_plain_table);
	suite_add_tcase(s, tc);
	return s;
}
