/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv6, Neighbor Discovery and ICMPv6 echo for one worker; contract in net6.h. */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>

#include "net6.h"

#define IP6_HLEN 40
#define ETH_HLEN 14

/* Next-header values (IANA). */
#define NH_HOP 0
#define NH_TCP 6
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_ICMP6 58
#define NH_NONE 59
#define NH_DSTOPTS 60

/* ICMPv6 types (RFC 4443, RFC 4861). */
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_RS 133
#define ND_RA 134
#define ND_NS 135
#define ND_NA 136
#define ND_REDIRECT 137
/* ND options (RFC 4861 4.6). */
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
/* NA flags (RFC 4861 4.4), first byte of the reserved word. */
#define NA_F_ROUTER 0x80
#define NA_F_SOLICITED 0x40
#define NA_F_OVERRIDE 0x20
/* NS and NA: type, code, checksum, 4 bytes, target. */
#define ND_MSG_LEN 24
/* A link-layer address option for Ethernet: type, length 1 (8 bytes), MAC. */
#define ND_LLA_LEN 8
#define ND_HOP_LIMIT 255
#define HOP_LIMIT 64

static const char *const drop6_names[HSOD_DROP6_NUM] = {
#define HSOD_DROP6_NAME(e, name, ...) [HSOD_DROP6_##e] = name,
	HSOD_DROP6_REASONS(HSOD_DROP6_NAME)
#undef HSOD_DROP6_NAME
};

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };

const char *
hsod_drop6_name(enum hsod_drop6 d)
{
	return (unsigned)d < HSOD_DROP6_NUM ? drop6_names[d] : "invalid";
}

const char *
hsod_drop6_elem(unsigned i)
{
	return i < HSOD_DROP6_NUM ? drop6_names[i] : NULL;
}

/* ---- addresses ------------------------------------------------------ */

static inline bool
a6_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 16) == 0;
}

static inline bool
a6_is_mcast(const uint8_t *a)
{
	return a[0] == 0xff;
}

static inline bool
a6_is_unspec(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

/* fe80::/10 */
static inline bool
a6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* The first @p len bits of @p a and @p b agree. */
static bool
a6_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned bytes = len / 8, bits = len % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

/* RFC 4291 2.7.1: ff02::1:ff00:0/104 plus the address's low 24 bits. */
static void
a6_solicited_node(const uint8_t *a, uint8_t *snm)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	memcpy(snm, pfx, sizeof(pfx));
	memcpy(snm + 13, a + 13, 3);
}

/* RFC 2464 7: 33:33 and the group's low 32 bits. */
static void
a6_mcast_mac(const uint8_t *group, struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(&mac->addr_bytes[2], group + 12, 4);
}

uint16_t
hsod_net6_l4_cksum(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
		   const void *l4, uint32_t len)
{
	uint32_t be_len = rte_cpu_to_be_32(len), be_nh = rte_cpu_to_be_32(proto);
	uint32_t sum;

	/* RFC 8200 8.1's pseudo-header: source, destination, length, next header. */
	sum = __rte_raw_cksum(src, 16, 0);
	sum = __rte_raw_cksum(dst, 16, sum);
	sum = __rte_raw_cksum(&be_len, 4, sum);
	sum = __rte_raw_cksum(&be_nh, 4, sum);
	sum = __rte_raw_cksum(l4, len, sum);
	return (uint16_t)~__rte_raw_cksum_reduce(sum);
}

/* ---- setup ---------------------------------------------------------- */

void
hsod_net6_conf_init(struct hsod_net6_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->ext_max = HSOD_NET6_EXT_MAX_DEFAULT;
	c->socket_id = SOCKET_ID_ANY;
	hsod_neigh_params_default(&c->neigh);
}

static struct rte_mbuf *nd_build(struct hsod_net6 *n, struct rte_mempool *mp, uint8_t type,
				 const uint8_t *ip_dst, const struct rte_ether_addr *mac_dst,
				 const uint8_t *target, uint8_t na_flags);

