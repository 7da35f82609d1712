/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handshake engine against OpenSSL's libssl client, in memory: every
 * version x suite x group x certificate type hso serves, HelloRetryRequest,
 * SNI selection, ALPN, application data both ways (also fed one byte at a
 * time), KeyUpdate, close_notify, many handshakes sharing one worker batch,
 * and the RSA key exchange's implicit rejection as a client sees it.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "check.h"
#include "engine_priv.h"  /* peeks at the handshake context */
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

static struct hs_config cfg;
static uint64_t test_now_ms = 1700000000000ull;

static uint64_t
test_clock(void)
{
	return test_now_ms;
}
static struct hs_worker *worker;
static struct hso_cert *rsa_cert, *p256_cert, *p384_cert, *alt_cert;

struct pair {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rb, *wb;           /* client's read / write memory BIOs */
	struct hs_conn conn;
	uint8_t *buf;
	int byte_at_a_time;
	/* Hook on client -> server bytes (tamper tests). */
	void (*tamper)(uint8_t *p, size_t n, void *arg);
	void *tamper_arg;
};

struct client_opts {
	int version;            /* 0: both */
	const char *ciphers13;
	const char *ciphers12;
	const char *groups;
	const char *sigalgs;
	const char *sni;
	const char *alpn;       /* wire form */
	int no_ems;
	SSL_SESSION *session;   /* resume this */
	uint64_t options;       /* SSL_OP_* */
};

static void
keylog(const SSL *ssl, const char *line)
{
	(void)ssl;
	fprintf(stderr, "keylog: %s\n", line);
}

static void
msgcb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl,
      void *arg)
{
	(void)version;
	(void)ssl;
	(void)arg;
	if (content_type == 22 || content_type == 21)
		fprintf(stderr, "msg %s type %d hs %d len %zu\n", write_p ? "sent" : "recv",
			content_type, len ? ((const uint8_t *)buf)[0] : -1, len);
}

