/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP segments to and from mbufs; contract in tcp_pkt.h. */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>
#include <rte_tcp.h>

#include "cksum.h"
#include "tcp_pkt.h"

/*
 * rte_ipv4_udptcp_cksum() for TCP, the payload summed wide (cksum.h): the
 * sum over RFC 9293 3.1's pseudo-header, the header and the payload,
 * complemented.
 */
static uint16_t
cksum4(const struct rte_ipv4_hdr *ip, const void *l4)
{
	uint32_t l3 = rte_be_to_cpu_16(ip->total_length), hl = rte_ipv4_hdr_len(ip);
	uint32_t sum;

	if (l3 < hl)
		return 0xffff;
	sum = (uint32_t)hso_cksum_raw(l4, l3 - hl) + rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The TCP/IPv6 sum over RFC 8200 8.1's pseudo-header and @p len bytes at @p l4. */
static uint16_t
cksum6(const struct rte_ipv6_hdr *ip, const void *l4, uint32_t len)
{
	uint32_t be_len = rte_cpu_to_be_32(len), be_nh = rte_cpu_to_be_32(IPPROTO_TCP);
	uint32_t sum;

	sum = __rte_raw_cksum(ip->src_addr, 16, 0);
	sum = __rte_raw_cksum(ip->dst_addr, 16, sum);
	sum = __rte_raw_cksum(&be_len, 4, sum);
	sum = __rte_raw_cksum(&be_nh, 4, sum);
	sum += hso_cksum_raw(l4, len);
	return (uint16_t)~__rte_raw_cksum_reduce(sum);
}

/* The IPv6 half of tcp_pkt_parse(): l3_len covers the extension headers. */
static int
parse6(struct rte_mbuf *m, struct tcp_seg *seg)
{
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)((uint8_t *)ip + m->l3_len);
	size_t tot = sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len), thl;

	if (tot < m->l3_len + sizeof(*t))
		return -EBADMSG;
	thl = (size_t)(t->data_off >> 4) * 4;
	if (thl < sizeof(*t) || thl > tot - m->l3_len)
		return -EBADMSG;
	/*
	 * RFC 8200 8.1: the checksum is mandatory (there is no IPv4-style
	 * header sum to lean on). A port that verified it says so in the RX
	 * flags, as for IPv4; otherwise it is summed here.
	 */
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return -EILSEQ;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
	    cksum6(ip, t, (uint32_t)(tot - m->l3_len)) != 0)
		return -EILSEQ;
	memset(seg, 0, sizeof(*seg));
	seg->tuple.v6 = 1;
	memcpy(seg->tuple.laddr6, ip->dst_addr, 16);
	memcpy(seg->tuple.raddr6, ip->src_addr, 16);
	seg->tuple.lport = rte_be_to_cpu_16(t->dst_port);
	seg->tuple.rport = rte_be_to_cpu_16(t->src_port);
	seg->seq = rte_be_to_cpu_32(t->sent_seq);
	seg->ack = rte_be_to_cpu_32(t->recv_ack);
	seg->window = rte_be_to_cpu_16(t->rx_win);
	seg->flags = t->tcp_flags & 0x3f;
	seg->opt_len = (uint8_t)(thl - sizeof(*t));
	seg->opts = (const uint8_t *)(t + 1);
	seg->payload = (const uint8_t *)t + thl;
	seg->len = (uint32_t)(tot - m->l3_len - thl);
	seg->buf = m->nb_segs == 1 ? tcp_pkt_buf_of(m) : NULL;
	return 0;
}

