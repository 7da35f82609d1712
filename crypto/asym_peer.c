/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client's asymmetric operations: the server's public key from its
 * certificate, signature verification (RSA-PSS, RSA PKCS#1 v1.5, ECDSA),
 * the RSA premaster encryption and X.509 chain verification. Contract:
 * crypto_asym.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "crypto.h"
#include "crypto_priv.h"

struct hso_ca_store {
	X509_STORE *store;
};

int
hso_peer_key_from_der(struct hso_peer_key *k, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;
	EVP_PKEY *pk;
	int rc = 0;

	memset(k, 0, sizeof(*k));
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != der + len) {
		X509_free(x);
		ERR_clear_error();
		return -EBADMSG;
	}
	pk = X509_get_pubkey(x);        /* a reference of our own */
	X509_free(x);
	if (pk == NULL) {
		ERR_clear_error();
		return -EBADMSG;
	}
	if (EVP_PKEY_is_a(pk, "RSA")) {
		k->key_type = HSO_KEY_RSA;
		k->key_bits = (unsigned)EVP_PKEY_get_bits(pk);
		if (k->key_bits < HSO_RSA_MIN_BITS || k->key_bits > HSO_RSA_MAX_BITS)
			rc = -ENOTSUP;
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		char curve[32];

		if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, curve,
						    sizeof(curve), NULL))
			rc = -ENOTSUP;
		else if (strcmp(curve, "prime256v1") == 0 || strcmp(curve, "P-256") == 0)
			k->key_type = HSO_KEY_EC_P256, k->key_bits = 256;
		else if (strcmp(curve, "secp384r1") == 0 || strcmp(curve, "P-384") == 0)
			k->key_type = HSO_KEY_EC_P384, k->key_bits = 384;
		else
			rc = -ENOTSUP;
	} else {
		rc = -ENOTSUP;
	}
	if (rc != 0) {
		EVP_PKEY_free(pk);
		ERR_clear_error();
		memset(k, 0, sizeof(*k));
		return rc;
	}
	k->pkey = pk;
	return 0;
}

void
hso_peer_key_clear(struct hso_peer_key *k)
{
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

/* The digest of @p scheme, and whether it is RSA-PSS / RSA at all; NULL: unknown. */
static const char *
scheme_md(uint16_t scheme, bool *rsa, bool *pss)
{
	*rsa = (scheme & 0xff) == 0x01 || (scheme >> 8) == 0x08;
	*pss = (scheme >> 8) == 0x08;
	switch (scheme) {
	case HSO_SIG_ECDSA_SHA224:
		return "SHA2-224";
	case HSO_SIG_RSA_PKCS1_SHA256:
	case HSO_SIG_ECDSA_P256_SHA256:
	case HSO_SIG_RSA_PSS_RSAE_SHA256:
		return "SHA2-256";
	case HSO_SIG_RSA_PKCS1_SHA384:
	case HSO_SIG_ECDSA_P384_SHA384:
	case HSO_SIG_RSA_PSS_RSAE_SHA384:
		return "SHA2-384";
	case HSO_SIG_RSA_PKCS1_SHA512:
	case HSO_SIG_ECDSA_P521_SHA512:
	case HSO_SIG_RSA_PSS_RSAE_SHA512:
		return "SHA2-512";
	default:
		return NULL;
	}
}

bool
hso_peer_key_can_verify(const struct hso_peer_key *k, uint16_t scheme)
{
	bool rsa, pss;

	if (scheme_md(scheme, &rsa, &pss) == NULL)
		return false;
	/*
	 * TLS 1.2 names ECDSA by hash only (ecdsa_sha256 may come from a
	 * P-384 key); TLS 1.3 binds the curve, which the handshake checks.
	 */
	return rsa ? k->key_type == HSO_KEY_RSA
		   : k->key_type == HSO_KEY_EC_P256 || k->key_type == HSO_KEY_EC_P384;
}

int
hso_asym_verify(struct hso_asym_ctx *ctx, const struct hso_peer_key *k,
		uint16_t scheme, const void *msg, size_t msglen,
		const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md = hso_asym_mdctx(ctx);
	EVP_PKEY_CTX *pc = NULL;
	bool rsa, pss;
	const char *mdname = scheme_md(scheme, &rsa, &pss);
	int ok;

	if (k->pkey == NULL)
		return -EINVAL;
	if (!hso_peer_key_can_verify(k, scheme))
		return -ENOTSUP;
	EVP_MD_CTX_reset(md);
	if (EVP_DigestVerifyInit_ex(md, &pc, mdname, NULL, NULL, k->pkey, NULL) != 1)
		goto io;
	if (pss) {
		/* RFC 8446 4.2.3: salt length = digest length, MGF1 with the same hash. */
		if (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, mdname, NULL) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) != 1)
			goto io;
	} else if (rsa) {
		if (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1)
			goto io;
	}
	ok = EVP_DigestVerify(md, sig, siglen, msg, msglen);
	EVP_MD_CTX_reset(md);
	ERR_clear_error();
	return ok == 1 ? 0 : -EBADMSG;
