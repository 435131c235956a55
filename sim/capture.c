/* SPDX-License-Identifier: MIT */
/*
 * Reading captures through libpcap (pcap(3PCAP), pcap-savefile(5),
 * pcap-linktype(7)); the link-layer headers are those of the LINKTYPE_
 * registry (https://www.tcpdump.org/linktypes.html): Ethernet II with
 * 802.1Q (0x8100), 802.1ad (0x88a8) and old QinQ (0x9100) tags; Linux
 * cooked v1 (16 bytes, protocol at offset 14) and v2 (20 bytes, protocol at
 * offset 0); NULL (4-byte address family in the writer's byte order) and
 * LOOP (network order).
 */
#include <sys/prctl.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/capture.h"
#include "core/err.h"
#include "core/safefile.h"

#define ETH_VLAN_DEPTH	4		/* tags stripped at most (QinQ is 2) */

struct td_capture {
	pcap_t		*p;
	FILE		*fp;
	bool		 own_fp;
	int		 dlt;
	struct td_cap_stats st;
	char		 linkname[96];
	uint8_t		 scratch[TM_PKT_MAX];
	/*
	 * A file's stdio buffer: read in large blocks, not 4 KiB ones (12,000
	 * system calls for a 48 MB capture).  Freed after the stream closes.
	 */
	char		 iobuf[256 * 1024];
};

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool
dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
#endif
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

static struct td_capture *
cap_from_fp(FILE *fp, bool own, const char *name, struct td_err *err)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct td_capture *c;
	const char *dn, *dd;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		if (own)
			fclose(fp);
		td_errf(err, ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	c->fp = fp;
	c->own_fp = own;
	if (fp != stdin)
		(void)setvbuf(fp, c->iobuf, _IOFBF, sizeof(c->iobuf));
	c->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (c->p == NULL) {
		/* pcap_fopen_offline closes nothing on failure. */
		td_errf(err, EBADMSG, "%s: not a readable pcap or pcapng capture: %s", name,
		    errbuf[0] != '\0' ? errbuf : "unknown format");
		td_capture_close(c);
		return NULL;
	}
	c->own_fp = false;		/* pcap_close() closes it now */
	c->dlt = pcap_datalink(c->p);
	dn = pcap_datalink_val_to_name(c->dlt);
	dd = pcap_datalink_val_to_description(c->dlt);
	snprintf(c->linkname, sizeof(c->linkname), "%s (%s)", dn != NULL ? dn : "?",
	    dd != NULL ? dd : "unknown");
	if (!dlt_supported(c->dlt)) {
		td_errf(err, EBADMSG,
		    "%s: link type %d %s is not supported (Ethernet, Linux cooked SLL/SLL2, raw IP, loopback are)",
		    name, c->dlt, c->linkname);
		td_capture_close(c);
		return NULL;
	}
	return c;
}

struct td_capture *
td_capture_open(const char *path, struct td_err *err)
{
	FILE *fp;

	/*
	 * By safefile's rules (core/safefile.h): "-" and /dev/stdin are standard
	 * input (a live pipe); otherwise only a regular file, never a FIFO or
	 * device, and a symbolic link only of root or this user.
	 */
	fp = safefile_fopen_input("capture", path, 0, err);
	if (fp == NULL)
		return NULL;
	return cap_from_fp(fp, fp != stdin, strcmp(path, "-") == 0 ? "standard input" : path, err);
}

struct td_capture *
td_capture_open_mem(const void *data, size_t len, struct td_err *err)
{
	FILE *fp;

	if (len == 0) {
		td_errf(err, EBADMSG, "capture: empty");
		return NULL;
	}
	fp = fmemopen((void *)(uintptr_t)data, len, "rb");
	if (fp == NULL) {
		td_errf(err, errno, "capture: %s", strerror(errno));
		return NULL;
	}
	return cap_from_fp(fp, true, "capture", err);
}

void
td_capture_close(struct td_capture *c)
{
	if (c == NULL)
		return;
	if (c->p != NULL)
		pcap_close(c->p);
	else if (c->own_fp && c->fp != NULL)
		fclose(c->fp);
	free(c);
}

