/* SPDX-License-Identifier: MIT */
/*
 * The TCP tracepoints through a private tracefs instance, on libtracefs
 * (instance, filters, enabling) and libtraceevent (the events' formats,
 * the ring buffer's sub-buffers, the records' fields).  See tracefs.h.
 *
 * Nothing here knows an offset: every field is found by name in the
 * event's format file (tep_find_field) and read by the size the format
 * gives (tep_read_number_field); symbolic values (socket states, reset
 * and drop reasons) are looked up in the __print_symbolic() tables of the
 * format's print fmt, so a kernel that adds or renumbers reasons is read
 * correctly.
 */
#include "collectors/tracefs.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <kbuffer.h>
#include <tracefs.h>

#include "collectors/snapshot.h"
#include "collectors/tracefs_inst.h"
#include "core/num.h"
#include "core/util.h"

/* ETH_P_IP and ETH_P_IPV6 (include/uapi/linux/if_ether.h): kfree_skb's protocol. */
#define ETHERTYPE_IP	0x0800
#define ETHERTYPE_IPV6	0x86DD
/* Sub-buffers read per CPU in one tracefs_poll: a flood cannot keep it there. */
#define PAGES_PER_POLL	256

static const struct {
	const char	*sys, *name, *dir;
} kinds[TD_TRACE_KINDS] = {
	[TD_TRACE_STATE] = { "sock", "inet_sock_set_state", "sock/inet_sock_set_state" },
	[TD_TRACE_RETRANSMIT_SYNACK] = { "tcp", "tcp_retransmit_synack",
	    "tcp/tcp_retransmit_synack" },
	[TD_TRACE_SEND_RESET] = { "tcp", "tcp_send_reset", "tcp/tcp_send_reset" },
	[TD_TRACE_RECEIVE_RESET] = { "tcp", "tcp_receive_reset", "tcp/tcp_receive_reset" },
	[TD_TRACE_RETRANSMIT_SKB] = { "tcp", "tcp_retransmit_skb", "tcp/tcp_retransmit_skb" },
	[TD_TRACE_DESTROY_SOCK] = { "tcp", "tcp_destroy_sock", "tcp/tcp_destroy_sock" },
	[TD_TRACE_KFREE_SKB] = { "skb", "kfree_skb", "skb/kfree_skb" },
};

const char *
tracefs_kind_dir(enum td_trace_kind k)
{
	return (unsigned int)k < TD_TRACE_KINDS ? kinds[k].dir : "?";
}

const char *
tracefs_kind_name(enum td_trace_kind k)
{
	return (unsigned int)k < TD_TRACE_KINDS ? kinds[k].name : "?";
}

/* One event's fields, found by name in its format (NULL: the format has no such field). */
struct kind_dec {
	struct tep_event	*ev;
	struct tep_format_field	*family, *protocol, *sport, *dport, *saddr, *daddr, *saddr6,
				*daddr6, *oldstate, *newstate, *state, *reason, *err, *cookie,
				*location;
};

/* The kernel's text symbols (/proc/kallsyms), for kfree_skb's location. */
struct ksym {
	uint64_t	addr;
	int32_t		name;		/* offset in the pool for TCP functions, else -1 */
};

#define COMM_SLOTS	1024

struct comm_slot {
	int32_t	tid;
	int32_t	pid;			/* its process, -1 if unknown */
	int64_t	when;			/* mono_ns of the event that asked */
	char	comm[16];
};

struct tracefs_decoder {
	struct tep_handle	*tep;
	struct kbuffer		*kb;
	struct kind_dec		 k[TD_TRACE_KINDS];
	unsigned int		 want;		/* the kinds decoded */
	uint16_t		 port, port_hi;
	unsigned int		 states;
	struct ksym		*sym;
	size_t			 nsym;
	char			*pool;
	bool			 live;		/* comms from the kernel's saved_cmdlines */
	bool			 cmdlines_read;	/* saved_cmdlines read again in this batch */
	char			*cmdlines;	/* its text */
	int64_t			 boot_minus_mono; /* CLOCK_BOOTTIME - CLOCK_MONOTONIC (suspend) */
	uint64_t		 records;
	uint64_t		*missed;	/* per CPU: events the sub-buffers say were missed */
	size_t			 ncpu_missed;
	struct comm_slot	 comms[COMM_SLOTS];	/* live only */
};

struct batch {
	struct td_trace_ev	*ev;
	size_t			 n, cap;
};

struct tracefs_session {
	struct tfs_inst		 inst;
	struct tracefs_decoder	*d;
	unsigned int		 missing;
	char			 why[TD_TRACE_KINDS][96];
	int			*fd;		/* per CPU trace_pipe_raw, -1 when none */
	size_t			 ncpu;
	size_t			 pagesize;
	char			*page;
	int64_t			 mono_to_real;
	unsigned int		 swept;
	char			 swept_name[64];
	struct batch		 b;		/* one poll's events, put in time order */
	int			 wake;		/* tracefs_wake_on(), -1 if none */
};

/* ---- Symbols of the format ---- */

/*
 * The name __print_symbolic(REC->field, { value, "NAME" }, ...) in the
 * print fmt gives value, searching operators (a ? b : c) too.  Values the
 * format spells as enum names (tcp_send_reset's states) do not match.
 */
static const char *
sym_in(const struct tep_print_arg *a, const char *field, unsigned long long v)
{
	const struct tep_print_flag_sym *f;
	const char *r;
	unsigned long long fv;
	char *end;

	for (; a != NULL; a = a->next) {
		switch (a->type) {
		case TEP_PRINT_SYMBOL:
			if (a->symbol.field != NULL && a->symbol.field->type == TEP_PRINT_FIELD &&
			    a->symbol.field->field.name != NULL &&
			    strcmp(a->symbol.field->field.name, field) == 0) {
				for (f = a->symbol.symbols; f != NULL; f = f->next) {
					if (f->value == NULL || f->str == NULL)
						continue;
					errno = 0;
					fv = strtoull(f->value, &end, 0);
					if (errno == 0 && end != f->value && *end == '\0' && fv == v)
						return f->str;
				}
			}
			break;
		case TEP_PRINT_OP:
			if ((r = sym_in(a->op.left, field, v)) != NULL ||
			    (r = sym_in(a->op.right, field, v)) != NULL)
				return r;
			break;
		case TEP_PRINT_TYPE:
			if ((r = sym_in(a->typecast.item, field, v)) != NULL)
				return r;
			break;
		default:
			break;
		}
	}
	return NULL;
}

static const char *
sym_name(const struct tep_event *ev, const char *field, unsigned long long v)
{
	return sym_in(ev->print_fmt.args, field, v);
}

/* ---- Kernel symbols ---- */

