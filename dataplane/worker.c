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

#include "app_shm.h"
#include "worker.h"

#define BURST 32
#define SLOT_BITS HSO_SHM_SLOT_BITS
#define SLOT_MASK HSO_SHM_SLOT_MASK
/* TLS configs (reloads) a worker keeps for connections that began with them. */
#define RETIRED_MAX 8
/* Application sends a connection may have waiting for output room: the
 * library keeps an application within HSO_APP_SEND_WINDOW. */
#define PEND_MAX HSO_APP_SEND_WINDOW

struct dp_conn {
	uint32_t id;                /* slot | generation << 20; 0 when free */
	uint64_t tcp;               /* TCP handle */
	uint64_t accepted_us;       /* when TCP handed it over: the TLS deadline runs */
	bool open_sent;             /* HSO_EV_OPEN delivered */
	bool dirty;                 /* on the worker's dirty list */
	bool stalled;               /* on the stalled list: waiting for the app */
	bool app_close;             /* the application asked to close */
	bool app_shut;              /* ... to shut down writing */
	bool shut_done;             /* close_notify and FIN sent for app_shut */
	bool app_gone;              /* no application (any more): nothing to post */
	bool peer_closed_sent;      /* HSO_EV_PEER_CLOSED delivered */
	bool tcp_closing;           /* our FIN is queued */
	bool peer_fin;
	bool timed_out;             /* reset by the handshake deadline */
	bool aborted;               /* given up by hsod (limits, drain, app gone) */
	int8_t app;                 /* application slot; -1 until the session opens */
	uint8_t pend_head, pend_n;
	uint16_t pend_off;          /* bytes of pend[pend_head] already written */
	uint32_t rx_delivered;      /* DATA bytes posted to the application */
	uint32_t tx_done;           /* SEND mbufs written into TLS */
	struct rte_mbuf *pend[PEND_MAX];
	struct hs_conn hs;
	uint8_t *buf;               /* HS_CONN_BUF_SIZE */
};

/* One port: layers 2-3 and the TX buffer of this worker's queue on it. */
struct wport {
	uint16_t id;                /* DPDK port id */
	uint16_t n_tx;
	bool csum_off;              /* the port sums IPv4 and TCP on TX */
	struct hsod_worker *w;      /* for net's transmit hook */
	struct rte_mbuf *tx[BURST];
	struct hsod_net net;
};

struct hsod_worker {
	struct hsod_worker_conf conf;
	struct wport ports[HSOD_MAX_PORTS];
	unsigned n_ports;
	/* Packets waiting for ARP, all ports: [net] neigh_queue_total. */
	struct hsod_neigh_pool *neigh_pool;
	struct tcp_tbl *tcp;
	struct hs_worker *tls;
	struct hso_shm *shm;
	struct {
		struct rte_ring *ev, *cmd;
		bool active;            /* this worker serves it */
		bool keys;              /* it asked for key export */
		uint64_t sessions;      /* handed to it, ever */
		uint32_t open;          /* of those, connections still here */
		uint32_t owner;         /* its mbuf tag (hso_shm_owner_tag()) */
		unsigned n_stage;       /* events waiting for one burst enqueue */
		struct rte_mbuf *stage[BURST];
	} apps[HSO_APP_MAX];
	unsigned n_active, next_app;
	uint32_t budget;            /* DATA bytes a connection may have unreleased */
	struct { struct dp_conn *c; uint32_t id; } *stalled;
	unsigned n_stalled;
	struct late_closed { uint8_t app; uint16_t reason; uint32_t id; } *late;
	unsigned late_head, n_late;
	uint8_t scratch[16384];  /* plaintext nobody takes */
	unsigned n_conns;
	struct dp_conn *conns;
	uint8_t *bufs;
	uint32_t *free_slots;
	unsigned n_free;
	uint16_t *gen;
	struct dp_conn **dirty;
	unsigned n_dirty;
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
tx_flush(struct hsod_worker *w, struct wport *p)
{
	uint16_t sent;

	if (p->n_tx == 0)
		return;
	sent = rte_eth_tx_burst(p->id, w->conf.queue, p->tx, p->n_tx);
	w->stats.tx_packets += sent;
	w->stats.port_tx_packets[p - w->ports] += sent;
	if (sent < p->n_tx) {
		w->stats.tx_dropped += p->n_tx - sent;
		rte_pktmbuf_free_bulk(p->tx + sent, p->n_tx - sent);
	}
	p->n_tx = 0;
}

static void
tx_one(struct hsod_worker *w, struct wport *p, struct rte_mbuf *m)
{
	p->tx[p->n_tx++] = m;
	if (p->n_tx == BURST)
		tx_flush(w, p);
}

/* net's transmit hook: ARP requests, frames ARP released, addressed segments. */
static void
port_tx(void *ctx, struct rte_mbuf *m)
{
	struct wport *p = ctx;

	tx_one(p->w, p, m);
}

/*
 * The port a segment from local address @p laddr leaves by: the one with
 * that address (subnets do not overlap: one at most). NULL for none.
 */
static struct wport *
port_of(struct hsod_worker *w, uint32_t laddr)
{
	for (unsigned i = 0; i < w->n_ports; i++)
		if (w->ports[i].net.addr == laddr)
			return &w->ports[i];
	return NULL;
}

/*
 * A message mbuf for connection @p c's application with @p len payload
 * bytes after the header (filled by the caller), or NULL when the ring or
 * the pool has no room.
 */
static struct rte_mbuf *
msg_new(struct hsod_worker *w, struct dp_conn *c, uint16_t type, uint32_t len,
	struct hso_shm_msg **hp)
{
	struct rte_mbuf *m;
	struct hso_shm_msg *h;

