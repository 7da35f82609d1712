/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * handshake/client_hello: ClientHellos from real clients (OpenSSL libssl and
 * GnuTLS, through memory transports) decode to what those clients were told
 * to send; hand-built ones check every rule with its alert; every truncation
 * and many random mutations of a real one fail cleanly.
 */
#include <stdlib.h>

#include <openssl/ssl.h>

#include "check.h"
#include "client_hello.h"
#include "codec.h"
#include "hs_err.h"
#include "real_hello.h"
#include "record.h"

#define DECODE_ERROR HS_ERR_ALERT(HS_ALERT_DECODE_ERROR)
#define ILLEGAL_PARAMETER HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER)

static size_t
openssl_client_hello(int max_version, uint8_t *out, size_t cap)
{
	static const unsigned char alpn[] = "\x02h2\x08http/1.1";
	struct real_hello_ossl o = {
		.max_version = max_version, .sni = "www.example.com",
		.alpn = alpn, .alpn_len = sizeof(alpn) - 1,
	};

	return real_hello_openssl(&o, out, cap);
}

static size_t
gnutls_client_hello(const char *priority, uint8_t *out, size_t cap)
{
	return real_hello_gnutls(priority, "gnutls.example", out, cap);
}

static bool
sni_is(const struct hs_client_hello *ch, const char *name)
{
	return ch->has_sni && ch->sni.len == strlen(name) &&
	       memcmp(ch->sni.p, name, ch->sni.len) == 0;
}

static void
check_tls13_hello(const struct hs_client_hello *ch, const char *sni)
{
	size_t off = 0;
	uint16_t group;
	struct hs_view key;
	bool x25519 = false;

	CHECK_EQ(ch->legacy_version, 0x0303);
	CHECK(ch->null_compression);
	CHECK(sni_is(ch, sni));
	CHECK(ch->has_versions && hs_view_has_u16(ch->versions, 0x0304));
	CHECK(hs_view_has_u16(ch->versions, 0x0303));
	CHECK(hs_view_has_u16(ch->cipher_suites, 0x1301));
	CHECK(ch->has_groups && hs_view_has_u16(ch->groups, 0x001d));
	CHECK(ch->has_sigalgs && hs_view_has_u16(ch->sigalgs, 0x0804));
	CHECK(hs_view_has_u16(ch->sigalgs, 0x0403));
	CHECK(ch->has_alpn && hs_alpn_has(ch->alpn, (const uint8_t *)"h2", 2));
	CHECK(hs_alpn_has(ch->alpn, (const uint8_t *)"http/1.1", 8));
	CHECK(!hs_alpn_has(ch->alpn, (const uint8_t *)"http/1", 6));
	CHECK(ch->has_key_share);
	while (hs_key_share_next(ch->key_shares, &off, &group, &key)) {
		if (group == 0x001d) {
			x25519 = true;
			CHECK_EQ(key.len, 32);
		}
	}
	CHECK(x25519);
	CHECK(ch->has_psk_modes);
	CHECK(!ch->has_psk);
}

