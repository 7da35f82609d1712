/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One worker: net -> TCP -> TLS -> application rings and back. Contract in
 * worker.h. Connections live in fixed slots; a slot's id carries a
 * generation so a stale command from the application never reaches the
 * next connection that reuses the slot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include <openssl/crypto.h>

#include "app.h"
#include "worker.h"

#define BURST 32
#define SLOT_BITS 20
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
/* TLS configs (reloads) a worker keeps for connections that began with them. */
#define RETIRED_MAX 8
/* Application sends a connection may have waiting for output room. */
#define PEND_MAX 16

struct dp_conn {
	uint32_t id;                /* slot | generation << 20; 0 when free */
	uint64_t tcp;               /* TCP handle */
	uint64_t accepted_us;       /* when TCP handed it over: the TLS deadline runs */
	bool open_sent;             /* HSOD_EV_OPEN delivered */
	bool dirty;                 /* on the worker's dirty list */
	bool app_close;             /* the application asked to close */
	bool tcp_closing;           /* our FIN is queued */
	bool peer_fin;
	bool timed_out;             /* reset by the handshake deadline */
	uint8_t pend_head, pend_n;
	uint16_t pend_off;          /* bytes of pend[pend_head] already written */
	struct rte_mbuf *pend[PEND_MAX];
	struct hs_conn hs;
	uint8_t *buf;               /* HS_CONN_BUF_SIZE */
};

struct hsod_worker {
	struct hsod_worker_conf conf;
	struct hsod_net net;
	struct tcp_tbl *tcp;
	struct hs_worker *tls;
	struct rte_ring *ev, *cmd;
	unsigned n_conns;
	struct dp_conn *conns;
	uint8_t *bufs;
	uint32_t *free_slots;
	unsigned n_free;
	uint16_t *gen;
	struct dp_conn **dirty;
	unsigned n_dirty;
	struct rte_mbuf *tx[BURST];
	uint16_t n_tx;
	bool arp_asked;             /* one ARP request per iteration at most */
	bool draining, closing_all;
	uint64_t next_sweep_us;     /* next handshake-deadline sweep */
	uint64_t now_us;            /* this iteration's time */
	const struct hs_config *retired[RETIRED_MAX];
	unsigned n_retired;
	uint64_t drain_deadline, flush_deadline;
	struct hsod_worker_stats stats;
};

static struct dp_conn *
conn_of(struct hsod_worker *w, uint32_t id)
{
	uint32_t slot = id & SLOT_MASK;

	if (slot >= w->n_conns || w->conns[slot].id != id || id == 0)
		return NULL;
	return &w->conns[slot];
}

static void
mark_dirty(struct hsod_worker *w, struct dp_conn *c)
{
	if (!c->dirty) {
		c->dirty = true;
		w->dirty[w->n_dirty++] = c;
	}
}

static void
tx_flush(struct hsod_worker *w)
{
	uint16_t sent;

	if (w->n_tx == 0)
		return;
	sent = rte_eth_tx_burst(w->conf.port, w->conf.queue, w->tx, w->n_tx);
	w->stats.tx_packets += sent;
	if (sent < w->n_tx) {
		w->stats.tx_dropped += w->n_tx - sent;
		rte_pktmbuf_free_bulk(w->tx + sent, w->n_tx - sent);
	}
	w->n_tx = 0;
}

static void
tx_one(struct hsod_worker *w, struct rte_mbuf *m)
{
	w->tx[w->n_tx++] = m;
	if (w->n_tx == BURST)
		tx_flush(w);
}

/* Post an event to the application; false when its ring or the pool is full. */
static bool
post(struct hsod_worker *w, uint32_t id, uint16_t type, const void *data, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->conf.mp);
	struct hsod_msg *h;

	if (m == NULL)
		return false;
	h = (struct hsod_msg *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*h) + len));
	if (h == NULL || rte_ring_sp_enqueue(w->ev, m) != 0) {
		rte_pktmbuf_free(m);
		return false;
	}
	h->conn = id;
	h->type = type;
	h->len = len;
	if (len > 0)
		memcpy(h + 1, data, len);
	w->stats.app_events++;
	return true;
}

