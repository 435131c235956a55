/* SPDX-License-Identifier: MIT */
/*
 * TCP sysctls from <proc_root>/sys/net/..., the dotted name with dots
 * turned into slashes (as sysctl(8) does).  A knob that does not exist on
 * this kernel (tcp_tw_recycle, removed in 4.12) or in this namespace
 * (tcp_max_orphans is global: absent in a child netns, KERNEL-FACTS F11)
 * stays unreadable; only content that exists but cannot be parsed is an
 * error.
 */
#include "collectors/sysctl.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snapshot.h"
#include "core/num.h"
#include "core/safefile.h"

const struct td_sysctl_field td_sysctl_fields[TD_SYS_MAX] = {
#define X(id, name, kind)	[TD_SYS_##id] = { name, kind },
	TD_SYSCTLS(X)
#undef X
};

int
sysctl_find(const char *name)
{
	const char *dot;
	int i;

	for (i = 0; i < TD_SYS_MAX; i++) {
		if (strcmp(td_sysctl_fields[i].name, name) == 0)
			return i;
		dot = strrchr(td_sysctl_fields[i].name, '.');
		if (strchr(name, '.') == NULL && strcmp(dot + 1, name) == 0)
			return i;
	}
	return -1;
}

int64_t
sysctl_int(const struct td_sysctls *sys, enum td_sysctl_id id, int64_t dflt)
{
	if (id < 0 || id >= TD_SYS_MAX || !sys->s[id].readable)
		return dflt;
	return sys->s[id].v[0];
}

int
sysctl_value(const void *ctx, const char *dotted, int64_t *v)
{
	const struct td_sysctls *sys = ctx;
	int id;

	if (sys == NULL || dotted == NULL)
		return 0;
	for (id = 0; id < TD_SYS_MAX; id++)
		if (strcmp(td_sysctl_fields[id].name, dotted) == 0) {
			if (!sys->s[id].readable)
				return 0;
			*v = sys->s[id].v[0];
			return 1;
		}
	return 0;
}

/* Parse one integer (any sign, blanks before it), advancing *s past it and trailing blanks. */
static int
take_int(const char **s, int64_t *v)
{
	size_t n;

	*s += strspn(*s, " \t");
	n = (**s == '-' || **s == '+');
	n += strspn(*s + n, "0123456789");
	if (td_num_i64n(*s, n, 10, INT64_MIN, INT64_MAX, v, NULL) < 0)
		return -1;
	*s += n;
	while (**s == ' ' || **s == '\t')
		(*s)++;
	return 0;
}

/*
 * Walk an ip_local_reserved_ports list ("8080,9000-9010", "" when none):
 * call back once per range.  Returns 0, or -1 when malformed.
 */
static int
for_each_range(const char *s, void (*fn)(int64_t lo, int64_t hi, void *arg), void *arg)
{
	int64_t lo, hi;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '\n')
		return 0;
	for (;;) {
		if (!isdigit((unsigned char)*s) || take_int(&s, &lo) < 0)
			return -1;
		hi = lo;
		if (*s == '-') {
			s++;
			if (!isdigit((unsigned char)*s) || take_int(&s, &hi) < 0)
				return -1;
		}
		if (lo > hi || hi > 65535)
			return -1;
		fn(lo, hi, arg);
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '\0' || *s == '\n')
			return 0;
		return -1;
	}
}

static void
count_all(int64_t lo, int64_t hi, void *arg)
{
	*(int64_t *)arg += hi - lo + 1;
}

int64_t
sysctl_count_ports(const char *list)
{
	int64_t n = 0;

	return for_each_range(list, count_all, &n) < 0 ? -1 : n;
}

struct clip {
	int64_t	lo, hi, n;
};

static void
count_inside(int64_t lo, int64_t hi, void *arg)
{
	struct clip *c = arg;

	if (lo < c->lo)
		lo = c->lo;
	if (hi > c->hi)
		hi = c->hi;
	if (lo <= hi)
		c->n += hi - lo + 1;
}

bool
sysctl_port_range_ok(int64_t lo, int64_t hi)
{
	return lo >= 1 && lo <= hi && hi <= 65535;
}

int64_t
sysctl_usable_ports(const struct td_sysctls *sys)
{
	const struct td_sysval *r = &sys->s[TD_SYS_PORT_RANGE];
	struct clip c;

	/* Checked first: hi - lo + 1 below overflows on arbitrary int64s. */
	if (!r->readable || !sysctl_port_range_ok(r->v[0], r->v[1]))
		return -1;
	c.lo = r->v[0];
	c.hi = r->v[1];
	c.n = 0;
	/*
	 * Reserved ports outside the range do not matter; the kernel's list
	 * is sorted and merged (proc_do_large_bitmap), so no port counts twice.
	 */
	if (sys->s[TD_SYS_RESERVED_PORTS].readable &&
	    for_each_range(sys->reserved_ports, count_inside, &c) < 0)
		return -1;
	return (c.hi - c.lo + 1) - c.n;
}

