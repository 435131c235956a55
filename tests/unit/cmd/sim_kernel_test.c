/* SPDX-License-Identifier: MIT */
/*
 * Tests for cmd/sim_kernel.c's compiler (a sim script into the conformance
 * runner's steps) and lab/script.c's judge, through the model backend (no
 * root needed): the steps in time order with the injected segments' link,
 * every script the kernel cannot play refused with FILE[:LINE], and a run
 * whose expectations are met, or fail with "FILE:LINE: model: expected
 * ...; got ...".
 */
#include "tests/unit/check_main.h"

#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/err.h"
#include "lab/runner.h"
#include "lab/script.h"
#include "sim/sim.h"

#define SRV								\
	"host server 198.18.0.2\n"					\
	"at 0 server listen 20000 as L\n"				\
	"at 0.1 inject 198.18.0.9:20001>server:20000 S seq 1000 mss 1460\n"

/* Load text into *w and compile it; NULL with why set when refused. */
static struct sim_xscript *
compile(struct tm_world *w, const char *text, char *why, size_t len)
{
	struct tm_profile lx = tm_profile_linux();
	struct td_err err = { 0 };

	ck_assert_int_eq(tm_world_init(w, 1, false, &err), 0);
	if (tm_script_load(w, text, "t.sim", &lx, &err) < 0)
		ck_abort_msg("load: %s", err.msg);
	why[0] = '\0';
	return sim_xscript_compile(w, why, len);
}

/* The compiled run through the model backend; returns the failed expectations. */
static unsigned int
model_run(const char *text, struct lab_run *run)
{
	struct tm_world w;
	struct sim_xscript *x;
	struct td_err err = { 0 };
	const struct lab_scen *sc;
	char why[400];

	x = compile(&w, text, why, sizeof(why));
	ck_assert_msg(x != NULL, "compile: %s", why);
	sc = sim_xscript_scen(x);
	memset(run, 0, sizeof(*run));
	run->family = AF_INET;
	run->base_port = sc->prog->lport;
	ck_assert_int_eq(lab_run_model(&w.prof[0], sc, run, LAB_MUT_NONE, &err), 0);
	ck_assert_ptr_nonnull(run->x);
	sim_xscript_free(x);
	tm_world_free(&w);
	return run->x->failed;
}

START_TEST(test_steps)
{
	struct tm_world w;
	struct sim_xscript *x;
	const struct lab_xprog *p;
	char why[400];

	x = compile(&w, SRV
	    "link * server delay 5ms\n"
	    "sysctl tcp_synack_retries=1\n"
	    "at 0.3 server accept L as s\n"
	    "at 0.2 inject 198.18.0.9:20001>server:20000 . seq 1 ack 1\n"
	    "expect 0.4 server so_error s = 0\n", why, sizeof(why));
	ck_assert_msg(x != NULL, "%s", why);
	p = sim_xscript_scen(x)->prog;
	ck_assert_uint_eq(p->nsteps, 5);
	/* Time order; injections 5 ms later (the link), the sample last. */
	ck_assert_int_eq(p->steps[0].op, LX_APP);
	ck_assert_uint_eq(p->steps[1].at_ns, TM_MS(105));
	ck_assert_int_eq(p->steps[1].op, LX_INJECT);
	ck_assert_uint_eq(p->steps[2].at_ns, TM_MS(205));
	ck_assert_int_eq(p->steps[3].st.op, KS_ACCEPT);
	ck_assert_int_eq(p->steps[4].op, LX_SOERROR);
	ck_assert_uint_eq(p->lport, 20000);
	ck_assert_int_eq(p->nconns, 1);
	ck_assert_uint_eq(p->pport[0], 20001);
	/* The knob is a sysctl step of the scenario. */
	ck_assert_int_eq(sim_xscript_scen(x)->steps[0].op, KS_SYSCTL);
	ck_assert_str_eq(sim_xscript_scen(x)->steps[0].s1, "net.ipv4.tcp_synack_retries");
	ck_assert_str_eq(sim_xscript_scen(x)->steps[0].s2, "1");
	ck_assert_int_eq(sim_xscript_scen(x)->steps[1].op, KS_END);
	sim_xscript_free(x);
	tm_world_free(&w);
}
END_TEST

