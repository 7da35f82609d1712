/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_ENGINE_PRIV_H
#define HSO_HANDSHAKE_ENGINE_PRIV_H

/*
 * Internals shared by the engine's files: conn.c (life cycle), record_io.c
 * (records, shared by client and server), batch.c (the worker's crypto
 * rounds), config.c, and the state machines tls13.c / tls12.c (server),
 * tls13_client.c / tls12_client.c (client).
 */

#include "client_hello.h"
#include "handshake.h"
#include "messages.h"

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


/*
 * A handshake context: everything a connection needs only while it
 * handshakes, borrowed from the worker's pool (hs_hctx_get(), conn.c) and
 * given back wiped (hs_hctx_put()). The struct is all zeros while in the
 * pool: the fields are wiped whole, the buffers up to the most bytes each
 * ever held (*_hw), which is everything written to them.
 */
struct hs_hctx {
	/* Input: the record being consumed. */
	size_t in_len;
	size_t rec_len;             /* bytes of in[] the current record takes */
	bool rec_active;            /* in[] holds a record being consumed */
	uint8_t rec_type;
	struct hs_reader rec;       /* what is left of its plaintext */
	size_t app_off;             /* application data consumed in rec */
	struct hs_msg_asm asm_;
	size_t stage_len;
	size_t stage_cap;           /* staging bytes for flights */
	size_t out_len;
	/* Most bytes ever held, per area: hs_hctx_put() wipes just these. */
	size_t in_hw, stage_hw, out_hw;

	struct hso_hash th;         /* transcript */
	uint16_t client_version;    /* ClientHello.legacy_version */
	bool hrr_sent;
	bool client_sent_ticket_ext; /* TLS 1.2: session_ticket offered */
	bool sni_ack;
	bool reneg_info;
	bool ccs_seen;
	bool psk_dhe;               /* TLS 1.3 PSK with ECDHE (psk_dhe_ke) */
	bool ticket_wanted;         /* issue a ticket on completion */
	bool compat_ccs;            /* client asked for middlebox compatibility */
	/*
	 * OCSP staple: server, from hs_pick_cert() to the Certificate: asked
	 * for and configured; then: sent. Client: one was received.
	 */
	bool staple;
	uint16_t psk_identity;
	uint8_t sni_raw_len;        /* the client's SNI as sent, for tickets */
	uint8_t sni_len;
	char sni[HS_SNI_MAX + 1];
	uint8_t session_id_len;
	uint8_t session_id[32];
	uint8_t client_random[32];
	uint8_t server_random[32];
	/* TLS 1.3: what the ClientHello after our HRR must repeat (RFC 8446 4.1.2). */
	uint8_t ch1_digest[HS_CH_RETRY_DIGEST_LEN];
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
	bool status_expected;       /* TLS 1.2: a CertificateStatus may come next */
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
	const uint8_t *pend_msg;    /* Certificate being checked by a job */
	size_t pend_len;
	int verify_rc;              /* result of the signature / chain job */
	struct hso_peer_key peer;   /* full mode: the server's key */
	struct hso_hash th_alt;     /* SHA-384 transcript until the suite is known */
	uint8_t sess_secret[48];    /* TLS 1.2 master / TLS 1.3 ticket PSK */
	uint8_t res_master[HSO_HASH_MAX_LEN];
	uint8_t sf_recv[HSO_HASH_MAX_LEN];

	/* Buffers: wiped up to their high-water marks. */
	uint8_t in[HS_CONN_IN_SIZE];
	uint8_t gather[HS_CONN_GATHER_SIZE];
	uint8_t stage[HS_CONN_STAGE_SIZE];
	uint8_t out[HS_CONN_OUT_SIZE];
};

/* The worker's cache of expanded AEAD keys (record_keys.c). */
struct hs_kc_entry {
	struct hso_aead_key key;
	uint64_t kid;               /* the hs_dir.kid it holds; 0: free */
	uint8_t ref;                /* used since the clock hand last passed */
};

struct hs_key_cache {
	struct hs_kc_entry *e;      /* n entries, a mapping of their own */
	size_t map_len;
	unsigned n;
	unsigned hand;
	uint64_t next_kid;
};

