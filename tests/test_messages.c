/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * handshake/ message writers, judged by a real OpenSSL client: our
 * plaintext flights must make it continue the handshake (send its
 * ClientKeyExchange, or a second ClientHello after our HelloRetryRequest),
 * and a TLS 1.2 ServerHello carrying the downgrade sentinel must make a
 * TLS 1.3-capable client abort. The encrypted messages are decoded back.
 */
#include <errno.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "check.h"
#include "client_hello.h"
#include "hs_err.h"
#include "messages.h"
#include "negotiate.h"
#include "record.h"

struct client {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rb, *wb;
	uint8_t out[32768];
	size_t out_len;
};

static void
client_start(struct client *c, int max_version, const char *ciphers12,
	     const char *groups)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_max_proto_version(c->ctx, max_version);
	if (ciphers12)
		SSL_CTX_set_cipher_list(c->ctx, ciphers12);
	if (groups)
		SSL_CTX_set1_groups_list(c->ctx, groups);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	c->ssl = SSL_new(c->ctx);
	c->rb = BIO_new(BIO_s_mem());
	c->wb = BIO_new(BIO_s_mem());
	SSL_set_bio(c->ssl, c->rb, c->wb);
	SSL_set_connect_state(c->ssl);
	SSL_do_handshake(c->ssl);
	c->out_len = (size_t)BIO_read(c->wb, c->out, sizeof(c->out));
}

/* Feed our records; returns SSL_get_error() and collects the client's reply. */
static int
client_feed(struct client *c, const uint8_t *p, size_t n)
{
	int rc, n_out;

	BIO_write(c->rb, p, (int)n);
	rc = SSL_do_handshake(c->ssl);
	n_out = BIO_read(c->wb, c->out, sizeof(c->out));
	c->out_len = n_out > 0 ? (size_t)n_out : 0;
	return SSL_get_error(c->ssl, rc);
}

static void
client_free(struct client *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
}

/* The first handshake message of type @p type in c->out, or NULL. */
static const uint8_t *
find_msg(struct client *c, uint8_t type, size_t *len)
{
	struct hs_record rec;
	size_t off = 0;
	int n;

	while ((n = hs_record_parse(c->out + off, c->out_len - off, 20000, &rec)) > 0) {
		off += (size_t)n;
		if (rec.type == HS_CT_HANDSHAKE && rec.len >= 4 && rec.frag[0] == type) {
			*len = rec.len;
			return rec.frag;
		}
	}
	return NULL;
}

/* The alert description the client sent, or -1. */
static int
sent_alert(struct client *c)
{
	struct hs_record rec;
	size_t off = 0;
	int n;

	while ((n = hs_record_parse(c->out + off, c->out_len - off, 20000, &rec)) > 0) {
		off += (size_t)n;
		if (rec.type == HS_CT_ALERT && rec.len == 2)
			return rec.frag[1];
	}
	return -1;
}

static int
parse_hello(struct client *c, struct hs_client_hello *ch)
{
	size_t len;
	const uint8_t *m = find_msg(c, HS_MT_CLIENT_HELLO, &len);
	int rc = m ? hs_client_hello_parse(m + 4, len - 4, ch) : -1;

	/* What TLS 1.2 decodes once chosen (ec_point_formats, EMS, reneg_info). */
	return rc != 0 ? rc : hs_client_hello_parse12(ch);
}

/* Wrap handshake messages in one plaintext record. */
static size_t
wrap(uint8_t *rec, const uint8_t *msgs, size_t len)
{
	struct hs_writer w;

	hs_writer_init(&w, rec, len + 5);
	hs_record_header_write(&w, HS_CT_HANDSHAKE, 0x0303, len);
	hs_write_bytes(&w, msgs, len);
	return w.off;
}

static X509 *
self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"hso.test", -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	X509_sign(x, key, EVP_sha256());
	X509_NAME_free(name);
	return x;
}

static uint8_t flight[32768], rec[32768];

