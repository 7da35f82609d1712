/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client engine failing closed, and against hso's own server.
 *
 * Negative: a server that sends garbage, an old or unoffered version, the
 * RFC 8446 downgrade sentinel, a suite / group / extension the client never
 * offered, a second HelloRetryRequest, messages out of order, a fatal
 * alert, a bad CertificateVerify signature (full mode): each must fail the
 * connection with the alert the RFCs name, in plaintext before any key,
 * and nothing after it.
 *
 * hso client vs hso server in memory: both versions, every suite, both
 * modes, resumption by ticket (1.2, 1.3) and session id, many connections
 * sharing both workers' batches.
 */
#include <openssl/crypto.h>

#include "check.h"
#include "engine_priv.h"  /* checks the handshake context is wiped */
#include "hs_client.h"
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

static uint64_t test_now_ms = 1700000000000ull;

static uint64_t
test_clock(void)
{
	return test_now_ms;
}

static struct hso_cert *rsa_cert, *p256_cert, *rsa2_cert;
static struct hs_config scfg;
static struct hs_worker *sw;

/* ---------------------------------------------------------------- */
/* A scripted server: raw records fed to a client                    */
/* ---------------------------------------------------------------- */

struct cl {
	struct hs_client_config cc;
	struct hs_worker *w;
	struct hs_conn c;
	uint8_t *buf;
};

static void
cl_start(struct cl *t, enum hs_client_mode mode, bool tls12_only)
{
	memset(t, 0, sizeof(*t));
	CHECK_EQ(hs_client_config_init(&t->cc), 0);
	t->cc.base.now_ms = test_clock;
	t->cc.mode = mode;
	if (tls12_only)
		t->cc.base.nego.tls13 = false;
	t->w = hs_worker_create_client(&t->cc, 8);
	t->buf = calloc(1, HS_CONN_BUF_SIZE);
	CHECK_EQ(hs_conn_init_client(&t->c, t->w, &t->cc, t->buf, HS_CONN_BUF_SIZE), 0);
	CHECK_EQ(hs_conn_client_start(&t->c, NULL), 0);
	hs_worker_run(t->w);
}

static void
cl_free(struct cl *t)
{
	reset_wiped(&t->c);
	free(t->buf);
	hs_worker_free(t->w);
}

/* The ClientHello the client sent (handshake body), for echoing fields. */
static size_t
cl_take_hello(struct cl *t, uint8_t *out, size_t cap)
{
	size_t len, n;
	const uint8_t *o = hs_conn_send_buf(&t->c, &len);

	CHECK(len > 9 && o[0] == HS_CT_HANDSHAKE && o[5] == HS_MT_CLIENT_HELLO);
	n = (size_t)o[3] << 8 | o[4];
	if (n > cap)
		n = cap;
	memcpy(out, o + 5, n);
	hs_conn_send_ack(&t->c, len);
	return n;
}

static void
feed(struct cl *t, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t room, k;
		uint8_t *dst = hs_conn_recv_buf(&t->c, &room);

		k = n < room ? n : room;
		if (k == 0)
			return;
		memcpy(dst, p, k);
		hs_conn_recv_ack(&t->c, k);
		hs_worker_run(t->w);
		p += k;
		n -= k;
	}
}

static void
feed_record(struct cl *t, uint8_t type, const uint8_t *body, size_t n)
{
	uint8_t rec[8192];

	rec[0] = type;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = (uint8_t)(n >> 8);
	rec[4] = (uint8_t)n;
	memcpy(rec + 5, body, n);
	feed(t, rec, n + 5);
}

