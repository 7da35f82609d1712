/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/net: crafted frames in real mbufs (EAL without hugepages):
 * ARP answered and learned, ICMP echo answered with valid checksums, every
 * malformed or unwanted IPv4 packet dropped with its own counter, TCP
 * segments passed up with their header lengths; a range of extra local
 * addresses (hso-gen's sources); TCP segments built into frames and parsed
 * back (tcp_pkt.h).
 */
#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "check.h"
#include "net.h"
#include "tcp_pkt.h"

#define OUR_IP RTE_IPV4(198, 18, 0, 2)
#define PEER_IP RTE_IPV4(198, 18, 0, 1)
#define GW_IP RTE_IPV4(198, 18, 0, 254)

static struct rte_mempool *mp;
static const struct rte_ether_addr our_mac = { { 0x02, 0, 0, 0, 0, 2 } };
static const struct rte_ether_addr peer_mac = { { 0x02, 0, 0, 0, 0, 1 } };

static struct rte_mbuf *
frame(size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	if (m == NULL || rte_pktmbuf_append(m, (uint16_t)len) == NULL)
		abort();
	memset(rte_pktmbuf_mtod(m, void *), 0, len);
	return m;
}

static struct rte_mbuf *
arp_frame(uint16_t op, uint32_t sip, const struct rte_ether_addr *sha, uint32_t tip)
{
	struct rte_mbuf *m = frame(sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr));
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);

	memset(&eth->dst_addr, 0xff, 6);
	rte_ether_addr_copy(sha, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(sha, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	a->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return m;
}

/* IPv4 + @p proto with @p payload bytes; @p pad extra Ethernet bytes. */
static struct rte_mbuf *
ip_frame(uint8_t proto, uint32_t dst, size_t payload, size_t pad, struct rte_ipv4_hdr **ipp)
{
	size_t tot = sizeof(struct rte_ipv4_hdr) + payload;
	struct rte_mbuf *m = frame(sizeof(struct rte_ether_hdr) + tot + pad);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

	rte_ether_addr_copy(&our_mac, &eth->dst_addr);
	rte_ether_addr_copy(&peer_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)tot);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	*ipp = ip;
	return m;
}

static struct rte_mbuf *
echo_frame(size_t data, size_t pad, struct rte_ipv4_hdr **ipp)
{
	struct rte_mbuf *m = ip_frame(IPPROTO_ICMP, OUR_IP, sizeof(struct rte_icmp_hdr) + data,
				      pad, ipp);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(*ipp + 1);

	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = rte_cpu_to_be_16(0x1234);
	icmp->icmp_seq_nb = rte_cpu_to_be_16(7);
	for (size_t i = 0; i < data; i++)
		((uint8_t *)(icmp + 1))[i] = (uint8_t)i;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(*icmp) + data);
	return m;
}

