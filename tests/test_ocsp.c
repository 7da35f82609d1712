/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crypto/ocsp.c: OCSP responses made by OpenSSL's responder API about
 * certificates of a test CA, loaded and refused for each reason
 * (crypto_ocsp.h): good ones (SHA-1 and SHA-256 CertIDs, the issuer or a
 * delegated responder signing), unreadable, malformed (garbage, trailing
 * bytes, tryLater), mismatched (another certificate, no issuer in the
 * chain), wrongly signed (another key, a responder without OCSPSigning),
 * expired (past nextUpdate, none, thisUpdate ahead beyond the skew),
 * revoked and unknown.
 */
#include <errno.h>
#include <time.h>

#include "check.h"
#include "crypto.h"
#include "test_ocsp_util.h"

static char dir[] = "/tmp/hso-ocsp-XXXXXX";
static EVP_PKEY *ca_key, *leaf_key, *other_key, *resp_key;
static X509 *ca, *leaf, *other_leaf, *fake_ca, *responder, *bad_responder;
static struct hso_cert *cert, *cert_noissuer;
static int64_t now;

/* Parse @p r's DER for @p c at now + @p dt; the reason, and *o when kept. */
static enum hso_ocsp_refusal
try_resp(const struct to_resp *r, const struct hso_cert *c, int64_t dt, struct hso_ocsp **o)
{
	size_t len;
	unsigned char *der = to_ocsp(r, &len);
	enum hso_ocsp_refusal why = HSO_OCSP_REFUSAL_NUM;
	char err[256];
	struct hso_ocsp *got = hso_ocsp_parse(der, len, "resp", c, now + dt, &why, err,
					      sizeof(err));

	if (got == NULL)
		printf("  refused (%s): %s\n", hso_ocsp_refusal_name(why), err);
	else if (got->len != len || memcmp(got->der, der, len) != 0)
		why = HSO_OCSP_REFUSAL_NUM;     /* kept, but not the bytes given */
	if (o != NULL)
		*o = got;
	else
		hso_ocsp_free(got);
	OPENSSL_free(der);
	return why;
}

static struct to_resp
good(void)
{
	return (struct to_resp){
		.leaf = leaf, .issuer = ca, .signer = ca, .signer_key = ca_key,
		.status = V_OCSP_CERTSTATUS_GOOD, .this_update = now - 60,
		.next_update = now + 3600,
	};
}

static void
test_good(void)
{
	struct to_resp r = good();
	struct hso_ocsp *o = NULL;

	CHECK_EQ(try_resp(&r, cert, 0, &o), HSO_OCSP_OK);
	CHECK(o != NULL && o->this_update == now - 60 && o->next_update == now + 3600);
	hso_ocsp_free(o);
	/* A SHA-256 CertID matches too. */
	r.id_md = EVP_sha256();
	CHECK_EQ(try_resp(&r, cert, 0, NULL), HSO_OCSP_OK);
	/* A delegated responder (RFC 6960 4.2.2.2) with id-kp-OCSPSigning. */
	r = good();
	r.signer = responder;
	r.signer_key = resp_key;
	CHECK_EQ(try_resp(&r, cert, 0, NULL), HSO_OCSP_OK);
	/* thisUpdate ahead of the clock, within the skew allowed. */
	r = good();
	r.this_update = now + HSO_OCSP_SKEW_S - 10;
	CHECK_EQ(try_resp(&r, cert, 0, NULL), HSO_OCSP_OK);
	/* Checked at the time given: valid an hour ago too (thisUpdate - 60 is within skew). */
	r = good();
	CHECK_EQ(try_resp(&r, cert, -100, NULL), HSO_OCSP_OK);
}

