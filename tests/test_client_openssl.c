/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client engine against OpenSSL's libssl server, in memory: every
 * version x suite x group x certificate the engine implements, in full and
 * load mode; HelloRetryRequest; resumption (TLS 1.2 ticket and session id,
 * TLS 1.3 PSK with and without ECDHE); ALPN and SNI; application data both
 * ways; KeyUpdate both ways; close_notify; full mode rejecting a tampered
 * ServerKeyExchange signature, an untrusted chain and a wrong host name
 * (CA file), and accepting a trusted one.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

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

struct srv_cert {
	EVP_PKEY *key;
	X509 *x;
	X509 *ca;               /* issuer, or NULL: self-signed */
};

static struct srv_cert rsa, p256, p384, ca_leaf;
static char *ca_path, *other_ca_path;

struct pair {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rb, *wb;           /* server's read / write memory BIOs */
	struct hs_client_config cc;
	struct hs_worker *w;
	struct hs_conn conn;
	uint8_t *buf;
	/* Hook on server -> client bytes (tamper tests). */
	void (*tamper)(uint8_t *p, size_t n, void *arg);
	void *tamper_arg;
};

struct srv_opts {
	int version;            /* 0: both */
	const char *sigalgs;    /* the server's signature schemes, or NULL */
	const char *groups;
	const struct srv_cert *cert;
	const char *alpn;       /* protocol to select, or NULL */
	SSL_CTX *ctx;           /* reuse (resumption), or NULL */
	uint64_t options;
};

static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
	const unsigned char *in, unsigned int inlen, void *arg)
{
	const char *want = arg;

	(void)ssl;
	for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
		if (in[i] == strlen(want) && memcmp(in + i + 1, want, in[i]) == 0) {
			*out = in + i + 1;
			*outlen = in[i];
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

static SSL_CTX *
server_ctx(const struct srv_opts *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (o->version) {
		SSL_CTX_set_min_proto_version(ctx, o->version);
		SSL_CTX_set_max_proto_version(ctx, o->version);
	}
	/* Every suite the engine has, RSA key exchange included. */
	SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:AES128-GCM-SHA256:"
				     "AES256-GCM-SHA384");
	if (o->groups)
		SSL_CTX_set1_groups_list(ctx, o->groups);
	if (o->sigalgs)
		SSL_CTX_set1_sigalgs_list(ctx, o->sigalgs);
	SSL_CTX_use_certificate(ctx, o->cert->x);
	SSL_CTX_use_PrivateKey(ctx, o->cert->key);
	if (o->cert->ca != NULL)
		SSL_CTX_add1_chain_cert(ctx, o->cert->ca);
	if (o->alpn)
		SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, (void *)o->alpn);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"hso", 3);
	if (o->options)
		SSL_CTX_set_options(ctx, o->options);
	return ctx;
}

static void
client_cfg(struct hs_client_config *cc)
{
	CHECK_EQ(hs_client_config_init(cc), 0);
	cc->base.now_ms = test_clock;
}

/* Start a pair; @p cc is copied; @p w may be shared (resumption tests). */
static int
pair_start(struct pair *p, const struct srv_opts *o, const struct hs_client_config *cc,
	   struct hs_worker *w, const struct hs_client_session *sess)
{
	memset(p, 0, sizeof(*p));
	p->ctx = o->ctx != NULL ? o->ctx : server_ctx(o);
	if (o->ctx != NULL)
		SSL_CTX_up_ref(o->ctx);
	p->ssl = SSL_new(p->ctx);
	p->rb = BIO_new(BIO_s_mem());
	p->wb = BIO_new(BIO_s_mem());
	SSL_set_bio(p->ssl, p->rb, p->wb);
	SSL_set_accept_state(p->ssl);
	p->cc = *cc;
	p->w = w != NULL ? w : hs_worker_create_client(&p->cc, 64);
	if (p->w == NULL)
		return -1;
	p->buf = calloc(1, HS_CONN_BUF_SIZE);
	if (hs_conn_init_client(&p->conn, p->w, w != NULL ? cc : &p->cc, p->buf,
				HS_CONN_BUF_SIZE) != 0)
		return -1;
	if (hs_conn_client_start(&p->conn, sess) != 0)
		return -1;
	hs_worker_run(p->w);
	return 0;
}

