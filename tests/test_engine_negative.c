/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hostile and broken clients against the handshake engine, in memory.
 *
 * Every case asserts the alert the RFCs ask for, twice: the sticky error
 * (hs_conn_error()) and the alert record the engine wrote, decoded as the
 * client would see it (plaintext before the server's keys, else opened
 * with the keys a scripted client derived on its own); then that the
 * failure is sticky: more input is refused with the same error and
 * produces no output.
 *
 * Three kinds of client:
 *  - records crafted by hand (handshake/codec.h writers, or raw bytes);
 *  - a real OpenSSL ClientHello, cut or mutated;
 *  - scripted TLS 1.3 and TLS 1.2 (ECDHE) clients built here from crypto/
 *    primitives (lean HKDF / PRF, transcript hash, record protection,
 *    ECDHE), following RFC 8446 7.1 and RFC 5246 5, 6.3, 8.1. They reach
 *    the states after ServerHello and misbehave there on purpose; each
 *    also completes a clean handshake first, so that a failure in a
 *    negative case is the engine's answer and not a broken client.
 */
#include <errno.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "check.h"
#include "engine_priv.h"  /* checks the handshake context is wiped */
#include "test_asym_keys.h"

/* Reset @p c; the handshake context it held is back in its pool, all zeros. */
static void
reset_wiped(struct hs_conn *c)
{
	const struct hs_hctx *hx = c->hx;

	hs_conn_reset(c);
	if (hx != NULL)
		CHECK_MSG(check_all_zero((const uint8_t *)hx, sizeof(*hx)),
			  "handshake context not wiped on return");
}

#define ALERT(d) HS_ERR_ALERT(HS_ALERT_##d)

static struct hs_config cfg;
static struct hs_worker *worker;
static struct hso_asym_ctx *asym;       /* the scripted clients' ECDHE */
static struct hso_imb_set imb;          /* the scripted clients' records */

/* ------------------------------------------------------------------ */
/* One engine connection and what it sent                             */
/* ------------------------------------------------------------------ */

struct tconn {
	struct hs_conn c;
	uint8_t *buf;
	uint8_t out[1 << 16];   /* everything the engine sent, in order */
	size_t out_len;
};

static void
tc_start(struct tconn *t)
{
	t->out_len = 0;
	t->buf = malloc(HS_CONN_BUF_SIZE);
	if (t->buf == NULL || hs_conn_init(&t->c, worker, t->buf, HS_CONN_BUF_SIZE) != 0)
		abort();
}

static void
tc_free(struct tconn *t)
{
	reset_wiped(&t->c);
	free(t->buf);
	t->buf = NULL;
}

static void
tc_drain(struct tconn *t)
{
	size_t len;
	const uint8_t *o = hs_conn_send_buf(&t->c, &len);

	if (len == 0)
		return;
	if (t->out_len + len > sizeof(t->out)) {
		CHECK_MSG(0, "engine output larger than the test's buffer");
		len = sizeof(t->out) - t->out_len;
	}
	memcpy(t->out + t->out_len, o, len);
	t->out_len += len;
	hs_conn_send_ack(&t->c, len);
}

/*
 * Client -> engine, as a socket would deliver it: as much as the engine
 * takes, crypto run after each chunk, output collected.
 * @return the sticky error (0 when none).
 */
static int
tc_feed(struct tconn *t, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t off = 0;

	while (off < n && hs_conn_status(&t->c) != HS_STATUS_FAILED) {
		size_t room, k;
		uint8_t *dst = hs_conn_recv_buf(&t->c, &room);

		if (room == 0) {
			if (hs_worker_run(worker) == 0)
				break;
			continue;
		}
		k = n - off < room ? n - off : room;
		memcpy(dst, p + off, k);
		off += k;
		hs_conn_recv_ack(&t->c, k);
		hs_worker_run(worker);
	}
	hs_worker_run(worker);
	tc_drain(t);
	return hs_conn_error(&t->c);
}

/*
 * FAILED with @p err, and sticky (BearSSL's br_ssl_engine_fail contract,
 * handshake.h): more input is refused with the same error and nothing
 * more goes out; the application calls fail the same way.
 */
static void
expect_failed(const char *what, struct tconn *t, int err)
{
	static const uint8_t more[] = { 22, 3, 3, 0, 4, 1, 0, 0, 0 };
	uint8_t *dst, app[16];
	size_t room, len;

	CHECK_MSG(hs_conn_status(&t->c) == HS_STATUS_FAILED, "%s: status %d, want FAILED",
		  what, hs_conn_status(&t->c));
	CHECK_MSG(hs_conn_error(&t->c) == err, "%s: error %d (alert %d), want %d (alert %d)",
		  what, hs_conn_error(&t->c), hs_err_alert(hs_conn_error(&t->c)), err,
		  hs_err_alert(err));
	hs_conn_send_buf(&t->c, &len);
	CHECK_MSG(len == 0, "%s: %zu bytes of output not drained", what, len);
	dst = hs_conn_recv_buf(&t->c, &room);
	if (room >= sizeof(more)) {
		memcpy(dst, more, sizeof(more));
		CHECK_MSG(hs_conn_recv_ack(&t->c, sizeof(more)) == err, "%s: not sticky", what);
	}
	hs_worker_run(worker);
	CHECK_MSG(hs_conn_app_read(&t->c, app, sizeof(app)) == err, "%s: app_read", what);
	CHECK_MSG(hs_conn_app_write(&t->c, app, sizeof(app)) == err, "%s: app_write", what);
	CHECK_MSG(hs_conn_close(&t->c) == err, "%s: close", what);
	hs_conn_send_buf(&t->c, &len);
	CHECK_MSG(len == 0, "%s: output after the failure", what);
	CHECK_MSG(hs_conn_status(&t->c) == HS_STATUS_FAILED, "%s: status moved", what);
}

/*
 * Failed before any key was in place: the engine's last bytes are the
 * plaintext fatal alert 15 03 03 00 02 02 <desc> (RFC 8446 6, 5.1).
 */
static void
expect_plain_alert(const char *what, struct tconn *t, uint8_t desc)
{
	const uint8_t want[7] = { HS_CT_ALERT, 3, 3, 0, 2, 2, desc };

	CHECK_MSG(t->out_len >= 7 && memcmp(t->out + t->out_len - 7, want, 7) == 0,
		  "%s: no plaintext fatal alert %d at the end of the output", what, desc);
	if (t->out_len >= 7 && memcmp(t->out + t->out_len - 7, want, 7) != 0)
		check_hexdump("output tail", t->out + t->out_len - 7, 7);
	expect_failed(what, t, HS_ERR_ALERT(desc));
}

/* A fresh connection fed @p n bytes must fail with plaintext alert @p desc. */
static void
one_shot(const char *what, const void *in, size_t n, uint8_t desc)
{
	struct tconn *t = calloc(1, sizeof(*t));

	tc_start(t);
	tc_feed(t, in, n);
	expect_plain_alert(what, t, desc);
	tc_free(t);
	free(t);
}

/* ------------------------------------------------------------------ */
/* ClientHello builder                                                */
/* ------------------------------------------------------------------ */

struct share {
	uint16_t group;
	uint16_t len;
	uint8_t key[136];
};

struct hello {
	uint16_t legacy_version;
	uint8_t random[32];
	uint8_t sid_len;
	uint8_t sid[32];
	uint8_t n_suites, n_versions, n_groups, n_shares, n_sigalgs;
	uint16_t suites[8];
	uint16_t versions[4];           /* none: no supported_versions */
	uint16_t groups[4];             /* none: no supported_groups */
	bool key_share;                 /* the extension, even with no entry */
	struct share shares[3];
	uint16_t sigalgs[4];
	bool early_data;
	bool dup_ext;                   /* extended_master_secret twice */
	bool ems;
	uint16_t pad_len;               /* a padding extension (RFC 7685) this long */
	bool deflate_only;              /* compression_methods {1}, no null */
};

static struct hs_block_mark
ext_begin(struct hs_writer *w, uint16_t type)
{
	hs_write_u16(w, type);
	return hs_writer_block_begin(w, 2);
}

static void
write_u16_list(struct hs_writer *w, unsigned width, const uint16_t *v, unsigned n)
{
	struct hs_block_mark l = hs_writer_block_begin(w, width);

	for (unsigned i = 0; i < n; i++)
		hs_write_u16(w, v[i]);
	hs_writer_block_end(w, l, 0xffff);
}

/* The whole ClientHello message (header included). */
static size_t
hello_write(const struct hello *h, uint8_t *out, size_t cap)
{
	struct hs_writer w;
	struct hs_block_mark m, exts, e, l;

	hs_writer_init(&w, out, cap);
	m = hs_msg_begin(&w, HS_MT_CLIENT_HELLO);
	hs_write_u16(&w, h->legacy_version);
	hs_write_bytes(&w, h->random, 32);
	hs_write_u8(&w, h->sid_len);
	hs_write_bytes(&w, h->sid, h->sid_len);
	write_u16_list(&w, 2, h->suites, h->n_suites);
	hs_write_u8(&w, 1);
	hs_write_u8(&w, h->deflate_only ? 1 : 0);
	exts = hs_writer_block_begin(&w, 2);
	if (h->n_versions) {
		e = ext_begin(&w, HS_EXT_SUPPORTED_VERSIONS);
		write_u16_list(&w, 1, h->versions, h->n_versions);
		hs_writer_block_end(&w, e, 0xffff);
	}
	if (h->n_groups) {
		e = ext_begin(&w, HS_EXT_SUPPORTED_GROUPS);
		write_u16_list(&w, 2, h->groups, h->n_groups);
		hs_writer_block_end(&w, e, 0xffff);
	}
	if (h->n_sigalgs) {
		e = ext_begin(&w, HS_EXT_SIGNATURE_ALGORITHMS);
		write_u16_list(&w, 2, h->sigalgs, h->n_sigalgs);
		hs_writer_block_end(&w, e, 0xffff);
	}
	if (h->key_share) {
		e = ext_begin(&w, HS_EXT_KEY_SHARE);
		l = hs_writer_block_begin(&w, 2);
		for (unsigned i = 0; i < h->n_shares; i++) {
			struct hs_block_mark k;

			hs_write_u16(&w, h->shares[i].group);
			k = hs_writer_block_begin(&w, 2);
			hs_write_bytes(&w, h->shares[i].key, h->shares[i].len);
			hs_writer_block_end(&w, k, 0xffff);
		}
		hs_writer_block_end(&w, l, 0xffff);
		hs_writer_block_end(&w, e, 0xffff);
	}
	if (h->ems || h->dup_ext) {
		e = ext_begin(&w, HS_EXT_EXTENDED_MASTER_SECRET);
		hs_writer_block_end(&w, e, 0);
	}
	if (h->dup_ext) {
		e = ext_begin(&w, HS_EXT_EXTENDED_MASTER_SECRET);
		hs_writer_block_end(&w, e, 0);
	}
	if (h->early_data) {
		e = ext_begin(&w, HS_EXT_EARLY_DATA);
		hs_writer_block_end(&w, e, 0);
	}
	if (h->pad_len) {
		e = ext_begin(&w, 21);
		for (unsigned i = 0; i < h->pad_len; i++)
			hs_write_u8(&w, 0);
		hs_writer_block_end(&w, e, 0xffff);
	}
	hs_writer_block_end(&w, exts, 0xffff);
	if (hs_msg_end(&w, m) != 0)
		abort();
	return w.off;
}

/* One plaintext record around @p frag; @return its length. */
static size_t
record(uint8_t type, const void *frag, size_t len, uint8_t *out)
{
	struct hs_writer w;

	hs_writer_init(&w, out, HS_RECORD_HEADER_LEN + len);
	hs_record_header_write(&w, type, 0x0303, len);
	hs_write_bytes(&w, frag, len);
	if (w.err)
		abort();
	return w.off;
}

static void
set_share(struct share *s, uint16_t group, const uint8_t *key, size_t len)
{
	s->group = group;
	s->len = (uint16_t)len;
	memcpy(s->key, key, len);
}

/* A TLS 1.3 hello: AES-128-GCM, X25519 and P-256, compatibility mode. */
static void
hello13(struct hello *h, const struct hso_ecdhe_key *k)
{
	memset(h, 0, sizeof(*h));
	h->legacy_version = 0x0303;
	RAND_bytes(h->random, 32);
	h->sid_len = 32;
	RAND_bytes(h->sid, 32);
	h->n_suites = 1;
	h->suites[0] = HS_TLS_AES_128_GCM_SHA256;
	h->n_versions = 1;
	h->versions[0] = HS_TLS13;
	h->n_groups = 2;
	h->groups[0] = HS_GROUP_X25519;
	h->groups[1] = HS_GROUP_SECP256R1;
	h->key_share = true;
	if (k != NULL) {
		h->n_shares = 1;
		set_share(&h->shares[0], k->group, k->pub, k->pub_len);
	}
	h->n_sigalgs = 2;
	h->sigalgs[0] = HS_SIG_ECDSA_SECP256R1_SHA256;
	h->sigalgs[1] = HS_SIG_RSA_PSS_RSAE_SHA256;
}

/* A TLS 1.2 hello without supported_versions: ECDHE-ECDSA-AES128-GCM-SHA256. */
static void
hello12(struct hello *h)
{
	memset(h, 0, sizeof(*h));
	h->legacy_version = 0x0303;
	RAND_bytes(h->random, 32);
	h->n_suites = 1;
	h->suites[0] = HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
	h->n_groups = 2;
	h->groups[0] = HS_GROUP_X25519;
	h->groups[1] = HS_GROUP_SECP256R1;
	h->n_sigalgs = 1;
	h->sigalgs[0] = HS_SIG_ECDSA_SECP256R1_SHA256;
}

/* A fresh connection given @p h in one record must fail with @p desc. */
static void
hello_fails(const char *what, const struct hello *h, uint8_t desc)
{
	uint8_t msg[2048], rec[2048 + 5];
	size_t n = hello_write(h, msg, sizeof(msg));

	one_shot(what, rec, record(HS_CT_HANDSHAKE, msg, n, rec), desc);
}

/* ------------------------------------------------------------------ */
/* Scripted clients                                                    */
/* ------------------------------------------------------------------ */

