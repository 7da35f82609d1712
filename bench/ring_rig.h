/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A whole hsod worker on a DPDK net_ring port, in the program's own
 * process, with an application attached in process (the built-in echo
 * application, or the caller's), and client connections on the other side
 * of the ring driven by hso's TCP core in active-open mode. Everything runs
 * on one lcore, so the caller can charge cycles exactly: rte_rdtsc()
 * around hsod_worker_poll(). Used by hso-bench-echo (bytes echoed),
 * hso-bench-idle (handshakes with idle connections open) and test_worker
 * (a fresh worker per case, the test's own application).
 *
 *   rig_eal_init(&r, argc, argv, dash, "hsoecho", "1024");
 *   rig_server(&r, extra_args, n_extra);    certificate, config, port, worker + echo
 *     (or rig_setup(), then rig_worker_up() / rig_worker_down() per case)
 *   rig_clients(&r, &tcp_config, sources, n_sources, port_lo, port_hi);
 *   loop: tcp_tbl_tick(r.ctcp, now); ...clients...; rig_to_server(&r);
 *         hsod_worker_poll(r.worker, now); hso_echo_poll(r.echo);
 *         hsod_apps_control(r.apps); rig_from_server(&r, now);
 *   rig_cleanup(&r);                        EAL's runtime directory too
 */
#ifndef HSO_BENCH_RING_RIG_H
#define HSO_BENCH_RING_RIG_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <rte_ether.h>

#include "config.h"
#include "handshake.h"
#include "tcp.h"
#include "tcp_pkt.h"

#define RIG_SERVER_ADDR 0xc6120002u      /* 198.18.0.2 */
#define RIG_CLIENT_ADDR 0xc612000au      /* 198.18.0.10: the first client address */
#define RIG_POOL_MBUFS 32767u
#define RIG_RING_SIZE 4096u

struct rig {
	/* Set before rig_setup() (0 or NULL: the default). */
	bool offload;                   /* frames marked checksum-good, sums by the "port" */
	unsigned pool_mbufs;            /* RIG_POOL_MBUFS; also hsod's --mbufs */
	unsigned pool_cache;            /* per-lcore mempool cache (0: none) */
	unsigned ring_size;             /* RIG_RING_SIZE */
	const char *cn;                 /* the certificate's name: "bench.test" */

	char prefix[64];                /* EAL --file-prefix */
	char dir[64];                   /* the certificate and key, removed once loaded */
	struct rte_mempool *pool;
	struct rte_ring *rx_ring, *tx_ring;
	uint16_t port_id;
	struct rte_ether_addr port_mac;

	struct hsod_config cfg;
	struct hs_config tls;
	struct hso_cert *cert;
	struct hso_stek_set *stek;
	struct hsod_apps *apps;
	struct hsod_worker *worker;
	struct hso_app *app;
	struct hso_echo *echo;

	struct tcp_tbl *ctcp;           /* the clients' TCP */
	struct tcp_pkt_pool cpool;

	uint64_t bad_frames;            /* from hsod, not parsed (a checksum, a header) */
	uint64_t ring_full;             /* frames to hsod dropped: its receive ring was full */
};

/**
 * EAL on one lcore, no hugepages, -m @p mem_mb, file prefix @p name<pid>;
 * argv[dash + 1 ...] are further EAL options.
 * @return 0, or -1 (printed) when EAL cannot start.
 */
int rig_eal_init(struct rig *r, int argc, char **argv, int dash, const char *name,
		 const char *mem_mb);

/**
 * An ECDSA P-256 certificate, hsod's configuration from "--addr
 * 198.18.0.2/24 --listen 443 --cert --key --mbufs" and @p extra (for
 * example "--max-conns", "1024", "--app", "external"), the mbuf pool and
 * the port. Exits on any failure.
 */
void rig_setup(struct rig *r, const char *const *extra, unsigned n_extra);

/**
 * A worker on the port and an application attached in process as
 * @p app_name; with @p echo, hso's echo application runs it (r->echo).
 */
void rig_worker_up(struct rig *r, const char *app_name, bool echo);

/** Stop the applications, detach, free the worker (the port and pool stay). */
void rig_worker_down(struct rig *r);

/** rig_setup() with @p extra and "--app echo", then rig_worker_up(r, "echo", true). */
void rig_server(struct rig *r, const char *const *extra, unsigned n_extra);

/** The clients' TCP table from @p tc and their source addresses and ports. */
void rig_clients(struct rig *r, struct tcp_config *tc, const uint32_t *srcs, unsigned n_srcs,
		 uint16_t port_lo, uint16_t port_hi);

/**
 * The clients' TCP events: @p fn for each one whose connection has a user
 * pointer (tcp_conn_set_user(), tcp_tbl_connect()), until none is left.
 */
void rig_client_events(struct rig *r, void (*fn)(const struct tcp_event *ev));

/**
 * A client SSL of @p ctx on two memory BIOs: *rbio takes what TCP received,
 * *wbio holds what to send (both freed with the SSL). Exits on failure.
 */
SSL *rig_ssl_client(SSL_CTX *ctx, BIO **rbio, BIO **wbio);

/** Segments the clients' TCP queued, as frames into hsod's receive ring. */
void rig_to_server(struct rig *r);

/** Frames hsod sent: ARP requests answered, TCP segments into the clients' table. */
void rig_from_server(struct rig *r, uint64_t now_us);

/** rte_eal_cleanup() and EAL's runtime directory (DPDK 22.11 leaves it behind). */
void rig_cleanup(struct rig *r);

/** Monotonic µs from the TSC. */
uint64_t rig_clock_us(void);

#endif
