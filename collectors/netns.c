/* SPDX-License-Identifier: MIT */
/*
 * Switching the process into another network namespace with setns(2).
 */
#include "collectors/netns.h"

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
