/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Whole server handshakes in memory, one process, one core: hso's engine
 * next to OpenSSL's own server (TLS_server_method), both driven by the same
 * OpenSSL clients, and next to the asymmetric floor of the same case.
 *
 *  handshake/<case>_vs_openssl/N
 *	N connections in flight. Each round every client's flight goes in,
 *	then hso runs ONE hs_worker_run() for all of them (the batched model)
 *	and every output goes back; OpenSSL's server gets the same arrival
 *	pattern and runs SSL_do_handshake() per connection. The floor (the
 *	asymmetric crypto the case cannot avoid, as asym_floor/<case> in
 *	bench_asym.c) runs N times in the same iteration.
 *  handshake/<case>_batched_vs_single/N
 *	hso alone: N connections per hs_worker_run() against one at a time,
 *	what batching buys.
 *  handshake/tls12_resumed_ticket_vs_openssl/N,
 *  handshake/tls13_resumed_psk_dhe_vs_openssl/N
 *	The same comparison for resumed handshakes: every client offers a
 *	session its server issued once before the clock (a TLS 1.2 ticket,
 *	RFC 5077; a TLS 1.3 ticket with psk_dhe_ke), both servers seal tickets
 *	with their own keys, each issues one new ticket per TLS 1.3 handshake
 *	(OpenSSL: num_tickets 1) and none on a TLS 1.2 resumption. The floor
 *	is the X25519 pair + derive for PSK-DHE, nothing for the 1.2 ticket
 *	(no floor counters then).
 *  handshake/client_load_vs_server/<case>/N
 *	hso's client engine in load mode against hso's server, both in this
 *	process, N connections per hs_worker_run() on each side: the client's
 *	time per handshake over the server's ("ratio"; the target for hso-gen
 *	is <= 0.5, so one generator core saturates one hsod core).
 *
 * Only server work is timed, with the clock around each server call:
 * hso's recv_buf/recv_ack, hs_worker_run and send_buf/send_ack (with the
 * copies into and out of its buffer); OpenSSL's BIO_write into the server's
 * read BIO, SSL_do_handshake and BIO_read from its write BIO. Client work,
 * and the clients' SSL objects, are outside. Connection setup and teardown
 * (hs_conn_init/reset vs SSL_new/SSL_free) are timed apart and reported
 * separately, not in the ratio.
 *
 * Except in the resumed cases, both servers do exactly one full handshake per connection: no tickets
 * (stek NULL; SSL_OP_NO_TICKET and zero TLS 1.3 tickets), no session cache
 * on either side, same certificate, suite, group and signature scheme,
 * checked on every handshake. hso's ECDHE key pool is never refilled, so
 * every key pair is generated inside hs_worker_run() and timed.
 *
 * The machine is shared and noisy: the per-handshake counters are medians
 * over iterations and each ratio the median of the per-iteration ratios,
 * both sides measured back to back, in alternating order. The *_mean
 * counters are the whole-run means, for comparison.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* OpenSSL headers before crypto.h: intel-ipsec-mb.h defines SHA1 etc. */
#include "../tests/test_asym_keys.h"
#include "bench.h"
#include "handshake.h"
#include "hs_client.h"

#define NCONN_MAX 256
/* A full handshake takes 2 (TLS 1.3) or 3 (TLS 1.2) rounds; more is a hang. */
#define MAX_ROUNDS 8
/* One flight in either direction fits: a few KB of certificate and records. */
#define XFER_SIZE 65536

enum { KEY_RSA2048, KEY_P256, KEY_N };

struct hcase {
	const char *label;
	int version;            /* TLS1_2_VERSION / TLS1_3_VERSION */
	const char *ciphers;    /* OpenSSL name, both sides */
	uint16_t suite;
	const char *groups;     /* both OpenSSL sides; NULL: default */
	uint16_t group;         /* what must be negotiated; 0: RSA key exchange */
	const char *sigalgs;    /* both OpenSSL sides; NULL: default */
	uint16_t sigalg;        /* hso's only scheme; 0: nothing signed */
	int sig_nid;            /* the server's signature type the client sees */
	int key;
	bool resumed;           /* clients offer a session (ticket) */
};

enum {
	C_TLS13_ECDSA, C_TLS13_RSA_PSS, C_TLS12_ECDHE_RSA, C_TLS12_RSA_KX,
	C_TLS12_ECDHE_ECDSA, C_TLS12_RESUMED_TICKET, C_TLS13_RESUMED_PSK_DHE, C_N
};

static const struct hcase hcases[C_N] = {
	[C_TLS13_ECDSA] = {
		"TLS1.3 AES128-GCM X25519 ECDSA-P256", TLS1_3_VERSION,
		"TLS_AES_128_GCM_SHA256", HS_TLS_AES_128_GCM_SHA256,
		"X25519", HS_GROUP_X25519, "ECDSA+SHA256",
		HS_SIG_ECDSA_SECP256R1_SHA256, EVP_PKEY_EC, KEY_P256,
	},
	[C_TLS13_RSA_PSS] = {
		"TLS1.3 AES128-GCM X25519 RSA2048-PSS", TLS1_3_VERSION,
		"TLS_AES_128_GCM_SHA256", HS_TLS_AES_128_GCM_SHA256,
		"X25519", HS_GROUP_X25519, "RSA-PSS+SHA256",
		HS_SIG_RSA_PSS_RSAE_SHA256, EVP_PKEY_RSA_PSS, KEY_RSA2048,
	},
	/* PKCS#1 v1.5, as asym_floor/tls12_ecdhe_rsa signs. */
	[C_TLS12_ECDHE_RSA] = {
		"TLS1.2 ECDHE-RSA-AES128-GCM X25519 RSA2048-PKCS1", TLS1_2_VERSION,
		"ECDHE-RSA-AES128-GCM-SHA256", HS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		"X25519", HS_GROUP_X25519, "RSA+SHA256",
		HS_SIG_RSA_PKCS1_SHA256, EVP_PKEY_RSA, KEY_RSA2048,
	},
	[C_TLS12_RSA_KX] = {
		"TLS1.2 AES128-GCM-SHA256 RSA2048 key exchange", TLS1_2_VERSION,
		"AES128-GCM-SHA256", HS_TLS_RSA_WITH_AES_128_GCM_SHA256,
		NULL, 0, NULL, 0, 0, KEY_RSA2048,
	},
	/* The client must list P-256 for a P-256 cert (RFC 8422 5.1). */
	[C_TLS12_ECDHE_ECDSA] = {
		"TLS1.2 ECDHE-ECDSA-AES128-GCM X25519 ECDSA-P256", TLS1_2_VERSION,
		"ECDHE-ECDSA-AES128-GCM-SHA256", HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		"X25519:P-256", HS_GROUP_X25519, "ECDSA+SHA256",
		HS_SIG_ECDSA_SECP256R1_SHA256, EVP_PKEY_EC, KEY_P256,
	},
	/* Resumed: nothing signed; the session's suite again. */
	[C_TLS12_RESUMED_TICKET] = {
		"TLS1.2 ECDHE-ECDSA-AES128-GCM resumed by ticket", TLS1_2_VERSION,
		"ECDHE-ECDSA-AES128-GCM-SHA256", HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		"X25519:P-256", 0, "ECDSA+SHA256", 0, 0, KEY_P256, true,
	},
	[C_TLS13_RESUMED_PSK_DHE] = {
		"TLS1.3 AES128-GCM X25519 resumed PSK-DHE", TLS1_3_VERSION,
		"TLS_AES_128_GCM_SHA256", HS_TLS_AES_128_GCM_SHA256,
		"X25519", HS_GROUP_X25519, "ECDSA+SHA256", 0, 0, KEY_P256, true,
	},
};

