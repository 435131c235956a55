/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/source.c: the live source against a socket this
 * test opens (sock_diag works without privileges) and the procfs
 * fixtures, and the file source against a snapshot it saves first.
 */
#include "tests/unit/check_main.h"
#include "tests/unit/collectors/fixture.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapfile.h"
#include "collectors/source.h"

struct find {
	uint64_t	inode;		/* the socket to look for */
	size_t		n, found;
	struct td_sock	sk;
	unsigned int	states;		/* every socket seen must be in these */
	int		family;
};

static int
look(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct find *f = arg;

	(void)err;
	f->n++;
	if (f->states != 0)
		ck_assert_msg(f->states & TD_STATE_BIT(sk->state), "state %u", sk->state);
	if (f->family != 0)
		ck_assert_uint_eq(sk->family, f->family);
	if (sk->inode == f->inode) {
		f->found++;
		f->sk = *sk;
	}
	return 0;
}

/* A listener on 127.0.0.1, an ephemeral port; returns the fd, sets *ino. */
static int
listener(uint64_t *ino, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct stat st;
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 7), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	*ino = (uint64_t)st.st_ino;
	*port = ntohs(a.sin_port);
	return fd;
}

START_TEST(test_source_walk_live_finds_own_listener)
{
	struct td_source src = { .proc_root = "/proc", .want_info = true, .want_owner = true,
	    .states = TD_STATE_BIT(TD_ST_LISTEN), .family = AF_INET };
	struct td_err err = { 0 };
	struct find f = { .states = TD_STATE_BIT(TD_ST_LISTEN), .family = AF_INET };
	uint16_t port;
	int fd = listener(&f.inode, &port);

	ck_assert_int_eq(source_walk(&src, look, &f, &err), 0);
	ck_assert_uint_eq(f.found, 1);
	ck_assert_uint_eq(f.sk.sport, port);
	ck_assert_uint_eq(f.sk.wqueue, 7);		/* the backlog (F13) */
	ck_assert_uint_eq(f.sk.kind, TD_SK_FULL);
	ck_assert(f.sk.has_tcpi && f.sk.has_skmem);
	ck_assert(f.sk.has_owner);
	ck_assert_int_eq(f.sk.pid, getpid());
	source_close(&src);
	close(fd);
}
END_TEST

/*
 * The one /proc scan keeps every held socket up to owner_collect; past it
 * (this host holds more than one) the walk falls back to a dump for the
 * wanted inodes and a scan for just those: the owner is found either way.
 */
START_TEST(test_source_walk_live_owner_fallback)
{
	size_t caps[] = { 0, 1 }, i;

	for (i = 0; i < 2; i++) {
		struct td_source src = { .proc_root = "/proc", .want_owner = true,
		    .owner_collect = caps[i], .states = TD_STATE_BIT(TD_ST_LISTEN), .family = AF_INET };
		struct find f = { .states = TD_STATE_BIT(TD_ST_LISTEN), .family = AF_INET };
		struct td_err err = { 0 };
		uint16_t port;
		int fd = listener(&f.inode, &port), fd2 = dup(fd);

		ck_assert_int_ge(fd2, 0);
		ck_assert_int_eq(source_walk(&src, look, &f, &err), 0);
		ck_assert_uint_eq(f.found, 1);
		ck_assert(f.sk.has_owner);
		ck_assert_int_eq(f.sk.owner_status, TD_OWNER_FOUND);
		/* Both descriptors, lowest first. */
		ck_assert_uint_eq(f.sk.nowners, 2);
		ck_assert_int_eq(f.sk.owners[0].pid, getpid());
		ck_assert_int_eq(f.sk.owners[0].fd, fd);
		ck_assert_int_eq(f.sk.owners[1].fd, fd2);
		ck_assert_uint_eq(src.procs.skipped_inodes, 0);
		ck_assert_uint_gt(src.procs.processes, 0);
		source_close(&src);
		close(fd2);
		close(fd);
	}
}
END_TEST

struct split {
	uint64_t	lsn, cli;	/* the listener's inode, the client end's */
	size_t		n_lsn, n_cli;
	struct td_sock	l, c;
};

static int
look_split(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct split *s = arg;

	(void)err;
	ck_assert_msg(sk->state == TD_ST_LISTEN || sk->state == TD_ST_ESTABLISHED, "state %u",
	    sk->state);
	if (sk->inode == s->lsn) {
		s->n_lsn++;
		s->l = *sk;
	} else if (sk->inode == s->cli) {
		s->n_cli++;
		s->c = *sk;
	}
	return 0;
}

