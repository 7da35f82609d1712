/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_NET6_H
#define HSO_DATAPLANE_NET6_H

/**
 * @file
 * IPv6 on one worker's port, next to net.h's IPv4: the header and its
 * extension headers (walked with a bound, fragments counted and dropped),
 * Neighbor Discovery (RFC 4861: solicitations for our address answered,
 * advertisements learned, solicitations sent for next hops we do not know,
 * an unsolicited advertisement at start; no DAD, no router discovery),
 * ICMPv6 echo (RFC 4443). The neighbour cache is neigh.h's with 16-byte
 * keys, the held-packet pool the worker's (shared with ARP). One struct
 * hsod_net6 per worker and port; no locks, no allocation after init.
 *
 * Contract (the same shape as net.h's):
 *
 *  - Setup: hsod_net6_conf_init(), fill address, prefix, gateway (or none),
 *    MAC, mempool, transmit hook, a process-unique name; hsod_net6_init().
 *    The struct must not move afterwards; hsod_net6_fini() frees its table.
 *  - Receive: hsod_net6_input() takes a frame whose ether_type is IPv6
 *    (hsod_net6_is_ipv6()) and returns net.h's verdicts: HSOD_NET_REPLY
 *    (rewritten into a Neighbor Advertisement or an echo reply: transmit
 *    it), HSOD_NET_TCP (a TCP segment for us: l2_len, and l3_len covering
 *    the extension headers, set), HSOD_NET_CONSUMED (an advertisement
 *    learned: free it) or HSOD_NET_DROP (counted by reason: free it).
 *  - Send: hsod_net6_output() takes an IPv6 frame whose Ethernet header is
 *    there but for its addresses; it is sent, held until its next hop
 *    resolves (a Neighbor Solicitation goes out), or dropped, counted.
 *    Either way the frame is no longer the caller's.
 *  - Time: hsod_net6_tick() every poll (retransmitted solicitations,
 *    reachability probes, ageing).
 *  - The transmit hook has net.h's rules: it owns what it gets and must not
 *    call back into net6.
 *
 * What is not here: router and prefix discovery (the address and gateway
 * are static), DAD, ICMPv6 errors (a packet we cannot take is dropped and
 * counted, never answered), MLD (the port receives all multicast or the
 * solicited-node group: hsod_net6_port_mcast()).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "net.h"
#include "neigh.h"

/** Default [net] ip6_ext_max: extension headers walked before a packet is dropped. */
#define HSOD_NET6_EXT_MAX_DEFAULT 8u
/** Largest ip6_ext_max accepted. */
#define HSOD_NET6_EXT_MAX_LIMIT 32u

/*
 * Why an IPv6 frame was dropped, declared once: X(enum suffix, name, help).
 * Telemetry says "drop6_" + name.
 */
#define HSOD_DROP6_REASONS(X)                                                    \
	X(RUNT, "runt", "shorter than its headers")                              \
	X(VERSION, "ip6_version", "IP version is not 6")                         \
	X(HDR, "ip6_hdr", "payload length larger than the frame")                \
	X(SRC, "ip6_src", "multicast source address")                            \
	X(NOT_US, "ip6_not_us", "destination neither our address, its "         \
	  "solicited-node group nor all-nodes")                                  \
	X(EXT_BAD, "ip6_ext_bad", "extension header truncated, or hop-by-hop "   \
	  "not first (RFC 8200 4.1)")                                            \
	X(EXT_LIMIT, "ip6_ext_limit", "more extension headers than ip6_ext_max") \
	X(OPTION, "ip6_option", "an option whose type says discard when not "    \
	  "recognized (RFC 8200 4.2)")                                           \
	X(ROUTING, "ip6_routing", "routing header with segments left (we are "   \
	  "no router)")                                                          \
	X(FRAGMENT, "ip6_fragment", "a fragment (not reassembled)")              \
	X(PROTO, "ip6_proto", "neither ICMPv6 nor TCP (or TCP to a multicast "   \
	  "address)")                                                            \
	X(ICMP_BAD, "icmp6_bad", "ICMPv6 too short or bad checksum")             \
	X(ICMP_TYPE, "icmp6_type", "ICMPv6 informational type we do not take "  \
	  "(echo replies, multicast listener messages, ...)")                    \
	X(ND_BAD, "nd_bad", "Neighbor Discovery message failing RFC 4861 "       \
	  "7.1's checks (hop limit 255, code 0, lengths, options, addresses)")   \
	X(NS_NOT_US, "ns_not_us", "solicitation for another target")             \
	X(NA_DUP, "na_dup", "advertisement for our own address: a duplicate")    \
	X(ECHO_BAD, "echo_bad", "echo request from the unspecified address, "    \
	  "or with a code")                                                      \
	X(TCP_HDR, "tcp_hdr", "TCP header too short or bad offset")             \
	X(ICMP_TOO_BIG, "icmp6_too_big", "ICMPv6 Packet Too Big (not acted "     \
	  "on: segments keep the MSS hsod announced)")                           \
	X(ICMP_ERROR, "icmp6_error", "other ICMPv6 errors (destination "         \
	  "unreachable, time exceeded, parameter problem, unknown error types): " \
	  "counted, never answered (RFC 4443 2.4(e))")                           \
	X(ND_ROUTER, "nd_router", "router solicitations and advertisements: "    \
	  "no router discovery, the gateway is configured (gateway6)")           \
	X(ND_REDIRECT, "nd_redirect", "redirects: ignored, the next hop stays "  \
	  "the configured one")

