/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_NET_H
#define HSO_DATAPLANE_NET_H

/**
 * @file
 * Layers 2-3 of a worker: Ethernet, ARP (answer for our address, a
 * neighbour cache, gratuitous ARP), IPv4 (validation; fragments and options
 * counted and dropped) and ICMP echo. One struct hsod_net per worker and
 * port (the port's address, MAC, gateway and neighbour table): no locks, no
 * allocation after hsod_net_init(), mbufs rewritten in place for replies.
 *
 * Contract (hsod's worker and hso-gen use it the same way):
 *
 *  - Setup: hsod_net_conf_init(), fill address, MAC, mempool, the transmit
 *    hook and a process-unique name, then hsod_net_init(). The struct must
 *    not move afterwards (its neighbour table points back to it);
 *    hsod_net_fini() frees the table and what it holds.
 *  - Receive: hsod_net_input() looks at one received frame and says what to
 *    do with it: transmit it (it was turned into an ARP or ICMP reply),
 *    hand it to TCP (headers validated, l2/l3 lengths set; the sender's
 *    neighbour entry is confirmed by it), or drop it (the reason is
 *    counted). The caller frees dropped and consumed mbufs and owns the
 *    rest. ARP replies and requests update the neighbour table and may
 *    release held packets through the transmit hook.
 *  - Send: hsod_net_output() takes an IPv4 frame whose Ethernet header is
 *    there but for its addresses. It fills them and passes the frame to the
 *    transmit hook when the next hop is known; otherwise it holds it (up to
 *    neigh.queue per neighbour, within the pool's cap) and asks by ARP, or
 *    drops it, counted. Either way the frame is no longer the caller's.
 *    hsod_net_lookup() is the same question without a frame.
 *  - Time: call hsod_net_tick() every poll (it is a compare when no 10 ms
 *    tick passed): ARP retransmissions, reachability probes, ageing.
 *  - The transmit hook gets frames ready to send (ARP requests, packets
 *    released from the queue, and hsod_net_output()'s hits); it owns them.
 *    It is called from hsod_net_input(), hsod_net_output(), hsod_net_lookup()
 *    and hsod_net_tick(), never re-entered; it must not call back into net.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "neigh.h"

/** Why a frame was dropped; counters indexed by these. */
enum hsod_drop {
	HSOD_DROP_RUNT = 0,        /* shorter than its headers */
	HSOD_DROP_MULTISEG,        /* chained mbuf on receive */
	HSOD_DROP_ETHERTYPE,       /* neither IPv4 nor ARP */
	HSOD_DROP_ARP_BAD,         /* not Ethernet/IPv4 ARP */
	HSOD_DROP_ARP_NOT_US,      /* a request for someone else */
	HSOD_DROP_IP_VERSION,
	HSOD_DROP_IP_HDR,          /* header or total length inconsistent */
	HSOD_DROP_IP_CSUM,
	HSOD_DROP_IP_FRAGMENT,
	HSOD_DROP_IP_OPTIONS,
	HSOD_DROP_IP_NOT_US,       /* destination is not our address */
	HSOD_DROP_IP_PROTO,        /* neither ICMP nor TCP */
	HSOD_DROP_ICMP_BAD,        /* bad checksum or too short */
	HSOD_DROP_ICMP_TYPE,       /* not an echo request */
	HSOD_DROP_TCP_HDR,         /* TCP header too short or bad offset */
	HSOD_DROP_NUM
};

enum hsod_verdict {
	HSOD_NET_DROP = 0,         /* counted; free the mbuf */
	HSOD_NET_REPLY,            /* rewritten into a reply: transmit it */
	HSOD_NET_TCP,              /* a TCP segment for us: l2_len, l3_len set */
	HSOD_NET_CONSUMED,         /* used (e.g. an ARP reply learned): free it */
};

/** What hsod_net_output() did with a frame. */
enum hsod_net_out {
	HSOD_NET_OUT_SENT = 0,     /* addressed and given to the transmit hook */
	HSOD_NET_OUT_QUEUED,       /* held until its next hop resolves */
	HSOD_NET_OUT_DROPPED,      /* freed, counted (no route, queue full, no table room) */
};

