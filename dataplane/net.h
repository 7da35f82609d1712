/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_NET_H
#define HSO_DATAPLANE_NET_H

/**
 * @file
 * Layers 2-3 of a worker: Ethernet, ARP (answer for our address, learn and
 * cache peers, gratuitous ARP), IPv4 (validation; fragments and options
 * counted and dropped) and ICMP echo. One struct hsod_net per worker and
 * port (the port's address, MAC, ARP cache and gateway): no locks, no
 * allocation, mbufs rewritten in place for replies.
 *
 * hsod_net_input() looks at one received frame and says what to do with
 * it: transmit it (it was turned into an ARP or ICMP reply), hand it to TCP
 * (headers validated, l2/l3 lengths set in the mbuf), or drop it (the
 * reason is counted). The caller frees dropped mbufs and owns the rest.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

/** Peers remembered per worker and port (direct-mapped by address). */
#define HSOD_ARP_SIZE 256
/** How long a learned address is trusted, in microseconds. */
#define HSOD_ARP_TTL_US (300ull * 1000 * 1000)

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

struct hsod_arp_entry {
	uint32_t ip;               /* host order; 0 when empty */
	struct rte_ether_addr mac;
	uint64_t updated_us;
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
	  "resets built for a closed port by layer 3 (hsod_net_tcp_reset)")

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

/** One worker's layer 2-3 state on one port. Fields private but for stats and addr. */
struct hsod_net {
	uint32_t addr;             /* host order */
	uint32_t mask;
	uint32_t gateway;          /* 0: none */
	struct rte_ether_addr mac;
	struct hsod_arp_entry arp[HSOD_ARP_SIZE];
	struct hsod_net_stats stats;
};

/**
 * @param addr, prefix  our IPv4 address (host order) and prefix length
 * @param gateway       host order, 0 for none; must be in the subnet
 * @return 0; -EINVAL for a prefix over 32, a zero address, or a gateway
 *         outside the subnet.
 */
int hsod_net_init(struct hsod_net *n, uint32_t addr, unsigned prefix, uint32_t gateway,
		  const struct rte_ether_addr *mac);

/** Classify (and for ARP/ICMP answer in place) one received frame. */
enum hsod_verdict hsod_net_input(struct hsod_net *n, struct rte_mbuf *m, uint64_t now_us);

/**
 * The MAC address for next hop @p ip (the gateway when @p ip is off-link).
 * @return true and *mac when known and fresh.
 */
bool hsod_net_lookup(const struct hsod_net *n, uint32_t ip, uint64_t now_us,
		     struct rte_ether_addr *mac);

/** The next hop for @p ip (host order): @p ip on-link, else the gateway (0: none). */
uint32_t hsod_net_next_hop(const struct hsod_net *n, uint32_t ip);

/** Build a gratuitous ARP announcing our address (RFC 5227 2.3). NULL if no mbuf. */
struct rte_mbuf *hsod_net_garp(struct hsod_net *n, struct rte_mempool *mp);

/** Build an ARP request for @p ip (host order). NULL if no mbuf. */
struct rte_mbuf *hsod_net_arp_request(struct hsod_net *n, struct rte_mempool *mp, uint32_t ip);

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
