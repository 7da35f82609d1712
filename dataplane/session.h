/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_SESSION_H
#define HSO_DATAPLANE_SESSION_H

/**
 * @file
 * The session layer: one TLS connection's life, from TCP's accept to the
 * moment its slot is free again, as one explicit state. It sits between
 * TCP (tcp.h), the TLS engine (handshake.h) and the application rings
 * (app_shm.h) but knows none of them: everything it asks of them goes
 * through an injected sink (struct sess_ops), so it has no DPDK in it and
 * tests/test_session.c drives it through every ordering of data, FIN, RST,
 * close_notify, timeouts and application close, shutdown and crash.
 *
 * States (enum sess_state) and what moves a session between them
 * (enum sess_in): the table is sess_transition() in session.c, the one
 * place a state changes.
 *
 *      HANDSHAKING --established--> OPEN --peer done--> HALF_CLOSED_IN
 *           |                        |  \                     |
 *           |                 app shutdown \ app close        | app close
 *           |                        v      \                 v
 *           |                 HALF_CLOSED_OUT --peer done--> CLOSING
 *           |                                                 |
 *           +------ failure, FIN, timeout, drain -----------> +
 *                                                             |
 *      any state --RST, TCP timeout, TCP closed, abort--> GONE <+ (TCP ended)
 *                                                     GONE --CLOSED posted--> FREE
 *      HANDSHAKING --RST--> HANDSHAKING_RESET --input used up, done or failed--> GONE
 *
 *  - HANDSHAKING: TCP established, the TLS handshake runs; its deadline
 *    is a timer on the table's wheel (no sweep).
 *  - HANDSHAKING_RESET: the client reset the connection mid-handshake.
 *    What it sent in order before the RST (TCP keeps it until released:
 *    typically its last flight, Finished, then RST in the same burst) still
 *    goes through the engine, its crypto batch included; nothing is sent
 *    (the engine's answers are dropped: the connection is over). When that
 *    input completes the handshake it is counted (handshakes_completed, and
 *    handshakes_completed_reset here) and the session goes GONE with reason
 *    reset, no application told: HSO_EV_OPEN promises a connection an
 *    application can use, and this one cannot take a byte. When the input
 *    runs out first, or the engine fails, it is abandoned or failed as in
 *    HANDSHAKING. The handshake deadline still applies.
 *  - OPEN: the session was handed to an application (HSO_EV_OPEN, posted
 *    before any data); both directions are open.
 *  - HALF_CLOSED_IN: the peer ended its data (close_notify, or FIN), after
 *    all of it reached the application, which was told (PEER_CLOSED); we
 *    still send.
 *  - HALF_CLOSED_OUT: the application shut its side down: what it queued,
 *    then close_notify, then FIN; the peer's data still arrives.
 *  - CLOSING: our side ends or ended (close_notify or a fatal alert, then
 *    FIN, after what was queued); input is read and dropped; waiting for
 *    TCP to finish.
 *  - GONE: TCP ended (closed, reset, timed out, aborted). Data that came
 *    before a reset is still delivered (TCP keeps it until released), then
 *    HSO_EV_CLOSED with the reason, then the sink releases the engine and
 *    TCP state and the slot is FREE.
 *
 * Within a state, one-shot steps that may have to wait for room (an mbuf
 * for close_notify, ring room for an event) are retried on the next run:
 * @c out_done says our close_notify and FIN are queued, @c ev_due holds the
 * events owed to the application, posted strictly in the order OPEN, data,
 * PEER_CLOSED, CLOSED.
 *
 * Driving a table, once per burst (the worker does this):
 *
 *      s = sess_open(t, tcp_handle, now);      TCP accepted a connection
 *      sess_input(t, s, SESS_IN_TCP_RESET);    discrete events: TCP, app, drain
 *      sess_mark(t, s);                        data arrived, or room to send
 *      sess_tbl_run(t);                        every marked session, once
 *      sess_tbl_tick(t, now);                  deadlines
 *      sess_tbl_retry_stalled(t, n);           sessions waiting for the app
 *
 * Handles carry 32-bit generations: sess_get() of a handle whose session
 * ended returns NULL, however often the slot was reused since.
 *
 * Memory: the slots (a struct sess plus the caller's private area each) are
 * reserved as address space at creation and touched only when first used,
 * so start-up time and resident memory do not grow with max_sessions. No
 * allocation after sess_tbl_create(); nothing walks every slot.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp_priv.h"   /* struct tcp_timer, struct tcp_wheel */

/** Application slots a table hands sessions to (HSO_APP_MAX or more). */
#define SESS_APP_MAX 8
/** s->app of a session no application holds. */
#define SESS_APP_NONE 0xffu

