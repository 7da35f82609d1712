/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker crypto batch, shared by client and server connections:
 * queued asymmetric jobs run one after another, then every queued
 * key-derivation request runs as one multi-buffer batch (crypto_kdf.h),
 * then each waiting connection resumes through its version's ops table.
 * Also the worker's pool of pre-generated ECDHE keys. Contract: handshake.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine_priv.h"
#include "session_cache.h"

/* Most asym + KDF rounds one hs_worker_run() takes (a flight needs <= 4). */
#define HS_WORKER_MAX_ROUNDS 8
/* KDF requests a connection queues at most in one round. */
#define HS_KDF_PER_CONN 12

/* ------------------------------------------------------------------ */
/* Workers                                                            */
/* ------------------------------------------------------------------ */

struct hs_worker *
hs_worker_create(const struct hs_config *cfg, unsigned max_conns)
{
	struct hs_worker *w;
	unsigned n_hctx;
	int rc;

	n_hctx = cfg != NULL && cfg->max_handshakes != 0 ? cfg->max_handshakes : max_conns;
	if (cfg == NULL || n_hctx == 0 || n_hctx > HS_MAX_HANDSHAKES_LIMIT ||
	    cfg->max_handshake_msg > HS_MAX_MSG_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->cfg = cfg;
	/* A connection waits for crypto only while it handshakes, with a context. */
	w->max_conns = n_hctx;
	w->pool_target = HS_POOL_MAX / 2;
	rc = hso_imb_set_init(&w->imb, NULL);
	if (rc != 0) {
		free(w);
		errno = -rc;
		return NULL;
	}
	w->asym = hso_asym_ctx_create(0);
	w->kdf = hso_kdf_batch_create(&w->imb, n_hctx * HS_KDF_PER_CONN > 65536 ?
				      65536 : n_hctx * HS_KDF_PER_CONN);
	if (cfg->session_cache_size > 0 &&
	    (w->cache = hs_session_cache_create(cfg->session_cache_size)) == NULL) {
		int e = errno;

		hs_worker_free(w);
		errno = e;
		return NULL;
	}
	/* Messages above the context's own area borrow from this pool. */
	if (cfg->max_handshake_msg > HS_MSG_INLINE_MAX &&
	    (w->msg_pool = hs_buf_pool_create(cfg->large_msg_bufs,
					      HS_MSG_HEADER_LEN + cfg->max_handshake_msg,
					      &w->stats.msg_pool)) == NULL) {
		int e = errno;

		hs_worker_free(w);
		errno = e;
		return NULL;
	}
	/*
	 * Handshake contexts: n_hctx of them in one allocation, pages touched
	 * as contexts are first used; the most recently returned goes out
	 * first, so the pages in use follow the handshakes at once, not the
	 * pool's size.
	 */
	w->hctx_pool = hs_buf_pool_create(n_hctx, sizeof(struct hs_hctx), &w->stats.hctx);
	w->kc = hs_key_cache_create(cfg->key_cache != 0 ? cfg->key_cache : HS_KEY_CACHE_DEFAULT);
	w->asym_q = calloc(n_hctx, sizeof(*w->asym_q));
	w->run_q = calloc(n_hctx, sizeof(*w->run_q));
	if (w->asym == NULL || w->kdf == NULL || w->asym_q == NULL || w->run_q == NULL ||
	    w->hctx_pool == NULL || w->kc == NULL) {
		int e = errno ? errno : ENOMEM;

		hs_worker_free(w);
		errno = e;
		return NULL;
	}
	return w;
}

unsigned
hs_worker_hctx_available(const struct hs_worker *w)
{
	return w->max_conns - w->stats.hctx.in_use;
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
	if (w->cli != NULL) {
		for (int g = 0; g < 2; g++)
			for (unsigned i = 0; i < HS_CLI_KEY_SLOTS; i++)
				hso_ecdhe_key_clear(&w->cli->keys[g][i].key);
		OPENSSL_cleanse(w->cli, sizeof(*w->cli));
		free(w->cli);
	}
	hs_session_cache_free(w->cache);
	hs_buf_pool_free(w->msg_pool);
	hs_buf_pool_free(w->hctx_pool);
	hs_key_cache_free(w->kc);
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
	c->hx->eph = w->pool[g][w->pool_n[g]];
	memset(&w->pool[g][w->pool_n[g]], 0, sizeof(c->hx->eph));
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
		if (c->hx->eph.group == 0)
			rc = hso_ecdhe_key_generate(w->asym, c->group, &c->hx->eph);
		if (rc == 0)
			rc = hso_ecdhe_key_derive(w->asym, &c->hx->eph, c->hx->peer_kx,
						  c->hx->peer_kx_len, c->hx->s.shared,
						  sizeof(c->hx->s.shared), &len);
		if (rc != 0)
			return err_from_ecdhe(rc);
		if (len != sizeof(c->hx->s.shared))
			return HS_ERR_INTERNAL;
		return 0;
	case JOB_SKE:
		if (c->hx->eph.group == 0 &&
		    hso_ecdhe_key_generate(w->asym, c->group, &c->hx->eph) != 0)
			return HS_ERR_INTERNAL;
		/* Signed: client_random + server_random + ServerECDHParams. */
		memcpy(c->hx->tbs, c->hx->client_random, 32);
		memcpy(c->hx->tbs + 32, c->hx->server_random, 32);
		len = hs_ecdh_params_write(c->hx->tbs + 64, sizeof(c->hx->tbs) - 64, c->group,
					   c->hx->eph.pub, c->hx->eph.pub_len);
		if (len == 0)
			return HS_ERR_INTERNAL;
		c->hx->tbs_len = (uint16_t)(64 + len);
		/* fall through */
	case JOB_SIGN:
		rc = hso_asym_sign(w->asym, c->cert, c->sigalg, c->hx->tbs, c->hx->tbs_len,
				   c->hx->sig, sizeof(c->hx->sig), &len);
		if (rc != 0)
			return HS_ERR_INTERNAL;
		c->hx->sig_len = (uint16_t)len;
		return 0;
	case JOB_RSA:
		/*
		 * Implicit rejection: a bad padding or version gives a random
		 * premaster and 0 here; the handshake then fails at Finished
		 * exactly like a wrong Finished (RFC 5246 7.4.7.1).
		 */
		rc = hso_asym_rsa_premaster_decrypt(w->asym, c->cert, c->hx->peer_kx,
						    c->hx->peer_kx_len, c->hx->client_version,
						    0, c->hx->s.pms);
		/*
		 * Longer than the modulus or not below it: public facts, but
		 * refusing them here would be one more way for a ciphertext to
		 * fail. Go on with a random premaster like for any bad one, so
		 * every malformed ClientKeyExchange ends alike, at the client's
		 * Finished (bad_record_mac), as OpenSSL's server does.
		 */
		if (rc == -EBADMSG)
			rc = hs_random(c->hx->s.pms, sizeof(c->hx->s.pms));
		return rc == 0 ? 0 : HS_ERR_INTERNAL;
	default:
		return c->ccfg != NULL ? hs_client_run_job(w, c) : HS_ERR_INTERNAL;
	}
}

static void
resume(struct hs_conn *c)
{
	int rc;

	/* The jobs ran: a message the connection waited with can go. */
	if (c->hx != NULL)
		hs_msg_asm_consumed(&c->hx->asm_);
	if (c->status == HS_STATUS_FAILED)
		return;
	rc = c->ops->resume(c);
	if (rc < 0) {
		hs_fail(c, rc);
		return;
	}
	if (!c->waiting)
		hs_conn_process(c);
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
