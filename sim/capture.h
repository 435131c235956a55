/* SPDX-License-Identifier: MIT */
/*
 * Packet captures (pcap and pcapng, through libpcap) read as TCP segments
 * for `tcpdoctor replay`.  Link types: Ethernet (with 802.1Q/802.1ad/QinQ
 * tags), Linux cooked SLL and SLL2, raw IP (RAW, IPV4, IPV6), BSD loopback
 * (NULL, LOOP).  IPv4 and IPv6 (extension headers up to TCP) are decoded by
 * tcp/segment.c.  A capture is untrusted: every packet that cannot be used
 * is skipped with a reason naming its number, and counted; a packet whose
 * snap length cut the payload (not the headers) is used with its payload
 * length from the IP header; a wrong checksum is counted, not rejected
 * (offloaded checksums are normal in captures).  A truncated file ends the
 * reading with an error naming the packet.
 */
#ifndef TD_COLLECTORS_CAPTURE_H
#define TD_COLLECTORS_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/segment.h"

struct td_err;
struct td_capture;

/* Why packets were not used, and what was noticed; one counter each. */
struct td_cap_stats {
	uint64_t	packets;	/* records read */
	uint64_t	tcp;		/* TCP segments handed out */
	uint64_t	not_ip;		/* link-layer payload not IPv4/IPv6 (ARP, LLDP...) */
	uint64_t	not_tcp;	/* IP, but not TCP (UDP, ICMP...) */
	uint64_t	fragments;	/* IP fragments (not reassembled) */
	uint64_t	malformed;	/* headers that do not parse */
	uint64_t	snap_cut;	/* snap length cut the headers: skipped */
	uint64_t	snap_payload;	/* snap length cut the payload only: used */
	uint64_t	bad_checksum;	/* IP or TCP checksum wrong: used, counted */
	uint64_t	truncated;	/* the file ended inside a record (0 or 1) */
};

/* One segment from the capture. */
struct td_cap_pkt {
	uint64_t	no;		/* packet number in the file, from 1 */
	uint64_t	ts_ns;		/* capture time, ns since the epoch */
	struct tm_seg	seg;		/* payload points into the reader's buffer */
	bool		bad_checksum;
	bool		payload_cut;	/* seg.len counts bytes the snap length left out;
					 * seg.payload is NULL then */
};

enum td_cap_next {
	TD_CAP_ERROR = -1,		/* *err set: stop (truncated file, read error) */
	TD_CAP_END = 0,			/* clean end of the capture */
	TD_CAP_SEG = 1,			/* *pkt holds a TCP segment */
	TD_CAP_SKIP = 2,		/* a packet was skipped: *err says which and why */
};

/*
 * Open path ("-": standard input) for reading, by safefile's rules for
 * inputs.  Returns a reader, or NULL with *err set: missing or unreadable
 * file, a directory, FIFO or device (safefile's codes), not a pcap or
 * pcapng file or an unsupported link type (EBADMSG, with the link type's
 * number and name).
 */
struct td_capture *td_capture_open(const char *path, struct td_err *err);

/*
 * Open an in-memory capture (the fuzz target): data must stay valid until
 * td_capture_close().  Same results as td_capture_open().
 */
struct td_capture *td_capture_open_mem(const void *data, size_t len, struct td_err *err);

/* The next packet; see enum td_cap_next.  *err must be clear on entry. */
enum td_cap_next td_capture_next(struct td_capture *c, struct td_cap_pkt *pkt,
		    struct td_err *err);

const struct td_cap_stats *td_capture_stats(const struct td_capture *c);
/* "EN10MB (Ethernet)", for the output. */
const char	*td_capture_linktype(const struct td_capture *c);
/* Snap length from the file header. */
int		 td_capture_snaplen(const struct td_capture *c);
void		 td_capture_close(struct td_capture *c);

/*
 * Give up privileges once the input is open, as tcpdump -Z does: when
 * running as root, setgroups(0), setgid and setuid to user (NULL: "nobody";
 * uid/gid 65534 if there is no such user) and check that root cannot be
 * regained; in every case set PR_SET_NO_NEW_PRIVS.  Returns 0, or -1 with
 * *err set (EPERM) when a step fails: the caller must not go on parsing.
 * *dropped_to says the uid now in effect.
 */
int	td_drop_privileges(const char *user, unsigned int *dropped_to, struct td_err *err);

#endif /* TD_COLLECTORS_CAPTURE_H */
