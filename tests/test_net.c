/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/net and its neighbour cache (neigh.c): crafted frames in real
 * mbufs (EAL without hugepages). ARP answered and learned, ICMP echo
 * answered with valid checksums, every malformed or unwanted IPv4 packet
 * dropped with its own counter, TCP segments passed up with their header
 * lengths. Neighbours: hosts that shared a slot of the old direct-mapped
 * table both kept, LRU eviction order, refresh by received TCP, unicast
 * re-requests before an entry in use lapses (10 simulated minutes without a
 * miss), packets held on a miss and sent in order on the reply, the queue
 * bounds and their drops, failure after the configured tries, gratuitous
 * ARP, ageing, and the same code as an IPv6 (16-byte key) table. Time is
 * simulated: no test waits.
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

#define S_US (1000ull * 1000)

static struct rte_mempool *mp;
static const struct rte_ether_addr our_mac = { { 0x02, 0, 0, 0, 0, 2 } };
static const struct rte_ether_addr peer_mac = { { 0x02, 0, 0, 0, 0, 1 } };
static const struct rte_ether_addr other_mac = { { 0x02, 0, 0, 0, 0, 0x77 } };

/* What net transmitted (its hook), in order. */
#define SENT_MAX 512
static struct rte_mbuf *sent[SENT_MAX];
static unsigned n_sent;

static void
tx_collect(void *ctx, struct rte_mbuf *m)
{
	(void)ctx;
	if (n_sent < SENT_MAX)
		sent[n_sent++] = m;
	else
		rte_pktmbuf_free(m);
}

static void
sent_clear(void)
{
	for (unsigned i = 0; i < n_sent; i++)
		rte_pktmbuf_free(sent[i]);
	n_sent = 0;
}

/* Neighbour settings of a test: exact times (no random draw). */
static void
neigh_params(struct hsod_neigh_params *p)
{
	hsod_neigh_params_default(p);
	p->randomize = false;
}

/* A net on OUR_IP/@p prefix with gateway @p gw, its own name, the hook above. */
static int
net_open(struct hsod_net *n, unsigned prefix, uint32_t gw, const struct hsod_neigh_params *np,
	 struct hsod_neigh_pool *pool)
{
	static unsigned seq;
	struct hsod_net_conf c;
	char name[32];

	hsod_net_conf_init(&c);
	c.addr = OUR_IP;
	c.prefix_len = prefix;
	c.gateway = gw;
	rte_ether_addr_copy(&our_mac, &c.mac);
	c.mp = mp;
	c.tx = tx_collect;
	snprintf(name, sizeof(name), "test_net_%u", seq++);
	c.name = name;
	c.neigh = *np;
	c.pool = pool;
	return hsod_net_init(n, &c);
}

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

static unsigned learn_n, learn_flags;
static uint32_t learn_ip;

static void
learn_hook(void *ctx, const void *addr, const struct rte_ether_addr *mac, unsigned flags)
{
	(void)ctx;
	(void)mac;
	memcpy(&learn_ip, addr, 4);
	learn_flags = flags;
	learn_n++;
}

/*
 * What ARP teaches a worker's table, the hook hears with the same flags
 * (worker.c passes it to the other workers): a reply to us is solicited,
 * a request for us creates, one for someone else only updates a table
 * that knows the sender.
 */
static void
test_arp_learn(void)
{
	struct hsod_neigh_params np;
	struct hsod_net_conf c;
	struct hsod_net n;
	struct rte_mbuf *m;

	neigh_params(&np);
	hsod_net_conf_init(&c);
	c.addr = OUR_IP;
	c.prefix_len = 24;
	rte_ether_addr_copy(&our_mac, &c.mac);
	c.mp = mp;
	c.tx = tx_collect;
	c.name = "test_net_learn";
	c.neigh = np;
	c.learned = learn_hook;
	CHECK_EQ(hsod_net_init(&n, &c), 0);
	m = arp_frame(RTE_ARP_OP_REPLY, PEER_IP, &peer_mac, OUR_IP);
	CHECK_EQ(hsod_net_input(&n, m, 1000), HSOD_NET_CONSUMED);
	rte_pktmbuf_free(m);
	CHECK(learn_n == 1 && learn_ip == PEER_IP);
	CHECK_EQ(learn_flags, HSOD_NEIGH_F_OVERRIDE | HSOD_NEIGH_F_CREATE | HSOD_NEIGH_F_SOLICITED);
	m = arp_frame(RTE_ARP_OP_REQUEST, GW_IP, &peer_mac, OUR_IP);
	CHECK_EQ(hsod_net_input(&n, m, 2000), HSOD_NET_REPLY);
	rte_pktmbuf_free(m);
	CHECK(learn_n == 2 && learn_ip == GW_IP);
	CHECK_EQ(learn_flags, HSOD_NEIGH_F_OVERRIDE | HSOD_NEIGH_F_CREATE);
	m = arp_frame(RTE_ARP_OP_REQUEST, RTE_IPV4(198, 18, 0, 9), &peer_mac,
		      RTE_IPV4(198, 18, 0, 10));
	CHECK_EQ(hsod_net_input(&n, m, 3000), HSOD_NET_DROP);
	rte_pktmbuf_free(m);
	/* RFC 826's merge: a table that knows the sender updates it; none creates it. */
	CHECK(learn_n == 3 && learn_ip == RTE_IPV4(198, 18, 0, 9));
	CHECK_EQ(learn_flags, HSOD_NEIGH_F_OVERRIDE);
	hsod_net_fini(&n);
	sent_clear();
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
	CHECK_EQ(n_sent, 0);    /* known: nothing asked */

	/* A request for someone else: not answered, not learned. */
	m = arp_frame(RTE_ARP_OP_REQUEST, RTE_IPV4(198, 18, 0, 9), &peer_mac,
		      RTE_IPV4(198, 18, 0, 10));
	CHECK_EQ(hsod_net_input(n, m, 3000), HSOD_NET_DROP);
	CHECK_EQ(n->stats.drops[HSOD_DROP_ARP_NOT_US], 1);
	rte_pktmbuf_free(m);
	{
		struct hsod_neigh_info info;
		uint32_t ip9 = RTE_IPV4(198, 18, 0, 9);

		CHECK_EQ(hsod_neigh_get(hsod_net_neigh(n), &ip9, &info), -ENOENT);
	}

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

/* ---- neighbours ------------------------------------------------------- */

static const struct rte_ether_addr bcast_mac = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static const struct rte_ether_addr zero_mac;

/*
 * By bytes: rte_is_same_ether_addr() reads 16-bit words, which the compiler
 * may order before a struct copy into a local (strict aliasing).
 */
static bool
mac_eq(const struct rte_ether_addr *a, const struct rte_ether_addr *b)
{
	return memcmp(a, b, RTE_ETHER_ADDR_LEN) == 0;
}

/* An IPv4 frame (Ethernet addresses left to net) carrying @p id. */
static struct rte_mbuf *
data_frame(uint32_t id)
{
	struct rte_mbuf *m = frame(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + 8);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memcpy((uint8_t *)(eth + 1) + sizeof(struct rte_ipv4_hdr), &id, sizeof(id));
	return m;
}

static uint32_t
frame_id(struct rte_mbuf *m)
{
	uint32_t id;

	memcpy(&id, rte_pktmbuf_mtod_offset(m, uint8_t *, sizeof(struct rte_ether_hdr) +
					   sizeof(struct rte_ipv4_hdr)), sizeof(id));
	return id;
}

/* Is @p m an ARP request from us for @p tip? *to: its Ethernet destination. */
static bool
is_arp_request(struct rte_mbuf *m, uint32_t tip, struct rte_ether_addr *to)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);

	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) ||
	    a->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	    a->arp_data.arp_tip != rte_cpu_to_be_32(tip) ||
	    a->arp_data.arp_sip != rte_cpu_to_be_32(OUR_IP) ||
	    !mac_eq(&a->arp_data.arp_sha, &our_mac) ||
	    !mac_eq(&eth->src_addr, &our_mac))
		return false;
	if (to != NULL)
		rte_ether_addr_copy(&eth->dst_addr, to);
	return true;
}

