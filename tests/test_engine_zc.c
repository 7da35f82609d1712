/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine's memory and zero-copy contract (handshake.h, issue #11),
 * against OpenSSL's libssl in memory:
 *
 *  - what a connection costs: sizeof(struct hs_conn) within its budget, and
 *    nothing else held once the handshake context is released;
 *  - the pool of handshake contexts: exhaustion refuses with HS_ERR_NO_HCTX
 *    (counted, not a failed handshake), a context returned is reused, and
 *    comes back all zeros (after success, failure, client and server);
 *  - records opened from segments (in place and into caller buffers) and
 *    sealed in place (header and trailer where the caller says, several
 *    sends coalesced into one record) or gathered into one buffer, for every
 *    suite of both versions: libssl's records split at every offset into
 *    two and three pieces (each piece in its own buffer, with guard bytes
 *    that must stay untouched), full 2^14-byte records split many ways; the
 *    records hso seals read by libssl;
 *  - after the context is gone: KeyUpdate both ways, renegotiation refused,
 *    close_notify, an alert for a tampered record, the copy path closed;
 *  - hso's client on the same calls against libssl's server, its first
 *    ticket kept while it holds its context, later ones counted as late;
 *  - the key cache: a cache of one key serving two connections stays
 *    correct (every record a miss), a larger one hits.
 */
#include <errno.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "check.h"
#include "engine_priv.h"
#include "hs_client.h"
#include "test_asym_keys.h"

static struct hs_config cfg;
static struct hso_cert *rsa_cert, *p256_cert;
static char cert_dir[] = "/tmp/hso-zc-XXXXXX";
static char *rsa_pem, *rsa_key_pem, *p256_pem, *p256_key_pem;
static uint64_t rng = 0x2545f4914f6cdd1dULL;

#define rnd() check_rnd(&rng)
#define GUARD 32
#define GUARD_BYTE 0xa5
#define MAX_PIECES 40

/* ------------------------------------------------------------------ */
/* Pieces: a record cut into separate buffers with guard bytes around */
/* ------------------------------------------------------------------ */

struct pieces {
	struct iovec v[MAX_PIECES];
	unsigned n;
	uint8_t *mem[MAX_PIECES];
};

/* Copy @p len bytes of @p src into pieces cut at @p cuts (ascending). */
static void
pieces_make(struct pieces *pc, const uint8_t *src, size_t len, const size_t *cuts,
	    unsigned n_cuts)
{
	size_t at = 0;

	pc->n = 0;
	for (unsigned i = 0; i <= n_cuts && pc->n < MAX_PIECES; i++) {
		size_t end = i < n_cuts ? cuts[i] : len;
		size_t k;

		if (end < at)
			end = at;
		if (end > len)
			end = len;
		k = end - at;
		pc->mem[pc->n] = malloc(k + 2 * GUARD);
		memset(pc->mem[pc->n], GUARD_BYTE, k + 2 * GUARD);
		if (src != NULL)
			memcpy(pc->mem[pc->n] + GUARD, src + at, k);
		pc->v[pc->n] = (struct iovec){ pc->mem[pc->n] + GUARD, k };
		pc->n++;
		at = end;
	}
}

/* Random cuts of @p len bytes into up to @p max pieces. */
static void
pieces_random(struct pieces *pc, const uint8_t *src, size_t len, unsigned max)
{
	size_t cuts[MAX_PIECES];
	unsigned n = max > 1 ? (unsigned)(rnd() % max) : 0;

	for (unsigned i = 0; i < n; i++)
		cuts[i] = len > 0 ? rnd() % (len + 1) : 0;
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && cuts[j] < cuts[j - 1]; j--) {
			size_t x = cuts[j];

			cuts[j] = cuts[j - 1];
			cuts[j - 1] = x;
		}
	pieces_make(pc, src, len, cuts, n);
}

/* Guards intact, then freed; @p out (when not NULL) gets bytes [off, off + len). */
static int
pieces_done(struct pieces *pc, size_t off, size_t len, uint8_t *out)
{
	int ok = 1;
	size_t at = 0;

	for (unsigned i = 0; i < pc->n; i++) {
		uint8_t *m = pc->mem[i];
		size_t k = pc->v[i].iov_len;

		for (size_t g = 0; g < GUARD; g++)
			if (m[g] != GUARD_BYTE || m[GUARD + k + g] != GUARD_BYTE)
				ok = 0;
		for (size_t j = 0; j < k && out != NULL; j++, at++)
			if (at >= off && at < off + len)
				out[at - off] = m[GUARD + j];
		if (out == NULL)
			at += k;
		free(m);
	}
	pc->n = 0;
	return ok;
}

/* ------------------------------------------------------------------ */
/* hso (server or client) <-> libssl, only through the record calls    */
/* ------------------------------------------------------------------ */

struct zpair {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rb, *wb;           /* libssl's read / write memory BIOs */
	struct hs_worker *w;
	struct hs_conn conn;
	uint8_t *stream;        /* libssl -> hso bytes not yet framed */
	size_t have;
	uint8_t *app;           /* plaintext hso opened */
	size_t app_len;
	unsigned max_pieces;    /* records cut into up to this many pieces */
	bool to_dst;            /* open into caller buffers instead of in place */
	bool release;           /* release the context as soon as possible */
	int rc;                 /* last error of hs_conn_open_record() */
};

#define STREAM_CAP (1u << 20)

