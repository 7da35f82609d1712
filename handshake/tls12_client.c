/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.2 client (RFC 5246), AEAD suites, ECDHE-ECDSA / ECDHE-RSA and RSA
 * key exchange, extended master secret (RFC 7627), renegotiation_info
 * (RFC 5746), resumption by ticket (RFC 5077) or session id.
 *
 *   ServerHello ─► full: Certificate ─► (full mode) job: leaf key, chain
 *                  [ServerKeyExchange] [CertificateRequest] ServerHelloDone
 *     job: verify SKE + ECDHE derive, or RSA premaster  STC12_KX_JOB
 *     ClientKeyExchange; KDF: master secret, key block, our Finished
 *                                                       STC12_KEYS_JOB
 *     CCS, Finished out ─► [NewSessionTicket] CCS ─► server Finished
 *     KDF: expected server Finished                     STC12_SF_JOB
 *   abbreviated: ServerHello ─► KDF: key block           STC12_RESUME_KEYS_JOB
 *     [NewSessionTicket] CCS, Finished ─► KDF: expected server Finished,
 *     then our CCS + Finished                            STC12_RESUME_CF_JOB
 *
 * Load mode: the ECDHE key is a worker key reused for N handshakes and the
 * RSA premaster with its ciphertext is reused per server key, so the
 * ClientKeyExchange is known at ServerHelloDone and the key schedule is
 * queued in the same round as the derive (or with no asymmetric job at all).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine_priv.h"
#include "hs_client.h"

#define VERIFY_DATA_LEN 12

static int
send_ccs(struct hs_conn *c)
{
	static const uint8_t one = 1;

	return hs_write_record(c, HS_CT_CHANGE_CIPHER_SPEC, &one, 1) == 0 ? 0 : HS_ERR_INTERNAL;
}

int
hs12c_server_hello(struct hs_conn *c, const struct hs_server_hello_in *sh,
		   const struct hs_msg *m)
{
	const struct hs_client_config *cc = c->ccfg;
	const struct hs_nego_policy *p = &cc->base.nego;
	const struct hs_suite_info *si = hs_suite_find(sh->suite);
	struct hs_secrets *s = &c->hx->s;
	size_t kb;

	/* RFC 5246 7.4.1.4: an extension not requested: unsupported_extension. */
	if (sh->has_unknown || (sh->has_ems && !cc->ems) ||
	    (sh->has_ticket && cc->resume != HS_RESUME_TICKET) ||
	    (sh->has_sni && cc->sni[0] == '\0') || (sh->has_alpn && p->alpn_len == 0))
		return HS_ERR_ALERT(HS_ALERT_UNSUPPORTED_EXTENSION);
	/* TLS 1.3-only extensions in a TLS 1.2 ServerHello (RFC 8446 4.2). */
	if (sh->has_key_share || sh->has_psk || sh->has_cookie || sh->hrr ||
	    si == NULL || si->version != HS_TLS12 ||
	    !hs_client_u16_in(p->suites, p->n_suites, sh->suite) || sh->compression != 0)
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	/* RFC 5746 3.4: a non-empty renegotiated_connection: handshake_failure. */
	if (sh->has_reneg_info && sh->reneg_info.len != 0)
		return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
	/* RFC 8422 5.2: the list, if sent, "MUST" contain uncompressed. */
	if (sh->has_ec_point_formats && !sh->uncompressed_points)
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	if (cc->require_ems && !sh->has_ems)
		return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
	c->alpn_len = 0;
	if (sh->has_alpn) {
		struct hs_view offered = { p->alpn, p->alpn_len };

		/* Kept as a pointer into our own list: it outlives the message. */
		c->alpn = hs_alpn_find(offered, sh->alpn.p, sh->alpn.len);
		if (c->alpn == NULL)
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		c->alpn_len = (uint8_t)sh->alpn.len;
	}
	c->suite = sh->suite;
	c->si = si;
	c->ems = sh->has_ems;
	c->hx->reneg_info = sh->has_reneg_info;
	c->hx->sni_ack = sh->has_sni;
	c->hx->ticket_expected = sh->has_ticket;
	memcpy(c->hx->server_random, sh->random, 32);
	if (si->hash) {
		hso_hash_wipe(&c->hx->th);
		c->hx->th = c->hx->th_alt;
		memset(&c->hx->th_alt, 0, sizeof(c->hx->th_alt));
	} else {
		hso_hash_wipe(&c->hx->th_alt);
	}
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	/* Our PSK-less TLS 1.3 key shares are not needed. */
	hs_client_put_key(c, 0);
	hs_client_put_key(c, 1);

	if (c->hx->psk_offered && hs_suite_find(c->hx->offer_suite)->version == HS_TLS12 &&
	    sh->session_id.len > 0 && sh->session_id.len == c->hx->session_id_len &&
	    memcmp(sh->session_id.p, c->hx->session_id, c->hx->session_id_len) == 0) {
		/* Abbreviated handshake (RFC 5246 7.3, RFC 5077 3.4). */
		if (sh->suite != c->hx->offer_suite)
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		/*
		 * RFC 7627 5.3: a session with EMS resumed without it, or one
		 * without resumed with it: the client "MUST abort".
		 */
		if (c->hx->offer_ems != sh->has_ems)
			return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
		c->resumed = true;
		c->w->stats.resumed++;
		kb = 2 * (si->key_len + hs12_iv_len(c));
		memcpy(s->seed, c->hx->server_random, 32);
		memcpy(s->seed + 32, c->hx->client_random, 32);
		if (hs_kdf(c, hso_kdf_prf(c->w->kdf, hs_kdf_hash(c), NULL, s->master, 48,
					  "key expansion", 13, s->seed, 64, s->key_block, kb,
					  HSO_KDF_NO_DEP)) < 0)
			return HS_ERR_INTERNAL;
		c->state = STC12_RESUME_KEYS_JOB;
		return 0;
	}
	/* A full handshake: the session id to resume it by is the server's. */
	c->resumed = false;
	c->hx->session_id_len = (uint8_t)sh->session_id.len;
	memcpy(c->hx->session_id, sh->session_id.p, sh->session_id.len);
	c->state = STC12_CERT;
	return 0;
}