/* ARP requests for @p tip among the frames sent: broadcast and unicast to @p mac. */
static void
count_requests(uint32_t tip, const struct rte_ether_addr *mac, unsigned *bcast, unsigned *ucast)
{
	*bcast = *ucast = 0;
	for (unsigned i = 0; i < n_sent; i++) {
		struct rte_ether_addr to = { { 0 } };

		if (!is_arp_request(sent[i], tip, &to))
			continue;
		if (mac_eq(&to, &bcast_mac))
			(*bcast)++;
		else if (mac != NULL && mac_eq(&to, mac))
			(*ucast)++;
	}
}

/* Host @p ip at @p mac answers our request (an ARP reply to us). */
static void
arp_reply_in(struct hsod_net *n, uint32_t ip, const struct rte_ether_addr *mac, uint64_t now)
{
	struct rte_mbuf *m = arp_frame(RTE_ARP_OP_REPLY, ip, mac, OUR_IP);

	CHECK_EQ(hsod_net_input(n, m, now), HSOD_NET_CONSUMED);
	rte_pktmbuf_free(m);
}

/* Host @p ip at @p mac asks for us (learned STALE); our reply is dropped. */
static void
arp_request_in(struct hsod_net *n, uint32_t ip, const struct rte_ether_addr *mac, uint64_t now)
{
	struct rte_mbuf *m = arp_frame(RTE_ARP_OP_REQUEST, ip, mac, OUR_IP);

	CHECK_EQ(hsod_net_input(n, m, now), HSOD_NET_REPLY);
	rte_pktmbuf_free(m);
}

/* A TCP segment from PEER_IP, sent by Ethernet address @p mac. */
static void
tcp_in_from(struct hsod_net *n, const struct rte_ether_addr *mac, uint64_t now)
{
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *m = ip_frame(IPPROTO_TCP, OUR_IP, 20, 0, &ip);

	rte_ether_addr_copy(mac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr);
	CHECK_EQ(hsod_net_input(n, m, now), HSOD_NET_TCP);
	rte_pktmbuf_free(m);
}

static enum hsod_neigh_state
state_of(struct hsod_net *n, uint32_t ip)
{
	struct hsod_neigh_info info;

	if (hsod_neigh_get(hsod_net_neigh(n), &ip, &info) != 0)
		return HSOD_NEIGH_NONE;
	return info.state;
}

static const struct hsod_neigh_stats *
nst(struct hsod_net *n)
{
	return hsod_neigh_stats(hsod_net_neigh(n));
}

/* The old table's slot: (ip ^ ip >> 8) % 256. */
static unsigned
old_slot(uint32_t ip)
{
	return (ip ^ (ip >> 8)) % 256;
}

/* Two hosts that evicted each other in the old direct-mapped table both stay. */
static void
test_neigh_collide(void)
{
	struct hsod_neigh_params np;
	struct hsod_net n;
	struct rte_ether_addr mac;
	uint32_t a = RTE_IPV4(198, 18, 0, 5), b = 0;

	neigh_params(&np);
	CHECK_EQ(net_open(&n, 16, 0, &np, NULL), 0);
	/* In a /16 the third octet takes part in the old hash: find a twin. */
	for (uint32_t x = RTE_IPV4(198, 18, 1, 1); b == 0 && x < RTE_IPV4(198, 18, 255, 0); x++)
		if (old_slot(x) == old_slot(a))
			b = x;
	CHECK(b != 0);
	arp_request_in(&n, a, &peer_mac, 1000);
	arp_request_in(&n, b, &other_mac, 2000);
	CHECK(hsod_net_lookup(&n, a, 3000, &mac) && mac_eq(&mac, &peer_mac));
	CHECK(hsod_net_lookup(&n, b, 3000, &mac) && mac_eq(&mac, &other_mac));
	CHECK_EQ(nst(&n)->entries, 2);
	CHECK_EQ(nst(&n)->evictions, 0);
	CHECK_EQ(n_sent, 0);
	hsod_net_fini(&n);
	sent_clear();
}