	/* Room in the ring for what is staged and this one. */
	if (rte_ring_free_count(w->apps[c->app].ev) <= w->apps[c->app].n_stage)
		return NULL;
	m = rte_pktmbuf_alloc(w->conf.mp);
	if (m == NULL)
		return NULL;
	h = (struct hso_shm_msg *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*h) + len));
	if (h == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(h, 0, sizeof(*h));
	h->conn = c->id;
	h->type = type;
	h->len = len;
	*hso_shm_owner(m, w->shm->owner_off) = w->apps[c->app].owner;
	*hp = h;
	return m;
}

/* Events go to the ring in bursts: at BURST, and at the end of each poll. */
static void
stage_flush(struct hsod_worker *w, unsigned a)
{
	unsigned n = w->apps[a].n_stage;

	if (n == 0)
		return;
	/* Room was checked by msg_new(); the ring has one producer: us. */
	rte_ring_sp_enqueue_burst(w->apps[a].ev, (void **)w->apps[a].stage, n, NULL);
	w->apps[a].n_stage = 0;
	w->stats.app_events += n;
	w->stats.app_event_bursts++;
}

static void
stage_push(struct hsod_worker *w, unsigned a, struct rte_mbuf *m)
{
	w->apps[a].stage[w->apps[a].n_stage++] = m;
	if (w->apps[a].n_stage == BURST)
		stage_flush(w, a);
}

static void
msg_post(struct hsod_worker *w, struct dp_conn *c, struct rte_mbuf *m)
{
	stage_push(w, (unsigned)c->app, m);
}

/* An event without payload; false when there is no room (try again). */
static bool
post_ctl(struct hsod_worker *w, struct dp_conn *c, uint16_t type, uint16_t reason)
{
	struct hso_shm_msg *h;
	struct rte_mbuf *m;

	if (c->app < 0 || c->app_gone)
		return true;    /* nobody to tell */
	m = msg_new(w, c, type, 0, &h);
	if (m == NULL)
		return false;
	h->reason = reason;
	msg_post(w, c, m);
	return true;
}

/* Free a ring message: out of any application's custody (app_shm.h). */
static void
msg_free(struct hsod_worker *w, struct rte_mbuf *m)
{
	*hso_shm_owner(m, w->shm->owner_off) = 0;
	rte_pktmbuf_free(m);
}

/* ... wiping what it carried (plaintext, keys). */
static void
msg_wipe_free(struct hsod_worker *w, struct rte_mbuf *m)
{
	OPENSSL_cleanse(rte_pktmbuf_mtod(m, void *), rte_pktmbuf_data_len(m));
	msg_free(w, m);
}

