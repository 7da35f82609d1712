/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.3 client (RFC 8446), 1-RTT with HelloRetryRequest and PSK
 * resumption (psk_dhe_ke, psk_ke).
 *
 *   ServerHello ─► job ECDHE + KDF: handshake secrets     STC13_SH_JOB
 *   [HRR ─► new key share ─► ClientHello 2]               STC_HELLO_JOB
 *   EncryptedExtensions                                   STC13_EE
 *   Certificate ─► (full) job: leaf key, chain           STC13_CERT(_JOB)
 *   CertificateVerify ─► (full) job: verify; KDF: expected server Finished
 *                                                         STC13_CV(_JOB)
 *   server Finished ─► KDF: application secrets, our Finished
 *                                                         STC13_AP_JOB
 *   our Finished out ─► [KDF: resumption master secret]   STC13_RES_JOB
 *   established: NewSessionTicket, KeyUpdate
 *
 * In load mode nothing is verified: Certificate and CertificateVerify are
 * decoded and hashed only. Every KDF stage runs in the worker's batch.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine_priv.h"
#include "hs_client.h"

/* Extensions that exist but not in a TLS 1.3 ServerHello (RFC 8446 4.2). */
static bool
misplaced_ext(const struct hs_server_hello_in *sh)
{
	return sh->has_ems || sh->has_ticket || sh->has_alpn || sh->has_sni ||
	       sh->has_reneg_info || sh->has_ec_point_formats;
}

static bool
suite_offered13(const struct hs_conn *c, uint16_t suite)
{
	const struct hs_nego_policy *p = &c->ccfg->base.nego;
	const struct hs_suite_info *si = hs_suite_find(suite);

	return si != NULL && si->version == HS_TLS13 &&
	       hs_client_u16_in(p->suites, p->n_suites, suite);
}

static int
send_ccs_once(struct hs_conn *c)
{
	static const uint8_t one = 1;

	/*
	 * RFC 8446 D.4: in compatibility mode the client sends one dummy
	 * change_cipher_spec "immediately before its second flight", before
	 * the second ClientHello or the encrypted flight; never protected.
	 */
	if (!c->ccfg->compat_mode || c->hx->ccs_sent || c->wr_on)
		return 0;
	c->hx->ccs_sent = true;
	return hs_write_record(c, HS_CT_CHANGE_CIPHER_SPEC, &one, 1) == 0 ? 0 : HS_ERR_INTERNAL;
}

/* The transcript in the suite's hash, now that the suite is known. */
static void
pick_transcript(struct hs_conn *c)
{
	if (c->si->hash) {
		hso_hash_wipe(&c->hx->th);
		c->hx->th = c->hx->th_alt;
		memset(&c->hx->th_alt, 0, sizeof(c->hx->th_alt));
	} else {
		hso_hash_wipe(&c->hx->th_alt);
	}
}

