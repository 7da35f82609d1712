/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_HS_STATS_H
#define HSO_HANDSHAKE_HS_STATS_H

/**
 * @file
 * The engine's counters, declared once: the lists below expand into
 * struct hs_worker_stats (handshake.h) and, in hsod (dataplane/counters.c),
 * into its telemetry, its Prometheus metrics and the counter table of the
 * documentation (hsod --counters). No DPDK here.
 *
 *   X(field, name, kind, flags, help)
 *   A(field, type, n, name, metric, label, elem, kind, flags, help)
 *
 * field   member of struct hs_worker_stats
 * name    hsod's telemetry key (arrays: the prefix of each element's key)
 * metric  arrays: the Prometheus metric (elements as a label); scalars are
 *         exported as hso_<name> (+ _total for counters)
 * kind    counter (only goes up) or gauge
 * label   arrays: the Prometheus label naming the element
 * elem    arrays: const char *elem(unsigned i), the element's name, NULL
 *         for an index that is not exported
 * flags   scalars: none, or workers (/hso/stats also has it per worker, as
 *         the array workers_<name>); arrays: dense (every element), sparse
 *         (only the non-zero ones)
 *
 * To add a counter: one line here, then count it where it happens
 * (c->w->stats.<field>++). Everything else follows.
 */

#include <stdint.h>

#define HS_WORKER_COUNTERS(X)                                                  \
	X(runs, "crypto_runs", counter, none,                                  \
	  "crypto batch runs that did work (hs_worker_run)")                   \
	X(rounds, "crypto_rounds", counter, none,                              \
	  "asymmetric + key-schedule rounds within those runs")                \
	X(asym_jobs, "crypto_asym_jobs", counter, none,                        \
	  "asymmetric jobs: RSA decryptions, signatures, ECDHE derivations")   \
	X(kdf_runs, "crypto_kdf_runs", counter, none,                          \
	  "multi-buffer key-schedule batches run")                             \
	X(kdf_requests, "crypto_kdf_requests", counter, none,                  \
	  "key-schedule requests in those batches")                            \
	X(pool_generated, "ecdhe_pool_generated", counter, none,               \
	  "ECDHE key pairs generated ahead of demand (idle polls)")            \
	X(pool_hits, "ecdhe_pool_hits", counter, none,                         \
	  "ECDHE key pairs a handshake took pre-generated")                    \
	X(pool_misses, "ecdhe_pool_misses", counter, none,                     \
	  "ECDHE key pairs generated on the critical path (pool empty)")       \
	X(tickets_issued, "tickets_issued", counter, none,                     \
	  "session tickets sent")                                              \
	X(resumed, "handshakes_resumed", counter, none,                        \
	  "handshakes that resumed a session (ticket or session id)")          \
	X(tickets_rejected, "tickets_rejected", counter, none,                 \
	  "tickets refused: unknown key, expired, or mismatched")              \
	X(cache_evictions, "session_cache_evictions", counter, none,           \
	  "TLS 1.2 session-id cache entries evicted for room")                 \
	X(keys_exported, "keys_exported", counter, none,                       \
	  "sessions whose traffic keys went to the application")               \
	X(handshakes_completed, "handshakes_completed", counter, workers,      \
	  "TLS handshakes completed")                                          \
	X(handshakes_failed, "handshakes_failed", counter, none,               \
	  "TLS handshakes failed (an alert sent or received)")                 \
	X(completed_tls12, "handshakes_tls12", counter, none,                  \
	  "TLS 1.2 handshakes completed")                                      \
	X(completed_tls13, "handshakes_tls13", counter, none,                  \
	  "TLS 1.3 handshakes completed")                                      \
	X(key_cache_hits, "record_key_cache_hits", counter, none,              \
	  "records sealed or opened with an expanded key from the cache")      \
	X(key_cache_misses, "record_key_cache_misses", counter, none,          \
	  "record keys expanded (new key, or evicted from the cache)")         \
	X(post_hs_msgs, "post_handshake_msgs", counter, none,                  \
	  "post-handshake messages handled (KeyUpdate, tickets, ...)")         \
	X(ocsp_staples_served, "ocsp_staples_served", counter, none,           \
	  "OCSP responses stapled to a certificate (status_request)")          \
	X(ocsp_staples_expired, "ocsp_staples_expired", counter, none,         \
	  "OCSP staples asked for but past their nextUpdate: not sent")