/* Keys and certs (shared by every case), created on first use. */
static struct {
	bool ready;
	EVP_PKEY *pkey[KEY_N];
	X509 *x509[KEY_N];
	struct hso_cert *cert[KEY_N];
	struct hso_asym_ctx *floor_actx;   /* the floor's own, not the worker's */
	uint8_t x25519_peer[32];           /* a client share for the floor */
	uint8_t rsa_ct[256];               /* a good premaster ciphertext */
	size_t rsa_ct_len;
	/* Connection memory, reused by every case (one benchmark at a time). */
	struct hs_conn conns[NCONN_MAX];
	uint8_t *conn_buf;
	uint8_t xfer[XFER_SIZE];
} g;

/* Per case: both servers' configurations and the client context. */
struct hstate {
	const struct hcase *hc;
	struct hs_config cfg;
	struct hs_worker *w;
	SSL_CTX *srv_ctx;
	SSL_CTX *cli_ctx;
	bool warm;
	/* Resumed cases: the ticket keys, and a session from each server. */
	struct hso_stek_set *stek;
	SSL_SESSION *sess_hso, *sess_ossl;
};

static struct hstate hst[C_N];

static int prime_sessions(struct hso_bench *b, struct hstate *st);
static int hso_feed(struct hs_conn *c, const uint8_t *src, size_t n);

/* One client, and the OpenSSL server it talks to in the OpenSSL runs. */
struct peer {
	SSL *cli;
	BIO *cli_in, *cli_out;
	bool cli_done;
	SSL *srv;
	BIO *srv_in, *srv_out;
	bool srv_done;
};

static struct peer peers[NCONN_MAX];

/* Time accumulated around server calls, and what the runs did. */
struct tally {
	uint64_t srv_ns;      /* server handshake work */
	uint64_t setup_ns;    /* per-connection setup and teardown */
	uint64_t hs;          /* handshakes completed on both sides */
};

static char errmsg[512];

static const char *
fail_msg(const struct hcase *hc, const char *side, int i, const char *what, long v)
{
	unsigned long e = ERR_peek_error();

	snprintf(errmsg, sizeof(errmsg), "%s: %s conn %d: %s (%ld)%s%s", hc->label,
		 side, i, what, v, e ? "; OpenSSL: " : "",
		 e ? ERR_error_string(e, NULL) : "");
	ERR_clear_error();
	return errmsg;
}

static int
g_init(struct hso_bench *b)
{
	char dir[] = "/tmp/hso-bench-hs-XXXXXX", err[256], *cp, *kp;
	static const char *const tag[KEY_N] = { "rsa2048", "p256" };
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *pc;
	size_t l;
	FILE *f;

	if (g.ready)
		return 0;
	g.pkey[KEY_RSA2048] = tk_keygen("RSA", NULL, 2048);
	g.pkey[KEY_P256] = tk_keygen("EC", "P-256", 0);
	g.conn_buf = malloc((size_t)NCONN_MAX * HS_CONN_BUF_SIZE);
	/* Fault the pages in now, not in the first timed hs_conn_init(). */
	if (g.conn_buf != NULL)
		memset(g.conn_buf, 0, (size_t)NCONN_MAX * HS_CONN_BUF_SIZE);
	g.floor_actx = hso_asym_ctx_create(0);
	if (g.pkey[0] == NULL || g.pkey[1] == NULL || g.conn_buf == NULL ||
	    g.floor_actx == NULL || mkdtemp(dir) == NULL) {
		hso_bench_fail(b, "setup: keys, memory or temp dir");
		return -1;
	}
	/* The same PEM files feed hso_cert_load() and OpenSSL's server. */
	for (int k = 0; k < KEY_N; k++) {
		cp = tk_pair(dir, tag[k], g.pkey[k], "DNS:bench.test", &kp);
		g.cert[k] = hso_cert_load(cp, kp, err, sizeof(err));
		f = fopen(cp, "r");
		if (f != NULL) {
			g.x509[k] = PEM_read_X509(f, NULL, NULL, NULL);
			fclose(f);
		}
		free(cp);
		free(kp);
		if (g.cert[k] == NULL || g.x509[k] == NULL) {
			tk_rmdir(dir);
			hso_bench_fail(b, g.cert[k] == NULL ? err : "setup: reading the cert back");
			return -1;
		}
	}
	tk_rmdir(dir);

	/* The floor's inputs: a client X25519 share, an RSA premaster. */
	peer = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	l = sizeof(g.x25519_peer);
	if (peer == NULL ||
	    EVP_PKEY_get_raw_public_key(peer, g.x25519_peer, &l) != 1 || l != 32) {
		EVP_PKEY_free(peer);
		hso_bench_fail(b, "setup: X25519 peer share");
		return -1;
	}
	EVP_PKEY_free(peer);
	{
		uint8_t pms[HSO_TLS12_PREMASTER_LEN] = { 3, 3 };

		RAND_bytes(pms + 2, sizeof(pms) - 2);
		g.rsa_ct_len = sizeof(g.rsa_ct);
		pc = EVP_PKEY_CTX_new_from_pkey(NULL, g.pkey[KEY_RSA2048], NULL);
		if (pc == NULL || EVP_PKEY_encrypt_init(pc) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_encrypt(pc, g.rsa_ct, &g.rsa_ct_len, pms, sizeof(pms)) != 1) {
			EVP_PKEY_CTX_free(pc);
			hso_bench_fail(b, "setup: RSA encrypt");
			return -1;
		}
		EVP_PKEY_CTX_free(pc);
	}
	g.ready = true;
	return 0;
}

/* Version, suite, group and scheme forced alike on an OpenSSL ctx. */
static int
ctx_force(SSL_CTX *ctx, const struct hcase *hc)
{
	SSL_CTX_set_min_proto_version(ctx, hc->version);
	SSL_CTX_set_max_proto_version(ctx, hc->version);
	/*
	 * No tickets either way: one full handshake each, like hso's. Resumed
	 * cases: stateless tickets, no session cache on the server either.
	 */
	if (!hc->resumed)
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (hc->version == TLS1_3_VERSION) {
		if (!SSL_CTX_set_ciphersuites(ctx, hc->ciphers))
			return -1;
	} else if (!SSL_CTX_set_cipher_list(ctx, hc->ciphers)) {
		return -1;
	}
	if ((hc->groups != NULL && !SSL_CTX_set1_groups_list(ctx, hc->groups)) ||
	    (hc->sigalgs != NULL && !SSL_CTX_set1_sigalgs_list(ctx, hc->sigalgs)))
		return -1;
	return 0;
}

