/* SPDX-License-Identifier: BSD-3-Clause */
/* Server-side negotiation; contract in negotiate.h. */
#include "negotiate.h"

#include <string.h>

#include "hs_err.h"

static const struct hs_suite_info suites[] = {
	{ HS_TLS_AES_128_GCM_SHA256, HS_TLS13, HS_KX_TLS13, 0, 16, "TLS_AES_128_GCM_SHA256" },
	{ HS_TLS_AES_256_GCM_SHA384, HS_TLS13, HS_KX_TLS13, 1, 32, "TLS_AES_256_GCM_SHA384" },
	{ HS_TLS_CHACHA20_POLY1305_SHA256, HS_TLS13, HS_KX_TLS13, 0, 32,
	  "TLS_CHACHA20_POLY1305_SHA256" },
	{ HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, HS_TLS12, HS_KX_ECDHE_ECDSA, 0, 16,
	  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ HS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, HS_TLS12, HS_KX_ECDHE_ECDSA, 1, 32,
	  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ HS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, HS_TLS12, HS_KX_ECDHE_ECDSA, 0, 32,
	  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ HS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, HS_TLS12, HS_KX_ECDHE_RSA, 0, 16,
	  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ HS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, HS_TLS12, HS_KX_ECDHE_RSA, 1, 32,
	  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ HS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, HS_TLS12, HS_KX_ECDHE_RSA, 0, 32,
	  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ HS_TLS_RSA_WITH_AES_128_GCM_SHA256, HS_TLS12, HS_KX_RSA, 0, 16,
	  "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ HS_TLS_RSA_WITH_AES_256_GCM_SHA384, HS_TLS12, HS_KX_RSA, 1, 32,
	  "TLS_RSA_WITH_AES_256_GCM_SHA384" },
};

_Static_assert(sizeof(suites) / sizeof(suites[0]) == HS_SUITES_NUM, "HS_SUITES_NUM");

int
hs_suite_index(uint16_t id)
{
	for (int i = 0; i < HS_SUITES_NUM; i++)
		if (suites[i].id == id)
			return i;
	return -1;
}

const struct hs_suite_info *
hs_suite_at(unsigned i)
{
	return i < HS_SUITES_NUM ? &suites[i] : NULL;
}

const struct hs_suite_info *
hs_suite_find(uint16_t id)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

void
hs_nego_policy_default(struct hs_nego_policy *p)
{
	static const uint16_t s[] = {
		HS_TLS_AES_128_GCM_SHA256, HS_TLS_AES_256_GCM_SHA384,
		HS_TLS_CHACHA20_POLY1305_SHA256,
		HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		HS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		HS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		HS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		HS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		HS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		HS_TLS_RSA_WITH_AES_128_GCM_SHA256,
		HS_TLS_RSA_WITH_AES_256_GCM_SHA384,
	};
	static const uint16_t g[] = { HS_GROUP_X25519, HS_GROUP_SECP256R1 };
	static const uint16_t a[] = {
		HS_SIG_ECDSA_SECP256R1_SHA256, HS_SIG_ECDSA_SECP384R1_SHA384,
		HS_SIG_ECDSA_SECP521R1_SHA512, HS_SIG_ECDSA_SHA224,
		HS_SIG_RSA_PSS_RSAE_SHA256, HS_SIG_RSA_PSS_RSAE_SHA384,
		HS_SIG_RSA_PSS_RSAE_SHA512,
		HS_SIG_RSA_PKCS1_SHA256, HS_SIG_RSA_PKCS1_SHA384, HS_SIG_RSA_PKCS1_SHA512,
	};

	memset(p, 0, sizeof(*p));
	p->tls12 = true;
	p->tls13 = true;
	memcpy(p->suites, s, sizeof(s));
	p->n_suites = sizeof(s) / sizeof(s[0]);
	memcpy(p->groups, g, sizeof(g));
	p->n_groups = sizeof(g) / sizeof(g[0]);
	memcpy(p->sigalgs, a, sizeof(a));
	p->n_sigalgs = sizeof(a) / sizeof(a[0]);
}

