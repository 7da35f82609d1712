/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_TCP_H
#define HSO_DATAPLANE_TCP_H

/**
 * @file
 * The TCP core: RFC 9293 connections, passive opens (hsod) and active opens
 * (hso-gen), per worker, with no I/O, no DPDK and no allocation after
 * tcp_tbl_create() (and tcp_tbl_set_sources()). It is driven like the TLS
 * engine (handshake.h): the caller hands it parsed segments and the time,
 * and takes back segments to send and events for the application.
 *
 * Objects and ownership:
 *
 *  - struct tcp_tbl: one per worker. Owns every connection object, their
 *    receive and send rings (sized by struct tcp_config), the 4-tuple hash,
 *    the timer wheel, the output list and the event list. Not thread-safe.
 *  - struct tcp_conn: a slot in the table. Valid from its TCP_EV_ACCEPT event
 *    (passive) or its tcp_tbl_connect() (active) until its TCP_EV_CLOSED
 *    event; the caller keeps a handle (tcp_conn_handle()) and may look it
 *    up again with tcp_tbl_conn_get(), which returns NULL once the slot was
 *    reused.
 *
 * Driving a table (all numbers in host byte order; the caller validated the
 * IPv4 and TCP headers and their checksums):
 *
 *      tcp_tbl_connect(t, ip, port, u, now_us, &h);   an active open (SYN)
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
	TCP_SYN_SENT,               /**< an active open waiting for SYN-ACK */
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

