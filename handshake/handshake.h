/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_H
#define HSO_HANDSHAKE_H

/**
 * @file
 * The TLS engine: TLS 1.3 (RFC 8446) and TLS 1.2 (RFC 5246 with RFC 7627
 * extended master secret and RFC 5746 renegotiation_info) state machines
 * with batched crypto. No sockets, no DPDK, no allocation per handshake.
 * This header is the server's contract and what both roles share; the
 * client's additions (config, start, sessions) are in hs_client.h.
 *
 * Objects and ownership:
 *
 *  - struct hs_config: the policy (versions, suites, groups, signature
 *    schemes, ALPN, certificates with their SNI names, limits). Built once,
 *    then shared read-only by every worker. Certificates it points to
 *    (struct hso_cert) must outlive it.
 *  - struct hs_worker: one per worker thread. Owns the crypto contexts
 *    (ipsec-mb managers, OpenSSL contexts, the multi-buffer KDF batch), the
 *    queue of connections waiting for crypto, and the pool of pre-generated
 *    ECDHE key pairs. Not thread-safe; nothing in it is shared.
 *  - struct hs_conn: one per connection, in memory the caller provides (a
 *    pool), with one caller-provided buffer (HS_CONN_BUF_SIZE bytes) that
 *    the engine splits into its input, reassembly, staging and output areas.
 *
 * Driving a connection (the caller does all I/O, BearSSL style):
 *
 *      buf = hs_conn_recv_buf(c, &room);   copy up to room received bytes
 *      hs_conn_recv_ack(c, n);             the engine parses what it can
 *      buf = hs_conn_send_buf(c, &len);    len bytes to transmit
 *      hs_conn_send_ack(c, n);             n of them were transmitted
 *
 * A handshake step that needs expensive crypto (an RSA decryption or
 * signature, an ECDHE derivation, a key-schedule stage) does not run it: it
 * queues a job in its worker and the connection waits (hs_conn_waiting()).
 * Once per burst the caller runs hs_worker_run(): the asymmetric jobs run
 * one after another, then every queued key-derivation request of every
 * connection runs as one multi-buffer batch (crypto_kdf.h), then each
 * connection resumes, possibly queueing its next stage; the worker repeats
 * until no connection waits, so a flight that needs three stages costs three
 * batch runs per burst, however many connections share them.
 *
 * After the handshake, hs_conn_app_read() and hs_conn_app_write() move
 * application data through the record layer; hs_conn_close() sends
 * close_notify.
 *
 * Errors follow hs_err.h: a failure is sticky (hs_conn_error()); the engine
 * has already queued the fatal alert in the output when it sets one.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bufpool.h"
#include "crypto.h"
#include "hs_err.h"
#include "messages.h"
#include "negotiate.h"
#include "record.h"

/** Default ticket lifetime in seconds (nginx's ssl_session_timeout is 300 s). */
#define HS_TICKET_LIFETIME_DEFAULT 7200u
/** Default TLS 1.2 session-id cache entries per worker. */
#define HS_SESSION_CACHE_DEFAULT 1024u

/** Certificates a config holds. */
#define HS_CONFIG_MAX_CERTS 16
/** Largest handshake message gathered in the connection's own buffer. */
#define HS_MSG_INLINE_MAX 16384u
/**
 * Largest handshake message accepted from a client by default: the largest
 * ClientHello its vectors allow, 2 + 32 + 1 + 32 + 2 + 65534 + 1 + 255 + 2 +
 * 65535 bytes (every list at its maximum), which OpenSSL accepts too. Those
 * above HS_MSG_INLINE_MAX gather in a buffer borrowed from the worker's pool.
 */
#define HS_MAX_MSG_DEFAULT 131396u
/** Ceiling of hs_config.max_handshake_msg: the 24-bit length field. */
#define HS_MAX_MSG_LIMIT 0xffffffu
/** Default number of those pool buffers per worker (large_msg_bufs). */
#define HS_LARGE_MSG_BUFS_DEFAULT 16u
/** Largest peer key-exchange payload kept: an RSA-4096 premaster ciphertext. */
#define HS_PEER_KX_MAX 512
/** Largest ServerKeyExchange signed data: randoms + params for a 65-byte share. */
#define HS_TBS_MAX (64 + HS_ECDH_PARAMS_LEN(65) + HS_CV_CONTENT_LEN(48))

