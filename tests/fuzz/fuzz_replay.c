/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the whole replay path on one capture: libpcap reading
 * (sim/capture.c), link layers and the segment codec, the
 * connection engine (sim/replay.c) with every connection's words computed
 * as it ends, and the capture-level findings (sim/replay_findings.c).
 */
#include "tests/fuzz/fuzz.h"

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