static void
test_arp(struct hsod_net *n)
{
	struct rte_mbuf *m;
	struct rte_ether_addr mac;
	struct rte_arp_hdr *a;
	struct rte_ether_hdr *eth;

	/* A request for us: answered in place, and the asker learned. */
	m = arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, &peer_mac, OUR_IP);
	CHECK_EQ(hsod_net_input(n, m, 1000), HSOD_NET_REPLY);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	a = (struct rte_arp_hdr *)(eth + 1);
	CHECK(rte_is_same_ether_addr(&eth->dst_addr, &peer_mac));
	CHECK(rte_is_same_ether_addr(&eth->src_addr, &our_mac));
	CHECK(a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY));
	CHECK(rte_is_same_ether_addr(&a->arp_data.arp_sha, &our_mac));
	CHECK(a->arp_data.arp_sip == rte_cpu_to_be_32(OUR_IP));
	CHECK(rte_is_same_ether_addr(&a->arp_data.arp_tha, &peer_mac));
	CHECK(a->arp_data.arp_tip == rte_cpu_to_be_32(PEER_IP));
	rte_pktmbuf_free(m);
	CHECK(hsod_net_lookup(n, PEER_IP, 2000, &mac) && rte_is_same_ether_addr(&mac, &peer_mac));
	/* Entries expire. */
	CHECK(!hsod_net_lookup(n, PEER_IP, 1000 + HSOD_ARP_TTL_US + 1, &mac));

	/* A request for someone else: not answered, not learned. */
	m = arp_frame(RTE_ARP_OP_REQUEST, RTE_IPV4(198, 18, 0, 9), &peer_mac,
		      RTE_IPV4(198, 18, 0, 10));
	CHECK_EQ(hsod_net_input(n, m, 3000), HSOD_NET_DROP);
	CHECK_EQ(n->stats.drops[HSOD_DROP_ARP_NOT_US], 1);
	rte_pktmbuf_free(m);
	CHECK(!hsod_net_lookup(n, RTE_IPV4(198, 18, 0, 9), 3000, &mac));

	/* The gateway's reply to our request: learned; off-link goes through it. */
	m = arp_frame(RTE_ARP_OP_REPLY, GW_IP, &peer_mac, OUR_IP);
	CHECK_EQ(hsod_net_input(n, m, 4000), HSOD_NET_CONSUMED);
	rte_pktmbuf_free(m);
	CHECK(hsod_net_lookup(n, RTE_IPV4(8, 8, 8, 8), 4000, &mac));

	/* Not Ethernet/IPv4 ARP. */
	m = arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, &peer_mac, OUR_IP);
	a = (struct rte_arp_hdr *)(rte_pktmbuf_mtod(m, struct rte_ether_hdr *) + 1);
	a->arp_plen = 16;
	CHECK_EQ(hsod_net_input(n, m, 5000), HSOD_NET_DROP);
	CHECK_EQ(n->stats.drops[HSOD_DROP_ARP_BAD], 1);
	rte_pktmbuf_free(m);

	/* Gratuitous ARP: sender and target are our address, broadcast. */
	m = hsod_net_garp(n, mp);
	CHECK(m != NULL);
	if (m != NULL) {
		eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		a = (struct rte_arp_hdr *)(eth + 1);
		CHECK(rte_is_broadcast_ether_addr(&eth->dst_addr));
		CHECK(a->arp_data.arp_sip == a->arp_data.arp_tip);
		CHECK(a->arp_data.arp_sip == rte_cpu_to_be_32(OUR_IP));
		rte_pktmbuf_free(m);
	}
}

static void
test_icmp(struct hsod_net *n)
{
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *m = echo_frame(56, 0, &ip);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);

	CHECK_EQ(hsod_net_input(n, m, 0), HSOD_NET_REPLY);
	CHECK(icmp->icmp_type == RTE_IP_ICMP_ECHO_REPLY);
	CHECK(icmp->icmp_ident == rte_cpu_to_be_16(0x1234));
	CHECK_EQ(rte_raw_cksum(icmp, sizeof(*icmp) + 56), 0xffff);
	CHECK_EQ(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	CHECK(ip->dst_addr == rte_cpu_to_be_32(PEER_IP) && ip->src_addr == rte_cpu_to_be_32(OUR_IP));
	rte_pktmbuf_free(m);

	/* Ethernet padding (a short frame padded to 60 bytes) is trimmed. */
	m = echo_frame(0, 18, &ip);
	CHECK_EQ(hsod_net_input(n, m, 0), HSOD_NET_REPLY);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 14 + 20 + 8);
	rte_pktmbuf_free(m);

	/* A corrupted echo request and a non-echo ICMP message. */
	m = echo_frame(8, 0, &ip);
	((uint8_t *)(ip + 1))[9] ^= 1;
	CHECK_EQ(hsod_net_input(n, m, 0), HSOD_NET_DROP);
	CHECK_EQ(n->stats.drops[HSOD_DROP_ICMP_BAD], 1);
	rte_pktmbuf_free(m);
	m = echo_frame(8, 0, &ip);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = 13;   /* timestamp */
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(*icmp) + 8);
	CHECK_EQ(hsod_net_input(n, m, 0), HSOD_NET_DROP);
	CHECK_EQ(n->stats.drops[HSOD_DROP_ICMP_TYPE], 1);
	rte_pktmbuf_free(m);
}

static void
expect_drop(struct hsod_net *n, struct rte_mbuf *m, enum hsod_drop why)
{
	uint64_t before = n->stats.drops[why];

	CHECK_MSG(hsod_net_input(n, m, 0) == HSOD_NET_DROP && n->stats.drops[why] == before + 1,
		  "expected drop %s", hsod_drop_name(why));
	rte_pktmbuf_free(m);
}