/*
 * The connection buffer: input (one whole record as TLS 1.2 allows it),
 * reassembly (HS_MSG_INLINE_MAX; larger messages borrow from the worker's
 * pool, bufpool.h), staging for an
 * outgoing flight, and output (the flight as records: a header, up to 8
 * bytes of explicit nonce, a type byte and a tag per 2^14 bytes).
 */
#define HS_CONN_IN_SIZE (HS_RECORD_HEADER_LEN + HS_RECORD_CIPHERTEXT_MAX_12)
#define HS_CONN_GATHER_SIZE (HS_MSG_HEADER_LEN + HS_MSG_INLINE_MAX)
#define HS_CONN_STAGE_SIZE 32768u
#define HS_CONN_RECORD_OVERHEAD (HS_RECORD_HEADER_LEN + 8 + 1 + 16)
#define HS_CONN_OUT_SIZE \
	(HS_CONN_STAGE_SIZE + 4 * HS_CONN_RECORD_OVERHEAD + 2 * (HS_RECORD_HEADER_LEN + 18))
/** Bytes of the buffer hs_conn_init() takes. */
#define HS_CONN_BUF_SIZE \
	(HS_CONN_IN_SIZE + HS_CONN_GATHER_SIZE + HS_CONN_STAGE_SIZE + HS_CONN_OUT_SIZE)

struct hs_cert_slot {
	const struct hso_cert *cert;
	enum hs_cert_type type;
	bool is_default;          /**< served when no name matches the SNI */
};

/** Server policy, shared read-only by workers once built. */
struct hs_config {
	struct hs_nego_policy nego;
	struct hs_cert_slot certs[HS_CONFIG_MAX_CERTS];
	unsigned n_certs;
	/** Refuse a client whose SNI matches no certificate (else: default). */
	bool sni_strict;

	/*
	 * Resumption. Tickets (TLS 1.3 PSK, TLS 1.2 RFC 5077) are sealed with
	 * @c stek, which every worker reads (crypto_stek.h: rotate on a copy
	 * and publish it); NULL disables tickets.
	 */
	const struct hso_stek_set *stek;
	/** Ticket lifetime in seconds (RFC 8446 4.6.1: at most 604800). */
	uint32_t ticket_lifetime;
	/** Accept psk_ke (resumption without ECDHE, no forward secrecy). */
	bool psk_ke;
	/** TLS 1.2 session-id cache entries per worker; 0 disables the cache. */
	unsigned session_cache_size;
	/** Wall clock in milliseconds (tests replace it). */
	uint64_t (*now_ms)(void);
	/**
	 * Largest handshake message accepted from a client (HS_MAX_MSG_DEFAULT
	 * by default, at most HS_MAX_MSG_LIMIT); larger ones fail with
	 * decode_error. Above HS_MSG_INLINE_MAX a message is gathered in one
	 * of @c large_msg_bufs buffers of the worker's pool.
	 */
	uint32_t max_handshake_msg;
	/**
	 * Buffers per worker for messages above HS_MSG_INLINE_MAX, i.e. how
	 * many connections may be gathering one at once; when all are out the
	 * next such handshake fails with internal_error and is counted
	 * (hs_worker_stats.msg_pool.exhausted). Read by hs_worker_create().
	 */
	unsigned large_msg_bufs;
	/**
	 * Let hs_conn_export_keys() hand the traffic keys to the caller (for
	 * an application running the record layer itself: kTLS, a NIC).
	 * Off by default: whoever holds them can read and forge the session.
	 */
	bool export_keys;
	/**
	 * TLS 1.3: a client's close_notify closes only its direction (RFC 8446
	 * 6.1): the connection stays ESTABLISHED for writing, hs_conn_peer_closed()
	 * says so, and hs_conn_close() sends ours. Off: the engine answers with
	 * its close_notify at once (as TLS 1.2 always does, RFC 5246 7.2.1).
	 */
	bool half_close;
	/** Pads of the TLS 1.3 "derived" secret without PSK, per hash. */
	struct hso_hmac_key derived_nopsk[HSO_KDF_HASH_NUM];
	/** Hash of the empty string per hash, the context of "derived". */
	uint8_t empty_hash[HSO_KDF_HASH_NUM][HSO_HASH_MAX_LEN];
};

