/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_GEN_WORKER_H
#define HSO_GEN_WORKER_H

/**
 * @file
 * One hso-gen worker (lcore): its queue pair on the port (gen_wire.h),
 * layers 2-3 (net.h, with the --sources range), a TCP table doing active
 * opens (tcp.h), connection slots with one lifecycle state each, the load
 * model's share of this lcore (closed loop, open loop or hold), counters
 * and a latency histogram. gen_worker_poll() is one run-to-completion
 * iteration: receive, advance connections, start new ones, time out late
 * ones, transmit. Nothing here is shared with another lcore; the main lcore
 * only reads counters (plain loads: approximate while running, exact once
 * the worker stopped).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "gen_config.h"
#include "gen_errors.h"
#include "gen_hist.h"
#include "hs_client.h"
#include "net.h"
#include "net6.h"
#include "tcp.h"

/** Groups counted in the "negotiated" breakdown: none (TLS 1.2 RSA kx, psk_ke), then these. */
#define GEN_GROUPS_NUM 4

/** A connection's lifecycle in hso-gen (one state per connection). */
enum gc_state {
	GC_FREE = 0,
	GC_CONNECTING,              /**< SYN sent */
	GC_HANDSHAKE,               /**< TCP up, TLS handshaking */
	GC_REQUEST,                 /**< request sent, reading the response */
	GC_TICKET,                  /**< TLS 1.3: reading until a session ticket comes */
	GC_HOLD,                    /**< --hold: up and idle until the end */
	GC_STATE_NUM,
};

/** "CONNECTING", ... */
const char *gen_conn_state_name(unsigned s);

/** Counters of one worker; all but @c inflight and @c held only grow. */
struct gen_stats {
	uint64_t started;           /**< connections begun (SYN sent) */
	uint64_t connected;         /**< reached ESTABLISHED */
	uint64_t handshakes;        /**< done: TLS established (TCP up for --tls none) */
	uint64_t resumed;           /**< of those, resumed sessions */
	uint64_t resume_offered;    /**< connections that offered a session */
	uint64_t requests;          /**< --request sent */
	uint64_t responses;         /**< ... and the whole response read */
	uint64_t closed;            /**< closed by us once done (--close) */
	uint64_t arrivals;          /**< open loop: intended starts due in the window */
	uint64_t late_starts;       /**< open loop: began > 1 ms after their intended start */
	uint64_t abandoned;         /**< still in progress when the drain ended: reset */
	uint64_t drain_done;        /**< done (closed by us) during the drain, not in the window */
	uint64_t drain_failed;      /**< failed during the drain, the abandoned included */
	uint64_t sessions_stored;   /**< sessions kept for resumption */
	uint64_t tickets_missing;   /**< TLS 1.3: no ticket came in time (not an error) */
	uint64_t http_status[6];    /**< --request: responses by status class 1xx..5xx ([0]: other) */
	uint64_t by_version[2];     /**< handshakes: [0] TLS 1.2, [1] TLS 1.3 */
	uint64_t by_suite[HS_SUITES_NUM];  /**< handshakes by hs_suite_index() */
	uint64_t by_group[GEN_GROUPS_NUM]; /**< none, x25519, secp256r1, secp384r1 */
	uint64_t alerts_sent[256];  /**< tls_error failures by the alert we sent (255: none) */
	uint64_t alerts_rcvd[256];  /**< tls_alert failures by the server's alert */
	uint64_t errors[GEN_ERR_NUM];
	uint64_t timeouts_in[GC_STATE_NUM]; /**< deadline errors by the state they hit */
	uint64_t drain_errors[GEN_ERR_NUM]; /**< drain_failed by kind (abandoned: timeout) */
	uint64_t drain_failed_in[GC_STATE_NUM]; /**< connections failed in the drain, by state */
	/* --syn-flood (spoofed SYNs are not connections: none of the above) */
	uint64_t flood_sent;        /**< spoofed SYNs handed to the port (refusals: tx_dropped) */
	uint64_t flood_no_buf;      /**< ... not sent: no mbuf */
	uint64_t flood_syn_acks;    /**< SYN-ACKs to the spoofed sources (counted, dropped) */
	uint64_t flood_rsts;        /**< RSTs to them */
	uint64_t flood_other;       /**< anything else to them */
	uint64_t hs_before_flood;   /**< handshakes in the window before the flood began */
	uint64_t hs_during_flood;   /**< ... while it ran */
	uint64_t busy_cycles, idle_cycles;
	uint64_t inflight;          /**< now: connections begun and not done */
	uint64_t held;              /**< now: --hold connections up and idle */
};