/* Load mode: the worker's premaster slot for this server key, if any. */
static int
pms_slot_for(struct hs_conn *c, const uint8_t *der, size_t len)
{
	struct hs_client_worker *cw = c->w->cli;

	if (len > HS_CLI_PMS_DER_MAX)
		return -1;
	for (unsigned i = 0; i < HS_CLI_PMS_SLOTS; i++) {
		struct hs_cli_pms_slot *s = &cw->pms[i];

		if (s->der_len == len && memcmp(s->der, der, len) == 0) {
			s->refs++;
			return (int)i;
		}
	}
	for (unsigned k = 0; k < HS_CLI_PMS_SLOTS; k++) {
		unsigned i = (cw->pms_next + k) % HS_CLI_PMS_SLOTS;
		struct hs_cli_pms_slot *s = &cw->pms[i];

		if (s->refs != 0)
			continue;
		OPENSSL_cleanse(s->pms, sizeof(s->pms));
		s->der_len = (uint16_t)len;
		s->ct_len = 0;
		memcpy(s->der, der, len);
		s->refs = 1;
		cw->pms_next = (i + 1) % HS_CLI_PMS_SLOTS;
		return (int)i;
	}
	return -1;
}

static int
certificate(struct hs_conn *c, const struct hs_msg *m)
{
	struct hs_certificate_in ci;
	int rc;

	if (m->type != HS_MT_CERTIFICATE)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	rc = hs_certificate_parse(m->body, m->len, false, &ci);
	if (rc != 0)
		return rc;
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	if (c->ccfg->mode == HS_CLIENT_LOAD) {
		if (c->si->kx == HS_KX_RSA) {
			rc = pms_slot_for(c, ci.der[0], ci.len[0]);
			c->hx->pms_slot = (int8_t)rc;
			/* No slot free: this one encrypts to its own copy of the key. */
			if (rc < 0 && hso_peer_key_from_der(&c->hx->peer, ci.der[0], ci.len[0]) != 0)
				return HS_ERR_ALERT(HS_ALERT_BAD_CERTIFICATE);
		}
		c->state = c->si->kx == HS_KX_RSA ? STC12_SHD : STC12_SKE;
		return 0;
	}
	c->hx->pend_msg = m->body;
	c->hx->pend_len = m->len;
	c->job = JOB_C_CERT;
	c->state = STC12_CERT_JOB;
	hs_wait(c);
	return 0;
}

/*
 * A group the ClientHello listed and the engine can do ECDHE with: the
 * configured ones, and P-256 when listed for an ECDSA certificate.
 */
static bool
group_ok(const struct hs_conn *c, uint16_t group)
{
	const struct hs_nego_policy *p = &c->ccfg->base.nego;

	if (hs_client_u16_in(p->groups, p->n_groups, group))
		return group == HS_GROUP_X25519 || group == HS_GROUP_SECP256R1;
	return group == HS_GROUP_SECP256R1 && c->si->kx == HS_KX_ECDHE_ECDSA &&
	       hs_client_u16_in(p->sigalgs, p->n_sigalgs, HS_SIG_ECDSA_SECP256R1_SHA256);
}

