/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_TCP_PKT_H
#define HSO_DATAPLANE_TCP_PKT_H

/**
 * @file
 * Between the DPDK-free TCP core (tcp.h) and mbufs: a received TCP/IPv4
 * or TCP/IPv6 frame (as hsod_net_input() or hsod_net6_input() pass it up) into a struct tcp_seg whose
 * payload TCP may keep by reference, mbufs as TCP's buffers (struct
 * tcp_buf lives in the first bytes of an mbuf's headroom), and a struct
 * tcp_seg_out into an Ethernet/IPv4/TCP or Ethernet/IPv6/TCP frame (the
 * tuple's family): copied into one mbuf, or
 * as a header mbuf chained to indirect mbufs over the send buffers (no
 * copy), checksums in software or left to the port.
 */

#include <stdbool.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tcp.h"

/**
 * TCP's node for an mbuf: at the start of its buffer (buf_addr), in the
 * headroom, so it needs no private area in the pool. An mbuf whose data
 * starts closer than TCP_PKT_BUF_ROOM to its buffer cannot carry one.
 */
struct tcp_pkt_buf {
	struct tcp_buf b;
	struct rte_mbuf *m;
	uint64_t tag;           /**< the owner's, e.g. whose send this is (0 by default) */
};

#define TCP_PKT_BUF_ROOM ((uint16_t)sizeof(struct tcp_pkt_buf))

/** Where TCP's own buffers come from, and how they go back. */
struct tcp_pkt_pool {
	struct rte_mempool *mp;
	/** mbuf dynfield cleared before a buffer goes back (app_shm.h's owner tag), -1: none */
	int owner_off;
};

/**
 * @p m as a TCP buffer over its data (data, len = the mbuf's data; cap 0),
 * or NULL when its headroom is too small for the node.
 */
struct tcp_buf *tcp_pkt_buf_of(struct rte_mbuf *m);

/** The mbuf of a buffer made by tcp_pkt_buf_of() or tcp_pkt_buf_alloc(). */
static inline struct rte_mbuf *
tcp_pkt_buf_mbuf(struct tcp_buf *b)
{
	return ((struct tcp_pkt_buf *)b)->m;
}

/** struct tcp_buf_ops.alloc over a struct tcp_pkt_pool: an mbuf, cap its data room. */
struct tcp_buf *tcp_pkt_buf_alloc(void *pool, uint32_t len);
/** struct tcp_buf_ops.release over a struct tcp_pkt_pool: the mbuf freed. */
void tcp_pkt_buf_release(void *pool, struct tcp_buf *b);

/**
 * Parse the TCP segment in @p m (l2_len and l3_len set by hsod_net_input())
 * into @p seg, whose pointers (options, payload) point into @p m, and
 * whose @c buf is @p m as a TCP buffer when it can be one (then
 * tcp_tbl_input() takes @p m: do not free it; else free it after). The
 * checksum is checked unless the port vouched for it (RX offload flags).
 * @return 0; -EBADMSG for a header that does not fit or a bad data offset;
 *         -EILSEQ for a bad checksum (seg->buf is not set: free @p m).
 */
int tcp_pkt_parse(struct rte_mbuf *m, struct tcp_seg *seg);

/**
 * The 4-tuple of an Ethernet frame @p m carrying IPv4 without options and
 * TCP, read without any check beyond the lengths (a hint for
 * tcp_tbl_prefetch(); tcp_pkt_parse() decides what the frame is).
 * @return 0, or -EINVAL for any other frame.
 */
int tcp_pkt_peek_tuple(const struct rte_mbuf *m, struct tcp_tuple *tuple);

/**
 * Build the frame of segment @p o in a new mbuf from @p mp, its payload
 * copied: the Ethernet header's type (its addresses are hsod_net_output()'s
 * to fill once the next hop is known), IPv4 with DF and TTL 64 (IPv6: hop
 * limit 64, no extension header), the TCP header, options and payload.
 * @param csum_off  the port computes the IPv4 and TCP checksums (IPv6: the
 *                  TCP one, RTE_MBUF_F_TX_IPV6); the TCP field then holds
 *                  the pseudo-header sum. Else computed here
 * @return the mbuf, or NULL when the pool is empty or the segment does not
 *         fit one mbuf.
 */
struct rte_mbuf *tcp_pkt_build(struct rte_mempool *mp, const struct tcp_seg_out *o,
			       bool csum_off);

/**
 * The same frame without copying the payload: a header mbuf chained to one
 * indirect mbuf per piece (each a reference on the piece's mbuf, which
 * stays until the port sent it, whatever TCP does meanwhile). The port
 * must take multi-segment mbufs (RTE_ETH_TX_OFFLOAD_MULTI_SEGS).
 * @return the chain, or NULL when the pool is empty.
 */
struct rte_mbuf *tcp_pkt_build_ref(struct rte_mempool *mp, const struct tcp_seg_out *o,
				   bool csum_off);

#endif
