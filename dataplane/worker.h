/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_WORKER_H
#define HSO_DATAPLANE_WORKER_H

/**
 * @file
 * One poll-mode worker: per port, its RX/TX queue pair (queue index = the
 * worker's index on every port), layers 2-3 (net.h: address, MAC, gateway,
 * neighbour table) and TX buffer; one TCP table (tcp.h) for all ports (a
 * connection's tuple carries the local address), its TLS engine worker
 * (handshake.h), its connections and its application rings (app.h).
 * hsod_worker_poll() is one run-to-completion iteration: receive a burst
 * from every port into TCP (which keeps the payload in the frames' mbufs),
 * handle TCP's events and the applications' commands once, run every
 * touched session (session.h: TLS records opened from TCP's mbufs into the
 * application's, its sends sealed in place), run the crypto batch once,
 * run them again, service the timers, transmit (payload by reference where
 * the port takes mbuf chains), each segment by the port its local address
 * belongs to. Everything here belongs to one lcore: no locks, no
 * allocation after hsod_worker_create(), and memory for connections is
 * touched as they come (start-up and resident memory do not grow with
 * max_conns).
 */

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "app_shm.h"
#include "config.h"
#include "handshake.h"
#include "net.h"
#include "session.h"
#include "tcp.h"

/** One port as a worker sees it; its address is cfg->ports[] at the same index. */
struct hsod_worker_port {
	uint16_t id;                    /**< DPDK port id */
	struct rte_ether_addr mac;
	/**
	 * TX offloads the port was configured with (RTE_ETH_TX_OFFLOAD_*): with
	 * IPV4_CKSUM and TCP_CKSUM both set the port computes the checksums of
	 * the segments sent, else they are computed in software.
	 */
	uint64_t tx_offloads;
	/**
	 * The port's TX checksum offload is wrong for mbuf chains (net_tap in
	 * DPDK 22.11): frames of several segments get their checksums in
	 * software, single-segment ones still from the port.
	 */
	bool chain_csum_sw;
};

struct hsod_worker_conf {
	uint16_t queue;                 /**< the worker's queue pair on every port */
	unsigned lcore;
	unsigned index;                 /**< worker number, names its rings */
	struct rte_mempool *mp;
	const struct hs_config *hs;     /**< TLS policy, shared read-only */
	const struct hsod_config *cfg;  /**< port i's address: cfg->ports[i] */
	struct hso_shm *shm;            /**< application slots and rings (apps.h) */
	struct hso_shm_conn *fc;        /**< flow-control words, mapped (hsod_apps_fc()) */
	unsigned n_ports;               /**< 1..cfg->n_ports */
	struct hsod_worker_port ports[HSOD_MAX_PORTS];
};

/** Counters, read by telemetry from another lcore (plain loads: approximate). */
struct hsod_worker_stats {
	uint64_t rx_packets, tx_packets, tx_dropped;
	/** The same per port (index as in hsod_worker_conf.ports). */
	uint64_t port_rx_packets[HSOD_MAX_PORTS], port_tx_packets[HSOD_MAX_PORTS];
	uint64_t busy_cycles, idle_cycles;
	uint64_t tcp_csum_bad;
	uint64_t conns_refused;         /**< reset: no session slot, or no handshake context */
	uint64_t conns_no_app;          /**< refused or closed: no application attached */
	uint64_t app_backlog_aborts;    /**< application sent more than we hold */
	uint64_t app_events, app_commands;
	uint64_t app_event_bursts;      /**< ring enqueues (events / bursts: the batch) */
	uint64_t app_commands_stale;    /**< for a connection gone or not the app's */
	uint64_t app_budget_stalls;     /**< delivery paused: connection budget spent */
	uint64_t app_ring_stalls;       /**< delivery paused: event ring or pool full */
	uint64_t app_bytes_dropped;     /**< plaintext nobody takes (app gone, closing) */
	uint64_t rx_bytes_ignored;      /**< received after a fatal alert or close_notify, unread */
	uint64_t app_sends_dropped;     /**< SEND mbufs dropped: after close, or the session ended */
	uint64_t app_records;           /**< records sealed from application sends, in place */
	uint64_t app_records_coalesced; /**< ... of several sends (HSO_SEND_MORE) */
	uint64_t rx_copied;             /**< received segments TCP had to copy (no headroom) */
	uint64_t tx_copied;             /**< segments copied into one mbuf (port without chains) */
	uint64_t records_refused;       /**< records the engine refused as given (a bug) */
};

