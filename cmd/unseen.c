/* SPDX-License-Identifier: MIT */
/* What a command could not see; see unseen.h. */
#include "cmd/unseen.h"

#include <stdio.h>
#include <string.h>

#include "collectors/sysctl.h"
#include "core/util.h"

void
unseen_init(struct td_unseen *u, const struct td_snapshot *snap, bool sysctls, bool owners)
{
	memset(u, 0, sizeof(*u));
	u->owners = owners;
	u->sysctls = sysctls;
	if (sysctls && snap != NULL)
		u->sysctls_unreadable = sysctl_unreadable(&snap->sys, &u->sysctls_mask,
		    &u->sysctls_code);
}

void
unseen_sock(struct td_unseen *u, const struct td_sock *sk)
{
	unsigned int bit = sk->state < 32 ? TD_STATE_BIT(sk->state) : 0;

	if (sk->owner_status == TD_OWNER_UNREADABLE) {
		u->owner_unreadable++;
		u->owner_unreadable_states |= bit;
	} else if (sk->owner_status == TD_OWNER_SKIPPED) {
		u->owner_skipped++;
		u->owner_skipped_states |= bit;
	}
}

void
unseen_source(struct td_unseen *u, const struct td_source *src)
{
	if (!u->owners || src->from != NULL)
		return;
	u->processes = src->procs.processes;
	u->processes_unreadable = src->procs.unreadable;
	u->processes_code = src->procs.unreadable_code;
}

bool
unseen_any(const struct td_unseen *u)
{
	return u->processes_unreadable > 0 || u->owner_unreadable > 0 || u->owner_skipped > 0 ||
	    u->sysctls_unreadable > 0;
}

void
unseen_describe(const struct td_unseen *u, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int shown = 0;
	int i;

	buf[0] = '\0';
	if (u->processes_unreadable > 0) {
		td_appendf(buf, len, &off, "could not read %zu of %zu processes (%s)",
		    u->processes_unreadable, u->processes, strerror(u->processes_code));
		if (u->owner_unreadable > 0)
			td_appendf(buf, len, &off, ": the owners of %llu sockets are unknown (run as root to see them)",
			    (unsigned long long)u->owner_unreadable);
		else
			td_appendf(buf, len, &off, ": owners may be missing");
	} else if (u->owner_unreadable > 0) {
		/* A replayed snapshot: the processes were unreadable where it was taken. */
		td_appendf(buf, len, &off, "the owners of %llu sockets were unreadable when the snapshot was taken",
		    (unsigned long long)u->owner_unreadable);
	}
	if (u->owner_skipped > 0)
		td_appendf(buf, len, &off, "%sthe owners of %llu sockets were not looked up (more sockets than the owner table holds)",
		    off > 0 ? "; " : "", (unsigned long long)u->owner_skipped);
	if (u->sysctls_unreadable > 0) {
		td_appendf(buf, len, &off, "%scould not read %u of %d sysctls (%s: ", off > 0 ? "; " : "",
		    u->sysctls_unreadable, TD_SYS_MAX, strerror(u->sysctls_code));
		for (i = 0; i < TD_SYS_MAX; i++) {
			if (!((u->sysctls_mask >> i) & 1))
				continue;
			if (shown++ == 3) {
				td_appendf(buf, len, &off, ", ...");
				break;
			}
			td_appendf(buf, len, &off, "%s%s", shown > 1 ? ", " : "", td_sysctl_fields[i].name);
		}
		td_appendf(buf, len, &off, "): defaults assumed");
	}
}

void
unseen_warn(struct td_ctx *ctx, const struct td_unseen *u)
{
	char line[1024];

	if (!unseen_any(u))
		return;
	unseen_describe(u, line, sizeof(line));
	cmd_warn(ctx, "%s", line);
}

json_t *
unseen_json(const struct td_unseen *u)
{
	json_t *o = json_object(), *names;
	int i;

	if (o == NULL)
		return NULL;
	if (u->owners) {
		json_object_set_new(o, "processes", json_integer((json_int_t)u->processes));
		json_object_set_new(o, "processes_unreadable",
		    json_integer((json_int_t)u->processes_unreadable));
		json_object_set_new(o, "owners_unreadable", json_integer((json_int_t)u->owner_unreadable));
		json_object_set_new(o, "owners_skipped", json_integer((json_int_t)u->owner_skipped));
	}
	if (u->sysctls) {
		names = json_array();
		for (i = 0; i < TD_SYS_MAX; i++)
			if ((u->sysctls_mask >> i) & 1)
				json_array_append_new(names, json_string(td_sysctl_fields[i].name));
		json_object_set_new(o, "sysctls_unreadable", names);
	}
	if (unseen_any(u)) {
		char line[1024];

		unseen_describe(u, line, sizeof(line));
		json_object_set_new(o, "message", json_string(line));
	}
	return o;
}

void
unseen_prometheus(FILE *fp, const struct td_unseen *u)
{
	if (!u->owners && !u->sysctls)
		return;
	fputs("# HELP tcpdoctor_unseen What tcpdoctor could not see: processes whose fds it could not read, sockets whose owner is unknown or was not looked up, sysctls it could not read\n"
	    "# TYPE tcpdoctor_unseen gauge\n", fp);
	if (u->owners) {
		fprintf(fp, "tcpdoctor_unseen{what=\"processes\"} %zu\n", u->processes_unreadable);
		fprintf(fp, "tcpdoctor_unseen{what=\"owners\"} %llu\n",
		    (unsigned long long)u->owner_unreadable);
		fprintf(fp, "tcpdoctor_unseen{what=\"owners_skipped\"} %llu\n",
		    (unsigned long long)u->owner_skipped);
	}
	if (u->sysctls)
		fprintf(fp, "tcpdoctor_unseen{what=\"sysctls\"} %u\n", u->sysctls_unreadable);
}