/* A full table makes room with its least recently used entry, one at a time. */
static void
test_neigh_lru(void)
{
	struct hsod_neigh_params np;
	struct hsod_net n;
	struct rte_ether_addr mac, macs[12];
	uint64_t t = 1000;

	neigh_params(&np);
	np.entries = 8;
	CHECK_EQ(net_open(&n, 24, 0, &np, NULL), 0);
	for (unsigned i = 0; i < 12; i++) {
		macs[i] = peer_mac;
		macs[i].addr_bytes[5] = (uint8_t)(0x10 + i);
	}
	/* Hosts .10 .. .17 fill it, oldest first. */
	for (unsigned i = 0; i < 8; i++)
		arp_request_in(&n, RTE_IPV4(198, 18, 0, 10 + i), &macs[i], t++);
	CHECK_EQ(nst(&n)->entries, 8);
	/* Use .10 and .12: now the least recent are .11, .13, .14, ... */
	CHECK(hsod_net_lookup(&n, RTE_IPV4(198, 18, 0, 10), t++, &mac));
	CHECK(hsod_net_lookup(&n, RTE_IPV4(198, 18, 0, 12), t++, &mac));
	/* Three newcomers evict .11, .13, .14 in that order. */
	arp_request_in(&n, RTE_IPV4(198, 18, 0, 18), &macs[8], t++);
	CHECK_EQ(state_of(&n, RTE_IPV4(198, 18, 0, 11)), HSOD_NEIGH_NONE);
	CHECK_EQ(state_of(&n, RTE_IPV4(198, 18, 0, 13)), HSOD_NEIGH_STALE);
	arp_request_in(&n, RTE_IPV4(198, 18, 0, 19), &macs[9], t++);
	CHECK_EQ(state_of(&n, RTE_IPV4(198, 18, 0, 13)), HSOD_NEIGH_NONE);
	CHECK_EQ(state_of(&n, RTE_IPV4(198, 18, 0, 14)), HSOD_NEIGH_STALE);
	/* A miss (INCOMPLETE entry) makes room the same way. */
	CHECK(!hsod_net_lookup(&n, RTE_IPV4(198, 18, 0, 20), t++, &mac));
	CHECK_EQ(state_of(&n, RTE_IPV4(198, 18, 0, 14)), HSOD_NEIGH_NONE);
	CHECK_EQ(state_of(&n, RTE_IPV4(198, 18, 0, 20)), HSOD_NEIGH_INCOMPLETE);
	CHECK_EQ(nst(&n)->evictions, 3);
	CHECK_EQ(nst(&n)->entries, 8);
	/* The used ones and the rest stayed. */
	for (unsigned ip = 10; ip <= 20; ip++) {
		bool gone = ip == 11 || ip == 13 || ip == 14;

		CHECK_MSG((state_of(&n, RTE_IPV4(198, 18, 0, ip)) == HSOD_NEIGH_NONE) == gone,
			  ".%u %s", ip, gone ? "should be evicted" : "should stay");
	}
	hsod_net_fini(&n);
	sent_clear();
}

/* Resolve PEER_IP through a miss and a reply at @p t: REACHABLE. */
static void
resolve_peer(struct hsod_net *n, uint64_t t)
{
	struct rte_ether_addr mac;

	CHECK(!hsod_net_lookup(n, PEER_IP, t, &mac));
	arp_reply_in(n, PEER_IP, &peer_mac, t + 100);
	CHECK_EQ(state_of(n, PEER_IP), HSOD_NEIGH_REACHABLE);
	sent_clear();
}

/* TCP segments from the peer's MAC keep its entry REACHABLE; none: it lapses. */
static void
test_neigh_refresh(void)
{
	struct hsod_neigh_params np;
	struct hsod_net n;
	uint64_t t = 10 * S_US, reach;
	unsigned b, u;

	neigh_params(&np);
	CHECK_EQ(net_open(&n, 24, 0, &np, NULL), 0);
	reach = (uint64_t)np.reachable_ms * 1000;
	CHECK_EQ(hsod_neigh_reachable_us(hsod_net_neigh(&n)), reach);
	resolve_peer(&n, t);
	/* A segment every 10 s for five reachable times: no ARP at all. */
	for (uint64_t s = 0; s < 5 * reach; s += 10 * S_US) {
		tcp_in_from(&n, &peer_mac, t + s);
		hsod_net_tick(&n, t + s);
		CHECK_EQ(state_of(&n, PEER_IP), HSOD_NEIGH_REACHABLE);
	}
	CHECK_EQ(n_sent, 0);
	CHECK(nst(&n)->refreshes >= 5 * reach / (10 * S_US));
	/* From another MAC (a different host claiming the address): no refresh. */
	t += 5 * reach;
	{
		uint64_t before = nst(&n)->refreshes;

		tcp_in_from(&n, &other_mac, t);
		CHECK_EQ(nst(&n)->refreshes, before);
	}
	/* Unused and unconfirmed: STALE after the reachable time, no ARP. */
	hsod_net_tick(&n, t + reach + 20000);
	CHECK_EQ(state_of(&n, PEER_IP), HSOD_NEIGH_STALE);
	count_requests(PEER_IP, &peer_mac, &b, &u);
	CHECK_EQ(b + u, 0);
	/* A segment from it confirms a STALE entry straight back. */
	tcp_in_from(&n, &peer_mac, t + reach + 30000);
	CHECK_EQ(state_of(&n, PEER_IP), HSOD_NEIGH_REACHABLE);
	hsod_net_fini(&n);
	sent_clear();
}

/*
 * An entry used all the time, its peer answering ARP but sending nothing
 * else: unicast re-requests keep it, and in 10 minutes no packet misses.
 * Then the peer goes silent: after ucast_probes unanswered probes the
 * entry goes, and the next packet is held behind a broadcast request.
 */
