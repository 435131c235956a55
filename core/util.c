/* SPDX-License-Identifier: MIT */
/* Small helpers every layer uses; see util.h. */
#include "core/util.h"

#include <ctype.h>
#include <string.h>

char *
td_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}
