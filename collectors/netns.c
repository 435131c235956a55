/* SPDX-License-Identifier: MIT */
/*
 * Switching the process into another network namespace with setns(2).
 */
#include "collectors/netns.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapshot.h"

#define NETNS_RUN_DIR	"/run/netns"

static int
valid_netns_name(const char *name)
{
	/* ip-netns(8) names are file names in /run/netns. */
	return name[0] != '\0' && strchr(name, '/') == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
	    strlen(name) < NAME_MAX;
}

int
netns_enter(const char *name, int pid, struct td_err *err)
{
	char path[PATH_MAX];
	int fd, saved;

	if (name != NULL) {
		if (!valid_netns_name(name))
			return td_errf(err, EINVAL, "netns '%s': not a valid namespace name", name);
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	} else if (pid > 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	} else {
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		if (saved == ENOENT && name != NULL)
			return td_errf(err, ENXIO, "netns '%s': no such network namespace (%s)",
			    name, path);
		if (saved == ENOENT)
			return td_errf(err, ESRCH, "netns of pid %d: no such process", pid);
		if (name != NULL)
			return td_errf(err, saved, "netns '%s': cannot open %s: %s", name, path,
			    strerror(saved));
		return td_errf(err, saved, "netns of pid %d: cannot open %s: %s", pid, path,
		    strerror(saved));
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		saved = errno;
		close(fd);
		if (saved == EINVAL)
			return td_errf(err, ENXIO, "netns: %s is not a network namespace", path);
		return td_errf(err, saved, "netns: setns %s: %s%s", path, strerror(saved),
		    saved == EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : "");
	}
	close(fd);
	return 0;
}

uint64_t
netns_current_ino(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return 0;
	return (uint64_t)st.st_ino;
}

/*
 * SO_NETNS_COOKIE (Linux 5.14, include/uapi/asm-generic/socket.h; its
 * number differs on alpha, mips, parisc and sparc, so only the libc
 * headers' definition is used) returns sock_net(sk)->net_cookie, a u64
 * the kernel takes from a boot-wide counter when it sets the namespace up
 * (net/core/net_namespace.c) and never reuses; sk_getsockopt() in
 * net/core/sock.c wants optlen of exactly 8.  The socket is created in the
 * namespace this thread is in, which is the one every collector reads.
 */
uint64_t
netns_current_cookie(void)
{
#ifdef SO_NETNS_COOKIE
	static const int families[] = { AF_UNIX, AF_NETLINK, AF_INET };
	uint64_t cookie = 0;
	socklen_t len;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		fd = socket(families[i], SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		len = sizeof(cookie);
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0 ||
		    len != sizeof(cookie))
			cookie = 0;	/* ENOPROTOOPT: a kernel before 5.14 */
		close(fd);
		return cookie;
	}
#endif
	return 0;
}
