/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Record keys as a connection keeps them (struct hs_dir: raw key, IV,
 * sequence number) and the worker's cache of expanded keys.
 *
 * Why a cache: ipsec-mb's AES-GCM works from an expanded key (round keys and
 * GHASH key powers: 1 KiB with its VAES/AVX-512 layout, 0.4 us to compute),
 * two per connection. Kept in every connection that is 2.3 KiB per idle
 * connection; recomputed per record it doubles the cost of a small record.
 * The cache holds the expanded keys of the connections used last: a hit is
 * one compare, a miss one expansion. Entries are replaced by a clock (a
 * used bit each, a hand that clears them), with a bounded scan so that a
 * miss is O(1). A key id (hs_dir.kid, unique per worker, never reused)
 * names the key an entry holds, so a connection that was reset, or whose
 * key changed, can never find someone else's key; the entry of a retired
 * key is wiped when its owner retires it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

#include "engine_priv.h"

/* Entries the clock hand looks at, at most, before it takes one in use. */
#define KC_SCAN 8

struct hs_key_cache *
hs_key_cache_create(unsigned n)
{
	struct hs_key_cache *kc;

	if (n == 0) {
		errno = EINVAL;
		return NULL;
	}
	kc = calloc(1, sizeof(*kc));
	if (kc == NULL)
		return NULL;
	/* Page-aligned, zero, touched only as entries are first used. */
	kc->map_len = (size_t)n * sizeof(kc->e[0]);
	kc->e = mmap(NULL, kc->map_len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (kc->e == MAP_FAILED) {
		free(kc);
		errno = ENOMEM;
		return NULL;
	}
	kc->n = n;
	return kc;
}

void
hs_key_cache_free(struct hs_key_cache *kc)
{
	if (kc == NULL)
		return;
	/* Entries in use hold expanded keys; untouched pages cost nothing to read. */
	for (unsigned i = 0; i < kc->n; i++)
		if (kc->e[i].kid != 0)
			hso_aead_key_wipe(&kc->e[i].key);
	munmap(kc->e, kc->map_len);
	free(kc);
}

/* Wipe the cache entry that holds @p d's current key, if one does. */
static void
dir_uncache(struct hs_key_cache *kc, struct hs_dir *d)
{
	struct hs_kc_entry *e;

	if (kc == NULL || d->kid == 0 || d->slot >= kc->n)
		return;
	e = &kc->e[d->slot];
	if (e->kid == d->kid) {
		hso_aead_key_wipe(&e->key);
		e->kid = 0;
		e->ref = 0;
	}
}

int
hs_dir_set(struct hs_conn *c, struct hs_dir *d, enum hso_tls_ver ver, const uint8_t *key,
	   const uint8_t *iv, size_t iv_len)
{
	enum hso_aead_alg alg = hs_aead_alg(c);
	size_t kl = c->si->key_len;

	if (kl != hso_aead_key_len(alg) || iv_len > sizeof(d->iv) ||
	    iv_len != (ver == HSO_TLS12 && alg != HSO_AEAD_CHACHA20_POLY1305
		       ? HSO_TLS12_GCM_SALT_LEN : HSO_AEAD_NONCE_LEN))
		return -EINVAL;
	hs_dir_wipe(c, d);
	memcpy(d->key, key, kl);
	memcpy(d->iv, iv, iv_len);
	d->key_len = (uint8_t)kl;
	d->alg = (uint8_t)alg;
	d->ver = (uint8_t)ver;
	d->seq = 0;
	d->exhausted = false;
	d->kid = ++c->w->kc->next_kid;
	return 0;
}

void
hs_dir_wipe(struct hs_conn *c, struct hs_dir *d)
{
	dir_uncache(c->w != NULL ? c->w->kc : NULL, d);
	OPENSSL_cleanse(d, sizeof(*d));
}

const struct hso_aead_key *
hs_dir_key(struct hs_conn *c, struct hs_dir *d)
{
	struct hs_worker *w = c->w;
	struct hs_key_cache *kc = w->kc;
	struct hs_kc_entry *e;

	if (d->slot < kc->n && kc->e[d->slot].kid == d->kid && d->kid != 0) {
		e = &kc->e[d->slot];
		e->ref = 1;
		w->stats.key_cache_hits++;
		return &e->key;
	}
	for (unsigned i = 0; i < KC_SCAN; i++) {
		e = &kc->e[kc->hand];
		if (e->kid == 0 || !e->ref)
			break;
		e->ref = 0;
		kc->hand = (kc->hand + 1) % kc->n;
	}
	d->slot = kc->hand;
	e = &kc->e[kc->hand];
	kc->hand = (kc->hand + 1) % kc->n;
	w->stats.key_cache_misses++;
	if (hso_aead_key_init(&e->key, &w->imb, (enum hso_aead_alg)d->alg, d->key,
			      d->key_len) != 0) {
		e->kid = 0;
		return NULL;
	}
	e->kid = d->kid;
	e->ref = 1;
	return &e->key;
}

static inline bool
dir_tls12_gcm(const struct hs_dir *d)
{
	return d->ver == HSO_TLS12 && d->alg != HSO_AEAD_CHACHA20_POLY1305;
}

size_t
hs_dir_head(const struct hs_dir *d)
{
	return HS_RECORD_HEADER_LEN + (dir_tls12_gcm(d) ? HSO_TLS12_GCM_EXPLICIT_LEN : 0);
}

size_t
hs_dir_tail(const struct hs_dir *d)
{
	return HSO_AEAD_TAG_LEN + (d->ver == HSO_TLS13 ? 1 : 0);
}

void
hs_dir_nonce(const struct hs_dir *d, uint64_t seq, uint8_t nonce[HSO_AEAD_NONCE_LEN])
{
	if (dir_tls12_gcm(d)) {
		/* GCMNonce = salt (4, implicit) || nonce_explicit (8) (RFC 5288 3). */
		memcpy(nonce, d->iv, HSO_TLS12_GCM_SALT_LEN);
		for (int i = 0; i < 8; i++)
			nonce[HSO_TLS12_GCM_SALT_LEN + i] = (uint8_t)(seq >> (56 - 8 * i));
		return;
	}
	/*
	 * "The 64-bit record sequence number is encoded in network byte order
	 * and padded to the left with zeros to iv_length. The padded sequence
	 * number is XORed with either the static client_write_iv or
	 * server_write_iv" (RFC 8446 5.3; RFC 7905 2 for TLS 1.2).
	 */
	memcpy(nonce, d->iv, HSO_AEAD_NONCE_LEN);
	for (int i = 0; i < 8; i++)
		nonce[HSO_AEAD_NONCE_LEN - 1 - i] ^= (uint8_t)(seq >> (8 * i));
}

/*
 * Use the current sequence number: -EOVERFLOW once all 2^64 are used
 * ("If a TLS implementation would need to wrap a sequence number, it MUST
 * either rekey (Section 4.6.3) or terminate the connection", RFC 8446 5.3).
 */
int
hs_dir_seq_check(const struct hs_dir *d)
{
	return d->exhausted ? -EOVERFLOW : 0;
}

void
hs_dir_seq_advance(struct hs_dir *d)
{
	if (++d->seq == 0)
		d->exhausted = true;
}