static int
hello_retry(struct hs_conn *c, const struct hs_server_hello_in *sh, const struct hs_msg *m)
{
	const struct hs_nego_policy *p = &c->ccfg->base.nego;
	uint8_t hdr[4] = { HS_MT_MESSAGE_HASH, 0, 0, 0 };
	uint8_t d[HSO_HASH_MAX_LEN];
	int n, rc;

	/* RFC 8446 4.1.4: a second HelloRetryRequest is unexpected_message. */
	if (c->hx->hrr_sent)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (sh->has_unknown)
		return HS_ERR_ALERT(HS_ALERT_UNSUPPORTED_EXTENSION);
	if (misplaced_ext(sh) || sh->has_psk || !suite_offered13(c, sh->suite) ||
	    sh->compression != 0 || sh->session_id.len != c->hx->session_id_len ||
	    memcmp(sh->session_id.p, c->hx->session_id, c->hx->session_id_len) != 0)
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	/*
	 * RFC 8446 4.1.4: a HelloRetryRequest that "would not result in any
	 * change in the ClientHello" is illegal_parameter; 4.2.8: the
	 * selected_group must be one of supported_groups and not one a share
	 * was sent for.
	 */
	if (!sh->has_key_share && !sh->has_cookie)
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	if (sh->has_key_share) {
		if (!hs_client_u16_in(p->groups, p->n_groups, sh->ks_group) ||
		    hs_client_u16_in(c->hx->share_group, c->hx->n_shares, sh->ks_group))
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	}
	c->suite = sh->suite;
	c->si = hs_suite_find(sh->suite);
	/* RFC 8446 4.4.1: ClientHello1 becomes message_hash(Hash(ClientHello1)). */
	pick_transcript(c);
	n = hso_hash_peek(&c->hx->th, d);
	if (n < 0)
		return HS_ERR_INTERNAL;
	hdr[3] = (uint8_t)n;
	hso_hash_init(&c->hx->th, (enum hso_hash_alg)c->si->hash);
	hso_hash_update(&c->hx->th, hdr, sizeof(hdr));
	hso_hash_update(&c->hx->th, d, (size_t)n);
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	c->hx->hrr_sent = true;
	c->w->stats.client_hrr++;
	/* Keep the cookie for the second hello (our own limit: HS_PEER_KX_MAX). */
	c->hx->peer_kx_len = 0;
	if (sh->has_cookie) {
		if (sh->cookie.len > sizeof(c->hx->peer_kx))
			return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
		memcpy(c->hx->peer_kx, sh->cookie.p, sh->cookie.len);
		c->hx->peer_kx_len = sh->cookie.len;
	}
	/* RFC 8446 4.1.4: drop a PSK whose hash is not the suite's. */
	if (c->hx->psk_offered && hs_suite_find(c->hx->offer_suite)->hash != c->si->hash)
		c->hx->psk_offered = false;
	rc = send_ccs_once(c);
	if (rc != 0)
		return rc;
	if (sh->has_key_share) {
		hs_client_put_key(c, 0);
		hs_client_put_key(c, 1);
		c->hx->n_shares = 1;
		if (!hs_client_take_key(c, 0, sh->ks_group)) {
			c->job = JOB_C_KEYGEN;
			c->state = STC_HELLO_JOB;
			hs_wait(c);
			return 0;
		}
	}
	return hs_client_send_hello(c);
}

int
hs13c_server_hello(struct hs_conn *c, const struct hs_server_hello_in *sh,
		   const struct hs_msg *m)
{
	int rc;

	if (sh->hrr)
		return hello_retry(c, sh, m);
	if (sh->has_unknown)
		return HS_ERR_ALERT(HS_ALERT_UNSUPPORTED_EXTENSION);
	/*
	 * RFC 8446 4.1.3: legacy_session_id_echo not the client's, a
	 * compression other than 0, a suite not offered: illegal_parameter;
	 * 4.1.4: after HRR the suite must be the HRR's.
	 */
	if (misplaced_ext(sh) || sh->has_cookie || !suite_offered13(c, sh->suite) ||
	    sh->compression != 0 || sh->session_id.len != c->hx->session_id_len ||
	    memcmp(sh->session_id.p, c->hx->session_id, c->hx->session_id_len) != 0 ||
	    (c->hx->hrr_sent && sh->suite != c->suite))
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	if (!c->hx->hrr_sent) {
		c->suite = sh->suite;
		c->si = hs_suite_find(sh->suite);
		pick_transcript(c);
	}
	c->resumed = false;
	if (sh->has_psk) {
		/*
		 * RFC 8446 4.2.11: selected_identity within the offered list and
		 * a suite whose hash is the PSK's, else illegal_parameter.
		 */
		if (!c->hx->psk_offered || sh->psk_identity != 0 ||
		    hs_suite_find(c->hx->offer_suite)->hash != c->si->hash)
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		c->resumed = true;
	}
	c->hx->share_idx = 0;
	if (sh->has_key_share) {
		unsigned i;

		for (i = 0; i < c->hx->n_shares; i++)
			if (c->hx->share_group[i] == sh->ks_group)
				break;
		/* RFC 8446 4.2.8: a group the client sent no share for. */
		if (i == c->hx->n_shares || sh->ks_key.len > sizeof(c->hx->peer_kx))
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		c->hx->share_idx = (uint8_t)i;
		c->group = sh->ks_group;
		memcpy(c->hx->peer_kx, sh->ks_key.p, sh->ks_key.len);
		c->hx->peer_kx_len = sh->ks_key.len;
		c->hx->psk_dhe = c->resumed;
	} else if (!c->resumed || !(c->hx->psk_modes & 1)) {
		/* No (EC)DHE without psk_ke offered and taken: RFC 8446 9.2. */
		return HS_ERR_ALERT(HS_ALERT_MISSING_EXTENSION);
	} else {
		c->group = 0;
		c->hx->psk_dhe = false;
	}
	/* RFC 8446 5.1: the ServerHello ends its record (a key change follows). */
	if (!hs_at_key_change_boundary(c))
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	memcpy(c->hx->server_random, sh->random, 32);
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	hso_hash_peek(&c->hx->th, c->hx->s.th);
	if (c->resumed) {
		c->w->stats.resumed++;
		/* The PSK's early secret and its "derived" came with the binder. */
	}
	/*
	 * The derive (an asymmetric job) runs before this round's KDF batch,
	 * which reads s.shared only when it runs: both in one round.
	 */
	rc = hs13_queue_handshake_keys(c);
	if (rc != 0)
		return rc;
	if (c->group != 0) {
		c->job = JOB_C_ECDHE;
		hs_wait(c);
	}
	c->state = STC13_SH_JOB;
	return 0;
}

