/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_GEN_WIRE_H
#define HSO_GEN_WIRE_H

/**
 * @file
 * The one door hso-gen's packets go through, per worker: RX bursts from
 * its queue of the port, TX staged and sent in bursts. Everything above
 * (ARP, TCP, TLS) only calls these, so what acts on the wire itself (loss,
 * duplication, reordering and delay on either path; crafted traffic such as
 * a SYN flood mixed into the TX stream) belongs here and nowhere else.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "gen_impair.h"

#define GEN_BURST 32

struct gen_wire_stats {
	uint64_t rx_packets, tx_packets, tx_dropped;
};

struct gen_wire {
	uint16_t port, queue;
	uint16_t n_tx;
	struct rte_mbuf *tx[GEN_BURST];
	struct gen_wire_stats stats;
	/* --impair: a stage on each path (NULL: off) */
	struct gen_impair *im_tx, *im_rx;
	struct rte_mempool *mp;     /* duplicates' buffers */
};

void gen_wire_init(struct gen_wire *w, uint16_t port, uint16_t queue);

/**
 * Impair both paths as @p c says from now on, duplicates copied into @p mp,
 * the draws seeded from @p seed (each path its own stream).
 * @return 0; -ENOMEM.
 */
int gen_wire_impair(struct gen_wire *w, const struct gen_impair_conf *c, struct rte_mempool *mp,
		    uint64_t seed);

/** Free what the impairment stages still hold. */
void gen_wire_fini(struct gen_wire *w);

/** The impairment stages' counters, or NULL when off. */
const struct gen_impair_stats *gen_wire_impair_stats(const struct gen_wire *w, bool rx);

/** Up to @p max received packets into @p pkts. @return how many. */
uint16_t gen_wire_rx(struct gen_wire *w, struct rte_mbuf **pkts, uint16_t max, uint64_t now_us);

/** Send @p m (at the latest with the next gen_wire_flush()); the wire owns it. */
void gen_wire_tx(struct gen_wire *w, struct rte_mbuf *m, uint64_t now_us);

/** Send @p m past the impairment (crafted traffic such as a SYN flood). */
void gen_wire_tx_raw(struct gen_wire *w, struct rte_mbuf *m, uint64_t now_us);

/** Send what is staged (and what the impairment lets go by now); what the port does not take is freed and counted. */
void gen_wire_flush(struct gen_wire *w, uint64_t now_us);

#endif