/* Neighbour tables (and the frames they hold), then their pool. */
static void
ports_release(struct hsod_worker *w)
{
	for (unsigned i = 0; i < w->n_ports; i++)
		hsod_net_fini(&w->ports[i].net);
	hsod_neigh_pool_free(w->neigh_pool);
	w->neigh_pool = NULL;
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
	if (conf->n_ports == 0 || conf->n_ports > cfg->n_ports) {
		free(w);
		errno = EINVAL;
		return NULL;
	}
	w->n_ports = conf->n_ports;
	w->neigh_pool = hsod_neigh_pool_create(cfg->neigh_queue_total);
	if (w->neigh_pool == NULL) {
		free(w);
		return NULL;
	}
	for (unsigned i = 0; i < w->n_ports; i++) {
		const uint64_t csum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		const struct hsod_port_conf *pc = &cfg->ports[i];
		struct wport *p = &w->ports[i];
		struct hsod_net_conf nc;
		char nb[32];
		int r;

		p->id = conf->ports[i].id;
		p->csum_off = (conf->ports[i].tx_offloads & csum) == csum;
		p->w = w;
		hsod_net_conf_init(&nc);
		nc.addr = pc->addr;
		nc.prefix_len = pc->prefix_len;
		nc.gateway = pc->gateway;
		rte_ether_addr_copy(&conf->ports[i].mac, &nc.mac);
		nc.mp = conf->mp;
		nc.tx = port_tx;
		nc.tx_ctx = p;
		snprintf(nb, sizeof(nb), "hsod_neigh_%u_%u", conf->index, i);
		nc.name = nb;
		nc.socket_id = (int)rte_lcore_to_socket_id(conf->lcore);
		nc.neigh.entries = cfg->neigh_entries;
		nc.neigh.queue = cfg->neigh_queue;
		nc.neigh.reachable_ms = cfg->neigh_reachable_ms;
		nc.neigh.stale_ms = cfg->neigh_stale_ms;
		nc.pool = w->neigh_pool;
		r = hsod_net_init(&p->net, &nc);
		if (r != 0) {
			ports_release(w);
			free(w);
			errno = -r;
			return NULL;
		}
	}
	w->shm = conf->shm;
	w->budget = cfg->app_conn_budget;
	for (unsigned a = 0; a < HSO_APP_MAX; a++) {
		snprintf(name, sizeof(name), HSO_SHM_EV_FMT, a, conf->index);
		w->apps[a].ev = rte_ring_lookup(name);
		snprintf(name, sizeof(name), HSO_SHM_CMD_FMT, a, conf->index);
		w->apps[a].cmd = rte_ring_lookup(name);
		if (w->apps[a].ev == NULL || w->apps[a].cmd == NULL) {
			ports_release(w);
			free(w);
			errno = ENOENT;
			return NULL;
		}
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
	/* Stale entries (released connections) wait for the next scan: 2x. */
	w->stalled = calloc(2 * (size_t)w->n_conns, sizeof(*w->stalled));
	w->late = calloc(w->n_conns, sizeof(*w->late));
	if (w->tcp == NULL || w->tls == NULL || w->conns == NULL || w->bufs == NULL ||
	    w->free_slots == NULL || w->gen == NULL || w->dirty == NULL || w->stalled == NULL ||
	    w->late == NULL) {
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
			msg_wipe_free(w, c->pend[(c->pend_head + k) % PEND_MAX]);
	}
	hs_worker_free(w->tls);
	tcp_tbl_free(w->tcp);
	ports_release(w);
	free(w->conns);
	free(w->stalled);
	free(w->late);
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
	/*
	 * TLS is done (fatal alert or close_notify): what still comes is
	 * discarded (RFC 8446 6.1: "MUST be ignored"), so a peer still sending
	 * gets its bytes acknowledged and reads our alert and FIN, instead of
	 * stalling on a closed window until the deadline resets it.
	 */
	while (tc != NULL && hs_conn_status(&c->hs) > HS_STATUS_ESTABLISHED &&
	       tcp_conn_read(w->tcp, tc, w->scratch, sizeof(w->scratch)) > 0)
		;
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

/* One SEND mbuf is done: tell the application's send window. */
static void
tx_done(struct hsod_worker *w, struct dp_conn *c)
{
	c->tx_done++;
	__atomic_store_n(&hso_shm_conn(w->shm, w->conf.index, c->id)->tx_done,
			 hso_shm_tag(c->id, c->tx_done), __ATOMIC_RELEASE);
}

static void
pend_drop_all(struct hsod_worker *w, struct dp_conn *c)
{
	while (c->pend_n > 0) {
		msg_wipe_free(w, c->pend[c->pend_head]);
		c->pend_head = (uint8_t)((c->pend_head + 1) % PEND_MAX);
		c->pend_n--;
		if (c->id != 0)
			tx_done(w, c);
	}
	c->pend_off = 0;
}

/* Application data waiting for room in the TLS output. */
static void
write_pending(struct hsod_worker *w, struct dp_conn *c, struct tcp_conn *tc)
{
	while (c->pend_n > 0 && hs_conn_status(&c->hs) == HS_STATUS_ESTABLISHED) {
		struct rte_mbuf *m = c->pend[c->pend_head];
		const struct hso_shm_msg *h = rte_pktmbuf_mtod(m, const struct hso_shm_msg *);
		int n = hs_conn_app_write(&c->hs, (const uint8_t *)(h + 1) + c->pend_off,
					  h->len - c->pend_off);

		if (n == -EPIPE) {
			/* Written after the application shut the write side down. */
			pend_drop_all(w, c);
			return;
		}
		if (n < 0)
			break;
		c->pend_off = (uint16_t)(c->pend_off + n);
		flush_out(w, c, tc);
		if (c->pend_off < h->len)
			break;          /* output full: again when TCP drains */
		msg_wipe_free(w, m);
		c->pend_head = (uint8_t)((c->pend_head + 1) % PEND_MAX);
		c->pend_n--;
		c->pend_off = 0;
		tx_done(w, c);
	}
}

static uint8_t
aead_id(enum hso_aead_alg alg)
{
	switch (alg) {
	case HSO_AEAD_AES128_GCM: return 1;
	case HSO_AEAD_AES256_GCM: return 2;
	case HSO_AEAD_CHACHA20_POLY1305: return 3;
	default: return 0;
	}
}

/* Pick an application for a new session (round robin); false when none. */
static bool
pick_app(struct hsod_worker *w, struct dp_conn *c)
{
	for (unsigned k = 0; k < HSO_APP_MAX; k++) {
		unsigned a = (w->next_app + k) % HSO_APP_MAX;

		if (w->apps[a].active) {
			c->app = (int8_t)a;
			w->next_app = (a + 1) % HSO_APP_MAX;
			return true;
		}
	}
	return false;
}

/* HSO_EV_OPEN for @p c; false when there is no room yet. */
static bool
post_open(struct hsod_worker *w, struct dp_conn *c, struct tcp_conn *tc)
{
	const struct tcp_tuple *tp = tcp_conn_tuple(tc);
	struct hs_session_info si;
	struct hso_shm_msg *h;
	struct hso_session *o;
	struct rte_mbuf *m = msg_new(w, c, HSO_EV_OPEN, sizeof(*o), &h);
	size_t sl;

	if (m == NULL)
		return false;
	o = (struct hso_session *)(h + 1);
	memset(o, 0, sizeof(*o));
	hs_conn_session_info(&c->hs, &si);
	o->client_addr = tp->raddr;
	o->server_addr = tp->laddr;
	o->client_port = tp->rport;
	o->server_port = tp->lport;
	o->version = si.version;
	o->suite = si.suite;
	o->resumed = si.resumed;
	sl = strnlen(si.sni, sizeof(o->sni) - 1);
	memcpy(o->sni, si.sni, sl);
	o->sni_len = (uint8_t)sl;
	sl = si.alpn_len < sizeof(o->alpn) - 1 ? si.alpn_len : sizeof(o->alpn) - 1;
	memcpy(o->alpn, si.alpn, sl);
	o->alpn_len = (uint8_t)sl;
	if (w->apps[c->app].keys) {
		struct hs_traffic_keys k;

		if (hs_conn_export_keys(&c->hs, &k) == 0) {
			o->has_keys = 1;
			o->keys.key_len = k.key_len;
			o->keys.iv_len = k.iv_len;
			o->keys.secret_len = k.secret_len;
			o->keys.aead = aead_id(k.alg);
			memcpy(o->keys.client_secret, k.c_secret, sizeof(o->keys.client_secret));
			memcpy(o->keys.server_secret, k.s_secret, sizeof(o->keys.server_secret));
			memcpy(o->keys.client_key, k.c_key, sizeof(o->keys.client_key));
			memcpy(o->keys.server_key, k.s_key, sizeof(o->keys.server_key));
			memcpy(o->keys.client_iv, k.c_iv, sizeof(o->keys.client_iv));
			memcpy(o->keys.server_iv, k.s_iv, sizeof(o->keys.server_iv));
			memcpy(o->keys.client_random, k.client_random, sizeof(o->keys.client_random));
			o->keys.client_seq = k.c_seq;
			o->keys.server_seq = k.s_seq;
			OPENSSL_cleanse(&k, sizeof(k));
		}
	}
	msg_post(w, c, m);
	w->apps[c->app].sessions++;
	w->apps[c->app].open++;
	return true;
}

/* DATA bytes posted and not yet released by the application. */
static uint32_t
rx_unreleased(struct hsod_worker *w, const struct dp_conn *c)
{
	uint64_t word = __atomic_load_n(&hso_shm_conn(w->shm, w->conf.index, c->id)->rx_done,
					__ATOMIC_ACQUIRE);

	return c->rx_delivered - hso_shm_count(word, c->id);
}

enum step { STEP_DONE, STEP_AGAIN, STEP_STALLED };

/*
 * Plaintext from the engine to the application while its ring, the pool
 * and the connection's budget have room. Room first, then read: plaintext
 * taken from the engine must always have a place to go. Without room it
 * stays in the engine, whose input then fills and TCP's window closes.
 * @return STEP_DONE when the engine has nothing more now.
 */
static enum step
deliver(struct hsod_worker *w, struct dp_conn *c)
{
	for (;;) {
		struct hso_shm_msg *h;
		struct rte_mbuf *m;
		uint32_t left, cap;
		int n;

		if (c->app_gone) {
			/* Nobody takes it: read and drop, so the stream ends. */
			n = hs_conn_app_read(&c->hs, w->scratch, sizeof(w->scratch));
			if (n <= 0)
				return STEP_DONE;
			w->stats.app_bytes_dropped += (uint64_t)n;
			pump_in(w, c);
			continue;
		}
		left = rx_unreleased(w, c);
		if (left >= w->budget) {
			if (hs_conn_app_pending(&c->hs) == 0)
				return STEP_DONE;
			w->stats.app_budget_stalls++;
			return STEP_STALLED;
		}
		if (hs_conn_app_pending(&c->hs) == 0)
			return STEP_DONE;
		m = msg_new(w, c, HSO_EV_DATA, 0, &h);
		if (m == NULL) {
			w->stats.app_ring_stalls++;
			return STEP_STALLED;
		}
		cap = HSO_SHM_PAYLOAD(m);
		if (cap > w->budget - left)
			cap = w->budget - left;     /* >= 1: left < budget */
		n = hs_conn_app_read(&c->hs, (uint8_t *)(h + 1), cap);
		if (n <= 0) {
			msg_free(w, m);
			return STEP_DONE;
		}
		rte_pktmbuf_append(m, (uint16_t)n);
		h->len = (uint32_t)n;
		c->rx_delivered += (uint32_t)n + HSO_APP_EVENT_COST;
		msg_post(w, c, m);
		pump_in(w, c);  /* the engine has room again */
	}
}

/* Everything a connection can do now. */
static enum step
conn_step(struct hsod_worker *w, struct dp_conn *c)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, c->tcp);
	enum step ds = STEP_DONE;
	enum hs_status st;

	if (tc == NULL)
		return STEP_DONE;
	pump_in(w, c);
	flush_out(w, c, tc);
	st = hs_conn_status(&c->hs);
	if (st == HS_STATUS_ESTABLISHED && !c->open_sent) {
		if (c->app < 0 && !c->app_gone && !pick_app(w, c)) {
			/* Nobody to hand it to: close it cleanly, counted. */
			w->stats.conns_no_app++;
			c->app_gone = true;
			c->app_close = true;
			c->aborted = true;
		}
		if (!c->app_gone && !post_open(w, c, tc))
			return STEP_STALLED;    /* ring or pool full */
		c->open_sent = true;
		/* The handshake's last flight is in: ACK it now. */
		tcp_conn_quickack(w->tcp, tc);
	}
	if (c->open_sent && (st == HS_STATUS_ESTABLISHED || st == HS_STATUS_CLOSED)) {
		ds = deliver(w, c);
		write_pending(w, c, tc);
	}
	flush_out(w, c, tc);
	st = hs_conn_status(&c->hs);
	/*
	 * The client has ended its data: its close_notify came (TLS 1.3: the
	 * engine keeps our side open; TLS 1.2: it answered and is CLOSED), or
	 * its FIN after everything before it reached the engine and the
	 * application (a client's Finished often arrives with its FIN).
	 */
	if (!c->peer_closed_sent && c->open_sent && ds == STEP_DONE &&
	    (hs_conn_peer_closed(&c->hs) || (st == HS_STATUS_CLOSED && !c->app_close) ||
	     (c->peer_fin && tcp_conn_readable(tc) == 0 && !hs_conn_waiting(&c->hs)))) {
		if (!post_ctl(w, c, HSO_EV_PEER_CLOSED, 0))
			return STEP_STALLED;
		c->peer_closed_sent = true;
	}
	/* Shut down writing once what the application queued is out. */
	if (c->app_shut && !c->shut_done && c->pend_n == 0 && !c->tcp_closing &&
	    st == HS_STATUS_ESTABLISHED) {
		size_t left;

		hs_conn_shutdown(&c->hs);
		flush_out(w, c, tc);
		hs_conn_send_buf(&c->hs, &left);
		if (left == 0) {
			tcp_conn_close(w->tcp, tc);     /* FIN; we keep reading */
			c->shut_done = true;
		}
	}
	/* Close our side once the application, the peer or TLS is done. */
	if (!c->tcp_closing && !c->shut_done) {
		bool peer_done = (c->peer_fin && tcp_conn_readable(tc) == 0 &&
				  !hs_conn_waiting(&c->hs)) || hs_conn_peer_closed(&c->hs);
		/*
		 * A peer's FIN before any session: nobody else will close it.
		 * After the session opened the application decides (it got
		 * HSO_EV_PEER_CLOSED), unless there is no application.
		 */
		bool done = st == HS_STATUS_FAILED || st == HS_STATUS_CLOSED ||
			    (c->app_close && c->pend_n == 0) ||
			    (peer_done && (!c->open_sent || c->app_gone));

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
	} else if (c->shut_done && !c->tcp_closing &&
		   (st != HS_STATUS_ESTABLISHED || c->app_close)) {
		/* Both directions done after a shutdown. */
		c->tcp_closing = true;
	}
	if (ds == STEP_STALLED)
		return STEP_STALLED;
	{
		size_t left;

		hs_conn_send_buf(&c->hs, &left);
		return left > 0 || c->pend_n > 0 || hs_conn_waiting(&c->hs) ? STEP_AGAIN
									      : STEP_DONE;
	}
}

