/* SPDX-License-Identifier: MIT */
/*
 * A TUN device in the calling thread's network namespace: the wire between
 * the kernel's TCP and ours.  The device is opened with IFF_TUN|IFF_NO_PI,
 * so each read or write is one bare IPv4 or IPv6 packet.  Addresses, routes
 * and link state are set over rtnetlink (libmnl).  Times are CLOCK_MONOTONIC
 * nanoseconds, the clock the tracefs instance is switched to as well.
 *
 * Usage:
 *	struct lab_tun t;
 *	if (lab_tun_open(&t, "td0", &err) < 0 ||
 *	    lab_tun_addr(&t, &local, 15, &err) < 0 || lab_tun_up(&t, &err) < 0)
 *		... err.msg ...
 *	n = lab_tun_read(&t, buf, sizeof(buf), 500, &ts, &err);
 *	lab_tun_close(&t);
 */
#ifndef TD_LAB_TUN_H
#define TD_LAB_TUN_H

#include <net/if.h>

#include <stddef.h>
#include <stdint.h>

struct td_err;
struct tm_addr;

struct lab_tun {
	int		fd;		/* -1 when closed */
	int		ifindex;
	char		name[IF_NAMESIZE];
};

/* Monotonic time in nanoseconds. */
uint64_t lab_now_ns(void);

/*
 * Create TUN device name (NULL: the kernel picks tunN) and open it
 * non-blocking.  Returns 0, or -1 with *err set: ENOENT when /dev/net/tun is
 * missing (module not loaded), EPERM/EACCES without CAP_NET_ADMIN.
 */
int	lab_tun_open(struct lab_tun *t, const char *name, struct td_err *err);

/* Add address a/prefixlen to the device (IPv6 without DAD).  0 or -1. */
int	lab_tun_addr(struct lab_tun *t, const struct tm_addr *a, int prefixlen,
	    struct td_err *err);

/* Route dst/prefixlen through the device.  0 or -1. */
int	lab_tun_route(struct lab_tun *t, const struct tm_addr *dst, int prefixlen,
	    struct td_err *err);

/* Set the device (or, with ifname, another link such as "lo") up.  0 or -1. */
int	lab_tun_up(struct lab_tun *t, struct td_err *err);
int	lab_link_up(const char *ifname, struct td_err *err);

/*
 * Wait up to timeout_ms (0: do not wait; < 0: forever) for one packet and
 * copy it into buf.  Returns its length with *ts_ns set to the monotonic time
 * it was read, 0 on timeout, or -1 with *err set.  A packet longer than cap is
 * an error (the device MTU keeps them below TM_PKT_MAX).
 */
int	lab_tun_read(struct lab_tun *t, uint8_t *buf, size_t cap, int timeout_ms,
	    uint64_t *ts_ns, struct td_err *err);

/* Write one packet.  Returns 0, or -1 with *err set. */
int	lab_tun_write(struct lab_tun *t, const uint8_t *pkt, size_t len, struct td_err *err);

/* Close the device (it disappears with its addresses); safe to call twice. */
void	lab_tun_close(struct lab_tun *t);

#endif /* TD_LAB_TUN_H */