static int
after_sh(struct hs_conn *c)
{
	hs_client_put_key(c, 0);
	hs_client_put_key(c, 1);
	if (hs13_prot_init(c, &c->rd, c->hx->s.s_key, c->hx->s.s_iv) != 0)
		return HS_ERR_INTERNAL;
	c->rd_on = true;
	if (send_ccs_once(c) != 0 || hs13_prot_init(c, &c->wr, c->hx->s.c_key, c->hx->s.c_iv) != 0)
		return HS_ERR_INTERNAL;
	c->wr_on = true;
	c->state = STC13_EE;
	return 0;
}

/* Queue the server Finished we expect: HMAC(finished_key, transcript so far). */
static int
queue_expected_sf(struct hs_conn *c)
{
	size_t hl = hs_hash_len(c);

	hso_hash_peek(&c->hx->th, c->hx->s.th2);
	if (hs_kdf(c, hso_kdf_hmac(c->w->kdf, hs_kdf_hash(c), NULL, c->hx->s.s_fin_key, hl,
				   c->hx->s.th2, hl, c->hx->s.sf, HSO_KDF_NO_DEP)) < 0)
		return HS_ERR_INTERNAL;
	c->state = STC13_CV_JOB;
	return 0;
}

static int
encrypted_extensions(struct hs_conn *c, const struct hs_msg *m)
{
	const struct hs_nego_policy *p = &c->ccfg->base.nego;
	struct hs_encrypted_extensions_in ee;
	int rc;

	if (m->type != HS_MT_ENCRYPTED_EXTENSIONS)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	rc = hs_encrypted_extensions_parse(m->body, m->len, &ee);
	if (rc != 0)
		return rc;
	/*
	 * RFC 8446 4.2: a response to an extension not offered "MUST" abort
	 * with unsupported_extension (early_data: never offered).
	 */
	if (ee.has_unknown || ee.has_early_data || (ee.has_sni && c->ccfg->sni[0] == '\0') ||
	    (ee.has_alpn && p->alpn_len == 0))
		return HS_ERR_ALERT(HS_ALERT_UNSUPPORTED_EXTENSION);
	c->alpn_len = 0;
	if (ee.has_alpn) {
		/* RFC 7301 3.1: the protocol must be one the client offered. */
		struct hs_view offered = { p->alpn, p->alpn_len };

		/* Kept as a pointer into our own list: it outlives the message. */
		c->alpn = hs_alpn_find(offered, ee.alpn.p, ee.alpn.len);
		if (c->alpn == NULL)
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		c->alpn_len = (uint8_t)ee.alpn.len;
	}
	c->hx->sni_ack = ee.has_sni;
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	if (c->resumed)
		/* RFC 8446 2.2: no Certificate nor CertificateVerify with a PSK. */
		return queue_expected_sf(c);
	c->state = STC13_CERT;
	return 0;
}