int
tcp_pkt_parse(struct rte_mbuf *m, struct tcp_seg *seg)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)((uint8_t *)ip + m->l3_len);
	size_t tot, thl;

	if ((*(const uint8_t *)ip >> 4) == 6)
		return parse6(m, seg);
	tot = rte_be_to_cpu_16(ip->total_length);

	if (tot < m->l3_len + sizeof(*t))
		return -EBADMSG;
	thl = (size_t)(t->data_off >> 4) * 4;
	if (thl < sizeof(*t) || thl > tot - m->l3_len)
		return -EBADMSG;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return -EILSEQ;
	/*
	 * Verified by summing the segment with its checksum as sent: a right
	 * one makes the whole sum 0xffff (RFC 1071 1). Not by comparing with
	 * the value we would send: 0x0000 and 0xffff are the same checksum,
	 * and a sender whose sum folds to zero may send either (Linux's
	 * software checksum sends 0xffff, RFC 1624 3); compared, such a
	 * segment (one in 65536) was dropped on every retransmission.
	 */
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
	    cksum4(ip, t) != 0)
		return -EILSEQ;
	memset(seg, 0, sizeof(*seg));
	seg->tuple.laddr = rte_be_to_cpu_32(ip->dst_addr);
	seg->tuple.raddr = rte_be_to_cpu_32(ip->src_addr);
	seg->tuple.lport = rte_be_to_cpu_16(t->dst_port);
	seg->tuple.rport = rte_be_to_cpu_16(t->src_port);
	seg->seq = rte_be_to_cpu_32(t->sent_seq);
	seg->ack = rte_be_to_cpu_32(t->recv_ack);
	seg->window = rte_be_to_cpu_16(t->rx_win);
	seg->flags = t->tcp_flags & 0x3f;
	seg->opt_len = (uint8_t)(thl - sizeof(*t));
	seg->opts = (const uint8_t *)(t + 1);
	seg->payload = (const uint8_t *)t + thl;
	seg->len = (uint32_t)(tot - m->l3_len - thl);
	/* The payload by reference: TCP keeps the mbuf while it holds bytes of it. */
	seg->buf = m->nb_segs == 1 ? tcp_pkt_buf_of(m) : NULL;
	return 0;
}

int
tcp_pkt_peek_tuple(const struct rte_mbuf *m, struct tcp_tuple *tu)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_tcp_hdr *t = (const struct rte_tcp_hdr *)(ip + 1);

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*ip) + sizeof(*t) ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->version_ihl != 0x45 || ip->next_proto_id != IPPROTO_TCP)
		return -EINVAL;
	/* As tcp_pkt_parse() fills it: the lookup's hash covers every field. */
	memset(tu, 0, sizeof(*tu));
	tu->laddr = rte_be_to_cpu_32(ip->dst_addr);
	tu->raddr = rte_be_to_cpu_32(ip->src_addr);
	tu->lport = rte_be_to_cpu_16(t->dst_port);
	tu->rport = rte_be_to_cpu_16(t->src_port);
	return 0;
}

struct tcp_buf *
tcp_pkt_buf_of(struct rte_mbuf *m)
{
	struct tcp_pkt_buf *pb = m->buf_addr;

	if (rte_pktmbuf_headroom(m) < TCP_PKT_BUF_ROOM || !RTE_MBUF_DIRECT(m))
		return NULL;
	pb->m = m;
	pb->tag = 0;
	pb->b.next = NULL;
	pb->b.data = rte_pktmbuf_mtod(m, uint8_t *);
	pb->b.len = rte_pktmbuf_data_len(m);
	pb->b.cap = 0;
	pb->b.refs = 0;
	pb->b.flags = 0;
	return &pb->b;
}

struct tcp_buf *
tcp_pkt_buf_alloc(void *pool, uint32_t len)
{
	struct tcp_pkt_pool *p = pool;
	struct rte_mbuf *m = rte_pktmbuf_alloc(p->mp);
	struct tcp_buf *b;

	(void)len;      /* one mbuf's room: TCP asks again for more */
	if (m == NULL)
		return NULL;
	b = tcp_pkt_buf_of(m);
	if (b == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	b->len = 0;
	b->cap = rte_pktmbuf_tailroom(m);
	return b;
}

void
tcp_pkt_buf_release(void *pool, struct tcp_buf *b)
{
	struct tcp_pkt_pool *p = pool;
	struct rte_mbuf *m = tcp_pkt_buf_mbuf(b);

	if (p->owner_off >= 0)
		*RTE_MBUF_DYNFIELD(m, p->owner_off, uint32_t *) = 0;
	rte_pktmbuf_free(m);
}

/* The TCP header of @p o at @p t (checksum 0). */
static void
tcp_hdr_fill(struct rte_tcp_hdr *t, const struct tcp_seg_out *o)
{
	t->src_port = rte_cpu_to_be_16(o->tuple.lport);
	t->dst_port = rte_cpu_to_be_16(o->tuple.rport);
	t->sent_seq = rte_cpu_to_be_32(o->seq);
	t->recv_ack = rte_cpu_to_be_32(o->ack);
	t->data_off = (uint8_t)(((sizeof(*t) + o->opt_len) / 4) << 4);
	t->tcp_flags = o->flags;
	t->rx_win = rte_cpu_to_be_16(o->window);
	t->tcp_urp = 0;
	t->cksum = 0;
	memcpy(t + 1, o->opts, o->opt_len);
}

/* Ethernet type, IPv6 and TCP headers of @o at @p; returns the TCP header. */
static struct rte_tcp_hdr *
headers6(uint8_t *p, const struct tcp_seg_out *o, size_t hl, struct rte_ipv6_hdr **ipp)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);

	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(hl - sizeof(*eth) - sizeof(*ip) + o->len));
	ip->proto = IPPROTO_TCP;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, o->tuple.laddr6, 16);
	memcpy(ip->dst_addr, o->tuple.raddr6, 16);
	tcp_hdr_fill(t, o);
	*ipp = ip;
	return t;
}

