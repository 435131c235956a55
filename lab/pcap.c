/* SPDX-License-Identifier: MIT */
/*
 * Classic pcap reading, and writing through libpcap's dump functions; see
 * pcap.h.  Format read: the file header
 * (magic, version 2.4, zone, sigfigs, snaplen, link type) and 16-byte record
 * headers (seconds, microseconds or nanoseconds, captured and original
 * length), as in draft-ietf-opsawg-pcap and libpcap's sf-pcap.c.
 */
#include "lab/pcap.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "collectors/snapshot.h"

#define MAGIC_USEC	0xa1b2c3d4u
#define MAGIC_NSEC	0xa1b23c4du
#define FILE_HDR	24
#define REC_HDR		16

#define ETHERTYPE_IP4	0x0800
#define ETHERTYPE_IP6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8

static uint32_t
rd32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static uint16_t
rd16(const uint8_t *p, bool swap)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return swap ? __builtin_bswap16(v) : v;
}

static void
pc_init(struct lab_pcap *pc, FILE *fp, const char *name, bool own)
{
	memset(pc, 0, sizeof(*pc));
	pc->fp = fp;
	pc->own = own;
	snprintf(pc->name, sizeof(pc->name), "%s", name);
}

static int
read_header(struct lab_pcap *pc, FILE *fp, struct td_err *err)
{
	uint8_t h[FILE_HDR];
	uint32_t magic;
	uint16_t major, minor;
	size_t n;

	n = fread(h, 1, sizeof(h), fp);
	if (n != sizeof(h)) {
		if (ferror(fp))
			return td_errf(err, errno, "pcap '%s': %s", pc->name, strerror(errno));
		return td_errf(err, EINVAL, "pcap '%s': file header truncated (%zu of %d bytes)",
		    pc->name, n, FILE_HDR);
	}
	memcpy(&magic, h, 4);
	if (magic == MAGIC_USEC || magic == MAGIC_NSEC) {
		pc->swap = false;
	} else if (__builtin_bswap32(magic) == MAGIC_USEC ||
	    __builtin_bswap32(magic) == MAGIC_NSEC) {
		pc->swap = true;
		magic = __builtin_bswap32(magic);
	} else {
		return td_errf(err, EINVAL, "pcap '%s': magic 0x%08x is not a pcap file (pcapng is not supported)",
		    pc->name, magic);
	}
	pc->nsec = magic == MAGIC_NSEC;
	major = rd16(h + 4, pc->swap);
	minor = rd16(h + 6, pc->swap);
	if (major != 2)
		return td_errf(err, EINVAL, "pcap '%s': version %u.%u, expected 2.x", pc->name,
		    major, minor);
	pc->snaplen = rd32(h + 16, pc->swap);
	if (pc->snaplen == 0 || pc->snaplen > LAB_PCAP_MAXREC)
		pc->snaplen = LAB_PCAP_MAXREC;
	/* The upper bits carry FCS information (the draft's "LinkType" field). */
	pc->linktype = rd32(h + 20, pc->swap) & 0xffff;
	switch (pc->linktype) {
	case LAB_LINKTYPE_ETHERNET:
	case LAB_LINKTYPE_RAW:
	case LAB_LINKTYPE_IPV4:
	case LAB_LINKTYPE_IPV6:
		break;
	default:
		return td_errf(err, EINVAL, "pcap '%s': link type %u not supported (1, 101, 228, 229)",
		    pc->name, pc->linktype);
	}
	if ((pc->buf = malloc(LAB_PCAP_MAXREC)) == NULL)
		return td_errf(err, ENOMEM, "pcap '%s': out of memory", pc->name);
	return 0;
}

int
lab_pcap_fopen(struct lab_pcap *pc, FILE *fp, const char *name, struct td_err *err)
{
	pc_init(pc, fp, name, false);
	if (read_header(pc, fp, err) < 0) {
		lab_pcap_close(pc, NULL);
		return -1;
	}
	return 0;
}

int
lab_pcap_open(struct lab_pcap *pc, const char *path, struct td_err *err)
{
	FILE *fp;

	if ((fp = fopen(path, "rbe")) == NULL)
		return td_errf(err, errno, "pcap '%s': %s", path, strerror(errno));
	pc_init(pc, fp, path, true);
	if (read_header(pc, fp, err) < 0) {
		lab_pcap_close(pc, NULL);
		return -1;
	}
	return 0;
}

