/* SPDX-License-Identifier: MIT */
/*
 * Private tracefs instances that never outlive their process; see
 * tracefs_inst.h.  The signal handlers use only async-signal-safe calls
 * (close, rmdir, sigaction, sigprocmask, raise, _exit: signal-safety(7))
 * on paths made before the instance exists.
 */
#include "collectors/tracefs_inst.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "collectors/snapshot.h"
#include "core/num.h"

/* The initial PID namespace's inode (PROC_PID_INIT_INO, include/linux/proc_ns.h). */
#define PID_NS_INIT_INO	0xEFFFFFFCULL

static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
static const char *const prefixes[] = { "tcpdoctor", "tdk" };

volatile sig_atomic_t tfs_stop_signal;

/* The live instances of this process, for the TFS_SIG_REMOVE handler. */
static struct {
	volatile sig_atomic_t	live;
	volatile sig_atomic_t	hold;		/* tracing_on, kept open; -1 if none */
	char			dir[PATH_MAX];
} slots[4];

static volatile sig_atomic_t guard_mode;

const char *
tfs_root(struct td_err *err)
{
	char p[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(p, sizeof(p), "%s/instances", roots[i]);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			return roots[i];
		/* Mounted, but this user may not look inside (mode 0700, root). */
		if (errno == EACCES || errno == EPERM) {
			td_errf(err, errno, "tracefs: %s: %s (needs root or CAP_SYS_ADMIN)", p,
			    strerror(errno));
			return NULL;
		}
	}
	if (mount("nodev", roots[0], "tracefs", 0, NULL) == 0)
		return roots[0];
	td_errf(err, errno == EPERM || errno == EACCES ? errno : ENOENT,
	    "tracefs: not mounted, and mounting it on %s failed: %s%s", roots[0],
	    strerror(errno), errno == EPERM || errno == EACCES ? " (needs root or CAP_SYS_ADMIN)" : "");
	return NULL;
}

/* ---- Signals ---- */

static const int term_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,
#ifdef SIGSTKFLT
	SIGSTKFLT,
#endif
	SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,
#ifdef SIGPWR
	SIGPWR,
#endif
};

static void
term_set(sigset_t *set)
{
	size_t i;
	int s;

	sigemptyset(set);
	for (i = 0; i < sizeof(term_signals) / sizeof(term_signals[0]); i++)
		sigaddset(set, term_signals[i]);
	for (s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(set, s);
}

void
tfs_reraise(int sig)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);	/* a signal whose default is to be ignored */
}

static void
on_signal(int sig)
{
	int saved = errno;
	size_t i;

	if (guard_mode == TFS_SIG_STOP) {
		if (tfs_stop_signal == 0)
			tfs_stop_signal = sig;
		errno = saved;
		return;
	}
	/* rmdir disables the instance's events (event_trace_del_tracer()). */
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (!slots[i].live)
			continue;
		if (slots[i].hold >= 0)
			close(slots[i].hold);
		rmdir(slots[i].dir);
	}
	tfs_reraise(sig);
}

void
tfs_guard(enum tfs_on_signal mode)
{
	struct sigaction sa;
	size_t i;
	int s;

	guard_mode = mode;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* No SA_RESTART: a blocked write to a stalled reader returns, and the caller stops. */
	term_set(&sa.sa_mask);
	for (i = 0; i < sizeof(term_signals) / sizeof(term_signals[0]); i++)
		sigaction(term_signals[i], &sa, NULL);
	for (s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaction(s, &sa, NULL);
}

void
tfs_block(bool block)
{
	static unsigned int depth;	/* calls nest: the outermost pair decides */
	sigset_t set;

	if (block ? depth++ > 0 : depth == 0 || --depth > 0)
		return;
	term_set(&set);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* ---- Owners ---- */

int
tfs_stat_parse(const char *stat, char *state, unsigned long long *start)
{
	const char *p = strrchr(stat, ')');
	uint64_t v;
	int field;

	/* "PID (COMM) S ...": field 3 follows the last ')', proc(5). */
	if (p == NULL || p[1] != ' ' || p[2] == '\0' || p[3] != ' ')
		return -1;
	*state = p[2];
	p += 3;
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return -1;
		p++;
	}
	if (!isdigit((unsigned char)*p) ||
	    td_num_u64n(p, strcspn(p, " \n"), 10, UINT64_MAX, &v, NULL) < 0)
		return -1;
	*start = v;
	return 0;
}

static int
read_stat(const char *path, char *state, unsigned long long *start)
{
	char buf[1024];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return tfs_stat_parse(buf, state, start);
}

static int
pid_ns(unsigned long long *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st) < 0)
		return -1;
	*ino = (unsigned long long)st.st_ino;
	return 0;
}

