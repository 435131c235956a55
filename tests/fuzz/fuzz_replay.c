/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the whole replay path on one capture: libpcap reading
 * (sim/capture.c), link layers and the segment codec, the
 * connection engine (sim/replay.c) and the model following both endpoints
 * (sim/replay_model.c), with every connection's words computed
 * as it ends, and the capture-level findings (sim/replay_findings.c).
 */
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "sim/replay_findings.h"
#include "sim/capture.h"
#include "core/err.h"
#include "sim/replay.h"

static void
on_end(const struct rp_conn *c, void *arg)
{
	const struct tm_profile *p = arg;
	char buf[256];

	(void)rp_conn_state(c);
	(void)rp_capture_near(c);
	rp_expected(c, 0, p, buf, sizeof(buf));
	rp_expected(c, 1, p, buf, sizeof(buf));
	/* The model's view of each side (sim/replay_model.c) is read as the renderers do. */
	for (int i = 0; i < 2; i++) {
		const struct rp_mside *m = &c->s[i].m;

		(void)tm_state_name(m->st);
		(void)tm_obj_name(m->obj);
		rp_model_next(c, i, p, buf, sizeof(buf));
		if (strlen(buf) >= sizeof(buf) || m->ntl > RP_MTL_MAX)
			abort();
		for (unsigned int k = 0; k < m->ntl; k++)
			if (m->tl[k].why != NULL)
				(void)strlen(m->tl[k].why);
	}
	for (unsigned int k = 0; k < c->ndep; k++)
		if (strlen(c->dep[k].text) >= sizeof(c->dep[k].text))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct td_err err = { 0 };
	struct td_capture *cap;
	struct td_findings fs = { 0 };
	struct tm_profile prof = tm_profile_linux();
	struct rp_opts o = { 0 };
	struct replay *r;
	int n = 0;

	cap = td_capture_open_mem(data, size, &err);
	if (cap == NULL)
		return 0;
	o.prof = prof;
	o.max_conns = 64;		/* small, so the cap and evictions are reached */
	o.idle_ns = TM_SEC(30);
	o.on_end = on_end;
	o.arg = &prof;
	r = rp_new(&o, &err);
	if (r != NULL) {
		while (n++ < 100000) {
			struct td_cap_pkt pkt;
			struct td_err pe = { 0 };
			enum td_cap_next k = td_capture_next(cap, &pkt, &pe);

			if (k == TD_CAP_END || k == TD_CAP_ERROR)
				break;
			if (k == TD_CAP_SEG)
				rp_segment(r, pkt.ts_ns, pkt.no, &pkt.seg, pkt.bad_checksum);
		}
		rp_finish(r);
		if (capture_findings(rp_stats(r), &fs, &err) == 0)
			td_findings_free(&fs);
		else
			td_findings_free(&fs);
		rp_free(r);
	}
	td_capture_close(cap);
	return 0;
}
