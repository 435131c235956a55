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
#include <string.h>

#include "cmd/exit.h"
#include "collectors/snapshot.h"
#include "core/safefile.h"

static void
vmsg(const struct td_ctx *ctx, const char *kind, const char *fmt, va_list ap)
{
	char buf[1024];
	char *nl;

	assert(strchr(fmt, '\n') == NULL);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	while ((nl = strpbrk(buf, "\r\n")) != NULL)
		*nl = ' ';
	if (ctx != NULL && ctx->cmd != NULL)
		fprintf(stderr, "tcpdoctor: %s: %s%s\n", ctx->cmd, kind, buf);
	else
		fprintf(stderr, "tcpdoctor: %s%s\n", kind, buf);
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