static void
hmac(enum hso_kdf_hash h, const uint8_t *key, size_t klen, const uint8_t *msg,
     size_t mlen, uint8_t *out)
{
	struct hso_hmac_key k;

	CHECK_EQ(hso_hmac_key_init(&k, h, key, klen), 0);
	CHECK_EQ(hso_hmac_lean(&k, msg, mlen, out), 0);
	hso_hmac_key_wipe(&k);
}

/* HKDF-Expand-Label(secret, label, ctx, len) (RFC 8446 7.1). */
static void
expand_label(enum hso_kdf_hash h, const uint8_t *secret, const char *label,
	     const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t len)
{
	struct hso_hmac_key k;

	CHECK_EQ(hso_hmac_key_init(&k, h, secret, hso_kdf_hash_len(h)), 0);
	CHECK_EQ(hso_kdf_expand_label_lean(&k, label, strlen(label), ctx, ctx_len, out, len), 0);
	hso_hmac_key_wipe(&k);
}

/* TLS 1.2 PRF(secret, label, seed) (RFC 5246 5). */
static void
prf(enum hso_kdf_hash h, const uint8_t *secret, size_t slen, const char *label,
    const uint8_t *seed, size_t seed_len, uint8_t *out, size_t len)
{
	struct hso_hmac_key k;

	CHECK_EQ(hso_hmac_key_init(&k, h, secret, slen), 0);
	CHECK_EQ(hso_kdf_prf_lean(&k, label, strlen(label), seed, seed_len, out, len), 0);
	hso_hmac_key_wipe(&k);
}

/* A scripted client and the engine connection it talks to. */
struct sc {
	struct tconn t;
	uint16_t version;
	struct hello h;
	uint8_t ch[1 << 16];            /* our ClientHello message */
	size_t ch_len;
	struct hso_ecdhe_key eph;

	/* negotiated */
	uint16_t suite;
	enum hso_kdf_hash kh;
	size_t hl, kl;
	enum hso_aead_alg alg;
	struct hso_hash th;
	uint8_t server_random[32];
	uint16_t peer_group;            /* TLS 1.2: from ServerKeyExchange */
	uint8_t peer_pub[HSO_ECDHE_PUB_MAX];
	size_t peer_pub_len;

	/* secrets */
	uint8_t hs[HSO_HASH_MAX_LEN], c_hs[HSO_HASH_MAX_LEN], s_hs[HSO_HASH_MAX_LEN];
	uint8_t c_ap[HSO_HASH_MAX_LEN], s_ap[HSO_HASH_MAX_LEN];
	uint8_t th_sf[HSO_HASH_MAX_LEN]; /* 1.3: CH..server Finished; 1.2: CH..CKE */
	uint8_t master[48];
	uint8_t key_block[40];

	/* record layer */
	struct hso_record_prot rd, wr;
	bool rd_on, wr_on;
	size_t rd_off;                  /* engine output consumed */
	uint8_t hbuf[1 << 15];          /* server handshake bytes not yet parsed */
	size_t hlen;
	uint8_t pend[1 << 17];          /* records not yet sent to the engine */
	size_t pend_len;

	/* what we saw */
	bool server_hello, hrr, server_done, shd;
	int alerts;                     /* alert records received */
	uint8_t alert[2];               /* the first one */
	int after_alert;                /* records received after it */
	int app_records;                /* application data records received */
	int bad_records;                /* did not open: our bug or the engine's */
};

static void
sc_queue_raw(struct sc *s, const void *p, size_t n)
{
	if (s->pend_len + n > sizeof(s->pend))
		abort();
	memcpy(s->pend + s->pend_len, p, n);
	s->pend_len += n;
}

/* One record of @p type: sealed once our write keys are on. */
static void
sc_queue(struct sc *s, uint8_t type, const void *data, size_t len)
{
	uint8_t rec[HSO_TLS12_CIPHERTEXT_MAX + 5];
	int n;

	if (!s->wr_on) {
		sc_queue_raw(s, rec, record(type, data, len, rec));
		return;
	}
	if (s->version == HS_TLS13)
		n = hso_tls13_record_seal(&s->wr, type, data, len, 0, rec, sizeof(rec));
	else
		n = hso_tls12_record_seal(&s->wr, type, 0x0303, data, len, rec, sizeof(rec));
	if (n < 0)
		abort();
	sc_queue_raw(s, rec, (size_t)n);
}

static void
sc_queue_plain(struct sc *s, uint8_t type, const void *data, size_t len)
{
	uint8_t rec[HS_RECORD_PLAINTEXT_MAX + 5];

	sc_queue_raw(s, rec, record(type, data, len, rec));
}

static int
sc_flush(struct sc *s)
{
	size_t n = s->pend_len;

	s->pend_len = 0;
	return tc_feed(&s->t, s->pend, n);
}

static void
prot13(struct sc *s, struct hso_record_prot *rp, const uint8_t *secret)
{
	uint8_t key[HSO_AEAD_KEY_MAX], iv[HSO_AEAD_NONCE_LEN];

	expand_label(s->kh, secret, "key", NULL, 0, key, s->kl);
	expand_label(s->kh, secret, "iv", NULL, 0, iv, sizeof(iv));
	CHECK_EQ(hso_record_prot_init(rp, &imb, HSO_TLS13, s->alg, key, s->kl, iv, sizeof(iv)), 0);
}

/* key_block = client key, server key, client IV, server IV (RFC 5246 6.3). */
static void
prot12(struct sc *s, struct hso_record_prot *rp, bool client)
{
	const uint8_t *kb = s->key_block;

	CHECK_EQ(hso_record_prot_init(rp, &imb, HSO_TLS12, s->alg, kb + (client ? 0 : s->kl),
				      s->kl, kb + 2 * s->kl + (client ? 0 : 4), 4), 0);
}

/* ServerHello (TLS 1.3): shared secret, handshake secrets, read keys. */
static void
sc_server_hello13(struct sc *s, const uint8_t *m, size_t len)
{
	static const uint8_t zeros[HSO_HASH_MAX_LEN];
	struct hs_reader r, exts, e, v;
	uint8_t shared[HSO_ECDHE_SECRET_MAX], early[HSO_HASH_MAX_LEN];
	uint8_t derived[HSO_HASH_MAX_LEN], empty[HSO_HASH_MAX_LEN], th[HSO_HASH_MAX_LEN];
	const uint8_t *key = NULL;
	size_t key_len = 0, sl = 0;

	hs_reader_init(&r, m + 4, len - 4);
	hs_read_u16(&r);
	memcpy(s->server_random, hs_read_bytes(&r, 32), 32);
	if (memcmp(s->server_random, hs_hrr_random, 32) == 0) {
		s->hrr = true;
		return;
	}
	hs_reader_block(&r, 1, 0, 32, &v);
	s->suite = hs_read_u16(&r);
	hs_read_u8(&r);
	hs_reader_block(&r, 2, 0, 0xffff, &exts);
	while (hs_reader_left(&exts) > 0) {
		uint16_t type = hs_read_u16(&exts);

		hs_reader_block(&exts, 2, 0, 0xffff, &e);
		if (type == HS_EXT_KEY_SHARE) {
			hs_read_u16(&e);
			hs_reader_block(&e, 2, 1, 0xffff, &v);
			key = v.p;
			key_len = v.len;
		}
	}
	CHECK_MSG(!r.err && key != NULL, "ServerHello undecodable");
	if (r.err || key == NULL)
		return;
	s->kh = s->suite == HS_TLS_AES_256_GCM_SHA384 ? HSO_KDF_SHA384 : HSO_KDF_SHA256;
	s->hl = hso_kdf_hash_len(s->kh);
	s->kl = s->suite == HS_TLS_AES_128_GCM_SHA256 ? 16 : 32;
	s->alg = s->suite == HS_TLS_AES_128_GCM_SHA256 ? HSO_AEAD_AES128_GCM :
		 s->suite == HS_TLS_AES_256_GCM_SHA384 ? HSO_AEAD_AES256_GCM :
		 HSO_AEAD_CHACHA20_POLY1305;
	hso_hash_init(&s->th, (enum hso_hash_alg)s->kh);
	hso_hash_update(&s->th, s->ch, s->ch_len);
	hso_hash_update(&s->th, m, len);
	hso_hash_peek(&s->th, th);
	CHECK_EQ(hso_ecdhe_key_derive(asym, &s->eph, key, key_len, shared, sizeof(shared), &sl), 0);
	/* RFC 8446 7.1, without PSK: Early Secret = HKDF-Extract(0, 0). */
	hmac(s->kh, zeros, s->hl, zeros, s->hl, early);
	hso_hash_digest((enum hso_hash_alg)s->kh, NULL, 0, empty);
	expand_label(s->kh, early, "derived", empty, s->hl, derived, s->hl);
	hmac(s->kh, derived, s->hl, shared, sl, s->hs);
	expand_label(s->kh, s->hs, "c hs traffic", th, s->hl, s->c_hs, s->hl);
	expand_label(s->kh, s->hs, "s hs traffic", th, s->hl, s->s_hs, s->hl);
	prot13(s, &s->rd, s->s_hs);
	prot13(s, &s->wr, s->c_hs);
	s->rd_on = true;
	s->server_hello = true;
	OPENSSL_cleanse(shared, sizeof(shared));
}

/* Server Finished (TLS 1.3): check it, derive the application secrets. */
static void
sc_server_finished13(struct sc *s, const uint8_t *m, size_t len)
{
	static const uint8_t zeros[HSO_HASH_MAX_LEN];
	uint8_t fk[HSO_HASH_MAX_LEN], th[HSO_HASH_MAX_LEN], want[HSO_HASH_MAX_LEN];
	uint8_t empty[HSO_HASH_MAX_LEN], derived[HSO_HASH_MAX_LEN], master[HSO_HASH_MAX_LEN];

	hso_hash_peek(&s->th, th);
	expand_label(s->kh, s->s_hs, "finished", NULL, 0, fk, s->hl);
	hmac(s->kh, fk, s->hl, th, s->hl, want);
	CHECK_MSG(len == 4 + s->hl && memcmp(m + 4, want, s->hl) == 0,
		  "server Finished does not verify");
	hso_hash_update(&s->th, m, len);
	hso_hash_peek(&s->th, s->th_sf);
	hso_hash_digest((enum hso_hash_alg)s->kh, NULL, 0, empty);
	expand_label(s->kh, s->hs, "derived", empty, s->hl, derived, s->hl);
	hmac(s->kh, derived, s->hl, zeros, s->hl, master);
	expand_label(s->kh, master, "c ap traffic", s->th_sf, s->hl, s->c_ap, s->hl);
	expand_label(s->kh, master, "s ap traffic", s->th_sf, s->hl, s->s_ap, s->hl);
	/* Whatever the server sends next is under its application keys. */
	prot13(s, &s->rd, s->s_ap);
	s->server_done = true;
}

static void
sc_msg13(struct sc *s, const uint8_t *m, size_t len)
{
	switch (m[0]) {
	case HS_MT_SERVER_HELLO:
		sc_server_hello13(s, m, len);
		break;
	case HS_MT_FINISHED:
		sc_server_finished13(s, m, len);
		break;
	default:
		/* EncryptedExtensions, Certificate, CertificateVerify. */
		if (!s->server_done)
			hso_hash_update(&s->th, m, len);
		break;
	}
}

/* TLS 1.2 master secret, key block, client Finished's transcript. */
static void
sc_keys12(struct sc *s, const uint8_t *pms, size_t pms_len)
{
	uint8_t seed[64];

	memcpy(seed, s->h.random, 32);
	memcpy(seed + 32, s->server_random, 32);
	prf(s->kh, pms, pms_len, "master secret", seed, 64, s->master, 48);
	memcpy(seed, s->server_random, 32);
	memcpy(seed + 32, s->h.random, 32);
	prf(s->kh, s->master, 48, "key expansion", seed, 64, s->key_block,
	    2 * s->kl + 2 * 4);
}

static void
sc_msg12(struct sc *s, const uint8_t *m, size_t len)
{
	struct hs_reader r, v;

	switch (m[0]) {
	case HS_MT_SERVER_HELLO:
		hs_reader_init(&r, m + 4, len - 4);
		hs_read_u16(&r);
		memcpy(s->server_random, hs_read_bytes(&r, 32), 32);
		hs_reader_block(&r, 1, 0, 32, &v);
		s->suite = hs_read_u16(&r);
		CHECK_MSG(s->suite == HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ||
			  s->suite == HS_TLS_RSA_WITH_AES_128_GCM_SHA256,
			  "TLS 1.2 suite %#x", s->suite);
		s->kh = HSO_KDF_SHA256;
		s->hl = 32;
		s->kl = 16;
		s->alg = HSO_AEAD_AES128_GCM;
		hso_hash_init(&s->th, HSO_HASH_SHA256);
		hso_hash_update(&s->th, s->ch, s->ch_len);
		s->server_hello = true;
		break;
	case HS_MT_SERVER_KEY_EXCHANGE:
		/* ServerECDHParams: named_curve(3), group, ECPoint<1..255>. */
		hs_reader_init(&r, m + 4, len - 4);
		CHECK_EQ(hs_read_u8(&r), 3);
		s->peer_group = hs_read_u16(&r);
		hs_reader_block(&r, 1, 1, 255, &v);
		if (!r.err && v.len <= sizeof(s->peer_pub)) {
			memcpy(s->peer_pub, v.p, v.len);
			s->peer_pub_len = v.len;
		}
		break;
	case HS_MT_SERVER_HELLO_DONE:
		s->shd = true;
		break;
	case HS_MT_FINISHED: {
		uint8_t th[HSO_HASH_MAX_LEN], want[12];

		hso_hash_peek(&s->th, th);
		prf(s->kh, s->master, 48, "server finished", th, s->hl, want, 12);
		CHECK_MSG(len == 16 && memcmp(m + 4, want, 12) == 0,
			  "TLS 1.2 server Finished does not verify");
		s->server_done = true;
		return;
	}
	default:
		break;
	}
	hso_hash_update(&s->th, m, len);
}