static int
certificate(struct hs_conn *c, const struct hs_msg *m)
{
	struct hs_certificate_in ci;
	int rc;

	if (m->type == HS_MT_CERTIFICATE_REQUEST && !c->hx->cert_requested) {
		rc = hs_certificate_request_parse(m->body, m->len, true);
		if (rc != 0)
			return rc;
		c->hx->cert_requested = true;
		hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
		return 0;
	}
	if (m->type != HS_MT_CERTIFICATE)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	rc = hs_certificate_parse(m->body, m->len, true, &ci);
	if (rc != 0)
		return rc;
	/*
	 * RFC 8446 4.4.2: the server's entry extensions "MUST correspond to
	 * ones from the ClientHello"; 4.2: otherwise unsupported_extension.
	 */
	if (ci.has_unknown || (ci.has_status && !c->ccfg->status_request))
		return HS_ERR_ALERT(HS_ALERT_UNSUPPORTED_EXTENSION);
	if (ci.ocsp != NULL) {
		c->hx->staple = true;
		c->w->stats.client_staples++;
	}
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	if (c->ccfg->mode == HS_CLIENT_LOAD) {
		c->state = STC13_CV;
		return 0;
	}
	/* The message stays in place while the connection waits for the job. */
	c->hx->pend_msg = m->body;
	c->hx->pend_len = m->len;
	c->job = JOB_C_CERT;
	c->state = STC13_CERT_JOB;
	hs_wait(c);
	return 0;
}

static int
certificate_verify(struct hs_conn *c, const struct hs_msg *m)
{
	const struct hs_nego_policy *p = &c->ccfg->base.nego;
	uint8_t h[HSO_HASH_MAX_LEN];
	struct hs_view sig;
	uint16_t scheme;
	int rc, hl;

	if (m->type != HS_MT_CERTIFICATE_VERIFY)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	rc = hs_certificate_verify_parse(m->body, m->len, &scheme, &sig);
	if (rc != 0)
		return rc;
	/*
	 * RFC 8446 4.4.3: the scheme must be one the client offered; 4.2.3:
	 * no RSASSA-PKCS1-v1_5 in TLS 1.3, ECDSA bound to its curve.
	 */
	if (!hs_client_u16_in(p->sigalgs, p->n_sigalgs, scheme) ||
	    scheme == HS_SIG_RSA_PKCS1_SHA256 || scheme == HS_SIG_RSA_PKCS1_SHA384 ||
	    scheme == HS_SIG_RSA_PKCS1_SHA512 || scheme == HS_SIG_ECDSA_SHA224 ||
	    sig.len > sizeof(c->hx->sig))
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	if (c->ccfg->mode == HS_CLIENT_FULL &&
	    ((scheme == HS_SIG_ECDSA_SECP256R1_SHA256 && c->hx->peer.key_type != HSO_KEY_EC_P256) ||
	     (scheme == HS_SIG_ECDSA_SECP384R1_SHA384 && c->hx->peer.key_type != HSO_KEY_EC_P384) ||
	     scheme == HS_SIG_ECDSA_SECP521R1_SHA512))
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	c->sigalg = scheme;
	if (c->ccfg->mode == HS_CLIENT_FULL) {
		/* Signed: 64 spaces, the server context, 0, Hash(..Certificate). */
		hl = hso_hash_peek(&c->hx->th, h);
		c->hx->tbs_len = (uint16_t)hs_certificate_verify_content(c->hx->tbs, h, (size_t)hl);
		memcpy(c->hx->sig, sig.p, sig.len);
		c->hx->sig_len = sig.len;
		c->job = JOB_C_VERIFY;
	}
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	rc = queue_expected_sf(c);
	if (rc == 0 && c->job != JOB_NONE)
		hs_wait(c);
	return rc;
}