static void
pair_free(struct pair *p, bool own_worker)
{
	reset_wiped(&p->conn);
	CHECK(check_all_zero(p->buf, HS_CONN_BUF_SIZE));
	CHECK(check_all_zero((const uint8_t *)&p->conn, sizeof(p->conn)));
	free(p->buf);
	if (own_worker)
		hs_worker_free(p->w);
	SSL_free(p->ssl);
	SSL_CTX_free(p->ctx);
}

/* Client -> server. */
static void
to_server(struct pair *p)
{
	size_t len;
	const uint8_t *out = hs_conn_send_buf(&p->conn, &len);

	if (len > 0) {
		BIO_write(p->rb, out, (int)len);
		hs_conn_send_ack(&p->conn, len);
	}
}

/* Server -> client, as much as the client's input takes. */
static void
to_client(struct pair *p)
{
	for (;;) {
		size_t room;
		uint8_t *dst = hs_conn_recv_buf(&p->conn, &room);
		int n;

		if (room == 0 || BIO_pending(p->wb) == 0)
			break;
		n = BIO_read(p->wb, dst, (int)room);
		if (n <= 0)
			break;
		if (p->tamper)
			p->tamper(dst, (size_t)n, p->tamper_arg);
		if (hs_conn_recv_ack(&p->conn, (size_t)n) != 0)
			break;
		hs_worker_run(p->w);
	}
	hs_worker_run(p->w);
}

/* Run the handshake; 1 when both sides completed it. */
static int
pair_handshake(struct pair *p)
{
	for (int i = 0; i < 50; i++) {
		int rc, err;

		to_server(p);
		rc = SSL_do_handshake(p->ssl);
		err = SSL_get_error(p->ssl, rc);
		to_client(p);
		to_server(p);
		if (rc == 1 && hs_conn_status(&p->conn) == HS_STATUS_ESTABLISHED)
			return 1;
		if (rc <= 0 && err != SSL_ERROR_WANT_READ) {
			ERR_print_errors_fp(stderr);
			return 0;
		}
		if (hs_conn_status(&p->conn) == HS_STATUS_FAILED) {
			to_server(p);
			SSL_do_handshake(p->ssl);
			return 0;
		}
	}
	return 0;
}

/* Let the client read what the server sent after the handshake (tickets). */
static void
pair_settle(struct pair *p)
{
	uint8_t b[16];

	SSL_read(p->ssl, b, sizeof(b));         /* flushes post-handshake messages */
	to_client(p);
	to_server(p);
}

/* @p n bytes each way, checked. */
static int
pair_exchange(struct pair *p, size_t n)
{
	uint8_t *a = malloc(n), *b = malloc(n);
	uint64_t seed = n + 7;
	size_t done = 0;
	int ok = 1;

	check_fill(&seed, a, n);
	/* client -> server */
	while (done < n) {
		int k = hs_conn_app_write(&p->conn, a + done, n - done);

		if (k < 0) {
			ok = 0;
			break;
		}
		done += (size_t)k;
		to_server(p);
	}
	done = 0;
	while (ok && done < n) {
		int k = SSL_read(p->ssl, b + done, (int)(n - done));

		if (k <= 0) {
			ok = 0;
			break;
		}
		done += (size_t)k;
	}
	ok = ok && memcmp(a, b, n) == 0;
	/* server -> client */
	check_fill(&seed, a, n);
	if (ok && SSL_write(p->ssl, a, (int)n) != (int)n)
		ok = 0;
	done = 0;
	for (int guard = 0; ok && done < n && guard < 10000; guard++) {
		int k;

		to_client(p);
		k = hs_conn_app_read(&p->conn, b + done, n - done);
		if (k < 0)
			ok = 0;
		else
			done += (size_t)k;
	}
	ok = ok && done == n && memcmp(a, b, n) == 0;
	free(a);
	free(b);
	return ok;
}

/* The client's last alert in its output, as the server library saw it. */
static int
client_alert(const struct pair *p)
{
	return hs_err_alert(hs_conn_error(&p->conn));
}

/* ---------------------------------------------------------------- */

static void
one_case(int version, uint16_t suite, uint16_t group, const struct srv_cert *cert,
	 enum hs_client_mode mode)
{
	struct srv_opts o = { .version = version, .cert = cert };
	struct hs_client_config cc;
	struct hs_session_info si;
	struct pair p;
	int ok;