static int
pair_start(struct pair *p, const struct client_opts *o)
{
	memset(p, 0, sizeof(*p));
	p->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(p->ctx, SSL_VERIFY_NONE, NULL);
	if (o->version) {
		SSL_CTX_set_min_proto_version(p->ctx, o->version);
		SSL_CTX_set_max_proto_version(p->ctx, o->version);
	}
	if ((o->ciphers13 && !SSL_CTX_set_ciphersuites(p->ctx, o->ciphers13)) ||
	    (o->ciphers12 && !SSL_CTX_set_cipher_list(p->ctx, o->ciphers12)) ||
	    (o->groups && !SSL_CTX_set1_groups_list(p->ctx, o->groups)) ||
	    (o->sigalgs && !SSL_CTX_set1_sigalgs_list(p->ctx, o->sigalgs)))
		return -1;
	if (getenv("HSO_TEST_TRACE")) {
		SSL_CTX_set_keylog_callback(p->ctx, keylog);
		SSL_CTX_set_msg_callback(p->ctx, msgcb);
	}
	if (o->no_ems)
		SSL_CTX_set_options(p->ctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
	if (o->options)
		SSL_CTX_set_options(p->ctx, o->options);
	p->ssl = SSL_new(p->ctx);
	p->rb = BIO_new(BIO_s_mem());
	p->wb = BIO_new(BIO_s_mem());
	SSL_set_bio(p->ssl, p->rb, p->wb);
	if (o->sni)
		SSL_set_tlsext_host_name(p->ssl, o->sni);
	if (o->alpn)
		SSL_set_alpn_protos(p->ssl, (const unsigned char *)o->alpn, strlen(o->alpn));
	if (o->session)
		SSL_set_session(p->ssl, o->session);
	SSL_set_connect_state(p->ssl);
	/* Zeroed, so the all-zero check after reset speaks of what we wrote. */
	p->buf = calloc(1, HS_CONN_BUF_SIZE);
	return hs_conn_init(&p->conn, worker, p->buf, HS_CONN_BUF_SIZE);
}

static void
pair_free(struct pair *p)
{
	reset_wiped(&p->conn);
	/* Nothing of the connection's plaintext or handshake survives a reset. */
	CHECK(check_all_zero(p->buf, HS_CONN_BUF_SIZE));
	CHECK(check_all_zero((const uint8_t *)&p->conn, sizeof(p->conn)));
	free(p->buf);
	SSL_free(p->ssl);
	SSL_CTX_free(p->ctx);
}

/* Client -> engine: everything the client wrote. */
static void
to_server(struct pair *p)
{
	uint8_t tmp[65536];
	int n;

	while ((n = BIO_read(p->wb, tmp, sizeof(tmp))) > 0) {
		size_t off = 0;

		if (p->tamper)
			p->tamper(tmp, (size_t)n, p->tamper_arg);
		while (off < (size_t)n) {
			size_t room, k;
			uint8_t *dst = hs_conn_recv_buf(&p->conn, &room);

			k = (size_t)n - off;
			if (p->byte_at_a_time && k > 1)
				k = 1;
			if (k > room)
				k = room;
			if (k == 0)
				return;   /* engine input full: caller must read app data */
			memcpy(dst, tmp + off, k);
			off += k;
			if (hs_conn_recv_ack(&p->conn, k) != 0)
				return;
			hs_worker_run(worker);
		}
	}
	hs_worker_run(worker);
}

/* Engine -> client. */
static void
to_client(struct pair *p)
{
	size_t len;
	const uint8_t *out = hs_conn_send_buf(&p->conn, &len);

	if (len > 0) {
		BIO_write(p->rb, out, (int)len);
		hs_conn_send_ack(&p->conn, len);
	}
}

/* Run the handshake; 1 when both sides completed it. */
static int
pair_handshake(struct pair *p)
{
	for (int i = 0; i < 50; i++) {
		int rc = SSL_do_handshake(p->ssl);
		int err = SSL_get_error(p->ssl, rc);

		to_server(p);
		to_client(p);
		if (getenv("HSO_TEST_TRACE"))
			fprintf(stderr, "iter %d: client rc %d err %d, engine state %d status %d waiting %d out %zu in %zu\n",
				i, rc, err, p->conn.state, p->conn.status,
				p->conn.waiting, p->conn.hx ? p->conn.hx->out_len : 0,
				p->conn.hx ? p->conn.hx->in_len : 0);
		if (rc == 1 && hs_conn_status(&p->conn) == HS_STATUS_ESTABLISHED)
			return 1;
		if (rc <= 0 && err != SSL_ERROR_WANT_READ)
			return 0;
		if (hs_conn_status(&p->conn) == HS_STATUS_FAILED) {
			SSL_do_handshake(p->ssl);
			return 0;
		}
	}
	return 0;
}

/* Send @p n bytes each way and check them. */
static int
pair_exchange(struct pair *p, size_t n)
{
	uint8_t *src = malloc(n), *dst = malloc(n);
	size_t got = 0, sent = 0;
	int ok = 1;

	RAND_bytes(src, (int)n);
	/* client -> server */
	while (sent < n || got < n) {
		if (sent < n) {
			int w = SSL_write(p->ssl, src + sent, (int)(n - sent > 16384 ? 16384 : n - sent));

			if (w <= 0)
				return 0;
			sent += (size_t)w;
		}
		to_server(p);
		for (;;) {
			int r = hs_conn_app_read(&p->conn, dst + got, n - got);

			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (sent == n && got < n && BIO_pending(p->wb) == 0)
			break;
	}
	if (getenv("HSO_TEST_TRACE"))
		fprintf(stderr, "c->s: sent %zu got %zu err %d state %d\n", sent, got,
			hs_conn_error(&p->conn), p->conn.state),
		check_hexdump("c_ap", p->conn.c_ap, 32);
	ok &= got == n && memcmp(src, dst, n) == 0;
	/* server -> client */
	RAND_bytes(src, (int)n);
	sent = got = 0;
	while (got < n) {
		if (sent < n) {
			int w = hs_conn_app_write(&p->conn, src + sent, n - sent);

			if (w < 0)
				break;
			sent += (size_t)w;
		}
		to_client(p);
		for (;;) {
			int r = SSL_read(p->ssl, dst + got, (int)(n - got));

			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (sent == n && got < n && BIO_pending(p->rb) == 0)
			break;
		to_server(p);   /* e.g. KeyUpdate replies */
	}
	ok &= got == n && memcmp(src, dst, n) == 0;
	free(src);
	free(dst);
	return ok;
}

struct expect {
	uint16_t version;
	uint16_t suite;
	uint16_t group;
	const struct hso_cert *cert;
};

static void
run_case(const char *what, const struct client_opts *o, const struct expect *e)
{
	struct pair p;
	struct hs_session_info si;
	int ok;

	if (pair_start(&p, o) != 0) {
		CHECK_MSG(0, "%s: client setup", what);
		return;
	}
	ok = pair_handshake(&p);
	CHECK_MSG(ok, "%s: handshake failed: engine err %d, client %s", what,
		  hs_conn_error(&p.conn), ERR_error_string(ERR_get_error(), NULL));
	if (ok) {
		hs_conn_session_info(&p.conn, &si);
		CHECK_MSG(si.version == e->version, "%s: version %x", what, si.version);
		CHECK_MSG(si.suite == e->suite, "%s: suite %x", what, si.suite);
		CHECK_MSG(SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(p.ssl)) == e->suite,
			  "%s: client suite", what);
		if (e->group)
			CHECK_MSG(si.group == e->group, "%s: group %x", what, si.group);
		if (e->cert)
			CHECK_MSG(si.cert == e->cert, "%s: certificate", what);
		CHECK_MSG(pair_exchange(&p, 1000), "%s: application data", what);
	}
	ERR_clear_error();
	pair_free(&p);
}

static void
test_matrix(void)
{
	static const struct { const char *name; uint16_t id; } s13[] = {
		{ "TLS_AES_128_GCM_SHA256", 0x1301 },
		{ "TLS_AES_256_GCM_SHA384", 0x1302 },
		{ "TLS_CHACHA20_POLY1305_SHA256", 0x1303 },
	};
	static const struct { const char *name; uint16_t id; } groups[] = {
		{ "X25519", HS_GROUP_X25519 }, { "P-256", HS_GROUP_SECP256R1 },
	};
	static const struct { const char *sigalgs; const char *sni; struct hso_cert **cert; } certs[] = {
		{ "RSA-PSS+SHA256:RSA-PSS+SHA384", "rsa.test", &rsa_cert },
		{ "ECDSA+SHA256", "ec.test", &p256_cert },
		{ "ECDSA+SHA384", "ec.test", &p384_cert },
	};
	static const struct { const char *name; uint16_t id; int ecdsa; } s12[] = {
		{ "ECDHE-ECDSA-AES128-GCM-SHA256", 0xc02b, 1 },
		{ "ECDHE-ECDSA-AES256-GCM-SHA384", 0xc02c, 1 },
		{ "ECDHE-ECDSA-CHACHA20-POLY1305", 0xcca9, 1 },
		{ "ECDHE-RSA-AES128-GCM-SHA256", 0xc02f, 0 },
		{ "ECDHE-RSA-AES256-GCM-SHA384", 0xc030, 0 },
		{ "ECDHE-RSA-CHACHA20-POLY1305", 0xcca8, 0 },
		{ "AES128-GCM-SHA256", 0x009c, 0 },
		{ "AES256-GCM-SHA384", 0x009d, 0 },
	};
	char what[256];

	for (size_t s = 0; s < 3; s++)
		for (size_t g = 0; g < 2; g++)
			for (size_t k = 0; k < 3; k++) {
				snprintf(what, sizeof(what), "TLS1.3 %s %s %s", s13[s].name,
					 groups[g].name, certs[k].sigalgs);
				run_case(what, &(struct client_opts){
						.version = TLS1_3_VERSION,
						.ciphers13 = s13[s].name,
						.groups = groups[g].name,
						.sigalgs = certs[k].sigalgs,
						.sni = certs[k].sni },
					 &(struct expect){ HS_TLS13, s13[s].id, groups[g].id,
							   *certs[k].cert });
			}
	for (size_t s = 0; s < sizeof(s12) / sizeof(s12[0]); s++)
		for (int ems = 0; ems <= 1; ems++)
			for (size_t g = 0; g < 2; g++) {
				bool rsa_kx = s12[s].id == 0x009c || s12[s].id == 0x009d;

				if (rsa_kx && g == 1)
					continue;
				snprintf(what, sizeof(what), "TLS1.2 %s %s ems=%d", s12[s].name,
					 groups[g].name, ems);
				run_case(what, &(struct client_opts){
						.version = TLS1_2_VERSION,
						.ciphers12 = s12[s].name,
						/* ECDSA certs are P-256: the client must list it. */
						.groups = s12[s].ecdsa && g == 0 ? "X25519:P-256"
										   : groups[g].name,
						.sni = s12[s].ecdsa ? "ec.test" : "rsa.test",
						.no_ems = !ems },
					 &(struct expect){ HS_TLS12, s12[s].id,
							   rsa_kx ? 0 : groups[g].id,
							   s12[s].ecdsa ? p256_cert : rsa_cert });
			}
}

static void
test_hrr_sni_alpn(void)
{
	struct pair p;
	struct hs_session_info si;
	const unsigned char *alpn;
	unsigned alpn_len;

	/* The client's only share is P-384: HelloRetryRequest for X25519. */
	run_case("HRR", &(struct client_opts){ .version = TLS1_3_VERSION,
					       .groups = "P-384:X25519" },
		 &(struct expect){ HS_TLS13, 0x1301, HS_GROUP_X25519, NULL });
	run_case("HRR TLS_AES_256_GCM_SHA384", &(struct client_opts){
			.version = TLS1_3_VERSION, .groups = "P-384:P-256",
			.ciphers13 = "TLS_AES_256_GCM_SHA384" },
		 &(struct expect){ HS_TLS13, 0x1302, HS_GROUP_SECP256R1, NULL });

	/* SNI: exact, wildcard, unknown (default certificate). */
	run_case("SNI exact", &(struct client_opts){ .sni = "alt.example",
						     .sigalgs = "RSA-PSS+SHA256" },
		 &(struct expect){ HS_TLS13, 0x1301, 0, alt_cert });
	run_case("SNI wildcard", &(struct client_opts){ .sni = "x.wild.example",
							.sigalgs = "RSA-PSS+SHA256" },
		 &(struct expect){ HS_TLS13, 0x1301, 0, alt_cert });
	run_case("SNI unknown", &(struct client_opts){ .sni = "nobody.example",
						       .sigalgs = "RSA-PSS+SHA256" },
		 &(struct expect){ HS_TLS13, 0x1301, 0, rsa_cert });
	run_case("SNI TLS1.2", &(struct client_opts){ .version = TLS1_2_VERSION,
						      .sni = "alt.example",
						      .ciphers12 = "ECDHE-RSA-AES128-GCM-SHA256" },
		 &(struct expect){ HS_TLS12, 0xc02f, 0, alt_cert });

	/* ALPN, both versions; byte-at-a-time input for the second. */
	for (int v = 0; v < 2; v++) {
		pair_start(&p, &(struct client_opts){
			.version = v ? TLS1_2_VERSION : TLS1_3_VERSION,
			.alpn = "\x02h2\x08http/1.1" });
		p.byte_at_a_time = v;
		CHECK(pair_handshake(&p));
		SSL_get0_alpn_selected(p.ssl, &alpn, &alpn_len);
		CHECK(alpn_len == 8 && memcmp(alpn, "http/1.1", 8) == 0);
		hs_conn_session_info(&p.conn, &si);
		CHECK(si.alpn_len == 8 && memcmp(si.alpn, "http/1.1", 8) == 0);
		CHECK(pair_exchange(&p, 70000));
		pair_free(&p);
	}
}

static void
test_key_update_and_close(void)
{
	struct pair p;
	uint8_t b[16];

	for (int v = 0; v < 2; v++) {
		pair_start(&p, &(struct client_opts){
			.version = v ? TLS1_2_VERSION : TLS1_3_VERSION });
		CHECK(pair_handshake(&p));
		if (!v) {
			/* Client asks for an update both ways; data still flows. */
			CHECK_EQ(SSL_key_update(p.ssl, SSL_KEY_UPDATE_REQUESTED), 1);
			CHECK(pair_exchange(&p, 5000));
			CHECK_EQ(hs_conn_key_update(&p.conn, false), 0);
			CHECK(pair_exchange(&p, 5000));
		} else {
			CHECK_EQ(hs_conn_key_update(&p.conn, false), -ENOTCONN);
		}
		/* close_notify from the client: the engine answers in kind. */
		CHECK_EQ(SSL_shutdown(p.ssl), 0);
		to_server(&p);
		CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_CLOSED);
		to_client(&p);
		CHECK_EQ(SSL_read(p.ssl, b, sizeof(b)), 0);
		CHECK_EQ(SSL_get_error(p.ssl, 0), SSL_ERROR_ZERO_RETURN);
		CHECK_EQ(SSL_shutdown(p.ssl), 1);
		pair_free(&p);
	}
}

/* The client's first alert after the engine failed, or -1. */
static int
engine_alert(struct pair *p)
{
	(void)p;
	return hs_err_alert(hs_conn_error(&p->conn));
}

struct cke_tamper {
	int mode;       /* 1: flip a ciphertext byte; 2: valid PKCS#1, wrong version */
	EVP_PKEY *pub;
	int done;
};

static void
tamper_cke(uint8_t *buf, size_t n, void *arg)
{
	struct cke_tamper *t = arg;

	/* The plaintext CKE record: 22 03 03 len, then 10 00 01 02 01 00 <256>. */
	for (size_t i = 0; !t->done && i + 5 + 6 + 256 <= n; i++) {
		if (buf[i] != 22 || buf[i + 5] != 16 || buf[i + 9] != 1 || buf[i + 10] != 0)
			continue;
		if (t->mode == 1) {
			buf[i + 11 + 100] ^= 0x40;
		} else {
			uint8_t pms[48], ct[256];
			size_t ct_len = sizeof(ct);
			EVP_PKEY_CTX *e = EVP_PKEY_CTX_new(t->pub, NULL);

			RAND_bytes(pms, 48);
			pms[0] = 3;
			pms[1] = 1;     /* not the 0x0303 the ClientHello offered */
			EVP_PKEY_encrypt_init(e);
			EVP_PKEY_CTX_set_rsa_padding(e, RSA_PKCS1_PADDING);
			EVP_PKEY_encrypt(e, ct, &ct_len, pms, 48);
			memcpy(buf + i + 11, ct, 256);
			EVP_PKEY_CTX_free(e);
		}
		t->done = 1;
	}
}

static void
test_rsa_implicit_rejection(void)
{
	for (int mode = 1; mode <= 2; mode++) {
		struct pair p;
		struct cke_tamper t = { mode, rsa_cert->pkey, 0 };

		pair_start(&p, &(struct client_opts){ .version = TLS1_2_VERSION,
						      .ciphers12 = "AES128-GCM-SHA256",
						      .sni = "rsa.test" });
		p.tamper = tamper_cke;
		p.tamper_arg = &t;
		CHECK(!pair_handshake(&p));
		CHECK(t.done);
		/*
		 * The engine found nothing wrong until the client's Finished:
		 * its record does not open under keys from the random
		 * premaster. Same alert, same place, whatever was wrong.
		 */
		CHECK_MSG(engine_alert(&p) == HS_ALERT_BAD_RECORD_MAC,
			  "mode %d: alert %d", mode, engine_alert(&p));
		ERR_clear_error();
		pair_free(&p);
	}
}

/* Handshake, let the client read the ticket, return its session. */
static SSL_SESSION *
full_handshake_session(const struct client_opts *o, int *issued)
{
	struct pair p;
	SSL_SESSION *sess = NULL;
	uint64_t before = worker->stats.tickets_issued;
	uint8_t b[1];

	pair_start(&p, o);
	if (pair_handshake(&p)) {
		/* TLS 1.3 tickets arrive after the handshake: read to take them. */
		{
			int r = SSL_read(p.ssl, b, 1);

			if (getenv("HSO_TEST_TRACE"))
				fprintf(stderr, "ticket read: %d err %d %s out_len %zu\n", r,
					SSL_get_error(p.ssl, r), ERR_error_string(ERR_get_error(), NULL),
					p.conn.hx ? p.conn.hx->out_len : 0);
		}
		sess = SSL_get1_session(p.ssl);
		CHECK(pair_exchange(&p, 100));
		/* Freed without close_notify, OpenSSL marks the session unresumable. */
		SSL_shutdown(p.ssl);
	}
	*issued = (int)(worker->stats.tickets_issued - before);
	pair_free(&p);
	return sess;
}

/* Resume @p sess; returns 1 resumed, 0 full handshake, -1 failed. */
static int
resume(struct client_opts o, SSL_SESSION *sess, struct pair *p, int keep)
{
	int ok, reused;
	/*
	 * A copy per attempt: OpenSSL marks a session unresumable when an SSL
	 * that used it fails, which would turn later cases into full
	 * handshakes that pass for the wrong reason.
	 */
	SSL_SESSION *copy = SSL_SESSION_dup(sess);

	o.session = copy;
	pair_start(p, &o);
	SSL_SESSION_free(copy);
	CHECK(SSL_SESSION_is_resumable(SSL_get_session(p->ssl)));
	ok = pair_handshake(p);
	reused = ok ? SSL_session_reused(p->ssl) : -1;
	if (ok) {
		CHECK(pair_exchange(p, 1000));
		/* Both sides agree on whether it resumed. */
		CHECK_EQ(p->conn.resumed, reused);
	}
	if (!keep)
		pair_free(p);
	return reused;
}

static struct hso_stek_set *
new_stek(void)
{
	struct hso_stek_config sc;

	hso_stek_config_default(&sc);
	return hso_stek_set_create(&sc, test_now_ms / 1000);
}

static void
tamper_binder(uint8_t *buf, size_t n, void *arg)
{
	int *done = arg;

	/*
	 * The ClientHello is the first record; its binder is its last bytes.
	 * Only a hello that carries a PSK (long: identity + binder) counts.
	 */
	if (!*done && n > 300 && buf[0] == 22 && buf[5] == 1) {
		size_t rec = 5 + ((size_t)buf[3] << 8 | buf[4]);

		buf[rec - 1] ^= 1;
		*done = 1;
	}
}

static void
test_resumption13(void)
{
	struct hso_stek_set *stek = new_stek(), *other = new_stek();
	struct client_opts o = { .version = TLS1_3_VERSION, .sni = "rsa.test" };
	SSL_SESSION *sess;
	struct pair p;
	int issued, rc;

	cfg.stek = stek;
	sess = full_handshake_session(&o, &issued);
	CHECK_EQ(issued, 1);
	CHECK(sess != NULL && SSL_SESSION_is_resumable(sess));
	if (sess == NULL)
		goto out;

	/* psk_dhe_ke: resumed, with a fresh ECDHE; the engine issues a new ticket. */
	issued = (int)worker->stats.tickets_issued;
	CHECK_EQ(resume(o, sess, &p, 1), 1);
	CHECK(p.conn.hx->psk_dhe);
	CHECK_EQ(worker->stats.tickets_issued - (uint64_t)issued, 1);
	pair_free(&p);

	/* psk_ke: no group in common, the client allows PSK without (EC)DHE. */
	{
		struct client_opts ke = o;

		ke.groups = "P-384";
		ke.options = SSL_OP_ALLOW_NO_DHE_KEX;
		CHECK_EQ(resume(ke, sess, &p, 1), 1);
		CHECK(!p.conn.hx->psk_dhe);
		pair_free(&p);
		/* ... refused when the policy wants forward secrecy: no handshake at all. */
		cfg.psk_ke = false;
		CHECK_EQ(resume(ke, sess, &p, 0), -1);
		cfg.psk_ke = true;
	}

	/* A broken binder: decrypt_error (RFC 8446 4.2.11.2, 6.2). */
	{
		int done = 0;
		struct client_opts t = o;

		t.session = SSL_SESSION_dup(sess);
		pair_start(&p, &t);
		SSL_SESSION_free(t.session);
		p.tamper = tamper_binder;
		p.tamper_arg = &done;
		CHECK(!pair_handshake(&p));
		CHECK(done);
		CHECK_EQ(hs_conn_error(&p.conn), HS_ERR_ALERT(HS_ALERT_DECRYPT_ERROR));
		pair_free(&p);
		ERR_clear_error();
	}

	/* Another SNI: the ticket is not for this name, full handshake. */
	{
		struct client_opts alt = o;

		alt.sni = "alt.example";
		CHECK_EQ(resume(alt, sess, &p, 0), 0);
	}

	/* Keys rotated away: unknown ticket, full handshake. */
	cfg.stek = other;
	CHECK_EQ(resume(o, sess, &p, 0), 0);
	cfg.stek = stek;

	/* Expired: past the lifetime, full handshake. */
	test_now_ms += (uint64_t)cfg.ticket_lifetime * 1000u + 1000u;
	rc = resume(o, sess, &p, 0);
	CHECK_EQ(rc, 0);
	test_now_ms -= (uint64_t)cfg.ticket_lifetime * 1000u + 1000u;

	/* Tickets off: none issued. */
	cfg.stek = NULL;
	SSL_SESSION_free(sess);
	sess = full_handshake_session(&o, &issued);
	CHECK_EQ(issued, 0);
out:
	SSL_SESSION_free(sess);
	cfg.stek = NULL;
	hso_stek_set_free(stek);
	hso_stek_set_free(other);
}

static void
test_resumption12(void)
{
	struct hso_stek_set *stek = new_stek();
	struct client_opts o = { .version = TLS1_2_VERSION, .sni = "rsa.test",
				 .ciphers12 = "ECDHE-RSA-AES128-GCM-SHA256" };
	SSL_SESSION *sess;
	struct pair p;
	int issued;

	/* By ticket (RFC 5077): issued on the full handshake, then resumed. */
	cfg.stek = stek;
	sess = full_handshake_session(&o, &issued);
	CHECK_EQ(issued, 1);
	CHECK(sess != NULL);
	if (sess != NULL) {
		CHECK_EQ(resume(o, sess, &p, 0), 1);
		/* The same session with RSA key exchange offered: still the old suite. */
		{
			struct client_opts both = o;

			both.ciphers12 = "AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256";
			CHECK_EQ(resume(both, sess, &p, 1), 1);
			CHECK_EQ(p.conn.suite, 0xc02f);
			pair_free(&p);
		}
		/*
		 * The session's suite is no longer offered: RFC 5246 7.4.1.2,
		 * cipher_suites "MUST include at least the cipher_suite from
		 * that session": illegal_parameter, as OpenSSL answers.
		 */
		{
			struct client_opts other = o;

			other.ciphers12 = "ECDHE-RSA-AES256-GCM-SHA384";
			CHECK_EQ(resume(other, sess, &p, 1), -1);
			CHECK_EQ(hs_conn_error(&p.conn), HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER));
			pair_free(&p);
		}
		/* RFC 7627 5.3: EMS session, ClientHello without EMS: abort. */
		{
			struct client_opts noems = o;

			noems.no_ems = 1;
			CHECK_EQ(resume(noems, sess, &p, 1), -1);
			CHECK_EQ(hs_conn_error(&p.conn), HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE));
			pair_free(&p);
			ERR_clear_error();
		}
		SSL_SESSION_free(sess);
	}
	/* A session without EMS and a ClientHello with it: full handshake. */
	{
		struct client_opts noems = o;

		noems.no_ems = 1;
		sess = full_handshake_session(&noems, &issued);
		CHECK(sess != NULL);
		if (sess != NULL) {
			CHECK_EQ(resume(noems, sess, &p, 0), 1);
			CHECK_EQ(resume(o, sess, &p, 0), 0);
			SSL_SESSION_free(sess);
		}
	}

	/* By session id: tickets off on the client, the worker's cache serves. */
	cfg.stek = NULL;
	{
		struct client_opts nt = o;

		nt.options = SSL_OP_NO_TICKET;
		sess = full_handshake_session(&nt, &issued);
		CHECK_EQ(issued, 0);
		CHECK(sess != NULL);
		if (sess != NULL) {
			unsigned len;

			SSL_SESSION_get_id(sess, &len);
			CHECK_EQ(len, 32);
			CHECK_EQ(resume(nt, sess, &p, 0), 1);
			/* The RSA key exchange's sessions resume the same way. */
			SSL_SESSION_free(sess);
		}
		nt.ciphers12 = "AES128-GCM-SHA256";
		sess = full_handshake_session(&nt, &issued);
		if (sess != NULL) {
			CHECK_EQ(resume(nt, sess, &p, 0), 1);
			/* Evicted: fill the cache with newer sessions. */
			for (unsigned i = 0; i < cfg.session_cache_size; i++) {
				SSL_SESSION *x = full_handshake_session(&nt, &issued);

				SSL_SESSION_free(x);
			}
			CHECK_EQ(resume(nt, sess, &p, 0), 0);
			SSL_SESSION_free(sess);
		}
	}
	hso_stek_set_free(stek);
}

