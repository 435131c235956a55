/* SPDX-License-Identifier: MIT */
/* Tests for collectors/tracefs.c: parsing trace_pipe lines recorded on 6.18. */
#include "tests/unit/check_main.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "collectors/tracefs.h"

static const char v4_line[] =
    "         python3-18409   [001] ..s2.  1925.176341: inet_sock_set_state: family=AF_INET "
    "protocol=IPPROTO_TCP sport=54897 dport=58198 saddr=127.0.0.1 daddr=127.0.0.1 "
    "saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 oldstate=TCP_LISTEN newstate=TCP_SYN_RECV";
static const char v6_line[] =
    "        kconform-18390   [000] bN.1.  1925.847887: inet_sock_set_state: family=AF_INET6 "
    "protocol=IPPROTO_TCP sport=20030 dport=20031 saddr=127.0.0.6 daddr=127.0.0.6 "
    "saddrv6=2001:db8:7464::87:47:1 daddrv6=2001:db8:7464::87:47:2 oldstate=TCP_SYN_RECV "
    "newstate=TCP_ESTABLISHED";
static const char anon_line[] =
    "           <...>-18409   [000] .....  1925.172988: inet_sock_set_state: family=AF_INET "
    "protocol=IPPROTO_TCP sport=0 dport=54897 saddr=127.0.0.1 daddr=127.0.0.1 "
    "saddrv6=::ffff:127.0.0.1 daddrv6=::ffff:127.0.0.1 oldstate=TCP_CLOSE newstate=TCP_SYN_SENT";
static const char dash_comm_line[] =
    "   my-app worker-77   [001] .....    12.000001: inet_sock_set_state: family=AF_INET "
    "protocol=IPPROTO_TCP sport=1 dport=2 saddr=198.18.0.1 daddr=198.19.0.1 "
    "saddrv6=::ffff:198.18.0.1 daddrv6=::ffff:198.19.0.1 oldstate=TCP_FIN_WAIT2 newstate=TCP_CLOSE";

static int
count_one(const struct td_trace_ev *ev, void *arg, struct td_err *err)
{
	(void)ev;
	(void)err;
	(*(int *)arg)++;
	return 0;
}

START_TEST(test_tracefs_parse_line_v4)
{
	struct td_trace_ev ev;
	struct td_err err = { 0 };
	char buf[INET6_ADDRSTRLEN];
	struct td_sock tmp = { .family = AF_INET };

	ck_assert_int_eq(tracefs_parse_line(v4_line, 1000, &ev, &err), 1);
	ck_assert_int_eq(ev.family, AF_INET);
	ck_assert_int_eq(ev.oldstate, TD_ST_LISTEN);
	ck_assert_int_eq(ev.newstate, TD_ST_SYN_RECV);
	ck_assert_int_eq(ev.sport, 54897);
	ck_assert_int_eq(ev.dport, 58198);
	ck_assert_str_eq(td_addr_str(&tmp, &ev.src, buf, sizeof(buf)), "127.0.0.1");
	ck_assert_int_eq(ev.pid, 18409);
	ck_assert_str_eq(ev.comm, "python3");
	ck_assert(ev.time_ns == 1925176341000LL + 1000);
}
END_TEST

START_TEST(test_tracefs_parse_line_v6)
{
	struct td_trace_ev ev;
	struct td_err err = { 0 };
	struct in6_addr want;

	ck_assert_int_eq(tracefs_parse_line(v6_line, 0, &ev, &err), 1);
	ck_assert_int_eq(ev.family, AF_INET6);
	inet_pton(AF_INET6, "2001:db8:7464::87:47:2", &want);
	ck_assert(memcmp(&ev.dst, &want, 16) == 0);
	ck_assert_int_eq(ev.newstate, TD_ST_ESTABLISHED);
	ck_assert_str_eq(ev.comm, "kconform");
}
END_TEST