/* Read everything the engine sent since last time. */
static void
sc_pump(struct sc *s)
{
	struct tconn *t = &s->t;

	while (t->out_len - s->rd_off >= 5) {
		uint8_t rec[HSO_TLS12_CIPHERTEXT_MAX + 5];
		const uint8_t *p = t->out + s->rd_off, *content;
		size_t n = 5 + ((size_t)p[3] << 8 | p[4]);
		uint8_t type = p[0];
		int len;

		if (t->out_len - s->rd_off < n || n > sizeof(rec))
			break;
		s->rd_off += n;
		if (s->alerts > 0)
			s->after_alert++;
		if (type == HS_CT_CHANGE_CIPHER_SPEC) {
			/* TLS 1.2: the server's next records are under its keys. */
			if (s->version == HS_TLS12) {
				prot12(s, &s->rd, false);
				s->rd_on = true;
			}
			continue;
		}
		memcpy(rec, p, n);
		if (s->rd_on && s->version == HS_TLS13) {
			len = hso_tls13_record_open(&s->rd, rec, n, rec + 5, &type);
			content = rec + 5;
		} else if (s->rd_on) {
			size_t off = hso_record_prot_payload_offset(&s->rd);

			len = hso_tls12_record_open(&s->rd, rec, n, rec + off);
			content = rec + off;
		} else {
			len = (int)n - 5;
			content = rec + 5;
		}
		if (len < 0) {
			s->bad_records++;
			continue;
		}
		if (type == HS_CT_ALERT) {
			if (s->alerts++ == 0 && len == 2)
				memcpy(s->alert, content, 2);
			continue;
		}
		if (type == HS_CT_APPLICATION_DATA)
			s->app_records++;
		if (type != HS_CT_HANDSHAKE)
			continue;
		if (s->hlen + (size_t)len > sizeof(s->hbuf))
			abort();
		memcpy(s->hbuf + s->hlen, content, (size_t)len);
		s->hlen += (size_t)len;
		while (s->hlen >= 4) {
			size_t ml = 4 + ((size_t)s->hbuf[1] << 16 | (size_t)s->hbuf[2] << 8 |
					 s->hbuf[3]);

			if (s->hlen < ml)
				break;
			if (s->version == HS_TLS13)
				sc_msg13(s, s->hbuf, ml);
			else
				sc_msg12(s, s->hbuf, ml);
			memmove(s->hbuf, s->hbuf + ml, s->hlen - ml);
			s->hlen -= ml;
		}
	}
}

static struct sc *
sc_new(uint16_t version)
{
	struct sc *s = calloc(1, sizeof(*s));

	if (s == NULL)
		abort();
	s->version = version;
	tc_start(&s->t);
	if (version == HS_TLS13) {
		CHECK_EQ(hso_ecdhe_key_generate(asym, HS_GROUP_X25519, &s->eph), 0);
		hello13(&s->h, &s->eph);
	} else {
		hello12(&s->h);
	}
	return s;
}

static void
sc_free(struct sc *s)
{
	hso_ecdhe_key_clear(&s->eph);
	hso_record_prot_wipe(&s->rd);
	hso_record_prot_wipe(&s->wr);
	tc_free(&s->t);
	free(s);
}

/*
 * Queue our ClientHello (s->h), in records of at most 2^14 bytes; later
 * queued records follow it in one read.
 */
static void
sc_hello(struct sc *s)
{
	s->ch_len = hello_write(&s->h, s->ch, sizeof(s->ch));
	for (size_t off = 0; off < s->ch_len; off += HS_RECORD_PLAINTEXT_MAX)
		sc_queue_plain(s, HS_CT_HANDSHAKE, s->ch + off,
			       s->ch_len - off < HS_RECORD_PLAINTEXT_MAX ? s->ch_len - off
									: HS_RECORD_PLAINTEXT_MAX);
}

/* ClientHello out, the server's flight in: ready for our second flight. */
static bool
sc_to_client_flight(struct sc *s)
{
	sc_hello(s);
	sc_flush(s);
	sc_pump(s);
	if (s->version == HS_TLS13)
		return s->server_done && hs_conn_status(&s->t.c) == HS_STATUS_HANDSHAKING;
	return s->shd && hs_conn_status(&s->t.c) == HS_STATUS_HANDSHAKING;
}

/* TLS 1.3 client Finished (wrong when @p bad), then our application keys. */
static void
sc_finished13(struct sc *s, bool bad)
{
	uint8_t fk[HSO_HASH_MAX_LEN], msg[4 + HSO_HASH_MAX_LEN] = { HS_MT_FINISHED, 0, 0 };

	msg[3] = (uint8_t)s->hl;
	expand_label(s->kh, s->c_hs, "finished", NULL, 0, fk, s->hl);
	/* RFC 8446 4.4.4: HMAC(finished_key, Transcript-Hash(CH..server Finished)). */
	hmac(s->kh, fk, s->hl, s->th_sf, s->hl, msg + 4);
	if (bad)
		msg[4 + s->hl - 1] ^= 0x01;
	s->wr_on = true;
	sc_queue(s, HS_CT_HANDSHAKE, msg, 4 + s->hl);
	prot13(s, &s->wr, s->c_ap);
}

/* TLS 1.2 ClientKeyExchange (ECDHE), plaintext. */
static void
sc_cke12(struct sc *s)
{
	struct hso_ecdhe_key k = { 0 };
	uint8_t pms[HSO_ECDHE_SECRET_MAX], msg[4 + 1 + HSO_ECDHE_PUB_MAX];
	size_t pl = 0;

	CHECK_EQ(hso_ecdhe_key_generate(asym, s->peer_group, &k), 0);
	CHECK_EQ(hso_ecdhe_key_derive(asym, &k, s->peer_pub, s->peer_pub_len, pms,
				      sizeof(pms), &pl), 0);
	msg[0] = HS_MT_CLIENT_KEY_EXCHANGE;
	msg[1] = 0;
	msg[2] = 0;
	msg[3] = (uint8_t)(1 + k.pub_len);
	msg[4] = k.pub_len;
	memcpy(msg + 5, k.pub, k.pub_len);
	hso_hash_update(&s->th, msg, 5u + k.pub_len);
	hso_hash_peek(&s->th, s->th_sf);
	sc_keys12(s, pms, pl);
	sc_queue_plain(s, HS_CT_HANDSHAKE, msg, 5u + k.pub_len);
	hso_ecdhe_key_clear(&k);
	OPENSSL_cleanse(pms, sizeof(pms));
}

/* TLS 1.2 ChangeCipherSpec, then Finished (wrong when @p bad) under our keys. */
static void
sc_ccs_finished12(struct sc *s, bool bad)
{
	static const uint8_t one = 1;
	uint8_t msg[16] = { HS_MT_FINISHED, 0, 0, 12 };

	sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, &one, 1);
	prot12(s, &s->wr, true);
	s->wr_on = true;
	/* RFC 5246 7.4.9: PRF(master_secret, "client finished", Hash(handshake_messages)). */
	prf(s->kh, s->master, 48, "client finished", s->th_sf, s->hl, msg + 4, 12);
	if (bad)
		msg[15] ^= 0x80;
	hso_hash_update(&s->th, msg, sizeof(msg));
	sc_queue(s, HS_CT_HANDSHAKE, msg, sizeof(msg));
}

/* A whole clean handshake; true when both sides finished. */
static bool
sc_handshake(struct sc *s)
{
	if (!sc_to_client_flight(s))
		return false;
	if (s->version == HS_TLS13) {
		sc_finished13(s, false);
	} else {
		sc_cke12(s);
		sc_ccs_finished12(s, false);
	}
	sc_flush(s);
	sc_pump(s);
	return hs_conn_status(&s->t.c) == HS_STATUS_ESTABLISHED && s->server_done &&
	       s->bad_records == 0;
}

/*
 * The engine failed with @p desc: its last record, opened with the keys
 * we derived (or read as plaintext when it had none), is that fatal
 * alert, and nothing follows it.
 */
static void
sc_expect_alert(const char *what, struct sc *s, uint8_t desc)
{
	sc_pump(s);
	CHECK_MSG(s->bad_records == 0, "%s: %d engine records did not open", what,
		  s->bad_records);
	CHECK_MSG(s->alerts == 1 && s->alert[0] == 2 && s->alert[1] == desc,
		  "%s: %d alerts, first %d/%d, want fatal %d", what, s->alerts, s->alert[0],
		  s->alert[1], desc);
	CHECK_MSG(s->after_alert == 0, "%s: %d records after the alert", what, s->after_alert);
	expect_failed(what, &s->t, HS_ERR_ALERT(desc));
}

/* ------------------------------------------------------------------ */
/* Record layer                                                        */
/* ------------------------------------------------------------------ */

static void
test_records(void)
{
	uint8_t big[5 + HS_RECORD_PLAINTEXT_MAX + 1] = { HS_CT_HANDSHAKE, 3, 3, 0x40, 0x01 };

	/*
	 * RFC 8446 5.1: "The length MUST NOT exceed 2^14 bytes. An endpoint
	 * that receives a record that exceeds this length MUST terminate the
	 * connection with a "record_overflow" alert." Refused on the header,
	 * and again with the whole fragment there.
	 */
	one_shot("plaintext record 2^14 + 1, header only", big, 5, HS_ALERT_RECORD_OVERFLOW);
	one_shot("plaintext record 2^14 + 1, whole", big, sizeof(big), HS_ALERT_RECORD_OVERFLOW);
	big[3] = 0xff;
	big[4] = 0xff;
	one_shot("plaintext record 2^16 - 1", big, 5, HS_ALERT_RECORD_OVERFLOW);

	/*
	 * RFC 8446 5: "If a TLS implementation receives an unexpected record
	 * type, it MUST terminate the connection with an "unexpected_message"
	 * alert." Heartbeat (24), 0 and 255 are not TLS 1.3 content types.
	 */
	{
		static const uint8_t types[] = { 0, 19, 24, 255 };

		for (size_t i = 0; i < sizeof(types); i++) {
			uint8_t rec[8] = { types[i], 3, 3, 0, 3, 1, 0, 0 };
			char what[64];

			snprintf(what, sizeof(what), "record content type %d", types[i]);
			one_shot(what, rec, sizeof(rec), HS_ALERT_UNEXPECTED_MESSAGE);
		}
	}

	/*
	 * A record whose major version is not 3 is not TLS: protocol_version
	 * (hs_record_parse(); OpenSSL answers the same way).
	 */
	{
		static const uint8_t v[][2] = { { 2, 0 }, { 4, 3 }, { 0, 0 }, { 0xfe, 0xfd } };

		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			uint8_t rec[9] = { HS_CT_HANDSHAKE, v[i][0], v[i][1], 0, 4, 1, 0, 0, 0 };
			char what[64];

			snprintf(what, sizeof(what), "record version %d.%d", v[i][0], v[i][1]);
			one_shot(what, rec, sizeof(rec), HS_ALERT_PROTOCOL_VERSION);
		}
	}

	/*
	 * An SSL 2.0 CLIENT-HELLO (RFC 6101 E.2 framing: 2-byte length with
	 * the top bit set, msg_type 1, version 3.1). RFC 8446 D.5: servers
	 * are "NOT RECOMMENDED to accept" it; its first byte (0x80) is no TLS
	 * content type, so the record layer's MUST above applies:
	 * unexpected_message. No RFC names protocol_version for it.
	 */
	{
		uint8_t v2[2 + 9 + 3 + 16] = { 0x80, 9 + 3 + 16, 1, 3, 1, 0, 3, 0, 0, 0, 16,
					       0x00, 0xc0, 0x2f };

		one_shot("SSLv2 CLIENT-HELLO", v2, sizeof(v2), HS_ALERT_UNEXPECTED_MESSAGE);
	}

	/*
	 * RFC 8446 5.1: "Implementations MUST NOT send zero-length fragments
	 * of Handshake types, even if those fragments contain padding."
	 */
	{
		static const uint8_t rec[5] = { HS_CT_HANDSHAKE, 3, 3, 0, 0 };

		one_shot("zero-length handshake record", rec, sizeof(rec),
			 HS_ALERT_UNEXPECTED_MESSAGE);
	}

	/*
	 * A handshake message longer than the policy's limit
	 * (HS_MAX_MSG_DEFAULT, 131396): decode_error on its header, whole in
	 * one record and split across two (the gathering path).
	 */
	{
		uint8_t rec[16] = { HS_CT_HANDSHAKE, 3, 3, 0, 4, HS_MT_CLIENT_HELLO,
				    (HS_MAX_MSG_DEFAULT + 1) >> 16,
				    (uint8_t)((HS_MAX_MSG_DEFAULT + 1) >> 8),
				    (uint8_t)(HS_MAX_MSG_DEFAULT + 1) };
		uint8_t two[12] = { HS_CT_HANDSHAKE, 3, 3, 0, 2, HS_MT_CLIENT_HELLO,
				    (HS_MAX_MSG_DEFAULT + 1) >> 16,
				    HS_CT_HANDSHAKE, 3, 3, 0, 2 };
		uint8_t both[14];

		one_shot("handshake message over the limit", rec, 9, HS_ALERT_DECODE_ERROR);
		rec[6] = 0xff;
		rec[7] = 0xff;
		rec[8] = 0xff;
		one_shot("handshake message 2^24 - 1", rec, 9, HS_ALERT_DECODE_ERROR);
		memcpy(both, two, 12);
		both[12] = (uint8_t)((HS_MAX_MSG_DEFAULT + 1) >> 8);
		both[13] = (uint8_t)(HS_MAX_MSG_DEFAULT + 1);
		one_shot("handshake message over the limit, header split", both, 14,
			 HS_ALERT_DECODE_ERROR);
	}

	/* The wrong first message: only a ClientHello may open (RFC 8446 4.1.2). */
	{
		static const uint8_t first[] = { HS_MT_CERTIFICATE, HS_MT_FINISHED,
						 HS_MT_SERVER_HELLO, HS_MT_CLIENT_KEY_EXCHANGE,
						 HS_MT_KEY_UPDATE, HS_MT_END_OF_EARLY_DATA, 99 };

		for (size_t i = 0; i < sizeof(first); i++) {
			uint8_t rec[5 + 4 + 4] = { HS_CT_HANDSHAKE, 3, 3, 0, 8, first[i], 0, 0, 4 };
			char what[64];

			snprintf(what, sizeof(what), "handshake type %d before ClientHello", first[i]);
			one_shot(what, rec, sizeof(rec), HS_ALERT_UNEXPECTED_MESSAGE);
		}
	}

	/*
	 * RFC 8446 5: a change_cipher_spec is only dropped "after the first
	 * ClientHello"; before it, and with any value but 1, it is
	 * unexpected_message ("An implementation which receives any other
	 * change_cipher_spec value ... MUST abort the handshake with an
	 * "unexpected_message" alert").
	 */
	{
		static const uint8_t ccs[6] = { HS_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1 };
		static const uint8_t app[8] = { HS_CT_APPLICATION_DATA, 3, 3, 0, 3, 1, 2, 3 };

		one_shot("ChangeCipherSpec before ClientHello", ccs, sizeof(ccs),
			 HS_ALERT_UNEXPECTED_MESSAGE);
		/* RFC 8446 5 / RFC 5246 6.2.1: no application data before keys. */
		one_shot("application data before ClientHello", app, sizeof(app),
			 HS_ALERT_UNEXPECTED_MESSAGE);
	}

	/* An alert record that is not 2 bytes long cannot be decoded. */
	{
		static const uint8_t a3[8] = { HS_CT_ALERT, 3, 3, 0, 3, 2, 40, 0 };
		static const uint8_t a1[6] = { HS_CT_ALERT, 3, 3, 0, 1, 2 };

		one_shot("alert of 3 bytes", a3, sizeof(a3), HS_ALERT_DECODE_ERROR);
		one_shot("alert of 1 byte", a1, sizeof(a1), HS_ALERT_DECODE_ERROR);
	}

	/*
	 * RFC 8446 5.1: "Handshake messages MUST NOT be interleaved with other
	 * record types." Half a ClientHello, a warning alert that would
	 * otherwise be ignored (user_canceled), then the rest.
	 */
	{
		struct hello h;
		uint8_t msg[1024], in[1200];
		static const uint8_t alert[2] = { 1, HS_ALERT_USER_CANCELED };
		static const uint8_t one = 1;
		size_t n, k;

		hello13(&h, NULL);
		n = hello_write(&h, msg, sizeof(msg));
		k = record(HS_CT_HANDSHAKE, msg, 40, in);
		k += record(HS_CT_ALERT, alert, 2, in + k);
		k += record(HS_CT_HANDSHAKE, msg + 40, n - 40, in + k);
		one_shot("alert inside a fragmented ClientHello", in, k,
			 HS_ALERT_UNEXPECTED_MESSAGE);
		k = record(HS_CT_HANDSHAKE, msg, 40, in);
		k += record(HS_CT_CHANGE_CIPHER_SPEC, &one, 1, in + k);
		k += record(HS_CT_HANDSHAKE, msg + 40, n - 40, in + k);
		one_shot("CCS inside a fragmented ClientHello", in, k,
			 HS_ALERT_UNEXPECTED_MESSAGE);
	}
}

