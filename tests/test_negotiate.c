/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * handshake/negotiate: what the server picks for ClientHellos written by
 * OpenSSL and GnuTLS clients configured to offer specific things.
 */
#include <openssl/ssl.h>

#include "check.h"
#include "client_hello.h"
#include "hs_err.h"
#include "negotiate.h"
#include "real_hello.h"

#define FAIL(a) HS_ERR_ALERT(HS_ALERT_##a)

static uint8_t msg[65536];
static struct hs_client_hello ch;

static int
hello(const struct real_hello_ossl *o)
{
	size_t n = real_hello_openssl(o, msg, sizeof(msg));

	int rc;

	if (n < 4)
		return -1;
	rc = hs_client_hello_parse(msg + 4, n - 4, &ch);
	/* What a TLS 1.2 handshake decodes once chosen (ec_point_formats). */
	return rc != 0 ? rc : hs_client_hello_parse12(&ch);
}

static void
test_versions(void)
{
	struct hs_nego_policy p;
	uint16_t v = 0;

	hs_nego_policy_default(&p);
	CHECK_EQ(hello(&(struct real_hello_ossl){ 0 }), 0);
	CHECK_EQ(hs_nego_version(&ch, &p, &v), 0);
	CHECK_EQ(v, HS_TLS13);
	p.tls13 = false;
	CHECK_EQ(hs_nego_version(&ch, &p, &v), 0);
	CHECK_EQ(v, HS_TLS12);

	hs_nego_policy_default(&p);
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION }), 0);
	CHECK_EQ(hs_nego_version(&ch, &p, &v), 0);
	CHECK_EQ(v, HS_TLS12);
	p.tls12 = false;
	CHECK_EQ(hs_nego_version(&ch, &p, &v), FAIL(PROTOCOL_VERSION));

	/* TLS 1.3-only client against a TLS 1.2-only server. */
	hs_nego_policy_default(&p);
	p.tls13 = false;
	CHECK_EQ(hello(&(struct real_hello_ossl){ .min_version = TLS1_3_VERSION }), 0);
	CHECK_EQ(hs_nego_version(&ch, &p, &v), FAIL(PROTOCOL_VERSION));

	/* A TLS 1.1 client. */
	hs_nego_policy_default(&p);
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_1_VERSION,
						  .min_version = TLS1_VERSION,
						  .ciphers12 = "DEFAULT:@SECLEVEL=0" }), 0);
	CHECK_EQ(ch.legacy_version, 0x0302);
	CHECK_EQ(hs_nego_version(&ch, &p, &v), FAIL(PROTOCOL_VERSION));

	/* RFC 7507: a fallback to 1.2 is refused when we speak 1.3 ... */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .fallback_scsv = 1 }), 0);
	CHECK(hs_view_has_u16(ch.cipher_suites, HS_TLS_FALLBACK_SCSV));
	CHECK_EQ(hs_nego_version(&ch, &p, &v), FAIL(INAPPROPRIATE_FALLBACK));
	/* ... and fine when 1.2 is our highest. */
	p.tls13 = false;
	CHECK_EQ(hs_nego_version(&ch, &p, &v), 0);
	CHECK_EQ(v, HS_TLS12);

	/*
	 * RFC 7507 3: a fallback to a version we do not support at all is
	 * protocol_version, not inappropriate_fallback.
	 */
	hs_nego_policy_default(&p);
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_1_VERSION,
						  .min_version = TLS1_VERSION,
						  .ciphers12 = "DEFAULT:@SECLEVEL=0",
						  .fallback_scsv = 1 }), 0);
	CHECK(hs_view_has_u16(ch.cipher_suites, HS_TLS_FALLBACK_SCSV));
	CHECK_EQ(hs_nego_version(&ch, &p, &v), FAIL(PROTOCOL_VERSION));

	/*
	 * RFC 8446 D.5: legacy_version 0x0300 or less is protocol_version,
	 * even with supported_versions offering TLS 1.3.
	 */
	CHECK_EQ(hello(&(struct real_hello_ossl){ 0 }), 0);
	CHECK(ch.has_versions);
	for (unsigned lv = 0; lv <= 0x0300; lv += 0x80) {
		ch.legacy_version = (uint16_t)lv;
		CHECK_EQ(hs_nego_version(&ch, &p, &v), FAIL(PROTOCOL_VERSION));
	}
	ch.legacy_version = 0x0300;
	CHECK_EQ(hs_nego_version(&ch, &p, &v), FAIL(PROTOCOL_VERSION));
	ch.legacy_version = 0x0301;     /* allowed with supported_versions */
	CHECK_EQ(hs_nego_version(&ch, &p, &v), 0);
	CHECK_EQ(v, HS_TLS13);

	/*
	 * No supported_versions and a legacy_version above 0x0303 (0x0304,
	 * "TLS 1.8"): the client speaks everything up to it, TLS 1.2 it is
	 * (RFC 5246 E.1, RFC 8446 D.1).
	 */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION }), 0);
	CHECK(!ch.has_versions);
	ch.legacy_version = 0x0304;
	CHECK_EQ(hs_nego_version(&ch, &p, &v), 0);
	CHECK_EQ(v, HS_TLS12);
	ch.legacy_version = 0x0309;
	CHECK_EQ(hs_nego_version(&ch, &p, &v), 0);
	CHECK_EQ(v, HS_TLS12);
	ch.legacy_version = 0x0400;
	CHECK_EQ(hs_nego_version(&ch, &p, &v), 0);
	CHECK_EQ(v, HS_TLS12);

	/*
	 * ... and with TLS_FALLBACK_SCSV that is a fallback from our TLS 1.3
	 * (RFC 7507 3): what the client can negotiate without
	 * supported_versions is TLS 1.2 (RFC 8446 4.2.1).
	 */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .fallback_scsv = 1 }), 0);
	ch.legacy_version = 0x0304;
	CHECK_EQ(hs_nego_version(&ch, &p, &v), FAIL(INAPPROPRIATE_FALLBACK));
	/* With supported_versions offering TLS 1.3, SCSV is no fallback. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .fallback_scsv = 1 }), 0);
	CHECK(hs_view_has_u16(ch.cipher_suites, HS_TLS_FALLBACK_SCSV));
	CHECK_EQ(hs_nego_version(&ch, &p, &v), 0);
	CHECK_EQ(v, HS_TLS13);
}

static void
test_suites(void)
{
	struct hs_nego_policy p;
	uint16_t s = 0;
	const unsigned all = HS_CERT_RSA | HS_CERT_ECDSA_P256;

	hs_nego_policy_default(&p);
	/* TLS 1.3: server order wins over the client's. */
	CHECK_EQ(hello(&(struct real_hello_ossl){
		.ciphers13 = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384" }), 0);
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS13, all, &s), 0);
	CHECK_EQ(s, HS_TLS_AES_256_GCM_SHA384);
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS13, HS_CERT_RSA, &s), 0);
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS13, 0, &s), FAIL(HANDSHAKE_FAILURE));
	p.suites[0] = HS_TLS_CHACHA20_POLY1305_SHA256;
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS13, all, &s), 0);
	CHECK_EQ(s, HS_TLS_CHACHA20_POLY1305_SHA256);

	/* TLS 1.2: ECDSA suites need an ECDSA certificate, RSA ones an RSA one. */
	hs_nego_policy_default(&p);
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION }), 0);
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS12, all, &s), 0);
	CHECK_EQ(s, HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS12, HS_CERT_RSA, &s), 0);
	CHECK_EQ(s, HS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS12, HS_CERT_ECDSA_P384, &s), 0);
	CHECK_EQ(s, HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);

	/* The classic RSA key exchange when that is all the client offers. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .ciphers12 = "AES128-GCM-SHA256" }), 0);
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS12, all, &s), 0);
	CHECK_EQ(s, HS_TLS_RSA_WITH_AES_128_GCM_SHA256);
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS12, HS_CERT_ECDSA_P256, &s),
		 FAIL(HANDSHAKE_FAILURE));

	/* No common ECDHE group: falls to RSA key exchange, or fails. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .groups = "P-384" }), 0);
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS12, all, &s), 0);
	CHECK_EQ(s, HS_TLS_RSA_WITH_AES_128_GCM_SHA256);
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .groups = "P-384",
						  .ciphers12 = "ECDHE-RSA-AES128-GCM-SHA256" }), 0);
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS12, all, &s), FAIL(HANDSHAKE_FAILURE));

	/* CBC-only client: nothing we implement. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .ciphers12 = "AES128-SHA:ECDHE-RSA-AES256-SHA" }), 0);
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS12, all, &s), FAIL(HANDSHAKE_FAILURE));

	/* TLS 1.2: an ECDSA certificate on a curve the client does not list is unusable. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .groups = "X25519",
						  .ciphers12 = "ECDHE-ECDSA-AES128-GCM-SHA256" }), 0);
	CHECK(!hs_nego_cert_curve_ok(&ch, HS_TLS12, HS_CERT_ECDSA_P256));
	CHECK(hs_nego_cert_curve_ok(&ch, HS_TLS12, HS_CERT_RSA));
	CHECK(hs_nego_cert_curve_ok(&ch, HS_TLS13, HS_CERT_ECDSA_P256));
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS12, HS_CERT_ECDSA_P256, &s), FAIL(HANDSHAKE_FAILURE));
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .groups = "X25519:P-256",
						  .ciphers12 = "ECDHE-ECDSA-AES128-GCM-SHA256" }), 0);
	CHECK(hs_nego_cert_curve_ok(&ch, HS_TLS12, HS_CERT_ECDSA_P256));
	CHECK(!hs_nego_cert_curve_ok(&ch, HS_TLS12, HS_CERT_ECDSA_P384));
	CHECK_EQ(hs_nego_suite(&ch, &p, HS_TLS12, HS_CERT_ECDSA_P256, &s), 0);

	CHECK(hs_suite_find(0x1302) != NULL && hs_suite_find(0x1302)->hash == 1);
	CHECK(hs_suite_find(0x002f) == NULL);
}

static void
test_groups(void)
{
	struct hs_nego_policy p;
	uint16_t g = 0;
	bool hrr = true;
	struct hs_view key = { 0 };

	hs_nego_policy_default(&p);
	CHECK_EQ(hello(&(struct real_hello_ossl){ .groups = "X25519:P-256" }), 0);
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &g, &hrr, &key), 0);
	CHECK(g == HS_GROUP_X25519 && !hrr && key.len == 32);

	/* The client's only share is P-256: take it, though X25519 is ours first. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .groups = "P-256:X25519" }), 0);
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &g, &hrr, &key), 0);
	CHECK(g == HS_GROUP_SECP256R1 && !hrr && key.len == 65 && key.p[0] == 4);

	/* Share for a group we do not take, a supported one we do: HRR. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .groups = "P-384:P-256" }), 0);
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &g, &hrr, &key), 0);
	CHECK(g == HS_GROUP_SECP256R1 && hrr);

	/* Nothing in common. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .groups = "P-384:P-521" }), 0);
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &g, &hrr, &key), FAIL(HANDSHAKE_FAILURE));

	/* TLS 1.2: first of ours the client lists. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .groups = "P-256:X25519" }), 0);
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS12, &g, &hrr, &key), 0);
	CHECK(g == HS_GROUP_X25519 && !hrr);

	/*
	 * TLS 1.2 without supported_groups: RFC 8422 4 lets the server pick;
	 * secp256r1, the curve a client that old most likely knows.
	 */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION }), 0);
	ch.has_groups = false;
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS12, &g, &hrr, &key), 0);
	CHECK_EQ(g, HS_GROUP_SECP256R1);
	p.groups[1] = HS_GROUP_X25519;          /* a policy without it: our first */
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS12, &g, &hrr, &key), 0);
	CHECK_EQ(g, HS_GROUP_X25519);
	hs_nego_policy_default(&p);

	/* Missing extensions for a TLS 1.3 (EC)DHE handshake. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ 0 }), 0);
	ch.has_key_share = false;
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &g, &hrr, &key), FAIL(MISSING_EXTENSION));
	CHECK_EQ(hello(&(struct real_hello_ossl){ 0 }), 0);
	ch.has_groups = false;
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &g, &hrr, &key), FAIL(MISSING_EXTENSION));

	/*
	 * RFC 8446 4.2.7/4.2.8: groups and shares hso does not implement (EC
	 * and FFDHE ranges, any length) are passed over: a share of ours is
	 * taken wherever it is, else HRR for a supported group of ours, else
	 * handshake_failure (4.1.1).
	 */
	{
		static uint8_t groups[2 * 300], shares[300 * (4 + 200) + 4 + 32];
		size_t ng = 0, ns = 0;

		for (uint16_t c = 0; c < 299; c++) {
			uint16_t gc = c < 150 ? (uint16_t)(0x0022 + c) : (uint16_t)(0x0105 + c);

			groups[ng++] = (uint8_t)(gc >> 8);
			groups[ng++] = (uint8_t)gc;
			if (c % 3 == 0) {
				shares[ns++] = (uint8_t)(gc >> 8);
				shares[ns++] = (uint8_t)gc;
				shares[ns++] = 0;
				shares[ns++] = (uint8_t)(1 + c % 200);
				memset(shares + ns, 0xab, 1 + c % 200);
				ns += 1 + c % 200;
			}
		}
		CHECK_EQ(hello(&(struct real_hello_ossl){ .groups = "X25519" }), 0);
		ch.groups = (struct hs_view){ groups, (uint16_t)ng };
		ch.key_shares = (struct hs_view){ shares, (uint16_t)ns };
		CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &g, &hrr, &key), FAIL(HANDSHAKE_FAILURE));
		/* x25519 supported last, no share for it: HRR. */
		groups[ng++] = 0x00;
		groups[ng++] = 0x1d;
		ch.groups = (struct hs_view){ groups, (uint16_t)ng };
		CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &g, &hrr, &key), 0);
		CHECK(g == HS_GROUP_X25519 && hrr);
		/* ... and with its share after all the unknown ones: taken. */
		shares[ns++] = 0x00;
		shares[ns++] = 0x1d;
		shares[ns++] = 0;
		shares[ns++] = 32;
		memset(shares + ns, 9, 32);
		ns += 32;
		ch.key_shares = (struct hs_view){ shares, (uint16_t)ns };
		CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &g, &hrr, &key), 0);
		CHECK(g == HS_GROUP_X25519 && !hrr && key.len == 32 && key.p[0] == 9);
		/* TLS 1.2: the first of ours among them. */
		CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS12, &g, &hrr, &key), 0);
		CHECK_EQ(g, HS_GROUP_X25519);
		ng -= 2;
		ch.groups = (struct hs_view){ groups, (uint16_t)ng };
		CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS12, &g, &hrr, &key), FAIL(HANDSHAKE_FAILURE));
	}

	/* A key share for a group not in supported_groups. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .groups = "X25519:P-256" }), 0);
	{
		static const uint8_t only_p256[] = { 0x00, 0x17 };

		ch.groups = (struct hs_view){ only_p256, 2 };
		CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &g, &hrr, &key),
			 FAIL(ILLEGAL_PARAMETER));
	}
}

static void
test_sigalgs(void)
{
	struct hs_nego_policy p;
	uint16_t s = 0;

	hs_nego_policy_default(&p);
	CHECK_EQ(hello(&(struct real_hello_ossl){ 0 }), 0);
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS13, HS_CERT_RSA, &s), 0);
	CHECK_EQ(s, HS_SIG_RSA_PSS_RSAE_SHA256);
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS13, HS_CERT_ECDSA_P256, &s), 0);
	CHECK_EQ(s, HS_SIG_ECDSA_SECP256R1_SHA256);
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS13, HS_CERT_ECDSA_P384, &s), 0);
	CHECK_EQ(s, HS_SIG_ECDSA_SECP384R1_SHA384);

	/* PKCS#1 v1.5 only: fine for TLS 1.2, never for TLS 1.3. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .sigalgs = "RSA+SHA256" }), 0);
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS12, HS_CERT_RSA, &s), 0);
	CHECK_EQ(s, HS_SIG_RSA_PKCS1_SHA256);
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS13, HS_CERT_RSA, &s), FAIL(HANDSHAKE_FAILURE));
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS12, HS_CERT_ECDSA_P256, &s),
		 FAIL(HANDSHAKE_FAILURE));

	/* ECDSA hash bound to the curve. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .sigalgs = "ECDSA+SHA384:RSA-PSS+SHA256" }), 0);
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS13, HS_CERT_ECDSA_P256, &s),
		 FAIL(HANDSHAKE_FAILURE));
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS13, HS_CERT_ECDSA_P384, &s), 0);

	/* SHA-512 schemes: rsa_pss_rsae_sha512 alone, both versions. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .sigalgs = "rsa_pss_rsae_sha512" }), 0);
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS13, HS_CERT_RSA, &s), 0);
	CHECK_EQ(s, HS_SIG_RSA_PSS_RSAE_SHA512);
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS12, HS_CERT_RSA, &s), 0);
	CHECK_EQ(s, HS_SIG_RSA_PSS_RSAE_SHA512);
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .sigalgs = "RSA+SHA512" }), 0);
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS12, HS_CERT_RSA, &s), 0);
	CHECK_EQ(s, HS_SIG_RSA_PKCS1_SHA512);

	/*
	 * TLS 1.2: a P-256 key signs with whatever ECDSA hash the client
	 * offers (RFC 5246 7.4.1.4.1): SHA-224, SHA-384, SHA-512 alone.
	 */
	{
		static const struct { const char *list; uint16_t scheme; } flex[] = {
			{ "ECDSA+SHA224", HS_SIG_ECDSA_SHA224 },
			{ "ECDSA+SHA384", HS_SIG_ECDSA_SECP384R1_SHA384 },
			{ "ECDSA+SHA512", HS_SIG_ECDSA_SECP521R1_SHA512 },
		};

		for (unsigned i = 0; i < 3; i++) {
			CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
								  .sigalgs = flex[i].list }), 0);
			CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS12, HS_CERT_ECDSA_P256, &s), 0);
			CHECK_EQ(s, flex[i].scheme);
			CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS12, HS_CERT_ECDSA_P384, &s), 0);
			CHECK_EQ(s, flex[i].scheme);
			/* ... but never in TLS 1.3, where the curve is bound. */
			CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS13, HS_CERT_ECDSA_P256, &s),
				 FAIL(HANDSHAKE_FAILURE));
			CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS12, HS_CERT_RSA, &s),
				 FAIL(HANDSHAKE_FAILURE));
		}
	}
	/* ... and the server's own order among several: SHA-256 first. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .sigalgs = "ECDSA+SHA512:ECDSA+SHA256" }), 0);
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS12, HS_CERT_ECDSA_P256, &s), 0);
	CHECK_EQ(s, HS_SIG_ECDSA_SECP256R1_SHA256);

	/* Missing signature_algorithms. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ 0 }), 0);
	ch.has_sigalgs = false;
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS13, HS_CERT_RSA, &s), FAIL(MISSING_EXTENSION));
	CHECK_EQ(hs_nego_sigalg(&ch, &p, HS_TLS12, HS_CERT_RSA, &s), FAIL(HANDSHAKE_FAILURE));
}

static void
test_alpn(void)
{
	static const unsigned char h2_h1[] = "\x02h2\x08http/1.1";
	struct hs_nego_policy p;
	struct hs_view proto;

	hs_nego_policy_default(&p);
	CHECK_EQ(hello(&(struct real_hello_ossl){ .alpn = h2_h1, .alpn_len = 12 }), 0);
	/* No ALPN configured: none negotiated. */
	CHECK_EQ(hs_nego_alpn(&ch, &p, &proto), 0);
	CHECK_EQ(proto.len, 0);
	/* Server order: http/1.1 before h2. */
	memcpy(p.alpn, "\x08http/1.1\x02h2", 12);
	p.alpn_len = 12;
	CHECK_EQ(hs_nego_alpn(&ch, &p, &proto), 0);
	CHECK(proto.len == 8 && memcmp(proto.p, "http/1.1", 8) == 0);
	/* No overlap: RFC 7301 3.2, a fatal no_application_protocol. */
	memcpy(p.alpn, "\x03xyz", 4);
	p.alpn_len = 4;
	CHECK_EQ(hs_nego_alpn(&ch, &p, &proto), FAIL(NO_APPLICATION_PROTOCOL));
	/* A prefix or a longer name is no match either. */
	memcpy(p.alpn, "\x01h\x09http/1.11", 12);
	p.alpn_len = 12;
	CHECK_EQ(hs_nego_alpn(&ch, &p, &proto), FAIL(NO_APPLICATION_PROTOCOL));
	/* Client without ALPN: nothing to refuse. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ 0 }), 0);
	CHECK_EQ(hs_nego_alpn(&ch, &p, &proto), 0);
	CHECK_EQ(proto.len, 0);
}

/*
 * Dual certificates: the certificate and scheme hs_nego_cert() picks among
 * an RSA and an ECDSA one (both orders), for clients offering ECDSA only,
 * RSA only or both, by the server's scheme order, per key exchange, and
 * with signature_algorithms_cert preferring the chain the client accepts.
 */
