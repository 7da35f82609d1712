/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificates and private keys: PEM loading, key checks, DER chain, DNS
 * names. See crypto_asym.h for the contract.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto.h"

/* A PEM file of a few certificates is a few KiB; refuse anything absurd. */
#define PEM_FILE_MAX (1u << 20)
/* RFC 1035 2.3.4: 255 octets on the wire, 253 characters in text. */
#define DNS_NAME_MAX 253

static atomic_uint_fast64_t cert_serial;

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

/* The reason of OpenSSL's last error, for messages; clears the queue. */
static const char *
ossl_reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	ERR_clear_error();
	return r != NULL ? r : "unknown error";
}

/* Read a whole file; the buffer is NUL-terminated (not counted in *len). */
static int
read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		set_err(err, errlen, "'%s': cannot open: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		set_err(err, errlen, "'%s': cannot stat: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	if (S_ISDIR(st.st_mode)) {
		set_err(err, errlen, "'%s': is a directory", path);
		close(fd);
		return -EISDIR;
	}
	if (st.st_size > (off_t)PEM_FILE_MAX) {
		set_err(err, errlen, "'%s': larger than %u bytes", path, PEM_FILE_MAX);
		close(fd);
		return -EFBIG;
	}
	b = malloc((size_t)st.st_size + 1);
	if (b == NULL) {
		set_err(err, errlen, "'%s': out of memory", path);
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			set_err(err, errlen, "'%s': cannot read: %s", path,
				n < 0 ? strerror(errno) : "file shrank");
			close(fd);
			OPENSSL_clear_free(b, (size_t)st.st_size + 1);
			return ret;
		}
		got += (size_t)n;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

struct pem_items {
	X509 *certs[HSO_CERT_CHAIN_MAX];
	unsigned n_certs;
	EVP_PKEY *pkey;
	int encrypted;		/* an encrypted key was seen */
	const char *other_key;	/* an unsupported key block, e.g. DSA */
};

static int
pem_is_key(const char *name)
{
	return strcmp(name, PEM_STRING_PKCS8INF) == 0 ||
	       strcmp(name, PEM_STRING_RSA) == 0 ||
	       strcmp(name, PEM_STRING_ECPRIVATEKEY) == 0;
}

/*
 * Walk the PEM blocks of @p buf, collecting certificates (want_certs) and
 * the first private key (want_key). Other blocks (EC PARAMETERS, ...) are
 * skipped. Key bytes are wiped after decoding.
 */
static int
pem_parse(const char *path, const char *buf, size_t len, int want_certs,
	  int want_key, struct pem_items *it, char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	int ret = 0;

	if (bio == NULL) {
		set_err(err, errlen, "'%s': out of memory", path);
		return -ENOMEM;
	}
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long dlen = 0;
		const unsigned char *p;

		if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
			unsigned long e = ERR_peek_last_error();

			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
				ERR_clear_error();
				break;	/* no more blocks */
			}
			set_err(err, errlen, "'%s': bad PEM: %s", path, ossl_reason());
			ret = -EBADMSG;
			break;
		}
		p = data;
		if (want_certs && (strcmp(name, PEM_STRING_X509) == 0 ||
				   strcmp(name, PEM_STRING_X509_OLD) == 0)) {
			X509 *x;

			if (it->n_certs == HSO_CERT_CHAIN_MAX) {
				set_err(err, errlen, "'%s': more than %d certificates",
					path, HSO_CERT_CHAIN_MAX);
				ret = -E2BIG;
			} else if ((x = d2i_X509(NULL, &p, dlen)) == NULL ||
				   p != data + dlen) {
				X509_free(x);
				set_err(err, errlen, "'%s': certificate %u: bad DER: %s",
					path, it->n_certs + 1, ossl_reason());
				ret = -EBADMSG;
			} else {
				it->certs[it->n_certs++] = x;
			}
		} else if (want_key && it->pkey == NULL && pem_is_key(name)) {
			if (header != NULL && strstr(header, "ENCRYPTED") != NULL) {
				it->encrypted = 1;
			} else {
				it->pkey = d2i_AutoPrivateKey_ex(NULL, &p, dlen, NULL, NULL);
				if (it->pkey == NULL) {
					set_err(err, errlen, "'%s': bad private key: %s",
						path, ossl_reason());
					ret = -EBADMSG;
				}
			}
		} else if (want_key && strcmp(name, PEM_STRING_PKCS8) == 0) {
			it->encrypted = 1;
		} else if (want_key && it->other_key == NULL &&
			   strstr(name, "PRIVATE KEY") != NULL) {
			/* DSA PRIVATE KEY, OPENSSH PRIVATE KEY, ... */
			it->other_key = strcmp(name, PEM_STRING_DSA) == 0 ?
					"DSA" : "unsupported format";
		}
		OPENSSL_clear_free(data, (size_t)dlen);
		OPENSSL_free(name);
		OPENSSL_free(header);
		if (ret < 0)
			break;
	}
	BIO_free(bio);
	return ret;
}

