/* SPDX-License-Identifier: MIT */
/*
 * Safe opening and writing of the files a user names; see safefile.h for
 * the rules.  Every decision about what a path may be is made here, once.
 */
#include "core/safefile.h"

#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/num.h"
#include "core/util.h"

#define TMP_MARKER	".tcpdoctor-tmp"
#define WHO_MAX		560	/* who(): two quoted names, each cut at 250 */

/* ---- Process identity: pid plus start time, since pids are reused ---- */

int
safefile_proc_start(pid_t pid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	uint64_t v;
	ssize_t n;
	int fd, i, saved;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	saved = errno;
	close(fd);
	if (n <= 0) {
		errno = n < 0 ? saved : ESRCH;	/* a process that just exited reads empty */
		return -1;
	}
	buf[n] = '\0';
	/* The command name (field 2) may hold blanks and ')': skip to its last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL) {
		errno = EPROTO;
		return -1;
	}
	p++;
	/* Fields 3 (state) to 21, then field 22, starttime (proc(5)). */
	for (i = 3; i <= 21; i++) {
		p += strspn(p, " ");
		p += strcspn(p, " ");
		if (*p == '\0') {
			errno = EPROTO;
			return -1;
		}
	}
	p += strspn(p, " ");
	if (td_num_u64n(p, strcspn(p, " \n"), 10, UINT64_MAX, &v, NULL) < 0) {
		errno = EPROTO;
		return -1;
	}
	*start = v;
	return 0;
}

/* Our own start time; 0 when /proc cannot tell, which disables sweeping. */
static unsigned long long
self_start(void)
{
	static unsigned long long start;
	static pid_t cached;
	unsigned long long v;

	if (cached != getpid()) {	/* recomputed in a forked child */
		start = safefile_proc_start(getpid(), &v) == 0 ? v : 0;
		cached = getpid();
	}
	return start;
}

static uint32_t
random32(void)
{
	static uint32_t counter;
	struct timespec ts;
	uint32_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)ts.tv_nsec ^ ((uint32_t)getpid() << 16) ^ ++counter;
}

/* "-PID-START-RAND": the tag that ends every temporary name we make. */
static void
make_tag(char *buf, size_t len)
{
	snprintf(buf, len, "-%d-%llu-%08x", (int)getpid(), self_start(), random32());
}

/*
 * Parse the tag that follows marker at the end of name.  With anchored,
 * name must start with the marker (a directory PREFIX-...); otherwise the
 * marker is searched (NAME.tcpdoctor-tmp-...).  Returns true and the owner
 * when name is exactly one of ours.
 */
