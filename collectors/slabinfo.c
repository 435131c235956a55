/* SPDX-License-Identifier: MIT */
/*
 * /proc/slabinfo reader (see slabinfo.h).  The file is
 *
 *	slabinfo - version: 2.1
 *	# name  <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables ...
 *	tw_sock_TCP  112  176  256  16  1 : tunables 0 0 0 : slabdata 11 11 0
 *
 * as printed by cache_show() in mm/slab_common.c; only the five numbers
 * after the name are read.
 */
#include "collectors/slabinfo.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/safefile.h"

int
slabinfo_read(const char *proc_root, const char *const names[], struct td_slab out[],
    unsigned int n, struct td_err *err)
{
	char path[4096], line[512], name[128];
	struct td_slab s;
	unsigned int i, lineno = 0;
	FILE *fp;

	memset(out, 0, n * sizeof(*out));
	snprintf(path, sizeof(path), "%s/slabinfo", proc_root);
	if ((fp = safefile_fopen_proc(path)) == NULL)
		return td_errf(err, errno, "cannot read %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (lineno == 1) {
			if (strncmp(line, "slabinfo - version: 2.", 22) != 0) {
				fclose(fp);
				return td_errf(err, EPROTO, "%s: not slabinfo version 2.x", path);
			}
			continue;
		}
		if (line[0] == '#')
			continue;
		memset(&s, 0, sizeof(s));
		if (sscanf(line, "%127s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, name,
		    &s.active_objs, &s.num_objs, &s.objsize, &s.objperslab, &s.pagesperslab) != 6)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(name, names[i]) == 0) {
				s.found = true;
				out[i] = s;
			}
	}
	if (ferror(fp)) {
		int e = errno;

		fclose(fp);
		return td_errf(err, e, "reading %s: %s", path, strerror(e));
	}
	fclose(fp);
	return 0;
}