/* hso's output to libssl. */
static void
zdrain(struct zpair *p)
{
	size_t len;
	const uint8_t *out = hs_conn_send_buf(&p->conn, &len);

	if (len > 0) {
		BIO_write(p->rb, out, (int)len);
		hs_conn_send_ack(&p->conn, len);
	}
}

/* Open one whole record of @p len bytes at @p rec, cut in pieces. */
static int
zopen_one(struct zpair *p, const uint8_t *rec, size_t len)
{
	struct pieces pr, pd;
	struct hs_rx rx;
	size_t room = hs_conn_open_room(&p->conn, len);
	bool dst = p->to_dst && p->conn.status == HS_STATUS_ESTABLISHED;
	int rc;

	for (int tries = 0;; tries++) {
		pieces_random(&pr, rec, len, p->max_pieces);
		if (dst)
			pieces_random(&pd, NULL, room, p->max_pieces);
		rc = hs_conn_open_record(&p->conn, pr.v, pr.n, dst ? pd.v : NULL, dst ? pd.n : 0,
					 &rx);
		if (rc != -EAGAIN || tries == 4)
			break;
		pieces_done(&pr, 0, 0, NULL);
		if (dst)
			pieces_done(&pd, 0, 0, NULL);
		hs_worker_run(p->w);
		zdrain(p);
	}
	if (rc > 0) {
		CHECK_EQ(rx.len, rc);
		CHECK_EQ(rx.type, HS_CT_APPLICATION_DATA);
		CHECK(p->app_len + (size_t)rc <= STREAM_CAP);
	}
	if (dst) {
		CHECK_MSG(pieces_done(&pd, 0, rc > 0 ? (size_t)rc : 0, p->app + p->app_len),
			  "destination guard bytes touched");
		CHECK_MSG(pieces_done(&pr, 0, 0, NULL), "record guard bytes touched");
	} else {
		CHECK_EQ(rc > 0 ? rx.off : hs_dir_head(&p->conn.rd), hs_dir_head(&p->conn.rd));
		CHECK_MSG(pieces_done(&pr, rx.off, rc > 0 ? (size_t)rc : 0, p->app + p->app_len),
			  "record guard bytes touched");
	}
	if (rc > 0)
		p->app_len += (size_t)rc;
	return rc;
}

/* Frame what libssl wrote into records and open each. */
static int
zfeed(struct zpair *p)
{
	int n;

	n = BIO_read(p->wb, p->stream + p->have, (int)(STREAM_CAP - p->have));
	if (n > 0)
		p->have += (size_t)n;
	while (p->have >= HS_RECORD_HEADER_LEN) {
		int len = hs_conn_record_size(&p->conn, p->stream);
		int rc;

		if (len < 0) {
			p->rc = len;
			return len;
		}
		if ((size_t)len > p->have)
			break;
		rc = zopen_one(p, p->stream, (size_t)len);
		if (rc < 0) {
			p->rc = rc;
			zdrain(p);
			return rc;
		}
		memmove(p->stream, p->stream + len, p->have - (size_t)len);
		p->have -= (size_t)len;
		hs_worker_run(p->w);
		zdrain(p);
	}
	hs_worker_run(p->w);
	zdrain(p);
	return 0;
}

/* Give the context back once the handshake is over and the output taken. */
static void
zrelease(struct zpair *p)
{
	const struct hs_hctx *hx = p->conn.hx;

	zdrain(p);
	if (hx == NULL)
		return;
	CHECK_EQ(hs_conn_hctx_release(&p->conn), 0);
	CHECK(!hs_conn_hctx_held(&p->conn));
	CHECK_MSG(check_all_zero((const uint8_t *)hx, sizeof(*hx)),
		  "handshake context not wiped when released");
}

static int
zhandshake(struct zpair *p)
{
	for (int i = 0; i < 60; i++) {
		int rc = SSL_do_handshake(p->ssl);

		zfeed(p);
		if (rc == 1 && hs_conn_status(&p->conn) == HS_STATUS_ESTABLISHED) {
			/* libssl may still have to read our last flight (tickets). */
			SSL_read(p->ssl, NULL, 0);
			if (p->release)
				zrelease(p);
			return 1;
		}
		if (hs_conn_status(&p->conn) == HS_STATUS_FAILED)
			return 0;
	}
	return 0;
}

static void
zfree(struct zpair *p)
{
	const struct hs_hctx *hx = p->conn.hx;

	hs_conn_reset(&p->conn);
	if (hx != NULL)
		CHECK_MSG(check_all_zero((const uint8_t *)hx, sizeof(*hx)),
			  "handshake context not wiped on reset");
	CHECK(check_all_zero((const uint8_t *)&p->conn, sizeof(p->conn)));
	SSL_free(p->ssl);
	SSL_CTX_free(p->ctx);
	free(p->stream);
	free(p->app);
}

static void
zcommon(struct zpair *p, struct hs_worker *w, SSL_CTX *ctx)
{
	p->ctx = ctx;
	p->w = w;
	p->ssl = SSL_new(p->ctx);
	p->rb = BIO_new(BIO_s_mem());
	p->wb = BIO_new(BIO_s_mem());
	SSL_set_bio(p->ssl, p->rb, p->wb);
	p->stream = malloc(STREAM_CAP);
	p->app = malloc(STREAM_CAP);
	p->max_pieces = 4;
	p->release = true;
}

