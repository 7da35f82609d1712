/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/net6 (IPv6, Neighbor Discovery, ICMPv6 echo): crafted frames in
 * real mbufs (EAL without hugepages). The checksum against a byte-by-byte
 * reference; echo answered (extension headers stripped from the reply);
 * solicitations for us answered with RFC 4861's flags and options (DAD
 * ones to all-nodes), the sender learned; a miss sends a multicast
 * solicitation to the solicited-node group and holds the packet, the
 * advertisement releases it; the gateway (link-local) used off-link;
 * every malformed or unwanted packet dropped under its own counter (hop
 * limit, checksum, zero-length option, multicast with Solicited, our own
 * address advertised, fragments, the extension-header bound, unknown
 * options by their action bits, routing headers with segments left, ...).
 */
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "check.h"
#include "net6.h"
#include "tcp_pkt.h"

#define S_US (1000ull * 1000)

static struct rte_mempool *mp;
static const struct rte_ether_addr our_mac = { { 0x02, 0, 0, 0, 0, 2 } };
static const struct rte_ether_addr peer_mac = { { 0x02, 0, 0, 0, 0, 1 } };
static const struct rte_ether_addr gw_mac = { { 0x02, 0, 0, 0, 0, 0xfe } };

/* 2001:db8::2/64 is us, 2001:db8::1 the peer, fe80::1 the gateway. */
static const uint8_t our_ip[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t peer_ip[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t far_ip[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 9, [15] = 7 };
static const uint8_t gw_ip[16] = { 0xfe, 0x80, [15] = 1 };
static const uint8_t our_snm[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 2 };
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
static const uint8_t unspec[16];

#define SENT_MAX 64
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

/* The Internet checksum the slow way (RFC 1071), over the pseudo-header. */
static uint16_t
ref_cksum(const uint8_t *src, const uint8_t *dst, uint8_t nh, const uint8_t *p, size_t len)
{
	uint8_t buf[2048];
	uint32_t sum = 0;
	size_t n = 0;

	memcpy(buf, src, 16);
	memcpy(buf + 16, dst, 16);
	buf[32] = (uint8_t)(len >> 24);
	buf[33] = (uint8_t)(len >> 16);
	buf[34] = (uint8_t)(len >> 8);
	buf[35] = (uint8_t)len;
	buf[36] = buf[37] = buf[38] = 0;
	buf[39] = nh;
	memcpy(buf + 40, p, len);
	n = 40 + len;
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)(buf[i] << 8) + (i + 1 < n ? buf[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * A frame from @p smac: IPv6 @p src -> @p dst, hop limit @p hops, then
 * @p ext (extension headers, their first next-header is @p nh0, the last
 * one's says @p nh) and @p l4 of @p len bytes (its checksum filled for
 * ICMPv6 when @p fix).
 */
static struct rte_mbuf *
frame6(const struct rte_ether_addr *smac, const uint8_t *src, const uint8_t *dst,
       uint8_t hops, uint8_t nh0, const uint8_t *ext, size_t ext_len, uint8_t nh,
       uint8_t *l4, size_t len, bool fix)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p;
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + 40 + ext_len + len));
	eth = (struct rte_ether_hdr *)p;
	rte_ether_addr_copy(&our_mac, &eth->dst_addr);
	rte_ether_addr_copy(smac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip = (struct rte_ipv6_hdr *)(eth + 1);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(ext_len + len));
	ip->proto = ext_len ? nh0 : nh;
	ip->hop_limits = hops;
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
	memcpy(ip + 1, ext, ext_len);
	if (fix && (nh == 58 || nh == 6)) {
		size_t at = nh == 58 ? 2 : 16;
		uint16_t ck;

		l4[at] = l4[at + 1] = 0;
		ck = ref_cksum(src, dst, nh, l4, len);
		l4[at] = (uint8_t)(ck >> 8);
		l4[at + 1] = (uint8_t)ck;
	}
	memcpy((uint8_t *)(ip + 1) + ext_len, l4, len);
	return m;
}

/* NS or NA body: type, flags, target, then @p opt (n bytes). */
static size_t
nd_msg(uint8_t *b, uint8_t type, uint8_t flags, const uint8_t *target, const uint8_t *opt,
       size_t n)
{
	memset(b, 0, 24);
	b[0] = type;
	b[4] = flags;
	memcpy(b + 8, target, 16);
	memcpy(b + 24, opt, n);
	return 24 + n;
}

static const uint8_t *
ip6_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, const uint8_t *, 14);
}

/* The frame's ICMPv6 checksum verifies with the reference. */
static bool
icmp_ok(struct rte_mbuf *m)
{
	const uint8_t *ip = ip6_of(m);
	size_t len = ((size_t)ip[4] << 8) | ip[5];

	return ip[6] == 58 && rte_pktmbuf_data_len(m) == 14 + 40 + len &&
	       ref_cksum(ip + 8, ip + 24, 58, ip + 40, len) == 0;
}

/* What the learn hook was told (test_share). */
struct learned {
	unsigned n;
	uint8_t addr[8][16];
	struct rte_ether_addr mac[8];
	unsigned flags[8];
};

static void
learn_collect(void *ctx, const void *addr, const struct rte_ether_addr *mac, unsigned flags)
{
	struct learned *l = ctx;

	if (l->n < 8) {
		memcpy(l->addr[l->n], addr, 16);
		rte_ether_addr_copy(mac, &l->mac[l->n]);
		l->flags[l->n] = flags;
	}
	l->n++;
}

/* The next net6_open() tells this (then it is cleared). */
static struct learned *open_learn;

static int
net6_open(struct hsod_net6 *n, const uint8_t *gw, unsigned ext_max, struct hsod_neigh_pool *pool)
{
	static unsigned seq;
	struct hsod_net6_conf c;
	char name[32];

	hsod_net6_conf_init(&c);
	memcpy(c.addr, our_ip, 16);
	c.prefix_len = 64;
	if (gw != NULL)
		memcpy(c.gateway, gw, 16);
	c.ext_max = ext_max;
	rte_ether_addr_copy(&our_mac, &c.mac);
	c.mp = mp;
	c.tx = tx_collect;
	c.name = name;
	c.neigh.randomize = false;
	c.pool = pool;
	if (open_learn != NULL) {
		c.learned = learn_collect;
		c.learn_ctx = open_learn;
		open_learn = NULL;
	}
	snprintf(name, sizeof(name), "t_nd_%u", seq++);
	return hsod_net6_init(n, &c);
}

