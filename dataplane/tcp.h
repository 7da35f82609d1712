/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_TCP_H
#define HSO_DATAPLANE_TCP_H

/**
 * @file
 * The TCP server core: RFC 9293 passive-open connections, per worker, with no
 * I/O, no DPDK and no allocation after tcp_tbl_create(). It is driven like
 * the TLS engine (handshake.h): the caller hands it parsed segments and the
 * time, and takes back segments to send and events for the application.
 *
 * Objects and ownership:
 *
 *  - struct tcp_tbl: one per worker. Owns every connection object, their
 *    receive and send rings (sized by struct tcp_config), the 4-tuple hash,
 *    the timer wheel, the output list and the event list. Not thread-safe.
 *  - struct tcp_conn: a slot in the table. Valid from its TCP_EV_ACCEPT event
 *    until its TCP_EV_CLOSED event; the caller keeps a handle
 *    (tcp_conn_handle()) and may look it up again with tcp_tbl_conn_get(),
 *    which returns NULL once the slot was reused.
 *
 * Driving a table (all numbers in host byte order; the caller validated the
 * IPv4 and TCP headers and their checksums):
 *
 *      tcp_tbl_input(t, &seg, now_us);      one received segment
 *      tcp_conn_read(t, c, dst, cap);       in-order payload for the app
 *      tcp_conn_write(t, c, src, len);      bytes to send
 *      tcp_tbl_tick(t, now_us);             timers (RTO, delayed ACK, ...)
 *      out = tcp_tbl_output(t, &n);         segments to turn into packets
 *      tcp_tbl_output_clear(t);             ... once they were built
 *      tcp_tbl_event_burst(t, ev, max);     accept / readable / closed ...
 *
 * A segment in the output points into a connection's send ring (two pieces
 * when the ring wraps): build the packets before the next call into the
 * table, then tcp_tbl_output_clear().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP header flags (RFC 9293 3.1). */
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_URG 0x20

/** Option bytes we send at most: MSS (4) + NOP + window scale (3). */
#define TCP_OPT_OUT_MAX 8
/** Largest window shift (RFC 7323 2.3). */
#define TCP_WSCALE_MAX 14
/** Default send MSS when the peer sends no MSS option (RFC 9293 3.7.1). */
#define TCP_MSS_DEFAULT 536
/** Out-of-order ranges a connection holds at most. */
#define TCP_OOO_MAX 4
/** Listening ports per table. */
#define TCP_LISTEN_MAX 16

/** A connection's addresses, host byte order, from our point of view. */
struct tcp_tuple {
	uint32_t laddr;
	uint32_t raddr;
	uint16_t lport;
	uint16_t rport;
};

/** A received segment, parsed by the caller. */
struct tcp_seg {
	struct tcp_tuple tuple;
	uint32_t seq;
	uint32_t ack;
	uint16_t window;            /**< as on the wire (unscaled) */
	uint8_t flags;              /**< TCP_FLAG_* */
	uint8_t opt_len;            /**< bytes of options after the header */
	const uint8_t *opts;
	const uint8_t *payload;
	uint32_t len;
};

/** A segment to send: the caller adds Ethernet/IPv4/TCP headers and checksums. */
struct tcp_seg_out {
	struct tcp_tuple tuple;
	uint32_t seq;
	uint32_t ack;               /**< valid when flags has TCP_FLAG_ACK */
	uint16_t window;            /**< already scaled, goes on the wire */
	uint8_t flags;
	uint8_t opt_len;            /**< a multiple of 4 */
	uint8_t opts[TCP_OPT_OUT_MAX];
	/** Payload, in up to two pieces (the send ring may wrap). */
	const uint8_t *data[2];
	uint32_t data_len[2];
	uint32_t len;               /**< data_len[0] + data_len[1] */
};

/** Connection states (RFC 9293 3.3.2); LISTEN is a port, not a connection. */
enum tcp_state {
	TCP_CLOSED = 0,
	TCP_SYN_RCVD,
	TCP_ESTABLISHED,
	TCP_CLOSE_WAIT,
	TCP_LAST_ACK,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSING,
	TCP_TIME_WAIT,
	TCP_STATE_NUM,
};

