/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_APP_H
#define HSO_APP_H

/**
 * @file
 * The application API of hso: the one way an application talks to hsod.
 *
 * hsod terminates TCP and TLS; an application attached to it receives each
 * established session, then the session's plaintext, and sends plaintext
 * back. It never sees TCP, TLS records or a private key.
 *
 * Transport: per hsod worker and per attached application, a pair of
 * single-producer single-consumer rte_rings in DPDK shared memory (events
 * worker -> application, commands application -> worker). Event payloads
 * stay in the mbufs the worker filled: hsod opens each TLS record straight
 * into them, hso_app_poll() hands out pointers into them, and
 * hso_app_release() gives them back. hso_app_send() copies once, into the
 * mbufs it sends, leaving room around the plaintext so hsod seals each into
 * a TLS record where it lies and transmits that very mbuf: one copy each
 * way, the application's.
 *
 * Attaching:
 *  - another process: start it as a DPDK secondary process of hsod
 *    (`--proc-type=secondary --file-prefix PREFIX`, PREFIX being hsod's
 *    `--file-prefix`; hsod must run on hugepages, not `--in-memory`), call
 *    rte_eal_init(), then hso_app_attach(). hsod must run with
 *    `--app external` to hand sessions to attached applications;
 *  - in hsod's own process (the built-in `--app http` and `--app echo`):
 *    the same calls.
 * Several applications may attach at once (up to HSO_APP_MAX); hsod gives
 * each new session to one of them, round robin per worker.
 *
 * Threading: one thread per attached application calls hso_app_poll(),
 * hso_app_release(), hso_app_send(), hso_app_close() and hso_app_flush()
 * (the rings are single-consumer/single-producer per application).
 *
 * Flow control, without loss:
 *  - receive: plaintext that was delivered but not yet released counts
 *    against the connection's budget (hsod `--app-conn-budget`; each DATA
 *    event costs its length plus HSO_APP_EVENT_COST, so tiny events cannot
 *    pin an unbounded number of mbufs); when it is
 *    spent, or the event ring is full, hsod stops reading that connection
 *    and its TCP receive window closes. Releasing events reopens it. So an
 *    application that holds on to DATA events (because its own output is
 *    blocked) pushes back on the client.
 *  - send: hso_app_send() accepts a message only when the connection's
 *    send window (HSO_APP_SEND_WINDOW mbufs in flight: queued, or sent and
 *    not yet acknowledged by the client) and the command queue have room
 *    for all of it, otherwise -EAGAIN and nothing is queued; try again
 *    after the next hso_app_poll(). Each send becomes its own TLS record
 *    (up to 1920 bytes per mbuf) unless it carries HSO_SEND_MORE
 *    (hso_app_send_flags()): then hsod seals it together with the sends
 *    that follow in one record (up to 16 KiB), as long as they reach it
 *    in the same burst.
 *
 * Liveness: hsod watches every attached process; when one exits or is
 * killed, hsod closes that application's connections (close_notify, FIN),
 * frees its slot and keeps serving the others. A restarted application
 * attaches again. Mbufs a killed application was holding (events not yet
 * released, commands not yet sent) are taken back when its slot is freed:
 * each carries its holder's tag (apps_mbufs_reclaimed in /hso/stats).
 *
 * Key export (HSO_APP_KEYS): the session event then also carries the
 * traffic secrets, keys, IVs and next record sequence numbers, so the
 * application can run the record layer itself (kTLS, a SmartNIC). hsod
 * refuses the attach unless it runs with `--export-keys`. Whoever holds
 * these keys can read and forge the session: the library wipes them from
 * the event's mbuf on hso_app_release(); wipe any copy you make.
 *
 * Errors: constructors return NULL and set errno; other calls return 0 (or
 * a count) and -errno on failure.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Version of the shared-memory layout; attach fails on a mismatch.
 * 5: struct hso_session carries the address family and 16-byte addresses.
 */
#define HSO_APP_ABI 5

/** Applications that can be attached to one hsod at once. */
#define HSO_APP_MAX 4

/** Send mbufs a connection may have queued in hsod (hso_app_send()). */
#define HSO_APP_SEND_WINDOW 32

/** Largest single hso_app_send(): HSO_APP_SEND_WINDOW full mbufs. */
#define HSO_APP_SEND_MAX (HSO_APP_SEND_WINDOW * 1920u)

/** Budget charged per DATA event on top of its bytes (see flow control). */
#define HSO_APP_EVENT_COST 512u

/** hso_app_attach() flags. */
enum hso_app_flags {
	HSO_APP_KEYS = 1u << 0,         /**< session events carry traffic keys */
};

/** hso_app_send_flags() flags. */
enum hso_send_flags {
	/**
	 * More follows: seal this send with the next ones into one record
	 * (fewer, larger records for many small writes; like MSG_MORE). A send
	 * without it ends the record.
	 */
	HSO_SEND_MORE = 1u << 0,
};