static bool
parse_tag(const char *name, const char *marker, bool anchored, pid_t *pid,
    unsigned long long *start)
{
	const char *p = NULL, *q;
	uint64_t v;
	size_t i, n;

	if (anchored) {
		if (strncmp(name, marker, strlen(marker)) == 0)
			p = name;
	} else {
		for (q = strstr(name, marker); q != NULL; q = strstr(q + 1, marker))
			p = q;
	}
	if (p == NULL)
		return false;
	p += strlen(marker);
	if (*p++ != '-')
		return false;
	n = strspn(p, "0123456789");
	if (p[n] != '-' || td_num_u64n(p, n, 10, INT_MAX, &v, NULL) < 0 || v == 0)
		return false;
	*pid = (pid_t)v;
	p += n + 1;
	n = strspn(p, "0123456789");
	if (p[n] != '-' || td_num_u64n(p, n, 10, UINT64_MAX, &v, NULL) < 0)
		return false;
	*start = v;
	p += n + 1;
	for (i = 0; i < 8; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return p[8] == '\0';
}

/*
 * True when the process that made a temporary name is certainly gone: no
 * such pid, or a pid now used by a process that started at another time.
 * Anything uncertain (no /proc, hidepid) counts as alive.
 */
static bool
owner_gone(pid_t pid, unsigned long long start)
{
	unsigned long long now;

	if (self_start() == 0)
		return false;
	if (safefile_proc_start(pid, &now) < 0)
		return errno == ENOENT || errno == ESRCH;
	return now != start;
}

/* Unlink every non-directory entry of an open directory (never following a link). */
static void
empty_dir(int fd)
{
	struct dirent *de;
	DIR *d;
	int dfd;

	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(fd, de->d_name, 0);
	closedir(d);
}

/*
 * Remove the stale entries of dirfd named by marker: regular files
 * (!dirs) or directories (dirs, emptied first), of the effective user,
 * whose process is gone.  Returns how many were removed.
 */
static int
sweep_fd(int dirfd, const char *marker, bool dirs)
{
	unsigned long long start;
	struct dirent *de;
	struct stat st, st2;
	pid_t pid;
	DIR *d;
	int fd, n = 0;

	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (!parse_tag(de->d_name, marker, dirs, &pid, &start))
			continue;
		if (pid == getpid() && start == self_start())
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_uid != geteuid() || !(dirs ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)))
			continue;
		if (!owner_gone(pid, start))
			continue;
		if (!dirs) {
			n += unlinkat(dirfd, de->d_name, 0) == 0;
			continue;
		}
		fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st2) == 0 && st2.st_dev == st.st_dev && st2.st_ino == st.st_ino)
			empty_dir(fd);
		close(fd);
		n += unlinkat(dirfd, de->d_name, AT_REMOVEDIR) == 0;
	}
	closedir(d);
	return n;
}

int
safefile_sweep(const char *dir, struct td_err *err)
{
	int fd, n;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return td_errf(err, errno, "directory '%s': %s", dir, strerror(errno));
	n = sweep_fd(fd, TMP_MARKER, false);
	close(fd);
	return n;
}

/* ---- Resolving a path ---- */

struct target {
	char		path[PATH_MAX];	/* after the links followed */
	bool		exists;
	bool		is_fd;		/* names one of our descriptors */
	int		fdnum;
	struct stat	st;		/* lstat of path, when it exists */
};

/* A decimal descriptor number that makes up all of s. */
static bool
parse_fdnum(const char *s, int *n)
{
	uint64_t v;

	if (*s < '0' || *s > '9' || td_num_u64(s, 10, INT_MAX, &v, NULL) < 0)
		return false;
	*n = (int)v;
	return true;
}

/* True when p names one of this process's descriptors (see safefile.h). */
static bool
fd_name(const char *p, int *n)
{
	static const struct {
		const char	*name;
		int		 fd;
	} std[] = { { "/dev/stdin", 0 }, { "/dev/stdout", 1 }, { "/dev/stderr", 2 } };
	static const char *const dirs[] = { "/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/" };
	char own[48];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(std); i++)
		if (strcmp(p, std[i].name) == 0) {
			*n = std[i].fd;
			return true;
		}
	for (i = 0; i < ARRAY_SIZE(dirs); i++)
		if (strncmp(p, dirs[i], strlen(dirs[i])) == 0)
			return parse_fdnum(p + strlen(dirs[i]), n);
	snprintf(own, sizeof(own), "/proc/%d/fd/", (int)getpid());
	if (strncmp(p, own, strlen(own)) == 0)
		return parse_fdnum(p + strlen(own), n);
	return false;
}

/* What a file type is called in messages. */
static const char *
kind_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "not a regular file";
	}
}

/* "'given'" or "'given' (-> 'resolved')" for messages. */
static const char *
who(const struct target *t, const char *given, char *buf, size_t len)
{
	if (t == NULL || strcmp(t->path, given) == 0)
		snprintf(buf, len, "'%.250s'", given);
	else
		snprintf(buf, len, "'%.250s' (-> '%.250s')", given, t->path);
	return buf;
}

/*
 * Follow path to what it names, checking each link on the way (see
 * safefile.h).  Fills *t; a missing last component is not an error.
 */
