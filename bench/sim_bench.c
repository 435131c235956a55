/* SPDX-License-Identifier: MIT */
/*
 * Simulated connection lifecycles per second on one core: a handshake, one
 * accept(), close() on both sides and the TIME_WAIT that follows, through
 * the whole simulator (event queue, links, tm_step()), with the event log
 * off.  Lifecycles run back to back in one world, 100 simulated seconds
 * apart so that each one's TIME_WAIT has ended, for SECONDS of this
 * thread's CPU time.  Prints two lines:
 *   sim_lifecycles_per_sec N          per second of CPU time: one core's rate
 *   sim_lifecycles_per_wall_sec N     per second of the wall clock
 * (the first is the goal's: other work on the machine takes the CPU away
 * from this thread and lowers the second, not the first).
 * With an argument COUNT it runs exactly COUNT lifecycles (rounded up to a
 * batch) instead of SECONDS of CPU time, so that an instruction count
 * (valgrind --tool=callgrind bench/sim_bench 100000) divides by a known
 * number of lifecycles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collectors/snapshot.h"
#include "sim/sim.h"

#define BATCH	8
#define SECONDS	2.0
#define CHECK	512	/* a multiple of BATCH */

static double
now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
add(struct tm_world *w, tm_time at, uint16_t host, enum tm_call call, int sock_ref, int bind_ref,
    uint16_t lport, struct td_err *err)
{
	struct tm_action a;

	memset(&a, 0, sizeof(a));
	a.at = at;
	a.kind = TM_ACT_APP;
	a.host = host;
	a.app.call = call;
	a.app.lport = lport;
	a.app.rport = 80;
	a.app.raddr = w->hosts[1].addr;
	a.app.backlog = 128;
	a.sock_ref = sock_ref;
	a.bind_ref = bind_ref;
	return tm_world_add_action(w, &a, err);
}

int
main(int argc, char **argv)
{
	static const char script[] =
	    "host client 198.18.0.1\nhost server 198.18.0.2\nlink client server delay 10ms\n"
	    "at 0 server listen 80 backlog 128 as L\n";
	struct tm_profile p = tm_profile_linux();
	struct td_err err = { 0 };
	struct tm_world w;
	unsigned long done = 0, i, count = 0;
	char *end;
	double t0, c0, el, cpu = 0;
	tm_time base;
	int hc, hs, hl;

	if (argc > 2 || (argc == 2 && ((count = strtoul(argv[1], &end, 10)) == 0 || *end != '\0'))) {
		fprintf(stderr, "usage: sim_bench [COUNT]  (COUNT: lifecycles, a positive integer)\n");
		return 2;
	}
	if (tm_world_init(&w, 1, false, &err) < 0 || tm_script_load(&w, script, "bench", &p, &err) < 0 ||
	    tm_world_run(&w, TM_TIME_INF, &err) < 0) {
		fprintf(stderr, "sim_bench: %s\n", err.msg);
		return 1;
	}
	hl = tm_world_handle(&w, "L");
	hc = tm_world_handle(&w, "c");
	hs = tm_world_handle(&w, "s");
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	do {
		w.nacts = w.nqueued = 0;
		w.nevents = 0;	/* TM_MAX_EVENTS bounds one run; each batch is one */
		base = w.now + TM_SEC(1);
		for (i = 0; i < BATCH; i++) {
			tm_time t = base + (tm_time)i * TM_SEC(100);
			uint16_t port = (uint16_t)(10000 + (done + i) % 50000);

			if (add(&w, t, 0, TM_CALL_CONNECT, -1, hc, port, &err) < 0 ||
			    add(&w, t + TM_MS(100), 1, TM_CALL_ACCEPT, hl, hs, 0, &err) < 0 ||
			    add(&w, t + TM_MS(200), 0, TM_CALL_CLOSE, hc, -1, 0, &err) < 0 ||
			    add(&w, t + TM_MS(300), 1, TM_CALL_CLOSE, hs, -1, 0, &err) < 0)
				break;
		}
		if (tm_world_run(&w, TM_TIME_INF, &err) < 0) {
			fprintf(stderr, "sim_bench: %s\n", err.msg);
			return 1;
		}
		if (w.errors != 0 || tm_host_live(&w.hosts[0]) != 0) {
			fprintf(stderr, "sim_bench: the model misbehaved (%u errors)\n", w.errors);
			return 1;
		}
		done += BATCH;
		/* The clock every CHECK lifecycles: reading it costs a system call. */
		if (count == 0 && done % CHECK == 0)
			cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	} while (count != 0 ? done < count : cpu < SECONDS);
	cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	el = now_s(CLOCK_MONOTONIC) - t0;
	if (w.hosts[1].counters[TM_C_PASSIVE_OPENS] != done) {
		fprintf(stderr, "sim_bench: %lu lifecycles but %llu passive opens\n", done,
		    (unsigned long long)w.hosts[1].counters[TM_C_PASSIVE_OPENS]);
		return 1;
	}
	printf("sim_lifecycles_per_sec %.0f\nsim_lifecycles_per_wall_sec %.0f\n",
	    (double)done / cpu, (double)done / el);
	tm_world_free(&w);
	return 0;
}