/* The neighbour table asks: a solicitation, multicast or unicast to @p dst. */
static int
nd_solicit(void *ctx, const void *addr, const struct rte_ether_addr *dst)
{
	struct hsod_net6 *n = ctx;
	struct rte_mbuf *m;
	struct rte_ether_addr mac;
	uint8_t group[16];

	if (dst != NULL) {
		/* RFC 4861 7.3.3 PROBE: unicast to the cached address. */
		m = nd_build(n, n->mp, ND_NS, addr, dst, addr, 0);
	} else {
		/* 7.2.2: to the target's solicited-node group. */
		a6_solicited_node(addr, group);
		a6_mcast_mac(group, &mac);
		m = nd_build(n, n->mp, ND_NS, group, &mac, addr, 0);
	}
	if (m == NULL)
		return -ENOBUFS;
	n->stats.tx_ns++;
	n->tx(n->tx_ctx, m);
	return 0;
}

static void
held_xmit6(void *ctx, struct rte_mbuf *m, const struct rte_ether_addr *mac)
{
	struct hsod_net6 *n = ctx;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(mac, &eth->dst_addr);
	rte_ether_addr_copy(&n->mac, &eth->src_addr);
	n->tx(n->tx_ctx, m);
}

static const struct hsod_neigh_ops nd_ops = {
	.solicit = nd_solicit,
	.xmit = held_xmit6,
};

int
hsod_net6_init(struct hsod_net6 *n, const struct hsod_net6_conf *c)
{
	struct hsod_neigh_conf nc;
	bool gw = !a6_is_unspec(c->gateway);

	if (c->prefix_len < 1 || c->prefix_len > 128 || c->mp == NULL || c->tx == NULL ||
	    c->name == NULL || c->ext_max > HSOD_NET6_EXT_MAX_LIMIT)
		return -EINVAL;
	/* ::/8 holds the unspecified, loopback and IPv4-compatible addresses. */
	if (c->addr[0] == 0 || a6_is_mcast(c->addr) || a6_is_linklocal(c->addr))
		return -EINVAL;
	if (gw && (a6_is_mcast(c->gateway) || a6_eq(c->gateway, c->addr) ||
		   (!a6_is_linklocal(c->gateway) &&
		    !a6_prefix_eq(c->gateway, c->addr, c->prefix_len))))
		return -EINVAL;
	memset(n, 0, sizeof(*n));
	memcpy(n->addr, c->addr, 16);
	a6_solicited_node(c->addr, n->snm);
	memcpy(n->gateway, c->gateway, 16);
	n->has_gateway = gw;
	n->prefix_len = (uint8_t)c->prefix_len;
	n->ext_max = (uint8_t)c->ext_max;
	rte_ether_addr_copy(&c->mac, &n->mac);
	n->mp = c->mp;
	n->tx = c->tx;
	n->tx_ctx = c->tx_ctx;
	n->learned = c->learned;
	n->learn_ctx = c->learn_ctx;
	memset(&nc, 0, sizeof(nc));
	nc.name = c->name;
	nc.socket_id = c->socket_id;
	nc.addr_len = 16;
	nc.params = c->neigh;
	nc.pool = c->pool;
	nc.ops = &nd_ops;
	nc.ctx = n;
	n->neigh = hsod_neigh_create(&nc);
	return n->neigh == NULL ? -errno : 0;
}

void
hsod_net6_fini(struct hsod_net6 *n)
{
	hsod_neigh_free(n->neigh);
	n->neigh = NULL;
}

/* ---- output --------------------------------------------------------- */

bool
hsod_net6_next_hop(const struct hsod_net6 *n, const uint8_t dst[16], uint8_t hop[16])
{
	/* Link-local destinations are on-link by definition (RFC 4291 2.5.6). */
	if (a6_prefix_eq(dst, n->addr, n->prefix_len) || a6_is_linklocal(dst)) {
		memcpy(hop, dst, 16);
		return true;
	}
	if (!n->has_gateway)
		return false;
	memcpy(hop, n->gateway, 16);
	return true;
}

enum hsod_net_out
hsod_net6_output(struct hsod_net6 *n, struct rte_mbuf *m, const uint8_t dst[16], uint64_t now_us)
{
	uint8_t hop[16];
	struct rte_ether_addr mac;

	if (!hsod_net6_next_hop(n, dst, hop)) {
		n->stats.tx_no_route++;
		rte_pktmbuf_free(m);
		return HSOD_NET_OUT_DROPPED;
	}
	switch (hsod_neigh_resolve(n->neigh, hop, m, now_us, &mac)) {
	case HSOD_NEIGH_HIT:
		held_xmit6(n, m, &mac);
		return HSOD_NET_OUT_SENT;
	case HSOD_NEIGH_QUEUED:
		return HSOD_NET_OUT_QUEUED;
	default:
		return HSOD_NET_OUT_DROPPED;
	}
}

