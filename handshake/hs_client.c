/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client engine's common part: configuration, the client worker's
 * load-mode caches (key pairs reused for N handshakes, one RSA premaster per
 * server key), starting a connection and its ClientHello (key shares, PSK
 * binder), the ServerHello that picks the version and with it the ops table
 * (tls13_client.c, tls12_client.c), the client's asymmetric jobs, and the
 * resumable session. Contract: hs_client.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine_priv.h"
#include "hs_client.h"

/* psk_key_exchange_modes bits of struct hs_client_hello_out.psk_modes. */
#define MODE_PSK_KE 1
#define MODE_PSK_DHE_KE 2

int
hs_client_config_init(struct hs_client_config *cc)
{
	int rc;

	memset(cc, 0, sizeof(*cc));
	rc = hs_config_init(&cc->base);
	if (rc != 0)
		return rc;
	/* A client keeps no session-id cache and seals no tickets. */
	cc->base.session_cache_size = 0;
	cc->base.stek = NULL;
	cc->n_key_shares = 1;
	cc->mode = HS_CLIENT_FULL;
	cc->key_share_reuse = HS_CLIENT_KEY_REUSE_DEFAULT;
	cc->resume = HS_RESUME_TICKET;
	cc->ems = true;
	cc->compat_mode = true;
	return 0;
}

int
hs_client_config_set_sni(struct hs_client_config *cc, const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n > HS_SNI_MAX)
		return -EINVAL;
	memcpy(cc->sni, name != NULL ? name : "", n);
	cc->sni[n] = '\0';
	return 0;
}

struct hs_worker *
hs_worker_create_client(const struct hs_client_config *cc, unsigned max_conns)
{
	struct hs_worker *w;

	if (cc == NULL || cc->n_key_shares < 1 || cc->n_key_shares > HS_CLIENT_MAX_SHARES ||
	    cc->key_share_reuse == 0 || (!cc->base.nego.tls12 && !cc->base.nego.tls13)) {
		errno = EINVAL;
		return NULL;
	}
	w = hs_worker_create(&cc->base, max_conns);
	if (w == NULL)
		return NULL;
	w->cli = calloc(1, sizeof(*w->cli));
	if (w->cli == NULL) {
		hs_worker_free(w);
		errno = ENOMEM;
		return NULL;
	}
	w->cli->cc = cc;
	return w;
}

bool
hs_conn_is_client(const struct hs_conn *c)
{
	return c->ccfg != NULL;
}

bool
hs_client_u16_in(const uint16_t *v, unsigned n, uint16_t x)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static int
group_index(uint16_t group)
{
	return group == HS_GROUP_X25519 ? 0 : group == HS_GROUP_SECP256R1 ? 1 : -1;
}

/* ------------------------------------------------------------------ */
/* Key shares: own (full mode) or a worker slot (load mode)           */
/* ------------------------------------------------------------------ */

const struct hso_ecdhe_key *
hs_client_key(const struct hs_conn *c, unsigned i)
{
	int g;

	if (c->hx->key_slot[i] >= 0) {
		g = group_index(c->hx->share_group[i]);
		return &c->w->cli->keys[g][c->hx->key_slot[i]].key;
	}
	return i == 0 ? &c->hx->eph : &c->hx->eph2;
}

/*
 * Load mode: hand share @p i a worker key for @p group, one that served
 * fewer than key_share_reuse handshakes; a used-up key is replaced once no
 * connection holds it (its derive may still be pending). Full mode: a key
 * from the worker's pre-generated pool when there is one.
 * @return 1 when share @p i has a key now, 0 when a job must generate it.
 */