io:
	EVP_MD_CTX_reset(md);
	ERR_clear_error();
	return -EIO;
}

int
hso_asym_rsa_premaster_encrypt(struct hso_asym_ctx *ctx, const struct hso_peer_key *k,
			       const uint8_t pms[HSO_TLS12_PREMASTER_LEN],
			       uint8_t *out, size_t cap, size_t *outlen)
{
	EVP_PKEY_CTX *pc;
	size_t n = cap;
	int rc = -EIO;

	(void)ctx;
	if (k->pkey == NULL || k->key_type != HSO_KEY_RSA)
		return -ENOTSUP;
	if (cap < k->key_bits / 8 + (k->key_bits % 8 != 0))
		return -ENOSPC;
	pc = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (pc == NULL)
		return -ENOMEM;
	/* RFC 5246 7.4.7.1: RSAES-PKCS1-v1_5 of the 48-byte premaster. */
	if (EVP_PKEY_encrypt_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_encrypt(pc, out, &n, pms, HSO_TLS12_PREMASTER_LEN) == 1) {
		*outlen = n;
		rc = 0;
	}
	EVP_PKEY_CTX_free(pc);
	ERR_clear_error();
	return rc;
}

static void
set_err(char *err, size_t errlen, const char *path, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, what);
}

struct hso_ca_store *
hso_ca_store_load(const char *path, char *err, size_t errlen)
{
	struct hso_ca_store *s;
	FILE *f = fopen(path, "r");
	X509 *x;
	unsigned n = 0;

	if (f == NULL) {
		int e = errno;

		set_err(err, errlen, path, strerror(e));
		errno = e;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->store = X509_STORE_new()) == NULL) {
		fclose(f);
		free(s);
		set_err(err, errlen, path, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(s->store, x) == 1)
			n++;
		X509_free(x);
	}
	fclose(f);
	ERR_clear_error();
	if (n == 0) {
		hso_ca_store_free(s);
		set_err(err, errlen, path, "no PEM certificate in the file");
		errno = EBADMSG;
		return NULL;
	}
	return s;
}

void
hso_ca_store_free(struct hso_ca_store *store)
{
	if (store == NULL)
		return;
	X509_STORE_free(store->store);
	free(store);
}

int
hso_ca_store_verify(const struct hso_ca_store *store, const uint8_t *const *der,
		    const size_t *len, unsigned n, const char *host)
{
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *xc = NULL;
	X509 *leaf = NULL;
	int rc = -ENOMEM, err;

	if (n == 0 || store == NULL)
		return -EINVAL;
	untrusted = sk_X509_new_null();
	xc = X509_STORE_CTX_new();
	if (untrusted == NULL || xc == NULL)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		const unsigned char *p = der[i];
		X509 *x = d2i_X509(NULL, &p, (long)len[i]);

		if (x == NULL || p != der[i] + len[i]) {
			X509_free(x);
			rc = -EBADMSG;
			goto out;
		}
		if (i == 0)
			leaf = x;
		else if (!sk_X509_push(untrusted, x)) {
			X509_free(x);
			goto out;
		}
	}
	if (X509_STORE_CTX_init(xc, store->store, leaf, untrusted) != 1)
		goto out;
	if (host != NULL && host[0] != '\0' &&
	    X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(xc), host, 0) != 1)
		goto out;
	if (X509_verify_cert(xc) == 1) {
		rc = 0;
		goto out;
	}
	err = X509_STORE_CTX_get_error(xc);
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		rc = -EKEYEXPIRED;
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		rc = -ENOKEY;
		break;
	default:
		rc = -EKEYREJECTED;
	}
out:
	X509_STORE_CTX_free(xc);
	X509_free(leaf);
	sk_X509_pop_free(untrusted, X509_free);
	ERR_clear_error();
	return rc;
}