static int
server_key_exchange(struct hs_conn *c, const struct hs_msg *m)
{
	const struct hs_nego_policy *p = &c->ccfg->base.nego;
	struct hs_server_key_exchange_in ske;
	bool ecdsa_scheme;
	int rc;

	if (m->type != HS_MT_SERVER_KEY_EXCHANGE)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	rc = hs_server_key_exchange_parse(m->body, m->len, &ske);
	if (rc != 0)
		return rc;
	/* SignatureAndHashAlgorithm: the low byte is the signature (3: ecdsa). */
	ecdsa_scheme = (ske.scheme & 0xff) == 0x03;
	/*
	 * RFC 8422 5.4: a curve the client did not offer, RFC 5246 7.4.1.4.1:
	 * a signature algorithm not offered or not the suite's:
	 * illegal_parameter.
	 */
	if (!group_ok(c, ske.group) ||
	    !hs_client_u16_in(p->sigalgs, p->n_sigalgs, ske.scheme) ||
	    ecdsa_scheme != (c->si->kx == HS_KX_ECDHE_ECDSA) ||
	    ske.point.len > sizeof(c->hx->peer_kx) || ske.sig.len > sizeof(c->hx->sig) ||
	    64u + ske.params.len > sizeof(c->hx->tbs))
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	c->group = ske.group;
	c->sigalg = ske.scheme;
	memcpy(c->hx->peer_kx, ske.point.p, ske.point.len);
	c->hx->peer_kx_len = ske.point.len;
	if (c->ccfg->mode == HS_CLIENT_FULL) {
		/* Signed: client_random + server_random + ServerECDHParams. */
		memcpy(c->hx->tbs, c->hx->client_random, 32);
		memcpy(c->hx->tbs + 32, c->hx->server_random, 32);
		memcpy(c->hx->tbs + 64, ske.params.p, ske.params.len);
		c->hx->tbs_len = (uint16_t)(64 + ske.params.len);
		memcpy(c->hx->sig, ske.sig.p, ske.sig.len);
		c->hx->sig_len = ske.sig.len;
	}
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	c->state = STC12_SHD;
	return 0;
}

/* [empty Certificate] ClientKeyExchange staged; master, key block, our Finished queued. */
static int
send_kx(struct hs_conn *c)
{
	struct hs_writer w;
	bool rsa = c->si->kx == HS_KX_RSA;
	const struct hso_ecdhe_key *k = hs_client_key(c, 0);

	if (c->hx->cert_requested) {
		hs_stage_msg_begin(c, &w);
		if (hs_certificate_empty_write(&w, false) != 0 || hs_stage_msg_end(c, &w, 0) != 0)
			return HS_ERR_INTERNAL;
	}
	hs_stage_msg_begin(c, &w);
	if (hs_client_key_exchange_write(&w, rsa, rsa ? c->hx->peer_kx : k->pub,
					 rsa ? c->hx->peer_kx_len : k->pub_len) != 0 ||
	    hs_stage_msg_end(c, &w, 0) != 0)
		return HS_ERR_INTERNAL;
	/* Session hash (RFC 7627) and our Finished both cover CH..CKE. */
	hso_hash_peek(&c->hx->th, c->hx->s.th);
	c->state = STC12_KEYS_JOB;
	return hs12_queue_keys(c);
}

static int
server_hello_done(struct hs_conn *c, const struct hs_msg *m)
{
	struct hs_client_worker *cw = c->w->cli;
	int rc;

	if (m->type == HS_MT_CERTIFICATE_REQUEST && !c->hx->cert_requested) {
		rc = hs_certificate_request_parse(m->body, m->len, false);
		if (rc != 0)
			return rc;
		c->hx->cert_requested = true;
		hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
		return 0;
	}
	if (m->type != HS_MT_SERVER_HELLO_DONE)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (m->len != 0)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	if (c->si->kx == HS_KX_RSA) {
		if (c->hx->pms_slot >= 0 && cw->pms[c->hx->pms_slot].ct_len > 0) {
			/* Load mode: premaster and ciphertext reused, no asymmetric job. */
			const struct hs_cli_pms_slot *s = &cw->pms[c->hx->pms_slot];

			memcpy(c->hx->s.pms, s->pms, sizeof(c->hx->s.pms));
			memcpy(c->hx->peer_kx, s->ct, s->ct_len);
			c->hx->peer_kx_len = s->ct_len;
			c->w->stats.client_pms_reused++;
			return send_kx(c);
		}
		c->job = JOB_C_RSA;
		c->state = STC12_KX_JOB;
		hs_wait(c);
		return 0;
	}
	c->hx->share_idx = 0;
	c->job = JOB_C_ECDHE;
	if (hs_client_take_key(c, 0, c->group)) {
		/*
		 * Our share is known: the ClientKeyExchange and the key schedule
		 * go in this round, after the derive (and in full mode the SKE
		 * check, whose failure fails the connection before any use).
		 */
		hs_wait(c);
		return send_kx(c);
	}
	c->state = STC12_KX_JOB;
	hs_wait(c);
	return 0;
}

