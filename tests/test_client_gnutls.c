/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client engine against GnuTLS's server library (push/pull callbacks
 * over memory): every version x suite x group x certificate in full and
 * load mode, HelloRetryRequest, ALPN, application data both ways,
 * KeyUpdate both ways, close_notify, resumption (TLS 1.3 PSK with and
 * without ECDHE, TLS 1.2 ticket and session id through GnuTLS's session
 * database).
 */
#include <errno.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

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

struct keyfiles {
	char *cert, *key;
};

static struct keyfiles rsa, p256, p384;
static gnutls_datum_t ticket_key;

/* A one-entry session database for TLS 1.2 session-id resumption. */
static uint8_t db_key[64], db_val[8192];
static size_t db_key_len, db_val_len;

static int
db_store(void *ptr, gnutls_datum_t key, gnutls_datum_t data)
{
	(void)ptr;
	if (key.size > sizeof(db_key) || data.size > sizeof(db_val))
		return -1;
	memcpy(db_key, key.data, key.size);
	db_key_len = key.size;
	memcpy(db_val, data.data, data.size);
	db_val_len = data.size;
	return 0;
}

static gnutls_datum_t
db_fetch(void *ptr, gnutls_datum_t key)
{
	gnutls_datum_t d = { NULL, 0 };

	(void)ptr;
	if (key.size == db_key_len && memcmp(key.data, db_key, key.size) == 0) {
		d.data = gnutls_malloc(db_val_len);
		memcpy(d.data, db_val, db_val_len);
		d.size = (unsigned)db_val_len;
	}
	return d;
}

static int
db_remove(void *ptr, gnutls_datum_t key)
{
	(void)ptr;
	(void)key;
	db_key_len = 0;
	return 0;
}

struct pair {
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
	struct hs_client_config cc;
	struct hs_worker *w;
	bool own_worker;
	struct hs_conn conn;
	uint8_t *buf;
	uint8_t in[1 << 17];    /* client -> server bytes not yet pulled */
	size_t in_len;
	bool tickets;
};

/* Client output -> the server's input. */
static void
to_server(struct pair *p)
{
	size_t n;
	const uint8_t *out = hs_conn_send_buf(&p->conn, &n);

	if (n > sizeof(p->in) - p->in_len)
		n = sizeof(p->in) - p->in_len;
	memcpy(p->in + p->in_len, out, n);
	p->in_len += n;
	hs_conn_send_ack(&p->conn, n);
}

/* Server output -> the client engine. */
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
		hs_worker_run(p->w);
	}
	to_server(p);
	if (off == 0 && len > 0) {
		gnutls_transport_set_errno(p->s, EAGAIN);
		return -1;
	}
	return (ssize_t)off;
}

static ssize_t
pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct pair *p = ptr;

	to_server(p);
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

static void
client_cfg(struct hs_client_config *cc)
{
	CHECK_EQ(hs_client_config_init(cc), 0);
	cc->base.now_ms = test_clock;
}

static int
pair_start(struct pair *p, const char *priority, const struct keyfiles *kf,
	   const struct hs_client_config *cc, struct hs_worker *w,
	   const struct hs_client_session *sess)
{
	const char *err = NULL;
	static const gnutls_datum_t protos[] = { { (unsigned char *)"h2", 2 } };

	memset(p, 0, sizeof(*p));
	gnutls_certificate_allocate_credentials(&p->cred);
	if (gnutls_certificate_set_x509_key_file(p->cred, kf->cert, kf->key,
						 GNUTLS_X509_FMT_PEM) < 0)
		return -1;
	gnutls_init(&p->s, GNUTLS_SERVER | GNUTLS_NONBLOCK);
	if (gnutls_priority_set_direct(p->s, priority, &err) != 0) {
		fprintf(stderr, "priority %s: error at %s\n", priority, err);
		return -1;
	}
	gnutls_credentials_set(p->s, GNUTLS_CRD_CERTIFICATE, p->cred);
	gnutls_session_ticket_enable_server(p->s, &ticket_key);
	gnutls_db_set_retrieve_function(p->s, db_fetch);
	gnutls_db_set_store_function(p->s, db_store);
	gnutls_db_set_remove_function(p->s, db_remove);
	gnutls_alpn_set_protocols(p->s, protos, 1, 0);
	gnutls_transport_set_ptr(p->s, p);
	gnutls_transport_set_push_function(p->s, push);
	gnutls_transport_set_pull_function(p->s, pull);
	p->cc = *cc;
	p->own_worker = w == NULL;
	p->w = w != NULL ? w : hs_worker_create_client(&p->cc, 64);
	p->buf = calloc(1, HS_CONN_BUF_SIZE);
	if (p->w == NULL ||
	    hs_conn_init_client(&p->conn, p->w, w != NULL ? cc : &p->cc, p->buf,
				HS_CONN_BUF_SIZE) != 0 ||
	    hs_conn_client_start(&p->conn, sess) != 0)
		return -1;
	hs_worker_run(p->w);
	return 0;
}