static void
test_neigh_in_use(void)
{
	struct hsod_neigh_params np;
	struct hsod_net n;
	uint64_t t = 10 * S_US, end;
	unsigned probes = 0, bcast = 0, sent_ok = 0;
	uint64_t first_probe = 0;
	struct hsod_neigh_pool *pool = hsod_neigh_pool_create(8);

	neigh_params(&np);
	CHECK_EQ(net_open(&n, 24, 0, &np, pool), 0);
	resolve_peer(&n, t);
	end = t + 600 * S_US;
	for (; t < end; t += 100000) {
		hsod_net_tick(&n, t);
		if (hsod_net_output(&n, data_frame(1), PEER_IP, t) == HSOD_NET_OUT_SENT)
			sent_ok++;
		for (unsigned i = 0; i < n_sent; i++) {
			struct rte_ether_addr to = { { 0 } };

			if (!is_arp_request(sent[i], PEER_IP, &to))
				continue;
			if (mac_eq(&to, &bcast_mac)) {
				bcast++;
				continue;
			}
			CHECK(mac_eq(&to, &peer_mac));
			if (probes++ == 0)
				first_probe = t;
			/* It answers a few milliseconds later. */
			arp_reply_in(&n, PEER_IP, &peer_mac, t + 3000);
		}
		/* Never anything but a usable state. */
		CHECK(state_of(&n, PEER_IP) >= HSOD_NEIGH_REACHABLE);
		sent_clear();
	}
	CHECK_EQ(sent_ok, 6000);
	CHECK_EQ(bcast, 0);
	/* Re-asked about once per reachable time + DELAY_FIRST_PROBE_TIME. */
	CHECK(probes >= 600 * 1000 / (np.reachable_ms + np.delay_ms) - 1);
	CHECK(probes <= 600 * 1000 / np.reachable_ms + 1);
	CHECK(first_probe != 0 && first_probe <= 10 * S_US + 100 +
	      ((uint64_t)np.reachable_ms + np.delay_ms) * 1000 + 200000);
	CHECK_EQ(nst(&n)->failed, 0);
	CHECK_EQ(nst(&n)->misses, 1);       /* the first lookup only */
	CHECK_EQ(nst(&n)->rerequests, probes);
	CHECK_EQ(nst(&n)->reconfirmed, probes);

	/* Silent now: traffic still goes while it is probed, then the entry goes. */
	{
		uint64_t fail_at = 0;
		unsigned b, u, held = 0, nb = 0, nu = 0;

		for (unsigned k = 0; k < 700 && fail_at == 0; k++, t += 100000) {
			hsod_net_tick(&n, t);
			if (state_of(&n, PEER_IP) == HSOD_NEIGH_NONE)
				fail_at = t;
			else
				CHECK_EQ(hsod_net_output(&n, data_frame(2), PEER_IP, t),
					 HSOD_NET_OUT_SENT);
			count_requests(PEER_IP, &peer_mac, &b, &u);
			nb += b;
			nu += u;
			sent_clear();
		}
		CHECK(fail_at != 0);
		CHECK_EQ(nb, 0);
		CHECK_EQ(nu, np.ucast_probes);
		CHECK_EQ(nst(&n)->failed, 1);
		sent_clear();
		/* The next packet is held and a broadcast request asks. */
		if (hsod_net_output(&n, data_frame(3), PEER_IP, t) == HSOD_NET_OUT_QUEUED)
			held++;
		CHECK_EQ(held, 1);
		count_requests(PEER_IP, &peer_mac, &b, &u);
		CHECK_EQ(b, 1);
	}
	hsod_net_fini(&n);
	hsod_neigh_pool_free(pool);
	sent_clear();
}

/* Packets to an unknown neighbour are held and sent in order on the reply. */
static void
test_neigh_queue_flush(void)
{
	struct hsod_neigh_params np;
	struct hsod_net n;
	struct rte_ether_addr to = { { 0 } };
	struct hsod_neigh_pool *pool = hsod_neigh_pool_create(64);
	uint64_t t = 5 * S_US;

	neigh_params(&np);
	CHECK_EQ(net_open(&n, 24, GW_IP, &np, pool), 0);
	for (uint32_t id = 1; id <= 5; id++)
		CHECK_EQ(hsod_net_output(&n, data_frame(id), PEER_IP, t + id), HSOD_NET_OUT_QUEUED);
	/* One broadcast request, not one per packet. */
	CHECK_EQ(n_sent, 1);
	CHECK(is_arp_request(sent[0], PEER_IP, &to) && mac_eq(&to, &bcast_mac));
	sent_clear();
	{
		struct hsod_neigh_info info;
		uint32_t ip = PEER_IP;

		CHECK_EQ(hsod_neigh_get(hsod_net_neigh(&n), &ip, &info), 0);
		CHECK_EQ(info.state, HSOD_NEIGH_INCOMPLETE);
		CHECK_EQ(info.queued, 5);
	}
	/* A retransmission a second later, still one request per second. */
	hsod_net_tick(&n, t + np.retrans_ms * 1000 + 20000);
	CHECK_EQ(n_sent, 1);
	sent_clear();
	arp_reply_in(&n, PEER_IP, &peer_mac, t + 1500000);
	CHECK_EQ(n_sent, 5);
	for (unsigned i = 0; i < n_sent && i < 5; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(sent[i], struct rte_ether_hdr *);

		CHECK_EQ(frame_id(sent[i]), i + 1);
		CHECK(mac_eq(&eth->dst_addr, &peer_mac));
		CHECK(mac_eq(&eth->src_addr, &our_mac));
		CHECK(eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4));
	}
	sent_clear();
	CHECK_EQ(state_of(&n, PEER_IP), HSOD_NEIGH_REACHABLE);
	CHECK_EQ(nst(&n)->queued, 5);
	CHECK_EQ(nst(&n)->flushed, 5);
	CHECK_EQ(nst(&n)->resolved, 1);
	CHECK_EQ(nst(&n)->requests, 2);
	CHECK_EQ(nst(&n)->queue_drops, 0);
	/* Then straight out. */
	CHECK_EQ(hsod_net_output(&n, data_frame(6), PEER_IP, t + 1600000), HSOD_NET_OUT_SENT);
	CHECK_EQ(n_sent, 1);
	sent_clear();
	/* Off-link goes by the gateway: held behind a request for the gateway. */
	CHECK_EQ(hsod_net_output(&n, data_frame(7), RTE_IPV4(203, 0, 113, 9), t + 1700000),
		 HSOD_NET_OUT_QUEUED);
	CHECK(n_sent == 1 && is_arp_request(sent[0], GW_IP, NULL));
	sent_clear();
	hsod_net_fini(&n);
	CHECK_EQ(hsod_neigh_pool_avail(pool), 64);
	hsod_neigh_pool_free(pool);
}

