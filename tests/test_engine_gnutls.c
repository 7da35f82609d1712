/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handshake engine against the GnuTLS client library (push/pull
 * callbacks over memory): TLS 1.3 and 1.2 with each suite and group GnuTLS
 * can be told to offer, certificates checked against GnuTLS's verifier,
 * application data both ways (also fed one byte at a time), SNI selection,
 * ALPN, resumption (TLS 1.3 tickets with psk_dhe_ke and psk_ke, TLS 1.2
 * tickets and session ids), KeyUpdate both ways, rehandshake refusal, and
 * close_notify.
 *
 * A second client library matters for resumption above all: GnuTLS builds
 * its PSK offer, binders and ticket ages its own way, and treats a missing
 * or stray extension in a resumed hello differently from OpenSSL.
 */
#include <errno.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

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
static struct hs_worker *worker;
static struct hso_cert *rsa_cert, *p256_cert, *other_cert;
static char *ca_path;

/*
 * The engine's clock: fixed, so ticket lifetimes are the test's to cross.
 * GnuTLS keeps its own (real) clock for the ticket age it reports, which is
 * what a client's clock is to a server anyway.
 */
static uint64_t test_now_ms = 1700000000000ull;

static uint64_t
test_clock(void)
{
	return test_now_ms;
}

struct pair {
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
	struct hs_conn conn;
	uint8_t *buf;
	bool byte_at_a_time;    /* one byte per hs_conn_recv_ack() */
	uint8_t in[1 << 17];    /* engine -> client bytes not yet pulled */
	size_t in_len;
};

/* Client options beyond the priority string and the SNI. */
struct copts {
	unsigned flags;                 /* extra gnutls_init() flags */
	const gnutls_datum_t *session;  /* resume this (gnutls_session_get_data2) */
	bool alpn;                      /* offer "h2", "http/1.1" */
	bool byte_at_a_time;
};

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

static ssize_t
push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	struct pair *p = ptr;
	size_t off = 0;

	while (off < len) {
		size_t room, k;
		uint8_t *dst = hs_conn_recv_buf(&p->conn, &room);

		k = len - off < room ? len - off : room;
		/*
		 * Byte at a time: every record header, handshake header, binder
		 * and AEAD tag arrives split at every possible offset.
		 */
		if (p->byte_at_a_time && k > 1)
			k = 1;
		if (k == 0)
			break;
		memcpy(dst, (const uint8_t *)data + off, k);
		off += k;
		hs_conn_recv_ack(&p->conn, k);
		hs_worker_run(worker);
	}
	drain(p);
	if (off == 0 && len > 0) {
		/* Engine input full until the application reads: retry later. */
		gnutls_transport_set_errno(p->s, EAGAIN);
		return -1;
	}
	return (ssize_t)off;
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

static int
pair_start_ex(struct pair *p, const char *priority, const char *sni, const struct copts *o)
{
	const char *err = NULL;

	memset(p, 0, sizeof(*p));
	p->buf = malloc(HS_CONN_BUF_SIZE);
	p->byte_at_a_time = o->byte_at_a_time;
	if (hs_conn_init(&p->conn, worker, p->buf, HS_CONN_BUF_SIZE) != 0)
		return -1;
	gnutls_certificate_allocate_credentials(&p->cred);
	gnutls_certificate_set_x509_trust_file(p->cred, ca_path, GNUTLS_X509_FMT_PEM);
	gnutls_init(&p->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK | o->flags);
	if (gnutls_priority_set_direct(p->s, priority, &err) != 0) {
		fprintf(stderr, "priority %s: error at %s\n", priority, err);
		return -1;
	}
	gnutls_credentials_set(p->s, GNUTLS_CRD_CERTIFICATE, p->cred);
	gnutls_server_name_set(p->s, GNUTLS_NAME_DNS, sni, strlen(sni));
	/* Verify the chain and the name against the test CA, as a real client would. */
	gnutls_session_set_verify_cert(p->s, sni, 0);
	if (o->alpn) {
		static const gnutls_datum_t protos[] = {
			{ (unsigned char *)"h2", 2 },
			{ (unsigned char *)"http/1.1", 8 },
		};

		gnutls_alpn_set_protocols(p->s, protos, 2, 0);
	}
	if (o->session != NULL &&
	    gnutls_session_set_data(p->s, o->session->data, o->session->size) != 0)
		return -1;
	gnutls_transport_set_ptr(p->s, p);
	gnutls_transport_set_push_function(p->s, push);
	gnutls_transport_set_pull_function(p->s, pull);
	return 0;
}

static int
pair_start(struct pair *p, const char *priority, const char *sni)
{
	return pair_start_ex(p, priority, sni, &(struct copts){ 0 });
}

static void
pair_free(struct pair *p)
{
	gnutls_deinit(p->s);
	gnutls_certificate_free_credentials(p->cred);
	reset_wiped(&p->conn);
	free(p->buf);
}

/* Drive gnutls_handshake(); its last return code (0: done). */
static int
pair_handshake_rc(struct pair *p)
{
	int rc = GNUTLS_E_AGAIN;

	for (int i = 0; i < 50 && rc == GNUTLS_E_AGAIN; i++)
		rc = gnutls_handshake(p->s);
	return rc;
}

static int
pair_handshake(struct pair *p)
{
	int rc = pair_handshake_rc(p);

	if (rc != 0) {
		fprintf(stderr, "gnutls: %s; engine err %d\n", gnutls_strerror(rc),
			hs_conn_error(&p->conn));
		return 0;
	}
	return hs_conn_status(&p->conn) == HS_STATUS_ESTABLISHED;
}

