/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.3 server (RFC 8446), full 1-RTT handshake with HelloRetryRequest.
 *
 *   ClientHello ─► [HRR ─► ClientHello]            negotiate, pick cert
 *     job ECDHE ─► ServerHello (+CCS)               ST13_ECDHE_JOB
 *     KDF: handshake secret ─► traffic secrets ─► keys, finished keys,
 *          master secret;  job: CertificateVerify signature
 *               ─► EE, Certificate, CertificateVerify  ST13_HS_KEYS_JOB
 *     KDF: server Finished MAC ─► Finished, flight out ST13_SF_JOB
 *     KDF: application secrets, keys; expected client Finished
 *                                                   ST13_AP_KEYS_JOB
 *   client Finished ─► established                   ST13_CLIENT_FINISHED
 *
 * Every KDF stage of every connection of a burst runs in one batch.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine_priv.h"
#include "ticket.h"

/* Most early data skipped after rejecting 0-RTT (RFC 8446 4.2.10). */
#define HS13_EARLY_SKIP_MAX 65536u
/* Slack for the client's view of a ticket's age (network delay, clocks). */
#define HS13_TICKET_AGE_SLACK_MS 10000u

/* PSK key exchange modes (RFC 8446 4.2.9). */
#define PSK_KE 0
#define PSK_DHE_KE 1

/* IKM of the handshake secret without (EC)DHE, and the ticket nonce. */
static const uint8_t zeros[HSO_HASH_MAX_LEN];
static const uint8_t ticket_nonce[1] = { 0 };

int
hs13_label(struct hs_conn *c, const uint8_t *secret, const char *lbl,
      const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len, int dep)
{
	return hs_kdf(c, hso_kdf_expand_label(c->w->kdf, hs_kdf_hash(c), NULL,
					      secret, hs_hash_len(c), lbl, strlen(lbl),
					      ctx, ctx_len, out, out_len, dep));
}

/* Enqueue the handshake-secret stage; transcript hash CH..SH is in s.th. */
int
hs13_queue_handshake_keys(struct hs_conn *c)
{
	struct hs_secrets *s = &c->hx->s;
	size_t hl = hs_hash_len(c), kl = c->si->key_len;
	/* The batch reads inputs when it runs: nothing here may point at the stack. */
	const uint8_t *empty = c->cfg->empty_hash[c->si->hash];
	int hs, chs, shs, der;

	/* Handshake Secret = HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE). */
	if (c->resumed)
		/* Derive-Secret(Early Secret from the PSK, "derived", ""), from the binder run. */
		hs = hso_kdf_extract(c->w->kdf, hs_kdf_hash(c), NULL, s->early_derived, hl,
				     c->hx->psk_dhe ? s->shared : zeros,
				     c->hx->psk_dhe ? sizeof(s->shared) : hl, s->hs, HSO_KDF_NO_DEP);
	else
		hs = hso_kdf_extract(c->w->kdf, hs_kdf_hash(c),
				     &c->cfg->derived_nopsk[hs_kdf_hash(c)], NULL, 0,
				     s->shared, sizeof(s->shared), s->hs, HSO_KDF_NO_DEP);
	hs = hs_kdf(c, hs);
	if (hs < 0)
		return hs;
	chs = hs13_label(c, s->hs, "c hs traffic", s->th, hl, s->c_hs, hl, hs);
	shs = hs13_label(c, s->hs, "s hs traffic", s->th, hl, s->s_hs, hl, hs);
	der = hs13_label(c, s->hs, "derived", empty, hl, s->derived2, hl, hs);
	if (chs < 0 || shs < 0 || der < 0)
		return HS_ERR_INTERNAL;
	/* Master Secret = HKDF-Extract(Derive-Secret(hs, "derived", ""), 0). */
	memset(s->th2, 0, sizeof(s->th2));
	if (hs_kdf(c, hso_kdf_extract(c->w->kdf, hs_kdf_hash(c), NULL, s->derived2, hl,
				      s->th2, hl, s->master, der)) < 0 ||
	    hs13_label(c, s->s_hs, "key", NULL, 0, s->s_key, kl, shs) < 0 ||
	    hs13_label(c, s->s_hs, "iv", NULL, 0, s->s_iv, HSO_AEAD_NONCE_LEN, shs) < 0 ||
	    hs13_label(c, s->s_hs, "finished", NULL, 0, s->s_fin_key, hl, shs) < 0 ||
	    hs13_label(c, s->c_hs, "key", NULL, 0, s->c_key, kl, chs) < 0 ||
	    hs13_label(c, s->c_hs, "iv", NULL, 0, s->c_iv, HSO_AEAD_NONCE_LEN, chs) < 0 ||
	    hs13_label(c, s->c_hs, "finished", NULL, 0, s->c_fin_key, hl, chs) < 0)
		return HS_ERR_INTERNAL;
	return 0;
}

