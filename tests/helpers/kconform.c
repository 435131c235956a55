/* SPDX-License-Identifier: MIT */
/*
 * kconform: run conformance scenarios against this kernel over TUN, each in
 * a namespace of its own (a child process per scenario and family), and
 * print TAP.  Root only.
 *
 *	kconform [-v] [-m] [-M MUTATION] [-4|-6] [-j N] [-p PCAP | -P DIR] [SCENARIO...]
 *	kconform -l							list scenarios
 *
 * -p writes the packets of one run to PCAP, -P those of every run to
 * DIR/SCENARIO-FAMILY.pcap.  -m also runs each scenario through the model (linux profile from the
 * namespace's sysctls) and compares the two runs; -M breaks the model on
 * purpose (no-tw-rearm, synack-expiry-rst).  Exit status of a child: bit 0
 * the kernel run failed, bit 1 the model run differs, 4 a harness error.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "collectors/snapshot.h"
#include "collectors/tracefs_inst.h"
#include "core/num.h"
#include "lab/lab.h"
#include "lab/runner.h"

static struct lab lab;

static bool want_model;
static enum lab_mut mutation;

/* The model leg, in the lab's namespace after the kernel leg: 0 same, 2 differs, 4 error. */
static int
model_leg(const struct lab_scen *sc, const struct lab_run *krun, bool verbose)
{
	struct td_err err = { 0 };
	struct lab_run mrun = { 0 };
	int diffs;

	if (lab_run_model_like(krun, mutation, &mrun, &err) < 0) {
		printf("# %s: model: %s\n", sc->name, err.msg);
		lab_run_free(&mrun);
		return 4;
	}
	diffs = lab_run_compare(krun, &mrun, NULL);
	if (diffs > 0 || mrun.failed) {
		printf("# %s: model differs from the kernel in %d place%s%s%s\n", sc->name, diffs,
		    diffs == 1 ? "" : "s", mrun.failed ? "; model: " : "", mrun.failed ? mrun.why : "");
		lab_run_compare(krun, &mrun, stdout);
	} else if (verbose) {
		lab_run_compare(krun, &mrun, stdout);
	}
	lab_run_free(&mrun);
	return diffs > 0 || mrun.failed ? 2 : 0;
}

/* Child: one scenario in one new namespace. */
static int
run_one(const struct lab_scen *sc, int family, unsigned int id, uint16_t port, const char *pcap,
    bool verbose)
{
	struct td_err err = { 0 };
	struct lab_run run = { 0 };
	struct sim_xscript *xs = NULL;
	FILE *pf = NULL;
	int ret, st = 0;

	/* Any terminating signal removes the tracefs instance, then ends the child. */
	tfs_guard(TFS_SIG_REMOVE);
	if (lab_enter(&lab, id, &err) < 0) {
		printf("# %s: lab: %s\n", sc->name, err.msg);
		return 4;
	}
	if (pcap != NULL && (pf = fopen(pcap, "wb")) == NULL) {
		printf("# %s: %s: %s\n", sc->name, pcap, strerror(errno));
		return 4;
	}
	run.family = family;
	run.base_port = port;
	run.pcap_fp = pf;
	if (sc->script != NULL) {
		/* A scenario written as a script: compiled by the command's compiler. */
		char why[400];

		if ((xs = sim_xscript_of(sc, why, sizeof(why))) == NULL) {
			printf("# %s: script: %s\n", sc->name, why);
			return 4;
		}
		sc = sim_xscript_scen(xs);
	}
	ret = lab_run_kernel(&lab, sc, &run, &err);
	lab_leave(&lab);
	if (pf != NULL)
		fclose(pf);
	if (ret < 0) {
		printf("# %s: harness: %s\n", sc->name, err.msg);
		lab_run_print(&run, stdout);
		return 4;
	}
	if (run.failed)
		printf("# %s: %s\n", sc->name, run.why);
	if (run.failed || (verbose && !want_model))
		lab_run_print(&run, stdout);
	if (run.failed)
		st |= 1;
	if (want_model)
		st |= model_leg(sc, &run, verbose);
	fflush(stdout);
	lab_run_free(&run);
	sim_xscript_free(xs);
	return st;
}

struct job {
	const struct lab_scen	*sc;
	int			 family;
	pid_t			 pid;
	FILE			*out;		/* the child's stdout */
	int			 status;
};

static void
start(struct job *jb, unsigned int id, uint16_t port, const char *pcap, bool verbose)
{
	fflush(stdout);
	if ((jb->out = tmpfile()) == NULL || (jb->pid = fork()) < 0) {
		perror("kconform");
		exit(71);
	}
	if (jb->pid == 0) {
		dup2(fileno(jb->out), 1);
		_exit(run_one(jb->sc, jb->family, id, port, pcap, verbose));
	}
}