/**
 * Fill @p cfg with the default policy (hs_nego_policy_default()), no
 * certificate, no ticket keys (set cfg->stek to enable tickets), a ticket
 * lifetime of HS_TICKET_LIFETIME_DEFAULT, psk_ke allowed, a session cache
 * of HS_SESSION_CACHE_DEFAULT entries and the system's wall clock.
 * @return 0; -EIO if the constant key-schedule values cannot be computed.
 */
int hs_config_init(struct hs_config *cfg);

/**
 * Add a certificate (RSA, ECDSA P-256 or P-384) to @p cfg.
 * @param is_default  serve it when the client's SNI matches no certificate
 *                    (when no certificate is marked, the first one is)
 * @return 0; -ENOSPC when the config is full; -ENOTSUP for a key type the
 *         engine cannot serve.
 */
int hs_config_add_cert(struct hs_config *cfg, const struct hso_cert *cert,
		       bool is_default);

/** Wipe the config's secrets-derived values. Certificates are not freed. */
void hs_config_wipe(struct hs_config *cfg);

struct hs_conn;
struct hs_session_cache;
struct hs_buf_pool;

/** Engine states a handshake can fail in (hs_state_name()). */
#define HS_STATE_NUM 45

/**
 * Name of engine state @p state ("client_hello", "tls13_client_finished",
 * ...), for counters and logs; "?" out of range.
 */
const char *hs_state_name(unsigned state);

/** Counters of one worker. */
struct hs_worker_stats {
	uint64_t runs;              /**< hs_worker_run() calls that did work */
	uint64_t rounds;            /**< asym + KDF rounds across runs */
	uint64_t asym_jobs;
	uint64_t kdf_runs;          /**< multi-buffer batch runs */
	uint64_t kdf_requests;
	uint64_t pool_hits;         /**< ECDHE keys taken pre-generated */
	uint64_t pool_misses;       /**< generated on the critical path */
	uint64_t tickets_issued;
	uint64_t resumed;           /**< handshakes that resumed a session */
	uint64_t tickets_rejected;  /**< unknown key, expired, or mismatched */
	uint64_t cache_evictions;
	uint64_t keys_exported;
	uint64_t handshakes_completed;
	uint64_t handshakes_failed;
	uint64_t completed_tls12, completed_tls13;
	/** Completions per suite, indexed by hs_suite_index(). */
	uint64_t completed_by_suite[HS_SUITES_NUM];
	/** Failures per alert we sent (by description; 255: internal, no alert). */
	uint64_t failed_sent_alert[256];
	/** Failures per alert the peer sent. */
	uint64_t failed_peer_alert[256];
	/** Failures by the state the handshake was in (hs_state_name()). */
	uint64_t failed_in_state[HS_STATE_NUM];
	/** Buffers borrowed for handshake messages above HS_MSG_INLINE_MAX. */
	struct hs_buf_pool_stats msg_pool;
	/* Client workers. */
	uint64_t client_started;
	uint64_t client_keys_generated; /**< key pairs made for ClientHellos */
	uint64_t client_keys_reused;    /**< load mode: a worker key handed out again */
	uint64_t client_pms_encrypted;  /**< RSA premaster encryptions */
	uint64_t client_pms_reused;     /**< load mode: premaster + ciphertext reused */
	uint64_t client_verified;       /**< server signatures verified (full mode) */
	uint64_t client_chains_verified;
	uint64_t client_hrr;            /**< HelloRetryRequests answered */
	uint64_t client_sessions;       /**< resumable sessions received */
	uint64_t client_offered;        /**< sessions offered in a ClientHello */
	uint64_t client_tickets_too_long; /**< over HS_CLIENT_TICKET_MAX: not kept */
};

#define HS_POOL_MAX 64