/* Replace ClientHello1 in the transcript with message_hash (RFC 8446 4.4.1). */
static void
transcript_hrr_restart(struct hs_conn *c, const struct hs_msg *ch1)
{
	uint8_t hdr[4] = { HS_MT_MESSAGE_HASH, 0, 0, 0 };
	uint8_t d[HSO_HASH_MAX_LEN];
	enum hso_hash_alg alg = (enum hso_hash_alg)c->si->hash;
	int n = hso_hash_digest(alg, ch1->raw, HS_MSG_HEADER_LEN + ch1->len, d);

	hdr[3] = (uint8_t)n;
	hso_hash_init(&c->hx->th, alg);
	hso_hash_update(&c->hx->th, hdr, sizeof(hdr));
	hso_hash_update(&c->hx->th, d, (size_t)n);
}

static int
send_ccs_once(struct hs_conn *c)
{
	static const uint8_t one = 1;

	/*
	 * RFC 8446 D.4: in middlebox compatibility mode (the client sent a
	 * legacy_session_id) the server sends one dummy change_cipher_spec
	 * right after its first handshake message, ServerHello or HRR.
	 */
	if (!c->hx->compat_ccs)
		return 0;
	c->hx->compat_ccs = false;
	return hs_write_record(c, HS_CT_CHANGE_CIPHER_SPEC, &one, 1) == 0 ? 0 : HS_ERR_INTERNAL;
}

static bool
has_mode(const struct hs_client_hello *ch, uint8_t mode)
{
	return ch->has_psk_modes && memchr(ch->psk_modes.p, mode, ch->psk_modes.len) != NULL;
}

/*
 * Find the first offered identity that is one of our tickets, still valid,
 * for TLS 1.3 with this suite's hash and this SNI (RFC 8446 4.2.11: the
 * server "MUST ensure that it selects a compatible PSK"). On success the
 * PSK and the identity's binder are in the connection.
 * @return 1 when one is usable, 0 when none is (full handshake).
 */
static int
find_ticket(struct hs_conn *c, const struct hs_client_hello *ch)
{
	struct hs_reader ids, bs, id, b;
	uint64_t now = c->cfg->now_ms();
	size_t hl = hs_hash_len(c);

	hs_reader_init(&ids, ch->psk_identities.p, ch->psk_identities.len);
	hs_reader_init(&bs, ch->psk_binders.p, ch->psk_binders.len);
	for (uint16_t i = 0; hs_reader_left(&ids) > 0; i++) {
		struct hs_ticket t;
		uint32_t obf_age;

		hs_reader_block(&ids, 2, 1, 0xffff, &id);
		obf_age = hs_read_u32(&ids);
		hs_reader_block(&bs, 1, 32, 255, &b);
		if (ids.err || bs.err)
			return 0;       /* checked at parse time; never here */
		if (hs_ticket_open(c->cfg, id.p, id.len, now, &t) != 0) {
			c->w->stats.tickets_rejected++;
			continue;
		}
		/* The client's view of the age: obfuscated_ticket_age - age_add. */
		if (t.version != HS_TLS13 || t.secret_len != hl || b.len != hl ||
		    hs_suite_find(t.suite) == NULL ||
		    hs_suite_find(t.suite)->hash != c->si->hash ||
		    t.sni_len != c->hx->sni_raw_len || memcmp(t.sni, c->hx->sni, t.sni_len) != 0 ||
		    (uint32_t)(obf_age - t.age_add) >
			    (uint64_t)t.lifetime * 1000u + HS13_TICKET_AGE_SLACK_MS) {
			c->w->stats.tickets_rejected++;
			hs_ticket_wipe(&t);
			continue;
		}
		memcpy(c->hx->s.psk, t.secret, hl);
		memcpy(c->hx->s.binder_recv, b.p, hl);
		c->hx->psk_identity = i;
		hs_ticket_wipe(&t);
		return 1;
	}
	return 0;
}

/*
 * Queue the binder check: early secret from the PSK, binder key, its
 * finished key, the binder over the truncated ClientHello (RFC 8446
 * 4.2.11.2), and Derive-Secret(early, "derived", "") for later.
 */
