/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine core: configuration, workers and their crypto rounds, the
 * connection's record layer (input framing, decryption, dispatch; output
 * staging and sealing) and application data. The TLS 1.3 and TLS 1.2 state
 * machines live in tls13.c and tls12.c. Contract: handshake.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "engine_priv.h"
#include "session_cache.h"

/* Most asym + KDF rounds one hs_worker_run() takes (a flight needs <= 4). */
#define HS_WORKER_MAX_ROUNDS 8
/* KDF requests a connection queues at most in one round. */
#define HS_KDF_PER_CONN 12
/* Warning alerts in a row that end a connection (CVE-2016-8610). */
#define HS_WARN_ALERTS_MAX 5

/* ------------------------------------------------------------------ */
/* Configuration                                                      */
/* ------------------------------------------------------------------ */

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
hs_config_init(struct hs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	hs_nego_policy_default(&cfg->nego);
	cfg->ticket_lifetime = HS_TICKET_LIFETIME_DEFAULT;
	cfg->psk_ke = true;
	cfg->session_cache_size = HS_SESSION_CACHE_DEFAULT;
	cfg->now_ms = wall_ms;
	cfg->max_handshake_msg = HS_MAX_MSG_DEFAULT;
	cfg->large_msg_bufs = HS_LARGE_MSG_BUFS_DEFAULT;
	for (int h = 0; h < HSO_KDF_HASH_NUM; h++)
		if (hso_kdf_tls13_nopsk((enum hso_kdf_hash)h, NULL, NULL,
					&cfg->derived_nopsk[h]) != 0 ||
		    hso_hash_digest((enum hso_hash_alg)h, NULL, 0, cfg->empty_hash[h]) < 0)
			return -EIO;
	return 0;
}

int
hs_config_add_cert(struct hs_config *cfg, const struct hso_cert *cert, bool is_default)
{
	enum hs_cert_type t;

	if (cfg->n_certs == HS_CONFIG_MAX_CERTS)
		return -ENOSPC;
	switch (cert->key_type) {
	case HSO_KEY_RSA:
		t = HS_CERT_RSA;
		break;
	case HSO_KEY_EC_P256:
		t = HS_CERT_ECDSA_P256;
		break;
	case HSO_KEY_EC_P384:
		t = HS_CERT_ECDSA_P384;
		break;
	default:
		return -ENOTSUP;
	}
	cfg->certs[cfg->n_certs++] = (struct hs_cert_slot){
		.cert = cert, .type = t, .is_default = is_default,
	};
	return 0;
}

void
hs_config_wipe(struct hs_config *cfg)
{
	for (int h = 0; h < HSO_KDF_HASH_NUM; h++)
		hso_hmac_key_wipe(&cfg->derived_nopsk[h]);
}

/*
 * The certificates that may serve this ClientHello: those whose names match
 * the SNI (exact names before wildcards, RFC 6125), else the defaults.
 */
int
hs_select_certs(struct hs_conn *c, const struct hs_client_hello *ch,
		const struct hs_cert_slot **cand, unsigned *n, unsigned *types)
{
	const struct hs_config *cfg = c->cfg;

	*n = 0;
	*types = 0;
	c->sni_ack = false;
	if (ch->has_sni) {
		memcpy(c->sni, ch->sni.p, ch->sni.len);
		c->sni[ch->sni.len] = '\0';
		c->sni_len = (uint8_t)ch->sni.len;
		for (int wild = 0; wild <= 1 && *n == 0; wild++) {
			for (unsigned i = 0; i < cfg->n_certs; i++) {
				const struct hso_cert *ct = cfg->certs[i].cert;

				for (unsigned k = 0; k < ct->n_names; k++) {
					if ((ct->names[k][0] == '*') != wild)
						continue;
					if (hs_sni_match(ct->names[k], ch->sni.p, ch->sni.len)) {
						cand[(*n)++] = &cfg->certs[i];
						break;
					}
				}
			}
		}
		c->sni_ack = *n > 0;
		/* RFC 6066 3: a server MAY refuse an unknown name, fatally. */
		if (*n == 0 && cfg->sni_strict)
			return HS_ERR_ALERT(HS_ALERT_UNRECOGNIZED_NAME);
	}
	if (*n == 0) {
		for (unsigned i = 0; i < cfg->n_certs; i++)
			if (cfg->certs[i].is_default)
				cand[(*n)++] = &cfg->certs[i];
		if (*n == 0 && cfg->n_certs > 0)
			cand[(*n)++] = &cfg->certs[0];
	}
	for (unsigned i = 0; i < *n; i++)
		*types |= cand[i]->type;
	return *n > 0 ? 0 : HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
}

/* Pick the certificate (in config order) and signature scheme for @p kx. */
int
hs_pick_cert(struct hs_conn *c, const struct hs_client_hello *ch,
	     const struct hs_cert_slot *const *cand, unsigned n, enum hs_kx kx)
{
	for (unsigned i = 0; i < n; i++) {
		enum hs_cert_type t = cand[i]->type;
		uint16_t scheme = 0;

		if ((kx == HS_KX_RSA || kx == HS_KX_ECDHE_RSA) && t != HS_CERT_RSA)
			continue;
		if (kx == HS_KX_ECDHE_ECDSA &&
		    (t == HS_CERT_RSA || !hs_nego_cert_curve_ok(ch, c->version, t)))
			continue;
		if (kx != HS_KX_RSA &&
		    hs_nego_sigalg(ch, &c->cfg->nego, c->version, t, &scheme) != 0)
			continue;
		c->cert = cand[i]->cert;
		c->sigalg = scheme;
		return 0;
	}
	return HS_ERR_ALERT(HS_ALERT_HANDSHAKE_FAILURE);
}