/* Classify @p pkey; a message naming @p path when unsupported. */
static int
key_classify(const char *path, EVP_PKEY *pkey, enum hso_key_type *type,
	     unsigned *bits, char *err, size_t errlen)
{
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		int b = EVP_PKEY_get_bits(pkey);

		if (b < HSO_RSA_MIN_BITS || b > HSO_RSA_MAX_BITS) {
			set_err(err, errlen,
				"'%s': RSA-%d key not supported (%d to %d bits)",
				path, b, HSO_RSA_MIN_BITS, HSO_RSA_MAX_BITS);
			return -ENOTSUP;
		}
		*type = HSO_KEY_RSA;
		*bits = (unsigned)b;
		return 0;
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		char group[64];
		size_t glen = 0;
		int nid;

		if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen)) {
			ERR_clear_error();
			set_err(err, errlen,
				"'%s': EC key with explicit curve parameters not supported",
				path);
			return -ENOTSUP;
		}
		nid = OBJ_sn2nid(group);
		if (nid == NID_undef)
			nid = EC_curve_nist2nid(group);
		if (nid == NID_X9_62_prime256v1) {
			*type = HSO_KEY_EC_P256;
			*bits = 256;
			return 0;
		}
		if (nid == NID_secp384r1) {
			*type = HSO_KEY_EC_P384;
			*bits = 384;
			return 0;
		}
		set_err(err, errlen,
			"'%s': EC key on curve %s not supported (P-256 or P-384)",
			path, group);
		return -ENOTSUP;
	}
	set_err(err, errlen,
		"'%s': %s key not supported (RSA 2048-4096, ECDSA P-256/P-384)",
		path, EVP_PKEY_get0_type_name(pkey) != NULL ?
		EVP_PKEY_get0_type_name(pkey) : "unknown");
	return -ENOTSUP;
}

