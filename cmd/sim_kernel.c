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
#include "sim/sim.h"
#include "tcp/tm.h"

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

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
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
static int
child(struct td_ctx *ctx, const struct lab_scen *sc, struct lab_run *run)
{
	struct lab lab;
	struct td_err err = { 0 };
	struct lab_run mrun = { 0 };
	struct utsname u;
	char cite[96];
	int ret, diffs;

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