static int
ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * Text symbols of a kallsyms file ("ADDR TYPE NAME [MODULE]"); the names
 * of those in the kernel's TCP code (every function whose name holds
 * "tcp": tcp_v4_rcv, tcp_rcv_state_process, tcp_data_queue, ...) are kept.
 * Returns 0, or -1 with *err set (also when the addresses are hidden:
 * kptr_restrict, Documentation/admin-guide/sysctl/kernel.rst).
 */
static int
ksyms_load(struct tracefs_decoder *d, const char *path, struct td_err *err)
{
	char line[512], name[256], type;
	size_t cap = 0, pool_len = 0, pool_cap = 0, n;
	unsigned long long addr;
	bool nonzero = false;
	struct ksym *ns;
	char *np;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL)
		return td_errf(err, errno, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 ||
		    (type != 't' && type != 'T'))
			continue;
		nonzero |= addr != 0;
		if (d->nsym == cap) {
			cap = cap != 0 ? cap * 2 : 65536;
			if ((ns = realloc(d->sym, cap * sizeof(*ns))) == NULL)
				goto nomem;
			d->sym = ns;
		}
		d->sym[d->nsym].addr = addr;
		d->sym[d->nsym].name = -1;
		if (strstr(name, "tcp") != NULL) {
			n = strlen(name) + 1;
			if (pool_len + n > pool_cap) {
				pool_cap = pool_cap != 0 ? pool_cap * 2 : 65536;
				if ((np = realloc(d->pool, pool_cap)) == NULL)
					goto nomem;
				d->pool = np;
			}
			memcpy(d->pool + pool_len, name, n);
			d->sym[d->nsym].name = (int32_t)pool_len;
			pool_len += n;
		}
		d->nsym++;
	}
	fclose(fp);
	if (!nonzero)
		return td_errf(err, EPERM, "%s hides the kernel's addresses (kernel.kptr_restrict)",
		    path);
	qsort(d->sym, d->nsym, sizeof(*d->sym), ksym_cmp);
	return 0;
nomem:
	fclose(fp);
	return td_errf(err, ENOMEM, "out of memory");
}