static void
test_cksum(void)
{
	uint8_t b[301];

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(b); len += 7) {
		uint16_t ours = hsod_net6_l4_cksum(our_ip, peer_ip, 58, b, (uint32_t)len);
		uint16_t ref = ref_cksum(our_ip, peer_ip, 58, b, len);

		/* Ours is in memory order. */
		CHECK_EQ(rte_be_to_cpu_16(ours), ref);
	}
}

static void
test_conf(void)
{
	struct hsod_net6 n;
	static const uint8_t mc[16] = { 0xff, 0x02, [15] = 5 };
	static const uint8_t off_link[16] = { 0x20, 0x01, 0x0d, 0xb9, [15] = 1 };

	memset(&n, 0, sizeof(n));
	CHECK_EQ(net6_open(&n, mc, 8, NULL), -EINVAL);
	CHECK_EQ(net6_open(&n, off_link, 8, NULL), -EINVAL);
	CHECK_EQ(net6_open(&n, our_ip, 8, NULL), -EINVAL);
	CHECK_EQ(net6_open(&n, NULL, HSOD_NET6_EXT_MAX_LIMIT + 1, NULL), -EINVAL);
	CHECK_EQ(net6_open(&n, peer_ip, 8, NULL), 0);
	hsod_net6_fini(&n);
	hsod_net6_fini(&n);     /* twice is fine */
}

static void
test_echo(struct hsod_net6 *n)
{
	uint8_t icmp[64], *r;
	struct rte_mbuf *m;
	/* A destination-options header: PadN over 6 bytes. */
	static const uint8_t dopt[8] = { 58, 0, 1, 4, 0, 0, 0, 0 };

	for (size_t i = 0; i < sizeof(icmp); i++)
		icmp[i] = (uint8_t)i;
	icmp[0] = 128;
	icmp[1] = 0;
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 58, icmp, sizeof(icmp), true);
	CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_REPLY);
	r = rte_pktmbuf_mtod(m, uint8_t *);
	CHECK(memcmp(r, &peer_mac, 6) == 0 && memcmp(r + 6, &our_mac, 6) == 0);
	CHECK(memcmp(r + 14 + 8, our_ip, 16) == 0 && memcmp(r + 14 + 24, peer_ip, 16) == 0);
	CHECK_EQ(r[54], 129);
	CHECK(memcmp(r + 58, icmp + 4, sizeof(icmp) - 4) == 0);
	CHECK(icmp_ok(m));
	rte_pktmbuf_free(m);

	/* Through a destination-options header, to all-nodes: no header in the reply. */
	m = frame6(&peer_mac, peer_ip, all_nodes, 1, 60, dopt, sizeof(dopt), 58, icmp,
		   sizeof(icmp), true);
	CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_REPLY);
	r = rte_pktmbuf_mtod(m, uint8_t *);
	CHECK_EQ(rte_pktmbuf_data_len(m), 14 + 40 + sizeof(icmp));
	CHECK(memcmp(r + 14 + 8, our_ip, 16) == 0);
	CHECK(memcmp(r + 58, icmp + 4, sizeof(icmp) - 4) == 0);
	CHECK(icmp_ok(m));
	rte_pktmbuf_free(m);

	/* Bad checksum; a code; from the unspecified address. */
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 58, icmp, sizeof(icmp), true);
	rte_pktmbuf_mtod(m, uint8_t *)[14 + 40 + 10] ^= 1;
	CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);
	rte_pktmbuf_free(m);
	CHECK_EQ(n->stats.drops[HSOD_DROP6_ICMP_BAD], 1);
	icmp[1] = 1;
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 58, icmp, sizeof(icmp), true);
	CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);
	rte_pktmbuf_free(m);
	icmp[1] = 0;
	m = frame6(&peer_mac, unspec, our_ip, 64, 0, NULL, 0, 58, icmp, sizeof(icmp), true);
	CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);
	rte_pktmbuf_free(m);
	CHECK_EQ(n->stats.drops[HSOD_DROP6_ECHO_BAD], 2);
	/* An informational type we do not take (an echo reply). */
	icmp[0] = 129;
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 58, icmp, sizeof(icmp), true);
	CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);
	rte_pktmbuf_free(m);
	CHECK_EQ(n->stats.drops[HSOD_DROP6_ICMP_TYPE], 1);
	CHECK_EQ(n->stats.tx_echo, 2);
}

