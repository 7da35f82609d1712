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

static int
cert_type(const struct hso_cert *cert, enum hs_cert_type *t)
{
	switch (cert->key_type) {
	case HSO_KEY_RSA:
		*t = HS_CERT_RSA;
		return 0;
	case HSO_KEY_EC_P256:
		*t = HS_CERT_ECDSA_P256;
		return 0;
	case HSO_KEY_EC_P384:
		*t = HS_CERT_ECDSA_P384;
		return 0;
	default:
		return -ENOTSUP;
	}
}

/* A name (DNS name or wildcard, lower case) both certificates answer, or NULL. */
static const char *
shared_name(const struct hso_cert *a, const struct hso_cert *b)
{
	for (unsigned i = 0; i < a->n_names; i++)
		for (unsigned k = 0; k < b->n_names; k++)
			if (strcmp(a->names[i], b->names[k]) == 0)
				return a->names[i];
	return NULL;
}

/*
 * Bytes of the Certificate message (TLS 1.3 form, the larger: header,
 * context, list length, per entry a 3-byte length and 2 bytes of extensions)
 * and of the staple in either form (TLS 1.3 extension header + CertificateStatus,
 * or the TLS 1.2 CertificateStatus message).
 */
static size_t
cert_flight_len(const struct hso_cert *cert, const struct hso_ocsp *ocsp)
{
	size_t n = HS_MSG_HEADER_LEN + 1 + 3;

	for (unsigned i = 0; i < cert->chain_len; i++)
		n += 3 + cert->chain[i].len + 2;
	if (ocsp != NULL)
		n += HS_MSG_HEADER_LEN + HS_CERT_STATUS_OVERHEAD + ocsp->len;
	return n;
}

int
hs_config_cert_clash(const struct hs_config *cfg, const struct hso_cert *cert,
		     bool is_default, const char **name)
{
	enum hs_cert_type t;

	*name = NULL;
	if (cert_type(cert, &t) != 0)
		return -1;
	for (unsigned i = 0; i < cfg->n_certs; i++) {
		if (cfg->certs[i].type != t)
			continue;
		/* Which of the two would serve this name? Neither answer is right. */
		*name = shared_name(cert, cfg->certs[i].cert);
		if (*name != NULL)
			return (int)i;
		if (is_default && cfg->certs[i].is_default)
			return (int)i;
	}
	return -1;
}

/*
 * The certificates served when no name matches: the marked defaults (else
 * the first certificate), and for each key type none of them has, the
 * first certificate of that type sharing a name with one of them, so that a
 * dual pair is a default pair.
 */
static void
defaults_update(struct hs_config *cfg)
{
	bool anchor[HS_CONFIG_MAX_CERTS];
	unsigned types = 0;

	for (unsigned i = 0; i < cfg->n_certs; i++) {
		anchor[i] = cfg->certs[i].is_default;
		if (anchor[i])
			types |= cfg->certs[i].type;
	}
	if (types == 0 && cfg->n_certs > 0) {
		anchor[0] = true;
		types = cfg->certs[0].type;
	}
	for (unsigned i = 0; i < cfg->n_certs; i++)
		cfg->certs[i].serve_default = anchor[i];
	for (unsigned i = 0; i < cfg->n_certs; i++) {
		struct hs_cert_slot *s = &cfg->certs[i];

		for (unsigned k = 0; k < cfg->n_certs && !(types & s->type); k++) {
			if (anchor[k] && shared_name(cfg->certs[k].cert, s->cert) != NULL) {
				s->serve_default = true;
				types |= s->type;
			}
		}
	}
}

int
hs_config_add_cert(struct hs_config *cfg, const struct hso_cert *cert, bool is_default)
{
	enum hs_cert_type t;
	const char *name;

	if (cfg->n_certs == HS_CONFIG_MAX_CERTS)
		return -ENOSPC;
	if (cert_type(cert, &t) != 0)
		return -ENOTSUP;
	if (hs_config_cert_clash(cfg, cert, is_default, &name) >= 0)
		return -EEXIST;
	if (cert_flight_len(cert, NULL) > HS_CERT_FLIGHT_MAX)
		return -E2BIG;
	cfg->certs[cfg->n_certs++] = (struct hs_cert_slot){
		.cert = cert, .type = t, .is_default = is_default,
	};
	defaults_update(cfg);
	return 0;
}

int
hs_config_set_ocsp(struct hs_config *cfg, const struct hso_cert *cert,
		   const struct hso_ocsp *ocsp)
{
	for (unsigned i = 0; i < cfg->n_certs; i++) {
		if (cfg->certs[i].cert != cert)
			continue;
		if (ocsp != NULL && cert_flight_len(cert, ocsp) > HS_CERT_FLIGHT_MAX)
			return -E2BIG;
		cfg->certs[i].ocsp = ocsp;
		return 0;
	}
	return -ENOENT;
}