/* Our ChangeCipherSpec, the client write keys and our Finished. */
static int
send_ccs_finished(struct hs_conn *c)
{
	struct hs_writer w;

	if (send_ccs(c) != 0 || hs12_prot_init(c, &c->wr, true) != 0)
		return HS_ERR_INTERNAL;
	c->wr_on = true;
	hs_stage_msg_begin(c, &w);
	if (hs_finished_write(&w, c->hx->s.cf_expected, VERIFY_DATA_LEN) != 0 ||
	    hs_stage_msg_end(c, &w, 0) != 0 || hs_flush_stage(c) != 0)
		return HS_ERR_INTERNAL;
	return 0;
}

/* What resumes this session next time (hs_conn_client_session()). */
static void
keep_session(struct hs_conn *c)
{
	memcpy(c->hx->sess_secret, c->hx->s.master, 48);
	c->hx->sess_secret_len = 48;
	if (c->hx->new_ticket_len > 0) {
		/* A new ticket (its lifetime set by new_session_ticket()). */
		c->hx->new_received_ms = c->cfg->now_ms();
	} else if (c->resumed && c->hx->offer_ticket_len > 0) {
		/*
		 * Resumed without a new ticket: the one offered, still in the
		 * ticket area, stays valid for what was left of its lifetime.
		 */
		c->hx->new_ticket_len = c->hx->offer_ticket_len;
	} else if (c->hx->session_id_len > 0) {
		c->hx->new_lifetime = c->cfg->ticket_lifetime;
		c->hx->new_received_ms = c->cfg->now_ms();
	} else {
		return;
	}
	c->hx->have_session = true;
	c->w->stats.client_sessions++;
}

static int
resume(struct hs_conn *c)
{
	switch (c->state) {
	case STC_HELLO_JOB:
		return hs_client_send_hello(c);
	case STC12_CERT_JOB:
		c->state = c->si->kx == HS_KX_RSA ? STC12_SHD : STC12_SKE;
		return 0;
	case STC12_KX_JOB:
		return send_kx(c);
	case STC12_KEYS_JOB:
		hs_client_put_key(c, 0);
		if (hs_flush_stage(c) != 0 || send_ccs_finished(c) != 0)
			return HS_ERR_INTERNAL;
		c->state = STC12_CCS;
		return 0;
	case STC12_RESUME_KEYS_JOB:
		c->state = STC12_CCS;
		return 0;
	case STC12_SF_JOB:
		/* RFC 5246 7.4.9: the recipient "MUST verify" Finished: decrypt_error. */
		if (CRYPTO_memcmp(c->hx->sf_recv, c->hx->s.sf, VERIFY_DATA_LEN) != 0)
			return HS_ERR_ALERT(HS_ALERT_DECRYPT_ERROR);
		if (!c->resumed) {
			keep_session(c);
			hs12_established(c);
			return 0;
		}
		/* Abbreviated: our Finished covers the server's. */
		hso_hash_peek(&c->hx->th, c->hx->s.th2);
		if (hs_kdf(c, hso_kdf_prf(c->w->kdf, hs_kdf_hash(c), NULL, c->hx->s.master, 48,
					  "client finished", 15, c->hx->s.th2, hs_hash_len(c),
					  c->hx->s.cf_expected, VERIFY_DATA_LEN, HSO_KDF_NO_DEP)) < 0)
			return HS_ERR_INTERNAL;
		c->state = STC12_RESUME_CF_JOB;
		return 0;
	case STC12_RESUME_CF_JOB:
		if (send_ccs_finished(c) != 0)
			return HS_ERR_INTERNAL;
		keep_session(c);
		hs12_established(c);
		return 0;
	default:
		return HS_ERR_INTERNAL;
	}
}

