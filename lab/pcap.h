/* SPDX-License-Identifier: MIT */
/*
 * Classic pcap files (the libpcap savefile format, draft-ietf-opsawg-pcap):
 * read with either byte order and with microsecond or nanosecond
 * timestamps, link types RAW (101), IPV4 (228), IPV6 (229) and Ethernet (1,
 * with 802.1Q/802.1ad tags stripped); written through libpcap's dump
 * functions (pcap_dump(3PCAP)) as RAW with nanosecond timestamps in host
 * byte order.  Malformed files get one message naming the
 * record and what is wrong; nothing is trusted (caplen is bounded by the
 * snap length and by LAB_PCAP_MAXREC).
 */
#ifndef TD_LAB_PCAP_H
#define TD_LAB_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct td_err;

#define LAB_LINKTYPE_ETHERNET	1
#define LAB_LINKTYPE_RAW		101
#define LAB_LINKTYPE_IPV4	228
#define LAB_LINKTYPE_IPV6	229

/* Largest record accepted: libpcap's MAXIMUM_SNAPLEN. */
#define LAB_PCAP_MAXREC		262144

struct lab_pcap {
	FILE		*fp;
	bool		 own;		/* fp was opened by us */
	bool		 writing;
	bool		 swap;		/* file byte order differs from ours */
	bool		 nsec;		/* nanosecond timestamps */
	uint32_t	 linktype;
	uint32_t	 snaplen;
	uint64_t	 nrec;		/* records read or written so far */
	char		 name[128];	/* for messages */
	uint8_t		*buf;		/* one record, LAB_PCAP_MAXREC bytes */
	void		*dead;		/* writing: libpcap's pcap_t (pcap_open_dead) */
	void		*dumper;	/* writing: libpcap's pcap_dumper_t */
};

struct lab_pcap_pkt {
	uint64_t	 ts_ns;		/* time since the epoch, ns */
	const uint8_t	*data;		/* the captured bytes (link layer) */
	uint32_t	 caplen, origlen;
	const uint8_t	*ip;		/* the network-layer packet inside data */
	size_t		 iplen;		/* 0 when the frame carries no IPv4/IPv6 */
};

/*
 * Open path (lab_pcap_open) or an already open stream (lab_pcap_fopen; name is
 * used in messages and fp is not closed by lab_pcap_close) for reading, and
 * check the file header.  Returns 0, or -1 with *err set (unreadable file,
 * short header, unknown magic, unsupported version or link type).
 */
int	lab_pcap_open(struct lab_pcap *pc, const char *path, struct td_err *err);
int	lab_pcap_fopen(struct lab_pcap *pc, FILE *fp, const char *name, struct td_err *err);

/*
 * Read the next record into *pkt (pointers valid until the next call).
 * Returns 1 for a record, 0 at a clean end of file, -1 with *err set for a
 * truncated record, a caplen above the snap length or LAB_PCAP_MAXREC,
 * caplen > origlen, or a read error.
 */
int	lab_pcap_next(struct lab_pcap *pc, struct lab_pcap_pkt *pkt, struct td_err *err);

/*
 * Create path (or use fp) for writing a LINKTYPE_RAW capture with
 * nanosecond timestamps.  Returns 0 or -1 with *err set.
 */
int	lab_pcap_create(struct lab_pcap *pc, const char *path, struct td_err *err);
int	lab_pcap_fcreate(struct lab_pcap *pc, FILE *fp, const char *name, struct td_err *err);

/* Append one IP packet with time ts_ns.  Returns 0 or -1 with *err set. */
int	lab_pcap_write(struct lab_pcap *pc, uint64_t ts_ns, const uint8_t *pkt, size_t len,
	    struct td_err *err);

/*
 * Flush and close.  Returns 0, or -1 with *err set when a write-back
 * failed (only possible when writing).  Safe to call twice.
 */
int	lab_pcap_close(struct lab_pcap *pc, struct td_err *err);

#endif /* TD_LAB_PCAP_H */
