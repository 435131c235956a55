/* SPDX-License-Identifier: MIT */
/* Fuzz target: /etc/tcpdoctor.conf and sysctl.conf files (tune --audit). */
#include "tests/fuzz/fuzz.h"

#include <unistd.h>

#include "analyzers/audit.h"
#include "analyzers/config.h"
#include "collectors/snapshot.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct td_config cfg;
	struct td_audit a = { 0 };
	struct td_err err = { 0 }, err2 = { 0 };
	char path[64];
	int fd = fuzz_file(data, size, path);

	if (fd < 0)
		return 0;
	config_defaults(&cfg);
	config_load(&cfg, path, true, &err);
	audit_file(&a, path, NULL, &err2);
	audit_free(&a);
	close(fd);
	return 0;
}