/* The client failed with @p alert and its output ends with that alert, in plaintext. */
static void
expect_alert(struct cl *t, int alert, const char *what)
{
	size_t len;
	const uint8_t *o = hs_conn_send_buf(&t->c, &len);

	CHECK_MSG(hs_conn_status(&t->c) == HS_STATUS_FAILED, "%s: status %d", what,
		  hs_conn_status(&t->c));
	CHECK_MSG(hs_err_alert(hs_conn_error(&t->c)) == alert, "%s: alert %d, want %d", what,
		  hs_err_alert(hs_conn_error(&t->c)), alert);
	CHECK_MSG(len >= 7 && o[len - 7] == HS_CT_ALERT && o[len - 2] == 2 &&
		  o[len - 1] == alert, "%s: alert record", what);
	/* Fail closed: nothing more comes out, whatever arrives. */
	hs_conn_send_ack(&t->c, len);
	feed_record(t, HS_CT_HANDSHAKE, (const uint8_t *)"\x0e\x00\x00\x00", 4);
	hs_conn_send_buf(&t->c, &len);
	CHECK_EQ(len, 0);
}

/* A ServerHello body, fields explicit; @p exts is the raw extensions block body. */
static size_t
sh_build(uint8_t *out, uint16_t version, const uint8_t *random, const uint8_t *sid,
	 size_t sid_len, uint16_t suite, const uint8_t *exts, size_t exts_len)
{
	size_t n = 4;

	out[0] = HS_MT_SERVER_HELLO;
	out[n++] = (uint8_t)(version >> 8);
	out[n++] = (uint8_t)version;
	memcpy(out + n, random, 32);
	n += 32;
	out[n++] = (uint8_t)sid_len;
	memcpy(out + n, sid, sid_len);
	n += sid_len;
	out[n++] = (uint8_t)(suite >> 8);
	out[n++] = (uint8_t)suite;
	out[n++] = 0;
	if (exts != NULL) {
		out[n++] = (uint8_t)(exts_len >> 8);
		out[n++] = (uint8_t)exts_len;
		memcpy(out + n, exts, exts_len);
		n += exts_len;
	}
	out[1] = 0;
	out[2] = (uint8_t)((n - 4) >> 8);
	out[3] = (uint8_t)(n - 4);
	return n;
}

/* The session id of a ClientHello body (for the TLS 1.3 echo). */
static const uint8_t *
ch_sid(const uint8_t *ch, size_t *len)
{
	*len = ch[4 + 2 + 32];
	return ch + 4 + 2 + 32 + 1;
}

