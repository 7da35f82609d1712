/* SPDX-License-Identifier: BSD-3-Clause */
/* A worker's pool of handshake buffers; contract in bufpool.h. */
#include "bufpool.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

struct hs_buf_pool {
	uint8_t *mem;                   /* n * size bytes */
	size_t map_len;                 /* bytes mapped at mem */
	size_t size;
	unsigned n;
	unsigned n_free;
	struct hs_buf_pool_stats *stats;
	uint32_t free_idx[];            /* a stack: last given back, first out */
};

struct hs_buf_pool *
hs_buf_pool_create(unsigned n, size_t size, struct hs_buf_pool_stats *stats)
{
	struct hs_buf_pool *p;

	if (size == 0 || stats == NULL || (n > 0 && size > SIZE_MAX / n)) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p) + (size_t)n * sizeof(p->free_idx[0]));
	if (p == NULL)
		return NULL;
	/*
	 * An anonymous mapping of its own: pages are zero and untouched until a
	 * buffer is first used, whatever the allocator does (a calloc may come
	 * from the heap and be cleared, or be filled by MALLOC_PERTURB_), and
	 * nothing is reserved up front (MAP_NORESERVE): a pool sized for many
	 * handshakes costs what the handshakes at once touch.
	 */
	if (n > 0) {
		p->map_len = (size_t)n * size;
		p->mem = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p->mem == MAP_FAILED) {
			free(p);
			errno = ENOMEM;
			return NULL;
		}
	}
	p->size = size;
	p->n = n;
	p->stats = stats;
	for (unsigned i = 0; i < n; i++)
		p->free_idx[p->n_free++] = n - 1 - i;
	return p;
}

void
hs_buf_pool_free(struct hs_buf_pool *p)
{
	if (p == NULL)
		return;
	if (p->mem != NULL)
		munmap(p->mem, p->map_len);
	free(p);
}

size_t
hs_buf_pool_buf_size(const struct hs_buf_pool *p)
{
	return p->size;
}

uint8_t *
hs_buf_pool_get(struct hs_buf_pool *p)
{
	struct hs_buf_pool_stats *st = p->stats;

	if (p->n_free == 0) {
		st->exhausted++;
		return NULL;
	}
	st->borrowed++;
	if (++st->in_use > st->in_use_max)
		st->in_use_max = st->in_use;
	return p->mem + (size_t)p->free_idx[--p->n_free] * p->size;
}

void
hs_buf_pool_put(struct hs_buf_pool *p, uint8_t *buf, size_t used)
{
	size_t off = (size_t)(buf - p->mem);

	/* A buffer that is not ours, or given back twice, is a bug: keep it out. */
	if (buf < p->mem || off % p->size != 0 || off / p->size >= p->n ||
	    p->n_free == p->n)
		abort();
	OPENSSL_cleanse(buf, used < p->size ? used : p->size);
	p->free_idx[p->n_free++] = (uint32_t)(off / p->size);
	p->stats->in_use--;
}