void
hs_config_wipe(struct hs_config *cfg)
{
	for (int h = 0; h < HSO_KDF_HASH_NUM; h++)
		hso_hmac_key_wipe(&cfg->derived_nopsk[h]);
}

_Static_assert(HS_CERT_ECDSA_P384 == 1 << 2, "hs_select_certs() keeps 3 key types");

/* How well @p ct answers @p host: 0 an exact name, 1 a wildcard, 2 not at all. */
static unsigned
name_level(const struct hso_cert *ct, const uint8_t *host, size_t len)
{
	unsigned level = 2;

	for (unsigned k = 0; k < ct->n_names && level > 0; k++)
		if (hs_sni_match(ct->names[k], host, len))
			level = ct->names[k][0] == '*' ? 1 : 0;
	return level;
}

/*
 * The certificates that may serve this ClientHello: per key type, those
 * whose names match the SNI, exact names before wildcards (RFC 6125), so an
 * exact name overrides a wildcard of the same key type while a wildcard of
 * another type still pairs with it (an RSA wildcard and an ECDSA exact name
 * make a dual pair for that name); else the defaults.
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
		uint8_t level[HS_CONFIG_MAX_CERTS];
		unsigned best[3] = { 2, 2, 2 };     /* per key type (its bit's index) */

		for (unsigned i = 0; i < cfg->n_certs; i++) {
			unsigned t = (unsigned)__builtin_ctz(cfg->certs[i].type);

			level[i] = (uint8_t)name_level(cfg->certs[i].cert, ch->sni.p, ch->sni.len);
			if (level[i] < best[t])
				best[t] = level[i];
		}
		for (unsigned i = 0; i < cfg->n_certs; i++)
			if (level[i] < 2 &&
			    level[i] == best[__builtin_ctz(cfg->certs[i].type)])
				cand[(*n)++] = &cfg->certs[i];
		c->hx->sni_ack = *n > 0;
		/* RFC 6066 3: a server MAY refuse an unknown name, fatally. */
		if (*n == 0 && cfg->sni_strict)
			return HS_ERR_ALERT(HS_ALERT_UNRECOGNIZED_NAME);
	}
	if (*n == 0) {
		for (unsigned i = 0; i < cfg->n_certs; i++)
			if (cfg->certs[i].serve_default)
				cand[(*n)++] = &cfg->certs[i];
		if (*n == 0 && cfg->n_certs > 0)
			cand[(*n)++] = &cfg->certs[0];
	}
	for (unsigned i = 0; i < *n; i++)
		*types |= cand[i]->type;
	return *n > 0 ? 0 : HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
}

/*
 * Pick the certificate and signature scheme for @p kx among the SNI's
 * candidates (hs_nego_cert(): by the server's scheme order, chains the
 * client accepts first), and whether to staple its OCSP response.
 */
int
hs_pick_cert(struct hs_conn *c, const struct hs_client_hello *ch,
	     const struct hs_cert_slot *const *cand, unsigned n, enum hs_kx kx)
{
	struct hs_cert_choice choice[HS_CONFIG_MAX_CERTS];
	unsigned idx;
	uint16_t scheme;
	int rc;

	for (unsigned i = 0; i < n; i++)
		choice[i] = (struct hs_cert_choice){
			.type = cand[i]->type, .chain_sig = cand[i]->cert->chain_sig,
			.chain_len = cand[i]->cert->chain_len,
		};
	rc = hs_nego_cert(ch, &c->cfg->nego, c->version, kx, choice, n, &idx, &scheme);
	if (rc != 0)
		return rc;
	c->cert = cand[idx]->cert;
	c->sigalg = scheme;
	c->hx->staple = ch->status_ocsp && cand[idx]->ocsp != NULL;
	return 0;
}

/*
 * The OCSP response to staple for the chosen certificate, or NULL: none
 * asked for, none configured, or past its nextUpdate (RFC 6960 4.2.2.1:
 * "newer information is available" after it; a client would refuse it),
 * which is counted. The response stays in the shared config; the caller
 * copies it into the flight.
 */
const struct hso_ocsp *
hs_staple_get(struct hs_conn *c)
{
	const struct hs_config *cfg = c->cfg;

	if (!c->hx->staple)
		return NULL;
	for (unsigned i = 0; i < cfg->n_certs; i++) {
		const struct hso_ocsp *o = cfg->certs[i].ocsp;

		if (cfg->certs[i].cert != c->cert || o == NULL)
			continue;
		if ((int64_t)(cfg->now_ms() / 1000u) >= o->next_update) {
			c->w->stats.ocsp_staples_expired++;
			return NULL;
		}
		return o;
	}
	return NULL;
}

int
hs_random(uint8_t *out, size_t len)
{
	return RAND_bytes(out, (int)len) == 1 ? 0 : -EIO;
}