static int
queue_binder(struct hs_conn *c, const struct hs_client_hello *ch, const struct hs_msg *m)
{
	struct hs_secrets *s = &c->hx->s;
	size_t hl = hs_hash_len(c);
	const uint8_t *empty = c->cfg->empty_hash[c->si->hash];
	struct hso_hash bt = c->hx->th;     /* "" or message_hash + HRR so far */
	int e, bk, bf;

	/* The transcript for the binder stops before the binders list. */
	hso_hash_update(&bt, m->raw, HS_MSG_HEADER_LEN + ch->psk_binders_off);
	hso_hash_peek(&bt, s->th2);
	hso_hash_wipe(&bt);
	e = hs_kdf(c, hso_kdf_extract(c->w->kdf, hs_kdf_hash(c), NULL, NULL, 0, s->psk, hl,
				      s->early, HSO_KDF_NO_DEP));
	if (e < 0)
		return HS_ERR_INTERNAL;
	bk = hs13_label(c, s->early, "res binder", empty, hl, s->binder_key, hl, e);
	bf = bk < 0 ? bk : hs13_label(c, s->binder_key, "finished", NULL, 0, s->binder_fin, hl, bk);
	if (bf < 0 ||
	    hs_kdf(c, hso_kdf_hmac(c->w->kdf, hs_kdf_hash(c), NULL, s->binder_fin, hl,
				   s->th2, hl, s->binder_expected, bf)) < 0 ||
	    hs13_label(c, s->early, "derived", empty, hl, s->early_derived, hl, e) < 0)
		return HS_ERR_INTERNAL;
	c->state = ST13_BINDER_JOB;
	return 0;
}

