/* SPDX-License-Identifier: BSD-3-Clause */
/* Ethernet, ARP, IPv4 and ICMP echo for one worker; contract in net.h. */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "net.h"

static const char *const drop_names[HSOD_DROP_NUM] = {
	[HSOD_DROP_RUNT] = "runt",
	[HSOD_DROP_MULTISEG] = "multiseg",
	[HSOD_DROP_ETHERTYPE] = "ethertype",
	[HSOD_DROP_ARP_BAD] = "arp_bad",
	[HSOD_DROP_ARP_NOT_US] = "arp_not_us",
	[HSOD_DROP_IP_VERSION] = "ip_version",
	[HSOD_DROP_IP_HDR] = "ip_hdr",
	[HSOD_DROP_IP_CSUM] = "ip_csum",
	[HSOD_DROP_IP_FRAGMENT] = "ip_fragment",
	[HSOD_DROP_IP_OPTIONS] = "ip_options",
	[HSOD_DROP_IP_NOT_US] = "ip_not_us",
	[HSOD_DROP_IP_PROTO] = "ip_proto",
	[HSOD_DROP_ICMP_BAD] = "icmp_bad",
	[HSOD_DROP_ICMP_TYPE] = "icmp_type",
	[HSOD_DROP_TCP_HDR] = "tcp_hdr",
};

const char *
hsod_drop_name(enum hsod_drop d)
{
	return (unsigned)d < HSOD_DROP_NUM ? drop_names[d] : "invalid";
}

const char *
hsod_drop_elem(unsigned i)
{
	return i < HSOD_DROP_NUM ? drop_names[i] : NULL;
}

void
hsod_net_count_drop(struct hsod_net *n, enum hsod_drop why)
{
	if ((unsigned)why < HSOD_DROP_NUM)
		n->stats.drops[why]++;
}

void
hsod_net_conf_init(struct hsod_net_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->socket_id = SOCKET_ID_ANY;
	hsod_neigh_params_default(&c->neigh);
}

static struct rte_mbuf *arp_build(struct hsod_net *n, struct rte_mempool *mp, uint16_t op,
				  uint32_t sip, uint32_t tip);