/* Per-neighbour bound (oldest dropped), the worker's cap (newest dropped). */
static void
test_neigh_queue_bounds(void)
{
	struct hsod_neigh_params np;
	struct hsod_net n;
	struct hsod_neigh_pool *pool = hsod_neigh_pool_create(6);
	uint32_t a = RTE_IPV4(198, 18, 0, 30), b = RTE_IPV4(198, 18, 0, 31);
	uint64_t t = S_US;

	CHECK(pool != NULL);
	neigh_params(&np);
	np.queue = 4;
	CHECK_EQ(net_open(&n, 24, 0, &np, pool), 0);
	/* Six for A: the first two make way for the last four. */
	for (uint32_t id = 1; id <= 6; id++)
		CHECK_EQ(hsod_net_output(&n, data_frame(id), a, t), HSOD_NET_OUT_QUEUED);
	CHECK_EQ(nst(&n)->queue_drops, 2);
	CHECK_EQ(hsod_neigh_pool_avail(pool), 2);
	/* Three for B: two fit the pool, the third is dropped. */
	CHECK_EQ(hsod_net_output(&n, data_frame(11), b, t), HSOD_NET_OUT_QUEUED);
	CHECK_EQ(hsod_net_output(&n, data_frame(12), b, t), HSOD_NET_OUT_QUEUED);
	CHECK_EQ(hsod_net_output(&n, data_frame(13), b, t), HSOD_NET_OUT_DROPPED);
	CHECK_EQ(nst(&n)->queue_drops, 3);
	CHECK_EQ(nst(&n)->queued, 8);
	CHECK_EQ(hsod_neigh_pool_avail(pool), 0);
	sent_clear();
	/* A answers: ids 3..6 in order, and their room comes back. */
	arp_reply_in(&n, a, &peer_mac, t + 1000);
	CHECK_EQ(n_sent, 4);
	for (unsigned i = 0; i < n_sent; i++)
		CHECK_EQ(frame_id(sent[i]), 3 + i);
	CHECK_EQ(hsod_neigh_pool_avail(pool), 4);
	sent_clear();
	/* The frames B holds go with the table. */
	hsod_net_fini(&n);
	CHECK_EQ(hsod_neigh_pool_avail(pool), 6);
	hsod_neigh_pool_free(pool);
	sent_clear();
}

/* No answer: mcast_probes requests a second apart, then the entry and its queue go. */
static void
test_neigh_fail(void)
{
	struct hsod_neigh_params np;
	struct hsod_net n;
	struct hsod_neigh_pool *pool = hsod_neigh_pool_create(16);
	uint64_t t = S_US, gone = 0;
	unsigned b, u;

	neigh_params(&np);
	np.mcast_probes = 4;
	CHECK_EQ(net_open(&n, 24, 0, &np, pool), 0);
	CHECK_EQ(hsod_net_output(&n, data_frame(1), PEER_IP, t), HSOD_NET_OUT_QUEUED);
	CHECK_EQ(hsod_net_output(&n, data_frame(2), PEER_IP, t), HSOD_NET_OUT_QUEUED);
	for (uint64_t s = 0; s < 10 * S_US && gone == 0; s += 10000) {
		hsod_net_tick(&n, t + s);
		if (state_of(&n, PEER_IP) == HSOD_NEIGH_NONE)
			gone = s;
	}
	count_requests(PEER_IP, NULL, &b, &u);
	CHECK_EQ(b, 4);
	/* Given up one retransmission time after the last try. */
	CHECK(gone >= 4ull * np.retrans_ms * 1000 && gone < 4ull * np.retrans_ms * 1000 + 30000);
	CHECK_EQ(nst(&n)->failed, 1);
	CHECK_EQ(nst(&n)->queue_drops, 2);
	CHECK_EQ(hsod_neigh_pool_avail(pool), 16);
	CHECK_EQ(nst(&n)->entries, 0);
	sent_clear();
	/* The next packet starts over. */
	CHECK_EQ(hsod_net_output(&n, data_frame(3), PEER_IP, t + 20 * S_US), HSOD_NET_OUT_QUEUED);
	count_requests(PEER_IP, NULL, &b, &u);
	CHECK_EQ(b, 1);
	hsod_net_fini(&n);
	hsod_neigh_pool_free(pool);
	sent_clear();
}

/* A gratuitous ARP moves a known neighbour to its new address. */
static void
test_neigh_garp(void)
{
	struct hsod_neigh_params np;
	struct hsod_net n;
	struct rte_ether_addr mac;
	struct rte_mbuf *m;
	uint64_t t = S_US;
	uint32_t stranger = RTE_IPV4(198, 18, 0, 99);

	neigh_params(&np);
	CHECK_EQ(net_open(&n, 24, 0, &np, NULL), 0);
	resolve_peer(&n, t);
	/* RFC 5227 2.3: sender and target both its own address, broadcast. */
	m = arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, &other_mac, PEER_IP);
	CHECK_EQ(hsod_net_input(&n, m, t + 1000), HSOD_NET_DROP);   /* not for us */
	rte_pktmbuf_free(m);
	CHECK(hsod_net_lookup(&n, PEER_IP, t + 2000, &mac) &&
	      mac_eq(&mac, &other_mac));
	CHECK_EQ(nst(&n)->updates, 1);
	/* Unconfirmed: probed before long (to the new address). */
	CHECK(state_of(&n, PEER_IP) == HSOD_NEIGH_DELAY);
	/* The reply form of a gratuitous ARP does the same. */
	m = arp_frame(RTE_ARP_OP_REPLY, PEER_IP, &peer_mac, PEER_IP);
	CHECK_EQ(hsod_net_input(&n, m, t + 3000), HSOD_NET_CONSUMED);
	rte_pktmbuf_free(m);
	CHECK(hsod_net_lookup(&n, PEER_IP, t + 4000, &mac) &&
	      mac_eq(&mac, &peer_mac));
	CHECK_EQ(nst(&n)->updates, 2);
	/* A stranger's announcement adds nothing (not for us). */
	m = arp_frame(RTE_ARP_OP_REQUEST, stranger, &other_mac, stranger);
	CHECK_EQ(hsod_net_input(&n, m, t + 5000), HSOD_NET_DROP);
	rte_pktmbuf_free(m);
	CHECK_EQ(state_of(&n, stranger), HSOD_NEIGH_NONE);
	/* Nor does a broadcast or zero sender address. */
	{
		const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

		m = arp_frame(RTE_ARP_OP_REQUEST, PEER_IP, &bcast, OUR_IP);
		hsod_net_input(&n, m, t + 6000);
		rte_pktmbuf_free(m);
		CHECK(hsod_net_lookup(&n, PEER_IP, t + 7000, &mac) &&
		      mac_eq(&mac, &peer_mac));
	}
	hsod_net_fini(&n);
	sent_clear();
}