/* Find the IP packet in an Ethernet frame; iplen stays 0 if there is none. */
static void
ether_ip(struct lab_pcap_pkt *pkt)
{
	const uint8_t *p = pkt->data;
	size_t off = 12;
	uint16_t type;
	int tags;

	for (tags = 0; tags < 3; tags++) {
		if (pkt->caplen < off + 2)
			return;
		type = (uint16_t)(p[off] << 8 | p[off + 1]);
		if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) {
			off += 4;
			continue;
		}
		if (type == ETHERTYPE_IP4 || type == ETHERTYPE_IP6) {
			pkt->ip = p + off + 2;
			pkt->iplen = pkt->caplen - off - 2;
		}
		return;
	}
}

int
lab_pcap_next(struct lab_pcap *pc, struct lab_pcap_pkt *pkt, struct td_err *err)
{
	uint8_t h[REC_HDR];
	uint32_t sec, frac;
	size_t n;

	memset(pkt, 0, sizeof(*pkt));
	if (pc->fp == NULL || pc->writing || pc->buf == NULL)
		return td_errf(err, EINVAL, "pcap '%s': not open for reading", pc->name);
	n = fread(h, 1, sizeof(h), pc->fp);
	if (n == 0 && !ferror(pc->fp))
		return 0;
	if (n != sizeof(h)) {
		if (ferror(pc->fp))
			return td_errf(err, errno, "pcap '%s': record %llu: %s", pc->name,
			    (unsigned long long)pc->nrec + 1, strerror(errno));
		return td_errf(err, EINVAL, "pcap '%s': record %llu: header truncated (%zu of %d bytes)",
		    pc->name, (unsigned long long)pc->nrec + 1, n, REC_HDR);
	}
	sec = rd32(h, pc->swap);
	frac = rd32(h + 4, pc->swap);
	pkt->caplen = rd32(h + 8, pc->swap);
	pkt->origlen = rd32(h + 12, pc->swap);
	pc->nrec++;
	if (frac >= (pc->nsec ? 1000000000u : 1000000u))
		return td_errf(err, EINVAL, "pcap '%s': record %llu: fraction %u out of range",
		    pc->name, (unsigned long long)pc->nrec, frac);
	if (pkt->caplen > pc->snaplen)
		return td_errf(err, EINVAL, "pcap '%s': record %llu: captured length %u exceeds the snap length %u",
		    pc->name, (unsigned long long)pc->nrec, pkt->caplen, pc->snaplen);
	if (pkt->caplen > pkt->origlen)
		return td_errf(err, EINVAL, "pcap '%s': record %llu: captured length %u exceeds the original length %u",
		    pc->name, (unsigned long long)pc->nrec, pkt->caplen, pkt->origlen);
	n = fread(pc->buf, 1, pkt->caplen, pc->fp);
	if (n != pkt->caplen)
		return td_errf(err, EINVAL, "pcap '%s': record %llu: data truncated (%zu of %u bytes)",
		    pc->name, (unsigned long long)pc->nrec, n, pkt->caplen);
	pkt->ts_ns = (uint64_t)sec * 1000000000u + (pc->nsec ? frac : (uint64_t)frac * 1000u);
	pkt->data = pc->buf;
	switch (pc->linktype) {
	case LAB_LINKTYPE_ETHERNET:
		ether_ip(pkt);
		break;
	default:
		pkt->ip = pc->buf;
		pkt->iplen = pkt->caplen;
		break;
	}
	return 1;
}

/*
 * Writing goes through libpcap's savefile writer (pcap_dump(3PCAP)): a dead
 * handle of DLT_RAW with nanosecond precision (pcap_open_dead_with_
 * tstamp_precision), so the file carries the nanosecond magic 0xa1b23c4d
 * and LINKTYPE_RAW (101).  libpcap's dumper owns the stream it is given and
 * closes it: it gets its own descriptor (dup) so that a caller's stream
 * stays open, as lab_pcap_fcreate() promises.
 */