struct hsod_worker *
hsod_worker_create(const struct hsod_worker_conf *conf)
{
	const struct hsod_config *cfg = conf->cfg;
	struct hsod_worker *w = calloc(1, sizeof(*w));
	struct tcp_config tc;
	char name[RTE_RING_NAMESIZE];

	if (w == NULL)
		return NULL;
	w->conf = *conf;
	if (hsod_net_init(&w->net, cfg->addr, cfg->prefix_len, cfg->gateway, &conf->mac) != 0) {
		free(w);
		errno = EINVAL;
		return NULL;
	}
	tcp_config_init(&tc);
	tc.max_conns = cfg->max_conns;
	tc.max_half_open = cfg->max_half_open;
	tc.handshake_timeout_us = (uint64_t)cfg->handshake_timeout_ms * 1000;
	tc.idle_timeout_us = (uint64_t)cfg->idle_timeout_ms * 1000;
	w->tcp = tcp_tbl_create(&tc);
	w->tls = hs_worker_create(conf->hs, cfg->max_conns);
	/* TLS slots: one per TCP connection slot, buffers touched only when used. */
	w->n_conns = cfg->max_conns;
	w->conns = calloc(w->n_conns, sizeof(*w->conns));
	w->bufs = calloc(w->n_conns, HS_CONN_BUF_SIZE);
	w->free_slots = calloc(w->n_conns, sizeof(*w->free_slots));
	w->gen = calloc(w->n_conns, sizeof(*w->gen));
	w->dirty = calloc(w->n_conns, sizeof(*w->dirty));
	snprintf(name, sizeof(name), "hso_ev_%u", conf->index);
	w->ev = rte_ring_create(name, HSOD_RING_SIZE, rte_socket_id(),
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "hso_cmd_%u", conf->index);
	w->cmd = rte_ring_create(name, HSOD_RING_SIZE, rte_socket_id(),
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->tcp == NULL || w->tls == NULL || w->conns == NULL || w->bufs == NULL ||
	    w->free_slots == NULL || w->gen == NULL || w->dirty == NULL || w->ev == NULL ||
	    w->cmd == NULL) {
		int e = errno ? errno : ENOMEM;

		hsod_worker_free(w);
		errno = e;
		return NULL;
	}
	for (unsigned i = 0; i < cfg->n_listen; i++)
		tcp_tbl_listen(w->tcp, cfg->listen[i]);
	for (unsigned i = 0; i < w->n_conns; i++) {
		w->free_slots[w->n_free++] = w->n_conns - 1 - i;
		w->conns[i].buf = w->bufs + (size_t)i * HS_CONN_BUF_SIZE;
	}
	return w;
}

void
hsod_worker_free(struct hsod_worker *w)
{
	if (w == NULL)
		return;
	for (unsigned i = 0; w->conns != NULL && i < w->n_conns; i++) {
		struct dp_conn *c = &w->conns[i];

		if (c->id != 0)
			hs_conn_reset(&c->hs);
		for (unsigned k = 0; k < c->pend_n; k++)
			rte_pktmbuf_free(c->pend[(c->pend_head + k) % PEND_MAX]);
	}
	hs_worker_free(w->tls);
	tcp_tbl_free(w->tcp);
	rte_ring_free(w->ev);
	rte_ring_free(w->cmd);
	free(w->conns);
	free(w->bufs);
	free(w->free_slots);
	free(w->gen);
	free(w->dirty);
	free(w);
}