/** Per-worker engine state. Fields are private; read stats through the struct. */
struct hs_worker {
	const struct hs_config *cfg;
	struct hso_imb_set imb;
	struct hso_asym_ctx *asym;
	struct hso_kdf_batch *kdf;
	unsigned max_conns;
	struct hs_conn **asym_q;    /**< waiting for an asymmetric job */
	unsigned n_asym;
	struct hs_conn **kdf_q;     /**< waiting for the KDF batch */
	unsigned n_kdf;
	struct hs_conn **run_q;     /**< scratch: the round being resumed */
	struct hso_ecdhe_key pool[2][HS_POOL_MAX];  /**< [0] X25519, [1] P-256 */
	unsigned pool_n[2];
	unsigned pool_target;
	struct hs_session_cache *cache;  /**< TLS 1.2 session ids, or NULL */
	/** Buffers for messages above HS_MSG_INLINE_MAX, or NULL when none are. */
	struct hs_buf_pool *msg_pool;
	struct hs_client_worker *cli;    /**< client state; NULL for a server worker */
	struct hs_worker_stats stats;
};

/**
 * Create a worker for up to @p max_conns connections waiting at once.
 * @return the worker, or NULL with errno EINVAL, ENOMEM, or ENOTSUP (no
 *         ipsec-mb manager runs on this CPU) or EIO (OpenSSL lacks an
 *         algorithm).
 */
struct hs_worker *hs_worker_create(const struct hs_config *cfg, unsigned max_conns);

/**
 * Serve connections started from now on with @p cfg (a reload: new
 * certificates or ticket keys). Connections already started keep the
 * config they began with (hs_conn_config()); the caller keeps the old one
 * alive until none uses it.
 */
void hs_worker_set_config(struct hs_worker *w, const struct hs_config *cfg);

/** Free @p w and its pooled keys. Its connections must be gone. */
void hs_worker_free(struct hs_worker *w);

/**
 * Run every queued crypto job, in rounds, resuming the connections that
 * waited, until none waits.
 * @return the number of rounds run (0 when there was nothing to do).
 */
int hs_worker_run(struct hs_worker *w);

/**
 * Pre-generate up to @p budget ECDHE key pairs (X25519 and P-256 in
 * turn) while the pool is below its target, e.g. in idle polls.
 * @return key pairs generated.
 */
unsigned hs_worker_pool_refill(struct hs_worker *w, unsigned budget);

/** Connection status, as the caller sees it. */
enum hs_status {
	HS_STATUS_HANDSHAKING = 0,
	HS_STATUS_ESTABLISHED,
	HS_STATUS_CLOSED,       /**< close_notify exchanged or sent */
	HS_STATUS_FAILED,       /**< hs_conn_error() says why */
};

/** Per-connection secrets and handshake state; private. */
struct hs_secrets {
	uint8_t shared[HSO_ECDHE_SECRET_MAX];   /* (EC)DHE output */
	uint8_t pms[HSO_TLS12_PREMASTER_LEN];   /* TLS 1.2 premaster */
	uint8_t th[HSO_HASH_MAX_LEN];           /* a transcript hash input */
	uint8_t th2[HSO_HASH_MAX_LEN];
	uint8_t hs[HSO_HASH_MAX_LEN];           /* TLS 1.3 handshake secret */
	uint8_t derived2[HSO_HASH_MAX_LEN];
	uint8_t master[HSO_HASH_MAX_LEN];       /* 1.3 master / 1.2 master (48) */
	uint8_t c_hs[HSO_HASH_MAX_LEN], s_hs[HSO_HASH_MAX_LEN];
	uint8_t c_ap[HSO_HASH_MAX_LEN], s_ap[HSO_HASH_MAX_LEN];
	uint8_t c_fin_key[HSO_HASH_MAX_LEN], s_fin_key[HSO_HASH_MAX_LEN];
	uint8_t c_key[HSO_AEAD_KEY_MAX], s_key[HSO_AEAD_KEY_MAX];
	uint8_t c_iv[HSO_AEAD_NONCE_LEN], s_iv[HSO_AEAD_NONCE_LEN];
	uint8_t c_key2[HSO_AEAD_KEY_MAX], s_key2[HSO_AEAD_KEY_MAX];
	uint8_t c_iv2[HSO_AEAD_NONCE_LEN], s_iv2[HSO_AEAD_NONCE_LEN];
	uint8_t key_block[2 * HSO_AEAD_KEY_MAX + 2 * HSO_AEAD_NONCE_LEN];
	uint8_t seed[64];                       /* TLS 1.2 PRF seeds */
	uint8_t seed2[64];
	uint8_t cf_expected[HSO_HASH_MAX_LEN];  /* client Finished we expect */
	uint8_t psk[HSO_HASH_MAX_LEN];          /* TLS 1.3 resumption PSK */
	uint8_t early[HSO_HASH_MAX_LEN];        /* early secret from the PSK */
	uint8_t early_derived[HSO_HASH_MAX_LEN];
	uint8_t binder_key[HSO_HASH_MAX_LEN];
	uint8_t binder_fin[HSO_HASH_MAX_LEN];
	uint8_t binder_expected[HSO_HASH_MAX_LEN];
	uint8_t binder_recv[HSO_HASH_MAX_LEN];
	uint8_t res_master[HSO_HASH_MAX_LEN];
	uint8_t ticket_psk[HSO_HASH_MAX_LEN];   /* PSK of the ticket we issue */
	uint8_t sf[HSO_HASH_MAX_LEN];           /* our Finished */
};