enum hso_event_type {
	HSO_EV_OPEN = 1,        /**< a session: ev->session */
	HSO_EV_DATA,            /**< plaintext: ev->data, ev->len */
	/**
	 * The client ended its data (TLS 1.3 close_notify, or FIN): answer
	 * what is left, then hso_app_close(). After a TLS 1.2 close_notify
	 * hsod has already answered and closed (RFC 5246 7.2.1 discards
	 * pending writes): sends are dropped, HSO_EV_CLOSED follows.
	 */
	HSO_EV_PEER_CLOSED,
	HSO_EV_CLOSED,          /**< the connection is gone: ev->reason; last event */
};

/** Why a connection ended (HSO_EV_CLOSED). */
enum hso_close_reason {
	HSO_CLOSE_DONE = 1,     /**< closed in order (close_notify/FIN both ways) */
	HSO_CLOSE_RESET,        /**< reset by the client or the network */
	HSO_CLOSE_TLS_ERROR,    /**< a TLS alert was sent or received */
	HSO_CLOSE_TIMEOUT,      /**< idle or retransmission timeout */
	HSO_CLOSE_ABORTED,      /**< hsod gave it up (limits, stopping, app gone) */
};

/** Traffic keys (HSO_APP_KEYS). Client = what the client writes. */
struct hso_keys {
	uint8_t key_len;                /**< 16 or 32 */
	uint8_t iv_len;                 /**< 12; TLS 1.2 AES-GCM: 4 (the salt) */
	uint8_t secret_len;             /**< TLS 1.3 traffic secret; 0 for 1.2 */
	uint8_t aead;                   /**< 1 AES-128-GCM, 2 AES-256-GCM, 3 ChaCha20-Poly1305 */
	uint8_t client_secret[48], server_secret[48];
	uint8_t client_key[32], server_key[32];
	uint8_t client_iv[12], server_iv[12];
	uint8_t client_random[32];      /**< ClientHello.random: the key log's label */
	uint64_t client_seq;            /**< next record sequence number from the client */
	uint64_t server_seq;            /**< next record sequence number hsod would send */
};

/** hso_session.family: the connection's IP version. */
enum hso_family {
	HSO_FAMILY_IPV4 = 4,
	HSO_FAMILY_IPV6 = 6,
};

/**
 * What a session is: HSO_EV_OPEN. The client is the TCP peer that hsod
 * accepted, the server the address and port it accepted on.
 */
struct hso_session {
	uint8_t family;                 /**< enum hso_family */
	uint8_t pad_[3];
	/**
	 * IPv4 addresses in host byte order; 0 for IPv6 (read client_ip).
	 * Kept so IPv4-only applications need not change.
	 */
	uint32_t client_addr;
	uint32_t server_addr;
	uint16_t client_port, server_port;      /**< host byte order, both families */
	/**
	 * Addresses in network byte order, both families: the IPv6 address,
	 * or for IPv4 its IPv4-mapped form ::ffff:a.b.c.d (RFC 4291 2.5.5.2),
	 * so an application may treat every client as IPv6 (inet_ntop,
	 * sockaddr_in6). Tell the families apart by @c family, not by the
	 * address: an IPv6 client may itself use a mapped address.
	 */
	uint8_t client_ip[16];
	uint8_t server_ip[16];
	uint16_t version;               /**< 0x0303 TLS 1.2, 0x0304 TLS 1.3 */
	uint16_t suite;                 /**< IANA cipher suite */
	uint8_t resumed;                /**< 1: abbreviated handshake (ticket/session id) */
	uint8_t has_keys;               /**< @c keys is filled (HSO_APP_KEYS) */
	uint8_t sni_len, alpn_len;
	char sni[256];                  /**< server_name, NUL-terminated; "" when none */
	char alpn[256];                 /**< negotiated protocol, NUL-terminated; "" */
	struct hso_keys keys;
};

/** One event from hso_app_poll(). */
struct hso_event {
	/**
	 * Connection handle for send/close: generation << 32 | worker << 24 |
	 * slot. A handle goes stale when its connection ends: calls on it then
	 * fail with -ENOTCONN, however often the slot was reused since.
	 */
	uint64_t conn;
	uint16_t type;                  /**< enum hso_event_type */
	uint16_t reason;                /**< enum hso_close_reason (HSO_EV_CLOSED) */
	uint32_t len;                   /**< HSO_EV_DATA bytes */
	const uint8_t *data;            /**< HSO_EV_DATA plaintext */
	const struct hso_session *session; /**< HSO_EV_OPEN */
	void *priv;                     /**< the library's; hso_app_release() */
};

struct hso_app;