/* libssl client, hso server. */
static int
zstart(struct zpair *p, struct hs_worker *w, int version, const char *suite)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	memset(p, 0, sizeof(*p));
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(ctx, version);
	SSL_CTX_set_max_proto_version(ctx, version);
	if (suite != NULL && !(version == TLS1_3_VERSION ? SSL_CTX_set_ciphersuites(ctx, suite)
							 : SSL_CTX_set_cipher_list(ctx, suite)))
		return -1;
	zcommon(p, w, ctx);
	SSL_set_connect_state(p->ssl);
	return hs_conn_init(&p->conn, w, NULL, 0);
}

/* libssl server, hso client. */
static int
zstart_client(struct zpair *p, struct hs_worker *w, int version, const char *suite)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	memset(p, 0, sizeof(*p));
	SSL_CTX_set_min_proto_version(ctx, version);
	SSL_CTX_set_max_proto_version(ctx, version);
	if (SSL_CTX_use_certificate_chain_file(ctx, p256_pem) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, p256_key_pem, SSL_FILETYPE_PEM) != 1 ||
	    (suite != NULL && !(version == TLS1_3_VERSION ? SSL_CTX_set_ciphersuites(ctx, suite)
							  : SSL_CTX_set_cipher_list(ctx, suite))))
		return -1;
	zcommon(p, w, ctx);
	SSL_set_accept_state(p->ssl);
	if (hs_conn_init_client(&p->conn, w, w->cli->cc, NULL, 0) != 0)
		return -1;
	return hs_conn_client_start(&p->conn, NULL);
}

/* libssl writes @p len bytes as records; hso opens them; compare. */
static void
zlibssl_to_hso(struct zpair *p, const uint8_t *data, size_t len, const char *what)
{
	p->app_len = 0;
	CHECK_EQ(SSL_write(p->ssl, data, (int)len), (int)len);
	zfeed(p);
	CHECK_MSG(p->app_len == len && memcmp(p->app, data, len) == 0,
		  "%s: %zu of %zu bytes came through (rc %d)", what, p->app_len, len, p->rc);
}