enum hsod_drop6 {
#define HSOD_DROP6_ENUM(e, ...) HSOD_DROP6_##e,
	HSOD_DROP6_REASONS(HSOD_DROP6_ENUM)
#undef HSOD_DROP6_ENUM
	HSOD_DROP6_NUM
};

/*
 * Counters per worker and port with an IPv6 address, declared once (format:
 * worker.h). Telemetry /hso/net6 has them under these names, summed; the
 * metrics as hso_net6_<name> {worker, port}.
 */
#define HSOD_NET6_COUNTERS(X)                                                  \
	X(rx_ns, "rx_ns", counter, none, "Neighbor Solicitations received")     \
	X(tx_ns, "tx_ns", counter, none,                                       \
	  "Neighbor Solicitations sent (address resolution)")                  \
	X(rx_na, "rx_na", counter, none, "Neighbor Advertisements received")   \
	X(tx_na, "tx_na", counter, none,                                       \
	  "Neighbor Advertisements sent: answers and the unsolicited one at "  \
	  "start")                                                             \
	X(rx_echo, "rx_echo", counter, none, "ICMPv6 echo requests received")  \
	X(tx_echo, "tx_echo", counter, none, "ICMPv6 echo replies sent")       \
	X(rx_tcp, "rx_tcp", counter, none,                                     \
	  "TCP segments for us over IPv6, before TCP's own checks")            \
	X(tx_no_route, "tx_no_route", counter, none,                           \
	  "IPv6 frames not sent: off-link and no gateway6")

#define HSOD_NET6_COUNTER_ARRAYS(A)                                            \
	A(drops, uint64_t, HSOD_DROP6_NUM, "drop6_", "drops", "reason",        \
	  hsod_drop6_elem, counter, dense,                                     \
	  "IPv6 frames dropped by layer 3 (and malformed TCP headers), per "   \
	  "reason")

struct hsod_net6_stats {
#define HSOD_NET6_FIELD(field, ...) uint64_t field;
	HSOD_NET6_COUNTERS(HSOD_NET6_FIELD)
#undef HSOD_NET6_FIELD
#define HSOD_NET6_ARRAY(field, type, n, ...) type field[n];
	HSOD_NET6_COUNTER_ARRAYS(HSOD_NET6_ARRAY)
#undef HSOD_NET6_ARRAY
};

/** What hsod_net6_init() needs; hsod_net6_conf_init() sets the defaults. */
struct hsod_net6_conf {
	uint8_t addr[16];          /* unicast, not link-local */
	unsigned prefix_len;       /* 1..128 */
	uint8_t gateway[16];       /* on-link or link-local; all zero: none */
	unsigned ext_max;          /* extension headers walked, 0..HSOD_NET6_EXT_MAX_LIMIT */
	struct rte_ether_addr mac;
	struct rte_mempool *mp;    /* solicitations and advertisements are built in it */
	hsod_net_tx_fn tx;
	void *tx_ctx;
	const char *name;          /* unique in the process, < 32 bytes */
	int socket_id;
	struct hsod_neigh_params neigh;
	struct hsod_neigh_pool *pool;   /* NULL: nothing held */
	/* Told of every update NS and NA made to the table (neigh.h); NULL: nobody. */
	hsod_neigh_learn_fn learned;
	void *learn_ctx;
};