int
hs_nego_version(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
		uint16_t *version)
{
	uint16_t ours_max = p->tls13 ? HS_TLS13 : HS_TLS12;
	uint16_t v = 0;

	/*
	 * RFC 8446 D.5: "Any endpoint receiving a Hello message with
	 * ClientHello.legacy_version [...] set to 0x0300 MUST abort the
	 * handshake with a "protocol_version" alert" (SSL 3.0 and below,
	 * whatever supported_versions says).
	 */
	if (ch->legacy_version <= 0x0300)
		return HS_ERR_ALERT(HS_ALERT_PROTOCOL_VERSION);
	if (ch->has_versions) {
		/*
		 * RFC 8446 4.2.1: when the extension is present, servers "MUST
		 * use only the "supported_versions" extension to determine
		 * client preferences".
		 */
		if (p->tls13 && hs_view_has_u16(ch->versions, HS_TLS13))
			v = HS_TLS13;
		else if (p->tls12 && hs_view_has_u16(ch->versions, HS_TLS12))
			v = HS_TLS12;
	} else if (p->tls12 && ch->legacy_version >= HS_TLS12) {
		/*
		 * Without the extension, "MUST negotiate TLS 1.2 or prior"
		 * (RFC 8446 4.2.1), also for a legacy_version above 0x0303: the
		 * client supports everything up to it (RFC 5246 E.1, RFC 8446 D.1).
		 */
		v = HS_TLS12;
	}
	/*
	 * RFC 7507 3: protocol_version first: inappropriate_fallback is sent
	 * "unless it responds with a fatal protocol_version alert because the
	 * version indicated in ClientHello.client_version is unsupported".
	 */
	if (v == 0)
		return HS_ERR_ALERT(HS_ALERT_PROTOCOL_VERSION);
	/*
	 * RFC 7507 3: with TLS_FALLBACK_SCSV and our highest version above the
	 * client's, the server "MUST respond with a fatal inappropriate_fallback
	 * alert". The client's highest is what it can negotiate: without
	 * supported_versions that is TLS 1.2 at most, even for a legacy_version
	 * of 0x0304 (RFC 8446 4.2.1), so compare the version just chosen, as
	 * OpenSSL does.
	 */
	if (hs_view_has_u16(ch->cipher_suites, HS_TLS_FALLBACK_SCSV) && v < ours_max)
		return HS_ERR_ALERT(HS_ALERT_INAPPROPRIATE_FALLBACK);
	*version = v;
	return 0;
}

int
hs_nego_group(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
	      uint16_t version, uint16_t *group, bool *hrr, struct hs_view *key)
{
	*hrr = false;
	if (version == HS_TLS12) {
		/*
		 * RFC 8422 5.1.2: uncompressed points are the only format left
		 * (a client listing curves without it is refused by
		 * hs_client_hello_parse12(); one without curves gets no ECDHE).
		 */
		if (ch->has_ec_point_formats && !ch->uncompressed_points)
			return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
		/*
		 * RFC 8422 4: without supported_groups "the server is free to
		 * choose any one of the elliptic curves"; a client that old
		 * may know no more than secp256r1, so that one when we have it.
		 */
		if (!ch->has_groups) {
			for (unsigned i = 0; i < p->n_groups; i++)
				if (p->groups[i] == HS_GROUP_SECP256R1)
					return *group = HS_GROUP_SECP256R1, 0;
		}
		for (unsigned i = 0; i < p->n_groups; i++) {
			if (!ch->has_groups || hs_view_has_u16(ch->groups, p->groups[i])) {
				*group = p->groups[i];
				return 0;
			}
		}
		return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
	}
	/*
	 * RFC 8446 9.2: a ClientHello for (EC)DHE "MUST" contain both
	 * supported_groups and key_share; otherwise missing_extension.
	 */
	if (!ch->has_groups || !ch->has_key_share)
		return HS_ERR_ALERT(HS_ALERT_MISSING_EXTENSION);
	{
		size_t off = 0;
		uint16_t g;
		struct hs_view k;

		/*
		 * RFC 8446 4.2.8: each KeyShareEntry "MUST correspond to a
		 * group offered in the "supported_groups" extension"; servers
		 * MAY check and abort with illegal_parameter. We do.
		 */
		while (hs_key_share_next(ch->key_shares, &off, &g, &k))
			if (!hs_view_has_u16(ch->groups, g))
				return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	}
	for (unsigned i = 0; i < p->n_groups; i++) {
		size_t off = 0;
		uint16_t g;
		struct hs_view k;

		while (hs_key_share_next(ch->key_shares, &off, &g, &k)) {
			if (g == p->groups[i]) {
				*group = g;
				*key = k;
				return 0;
			}
		}
	}
	for (unsigned i = 0; i < p->n_groups; i++) {
		if (hs_view_has_u16(ch->groups, p->groups[i])) {
			*group = p->groups[i];
			*hrr = true;
			return 0;
		}
	}
	return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
}