/* Is the process that made an instance gone? Unsure means no. */
static bool
owner_gone(long pid, unsigned long long start, bool have_start)
{
	char path[64], state;
	unsigned long long now;

	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return true;
	if (!have_start)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (read_stat(path, &state, &now) < 0)
		return false;
	/* Another process with the same PID, or the owner already dead (a zombie). */
	return now != start || state == 'Z' || state == 'X';
}

/* A decimal (or hex) number filling [s, e): 0 and its value, or -1. */
static int
number(const char *s, const char *e, int base, unsigned long long *v)
{
	uint64_t u;

	if (s == e || !isxdigit((unsigned char)*s) ||
	    td_num_u64n(s, (size_t)(e - s), base, UINT64_MAX, &u, NULL) < 0)
		return -1;
	*v = u;
	return 0;
}

int
tfs_parse_name(const char *name, long *pid, unsigned long long *start,
    unsigned long long *pidns)
{
	unsigned long long f[4];
	const char *p = NULL, *e;
	size_t i, n = 0, len;
	bool tdk = false;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		len = strlen(prefixes[i]);
		if (strncmp(name, prefixes[i], len) == 0 && name[len] == '-') {
			p = name + len + 1;
			tdk = i == 1;
			break;
		}
	}
	if (p == NULL)
		return 0;
	for (;;) {
		if (n == 4)
			return 0;
		e = strchr(p, '-');
		if (e == NULL)
			e = p + strlen(p);
		/* An earlier version's tdk-PID-HEX: the second field is hex. */
		if (number(p, e, tdk && n == 1 && *e == '\0' ? 16 : 10, &f[n]) < 0)
			return 0;
		n++;
		if (*e == '\0')
			break;
		p = e + 1;
	}
	if ((n != 4 && n != 2) || f[0] == 0 || f[0] > 0x7fffffff)
		return 0;
	*pid = (long)f[0];
	if (n == 2)
		return 1;
	*start = f[1];
	*pidns = f[2];
	return 2;
}

unsigned int
tfs_sweep(const char *root, char *first)
{
	char path[PATH_MAX];
	unsigned long long start = 0, ns = 0, own_ns;
	struct dirent *de;
	unsigned int removed = 0;
	long pid;
	int kind;
	DIR *d;

	if (first != NULL)
		first[0] = '\0';
	if (pid_ns(&own_ns) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/instances", root);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		kind = tfs_parse_name(de->d_name, &pid, &start, &ns);
		if (kind == 0)
			continue;
		if (kind == 2 && (ns != own_ns || !owner_gone(pid, start, true)))
			continue;
		/* Earlier versions ran with PIDs of the initial namespace only. */
		if (kind == 1 && (own_ns != PID_NS_INIT_INO || !owner_gone(pid, 0, false)))
			continue;
		snprintf(path, sizeof(path), "%s/instances/%s", root, de->d_name);
		if (rmdir(path) == 0) {
			if (removed == 0 && first != NULL)
				snprintf(first, 64, "%.63s", de->d_name);
			removed++;
		}
	}
	closedir(d);
	return removed;
}

/* ---- Instances ---- */