static void
test_cert_choice(void)
{
	static const uint16_t sig_rsa[] = { HS_SIG_RSA_PKCS1_SHA256 };
	static const uint16_t sig_ec[] = { HS_SIG_ECDSA_SECP256R1_SHA256 };
	static const uint16_t sig_self[] = { 0 };
	const struct hs_cert_choice rsa_ec[] = {
		{ HS_CERT_RSA, sig_rsa, 1 }, { HS_CERT_ECDSA_P256, sig_rsa, 1 },
	};
	const struct hs_cert_choice ec_rsa[] = {
		{ HS_CERT_ECDSA_P256, sig_rsa, 1 }, { HS_CERT_RSA, sig_rsa, 1 },
	};
	struct hs_nego_policy p;
	unsigned idx = 99;
	uint16_t s = 0;
	uint8_t list[4];

	hs_nego_policy_default(&p);
	/* TLS 1.3, both offered: ECDSA (the default order), whatever the config order. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ 0 }), 0);
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, rsa_ec, 2, &idx, &s), 0);
	CHECK(idx == 1 && s == HS_SIG_ECDSA_SECP256R1_SHA256);
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, ec_rsa, 2, &idx, &s), 0);
	CHECK(idx == 0 && s == HS_SIG_ECDSA_SECP256R1_SHA256);
	/* An RSA-only client gets RSA-PSS; an ECDSA-only one ECDSA. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .sigalgs = "RSA-PSS+SHA256:rsa_pss_rsae_sha384" }), 0);
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, ec_rsa, 2, &idx, &s), 0);
	CHECK(idx == 1 && s == HS_SIG_RSA_PSS_RSAE_SHA256);
	CHECK_EQ(hello(&(struct real_hello_ossl){ .sigalgs = "ECDSA+SHA256" }), 0);
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, rsa_ec, 2, &idx, &s), 0);
	CHECK(idx == 1 && s == HS_SIG_ECDSA_SECP256R1_SHA256);
	/* ECDSA-only client, RSA-only server: nothing fits. */
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, rsa_ec, 1, &idx, &s),
		 FAIL(HANDSHAKE_FAILURE));
	/* The server's order decides: RSA schemes first, RSA served. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ 0 }), 0);
	p.sigalgs[0] = HS_SIG_RSA_PSS_RSAE_SHA256;
	p.sigalgs[1] = HS_SIG_ECDSA_SECP256R1_SHA256;
	p.n_sigalgs = 2;
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, ec_rsa, 2, &idx, &s), 0);
	CHECK(idx == 1 && s == HS_SIG_RSA_PSS_RSAE_SHA256);
	hs_nego_policy_default(&p);

	/* TLS 1.2: the suite's key exchange narrows the candidates. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION }), 0);
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS12, HS_KX_ECDHE_RSA, ec_rsa, 2, &idx, &s), 0);
	CHECK(idx == 1 && s == HS_SIG_RSA_PSS_RSAE_SHA256);
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS12, HS_KX_ECDHE_ECDSA, rsa_ec, 2, &idx, &s), 0);
	CHECK(idx == 1 && s == HS_SIG_ECDSA_SECP256R1_SHA256);
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS12, HS_KX_RSA, ec_rsa, 2, &idx, &s), 0);
	CHECK(idx == 1 && s == 0);
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS12, HS_KX_ECDHE_ECDSA, rsa_ec, 1, &idx, &s),
		 FAIL(HANDSHAKE_FAILURE));
	/* RFC 8422 5.1: an ECDSA certificate only on a curve the client lists. */
	CHECK_EQ(hello(&(struct real_hello_ossl){ .max_version = TLS1_2_VERSION,
						  .groups = "X25519" }), 0);
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS12, HS_KX_ECDHE_ECDSA, rsa_ec, 2, &idx, &s),
		 FAIL(HANDSHAKE_FAILURE));

	/*
	 * signature_algorithms_cert (RFC 8446 4.2.3): a chain signed with a
	 * scheme the client accepts comes first, else any (4.4.2.2).
	 */
	{
		const struct hs_cert_choice mixed[] = {
			{ HS_CERT_ECDSA_P256, sig_rsa, 1 }, { HS_CERT_RSA, sig_ec, 1 },
		};

		CHECK_EQ(hello(&(struct real_hello_ossl){ .sigalgs =
				"ECDSA+SHA256:RSA-PSS+SHA256:RSA+SHA256" }), 0);
		/* Without the extension, signature_algorithms covers the chains. */
		CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, mixed, 2, &idx, &s), 0);
		CHECK(idx == 0 && s == HS_SIG_ECDSA_SECP256R1_SHA256);
		/* Only ECDSA-signed chains: the RSA key whose chain is ECDSA-signed. */
		list[0] = HS_SIG_ECDSA_SECP256R1_SHA256 >> 8;
		list[1] = HS_SIG_ECDSA_SECP256R1_SHA256 & 0xff;
		ch.has_sigalgs_cert = true;
		ch.sigalgs_cert = (struct hs_view){ list, 2 };
		CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, mixed, 2, &idx, &s), 0);
		CHECK(idx == 1 && s == HS_SIG_RSA_PSS_RSAE_SHA256);
		/* A self-signed certificate is a trust anchor: acceptable to anyone. */
		{
			const struct hs_cert_choice anchor[] = {
				{ HS_CERT_ECDSA_P256, sig_rsa, 1 }, { HS_CERT_RSA, sig_self, 1 },
			};

			CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, anchor, 2, &idx,
					      &s), 0);
			CHECK_EQ(idx, 1);
		}
		/* No chain acceptable (ed25519 only): still served (RFC 8446 4.4.2.2). */
		list[0] = 0x08;
		list[1] = 0x07;
		CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, mixed, 2, &idx, &s), 0);
		CHECK(idx == 0 && s == HS_SIG_ECDSA_SECP256R1_SHA256);
		/* rsa_pss_pss_* in the list accepts a PSS signature (chain_sig: rsae). */
		{
			static const uint16_t sig_pss[] = { HS_SIG_RSA_PSS_RSAE_SHA256 };
			const struct hs_cert_choice pss[] = {
				{ HS_CERT_ECDSA_P256, sig_rsa, 1 }, { HS_CERT_RSA, sig_pss, 1 },
			};

			list[0] = 0x08;
			list[1] = 0x09;
			CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, pss, 2, &idx, &s), 0);
			CHECK_EQ(idx, 1);
		}
	}
	/* TLS 1.3 without signature_algorithms: missing_extension (RFC 8446 9.2). */
	ch.has_sigalgs = false;
	CHECK_EQ(hs_nego_cert(&ch, &p, HS_TLS13, HS_KX_TLS13, rsa_ec, 2, &idx, &s),
		 FAIL(MISSING_EXTENSION));
}

