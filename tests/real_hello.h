/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_TESTS_REAL_HELLO_H
#define HSO_TESTS_REAL_HELLO_H

/*
 * ClientHellos written by real client libraries (OpenSSL libssl, GnuTLS)
 * through memory transports, for tests of the server's decoding and
 * negotiation. Each returns the whole handshake message (4-byte header +
 * body) in @p out, or 0 when the library produced none.
 */

#include <stddef.h>
#include <stdint.h>

/* OpenSSL client settings; NULL / 0 leaves the library default. */
struct real_hello_ossl {
	int max_version;        /* TLS1_2_VERSION, TLS1_3_VERSION */
	int min_version;
	const char *ciphers13;  /* SSL_set_ciphersuites */
	const char *ciphers12;  /* SSL_set_cipher_list */
	const char *groups;     /* SSL_set1_groups_list */
	const char *sigalgs;    /* SSL_set1_sigalgs_list */
	const char *sni;
	const unsigned char *alpn;   /* wire form */
	unsigned alpn_len;
	int fallback_scsv;      /* SSL_MODE_SEND_FALLBACK_SCSV */
};

size_t real_hello_openssl(const struct real_hello_ossl *o, uint8_t *out, size_t cap);
size_t real_hello_gnutls(const char *priority, const char *sni, uint8_t *out, size_t cap);

#endif