#define HS_WORKER_COUNTER_ARRAYS(A)                                            \
	A(completed_by_suite, uint64_t, HS_SUITES_NUM, "handshakes_",          \
	  "handshakes_by_suite", "suite", hs_stats_suite_name, counter, dense, \
	  "handshakes completed per cipher suite (IANA name)")                 \
	A(failed_sent_alert, uint64_t, 256, "failed_sent_",                    \
	  "handshakes_failed_sent", "alert", hs_stats_sent_alert_name, counter, \
	  sparse, "failures per alert hsod sent (internal: failed without one)") \
	A(failed_peer_alert, uint64_t, 256, "failed_peer_",                    \
	  "handshakes_failed_peer", "alert", hs_stats_peer_alert_name, counter, \
	  sparse, "failures per alert the client sent")                        \
	A(failed_in_state, uint64_t, HS_STATE_NUM, "failed_in_",               \
	  "handshakes_failed_in_state", "state", hs_stats_state_name, counter, \
	  sparse, "failures by the engine state the handshake was in")

/*
 * The pools' counters: members of the struct hs_buf_pool_stats in
 * hs_worker_stats.msg_pool and .hctx (bufpool.h writes them), exported,
 * not generated here.
 */
#define HS_WORKER_POOL_COUNTERS(X)                                             \
	X(msg_pool.borrowed, "handshake_large_msgs", counter, none,            \
	  "handshake messages above a connection's own 16 KiB that borrowed a " \
	  "buffer of [tls] large_msg_bufs")                                    \
	X(msg_pool.exhausted, "handshake_large_msg_pool_empty", counter, none, \
	  "such messages refused (internal_error): every buffer was out")      \
	X(msg_pool.in_use, "handshake_large_msg_bufs_in_use", gauge, none,     \
	  "large-message buffers out now")                                     \
	X(msg_pool.in_use_max, "handshake_large_msg_bufs_peak", gauge, none,   \
	  "most large-message buffers out at once")                            \
	X(hctx.borrowed, "handshake_contexts_taken", counter, none,            \
	  "handshake contexts taken from the pool ([limits] max_handshakes)")  \
	X(hctx.exhausted, "handshake_context_refusals", counter, none,         \
	  "connections refused (reset): every handshake context was in use")   \
	X(hctx.in_use, "handshake_contexts_in_use", gauge, none,               \
	  "handshake contexts in use now (connections handshaking)")           \
	X(hctx.in_use_max, "handshake_contexts_in_use_max", gauge, none,       \
	  "most handshake contexts in use at once")

/*
 * A client worker's (hs_client.h, hso-gen): in the struct, not exported by
 * hsod, which only serves.
 */
#define HS_CLIENT_COUNTERS(X)                                                  \
	X(client_started, "client_started", counter, none,                     \
	  "client handshakes started")                                         \
	X(client_keys_generated, "client_keys_generated", counter, none,       \
	  "key pairs made for ClientHellos")                                   \
	X(client_keys_reused, "client_keys_reused", counter, none,             \
	  "load mode: a worker key handed out again")                          \
	X(client_pms_encrypted, "client_pms_encrypted", counter, none,         \
	  "RSA premaster encryptions")                                         \
	X(client_pms_reused, "client_pms_reused", counter, none,               \
	  "load mode: premaster and its ciphertext reused")                    \
	X(client_verified, "client_verified", counter, none,                   \
	  "server signatures verified (full mode)")                            \
	X(client_chains_verified, "client_chains_verified", counter, none,     \
	  "server certificate chains verified")                                \
	X(client_hrr, "client_hrr", counter, none,                             \
	  "HelloRetryRequests answered")                                       \
	X(client_sessions, "client_sessions", counter, none,                   \
	  "resumable sessions received")                                       \
	X(client_offered, "client_offered", counter, none,                     \
	  "sessions offered in a ClientHello")                                 \
	X(client_tickets_too_long, "client_tickets_too_long", counter, none,   \
	  "tickets over HS_CLIENT_TICKET_MAX: not kept")                       \
	X(client_tickets_late, "client_tickets_late", counter, none,           \
	  "tickets that came after hs_conn_hctx_release(): not kept")          \
	X(client_staples, "client_staples", counter, none,                     \
	  "OCSP responses received in status_request")

/** Name of cipher suite @p i of hso's table (hs_suite_at()), NULL past it. */
const char *hs_stats_suite_name(unsigned i);
/** Name of alert @p i hsod sent; 255 is "internal" (failed without an alert). */
const char *hs_stats_sent_alert_name(unsigned i);
/** Name of alert @p i a client sent ("alert_N" for an unknown code). */
const char *hs_stats_peer_alert_name(unsigned i);
/** Name of engine state @p i (hs_state_name()), NULL past the last. */
const char *hs_stats_state_name(unsigned i);

#endif
