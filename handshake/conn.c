/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connections: life cycle (init, failure, establishment, reset), what a
 * completed handshake negotiated, exported keys, and the server's first
 * step (a ClientHello picks the version and with it the ops table).
 * Contract: handshake.h.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine_priv.h"
#include "hs_client.h"


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

void
hs_wipe_secrets(struct hs_conn *c)
{
	struct hs_hctx *hx = c->hx;

	if (hx == NULL)
		return;
	if (c->ccfg != NULL)
		hs_client_release(c);
	OPENSSL_cleanse(&hx->s, sizeof(hx->s));
	OPENSSL_cleanse(hx->peer_kx, sizeof(hx->peer_kx));
	hso_ecdhe_key_clear(&hx->eph);
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
	/*
	 * Count handshakes that failed, not established connections that end
	 * badly, nor connections refused for want of a context (the pool
	 * counts those).
	 */
	if (c->state != ST_ESTABLISHED && err != HS_ERR_NO_HCTX) {
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
	if (c->hx != NULL && !c->hx->asm_.returned_buf)
		hs_msg_asm_release(&c->hx->asm_);
	hs_wipe_secrets(c);
	OPENSSL_cleanse(c->c_ap, sizeof(c->c_ap));
	OPENSSL_cleanse(c->s_ap, sizeof(c->s_ap));
	OPENSSL_cleanse(c->kb_export, sizeof(c->kb_export));
	return err;
}

void
hs_established(struct hs_conn *c)
{
	c->state = ST_ESTABLISHED;
	c->status = HS_STATUS_ESTABLISHED;
	c->w->stats.handshakes_completed++;
	if (c->ops->completed_stat != HS_STAT_NONE)
		(*(uint64_t *)((uint8_t *)&c->w->stats + c->ops->completed_stat))++;
	if (hs_suite_index(c->suite) >= 0)
		c->w->stats.completed_by_suite[hs_suite_index(c->suite)]++;
	/* Only the traffic keys (inside rd/wr) are needed from here on. */
	hs_wipe_secrets(c);
}

/* The resident part must stay small: it is what every idle connection costs. */
_Static_assert(sizeof(struct hs_conn) <= HS_CONN_RESIDENT_MAX,
	       "struct hs_conn over its budget (HS_CONN_RESIDENT_MAX)");

int
hs_hctx_get(struct hs_conn *c)
{
	struct hs_worker *w = c->w;
	/* The message-size limit and its pool: the worker's config's (as before). */
	const struct hs_config *mc = c->ccfg != NULL ? w->cfg : c->cfg;
	struct hs_hctx *hx;

	if (c->hx != NULL)
		return 0;
	hx = (struct hs_hctx *)hs_buf_pool_get(w->hctx_pool);
	if (hx == NULL)
		return HS_ERR_NO_HCTX;
	/* All zeros (hs_hctx_put() wiped everything written): set what is not. */
	hs_msg_asm_init(&hx->asm_, hx->gather,
			HS_MSG_HEADER_LEN + (mc->max_handshake_msg < HS_MSG_INLINE_MAX
					     ? mc->max_handshake_msg : HS_MSG_INLINE_MAX));
	if (w->msg_pool != NULL)
		hs_msg_asm_set_pool(&hx->asm_, w->msg_pool,
				    HS_MSG_HEADER_LEN + (size_t)mc->max_handshake_msg);
	hx->stage_cap = HS_CONN_STAGE_SIZE;
	if (c->ccfg != NULL) {
		/* The stage's tail keeps the ticket offered, then the one received. */
		hx->stage_cap = HS_CONN_STAGE_SIZE - HS_CLIENT_TICKET_MAX;
		hx->ticket_area = hx->stage + hx->stage_cap;
		hx->key_slot[0] = hx->key_slot[1] = -1;
		hx->pms_slot = -1;
	}
	c->hx = hx;
	return 0;
}

void
hs_hctx_put(struct hs_conn *c)
{
	struct hs_hctx *hx = c->hx;

	if (hx == NULL)
		return;
	hs_wipe_secrets(c);
	hso_hash_wipe(&hx->th);
	/* Plaintext and handshake messages: wipe what was ever written. */
	hs_msg_asm_wipe(&hx->asm_);
	OPENSSL_cleanse(hx->in, hx->in_hw);
	OPENSSL_cleanse(hx->stage, hx->stage_hw);
	if (hx->ticket_area != NULL)
		OPENSSL_cleanse(hx->ticket_area, HS_CLIENT_TICKET_MAX);
	OPENSSL_cleanse(hx->out, hx->out_hw);
	OPENSSL_cleanse(hx, offsetof(struct hs_hctx, in));
	hs_buf_pool_put(c->w->hctx_pool, (uint8_t *)hx, 0);
	c->hx = NULL;
}

bool
hs_conn_hctx_held(const struct hs_conn *c)
{
	return c->hx != NULL;
}

int
hs_conn_hctx_release(struct hs_conn *c)
{
	struct hs_hctx *hx = c->hx;

	if (hx == NULL)
		return 0;
	/*
	 * Not while the worker may still run a job on it, nor with output to
	 * take, nor with copy-path input to read or a ticket being gathered
	 * (a TLS 1.3 client's); a failed or closed connection's input is
	 * garbage or ignored.
	 */
	if (c->status == HS_STATUS_HANDSHAKING || c->waiting || hx->out_len > 0 ||
	    c->ph_mode == HS_PH_GATHER ||
	    (c->status == HS_STATUS_ESTABLISHED && hx->in_len > 0))
		return -EBUSY;
	hs_hctx_put(c);
	return 0;
}

int
hs_conn_init(struct hs_conn *c, struct hs_worker *w, uint8_t *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (c == NULL || w == NULL)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->w = w;
	c->cfg = w->cfg;
	c->state = ST_CLIENT_HELLO;
	c->ops = &hs_server_hello_ops;
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
		 * Its key-schedule requests point into this connection and its
		 * context: cancel them, or the next batch run would write into
		 * (and read from) memory the caller may already have reused.
		 */
		hso_kdf_batch_cancel(w->kdf, c, sizeof(*c));
		if (c->hx != NULL)
			hso_kdf_batch_cancel(w->kdf, c->hx, sizeof(*c->hx));
	}
	if (w != NULL) {
		hs_hctx_put(c);
		hs_dir_wipe(c, &c->rd);
		hs_dir_wipe(c, &c->wr);
	}
	OPENSSL_cleanse(c, sizeof(*c));
}

