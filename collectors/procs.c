/* SPDX-License-Identifier: MIT */
/*
 * inode -> pid/comm (see procs.h).  The wanted inodes live in an
 * open-addressing hash table (linear probing, power-of-two size, at most
 * half full); each slot also holds the owner once found.
 */
#include "collectors/procs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "core/safefile.h"

struct slot {
	uint64_t	inode;		/* 0: empty */
	int32_t		pid;		/* 0: not found yet */
	char		comm[16];
};

struct procs_map {
	struct slot	*slots;
	size_t		 size, used, found;
};

struct procs_map *
procs_new(void)
{
	return calloc(1, sizeof(struct procs_map));
}

void
procs_free(struct procs_map *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

static size_t
hash_inode(uint64_t ino, size_t size)
{
	/* Fibonacci hashing: inodes are often consecutive. */
	return (size_t)((ino * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & (size - 1);
}

static struct slot *
find_slot(struct slot *slots, size_t size, uint64_t ino)
{
	size_t i = hash_inode(ino, size);

	while (slots[i].inode != 0 && slots[i].inode != ino)
		i = (i + 1) & (size - 1);
	return &slots[i];
}

static int
grow(struct procs_map *m, struct td_err *err)
{
	size_t nsize = m->size == 0 ? 64 : m->size * 2, i;
	struct slot *n, *s;

	n = calloc(nsize, sizeof(*n));
	if (n == NULL)
		return td_errf(err, ENOMEM, "procs: out of memory for %zu inodes", m->used);
	for (i = 0; i < m->size; i++) {
		if (m->slots[i].inode == 0)
			continue;
		s = find_slot(n, nsize, m->slots[i].inode);
		*s = m->slots[i];
	}
	free(m->slots);
	m->slots = n;
	m->size = nsize;
	return 0;
}

int
procs_want(struct procs_map *m, uint64_t inode, struct td_err *err)
{
	struct slot *s;

	if (inode == 0)
		return 0;
	if ((m->used + 1) * 2 > m->size && grow(m, err) < 0)
		return -1;
	s = find_slot(m->slots, m->size, inode);
	if (s->inode == 0) {
		s->inode = inode;
		m->used++;
	}
	return 0;
}

bool
procs_lookup(const struct procs_map *m, uint64_t inode, int32_t *pid, char *comm)
{
	const struct slot *s;

	if (m == NULL || m->size == 0 || inode == 0)
		return false;
	s = find_slot(m->slots, m->size, inode);
	if (s->inode != inode || s->pid == 0)
		return false;
	*pid = s->pid;
	memcpy(comm, s->comm, sizeof(s->comm));
	return true;
}

size_t
procs_wanted(const struct procs_map *m)
{
	return m->used;
}

size_t
procs_found(const struct procs_map *m)
{
	return m->found;
}

/* "socket:[12345]" -> 12345, or 0. */
static uint64_t
socket_inode(const char *link)
{
	const char *p;
	char *end;
	uint64_t v;

	if (strncmp(link, "socket:[", 8) != 0)
		return 0;
	p = link + 8;
	if (!isdigit((unsigned char)*p))
		return 0;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno != 0 || strcmp(end, "]") != 0)
		return 0;
	return v;
}

static void
read_comm(const char *proc_root, const char *pid, char *comm)
{
	char path[PATH_MAX];
	FILE *fp;

	memset(comm, 0, 16);
	snprintf(path, sizeof(path), "%s/%s/comm", proc_root, pid);
	fp = safefile_fopen_proc(path);
	if (fp == NULL)
		return;
	if (fgets(comm, 16, fp) == NULL)
		comm[0] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	fclose(fp);
}

/* Look through one process's fds.  Returns false if they cannot be read. */
static bool
scan_pid(struct procs_map *m, const char *proc_root, const char *pid)
{
	char path[PATH_MAX], link[64], comm[16];
	bool have_comm = false;
	struct dirent *de;
	struct slot *s;
	uint64_t ino;
	ssize_t n;
	int32_t npid = (int32_t)strtol(pid, NULL, 10);
	DIR *d;
	int dfd;

	snprintf(path, sizeof(path), "%s/%s/fd", proc_root, pid);
	d = opendir(path);
	if (d == NULL)
		return errno == ENOENT;	/* gone meanwhile: not hidden */
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL && m->found < m->used) {
		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dfd, de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		ino = socket_inode(link);
		if (ino == 0)
			continue;
		s = find_slot(m->slots, m->size, ino);
		/* A socket shared by several processes goes to the lowest pid. */
		if (s->inode != ino || (s->pid != 0 && s->pid <= npid))
			continue;
		if (!have_comm) {
			read_comm(proc_root, pid, comm);
			have_comm = true;
		}
		if (s->pid == 0)
			m->found++;
		s->pid = npid;
		memcpy(s->comm, comm, sizeof(comm));
	}
	closedir(d);
	return true;
}

int
procs_resolve(struct procs_map *m, const char *proc_root, size_t *hidden, struct td_err *err)
{
	struct dirent *de;
	size_t nhidden = 0;
	DIR *d;

	if (hidden != NULL)
		*hidden = 0;
	if (m->used == 0)
		return 0;
	if (proc_root == NULL)
		proc_root = "/proc";
	d = opendir(proc_root);
	if (d == NULL)
		return td_errf(err, errno, "procs: cannot read '%s': %s", proc_root,
		    strerror(errno));
	while ((de = readdir(d)) != NULL && m->found < m->used) {
		if (!isdigit((unsigned char)de->d_name[0]) ||
		    strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		if (!scan_pid(m, proc_root, de->d_name))
			nhidden++;
	}
	closedir(d);
	if (hidden != NULL)
		*hidden = nhidden;
	return 0;
}