enum sess_state {
	SESS_FREE = 0,
	SESS_HANDSHAKING,
	SESS_OPEN,
	SESS_HALF_CLOSED_IN,
	SESS_HALF_CLOSED_OUT,
	SESS_CLOSING,
	SESS_GONE,
	SESS_HANDSHAKING_RESET,
	SESS_STATE_NUM,
};

/** What happened to a session (sess_input(), or found by a pump). */
enum sess_in {
	SESS_IN_ESTABLISHED = 0,    /**< the TLS handshake completed */
	SESS_IN_TLS_FAILED,         /**< a fatal alert was sent or received */
	SESS_IN_PEER_NOTIFY,        /**< the peer's close_notify; we may still write */
	SESS_IN_TLS_CLOSED,         /**< close_notify exchanged (TLS 1.2 answers at once) */
	SESS_IN_EOF,                /**< the peer's FIN, all data before it taken */
	SESS_IN_TCP_RESET,          /**< RST received */
	SESS_IN_TCP_TIMEOUT,        /**< retransmissions or the idle timeout ran out */
	SESS_IN_TCP_CLOSED,         /**< TCP ended in order */
	SESS_IN_HS_TIMEOUT,         /**< the handshake deadline passed */
	SESS_IN_APP_CLOSE,          /**< the application closes (after its sends) */
	SESS_IN_APP_SHUTDOWN,       /**< the application ends its writing */
	SESS_IN_APP_GONE,           /**< the application detached or died */
	SESS_IN_ABORT,              /**< hsod gives up at once: RST */
	SESS_IN_DRAIN,              /**< hsod stops: close cleanly */
	SESS_IN_LINGER_TIMEOUT,     /**< GONE: data for the app waited too long */
	SESS_IN_RX_END,             /**< HANDSHAKING_RESET: the input before the RST is used up */
	SESS_IN_NUM,
};

/** Events a session owes its application, in the order they are posted. */
enum sess_ev {
	SESS_EV_OPEN = 0,
	SESS_EV_PEER_CLOSED,
	SESS_EV_CLOSED,
	SESS_EV_NUM,
};

/** Why a session ended (the values of hso_app.h's enum hso_close_reason). */
enum sess_reason {
	SESS_REASON_NONE = 0,
	SESS_REASON_DONE = 1,
	SESS_REASON_RESET,
	SESS_REASON_TLS_ERROR,
	SESS_REASON_TIMEOUT,
	SESS_REASON_ABORTED,
	SESS_REASON_NUM,
};

/** How the input pump treats application data (sess_ops.pump_in). */
enum sess_rx {
	SESS_RX_HANDSHAKE = 0,      /**< feed the engine; no application yet */
	SESS_RX_HOLD,               /**< feed the engine, leave plaintext where it is */
	SESS_RX_DELIVER,            /**< plaintext to the application, as room allows */
	SESS_RX_DISCARD,            /**< read and drop plaintext (nobody takes it) */
};

/* What an input pump found (sess_ops.pump_in returns these bits). Levels,
 * not edges: reported every time they hold. */
#define SESS_IO_ESTABLISHED 0x01u   /**< the engine is established */
#define SESS_IO_TLS_FAILED  0x02u   /**< the engine failed (alert queued or received) */
#define SESS_IO_PEER_NOTIFY 0x04u   /**< close_notify came, all data before it taken */
#define SESS_IO_TLS_CLOSED  0x08u   /**< the engine answered a close_notify: CLOSED */
#define SESS_IO_EOF         0x10u   /**< TCP FIN, all data before it taken */
#define SESS_IO_BLOCKED     0x20u   /**< plaintext waits for room at the application */
#define SESS_IO_WAITING     0x40u   /**< the engine waits for the worker's crypto */

struct sess;

/**
 * The sink: what a session asks of TCP, the engine and the application.
 * @c ctx is sess_config.ctx. No callback may call back into the table
 * except sess_mark().
 */
struct sess_ops {
	/**
	 * Move received bytes: TCP to the engine, and the engine's plaintext
	 * as @p mode says. @return SESS_IO_* bits.
	 */
	unsigned (*pump_in)(void *ctx, struct sess *s, enum sess_rx mode);
	/**
	 * Seal what the application queued to send and hand it to TCP.
	 * @return true when some is still queued (no room now).
	 */
	bool (*pump_out)(void *ctx, struct sess *s);
	/** Drop what the application queued to send (it left, or it failed). */
	void (*drop_out)(void *ctx, struct sess *s);
	/** An application for a new session: its slot, or SESS_APP_NONE. */
	unsigned (*app_pick)(void *ctx, struct sess *s);
	/**
	 * Post @p ev to the session's application (s->app), with @p reason
	 * for SESS_EV_CLOSED. @return false when there is no room now.
	 */
	bool (*post)(void *ctx, struct sess *s, enum sess_ev ev, enum sess_reason reason);
	/**
	 * End our side: close_notify when @p notify (an established engine),
	 * then FIN after everything queued. @return 0; -EAGAIN when it could
	 * not be queued now (no buffer): called again on a later run.
	 */
	int (*close_out)(void *ctx, struct sess *s, bool notify);
	/** Reset the connection now (RST); TCP reports it closed. */
	void (*abort)(void *ctx, struct sess *s);
	/** The session is over: give back its engine and TCP state. */
	void (*release)(void *ctx, struct sess *s);
};