/* Append a DNS name from a certificate if it looks like a host name. */
static void
name_add(const unsigned char *s, size_t n, char **names, unsigned *n_names)
{
	char *c;

	if (n == 0 || n > DNS_NAME_MAX || *n_names == HSO_CERT_NAMES_MAX)
		return;
	for (size_t i = 0; i < n; i++) {
		/* No NUL, space or control: a name with them matches nothing. */
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return;
	}
	c = malloc(n + 1);
	if (c == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		c[i] = (char)tolower(s[i]);
	c[n] = '\0';
	names[(*n_names)++] = c;
}

/* SAN dNSName entries; the last CN only when there is none (RFC 6125 6.4.4). */
static void
leaf_names(X509 *leaf, char **names, unsigned *n_names)
{
	GENERAL_NAMES *san = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	X509_NAME *subj;
	int i;

	if (san != NULL) {
		for (i = 0; i < sk_GENERAL_NAME_num(san); i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);

			if (g->type != GEN_DNS)
				continue;
			name_add(ASN1_STRING_get0_data(g->d.dNSName),
				 (size_t)ASN1_STRING_length(g->d.dNSName),
				 names, n_names);
		}
		GENERAL_NAMES_free(san);
	}
	ERR_clear_error();
	if (*n_names > 0)
		return;
	subj = X509_get_subject_name(leaf);
	i = -1;
	for (int j; (j = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;)
		i = j;
	if (i >= 0) {
		ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
		unsigned char *utf8 = NULL;
		int n = ASN1_STRING_to_UTF8(&utf8, cn);

		if (n > 0)
			name_add(utf8, (size_t)n, names, n_names);
		OPENSSL_free(utf8);
	}
	ERR_clear_error();
}

/*
 * Lay out the chain (TLS 1.2 certificate_list body), the RSA modulus and
 * the names in one block owned by @p c.
 */
static int
cert_fill(struct hso_cert *c, struct pem_items *it, char **names,
	  unsigned n_names)
{
	size_t der_len[HSO_CERT_CHAIN_MAX], total = 0, mod_len = 0, names_len = 0;
	uint8_t *mem, *p;
	BIGNUM *n = NULL;

	for (unsigned i = 0; i < it->n_certs; i++) {
		int l = i2d_X509(it->certs[i], NULL);

		/* RFC 5246 7.4.2: opaque ASN.1Cert<1..2^24-1> */
		if (l <= 0 || (size_t)l >= (1u << 24))
			return -EBADMSG;
		der_len[i] = (size_t)l;
		total += 3 + (size_t)l;
	}
	if (c->key_type == HSO_KEY_RSA) {
		if (!EVP_PKEY_get_bn_param(c->pkey, OSSL_PKEY_PARAM_RSA_N, &n))
			return -EIO;
		mod_len = c->sig_max;
	}
	for (unsigned i = 0; i < n_names; i++)
		names_len += strlen(names[i]) + 1;
	mem = malloc(total + mod_len + names_len);
	if (mem == NULL) {
		BN_free(n);
		return -ENOMEM;
	}
	c->mem_ = mem;
	p = mem;
	for (unsigned i = 0; i < it->n_certs; i++) {
		uint8_t *q;

		p[0] = (uint8_t)(der_len[i] >> 16);
		p[1] = (uint8_t)(der_len[i] >> 8);
		p[2] = (uint8_t)der_len[i];
		q = p + 3;
		i2d_X509(it->certs[i], &q);
		c->chain[i].der = p + 3;
		c->chain[i].len = (uint32_t)der_len[i];
		p += 3 + der_len[i];
	}
	c->chain_len = it->n_certs;
	c->tls12_list = mem;
	c->tls12_list_len = total;
	if (n != NULL) {
		BN_bn2binpad(n, p, (int)mod_len);
		BN_free(n);
		c->rsa_modulus = p;
		p += mod_len;
	}
	for (unsigned i = 0; i < n_names; i++) {
		size_t l = strlen(names[i]) + 1;

		memcpy(p, names[i], l);
		c->names[i] = (const char *)p;
		p += l;
	}
	c->n_names = n_names;
	return 0;
}

struct hso_cert *
hso_cert_load(const char *cert_path, const char *key_path, char *err,
	      size_t errlen)
{
	const char *kpath = key_path != NULL ? key_path : cert_path;
	struct pem_items it = { .n_certs = 0 };
	struct hso_cert *c = NULL;
	char *cbuf = NULL, *kbuf = NULL;
	size_t clen = 0, klen = 0;
	char *names[HSO_CERT_NAMES_MAX];
	unsigned n_names = 0;
	int ret;

	set_err(err, errlen, "no error");
	ret = read_file(cert_path, &cbuf, &clen, err, errlen);
	if (ret < 0)
		goto out;
	ret = pem_parse(cert_path, cbuf, clen, 1, key_path == NULL, &it, err,
			errlen);
	if (ret < 0)
		goto out;
	if (it.n_certs == 0) {
		set_err(err, errlen, "'%s': no PEM certificate found", cert_path);
		ret = -EBADMSG;
		goto out;
	}
	if (key_path != NULL) {
		ret = read_file(key_path, &kbuf, &klen, err, errlen);
		if (ret < 0)
			goto out;
		ret = pem_parse(key_path, kbuf, klen, 0, 1, &it, err, errlen);
		if (ret < 0)
			goto out;
	}
	if (it.pkey == NULL) {
		if (it.encrypted) {
			set_err(err, errlen,
				"'%s': encrypted private keys are not supported",
				kpath);
			ret = -ENOTSUP;
		} else if (it.other_key != NULL) {
			set_err(err, errlen, "'%s': %s private key not supported",
				kpath, it.other_key);
			ret = -ENOTSUP;
		} else {
			set_err(err, errlen, "'%s': no PEM private key found", kpath);
			ret = -EBADMSG;
		}
		goto out;
	}

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		set_err(err, errlen, "'%s': out of memory", cert_path);
		ret = -ENOMEM;
		goto out;
	}
	ret = key_classify(kpath, it.pkey, &c->key_type, &c->key_bits, err, errlen);
	if (ret < 0)
		goto out;
	/* The leaf's public key must be the private key's. */
	if (EVP_PKEY_eq(X509_get0_pubkey(it.certs[0]), it.pkey) != 1) {
		ERR_clear_error();
		set_err(err, errlen,
			"'%s': private key does not match the certificate in '%s'",
			kpath, cert_path);
		ret = -EKEYREJECTED;
		goto out;
	}
	c->pkey = it.pkey;
	it.pkey = NULL;
	c->sig_max = (size_t)EVP_PKEY_get_size(c->pkey);
	if (c->sig_max == 0 || c->sig_max > HSO_SIG_MAX) {
		set_err(err, errlen, "'%s': unexpected key size", kpath);
		ret = -ENOTSUP;
		goto out;
	}
	c->serial = atomic_fetch_add(&cert_serial, 1) + 1;
	leaf_names(it.certs[0], names, &n_names);
	ret = cert_fill(c, &it, names, n_names);
	for (unsigned i = 0; i < n_names; i++)
		free(names[i]);
	if (ret < 0)
		set_err(err, errlen, "'%s': cannot encode the chain: %s",
			cert_path, strerror(-ret));
out:
	for (unsigned i = 0; i < it.n_certs; i++)
		X509_free(it.certs[i]);
	EVP_PKEY_free(it.pkey);
	if (cbuf != NULL)
		OPENSSL_clear_free(cbuf, clen + 1);
	if (kbuf != NULL)
		OPENSSL_clear_free(kbuf, klen + 1);
	ERR_clear_error();
	if (ret < 0) {
		hso_cert_free(c);
		errno = -ret;
		return NULL;
	}
	return c;
}

