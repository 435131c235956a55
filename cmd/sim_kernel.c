/* SPDX-License-Identifier: MIT */
/*
 * tcpdoctor sim --against-kernel [SCENARIO] [--set KNOB=VALUE]...
 *
 * Plays one conformance scenario (lab/scenarios.c) against this host's kernel
 * in a throwaway network namespace, with a TUN device as the wire (lab/lab.c),
 * then through the model with the linux profile read from that namespace's
 * sysctls, and prints both runs side by side with the differences marked.
 * The namespace lives in a child process, so it disappears with it; the
 * child removes its tracefs instance on every terminating signal, and the
 * next lab removes it after a SIGKILL (collectors/tracefs_inst.h).  Root
 * only.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "collectors/snapshot.h"
#include "collectors/sysctl.h"
#include "collectors/tracefs_inst.h"
#include "lab/lab.h"
#include "lab/runner.h"
#include "lab/script.h"
#include "sim/sim.h"
#include "tcp/tm.h"
#include "core/util.h"

/*
 * Where users read what a scenario expects: "T1" and "E1" are sequences of
 * the section OBSERVED SEQUENCES of tcpdoctor-tcp(7); "B16" and the like
 * are behaviour rows, each explained in a section of its own.
 */
static void
kscen_cite(const struct lab_scen *sc, char *buf, size_t len)
{
	static const struct { const char *src, *section; } rows[] = {
		{ "B12", "RESETS" }, { "B16", "HANDSHAKE" }, { "B17", "KEEPALIVE AND DEAD PEERS" },
		{ "B18", "RESETS" }, { "B19", "STATES AND OBJECTS" }, { "B24", "SYN AND SYN-ACK RETRANSMISSION" },
		{ "B25", "SYN AND SYN-ACK RETRANSMISSION" }, { "B26", "SYN AND SYN-ACK RETRANSMISSION" },
		{ "B28", "TIMERS" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rows); i++)
		if (strcmp(sc->source, rows[i].src) == 0) {
			snprintf(buf, len, "tcpdoctor-tcp(7) %s", rows[i].section);
			return;
		}
	snprintf(buf, len, "tcpdoctor-tcp(7) OBSERVED SEQUENCES, %s", sc->source);
}

static void
list_kscens(FILE *fp)
{
	const struct lab_scen *sc;
	char cite[96];

	fprintf(fp, "scenarios for --against-kernel (what it shows, where tcpdoctor-tcp(7) explains it):\n");
	for (sc = lab_scens; sc->name != NULL; sc++) {
		kscen_cite(sc, cite, sizeof(cite));
		fprintf(fp, "  %-22s %s (%s)\n", sc->name, sc->summary, cite);
	}
}

/*
 * The child: both legs in a new namespace.  Exit 0 when both agree with the
 * expectation, TD_EXIT_DIFFERS when either differs, else a sysexits value.
 */
static int xchild(struct td_ctx *ctx, const struct lab_scen *sc, struct lab_run *run,
    const struct tm_profile *prof);

