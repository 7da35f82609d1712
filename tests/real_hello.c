/* SPDX-License-Identifier: BSD-3-Clause */
/* ClientHellos from real client libraries; see real_hello.h. */
#include "real_hello.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>
#include <openssl/ssl.h>

#include "codec.h"
#include "record.h"

static uint8_t wire[16384 * 2];
static size_t wire_len;

/* The first handshake message in the records of wire[]. */
static size_t
first_message(uint8_t *out, size_t cap)
{
	static uint8_t gather[65536];
	struct hs_msg_asm a;
	struct hs_record rec;
	struct hs_reader rr;
	struct hs_msg m;
	size_t off = 0;
	int n;

	hs_msg_asm_init(&a, gather, sizeof(gather));
	while ((n = hs_record_parse(wire + off, wire_len - off,
				    HS_RECORD_PLAINTEXT_MAX, &rec)) > 0) {
		off += (size_t)n;
		if (rec.type != HS_CT_HANDSHAKE)
			continue;
		hs_reader_init(&rr, rec.frag, rec.len);
		if (hs_msg_next(&a, &rr, &m) == 1 &&
		    m.len + HS_MSG_HEADER_LEN <= cap) {
			memcpy(out, m.raw, m.len + HS_MSG_HEADER_LEN);
			return m.len + HS_MSG_HEADER_LEN;
		}
	}
	return 0;
}

size_t
real_hello_openssl(const struct real_hello_ossl *o, uint8_t *out, size_t cap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	int n, ok = 1;

	if (o->max_version)
		ok &= SSL_CTX_set_max_proto_version(ctx, o->max_version);
	if (o->min_version)
		ok &= SSL_CTX_set_min_proto_version(ctx, o->min_version);
	if (o->ciphers13)
		ok &= SSL_CTX_set_ciphersuites(ctx, o->ciphers13);
	if (o->ciphers12)
		ok &= SSL_CTX_set_cipher_list(ctx, o->ciphers12);
	if (o->groups)
		ok &= SSL_CTX_set1_groups_list(ctx, o->groups);
	if (o->sigalgs)
		ok &= SSL_CTX_set1_sigalgs_list(ctx, o->sigalgs);
	if (o->fallback_scsv)
		SSL_CTX_set_mode(ctx, SSL_MODE_SEND_FALLBACK_SCSV);
	ssl = SSL_new(ctx);
	SSL_set_bio(ssl, rb, wb);
	if (o->sni)
		SSL_set_tlsext_host_name(ssl, o->sni);
	if (o->alpn)
		SSL_set_alpn_protos(ssl, o->alpn, o->alpn_len);
	SSL_set_connect_state(ssl);
	SSL_do_handshake(ssl);
	n = BIO_read(wb, wire, sizeof(wire));
	wire_len = n > 0 ? (size_t)n : 0;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (!ok) {
		fprintf(stderr, "real_hello_openssl: a client setting was refused\n");
		return 0;
	}
	return first_message(out, cap);
}

static ssize_t
push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	(void)p;
	if (len > sizeof(wire) - wire_len)
		len = sizeof(wire) - wire_len;
	memcpy(wire + wire_len, buf, len);
	wire_len += len;
	return (ssize_t)len;
}

static ssize_t
pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	(void)buf;
	(void)len;
	gnutls_transport_set_errno((gnutls_session_t)p, EAGAIN);
	return -1;
}

size_t
real_hello_gnutls(const char *priority, const char *sni, uint8_t *out, size_t cap)
{
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t protos[2] = {
		{ (unsigned char *)"h2", 2 },
		{ (unsigned char *)"http/1.1", 8 },
	};
	int rc;

	wire_len = 0;
	gnutls_certificate_allocate_credentials(&cred);
	gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	rc = gnutls_priority_set_direct(s, priority, NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	if (sni)
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, sni, strlen(sni));
	gnutls_alpn_set_protocols(s, protos, 2, 0);
	gnutls_transport_set_ptr(s, s);
	gnutls_transport_set_push_function(s, push);
	gnutls_transport_set_pull_function(s, pull);
	if (rc == 0)
		rc = gnutls_handshake(s) == GNUTLS_E_AGAIN ? 0 : -1;
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	if (rc != 0) {
		fprintf(stderr, "real_hello_gnutls: priority '%s' failed\n", priority);
		return 0;
	}
	return first_message(out, cap);
}