/*
 * Owners asked for some states only, sockets in any order: the /proc scan
 * may run in a thread beside the dump of the other states (two CPUs), or
 * not (TD_OWNERS_SEQUENTIAL=1): the same sockets and owners either way,
 * through the fallback past owner_collect too, and the same error when
 * /proc cannot be read.
 */
START_TEST(test_source_walk_live_owner_split)
{
	const char *seq[] = { "1", "0" };
	size_t caps[] = { 0, 1 }, i, k;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct stat st;
	struct split s = { 0 };
	uint16_t port;
	int lfd = listener(&s.lsn, &port), cfd, afd;
	struct td_err e1 = { 0 }, e2 = { 0 };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&a, alen), 0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	ck_assert_int_eq(fstat(cfd, &st), 0);
	s.cli = (uint64_t)st.st_ino;
	for (k = 0; k < 2; k++) {
		setenv("TD_OWNERS_SEQUENTIAL", seq[k], 1);
		for (i = 0; i < 2; i++) {
			struct td_source src = { .proc_root = "/proc", .want_owner = true,
			    .any_order = true, .owner_collect = caps[i], .family = AF_INET,
			    .owner_states = TD_STATE_BIT(TD_ST_LISTEN),
			    .states = TD_STATE_BIT(TD_ST_LISTEN) | TD_STATE_BIT(TD_ST_ESTABLISHED) };
			struct td_err err = { 0 };

			memset(&s.n_lsn, 0, sizeof(s) - offsetof(struct split, n_lsn));
			ck_assert_int_eq(source_walk(&src, look_split, &s, &err), 0);
			ck_assert_uint_eq(s.n_lsn, 1);
			ck_assert_uint_eq(s.n_cli, 1);
			ck_assert_int_eq(s.l.owner_status, TD_OWNER_FOUND);
			ck_assert_int_eq(s.l.pid, getpid());
			ck_assert_int_eq(s.c.owner_status, TD_OWNER_NA);	/* not asked */
			ck_assert(!s.c.has_owner);
			ck_assert_uint_gt(src.procs.processes, 0);
			source_close(&src);
		}
	}
	/* /proc unreadable: the same error both ways. */
	for (k = 0; k < 2; k++) {
		struct td_source src = { .proc_root = "/nonexistent-td-proc", .want_owner = true,
		    .any_order = true, .family = AF_INET, .owner_states = TD_STATE_BIT(TD_ST_LISTEN),
		    .states = TD_STATE_BIT(TD_ST_LISTEN) | TD_STATE_BIT(TD_ST_ESTABLISHED) };

		setenv("TD_OWNERS_SEQUENTIAL", seq[k], 1);
		ck_assert_int_eq(source_walk(&src, look_split, &s, k == 0 ? &e1 : &e2), -1);
		source_close(&src);
	}
	ck_assert_int_eq(e1.code, e2.code);
	ck_assert_str_eq(e1.msg, e2.msg);
	unsetenv("TD_OWNERS_SEQUENTIAL");
	close(afd);
	close(cfd);
	close(lfd);
}
END_TEST

/* The family filter: the IPv4 listener is not in an IPv6-only walk. */
START_TEST(test_source_walk_live_family)
{
	struct td_source src = { .proc_root = "/proc", .family = AF_INET6 };
	struct td_err err = { 0 };
	struct find f = { .family = AF_INET6 };
	uint16_t port;
	int fd = listener(&f.inode, &port);

	ck_assert_int_eq(source_walk(&src, look, &f, &err), 0);
	ck_assert_uint_eq(f.found, 0);
	close(fd);
}
END_TEST

START_TEST(test_source_walk_bad_family)
{
	struct td_source src = { .proc_root = "/proc", .family = 99 };
	struct td_err err = { 0 };
	struct find f = { 0 };

	ck_assert_int_eq(source_walk(&src, look, &f, &err), -1);
	ck_assert_int_eq(err.code, EAFNOSUPPORT);
}
END_TEST