/** Why a segment was dropped (or not answered as hoped). */
enum tcp_drop {
	TCP_DROP_NO_LISTENER = 0,   /**< no connection, no listening port: RST */
	TCP_DROP_TABLE_FULL,        /**< SYN or cookie ACK with the table full: RST */
	TCP_DROP_BAD_FLAGS,         /**< SYN+RST, SYN+FIN, no ACK where needed */
	TCP_DROP_BAD_OPTIONS,       /**< malformed option list (options ignored) */
	TCP_DROP_OUT_OF_WINDOW,     /**< unacceptable sequence number: ACKed */
	TCP_DROP_BAD_ACK,           /**< ACK outside what we sent: ACKed or RST */
	TCP_DROP_RST_INVALID,       /**< RST outside the window, or for nothing */
	TCP_DROP_RST_CHALLENGED,    /**< in-window RST, not exact: challenge ACK */
	TCP_DROP_SYN_CHALLENGED,    /**< SYN on a synchronized connection */
	TCP_DROP_COOKIE_FAILED,     /**< ACK to a listener with a wrong cookie */
	TCP_DROP_DUPLICATE,         /**< old or duplicate payload: ACKed */
	TCP_DROP_OOO_FULL,          /**< out-of-order queue full */
	TCP_DROP_WINDOW_TRIM,       /**< payload beyond the advertised window */
	TCP_DROP_STATE,             /**< payload in a state that takes none */
	TCP_DROP_OUT_FULL,          /**< output list full: segment not queued */
	TCP_DROP_CHALLENGE_LIMIT,   /**< challenge ACK rate limit reached */
	TCP_DROP_NUM,
};

/** Name of a drop reason for telemetry ("no_listener", ...). */
const char *tcp_drop_name(enum tcp_drop d);
/** Name of a state ("ESTABLISHED", ...). */
const char *tcp_state_name(enum tcp_state s);
/** By index for counter tables: NULL past the end (and for CLOSED: not a connection). */
const char *tcp_drop_elem(unsigned i);
const char *tcp_state_elem(unsigned i);

/** Counters of one table, declared once (format: worker.h). */
#define TCP_COUNTERS(X)                                                        \
	X(rx_segs, "tcp_rx_segs", counter, none, "segments received")          \
	X(tx_segs, "tcp_tx_segs", counter, none, "segments sent")              \
	X(syn_rcvd, "tcp_syn_rcvd", counter, none,                             \
	  "SYNs that created a half-open connection")                          \
	X(accepted, "tcp_accepted", counter, none,                             \
	  "connections that reached ESTABLISHED")                              \
	X(closed, "tcp_closed", counter, none, "connections freed")            \
	X(resets_rcvd, "tcp_resets_rcvd", counter, none,                       \
	  "resets received and accepted")                                      \
	X(resets_sent, "tcp_resets_sent", counter, none, "resets sent")        \
	X(challenge_acks, "tcp_challenge_acks", counter, none,                 \
	  "challenge ACKs sent (RFC 5961)")                                    \
	X(retransmits, "tcp_retransmits", counter, none,                       \
	  "segments sent again after an RTO")                                  \
	X(fast_retransmits, "tcp_fast_retransmits", counter, none,             \
	  "segments sent again after three duplicate ACKs")                    \
	X(rto_expired, "tcp_rto_expired", counter, none,                       \
	  "retransmission timeouts")                                           \
	X(timeouts, "tcp_timeouts", counter, none,                             \
	  "connections reset: retries exhausted, handshake or idle timeout")   \
	X(probes, "tcp_probes", counter, none, "zero-window probes sent")      \
	X(delayed_acks, "tcp_delayed_acks", counter, none,                     \
	  "ACKs sent by the delayed-ACK timer")                                \
	X(window_updates, "window_updates", counter, none,                     \
	  "window updates sent as the application read")                       \
	X(zero_window_sent, "tcp_zero_window", counter, none,                  \
	  "segments that advertised a zero window")                            \
	X(cookies_sent, "tcp_cookies_sent", counter, none,                     \
	  "SYN cookies sent (half-open limit reached)")                        \
	X(cookies_validated, "tcp_cookies_validated", counter, none,           \
	  "connections opened from a valid cookie")                            \
	X(cookies_failed, "tcp_cookies_failed", counter, none,                 \
	  "ACKs to a listener with an invalid cookie")                         \
	X(time_wait_reused, "tcp_time_wait_reused", counter, none,             \
	  "TIME_WAIT entries recycled early")                                  \
	X(events_lost, "tcp_events_lost", counter, none,                       \
	  "events lost: event list full (should not happen)")

