/* SPDX-License-Identifier: MIT */
/*
 * Switching the process into another network namespace with setns(2), and
 * finding every network namespace on the host (-A): a namespace lives as
 * long as something holds it, and each holder shows it as an nsfs inode:
 * a bind mount (ip-netns(8) under /run/netns, container runtimes
 * elsewhere, all listed in mountinfo with type nsfs and root "net:[INO]",
 * fs/nsfs.c nsfs_show_path()) or a process (/proc/PID/ns/net,
 * fs/proc/namespaces.c).  An open fd or a socket's reference can hold one
 * too; those have no path to enter by and are not found (ss and lsns miss
 * them as well).
 */
#include "collectors/netns.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "core/num.h"
#include "core/util.h"

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

	for (i = 0; i < ARRAY_SIZE(families); i++) {
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

/* ---- Discovery ---- */

static struct netns_info *
list_find(struct netns_list *l, uint64_t dev, uint64_t ino)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].dev == dev && l->v[i].ino == ino)
			return &l->v[i];
	return NULL;
}

/*
 * Record the namespace that path leads to, found the way how; one already
 * known only gains a lower pid.  A path that cannot be stat()ed (a process
 * that exited, a name being removed) is skipped: 0.  -1 only when memory
 * runs out.
 */
static int
list_add(struct netns_list *l, const char *path, enum netns_how how, const char *label, int pid,
    struct td_err *err)
{
	struct netns_info *ns, *nv;
	struct stat st;
	size_t cap;

	if (stat(path, &st) < 0) {
		if (how == NETNS_HOW_PID && errno != ENOENT && errno != ESRCH)
			l->procs_unreadable++;
		return 0;
	}
	ns = list_find(l, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	if (ns != NULL) {
		if (pid > 0 && (ns->pid == 0 || pid < ns->pid))
			ns->pid = pid;
		/* The caller's own namespace keeps its name when it has one (-N's label). */
		if (ns->how == NETNS_HOW_SELF && ns->label[0] == '\0' && how != NETNS_HOW_PID)
			snprintf(ns->label, sizeof(ns->label), "%s", label);
		return 0;
	}
	if (l->n == l->cap) {
		cap = l->cap != 0 ? l->cap * 2 : 32;
		nv = realloc(l->v, cap * sizeof(*nv));
		if (nv == NULL)
			return td_errf(err, ENOMEM, "netns: out of memory");
		l->v = nv;
		l->cap = cap;
	}
	ns = &l->v[l->n++];
	memset(ns, 0, sizeof(*ns));
	ns->dev = (uint64_t)st.st_dev;
	ns->ino = (uint64_t)st.st_ino;
	ns->pid = pid;
	ns->how = (uint8_t)how;
	snprintf(ns->label, sizeof(ns->label), "%s", label);
	snprintf(ns->path, sizeof(ns->path), "%s", path);
	return 0;
}

static int
add_named(struct netns_list *l, struct td_err *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	d = opendir(NETNS_RUN_DIR);
	if (d == NULL)
		return 0;	/* no named namespace on this host */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!valid_netns_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, de->d_name);
		rc = list_add(l, path, NETNS_HOW_NAMED, de->d_name, 0, err);
	}
	closedir(d);
	return rc;
}

/*
 * nsfs bind mounts of network namespaces: mountinfo lines (fs/proc_namespace.c
 * show_mountinfo()) "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] - nsfs SRC
 * SUPEROPTS" whose ROOT is "net:[INO]".
 */
static int
add_mounts(const char *proc_root, struct netns_list *l, struct td_err *err)
{
	char path[PATH_MAX], *line = NULL, *f[5], *p, *sep;
	size_t cap = 0;
	FILE *fp;
	int i, rc = 0;

	snprintf(path, sizeof(path), "%s/self/mountinfo", proc_root);
	fp = fopen(path, "re");
	if (fp == NULL)
		return 0;
	while (rc == 0 && getline(&line, &cap, fp) > 0) {
		sep = strstr(line, " - ");
		if (sep == NULL || strncmp(sep, " - nsfs ", 8) != 0)
			continue;
		*sep = '\0';
		p = line;
		for (i = 0; i < 5; i++) {
			f[i] = strsep(&p, " ");
			if (f[i] == NULL)
				break;
		}
		if (i < 5 || strncmp(f[3], "net:[", 5) != 0)
			continue;
		td_unescape_octal(f[4]);
		rc = list_add(l, f[4], NETNS_HOW_MOUNT, f[4], 0, err);
	}
	free(line);
	fclose(fp);
	return rc;
}