static void
test_export_keys(void)
{
	for (int v = 0; v < 3; v++) {
		struct client_opts o = {
			.version = v == 0 ? TLS1_3_VERSION : TLS1_2_VERSION,
			.ciphers13 = "TLS_AES_256_GCM_SHA384",
			.ciphers12 = v == 1 ? "ECDHE-RSA-AES128-GCM-SHA256"
					    : "ECDHE-RSA-CHACHA20-POLY1305",
		};
		struct pair p;
		struct hs_traffic_keys k;
		struct hso_record_prot wr, rd;
		struct hso_imb_set imb;
		uint8_t rec[256], pt[64];
		int n;

		cfg.export_keys = false;
		pair_start(&p, &o);
		CHECK(pair_handshake(&p));
		CHECK_EQ(hs_conn_export_keys(&p.conn, &k), -EPERM);
		pair_free(&p);

		cfg.export_keys = true;
		pair_start(&p, &o);
		CHECK_EQ(hs_conn_export_keys(&p.conn, &k), -ENOTCONN);
		CHECK(pair_handshake(&p));
		CHECK(pair_exchange(&p, 300));          /* sequence numbers move */
		CHECK_EQ(hs_conn_export_keys(&p.conn, &k), 0);
		/* TLS 1.2's Finished is record 0 of the epoch; TLS 1.3's is not. */
		CHECK_EQ(k.c_seq, v == 0 ? 1 : 2);
		CHECK_EQ(k.s_seq, v == 0 ? 1 : 2);
		hso_imb_set_init(&imb, NULL);
		/* Seal with the exported server keys; the real client must read it. */
		CHECK_EQ(hso_record_prot_init(&wr, &imb, v == 0 ? HSO_TLS13 : HSO_TLS12, k.alg,
					      k.s_key, k.key_len, k.s_iv, k.iv_len), 0);
		hso_record_prot_set_seq(&wr, k.s_seq);
		n = v == 0 ? hso_tls13_record_seal(&wr, 23, (const uint8_t *)"exported", 8, 0,
						   rec, sizeof(rec))
			   : hso_tls12_record_seal(&wr, 23, 0x0303, (const uint8_t *)"exported", 8,
						   rec, sizeof(rec));
		CHECK(n > 0);
		BIO_write(p.rb, rec, n);
		CHECK_EQ(SSL_read(p.ssl, pt, sizeof(pt)), 8);
		CHECK(memcmp(pt, "exported", 8) == 0);
		/* And open what the client sends with the exported client keys. */
		CHECK_EQ(hso_record_prot_init(&rd, &imb, v == 0 ? HSO_TLS13 : HSO_TLS12, k.alg,
					      k.c_key, k.key_len, k.c_iv, k.iv_len), 0);
		hso_record_prot_set_seq(&rd, k.c_seq);
		CHECK_EQ(SSL_write(p.ssl, "to the app", 10), 10);
		n = BIO_read(p.wb, rec, sizeof(rec));
		CHECK(n > 0);
		if (v == 0) {
			uint8_t type = 0;

			CHECK_EQ(hso_tls13_record_open(&rd, rec, (size_t)n, rec + 5, &type), 10);
			CHECK(type == 23 && memcmp(rec + 5, "to the app", 10) == 0);
		} else {
			size_t off = hso_record_prot_payload_offset(&rd);

			CHECK_EQ(hso_tls12_record_open(&rd, rec, (size_t)n, rec + off), 10);
			CHECK(memcmp(rec + off, "to the app", 10) == 0);
		}
		hso_record_prot_wipe(&wr);
		hso_record_prot_wipe(&rd);
		hso_imb_set_free(&imb);
		OPENSSL_cleanse(&k, sizeof(k));
		pair_free(&p);
	}
	cfg.export_keys = false;
}