unsigned
hsod_net6_tick(struct hsod_net6 *n, uint64_t now_us)
{
	return hsod_neigh_tick(n->neigh, now_us);
}

/* ---- building ------------------------------------------------------- */

/*
 * An IPv6 header from us (@p src) to @p dst at the start of @p ip, with
 * @p plen bytes of @p nh after it.
 */
static void
ip6_fill(struct rte_ipv6_hdr *ip, const uint8_t *src, const uint8_t *dst, uint8_t nh,
	 uint16_t plen, uint8_t hops)
{
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(plen);
	ip->proto = nh;
	ip->hop_limits = hops;
	memmove(ip->src_addr, src, 16);
	memmove(ip->dst_addr, dst, 16);
}

/*
 * A Neighbor Solicitation or Advertisement from our address into @p m's
 * data (already ETH_HLEN + IP6_HLEN + ND_MSG_LEN + ND_LLA_LEN long): the
 * target, our MAC as the source (NS) or target (NA) link-layer address.
 */
static void
nd_fill(struct hsod_net6 *n, struct rte_mbuf *m, uint8_t type, const uint8_t *ip_dst,
	const struct rte_ether_addr *mac_dst, const uint8_t *target, uint8_t na_flags)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	uint8_t *icmp = (uint8_t *)(ip + 1);
	uint8_t tgt[16], dst[16];
	uint16_t ck;

	/* The arguments may point into this very frame (an NS answered in place). */
	memcpy(tgt, target, 16);
	memcpy(dst, ip_dst, 16);
	rte_ether_addr_copy(mac_dst, &eth->dst_addr);
	rte_ether_addr_copy(&n->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	/* RFC 4861 7.1: hop limit 255, so a receiver knows no router forwarded it. */
	ip6_fill(ip, n->addr, dst, NH_ICMP6, ND_MSG_LEN + ND_LLA_LEN, ND_HOP_LIMIT);
	icmp[0] = type;
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	icmp[4] = type == ND_NA ? na_flags : 0;
	icmp[5] = icmp[6] = icmp[7] = 0;
	memcpy(icmp + 8, tgt, 16);
	icmp[24] = type == ND_NA ? ND_OPT_TLLA : ND_OPT_SLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, n->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	ck = hsod_net6_l4_cksum(ip->src_addr, ip->dst_addr, NH_ICMP6, icmp,
				ND_MSG_LEN + ND_LLA_LEN);
	memcpy(icmp + 2, &ck, 2);
	m->l2_len = ETH_HLEN;
	m->l3_len = IP6_HLEN;
	m->ol_flags = 0;
}

static struct rte_mbuf *
nd_build(struct hsod_net6 *n, struct rte_mempool *mp, uint8_t type, const uint8_t *ip_dst,
	 const struct rte_ether_addr *mac_dst, const uint8_t *target, uint8_t na_flags)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_append(m, ETH_HLEN + IP6_HLEN + ND_MSG_LEN + ND_LLA_LEN) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	nd_fill(n, m, type, ip_dst, mac_dst, target, na_flags);
	return m;
}

struct rte_mbuf *
hsod_net6_unsolicited_na(struct hsod_net6 *n, struct rte_mempool *mp)
{
	struct rte_ether_addr mac;
	struct rte_mbuf *m;

	/*
	 * RFC 4861 7.2.6: to the all-nodes group, Solicited clear, Override
	 * set, our link-layer address in a Target option.
	 */
	a6_mcast_mac(all_nodes, &mac);
	m = nd_build(n, mp, ND_NA, all_nodes, &mac, n->addr, NA_F_OVERRIDE);
	if (m != NULL)
		n->stats.tx_na++;
	return m;
}

/* ---- input ---------------------------------------------------------- */

static enum hsod_verdict
drop6(struct hsod_net6 *n, enum hsod_drop6 why)
{
	n->stats.drops[why]++;
	return HSOD_NET_DROP;
}

