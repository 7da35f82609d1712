/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.2 server (RFC 5246), AEAD suites only, with extended master secret
 * (RFC 7627) and renegotiation_info (RFC 5746).
 *
 *   ClientHello ─► ServerHello, Certificate, [ServerKeyExchange], ServerHelloDone
 *                  (ECDHE: job SKE signs the params first)   ST12_SKE_JOB
 *   ClientKeyExchange ─► job RSA decrypt / ECDHE derive      ST12_PMS_JOB
 *     KDF: master secret ─► key block, expected client Finished
 *                                                            ST12_KEYS_JOB
 *   ChangeCipherSpec ─► client Finished                     ST12_CCS, _CLIENT_FINISHED
 *     KDF: server Finished ─► ChangeCipherSpec, Finished     ST12_SF_JOB
 *
 * RSA key exchange: a premaster that fails to decrypt is replaced by random
 * bytes inside crypto/ (implicit rejection), so such a client fails at its
 * Finished with decrypt_error, exactly like a client with a wrong Finished.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine_priv.h"

#define VERIFY_DATA_LEN 12

static size_t
iv_len(const struct hs_conn *c)
{
	/* RFC 5288 3: 4-byte salt for GCM; RFC 7905 2: 12-byte IV for ChaCha20. */
	return hs_aead_alg(c) == HSO_AEAD_CHACHA20_POLY1305 ? 12 : 4;
}

static int
stage_chain(struct hs_conn *c)
{
	const uint8_t *ders[HSO_CERT_CHAIN_MAX];
	size_t lens[HSO_CERT_CHAIN_MAX];
	struct hs_cert_chain chain = { ders, lens, c->cert->chain_len };
	struct hs_writer w;

	for (unsigned i = 0; i < c->cert->chain_len; i++) {
		ders[i] = c->cert->chain[i].der;
		lens[i] = c->cert->chain[i].len;
	}
	hs_stage_msg_begin(c, &w);
	if (hs_certificate12_write(&w, &chain) != 0)
		return HS_ERR_INTERNAL;
	return hs_stage_msg_end(c, &w, 0);
}

static int
stage_done_and_flush(struct hs_conn *c)
{
	struct hs_writer w;

	hs_stage_msg_begin(c, &w);
	if (hs_server_hello_done_write(&w) != 0 || hs_stage_msg_end(c, &w, 0) != 0 ||
	    hs_flush_stage(c) != 0)
		return HS_ERR_INTERNAL;
	c->state = ST12_CKE;
	return 0;
}