static void
test_tls12_rsa_kx(void)
{
	struct client c;
	struct hs_client_hello ch;
	struct hs_nego_policy p;
	struct hs_writer w;
	uint8_t random[32], *der = NULL, client_random[32];
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *cert = self_signed(key);
	int der_len = i2d_X509(cert, &der);
	const uint8_t *ders[1] = { der };
	size_t lens[1] = { (size_t)der_len }, len;
	struct hs_cert_chain chain = { .der = ders, .len = lens, .n = 1 };
	uint16_t version, suite;
	const uint8_t *cke;
	struct hs_view epms;

	hs_nego_policy_default(&p);
	client_start(&c, TLS1_2_VERSION, "AES128-GCM-SHA256", NULL);
	CHECK_EQ(parse_hello(&c, &ch), 0);
	memcpy(client_random, ch.random, 32);
	CHECK_EQ(hs_nego_version(&ch, &p, &version), 0);
	CHECK_EQ(hs_nego_suite(&ch, &p, version, HS_CERT_RSA, &suite), 0);
	CHECK_EQ(suite, HS_TLS_RSA_WITH_AES_128_GCM_SHA256);

	RAND_bytes(random, sizeof(random));
	hs_writer_init(&w, flight, sizeof(flight));
	CHECK_EQ(hs_server_hello_write(&w, &(struct hs_server_hello){
		.version = HS_TLS12, .random = random, .downgrade_sentinel = true,
		.session_id = { random, 32 }, .suite = suite,
		.reneg_info = ch.has_reneg_info ||
			      hs_view_has_u16(ch.cipher_suites, HS_TLS_EMPTY_RENEGOTIATION_INFO_SCSV),
		.ems = ch.has_ems }), 0);
	CHECK_EQ(hs_certificate12_write(&w, &chain), 0);
	CHECK_EQ(hs_server_hello_done_write(&w), 0);
	CHECK(!w.err);

	/* The client takes the flight and answers with CKE, CCS, Finished. */
	CHECK_EQ(client_feed(&c, rec, wrap(rec, flight, w.off)), SSL_ERROR_WANT_READ);
	CHECK_EQ(sent_alert(&c), -1);
	cke = find_msg(&c, HS_MT_CLIENT_KEY_EXCHANGE, &len);
	CHECK(cke != NULL);
	if (cke != NULL) {
		uint8_t pms[256];
		size_t pms_len = sizeof(pms);
		EVP_PKEY_CTX *dctx = EVP_PKEY_CTX_new(key, NULL);

		CHECK_EQ(hs_client_key_exchange_parse(cke + 4, len - 4, true, &epms), 0);
		CHECK_EQ(epms.len, 256);
		/* Decrypt it the plain way: the client used our certificate's key. */
		EVP_PKEY_decrypt_init(dctx);
		EVP_PKEY_CTX_set_rsa_padding(dctx, RSA_PKCS1_PADDING);
		CHECK_EQ(EVP_PKEY_decrypt(dctx, pms, &pms_len, epms.p, epms.len), 1);
		CHECK_EQ(pms_len, 48);
		CHECK(pms[0] == 3 && pms[1] == 3);
		EVP_PKEY_CTX_free(dctx);
		/* Truncated and padded CKE bodies are refused. */
		CHECK_EQ(hs_client_key_exchange_parse(cke + 4, len - 5, true, &epms),
			 HS_ERR_ALERT(HS_ALERT_DECODE_ERROR));
	}
	client_free(&c);
	OPENSSL_free(der);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void
test_tls12_ecdhe_ecdsa(void)
{
	struct client c;
	struct hs_client_hello ch;
	struct hs_nego_policy p;
	struct hs_writer w;
	uint8_t random[32], *der = NULL, pub[32], params[64], tbs[128], sig[128];
	EVP_PKEY *key = EVP_EC_gen("P-256");
	EVP_PKEY *eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	X509 *cert = self_signed(key);
	int der_len = i2d_X509(cert, &der);
	const uint8_t *ders[1] = { der };
	size_t lens[1] = { (size_t)der_len }, len, pub_len = sizeof(pub), params_len,
	       sig_len = sizeof(sig);
	struct hs_cert_chain chain = { .der = ders, .len = lens, .n = 1 };
	uint16_t version, suite, group, scheme;
	bool hrr;
	struct hs_view none, point;
	const uint8_t *cke;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	hs_nego_policy_default(&p);
	client_start(&c, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", NULL);
	CHECK_EQ(parse_hello(&c, &ch), 0);
	CHECK_EQ(hs_nego_version(&ch, &p, &version), 0);
	CHECK_EQ(hs_nego_suite(&ch, &p, version, HS_CERT_ECDSA_P256, &suite), 0);
	CHECK_EQ(suite, HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
	CHECK_EQ(hs_nego_group(&ch, &p, version, &group, &hrr, &none), 0);
	CHECK_EQ(group, HS_GROUP_X25519);
	CHECK_EQ(hs_nego_sigalg(&ch, &p, version, HS_CERT_ECDSA_P256, &scheme), 0);
	CHECK_EQ(scheme, HS_SIG_ECDSA_SECP256R1_SHA256);

	RAND_bytes(random, sizeof(random));
	EVP_PKEY_get_raw_public_key(eph, pub, &pub_len);
	params_len = hs_ecdh_params_write(params, sizeof(params), group, pub, pub_len);
	CHECK_EQ(params_len, HS_ECDH_PARAMS_LEN(32));
	/* Signed: client_random + server_random + ServerECDHParams. */
	memcpy(tbs, ch.random, 32);
	memcpy(tbs + 32, random, 32);
	memcpy(tbs + 64, params, params_len);
	EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key);
	CHECK_EQ(EVP_DigestSign(md, sig, &sig_len, tbs, 64 + params_len), 1);

	hs_writer_init(&w, flight, sizeof(flight));
	CHECK_EQ(hs_server_hello_write(&w, &(struct hs_server_hello){
		.version = HS_TLS12, .random = random, .session_id = { NULL, 0 },
		.suite = suite, .reneg_info = true, .ems = ch.has_ems,
		.ec_point_formats = ch.has_ec_point_formats }), 0);
	CHECK_EQ(hs_certificate12_write(&w, &chain), 0);
	CHECK_EQ(hs_server_key_exchange_write(&w, params, params_len, scheme, sig, sig_len), 0);
	CHECK_EQ(hs_server_hello_done_write(&w), 0);

	CHECK_EQ(client_feed(&c, rec, wrap(rec, flight, w.off)), SSL_ERROR_WANT_READ);
	CHECK_EQ(sent_alert(&c), -1);
	cke = find_msg(&c, HS_MT_CLIENT_KEY_EXCHANGE, &len);
	CHECK(cke != NULL);
	if (cke != NULL) {
		CHECK_EQ(hs_client_key_exchange_parse(cke + 4, len - 4, false, &point), 0);
		CHECK_EQ(point.len, 32);
	}
	client_free(&c);

	/* A bad signature must make the same client abort with decrypt_error. */
	client_start(&c, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", NULL);
	CHECK_EQ(parse_hello(&c, &ch), 0);
	hs_writer_init(&w, flight, sizeof(flight));
	hs_server_hello_write(&w, &(struct hs_server_hello){
		.version = HS_TLS12, .random = random, .suite = suite, .reneg_info = true });
	hs_certificate12_write(&w, &chain);
	hs_server_key_exchange_write(&w, params, params_len, scheme, sig, sig_len);
	hs_server_hello_done_write(&w);
	CHECK_EQ(client_feed(&c, rec, wrap(rec, flight, w.off)), SSL_ERROR_SSL);
	CHECK_EQ(sent_alert(&c), HS_ALERT_DECRYPT_ERROR);
	client_free(&c);

	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	X509_free(cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(eph);
}

static void
test_downgrade_sentinel(void)
{
	struct client c;
	struct hs_client_hello ch;
	struct hs_writer w;
	uint8_t random[32];

	RAND_bytes(random, sizeof(random));
	for (int sentinel = 0; sentinel <= 1; sentinel++) {
		client_start(&c, TLS1_3_VERSION, NULL, NULL);
		CHECK_EQ(parse_hello(&c, &ch), 0);
		hs_writer_init(&w, flight, sizeof(flight));
		CHECK_EQ(hs_server_hello_write(&w, &(struct hs_server_hello){
			.version = HS_TLS12, .random = random,
			.downgrade_sentinel = sentinel,
			.suite = HS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			.reneg_info = true }), 0);
		client_feed(&c, rec, wrap(rec, flight, w.off));
		/* RFC 8446 4.1.3: clients that see it MUST abort with illegal_parameter. */
		if (sentinel)
			CHECK_EQ(sent_alert(&c), HS_ALERT_ILLEGAL_PARAMETER);
		else
			CHECK_EQ(sent_alert(&c), -1);
		client_free(&c);
	}
}

static void
test_tls13_server_hello_and_hrr(void)
{
	struct client c;
	struct hs_client_hello ch;
	struct hs_nego_policy p;
	struct hs_writer w;
	uint8_t random[32], pub[32];
	size_t pub_len = sizeof(pub);
	EVP_PKEY *eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	uint16_t group;
	bool hrr;
	struct hs_view key;

	hs_nego_policy_default(&p);
	RAND_bytes(random, sizeof(random));
	EVP_PKEY_get_raw_public_key(eph, pub, &pub_len);

	/* A plain ServerHello: the client derives keys and waits for more. */
	client_start(&c, TLS1_3_VERSION, NULL, NULL);
	CHECK_EQ(parse_hello(&c, &ch), 0);
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &group, &hrr, &key), 0);
	CHECK(!hrr && group == HS_GROUP_X25519);
	hs_writer_init(&w, flight, sizeof(flight));
	CHECK_EQ(hs_server_hello_write(&w, &(struct hs_server_hello){
		.version = HS_TLS13, .random = random, .session_id = ch.session_id,
		.suite = HS_TLS_AES_128_GCM_SHA256, .group = group,
		.key_share = { pub, (uint16_t)pub_len } }), 0);
	CHECK_EQ(client_feed(&c, rec, wrap(rec, flight, w.off)), SSL_ERROR_WANT_READ);
	CHECK_EQ(sent_alert(&c), -1);
	client_free(&c);

	/* A key share for a group the client never offered: illegal_parameter. */
	client_start(&c, TLS1_3_VERSION, NULL, "X25519");
	CHECK_EQ(parse_hello(&c, &ch), 0);
	hs_writer_init(&w, flight, sizeof(flight));
	hs_server_hello_write(&w, &(struct hs_server_hello){
		.version = HS_TLS13, .random = random, .session_id = ch.session_id,
		.suite = HS_TLS_AES_128_GCM_SHA256, .group = HS_GROUP_SECP256R1,
		.key_share = { pub, (uint16_t)pub_len } });
	client_feed(&c, rec, wrap(rec, flight, w.off));
	CHECK_EQ(sent_alert(&c), HS_ALERT_ILLEGAL_PARAMETER);
	client_free(&c);

	/* HelloRetryRequest: the client comes back with the group we asked for. */
	client_start(&c, TLS1_3_VERSION, NULL, "P-384:X25519");
	CHECK_EQ(parse_hello(&c, &ch), 0);
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &group, &hrr, &key), 0);
	CHECK(hrr && group == HS_GROUP_X25519);
	hs_writer_init(&w, flight, sizeof(flight));
	CHECK_EQ(hs_hello_retry_request_write(&w, ch.session_id, HS_TLS_AES_128_GCM_SHA256,
					      group, (struct hs_view){ NULL, 0 }), 0);
	CHECK_EQ(client_feed(&c, rec, wrap(rec, flight, w.off)), SSL_ERROR_WANT_READ);
	CHECK_EQ(sent_alert(&c), -1);
	CHECK_EQ(parse_hello(&c, &ch), 0);
	CHECK_EQ(hs_nego_group(&ch, &p, HS_TLS13, &group, &hrr, &key), 0);
	CHECK(!hrr && group == HS_GROUP_X25519 && key.len == 32);
	client_free(&c);

	/* HRR with a cookie: echoed in the second ClientHello. */
	client_start(&c, TLS1_3_VERSION, NULL, "P-384:X25519");
	CHECK_EQ(parse_hello(&c, &ch), 0);
	hs_writer_init(&w, flight, sizeof(flight));
	CHECK_EQ(hs_hello_retry_request_write(&w, ch.session_id, HS_TLS_AES_128_GCM_SHA256,
					      HS_GROUP_X25519,
					      (struct hs_view){ (const uint8_t *)"cookie!", 7 }), 0);
	CHECK_EQ(client_feed(&c, rec, wrap(rec, flight, w.off)), SSL_ERROR_WANT_READ);
	CHECK_EQ(parse_hello(&c, &ch), 0);
	CHECK(ch.has_cookie && ch.cookie.len == 7 && memcmp(ch.cookie.p, "cookie!", 7) == 0);
	client_free(&c);

	EVP_PKEY_free(eph);
}

