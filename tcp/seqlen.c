/* SPDX-License-Identifier: MIT */
/* tm_seg_seqlen(), declared in tcp/segment.h: the sequence space a segment uses. */
#include "tcp/segment.h"

uint32_t
tm_seg_seqlen(const struct tm_seg *seg)
{
	/* RFC 9293 3.4: SEG.LEN counts SYN and FIN. */
	return seg->len + ((seg->flags & TM_SYN) ? 1 : 0) + ((seg->flags & TM_FIN) ? 1 : 0);
}