	client_cfg(&cc);
	cc.mode = mode;
	cc.base.nego.suites[0] = suite;
	cc.base.nego.n_suites = 1;
	cc.base.nego.groups[0] = group;
	cc.base.nego.n_groups = 1;
	if (pair_start(&p, &o, &cc, NULL, NULL) != 0) {
		CHECK_MSG(0, "start %04x", suite);
		return;
	}
	ok = pair_handshake(&p);
	CHECK_MSG(ok, "suite %04x group %04x mode %d: client err %d (%s)", suite, group, mode,
		  hs_conn_error(&p.conn), hs_alert_name(client_alert(&p)));
	if (ok) {
		hs_conn_session_info(&p.conn, &si);
		CHECK_EQ(si.suite, suite);
		CHECK_EQ(SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(p.ssl)), suite);
		CHECK_EQ(si.version, version == TLS1_3_VERSION ? HS_TLS13 : HS_TLS12);
		/* TLS 1.2 ECDSA lists P-256 for the certificate; X25519 comes first. */
		if (hs_suite_find(suite)->kx != HS_KX_RSA)
			CHECK_EQ(si.group, group);
		CHECK(pair_exchange(&p, 100));
		CHECK(pair_exchange(&p, 40000));
		if (mode == HS_CLIENT_FULL && hs_suite_find(suite)->kx != HS_KX_RSA)
			CHECK(p.w->stats.client_verified == 1);
		if (mode == HS_CLIENT_LOAD)
			CHECK(p.w->stats.client_verified == 0);
	}
	pair_free(&p, true);
}

static void
test_matrix(void)
{
	static const uint16_t s13[] = { 0x1301, 0x1302, 0x1303 };
	static const uint16_t ecdsa12[] = { 0xc02b, 0xc02c, 0xcca9 };
	static const uint16_t rsa12[] = { 0xc02f, 0xc030, 0xcca8 };
	static const uint16_t kx12[] = { 0x009c, 0x009d };
	static const uint16_t groups[] = { HS_GROUP_X25519, HS_GROUP_SECP256R1 };
	const struct srv_cert *certs[] = { &rsa, &p256, &p384 };
	unsigned before = (unsigned)check_failures;

	for (int m = 0; m < 2; m++) {
		enum hs_client_mode mode = m ? HS_CLIENT_LOAD : HS_CLIENT_FULL;

		for (unsigned g = 0; g < 2; g++) {
			for (unsigned i = 0; i < 3; i++)
				for (unsigned k = 0; k < 3; k++)
					one_case(TLS1_3_VERSION, s13[i], groups[g], certs[k], mode);
			for (unsigned i = 0; i < 3; i++) {
				one_case(TLS1_2_VERSION, ecdsa12[i], groups[g], &p256, mode);
				one_case(TLS1_2_VERSION, ecdsa12[i], groups[g], &p384, mode);
				one_case(TLS1_2_VERSION, rsa12[i], groups[g], &rsa, mode);
			}
		}
		for (unsigned i = 0; i < 2; i++)
			one_case(TLS1_2_VERSION, kx12[i], HS_GROUP_X25519, &rsa, mode);
	}
	printf("matrix: %s\n", (unsigned)check_failures == before ? "ok" : "FAILED");
}