/* Connection states. The *_JOB states wait for the worker. */
enum hs_state {
	ST_CLIENT_HELLO = 0,        /* expect ClientHello */
	ST13_CLIENT_HELLO2,         /* expect the ClientHello after HRR */
	ST13_ECDHE_JOB,             /* ECDHE derive running */
	ST13_HS_KEYS_JOB,           /* handshake keys + CertificateVerify */
	ST13_SF_JOB,                /* server Finished MAC */
	ST13_AP_KEYS_JOB,           /* application keys + expected client Finished */
	ST13_CLIENT_FINISHED,       /* expect client Finished */
	ST13_BINDER_JOB,            /* PSK binder check */
	ST13_RES_JOB,               /* resumption secret for the ticket */
	ST12_SKE_JOB,               /* ServerKeyExchange signature */
	ST12_CKE,                   /* expect ClientKeyExchange */
	ST12_PMS_JOB,               /* RSA decrypt or ECDHE derive */
	ST12_KEYS_JOB,              /* master secret, key block, client Finished */
	ST12_CCS,                   /* expect ChangeCipherSpec */
	ST12_CLIENT_FINISHED,       /* expect client Finished */
	ST12_SF_JOB,                /* server Finished */
	ST12_RESUME_JOB,            /* abbreviated: key block + server Finished */
	ST12_RESUME_CF_JOB,         /* abbreviated: expected client Finished */
	/* Client (hs_client.c, tls13_client.c, tls12_client.c). */
	STC_INIT,                   /* not started */
	STC_HELLO_JOB,              /* key shares generated, then ClientHello */
	STC_BINDER_JOB,             /* PSK binder, then ClientHello out */
	STC_SERVER_HELLO,           /* expect ServerHello (or HRR) */
	STC13_SH_JOB,               /* ECDHE derive + handshake secrets */
	STC13_EE,                   /* expect EncryptedExtensions */
	STC13_CERT,                 /* expect Certificate(Request) */
	STC13_CERT_JOB,             /* full: leaf key (+ chain) */
	STC13_CV,                   /* expect CertificateVerify */
	STC13_CV_JOB,               /* full: signature; expected server Finished */
	STC13_FINISHED,             /* expect server Finished */
	STC13_AP_JOB,               /* application secrets + our Finished */
	STC13_RES_JOB,              /* resumption master secret */
	STC12_CERT,                 /* expect Certificate */
	STC12_CERT_JOB,             /* full: leaf key (+ chain) */
	STC12_SKE,                  /* expect ServerKeyExchange (ECDHE) */
	STC12_SHD,                  /* expect CertificateRequest / ServerHelloDone */
	STC12_KX_JOB,               /* verify SKE, ECDHE / RSA premaster */
	STC12_KEYS_JOB,             /* master secret, key block, our Finished */
	STC12_CCS,                  /* expect [NewSessionTicket] ChangeCipherSpec */
	STC12_FINISHED,             /* expect server Finished */
	STC12_SF_JOB,               /* expected server Finished */
	STC12_RESUME_KEYS_JOB,      /* abbreviated: key block */
	STC12_RESUME_CF_JOB,        /* abbreviated: our Finished */
	ST_ESTABLISHED,
	ST_CLOSED,
	ST_FAILED,
};

/* Asymmetric jobs (struct hs_conn.job). */
enum hs_job {
	JOB_NONE = 0,
	JOB_ECDHE,                  /* (generate if needed) + derive -> s.shared */
	JOB_SIGN,                   /* sign tbs -> sig */
	JOB_SKE,                    /* generate if needed, params into tbs, sign */
	JOB_RSA,                    /* decrypt peer_kx -> s.pms */
	/* Client jobs (hs_client_run_job()). */
	JOB_C_KEYGEN,               /* key shares for the ClientHello */
	JOB_C_CERT,                 /* leaf key (+ chain) from the Certificate */
	JOB_C_VERIFY,               /* the server's signature over tbs */
	JOB_C_ECDHE,                /* (keygen +) derive -> s.shared */
	JOB_C_RSA,                  /* premaster + its encryption */
};

/* Load mode: a worker's key pairs, each reused for key_share_reuse handshakes. */
#define HS_CLI_KEY_SLOTS 4
#define HS_CLI_PMS_SLOTS 4
#define HS_CLI_PMS_DER_MAX 4096

struct hs_cli_key_slot {
	struct hso_ecdhe_key key;
	uint32_t uses;              /* handshakes it was handed to */
	uint32_t refs;              /* connections holding it now */
};

/* Load mode, RSA key exchange: one premaster per server key. */
struct hs_cli_pms_slot {
	uint16_t der_len;           /* 0: empty */
	uint16_t ct_len;            /* 0: not encrypted yet */
	uint32_t refs;
	uint8_t pms[HSO_TLS12_PREMASTER_LEN];
	uint8_t ct[HS_PEER_KX_MAX];
	uint8_t der[HS_CLI_PMS_DER_MAX];
};