/* ------------------------------------------------------------------ */
/* ClientHello contents                                                */
/* ------------------------------------------------------------------ */

/* A real OpenSSL client's first flight (records), or 0. */
static size_t
openssl_hello(int max_version, int seclevel0, uint8_t *out, size_t cap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	int n;

	if (seclevel0) {
		/* OpenSSL 3 needs security level 0 for TLS 1.0 / 1.1. */
		SSL_CTX_set_security_level(ctx, 0);
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	}
	if (max_version)
		SSL_CTX_set_max_proto_version(ctx, max_version);
	ssl = SSL_new(ctx);
	SSL_set_bio(ssl, rb, wb);
	SSL_set_tlsext_host_name(ssl, "ec.test");
	SSL_set_connect_state(ssl);
	SSL_do_handshake(ssl);
	n = BIO_read(wb, out, (int)cap);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return n > 0 ? (size_t)n : 0;
}

static void
test_truncated_hello(void)
{
	uint8_t rec[4096], in[4096 + 9];
	size_t n = openssl_hello(0, 0, rec, sizeof(rec));
	const uint8_t *body = rec + 9;
	size_t blen, plain_end, cuts = 0;

	CHECK(n > 9 && rec[0] == HS_CT_HANDSHAKE && rec[5] == HS_MT_CLIENT_HELLO);
	if (n <= 9)
		return;
	blen = (size_t)rec[6] << 16 | (size_t)rec[7] << 8 | rec[8];
	CHECK_EQ(5 + 4 + blen, n);
	/* Where a TLS 1.2 hello without extensions would end. */
	plain_end = 2 + 32;
	plain_end += 1 + body[plain_end];
	plain_end += 2 + ((size_t)body[plain_end] << 8 | body[plain_end + 1]);
	plain_end += 1 + body[plain_end];

	/*
	 * Every cut of the body, framed as a complete message in a complete
	 * record: RFC 8446 6.2 decode_error, "A message could not be decoded
	 * because some field was out of the specified range or the length of
	 * the message was incorrect."
	 */
	for (size_t cut = 0; cut < blen; cut++) {
		struct tconn *t = calloc(1, sizeof(*t));
		struct hs_writer w;
		char what[64];

		hs_writer_init(&w, in, sizeof(in));
		hs_record_header_write(&w, HS_CT_HANDSHAKE, 0x0301, 4 + cut);
		hs_write_u8(&w, HS_MT_CLIENT_HELLO);
		hs_write_u24(&w, (uint32_t)cut);
		hs_write_bytes(&w, body, cut);
		tc_start(t);
		tc_feed(t, in, w.off);
		snprintf(what, sizeof(what), "ClientHello cut at %zu of %zu", cut, blen);
		if (cut == plain_end)
			/*
			 * Exactly the legacy fields: a well-formed TLS 1.2 hello
			 * without extensions. Nothing to decode wrong; it fails
			 * on negotiation instead (no signature_algorithms: its
			 * SHA-1 default is not signed with, RFC 5246 7.4.1.4.1).
			 */
			expect_plain_alert(what, t, HS_ALERT_HANDSHAKE_FAILURE);
		else
			expect_plain_alert(what, t, HS_ALERT_DECODE_ERROR);
		cuts++;
		tc_free(t);
		free(t);
	}
	printf("truncated ClientHello: %zu cuts\n", cuts);
}

static void
test_hello_contents(void)
{
	struct hello h;

	/*
	 * RFC 8446 4.2: "There MUST NOT be more than one extension of the same
	 * type in a given extension block." (illegal_parameter per the
	 * client_hello.h contract, as OpenSSL and BoringSSL answer).
	 */
	hello13(&h, NULL);
	h.dup_ext = true;
	hello_fails("duplicated extension", &h, HS_ALERT_ILLEGAL_PARAMETER);

	/*
	 * RFC 8446 4.1.2 / E.1: a server that cannot negotiate a version the
	 * client supports "MUST" abort with protocol_version.
	 */
	hello12(&h);
	h.legacy_version = 0x0302;
	hello_fails("TLS 1.1 hello (legacy_version 3.2)", &h, HS_ALERT_PROTOCOL_VERSION);
	h.legacy_version = 0x0300;
	hello_fails("SSL 3.0 hello", &h, HS_ALERT_PROTOCOL_VERSION);
	{
		uint8_t rec[4096];
		size_t n = openssl_hello(TLS1_1_VERSION, 1, rec, sizeof(rec));

		if (n > 0)
			one_shot("OpenSSL client, TLS 1.1 at most", rec, n,
				 HS_ALERT_PROTOCOL_VERSION);
		else
			printf("OpenSSL would not send a TLS 1.1 hello: case skipped\n");
	}
	/*
	 * RFC 8446 4.2.1: with supported_versions present, servers "MUST use
	 * only the "supported_versions" extension to determine client
	 * preferences"; none we know: protocol_version.
	 */
	hello13(&h, NULL);
	h.n_versions = 3;
	h.versions[0] = 0x7f1c;         /* a TLS 1.3 draft */
	h.versions[1] = 0x0a0a;         /* GREASE */
	h.versions[2] = 0x0305;
	hello_fails("supported_versions with only unknown versions", &h,
		    HS_ALERT_PROTOCOL_VERSION);
	h.n_versions = 1;
	h.versions[0] = 0x0302;
	hello_fails("supported_versions TLS 1.1 only", &h, HS_ALERT_PROTOCOL_VERSION);

	/*
	 * The null compression method missing: RFC 8446 4.1.2 asks for
	 * illegal_parameter; RFC 5246 7.4.1.2 names no alert, hso answers
	 * the same in TLS 1.2.
	 */
	hello13(&h, NULL);
	h.deflate_only = true;
	hello_fails("TLS 1.3 hello, deflate only", &h, HS_ALERT_ILLEGAL_PARAMETER);
	hello12(&h);
	h.deflate_only = true;
	hello_fails("TLS 1.2 hello, deflate only", &h, HS_ALERT_ILLEGAL_PARAMETER);

	/* A TLS 1.3-only client, a TLS 1.2-only policy. */
	{
		struct hso_ecdhe_key k = { 0 };

		CHECK_EQ(hso_ecdhe_key_generate(asym, HS_GROUP_X25519, &k), 0);
		hello13(&h, &k);
		cfg.nego.tls13 = false;
		hello_fails("TLS 1.3-only client, tls13=false", &h, HS_ALERT_PROTOCOL_VERSION);
		cfg.nego.tls13 = true;
		hso_ecdhe_key_clear(&k);
	}

	/*
	 * RFC 7507 3: TLS_FALLBACK_SCSV with a highest client version below
	 * ours: the server "MUST respond with a fatal inappropriate_fallback
	 * alert". Our highest is TLS 1.3; the client offers TLS 1.2.
	 */
	hello12(&h);
	h.n_suites = 2;
	h.suites[1] = HS_TLS_FALLBACK_SCSV;
	hello_fails("TLS_FALLBACK_SCSV, client max TLS 1.2", &h,
		    HS_ALERT_INAPPROPRIATE_FALLBACK);
	h.n_versions = 1;
	h.versions[0] = HS_TLS12;
	hello_fails("TLS_FALLBACK_SCSV, supported_versions {1.2}", &h,
		    HS_ALERT_INAPPROPRIATE_FALLBACK);
	/* ... and none when TLS 1.2 is our highest too: the handshake goes on. */
	{
		struct tconn *t = calloc(1, sizeof(*t));
		uint8_t msg[1024], rec[1100];

		h.n_versions = 0;
		cfg.nego.tls13 = false;
		tc_start(t);
		tc_feed(t, rec, record(HS_CT_HANDSHAKE, msg, hello_write(&h, msg, sizeof(msg)), rec));
		CHECK_MSG(hs_conn_status(&t->c) == HS_STATUS_HANDSHAKING && t->out_len > 0,
			  "SCSV at our max: status %d err %d", hs_conn_status(&t->c),
			  hs_conn_error(&t->c));
		cfg.nego.tls13 = true;
		tc_free(t);
		free(t);
	}
}

/* ------------------------------------------------------------------ */
/* Key shares and HelloRetryRequest                                   */
/* ------------------------------------------------------------------ */

static void
test_key_shares(void)
{
	struct hso_ecdhe_key p256 = { 0 }, x = { 0 };
	struct hello h;
	uint8_t pt[65];

	CHECK_EQ(hso_ecdhe_key_generate(asym, HS_GROUP_SECP256R1, &p256), 0);
	CHECK_EQ(hso_ecdhe_key_generate(asym, HS_GROUP_X25519, &x), 0);

	/*
	 * RFC 8446 4.2.8.2: peers "MUST validate" the other's public key
	 * (on the curve, uncompressed, RFC 8446 4.2.8.2 "MUST be
	 * UncompressedPointRepresentation"); RFC 8446 6: illegal_parameter,
	 * "A field in the handshake was incorrect or inconsistent".
	 * The client offers P-256 only, so its share is the one used.
	 */
	{
		struct {
			const char *what;
			size_t len;
		} bad[] = {
			{ "P-256 share off the curve", 65 },
			{ "P-256 share of 64 bytes", 64 },
			{ "P-256 share of 66 bytes", 66 },
			{ "P-256 share compressed", 33 },
			{ "P-256 share 0x00 (infinity)", 1 },
			{ "P-256 share all zero", 65 },
			{ "P-256 share x > p", 65 },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			uint8_t key[66];

			memcpy(key, p256.pub, 65);
			key[65] = 0;
			switch (i) {
			case 0:
				key[64] ^= 1;           /* y moved: off the curve */
				break;
			case 3:
				key[0] = 2 | (p256.pub[64] & 1);
				break;
			case 4:
				key[0] = 0;
				break;
			case 5:
				memset(key, 0, 65);
				break;
			case 6:
				memset(key + 1, 0xff, 32);
				break;
			default:
				break;
			}
			hello13(&h, NULL);
			h.n_groups = 1;
			h.groups[0] = HS_GROUP_SECP256R1;
			h.n_shares = 1;
			set_share(&h.shares[0], HS_GROUP_SECP256R1, key, bad[i].len);
			hello_fails(bad[i].what, &h, HS_ALERT_ILLEGAL_PARAMETER);
		}
	}

	/*
	 * RFC 8446 7.4.2: for X25519 implementations "MUST check whether the
	 * computed Diffie-Hellman shared secret is the all-zero value and
	 * abort if so". Small-order points: u = 0, 1, p - 1 and a point of
	 * order 8; and shares of the wrong length.
	 */
	{
		static const char *const small[] = {
			"0000000000000000000000000000000000000000000000000000000000000000",
			"0100000000000000000000000000000000000000000000000000000000000000",
			"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
			"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		};

		for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
			uint8_t u[32];
			char what[64];

			check_unhex(small[i], u, sizeof(u));
			hello13(&h, NULL);
			h.n_shares = 1;
			set_share(&h.shares[0], HS_GROUP_X25519, u, 32);
			snprintf(what, sizeof(what), "X25519 small-order share #%zu", i);
			hello_fails(what, &h, HS_ALERT_ILLEGAL_PARAMETER);
		}
		hello13(&h, NULL);
		h.n_shares = 1;
		set_share(&h.shares[0], HS_GROUP_X25519, x.pub, 31);
		hello_fails("X25519 share of 31 bytes", &h, HS_ALERT_ILLEGAL_PARAMETER);
		memcpy(pt, x.pub, 32);
		pt[32] = 0;
		set_share(&h.shares[0], HS_GROUP_X25519, pt, 33);
		hello_fails("X25519 share of 33 bytes", &h, HS_ALERT_ILLEGAL_PARAMETER);
	}

	/*
	 * RFC 8446 4.2.8: "Each KeyShareEntry value MUST correspond to a group
	 * offered in the "supported_groups" extension"; servers MAY check and
	 * abort with illegal_parameter. hso checks.
	 */
	hello13(&h, &x);
	h.n_groups = 1;
	h.groups[0] = HS_GROUP_SECP256R1;
	hello_fails("key_share group not in supported_groups", &h, HS_ALERT_ILLEGAL_PARAMETER);
	/* RFC 8446 4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same group." */
	hello13(&h, &x);
	h.n_shares = 2;
	h.shares[1] = h.shares[0];
	hello_fails("two shares for X25519", &h, HS_ALERT_ILLEGAL_PARAMETER);

	hso_ecdhe_key_clear(&p256);
	hso_ecdhe_key_clear(&x);
}