/* Counters per worker and port, declared once (format: worker.h). */
#define HSOD_NET_COUNTERS(X)                                                   \
	X(rx_arp, "rx_arp", counter, none, "ARP packets received")             \
	X(tx_arp, "tx_arp", counter, none,                                     \
	  "ARP packets sent: replies, requests, announcements")                \
	X(rx_icmp, "rx_icmp", counter, none, "ICMP packets received")          \
	X(tx_icmp, "tx_icmp", counter, none, "ICMP echo replies sent")         \
	X(rx_tcp, "rx_tcp", counter, none,                                     \
	  "TCP segments for us (IPv4 valid), before TCP's own checks")         \
	X(tx_rst, "tx_rst", counter, none,                                     \
	  "resets built for a closed port by layer 3 (hsod_net_tcp_reset)")    \
	X(tx_no_route, "tx_no_route", counter, none,                           \
	  "frames not sent: off-link and no gateway")

#define HSOD_NET_COUNTER_ARRAYS(A)                                             \
	A(drops, uint64_t, HSOD_DROP_NUM, "drop_", "net_drops", "reason",      \
	  hsod_drop_elem, counter, dense,                                      \
	  "frames dropped by layers 2-3 (and malformed TCP headers), per reason")

struct hsod_net_stats {
#define HSOD_NET_FIELD(field, ...) uint64_t field;
	HSOD_NET_COUNTERS(HSOD_NET_FIELD)
#undef HSOD_NET_FIELD
#define HSOD_NET_ARRAY(field, type, n, ...) type field[n];
	HSOD_NET_COUNTER_ARRAYS(HSOD_NET_ARRAY)
#undef HSOD_NET_ARRAY
};

/** Where frames ready to send go; @p m is the callee's. */
typedef void (*hsod_net_tx_fn)(void *ctx, struct rte_mbuf *m);

/** What hsod_net_init() needs; hsod_net_conf_init() sets the defaults. */
struct hsod_net_conf {
	uint32_t addr;             /* host order, not 0 */
	unsigned prefix_len;       /* 0..32 */
	uint32_t gateway;          /* host order, 0 for none; inside the subnet */
	/*
	 * More local addresses, [extra_lo, extra_hi] inclusive, host order (a
	 * load generator's source addresses): ARP is answered for each and
	 * IPv4 to them is ours. 0: none. Inside the subnet, not its broadcast.
	 */
	uint32_t extra_lo, extra_hi;
	struct rte_ether_addr mac;
	struct rte_mempool *mp;    /* ARP requests are built in its mbufs */
	hsod_net_tx_fn tx;
	void *tx_ctx;
	/* Unique in the process (names the neighbour table's rte_hash), < 32 bytes. */
	const char *name;
	int socket_id;             /* of the neighbour table; SOCKET_ID_ANY by default */
	struct hsod_neigh_params neigh;    /* hsod_neigh_params_default() */
	/*
	 * Nodes for held packets, shared by one lcore's ports (the worker's
	 * cap; hsod_neigh_pool_create()). NULL: nothing is held, a frame to an
	 * unresolved next hop is dropped (counted) while ARP asks.
	 */
	struct hsod_neigh_pool *pool;
	/* Told of every update ARP made to the table (neigh.h); NULL: nobody. */
	hsod_neigh_learn_fn learned;
	void *learn_ctx;
};

/** One worker's layer 2-3 state on one port. Fields private but for stats and addr. */
struct hsod_net {
	uint32_t addr;             /* host order */
	uint32_t extra_lo, extra_hi;   /* hsod_net_conf's; 0: none */
	uint32_t mask;
	uint32_t gateway;          /* 0: none */
	struct rte_ether_addr mac;
	struct rte_mempool *mp;
	hsod_net_tx_fn tx;
	void *tx_ctx;
	struct hsod_neigh_tbl *neigh;
	hsod_neigh_learn_fn learned;
	void *learn_ctx;
	struct hsod_net_stats stats;
};

/** Is @p ip (host order) one of our addresses (addr or the extra range)? */
static inline bool
hsod_net_is_local(const struct hsod_net *n, uint32_t ip)
{
	return ip == n->addr || (n->extra_lo != 0 && ip >= n->extra_lo && ip <= n->extra_hi);
}

