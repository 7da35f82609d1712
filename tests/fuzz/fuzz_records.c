/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the engine after the handshake, on the zero-copy calls
 * (hs_conn_record_size, hs_conn_open_record, hs_conn_seal_record) with no
 * handshake context. hso's client and server establish a session in memory
 * (version, suite and whether a context is kept from the input's first
 * byte); then the input is a list of records one side seals with any
 * content type and content (so the post-handshake reader meets every
 * message, fragment and interleaving the fuzzer invents, under valid
 * protection), or raw bytes taken as a record as they are; each record is
 * cut into pieces where the input says and opened in place or into split
 * buffers. ASan and UBSan watch; the target checks the engine's promises:
 * application data comes out as sealed, nothing is written outside the
 * pieces, a failed connection stays failed, the resident output stays
 * within HS_CTL_OUT_SIZE.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../test_asym_keys.h"
#include "engine_priv.h"
#include "hs_client.h"

static struct hs_config scfg;
/* One client config and worker per (version, AEAD): the input's first byte picks. */
static struct hs_client_config ccfg[4];
static struct hs_worker *ws, *wcs[4];
static const uint16_t suites[4] = {
	HS_TLS_AES_256_GCM_SHA384, HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	HS_TLS_CHACHA20_POLY1305_SHA256, HS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/hso-fuzz-XXXXXX", err[256], *cp, *kp;
	struct hso_cert *cert;
	EVP_PKEY *k;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	k = tk_keygen("EC", "P-256", 0);
	cp = tk_pair(dir, "p256", k, "DNS:fuzz.test", &kp);
	cert = hso_cert_load(cp, kp, err, sizeof(err));
	tk_rmdir(dir);
	free(cp);
	free(kp);
	EVP_PKEY_free(k);
	if (cert == NULL || hs_config_init(&scfg) != 0 || hs_config_add_cert(&scfg, cert, true) != 0)
		abort();
	scfg.session_cache_size = 0;
	scfg.half_close = true;
	ws = hs_worker_create(&scfg, 8);
	for (int i = 0; i < 4; i++) {
		struct hs_client_config *cc = &ccfg[i];

		if (hs_client_config_init(cc) != 0)
			abort();
		cc->mode = HS_CLIENT_LOAD;
		cc->base.half_close = true;
		cc->base.nego.tls13 = (i & 1) == 0;
		cc->base.nego.tls12 = (i & 1) != 0;
		cc->base.nego.suites[0] = suites[i];
		cc->base.nego.n_suites = 1;
		wcs[i] = hs_worker_create_client(cc, 8);
		if (wcs[i] == NULL)
			abort();
	}
	if (ws == NULL)
		abort();
	return 0;
}

static uint8_t wire[1 << 17];

/* Everything @p from has to send, opened whole by @p to. */
static int
hop(struct hs_conn *from, struct hs_conn *to, struct hs_worker *wt)
{
	size_t len, have = 0;
	const uint8_t *out = hs_conn_send_buf(from, &len);

	if (len > sizeof(wire))
		abort();
	memcpy(wire, out, len);
	have = len;
	hs_conn_send_ack(from, len);
	while (have >= HS_RECORD_HEADER_LEN) {
		int n = hs_conn_record_size(to, wire), rc;
		struct iovec v;

		if (n < 0 || (size_t)n > have)
			return n < 0 ? n : -EPROTO;
		v = (struct iovec){ wire, (size_t)n };
		while ((rc = hs_conn_open_record(to, &v, 1, NULL, 0, NULL)) == -EAGAIN)
			if (hs_worker_run(wt) == 0)
				return -EAGAIN;
		if (rc < 0)
			return rc;
		memmove(wire, wire + n, have - (size_t)n);
		have -= (size_t)n;
	}
	return 0;
}

static int
establish(struct hs_conn *s, struct hs_conn *c, struct hs_worker *wc, uint8_t mode)
{
	int rc;

	if (hs_conn_init(s, ws, NULL, 0) != 0 || hs_conn_init_client(c, wc, wc->cli->cc, NULL, 0) != 0)
		abort();
	rc = hs_conn_client_start(c, NULL);
	hs_worker_run(wc);
	for (int i = 0; rc == 0 && i < 8; i++) {
		rc = hop(c, s, ws);
		hs_worker_run(ws);
		if (rc == 0)
			rc = hop(s, c, wc);
		hs_worker_run(wc);
		if (hs_conn_status(s) == HS_STATUS_ESTABLISHED &&
		    hs_conn_status(c) == HS_STATUS_ESTABLISHED) {
			hop(c, s, ws);
			hop(s, c, wc);
			if (mode & 4) {
				if (hs_conn_hctx_release(s) != 0 || hs_conn_hctx_release(c) != 0)
					abort();
			}
			return 0;
		}
	}
	return -1;
}