/* The neighbour table asks: an ARP request, broadcast or to @p dst. */
static int
arp_solicit(void *ctx, const void *addr, const struct rte_ether_addr *dst)
{
	struct hsod_net *n = ctx;
	uint32_t ip;
	struct rte_mbuf *m;

	memcpy(&ip, addr, sizeof(ip));
	m = arp_build(n, n->mp, RTE_ARP_OP_REQUEST, n->addr, ip);
	if (m == NULL)
		return -ENOBUFS;
	/*
	 * A probe of a known neighbour goes to its cached address (RFC 1122
	 * 2.3.2.1: unicast polls), so a live one answers without a broadcast.
	 */
	if (dst != NULL)
		rte_ether_addr_copy(dst, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
	n->tx(n->tx_ctx, m);
	return 0;
}

static void
eth_address(struct hsod_net *n, struct rte_mbuf *m, const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(&n->mac, &eth->src_addr);
}

/* The neighbour table releases a held frame. */
static void
held_xmit(void *ctx, struct rte_mbuf *m, const struct rte_ether_addr *mac)
{
	struct hsod_net *n = ctx;

	eth_address(n, m, mac);
	n->tx(n->tx_ctx, m);
}

static const struct hsod_neigh_ops arp_ops = {
	.solicit = arp_solicit,
	.xmit = held_xmit,
};

int
hsod_net_init(struct hsod_net *n, const struct hsod_net_conf *c)
{
	struct hsod_neigh_conf nc;
	uint32_t mask;

	if (c->prefix_len > 32 || c->addr == 0 || c->mp == NULL || c->tx == NULL ||
	    c->name == NULL)
		return -EINVAL;
	mask = c->prefix_len == 0 ? 0 : ~0u << (32 - c->prefix_len);
	if (c->gateway != 0 && ((c->gateway ^ c->addr) & mask) != 0)
		return -EINVAL;
	if (c->extra_lo != 0 &&
	    (c->extra_lo > c->extra_hi || ((c->extra_lo ^ c->addr) & mask) != 0 ||
	     ((c->extra_hi ^ c->addr) & mask) != 0 || c->extra_hi == (c->addr | ~mask)))
		return -EINVAL;
	memset(n, 0, sizeof(*n));
	n->addr = c->addr;
	n->extra_lo = c->extra_lo;
	n->extra_hi = c->extra_lo != 0 ? c->extra_hi : 0;
	n->mask = mask;
	n->gateway = c->gateway;
	rte_ether_addr_copy(&c->mac, &n->mac);
	n->mp = c->mp;
	n->tx = c->tx;
	n->tx_ctx = c->tx_ctx;
	n->learned = c->learned;
	n->learn_ctx = c->learn_ctx;
	memset(&nc, 0, sizeof(nc));
	nc.name = c->name;
	nc.socket_id = c->socket_id;
	nc.addr_len = sizeof(uint32_t);
	nc.params = c->neigh;
	nc.pool = c->pool;
	nc.ops = &arp_ops;
	nc.ctx = n;
	n->neigh = hsod_neigh_create(&nc);
	return n->neigh == NULL ? -errno : 0;
}

void
hsod_net_fini(struct hsod_net *n)
{
	hsod_neigh_free(n->neigh);
	n->neigh = NULL;
}

/* A neighbour we may learn: on our subnet, not us, a unicast MAC. */
static bool
arp_learnable(const struct hsod_net *n, uint32_t ip, const struct rte_ether_addr *mac)
{
	return ((ip ^ n->addr) & n->mask) == 0 && !hsod_net_is_local(n, ip) &&
	       rte_is_unicast_ether_addr(mac) && !rte_is_zero_ether_addr(mac);
}

uint32_t
hsod_net_next_hop(const struct hsod_net *n, uint32_t ip)
{
	/* Off-link: the gateway's address. */
	return ((ip ^ n->addr) & n->mask) != 0 ? n->gateway : ip;
}

bool
hsod_net_lookup(struct hsod_net *n, uint32_t ip, uint64_t now_us, struct rte_ether_addr *mac)
{
	uint32_t hop = hsod_net_next_hop(n, ip);

	if (hop == 0)
		return false;
	return hsod_neigh_resolve(n->neigh, &hop, NULL, now_us, mac) == HSOD_NEIGH_HIT;
}

enum hsod_net_out
hsod_net_output(struct hsod_net *n, struct rte_mbuf *m, uint32_t ip, uint64_t now_us)
{
	uint32_t hop = hsod_net_next_hop(n, ip);
	struct rte_ether_addr mac;

	if (hop == 0) {
		n->stats.tx_no_route++;
		rte_pktmbuf_free(m);
		return HSOD_NET_OUT_DROPPED;
	}
	switch (hsod_neigh_resolve(n->neigh, &hop, m, now_us, &mac)) {
	case HSOD_NEIGH_HIT:
		eth_address(n, m, &mac);
		n->tx(n->tx_ctx, m);
		return HSOD_NET_OUT_SENT;
	case HSOD_NEIGH_QUEUED:
		return HSOD_NET_OUT_QUEUED;
	default:
		return HSOD_NET_OUT_DROPPED;
	}
}

unsigned
hsod_net_tick(struct hsod_net *n, uint64_t now_us)
{
	return hsod_neigh_tick(n->neigh, now_us);
}

static enum hsod_verdict
drop(struct hsod_net *n, enum hsod_drop why)
{
	n->stats.drops[why]++;
	return HSOD_NET_DROP;
}

static enum hsod_verdict
arp_input(struct hsod_net *n, struct rte_mbuf *m, struct rte_ether_hdr *eth, uint64_t now)
{
	struct rte_arp_hdr *a;
	uint32_t sip, tip;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*a))
		return drop(n, HSOD_DROP_RUNT);
	a = (struct rte_arp_hdr *)(eth + 1);
	if (a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4)
		return drop(n, HSOD_DROP_ARP_BAD);
	n->stats.rx_arp++;
	sip = rte_be_to_cpu_32(a->arp_data.arp_sip);
	tip = rte_be_to_cpu_32(a->arp_data.arp_tip);
	/*
	 * RFC 826's merge: a known sender's entry takes the address it sends
	 * (a gratuitous ARP too: always an override, ARP has no other kind);
	 * the sender is added when the packet is for us. A reply for us
	 * answers our request: the neighbour is reachable.
	 */
	if (arp_learnable(n, sip, &a->arp_data.arp_sha)) {
		unsigned flags = HSOD_NEIGH_F_OVERRIDE;

		if (hsod_net_is_local(n, tip))
			flags |= HSOD_NEIGH_F_CREATE;
		if (hsod_net_is_local(n, tip) &&
		    a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY))
			flags |= HSOD_NEIGH_F_SOLICITED;
		hsod_neigh_update(n->neigh, &sip, &a->arp_data.arp_sha, flags, now);
		if (n->learned != NULL)
			n->learned(n->learn_ctx, &sip, &a->arp_data.arp_sha, flags);
	}
	if (a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY))
		return HSOD_NET_CONSUMED;
	if (a->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST))
		return drop(n, HSOD_DROP_ARP_BAD);
	if (!hsod_net_is_local(n, tip))
		return drop(n, HSOD_DROP_ARP_NOT_US);
	/* Answer in place: the asker becomes the target. */
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&a->arp_data.arp_sha, &a->arp_data.arp_tha);
	a->arp_data.arp_tip = a->arp_data.arp_sip;
	rte_ether_addr_copy(&n->mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = rte_cpu_to_be_32(tip);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&n->mac, &eth->src_addr);
	n->stats.tx_arp++;
	return HSOD_NET_REPLY;
}

