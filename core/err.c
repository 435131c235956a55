/* SPDX-License-Identifier: MIT */
/* The error contract shared by every layer; see err.h. */
#include "core/err.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
td_errf(struct td_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	char *nl;

	assert(strchr(fmt, '\n') == NULL);
	if (err == NULL || err->msg[0] != '\0')
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* Inputs quoted into a message must not break the one-line rule. */
	while ((nl = strpbrk(err->msg, "\r\n")) != NULL)
		*nl = ' ';
	return -1;
}