static void
test_scripted(void)
{
	static const uint8_t random[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
					    31, 32 };
	uint8_t ch[4096], sh[1024], x25519[32];
	const uint8_t *sid;
	size_t sid_len, n;
	struct cl t;

	memset(x25519, 9, sizeof(x25519));
	/* Garbage: not a TLS record at all. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	feed(&t, (const uint8_t *)"HTTP/1.1 400 Bad Request\r\n\r\n", 28);
	expect_alert(&t, HS_ALERT_UNEXPECTED_MESSAGE, "garbage");
	cl_free(&t);

	/* TLS 1.1, no supported_versions. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	n = sh_build(sh, 0x0302, random, NULL, 0, 0xc02f, NULL, 0);
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	expect_alert(&t, HS_ALERT_PROTOCOL_VERSION, "tls1.1");
	cl_free(&t);

	/* supported_versions naming TLS 1.2: RFC 8446 4.2.1 illegal_parameter. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	sid = ch_sid(ch, &sid_len);
	n = sh_build(sh, 0x0303, random, sid, sid_len, 0x1301,
		     (const uint8_t *)"\x00\x2b\x00\x02\x03\x03", 6);
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	expect_alert(&t, HS_ALERT_ILLEGAL_PARAMETER, "supported_versions 1.2");
	cl_free(&t);

	/* The downgrade sentinels in a TLS 1.2 ServerHello to a 1.3 client. */
	for (int last = 0; last < 2; last++) {
		uint8_t r[32];

		memcpy(r, random, 24);
		memcpy(r + 24, "DOWNGRD", 7);
		r[31] = (uint8_t)last;
		cl_start(&t, HS_CLIENT_FULL, false);
		cl_take_hello(&t, ch, sizeof(ch));
		n = sh_build(sh, 0x0303, r, NULL, 0, 0xc02f, NULL, 0);
		feed_record(&t, HS_CT_HANDSHAKE, sh, n);
		expect_alert(&t, HS_ALERT_ILLEGAL_PARAMETER, "downgrade sentinel");
		cl_free(&t);
		/* A client offering only TLS 1.2 does not check it. */
		cl_start(&t, HS_CLIENT_FULL, true);
		cl_take_hello(&t, ch, sizeof(ch));
		feed_record(&t, HS_CT_HANDSHAKE, sh, n);
		CHECK_EQ(hs_conn_status(&t.c), HS_STATUS_HANDSHAKING);
		cl_free(&t);
	}

	/* Out of order: ServerHelloDone first. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	feed_record(&t, HS_CT_HANDSHAKE, (const uint8_t *)"\x0e\x00\x00\x00", 4);
	expect_alert(&t, HS_ALERT_UNEXPECTED_MESSAGE, "ServerHelloDone first");
	cl_free(&t);

	/* A TLS 1.3 suite not offered (TLS_AES_128_CCM_SHA256). */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	sid = ch_sid(ch, &sid_len);
	n = sh_build(sh, 0x0303, random, sid, sid_len, 0x1304,
		     (const uint8_t *)"\x00\x2b\x00\x02\x03\x04", 6);
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	expect_alert(&t, HS_ALERT_ILLEGAL_PARAMETER, "suite not offered");
	cl_free(&t);

	/* Unknown extension in a TLS 1.3 ServerHello. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	sid = ch_sid(ch, &sid_len);
	{
		uint8_t e[64];

		memcpy(e, "\x00\x2b\x00\x02\x03\x04\x12\x34\x00\x00", 10);
		n = sh_build(sh, 0x0303, random, sid, sid_len, 0x1301, e, 10);
	}
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	expect_alert(&t, HS_ALERT_UNSUPPORTED_EXTENSION, "unknown extension");
	cl_free(&t);

	/* legacy_session_id_echo that is not ours. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	n = sh_build(sh, 0x0303, random, random, 32, 0x1301,
		     (const uint8_t *)"\x00\x2b\x00\x02\x03\x04", 6);
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	expect_alert(&t, HS_ALERT_ILLEGAL_PARAMETER, "session id echo");
	cl_free(&t);

	/* A key share for a group the client sent no share for (P-256). */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	sid = ch_sid(ch, &sid_len);
	{
		uint8_t e[128];
		size_t k = 0;

		memcpy(e, "\x00\x2b\x00\x02\x03\x04\x00\x33\x00\x24\x00\x17\x00\x20", 14);
		k = 14;
		memcpy(e + k, x25519, 32);
		k += 32;
		n = sh_build(sh, 0x0303, random, sid, sid_len, 0x1301, e, k);
	}
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	expect_alert(&t, HS_ALERT_ILLEGAL_PARAMETER, "share for an unsent group");
	cl_free(&t);

	/* HRR naming the group the client already sent a share for. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	sid = ch_sid(ch, &sid_len);
	n = sh_build(sh, 0x0303, hs_hrr_random, sid, sid_len, 0x1301,
		     (const uint8_t *)"\x00\x2b\x00\x02\x03\x04\x00\x33\x00\x02\x00\x1d", 12);
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	expect_alert(&t, HS_ALERT_ILLEGAL_PARAMETER, "HRR for a sent share");
	cl_free(&t);

	/* Two HelloRetryRequests. */
	cl_start(&t, HS_CLIENT_LOAD, false);
	cl_take_hello(&t, ch, sizeof(ch));
	sid = ch_sid(ch, &sid_len);
	{
		uint8_t sid_copy[32];

		memcpy(sid_copy, sid, sid_len);
		n = sh_build(sh, 0x0303, hs_hrr_random, sid_copy, sid_len, 0x1301,
			     (const uint8_t *)"\x00\x2b\x00\x02\x03\x04\x00\x33\x00\x02\x00\x17",
			     12);
		feed_record(&t, HS_CT_HANDSHAKE, sh, n);
		CHECK_EQ(hs_conn_status(&t.c), HS_STATUS_HANDSHAKING);
		CHECK_EQ(t.w->stats.client_hrr, 1);
		{
			size_t len;

			hs_conn_send_buf(&t.c, &len);
			CHECK(len > 0);         /* CCS + the second ClientHello */
			hs_conn_send_ack(&t.c, len);
		}
		feed_record(&t, HS_CT_HANDSHAKE, sh, n);
		expect_alert(&t, HS_ALERT_UNEXPECTED_MESSAGE, "second HRR");
	}
	cl_free(&t);

	/* TLS 1.2 ServerHello with a TLS 1.3 extension (pre_shared_key). */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	n = sh_build(sh, 0x0303, random, NULL, 0, 0xc02f,
		     (const uint8_t *)"\x00\x29\x00\x02\x00\x00", 6);
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	expect_alert(&t, HS_ALERT_ILLEGAL_PARAMETER, "1.2 with pre_shared_key");
	/* A truncated key_share: decode_error. */
	cl_free(&t);
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	n = sh_build(sh, 0x0303, random, NULL, 0, 0xc02f,
		     (const uint8_t *)"\x00\x33\x00\x02\x00\x1d", 6);
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	expect_alert(&t, HS_ALERT_DECODE_ERROR, "truncated key_share");
	cl_free(&t);

	/* RFC 5746 3.4: renegotiated_connection not empty. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	n = sh_build(sh, 0x0303, random, NULL, 0, 0xc02f,
		     (const uint8_t *)"\xff\x01\x00\x02\x01\x00", 6);
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	expect_alert(&t, HS_ALERT_HANDSHAKE_FAILURE, "reneg_info not empty");
	cl_free(&t);

	/* TLS 1.2: Finished where the Certificate belongs. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	n = sh_build(sh, 0x0303, random, NULL, 0, 0xc02f, NULL, 0);
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	CHECK_EQ(hs_conn_status(&t.c), HS_STATUS_HANDSHAKING);
	feed_record(&t, HS_CT_HANDSHAKE, (const uint8_t *)"\x14\x00\x00\x0c" "012345678901", 16);
	expect_alert(&t, HS_ALERT_UNEXPECTED_MESSAGE, "Finished for Certificate");
	cl_free(&t);

	/* An empty Certificate (RFC 8446 4.4.2.4 names decode_error; 1.2 alike). */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	n = sh_build(sh, 0x0303, random, NULL, 0, 0xc02f, NULL, 0);
	feed_record(&t, HS_CT_HANDSHAKE, sh, n);
	feed_record(&t, HS_CT_HANDSHAKE, (const uint8_t *)"\x0b\x00\x00\x03\x00\x00\x00", 7);
	expect_alert(&t, HS_ALERT_DECODE_ERROR, "empty Certificate");
	cl_free(&t);

	/* A malformed change_cipher_spec. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	feed_record(&t, HS_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\x01\x01", 2);
	expect_alert(&t, HS_ALERT_UNEXPECTED_MESSAGE, "bad CCS");
	cl_free(&t);

	/* The server's fatal alert: the client fails with it and sends nothing. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	feed_record(&t, HS_CT_ALERT, (const uint8_t *)"\x02\x28", 2);
	CHECK_EQ(hs_conn_status(&t.c), HS_STATUS_FAILED);
	CHECK_EQ(hs_conn_error(&t.c), HS_ERR_PEER_ALERT(HS_ALERT_HANDSHAKE_FAILURE));
	{
		size_t len;

		hs_conn_send_buf(&t.c, &len);
		CHECK_EQ(len, 0);
	}
	cl_free(&t);

	/* Record overflow: a plaintext record over 2^14. */
	cl_start(&t, HS_CLIENT_FULL, false);
	cl_take_hello(&t, ch, sizeof(ch));
	feed(&t, (const uint8_t *)"\x16\x03\x03\x40\x01", 5);
	expect_alert(&t, HS_ALERT_RECORD_OVERFLOW, "record overflow");
	cl_free(&t);
}