static void
conn_release(struct hsod_worker *w, struct dp_conn *c, bool reset)
{
	uint32_t slot = c->id & SLOT_MASK;

	if (c->open_sent && c->app >= 0 && !c->app_gone)
		w->apps[c->app].open--;
	if (c->open_sent) {
		uint16_t why;

		if (c->aborted)
			why = HSO_CLOSE_ABORTED;
		else if (hs_conn_status(&c->hs) == HS_STATUS_FAILED)
			why = HSO_CLOSE_TLS_ERROR;
		else if (c->timed_out)
			why = HSO_CLOSE_TIMEOUT;
		else if (reset)
			why = HSO_CLOSE_RESET;
		else
			why = HSO_CLOSE_DONE;
		/*
		 * The last event of a connection must not be lost, or the
		 * application would wait for it forever: with its ring full it
		 * waits on the worker's late list (bounded: counted if full).
		 */
		if (c->app >= 0 && !c->app_gone && !post_ctl(w, c, HSO_EV_CLOSED, why)) {
			if (w->n_late < w->n_conns) {
				struct late_closed *l =
					&w->late[(w->late_head + w->n_late) % w->n_conns];

				l->app = (uint8_t)c->app;
				l->reason = why;
				l->id = c->id;
				w->n_late++;
				w->stats.app_closed_late++;
			} else {
				w->stats.app_closed_lost++;
			}
		}
	}
	if (hs_conn_status(&c->hs) == HS_STATUS_HANDSHAKING && !c->timed_out)
		w->stats.handshakes_abandoned++;
	pend_drop_all(w, c);
	hs_conn_reset(&c->hs);
	c->id = 0;
	c->open_sent = c->app_close = c->tcp_closing = c->peer_fin = c->timed_out = false;
	c->app_shut = c->shut_done = c->app_gone = c->peer_closed_sent = c->aborted = false;
	c->stalled = false;
	c->app = -1;
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
				struct hso_shm_conn *sc;
				uint32_t slot;

				if (tc == NULL)
					continue;
				if (w->n_free == 0) {
					/* Fail closed: no TLS slot, no connection. */
					w->stats.conns_refused++;
					tcp_conn_abort(w->tcp, tc);
					continue;
				}
				if (w->n_active == 0) {
					/* No application attached: refuse it now, cheaply. */
					w->stats.conns_no_app++;
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
				c->app = -1;
				c->rx_delivered = 0;
				c->tx_done = 0;
				/* Flow-control words now carry this connection's tag. */
				sc = hso_shm_conn(w->shm, w->conf.index, c->id);
				__atomic_store_n(&sc->rx_done, hso_shm_tag(c->id, 0), __ATOMIC_RELEASE);
				__atomic_store_n(&sc->tx_done, hso_shm_tag(c->id, 0), __ATOMIC_RELEASE);
				hs_conn_init(&c->hs, w->tls, c->buf, HS_CONN_BUF_SIZE);
				tcp_conn_set_user(tc, c);
			}
			if (c == NULL)
				continue;
			if (ev[i].events & TCP_EV_CLOSED) {
				if (c->id != 0)
					conn_release(w, c, (ev[i].events & TCP_EV_RESET) != 0);
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

/* Give a connection up (misbehaving application, limits): RST, counted by caller. */
static void
conn_abort(struct hsod_worker *w, struct dp_conn *c)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, c->tcp);

	c->aborted = true;
	if (tc != NULL)
		tcp_conn_abort(w->tcp, tc);
}

