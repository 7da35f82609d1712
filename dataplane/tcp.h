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
 *  - struct tcp_tbl: one per worker. Owns every connection object, the
 *    4-tuple hash, the timer wheel, the output list and the event list.
 *    Connection slots are reserved address space, touched as they are first
 *    used: start-up and resident memory do not grow with max_conns. Not
 *    thread-safe.
 *  - struct tcp_conn: a slot in the table. Its owner learns of it from its
 *    TCP_EV_ACCEPT event (passive) or tcp_tbl_connect() (active), keeps a
 *    handle (tcp_conn_handle(), 32-bit generation and slot) and looks it up
 *    with tcp_tbl_conn_get(). After TCP_EV_CLOSED the connection is over but
 *    the slot stays the owner's, with the data that arrived before the end
 *    still readable, until tcp_conn_release(): only then does the handle go
 *    stale and the slot return to the table.
 *  - struct tcp_buf: bytes TCP holds for the owner, in the owner's memory
 *    (an mbuf): a received segment's payload, from tcp_tbl_input() until
 *    the owner read past it (tcp_conn_rx_release()), and bytes to send,
 *    from tcp_conn_send() until the peer acknowledged them (retransmissions
 *    point into the same buffer). TCP hands each back once through
 *    tcp_buf_ops.release. No byte rings, nothing copied on the way in or
 *    out; copies happen only for tcp_conn_read()/tcp_conn_write() (and for
 *    a peer that sends many tiny segments: they are gathered into buffers
 *    from tcp_buf_ops.alloc so that they cannot pin a buffer each).
 *
 * Driving a table (all numbers in host byte order; the caller validated the
 * IPv4 and TCP headers and their checksums):
 *
 *      tcp_tbl_connect(t, ip, port, u, now_us, &h);   an active open (SYN)
 *      tcp_tbl_input(t, &seg, now_us);      one received segment (seg.buf: its payload's buffer)
 *      tcp_conn_rx_peek(c, iov, n, &len);   in-order payload, in place
 *      tcp_conn_rx_release(t, c, n);        ... n bytes of it consumed
 *      tcp_conn_send(t, c, buf);            a buffer to send, by reference
 *      tcp_conn_read(t, c, dst, cap);       or: payload copied out
 *      tcp_conn_write(t, c, src, len);      or: bytes copied in
 *      tcp_tbl_tick(t, now_us);             timers (RTO, delayed ACK, ...)
 *      out = tcp_tbl_output(t, &n);         segments to turn into packets
 *      tcp_tbl_output_clear(t);             ... once they were built
 *      tcp_tbl_event_burst(t, ev, max);     accept / readable / closed ...
 *      tcp_conn_release(t, c);              after CLOSED: the owner is done
 *
 * A segment in the output points into send buffers (struct tcp_piece, up
 * to TCP_SEG_PIECES of them): they stay valid, whatever is acknowledged
 * meanwhile, until tcp_tbl_output_clear(). A caller that sends them by
 * reference (an indirect mbuf) takes its own reference before that.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

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
/** Out-of-order segments a connection holds at most (more are dropped). */
#define TCP_OOO_MAX 16
/** Send buffers one output segment may span. */
#define TCP_SEG_PIECES 8
/**
 * Past the table's bufs_budget, what a connection may hold in each
 * direction (received; to send) is the budget split over the connections,
 * at most TCP_BUF_SHARE and at least TCP_BUF_FLOOR; with the owner's pool
 * at its reserve (tcp_buf_ops.pool_level 1) TCP_BUF_FLOOR, under a
 * quarter of it (2) nothing. Whatever the budget, one holding nothing in a
 * direction may take a segment or a record there: a handshake's flights go
 * on, and a connection waits only for buffers its own ACKs or reads give
 * back.
 */
#define TCP_BUF_SHARE 16
#define TCP_BUF_FLOOR 2
/** Listening ports per table. */
#define TCP_LISTEN_MAX 16

/**
 * A connection's addresses from our point of view: IPv4 in laddr/raddr
 * (host byte order), or IPv6 (v6 set, laddr/raddr 0) in laddr6/raddr6
 * (network byte order). Ports in host order.
 */
struct tcp_tuple {
	uint32_t laddr;
	uint32_t raddr;
	uint16_t lport;
	uint16_t rport;
	uint8_t v6;
	uint8_t laddr6[16];
	uint8_t raddr6[16];
};

/** IPv6 headers are 20 bytes longer than IPv4's: the MSS is that much smaller. */
#define TCP_MSS_V6_LESS 20

/**
 * Bytes TCP holds for its owner, in the owner's memory (e.g. the private
 * area of an mbuf). The owner sets @c data, @c len (and @c cap for a
 * buffer TCP may write: tcp_buf_ops.alloc); the rest is TCP's.
 */
struct tcp_buf {
	struct tcp_buf *next;       /**< TCP's: the next buffer in its queue */
	uint8_t *data;              /**< first byte held (TCP moves it as bytes go) */
	uint32_t len;               /**< bytes held from @c data */
	uint32_t cap;               /**< bytes writable from @c data (0: read only) */
	uint32_t seq;               /**< TCP's: sequence number of data[0] */
	uint16_t refs;              /**< TCP's: output segments pointing into it */
	uint16_t flags;             /**< TCP's */
};

/** How TCP gets buffers for its own copies and gives buffers back. */
struct tcp_buf_ops {
	/**
	 * A buffer TCP may write at least @p len bytes to (fewer only when it
	 * has less capacity: TCP then asks again), data pointing at its
	 * start, len 0, cap set; NULL when none is free (TCP copes: it drops a
	 * segment the peer will send again, or queues fewer bytes).
	 */
	struct tcp_buf *(*alloc)(void *ctx, uint32_t len);
	/** TCP is done with @p b (it was given by tcp_tbl_input(), tcp_conn_send() or alloc). */
	void (*release)(void *ctx, struct tcp_buf *b);
	/**
	 * Optional: how short the pool the buffers come from is: 0 plenty,
	 * 1 at its reserve, 2 under a quarter of it (see TCP_BUF_SHARE).
	 * Asked only for a connection already holding buffers, while
	 * bufs_budget is set; may be cached by the owner (once per poll).
	 */
	int (*pool_level)(void *ctx);
	void *ctx;
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
	/**
	 * The buffer @c payload lies in, or NULL: tcp_tbl_input() takes it
	 * (always: it holds it for the owner, or releases it at once), so the
	 * caller must not touch it afterwards. Without one TCP copies what it
	 * keeps into buffers of its own (tcp_buf_ops.alloc).
	 */
	struct tcp_buf *buf;
};

/** Where an output segment's payload lies: part of a send buffer. */
struct tcp_piece {
	struct tcp_buf *buf;
	const uint8_t *data;
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
	uint8_t n_pieces;
	/** Payload: pieces of send buffers, in order. */
	struct tcp_piece piece[TCP_SEG_PIECES];
	uint32_t len;               /**< the pieces' lengths added up */
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
	TCP_DROP_NO_BUF,            /**< payload to keep and no buffer to copy it to */
	TCP_DROP_BUF_BUDGET,        /**< payload for a connection past its share, table at bufs_budget */
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
	X(rx_gathered, "tcp_rx_gathered", counter, none,                       \
	  "small segments copied together (one buffer for many)")              \
	X(bufs_held, "tcp_bufs_held", gauge, none,                             \
	  "buffers (mbufs) TCP holds now, received and to send")               \
	X(zero_window_timeouts, "tcp_zero_window_timeouts", counter, none,     \
	  "connections reset: the peer's window stayed zero past "             \
	  "[limits] zero_window_timeout_ms")

/*
 * Active opens (hso-gen's): in the struct, not exported by hsod, which
 * only accepts.
 */
#define TCP_CONNECT_COUNTERS(X)                                                \
	X(connects, "tcp_connects", counter, none,                             \
	  "active opens started (SYN sent)")                                   \
	X(connected, "tcp_connected", counter, none,                           \
	  "active opens that reached ESTABLISHED")                             \
	X(connect_refused, "tcp_connect_refused", counter, none,               \
	  "active opens answered by a RST")                                    \
	X(connect_timeouts, "tcp_connect_timeouts", counter, none,             \
	  "active opens given up (SYN retries, deadline)")                     \
	X(ports_exhausted, "tcp_ports_exhausted", counter, none,               \
	  "connects failed: no free 4-tuple found")                            \
	X(port_collisions, "tcp_port_collisions", counter, none,               \
	  "candidate 4-tuples skipped (in use, filtered)")

#define TCP_COUNTER_ARRAYS(A)                                                  \
	A(drops, uint64_t, TCP_DROP_NUM, "tcp_drop_", "tcp_drops", "reason",   \
	  tcp_drop_elem, counter, dense,                                       \
	  "segments dropped (or not answered as hoped) by TCP, per reason")    \
	A(conns, uint32_t, TCP_STATE_NUM, "tcp_state_", "tcp_connections",     \
	  "state", tcp_state_elem, gauge, dense, "connections per state, now")

struct tcp_stats {
#define TCP_STATS_FIELD(field, ...) uint64_t field;
	TCP_COUNTERS(TCP_STATS_FIELD)
	TCP_CONNECT_COUNTERS(TCP_STATS_FIELD)
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
	uint32_t rx_buf_size;       /**< receive window: bytes held for the owner at most */
	uint32_t tx_buf_size;       /**< bytes queued to send at most, per connection */
	/**
	 * Buffers the table may hold (received and to send, all connections)
	 * before it holds back: past it, or with the pool short
	 * (tcp_buf_ops.pool_level), a connection past its share in a
	 * direction (TCP_BUF_SHARE) takes no more there: its payload is
	 * dropped, counted TCP_DROP_BUF_BUDGET, for the peer to send again;
	 * tcp_conn_tx_bufs_left() says how many it may still queue. One
	 * holding nothing in that direction (a handshake) still may. So that
	 * connections whose peers never read, or never complete a record,
	 * cannot take the buffers handshakes need. 0: no budget.
	 */
	uint32_t bufs_budget;
	/**
	 * In-order received buffers a connection holds before small segments
	 * are gathered into fewer (copied into tcp_buf_ops.alloc buffers): a
	 * peer sending tiny segments must not pin a buffer each.
	 */
	uint32_t rx_bufs_max;
	struct tcp_buf_ops buf_ops; /**< required */
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
	/**
	 * The peer's window stayed zero (we probe, RFC 9293 3.8.6.1) for this
	 * long with data waiting: reset, counted (zero_window_timeouts). RFC
	 * 1122 4.2.2.17 lets a window stay closed indefinitely; this is a
	 * server's policy limit, as nginx's send_timeout. 0: probe forever.
	 */
	uint64_t zero_window_timeout_us;
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

/** Fill @p cfg with defaults (1024 connections, 64 KiB windows, MSS 1460, ...; no buf_ops). */
void tcp_config_init(struct tcp_config *cfg);

struct tcp_tbl;
struct tcp_conn;

/**
 * Create a table: its slots reserved (not touched), hash, wheel and output
 * list allocated here, once.
 * @return the table, or NULL with errno EINVAL (a zero or inconsistent
 *         limit, no buf_ops), ENOMEM, or the getrandom() error.
 */
struct tcp_tbl *tcp_tbl_create(const struct tcp_config *cfg);

/**
 * Bytes tcp_tbl_create(@p cfg) may come to with every slot in use
 * (connections, hash, output, timer wheel; slots and hash are reserved and
 * touched as used; buffers are the owner's), from the real structure
 * sizes: for checks before allocating.
 */
size_t tcp_tbl_mem_size(const struct tcp_config *cfg);

/** Free @p t and everything it owns (connections dropped silently, buffers released). */
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

/**
 * tcp_tbl_set_sources() for IPv6 active opens (tcp_tbl_connect6()): the
 * 16-byte addresses replace any IPv4 list (a table opens one family).
 * @return 0; -EINVAL as tcp_tbl_set_sources(), and for a multicast or
 *         unspecified address; -ENOMEM.
 */
int tcp_tbl_set_sources6(struct tcp_tbl *t, const uint8_t (*addrs)[16], unsigned n,
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
 * tcp_tbl_connect() to an IPv6 address (network byte order), from the
 * sources of tcp_tbl_set_sources6(); the MSS is TCP_MSS_V6_LESS smaller.
 * @return as tcp_tbl_connect(); -EINVAL also when the sources are IPv4.
 */
int tcp_tbl_connect6(struct tcp_tbl *t, const uint8_t raddr[16], uint16_t rport, void *user,
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
#define TCP_EV_READABLE 0x02u   /**< in-order payload to read */
#define TCP_EV_WRITABLE 0x04u   /**< send space was freed */
#define TCP_EV_PEER_FIN 0x08u   /**< the peer sent FIN: no more payload */
#define TCP_EV_CLOSED   0x10u   /**< the connection is over: read what is left, then release */
#define TCP_EV_RESET    0x20u   /**< with CLOSED: reset or timed out, not closed */
#define TCP_EV_CONNECTED 0x40u  /**< an active open reached ESTABLISHED */
#define TCP_EV_TIMEOUT  0x80u   /**< with CLOSED|RESET: timed out (retries, deadlines) */

struct tcp_event {
	uint64_t handle;
	void *user;                 /**< tcp_conn_set_user() value */
	uint32_t events;            /**< TCP_EV_* */
};

/**
 * Take up to @p max pending events (oldest first; one per connection, its
 * bits coalesced). Connections the owner released have none.
 * @return events copied.
 */
unsigned tcp_tbl_event_burst(struct tcp_tbl *t, struct tcp_event *ev, unsigned max);

/** The connection behind @p handle, or NULL once its owner released it. */
struct tcp_conn *tcp_tbl_conn_get(struct tcp_tbl *t, uint64_t handle);

/** The connection with this 4-tuple (any state but over), or NULL. */
struct tcp_conn *tcp_tbl_lookup(struct tcp_tbl *t, const struct tcp_tuple *tuple);

/**
 * Start fetching the hash bucket @p tuple's lookup will read first: a
 * caller with a burst of segments prefetches them all before it handles the
 * first, so that the cache misses of a table larger than the cache overlap.
 * Does nothing for a table small enough to stay cached (buckets of 2 MiB or
 * less), where the hash it computes would be pure cost.
 */
void tcp_tbl_prefetch(const struct tcp_tbl *t, const struct tcp_tuple *tuple);

uint64_t tcp_conn_handle(const struct tcp_conn *c);
enum tcp_state tcp_conn_state(const struct tcp_conn *c);
const struct tcp_tuple *tcp_conn_tuple(const struct tcp_conn *c);
void tcp_conn_set_user(struct tcp_conn *c, void *user);
void *tcp_conn_user(const struct tcp_conn *c);
/** TCP_EV_CLOSED was queued: the connection is over (data may be left to read). */
bool tcp_conn_over(const struct tcp_conn *c);

/** The peer's FIN came (in order): no byte follows what is readable. */
bool tcp_conn_fin_rcvd(const struct tcp_conn *c);

/** In-order bytes waiting to be read (also after the connection is over). */
uint32_t tcp_conn_readable(const struct tcp_conn *c);
/**
 * Buffers @p c may still queue to send (tcp_conn_send() takes a buffer
 * each) before it is past its share of the budget (TCP_BUF_SHARE):
 * UINT32_MAX when no limit applies (no budget, under it with the pool
 * plenty, or nothing queued); 0 then tcp_conn_writable() is 0 too.
 */
uint32_t tcp_conn_tx_bufs_left(const struct tcp_tbl *t, const struct tcp_conn *c);
/** Bytes tcp_conn_send()/tcp_conn_write() would take now (SYN_SENT: queued until ESTABLISHED). */
uint32_t tcp_conn_writable(const struct tcp_tbl *t, const struct tcp_conn *c);

/**
 * The in-order received bytes, in place: up to @p max pieces in @p iov
 * (oldest first), their total in *@p bytes (may be NULL). They stay until
 * tcp_conn_rx_release() (or tcp_conn_release()); reading them after the
 * connection is over is fine.
 * @return pieces filled.
 */
unsigned tcp_conn_rx_peek(const struct tcp_conn *c, struct iovec *iov, unsigned max,
			  uint32_t *bytes);

/**
 * The owner consumed the first @p n in-order bytes: buffers wholly read go
 * back (tcp_buf_ops.release) and the window reopens (with a window update
 * when it grew enough, RFC 9293 3.8.6.2.2).
 * @return 0; -EINVAL when fewer than @p n bytes are held.
 */
int tcp_conn_rx_release(struct tcp_tbl *t, struct tcp_conn *c, uint32_t n);

/**
 * Copy up to @p cap in-order received bytes to @p dst and consume them.
 * @return bytes copied; 0 when none (check TCP_EV_PEER_FIN); -ENOTCONN for a
 *         connection not yet established.
 */
int tcp_conn_read(struct tcp_tbl *t, struct tcp_conn *c, uint8_t *dst, size_t cap);

/**
 * Queue buffer @p b (its @c data and @c len) to send, by reference, and
 * send what the windows allow (in SYN_SENT it waits for ESTABLISHED, RFC
 * 9293 3.10.2). TCP keeps it until the peer acknowledged its last byte.
 * @return 0 (TCP owns @p b now); -ENOBUFS when it does not fit
 *         tcp_conn_writable(); -EINVAL for an empty buffer; -EPIPE after
 *         tcp_conn_close() or the peer's reset; -ENOTCONN for a connection
 *         that is over. On error @p b stays the caller's.
 */
int tcp_conn_send(struct tcp_tbl *t, struct tcp_conn *c, struct tcp_buf *b);

/**
 * Queue @p n buffers to send, all or none, then send what the windows allow
 * once (pieces of one TLS record go out in full segments, not one each).
 * @return 0 (TCP owns them now); -ENOBUFS when they do not fit together;
 *         otherwise as tcp_conn_send(). On error they stay the caller's.
 */
int tcp_conn_send_bulk(struct tcp_tbl *t, struct tcp_conn *c, struct tcp_buf *const *b,
		       unsigned n);

/**
 * Copy up to @p len bytes into buffers from tcp_buf_ops.alloc and queue them.
 * @return bytes queued (fewer when the send limit is reached or no buffer is
 *         free; 0 when none); errors as tcp_conn_send().
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
 * @return 0; -ENOTCONN when already closing or over.
 */
int tcp_conn_close(struct tcp_tbl *t, struct tcp_conn *c);

/**
 * Reset the connection (RFC 9293 3.10.5 ABORT): RST sent (none in
 * SYN_SENT, SYN_RCVD or TIME_WAIT), what is queued to send dropped, a
 * TCP_EV_CLOSED event follows. Also how a client closes without TIME_WAIT.
 */
void tcp_conn_abort(struct tcp_tbl *t, struct tcp_conn *c);

/**
 * The owner is done with @p c: what TCP still holds for it is released, a
 * connection not yet over is aborted first (RST), and the handle goes
 * stale (no more events). A connection in TIME_WAIT stays there, without
 * owner, until its time is up. Call it once per connection the owner knew.
 */
void tcp_conn_release(struct tcp_tbl *t, struct tcp_conn *c);

/** Bytes one connection takes in the table (its slot and its hash buckets). */
size_t tcp_tbl_conn_bytes(const struct tcp_tbl *t);
/** Slots touched so far (their memory is resident; the rest is not). */
uint32_t tcp_tbl_touched(const struct tcp_tbl *t);

/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of @p len bytes with a 16-byte
 * key: the keyed hash behind ISNs, SYN cookies and the table's buckets.
 */
uint64_t tcp_siphash24(const uint8_t key[16], const void *msg, size_t len);

#endif