int
hs_random(uint8_t *out, size_t len)
{
	return RAND_bytes(out, (int)len) == 1 ? 0 : -EIO;
}

/* ------------------------------------------------------------------ */
/* Workers                                                            */
/* ------------------------------------------------------------------ */

struct hs_worker *
hs_worker_create(const struct hs_config *cfg, unsigned max_conns)
{
	struct hs_worker *w;
	int rc;

	if (cfg == NULL || max_conns == 0 || max_conns > 65536 / HS_KDF_PER_CONN * 16 ||
	    cfg->max_handshake_msg > HS_MAX_MSG_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->cfg = cfg;
	w->max_conns = max_conns;
	w->pool_target = HS_POOL_MAX / 2;
	rc = hso_imb_set_init(&w->imb, NULL);
	if (rc != 0) {
		free(w);
		errno = -rc;
		return NULL;
	}
	w->asym = hso_asym_ctx_create(0);
	w->kdf = hso_kdf_batch_create(&w->imb, max_conns * HS_KDF_PER_CONN > 65536 ?
				      65536 : max_conns * HS_KDF_PER_CONN);
	if (cfg->session_cache_size > 0 &&
	    (w->cache = hs_session_cache_create(cfg->session_cache_size)) == NULL) {
		int e = errno;

		hs_worker_free(w);
		errno = e;
		return NULL;
	}
	/* Messages above the connection's own area borrow from this pool. */
	if (cfg->max_handshake_msg > HS_MSG_INLINE_MAX &&
	    (w->msg_pool = hs_buf_pool_create(cfg->large_msg_bufs,
					      HS_MSG_HEADER_LEN + cfg->max_handshake_msg,
					      &w->stats.msg_pool)) == NULL) {
		int e = errno;

		hs_worker_free(w);
		errno = e;
		return NULL;
	}
	w->asym_q = calloc(max_conns, sizeof(*w->asym_q));
	w->run_q = calloc(max_conns, sizeof(*w->run_q));
	if (w->asym == NULL || w->kdf == NULL || w->asym_q == NULL || w->run_q == NULL) {
		int e = errno ? errno : ENOMEM;

		hs_worker_free(w);
		errno = e;
		return NULL;
	}
	return w;
}

void
hs_worker_set_config(struct hs_worker *w, const struct hs_config *cfg)
{
	w->cfg = cfg;
}

void
hs_worker_free(struct hs_worker *w)
{
	if (w == NULL)
		return;
	for (int g = 0; g < 2; g++)
		for (unsigned i = 0; i < w->pool_n[g]; i++)
			hso_ecdhe_key_clear(&w->pool[g][i]);
	hs_session_cache_free(w->cache);
	hs_buf_pool_free(w->msg_pool);
	hso_kdf_batch_free(w->kdf);
	hso_asym_ctx_free(w->asym);
	hso_imb_set_free(&w->imb);
	free(w->asym_q);
	free(w->run_q);
	free(w);
}

static int
pool_index(uint16_t group)
{
	return group == HS_GROUP_X25519 ? 0 : group == HS_GROUP_SECP256R1 ? 1 : -1;
}

unsigned
hs_worker_pool_refill(struct hs_worker *w, unsigned budget)
{
	static const uint16_t groups[2] = { HS_GROUP_X25519, HS_GROUP_SECP256R1 };
	unsigned made = 0;

	while (made < budget) {
		int g = w->pool_n[0] <= w->pool_n[1] ? 0 : 1;

		if (w->pool_n[g] >= w->pool_target)
			g ^= 1;
		if (w->pool_n[g] >= w->pool_target)
			break;
		if (hso_ecdhe_key_generate(w->asym, groups[g], &w->pool[g][w->pool_n[g]]) != 0)
			break;
		w->pool_n[g]++;
		made++;
	}
	return made;
}

/* Give the connection a pre-generated key for @p group if there is one. */
int
hs_take_pool_key(struct hs_conn *c, uint16_t group)
{
	struct hs_worker *w = c->w;
	int g = pool_index(group);

	if (g < 0 || w->pool_n[g] == 0) {
		w->stats.pool_misses++;
		return 0;
	}
	w->pool_n[g]--;
	/* Move, don't copy: the pool slot must not keep the private key. */
	c->eph = w->pool[g][w->pool_n[g]];
	memset(&w->pool[g][w->pool_n[g]], 0, sizeof(c->eph));
	w->stats.pool_hits++;
	return 1;
}

/* Queue @p c to be resumed after the worker's next round. */
void
hs_wait(struct hs_conn *c)
{
	struct hs_worker *w = c->w;

	if (c->waiting)
		return;
	if (w->n_asym == w->max_conns) {
		hs_fail(c, HS_ERR_INTERNAL);
		return;
	}
	c->waiting = true;
	w->asym_q[w->n_asym++] = c;
}

/* A KDF enqueue's result: keep waiting, or fail the connection. */
int
hs_kdf(struct hs_conn *c, int rc)
{
	if (rc < 0)
		return hs_fail(c, HS_ERR_INTERNAL);
	hs_wait(c);
	return rc;
}

static int
err_from_ecdhe(int rc)
{
	/* An invalid peer share is the peer's fault (RFC 8446 4.2.8.2). */
	return rc == -EINVAL ? HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER) : HS_ERR_INTERNAL;
}