static void
handle_commands(struct hsod_worker *w)
{
	for (unsigned a = 0; a < HSO_APP_MAX; a++) {
		struct rte_mbuf *ms[BURST];
		unsigned n;

		if (!w->apps[a].active)
			continue;
		n = rte_ring_sc_dequeue_burst(w->apps[a].cmd, (void **)ms, BURST, NULL);
		for (unsigned i = 0; i < n; i++) {
			const struct hso_shm_msg *h = rte_pktmbuf_mtod(ms[i], const struct hso_shm_msg *);
			struct dp_conn *c = conn_of(w, h->conn);

			w->stats.app_commands++;
			if (c == NULL || c->app != (int8_t)a || c->app_gone ||
			    rte_pktmbuf_data_len(ms[i]) < sizeof(*h) + h->len) {
				/* Gone, or not this application's: dropped. */
				w->stats.app_commands_stale++;
				msg_wipe_free(w, ms[i]);
				continue;
			}
			switch (h->type) {
			case HSO_CMD_CLOSE:
				c->app_close = true;
				msg_free(w, ms[i]);
				break;
			case HSO_CMD_SHUTDOWN:
				c->app_shut = true;
				msg_free(w, ms[i]);
				break;
			case HSO_CMD_SEND:
				if (c->pend_n < PEND_MAX && !c->app_close && !c->app_shut) {
					c->pend[(c->pend_head + c->pend_n) % PEND_MAX] = ms[i];
					c->pend_n++;
					break;
				}
				/* More than the send window, or after a close: fail closed. */
				w->stats.app_backlog_aborts++;
				msg_wipe_free(w, ms[i]);
				conn_abort(w, c);
				continue;
			default:
				w->stats.app_commands_stale++;
				msg_free(w, ms[i]);
				continue;
			}
			mark_dirty(w, c);
		}
	}
}

