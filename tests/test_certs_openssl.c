/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dual certificates and OCSP stapling in the engine, against OpenSSL's
 * libssl client in memory (and hso's own client):
 *
 *  - an RSA and an ECDSA certificate under one name, issued by a test CA:
 *    clients restricted to ECDSA or RSA signature schemes (TLS 1.3) and to
 *    ECDHE_ECDSA / ECDHE_RSA / RSA suites (TLS 1.2), or without the curve,
 *    get the one they can take, as OpenSSL sees it (the peer certificate);
 *    without SNI the default pair serves the same way; configurations
 *    that cannot be served deterministically are refused;
 *  - OCSP responses made with OpenSSL's responder API: a client asking
 *    (SSL_set_tlsext_status_type) gets the staple of the certificate it
 *    was served, in TLS 1.2 CertificateStatus and the TLS 1.3 leaf entry,
 *    and OpenSSL verifies it against the CA in its status callback; none
 *    for a client that does not ask, a certificate without one, a resumed
 *    session, or once the engine's clock passes nextUpdate (counted);
 *  - hso's client asking for the staple gets it in both versions.
 */
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "check.h"
#include "handshake.h"
#include "hs_client.h"
#include "test_ocsp_util.h"

static struct hs_config cfg;
static struct hs_worker *worker;
static uint64_t test_now_ms;
static int64_t now_s;

static EVP_PKEY *ca_key, *rsa_key, *ec_key, *solo_key, *wild_key, *www_key;
static X509 *ca, *rsa_leaf, *ec_leaf, *solo_leaf, *wild_leaf, *www_leaf;
static struct hso_cert *rsa_cert, *ec_cert, *solo_cert, *wild_cert, *www_cert;
static struct hso_ocsp *rsa_ocsp, *ec_ocsp;

static uint64_t
test_clock(void)
{
	return test_now_ms;
}

struct pair {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rb, *wb;
	struct hs_conn conn;
	uint8_t *buf;
};

struct copts {
	int version;            /* 0: both */
	const char *ciphers12;
	const char *groups;
	const char *sigalgs;
	const char *sni;
	int status;             /* ask for OCSP */
	SSL_SESSION *session;
};

/* What the client's status callback saw. */
static struct {
	int called;
	int len;                /* -1: no staple */
	int verified;           /* OpenSSL verified it for the served leaf */
} st;

static int
status_cb(SSL *ssl, void *arg)
{
	const unsigned char *resp;
	long len = SSL_get_tlsext_status_ocsp_resp(ssl, &resp);
	X509 *peer = SSL_get0_peer_certificate(ssl);

	(void)arg;
	st.called++;
	st.len = (int)len;
	st.verified = len > 0 && peer != NULL &&
		      to_ocsp_client_ok(resp, len, peer, ca);
	return 1;
}

static int
pair_start(struct pair *p, const struct copts *o)
{
	memset(p, 0, sizeof(*p));
	memset(&st, 0, sizeof(st));
	st.len = -2;
	p->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(p->ctx, SSL_VERIFY_NONE, NULL);
	if (o->version) {
		SSL_CTX_set_min_proto_version(p->ctx, o->version);
		SSL_CTX_set_max_proto_version(p->ctx, o->version);
	}
	if ((o->ciphers12 && !SSL_CTX_set_cipher_list(p->ctx, o->ciphers12)) ||
	    (o->groups && !SSL_CTX_set1_groups_list(p->ctx, o->groups)) ||
	    (o->sigalgs && !SSL_CTX_set1_sigalgs_list(p->ctx, o->sigalgs)))
		return -1;
	if (o->status)
		SSL_CTX_set_tlsext_status_cb(p->ctx, status_cb);
	p->ssl = SSL_new(p->ctx);
	p->rb = BIO_new(BIO_s_mem());
	p->wb = BIO_new(BIO_s_mem());
	SSL_set_bio(p->ssl, p->rb, p->wb);
	if (o->sni)
		SSL_set_tlsext_host_name(p->ssl, o->sni);
	if (o->status)
		SSL_set_tlsext_status_type(p->ssl, TLSEXT_STATUSTYPE_ocsp);
	if (o->session)
		SSL_set_session(p->ssl, o->session);
	SSL_set_connect_state(p->ssl);
	p->buf = calloc(1, HS_CONN_BUF_SIZE);
	return hs_conn_init(&p->conn, worker, p->buf, HS_CONN_BUF_SIZE);
}

static void
pair_free(struct pair *p)
{
	hs_conn_reset(&p->conn);
	free(p->buf);
	SSL_free(p->ssl);
	SSL_CTX_free(p->ctx);
}

static void
to_server(struct pair *p)
{
	uint8_t tmp[65536];
	int n;

	while ((n = BIO_read(p->wb, tmp, sizeof(tmp))) > 0) {
		size_t off = 0;

		while (off < (size_t)n) {
			size_t room, k;
			uint8_t *dst = hs_conn_recv_buf(&p->conn, &room);

			k = (size_t)n - off < room ? (size_t)n - off : room;
			if (k == 0)
				return;
			memcpy(dst, tmp + off, k);
			off += k;
			if (hs_conn_recv_ack(&p->conn, k) != 0)
				return;
			hs_worker_run(worker);
		}
	}
	hs_worker_run(worker);
}

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

static int
pair_handshake(struct pair *p)
{
	for (int i = 0; i < 50; i++) {
		int rc = SSL_do_handshake(p->ssl);
		int err = SSL_get_error(p->ssl, rc);

		to_server(p);
		to_client(p);
		if (rc == 1 && hs_conn_status(&p->conn) == HS_STATUS_ESTABLISHED) {
			/* TLS 1.3 tickets and the like. */
			SSL_read(p->ssl, (uint8_t[1]){ 0 }, 0);
			return 1;
		}
		if (rc <= 0 && err != SSL_ERROR_WANT_READ)
			return 0;
		if (hs_conn_status(&p->conn) == HS_STATUS_FAILED) {
			SSL_do_handshake(p->ssl);
			return 0;
		}
	}
	return 0;
}

/* Which of our leaves the client got. */
static const char *
served(struct pair *p)
{
	X509 *peer = SSL_get0_peer_certificate(p->ssl);

	if (peer == NULL)
		return "none";
	if (X509_cmp(peer, rsa_leaf) == 0)
		return "rsa";
	if (X509_cmp(peer, ec_leaf) == 0)
		return "ecdsa";
	if (X509_cmp(peer, solo_leaf) == 0)
		return "solo";
	if (X509_cmp(peer, wild_leaf) == 0)
		return "wild-rsa";
	if (X509_cmp(peer, www_leaf) == 0)
		return "www-ecdsa";
	return "other";
}

/* One handshake; the leaf served ("rsa", "ecdsa", "solo") or "failed". */
static const char *
run(const char *what, const struct copts *o, struct hs_session_info *si)
{
	static char out[16];
	struct pair p;
	int ok;

	if (pair_start(&p, o) != 0) {
		CHECK_MSG(0, "%s: client setup", what);
		return "setup";
	}
	ok = pair_handshake(&p);
	snprintf(out, sizeof(out), "%s", ok ? served(&p) : "failed");
	if (ok && si != NULL)
		hs_conn_session_info(&p.conn, si);
	if (ok && si == NULL) {
		struct hs_session_info tmp;

		hs_conn_session_info(&p.conn, &tmp);
		/* The engine's view and the client's agree. */
		CHECK_MSG((strcmp(out, "rsa") == 0) == (tmp.cert == rsa_cert) &&
			  (strcmp(out, "ecdsa") == 0) == (tmp.cert == ec_cert), "%s: engine cert", what);
	}
	ERR_clear_error();
	pair_free(&p);
	return out;
}

#define SERVED(what, want, ...)                                                   \
	do {                                                                      \
		const char *got_ = run(what, &(struct copts){ __VA_ARGS__ }, NULL);  \
		CHECK_MSG(strcmp(got_, want) == 0, "%s: served %s, want %s", what, got_, want); \
	} while (0)

static void
test_dual_tls13(void)
{
	/* Default client: ECDSA first in the server's order. */
	SERVED("1.3 default", "ecdsa", .version = TLS1_3_VERSION, .sni = "dual.test");
	SERVED("1.3 ECDSA only", "ecdsa", .version = TLS1_3_VERSION, .sni = "dual.test",
	       .sigalgs = "ECDSA+SHA256");
	SERVED("1.3 RSA-PSS only", "rsa", .version = TLS1_3_VERSION, .sni = "dual.test",
	       .sigalgs = "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384");
	/* P-384 only: neither key signs it in TLS 1.3 (the curve is bound). */
	SERVED("1.3 ECDSA P-384 only", "failed", .version = TLS1_3_VERSION,
	       .sni = "dual.test", .sigalgs = "ECDSA+SHA384");
	/* Upper case and a trailing dot select the same pair. */
	SERVED("1.3 SNI case", "rsa", .version = TLS1_3_VERSION, .sni = "DUAL.test.",
	       .sigalgs = "RSA-PSS+SHA256");
	/* No SNI: the default pair (the RSA one is marked, its partner joins it). */
	SERVED("1.3 no SNI", "ecdsa", .version = TLS1_3_VERSION);
	SERVED("1.3 no SNI RSA", "rsa", .version = TLS1_3_VERSION, .sigalgs = "RSA-PSS+SHA256");
	/* Another name, RSA only: served whatever the client prefers. */
	SERVED("1.3 solo", "solo", .version = TLS1_3_VERSION, .sni = "solo.test");
	SERVED("1.3 solo ECDSA-only client", "failed", .version = TLS1_3_VERSION,
	       .sni = "solo.test", .sigalgs = "ECDSA+SHA256");
}

static void
test_dual_tls12(void)
{
	/* Server suite order: ECDHE_ECDSA, then ECDHE_RSA, then RSA. */
	SERVED("1.2 default", "ecdsa", .version = TLS1_2_VERSION, .sni = "dual.test");
	SERVED("1.2 ECDHE-ECDSA only", "ecdsa", .version = TLS1_2_VERSION, .sni = "dual.test",
	       .ciphers12 = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305");
	SERVED("1.2 ECDHE-RSA only", "rsa", .version = TLS1_2_VERSION, .sni = "dual.test",
	       .ciphers12 = "ECDHE-RSA-AES256-GCM-SHA384");
	SERVED("1.2 RSA kx only", "rsa", .version = TLS1_2_VERSION, .sni = "dual.test",
	       .ciphers12 = "AES128-GCM-SHA256");
	/* Every suite, but only RSA signatures: no ECDSA suite can be served. */
	SERVED("1.2 RSA sigalgs", "rsa", .version = TLS1_2_VERSION, .sni = "dual.test",
	       .sigalgs = "RSA+SHA256:RSA-PSS+SHA256");
	/* ECDSA signatures only: ECDHE_ECDSA; RSA kx would still be possible. */
	SERVED("1.2 ECDSA sigalgs", "ecdsa", .version = TLS1_2_VERSION, .sni = "dual.test",
	       .sigalgs = "ECDSA+SHA384");
	/* RFC 8422 5.1: the ECDSA certificate is P-256; a client without it gets RSA. */
	SERVED("1.2 no P-256", "rsa", .version = TLS1_2_VERSION, .sni = "dual.test",
	       .groups = "X25519");
	SERVED("1.2 no SNI", "ecdsa", .version = TLS1_2_VERSION);
	SERVED("1.2 no SNI RSA", "rsa", .version = TLS1_2_VERSION,
	       .ciphers12 = "ECDHE-RSA-AES128-GCM-SHA256");
	SERVED("1.2 ECDSA-only vs RSA-only name", "failed", .version = TLS1_2_VERSION,
	       .sni = "solo.test", .ciphers12 = "ECDHE-ECDSA-AES128-GCM-SHA256");
}

/*
 * An RSA wildcard (*.wild.test) and an ECDSA exact name (www.wild.test):
 * for www both serve, as a pair (the exact name overrides a wildcard of its
 * own key type only); other names under the wildcard get the RSA one.
 */
static void
test_wildcard_pair(void)
{
	SERVED("www ECDSA", "www-ecdsa", .version = TLS1_3_VERSION, .sni = "www.wild.test");
	SERVED("www RSA-only", "wild-rsa", .version = TLS1_3_VERSION, .sni = "www.wild.test",
	       .sigalgs = "RSA-PSS+SHA256");
	SERVED("www 1.2 ECDHE-RSA", "wild-rsa", .version = TLS1_2_VERSION,
	       .sni = "www.wild.test", .ciphers12 = "ECDHE-RSA-AES128-GCM-SHA256");
	SERVED("other under the wildcard", "wild-rsa", .version = TLS1_3_VERSION,
	       .sni = "api.wild.test");
	SERVED("other, ECDSA-only client", "failed", .version = TLS1_3_VERSION,
	       .sni = "api.wild.test", .sigalgs = "ECDSA+SHA256");
}

static void
check_staple(const char *what, const struct copts *o, const char *want_cert, bool want_staple)
{
	struct hs_session_info si;
	uint64_t served0 = worker->stats.ocsp_staples_served;
	const char *got = run(what, o, &si);

	CHECK_MSG(strcmp(got, want_cert) == 0, "%s: served %s, want %s", what, got, want_cert);
	CHECK_MSG(st.called == 1, "%s: status callback %d", what, st.called);
	if (want_staple) {
		CHECK_MSG(st.len > 0 && st.verified, "%s: staple len %d verified %d", what,
			  st.len, st.verified);
		CHECK_MSG(si.ocsp_stapled, "%s: engine says not stapled", what);
		CHECK_EQ(worker->stats.ocsp_staples_served - served0, 1);
	} else {
		CHECK_MSG(st.len == -1, "%s: staple len %d", what, st.len);
		CHECK_MSG(!si.ocsp_stapled, "%s: engine says stapled", what);
		CHECK_EQ(worker->stats.ocsp_staples_served - served0, 0);
	}
}

static void
test_staple(void)
{
	for (int v = 0; v < 2; v++) {
		int ver = v ? TLS1_2_VERSION : TLS1_3_VERSION;
		char what[96];

		/* The staple of the certificate served, RSA or ECDSA. */
		snprintf(what, sizeof(what), "%s staple ecdsa", v ? "1.2" : "1.3");
		check_staple(what, &(struct copts){ .version = ver, .sni = "dual.test",
						    .status = 1 }, "ecdsa", true);
		snprintf(what, sizeof(what), "%s staple rsa", v ? "1.2" : "1.3");
		check_staple(what, &(struct copts){ .version = ver, .sni = "dual.test",
						    .status = 1,
						    .sigalgs = "RSA-PSS+SHA256:RSA+SHA256" },
			     "rsa", true);
		/* RSA key exchange: Certificate, CertificateStatus, ServerHelloDone. */
		if (v) {
			check_staple("1.2 staple RSA kx", &(struct copts){
					.version = ver, .sni = "dual.test", .status = 1,
					.ciphers12 = "AES256-GCM-SHA384" }, "rsa", true);
		}
		/* A certificate without a response: none, and the handshake goes on. */
		snprintf(what, sizeof(what), "%s no response configured", v ? "1.2" : "1.3");
		check_staple(what, &(struct copts){ .version = ver, .sni = "solo.test",
						    .status = 1 }, "solo", false);
	}
	/* Not asked: not sent (and OpenSSL would refuse one it did not ask for). */
	{
		uint64_t served0 = worker->stats.ocsp_staples_served;

		SERVED("1.3 not asked", "ecdsa", .version = TLS1_3_VERSION, .sni = "dual.test");
		SERVED("1.2 not asked", "ecdsa", .version = TLS1_2_VERSION, .sni = "dual.test");
		CHECK_EQ(worker->stats.ocsp_staples_served, served0);
	}
}

/* Past nextUpdate (the engine's clock): not stapled, counted; the handshake still completes. */
static void
test_staple_expiry(void)
{
	uint64_t exp0 = worker->stats.ocsp_staples_expired;

	test_now_ms = (uint64_t)(rsa_ocsp->next_update - 1) * 1000u;
	check_staple("1.3 a second before nextUpdate", &(struct copts){
			.version = TLS1_3_VERSION, .sni = "dual.test", .status = 1,
			.sigalgs = "RSA-PSS+SHA256" }, "rsa", true);
	test_now_ms = (uint64_t)rsa_ocsp->next_update * 1000u;
	check_staple("1.3 at nextUpdate", &(struct copts){
			.version = TLS1_3_VERSION, .sni = "dual.test", .status = 1,
			.sigalgs = "RSA-PSS+SHA256" }, "rsa", false);
	check_staple("1.2 at nextUpdate", &(struct copts){
			.version = TLS1_2_VERSION, .sni = "dual.test", .status = 1,
			.ciphers12 = "ECDHE-RSA-AES128-GCM-SHA256" }, "rsa", false);
	CHECK_EQ(worker->stats.ocsp_staples_expired - exp0, 2);
	/* The ECDSA response (a later nextUpdate) is still served. */
	check_staple("1.3 other staple still valid", &(struct copts){
			.version = TLS1_3_VERSION, .sni = "dual.test", .status = 1 },
		     "ecdsa", true);
	test_now_ms = (uint64_t)now_s * 1000u;
}

/* A resumed session has no Certificate, so no staple. */
static void
test_staple_resumed(void)
{
	for (int v = 0; v < 2; v++) {
		struct pair p;
		SSL_SESSION *sess;
		struct hs_session_info si;

		CHECK_EQ(pair_start(&p, &(struct copts){ .version = v ? TLS1_2_VERSION
									: TLS1_3_VERSION,
							  .sni = "dual.test", .status = 1 }), 0);
		CHECK(pair_handshake(&p));
		sess = SSL_get1_session(p.ssl);
		/* Freed without close_notify, OpenSSL would make the session unresumable. */
		SSL_set_shutdown(p.ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
		pair_free(&p);
		CHECK_EQ(pair_start(&p, &(struct copts){ .version = v ? TLS1_2_VERSION
									: TLS1_3_VERSION,
							  .sni = "dual.test", .status = 1,
							  .session = sess }), 0);
		CHECK(pair_handshake(&p));
		CHECK(SSL_session_reused(p.ssl));
		hs_conn_session_info(&p.conn, &si);
		CHECK(si.resumed && !si.ocsp_stapled);
		CHECK_MSG(st.len <= 0, "resumed %d: staple %d", v, st.len);
		pair_free(&p);
		SSL_SESSION_free(sess);
	}
}

/* hso's client, asking for the staple (hs_client_config.status_request). */
static void
test_hso_client(void)
{
	struct hs_client_config cc;
	struct hs_worker *cw;

	CHECK_EQ(hs_client_config_init(&cc), 0);
	cc.base.now_ms = test_clock;
	CHECK_EQ(hs_client_config_set_sni(&cc, "dual.test"), 0);
	cw = hs_worker_create_client(&cc, 8);
	CHECK(cw != NULL);
	for (int k = 0; k < 6; k++) {
		struct hs_client_config one = cc;
		struct hs_conn s, c;
		uint8_t *sb = calloc(1, HS_CONN_BUF_SIZE), *cb = calloc(1, HS_CONN_BUF_SIZE);
		struct hs_session_info ci, si;
		uint64_t got0 = cw->stats.client_staples;
		bool ask = k < 4;
		int done = 0;

		one.status_request = ask;
		one.base.nego.tls13 = k % 2 == 0;
		/* k 2, 3: RSA (TLS 1.3: PSS only; TLS 1.2: ECDHE_RSA suites only). */
		if (k == 2 || k == 3) {
			one.base.nego.sigalgs[0] = HS_SIG_RSA_PSS_RSAE_SHA256;
			one.base.nego.n_sigalgs = 1;
		}
		if (k == 5)
			one.mode = HS_CLIENT_LOAD;
		CHECK_EQ(hs_conn_init(&s, worker, sb, HS_CONN_BUF_SIZE), 0);
		CHECK_EQ(hs_conn_init_client(&c, cw, &one, cb, HS_CONN_BUF_SIZE), 0);
		CHECK_EQ(hs_conn_client_start(&c, NULL), 0);
		for (int i = 0; i < 20 && !done; i++) {
			struct hs_conn *from[2] = { &c, &s }, *to[2] = { &s, &c };

			hs_worker_run(cw);
			for (int d = 0; d < 2; d++) {
				size_t len, off = 0;
				const uint8_t *o = hs_conn_send_buf(from[d], &len);

				while (off < len) {
					size_t room;
					uint8_t *dst = hs_conn_recv_buf(to[d], &room);

					if (room == 0)
						break;
					room = room < len - off ? room : len - off;
					memcpy(dst, o + off, room);
					off += room;
					if (hs_conn_recv_ack(to[d], room) != 0)
						break;
				}
				hs_conn_send_ack(from[d], off);
				hs_worker_run(d == 0 ? worker : cw);
			}
			done = hs_conn_status(&c) == HS_STATUS_ESTABLISHED &&
			       hs_conn_status(&s) == HS_STATUS_ESTABLISHED;
			if (hs_conn_status(&c) == HS_STATUS_FAILED ||
			    hs_conn_status(&s) == HS_STATUS_FAILED)
				break;
		}
		CHECK_MSG(done, "hso client %d: c %d s %d", k, hs_conn_error(&c), hs_conn_error(&s));
		hs_conn_session_info(&c, &ci);
		hs_conn_session_info(&s, &si);
		CHECK_MSG(ci.ocsp_stapled == ask && si.ocsp_stapled == ask,
			  "hso client %d: client %d server %d", k, ci.ocsp_stapled, si.ocsp_stapled);
		CHECK_EQ(cw->stats.client_staples - got0, ask ? 1 : 0);
		if (k == 2 || k == 3)
			CHECK(si.cert == rsa_cert);
		hs_conn_reset(&s);
		hs_conn_reset(&c);
		free(sb);
		free(cb);
	}
	hs_worker_free(cw);
}

/* Setups that cannot be served deterministically are refused. */
static void
test_config_rules(void)
{
	struct hs_config c2;
	const char *name = "x";
	char *cp, *kp, err[256];
	EVP_PKEY *k2 = tk_keygen("RSA", NULL, 2048), *k3 = tk_keygen("EC", "P-384", 0);
	X509 *x2 = to_leaf(k2, "dual2", "DNS:Dual.test,DNS:other.dual.test", ca, ca_key, NULL);
	X509 *x3 = to_leaf(k3, "dual3", "DNS:dual.test", ca, ca_key, NULL);
	struct hso_cert *second_rsa, *p384;
	struct hso_ocsp big = { .der = (const uint8_t *)"", .len = HS_CERT_FLIGHT_MAX };

	cp = to_chain("/tmp", "hso-certs-dual2", x2, ca, k2, &kp);
	second_rsa = hso_cert_load(cp, kp, err, sizeof(err));
	unlink(cp);
	unlink(kp);
	free(cp);
	free(kp);
	cp = to_chain("/tmp", "hso-certs-dual3", x3, ca, k3, &kp);
	p384 = hso_cert_load(cp, kp, err, sizeof(err));
	unlink(cp);
	unlink(kp);
	free(cp);
	free(kp);
	CHECK(second_rsa != NULL && p384 != NULL);

	CHECK_EQ(hs_config_init(&c2), 0);
	CHECK_EQ(hs_config_add_cert(&c2, rsa_cert, true), 0);
	CHECK_EQ(hs_config_add_cert(&c2, ec_cert, false), 0);
	/* A second RSA certificate for dual.test: which would serve it? Refused. */
	CHECK_EQ(hs_config_add_cert(&c2, second_rsa, false), -EEXIST);
	CHECK_EQ(hs_config_cert_clash(&c2, second_rsa, false, &name), 0);
	CHECK(name != NULL && strcmp(name, "dual.test") == 0);
	/* A P-384 one is a third key type: a triple. */
	CHECK_EQ(hs_config_cert_clash(&c2, p384, false, &name), -1);
	CHECK_EQ(hs_config_add_cert(&c2, p384, false), 0);
	/* A second default of one key type. */
	CHECK_EQ(hs_config_add_cert(&c2, solo_cert, true), -EEXIST);
	CHECK_EQ(hs_config_cert_clash(&c2, solo_cert, true, &name), 0);
	CHECK(name == NULL);
	CHECK_EQ(hs_config_add_cert(&c2, solo_cert, false), 0);
	/* Defaults: the marked RSA one and its partners (P-256, P-384), not solo. */
	CHECK(c2.certs[0].serve_default && c2.certs[1].serve_default &&
	      c2.certs[2].serve_default && !c2.certs[3].serve_default);
	/* Staples: only for a certificate of the config, and only if they fit. */
	CHECK_EQ(hs_config_set_ocsp(&c2, second_rsa, rsa_ocsp), -ENOENT);
	CHECK_EQ(hs_config_set_ocsp(&c2, rsa_cert, &big), -E2BIG);
	CHECK_EQ(hs_config_set_ocsp(&c2, rsa_cert, rsa_ocsp), 0);
	CHECK(c2.certs[0].ocsp == rsa_ocsp);
	CHECK_EQ(hs_config_set_ocsp(&c2, rsa_cert, NULL), 0);
	hs_config_wipe(&c2);

	/* None marked: the first certificate and its partner are the default pair. */
	CHECK_EQ(hs_config_init(&c2), 0);
	CHECK_EQ(hs_config_add_cert(&c2, solo_cert, false), 0);
	CHECK_EQ(hs_config_add_cert(&c2, ec_cert, false), 0);
	CHECK(c2.certs[0].serve_default && !c2.certs[1].serve_default);
	hs_config_wipe(&c2);
	CHECK_EQ(hs_config_init(&c2), 0);
	CHECK_EQ(hs_config_add_cert(&c2, ec_cert, false), 0);
	CHECK_EQ(hs_config_add_cert(&c2, solo_cert, false), 0);
	CHECK_EQ(hs_config_add_cert(&c2, rsa_cert, false), 0);
	CHECK(c2.certs[0].serve_default && !c2.certs[1].serve_default &&
	      c2.certs[2].serve_default);
	hs_config_wipe(&c2);

	hso_cert_free(second_rsa);
	hso_cert_free(p384);
	X509_free(x2);
	X509_free(x3);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
}

static struct hso_ocsp *
staple_for(struct hso_cert *c, X509 *leaf, int64_t next)
{
	size_t len;
	unsigned char *der = to_ocsp(&(struct to_resp){
		.leaf = leaf, .issuer = ca, .signer = ca, .signer_key = ca_key,
		.this_update = now_s - 60, .next_update = next }, &len);
	char err[256];
	enum hso_ocsp_refusal why;
	struct hso_ocsp *o = hso_ocsp_parse(der, len, "staple", c, now_s, &why, err, sizeof(err));

	if (o == NULL)
		fprintf(stderr, "staple: %s\n", err);
	OPENSSL_free(der);
	return o;
}

int
main(void)
{
	char dir[] = "/tmp/hso-certs-XXXXXX";
	char *cp, *kp, err[256];

	if (mkdtemp(dir) == NULL)
		return 1;
	now_s = (int64_t)time(NULL);
	test_now_ms = (uint64_t)now_s * 1000u;
	ca_key = tk_keygen("RSA", NULL, 2048);
	rsa_key = tk_keygen("RSA", NULL, 2048);
	ec_key = tk_keygen("EC", "P-256", 0);
	solo_key = tk_keygen("RSA", NULL, 2048);
	ca = tk_cert(ca_key, "hso test CA", NULL, NULL, NULL, 1);
	rsa_leaf = to_leaf(rsa_key, "dual.test", "DNS:dual.test,DNS:www.dual.test", ca, ca_key,
			   NULL);
	ec_leaf = to_leaf(ec_key, "dual.test", "DNS:dual.test", ca, ca_key, NULL);
	solo_leaf = to_leaf(solo_key, "solo.test", "DNS:solo.test", ca, ca_key, NULL);
	cp = to_chain(dir, "rsa", rsa_leaf, ca, rsa_key, &kp);
	rsa_cert = hso_cert_load(cp, kp, err, sizeof(err));
	free(cp);
	free(kp);
	cp = to_chain(dir, "ec", ec_leaf, ca, ec_key, &kp);
	ec_cert = hso_cert_load(cp, kp, err, sizeof(err));
	free(cp);
	free(kp);
	cp = to_chain(dir, "solo", solo_leaf, ca, solo_key, &kp);
	solo_cert = hso_cert_load(cp, kp, err, sizeof(err));
	free(cp);
	free(kp);
	wild_key = tk_keygen("RSA", NULL, 2048);
	www_key = tk_keygen("EC", "P-256", 0);
	wild_leaf = to_leaf(wild_key, "wild.test", "DNS:*.wild.test", ca, ca_key, NULL);
	www_leaf = to_leaf(www_key, "www.wild.test", "DNS:www.wild.test", ca, ca_key, NULL);
	cp = to_chain(dir, "wild", wild_leaf, ca, wild_key, &kp);
	wild_cert = hso_cert_load(cp, kp, err, sizeof(err));
	free(cp);
	free(kp);
	cp = to_chain(dir, "www", www_leaf, ca, www_key, &kp);
	www_cert = hso_cert_load(cp, kp, err, sizeof(err));
	free(cp);
	free(kp);
	if (rsa_cert == NULL || ec_cert == NULL || solo_cert == NULL || wild_cert == NULL ||
	    www_cert == NULL) {
		fprintf(stderr, "cert: %s\n", err);
		return 1;
	}
	rsa_ocsp = staple_for(rsa_cert, rsa_leaf, now_s + 3600);
	ec_ocsp = staple_for(ec_cert, ec_leaf, now_s + 7200);
	if (rsa_ocsp == NULL || ec_ocsp == NULL)
		return 1;

	CHECK_EQ(hs_config_init(&cfg), 0);
	cfg.now_ms = test_clock;
	/* RSA first in the config: the choice must not depend on it. */
	CHECK_EQ(hs_config_add_cert(&cfg, rsa_cert, true), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, ec_cert, false), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, solo_cert, false), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, wild_cert, false), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, www_cert, false), 0);
	CHECK_EQ(hs_config_set_ocsp(&cfg, rsa_cert, rsa_ocsp), 0);
	CHECK_EQ(hs_config_set_ocsp(&cfg, ec_cert, ec_ocsp), 0);
	{
		struct hso_stek_config sc;

		hso_stek_config_default(&sc);
		cfg.stek = hso_stek_set_create(&sc, (uint64_t)now_s);
	}
	worker = hs_worker_create(&cfg, 64);
	if (worker == NULL || cfg.stek == NULL)
		return 1;

	test_dual_tls13();
	test_dual_tls12();
	test_wildcard_pair();
	test_staple();
	test_staple_expiry();
	test_staple_resumed();
	test_hso_client();
	test_config_rules();

	printf("worker: %llu completed, %llu failed, staples %llu served, %llu expired\n",
	       (unsigned long long)worker->stats.handshakes_completed,
	       (unsigned long long)worker->stats.handshakes_failed,
	       (unsigned long long)worker->stats.ocsp_staples_served,
	       (unsigned long long)worker->stats.ocsp_staples_expired);
	hs_worker_free(worker);
	hso_stek_set_free((struct hso_stek_set *)cfg.stek);
	hs_config_wipe(&cfg);
	hso_ocsp_free(rsa_ocsp);
	hso_ocsp_free(ec_ocsp);
	hso_cert_free(rsa_cert);
	hso_cert_free(ec_cert);
	hso_cert_free(solo_cert);
	hso_cert_free(wild_cert);
	hso_cert_free(www_cert);
	X509_free(wild_leaf);
	X509_free(www_leaf);
	EVP_PKEY_free(wild_key);
	EVP_PKEY_free(www_key);
	X509_free(ca);
	X509_free(rsa_leaf);
	X509_free(ec_leaf);
	X509_free(solo_leaf);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ec_key);
	EVP_PKEY_free(solo_key);
	tk_rmdir(dir);
	return check_result("certs_openssl");
}