/*
 * Let the client read what the engine sent after the handshake: in TLS 1.3
 * the NewSessionTicket is a post-handshake message (RFC 8446 4.6.1) that
 * GnuTLS processes in gnutls_record_recv(). Nothing else is pending, so the
 * read ends in GNUTLS_E_AGAIN.
 */
static int
pair_read_pending(struct pair *p)
{
	uint8_t b[1];

	return (int)gnutls_record_recv(p->s, b, sizeof(b));
}

static int
pair_exchange(struct pair *p, size_t n)
{
	uint8_t *src = malloc(n), *dst = malloc(n);
	size_t got = 0, sent = 0;
	int ok;

	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	/* client -> server */
	for (int stall = 0; sent < n && stall < 1000;) {
		size_t chunk = n - sent < 16384 ? n - sent : 16384;
		ssize_t w = gnutls_record_send(p->s, src + sent, chunk);

		/*
		 * GNUTLS_E_AGAIN: the engine's input is full until the
		 * application reads; GnuTLS keeps the record and wants the same
		 * call again.
		 */
		if (w > 0)
			sent += (size_t)w;
		else if (w != GNUTLS_E_AGAIN)
			break;
		else
			stall++;
		for (int r; (r = hs_conn_app_read(&p->conn, dst + got, n - got)) > 0;)
			got += (size_t)r;
	}
	for (int r; got < n && (r = hs_conn_app_read(&p->conn, dst + got, n - got)) > 0;)
		got += (size_t)r;
	ok = got == n && memcmp(src, dst, n) == 0;
	if (!ok)
		fprintf(stderr, "c->s: sent %zu got %zu of %zu, engine err %d\n", sent, got, n,
			hs_conn_error(&p->conn));
	/* server -> client */
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)(i * 13 + 5);
	sent = got = 0;
	while (got < n) {
		int w = hs_conn_app_write(&p->conn, src + sent, n - sent);
		ssize_t r;

		if (w < 0)
			break;
		sent += (size_t)w;
		drain(p);
		r = GNUTLS_E_AGAIN;
		while (got < n && (r = gnutls_record_recv(p->s, dst + got, n - got)) > 0)
			got += (size_t)r;
		if (got < n && r != GNUTLS_E_AGAIN) {
			fprintf(stderr, "s->c: gnutls %s\n", gnutls_strerror((int)r));
			break;
		}
		if (sent == n && p->in_len == 0 && got < n)
			break;
	}
	if (got != n || memcmp(src, dst, n) != 0) {
		fprintf(stderr, "s->c: sent %zu got %zu of %zu, engine err %d\n", sent, got, n,
			hs_conn_error(&p->conn));
		ok = 0;
	}
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
	/*
	 * close_notify: RFC 8446 6.1 "Each party MUST send a close_notify
	 * alert before closing its write side": SHUT_RDWR waits for the
	 * engine's own.
	 */
	CHECK_EQ(gnutls_bye(p.s, GNUTLS_SHUT_RDWR), 0);
	CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_CLOSED);
	pair_free(&p);
}

#define P13 "NONE:+VERS-TLS1.3:+SIGN-ALL:+CTYPE-X509:+AEAD:+MAC-ALL:"
#define P12 "NONE:+VERS-TLS1.2:+SIGN-ALL:+CTYPE-X509:+AEAD:+MAC-ALL:+COMP-NULL:"
#define P13_DEF P13 "+AES-128-GCM:+GROUP-X25519"
#define P12_DEF P12 "+AES-128-GCM:+ECDHE-RSA:+GROUP-X25519"

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
	/* secp384r1 first, then ours (test_hrr has the retry itself). */
	run_case(P13 "+AES-128-GCM:+GROUP-SECP384R1:+GROUP-X25519", "rsa.test", HS_TLS13,
		 0x1301, HS_GROUP_X25519);
	run_case(P13 "+AES-256-GCM:+GROUP-SECP384R1:+GROUP-SECP256R1", "rsa.test", HS_TLS13,
		 0x1302, HS_GROUP_SECP256R1);
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

/*
 * HelloRetryRequest (RFC 8446 4.1.4). GnuTLS sends one key share per key
 * type, so only a list of two NIST curves leaves it without a share the
 * engine takes (the engine prefers X25519, then P-256).
 */