static int
client_hello(struct hs_conn *c, const struct hs_client_hello *ch, const struct hs_msg *m)
{
	const struct hs_nego_policy *p = &c->cfg->nego;
	const struct hs_cert_slot *cand[HS_CONFIG_MAX_CERTS];
	unsigned n_cand, types;
	uint16_t suite, group;
	bool hrr;
	struct hs_view key, alpn;
	bool second = c->hx->hrr_sent;
	int rc;

	/*
	 * RFC 8446 4.1.2: legacy_compression_methods "MUST contain exactly
	 * one byte, set to zero"; otherwise illegal_parameter.
	 */
	if (ch->compression_count != 1 || !ch->null_compression)
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	rc = hs_select_certs(c, ch, cand, &n_cand, &types);
	if (rc != 0)
		return rc;
	rc = hs_nego_suite(ch, p, HS_TLS13, types, &suite);
	if (rc != 0)
		return rc;
	/* RFC 8446 4.1.4: after HRR the same suite must be chosen again. */
	if (second && suite != c->suite)
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	c->suite = suite;
	c->si = hs_suite_find(suite);
	c->hx->sni_raw_len = ch->has_sni ? (uint8_t)ch->sni.len : 0;
	if (!ch->has_sni)
		c->hx->sni[0] = '\0';
	/*
	 * RFC 8446 4.2.9: a client offering pre_shared_key without
	 * psk_key_exchange_modes: the server "MUST abort the handshake".
	 */
	if (ch->has_psk && !ch->has_psk_modes)
		return HS_ERR_ALERT(HS_ALERT_MISSING_EXTENSION);
	c->hx->ticket_wanted = c->cfg->stek != NULL &&
			   (has_mode(ch, PSK_DHE_KE) || (c->cfg->psk_ke && has_mode(ch, PSK_KE)));
	rc = hs_nego_group(ch, p, HS_TLS13, &group, &hrr, &key);
	c->resumed = false;
	if (ch->has_psk && c->cfg->stek != NULL && find_ticket(c, ch)) {
		bool dhe = has_mode(ch, PSK_DHE_KE) && rc == 0 && !hrr;
		bool ke = c->cfg->psk_ke && has_mode(ch, PSK_KE);

		if (dhe || (ke && !(has_mode(ch, PSK_DHE_KE) && rc == 0))) {
			c->resumed = true;
			c->hx->psk_dhe = dhe;
		}
		/* Otherwise: a retry for a share (HRR) or a full handshake. */
	}
	if (!c->resumed) {
		if (rc != 0)
			return rc;
		rc = hs_pick_cert(c, ch, cand, n_cand, HS_KX_TLS13);
		if (rc != 0)
			return rc;
	} else {
		hrr = false;
		if (!c->hx->psk_dhe)
			group = 0;
	}
	if (second && !c->resumed && (hrr || group != c->group))
		/* The retried hello must carry a share for the group we named. */
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	rc = hs_nego_alpn(ch, p, &alpn);
	if (rc != 0)
		return rc;
	c->group = group;
	/* hs_nego_alpn() points into the policy's list, which outlives us. */
	c->alpn_len = (uint8_t)alpn.len;
	c->alpn = alpn.p;
	/* 0-RTT is not accepted: skip what the client sends under early keys. */
	c->hx->early_skip = ch->has_early_data ? HS13_EARLY_SKIP_MAX : 0;

	if (!second) {
		memcpy(c->hx->client_random, ch->random, 32);
		c->hx->session_id_len = (uint8_t)ch->session_id.len;
		memcpy(c->hx->session_id, ch->session_id.p, ch->session_id.len);
		c->hx->compat_ccs = ch->session_id.len > 0;
		hso_hash_init(&c->hx->th, (enum hso_hash_alg)c->si->hash);
	} else {
		uint8_t d[HS_CH_RETRY_DIGEST_LEN];

		/*
		 * RFC 8446 4.1.2: after HelloRetryRequest "the client MUST send
		 * the same ClientHello without modification", but for key_share,
		 * early_data, cookie, pre_shared_key and padding: anything else
		 * that differs (random, session id, suites, an extension, their
		 * order) is illegal_parameter.
		 */
		if (hs_client_hello_retry_digest(m->body, m->len, d) != 0)
			return HS_ERR_INTERNAL;
		if (CRYPTO_memcmp(d, c->hx->ch1_digest, sizeof(d)) != 0)
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	}

	if (hrr) {
		struct hs_writer w;

		/* What the second ClientHello must repeat. */
		if (hs_client_hello_retry_digest(m->body, m->len, c->hx->ch1_digest) != 0)
			return HS_ERR_INTERNAL;
		transcript_hrr_restart(c, m);
		hs_stage_msg_begin(c, &w);
		rc = hs_hello_retry_request_write(&w, (struct hs_view){ c->hx->session_id,
						  c->hx->session_id_len }, suite, group,
						  (struct hs_view){ NULL, 0 });
		if (rc != 0 || hs_stage_msg_end(c, &w, 0) != 0 || hs_flush_stage(c) != 0)
			return HS_ERR_INTERNAL;
		c->hx->hrr_sent = true;
		c->state = ST13_CLIENT_HELLO2;
		return send_ccs_once(c);
	}
	/*
	 * The client's next records are under its handshake keys: this
	 * ClientHello must end its record (RFC 8446 5.1). Checked now, before
	 * anything is sent, so the alert goes out in plaintext as it must.
	 */
	if (!hs_at_key_change_boundary(c))
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (c->resumed) {
		rc = queue_binder(c, ch, m);
		if (rc != 0)
			return rc;
		hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
		if (!c->hx->psk_dhe)
			return 0;
		if (key.len > sizeof(c->hx->peer_kx))
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		memcpy(c->hx->peer_kx, key.p, key.len);
		c->hx->peer_kx_len = key.len;
		hs_take_pool_key(c, group);
		return 0;
	}
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	if (key.len > sizeof(c->hx->peer_kx))
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	memcpy(c->hx->peer_kx, key.p, key.len);
	c->hx->peer_kx_len = key.len;
	hs_take_pool_key(c, group);
	c->job = JOB_ECDHE;
	c->state = ST13_ECDHE_JOB;
	hs_wait(c);
	return 0;
}

int
hs13_client_hello(struct hs_conn *c, const struct hs_client_hello *ch,
		  const struct hs_msg *m)
{
	return client_hello(c, ch, m);
}