const struct td_cap_stats *
td_capture_stats(const struct td_capture *c)
{
	return &c->st;
}

const char *
td_capture_linktype(const struct td_capture *c)
{
	return c->linkname;
}

int
td_capture_snaplen(const struct td_capture *c)
{
	return pcap_snapshot(c->p);
}

/*
 * The offset of the IP header in a frame and whether the frame carries IP
 * at all: 1 (IP at *off), 0 (not IP: counted), -1 (link header cut short).
 */
static int
link_ip(int dlt, const uint8_t *d, size_t n, size_t *off, const char **why)
{
	uint16_t type;
	uint32_t fam;
	int depth;

	switch (dlt) {
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		*off = 0;
		return 1;
	case DLT_NULL:
	case DLT_LOOP:
		if (n < 4) {
			*why = "loopback header";
			return -1;
		}
		fam = be32(d);
		/* DLT_NULL is in the writer's byte order: a family fits in 16 bits. */
		if (dlt == DLT_NULL && fam > 0xffff)
			fam = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
			    (uint32_t)d[3] << 24;
		*off = 4;
		/* AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24, 28 or 30 (BSDs). */
		return fam == 2 || fam == 10 || fam == 24 || fam == 28 || fam == 30;
	case DLT_LINUX_SLL:
		if (n < 16) {
			*why = "Linux cooked header";
			return -1;
		}
		type = be16(d + 14);
		*off = 16;
		break;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		if (n < 20) {
			*why = "Linux cooked v2 header";
			return -1;
		}
		type = be16(d);
		*off = 20;
		break;
#endif
	default:			/* DLT_EN10MB */
		if (n < 14) {
			*why = "Ethernet header";
			return -1;
		}
		type = be16(d + 12);
		*off = 14;
		break;
	}
	for (depth = 0; type == 0x8100 || type == 0x88a8 || type == 0x9100; depth++) {
		if (depth == ETH_VLAN_DEPTH)
			return 0;
		if (n < *off + 4) {
			*why = "VLAN tag";
			return -1;
		}
		type = be16(d + *off + 2);
		*off += 4;
	}
	return type == 0x0800 || type == 0x86dd;
}

/*
 * The snap length cut this packet: decode its headers from a copy whose IP
 * length says what was captured, and give the segment the payload length
 * the IP header declared.  Returns 0, or -1 when the headers themselves
 * were cut.
 */
static int
decode_cut(struct td_capture *c, const uint8_t *ip, size_t caplen, struct tm_seg *seg)
{
	struct td_err e = { 0 };
	size_t declared;
	uint8_t *b = c->scratch;
	enum tm_dec r;

	if (caplen > sizeof(c->scratch) || caplen < 1)
		return -1;
	memcpy(b, ip, caplen);
	if (b[0] >> 4 == 4) {
		if (caplen < 20)
			return -1;
		declared = be16(b + 2);
		if (declared <= caplen)
			return -1;
		b[2] = (uint8_t)(caplen >> 8);
		b[3] = (uint8_t)caplen;
	} else if (b[0] >> 4 == 6) {
		if (caplen < 40)
			return -1;
		declared = (size_t)be16(b + 4) + 40;
		if (declared <= caplen)
			return -1;
		b[4] = (uint8_t)((caplen - 40) >> 8);
		b[5] = (uint8_t)(caplen - 40);
	} else {
		return -1;
	}
	r = tm_seg_decode(b, caplen, seg, &e);
	if (r == TM_DEC_MALFORMED)
		return -1;
	seg->len += (uint32_t)(declared - caplen);
	seg->payload = NULL;
	return 0;
}