/* Parse the TCP segment passed up by net and give it to the table. */
static void
tcp_in(struct hsod_worker *w, struct rte_mbuf *m, uint64_t now)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)((uint8_t *)ip + m->l3_len);
	size_t tot = rte_be_to_cpu_16(ip->total_length), thl;
	struct tcp_seg seg;

	if (tot < m->l3_len + sizeof(*t))
		goto drop;
	thl = (size_t)(t->data_off >> 4) * 4;
	if (thl < sizeof(*t) || thl > tot - m->l3_len)
		goto drop;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		goto bad_csum;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
		uint16_t got = t->cksum;

		t->cksum = 0;
		if (rte_ipv4_udptcp_cksum(ip, t) != got)
			goto bad_csum;
		t->cksum = got;
	}
	memset(&seg, 0, sizeof(seg));
	seg.tuple.laddr = rte_be_to_cpu_32(ip->dst_addr);
	seg.tuple.raddr = rte_be_to_cpu_32(ip->src_addr);
	seg.tuple.lport = rte_be_to_cpu_16(t->dst_port);
	seg.tuple.rport = rte_be_to_cpu_16(t->src_port);
	seg.seq = rte_be_to_cpu_32(t->sent_seq);
	seg.ack = rte_be_to_cpu_32(t->recv_ack);
	seg.window = rte_be_to_cpu_16(t->rx_win);
	seg.flags = t->tcp_flags & 0x3f;
	seg.opt_len = (uint8_t)(thl - sizeof(*t));
	seg.opts = (const uint8_t *)(t + 1);
	seg.payload = (const uint8_t *)t + thl;
	seg.len = (uint32_t)(tot - m->l3_len - thl);
	tcp_tbl_input(w->tcp, &seg, now);
	rte_pktmbuf_free(m);
	return;
bad_csum:
	w->stats.tcp_csum_bad++;
drop:
	rte_pktmbuf_free(m);
}

/* TCP bytes into the TLS engine, as far as its input has room. */
static void
pump_in(struct hsod_worker *w, struct dp_conn *c)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, c->tcp);

	while (tc != NULL && !hs_conn_waiting(&c->hs) &&
	       hs_conn_status(&c->hs) <= HS_STATUS_ESTABLISHED) {
		size_t room;
		uint8_t *dst = hs_conn_recv_buf(&c->hs, &room);
		int n;

		if (room == 0)
			break;
		n = tcp_conn_read(w->tcp, tc, dst, room);
		if (n <= 0)
			break;
		hs_conn_recv_ack(&c->hs, (size_t)n);
	}
}

/* TLS output into TCP's send ring, as far as it has room. */
static void
flush_out(struct hsod_worker *w, struct dp_conn *c, struct tcp_conn *tc)
{
	size_t len;
	const uint8_t *out = hs_conn_send_buf(&c->hs, &len);
	int n;

	if (len == 0 || tc == NULL)
		return;
	n = tcp_conn_write(w->tcp, tc, out, len);
	if (n > 0)
		hs_conn_send_ack(&c->hs, (size_t)n);
}

/* Application data waiting for room in the TLS output. */
static void
write_pending(struct hsod_worker *w, struct dp_conn *c, struct tcp_conn *tc)
{
	while (c->pend_n > 0 && hs_conn_status(&c->hs) == HS_STATUS_ESTABLISHED) {
		struct rte_mbuf *m = c->pend[c->pend_head];
		const struct hsod_msg *h = rte_pktmbuf_mtod(m, const struct hsod_msg *);
		int n = hs_conn_app_write(&c->hs, (const uint8_t *)(h + 1) + c->pend_off,
					  h->len - c->pend_off);

		if (n < 0)
			break;
		c->pend_off = (uint16_t)(c->pend_off + n);
		flush_out(w, c, tc);
		if (c->pend_off < h->len)
			break;          /* output full: again when TCP drains */
		rte_pktmbuf_free(m);
		c->pend_head = (uint8_t)((c->pend_head + 1) % PEND_MAX);
		c->pend_n--;
		c->pend_off = 0;
	}
}

