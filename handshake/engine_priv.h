/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_ENGINE_PRIV_H
#define HSO_HANDSHAKE_ENGINE_PRIV_H

/* Internals shared by engine.c, tls13.c and tls12.c. */

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

/* engine.c */
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
int hs13_resume(struct hs_conn *c);
int hs13_handshake_msg(struct hs_conn *c, const struct hs_msg *m);

/* tls12.c */
int hs12_client_hello(struct hs_conn *c, const struct hs_client_hello *ch,
		      const struct hs_msg *m);
int hs12_resume(struct hs_conn *c);
int hs12_handshake_msg(struct hs_conn *c, const struct hs_msg *m);
int hs12_change_cipher_spec(struct hs_conn *c);

#endif