static int
add_procs(const char *proc_root, struct netns_list *l, struct td_err *err)
{
	char path[PATH_MAX], label[32];
	struct dirent *de;
	DIR *d;
	int64_t pid;
	int rc = 0;

	d = opendir(proc_root);
	if (d == NULL)
		return td_errf(err, errno, "netns: cannot read %s: %s", proc_root, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (td_num_i64(de->d_name, 1, INT_MAX, &pid, NULL) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%d/ns/net", proc_root, (int)pid);
		snprintf(label, sizeof(label), "pid:%d", (int)pid);
		rc = list_add(l, path, NETNS_HOW_PID, label, (int)pid, err);
	}
	closedir(d);
	return rc;
}

static int
info_cmp(const void *a, const void *b)
{
	const struct netns_info *x = a, *y = b;

	if (x->how != y->how)
		return x->how < y->how ? -1 : 1;
	if (x->how == NETNS_HOW_PID)
		return x->pid < y->pid ? -1 : x->pid > y->pid;
	return strcmp(x->label, y->label);
}

int
netns_discover(const char *proc_root, struct netns_list *l, struct td_err *err)
{
	char path[PATH_MAX];
	size_t i;

	memset(l, 0, sizeof(*l));
	if (proc_root == NULL)
		proc_root = "/proc";
	snprintf(path, sizeof(path), "%s/self/ns/net", proc_root);
	if (list_add(l, path, NETNS_HOW_SELF, "", 0, err) < 0 ||
	    add_named(l, err) < 0 || add_mounts(proc_root, l, err) < 0 ||
	    add_procs(proc_root, l, err) < 0) {
		netns_list_free(l);
		return -1;
	}
	if (l->n == 0 || l->v[0].how != NETNS_HOW_SELF) {
		netns_list_free(l);
		return td_errf(err, ENOENT, "netns: cannot stat %s", path);
	}
	/*
	 * The caller's own is entered by a path that stays valid ("self" is
	 * the caller); the pid of a process-held one is the lowest found.
	 */
	for (i = 0; i < l->n; i++)
		if (l->v[i].how == NETNS_HOW_PID && l->v[i].pid > 0)
			snprintf(l->v[i].path, sizeof(l->v[i].path), "%s/%d/ns/net", proc_root,
			    l->v[i].pid);
	qsort(l->v, l->n, sizeof(*l->v), info_cmp);
	return 0;
}

void
netns_list_free(struct netns_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static const char *
info_name(const struct netns_info *ns, char *buf, size_t len)
{
	if (ns->label[0] != '\0')
		snprintf(buf, len, "'%s' (inode %llu)", ns->label, (unsigned long long)ns->ino);
	else
		snprintf(buf, len, "inode %llu", (unsigned long long)ns->ino);
	return buf;
}

int
netns_enter_info(const struct netns_info *ns, struct td_err *err)
{
	char name[300];
	struct stat st;
	int fd, saved;

	info_name(ns, name, sizeof(name));
	fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		if (saved == ENOENT || saved == ESRCH)
			return td_errf(err, ENOENT, "netns %s: vanished (%s is gone)", name, ns->path);
		return td_errf(err, saved, "netns %s: cannot open %s: %s", name, ns->path,
		    strerror(saved));
	}
	/* A pid reused, a name removed and made again: not the one found. */
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_dev != ns->dev || (uint64_t)st.st_ino != ns->ino) {
		close(fd);
		return td_errf(err, ESTALE, "netns %s: vanished (%s now leads to another namespace)",
		    name, ns->path);
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		saved = errno;
		close(fd);
		return td_errf(err, saved, "netns %s: setns: %s%s", name, strerror(saved),
		    saved == EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : "");
	}
	close(fd);
	return 0;
}

int
netns_self_fd(struct td_err *err)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return td_errf(err, errno, "netns: cannot open /proc/self/ns/net: %s", strerror(errno));
	return fd;
}

int
netns_return(int fd, struct td_err *err)
{
	if (setns(fd, CLONE_NEWNET) < 0)
		return td_errf(err, errno, "netns: cannot return to the caller's namespace: %s",
		    strerror(errno));
	return 0;
}