static void
test_refused(void)
{
	struct to_resp r;
	enum hso_ocsp_refusal why;
	char err[256];
	size_t len;
	unsigned char *der;
	uint8_t junk[64];

	/* Malformed: garbage, trailing bytes, not successful, empty. */
	memset(junk, 0x30, sizeof(junk));
	CHECK(hso_ocsp_parse(junk, sizeof(junk), "junk", cert, now, &why, err, sizeof(err)) == NULL);
	CHECK_EQ(why, HSO_OCSP_MALFORMED);
	CHECK_EQ(errno, EBADMSG);
	r = good();
	der = to_ocsp(&r, &len);
	{
		uint8_t *more = malloc(len + 1);

		memcpy(more, der, len);
		more[len] = 0;
		CHECK(hso_ocsp_parse(more, len + 1, "more", cert, now, &why, err,
				     sizeof(err)) == NULL);
		CHECK_EQ(why, HSO_OCSP_MALFORMED);
		/* Truncated. */
		CHECK(hso_ocsp_parse(more, len - 1, "short", cert, now, &why, err,
				     sizeof(err)) == NULL);
		CHECK_EQ(why, HSO_OCSP_MALFORMED);
		free(more);
	}
	OPENSSL_free(der);
	CHECK(hso_ocsp_parse(junk, 0, "empty", cert, now, &why, err, sizeof(err)) == NULL);
	CHECK_EQ(why, HSO_OCSP_UNREADABLE);
	r = good();
	r.resp_status = OCSP_RESPONSE_STATUS_TRYLATER;
	CHECK_EQ(try_resp(&r, cert, 0, NULL), HSO_OCSP_MALFORMED);

	/* Mismatch: about another certificate; a chain without its issuer. */
	r = good();
	r.leaf = other_leaf;
	CHECK_EQ(try_resp(&r, cert, 0, NULL), HSO_OCSP_MISMATCH);
	r = good();
	CHECK_EQ(try_resp(&r, cert_noissuer, 0, NULL), HSO_OCSP_MISMATCH);

	/* Signature: a key that is not the issuer's (same name); a responder without OCSPSigning. */
	r = good();
	r.signer = fake_ca;
	r.signer_key = other_key;
	CHECK_EQ(try_resp(&r, cert, 0, NULL), HSO_OCSP_SIGNATURE);
	r = good();
	r.signer = bad_responder;
	r.signer_key = resp_key;
	CHECK_EQ(try_resp(&r, cert, 0, NULL), HSO_OCSP_SIGNATURE);

	/* Expired: nextUpdate passed (also exactly now), none, thisUpdate too far ahead. */
	r = good();
	CHECK_EQ(try_resp(&r, cert, 3601, NULL), HSO_OCSP_EXPIRED);
	CHECK_EQ(try_resp(&r, cert, 3600, NULL), HSO_OCSP_EXPIRED);
	CHECK_EQ(try_resp(&r, cert, 3599, NULL), HSO_OCSP_OK);
	r.next_update = 0;
	CHECK_EQ(try_resp(&r, cert, 0, NULL), HSO_OCSP_EXPIRED);
	r = good();
	r.this_update = now + HSO_OCSP_SKEW_S + 60;
	r.next_update = now + 7200;
	CHECK_EQ(try_resp(&r, cert, 0, NULL), HSO_OCSP_EXPIRED);
	CHECK_EQ(errno, EKEYEXPIRED);

	/* Status: revoked, unknown. */
	r = good();
	r.status = V_OCSP_CERTSTATUS_REVOKED;
	CHECK_EQ(try_resp(&r, cert, 0, NULL), HSO_OCSP_STATUS);
	CHECK_EQ(errno, EKEYREVOKED);
	r.status = V_OCSP_CERTSTATUS_UNKNOWN;
	CHECK_EQ(try_resp(&r, cert, 0, NULL), HSO_OCSP_STATUS);

	CHECK(strcmp(hso_ocsp_refusal_name(HSO_OCSP_EXPIRED), "expired") == 0);
	CHECK(strcmp(hso_ocsp_refusal_name(HSO_OCSP_REFUSAL_NUM), "?") == 0);
}