/* The TCP function holding addr, or NULL if addr is elsewhere. */
static const char *
ksym_tcp(const struct tracefs_decoder *d, uint64_t addr)
{
	size_t lo = 0, hi = d->nsym, mid;

	/* The last symbol at or below addr. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (d->sym[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || d->sym[lo - 1].name < 0 || lo == d->nsym)
		return NULL;
	return d->pool + d->sym[lo - 1].name;
}

/* ---- The decoder ---- */

static void
find_fields(struct kind_dec *k)
{
	struct tep_event *e = k->ev;

	k->family = tep_find_field(e, "family");
	k->protocol = tep_find_field(e, "protocol");
	k->sport = tep_find_field(e, "sport");
	k->dport = tep_find_field(e, "dport");
	k->saddr = tep_find_field(e, "saddr");
	k->daddr = tep_find_field(e, "daddr");
	k->saddr6 = tep_find_field(e, "saddr_v6");
	k->daddr6 = tep_find_field(e, "daddr_v6");
	k->oldstate = tep_find_field(e, "oldstate");
	k->newstate = tep_find_field(e, "newstate");
	k->state = tep_find_field(e, "state");
	k->reason = tep_find_field(e, "reason");
	k->err = tep_find_field(e, "err");
	k->cookie = tep_find_field(e, "sock_cookie");
	k->location = tep_find_field(e, "location");
}

/* The whole of root/rel into *buf (malloc'd, NUL-terminated), *len bytes; at most 1 MiB. */
static int
read_small(const char *root, const char *rel, char **buf, size_t *len)
{
	char path[PATH_MAX];
	size_t cap = 8192, n = 0;
	ssize_t r;
	char *b, *nb;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((b = malloc(cap)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= 1u << 20 || (nb = realloc(b, cap * 2)) == NULL) {
				free(b);
				close(fd);
				errno = cap >= 1u << 20 ? EFBIG : ENOMEM;
				return -1;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(b);
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/*
 * A handle that knows the ring buffer's sub-buffer header (events/
 * header_page) and the formats of the events the client decodes, each
 * parsed by libtraceevent (tep_parse_header_page, tep_parse_event).  Not
 * tracefs_local_events_system(): it also loads all of /proc/kallsyms,
 * saved_cmdlines and printk_formats, which the decoder never uses and
 * which took seconds under the sanitizers.  An event the kernel lacks is
 * simply not in the handle.
 */
static struct tep_handle *
formats_load(const char *root, struct td_err *err)
{
	struct tep_handle *tep;
	char rel[256], *buf;
	size_t len;
	int k;

	if ((tep = tep_alloc()) == NULL) {
		td_errf(err, ENOMEM, "out of memory");
		return NULL;
	}
	tep_set_file_bigendian(tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_long_size(tep, (int)sizeof(long));
	tep_set_page_size(tep, getpagesize());
	if (read_small(root, "events/header_page", &buf, &len) < 0) {
		td_errf(err, errno, "tracefs: cannot read %s/events/header_page: %s", root,
		    strerror(errno));
		tep_free(tep);
		return NULL;
	}
	if (tep_parse_header_page(tep, buf, len, (int)sizeof(long)) < 0) {
		td_errf(err, EINVAL, "tracefs: %s/events/header_page: not a sub-buffer header this "
		    "libtraceevent can read", root);
		free(buf);
		tep_free(tep);
		return NULL;
	}
	free(buf);
	for (k = 0; k < TD_TRACE_KINDS; k++) {
		snprintf(rel, sizeof(rel), "events/%s/format", kinds[k].dir);
		if (read_small(root, rel, &buf, &len) < 0) {
			if (errno == ENOENT)
				continue;	/* not in this kernel: tracefs_missing() says so */
			td_errf(err, errno, "tracefs: cannot read %s/%s: %s", root, rel,
			    strerror(errno));
			tep_free(tep);
			return NULL;
		}
		if (tep_parse_event(tep, buf, len, kinds[k].sys) != 0) {
			td_errf(err, EINVAL, "tracefs: %s/%s: a format libtraceevent cannot parse",
			    root, rel);
			free(buf);
			tep_free(tep);
			return NULL;
		}
		free(buf);
	}
	return tep;
}

/* Load the formats of the events the client knows from dir (NULL: this kernel's tracefs). */
static struct tracefs_decoder *
decoder_new(const char *dir, const struct tracefs_opts *opts, struct td_err *err)
{
	struct tracefs_decoder *d = calloc(1, sizeof(*d));
	int k;

	if (d == NULL) {
		td_errf(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (dir == NULL)
		dir = tracefs_tracing_dir();
	if (dir == NULL) {
		td_errf(err, ENOENT, "tracefs: not mounted");
		free(d);
		return NULL;
	}
	if ((d->tep = formats_load(dir, err)) == NULL) {
		free(d);
		return NULL;
	}
	d->kb = tep_kbuffer(d->tep);
	if (d->kb == NULL) {
		td_errf(err, ENOMEM, "tracefs: cannot make a ring buffer reader");
		tep_free(d->tep);
		free(d);
		return NULL;
	}
	for (k = 0; k < TD_TRACE_KINDS; k++) {
		d->k[k].ev = tep_find_event_by_name(d->tep, kinds[k].sys, kinds[k].name);
		if (d->k[k].ev != NULL)
			find_fields(&d->k[k]);
	}
	if (opts != NULL) {
		d->port = opts->port;
		d->port_hi = opts->port_hi > opts->port ? opts->port_hi : opts->port;
		d->states = opts->states;
	}
	return d;
}

void
tracefs_decoder_free(struct tracefs_decoder *d)
{
	if (d == NULL)
		return;
	if (d->kb != NULL)
		kbuffer_free(d->kb);
	if (d->tep != NULL)
		tep_free(d->tep);
	free(d->sym);
	free(d->pool);
	free(d->missed);
	free(d->cmdlines);
	free(d);
}

struct tracefs_decoder *
tracefs_decoder_load(const char *dir, const struct tracefs_opts *opts, struct td_err *err)
{
	struct tracefs_decoder *d = decoder_new(dir, opts, err);
	char path[PATH_MAX];
	int k;

	if (d == NULL)
		return NULL;
	for (k = 0; k < TD_TRACE_KINDS; k++)
		if (d->k[k].ev != NULL && (opts == NULL || opts->events == 0 ||
		    (opts->events & TD_TRACE_BIT(k))))
			d->want |= TD_TRACE_BIT(k);
	/* As a live session: kfree_skb has no ports to filter by. */
	if (opts != NULL && opts->port != 0)
		d->want &= ~TD_TRACE_BIT(TD_TRACE_KFREE_SKB);
	/* kfree_skb needs the kernel's symbols of the capture: DIR/kallsyms. */
	snprintf(path, sizeof(path), "%s/kallsyms", dir);
	if ((d->want & TD_TRACE_BIT(TD_TRACE_KFREE_SKB)) && ksyms_load(d, path, err) < 0) {
		tracefs_decoder_free(d);
		return NULL;
	}
	return d;
}

/* The field's bytes if the record holds them, else NULL. */
static const uint8_t *
fld(const struct tep_format_field *f, const void *data, int size, int want)
{
	if (f == NULL || f->offset < 0 || f->size < want || f->offset + f->size > size)
		return NULL;
	return (const uint8_t *)data + f->offset;
}

static bool
num(const struct tep_format_field *f, const void *data, int size, unsigned long long *v)
{
	return fld(f, data, size, 1) != NULL && tep_read_number_field((struct tep_format_field *)f,
	    data, v) == 0;
}

static void
v4_mapped(struct in6_addr *a, const uint8_t *v4)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], v4, 4);
}

/*
 * A struct sockaddr_in or sockaddr_in6 as tcp_send_reset stores it since
 * 6.10 (__u8 saddr[sizeof(struct sockaddr_in6)], TP_STORE_ADDR_PORTS):
 * family in host order, then the port in network order, then the address
 * (include/uapi/linux/in.h, in6.h).  Returns the family, 0 if unusable.
 */
static int
sockaddr_decode(const uint8_t *p, size_t len, struct in6_addr *a, uint16_t *port)
{
	uint16_t fam;

	if (len < sizeof(struct sockaddr_in))
		return 0;
	memcpy(&fam, p, 2);
	*port = (uint16_t)(p[2] << 8 | p[3]);
	if (fam == AF_INET) {
		v4_mapped(a, p + 4);
		return AF_INET;
	}
	if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		memcpy(a, p + 8, 16);
		return AF_INET6;
	}
	return 0;
}

/* The ends of the connection: -1 if the record has none it can read. */
static int
decode_ends(const struct kind_dec *k, const void *data, int size, struct td_trace_ev *ev)
{
	unsigned long long fam = 0, v;
	const uint8_t *s, *d;
	int f1, f2;

	if (k->family == NULL) {
		/* tcp_send_reset since 6.10: two sockaddrs, no family field. */
		s = fld(k->saddr, data, size, (int)sizeof(struct sockaddr_in));
		d = fld(k->daddr, data, size, (int)sizeof(struct sockaddr_in));
		if (s == NULL || d == NULL)
			return -1;
		f1 = sockaddr_decode(s, (size_t)k->saddr->size, &ev->src, &ev->sport);
		f2 = sockaddr_decode(d, (size_t)k->daddr->size, &ev->dst, &ev->dport);
		if (f1 == 0 || f1 != f2)
			return -1;
		ev->family = (uint8_t)f1;
		return 0;
	}
	if (!num(k->family, data, size, &fam) || (fam != AF_INET && fam != AF_INET6))
		return -1;
	ev->family = (uint8_t)fam;
	if (!num(k->sport, data, size, &v))
		return -1;
	ev->sport = (uint16_t)v;
	if (!num(k->dport, data, size, &v))
		return -1;
	ev->dport = (uint16_t)v;
	/* For AF_INET the v6 fields hold the v4-mapped address too; the v4 ones are plain. */
	if (fam == AF_INET) {
		if ((s = fld(k->saddr, data, size, 4)) == NULL || (d = fld(k->daddr, data, size, 4)) ==
		    NULL)
			return -1;
		v4_mapped(&ev->src, s);
		v4_mapped(&ev->dst, d);
	} else {
		if ((s = fld(k->saddr6, data, size, 16)) == NULL ||
		    (d = fld(k->daddr6, data, size, 16)) == NULL)
			return -1;
		memcpy(&ev->src, s, 16);
		memcpy(&ev->dst, d, 16);
	}
	return 0;
}

/* A socket state field: by the format's symbol (TCP_ESTABLISHED...), else the kernel's number. */
static uint8_t
state_of(const struct tep_event *e, const struct tep_format_field *f, const void *data, int size)
{
	unsigned long long v;
	const char *name;
	int st;

	if (!num(f, data, size, &v))
		return TD_ST_UNKNOWN;
	if ((name = sym_name(e, f->name, v)) != NULL &&
	    (st = td_state_parse_kernel(name, strlen(name))) > 0)
		return (uint8_t)st;
	/* include/net/tcp_states.h: the numbers enum td_state copies. */
	return v < TD_ST_MAX ? (uint8_t)v : TD_ST_UNKNOWN;
}

/*
 * The name saved_cmdlines ("PID COMM" lines) gives PID, read again at most
 * once per batch; false if it has none.  Read here rather than through
 * tracefs_load_cmdlines(), whose handle keeps the first name it learnt for
 * a PID: that of an earlier process once pid_max wraps.
 */
static bool
comm_saved(struct tracefs_decoder *d, int32_t pid, char *comm, size_t len)
{
	const char *p;
	char *end;
	long v;
	int size = 0;

	if (!d->cmdlines_read) {
		d->cmdlines_read = true;
		free(d->cmdlines);
		d->cmdlines = tracefs_instance_file_read(NULL, "saved_cmdlines", &size);
	}
	for (p = d->cmdlines; p != NULL && *p != '\0'; p = strchr(p, '\n') != NULL ?
	    strchr(p, '\n') + 1 : NULL) {
		v = strtol(p, &end, 10);
		if (end != p && v == pid && *end == ' ') {
			snprintf(comm, len, "%.*s", (int)strcspn(end + 1, "\n"), end + 1);
			return comm[0] != '\0' && strcmp(comm, "<...>") != 0;
		}
	}
	return false;
}

/* A small /proc file into buf (terminated); its length, or -1. */
static ssize_t
proc_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/*
 * The process of thread tid (the "Tgid:" line of /proc/TID/status, which
 * answers for any thread id, listed in /proc or not: fs/proc/array.c
 * task_state()), and that process's command when it is another task
 * (/proc/TGID/comm: a thread's own name is often a worker's).  -1 if the
 * thread is gone.
 */
static int32_t
proc_tgid(int32_t tid, char *comm, size_t len)
{
	char path[64], buf[2048], *p;
	long v;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (proc_read(path, buf, sizeof(buf)) <= 0 || (p = strstr(buf, "\nTgid:")) == NULL)
		return -1;
	v = strtol(p + 6, NULL, 10);
	if (v <= 0 || v > INT32_MAX)
		return -1;
	if (v != tid) {
		snprintf(path, sizeof(path), "/proc/%ld/comm", v);
		if (proc_read(path, buf, sizeof(buf)) > 0 && buf[0] != '\n')
			snprintf(comm, len, "%.*s", (int)strcspn(buf, "\n"), buf);
	}
	return (int32_t)v;
}

/*
 * The command of task TID from /proc/TID/stat if that task is the one that
 * ran at the event: it started no later (field 22, starttime, in clock
 * ticks since boot: task->start_boottime, fs/proc/array.c do_task_stat()).
 * A later start means the id was used again since (pid_max wraps).  Then
 * its process (proc_tgid): *pid, -1 if that could not be read.
 */
static bool
comm_proc(const struct tracefs_decoder *d, const struct td_trace_ev *ev, char *comm, size_t len,
    int32_t *pid)
{
	char path[64], buf[1024], *open_p, *close_p, *f;
	unsigned long long start;
	long hz = sysconf(_SC_CLK_TCK);
	int i;

	*pid = -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)ev->tid);
	if (proc_read(path, buf, sizeof(buf)) <= 0)
		return false;
	/* "PID (COMM) S ...": COMM may hold spaces and parentheses. */
	if ((open_p = strchr(buf, '(')) == NULL || (close_p = strrchr(buf, ')')) == NULL ||
	    close_p < open_p || hz <= 0)
		return false;
	/* After ")": field 3 (state) is the first; starttime is field 22. */
	f = close_p + 1;
	for (i = 3; i < 22 && f != NULL; i++)
		f = strchr(f + 1, ' ');
	if (f == NULL || sscanf(f, " %llu", &start) != 1)
		return false;
	/* One tick of slack: starttime is rounded down to ticks. */
	if ((int64_t)(start / (unsigned long long)hz) * 1000000000 +
	    (int64_t)(start % (unsigned long long)hz) * (1000000000 / hz) >
	    ev->mono_ns + d->boot_minus_mono + 1000000000 / hz)
		return false;
	snprintf(comm, len, "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	*pid = proc_tgid(ev->tid, comm, len);
	return true;
}

/*
 * The command of the task that was running: /proc/PID/stat while that
 * process lives (comm_proc), else the kernel's saved_cmdlines (read again
 * at most once per batch).  saved_cmdlines alone is not enough: the
 * kernel saves a task's name only at a context switch after an event and
 * only when its lock is free (tracing_record_taskinfo(),
 * kernel/trace/trace.c), so under load it still names an earlier process
 * of the same PID.  Answers are kept a second per PID, so a burst from one
 * process costs no system call per event.
 */
static void
comm_of(struct tracefs_decoder *d, struct td_trace_ev *ev)
{
	struct comm_slot *c = &d->comms[(uint32_t)ev->tid % COMM_SLOTS];

	if (!d->live || ev->tid < 0)
		return;
	if (ev->tid == 0) {
		/* The idle task: softirq work on an idle CPU (the name trace_pipe prints). */
		snprintf(ev->comm, sizeof(ev->comm), "<idle>");
		ev->pid = 0;
		return;
	}
	if (c->tid == ev->tid && ev->mono_ns - c->when < 1000000000 && ev->mono_ns >= c->when) {
		memcpy(ev->comm, c->comm, sizeof(ev->comm));
		ev->pid = c->pid;
		return;
	}
	/* The thread is gone: its name, if the kernel saved it; its process unknown. */
	if (!comm_proc(d, ev, ev->comm, sizeof(ev->comm), &ev->pid) &&
	    !comm_saved(d, ev->tid, ev->comm, sizeof(ev->comm)))
		ev->comm[0] = '\0';
	c->tid = ev->tid;
	c->pid = ev->pid;
	c->when = ev->mono_ns;
	memcpy(c->comm, ev->comm, sizeof(c->comm));
}

static bool
port_ok(const struct tracefs_decoder *d, const struct td_trace_ev *ev)
{
	if (d->port == 0)
		return true;
	return (ev->sport >= d->port && ev->sport <= d->port_hi) ||
	    (ev->dport >= d->port && ev->dport <= d->port_hi);
}

/*
 * Decode one record into *ev: 1 for an event of ours that passes the
 * filters, 0 for another (or one filtered here), -1 for a record its
 * format cannot read (counted, not fatal: the caller says so).
 */
static int
decode_record(struct tracefs_decoder *d, void *data, int size, unsigned long long ts,
    unsigned int cpu, int64_t mono_to_real, struct td_trace_ev *ev)
{
	struct tep_record rec = { .ts = ts, .cpu = (int)cpu, .data = data, .size = size };
	unsigned long long v;
	const struct kind_dec *k = NULL;
	const char *name;
	int type, i;

	if (size < 8)
		return -1;
	type = tep_data_type(d->tep, &rec);
	for (i = 0; i < TD_TRACE_KINDS; i++)
		if ((d->want & TD_TRACE_BIT(i)) && d->k[i].ev != NULL && d->k[i].ev->id == type) {
			k = &d->k[i];
			break;
		}
	if (k == NULL)
		return 0;
	memset(ev, 0, sizeof(*ev));
	ev->kind = (uint8_t)i;
	ev->cpu = (uint16_t)cpu;
	ev->mono_ns = (int64_t)(ts & INT64_MAX);
	if (__builtin_add_overflow(ev->mono_ns, mono_to_real, &ev->time_ns))
		return -1;
	/* Its process: resolved by comm_of() in a live session, else unknown. */
	ev->tid = tep_data_pid(d->tep, &rec);
	ev->pid = -1;
	if (k->cookie != NULL && num(k->cookie, data, size, &v))
		ev->cookie = v;
	switch (i) {
	case TD_TRACE_KFREE_SKB:
		if (!num(k->location, data, size, &v))
			return -1;
		/* Only drops in the kernel's TCP code (the drop site's function). */
		if (d->sym != NULL) {
			if ((name = ksym_tcp(d, v)) == NULL)
				return 0;
			snprintf(ev->where, sizeof(ev->where), "%s", name);
		}
		if (!num(k->reason, data, size, &v))
			return -1;
		name = sym_name(k->ev, "reason", v);
		if (name != NULL)
			snprintf(ev->reason, sizeof(ev->reason), "%s", name);
		else
			snprintf(ev->reason, sizeof(ev->reason), "%llu", v);
		break;
	default:
		if (decode_ends(k, data, size, ev) < 0)
			return -1;
		if (k->protocol != NULL && (!num(k->protocol, data, size, &v) || v != IPPROTO_TCP))
			return 0;
		if (!port_ok(d, ev))
			return 0;
		if (i == TD_TRACE_STATE) {
			ev->oldstate = state_of(k->ev, k->oldstate, data, size);
			ev->newstate = state_of(k->ev, k->newstate, data, size);
			if (ev->oldstate == TD_ST_UNKNOWN || ev->newstate == TD_ST_UNKNOWN)
				return -1;
			if (d->states != 0 && !(d->states & TD_STATE_BIT(ev->newstate)))
				return 0;
		}
		if (k->state != NULL)
			ev->state = state_of(k->ev, k->state, data, size);
		if (k->err != NULL && num(k->err, data, size, &v))
			ev->err = (int32_t)(int64_t)(long long)v;
		if (k->reason != NULL && num(k->reason, data, size, &v)) {
			name = sym_name(k->ev, "reason", v);
			if (name != NULL)
				snprintf(ev->reason, sizeof(ev->reason), "%s", name);
			else
				snprintf(ev->reason, sizeof(ev->reason), "%llu", v);
		}
		break;
	}
	comm_of(d, ev);
	return 1;
}

static void
missed_add(struct tracefs_decoder *d, unsigned int cpu, uint64_t n)
{
	uint64_t *m;
	size_t want = (size_t)cpu + 1;

	if (want > d->ncpu_missed) {
		if ((m = realloc(d->missed, want * sizeof(*m))) == NULL)
			return;
		memset(m + d->ncpu_missed, 0, (want - d->ncpu_missed) * sizeof(*m));
		d->missed = m;
		d->ncpu_missed = want;
	}
	d->missed[cpu] += n;
}

/*
 * One sub-buffer of psize bytes (the buffer behind it holds psize more,
 * zeroed, as slack): each event of ours to fn.
 */
static int
decode_page(struct tracefs_decoder *d, void *page, size_t psize, unsigned int cpu,
    int64_t mono_to_real, td_trace_fn fn, void *arg, struct td_err *err)
{
	struct td_trace_ev ev;
	unsigned long long ts;
	void *data;
	int missed, rc, count = 0;

	int ts_size = tep_get_header_timestamp_size(d->tep);
	int commit_size = tep_get_header_page_size(d->tep);
	unsigned long long commit;

	/*
	 * The header's commit (the data's length; the top bits are flags,
	 * RB_MISSED_EVENTS and RB_MISSED_STORED, kernel/trace/ring_buffer.c)
	 * must stay inside the sub-buffer before kbuffer walks the events: it
	 * trusts it (events/header_page gives the fields' sizes).
	 */
	if (ts_size <= 0 || commit_size <= 0 || (size_t)(ts_size + commit_size) >= psize)
		return td_errf(err, EPROTO, "trace: cpu%u: a sub-buffer the ring buffer's header_page "
		    "format does not describe", cpu);
	commit = tep_read_number(d->tep, (char *)page + ts_size, commit_size) & ((1ULL << 27) - 1);
	if (commit > psize - (size_t)(ts_size + commit_size))
		return td_errf(err, EPROTO, "trace: cpu%u: a sub-buffer the ring buffer's header_page "
		    "format does not describe", cpu);
	if (kbuffer_load_subbuffer(d->kb, page) < 0 || kbuffer_start_of_data(d->kb) < 0 ||
	    kbuffer_subbuffer_size(d->kb) < 0 ||
	    (size_t)kbuffer_start_of_data(d->kb) + (size_t)kbuffer_subbuffer_size(d->kb) > psize)
		return td_errf(err, EPROTO, "trace: cpu%u: a sub-buffer the ring buffer's header_page "
		    "format does not describe", cpu);
	/* The kernel marks a sub-buffer read after overwritten ones (RB_MISSED_EVENTS). */
	missed = kbuffer_missed_events(d->kb);
	if (missed != 0)
		missed_add(d, cpu, missed > 0 ? (uint64_t)missed : 1);
	for (data = kbuffer_read_event(d->kb, &ts); data != NULL;
	    data = kbuffer_next_event(d->kb, &ts)) {
		d->records++;
		ev.kind = TD_TRACE_KINDS;
		if (kbuffer_event_size(d->kb) < 0 || (char *)data < (char *)page ||
		    (size_t)((char *)data - (char *)page) + (size_t)kbuffer_event_size(d->kb) > psize)
			return td_errf(err, EPROTO, "trace: cpu%u: a record longer than its sub-buffer",
			    cpu);
		rc = decode_record(d, data, kbuffer_event_size(d->kb), ts, cpu, mono_to_real, &ev);
		if (rc < 0)
			return td_errf(err, EPROTO, "trace: cpu%u: a %s record its format does not "
			    "describe", cpu, ev.kind < TD_TRACE_KINDS ? kinds[ev.kind].name : "short");
		if (rc == 0)
			continue;
		if (fn(&ev, arg, err) < 0)
			return -1;
		count++;
	}
	return count;
}

int
tracefs_decode(struct tracefs_decoder *d, const void *buf, size_t len, unsigned int cpu,
    int64_t mono_to_real, td_trace_fn fn, void *arg, struct td_err *err)
{
	size_t ps = (size_t)getpagesize(), off, n1;
	char *page;
	int n, count = 0;

	if ((page = calloc(2, ps)) == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	/* Sub-buffer by sub-buffer; a short last one is padded with zeros. */
	for (off = 0; off < len; off += ps) {
		n1 = len - off < ps ? len - off : ps;
		memset(page, 0, 2 * ps);
		memcpy(page, (const char *)buf + off, n1);
		if ((n = decode_page(d, page, ps, cpu, mono_to_real, fn, arg, err)) < 0) {
			count = -1;
			break;
		}
		count += n;
	}
	free(page);
	return count;
}

/* ---- The session ---- */


/* The kernel-side filter of kind k under opts, into buf ("" for none). */
static void
kernel_filter(const struct kind_dec *k, enum td_trace_kind kind, const struct tracefs_opts *opts,
    char *buf, size_t len)
{
	size_t n = 0;
	unsigned int st;
	bool first = true;

#define ADD(...) do { if (n < len) n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__); } while (0)
	buf[0] = '\0';
	if (kind == TD_TRACE_KFREE_SKB) {
		/* skb->protocol, host order: IPv4 and IPv6 only; which code dropped it is checked here. */
		ADD("protocol == %u || protocol == %u", ETHERTYPE_IP, ETHERTYPE_IPV6);
		return;
	}
	if (k->protocol != NULL)
		ADD("protocol == %u", IPPROTO_TCP);
	if (opts != NULL && opts->port != 0 && k->sport != NULL && k->dport != NULL) {
		if (opts->port_hi > opts->port)
			ADD("%s((sport >= %u && sport <= %u) || (dport >= %u && dport <= %u))",
			    n > 0 ? " && " : "", opts->port, opts->port_hi, opts->port, opts->port_hi);
		else
			ADD("%s(sport == %u || dport == %u)", n > 0 ? " && " : "", opts->port,
			    opts->port);
	}
	if (kind == TD_TRACE_STATE && opts != NULL && opts->states != 0 && k->newstate != NULL) {
		ADD("%s(", n > 0 ? " && " : "");
		for (st = 1; st < TD_ST_MAX; st++) {
			if (!(opts->states & TD_STATE_BIT(st)))
				continue;
			ADD("%snewstate == %u", first ? "" : " || ", st);
			first = false;
		}
		ADD(")");
	}
#undef ADD
}

static int
inst_write(struct tracefs_session *s, const char *file, const char *text, struct td_err *err)
{
	errno = 0;
	if (tracefs_instance_file_write(s->inst.ti, file, text) < 0)
		return td_errf(err, errno != 0 ? errno : EIO, "tracefs: writing '%s' to %s/%s: %s",
		    text, s->inst.dir, file, strerror(errno != 0 ? errno : EIO));
	return 0;
}

/* Possible CPUs: per_cpu/cpuN of the instance. */
static size_t
count_cpus(const struct tracefs_session *s)
{
	char p[PATH_MAX + 64];
	struct stat st;
	long n = sysconf(_SC_NPROCESSORS_CONF);
	size_t i;

	if (n < 1)
		n = 1;
	/* A few more than configured, in case of holes in the numbering. */
	for (i = (size_t)n; i < (size_t)n + 64; i++) {
		snprintf(p, sizeof(p), "%s/per_cpu/cpu%zu", s->inst.dir, i);
		if (stat(p, &st) < 0)
			break;
	}
	return i;
}

static void
close_pipes(struct tracefs_session *s)
{
	size_t i;

	for (i = 0; s->fd != NULL && i < s->ncpu; i++) {
		if (s->fd[i] >= 0)
			close(s->fd[i]);
		s->fd[i] = -1;
	}
}

static int
open_pipes(struct tracefs_session *s, struct td_err *err)
{
	char p[PATH_MAX + 64];
	size_t i;

	for (i = 0; i < s->ncpu; i++) {
		snprintf(p, sizeof(p), "%s/per_cpu/cpu%zu/trace_pipe_raw", s->inst.dir, i);
		s->fd[i] = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		/* A CPU that is not present has no buffer to read. */
		if (s->fd[i] < 0 && errno != ENOENT && errno != ENODEV) {
			td_errf(err, errno, "tracefs: %s: %s", p, strerror(errno));
			close_pipes(s);
			return -1;
		}
	}
	return 0;
}

struct tracefs_session *
tracefs_open(const struct tracefs_opts *opts, struct td_err *err)
{
	struct tracefs_session *s;
	struct tracefs_opts none = { 0 };
	char filter[512];
	const char *root;
	unsigned int want;
	struct td_err kerr = { 0 };
	int k;

	if (opts == NULL)
		opts = &none;
	root = tfs_root(err);
	if (root == NULL)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		td_errf(err, ENOMEM, "out of memory");
		return NULL;
	}
	s->inst.slot = -1;
	s->wake = -1;
	want = opts->events != 0 ? opts->events : TD_TRACE_BIT(TD_TRACE_STATE);
	if ((s->d = decoder_new(root, opts, err)) == NULL) {
		free(s);
		return NULL;
	}
	s->d->live = true;
	s->d->boot_minus_mono = td_clock_ns(CLOCK_BOOTTIME) - td_clock_ns(CLOCK_MONOTONIC);
	for (k = 0; k < TD_TRACE_KINDS; k++) {
		if (!(want & TD_TRACE_BIT(k)))
			continue;
		if (s->d->k[k].ev == NULL) {
			if (!opts->optional || k == TD_TRACE_STATE) {
				td_errf(err, ENODEV, "tracefs: %s/events/%s: no such tracepoint in this "
				    "kernel", root, kinds[k].dir);
				goto fail;
			}
			s->missing |= TD_TRACE_BIT(k);
			snprintf(s->why[k], sizeof(s->why[k]), "not in this kernel");
			continue;
		}
		if (k == TD_TRACE_KFREE_SKB && opts->port != 0) {
			/* Its record has no ports: it cannot be narrowed to them. */
			s->missing |= TD_TRACE_BIT(k);
			snprintf(s->why[k], sizeof(s->why[k]), "its record has no ports to filter by");
			continue;
		}
		if (k == TD_TRACE_KFREE_SKB && ksyms_load(s->d, "/proc/kallsyms", &kerr) < 0) {
			s->missing |= TD_TRACE_BIT(k);
			snprintf(s->why[k], sizeof(s->why[k]), "%.95s", kerr.msg);
			continue;
		}
		s->d->want |= TD_TRACE_BIT(k);
	}
	if (tfs_inst_make(&s->inst, root, opts->prefix != NULL ? opts->prefix : "tcpdoctor",
	    &s->swept, s->swept_name, err) < 0)
		goto fail;
	/* The mono clock is CLOCK_MONOTONIC: one offset turns it into wall time. */
	if (inst_write(s, "trace_clock", "mono", err) < 0)
		goto fail;
	/* Wake a reader at the first event, not when half the buffer is full (6.x). */
	if (tracefs_file_exists(s->inst.ti, "buffer_percent") &&
	    inst_write(s, "buffer_percent", "0", err) < 0)
		goto fail;
	for (k = 0; k < TD_TRACE_KINDS; k++) {
		if (!(s->d->want & TD_TRACE_BIT(k)))
			continue;
		kernel_filter(&s->d->k[k], (enum td_trace_kind)k, opts, filter, sizeof(filter));
		errno = 0;
		if (filter[0] != '\0' &&
		    tracefs_event_filter_apply(s->inst.ti, s->d->k[k].ev, filter) < 0) {
			td_errf(err, errno != 0 ? errno : EINVAL, "tracefs: %s/events/%s/filter: the "
			    "kernel refused '%s': %s", s->inst.dir, kinds[k].dir, filter,
			    strerror(errno != 0 ? errno : EINVAL));
			goto fail;
		}
		errno = 0;
		if (tracefs_event_enable(s->inst.ti, kinds[k].sys, kinds[k].name) < 0) {
			td_errf(err, errno != 0 ? errno : ENODEV, "tracefs: %s/events/%s/enable: %s",
			    s->inst.dir, kinds[k].dir, strerror(errno != 0 ? errno : ENODEV));
			goto fail;
		}
	}
	if (tracefs_trace_on(s->inst.ti) < 0) {
		td_errf(err, errno != 0 ? errno : EIO, "tracefs: %s/tracing_on: %s", s->inst.dir,
		    strerror(errno != 0 ? errno : EIO));
		goto fail;
	}
	s->mono_to_real = td_clock_ns(CLOCK_REALTIME) - td_clock_ns(CLOCK_MONOTONIC);
	s->ncpu = count_cpus(s);
	s->pagesize = (size_t)getpagesize();
	if (tep_get_sub_buffer_size(s->d->tep) > 0 &&
	    (size_t)tep_get_sub_buffer_size(s->d->tep) > s->pagesize)
		s->pagesize = (size_t)tep_get_sub_buffer_size(s->d->tep);
	s->fd = malloc(s->ncpu * sizeof(*s->fd));
	s->page = calloc(2, s->pagesize);	/* the second half: zeroed slack */
	if (s->fd == NULL || s->page == NULL) {
		td_errf(err, ENOMEM, "out of memory");
		goto fail;
	}
	for (k = 0; (size_t)k < s->ncpu; k++)
		s->fd[k] = -1;
	/*
	 * Kept: the buffers are opened only to read them (tracefs_read), so the
	 * TFS_SIG_REMOVE handler's rmdir is never refused for an open file.
	 */
	if (!opts->kept && open_pipes(s, err) < 0)
		goto fail;
	return s;
fail:
	tracefs_close(s);
	return NULL;
}

unsigned int
tracefs_missing(const struct tracefs_session *s)
{
	return s->missing;
}

const char *
tracefs_missing_why(const struct tracefs_session *s, enum td_trace_kind k)
{
	return (unsigned int)k < TD_TRACE_KINDS && (s->missing & TD_TRACE_BIT(k)) ? s->why[k] : "";
}

void
tracefs_close(struct tracefs_session *s)
{
	if (s == NULL)
		return;
	close_pipes(s);
	/* An instance can be removed once nothing holds its files open. */
	tfs_inst_remove(&s->inst);
	tracefs_decoder_free(s->d);
	free(s->fd);
	free(s->page);
	free(s->b.ev);
	free(s);
}

unsigned int
tracefs_swept(const struct tracefs_session *s, const char **first)
{
	*first = s->swept_name;
	return s->swept;
}

uint64_t
tracefs_records(const struct tracefs_session *s)
{
	return s->d->records;
}

size_t
tracefs_lost_cpus(struct tracefs_session *s, uint64_t *lost, size_t cap)
{
	char p[PATH_MAX + 64], line[128];
	uint64_t v, stat;
	size_t i;
	FILE *fp;

	for (i = 0; i < s->ncpu && i < cap; i++) {
		stat = 0;
		snprintf(p, sizeof(p), "%s/per_cpu/cpu%zu/stats", s->inst.dir, i);
		if ((fp = fopen(p, "re")) != NULL) {
			/* kernel/trace/trace.c tracing_stats_read(). */
			while (fgets(line, sizeof(line), fp) != NULL)
				if (sscanf(line, "overrun: %" SCNu64, &v) == 1 ||
				    sscanf(line, "dropped events: %" SCNu64, &v) == 1)
					stat += v;
			fclose(fp);
		}
		/* The same losses seen from the reader: the larger count is the truer. */
		v = i < s->d->ncpu_missed ? s->d->missed[i] : 0;
		lost[i] = stat > v ? stat : v;
	}
	return i;
}

uint64_t
tracefs_lost(struct tracefs_session *s)
{
	uint64_t lost[256], total = 0;
	size_t i, n = tracefs_lost_cpus(s, lost, sizeof(lost) / sizeof(lost[0]));

	for (i = 0; i < n; i++)
		total += lost[i];
	return total;
}

uint64_t
tracefs_lost_text(struct tracefs_session *s, char *buf, size_t len)
{
	uint64_t lost[256], total = 0;
	size_t i, n = tracefs_lost_cpus(s, lost, sizeof(lost) / sizeof(lost[0])), o = 0;

	if (len > 0)
		buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (lost[i] == 0)
			continue;
		total += lost[i];
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%scpu%zu %" PRIu64, o > 0 ? ", " : "", i,
			    lost[i]);
	}
	return total;
}