static int
child(struct td_ctx *ctx, const struct lab_scen *sc, struct lab_run *run)
{
	struct lab lab;
	struct td_err err = { 0 };
	struct lab_run mrun = { 0 };
	struct utsname u;
	char cite[96];
	int ret, diffs;

	if (sc->script != NULL) {
		/* A scenario written as a script: its lines judged on both sides. */
		struct sim_xscript *x = sim_xscript_of(sc, cite, sizeof(cite));

		if (x == NULL)
			return cmd_fail(ctx, TD_EXIT_SOFTWARE, "scenario %s: %s", sc->name, cite);
		kscen_cite(sc, cite, sizeof(cite));
		fprintf(ctx->out, "scenario %s: %s (%s)\n", sc->name, sc->summary, cite);
		ret = xchild(ctx, sim_xscript_scen(x), run, NULL);
		sim_xscript_free(x);
		return ret;
	}

	/* Any terminating signal removes the tracefs instance, then ends the child. */
	tfs_guard(TFS_SIG_REMOVE);
	if (lab_enter(&lab, (unsigned int)getpid() % 62500, &err) < 0)
		return cmd_fail_err(ctx, &err);
	ret = lab_run_kernel(&lab, sc, run, &err);
	lab_leave(&lab);
	if (ret < 0)
		return cmd_fail_err(ctx, &err);
	if (lab_run_model_like(run, LAB_MUT_NONE, &mrun, &err) < 0) {
		lab_run_free(&mrun);
		return cmd_fail_err(ctx, &err);
	}
	kscen_cite(sc, cite, sizeof(cite));
	fprintf(ctx->out, "scenario %s: %s (%s)\n", sc->name, sc->summary, cite);
	if (uname(&u) == 0)
		fprintf(ctx->out, "kernel   %s %s, in a throwaway namespace over TUN, %s\n", u.sysname,
		    u.release, run->family == AF_INET6 ? "IPv6" : "IPv4");
	fprintf(ctx->out, "model    profile linux from the namespace's sysctls\n\n");
	diffs = lab_run_compare(run, &mrun, ctx->out);
	if (run->failed)
		fprintf(ctx->out, "\nkernel: differs from the scenario's expectation (%s): %s\n",
		    cite, run->why);
	else
		fprintf(ctx->out, "\nkernel: as the scenario expects (%s)\n", cite);
	if (diffs == 0)
		fprintf(ctx->out, "model:  agrees with the kernel\n");
	else
		fprintf(ctx->out, "model:  differs from the kernel in %d place%s (marked !)%s%s\n",
		    diffs, diffs == 1 ? "" : "s", sc->model_todo ? "; known: " : "",
		    sc->model_todo ? sc->model_todo : "");
	fflush(ctx->out);
	lab_run_free(&mrun);
	return run->failed || diffs ? TD_EXIT_DIFFERS : TD_EXIT_OK;
}