/* Read a small procfs file into buf (NUL-terminated).  -1 with errno if absent. */
static ssize_t
read_small(const char *path, char *buf, size_t size)
{
	size_t n;
	FILE *fp;

	fp = safefile_fopen_proc(path);
	if (fp == NULL)
		return -1;
	n = fread(buf, 1, size - 1, fp);
	if (ferror(fp)) {
		fclose(fp);
		errno = EIO;
		return -1;
	}
	fclose(fp);
	buf[n] = '\0';
	return (ssize_t)n;
}

static int
parse_knob(int id, const char *path, const char *text, struct td_sysctls *sys,
    struct td_err *err)
{
	struct td_sysval *sv = &sys->s[id];
	const char *s = text, *name = td_sysctl_fields[id].name;
	int64_t count = 0;
	size_t len;

	switch (td_sysctl_fields[id].kind) {
	case TD_SYS_INT:
	case TD_SYS_PAIR:
		if (take_int(&s, &sv->v[0]) < 0)
			break;
		if (td_sysctl_fields[id].kind == TD_SYS_PAIR && take_int(&s, &sv->v[1]) < 0)
			break;
		if (*s != '\0' && *s != '\n')
			break;
		if (id == TD_SYS_PORT_RANGE && !sysctl_port_range_ok(sv->v[0], sv->v[1]))
			break;
		sv->readable = true;
		return 0;
	case TD_SYS_TEXT:
		len = strcspn(text, "\n");
		if (len >= sizeof(sys->reserved_ports))
			return td_errf(err, EBADMSG, "sysctl %s: '%s' is longer than %zu bytes",
			    name, path, sizeof(sys->reserved_ports) - 1);
		if (for_each_range(text, count_all, &count) < 0)
			break;
		memcpy(sys->reserved_ports, text, len);
		sys->reserved_ports[len] = '\0';
		sv->v[0] = count;
		sv->readable = true;
		return 0;
	}
	sv->readable = false;
	return td_errf(err, EBADMSG, "sysctl %s: cannot parse '%.*s' in '%s'", name,
	    (int)strcspn(text, "\n"), text, path);
}

unsigned int
sysctl_unreadable(const struct td_sysctls *sys, uint64_t *mask, int *code)
{
	unsigned int n = 0;
	int id;

	if (mask != NULL)
		*mask = 0;
	if (code != NULL)
		*code = 0;
	for (id = 0; id < TD_SYS_MAX; id++) {
		if (sys->s[id].readable || sys->error[id] == 0)
			continue;
		if (mask != NULL)
			*mask |= UINT64_C(1) << id;
		if (code != NULL && n == 0)
			*code = sys->error[id];
		n++;
	}
	return n;
}

int
sysctl_read(const char *proc_root, struct td_sysctls *sys, struct td_err *err)
{
	char path[PATH_MAX], buf[TD_SYS_TEXT_MAX + 64], *p;
	size_t off;
	int id;

	memset(sys, 0, sizeof(*sys));
	if (proc_root == NULL)
		proc_root = "/proc";
	for (id = 0; id < TD_SYS_MAX; id++) {
		off = (size_t)snprintf(path, sizeof(path), "%s/sys/", proc_root);
		if (off >= sizeof(path))
			return td_errf(err, ENAMETOOLONG, "sysctl: proc root '%s' is too long",
			    proc_root);
		snprintf(path + off, sizeof(path) - off, "%s", td_sysctl_fields[id].name);
		for (p = path + off; *p != '\0'; p++)
			if (*p == '.')
				*p = '/';
		/* Missing or not allowed: the knob stays unreadable. */
		if (read_small(path, buf, sizeof(buf)) < 0) {
			sys->error[id] = errno != 0 ? errno : EIO;
			/*
			 * A knob the kernel lacks (tcp_tw_recycle since 4.12) or that
			 * is global (tcp_max_orphans outside the initial namespace,
			 * net/ipv4/sysctl_net_ipv4.c ipv4_table) is absent from a
			 * directory that exists: not a blind spot.
			 */
			if (errno == ENOENT) {
				struct stat st;

				p = strrchr(path, '/');
				*p = '\0';
				if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
					sys->error[id] = 0;
			}
			continue;
		}
		if (parse_knob(id, path, buf, sys, err) < 0)
			return -1;
	}
	return 0;
}