/*
 * A connection dropped while it waits for the worker (the dataplane resets
 * connections on RST at any time): its memory may be reused at once, and
 * the worker's next run must not touch it; the others still complete.
 * Resuming clients make the engine queue the PSK binder's key schedule as
 * soon as their ClientHello arrives, so the reset really finds requests of
 * the dropped connections in the KDF batch.
 */
static void
test_reset_while_waiting(void)
{
	enum { M = 8 };
	static struct pair p[M];
	struct hso_stek_set *stek = new_stek();
	struct client_opts o = { .version = TLS1_3_VERSION };
	SSL_SESSION *sess;
	uint64_t queued = 0;
	int done = 0, issued;

	cfg.stek = stek;
	sess = full_handshake_session(&o, &issued);
	CHECK(sess != NULL);
	if (sess == NULL)
		goto out;
	for (int i = 0; i < M; i++) {
		uint8_t tmp[4096];
		size_t room;
		int n;

		o.session = SSL_SESSION_dup(sess);
		pair_start(&p[i], &o);
		SSL_SESSION_free(o.session);
		SSL_do_handshake(p[i].ssl);
		n = BIO_read(p[i].wb, tmp, sizeof(tmp));
		memcpy(hs_conn_recv_buf(&p[i].conn, &room), tmp, (size_t)n);
		hs_conn_recv_ack(&p[i].conn, (size_t)n);
		CHECK(hs_conn_waiting(&p[i].conn));
	}
	queued = hso_kdf_batch_count(worker->kdf);
	CHECK_EQ(queued, M * 5);        /* binder chain + "derived" per connection */
	for (int i = 0; i < M / 2; i++) {
		reset_wiped(&p[i].conn);
		memset(&p[i].conn, 0x5a, sizeof(p[i].conn));
		memset(p[i].buf, 0x5a, HS_CONN_BUF_SIZE);
	}
	hs_worker_run(worker);
	for (int i = 0; i < M / 2; i++) {
		const uint8_t *b = (const uint8_t *)&p[i].conn;
		int bad = 0;

		for (size_t k = 0; k < sizeof(p[i].conn); k++)
			bad |= b[k] != 0x5a;
		for (size_t k = 0; k < HS_CONN_BUF_SIZE; k++)
			bad |= p[i].buf[k] != 0x5a;
		CHECK_MSG(!bad, "dropped connection %d was written to", i);
		free(p[i].buf);
		SSL_free(p[i].ssl);
		SSL_CTX_free(p[i].ctx);
	}
	for (int i = M / 2; i < M; i++) {
		to_client(&p[i]);
		done += pair_handshake(&p[i]) && p[i].conn.resumed;
		pair_free(&p[i]);
	}
	CHECK_EQ(done, M / 2);
	SSL_SESSION_free(sess);
out:
	cfg.stek = NULL;
	hso_stek_set_free(stek);
}