static int
resolve(const char *label, const char *path, unsigned int flags, struct target *t,
    struct td_err *err)
{
	char link[PATH_MAX], next[PATH_MAX], w[WHO_MAX], *slash;
	ssize_t n;
	int hop;

	memset(t, 0, sizeof(*t));
	if (path == NULL || path[0] == '\0')
		/* ENOENT, as open("") gives (path_resolution(7)): exit 66 for an input. */
		return td_errf(err, ENOENT, "%s '': an empty name is not a file", label);
	if (strlen(path) >= sizeof(t->path))
		return td_errf(err, ENAMETOOLONG, "%s '%.64s...': name too long", label, path);
	snprintf(t->path, sizeof(t->path), "%s", path);
	for (hop = 0;; hop++) {
		if (!(flags & SAFEFILE_REGULAR) && fd_name(t->path, &t->fdnum)) {
			if (fcntl(t->fdnum, F_GETFD) < 0)
				return td_errf(err, EBADF, "%s %s: descriptor %d is not open", label,
				    who(t, path, w, sizeof(w)), t->fdnum);
			t->is_fd = true;
			t->exists = true;
			return 0;
		}
		if (lstat(t->path, &t->st) < 0) {
			if (errno == ENOENT)
				return 0;
			return td_errf(err, errno, "%s %s: %s", label, who(t, path, w, sizeof(w)),
			    strerror(errno));
		}
		t->exists = true;
		if (!S_ISLNK(t->st.st_mode))
			return 0;
		if (flags & SAFEFILE_NOFOLLOW)
			return td_errf(err, SAFEFILE_EKIND, "%s %s: is a symbolic link, which is "
			    "never followed here", label, who(t, path, w, sizeof(w)));
		/* SAFEFILE_EKIND, not EPERM: a link of another user is a kind of
		 * file refused (exit 66 or 73, tcpdoctor(8)), not missing privilege. */
		if (t->st.st_uid != 0 && t->st.st_uid != geteuid() && geteuid() == 0)
			return td_errf(err, SAFEFILE_EKIND, "%s %s: is a symbolic link owned by "
			    "uid %u; only links of root are followed", label,
			    who(t, path, w, sizeof(w)), (unsigned int)t->st.st_uid);
		if (t->st.st_uid != 0 && t->st.st_uid != geteuid())
			return td_errf(err, SAFEFILE_EKIND, "%s %s: is a symbolic link owned by uid %u; only "
			    "links of root or of uid %u are followed", label,
			    who(t, path, w, sizeof(w)), (unsigned int)t->st.st_uid,
			    (unsigned int)geteuid());
		if (hop >= SAFEFILE_MAX_LINKS)
			return td_errf(err, ELOOP, "%s '%s': more than %d symbolic links", label,
			    path, SAFEFILE_MAX_LINKS);
		n = readlink(t->path, link, sizeof(link) - 1);
		if (n < 0)
			return td_errf(err, errno, "%s %s: %s", label, who(t, path, w, sizeof(w)),
			    strerror(errno));
		link[n] = '\0';
		if (link[0] == '/' || (slash = strrchr(t->path, '/')) == NULL) {
			if ((size_t)n >= sizeof(next))
				return td_errf(err, ENAMETOOLONG, "%s '%s': link too long", label, path);
			memcpy(next, link, (size_t)n + 1);
		} else if (snprintf(next, sizeof(next), "%.*s/%s", (int)(slash - t->path),
		    t->path, link) >= (int)sizeof(next)) {
			return td_errf(err, ENAMETOOLONG, "%s '%s': link too long", label, path);
		}
		memcpy(t->path, next, sizeof(t->path));
		t->exists = false;
	}
}

/*
 * Open the object at path, which lstat described as *want, with oflags.
 * It is first opened O_PATH|O_NOFOLLOW (no driver's open runs) and must be
 * the same inode; then reopened through /proc/self/fd/N, which opens that
 * inode and no other (proc(5)).  Without /proc it is opened by name with
 * O_NOFOLLOW|O_NONBLOCK and must still be the same inode.  Returns the
 * descriptor, or -1 with errno set (ESTALE: it changed meanwhile).
 */