START_TEST(test_tracefs_parse_line_comm)
{
	struct td_trace_ev ev;
	struct td_err err = { 0 };

	ck_assert_int_eq(tracefs_parse_line(anon_line, 0, &ev, &err), 1);
	ck_assert_str_eq(ev.comm, "");
	ck_assert_int_eq(ev.pid, 18409);
	ck_assert_int_eq(ev.sport, 0);
	ck_assert_int_eq(tracefs_parse_line(dash_comm_line, 0, &ev, &err), 1);
	ck_assert_str_eq(ev.comm, "my-app worker");
	ck_assert_int_eq(ev.pid, 77);
}
END_TEST

static const char *const other_lines[] = {
	"# tracer: nop",
	"",
	"   python3-1 [000] ..... 1.0: sched_switch: prev_comm=a",
	"   x-1 [000] ..... 1.0: inet_sock_set_state: family=AF_INET protocol=IPPROTO_SCTP "
	    "sport=1 dport=2 saddr=1.2.3.4 daddr=1.2.3.4 oldstate=TCP_CLOSE newstate=TCP_LISTEN",
};

START_TEST(test_tracefs_parse_line_other)
{
	struct td_trace_ev ev;
	struct td_err err = { 0 };

	ck_assert_int_eq(tracefs_parse_line(other_lines[_i], 0, &ev, &err), 0);
}
END_TEST

static const char *const bad_lines[] = {
	"   x-1 [000] ..... 1.0: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP",
	"   x-1 [000] ..... 1.0: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP "
	    "sport=1 dport=2 saddr=1.2.3.4 daddr=1.2.3.4 oldstate=TCP_BOGUS newstate=TCP_LISTEN",
	"   x-1 [000] ..... 1.0: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP "
	    "sport=99999 dport=2 saddr=1.2.3.4 daddr=1.2.3.4 oldstate=TCP_CLOSE newstate=TCP_LISTEN",
	"   x-1 [000] ..... 1.0: inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP "
	    "sport=1 dport=2 saddr=1.2.3 daddr=1.2.3.4 oldstate=TCP_CLOSE newstate=TCP_LISTEN",
	"inet_sock_set_state: family=AF_INET protocol=IPPROTO_TCP "
	    "sport=1 dport=2 saddr=1.2.3.4 daddr=1.2.3.4 oldstate=TCP_CLOSE newstate=TCP_LISTEN",
	"   x-1 [000] ..... 1.0: inet_sock_set_state: family=AF_UNIX protocol=IPPROTO_TCP",
};

START_TEST(test_tracefs_parse_line_bad)
{
	struct td_trace_ev ev;
	struct td_err err = { 0 };
	char line[512];

	/* The last case has no timestamp at all: prefix it so only that is wrong. */
	snprintf(line, sizeof(line), "%s%s", _i == 4 ? "x: " : "", bad_lines[_i]);
	ck_assert_int_eq(tracefs_parse_line(line, 0, &ev, &err), -1);
	ck_assert(strncmp(err.msg, "trace: ", 7) == 0);
}
END_TEST

/*
 * Timestamps too large for nanoseconds in an int64_t (found by the fuzzer
 * as signed overflows): an error, not undefined behaviour.  The largest
 * accepted value still converts exactly.
 */
static const char *const big_stamps[] = {
	"123456789012345678901234", "9223372036854775808", "9223372036.854775808",
	"99999999999991", "4000000001.0",
};

START_TEST(test_tracefs_parse_line_timestamp_range)
{
	struct td_trace_ev ev;
	struct td_err err = { 0 };
	char line[512];

	snprintf(line, sizeof(line), "   x-1 [000] ..... %s: inet_sock_set_state: family=AF_INET "
	    "protocol=IPPROTO_TCP sport=1 dport=2 saddr=1.2.3.4 daddr=1.2.3.4 oldstate=TCP_CLOSE "
	    "newstate=TCP_LISTEN", big_stamps[_i]);
	ck_assert_int_eq(tracefs_parse_line(line, 0, &ev, &err), -1);
	ck_assert_msg(strstr(err.msg, "trace: timestamp out of range in '") == err.msg, "%s", err.msg);
}
END_TEST

