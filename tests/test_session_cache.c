/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * handshake/session_cache: FIFO eviction, expiry, and lookups that agree
 * with a naive model through long random churn (the backward-shift
 * deletion must never lose or invent an entry).
 */
#include <stdlib.h>

#include "check.h"
#include "session_cache.h"

#define N 64
#define IDS 400

static uint8_t ids[IDS][32];

/*
 * The model: the same ring semantics, naively. A put takes the ring's next
 * slot (evicting whoever is there, the oldest); re-putting an id first
 * empties its old slot, which stays a hole until the ring comes around.
 */
static int ring[N], head, model_n;

static void
model_put(int id)
{
	for (int i = 0; i < N; i++)
		if (ring[i] == id) {
			ring[i] = -1;
			model_n--;
		}
	if (ring[head] != -1)
		model_n--;
	ring[head] = id;
	model_n++;
	head = (head + 1) % N;
}

static bool
model_has(int id)
{
	for (int i = 0; i < N; i++)
		if (ring[i] == id)
			return true;
	return false;
}

int
main(void)
{
	struct hs_session_cache *sc = hs_session_cache_create(N);
	struct hs_ticket t, got;
	unsigned seed = 4242;
	int mismatch = 0;

	CHECK(sc != NULL);
	for (int i = 0; i < N; i++)
		ring[i] = -1;
	CHECK(hs_session_cache_create(0) == NULL);
	srand(seed);
	for (int i = 0; i < IDS; i++)
		for (int k = 0; k < 32; k++)
			ids[i][k] = (uint8_t)rand();
	/* Force collisions in the index: many ids share their first 4 bytes. */
	for (int i = 0; i < IDS; i += 3)
		memcpy(ids[i], ids[0], 4);

	memset(&t, 0, sizeof(t));
	t.lifetime = 100;
	t.issued_ms = 1000;

	/* FIFO: the first entry goes when N + 1 are put. */
	for (int i = 0; i <= N; i++) {
		t.suite = (uint16_t)i;
		CHECK_EQ(hs_session_cache_put(sc, ids[i], &t), i == N);
		model_put(i);
	}
	CHECK(!hs_session_cache_get(sc, ids[0], 1000, &got));
	CHECK(hs_session_cache_get(sc, ids[1], 1000, &got) && got.suite == 1);
	CHECK(hs_session_cache_get(sc, ids[N], 1000, &got) && got.suite == N);
	CHECK_EQ(hs_session_cache_count(sc), N);

	/* Random churn against the model. */
	for (int op = 0; op < 200000; op++) {
		int id = rand() % IDS;

		if (rand() % 3 == 0) {
			t.suite = (uint16_t)id;
			hs_session_cache_put(sc, ids[id], &t);
			model_put(id);
		} else {
			bool in = hs_session_cache_get(sc, ids[id], 1000, &got);

			if (in != model_has(id) || (in && got.suite != id))
				mismatch++;
		}
	}
	CHECK_MSG(mismatch == 0, "seed %u: %d lookups disagree with the model", seed, mismatch);
	CHECK_EQ(hs_session_cache_count(sc), (unsigned)model_n);

	/* Expiry: past the lifetime the entry is gone, and removed. */
	{
		int id = ring[(head + N - 1) % N];

		CHECK(hs_session_cache_get(sc, ids[id], 1000 + 100000, &got));
		CHECK(!hs_session_cache_get(sc, ids[id], 1000 + 100001, &got));
		CHECK_EQ(hs_session_cache_count(sc), (unsigned)model_n - 1);
		CHECK(!hs_session_cache_get(sc, ids[id], 1000, &got));
	}
	hs_session_cache_free(sc);
	return check_result("session_cache");
}