/*
 * The server's first message: the ClientHello picks the version, and with
 * it the ops table of the rest of the connection.
 */
static int
server_first_msg(struct hs_conn *c, const struct hs_msg *m)
{
	struct hs_client_hello ch;
	uint16_t version;
	int rc;

	if (c->state != ST_CLIENT_HELLO || m->type != HS_MT_CLIENT_HELLO)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	rc = hs_client_hello_parse(m->body, m->len, &ch);
	if (rc != 0)
		return rc;
	rc = hs_nego_version(&ch, &c->cfg->nego, &version);
	/* What only TLS 1.2 acts on is decoded once TLS 1.2 is chosen. */
	if (rc == 0 && version == HS_TLS12)
		rc = hs_client_hello_parse12(&ch);
	if (rc != 0)
		return rc;
	c->version = version;
	c->hx->client_version = ch.legacy_version;
	c->ops = version == HS_TLS13 ? &hs13_server_ops : &hs12_server_ops;
	return c->ops->client_hello(c, &ch, m);
}

/* A change_cipher_spec where the state allows none. */
int
hs_ccs_refuse(struct hs_conn *c)
{
	(void)c;
	return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
}

/* resume() of a state that never waits. */
int
hs_resume_none(struct hs_conn *c)
{
	(void)c;
	return HS_ERR_INTERNAL;
}

static int
no_export(const struct hs_conn *c, struct hs_traffic_keys *k)
{
	(void)c;
	(void)k;
	return -ENOTCONN;
}

/* Nothing is protected before the version is known. */
static int
no_outer_type(struct hs_conn *c, const struct hs_record *r)
{
	(void)c;
	(void)r;
	return HS_ERR_INTERNAL;
}

const struct hs_proto_ops hs_server_hello_ops = {
	.name = "server-hello",
	.ct_max = HS_RECORD_PLAINTEXT_MAX,
	.outer_type = no_outer_type,
	.change_cipher_spec = hs_ccs_refuse,
	.handshake_msg = server_first_msg,
	.resume = hs_resume_none,
	.export_keys = no_export,
	.completed_stat = HS_STAT_NONE,
};

int
hs_conn_export_keys(const struct hs_conn *c, struct hs_traffic_keys *k)
{
	int rc;

	if (!c->cfg->export_keys)
		return -EPERM;
	if (c->status != HS_STATUS_ESTABLISHED)
		return -ENOTCONN;
	if (c->hx == NULL)
		return -ENOENT;
	memset(k, 0, sizeof(*k));
	k->version = c->version;
	k->suite = c->suite;
	k->alg = hs_aead_alg(c);
	k->key_len = c->si->key_len;
	memcpy(k->client_random, c->hx->client_random, sizeof(k->client_random));
	/* The client's records are the ones a server reads, and vice versa. */
	k->c_seq = (c->ccfg != NULL ? &c->wr : &c->rd)->seq;
	k->s_seq = (c->ccfg != NULL ? &c->rd : &c->wr)->seq;
	rc = c->ops->export_keys(c, k);
	if (rc != 0) {
		OPENSSL_cleanse(k, sizeof(*k));
		return rc;
	}
	c->w->stats.keys_exported++;
	return 0;
}

int
hs13_export_keys(const struct hs_conn *c, struct hs_traffic_keys *k)
{
	struct hso_hmac_key hk;
	size_t hl = hs_hash_len(c), kl = k->key_len;
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
	return rc != 0 ? -EIO : 0;
}

int
hs12_export_keys(const struct hs_conn *c, struct hs_traffic_keys *k)
{
	size_t kl = k->key_len;
	/* RFC 5288 3: 4-byte salt for GCM; RFC 7905 2: 12-byte IV for ChaCha20. */
	size_t il = k->alg == HSO_AEAD_CHACHA20_POLY1305 ? 12 : 4;

	/* key_block = client key, server key, client IV, server IV. */
	k->iv_len = (uint8_t)il;
	memcpy(k->c_key, c->kb_export, kl);
	memcpy(k->s_key, c->kb_export + kl, kl);
	memcpy(k->c_iv, c->kb_export + 2 * kl, il);
	memcpy(k->s_iv, c->kb_export + 2 * kl + il, il);
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
	info->sni = c->hx != NULL ? c->hx->sni : "";
	info->alpn = c->alpn != NULL ? c->alpn : (const uint8_t *)"";
	info->alpn_len = c->alpn_len;
	info->cert = c->resumed ? NULL : c->cert;
	info->resumed = c->resumed;
	info->ocsp_stapled = c->hx != NULL && c->hx->staple;
}