START_TEST(test_tracefs_parse_line_timestamp_limits)
{
	struct td_trace_ev ev;
	struct td_err err = { 0 };
	char line[512];

	snprintf(line, sizeof(line), "   x-1 [000] ..... 4000000000.999999999: inet_sock_set_state: "
	    "family=AF_INET protocol=IPPROTO_TCP sport=1 dport=2 saddr=1.2.3.4 daddr=1.2.3.4 "
	    "oldstate=TCP_CLOSE newstate=TCP_LISTEN");
	ck_assert_int_eq(tracefs_parse_line(line, 0, &ev, &err), 1);
	ck_assert(ev.time_ns == 4000000000999999999LL);
	/* The offset to wall time must not overflow either. */
	ck_assert_int_eq(tracefs_parse_line(line, INT64_MAX - 4000000000999999998LL, &ev, &err), -1);
	ck_assert_msg(strstr(err.msg, "timestamp out of range") != NULL, "%s", err.msg);
	ck_assert_int_eq(tracefs_parse_line(line, INT64_MAX - 4000000000999999999LL, &ev, &err), 1);
	ck_assert(ev.time_ns == INT64_MAX);
}
END_TEST

/* The three tcp events the kernel lab reads (include/trace/events/tcp.h, as 6.18 prints them). */
START_TEST(test_tracefs_parse_line_tcp_events)
{
	struct td_trace_ev ev;
	struct td_err err = { 0 };
	char a[INET6_ADDRSTRLEN];

	ck_assert_int_eq(tracefs_parse_line("  <idle>-0 [001] ..s1.  1080.250000: "
	    "tcp_retransmit_synack: family=AF_INET6 sport=20000 dport=20002 saddr=0.0.0.0 "
	    "daddr=0.0.0.0 saddrv6=2001:db8:7464::1:7:1 daddrv6=2001:db8:7464::1:7:2", 5, &ev,
	    &err), 1);
	ck_assert_int_eq(ev.kind, TD_TRACE_RETRANSMIT_SYNACK);
	ck_assert_int_eq(ev.family, AF_INET6);
	ck_assert_uint_eq(ev.sport, 20000);
	ck_assert_uint_eq(ev.dport, 20002);
	ck_assert(ev.mono_ns == 1080250000000LL);
	ck_assert(ev.time_ns == 1080250000005LL);
	inet_ntop(AF_INET6, &ev.src, a, sizeof(a));
	ck_assert_str_eq(a, "2001:db8:7464::1:7:1");

	ck_assert_int_eq(tracefs_parse_line("  <idle>-0 [001] ..s1.  1081.500000: tcp_send_reset: "
	    "skbaddr=0000 skaddr=0000 src=[2001:db8:7464::1:7:1]:20000 "
	    "dest=[2001:db8:7464::1:7:2]:20003 state=TCP_ESTABLISHED reason=TCP_KEEPALIVE_TIMEOUT",
	    0, &ev, &err), 1);
	ck_assert_int_eq(ev.kind, TD_TRACE_SEND_RESET);
	ck_assert_int_eq(ev.family, AF_INET6);
	ck_assert_uint_eq(ev.sport, 20000);
	ck_assert_uint_eq(ev.dport, 20003);
	ck_assert_str_eq(ev.reason, "TCP_KEEPALIVE_TIMEOUT");

	ck_assert_int_eq(tracefs_parse_line("  x-1 [001] ..s1.  1.5: tcp_send_reset: skbaddr=0 "
	    "skaddr=0 src=198.18.1.7:80 dest=198.19.1.7:4000 state=TCP_LISTEN reason=NOT_SPECIFIED",
	    0, &ev, &err), 1);
	ck_assert_int_eq(ev.family, AF_INET);
	ck_assert_uint_eq(ev.sport, 80);
	ck_assert_uint_eq(ev.dport, 4000);
	inet_ntop(AF_INET6, &ev.dst, a, sizeof(a));
	ck_assert_str_eq(a, "::ffff:198.19.1.7");

	ck_assert_int_eq(tracefs_parse_line("  <idle>-0 [001] ..s1.  1082.000000: "
	    "tcp_receive_reset: family=AF_INET sport=20000 dport=20004 saddr=198.18.1.7 "
	    "daddr=198.19.1.7 saddrv6=::ffff:198.18.1.7 daddrv6=::ffff:198.19.1.7 sock_cookie=1a",
	    0, &ev, &err), 1);
	ck_assert_int_eq(ev.kind, TD_TRACE_RECEIVE_RESET);
	ck_assert_uint_eq(ev.dport, 20004);
}
END_TEST