/* Every signature scheme the server side has, verified in full mode. */
static void
test_sigalgs(void)
{
	static const struct {
		int version;
		const char *ossl;
		const struct srv_cert *cert;
		uint16_t scheme;
	} t[] = {
		{ TLS1_3_VERSION, "RSA-PSS+SHA256", &rsa, 0x0804 },
		{ TLS1_3_VERSION, "RSA-PSS+SHA384", &rsa, 0x0805 },
		{ TLS1_3_VERSION, "RSA-PSS+SHA512", &rsa, 0x0806 },
		{ TLS1_3_VERSION, "ECDSA+SHA256", &p256, 0x0403 },
		{ TLS1_3_VERSION, "ECDSA+SHA384", &p384, 0x0503 },
		{ TLS1_2_VERSION, "RSA+SHA256", &rsa, 0x0401 },
		{ TLS1_2_VERSION, "RSA+SHA384", &rsa, 0x0501 },
		{ TLS1_2_VERSION, "RSA+SHA512", &rsa, 0x0601 },
		{ TLS1_2_VERSION, "RSA-PSS+SHA512", &rsa, 0x0806 },
		{ TLS1_2_VERSION, "ECDSA+SHA224", &p256, 0x0303 },
		{ TLS1_2_VERSION, "ECDSA+SHA512", &p256, 0x0603 },
		{ TLS1_2_VERSION, "ECDSA+SHA256", &p384, 0x0403 },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct srv_opts o = { .version = t[i].version, .cert = t[i].cert,
				      .sigalgs = t[i].ossl };
		struct hs_client_config cc;
		struct hs_session_info si;
		struct pair p;

		client_cfg(&cc);
		CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
		CHECK_MSG(pair_handshake(&p), "%s: %d", t[i].ossl, hs_conn_error(&p.conn));
		hs_conn_session_info(&p.conn, &si);
		CHECK_EQ(si.sigalg, t[i].scheme);
		CHECK_EQ(p.w->stats.client_verified, 1);
		pair_free(&p, true);
	}
}

/* HRR: the server takes only the group the client offers second. */
static void
test_hrr(void)
{
	struct srv_opts o = { .version = TLS1_3_VERSION, .cert = &p256, .groups = "P-256" };
	struct hs_client_config cc;
	struct hs_session_info si;
	struct pair p;

	for (int m = 0; m < 2; m++) {
		client_cfg(&cc);
		cc.mode = m ? HS_CLIENT_LOAD : HS_CLIENT_FULL;
		CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
		CHECK(pair_handshake(&p));
		CHECK_EQ(p.w->stats.client_hrr, 1);
		hs_conn_session_info(&p.conn, &si);
		CHECK_EQ(si.group, HS_GROUP_SECP256R1);
		CHECK(pair_exchange(&p, 1000));
		pair_free(&p, true);
	}
	/* Two shares: no retry. */
	client_cfg(&cc);
	cc.n_key_shares = 2;
	CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
	CHECK(pair_handshake(&p));
	CHECK_EQ(p.w->stats.client_hrr, 0);
	pair_free(&p, true);
}

static void
test_alpn_sni(void)
{
	struct srv_opts o = { .cert = &rsa, .alpn = "h2" };
	struct hs_client_config cc;
	struct hs_session_info si;
	struct pair p;

	for (int v = 0; v < 2; v++) {
		o.version = v ? TLS1_2_VERSION : TLS1_3_VERSION;
		client_cfg(&cc);
		memcpy(cc.base.nego.alpn, "\x08http/1.1\x02h2", 12);
		cc.base.nego.alpn_len = 12;
		CHECK_EQ(hs_client_config_set_sni(&cc, "rsa.test"), 0);
		CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
		CHECK(pair_handshake(&p));
		hs_conn_session_info(&p.conn, &si);
		CHECK(si.alpn_len == 2 && memcmp(si.alpn, "h2", 2) == 0);
		CHECK(strcmp(SSL_get_servername(p.ssl, TLSEXT_NAMETYPE_host_name), "rsa.test") == 0);
		CHECK(si.ems == (v == 1));
		pair_free(&p, true);
	}
}

static void
test_key_update_and_close(void)
{
	struct srv_opts o = { .version = TLS1_3_VERSION, .cert = &p256 };
	struct hs_client_config cc;
	struct pair p;
	uint8_t b[8];

	client_cfg(&cc);
	CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
	CHECK(pair_handshake(&p));
	/* Ours, asking the server to update too. */
	CHECK_EQ(hs_conn_key_update(&p.conn, true), 0);
	to_server(&p);
	CHECK(pair_exchange(&p, 3000));
	/* The server's. */
	CHECK_EQ(SSL_key_update(p.ssl, SSL_KEY_UPDATE_REQUESTED), 1);
	CHECK(pair_exchange(&p, 3000));
	CHECK(pair_exchange(&p, 10));
	/* close_notify from the client, then the server's. */
	CHECK_EQ(hs_conn_close(&p.conn), 0);
	to_server(&p);
	CHECK_EQ(SSL_read(p.ssl, b, sizeof(b)), 0);
	CHECK_EQ(SSL_get_error(p.ssl, 0), SSL_ERROR_ZERO_RETURN);
	CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_CLOSED);
	pair_free(&p, true);

	/* Server closes first (TLS 1.2: the client answers and closes). */
	o.version = TLS1_2_VERSION;
	o.cert = &rsa;
	CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
	CHECK(pair_handshake(&p));
	SSL_shutdown(p.ssl);
	to_client(&p);
	CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_CLOSED);
	to_server(&p);
	CHECK_EQ(SSL_shutdown(p.ssl), 1);
	pair_free(&p, true);
}

