/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server configuration and the choices made from it before any crypto:
 * the certificate for a ClientHello (SNI, key type, signature scheme).
 * Contract: handshake.h.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "engine_priv.h"

/* ------------------------------------------------------------------ */
/* Configuration                                                      */
/* ------------------------------------------------------------------ */

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
hs_config_init(struct hs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	hs_nego_policy_default(&cfg->nego);
	cfg->ticket_lifetime = HS_TICKET_LIFETIME_DEFAULT;
	cfg->psk_ke = true;
	cfg->session_cache_size = HS_SESSION_CACHE_DEFAULT;
	cfg->now_ms = wall_ms;
	cfg->max_handshake_msg = HS_MAX_MSG_DEFAULT;
	cfg->large_msg_bufs = HS_LARGE_MSG_BUFS_DEFAULT;
	for (int h = 0; h < HSO_KDF_HASH_NUM; h++)
		if (hso_kdf_tls13_nopsk((enum hso_kdf_hash)h, NULL, NULL,
					&cfg->derived_nopsk[h]) != 0 ||
		    hso_hash_digest((enum hso_hash_alg)h, NULL, 0, cfg->empty_hash[h]) < 0)
			return -EIO;
	return 0;
}

int
hs_config_add_cert(struct hs_config *cfg, const struct hso_cert *cert, bool is_default)
{
	enum hs_cert_type t;

	if (cfg->n_certs == HS_CONFIG_MAX_CERTS)
		return -ENOSPC;
	switch (cert->key_type) {
	case HSO_KEY_RSA:
		t = HS_CERT_RSA;
		break;
	case HSO_KEY_EC_P256:
		t = HS_CERT_ECDSA_P256;
		break;
	case HSO_KEY_EC_P384:
		t = HS_CERT_ECDSA_P384;
		break;
	default:
		return -ENOTSUP;
	}
	cfg->certs[cfg->n_certs++] = (struct hs_cert_slot){
		.cert = cert, .type = t, .is_default = is_default,
	};
	return 0;
}

void
hs_config_wipe(struct hs_config *cfg)
{
	for (int h = 0; h < HSO_KDF_HASH_NUM; h++)
		hso_hmac_key_wipe(&cfg->derived_nopsk[h]);
}

/*
 * The certificates that may serve this ClientHello: those whose names match
 * the SNI (exact names before wildcards, RFC 6125), else the defaults.
 */
int
hs_select_certs(struct hs_conn *c, const struct hs_client_hello *ch,
		const struct hs_cert_slot **cand, unsigned *n, unsigned *types)
{
	const struct hs_config *cfg = c->cfg;

	*n = 0;
	*types = 0;
	c->hx->sni_ack = false;
	if (ch->has_sni) {
		memcpy(c->hx->sni, ch->sni.p, ch->sni.len);
		c->hx->sni[ch->sni.len] = '\0';
		c->hx->sni_len = (uint8_t)ch->sni.len;
		for (int wild = 0; wild <= 1 && *n == 0; wild++) {
			for (unsigned i = 0; i < cfg->n_certs; i++) {
				const struct hso_cert *ct = cfg->certs[i].cert;

				for (unsigned k = 0; k < ct->n_names; k++) {
					if ((ct->names[k][0] == '*') != wild)
						continue;
					if (hs_sni_match(ct->names[k], ch->sni.p, ch->sni.len)) {
						cand[(*n)++] = &cfg->certs[i];
						break;
					}
				}
			}
		}
		c->hx->sni_ack = *n > 0;
		/* RFC 6066 3: a server MAY refuse an unknown name, fatally. */
		if (*n == 0 && cfg->sni_strict)
			return HS_ERR_ALERT(HS_ALERT_UNRECOGNIZED_NAME);
	}
	if (*n == 0) {
		for (unsigned i = 0; i < cfg->n_certs; i++)
			if (cfg->certs[i].is_default)
				cand[(*n)++] = &cfg->certs[i];
		if (*n == 0 && cfg->n_certs > 0)
			cand[(*n)++] = &cfg->certs[0];
	}
	for (unsigned i = 0; i < *n; i++)
		*types |= cand[i]->type;
	return *n > 0 ? 0 : HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
}

/* Pick the certificate (in config order) and signature scheme for @p kx. */
int
hs_pick_cert(struct hs_conn *c, const struct hs_client_hello *ch,
	     const struct hs_cert_slot *const *cand, unsigned n, enum hs_kx kx)
{
	for (unsigned i = 0; i < n; i++) {
		enum hs_cert_type t = cand[i]->type;
		uint16_t scheme = 0;

		if ((kx == HS_KX_RSA || kx == HS_KX_ECDHE_RSA) && t != HS_CERT_RSA)
			continue;
		if (kx == HS_KX_ECDHE_ECDSA &&
		    (t == HS_CERT_RSA || !hs_nego_cert_curve_ok(ch, c->version, t)))
			continue;
		if (kx != HS_KX_RSA &&
		    hs_nego_sigalg(ch, &c->cfg->nego, c->version, t, &scheme) != 0)
			continue;
		c->cert = cand[i]->cert;
		c->sigalg = scheme;
		return 0;
	}
	return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
}

int
hs_random(uint8_t *out, size_t len)
{
	return RAND_bytes(out, (int)len) == 1 ? 0 : -EIO;
}