/* Ethernet type, IPv4 and TCP headers of @o at @p; returns the TCP header. */
static struct rte_tcp_hdr *
headers(uint8_t *p, const struct tcp_seg_out *o, size_t hl, struct rte_ipv4_hdr **ipp)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *t;

	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hl - sizeof(*eth) + o->len));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(o->tuple.laddr);
	ip->dst_addr = rte_cpu_to_be_32(o->tuple.raddr);
	t = (struct rte_tcp_hdr *)(ip + 1);
	tcp_hdr_fill(t, o);
	*ipp = ip;
	return t;
}

/* Offloaded sums: the port computes them; TCP's field holds the pseudo-header sum. */
static void
csum_offload(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, struct rte_tcp_hdr *t,
	     const struct tcp_seg_out *o)
{
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = sizeof(*ip);
	m->l4_len = sizeof(*t) + o->opt_len;
	m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
	t->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
}

/*
 * The same for IPv6: no header checksum, the TCP one left to the port
 * (RTE_MBUF_F_TX_IPV6 says which pseudo-header it is; rte_ipv6_phdr_cksum()
 * takes the upper-layer length from payload_len: no extension headers here).
 */
static void
csum_offload6(struct rte_mbuf *m, struct rte_ipv6_hdr *ip, struct rte_tcp_hdr *t,
	      const struct tcp_seg_out *o)
{
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = sizeof(*ip);
	m->l4_len = sizeof(*t) + o->opt_len;
	m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM;
	t->cksum = rte_ipv6_phdr_cksum(ip, m->ol_flags);
}

/* The IPv6 frame of @p o, payload copied; checksum by the port or here. */
static struct rte_mbuf *
build6(struct rte_mempool *mp, const struct tcp_seg_out *o, bool csum_off)
{
	struct rte_ipv6_hdr *ip;
	struct rte_tcp_hdr *t;
	size_t hl = sizeof(struct rte_ether_hdr) + sizeof(*ip) + sizeof(*t) + o->opt_len;
	struct rte_mbuf *m;
	uint8_t *p;

	if (hl + o->len > UINT16_MAX)
		return NULL;
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + o->len));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	t = headers6(p, o, hl, &ip);
	p += hl;
	for (unsigned i = 0; i < o->n_pieces; i++) {
		memcpy(p, o->piece[i].data, o->piece[i].len);
		p += o->piece[i].len;
	}
	if (csum_off)
		csum_offload6(m, ip, t, o);
	else
		t->cksum = cksum6(ip, t, (uint32_t)(sizeof(*t) + o->opt_len + o->len));
	return m;
}

struct rte_mbuf *
tcp_pkt_build(struct rte_mempool *mp, const struct tcp_seg_out *o, bool csum_off)
{
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *t;
	size_t hl = sizeof(struct rte_ether_hdr) + sizeof(*ip) + sizeof(*t) + o->opt_len;
	struct rte_mbuf *m;
	uint8_t *p;

	if (o->tuple.v6)
		return build6(mp, o, csum_off);
	if (hl + o->len > UINT16_MAX)
		return NULL;
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + o->len));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	t = headers(p, o, hl, &ip);
	p += hl;
	for (unsigned i = 0; i < o->n_pieces; i++) {
		memcpy(p, o->piece[i].data, o->piece[i].len);
		p += o->piece[i].len;
	}
	if (csum_off) {
		csum_offload(m, ip, t, o);
	} else {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		t->cksum = cksum4(ip, t);
	}
	return m;
}

