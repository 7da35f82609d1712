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

#include <stdatomic.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "app_shm.h"
#include "config.h"
#include "handshake.h"
#include "lcore_stats.h"
#include "limit.h"
#include "net.h"
#include "net6.h"
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

/**
 * A port's gate between the control path and the workers, lock-free, so
 * that the port can be stopped and started (rte_eth_dev_stop/start, which
 * DPDK 22.11 does not allow while another lcore is in rx/tx burst on it)
 * while hsod runs. The control path makes @c want odd to take the port
 * from the workers: each reads it once per poll (acquire), keeps off the
 * port for that poll if odd (frames it would send are dropped, counted
 * tx_dropped), and stores what it read in its @c seen (release).
 * Once every worker's seen equals an odd want, none is in the port's
 * burst functions nor will be: the control path may stop it. Even gives
 * it back (after rte_eth_dev_start()).
 */
struct hsod_port_gate {
	_Atomic uint32_t want;
	_Atomic uint32_t seen[HSOD_MAX_WORKERS];
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
	/** Workers: they share the pool (cfg->tcp_bufs is split) and the neighbours. */
	unsigned n_workers;
	/** Port i's gate at gates[i] (n_ports of them), or NULL: never stopped. */
	struct hsod_port_gate *gates;
	struct hsod_worker_port ports[HSOD_MAX_PORTS];
	/**
	 * Neighbour sharing: worker i's inbox is neigh_rings[i] (i <
	 * n_workers, made by hsod_worker_neigh_ring_create()). What ARP and
	 * Neighbor Discovery teach one worker's tables, every other worker's
	 * tables learn too, whichever queue the port gave the message (ARP and
	 * ICMPv6 are not spread by RSS like the connections). NULL or one
	 * worker: nothing shared.
	 */
	struct rte_ring *const *neigh_rings;
};

/**
 * Worker @p index's neighbour inbox (lookup name hsod_nb_<index>): a
 * multi-producer, single-consumer ring of HSOD_NEIGH_SHARE_RING updates.
 * @return the ring, or NULL (rte_errno).
 */
struct rte_ring *hsod_worker_neigh_ring_create(unsigned index, int socket_id);

/** Updates one worker's inbox holds; one more is dropped (counted) and asked again. */
#define HSOD_NEIGH_SHARE_RING 1024u

/*
 * A worker's counters, declared once: these lists expand into struct
 * hsod_worker_stats and, in counters.c, into /hso/stats, /hso/worker,N, the
 * Prometheus metrics and the table hsod --counters prints (README). Every
 * counter table of hsod has this shape (net.h, tcp.h, lcore_stats.h,
 * apps.h, app.h, handshake/hs_stats.h):
 *
 *   X(field, name, kind, flags, help)
 *   A(field, type, n, name, metric, label, elem, kind, flags, help)
 *
 * field   the struct member
 * name    its telemetry key; metrics call it hso_<name>, plus _total for a
 *         counter (unless the name ends in _total). Arrays: the prefix of
 *         each element's key (ports arrays: the key of the array)
 * kind    counter (only goes up) or gauge
 * flags   scalars: none, or workers (/hso/stats also lists it per worker,
 *         as the array workers_<name>); arrays: dense, sparse (only the
 *         non-zero elements), or ports (indexed by port: a telemetry array,
 *         the metric's label port="N")
 * metric  arrays: the metric's name (hso_<metric>[_total]); its elements
 *         are told apart by the label @c label, named by elem(i) (const
 *         char *(unsigned), NULL: index not exported; for ports arrays the
 *         port number)
 *
 * To add a counter: one line in the list of the struct it belongs to, then
 * count it where it happens. Telemetry, metrics and the documentation
 * follow; tests/counters_doc.py fails until README's table is regenerated
 * (hsod --counters).
 */