static void
test_real_clients(void)
{
	static uint8_t m[65536];
	struct hs_client_hello ch;
	size_t n;

	/* OpenSSL, TLS 1.3 capable. */
	n = openssl_client_hello(TLS1_3_VERSION, m, sizeof(m));
	CHECK(n > 4);
	CHECK_EQ(hs_client_hello_parse(m + 4, n - 4, &ch), 0);
	check_tls13_hello(&ch, "www.example.com");
	CHECK_EQ(ch.session_id.len, 32);        /* middlebox compatibility mode */
	CHECK(ch.has_ems);
	CHECK(ch.has_ticket && ch.ticket.len == 0);

	/* OpenSSL, TLS 1.2 only: no supported_versions, no key_share. */
	n = openssl_client_hello(TLS1_2_VERSION, m, sizeof(m));
	CHECK(n > 4);
	CHECK_EQ(hs_client_hello_parse(m + 4, n - 4, &ch), 0);
	CHECK(sni_is(&ch, "www.example.com"));
	CHECK(!ch.has_versions && !ch.has_key_share);
	CHECK(hs_view_has_u16(ch.cipher_suites, 0xc02f));  /* ECDHE-RSA-AES128-GCM */
	CHECK_EQ(hs_client_hello_parse12(&ch), 0);
	CHECK(ch.has_ems && ch.has_ec_point_formats && ch.uncompressed_points);
	CHECK(ch.has_reneg_info || hs_view_has_u16(ch.cipher_suites, 0x00ff));

	/* GnuTLS, default priorities (TLS 1.3 and 1.2). */
	n = gnutls_client_hello("NORMAL", m, sizeof(m));
	CHECK(n > 4);
	CHECK_EQ(hs_client_hello_parse(m + 4, n - 4, &ch), 0);
	check_tls13_hello(&ch, "gnutls.example");

	/* GnuTLS, TLS 1.2 only. */
	n = gnutls_client_hello("NORMAL:-VERS-ALL:+VERS-TLS1.2", m, sizeof(m));
	CHECK(n > 4);
	CHECK_EQ(hs_client_hello_parse(m + 4, n - 4, &ch), 0);
	CHECK(sni_is(&ch, "gnutls.example"));
	CHECK_EQ(ch.legacy_version, 0x0303);
	CHECK(!ch.has_key_share);

	/* Every truncation of a real ClientHello is a decode_error. */
	n = openssl_client_hello(TLS1_3_VERSION, m, sizeof(m));
	for (size_t cut = 0; cut < n - 4; cut++) {
		int rc = hs_client_hello_parse(m + 4, cut, &ch);

		/* Cutting exactly before the extensions block is a valid TLS 1.2 form. */
		if (cut == 2 + 32 + 1 + 32 + 2 + (size_t)ch.cipher_suites.len + 2)
			continue;
		CHECK_MSG(rc == DECODE_ERROR, "cut at %zu: %d", cut, rc);
	}
	/* One trailing byte after the extensions block is a decode_error. */
	m[n] = 0;
	CHECK_EQ(hs_client_hello_parse(m + 4, n - 4 + 1, &ch), DECODE_ERROR);

	/* Random mutations never read out of bounds (ASan watches) and fail cleanly. */
	{
		static uint8_t mut[65536];
		unsigned seed = 12345;
		int ok = 0, alerts = 0, other = 0;

		srand(seed);
		for (int i = 0; i < 20000; i++) {
			int rc;

			memcpy(mut, m + 4, n - 4);
			for (int k = 0; k < 1 + rand() % 4; k++)
				mut[(size_t)rand() % (n - 4)] = (uint8_t)rand();
			rc = hs_client_hello_parse(mut, n - 4, &ch);
			if (rc == 0)
				ok++;
			else if (rc == DECODE_ERROR || rc == ILLEGAL_PARAMETER)
				alerts++;
			else
				other++;
		}
		printf("mutations (seed %u): %d parsed, %d refused\n", seed, ok, alerts);
		CHECK_EQ(other, 0);
		CHECK(alerts > 0);
	}
}

/* Build a ClientHello body with the given raw extensions block contents. */
static size_t
build_hello(uint8_t *out, size_t cap, const uint8_t *exts, size_t exts_len)
{
	struct hs_writer w;
	struct hs_block_mark m;
	static const uint8_t random[32] = { 1 };

	hs_writer_init(&w, out, cap);
	hs_write_u16(&w, 0x0303);
	hs_write_bytes(&w, random, 32);
	hs_write_u8(&w, 0);                     /* session id */
	hs_write_u16(&w, 2);
	hs_write_u16(&w, 0x1301);
	hs_write_u8(&w, 1);
	hs_write_u8(&w, 0);
	m = hs_writer_block_begin(&w, 2);
	hs_write_bytes(&w, exts, exts_len);
	hs_writer_block_end(&w, m, 0xffff);
	return w.err ? 0 : w.off;
}

static int
parse_exts(const uint8_t *exts, size_t len, struct hs_client_hello *ch)
{
	static uint8_t b[70000];
	size_t n = build_hello(b, sizeof(b), exts, len);

	return hs_client_hello_parse(b, n, ch);
}