int
tfs_inst_make(struct tfs_inst *in, const char *root, const char *prefix,
    unsigned int *removed, char *swept_name, struct td_err *err)
{
	static unsigned int seq;
	unsigned long long start, ns;
	char path[PATH_MAX + 16], name[128], state, *dir;
	unsigned int n;
	size_t i;
	int saved;

	in->dir[0] = '\0';
	in->slot = -1;
	in->ti = NULL;
	if (read_stat("/proc/self/stat", &state, &start) < 0 || pid_ns(&ns) < 0)
		return td_errf(err, errno ? errno : EPROTO,
		    "tracefs: cannot read this process's start time and PID namespace in /proc: %s",
		    strerror(errno ? errno : EPROTO));
	n = tfs_sweep(root, swept_name);
	if (removed != NULL)
		*removed = n;
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]) && slots[i].live; i++)
		;
	if (i == sizeof(slots) / sizeof(slots[0]))
		return td_errf(err, EBUSY, "tracefs: too many instances in one process");
	/* Blocked until the handler's table and the kernel agree. */
	tfs_block(true);
	snprintf(name, sizeof(name), "%s-%ld-%llu-%llu-%u", prefix, (long)getpid(), start, ns,
	    seq++);
	snprintf(in->dir, sizeof(in->dir), "%s/instances/%s", root, name);
	memcpy(slots[i].dir, in->dir, sizeof(slots[i].dir));
	slots[i].hold = -1;
	slots[i].live = 1;
	in->slot = (int)i;
	/* libtracefs finds the mount itself; the instance must be new and where we said. */
	(void)tracefs_set_tracing_dir((char *)root);
	errno = 0;
	in->ti = tracefs_instance_create(name);
	saved = in->ti == NULL ? (errno != 0 ? errno : EIO) :
	    !tracefs_instance_is_new(in->ti) ? EEXIST : 0;
	dir = saved == 0 ? tracefs_instance_get_dir(in->ti) : NULL;
	if (saved == 0 && (dir == NULL || strcmp(dir, in->dir) != 0))
		saved = EXDEV;
	free(dir);
	if (saved != 0) {
		if (in->ti != NULL) {
			/* Not ours (EEXIST) stays; one made elsewhere (EXDEV) goes. */
			if (saved == EXDEV)
				(void)tracefs_instance_destroy(in->ti);
			tracefs_instance_free(in->ti);
			in->ti = NULL;
		}
		slots[i].live = 0;
		in->slot = -1;
		tfs_block(false);
		td_errf(err, saved, "tracefs: cannot make instance %s: %s%s", in->dir,
		    saved == EXDEV ? "libtracefs made it elsewhere" : strerror(saved),
		    saved == EACCES || saved == EPERM ? " (needs root or CAP_SYS_ADMIN)" : "");
		in->dir[0] = '\0';
		return -1;
	}
	snprintf(path, sizeof(path), "%s/tracing_on", in->dir);
	slots[i].hold = open(path, O_RDONLY | O_CLOEXEC);
	tfs_block(false);
	return 0;
}

void
tfs_inst_remove(struct tfs_inst *in)
{
	if (in->dir[0] == '\0')
		return;
	tfs_block(true);
	if (in->slot >= 0) {
		if (slots[in->slot].hold >= 0)
			close(slots[in->slot].hold);
		slots[in->slot].hold = -1;
	}
	/*
	 * Off first: if someone else holds a file open, the rmdir fails with
	 * EBUSY and the events at least stop.  The rmdir disables them too
	 * (event_trace_del_tracer(), kernel/trace/trace_events.c).
	 */
	if (in->ti != NULL) {
		(void)tracefs_event_disable(in->ti, NULL, NULL);
		(void)tracefs_trace_off(in->ti);
		if (tracefs_instance_destroy(in->ti) < 0)
			(void)rmdir(in->dir);
		tracefs_instance_free(in->ti);
		in->ti = NULL;
	} else {
		(void)rmdir(in->dir);
	}
	if (in->slot >= 0)
		slots[in->slot].live = 0;
	in->slot = -1;
	in->dir[0] = '\0';
	tfs_block(false);
}