#define M(pat, host) hs_sni_match((pat), (const uint8_t *)(host), strlen(host))

static void
test_sni_match(void)
{
	CHECK(M("www.example.com", "www.example.com"));
	CHECK(M("www.example.com", "WWW.Example.COM"));
	CHECK(M("www.example.com", "www.example.com."));
	CHECK(!M("www.example.com", "www.example.com.."));
	CHECK(!M("www.example.com", "www.example.co"));
	CHECK(!M("www.example.com", "xwww.example.com"));
	CHECK(M("*.example.com", "a.example.com"));
	CHECK(M("*.example.com", "A-b.EXAMPLE.com"));
	CHECK(!M("*.example.com", "example.com"));
	CHECK(!M("*.example.com", ".example.com"));
	CHECK(!M("*.example.com", "a.b.example.com"));
	CHECK(!M("*.example.com", "aexample.com"));
	CHECK(!M("*.com", "example.com"));           /* no single-label wildcard base */
	CHECK(!M("w*.example.com", "www.example.com"));
	CHECK(!M("*.*.example.com", "a.b.example.com"));
	CHECK(!M("", "a"));
	CHECK(!M("a", ""));
	CHECK(!M("a", "."));
}

int
main(void)
{
	test_versions();
	test_suites();
	test_groups();
	test_sigalgs();
	test_alpn();
	test_cert_choice();
	test_sni_match();
	return check_result("negotiate");
}