int
hs_client_take_key(struct hs_conn *c, unsigned i, uint16_t group)
{
	struct hs_client_worker *cw = c->w->cli;
	int g = group_index(group);

	c->hx->share_group[i] = group;
	c->hx->key_slot[i] = -1;
	if (g < 0)
		return 0;
	if (c->ccfg->mode == HS_CLIENT_LOAD) {
		struct hs_cli_key_slot *s = &cw->keys[g][cw->cur[g]];

		if (s->key.group == 0 || s->uses >= c->ccfg->key_share_reuse) {
			unsigned k;

			for (k = 0; k < HS_CLI_KEY_SLOTS; k++)
				if (cw->keys[g][k].refs == 0)
					break;
			if (k == HS_CLI_KEY_SLOTS)
				return 0;       /* all held: this one gets its own */
			s = &cw->keys[g][k];
			if (hso_ecdhe_key_generate(c->w->asym, group, &s->key) != 0)
				return 0;
			c->w->stats.client_keys_generated++;
			s->uses = 0;
			cw->cur[g] = (uint8_t)k;
		} else {
			c->w->stats.client_keys_reused++;
		}
		s->uses++;
		s->refs++;
		c->hx->key_slot[i] = (int8_t)cw->cur[g];
		return 1;
	}
	if (i == 0) {
		hso_ecdhe_key_clear(&c->hx->eph);
		return hs_take_pool_key(c, group);
	}
	return 0;
}

/* Give share @p i's worker key back (or free its own key). */
void
hs_client_put_key(struct hs_conn *c, unsigned i)
{
	if (c->hx->key_slot[i] >= 0) {
		int g = group_index(c->hx->share_group[i]);

		c->w->cli->keys[g][c->hx->key_slot[i]].refs--;
		c->hx->key_slot[i] = -1;
	}
	hso_ecdhe_key_clear(i == 0 ? &c->hx->eph : &c->hx->eph2);
}

void
hs_client_release(struct hs_conn *c)
{
	if (c->w == NULL || c->w->cli == NULL)
		return;
	hs_client_put_key(c, 0);
	hs_client_put_key(c, 1);
	if (c->hx->pms_slot >= 0) {
		c->w->cli->pms[c->hx->pms_slot].refs--;
		c->hx->pms_slot = -1;
	}
	hso_peer_key_clear(&c->hx->peer);
	hso_hash_wipe(&c->hx->th_alt);
	c->hx->pend_msg = NULL;
}

/* ------------------------------------------------------------------ */
/* Asymmetric jobs                                                    */
/* ------------------------------------------------------------------ */

/* The alert a failed verification calls for (RFC 8446 6.2). */
int
hs_client_err_from_verify(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case -EBADMSG:
		return HS_ERR_ALERT(HS_ALERT_DECRYPT_ERROR);
	case -ENOTSUP:
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	default:
		return HS_ERR_INTERNAL;
	}
}

static int
err_from_chain(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case -ENOKEY:
		return HS_ERR_ALERT(HS_ALERT_UNKNOWN_CA);
	case -EKEYEXPIRED:
		return HS_ERR_ALERT(HS_ALERT_CERTIFICATE_EXPIRED);
	case -EBADMSG:
	case -EKEYREJECTED:
		return HS_ERR_ALERT(HS_ALERT_BAD_CERTIFICATE);
	default:
		return HS_ERR_INTERNAL;
	}
}

/* The leaf's key and, with a CA store, the chain (the message is still in place). */
static int
job_cert(struct hs_worker *w, struct hs_conn *c)
{
	struct hs_certificate_in ci;
	int rc;

	if (c->hx->pend_msg == NULL)
		return HS_ERR_INTERNAL;
	rc = hs_certificate_parse(c->hx->pend_msg, c->hx->pend_len, c->version == HS_TLS13, &ci);
	c->hx->pend_msg = NULL;
	if (rc != 0)
		return rc;
	if (c->ccfg->ca != NULL) {
		rc = err_from_chain(hso_ca_store_verify(c->ccfg->ca, ci.der, ci.len, ci.n,
							c->ccfg->sni));
		if (rc != 0)
			return rc;
		w->stats.client_chains_verified++;
	}
	rc = hso_peer_key_from_der(&c->hx->peer, ci.der[0], ci.len[0]);
	if (rc == -ENOTSUP)
		return HS_ERR_ALERT(HS_ALERT_UNSUPPORTED_CERTIFICATE);
	if (rc != 0)
		return rc == -EBADMSG ? HS_ERR_ALERT(HS_ALERT_BAD_CERTIFICATE) : HS_ERR_INTERNAL;
	return 0;
}

