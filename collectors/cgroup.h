/* SPDX-License-Identifier: MIT */
/*
 * Who a socket belongs to, by its cgroup: sock_diag reports the cgroup v2
 * id of a full socket (INET_DIAG_CGROUP_ID, what `ss --cgroup` shows), the
 * id is the inode number of the cgroup's directory in the cgroup2 mount
 * (kernfs_ino() in include/linux/kernfs.h: the node id on 64-bit), and the
 * path there says what a person calls the owner: a systemd unit, a
 * Docker, containerd, CRI-O or Podman container, a Kubernetes pod.
 *
 * cgroup_name_parse() is pure (unit-tested); the map walks the cgroup2
 * mount (unified at /sys/fs/cgroup, or hybrid at /sys/fs/cgroup/unified)
 * once and again at most once more per run when an id is not found, and
 * reads the kubelet's pod log directories (/var/log/pods/NS_NAME_UID) for
 * pod names.  It needs no process to be readable: it attributes sockets of
 * processes that exited or that an unprivileged run cannot read.
 */
#ifndef TD_COLLECTORS_CGROUP_H
#define TD_COLLECTORS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct td_err;

enum cg_kind {
	CG_NONE = 0,		/* no container: maybe a unit */
	CG_DOCKER,		/* docker-<id>.scope, /docker/<id> */
	CG_CONTAINERD,		/* cri-containerd-<id>.scope */
	CG_CRIO,		/* crio-<id>.scope */
	CG_PODMAN,		/* libpod-<id>.scope */
	CG_KUBE,		/* a 64-hex directory under a pod (cgroupfs driver) */
};

/* What a cgroup path says. */
struct cg_name {
	uint8_t	kind;		/* enum cg_kind of the innermost container */
	char	id[65];		/* its id, 64 hex digits, "" if none */
	char	unit[256];	/* the innermost systemd unit (.service, .scope, ...), "" if none */
	char	pod_uid[37];	/* Kubernetes pod uid (dashes), "" if none */
};

/* The runtime's name for a kind: "docker", "containerd", ...; "" for CG_NONE. */
const char	*cgroup_kind_name(unsigned int kind);

/*
 * Read path (relative to the cgroup2 root, "/system.slice/nginx.service")
 * into *out.  Never fails: what is not recognised stays empty.
 */
void	cgroup_name_parse(const char *path, struct cg_name *out);

/*
 * What a person calls the owner, into buf: "pod NS/NAME" (pod_name from
 * the kubelet, or NULL: "pod UID"), "docker:ID12" (the first 12 digits, as
 * `docker ps`), or the unit ("nginx.service"); "" when the path names
 * nothing.  Returns buf.
 */
char	*cgroup_label(const struct cg_name *n, const char *pod_name, char *buf, size_t len);

/* ---- id -> path ---- */

struct cgroup_map;

/*
 * A map over the cgroup2 mount found in proc_root/self/mountinfo, and pod
 * names under pods_dir (NULL: /var/log/pods).  NULL only when memory runs
 * out; a host without cgroup2 gives a map that finds nothing.
 */
struct cgroup_map *cgroup_map_new(const char *proc_root, const char *pods_dir);
void	cgroup_map_free(struct cgroup_map *m);
/*
 * The path of cgroup id into path (len bytes) and the owner's label into
 * label: 1 when found, 0 when not (no cgroup2, a cgroup removed, or a path
 * longer than len: never cut).
 */
int	cgroup_map_lookup(struct cgroup_map *m, uint64_t id, char *path, size_t len,
	    char *label, size_t llen);
/* The cgroup2 mount point in use, "" if none. */
const char *cgroup_map_root(const struct cgroup_map *m);

#endif /* TD_COLLECTORS_CGROUP_H */
