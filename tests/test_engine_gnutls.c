/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handshake engine against the GnuTLS client library (push/pull
 * callbacks over memory): TLS 1.3 and 1.2 with each suite and group GnuTLS
 * can be told to offer, certificates checked against GnuTLS's verifier,
 * application data both ways, rehandshake refusal, and close_notify.
 */
#include <errno.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "check.h"
#include "handshake.h"
#include "test_asym_keys.h"

static struct hs_config cfg;
static struct hs_worker *worker;
static struct hso_cert *rsa_cert, *p256_cert;
static char *ca_path;

struct pair {
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
	struct hs_conn conn;
	uint8_t *buf;
	uint8_t in[1 << 17];    /* engine -> client bytes not yet pulled */
	size_t in_len;
};

static ssize_t
push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	struct pair *p = ptr;
	size_t off = 0;

	while (off < len) {
		size_t room, k;
		uint8_t *dst = hs_conn_recv_buf(&p->conn, &room);

		k = len - off < room ? len - off : room;
		if (k == 0)
			break;
		memcpy(dst, (const uint8_t *)data + off, k);
		off += k;
		hs_conn_recv_ack(&p->conn, k);
		hs_worker_run(worker);
	}
	{
		size_t n;
		const uint8_t *out = hs_conn_send_buf(&p->conn, &n);

		if (n > sizeof(p->in) - p->in_len)
			n = sizeof(p->in) - p->in_len;
		memcpy(p->in + p->in_len, out, n);
		p->in_len += n;
		hs_conn_send_ack(&p->conn, n);
	}
	return off == 0 && len > 0 ? -1 : (ssize_t)off;
}

static ssize_t
pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct pair *p = ptr;

	if (p->in_len == 0) {
		gnutls_transport_set_errno(p->s, EAGAIN);
		return -1;
	}
	if (len > p->in_len)
		len = p->in_len;
	memcpy(data, p->in, len);
	memmove(p->in, p->in + len, p->in_len - len);
	p->in_len -= len;
	return (ssize_t)len;
}

/* Engine output not yet handed over (e.g. after app writes). */
static void
drain(struct pair *p)
{
	size_t n;
	const uint8_t *out = hs_conn_send_buf(&p->conn, &n);

	if (n > sizeof(p->in) - p->in_len)
		n = sizeof(p->in) - p->in_len;
	memcpy(p->in + p->in_len, out, n);
	p->in_len += n;
	hs_conn_send_ack(&p->conn, n);
}