/* Can a key of @p cert_type sign with @p scheme in @p version? */
static bool
scheme_fits(uint16_t scheme, enum hs_cert_type cert_type, uint16_t version)
{
	bool ecdsa = cert_type == HS_CERT_ECDSA_P256 || cert_type == HS_CERT_ECDSA_P384;

	switch (scheme) {
	case HS_SIG_RSA_PSS_RSAE_SHA256:
	case HS_SIG_RSA_PSS_RSAE_SHA384:
	case HS_SIG_RSA_PSS_RSAE_SHA512:
		return cert_type == HS_CERT_RSA;
	case HS_SIG_RSA_PKCS1_SHA256:
	case HS_SIG_RSA_PKCS1_SHA384:
	case HS_SIG_RSA_PKCS1_SHA512:
		/*
		 * RFC 8446 4.2.3: RSASSA-PKCS1-v1_5 "refer solely to
		 * signatures which appear in certificates ... and are not
		 * defined for use in signed TLS handshake messages".
		 */
		return cert_type == HS_CERT_RSA && version == HS_TLS12;
	case HS_SIG_ECDSA_SECP256R1_SHA256:
	case HS_SIG_ECDSA_SECP384R1_SHA384:
	case HS_SIG_ECDSA_SECP521R1_SHA512:
	case HS_SIG_ECDSA_SHA224:
		/*
		 * TLS 1.2: the code is {hash, ecdsa}; "the hash algorithm [...]
		 * the client is willing to verify" goes with any curve (RFC
		 * 5246 7.4.1.4.1). TLS 1.3 binds the curve (RFC 8446 4.2.3) and
		 * has no SHA-224.
		 */
		if (version == HS_TLS12)
			return ecdsa;
		return (scheme == HS_SIG_ECDSA_SECP256R1_SHA256 &&
			cert_type == HS_CERT_ECDSA_P256) ||
		       (scheme == HS_SIG_ECDSA_SECP384R1_SHA384 &&
			cert_type == HS_CERT_ECDSA_P384);
	default:
		return false;
	}
}

bool
hs_nego_cert_curve_ok(const struct hs_client_hello *ch, uint16_t version,
		      enum hs_cert_type cert_type)
{
	/*
	 * TLS 1.2: a client that sends supported_groups only accepts ECDSA
	 * certificates on curves it lists (RFC 8422 5.1, as OpenSSL enforces).
	 * TLS 1.3 binds the curve to the signature scheme instead.
	 */
	if (version != HS_TLS12 || !ch->has_groups || cert_type == HS_CERT_RSA)
		return true;
	return hs_view_has_u16(ch->groups, cert_type == HS_CERT_ECDSA_P256
					   ? HS_GROUP_SECP256R1 : HS_GROUP_SECP384R1);
}