static const struct {
	const char	*text;
	const char	*why;
} refused[] = {
	{ "host a 198.18.0.1\nhost b 198.18.0.2\n",
	  "t.sim: against the kernel a script declares one host, the stack under test (this one declares 2); the peer is its injected segments" },
	{ SRV "fault drop *>server\n",
	  "t.sim: fault rules ('fault drop *>server') are not played against the kernel" },
	{ SRV "at 1 flood server:20000 5\n",
	  "t.sim:4: 'flood' is not played against the kernel (its spoofed sources need no lab)" },
	{ SRV "at 1 server connect 198.18.0.9:80 as c\n",
	  "t.sim:4: against the kernel, connect needs 'from PORT' (the port is part of the script)" },
	{ SRV "at 1 inject 198.18.0.8:1>server:20000 S\n",
	  "t.sim:4: against the kernel there is one peer address; 198.18.0.8 is a second" },
	{ SRV "at 1 server listen 81 as M\n", "t.sim:4: against the kernel there is one listening port" },
	{ SRV "at 1 server accept L as s\nat 2 server setsockopt s linger0 0\n",
	  "t.sim:5: linger0 0 is not played against the kernel (only SO_LINGER {1, 0})" },
	{ SRV "set rfc5961=0\n",
	  "t.sim: server's knob 'rfc5961' is not a sysctl, so the kernel cannot be given it (profile linux)" },
	{ SRV "link * server delay 1ms loss 0.5\n",
	  "t.sim: against the kernel the injected segments' link has a delay only (no jitter, loss, dup or reorder)" },
	{ "host server 198.18.0.2\nat 0 server listen 80 as L\n",
	  "t.sim: nothing is injected and nothing connects: there is no peer to play" },
};

START_TEST(test_refused)
{
	struct tm_world w;
	char why[400];

	ck_assert_ptr_null(compile(&w, refused[_i].text, why, sizeof(why)));
	ck_assert_str_eq(why, refused[_i].why);
	tm_world_free(&w);
}
END_TEST

START_TEST(test_model_judge)
{
	struct lab_run run;

	ck_assert_uint_eq(model_run(SRV
	    "expect 0.11 server sends S. seq 0 ack 1 opts mss\n"
	    "at +0.010 after inject 198.18.0.9:20001>server:20000 . seq 1 ack 1\n"
	    "at 0.2 server accept L as s\n"
	    "expect 0.13 server state s ESTABLISHED\n"
	    "expect 0.2 server accept s = 0\n"
	    "expect 0.2 server counter TcpPassiveOpens = 1\n"
	    "expect 0.3 server so_error s = 0\n"
	    "expect nothing until 0.5\n", &run), 0);
	lab_run_free(&run);
	ck_assert_uint_eq(model_run(SRV
	    "expect 0.11 server sends S. seq 0 ack 2\n"
	    "expect 0.5 server state L CLOSE\n"
	    "expect 0.5 server counter TcpPassiveOpens = 1\n", &run), 3);
	ck_assert_str_eq(run.x->res[0].msg, "t.sim:4: model: expected server sends S. seq 0 ack 2 at 0.1100 s; got S. seq 0 ack 1 len 0 win 65483 at 0.1100 s (the nearest)");
	ck_assert_str_eq(run.x->res[1].msg, "t.sim:5: model: expected server's L to enter CLOSE at 0.5000 s; got CLOSE>LISTEN at 0.0000 s");
	ck_assert_str_eq(run.x->res[2].msg, "t.sim:6: model: expected server's TcpPassiveOpens = 1 at 0.5000 s; got 0");
	ck_assert_str_eq(run.why, run.x->res[0].msg);
	lab_run_free(&run);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("cmd/sim_kernel");
	TCase *tc = tcase_create("compile");

	tcase_add_test(tc, test_steps);
	tcase_add_loop_test(tc, test_refused, 0, (int)(sizeof(refused) / sizeof(refused[0])));
	tcase_add_test(tc, test_model_judge);
	suite_add_tcase(s, tc);
	return s;
}
