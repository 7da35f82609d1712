/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_NEIGH_DEFS_H
#define HSO_DATAPLANE_NEIGH_DEFS_H

/*
 * Limits and defaults of the neighbour cache (neigh.h), without DPDK's
 * headers, for the configuration parser.
 */

/** Longest key: an IPv6 address. */
#define HSOD_NEIGH_ADDR_MAX 16
/** rte_hash takes no fewer entries than one bucket holds. */
#define HSOD_NEIGH_ENTRIES_MIN 8
#define HSOD_NEIGH_ENTRIES_MAX (1u << 22)

/* Defaults: RFC 4861 section 10's constants where it has one. */
#define HSOD_NEIGH_ENTRIES_DEFAULT 1024u
/*
 * Held per neighbour: at least what one receive burst can ask to send to a
 * peer not yet known (hsod's worker takes 32 frames a burst). With several
 * workers, the one whose SYNs from a new client arrive in the same poll as
 * another worker learned that client (its Neighbor Solicitation; the news
 * reaches this worker at the top of its next poll) answers a whole burst of
 * SYN-ACKs into an INCOMPLETE entry: 16 dropped one in CI (hsod_ipv6, 8a,
 * 40 connections at once). Linux holds about 101 (unres_qlen_bytes).
 */
#define HSOD_NEIGH_QUEUE_DEFAULT 64u
#define HSOD_NEIGH_QUEUE_TOTAL_DEFAULT 1024u
#define HSOD_NEIGH_REACHABLE_MS_DEFAULT 30000u  /* REACHABLE_TIME */
#define HSOD_NEIGH_STALE_MS_DEFAULT 60000u      /* Linux gc_stale_time */
#define HSOD_NEIGH_RETRANS_MS_DEFAULT 1000u     /* RETRANS_TIMER */
#define HSOD_NEIGH_DELAY_MS_DEFAULT 5000u       /* DELAY_FIRST_PROBE_TIME */
#define HSOD_NEIGH_MCAST_PROBES_DEFAULT 3u      /* MAX_MULTICAST_SOLICIT */
#define HSOD_NEIGH_UCAST_PROBES_DEFAULT 3u      /* MAX_UNICAST_SOLICIT */

#endif