/*
 * @p mi as an indirect mbuf over @p len bytes at @p data of direct mbuf @p d
 * (what rte_pktmbuf_attach() does, less the header fields and dynamic
 * fields it copies, which a payload segment does not need).
 */
static inline void
attach_piece(struct rte_mbuf *mi, struct rte_mbuf *d, const uint8_t *data, uint32_t len)
{
	rte_mbuf_refcnt_update(d, 1);
	mi->priv_size = d->priv_size;
	mi->ol_flags = RTE_MBUF_F_INDIRECT;
	mi->buf_addr = d->buf_addr;
	rte_mbuf_iova_set(mi, rte_mbuf_iova_get(d));
	mi->buf_len = d->buf_len;
	mi->data_off = (uint16_t)(data - (const uint8_t *)d->buf_addr);
	mi->data_len = (uint16_t)len;
	mi->pkt_len = len;
	mi->nb_segs = 1;
	mi->next = NULL;
}

struct rte_mbuf *
tcp_pkt_build_ref(struct rte_mempool *mp, const struct tcp_seg_out *o, bool csum_off)
{
	struct rte_ipv4_hdr *ip = NULL;
	struct rte_ipv6_hdr *ip6 = NULL;
	struct rte_tcp_hdr *t;
	size_t hl = sizeof(struct rte_ether_hdr) + sizeof(*t) + o->opt_len +
		    (o->tuple.v6 ? sizeof(*ip6) : sizeof(*ip));
	struct rte_mbuf *ms[TCP_SEG_PIECES + 1], *h, *prev;
	uint8_t *p;

	if (o->n_pieces == 0)
		return tcp_pkt_build(mp, o, csum_off);
	/* The header's mbuf and one per piece, in one go. */
	if (rte_pktmbuf_alloc_bulk(mp, ms, o->n_pieces + 1u) != 0)
		return NULL;
	h = ms[0];
	p = (uint8_t *)rte_pktmbuf_append(h, (uint16_t)hl);
	t = o->tuple.v6 ? headers6(p, o, hl, &ip6) : headers(p, o, hl, &ip);
	prev = h;
	for (unsigned i = 0; i < o->n_pieces; i++) {
		const struct tcp_piece *pc = &o->piece[i];
		struct rte_mbuf *mi = ms[i + 1];

		/* A reference on the piece's mbuf, viewing just the piece. */
		attach_piece(mi, tcp_pkt_buf_mbuf(pc->buf), pc->data, pc->len);
		prev->next = mi;
		prev = mi;
		h->pkt_len += pc->len;
	}
	h->nb_segs = (uint16_t)(o->n_pieces + 1);
	if (csum_off) {
		if (ip6 != NULL)
			csum_offload6(h, ip6, t, o);
		else
			csum_offload(h, ip, t, o);
	} else {
		/*
		 * RFC 9293 3.1 (and RFC 8200 8.1 for IPv6): the one's complement
		 * sum over the pseudo-header, the header and the payload,
		 * wherever its pieces lie. Each piece's 16-bit sum, byte-swapped
		 * when it starts at an odd offset of the segment (RFC 1071
		 * 2(B)). Not rte_raw_cksum_mbuf(): DPDK 22.11 swaps its
		 * unreduced 32-bit sum, wrong for odd pieces.
		 */
		uint32_t sum = rte_raw_cksum(t, sizeof(*t) + o->opt_len), done = 0;

		for (unsigned i = 0; i < o->n_pieces; i++) {
			uint32_t x = hso_cksum_raw(o->piece[i].data, o->piece[i].len);

			if (done & 1)
				x = ((x & 0xff) << 8) | (x >> 8);
			sum += x;
			done += o->piece[i].len;
		}
		if (ip6 != NULL) {
			/* rte_ipv6_phdr_cksum(): addresses, payload_len, next header (8.1). */
			sum += rte_ipv6_phdr_cksum(ip6, 0);
		} else {
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			sum += rte_ipv4_phdr_cksum(ip, 0);
		}
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		t->cksum = (uint16_t)~sum;
	}
	return h;
}