/* The client's per-worker state. */
struct hs_client_worker {
	const struct hs_client_config *cc;
	struct hs_cli_key_slot keys[2][HS_CLI_KEY_SLOTS];   /* [0] X25519, [1] P-256 */
	uint8_t cur[2];
	struct hs_cli_pms_slot pms[HS_CLI_PMS_SLOTS];
	unsigned pms_next;
};

/*
 * Per-version, per-role behaviour, chosen when the version is negotiated
 * (struct hs_conn.ops): the record layer and the shared input loop call
 * through it instead of testing the version. Before negotiation a
 * connection has its role's "hello" ops (nothing protected yet).
 */
/* How a post-handshake message's body is taken (post_hs_begin()). */
enum hs_post_hs_mode {
	HS_PH_IDLE = 0,             /* no message being read */
	HS_PH_SKIP,                 /* read past it (refused or unwanted) */
	HS_PH_SHORT,                /* up to 4 bytes, kept in the connection */
	HS_PH_GATHER,               /* gathered in the handshake context */
};

struct hs_proto_ops {
	const char *name;
	uint16_t version;           /* 0 before negotiation */
	/* Largest protected fragment accepted (RFC 8446 5.2, RFC 5246 6.2.3). */
	size_t ct_max;
	/*
	 * A protected record whose outer type is not application_data: 1 when
	 * the version opens it anyway (TLS 1.2 types are all protected), 0 to
	 * take it as a plaintext alert, or an error.
	 */
	int (*outer_type)(struct hs_conn *c, const struct hs_record *r);
	/* A change_cipher_spec record holding the single byte 1. */
	int (*change_cipher_spec)(struct hs_conn *c);
	/* Server: the (first) ClientHello, once the version is chosen. */
	int (*client_hello)(struct hs_conn *c, const struct hs_client_hello *ch,
			    const struct hs_msg *m);
	/* One whole handshake message, while handshaking. */
	int (*handshake_msg)(struct hs_conn *c, const struct hs_msg *m);
	/*
	 * After the handshake, a handshake message of @p type and body @p len
	 * begins: an enum hs_post_hs_mode (HS_PH_GATHER only with a handshake
	 * context and a body that fits HS_MSG_INLINE_MAX) or an error. NULL
	 * before negotiation.
	 */
	int (*post_hs_begin)(struct hs_conn *c, uint8_t type, uint32_t len);
	/* ... and whole (short or gathered): handle it; @p at_end: it ends its record. */
	int (*post_hs_msg)(struct hs_conn *c, const struct hs_msg *m, bool at_end);
	/* The worker ran this connection's crypto: take the next step. */
	int (*resume)(struct hs_conn *c);
	/* The peer's close_notify may close its side only (RFC 8446 6.1). */
	bool half_close;
	/* Warning-level alerts do not end the connection (TLS 1.2 only). */
	bool warning_alerts;
	/* TLS 1.3 KeyUpdate (RFC 8446 4.6.3); NULL when the version has none. */
	int (*key_update)(struct hs_conn *c, bool request_peer);
	/* hs_conn_export_keys() for this version. */
	int (*export_keys)(const struct hs_conn *c, struct hs_traffic_keys *k);
	/* offsetof the hs_worker_stats counter of completions in this version;
	 * HS_STAT_NONE for the ops before negotiation, which never complete. */
	size_t completed_stat;
};
#define HS_STAT_NONE SIZE_MAX

/* Server before negotiation (conn.c); versions (tls13.c, tls12.c). */
extern const struct hs_proto_ops hs_server_hello_ops;
extern const struct hs_proto_ops hs13_server_ops;
extern const struct hs_proto_ops hs12_server_ops;

/* Export per version (conn.c), for the ops tables. */
int hs13_export_keys(const struct hs_conn *c, struct hs_traffic_keys *k);
int hs12_export_keys(const struct hs_conn *c, struct hs_traffic_keys *k);
int hs_ccs_refuse(struct hs_conn *c);
int hs_resume_none(struct hs_conn *c);

/* Handshake contexts (conn.c): borrow (0 or HS_ERR_NO_HCTX), give back wiped. */
int hs_hctx_get(struct hs_conn *c);
void hs_hctx_put(struct hs_conn *c);

/* Record keys and the worker's key cache (record_keys.c). */
struct hs_key_cache *hs_key_cache_create(unsigned n);
/** Bytes hs_key_cache_create(@p n) may use (every entry touched). */
size_t hs_key_cache_mem_size(unsigned n);
void hs_key_cache_free(struct hs_key_cache *kc);
int hs_dir_set(struct hs_conn *c, struct hs_dir *d, enum hso_tls_ver ver, const uint8_t *key,
	       const uint8_t *iv, size_t iv_len);