/* Run one connection's asymmetric job; the result stays in the connection. */
static int
run_job(struct hs_worker *w, struct hs_conn *c)
{
	size_t len;
	int rc = 0;

	w->stats.asym_jobs++;
	switch (c->job) {
	case JOB_ECDHE:
		if (c->eph.group == 0)
			rc = hso_ecdhe_key_generate(w->asym, c->group, &c->eph);
		if (rc == 0)
			rc = hso_ecdhe_key_derive(w->asym, &c->eph, c->peer_kx,
						  c->peer_kx_len, c->s.shared,
						  sizeof(c->s.shared), &len);
		if (rc != 0)
			return err_from_ecdhe(rc);
		if (len != sizeof(c->s.shared))
			return HS_ERR_INTERNAL;
		return 0;
	case JOB_SKE:
		if (c->eph.group == 0 &&
		    hso_ecdhe_key_generate(w->asym, c->group, &c->eph) != 0)
			return HS_ERR_INTERNAL;
		/* Signed: client_random + server_random + ServerECDHParams. */
		memcpy(c->tbs, c->client_random, 32);
		memcpy(c->tbs + 32, c->server_random, 32);
		len = hs_ecdh_params_write(c->tbs + 64, sizeof(c->tbs) - 64, c->group,
					   c->eph.pub, c->eph.pub_len);
		if (len == 0)
			return HS_ERR_INTERNAL;
		c->tbs_len = (uint16_t)(64 + len);
		/* fall through */
	case JOB_SIGN:
		rc = hso_asym_sign(w->asym, c->cert, c->sigalg, c->tbs, c->tbs_len,
				   c->sig, sizeof(c->sig), &len);
		if (rc != 0)
			return HS_ERR_INTERNAL;
		c->sig_len = (uint16_t)len;
		return 0;
	case JOB_RSA:
		/*
		 * Implicit rejection: a bad padding or version gives a random
		 * premaster and 0 here; the handshake then fails at Finished
		 * exactly like a wrong Finished (RFC 5246 7.4.7.1).
		 */
		rc = hso_asym_rsa_premaster_decrypt(w->asym, c->cert, c->peer_kx,
						    c->peer_kx_len, c->client_version,
						    0, c->s.pms);
		/*
		 * Longer than the modulus or not below it: public facts, but
		 * refusing them here would be one more way for a ciphertext to
		 * fail. Go on with a random premaster like for any bad one, so
		 * every malformed ClientKeyExchange ends alike, at the client's
		 * Finished (bad_record_mac), as OpenSSL's server does.
		 */
		if (rc == -EBADMSG)
			rc = hs_random(c->s.pms, sizeof(c->s.pms));
		return rc == 0 ? 0 : HS_ERR_INTERNAL;
	default:
		return HS_ERR_INTERNAL;
	}
}

static int hs_process(struct hs_conn *c);

static void
resume(struct hs_conn *c)
{
	int rc;

	if (c->status == HS_STATUS_FAILED)
		return;
	rc = c->version == HS_TLS13 ? hs13_resume(c) : hs12_resume(c);
	if (rc < 0) {
		hs_fail(c, rc);
		return;
	}
	if (!c->waiting)
		hs_process(c);
}

int
hs_worker_run(struct hs_worker *w)
{
	int rounds = 0;

	while (w->n_asym > 0 && rounds < HS_WORKER_MAX_ROUNDS) {
		unsigned n = w->n_asym;
		int kdf_rc = 0;

		memcpy(w->run_q, w->asym_q, n * sizeof(*w->run_q));
		w->n_asym = 0;
		for (unsigned i = 0; i < n; i++) {
			struct hs_conn *c = w->run_q[i];
			int rc;

			if (c->job == JOB_NONE)
				continue;
			rc = run_job(w, c);
			c->job = JOB_NONE;
			if (rc != 0)
				hs_fail(c, rc);
		}
		if (hso_kdf_batch_count(w->kdf) > 0) {
			w->stats.kdf_requests += hso_kdf_batch_count(w->kdf);
			w->stats.kdf_runs++;
			kdf_rc = hso_kdf_batch_run(w->kdf);
		}
		for (unsigned i = 0; i < n; i++) {
			struct hs_conn *c = w->run_q[i];

			c->waiting = false;
			if (kdf_rc < 0)
				hs_fail(c, HS_ERR_INTERNAL);
			resume(c);
		}
		rounds++;
	}
	if (rounds > 0) {
		w->stats.runs++;
		w->stats.rounds += (unsigned)rounds;
	}
	return rounds;
}

/* ------------------------------------------------------------------ */
/* Connections: output                                                */
/* ------------------------------------------------------------------ */

