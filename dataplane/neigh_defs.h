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
#define HSOD_NEIGH_QUEUE_DEFAULT 16u
#define HSOD_NEIGH_QUEUE_TOTAL_DEFAULT 1024u
#define HSOD_NEIGH_REACHABLE_MS_DEFAULT 30000u  /* REACHABLE_TIME */
#define HSOD_NEIGH_STALE_MS_DEFAULT 60000u      /* Linux gc_stale_time */
#define HSOD_NEIGH_RETRANS_MS_DEFAULT 1000u     /* RETRANS_TIMER */
#define HSOD_NEIGH_DELAY_MS_DEFAULT 5000u       /* DELAY_FIRST_PROBE_TIME */
#define HSOD_NEIGH_MCAST_PROBES_DEFAULT 3u      /* MAX_MULTICAST_SOLICIT */
#define HSOD_NEIGH_UCAST_PROBES_DEFAULT 3u      /* MAX_UNICAST_SOLICIT */

#endif