static enum hsod_verdict
icmp_input(struct hsod_net *n, struct rte_mbuf *m, struct rte_ether_hdr *eth,
	   struct rte_ipv4_hdr *ip, size_t ihl, size_t tot)
{
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	size_t len = tot - ihl;
	uint32_t s;

	(void)m;
	n->stats.rx_icmp++;
	if (len < sizeof(*icmp) || rte_raw_cksum(icmp, len) != 0xffff)
		return drop(n, HSOD_DROP_ICMP_BAD);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return drop(n, HSOD_DROP_ICMP_TYPE);
	/* Echo reply (RFC 792): same identifier, sequence and data. */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, len);
	s = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = s;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&n->mac, &eth->src_addr);
	n->stats.tx_icmp++;
	return HSOD_NET_REPLY;
}

enum hsod_verdict
hsod_net_input(struct hsod_net *n, struct rte_mbuf *m, uint64_t now_us)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	size_t ihl, tot, avail;
	uint16_t frag;

	if (m->nb_segs != 1)
		return drop(n, HSOD_DROP_MULTISEG);
	if (rte_pktmbuf_data_len(m) < sizeof(*eth))
		return drop(n, HSOD_DROP_RUNT);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		return arp_input(n, m, eth, now_us);
	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return drop(n, HSOD_DROP_ETHERTYPE);

	avail = rte_pktmbuf_data_len(m) - sizeof(*eth);
	if (avail < sizeof(*ip))
		return drop(n, HSOD_DROP_RUNT);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	if ((ip->version_ihl >> 4) != 4)
		return drop(n, HSOD_DROP_IP_VERSION);
	ihl = (size_t)(ip->version_ihl & 0xf) * 4;
	tot = rte_be_to_cpu_16(ip->total_length);
	/* RFC 1122 3.2.1.1-2: a datagram whose lengths do not add up is discarded. */
	if (ihl < sizeof(*ip) || tot < ihl || tot > avail)
		return drop(n, HSOD_DROP_IP_HDR);
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	    ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	     rte_raw_cksum(ip, ihl) != 0xffff))
		return drop(n, HSOD_DROP_IP_CSUM);
	if (!hsod_net_is_local(n, rte_be_to_cpu_32(ip->dst_addr)))
		return drop(n, HSOD_DROP_IP_NOT_US);
	frag = rte_be_to_cpu_16(ip->fragment_offset);
	if ((frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return drop(n, HSOD_DROP_IP_FRAGMENT);
	if (ihl != sizeof(*ip))
		return drop(n, HSOD_DROP_IP_OPTIONS);
	/* Ethernet padding past the datagram is not payload. */
	if (tot < avail)
		rte_pktmbuf_trim(m, (uint16_t)(avail - tot));
	switch (ip->next_proto_id) {
	case IPPROTO_ICMP:
		return icmp_input(n, m, eth, ip, ihl, tot);
	case IPPROTO_TCP: {
		uint32_t hop = hsod_net_next_hop(n, rte_be_to_cpu_32(ip->src_addr));

		m->l2_len = sizeof(*eth);
		m->l3_len = (uint16_t)ihl;
		n->stats.rx_tcp++;
		/*
		 * A segment from the neighbour's own address (the gateway's for
		 * an off-link peer) shows it alive: its entry stays REACHABLE
		 * while traffic flows, with no ARP at all.
		 */
		if (hop != 0)
			hsod_neigh_confirm(n->neigh, &hop, &eth->src_addr, now_us);
		return HSOD_NET_TCP;
	}
	default:
		return drop(n, HSOD_DROP_IP_PROTO);
	}
}

static struct rte_mbuf *
arp_build(struct hsod_net *n, struct rte_mempool *mp, uint16_t op, uint32_t sip, uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*a));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	a = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(&n->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&n->mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	memset(&a->arp_data.arp_tha, 0, sizeof(a->arp_data.arp_tha));
	a->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	n->stats.tx_arp++;
	return m;
}

