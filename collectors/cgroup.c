/* SPDX-License-Identifier: MIT */
/* Sockets to cgroups to containers, units and pods; see cgroup.h. */
#include "collectors/cgroup.h"
#include "core/util.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CG_MAX_DEPTH	64		/* deeper trees are not walked further */
#define CG_MAX_DIRS	(1u << 20)	/* cgroups kept per walk */

/* ---- Parsing a path ---- */

static bool
is_hex64(const char *s, size_t n)
{
	size_t i;

	if (n != 64)
		return false;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

static bool
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* "<prefix><64 hex>.scope", the systemd cgroup driver's container scopes. */
static bool
scope_id(const char *c, size_t n, const char *prefix, char *id)
{
	size_t p = strlen(prefix);

	if (n != p + 64 + 6 || memcmp(c, prefix, p) != 0 || !ends_with(c, n, ".scope") ||
	    !is_hex64(c + p, 64))
		return false;
	memcpy(id, c + p, 64);
	id[64] = '\0';
	return true;
}

/*
 * A pod's uid: "pod<uid>" (cgroupfs driver, dashes) or
 * "kubepods[-<qos>]-pod<uid>.slice" (systemd driver, dashes as '_', since
 * '-' is systemd's slice separator).
 */
static bool
pod_uid(const char *c, size_t n, char *uid)
{
	const char *p;
	size_t k, i;

	if (n > 6 && ends_with(c, n, ".slice")) {
		if (strncmp(c, "kubepods", 8) != 0)
			return false;
		n -= 6;
		p = NULL;
		for (i = 0; i + 4 <= n; i++)
			if (memcmp(c + i, "-pod", 4) == 0)
				p = c + i + 4;
		if (p == NULL)
			return false;
	} else if (n > 3 && strncmp(c, "pod", 3) == 0) {
		p = c + 3;
	} else {
		return false;
	}
	k = (size_t)(c + n - p);
	if (k != 36)
		return false;
	for (i = 0; i < k; i++) {
		char ch = p[i] == '_' ? '-' : p[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (ch != '-')
				return false;
		} else if (!isxdigit((unsigned char)ch)) {
			return false;
		}
		uid[i] = (char)tolower((unsigned char)ch);
	}
	uid[k] = '\0';
	return true;
}

void
cgroup_name_parse(const char *path, struct cg_name *out)
{
	const char *c = path, *e;
	char prev[16] = "";
	size_t n;

	memset(out, 0, sizeof(*out));
	while (*c != '\0') {
		while (*c == '/')
			c++;
		e = strchrnul(c, '/');
		n = (size_t)(e - c);
		if (n == 0)
			break;
		if (scope_id(c, n, "docker-", out->id))
			out->kind = CG_DOCKER;
		else if (scope_id(c, n, "cri-containerd-", out->id))
			out->kind = CG_CONTAINERD;
		else if (scope_id(c, n, "crio-", out->id))
			out->kind = CG_CRIO;
		else if (scope_id(c, n, "libpod-", out->id))
			out->kind = CG_PODMAN;
		else if (is_hex64(c, n) && strcmp(prev, "docker") == 0) {
			memcpy(out->id, c, 64);
			out->id[64] = '\0';
			out->kind = CG_DOCKER;		/* cgroupfs driver: /docker/<id> */
		} else if (is_hex64(c, n) && out->pod_uid[0] != '\0') {
			memcpy(out->id, c, 64);
			out->id[64] = '\0';
			out->kind = CG_KUBE;		/* cgroupfs driver: /kubepods/.../pod<uid>/<id> */
		} else
			pod_uid(c, n, out->pod_uid);
		if ((ends_with(c, n, ".service") || ends_with(c, n, ".scope")) && n < sizeof(out->unit)) {
			memcpy(out->unit, c, n);
			out->unit[n] = '\0';
		}
		snprintf(prev, sizeof(prev), "%.*s", n < sizeof(prev) ? (int)n : 0, c);
		c = e;
	}
}

const char *
cgroup_kind_name(unsigned int kind)
{
	static const char *const names[] = {
		[CG_NONE] = "", [CG_DOCKER] = "docker", [CG_CONTAINERD] = "containerd",
		[CG_CRIO] = "crio", [CG_PODMAN] = "podman", [CG_KUBE] = "kube",
	};

	return kind < ARRAY_SIZE(names) ? names[kind] : "";
}

char *
cgroup_label(const struct cg_name *n, const char *pod_name, char *buf, size_t len)
{
	/* A name that does not fit gives way to the uid: never a cut name. */
	if (n->pod_uid[0] != '\0' && pod_name != NULL && strlen(pod_name) + 5 <= len)
		snprintf(buf, len, "pod %s", pod_name);
	else if (n->pod_uid[0] != '\0')
		snprintf(buf, len, "pod %s", n->pod_uid);
	else if (n->kind != CG_NONE)
		snprintf(buf, len, "%s:%.12s", cgroup_kind_name(n->kind), n->id);
	else if (strlen(n->unit) < len)
		snprintf(buf, len, "%s", n->unit);
	else if (len > 0)
		buf[0] = '\0';
	return buf;
}

/* ---- The map ---- */

struct cg_entry {
	uint64_t	id;
	uint32_t	off;		/* path in paths, +1; 0: empty slot */
};

struct cg_pod {
	char	uid[37];
	char	name[256];		/* "NS/NAME" */
};

struct cgroup_map {
	char		 root[PATH_MAX];	/* the cgroup2 mount point, "" if none */
	char		 pods_dir[PATH_MAX];
	struct cg_entry	*tab;
	size_t		 cap, n;		/* cap a power of two */
	char		*paths;
	size_t		 plen, pcap;
	int		 walks;			/* at most 2 per map */
	struct cg_pod	*pods;
	size_t		 npods;
	bool		 pods_read;
};

static size_t
slot(uint64_t id, size_t cap)
{
	id ^= id >> 33;
	id *= UINT64_C(0xff51afd7ed558ccd);
	id ^= id >> 33;
	return (size_t)id & (cap - 1);
}

static int
map_put(struct cgroup_map *m, uint64_t id, const char *path)
{
	size_t i, k = strlen(path) + 1, ncap;
	struct cg_entry *nt;
	char *np;

	if (m->n >= CG_MAX_DIRS)
		return -1;
	if ((m->n + 1) * 2 > m->cap) {
		ncap = m->cap != 0 ? m->cap * 2 : 1024;
		nt = calloc(ncap, sizeof(*nt));
		if (nt == NULL)
			return -1;
		for (i = 0; i < m->cap; i++)
			if (m->tab[i].off != 0) {
				size_t j = slot(m->tab[i].id, ncap);

				while (nt[j].off != 0)
					j = (j + 1) & (ncap - 1);
				nt[j] = m->tab[i];
			}
		free(m->tab);
		m->tab = nt;
		m->cap = ncap;
	}
	if (m->plen + k > m->pcap) {
		size_t pc = m->pcap != 0 ? m->pcap * 2 : 65536;

		while (pc < m->plen + k)
			pc *= 2;
		if (pc > UINT32_MAX || (np = realloc(m->paths, pc)) == NULL)
			return -1;
		m->paths = np;
		m->pcap = pc;
	}
	i = slot(id, m->cap);
	while (m->tab[i].off != 0) {
		if (m->tab[i].id == id)
			return 0;
		i = (i + 1) & (m->cap - 1);
	}
	memcpy(m->paths + m->plen, path, k);
	m->tab[i].id = id;
	m->tab[i].off = (uint32_t)m->plen + 1;
	m->plen += k;
	m->n++;
	return 0;
}

static const char *
map_get(const struct cgroup_map *m, uint64_t id)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = slot(id, m->cap); m->tab[i].off != 0; i = (i + 1) & (m->cap - 1))
		if (m->tab[i].id == id)
			return m->paths + m->tab[i].off - 1;
	return NULL;
}