/* Send @p h as a first ClientHello; true when the engine answered HRR. */
static bool
send_hello_expect_hrr(struct tconn *t, const struct hello *h, uint16_t *group)
{
	uint8_t msg[2048], rec[2100];
	size_t n = hello_write(h, msg, sizeof(msg));
	const uint8_t *o = t->out;

	tc_feed(t, rec, record(HS_CT_HANDSHAKE, msg, n, rec));
	/* 16 03 03 len | 02 len24 | 03 03 | random ... */
	if (hs_conn_status(&t->c) != HS_STATUS_HANDSHAKING || t->out_len < 5 + 4 + 2 + 32 ||
	    o[0] != HS_CT_HANDSHAKE || o[5] != HS_MT_SERVER_HELLO ||
	    memcmp(o + 11, hs_hrr_random, 32) != 0)
		return false;
	/* selected_group is the last extension: key_share, 2 bytes. */
	{
		size_t end = 5 + ((size_t)o[3] << 8 | o[4]);

		*group = (uint16_t)(o[end - 2] << 8 | o[end - 1]);
	}
	return true;
}

static void
test_hrr(void)
{
	struct hso_ecdhe_key x = { 0 }, p = { 0 };
	struct hello h1, h2;
	uint8_t msg[2048], rec[2100];

	CHECK_EQ(hso_ecdhe_key_generate(asym, HS_GROUP_X25519, &x), 0);
	CHECK_EQ(hso_ecdhe_key_generate(asym, HS_GROUP_SECP256R1, &p), 0);
	/* The first hello: no share at all, two suites (the HRR picks AES-128). */
	hello13(&h1, NULL);
	h1.n_suites = 2;
	h1.suites[1] = HS_TLS_AES_256_GCM_SHA384;

	for (int i = 0; i < 13; i++) {
		struct tconn *t = calloc(1, sizeof(*t));
		const char *what = NULL;
		uint16_t group = 0;
		uint8_t want = HS_ALERT_ILLEGAL_PARAMETER;
		size_t n;

		tc_start(t);
		CHECK_MSG(send_hello_expect_hrr(t, &h1, &group), "HRR #%d not sent", i);
		CHECK_EQ(group, HS_GROUP_X25519);
		h2 = h1;
		h2.n_shares = 1;
		set_share(&h2.shares[0], HS_GROUP_X25519, x.pub, x.pub_len);
		switch (i) {
		case 0:
			what = "HRR, then a correct second ClientHello";
			want = 0;
			break;
		case 1:
			/*
			 * RFC 8446 4.1.4: the client "MUST" send a key share
			 * for the selected group (4.2.8: "the client MUST
			 * send the same ClientHello ... replacing ... with a
			 * list containing a single KeyShareEntry from the
			 * indicated group").
			 */
			what = "HRR, second hello still without a share";
			h2.n_shares = 0;
			break;
		case 2:
			what = "HRR, second hello shares P-256, not X25519";
			set_share(&h2.shares[0], HS_GROUP_SECP256R1, p.pub, p.pub_len);
			break;
		case 3:
			/*
			 * RFC 8446 4.1.4: "Upon receiving ... the server MUST
			 * check that the cipher suite ... is the same" as the
			 * HRR's; AES-256 only makes the server pick another.
			 */
			what = "HRR, second hello changes the suite";
			h2.n_suites = 1;
			h2.suites[0] = HS_TLS_AES_256_GCM_SHA384;
			break;
		case 4:
			/* RFC 8446 4.1.2: the second hello is the same except as listed; random is not. */
			what = "HRR, second hello with another random";
			h2.random[0] ^= 1;
			break;
		case 5:
			what = "HRR, second hello with another session id";
			h2.sid[31] ^= 1;
			break;
		case 6:
			/* RFC 8446 4.1.2: "Removing the "early_data" extension ... if one was present." */
			what = "HRR, second hello with early_data";
			h2.early_data = true;
			break;
		case 7:
			/* A Finished where the second hello belongs. */
			what = "HRR, then Finished";
			want = HS_ALERT_UNEXPECTED_MESSAGE;
			break;
		case 8:
			what = "HRR, CCS, then a correct second ClientHello";
			want = 0;
			break;
		/*
		 * RFC 8446 4.1.2: "the client MUST send the same ClientHello
		 * without modification" but for the changes it lists: an
		 * extension added (EMS), one gone (signature_algorithms), a
		 * list changed; padding may change (one of the listed).
		 */
		case 9:
			what = "HRR, second hello adds an extension";
			h2.ems = true;
			break;
		case 10:
			what = "HRR, second hello drops signature_algorithms' last scheme";
			h2.n_sigalgs = 1;
			break;
		case 11:
			what = "HRR, second hello offers other groups";
			h2.groups[1] = HS_GROUP_SECP384R1;
			break;
		case 12:
			what = "HRR, second hello with padding added";
			h2.pad_len = 100;
			want = 0;
			break;
		}
		t->out_len = 0;
		if (i == 8) {
			/* RFC 8446 D.4: the client's dummy CCS may precede its second hello. */
			static const uint8_t ccs[6] = { HS_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1 };

			tc_feed(t, ccs, sizeof(ccs));
		}
		if (i == 7) {
			static const uint8_t fin[5 + 4 + 32] = { HS_CT_HANDSHAKE, 3, 3, 0, 36,
								 HS_MT_FINISHED, 0, 0, 32 };

			tc_feed(t, fin, sizeof(fin));
		} else {
			n = hello_write(&h2, msg, sizeof(msg));
			tc_feed(t, rec, record(HS_CT_HANDSHAKE, msg, n, rec));
		}
		if (want == 0)
			CHECK_MSG(hs_conn_status(&t->c) == HS_STATUS_HANDSHAKING &&
				  t->out_len > 0 && t->out[5] == HS_MT_SERVER_HELLO,
				  "%s: status %d err %d", what, hs_conn_status(&t->c),
				  hs_conn_error(&t->c));
		else
			expect_plain_alert(what, t, want);
		tc_free(t);
		free(t);
	}

	/*
	 * 0-RTT refused by a HelloRetryRequest (RFC 8446 4.2.10): "The server
	 * then ignores early data by skipping all records with an external
	 * content type of "application_data" ... up to the configured
	 * max_early_data_size."
	 */
	{
		struct tconn *t = calloc(1, sizeof(*t));
		uint8_t early[5 + 64] = { HS_CT_APPLICATION_DATA, 3, 3, 0, 64 };
		uint16_t group = 0;
		size_t n;

		h2 = h1;
		h2.early_data = true;
		tc_start(t);
		CHECK_MSG(send_hello_expect_hrr(t, &h2, &group), "HRR with early_data not sent");
		RAND_bytes(early + 5, 64);
		tc_feed(t, early, sizeof(early));
		h2.early_data = false;
		h2.n_shares = 1;
		set_share(&h2.shares[0], HS_GROUP_X25519, x.pub, x.pub_len);
		t->out_len = 0;
		n = hello_write(&h2, msg, sizeof(msg));
		tc_feed(t, rec, record(HS_CT_HANDSHAKE, msg, n, rec));
		CHECK_MSG(hs_conn_status(&t->c) == HS_STATUS_HANDSHAKING && t->out_len > 0 &&
			  t->out[5] == HS_MT_SERVER_HELLO,
			  "HRR, early data, second hello: status %d err %d",
			  hs_conn_status(&t->c), hs_conn_error(&t->c));
		tc_free(t);
		free(t);
	}
	hso_ecdhe_key_clear(&x);
	hso_ecdhe_key_clear(&p);
}

/* ------------------------------------------------------------------ */
/* TLS 1.3 with the scripted client                                    */
/* ------------------------------------------------------------------ */

/* Handshake records the client sends under its current keys. */
static void
queue_msg(struct sc *s, uint8_t type, const void *body, size_t len)
{
	uint8_t m[512] = { type, 0, (uint8_t)(len >> 8), (uint8_t)len };

	memcpy(m + 4, body, len);
	sc_queue(s, HS_CT_HANDSHAKE, m, 4 + len);
}

/*
 * RFC 8446 5.1: "Handshake messages MUST NOT span key changes. ...
 * Because the ClientHello, EndOfEarlyData, ServerHello, Finished, and
 * KeyUpdate messages can immediately precede a key change,
 * implementations MUST send these messages in alignment with a record
 * boundary. If an implementation receives such a record [one where they
 * are not], it MUST terminate the connection with an "unexpected_message"
 * alert." The engine may notice before or after its flight; either way
 * its alert must be readable: plaintext before ServerHello, under the
 * server's application keys once it has sent its Finished (RFC 8446 A.2:
 * after "Send Finished", K_send = application).
 */