/* Unused entries age out: REACHABLE, STALE, gone; off-link without a gateway is dropped. */
static void
test_neigh_age(void)
{
	struct hsod_neigh_params np;
	struct hsod_net n;
	uint64_t t = S_US, reach, stale;

	neigh_params(&np);
	np.reachable_ms = 2000;
	np.stale_ms = 7000;
	reach = 2 * S_US;
	stale = 7 * S_US;
	CHECK_EQ(net_open(&n, 24, 0, &np, NULL), 0);
	/* Learned from its request, confirmed by its traffic, never sent to. */
	arp_request_in(&n, PEER_IP, &peer_mac, t);
	tcp_in_from(&n, &peer_mac, t);
	CHECK_EQ(state_of(&n, PEER_IP), HSOD_NEIGH_REACHABLE);
	hsod_net_tick(&n, t + reach - 20000);
	CHECK_EQ(state_of(&n, PEER_IP), HSOD_NEIGH_REACHABLE);
	hsod_net_tick(&n, t + reach + 20000);
	CHECK_EQ(state_of(&n, PEER_IP), HSOD_NEIGH_STALE);
	hsod_net_tick(&n, t + reach + stale - 20000);
	CHECK_EQ(state_of(&n, PEER_IP), HSOD_NEIGH_STALE);
	hsod_net_tick(&n, t + reach + stale + 40000);
	CHECK_EQ(state_of(&n, PEER_IP), HSOD_NEIGH_NONE);
	CHECK_EQ(nst(&n)->expired, 1);
	CHECK_EQ(n_sent, 0);    /* unused: never asked about */
	/* No gateway: nowhere to send an off-link packet. */
	CHECK_EQ(hsod_net_output(&n, data_frame(1), RTE_IPV4(203, 0, 113, 1), t),
		 HSOD_NET_OUT_DROPPED);
	CHECK_EQ(n.stats.tx_no_route, 1);
	CHECK_EQ(n_sent, 0);
	hsod_net_fini(&n);
	sent_clear();
}

/* Bad settings refused; one name per table. */
static void
test_neigh_conf(void)
{
	struct hsod_neigh_params np;
	struct hsod_net n, n2;
	struct hsod_net_conf c;

	neigh_params(&np);
	np.entries = 4;
	CHECK_EQ(net_open(&n, 24, 0, &np, NULL), -EINVAL);
	neigh_params(&np);
	np.queue = 0;
	CHECK_EQ(net_open(&n, 24, 0, &np, NULL), -EINVAL);
	hsod_net_conf_init(&c);
	c.addr = OUR_IP;
	c.prefix_len = 24;
	c.mp = mp;
	c.tx = tx_collect;
	c.name = "test_net_same";
	c.neigh.randomize = false;
	CHECK_EQ(hsod_net_init(&n, &c), 0);
	printf("a duplicate name: DPDK logs RING and HASH errors, expected\n");
	fflush(stdout);
	CHECK_EQ(hsod_net_init(&n2, &c), -EEXIST);
	c.tx = NULL;
	c.name = "test_net_other";
	CHECK_EQ(hsod_net_init(&n2, &c), -EINVAL);
	hsod_net_fini(&n);
	/* Randomized reachable time: within [0.5, 1.5) x the base. */
	c.tx = tx_collect;
	c.neigh.randomize = true;
	for (int i = 0; i < 8; i++) {
		uint64_t r, base = (uint64_t)c.neigh.reachable_ms * 1000;

		CHECK_EQ(hsod_net_init(&n, &c), 0);
		r = hsod_neigh_reachable_us(hsod_net_neigh(&n));
		CHECK(r >= base / 2 && r < base + base / 2);
		hsod_net_fini(&n);
	}
}

/* The same code keyed by 16-byte addresses, as IPv6 neighbour discovery will use it. */
static unsigned v6_solicits, v6_xmits;
static struct rte_ether_addr v6_last_dst;

static int
v6_solicit(void *ctx, const void *addr, const struct rte_ether_addr *dst)
{
	(void)ctx;
	(void)addr;
	v6_solicits++;
	memset(&v6_last_dst, 0, sizeof(v6_last_dst));
	if (dst != NULL)
		v6_last_dst = *dst;
	return 0;
}

static void
v6_xmit(void *ctx, struct rte_mbuf *m, const struct rte_ether_addr *mac)
{
	(void)ctx;
	CHECK(mac_eq(mac, &peer_mac));
	v6_xmits++;
	rte_pktmbuf_free(m);
}