/*
 * Follow the application slots: start serving an application hsod's
 * control accepted; for one that detached or died, close its connections
 * (close_notify, FIN), drain its rings and acknowledge.
 */
static void
apps_sync(struct hsod_worker *w)
{
	uint64_t bit = 1ull << w->conf.index;

	for (unsigned a = 0; a < HSO_APP_MAX; a++) {
		struct hso_shm_app *s = &w->shm->apps[a];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		struct rte_mbuf *m;

		if (st == HSO_SLOT_ACTIVE && !w->apps[a].active) {
			w->apps[a].active = true;
			w->apps[a].owner = hso_shm_owner_tag(a, s->gen);
			w->apps[a].sessions = 0;        /* counted per attached app */
			w->apps[a].open = 0;
			w->apps[a].keys = (s->flags & HSO_APP_KEYS) != 0;
			w->n_active++;
		} else if (st == HSO_SLOT_CLOSING &&
			   !(__atomic_load_n(&s->acks, __ATOMIC_ACQUIRE) & bit)) {
			if (w->apps[a].active) {
				w->apps[a].active = false;
				w->n_active--;
			}
			for (unsigned i = 0; i < w->n_conns; i++) {
				struct dp_conn *c = &w->conns[i];

				if (c->id == 0 || c->app != (int8_t)a || c->app_gone)
					continue;
				c->app_gone = true;
				c->app_close = true;
				c->aborted = true;
				pend_drop_all(w, c);
				if (c->open_sent)
					w->apps[a].open--;
				w->stats.app_gone_closes++;
				mark_dirty(w, c);
			}
			for (unsigned k = 0; k < w->n_late; k++) {
				struct late_closed *l = &w->late[(w->late_head + k) % w->n_conns];

				if (l->app == a)
					l->app = 0xff;  /* nobody to tell any more */
			}
			for (unsigned k = 0; k < w->apps[a].n_stage; k++)
				msg_wipe_free(w, w->apps[a].stage[k]);
			w->apps[a].n_stage = 0;
			while (rte_ring_sc_dequeue(w->apps[a].cmd, (void **)&m) == 0)
				msg_wipe_free(w, m);
			/* We are the ring's only producer and the consumer is gone. */
			while (rte_ring_sc_dequeue(w->apps[a].ev, (void **)&m) == 0)
				msg_wipe_free(w, m);
			__atomic_fetch_or(&s->acks, bit, __ATOMIC_ACQ_REL);
		}
	}
}