static int
server_finished(struct hs_conn *c, const struct hs_msg *m)
{
	struct hs_secrets *s = &c->hx->s;
	size_t hl = hs_hash_len(c);

	if (m->type != HS_MT_FINISHED)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (m->len != hl)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	/* RFC 8446 4.4.4: a wrong verify_data "MUST" end with decrypt_error. */
	if (CRYPTO_memcmp(m->body, s->sf, hl) != 0)
		return HS_ERR_ALERT(HS_ALERT_DECRYPT_ERROR);
	/* The server's next records are under its application keys. */
	if (!hs_at_key_change_boundary(c))
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	/* Application secrets: Derive-Secret(master, "c/s ap traffic", CH..server Finished). */
	hso_hash_peek(&c->hx->th, s->th);
	if (c->hx->cert_requested) {
		/* RFC 8446 4.4.2: no certificate: an empty Certificate before Finished. */
		struct hs_writer w;

		hs_stage_msg_begin(c, &w);
		if (hs_certificate_empty_write(&w, true) != 0 || hs_stage_msg_end(c, &w, 0) != 0)
			return HS_ERR_INTERNAL;
	}
	hso_hash_peek(&c->hx->th, s->th2);
	if (hs13_queue_ap_keys(c, s->th2) != 0)
		return HS_ERR_INTERNAL;
	c->state = STC13_AP_JOB;
	return 0;
}

static int
after_ap(struct hs_conn *c)
{
	struct hs_writer w;
	size_t hl = hs_hash_len(c);

	if (hs13_prot_init(c, &c->rd, c->hx->s.s_key2, c->hx->s.s_iv2) != 0)
		return HS_ERR_INTERNAL;
	hs_stage_msg_begin(c, &w);
	if (hs_finished_write(&w, c->hx->s.cf_expected, hl) != 0 ||
	    hs_stage_msg_end(c, &w, 0) != 0 || hs_flush_stage(c) != 0 ||
	    hs13_prot_init(c, &c->wr, c->hx->s.c_key2, c->hx->s.c_iv2) != 0)
		return HS_ERR_INTERNAL;
	if (c->hx->psk_modes != 0) {
		/* resumption_master_secret: transcript through our Finished (7.1). */
		hso_hash_peek(&c->hx->th, c->hx->s.th);
		if (hs13_label(c, c->hx->s.master, "res master", c->hx->s.th, hl, c->hx->res_master, hl,
			       HSO_KDF_NO_DEP) < 0)
			return HS_ERR_INTERNAL;
		c->state = STC13_RES_JOB;
		return 0;
	}
	hs_established(c);
	return 0;
}

static int
resume(struct hs_conn *c)
{
	switch (c->state) {
	case STC_HELLO_JOB:
		return hs_client_send_hello(c);
	case STC13_SH_JOB:
		return after_sh(c);
	case STC13_CERT_JOB:
		c->state = STC13_CV;
		return 0;
	case STC13_CV_JOB:
		c->state = STC13_FINISHED;
		return 0;
	case STC13_AP_JOB:
		return after_ap(c);
	case STC13_RES_JOB:
		hs_established(c);
		return 0;
	default:
		return HS_ERR_INTERNAL;
	}
}