static void
test_neigh_ipv6(void)
{
	static const struct hsod_neigh_ops ops = { .solicit = v6_solicit, .xmit = v6_xmit };
	const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	const uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 1, [15] = 1 };
	struct hsod_neigh_pool *pool = hsod_neigh_pool_create(8);
	struct hsod_neigh_conf c;
	struct hsod_neigh_tbl *t;
	struct rte_ether_addr mac;

	memset(&c, 0, sizeof(c));
	c.name = "test_neigh6";
	c.socket_id = SOCKET_ID_ANY;
	c.addr_len = 16;
	neigh_params(&c.params);
	c.pool = pool;
	c.ops = &ops;
	t = hsod_neigh_create(&c);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	c.addr_len = 6;
	c.name = "test_neigh6b";
	CHECK(hsod_neigh_create(&c) == NULL && errno == EINVAL);
	CHECK_EQ(hsod_neigh_resolve(t, a, frame(60), S_US, &mac), HSOD_NEIGH_QUEUED);
	CHECK_EQ(v6_solicits, 1);
	CHECK(mac_eq(&v6_last_dst, &zero_mac));    /* multicast, not unicast */
	/* An advertisement for another address changes nothing of a's. */
	hsod_neigh_update(t, b, &peer_mac, HSOD_NEIGH_F_SOLICITED | HSOD_NEIGH_F_OVERRIDE,
			  S_US + 10);
	CHECK_EQ(v6_xmits, 0);
	/* Solicited, override: REACHABLE, the held packet goes. */
	hsod_neigh_update(t, a, &peer_mac, HSOD_NEIGH_F_SOLICITED | HSOD_NEIGH_F_OVERRIDE,
			  S_US + 20);
	CHECK_EQ(v6_xmits, 1);
	CHECK_EQ(hsod_neigh_resolve(t, a, NULL, S_US + 30, &mac), HSOD_NEIGH_HIT);
	CHECK(mac_eq(&mac, &peer_mac));
	/* RFC 4861 7.2.5: a different address without override only demotes. */
	hsod_neigh_update(t, a, &other_mac, 0, S_US + 40);
	{
		struct hsod_neigh_info info;

		CHECK_EQ(hsod_neigh_get(t, a, &info), 0);
		CHECK_EQ(info.state, HSOD_NEIGH_STALE);
		CHECK(mac_eq(&info.mac, &peer_mac));
	}
	CHECK(strcmp(hsod_neigh_state_name(HSOD_NEIGH_PROBE), "probe") == 0);
	hsod_neigh_free(t);
	hsod_neigh_pool_free(pool);
}

/* hso-gen's sources: ARP answered and IPv4 taken for a range of addresses. */
static void
test_range(void)
{
	struct hsod_neigh_params np;
	struct hsod_net_conf c;
	struct hsod_net n;
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *m;

	neigh_params(&np);
	hsod_net_conf_init(&c);
	c.addr = OUR_IP;
	c.prefix_len = 24;
	rte_ether_addr_copy(&our_mac, &c.mac);
	c.mp = mp;
	c.tx = tx_collect;
	c.name = "test_net_range";
	c.neigh = np;
	/* Reversed, leaving the subnet, reaching its broadcast address. */
	c.extra_lo = RTE_IPV4(198, 18, 0, 20);
	c.extra_hi = RTE_IPV4(198, 18, 0, 10);
	CHECK_EQ(hsod_net_init(&n, &c), -EINVAL);
	c.extra_lo = RTE_IPV4(198, 18, 0, 10);
	c.extra_hi = RTE_IPV4(198, 18, 1, 10);
	CHECK_EQ(hsod_net_init(&n, &c), -EINVAL);
	c.extra_hi = RTE_IPV4(198, 18, 0, 255);
	CHECK_EQ(hsod_net_init(&n, &c), -EINVAL);
	c.extra_hi = RTE_IPV4(198, 18, 0, 20);
	CHECK_EQ(hsod_net_init(&n, &c), 0);
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
	/* ... and learned the asker, as for a request to OUR_IP. */
	{
		struct rte_ether_addr mac;

		CHECK(hsod_net_lookup(&n, PEER_IP, 0, &mac) && rte_is_same_ether_addr(&mac, &peer_mac));
	}
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
	hsod_net_fini(&n);
	sent_clear();
}