static void
test_ns(struct hsod_net6 *n)
{
	uint8_t b[64], *r;
	uint8_t slla[8] = { 1, 1 };
	uint8_t zero_opt[8] = { 1, 0 };
	struct hsod_neigh_info info;
	struct rte_mbuf *m;
	size_t len;

	memcpy(slla + 2, &peer_mac, 6);
	/* To our solicited-node group, with the sender's address: answered, learned. */
	len = nd_msg(b, 135, 0, our_ip, slla, sizeof(slla));
	m = frame6(&peer_mac, peer_ip, our_snm, 255, 0, NULL, 0, 58, b, len, true);
	CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_REPLY);
	r = rte_pktmbuf_mtod(m, uint8_t *);
	CHECK(memcmp(r, &peer_mac, 6) == 0 && memcmp(r + 6, &our_mac, 6) == 0);
	CHECK_EQ(r[14 + 7], 255);
	CHECK(memcmp(r + 14 + 8, our_ip, 16) == 0 && memcmp(r + 14 + 24, peer_ip, 16) == 0);
	CHECK_EQ(r[54], 136);
	CHECK_EQ(r[54 + 4], 0x60);     /* Solicited, Override; not Router */
	CHECK(memcmp(r + 54 + 8, our_ip, 16) == 0);
	CHECK(r[54 + 24] == 2 && r[54 + 25] == 1 && memcmp(r + 54 + 26, &our_mac, 6) == 0);
	CHECK(icmp_ok(m));
	rte_pktmbuf_free(m);
	CHECK_EQ(hsod_neigh_get(hsod_net6_neigh(n), peer_ip, &info), 0);
	CHECK_EQ(info.state, HSOD_NEIGH_STALE);
	CHECK(memcmp(&info.mac, &peer_mac, 6) == 0);

	/* DAD: from ::, to the group, no option: answered to all-nodes, Solicited clear. */
	len = nd_msg(b, 135, 0, our_ip, NULL, 0);
	m = frame6(&peer_mac, unspec, our_snm, 255, 0, NULL, 0, 58, b, len, true);
	CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_REPLY);
	r = rte_pktmbuf_mtod(m, uint8_t *);
	CHECK(r[0] == 0x33 && r[1] == 0x33 && r[5] == 1);
	CHECK(memcmp(r + 14 + 24, all_nodes, 16) == 0);
	CHECK_EQ(r[54 + 4], 0x20);
	CHECK(icmp_ok(m));
	rte_pktmbuf_free(m);

	/* RFC 4861 7.1.1's checks, each its own frame. */
	{
		uint64_t bad0 = n->stats.drops[HSOD_DROP6_ND_BAD];

		len = nd_msg(b, 135, 0, our_ip, slla, sizeof(slla));
		m = frame6(&peer_mac, peer_ip, our_snm, 64, 0, NULL, 0, 58, b, len, true);
		CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);    /* hop limit */
		rte_pktmbuf_free(m);
		b[1] = 1;
		m = frame6(&peer_mac, peer_ip, our_snm, 255, 0, NULL, 0, 58, b, len, true);
		CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);    /* code */
		rte_pktmbuf_free(m);
		len = nd_msg(b, 135, 0, our_ip, zero_opt, sizeof(zero_opt));
		m = frame6(&peer_mac, peer_ip, our_snm, 255, 0, NULL, 0, 58, b, len, true);
		CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);    /* option length 0 */
		rte_pktmbuf_free(m);
		len = nd_msg(b, 135, 0, our_ip, slla, sizeof(slla));
		m = frame6(&peer_mac, unspec, our_snm, 255, 0, NULL, 0, 58, b, len, true);
		CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);    /* DAD with SLLA */
		rte_pktmbuf_free(m);
		len = nd_msg(b, 135, 0, our_ip, NULL, 0);
		m = frame6(&peer_mac, unspec, our_ip, 255, 0, NULL, 0, 58, b, len, true);
		CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);    /* DAD not to the group */
		rte_pktmbuf_free(m);
		len = nd_msg(b, 135, 0, our_snm, NULL, 0);
		m = frame6(&peer_mac, peer_ip, our_snm, 255, 0, NULL, 0, 58, b, len, true);
		CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);    /* multicast target */
		rte_pktmbuf_free(m);
		m = frame6(&peer_mac, peer_ip, our_snm, 255, 0, NULL, 0, 58, b, 20, true);
		CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);    /* too short */
		rte_pktmbuf_free(m);
		CHECK_EQ(n->stats.drops[HSOD_DROP6_ND_BAD] - bad0, 7);
	}
	/* For someone else. */
	len = nd_msg(b, 135, 0, far_ip, slla, sizeof(slla));
	m = frame6(&peer_mac, peer_ip, our_ip, 255, 0, NULL, 0, 58, b, len, true);
	CHECK_EQ(hsod_net6_input(n, m, 0), HSOD_NET_DROP);
	rte_pktmbuf_free(m);
	CHECK_EQ(n->stats.drops[HSOD_DROP6_NS_NOT_US], 1);
	CHECK_EQ(n->stats.tx_na, 2);
}

/* A frame to send (its Ethernet addresses are net6's to fill). */
static struct rte_mbuf *
out_frame(const uint8_t *dst)
{
	uint8_t icmp[8] = { 129 };

	return frame6(&our_mac, our_ip, dst, 64, 0, NULL, 0, 58, icmp, sizeof(icmp), true);
}