/* ---- Reading ---- */

static int
batch_add(const struct td_trace_ev *ev, void *arg, struct td_err *err)
{
	struct batch *b = arg;
	struct td_trace_ev *nb;
	size_t cap;

	if (b->n == b->cap) {
		cap = b->cap != 0 ? b->cap * 2 : 256;
		if ((nb = realloc(b->ev, cap * sizeof(*nb))) == NULL)
			return td_errf(err, ENOMEM, "out of memory");
		b->ev = nb;
		b->cap = cap;
	}
	b->ev[b->n++] = *ev;
	return 0;
}

struct order {
	int64_t	t;
	size_t	i;
};

static int
order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	/* The order read breaks ties: CPU, then position in its buffer. */
	return (x->i > y->i) - (x->i < y->i);
}

/* Drain CPU i's buffer into the batch: 0, or -1 with *err set. */
static int
drain(struct tracefs_session *s, int fd, unsigned int cpu, size_t max_pages, struct td_err *err)
{
	ssize_t r;
	size_t pages;

	for (pages = 0; max_pages == 0 || pages < max_pages; pages++) {
		r = read(fd, s->page, s->pagesize);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return td_errf(err, errno, "trace: reading %s/per_cpu/cpu%u/trace_pipe_raw: %s",
			    s->inst.dir, cpu, strerror(errno));
		}
		if (r == 0)
			return 0;
		/* The kernel hands a whole sub-buffer; the rest of a short read is zeros. */
		if ((size_t)r < s->pagesize)
			memset(s->page + r, 0, s->pagesize - (size_t)r);
		if (decode_page(s->d, s->page, s->pagesize, cpu, s->mono_to_real, batch_add, &s->b,
		    err) < 0)
			return -1;
	}
	return 0;
}

