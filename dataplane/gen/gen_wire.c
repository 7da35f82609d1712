/* SPDX-License-Identifier: BSD-3-Clause */
/* hso-gen's packet door; contract in gen_wire.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gen_wire.h"

void
gen_wire_init(struct gen_wire *w, uint16_t port, uint16_t queue)
{
	memset(w, 0, sizeof(*w));
	w->port = port;
	w->queue = queue;
}

/*
 * A duplicate is a deep copy: a received mbuf may be kept by TCP (its
 * payload by reference) and a sent one's headers are its own; a copy shares
 * neither data nor metadata with its original. rte_pktmbuf_copy() keeps the
 * offload flags, so a frame summed by the port is summed the same way.
 */
static void *
im_copy(void *ctx, void *pkt)
{
	struct gen_wire *w = ctx;

	return rte_pktmbuf_copy(pkt, w->mp, 0, UINT32_MAX);
}

static void
im_free(void *ctx, void *pkt)
{
	(void)ctx;
	rte_pktmbuf_free(pkt);
}

int
gen_wire_impair(struct gen_wire *w, const struct gen_impair_conf *c, struct rte_mempool *mp,
		uint64_t seed)
{
	const struct gen_impair_ops ops = { .copy = im_copy, .free = im_free, .ctx = w };
	int rc;

	w->mp = mp;
	w->im_tx = calloc(1, sizeof(*w->im_tx));
	w->im_rx = calloc(1, sizeof(*w->im_rx));
	if (w->im_tx == NULL || w->im_rx == NULL) {
		free(w->im_tx);
		free(w->im_rx);
		w->im_tx = w->im_rx = NULL;
		return -ENOMEM;
	}
	rc = gen_impair_init(w->im_tx, c, &ops, seed * 2);
	if (rc == 0)
		rc = gen_impair_init(w->im_rx, c, &ops, seed * 2 + 1);
	if (rc != 0) {
		gen_wire_fini(w);
		return rc;
	}
	return 0;
}

void
gen_wire_fini(struct gen_wire *w)
{
	if (w->im_tx != NULL)
		gen_impair_fini(w->im_tx);
	if (w->im_rx != NULL)
		gen_impair_fini(w->im_rx);
	free(w->im_tx);
	free(w->im_rx);
	w->im_tx = w->im_rx = NULL;
	if (w->n_tx > 0)
		rte_pktmbuf_free_bulk(w->tx, w->n_tx);
	w->n_tx = 0;
}

const struct gen_impair_stats *
gen_wire_impair_stats(const struct gen_wire *w, bool rx)
{
	const struct gen_impair *im = rx ? w->im_rx : w->im_tx;

	return im != NULL ? &im->stats : NULL;
}

uint16_t
gen_wire_rx(struct gen_wire *w, struct rte_mbuf **pkts, uint16_t max, uint64_t now_us)
{
	struct rte_mbuf *in[GEN_BURST];
	uint16_t n;

	if (w->im_rx == NULL) {
		n = rte_eth_rx_burst(w->port, w->queue, pkts, max);
		w->stats.rx_packets += n;
		return n;
	}
	/* Off the port into the stage, then what the stage lets go by now. */
	n = rte_eth_rx_burst(w->port, w->queue, in, max < GEN_BURST ? max : GEN_BURST);
	w->stats.rx_packets += n;
	for (uint16_t i = 0; i < n; i++)
		gen_impair_input(w->im_rx, in[i], now_us);
	return (uint16_t)gen_impair_output(w->im_rx, now_us, (void **)pkts, max);
}

static void
burst(struct gen_wire *w)
{
	uint16_t sent;

	if (w->n_tx == 0)
		return;
	sent = rte_eth_tx_burst(w->port, w->queue, w->tx, w->n_tx);
	w->stats.tx_packets += sent;
	if (sent < w->n_tx) {
		w->stats.tx_dropped += w->n_tx - sent;
		rte_pktmbuf_free_bulk(w->tx + sent, w->n_tx - sent);
	}
	w->n_tx = 0;
}

void
gen_wire_tx_raw(struct gen_wire *w, struct rte_mbuf *m, uint64_t now_us)
{
	(void)now_us;
	w->tx[w->n_tx++] = m;
	if (w->n_tx == GEN_BURST)
		burst(w);
}

/* What the TX stage lets go by @p now_us into the burst. */
static void
tx_drain(struct gen_wire *w, uint64_t now_us)
{
	unsigned k;

	do {
		k = gen_impair_output(w->im_tx, now_us, (void **)(w->tx + w->n_tx),
				      GEN_BURST - w->n_tx);
		w->n_tx = (uint16_t)(w->n_tx + k);
		if (w->n_tx == GEN_BURST)
			burst(w);
	} while (k > 0);
}

void
gen_wire_flush(struct gen_wire *w, uint64_t now_us)
{
	if (w->im_tx != NULL)
		tx_drain(w, now_us);
	burst(w);
}

void
gen_wire_tx(struct gen_wire *w, struct rte_mbuf *m, uint64_t now_us)
{
	if (w->im_tx == NULL) {
		gen_wire_tx_raw(w, m, now_us);
		return;
	}
	gen_impair_input(w->im_tx, m, now_us);
	tx_drain(w, now_us);
}