static void
test_resolve(void)
{
	struct hsod_neigh_pool *pool = hsod_neigh_pool_create(16);
	struct hsod_net6 n;
	struct hsod_neigh_info info;
	uint8_t b[64], tlla[8] = { 2, 1 }, *r;
	struct rte_mbuf *m;
	size_t len;

	CHECK(pool != NULL);
	CHECK_EQ(net6_open(&n, gw_ip, 8, pool), 0);
	sent_clear();
	/* A miss: held, and a solicitation to the peer's solicited-node group. */
	CHECK_EQ(hsod_net6_output(&n, out_frame(peer_ip), peer_ip, 0), HSOD_NET_OUT_QUEUED);
	CHECK_EQ(n_sent, 1);
	r = rte_pktmbuf_mtod(sent[0], uint8_t *);
	CHECK(r[0] == 0x33 && r[1] == 0x33 && r[2] == 0xff && r[3] == 0 && r[4] == 0 &&
	      r[5] == 1);
	CHECK_EQ(r[14 + 7], 255);
	CHECK(memcmp(r + 14 + 8, our_ip, 16) == 0);
	CHECK(r[14 + 24] == 0xff && r[14 + 25] == 0x02 && r[14 + 35] == 1 &&
	      r[14 + 36] == 0xff && r[14 + 39] == 1);
	CHECK_EQ(r[54], 135);
	CHECK(memcmp(r + 54 + 8, peer_ip, 16) == 0);
	CHECK(r[54 + 24] == 1 && r[54 + 25] == 1 && memcmp(r + 54 + 26, &our_mac, 6) == 0);
	CHECK(icmp_ok(sent[0]));
	sent_clear();
	/* Retransmitted after RetransTimer. */
	hsod_net6_tick(&n, 1100 * 1000);
	CHECK_EQ(n_sent, 1);
	CHECK_EQ(n.stats.tx_ns, 2);
	sent_clear();

	/* A multicast advertisement with Solicited set: refused, learns nothing. */
	memcpy(tlla + 2, &peer_mac, 6);
	len = nd_msg(b, 136, 0x60, peer_ip, tlla, sizeof(tlla));
	m = frame6(&peer_mac, peer_ip, all_nodes, 255, 0, NULL, 0, 58, b, len, true);
	CHECK_EQ(hsod_net6_input(&n, m, 1200 * 1000), HSOD_NET_DROP);
	rte_pktmbuf_free(m);
	CHECK_EQ(n_sent, 0);
	/* The answer: the held frame leaves, to the peer's MAC. */
	m = frame6(&peer_mac, peer_ip, our_ip, 255, 0, NULL, 0, 58, b, len, true);
	CHECK_EQ(hsod_net6_input(&n, m, 1200 * 1000), HSOD_NET_CONSUMED);
	rte_pktmbuf_free(m);
	CHECK_EQ(n_sent, 1);
	r = rte_pktmbuf_mtod(sent[0], uint8_t *);
	CHECK(memcmp(r, &peer_mac, 6) == 0 && memcmp(r + 6, &our_mac, 6) == 0);
	CHECK_EQ(r[54], 129);
	sent_clear();
	CHECK_EQ(hsod_neigh_get(hsod_net6_neigh(&n), peer_ip, &info), 0);
	CHECK_EQ(info.state, HSOD_NEIGH_REACHABLE);
	/* Now a hit. */
	CHECK_EQ(hsod_net6_output(&n, out_frame(peer_ip), peer_ip, 1300 * 1000),
		 HSOD_NET_OUT_SENT);
	CHECK_EQ(n_sent, 1);
	sent_clear();

	/* Off-link: by the link-local gateway, asked for by its own group. */
	CHECK_EQ(hsod_net6_output(&n, out_frame(far_ip), far_ip, 2 * S_US), HSOD_NET_OUT_QUEUED);
	CHECK_EQ(n_sent, 1);
	r = rte_pktmbuf_mtod(sent[0], uint8_t *);
	CHECK(memcmp(r + 54 + 8, gw_ip, 16) == 0);
	sent_clear();
	/* An advertisement without a target option does not resolve an INCOMPLETE entry. */
	len = nd_msg(b, 136, 0x60, gw_ip, NULL, 0);
	m = frame6(&gw_mac, gw_ip, our_ip, 255, 0, NULL, 0, 58, b, len, true);
	CHECK_EQ(hsod_net6_input(&n, m, 2 * S_US), HSOD_NET_CONSUMED);
	rte_pktmbuf_free(m);
	CHECK_EQ(n_sent, 0);
	memcpy(tlla + 2, &gw_mac, 6);
	len = nd_msg(b, 136, 0x60, gw_ip, tlla, sizeof(tlla));
	m = frame6(&gw_mac, gw_ip, our_ip, 255, 0, NULL, 0, 58, b, len, true);
	CHECK_EQ(hsod_net6_input(&n, m, 2 * S_US), HSOD_NET_CONSUMED);
	rte_pktmbuf_free(m);
	CHECK_EQ(n_sent, 1);
	r = rte_pktmbuf_mtod(sent[0], uint8_t *);
	CHECK(memcmp(r, &gw_mac, 6) == 0);
	CHECK(memcmp(r + 14 + 24, far_ip, 16) == 0);
	sent_clear();

	/* Somebody advertises our address; an unknown target creates nothing. */
	memcpy(tlla + 2, &peer_mac, 6);
	len = nd_msg(b, 136, 0x20, our_ip, tlla, sizeof(tlla));
	m = frame6(&peer_mac, peer_ip, all_nodes, 255, 0, NULL, 0, 58, b, len, true);
	CHECK_EQ(hsod_net6_input(&n, m, 3 * S_US), HSOD_NET_DROP);
	rte_pktmbuf_free(m);
	CHECK_EQ(n.stats.drops[HSOD_DROP6_NA_DUP], 1);
	len = nd_msg(b, 136, 0x20, far_ip, tlla, sizeof(tlla));
	m = frame6(&peer_mac, peer_ip, all_nodes, 255, 0, NULL, 0, 58, b, len, true);
	CHECK_EQ(hsod_net6_input(&n, m, 3 * S_US), HSOD_NET_CONSUMED);
	rte_pktmbuf_free(m);
	CHECK_EQ(hsod_neigh_get(hsod_net6_neigh(&n), far_ip, &info), -ENOENT);

	/* The unsolicited advertisement at start. */
	m = hsod_net6_unsolicited_na(&n, mp);
	CHECK(m != NULL);
	r = rte_pktmbuf_mtod(m, uint8_t *);
	CHECK(r[0] == 0x33 && r[1] == 0x33 && r[2] == 0 && r[5] == 1);
	CHECK(memcmp(r + 14 + 24, all_nodes, 16) == 0);
	CHECK_EQ(r[14 + 7], 255);
	CHECK_EQ(r[54], 136);
	CHECK_EQ(r[54 + 4], 0x20);
	CHECK(memcmp(r + 54 + 8, our_ip, 16) == 0);
	CHECK(r[54 + 24] == 2 && memcmp(r + 54 + 26, &our_mac, 6) == 0);
	CHECK(icmp_ok(m));
	rte_pktmbuf_free(m);
	hsod_net6_fini(&n);
	sent_clear();

	/* No gateway: off-link is unreachable, counted. */
	CHECK_EQ(net6_open(&n, NULL, 8, pool), 0);
	CHECK_EQ(hsod_net6_output(&n, out_frame(far_ip), far_ip, 0), HSOD_NET_OUT_DROPPED);
	CHECK_EQ(n.stats.tx_no_route, 1);
	CHECK_EQ(n_sent, 0);
	hsod_net6_fini(&n);
	CHECK_EQ(hsod_neigh_pool_avail(pool), 16);
	hsod_neigh_pool_free(pool);
}

/* One frame, its verdict and the counter it must move. */
static void
expect_drop(struct hsod_net6 *n, struct rte_mbuf *m, enum hsod_drop6 why)
{
	uint64_t before = n->stats.drops[why];

	CHECK_MSG(hsod_net6_input(n, m, 0) == HSOD_NET_DROP, "%s", hsod_drop6_name(why));
	CHECK_MSG(n->stats.drops[why] == before + 1, "%s", hsod_drop6_name(why));
	rte_pktmbuf_free(m);
}