struct hs_proto_ops;
struct hs_client_config;

/** One connection. Members are private to the engine. */
struct hs_conn {
	struct hs_worker *w;
	const struct hs_config *cfg;
	/* Per-version, per-role behaviour (engine_priv.h), set at negotiation. */
	const struct hs_proto_ops *ops;
	/* Client connections: their config (hs_client.h); NULL for a server's. */
	const struct hs_client_config *ccfg;
	uint8_t state;
	uint8_t job;                /* asymmetric job queued, or 0 */
	bool waiting;               /* queued in the worker */
	int err;                    /* sticky error (hs_err.h) */
	enum hs_status status;

	/* negotiated */
	uint16_t version;
	uint16_t client_version;    /* ClientHello.legacy_version */
	uint16_t suite;
	uint16_t group;
	uint16_t sigalg;
	const struct hs_suite_info *si;
	const struct hso_cert *cert;
	bool ems;
	bool reneg_info;
	bool hrr_sent;
	bool client_sent_ticket_ext; /* TLS 1.2: session_ticket offered */
	bool sni_ack;
	uint8_t alpn_len;
	uint8_t alpn[255];
	uint8_t sni_len;
	char sni[HS_SNI_MAX + 1];
	uint8_t session_id_len;
	uint8_t session_id[32];
	uint8_t client_random[32];
	uint8_t server_random[32];
	bool ccs_seen;
	uint8_t warn_alerts;        /* warning alerts in a row, ignored so far */
	/* TLS 1.3: what the ClientHello after our HRR must repeat (RFC 8446 4.1.2). */
	uint8_t ch1_digest[HS_CH_RETRY_DIGEST_LEN];
	bool resumed;               /* this handshake resumed a session */
	bool psk_dhe;               /* TLS 1.3 PSK with ECDHE (psk_dhe_ke) */
	bool ticket_wanted;         /* issue a ticket on completion */
	uint16_t psk_identity;
	uint8_t sni_raw_len;        /* the client's SNI as sent, for tickets */

	/* buffers (carved from the caller's) */
	uint8_t *in;
	size_t in_len;
	size_t rec_len;             /* bytes of in[] the current record takes */
	bool rec_active;            /* in[] holds a record being consumed */
	uint8_t rec_type;
	struct hs_reader rec;       /* what is left of its plaintext */
	struct hs_msg_asm asm_;
	uint8_t *stage;
	size_t stage_len;
	uint8_t *out;
	size_t out_len;
	/* Most bytes ever held, per area: hs_conn_reset() wipes just these. */
	size_t in_hw, stage_hw, out_hw;
	size_t app_off;             /* application data consumed in rec */

	/* record protection */
	struct hso_record_prot rd, wr;
	bool rd_on, wr_on;
	bool rd_opened;             /* a protected record was opened this epoch */