/* Everything a connection can do now; true when it needs another look. */
static bool
conn_step(struct hsod_worker *w, struct dp_conn *c)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, c->tcp);
	enum hs_status st;

	if (tc == NULL)
		return false;
	pump_in(w, c);
	flush_out(w, c, tc);
	st = hs_conn_status(&c->hs);
	if (st == HS_STATUS_ESTABLISHED) {
		if (!c->open_sent) {
			struct hsod_open o;
			struct hs_session_info si;
			const struct tcp_tuple *tp = tcp_conn_tuple(tc);

			memset(&o, 0, sizeof(o));
			hs_conn_session_info(&c->hs, &si);
			o.raddr = tp->raddr;
			o.rport = tp->rport;
			o.lport = tp->lport;
			o.version = si.version;
			o.suite = si.suite;
			o.resumed = si.resumed;
			o.alpn_len = (uint8_t)si.alpn_len;
			memcpy(o.alpn, si.alpn, si.alpn_len);
			o.sni_len = (uint8_t)strlen(si.sni);
			memcpy(o.sni, si.sni, o.sni_len);
			if (!post(w, c->id, HSOD_EV_OPEN, &o, sizeof(o)))
				return true;    /* ring full: try again next round */
			c->open_sent = true;
			/* The handshake's last flight is in: ACK it now. */
			tcp_conn_quickack(w->tcp, tc);
		}
		/* Plaintext to the application while its ring has room. */
		for (;;) {
			struct rte_mbuf *m;
			struct hsod_msg *h;
			int n;

			/*
			 * Room first, then read: plaintext taken from the engine
			 * must always have a place to go. A full ring leaves it in
			 * the engine, whose input then fills and TCP's window closes.
			 */
			if (rte_ring_free_count(w->ev) == 0)
				return true;
			m = rte_pktmbuf_alloc(w->conf.mp);
			if (m == NULL)
				return true;
			h = (struct hsod_msg *)rte_pktmbuf_append(m, sizeof(*h));
			n = hs_conn_app_read(&c->hs, (uint8_t *)(h + 1), HSOD_MSG_MAX(m));
			if (n <= 0) {
				rte_pktmbuf_free(m);
				break;
			}
			rte_pktmbuf_append(m, (uint16_t)n);
			h->conn = c->id;
			h->type = HSOD_EV_DATA;
			h->len = (uint16_t)n;
			rte_ring_sp_enqueue(w->ev, m);
			w->stats.app_events++;
			pump_in(w, c);  /* the engine has room again */
		}
		write_pending(w, c, tc);
	}
	flush_out(w, c, tc);
	st = hs_conn_status(&c->hs);
	/* Close our side once the application or the peer is done. */
	if (!c->tcp_closing) {
		/*
		 * The peer's FIN ends its data, not ours to drop: close only once
		 * everything before it reached the engine and was processed (a
		 * client's Finished often arrives with its FIN).
		 */
		bool peer_done = c->peer_fin && tcp_conn_readable(tc) == 0 &&
				 !hs_conn_waiting(&c->hs);
		bool done = st == HS_STATUS_FAILED || st == HS_STATUS_CLOSED ||
			    (c->app_close && c->pend_n == 0) || peer_done;

		if (done) {
			size_t left;

			if (st == HS_STATUS_ESTABLISHED)
				hs_conn_close(&c->hs);  /* close_notify first */
			flush_out(w, c, tc);
			hs_conn_send_buf(&c->hs, &left);
			if (left == 0) {
				tcp_conn_close(w->tcp, tc);
				c->tcp_closing = true;
			}
		}
	}
	{
		size_t left;

		hs_conn_send_buf(&c->hs, &left);
		return left > 0 || c->pend_n > 0 || hs_conn_waiting(&c->hs);
	}
}