int
main(int argc, char **argv)
{
	static struct job jobs[128];
	const struct lab_scen *list[64], *sc;
	const char *pcap = NULL, *pcap_dir = NULL;
	char pcap_path[128][512];
	int fam[2] = { AF_INET, AF_INET6 }, nfam = 2, opt, i, j, n = 0, njob = 0, bad = 0;
	int par = 1, running = 0, next = 0;
	uint16_t base = 20000;
	int64_t v;
	unsigned int idbase = (unsigned int)getpid() * 131u;
	bool verbose = false;
	char line[512];

	while ((opt = getopt(argc, argv, "46b:j:lmM:p:P:v")) != -1) {
		switch (opt) {
		case 'm': want_model = true; break;
		case 'M':
			want_model = true;
			if (strcmp(optarg, "no-tw-rearm") == 0)
				mutation = LAB_MUT_NO_TW_REARM;
			else if (strcmp(optarg, "synack-expiry-rst") == 0)
				mutation = LAB_MUT_SYNACK_EXPIRY_RST;
			else {
				fprintf(stderr, "kconform: unknown mutation '%s'\n", optarg);
				return 64;
			}
			break;
		case '4': fam[0] = AF_INET; nfam = 1; break;
		case '6': fam[0] = AF_INET6; nfam = 1; break;
		case 'b':
			if (td_num_i64(optarg, 1, 65535, &v, NULL) < 0) {
				fprintf(stderr, "kconform: -b '%s' is not a port\n", optarg);
				return 64;
			}
			base = (uint16_t)v;
			break;
		case 'j':
			if (td_num_i64(optarg, 1, 64, &v, NULL) < 0) {
				fprintf(stderr, "kconform: -j '%s' is not a number from 1 to 64\n", optarg);
				return 64;
			}
			par = (int)v;
			break;
		case 'p': pcap = optarg; break;
		case 'P': pcap_dir = optarg; break;
		case 'v': verbose = true; break;
		case 'l':
			for (sc = lab_scens; sc->name != NULL; sc++)
				printf("%-24s %-4s %s\n", sc->name, sc->source, sc->summary);
			return 0;
		default:
			fprintf(stderr, "usage: kconform [-v] [-m] [-M MUTATION] [-4|-6] [-j N] [-p PCAP | -P DIR] [-b PORT] [SCENARIO...]\n");
			return 64;
		}
	}
	if (optind == argc)
		for (sc = lab_scens; sc->name != NULL && n < 64; sc++)
			list[n++] = sc;
	for (i = optind; i < argc && n < 64; i++) {
		if ((list[n] = lab_scen_find(argv[i])) == NULL) {
			fprintf(stderr, "kconform: unknown scenario '%s'\n", argv[i]);
			return 64;
		}
		n++;
	}
	if (pcap != NULL && n * nfam > 1) {
		fprintf(stderr, "kconform: -p needs exactly one scenario and family\n");
		return 64;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < nfam; j++) {
			jobs[njob].sc = list[i];
			jobs[njob].family = fam[j];
			njob++;
		}
	/* Run up to par scenarios at once; each one mostly waits on kernel timers. */
	while (next < njob || running > 0) {
		if (next < njob && running < par) {
			if (pcap_dir != NULL)
				snprintf(pcap_path[next], sizeof(pcap_path[next]), "%s/%s-%s.pcap",
				    pcap_dir, jobs[next].sc->name,
				    jobs[next].family == AF_INET ? "ipv4" : "ipv6");
			start(&jobs[next], (idbase + (unsigned int)next) % 62500,
			    (uint16_t)(base + 10 * next), pcap_dir != NULL ? pcap_path[next] : pcap,
			    verbose);
			next++;
			running++;
			continue;
		}
		{
			int st = 0;
			pid_t pid = wait(&st);

			if (pid < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			for (i = 0; i < njob; i++)
				if (jobs[i].pid == pid)
					jobs[i].status = st;
			running--;
		}
	}
	for (i = 0, j = 0; i < njob; i++) {
		struct job *jb = &jobs[i];
		int code = WIFEXITED(jb->status) ? WEXITSTATUS(jb->status) : 4;
		const char *fname = jb->family == AF_INET ? "ipv4" : "ipv6", *todo;

		rewind(jb->out);
		while (fgets(line, sizeof(line), jb->out) != NULL)
			fputs(line, stdout);
		fclose(jb->out);
		printf("%s %d - %s %s (%s)\n", code & 5 ? "not ok" : "ok", ++j, jb->sc->name, fname,
		    jb->sc->source);
		todo = want_model && mutation == LAB_MUT_NONE ? jb->sc->model_todo : NULL;
		if (want_model)
			printf("%s %d - %s %s: the model agrees with the kernel%s%s\n",
			    code & 6 ? "not ok" : "ok", ++j, jb->sc->name, fname,
			    todo ? " # TODO " : "", todo ? todo : "");
		if ((code & ~2) != 0 || ((code & 2) && todo == NULL))
			bad = 1;
	}
	return bad;
}