/** One worker's IPv6 on one port. Fields private but for stats and addr. */
struct hsod_net6 {
	uint8_t addr[16];
	uint8_t snm[16];           /* our solicited-node multicast address */
	uint8_t gateway[16];
	bool has_gateway;
	uint8_t prefix_len;
	uint8_t ext_max;
	struct rte_ether_addr mac;
	struct rte_mempool *mp;
	hsod_net_tx_fn tx;
	void *tx_ctx;
	struct hsod_neigh_tbl *neigh;
	hsod_neigh_learn_fn learned;
	void *learn_ctx;
	struct hsod_net6_stats stats;
};

/** Is @p m (an Ethernet frame) IPv6? */
static inline bool
hsod_net6_is_ipv6(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	return rte_pktmbuf_data_len(m) >= sizeof(*eth) &&
	       eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
}

/** Zero addresses, HSOD_NET6_EXT_MAX_DEFAULT, SOCKET_ID_ANY, default neighbour params. */
void hsod_net6_conf_init(struct hsod_net6_conf *c);

/**
 * @return 0; -EINVAL for a prefix not in 1..128, an address that is not
 *         unicast (unspecified, loopback, multicast, link-local, ::/8), a
 *         gateway that is neither on-link nor link-local or is our address,
 *         ext_max over the limit, no mempool, hook or name, or neighbour
 *         parameters out of range; -EEXIST (name in use); -ENOMEM.
 */
int hsod_net6_init(struct hsod_net6 *n, const struct hsod_net6_conf *c);

/** Free the neighbour table and the frames it holds. Safe on a zeroed struct. */
void hsod_net6_fini(struct hsod_net6 *n);

/** Classify (and for NS and echo answer in place) one received IPv6 frame. */
enum hsod_verdict hsod_net6_input(struct hsod_net6 *n, struct rte_mbuf *m, uint64_t now_us);

/**
 * Send IPv6 frame @p m to @p dst by its next hop (the gateway when
 * off-link). @return HSOD_NET_OUT_SENT, _QUEUED or _DROPPED; @p m is not
 * the caller's any more in every case.
 */
enum hsod_net_out hsod_net6_output(struct hsod_net6 *n, struct rte_mbuf *m,
				   const uint8_t dst[16], uint64_t now_us);

/**
 * The next hop for @p dst: @p dst itself when on-link (in our prefix, or
 * link-local), else the gateway. @return false when off-link and no gateway.
 */
bool hsod_net6_next_hop(const struct hsod_net6 *n, const uint8_t dst[16], uint8_t hop[16]);

/** Neighbour timers due at @p now_us. @return timers fired. */
unsigned hsod_net6_tick(struct hsod_net6 *n, uint64_t now_us);

/**
 * An unsolicited Neighbor Advertisement of our address to all-nodes
 * (RFC 4861 7.2.6: Override set, Solicited clear). NULL if no mbuf.
 */
struct rte_mbuf *hsod_net6_unsolicited_na(struct hsod_net6 *n, struct rte_mempool *mp);

/** The neighbour table (hsod_neigh_get(), hsod_neigh_stats()). */
static inline struct hsod_neigh_tbl *
hsod_net6_neigh(const struct hsod_net6 *n)
{
	return n->neigh;
}

/**
 * Let DPDK port @p port receive what Neighbor Discovery sends us: the
 * all-nodes group and @p addr's solicited-node group (their multicast MAC
 * addresses), or all multicast when the port keeps no list.
 * @return 0; a negative errno when neither could be set.
 */
int hsod_net6_port_mcast(uint16_t port, const uint8_t addr[16]);

/** "runt", "nd_bad", ...: the counter names telemetry uses (after "drop6_"). */
const char *hsod_drop6_name(enum hsod_drop6 d);

/** Drop reason @p i as a counter element name (counters.h), NULL past the last. */
const char *hsod_drop6_elem(unsigned i);

/** The ICMPv6/TCP checksum over the pseudo-header (RFC 8200 8.1) and @p len bytes. */
uint16_t hsod_net6_l4_cksum(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
			    const void *l4, uint32_t len);

#endif