static struct hstate *
hstate_get(struct hso_bench *b, int ci)
{
	struct hstate *st = &hst[ci];
	const struct hcase *hc = &hcases[ci];
	struct hs_nego_policy *np = &st->cfg.nego;

	if (g_init(b) < 0)
		return NULL;
	if (st->w != NULL)
		return st;
	st->hc = hc;

	if (hs_config_init(&st->cfg) != 0 ||
	    hs_config_add_cert(&st->cfg, g.cert[hc->key], true) != 0) {
		hso_bench_fail(b, "hs_config_init / hs_config_add_cert failed");
		return NULL;
	}
	st->cfg.stek = NULL;
	st->cfg.session_cache_size = 0;
	if (hc->resumed) {
		struct hso_stek_config sc;

		hso_stek_config_default(&sc);
		st->stek = hso_stek_set_create(&sc, (uint64_t)time(NULL));
		st->cfg.stek = st->stek;
		/* OpenSSL's client offers psk_dhe_ke only. */
		st->cfg.psk_ke = false;
	}
	np->tls12 = hc->version == TLS1_2_VERSION;
	np->tls13 = hc->version == TLS1_3_VERSION;
	np->suites[0] = hc->suite;
	np->n_suites = 1;
	if (hc->group != 0) {
		np->groups[0] = hc->group;
		np->n_groups = 1;
	}
	if (hc->sigalg != 0) {
		np->sigalgs[0] = hc->sigalg;
		np->n_sigalgs = 1;
	}
	if (hc->resumed) {
		/* Only the priming handshake signs: ECDSA P-256 with SHA-256. */
		np->sigalgs[0] = HS_SIG_ECDSA_SECP256R1_SHA256;
		np->n_sigalgs = 1;
	}
	st->w = hs_worker_create(&st->cfg, NCONN_MAX);
	if (st->w == NULL) {
		snprintf(errmsg, sizeof(errmsg), "hs_worker_create: %s", strerror(errno));
		hso_bench_fail(b, errmsg);
		return NULL;
	}

	st->srv_ctx = SSL_CTX_new(TLS_server_method());
	st->cli_ctx = SSL_CTX_new(TLS_client_method());
	if (st->srv_ctx == NULL || st->cli_ctx == NULL ||
	    ctx_force(st->srv_ctx, hc) < 0 || ctx_force(st->cli_ctx, hc) < 0 ||
	    SSL_CTX_use_certificate(st->srv_ctx, g.x509[hc->key]) != 1 ||
	    SSL_CTX_use_PrivateKey(st->srv_ctx, g.pkey[hc->key]) != 1 ||
	    SSL_CTX_set_num_tickets(st->srv_ctx, hc->resumed ? 1 : 0) != 1) {
		hso_bench_fail(b, fail_msg(hc, "setup", -1, "SSL_CTX", 0));
		return NULL;
	}
	SSL_CTX_set_verify(st->cli_ctx, SSL_VERIFY_NONE, NULL);
	/*
	 * A deployed server loads its chain; without one, libssl would try to
	 * build it from the trust store on every handshake. Spare it that.
	 */
	SSL_CTX_set_mode(st->srv_ctx, SSL_MODE_NO_AUTO_CHAIN);
	if (hc->resumed && prime_sessions(b, st) < 0)
		return NULL;
	return st;
}

/* ---- sessions to resume (resumed cases, before any clock) ---- */

/*
 * One full handshake of one OpenSSL client against hso's server (@p srv
 * NULL) or OpenSSL's, then the client reads what follows (TLS 1.3 tickets):
 * the session it keeps, or NULL.
 */
static SSL_SESSION *
prime_one(struct hstate *st, SSL *srv)
{
	SSL *cli = SSL_new(st->cli_ctx);
	BIO *ci = BIO_new(BIO_s_mem()), *co = BIO_new(BIO_s_mem());
	struct hs_conn *c = &g.conns[0];
	SSL_SESSION *sess = NULL;
	uint8_t one;
	int len;

	if (cli == NULL || ci == NULL || co == NULL)
		return NULL;
	SSL_set_bio(cli, ci, co);
	SSL_set_connect_state(cli);
	if (srv == NULL && hs_conn_init(c, st->w, g.conn_buf, HS_CONN_BUF_SIZE) != 0)
		goto out;
	for (int round = 0; round < MAX_ROUNDS; round++) {
		SSL_do_handshake(cli);
		len = BIO_read(co, g.xfer, sizeof(g.xfer));
		if (srv == NULL) {
			const uint8_t *o;
			size_t n;

			if (len > 0 && hso_feed(c, g.xfer, (size_t)len) != 0)
				break;
			hs_worker_run(st->w);
			o = hs_conn_send_buf(c, &n);
			if (n > 0)
				BIO_write(ci, o, (int)n);
			hs_conn_send_ack(c, n);
		} else {
			if (len > 0)
				BIO_write(SSL_get_rbio(srv), g.xfer, len);
			SSL_do_handshake(srv);
			len = BIO_read(SSL_get_wbio(srv), g.xfer, sizeof(g.xfer));
			if (len > 0)
				BIO_write(ci, g.xfer, len);
		}
	}
	SSL_read(cli, &one, 1);         /* takes the tickets in */
	if (SSL_is_init_finished(cli))
		sess = SSL_get1_session(cli);
	if (sess != NULL && !SSL_SESSION_is_resumable(sess)) {
		SSL_SESSION_free(sess);
		sess = NULL;
	}
out:
	if (srv == NULL)
		hs_conn_reset(c);
	/* libssl marks the session of an SSL freed without shutdown not resumable. */
	SSL_shutdown(cli);
	SSL_free(cli);
	ERR_clear_error();
	return sess;
}

static int
prime_sessions(struct hso_bench *b, struct hstate *st)
{
	SSL *srv = SSL_new(st->srv_ctx);

	if (srv != NULL) {
		SSL_set_bio(srv, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
		SSL_set_accept_state(srv);
		st->sess_ossl = prime_one(st, srv);
		SSL_free(srv);
	}
	st->sess_hso = prime_one(st, NULL);
	if (st->sess_hso == NULL || st->sess_ossl == NULL) {
		hso_bench_fail(b, "setup: no session to resume");
		return -1;
	}
	return 0;
}

/* ---- the clients (never timed) ---- */

static int
clients_new(struct hstate *st, unsigned n, SSL_SESSION *sess)
{
	for (unsigned i = 0; i < n; i++) {
		struct peer *p = &peers[i];

		memset(p, 0, sizeof(*p));
		p->cli = SSL_new(st->cli_ctx);
		p->cli_in = BIO_new(BIO_s_mem());
		p->cli_out = BIO_new(BIO_s_mem());
		if (p->cli == NULL || p->cli_in == NULL || p->cli_out == NULL)
			return -1;
		SSL_set_bio(p->cli, p->cli_in, p->cli_out);
		SSL_set_connect_state(p->cli);
		if (sess != NULL && SSL_set_session(p->cli, sess) != 1)
			return -1;
	}
	return 0;
}

static void
clients_free(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		/* Not shut down, libssl would spoil a shared session (resumed cases). */
		if (peers[i].cli_done)
			SSL_shutdown(peers[i].cli);
		SSL_free(peers[i].cli);   /* frees its BIOs */
		peers[i].cli = NULL;
	}
}