int
hs_nego_sigalg(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
	       uint16_t version, enum hs_cert_type cert_type, uint16_t *scheme)
{
	if (!ch->has_sigalgs)
		return version == HS_TLS13 ? HS_ERR_ALERT(HS_ALERT_MISSING_EXTENSION)
					   : HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
	for (unsigned i = 0; i < p->n_sigalgs; i++) {
		if (scheme_fits(p->sigalgs[i], cert_type, version) &&
		    hs_view_has_u16(ch->sigalgs, p->sigalgs[i])) {
			*scheme = p->sigalgs[i];
			return 0;
		}
	}
	return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
}

/*
 * Is every signature of the chain one the client accepts for certificates?
 * A PSS signature is named rsa_pss_rsae_* (hso_cert.chain_sig); the
 * client may list it as rsa_pss_pss_* instead (which one depends on the
 * issuer's key, RFC 8446 4.2.3): either is taken.
 */
static bool
chain_acceptable(const struct hs_client_hello *ch, const struct hs_cert_choice *c)
{
	struct hs_view list = ch->has_sigalgs_cert ? ch->sigalgs_cert : ch->sigalgs;

	if (!ch->has_sigalgs_cert && !ch->has_sigalgs)
		return true;
	for (unsigned i = 0; i < c->chain_len; i++) {
		uint16_t s = c->chain_sig[i];

		if (s == 0 || hs_view_has_u16(list, s))
			continue;
		if (s >= HS_SIG_RSA_PSS_RSAE_SHA256 && s <= HS_SIG_RSA_PSS_RSAE_SHA512 &&
		    hs_view_has_u16(list, (uint16_t)(s - HS_SIG_RSA_PSS_RSAE_SHA256 +
						 HS_SIG_RSA_PSS_PSS_SHA256)))
			continue;
		return false;
	}
	return true;
}

/* Can a candidate of @p type serve key exchange @p kx to this client? */
static bool
kx_fits(const struct hs_client_hello *ch, uint16_t version, enum hs_kx kx,
	enum hs_cert_type type)
{
	switch (kx) {
	case HS_KX_TLS13:
		return true;
	case HS_KX_ECDHE_ECDSA:
		return type != HS_CERT_RSA && hs_nego_cert_curve_ok(ch, version, type);
	case HS_KX_ECDHE_RSA:
	case HS_KX_RSA:
		return type == HS_CERT_RSA;
	default:
		return false;
	}
}

int
hs_nego_cert(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
	     uint16_t version, enum hs_kx kx, const struct hs_cert_choice *cand,
	     unsigned n, unsigned *idx, uint16_t *scheme)
{
	if (kx != HS_KX_RSA && !ch->has_sigalgs)
		return version == HS_TLS13 ? HS_ERR_ALERT(HS_ALERT_MISSING_EXTENSION)
					   : HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
	for (int pass = 0; pass < 2; pass++) {
		if (kx == HS_KX_RSA) {
			for (unsigned i = 0; i < n; i++) {
				if (!kx_fits(ch, version, kx, cand[i].type) ||
				    (pass == 0 && !chain_acceptable(ch, &cand[i])))
					continue;
				*idx = i;
				*scheme = 0;
				return 0;
			}
			continue;
		}
		for (unsigned k = 0; k < p->n_sigalgs; k++) {
			uint16_t s = p->sigalgs[k];

			if (!hs_view_has_u16(ch->sigalgs, s))
				continue;
			for (unsigned i = 0; i < n; i++) {
				if (!kx_fits(ch, version, kx, cand[i].type) ||
				    !scheme_fits(s, cand[i].type, version) ||
				    (pass == 0 && !chain_acceptable(ch, &cand[i])))
					continue;
				*idx = i;
				*scheme = s;
				return 0;
			}
		}
	}
	return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
}