/* ---------------------------------------------------------------- */
/* hso client vs hso server                                          */
/* ---------------------------------------------------------------- */

struct duo {
	struct hs_conn s, c;
	uint8_t *sbuf, *cbuf;
};

static void
move(struct hs_conn *from, struct hs_conn *to)
{
	size_t len, off = 0;
	const uint8_t *o = hs_conn_send_buf(from, &len);

	while (off < len) {
		size_t room;
		uint8_t *dst = hs_conn_recv_buf(to, &room);

		if (room == 0)
			break;
		if (room > len - off)
			room = len - off;
		memcpy(dst, o + off, room);
		off += room;
		if (hs_conn_recv_ack(to, room) != 0)
			break;
	}
	hs_conn_send_ack(from, off);
}

static int
duo_run(struct duo *d, struct hs_worker *cw)
{
	for (int i = 0; i < 20; i++) {
		hs_worker_run(cw);
		move(&d->c, &d->s);
		hs_worker_run(sw);
		move(&d->s, &d->c);
		hs_worker_run(cw);
		if (hs_conn_status(&d->c) == HS_STATUS_ESTABLISHED &&
		    hs_conn_status(&d->s) == HS_STATUS_ESTABLISHED && !hs_conn_waiting(&d->c) &&
		    !hs_conn_waiting(&d->s)) {
			move(&d->s, &d->c);     /* tickets */
			move(&d->c, &d->s);
			return 1;
		}
		if (hs_conn_status(&d->c) == HS_STATUS_FAILED ||
		    hs_conn_status(&d->s) == HS_STATUS_FAILED) {
			move(&d->c, &d->s);
			move(&d->s, &d->c);
			return 0;
		}
	}
	return 0;
}