struct rte_mbuf *
hsod_net_garp(struct hsod_net *n, struct rte_mempool *mp)
{
	/* RFC 5227 2.3: an ARP request with sender and target both our address. */
	return arp_build(n, mp, RTE_ARP_OP_REQUEST, n->addr, n->addr);
}

struct rte_mbuf *
hsod_net_arp_request(struct hsod_net *n, struct rte_mempool *mp, uint32_t ip)
{
	return arp_build(n, mp, RTE_ARP_OP_REQUEST, n->addr, ip);
}

struct rte_mbuf *
hsod_net_arp_request_from(struct hsod_net *n, struct rte_mempool *mp, uint32_t from, uint32_t ip)
{
	if (!hsod_net_is_local(n, from))
		return NULL;
	return arp_build(n, mp, RTE_ARP_OP_REQUEST, from, ip);
}

bool
hsod_net_tcp_reset(struct hsod_net *n, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *t;
	size_t tot = rte_be_to_cpu_16(ip->total_length), thl;
	uint32_t seq, ack, seg_len;
	uint16_t port;
	uint8_t flags;

	if (tot < sizeof(*ip) + sizeof(*t)) {
		drop(n, HSOD_DROP_TCP_HDR);
		return false;
	}
	t = (struct rte_tcp_hdr *)(ip + 1);
	thl = (size_t)(t->data_off >> 4) * 4;
	if (thl < sizeof(*t) || thl > tot - sizeof(*ip)) {
		drop(n, HSOD_DROP_TCP_HDR);
		return false;
	}
	flags = t->tcp_flags;
	/* "An incoming segment containing a RST is discarded." */
	if (flags & RTE_TCP_RST_FLAG)
		return false;
	seg_len = (uint32_t)(tot - sizeof(*ip) - thl) + !!(flags & RTE_TCP_SYN_FLAG) +
		  !!(flags & RTE_TCP_FIN_FLAG);
	if (flags & RTE_TCP_ACK_FLAG) {
		seq = rte_be_to_cpu_32(t->recv_ack);
		ack = 0;
		flags = RTE_TCP_RST_FLAG;
	} else {
		seq = 0;
		ack = rte_be_to_cpu_32(t->sent_seq) + seg_len;
		flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	port = t->src_port;
	t->src_port = t->dst_port;
	t->dst_port = port;
	t->sent_seq = rte_cpu_to_be_32(seq);
	t->recv_ack = rte_cpu_to_be_32(ack);
	t->data_off = (uint8_t)(sizeof(*t) / 4) << 4;
	t->tcp_flags = flags;
	t->rx_win = 0;
	t->tcp_urp = 0;
	/* The reset carries no options and no data. */
	rte_pktmbuf_trim(m, (uint16_t)(tot - sizeof(*ip) - sizeof(*t)));
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*t));
	{
		uint32_t a = ip->src_addr;

		ip->src_addr = ip->dst_addr;
		ip->dst_addr = a;
	}
	ip->time_to_live = 64;
	ip->fragment_offset = 0;
	ip->packet_id = 0;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	t->cksum = 0;
	t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&n->mac, &eth->src_addr);
	m->ol_flags = 0;
	n->stats.tx_rst++;
	return true;
}