enum hso_kdf_hash
hs_kdf_hash(const struct hs_conn *c)
{
	return c->si->hash ? HSO_KDF_SHA384 : HSO_KDF_SHA256;
}

size_t
hs_hash_len(const struct hs_conn *c)
{
	return c->si->hash ? 48 : 32;
}

enum hso_aead_alg
hs_aead_alg(const struct hs_conn *c)
{
	switch (c->suite) {
	case HS_TLS_CHACHA20_POLY1305_SHA256:
	case HS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
	case HS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
		return HSO_AEAD_CHACHA20_POLY1305;
	default:
		return c->si->key_len == 16 ? HSO_AEAD_AES128_GCM : HSO_AEAD_AES256_GCM;
	}
}

/* Seal or frame one record of @p type into the output. */
int
hs_write_record(struct hs_conn *c, uint8_t type, const uint8_t *data, size_t len)
{
	size_t room = HS_CONN_OUT_SIZE - c->out_len;
	uint8_t *at = c->out + c->out_len;
	int n;

	if (!c->wr_on) {
		struct hs_writer w;

		hs_writer_init(&w, at, room);
		hs_record_header_write(&w, type, 0x0303, len);
		hs_write_bytes(&w, data, len);
		if (w.err)
			return -ENOBUFS;
		c->out_len += w.off;
		if (c->out_len > c->out_hw)
			c->out_hw = c->out_len;
		return 0;
	}
	if (c->version == HS_TLS13)
		n = hso_tls13_record_seal(&c->wr, type, data, len, 0, at, room);
	else
		n = hso_tls12_record_seal(&c->wr, type, 0x0303, data, len, at, room);
	if (n < 0)
		return n;
	c->out_len += (size_t)n;
	if (c->out_len > c->out_hw)
		c->out_hw = c->out_len;
	return 0;
}

/* Open a writer on the free part of the stage for one handshake message. */
int
hs_stage_msg_begin(struct hs_conn *c, struct hs_writer *w)
{
	hs_writer_init(w, c->stage + c->stage_len, HS_CONN_STAGE_SIZE - c->stage_len);
	return 0;
}

/* The message written through @p w joins the stage and the transcript. */
int
hs_stage_msg_end(struct hs_conn *c, struct hs_writer *w, size_t start)
{
	/* What the writer put down counts for the wipe, even if it then failed. */
	if (c->stage_len + w->off > c->stage_hw)
		c->stage_hw = c->stage_len + w->off;
	if (w->err)
		return HS_ERR_INTERNAL;
	hso_hash_update(&c->th, w->p + start, w->off - start);
	c->stage_len += w->off;
	if (c->stage_len > c->stage_hw)
		c->stage_hw = c->stage_len;
	return 0;
}

/* Cut the staged handshake messages into records under the current keys. */
int
hs_flush_stage(struct hs_conn *c)
{
	size_t off = 0;

	while (off < c->stage_len) {
		size_t n = c->stage_len - off;

		if (n > HS_RECORD_PLAINTEXT_MAX)
			n = HS_RECORD_PLAINTEXT_MAX;
		if (hs_write_record(c, HS_CT_HANDSHAKE, c->stage + off, n) != 0)
			return HS_ERR_INTERNAL;
		off += n;
	}
	c->stage_len = 0;
	return 0;
}

static void
wipe_secrets(struct hs_conn *c)
{
	OPENSSL_cleanse(&c->s, sizeof(c->s));
	OPENSSL_cleanse(c->peer_kx, sizeof(c->peer_kx));
	hso_ecdhe_key_clear(&c->eph);
}

/*
 * Fail the connection with @p err: queue the fatal alert it calls for
 * (under the current write keys), make the error sticky.
 */
int
hs_fail(struct hs_conn *c, int err)
{
	int desc = hs_err_alert(err);

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (desc >= 0 && hs_err_class(err) != HS_ERR_CLASS_PEER_ALERT) {
		uint8_t alert[2] = { 2, (uint8_t)desc };   /* fatal */

		hs_write_record(c, HS_CT_ALERT, alert, sizeof(alert));
	}
	/* Count handshakes that failed, not established connections that end badly. */
	if (c->state != ST_ESTABLISHED) {
		c->w->stats.handshakes_failed++;
		c->w->stats.failed_in_state[c->state < HS_STATE_NUM ? c->state : ST_FAILED]++;
		if (hs_err_class(err) == HS_ERR_CLASS_PEER_ALERT)
			c->w->stats.failed_peer_alert[desc & 0xff]++;
		else
			c->w->stats.failed_sent_alert[desc >= 0 ? desc & 0xff : 255]++;
	}
	c->err = err;
	c->status = HS_STATUS_FAILED;
	c->state = ST_FAILED;
	/* A message half gathered goes, and its pool buffer with it. */
	if (!c->asm_.returned_buf)
		hs_msg_asm_release(&c->asm_);
	wipe_secrets(c);
	OPENSSL_cleanse(c->c_ap, sizeof(c->c_ap));
	OPENSSL_cleanse(c->s_ap, sizeof(c->s_ap));
	OPENSSL_cleanse(c->kb_export, sizeof(c->kb_export));
	return err;
}