static void
conn_release(struct hsod_worker *w, struct dp_conn *c)
{
	uint32_t slot = c->id & SLOT_MASK;

	if (c->open_sent)
		post(w, c->id, HSOD_EV_CLOSED, NULL, 0);
	if (hs_conn_status(&c->hs) == HS_STATUS_HANDSHAKING && !c->timed_out)
		w->stats.handshakes_abandoned++;
	while (c->pend_n > 0) {
		rte_pktmbuf_free(c->pend[c->pend_head]);
		c->pend_head = (uint8_t)((c->pend_head + 1) % PEND_MAX);
		c->pend_n--;
	}
	hs_conn_reset(&c->hs);
	c->id = 0;
	c->open_sent = c->app_close = c->tcp_closing = c->peer_fin = c->timed_out = false;
	c->pend_head = 0;
	c->pend_off = 0;
	w->free_slots[w->n_free++] = slot;
}

static void
handle_events(struct hsod_worker *w)
{
	struct tcp_event ev[BURST];
	unsigned n;

	while ((n = tcp_tbl_event_burst(w->tcp, ev, BURST)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct dp_conn *c = ev[i].user;

			if (ev[i].events & TCP_EV_ACCEPT) {
				struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, ev[i].handle);
				uint32_t slot;

				if (tc == NULL)
					continue;
				if (w->n_free == 0) {
					/* Fail closed: no TLS slot, no connection. */
					w->stats.conns_refused++;
					tcp_conn_abort(w->tcp, tc);
					continue;
				}
				slot = w->free_slots[--w->n_free];
				c = &w->conns[slot];
				w->gen[slot] = (uint16_t)((w->gen[slot] + 1) & 0xfff);
				if (w->gen[slot] == 0)
					w->gen[slot] = 1;
				c->id = slot | (uint32_t)w->gen[slot] << SLOT_BITS;
				c->tcp = ev[i].handle;
				c->accepted_us = w->now_us;
				hs_conn_init(&c->hs, w->tls, c->buf, HS_CONN_BUF_SIZE);
				tcp_conn_set_user(tc, c);
			}
			if (c == NULL)
				continue;
			if (ev[i].events & TCP_EV_CLOSED) {
				if (c->id != 0)
					conn_release(w, c);
				continue;
			}
			if (ev[i].events & TCP_EV_PEER_FIN)
				c->peer_fin = true;
			/* Into the engine now: a RST later in the burst would discard it. */
			if (ev[i].events & TCP_EV_READABLE)
				pump_in(w, c);
			mark_dirty(w, c);
		}
	}
}

static void
handle_commands(struct hsod_worker *w)
{
	struct rte_mbuf *ms[BURST];
	unsigned n = rte_ring_sc_dequeue_burst(w->cmd, (void **)ms, BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		const struct hsod_msg *h = rte_pktmbuf_mtod(ms[i], const struct hsod_msg *);
		struct dp_conn *c = conn_of(w, h->conn);

		w->stats.app_commands++;
		if (c == NULL) {
			rte_pktmbuf_free(ms[i]);        /* the connection is gone */
			continue;
		}
		if (h->type == HSOD_CMD_CLOSE) {
			c->app_close = true;
			rte_pktmbuf_free(ms[i]);
		} else if (h->type == HSOD_CMD_SEND && c->pend_n < PEND_MAX) {
			c->pend[(c->pend_head + c->pend_n) % PEND_MAX] = ms[i];
			c->pend_n++;
		} else {
			/* More queued than a connection holds: fail closed, counted. */
			w->stats.app_backlog_aborts++;
			rte_pktmbuf_free(ms[i]);
			{
				struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, c->tcp);

				if (tc != NULL)
					tcp_conn_abort(w->tcp, tc);
			}
			continue;
		}
		mark_dirty(w, c);
	}
}