static void
test_encrypted_messages(void)
{
	struct hs_writer w;
	struct hs_reader r, v, e;
	static const uint8_t d1[3] = { 1, 2, 3 }, d2[2] = { 4, 5 };
	const uint8_t *ders[2] = { d1, d2 };
	size_t lens[2] = { 3, 2 };
	struct hs_cert_chain chain = { .der = ders, .len = lens, .n = 2 };
	uint8_t content[HS_CV_CONTENT_LEN(48)], hash[48];

	/* EncryptedExtensions with ALPN and the SNI acknowledgement. */
	hs_writer_init(&w, flight, sizeof(flight));
	CHECK_EQ(hs_encrypted_extensions_write(&w, (struct hs_view){ (const uint8_t *)"h2", 2 },
					       true), 0);
	{
		static const uint8_t want[] = { 8, 0, 0, 15, 0, 13, 0, 0, 0, 0,
						0, 16, 0, 5, 0, 3, 2, 'h', '2' };

		CHECK_EQ(w.off, sizeof(want));
		CHECK_MEM(flight, want, sizeof(want));
	}
	/* TLS 1.3 Certificate: context, list of (cert, extensions). */
	hs_writer_init(&w, flight, sizeof(flight));
	CHECK_EQ(hs_certificate13_write(&w, &chain), 0);
	hs_reader_init(&r, flight + 4, w.off - 4);
	CHECK_EQ(hs_read_u8(&r), 0);
	CHECK_EQ(hs_reader_block(&r, 3, 0, 0xffffff, &v), 0);
	CHECK_EQ(hs_reader_block(&v, 3, 1, 0xffffff, &e), 0);
	CHECK_EQ(e.len, 3);
	CHECK_EQ(hs_read_u16(&v), 0);
	CHECK_EQ(hs_reader_block(&v, 3, 1, 0xffffff, &e), 0);
	CHECK_EQ(e.len, 2);
	CHECK_EQ(hs_read_u16(&v), 0);
	CHECK(hs_reader_done(&v) && hs_reader_done(&r));
	CHECK_EQ(hs_certificate13_write(&w, &(struct hs_cert_chain){ .n = 0 }), -EINVAL);

	/* CertificateVerify content (RFC 8446 4.4.3). */
	memset(hash, 0xab, sizeof(hash));
	CHECK_EQ(hs_certificate_verify_content(content, hash, 48), sizeof(content));
	CHECK(content[0] == 0x20 && content[63] == 0x20);
	CHECK(memcmp(content + 64, "TLS 1.3, server CertificateVerify", 33) == 0);
	CHECK(content[97] == 0 && content[98] == 0xab);

	/* NewSessionTicket 1.3 and its lifetime cap. */
	hs_writer_init(&w, flight, sizeof(flight));
	CHECK_EQ(hs_new_session_ticket13_write(&w, 7200, 0x01020304,
					       (struct hs_view){ d2, 2 },
					       (struct hs_view){ d1, 3 }), 0);
	{
		static const uint8_t want[] = { 4, 0, 0, 18, 0, 0, 0x1c, 0x20, 1, 2, 3, 4,
						2, 4, 5, 0, 3, 1, 2, 3, 0, 0 };

		CHECK_EQ(w.off, sizeof(want));
		CHECK_MEM(flight, want, sizeof(want));
	}
	CHECK_EQ(hs_new_session_ticket13_write(&w, 604801, 0, (struct hs_view){ 0 },
					       (struct hs_view){ d1, 3 }), -EINVAL);
	/* Finished, and overflow of a small buffer. */
	hs_writer_init(&w, flight, 10);
	CHECK_EQ(hs_finished_write(&w, hash, 32), -ENOBUFS);
	hs_writer_init(&w, flight, 36);
	CHECK_EQ(hs_finished_write(&w, hash, 32), 0);
	CHECK_EQ(flight[3], 32);
}