/* From a file, as hsod loads it; the error names the file. */
static void
test_files(void)
{
	struct to_resp r = good();
	enum hso_ocsp_refusal why;
	char err[512];
	size_t len;
	unsigned char *der = to_ocsp(&r, &len);
	char *path = to_write_bytes(dir, "good.der", der, len);
	char *missing;
	struct hso_ocsp *o = hso_ocsp_load(path, cert, now, &why, err, sizeof(err));

	CHECK(o != NULL && why == HSO_OCSP_OK && o->len == len);
	hso_ocsp_free(o);
	if (asprintf(&missing, "%s/none.der", dir) < 0)
		abort();
	CHECK(hso_ocsp_load(missing, cert, now, &why, err, sizeof(err)) == NULL);
	CHECK_EQ(why, HSO_OCSP_UNREADABLE);
	CHECK_EQ(errno, ENOENT);
	CHECK(strstr(err, missing) != NULL);
	CHECK(hso_ocsp_load(path, cert, now + 7200, &why, err, sizeof(err)) == NULL);
	CHECK_EQ(why, HSO_OCSP_EXPIRED);
	CHECK(strstr(err, path) != NULL && strstr(err, "nextUpdate") != NULL);
	CHECK(hso_ocsp_load(dir, cert, now, &why, err, sizeof(err)) == NULL);
	CHECK_EQ(why, HSO_OCSP_UNREADABLE);
	free(missing);
	free(path);
	OPENSSL_free(der);
}

/* The chain's signature schemes (hso_cert.chain_sig), as signature_algorithms_cert sees them. */
static void
test_chain_sig(void)
{
	CHECK_EQ(cert->chain_len, 2);
	CHECK_EQ(cert->chain_sig[0], HSO_SIG_RSA_PKCS1_SHA256);  /* leaf, by the RSA CA */
	CHECK_EQ(cert->chain_sig[1], 0);                         /* the CA: self-signed */
	CHECK_EQ(cert_noissuer->chain_len, 1);
}

int
main(void)
{
	char *cp, *kp;
	char err[256];

	if (mkdtemp(dir) == NULL)
		return 1;
	now = (int64_t)time(NULL);
	ca_key = tk_keygen("RSA", NULL, 2048);
	leaf_key = tk_keygen("EC", "P-256", 0);
	other_key = tk_keygen("RSA", NULL, 2048);
	resp_key = tk_keygen("EC", "P-256", 0);
	ca = tk_cert(ca_key, "hso test CA", NULL, NULL, NULL, 1);
	leaf = to_leaf(leaf_key, "leaf.test", "DNS:leaf.test", ca, ca_key, NULL);
	other_leaf = to_leaf(leaf_key, "other.test", "DNS:other.test", ca, ca_key, NULL);
	/* Same subject as the CA, another key: a forger. */
	fake_ca = tk_cert(other_key, "hso test CA", NULL, NULL, NULL, 1);
	responder = to_leaf(resp_key, "ocsp.test", NULL, ca, ca_key, "OCSPSigning");
	bad_responder = to_leaf(resp_key, "ocsp2.test", NULL, ca, ca_key, "serverAuth");

	cp = to_chain(dir, "leaf", leaf, ca, leaf_key, &kp);
	cert = hso_cert_load(cp, kp, err, sizeof(err));
	free(cp);
	free(kp);
	cp = to_chain(dir, "alone", leaf, NULL, leaf_key, &kp);
	cert_noissuer = hso_cert_load(cp, kp, err, sizeof(err));
	free(cp);
	free(kp);
	if (cert == NULL || cert_noissuer == NULL) {
		fprintf(stderr, "cert: %s\n", err);
		return 1;
	}

	test_good();
	test_refused();
	test_files();
	test_chain_sig();

	hso_cert_free(cert);
	hso_cert_free(cert_noissuer);
	X509_free(ca);
	X509_free(leaf);
	X509_free(other_leaf);
	X509_free(fake_ca);
	X509_free(responder);
	X509_free(bad_responder);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(resp_key);
	tk_rmdir(dir);
	return check_result("ocsp");
}