/**
 * Attach to the hsod whose DPDK shared memory this process sees (after
 * rte_eal_init(); a secondary process or hsod itself).
 * @param name   shown in hsod's telemetry and logs (at most 31 bytes kept)
 * @param flags  enum hso_app_flags
 * @return the application, or NULL with errno: ENOENT no hsod found (not
 *         started, other --file-prefix, or --in-memory); EPROTO another
 *         HSO_APP_ABI; EBUSY HSO_APP_MAX applications attached; EPERM keys
 *         asked for but hsod runs without --export-keys; ETIMEDOUT hsod did
 *         not answer within 5 s; ENOMEM.
 */
struct hso_app *hso_app_attach(const char *name, unsigned flags);

/**
 * Detach: queued commands go out (for up to 100 ms), then hsod closes this
 * application's connections (close_notify, FIN) and frees the slot. Release
 * the events you hold first: the library does not track them; hsod takes
 * their mbufs back when the slot is freed, after which touching them is a
 * use after free. Frees @p app.
 * @return 0; -ETIMEDOUT when hsod did not confirm within 5 s (it will
 *         still clean up: it watches the process).
 */
int hso_app_detach(struct hso_app *app);

/** Number of hsod workers (a connection handle names its worker). */
unsigned hso_app_workers(const struct hso_app *app);

/**
 * Connection slots per worker. hso_app_conn_index() of an open connection
 * is below hso_app_workers() * hso_app_conn_slots(): size per-connection
 * arrays with it.
 */
unsigned hso_app_conn_slots(const struct hso_app *app);

/**
 * Mbufs in hsod's pool. Every event an application holds unreleased holds
 * one of them, so an application that can hold this many events (plus a
 * ring's worth) never has to stop polling because a few connections are
 * blocked: it can always take the next connection's events.
 */
unsigned hso_app_pool_size(const struct hso_app *app);

/** A dense index for per-connection state, unique among open connections. */
unsigned hso_app_conn_index(const struct hso_app *app, uint64_t conn);

/** Worker of a connection handle. */
static inline unsigned
hso_app_conn_worker(uint64_t conn)
{
	return (unsigned)(conn >> 24) & 0xffu;
}

/**
 * Up to @p max events, from every worker in turn; also pushes queued
 * commands (hso_app_flush()). Every returned event must be given back with
 * hso_app_release(), in any order, sooner or later: a DATA event's bytes
 * count against its connection's budget until then.
 * @return events written to @p ev; -ESHUTDOWN when hsod dropped this
 *         application (hsod stopping, or it judged the process gone).
 */
int hso_app_poll(struct hso_app *app, struct hso_event *ev, unsigned max);

/** Give an event back (wipes keys; returns DATA bytes to the budget). */
void hso_app_release(struct hso_app *app, struct hso_event *ev);

/**
 * Queue @p len bytes of plaintext for the client (copied into mbufs).
 * @return 0 (all queued); -EAGAIN nothing queued: the connection's send
 *         window or the command queue is full, retry after hso_app_poll();
 *         -EMSGSIZE len > HSO_APP_SEND_MAX; -EINVAL bad handle; -ENOTCONN
 *         the connection is gone (its HSO_EV_CLOSED is on its way);
 *         -ENOMEM no mbuf now (the pool is empty): nothing queued either,
 *         the bytes are still the caller's. Retry them as after -EAGAIN:
 *         an application that takes -ENOMEM as sent (releasing the event
 *         it echoes) cuts them out of a stream that goes on, and the
 *         client reads the later bytes in their place without a TLS error.
 */
int hso_app_send(struct hso_app *app, uint64_t conn, const void *data, size_t len);

/**
 * hso_app_send() with @p flags (enum hso_send_flags): HSO_SEND_MORE lets
 * hsod seal this message and the next ones into one record.
 * @return as hso_app_send(); -EINVAL for unknown flags.
 */
int hso_app_send_flags(struct hso_app *app, uint64_t conn, const void *data, size_t len,
		       unsigned flags);

/**
 * Close after everything queued is sent: close_notify, then FIN. An
 * HSO_EV_CLOSED follows. @return 0; -EAGAIN (queue full); -EINVAL;
 * -ENOTCONN.
 */
int hso_app_close(struct hso_app *app, uint64_t conn);

/**
 * Shut down writing: after everything queued, close_notify and FIN; the
 * client's remaining data still arrives. @return as hso_app_close().
 */
int hso_app_shutdown(struct hso_app *app, uint64_t conn);

/**
 * Push queued commands to the workers' rings.
 * @return commands still queued (the rings were full), or -ESHUTDOWN.
 */
int hso_app_flush(struct hso_app *app);

/** Counters of this application (its own view). */
struct hso_app_stats {
	uint64_t events, opens, closes, data_bytes;
	uint64_t sends, send_bytes, send_eagain;
	/** Of send_eagain: the pool was at hsod's reserve (past this connection's share). */
	uint64_t send_pool_waits;
	/** Sends and closes that found no mbuf (-ENOMEM: nothing queued, to retry). */
	uint64_t send_nomem;
};

const struct hso_app_stats *hso_app_stats(const struct hso_app *app);

#ifdef __cplusplus
}
#endif

#endif
