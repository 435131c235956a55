/* SPDX-License-Identifier: MIT */
/*
 * TUN device and its rtnetlink configuration.  See tun.h for the contract.
 * Kernel interfaces: Documentation/networking/tuntap.rst (TUNSETIFF,
 * IFF_NO_PI), rtnetlink(7) (RTM_NEWADDR, RTM_NEWROUTE, RTM_NEWLINK).
 */
#include "lab/tun.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "collectors/snapshot.h"
#include "tcp/segment.h"
#include "core/util.h"

/* MNL_SOCKET_BUFFER_SIZE calls sysconf(): a VLA.  Our messages are tiny. */
#define RTNL_BUF	8192

uint64_t
lab_now_ns(void)
{
	return (uint64_t)td_mono_ns();
}

int
lab_tun_open(struct lab_tun *t, const char *name, struct td_err *err)
{
	struct ifreq ifr;
	int fd;

	t->fd = -1;
	t->ifindex = 0;
	t->name[0] = '\0';
	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ENODEV)
			return td_errf(err, errno, "/dev/net/tun: %s (is the tun module loaded?)",
			    strerror(errno));
		if (errno == EACCES || errno == EPERM)
			return td_errf(err, errno, "/dev/net/tun: %s (needs root or CAP_NET_ADMIN)",
			    strerror(errno));
		return td_errf(err, errno, "/dev/net/tun: %s", strerror(errno));
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (name != NULL)
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		close(fd);
		if (e == EPERM || e == EACCES)
			return td_errf(err, e, "TUNSETIFF '%s': %s (needs CAP_NET_ADMIN)",
			    name ? name : "tun%d", strerror(e));
		return td_errf(err, e, "TUNSETIFF '%s': %s", name ? name : "tun%d", strerror(e));
	}
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	t->ifindex = (int)if_nametoindex(t->name);
	if (t->ifindex == 0) {
		close(fd);
		return td_errf(err, errno, "tun device '%s': no interface index", t->name);
	}
	t->fd = fd;
	return 0;
}

/* Send one rtnetlink request and wait for its acknowledgement. */
static int
rtnl_talk(struct nlmsghdr *nlh, const char *what, struct td_err *err)
{
	char buf[RTNL_BUF];
	struct mnl_socket *nl;
	unsigned int seq, portid;
	ssize_t n;
	int ret;

	if ((nl = mnl_socket_open(NETLINK_ROUTE)) == NULL)
		return td_errf(err, errno, "rtnetlink socket: %s", strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = td_errf(err, errno, "rtnetlink bind: %s", strerror(errno));
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	seq = (unsigned int)time(NULL);
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = td_errf(err, errno, "%s: sending: %s", what, strerror(errno));
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0) {
		ret = td_errf(err, errno, "%s: receiving: %s", what, strerror(errno));
		goto out;
	}
	ret = mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL);
	if (ret < 0)
		ret = td_errf(err, errno, "%s: %s", what, strerror(errno));
	else
		ret = 0;
out:
	mnl_socket_close(nl);
	return ret;
}

static size_t
addr_len(const struct tm_addr *a, const void **p)
{
	if (a->family == AF_INET) {
		*p = &a->a.s6_addr[12];
		return 4;
	}
	*p = a->a.s6_addr;
	return 16;
}

int
lab_tun_addr(struct lab_tun *t, const struct tm_addr *a, int prefixlen, struct td_err *err)
{
	char buf[RTNL_BUF], s[64], what[96];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	const void *p;
	size_t n;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = (unsigned char)prefixlen;
	ifa->ifa_index = (unsigned int)t->ifindex;
	/* No duplicate address detection: the address is usable at once. */
	ifa->ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
	n = addr_len(a, &p);
	mnl_attr_put(nlh, IFA_LOCAL, n, p);
	mnl_attr_put(nlh, IFA_ADDRESS, n, p);
	snprintf(what, sizeof(what), "adding %s/%d to %s", tm_addr_str(a, s, sizeof(s)),
	    prefixlen, t->name);
	return rtnl_talk(nlh, what, err);
}

int
lab_tun_route(struct lab_tun *t, const struct tm_addr *dst, int prefixlen, struct td_err *err)
{
	char buf[RTNL_BUF], s[64], what[96];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	const void *p;
	size_t n;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = (unsigned char)prefixlen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	n = addr_len(dst, &p);
	mnl_attr_put(nlh, RTA_DST, n, p);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)t->ifindex);
	snprintf(what, sizeof(what), "route %s/%d via %s", tm_addr_str(dst, s, sizeof(s)),
	    prefixlen, t->name);
	return rtnl_talk(nlh, what, err);
}

static int
link_up(int ifindex, const char *name, struct td_err *err)
{
	char buf[RTNL_BUF], what[64];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	snprintf(what, sizeof(what), "setting %s up", name);
	return rtnl_talk(nlh, what, err);
}

int
lab_tun_up(struct lab_tun *t, struct td_err *err)
{
	return link_up(t->ifindex, t->name, err);
}

int
lab_link_up(const char *ifname, struct td_err *err)
{
	unsigned int idx = if_nametoindex(ifname);

	if (idx == 0)
		return td_errf(err, errno, "link '%s': %s", ifname, strerror(errno));
	return link_up((int)idx, ifname, err);
}

int
lab_tun_read(struct lab_tun *t, uint8_t *buf, size_t cap, int timeout_ms, uint64_t *ts_ns,
    struct td_err *err)
{
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	uint64_t deadline = 0, now;
	ssize_t n;
	int r, wait;

	if (timeout_ms > 0)
		deadline = lab_now_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		n = read(t->fd, buf, cap);
		if (n >= 0) {
			*ts_ns = lab_now_ns();
			if ((size_t)n == cap)
				return td_errf(err, EMSGSIZE, "%s: packet of %zu bytes or more, buffer too small",
				    t->name, cap);
			return (int)n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return td_errf(err, errno, "reading %s: %s", t->name, strerror(errno));
		if (timeout_ms == 0)
			return 0;
		wait = -1;
		if (timeout_ms > 0) {
			now = lab_now_ns();
			if (now >= deadline)
				return 0;
			wait = (int)((deadline - now + 999999) / 1000000);
		}
		r = poll(&pfd, 1, wait);
		if (r < 0 && errno != EINTR)
			return td_errf(err, errno, "poll %s: %s", t->name, strerror(errno));
	}
}

int
lab_tun_write(struct lab_tun *t, const uint8_t *pkt, size_t len, struct td_err *err)
{
	ssize_t n;

	do
		n = write(t->fd, pkt, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return td_errf(err, errno, "writing %zu bytes to %s: %s", len, t->name,
		    strerror(errno));
	if ((size_t)n != len)
		return td_errf(err, EIO, "writing to %s: %zd of %zu bytes", t->name, n, len);
	return 0;
}

void
lab_tun_close(struct lab_tun *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}