static int
dump_open(struct lab_pcap *pc, FILE *fp, struct td_err *err)
{
	pcap_t *dead;
	pcap_dumper_t *d;
	FILE *own;
	int fd;

	pc->writing = true;
	pc->nsec = true;
	pc->linktype = LAB_LINKTYPE_RAW;
	pc->snaplen = LAB_PCAP_MAXREC;
	if (fflush(fp) != 0)
		return td_errf(err, errno, "pcap '%s': %s", pc->name, strerror(errno));
	dead = pcap_open_dead_with_tstamp_precision(DLT_RAW, (int)pc->snaplen,
	    PCAP_TSTAMP_PRECISION_NANO);
	if (dead == NULL)
		return td_errf(err, ENOMEM, "pcap '%s': libpcap: out of memory", pc->name);
	fd = dup(fileno(fp));
	own = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (own == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		pcap_close(dead);
		return td_errf(err, e, "pcap '%s': %s", pc->name, strerror(e));
	}
	d = pcap_dump_fopen(dead, own);
	if (d == NULL) {
		td_errf(err, EIO, "pcap '%s': libpcap: %s", pc->name, pcap_geterr(dead));
		fclose(own);
		pcap_close(dead);
		return -1;
	}
	/* The file header is written now: a capture with no packet is still one. */
	if (pcap_dump_flush(d) != 0) {
		int e = errno != 0 ? errno : EIO;

		pcap_dump_close(d);
		pcap_close(dead);
		return td_errf(err, e, "pcap '%s': %s", pc->name, strerror(e));
	}
	pc->dead = dead;
	pc->dumper = d;
	return 0;
}

int
lab_pcap_fcreate(struct lab_pcap *pc, FILE *fp, const char *name, struct td_err *err)
{
	pc_init(pc, fp, name, false);
	return dump_open(pc, fp, err);
}

int
lab_pcap_create(struct lab_pcap *pc, const char *path, struct td_err *err)
{
	FILE *fp;

	if ((fp = fopen(path, "wbe")) == NULL)
		return td_errf(err, errno, "pcap '%s': %s", path, strerror(errno));
	pc_init(pc, fp, path, true);
	if (dump_open(pc, fp, err) < 0) {
		lab_pcap_close(pc, NULL);
		return -1;
	}
	return 0;
}

int
lab_pcap_write(struct lab_pcap *pc, uint64_t ts_ns, const uint8_t *pkt, size_t len,
    struct td_err *err)
{
	struct pcap_pkthdr h;

	if (pc->fp == NULL || !pc->writing || pc->dumper == NULL)
		return td_errf(err, EINVAL, "pcap '%s': not open for writing", pc->name);
	if (len > pc->snaplen)
		return td_errf(err, EMSGSIZE, "pcap '%s': packet of %zu bytes exceeds the snap length %u",
		    pc->name, len, pc->snaplen);
	memset(&h, 0, sizeof(h));
	/* With nanosecond precision, tv_usec carries nanoseconds (pcap_dump(3PCAP)). */
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000u);
	h.caplen = (bpf_u_int32)len;
	h.len = (bpf_u_int32)len;
	errno = 0;
	pcap_dump((u_char *)pc->dumper, &h, pkt);
	if (ferror(pcap_dump_file(pc->dumper)))
		return td_errf(err, errno != 0 ? errno : EIO, "pcap '%s': %s", pc->name,
		    strerror(errno != 0 ? errno : EIO));
	pc->nrec++;
	return 0;
}

int
lab_pcap_close(struct lab_pcap *pc, struct td_err *err)
{
	int ret = 0;

	if (pc->dumper != NULL) {
		if (pcap_dump_flush(pc->dumper) != 0)
			ret = td_errf(err, errno != 0 ? errno : EIO, "pcap '%s': %s", pc->name,
			    strerror(errno != 0 ? errno : EIO));
		pcap_dump_close(pc->dumper);	/* closes libpcap's own descriptor */
		pc->dumper = NULL;
	}
	if (pc->dead != NULL) {
		pcap_close(pc->dead);
		pc->dead = NULL;
	}
	if (pc->fp != NULL) {
		if (pc->writing && fflush(pc->fp) != 0 && ret == 0)
			ret = td_errf(err, errno, "pcap '%s': %s", pc->name, strerror(errno));
		if (pc->own && fclose(pc->fp) != 0 && ret == 0 && pc->writing)
			ret = td_errf(err, errno, "pcap '%s': %s", pc->name, strerror(errno));
	}
	pc->fp = NULL;
	free(pc->buf);
	pc->buf = NULL;
	return ret;
}