/*
 * Deliver the batch in time order (one CPU's buffer is ordered, the CPUs
 * together are not), up to cut: the events after it stay at the front of
 * the batch for the next call.  Returns how many were delivered.
 */
static int
deliver(struct batch *b, int64_t cut, td_trace_fn fn, void *arg, struct td_err *err)
{
	size_t i, n = b->n, done = 0, kept = 0;
	struct td_trace_ev *rest = NULL;
	struct order *o;
	int rc = 0;

	b->n = 0;
	if (n == 0)
		return 0;
	if ((o = malloc(n * sizeof(*o))) == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		o[i].t = b->ev[i].mono_ns;
		o[i].i = i;
	}
	qsort(o, n, sizeof(*o), order_cmp);
	for (i = 0; i < n && o[i].t <= cut; i++, done++)
		if (fn(&b->ev[o[i].i], arg, err) < 0) {
			rc = -1;
			break;
		}
	if (rc == 0 && done < n) {
		if ((rest = malloc((n - done) * sizeof(*rest))) == NULL) {
			rc = td_errf(err, ENOMEM, "out of memory");
		} else {
			for (i = done; i < n; i++)
				rest[kept++] = b->ev[o[i].i];
			memcpy(b->ev, rest, kept * sizeof(*rest));
			b->n = kept;
			free(rest);
		}
	}
	free(o);
	return rc < 0 ? -1 : (int)(done > INT_MAX ? INT_MAX : done);
}