/*
 * The options of an NS or NA (RFC 4861 7.1.1, 7.1.2: "All included
 * options have a length that is greater than zero"). *lla: the first
 * link-layer address option of type @p want, or NULL.
 * @return false when an option is malformed.
 */
static bool
nd_options(const uint8_t *opt, size_t len, uint8_t want, const struct rte_ether_addr **lla)
{
	*lla = NULL;
	while (len > 0) {
		size_t olen;

		if (len < 2 || opt[1] == 0)
			return false;
		olen = (size_t)opt[1] * 8;
		if (olen > len)
			return false;
		/* Unknown options are ignored (4.6); ours must be one 8-byte unit here. */
		if (opt[0] == want && *lla == NULL) {
			if (olen != ND_LLA_LEN)
				return false;
			*lla = (const struct rte_ether_addr *)(opt + 2);
		}
		opt += olen;
		len -= olen;
	}
	return true;
}

/* A frame of exactly @p len bytes (trimmed, or grown into the tailroom). */
static bool
frame_resize(struct rte_mbuf *m, uint16_t len)
{
	uint16_t have = rte_pktmbuf_data_len(m);

	if (have > len)
		return rte_pktmbuf_trim(m, have - len) == 0;
	return have == len || rte_pktmbuf_append(m, len - have) != NULL;
}

static enum hsod_verdict
ns_input(struct hsod_net6 *n, struct rte_mbuf *m, struct rte_ether_hdr *eth,
	 struct rte_ipv6_hdr *ip, uint8_t *icmp, size_t len, uint64_t now)
{
	const struct rte_ether_addr *slla;
	struct rte_ether_addr to_mac;
	const uint8_t *target = icmp + 8;
	uint8_t src[16];
	bool unspec = a6_is_unspec(ip->src_addr);

	n->stats.rx_ns++;
	if (!nd_options(icmp + ND_MSG_LEN, len - ND_MSG_LEN, ND_OPT_SLLA, &slla))
		return drop6(n, HSOD_DROP6_ND_BAD);
	/*
	 * 7.1.1: from the unspecified address (DAD), the destination is a
	 * solicited-node address and there is no source link-layer option.
	 */
	if (unspec && (slla != NULL || !a6_eq(ip->dst_addr, n->snm)))
		return drop6(n, HSOD_DROP6_ND_BAD);
	if (!a6_eq(target, n->addr))
		return drop6(n, HSOD_DROP6_NS_NOT_US);
	memcpy(src, ip->src_addr, 16);
	/*
	 * 7.2.3: with a source address and a source link-layer option, create
	 * or update the sender's entry (STALE; a different address replaces
	 * the cached one).
	 */
	if (!unspec && slla != NULL && rte_is_unicast_ether_addr(slla) &&
	    !rte_is_zero_ether_addr(slla) && !a6_eq(src, n->addr)) {
		hsod_neigh_update(n->neigh, src, slla, HSOD_NEIGH_F_CREATE | HSOD_NEIGH_F_OVERRIDE,
				  now);
		if (n->learned != NULL)
			n->learned(n->learn_ctx, src, slla,
				   HSOD_NEIGH_F_CREATE | HSOD_NEIGH_F_OVERRIDE);
	}
	/*
	 * 7.2.4: the advertisement goes to the soliciting address with
	 * Solicited set, or (DAD) to all-nodes with it clear; Override set
	 * (we are the address's owner, not an anycast responder). The frame
	 * goes back to the MAC it came from: the option's when present.
	 */
	if (!frame_resize(m, ETH_HLEN + IP6_HLEN + ND_MSG_LEN + ND_LLA_LEN))
		return drop6(n, HSOD_DROP6_RUNT);
	if (unspec) {
		a6_mcast_mac(all_nodes, &to_mac);
		nd_fill(n, m, ND_NA, all_nodes, &to_mac, n->addr, NA_F_OVERRIDE);
	} else {
		rte_ether_addr_copy(slla != NULL ? slla : &eth->src_addr, &to_mac);
		nd_fill(n, m, ND_NA, src, &to_mac, n->addr, NA_F_SOLICITED | NA_F_OVERRIDE);
	}
	n->stats.tx_na++;
	return HSOD_NET_REPLY;
}