START_TEST(test_source_header_live_fixture_root)
{
	struct td_source src = { .proc_root = fixture_path("proc", "old-kernel"),
	    .netns_label = "web" };
	struct td_snapshot snap;
	struct td_err err = { 0 };

	ck_assert_int_eq(source_header(&src, &snap, &err), 0);
	ck_assert_str_eq(snap.meta.source, "live");
	ck_assert_str_eq(snap.meta.netns, "web");
	ck_assert_str_ne(snap.meta.kernel, "");
	ck_assert_str_eq(snap.meta.boot_id, "");	/* not in the fixture */
	ck_assert_int_gt(snap.meta.time_ns, 0);
	ck_assert_uint_gt(snap.meta.netns_ino, 0);
	/* Counters and sysctls come from the fixture root. */
	ck_assert(!snap.ctr.present[TD_CTR_TW_OVERFLOW]);
	ck_assert_uint_eq(snap.ctr.v[TD_CTR_TW], 10);
	ck_assert(snap.sys.s[TD_SYS_TW_RECYCLE].readable);
	source_close(&src);
}
END_TEST

START_TEST(test_source_header_live_malformed)
{
	struct td_source src = { .proc_root = fixture_path("proc", "malformed") };
	struct td_snapshot snap;
	struct td_err err = { 0 };

	ck_assert_int_eq(source_header(&src, &snap, &err), -1);
	ck_assert_int_eq(err.code, EBADMSG);
}
END_TEST

/* Save the live LISTEN sockets, then read them back through --from. */
START_TEST(test_source_from_file)
{
	struct td_source live = { .proc_root = fixture_path("proc", "linux-6.18"),
	    .states = TD_STATE_BIT(TD_ST_LISTEN) };
	struct td_source file = { 0 };
	struct snapfile_writer w;
	struct td_snapshot snap, back;
	struct td_err err = { 0 };
	struct find f = { .states = TD_STATE_BIT(TD_ST_LISTEN) }, g = { 0 };
	char path[] = "/tmp/td-source-XXXXXX";
	uint16_t port;
	int fd = listener(&f.inode, &port), tfd;
	FILE *fp;

	g.inode = f.inode;
	tfd = mkstemp(path);
	ck_assert_int_ge(tfd, 0);
	fp = fdopen(tfd, "w");
	ck_assert_int_eq(source_header(&live, &snap, &err), 0);
	ck_assert_int_eq(snapfile_begin(&w, fp, &snap, "snapshot", &err), 0);
	ck_assert_int_eq(source_walk(&live, snapfile_put_sock, &w, &err), 0);
	ck_assert_int_eq(snapfile_end(&w, &err), 0);
	fclose(fp);
	ck_assert_uint_ge(w.nsocks, 1);

	/* A walk without a header call opens the file itself. */
	file.from = path;
	ck_assert_int_eq(source_walk(&file, look, &g, &err), 0);
	ck_assert_uint_eq(g.found, 1);
	ck_assert_uint_eq(g.n, w.nsocks);
	ck_assert_uint_eq(g.sk.sport, port);
	source_close(&file);
	source_close(&file);				/* twice is fine */

	memset(&file, 0, sizeof(file));
	file.from = path;
	file.states = TD_STATE_BIT(TD_ST_ESTABLISHED);
	ck_assert_int_eq(source_header(&file, &back, &err), 0);
	ck_assert_str_eq(back.meta.source, "file");
	ck_assert(memcmp(&back.ctr, &snap.ctr, sizeof(snap.ctr)) == 0);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(source_walk(&file, look, &g, &err), 0);
	ck_assert_uint_eq(g.n, 0);			/* only LISTEN was saved */
	source_close(&file);

	memset(&file, 0, sizeof(file));
	file.from = "/nonexistent/snap.json";
	ck_assert_int_eq(source_header(&file, &back, &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	source_close(&file);
	unlink(path);
	close(fd);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/source");
	TCase *tc;

	tc = tcase_create("source_walk");
	tcase_add_test(tc, test_source_walk_live_finds_own_listener);
	tcase_add_test(tc, test_source_walk_live_owner_fallback);
	tcase_add_test(tc, test_source_walk_live_owner_split);
	tcase_add_test(tc, test_source_walk_live_family);
	tcase_add_test(tc, test_source_walk_bad_family);
	suite_add_tcase(s, tc);
	tc = tcase_create("source_header");
	tcase_add_test(tc, test_source_header_live_fixture_root);
	tcase_add_test(tc, test_source_header_live_malformed);
	suite_add_tcase(s, tc);
	tc = tcase_create("source_from");
	tcase_add_test(tc, test_source_from_file);
	suite_add_tcase(s, tc);
	return s;
}