/* CLOSED events that found the ring full, in order, as room appears. */
static void
late_flush(struct hsod_worker *w)
{
	while (w->n_late > 0) {
		struct late_closed *l = &w->late[w->late_head];
		struct rte_ring *r = l->app < HSO_APP_MAX ? w->apps[l->app].ev : NULL;

		if (l->app < HSO_APP_MAX && w->apps[l->app].active) {
			struct rte_mbuf *m;
			struct hso_shm_msg *h;

			if (rte_ring_free_count(r) <= w->apps[l->app].n_stage ||
			    (m = rte_pktmbuf_alloc(w->conf.mp)) == NULL)
				return;
			h = (struct hso_shm_msg *)rte_pktmbuf_append(m, sizeof(*h));
			memset(h, 0, sizeof(*h));
			*hso_shm_owner(m, w->shm->owner_off) = w->apps[l->app].owner;
			h->conn = l->id;
			h->type = HSO_EV_CLOSED;
			h->reason = l->reason;
			stage_push(w, l->app, m);
		}
		w->late_head = (w->late_head + 1) % w->n_conns;
		w->n_late--;
	}
}

/* Stalled connections whose application made room go back to work. */
static void
stalled_scan(struct hsod_worker *w)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < w->n_stalled; i++) {
		struct dp_conn *c = w->stalled[i].c;

		if (c->id != w->stalled[i].id || !c->stalled)
			continue;       /* released since */
		if (c->app_gone || c->app < 0 ||
		    (rte_ring_free_count(w->apps[c->app].ev) > 0 &&
		     rx_unreleased(w, c) < w->budget)) {
			c->stalled = false;
			mark_dirty(w, c);
			continue;
		}
		w->stalled[keep++] = w->stalled[i];
	}
	w->n_stalled = keep;
}

/* Turn the TCP table's output into packets. */
static void
emit(struct hsod_worker *w, uint64_t now)
{
	unsigned n;
	const struct tcp_seg_out *o = tcp_tbl_output(w->tcp, &n);
	struct wport *port = &w->ports[0];

	for (unsigned i = 0; i < n; i++, o++) {
		struct rte_mbuf *m;
		struct rte_ether_hdr *eth;
		struct rte_ipv4_hdr *ip;
		struct rte_tcp_hdr *t;
		size_t hl = sizeof(*eth) + sizeof(*ip) + sizeof(*t) + o->opt_len;
		uint8_t *p;

		/* The local address says the port (and so its MAC and neighbours). */
		if (port->net.addr != o->tuple.laddr) {
			port = port_of(w, o->tuple.laddr);
			if (port == NULL) {
				/* Not ours: TCP only answers what came to us. */
				w->stats.tx_dropped++;
				port = &w->ports[0];
				continue;
			}
		}
		m = rte_pktmbuf_alloc(w->conf.mp);
		if (m == NULL || (p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + o->len))) ==
					 NULL) {
			rte_pktmbuf_free(m);
			w->stats.tx_dropped++;
			continue;
		}
		/* Ethernet addresses: net's, once the next hop is known. */
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
		memcpy(p, o->data[0], o->data_len[0]);
		memcpy(p + o->data_len[0], o->data[1], o->data_len[1]);
		if (port->csum_off) {
			/* The port sums; TCP's field holds the pseudo-header sum. */
			m->l2_len = sizeof(*eth);
			m->l3_len = sizeof(*ip);
			m->l4_len = sizeof(*t) + o->opt_len;
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
				       RTE_MBUF_F_TX_TCP_CKSUM;
			t->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		} else {
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			t->cksum = 0;
			t->cksum = rte_ipv4_udptcp_cksum(ip, t);
		}
		/* Sent, or held (in order) until ARP answers: TCP need not retransmit. */
		hsod_net_output(&port->net, m, o->tuple.raddr, now);
	}
	tcp_tbl_output_clear(w->tcp);
}