	struct hso_hash th;         /* transcript */
	/* TLS 1.2 key block, kept only when cfg->export_keys. */
	uint8_t kb_export[2 * HSO_AEAD_KEY_MAX + 2 * HSO_AEAD_NONCE_LEN];
	/* TLS 1.3 application traffic secrets, kept for KeyUpdate. */
	uint8_t c_ap[HSO_HASH_MAX_LEN], s_ap[HSO_HASH_MAX_LEN];
	bool compat_ccs;            /* client asked for middlebox compatibility */
	bool wr_shut;               /* our close_notify is sent; still reading */
	bool rd_closed;             /* the peer's close_notify came; still writing */
	uint32_t early_skip;        /* early data bytes still allowed to skip */
	struct hso_ecdhe_key eph;
	uint16_t peer_kx_len;
	uint8_t peer_kx[HS_PEER_KX_MAX];
	uint16_t tbs_len;
	uint8_t tbs[HS_TBS_MAX];
	uint16_t sig_len;
	uint8_t sig[HSO_SIG_MAX];
	struct hs_secrets s;

	/* Client connections only (hs_client.h). */
	struct hso_ecdhe_key eph2;  /* second TLS 1.3 key share */
	int8_t key_slot[2];         /* load mode: worker key slot per share, -1: eph/eph2 */
	int8_t pms_slot;            /* load mode: worker premaster slot, -1: none */
	uint8_t n_shares;
	uint8_t share_idx;          /* TLS 1.3: the share the server took */
	uint16_t share_group[2];
	bool ccs_sent;              /* our compatibility change_cipher_spec */
	bool cert_requested;        /* answer with an empty Certificate */
	bool psk_offered;           /* TLS 1.3 PSK / TLS 1.2 session offered */
	bool ticket_expected;       /* TLS 1.2: NewSessionTicket announced */
	bool have_session;          /* something resumable arrived */
	uint8_t psk_modes;
	uint8_t sess_secret_len;
	uint16_t offer_suite;       /* suite of the session offered */
	bool offer_ems;
	uint16_t binders_at;        /* offset of the PSK binders in the staged hello */
	uint16_t offer_ticket_len;  /* ticket offered (in ticket_area) */
	uint16_t new_ticket_len;    /* ticket received (in ticket_area) */
	uint32_t new_lifetime, new_age_add;
	uint64_t new_received_ms;
	uint8_t *ticket_area;       /* HS_CLIENT_TICKET_MAX bytes at the stage's end */
	size_t stage_cap;           /* staging bytes for flights */
	const uint8_t *pend_msg;    /* Certificate being checked by a job */
	size_t pend_len;
	int verify_rc;              /* result of the signature / chain job */
	struct hso_peer_key peer;   /* full mode: the server's key */
	struct hso_hash th_alt;     /* SHA-384 transcript until the suite is known */
	uint8_t sess_secret[48];    /* TLS 1.2 master / TLS 1.3 ticket PSK */
	uint8_t res_master[HSO_HASH_MAX_LEN];
	uint8_t sf_recv[HSO_HASH_MAX_LEN];
};

/**
 * Start a server connection.
 * @param buf  HS_CONN_BUF_SIZE bytes, owned by the caller, untouched by
 *             anyone else until the connection is reset
 * @return 0; -EINVAL for NULL arguments or a buffer that is too small.
 */
int hs_conn_init(struct hs_conn *c, struct hs_worker *w, uint8_t *buf, size_t len);

/** Wipe the connection's secrets and buffers; @p c may then be reused. */
void hs_conn_reset(struct hs_conn *c);

/** Where to put received bytes, and how many fit (*room, may be 0). */
uint8_t *hs_conn_recv_buf(struct hs_conn *c, size_t *room);

/**
 * @p n bytes were written at hs_conn_recv_buf(). The engine consumes what it
 * can now (it may queue crypto and wait).
 * @return 0 (also while waiting for more bytes or for crypto), or the sticky
 *         error.
 */
int hs_conn_recv_ack(struct hs_conn *c, size_t n);

/** Bytes ready to send (*len, may be 0). */
const uint8_t *hs_conn_send_buf(const struct hs_conn *c, size_t *len);

/** @p n of the bytes from hs_conn_send_buf() were sent. */
void hs_conn_send_ack(struct hs_conn *c, size_t n);

/** The config this connection was started with. */
static inline const struct hs_config *
hs_conn_config(const struct hs_conn *c)
{
	return c->cfg;
}

/** True while the connection waits for its worker's crypto. */
static inline bool
hs_conn_waiting(const struct hs_conn *c)
{
	return c->waiting;
}