/* Every directory under dirfd (path rel) by its inode: d_ino is kernfs_ino(). */
static void
walk(struct cgroup_map *m, int dfd, char *rel, size_t rlen, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd;
	size_t k;

	d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		k = strlen(de->d_name);
		if (rlen + 1 + k >= PATH_MAX)
			continue;	/* not recorded: its sockets stay unnamed, never misnamed */
		rel[rlen] = '/';
		memcpy(rel + rlen + 1, de->d_name, k + 1);
		if (map_put(m, (uint64_t)de->d_ino, rel) < 0)
			break;
		if (depth + 1 < CG_MAX_DEPTH) {
			fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (fd >= 0)
				walk(m, fd, rel, rlen + 1 + k, depth + 1);
		}
		rel[rlen] = '\0';
	}
	closedir(d);
}

static void
map_walk(struct cgroup_map *m)
{
	char rel[PATH_MAX] = "";
	struct stat st;
	int fd;

	m->walks++;
	if (m->root[0] == '\0')
		return;
	fd = open(m->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0)
		map_put(m, (uint64_t)st.st_ino, "/");
	walk(m, fd, rel, 0, 0);
}

/* The first cgroup2 mount (fs/proc_namespace.c show_mountinfo(): "... - cgroup2 ..."). */
static void
find_root(const char *proc_root, char *root, size_t len)
{
	char path[PATH_MAX], *line = NULL, *p, *f[5], *sep;
	size_t cap = 0;
	FILE *fp;
	int i;

	root[0] = '\0';
	snprintf(path, sizeof(path), "%s/self/mountinfo", proc_root);
	fp = fopen(path, "re");
	if (fp == NULL)
		return;
	while (getline(&line, &cap, fp) > 0) {
		sep = strstr(line, " - ");
		if (sep == NULL || strncmp(sep, " - cgroup2 ", 11) != 0)
			continue;
		*sep = '\0';
		p = line;
		for (i = 0; i < 5 && (f[i] = strsep(&p, " ")) != NULL; i++)
			;
		if (i < 5)
			continue;
		td_unescape_octal(f[4]);
		if (strlen(f[4]) < len) {
			snprintf(root, len, "%s", f[4]);
			break;
		}
	}
	free(line);
	fclose(fp);
}