static void
duo_start(struct duo *d, struct hs_worker *cw, const struct hs_client_config *cc,
	  const struct hs_client_session *s)
{
	d->sbuf = calloc(1, HS_CONN_BUF_SIZE);
	d->cbuf = calloc(1, HS_CONN_BUF_SIZE);
	CHECK_EQ(hs_conn_init(&d->s, sw, d->sbuf, HS_CONN_BUF_SIZE), 0);
	CHECK_EQ(hs_conn_init_client(&d->c, cw, cc, d->cbuf, HS_CONN_BUF_SIZE), 0);
	CHECK_EQ(hs_conn_client_start(&d->c, s), 0);
}

static void
duo_free(struct duo *d)
{
	reset_wiped(&d->s);
	reset_wiped(&d->c);
	free(d->sbuf);
	free(d->cbuf);
}

static int
duo_data(struct duo *d)
{
	uint8_t a[3000], b[3000];
	uint64_t seed = 5;
	int n;

	check_fill(&seed, a, sizeof(a));
	if (hs_conn_app_write(&d->c, a, sizeof(a)) != (int)sizeof(a))
		return 0;
	move(&d->c, &d->s);
	n = hs_conn_app_read(&d->s, b, sizeof(b));
	if (n != (int)sizeof(a) || memcmp(a, b, sizeof(a)) != 0)
		return 0;
	if (hs_conn_app_write(&d->s, b, 100) != 100)
		return 0;
	move(&d->s, &d->c);
	return hs_conn_app_read(&d->c, a, sizeof(a)) == 100 && memcmp(a, b, 100) == 0;
}