/** What a worker runs on, given by hso_gen.c. */
struct gen_worker_conf {
	const struct gen_config *cfg;
	const struct hs_client_config *cc;  /**< TLS offer, shared; NULL with --tls none */
	unsigned index;             /**< 0..n_workers-1; 0 also probes the target */
	unsigned n_workers;
	unsigned lcore;
	uint16_t port;
	uint16_t queue;
	struct rte_mempool *mp;
	struct rte_ether_addr mac;
	bool csum_off;              /**< the port sums IPv4 and TCP on TX */
	/*
	 * RSS steering: when set, a 4-tuple is used only if the port's
	 * Toeplitz hash (key, redirection table) sends the server's answers
	 * back to this worker's queue.
	 */
	bool rss;
	uint8_t rss_key[64];
	unsigned rss_key_len;
	uint16_t reta[512];
	unsigned reta_size;
};

struct gen_worker;

/**
 * Create a worker: TCP table (sources, ports, RSS filter), connection
 * slots, counters; nothing is sent yet.
 * @return the worker, or NULL with errno.
 */
struct gen_worker *gen_worker_create(const struct gen_worker_conf *conf);
void gen_worker_free(struct gen_worker *w);

/**
 * Before the load, on an idle worker: learn the next hop's MAC (ARP,
 * asked from every source address so the target learns them too) and,
 * on worker 0, open one connection to the target and reset it.
 * Call repeatedly (it polls the port itself) until it is no longer 0.
 * @return 0 in progress; 1 reachable; -1 with a one-line reason in @p err.
 */
int gen_worker_probe(struct gen_worker *w, uint64_t now_us, char *err, size_t errlen);

/** Begin the load at @p start_us: warm-up, then the measured duration. */
void gen_worker_begin(struct gen_worker *w, uint64_t start_us);

/** Stop starting connections (a signal): end the window, drain. */
void gen_worker_stop(struct gen_worker *w);

/**
 * One iteration of the worker's loop. False when it did nothing and no
 * connection is in progress (--idle-sleep may follow); held ones are not.
 */
bool gen_worker_poll(struct gen_worker *w, uint64_t now_us);

/** Sleep @p us (--idle-sleep after an idle poll), charged as idle time. */
void gen_worker_idle_sleep(struct gen_worker *w, uint32_t us);

/** True once the worker drained and closed everything: it may exit. */
bool gen_worker_done(const struct gen_worker *w);

/** Live counters (cumulative since creation). */
const struct gen_stats *gen_worker_stats(const struct gen_worker *w);
/** Counters when the measured window began (zero until then). */
const struct gen_stats *gen_worker_base(const struct gen_worker *w);
/** Latencies of connections done in the measured window, nanoseconds. */
const struct gen_hist *gen_worker_hist(const struct gen_worker *w);
/** The measured window: [start, end) µs; end 0 while it runs. */
void gen_worker_window(const struct gen_worker *w, uint64_t *start_us, uint64_t *end_us);
/** The TCP table's counters, and their values when the window began. */
const struct tcp_stats *gen_worker_tcp_stats(const struct gen_worker *w);
const struct tcp_stats *gen_worker_tcp_base(const struct gen_worker *w);
/** Layers 2-3 counters. */
const struct hsod_net_stats *gen_worker_net_stats(const struct gen_worker *w);
/** Packets in and out in the measured window (all so far before it). */
void gen_worker_packets(const struct gen_worker *w, uint64_t *rx, uint64_t *tx,
			uint64_t *tx_dropped);
unsigned gen_worker_lcore(const struct gen_worker *w);
/** --impair's counters of the receive (@p rx) or transmit path; NULL without it. */
const struct gen_impair_stats *gen_worker_impair_stats(const struct gen_worker *w, bool rx);

#endif