/* Open @p len bytes at @p rec in @p to, cut as @p cut says; checks. */
static void
open_cut(struct hs_conn *to, uint8_t *rec, size_t len, uint8_t cut, const uint8_t *want,
	 size_t want_len)
{
	static uint8_t pieces[8][20000], dst[4][17000];
	struct iovec v[8], d[4];
	unsigned n = 1 + (cut & 7), nd = 1 + ((cut >> 3) & 3);
	size_t at = 0, room = hs_conn_open_room(to, len);
	bool in_place = (cut & 0x80) != 0;
	int was_failed = hs_conn_status(to) == HS_STATUS_FAILED, rc;
	struct hs_rx rx;

	for (unsigned i = 0; i < n; i++) {
		size_t k = i + 1 == n ? len - at : (len - at) * (1 + (cut >> 5) % 3) / (n - i + 3);

		memset(pieces[i], 0xa5, k + 64);
		memcpy(pieces[i] + 32, rec + at, k);
		v[i] = (struct iovec){ pieces[i] + 32, k };
		at += k;
	}
	for (unsigned i = 0; i < nd; i++) {
		size_t k = i + 1 == nd ? (room - (room / nd) * i) : room / nd;

		memset(dst[i], 0x5a, k + 64 < sizeof(dst[i]) ? k + 64 : sizeof(dst[i]));
		d[i] = (struct iovec){ dst[i] + 32, k };
	}
	rc = hs_conn_open_record(to, v, n, in_place ? NULL : d, in_place ? 0 : nd, &rx);
	if (was_failed && rc >= 0)
		abort();        /* a failure is sticky */
	for (unsigned i = 0; i < n; i++)
		if (pieces[i][31] != 0xa5 || pieces[i][32 + v[i].iov_len] != 0xa5)
			abort();        /* written outside a piece */
	if (!in_place)
		for (unsigned i = 0; i < nd; i++)
			if (dst[i][31] != 0x5a || dst[i][32 + d[i].iov_len] != 0x5a)
				abort();
	if (rc > 0 && want != NULL) {
		/* Application data: exactly what was sealed. */
		uint8_t got[HS_RECORD_PLAINTEXT_MAX];
		const struct iovec *pv = in_place ? v : d;
		unsigned pn = in_place ? n : nd;
		size_t off = rx.off, k = 0;

		if ((size_t)rc != want_len || rx.len != (uint16_t)rc)
			abort();
		for (unsigned i = 0; i < pn && k < (size_t)rc; i++) {
			size_t l = pv[i].iov_len;

			if (off >= l) {
				off -= l;
				continue;
			}
			l -= off;
			if (l > (size_t)rc - k)
				l = (size_t)rc - k;
			memcpy(got + k, (uint8_t *)pv[i].iov_base + off, l);
			k += l;
			off = 0;
		}
		if (memcmp(got, want, (size_t)rc) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static uint8_t rec[20000];
	struct hs_conn s, c;
	struct hs_worker *wc;
	size_t at = 1;

	if (n < 1)
		return 0;
	wc = wcs[d[0] & 3];
	if (establish(&s, &c, wc, d[0]) != 0)
		abort();        /* hso against itself always completes */
	/* Records: [kind][len hi][len lo][cut][content...]. */
	while (at + 4 <= n) {
		uint8_t kind = d[at], cut = d[at + 3];
		size_t len = (size_t)d[at + 1] << 8 | d[at + 2];
		bool to_server = (kind & 0x80) == 0;
		struct hs_conn *from = to_server ? &c : &s, *to = to_server ? &s : &c;
		size_t out;

		at += 4;
		if (len > n - at)
			len = n - at;
		if (len > HS_RECORD_PLAINTEXT_MAX)
			len = HS_RECORD_PLAINTEXT_MAX;
		if (kind & 0x40) {
			/* Raw bytes, whatever they are, as one record. */
			if (len >= HS_RECORD_HEADER_LEN) {
				memcpy(rec, d + at, len);
				rec[3] = (uint8_t)((len - HS_RECORD_HEADER_LEN) >> 8);
				rec[4] = (uint8_t)(len - HS_RECORD_HEADER_LEN);
				if (hs_conn_record_size(to, rec) == (int)len)
					open_cut(to, rec, len, cut, NULL, 0);
			}
		} else if (hs_conn_status(from) == HS_STATUS_ESTABLISHED && from->wr_on) {
			/* Sealed by the peer with any content type. */
			uint8_t type = (kind & 0x3f) < 4 ? (uint8_t)(20 + (kind & 3)) : (uint8_t)(kind & 0x3f);
			size_t used;
			const uint8_t *o = hs_conn_send_buf(from, &used);

			hs_conn_send_ack(from, used);
			(void)o;
			if (type == HS_CT_APPLICATION_DATA && len > 0 && (kind & 0x20) == 0) {
				size_t head = hs_conn_seal_headroom(from), tail = hs_conn_seal_tailroom(from);
				struct iovec v = { rec + head, len };
				int rl;

				memcpy(rec + head, d + at, len);
				rl = hs_conn_seal_record(from, &v, 1, rec, rec + head + len);
				if (rl != (int)(head + len + tail))
					abort();
				open_cut(to, rec, (size_t)rl, cut, d + at, len);
			} else if (hs_write_record(from, type, d + at, len) == 0) {
				const uint8_t *r = hs_conn_send_buf(from, &used);

				memcpy(rec, r, used);
				hs_conn_send_ack(from, used);
				open_cut(to, rec, used, cut, type == HS_CT_APPLICATION_DATA ? d + at : NULL, len);
			}
		}
		at += len;
		/* Without a context the engine's own output fits its resident area. */
		hs_conn_send_buf(to, &out);
		if (to->hx == NULL && out > HS_CTL_OUT_SIZE)
			abort();
		hs_conn_send_ack(to, out);
		hs_worker_run(ws);
		hs_worker_run(wc);
	}
	hs_conn_reset(&s);
	hs_conn_reset(&c);
	if (ws->stats.hctx.in_use != 0 || wc->stats.hctx.in_use != 0)
		abort();        /* every context went back */
	return 0;
}