static void
test_hso_pair(void)
{
	struct hs_client_config cc;
	struct hs_worker *cw;
	struct hs_session_info ci, si;
	int before = check_failures;

	CHECK_EQ(hs_client_config_init(&cc), 0);
	cc.base.now_ms = test_clock;
	cw = hs_worker_create_client(&cc, 64);
	for (int m = 0; m < 2; m++) {
		for (unsigned i = 0; i < HS_SUITES_NUM; i++) {
			struct hs_client_config one = cc;
			struct duo d;

			one.mode = m ? HS_CLIENT_LOAD : HS_CLIENT_FULL;
			one.base.nego.suites[0] = hs_suite_at(i)->id;
			one.base.nego.n_suites = 1;
			/* A server picks the version first (hso like OpenSSL). */
			one.base.nego.tls13 = hs_suite_at(i)->version == HS_TLS13;
			duo_start(&d, cw, &one, NULL);
			CHECK_MSG(duo_run(&d, cw), "suite %04x mode %d: c %d s %d", hs_suite_at(i)->id,
				  m, hs_conn_error(&d.c), hs_conn_error(&d.s));
			hs_conn_session_info(&d.c, &ci);
			hs_conn_session_info(&d.s, &si);
			CHECK_EQ(ci.suite, si.suite);
			CHECK_EQ(ci.group, si.group);
			CHECK(duo_data(&d));
			duo_free(&d);
		}
	}
	/* Resumption: 1.3 ticket (PSK-DHE and PSK-KE), 1.2 ticket and session id. */
	for (int k = 0; k < 4; k++) {
		struct hs_client_config one = cc;
		struct hs_client_session s;
		struct duo d;

		one.resume = k == 1 ? HS_RESUME_PSK_KE : k == 3 ? HS_RESUME_SESSION_ID
							      : HS_RESUME_TICKET;
		one.base.nego.tls13 = k <= 1;
		duo_start(&d, cw, &one, NULL);
		CHECK(duo_run(&d, cw));
		CHECK(duo_data(&d));
		CHECK_EQ(hs_conn_client_session(&d.c, &s), 0);
		duo_free(&d);
		duo_start(&d, cw, &one, &s);
		CHECK_MSG(duo_run(&d, cw), "resume %d: c %d s %d", k, hs_conn_error(&d.c),
			  hs_conn_error(&d.s));
		hs_conn_session_info(&d.c, &ci);
		hs_conn_session_info(&d.s, &si);
		CHECK_MSG(ci.resumed && si.resumed, "resume %d", k);
		CHECK(duo_data(&d));
		duo_free(&d);
		hs_client_session_wipe(&s);
	}
	/* 40 connections at once through both workers' batches. */
	{
		struct duo *ds = calloc(40, sizeof(*ds));
		uint64_t runs = cw->stats.kdf_runs;
		int ok = 0;

		for (int i = 0; i < 40; i++)
			duo_start(&ds[i], cw, &cc, NULL);
		for (int r = 0; r < 10; r++) {
			hs_worker_run(cw);
			for (int i = 0; i < 40; i++)
				move(&ds[i].c, &ds[i].s);
			hs_worker_run(sw);
			for (int i = 0; i < 40; i++)
				move(&ds[i].s, &ds[i].c);
		}
		hs_worker_run(cw);
		for (int i = 0; i < 40; i++) {
			ok += hs_conn_status(&ds[i].c) == HS_STATUS_ESTABLISHED;
			duo_free(&ds[i]);
		}
		CHECK_EQ(ok, 40);
		/* Batched: far fewer KDF runs than connections x stages. */
		CHECK_MSG(cw->stats.kdf_runs - runs < 40, "kdf runs %llu",
			  (unsigned long long)(cw->stats.kdf_runs - runs));
		free(ds);
	}
	hs_worker_free(cw);
	printf("hso pair: %s\n", check_failures == before ? "ok" : "FAILED");
}