static void
test_headers(void)
{
	struct hsod_net6 n;
	uint8_t icmp[16] = { 128 }, ext[64];
	struct rte_mbuf *m;
	static const uint8_t mc_src[16] = { 0xff, 0x02, [15] = 9 };

	CHECK_EQ(net6_open(&n, NULL, 2, NULL), 0);
	/* Not for us, multicast source, lengths, version. */
	expect_drop(&n, frame6(&peer_mac, peer_ip, far_ip, 64, 0, NULL, 0, 58, icmp, 16, true),
		    HSOD_DROP6_NOT_US);
	expect_drop(&n, frame6(&peer_mac, mc_src, our_ip, 64, 0, NULL, 0, 58, icmp, 16, true),
		    HSOD_DROP6_SRC);
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 58, icmp, 16, true);
	rte_pktmbuf_mtod(m, uint8_t *)[14 + 5] += 1;
	expect_drop(&n, m, HSOD_DROP6_HDR);
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 58, icmp, 16, true);
	rte_pktmbuf_mtod(m, uint8_t *)[14] = 0x40;
	expect_drop(&n, m, HSOD_DROP6_VERSION);
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 58, icmp, 16, true);
	rte_pktmbuf_trim(m, 1);
	expect_drop(&n, m, HSOD_DROP6_HDR);
	/* Ethernet padding is not payload: the echo is answered. */
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 58, icmp, 16, true);
	memset(rte_pktmbuf_append(m, 10), 0xee, 10);
	CHECK_EQ(hsod_net6_input(&n, m, 0), HSOD_NET_REPLY);
	CHECK(icmp_ok(m));
	rte_pktmbuf_free(m);

	/*
	 * What a host ignores, each under its own counter and never answered:
	 * router solicitations and advertisements, redirects, Packet Too Big,
	 * other errors (destination unreachable, time exceeded, parameter
	 * problem, an unassigned error type).
	 */
	{
		static const struct {
			uint8_t type;
			const uint8_t *dst;
			uint8_t hops;
			enum hsod_drop6 why;
		} ign[] = {
			{ 133, all_nodes, 255, HSOD_DROP6_ND_ROUTER },
			{ 134, all_nodes, 255, HSOD_DROP6_ND_ROUTER },
			{ 134, our_ip, 255, HSOD_DROP6_ND_ROUTER },
			{ 137, our_ip, 255, HSOD_DROP6_ND_REDIRECT },
			{ 2, our_ip, 60, HSOD_DROP6_ICMP_TOO_BIG },
			{ 1, our_ip, 60, HSOD_DROP6_ICMP_ERROR },
			{ 3, our_ip, 60, HSOD_DROP6_ICMP_ERROR },
			{ 4, our_ip, 60, HSOD_DROP6_ICMP_ERROR },
			{ 100, our_ip, 60, HSOD_DROP6_ICMP_ERROR },
			{ 200, our_ip, 60, HSOD_DROP6_ICMP_TYPE },
		};
		uint8_t msg[16];

		sent_clear();
		for (unsigned i = 0; i < RTE_DIM(ign); i++) {
			memset(msg, 0, sizeof(msg));
			msg[0] = ign[i].type;
			expect_drop(&n, frame6(&gw_mac, gw_ip, ign[i].dst, ign[i].hops, 0, NULL, 0,
					       58, msg, sizeof(msg), true), ign[i].why);
		}
		CHECK_EQ(n_sent, 0);
		/* A bad checksum is that before anything else. */
		msg[0] = 134;
		m = frame6(&gw_mac, gw_ip, all_nodes, 255, 0, NULL, 0, 58, msg, sizeof(msg), true);
		rte_pktmbuf_mtod(m, uint8_t *)[14 + 40 + 8] ^= 1;
		expect_drop(&n, m, HSOD_DROP6_ICMP_BAD);
	}

	/* A fragment header. */
	memset(ext, 0, sizeof(ext));
	ext[0] = 58;
	expect_drop(&n, frame6(&peer_mac, peer_ip, our_ip, 64, 44, ext, 8, 58, icmp, 16, true),
		    HSOD_DROP6_FRAGMENT);
	/* Two destination-options headers pass the bound of 2, three do not. */
	memset(ext, 0, sizeof(ext));
	ext[0] = 60;
	ext[8] = 60;
	ext[16] = 58;
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 60, ext + 8, 16, 58, icmp, 16, true);
	CHECK_EQ(hsod_net6_input(&n, m, 0), HSOD_NET_REPLY);
	rte_pktmbuf_free(m);
	expect_drop(&n, frame6(&peer_mac, peer_ip, our_ip, 64, 60, ext, 24, 58, icmp, 16, true),
		    HSOD_DROP6_EXT_LIMIT);
	/* Hop-by-hop after another header. */
	memset(ext, 0, sizeof(ext));
	ext[0] = 0;
	ext[8] = 58;
	expect_drop(&n, frame6(&peer_mac, peer_ip, our_ip, 64, 60, ext, 16, 58, icmp, 16, true),
		    HSOD_DROP6_EXT_BAD);
	/* A header longer than the packet. */
	memset(ext, 0, sizeof(ext));
	ext[0] = 58;
	ext[1] = 9;
	expect_drop(&n, frame6(&peer_mac, peer_ip, our_ip, 64, 60, ext, 8, 58, icmp, 16, true),
		    HSOD_DROP6_EXT_BAD);
	/* Unknown options: action 00 skipped, 01 discards. */
	memset(ext, 0, sizeof(ext));
	ext[0] = 58;
	ext[2] = 0x1e;  /* type 00 011110 */
	ext[3] = 4;
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, ext, 8, 58, icmp, 16, true);
	CHECK_EQ(hsod_net6_input(&n, m, 0), HSOD_NET_REPLY);
	rte_pktmbuf_free(m);
	ext[2] = 0x5e;  /* type 01 011110 */
	expect_drop(&n, frame6(&peer_mac, peer_ip, our_ip, 64, 0, ext, 8, 58, icmp, 16, true),
		    HSOD_DROP6_OPTION);
	ext[2] = 1;     /* PadN running past the header */
	ext[3] = 6;
	expect_drop(&n, frame6(&peer_mac, peer_ip, our_ip, 64, 0, ext, 8, 58, icmp, 16, true),
		    HSOD_DROP6_EXT_BAD);
	/* A routing header with segments left; one with none is skipped. */
	memset(ext, 0, sizeof(ext));
	ext[0] = 58;
	ext[3] = 1;
	expect_drop(&n, frame6(&peer_mac, peer_ip, our_ip, 64, 43, ext, 8, 58, icmp, 16, true),
		    HSOD_DROP6_ROUTING);
	ext[3] = 0;
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 43, ext, 8, 58, icmp, 16, true);
	CHECK_EQ(hsod_net6_input(&n, m, 0), HSOD_NET_REPLY);
	rte_pktmbuf_free(m);
	/* UDP, No Next Header. */
	expect_drop(&n, frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 17, icmp, 16, false),
		    HSOD_DROP6_PROTO);
	expect_drop(&n, frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 59, icmp, 0, false),
		    HSOD_DROP6_PROTO);
	/* Shorter than an IPv6 header. */
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 58, icmp, 0, false);
	rte_pktmbuf_trim(m, 1);
	expect_drop(&n, m, HSOD_DROP6_RUNT);
	hsod_net6_fini(&n);
}