enum td_cap_next
td_capture_next(struct td_capture *c, struct td_cap_pkt *pkt, struct td_err *err)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	const char *why = NULL;
	struct td_err e = { 0 };
	size_t off = 0, n;
	enum tm_dec r;
	uint64_t no;
	int rc;

	rc = pcap_next_ex(c->p, &h, &d);
	if (rc == PCAP_ERROR_BREAK)
		return TD_CAP_END;
	if (rc != 1) {
		/* libpcap: "truncated dump file; tried to read N captured bytes, only got M". */
		const char *msg = pcap_geterr(c->p);

		if (msg != NULL && strstr(msg, "truncated") != NULL)
			c->st.truncated++;
		td_errf(err, EBADMSG, "packet %llu: %s", (unsigned long long)c->st.packets + 1,
		    msg != NULL && msg[0] != '\0' ? msg : "unreadable record");
		return TD_CAP_ERROR;
	}
	no = ++c->st.packets;
	memset(pkt, 0, sizeof(*pkt));
	pkt->no = no;
	pkt->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
	n = h->caplen;
	rc = link_ip(c->dlt, d, n, &off, &why);
	if (rc < 0) {
		c->st.snap_cut++;
		td_errf(err, EBADMSG, "packet %llu: %s cut short (%zu bytes captured)",
		    (unsigned long long)no, why, n);
		return TD_CAP_SKIP;
	}
	if (rc == 0) {
		c->st.not_ip++;
		return TD_CAP_SKIP;	/* ARP and the like: counted, not worth a message */
	}
	r = tm_seg_decode(d + off, n - off, &pkt->seg, &e);
	if (r == TM_DEC_MALFORMED) {
		if (e.code == EPROTONOSUPPORT) {
			c->st.not_tcp++;
			return TD_CAP_SKIP;
		}
		if (strstr(e.msg, "fragment") != NULL) {
			c->st.fragments++;
			td_errf(err, EBADMSG, "packet %llu: %s", (unsigned long long)no, e.msg);
			return TD_CAP_SKIP;
		}
		if (h->caplen < h->len) {
			if (decode_cut(c, d + off, n - off, &pkt->seg) == 0) {
				c->st.snap_payload++;
				c->st.tcp++;
				pkt->payload_cut = true;
				return TD_CAP_SEG;
			}
			c->st.snap_cut++;
			td_errf(err, EBADMSG, "packet %llu: headers cut by the snap length (%u of %u bytes captured): %s",
			    (unsigned long long)no, h->caplen, h->len, e.msg);
			return TD_CAP_SKIP;
		}
		c->st.malformed++;
		td_errf(err, EBADMSG, "packet %llu: %s", (unsigned long long)no, e.msg);
		return TD_CAP_SKIP;
	}
	if (r == TM_DEC_BADSUM) {
		c->st.bad_checksum++;
		pkt->bad_checksum = true;
	}
	c->st.tcp++;
	return TD_CAP_SEG;
}

int
td_drop_privileges(const char *user, unsigned int *dropped_to, struct td_err *err)
{
	struct passwd *pw;
	uid_t uid = 65534;
	gid_t gid = 65534;

	if (geteuid() == 0 || getuid() == 0) {
		pw = getpwnam(user != NULL ? user : "nobody");
		if (pw != NULL) {
			uid = pw->pw_uid;
			gid = pw->pw_gid;
		} else if (user != NULL) {
			return td_errf(err, EINVAL, "no user '%s' to drop privileges to", user);
		}
		if (uid == 0)
			return td_errf(err, EPERM, "user '%s' is root: no privileges would be dropped",
			    user != NULL ? user : "nobody");
		/* As tcpdump's droproot(): groups first, then gid, then uid. */
		if (setgroups(0, NULL) < 0)
			return td_errf(err, EPERM, "dropping privileges: setgroups: %s", strerror(errno));
		if (setresgid(gid, gid, gid) < 0)
			return td_errf(err, EPERM, "dropping privileges: setresgid(%u): %s",
			    (unsigned int)gid, strerror(errno));
		if (setresuid(uid, uid, uid) < 0)
			return td_errf(err, EPERM, "dropping privileges: setresuid(%u): %s",
			    (unsigned int)uid, strerror(errno));
		if (setuid(0) == 0 || geteuid() == 0)
			return td_errf(err, EPERM, "dropping privileges: root could be regained");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return td_errf(err, EPERM, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (dropped_to != NULL)
		*dropped_to = (unsigned int)geteuid();
	return 0;
}