/* A server whose key is not its certificate's: full mode says decrypt_error. */
static void
test_bad_signature(void)
{
	struct hs_client_config cc;
	struct hs_worker *cw;
	EVP_PKEY *saved = rsa_cert->pkey;

	/* hso signs with rsa2's key but sends rsa's certificate. */
	rsa_cert->pkey = rsa2_cert->pkey;
	for (int v = 0; v < 2; v++) {
		for (int m = 0; m < 2; m++) {
			struct duo d;

			CHECK_EQ(hs_client_config_init(&cc), 0);
			cc.base.now_ms = test_clock;
			cc.mode = m ? HS_CLIENT_LOAD : HS_CLIENT_FULL;
			cc.base.nego.suites[0] = v ? HS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
						   : HS_TLS_AES_128_GCM_SHA256;
			cc.base.nego.n_suites = 1;
			cc.base.nego.tls13 = v == 0;
			/* RSA certificate only: no ECDSA scheme. */
			cc.base.nego.sigalgs[0] = HS_SIG_RSA_PSS_RSAE_SHA256;
			cc.base.nego.n_sigalgs = 1;
			cw = hs_worker_create_client(&cc, 8);
			duo_start(&d, cw, &cc, NULL);
			if (m == 0) {
				CHECK(!duo_run(&d, cw));
				CHECK_EQ(hs_conn_error(&d.c), HS_ERR_ALERT(HS_ALERT_DECRYPT_ERROR));
				CHECK_EQ(hs_conn_error(&d.s),
					 HS_ERR_PEER_ALERT(HS_ALERT_DECRYPT_ERROR));
			} else {
				/* Load mode verifies nothing: the server cannot tell. */
				CHECK(duo_run(&d, cw));
			}
			duo_free(&d);
			hs_worker_free(cw);
		}
	}
	rsa_cert->pkey = saved;
	/* The server worker keeps a per-certificate copy of the key: drop it. */
	hso_asym_ctx_forget(sw->asym, rsa_cert);
}

static struct hso_cert *
load(const char *dir, const char *tag, EVP_PKEY *key, const char *san)
{
	char *kp, *cp = tk_pair(dir, tag, key, san, &kp);
	char err[256];
	struct hso_cert *c = hso_cert_load(cp, kp, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "load %s: %s\n", tag, err);
	free(cp);
	free(kp);
	return c;
}

int
main(void)
{
	char dir[] = "/tmp/hso-client-neg-XXXXXX";
	struct hso_stek_config sc;
	struct hso_stek_set *stek;
	EVP_PKEY *k1, *k2, *k3;

	if (mkdtemp(dir) == NULL)
		return 1;
	k1 = tk_keygen("RSA", NULL, 2048);
	k2 = tk_keygen("EC", "P-256", 0);
	k3 = tk_keygen("RSA", NULL, 2048);
	rsa_cert = load(dir, "rsa", k1, "DNS:rsa.test");
	p256_cert = load(dir, "p256", k2, "DNS:ec.test");
	rsa2_cert = load(dir, "rsa2", k3, "DNS:rsa2.test");
	if (!rsa_cert || !p256_cert || !rsa2_cert)
		return 1;
	CHECK_EQ(hs_config_init(&scfg), 0);
	scfg.now_ms = test_clock;
	hso_stek_config_default(&sc);
	stek = hso_stek_set_create(&sc, test_now_ms / 1000);
	scfg.stek = stek;
	CHECK_EQ(hs_config_add_cert(&scfg, rsa_cert, true), 0);
	CHECK_EQ(hs_config_add_cert(&scfg, p256_cert, true), 0);
	sw = hs_worker_create(&scfg, 256);
	if (sw == NULL || stek == NULL)
		return 1;

	test_scripted();
	test_bad_signature();
	test_hso_pair();

	hs_worker_free(sw);
	hs_config_wipe(&scfg);
	hso_stek_set_free(stek);
	hso_cert_free(rsa_cert);
	hso_cert_free(p256_cert);
	hso_cert_free(rsa2_cert);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
	tk_rmdir(dir);
	return check_result("client_negative");
}
