/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP segments to and from mbufs; contract in tcp_pkt.h. */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "tcp_pkt.h"

int
tcp_pkt_parse(struct rte_mbuf *m, struct tcp_seg *seg)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)((uint8_t *)ip + m->l3_len);
	size_t tot = rte_be_to_cpu_16(ip->total_length), thl;

	if (tot < m->l3_len + sizeof(*t))
		return -EBADMSG;
	thl = (size_t)(t->data_off >> 4) * 4;
	if (thl < sizeof(*t) || thl > tot - m->l3_len)
		return -EBADMSG;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return -EILSEQ;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
		uint16_t got = t->cksum;

		t->cksum = 0;
		if (rte_ipv4_udptcp_cksum(ip, t) != got)
			return -EILSEQ;
		t->cksum = got;
	}
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
	return 0;
}

struct rte_mbuf *
tcp_pkt_build(struct rte_mempool *mp, const struct tcp_seg_out *o, bool csum_off)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *t;
	size_t hl = sizeof(*eth) + sizeof(*ip) + sizeof(*t) + o->opt_len;
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
	eth = (struct rte_ether_hdr *)p;
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
	t->src_port = rte_cpu_to_be_16(o->tuple.lport);
	t->dst_port = rte_cpu_to_be_16(o->tuple.rport);
	t->sent_seq = rte_cpu_to_be_32(o->seq);
	t->recv_ack = rte_cpu_to_be_32(o->ack);
	t->data_off = (uint8_t)(((sizeof(*t) + o->opt_len) / 4) << 4);
	t->tcp_flags = o->flags;
	t->rx_win = rte_cpu_to_be_16(o->window);
	t->tcp_urp = 0;
	memcpy(t + 1, o->opts, o->opt_len);
	p += hl;
	if (o->data_len[0] > 0)
		memcpy(p, o->data[0], o->data_len[0]);
	if (o->data_len[1] > 0)
		memcpy(p + o->data_len[0], o->data[1], o->data_len[1]);
	if (csum_off) {
		/* The port sums; TCP's field holds the pseudo-header sum. */
		m->l2_len = sizeof(*eth);
		m->l3_len = sizeof(*ip);
		m->l4_len = sizeof(*t) + o->opt_len;
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
		t->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
	} else {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		t->cksum = 0;
		t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	}
	return m;
}