static void
test_ipv4(struct hsod_net *n)
{
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *m;

	/* TCP for us: passed up with header lengths. */
	m = ip_frame(IPPROTO_TCP, OUR_IP, 20, 0, &ip);
	CHECK_EQ(hsod_net_input(n, m, 0), HSOD_NET_TCP);
	CHECK(m->l2_len == 14 && m->l3_len == 20);
	rte_pktmbuf_free(m);

	m = ip_frame(IPPROTO_TCP, OUR_IP, 20, 0, &ip);
	ip->hdr_checksum ^= 1;
	expect_drop(n, m, HSOD_DROP_IP_CSUM);

	m = ip_frame(IPPROTO_TCP, RTE_IPV4(198, 18, 0, 3), 20, 0, &ip);
	expect_drop(n, m, HSOD_DROP_IP_NOT_US);

	m = ip_frame(IPPROTO_TCP, OUR_IP, 20, 0, &ip);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	expect_drop(n, m, HSOD_DROP_IP_FRAGMENT);

	m = ip_frame(IPPROTO_TCP, OUR_IP, 20, 0, &ip);
	ip->fragment_offset = rte_cpu_to_be_16(185);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	expect_drop(n, m, HSOD_DROP_IP_FRAGMENT);

	/* Options: a 24-byte header (a NOP option word). */
	m = ip_frame(IPPROTO_TCP, OUR_IP, 24, 0, &ip);
	ip->version_ihl = 0x46;
	((uint8_t *)(ip + 1))[0] = 1;
	((uint8_t *)(ip + 1))[1] = 1;
	((uint8_t *)(ip + 1))[2] = 1;
	((uint8_t *)(ip + 1))[3] = 0;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, 24);
	expect_drop(n, m, HSOD_DROP_IP_OPTIONS);

	m = ip_frame(IPPROTO_TCP, OUR_IP, 20, 0, &ip);
	ip->total_length = rte_cpu_to_be_16(200);   /* longer than the frame */
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	expect_drop(n, m, HSOD_DROP_IP_HDR);

	m = ip_frame(IPPROTO_TCP, OUR_IP, 20, 0, &ip);
	ip->version_ihl = 0x44;                      /* IHL below 5 */
	expect_drop(n, m, HSOD_DROP_IP_HDR);

	m = ip_frame(IPPROTO_TCP, OUR_IP, 20, 0, &ip);
	ip->version_ihl = 0x65;
	expect_drop(n, m, HSOD_DROP_IP_VERSION);

	m = ip_frame(IPPROTO_UDP, OUR_IP, 20, 0, &ip);
	expect_drop(n, m, HSOD_DROP_IP_PROTO);

	m = frame(30);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type =
		rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	expect_drop(n, m, HSOD_DROP_ETHERTYPE);

	m = frame(10);
	expect_drop(n, m, HSOD_DROP_RUNT);

	m = ip_frame(IPPROTO_TCP, OUR_IP, 20, 0, &ip);
	rte_pktmbuf_trim(m, 30);
	expect_drop(n, m, HSOD_DROP_RUNT);

	/* Chained mbufs are not parsed across segments. */
	{
		struct rte_mbuf *a = ip_frame(IPPROTO_TCP, OUR_IP, 20, 0, &ip), *b = frame(10);

		CHECK_EQ(rte_pktmbuf_chain(a, b), 0);
		expect_drop(n, a, HSOD_DROP_MULTISEG);
	}
}

/* The TCP checksum is right (recomputed independently, stable API only). */
static bool
tcp_cksum_ok(struct rte_ipv4_hdr *ip, struct rte_tcp_hdr *t)
{
	uint16_t got = t->cksum, want;

	t->cksum = 0;
	want = rte_ipv4_udptcp_cksum(ip, t);
	t->cksum = got;
	return got == want;
}

