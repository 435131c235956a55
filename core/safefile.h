/* SPDX-License-Identifier: MIT */
/*
 * Files tcpdoctor opens or writes, often as root from cron: the one place
 * that decides what a path may be and how it is opened, so that no command
 * renames over a device, writes through a planted symbolic link, blocks on
 * a planted FIFO, or leaves temporary files behind for ever.
 *
 * The rules (man/tcpdoctor.8, FILES, says the same to users):
 *
 *  - A symbolic link as the last component is followed only when it is
 *    owned by root or by the effective user (the kernel's
 *    fs.protected_symlinks rule, made unconditional), at most
 *    SAFEFILE_MAX_LINKS deep, each link checked; what it leads to is then
 *    judged as if it had been named.  SAFEFILE_NOFOLLOW refuses every
 *    link.  Directory components are taken as given.
 *  - The names of the caller's own descriptors (/dev/stdin, /dev/stdout,
 *    /dev/stderr, /dev/fd/N, /proc/self/fd/N) stand for that descriptor,
 *    which is duplicated: `-o /dev/stdout` and `-c <(...)` work, and write
 *    or read exactly what the shell set up.  "-" is standard input for
 *    inputs.
 *  - Output (safefile_create): a missing path or a regular file is
 *    replaced atomically: a temporary file created O_EXCL|O_NOFOLLOW in the
 *    same directory, written, fsync'd, given the old file's owner and mode
 *    (set-id bits dropped) or the caller's mode less the umask for a new
 *    file, renamed over the path, and the directory fsync'd.  A character
 *    device or a FIFO is written through (a FIFO without a reader is an
 *    error, never a hang); a directory, block device or socket is an error.
 *  - Input (safefile_open_input): only a regular file, the null device
 *    (reads as empty), or one of the caller's descriptors.  Never a FIFO or
 *    another device: opening one could block for ever or wake a driver.
 *  - Objects are typed through an O_PATH descriptor (which does not call a
 *    driver's open) and only then reopened for reading or writing through
 *    /proc/self/fd, so the object opened is the one that was checked.
 *  - Temporary names carry the creating process's pid and start time
 *    (/proc/PID/stat field 22, since pids are reused): NAME.tcpdoctor-tmp-
 *    PID-START-RAND.  Before creating one, stale ones of the effective user
 *    in that directory (their process gone) are removed, never following a
 *    link, never one whose process still runs.
 *
 * Nothing here prints: every function returns -1 (or NULL) with *err set,
 * its message naming the label and the path ("output '/x': is a
 * directory"); cmd/ chooses the exit status.
 */
#ifndef TD_CORE_SAFEFILE_H
#define TD_CORE_SAFEFILE_H

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

struct td_err;

/* err->code when a path is not the kind of file asked for (a FIFO, a link). */
#define SAFEFILE_EKIND		EMEDIUMTYPE
/* Symbolic links followed at most, each one checked. */
#define SAFEFILE_MAX_LINKS	8

enum safefile_flag {
	SAFEFILE_NOFOLLOW	= 1u << 0,	/* a symbolic link is refused, not followed */
	SAFEFILE_OWNED		= 1u << 1,	/* must belong to the effective user */
	SAFEFILE_REGULAR	= 1u << 2,	/* a regular file only: no device, FIFO or descriptor */
};
/* What the state file and its lock must be. */
#define SAFEFILE_PRIVATE	(SAFEFILE_NOFOLLOW | SAFEFILE_OWNED | SAFEFILE_REGULAR)

/*
 * An output being written.  Fill it with safefile_create(), write to fp,
 * then safefile_commit() or safefile_abort().  fp records the first write
 * error itself, so the struct must stay where it is until then.
 */
struct safefile {
	FILE		*fp;			/* write the content here */
	const char	*label, *path;		/* for messages, as the caller gave them */
	int		 fd;			/* the temporary file, or the object written through */
	int		 dirfd;			/* replace: the target's directory */
	int		 werr;			/* the first write error (errno), 0 if none */
	bool		 replace;		/* temporary file renamed over the path by commit */
	bool		 keep;			/* an existing file: its owner and mode are kept */
	uid_t		 uid;
	gid_t		 gid;
	mode_t		 mode;
	char		 name[NAME_MAX + 1];	/* replace: the target's name in dirfd */
	char		 tmp[NAME_MAX + 1];	/* replace: the temporary file's name in dirfd */
};

/*
 * Open path for writing by the rules above; label names it in messages
 * ("output", "state file").  mode is a new file's mode (the umask applies).
 * Returns 0 with sf->fp ready, or -1 with *err set and nothing created.
 */
int	safefile_create(struct safefile *sf, const char *label, const char *path,
	    unsigned int flags, mode_t mode, struct td_err *err);
/*
 * Finish: flush, fsync, rename over the path and fsync the directory (or,
 * written through, flush and close).  Returns 0, or -1 with *err set
 * ("output '/x': write failed: No space left on device"), the temporary
 * file removed and the old file untouched.  sf is closed either way.
 */
int	safefile_commit(struct safefile *sf, struct td_err *err);
/* Close sf and remove its temporary file; the path is left as it was. */
void	safefile_abort(struct safefile *sf);

/*
 * Open path for reading by the rules above.  Returns a descriptor (blocking
 * mode, close-on-exec), or -1 with *err set; err->code is ENOENT when the
 * path does not exist, so a caller can treat a missing file as empty.
 */
int	safefile_open_input(const char *label, const char *path, unsigned int flags,
	    struct td_err *err);
/* The same as a stdio stream ("r"); NULL with *err set. */
FILE	*safefile_fopen_input(const char *label, const char *path, unsigned int flags,
	    struct td_err *err);
/*
 * A kernel file under /proc (or --proc-root) for reading, like
 * fopen(path, "re"), but opened non-blocking and only if it is a regular
 * file (procfs files are): a FIFO or device planted under --proc-root is
 * refused at once (errno SAFEFILE_EKIND) instead of blocking for ever.
 */
FILE	*safefile_fopen_proc(const char *path);
/*
 * Check, without opening or creating anything, that path is missing or a
 * regular file acceptable under flags.  Returns 0, or -1 with *err set.
 */
int	safefile_check(const char *label, const char *path, unsigned int flags,
	    struct td_err *err);
/*
 * Open path read-write, creating it with mode if missing: a regular file
 * of the effective user, never through a link (SAFEFILE_PRIVATE), for lock
 * files.  Returns the descriptor, or -1 with *err set.
 */
int	safefile_open_private(const char *label, const char *path, mode_t mode,
	    struct td_err *err);

/*
 * Make a private directory (0700) in parent named PREFIX-PID-START-RAND,
 * after removing the stale ones of the effective user (same prefix, their
 * process gone).  Writes its path into buf.  Returns 0, or -1 with *err set.
 */
int	safefile_mkdtemp(char *buf, size_t len, const char *parent, const char *prefix,
	    struct td_err *err);
/* Remove a directory made by safefile_mkdtemp() and the files in it. */
void	safefile_rmdtemp(const char *path);
/*
 * Remove the stale temporary files (NAME.tcpdoctor-tmp-PID-START-RAND) of
 * the effective user in dir.  Returns how many were removed, or -1 with
 * *err set when dir cannot be read.
 */
int	safefile_sweep(const char *dir, struct td_err *err);
/*
 * The start time of process pid (/proc/PID/stat field 22, clock ticks since
 * boot; proc(5)).  Returns 0, or -1 with errno set (ENOENT: no such process).
 */
int	safefile_proc_start(pid_t pid, unsigned long long *start);

#endif /* TD_CORE_SAFEFILE_H */