/** Counters of one table. */
struct tcp_stats {
	uint64_t rx_segs;
	uint64_t tx_segs;
	uint64_t syn_rcvd;          /**< SYNs that created a half-open connection */
	uint64_t accepted;          /**< passive opens that reached ESTABLISHED */
	uint64_t closed;            /**< connections freed */
	uint64_t resets_rcvd;
	uint64_t resets_sent;
	uint64_t challenge_acks;
	uint64_t retransmits;       /**< segments sent again after an RTO */
	uint64_t fast_retransmits;
	uint64_t rto_expired;
	uint64_t timeouts;          /**< retries exhausted, handshake or idle timeout */
	uint64_t probes;            /**< zero-window probes */
	uint64_t delayed_acks;      /**< ACKs sent by the delayed-ACK timer */
	uint64_t window_updates;
	uint64_t zero_window_sent;  /**< segments that advertised a zero window */
	uint64_t cookies_sent;
	uint64_t cookies_validated;
	uint64_t cookies_failed;
	uint64_t time_wait_reused;  /**< TIME_WAIT entries recycled early */
	uint64_t connects;          /**< active opens started (SYN sent) */
	uint64_t connected;         /**< active opens that reached ESTABLISHED */
	uint64_t connect_refused;   /**< active opens answered by a RST */
	uint64_t connect_timeouts;  /**< active opens given up (SYN retries, deadline) */
	uint64_t ports_exhausted;   /**< connects failed: no free 4-tuple found */
	uint64_t port_collisions;   /**< candidate 4-tuples skipped (in use, filtered) */
	uint64_t events_lost;       /**< event list full (should not happen) */
	uint64_t drops[TCP_DROP_NUM];
	uint32_t conns[TCP_STATE_NUM];  /**< connections per state, now */
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
	uint32_t syn_retries;       /**< SYN and SYN-ACK retransmissions before giving up */
	uint32_t delack_us;         /**< delayed ACK (RFC 9293 3.8.6.3: < 0.5 s) */
	uint64_t handshake_timeout_us;  /**< SYN_RCVD and SYN_SENT lifetime */
	uint64_t idle_timeout_us;   /**< no segment received for this long: reset (0: never) */
	uint64_t fin_wait2_us;      /**< FIN_WAIT_2 lifetime */
	uint64_t time_wait_us;      /**< TIME_WAIT lifetime (short: we are a server) */
	uint32_t timer_tick_us;     /**< timer wheel granularity */
	uint32_t timer_slots;       /**< timer wheel slots, rounded up to a power of 2 */
	uint32_t out_max;           /**< segments the output list holds */
	uint32_t challenge_ack_limit;   /**< challenge ACKs per second (RFC 5961 7) */
	/** Candidate 4-tuples tcp_tbl_connect() tries before -EADDRNOTAVAIL. */
	uint32_t connect_tries;
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
 * Which 4-tuples an active open may use: a filter the caller sets (for
 * instance: only tuples whose RSS hash brings the peer's answers back to
 * this worker's queue). @return true to accept @p tu.
 */
typedef bool (*tcp_tuple_filter_t)(void *arg, const struct tcp_tuple *tu);

/**
 * Set the local addresses and the ephemeral port range (inclusive) active
 * opens choose from. The list is copied (allocated here, not on a hot path).
 * @return 0; -EINVAL for no address, a zero address, port_lo 0 or
 *         port_lo > port_hi, more than 65536 addresses; -ENOMEM.
 */
int tcp_tbl_set_sources(struct tcp_tbl *t, const uint32_t *addrs, unsigned n,
			uint16_t port_lo, uint16_t port_hi);

/** Accept only 4-tuples @p fn likes for active opens (NULL: any). */
void tcp_tbl_set_filter(struct tcp_tbl *t, tcp_tuple_filter_t fn, void *arg);

/**
 * Active OPEN (RFC 9293 3.10.1) to @p raddr:@p rport: a source address and
 * ephemeral port are chosen as RFC 6056 3.3.3 (Algorithm 3) chooses a port,
 * over every (address, port) pair set by tcp_tbl_set_sources(): a keyed
 * hash of the destination, plus a counter that advances on every attempt,
 * so a pair is used again only after the whole space was walked. A pair
 * the table holds in any state (TIME_WAIT included) or the filter refuses
 * is skipped (port_collisions), up to cfg.connect_tries candidates.
 *
 * The SYN (MSS and window scale options, RFC 6528 ISN) goes to the output
 * and is retransmitted with RFC 6298 backoff up to cfg.syn_retries times.
 * The connection then yields TCP_EV_CONNECTED (ESTABLISHED: data queued
 * with tcp_conn_write() meanwhile leaves with the handshake's ACK), or
 * TCP_EV_CLOSED | TCP_EV_RESET when the peer refused it (RST), plus
 * TCP_EV_TIMEOUT when retries or cfg.handshake_timeout_us ran out.
 *
 * @param user  set as with tcp_conn_set_user(), reported in events
 * @return 0 with *handle; -EINVAL when no source was set; -EADDRNOTAVAIL
 *         when no free 4-tuple was found (ports_exhausted); -ENOBUFS when
 *         every slot holds a live connection.
 */
int tcp_tbl_connect(struct tcp_tbl *t, uint32_t raddr, uint16_t rport, void *user,
		    uint64_t now_us, uint64_t *handle);

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
#define TCP_EV_CONNECTED 0x40u  /**< an active open reached ESTABLISHED */
#define TCP_EV_TIMEOUT  0x80u   /**< with CLOSED|RESET: timed out (retries, deadlines) */

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
/** Bytes tcp_conn_write() would take now (SYN_SENT: queued until ESTABLISHED). */
uint32_t tcp_conn_writable(const struct tcp_tbl *t, const struct tcp_conn *c);

/**
 * Copy up to @p cap in-order received bytes to @p dst; the window reopens
 * (with a window update when it grew enough, RFC 9293 3.8.6.2.2).
 * @return bytes copied; 0 when none (check TCP_EV_PEER_FIN); -ENOTCONN for a
 *         connection that is gone or not yet established.
 */
int tcp_conn_read(struct tcp_tbl *t, struct tcp_conn *c, uint8_t *dst, size_t cap);

/**
 * Queue up to @p len bytes to send, and send what the windows allow (in
 * SYN_SENT they wait for ESTABLISHED, RFC 9293 3.10.2).
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
 * Close our side: FIN after the queued bytes (RFC 9293 3.10.4). In
 * SYN_SENT the connection is deleted at once (no segment; TCP_EV_CLOSED).
 * @return 0; -ENOTCONN when already closing or gone.
 */
int tcp_conn_close(struct tcp_tbl *t, struct tcp_conn *c);

/**
 * Reset the connection (RFC 9293 3.10.5 ABORT): RST sent (none in
 * SYN_SENT, SYN_RCVD or TIME_WAIT), slot freed, a TCP_EV_CLOSED event
 * follows. Also how a client closes without TIME_WAIT.
 */
void tcp_conn_abort(struct tcp_tbl *t, struct tcp_conn *c);

/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of @p len bytes with a 16-byte
 * key: the keyed hash behind ISNs, SYN cookies and the table's buckets.
 */
uint64_t tcp_siphash24(const uint8_t key[16], const void *msg, size_t len);

#endif