static void
pair_free(struct pair *p)
{
	reset_wiped(&p->conn);
	CHECK(check_all_zero(p->buf, HS_CONN_BUF_SIZE));
	free(p->buf);
	if (p->own_worker)
		hs_worker_free(p->w);
	gnutls_deinit(p->s);
	gnutls_certificate_free_credentials(p->cred);
}

static int
pair_handshake(struct pair *p)
{
	for (int i = 0; i < 100; i++) {
		int rc = gnutls_handshake(p->s);

		to_server(p);
		if (rc == 0 && hs_conn_status(&p->conn) == HS_STATUS_ESTABLISHED)
			return 1;
		if (rc < 0 && gnutls_error_is_fatal(rc)) {
			fprintf(stderr, "gnutls server: %s\n", gnutls_strerror(rc));
			return 0;
		}
		if (hs_conn_status(&p->conn) == HS_STATUS_FAILED)
			return 0;
	}
	return 0;
}

/* @p n bytes each way. */
static int
pair_exchange(struct pair *p, size_t n)
{
	uint8_t *a = malloc(n), *b = malloc(n);
	uint64_t seed = n + 11;
	size_t done = 0;
	int ok = 1;

	check_fill(&seed, a, n);
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
	for (int guard = 0; ok && done < n && guard < 1000; guard++) {
		ssize_t k = gnutls_record_recv(p->s, b + done, n - done);

		if (k > 0)
			done += (size_t)k;
		else if (k != GNUTLS_E_AGAIN && k != GNUTLS_E_INTERRUPTED)
			ok = 0;
	}
	ok = ok && done == n && memcmp(a, b, n) == 0;
	check_fill(&seed, a, n);
	{
		size_t sent = 0;

		done = 0;
		for (int guard = 0; ok && (sent < n || done < n) && guard < 100000; guard++) {
			ssize_t k = sent < n ? gnutls_record_send(p->s, a + sent, n - sent)
					     : GNUTLS_E_AGAIN;
			int r;

			if (k > 0)
				sent += (size_t)k;
			else if (k != GNUTLS_E_AGAIN)
				ok = 0;
			/* The engine's input holds one record: read to make room. */
			r = hs_conn_app_read(&p->conn, b + done, n - done);
			if (r < 0)
				ok = 0;
			else
				done += (size_t)r;
		}
	}
	ok = ok && done == n && memcmp(a, b, n) == 0;
	free(a);
	free(b);
	return ok;
}

static const char *
prio(int v)
{
	return v == 13 ? "NORMAL:-VERS-ALL:+VERS-TLS1.3"
		       : "NORMAL:-VERS-ALL:+VERS-TLS1.2:+RSA";
}

static void
one_case(int v, uint16_t suite, uint16_t group, const struct keyfiles *kf,
	 enum hs_client_mode mode)
{
	struct hs_client_config cc;
	struct hs_session_info si;
	struct pair *p = malloc(sizeof(*p));
	int ok;