#define TCP_COUNTER_ARRAYS(A)                                                  \
	A(drops, uint64_t, TCP_DROP_NUM, "tcp_drop_", "tcp_drops", "reason",   \
	  tcp_drop_elem, counter, dense,                                       \
	  "segments dropped (or not answered as hoped) by TCP, per reason")    \
	A(conns, uint32_t, TCP_STATE_NUM, "tcp_state_", "tcp_connections",     \
	  "state", tcp_state_elem, gauge, dense, "connections per state, now")

struct tcp_stats {
#define TCP_STATS_FIELD(field, ...) uint64_t field;
	TCP_COUNTERS(TCP_STATS_FIELD)
#undef TCP_STATS_FIELD
#define TCP_STATS_ARRAY(field, type, n, ...) type field[n];
	TCP_COUNTER_ARRAYS(TCP_STATS_ARRAY)
#undef TCP_STATS_ARRAY
};

/** Table parameters; tcp_config_init() fills defaults. */
struct tcp_config {
	uint32_t max_conns;         /**< connection slots, every state included */
	uint32_t max_half_open;     /**< SYN_RCVD connections before SYN cookies */
	uint32_t max_time_wait;     /**< TIME_WAIT entries before the oldest goes */
	uint32_t rx_buf_size;       /**< per connection, rounded up to a power of 2 */
	uint32_t tx_buf_size;       /**< per connection, rounded up to a power of 2 */
	uint16_t mss;               /**< our MSS (advertised and the send cap) */
	bool syn_cookies;           /**< answer SYNs statelessly past max_half_open */
	uint32_t rto_init_us;       /**< RFC 6298 2.1: 1 s */
	uint32_t rto_min_us;        /**< RFC 6298 2.4 says 1 s; 200 ms as Linux */
	uint32_t rto_max_us;        /**< RFC 6298 2.5: at least 60 s */
	uint32_t max_retries;       /**< RTO expiries before the connection is reset */
	uint32_t syn_retries;       /**< SYN-ACK retransmissions before giving up */
	uint32_t delack_us;         /**< delayed ACK (RFC 9293 3.8.6.3: < 0.5 s) */
	uint64_t handshake_timeout_us;  /**< SYN_RCVD lifetime */
	uint64_t idle_timeout_us;   /**< no segment received for this long: reset (0: never) */
	uint64_t fin_wait2_us;      /**< FIN_WAIT_2 lifetime */
	uint64_t time_wait_us;      /**< TIME_WAIT lifetime (short: we are a server) */
	uint32_t timer_tick_us;     /**< timer wheel granularity */
	uint32_t timer_slots;       /**< timer wheel slots, rounded up to a power of 2 */
	uint32_t out_max;           /**< segments the output list holds */
	uint32_t challenge_ack_limit;   /**< challenge ACKs per second (RFC 5961 7) */
	/** Use @c secret instead of getrandom() (tests only). */
	bool fixed_secret;
	uint8_t secret[48];
};

/** Fill @p cfg with defaults (1024 connections, 16 KiB rings, MSS 1460, ...). */
void tcp_config_init(struct tcp_config *cfg);

struct tcp_tbl;
struct tcp_conn;

/**
 * Create a table: every connection slot and ring is allocated here, once.
 * @return the table, or NULL with errno EINVAL (a zero or inconsistent
 *         limit), ENOMEM, or the getrandom() error.
 */
struct tcp_tbl *tcp_tbl_create(const struct tcp_config *cfg);

/**
 * Bytes tcp_tbl_create(@p cfg) allocates (connections, their rings, hash,
 * output, events, timer wheel), from the real structure sizes: for checks
 * before allocating.
 */
size_t tcp_tbl_mem_size(const struct tcp_config *cfg);

/** Free @p t and everything it owns (connections are dropped silently). */
void tcp_tbl_free(struct tcp_tbl *t);

/**
 * Accept connections to local @p port (any local address).
 * @return 0; -EEXIST if already listening; -ENOSPC past TCP_LISTEN_MAX.
 */
int tcp_tbl_listen(struct tcp_tbl *t, uint16_t port);

/**
 * Stop accepting connections to @p port: new SYNs (and SYN-cookie ACKs) get
 * a RST; existing connections go on.
 * @return 0; -ENOENT when not listening.
 */
int tcp_tbl_unlisten(struct tcp_tbl *t, uint16_t port);

/**
 * Process one received segment at time @p now_us (monotonic µs). Segments
 * it answers with (SYN-ACK, ACK, RST, data) go to the output list.
 * @return 0 when the segment was taken; a positive enum tcp_drop + 1 when
 *         it was dropped (also counted in stats.drops).
 */
int tcp_tbl_input(struct tcp_tbl *t, const struct tcp_seg *seg, uint64_t now_us);