/* Turn the TCP table's output into packets. */
static void
emit(struct hsod_worker *w, uint64_t now)
{
	unsigned n;
	const struct tcp_seg_out *o = tcp_tbl_output(w->tcp, &n);

	for (unsigned i = 0; i < n; i++, o++) {
		struct rte_ether_addr dst;
		struct rte_mbuf *m;
		struct rte_ether_hdr *eth;
		struct rte_ipv4_hdr *ip;
		struct rte_tcp_hdr *t;
		size_t hl = sizeof(*eth) + sizeof(*ip) + sizeof(*t) + o->opt_len;
		uint8_t *p;

		if (!hsod_net_lookup(&w->net, o->tuple.raddr, now, &dst)) {
			/* Unknown neighbour: ask, and let TCP retransmit. */
			w->stats.no_arp++;
			if (!w->arp_asked) {
				struct rte_mbuf *q = hsod_net_arp_request(&w->net, w->conf.mp,
									  o->tuple.raddr);

				if (q != NULL)
					tx_one(w, q);
				w->arp_asked = true;
			}
			continue;
		}
		m = rte_pktmbuf_alloc(w->conf.mp);
		if (m == NULL || (p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + o->len))) ==
					 NULL) {
			rte_pktmbuf_free(m);
			w->stats.tx_dropped++;
			continue;
		}
		eth = (struct rte_ether_hdr *)p;
		rte_ether_addr_copy(&dst, &eth->dst_addr);
		rte_ether_addr_copy(&w->conf.mac, &eth->src_addr);
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
		ip->hdr_checksum = rte_ipv4_cksum(ip);
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
		memcpy(p, o->data[0], o->data_len[0]);
		memcpy(p + o->data_len[0], o->data[1], o->data_len[1]);
		t->cksum = 0;
		t->cksum = rte_ipv4_udptcp_cksum(ip, t);
		tx_one(w, m);
	}
	tcp_tbl_output_clear(w->tcp);
}

void
hsod_worker_poll(struct hsod_worker *w, uint64_t now)
{
	uint64_t t0 = rte_rdtsc();
	struct rte_mbuf *rx[BURST];
	uint16_t n = rte_eth_rx_burst(w->conf.port, w->conf.queue, rx, BURST);
	unsigned keep = 0;
	bool busy = n > 0 || w->n_dirty > 0 || rte_ring_count(w->cmd) > 0;

	w->arp_asked = false;
	w->now_us = now;
	w->stats.rx_packets += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = rx[i];

		switch (hsod_net_input(&w->net, m, now)) {
		case HSOD_NET_REPLY:
			tx_one(w, m);
			break;
		case HSOD_NET_TCP:
			tcp_in(w, m, now);
			/*
			 * Events right away: a segment's payload must reach the
			 * engine before a RST later in the same burst aborts the
			 * connection and discards it (a client's Finished, then
			 * its RST, often come together).
			 */
			handle_events(w);
			break;
		default:
			rte_pktmbuf_free(m);
			break;
		}
	}
	handle_events(w);
	handle_commands(w);
	/* Feed every touched connection, then run the crypto batch once. */
	for (unsigned i = 0; i < w->n_dirty; i++)
		if (w->dirty[i]->id != 0)
			pump_in(w, w->dirty[i]);
	hs_worker_run(w->tls);
	for (unsigned i = 0; i < w->n_dirty; i++) {
		struct dp_conn *c = w->dirty[i];

		c->dirty = false;
		if (c->id != 0 && conn_step(w, c)) {
			c->dirty = true;
			w->dirty[keep++] = c;
		}
	}
	w->n_dirty = keep;
	/*
	 * TLS handshake deadline: a client that stalls mid-handshake (half a
	 * ClientHello, then nothing) must not hold a slot until the idle
	 * timeout. Swept every 100 ms; late connections are reset, counted.
	 */
	if (now >= w->next_sweep_us) {
		uint64_t limit = (uint64_t)w->conf.cfg->handshake_timeout_ms * 1000;

		w->next_sweep_us = now + 100000;
		for (unsigned i = 0; limit > 0 && i < w->n_conns; i++) {
			struct dp_conn *c = &w->conns[i];
			struct tcp_conn *tc;

			if (c->id == 0 || hs_conn_status(&c->hs) != HS_STATUS_HANDSHAKING ||
			    now - c->accepted_us < limit)
				continue;
			tc = tcp_tbl_conn_get(w->tcp, c->tcp);
			if (tc != NULL) {
				w->stats.handshakes_timed_out++;
				c->timed_out = true;
				tcp_conn_abort(w->tcp, tc);
			}
		}
	}
	tcp_tbl_tick(w->tcp, now);
	handle_events(w);       /* closes from timers and aborts */
	emit(w, now);
	tx_flush(w);
	/* Idle: pre-generate ECDHE keys off the critical path. */
	if (!busy)
		hs_worker_pool_refill(w->tls, 1);
	if (busy)
		w->stats.busy_cycles += rte_rdtsc() - t0;
	else
		w->stats.idle_cycles += rte_rdtsc() - t0;
}