void
hsod_worker_poll(struct hsod_worker *w, uint64_t now)
{
	uint64_t t0 = rte_rdtsc();
	struct rte_mbuf *rx[BURST];
	unsigned keep = 0;
	bool busy = w->n_dirty > 0;

	for (unsigned a = 0; a < HSO_APP_MAX && !busy; a++)
		busy = w->apps[a].active && rte_ring_count(w->apps[a].cmd) > 0;
	apps_sync(w);
	w->now_us = now;
	/* A burst from every port; ARP and ICMP are answered on the port they came by. */
	for (unsigned p = 0; p < w->n_ports; p++) {
		struct wport *port = &w->ports[p];
		uint16_t n = rte_eth_rx_burst(port->id, w->conf.queue, rx, BURST);

		if (n == 0)
			continue;
		busy = true;
		w->stats.rx_packets += n;
		w->stats.port_rx_packets[p] += n;
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = rx[i];

			switch (hsod_net_input(&port->net, m, now)) {
			case HSOD_NET_REPLY:
				tx_one(w, port, m);
				break;
			case HSOD_NET_TCP:
				tcp_in(w, m, now);
				/*
				 * Events right away: a segment's payload must reach
				 * the engine before a RST later in the same burst
				 * aborts the connection and discards it (a client's
				 * Finished, then its RST, often come together).
				 */
				handle_events(w);
				break;
			default:
				rte_pktmbuf_free(m);
				break;
			}
		}
	}
	handle_events(w);
	handle_commands(w);
	late_flush(w);
	stalled_scan(w);
	/* Feed every touched connection, then run the crypto batch once. */
	for (unsigned i = 0; i < w->n_dirty; i++)
		if (w->dirty[i]->id != 0)
			pump_in(w, w->dirty[i]);
	hs_worker_run(w->tls);
	for (unsigned i = 0; i < w->n_dirty; i++) {
		struct dp_conn *c = w->dirty[i];

		c->dirty = false;
		if (c->id == 0)
			continue;
		switch (conn_step(w, c)) {
		case STEP_AGAIN:
			c->dirty = true;
			w->dirty[keep++] = c;
			break;
		case STEP_STALLED:
			/* Waiting for the application: looked at by stalled_scan(). */
			if (!c->stalled) {
				c->stalled = true;
				w->stalled[w->n_stalled].c = c;
				w->stalled[w->n_stalled].id = c->id;
				w->n_stalled++;
			}
			break;
		default:
			break;
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
	for (unsigned p = 0; p < w->n_ports; p++)
		hsod_net_tick(&w->ports[p].net, now);   /* ARP retries, probes, ageing */
	handle_events(w);       /* closes from timers and aborts */
	for (unsigned a = 0; a < HSO_APP_MAX; a++)
		stage_flush(w, a);
	emit(w, now);
	for (unsigned p = 0; p < w->n_ports; p++)
		tx_flush(w, &w->ports[p]);
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
				w->conns[i].aborted = true;
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
	for (unsigned p = 0; p < w->n_ports; p++) {
		struct rte_mbuf *g = hsod_net_garp(&w->ports[p].net, w->conf.mp);

		if (g != NULL) {
			tx_one(w, &w->ports[p], g);
			tx_flush(w, &w->ports[p]);
		}
	}
}

unsigned hsod_worker_conn_slots(const struct hsod_worker *w) { return w->n_conns; }
uint64_t hsod_worker_app_sessions(const struct hsod_worker *w, unsigned app) { return w->apps[app].sessions; }
unsigned hsod_worker_app_open(const struct hsod_worker *w, unsigned app) { return w->apps[app].open; }
unsigned hsod_worker_lcore(const struct hsod_worker *w) { return w->conf.lcore; }
const struct hsod_worker_stats *hsod_worker_stats(const struct hsod_worker *w) { return &w->stats; }
unsigned hsod_worker_ports(const struct hsod_worker *w) { return w->n_ports; }
const struct tcp_stats *hsod_worker_tcp_stats(const struct hsod_worker *w) { return tcp_tbl_stats(w->tcp); }
const struct hs_worker_stats *hsod_worker_tls_stats(const struct hsod_worker *w) { return &w->tls->stats; }

const struct hsod_net_stats *
hsod_worker_net_stats(const struct hsod_worker *w, unsigned port)
{
	return &w->ports[port].net.stats;
}

const struct hsod_neigh_stats *
hsod_worker_neigh_stats(const struct hsod_worker *w, unsigned port)
{
	return hsod_neigh_stats(hsod_net_neigh(&w->ports[port].net));
}
