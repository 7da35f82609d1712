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
struct hs_proto_ops {
	const char *name;
	uint16_t version;           /* 0 before negotiation */
	/* Largest protected fragment accepted (RFC 8446 5.2, RFC 5246 6.2.3). */
	size_t ct_max;
	/* Seal one record under c->wr into out[cap]: bytes written or -errno. */
	int (*seal)(struct hs_conn *c, uint8_t type, const uint8_t *data, size_t len,
		    uint8_t *out, size_t cap);
	/*
	 * Open the record at c->in[0..c->rec_len) in place under c->rd; point
	 * c->rec at its content and set *type. 0 or -errno of the record layer.
	 */
	int (*open)(struct hs_conn *c, uint8_t *type);
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
	/* One whole handshake message. */
	int (*handshake_msg)(struct hs_conn *c, const struct hs_msg *m);
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
	/* offsetof the hs_worker_stats counter of completions in this version. */
	size_t completed_stat;
};

/* Server before negotiation (conn.c); versions (tls13.c, tls12.c). */
extern const struct hs_proto_ops hs_server_hello_ops;
extern const struct hs_proto_ops hs13_server_ops;
extern const struct hs_proto_ops hs12_server_ops;

/* Record protection per version (record_io.c), for the ops tables. */
int hs13_seal(struct hs_conn *c, uint8_t type, const uint8_t *data, size_t len,
	      uint8_t *out, size_t cap);
int hs13_open(struct hs_conn *c, uint8_t *type);
int hs12_seal(struct hs_conn *c, uint8_t type, const uint8_t *data, size_t len,
	      uint8_t *out, size_t cap);
int hs12_open(struct hs_conn *c, uint8_t *type);
int hs13_export_keys(const struct hs_conn *c, struct hs_traffic_keys *k);
int hs12_export_keys(const struct hs_conn *c, struct hs_traffic_keys *k);
int hs_ccs_refuse(struct hs_conn *c);
int hs_resume_none(struct hs_conn *c);

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
int hs13_prot_init(struct hs_conn *c, struct hso_record_prot *rp, const uint8_t *key,
		   const uint8_t *iv);
int hs13_change_cipher_spec(struct hs_conn *c);
int hs13_client_hello(struct hs_conn *c, const struct hs_client_hello *ch,
		      const struct hs_msg *m);
int hs13_key_update_send(struct hs_conn *c, bool request_peer);
int hs13_key_update_recv(struct hs_conn *c, const struct hs_msg *m, uint8_t *rd_secret);

/* tls12.c */
void hs12_established(struct hs_conn *c);
int hs12_queue_keys(struct hs_conn *c);
int hs12_prot_init(struct hs_conn *c, struct hso_record_prot *rp, bool client);
size_t hs12_iv_len(const struct hs_conn *c);
int hs12_client_hello(struct hs_conn *c, const struct hs_client_hello *ch,
		      const struct hs_msg *m);

#endif