/* Two handshakes on one worker and one server context: the second resumes. */
static void
resume_case(int version, enum hs_client_resume kind, uint64_t srv_options, bool expect)
{
	struct srv_opts o = { .version = version, .cert = &p256, .options = srv_options };
	struct hs_client_config cc;
	struct hs_client_session s;
	struct hs_session_info si;
	struct hs_worker *w;
	struct pair p;

	client_cfg(&cc);
	cc.resume = kind;
	w = hs_worker_create_client(&cc, 64);
	o.ctx = server_ctx(&o);
	CHECK_EQ(pair_start(&p, &o, &cc, w, NULL), 0);
	CHECK(pair_handshake(&p));
	pair_settle(&p);
	CHECK(pair_exchange(&p, 100));
	CHECK_EQ(hs_conn_client_session(&p.conn, &s), 0);
	/* OpenSSL drops a cached session not shut down cleanly. */
	CHECK_EQ(hs_conn_close(&p.conn), 0);
	to_server(&p);
	SSL_shutdown(p.ssl);
	pair_free(&p, false);

	test_now_ms += 2000;
	CHECK_EQ(pair_start(&p, &o, &cc, w, &s), 0);
	CHECK_MSG(pair_handshake(&p), "resume v %x kind %d: err %d", version, kind,
		  hs_conn_error(&p.conn));
	hs_conn_session_info(&p.conn, &si);
	CHECK_MSG(si.resumed == expect, "v %x kind %d resumed %d", version, kind, si.resumed);
	CHECK_EQ(SSL_session_reused(p.ssl), expect);
	CHECK(pair_exchange(&p, 5000));
	if (version == TLS1_3_VERSION && expect)
		CHECK_EQ(si.group, kind == HS_RESUME_PSK_KE ? 0 : HS_GROUP_X25519);
	/* The resumed connection resumes again (1.2: the same ticket / id). */
	if (expect) {
		struct hs_client_session s2;

		pair_settle(&p);
		CHECK_EQ(hs_conn_client_session(&p.conn, &s2), 0);
		CHECK_EQ(hs_conn_close(&p.conn), 0);
		to_server(&p);
		SSL_shutdown(p.ssl);
		pair_free(&p, false);
		test_now_ms += 1000;
		CHECK_EQ(pair_start(&p, &o, &cc, w, &s2), 0);
		CHECK(pair_handshake(&p));
		hs_conn_session_info(&p.conn, &si);
		CHECK_MSG(si.resumed, "v %x kind %d: second resumption", version, kind);
		hs_client_session_wipe(&s2);
	}
	pair_free(&p, false);
	hs_client_session_wipe(&s);
	hs_worker_free(w);
	SSL_CTX_free(o.ctx);
}

static void
test_resumption(void)
{
	resume_case(TLS1_2_VERSION, HS_RESUME_TICKET, 0, true);
	resume_case(TLS1_2_VERSION, HS_RESUME_SESSION_ID, SSL_OP_NO_TICKET, true);
	resume_case(TLS1_3_VERSION, HS_RESUME_TICKET, 0, true);
	resume_case(TLS1_3_VERSION, HS_RESUME_PSK_KE, SSL_OP_ALLOW_NO_DHE_KEX, true);
	/* A server that refuses psk_ke: a full handshake, still fine. */
	resume_case(TLS1_3_VERSION, HS_RESUME_PSK_KE, 0, false);
}