/* After ECDHE: ServerHello out, EE + Certificate staged, keys and signature queued. */
static int
after_ecdhe(struct hs_conn *c)
{
	struct hs_writer w;
	int rc;

	if (hs_random(c->hx->server_random, 32) != 0)
		return HS_ERR_INTERNAL;
	hs_stage_msg_begin(c, &w);
	rc = hs_server_hello_write(&w, &(struct hs_server_hello){
		.version = HS_TLS13, .random = c->hx->server_random,
		.session_id = { c->hx->session_id, c->hx->session_id_len },
		.suite = c->suite, .group = c->group,
		.key_share = { c->hx->eph.pub, c->hx->eph.pub_len },
		.psk = c->resumed, .psk_identity = c->hx->psk_identity,
		.key_share_omitted = c->resumed && !c->hx->psk_dhe });
	if (rc != 0 || hs_stage_msg_end(c, &w, 0) != 0 || hs_flush_stage(c) != 0)
		return HS_ERR_INTERNAL;
	if (send_ccs_once(c) != 0)
		return HS_ERR_INTERNAL;
	hso_ecdhe_key_clear(&c->hx->eph);   /* one use: forward secrecy */
	hso_hash_peek(&c->hx->th, c->hx->s.th);
	rc = hs13_queue_handshake_keys(c);
	if (rc != 0)
		return rc;

	/* EncryptedExtensions and Certificate do not depend on the keys. */
	hs_stage_msg_begin(c, &w);
	if (hs_encrypted_extensions_write(&w, (struct hs_view){ c->alpn, c->alpn_len },
					  c->hx->sni_ack) != 0 ||
	    hs_stage_msg_end(c, &w, 0) != 0)
		return HS_ERR_INTERNAL;
	if (c->resumed) {
		/* RFC 8446 2.2: with a PSK there is no Certificate nor CertificateVerify. */
		c->state = ST13_HS_KEYS_JOB;
		return 0;
	}
	{
		const uint8_t *ders[HSO_CERT_CHAIN_MAX];
		size_t lens[HSO_CERT_CHAIN_MAX];
		const struct hso_ocsp *staple = hs_staple_get(c);
		struct hs_cert_chain chain = {
			.der = ders, .len = lens, .n = c->cert->chain_len,
			.ocsp = staple != NULL ? staple->der : NULL,
			.ocsp_len = staple != NULL ? staple->len : 0,
		};

		for (unsigned i = 0; i < c->cert->chain_len; i++) {
			ders[i] = c->cert->chain[i].der;
			lens[i] = c->cert->chain[i].len;
		}
		c->hx->staple = staple != NULL;
		hs_stage_msg_begin(c, &w);
		if (hs_certificate13_write(&w, &chain) != 0 || hs_stage_msg_end(c, &w, 0) != 0)
			return HS_ERR_INTERNAL;
		if (staple != NULL)
			c->w->stats.ocsp_staples_served++;
	}
	/* CertificateVerify signs the transcript through Certificate. */
	{
		uint8_t h[HSO_HASH_MAX_LEN];
		int hl = hso_hash_peek(&c->hx->th, h);

		c->hx->tbs_len = (uint16_t)hs_certificate_verify_content(c->hx->tbs, h, (size_t)hl);
	}
	c->job = JOB_SIGN;
	c->state = ST13_HS_KEYS_JOB;
	hs_wait(c);
	return 0;
}

/*
 * Queue the application traffic secrets (RFC 8446 7.1: Derive-Secret(master,
 * "c/s ap traffic", ClientHello..server Finished), the transcript hash is in
 * s.th), their keys and IVs (7.3), and the client Finished we expect (4.4.4:
 * HMAC(client finished_key, cf_ctx), the transcript up to the client's
 * Certificate/CertificateVerify if it sends any). Server and client alike.
 */
int
hs13_queue_ap_keys(struct hs_conn *c, const uint8_t *cf_ctx)
{
	struct hs_secrets *s = &c->hx->s;
	size_t hl = hs_hash_len(c), kl = c->si->key_len;
	int cap, sap;

	cap = hs13_label(c, s->master, "c ap traffic", s->th, hl, c->c_ap, hl, HSO_KDF_NO_DEP);
	sap = hs13_label(c, s->master, "s ap traffic", s->th, hl, c->s_ap, hl, HSO_KDF_NO_DEP);
	if (cap < 0 || sap < 0 ||
	    hs13_label(c, c->s_ap, "key", NULL, 0, s->s_key2, kl, sap) < 0 ||
	    hs13_label(c, c->s_ap, "iv", NULL, 0, s->s_iv2, HSO_AEAD_NONCE_LEN, sap) < 0 ||
	    hs13_label(c, c->c_ap, "key", NULL, 0, s->c_key2, kl, cap) < 0 ||
	    hs13_label(c, c->c_ap, "iv", NULL, 0, s->c_iv2, HSO_AEAD_NONCE_LEN, cap) < 0 ||
	    hs_kdf(c, hso_kdf_hmac(c->w->kdf, hs_kdf_hash(c), NULL, s->c_fin_key, hl,
				   cf_ctx, hl, s->cf_expected, HSO_KDF_NO_DEP)) < 0)
		return -1;
	return 0;
}

int
hs13_prot_init(struct hs_conn *c, struct hs_dir *d, const uint8_t *key, const uint8_t *iv)
{
	return hs_dir_set(c, d, HSO_TLS13, key, iv, HSO_AEAD_NONCE_LEN) == 0 ? 0 : HS_ERR_INTERNAL;
}