/**
 * Run the timers due at @p now_us (RTO, persist, delayed ACK, handshake,
 * idle, FIN_WAIT_2 and TIME_WAIT timeouts).
 * @return timers that fired.
 */
unsigned tcp_tbl_tick(struct tcp_tbl *t, uint64_t now_us);

/** Segments to send (*n of them); valid until tcp_tbl_output_clear(). */
const struct tcp_seg_out *tcp_tbl_output(const struct tcp_tbl *t, unsigned *n);

/** The caller built packets of every segment in the output list. */
void tcp_tbl_output_clear(struct tcp_tbl *t);

/** Counters; conns[] is current. */
const struct tcp_stats *tcp_tbl_stats(const struct tcp_tbl *t);

/* Events, coalesced per connection. */
#define TCP_EV_ACCEPT   0x01u   /**< reached ESTABLISHED: a new connection */
#define TCP_EV_READABLE 0x02u   /**< in-order payload to tcp_conn_read() */
#define TCP_EV_WRITABLE 0x04u   /**< send space was freed */
#define TCP_EV_PEER_FIN 0x08u   /**< the peer sent FIN: no more payload */
#define TCP_EV_CLOSED   0x10u   /**< the connection is gone; handle is stale */
#define TCP_EV_RESET    0x20u   /**< with CLOSED: reset or timed out, not closed */

struct tcp_event {
	uint64_t handle;
	void *user;                 /**< tcp_conn_set_user() value */
	uint32_t events;            /**< TCP_EV_* */
};

/**
 * Take up to @p max pending events (oldest first).
 * @return events copied.
 */
unsigned tcp_tbl_event_burst(struct tcp_tbl *t, struct tcp_event *ev, unsigned max);

/** The connection behind @p handle, or NULL once it is gone. */
struct tcp_conn *tcp_tbl_conn_get(struct tcp_tbl *t, uint64_t handle);

/** The connection with this 4-tuple (any state), or NULL. */
struct tcp_conn *tcp_tbl_lookup(struct tcp_tbl *t, const struct tcp_tuple *tuple);

uint64_t tcp_conn_handle(const struct tcp_conn *c);
enum tcp_state tcp_conn_state(const struct tcp_conn *c);
const struct tcp_tuple *tcp_conn_tuple(const struct tcp_conn *c);
void tcp_conn_set_user(struct tcp_conn *c, void *user);
void *tcp_conn_user(const struct tcp_conn *c);

/** In-order bytes waiting for tcp_conn_read(). */
uint32_t tcp_conn_readable(const struct tcp_conn *c);
/** Bytes tcp_conn_write() would take now. */
uint32_t tcp_conn_writable(const struct tcp_tbl *t, const struct tcp_conn *c);

/**
 * Copy up to @p cap in-order received bytes to @p dst; the window reopens
 * (with a window update when it grew enough, RFC 9293 3.8.6.2.2).
 * @return bytes copied; 0 when none (check TCP_EV_PEER_FIN); -ENOTCONN for a
 *         connection that is gone or not yet established.
 */
int tcp_conn_read(struct tcp_tbl *t, struct tcp_conn *c, uint8_t *dst, size_t cap);

/**
 * Queue up to @p len bytes to send, and send what the windows allow.
 * @return bytes queued (fewer when the send ring is full; 0 when full);
 *         -EPIPE after tcp_conn_close() or the peer's reset; -ENOTCONN for a
 *         connection that is gone.
 */
int tcp_conn_write(struct tcp_tbl *t, struct tcp_conn *c, const uint8_t *src, size_t len);

/**
 * ACK now what was received (a handshake flight was just consumed), and
 * ACK the next data segment at once instead of delaying it.
 */
void tcp_conn_quickack(struct tcp_tbl *t, struct tcp_conn *c);

/**
 * Close our side: FIN after the queued bytes (RFC 9293 3.10.4).
 * @return 0; -ENOTCONN when already closing or gone.
 */
int tcp_conn_close(struct tcp_tbl *t, struct tcp_conn *c);

/**
 * Reset the connection (RFC 9293 3.10.5 ABORT): RST sent, slot freed, a
 * TCP_EV_CLOSED event follows.
 */
void tcp_conn_abort(struct tcp_tbl *t, struct tcp_conn *c);

/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of @p len bytes with a 16-byte
 * key: the keyed hash behind ISNs, SYN cookies and the table's buckets.
 */
uint64_t tcp_siphash24(const uint8_t key[16], const void *msg, size_t len);

#endif