/*
 * The table's counters, declared once in the shape of hsod's counter
 * tables (worker.h): X(field, name, kind, flags, help).
 */
#define SESS_COUNTERS(X)                                                       \
	X(opened, "sess_opened", counter, none,                                \
	  "sessions started (TCP accepted, TLS begins)")                       \
	X(refused, "sess_refused", counter, none,                              \
	  "connections refused: every session slot in use")                    \
	X(handed, "sess_handed", counter, none,                                \
	  "sessions handed to an application (HSO_EV_OPEN)")                   \
	X(no_app, "sess_no_app", counter, none,                                \
	  "sessions closed at establishment: no application attached")         \
	X(hs_timeouts, "handshakes_timed_out", counter, none,                  \
	  "connections reset: TLS not done within the handshake timeout")      \
	X(hs_abandoned, "handshakes_abandoned", counter, none,                 \
	  "connections ended by the client (FIN, RST) while TLS was "          \
	  "handshaking")                                                       \
	X(hs_reset_done, "handshakes_completed_reset", counter, none,         \
	  "handshakes completed by data that came before the client's RST "   \
	  "(in handshakes_completed too; no application told)")                \
	X(hs_failed, "handshakes_failed_closed", counter, none,                \
	  "connections closed after a TLS failure during the handshake")      \
	X(app_gone, "app_gone_closes", counter, none,                          \
	  "sessions closed because their application left")                    \
	X(aborted, "sess_aborted", counter, none,                              \
	  "sessions reset by hsod (limits, misbehaving application)")          \
	X(drained, "sess_drained", counter, none,                              \
	  "sessions closed because hsod stops")                                \
	X(lingered_out, "sess_linger_timeouts", counter, none,                 \
	  "reset sessions whose last data the application did not take in "    \
	  "time")                                                              \
	X(post_retries, "sess_post_retries", counter, none,                    \
	  "events that waited for ring room")                                  \
	X(closed, "sess_closed", counter, none, "sessions freed")              \
	X(touched, "sessions_touched", gauge, none,                            \
	  "session slots touched so far (resident; the rest of max_conns is "  \
	  "address space only)")

#define SESS_COUNTER_ARRAYS(A)                                                 \
	A(ended, uint64_t, SESS_REASON_NUM, "sess_ended_", "sess_ended",       \
	  "reason", sess_reason_elem, counter, dense,                          \
	  "sessions ended, by reason")                                         \
	A(states, uint32_t, SESS_STATE_NUM, "sess_state_", "sessions",         \
	  "state", sess_state_elem, gauge, dense, "sessions per state, now")

struct sess_stats {
#define SESS_STATS_FIELD(field, ...) uint64_t field;
	SESS_COUNTERS(SESS_STATS_FIELD)
#undef SESS_STATS_FIELD
#define SESS_STATS_ARRAY(field, type, n, ...) type field[n];
	SESS_COUNTER_ARRAYS(SESS_STATS_ARRAY)
#undef SESS_STATS_ARRAY
};

/** Table parameters; sess_config_init() fills defaults. */
struct sess_config {
	uint32_t max_sessions;      /**< slots (reserved, touched on use) */
	uint32_t priv_size;         /**< bytes of caller state per session */
	uint64_t handshake_timeout_us;  /**< TLS must be done this long after accept (0: none) */
	/**
	 * How long a session whose TCP connection was reset may wait for the
	 * application to take the data that came before the reset.
	 */
	uint64_t linger_us;
	uint32_t timer_tick_us;     /**< wheel granularity */
	uint32_t timer_slots;       /**< wheel slots (a power of 2) */
	const struct sess_ops *ops;
	void *ctx;                  /**< first argument of every op */
};

/** Fill @p cfg with defaults (1024 sessions, 10 s handshakes, 5 s linger). */
void sess_config_init(struct sess_config *cfg);

/** One session. Read its members; change them only through this API. */
struct sess {
	uint32_t gen;               /**< generation: bumped at each sess_open() */
	uint32_t idx;
	uint8_t state;              /**< enum sess_state */
	uint8_t app;                /**< application slot, SESS_APP_NONE */
	uint8_t reason;             /**< enum sess_reason, once known */
	uint8_t ev_due;             /**< 1 << enum sess_ev still to post */
	uint8_t flags;              /**< SESS_F_* (session.c) */
	uint8_t rsvd[3];
	uint32_t dnext;             /**< dirty or free list: 1 + index, 0: end */
	uint32_t snext;             /**< stalled list: 1 + index, 0: end */
	uint32_t lprev, lnext;      /**< the list of its owner (app or none) */
	uint64_t tcp;               /**< the TCP handle (tcp.h) */
	struct tcp_timer timer;     /**< handshake deadline or linger */
};