/*
 * TCP over IPv6: a SYN through a destination-options header passed up with
 * l3_len over it, parsed into an IPv6 tuple, answered by the TCP table
 * with an MSS 20 bytes under IPv4's, the SYN-ACK built into an IPv6 frame
 * whose checksum the reference accepts; bad sums, multicast and short
 * headers refused.
 */
static void
test_tcp6(void)
{
	struct tcp_pkt_pool tp = { .mp = mp, .owner_off = -1 };
	struct tcp_config tc;
	struct tcp_tbl *t;
	struct hsod_net6 n;
	struct tcp_seg seg;
	const struct tcp_seg_out *o;
	unsigned n_out;
	struct rte_mbuf *m;
	uint8_t syn[24] = { 0x9c, 0x41, 0x01, 0xbb, 0, 0, 0x10, 0, 0, 0, 0, 0,
			    0x60, 0x02, 0xfa, 0xf0, 0, 0, 0, 0, 2, 4, 0x05, 0xa0 };
	static const uint8_t dopt[8] = { 6, 0, 1, 4, 0, 0, 0, 0 };
	const uint8_t *r;

	CHECK_EQ(net6_open(&n, NULL, 8, NULL), 0);
	tcp_config_init(&tc);
	tc.max_conns = 16;
	tc.max_half_open = 16;
	tc.buf_ops.alloc = tcp_pkt_buf_alloc;
	tc.buf_ops.release = tcp_pkt_buf_release;
	tc.buf_ops.ctx = &tp;
	t = tcp_tbl_create(&tc);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK_EQ(tcp_tbl_listen(t, 443), 0);

	m = frame6(&peer_mac, peer_ip, our_ip, 64, 60, dopt, sizeof(dopt), 6, syn, sizeof(syn),
		   true);
	CHECK_EQ(hsod_net6_input(&n, m, 0), HSOD_NET_TCP);
	CHECK(m->l2_len == 14 && m->l3_len == 48);
	CHECK_EQ(n.stats.rx_tcp, 1);
	CHECK_EQ(tcp_pkt_parse(m, &seg), 0);
	CHECK(seg.tuple.v6 && seg.tuple.laddr == 0 && seg.tuple.raddr == 0);
	CHECK(memcmp(seg.tuple.laddr6, our_ip, 16) == 0 &&
	      memcmp(seg.tuple.raddr6, peer_ip, 16) == 0);
	CHECK(seg.tuple.lport == 443 && seg.tuple.rport == 40001);
	CHECK(seg.seq == 0x1000 && seg.flags == TCP_FLAG_SYN && seg.opt_len == 4 && seg.len == 0);
	tcp_tbl_input(t, &seg, 0);
	if (seg.buf == NULL)
		rte_pktmbuf_free(m);
	o = tcp_tbl_output(t, &n_out);
	CHECK_EQ(n_out, 1);
	if (n_out == 1) {
		CHECK(o->tuple.v6 && memcmp(o->tuple.raddr6, peer_ip, 16) == 0);
		CHECK(o->flags == (TCP_FLAG_SYN | TCP_FLAG_ACK) && o->ack == 0x1001);
		/* RFC 9293 3.7.1 on IPv6: 1500 - 40 - 20. */
		CHECK(o->opt_len >= 4 && o->opts[0] == 2 && (o->opts[2] << 8 | o->opts[3]) == 1440);
		m = tcp_pkt_build(mp, o, false);
		CHECK(m != NULL);
		r = rte_pktmbuf_mtod(m, const uint8_t *);
		CHECK(r[12] == 0x86 && r[13] == 0xdd);
		CHECK((r[14] >> 4) == 6 && r[14 + 6] == 6 && r[14 + 7] == 64);
		CHECK(memcmp(r + 14 + 8, our_ip, 16) == 0 && memcmp(r + 14 + 24, peer_ip, 16) == 0);
		CHECK_EQ(rte_pktmbuf_data_len(m), 14 + 40 + 20 + o->opt_len);
		CHECK_EQ(ref_cksum(our_ip, peer_ip, 6, r + 54, 20 + o->opt_len), 0);
		CHECK(r[54] == 0x01 && r[55] == 0xbb && r[56] == 0x9c && r[57] == 0x41);
		rte_pktmbuf_free(m);
		/* The reference mbuf path copies IPv6 (no chains): the same frame. */
		m = tcp_pkt_build_ref(mp, o, false);
		CHECK(m != NULL && m->nb_segs == 1);
		rte_pktmbuf_free(m);
	}
	tcp_tbl_output_clear(t);

	/* A flipped bit: the checksum refuses it. */
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 6, syn, sizeof(syn), true);
	rte_pktmbuf_mtod(m, uint8_t *)[14 + 40 + 5] ^= 1;
	CHECK_EQ(hsod_net6_input(&n, m, 0), HSOD_NET_TCP);
	CHECK_EQ(tcp_pkt_parse(m, &seg), -EILSEQ);
	rte_pktmbuf_free(m);
	/* A data offset past the segment. */
	syn[12] = 0xf0;
	m = frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 6, syn, sizeof(syn), true);
	CHECK_EQ(hsod_net6_input(&n, m, 0), HSOD_NET_TCP);
	CHECK_EQ(tcp_pkt_parse(m, &seg), -EBADMSG);
	rte_pktmbuf_free(m);
	syn[12] = 0x60;
	/* To all-nodes; shorter than a TCP header. */
	expect_drop(&n, frame6(&peer_mac, peer_ip, all_nodes, 64, 0, NULL, 0, 6, syn, sizeof(syn),
			       true), HSOD_DROP6_PROTO);
	expect_drop(&n, frame6(&peer_mac, peer_ip, our_ip, 64, 0, NULL, 0, 6, syn, 16, false),
		    HSOD_DROP6_TCP_HDR);
	tcp_tbl_free(t);
	hsod_net6_fini(&n);
}