static void
test_hrr(void)
{
	struct pair p;
	struct hs_session_info si;

	pair_start(&p, P13 "+AES-128-GCM:+GROUP-SECP384R1:+GROUP-SECP256R1", "rsa.test");
	CHECK(pair_handshake(&p));
	CHECK(p.conn.hx->hrr_sent);
	hs_conn_session_info(&p.conn, &si);
	CHECK_EQ(si.group, HS_GROUP_SECP256R1);
	CHECK(pair_exchange(&p, 1000));
	pair_free(&p);
	/* A P-384 share next to an X25519 one: no retry needed. */
	pair_start(&p, P13 "+AES-128-GCM:+GROUP-SECP384R1:+GROUP-X25519", "rsa.test");
	CHECK(pair_handshake(&p));
	CHECK(!p.conn.hx->hrr_sent);
	pair_free(&p);
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

/*
 * SNI (RFC 6066 3): the certificate follows the name, and GnuTLS checks the
 * chain and the name (gnutls_session_set_verify_cert), so a wrong choice
 * fails the handshake rather than only a CHECK here.
 */
static void
sni_case(const char *priority, const char *sni, const struct hso_cert *want)
{
	struct pair p;
	struct hs_session_info si;
	const gnutls_datum_t *peer;
	unsigned n_peer = 0;

	pair_start(&p, priority, sni);
	if (!pair_handshake(&p)) {
		CHECK_MSG(0, "SNI %s (%s): handshake", sni, priority);
		pair_free(&p);
		return;
	}
	hs_conn_session_info(&p.conn, &si);
	CHECK_MSG(si.cert == want, "SNI %s (%s): certificate", sni, priority);
	CHECK_MSG(strcmp(si.sni, sni) == 0, "SNI %s: info says %s", sni, si.sni);
	CHECK_EQ(gnutls_session_get_verify_cert_status(p.s), 0);
	/* What the client saw: the chosen leaf, then the CA. */
	peer = gnutls_certificate_get_peers(p.s, &n_peer);
	CHECK_EQ(n_peer, 2);
	CHECK_MSG(peer != NULL && peer[0].size == want->chain[0].len &&
		  memcmp(peer[0].data, want->chain[0].der, peer[0].size) == 0,
		  "SNI %s: leaf on the wire", sni);
	CHECK(pair_exchange(&p, 1000));
	pair_free(&p);
}

static void
test_sni(void)
{
	struct pair p;
	int rc;

	for (int v = 0; v < 2; v++) {
		const char *prio = v ? P12 "+AES-128-GCM:+ECDHE-RSA:+ECDHE-ECDSA:+GROUP-ALL"
				     : P13_DEF ":+GROUP-SECP256R1";

		sni_case(prio, "rsa.test", rsa_cert);
		sni_case(prio, "other.test", other_cert);
		sni_case(prio, "ec.test", p256_cert);
		/* RFC 4343: DNS names compare case-insensitively. */
		sni_case(prio, "Other.TEST", other_cert);
	}

	/*
	 * A name no certificate carries: the default (rsa.test) is served, as
	 * RFC 6066 3 allows ("continue the handshake"), and the client's
	 * verifier refuses it for the name. The engine must not have fallen
	 * back to some other certificate.
	 */
	pair_start(&p, P13_DEF, "nobody.test");
	rc = pair_handshake_rc(&p);
	CHECK_MSG(rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR, "unknown SNI: %s",
		  gnutls_strerror(rc));
	CHECK(gnutls_session_get_verify_cert_status(p.s) & GNUTLS_CERT_UNEXPECTED_OWNER);
	CHECK(p.conn.cert == rsa_cert);
	pair_free(&p);
}

/*
 * ALPN (RFC 7301 3.2): the server picks by its own preference from the
 * client's list. The config says "http/1.1", "h2"; the client says "h2",
 * "http/1.1": the answer is "http/1.1".
 */
static void
test_alpn(void)
{
	for (int v = 0; v < 2; v++) {
		struct pair p;
		struct hs_session_info si;
		gnutls_datum_t sel = { NULL, 0 };

		pair_start_ex(&p, v ? P12_DEF : P13_DEF, "rsa.test",
			      &(struct copts){ .alpn = true });
		if (!pair_handshake(&p)) {
			CHECK_MSG(0, "ALPN v%d: handshake", v);
			pair_free(&p);
			continue;
		}
		CHECK_EQ(gnutls_alpn_get_selected_protocol(p.s, &sel), 0);
		CHECK_MSG(sel.size == 8 && memcmp(sel.data, "http/1.1", 8) == 0,
			  "ALPN v%d: client got %.*s", v, (int)sel.size, sel.data);
		hs_conn_session_info(&p.conn, &si);
		CHECK(si.alpn_len == 8 && memcmp(si.alpn, "http/1.1", 8) == 0);
		CHECK(pair_exchange(&p, 1000));
		pair_free(&p);
	}
	/* No ALPN offered: none in the answer, none in the info. */
	{
		struct pair p;
		struct hs_session_info si;
		gnutls_datum_t sel;

		pair_start(&p, P13_DEF, "rsa.test");
		CHECK(pair_handshake(&p));
		CHECK_EQ(gnutls_alpn_get_selected_protocol(p.s, &sel),
			 GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
		hs_conn_session_info(&p.conn, &si);
		CHECK_EQ(si.alpn_len, 0);
		pair_free(&p);
	}
}

/*
 * Every byte the client sends reaches the engine in its own
 * hs_conn_recv_ack(): the whole handshake, then 20 KB each way (records
 * larger than any one read, so the record layer reassembles too).
 */
static void
test_byte_at_a_time(void)
{
	static const struct {
		const char *prio;
		const char *sni;
		uint16_t version;
	} cases[] = {
		{ P13_DEF, "rsa.test", HS_TLS13 },
		/* HelloRetryRequest: two ClientHellos, each split. */
		{ P13 "+AES-256-GCM:+GROUP-SECP384R1:+GROUP-SECP256R1", "ec.test", HS_TLS13 },
		{ P12_DEF, "rsa.test", HS_TLS12 },
		{ P12 "+AES-128-GCM:+RSA", "rsa.test", HS_TLS12 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pair p;
		struct hs_session_info si;

		pair_start_ex(&p, cases[i].prio, cases[i].sni,
			      &(struct copts){ .byte_at_a_time = true, .alpn = true });
		if (!pair_handshake(&p)) {
			CHECK_MSG(0, "byte at a time %s: handshake", cases[i].prio);
			pair_free(&p);
			continue;
		}
		hs_conn_session_info(&p.conn, &si);
		CHECK_EQ(si.version, cases[i].version);
		CHECK(si.alpn_len == 8);
		CHECK_MSG(pair_exchange(&p, 20000), "byte at a time %s: data", cases[i].prio);
		if (si.version == HS_TLS13) {
			/* A KeyUpdate in pieces too, and the engine's answer. */
			CHECK_EQ(gnutls_session_key_update(p.s, GNUTLS_KU_PEER), 0);
			CHECK(pair_exchange(&p, 1000));
		}
		CHECK_EQ(gnutls_bye(p.s, GNUTLS_SHUT_WR), 0);
		CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_CLOSED);
		pair_free(&p);
	}
}

/*
 * KeyUpdate (RFC 8446 4.6.3). Client side: GnuTLS sends update_requested;
 * the engine "MUST send a KeyUpdate of its own with request_update set to
 * update_not_requested" before its next application data. GnuTLS fails the
 * connection if the answer itself requests an update (it asked first), so
 * the exchange also checks the flag. Server side: hs_conn_key_update(),
 * with and without asking the client to update too.
 */
/* Which application traffic secrets changed since @p c_ap / @p s_ap. */
static void
secrets_moved(const struct pair *p, uint8_t *c_ap, uint8_t *s_ap, bool c_moved,
	      bool s_moved, const char *what)
{
	CHECK_MSG((memcmp(c_ap, p->conn.c_ap, sizeof(p->conn.c_ap)) != 0) == c_moved,
		  "%s: client secret %s", what, c_moved ? "unchanged" : "changed");
	CHECK_MSG((memcmp(s_ap, p->conn.s_ap, sizeof(p->conn.s_ap)) != 0) == s_moved,
		  "%s: server secret %s", what, s_moved ? "unchanged" : "changed");
	memcpy(c_ap, p->conn.c_ap, sizeof(p->conn.c_ap));
	memcpy(s_ap, p->conn.s_ap, sizeof(p->conn.s_ap));
}

static void
test_key_update(void)
{
	struct pair p;
	uint8_t c_ap[HSO_HASH_MAX_LEN], s_ap[HSO_HASH_MAX_LEN];
	int rc = GNUTLS_E_AGAIN;

	pair_start(&p, P13_DEF, "rsa.test");
	CHECK(pair_handshake(&p));
	memcpy(c_ap, p.conn.c_ap, sizeof(c_ap));
	memcpy(s_ap, p.conn.s_ap, sizeof(s_ap));
	for (int i = 0; i < 10 && rc == GNUTLS_E_AGAIN; i++)
		rc = gnutls_session_key_update(p.s, GNUTLS_KU_PEER);
	CHECK_MSG(rc == 0, "key update: %s", gnutls_strerror(rc));
	/* The engine has answered; the client reads the answer with the data. */
	CHECK_MSG(p.in_len > 0, "no KeyUpdate from the engine");
	secrets_moved(&p, c_ap, s_ap, true, true, "client KeyUpdate(update_requested)");
	CHECK(pair_exchange(&p, 20000));
	CHECK_EQ(hs_conn_error(&p.conn), 0);
	/* Twice more: each update moves to the next secret again. */
	for (int k = 0; k < 2; k++) {
		rc = gnutls_session_key_update(p.s, GNUTLS_KU_PEER);
		CHECK_EQ(rc, 0);
		secrets_moved(&p, c_ap, s_ap, true, true, "again");
		CHECK(pair_exchange(&p, 1000));
	}
	/* update_not_requested: the engine follows and does not answer. */
	rc = gnutls_session_key_update(p.s, 0);
	CHECK_EQ(rc, 0);
	CHECK_EQ(p.in_len, 0);
	secrets_moved(&p, c_ap, s_ap, true, false, "client KeyUpdate(update_not_requested)");
	CHECK(pair_exchange(&p, 1000));

	/* The engine updates its write keys only. */
	CHECK_EQ(hs_conn_key_update(&p.conn, false), 0);
	CHECK(pair_exchange(&p, 20000));
	secrets_moved(&p, c_ap, s_ap, false, true, "server KeyUpdate(update_not_requested)");
	/*
	 * The engine asks the client to update too: GnuTLS answers before its
	 * next record, so both directions move to new keys.
	 */
	CHECK_EQ(hs_conn_key_update(&p.conn, true), 0);
	CHECK(pair_exchange(&p, 5000));
	CHECK(pair_exchange(&p, 5000));
	secrets_moved(&p, c_ap, s_ap, true, true, "server KeyUpdate(update_requested)");
	CHECK_EQ(hs_conn_error(&p.conn), 0);
	CHECK_EQ(gnutls_bye(p.s, GNUTLS_SHUT_WR), 0);
	CHECK_EQ(hs_conn_status(&p.conn), HS_STATUS_CLOSED);
	pair_free(&p);

	/* TLS 1.2 has no KeyUpdate. */
	pair_start(&p, P12_DEF, "rsa.test");
	CHECK(pair_handshake(&p));
	CHECK_EQ(hs_conn_key_update(&p.conn, false), -ENOTCONN);
	CHECK(pair_exchange(&p, 1000));
	pair_free(&p);
}

static struct hso_stek_set *
new_stek(void)
{
	struct hso_stek_config sc;

	hso_stek_config_default(&sc);
	return hso_stek_set_create(&sc, test_now_ms / 1000);
}

/*
 * A full handshake whose client session is kept in @p data (free with
 * gnutls_free). @p issued: tickets the worker issued meanwhile.
 * @return 1 when the handshake and the data went through.
 */
static int
full_session(const char *prio, const char *sni, const struct copts *o, gnutls_datum_t *data,
	     int *issued)
{
	struct pair p;
	uint64_t before = worker->stats.tickets_issued;
	int ok;

	data->data = NULL;
	data->size = 0;
	pair_start_ex(&p, prio, sni, o);
	ok = pair_handshake(&p);
	if (ok) {
		CHECK_EQ(pair_read_pending(&p), GNUTLS_E_AGAIN);
		CHECK(pair_exchange(&p, 100));
		ok = gnutls_session_get_data2(p.s, data) == 0;
		CHECK_EQ(gnutls_bye(p.s, GNUTLS_SHUT_WR), 0);
	}
	*issued = (int)(worker->stats.tickets_issued - before);
	pair_free(&p);
	return ok;
}

/*
 * Resume @p data with priority @p prio. @return 1 resumed, 0 full
 * handshake, -1 failed. Both sides must agree on whether it resumed. With
 * @p keep the pair stays open for the caller's checks.
 */
static int
resume(const char *prio, const char *sni, struct copts o, const gnutls_datum_t *data,
       struct pair *p, int keep)
{
	int reused = -1;

	o.session = data;
	if (pair_start_ex(p, prio, sni, &o) != 0) {
		CHECK_MSG(0, "resume: setup");
		pair_free(p);
		return -1;
	}
	/* Quiet on failure: some cases expect one, and check the alert. */
	if (pair_handshake_rc(p) == 0 && hs_conn_status(&p->conn) == HS_STATUS_ESTABLISHED) {
		reused = gnutls_session_is_resumed(p->s) != 0;
		CHECK_EQ(p->conn.resumed, reused);
		CHECK(pair_exchange(p, 1000));
		CHECK_EQ(pair_read_pending(p), GNUTLS_E_AGAIN);
	}
	if (!keep)
		pair_free(p);
	return reused;
}

static void
test_resumption13(void)
{
	struct hso_stek_set *stek = new_stek(), *other = new_stek();
	const struct copts none = { 0 };
	gnutls_datum_t sess;
	struct pair p;
	struct hs_session_info si;
	uint64_t before, rejected;
	int issued;

	cfg.stek = stek;
	/*
	 * The full handshake's NewSessionTicket: one per connection. GnuTLS
	 * marks a session it got a ticket for with SFLAGS_SESSION_TICKET.
	 */
	pair_start(&p, P13_DEF, "rsa.test");
	before = worker->stats.tickets_issued;
	CHECK(pair_handshake(&p));
	CHECK_EQ(worker->stats.tickets_issued - before, 1);
	CHECK_EQ(pair_read_pending(&p), GNUTLS_E_AGAIN);
	CHECK(gnutls_session_get_flags(p.s) & GNUTLS_SFLAGS_SESSION_TICKET);
	pair_free(&p);

	if (!full_session(P13_DEF, "rsa.test", &none, &sess, &issued)) {
		CHECK_MSG(0, "TLS 1.3: no session");
		goto out;
	}
	CHECK_EQ(issued, 1);

	/*
	 * psk_dhe_ke (GnuTLS offers psk_dhe_ke then psk_ke when its priority
	 * names no PSK key exchange): resumed with a fresh ECDHE, no
	 * Certificate (RFC 8446 2.2), and a new ticket.
	 */
	before = worker->stats.tickets_issued;
	CHECK_EQ(resume(P13_DEF, "rsa.test", none, &sess, &p, 1), 1);
	CHECK(p.conn.hx->psk_dhe);
	hs_conn_session_info(&p.conn, &si);
	CHECK_EQ(si.group, HS_GROUP_X25519);
	CHECK_EQ(worker->stats.tickets_issued - before, 1);
	/*
	 * That new ticket comes from a resumed handshake's
	 * resumption_master_secret (RFC 8446 7.1: its transcript has no
	 * Certificate): it must resume too, and so on down the chain.
	 */
	for (int k = 0; k < 2; k++) {
		gnutls_datum_t next;

		CHECK_EQ(gnutls_session_get_data2(p.s, &next), 0);
		/* A new ticket, not the old one kept. */
		CHECK(next.size != sess.size || memcmp(next.data, sess.data, sess.size) != 0);
		pair_free(&p);
		CHECK_MSG(resume(P13_DEF, "rsa.test", none, &next, &p, 1) == 1,
			  "ticket from a resumed session, generation %d", k + 2);
		gnutls_free(next.data);
	}
	/* Server-initiated close_notify (RFC 8446 6.1): the client reads EOF. */
	CHECK_EQ(hs_conn_close(&p.conn), 0);
	drain(&p);
	CHECK_EQ(pair_read_pending(&p), 0);
	pair_free(&p);

	/* The same ticket again, hello fed one byte at a time: binder over pieces. */
	CHECK_EQ(resume(P13_DEF, "rsa.test", (struct copts){ .byte_at_a_time = true }, &sess,
			&p, 0), 1);

	/*
	 * After a HelloRetryRequest: the client's only share is P-384 (GnuTLS
	 * sends one share per key type), so the engine asks for P-256, and
	 * the second hello carries the PSK again with binders over the new
	 * transcript (RFC 8446 4.1.4, 4.2.11.2).
	 */
	CHECK_EQ(resume(P13 "+AES-128-GCM:+GROUP-SECP384R1:+GROUP-SECP256R1", "rsa.test", none,
			&sess, &p, 1), 1);
	CHECK(p.conn.hx->hrr_sent);
	CHECK(p.conn.hx->psk_dhe);
	pair_free(&p);

	/*
	 * psk_ke only: "+PSK" as the one key exchange makes GnuTLS offer
	 * psk_key_exchange_modes = { psk_ke }. RFC 8446 4.2.9: then "the
	 * server MUST NOT supply a "key_share" values", and the handshake
	 * has no (EC)DHE.
	 */
	CHECK_EQ(resume(P13_DEF ":+PSK", "rsa.test", none, &sess, &p, 1), 1);
	CHECK(!p.conn.hx->psk_dhe);
	hs_conn_session_info(&p.conn, &si);
	CHECK_EQ(si.group, 0);
	pair_free(&p);
	/* psk_ke needs no share: one the engine cannot use asks for no retry. */
	CHECK_EQ(resume(P13 "+AES-128-GCM:+GROUP-SECP384R1:+PSK", "rsa.test", none, &sess, &p, 1),
		 1);
	CHECK(!p.conn.hx->psk_dhe);
	CHECK(!p.conn.hx->hrr_sent);
	pair_free(&p);
	/*
	 * ... with psk_ke refused by policy: "Servers MUST NOT select a key
	 * exchange mode that is not listed by the client", and the only one
	 * listed is not acceptable: a full handshake on the client's share.
	 */
	cfg.psk_ke = false;
	CHECK_EQ(resume(P13_DEF ":+PSK", "rsa.test", none, &sess, &p, 1), 0);
	CHECK(p.conn.cert == rsa_cert);
	pair_free(&p);
	cfg.psk_ke = true;

	/* Both modes offered, psk_dhe_ke first: the engine picks psk_dhe_ke. */
	CHECK_EQ(resume(P13_DEF ":+ECDHE-PSK:+PSK", "rsa.test", none, &sess, &p, 1), 1);
	CHECK(p.conn.hx->psk_dhe);
	pair_free(&p);

	/*
	 * The full handshakes below must be for the right reason: the client
	 * did offer the ticket and the engine turned it down (the counter),
	 * not a client that kept it back.
	 */
	/* Another SNI (RFC 8446 4.2.11: "compatible PSK"): full handshake. */
	rejected = worker->stats.tickets_rejected;
	CHECK_EQ(resume(P13_DEF, "other.test", none, &sess, &p, 1), 0);
	CHECK(p.conn.cert == other_cert);
	CHECK_EQ(worker->stats.tickets_rejected - rejected, 1);
	pair_free(&p);

	/* Keys rotated away: unknown ticket, full handshake. */
	cfg.stek = other;
	rejected = worker->stats.tickets_rejected;
	CHECK_EQ(resume(P13_DEF, "rsa.test", none, &sess, &p, 0), 0);
	CHECK_EQ(worker->stats.tickets_rejected - rejected, 1);
	cfg.stek = stek;

	/* RFC 8446 4.6.1: not to be used past ticket_lifetime. */
	test_now_ms += (uint64_t)cfg.ticket_lifetime * 1000u + 1000u;
	rejected = worker->stats.tickets_rejected;
	CHECK_EQ(resume(P13_DEF, "rsa.test", none, &sess, &p, 0), 0);
	CHECK_EQ(worker->stats.tickets_rejected - rejected, 1);
	test_now_ms -= (uint64_t)cfg.ticket_lifetime * 1000u + 1000u;

	/* Tickets switched off meanwhile: the offered PSK is ignored. */
	cfg.stek = NULL;
	CHECK_EQ(resume(P13_DEF, "rsa.test", none, &sess, &p, 0), 0);
	cfg.stek = stek;

	/* Still good after all that. */
	CHECK_EQ(resume(P13_DEF, "rsa.test", none, &sess, &p, 0), 1);
	gnutls_free(sess.data);

	/*
	 * A SHA-384 suite: 48-byte PSK and binder. RFC 8446 4.2.11: the PSK
	 * goes with its hash, so the same ticket under a SHA-256 suite is not
	 * offered (GnuTLS) or not taken (engine).
	 */
	if (full_session(P13 "+AES-256-GCM:+GROUP-X25519", "rsa.test", &none, &sess, &issued)) {
		CHECK_EQ(issued, 1);
		CHECK_EQ(resume(P13 "+AES-256-GCM:+GROUP-X25519", "rsa.test", none, &sess, &p, 1),
			 1);
		CHECK_EQ(p.conn.suite, 0x1302);
		pair_free(&p);
		CHECK_EQ(resume(P13_DEF, "rsa.test", none, &sess, &p, 0), 0);
		gnutls_free(sess.data);
	}
	/*
	 * Another suite with the same hash: RFC 8446 4.6.1, a ticket may be
	 * used "with a cipher suite that has the same hash" (AES-128-GCM ->
	 * ChaCha20-Poly1305, both SHA-256).
	 */
	if (full_session(P13_DEF, "rsa.test", &none, &sess, &issued)) {
		CHECK_EQ(resume(P13 "+CHACHA20-POLY1305:+GROUP-X25519", "rsa.test", none, &sess,
				&p, 1), 1);
		CHECK_EQ(p.conn.suite, 0x1303);
		pair_free(&p);
		gnutls_free(sess.data);
	}

	/* Tickets off: none issued, and nothing to resume. */
	cfg.stek = NULL;
	if (full_session(P13_DEF, "rsa.test", &none, &sess, &issued)) {
		CHECK_EQ(issued, 0);
		CHECK_EQ(resume(P13_DEF, "rsa.test", none, &sess, &p, 0), 0);
		gnutls_free(sess.data);
	}
out:
	cfg.stek = NULL;
	hso_stek_set_free(stek);
	hso_stek_set_free(other);
}

static void
test_resumption12(void)
{
	struct hso_stek_set *stek = new_stek();
	const struct copts none = { 0 }, no_tickets = { .flags = GNUTLS_NO_TICKETS };
	gnutls_datum_t sess, id;
	struct pair p;
	int issued;
	uint64_t resumed_before = worker->stats.resumed, rejected;

	cfg.stek = stek;
	/* By ticket (RFC 5077): issued in the full handshake, then resumed. */
	if (full_session(P12_DEF, "rsa.test", &none, &sess, &issued)) {
		CHECK_EQ(issued, 1);
		CHECK_EQ(resume(P12_DEF, "rsa.test", none, &sess, &p, 1), 1);
		CHECK_EQ(p.conn.suite, 0xc02f);
		pair_free(&p);
		/*
		 * RFC 7301 3.1: ALPN "does not establish properties of the
		 * session, only of the connection": a resumed handshake still
		 * answers the new hello's list.
		 */
		{
			gnutls_datum_t sel = { NULL, 0 };

			CHECK_EQ(resume(P12_DEF, "rsa.test", (struct copts){ .alpn = true }, &sess,
					&p, 1), 1);
			CHECK_EQ(gnutls_alpn_get_selected_protocol(p.s, &sel), 0);
			CHECK(sel.size == 8 && memcmp(sel.data, "http/1.1", 8) == 0);
			pair_free(&p);
		}
		/*
		 * RFC 6066 3: a server "MUST NOT accept the request to resume
		 * the session if the server_name extension contains a different
		 * name. Instead, it proceeds with a full handshake".
		 */
		rejected = worker->stats.tickets_rejected;
		CHECK_EQ(resume(P12_DEF, "other.test", none, &sess, &p, 1), 0);
		CHECK_EQ(worker->stats.tickets_rejected - rejected, 1);
		CHECK(p.conn.cert == other_cert);
		pair_free(&p);
		/* Keys rotated away: full handshake. */
		{
			struct hso_stek_set *other = new_stek();

			cfg.stek = other;
			rejected = worker->stats.tickets_rejected;
			CHECK_EQ(resume(P12_DEF, "rsa.test", none, &sess, &p, 0), 0);
			CHECK_EQ(worker->stats.tickets_rejected - rejected, 1);
			cfg.stek = stek;
			hso_stek_set_free(other);
		}
		/* Tickets off: the ticket is not even opened, full handshake. */
		cfg.stek = NULL;
		CHECK_EQ(resume(P12_DEF, "rsa.test", none, &sess, &p, 0), 0);
		cfg.stek = stek;
		/* Past the ticket's lifetime: full handshake. */
		test_now_ms += (uint64_t)cfg.ticket_lifetime * 1000u + 1000u;
		rejected = worker->stats.tickets_rejected;
		CHECK_EQ(resume(P12_DEF, "rsa.test", none, &sess, &p, 0), 0);
		CHECK_EQ(worker->stats.tickets_rejected - rejected, 1);
		test_now_ms -= (uint64_t)cfg.ticket_lifetime * 1000u + 1000u;
		/*
		 * RFC 5746 3.6/3.4: the abbreviated handshake's ServerHello
		 * carries renegotiation_info too; a client that insists on it
		 * (%SAFE_RENEGOTIATION) aborts otherwise.
		 */
		CHECK_EQ(resume(P12_DEF ":%SAFE_RENEGOTIATION", "rsa.test", none, &sess, &p, 0),
			 1);
		/*
		 * RFC 7627 5.3: the session used extended_master_secret and the
		 * new ClientHello does not offer it (GnuTLS 3.7 still offers
		 * the session): the server "MUST abort the abbreviated
		 * handshake", handshake_failure.
		 */
		CHECK_EQ(resume(P12_DEF ":%NO_SESSION_HASH", "rsa.test", none, &sess, &p, 1), -1);
		CHECK_EQ(hs_conn_error(&p.conn), HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE));
		CHECK_EQ(gnutls_alert_get(p.s), GNUTLS_A_HANDSHAKE_FAILURE);
		pair_free(&p);
		gnutls_free(sess.data);
	} else {
		CHECK_MSG(0, "TLS 1.2 ticket: no session");
	}

	/*
	 * By session id: the client offers no ticket extension (RFC 5077 3.1:
	 * then the server must not send one), the engine hands out a session
	 * id and keeps the session in its worker's cache.
	 */
	for (int rsa = 0; rsa <= 1; rsa++) {
		const char *prio = rsa ? P12 "+AES-256-GCM:+RSA" : P12_DEF;

		if (!full_session(prio, "rsa.test", &no_tickets, &sess, &issued)) {
			CHECK_MSG(0, "TLS 1.2 session id: no session");
			continue;
		}
		CHECK_EQ(issued, 0);
		CHECK_EQ(resume(prio, "rsa.test", no_tickets, &sess, &p, 1), 1);
		/* RFC 5246 7.4.1.3: resuming, the server echoes the session id. */
		CHECK_EQ(gnutls_session_get_id2(p.s, &id), 0);
		CHECK_EQ(id.size, 32);
		CHECK(id.size == p.conn.hx->session_id_len &&
		      memcmp(id.data, p.conn.hx->session_id, id.size) == 0);
		CHECK_EQ(p.conn.suite, rsa ? 0x009d : 0xc02f);
		pair_free(&p);
		/* The abbreviated handshake fed one byte at a time. */
		{
			struct copts bytes = no_tickets;

			bytes.byte_at_a_time = true;
			CHECK_EQ(resume(prio, "rsa.test", bytes, &sess, &p, 0), 1);
		}
		/* RFC 6066 3 again, for a cached session. */
		rejected = worker->stats.tickets_rejected;
		CHECK_EQ(resume(prio, "other.test", no_tickets, &sess, &p, 0), 0);
		CHECK_EQ(worker->stats.tickets_rejected - rejected, 1);
		/* A cached session expires with the ticket lifetime too. */
		test_now_ms += (uint64_t)cfg.ticket_lifetime * 1000u + 1000u;
		CHECK_EQ(resume(prio, "rsa.test", no_tickets, &sess, &p, 0), 0);
		test_now_ms -= (uint64_t)cfg.ticket_lifetime * 1000u + 1000u;
		gnutls_free(sess.data);
	}
	/* The same with the server's tickets off altogether. */
	cfg.stek = NULL;
	if (full_session(P12_DEF, "rsa.test", &none, &sess, &issued)) {
		CHECK_EQ(issued, 0);
		CHECK_EQ(resume(P12_DEF, "rsa.test", none, &sess, &p, 0), 1);
		gnutls_free(sess.data);
	}
	CHECK(worker->stats.resumed - resumed_before >= 5);
	hso_stek_set_free(stek);
}

/* A leaf for @p key signed by the CA, chained leaf + CA, loaded. */
static struct hso_cert *
load_leaf(const char *dir, const char *tag, EVP_PKEY *key, const char *name, X509 *ca,
	  EVP_PKEY *ca_key)
{
	char san[80], fn[80], err[256];
	X509 *leaf;
	char *cp, *kp;
	struct hso_cert *c;

	snprintf(san, sizeof(san), "DNS:%s", name);
	leaf = tk_cert(key, name, san, ca, ca_key, 0);
	/* Chains leaf + CA, so the Certificate message carries two certificates. */
	snprintf(fn, sizeof(fn), "%s.pem", tag);
	cp = tk_write(dir, fn, (X509 *[]){ leaf, ca }, 2, NULL);
	snprintf(fn, sizeof(fn), "%s.key", tag);
	kp = tk_write(dir, fn, NULL, 0, key);
	c = hso_cert_load(cp, kp, err, sizeof(err));
	if (c == NULL)
		fprintf(stderr, "cert load %s: %s\n", tag, err);
	X509_free(leaf);
	free(cp);
	free(kp);
	return c;
}

int
main(void)
{
	char dir[] = "/tmp/hso-gnutls-XXXXXX";
	EVP_PKEY *ca_key, *k1, *k2, *k3;
	X509 *ca;

	if (mkdtemp(dir) == NULL)
		return 1;
	ca_key = tk_keygen("EC", "P-256", 0);
	ca = tk_cert(ca_key, "hso test CA", NULL, NULL, NULL, 1);
	ca_path = tk_write(dir, "ca.pem", &ca, 1, NULL);
	k1 = tk_keygen("RSA", NULL, 2048);
	k2 = tk_keygen("EC", "P-256", 0);
	k3 = tk_keygen("RSA", NULL, 2048);
	rsa_cert = load_leaf(dir, "rsa", k1, "rsa.test", ca, ca_key);
	p256_cert = load_leaf(dir, "ec", k2, "ec.test", ca, ca_key);
	/* Another RSA key: a wrong pick would also fail CertificateVerify. */
	other_cert = load_leaf(dir, "other", k3, "other.test", ca, ca_key);
	if (rsa_cert == NULL || p256_cert == NULL || other_cert == NULL)
		return 1;
	gnutls_global_init();
	CHECK_EQ(hs_config_init(&cfg), 0);
	cfg.now_ms = test_clock;
	memcpy(cfg.nego.alpn, "\x08http/1.1\x02h2", 12);
	cfg.nego.alpn_len = 12;
	CHECK_EQ(hs_config_add_cert(&cfg, rsa_cert, true), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, p256_cert, false), 0);
	CHECK_EQ(hs_config_add_cert(&cfg, other_cert, false), 0);
	worker = hs_worker_create(&cfg, 64);
	if (worker == NULL)
		return 1;

	test_matrix();
	test_hrr();
	test_rehandshake_refused();
	test_sni();
	test_alpn();
	test_byte_at_a_time();
	test_key_update();
	test_resumption13();
	test_resumption12();

	printf("worker: %llu completed, %llu failed, %llu resumed, %llu tickets issued, "
	       "%llu rejected\n",
	       (unsigned long long)worker->stats.handshakes_completed,
	       (unsigned long long)worker->stats.handshakes_failed,
	       (unsigned long long)worker->stats.resumed,
	       (unsigned long long)worker->stats.tickets_issued,
	       (unsigned long long)worker->stats.tickets_rejected);
	hs_worker_free(worker);
	hs_config_wipe(&cfg);
	hso_cert_free(rsa_cert);
	hso_cert_free(p256_cert);
	hso_cert_free(other_cert);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
	free(ca_path);
	tk_rmdir(dir);
	gnutls_global_deinit();
	return check_result("engine_gnutls");
}
