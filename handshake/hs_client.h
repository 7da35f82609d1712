/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_HS_CLIENT_H
#define HSO_HANDSHAKE_HS_CLIENT_H

/**
 * @file
 * The TLS client engine: TLS 1.3 (RFC 8446) and TLS 1.2 (RFC 5246, RFC 7627
 * EMS, RFC 5746 renegotiation_info, RFC 5077 tickets) client state machines
 * on the server's codecs, record layer and per-worker crypto batch. It is
 * the engine of hso-gen, the load generator, and is driven exactly like a
 * server connection (handshake.h): the caller does all I/O through the
 * same hs_conn_recv_buf()/_ack(), hs_conn_send_buf()/_ack(),
 * hs_conn_app_read()/_write(), hs_conn_close(), hs_conn_status(),
 * hs_conn_session_info(), hs_conn_key_update() and, once per burst,
 * hs_worker_run(). No sockets, no DPDK, no allocation per handshake.
 *
 * Objects:
 *
 *  - struct hs_client_config: what the client offers (versions, suites,
 *    groups in preference order, signature schemes, ALPN), the SNI, the
 *    mode (below), the CA store for chain verification and the resumption
 *    kind. Built once, shared read-only by every worker. It embeds a
 *    struct hs_config (@c base) whose negotiation policy holds the offered
 *    lists and whose record-layer settings (half_close, export_keys,
 *    max_handshake_msg, now_ms) apply to client connections as they do to
 *    server ones.
 *  - struct hs_worker: hs_worker_create_client() makes a worker for client
 *    connections (the same object as the server's: crypto contexts, the
 *    batch, and the client's per-worker caches of `load` mode).
 *  - struct hs_conn: hs_conn_init_client() starts one client connection in
 *    caller memory (the same resident state as a server's);
 *    hs_conn_client_start() borrows a handshake context from the worker's
 *    pool and puts the ClientHello in its output (it may first wait for
 *    its worker: the key share is an asymmetric job). The context goes
 *    back at hs_conn_hctx_release() or hs_conn_reset(), as for a server.
 *
 * Modes (struct hs_client_config.mode):
 *
 *  - HS_CLIENT_FULL: a fresh key share per handshake; the server's
 *    signature (TLS 1.3 CertificateVerify, TLS 1.2 ServerKeyExchange) is
 *    verified with OpenSSL against the leaf's public key; with a CA store
 *    the chain is verified too (X509_STORE, the SNI as host name), a
 *    failure being bad_certificate / unknown_ca / certificate_expired /
 *    decrypt_error as RFC 8446 6.2 asks.
 *  - HS_CLIENT_LOAD: what a load generator needs to cost less than the
 *    server it loads: each worker reuses one key pair per group for
 *    @c key_share_reuse handshakes before generating the next; neither the
 *    signature nor the chain is verified; for TLS 1.2 RSA key exchange the
 *    premaster is encrypted once per server key (per worker) and the same
 *    premaster and ciphertext are sent again (the one encryption, and the
 *    key pair made every key_share_reuse handshakes, run where the need is
 *    found: in hs_conn_client_start() or a job). Every message is still a
 *    valid TLS handshake: a server cannot tell the modes apart (the random
 *    values are fresh every time; the transcript, Finished and record
 *    protection are computed and checked as in full mode).
 *
 * Resumption: once a connection is established, hs_conn_client_session()
 * copies what resumes it (TLS 1.2: master secret with the session id and/or
 * the ticket; TLS 1.3: the PSK of the first NewSessionTicket, which arrives
 * after the handshake, so ask again after reading); pass that to
 * hs_conn_client_start() of a new connection to offer it. Which one is
 * offered follows @c resume in the config. The session is kept in the
 * handshake context: take it before hs_conn_hctx_release() (a TLS 1.3
 * client that wants a ticket releases after the first one came).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handshake.h"

/** Default handshakes per key pair in load mode. */
#define HS_CLIENT_KEY_REUSE_DEFAULT 1000u
/** Largest ticket kept for resumption (longer ones are not resumable). */
#define HS_CLIENT_TICKET_MAX 2048u
/** Key shares a TLS 1.3 ClientHello carries at most. */
#define HS_CLIENT_MAX_SHARES 2

/** Per-connection verification and cost model. */
enum hs_client_mode {
	HS_CLIENT_FULL = 0,     /**< fresh key share, signature (+ chain) verified */
	HS_CLIENT_LOAD,         /**< key share reused, nothing verified, RSA pms reused */
};

/** What the client offers to resume a session with. */
enum hs_client_resume {
	HS_RESUME_NONE = 0,     /**< never offer a session */
	HS_RESUME_TICKET,       /**< TLS 1.2 ticket (RFC 5077) / TLS 1.3 PSK, psk_dhe_ke */
	HS_RESUME_SESSION_ID,   /**< TLS 1.2 session id only (no session_ticket ext) */
	HS_RESUME_PSK_KE,       /**< TLS 1.3 PSK without ECDHE (psk_ke only) */
};

