/* SPDX-License-Identifier: MIT */
/*
 * Destroying a TCP socket through sock_diag, as `ss -K` does: a
 * SOCK_DESTROY request naming the socket by its 4-tuple, interface and
 * cookie.  The kernel finds it (net/ipv4/inet_diag.c inet_diag_cmd_exact()
 * -> inet_diag_find_one_icsk(), which also checks the cookie, so a socket
 * that took the same addresses since is never hit) and aborts it
 * (net/ipv4/tcp_diag.c tcp_diag_destroy() -> tcp_abort(): a RST to the
 * peer from a synchronized state, ECONNABORTED to the application; a
 * request socket is dropped, a timewait one descheduled).  It needs
 * CAP_NET_ADMIN over the socket's namespace (sock_diag_destroy() in
 * net/core/sock_diag.c, else EPERM) and a kernel built with
 * CONFIG_INET_DIAG_DESTROY (else EOPNOTSUPP).  The request goes to the
 * namespace the calling thread is in.
 */
#ifndef TD_COLLECTORS_SOCKKILL_H
#define TD_COLLECTORS_SOCKKILL_H

struct td_err;
struct td_sock;
struct sockkill;

/* A netlink socket for destroy requests, or NULL with *err set. */
struct sockkill *sockkill_open(struct td_err *err);
/*
 * Destroy the socket sk describes.  Returns 0 when the kernel destroyed
 * it, or -1 with *err set and err->code the kernel's answer: ENOENT (gone
 * already, or the cookie no longer matches), EPERM, EOPNOTSUPP, or the
 * errno of a failed send or receive.
 */
int	sockkill_one(struct sockkill *k, const struct td_sock *sk, struct td_err *err);
void	sockkill_close(struct sockkill *k);

#endif /* TD_COLLECTORS_SOCKKILL_H */