static enum hsod_verdict
na_input(struct hsod_net6 *n, struct rte_ipv6_hdr *ip, uint8_t *icmp, size_t len, uint64_t now)
{
	const struct rte_ether_addr *tlla;
	const uint8_t *target = icmp + 8;
	uint8_t flags = icmp[4];
	unsigned uf = 0;

	n->stats.rx_na++;
	if (!nd_options(icmp + ND_MSG_LEN, len - ND_MSG_LEN, ND_OPT_TLLA, &tlla))
		return drop6(n, HSOD_DROP6_ND_BAD);
	/* 7.1.2: "If the IP Destination Address is a multicast address the Solicited flag is zero." */
	if (a6_is_mcast(ip->dst_addr) && (flags & NA_F_SOLICITED))
		return drop6(n, HSOD_DROP6_ND_BAD);
	/* Someone else claims our address (we do no DAD, but we count it). */
	if (a6_eq(target, n->addr))
		return drop6(n, HSOD_DROP6_NA_DUP);
	if (tlla != NULL && (!rte_is_unicast_ether_addr(tlla) || rte_is_zero_ether_addr(tlla)))
		return drop6(n, HSOD_DROP6_ND_BAD);
	if (flags & NA_F_SOLICITED)
		uf |= HSOD_NEIGH_F_SOLICITED;
	if (flags & NA_F_OVERRIDE)
		uf |= HSOD_NEIGH_F_OVERRIDE;
	/*
	 * 7.2.5: no entry, nothing to do (no entry is created). Without a
	 * target link-layer option an INCOMPLETE entry learns nothing ("SHOULD
	 * silently discard"); a known one takes the flags with its own
	 * address.
	 */
	if (tlla == NULL) {
		struct hsod_neigh_info info;

		if (hsod_neigh_get(n->neigh, target, &info) != 0 ||
		    info.state == HSOD_NEIGH_INCOMPLETE)
			return HSOD_NET_CONSUMED;
		hsod_neigh_update(n->neigh, target, &info.mac, uf & ~HSOD_NEIGH_F_OVERRIDE, now);
		return HSOD_NET_CONSUMED;
	}
	hsod_neigh_update(n->neigh, target, tlla, uf, now);
	/*
	 * The answer may have come to another worker than the one that asked
	 * (its queue is the port's choice): every worker takes it. Without a
	 * target link-layer address there is nothing another table can use.
	 */
	if (n->learned != NULL)
		n->learned(n->learn_ctx, target, tlla, uf);
	return HSOD_NET_CONSUMED;
}

static enum hsod_verdict
echo_input(struct hsod_net6 *n, struct rte_mbuf *m, struct rte_ether_hdr *eth,
	   struct rte_ipv6_hdr *ip, uint8_t *icmp, size_t len)
{
	uint8_t peer[16];
	uint16_t ck;

	n->stats.rx_echo++;
	if (icmp[1] != 0 || a6_is_unspec(ip->src_addr))
		return drop6(n, HSOD_DROP6_ECHO_BAD);
	memcpy(peer, ip->src_addr, 16);
	/* The reply carries no extension headers: the data moves up behind the header. */
	if (icmp != (uint8_t *)(ip + 1)) {
		memmove(ip + 1, icmp, len);
		icmp = (uint8_t *)(ip + 1);
		if (!frame_resize(m, (uint16_t)(ETH_HLEN + IP6_HLEN + len)))
			return drop6(n, HSOD_DROP6_RUNT);
	}
	/*
	 * RFC 4443 4.2: same identifier, sequence and data. A request to a
	 * multicast group is answered from our unicast address (2.2).
	 */
	ip6_fill(ip, n->addr, peer, NH_ICMP6, (uint16_t)len, HOP_LIMIT);
	icmp[0] = ICMP6_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	ck = hsod_net6_l4_cksum(ip->src_addr, ip->dst_addr, NH_ICMP6, icmp, (uint32_t)len);
	memcpy(icmp + 2, &ck, 2);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&n->mac, &eth->src_addr);
	m->ol_flags = 0;
	n->stats.tx_echo++;
	return HSOD_NET_REPLY;
}