static int
job_verify(struct hs_worker *w, struct hs_conn *c)
{
	int rc = hso_asym_verify(w->asym, &c->hx->peer, c->sigalg, c->hx->tbs, c->hx->tbs_len, c->hx->sig,
				 c->hx->sig_len);

	if (rc == 0)
		w->stats.client_verified++;
	return hs_client_err_from_verify(rc);
}

static int
job_ecdhe(struct hs_worker *w, struct hs_conn *c)
{
	unsigned i = c->hx->share_idx;
	struct hso_ecdhe_key *own = i == 0 ? &c->hx->eph : &c->hx->eph2;
	size_t len;
	int rc;

	/* TLS 1.2 full mode: the ServerKeyExchange signature first. */
	if (c->version == HS_TLS12 && c->ccfg->mode == HS_CLIENT_FULL) {
		rc = job_verify(w, c);
		if (rc != 0)
			return rc;
	}
	if (c->hx->key_slot[i] < 0 && own->group == 0) {
		if (hso_ecdhe_key_generate(w->asym, c->hx->share_group[i], own) != 0)
			return HS_ERR_INTERNAL;
		w->stats.client_keys_generated++;
	}
	rc = hso_ecdhe_key_derive(w->asym, (struct hso_ecdhe_key *)hs_client_key(c, i),
				  c->hx->peer_kx, c->hx->peer_kx_len, c->hx->s.shared, sizeof(c->hx->s.shared),
				  &len);
	/* RFC 8446 4.2.8.2 / RFC 8422 5.11: an invalid point is illegal_parameter. */
	if (rc == -EINVAL)
		return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	if (rc != 0 || len != sizeof(c->hx->s.shared))
		return HS_ERR_INTERNAL;
	return 0;
}

/* A fresh premaster: client_version (the ClientHello's, 0x0303) + 46 random. */
static int
new_pms(uint8_t pms[HSO_TLS12_PREMASTER_LEN])
{
	pms[0] = HS_TLS12 >> 8;
	pms[1] = HS_TLS12 & 0xff;
	return hs_random(pms + 2, HSO_TLS12_PREMASTER_LEN - 2);
}

static int
job_rsa(struct hs_worker *w, struct hs_conn *c)
{
	size_t len;
	int rc;

	if (c->hx->pms_slot >= 0) {
		struct hs_cli_pms_slot *s = &w->cli->pms[c->hx->pms_slot];

		if (s->ct_len == 0) {
			struct hso_peer_key k;

			rc = hso_peer_key_from_der(&k, s->der, s->der_len);
			if (rc != 0)
				return rc == -ENOTSUP ? HS_ERR_ALERT(HS_ALERT_UNSUPPORTED_CERTIFICATE)
						      : HS_ERR_ALERT(HS_ALERT_BAD_CERTIFICATE);
			if (k.key_type != HSO_KEY_RSA) {
				hso_peer_key_clear(&k);
				return HS_ERR_ALERT(HS_ALERT_UNSUPPORTED_CERTIFICATE);
			}
			rc = new_pms(s->pms);
			if (rc == 0)
				rc = hso_asym_rsa_premaster_encrypt(w->asym, &k, s->pms, s->ct,
								    sizeof(s->ct), &len);
			hso_peer_key_clear(&k);
			if (rc != 0)
				return HS_ERR_INTERNAL;
			s->ct_len = (uint16_t)len;
			w->stats.client_pms_encrypted++;
		} else {
			w->stats.client_pms_reused++;
		}
		memcpy(c->hx->s.pms, s->pms, sizeof(c->hx->s.pms));
		memcpy(c->hx->peer_kx, s->ct, s->ct_len);
		c->hx->peer_kx_len = s->ct_len;
		return 0;
	}
	if (c->hx->peer.key_type != HSO_KEY_RSA)
		return HS_ERR_ALERT(HS_ALERT_UNSUPPORTED_CERTIFICATE);
	if (new_pms(c->hx->s.pms) != 0 ||
	    hso_asym_rsa_premaster_encrypt(w->asym, &c->hx->peer, c->hx->s.pms, c->hx->peer_kx,
					   sizeof(c->hx->peer_kx), &len) != 0)
		return HS_ERR_INTERNAL;
	c->hx->peer_kx_len = (uint16_t)len;
	w->stats.client_pms_encrypted++;
	return 0;
}