/* Advance a client; the bytes it wants sent wait in cli_out. -1: failed. */
static int
client_step(struct peer *p)
{
	int rc;

	if (p->cli_done)
		return 0;
	rc = SSL_do_handshake(p->cli);
	if (rc == 1) {
		p->cli_done = true;
		return 0;
	}
	return SSL_get_error(p->cli, rc) == SSL_ERROR_WANT_READ ? 0 : -1;
}

/* The server's signature as the client saw it, and the suite. */
static int
client_check(const struct hcase *hc, const struct peer *p)
{
	int nid = 0;

	if (SSL_version(p->cli) != hc->version ||
	    SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(p->cli)) != hc->suite ||
	    SSL_session_reused(p->cli) != hc->resumed)
		return -1;
	if (hc->sig_nid != 0 &&
	    (SSL_get_peer_signature_type_nid(p->cli, &nid) != 1 || nid != hc->sig_nid))
		return -1;
	return 0;
}

/* ---- hso ---- */

static int
hso_feed(struct hs_conn *c, const uint8_t *src, size_t n)
{
	while (n > 0) {
		size_t room, k;
		uint8_t *dst = hs_conn_recv_buf(c, &room);
		int rc;

		if (room == 0)
			return -ENOSPC;
		k = n < room ? n : room;
		memcpy(dst, src, k);
		rc = hs_conn_recv_ack(c, k);
		if (rc != 0)
			return rc;
		src += k;
		n -= k;
	}
	return 0;
}

/*
 * One group of connections [@p first, @p last) to the end of their
 * handshakes, all of them sharing each hs_worker_run(): each round, every
 * client writes its flight, the flights go in, the worker runs once, the
 * outputs come back.
 */
static const char *
hso_group(struct hstate *st, unsigned first, unsigned last, struct tally *t)
{
	const struct hcase *hc = st->hc;
	struct hs_session_info si;
	bool all_done = false;
	uint64_t t0;
	int rc;

	for (int round = 0; round < MAX_ROUNDS && !all_done; round++) {
		for (unsigned i = first; i < last; i++) {
			struct peer *p = &peers[i];
			int len;

			if (client_step(p) < 0)
				return fail_msg(hc, "hso", (int)i, "client handshake", round);
			len = BIO_read(p->cli_out, g.xfer, sizeof(g.xfer));
			if (len <= 0)
				continue;
			t0 = hso_bench_now_ns();
			rc = hso_feed(&g.conns[i], g.xfer, (size_t)len);
			t->srv_ns += hso_bench_now_ns() - t0;
			if (rc != 0)
				return fail_msg(hc, "hso", (int)i, "engine input, hs_err", rc);
		}
		t0 = hso_bench_now_ns();
		hs_worker_run(st->w);
		t->srv_ns += hso_bench_now_ns() - t0;
		all_done = true;
		for (unsigned i = first; i < last; i++) {
			struct peer *p = &peers[i];
			struct hs_conn *c = &g.conns[i];
			const uint8_t *out;
			size_t len;

			t0 = hso_bench_now_ns();
			out = hs_conn_send_buf(c, &len);
			if (len > sizeof(g.xfer))
				len = sizeof(g.xfer);
			memcpy(g.xfer, out, len);
			hs_conn_send_ack(c, len);
			t->srv_ns += hso_bench_now_ns() - t0;
			if (len > 0)
				BIO_write(p->cli_in, g.xfer, (int)len);
			if (hs_conn_status(c) == HS_STATUS_FAILED)
				return fail_msg(hc, "hso", (int)i, "engine failed, hs_err",
						hs_conn_error(c));
			/* A client reads the last flight in the next round. */
			if (len > 0 || !p->cli_done || hs_conn_status(c) != HS_STATUS_ESTABLISHED)
				all_done = false;
		}
	}
	for (unsigned i = first; i < last; i++) {
		struct hs_conn *c = &g.conns[i];

		if (!peers[i].cli_done || hs_conn_status(c) != HS_STATUS_ESTABLISHED)
			return fail_msg(hc, "hso", (int)i,
					"handshake did not complete, engine state", c->state);
		hs_conn_session_info(c, &si);
		if (si.version != (hc->version == TLS1_3_VERSION ? HS_TLS13 : HS_TLS12) ||
		    si.suite != hc->suite || si.group != hc->group || si.resumed != hc->resumed ||
		    si.sigalg != hc->sigalg || client_check(hc, &peers[i]) < 0)
			return fail_msg(hc, "hso", (int)i, "negotiated something else, "
					"resumed/group/sigalg/client",
					(long)si.resumed << 24 | (long)si.group << 8 |
					(long)(si.sigalg != hc->sigalg) << 4 |
					(client_check(hc, &peers[i]) < 0));
		t->hs++;
	}
	return NULL;
}

/* @p n handshakes against the worker, @p per_run sharing each run. */
static const char *
hso_handshakes(struct hstate *st, unsigned n, unsigned per_run, struct tally *t)
{
	const char *msg = NULL;
	uint64_t t0;

	if (clients_new(st, n, st->sess_hso) < 0) {
		clients_free(n);
		return fail_msg(st->hc, "hso", -1, "client setup", 0);
	}
	for (unsigned first = 0; first < n && msg == NULL; first += per_run) {
		unsigned last = first + per_run < n ? first + per_run : n;
		uint64_t setup;

		t0 = hso_bench_now_ns();
		for (unsigned i = first; i < last; i++)
			if (hs_conn_init(&g.conns[i], st->w,
					 g.conn_buf + (size_t)i * HS_CONN_BUF_SIZE,
					 HS_CONN_BUF_SIZE) != 0)
				msg = "hs_conn_init failed";
		setup = hso_bench_now_ns() - t0;
		if (msg == NULL)
			msg = hso_group(st, first, last, t);
		/* Reset even after a failure: the worker must not keep them queued. */
		t0 = hso_bench_now_ns();
		for (unsigned i = first; i < last; i++)
			hs_conn_reset(&g.conns[i]);
		t->setup_ns += setup + hso_bench_now_ns() - t0;
	}
	clients_free(n);
	return msg;
}

/* ---- OpenSSL's server ---- */

/* Free the OpenSSL servers and clients of a run, failed or not. */
static void
ossl_free(unsigned n, struct tally *t)
{
	uint64_t t0 = hso_bench_now_ns();

	for (unsigned i = 0; i < n; i++) {
		SSL_free(peers[i].srv);
		peers[i].srv = NULL;
	}
	if (t != NULL)
		t->setup_ns += hso_bench_now_ns() - t0;
	clients_free(n);
}

