/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/cgroup.c: cgroup paths as systemd, Docker,
 * containerd, CRI-O, Podman and the kubelet (systemd and cgroupfs drivers)
 * make them, and what tcpdoctor calls their owners.
 */
#include "tests/unit/check_main.h"

#include <stdio.h>
#include <string.h>

#include "collectors/cgroup.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "9f3c2a1e-7b4d-4e8f-a1b2-c3d4e5f60718"
#define UIDU "9f3c2a1e_7b4d_4e8f_a1b2_c3d4e5f60718"

static const struct {
	const char	*path;
	unsigned int	 kind;
	const char	*id, *unit, *pod, *label;
} cases[] = {
	{ "/system.slice/nginx.service", CG_NONE, "", "nginx.service", "", "nginx.service" },
	{ "/system.slice/nginx.service/worker", CG_NONE, "", "nginx.service", "", "nginx.service" },
	{ "/user.slice/user-1000.slice/session-3.scope", CG_NONE, "", "session-3.scope", "",
	  "session-3.scope" },
	{ "/system.slice/docker-" ID64 ".scope", CG_DOCKER, ID64, "docker-" ID64 ".scope", "",
	  "docker:0123456789ab" },
	{ "/docker/" ID64, CG_DOCKER, ID64, "", "", "docker:0123456789ab" },
	{ "/machine.slice/libpod-" ID64 ".scope", CG_PODMAN, ID64, "libpod-" ID64 ".scope", "",
	  "podman:0123456789ab" },
	{ "/machine.slice/libpod-conmon-" ID64 ".scope", CG_NONE, "",
	  "libpod-conmon-" ID64 ".scope", "", "libpod-conmon-" ID64 ".scope" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU ".slice/"
	  "cri-containerd-" ID64 ".scope", CG_CONTAINERD, ID64, "cri-containerd-" ID64 ".scope",
	  UID, "pod " UID },
	{ "/kubepods.slice/kubepods-pod" UIDU ".slice/crio-" ID64 ".scope", CG_CRIO, ID64,
	  "crio-" ID64 ".scope", UID, "pod " UID },
	{ "/kubepods/besteffort/pod" UID "/" ID64, CG_KUBE, ID64, "", UID, "pod " UID },
	{ "/kubepods.slice/kubepods-besteffort.slice", CG_NONE, "", "", "", "" },
	{ "/", CG_NONE, "", "", "", "" },
	{ "", CG_NONE, "", "", "", "" },
	/* Not quite: 63 digits, upper case, a uid one digit short. */
	{ "/system.slice/docker-" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"
	  ".scope", CG_NONE, "", "docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde.scope",
	  "", "docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde.scope" },
	{ "/docker/0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", CG_NONE, "", "",
	  "", "" },
	{ "/kubepods/pod9f3c2a1e-7b4d-4e8f-a1b2-c3d4e5f6071", CG_NONE, "", "", "", "" },
	{ "//system.slice//a.service//", CG_NONE, "", "a.service", "", "a.service" },
};

START_TEST(test_cgroup_name_parse_table)
{
	struct cg_name n;
	char label[128];

	cgroup_name_parse(cases[_i].path, &n);
	ck_assert_msg(n.kind == cases[_i].kind, "%s: kind %u", cases[_i].path, n.kind);
	ck_assert_str_eq(n.id, cases[_i].id);
	ck_assert_str_eq(n.unit, cases[_i].unit);
	ck_assert_str_eq(n.pod_uid, cases[_i].pod);
	ck_assert_str_eq(cgroup_label(&n, NULL, label, sizeof(label)), cases[_i].label);
}
END_TEST

START_TEST(test_cgroup_label_pod_name)
{
	struct cg_name n;
	char label[64];

	cgroup_name_parse("/kubepods/pod" UID "/" ID64, &n);
	ck_assert_str_eq(cgroup_label(&n, "shop/cart-7f9c", label, sizeof(label)), "pod shop/cart-7f9c");
	/* A name that does not fit: the uid, never a cut name. */
	ck_assert_str_eq(cgroup_label(&n, "a-very-long-namespace-name/a-very-long-pod-name-0123456789-abcdef",
	    label, sizeof(label)), "pod " UID);
	ck_assert_str_eq(cgroup_kind_name(CG_CRIO), "crio");
	ck_assert_str_eq(cgroup_kind_name(99), "");
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/cgroup");
	TCase *tc;

	tc = tcase_create("cgroup_name_parse");
	tcase_add_loop_test(tc, test_cgroup_name_parse_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_cgroup_label_pod_name);
	suite_add_tcase(s, tc);
	return s;
}