void
hs_established(struct hs_conn *c)
{
	if (c->cfg->export_keys && c->version == HS_TLS12)
		memcpy(c->kb_export, c->s.key_block, sizeof(c->kb_export));
	c->state = ST_ESTABLISHED;
	c->status = HS_STATUS_ESTABLISHED;
	c->w->stats.handshakes_completed++;
	if (c->version == HS_TLS13)
		c->w->stats.completed_tls13++;
	else
		c->w->stats.completed_tls12++;
	if (hs_suite_index(c->suite) >= 0)
		c->w->stats.completed_by_suite[hs_suite_index(c->suite)]++;
	/* Only the traffic keys (inside rd/wr) are needed from here on. */
	wipe_secrets(c);
}

/* ------------------------------------------------------------------ */
/* Connections: input                                                 */
/* ------------------------------------------------------------------ */

int
hs_conn_init(struct hs_conn *c, struct hs_worker *w, uint8_t *buf, size_t len)
{
	if (c == NULL || w == NULL || buf == NULL || len < HS_CONN_BUF_SIZE)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->w = w;
	c->cfg = w->cfg;
	c->in = buf;
	/*
	 * The policy's message-size limit: up to HS_MSG_INLINE_MAX in the
	 * connection's own area, beyond in a buffer borrowed from the worker.
	 */
	hs_msg_asm_init(&c->asm_, buf + HS_CONN_IN_SIZE,
			HS_MSG_HEADER_LEN + (w->cfg->max_handshake_msg < HS_MSG_INLINE_MAX
					     ? w->cfg->max_handshake_msg : HS_MSG_INLINE_MAX));
	if (w->msg_pool != NULL)
		hs_msg_asm_set_pool(&c->asm_, w->msg_pool,
				    HS_MSG_HEADER_LEN + (size_t)w->cfg->max_handshake_msg);
	c->stage = buf + HS_CONN_IN_SIZE + HS_CONN_GATHER_SIZE;
	c->out = c->stage + HS_CONN_STAGE_SIZE;
	c->state = ST_CLIENT_HELLO;
	return 0;
}

void
hs_conn_reset(struct hs_conn *c)
{
	struct hs_worker *w = c->w;

	if (c->waiting && w != NULL) {
		for (unsigned i = 0; i < w->n_asym; i++) {
			if (w->asym_q[i] == c) {
				w->asym_q[i] = w->asym_q[--w->n_asym];
				break;
			}
		}
		/*
		 * Its key-schedule requests point into this connection: cancel
		 * them, or the next batch run would write into (and read from)
		 * memory the caller may already have reused.
		 */
		hso_kdf_batch_cancel(w->kdf, c, sizeof(*c));
	}
	wipe_secrets(c);
	hso_record_prot_wipe(&c->rd);
	hso_record_prot_wipe(&c->wr);
	hso_hash_wipe(&c->th);
	/* Plaintext and handshake messages: wipe what was ever written. */
	if (c->in != NULL) {
		OPENSSL_cleanse(c->in, c->in_hw);
		hs_msg_asm_wipe(&c->asm_);
		OPENSSL_cleanse(c->stage, c->stage_hw);
		OPENSSL_cleanse(c->out, c->out_hw);
	}
	OPENSSL_cleanse(c, sizeof(*c));
}

uint8_t *
hs_conn_recv_buf(struct hs_conn *c, size_t *room)
{
	*room = HS_CONN_IN_SIZE - c->in_len;
	return c->in + c->in_len;
}

const uint8_t *
hs_conn_send_buf(const struct hs_conn *c, size_t *len)
{
	*len = c->out_len;
	return c->out;
}

void
hs_conn_send_ack(struct hs_conn *c, size_t n)
{
	if (n > c->out_len)
		n = c->out_len;
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
}

/* Drop the record being consumed from the input buffer. */
static void
record_done(struct hs_conn *c)
{
	memmove(c->in, c->in + c->rec_len, c->in_len - c->rec_len);
	c->in_len -= c->rec_len;
	c->rec_len = 0;
	c->rec_active = false;
	c->app_off = 0;
}

/*
 * RFC 8446 5.1: "Handshake messages MUST NOT span key changes ... a record
 * containing [the message before a key change] MUST be at a record
 * boundary". True when nothing of the current record is left and no
 * message is half gathered.
 */
bool
hs_at_key_change_boundary(const struct hs_conn *c)
{
	return hs_msg_asm_idle(&c->asm_) &&
	       (!c->rec_active || hs_reader_left(&c->rec) == 0);
}