#define HSOD_WORKER_COUNTERS(X)                                                \
	X(rx_packets, "rx_packets", counter, workers,                          \
	  "packets received, every port")                                      \
	X(tx_packets, "tx_packets", counter, workers,                          \
	  "packets sent, every port")                                          \
	X(tx_dropped, "tx_dropped", counter, none,                             \
	  "packets not sent: TX queue full, no mbuf, no port owns the source " \
	  "address, or the port is stopped (/hso/port/stop)")                                                    \
	X(tcp_csum_bad, "tcp_csum_bad", counter, none,                         \
	  "TCP segments dropped for a bad checksum")                           \
	X(conns_refused, "conns_refused", counter, none,                       \
	  "connections reset: accepted by TCP with no session slot or no "     \
	  "handshake context free")                                            \
	X(conns_no_app, "conns_no_app", counter, none,                         \
	  "connections refused or closed: no application attached")            \
	X(conns_rate_limited, "conns_rate_limited", counter, none,             \
	  "connections reset: the source is over [limits] source_rate")        \
	X(app_events, "app_events", counter, none,                             \
	  "events posted to applications")                                     \
	X(app_event_bursts, "app_event_bursts", counter, none,                 \
	  "event ring enqueues (app_events / app_event_bursts: the batch)")    \
	X(app_commands, "app_commands", counter, none,                         \
	  "commands received from applications")                               \
	X(app_commands_stale, "app_commands_stale", counter, none,             \
	  "commands dropped: for a connection gone or not the sender's, or "   \
	  "malformed")                                                         \
	X(app_backlog_aborts, "app_backlog_aborts", counter, none,             \
	  "connections reset: the application sent past its send window")      \
	X(app_budget_stalls, "app_budget_stalls", counter, none,               \
	  "deliveries paused: the connection's budget is spent")               \
	X(app_ring_stalls, "app_ring_stalls", counter, none,                   \
	  "deliveries paused: event ring or mbuf pool full")                   \
	X(app_pool_stalls, "app_pool_stalls", counter, none,                   \
	  "deliveries paused: the mbuf pool is at its reserve ([app] "         \
	  "pool_reserve)")                                                     \
	X(app_bytes_dropped, "app_bytes_dropped", counter, none,               \
	  "plaintext bytes nobody takes (application gone, closing), "         \
	  "discarded")                                                         \
	X(rx_bytes_ignored, "rx_bytes_ignored", counter, none,                 \
	  "bytes received after a fatal alert or close_notify, released "      \
	  "unread (RFC 8446 6.1)")                                             \
	X(app_msgs_discarded, "app_msgs_discarded", counter, none,             \
	  "events and commands in the rings of an application that left, "     \
	  "discarded")                                                         \
	X(app_sends_dropped, "app_sends_dropped", counter, none,               \
	  "SEND mbufs dropped: after close or shutdown, or the session ended") \
	X(app_records, "app_records", counter, none,                           \
	  "TLS records sealed in place from application sends")                \
	X(app_records_coalesced, "app_records_coalesced", counter, none,       \
	  "of those, records of several sends (HSO_SEND_MORE)")                \
	X(rx_copied, "rx_segments_copied", counter, none,                      \
	  "received segments TCP had to copy (no headroom for its node)")      \
	X(tx_copied, "tx_segments_copied", counter, none,                      \
	  "segments copied into one mbuf (a port without mbuf chains)")        \
	X(records_refused, "records_refused", counter, none,                   \
	  "records the engine refused as given (a bug: should stay 0)")        \
	X(neigh_shared, "neigh_shared", counter, none,                         \
	  "neighbour updates (ARP, IPv6 NS and NA) this worker received and "  \
	  "passed to each other worker (counted once per worker told)")        \
	X(neigh_share_applied, "neigh_share_applied", counter, workers,        \
	  "neighbour updates another worker received, applied to this "        \
	  "worker's tables")                                                   \
	X(neigh_share_drops, "neigh_share_drops", counter, none,               \
	  "neighbour updates not passed on: the other worker's inbox was full "\
	  "(it solicits again itself)") \
	X(send_buffer_waits, "send_buffer_waits", counter, none,               \
	  "sealed sends that waited: the connection's send buffer ([limits] "  \
	  "send_buffer) was full")                                             \
	X(tcp_budget_waits, "tcp_budget_waits", counter, none,                 \
	  "sends that waited: TCP's mbuf budget ([limits] tcp_bufs) was spent " \
	  "and the connection held its share")