void hs_dir_wipe(struct hs_conn *c, struct hs_dir *d);
const struct hso_aead_key *hs_dir_key(struct hs_conn *c, struct hs_dir *d);
size_t hs_dir_head(const struct hs_dir *d);
size_t hs_dir_tail(const struct hs_dir *d);
void hs_dir_nonce(const struct hs_dir *d, uint64_t seq, uint8_t nonce[HSO_AEAD_NONCE_LEN]);
int hs_dir_seq_check(const struct hs_dir *d);
void hs_dir_seq_advance(struct hs_dir *d);

/* conn.c, record_io.c, batch.c, config.c */
int hs_conn_process(struct hs_conn *c);
int hs_handle_alert(struct hs_conn *c, const uint8_t *a, size_t len);
void hs_wipe_secrets(struct hs_conn *c);
int hs_fail(struct hs_conn *c, int err);
void hs_wait(struct hs_conn *c);
int hs_stage_msg_begin(struct hs_conn *c, struct hs_writer *w);
int hs_stage_msg_end(struct hs_conn *c, struct hs_writer *w, size_t start);
int hs_flush_stage(struct hs_conn *c);
int hs_write_record(struct hs_conn *c, uint8_t type, const uint8_t *data, size_t len);
int hs_kdf(struct hs_conn *c, int rc);
bool hs_at_key_change_boundary(const struct hs_conn *c);
int hs_take_pool_key(struct hs_conn *c, uint16_t group);
void hs_established(struct hs_conn *c);
enum hso_kdf_hash hs_kdf_hash(const struct hs_conn *c);
size_t hs_hash_len(const struct hs_conn *c);
enum hso_aead_alg hs_aead_alg(const struct hs_conn *c);
int hs_select_certs(struct hs_conn *c, const struct hs_client_hello *ch,
		    const struct hs_cert_slot **cand, unsigned *n, unsigned *types);
const struct hso_ocsp *hs_staple_get(struct hs_conn *c);
int hs_pick_cert(struct hs_conn *c, const struct hs_client_hello *ch,
		 const struct hs_cert_slot *const *cand, unsigned n, enum hs_kx kx);
int hs_random(uint8_t *out, size_t len);

/* hs_client.c, tls13_client.c, tls12_client.c */
extern const struct hs_proto_ops hs_client_hello_ops;
extern const struct hs_proto_ops hs13_client_ops;
extern const struct hs_proto_ops hs12_client_ops;
int hs_client_run_job(struct hs_worker *w, struct hs_conn *c);
void hs_client_release(struct hs_conn *c);
int hs_client_server_hello(struct hs_conn *c, const struct hs_msg *m);
int hs13c_server_hello(struct hs_conn *c, const struct hs_server_hello_in *sh,
		       const struct hs_msg *m);
int hs12c_server_hello(struct hs_conn *c, const struct hs_server_hello_in *sh,
		       const struct hs_msg *m);
int hs_client_send_hello(struct hs_conn *c);
int hs_client_take_key(struct hs_conn *c, unsigned i, uint16_t group);
const struct hso_ecdhe_key *hs_client_key(const struct hs_conn *c, unsigned i);
void hs_client_put_key(struct hs_conn *c, unsigned i);
bool hs_client_u16_in(const uint16_t *v, unsigned n, uint16_t x);
int hs_client_err_from_verify(int rc);

/* tls13.c */
int hs13_label(struct hs_conn *c, const uint8_t *secret, const char *lbl,
	       const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len, int dep);
int hs13_queue_handshake_keys(struct hs_conn *c);
int hs13_queue_ap_keys(struct hs_conn *c, const uint8_t *cf_ctx);
int hs13_prot_init(struct hs_conn *c, struct hs_dir *d, const uint8_t *key,
		   const uint8_t *iv);
int hs13_change_cipher_spec(struct hs_conn *c);
int hs13_client_hello(struct hs_conn *c, const struct hs_client_hello *ch,
		      const struct hs_msg *m);
int hs13_key_update_send(struct hs_conn *c, bool request_peer);
int hs13_post_hs_key_update(struct hs_conn *c, uint8_t type, uint32_t len);
int hs13_key_update_recv(struct hs_conn *c, const struct hs_msg *m, uint8_t *rd_secret,
			 bool at_end);

/* tls12.c */
void hs12_established(struct hs_conn *c);
int hs12_queue_keys(struct hs_conn *c);
int hs12_prot_init(struct hs_conn *c, struct hs_dir *d, bool client);
size_t hs12_iv_len(const struct hs_conn *c);
int hs12_client_hello(struct hs_conn *c, const struct hs_client_hello *ch,
		      const struct hs_msg *m);

#endif