static int
handle_alert(struct hs_conn *c, const uint8_t *a, size_t len)
{
	if (len != 2)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	if (a[1] == HS_ALERT_CLOSE_NOTIFY) {
		/*
		 * TLS 1.3 with half-close: only the peer's write side is closed
		 * (RFC 8446 6.1); ours stays open until hs_conn_close(). TLS 1.2
		 * must answer and close at once (RFC 5246 7.2.1).
		 */
		if (c->status == HS_STATUS_ESTABLISHED && c->version == HS_TLS13 &&
		    c->cfg->half_close && !c->wr_shut) {
			c->rd_closed = true;
			return 0;
		}
		/* Answer with our own close_notify, unless sent already. */
		if (c->status == HS_STATUS_ESTABLISHED && !c->wr_shut)
			hs_conn_close(c);
		c->status = HS_STATUS_CLOSED;
		c->state = ST_CLOSED;
		return 0;
	}
	/*
	 * TLS 1.3: user_canceled is followed by close_notify; TLS 1.2 warnings
	 * (e.g. no_renegotiation) do not end the connection. Ignored, but not
	 * without end: a run of them and nothing else is the "SSL Death Alert"
	 * (CVE-2016-8610), a client keeping us busy for free; the fifth in a
	 * row is unexpected_message, as OpenSSL counts.
	 */
	if (a[1] == HS_ALERT_USER_CANCELED || (c->version == HS_TLS12 && a[0] == 1)) {
		if (++c->warn_alerts >= HS_WARN_ALERTS_MAX)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		return 0;
	}
	return HS_ERR_PEER_ALERT(a[1]);
}

static int
handle_handshake_msg(struct hs_conn *c, const struct hs_msg *m)
{
	struct hs_client_hello ch;
	uint16_t version;
	int rc;

	if (c->state == ST_CLIENT_HELLO) {
		if (m->type != HS_MT_CLIENT_HELLO)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		rc = hs_client_hello_parse(m->body, m->len, &ch);
		if (rc != 0)
			return rc;
		rc = hs_nego_version(&ch, &c->cfg->nego, &version);
		if (rc == 0 && version == HS_TLS12)
			rc = hs_client_hello_parse12(&ch);
		if (rc != 0)
			return rc;
		c->version = version;
		c->client_version = ch.legacy_version;
		return version == HS_TLS13 ? hs13_client_hello(c, &ch, m)
					   : hs12_client_hello(c, &ch, m);
	}
	if (c->state == ST_ESTABLISHED && m->type == HS_MT_CLIENT_HELLO &&
	    c->version == HS_TLS12) {
		/*
		 * Renegotiation is refused (RFC 5746 4.4 allows a server to):
		 * a warning no_renegotiation, as OpenSSL sends, and go on.
		 */
		static const uint8_t warn[2] = { 1, HS_ALERT_NO_RENEGOTIATION };

		return hs_write_record(c, HS_CT_ALERT, warn, 2) == 0 ? 0 : HS_ERR_INTERNAL;
	}
	return c->version == HS_TLS13 ? hs13_handshake_msg(c, m) : hs12_handshake_msg(c, m);
}

/* Decrypt the whole record at in[0..rec_len); set c->rec over its content. */
static int
open_record(struct hs_conn *c, const struct hs_record *r)
{
	uint8_t type = r->type;
	int n;

	if (!c->rd_on) {
		hs_reader_init(&c->rec, r->frag, r->len);
		c->rec_type = type;
		return 0;
	}
	if (c->version == HS_TLS13) {
		n = hso_tls13_record_open(&c->rd, c->in, c->rec_len,
					  c->in + HS_RECORD_HEADER_LEN, &type);
		if (n >= 0)
			hs_reader_init(&c->rec, c->in + HS_RECORD_HEADER_LEN, (size_t)n);
	} else {
		size_t off = hso_record_prot_payload_offset(&c->rd);

		n = hso_tls12_record_open(&c->rd, c->in, c->rec_len, c->in + off);
		if (n >= 0)
			hs_reader_init(&c->rec, c->in + off, (size_t)n);
	}
	switch (n) {
	case -EBADMSG:
		return HS_ERR_ALERT(HS_ALERT_BAD_RECORD_MAC);
	case -EMSGSIZE:
		return HS_ERR_ALERT(HS_ALERT_RECORD_OVERFLOW);
	case -EPROTO:
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	default:
		if (n < 0)
			return HS_ERR_INTERNAL;
	}
	c->rec_type = type;
	/*
	 * RFC 8446 4.2.10: "Once a record is deprotected successfully, it is
	 * treated as the start of the client's second flight": no more
	 * skipping of undecryptable early data.
	 */
	c->rd_opened = true;
	c->early_skip = 0;
	return 0;
}

