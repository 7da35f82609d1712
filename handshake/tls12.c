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
 * bytes (implicit rejection: crypto/ for bad padding or version, the engine
 * for a ciphertext too long or not below the modulus; a short one is
 * left-padded and decrypted), so such a client's Finished does not open
 * under the keys we derive: bad_record_mac, whatever was wrong.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine_priv.h"
#include "session_cache.h"
#include "ticket.h"

#define VERIFY_DATA_LEN 12

size_t
hs12_iv_len(const struct hs_conn *c)
{
	/* RFC 5288 3: 4-byte salt for GCM; RFC 7905 2: 12-byte IV for ChaCha20. */
	return hs_aead_alg(c) == HSO_AEAD_CHACHA20_POLY1305 ? 12 : 4;
}

/* Certificate, then CertificateStatus when stapling @p ocsp (RFC 6066 8). */
static int
stage_chain(struct hs_conn *c, const struct hso_ocsp *ocsp)
{
	const uint8_t *ders[HSO_CERT_CHAIN_MAX];
	size_t lens[HSO_CERT_CHAIN_MAX];
	struct hs_cert_chain chain = { .der = ders, .len = lens, .n = c->cert->chain_len };
	struct hs_writer w;

	for (unsigned i = 0; i < c->cert->chain_len; i++) {
		ders[i] = c->cert->chain[i].der;
		lens[i] = c->cert->chain[i].len;
	}
	hs_stage_msg_begin(c, &w);
	if (hs_certificate12_write(&w, &chain) != 0 || hs_stage_msg_end(c, &w, 0) != 0)
		return HS_ERR_INTERNAL;
	if (ocsp == NULL)
		return 0;
	/*
	 * RFC 6066 8: the CertificateStatus message "is sent immediately
	 * after the Certificate message".
	 */
	hs_stage_msg_begin(c, &w);
	if (hs_certificate_status_write(&w, ocsp->der, ocsp->len) != 0 ||
	    hs_stage_msg_end(c, &w, 0) != 0)
		return HS_ERR_INTERNAL;
	c->w->stats.ocsp_staples_served++;
	return 0;
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

static bool
sni_equal(const struct hs_client_hello *ch, const struct hs_ticket *t)
{
	size_t n = ch->has_sni ? ch->sni.len : 0;

	return n == t->sni_len && memcmp(ch->sni.p, t->sni, n) == 0;
}

/*
 * Find a session to resume: the ticket (RFC 5077 3.4) first, then the
 * session id in this worker's cache. Fills c->hx->s.master and the session's
 * parameters. @return 1 to resume, 0 for a full handshake, or an alert.
 */
static int
find_session(struct hs_conn *c, const struct hs_client_hello *ch)
{
	const struct hs_config *cfg = c->cfg;
	struct hs_ticket t;
	uint64_t now = cfg->now_ms();
	bool found = false;
	int rc = 0;

	if (ch->has_ticket && ch->ticket.len > 0 && cfg->stek != NULL) {
		found = hs_ticket_open(cfg, ch->ticket.p, ch->ticket.len, now, &t) == 0;
		if (!found)
			c->w->stats.tickets_rejected++;
	}
	if (!found && ch->session_id.len == 32 && c->w->cache != NULL)
		found = hs_session_cache_get(c->w->cache, ch->session_id.p, now, &t);
	if (!found)
		return 0;
	/*
	 * RFC 7627 5.3: an original session with EMS and a new ClientHello
	 * without it: "the server MUST abort the abbreviated handshake"; one
	 * without EMS and a ClientHello with it: "MUST NOT perform the
	 * abbreviated handshake" (a full one follows).
	 */
	if (t.ems && !ch->has_ems)
		rc = HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
	else if (t.version != HS_TLS12 || t.secret_len != 48 || (!t.ems && ch->has_ems) ||
		 hs_suite_find(t.suite) == NULL || hs_suite_find(t.suite)->version != HS_TLS12 ||
		 !sni_equal(ch, &t))
		rc = 0;
	/*
	 * RFC 5246 7.4.1.2: with a session to resume, cipher_suites "MUST
	 * include at least the cipher_suite from that session"; one that
	 * does not is refused with illegal_parameter, as OpenSSL does.
	 */
	else if (!hs_view_has_u16(ch->cipher_suites, t.suite))
		rc = HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	else
		rc = 1;
	if (rc == 1) {
		c->suite = t.suite;
		c->si = hs_suite_find(t.suite);
		c->ems = t.ems;
		memcpy(c->hx->s.master, t.secret, 48);
		c->hx->sni_raw_len = t.sni_len;
		memcpy(c->hx->sni, t.sni, t.sni_len);
		c->hx->sni[t.sni_len] = '\0';
	} else if (rc == 0) {
		c->w->stats.tickets_rejected++;
	}
	hs_ticket_wipe(&t);
	return rc;
}

/* Abbreviated handshake: ServerHello now; CCS and Finished after the batch. */
static int
resume_session(struct hs_conn *c, const struct hs_client_hello *ch, const struct hs_msg *m)
{
	struct hs_writer w;
	struct hs_secrets *s = &c->hx->s;
	enum hso_kdf_hash h = hs_kdf_hash(c);
	size_t kb = 2 * (c->si->key_len + hs12_iv_len(c));
	int rc;

	c->resumed = true;
	c->w->stats.resumed++;
	/* RFC 5077 3.4 / RFC 5246 7.4.1.3: echo the client's session id. */
	c->hx->session_id_len = (uint8_t)ch->session_id.len;
	memcpy(c->hx->session_id, ch->session_id.p, ch->session_id.len);
	hso_hash_init(&c->hx->th, (enum hso_hash_alg)c->si->hash);
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	hs_stage_msg_begin(c, &w);
	rc = hs_server_hello_write(&w, &(struct hs_server_hello){
		.version = HS_TLS12, .random = c->hx->server_random,
		.session_id = { c->hx->session_id, c->hx->session_id_len }, .suite = c->suite,
		.reneg_info = c->hx->reneg_info, .ems = c->ems,
		.alpn = { c->alpn, c->alpn_len } });
	if (rc != 0 || hs_stage_msg_end(c, &w, 0) != 0 || hs_flush_stage(c) != 0)
		return HS_ERR_INTERNAL;
	hso_hash_peek(&c->hx->th, s->th);
	memcpy(s->seed, c->hx->server_random, 32);
	memcpy(s->seed + 32, c->hx->client_random, 32);
	/* In the abbreviated handshake the server's Finished comes first. */
	if (hs_kdf(c, hso_kdf_prf(c->w->kdf, h, NULL, s->master, 48, "key expansion", 13,
				  s->seed, 64, s->key_block, kb, HSO_KDF_NO_DEP)) < 0 ||
	    hs_kdf(c, hso_kdf_prf(c->w->kdf, h, NULL, s->master, 48, "server finished", 15,
				  s->th, hs_hash_len(c), s->sf, VERIFY_DATA_LEN,
				  HSO_KDF_NO_DEP)) < 0)
		return HS_ERR_INTERNAL;
	c->state = ST12_RESUME_JOB;
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
	const struct hso_ocsp *staple;
	bool hrr, ecdhe;
	int rc;

	/*
	 * RFC 5246 7.4.1.2: the list "MUST contain" the null method. The alert
	 * is not named there; illegal_parameter, as TLS 1.3 asks for the same
	 * fault (RFC 8446 4.1.2), so both versions answer alike.
	 */
	if (!ch->null_compression)
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	/*
	 * RFC 5746 3.6: on an initial handshake the renegotiated_connection
	 * field "MUST" be empty, else handshake_failure.
	 */
	if (ch->has_reneg_info && ch->reneg_info.len != 0)
		return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
	c->hx->reneg_info = ch->has_reneg_info ||
			hs_view_has_u16(ch->cipher_suites, HS_TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
	memcpy(c->hx->client_random, ch->random, 32);
	if (hs_random(c->hx->server_random, 32) != 0)
		return HS_ERR_INTERNAL;
	/* RFC 8446 4.1.3: a TLS 1.3 server negotiating 1.2 marks its random. */
	if (p->tls13)
		memcpy(c->hx->server_random + 24, hs_downgrade_tls12, 8);
	rc = hs_nego_alpn(ch, p, &alpn);
	if (rc != 0)
		return rc;
	/* hs_nego_alpn() points into the policy's list, which outlives us. */
	c->alpn_len = (uint8_t)alpn.len;
	c->alpn = alpn.p;
	rc = find_session(c, ch);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return resume_session(c, ch, m);

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
	c->ems = ch->has_ems;
	c->hx->sni_raw_len = ch->has_sni ? (uint8_t)ch->sni.len : 0;
	/*
	 * Resumable by ticket when the client asked for one (RFC 5077 3.2: an
	 * empty session id then), else by session id in this worker's cache;
	 * with neither, an empty session_id says "not resumable".
	 */
	c->hx->ticket_wanted = ch->has_ticket && c->cfg->stek != NULL;
	c->hx->session_id_len = 0;
	if (!c->hx->ticket_wanted && c->w->cache != NULL) {
		if (hs_random(c->hx->session_id, 32) != 0)
			return HS_ERR_INTERNAL;
		c->hx->session_id_len = 32;
	}

	/* Decided before ServerHello, whose status_request announces it. */
	staple = hs_staple_get(c);
	c->hx->staple = staple != NULL;

	hso_hash_init(&c->hx->th, (enum hso_hash_alg)c->si->hash);
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	hs_stage_msg_begin(c, &w);
	rc = hs_server_hello_write(&w, &(struct hs_server_hello){
		.version = HS_TLS12, .random = c->hx->server_random,
		.session_id = { c->hx->session_id, c->hx->session_id_len }, .suite = c->suite,
		.reneg_info = c->hx->reneg_info, .ems = c->ems, .ticket = c->hx->ticket_wanted,
		.ec_point_formats = ecdhe && ch->has_ec_point_formats,
		.status_request = staple != NULL,
		.alpn = { c->alpn, c->alpn_len } });
	if (rc != 0 || hs_stage_msg_end(c, &w, 0) != 0 || stage_chain(c, staple) != 0)
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
int
hs12_queue_keys(struct hs_conn *c)
{
	struct hs_secrets *s = &c->hx->s;
	struct hso_kdf_batch *b = c->w->kdf;
	enum hso_kdf_hash h = hs_kdf_hash(c);
	const uint8_t *pms = c->si->kx == HS_KX_RSA ? s->pms : s->shared;
	size_t pms_len = c->si->kx == HS_KX_RSA ? sizeof(s->pms) : sizeof(s->shared);
	size_t kb = 2 * (c->si->key_len + hs12_iv_len(c));
	int ms;

	if (c->ems)
		/* RFC 7627 4: PRF(pms, "extended master secret", session_hash). */
		ms = hso_kdf_prf(b, h, NULL, pms, pms_len, "extended master secret", 22,
				 s->th, hs_hash_len(c), s->master, 48, HSO_KDF_NO_DEP);
	else {
		memcpy(s->seed2, c->hx->client_random, 32);
		memcpy(s->seed2 + 32, c->hx->server_random, 32);
		ms = hso_kdf_prf(b, h, NULL, pms, pms_len, "master secret", 13,
				 s->seed2, 64, s->master, 48, HSO_KDF_NO_DEP);
	}
	if (hs_kdf(c, ms) < 0)
		return HS_ERR_INTERNAL;
	memcpy(s->seed, c->hx->server_random, 32);
	memcpy(s->seed + 32, c->hx->client_random, 32);
	if (hs_kdf(c, hso_kdf_prf(b, h, NULL, s->master, 48, "key expansion", 13,
				  s->seed, 64, s->key_block, kb, ms)) < 0 ||
	    hs_kdf(c, hso_kdf_prf(b, h, NULL, s->master, 48, "client finished", 15,
				  s->th, hs_hash_len(c), s->cf_expected,
				  VERIFY_DATA_LEN, ms)) < 0)
		return HS_ERR_INTERNAL;
	return 0;
}

int
hs12_prot_init(struct hs_conn *c, struct hs_dir *d, bool client)
{
	size_t kl = c->si->key_len, il = hs12_iv_len(c);
	const uint8_t *kb = c->hx->s.key_block;

	/* key_block = client key, server key, client IV, server IV (RFC 5246 6.3). */
	return hs_dir_set(c, d, HSO_TLS12, kb + (client ? 0 : kl), kb + 2 * kl + (client ? 0 : il),
			  il) == 0 ? 0 : HS_ERR_INTERNAL;
}

/* The session as a ticket or cache entry holds it. */
static void
session_of(const struct hs_conn *c, struct hs_ticket *t)
{
	memset(t, 0, sizeof(*t));
	t->version = HS_TLS12;
	t->suite = c->suite;
	t->issued_ms = c->cfg->now_ms();
	t->lifetime = c->cfg->ticket_lifetime;
	t->ems = c->ems;
	t->secret_len = 48;
	memcpy(t->secret, c->hx->s.master, 48);
	t->sni_len = c->hx->sni_raw_len;
	memcpy(t->sni, c->hx->sni, c->hx->sni_raw_len);
	t->alpn_len = c->alpn_len;
	if (c->alpn_len > 0)
		memcpy(t->alpn, c->alpn, c->alpn_len);
}

/* Our ChangeCipherSpec, the server write keys, and our Finished. */
static int
send_ccs_finished(struct hs_conn *c)
{
	static const uint8_t one = 1;
	struct hs_writer w;

	if (hs_write_record(c, HS_CT_CHANGE_CIPHER_SPEC, &one, 1) != 0 ||
	    hs12_prot_init(c, &c->wr, false) != 0)
		return HS_ERR_INTERNAL;
	c->wr_on = true;
	hs_stage_msg_begin(c, &w);
	if (hs_finished_write(&w, c->hx->s.sf, VERIFY_DATA_LEN) != 0 ||
	    hs_stage_msg_end(c, &w, 0) != 0 || hs_flush_stage(c) != 0)
		return HS_ERR_INTERNAL;
	return 0;
}

/* Keep the key block for hs_conn_export_keys() when allowed, then done. */
void
hs12_established(struct hs_conn *c)
{
	if (c->cfg->export_keys)
		memcpy(c->kb_export, c->hx->s.key_block, sizeof(c->kb_export));
	hs_established(c);
}

static int
after_server_finished(struct hs_conn *c)
{
	if (send_ccs_finished(c) != 0)
		return HS_ERR_INTERNAL;
	if (c->hx->session_id_len == 32 && c->w->cache != NULL) {
		struct hs_ticket t;

		session_of(c, &t);
		c->w->stats.cache_evictions +=
			(unsigned)hs_session_cache_put(c->w->cache, c->hx->session_id, &t);
		hs_ticket_wipe(&t);
	}
	hs12_established(c);
	return 0;
}

/* Abbreviated: our CCS and Finished out, then the client Finished we expect. */
static int
after_resume_keys(struct hs_conn *c)
{
	if (send_ccs_finished(c) != 0)
		return HS_ERR_INTERNAL;
	hso_hash_peek(&c->hx->th, c->hx->s.th2);
	if (hs_kdf(c, hso_kdf_prf(c->w->kdf, hs_kdf_hash(c), NULL, c->hx->s.master, 48,
				  "client finished", 15, c->hx->s.th2, hs_hash_len(c),
				  c->hx->s.cf_expected, VERIFY_DATA_LEN, HSO_KDF_NO_DEP)) < 0)
		return HS_ERR_INTERNAL;
	c->state = ST12_RESUME_CF_JOB;
	return 0;
}

static int
resume(struct hs_conn *c)
{
	struct hs_writer w;

	switch (c->state) {
	case ST12_SKE_JOB:
		hs_stage_msg_begin(c, &w);
		if (hs_server_key_exchange_write(&w, c->hx->tbs + 64, c->hx->tbs_len - 64u,
						 c->sigalg, c->hx->sig, c->hx->sig_len) != 0 ||
		    hs_stage_msg_end(c, &w, 0) != 0)
			return HS_ERR_INTERNAL;
		return stage_done_and_flush(c);
	case ST12_PMS_JOB:
		hso_ecdhe_key_clear(&c->hx->eph);
		c->state = ST12_KEYS_JOB;
		return hs12_queue_keys(c);
	case ST12_KEYS_JOB:
		if (hs12_prot_init(c, &c->rd, true) != 0)
			return HS_ERR_INTERNAL;
		c->state = ST12_CCS;
		return 0;
	case ST12_SF_JOB:
		return after_server_finished(c);
	case ST12_RESUME_JOB:
		return after_resume_keys(c);
	case ST12_RESUME_CF_JOB:
		if (hs12_prot_init(c, &c->rd, true) != 0)
			return HS_ERR_INTERNAL;
		c->state = ST12_CCS;
		return 0;
	default:
		return HS_ERR_INTERNAL;
	}
}

static int
change_cipher_spec(struct hs_conn *c)
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
	/*
	 * Longer than any modulus hso serves (ECDHE points are <= 255):
	 * decrypted as the empty ciphertext instead, which fails the same
	 * way, with a random premaster (RFC 5246 7.4.7.1).
	 */
	if (kx.len > sizeof(c->hx->peer_kx))
		kx.len = 0;
	memcpy(c->hx->peer_kx, kx.p, kx.len);
	c->hx->peer_kx_len = kx.len;
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	/* Session hash (RFC 7627) and client Finished both cover CH..CKE. */
	hso_hash_peek(&c->hx->th, c->hx->s.th);
	c->job = rsa ? JOB_RSA : JOB_ECDHE;
	c->state = ST12_PMS_JOB;
	hs_wait(c);
	return 0;
}

static int
send_ticket(struct hs_conn *c)
{
	struct hs_ticket t;
	uint8_t sealed[HS_TICKET_MAX];
	struct hs_writer w;
	int n;

	session_of(c, &t);
	n = hs_ticket_seal(c->cfg, &t, sealed, sizeof(sealed));
	hs_ticket_wipe(&t);
	if (n <= 0)
		return HS_ERR_INTERNAL;
	hs_stage_msg_begin(c, &w);
	if (hs_new_session_ticket12_write(&w, c->cfg->ticket_lifetime,
					  (struct hs_view){ sealed, (uint16_t)n }) != 0 ||
	    hs_stage_msg_end(c, &w, 0) != 0 || hs_flush_stage(c) != 0)
		return HS_ERR_INTERNAL;
	c->w->stats.tickets_issued++;
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
	if (CRYPTO_memcmp(m->body, c->hx->s.cf_expected, VERIFY_DATA_LEN) != 0)
		return HS_ERR_ALERT(HS_ALERT_DECRYPT_ERROR);
	if (c->resumed) {
		hs12_established(c);
		return 0;
	}
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	/* RFC 5077 3.3: NewSessionTicket goes before our ChangeCipherSpec. */
	if (c->hx->ticket_wanted) {
		int rc = send_ticket(c);

		if (rc != 0)
			return rc;
	}
	hso_hash_peek(&c->hx->th, c->hx->s.th2);
	if (hs_kdf(c, hso_kdf_prf(c->w->kdf, hs_kdf_hash(c), NULL, c->hx->s.master, 48,
				  "server finished", 15, c->hx->s.th2, hs_hash_len(c),
				  c->hx->s.sf, VERIFY_DATA_LEN, HSO_KDF_NO_DEP)) < 0)
		return HS_ERR_INTERNAL;
	c->state = ST12_SF_JOB;
	return 0;
}

static int
handshake_msg(struct hs_conn *c, const struct hs_msg *m)
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

/* After the handshake: a ClientHello asks for renegotiation; nothing else may come. */
static int
post_hs_begin(struct hs_conn *c, uint8_t type, uint32_t len)
{
	/*
	 * Renegotiation is refused (RFC 5746 4.4 allows a server to): a
	 * warning no_renegotiation, as OpenSSL sends, and go on, reading past
	 * the hello (within the policy's size limit, as any handshake message).
	 */
	static const uint8_t warn[2] = { 1, HS_ALERT_NO_RENEGOTIATION };

	if (type != HS_MT_CLIENT_HELLO)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (len > c->cfg->max_handshake_msg)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	return hs_write_record(c, HS_CT_ALERT, warn, 2) == 0 ? HS_PH_SKIP : HS_ERR_INTERNAL;
}

/* Never called: the server takes no post-handshake message whole. */
static int
post_hs_msg(struct hs_conn *c, const struct hs_msg *m, bool at_end)
{
	(void)c;
	(void)m;
	(void)at_end;
	return HS_ERR_INTERNAL;
}

/* TLS 1.2 protects every content type: nothing is read in plaintext. */
static int
outer_type(struct hs_conn *c, const struct hs_record *r)
{
	(void)c;
	(void)r;
	return 1;
}

const struct hs_proto_ops hs12_server_ops = {
	.name = "tls1.2-server",
	.version = HS_TLS12,
	.ct_max = HS_RECORD_CIPHERTEXT_MAX_12,
	.outer_type = outer_type,
	.change_cipher_spec = change_cipher_spec,
	.client_hello = hs12_client_hello,
	.handshake_msg = handshake_msg,
	.post_hs_begin = post_hs_begin,
	.post_hs_msg = post_hs_msg,
	.resume = resume,
	.warning_alerts = true,
	.export_keys = hs12_export_keys,
	.completed_stat = offsetof(struct hs_worker_stats, completed_tls12),
};