/* libssl reads exactly @p len bytes into @p out. */
static int
zlibssl_read(struct zpair *p, uint8_t *out, size_t len)
{
	size_t got = 0;

	while (got < len) {
		int n = SSL_read(p->ssl, out + got, (int)(len - got));

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (int)got;
}

/*
 * hso seals @p data: @p mode 0 in place in one buffer (headroom, data,
 * tailroom), 1 in place over several separate buffers (coalescing) with
 * header and trailer apart, 2 gathered from pieces into one buffer.
 */
static void
zhso_to_libssl(struct zpair *p, const uint8_t *data, size_t len, int mode, const char *what)
{
	size_t head = hs_conn_seal_headroom(&p->conn), tail = hs_conn_seal_tailroom(&p->conn);
	uint8_t *back = malloc(len + 1);
	int rc = -1;

	CHECK(head == 5 || head == 13);
	CHECK(tail == 16 || tail == 17);
	if (mode == 0) {
		uint8_t *buf = malloc(head + len + tail);
		struct iovec v = { buf + head, len };

		memcpy(buf + head, data, len);
		rc = hs_conn_seal_record(&p->conn, &v, 1, buf, buf + head + len);
		if (rc > 0)
			BIO_write(p->rb, buf, rc);
		free(buf);
	} else if (mode == 1) {
		struct pieces pc;
		uint8_t hdr[HS_SEAL_HEADROOM_MAX + 2 * GUARD], trl[HS_SEAL_TAILROOM_MAX + 2 * GUARD];

		memset(hdr, GUARD_BYTE, sizeof(hdr));
		memset(trl, GUARD_BYTE, sizeof(trl));
		pieces_random(&pc, data, len, 9);
		rc = hs_conn_seal_record(&p->conn, pc.v, pc.n, hdr + GUARD, trl + GUARD);
		CHECK(hdr[GUARD - 1] == GUARD_BYTE && hdr[GUARD + head] == GUARD_BYTE);
		CHECK(trl[GUARD - 1] == GUARD_BYTE && trl[GUARD + tail] == GUARD_BYTE);
		if (rc > 0) {
			BIO_write(p->rb, hdr + GUARD, (int)head);
			for (unsigned i = 0; i < pc.n; i++)
				BIO_write(p->rb, pc.v[i].iov_base, (int)pc.v[i].iov_len);
			BIO_write(p->rb, trl + GUARD, (int)tail);
		}
		CHECK_MSG(pieces_done(&pc, 0, 0, NULL), "sealed pieces' guard bytes touched");
	} else {
		struct pieces pc;
		size_t cap = head + len + tail;
		uint8_t *buf = malloc(cap + GUARD);

		memset(buf, GUARD_BYTE, cap + GUARD);
		pieces_random(&pc, data, len, 9);
		CHECK_EQ(hs_conn_seal_record_copy(&p->conn, pc.v, pc.n, buf, cap - 1), -ENOBUFS);
		rc = hs_conn_seal_record_copy(&p->conn, pc.v, pc.n, buf, cap);
		CHECK(buf[cap] == GUARD_BYTE);
		if (rc > 0)
			BIO_write(p->rb, buf, rc);
		pieces_done(&pc, 0, 0, NULL);
		free(buf);
	}
	CHECK_MSG(rc == (int)(head + len + tail), "%s: seal mode %d: %d", what, mode, rc);
	CHECK_MSG(zlibssl_read(p, back, len) == (int)len && memcmp(back, data, len) == 0,
		  "%s: libssl did not read what hso sealed (mode %d, %zu bytes)", what, mode, len);
	free(back);
}

/* ------------------------------------------------------------------ */
/* Cases                                                              */
/* ------------------------------------------------------------------ */

static struct hs_worker *worker;

static void
test_sizes(void)
{
	printf("struct hs_conn: %zu bytes (budget %u), struct hs_hctx: %zu bytes, "
	       "key cache entry: %zu bytes\n", sizeof(struct hs_conn), HS_CONN_RESIDENT_MAX,
	       sizeof(struct hs_hctx), sizeof(struct hs_kc_entry));
	CHECK(sizeof(struct hs_conn) <= HS_CONN_RESIDENT_MAX);
	CHECK(HS_CONN_RESIDENT_MAX <= 512);
}

/* Every suite: handshake, release, records split at every offset, seals. */
static void
test_suite(int version, const char *suite, bool gcm12)
{
	static uint8_t data[HS_RECORD_PLAINTEXT_MAX];
	struct zpair p;
	size_t before = worker->stats.hctx.in_use;
	char what[96];

	snprintf(what, sizeof(what), "%s %s", version == TLS1_3_VERSION ? "1.3" : "1.2", suite);
	CHECK_EQ(zstart(&p, worker, version, suite), 0);
	p.max_pieces = 6;       /* handshake records in pieces too */
	if (!zhandshake(&p)) {
		CHECK_MSG(0, "%s: handshake failed: %d", what, hs_conn_error(&p.conn));
		zfree(&p);
		return;
	}
	CHECK_EQ(worker->stats.hctx.in_use, before);
	CHECK_EQ(hs_conn_seal_headroom(&p.conn), gcm12 ? 13 : 5);
	CHECK_EQ(hs_conn_seal_tailroom(&p.conn), version == TLS1_3_VERSION ? 17 : 16);
	/* The copy path is closed without a context. */
	{
		size_t room;
		uint8_t b[4];

		CHECK(hs_conn_recv_buf(&p.conn, &room) == NULL && room == 0);
		CHECK_EQ(hs_conn_app_read(&p.conn, b, sizeof(b)), 0);
		CHECK_EQ(hs_conn_app_write(&p.conn, b, sizeof(b)), -ENOBUFS);
	}
	check_fill(&rng, data, sizeof(data));
	/* A ~300-byte record cut in two at every offset, and in three. */
	for (int three = 0; three <= 1; three++) {
		size_t rec_len = 0;
		int bad = 0;

		for (size_t at = 1;; at++) {
			struct pieces pr;
			struct hs_rx rx;
			size_t cuts[2] = { at, at + (at * 7919) % 97 };
			uint8_t rec[400];
			int n, rc;

			CHECK_EQ(SSL_write(p.ssl, data + at % 64, 300), 300);
			n = BIO_read(p.wb, rec, sizeof(rec));
			if (rec_len == 0)
				rec_len = (size_t)n;
			if (n != (int)rec_len || at >= rec_len) {
				CHECK_MSG(at >= rec_len, "%s: record of %d bytes", what, n);
				/* This one goes whole. */
				pieces_make(&pr, rec, (size_t)n, NULL, 0);
				rc = hs_conn_open_record(&p.conn, pr.v, pr.n, NULL, 0, &rx);
				pieces_done(&pr, 0, 0, NULL);
				CHECK_EQ(rc, 300);
				break;
			}
			pieces_make(&pr, rec, rec_len, cuts, three ? 2 : 1);
			p.to_dst = at % 2 == 1;
			if (p.to_dst) {
				struct pieces pd;
				size_t dc[1] = { (at * 31) % 300 };

				pieces_make(&pd, NULL, hs_conn_open_room(&p.conn, rec_len), dc, 1);
				rc = hs_conn_open_record(&p.conn, pr.v, pr.n, pd.v, pd.n, &rx);
				bad += !pieces_done(&pd, 0, 300, p.app);
				bad += !pieces_done(&pr, 0, 0, NULL);
				CHECK_EQ(rx.off, 0);
			} else {
				rc = hs_conn_open_record(&p.conn, pr.v, pr.n, NULL, 0, &rx);
				bad += !pieces_done(&pr, rx.off, 300, p.app);
				CHECK_EQ(rx.off, gcm12 ? 13 : 5);
			}
			if (rc != 300 || memcmp(p.app, data + at % 64, 300) != 0)
				bad++;
		}
		CHECK_MSG(bad == 0, "%s: %d records split at some offset went wrong", what, bad);
	}
	/* Full records, split many ways, in place and into caller buffers. */
	p.max_pieces = 30;
	for (int i = 0; i < 8; i++) {
		p.to_dst = i % 2 == 1;
		zlibssl_to_hso(&p, data, i < 2 ? sizeof(data) : 1 + rnd() % sizeof(data), what);
	}
	/* Several records in one write, a 1-byte one. */
	zlibssl_to_hso(&p, data, 3 * 5000, what);
	zlibssl_to_hso(&p, data, 1, what);
	/* hso seals; libssl reads. */
	for (int mode = 0; mode < 3; mode++) {
		zhso_to_libssl(&p, data, sizeof(data), mode, what);
		zhso_to_libssl(&p, data + 1, 1, mode, what);
		zhso_to_libssl(&p, data + 7, 1 + rnd() % 3000, mode, what);
	}
	/* Too much, nothing: refused, nothing consumed. */
	{
		uint8_t big[HS_RECORD_PLAINTEXT_MAX + 1 + 32], h[16], t[20];
		struct iovec v = { big + 13, HS_RECORD_PLAINTEXT_MAX + 1 };

		CHECK_EQ(hs_conn_seal_record(&p.conn, &v, 1, h, t), -EMSGSIZE);
		CHECK_EQ(hs_conn_seal_record(&p.conn, &v, 0, h, t), -EMSGSIZE);
		zhso_to_libssl(&p, data, 100, 1, what);
	}
	zfree(&p);
}

/*
 * After release: KeyUpdate from libssl (asking for ours) and from hso,
 * data both ways across them, then close_notify both ways (TLS 1.3).
 */
static void
test_key_update_close13(void)
{
	static uint8_t data[5000];
	struct zpair p;
	uint8_t c_ap[HSO_HASH_MAX_LEN], s_ap[HSO_HASH_MAX_LEN];

	check_fill(&rng, data, sizeof(data));
	CHECK_EQ(zstart(&p, worker, TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256"), 0);
	CHECK(zhandshake(&p));
	CHECK(!hs_conn_hctx_held(&p.conn));
	memcpy(c_ap, p.conn.c_ap, sizeof(c_ap));
	memcpy(s_ap, p.conn.s_ap, sizeof(s_ap));
	/* libssl: KeyUpdate(update_requested), then data under its next key. */
	CHECK_EQ(SSL_key_update(p.ssl, SSL_KEY_UPDATE_REQUESTED), 1);
	zlibssl_to_hso(&p, data, sizeof(data), "after libssl KeyUpdate");
	CHECK(memcmp(c_ap, p.conn.c_ap, sizeof(c_ap)) != 0);
	CHECK(memcmp(s_ap, p.conn.s_ap, sizeof(s_ap)) != 0);   /* ours answered it */
	CHECK(!hs_conn_hctx_held(&p.conn));
	zhso_to_libssl(&p, data, sizeof(data), 0, "after our answering KeyUpdate");
	/* hso: KeyUpdate(update_requested) from the resident output area. */
	memcpy(c_ap, p.conn.c_ap, sizeof(c_ap));
	memcpy(s_ap, p.conn.s_ap, sizeof(s_ap));
	CHECK_EQ(hs_conn_key_update(&p.conn, true), 0);
	{
		size_t len;

		hs_conn_send_buf(&p.conn, &len);
		CHECK(len > 0 && len <= HS_CTL_OUT_SIZE);
		/* Our KeyUpdate must leave first. */
		CHECK_EQ(hs_conn_seal_record_copy(&p.conn, &(struct iovec){ data, 10 }, 1,
						  (uint8_t[64]){ 0 }, 64), -EAGAIN);
	}
	zdrain(&p);
	zhso_to_libssl(&p, data, 3000, 1, "after our KeyUpdate");
	/* libssl answers with its own KeyUpdate when it next writes. */
	zlibssl_to_hso(&p, data, 2000, "after libssl's answering KeyUpdate");
	CHECK(memcmp(c_ap, p.conn.c_ap, sizeof(c_ap)) != 0);
	CHECK(memcmp(s_ap, p.conn.s_ap, sizeof(s_ap)) != 0);
	/* libssl closes: hso answers with close_notify from its resident area. */
	CHECK(SSL_shutdown(p.ssl) >= 0);
	zfeed(&p);
	CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_CLOSED);
	CHECK(!hs_conn_hctx_held(&p.conn));
	CHECK_EQ(SSL_shutdown(p.ssl), 1);
	zfree(&p);
}

/*
 * After release, TLS 1.2: a renegotiation is refused (libssl reads our
 * warning no_renegotiation, hso goes on); on another connection our
 * close_notify ends the session and sealing after it fails.
 */
static void
test_reneg_close12(void)
{
	static uint8_t data[3000];
	struct zpair p;
	uint8_t tmp[64];
	uint64_t ph;

	check_fill(&rng, data, sizeof(data));
	CHECK_EQ(zstart(&p, worker, TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384"), 0);
	CHECK(zhandshake(&p));
	CHECK(!hs_conn_hctx_held(&p.conn));
	ph = worker->stats.post_hs_msgs;
	CHECK_EQ(SSL_renegotiate(p.ssl), 1);
	SSL_do_handshake(p.ssl);
	zfeed(&p);
	CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_ESTABLISHED);
	CHECK(!hs_conn_hctx_held(&p.conn));
	CHECK_EQ(worker->stats.post_hs_msgs, ph + 1);
	CHECK(SSL_do_handshake(p.ssl) <= 0);
	CHECK_MSG(ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_NO_RENEGOTIATION,
		  "libssl did not read our no_renegotiation: %s",
		  ERR_error_string(ERR_peek_last_error(), NULL));
	ERR_clear_error();
	zfree(&p);

	CHECK_EQ(zstart(&p, worker, TLS1_2_VERSION, "ECDHE-RSA-CHACHA20-POLY1305"), 0);
	CHECK(zhandshake(&p));
	zlibssl_to_hso(&p, data, sizeof(data), "1.2 before close");
	CHECK_EQ(hs_conn_close(&p.conn), 0);
	zdrain(&p);
	CHECK_EQ(hs_conn_seal_record_copy(&p.conn, &(struct iovec){ data, 10 }, 1, tmp,
					  sizeof(tmp)), -EPIPE);
	CHECK(SSL_read(p.ssl, tmp, sizeof(tmp)) <= 0);
	CHECK(SSL_get_shutdown(p.ssl) & SSL_RECEIVED_SHUTDOWN);
	zfree(&p);
}

/* A tampered record after release: bad_record_mac, sent from the resident area. */
static void
test_tamper(void)
{
	static uint8_t data[1000];
	struct zpair p;
	uint8_t rec[1200];
	struct iovec v;
	int n;

	check_fill(&rng, data, sizeof(data));
	CHECK_EQ(zstart(&p, worker, TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256"), 0);
	CHECK(zhandshake(&p));
	CHECK_EQ(SSL_write(p.ssl, data, sizeof(data)), (int)sizeof(data));
	n = BIO_read(p.wb, rec, sizeof(rec));
	CHECK(n > 100);
	/* Not one whole record: refused, not sticky. */
	v = (struct iovec){ rec, (size_t)n - 1 };
	CHECK_EQ(hs_conn_open_record(&p.conn, &v, 1, NULL, 0, NULL), -EINVAL);
	/* Too little room to open into: refused, not sticky. */
	{
		uint8_t small[100];
		struct iovec d = { small, sizeof(small) };

		v = (struct iovec){ rec, (size_t)n };
		CHECK_EQ(hs_conn_open_record(&p.conn, &v, 1, &d, 1, NULL), -ENOBUFS);
	}
	CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_ESTABLISHED);
	rec[50] ^= 1;
	CHECK_EQ(hs_conn_open_record(&p.conn, &v, 1, NULL, 0, NULL),
		 HS_ERR_ALERT(HS_ALERT_BAD_RECORD_MAC));
	CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_FAILED);
	CHECK_EQ(hs_conn_open_record(&p.conn, &v, 1, NULL, 0, NULL),
		 HS_ERR_ALERT(HS_ALERT_BAD_RECORD_MAC));       /* sticky */
	/* The plaintext decrypted in place is gone. */
	CHECK(check_all_zero(rec + 5, (size_t)n - 5 - 16));
	zdrain(&p);
	CHECK(SSL_read(p.ssl, rec, sizeof(rec)) <= 0);
	CHECK_MSG(ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_SSLV3_ALERT_BAD_RECORD_MAC,
		  "libssl did not read our bad_record_mac");
	ERR_clear_error();
	zfree(&p);
}

/*
 * The write sequence number runs out (RFC 8446 5.3: rekey or close, never
 * wrap): the record with 2^64 - 1 is the last; the next seal fails the
 * connection with internal_error.
 */
static void
test_seq_exhausted(void)
{
	struct zpair p;
	uint8_t buf[64] = { 0 };
	struct iovec v = { buf + 5, 10 };

	CHECK_EQ(zstart(&p, worker, TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256"), 0);
	CHECK(zhandshake(&p));
	p.conn.wr.seq = UINT64_MAX;     /* white box: 2^64 - 1 records sealed */
	CHECK_EQ(hs_conn_seal_record(&p.conn, &v, 1, buf, buf + 15), 5 + 10 + 17);
	CHECK(p.conn.wr.exhausted);
	CHECK_EQ(hs_conn_seal_record(&p.conn, &v, 1, buf, buf + 15), HS_ERR_INTERNAL);
	CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_FAILED);
	zfree(&p);
}

/*
 * Pool of two: the third connection is refused with HS_ERR_NO_HCTX (no
 * alert, not a failed handshake), a released context is the next one lent,
 * and contexts of failed handshakes come back wiped too.
 */
static void
test_pool(void)
{
	struct hs_config pc = cfg;
	struct hs_worker *w;
	struct zpair a, b, c, d;
	const struct hs_hctx *hx_a;
	size_t len;

	pc.max_handshakes = 2;
	w = hs_worker_create(&pc, 1000);
	CHECK(w != NULL);
	if (w == NULL)
		return;
	CHECK_EQ(hs_worker_hctx_available(w), 2);
	CHECK_EQ(zstart(&a, w, TLS1_3_VERSION, NULL), 0);
	CHECK_EQ(zstart(&b, w, TLS1_2_VERSION, NULL), 0);
	CHECK_EQ(zstart(&c, w, TLS1_3_VERSION, NULL), 0);
	/* No context yet: nothing came. */
	CHECK(!hs_conn_hctx_held(&a.conn));
	CHECK_EQ(hs_worker_hctx_available(w), 2);
	a.release = b.release = false;
	SSL_do_handshake(a.ssl);
	zfeed(&a);
	SSL_do_handshake(b.ssl);
	zfeed(&b);
	CHECK(hs_conn_hctx_held(&a.conn) && hs_conn_hctx_held(&b.conn));
	CHECK_EQ(hs_worker_hctx_available(w), 0);
	SSL_do_handshake(c.ssl);
	CHECK_EQ(zfeed(&c), HS_ERR_NO_HCTX);
	CHECK_EQ(hs_conn_status(&c.conn), HS_STATUS_FAILED);
	CHECK_EQ(hs_conn_error(&c.conn), HS_ERR_NO_HCTX);
	hs_conn_send_buf(&c.conn, &len);
	CHECK_EQ(len, 0);          /* refused without an alert */
	CHECK_EQ(w->stats.hctx.exhausted, 1);
	CHECK_EQ(w->stats.handshakes_failed, 0);
	/* a completes and gives its context back; it is lent to d next. */
	CHECK(zhandshake(&a));
	hx_a = a.conn.hx;
	CHECK_EQ(hs_conn_hctx_release(&b.conn), -EBUSY);   /* still handshaking */
	zrelease(&a);
	CHECK_EQ(hs_worker_hctx_available(w), 1);
	CHECK_EQ(zstart(&d, w, TLS1_3_VERSION, NULL), 0);
	d.release = false;
	CHECK(zhandshake(&d));
	CHECK(d.conn.hx == hx_a);
	zlibssl_to_hso(&d, (const uint8_t *)"hello", 5, "pool reuse");
	/* b fails (we reset it mid-handshake): its context comes back wiped. */
	zfree(&b);
	CHECK_EQ(hs_worker_hctx_available(w), 1);
	zrelease(&d);
	CHECK_EQ(hs_worker_hctx_available(w), 2);
	CHECK_EQ(w->stats.hctx.in_use_max, 2);
	/* A failed handshake (bad Finished MAC) hands its context back once its alert is out. */
	{
		struct zpair e;
		int i;

		CHECK_EQ(zstart(&e, w, TLS1_3_VERSION, NULL), 0);
		e.release = false;
		for (i = 0; i < 10 && hs_conn_status(&e.conn) == HS_STATUS_HANDSHAKING; i++) {
			SSL_do_handshake(e.ssl);
			if (e.conn.state == ST13_CLIENT_FINISHED) {
				/* Flip a bit of the client's Finished record. */
				int n = BIO_read(e.wb, e.stream, STREAM_CAP);

				if (n > 10)
					e.stream[n - 3] ^= 4;
				BIO_write(e.wb, e.stream, n > 0 ? n : 0);
			}
			zfeed(&e);
		}
		CHECK_EQ(hs_conn_status(&e.conn), HS_STATUS_FAILED);
		CHECK(hs_conn_hctx_held(&e.conn));
		zrelease(&e);
		CHECK_EQ(hs_worker_hctx_available(w), 2);
		zfree(&e);
	}
	zfree(&a);
	zfree(&c);
	zfree(&d);
	/* A client cannot start without a context either. */
	{
		struct hs_client_config cc;
		struct hs_worker *cw;
		struct hs_conn x, y;

		CHECK_EQ(hs_client_config_init(&cc), 0);
		cc.base.max_handshakes = 1;
		cw = hs_worker_create_client(&cc, 100);
		CHECK(cw != NULL);
		CHECK_EQ(hs_conn_init_client(&x, cw, &cc, NULL, 0), 0);
		CHECK_EQ(hs_conn_init_client(&y, cw, &cc, NULL, 0), 0);
		CHECK_EQ(hs_conn_client_start(&x, NULL), 0);
		CHECK_EQ(hs_conn_client_start(&y, NULL), HS_ERR_NO_HCTX);
		CHECK_EQ(cw->stats.hctx.exhausted, 1);
		CHECK_EQ(cw->stats.handshakes_failed, 0);
		hs_worker_run(cw);
		hs_conn_reset(&x);
		hs_conn_reset(&y);
		CHECK_EQ(hs_worker_hctx_available(cw), 1);
		hs_worker_free(cw);
	}
	hs_worker_free(w);
}

/* hso's client through the record calls; TLS 1.3 keeps its first ticket. */
static void
test_client(int version, const char *suite)
{
	static uint8_t data[HS_RECORD_PLAINTEXT_MAX];
	struct hs_client_config cc;
	struct hs_client_session s;
	struct hs_worker *w;
	struct zpair p;
	static uint8_t back[HS_RECORD_PLAINTEXT_MAX];

	check_fill(&rng, data, sizeof(data));
	CHECK_EQ(hs_client_config_init(&cc), 0);
	w = hs_worker_create_client(&cc, 16);
	CHECK(w != NULL);
	if (w == NULL)
		return;
	CHECK_EQ(zstart_client(&p, w, version, suite), 0);
	/* One ticket with the handshake (kept), one after the release (late). */
	SSL_CTX_set_num_tickets(p.ctx, 1);
	SSL_set_num_tickets(p.ssl, 1);
	p.release = false;
	p.max_pieces = 5;
	for (int i = 0; i < 40 && !(SSL_is_init_finished(p.ssl) &&
				    hs_conn_status(&p.conn) == HS_STATUS_ESTABLISHED); i++) {
		SSL_do_handshake(p.ssl);
		zfeed(&p);
	}
	CHECK_MSG(hs_conn_status(&p.conn) == HS_STATUS_ESTABLISHED, "client %s: %d", suite,
		  hs_conn_error(&p.conn));
	CHECK_EQ(SSL_write(p.ssl, data, 100), 100);
	p.app_len = 0;
	zfeed(&p);
	CHECK_EQ(p.app_len, 100);
	if (version == TLS1_3_VERSION) {
		CHECK_EQ(hs_conn_client_session(&p.conn, &s), 0);
		CHECK(s.ticket_len > 0);
		hs_client_session_wipe(&s);
	}
	zrelease(&p);
	CHECK_EQ(hs_conn_client_session(&p.conn, &s), -ENOENT);
	if (version == TLS1_3_VERSION) {
		CHECK_EQ(SSL_new_session_ticket(p.ssl), 1);
		zlibssl_to_hso(&p, data, 200, "client: ticket after release");
		CHECK_EQ(w->stats.client_tickets_late, 1);
		CHECK_EQ(w->stats.client_sessions, 1);
	}
	/* Data both ways without a context; the client's state is the server's size. */
	zlibssl_to_hso(&p, data, sizeof(data), "client: libssl to hso");
	for (int mode = 0; mode < 3; mode++) {
		size_t head = hs_conn_seal_headroom(&p.conn), tail = hs_conn_seal_tailroom(&p.conn);
		uint8_t *buf = malloc(head + 3000 + tail);
		struct iovec v = { buf + head, 3000 };
		int rc;

		memcpy(buf + head, data, 3000);
		rc = mode == 2 ? hs_conn_seal_record_copy(&p.conn, &(struct iovec){ data, 3000 }, 1,
							  buf, head + 3000 + tail)
			       : hs_conn_seal_record(&p.conn, &v, 1, buf, buf + head + 3000);
		CHECK_EQ(rc, (int)(head + 3000 + tail));
		BIO_write(p.rb, buf, rc);
		CHECK_EQ(zlibssl_read(&p, back, 3000), 3000);
		CHECK(memcmp(back, data, 3000) == 0);
		free(buf);
	}
	if (version == TLS1_3_VERSION) {
		CHECK_EQ(hs_conn_key_update(&p.conn, true), 0);
		zdrain(&p);
		zhso_to_libssl(&p, data, 500, 1, "client after KeyUpdate");
		zlibssl_to_hso(&p, data, 700, "client: libssl after its KeyUpdate");
	}
	CHECK_EQ(hs_conn_close(&p.conn), 0);
	zdrain(&p);
	CHECK(SSL_read(p.ssl, back, sizeof(back)) <= 0);
	CHECK(SSL_get_shutdown(p.ssl) & SSL_RECEIVED_SHUTDOWN);
	zfree(&p);
	hs_worker_free(w);
}

/* A cache of one expanded key for two connections: every record a miss, still right. */
static void
test_key_cache(void)
{
	static uint8_t data[2000];
	struct hs_config kc = cfg;
	struct hs_worker *w;
	struct zpair a, b;
	uint64_t m0;

	check_fill(&rng, data, sizeof(data));
	kc.key_cache = 1;
	w = hs_worker_create(&kc, 8);
	CHECK(w != NULL);
	if (w == NULL)
		return;
	CHECK_EQ(zstart(&a, w, TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384"), 0);
	CHECK_EQ(zstart(&b, w, TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256"), 0);
	CHECK(zhandshake(&a));
	CHECK(zhandshake(&b));
	m0 = w->stats.key_cache_misses;
	for (int i = 0; i < 5; i++) {
		zlibssl_to_hso(&a, data, sizeof(data), "cache of one, a");
		zhso_to_libssl(&a, data, sizeof(data), i % 3, "cache of one, a");
		zlibssl_to_hso(&b, data, sizeof(data), "cache of one, b");
		zhso_to_libssl(&b, data, sizeof(data), i % 3, "cache of one, b");
	}
	CHECK(w->stats.key_cache_misses - m0 >= 20);
	zfree(&a);
	zfree(&b);
	hs_worker_free(w);
	/* The shared worker's cache is large: most records hit. */
	CHECK(worker->stats.key_cache_hits > worker->stats.key_cache_misses);
}

static struct hso_cert *
load(const char *tag, EVP_PKEY *key, const char *san, char **cert_pem, char **key_pem)
{
	char err[256];
	struct hso_cert *c;

	*cert_pem = tk_pair(cert_dir, tag, key, san, key_pem);
	EVP_PKEY_free(key);
	c = hso_cert_load(*cert_pem, *key_pem, err, sizeof(err));
	if (c == NULL)
		fprintf(stderr, "load %s: %s\n", tag, err);
	return c;
}

int
main(void)
{
	static const struct { int v; const char *suite; bool gcm12; } suites[] = {
		{ TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", false },
		{ TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", false },
		{ TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256", false },
		{ TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", true },
		{ TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384", true },
		{ TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305", false },
		{ TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256", true },
		{ TLS1_2_VERSION, "ECDHE-RSA-AES256-GCM-SHA384", true },
		{ TLS1_2_VERSION, "ECDHE-RSA-CHACHA20-POLY1305", false },
		{ TLS1_2_VERSION, "AES128-GCM-SHA256", true },
		{ TLS1_2_VERSION, "AES256-GCM-SHA384", true },
	};

	if (mkdtemp(cert_dir) == NULL)
		return 1;
	rsa_cert = load("rsa", tk_keygen("RSA", NULL, 2048), "DNS:rsa.test", &rsa_pem,
			&rsa_key_pem);
	p256_cert = load("p256", tk_keygen("EC", "P-256", 0), "DNS:ec.test", &p256_pem,
			 &p256_key_pem);
	if (rsa_cert == NULL || p256_cert == NULL)
		return 1;
	CHECK_EQ(hs_config_init(&cfg), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, rsa_cert, true), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, p256_cert, true), 0);
	worker = hs_worker_create(&cfg, 64);
	if (worker == NULL)
		return 1;

	test_sizes();
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		test_suite(suites[i].v, suites[i].suite, suites[i].gcm12);
	test_key_update_close13();
	test_reneg_close12();
	test_tamper();
	test_seq_exhausted();
	test_pool();
	test_client(TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256");
	test_client(TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256");
	test_client(TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256");
	test_client(TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305");
	test_key_cache();

	/* Every context went back. */
	CHECK_EQ(worker->stats.hctx.in_use, 0);
	printf("worker: %llu handshakes, contexts borrowed %llu (most at once %u), "
	       "key cache %llu hits / %llu misses\n",
	       (unsigned long long)worker->stats.handshakes_completed,
	       (unsigned long long)worker->stats.hctx.borrowed, worker->stats.hctx.in_use_max,
	       (unsigned long long)worker->stats.key_cache_hits,
	       (unsigned long long)worker->stats.key_cache_misses);
	hs_worker_free(worker);
	hso_cert_free(rsa_cert);
	hso_cert_free(p256_cert);
	free(rsa_pem);
	free(rsa_key_pem);
	free(p256_pem);
	free(p256_key_pem);
	tk_rmdir(cert_dir);
	return check_result("engine_zc");
}