static int
pair_start(struct pair *p, const char *priority, const char *sni)
{
	const char *err = NULL;

	memset(p, 0, sizeof(*p));
	p->buf = malloc(HS_CONN_BUF_SIZE);
	if (hs_conn_init(&p->conn, worker, p->buf, HS_CONN_BUF_SIZE) != 0)
		return -1;
	gnutls_certificate_allocate_credentials(&p->cred);
	gnutls_certificate_set_x509_trust_file(p->cred, ca_path, GNUTLS_X509_FMT_PEM);
	gnutls_init(&p->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	if (gnutls_priority_set_direct(p->s, priority, &err) != 0) {
		fprintf(stderr, "priority %s: error at %s\n", priority, err);
		return -1;
	}
	gnutls_credentials_set(p->s, GNUTLS_CRD_CERTIFICATE, p->cred);
	gnutls_server_name_set(p->s, GNUTLS_NAME_DNS, sni, strlen(sni));
	/* Verify the chain and the name against the test CA, as a real client would. */
	gnutls_session_set_verify_cert(p->s, sni, 0);
	gnutls_transport_set_ptr(p->s, p);
	gnutls_transport_set_push_function(p->s, push);
	gnutls_transport_set_pull_function(p->s, pull);
	return 0;
}

static void
pair_free(struct pair *p)
{
	gnutls_deinit(p->s);
	gnutls_certificate_free_credentials(p->cred);
	hs_conn_reset(&p->conn);
	free(p->buf);
}

static int
pair_handshake(struct pair *p)
{
	for (int i = 0; i < 50; i++) {
		int rc = gnutls_handshake(p->s);

		if (rc == 0)
			return hs_conn_status(&p->conn) == HS_STATUS_ESTABLISHED;
		if (rc != GNUTLS_E_AGAIN) {
			fprintf(stderr, "gnutls: %s; engine err %d\n", gnutls_strerror(rc),
				hs_conn_error(&p->conn));
			return 0;
		}
	}
	return 0;
}

static int
pair_exchange(struct pair *p, size_t n)
{
	uint8_t *src = malloc(n), *dst = malloc(n);
	size_t got = 0, sent = 0;
	int ok;

	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	while (sent < n) {
		ssize_t w = gnutls_record_send(p->s, src + sent, n - sent);

		if (w <= 0)
			break;
		sent += (size_t)w;
		for (int r; (r = hs_conn_app_read(&p->conn, dst + got, n - got)) > 0;)
			got += (size_t)r;
	}
	ok = got == n && memcmp(src, dst, n) == 0;
	sent = got = 0;
	while (got < n) {
		int w = hs_conn_app_write(&p->conn, src + sent, n - sent);
		ssize_t r;

		if (w < 0)
			break;
		sent += (size_t)w;
		drain(p);
		while ((r = gnutls_record_recv(p->s, dst + got, n - got)) > 0)
			got += (size_t)r;
		if (r != GNUTLS_E_AGAIN && r <= 0)
			break;
		if (sent == n && p->in_len == 0 && got < n)
			break;
	}
	ok &= got == n && memcmp(src, dst, n) == 0;
	free(src);
	free(dst);
	return ok;
}

static void
run_case(const char *priority, const char *sni, uint16_t version, uint16_t suite,
	 uint16_t group)
{
	struct pair p;
	struct hs_session_info si;

	if (pair_start(&p, priority, sni) != 0) {
		CHECK_MSG(0, "%s: setup", priority);
		return;
	}
	if (!pair_handshake(&p)) {
		CHECK_MSG(0, "%s: handshake failed", priority);
		pair_free(&p);
		return;
	}
	hs_conn_session_info(&p.conn, &si);
	CHECK_MSG(si.version == version, "%s: version %x", priority, si.version);
	CHECK_MSG(si.suite == suite, "%s: suite %x", priority, si.suite);
	if (group)
		CHECK_MSG(si.group == group, "%s: group %x", priority, si.group);
	CHECK_MSG(pair_exchange(&p, 40000), "%s: application data", priority);
	CHECK_EQ(gnutls_bye(p.s, GNUTLS_SHUT_WR), 0);
	CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_CLOSED);
	pair_free(&p);
}

#define P13 "NONE:+VERS-TLS1.3:+SIGN-ALL:+CTYPE-X509:+AEAD:+MAC-ALL:"
#define P12 "NONE:+VERS-TLS1.2:+SIGN-ALL:+CTYPE-X509:+AEAD:+MAC-ALL:+COMP-NULL:"

static void
test_matrix(void)
{
	run_case(P13 "+AES-128-GCM:+GROUP-X25519", "rsa.test", HS_TLS13, 0x1301, HS_GROUP_X25519);
	run_case(P13 "+AES-256-GCM:+GROUP-SECP256R1", "rsa.test", HS_TLS13, 0x1302,
		 HS_GROUP_SECP256R1);
	run_case(P13 "+CHACHA20-POLY1305:+GROUP-X25519", "ec.test", HS_TLS13, 0x1303,
		 HS_GROUP_X25519);
	run_case(P13 "+AES-128-GCM:+GROUP-SECP256R1", "ec.test", HS_TLS13, 0x1301,
		 HS_GROUP_SECP256R1);
	/* Only secp384r1 first, then ours: HelloRetryRequest. */
	run_case(P13 "+AES-128-GCM:+GROUP-SECP384R1:+GROUP-X25519", "rsa.test", HS_TLS13,
		 0x1301, HS_GROUP_X25519);
	run_case(P12 "+AES-128-GCM:+ECDHE-RSA:+GROUP-X25519", "rsa.test", HS_TLS12, 0xc02f,
		 HS_GROUP_X25519);
	run_case(P12 "+AES-256-GCM:+ECDHE-RSA:+GROUP-SECP256R1", "rsa.test", HS_TLS12, 0xc030,
		 HS_GROUP_SECP256R1);
	run_case(P12 "+CHACHA20-POLY1305:+ECDHE-RSA:+GROUP-X25519", "rsa.test", HS_TLS12, 0xcca8,
		 HS_GROUP_X25519);
	run_case(P12 "+AES-128-GCM:+ECDHE-ECDSA:+GROUP-ALL", "ec.test", HS_TLS12, 0xc02b, 0);
	run_case(P12 "+AES-256-GCM:+ECDHE-ECDSA:+GROUP-ALL", "ec.test", HS_TLS12, 0xc02c, 0);
	run_case(P12 "+CHACHA20-POLY1305:+ECDHE-ECDSA:+GROUP-ALL", "ec.test", HS_TLS12, 0xcca9, 0);
	run_case(P12 "+AES-128-GCM:+RSA", "rsa.test", HS_TLS12, 0x009c, 0);
	run_case(P12 "+AES-256-GCM:+RSA", "rsa.test", HS_TLS12, 0x009d, 0);
}