static void
test_tcp_reset(struct hsod_net *n)
{
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *t;
	struct rte_mbuf *m;

	/* A SYN to a closed port: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>. */
	m = ip_frame(IPPROTO_TCP, OUR_IP, 24, 0, &ip);
	t = (struct rte_tcp_hdr *)(ip + 1);
	t->src_port = rte_cpu_to_be_16(40000);
	t->dst_port = rte_cpu_to_be_16(443);
	t->sent_seq = rte_cpu_to_be_32(0xfffffffe);
	t->data_off = 6 << 4;   /* one option word (MSS) */
	t->tcp_flags = RTE_TCP_SYN_FLAG;
	CHECK_EQ(hsod_net_input(n, m, 0), HSOD_NET_TCP);
	CHECK(hsod_net_tcp_reset(n, m));
	CHECK(t->tcp_flags == (RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG));
	CHECK(t->sent_seq == 0 && t->recv_ack == rte_cpu_to_be_32(0xffffffff));
	CHECK(t->src_port == rte_cpu_to_be_16(443) && t->dst_port == rte_cpu_to_be_16(40000));
	CHECK(ip->dst_addr == rte_cpu_to_be_32(PEER_IP));
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 14 + 20 + 20);
	CHECK(tcp_cksum_ok(ip, t));
	CHECK_EQ(rte_raw_cksum(ip, 20), 0xffff);
	rte_pktmbuf_free(m);

	/* Data with ACK: <SEQ=SEG.ACK><CTL=RST>. */
	m = ip_frame(IPPROTO_TCP, OUR_IP, 20 + 100, 0, &ip);
	t = (struct rte_tcp_hdr *)(ip + 1);
	t->sent_seq = rte_cpu_to_be_32(5);
	t->recv_ack = rte_cpu_to_be_32(777);
	t->data_off = 5 << 4;
	t->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	CHECK_EQ(hsod_net_input(n, m, 0), HSOD_NET_TCP);
	CHECK(hsod_net_tcp_reset(n, m));
	CHECK(t->tcp_flags == RTE_TCP_RST_FLAG && t->sent_seq == rte_cpu_to_be_32(777));
	CHECK(tcp_cksum_ok(ip, t));
	rte_pktmbuf_free(m);

	/* Never a reset for a reset; a bad data offset is dropped. */
	m = ip_frame(IPPROTO_TCP, OUR_IP, 20, 0, &ip);
	t = (struct rte_tcp_hdr *)(ip + 1);
	t->data_off = 5 << 4;
	t->tcp_flags = RTE_TCP_RST_FLAG;
	CHECK(!hsod_net_tcp_reset(n, m));
	t->tcp_flags = RTE_TCP_SYN_FLAG;
	t->data_off = 9 << 4;
	CHECK(!hsod_net_tcp_reset(n, m));
	CHECK_EQ(n->stats.drops[HSOD_DROP_TCP_HDR], 1);
	rte_pktmbuf_free(m);
}

/* hso-gen's sources: ARP answered and IPv4 taken for a range of addresses. */
static void
test_range(void)
{
	struct hsod_net n;
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *m;

	CHECK_EQ(hsod_net_init(&n, OUR_IP, 24, 0, &our_mac), 0);
	CHECK_EQ(hsod_net_add_range(&n, RTE_IPV4(198, 18, 0, 20), RTE_IPV4(198, 18, 0, 10)), -EINVAL);
	CHECK_EQ(hsod_net_add_range(&n, RTE_IPV4(198, 18, 0, 10), RTE_IPV4(198, 18, 1, 10)), -EINVAL);
	CHECK_EQ(hsod_net_add_range(&n, RTE_IPV4(198, 18, 0, 10), RTE_IPV4(198, 18, 0, 255)), -EINVAL);
	CHECK_EQ(hsod_net_add_range(&n, RTE_IPV4(198, 18, 0, 10), RTE_IPV4(198, 18, 0, 20)), 0);
	CHECK(hsod_net_is_local(&n, OUR_IP) && hsod_net_is_local(&n, RTE_IPV4(198, 18, 0, 15)));
	CHECK(!hsod_net_is_local(&n, RTE_IPV4(198, 18, 0, 21)));

	/* Who has .15? We do: the reply says so, from .15. */
	m = arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, &peer_mac, RTE_IPV4(198, 18, 0, 15));
	CHECK_EQ(hsod_net_input(&n, m, 0), HSOD_NET_REPLY);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	a = (struct rte_arp_hdr *)(eth + 1);
	CHECK(a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY));
	CHECK(a->arp_data.arp_sip == rte_cpu_to_be_32(RTE_IPV4(198, 18, 0, 15)));
	CHECK(rte_is_same_ether_addr(&a->arp_data.arp_sha, &our_mac));
	rte_pktmbuf_free(m);
	m = arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, &peer_mac, RTE_IPV4(198, 18, 0, 21));
	CHECK_EQ(hsod_net_input(&n, m, 0), HSOD_NET_DROP);
	CHECK_EQ(n.stats.drops[HSOD_DROP_ARP_NOT_US], 1);
	rte_pktmbuf_free(m);

	/* IPv4 to a source address is ours; just past the range is not. */
	m = ip_frame(IPPROTO_TCP, RTE_IPV4(198, 18, 0, 20), 20, 0, &ip);
	((struct rte_tcp_hdr *)(ip + 1))->data_off = 5 << 4;
	CHECK_EQ(hsod_net_input(&n, m, 0), HSOD_NET_TCP);
	rte_pktmbuf_free(m);
	m = ip_frame(IPPROTO_TCP, RTE_IPV4(198, 18, 0, 21), 20, 0, &ip);
	CHECK_EQ(hsod_net_input(&n, m, 0), HSOD_NET_DROP);
	CHECK_EQ(n.stats.drops[HSOD_DROP_IP_NOT_US], 1);
	rte_pktmbuf_free(m);

	/* Asking from a source address teaches the target that address. */
	m = hsod_net_arp_request_from(&n, mp, RTE_IPV4(198, 18, 0, 12), PEER_IP);
	CHECK(m != NULL);
	if (m != NULL) {
		a = (struct rte_arp_hdr *)(rte_pktmbuf_mtod(m, struct rte_ether_hdr *) + 1);
		CHECK(a->arp_data.arp_sip == rte_cpu_to_be_32(RTE_IPV4(198, 18, 0, 12)));
		CHECK(a->arp_data.arp_tip == rte_cpu_to_be_32(PEER_IP));
		rte_pktmbuf_free(m);
	}
	CHECK(hsod_net_arp_request_from(&n, mp, RTE_IPV4(198, 18, 0, 99), PEER_IP) == NULL);
}