int
hs12_client_hello(struct hs_conn *c, const struct hs_client_hello *ch,
		  const struct hs_msg *m)
{
	const struct hs_nego_policy *p = &c->cfg->nego;
	const struct hs_cert_slot *cand[HS_CONFIG_MAX_CERTS];
	unsigned n_cand, types;
	struct hs_view alpn, none;
	struct hs_writer w;
	bool hrr, ecdhe;
	int rc;

	/* RFC 5246 7.4.1.2: the list "MUST contain" the null method. */
	if (!ch->null_compression)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	/*
	 * RFC 5746 3.6: on an initial handshake the renegotiated_connection
	 * field "MUST" be empty, else handshake_failure.
	 */
	if (ch->has_reneg_info && ch->reneg_info.len != 0)
		return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
	c->reneg_info = ch->has_reneg_info ||
			hs_view_has_u16(ch->cipher_suites, HS_TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
	rc = hs_select_certs(c, ch, cand, &n_cand, &types);
	if (rc != 0)
		return rc;
	rc = hs_nego_suite(ch, p, HS_TLS12, types, &c->suite);
	if (rc != 0)
		return rc;
	c->si = hs_suite_find(c->suite);
	rc = hs_pick_cert(c, ch, cand, n_cand, c->si->kx);
	if (rc != 0)
		return rc;
	ecdhe = c->si->kx != HS_KX_RSA;
	if (ecdhe && (rc = hs_nego_group(ch, p, HS_TLS12, &c->group, &hrr, &none)) != 0)
		return rc;
	rc = hs_nego_alpn(ch, p, &alpn);
	if (rc != 0)
		return rc;
	c->alpn_len = (uint8_t)alpn.len;
	memcpy(c->alpn, alpn.p != NULL ? alpn.p : c->alpn, alpn.len);
	c->ems = ch->has_ems;
	memcpy(c->client_random, ch->random, 32);
	/* No session cache yet: an empty session_id says "not resumable". */
	c->session_id_len = 0;
	if (hs_random(c->server_random, 32) != 0)
		return HS_ERR_INTERNAL;
	/* RFC 8446 4.1.3: a TLS 1.3 server negotiating 1.2 marks its random. */
	if (p->tls13)
		memcpy(c->server_random + 24, hs_downgrade_tls12, 8);

	hso_hash_init(&c->th, (enum hso_hash_alg)c->si->hash);
	hso_hash_update(&c->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	hs_stage_msg_begin(c, &w);
	rc = hs_server_hello_write(&w, &(struct hs_server_hello){
		.version = HS_TLS12, .random = c->server_random,
		.session_id = { NULL, 0 }, .suite = c->suite,
		.reneg_info = c->reneg_info, .ems = c->ems,
		.ec_point_formats = ecdhe && ch->has_ec_point_formats,
		.alpn = { c->alpn, c->alpn_len } });
	if (rc != 0 || hs_stage_msg_end(c, &w, 0) != 0 || stage_chain(c) != 0)
		return HS_ERR_INTERNAL;
	if (!ecdhe)
		return stage_done_and_flush(c);
	hs_take_pool_key(c, c->group);
	c->job = JOB_SKE;
	c->state = ST12_SKE_JOB;
	hs_wait(c);
	return 0;
}

/* Master secret, key block and the client Finished we expect, in one batch. */
static int
queue_keys(struct hs_conn *c)
{
	struct hs_secrets *s = &c->s;
	struct hso_kdf_batch *b = c->w->kdf;
	enum hso_kdf_hash h = hs_kdf_hash(c);
	const uint8_t *pms = c->si->kx == HS_KX_RSA ? s->pms : s->shared;
	size_t pms_len = c->si->kx == HS_KX_RSA ? sizeof(s->pms) : sizeof(s->shared);
	size_t kb = 2 * (c->si->key_len + iv_len(c));
	int ms;

	if (c->ems)
		/* RFC 7627 4: PRF(pms, "extended master secret", session_hash). */
		ms = hso_kdf_prf(b, h, NULL, pms, pms_len, "extended master secret", 22,
				 s->th, hs_hash_len(c), s->master, 48, HSO_KDF_NO_DEP);
	else {
		memcpy(s->seed2, c->client_random, 32);
		memcpy(s->seed2 + 32, c->server_random, 32);
		ms = hso_kdf_prf(b, h, NULL, pms, pms_len, "master secret", 13,
				 s->seed2, 64, s->master, 48, HSO_KDF_NO_DEP);
	}
	if (hs_kdf(c, ms) < 0)
		return HS_ERR_INTERNAL;
	memcpy(s->seed, c->server_random, 32);
	memcpy(s->seed + 32, c->client_random, 32);
	if (hs_kdf(c, hso_kdf_prf(b, h, NULL, s->master, 48, "key expansion", 13,
				  s->seed, 64, s->key_block, kb, ms)) < 0 ||
	    hs_kdf(c, hso_kdf_prf(b, h, NULL, s->master, 48, "client finished", 15,
				  s->th, hs_hash_len(c), s->cf_expected,
				  VERIFY_DATA_LEN, ms)) < 0)
		return HS_ERR_INTERNAL;
	c->state = ST12_KEYS_JOB;
	return 0;
}

static int
prot_init(struct hs_conn *c, struct hso_record_prot *rp, bool client)
{
	size_t kl = c->si->key_len, il = iv_len(c);
	const uint8_t *kb = c->s.key_block;

	/* key_block = client key, server key, client IV, server IV (RFC 5246 6.3). */
	return hso_record_prot_init(rp, &c->w->imb, HSO_TLS12, hs_aead_alg(c),
				    kb + (client ? 0 : kl), kl,
				    kb + 2 * kl + (client ? 0 : il), il) == 0
		       ? 0 : HS_ERR_INTERNAL;
}

static int
after_server_finished(struct hs_conn *c)
{
	static const uint8_t one = 1;
	struct hs_writer w;

	if (hs_write_record(c, HS_CT_CHANGE_CIPHER_SPEC, &one, 1) != 0 ||
	    prot_init(c, &c->wr, false) != 0)
		return HS_ERR_INTERNAL;
	c->wr_on = true;
	hs_stage_msg_begin(c, &w);
	if (hs_finished_write(&w, c->s.sf, VERIFY_DATA_LEN) != 0 ||
	    hs_stage_msg_end(c, &w, 0) != 0 || hs_flush_stage(c) != 0)
		return HS_ERR_INTERNAL;
	hs_established(c);
	return 0;
}

int
hs12_resume(struct hs_conn *c)
{
	struct hs_writer w;

	switch (c->state) {
	case ST12_SKE_JOB:
		hs_stage_msg_begin(c, &w);
		if (hs_server_key_exchange_write(&w, c->tbs + 64, c->tbs_len - 64u,
						 c->sigalg, c->sig, c->sig_len) != 0 ||
		    hs_stage_msg_end(c, &w, 0) != 0)
			return HS_ERR_INTERNAL;
		return stage_done_and_flush(c);
	case ST12_PMS_JOB:
		hso_ecdhe_key_clear(&c->eph);
		return queue_keys(c);
	case ST12_KEYS_JOB:
		if (prot_init(c, &c->rd, true) != 0)
			return HS_ERR_INTERNAL;
		c->state = ST12_CCS;
		return 0;
	case ST12_SF_JOB:
		return after_server_finished(c);
	default:
		return HS_ERR_INTERNAL;
	}
}

int
hs12_change_cipher_spec(struct hs_conn *c)
{
	/* RFC 5246 7.1: CCS comes after ClientKeyExchange and before Finished. */
	if (c->state != ST12_CCS)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	c->rd_on = true;
	c->state = ST12_CLIENT_FINISHED;
	return 0;
}

static int
client_key_exchange(struct hs_conn *c, const struct hs_msg *m)
{
	struct hs_view kx;
	bool rsa = c->si->kx == HS_KX_RSA;
	int rc;

	if (m->type != HS_MT_CLIENT_KEY_EXCHANGE)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	rc = hs_client_key_exchange_parse(m->body, m->len, rsa, &kx);
	if (rc != 0)
		return rc;
	if (kx.len > sizeof(c->peer_kx))
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	memcpy(c->peer_kx, kx.p, kx.len);
	c->peer_kx_len = kx.len;
	hso_hash_update(&c->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	/* Session hash (RFC 7627) and client Finished both cover CH..CKE. */
	hso_hash_peek(&c->th, c->s.th);
	c->job = rsa ? JOB_RSA : JOB_ECDHE;
	c->state = ST12_PMS_JOB;
	hs_wait(c);
	return 0;
}

static int
client_finished(struct hs_conn *c, const struct hs_msg *m)
{
	if (m->type != HS_MT_FINISHED)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (m->len != VERIFY_DATA_LEN)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	/*
	 * RFC 5246 7.4.9: the recipient "MUST verify that the contents are
	 * correct"; a wrong value is decrypt_error. With RSA key exchange a bad
	 * premaster lands here too, indistinguishable.
	 */
	if (CRYPTO_memcmp(m->body, c->s.cf_expected, VERIFY_DATA_LEN) != 0)
		return HS_ERR_ALERT(HS_ALERT_DECRYPT_ERROR);
	hso_hash_update(&c->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	hso_hash_peek(&c->th, c->s.th2);
	if (hs_kdf(c, hso_kdf_prf(c->w->kdf, hs_kdf_hash(c), NULL, c->s.master, 48,
				  "server finished", 15, c->s.th2, hs_hash_len(c),
				  c->s.sf, VERIFY_DATA_LEN, HSO_KDF_NO_DEP)) < 0)
		return HS_ERR_INTERNAL;
	c->state = ST12_SF_JOB;
	return 0;
}

int
hs12_handshake_msg(struct hs_conn *c, const struct hs_msg *m)
{
	switch (c->state) {
	case ST12_CKE:
		return client_key_exchange(c, m);
	case ST12_CLIENT_FINISHED:
		return client_finished(c, m);
	default:
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	}
}
