/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_TESTS_TEST_ASYM_KEYS_H
#define HSO_TESTS_TEST_ASYM_KEYS_H

/*
 * Keys and self-made certificates for tests/test_asym.c and
 * bench/bench_asym.c, generated with OpenSSL APIs and written as PEM files
 * into a mkdtemp() directory. Header-only; everything static.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* "RSA" with bits, "EC" with a curve name, or a name such as "ED25519". */
static inline EVP_PKEY *
tk_keygen(const char *type, const char *curve, size_t bits)
{
	if (strcmp(type, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	if (strcmp(type, "EC") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	return EVP_PKEY_Q_keygen(NULL, NULL, type);
}

/*
 * A certificate for @p key with subject CN @p cn and, when @p san is not
 * NULL, a subjectAltName in OpenSSL config syntax ("DNS:a,DNS:b"). Signed
 * by @p issuer_key under @p issuer's name (self-signed when NULL).
 */
static inline X509 *
tk_cert(EVP_PKEY *key, const char *cn, const char *san, X509 *issuer,
	EVP_PKEY *issuer_key, int ca)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	EVP_PKEY *signer = issuer_key != NULL ? issuer_key : key;
	const EVP_MD *md = EVP_PKEY_is_a(signer, "ED25519") ? NULL : EVP_sha256();

	if (x == NULL || name == NULL)
		abort();
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name);
	X509_NAME_free(name);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		if (ext == NULL)
			abort();
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				  ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (X509_sign(x, signer, md) <= 0)
		abort();
	return x;
}

/* Write certs then (if @p key) the key, PKCS#8, to @p dir/@p name. */
static inline char *
tk_write(const char *dir, const char *name, X509 **certs, int n, EVP_PKEY *key)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	for (int i = 0; i < n; i++)
		PEM_write_X509(f, certs[i]);
	if (key != NULL)
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	return path;
}

/* Write raw text, e.g. garbage. */
static inline char *
tk_write_text(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	return path;
}

/* A self-signed cert and its key, as two files; returns the cert path. */
static inline char *
tk_pair(const char *dir, const char *tag, EVP_PKEY *key, const char *san,
	char **key_path)
{
	char cn[64], kn[80], cnf[80];
	X509 *x;
	char *cp;

	snprintf(cn, sizeof(cn), "%s.test", tag);
	snprintf(cnf, sizeof(cnf), "%s.crt", tag);
	snprintf(kn, sizeof(kn), "%s.key", tag);
	x = tk_cert(key, cn, san, NULL, NULL, 0);
	cp = tk_write(dir, cnf, &x, 1, NULL);
	*key_path = tk_write(dir, kn, NULL, 0, key);
	X509_free(x);
	return cp;
}

static inline int
tk_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove a temp dir and everything in it. */
static inline void
tk_rmdir(const char *dir)
{
	if (nftw(dir, tk_rm_one, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

#endif