static void
test_rehandshake_refused(void)
{
	struct pair p;
	int rc;

	/* TLS 1.2: a client-initiated renegotiation gets no_renegotiation. */
	pair_start(&p, P12 "+AES-128-GCM:+ECDHE-RSA:+GROUP-X25519:%SAFE_RENEGOTIATION",
		   "rsa.test");
	CHECK(pair_handshake(&p));
	for (int i = 0; i < 10; i++) {
		rc = gnutls_handshake(p.s);
		if (rc != GNUTLS_E_AGAIN)
			break;
	}
	CHECK_MSG(rc == GNUTLS_E_WARNING_ALERT_RECEIVED, "rehandshake: %s", gnutls_strerror(rc));
	CHECK_EQ(gnutls_alert_get(p.s), GNUTLS_A_NO_RENEGOTIATION);
	/* The connection goes on. */
	CHECK(pair_exchange(&p, 1000));
	pair_free(&p);
}

int
main(void)
{
	char dir[] = "/tmp/hso-gnutls-XXXXXX";
	EVP_PKEY *ca_key, *k1, *k2;
	X509 *ca, *leaf;
	char *cp, *kp, err[256];

	if (mkdtemp(dir) == NULL)
		return 1;
	ca_key = tk_keygen("EC", "P-256", 0);
	ca = tk_cert(ca_key, "hso test CA", NULL, NULL, NULL, 1);
	ca_path = tk_write(dir, "ca.pem", &ca, 1, NULL);
	k1 = tk_keygen("RSA", NULL, 2048);
	k2 = tk_keygen("EC", "P-256", 0);

	/* Chains leaf + CA, so the Certificate message carries two certificates. */
	leaf = tk_cert(k1, "rsa.test", "DNS:rsa.test", ca, ca_key, 0);
	cp = tk_write(dir, "rsa.pem", (X509 *[]){ leaf, ca }, 2, NULL);
	kp = tk_write(dir, "rsa.key", NULL, 0, k1);
	rsa_cert = hso_cert_load(cp, kp, err, sizeof(err));
	X509_free(leaf);
	free(cp);
	free(kp);
	leaf = tk_cert(k2, "ec.test", "DNS:ec.test", ca, ca_key, 0);
	cp = tk_write(dir, "ec.pem", (X509 *[]){ leaf, ca }, 2, NULL);
	kp = tk_write(dir, "ec.key", NULL, 0, k2);
	p256_cert = hso_cert_load(cp, kp, err, sizeof(err));
	X509_free(leaf);
	free(cp);
	free(kp);
	if (rsa_cert == NULL || p256_cert == NULL) {
		fprintf(stderr, "cert load: %s\n", err);
		return 1;
	}
	gnutls_global_init();
	CHECK_EQ(hs_config_init(&cfg), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, rsa_cert, true), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, p256_cert, false), 0);
	worker = hs_worker_create(&cfg, 64);
	if (worker == NULL)
		return 1;

	test_matrix();
	test_rehandshake_refused();

	hs_worker_free(worker);
	hs_config_wipe(&cfg);
	hso_cert_free(rsa_cert);
	hso_cert_free(p256_cert);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	free(ca_path);
	tk_rmdir(dir);
	gnutls_global_deinit();
	return check_result("engine_gnutls");
}