int
hs_client_run_job(struct hs_worker *w, struct hs_conn *c)
{
	switch (c->job) {
	case JOB_C_KEYGEN:
		for (unsigned i = 0; i < c->hx->n_shares; i++) {
			struct hso_ecdhe_key *k = i == 0 ? &c->hx->eph : &c->hx->eph2;

			if (c->hx->key_slot[i] >= 0 || k->group != 0)
				continue;
			if (hso_ecdhe_key_generate(w->asym, c->hx->share_group[i], k) != 0)
				return HS_ERR_INTERNAL;
			w->stats.client_keys_generated++;
		}
		return 0;
	case JOB_C_CERT:
		return job_cert(w, c);
	case JOB_C_VERIFY:
		return job_verify(w, c);
	case JOB_C_ECDHE:
		return job_ecdhe(w, c);
	case JOB_C_RSA:
		return job_rsa(w, c);
	default:
		return HS_ERR_INTERNAL;
	}
}

/* ------------------------------------------------------------------ */
/* Starting: the ClientHello                                          */
/* ------------------------------------------------------------------ */

int
hs_conn_init_client(struct hs_conn *c, struct hs_worker *w,
		    const struct hs_client_config *cc, uint8_t *buf, size_t len)
{
	int rc;

	if (w == NULL || cc == NULL || w->cli == NULL)
		return -EINVAL;
	rc = hs_conn_init(c, w, buf, len);
	if (rc != 0)
		return rc;
	/* The message-size limit and its pool are the worker's config's. */
	c->cfg = &cc->base;
	c->ccfg = cc;
	c->state = STC_INIT;
	c->ops = &hs_client_hello_ops;
	return 0;
}

/* Is @p s a session this config may offer now? */
static bool
session_usable(const struct hs_conn *c, const struct hs_client_session *s)
{
	const struct hs_client_config *cc = c->ccfg;
	const struct hs_nego_policy *p = &cc->base.nego;
	uint64_t now = cc->base.now_ms();

	if (s == NULL || s->version == 0 || cc->resume == HS_RESUME_NONE ||
	    s->secret_len == 0 || s->secret_len > sizeof(s->secret) ||
	    strcmp(s->sni, cc->sni) != 0 || !hs_client_u16_in(p->suites, p->n_suites, s->suite) ||
	    s->ticket_len > HS_CLIENT_TICKET_MAX ||
	    now < s->received_ms || now - s->received_ms >= (uint64_t)s->lifetime * 1000u)
		return false;
	if (s->version == HS_TLS13)
		return p->tls13 && s->ticket_len > 0 &&
		       (cc->resume == HS_RESUME_TICKET || cc->resume == HS_RESUME_PSK_KE);
	if (s->version != HS_TLS12 || !p->tls12 || s->secret_len != 48)
		return false;
	if (cc->resume == HS_RESUME_TICKET)
		return s->ticket_len > 0;
	return cc->resume == HS_RESUME_SESSION_ID && s->session_id_len > 0;
}

/* What to offer from @p s; fills the PSK / master secret and the ids. */
static int
offer_session(struct hs_conn *c, const struct hs_client_session *s)
{
	c->hx->psk_offered = true;
	c->hx->offer_suite = s->suite;
	c->hx->offer_ems = s->ems;
	c->hx->sess_secret_len = s->secret_len;
	c->w->stats.client_offered++;
	if (s->version == HS_TLS13) {
		memcpy(c->hx->s.psk, s->secret, s->secret_len);
		memcpy(c->hx->ticket_area, s->ticket, s->ticket_len);
		c->hx->offer_ticket_len = s->ticket_len;
		c->hx->new_age_add = s->age_add;
		c->hx->new_received_ms = s->received_ms;
		return 0;
	}
	memcpy(c->hx->s.master, s->secret, 48);
	/* Kept if the server resumes without a new ticket (keep_session()). */
	c->hx->new_lifetime = s->lifetime;
	c->hx->new_received_ms = s->received_ms;
	if (c->ccfg->resume == HS_RESUME_TICKET) {
		memcpy(c->hx->ticket_area, s->ticket, s->ticket_len);
		c->hx->offer_ticket_len = s->ticket_len;
		/* RFC 5077 3.4: a fresh session id tells whether the ticket was taken. */
		c->hx->session_id_len = 32;
		return hs_random(c->hx->session_id, 32);
	}
	c->hx->session_id_len = s->session_id_len;
	memcpy(c->hx->session_id, s->session_id, s->session_id_len);
	return 0;
}