/* An ECDSA certificate type this client can be served, or 0. */
static enum hs_cert_type
ecdsa_type(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
	   uint16_t version, unsigned cert_types)
{
	static const enum hs_cert_type order[] = { HS_CERT_ECDSA_P256, HS_CERT_ECDSA_P384 };
	uint16_t s;

	for (unsigned i = 0; i < 2; i++)
		if ((cert_types & order[i]) && hs_nego_cert_curve_ok(ch, version, order[i]) &&
		    hs_nego_sigalg(ch, p, version, order[i], &s) == 0)
			return order[i];
	return 0;
}

int
hs_nego_suite(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
	      uint16_t version, unsigned cert_types, uint16_t *suite)
{
	uint16_t g, s;
	bool hrr;
	struct hs_view k;
	bool ecdhe_ok = version == HS_TLS12 &&
			hs_nego_group(ch, p, version, &g, &hrr, &k) == 0;
	bool rsa_sig = (cert_types & HS_CERT_RSA) &&
		       hs_nego_sigalg(ch, p, version, HS_CERT_RSA, &s) == 0;
	bool ecdsa_sig = ecdsa_type(ch, p, version, cert_types) != 0;

	for (unsigned i = 0; i < p->n_suites; i++) {
		const struct hs_suite_info *info = hs_suite_find(p->suites[i]);
		bool ok;

		if (info == NULL || info->version != version ||
		    !hs_view_has_u16(ch->cipher_suites, info->id))
			continue;
		switch (info->kx) {
		case HS_KX_TLS13:
			ok = rsa_sig || ecdsa_sig;
			break;
		case HS_KX_ECDHE_RSA:
			ok = ecdhe_ok && rsa_sig;
			break;
		case HS_KX_ECDHE_ECDSA:
			ok = ecdhe_ok && ecdsa_sig;
			break;
		case HS_KX_RSA:
			ok = (cert_types & HS_CERT_RSA) != 0;
			break;
		default:
			ok = false;
		}
		if (ok) {
			*suite = info->id;
			return 0;
		}
	}
	return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
}

int
hs_nego_alpn(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
	     struct hs_view *proto)
{
	size_t off = 0;

	proto->p = NULL;
	proto->len = 0;
	if (!ch->has_alpn || p->alpn_len == 0)
		return 0;
	while (off < p->alpn_len) {
		size_t n = p->alpn[off];

		if (off + 1 + n > p->alpn_len)
			break;
		if (hs_alpn_has(ch->alpn, p->alpn + off + 1, n)) {
			proto->p = p->alpn + off + 1;
			proto->len = (uint16_t)n;
			return 0;
		}
		off += 1 + n;
	}
	/*
	 * RFC 7301 3.2: "In the event that the server supports no protocols
	 * that the client advertises, then the server SHALL respond with a
	 * fatal "no_application_protocol" alert." (OpenSSL's s_server does.)
	 */
	return HS_ERR_ALERT(HS_ALERT_NO_APPLICATION_PROTOCOL);
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
eq_nocase(const char *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] == '\0' || lower(a[i]) != lower((char)b[i]))
			return false;
	return a[n] == '\0';
}

bool
hs_sni_match(const char *pattern, const uint8_t *host, size_t host_len)
{
	const uint8_t *dot;

	if (host_len > 0 && host[host_len - 1] == '.')
		host_len--;
	if (host_len == 0 || pattern[0] == '\0')
		return false;
	if (pattern[0] != '*')
		return strchr(pattern, '*') == NULL && eq_nocase(pattern, host, host_len);
	/* Only a whole left-most label: "*." followed by at least one more dot. */
	if (pattern[1] != '.' || strchr(pattern + 2, '*') != NULL ||
	    strchr(pattern + 2, '.') == NULL)
		return false;
	dot = memchr(host, '.', host_len);
	if (dot == NULL || dot == host)
		return false;
	return eq_nocase(pattern + 2, dot + 1, host_len - (size_t)(dot + 1 - host));
}