static void
test_batching(void)
{
	enum { N = 64 };
	static struct pair p[N];
	static struct client_opts opts[N];
	static struct hs_session_info info[N];
	static const char *const groups[] = { "X25519", "P-256", "P-384:X25519", NULL };
	static const char *const c12[] = { "AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
					   "ECDHE-ECDSA-CHACHA20-POLY1305", NULL };
	static const char *const c13[] = { "TLS_AES_256_GCM_SHA384",
					   "TLS_CHACHA20_POLY1305_SHA256", NULL };
	struct hs_worker_stats before = worker->stats;
	int done = 0;

	/* A mix of versions, suites, groups (some needing HRR) and certificates. */
	for (int i = 0; i < N; i++) {
		opts[i] = (struct client_opts){
			.version = i % 2 ? TLS1_2_VERSION : TLS1_3_VERSION,
			.groups = groups[(i / 2) % 4],
			.ciphers12 = c12[(i / 2) % 4],
			.ciphers13 = c13[(i / 2) % 3],
			.sni = i % 3 ? "rsa.test" : "ec.test",
		};
		/* TLS 1.2 RSA suites need the RSA name, ECDSA ones the EC name. */
		if (i % 2 && opts[i].ciphers12 != NULL)
			opts[i].sni = strstr(opts[i].ciphers12, "ECDSA") ? "ec.test" : "rsa.test";
		if (opts[i].ciphers12 != NULL && strstr(opts[i].ciphers12, "ECDSA") &&
		    opts[i].groups != NULL && strcmp(opts[i].groups, "X25519") == 0)
			opts[i].groups = "X25519:P-256";  /* the ECDSA cert's curve */
		pair_start(&p[i], &opts[i]);
	}
	/* Round-robin: every client's flight lands before the worker runs. */
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < N; i++) {
			uint8_t tmp[65536];
			int n;

			SSL_do_handshake(p[i].ssl);
			while ((n = BIO_read(p[i].wb, tmp, sizeof(tmp))) > 0) {
				size_t room;
				uint8_t *dst = hs_conn_recv_buf(&p[i].conn, &room);

				memcpy(dst, tmp, (size_t)n);
				hs_conn_recv_ack(&p[i].conn, (size_t)n);
			}
		}
		hs_worker_run(worker);
		for (int i = 0; i < N; i++)
			to_client(&p[i]);
	}
	for (int i = 0; i < N; i++) {
		done += SSL_is_init_finished(p[i].ssl) &&
			hs_conn_status(&p[i].conn) == HS_STATUS_ESTABLISHED;
		hs_conn_session_info(&p[i].conn, &info[i]);
		CHECK(pair_exchange(&p[i], 100));
		pair_free(&p[i]);
	}
	CHECK_EQ(done, N);
	{
		uint64_t runs = worker->stats.kdf_runs - before.kdf_runs;
		uint64_t reqs = worker->stats.kdf_requests - before.kdf_requests;

		printf("batching: %d handshakes, %llu KDF requests in %llu batch runs\n",
		       N, (unsigned long long)reqs, (unsigned long long)runs);
		/* Far fewer batch runs than requests: the stages were shared. */
		CHECK(runs * 20 < reqs);
	}
	/* Each batched handshake negotiated what the same client gets alone. */
	for (int i = 0; i < N; i++) {
		struct pair one;
		struct hs_session_info si;

		pair_start(&one, &opts[i]);
		CHECK_MSG(pair_handshake(&one), "client %d alone", i);
		hs_conn_session_info(&one.conn, &si);
		CHECK_MSG(si.version == info[i].version && si.suite == info[i].suite &&
			  si.group == info[i].group && si.sigalg == info[i].sigalg &&
			  si.cert == info[i].cert,
			  "client %d: batched %x/%x/%x/%x, alone %x/%x/%x/%x", i,
			  info[i].version, info[i].suite, info[i].group, info[i].sigalg,
			  si.version, si.suite, si.group, si.sigalg);
		pair_free(&one);
	}
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
	char dir[] = "/tmp/hso-engine-XXXXXX";
	EVP_PKEY *k1, *k2, *k3, *k4;

	if (mkdtemp(dir) == NULL)
		return 1;
	k1 = tk_keygen("RSA", NULL, 2048);
	k2 = tk_keygen("EC", "P-256", 0);
	k3 = tk_keygen("EC", "P-384", 0);
	k4 = tk_keygen("RSA", NULL, 2048);
	rsa_cert = load(dir, "rsa", k1, "DNS:rsa.test");
	p256_cert = load(dir, "p256", k2, "DNS:ec.test");
	p384_cert = load(dir, "p384", k3, "DNS:ec.test");
	alt_cert = load(dir, "alt", k4, "DNS:alt.example,DNS:*.wild.example");
	if (!rsa_cert || !p256_cert || !p384_cert || !alt_cert)
		return 1;
	CHECK_EQ(hs_config_init(&cfg), 0);
	cfg.now_ms = test_clock;
	cfg.session_cache_size = 16;    /* small, so eviction is quick to reach */
	memcpy(cfg.nego.alpn, "\x08http/1.1\x02h2", 12);
	cfg.nego.alpn_len = 12;
	CHECK_EQ(hs_config_add_cert(&cfg, rsa_cert, true), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, p256_cert, true), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, p384_cert, false), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, alt_cert, false), 0);
	worker = hs_worker_create(&cfg, 256);
	if (worker == NULL)
		return 1;
	hs_worker_pool_refill(worker, 16);

	test_matrix();
	test_hrr_sni_alpn();
	test_key_update_and_close();
	test_rsa_implicit_rejection();
	test_resumption13();
	test_resumption12();
	test_export_keys();
	test_reset_while_waiting();
	test_batching();

	printf("worker: %llu completed, %llu failed, %llu asym jobs, %llu KDF runs, "
	       "pool %llu hits / %llu misses\n",
	       (unsigned long long)worker->stats.handshakes_completed,
	       (unsigned long long)worker->stats.handshakes_failed,
	       (unsigned long long)worker->stats.asym_jobs,
	       (unsigned long long)worker->stats.kdf_runs,
	       (unsigned long long)worker->stats.pool_hits,
	       (unsigned long long)worker->stats.pool_misses);
	/* The breakdowns add up, and the failures above landed under their alerts. */
	{
		const struct hs_worker_stats *st = &worker->stats;
		uint64_t by_suite = 0;

		for (int i = 0; i < HS_SUITES_NUM; i++)
			by_suite += st->completed_by_suite[i];
		CHECK_EQ(by_suite, st->handshakes_completed);
		CHECK_EQ(st->completed_tls12 + st->completed_tls13, st->handshakes_completed);
		CHECK(st->failed_sent_alert[HS_ALERT_BAD_RECORD_MAC] >= 2);   /* CKE tampering */
		CHECK(st->failed_sent_alert[HS_ALERT_DECRYPT_ERROR] >= 1);    /* bad binder */
		CHECK(st->failed_sent_alert[HS_ALERT_HANDSHAKE_FAILURE] >= 1);
		CHECK(hs_suite_at(hs_suite_index(0x1302)) == hs_suite_find(0x1302));
		CHECK(hs_suite_index(0x002f) == -1 && hs_suite_at(HS_SUITES_NUM) == NULL);
	}
	hs_worker_free(worker);
	hs_config_wipe(&cfg);
	hso_cert_free(rsa_cert);
	hso_cert_free(p256_cert);
	hso_cert_free(p384_cert);
	hso_cert_free(alt_cert);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
	EVP_PKEY_free(k4);
	tk_rmdir(dir);
	return check_result("engine_openssl");
}