/* Start consuming the next whole record; 0 when one is active, 1 when none. */
static int
next_record(struct hs_conn *c)
{
	struct hs_record r;
	size_t max = !c->rd_on ? HS_RECORD_PLAINTEXT_MAX
		     : c->version == HS_TLS13 ? HS_RECORD_CIPHERTEXT_MAX_13
					      : HS_RECORD_CIPHERTEXT_MAX_12;
	bool may_skip;
	int n, rc;

	n = hs_record_parse(c->in, c->in_len, max, &r);
	if (n <= 0)
		return n < 0 ? n : 1;
	c->rec_len = (size_t)n;
	c->rec_active = true;
	c->app_off = 0;

	/*
	 * RFC 8446 5: a change_cipher_spec record consisting of the single
	 * byte 0x01, received between the first ClientHello and the peer's
	 * Finished, "MUST simply" be dropped; any other is unexpected_message.
	 * In TLS 1.2 it switches the read keys (RFC 5246 7.1).
	 */
	if (r.type == HS_CT_CHANGE_CIPHER_SPEC) {
		if (r.len != 1 || r.frag[0] != 1 || !hs_msg_asm_idle(&c->asm_))
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		if (c->version == HS_TLS13) {
			if (c->ccs_seen || c->state == ST_CLIENT_HELLO ||
			    c->state == ST_ESTABLISHED)
				return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
			c->ccs_seen = true;
			record_done(c);
			return 0;
		}
		record_done(c);
		return hs12_change_cipher_spec(c);
	}
	/*
	 * Protected TLS 1.3 records all say application_data outside. One
	 * exception: until the client's first protected record, it may not
	 * have our handshake keys (it rejected our ServerHello) and alerts in
	 * plaintext, as OpenSSL lets it; take that as its alert.
	 */
	if (c->rd_on && c->version == HS_TLS13 && r.type != HS_CT_APPLICATION_DATA) {
		if (r.type == HS_CT_ALERT && r.len == 2 && !c->rd_opened &&
		    c->state == ST13_CLIENT_FINISHED && hs_msg_asm_idle(&c->asm_)) {
			rc = handle_alert(c, r.frag, r.len);
			record_done(c);
			return rc;
		}
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	}
	/*
	 * 0-RTT refused (RFC 8446 4.2.10): skip records under the early keys
	 * (they fail to decrypt under the handshake keys, or come before the
	 * second ClientHello) up to a budget; past it, fail as usual.
	 */
	may_skip = c->early_skip >= c->rec_len && r.type == HS_CT_APPLICATION_DATA &&
		   c->version == HS_TLS13 && c->status == HS_STATUS_HANDSHAKING;
	rc = c->rd_on || !may_skip ? open_record(c, &r) : HS_ERR_ALERT(HS_ALERT_BAD_RECORD_MAC);
	if (may_skip && rc == HS_ERR_ALERT(HS_ALERT_BAD_RECORD_MAC)) {
		c->early_skip -= (uint32_t)c->rec_len;
		record_done(c);
		return 0;
	}
	if (rc != 0)
		return rc;
	/* RFC 8446 5.1: handshake messages MUST NOT be interleaved with other types. */
	if (c->rec_type != HS_CT_HANDSHAKE && !hs_msg_asm_idle(&c->asm_))
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (c->rec_type != HS_CT_ALERT)
		c->warn_alerts = 0;
	switch (c->rec_type) {
	case HS_CT_ALERT:
		rc = handle_alert(c, c->rec.p, c->rec.len);
		record_done(c);
		return rc;
	case HS_CT_HANDSHAKE:
		/* "Implementations MUST NOT send zero-length fragments of Handshake types." */
		if (c->rec.len == 0)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		return 0;
	case HS_CT_APPLICATION_DATA:
		if (c->status != HS_STATUS_ESTABLISHED)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		return 0;
	default:
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	}
}

/* Consume input until it runs out, the connection waits or fails. */
static int
hs_process(struct hs_conn *c)
{
	int rc;

	while (!c->waiting && c->status != HS_STATUS_FAILED &&
	       c->status != HS_STATUS_CLOSED && !c->rd_closed) {
		if (!c->rec_active) {
			rc = next_record(c);
			if (rc == 1)
				return 0;
			if (rc < 0)
				return hs_fail(c, rc);
			continue;
		}
		if (c->rec_type == HS_CT_APPLICATION_DATA) {
			if (c->app_off < c->rec.len)
				return 0;       /* the application reads it */
			record_done(c);
			continue;
		}
		/* Handshake content: take whole messages one at a time. */
		{
			struct hs_msg m;

			rc = hs_msg_next(&c->asm_, &c->rec, &m);
			if (rc < 0)
				return hs_fail(c, rc);
			if (rc == 0) {
				record_done(c);
				continue;
			}
			rc = handle_handshake_msg(c, &m);
			/* Used up: a pool buffer it came in goes back now. */
			hs_msg_asm_consumed(&c->asm_);
			if (rc < 0)
				return hs_fail(c, rc);
		}
	}
	return c->status == HS_STATUS_FAILED ? c->err : 0;
}

int
hs_conn_recv_ack(struct hs_conn *c, size_t n)
{
	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (n > HS_CONN_IN_SIZE - c->in_len)
		return hs_fail(c, HS_ERR_INTERNAL);
	/* RFC 8446 6.1: data after a closure alert MUST be ignored. */
	if (c->rd_closed || c->status == HS_STATUS_CLOSED)
		return 0;
	c->in_len += n;
	if (c->in_len > c->in_hw)
		c->in_hw = c->in_len;
	return hs_process(c);
}

/* ------------------------------------------------------------------ */
/* Application data                                                   */
/* ------------------------------------------------------------------ */

int
hs_conn_app_read(struct hs_conn *c, uint8_t *dst, size_t cap)
{
	size_t n;

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (!c->rec_active || c->rec_type != HS_CT_APPLICATION_DATA)
		return 0;
	n = c->rec.len - c->app_off;
	if (n > cap)
		n = cap;
	memcpy(dst, c->rec.p + c->app_off, n);
	c->app_off += n;
	if (c->app_off == c->rec.len) {
		record_done(c);
		hs_process(c);
	}
	return (int)n;
}

size_t
hs_conn_app_pending(const struct hs_conn *c)
{
	if (c->status == HS_STATUS_FAILED || !c->rec_active ||
	    c->rec_type != HS_CT_APPLICATION_DATA)
		return 0;
	return c->rec.len - c->app_off;
}

