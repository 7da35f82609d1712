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
 *    queue of connections waiting for crypto, the pool of pre-generated
 *    ECDHE key pairs, the pool of handshake contexts and the cache of
 *    expanded AEAD keys (both below). Not thread-safe; nothing in it is
 *    shared.
 *  - struct hs_conn: one per connection, in memory the caller provides:
 *    only what an established connection needs (HS_CONN_RESIDENT_MAX, 512
 *    bytes at most: traffic keys, IVs and sequence numbers, TLS 1.3 application
 *    secrets for KeyUpdate, version, suite, ALPN, status, a small output
 *    area for alerts and KeyUpdate).
 *
 * Memory: what a handshake needs only while it runs (transcript hash, key
 * schedule secrets, ephemeral keys, peer key share, signature, session id
 * and ticket work, and the input, reassembly, staging and output buffers
 * of handshake records, about 100 KiB) is a handshake context borrowed from
 * the worker's pool of hs_config.max_handshakes contexts: by the server at
 * the first record it is given, by the client at hs_conn_client_start().
 * An empty pool fails the connection with HS_ERR_NO_HCTX before it reads
 * anything (refuse it; counted in hs_worker_stats.hctx.exhausted). Secrets
 * in it are wiped as soon as the handshake ends (success or failure); the
 * context itself goes back, wiped, at hs_conn_hctx_release() (call it once
 * the session is handed over and hs_conn_send_buf() is empty) or at
 * hs_conn_reset(). The pool is one allocation made by hs_worker_create()
 * and touched only as contexts are first used: nothing is allocated per
 * handshake, and nothing grows with the number of idle connections.
 *
 * AES-GCM needs an expanded key schedule (round keys and GHASH powers, 1 KiB
 * with ipsec-mb's AVX-512 layout) per key. An idle connection keeps raw
 * keys; the worker keeps the expanded keys of the connections it used last
 * in a cache of hs_config.key_cache entries (hs_worker_stats.key_cache_*),
 * expanding a key again (~0.4 us) when it was evicted.
 *
 * Driving a handshake (the caller does all I/O, BearSSL style), with bytes
 * copied in:
 *
 *      buf = hs_conn_recv_buf(c, &room);   copy up to room received bytes
 *      hs_conn_recv_ack(c, n);             the engine parses what it can
 *      buf = hs_conn_send_buf(c, &len);    len bytes to transmit
 *      hs_conn_send_ack(c, n);             n of them were transmitted
 *
 * or, one whole record at a time from the caller's segments (mbufs), which
 * is also how application data is read once the handshake is done (zero-copy
 * record I/O, below):
 *
 *      len = hs_conn_record_size(c, hdr);  a record's length from its header
 *      hs_conn_open_record(c, rec, n, dst, n_dst, &rx);
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
 * After the handshake, application data moves either through the engine's
 * own buffers (hs_conn_app_read(), hs_conn_app_write(): a copy each way,
 * and the handshake context stays held), or in the caller's memory with
 * hs_conn_open_record() and hs_conn_seal_record() (no copy: records are
 * opened and sealed in place; or one copy, into the caller's buffers).
 * hs_conn_close() sends close_notify. Do not mix the two on one connection.
 *
 * Errors follow hs_err.h: a failure is sticky (hs_conn_error()); the engine
 * has already queued the fatal alert in the output when it sets one.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "bufpool.h"
#include "crypto.h"
#include "hs_err.h"
#include "hs_stats.h"
#include "messages.h"
#include "negotiate.h"
#include "record.h"

/** Default ticket lifetime in seconds (nginx's ssl_session_timeout is 300 s). */
#define HS_TICKET_LIFETIME_DEFAULT 7200u
/** Default TLS 1.2 session-id cache entries per worker. */
#define HS_SESSION_CACHE_DEFAULT 1024u
/** Most TLS 1.2 session-id cache entries per worker. */
#define HS_SESSION_CACHE_MAX (1u << 20)

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
/** Ceiling of hs_config.max_handshakes (the crypto batch holds 12 requests each). */
#define HS_MAX_HANDSHAKES_LIMIT 65536u
/** Default hs_config.key_cache: expanded keys per worker (~1.1 KiB each). */
#define HS_KEY_CACHE_DEFAULT 2048u
/**
 * Resident output of a connection without handshake context: room for a
 * TLS 1.3 KeyUpdate (5 + 5 + 1 + 16 = 27) and a TLS 1.2 AES-GCM alert
 * (5 + 8 + 2 + 16 = 31) queued by one call.
 */
#define HS_CTL_OUT_SIZE 64u
/**
 * Most bytes struct hs_conn takes (checked at build time): the engine's
 * share of an idle connection (416 now), so that TCP state and the
 * application's slot fit beside it in 2 KiB. Handshake-only state belongs
 * in struct hs_hctx (engine_priv.h), not here.
 */
#define HS_CONN_RESIDENT_MAX 512u
/** Largest peer key-exchange payload kept: an RSA-4096 premaster ciphertext. */
#define HS_PEER_KX_MAX 512
/** Largest ServerKeyExchange signed data: randoms + params for a 65-byte share. */
#define HS_TBS_MAX (64 + HS_ECDH_PARAMS_LEN(65) + HS_CV_CONTENT_LEN(48))

/*
 * The handshake context's buffers: input (one whole record as TLS 1.2
 * allows it), reassembly (HS_MSG_INLINE_MAX; larger messages borrow from
 * the worker's pool, bufpool.h), staging for an outgoing flight, and output
 * (the flight as records: a header, up to 8 bytes of explicit nonce, a type
 * byte and a tag per 2^14 bytes).
 */
#define HS_CONN_IN_SIZE (HS_RECORD_HEADER_LEN + HS_RECORD_CIPHERTEXT_MAX_12)
#define HS_CONN_GATHER_SIZE (HS_MSG_HEADER_LEN + HS_MSG_INLINE_MAX)
#define HS_CONN_STAGE_SIZE 32768u
#define HS_CONN_RECORD_OVERHEAD (HS_RECORD_HEADER_LEN + 8 + 1 + 16)
#define HS_CONN_OUT_SIZE \
	(HS_CONN_STAGE_SIZE + 4 * HS_CONN_RECORD_OVERHEAD + 2 * (HS_RECORD_HEADER_LEN + 18))
/**
 * Formerly the size of the buffer hs_conn_init() took; connections take
 * none now (their buffers are in the pooled handshake context). Kept so that
 * callers written for it still build; any value is accepted.
 */
#define HS_CONN_BUF_SIZE 1u

/**
 * Bytes of a flight besides the Certificate message (and CertificateStatus):
 * TLS 1.2 ServerHello (at most ~370 with a 255-byte ALPN name),
 * ServerKeyExchange (~590 with RSA-4096) and ServerHelloDone, or TLS 1.3
 * EncryptedExtensions (~270), CertificateVerify (~520) and Finished, with
 * room to spare. A chain and its OCSP response must fit in the rest of the
 * staging area (hs_config_add_cert(), hs_config_set_ocsp()).
 */
#define HS_FLIGHT_OTHER_MAX 2048u
/** Largest Certificate + CertificateStatus a flight holds. */
#define HS_CERT_FLIGHT_MAX (HS_CONN_STAGE_SIZE - HS_FLIGHT_OTHER_MAX)

struct hs_cert_slot {
	const struct hso_cert *cert;
	enum hs_cert_type type;
	bool is_default;          /**< the operator's: served when no name matches */
	/**
	 * Served when the SNI matches no certificate: the certificates marked
	 * default (or the first when none is), and the certificates of the
	 * other key types that share a name with them (their dual partners).
	 */
	bool serve_default;
	/** OCSP response stapled for clients that ask (status_request), or NULL. */
	const struct hso_ocsp *ocsp;
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
	 * Handshake contexts per worker: how many connections may be
	 * handshaking at once (each holds one from its first record, or from
	 * hs_conn_client_start(), until hs_conn_hctx_release() or
	 * hs_conn_reset()). 0: the @p max_conns given to hs_worker_create().
	 * Read by hs_worker_create(); at most HS_MAX_HANDSHAKES_LIMIT.
	 */
	unsigned max_handshakes;
	/**
	 * Expanded AEAD keys a worker caches (HS_KEY_CACHE_DEFAULT when 0):
	 * two per connection exchanging data at once keep every record free
	 * of key expansion. Read by hs_worker_create().
	 */
	unsigned key_cache;
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
 *
 * Several certificates may answer one name when their key types differ (a
 * dual RSA + ECDSA pair, or a triple with P-384): each handshake chooses
 * among them by the client's signature schemes and suites
 * (hs_nego_cert()). Two of one key type answering one name (the same DNS
 * name or wildcard in both) are refused: only one of them could ever serve
 * it. Names match per key type, exact before wildcard (hs_select_certs):
 * an exact name overrides a wildcard of its own key type only.
 *
 * @param is_default  serve it when the client's SNI matches no certificate
 *                    (when no certificate is marked, the first one is); its
 *                    dual partners (other key types sharing a name) with it.
 *                    At most one default per key type.
 * @return 0; -ENOSPC when the config is full; -ENOTSUP for a key type the
 *         engine cannot serve; -EEXIST when it clashes with a certificate
 *         already added (hs_config_cert_clash() says which); -E2BIG when its
 *         Certificate message would not fit in a flight (HS_CERT_FLIGHT_MAX).
 */
int hs_config_add_cert(struct hs_config *cfg, const struct hso_cert *cert,
		       bool is_default);

/**
 * The certificate of @p cfg that @p cert would clash with (hs_config_add_cert()).
 * @param name  set to the name both answer, or NULL for two defaults of
 *              one key type
 * @return its index in cfg->certs, or -1 when there is none.
 */
int hs_config_cert_clash(const struct hs_config *cfg, const struct hso_cert *cert,
			 bool is_default, const char **name);

/**
 * Staple @p ocsp (checked by hso_ocsp_load() against @p cert) for clients
 * that ask, in TLS 1.2 CertificateStatus and TLS 1.3 CertificateEntry
 * status_request; served while now < ocsp->next_update (then skipped and
 * counted, hs_worker_stats.ocsp_staples_expired). @p ocsp must outlive the
 * config; NULL removes it.
 * @return 0; -ENOENT when @p cert is not in @p cfg; -E2BIG when the chain
 *         and the response do not fit in a flight (HS_CERT_FLIGHT_MAX).
 */
int hs_config_set_ocsp(struct hs_config *cfg, const struct hso_cert *cert,
		       const struct hso_ocsp *ocsp);

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

/** Counters of one worker: declared in hs_stats.h. */
struct hs_worker_stats {
#define HS_STATS_FIELD(field, ...) uint64_t field;
	HS_WORKER_COUNTERS(HS_STATS_FIELD)
#undef HS_STATS_FIELD
#define HS_STATS_ARRAY(field, type, n, ...) type field[n];
	HS_WORKER_COUNTER_ARRAYS(HS_STATS_ARRAY)
#undef HS_STATS_ARRAY
	/** Buffers borrowed for handshake messages above HS_MSG_INLINE_MAX. */
	struct hs_buf_pool_stats msg_pool;
	/**
	 * Handshake contexts (hs_config.max_handshakes): borrowed, exhausted
	 * (connections refused with HS_ERR_NO_HCTX), in use now, most at once.
	 */
	struct hs_buf_pool_stats hctx;
#define HS_STATS_FIELD(field, ...) uint64_t field;
	HS_CLIENT_COUNTERS(HS_STATS_FIELD)
#undef HS_STATS_FIELD
};

#define HS_POOL_MAX 64

/** Per-worker engine state. Fields are private; read stats through the struct. */
struct hs_worker {
	const struct hs_config *cfg;
	struct hso_imb_set imb;
	struct hso_asym_ctx *asym;
	struct hso_kdf_batch *kdf;
	unsigned max_conns;         /**< handshake contexts, hence connections waiting at once */
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
	/** Handshake contexts (struct hs_hctx), max_conns of them. */
	struct hs_buf_pool *hctx_pool;
	/** Expanded AEAD keys of the connections used last (record_keys.c). */
	struct hs_key_cache *kc;
	struct hs_client_worker *cli;    /**< client state; NULL for a server worker */
	struct hs_worker_stats stats;
};

/**
 * Create a worker. Its pool has cfg->max_handshakes handshake contexts
 * (@p max_conns when that is 0), which bounds the connections handshaking
 * (and waiting for crypto) at once; its key cache cfg->key_cache entries.
 * Both are one allocation each, touched only as they are used.
 * @return the worker, or NULL with errno EINVAL (more than
 *         HS_MAX_HANDSHAKES_LIMIT contexts, none), ENOMEM, or ENOTSUP (no
 *         ipsec-mb manager runs on this CPU) or EIO (OpenSSL lacks an
 *         algorithm).
 */
struct hs_worker *hs_worker_create(const struct hs_config *cfg, unsigned max_conns);

/**
 * Bytes hs_worker_create(@p cfg, @p max_conns) may use at most (its
 * queues, key-schedule batch, session cache, large-message pool, handshake
 * contexts and key cache with every one of them in use; not the crypto
 * libraries' own), from the real structure sizes: for checks before
 * allocating. Of @p cfg it reads session_cache_size, max_handshake_msg,
 * large_msg_bufs, max_handshakes and key_cache.
 */
size_t hs_worker_mem_size(const struct hs_config *cfg, unsigned max_conns);

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

struct hs_proto_ops;
struct hs_client_config;
struct hs_hctx;

/**
 * One direction's record protection as a connection keeps it: raw key, IV
 * and sequence number (68 bytes). The expanded key ipsec-mb works with is in
 * the worker's key cache under @c kid. Private.
 */
struct hs_dir {
	uint8_t key[HSO_AEAD_KEY_MAX];
	uint8_t iv[HSO_AEAD_NONCE_LEN];  /* TLS 1.2 AES-GCM: the salt in iv[0..3] */
	uint8_t alg;                     /* enum hso_aead_alg */
	uint8_t ver;                     /* enum hso_tls_ver */
	uint8_t key_len;
	bool exhausted;                  /* 2^64 records done: no more */
	uint32_t slot;                   /* key cache entry it was last in */
	uint64_t seq;                    /* next record's sequence number */
	uint64_t kid;                    /* key id in the cache; 0: no key */
};

/**
 * One connection: what stays while it lives (the handshake's working state
 * is in a struct hs_hctx from the worker's pool, @c hx, while it handshakes).
 * Members are private to the engine.
 */
struct hs_conn {
	struct hs_worker *w;
	const struct hs_config *cfg;
	/* Per-version, per-role behaviour (engine_priv.h), set at negotiation. */
	const struct hs_proto_ops *ops;
	/* Client connections: their config (hs_client.h); NULL for a server's. */
	const struct hs_client_config *ccfg;
	/* The handshake context (engine_priv.h), or NULL. */
	struct hs_hctx *hx;
	const struct hs_suite_info *si;
	const struct hso_cert *cert;
	/* The ALPN protocol chosen (no length byte), in the config's list. */
	const uint8_t *alpn;

	/* record protection */
	struct hs_dir rd, wr;
	union {
		/* TLS 1.3 application traffic secrets, kept for KeyUpdate. */
		struct {
			uint8_t c_ap[HSO_HASH_MAX_LEN], s_ap[HSO_HASH_MAX_LEN];
		};
		/* TLS 1.2 key block, kept only when cfg->export_keys. */
		uint8_t kb_export[2 * HSO_AEAD_KEY_MAX + 2 * HSO_AEAD_NONCE_LEN];
	};

	int err;                    /* sticky error (hs_err.h) */
	enum hs_status status;
	uint16_t version;
	uint16_t suite;
	uint16_t group;
	uint16_t sigalg;
	uint8_t state;
	uint8_t job;                /* asymmetric job queued, or 0 */
	bool waiting;               /* queued in the worker */
	uint8_t alpn_len;
	bool ems;
	uint8_t warn_alerts;        /* warning alerts in a row, ignored so far */
	bool resumed;               /* this handshake resumed a session */
	bool rd_on, wr_on;
	bool rd_opened;             /* a protected record was opened this epoch */
	bool wr_shut;               /* our close_notify is sent; still reading */
	bool rd_closed;             /* the peer's close_notify came; still writing */

	/* A post-handshake handshake message being read (record_io.c). */
	uint8_t ph_mode;
	uint8_t ph_have;            /* bytes of ph_buf / of the gathered message */
	uint8_t ph_buf[HS_MSG_HEADER_LEN + 4];  /* header + a short body */
	uint32_t ph_left;           /* body bytes still to come */

	/* Output without handshake context: alerts, KeyUpdate, close_notify. */
	uint16_t ctl_len;
	uint8_t ctl[HS_CTL_OUT_SIZE];
};

/**
 * Start a server connection in @p c (caller memory, sizeof(struct hs_conn)
 * bytes; what it holds is described above). It takes no handshake context
 * yet: that happens at its first record.
 * @param buf  ignored (NULL, 0): the connection's buffers come from the
 *             worker's pool of handshake contexts. Kept so that callers
 *             written for the earlier per-connection buffer still build.
 * @return 0; -EINVAL for NULL arguments.
 */
int hs_conn_init(struct hs_conn *c, struct hs_worker *w, uint8_t *buf, size_t len);

/**
 * Wipe the connection's keys and secrets, give its handshake context back
 * (wiped) if it holds one, and cancel its queued crypto; @p c may then be
 * reused.
 */
void hs_conn_reset(struct hs_conn *c);

/**
 * Where to put received bytes, and how many fit (*room, may be 0). A server
 * connection borrows its handshake context here the first time; when none
 * is free it fails with HS_ERR_NO_HCTX and *room is 0. Without a context
 * (released) *room is 0.
 */
uint8_t *hs_conn_recv_buf(struct hs_conn *c, size_t *room);

/**
 * @p n bytes were written at hs_conn_recv_buf() (ack every byte written, also
 * on a failed connection: they are wiped with the context). The engine
 * consumes what it can now (it may queue crypto and wait).
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
 * Copy up to @p cap bytes of received application data (fed with
 * hs_conn_recv_buf()/_ack()) to @p dst.
 * @return bytes copied (0: none available now, or no handshake context),
 *         or the sticky error.
 */
int hs_conn_app_read(struct hs_conn *c, uint8_t *dst, size_t cap);

/** Plaintext bytes hs_conn_app_read() would return now (this record's). */
size_t hs_conn_app_pending(const struct hs_conn *c);

/**
 * Seal up to @p len bytes of application data into the output (the
 * handshake context's: a copy; hs_conn_seal_record() seals in the caller's
 * memory instead).
 * @return bytes accepted (less than @p len when the output is full: send,
 *         then write the rest); -ENOTCONN before the handshake completes;
 *         -ENOBUFS without handshake context; or the sticky error.
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
	/**
	 * The client's server_name, "" when none; points into the handshake
	 * context: valid until hs_conn_hctx_release() ("" afterwards).
	 */
	const char *sni;
	const uint8_t *alpn;        /**< the protocol (no length byte), in the config */
	size_t alpn_len;
	/** The certificate served; NULL when the session was resumed. */
	const struct hso_cert *cert;
	bool resumed;
	/**
	 * An OCSP response was stapled (server: sent; client: received). Kept
	 * in the handshake context: valid until hs_conn_hctx_release() (false
	 * afterwards).
	 */
	bool ocsp_stapled;
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
 * Wipe @p k (OPENSSL_cleanse) when done with it. The client random (the
 * key log's label) is in the handshake context: export before
 * hs_conn_hctx_release().
 * @return 0; -EPERM unless cfg->export_keys; -ENOTCONN unless established;
 *         -ENOENT after hs_conn_hctx_release(); -EIO when the TLS 1.3 key
 *         derivation fails.
 */
int hs_conn_export_keys(const struct hs_conn *c, struct hs_traffic_keys *k);

/**
 * Send a TLS 1.3 KeyUpdate (RFC 8446 4.6.3) and move to the next write
 * secret; with @p request_peer, ask the peer to update too.
 * @return 0; -ENOTCONN unless an established TLS 1.3 connection; the
 *         sticky error.
 */
int hs_conn_key_update(struct hs_conn *c, bool request_peer);

/* ------------------------------------------------------------------ */
/* Handshake contexts                                                 */
/* ------------------------------------------------------------------ */

/** Handshake contexts of @p w not in use now (a dataplane may refuse a SYN at 0). */
unsigned hs_worker_hctx_available(const struct hs_worker *w);

/** True while @p c holds a handshake context. */
bool hs_conn_hctx_held(const struct hs_conn *c);

/**
 * Give the connection's handshake context back to the worker's pool
 * (wiped), leaving only its resident state. Call it once the handshake is
 * over (ESTABLISHED, CLOSED or FAILED), after taking from it what is needed
 * (hs_conn_session_info()'s @c sni, hs_conn_export_keys(),
 * hs_conn_client_session()) and every byte of hs_conn_send_buf(). From
 * then on the connection reads and writes with hs_conn_open_record() and
 * hs_conn_seal_record() only (hs_conn_recv_buf() has no room,
 * hs_conn_app_read() returns 0, hs_conn_app_write() fails with -ENOBUFS),
 * and what the engine sends by itself (alerts, KeyUpdate, close_notify)
 * waits in a resident area of HS_CTL_OUT_SIZE bytes: take it with
 * hs_conn_send_buf() after every call. A TLS 1.3 client keeps no
 * NewSessionTicket that comes after this (client_tickets_late).
 * @return 0 (also when none was held); -EBUSY while handshaking, while the
 *         output holds bytes (or, established, the engine's input), while a
 *         NewSessionTicket is half read, or while the connection waits for
 *         crypto (a failed one too: after the next hs_worker_run()).
 */
int hs_conn_hctx_release(struct hs_conn *c);

/* ------------------------------------------------------------------ */
/* Zero-copy record I/O                                               */
/* ------------------------------------------------------------------ */

/*
 * Records in the caller's memory (mbufs), described by struct iovec lists:
 * the caller frames the byte stream into records (hs_conn_record_size()),
 * hands each whole record to hs_conn_open_record(), and seals what it sends
 * with hs_conn_seal_record() (in place) or hs_conn_seal_record_copy() (into
 * one buffer). Nothing here copies a record into the engine once the
 * handshake is done; while it runs, hs_conn_open_record() copies handshake
 * records into the handshake context.
 *
 * Order: records leave in the order they were sealed, and bytes the engine
 * queued itself (hs_conn_send_buf(): handshake flights, tickets, KeyUpdate,
 * alerts) leave before any record sealed after them. hs_conn_seal_record()
 * refuses with -EAGAIN while hs_conn_send_buf() has bytes, so a caller that
 * queues each sealed record for transmission at once (before its next call
 * into the engine for that connection) cannot reorder them.
 *
 * Sizes (RFC 8446 5.2, RFC 5246 6.2.3.3, RFC 5288 3, RFC 7905 2; no TLS 1.3
 * padding is sent):
 *
 *   version, AEAD        headroom                  tailroom
 *   TLS 1.3, any         5 (header)                17 (content type + tag)
 *   TLS 1.2, AES-GCM     13 (header + explicit IV) 16 (tag)
 *   TLS 1.2, ChaCha20    5 (header)                16 (tag)
 */

/** Largest hs_conn_seal_headroom(): TLS 1.2 AES-GCM, header + explicit nonce. */
#define HS_SEAL_HEADROOM_MAX 13u
/** Largest hs_conn_seal_tailroom(): TLS 1.3, inner content type + tag. */
#define HS_SEAL_TAILROOM_MAX 17u
/** Largest record hs_conn_open_record() accepts (TLS 1.2: 2^14 + 2048 fragment). */
#define HS_RECORD_MAX (HS_RECORD_HEADER_LEN + HS_RECORD_CIPHERTEXT_MAX_12)

/**
 * Bytes before the plaintext of a record sealed in place (the header, and
 * TLS 1.2 AES-GCM's explicit nonce). Valid once the connection is
 * ESTABLISHED (the suite is known); 0 before.
 */
size_t hs_conn_seal_headroom(const struct hs_conn *c);

/** Bytes after the plaintext of a record sealed in place; 0 before ESTABLISHED. */
size_t hs_conn_seal_tailroom(const struct hs_conn *c);

/**
 * Bytes hs_conn_open_record() may write to its destination for a record of
 * @p rec_len bytes (header included): the whole decrypted fragment (TLS
 * 1.3: content, content type and any padding), at least the content. 0 for
 * a record too short to hold any.
 */
size_t hs_conn_open_room(const struct hs_conn *c, size_t rec_len);

/**
 * Length of the record whose header is @p hdr (HS_RECORD_HEADER_LEN bytes
 * at the start of what the peer sent next), header included, checked as
 * the engine's state requires (RFC 8446 5.1-5.2, RFC 5246 6.2: known
 * content type, major version 3, length within the ceiling for protected
 * or plaintext records). Wait until that many bytes are there, then give
 * them to hs_conn_open_record().
 * @return the record length (6 .. HS_RECORD_MAX); the sticky error for a bad
 *         header (the connection fails, its alert queued).
 */
int hs_conn_record_size(struct hs_conn *c, const uint8_t hdr[HS_RECORD_HEADER_LEN]);

/** What hs_conn_open_record() found in a record. */
struct hs_rx {
	uint8_t type;       /**< content type: HS_CT_APPLICATION_DATA, ..., 0 while handshaking */
	uint16_t off;       /**< in place: offset of the plaintext from the record's first byte */
	uint16_t len;       /**< bytes of application data (the return value) */
};

/**
 * Take one whole record (hs_conn_record_size() bytes) from the segments
 * @p rec[0..n). While the handshake runs it is copied into the handshake
 * context and processed there (the server borrows the context at its first
 * record: HS_ERR_NO_HCTX when none is free); afterwards it is decrypted
 * straight from the segments:
 *
 *  - @p dst NULL: in place. The plaintext replaces the ciphertext where it
 *    lies: application data is at record offsets [rx->off, rx->off +
 *    rx->len) of the segments (a header of 5 or 13 bytes before it; content
 *    type, padding and tag after it belong to nobody). No copy.
 *  - @p dst[0..n_dst): decrypted into those buffers (e.g. the application's
 *    mbufs), whose total length must reach hs_conn_open_room(); the data
 *    is their first rx->len bytes. One copy; the segments are not written.
 *
 * Alerts, KeyUpdate (answered when asked, RFC 8446 4.6.3), tickets (a client
 * with its context keeps the first), close_notify and renegotiation
 * attempts (refused, no_renegotiation) are handled here: they return 0,
 * and their answer, if any, is in hs_conn_send_buf(). Data after the peer's
 * close_notify is ignored (RFC 8446 6.1).
 *
 * @param rx  filled (may be NULL)
 * @return bytes of application data (0 for a record that carried none);
 *         -EAGAIN (nothing taken: the connection waits for hs_worker_run(),
 *         or the engine still holds input of its own: offer the record
 *         again after the next hs_worker_run() or hs_conn_app_read());
 *         -EINVAL (segments that do not add up to one whole record, not
 *         sticky); -ENOBUFS (@p dst shorter than hs_conn_open_room(), not
 *         sticky); the sticky error (bad_record_mac, decode_error, ...:
 *         the connection failed and its alert is queued).
 */
int hs_conn_open_record(struct hs_conn *c, const struct iovec *rec, unsigned n,
			const struct iovec *dst, unsigned n_dst, struct hs_rx *rx);

/**
 * Seal application data into one record, in place: each segment's
 * plaintext is replaced by its ciphertext where it lies; the record header
 * (hs_conn_seal_headroom() bytes) is written to @p hdr and the trailer
 * (hs_conn_seal_tailroom() bytes: TLS 1.3 content type, then the tag) to
 * @p trl. The record is hdr || data[0..n) || trl; with @p hdr right before
 * data[0] and @p trl right after data[n - 1] (the headroom and tailroom of
 * the same buffer) it is one contiguous record. Several segments make one
 * record out of several sends (coalescing), without a copy.
 *
 * @param data  at most HS_RECORD_PLAINTEXT_MAX bytes in total, at least 1
 * @return the record length (headroom + data + tailroom); -ENOTCONN before
 *         the handshake completes; -EPIPE after hs_conn_close() or
 *         hs_conn_shutdown(); -EAGAIN while hs_conn_send_buf() has bytes
 *         (send them first); -EMSGSIZE for more than
 *         HS_RECORD_PLAINTEXT_MAX bytes or none; the sticky error (the
 *         write sequence number is exhausted: internal_error).
 */
int hs_conn_seal_record(struct hs_conn *c, const struct iovec *data, unsigned n,
			uint8_t *hdr, uint8_t *trl);

/**
 * Seal application data from @p data[0..n) into one record at @p dst (one
 * copy, e.g. small sends gathered into one buffer). data[0] may start at
 * dst + hs_conn_seal_headroom() (that part is then sealed in place); no
 * other segment may overlap @p dst.
 * @return the record length, or as hs_conn_seal_record(); -ENOBUFS when
 *         @p cap is smaller than the record.
 */
int hs_conn_seal_record_copy(struct hs_conn *c, const struct iovec *data, unsigned n,
			     uint8_t *dst, size_t cap);

#endif