	client_cfg(&cc);
	cc.mode = mode;
	cc.base.nego.suites[0] = suite;
	cc.base.nego.n_suites = 1;
	cc.base.nego.groups[0] = group;
	cc.base.nego.n_groups = 1;
	if (pair_start(p, prio(v), kf, &cc, NULL, NULL) != 0) {
		CHECK_MSG(0, "start %04x", suite);
		pair_free(p);
		free(p);
		return;
	}
	ok = pair_handshake(p);
	CHECK_MSG(ok, "v %d suite %04x group %04x mode %d: client err %d (%s)", v, suite, group,
		  mode, hs_conn_error(&p->conn), hs_alert_name(hs_err_alert(hs_conn_error(&p->conn))));
	if (ok) {
		hs_conn_session_info(&p->conn, &si);
		CHECK_EQ(si.suite, suite);
		CHECK_EQ(si.version, v == 13 ? HS_TLS13 : HS_TLS12);
		CHECK(pair_exchange(p, 1000));
		CHECK(pair_exchange(p, 20000));
	}
	pair_free(p);
	free(p);
}

static void
test_matrix(void)
{
	static const uint16_t s13[] = { 0x1301, 0x1302, 0x1303 };
	static const uint16_t ecdsa12[] = { 0xc02b, 0xc02c, 0xcca9 };
	static const uint16_t rsa12[] = { 0xc02f, 0xc030, 0xcca8 };
	static const uint16_t kx12[] = { 0x009c, 0x009d };
	static const uint16_t groups[] = { HS_GROUP_X25519, HS_GROUP_SECP256R1 };
	const struct keyfiles *kfs[] = { &rsa, &p256, &p384 };
	int before = check_failures;

	for (int m = 0; m < 2; m++) {
		enum hs_client_mode mode = m ? HS_CLIENT_LOAD : HS_CLIENT_FULL;

		for (unsigned g = 0; g < 2; g++) {
			for (unsigned i = 0; i < 3; i++)
				for (unsigned k = 0; k < 3; k++)
					one_case(13, s13[i], groups[g], kfs[k], mode);
			for (unsigned i = 0; i < 3; i++) {
				one_case(12, ecdsa12[i], groups[g], &p256, mode);
				one_case(12, ecdsa12[i], groups[g], &p384, mode);
				one_case(12, rsa12[i], groups[g], &rsa, mode);
			}
		}
		for (unsigned i = 0; i < 2; i++)
			one_case(12, kx12[i], HS_GROUP_X25519, &rsa, mode);
	}
	printf("matrix: %s\n", check_failures == before ? "ok" : "FAILED");
}

static void
test_hrr_alpn_keyupdate_close(void)
{
	struct hs_client_config cc;
	struct hs_session_info si;
	struct pair *p = malloc(sizeof(*p));

	/* The server takes P-256 only; the client's one share is X25519. */
	client_cfg(&cc);
	memcpy(cc.base.nego.alpn, "\x08http/1.1\x02h2", 12);
	cc.base.nego.alpn_len = 12;
	CHECK_EQ(pair_start(p, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP256R1",
			    &p256, &cc, NULL, NULL), 0);
	CHECK(pair_handshake(p));
	CHECK_EQ(p->w->stats.client_hrr, 1);
	hs_conn_session_info(&p->conn, &si);
	CHECK_EQ(si.group, HS_GROUP_SECP256R1);
	CHECK(si.alpn_len == 2 && memcmp(si.alpn, "h2", 2) == 0);
	CHECK(pair_exchange(p, 500));
	/* KeyUpdate from the client (asking back), then from the server. */
	CHECK_EQ(hs_conn_key_update(&p->conn, true), 0);
	to_server(p);
	CHECK(pair_exchange(p, 500));
	CHECK_EQ(gnutls_session_key_update(p->s, GNUTLS_KU_PEER), 0);
	CHECK(pair_exchange(p, 500));
	CHECK(pair_exchange(p, 500));
	/* The server closes; the client answers and is closed. */
	gnutls_bye(p->s, GNUTLS_SHUT_WR);
	CHECK_EQ(hs_conn_status(&p->conn), HS_STATUS_CLOSED);
	pair_free(p);

	/* TLS 1.2: ALPN in the ServerHello, client close_notify. */
	CHECK_EQ(pair_start(p, prio(12), &rsa, &cc, NULL, NULL), 0);
	CHECK(pair_handshake(p));
	hs_conn_session_info(&p->conn, &si);
	CHECK(si.alpn_len == 2 && memcmp(si.alpn, "h2", 2) == 0);
	CHECK(si.ems);
	CHECK_EQ(hs_conn_close(&p->conn), 0);
	to_server(p);
	{
		uint8_t b[8];

		CHECK_EQ(gnutls_record_recv(p->s, b, sizeof(b)), 0);
	}
	pair_free(p);
	free(p);
}

