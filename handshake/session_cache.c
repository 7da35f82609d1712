/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-worker TLS 1.2 session-id cache; see session_cache.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "session_cache.h"

#define SC_MAX HS_SESSION_CACHE_MAX
#define EMPTY 0u        /* index slot holds nothing; else ring slot + 1 */

struct sc_entry {
	uint8_t id[32];
	bool used;
	struct hs_ticket t;
};

struct hs_session_cache {
	unsigned n;             /* ring entries */
	unsigned head;          /* next ring slot to fill (the oldest) */
	unsigned count;
	unsigned mask;          /* index size - 1 (power of two, >= 2n) */
	uint32_t *index;
	struct sc_entry *ring;
};

/* Session ids are random: their first bytes are a good enough hash. */
static unsigned
home(const struct hs_session_cache *sc, const uint8_t id[32])
{
	uint32_t h;

	memcpy(&h, id, sizeof(h));
	return h & sc->mask;
}

/* Index slots for @p n entries: a power of two, at least 2n. */
static unsigned
index_size(unsigned n)
{
	unsigned m = 2;

	while (m < 2 * n)
		m <<= 1;
	return m;
}

size_t
hs_session_cache_mem_size(unsigned n)
{
	if (n == 0)
		return 0;
	return sizeof(struct hs_session_cache) + (size_t)index_size(n) * sizeof(uint32_t) +
	       (size_t)n * sizeof(struct sc_entry);
}

struct hs_session_cache *
hs_session_cache_create(unsigned n)
{
	struct hs_session_cache *sc;
	unsigned m;

	if (n == 0 || n > SC_MAX) {
		errno = EINVAL;
		return NULL;
	}
	m = index_size(n);
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return NULL;
	sc->n = n;
	sc->mask = m - 1;
	sc->index = calloc(m, sizeof(*sc->index));
	sc->ring = calloc(n, sizeof(*sc->ring));
	if (sc->index == NULL || sc->ring == NULL) {
		hs_session_cache_free(sc);
		errno = ENOMEM;
		return NULL;
	}
	return sc;
}

void
hs_session_cache_free(struct hs_session_cache *sc)
{
	if (sc == NULL)
		return;
	if (sc->ring != NULL)
		OPENSSL_cleanse(sc->ring, (size_t)sc->n * sizeof(*sc->ring));
	free(sc->ring);
	free(sc->index);
	free(sc);
}

/* Index slot holding @p id, or -1. */
static long
find(const struct hs_session_cache *sc, const uint8_t id[32])
{
	for (unsigned i = home(sc, id), probes = 0; probes <= sc->mask;
	     i = (i + 1) & sc->mask, probes++) {
		uint32_t v = sc->index[i];

		if (v == EMPTY)
			return -1;
		if (CRYPTO_memcmp(sc->ring[v - 1].id, id, 32) == 0)
			return (long)i;
	}
	return -1;
}

/* Remove index slot @p i, shifting later members of its cluster back. */
static void
index_remove(struct hs_session_cache *sc, unsigned i)
{
	unsigned j = i;

	sc->index[i] = EMPTY;
	for (;;) {
		unsigned k;

		j = (j + 1) & sc->mask;
		if (sc->index[j] == EMPTY)
			return;
		k = home(sc, sc->ring[sc->index[j] - 1].id);
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		sc->index[i] = sc->index[j];
		sc->index[j] = EMPTY;
		i = j;
	}
}

static void
entry_drop(struct hs_session_cache *sc, unsigned slot)
{
	long i = find(sc, sc->ring[slot].id);

	if (i >= 0)
		index_remove(sc, (unsigned)i);
	OPENSSL_cleanse(&sc->ring[slot], sizeof(sc->ring[slot]));
	sc->count--;
}

int
hs_session_cache_put(struct hs_session_cache *sc, const uint8_t id[32],
		     const struct hs_ticket *t)
{
	unsigned slot = sc->head, i;
	int evicted = 0;
	long old = find(sc, id);

	if (old >= 0)       /* same id again (cannot happen with random ids) */
		entry_drop(sc, sc->index[old] - 1);
	if (sc->ring[slot].used) {
		entry_drop(sc, slot);
		evicted = 1;
	}
	memcpy(sc->ring[slot].id, id, 32);
	sc->ring[slot].t = *t;
	sc->ring[slot].used = true;
	for (i = home(sc, id); sc->index[i] != EMPTY; i = (i + 1) & sc->mask)
		;
	sc->index[i] = slot + 1;
	sc->head = (slot + 1) % sc->n;
	sc->count++;
	return evicted;
}

bool
hs_session_cache_get(struct hs_session_cache *sc, const uint8_t id[32],
		     uint64_t now_ms, struct hs_ticket *t)
{
	long i = find(sc, id);
	unsigned slot;
	uint64_t age;

	if (i < 0)
		return false;
	slot = sc->index[i] - 1;
	age = now_ms > sc->ring[slot].t.issued_ms ? now_ms - sc->ring[slot].t.issued_ms : 0;
	if (age > (uint64_t)sc->ring[slot].t.lifetime * 1000u) {
		entry_drop(sc, slot);
		return false;
	}
	*t = sc->ring[slot].t;
	return true;
}

unsigned
hs_session_cache_count(const struct hs_session_cache *sc)
{
	return sc->count;
}