static void
test_key_change_boundaries(void)
{
	static const uint8_t part[4] = { HS_MT_FINISHED, 0, 0, 32 };
	static const uint8_t ku[5] = { HS_MT_KEY_UPDATE, 0, 0, 1, 0 };
	struct sc *s;

	{
		uint8_t m[2100];

		for (int whole = 0; whole <= 1; whole++) {
			s = sc_new(HS_TLS13);
			s->ch_len = hello_write(&s->h, s->ch, sizeof(s->ch));
			memcpy(m, s->ch, s->ch_len);
			memcpy(m + s->ch_len, part, 4);
			memset(m + s->ch_len + 4, 0, 32);
			sc_queue_plain(s, HS_CT_HANDSHAKE, m, s->ch_len + (whole ? 36 : 4));
			sc_flush(s);
			sc_expect_alert(whole ? "ClientHello and a Finished in one record"
					      : "ClientHello and part of a message in one record",
					s, HS_ALERT_UNEXPECTED_MESSAGE);
			sc_free(s);
		}
	}

	/* The client Finished, then part of another message in the same record. */
	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	{
		uint8_t fk[HSO_HASH_MAX_LEN], msg[4 + 32 + 4] = { HS_MT_FINISHED, 0, 0, 32 };

		expand_label(s->kh, s->c_hs, "finished", NULL, 0, fk, s->hl);
		hmac(s->kh, fk, s->hl, s->th_sf, s->hl, msg + 4);
		memcpy(msg + 36, ku, 4);
		s->wr_on = true;
		sc_queue(s, HS_CT_HANDSHAKE, msg, sizeof(msg));
	}
	sc_flush(s);
	sc_expect_alert("Finished not at a record boundary", s, HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/* KeyUpdate, then part of another message in the same record. */
	s = sc_new(HS_TLS13);
	CHECK(sc_handshake(s));
	{
		uint8_t msg[5 + 4];

		memcpy(msg, ku, 5);
		memcpy(msg + 5, part, 4);
		sc_queue(s, HS_CT_HANDSHAKE, msg, sizeof(msg));
	}
	sc_flush(s);
	sc_expect_alert("KeyUpdate not at a record boundary", s, HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);
}

static void
test_tls13(void)
{
	static const uint8_t one = 1, two = 2;
	static const uint8_t zeros[48];
	struct sc *s;

	/* The client itself: a clean handshake, data both ways. */
	s = sc_new(HS_TLS13);
	CHECK_MSG(sc_handshake(s), "scripted TLS 1.3 client: no handshake (err %d)",
		  hs_conn_error(&s->t.c));
	{
		uint8_t got[16];

		sc_queue(s, HS_CT_APPLICATION_DATA, "ping", 4);
		sc_flush(s);
		CHECK_EQ(hs_conn_app_read(&s->t.c, got, sizeof(got)), 4);
		CHECK(memcmp(got, "ping", 4) == 0);
	}
	sc_free(s);

	/*
	 * RFC 8446 4.4.4: "Recipients of Finished messages MUST verify that
	 * the contents are correct and if incorrect MUST terminate the
	 * connection with a "decrypt_error" alert." The alert goes under the
	 * server's application keys: it has sent its Finished.
	 */
	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	sc_finished13(s, true);
	sc_flush(s);
	sc_expect_alert("TLS 1.3 wrong client Finished", s, HS_ALERT_DECRYPT_ERROR);
	sc_free(s);

	/* A Finished of the wrong length: decode_error (RFC 8446 6.2). */
	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	s->wr_on = true;
	queue_msg(s, HS_MT_FINISHED, zeros, 31);
	sc_flush(s);
	sc_expect_alert("TLS 1.3 Finished of 31 bytes", s, HS_ALERT_DECODE_ERROR);
	sc_free(s);

	/*
	 * Unexpected handshake messages where the client Finished belongs
	 * (RFC 8446 4: "the receiver MUST abort with unexpected_message" for a
	 * message "which is not appropriate for the current state"):
	 * Certificate (none was requested), EndOfEarlyData (early data was
	 * not accepted: 4.5), a second ClientHello, KeyUpdate before Finished.
	 */
	{
		static const uint8_t types[] = { HS_MT_CERTIFICATE, HS_MT_END_OF_EARLY_DATA,
						 HS_MT_CLIENT_HELLO, HS_MT_KEY_UPDATE,
						 HS_MT_CERTIFICATE_VERIFY };

		for (size_t i = 0; i < sizeof(types); i++) {
			char what[80];

			snprintf(what, sizeof(what), "TLS 1.3 handshake type %d instead of Finished",
				 types[i]);
			s = sc_new(HS_TLS13);
			CHECK(sc_to_client_flight(s));
			s->wr_on = true;
			queue_msg(s, types[i], zeros, types[i] == HS_MT_KEY_UPDATE ? 1 :
						      types[i] == HS_MT_END_OF_EARLY_DATA ? 0 : 8);
			sc_flush(s);
			sc_expect_alert(what, s, HS_ALERT_UNEXPECTED_MESSAGE);
			sc_free(s);
		}
	}

	/*
	 * The Finished in plaintext, after the server switched to the
	 * client's handshake keys: RFC 8446 5.2 protected records only; a
	 * plaintext handshake record is not one (unexpected_message).
	 */
	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	queue_msg(s, HS_MT_FINISHED, zeros, 32);
	sc_flush(s);
	sc_expect_alert("TLS 1.3 plaintext Finished", s, HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/*
	 * RFC 8446 5: the dummy change_cipher_spec is dropped between the
	 * first ClientHello and the peer's Finished. One is fine; a second
	 * one, one with value 2, or a protected one is unexpected_message.
	 */
	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, &one, 1);
	sc_flush(s);
	CHECK_MSG(hs_conn_status(&s->t.c) == HS_STATUS_HANDSHAKING, "one CCS refused");
	sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, &one, 1);
	sc_flush(s);
	sc_expect_alert("TLS 1.3 second ChangeCipherSpec", s, HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, &two, 1);
	sc_flush(s);
	sc_expect_alert("TLS 1.3 ChangeCipherSpec of value 2", s, HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	{
		static const uint8_t ccs2[2] = { 1, 1 };

		sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, ccs2, 2);
	}
	sc_flush(s);
	sc_expect_alert("TLS 1.3 ChangeCipherSpec of 2 bytes", s, HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	s->wr_on = true;
	sc_queue(s, HS_CT_CHANGE_CIPHER_SPEC, &one, 1);
	sc_flush(s);
	sc_expect_alert("TLS 1.3 protected ChangeCipherSpec", s, HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/* The client's CCS right behind its ClientHello (middlebox mode), then two more. */
	s = sc_new(HS_TLS13);
	sc_hello(s);
	sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, &one, 1);
	sc_flush(s);
	sc_pump(s);
	CHECK_MSG(s->server_done && hs_conn_status(&s->t.c) == HS_STATUS_HANDSHAKING,
		  "CCS after ClientHello refused");
	sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, &one, 1);
	sc_flush(s);
	sc_expect_alert("TLS 1.3 CCS after CH, then another", s, HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/*
	 * RFC 8446 5.1: "Handshake messages MUST NOT be interleaved with other
	 * record types": the Finished split in two protected records with a
	 * protected warning alert between them.
	 */
	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	{
		uint8_t fk[HSO_HASH_MAX_LEN], msg[4 + 32] = { HS_MT_FINISHED, 0, 0, 32 };
		static const uint8_t uc[2] = { 1, HS_ALERT_USER_CANCELED };

		expand_label(s->kh, s->c_hs, "finished", NULL, 0, fk, s->hl);
		hmac(s->kh, fk, s->hl, s->th_sf, s->hl, msg + 4);
		s->wr_on = true;
		sc_queue(s, HS_CT_HANDSHAKE, msg, 10);
		sc_queue(s, HS_CT_ALERT, uc, 2);
		sc_queue(s, HS_CT_HANDSHAKE, msg + 10, sizeof(msg) - 10);
	}
	sc_flush(s);
	sc_expect_alert("TLS 1.3 alert inside a fragmented Finished", s,
			HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/*
	 * After the handshake. RFC 8446 4.1.2: "if a server has negotiated TLS
	 * 1.3 and receives a ClientHello at any other time, it MUST terminate
	 * the connection with an "unexpected_message" alert."
	 */
	s = sc_new(HS_TLS13);
	CHECK(sc_handshake(s));
	sc_queue(s, HS_CT_HANDSHAKE, s->ch, s->ch_len);
	sc_flush(s);
	sc_expect_alert("TLS 1.3 ClientHello after the handshake", s,
			HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/* A ChangeCipherSpec after the client's Finished is not "before" it (RFC 8446 5). */
	s = sc_new(HS_TLS13);
	CHECK(sc_handshake(s));
	sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, &one, 1);
	sc_flush(s);
	sc_expect_alert("TLS 1.3 ChangeCipherSpec after the handshake", s,
			HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/*
	 * RFC 8446 4.6.3: request_update other than 0 or 1: "MUST" be answered
	 * with illegal_parameter.
	 */
	s = sc_new(HS_TLS13);
	CHECK(sc_handshake(s));
	queue_msg(s, HS_MT_KEY_UPDATE, &two, 1);
	sc_flush(s);
	sc_expect_alert("TLS 1.3 KeyUpdate request_update 2", s, HS_ALERT_ILLEGAL_PARAMETER);
	sc_free(s);

	/*
	 * RFC 8446 5.2: TLSCiphertext.length "MUST NOT exceed 2^14 + 256
	 * bytes. An endpoint that receives a record that exceeds this length
	 * MUST terminate the connection with a "record_overflow" alert."
	 */
	s = sc_new(HS_TLS13);
	CHECK(sc_handshake(s));
	{
		uint8_t hdr[5] = { HS_CT_APPLICATION_DATA, 3, 3, 0x41, 0x01 };

		sc_queue_raw(s, hdr, sizeof(hdr));
	}
	sc_flush(s);
	sc_expect_alert("TLS 1.3 ciphertext 2^14 + 257", s, HS_ALERT_RECORD_OVERFLOW);
	sc_free(s);

	/* RFC 8446 5.2: a record that does not deprotect: "MUST" bad_record_mac. */
	s = sc_new(HS_TLS13);
	CHECK(sc_handshake(s));
	{
		uint8_t rec[5 + 40] = { HS_CT_APPLICATION_DATA, 3, 3, 0, 40 };

		RAND_bytes(rec + 5, 40);
		sc_queue_raw(s, rec, sizeof(rec));
	}
	sc_flush(s);
	sc_expect_alert("TLS 1.3 record that does not open", s, HS_ALERT_BAD_RECORD_MAC);
	sc_free(s);

	/*
	 * RFC 8446 5.4: a TLSInnerPlaintext of zeros only (no content type):
	 * "MUST terminate the connection with an "unexpected_message" alert".
	 */
	s = sc_new(HS_TLS13);
	CHECK(sc_handshake(s));
	{
		uint8_t rec[5 + 8 + 16];
		int n = hso_tls13_record_seal(&s->wr, 0, zeros, 7, 0, rec, sizeof(rec));

		CHECK(n > 0);
		if (n > 0)
			sc_queue_raw(s, rec, (size_t)n);
	}
	sc_flush(s);
	sc_expect_alert("TLS 1.3 inner plaintext of zeros", s, HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	test_key_change_boundaries();
}

/*
 * TLS 1.3 half-close (cfg.half_close, as hsod runs): the client's
 * close_notify closes only its direction (RFC 8446 6.1). Data before it is
 * read, data after it ignored; the engine still writes, and sends exactly
 * one close_notify on hs_conn_close(). TLS 1.2 answers and closes at once
 * whatever the setting (RFC 5246 7.2.1).
 */
static void
test_half_close(void)
{
	static const uint8_t cn[2] = { 1, HS_ALERT_CLOSE_NOTIFY };
	uint8_t got[64];
	struct sc *s;

	cfg.half_close = true;
	s = sc_new(HS_TLS13);
	CHECK(sc_handshake(s));
	sc_queue(s, HS_CT_APPLICATION_DATA, "before", 6);
	sc_queue(s, HS_CT_ALERT, cn, 2);
	sc_queue(s, HS_CT_APPLICATION_DATA, "after close", 11);
	sc_flush(s);
	sc_pump(s);
	CHECK_EQ(hs_conn_app_read(&s->t.c, got, sizeof(got)), 6);
	CHECK(memcmp(got, "before", 6) == 0);
	CHECK_EQ(hs_conn_app_read(&s->t.c, got, sizeof(got)), 0);
	CHECK(hs_conn_peer_closed(&s->t.c));
	CHECK_EQ(hs_conn_status(&s->t.c), HS_STATUS_ESTABLISHED);
	tc_drain(&s->t);
	sc_pump(s);
	CHECK_EQ(s->alerts, 0);         /* no close_notify of ours yet */
	/* Still writing after the client's close_notify. */
	CHECK_EQ(hs_conn_app_write(&s->t.c, (const uint8_t *)"reply", 5), 5);
	/* More input: ignored, nothing delivered, no error. */
	sc_queue(s, HS_CT_APPLICATION_DATA, "later", 5);
	sc_flush(s);
	CHECK_EQ(hs_conn_app_read(&s->t.c, got, sizeof(got)), 0);
	CHECK_EQ(hs_conn_error(&s->t.c), 0);
	CHECK_EQ(hs_conn_close(&s->t.c), 0);
	CHECK_EQ(hs_conn_status(&s->t.c), HS_STATUS_CLOSED);
	tc_drain(&s->t);
	sc_pump(s);
	CHECK_MSG(s->app_records == 1 && s->alerts == 1 && s->alert[1] == HS_ALERT_CLOSE_NOTIFY &&
		  s->after_alert == 0 && s->bad_records == 0,
		  "half-close: %d app records, %d alerts, %d after", s->app_records, s->alerts,
		  s->after_alert);
	sc_free(s);

	/* Our shutdown first, then the client's close_notify: CLOSED, one alert each. */
	s = sc_new(HS_TLS13);
	CHECK(sc_handshake(s));
	CHECK_EQ(hs_conn_shutdown(&s->t.c), 0);
	CHECK_EQ(hs_conn_app_write(&s->t.c, (const uint8_t *)"x", 1), -EPIPE);
	sc_queue(s, HS_CT_APPLICATION_DATA, "still", 5);
	sc_queue(s, HS_CT_ALERT, cn, 2);
	sc_flush(s);
	CHECK_EQ(hs_conn_app_read(&s->t.c, got, sizeof(got)), 5);
	CHECK_EQ(hs_conn_app_read(&s->t.c, got, sizeof(got)), 0);
	CHECK_EQ(hs_conn_status(&s->t.c), HS_STATUS_CLOSED);
	tc_drain(&s->t);
	sc_pump(s);
	CHECK_MSG(s->alerts == 1 && s->after_alert == 0, "shutdown: %d alerts", s->alerts);
	sc_free(s);

	/* TLS 1.2: answered and closed at once. */
	s = sc_new(HS_TLS12);
	CHECK(sc_handshake(s));
	sc_queue(s, HS_CT_ALERT, cn, 2);
	sc_flush(s);
	sc_pump(s);
	CHECK_EQ(hs_conn_status(&s->t.c), HS_STATUS_CLOSED);
	CHECK(!hs_conn_peer_closed(&s->t.c));
	tc_drain(&s->t);
	sc_pump(s);
	CHECK_EQ(s->alerts, 1);
	sc_free(s);
	cfg.half_close = false;
}

/*
 * Records after close: RFC 8446 6.1 "Any data received after a closure
 * alert has been received MUST be ignored." The client's close_notify,
 * then a valid application data record: the engine answers with its own
 * close_notify, stays CLOSED and delivers nothing.
 */
static void
test_after_close(void)
{
	static const uint8_t cn[2] = { 1, HS_ALERT_CLOSE_NOTIFY };
	struct sc *s = sc_new(HS_TLS13);
	uint8_t got[64];

	CHECK(sc_handshake(s));
	sc_queue(s, HS_CT_ALERT, cn, 2);
	sc_queue(s, HS_CT_APPLICATION_DATA, "after close", 11);
	sc_flush(s);
	sc_pump(s);
	CHECK_EQ(hs_conn_status(&s->t.c), HS_STATUS_CLOSED);
	CHECK_EQ(hs_conn_error(&s->t.c), 0);
	CHECK_EQ(hs_conn_app_read(&s->t.c, got, sizeof(got)), 0);
	CHECK_MSG(s->alerts == 1 && s->alert[0] == 1 && s->alert[1] == HS_ALERT_CLOSE_NOTIFY &&
		  s->bad_records == 0, "close_notify answer: %d alerts %d/%d", s->alerts,
		  s->alert[0], s->alert[1]);
	/* More input, in a later read: still CLOSED, still nothing. */
	sc_queue(s, HS_CT_APPLICATION_DATA, "later", 5);
	sc_queue(s, HS_CT_HANDSHAKE, s->ch, s->ch_len);
	sc_flush(s);
	sc_pump(s);
	CHECK_EQ(hs_conn_status(&s->t.c), HS_STATUS_CLOSED);
	CHECK_EQ(hs_conn_app_read(&s->t.c, got, sizeof(got)), 0);
	CHECK_EQ(s->after_alert, 0);
	CHECK_EQ(hs_conn_app_write(&s->t.c, got, 4), -ENOTCONN);
	sc_free(s);
}

/*
 * A fatal alert from the client: FAILED with HS_ERR_PEER_ALERT(desc), and
 * no alert back (RFC 8446 6.2: on a fatal alert the connection is closed;
 * there is nobody to tell).
 */
static void
test_peer_alerts(void)
{
	static const uint8_t hf[7] = { HS_CT_ALERT, 3, 3, 0, 2, 2, HS_ALERT_HANDSHAKE_FAILURE };
	static const uint8_t bc[2] = { 2, HS_ALERT_BAD_CERTIFICATE };
	static const uint8_t uc_warn[2] = { 1, HS_ALERT_UNKNOWN_CA };
	struct tconn *t = calloc(1, sizeof(*t));
	struct sc *s;

	tc_start(t);
	tc_feed(t, hf, sizeof(hf));
	expect_failed("fatal alert before ClientHello", t, HS_ERR_PEER_ALERT(HS_ALERT_HANDSHAKE_FAILURE));
	CHECK_EQ(t->out_len, 0);
	tc_free(t);
	free(t);

	/* The client rejects our certificate: a protected fatal bad_certificate. */
	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	s->wr_on = true;
	sc_queue(s, HS_CT_ALERT, bc, 2);
	sc_flush(s);
	sc_pump(s);
	CHECK_EQ(s->alerts, 0);
	CHECK_EQ(s->after_alert, 0);
	expect_failed("TLS 1.3 protected bad_certificate", &s->t,
		      HS_ERR_PEER_ALERT(HS_ALERT_BAD_CERTIFICATE));
	sc_free(s);

	/*
	 * RFC 8446 6: in TLS 1.3 "the severity is implicit in the type of
	 * alert"; every alert but close_notify and user_canceled is an error,
	 * even sent as a warning: "Unknown Alert types MUST be treated as
	 * error alerts", and 6.2 "Error Alerts" are fatal.
	 */
	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	s->wr_on = true;
	sc_queue(s, HS_CT_ALERT, uc_warn, 2);
	sc_flush(s);
	sc_pump(s);
	CHECK_EQ(s->alerts, 0);
	expect_failed("TLS 1.3 unknown_ca as a warning", &s->t,
		      HS_ERR_PEER_ALERT(HS_ALERT_UNKNOWN_CA));
	sc_free(s);

	/*
	 * A client that rejects our ServerHello has no handshake keys: its
	 * fatal alert is plaintext (RFC 8446 6: "Alerts are encrypted as
	 * specified by the current connection state"), and reaches us after
	 * we switched to its handshake keys. It is still the peer's alert:
	 * report it, send nothing back (OpenSSL's ENC_READ_STATE_ALLOW_PLAIN_ALERTS).
	 */
	{
		static const uint8_t ip[2] = { 2, HS_ALERT_ILLEGAL_PARAMETER };

		s = sc_new(HS_TLS13);
		CHECK(sc_to_client_flight(s));
		sc_queue_plain(s, HS_CT_ALERT, ip, 2);
		sc_flush(s);
		sc_pump(s);
		CHECK_MSG(s->alerts == 0, "plaintext alert after ServerHello answered with %d/%d",
			  s->alert[0], s->alert[1]);
		expect_failed("TLS 1.3 plaintext fatal alert after ServerHello", &s->t,
			      HS_ERR_PEER_ALERT(HS_ALERT_ILLEGAL_PARAMETER));
		sc_free(s);
	}

	/* TLS 1.2: a plaintext fatal alert answering our first flight. */
	s = sc_new(HS_TLS12);
	CHECK(sc_to_client_flight(s));
	sc_queue_plain(s, HS_CT_ALERT, bc, 2);
	sc_flush(s);
	sc_pump(s);
	CHECK_EQ(s->alerts, 0);
	expect_failed("TLS 1.2 fatal bad_certificate", &s->t,
		      HS_ERR_PEER_ALERT(HS_ALERT_BAD_CERTIFICATE));
	sc_free(s);
}

/*
 * 0-RTT refused (RFC 8446 4.2.10): the server "skips past early data by
 * attempting to deprotect received records using the handshake traffic
 * key, discarding records which fail deprotection (up to the configured
 * max_early_data_size)". hso has no tickets for 0-RTT yet, so: a hello
 * with early_data, garbage application data before the client's second
 * flight, and a clean Finished: the handshake completes. Past the skip
 * budget (64 KiB) the next record is an ordinary record that does not
 * deprotect: bad_record_mac (RFC 8446 5.2).
 */
/* Ciphertext of the largest TLS 1.3 record: inner plaintext 2^14 + 1, tag. */
#define EARLY_REC_MAX (HS_RECORD_PLAINTEXT_MAX + 1 + HSO_AEAD_TAG_LEN)

static void
test_early_data(void)
{
	uint8_t rec[5 + HS_RECORD_CIPHERTEXT_MAX_13] = { HS_CT_APPLICATION_DATA, 3, 3 };
	struct sc *s;

	/* Skipped: garbage right behind the hello and again after the server's flight. */
	s = sc_new(HS_TLS13);
	s->h.early_data = true;
	sc_hello(s);
	rec[3] = 0;
	rec[4] = 200;
	RAND_bytes(rec + 5, 200);
	sc_queue_raw(s, rec, 5 + 200);
	sc_flush(s);
	sc_pump(s);
	CHECK_MSG(s->server_done && hs_conn_status(&s->t.c) == HS_STATUS_HANDSHAKING,
		  "early data behind the hello: status %d err %d", hs_conn_status(&s->t.c),
		  hs_conn_error(&s->t.c));
	RAND_bytes(rec + 5, 200);
	sc_queue_raw(s, rec, 5 + 200);
	sc_finished13(s, false);
	sc_flush(s);
	sc_pump(s);
	CHECK_MSG(hs_conn_status(&s->t.c) == HS_STATUS_ESTABLISHED,
		  "handshake with skipped early data: status %d err %d",
		  hs_conn_status(&s->t.c), hs_conn_error(&s->t.c));
	sc_free(s);

	/* Without early_data in the hello nothing is skipped. */
	s = sc_new(HS_TLS13);
	CHECK(sc_to_client_flight(s));
	sc_queue_raw(s, rec, 5 + 200);
	sc_flush(s);
	sc_expect_alert("garbage record, no early_data offered", s, HS_ALERT_BAD_RECORD_MAC);
	sc_free(s);

	/*
	 * The largest record that can hold a TLS 1.3 inner plaintext:
	 * 2^14 + 1 + 16 bytes of ciphertext. 4 x (that + 5) > 64 KiB: three
	 * are skipped, the fourth is past the budget and fails.
	 */
	s = sc_new(HS_TLS13);
	s->h.early_data = true;
	CHECK(sc_to_client_flight(s));
	rec[3] = (uint8_t)(EARLY_REC_MAX >> 8);
	rec[4] = (uint8_t)EARLY_REC_MAX;
	for (int i = 0; i < 4; i++) {
		RAND_bytes(rec + 5, EARLY_REC_MAX);
		sc_queue_raw(s, rec, 5 + EARLY_REC_MAX);
		sc_flush(s);
		if (i < 3)
			CHECK_MSG(hs_conn_status(&s->t.c) == HS_STATUS_HANDSHAKING,
				  "early data record %d not skipped: err %d", i,
				  hs_conn_error(&s->t.c));
	}
	sc_expect_alert("early data past the skip budget", s, HS_ALERT_BAD_RECORD_MAC);
	sc_free(s);

	/*
	 * A record longer than any inner plaintext allows (2^14 + 256 of
	 * ciphertext: 2^14 + 240 inner) is no record of any epoch, skipped
	 * or not: RFC 8446 5.4 "MUST NOT exceed 2^14 + 1 octets", 5.2
	 * record_overflow.
	 */
	s = sc_new(HS_TLS13);
	s->h.early_data = true;
	CHECK(sc_to_client_flight(s));
	rec[3] = (uint8_t)(HS_RECORD_CIPHERTEXT_MAX_13 >> 8);
	rec[4] = (uint8_t)HS_RECORD_CIPHERTEXT_MAX_13;
	sc_queue_raw(s, rec, sizeof(rec));
	sc_flush(s);
	sc_expect_alert("early data record of 2^14 + 256", s, HS_ALERT_RECORD_OVERFLOW);
	sc_free(s);

	/*
	 * RFC 8446 4.2.10: "Once a record is deprotected successfully, it is
	 * treated as the start of the client's second flight and the server
	 * proceeds as with an ordinary 1-RTT handshake": from then on a
	 * record that fails is bad_record_mac (5.2), not early data. The
	 * Finished in two records, garbage between them.
	 */
	{
		uint8_t fk[HSO_HASH_MAX_LEN], msg[4 + 32] = { HS_MT_FINISHED, 0, 0, 32 };

		s = sc_new(HS_TLS13);
		s->h.early_data = true;
		CHECK(sc_to_client_flight(s));
		expand_label(s->kh, s->c_hs, "finished", NULL, 0, fk, s->hl);
		hmac(s->kh, fk, s->hl, s->th_sf, s->hl, msg + 4);
		s->wr_on = true;
		sc_queue(s, HS_CT_HANDSHAKE, msg, 10);
		rec[3] = 0;
		rec[4] = 100;
		RAND_bytes(rec + 5, 100);
		sc_queue_raw(s, rec, 5 + 100);
		sc_queue(s, HS_CT_HANDSHAKE, msg + 10, sizeof(msg) - 10);
		sc_flush(s);
		sc_expect_alert("garbage after the second flight began", s,
				HS_ALERT_BAD_RECORD_MAC);
		sc_free(s);
	}
}

/* ------------------------------------------------------------------ */
/* TLS 1.2 with the scripted client                                    */
/* ------------------------------------------------------------------ */

static void
test_tls12(void)
{
	static const uint8_t one = 1;
	static const uint8_t fin[4 + 12] = { HS_MT_FINISHED, 0, 0, 12 };
	struct sc *s;

	s = sc_new(HS_TLS12);
	CHECK_MSG(sc_handshake(s), "scripted TLS 1.2 client: no handshake (err %d)",
		  hs_conn_error(&s->t.c));
	sc_free(s);

	/*
	 * RFC 5246 7.4.9: "Recipients of Finished messages MUST verify that
	 * the contents are correct"; 7.2.2: decrypt_error is for "a handshake
	 * cryptographic operation failed, including being unable to ...
	 * validate a finished message". The server has no write keys yet: a
	 * plaintext alert.
	 */
	s = sc_new(HS_TLS12);
	CHECK(sc_to_client_flight(s));
	sc_cke12(s);
	sc_ccs_finished12(s, true);
	sc_flush(s);
	sc_expect_alert("TLS 1.2 wrong client Finished", s, HS_ALERT_DECRYPT_ERROR);
	sc_free(s);

	/*
	 * RFC 5246 7.4 / 7.2.2: messages "MUST" come in the order given;
	 * anything else is unexpected_message.
	 */
	s = sc_new(HS_TLS12);
	CHECK(sc_to_client_flight(s));
	sc_queue_plain(s, HS_CT_HANDSHAKE, fin, sizeof(fin));
	sc_flush(s);
	sc_expect_alert("TLS 1.2 Finished instead of ClientKeyExchange", s,
			HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	s = sc_new(HS_TLS12);
	CHECK(sc_to_client_flight(s));
	{
		static const uint8_t cert[4 + 3] = { HS_MT_CERTIFICATE, 0, 0, 3, 0, 0, 0 };

		sc_queue_plain(s, HS_CT_HANDSHAKE, cert, sizeof(cert));
	}
	sc_flush(s);
	sc_expect_alert("TLS 1.2 Certificate (not requested) instead of CKE", s,
			HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/* RFC 5246 7.1: ChangeCipherSpec comes after ClientKeyExchange. */
	s = sc_new(HS_TLS12);
	CHECK(sc_to_client_flight(s));
	sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, &one, 1);
	sc_flush(s);
	sc_expect_alert("TLS 1.2 ChangeCipherSpec before ClientKeyExchange", s,
			HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/* RFC 5246 7.1: the Finished is "immediately after" a ChangeCipherSpec. */
	s = sc_new(HS_TLS12);
	CHECK(sc_to_client_flight(s));
	sc_cke12(s);
	sc_queue_plain(s, HS_CT_HANDSHAKE, fin, sizeof(fin));
	sc_flush(s);
	sc_expect_alert("TLS 1.2 Finished without ChangeCipherSpec", s,
			HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/* Application data before the handshake completes: plaintext, then protected. */
	s = sc_new(HS_TLS12);
	CHECK(sc_to_client_flight(s));
	sc_queue_plain(s, HS_CT_APPLICATION_DATA, "early", 5);
	sc_flush(s);
	sc_expect_alert("TLS 1.2 application data before ClientKeyExchange", s,
			HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	s = sc_new(HS_TLS12);
	CHECK(sc_to_client_flight(s));
	sc_cke12(s);
	sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, &one, 1);
	prot12(s, &s->wr, true);
	s->wr_on = true;
	sc_queue(s, HS_CT_APPLICATION_DATA, "early", 5);
	sc_flush(s);
	sc_expect_alert("TLS 1.2 protected application data before Finished", s,
			HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/* Under the new keys, another message where Finished belongs. */
	s = sc_new(HS_TLS12);
	CHECK(sc_to_client_flight(s));
	sc_cke12(s);
	sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, &one, 1);
	prot12(s, &s->wr, true);
	s->wr_on = true;
	{
		static const uint8_t cke[4 + 2] = { HS_MT_CLIENT_KEY_EXCHANGE, 0, 0, 2, 1, 9 };

		sc_queue(s, HS_CT_HANDSHAKE, cke, sizeof(cke));
	}
	sc_flush(s);
	sc_expect_alert("TLS 1.2 ClientKeyExchange instead of Finished", s,
			HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/* After the handshake: a Finished again, and a ChangeCipherSpec again. */
	s = sc_new(HS_TLS12);
	CHECK(sc_handshake(s));
	sc_queue(s, HS_CT_HANDSHAKE, fin, sizeof(fin));
	sc_flush(s);
	sc_expect_alert("TLS 1.2 Finished after the handshake", s, HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	s = sc_new(HS_TLS12);
	CHECK(sc_handshake(s));
	sc_queue_plain(s, HS_CT_CHANGE_CIPHER_SPEC, &one, 1);
	sc_flush(s);
	sc_expect_alert("TLS 1.2 ChangeCipherSpec after the handshake", s,
			HS_ALERT_UNEXPECTED_MESSAGE);
	sc_free(s);

	/*
	 * Warning alerts are ignored in TLS 1.2, but not without end: four in a
	 * row pass, the fifth is unexpected_message (CVE-2016-8610, "SSL Death
	 * Alert", OpenSSL's limit); anything else in between starts the count
	 * again.
	 */
	{
		static const uint8_t warn[2] = { 1, HS_ALERT_UNSUPPORTED_CERTIFICATE };

		s = sc_new(HS_TLS12);
		CHECK(sc_to_client_flight(s));
		for (int i = 0; i < 4; i++)
			sc_queue_plain(s, HS_CT_ALERT, warn, 2);
		sc_flush(s);
		CHECK_EQ(hs_conn_status(&s->t.c), HS_STATUS_HANDSHAKING);
		sc_cke12(s);
		for (int i = 0; i < 4; i++)
			sc_queue_plain(s, HS_CT_ALERT, warn, 2);
		sc_ccs_finished12(s, false);
		sc_flush(s);
		sc_pump(s);
		CHECK_MSG(hs_conn_status(&s->t.c) == HS_STATUS_ESTABLISHED,
			  "4 + 4 warnings around ClientKeyExchange: err %d", hs_conn_error(&s->t.c));
		sc_free(s);

		s = sc_new(HS_TLS12);
		CHECK(sc_to_client_flight(s));
		for (int i = 0; i < 5; i++)
			sc_queue_plain(s, HS_CT_ALERT, warn, 2);
		sc_flush(s);
		sc_expect_alert("TLS 1.2: five warning alerts in a row", s,
				HS_ALERT_UNEXPECTED_MESSAGE);
		sc_free(s);
	}

	/* An ECDHE point off the curve in ClientKeyExchange (RFC 8422 5.11, illegal_parameter). */
	s = sc_new(HS_TLS12);
	s->h.n_groups = 1;
	s->h.groups[0] = HS_GROUP_SECP256R1;
	CHECK(sc_to_client_flight(s));
	{
		uint8_t cke[4 + 1 + 65] = { HS_MT_CLIENT_KEY_EXCHANGE, 0, 0, 66, 65, 4 };

		memset(cke + 6, 0x11, 64);
		sc_queue_plain(s, HS_CT_HANDSHAKE, cke, sizeof(cke));
	}
	sc_flush(s);
	sc_expect_alert("TLS 1.2 ClientKeyExchange point off the curve", s,
			HS_ALERT_ILLEGAL_PARAMETER);
	sc_free(s);
}

/* ------------------------------------------------------------------ */
/* Large ClientHellos: the worker's buffer pool                        */
/* ------------------------------------------------------------------ */

/* Index of the state named @p name (hs_state_name()). */
static unsigned
state_index(const char *name)
{
	for (unsigned i = 0; i < HS_STATE_NUM; i++)
		if (strcmp(hs_state_name(i), name) == 0)
			return i;
	CHECK_MSG(0, "no state named %s", name);
	return 0;
}

static void
test_large_hello(void)
{
	struct hs_buf_pool_stats *ps = &worker->stats.msg_pool;
	uint64_t borrowed = ps->borrowed;
	struct sc *s;

	/*
	 * Hellos above 2^14 bytes (a padding extension, split over records of
	 * 2^14): both versions complete; the buffer they borrowed is back.
	 */
	for (int v = 0; v < 2; v++) {
		s = sc_new(v == 0 ? HS_TLS13 : HS_TLS12);
		s->h.pad_len = v == 0 ? 40000 : 65000;
		CHECK_MSG(sc_handshake(s), "TLS 1.%d hello of %u bytes padding: err %d",
			  v == 0 ? 3 : 2, s->h.pad_len, hs_conn_error(&s->t.c));
		CHECK(s->ch_len > 40000);
		CHECK_EQ(ps->in_use, 0);
		sc_free(s);
	}
	CHECK_EQ(ps->borrowed, borrowed + 2);
	/* Just inside the connection's own area: nothing borrowed. */
	s = sc_new(HS_TLS13);
	s->h.pad_len = 1000;
	CHECK(sc_handshake(s));
	CHECK_EQ(ps->borrowed, borrowed + 2);
	sc_free(s);

	/*
	 * A worker with one such buffer: a second connection gathering a large
	 * hello at the same time fails cleanly (internal_error, RFC 8446 6.2:
	 * "such as a memory allocation failure"), counted; the first goes on,
	 * and once it is done the buffer serves the next one.
	 */
	{
		struct hs_config cfg1 = cfg;
		struct hs_worker *main_worker = worker, *w1;
		struct sc *a, *b;
		unsigned in_hello = state_index("client_hello");
		uint64_t failed_before;

		cfg1.large_msg_bufs = 1;
		w1 = hs_worker_create(&cfg1, 8);
		CHECK(w1 != NULL);
		worker = w1;
		a = sc_new(HS_TLS13);
		b = sc_new(HS_TLS13);
		a->h.pad_len = b->h.pad_len = 30000;
		sc_hello(a);
		sc_hello(b);
		/* The first record of each: both start gathering. */
		CHECK_EQ(tc_feed(&a->t, a->pend, 5 + HS_RECORD_PLAINTEXT_MAX), 0);
		CHECK_EQ(w1->stats.msg_pool.in_use, 1);
		failed_before = w1->stats.failed_in_state[in_hello];
		tc_feed(&b->t, b->pend, 5 + HS_RECORD_PLAINTEXT_MAX);
		expect_plain_alert("second large hello, pool of one", &b->t,
				   HS_ALERT_INTERNAL_ERROR);
		CHECK_EQ(w1->stats.msg_pool.exhausted, 1);
		CHECK_EQ(w1->stats.failed_in_state[in_hello], failed_before + 1);
		CHECK_EQ(w1->stats.failed_sent_alert[HS_ALERT_INTERNAL_ERROR], 1);
		/* The first one's rest: its handshake goes on. */
		tc_feed(&a->t, a->pend + 5 + HS_RECORD_PLAINTEXT_MAX,
			a->pend_len - 5 - HS_RECORD_PLAINTEXT_MAX);
		a->pend_len = 0;
		sc_pump(a);
		CHECK_MSG(a->server_done && hs_conn_status(&a->t.c) == HS_STATUS_HANDSHAKING,
			  "first large hello: err %d", hs_conn_error(&a->t.c));
		CHECK_EQ(w1->stats.msg_pool.in_use, 0);
		sc_free(a);
		sc_free(b);
		a = sc_new(HS_TLS13);
		a->h.pad_len = 30000;
		CHECK(sc_handshake(a));
		CHECK_EQ(w1->stats.msg_pool.borrowed, 2);
		CHECK_EQ(w1->stats.msg_pool.in_use_max, 1);
		sc_free(a);
		/* A connection reset while gathering gives its buffer back. */
		a = sc_new(HS_TLS13);
		a->h.pad_len = 30000;
		sc_hello(a);
		CHECK_EQ(tc_feed(&a->t, a->pend, 5 + HS_RECORD_PLAINTEXT_MAX), 0);
		CHECK_EQ(w1->stats.msg_pool.in_use, 1);
		sc_free(a);
		CHECK_EQ(w1->stats.msg_pool.in_use, 0);
		hs_worker_free(w1);
		worker = main_worker;
	}

	/* No pool at all (limit within the connection's area): decode_error. */
	{
		struct hs_config small = cfg;
		struct hs_worker *main_worker = worker, *w0;

		small.max_handshake_msg = HS_MSG_INLINE_MAX;
		w0 = hs_worker_create(&small, 8);
		CHECK(w0 != NULL && w0->msg_pool == NULL);
		worker = w0;
		s = sc_new(HS_TLS13);
		s->h.pad_len = 20000;
		sc_hello(s);
		sc_flush(s);
		expect_plain_alert("large hello, max_handshake_msg 2^14", &s->t,
				   HS_ALERT_DECODE_ERROR);
		sc_free(s);
		hs_worker_free(w0);
		worker = main_worker;
	}
	CHECK(strcmp(hs_state_name(HS_STATE_NUM), "?") == 0);
}

/* ------------------------------------------------------------------ */
/* TLS 1.2 RSA key exchange: every bad ciphertext fails alike          */
/* ------------------------------------------------------------------ */

/* ClientKeyExchange for RSA key exchange carrying @p ct; keys from @p pms. */
static void
sc_cke12_rsa(struct sc *s, const uint8_t *ct, size_t len, const uint8_t pms[48])
{
	uint8_t msg[4 + 2 + 1024];

	msg[0] = HS_MT_CLIENT_KEY_EXCHANGE;
	msg[1] = 0;
	msg[2] = (uint8_t)((len + 2) >> 8);
	msg[3] = (uint8_t)(len + 2);
	msg[4] = (uint8_t)(len >> 8);
	msg[5] = (uint8_t)len;
	memcpy(msg + 6, ct, len);
	hso_hash_update(&s->th, msg, 6 + len);
	hso_hash_peek(&s->th, s->th_sf);
	sc_keys12(s, pms, 48);
	sc_queue_plain(s, HS_CT_HANDSHAKE, msg, 6 + len);
}

static void
test_rsa_kx(void)
{
	char dir[] = "/tmp/hso-negative-rsa-XXXXXX";
	EVP_PKEY *key = tk_keygen("RSA", NULL, 2048);
	struct hs_config rcfg;
	struct hs_worker *main_worker = worker, *rw;
	struct hso_cert *cert;
	char err[256], *kp, *cp;
	size_t k;

	if (mkdtemp(dir) == NULL || key == NULL)
		abort();
	cp = tk_pair(dir, "rsa", key, "DNS:rsa.test", &kp);
	cert = hso_cert_load(cp, kp, err, sizeof(err));
	free(cp);
	free(kp);
	CHECK(cert != NULL);
	CHECK_EQ(hs_config_init(&rcfg), 0);
	CHECK_EQ(hs_config_add_cert(&rcfg, cert, true), 0);
	rw = hs_worker_create(&rcfg, 8);
	CHECK(rw != NULL);
	worker = rw;
	k = cert->sig_max;

	/*
	 * Cases: 0 a good ciphertext; 1 a good one whose first byte is 0, sent
	 * without it (I2OSP length: left-padded, decrypts); then bad ones that
	 * must all end alike, at the client's Finished, which does not open
	 * under the server's keys (bad_record_mac, RFC 5246 7.4.7.1: no alert
	 * before): 2 random bytes below the modulus, 3 all zero, 4 the modulus
	 * itself, 5 one byte longer than the modulus, 6 empty, 7 1024 bytes.
	 */
	for (int i = 0; i < 8; i++) {
		uint8_t pms[48], ct[1024];
		size_t len = sizeof(ct);
		struct sc *s = sc_new(HS_TLS12);
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);

		RAND_bytes(pms, sizeof(pms));
		pms[0] = 3;
		pms[1] = 3;
		CHECK(pc != NULL && EVP_PKEY_encrypt_init(pc) == 1 &&
		      EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1);
		for (int tries = 0; tries < 20000; tries++) {
			len = sizeof(ct);
			RAND_bytes(pms + 2, 46);
			CHECK(EVP_PKEY_encrypt(pc, ct, &len, pms, 48) == 1);
			if (i != 1 || ct[0] == 0)
				break;
		}
		EVP_PKEY_CTX_free(pc);
		switch (i) {
		case 1:
			CHECK_EQ(ct[0], 0);
			memmove(ct, ct + 1, --len);
			break;
		case 2:
			RAND_bytes(ct, (int)k);
			ct[0] = 0;
			break;
		case 3:
			memset(ct, 0, k);
			break;
		case 4:
			memcpy(ct, cert->rsa_modulus, k);
			break;
		case 5:
			RAND_bytes(ct, (int)k + 1);
			len = k + 1;
			break;
		case 6:
			len = 0;
			break;
		case 7:
			RAND_bytes(ct, sizeof(ct));
			len = sizeof(ct);
			break;
		default:
			break;
		}
		s->h.suites[0] = HS_TLS_RSA_WITH_AES_128_GCM_SHA256;
		s->h.n_sigalgs = 0;
		CHECK_MSG(sc_to_client_flight(s), "RSA key exchange #%d: no server flight", i);
		sc_cke12_rsa(s, ct, len, pms);
		sc_flush(s);
		/* Nothing said about the ciphertext yet, good or bad. */
		CHECK_MSG(hs_conn_status(&s->t.c) == HS_STATUS_HANDSHAKING,
			  "RSA key exchange #%d: status %d after ClientKeyExchange (err %d)", i,
			  hs_conn_status(&s->t.c), hs_conn_error(&s->t.c));
		sc_ccs_finished12(s, false);
		sc_flush(s);
		if (i <= 1) {
			sc_pump(s);
			CHECK_MSG(hs_conn_status(&s->t.c) == HS_STATUS_ESTABLISHED && s->server_done,
				  "RSA key exchange #%d: no handshake (err %d)", i,
				  hs_conn_error(&s->t.c));
		} else {
			char what[64];

			snprintf(what, sizeof(what), "RSA key exchange, bad ciphertext #%d", i);
			sc_expect_alert(what, s, HS_ALERT_BAD_RECORD_MAC);
		}
		sc_free(s);
	}
	worker = main_worker;
	hs_worker_free(rw);
	hs_config_wipe(&rcfg);
	hso_cert_free(cert);
	EVP_PKEY_free(key);
	tk_rmdir(dir);
}

int
main(void)
{
	char dir[] = "/tmp/hso-negative-XXXXXX";
	EVP_PKEY *key;
	struct hso_cert *cert;
	char err[256], *kp, *cp;

	if (mkdtemp(dir) == NULL)
		return 1;
	key = tk_keygen("EC", "P-256", 0);
	cp = tk_pair(dir, "p256", key, "DNS:ec.test", &kp);
	cert = hso_cert_load(cp, kp, err, sizeof(err));
	free(cp);
	free(kp);
	if (cert == NULL) {
		fprintf(stderr, "cert: %s\n", err);
		return 1;
	}
	CHECK_EQ(hs_config_init(&cfg), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, cert, true), 0);
	worker = hs_worker_create(&cfg, 64);
	asym = hso_asym_ctx_create(0);
	if (worker == NULL || asym == NULL || hso_imb_set_init(&imb, NULL) != 0)
		return 1;

	test_records();
	test_truncated_hello();
	test_hello_contents();
	test_key_shares();
	test_hrr();
	test_tls13();
	test_after_close();
	test_half_close();
	test_peer_alerts();
	test_early_data();
	test_tls12();
	test_large_hello();
	test_rsa_kx();

	printf("worker: %llu completed, %llu failed\n",
	       (unsigned long long)worker->stats.handshakes_completed,
	       (unsigned long long)worker->stats.handshakes_failed);
	hs_worker_free(worker);
	hso_asym_ctx_free(asym);
	hso_imb_set_free(&imb);
	hs_config_wipe(&cfg);
	hso_cert_free(cert);
	EVP_PKEY_free(key);
	tk_rmdir(dir);
	return check_result("engine_negative");
}
