/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_TCP_PKT_H
#define HSO_DATAPLANE_TCP_PKT_H

/**
 * @file
 * Between the DPDK-free TCP core (tcp.h) and mbufs: a received TCP/IPv4
 * frame (as hsod_net_input() passes it up) into a struct tcp_seg, and a
 * struct tcp_seg_out into an Ethernet/IPv4/TCP frame, checksums in software
 * or left to the port.
 */

#include <stdbool.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tcp.h"

/**
 * Parse the TCP segment in @p m (l2_len and l3_len set by hsod_net_input())
 * into @p seg, whose pointers (options, payload) point into @p m. The
 * checksum is checked unless the port vouched for it (RX offload flags).
 * @return 0; -EBADMSG for a header that does not fit or a bad data offset;
 *         -EILSEQ for a bad checksum.
 */
int tcp_pkt_parse(struct rte_mbuf *m, struct tcp_seg *seg);

/**
 * Build the frame of segment @p o in a new mbuf from @p mp: the Ethernet
 * header's type (its addresses are hsod_net_output()'s to fill once the
 * next hop is known), IPv4 with DF and TTL 64, the TCP header, options and
 * payload.
 * @param csum_off  the port computes IPv4 and TCP checksums (the TCP field
 *                  then holds the pseudo-header sum); else computed here
 * @return the mbuf, or NULL when the pool is empty or the segment does not
 *         fit one mbuf.
 */
struct rte_mbuf *tcp_pkt_build(struct rte_mempool *mp, const struct tcp_seg_out *o,
			       bool csum_off);

#endif
