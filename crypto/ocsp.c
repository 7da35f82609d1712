/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OCSP responses to staple: loaded, checked against their certificate and
 * kept as DER. Contract in crypto_ocsp.h. Control path only (allocates).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "crypto.h"
#include "crypto_ocsp.h"
#include "crypto_priv.h"

static const char *const refusal_names[HSO_OCSP_REFUSAL_NUM] = {
	[HSO_OCSP_OK] = "ok",
	[HSO_OCSP_UNREADABLE] = "unreadable",
	[HSO_OCSP_MALFORMED] = "malformed",
	[HSO_OCSP_MISMATCH] = "mismatch",
	[HSO_OCSP_SIGNATURE] = "signature",
	[HSO_OCSP_EXPIRED] = "expired",
	[HSO_OCSP_STATUS] = "status",
};

const char *
hso_ocsp_refusal_name(enum hso_ocsp_refusal r)
{
	return (unsigned)r < HSO_OCSP_REFUSAL_NUM ? refusal_names[r] : "?";
}

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* An ASN.1 time as seconds since the epoch; 0 on failure. */
static int
asn1_seconds(const ASN1_GENERALIZEDTIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static void
fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* The single response about @p leaf under @p issuer, whatever the CertID hash. */
static OCSP_SINGLERESP *
find_single(OCSP_BASICRESP *bs, X509 *leaf, X509 *issuer)
{
	int n = OCSP_resp_count(bs);

	for (int i = 0; i < n; i++) {
		OCSP_SINGLERESP *sr = OCSP_resp_get0(bs, i);
		const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(sr);
		ASN1_OBJECT *md_oid = NULL;
		const EVP_MD *md;
		OCSP_CERTID *ours;
		int eq;

		if (cid == NULL || !OCSP_id_get0_info(NULL, &md_oid, NULL, NULL,
						      (OCSP_CERTID *)cid))
			continue;
		md = EVP_get_digestbyobj(md_oid);
		if (md == NULL)
			continue;
		ours = OCSP_cert_to_id(md, leaf, issuer);
		if (ours == NULL)
			continue;
		eq = OCSP_id_cmp(ours, cid) == 0;
		OCSP_CERTID_free(ours);
		if (eq)
			return sr;
	}
	return NULL;
}

/*
 * RFC 6960 4.2.2.2: signed by the issuer itself or by a responder it
 * certified for OCSP signing. The issuer is the only trust anchor (a
 * partial chain: it may be an intermediate), checked at @p now.
 */
static int
verify_signer(OCSP_BASICRESP *bs, X509 *issuer, int64_t now)
{
	X509_STORE *st = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	int ok = 0;

	if (st != NULL && certs != NULL && X509_STORE_add_cert(st, issuer) &&
	    sk_X509_push(certs, issuer) > 0) {
		X509_VERIFY_PARAM *vp = X509_STORE_get0_param(st);

		X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
		X509_VERIFY_PARAM_set_time(vp, (time_t)now);
		ok = OCSP_basic_verify(bs, certs, st, 0) > 0;
	}
	sk_X509_free(certs);
	X509_STORE_free(st);
	return ok;
}

struct hso_ocsp *
hso_ocsp_parse(const uint8_t *der, size_t len, const char *name,
	       const struct hso_cert *cert, int64_t now, enum hso_ocsp_refusal *why,
	       char *err, size_t errlen)
{
	enum hso_ocsp_refusal r = HSO_OCSP_MALFORMED;
	int e = EBADMSG;
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *sr;
	X509 *leaf = NULL, *issuer = NULL;
	ASN1_GENERALIZEDTIME *thisupd = NULL, *nextupd = NULL;
	struct hso_ocsp *o = NULL;
	int status, reason;
	int64_t t_this = 0, t_next = 0;
	char tb[40];

	if (len == 0 || len > HSO_OCSP_MAX) {
		r = HSO_OCSP_UNREADABLE;
		e = len == 0 ? EBADMSG : EFBIG;
		set_err(err, errlen, "'%s': %zu bytes (1 to %u)", name, len, HSO_OCSP_MAX);
		goto out;
	}
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	if (resp == NULL || p != der + len) {
		set_err(err, errlen, "'%s': malformed: not one DER OCSPResponse", name);
		goto out;
	}
	status = OCSP_response_status(resp);
	if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		set_err(err, errlen, "'%s': malformed: responseStatus %s (%d), not successful",
			name, OCSP_response_status_str(status), status);
		goto out;
	}
	bs = OCSP_response_get1_basic(resp);
	if (bs == NULL) {
		set_err(err, errlen, "'%s': malformed: no BasicOCSPResponse", name);
		goto out;
	}

	r = HSO_OCSP_MISMATCH;
	e = ENOENT;
	if (cert->chain_len < 2) {
		set_err(err, errlen, "'%s': mismatch: the certificate file has no issuer "
			"(the certificate after the leaf) to check the response against", name);
		goto out;
	}
	p = cert->chain[0].der;
	leaf = d2i_X509(NULL, &p, cert->chain[0].len);
	p = cert->chain[1].der;
	issuer = d2i_X509(NULL, &p, cert->chain[1].len);
	if (leaf == NULL || issuer == NULL) {
		r = HSO_OCSP_MALFORMED;
		e = ENOMEM;
		set_err(err, errlen, "'%s': cannot decode the certificate chain", name);
		goto out;
	}
	sr = find_single(bs, leaf, issuer);
	if (sr == NULL) {
		set_err(err, errlen, "'%s': mismatch: no response for this certificate "
			"(serial and issuer)", name);
		goto out;
	}

	r = HSO_OCSP_SIGNATURE;
	e = EKEYREJECTED;
	if (!verify_signer(bs, issuer, now)) {
		set_err(err, errlen, "'%s': signature: not signed by the certificate's "
			"issuer nor by a responder it delegated (%s)", name,
			ERR_reason_error_string(ERR_peek_last_error()) != NULL ?
			ERR_reason_error_string(ERR_peek_last_error()) : "no reason");
		goto out;
	}

	r = HSO_OCSP_EXPIRED;
	e = EKEYEXPIRED;
	status = OCSP_single_get0_status(sr, &reason, NULL, &thisupd, &nextupd);
	if (asn1_seconds(thisupd, &t_this) != 0) {
		r = HSO_OCSP_MALFORMED;
		e = EBADMSG;
		set_err(err, errlen, "'%s': malformed: bad thisUpdate", name);
		goto out;
	}
	if (nextupd == NULL) {
		set_err(err, errlen, "'%s': expired: no nextUpdate (such a response "
			"cannot say until when it holds)", name);
		goto out;
	}
	if (asn1_seconds(nextupd, &t_next) != 0) {
		r = HSO_OCSP_MALFORMED;
		e = EBADMSG;
		set_err(err, errlen, "'%s': malformed: bad nextUpdate", name);
		goto out;
	}
	if (t_this > now + HSO_OCSP_SKEW_S) {
		fmt_time(t_this, tb, sizeof(tb));
		set_err(err, errlen, "'%s': expired: not valid yet (thisUpdate %s)", name, tb);
		goto out;
	}
	if (t_next <= now || t_next < t_this) {
		fmt_time(t_next, tb, sizeof(tb));
		set_err(err, errlen, "'%s': expired: nextUpdate %s has passed", name, tb);
		goto out;
	}

	r = HSO_OCSP_STATUS;
	e = EKEYREVOKED;
	if (status != V_OCSP_CERTSTATUS_GOOD) {
		set_err(err, errlen, "'%s': status: the certificate is %s", name,
			OCSP_cert_status_str(status));
		goto out;
	}

	o = malloc(sizeof(*o) + len);
	if (o == NULL) {
		r = HSO_OCSP_UNREADABLE;
		e = ENOMEM;
		set_err(err, errlen, "'%s': out of memory", name);
		goto out;
	}
	memcpy(o + 1, der, len);
	o->der = (const uint8_t *)(o + 1);
	o->len = len;
	o->this_update = t_this;
	o->next_update = t_next;
	r = HSO_OCSP_OK;
out:
	X509_free(leaf);
	X509_free(issuer);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	if (why != NULL)
		*why = r;
	if (o == NULL)
		errno = e;
	return o;
}

struct hso_ocsp *
hso_ocsp_load(const char *path, const struct hso_cert *cert, int64_t now,
	      enum hso_ocsp_refusal *why, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	struct hso_ocsp *o;
	int rc = hso_file_read(path, HSO_OCSP_MAX, &buf, &len, err, errlen);

	if (rc < 0) {
		if (why != NULL)
			*why = HSO_OCSP_UNREADABLE;
		errno = -rc;
		return NULL;
	}
	o = hso_ocsp_parse((const uint8_t *)buf, len, path, cert, now, why, err, errlen);
	rc = errno;
	free(buf);
	errno = rc;
	return o;
}

void
hso_ocsp_free(struct hso_ocsp *ocsp)
{
	free(ocsp);
}
