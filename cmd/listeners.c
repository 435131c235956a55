/* SPDX-License-Identifier: MIT */
/*
 * Per-listener queue gauges (see listeners.h).  On a LISTEN socket
 * sock_diag reports idiag_rqueue = sk_ack_backlog (the accept queue) and
 * idiag_wqueue = sk_max_ack_backlog (the effective backlog,
 * min(listen() backlog, somaxconn)), net/ipv4/tcp_diag.c
 * tcp_diag_get_info(); SK_MEMINFO_DROPS is the listener's own ListenDrops
 * (tcp_listendrop()).  Both queues hold backlog + 1 before the kernel
 * drops: the accept queue is full when sk_ack_backlog > backlog
 * (sk_acceptq_is_full()), the SYN queue when its length exceeds it
 * (inet_csk_reqsk_queue_is_full()); KERNEL-FACTS F6, F13.  Request sockets
 * (SYN_RECV, inode 0) are matched to their listener by td_listener_of()
 * (analyzers/tally.h), as syn_flood and summary match them; the kernel
 * exposes no SYN-queue length (F14).
 */
#include "cmd/listeners.h"
#include "core/util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void
ep_key(struct td_ep_key *k, const struct in6_addr *a, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->addr = *a;
	k->port = port;
}

void
listener_stats_visit(struct listener_stats *ls, const struct td_sock *sk)
{
	struct td_tally_ent *e;
	struct td_ep_key k;
	bool is_new;
	int s;

	if (sk->state == TD_ST_LISTEN) {
		ls->nlisteners++;
		ls->accept_queue += sk->rqueue;
		if (sk->rqueue > sk->wqueue)
			ls->full++;
		ep_key(&k, &sk->src, sk->sport);
		s = tally_slot(&ls->listeners, &k, sizeof(k), &is_new);
		e = &ls->listeners.ent[s];
		/* SO_REUSEPORT: several sockets on one address and port add up. */
		e->count++;
		e->n[0] += sk->rqueue;
		e->n[1] += sk->wqueue;
		e->n[2] += sk->has_skmem ? sk->skmem.drops : 0;
		return;
	}
	if (sk->state == TD_ST_SYN_RECV && sk->kind == TD_SK_REQ) {
		ls->syn_recv++;
		ep_key(&k, &sk->src, sk->sport);
		s = tally_slot(&ls->requests, &k, sizeof(k), &is_new);
		ls->requests.ent[s].count++;
	}
}

struct row {
	char		name[64];
	uint64_t	queue, backlog, drops, syn_recv, sockets;
	double		score;		/* the fuller queue, as a share of its limit */
};

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->queue + x->syn_recv != y->queue + y->syn_recv)
		return x->queue + x->syn_recv > y->queue + y->syn_recv ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
family(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int
listener_stats_prometheus(FILE *fp, const struct listener_stats *ls)
{
	static const struct {
		const char	*name, *type, *help;
		size_t		 off;
	} fams[] = {
		{ "tcpdoctor_listener_accept_queue", "gauge",
		  "Connections waiting in the listener's accept queue (ss Recv-Q), top listeners only",
		  offsetof(struct row, queue) },
		{ "tcpdoctor_listener_backlog", "gauge",
		  "The listener's effective backlog, min(listen() backlog, somaxconn) (ss Send-Q)",
		  offsetof(struct row, backlog) },
		{ "tcpdoctor_listener_syn_recv", "gauge",
		  "SYN_RECV request sockets for the listener (its SYN queue)",
		  offsetof(struct row, syn_recv) },
		{ "tcpdoctor_listener_drops_total", "counter",
		  "SYNs and handshake ACKs the listener dropped since it was created (skmem drops, its own ListenDrops)",
		  offsetof(struct row, drops) },
	};
	struct row *rows;
	const struct td_ep_key *k;
	struct td_ep_key lk;
	size_t n = 0, i, f, shown;
	int s, l, row_of[TD_TALLY_CAP];

	rows = calloc(TD_TALLY_CAP, sizeof(*rows));
	if (rows == NULL)
		return -1;
	for (s = 0; s < TD_TALLY_CAP; s++) {
		const struct td_tally_ent *e = &ls->listeners.ent[s];

		row_of[s] = -1;
		if (!e->used)
			continue;
		k = (const void *)e->key;
		td_ep_str(&k->addr, k->port, rows[n].name, sizeof(rows[n].name));
		rows[n].queue = e->n[0];
		rows[n].backlog = e->n[1];
		rows[n].drops = e->n[2];
		rows[n].sockets = e->count;
		row_of[s] = (int)n++;
	}
	/* Each request endpoint to the listener the kernel would give it. */
	for (s = 0; s < TD_TALLY_CAP; s++) {
		if (!ls->requests.ent[s].used)
			continue;
		l = td_listener_of((const void *)ls->requests.ent[s].key, td_tally_lookup_ep,
		    &ls->listeners, &lk);
		if (l >= 0 && row_of[l] >= 0)
			rows[row_of[l]].syn_recv += ls->requests.ent[s].count;
	}
	for (i = 0; i < n; i++) {
		uint64_t limit = rows[i].backlog + rows[i].sockets;	/* backlog + 1 per socket */

		rows[i].score = (double)(rows[i].queue > rows[i].syn_recv ? rows[i].queue :
		    rows[i].syn_recv) / (double)(limit > 0 ? limit : 1);
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	shown = n < LISTENERS_TOP ? n : LISTENERS_TOP;
	for (f = 0; f < ARRAY_SIZE(fams); f++) {
		if (shown == 0)
			break;
		family(fp, fams[f].name, fams[f].type, fams[f].help);
		for (i = 0; i < shown; i++)
			fprintf(fp, "%s{listener=\"%s\"} %llu\n", fams[f].name, rows[i].name,
			    (unsigned long long)*(const uint64_t *)(const void *)
			    ((const char *)&rows[i] + fams[f].off));
	}
	if (shown > 0) {
		family(fp, "tcpdoctor_listener_queue_limit", "gauge",
		    "Connections each of the listener's queues holds before the kernel drops: backlog + 1 (sk_acceptq_is_full())");
		for (i = 0; i < shown; i++)
			fprintf(fp, "tcpdoctor_listener_queue_limit{listener=\"%s\"} %llu\n", rows[i].name,
			    (unsigned long long)(rows[i].backlog + rows[i].sockets));
	}
	free(rows);
	family(fp, "tcpdoctor_listeners", "gauge", "Listening sockets");
	fprintf(fp, "tcpdoctor_listeners %llu\n", (unsigned long long)ls->nlisteners);
	family(fp, "tcpdoctor_listeners_shown", "gauge",
	    "Listeners with their own tcpdoctor_listener_* series (the fullest, at most 10)");
	fprintf(fp, "tcpdoctor_listeners_shown %zu\n", shown);
	family(fp, "tcpdoctor_listeners_full", "gauge", "Listeners whose accept queue is full now (more than the backlog)");
	fprintf(fp, "tcpdoctor_listeners_full %llu\n", (unsigned long long)ls->full);
	family(fp, "tcpdoctor_listeners_accept_queue", "gauge", "Connections waiting in all accept queues");
	fprintf(fp, "tcpdoctor_listeners_accept_queue %llu\n", (unsigned long long)ls->accept_queue);
	family(fp, "tcpdoctor_listeners_syn_recv", "gauge", "SYN_RECV request sockets of all listeners");
	fprintf(fp, "tcpdoctor_listeners_syn_recv %llu\n", (unsigned long long)ls->syn_recv);
	return ferror(fp) ? -1 : 0;
}