static enum hsod_verdict
icmp6_input(struct hsod_net6 *n, struct rte_mbuf *m, struct rte_ether_hdr *eth,
	    struct rte_ipv6_hdr *ip, uint8_t *icmp, size_t len, uint64_t now)
{
	if (len < 4 || hsod_net6_l4_cksum(ip->src_addr, ip->dst_addr, NH_ICMP6, icmp,
					   (uint32_t)len) != 0)
		return drop6(n, HSOD_DROP6_ICMP_BAD);
	switch (icmp[0]) {
	case ICMP6_ECHO_REQUEST:
		return echo_input(n, m, eth, ip, icmp, len);
	case ND_NS:
	case ND_NA:
		/*
		 * RFC 4861 7.1.1 and 7.1.2: hop limit 255, code 0, 24 octets or
		 * more, a target that is not multicast (checksum checked above).
		 */
		if (ip->hop_limits != ND_HOP_LIMIT || icmp[1] != 0 || len < ND_MSG_LEN ||
		    a6_is_mcast(icmp + 8))
			return drop6(n, HSOD_DROP6_ND_BAD);
		if (icmp[0] == ND_NS)
			return ns_input(n, m, eth, ip, icmp, len, now);
		return na_input(n, ip, icmp, len, now);
	case ND_RS:
	case ND_RA:
		/*
		 * RFC 4861 6.2.6: "A host MUST silently discard any received
		 * Router Solicitation messages." Advertisements would feed
		 * router discovery and SLAAC (6.3.4), which hsod does not do:
		 * its prefix and gateway are configured. Counted, ignored.
		 */
		return drop6(n, HSOD_DROP6_ND_ROUTER);
	case ND_REDIRECT:
		/*
		 * 8.3: a host updates its destination cache from a valid
		 * redirect; hsod keeps none (the next hop is the prefix or the
		 * configured gateway6), so a redirect changes nothing.
		 */
		return drop6(n, HSOD_DROP6_ND_REDIRECT);
	default:
		/*
		 * RFC 4443 2.1: types 0..127 are errors. 2.4(e.1): no error is
		 * ever sent in answer to one (hsod sends none at all). They
		 * would be the upper layer's to act on (2.4(c)); hsod's TCP
		 * takes none, which ends no connection on a forged one (RFC
		 * 5927 7: hard errors treated as soft in synchronized states).
		 * Packet Too Big is counted apart: no path MTU discovery (RFC
		 * 8201) yet, segments stay within the MSS announced. Unknown
		 * informational types are silently discarded (2.4(b)).
		 */
		if (icmp[0] == ICMP6_PACKET_TOO_BIG)
			return drop6(n, HSOD_DROP6_ICMP_TOO_BIG);
		if (icmp[0] < 128)
			return drop6(n, HSOD_DROP6_ICMP_ERROR);
		return drop6(n, HSOD_DROP6_ICMP_TYPE);
	}
}

/*
 * Hop-by-hop and destination options (RFC 8200 4.2): Pad1 and PadN are
 * skipped, as is an unknown option whose two high type bits are 00; any
 * other unknown option discards the packet (we send no Parameter Problem).
 * @return HSOD_DROP6_NUM when fine, else the drop reason.
 */
static enum hsod_drop6
ext_options(const uint8_t *p, size_t len)
{
	size_t o = 2;

	while (o < len) {
		uint8_t type = p[o];

		if (type == 0) {        /* Pad1 */
			o++;
			continue;
		}
		if (o + 2 > len || o + 2 + p[o + 1] > len)
			return HSOD_DROP6_EXT_BAD;
		/* 1: PadN. Router Alert (5) and the rest mean nothing to a host. */
		if (type != 1 && (type >> 6) != 0)
			return HSOD_DROP6_OPTION;
		o += 2u + p[o + 1];
	}
	return HSOD_DROP6_NUM;
}