static inline enum hs_status
hs_conn_status(const struct hs_conn *c)
{
	return c->status;
}

/** The sticky error (0 when none). */
static inline int
hs_conn_error(const struct hs_conn *c)
{
	return c->err;
}

/**
 * Copy up to @p cap bytes of received application data to @p dst.
 * @return bytes copied (0: none available now), or the sticky error.
 */
int hs_conn_app_read(struct hs_conn *c, uint8_t *dst, size_t cap);

/** Plaintext bytes hs_conn_app_read() would return now (this record's). */
size_t hs_conn_app_pending(const struct hs_conn *c);

/**
 * Seal up to @p len bytes of application data into the output.
 * @return bytes accepted (less than @p len when the output is full: send,
 *         then write the rest); -ENOTCONN before the handshake completes;
 *         or the sticky error.
 */
int hs_conn_app_write(struct hs_conn *c, const uint8_t *src, size_t len);

/** Send close_notify (RFC 8446 6.1); the connection becomes CLOSED. */
int hs_conn_close(struct hs_conn *c);

/**
 * Close the write side only: send close_notify and stay ESTABLISHED for
 * reading (RFC 8446 6.1 lets each side close its write side on its own);
 * hs_conn_app_write() then fails with -EPIPE, and the peer's close_notify
 * makes the connection CLOSED without a second close_notify.
 * @return 0; -ENOTCONN unless established; the sticky error.
 */
int hs_conn_shutdown(struct hs_conn *c);

/**
 * The peer's close_notify came and the connection stays open for writing
 * (TLS 1.3 with cfg->half_close): no more data will arrive.
 */
bool hs_conn_peer_closed(const struct hs_conn *c);

/** What a completed handshake negotiated, for the dataplane and logs. */
struct hs_session_info {
	uint16_t version;
	uint16_t suite;
	const char *suite_name;
	uint16_t group;             /**< 0 for TLS 1.2 RSA key exchange */
	uint16_t sigalg;            /**< 0 when nothing was signed */
	bool ems;
	const char *sni;            /**< "" when none */
	const uint8_t *alpn;
	size_t alpn_len;
	/** The certificate served; NULL when the session was resumed. */
	const struct hso_cert *cert;
	bool resumed;
};

/** Fill @p info; valid once the connection is ESTABLISHED. */
void hs_conn_session_info(const struct hs_conn *c, struct hs_session_info *info);

/** Traffic keys of an established connection (hs_conn_export_keys()). */
struct hs_traffic_keys {
	uint16_t version;
	uint16_t suite;
	enum hso_aead_alg alg;
	uint8_t key_len;
	uint8_t iv_len;             /**< 12; TLS 1.2 AES-GCM: the 4-byte salt */
	uint8_t secret_len;         /**< TLS 1.3 traffic secrets; 0 for TLS 1.2 */
	uint8_t c_secret[HSO_HASH_MAX_LEN], s_secret[HSO_HASH_MAX_LEN];
	uint8_t c_key[HSO_AEAD_KEY_MAX], s_key[HSO_AEAD_KEY_MAX];
	uint8_t c_iv[HSO_AEAD_NONCE_LEN], s_iv[HSO_AEAD_NONCE_LEN];
	uint8_t client_random[32];  /**< the key log's label (NSS SSLKEYLOGFILE) */
	uint64_t c_seq;             /**< next client record sequence number */
	uint64_t s_seq;             /**< next server record sequence number */
};

/**
 * Copy the current traffic keys, secrets and sequence numbers, so that the
 * application can run the record layer itself. Private keys never leave.
 * Wipe @p k (OPENSSL_cleanse) when done with it.
 * @return 0; -EPERM unless cfg->export_keys; -ENOTCONN unless established;
 *         -EIO when the TLS 1.3 key derivation fails.
 */
int hs_conn_export_keys(const struct hs_conn *c, struct hs_traffic_keys *k);

/**
 * Send a TLS 1.3 KeyUpdate (RFC 8446 4.6.3) and move to the next write
 * secret; with @p request_peer, ask the peer to update too.
 * @return 0; -ENOTCONN unless an established TLS 1.3 connection; the
 *         sticky error.
 */
int hs_conn_key_update(struct hs_conn *c, bool request_peer);

#endif
