/* SPDX-License-Identifier: BSD-3-Clause */
/* Write a seed corpus of real ClientHello records (OpenSSL and GnuTLS). */
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>

#include "real_hello.h"

static int
put(const char *dir, const char *name, const uint8_t *msg, size_t len, uint8_t mode)
{
	char path[4096];
	FILE *f;
	uint8_t hdr[6] = { mode, 22, 3, 1, (uint8_t)(len >> 8), (uint8_t)len };

	if (len == 0)
		return 1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return 1;
	fwrite(hdr, 1, sizeof(hdr), f);
	fwrite(msg, 1, len, f);
	return fclose(f) != 0;
}

int
main(int argc, char **argv)
{
	static uint8_t m[65536];
	static const unsigned char alpn[] = "\x02h2\x08http/1.1";
	int bad = 0;

	if (argc != 2)
		return 2;
	bad |= put(argv[1], "ossl13", m, real_hello_openssl(&(struct real_hello_ossl){
		.sni = "a.example", .alpn = alpn, .alpn_len = 12 }, m, sizeof(m)), 0);
	bad |= put(argv[1], "ossl12", m, real_hello_openssl(&(struct real_hello_ossl){
		.max_version = TLS1_2_VERSION, .sni = "b.example" }, m, sizeof(m)), 3);
	bad |= put(argv[1], "ossl_hrr", m, real_hello_openssl(&(struct real_hello_ossl){
		.groups = "P-384:X25519" }, m, sizeof(m)), 6);
	bad |= put(argv[1], "gnutls", m, real_hello_gnutls("NORMAL", "c.example", m, sizeof(m)), 0);
	bad |= put(argv[1], "gnutls12", m, real_hello_gnutls("NORMAL:-VERS-ALL:+VERS-TLS1.2",
							     NULL, m, sizeof(m)), 16);
	return bad;
}