int
hs_conn_client_start(struct hs_conn *c, const struct hs_client_session *resume)
{
	const struct hs_client_config *cc;
	const struct hs_nego_policy *p;
	bool need_job = false;
	unsigned n;

	if (c == NULL)
		return -EINVAL;
	if (c->ccfg == NULL)
		return -ENOTCONN;
	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->state != STC_INIT)
		return -EALREADY;
	/* The handshake context: refused (not counted as a failed handshake) when none is free. */
	if (hs_hctx_get(c) != 0)
		return hs_fail(c, HS_ERR_NO_HCTX);
	cc = c->ccfg;
	p = &cc->base.nego;
	c->w->stats.client_started++;
	if (hs_random(c->hx->client_random, 32) != 0)
		return hs_fail(c, HS_ERR_INTERNAL);
	if (session_usable(c, resume) && offer_session(c, resume) != 0)
		return hs_fail(c, HS_ERR_INTERNAL);
	if (p->tls13) {
		if (c->hx->psk_offered && resume->version == HS_TLS13)
			c->hx->psk_modes = cc->resume == HS_RESUME_PSK_KE ? MODE_PSK_KE
								      : MODE_PSK_DHE_KE;
		else if (cc->resume == HS_RESUME_TICKET)
			c->hx->psk_modes = MODE_PSK_DHE_KE;
		else if (cc->resume == HS_RESUME_PSK_KE)
			c->hx->psk_modes = MODE_PSK_KE;
		/* RFC 8446 D.4: compatibility mode sends a non-empty session id. */
		if (cc->compat_mode && c->hx->session_id_len == 0) {
			c->hx->session_id_len = 32;
			if (hs_random(c->hx->session_id, 32) != 0)
				return hs_fail(c, HS_ERR_INTERNAL);
		}
		n = cc->n_key_shares < p->n_groups ? cc->n_key_shares : p->n_groups;
		c->hx->n_shares = (uint8_t)n;
		for (unsigned i = 0; i < n; i++)
			if (!hs_client_take_key(c, i, p->groups[i]))
				need_job = true;
	}
	if (need_job) {
		c->job = JOB_C_KEYGEN;
		c->state = STC_HELLO_JOB;
		hs_wait(c);
		return c->status == HS_STATUS_FAILED ? c->err : 0;
	}
	return hs_client_send_hello(c) == 0 ? 0 : hs_fail(c, HS_ERR_INTERNAL);
}

/* Hash the staged hello into the running transcripts and send it. */
static int
hello_out(struct hs_conn *c)
{
	hso_hash_update(&c->hx->th, c->hx->stage, c->hx->stage_len);
	if (c->hx->th_alt.init)
		hso_hash_update(&c->hx->th_alt, c->hx->stage, c->hx->stage_len);
	if (hs_flush_stage(c) != 0)
		return HS_ERR_INTERNAL;
	c->state = STC_SERVER_HELLO;
	return 0;
}

static const struct hs_suite_info *
offered_suite_of_hash(const struct hs_conn *c, int hash)
{
	const struct hs_nego_policy *p = &c->ccfg->base.nego;

	for (unsigned i = 0; i < p->n_suites; i++) {
		const struct hs_suite_info *si = hs_suite_find(p->suites[i]);

		if (si != NULL && si->hash == hash &&
		    ((si->version == HS_TLS13 && p->tls13) || (si->version == HS_TLS12 && p->tls12)))
			return si;
	}
	return NULL;
}

/*
 * Write the ClientHello (the first, or the one after a HelloRetryRequest)
 * into the stage. With a PSK the binder is computed first (RFC 8446
 * 4.2.11.2): its KDF chain is queued and the hello leaves after the batch.
 */