struct sess_tbl;

/**
 * Create a table: slots reserved as address space, touched when used.
 * @return the table, or NULL with errno EINVAL (no ops, zero or too many
 *         sessions: more than 2^24) or ENOMEM.
 */
struct sess_tbl *sess_tbl_create(const struct sess_config *cfg);

/**
 * Free @p t. Sessions still live are released through the sink first
 * (ops->release), without events.
 */
void sess_tbl_free(struct sess_tbl *t);

/**
 * Start a session for the TCP connection @p tcp accepted at @p now_us: it
 * is HANDSHAKING, its deadline armed, and marked to run.
 * @return the session (its private area zeroed), or NULL when every slot
 *         is in use (counted: refused).
 */
struct sess *sess_open(struct sess_tbl *t, uint64_t tcp, uint64_t now_us);

/** Feed @p in to @p s: the state moves now; the session is marked to run. */
void sess_input(struct sess_tbl *t, struct sess *s, enum sess_in in);

/** Something to do for @p s (data arrived, room to send): run it this burst. */
void sess_mark(struct sess_tbl *t, struct sess *s);

/**
 * Run every marked session once: pump input, apply what it found, post
 * owed events, pump output, end our side when due, release when done.
 * Sessions waiting for crypto stay marked (run them again after the
 * engine's batch); those waiting for the application go to the stalled
 * list.
 * @return sessions still marked.
 */
unsigned sess_tbl_run(struct sess_tbl *t);

/** Put up to @p max stalled sessions (oldest first) back to run. @return moved. */
unsigned sess_tbl_retry_stalled(struct sess_tbl *t, unsigned max);

/** Fire the deadlines due at @p now_us. @return timers fired. */
unsigned sess_tbl_tick(struct sess_tbl *t, uint64_t now_us);

/**
 * Every session application @p app holds gets SESS_IN_APP_GONE (its list:
 * nothing else is visited). @return sessions told.
 */
unsigned sess_tbl_app_gone(struct sess_tbl *t, unsigned app);

/** Every live session gets SESS_IN_DRAIN. @return sessions told. */
unsigned sess_tbl_drain(struct sess_tbl *t);

/** The session behind @p handle, or NULL once it ended. */
struct sess *sess_get(struct sess_tbl *t, uint64_t handle);

/** Session at slot @p idx when live (any generation), else NULL. */
struct sess *sess_at(struct sess_tbl *t, uint32_t idx);

static inline uint64_t
sess_handle(const struct sess *s)
{
	return (uint64_t)s->gen << 32 | s->idx;
}

/**
 * Does @p s take the application's sends now (OPEN, HALF_CLOSED_IN)? A
 * send at any other time is dropped by the caller: after the application's
 * own close or shutdown, or once the session is ending.
 */
static inline bool
sess_takes_sends(const struct sess *s)
{
	return s->state == SESS_OPEN || s->state == SESS_HALF_CLOSED_IN;
}

/** The caller's private area of @p s (sess_config.priv_size bytes). */
void *sess_priv(struct sess *s);

/** Sessions marked to run (sess_mark()), waiting for sess_tbl_run(). */
uint32_t sess_tbl_marked(const struct sess_tbl *t);
/** Live sessions (any state but FREE). */
uint32_t sess_tbl_live(const struct sess_tbl *t);
/** Sessions handshaking now (HANDSHAKING, HANDSHAKING_RESET). */
uint32_t sess_tbl_handshaking(const struct sess_tbl *t);
/** Bytes a slot takes (the session and the caller's private area, cache-line aligned). */
size_t sess_tbl_slot_bytes(const struct sess_tbl *t);
/**
 * Bytes sess_tbl_create(@p cfg) may come to with every slot in use (slots
 * are reserved and touched as used), and of that per slot in @p slot (may
 * be NULL): for checks before creating.
 */
size_t sess_tbl_mem_size(const struct sess_config *cfg, size_t *slot);
/** Slots touched so far (the high-water mark): what memory is resident. */
uint32_t sess_tbl_touched(const struct sess_tbl *t);
const struct sess_stats *sess_tbl_stats(const struct sess_tbl *t);

const char *sess_state_name(unsigned s);
const char *sess_in_name(unsigned in);
const char *sess_reason_name(unsigned r);
/** For the counter tables: names of the states and reasons but the 0th, NULL past them. */
const char *sess_state_elem(unsigned s);
const char *sess_reason_elem(unsigned r);

#endif