struct hsod_worker;

/**
 * Create a worker: TCP table, TLS worker, connection slots and buffers;
 * it finds its application rings (app_shm.h) by conf->index.
 * @return the worker, or NULL with errno.
 */
struct hsod_worker *hsod_worker_create(const struct hsod_worker_conf *conf);

void hsod_worker_free(struct hsod_worker *w);

/** One iteration of the worker's loop at time @p now_us (monotonic). */
void hsod_worker_poll(struct hsod_worker *w, uint64_t now_us);

/**
 * Start draining: stop accepting (every listening port is closed, so new
 * SYNs get a RST); handshakes in progress go on for up to @p grace_us.
 */
void hsod_worker_drain(struct hsod_worker *w, uint64_t now_us, uint64_t grace_us);

/**
 * For a draining worker: once no handshake is in progress (or the grace
 * ran out), every connection is closed (close_notify, then FIN) and given
 * HSOD_DRAIN_FLUSH_US to go out. @return true when the worker may stop.
 */
bool hsod_worker_drained(struct hsod_worker *w, uint64_t now_us);

#define HSOD_DRAIN_FLUSH_US 300000u

/**
 * Serve new connections with TLS config @p hs (a reload); the previous
 * config is retired: connections that began with it keep it.
 * @return 0; -ENOSPC when too many configs are still retired (the reload
 *         waits: call again later).
 */
int hsod_worker_use_tls(struct hsod_worker *w, const struct hs_config *hs);

/**
 * A retired config that no connection of this worker uses any more (taken
 * off the worker's list), or NULL.
 */
const struct hs_config *hsod_worker_released(struct hsod_worker *w);

/** Send a gratuitous ARP on every port (at start). */
void hsod_worker_announce(struct hsod_worker *w);

unsigned hsod_worker_conn_slots(const struct hsod_worker *w);
/** Sessions this worker handed to application slot @p app so far. */
uint64_t hsod_worker_app_sessions(const struct hsod_worker *w, unsigned app);
/** Of those, connections open now. */
unsigned hsod_worker_app_open(const struct hsod_worker *w, unsigned app);
unsigned hsod_worker_lcore(const struct hsod_worker *w);

const struct hsod_worker_stats *hsod_worker_stats(const struct hsod_worker *w);
unsigned hsod_worker_ports(const struct hsod_worker *w);
/** Layers 2-3 counters of port @p port (< hsod_worker_ports()). */
const struct hsod_net_stats *hsod_worker_net_stats(const struct hsod_worker *w,
						   unsigned port);
/** Neighbour (ARP) counters of port @p port (< hsod_worker_ports()). */
const struct hsod_neigh_stats *hsod_worker_neigh_stats(const struct hsod_worker *w,
						       unsigned port);
const struct tcp_stats *hsod_worker_tcp_stats(const struct hsod_worker *w);
const struct hs_worker_stats *hsod_worker_tls_stats(const struct hsod_worker *w);
/** The session layer's counters (lifecycle, handshake deadlines, app gone ...). */
const struct sess_stats *hsod_worker_sess_stats(const struct hsod_worker *w);
/**
 * Bytes an established idle connection keeps resident in the worker: its
 * session slot (with the engine's state), its TCP slot and hash buckets,
 * its flow-control words. Nothing else is held per idle connection (no
 * handshake context, no buffer); what the application keeps is its own.
 */
size_t hsod_worker_conn_bytes(const struct hsod_worker *w);
/** Session slots touched so far (resident; the rest of max_conns is not). */
uint32_t hsod_worker_sessions_touched(const struct hsod_worker *w);

#endif