/*
 * Two workers on one port, each with its own table: the advertisement
 * answering B's solicitation reaches A (the port's queue choice). A's hook
 * is told (target, MAC, Solicited and Override), A itself creates nothing
 * (RFC 4861 7.2.5), and the same update applied to B's table (what
 * worker.c's ring carries) releases B's held frame to the peer's MAC,
 * REACHABLE. A solicitation with a source address is passed on (CREATE,
 * OVERRIDE); an advertisement without a target option is not.
 */
static void
test_share(void)
{
	struct hsod_neigh_pool *pool = hsod_neigh_pool_create(8);
	struct learned la = { 0 };
	struct hsod_net6 a, b;
	struct hsod_neigh_info info;
	uint8_t msg[64], tlla[8] = { 2, 1 }, slla[8] = { 1, 1 }, *r;
	struct rte_mbuf *m;
	size_t len;

	open_learn = &la;
	CHECK_EQ(net6_open(&a, NULL, 8, pool), 0);
	CHECK_EQ(net6_open(&b, NULL, 8, pool), 0);
	sent_clear();
	CHECK_EQ(hsod_net6_output(&b, out_frame(peer_ip), peer_ip, 0), HSOD_NET_OUT_QUEUED);
	CHECK_EQ(n_sent, 1);            /* B's solicitation */
	sent_clear();

	memcpy(tlla + 2, &peer_mac, 6);
	len = nd_msg(msg, 136, 0x60, peer_ip, tlla, sizeof(tlla));
	m = frame6(&peer_mac, peer_ip, our_ip, 255, 0, NULL, 0, 58, msg, len, true);
	CHECK_EQ(hsod_net6_input(&a, m, 100), HSOD_NET_CONSUMED);
	rte_pktmbuf_free(m);
	CHECK_EQ(la.n, 1);
	CHECK(memcmp(la.addr[0], peer_ip, 16) == 0 && memcmp(&la.mac[0], &peer_mac, 6) == 0);
	CHECK_EQ(la.flags[0], HSOD_NEIGH_F_SOLICITED | HSOD_NEIGH_F_OVERRIDE);
	CHECK_EQ(hsod_neigh_get(hsod_net6_neigh(&a), peer_ip, &info), -ENOENT);
	CHECK_EQ(n_sent, 0);
	hsod_neigh_update(hsod_net6_neigh(&b), la.addr[0], &la.mac[0], la.flags[0], 200);
	CHECK_EQ(n_sent, 1);
	if (n_sent == 1) {
		r = rte_pktmbuf_mtod(sent[0], uint8_t *);
		CHECK(memcmp(r, &peer_mac, 6) == 0 && r[54] == 129);
	}
	sent_clear();
	CHECK_EQ(hsod_neigh_get(hsod_net6_neigh(&b), peer_ip, &info), 0);
	CHECK_EQ(info.state, HSOD_NEIGH_REACHABLE);

	/* No target option: nothing another table could use, nothing told. */
	len = nd_msg(msg, 136, 0x60, peer_ip, NULL, 0);
	m = frame6(&peer_mac, peer_ip, our_ip, 255, 0, NULL, 0, 58, msg, len, true);
	CHECK_EQ(hsod_net6_input(&a, m, 300), HSOD_NET_CONSUMED);
	rte_pktmbuf_free(m);
	CHECK_EQ(la.n, 1);
	/* A solicitation with the sender's address: learned here, told. */
	memcpy(slla + 2, &gw_mac, 6);
	len = nd_msg(msg, 135, 0, our_ip, slla, sizeof(slla));
	m = frame6(&gw_mac, far_ip, our_snm, 255, 0, NULL, 0, 58, msg, len, true);
	CHECK_EQ(hsod_net6_input(&a, m, 400), HSOD_NET_REPLY);
	rte_pktmbuf_free(m);
	CHECK_EQ(la.n, 2);
	CHECK(memcmp(la.addr[1], far_ip, 16) == 0 && memcmp(&la.mac[1], &gw_mac, 6) == 0);
	CHECK_EQ(la.flags[1], HSOD_NEIGH_F_CREATE | HSOD_NEIGH_F_OVERRIDE);
	/* B never saw B's own hook: it had none. */
	hsod_net6_fini(&a);
	hsod_net6_fini(&b);
	sent_clear();
	CHECK_EQ(hsod_neigh_pool_avail(pool), 8);
	hsod_neigh_pool_free(pool);
}

/* A TCP/IPv6 frame's checksum, as the receiver checks it (0: right). */
static uint16_t
tcp6_sum_of(struct rte_mbuf *m)
{
	uint8_t buf[2048];
	const uint8_t *r = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	size_t len = ((size_t)r[14 + 4] << 8) | r[14 + 5];

	return ref_cksum(r + 14 + 8, r + 14 + 24, 6, r + 54, len);
}

/*
 * TCP/IPv6 segments with payload: copied or by reference (a chain of
 * indirect mbufs over the pieces), checksum in software or left to the
 * port. The software sums verify with the reference, the chain is the
 * copy byte for byte over any split at odd offsets; offloaded frames
 * carry RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM (no IPv4 flag), the
 * lengths, and the pseudo-header sum a port completes into the right one.
 * Received: the port's RX verdict is honoured (GOOD trusted, BAD
 * refused), else summed here.
 */
