/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_GEN_IMPAIR_H
#define HSO_GEN_IMPAIR_H

/**
 * @file
 * hso-gen's network impairment (--impair loss=P,dup=P,reorder=P,delay=MS):
 * what netem would do, on hso-gen's own transmit and receive paths, so that
 * any server port can be tested under loss, duplication, reordering and
 * delay without a kernel qdisc. One stage per direction per worker; packets
 * are opaque pointers (an rte_mbuf in hso-gen, anything in the unit test)
 * copied and freed through the caller's operations. No DPDK, no allocation
 * after gen_impair_init(), never blocks: a full delay queue drops (counted).
 *
 * A packet entering the stage (gen_impair_input()), in this order:
 *   - lost with probability loss: freed, counted (lost);
 *   - duplicated with probability dup: a copy follows it (duplicated;
 *     dup_failed when the copy could not be made);
 *   - held back with probability reorder (one at a time): it leaves right
 *     after the next packet, which overtakes it (reordered), or on its own
 *     after GEN_IMPAIR_HOLD_US when none follows (reorder_expired);
 *   - queued for delay ms (FIFO: one fixed delay keeps it time-ordered),
 *     or dropped when limit packets already wait (overflow).
 * gen_impair_output() hands out what is due. Draws come from one
 * xorshift64* stream per stage, seeded by the caller (--seed): a run is
 * reproducible for the same seed and the same packet sequence.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A held-back packet with nothing after it leaves after this long. */
#define GEN_IMPAIR_HOLD_US 2000u
/** The largest delay, ms. */
#define GEN_IMPAIR_DELAY_MAX_MS 10000u
/** Packets waiting per stage at most (limit=N), and the default. */
#define GEN_IMPAIR_LIMIT_MAX (1u << 20)
#define GEN_IMPAIR_LIMIT_DEFAULT 1024u

struct gen_impair_conf {
	bool on;                    /**< --impair given */
	double loss, dup, reorder;  /**< probabilities, 0..1 */
	uint32_t delay_ms;          /**< 0..GEN_IMPAIR_DELAY_MAX_MS */
	uint32_t limit;             /**< delay queue's size, packets, 1..GEN_IMPAIR_LIMIT_MAX */
};

/** Per stage; all only grow. */
struct gen_impair_stats {
	uint64_t packets;           /**< entered the stage */
	uint64_t lost;
	uint64_t duplicated;        /**< copies made */
	uint64_t dup_failed;        /**< copies drawn but no buffer for them */
	uint64_t reordered;         /**< held back and overtaken by a later packet */
	uint64_t reorder_expired;   /**< held back, left alone after GEN_IMPAIR_HOLD_US */
	uint64_t delayed;           /**< queued with a delay > 0 */
	uint64_t overflow;          /**< dropped: the delay queue was full */
};

/** How packets are copied and freed (hso-gen: rte_pktmbuf_copy, rte_pktmbuf_free). */
struct gen_impair_ops {
	void *(*copy)(void *ctx, void *pkt);    /**< NULL when no buffer */
	void (*free)(void *ctx, void *pkt);
	void *ctx;
};

struct gen_impair_slot {
	uint64_t due_us;
	void *pkt;
};

struct gen_impair {
	struct gen_impair_conf conf;
	struct gen_impair_ops ops;
	uint64_t rng;
	void *held;                 /**< the packet held back (reorder), or NULL */
	uint64_t held_since_us;
	struct gen_impair_slot *q;  /**< FIFO of conf.limit slots */
	uint32_t head, n;
	struct gen_impair_stats stats;
};

/**
 * Parse "loss=P,dup=P,reorder=P,delay=MS[,limit=N]" (any subset, each key
 * once; P a probability 0..1, MS 0..10000, N 1..2^20) into @p c.
 * @return 0; -EINVAL with a message naming the key in @p why.
 */
int gen_impair_parse(const char *s, struct gen_impair_conf *c, char *why, size_t wl);

/** "loss=0.05,dup=0.01,reorder=0.01,delay=20,limit=1024" of @p c. */
void gen_impair_render(const struct gen_impair_conf *c, char *buf, size_t len);

/**
 * A stage applying @p c, its draws from @p seed (0 is replaced).
 * @return 0; -ENOMEM.
 */
int gen_impair_init(struct gen_impair *im, const struct gen_impair_conf *c,
		    const struct gen_impair_ops *ops, uint64_t seed);

/** Free every packet still waiting and the queue. */
void gen_impair_fini(struct gen_impair *im);

/** @p pkt enters the stage at @p now_us; the stage owns it from here. */
void gen_impair_input(struct gen_impair *im, void *pkt, uint64_t now_us);

/**
 * Up to @p max packets due at @p now_us into @p out, in the order they
 * leave; the caller owns them. @return how many.
 */
unsigned gen_impair_output(struct gen_impair *im, uint64_t now_us, void **out, unsigned max);

/** Packets waiting in the stage (held back and queued). */
unsigned gen_impair_pending(const struct gen_impair *im);

#endif