/*
 * How long an event is held back before it is delivered.  The CPUs'
 * buffers are read one after the other: an event that CPU 0 records just
 * after its buffer was read, stamped before one that CPU 1 records and
 * that is read in the same pass, would otherwise come a batch later than
 * the newer one (a connect()'s CLOSE->SYN_SENT after the SYN_SENT->
 * ESTABLISHED that the SYN-ACK made on another CPU).  An event is
 * delivered once it is older than the moment the pass began by this
 * much (the time between taking its timestamp and committing it,
 * rb_reserve_next_event() to rb_commit(), is far shorter); or when a
 * pass finds no new event, since then nothing older can follow.
 */
#define HOLD_NS		2000000LL

int
tracefs_poll(struct tracefs_session *s, int timeout_ms, td_trace_fn fn, void *arg,
    struct td_err *err)
{
	struct pollfd pfd[256];
	size_t i, n = 0, held = s->b.n;
	int64_t cut;
	int rc;

	for (i = 0; i < s->ncpu && n < sizeof(pfd) / sizeof(pfd[0]); i++)
		if (s->fd[i] >= 0) {
			pfd[n].fd = s->fd[i];
			pfd[n].events = POLLIN;
			n++;
		}
	if (s->wake >= 0 && n < sizeof(pfd) / sizeof(pfd[0])) {
		pfd[n].fd = s->wake;
		pfd[n].events = POLLIN;
		n++;
	}
	/* Held events are delivered within a few milliseconds. */
	if (held > 0 && (timeout_ms < 0 || timeout_ms > 2 * HOLD_NS / 1000000))
		timeout_ms = (int)(2 * HOLD_NS / 1000000);
	rc = poll(pfd, (nfds_t)n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : td_errf(err, errno, "trace: poll: %s", strerror(errno));
	cut = td_clock_ns(CLOCK_MONOTONIC) - HOLD_NS;
	/* Read every CPU, not only those that woke: the wake-up lags the data. */
	s->d->cmdlines_read = false;
	for (i = 0; i < s->ncpu; i++)
		if (s->fd[i] >= 0 && drain(s, s->fd[i], (unsigned int)i, PAGES_PER_POLL, err) < 0)
			return -1;
	return deliver(&s->b, s->b.n == held ? INT64_MAX : cut, fn, arg, err);
}

void
tracefs_wake_on(struct tracefs_session *s, int fd)
{
	s->wake = fd;
}

int
tracefs_read(struct tracefs_session *s, td_trace_fn fn, void *arg, struct td_err *err)
{
	int rc = 0;
	size_t i;

	/*
	 * While a buffer is open the kernel refuses to remove the instance
	 * (EBUSY): a signal handler that removes it waits until they are closed.
	 */
	tfs_block(true);
	if (open_pipes(s, err) < 0) {
		tfs_block(false);
		return -1;
	}
	s->d->cmdlines_read = false;
	s->b.n = 0;
	for (i = 0; i < s->ncpu && rc == 0; i++)
		if (s->fd[i] >= 0)
			rc = drain(s, s->fd[i], (unsigned int)i, 0, err);
	close_pipes(s);
	tfs_block(false);
	if (rc < 0)
		return -1;
	return deliver(&s->b, INT64_MAX, fn, arg, err);
}

/* The whole of fp into *buf (malloc'd), *len bytes; at most 64 MiB. */
static int
read_all(FILE *fp, const char *path, char **buf, size_t *len, struct td_err *err)
{
	size_t cap = 0, n;
	char *nb;

	*buf = NULL;
	*len = 0;
	for (;;) {
		if (*len == cap) {
			if (cap >= (size_t)64 << 20)
				return td_errf(err, EFBIG, "%s: larger than 64 MiB", path);
			cap = cap != 0 ? cap * 2 : 65536;
			if ((nb = realloc(*buf, cap)) == NULL)
				return td_errf(err, ENOMEM, "out of memory");
			*buf = nb;
		}
		n = fread(*buf + *len, 1, cap - *len, fp);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp))
		return td_errf(err, EIO, "%s: read error", path);
	return 0;
}

