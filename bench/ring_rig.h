/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A whole hsod worker on a DPDK net_ring port, in the benchmark's own
 * process, with the built-in echo application attached as hsod attaches
 * it, and client connections on the other side of the ring driven by hso's
 * TCP core in active-open mode. Everything runs on one lcore, so the
 * caller can charge cycles exactly: rte_rdtsc() around hsod_worker_poll().
 * Used by hso-bench-echo (bytes echoed) and hso-bench-idle (handshakes
 * with idle connections open).
 *
 *   rig_eal_init(&r, argc, argv, dash, "hsoecho", "1024");
 *   rig_server(&r, extra_args, n_extra);    certificate, config, port, worker
 *   rig_clients(&r, &tcp_config, sources, n_sources);
 *   loop: tcp_tbl_tick(r.ctcp, now); ...clients...; rig_to_server(&r);
 *         hsod_worker_poll(r.worker, now); hso_echo_poll(r.echo);
 *         hsod_apps_control(r.apps); rig_from_server(&r, now);
 *   rig_cleanup(&r);                        EAL's runtime directory too
 */
#ifndef HSO_BENCH_RING_RIG_H
#define HSO_BENCH_RING_RIG_H

#include <stdbool.h>
#include <stdint.h>

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
	bool offload;                   /* frames marked checksum-good, sums by the "port" */
	char prefix[64];                /* EAL --file-prefix */
	char dir[64];                   /* the certificate and key */
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
 * 198.18.0.2/24 --listen 443 --cert --key --mbufs --app echo" and
 * @p extra (for example "--max-conns", "1024"), the port, the worker and the
 * echo application. Exits on any failure.
 */
void rig_server(struct rig *r, const char *const *extra, unsigned n_extra);

/** The clients' TCP table from @p tc and their source addresses (ports 1024-65535). */
void rig_clients(struct rig *r, struct tcp_config *tc, const uint32_t *srcs, unsigned n_srcs);

/** Segments the clients' TCP queued, as frames into hsod's receive ring. */
void rig_to_server(struct rig *r);

/** Frames hsod sent: ARP requests answered, TCP segments into the clients' table. */
void rig_from_server(struct rig *r, uint64_t now_us);

/** rte_eal_cleanup() and EAL's runtime directory (DPDK 22.11 leaves it behind). */
void rig_cleanup(struct rig *r);

/** Monotonic µs from the TSC. */
uint64_t rig_clock_us(void);

#endif
