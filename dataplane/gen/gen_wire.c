/* SPDX-License-Identifier: BSD-3-Clause */
/* hso-gen's packet door; contract in gen_wire.h. */
#include <string.h>

#include "gen_wire.h"

void
gen_wire_init(struct gen_wire *w, uint16_t port, uint16_t queue)
{
	memset(w, 0, sizeof(*w));
	w->port = port;
	w->queue = queue;
}

uint16_t
gen_wire_rx(struct gen_wire *w, struct rte_mbuf **pkts, uint16_t max, uint64_t now_us)
{
	uint16_t n = rte_eth_rx_burst(w->port, w->queue, pkts, max);

	(void)now_us;
	w->stats.rx_packets += n;
	return n;
}

void
gen_wire_flush(struct gen_wire *w, uint64_t now_us)
{
	uint16_t sent;

	(void)now_us;
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
gen_wire_tx(struct gen_wire *w, struct rte_mbuf *m, uint64_t now_us)
{
	w->tx[w->n_tx++] = m;
	if (w->n_tx == GEN_BURST)
		gen_wire_flush(w, now_us);
}