enum hsod_verdict
hsod_net6_input(struct hsod_net6 *n, struct rte_mbuf *m, uint64_t now_us)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip;
	size_t avail, end, off;
	unsigned n_ext = 0;
	uint8_t nh;
	bool mcast;

	if (m->nb_segs != 1)
		return drop6(n, HSOD_DROP6_RUNT);
	if (rte_pktmbuf_data_len(m) < ETH_HLEN + IP6_HLEN)
		return drop6(n, HSOD_DROP6_RUNT);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = (struct rte_ipv6_hdr *)(eth + 1);
	avail = rte_pktmbuf_data_len(m) - ETH_HLEN;
	if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6)
		return drop6(n, HSOD_DROP6_VERSION);
	end = IP6_HLEN + rte_be_to_cpu_16(ip->payload_len);
	if (end > avail)
		return drop6(n, HSOD_DROP6_HDR);
	/* Ethernet padding past the datagram is not payload. */
	if (end < avail)
		rte_pktmbuf_trim(m, (uint16_t)(avail - end));
	/* RFC 4291 2.7: "Multicast addresses must not be used as source addresses." */
	if (a6_is_mcast(ip->src_addr))
		return drop6(n, HSOD_DROP6_SRC);
	mcast = a6_is_mcast(ip->dst_addr);
	if (!a6_eq(ip->dst_addr, n->addr) && !a6_eq(ip->dst_addr, n->snm) &&
	    !a6_eq(ip->dst_addr, all_nodes))
		return drop6(n, HSOD_DROP6_NOT_US);
	/* RFC 8200 4: the chain of headers, each telling the next, bounded. */
	nh = ip->proto;
	off = IP6_HLEN;
	for (;;) {
		const uint8_t *p = (const uint8_t *)ip + off;
		enum hsod_drop6 r;
		size_t hlen;

		switch (nh) {
		case NH_HOP:
		case NH_DSTOPTS:
		case NH_ROUTING:
			/* 4.1: hop-by-hop options only right after the IPv6 header. */
			if (nh == NH_HOP && off != IP6_HLEN)
				return drop6(n, HSOD_DROP6_EXT_BAD);
			if (++n_ext > n->ext_max)
				return drop6(n, HSOD_DROP6_EXT_LIMIT);
			if (off + 8 > end)
				return drop6(n, HSOD_DROP6_EXT_BAD);
			hlen = ((size_t)p[1] + 1) * 8;
			if (off + hlen > end)
				return drop6(n, HSOD_DROP6_EXT_BAD);
			if (nh == NH_ROUTING) {
				/* 4.4: segments left, and we forward nothing. */
				if (p[3] != 0)
					return drop6(n, HSOD_DROP6_ROUTING);
			} else if ((r = ext_options(p, hlen)) != HSOD_DROP6_NUM) {
				return drop6(n, r);
			}
			nh = p[0];
			off += hlen;
			continue;
		case NH_FRAGMENT:
			return drop6(n, HSOD_DROP6_FRAGMENT);
		case NH_ICMP6:
			return icmp6_input(n, m, eth, ip, (uint8_t *)ip + off, end - off, now_us);
		case NH_TCP: {
			uint8_t hop[16];

			/* TCP is unicast: a segment to a group is nobody's. */
			if (mcast)
				return drop6(n, HSOD_DROP6_PROTO);
			if (end - off < 20)
				return drop6(n, HSOD_DROP6_TCP_HDR);
			m->l2_len = ETH_HLEN;
			m->l3_len = (uint16_t)off;
			n->stats.rx_tcp++;
			/* As for IPv4: a segment from the next hop's MAC keeps it REACHABLE. */
			if (hsod_net6_next_hop(n, ip->src_addr, hop))
				hsod_neigh_confirm(n->neigh, hop, &eth->src_addr, now_us);
			return HSOD_NET_TCP;
		}
		default:
			/* No Next Header, ESP, AH, UDP... */
			return drop6(n, HSOD_DROP6_PROTO);
		}
	}
}

/* ---- the port ------------------------------------------------------- */

int
hsod_net6_port_mcast(uint16_t port, const uint8_t addr[16])
{
	struct rte_ether_addr list[2];
	uint8_t snm[16];
	int r;

	a6_mcast_mac(all_nodes, &list[0]);
	a6_solicited_node(addr, snm);
	a6_mcast_mac(snm, &list[1]);
	r = rte_eth_dev_set_mc_addr_list(port, list, 2);
	if (r == 0)
		return 0;
	/* Ports without a list (TAP, af_packet receive all multicast anyway). */
	r = rte_eth_allmulticast_enable(port);
	return r == -ENOTSUP ? 0 : r;
}