static void
test_tcp6_pkt(void)
{
	struct tcp_pkt_pool tp = { .mp = mp, .owner_off = -1 };
	struct tcp_buf *bs[TCP_SEG_PIECES];
	struct tcp_seg_out o = {
		.tuple = { .v6 = 1, .lport = 443, .rport = 40001 },
		.seq = 0x01020304, .ack = 0xa0b0c0d0, .window = 4321,
		.flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .opt_len = 4, .opts = { 1, 1, 1, 0 },
		.len = 12, .n_pieces = 2,
	};
	struct hsod_net6 n;
	struct tcp_seg seg;
	struct rte_mbuf *m, *l;
	uint64_t rnd = 7;

	CHECK_EQ(net6_open(&n, NULL, 8, NULL), 0);
	memcpy(o.tuple.laddr6, peer_ip, 16);    /* built as the peer: parsed as to us */
	memcpy(o.tuple.raddr6, our_ip, 16);
	for (unsigned i = 0; i < TCP_SEG_PIECES; i++) {
		bs[i] = tcp_pkt_buf_alloc(&tp, 0);
		CHECK(bs[i] != NULL);
		if (bs[i] == NULL)
			return;
		check_fill(&rnd, bs[i]->data, 1500);
	}
	memcpy(bs[0]->data, "..hello, ", 9);
	memcpy(bs[1]->data, "world!", 6);
	o.piece[0] = (struct tcp_piece){ bs[0], bs[0]->data + 2, 7 };
	o.piece[1] = (struct tcp_piece){ bs[1], bs[1]->data, 5 };

	/* Copied, summed here. */
	m = tcp_pkt_build(mp, &o, false);
	CHECK(m != NULL && m->nb_segs == 1 && (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == 0);
	CHECK_EQ(tcp6_sum_of(m), 0);
	CHECK_EQ(hsod_net6_input(&n, m, 0), HSOD_NET_TCP);
	CHECK_EQ(tcp_pkt_parse(m, &seg), 0);
	CHECK(seg.tuple.v6 && seg.len == 12 && memcmp(seg.payload, "hello, world", 12) == 0);
	/* A port that verified the sum: trusted (a flipped bit it would have caught). */
	((uint8_t *)seg.payload)[0] ^= 1;
	CHECK_EQ(tcp_pkt_parse(m, &seg), -EILSEQ);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	CHECK_EQ(tcp_pkt_parse(m, &seg), 0);
	((uint8_t *)seg.payload)[0] ^= 1;
	/* Right, but the port says bad: refused. */
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	CHECK_EQ(tcp_pkt_parse(m, &seg), -EILSEQ);
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN;
	CHECK_EQ(tcp_pkt_parse(m, &seg), 0);
	rte_pktmbuf_free(m);

	/* Copied, offloaded: the port finishes the pseudo-header sum. */
	m = tcp_pkt_build(mp, &o, true);
	CHECK(m != NULL);
	if (m != NULL) {
		uint8_t *r = rte_pktmbuf_mtod(m, uint8_t *);
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(r + 14);
		uint16_t field, full;

		CHECK_EQ(m->ol_flags & (RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IPV4 |
					RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK),
			 RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM);
		CHECK(m->l2_len == 14 && m->l3_len == 40 && m->l4_len == 24);
		memcpy(&field, r + 54 + 16, 2);
		CHECK_EQ(field, rte_ipv6_phdr_cksum(ip, 0));
		/* What the port does: the sum over the segment, from that field. */
		full = (uint16_t)~rte_raw_cksum(r + 54, 24 + 12);
		memcpy(r + 54 + 16, &full, 2);
		CHECK_EQ(tcp6_sum_of(m), 0);
		rte_pktmbuf_free(m);
	}

	/* By reference: header mbuf plus one per piece, the pieces' mbufs referenced. */
	m = tcp_pkt_build_ref(mp, &o, false);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK_EQ(m->nb_segs, 3);
	CHECK_EQ(rte_pktmbuf_pkt_len(m), 14 + 40 + 24 + 12);
	CHECK(RTE_MBUF_CLONED(m->next) && rte_pktmbuf_mtod(m->next, uint8_t *) == bs[0]->data + 2);
	CHECK_EQ(rte_mbuf_refcnt_read(tcp_pkt_buf_mbuf(bs[0])), 2);
	CHECK_EQ(tcp6_sum_of(m), 0);
	l = rte_pktmbuf_alloc(mp);
	rte_pktmbuf_read(m, 0, m->pkt_len, rte_pktmbuf_append(l, (uint16_t)m->pkt_len));
	CHECK_EQ(hsod_net6_input(&n, l, 0), HSOD_NET_TCP);
	CHECK_EQ(tcp_pkt_parse(l, &seg), 0);
	CHECK(seg.len == 12 && memcmp(seg.payload, "hello, world", 12) == 0);
	rte_pktmbuf_free(l);
	rte_pktmbuf_free(m);
	CHECK_EQ(rte_mbuf_refcnt_read(tcp_pkt_buf_mbuf(bs[0])), 1);
	m = tcp_pkt_build_ref(mp, &o, true);
	CHECK(m != NULL && m->nb_segs == 3 && (m->ol_flags & RTE_MBUF_F_TX_IPV6) &&
	      (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM &&
	      m->l3_len == 40);
	rte_pktmbuf_free(m);

	/* Any split, odd offsets and lengths: the chain is the copy. */
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
			const uint8_t *pa = rte_pktmbuf_read(a, 0, a->pkt_len, fa);
			const uint8_t *pb = rte_pktmbuf_read(b, 0, b->pkt_len, fb);

			CHECK_MSG(memcmp(pa + 12, pb + 12, a->pkt_len - 12) == 0,
				  "round %u: %u pieces, %u bytes differ", round, q.n_pieces, q.len);
		}
		CHECK_EQ(tcp6_sum_of(b), 0);
		rte_pktmbuf_free(a);
		rte_pktmbuf_free(b);
	}
	for (unsigned i = 0; i < TCP_SEG_PIECES; i++)
		tcp_pkt_buf_release(&tp, bs[i]);
	hsod_net6_fini(&n);
}

int
main(void)
{
	char *eal[] = { "test_net6", "--no-huge", "--no-pci", "--no-shconf", "-l", "0",
			"-m", "64", "--no-telemetry", "--log-level=lib.eal:error", NULL };
	struct hsod_net6 n;

	if (rte_eal_init(10, eal) < 0) {
		printf("skip: DPDK EAL cannot start here (%s)\n", rte_strerror(rte_errno));
		return CHECK_SKIP;
	}
	mp = rte_pktmbuf_pool_create("test_net6", 256, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	CHECK(mp != NULL);
	if (mp == NULL)
		return check_result("net6");
	test_cksum();
	test_conf();
	CHECK_EQ(net6_open(&n, NULL, 8, NULL), 0);
	test_echo(&n);
	test_ns(&n);
	hsod_net6_fini(&n);
	sent_clear();
	test_resolve();
	test_headers();
	test_tcp6();
	sent_clear();
	test_share();
	test_tcp6_pkt();
	sent_clear();
	CHECK_EQ(rte_mempool_in_use_count(mp), 0);
	rte_eal_cleanup();
	return check_result("net6");
}