/* NewSessionTicket (RFC 8446 4.6.1): the PSK it stands for, kept with the ticket. */
static int
new_session_ticket(struct hs_conn *c, const struct hs_msg *m)
{
	struct hs_new_session_ticket_in t;
	struct hso_hmac_key k;
	size_t hl = hs_hash_len(c);
	int rc;

	rc = hs_new_session_ticket_parse(m->body, m->len, true, &t);
	if (rc != 0)
		return rc;
	/* Keep the first usable one; a ticket over our limit is not resumable. */
	if (t.ticket.len > HS_CLIENT_TICKET_MAX)
		c->w->stats.client_tickets_too_long++;
	if (c->hx->have_session || c->hx->psk_modes == 0 || t.ticket.len > HS_CLIENT_TICKET_MAX ||
	    t.lifetime == 0)
		return 0;
	/* PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", nonce, Hash.length). */
	hso_hmac_key_init(&k, hs_kdf_hash(c), c->hx->res_master, hl);
	rc = hso_kdf_expand_label_lean(&k, "resumption", 10, t.nonce.p, t.nonce.len,
				       c->hx->sess_secret, hl);
	hso_hmac_key_wipe(&k);
	if (rc != 0)
		return HS_ERR_INTERNAL;
	c->hx->sess_secret_len = (uint8_t)hl;
	memcpy(c->hx->ticket_area, t.ticket.p, t.ticket.len);
	c->hx->new_ticket_len = t.ticket.len;
	c->hx->new_lifetime = t.lifetime;
	c->hx->new_age_add = t.age_add;
	c->hx->new_received_ms = c->cfg->now_ms();
	c->hx->have_session = true;
	c->w->stats.client_sessions++;
	return 0;
}

static int
handshake_msg(struct hs_conn *c, const struct hs_msg *m)
{
	switch (c->state) {
	case STC_SERVER_HELLO:
		return hs_client_server_hello(c, m);
	case STC13_EE:
		return encrypted_extensions(c, m);
	case STC13_CERT:
		return certificate(c, m);
	case STC13_CV:
		return certificate_verify(c, m);
	case STC13_FINISHED:
		return server_finished(c, m);
	default:
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	}
}

/*
 * After the handshake: KeyUpdate, and NewSessionTicket, gathered while the
 * handshake context is there to keep it and no session is kept yet (the
 * first usable one is kept), read past otherwise. post_handshake_auth is
 * never offered: CertificateRequest is unexpected.
 */
static int
post_hs_begin(struct hs_conn *c, uint8_t type, uint32_t len)
{
	if (type == HS_MT_KEY_UPDATE)
		return hs13_post_hs_key_update(c, type, len);
	if (type != HS_MT_NEW_SESSION_TICKET)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (len > c->cfg->max_handshake_msg)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	if (c->hx == NULL) {
		c->w->stats.client_tickets_late++;
		return HS_PH_SKIP;
	}
	if (c->hx->have_session || c->hx->psk_modes == 0)
		return HS_PH_SKIP;
	if (len > HS_MSG_INLINE_MAX) {
		/* Its ticket is over HS_CLIENT_TICKET_MAX anyway. */
		c->w->stats.client_tickets_too_long++;
		return HS_PH_SKIP;
	}
	return HS_PH_GATHER;
}

static int
post_hs_msg(struct hs_conn *c, const struct hs_msg *m, bool at_end)
{
	if (m->type == HS_MT_NEW_SESSION_TICKET)
		return new_session_ticket(c, m);
	return hs13_key_update_recv(c, m, c->s_ap, at_end);
}

/*
 * Protected records all say application_data outside. Until the server's
 * first protected record it may alert in plaintext (it could not use our
 * share, or failed after its ServerHello): take that as its alert.
 */
static int
outer_type(struct hs_conn *c, const struct hs_record *r)
{
	if (r->type == HS_CT_ALERT && r->len == 2 && !c->rd_opened &&
	    c->status == HS_STATUS_HANDSHAKING && hs_msg_asm_idle(&c->hx->asm_))
		return 0;
	return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
}

const struct hs_proto_ops hs13_client_ops = {
	.name = "tls1.3-client",
	.version = HS_TLS13,
	.ct_max = HS_RECORD_CIPHERTEXT_MAX_13,
	.outer_type = outer_type,
	.change_cipher_spec = hs13_change_cipher_spec,
	.handshake_msg = handshake_msg,
	.post_hs_begin = post_hs_begin,
	.post_hs_msg = post_hs_msg,
	.resume = resume,
	.half_close = true,
	.key_update = hs13_key_update_send,
	.export_keys = hs13_export_keys,
	.completed_stat = offsetof(struct hs_worker_stats, completed_tls13),
};