void
hso_cert_free(struct hso_cert *cert)
{
	if (cert == NULL)
		return;
	EVP_PKEY_free(cert->pkey);
	free(cert->mem_);
	free(cert);
}

bool
hso_cert_can_sign(const struct hso_cert *cert, uint16_t scheme)
{
	if (cert == NULL)
		return false;
	switch (scheme) {
	case HSO_SIG_RSA_PKCS1_SHA256:
	case HSO_SIG_RSA_PKCS1_SHA384:
	case HSO_SIG_RSA_PKCS1_SHA512:
	case HSO_SIG_RSA_PSS_RSAE_SHA256:
	case HSO_SIG_RSA_PSS_RSAE_SHA384:
	case HSO_SIG_RSA_PSS_RSAE_SHA512:
		/*
		 * EMSA-PSS needs emLen >= hLen + sLen + 2 (RFC 8017 9.1.1):
		 * 130 bytes for SHA-512, far below 2048 bits.
		 */
		return cert->key_type == HSO_KEY_RSA;
	case HSO_SIG_ECDSA_P256_SHA256:
		return cert->key_type == HSO_KEY_EC_P256;
	case HSO_SIG_ECDSA_P384_SHA384:
		return cert->key_type == HSO_KEY_EC_P384;
	default:
		/* ecdsa_secp521r1_sha512: no P-521 keys; ecdsa_sha224: TLS 1.2 only. */
		return false;
	}
}

bool
hso_cert_can_sign12(const struct hso_cert *cert, uint16_t scheme)
{
	if (cert == NULL)
		return false;
	switch (scheme) {
	case HSO_SIG_ECDSA_SHA224:
	case HSO_SIG_ECDSA_P256_SHA256:
	case HSO_SIG_ECDSA_P384_SHA384:
	case HSO_SIG_ECDSA_P521_SHA512:
		return cert->key_type == HSO_KEY_EC_P256 || cert->key_type == HSO_KEY_EC_P384;
	default:
		return hso_cert_can_sign(cert, scheme);
	}
}

const char *
hso_key_type_name(enum hso_key_type type)
{
	switch (type) {
	case HSO_KEY_RSA:
		return "rsa";
	case HSO_KEY_EC_P256:
		return "ecdsa-p256";
	case HSO_KEY_EC_P384:
		return "ecdsa-p384";
	default:
		return "none";
	}
}