/* Handshake keys and signature ready: CertificateVerify, then our Finished MAC. */
static int
after_hs_keys(struct hs_conn *c)
{
	struct hs_writer w;
	size_t hl = hs_hash_len(c);

	if (hs13_prot_init(c, &c->wr, c->hx->s.s_key, c->hx->s.s_iv) != 0)
		return HS_ERR_INTERNAL;
	c->wr_on = true;
	hs_stage_msg_begin(c, &w);
	if (!c->resumed &&
	    (hs_certificate_verify_write(&w, c->sigalg, c->hx->sig, c->hx->sig_len) != 0 ||
	     hs_stage_msg_end(c, &w, 0) != 0))
		return HS_ERR_INTERNAL;
	hso_hash_peek(&c->hx->th, c->hx->s.th2);
	/* RFC 8446 4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(..CV)). */
	if (hs_kdf(c, hso_kdf_hmac(c->w->kdf, hs_kdf_hash(c), NULL, c->hx->s.s_fin_key, hl,
				   c->hx->s.th2, hl, c->hx->s.sf, HSO_KDF_NO_DEP)) < 0)
		return HS_ERR_INTERNAL;
	c->state = ST13_SF_JOB;
	return 0;
}

/* Our Finished ready: send the flight, derive the application secrets. */
static int
after_sf(struct hs_conn *c)
{
	struct hs_writer w;
	struct hs_secrets *s = &c->hx->s;
	size_t hl = hs_hash_len(c);

	hs_stage_msg_begin(c, &w);
	if (hs_finished_write(&w, s->sf, hl) != 0 || hs_stage_msg_end(c, &w, 0) != 0 ||
	    hs_flush_stage(c) != 0)
		return HS_ERR_INTERNAL;
	hso_hash_peek(&c->hx->th, s->th);
	if (hs13_queue_ap_keys(c, s->th) != 0)
		return HS_ERR_INTERNAL;
	c->state = ST13_AP_KEYS_JOB;
	return 0;
}

static int
after_ap_keys(struct hs_conn *c)
{
	if (hs13_prot_init(c, &c->rd, c->hx->s.c_key, c->hx->s.c_iv) != 0 ||
	    hs13_prot_init(c, &c->wr, c->hx->s.s_key2, c->hx->s.s_iv2) != 0)
		return HS_ERR_INTERNAL;
	c->rd_on = true;
	c->state = ST13_CLIENT_FINISHED;
	if (c->hx->ticket_wanted) {
		/*
		 * resumption_master_secret covers the transcript through the
		 * client Finished (RFC 8446 7.1). We know what that Finished must
		 * be, so derive it now, in this burst's batch, not after it.
		 */
		struct hso_hash t = c->hx->th;
		size_t hl = hs_hash_len(c);
		uint8_t hdr[4] = { HS_MT_FINISHED, 0, 0, (uint8_t)hl };
		int res;

		hso_hash_update(&t, hdr, sizeof(hdr));
		hso_hash_update(&t, c->hx->s.cf_expected, hl);
		hso_hash_peek(&t, c->hx->s.th2);
		hso_hash_wipe(&t);
		res = hs13_label(c, c->hx->s.master, "res master", c->hx->s.th2, hl, c->hx->s.res_master, hl,
			    HSO_KDF_NO_DEP);
		if (res < 0 || hs13_label(c, c->hx->s.res_master, "resumption", ticket_nonce,
				     sizeof(ticket_nonce), c->hx->s.ticket_psk, hl, res) < 0)
			return HS_ERR_INTERNAL;
		c->state = ST13_RES_JOB;
	}
	return 0;
}

/* Binder computed: check it, then go on as a full handshake would. */
static int
after_binder(struct hs_conn *c)
{
	/*
	 * RFC 8446 4.2.11.2: the server "MUST validate" the binder; a wrong
	 * one is decrypt_error (6.2).
	 */
	if (CRYPTO_memcmp(c->hx->s.binder_expected, c->hx->s.binder_recv, hs_hash_len(c)) != 0)
		return HS_ERR_ALERT(HS_ALERT_DECRYPT_ERROR);
	c->w->stats.resumed++;
	if (c->hx->psk_dhe) {
		c->job = JOB_ECDHE;
		c->state = ST13_ECDHE_JOB;
		hs_wait(c);
		return 0;
	}
	return after_ecdhe(c);
}