/*
 * OCSP stapling (RFC 6066 8, RFC 8446 4.4.2.1): CertificateStatus as a
 * TLS 1.2 message and inside the TLS 1.3 leaf entry, written then parsed
 * back, the ServerHello's empty status_request, and malformed forms.
 */
static void
test_certificate_status(void)
{
	static const uint8_t resp[5] = { 0x30, 3, 0x0a, 1, 0 };
	static const uint8_t d1[3] = { 1, 2, 3 }, d2[2] = { 4, 5 };
	const uint8_t *ders[2] = { d1, d2 };
	size_t lens[2] = { 3, 2 };
	struct hs_cert_chain chain = { .der = ders, .len = lens, .n = 2,
				       .ocsp = resp, .ocsp_len = sizeof(resp) };
	struct hs_certificate_in ci;
	struct hs_server_hello_in shi;
	struct hs_writer w;
	const uint8_t *o;
	size_t ol;
	uint8_t bad[64];

	/* TLS 1.2 message: type 22, status_type 1, u24 length, the response. */
	hs_writer_init(&w, flight, sizeof(flight));
	CHECK_EQ(hs_certificate_status_write(&w, resp, sizeof(resp)), 0);
	{
		static const uint8_t want[] = { 22, 0, 0, 9, 1, 0, 0, 5,
						0x30, 3, 0x0a, 1, 0 };

		CHECK_EQ(w.off, sizeof(want));
		CHECK_MEM(flight, want, sizeof(want));
	}
	CHECK_EQ(hs_certificate_status_parse(flight + 4, w.off - 4, &o, &ol), 0);
	CHECK(ol == sizeof(resp) && memcmp(o, resp, ol) == 0);
	CHECK_EQ(hs_certificate_status_write(&w, resp, 0), -EINVAL);
	/* Another status_type, an empty response, trailing bytes, truncation. */
	memcpy(bad, flight + 4, 9);
	bad[0] = 2;
	CHECK_EQ(hs_certificate_status_parse(bad, 9, &o, &ol), HS_ERR_ALERT(HS_ALERT_DECODE_ERROR));
	CHECK_EQ(hs_certificate_status_parse((const uint8_t *)"\1\0\0\0", 4, &o, &ol),
		 HS_ERR_ALERT(HS_ALERT_DECODE_ERROR));
	memcpy(bad, flight + 4, 9);
	bad[9] = 0;
	CHECK_EQ(hs_certificate_status_parse(bad, 10, &o, &ol), HS_ERR_ALERT(HS_ALERT_DECODE_ERROR));
	CHECK_EQ(hs_certificate_status_parse(bad, 8, &o, &ol), HS_ERR_ALERT(HS_ALERT_DECODE_ERROR));

	/* TLS 1.3: the leaf's entry carries status_request, the other none. */
	hs_writer_init(&w, flight, sizeof(flight));
	CHECK_EQ(hs_certificate13_write(&w, &chain), 0);
	{
		static const uint8_t want[] = {
			11, 0, 0, 32, 0, 0, 0, 28,
			0, 0, 3, 1, 2, 3, 0, 13, 0, 5, 0, 9, 1, 0, 0, 5, 0x30, 3, 0x0a, 1, 0,
			0, 0, 2, 4, 5, 0, 0,
		};

		CHECK_EQ(w.off, sizeof(want));
		CHECK_MEM(flight, want, sizeof(want));
	}
	CHECK_EQ(hs_certificate_parse(flight + 4, w.off - 4, true, &ci), 0);
	CHECK(ci.n == 2 && ci.has_status && !ci.has_unknown);
	CHECK(ci.ocsp_len == sizeof(resp) && memcmp(ci.ocsp, resp, sizeof(resp)) == 0);
	/* The same extension twice in an entry: illegal_parameter (RFC 8446 4.2). */
	{
		static const uint8_t twice[] = {
			0, 0, 0, 32, 0, 0, 3, 1, 2, 3, 0, 24,
			0, 5, 0, 8, 1, 0, 0, 4, 0x30, 2, 5, 0,
			0, 5, 0, 8, 1, 0, 0, 4, 0x30, 2, 5, 0,
		};
		static const uint8_t sct[] = { 0, 0, 0, 14, 0, 0, 3, 1, 2, 3, 0, 6,
					       0, 18, 0, 2, 0, 0 };
		static const uint8_t short_status[] = { 0, 0, 0, 14, 0, 0, 3, 1, 2, 3, 0, 6,
							0, 5, 0, 2, 1, 0 };

		CHECK_EQ(hs_certificate_parse(twice, sizeof(twice), true, &ci),
			 HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER));
		/* Another extension: reported for the client to refuse. */
		CHECK_EQ(hs_certificate_parse(sct, sizeof(sct), true, &ci), 0);
		CHECK(ci.has_unknown && ci.unknown_ext == 18 && !ci.has_status);
		CHECK_EQ(hs_certificate_parse(short_status, sizeof(short_status), true, &ci),
			 HS_ERR_ALERT(HS_ALERT_DECODE_ERROR));
	}

	/* TLS 1.2 ServerHello: an empty status_request, decoded back. */
	{
		static const uint8_t random[32] = { 7 };

		hs_writer_init(&w, flight, sizeof(flight));
		CHECK_EQ(hs_server_hello_write(&w, &(struct hs_server_hello){
				.version = HS_TLS12, .random = random,
				.suite = HS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
				.status_request = true }), 0);
		/* ... extensions<6>: status_request (5), length 0. */
		CHECK_MEM(flight + w.off - 6, ((const uint8_t[]){ 0, 4, 0, 5, 0, 0 }), 6);
		CHECK_EQ(hs_server_hello_parse(flight + 4, w.off - 4, &shi), 0);
		CHECK(shi.has_status_request && !shi.has_unknown);
		/* RFC 6066 8: its extension_data is empty; anything else is malformed. */
		flight[w.off - 1] = 1;
		memcpy(bad, flight + 4, w.off - 4);
		bad[w.off - 4] = 0;
		bad[w.off - 4 - 7] = 7;     /* extensions block length 6 -> 7 */
		CHECK_EQ(hs_server_hello_parse(bad, w.off - 3, &shi),
			 HS_ERR_ALERT(HS_ALERT_DECODE_ERROR));
	}
}

int
main(void)
{
	test_tls12_rsa_kx();
	test_tls12_ecdhe_ecdsa();
	test_downgrade_sentinel();
	test_tls13_server_hello_and_hrr();
	test_encrypted_messages();
	test_certificate_status();
	return check_result("messages");
}