/** Zero addresses, SOCKET_ID_ANY, hsod_neigh_params_default(). */
void hsod_net_conf_init(struct hsod_net_conf *c);

/**
 * @return 0; -EINVAL for a prefix over 32, a zero address, a gateway
 *         outside the subnet, an extra range out of the subnet, reversed
 *         or reaching its broadcast address, no mempool, transmit hook or
 *         name, or
 *         neighbour parameters out of range; -EEXIST when the name is in
 *         use; -ENOMEM.
 */
int hsod_net_init(struct hsod_net *n, const struct hsod_net_conf *c);

/** Free the neighbour table and the frames it holds. Safe on a zeroed struct. */
void hsod_net_fini(struct hsod_net *n);

/** Classify (and for ARP/ICMP answer in place) one received frame. */
enum hsod_verdict hsod_net_input(struct hsod_net *n, struct rte_mbuf *m, uint64_t now_us);

/**
 * Send IPv4 frame @p m to @p ip (host order) by its next hop (the gateway
 * when off-link): the Ethernet addresses are filled in here, the rest
 * (ether_type included) is the caller's. See the contract above.
 * @return HSOD_NET_OUT_SENT, _QUEUED or _DROPPED; @p m is not the caller's
 *         any more in every case.
 */
enum hsod_net_out hsod_net_output(struct hsod_net *n, struct rte_mbuf *m, uint32_t ip,
				  uint64_t now_us);

/**
 * The MAC address for next hop of @p ip (the gateway when @p ip is
 * off-link), as hsod_net_output() would use it. Unknown: false, and ARP
 * resolution starts (or goes on).
 * @return true and *mac when known.
 */
bool hsod_net_lookup(struct hsod_net *n, uint32_t ip, uint64_t now_us,
		     struct rte_ether_addr *mac);

/** Neighbour timers due at @p now_us: call every poll. @return timers fired. */
unsigned hsod_net_tick(struct hsod_net *n, uint64_t now_us);

/** The neighbour table (hsod_neigh_get(), hsod_neigh_stats()). */
static inline struct hsod_neigh_tbl *
hsod_net_neigh(const struct hsod_net *n)
{
	return n->neigh;
}

/** The next hop for @p ip (host order): @p ip on-link, else the gateway (0: none). */
uint32_t hsod_net_next_hop(const struct hsod_net *n, uint32_t ip);

/** Build a gratuitous ARP announcing our address (RFC 5227 2.3). NULL if no mbuf. */
struct rte_mbuf *hsod_net_garp(struct hsod_net *n, struct rte_mempool *mp);

/**
 * Build a broadcast ARP request for @p ip (host order). NULL if no mbuf.
 * hsod_net_output() and hsod_net_lookup() ask by themselves; this is for
 * callers that want to ask ahead (e.g. a load generator warming its cache).
 */
struct rte_mbuf *hsod_net_arp_request(struct hsod_net *n, struct rte_mempool *mp, uint32_t ip);

/**
 * The same, asked from local address @p from (hsod_net_is_local()): the
 * target learns @p from's MAC on the way (RFC 826 merge), before any
 * segment from that address needs an answer. NULL if no mbuf or @p from is
 * not ours.
 */
struct rte_mbuf *hsod_net_arp_request_from(struct hsod_net *n, struct rte_mempool *mp,
					   uint32_t from, uint32_t ip);

/**
 * Turn the TCP segment in @p m (as passed up by hsod_net_input()) into the
 * reset RFC 9293 3.10.7.1 prescribes for a closed port, in place: no reset
 * answers a reset; otherwise <SEQ=SEG.ACK><CTL=RST> when the segment has
 * ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 * @return true when @p m now holds the reset to send; false to drop it.
 */
bool hsod_net_tcp_reset(struct hsod_net *n, struct rte_mbuf *m);

/** "runt", "ip_csum", ...: the counter names telemetry uses. */
const char *hsod_drop_name(enum hsod_drop d);
/** The same by index, NULL past the end (counter tables). */
const char *hsod_drop_elem(unsigned i);

/** Count a drop found after hsod_net_input() let the frame through (TCP's header). */
void hsod_net_count_drop(struct hsod_net *n, enum hsod_drop why);

#endif