/* A segment with options and a payload in two pieces: built, then parsed back. */
static void
test_tcp_pkt(struct hsod_net *n)
{
	static const uint8_t part1[] = "hello, ", part2[] = "world";
	struct tcp_seg_out o = {
		.tuple = { .laddr = PEER_IP, .raddr = OUR_IP, .lport = 40001, .rport = 443 },
		.seq = 0x01020304, .ack = 0xa0b0c0d0, .window = 4321,
		.flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .opt_len = 4, .opts = { 2, 4, 5, 0xb4 },
		.data = { part1, part2 }, .data_len = { 7, 5 }, .len = 12,
	};
	struct tcp_seg seg;
	struct rte_mbuf *m;

	m = tcp_pkt_build(mp, &o, &peer_mac, &our_mac, false);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 14 + 20 + 24 + 12);
	CHECK_EQ(hsod_net_input(n, m, 0), HSOD_NET_TCP);
	CHECK_EQ(tcp_pkt_parse(m, &seg), 0);
	/* Seen from the receiver: local and remote swap. */
	CHECK(seg.tuple.laddr == OUR_IP && seg.tuple.raddr == PEER_IP &&
	      seg.tuple.lport == 443 && seg.tuple.rport == 40001);
	CHECK(seg.seq == o.seq && seg.ack == o.ack && seg.window == o.window &&
	      seg.flags == o.flags);
	CHECK(seg.opt_len == 4 && memcmp(seg.opts, o.opts, 4) == 0);
	CHECK(seg.len == 12 && memcmp(seg.payload, "hello, world", 12) == 0);
	/* One flipped payload bit: the checksum says so. */
	((uint8_t *)seg.payload)[3] ^= 1;
	CHECK_EQ(tcp_pkt_parse(m, &seg), -EILSEQ);
	rte_pktmbuf_free(m);

	/* Offloaded: flags and lengths for the port, the pseudo-header sum in place. */
	m = tcp_pkt_build(mp, &o, &peer_mac, &our_mac, true);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
	CHECK(m->l2_len == 14 && m->l3_len == 20 && m->l4_len == 24);
	rte_pktmbuf_free(m);
}

int
main(void)
{
	/* No hugepages needed: --no-huge (which implies legacy memory) and no shared files. */
	char *eal[] = { "test_net", "--no-huge", "--no-pci", "--no-shconf", "-l", "0",
			"-m", "64", "--no-telemetry", "--log-level=lib.eal:error", NULL };
	struct hsod_net n;

	if (rte_eal_init(10, eal) < 0) {
		printf("skip: DPDK EAL cannot start here (%s)\n", rte_strerror(rte_errno));
		return CHECK_SKIP;
	}
	mp = rte_pktmbuf_pool_create("test_net", 256, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	CHECK(mp != NULL);
	if (mp == NULL)
		return check_result("net");
	CHECK_EQ(hsod_net_init(&n, OUR_IP, 33, 0, &our_mac), -EINVAL);
	CHECK_EQ(hsod_net_init(&n, 0, 24, 0, &our_mac), -EINVAL);
	CHECK_EQ(hsod_net_init(&n, OUR_IP, 24, RTE_IPV4(10, 0, 0, 1), &our_mac), -EINVAL);
	CHECK_EQ(hsod_net_init(&n, OUR_IP, 24, GW_IP, &our_mac), 0);
	test_arp(&n);
	test_icmp(&n);
	test_ipv4(&n);
	test_tcp_reset(&n);
	test_range();
	test_tcp_pkt(&n);
	for (int d = 0; d < HSOD_DROP_NUM; d++)
		CHECK(strcmp(hsod_drop_name((enum hsod_drop)d), "invalid") != 0);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return check_result("net");
}