/* A segment with options and a payload in two pieces: built, then parsed back. */
static void
test_tcp_pkt(struct hsod_net *n)
{
	struct tcp_pkt_pool tp = { .mp = mp, .owner_off = -1 };
	struct tcp_buf *b1 = tcp_pkt_buf_alloc(&tp, 0), *b2 = tcp_pkt_buf_alloc(&tp, 0);
	struct tcp_seg_out o = {
		.tuple = { .laddr = PEER_IP, .raddr = OUR_IP, .lport = 40001, .rport = 443 },
		.seq = 0x01020304, .ack = 0xa0b0c0d0, .window = 4321,
		.flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .opt_len = 4, .opts = { 2, 4, 5, 0xb4 },
		.len = 12, .n_pieces = 2,
	};
	struct tcp_seg seg;
	struct rte_mbuf *m, *d1, *d2;

	CHECK(b1 != NULL && b2 != NULL && b1->cap >= 64);
	if (b1 == NULL || b2 == NULL)
		return;
	d1 = tcp_pkt_buf_mbuf(b1);
	d2 = tcp_pkt_buf_mbuf(b2);
	/* The node sits in the headroom, before the data, in the mbuf it names. */
	CHECK((uint8_t *)b1 == (uint8_t *)d1->buf_addr && b1->data == rte_pktmbuf_mtod(d1, uint8_t *));
	memcpy(b1->data, "..hello, ", 9);
	memcpy(b2->data, "world!", 6);
	o.piece[0] = (struct tcp_piece){ b1, b1->data + 2, 7 };
	o.piece[1] = (struct tcp_piece){ b2, b2->data, 5 };

	m = tcp_pkt_build(mp, &o, false);
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
	/* The received mbuf as TCP's buffer, over its data. */
	CHECK(seg.buf != NULL && tcp_pkt_buf_mbuf(seg.buf) == m);
	/* One flipped payload bit: the checksum says so. */
	((uint8_t *)seg.payload)[3] ^= 1;
	CHECK_EQ(tcp_pkt_parse(m, &seg), -EILSEQ);
	((uint8_t *)seg.payload)[3] ^= 1;
	/*
	 * A segment whose sum folds to zero: its checksum is 0x0000 or 0xffff,
	 * the same value in one's complement (Linux's software checksum sends
	 * 0xffff). Both are accepted, a neighbour of either is not.
	 */
	{
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
		uint8_t *pl = (uint8_t *)th + 24;
		unsigned v;

		for (v = 0; v < 65536; v++) {
			pl[0] = (uint8_t)(v >> 8);
			pl[1] = (uint8_t)v;
			th->cksum = 0;
			if (rte_ipv4_udptcp_cksum(ip, th) == 0)
				break;
		}
		CHECK(v < 65536);
		th->cksum = 0xffff;
		CHECK_EQ(tcp_pkt_parse(m, &seg), 0);
		th->cksum = 0;
		CHECK_EQ(tcp_pkt_parse(m, &seg), 0);
		th->cksum = 1;
		CHECK_EQ(tcp_pkt_parse(m, &seg), -EILSEQ);
		th->cksum = 0xfffe;
		CHECK_EQ(tcp_pkt_parse(m, &seg), -EILSEQ);
	}
	rte_pktmbuf_free(m);

	/* Offloaded: flags and lengths for the port, the pseudo-header sum in place. */
	m = tcp_pkt_build(mp, &o, true);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
	CHECK(m->l2_len == 14 && m->l3_len == 20 && m->l4_len == 24);
	rte_pktmbuf_free(m);

	/* By reference: a header mbuf and one indirect mbuf per piece, no copy. */
	m = tcp_pkt_build_ref(mp, &o, false);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK_EQ(m->nb_segs, 3);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 14 + 20 + 24 + 12);
	CHECK(RTE_MBUF_CLONED(m->next) && rte_pktmbuf_mtod(m->next, uint8_t *) == b1->data + 2);
	CHECK_EQ(rte_mbuf_refcnt_read(d1), 2);
	CHECK_EQ(rte_mbuf_refcnt_read(d2), 2);
	/* Its sum is right: flattened and parsed like a received frame. */
	{
		struct rte_mbuf *l = rte_pktmbuf_alloc(mp);
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(l, (uint16_t)m->pkt_len);

		rte_pktmbuf_read(m, 0, m->pkt_len, p);
		CHECK_EQ(hsod_net_input(n, l, 0), HSOD_NET_TCP);
		CHECK_EQ(tcp_pkt_parse(l, &seg), 0);
		CHECK(seg.len == 12 && memcmp(seg.payload, "hello, world", 12) == 0);
		rte_pktmbuf_free(l);
	}
	/* Sent (freed by the port): the pieces' mbufs are TCP's alone again. */
	rte_pktmbuf_free(m);
	CHECK_EQ(rte_mbuf_refcnt_read(d1), 1);
	m = tcp_pkt_build_ref(mp, &o, true);
	CHECK(m != NULL && (m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM) && m->nb_segs == 3);
	rte_pktmbuf_free(m);

	/* Any split, odd offsets and lengths: by reference and copied, the same frame. */
	{
		uint64_t rnd = 99;
		struct tcp_buf *bs[TCP_SEG_PIECES];

		for (unsigned i = 0; i < TCP_SEG_PIECES; i++) {
			bs[i] = tcp_pkt_buf_alloc(&tp, 0);
			check_fill(&rnd, bs[i]->data, 1500);
		}
		for (unsigned round = 0; round < 200; round++) {
			struct tcp_seg_out q = o;
			struct rte_mbuf *a, *b;
			uint8_t fa[2048], fb[2048];

			q.n_pieces = (uint8_t)(1 + check_rnd(&rnd) % TCP_SEG_PIECES);
			q.len = 0;
			for (unsigned i = 0; i < q.n_pieces; i++) {
				uint32_t off = (uint32_t)(check_rnd(&rnd) % 700);
				uint32_t len = (uint32_t)(1 + check_rnd(&rnd) % (1400 / q.n_pieces));

				q.piece[i] = (struct tcp_piece){ bs[i], bs[i]->data + off, len };
				q.len += len;
			}
			a = tcp_pkt_build(mp, &q, false);
			b = tcp_pkt_build_ref(mp, &q, false);
			CHECK(a != NULL && b != NULL);
			if (a == NULL || b == NULL)
				break;
			CHECK_EQ(a->pkt_len, b->pkt_len);
			{
				/* rte_pktmbuf_read() copies only when the bytes are not contiguous. */
				const uint8_t *pa = rte_pktmbuf_read(a, 0, a->pkt_len, fa);
				const uint8_t *pb = rte_pktmbuf_read(b, 0, b->pkt_len, fb);
				unsigned at = 12;       /* MAC addresses: net's to fill */

				while (at < a->pkt_len && pa[at] == pb[at])
					at++;
				CHECK_MSG(at == a->pkt_len, "round %u: %u pieces, %u bytes: "
					  "differ at %u of %u (%02x %02x)", round, q.n_pieces,
					  q.len, at, a->pkt_len, pa[at], pb[at]);
			}
			rte_pktmbuf_free(a);
			rte_pktmbuf_free(b);
		}
		for (unsigned i = 0; i < TCP_SEG_PIECES; i++)
			tcp_pkt_buf_release(&tp, bs[i]);
	}
	tcp_pkt_buf_release(&tp, b1);
	tcp_pkt_buf_release(&tp, b2);
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
	{
		struct hsod_neigh_params np;

		neigh_params(&np);
		CHECK_EQ(net_open(&n, 33, 0, &np, NULL), -EINVAL);
		CHECK_EQ(net_open(&n, 24, RTE_IPV4(10, 0, 0, 1), &np, NULL), -EINVAL);
		CHECK_EQ(net_open(&n, 24, GW_IP, &np, NULL), 0);
	}
	test_arp(&n);
	test_icmp(&n);
	test_ipv4(&n);
	test_tcp_reset(&n);
	test_tcp_pkt(&n);
	hsod_net_fini(&n);
	sent_clear();
	test_arp_learn();
	test_neigh_collide();
	test_neigh_lru();
	test_neigh_refresh();
	test_neigh_in_use();
	test_neigh_queue_flush();
	test_neigh_queue_bounds();
	test_neigh_fail();
	test_neigh_garp();
	test_neigh_age();
	test_neigh_conf();
	test_neigh_ipv6();
	test_range();
	/* Nothing held anywhere: every mbuf is back. */
	CHECK_EQ(rte_mempool_avail_count(mp), 256);
	for (int d = 0; d < HSOD_DROP_NUM; d++)
		CHECK(strcmp(hsod_drop_name((enum hsod_drop)d), "invalid") != 0);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return check_result("net");
}