struct cgroup_map *
cgroup_map_new(const char *proc_root, const char *pods_dir)
{
	struct cgroup_map *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	find_root(proc_root != NULL ? proc_root : "/proc", m->root, sizeof(m->root));
	snprintf(m->pods_dir, sizeof(m->pods_dir), "%s", pods_dir != NULL ? pods_dir : "/var/log/pods");
	return m;
}

void
cgroup_map_free(struct cgroup_map *m)
{
	if (m == NULL)
		return;
	free(m->tab);
	free(m->paths);
	free(m->pods);
	free(m);
}

const char *
cgroup_map_root(const struct cgroup_map *m)
{
	return m->root;
}

/* The kubelet's /var/log/pods/NS_NAME_UID (NS and NAME are DNS labels: no '_'). */
static void
read_pods(struct cgroup_map *m)
{
	struct dirent *de;
	struct cg_pod *np;
	const char *u1, *u2;
	size_t cap = 0, k;
	DIR *d;

	m->pods_read = true;
	d = opendir(m->pods_dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		u1 = strchr(de->d_name, '_');
		u2 = strrchr(de->d_name, '_');
		if (u1 == NULL || u1 == u2 || strlen(u2 + 1) != 36 || u1 == de->d_name || u2 == u1 + 1)
			continue;
		if (m->npods == cap) {
			cap = cap != 0 ? cap * 2 : 64;
			np = realloc(m->pods, cap * sizeof(*np));
			if (np == NULL)
				break;
			m->pods = np;
		}
		np = &m->pods[m->npods];
		snprintf(np->uid, sizeof(np->uid), "%s", u2 + 1);
		k = (size_t)(u1 - de->d_name);
		snprintf(np->name, sizeof(np->name), "%.*s/%.*s", (int)k, de->d_name,
		    (int)(u2 - u1 - 1), u1 + 1);
		m->npods++;
	}
	closedir(d);
}

static const char *
pod_name(struct cgroup_map *m, const char *uid)
{
	size_t i;

	if (!m->pods_read)
		read_pods(m);
	for (i = 0; i < m->npods; i++)
		if (strcmp(m->pods[i].uid, uid) == 0)
			return m->pods[i].name;
	return NULL;
}

int
cgroup_map_lookup(struct cgroup_map *m, uint64_t id, char *path, size_t len, char *label,
    size_t llen)
{
	struct cg_name n;
	const char *p;

	path[0] = '\0';
	label[0] = '\0';
	if (id == 0)
		return 0;
	if (m->walks == 0)
		map_walk(m);
	p = map_get(m, id);
	if (p == NULL && m->walks < 2) {
		map_walk(m);		/* a cgroup made after the first walk */
		p = map_get(m, id);
	}
	if (p == NULL || strlen(p) >= len)
		return 0;
	snprintf(path, len, "%s", p);
	cgroup_name_parse(p, &n);
	cgroup_label(&n, n.pod_uid[0] != '\0' ? pod_name(m, n.pod_uid) : NULL, label, llen);
	return 1;
}