int
hs_conn_app_write(struct hs_conn *c, const uint8_t *src, size_t len)
{
	size_t done = 0;

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->status != HS_STATUS_ESTABLISHED)
		return -ENOTCONN;
	if (c->wr_shut)
		return -EPIPE;
	while (done < len) {
		size_t n = len - done;

		if (n > HS_RECORD_PLAINTEXT_MAX)
			n = HS_RECORD_PLAINTEXT_MAX;
		if (HS_CONN_OUT_SIZE - c->out_len < n + HS_CONN_RECORD_OVERHEAD)
			break;
		if (hs_write_record(c, HS_CT_APPLICATION_DATA, src + done, n) != 0)
			return hs_fail(c, HS_ERR_INTERNAL);
		done += n;
	}
	return (int)done;
}

int
hs_conn_close(struct hs_conn *c)
{
	static const uint8_t close_notify[2] = { 1, HS_ALERT_CLOSE_NOTIFY };

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->state != ST_CLOSED && !c->wr_shut &&
	    hs_write_record(c, HS_CT_ALERT, close_notify, 2) != 0)
		return hs_fail(c, HS_ERR_INTERNAL);
	c->status = HS_STATUS_CLOSED;
	c->state = ST_CLOSED;
	return 0;
}

int
hs_conn_shutdown(struct hs_conn *c)
{
	static const uint8_t close_notify[2] = { 1, HS_ALERT_CLOSE_NOTIFY };

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->status != HS_STATUS_ESTABLISHED)
		return -ENOTCONN;
	if (c->wr_shut)
		return 0;
	if (hs_write_record(c, HS_CT_ALERT, close_notify, 2) != 0)
		return hs_fail(c, HS_ERR_INTERNAL);
	c->wr_shut = true;
	if (c->rd_closed) {
		/* Both sides closed now. */
		c->status = HS_STATUS_CLOSED;
		c->state = ST_CLOSED;
	}
	return 0;
}

bool
hs_conn_peer_closed(const struct hs_conn *c)
{
	return c->rd_closed;
}

int
hs_conn_export_keys(const struct hs_conn *c, struct hs_traffic_keys *k)
{
	size_t kl, il;

	if (!c->cfg->export_keys)
		return -EPERM;
	if (c->status != HS_STATUS_ESTABLISHED)
		return -ENOTCONN;
	memset(k, 0, sizeof(*k));
	kl = c->si->key_len;
	k->version = c->version;
	k->suite = c->suite;
	k->alg = hs_aead_alg(c);
	k->key_len = (uint8_t)kl;
	memcpy(k->client_random, c->client_random, sizeof(k->client_random));
	k->c_seq = hso_record_prot_seq(&c->rd);
	k->s_seq = hso_record_prot_seq(&c->wr);
	if (c->version == HS_TLS13) {
		struct hso_hmac_key hk;
		size_t hl = hs_hash_len(c);
		int rc = 0;

		k->iv_len = HSO_AEAD_NONCE_LEN;
		k->secret_len = (uint8_t)hl;
		memcpy(k->c_secret, c->c_ap, hl);
		memcpy(k->s_secret, c->s_ap, hl);
		/* RFC 8446 7.3: [sender]_write_key / _iv from the traffic secret. */
		hso_hmac_key_init(&hk, hs_kdf_hash(c), c->c_ap, hl);
		rc |= hso_kdf_expand_label_lean(&hk, "key", 3, NULL, 0, k->c_key, kl);
		rc |= hso_kdf_expand_label_lean(&hk, "iv", 2, NULL, 0, k->c_iv, HSO_AEAD_NONCE_LEN);
		hso_hmac_key_init(&hk, hs_kdf_hash(c), c->s_ap, hl);
		rc |= hso_kdf_expand_label_lean(&hk, "key", 3, NULL, 0, k->s_key, kl);
		rc |= hso_kdf_expand_label_lean(&hk, "iv", 2, NULL, 0, k->s_iv, HSO_AEAD_NONCE_LEN);
		hso_hmac_key_wipe(&hk);
		if (rc != 0) {
			OPENSSL_cleanse(k, sizeof(*k));
			return -EIO;
		}
	} else {
		/* key_block = client key, server key, client IV, server IV. */
		il = k->alg == HSO_AEAD_CHACHA20_POLY1305 ? 12 : 4;
		k->iv_len = (uint8_t)il;
		memcpy(k->c_key, c->kb_export, kl);
		memcpy(k->s_key, c->kb_export + kl, kl);
		memcpy(k->c_iv, c->kb_export + 2 * kl, il);
		memcpy(k->s_iv, c->kb_export + 2 * kl + il, il);
	}
	c->w->stats.keys_exported++;
	return 0;
}

void
hs_conn_session_info(const struct hs_conn *c, struct hs_session_info *info)
{
	memset(info, 0, sizeof(*info));
	info->version = c->version;
	info->suite = c->suite;
	info->suite_name = c->si != NULL ? c->si->name : "";
	info->group = c->group;
	info->sigalg = c->sigalg;
	info->ems = c->ems;
	info->sni = c->sni;
	info->alpn = c->alpn;
	info->alpn_len = c->alpn_len;
	info->cert = c->resumed ? NULL : c->cert;
	info->resumed = c->resumed;
}