static const char *
ossl_run(struct hstate *st, unsigned n, struct tally *t)
{
	const struct hcase *hc = st->hc;
	uint64_t t0;

	for (int round = 0; round < MAX_ROUNDS; round++) {
		bool all_done = true;

		for (unsigned i = 0; i < n; i++) {
			struct peer *p = &peers[i];
			int len, rc, err = SSL_ERROR_NONE;

			if (client_step(p) < 0)
				return fail_msg(hc, "openssl", (int)i, "client handshake", round);
			len = BIO_read(p->cli_out, g.xfer, sizeof(g.xfer));
			if (len > 0 && !p->srv_done) {
				t0 = hso_bench_now_ns();
				BIO_write(p->srv_in, g.xfer, len);
				rc = SSL_do_handshake(p->srv);
				if (rc == 1)
					p->srv_done = true;
				else
					err = SSL_get_error(p->srv, rc);
				len = BIO_read(p->srv_out, g.xfer, sizeof(g.xfer));
				t->srv_ns += hso_bench_now_ns() - t0;
				if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ)
					return fail_msg(hc, "openssl", (int)i, "server handshake", err);
				if (len > 0)
					BIO_write(p->cli_in, g.xfer, len);
			} else if (len > 0) {
				return fail_msg(hc, "openssl", (int)i, "client wrote after the end", len);
			} else {
				len = 0;
			}
			if (!p->cli_done || !p->srv_done || len > 0)
				all_done = false;
		}
		if (all_done)
			break;
	}
	for (unsigned i = 0; i < n; i++) {
		struct peer *p = &peers[i];

		if (!p->cli_done || !p->srv_done)
			return fail_msg(hc, "openssl", (int)i, "handshake did not complete", 0);
		if (SSL_version(p->srv) != hc->version ||
		    SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(p->srv)) != hc->suite ||
		    (hc->group == HS_GROUP_X25519 &&
		     SSL_get_negotiated_group(p->srv) != NID_X25519) ||
		    SSL_session_reused(p->srv) != hc->resumed ||
		    client_check(hc, p) < 0)
			return fail_msg(hc, "openssl", (int)i, "negotiated something else", 0);
		t->hs++;
	}
	return NULL;
}

/* @p n handshakes against OpenSSL's server, round by round like hso's. */
static const char *
ossl_handshakes(struct hstate *st, unsigned n, struct tally *t)
{
	const char *msg;
	uint64_t t0;

	if (clients_new(st, n, st->sess_ossl) < 0) {
		clients_free(n);
		return fail_msg(st->hc, "openssl", -1, "client setup", 0);
	}
	/* Memory BIOs stand in for sockets: made outside the clock. */
	for (unsigned i = 0; i < n; i++) {
		peers[i].srv_in = BIO_new(BIO_s_mem());
		peers[i].srv_out = BIO_new(BIO_s_mem());
	}
	t0 = hso_bench_now_ns();
	for (unsigned i = 0; i < n; i++) {
		struct peer *p = &peers[i];

		/* A new SSL per connection, as a server makes per accept(). */
		p->srv = SSL_new(st->srv_ctx);
		if (p->srv != NULL) {
			SSL_set_bio(p->srv, p->srv_in, p->srv_out);
			SSL_set_accept_state(p->srv);
		}
	}
	t->setup_ns += hso_bench_now_ns() - t0;
	for (unsigned i = 0; i < n; i++) {
		if (peers[i].srv != NULL)
			continue;
		/* The BIOs an SSL took are freed with it; the others here. */
		for (unsigned j = i; j < n; j++) {
			if (peers[j].srv == NULL) {
				BIO_free(peers[j].srv_in);
				BIO_free(peers[j].srv_out);
			}
		}
		ossl_free(n, NULL);
		return fail_msg(st->hc, "openssl", (int)i, "SSL_new", 0);
	}
	msg = ossl_run(st, n, t);
	ossl_free(n, msg == NULL ? t : NULL);
	return msg;
}

/* ---- the asymmetric floor ---- */

/*
 * What the case cannot avoid, with the calls asym_floor/<case> makes: an
 * X25519 key pair, the shared secret and one signature with the case's
 * scheme; or one RSA premaster decryption.
 */
static int
floor_once(const struct hcase *hc)
{
	struct hso_ecdhe_key key = { 0 };
	uint8_t out[HSO_SIG_MAX], msg[130] = { 0x20 };
	size_t l;
	int bad = 0;

	if (hc->resumed && hc->group == 0)
		return 0;               /* a TLS 1.2 ticket: nothing asymmetric */
	if (hc->group == 0) {
		return hso_asym_rsa_premaster_decrypt(g.floor_actx, g.cert[hc->key], g.rsa_ct,
						      g.rsa_ct_len, 0x0303, 0, out);
	}
	bad |= hso_ecdhe_key_generate(g.floor_actx, HSO_GROUP_X25519, &key);
	bad |= hso_ecdhe_key_derive(g.floor_actx, &key, g.x25519_peer, sizeof(g.x25519_peer),
				    out, sizeof(out), &l);
	if (!hc->resumed)
		bad |= hso_asym_sign(g.floor_actx, g.cert[hc->key], hc->sigalg, msg,
				     sizeof(msg), out, sizeof(out), &l);
	hso_ecdhe_key_clear(&key);
	return bad;
}

/* ---- the benchmarks ---- */

/*
 * Per-iteration samples. This machine is shared: a neighbour's burst can
 * slow one side of one iteration by tens of percent, so the counters are
 * medians over iterations, and each ratio is the median of the ratios
 * measured side by side within an iteration.
 */
#define SAMPLES_MAX 4096

struct samples {
	unsigned n;
	double v[SAMPLES_MAX];
};

