/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_TESTS_TEST_OCSP_UTIL_H
#define HSO_TESTS_TEST_OCSP_UTIL_H

/*
 * A test CA, leaves it issues and OCSP responses about them, made with
 * OpenSSL's own OCSP API (OCSP_basic_add1_status, OCSP_basic_sign,
 * OCSP_response_create), as a responder would: for tests/test_ocsp.c and
 * tests/test_certs_openssl.c. Header-only; everything static.
 */

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "test_asym_keys.h"

/* A leaf for @p key issued by @p ca, with extra extensions in @p ext (conf syntax). */
static inline X509 *
to_leaf(EVP_PKEY *key, const char *cn, const char *san, X509 *ca, EVP_PKEY *ca_key,
	const char *eku)
{
	X509 *x = tk_cert(key, cn, san, ca, ca_key, 0);

	if (eku != NULL) {
		X509V3_CTX v3;
		X509_EXTENSION *e;

		X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
		e = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, eku);
		if (e == NULL)
			abort();
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		if (X509_sign(x, ca_key, EVP_sha256()) <= 0)
			abort();
	}
	return x;
}

/* Write @p leaf then @p ca (when not NULL) as a chain file, the key beside it. */
static inline char *
to_chain(const char *dir, const char *tag, X509 *leaf, X509 *ca, EVP_PKEY *key,
	 char **key_path)
{
	X509 *c[2] = { leaf, ca };
	char cn[80], kn[80];

	snprintf(cn, sizeof(cn), "%s.crt", tag);
	snprintf(kn, sizeof(kn), "%s.key", tag);
	*key_path = tk_write(dir, kn, NULL, 0, key);
	return tk_write(dir, cn, c, ca != NULL ? 2 : 1, NULL);
}

/* What an OCSP response says and how it is made. */
struct to_resp {
	X509 *leaf, *issuer;            /* the CertID's subject and issuer */
	X509 *signer;                   /* signs the response */
	EVP_PKEY *signer_key;
	const EVP_MD *id_md;            /* CertID hash; NULL: SHA-1 */
	int status;                     /* V_OCSP_CERTSTATUS_*; 0 is good */
	int64_t this_update;            /* seconds since the epoch */
	int64_t next_update;            /* 0: none */
	int resp_status;                /* OCSP_RESPONSE_STATUS_*; 0 is successful */
};

/* DER of the OCSPResponse (OPENSSL_free it); *len its length. */
static inline unsigned char *
to_ocsp(const struct to_resp *r, size_t *len)
{
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *resp;
	unsigned char *der = NULL;
	int n;

	if (r->resp_status == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		OCSP_CERTID *id = OCSP_cert_to_id(r->id_md, r->leaf, r->issuer);
		ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)r->this_update);
		ASN1_TIME *nu = r->next_update ? ASN1_TIME_set(NULL, (time_t)r->next_update)
					       : NULL;
		ASN1_TIME *rev = ASN1_TIME_set(NULL, (time_t)r->this_update - 60);

		bs = OCSP_BASICRESP_new();
		if (id == NULL || tu == NULL || rev == NULL || bs == NULL ||
		    OCSP_basic_add1_status(bs, id, r->status, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
					   r->status == V_OCSP_CERTSTATUS_REVOKED ? rev : NULL,
					   tu, nu) == NULL ||
		    !OCSP_basic_sign(bs, r->signer, r->signer_key, EVP_sha256(), NULL, 0))
			abort();
		OCSP_CERTID_free(id);
		ASN1_TIME_free(tu);
		ASN1_TIME_free(nu);
		ASN1_TIME_free(rev);
	}
	resp = OCSP_response_create(r->resp_status, bs);
	if (resp == NULL)
		abort();
	n = i2d_OCSP_RESPONSE(resp, &der);
	if (n <= 0)
		abort();
	*len = (size_t)n;
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	return der;
}

/* Write @p len bytes to @p dir/@p name; returns the path (free it). */
static inline char *
to_write_bytes(const char *dir, const char *name, const void *p, size_t len)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, len, f) != len)
		abort();
	fclose(f);
	return path;
}

/*
 * Check a stapled response as a client would, with OpenSSL: it decodes,
 * is signed by @p ca's key (trusted) and says @p leaf (issued by @p ca) is good.
 */
static inline int
to_ocsp_client_ok(const unsigned char *der, long len, X509 *leaf, X509 *ca)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, len);
	OCSP_BASICRESP *bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
	X509_STORE *st = X509_STORE_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, leaf, ca);
	int status = -1, reason;
	ASN1_GENERALIZEDTIME *tu = NULL, *nu = NULL;
	int ok = 0;

	if (bs != NULL && st != NULL && id != NULL && X509_STORE_add_cert(st, ca) &&
	    OCSP_basic_verify(bs, NULL, st, 0) > 0 &&
	    OCSP_resp_find_status(bs, id, &status, &reason, NULL, &tu, &nu) &&
	    status == V_OCSP_CERTSTATUS_GOOD && OCSP_check_validity(tu, nu, 300, -1))
		ok = 1;
	OCSP_CERTID_free(id);
	X509_STORE_free(st);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return ok;
}

#endif