/* Send one NewSessionTicket under the application keys (RFC 8446 4.6.1). */
static int
send_ticket(struct hs_conn *c)
{
	struct hs_ticket t;
	uint8_t sealed[HS_TICKET_MAX], msg[HS_TICKET_MAX + 32];
	struct hs_writer w;
	int n;

	memset(&t, 0, sizeof(t));
	t.version = HS_TLS13;
	t.suite = c->suite;
	t.issued_ms = c->cfg->now_ms();
	t.lifetime = c->cfg->ticket_lifetime;
	if (hs_random((uint8_t *)&t.age_add, sizeof(t.age_add)) != 0)
		return HS_ERR_INTERNAL;
	t.secret_len = (uint8_t)hs_hash_len(c);
	memcpy(t.secret, c->hx->s.ticket_psk, t.secret_len);
	t.sni_len = c->hx->sni_raw_len;
	memcpy(t.sni, c->hx->sni, t.sni_len);
	t.alpn_len = c->alpn_len;
	if (c->alpn_len > 0)
		memcpy(t.alpn, c->alpn, c->alpn_len);
	n = hs_ticket_seal(c->cfg, &t, sealed, sizeof(sealed));
	hs_writer_init(&w, msg, sizeof(msg));
	if (n > 0)
		n = hs_new_session_ticket13_write(&w, t.lifetime, t.age_add,
						  (struct hs_view){ ticket_nonce, sizeof(ticket_nonce) },
						  (struct hs_view){ sealed, (uint16_t)n });
	hs_ticket_wipe(&t);
	if (n < 0 || hs_write_record(c, HS_CT_HANDSHAKE, msg, w.off) != 0)
		return HS_ERR_INTERNAL;
	c->w->stats.tickets_issued++;
	return 0;
}

static int
resume(struct hs_conn *c)
{
	switch (c->state) {
	case ST13_ECDHE_JOB:
		return after_ecdhe(c);
	case ST13_HS_KEYS_JOB:
		return after_hs_keys(c);
	case ST13_SF_JOB:
		return after_sf(c);
	case ST13_AP_KEYS_JOB:
		return after_ap_keys(c);
	case ST13_BINDER_JOB:
		return after_binder(c);
	case ST13_RES_JOB:
		c->state = ST13_CLIENT_FINISHED;
		return 0;
	default:
		return HS_ERR_INTERNAL;
	}
}

static int
client_finished(struct hs_conn *c, const struct hs_msg *m)
{
	size_t hl = hs_hash_len(c);
	uint8_t k[HSO_AEAD_KEY_MAX], iv[HSO_AEAD_NONCE_LEN];

	if (m->type != HS_MT_FINISHED)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (m->len != hl)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	/* RFC 8446 4.4.4: a wrong verify_data "MUST" end with decrypt_error. */
	if (CRYPTO_memcmp(m->body, c->hx->s.cf_expected, hl) != 0)
		return HS_ERR_ALERT(HS_ALERT_DECRYPT_ERROR);
	if (!hs_at_key_change_boundary(c))
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	memcpy(k, c->hx->s.c_key2, sizeof(k));
	memcpy(iv, c->hx->s.c_iv2, sizeof(iv));
	if (hs13_prot_init(c, &c->rd, k, iv) != 0)
		return HS_ERR_INTERNAL;
	OPENSSL_cleanse(k, sizeof(k));
	c->hx->early_skip = 0;
	if (c->hx->ticket_wanted && send_ticket(c) != 0)
		return HS_ERR_INTERNAL;
	hs_established(c);
	return 0;
}

/* Next traffic secret and its key/IV (RFC 8446 7.2), then re-key @p rp. */
static int
next_traffic_key(struct hs_conn *c, uint8_t *secret, struct hs_dir *rp)
{
	struct hso_hmac_key k;
	uint8_t key[HSO_AEAD_KEY_MAX], iv[HSO_AEAD_NONCE_LEN];
	size_t hl = hs_hash_len(c);
	int rc;

	hso_hmac_key_init(&k, hs_kdf_hash(c), secret, hl);
	rc = hso_kdf_expand_label_lean(&k, "traffic upd", 11, NULL, 0, secret, hl);
	hso_hmac_key_wipe(&k);
	hso_hmac_key_init(&k, hs_kdf_hash(c), secret, hl);
	rc |= hso_kdf_expand_label_lean(&k, "key", 3, NULL, 0, key, c->si->key_len);
	rc |= hso_kdf_expand_label_lean(&k, "iv", 2, NULL, 0, iv, sizeof(iv));
	hso_hmac_key_wipe(&k);
	if (rc == 0)
		rc = hs13_prot_init(c, rp, key, iv);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	return rc == 0 ? 0 : HS_ERR_INTERNAL;
}

int
hs_conn_key_update(struct hs_conn *c, bool request_peer)
{
	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->status != HS_STATUS_ESTABLISHED || c->ops->key_update == NULL)
		return -ENOTCONN;
	return c->ops->key_update(c, request_peer);
}