#define EXT(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static void
test_rules(void)
{
	struct hs_client_hello ch;

	/* Minimal TLS 1.2 hello without extensions. */
	{
		uint8_t b[128];
		size_t n = build_hello(b, sizeof(b), NULL, 0);

		CHECK_EQ(hs_client_hello_parse(b, n - 2, &ch), 0);
		CHECK(!ch.has_extensions);
		CHECK_EQ(hs_client_hello_parse(b, n, &ch), 0);   /* empty block */
		CHECK(ch.has_extensions && ch.ext_count == 0);
	}
	/* Duplicate extension, known and unknown. */
	CHECK_EQ(parse_exts(EXT(0, 23, 0, 0, 0, 23, 0, 0), &ch), ILLEGAL_PARAMETER);
	CHECK_EQ(parse_exts(EXT(0x7a, 0x7a, 0, 0, 0x7a, 0x7a, 0, 1, 0), &ch), ILLEGAL_PARAMETER);
	/* EMS with a body: refused once TLS 1.2 is chosen (parse12), not before. */
	CHECK_EQ(parse_exts(EXT(0, 23, 0, 1, 0), &ch), 0);
	CHECK_EQ(hs_client_hello_parse12(&ch), DECODE_ERROR);
	/* supported_versions: odd length, empty, good. */
	CHECK_EQ(parse_exts(EXT(0, 43, 0, 4, 3, 3, 4, 3), &ch), DECODE_ERROR);
	CHECK_EQ(parse_exts(EXT(0, 43, 0, 1, 0), &ch), DECODE_ERROR);
	CHECK_EQ(parse_exts(EXT(0, 43, 0, 5, 4, 3, 4, 3, 3), &ch), 0);
	CHECK(hs_view_has_u16(ch.versions, 0x0304));
	/* Extension data longer than its vector says (trailing bytes). */
	CHECK_EQ(parse_exts(EXT(0, 43, 0, 6, 4, 3, 4, 3, 3, 9), &ch), DECODE_ERROR);
	/* SNI: two host_names; NUL inside; empty name; good; unknown type skipped. */
	CHECK_EQ(parse_exts(EXT(0, 0, 0, 12, 0, 10, 0, 0, 3, 'a', '.', 'b', 0, 0, 1, 'c'), &ch),
		 ILLEGAL_PARAMETER);
	CHECK_EQ(parse_exts(EXT(0, 0, 0, 8, 0, 6, 0, 0, 3, 'a', 0, 'b'), &ch), ILLEGAL_PARAMETER);
	CHECK_EQ(parse_exts(EXT(0, 0, 0, 5, 0, 3, 0, 0, 0), &ch), DECODE_ERROR);
	CHECK_EQ(parse_exts(EXT(0, 0, 0, 12, 0, 10, 9, 0, 1, 'z', 0, 0, 3, 'a', '.', 'b'), &ch), 0);
	CHECK(sni_is(&ch, "a.b"));
	/*
	 * status_request (RFC 6066 8): ocsp with empty lists; with a
	 * responder id and request extensions (contents not judged); an
	 * empty ResponderID, truncation, trailing bytes and an empty body
	 * malformed; another status_type skipped (nothing stapled).
	 */
	CHECK_EQ(parse_exts(EXT(0, 5, 0, 5, 1, 0, 0, 0, 0), &ch), 0);
	CHECK(ch.status_ocsp);
	CHECK_EQ(parse_exts(EXT(0, 5, 0, 11, 1, 0, 4, 0, 2, 0xa1, 0xb2, 0, 2, 0x30, 0), &ch), 0);
	CHECK(ch.status_ocsp);
	CHECK_EQ(parse_exts(EXT(0, 5, 0, 7, 1, 0, 2, 0, 0, 0, 0), &ch), DECODE_ERROR);
	CHECK_EQ(parse_exts(EXT(0, 5, 0, 7, 1, 0, 4, 0, 3, 1, 2), &ch), DECODE_ERROR);
	CHECK_EQ(parse_exts(EXT(0, 5, 0, 4, 1, 0, 0, 0), &ch), DECODE_ERROR);
	CHECK_EQ(parse_exts(EXT(0, 5, 0, 6, 1, 0, 0, 0, 0, 9), &ch), DECODE_ERROR);
	CHECK_EQ(parse_exts(EXT(0, 5, 0, 0), &ch), DECODE_ERROR);
	CHECK_EQ(parse_exts(EXT(0, 5, 0, 3, 2, 7, 7), &ch), 0);
	CHECK(!ch.status_ocsp);
	/*
	 * RFC 6066 3: an ASCII DNS hostname. A control character (BEL, ESC),
	 * a space or UTF-8 cannot be in one: illegal_parameter. Letters,
	 * digits, '-', '_' and A-labels are fine.
	 */
	{
		static const char *const bad[] = { "a\ab", "a\x1b[31mb", "a b", "\xc4\x85.pl",
						   "a\x7f", "a:b", "a/b" };
		static const char *const good[] = { "xn--wgv71a.jp", "a-b_c.D9", "x" };
		uint8_t e[64];

		for (unsigned i = 0; i < 7 + 3; i++) {
			const char *n = i < 7 ? bad[i] : good[i - 7];
			size_t l = strlen(n);

			e[0] = 0;
			e[1] = 0;
			e[2] = 0;
			e[3] = (uint8_t)(5 + l);
			e[4] = 0;
			e[5] = (uint8_t)(3 + l);
			e[6] = 0;
			e[7] = 0;
			e[8] = (uint8_t)l;
			memcpy(e + 9, n, l);
			CHECK_MSG(parse_exts(e, 9 + l, &ch) == (i < 7 ? ILLEGAL_PARAMETER : 0),
				  "SNI '%s'", n);
		}
	}
	/* ALPN: empty protocol name; overlong inner length. */
	CHECK_EQ(parse_exts(EXT(0, 16, 0, 5, 0, 3, 2, 'h', '2', 0), &ch), DECODE_ERROR);
	CHECK_EQ(parse_exts(EXT(0, 16, 0, 5, 0, 3, 3, 'h', '2'), &ch), DECODE_ERROR);
	/* key_share: same group twice; empty key; good with two groups. */
	CHECK_EQ(parse_exts(EXT(0, 51, 0, 12, 0, 10, 0, 0x1d, 0, 1, 9, 0, 0x1d, 0, 1, 9), &ch),
		 ILLEGAL_PARAMETER);
	CHECK_EQ(parse_exts(EXT(0, 51, 0, 6, 0, 4, 0, 0x1d, 0, 0), &ch), DECODE_ERROR);
	CHECK_EQ(parse_exts(EXT(0, 51, 0, 12, 0, 10, 0, 0x1d, 0, 1, 9, 0, 0x17, 0, 1, 8), &ch), 0);
	{
		size_t off = 0;
		uint16_t g;
		struct hs_view k;
		int n = 0;

		while (hs_key_share_next(ch.key_shares, &off, &g, &k))
			n++;
		CHECK_EQ(n, 2);
		CHECK(g == 0x17 && k.len == 1 && k.p[0] == 8);
	}
	/* record_size_limit below 64. */
	CHECK_EQ(parse_exts(EXT(0, 28, 0, 2, 0, 63), &ch), ILLEGAL_PARAMETER);
	CHECK_EQ(parse_exts(EXT(0, 28, 0, 2, 0, 64), &ch), 0);

	/* pre_shared_key: last (ok), not last, binder count mismatch, short binder. */
	{
		uint8_t psk[] = {
			0, 41, 0, 47,
			0, 10, 0, 4, 't', 'i', 'c', 'k', 0, 0, 0, 7,     /* identities */
			0, 33, 32,                                      /* binders */
			1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
			1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		};
		uint8_t exts[128];
		static uint8_t body[256];
		size_t n;

		memcpy(exts, (const uint8_t[]){ 0, 45, 0, 2, 1, 1 }, 6);
		memcpy(exts + 6, psk, sizeof(psk));
		n = build_hello(body, sizeof(body), exts, 6 + sizeof(psk));
		CHECK_EQ(hs_client_hello_parse(body, n, &ch), 0);
		CHECK(ch.has_psk && ch.psk_binders.len == 33);
		/* The binders vector starts 35 bytes before the end of the body. */
		CHECK_EQ(ch.psk_binders_off, n - 35);
		CHECK_EQ(body[ch.psk_binders_off + 1], 33);

		memcpy(exts, psk, sizeof(psk));
		memcpy(exts + sizeof(psk), (const uint8_t[]){ 0, 45, 0, 2, 1, 1 }, 6);
		CHECK_EQ(parse_exts(exts, sizeof(psk) + 6, &ch), ILLEGAL_PARAMETER);

		psk[3] = 47 + 33;  /* two binders for one identity */
		psk[17] = 66;
		memcpy(exts, psk, sizeof(psk));
		exts[sizeof(psk)] = 32;
		memset(exts + sizeof(psk) + 1, 2, 32);
		CHECK_EQ(parse_exts(exts, sizeof(psk) + 33, &ch), ILLEGAL_PARAMETER);

		psk[3] = 46;       /* binder of 31 bytes */
		psk[17] = 32;
		psk[18] = 31;
		CHECK_EQ(parse_exts(psk, sizeof(psk) - 1, &ch), DECODE_ERROR);
	}
	/* Session id longer than 32; odd cipher suite list; no compression method. */
	{
		uint8_t b[128];
		size_t n = build_hello(b, sizeof(b), NULL, 0);

		b[34] = 33;
		CHECK_EQ(hs_client_hello_parse(b, n, &ch), DECODE_ERROR);
		n = build_hello(b, sizeof(b), NULL, 0);
		b[36] = 3;
		CHECK_EQ(hs_client_hello_parse(b, n, &ch), DECODE_ERROR);
		n = build_hello(b, sizeof(b), NULL, 0);
		b[39] = 0;
		CHECK_EQ(hs_client_hello_parse(b, n, &ch), DECODE_ERROR);
	}
	/*
	 * TLS 1.2-only extensions are decoded only once TLS 1.2 is chosen: a
	 * TLS 1.3 handshake ignores a malformed ec_point_formats or
	 * renegotiation_info (tlsfuzzer sends them empty or random).
	 */
	{
		CHECK_EQ(parse_exts(EXT(0, 11, 0, 0), &ch), 0);
		CHECK_EQ(hs_client_hello_parse12(&ch), DECODE_ERROR);
		CHECK_EQ(parse_exts(EXT(0, 11, 0, 3, 3, 1, 0), &ch), 0);
		CHECK_EQ(hs_client_hello_parse12(&ch), DECODE_ERROR);
		CHECK_EQ(parse_exts(EXT(0, 11, 0, 3, 2, 1, 2), &ch), 0);
		CHECK_EQ(hs_client_hello_parse12(&ch), 0);
		CHECK(ch.has_ec_point_formats && !ch.uncompressed_points);
		/*
		 * RFC 8422 5.1.2: with curves listed too, no uncompressed format
		 * "MUST" be refused with illegal_parameter.
		 */
		CHECK_EQ(parse_exts(EXT(0, 11, 0, 3, 2, 1, 2, 0, 10, 0, 4, 0, 2, 0, 0x17), &ch), 0);
		CHECK_EQ(hs_client_hello_parse12(&ch), ILLEGAL_PARAMETER);
		CHECK_EQ(parse_exts(EXT(0, 11, 0, 2, 1, 0), &ch), 0);
		CHECK_EQ(hs_client_hello_parse12(&ch), 0);
		CHECK(ch.uncompressed_points);
		CHECK_EQ(parse_exts(EXT(0xff, 0x01, 0, 0), &ch), 0);
		CHECK_EQ(hs_client_hello_parse12(&ch), DECODE_ERROR);
		CHECK_EQ(parse_exts(EXT(0xff, 0x01, 0, 2, 5, 1), &ch), 0);
		CHECK_EQ(hs_client_hello_parse12(&ch), DECODE_ERROR);
		CHECK_EQ(parse_exts(EXT(0xff, 0x01, 0, 1, 0), &ch), 0);
		CHECK_EQ(hs_client_hello_parse12(&ch), 0);
		CHECK(ch.has_reneg_info && ch.reneg_info.len == 0);
		CHECK_EQ(parse_exts(EXT(0, 23, 0, 2, 0xab, 0xcd), &ch), 0);
		CHECK_EQ(hs_client_hello_parse12(&ch), DECODE_ERROR);
		CHECK_EQ(parse_exts(EXT(0, 23, 0, 0), &ch), 0);
		CHECK_EQ(hs_client_hello_parse12(&ch), 0);
		CHECK(ch.has_ems);
	}
	/*
	 * RFC 8446 4.1.2: the hello after HelloRetryRequest repeats the first
	 * but for key_share, early_data, cookie, pre_shared_key and padding.
	 */
	{
		static const uint8_t first[] = {
			0, 10, 0, 4, 0, 2, 0, 0x1d,             /* supported_groups */
			0, 51, 0, 2, 0, 0,                      /* key_share, empty */
			0, 42, 0, 0,                            /* early_data */
			0, 21, 0, 3, 0, 0, 0,                   /* padding */
			0x5a, 0x5a, 0, 1, 7,                    /* unknown */
		};
		static const uint8_t second[] = {
			0, 10, 0, 4, 0, 2, 0, 0x1d,
			0, 51, 0, 38, 0, 36, 0, 0x1d, 0, 32, 9, 9, 9, 9, 9, 9, 9, 9,
			9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
			0, 44, 0, 4, 0, 2, 1, 2,                /* cookie */
			0x5a, 0x5a, 0, 1, 7,
			0, 21, 0, 0,
		};
		static const uint8_t reordered[] = {
			0x5a, 0x5a, 0, 1, 7,
			0, 10, 0, 4, 0, 2, 0, 0x1d,
		};
		static const uint8_t changed[] = {
			0, 10, 0, 4, 0, 2, 0, 0x17,
			0x5a, 0x5a, 0, 1, 7,
		};
		static uint8_t b[256];
		uint8_t d1[HS_CH_RETRY_DIGEST_LEN], d2[HS_CH_RETRY_DIGEST_LEN];
		size_t n;

		n = build_hello(b, sizeof(b), first, sizeof(first));
		CHECK_EQ(hs_client_hello_parse(b, n, &ch), 0);
		CHECK_EQ(hs_client_hello_retry_digest(b, n, d1), 0);
		n = build_hello(b, sizeof(b), second, sizeof(second));
		CHECK_EQ(hs_client_hello_parse(b, n, &ch), 0);
		CHECK_EQ(hs_client_hello_retry_digest(b, n, d2), 0);
		CHECK(memcmp(d1, d2, sizeof(d1)) == 0);
		n = build_hello(b, sizeof(b), reordered, sizeof(reordered));
		CHECK_EQ(hs_client_hello_retry_digest(b, n, d2), 0);
		CHECK(memcmp(d1, d2, sizeof(d1)) != 0);
		n = build_hello(b, sizeof(b), changed, sizeof(changed));
		CHECK_EQ(hs_client_hello_retry_digest(b, n, d2), 0);
		CHECK(memcmp(d1, d2, sizeof(d1)) != 0);
		/* The fixed part counts too: another random. */
		n = build_hello(b, sizeof(b), first, sizeof(first));
		b[5] ^= 1;
		CHECK_EQ(hs_client_hello_retry_digest(b, n, d2), 0);
		CHECK(memcmp(d1, d2, sizeof(d1)) != 0);
	}
	/*
	 * RFC 8446 4.2: unknown extensions are ignored however many there are
	 * (tlsfuzzer sends thousands); only a duplicate is an error, found
	 * first in the small set and then past it, in the map.
	 */
	{
		enum { N = 16383 };     /* as many empty ones as 2^16-1 bytes hold */
		static uint8_t exts[4 * N];

		for (int i = 0; i < N; i++) {
			exts[4 * i] = (uint8_t)((0x4000 + i) >> 8);
			exts[4 * i + 1] = (uint8_t)(0x4000 + i);
		}
		CHECK_EQ(parse_exts(exts, sizeof(exts), &ch), 0);
		CHECK_EQ(ch.ext_count, N);
		/* A duplicate among the first few, and one far past them. */
		exts[4 * 5 + 1] = exts[4 * 2 + 1];
		CHECK_EQ(parse_exts(exts, sizeof(exts), &ch), ILLEGAL_PARAMETER);
		exts[4 * 5 + 1] = (uint8_t)(0x4000 + 5);
		exts[4 * 9000] = exts[4 * 100];
		exts[4 * 9000 + 1] = exts[4 * 100 + 1];
		CHECK_EQ(parse_exts(exts, sizeof(exts), &ch), ILLEGAL_PARAMETER);
		/* The last one repeating the very first. */
		exts[4 * 9000] = (uint8_t)((0x4000 + 9000) >> 8);
		exts[4 * 9000 + 1] = (uint8_t)(0x4000 + 9000);
		exts[4 * (N - 1)] = exts[0];
		exts[4 * (N - 1) + 1] = exts[1];
		CHECK_EQ(parse_exts(exts, sizeof(exts), &ch), ILLEGAL_PARAMETER);
	}
	/* Unknown extensions with random payloads are skipped unread. */
	{
		static uint8_t exts[60000];
		size_t off = 0;
		unsigned seed = 7;

		for (uint16_t t = 0x5000; off + 4 + 200 < sizeof(exts); t++) {
			uint16_t len = (uint16_t)(rand_r(&seed) % 200);

			exts[off] = (uint8_t)(t >> 8);
			exts[off + 1] = (uint8_t)t;
			exts[off + 2] = (uint8_t)(len >> 8);
			exts[off + 3] = (uint8_t)len;
			for (uint16_t k = 0; k < len; k++)
				exts[off + 4 + k] = (uint8_t)rand_r(&seed);
			off += 4u + len;
		}
		CHECK_EQ(parse_exts(exts, off, &ch), 0);
		CHECK(ch.ext_count > 500);
	}
	/*
	 * RFC 8446 4.2.8: key shares of groups hso does not implement, any
	 * number and any length, are framing-checked and skipped; two shares
	 * for one group are illegal_parameter, also past the small set.
	 */
	{
		static uint8_t ext[4 + 2 + 300 * 68];
		size_t off = 6;
		size_t n_shares = 0;

		for (uint16_t g = 0x0100; g < 0x0100 + 300; g++) {
			ext[off] = (uint8_t)(g >> 8);
			ext[off + 1] = (uint8_t)g;
			ext[off + 2] = 0;
			ext[off + 3] = 64;
			memset(ext + off + 4, 0xab, 64);
			off += 68;
			n_shares++;
		}
		ext[0] = 0;
		ext[1] = HS_EXT_KEY_SHARE;
		ext[2] = (uint8_t)((off - 4) >> 8);
		ext[3] = (uint8_t)(off - 4);
		ext[4] = (uint8_t)((off - 6) >> 8);
		ext[5] = (uint8_t)(off - 6);
		CHECK_EQ(parse_exts(ext, off, &ch), 0);
		CHECK(ch.has_key_share && ch.key_shares.len == off - 6);
		{
			size_t o = 0, seen = 0;
			uint16_t g;
			struct hs_view k;

			while (hs_key_share_next(ch.key_shares, &o, &g, &k))
				seen++;
			CHECK_EQ(seen, n_shares);
		}
		ext[6 + 68 * 250 + 1] = ext[6 + 68 * 200 + 1];     /* group 0x01c8 twice */
		CHECK_EQ(parse_exts(ext, off, &ch), ILLEGAL_PARAMETER);
		ext[6 + 68 * 250 + 1] = (uint8_t)(0x0100 + 250);
		ext[6 + 68 * 3 + 1] = ext[6 + 68 * 1 + 1];
		CHECK_EQ(parse_exts(ext, off, &ch), ILLEGAL_PARAMETER);
	}
}

int
main(void)
{
	test_real_clients();
	test_rules();
	return check_result("client_hello");
}