int
hsod_worker_use_tls(struct hsod_worker *w, const struct hs_config *hs)
{
	if (w->n_retired == RETIRED_MAX)
		return -ENOSPC;
	w->retired[w->n_retired++] = w->tls->cfg;
	hs_worker_set_config(w->tls, hs);
	return 0;
}

const struct hs_config *
hsod_worker_released(struct hsod_worker *w)
{
	for (unsigned r = 0; r < w->n_retired; r++) {
		const struct hs_config *old = w->retired[r];
		bool used = false;

		for (unsigned i = 0; i < w->n_conns && !used; i++)
			used = w->conns[i].id != 0 && hs_conn_config(&w->conns[i].hs) == old;
		if (!used) {
			w->retired[r] = w->retired[--w->n_retired];
			return old;
		}
	}
	return NULL;
}

void
hsod_worker_drain(struct hsod_worker *w, uint64_t now, uint64_t grace_us)
{
	for (unsigned i = 0; i < w->conf.cfg->n_listen; i++)
		tcp_tbl_unlisten(w->tcp, w->conf.cfg->listen[i]);
	w->draining = true;
	w->drain_deadline = now + grace_us;
}

bool
hsod_worker_drained(struct hsod_worker *w, uint64_t now)
{
	if (!w->draining)
		return false;
	if (!w->closing_all) {
		unsigned handshaking = tcp_tbl_stats(w->tcp)->conns[TCP_SYN_RCVD];

		for (unsigned i = 0; i < w->n_conns; i++)
			if (w->conns[i].id != 0 &&
			    hs_conn_status(&w->conns[i].hs) == HS_STATUS_HANDSHAKING)
				handshaking++;
		if (handshaking > 0 && now < w->drain_deadline)
			return false;
		/* Every connection: close_notify, then FIN (conn_step does both). */
		for (unsigned i = 0; i < w->n_conns; i++) {
			if (w->conns[i].id != 0) {
				w->conns[i].app_close = true;
				mark_dirty(w, &w->conns[i]);
			}
		}
		w->closing_all = true;
		w->flush_deadline = now + HSOD_DRAIN_FLUSH_US;
		return false;
	}
	return now >= w->flush_deadline || w->n_free == w->n_conns;
}

void
hsod_worker_announce(struct hsod_worker *w)
{
	struct rte_mbuf *g = hsod_net_garp(&w->net, w->conf.mp);

	if (g != NULL) {
		tx_one(w, g);
		tx_flush(w);
	}
}

struct rte_ring *hsod_worker_ev_ring(const struct hsod_worker *w) { return w->ev; }
struct rte_ring *hsod_worker_cmd_ring(const struct hsod_worker *w) { return w->cmd; }
unsigned hsod_worker_conn_slots(const struct hsod_worker *w) { return w->n_conns; }
unsigned hsod_worker_lcore(const struct hsod_worker *w) { return w->conf.lcore; }
const struct hsod_worker_stats *hsod_worker_stats(const struct hsod_worker *w) { return &w->stats; }
const struct hsod_net_stats *hsod_worker_net_stats(const struct hsod_worker *w) { return &w->net.stats; }
const struct tcp_stats *hsod_worker_tcp_stats(const struct hsod_worker *w) { return tcp_tbl_stats(w->tcp); }
const struct hs_worker_stats *hsod_worker_tls_stats(const struct hsod_worker *w) { return &w->tls->stats; }