static int
new_session_ticket(struct hs_conn *c, const struct hs_msg *m)
{
	struct hs_new_session_ticket_in t;
	int rc;

	rc = hs_new_session_ticket_parse(m->body, m->len, false, &t);
	if (rc != 0)
		return rc;
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	c->hx->ticket_expected = false;
	if (t.ticket.len > HS_CLIENT_TICKET_MAX)
		c->w->stats.client_tickets_too_long++;
	if (t.ticket.len > 0 && t.ticket.len <= HS_CLIENT_TICKET_MAX) {
		memcpy(c->hx->ticket_area, t.ticket.p, t.ticket.len);
		c->hx->new_ticket_len = t.ticket.len;
		/* RFC 5077 3.3: a hint of 0 means "unspecified". */
		c->hx->new_lifetime = t.lifetime ? t.lifetime : c->cfg->ticket_lifetime;
	}
	return 0;
}

static int
server_finished(struct hs_conn *c, const struct hs_msg *m)
{
	if (m->type != HS_MT_FINISHED)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (m->len != VERIFY_DATA_LEN)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	memcpy(c->hx->sf_recv, m->body, VERIFY_DATA_LEN);
	hso_hash_peek(&c->hx->th, c->hx->s.th2);
	hso_hash_update(&c->hx->th, m->raw, HS_MSG_HEADER_LEN + m->len);
	if (hs_kdf(c, hso_kdf_prf(c->w->kdf, hs_kdf_hash(c), NULL, c->hx->s.master, 48,
				  "server finished", 15, c->hx->s.th2, hs_hash_len(c), c->hx->s.sf,
				  VERIFY_DATA_LEN, HSO_KDF_NO_DEP)) < 0)
		return HS_ERR_INTERNAL;
	c->state = STC12_SF_JOB;
	return 0;
}

static int
change_cipher_spec(struct hs_conn *c)
{
	/*
	 * RFC 5246 7.1: CCS comes before the server's Finished; RFC 5077 3.3:
	 * after the NewSessionTicket the server announced.
	 */
	if (c->state != STC12_CCS || c->hx->ticket_expected)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (hs12_prot_init(c, &c->rd, false) != 0)
		return HS_ERR_INTERNAL;
	c->rd_on = true;
	c->state = STC12_FINISHED;
	return 0;
}

static int
handshake_msg(struct hs_conn *c, const struct hs_msg *m)
{
	switch (c->state) {
	case STC_SERVER_HELLO:
		return hs_client_server_hello(c, m);
	case STC12_CERT:
		return certificate(c, m);
	case STC12_SKE:
		return server_key_exchange(c, m);
	case STC12_SHD:
		return server_hello_done(c, m);
	case STC12_CCS:
		if (m->type == HS_MT_NEW_SESSION_TICKET && c->hx->ticket_expected)
			return new_session_ticket(c, m);
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	case STC12_FINISHED:
		return server_finished(c, m);
	default:
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	}
}

/* After the handshake only a HelloRequest (type 0, empty) may come. */
static int
post_hs_begin(struct hs_conn *c, uint8_t type, uint32_t len)
{
	(void)c;
	if (type != 0)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	/* struct { } HelloRequest; (RFC 5246 7.4.1.1) */
	return len == 0 ? HS_PH_SHORT : HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
}

static int
post_hs_msg(struct hs_conn *c, const struct hs_msg *m, bool at_end)
{
	/*
	 * HelloRequest: renegotiation is refused (RFC 5746 4.2 lets a client):
	 * a warning no_renegotiation.
	 */
	static const uint8_t warn[2] = { 1, HS_ALERT_NO_RENEGOTIATION };

	(void)m;
	(void)at_end;
	return hs_write_record(c, HS_CT_ALERT, warn, 2) == 0 ? 0 : HS_ERR_INTERNAL;
}

/* TLS 1.2 protects every content type: nothing is read in plaintext. */
static int
outer_type(struct hs_conn *c, const struct hs_record *r)
{
	(void)c;
	(void)r;
	return 1;
}

const struct hs_proto_ops hs12_client_ops = {
	.name = "tls1.2-client",
	.version = HS_TLS12,
	.ct_max = HS_RECORD_CIPHERTEXT_MAX_12,
	.outer_type = outer_type,
	.change_cipher_spec = change_cipher_spec,
	.handshake_msg = handshake_msg,
	.post_hs_begin = post_hs_begin,
	.post_hs_msg = post_hs_msg,
	.resume = resume,
	.warning_alerts = true,
	.export_keys = hs12_export_keys,
	.completed_stat = offsetof(struct hs_worker_stats, completed_tls12),
};