int
sim_against_kernel(struct td_ctx *ctx, const char *name, const char *const *sets,
    unsigned int nsets)
{
	static char names[LAB_SETS_MAX][128], values[LAB_SETS_MAX][32];
	const struct lab_scen *sc;
	const struct tm_knob *k;
	struct lab_run run = { 0 };
	unsigned int i;
	pid_t pid;
	int st = 0;

	if (name == NULL) {
		list_kscens(ctx->out);
		return TD_EXIT_OK;
	}
	if (ctx->format != TD_FMT_TABLE)
		return cmd_fail(ctx, TD_EXIT_USAGE, "--against-kernel prints a table only");
	if ((sc = lab_scen_find(name)) == NULL && tm_scenario_find(name) != NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE,
		    "'%s' is a scenario of the model alone (tcpdoctor sim %s); --against-kernel plays the conformance scenarios (run `tcpdoctor sim --against-kernel` for the list)",
		    name, name);
	if (sc == NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE,
		    "unknown scenario '%s' for --against-kernel (run `tcpdoctor sim --against-kernel` for the list)",
		    name);
	if (nsets > LAB_SETS_MAX)
		return cmd_fail(ctx, TD_EXIT_USAGE, "too many --set options (at most %d)", LAB_SETS_MAX);
	for (i = 0; i < nsets; i++) {
		const char *eq = strchr(sets[i], '=');
		struct tm_profile scratch = tm_profile_linux();
		char knob[64], msg[200];

		/* The one --set parser (tcp/profile.c), as plain sim uses it: names and ranges. */
		if (tm_knob_set(&scratch, sets[i], msg, sizeof(msg)) < 0)
			return cmd_fail(ctx, TD_EXIT_USAGE, "--set: %s", msg);
		snprintf(knob, sizeof(knob), "%.*s", (int)(eq - sets[i]), sets[i]);
		k = tm_knob_find(knob);
		if (k->sysctl == NULL)
			return cmd_fail(ctx, TD_EXIT_USAGE,
			    "--set: knob '%s' is not a sysctl, so the kernel cannot be given it", knob);
		snprintf(names[i], sizeof(names[i]), "%s", k->sysctl);
		snprintf(values[i], sizeof(values[i]), "%s", eq + 1);
		run.set_name[i] = names[i];
		run.set_value[i] = values[i];
	}
	run.nsets = nsets;
	if (geteuid() != 0)
		return cmd_fail(ctx, TD_EXIT_NOPERM,
		    "--against-kernel needs root (a network namespace, a TUN device and tracefs)");
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		return cmd_fail(ctx, TD_EXIT_UNAVAILABLE, "/dev/net/tun: %s (is the tun module loaded?)",
		    strerror(errno));
	run.family = ctx->family == AF_INET6 ? AF_INET6 : AF_INET;
	run.base_port = 20000;
	fflush(ctx->out);
	fflush(stderr);
	if ((pid = fork()) < 0)
		return cmd_fail(ctx, TD_EXIT_OSERR, "fork: %s", strerror(errno));
	if (pid == 0) {
		int code = child(ctx, sc, &run);

		fflush(ctx->out);
		_exit(code);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return cmd_fail(ctx, TD_EXIT_OSERR, "waitpid: %s", strerror(errno));
	if (!WIFEXITED(st))
		return cmd_fail(ctx, TD_EXIT_SOFTWARE, "the lab process died (signal %d)",
		    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return WEXITSTATUS(st);
}

/* ---- sim -f FILE --against-kernel: a script compiled for the runner ---- */


struct sim_xscript {
	const struct tm_world	*w;
	struct tm_world		*own;		/* sim_xscript_of: the world it loaded */
	struct lab_scen		 sc;
	struct lab_xprog	 prog;
	struct lab_step		 sysctls[LAB_SETS_MAX + 1];
	char			 names[LAB_SETS_MAX][64], values[LAB_SETS_MAX][32];
	int			 nsys;
	struct tm_addr		 peer;
	bool			 peer_set;
	tm_time			 link;		/* the injected segments' delay */
	char			 why[400];
};

static int __attribute__((format(printf, 3, 4)))
xfail(struct sim_xscript *b, unsigned int line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(b->why, sizeof(b->why), "%s:%u: %s", b->w->script_name, line, msg);
	else
		snprintf(b->why, sizeof(b->why), "%s: %s", b->w->script_name, msg);
	return -1;
}

/* The connection of a (stack port, peer port) pair, added when new. */
static int
xconn(struct sim_xscript *b, unsigned int line, uint16_t kport, uint16_t pport)
{
	struct lab_xprog *p = &b->prog;
	int c;

	for (c = 0; c < p->nconns; c++)
		if (p->kport[c] == kport && p->pport[c] == pport)
			return c;
	if (p->nconns == LAB_CONN_MAX)
		return xfail(b, line, "more than %d connections (port pairs) against the kernel",
		    LAB_CONN_MAX);
	p->kport[p->nconns] = kport;
	p->pport[p->nconns] = pport;
	return p->nconns++;
}

static int
xpeer(struct sim_xscript *b, unsigned int line, const struct tm_addr *a)
{
	char s[64];

	if (memcmp(&a->a, &b->w->hosts[0].addr.a, sizeof(a->a)) == 0)
		return xfail(b, line, "the peer's address is the host's own");
	if (b->peer_set && memcmp(&a->a, &b->peer.a, sizeof(a->a)) != 0) {
		tm_addr_str(a, s, sizeof(s));
		return xfail(b, line, "against the kernel there is one peer address; %s is a second", s);
	}
	b->peer = *a;
	b->peer_set = true;
	return 0;
}

static struct lab_xstep *
xstep(struct sim_xscript *b)
{
	struct lab_xprog *p = &b->prog;
	struct lab_xstep *n = realloc(p->steps, (p->nsteps + 1) * sizeof(*n));

	if (n == NULL)
		return NULL;
	p->steps = n;
	n = &p->steps[p->nsteps++];
	memset(n, 0, sizeof(*n));
	n->h = n->bind = n->c = n->exp = -1;
	return n;
}

static const enum lab_op call_ops[TM_CALL_MAX] = {
	[TM_CALL_CONNECT] = KS_CONNECT, [TM_CALL_LISTEN] = KS_LISTEN, [TM_CALL_ACCEPT] = KS_ACCEPT,
	[TM_CALL_SEND] = KS_SEND, [TM_CALL_RECV] = KS_RECV, [TM_CALL_SHUTDOWN] = KS_SHUTDOWN,
	[TM_CALL_CLOSE] = KS_CLOSE, [TM_CALL_SETSOCKOPT] = KS_SOCKOPT,
	[TM_CALL_GETSOCKOPT] = KS_GETOPT, [TM_CALL_IOCTL] = KS_GETOPT,
};

static int
xaction(struct sim_xscript *b, const struct tm_action *a)
{
	struct lab_xprog *p = &b->prog;
	struct lab_xstep *s;
	const struct tm_app *ap = &a->app;

	if (a->kind == TM_ACT_FLOOD)
		return xfail(b, a->line, "'flood' is not played against the kernel (its spoofed sources need no lab)");
	if ((s = xstep(b)) == NULL)
		return xfail(b, 0, "out of memory");
	s->line = a->line;
	s->at_ns = a->at;
	if (a->kind == TM_ACT_INJECT) {
		if (memcmp(&a->seg.dst.a, &b->w->hosts[0].addr.a, sizeof(a->seg.dst.a)) != 0)
			return xfail(b, a->line, "against the kernel, segments are injected to %s only",
			    b->w->host_name[0]);
		if (xpeer(b, a->line, &a->seg.src) < 0)
			return -1;
		s->op = LX_INJECT;
		/* The script's link for injected segments (sim/sim.c route()). */
		s->at_ns = a->at + b->link;
		s->after = a->after;
		s->after_ns = a->after_d + b->link;
		s->ref_ns = a->after_ref;
		s->seg = a->seg;
		s->abs = a->abs;
		return (s->c = xconn(b, a->line, a->seg.dport, a->seg.sport)) < 0 ? -1 : 0;
	}
	s->op = LX_APP;
	s->h = a->sock_ref;
	s->bind = a->bind_ref;
	if ((unsigned int)ap->call >= TM_CALL_MAX || call_ops[ap->call] == KS_END)
		return xfail(b, a->line, "'%s' is not played against the kernel", tm_call_name(ap->call));
	s->st.op = call_ops[ap->call];
	switch (ap->call) {
	case TM_CALL_LISTEN:
		if (p->lport != 0 && p->lport != ap->lport)
			return xfail(b, a->line, "against the kernel there is one listening port");
		p->lport = ap->lport;
		s->st.n = ap->backlog;
		if (a->bind_ref >= 0)
			p->hlisten[a->bind_ref] = true;
		break;
	case TM_CALL_CONNECT:
		if (ap->lport == 0)
			return xfail(b, a->line, "against the kernel, connect needs 'from PORT' (the port is part of the script)");
		if (xpeer(b, a->line, &ap->raddr) < 0 ||
		    (s->c = xconn(b, a->line, ap->lport, ap->rport)) < 0)
			return -1;
		if (a->bind_ref >= 0)
			p->hconn[a->bind_ref] = s->c;
		break;
	case TM_CALL_SEND:
		s->st.n = ap->len;
		break;
	case TM_CALL_SHUTDOWN:
		s->st.n = ap->how;
		break;
	case TM_CALL_GETSOCKOPT:
	case TM_CALL_IOCTL:
		/* The runner's KS_GETOPT reads both, by the option's name. */
		s->st.s1 = tm_sockopt_name(ap->opt);
		break;
	case TM_CALL_SETSOCKOPT:
		/* The runner plays a listener's options on its socket (c < 0). */
		s->st.s1 = tm_sockopt_name(ap->opt);
		s->st.n = (long)ap->val;
		if (ap->opt == TM_SO_LINGER0) {
			if (ap->val != 1)
				return xfail(b, a->line, "linger0 0 is not played against the kernel (only SO_LINGER {1, 0})");
			s->st.s1 = "linger";
			s->st.n = 0;
		}
		break;
	default:
		break;
	}
	return 0;
}

static int
xexpect(struct sim_xscript *b, const struct tm_expect *te)
{
	struct lab_xprog *p = &b->prog;
	struct lab_xexp *e;
	struct lab_xstep *s;

	e = &p->exps[p->nexps];
	memset(e, 0, sizeof(*e));
	e->line = te->line;
	e->at_ns = te->at;
	e->tol_ns = te->tol;
	e->from_ns = te->from;
	e->h = te->handle;
	switch (te->kind) {
	case TM_EXP_SEG:
		e->kind = LXE_SEG;
		e->flags = te->flags;
		e->has_seq = te->has_seq;
		e->has_ack = te->has_ack;
		e->has_len = te->has_len;
		e->has_win = te->has_win;
		e->has_opts = te->has_opts;
		e->abs = te->abs;
		e->opts = te->opts;	/* TM_EXP_O_* are LXO_* */
		e->seq = te->seq;
		e->ack = te->ack;
		e->len = te->len;
		e->win = te->win;
		break;
	case TM_EXP_STATE:
		e->kind = LXE_STATE;
		snprintf(e->state, sizeof(e->state), "%s", tm_state_name(te->state));
		break;
	case TM_EXP_CALL:
		e->err = te->err;
		e->ret = te->ret;
		if (te->call == TM_CALL_SO_ERROR) {
			e->kind = LXE_SOERROR;
			break;
		}
		e->kind = LXE_CALL;
		if (te->call >= TM_CALL_MAX || call_ops[te->call] == KS_END)
			return xfail(b, te->line, "'%s' is not played against the kernel",
			    tm_call_name((enum tm_call)te->call));
		e->call = call_ops[te->call];
		break;
	case TM_EXP_COUNTER:
		e->kind = LXE_COUNTER;
		e->counter = tm_counter_name(te->counter);
		e->value = te->value;
		break;
	default:
		e->kind = LXE_NOTHING;
		break;
	}
	if (te->kind != TM_EXP_NOTHING && te->host != 0)
		return xfail(b, te->line, "expectations are about %s, the stack under test", b->w->host_name[0]);
	if (e->kind == LXE_SOERROR || e->kind == LXE_COUNTER) {
		/* A value read at its time: a step of its own. */
		if ((s = xstep(b)) == NULL)
			return xfail(b, 0, "out of memory");
		s->op = e->kind == LXE_SOERROR ? LX_SOERROR : LX_COUNTER;
		s->line = te->line;
		s->at_ns = te->at;
		s->h = te->handle;
		s->exp = (int)p->nexps;
		s->name = e->counter;
	}
	p->nexps++;
	return 0;
}

/* The host's knobs that differ from Linux's defaults become the namespace's sysctls. */
static int
xsysctls(struct sim_xscript *b)
{
	const struct tm_profile lin = tm_profile_linux();
	const struct tm_profile *hp = &b->w->prof[0];
	const struct tm_knob *k;
	size_t n, i;
	int64_t v;

	k = tm_knobs(&n);
	for (i = 0; i < n; i++) {
		size_t j;

		if ((v = tm_knob_get(hp, &k[i])) == tm_knob_get(&lin, &k[i]))
			continue;
		/* A model knob with a sysctl of its own (rto_max: tcp_rto_max_ms) goes as that. */
		for (j = 0; k[i].sysctl == NULL && j < n; j++)
			if (k[j].off == k[i].off && k[j].sysctl != NULL)
				break;
		if (k[i].sysctl == NULL && j < n)
			continue;
		if (k[i].sysctl == NULL)
			return xfail(b, 0, "%s's knob '%s' is not a sysctl, so the kernel cannot be given it (profile %s)",
			    b->w->host_name[0], k[i].name, hp->name);
		if (b->nsys == LAB_SETS_MAX)
			return xfail(b, 0, "more than %d sysctls", LAB_SETS_MAX);
		snprintf(b->names[b->nsys], sizeof(b->names[0]), "%s", k[i].sysctl);
		snprintf(b->values[b->nsys], sizeof(b->values[0]), "%lld", (long long)v);
		b->sysctls[b->nsys].op = KS_SYSCTL;
		b->sysctls[b->nsys].s1 = b->names[b->nsys];
		b->sysctls[b->nsys].s2 = b->values[b->nsys];
		b->nsys++;
	}
	b->sysctls[b->nsys].op = KS_END;
	return 0;
}

/* Order of steps at one time: calls and injections as written, then the samples. */
static int
xstep_cmp(const void *a, const void *b)
{
	const struct lab_xstep *x = a, *y = b;
	int sx = x->op == LX_SOERROR || x->op == LX_COUNTER, sy = y->op == LX_SOERROR || y->op == LX_COUNTER;

	if (x->at_ns != y->at_ns)
		return x->at_ns < y->at_ns ? -1 : 1;
	if (sx != sy)
		return sx - sy;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int
xcompile(struct sim_xscript *b)
{
	const struct tm_world *w = b->w;
	struct lab_xprog *p = &b->prog;
	const struct tm_link *l;
	uint64_t end = 0;
	size_t i;

	if (w->nhosts != 1)
		return xfail(b, 0, "against the kernel a script declares one host, the stack under test (this one declares %u); the peer is its injected segments",
		    w->nhosts);
	if (w->nfaults > 0)
		return xfail(b, 0, "fault rules ('%s') are not played against the kernel", w->faults[0].desc);
	l = w->inject_link[0].set ? &w->inject_link[0] : &w->default_link;
	if (l->jitter || l->loss > 0 || l->dup > 0 || l->reorder > 0)
		return xfail(b, 0, "against the kernel the injected segments' link has a delay only (no jitter, loss, dup or reorder)");
	b->link = l->delay;
	p->file = w->script_name;
	p->host = w->host_name[0];
	p->nh = (int)w->nhandles;
	for (i = 0; i < LAB_X_HANDLES; i++)
		p->hconn[i] = -1;
	for (i = 0; i < w->nhandles && i < LAB_X_HANDLES; i++)
		snprintf(p->hname[i], sizeof(p->hname[i]), "%s", w->handle_name[i]);
	if ((p->exps = calloc(w->nexps + 1, sizeof(*p->exps))) == NULL)
		return xfail(b, 0, "out of memory");
	for (i = 0; i < w->nacts; i++)
		if (xaction(b, &w->acts[i]) < 0)
			return -1;
	for (i = 0; i < w->nexps; i++)
		if (xexpect(b, &w->exps[i]) < 0)
			return -1;
	if (xsysctls(b) < 0)
		return -1;
	if (p->nsteps > 1)
		qsort(p->steps, p->nsteps, sizeof(*p->steps), xstep_cmp);
	/* The sample steps name their expectation by index: kept through the sort. */
	for (i = 0; i < p->nsteps; i++)
		if (p->steps[i].at_ns > end)
			end = p->steps[i].at_ns;
	for (i = 0; i < p->nexps; i++)
		if (p->exps[i].at_ns + p->exps[i].tol_ns > end)
			end = p->exps[i].at_ns + p->exps[i].tol_ns;
	/* Room for the kernel's late timers after the last expectation. */
	p->end_ns = w->until_set ? w->until : end + end / 20 + TM_MS(100);
	if (!b->peer_set)
		return xfail(b, 0, "nothing is injected and nothing connects: there is no peer to play");
	return 0;
}

/*
 * Both legs of a compiled script, then the ladders and one line per
 * expectation.  prof: the model's profile (the script's); NULL: the linux
 * profile from the namespace's sysctls (a named scenario, with --set).
 */
static int
xchild(struct td_ctx *ctx, const struct lab_scen *sc, struct lab_run *run,
    const struct tm_profile *prof)
{
	const struct lab_xprog *p = sc->prog;
	struct lab lab;
	struct td_err err = { 0 };
	struct lab_run mrun = { 0 };
	struct utsname u;
	unsigned int kf, mf;
	size_t i;

	tfs_guard(TFS_SIG_REMOVE);
	if (lab_enter(&lab, (unsigned int)getpid() % 62500, &err) < 0)
		return cmd_fail_err(ctx, &err);
	if (lab_run_kernel(&lab, sc, run, &err) < 0) {
		lab_leave(&lab);
		return cmd_fail_err(ctx, &err);
	}
	lab_leave(&lab);
	/* The model runs the script's own profile, as sim -f does; its sysctls are the namespace's. */
	mrun.family = run->family;
	mrun.base_port = run->base_port;
	mrun.kaddr = run->kaddr;
	mrun.paddr = run->paddr;
	if ((prof != NULL ? lab_run_model(prof, sc, &mrun, LAB_MUT_NONE, &err) :
	    lab_run_model_like(run, LAB_MUT_NONE, &mrun, &err)) < 0) {
		lab_run_free(&mrun);
		return cmd_fail_err(ctx, &err);
	}
	fprintf(ctx->out, "script %s: host %s, played against this kernel and through the model\n",
	    p->file, p->host);
	if (uname(&u) == 0)
		fprintf(ctx->out, "kernel   %s %s, in a throwaway namespace over TUN, %s\n", u.sysname,
		    u.release, run->family == AF_INET6 ? "IPv6" : "IPv4");
	if (prof != NULL)
		fprintf(ctx->out, "model    profile %s, with the script's knobs (set in the namespace too)\n\n",
		    prof->name);
	else
		fprintf(ctx->out, "model    profile linux from the namespace's sysctls\n\n");
	lab_run_compare(run, &mrun, ctx->out);
	kf = run->x != NULL ? run->x->failed : (unsigned int)p->nexps;
	mf = mrun.x != NULL ? mrun.x->failed : (unsigned int)p->nexps;
	fputc('\n', ctx->out);
	for (i = 0; i < p->nexps; i++) {
		const struct lab_xresult *k = run->x != NULL ? &run->x->res[i] : NULL;
		const struct lab_xresult *m = mrun.x != NULL ? &mrun.x->res[i] : NULL;

		if (k != NULL && k->met && m != NULL && m->met) {
			fprintf(ctx->out, "%s:%u: met on both\n", p->file, p->exps[i].line);
			continue;
		}
		if (k == NULL || !k->met)
			fprintf(ctx->out, "%s\n", k != NULL ? k->msg : "kernel: not run");
		if (m == NULL || !m->met)
			fprintf(ctx->out, "%s\n", m != NULL ? m->msg : "model: not run");
	}
	fprintf(ctx->out, "expectations: kernel %zu met, %u failed; model %zu met, %u failed\n",
	    p->nexps - kf, kf, p->nexps - mf, mf);
	fflush(ctx->out);
	lab_run_free(&mrun);
	if (kf + mf > 0) {
		cmd_warn(ctx, "%u of %zu expectations failed on the kernel, %u on the model", kf,
		    p->nexps, mf);
		return TD_EXIT_EXPECT_FAILED;
	}
	return TD_EXIT_OK;
}

struct sim_xscript *
sim_xscript_compile(const struct tm_world *w, char *why, size_t len)
{
	struct sim_xscript *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	b->w = w;
	if (xcompile(b) < 0) {
		snprintf(why, len, "%s", b->why);
		sim_xscript_free(b);
		return NULL;
	}
	b->sc.name = w->script_name;
	b->sc.summary = "a script";
	b->sc.source = "script";
	b->sc.steps = b->sysctls;
	b->sc.prog = &b->prog;
	return b;
}

const struct lab_scen *
sim_xscript_scen(const struct sim_xscript *x)
{
	return &x->sc;
}

struct sim_xscript *
sim_xscript_of(const struct lab_scen *sc, char *why, size_t len)
{
	struct tm_profile base = tm_profile_linux();
	struct td_err err = { 0 };
	struct sim_xscript *x;
	struct tm_world *w = calloc(1, sizeof(*w));

	if (w == NULL || tm_world_init(w, 1, false, &err) < 0) {
		free(w);
		snprintf(why, len, "out of memory");
		return NULL;
	}
	if (tm_script_load(w, sc->script, sc->name, &base, &err) < 0 ||
	    (x = sim_xscript_compile(w, why, len)) == NULL) {
		if (err.msg[0] != '\0')
			snprintf(why, len, "%s", err.msg);
		tm_world_free(w);
		free(w);
		return NULL;
	}
	x->own = w;
	/* The table's words for it, and its own steps. */
	x->sc.name = sc->name;
	x->sc.summary = sc->summary;
	x->sc.source = sc->source;
	return x;
}

void
sim_xscript_free(struct sim_xscript *x)
{
	if (x == NULL)
		return;
	if (x->own != NULL) {
		tm_world_free(x->own);
		free(x->own);
	}
	free(x->prog.steps);
	free(x->prog.exps);
	free(x);
}

int
sim_script_against_kernel(struct td_ctx *ctx, const char *file, const char *text,
    const char *const *sets, unsigned int nsets)
{
	struct tm_profile base = tm_profile_linux();
	struct sim_xscript *b = NULL;
	struct lab_run run = { 0 };
	struct tm_world w;
	struct td_err err = { 0 };
	char why[400];
	unsigned int i;
	pid_t pid;
	int st = 0, status;

	if (ctx->format != TD_FMT_TABLE)
		return cmd_fail(ctx, TD_EXIT_USAGE, "--against-kernel prints a table only");
	if (tm_world_init(&w, 1, false, &err) < 0)
		return cmd_fail_err(ctx, &err);
	if (tm_script_load(&w, text, file, &base, &err) < 0) {
		status = cmd_fail(ctx, TD_EXIT_DATAERR, "%s", err.msg);
		goto out;
	}
	for (i = 0; i < nsets; i++)
		if (tm_world_set_all(&w, sets[i], &err) < 0) {
			status = cmd_fail(ctx, TD_EXIT_USAGE, "--set: %s", err.msg);
			goto out;
		}
	if ((b = sim_xscript_compile(&w, why, sizeof(why))) == NULL) {
		status = cmd_fail(ctx, TD_EXIT_DATAERR, "%s", why);
		goto out;
	}
	if (geteuid() != 0) {
		status = cmd_fail(ctx, TD_EXIT_NOPERM,
		    "--against-kernel needs root (a network namespace, a TUN device and tracefs)");
		goto out;
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		status = cmd_fail(ctx, TD_EXIT_UNAVAILABLE, "/dev/net/tun: %s (is the tun module loaded?)",
		    strerror(errno));
		goto out;
	}
	run.family = w.hosts[0].addr.family == AF_INET6 ? AF_INET6 : AF_INET;
	run.base_port = b->prog.lport ? b->prog.lport : 20000;
	fflush(ctx->out);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		status = cmd_fail(ctx, TD_EXIT_OSERR, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int code = xchild(ctx, &b->sc, &run, &w.prof[0]);

		fflush(ctx->out);
		_exit(code);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			status = cmd_fail(ctx, TD_EXIT_OSERR, "waitpid: %s", strerror(errno));
			goto out;
		}
	if (!WIFEXITED(st))
		status = cmd_fail(ctx, TD_EXIT_SOFTWARE, "the lab process died (signal %d)",
		    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	else
		status = WEXITSTATUS(st);
out:
	sim_xscript_free(b);
	tm_world_free(&w);
	return status;
}