#define HSOD_WORKER_COUNTER_ARRAYS(A)                                          \
	A(port_rx_packets, uint64_t, HSOD_MAX_PORTS, "ports_rx_packets",       \
	  "port_rx_packets", "port", NULL, counter, ports,                     \
	  "packets received per port")                                         \
	A(port_tx_packets, uint64_t, HSOD_MAX_PORTS, "ports_tx_packets",       \
	  "port_tx_packets", "port", NULL, counter, ports,                     \
	  "packets sent per port")

/** Counters, read by telemetry from another lcore (plain loads: approximate). */
struct hsod_worker_stats {
#define HSOD_WORKER_FIELD(field, ...) uint64_t field;
	HSOD_WORKER_COUNTERS(HSOD_WORKER_FIELD)
#undef HSOD_WORKER_FIELD
#define HSOD_WORKER_ARRAY(field, type, n, ...) type field[n];
	HSOD_WORKER_COUNTER_ARRAYS(HSOD_WORKER_ARRAY)
#undef HSOD_WORKER_ARRAY
};

/*
 * Server-side handshake latency, from the first byte of the ClientHello to
 * the client's Finished (the handshake complete): per worker, log2
 * buckets. bucket[i] counts durations of at most 2^(i + HSOD_LAT_SHIFT) µs
 * (32 µs, 64 µs, ... 33.5 s); bucket[HSOD_LAT_BUCKETS] the longer ones.
 */
#define HSOD_LAT_SHIFT 5
#define HSOD_LAT_BUCKETS 21
struct hsod_latency {
	uint64_t bucket[HSOD_LAT_BUCKETS + 1];     /**< not cumulative */
	uint64_t sum_us;
	uint64_t count;
};

/** Upper bound of latency bucket @p i in µs (i < HSOD_LAT_BUCKETS). */
static inline uint64_t
hsod_latency_bound_us(unsigned i)
{
	return 1ull << (i + HSOD_LAT_SHIFT);
}

/** Count one handshake of @p us microseconds. */
static inline void
hsod_latency_add(struct hsod_latency *l, uint64_t us)
{
	/* ceil(log2(us)): the first bucket whose bound is >= us. */
	unsigned b = us <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(us - 1);
	unsigned i = b <= HSOD_LAT_SHIFT ? 0 : b - HSOD_LAT_SHIFT;

	l->bucket[i < HSOD_LAT_BUCKETS ? i : HSOD_LAT_BUCKETS]++;
	l->sum_us += us;
	l->count++;
}

struct hsod_worker;

/**
 * Create a worker: TCP table, TLS worker, connection slots and buffers;
 * it finds its application rings (app_shm.h) by conf->index.
 * @return the worker, or NULL with errno.
 */
struct hsod_worker *hsod_worker_create(const struct hsod_worker_conf *conf);

void hsod_worker_free(struct hsod_worker *w);

/**
 * One iteration of the worker's loop at time @p now_us (monotonic). Its
 * cycles are charged to the worker's clock: busy when it did any work
 * (a packet, a connection to advance, a command, an ECDHE key generated
 * ahead of demand), idle otherwise.
 */
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

/** Send a gratuitous ARP (and, with IPv6, an unsolicited NA) on every port (at start). */
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
/** IPv6 counters of port @p port; NULL when the port has no IPv6 address. */
const struct hsod_net6_stats *hsod_worker_net6_stats(const struct hsod_worker *w,
						     unsigned port);
/** Its Neighbor Discovery cache's counters; NULL likewise. */
const struct hsod_neigh_stats *hsod_worker_neigh6_stats(const struct hsod_worker *w,
							unsigned port);
const struct tcp_stats *hsod_worker_tcp_stats(const struct hsod_worker *w);
const struct hs_worker_stats *hsod_worker_tls_stats(const struct hsod_worker *w);
const struct hsod_latency *hsod_worker_latency(const struct hsod_worker *w);
/**
 * The worker's cycle accounting (lcore_stats.h). hsod_worker_poll() charges
 * its own stretches; the loop around it (hsod.c) charges what it runs on
 * the same lcore (the built-in application, control) to the same clock.
 */
struct hsod_lcore_clock *hsod_worker_clock(struct hsod_worker *w);
/** Per-source admission (limit.h): sources remembered, evictions. */
const struct hsod_limit_stats *hsod_worker_limit_stats(const struct hsod_worker *w);
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