/* Send a KeyUpdate and move our write side to its next secret. */
int
hs13_key_update_send(struct hs_conn *c, bool request_peer)
{
	uint8_t msg[5] = { HS_MT_KEY_UPDATE, 0, 0, 1, request_peer ? 1 : 0 };
	uint8_t *secret = c->ccfg != NULL ? c->c_ap : c->s_ap;
	int rc;

	if (hs_write_record(c, HS_CT_HANDSHAKE, msg, sizeof(msg)) != 0)
		return hs_fail(c, HS_ERR_INTERNAL);
	rc = next_traffic_key(c, secret, &c->wr);
	return rc == 0 ? 0 : hs_fail(c, rc);
}

/* A KeyUpdate from the peer: its write side (our read side) moves on. */
int
hs13_key_update_recv(struct hs_conn *c, const struct hs_msg *m, uint8_t *rd_secret,
		     bool at_end)
{
	int rc;

	/* enum { update_not_requested(0), update_requested(1) } KeyUpdateRequest; */
	if (m->len != 1)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	if (m->body[0] > 1)
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	/* RFC 8446 5.1: the record holding a key change ends with it. */
	if (!at_end)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	rc = next_traffic_key(c, rd_secret, &c->rd);
	if (rc != 0)
		return rc;
	/*
	 * RFC 8446 4.6.3: on update_requested the receiver "MUST send a
	 * KeyUpdate of its own with request_update set to
	 * "update_not_requested"" before further application data.
	 */
	if (m->body[0] == 1)
		return hs13_key_update_send(c, false);
	return 0;
}

static int
handshake_msg(struct hs_conn *c, const struct hs_msg *m)
{
	struct hs_client_hello ch;
	int rc;

	switch (c->state) {
	case ST13_CLIENT_HELLO2:
		if (m->type != HS_MT_CLIENT_HELLO)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		rc = hs_client_hello_parse(m->body, m->len, &ch);
		if (rc != 0)
			return rc;
		{
			uint16_t v;

			rc = hs_nego_version(&ch, &c->cfg->nego, &v);
			if (rc != 0)
				return rc;
			if (v != HS_TLS13)
				return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		}
		/* RFC 8446 4.1.2: no early data after a HelloRetryRequest. */
		if (ch.has_early_data)
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		return client_hello(c, &ch, m);
	case ST13_CLIENT_FINISHED:
		return client_finished(c, m);
	default:
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	}
}

/* After the handshake a client may send us KeyUpdate, nothing else. */
int
hs13_post_hs_key_update(struct hs_conn *c, uint8_t type, uint32_t len)
{
	(void)c;
	if (type != HS_MT_KEY_UPDATE)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	/* KeyUpdate has a one-byte body. */
	return len == 1 ? HS_PH_SHORT : HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
}

static int
post_hs_msg(struct hs_conn *c, const struct hs_msg *m, bool at_end)
{
	return hs13_key_update_recv(c, m, c->c_ap, at_end);
}

/*
 * RFC 8446 5: a change_cipher_spec record consisting of the single byte
 * 0x01, received between the first ClientHello and the peer's Finished,
 * "MUST simply" be dropped; any other is unexpected_message. Once only.
 */
int
hs13_change_cipher_spec(struct hs_conn *c)
{
	if (c->hx->ccs_seen || c->state == ST_ESTABLISHED)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	c->hx->ccs_seen = true;
	return 0;
}

/*
 * Protected TLS 1.3 records all say application_data outside. One
 * exception: until the client's first protected record, it may not have
 * our handshake keys (it rejected our ServerHello) and alerts in
 * plaintext, as OpenSSL lets it; take that as its alert.
 */
static int
outer_type(struct hs_conn *c, const struct hs_record *r)
{
	if (r->type == HS_CT_ALERT && r->len == 2 && !c->rd_opened &&
	    c->state == ST13_CLIENT_FINISHED && hs_msg_asm_idle(&c->hx->asm_))
		return 0;
	return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
}

const struct hs_proto_ops hs13_server_ops = {
	.name = "tls1.3-server",
	.version = HS_TLS13,
	.ct_max = HS_RECORD_CIPHERTEXT_MAX_13,
	.outer_type = outer_type,
	.change_cipher_spec = hs13_change_cipher_spec,
	.client_hello = hs13_client_hello,
	.handshake_msg = handshake_msg,
	.post_hs_begin = hs13_post_hs_key_update,
	.post_hs_msg = post_hs_msg,
	.resume = resume,
	.half_close = true,
	.key_update = hs13_key_update_send,
	.export_keys = hs13_export_keys,
	.completed_stat = offsetof(struct hs_worker_stats, completed_tls13),
};