int
hs_client_send_hello(struct hs_conn *c)
{
	const struct hs_client_config *cc = c->ccfg;
	const struct hs_nego_policy *p = &cc->base.nego;
	struct hs_key_share_out shares[HS_CLIENT_MAX_SHARES];
	uint16_t suites[HS_POLICY_MAX_SUITES], groups[HS_POLICY_MAX_GROUPS + 2];
	struct hs_client_hello_out ch;
	struct hs_writer w;
	size_t binders_at = 0;
	unsigned n_suites = 0;
	bool ecdhe12 = false, ecdsa12 = false, first = !c->hx->hrr_sent;
	int rc;

	for (unsigned i = 0; i < p->n_suites; i++) {
		const struct hs_suite_info *si = hs_suite_find(p->suites[i]);

		if (si == NULL || (si->version == HS_TLS13 ? !p->tls13 : !p->tls12) ||
		    (c->hx->hrr_sent && si->version != HS_TLS13))
			continue;
		suites[n_suites++] = si->id;
		ecdhe12 |= si->version == HS_TLS12 && si->kx != HS_KX_RSA;
		ecdsa12 |= si->version == HS_TLS12 && si->kx == HS_KX_ECDHE_ECDSA;
	}
	for (unsigned i = 0; i < c->hx->n_shares; i++) {
		const struct hso_ecdhe_key *k = hs_client_key(c, i);

		shares[i] = (struct hs_key_share_out){ c->hx->share_group[i], { k->pub, k->pub_len } };
	}
	memset(&ch, 0, sizeof(ch));
	ch.random = c->hx->client_random;
	ch.session_id = (struct hs_view){ c->hx->session_id, c->hx->session_id_len };
	ch.suites = suites;
	ch.n_suites = n_suites;
	ch.tls13 = p->tls13;
	/* RFC 8446 4.1.4: after HRR the client stays with TLS 1.3. */
	ch.tls12 = p->tls12 && !c->hx->hrr_sent;
	ch.sni = (struct hs_view){ (const uint8_t *)cc->sni, (uint16_t)strlen(cc->sni) };
	memcpy(groups, p->groups, p->n_groups * sizeof(groups[0]));
	ch.groups = groups;
	ch.n_groups = p->n_groups;
	/*
	 * TLS 1.2 ties the ECDSA certificate's curve to supported_groups (RFC
	 * 8422 5.1): list the curves of the ECDSA schemes offered, last, so
	 * that such a certificate may be served. secp384r1 is never accepted
	 * for ECDHE; P-256 is (hs12c_group_ok()).
	 */
	if (ecdsa12 && !c->hx->hrr_sent) {
		if (hs_client_u16_in(p->sigalgs, p->n_sigalgs, HS_SIG_ECDSA_SECP256R1_SHA256) &&
		    !hs_client_u16_in(groups, ch.n_groups, HS_GROUP_SECP256R1))
			groups[ch.n_groups++] = HS_GROUP_SECP256R1;
		if (hs_client_u16_in(p->sigalgs, p->n_sigalgs, HS_SIG_ECDSA_SECP384R1_SHA384) &&
		    !hs_client_u16_in(groups, ch.n_groups, HS_GROUP_SECP384R1))
			groups[ch.n_groups++] = HS_GROUP_SECP384R1;
	}
	ch.sigalgs = p->sigalgs;
	ch.n_sigalgs = p->n_sigalgs;
	ch.alpn = (struct hs_view){ p->alpn, p->alpn_len };
	ch.status_request = cc->status_request;
	if (ch.tls12) {
		ch.ems = cc->ems;
		ch.reneg_info = true;
		ch.ec_point_formats = ecdhe12;
		ch.ticket_ext = cc->resume == HS_RESUME_TICKET;
		if (c->hx->psk_offered && c->hx->offer_ticket_len > 0 &&
		    hs_suite_find(c->hx->offer_suite)->version == HS_TLS12)
			ch.ticket = (struct hs_view){ c->hx->ticket_area, c->hx->offer_ticket_len };
	}
	if (p->tls13) {
		ch.shares = shares;
		ch.n_shares = c->hx->n_shares;
		ch.psk_modes = c->hx->psk_modes;
		if (c->hx->hrr_sent && c->hx->peer_kx_len > 0)
			ch.cookie = (struct hs_view){ c->hx->peer_kx, c->hx->peer_kx_len };
	}
	if (c->hx->psk_offered && p->tls13 && hs_suite_find(c->hx->offer_suite)->version == HS_TLS13) {
		uint64_t age = cc->base.now_ms() - c->hx->new_received_ms;

		ch.psk_identity = (struct hs_view){ c->hx->ticket_area, c->hx->offer_ticket_len };
		/* RFC 8446 4.2.11.1: age in ms plus ticket_age_add, mod 2^32. */
		ch.obfuscated_age = (uint32_t)age + c->hx->new_age_add;
		ch.binder_len = (uint8_t)c->hx->sess_secret_len;
	}
	c->hx->stage_len = 0;
	hs_stage_msg_begin(c, &w);
	rc = hs_client_hello_write(&w, &ch, &binders_at);
	if (c->hx->stage_len + w.off > c->hx->stage_hw)
		c->hx->stage_hw = c->hx->stage_len + w.off;
	if (rc != 0 || w.err)
		return HS_ERR_INTERNAL;
	c->hx->stage_len = w.off;
	if (first) {
		/*
		 * The suite, so the transcript hash, is known only from the
		 * ServerHello: run SHA-256 and, if a SHA-384 suite is offered,
		 * SHA-384 side by side until then.
		 */
		hso_hash_init(&c->hx->th, HSO_HASH_SHA256);
		if (offered_suite_of_hash(c, 1) != NULL)
			hso_hash_init(&c->hx->th_alt, HSO_HASH_SHA384);
	}
	if (ch.psk_identity.len == 0)
		return hello_out(c);
	{
		/* Binder: HMAC over Transcript-Hash(..., truncated ClientHello). */
		const struct hs_suite_info *psi = hs_suite_find(c->hx->offer_suite);
		struct hso_hash bt;
		enum hso_kdf_hash h = psi->hash ? HSO_KDF_SHA384 : HSO_KDF_SHA256;
		const uint8_t *empty = c->cfg->empty_hash[psi->hash];
		struct hs_secrets *s = &c->hx->s;
		size_t hl = c->hx->sess_secret_len;
		int e, bk, bf;

		if (first)
			hso_hash_init(&bt, (enum hso_hash_alg)psi->hash);
		else
			bt = c->hx->th;     /* message_hash + HRR, in the suite's hash */
		hso_hash_update(&bt, c->hx->stage, binders_at);
		hso_hash_peek(&bt, s->th2);
		hso_hash_wipe(&bt);
		c->hx->binders_at = (uint16_t)binders_at;
		e = hs_kdf(c, hso_kdf_extract(c->w->kdf, h, NULL, NULL, 0, s->psk, hl, s->early,
					      HSO_KDF_NO_DEP));
		if (e < 0)
			return HS_ERR_INTERNAL;
		bk = hs_kdf(c, hso_kdf_expand_label(c->w->kdf, h, NULL, s->early, hl, "res binder",
						    10, empty, hl, s->binder_key, hl, e));
		bf = bk < 0 ? bk : hs_kdf(c, hso_kdf_expand_label(c->w->kdf, h, NULL, s->binder_key,
								  hl, "finished", 8, NULL, 0,
								  s->binder_fin, hl, bk));
		if (bf < 0 ||
		    hs_kdf(c, hso_kdf_hmac(c->w->kdf, h, NULL, s->binder_fin, hl, s->th2, hl,
					   s->binder_expected, bf)) < 0 ||
		    hs_kdf(c, hso_kdf_expand_label(c->w->kdf, h, NULL, s->early, hl, "derived", 7,
						   empty, hl, s->early_derived, hl, e)) < 0)
			return HS_ERR_INTERNAL;
		c->state = STC_BINDER_JOB;
		return 0;
	}
}

