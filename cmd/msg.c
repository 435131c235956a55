/* SPDX-License-Identifier: MIT */
/*
 * Messages to the user and the mapping from errno codes to exit statuses.
 * Form: "tcpdoctor: <command>: <what is wrong with 'input'>", one line.
 */
#include "cmd/cmd.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/exit.h"
#include "cmd/termsafe.h"
#include "collectors/snapshot.h"
#include "core/safefile.h"

/*
 * Messages quote what they are about: file names, configuration lines,
 * snapshot strings, process names.  The whole message goes through
 * termsafe (control characters, newlines included, and invalid UTF-8
 * escaped as \xHH), so it stays one line and nothing in it reaches the
 * terminal raw; it is never cut short.
 */
static void
vmsg(const struct td_ctx *ctx, const char *kind, const char *fmt, va_list ap)
{
	char small[1024], *buf = small, *safe = NULL;
	const char *text;
	va_list aq;
	int n;

	assert(strchr(fmt, '\n') == NULL);
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0) {
		n = 0;
		small[0] = '\0';
	} else if ((size_t)n >= sizeof(small) && (buf = malloc((size_t)n + 1)) != NULL) {
		vsnprintf(buf, (size_t)n + 1, fmt, aq);
	} else if (buf == NULL) {
		buf = small;
		n = (int)strlen(small);
	}
	va_end(aq);
	text = buf;
	if (!termsafe_clean(buf) && (safe = malloc(TERMSAFE_MAX((size_t)n))) != NULL) {
		termsafe_escape(buf, (size_t)n, false, safe);
		text = safe;
	}
	if (ctx != NULL && ctx->cmd != NULL)
		fprintf(stderr, "tcpdoctor: %s: %s%s\n", ctx->cmd, kind, text);
	else
		fprintf(stderr, "tcpdoctor: %s%s\n", kind, text);
	free(safe);
	if (buf != small)
		free(buf);
}

int
cmd_fail(struct td_ctx *ctx, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(ctx, "", fmt, ap);
	va_end(ap);
	return status;
}

void
cmd_warn(struct td_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(ctx, "warning: ", fmt, ap);
	va_end(ap);
}

int
cmd_out_check(FILE *fp, bool flush, bool *failed, struct td_err *err)
{
	if (flush)
		errno = 0;	/* without a flush, errno is still the failed write's */
	if ((flush && fflush(fp) != 0) || ferror(fp)) {
		*failed = true;
		return td_errf(err, errno != 0 ? errno : EIO, "writing output: %s",
		    strerror(errno != 0 ? errno : EIO));
	}
	return 0;
}

int
cmd_fail_write(struct td_ctx *ctx, int status, int code)
{
	if (ctx != NULL) {
		if (ctx->out_failed)
			return status;
		ctx->out_failed = true;
	}
	if (code == EPIPE)
		return status;
	return cmd_fail(ctx, status, "writing output: %s", strerror(code != 0 ? code : EIO));
}

int
cmd_status_for(int code)
{
	switch (code) {
	case EPERM:
	case EACCES:
		return TD_EXIT_NOPERM;
	case EINVAL:
	case EBADMSG:
	case EPROTO:
	case ERANGE:
	case EOVERFLOW:
		return TD_EXIT_DATAERR;
	case ENOENT:
	case EISDIR:
	case SAFEFILE_EKIND:	/* a FIFO, device or link where a file was asked for */
		return TD_EXIT_NOINPUT;
	case ENXIO:
	case ESRCH:
	case ENODEV:
	case ENOSYS:
	case EOPNOTSUPP:
	case EPROTONOSUPPORT:
	case EAFNOSUPPORT:
		return TD_EXIT_UNAVAILABLE;
	case 0:
		return TD_EXIT_SOFTWARE;
	default:
		return TD_EXIT_OSERR;
	}
}

int
cmd_fail_err(struct td_ctx *ctx, const struct td_err *err)
{
	return cmd_fail(ctx, cmd_status_for(err->code), "%s",
	    err->msg[0] != '\0' ? err->msg : "internal error with no message");
}