/** Client policy, shared read-only by workers once built. */
struct hs_client_config {
	/**
	 * Versions (nego.tls12, nego.tls13), suites, groups, signature schemes
	 * and ALPN (wire form) offered, in preference order; record-layer
	 * settings. hs_client_config_init() fills it.
	 */
	struct hs_config base;
	/** TLS 1.3 key shares in the first ClientHello: the first n groups (1..2). */
	uint8_t n_key_shares;
	/** server_name to send (RFC 6066), "" for none; also the host name checked. */
	char sni[HS_SNI_MAX + 1];
	enum hs_client_mode mode;
	/** Load mode: handshakes one worker's key pair serves (>= 1). */
	uint32_t key_share_reuse;
	/** Full mode: verify the chain against these CAs (hso_ca_store_load()); NULL: signature only. */
	const struct hso_ca_store *ca;
	enum hs_client_resume resume;
	/** Offer extended_master_secret (RFC 7627); on by default. */
	bool ems;
	/** TLS 1.3 middlebox compatibility (RFC 8446 D.4): session id + CCS. */
	bool compat_mode;
	/** Refuse a TLS 1.2 server without EMS (RFC 7627 5.4 allows it). */
	bool require_ems;
};

/**
 * Fill @p cc with the defaults: TLS 1.2 and 1.3, every suite, group and
 * scheme hso implements (hs_nego_policy_default()), one key share, no SNI,
 * no ALPN, full mode without CA store, key_share_reuse
 * HS_CLIENT_KEY_REUSE_DEFAULT, resumption by ticket, EMS offered,
 * compatibility mode on, the system clock.
 * @return 0; -EIO if the constant key-schedule values cannot be computed.
 */
int hs_client_config_init(struct hs_client_config *cc);

/**
 * Set the server name sent and, with a CA store, checked (NULL or "": none).
 * @return 0; -EINVAL for a name longer than HS_SNI_MAX.
 */
int hs_client_config_set_sni(struct hs_client_config *cc, const char *name);

/**
 * Create a worker for client connections (same object, batch and
 * hs_worker_run() as a server's worker).
 * @return the worker, or NULL with errno EINVAL (NULL @p cc, bad
 *         n_key_shares or key_share_reuse), ENOMEM, ENOTSUP (no ipsec-mb
 *         manager for this CPU) or EIO (OpenSSL lacks an algorithm).
 */
struct hs_worker *hs_worker_create_client(const struct hs_client_config *cc,
					  unsigned max_conns);

/** A resumable session, as the client keeps it (plain data; wipe it). */
struct hs_client_session {
	uint16_t version;           /**< HS_TLS12 or HS_TLS13; 0: empty */
	uint16_t suite;
	bool ems;
	uint8_t secret_len;
	uint8_t secret[48];         /**< TLS 1.2 master secret / TLS 1.3 PSK */
	uint8_t session_id_len;     /**< TLS 1.2 */
	uint8_t session_id[32];
	uint16_t ticket_len;
	uint8_t ticket[HS_CLIENT_TICKET_MAX];
	uint32_t lifetime;          /**< seconds (TLS 1.3 ticket_lifetime / 1.2 hint) */
	uint32_t age_add;           /**< TLS 1.3 ticket_age_add */
	uint64_t received_ms;       /**< when the ticket arrived (cfg now_ms) */
	uint8_t sni_len;
	char sni[HS_SNI_MAX + 1];   /**< the name it was made for */
};

/**
 * Start a client connection. It takes its offer, mode and SNI from @p cc
 * (which must outlive it); the handshake-message size limit and the pool
 * for large messages are the worker's config's.
 * @param buf  ignored (NULL, 0), as for hs_conn_init()
 * @return 0; -EINVAL for NULL arguments or a worker not made by
 *         hs_worker_create_client().
 */
int hs_conn_init_client(struct hs_conn *c, struct hs_worker *w,
			const struct hs_client_config *cc, uint8_t *buf, size_t len);

/**
 * Begin the handshake: the ClientHello goes into the output, at once or
 * after the next hs_worker_run() (hs_conn_waiting()) when a key share has
 * to be generated.
 * @param resume  a session from hs_conn_client_session() to offer, or NULL;
 *                ignored when it does not fit the config (version off,
 *                suite not offered, other SNI, expired ticket)
 * @return 0; -EALREADY when already started; -ENOTCONN for a server
 *         connection; the sticky error (HS_ERR_NO_HCTX when the worker has
 *         no handshake context free, HS_ERR_INTERNAL when the ClientHello
 *         cannot be built).
 */
int hs_conn_client_start(struct hs_conn *c, const struct hs_client_session *resume);

/**
 * Copy what resumes this connection's session into @p s.
 * @return 0; -ENOTCONN unless the connection is established (or closed
 *         after being established); -ENOENT when the server gave nothing
 *         resumable (TLS 1.3: no NewSessionTicket read yet; TLS 1.2: no
 *         ticket and an empty session id) or the handshake context was
 *         released; -EINVAL for a server connection.
 */
int hs_conn_client_session(const struct hs_conn *c, struct hs_client_session *s);

/** Wipe @p s (OPENSSL_cleanse). */
void hs_client_session_wipe(struct hs_client_session *s);

/** True for a connection started with hs_conn_init_client(). */
bool hs_conn_is_client(const struct hs_conn *c);

#endif