static int
hello_resume(struct hs_conn *c)
{
	switch (c->state) {
	case STC_HELLO_JOB:
		return hs_client_send_hello(c);
	case STC_BINDER_JOB:
		memcpy(c->hx->stage + c->hx->binders_at + 3, c->hx->s.binder_expected, c->hx->sess_secret_len);
		return hello_out(c);
	default:
		return HS_ERR_INTERNAL;
	}
}

/* ------------------------------------------------------------------ */
/* The ServerHello: which version, hence which ops                    */
/* ------------------------------------------------------------------ */

int
hs_client_server_hello(struct hs_conn *c, const struct hs_msg *m)
{
	const struct hs_nego_policy *p = &c->ccfg->base.nego;
	struct hs_server_hello_in sh;
	uint16_t version;
	int rc;

	if (m->type != HS_MT_SERVER_HELLO)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	rc = hs_server_hello_parse(m->body, m->len, &sh);
	if (rc != 0)
		return rc;
	if (sh.has_versions) {
		/*
		 * RFC 8446 4.2.1: a selected_version not offered or below TLS
		 * 1.3: the client "MUST abort the handshake with an
		 * "illegal_parameter" alert". legacy_version stays 0x0303.
		 */
		if (sh.selected_version != HS_TLS13 || !p->tls13 ||
		    sh.legacy_version != HS_TLS12)
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		version = HS_TLS13;
	} else {
		if (sh.legacy_version != HS_TLS12 || !p->tls12 || c->hx->hrr_sent)
			return HS_ERR_ALERT(HS_ALERT_PROTOCOL_VERSION);
		/*
		 * RFC 8446 4.1.3: a TLS 1.3 client that gets TLS 1.2 "MUST
		 * check that the last 8 bytes are not equal to either of these
		 * values" (DOWNGRD 01 / 00) and abort with illegal_parameter.
		 */
		if (p->tls13 && (memcmp(sh.random + 24, hs_downgrade_tls12, 7) == 0 &&
				 (sh.random[31] == 0 || sh.random[31] == 1)))
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		version = HS_TLS12;
	}
	c->version = version;
	if (version == HS_TLS13) {
		c->ops = &hs13_client_ops;
		return hs13c_server_hello(c, &sh, m);
	}
	c->ops = &hs12_client_ops;
	return hs12c_server_hello(c, &sh, m);
}