static void
sample_add(struct samples *s, double v)
{
	if (s->n < SAMPLES_MAX)
		s->v[s->n++] = v;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts in place. */
static double
sample_median(struct samples *s)
{
	if (s->n == 0)
		return 0;
	qsort(s->v, s->n, sizeof(s->v[0]), dbl_cmp);
	return s->n & 1 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
}

/* Microseconds per handshake from one iteration's tallies. */
static double
delta_us(const struct tally *now, const struct tally *before)
{
	uint64_t hs = now->hs - before->hs;

	return hs ? (double)(now->srv_ns - before->srv_ns) / (double)hs / 1e3 : 0;
}

/* Five series at most per benchmark; static, they are large. */
static struct samples smp[5];

static unsigned
arg_conns(struct hso_bench *b)
{
	int64_t n = hso_bench_arg(b);

	return n < 1 ? 1 : n > NCONN_MAX ? NCONN_MAX : (unsigned)n;
}

/*
 * One untimed round of each kind the first time a case runs: the first
 * handshakes pay for libssl's lazy fetches and hso's per-cert key copies,
 * which a single iteration (--benchmark_min_time=0.01) would report.
 */
static int
warm_up(struct hso_bench *b, struct hstate *st, unsigned n)
{
	struct tally t = { 0 };
	const char *msg;

	if (st->warm)
		return 0;
	msg = hso_handshakes(st, n, n, &t);
	if (msg == NULL)
		msg = ossl_handshakes(st, n, &t);
	if (msg == NULL) {
		for (unsigned i = 0; i < n && msg == NULL; i++)
			if (floor_once(st->hc) != 0)
				msg = "floor: crypto call failed";
	}
	ERR_clear_error();
	if (msg != NULL) {
		hso_bench_fail(b, msg);
		return -1;
	}
	st->warm = true;
	return 0;
}

static double
per_hs_us(uint64_t ns, uint64_t hs)
{
	return hs ? (double)ns / (double)hs / 1e3 : 0;
}

static void
run_vs_openssl(struct hso_bench *b, int ci)
{
	struct hstate *st = hstate_get(b, ci);
	struct tally th = { 0 }, to = { 0 }, th0, to0;
	struct samples *s_hso = &smp[0], *s_ossl = &smp[1], *s_floor = &smp[2];
	struct samples *s_ratio = &smp[3], *s_fratio = &smp[4];
	struct hs_worker_stats s0, s1;
	unsigned n = arg_conns(b);
	const char *msg = NULL;
	double hso_us, ossl_us, floor_us;
	uint64_t t0;
	int64_t it = 0;

	if (st == NULL || warm_up(b, st, n) < 0)
		return;
	for (int i = 0; i < 5; i++)
		smp[i].n = 0;
	hso_bench_label(b, st->hc->label);
	s0 = st->w->stats;
	while (msg == NULL && hso_bench_keep_running(b)) {
		th0 = th;
		to0 = to;
		/* Alternate who goes first: neither always gets the warm caches. */
		if (it++ & 1) {
			msg = ossl_handshakes(st, n, &to);
			if (msg == NULL)
				msg = hso_handshakes(st, n, n, &th);
		} else {
			msg = hso_handshakes(st, n, n, &th);
			if (msg == NULL)
				msg = ossl_handshakes(st, n, &to);
		}
		t0 = hso_bench_now_ns();
		for (unsigned i = 0; i < n && msg == NULL; i++)
			if (floor_once(st->hc) != 0)
				msg = "floor: crypto call failed";
		floor_us = (double)(hso_bench_now_ns() - t0) / n / 1e3;
		if (msg != NULL)
			break;
		hso_us = delta_us(&th, &th0);
		ossl_us = delta_us(&to, &to0);
		sample_add(s_hso, hso_us);
		sample_add(s_ossl, ossl_us);
		sample_add(s_floor, floor_us);
		sample_add(s_ratio, ossl_us / hso_us);
		if (floor_us > 0.05)
			sample_add(s_fratio, hso_us / floor_us);
	}
	ERR_clear_error();
	if (msg != NULL) {
		hso_bench_fail(b, msg);
		return;
	}
	s1 = st->w->stats;
	if (s1.pool_hits != s0.pool_hits) {
		hso_bench_fail(b, "the ECDHE pool served keys: keygen left the clock");
		return;
	}
	if (th.hs == 0 || to.hs == 0)
		return;
	hso_us = sample_median(s_hso);
	ossl_us = sample_median(s_ossl);
	floor_us = sample_median(s_floor);
	hso_bench_counter(b, "hso_us_per_hs", hso_us, HSO_BENCH_VALUE);
	hso_bench_counter(b, "openssl_us_per_hs", ossl_us, HSO_BENCH_VALUE);
	/* The same, under the names the tables use. */
	hso_bench_counter(b, "server_us", hso_us, HSO_BENCH_VALUE);
	hso_bench_counter(b, "openssl_server_us", ossl_us, HSO_BENCH_VALUE);
	/* Rates: ours over theirs, i.e. their time over ours. */
	hso_bench_counter(b, "ratio", sample_median(s_ratio), HSO_BENCH_VALUE);
	if (s_fratio->n > 0) {
		hso_bench_counter(b, "floor_us", floor_us, HSO_BENCH_VALUE);
		hso_bench_counter(b, "floor_ratio", sample_median(s_fratio), HSO_BENCH_VALUE);
		hso_bench_counter(b, "openssl_floor_ratio", ossl_us / floor_us, HSO_BENCH_VALUE);
	}
	/* Means over the whole run, to show how much the medians moved. */
	hso_bench_counter(b, "hso_us_mean", per_hs_us(th.srv_ns, th.hs), HSO_BENCH_VALUE);
	hso_bench_counter(b, "openssl_us_mean", per_hs_us(to.srv_ns, to.hs), HSO_BENCH_VALUE);
	hso_bench_counter(b, "hso_setup_us", per_hs_us(th.setup_ns, th.hs), HSO_BENCH_VALUE);
	hso_bench_counter(b, "openssl_setup_us", per_hs_us(to.setup_ns, to.hs),
			  HSO_BENCH_VALUE);
	if (s1.kdf_runs > s0.kdf_runs) {
		hso_bench_counter(b, "kdf_reqs_per_batch",
				  (double)(s1.kdf_requests - s0.kdf_requests) /
				  (double)(s1.kdf_runs - s0.kdf_runs), HSO_BENCH_VALUE);
		hso_bench_counter(b, "kdf_reqs_per_hs",
				  (double)(s1.kdf_requests - s0.kdf_requests) / (double)th.hs,
				  HSO_BENCH_VALUE);
	}
	if (s1.runs > s0.runs)
		hso_bench_counter(b, "rounds_per_run",
				  (double)(s1.rounds - s0.rounds) / (double)(s1.runs - s0.runs),
				  HSO_BENCH_VALUE);
	hso_bench_counter(b, "asym_jobs_per_hs",
			  (double)(s1.asym_jobs - s0.asym_jobs) / (double)th.hs, HSO_BENCH_VALUE);
}

static void
run_batched_vs_single(struct hso_bench *b, int ci)
{
	struct hstate *st = hstate_get(b, ci);
	struct tally tb = { 0 }, t1 = { 0 }, tb0, t10;
	struct samples *s_b = &smp[0], *s_1 = &smp[1], *s_ratio = &smp[2];
	struct hs_worker_stats sb = { 0 }, ss = { 0 }, s0;
	unsigned n = arg_conns(b);
	const char *msg = NULL;
	int64_t it = 0;

	if (st == NULL || warm_up(b, st, n) < 0)
		return;
	for (int i = 0; i < 3; i++)
		smp[i].n = 0;
	hso_bench_label(b, st->hc->label);
	while (msg == NULL && hso_bench_keep_running(b)) {
		bool single_first = it++ & 1;

		tb0 = tb;
		t10 = t1;
		for (int k = 0; k < 2 && msg == NULL; k++) {
			bool single = (k == 0) == single_first;
			struct hs_worker_stats *acc = single ? &ss : &sb;

			s0 = st->w->stats;
			msg = hso_handshakes(st, n, single ? 1 : n, single ? &t1 : &tb);
			acc->runs += st->w->stats.runs - s0.runs;
			acc->rounds += st->w->stats.rounds - s0.rounds;
			acc->kdf_runs += st->w->stats.kdf_runs - s0.kdf_runs;
			acc->kdf_requests += st->w->stats.kdf_requests - s0.kdf_requests;
		}
		if (msg != NULL)
			break;
		sample_add(s_b, delta_us(&tb, &tb0));
		sample_add(s_1, delta_us(&t1, &t10));
		sample_add(s_ratio, delta_us(&t1, &t10) / delta_us(&tb, &tb0));
	}
	ERR_clear_error();
	if (msg != NULL) {
		hso_bench_fail(b, msg);
		return;
	}
	if (tb.hs == 0 || t1.hs == 0)
		return;
	hso_bench_counter(b, "batched_us_per_hs", sample_median(s_b), HSO_BENCH_VALUE);
	hso_bench_counter(b, "single_us_per_hs", sample_median(s_1), HSO_BENCH_VALUE);
	/* Batched rate over one-at-a-time rate. */
	hso_bench_counter(b, "ratio", sample_median(s_ratio), HSO_BENCH_VALUE);
	if (sb.kdf_runs > 0 && ss.kdf_runs > 0) {
		hso_bench_counter(b, "kdf_reqs_per_batch", (double)sb.kdf_requests /
				  (double)sb.kdf_runs, HSO_BENCH_VALUE);
		hso_bench_counter(b, "kdf_reqs_per_batch_single", (double)ss.kdf_requests /
				  (double)ss.kdf_runs, HSO_BENCH_VALUE);
	}
	if (sb.runs > 0 && ss.runs > 0) {
		hso_bench_counter(b, "rounds_per_run", (double)sb.rounds / (double)sb.runs,
				  HSO_BENCH_VALUE);
		hso_bench_counter(b, "rounds_per_run_single", (double)ss.rounds /
				  (double)ss.runs, HSO_BENCH_VALUE);
	}
}

#define NCONN 64

#define HS_CASE(fn_, ci_, name_)                                                \
	static void fn_##_vs(struct hso_bench *b) { run_vs_openssl(b, ci_); }    \
	static void fn_##_bs(struct hso_bench *b) { run_batched_vs_single(b, ci_); } \
	HSO_BENCH_ARGS(fn_##_vs, "handshake/" name_ "_vs_openssl", NCONN)        \
	HSO_BENCH_ARGS(fn_##_bs, "handshake/" name_ "_batched_vs_single", NCONN)

HS_CASE(bm_hs_tls13_ecdsa, C_TLS13_ECDSA, "tls13_x25519_ecdsa_p256")
HS_CASE(bm_hs_tls13_rsa_pss, C_TLS13_RSA_PSS, "tls13_x25519_rsa_pss")
HS_CASE(bm_hs_tls12_ecdhe_rsa, C_TLS12_ECDHE_RSA, "tls12_ecdhe_rsa")
HS_CASE(bm_hs_tls12_rsa_kx, C_TLS12_RSA_KX, "tls12_rsa_kx")
HS_CASE(bm_hs_tls12_ecdhe_ecdsa, C_TLS12_ECDHE_ECDSA, "tls12_ecdhe_ecdsa_p256")

static void bm_hs_tls12_resumed(struct hso_bench *b) { run_vs_openssl(b, C_TLS12_RESUMED_TICKET); }
static void bm_hs_tls13_resumed(struct hso_bench *b) { run_vs_openssl(b, C_TLS13_RESUMED_PSK_DHE); }
HSO_BENCH_ARGS(bm_hs_tls12_resumed, "handshake/tls12_resumed_ticket_vs_openssl", NCONN)
HSO_BENCH_ARGS(bm_hs_tls13_resumed, "handshake/tls13_resumed_psk_dhe_vs_openssl", NCONN)

/* ---- hso's client (load and full mode) against hso's server ---- */

/* Client workers and connection memory for client_load_vs_server. */
static struct {
	struct hs_client_config cc[2];          /* [0] load, [1] full */
	struct hs_worker *w[2];
	bool ready;
} cls[C_N];
static struct hs_conn cconns[NCONN_MAX];
static uint8_t *cconn_buf;

static int
cls_get(struct hso_bench *b, struct hstate *st, int ci)
{
	const struct hcase *hc = st->hc;

	if (cls[ci].ready)
		return 0;
	if (cconn_buf == NULL) {
		cconn_buf = malloc((size_t)NCONN_MAX * HS_CONN_BUF_SIZE);
		if (cconn_buf == NULL) {
			hso_bench_fail(b, "setup: client memory");
			return -1;
		}
		memset(cconn_buf, 0, (size_t)NCONN_MAX * HS_CONN_BUF_SIZE);
	}
	for (int m = 0; m < 2; m++) {
		struct hs_client_config *cc = &cls[ci].cc[m];

		if (hs_client_config_init(cc) != 0) {
			hso_bench_fail(b, "hs_client_config_init");
			return -1;
		}
		cc->mode = m == 0 ? HS_CLIENT_LOAD : HS_CLIENT_FULL;
		cc->resume = HS_RESUME_NONE;    /* full handshakes only, like the server's */
		cc->base.nego = st->cfg.nego;   /* the case's version, suite, group, scheme */
		cls[ci].w[m] = hs_worker_create_client(cc, NCONN_MAX);
		if (cls[ci].w[m] == NULL) {
			snprintf(errmsg, sizeof(errmsg), "hs_worker_create_client: %s",
				 strerror(errno));
			hso_bench_fail(b, errmsg);
			return -1;
		}
	}
	(void)hc;
	cls[ci].ready = true;
	return 0;
}

/* Client output -> server, or server output -> client; the two sides' clocks apart. */
static int
pass(struct hs_conn *from, struct hs_conn *to, uint64_t *from_ns, uint64_t *to_ns)
{
	uint64_t t0 = hso_bench_now_ns();
	const uint8_t *o;
	size_t len;
	int rc = 0;

	o = hs_conn_send_buf(from, &len);
	if (len > sizeof(g.xfer))
		len = sizeof(g.xfer);
	memcpy(g.xfer, o, len);
	hs_conn_send_ack(from, len);
	*from_ns += hso_bench_now_ns() - t0;
	if (len > 0) {
		t0 = hso_bench_now_ns();
		rc = hso_feed(to, g.xfer, len);
		*to_ns += hso_bench_now_ns() - t0;
	}
	return rc;
}

/*
 * @p n client connections against @p n server connections, every step of
 * each side batched in its worker: the time in client calls and in server
 * calls, apart. Setup and teardown are not timed.
 */
static const char *
client_group(struct hstate *st, struct hs_worker *cw, const struct hs_client_config *cc,
	     unsigned n, struct tally *tc, struct tally *ts)
{
	const struct hcase *hc = st->hc;
	struct hs_session_info ci, si;
	const char *msg = NULL;
	uint64_t t0;
	bool done = false;

	for (unsigned i = 0; i < n; i++) {
		if (hs_conn_init(&g.conns[i], st->w, g.conn_buf + (size_t)i * HS_CONN_BUF_SIZE,
				 HS_CONN_BUF_SIZE) != 0 ||
		    hs_conn_init_client(&cconns[i], cw, cc,
					cconn_buf + (size_t)i * HS_CONN_BUF_SIZE,
					HS_CONN_BUF_SIZE) != 0)
			msg = "hs_conn_init(_client) failed";
	}
	t0 = hso_bench_now_ns();
	for (unsigned i = 0; i < n && msg == NULL; i++)
		if (hs_conn_client_start(&cconns[i], NULL) != 0)
			msg = fail_msg(hc, "client", (int)i, "start, hs_err", hs_conn_error(&cconns[i]));
	hs_worker_run(cw);
	tc->srv_ns += hso_bench_now_ns() - t0;
	for (int round = 0; round < 2 * MAX_ROUNDS && msg == NULL && !done; round++) {
		for (unsigned i = 0; i < n; i++)
			if (pass(&cconns[i], &g.conns[i], &tc->srv_ns, &ts->srv_ns) != 0)
				msg = fail_msg(hc, "server", (int)i, "input, hs_err",
					       hs_conn_error(&g.conns[i]));
		t0 = hso_bench_now_ns();
		hs_worker_run(st->w);
		ts->srv_ns += hso_bench_now_ns() - t0;
		for (unsigned i = 0; i < n; i++)
			if (pass(&g.conns[i], &cconns[i], &ts->srv_ns, &tc->srv_ns) != 0)
				msg = fail_msg(hc, "client", (int)i, "input, hs_err",
					       hs_conn_error(&cconns[i]));
		t0 = hso_bench_now_ns();
		hs_worker_run(cw);
		tc->srv_ns += hso_bench_now_ns() - t0;
		done = true;
		for (unsigned i = 0; i < n; i++) {
			size_t l1, l2;

			hs_conn_send_buf(&cconns[i], &l1);
			hs_conn_send_buf(&g.conns[i], &l2);
			if (hs_conn_status(&cconns[i]) != HS_STATUS_ESTABLISHED ||
			    hs_conn_status(&g.conns[i]) != HS_STATUS_ESTABLISHED || l1 || l2)
				done = false;
		}
	}
	for (unsigned i = 0; i < n && msg == NULL; i++) {
		if (hs_conn_status(&cconns[i]) != HS_STATUS_ESTABLISHED ||
		    hs_conn_status(&g.conns[i]) != HS_STATUS_ESTABLISHED) {
			msg = fail_msg(hc, "client", (int)i, "did not complete, hs_err",
				       hs_conn_error(&cconns[i]) ? hs_conn_error(&cconns[i])
								 : hs_conn_error(&g.conns[i]));
			break;
		}
		hs_conn_session_info(&cconns[i], &ci);
		hs_conn_session_info(&g.conns[i], &si);
		if (ci.suite != hc->suite || si.suite != hc->suite || ci.group != hc->group)
			msg = fail_msg(hc, "client", (int)i, "negotiated something else", ci.suite);
	}
	if (msg == NULL) {
		tc->hs += n;
		ts->hs += n;
	}
	for (unsigned i = 0; i < n; i++) {
		hs_conn_reset(&cconns[i]);
		hs_conn_reset(&g.conns[i]);
	}
	return msg;
}

static void
run_client_vs_server(struct hso_bench *b, int ci)
{
	struct hstate *st = hstate_get(b, ci);
	struct tally tc[2] = { { 0 } }, ts[2] = { { 0 } }, tc0[2], ts0[2];
	struct samples *s_cl = &smp[0], *s_sv = &smp[1], *s_ratio = &smp[2];
	struct samples *s_full = &smp[3], *s_rfull = &smp[4];
	struct hs_worker_stats c0, c1;
	unsigned n = arg_conns(b);
	const char *msg = NULL;
	int64_t it = 0;

	if (st == NULL || cls_get(b, st, ci) < 0)
		return;
	for (int i = 0; i < 5; i++)
		smp[i].n = 0;
	hso_bench_label(b, st->hc->label);
	/* Untimed first round: lazy fetches, per-cert copies, the first load key. */
	msg = client_group(st, cls[ci].w[0], &cls[ci].cc[0], n, &tc0[0], &ts0[0]);
	if (msg == NULL)
		msg = client_group(st, cls[ci].w[1], &cls[ci].cc[1], n, &tc0[1], &ts0[1]);
	c0 = cls[ci].w[0]->stats;
	while (msg == NULL && hso_bench_keep_running(b)) {
		bool full_first = it++ & 1;

		for (int k = 0; k < 2 && msg == NULL; k++) {
			int m = (k == 0) == full_first;

			tc0[m] = tc[m];
			ts0[m] = ts[m];
			msg = client_group(st, cls[ci].w[m], &cls[ci].cc[m], n, &tc[m], &ts[m]);
		}
		if (msg != NULL)
			break;
		sample_add(s_cl, delta_us(&tc[0], &tc0[0]));
		sample_add(s_sv, delta_us(&ts[0], &ts0[0]));
		sample_add(s_ratio, delta_us(&tc[0], &tc0[0]) / delta_us(&ts[0], &ts0[0]));
		sample_add(s_full, delta_us(&tc[1], &tc0[1]));
		sample_add(s_rfull, delta_us(&tc[1], &tc0[1]) / delta_us(&ts[1], &ts0[1]));
	}
	if (msg != NULL) {
		hso_bench_fail(b, msg);
		return;
	}
	if (tc[0].hs == 0)
		return;
	c1 = cls[ci].w[0]->stats;
	hso_bench_counter(b, "client_us", sample_median(s_cl), HSO_BENCH_VALUE);
	hso_bench_counter(b, "server_us", sample_median(s_sv), HSO_BENCH_VALUE);
	/* Client time over server time: <= 0.5 means one generator core loads one hsod core. */
	hso_bench_counter(b, "ratio", sample_median(s_ratio), HSO_BENCH_VALUE);
	hso_bench_counter(b, "client_full_us", sample_median(s_full), HSO_BENCH_VALUE);
	hso_bench_counter(b, "ratio_full", sample_median(s_rfull), HSO_BENCH_VALUE);
	hso_bench_counter(b, "client_asym_jobs_per_hs",
			  (double)(c1.asym_jobs - c0.asym_jobs) / (double)(tc[0].hs), HSO_BENCH_VALUE);
	hso_bench_counter(b, "client_keys_generated_per_hs",
			  (double)(c1.client_keys_generated - c0.client_keys_generated) /
			  (double)(tc[0].hs), HSO_BENCH_VALUE);
}

static void bm_cl_tls13(struct hso_bench *b) { run_client_vs_server(b, C_TLS13_ECDSA); }
static void bm_cl_tls12_rsa(struct hso_bench *b) { run_client_vs_server(b, C_TLS12_RSA_KX); }
HSO_BENCH_ARGS(bm_cl_tls13, "handshake/client_load_vs_server/tls13_x25519_ecdsa_p256", NCONN)
HSO_BENCH_ARGS(bm_cl_tls12_rsa, "handshake/client_load_vs_server/tls12_rsa_kx", NCONN)

/*
 * Nothing is freed at exit: OpenSSL's own atexit cleanup may run before a
 * destructor would, and the process is ending anyway (as bench_asym.c).
 */