static const char *const bad_resets[] = {
	"src=198.18.1.7 dest=198.19.1.7:4000",
	"src=198.18.1.7:99999 dest=198.19.1.7:4000",
	"src=[2001:db8::1:80 dest=198.19.1.7:4000",
	"src=198.18.1.7:80",
	"src=198.18.1.7:80 dest=198.19.1.7:",
	"state=TCP_LISTEN",
};

START_TEST(test_tracefs_parse_line_bad_reset)
{
	struct td_trace_ev ev;
	struct td_err err = { 0 };
	char line[256];

	snprintf(line, sizeof(line), "  x-1 [001] ..s1.  1.5: tcp_send_reset: skaddr=0 %s",
	    bad_resets[_i]);
	ck_assert_int_eq(tracefs_parse_line(line, 0, &ev, &err), -1);
	ck_assert(strncmp(err.msg, "trace: ", 7) == 0);
}
END_TEST

/* A kept buffer read as a file: comments skipped, an over-long line dropped whole. */
START_TEST(test_tracefs_read_file)
{
	char path[] = "/tmp/td-tracefs-XXXXXX";
	struct td_err err = { 0 };
	int fd, n = 0;
	FILE *fp;
	size_t i;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fprintf(fp, "# tracer: nop\n%s\n", v4_line);
	for (i = 0; i < 3000; i++)
		fputc(i < 100 ? ' ' : 'x', fp);
	fprintf(fp, "%s\n%s", v4_line, v6_line);	/* the last line without its newline */
	fclose(fp);
	ck_assert_int_eq(tracefs_read_file(path, 0, count_one, &n, &err), 2);
	ck_assert_int_eq(n, 2);
	unlink(path);
	ck_assert_int_eq(tracefs_read_file(path, 0, count_one, &n, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file or directory"));
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/tracefs");
	TCase *tc = tcase_create("tracefs_parse_line");

	tcase_add_test(tc, test_tracefs_parse_line_v4);
	tcase_add_test(tc, test_tracefs_parse_line_v6);
	tcase_add_test(tc, test_tracefs_parse_line_comm);
	tcase_add_loop_test(tc, test_tracefs_parse_line_other, 0,
	    (int)(sizeof(other_lines) / sizeof(other_lines[0])));
	tcase_add_loop_test(tc, test_tracefs_parse_line_bad, 0,
	    (int)(sizeof(bad_lines) / sizeof(bad_lines[0])));
	tcase_add_loop_test(tc, test_tracefs_parse_line_timestamp_range, 0,
	    (int)(sizeof(big_stamps) / sizeof(big_stamps[0])));
	tcase_add_test(tc, test_tracefs_parse_line_timestamp_limits);
	tcase_add_test(tc, test_tracefs_parse_line_tcp_events);
	tcase_add_loop_test(tc, test_tracefs_parse_line_bad_reset, 0,
	    (int)(sizeof(bad_resets) / sizeof(bad_resets[0])));
	tcase_add_test(tc, test_tracefs_read_file);
	suite_add_tcase(s, tc);
	return s;
}