int
tracefs_read_dir(const char *dir, const struct tracefs_opts *opts, int64_t mono_to_real,
    td_trace_fn fn, void *arg, struct td_err *err)
{
	struct tracefs_decoder *d;
	struct batch b = { 0 };
	char path[PATH_MAX];
	unsigned int cpu;
	size_t len = 0;
	char *buf = NULL;
	int rc = 0;
	FILE *fp;

	if ((d = tracefs_decoder_load(dir, opts, err)) == NULL)
		return -1;
	for (cpu = 0; rc == 0; cpu++) {
		snprintf(path, sizeof(path), "%s/cpu%u.raw", dir, cpu);
		if ((fp = fopen(path, "re")) == NULL) {
			if (errno != ENOENT || cpu == 0)
				rc = td_errf(err, errno, "%s: %s", path, strerror(errno));
			break;
		}
		free(buf);
		buf = NULL;
		len = 0;
		rc = read_all(fp, path, &buf, &len, err);
		fclose(fp);
		if (rc == 0 && tracefs_decode(d, buf, len, cpu, mono_to_real, batch_add, &b, err) < 0)
			rc = -1;
	}
	free(buf);
	tracefs_decoder_free(d);
	if (rc == 0)
		rc = deliver(&b, INT64_MAX, fn, arg, err);
	free(b.ev);
	return rc;
}