static int
hello_msg(struct hs_conn *c, const struct hs_msg *m)
{
	if (c->state != STC_SERVER_HELLO)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	return hs_client_server_hello(c, m);
}

static int
no_export(const struct hs_conn *c, struct hs_traffic_keys *k)
{
	(void)c;
	(void)k;
	return -ENOTCONN;
}

static int
no_outer_type(struct hs_conn *c, const struct hs_record *r)
{
	(void)c;
	(void)r;
	return HS_ERR_INTERNAL;
}

const struct hs_proto_ops hs_client_hello_ops = {
	.name = "client-hello",
	.ct_max = HS_RECORD_PLAINTEXT_MAX,
	.outer_type = no_outer_type,
	.change_cipher_spec = hs_ccs_refuse,
	.handshake_msg = hello_msg,
	.resume = hello_resume,
	.export_keys = no_export,
	.completed_stat = HS_STAT_NONE,
};

/* ------------------------------------------------------------------ */
/* Sessions                                                           */
/* ------------------------------------------------------------------ */

int
hs_conn_client_session(const struct hs_conn *c, struct hs_client_session *s)
{
	if (c->ccfg == NULL)
		return -EINVAL;
	if (c->version == 0 || (c->status != HS_STATUS_ESTABLISHED &&
				c->status != HS_STATUS_CLOSED))
		return -ENOTCONN;
	if (c->hx == NULL || !c->hx->have_session)
		return -ENOENT;
	memset(s, 0, sizeof(*s));
	s->version = c->version;
	s->suite = c->suite;
	s->ems = c->ems;
	s->secret_len = c->hx->sess_secret_len;
	memcpy(s->secret, c->hx->sess_secret, c->hx->sess_secret_len);
	if (c->version == HS_TLS12) {
		s->session_id_len = c->hx->session_id_len;
		memcpy(s->session_id, c->hx->session_id, c->hx->session_id_len);
	}
	s->ticket_len = c->hx->new_ticket_len;
	memcpy(s->ticket, c->hx->ticket_area, c->hx->new_ticket_len);
	s->lifetime = c->hx->new_lifetime;
	s->age_add = c->hx->new_age_add;
	s->received_ms = c->hx->new_received_ms;
	s->sni_len = (uint8_t)strlen(c->ccfg->sni);
	memcpy(s->sni, c->ccfg->sni, s->sni_len + 1u);
	return 0;
}

void
hs_client_session_wipe(struct hs_client_session *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}