static void
resume_case(int v, enum hs_client_resume kind, bool expect)
{
	/* GnuTLS issues tickets for psk_ke only with the PSK key exchange enabled. */
	const char *pr = kind == HS_RESUME_PSK_KE ? "NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK" : prio(v);
	struct hs_client_config cc;
	struct hs_client_session s;
	struct hs_session_info si;
	struct hs_worker *w;
	struct pair *p = malloc(sizeof(*p));
	uint8_t b[8];

	client_cfg(&cc);
	cc.resume = kind;
	w = hs_worker_create_client(&cc, 64);
	CHECK_EQ(pair_start(p, pr, &p256, &cc, w, NULL), 0);
	CHECK(pair_handshake(p));
	/* TLS 1.3 tickets follow the handshake: let the server send them. */
	gnutls_record_recv(p->s, b, sizeof(b));
	CHECK(pair_exchange(p, 100));
	CHECK_EQ(hs_conn_client_session(&p->conn, &s), 0);
	pair_free(p);

	test_now_ms += 1000;
	CHECK_EQ(pair_start(p, pr, &p256, &cc, w, &s), 0);
	CHECK_MSG(pair_handshake(p), "resume v %d kind %d: %d", v, kind, hs_conn_error(&p->conn));
	hs_conn_session_info(&p->conn, &si);
	CHECK_MSG(si.resumed == expect, "v %d kind %d resumed %d", v, kind, si.resumed);
	CHECK_EQ(gnutls_session_is_resumed(p->s), expect);
	if (v == 13 && expect)
		CHECK_EQ(si.group, kind == HS_RESUME_PSK_KE ? 0 : HS_GROUP_X25519);
	CHECK(pair_exchange(p, 3000));
	pair_free(p);
	free(p);
	hs_client_session_wipe(&s);
	hs_worker_free(w);
}

static void
write_pair(const char *dir, const char *tag, EVP_PKEY *k, const char *san,
	   struct keyfiles *kf)
{
	kf->cert = tk_pair(dir, tag, k, san, &kf->key);
	EVP_PKEY_free(k);
}

int
main(void)
{
	char dir[] = "/tmp/hso-client-gnutls-XXXXXX";

	if (mkdtemp(dir) == NULL)
		return 1;
	gnutls_global_init();
	write_pair(dir, "rsa", tk_keygen("RSA", NULL, 2048), "DNS:rsa.test", &rsa);
	write_pair(dir, "p256", tk_keygen("EC", "P-256", 0), "DNS:ec.test", &p256);
	write_pair(dir, "p384", tk_keygen("EC", "P-384", 0), "DNS:ec.test", &p384);
	gnutls_session_ticket_key_generate(&ticket_key);

	test_matrix();
	test_hrr_alpn_keyupdate_close();
	resume_case(13, HS_RESUME_TICKET, true);
	resume_case(13, HS_RESUME_PSK_KE, true);
	resume_case(12, HS_RESUME_TICKET, true);
	resume_case(12, HS_RESUME_SESSION_ID, true);

	gnutls_free(ticket_key.data);
	gnutls_global_deinit();
	{
		struct keyfiles *all[] = { &rsa, &p256, &p384 };

		for (unsigned i = 0; i < 3; i++) {
			free(all[i]->cert);
			free(all[i]->key);
		}
	}
	tk_rmdir(dir);
	return check_result("client_gnutls");
}