static int
open_checked(int dirfd, const char *path, int oflags, const struct stat *want)
{
	char proc[64];
	struct stat st;
	int pfd, fd, saved;

	pfd = openat(dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -1;
	if (fstat(pfd, &st) < 0 || st.st_dev != want->st_dev || st.st_ino != want->st_ino ||
	    (st.st_mode & S_IFMT) != (want->st_mode & S_IFMT)) {
		close(pfd);
		errno = ESTALE;
		return -1;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, oflags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		fd = openat(dirfd, path, oflags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	saved = errno;
	close(pfd);
	if (fd < 0) {
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_dev != want->st_dev || st.st_ino != want->st_ino) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

/* Put a descriptor back in blocking mode (it was opened O_NONBLOCK to never hang). */
static void
set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

static int
open_fail(const char *label, const struct target *t, const char *path, struct td_err *err)
{
	char w[WHO_MAX];

	if (errno == ESTALE)
		return td_errf(err, EAGAIN, "%s %s: changed while being opened", label,
		    who(t, path, w, sizeof(w)));
	if (errno == ENXIO && S_ISFIFO(t->st.st_mode))
		return td_errf(err, ENXIO, "%s %s: is a FIFO with no reader", label,
		    who(t, path, w, sizeof(w)));
	return td_errf(err, errno, "%s %s: %s", label, who(t, path, w, sizeof(w)), strerror(errno));
}

/* The owner rule of SAFEFILE_OWNED. */
static int
check_owner(const char *label, const struct target *t, const char *path, unsigned int flags,
    struct td_err *err)
{
	char w[WHO_MAX];

	if (!(flags & SAFEFILE_OWNED) || !t->exists || t->is_fd || t->st.st_uid == geteuid())
		return 0;
	return td_errf(err, EPERM, "%s %s: belongs to uid %u, not to uid %u running tcpdoctor",
	    label, who(t, path, w, sizeof(w)), (unsigned int)t->st.st_uid, (unsigned int)geteuid());
}

/* ---- Output ---- */

static ssize_t
sf_write(void *cookie, const char *buf, size_t len)
{
	struct safefile *sf = cookie;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(sf->fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (sf->werr == 0)
				sf->werr = n < 0 ? errno : EIO;
			return 0;	/* fopencookie(3): 0 on error */
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int
sf_close(void *cookie)
{
	(void)cookie;	/* the descriptor is closed by commit or abort */
	return 0;
}

static int
open_stream(struct safefile *sf, struct td_err *err)
{
	static const cookie_io_functions_t io = { .write = sf_write, .close = sf_close };

	sf->fp = fopencookie(sf, "w", io);
	if (sf->fp == NULL) {
		td_errf(err, errno, "%s '%s': %s", sf->label, sf->path, strerror(errno));
		safefile_abort(sf);
		return -1;
	}
	return 0;
}

/* Split path into its directory and last component. */
static int
split_path(const char *label, const char *path, char *dir, size_t dlen, char *name,
    struct td_err *err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;

	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return td_errf(err, EISDIR, "%s '%s': is a directory", label, path);
	if (strlen(base) > NAME_MAX)
		return td_errf(err, ENAMETOOLONG, "%s '%s': name too long", label, path);
	memcpy(name, base, strlen(base) + 1);
	if (slash == NULL)
		snprintf(dir, dlen, ".");
	else if (slash == path)
		snprintf(dir, dlen, "/");
	else
		snprintf(dir, dlen, "%.*s", (int)(slash - path), path);
	return 0;
}

int
safefile_create(struct safefile *sf, const char *label, const char *path, unsigned int flags,
    mode_t mode, struct td_err *err)
{
	char dir[PATH_MAX], tag[64], w[WHO_MAX];
	struct target t;
	struct stat st;
	size_t keep;
	int i;

	memset(sf, 0, sizeof(*sf));
	sf->fd = sf->dirfd = -1;
	sf->label = label;
	sf->path = path;
	if (resolve(label, path, flags, &t, err) < 0)
		return -1;
	if (t.is_fd) {
		sf->fd = fcntl(t.fdnum, F_DUPFD_CLOEXEC, 3);
		if (sf->fd < 0)
			return td_errf(err, errno, "%s '%s': %s", label, path, strerror(errno));
		return open_stream(sf, err);
	}
	if (t.exists) {
		switch (t.st.st_mode & S_IFMT) {
		case S_IFREG:
			break;
		case S_IFCHR:
		case S_IFIFO:
			if (flags & SAFEFILE_REGULAR)
				return td_errf(err, SAFEFILE_EKIND, "%s %s: is %s, not a regular file",
				    label, who(&t, path, w, sizeof(w)), kind_name(t.st.st_mode));
			if (check_owner(label, &t, path, flags, err) < 0)
				return -1;
			/* Non-blocking, so a FIFO without a reader fails with ENXIO (fifo(7)). */
			sf->fd = open_checked(AT_FDCWD, t.path, O_WRONLY | O_NONBLOCK, &t.st);
			if (sf->fd < 0)
				return open_fail(label, &t, path, err);
			set_blocking(sf->fd);
			return open_stream(sf, err);
		case S_IFDIR:
			return td_errf(err, EISDIR, "%s %s: is a directory", label,
			    who(&t, path, w, sizeof(w)));
		default:
			return td_errf(err, SAFEFILE_EKIND, "%s %s: is %s; only a regular file, "
			    "a character device or a FIFO is written", label,
			    who(&t, path, w, sizeof(w)), kind_name(t.st.st_mode));
		}
		if (check_owner(label, &t, path, flags, err) < 0)
			return -1;
		sf->keep = true;
		sf->uid = t.st.st_uid;
		sf->gid = t.st.st_gid;
		sf->mode = t.st.st_mode & 0777;	/* set-id and sticky bits are not carried */
	}
	if (split_path(label, t.path, dir, sizeof(dir), sf->name, err) < 0)
		return -1;
	sf->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sf->dirfd < 0) {
		td_errf(err, errno, "%s %s: directory '%s': %s", label, who(&t, path, w, sizeof(w)),
		    dir, strerror(errno));
		return -1;
	}
	sweep_fd(sf->dirfd, TMP_MARKER, false);
	/* The rename is relative to dirfd: what is there must still be what was judged. */
	if (fstatat(sf->dirfd, sf->name, &st, AT_SYMLINK_NOFOLLOW) == 0 ?
	    !t.exists || st.st_dev != t.st.st_dev || st.st_ino != t.st.st_ino :
	    t.exists) {
		td_errf(err, EAGAIN, "%s %s: changed while being opened", label,
		    who(&t, path, w, sizeof(w)));
		safefile_abort(sf);
		return -1;
	}
	for (i = 0; i < 16; i++) {
		make_tag(tag, sizeof(tag));
		keep = NAME_MAX - strlen(TMP_MARKER) - strlen(tag);
		snprintf(sf->tmp, sizeof(sf->tmp), "%.*s%s%s", (int)keep, sf->name, TMP_MARKER, tag);
		sf->fd = openat(sf->dirfd, sf->tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, sf->keep ? 0600 : mode);
		if (sf->fd >= 0 || errno != EEXIST)
			break;
	}
	if (sf->fd < 0) {
		td_errf(err, errno, "%s %s: cannot create a temporary file in '%s': %s", label,
		    who(&t, path, w, sizeof(w)), dir, strerror(errno));
		sf->tmp[0] = '\0';
		safefile_abort(sf);
		return -1;
	}
	sf->replace = true;
	return open_stream(sf, err);
}

int
safefile_commit(struct safefile *sf, struct td_err *err)
{
	const char *what = NULL;
	int code = 0;

	if (sf->fp == NULL)
		return td_errf(err, EINVAL, "%s '%s': not open", sf->label, sf->path);
	if (fflush(sf->fp) != 0 || ferror(sf->fp) || sf->werr != 0) {
		code = sf->werr != 0 ? sf->werr : errno != 0 ? errno : EIO;
		what = "write failed";
	}
	fclose(sf->fp);
	sf->fp = NULL;
	if (what == NULL && sf->replace) {
		if (fsync(sf->fd) < 0)
			what = "write failed", code = errno;
		else if (sf->keep && (sf->uid != geteuid() || sf->gid != getegid()) &&
		    fchown(sf->fd, sf->uid, sf->gid) < 0)
			what = "cannot keep the file's owner", code = errno;
		else if (sf->keep && fchmod(sf->fd, sf->mode) < 0)
			what = "cannot keep the file's mode", code = errno;
	}
	/* close(2) can report a deferred write error (NFS); EINTR still closed it. */
	if (close(sf->fd) < 0 && errno != EINTR && what == NULL)
		what = "write failed", code = errno;
	sf->fd = -1;
	if (what == NULL && sf->replace) {
		if (renameat(sf->dirfd, sf->tmp, sf->dirfd, sf->name) < 0)
			what = "rename", code = errno;
		else
			sf->tmp[0] = '\0';
		/* The rename is durable once the directory is (rename(2), fsync(2)). */
		if (what == NULL && fsync(sf->dirfd) < 0 && errno != EINVAL)
			what = "write failed", code = errno;
	}
	if (what != NULL) {
		td_errf(err, code, "%s '%s': %s: %s", sf->label, sf->path, what, strerror(code));
		safefile_abort(sf);
		return -1;
	}
	safefile_abort(sf);	/* closes the directory */
	return 0;
}

void
safefile_abort(struct safefile *sf)
{
	if (sf->fp != NULL)
		fclose(sf->fp);
	sf->fp = NULL;
	if (sf->fd >= 0)
		close(sf->fd);
	sf->fd = -1;
	if (sf->dirfd >= 0) {
		if (sf->replace && sf->tmp[0] != '\0')
			unlinkat(sf->dirfd, sf->tmp, 0);
		close(sf->dirfd);
	}
	sf->dirfd = -1;
	sf->tmp[0] = '\0';
	sf->replace = false;
}

/* ---- Input ---- */

/* The null device (major 1, minor 3: Documentation/admin-guide/devices.txt). */
static bool
is_null_device(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

/* Judge an existing input without opening it. */
static int
input_kind_ok(const char *label, const struct target *t, const char *path, unsigned int flags,
    struct td_err *err)
{
	char w[WHO_MAX];

	if (S_ISREG(t->st.st_mode))
		return check_owner(label, t, path, flags, err);
	if (S_ISDIR(t->st.st_mode))
		return td_errf(err, EISDIR, "%s %s: is a directory", label, who(t, path, w, sizeof(w)));
	if (!(flags & SAFEFILE_REGULAR) && is_null_device(&t->st))
		return 0;
	if (S_ISFIFO(t->st.st_mode) && !(flags & SAFEFILE_REGULAR))
		return td_errf(err, SAFEFILE_EKIND, "%s %s: is a FIFO; only a regular file is "
		    "opened (a pipe can be given as '-' or /dev/fd/N)", label, who(t, path, w, sizeof(w)));
	return td_errf(err, SAFEFILE_EKIND, "%s %s: is %s, not a regular file", label,
	    who(t, path, w, sizeof(w)), kind_name(t->st.st_mode));
}

int
safefile_open_input(const char *label, const char *path, unsigned int flags, struct td_err *err)
{
	char w[WHO_MAX];
	struct target t;
	struct stat st;
	int fd;

	if (!(flags & SAFEFILE_REGULAR) && path != NULL && strcmp(path, "-") == 0)
		path = "/dev/stdin";
	if (resolve(label, path, flags, &t, err) < 0)
		return -1;
	if (t.is_fd) {
		fd = fcntl(t.fdnum, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return td_errf(err, errno, "%s '%s': %s", label, path, strerror(errno));
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			return td_errf(err, EISDIR, "%s '%s': is a directory", label, path);
		}
		return fd;
	}
	if (!t.exists)
		return td_errf(err, ENOENT, "%s %s: %s", label, who(&t, path, w, sizeof(w)),
		    strerror(ENOENT));
	if (input_kind_ok(label, &t, path, flags, err) < 0)
		return -1;
	fd = open_checked(AT_FDCWD, t.path, O_RDONLY | O_NONBLOCK, &t.st);
	if (fd < 0)
		return open_fail(label, &t, path, err);
	set_blocking(fd);
	return fd;
}

FILE *
safefile_fopen_input(const char *label, const char *path, unsigned int flags, struct td_err *err)
{
	FILE *fp;
	int fd;

	fd = safefile_open_input(label, path, flags, err);
	if (fd < 0)
		return NULL;
	fp = fdopen(fd, "r");
	if (fp == NULL) {
		td_errf(err, errno, "%s '%s': %s", label, path, strerror(errno));
		close(fd);
	}
	return fp;
}

int
safefile_check(const char *label, const char *path, unsigned int flags, struct td_err *err)
{
	struct target t;

	if (resolve(label, path, flags, &t, err) < 0)
		return -1;
	if (!t.exists || t.is_fd)
		return 0;
	return input_kind_ok(label, &t, path, flags, err);
}

int
safefile_open_private(const char *label, const char *path, mode_t mode, struct td_err *err)
{
	struct target t;
	int fd = -1, i;

	errno = ESTALE;
	for (i = 0; i < 4; i++) {
		if (resolve(label, path, SAFEFILE_PRIVATE, &t, err) < 0)
			return -1;
		if (!t.exists) {
			/* O_EXCL|O_NOFOLLOW: never created through a link planted meanwhile. */
			fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
			if (fd >= 0 || errno != EEXIST)
				break;
			continue;
		}
		if (input_kind_ok(label, &t, path, SAFEFILE_PRIVATE, err) < 0)
			return -1;
		fd = open_checked(AT_FDCWD, t.path, O_RDWR | O_NONBLOCK, &t.st);
		if (fd >= 0 || errno != ESTALE)
			break;
	}
	if (fd < 0)
		return open_fail(label, &t, path, err);
	set_blocking(fd);
	return fd;
}

/* ---- Private temporary directories ---- */

int
safefile_mkdtemp(char *buf, size_t len, const char *parent, const char *prefix,
    struct td_err *err)
{
	char name[NAME_MAX + 1], tag[64];
	int dirfd, i, rc = -1;

	dirfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return td_errf(err, errno, "directory '%s': %s", parent, strerror(errno));
	sweep_fd(dirfd, prefix, true);
	for (i = 0; i < 16; i++) {
		make_tag(tag, sizeof(tag));
		snprintf(name, sizeof(name), "%s%s", prefix, tag);
		if (mkdirat(dirfd, name, 0700) == 0) {
			rc = 0;
			break;
		}
		if (errno != EEXIST)
			break;
	}
	if (rc < 0)
		td_errf(err, errno, "directory '%s': cannot make '%s': %s", parent, name,
		    strerror(errno));
	else if (snprintf(buf, len, "%s/%s", parent, name) >= (int)len)
		rc = td_errf(err, ENAMETOOLONG, "directory '%s': name too long", parent);
	close(dirfd);
	return rc;
}

void
safefile_rmdtemp(const char *path)
{
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	empty_dir(fd);
	close(fd);
	rmdir(path);
}

FILE *
safefile_fopen_proc(const char *path)
{
	struct stat st;
	FILE *fp;
	int fd, e;

	/* O_NONBLOCK: open(2) of a FIFO without a writer returns at once. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		e = S_ISREG(st.st_mode) ? errno : SAFEFILE_EKIND;
		close(fd);
		errno = e;
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		e = errno;
		close(fd);
		errno = e;
	}
	return fp;
}
