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

/* tls13.c */
int hs13_client_hello(struct hs_conn *c, const struct hs_client_hello *ch,
		      const struct hs_msg *m);
int hs13_key_update_send(struct hs_conn *c, bool request_peer);
int hs13_key_update_recv(struct hs_conn *c, const struct hs_msg *m, uint8_t *rd_secret);

/* tls12.c */
void hs12_established(struct hs_conn *c);
int hs12_client_hello(struct hs_conn *c, const struct hs_client_hello *ch,
		      const struct hs_msg *m);

#endif