/* Flip a byte of the first ServerKeyExchange signature seen. */
static void
tamper_ske(uint8_t *b, size_t n, void *arg)
{
	int *done = arg;
	size_t off = 0;

	while (!*done && off + 5 <= n) {
		size_t len = (size_t)b[off + 3] << 8 | b[off + 4];

		if (b[off] == 22) {
			size_t m = off + 5;

			while (m + 4 <= off + 5 + len) {
				size_t ml = (size_t)b[m + 1] << 16 | (size_t)b[m + 2] << 8 | b[m + 3];

				if (b[m] == HS_MT_SERVER_KEY_EXCHANGE) {
					b[m + 4 + ml - 1] ^= 0x40;      /* the signature's end */
					*done = 1;
					return;
				}
				m += 4 + ml;
			}
		}
		off += 5 + len;
	}
}

static void
test_full_mode_rejects(void)
{
	struct srv_opts o = { .version = TLS1_2_VERSION, .cert = &p256 };
	struct hs_client_config cc;
	struct hso_ca_store *ca, *other;
	char err[256];
	struct pair p;
	int done = 0;

	/* A tampered ServerKeyExchange: the signature check says decrypt_error. */
	client_cfg(&cc);
	CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
	p.tamper = tamper_ske;
	p.tamper_arg = &done;
	CHECK(!pair_handshake(&p));
	CHECK(done);
	CHECK_EQ(client_alert(&p), HS_ALERT_DECRYPT_ERROR);
	CHECK_EQ(p.w->stats.client_verified, 0);
	pair_free(&p, true);
	/* Load mode does not check it; the handshake still fails, at Finished. */
	cc.mode = HS_CLIENT_LOAD;
	done = 0;
	CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
	p.tamper = tamper_ske;
	p.tamper_arg = &done;
	CHECK(!pair_handshake(&p));
	pair_free(&p, true);

	/* Chains: trusted CA, another CA, a wrong host name. */
	ca = hso_ca_store_load(ca_path, err, sizeof(err));
	other = hso_ca_store_load(other_ca_path, err, sizeof(err));
	CHECK(ca != NULL && other != NULL);
	CHECK(hso_ca_store_load("/nonexistent/ca.pem", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/nonexistent/ca.pem") != NULL);
	for (int v = 0; v < 2; v++) {
		o.version = v ? TLS1_2_VERSION : TLS1_3_VERSION;
		o.cert = &ca_leaf;
		client_cfg(&cc);
		cc.ca = ca;
		CHECK_EQ(hs_client_config_set_sni(&cc, "leaf.test"), 0);
		CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
		CHECK_MSG(pair_handshake(&p), "trusted chain v %d: %d", v, hs_conn_error(&p.conn));
		CHECK_EQ(p.w->stats.client_chains_verified, 1);
		pair_free(&p, true);

		cc.ca = other;
		CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
		CHECK(!pair_handshake(&p));
		CHECK_EQ(client_alert(&p), HS_ALERT_UNKNOWN_CA);
		pair_free(&p, true);

		cc.ca = ca;
		CHECK_EQ(hs_client_config_set_sni(&cc, "other.test"), 0);
		CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
		CHECK(!pair_handshake(&p));
		CHECK_EQ(client_alert(&p), HS_ALERT_BAD_CERTIFICATE);
		pair_free(&p, true);

		/* Load mode checks nothing: the same untrusted chain completes. */
		cc.ca = other;
		cc.mode = HS_CLIENT_LOAD;
		CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
		CHECK(pair_handshake(&p));
		pair_free(&p, true);
	}
	hso_ca_store_free(ca);
	hso_ca_store_free(other);
}

/* Load mode: one key pair for key_share_reuse handshakes, one RSA premaster per key. */
static void
test_load_reuse(void)
{
	struct srv_opts o = { .version = TLS1_3_VERSION, .cert = &p256 };
	struct hs_client_config cc;
	struct hs_worker *w;
	struct pair p;

	client_cfg(&cc);
	cc.mode = HS_CLIENT_LOAD;
	cc.key_share_reuse = 3;
	w = hs_worker_create_client(&cc, 64);
	for (int i = 0; i < 7; i++) {
		CHECK_EQ(pair_start(&p, &o, &cc, w, NULL), 0);
		CHECK(pair_handshake(&p));
		pair_free(&p, false);
	}
	/* 7 handshakes, 3 per key: keys made at 1, 4, 7. */
	CHECK_EQ(w->stats.client_keys_generated, 3);
	CHECK_EQ(w->stats.client_keys_reused, 4);
	hs_worker_free(w);

	o.version = TLS1_2_VERSION;
	o.cert = &rsa;
	cc.base.nego.suites[0] = HS_TLS_RSA_WITH_AES_128_GCM_SHA256;
	cc.base.nego.n_suites = 1;
	w = hs_worker_create_client(&cc, 64);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(pair_start(&p, &o, &cc, w, NULL), 0);
		CHECK(pair_handshake(&p));
		CHECK(pair_exchange(&p, 100));
		pair_free(&p, false);
	}
	CHECK_EQ(w->stats.client_pms_encrypted, 1);
	CHECK_EQ(w->stats.client_pms_reused, 3);
	hs_worker_free(w);
}

/*
 * A Certificate message over 16 KiB (a leaf with 800 names): gathered in a
 * buffer borrowed from the worker's pool, and still there when the full
 * mode's job decodes it after the handler returned.
 */
static void
test_big_certificate(void)
{
	struct srv_cert big;
	char *san = malloc(800 * 32);
	size_t off = 0;

	for (int i = 0; i < 800; i++)
		off += (size_t)sprintf(san + off, "%sDNS:name%03d.a-long-domain.test",
				       i ? "," : "", i);
	big.key = tk_keygen("EC", "P-256", 0);
	big.x = tk_cert(big.key, "big.test", san, NULL, NULL, 0);
	big.ca = NULL;
	free(san);
	CHECK(i2d_X509(big.x, NULL) > 17000);
	for (int v = 0; v < 2; v++) {
		struct srv_opts o = { .version = v ? TLS1_2_VERSION : TLS1_3_VERSION,
				      .cert = &big };
		struct hs_client_config cc;
		struct pair p;

		client_cfg(&cc);
		CHECK_EQ(pair_start(&p, &o, &cc, NULL, NULL), 0);
		CHECK_MSG(pair_handshake(&p), "big certificate v %d: %d", v,
			  hs_conn_error(&p.conn));
		CHECK_EQ(p.w->stats.client_verified, 1);
		CHECK_EQ(p.w->stats.msg_pool.in_use, 0);
		pair_free(&p, true);
	}
	X509_free(big.x);
	EVP_PKEY_free(big.key);
}

static void
make_cert(struct srv_cert *c, const char *type, const char *curve, size_t bits,
	  const char *cn, const char *san)
{
	c->key = tk_keygen(type, curve, bits);
	c->x = tk_cert(c->key, cn, san, NULL, NULL, 0);
}

int
main(void)
{
	char dir[] = "/tmp/hso-client-XXXXXX";
	struct srv_cert ca, other_ca;

	if (mkdtemp(dir) == NULL)
		return 1;
	make_cert(&rsa, "RSA", NULL, 2048, "rsa.test", "DNS:rsa.test");
	make_cert(&p256, "EC", "P-256", 0, "ec.test", "DNS:ec.test");
	make_cert(&p384, "EC", "P-384", 0, "ec.test", "DNS:ec.test");
	ca.key = tk_keygen("EC", "P-256", 0);
	ca.x = tk_cert(ca.key, "Test CA", NULL, NULL, NULL, 1);
	other_ca.key = tk_keygen("EC", "P-256", 0);
	other_ca.x = tk_cert(other_ca.key, "Other CA", NULL, NULL, NULL, 1);
	ca_leaf.key = tk_keygen("RSA", NULL, 2048);
	ca_leaf.x = tk_cert(ca_leaf.key, "leaf.test", "DNS:leaf.test", ca.x, ca.key, 0);
	ca_leaf.ca = ca.x;
	ca_path = tk_write(dir, "ca.pem", &ca.x, 1, NULL);
	other_ca_path = tk_write(dir, "other.pem", &other_ca.x, 1, NULL);

	test_matrix();
	test_sigalgs();
	test_hrr();
	test_alpn_sni();
	test_key_update_and_close();
	test_resumption();
	test_full_mode_rejects();
	test_load_reuse();
	test_big_certificate();

	{
		struct srv_cert *all[] = { &rsa, &p256, &p384, &ca, &other_ca, &ca_leaf };

		for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			X509_free(all[i]->x);
			EVP_PKEY_free(all[i]->key);
		}
	}
	tk_rmdir(dir);
	free(ca_path);
	free(other_ca_path);
	return check_result("client_openssl");
}
