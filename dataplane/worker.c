/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One worker: net -> TCP -> TLS -> application rings and back. Contract in
 * worker.h. A connection's life is the session layer's (session.h): this
 * file is its sink, the glue between TCP (tcp.h), the engine (handshake.h)
 * and the rings (app_shm.h), and the poll loop.
 *
 * Where the bytes are, and who owns each mbuf when:
 *
 *  - receive: a frame's mbuf goes to TCP with its payload (tcp_pkt.h), and
 *    TCP keeps it until the engine has taken every byte of it. Each TLS
 *    record is opened straight from those mbufs: during the handshake into
 *    the handshake context, afterwards (decrypted: the one copy) into event
 *    mbufs the application gets as HSO_EV_DATA. The frame's mbuf then goes
 *    back to the pool.
 *  - send: an application's SEND mbuf leaves the application's custody when
 *    its command is dequeued; it waits on its session until sealed, then is
 *    sealed into a TLS record where it lies (the library left room for the
 *    header and tag) and handed to TCP by reference; TCP keeps it until the
 *    client acknowledged its last byte (retransmissions point into it), and
 *    the worker sends indirect mbufs over it. Only then does it count as
 *    done in the application's send window.
 *  - handshake flights, alerts, close_notify: the engine's own output,
 *    copied into mbufs TCP takes from the pool (tcp_conn_write()).
 *
 * Nothing here walks every connection: sessions are run from the session
 * layer's lists, deadlines are timers, and per-config use is counted.
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
#include "resources.h"
#include "session.h"
#include "tcp_pkt.h"
#include "worker.h"

#define BURST 32
/* TLS configs (reloads) a worker keeps for connections that began with them. */
#define RETIRED_MAX 8
/* Records opened per session per run (the rest next run: latency stays bounded). */
#define RECS_PER_RUN 16
/* Pieces of one record as TCP holds it (rx_bufs_max + gathered buffers). */
#define REC_IOV_MAX 128
/* SEND mbufs sealed into one record at most (HSO_SEND_MORE). */
#define COALESCE_MAX 16
/* Stalled sessions retried per poll. */
#define STALL_RETRY 64

/* dp_sess.gflags: one-shot steps of the glue (the lifecycle is the session's). */
#define DPF_OPEN_POSTED 0x01    /* HSO_EV_OPEN is the application's */
#define DPF_NOTIFIED    0x02    /* close_notify (or shutdown) asked of the engine */
#define DPF_LAT_RUNNING 0x04    /* its first byte came: hello_us is set */
#define DPF_LAT_DONE    0x08    /* its handshake latency is counted */

/*
 * A connection's handshake latency: from its first byte (the ClientHello's)
 * to the handshake complete. 32 bits of µs: a handshake is bounded by the
 * handshake timeout (at most 600 s), far below their 71-minute wrap.
 */
_Static_assert((uint64_t)HSOD_HANDSHAKE_TIMEOUT_MS_MAX * 1000 < (1ull << 32),
	       "a handshake's latency fits the 32-bit µs stamp");

/* A session's private area (session.h): the engine and the ring side. */
struct dp_sess {
	struct hs_conn hs;
	uint32_t rx_delivered;      /* DATA bytes posted, + HSO_APP_EVENT_COST each */
	uint32_t tx_done;           /* SEND mbufs done (acknowledged or dropped) */
	struct tcp_buf *pend_head;  /* SEND mbufs to seal, linked by their TCP node */
	struct tcp_buf *pend_tail;
	uint32_t hello_us;          /* first ClientHello byte (µs, mod 2^32) */
	uint16_t n_pend;
	uint8_t cfg_slot;           /* which TLS config it began with (w->cfgs) */
	uint8_t gflags;             /* DPF_* */
};

/* One port: layers 2-3 and the TX buffer of this worker's queue on it. */
struct wport {
	uint16_t id;                /* DPDK port id */
	uint16_t n_tx;
	bool csum_off;              /* the port sums IPv4 and TCP (over IPv4 and IPv6) on TX */
	bool chain_csum_off;        /* ... also of frames in several segments */
	bool multiseg;              /* the port sends mbuf chains: payload by reference */
	struct hsod_worker *w;      /* for net's transmit hook */
	struct rte_mbuf *tx[BURST];
	struct hsod_net net;
	bool v6;                    /* the port has an IPv6 address: net6 is live */
	bool off;                   /* stopped by the control path: this poll keeps off it */
	struct hsod_net6 net6;
};

struct hsod_worker {
	struct hsod_worker_conf conf;
	struct wport ports[HSOD_MAX_PORTS];
	unsigned n_ports;
	/* Packets waiting for ARP, all ports: [net] neigh_queue_total. */
	struct hsod_neigh_pool *neigh_pool;
	struct tcp_tbl *tcp;
	struct tcp_pkt_pool tpool;  /* TCP's buffers: mbufs of conf->mp */
	struct hsod_limit *limit;   /* per-source admission ([limits] source_*) */
	unsigned src_prefix6;       /* IPv6 sources are counted per prefix this long */
	struct sess_tbl *sess;
	struct hs_worker *tls;
	struct hso_shm *shm;
	struct hso_shm_conn *fc;    /* flow-control words (app_shm.h) */
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
	uint32_t ev_room;           /* plaintext bytes one event mbuf carries */
	/* TLS configs in use: cur serves new sessions; retired ones stay while used. */
	struct {
		const struct hs_config *hs;     /* NULL: free entry */
		uint32_t users;         /* sessions that began with it */
	} cfgs[RETIRED_MAX + 1];
	unsigned cur;
	bool draining, closing_all;
	uint64_t now_us;            /* this iteration's time */
	uint64_t pool_at;           /* pool_state was read in the poll of this time */
	int pool_state;             /* hso_shm_pool_state() */
	uint64_t drain_deadline, flush_deadline;
	uint64_t poll_tsc;          /* TSC when this iteration's now_us was taken */
	uint64_t us_per_tsc;        /* µs per TSC cycle, 32.32 fixed point */
	struct hsod_worker_stats stats;
	struct hsod_latency latency;
	struct hsod_lcore_clock clock;
};

/* Now in µs: the iteration's time, advanced by the TSC since it was taken. */
static uint64_t
now_precise(const struct hsod_worker *w)
{
	return w->now_us + (((rte_rdtsc() - w->poll_tsc) * w->us_per_tsc) >> 32);
}

static inline struct dp_sess *
dp(struct sess *s)
{
	return sess_priv(s);
}

static inline struct tcp_conn *
tcp_of(struct hsod_worker *w, const struct sess *s)
{
	return tcp_tbl_conn_get(w->tcp, s->tcp);
}

/* ------------------------------------------------------------- ports */

static void
tx_flush(struct hsod_worker *w, struct wport *p)
{
	uint16_t sent;

	if (p->n_tx == 0)
		return;
	if (p->off) {
		/* The port is stopped (its gate, worker.h): as if lost on the wire. */
		w->stats.tx_dropped += p->n_tx;
		rte_pktmbuf_free_bulk(p->tx, p->n_tx);
		p->n_tx = 0;
		return;
	}
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

/* ------------------------------------------------------- ring messages */

/* Events go to the ring in bursts: at BURST, and at the end of each poll. */
static void
stage_flush(struct hsod_worker *w, unsigned a)
{
	unsigned n = w->apps[a].n_stage;

	if (n == 0)
		return;
	/* Room was checked before staging; the ring has one producer: us. */
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

/* Room in application @p a's event ring for @p n more events? */
static bool
ring_room(const struct hsod_worker *w, unsigned a, unsigned n)
{
	return rte_ring_free_count(w->apps[a].ev) >= w->apps[a].n_stage + n;
}

/* Header of an event for session @p s in @p m, tagged as application @p a's. */
static struct hso_shm_msg *
msg_init(struct hsod_worker *w, struct rte_mbuf *m, unsigned a, const struct sess *s,
	 uint16_t type, uint32_t len)
{
	struct hso_shm_msg *h = (struct hso_shm_msg *)rte_pktmbuf_append(m,
					(uint16_t)(sizeof(*h) + len));

	memset(h, 0, sizeof(*h));
	h->conn = hso_shm_id(s->gen, s->idx);
	h->type = type;
	h->len = len;
	*hso_shm_owner(m, w->shm->owner_off) = w->apps[a].owner;
	return h;
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

/* One more SEND mbuf of @p s done: the application's send window moves. */
static void
tx_done(struct hsod_worker *w, struct sess *s, uint32_t n)
{
	struct dp_sess *d = dp(s);

	d->tx_done += n;
	__atomic_store_n(&hso_shm_conn(w->fc, w->shm, w->conf.index, s->idx)->tx_done,
			 hso_shm_tag(s->gen, d->tx_done), __ATOMIC_RELEASE);
}

/* DATA bytes posted and not yet released by the application. */
static uint32_t
rx_unreleased(struct hsod_worker *w, const struct sess *s)
{
	uint64_t word = __atomic_load_n(&hso_shm_conn(w->fc, w->shm, w->conf.index,
						      s->idx)->rx_done, __ATOMIC_ACQUIRE);

	return dp((struct sess *)(uintptr_t)s)->rx_delivered - hso_shm_count(word, s->gen);
}

/* ---------------------------------------------------------- TCP buffers */

/*
 * TCP is done with a buffer. A SEND mbuf's last byte was acknowledged (or
 * its connection ended): one more done in its session's send window.
 */
static void
buf_release(void *ctx, struct tcp_buf *b)
{
	struct hsod_worker *w = ctx;
	uint64_t tag = ((struct tcp_pkt_buf *)b)->tag;

	if (tag != 0) {
		struct sess *s = sess_get(w->sess, tag);

		/* Not for a session released since: its words say "gone" (w_release). */
		if (s != NULL && s->state != SESS_FREE)
			tx_done(w, s, 1);
	}
	tcp_pkt_buf_release(&w->tpool, b);
}

static struct tcp_buf *
buf_alloc(void *ctx, uint32_t len)
{
	struct hsod_worker *w = ctx;

	return tcp_pkt_buf_alloc(&w->tpool, len);
}

/* Drop the application's sends still waiting to be sealed (they count as done). */
static void
pend_drop(struct hsod_worker *w, struct sess *s)
{
	struct dp_sess *d = dp(s);
	uint32_t n = 0;

	while (d->pend_head != NULL) {
		struct tcp_buf *b = d->pend_head;

		d->pend_head = b->next;
		msg_wipe_free(w, tcp_pkt_buf_mbuf(b));
		n++;
	}
	d->pend_tail = NULL;
	d->n_pend = 0;
	if (n > 0)
		tx_done(w, s, n);
}

/* ------------------------------------------------------------ engine I/O */

/*
 * The engine's own output (flights, tickets, alerts, KeyUpdate,
 * close_notify) into TCP, copied into mbufs. @return true when all of it
 * went (or the connection is over: nobody to send it to).
 */
static bool
flush_engine(struct hsod_worker *w, struct dp_sess *d, struct tcp_conn *tc)
{
	size_t len;
	const uint8_t *out = hs_conn_send_buf(&d->hs, &len);
	int n;

	if (len == 0)
		return true;
	if (tc == NULL || tcp_conn_over(tc)) {
		hs_conn_send_ack(&d->hs, len);
		return true;
	}
	n = tcp_conn_write(w->tcp, tc, out, len);
	if (n == -EPIPE || n == -ENOTCONN) {
		hs_conn_send_ack(&d->hs, len);      /* our FIN went: too late for it */
		return true;
	}
	if (n > 0)
		hs_conn_send_ack(&d->hs, (size_t)n);
	return n >= 0 && (size_t)n == len;
}

/* The first @p n bytes of @p iov[0..cnt) as a new list in @p out; its length. */
static unsigned
iov_cut(const struct iovec *iov, unsigned cnt, uint32_t n, struct iovec *out)
{
	unsigned k = 0;

	for (unsigned i = 0; i < cnt && n > 0; i++, k++) {
		out[k] = iov[i];
		if (out[k].iov_len > n)
			out[k].iov_len = n;
		n -= (uint32_t)out[k].iov_len;
	}
	return k;
}

/* Copy the first @p n bytes of @p iov to @p dst; false when there are fewer. */
static bool
iov_gather(const struct iovec *iov, unsigned cnt, uint8_t *dst, size_t n)
{
	for (unsigned i = 0; i < cnt && n > 0; i++) {
		size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;

		memcpy(dst, iov[i].iov_base, k);
		dst += k;
		n -= k;
	}
	return n == 0;
}

/* ------------------------------------------------------- the sink: input */

/*
 * The pool is down to its reserve (app_shm.h): a session that already has
 * @p unreleased bytes with its application past its share waits, and
 * under a quarter of the reserve every one does, so that connections
 * that never read (their plaintext held by an application that cannot
 * send it on) cannot take the mbufs receiving needs. It waits as any
 * session blocked on its application: on the stalled list, retried a
 * bounded number per poll.
 */
static bool
pool_short(struct hsod_worker *w, uint32_t unreleased)
{
	/* rte_mempool_avail_count() reads every lcore's cache: once per poll. */
	if (w->pool_at != w->now_us) {
		w->pool_at = w->now_us;
		w->pool_state = hso_shm_pool_state(w->shm, w->conf.mp);
	}
	switch (w->pool_state) {
	case 0:
		return false;
	case 1:
		return unreleased >= HSO_SHM_RX_SHARE;
	default:
		return true;
	}
}

/* TCP's view of the pool (tcp_buf_ops.pool_level): hso_shm_pool_state(), once per poll. */
static int
buf_pool_level(void *ctx)
{
	struct hsod_worker *w = ctx;

	pool_short(w, 0);
	return w->pool_state;
}

/*
 * Event mbufs for a record whose plaintext may take @p room bytes, for
 * session @p s's application: budget, ring and pool permitting. The
 * connection's budget may be overshot by one record (a record goes whole).
 * @return mbufs taken (0: no room now, counted).
 */
static unsigned
dst_get(struct hsod_worker *w, struct sess *s, size_t room, struct rte_mbuf **ms,
	struct iovec *dst)
{
	unsigned a = s->app, k;
	size_t got = 0;

	uint32_t left = rx_unreleased(w, s);

	if (left >= w->budget) {
		w->stats.app_budget_stalls++;
		return 0;
	}
	if (pool_short(w, left)) {
		w->stats.app_pool_stalls++;
		return 0;
	}
	/* Each event mbuf carries what fits after its header. */
	k = (unsigned)((room + w->ev_room - 1) / w->ev_room);
	if (k > BURST || !ring_room(w, a, k) || rte_pktmbuf_alloc_bulk(w->conf.mp, ms, k) != 0) {
		w->stats.app_ring_stalls++;
		return 0;
	}
	for (unsigned i = 0; i < k; i++) {
		uint32_t cap = HSO_SHM_PAYLOAD(ms[i]);

		dst[i].iov_base = rte_pktmbuf_mtod(ms[i], uint8_t *) + sizeof(struct hso_shm_msg);
		dst[i].iov_len = cap;
		got += cap;
	}
	/* Short of room (an unusual pool): one more would not fit the burst. */
	if (got < room) {
		rte_pktmbuf_free_bulk(ms, k);
		w->stats.app_ring_stalls++;
		return 0;
	}
	return k;
}

/* The plaintext at the start of ms[0..k) as DATA events: @p len bytes. */
static void
data_post(struct hsod_worker *w, struct sess *s, struct rte_mbuf **ms, unsigned k,
	  const struct iovec *dst, uint32_t len)
{
	struct dp_sess *d = dp(s);
	unsigned i = 0;

	for (; i < k && len > 0; i++) {
		uint32_t part = len < dst[i].iov_len ? len : (uint32_t)dst[i].iov_len;

		msg_init(w, ms[i], s->app, s, HSO_EV_DATA, part);
		stage_push(w, s->app, ms[i]);
		d->rx_delivered += part + HSO_APP_EVENT_COST;
		len -= part;
	}
	/* The room that held the tag and content type: never used. */
	for (; i < k; i++)
		rte_pktmbuf_free(ms[i]);
}

static unsigned
w_pump_in(void *ctx, struct sess *s, enum sess_rx mode)
{
	struct hsod_worker *w = ctx;
	struct dp_sess *d = dp(s);
	struct tcp_conn *tc = tcp_of(w, s);
	bool starved = false, more = false;
	unsigned io = 0;
	enum hs_status st;

	for (unsigned recs = 0; tc != NULL; recs++) {
		struct iovec iov[REC_IOV_MAX], rec[REC_IOV_MAX], dst[BURST];
		struct rte_mbuf *ms[BURST];
		uint8_t hdr[HS_RECORD_HEADER_LEN];
		uint32_t avail;
		unsigned n, nr, k = 0;
		struct hs_rx rx;
		int rl, r;

		st = hs_conn_status(&d->hs);
		/*
		 * TLS is over (a fatal alert, or close_notify answered) and the
		 * session only reads on to see the FIN: what the peer still
		 * sends "MUST be ignored" (RFC 8446 6.1). Released unread, so
		 * the window stays open: a peer still sending (a large message
		 * we refused) reads our alert and FIN instead of stalling on a
		 * closed window until the handshake deadline resets it.
		 */
		if ((st == HS_STATUS_FAILED || st == HS_STATUS_CLOSED) &&
		    mode == SESS_RX_DISCARD) {
			avail = tcp_conn_readable(tc);
			if (avail > 0) {
				tcp_conn_rx_release(w->tcp, tc, avail);
				w->stats.rx_bytes_ignored += avail;
			}
			starved = true;
			break;
		}
		if (hs_conn_waiting(&d->hs) || st == HS_STATUS_FAILED)
			break;
		/* Established: application data goes only where the session says. */
		if (st != HS_STATUS_HANDSHAKING &&
		    (mode == SESS_RX_HANDSHAKE || mode == SESS_RX_HOLD))
			break;
		if (recs == RECS_PER_RUN) {
			more = true;
			break;
		}
		n = tcp_conn_rx_peek(tc, iov, REC_IOV_MAX, &avail);
		/* The connection's first byte: its ClientHello begins. */
		if (avail > 0 && !(d->gflags & (DPF_LAT_RUNNING | DPF_LAT_DONE))) {
			d->gflags |= DPF_LAT_RUNNING;
			d->hello_us = (uint32_t)now_precise(w);
		}
		if (avail < HS_RECORD_HEADER_LEN) {
			starved = true;
			break;
		}
		iov_gather(iov, n, hdr, sizeof(hdr));
		rl = hs_conn_record_size(&d->hs, hdr);
		if (rl < 0)
			break;                  /* failed: its alert is queued */
		if (avail < (uint32_t)rl) {
			starved = true;
			break;
		}
		nr = iov_cut(iov, n, (uint32_t)rl, rec);
		/*
		 * A record with no room for plaintext (an empty application
		 * data record, which RFC 5246 6.2.1 allows; one shorter than
		 * its tag; a change_cipher_spec after the handshake) needs no
		 * event mbuf: opened in place below, it delivers nothing or
		 * fails with its alert. Asking the application for zero bytes
		 * of room would read as "no room" and stall the session.
		 */
		if (mode == SESS_RX_DELIVER && st == HS_STATUS_ESTABLISHED &&
		    hs_conn_open_room(&d->hs, (size_t)rl) > 0) {
			k = dst_get(w, s, hs_conn_open_room(&d->hs, (size_t)rl), ms, dst);
			if (k == 0) {
				io |= SESS_IO_BLOCKED;
				break;
			}
			r = hs_conn_open_record(&d->hs, rec, nr, dst, k, &rx);
		} else {
			/* Handshake records (copied into the handshake context),
			 * data nobody takes (opened in place, dropped), or a
			 * record without plaintext room (above). */
			r = hs_conn_open_record(&d->hs, rec, nr, NULL, 0, &rx);
			if (r > 0) {
				w->stats.app_bytes_dropped += (uint64_t)r;
				/* No plaintext stays in the pool's mbufs. */
				for (unsigned i = 0; i < nr; i++)
					OPENSSL_cleanse(rec[i].iov_base, rec[i].iov_len);
			}
		}
		if (r == -EAGAIN) {
			/* Waiting for the batch: offered again after it. */
			if (k > 0)
				rte_pktmbuf_free_bulk(ms, k);
			more = true;
			break;
		}
		if (r < 0) {
			if (k > 0)
				rte_pktmbuf_free_bulk(ms, k);
			if (r == -EINVAL || r == -ENOBUFS)
				w->stats.records_refused++;     /* ours: should not happen */
			break;
		}
		tcp_conn_rx_release(w->tcp, tc, (uint32_t)rl);
		if (k > 0)
			data_post(w, s, ms, k, dst, (uint32_t)r);
		/* Flights, tickets, alerts, KeyUpdate answers: before anything else. */
		flush_engine(w, d, tc);
	}
	if (tc != NULL)
		flush_engine(w, d, tc);
	st = hs_conn_status(&d->hs);
	if (st == HS_STATUS_ESTABLISHED && (d->gflags & DPF_LAT_RUNNING)) {
		/* The handshake is complete: its latency into the histogram, once. */
		d->gflags = (uint8_t)((d->gflags & ~DPF_LAT_RUNNING) | DPF_LAT_DONE);
		hsod_latency_add(&w->latency, (uint32_t)((uint32_t)now_precise(w) - d->hello_us));
	}
	if (st == HS_STATUS_ESTABLISHED || st == HS_STATUS_CLOSED)
		io |= SESS_IO_ESTABLISHED;
	if (st == HS_STATUS_FAILED)
		io |= SESS_IO_TLS_FAILED;
	if (st == HS_STATUS_CLOSED)
		io |= SESS_IO_TLS_CLOSED;
	if (hs_conn_peer_closed(&d->hs))
		io |= SESS_IO_PEER_NOTIFY;
	if (hs_conn_waiting(&d->hs) || more)
		io |= SESS_IO_WAITING;
	/* FIN with no whole record left before it: the peer's data ended. */
	if (tc != NULL && starved && !(io & (SESS_IO_WAITING | SESS_IO_BLOCKED)) &&
	    tcp_conn_fin_rcvd(tc))
		io |= SESS_IO_EOF;
	return io;
}

/* ------------------------------------------------------ the sink: output */

static bool
w_pump_out(void *ctx, struct sess *s)
{
	struct hsod_worker *w = ctx;
	struct dp_sess *d = dp(s);
	struct tcp_conn *tc = tcp_of(w, s);

	if (tc == NULL || tcp_conn_over(tc)) {
		pend_drop(w, s);
		return false;
	}
	if (!flush_engine(w, d, tc))
		return true;
	while (d->pend_head != NULL && hs_conn_status(&d->hs) == HS_STATUS_ESTABLISHED) {
		struct tcp_buf *grp[COALESCE_MAX], *b = d->pend_head;
		struct iovec data[COALESCE_MAX];
		size_t head = hs_conn_seal_headroom(&d->hs), tail = hs_conn_seal_tailroom(&d->hs);
		uint32_t total = 0;
		unsigned k = 0;
		uint8_t *hdr, *trl;
		int r;

		/* One record: sends while the one before said "more", up to 16 KiB. */
		while (b != NULL && k < COALESCE_MAX) {
			struct hso_shm_msg *h = rte_pktmbuf_mtod(tcp_pkt_buf_mbuf(b),
								 struct hso_shm_msg *);

			if (k > 0 && total + h->len > HS_RECORD_PLAINTEXT_MAX)
				break;
			grp[k] = b;
			data[k].iov_base = hso_shm_send_data(h);
			data[k].iov_len = h->len;
			total += h->len;
			k++;
			b = b->next;
			if (!(h->reason & HSO_SHM_F_MORE))
				break;
		}
		/*
		 * A record goes whole, a buffer per mbuf: wait until TCP takes
		 * all of it. Its own ACKs wake it (TCP's budget lets one
		 * holding nothing to send queue a record).
		 */
		if (tcp_conn_tx_bufs_left(w->tcp, tc) < k) {
			w->stats.tcp_budget_waits++;
			return true;
		}
		if (head + total + tail > tcp_conn_writable(w->tcp, tc)) {
			w->stats.send_buffer_waits++;
			return true;
		}
		hdr = (uint8_t *)data[0].iov_base - head;
		trl = (uint8_t *)data[k - 1].iov_base + data[k - 1].iov_len;
		r = hs_conn_seal_record(&d->hs, data, k, hdr, trl);
		if (r == -EAGAIN) {
			if (!flush_engine(w, d, tc))
				return true;
			continue;
		}
		/* Off the pending list: sealed now, or dropped. */
		d->pend_head = b;
		if (b == NULL)
			d->pend_tail = NULL;
		d->n_pend = (uint16_t)(d->n_pend - k);
		if (r < 0) {
			/* After close_notify (RFC 8446 6.1), or a failed engine. */
			for (unsigned i = 0; i < k; i++)
				msg_wipe_free(w, tcp_pkt_buf_mbuf(grp[i]));
			tx_done(w, s, k);
			w->stats.app_sends_dropped += k;
			continue;
		}
		/* Each mbuf holds its part of the record; TCP sends it as it is. */
		for (unsigned i = 0; i < k; i++) {
			struct tcp_pkt_buf *pb = (struct tcp_pkt_buf *)grp[i];

			pb->b.next = NULL;
			pb->b.data = i == 0 ? hdr : data[i].iov_base;
			pb->b.len = (uint32_t)data[i].iov_len + (i == 0 ? (uint32_t)head : 0) +
				    (i == k - 1 ? (uint32_t)tail : 0);
			pb->tag = sess_handle(s);
		}
		if (tcp_conn_send_bulk(w->tcp, tc, grp, k) != 0) {
			/* Checked above: cannot happen. Sealed, so it must not linger. */
			for (unsigned i = 0; i < k; i++)
				msg_free(w, tcp_pkt_buf_mbuf(grp[i]));
			tx_done(w, s, k);
			w->stats.app_sends_dropped += k;
			continue;
		}
		w->stats.app_records += 1;
		w->stats.app_records_coalesced += k > 1;
	}
	/* The handshake is long over and handed on: its context goes back. */
	if ((d->gflags & DPF_OPEN_POSTED) && hs_conn_hctx_held(&d->hs))
		hs_conn_hctx_release(&d->hs);
	return d->pend_head != NULL;
}

static void
w_drop_out(void *ctx, struct sess *s)
{
	pend_drop(ctx, s);
}

static int
w_close_out(void *ctx, struct sess *s, bool notify)
{
	struct hsod_worker *w = ctx;
	struct dp_sess *d = dp(s);
	struct tcp_conn *tc = tcp_of(w, s);

	if (tc == NULL || tcp_conn_over(tc))
		return 0;
	/* No handshake context for it: refused, not closed (nothing was read). */
	if (hs_conn_error(&d->hs) == HS_ERR_NO_HCTX) {
		w->stats.conns_refused++;
		tcp_conn_abort(w->tcp, tc);
		return 0;
	}
	if (notify && !(d->gflags & DPF_NOTIFIED) &&
	    hs_conn_status(&d->hs) == HS_STATUS_ESTABLISHED) {
		/* RFC 8446 6.1: close_notify, then no more data from us. */
		if (s->state == SESS_HALF_CLOSED_OUT)
			hs_conn_shutdown(&d->hs);
		else
			hs_conn_close(&d->hs);
		d->gflags |= DPF_NOTIFIED;
	}
	if (!flush_engine(w, d, tc))
		return -EAGAIN;         /* no mbuf, or TCP full: again later */
	tcp_conn_close(w->tcp, tc);     /* FIN after everything queued */
	return 0;
}

static void
w_abort(void *ctx, struct sess *s)
{
	struct hsod_worker *w = ctx;
	struct tcp_conn *tc = tcp_of(w, s);

	if (tc != NULL)
		tcp_conn_abort(w->tcp, tc);
}

/* --------------------------------------------------- the sink: the app */

static unsigned
w_app_pick(void *ctx, struct sess *s)
{
	struct hsod_worker *w = ctx;

	(void)s;
	for (unsigned k = 0; k < HSO_APP_MAX; k++) {
		unsigned a = (w->next_app + k) % HSO_APP_MAX;

		if (w->apps[a].active) {
			w->next_app = (a + 1) % HSO_APP_MAX;
			return a;
		}
	}
	w->stats.conns_no_app++;
	return SESS_APP_NONE;
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

/* ::ffff:a.b.c.d for a host-order IPv4 address (RFC 4291 2.5.5.2). */
static void
ip4_mapped(uint8_t ip[16], uint32_t a)
{
	memset(ip, 0, 10);
	ip[10] = 0xff;
	ip[11] = 0xff;
	ip[12] = (uint8_t)(a >> 24);
	ip[13] = (uint8_t)(a >> 16);
	ip[14] = (uint8_t)(a >> 8);
	ip[15] = (uint8_t)a;
}

/* HSO_EV_OPEN: what the session is (and its keys, when asked). */
static void
open_fill(struct hsod_worker *w, struct sess *s, struct hso_session *o)
{
	struct dp_sess *d = dp(s);
	struct tcp_conn *tc = tcp_of(w, s);
	struct hs_session_info si;
	size_t sl;

	memset(o, 0, sizeof(*o));
	hs_conn_session_info(&d->hs, &si);
	if (tc != NULL) {
		const struct tcp_tuple *tp = tcp_conn_tuple(tc);

		o->client_port = tp->rport;
		o->server_port = tp->lport;
		if (tp->v6) {
			o->family = HSO_FAMILY_IPV6;
			memcpy(o->client_ip, tp->raddr6, sizeof(o->client_ip));
			memcpy(o->server_ip, tp->laddr6, sizeof(o->server_ip));
		} else {
			o->family = HSO_FAMILY_IPV4;
			o->client_addr = tp->raddr;
			o->server_addr = tp->laddr;
			ip4_mapped(o->client_ip, tp->raddr);
			ip4_mapped(o->server_ip, tp->laddr);
		}
	}
	o->version = si.version;
	o->suite = si.suite;
	o->resumed = si.resumed;
	sl = strnlen(si.sni, sizeof(o->sni) - 1);
	memcpy(o->sni, si.sni, sl);
	o->sni_len = (uint8_t)sl;
	sl = si.alpn_len < sizeof(o->alpn) - 1 ? si.alpn_len : sizeof(o->alpn) - 1;
	if (sl > 0)
		memcpy(o->alpn, si.alpn, sl);
	o->alpn_len = (uint8_t)sl;
	if (w->apps[s->app].keys) {
		struct hs_traffic_keys k;

		if (hs_conn_export_keys(&d->hs, &k) == 0) {
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
}

static bool
w_post(void *ctx, struct sess *s, enum sess_ev ev, enum sess_reason reason)
{
	struct hsod_worker *w = ctx;
	unsigned a = s->app;
	struct hso_shm_msg *h;
	struct rte_mbuf *m;

	if (a >= HSO_APP_MAX || !w->apps[a].active)
		return true;            /* nobody to tell */
	if (!ring_room(w, a, 1) || (m = rte_pktmbuf_alloc(w->conf.mp)) == NULL) {
		w->stats.app_ring_stalls++;
		return false;
	}
	switch (ev) {
	case SESS_EV_OPEN:
		h = msg_init(w, m, a, s, HSO_EV_OPEN, sizeof(struct hso_session));
		open_fill(w, s, (struct hso_session *)(h + 1));
		w->apps[a].sessions++;
		w->apps[a].open++;
		dp(s)->gflags |= DPF_OPEN_POSTED;
		break;
	case SESS_EV_PEER_CLOSED:
		msg_init(w, m, a, s, HSO_EV_PEER_CLOSED, 0);
		break;
	default:
		h = msg_init(w, m, a, s, HSO_EV_CLOSED, 0);
		h->reason = (uint16_t)reason;   /* enum sess_reason is enum hso_close_reason */
		w->apps[a].open--;
		break;
	}
	stage_push(w, a, m);
	return true;
}

static void
w_release(void *ctx, struct sess *s)
{
	struct hsod_worker *w = ctx;
	struct dp_sess *d = dp(s);
	struct tcp_conn *tc = tcp_of(w, s);

	pend_drop(w, s);
	hs_conn_reset(&d->hs);
	if (tc != NULL)
		tcp_conn_release(w->tcp, tc);
	/*
	 * The handle is stale from now on (hso_app.h): its send window word
	 * says no connection (generation 0, never a session's), so the
	 * application's calls on it fail with -ENOTCONN at once. Left tagged,
	 * sends after the end went to the worker as stale commands, never
	 * counted done: the window filled, sends waited (-EAGAIN) and the
	 * application held those events and their mbufs until the slot
	 * served another connection (thousands of mbufs after the attack
	 * suite's slow readers left).
	 */
	__atomic_store_n(&hso_shm_conn(w->fc, w->shm, w->conf.index, s->idx)->tx_done,
			 hso_shm_tag(0, 0), __ATOMIC_RELEASE);
	if (w->cfgs[d->cfg_slot].users > 0)
		w->cfgs[d->cfg_slot].users--;
}

static const struct sess_ops worker_sess_ops = {
	.pump_in = w_pump_in,
	.pump_out = w_pump_out,
	.drop_out = w_drop_out,
	.app_pick = w_app_pick,
	.post = w_post,
	.close_out = w_close_out,
	.abort = w_abort,
	.release = w_release,
};

/* ----------------------------------------------------------- creation */

/* The TCP table of a worker under configuration @p cfg (no buffer ops yet). */
static void
worker_tcp_config(const struct hsod_config *cfg, struct tcp_config *tc)
{
	tcp_config_init(tc);
	tc->max_conns = cfg->max_conns;
	tc->max_half_open = cfg->max_half_open;
	tc->handshake_timeout_us = (uint64_t)cfg->handshake_timeout_ms * 1000;
	tc->idle_timeout_us = (uint64_t)cfg->idle_timeout_ms * 1000;
	/*
	 * A TLS record is opened whole from what TCP holds: the window covers
	 * the largest (TLS 1.2: 2^14 + 2048 + 5) with room for the next, and
	 * the buffers one may span stay within REC_IOV_MAX. It is also what a
	 * connection pins of the mbuf pool (about 23 frames at MSS 1460).
	 */
	tc->rx_buf_size = 32768;
	tc->rx_bufs_max = 48;
	tc->tx_buf_size = cfg->send_buffer;
	tc->zero_window_timeout_us = (uint64_t)cfg->zero_window_timeout_ms * 1000;
}

/* The session table of a worker under configuration @p cfg (no ops yet). */
static void
worker_sess_config(const struct hsod_config *cfg, struct sess_config *sc)
{
	sess_config_init(sc);
	sc->max_sessions = cfg->max_conns;
	sc->priv_size = sizeof(struct dp_sess);
	sc->handshake_timeout_us = (uint64_t)cfg->handshake_timeout_ms * 1000;
}

void
hsod_worker_mem(const struct hsod_config *cfg, struct hsod_worker_mem *m)
{
	struct tcp_config tc, one;
	struct sess_config sc;
	struct hs_config hc;
	size_t n = cfg->max_conns, heap, dpdk;

	memset(m, 0, sizeof(*m));
	/* What hsod_worker_create() reserves, by the same configurations. */
	worker_tcp_config(cfg, &tc);
	one = tc;
	one.max_conns = 1;
	worker_sess_config(cfg, &sc);
	m->tcp = (tcp_tbl_mem_size(&tc) - tcp_tbl_mem_size(&one)) / (n > 1 ? n - 1 : 1);
	m->fc = sizeof(struct hso_shm_conn);
	m->total = sess_tbl_mem_size(&sc, &m->session);
	m->conn = m->session + m->tcp + m->fc;
	/* The engine's sizes depend on these of its configuration only. */
	memset(&hc, 0, sizeof(hc));
	hc.session_cache_size = cfg->session_cache;
	hc.max_handshake_msg = cfg->max_handshake_msg;
	hc.large_msg_bufs = cfg->large_msg_bufs;
	hc.max_handshakes = cfg->max_handshakes;
	m->engine = hs_worker_mem_size(&hc, cfg->max_conns);
	m->total += sizeof(struct hsod_worker) + tcp_tbl_mem_size(&tc) + n * m->fc + m->engine +
		    hsod_neigh_pool_mem_size(cfg->neigh_queue_total);
	/* The per-source table ([limits] source_table), when source_rate is set. */
	{
		struct hsod_limit_conf lc = {
			.entries = cfg->source_table, .rate = cfg->source_rate,
			.burst = cfg->source_burst,
		};

		m->total += hsod_limit_mem_size(&lc);
	}
	/* A neighbour table per port (IPv4 addresses). */
	hsod_neigh_mem_size(cfg->neigh_entries, 4, &heap, &dpdk);
	m->total += cfg->n_ports * heap;
	m->dpdk = cfg->n_ports * dpdk;
	/* And one more per port with an IPv6 address (16-byte keys). */
	hsod_neigh_mem_size(cfg->neigh_entries, 16, &heap, &dpdk);
	for (unsigned p = 0; p < cfg->n_ports; p++) {
		static const uint8_t unset[16];

		if (memcmp(cfg->ports[p].addr6, unset, 16) != 0) {
			m->total += heap;
			m->dpdk += dpdk;
		}
	}
}

/* ----------------------------------------------- neighbours, shared */

/*
 * One neighbour update on its way from the worker that received the ARP or
 * NDP message to another: applied there with the same flags, so every
 * worker's table moves as if it had received the message itself (RFC 826's
 * merge, RFC 4861 7.2.3 and 7.2.5 are rules for one host, and the workers
 * are one). 28 bytes: rte_ring element sizes are multiples of 4.
 */
struct neigh_msg {
	uint8_t port;               /* the worker port index */
	uint8_t family;             /* 4 or 6: which table */
	uint8_t flags;              /* HSOD_NEIGH_F_* */
	uint8_t pad;
	struct rte_ether_addr mac;
	uint8_t pad2[2];
	uint8_t addr[16];           /* the table's key: 4 bytes (host order) or 16 */
};

struct rte_ring *
hsod_worker_neigh_ring_create(unsigned index, int socket_id)
{
	char name[RTE_RING_NAMESIZE];

	RTE_BUILD_BUG_ON(sizeof(struct neigh_msg) % 4 != 0);
	/* A burst may precede the news this ring brings (neigh_defs.h). */
	RTE_BUILD_BUG_ON(HSOD_NEIGH_QUEUE_DEFAULT < BURST);
	snprintf(name, sizeof(name), "hsod_nb_%u", index);
	/* Any worker enqueues (lock-free CAS), only the owner dequeues. */
	return rte_ring_create_elem(name, sizeof(struct neigh_msg), HSOD_NEIGH_SHARE_RING,
				    socket_id, RING_F_SC_DEQ);
}

/* Tell every other worker: one enqueue each, never a wait. */
static void
neigh_share(struct wport *p, unsigned family, const void *addr, const struct rte_ether_addr *mac,
	    unsigned flags)
{
	struct hsod_worker *w = p->w;
	struct neigh_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.port = (uint8_t)(p - w->ports);
	msg.family = (uint8_t)family;
	msg.flags = (uint8_t)flags;
	rte_ether_addr_copy(mac, &msg.mac);
	memcpy(msg.addr, addr, family == 6 ? 16 : 4);
	for (unsigned i = 0; i < w->conf.n_workers; i++) {
		if (i == w->conf.index)
			continue;
		if (rte_ring_mp_enqueue_elem(w->conf.neigh_rings[i], &msg, sizeof(msg)) == 0)
			w->stats.neigh_shared++;
		else
			w->stats.neigh_share_drops++;
	}
}

static void
neigh_learned4(void *ctx, const void *addr, const struct rte_ether_addr *mac, unsigned flags)
{
	neigh_share(ctx, 4, addr, mac, flags);
}

static void
neigh_learned6(void *ctx, const void *addr, const struct rte_ether_addr *mac, unsigned flags)
{
	neigh_share(ctx, 6, addr, mac, flags);
}

/* What the other workers learned: into this worker's tables (held frames may leave). */
static unsigned
neigh_share_drain(struct hsod_worker *w, uint64_t now)
{
	struct neigh_msg msgs[BURST];
	unsigned n;

	if (w->conf.neigh_rings == NULL || w->conf.n_workers < 2)
		return 0;
	n = rte_ring_sc_dequeue_burst_elem(w->conf.neigh_rings[w->conf.index], msgs,
					   sizeof(msgs[0]), BURST, NULL);
	for (unsigned i = 0; i < n; i++) {
		const struct neigh_msg *m = &msgs[i];
		struct wport *p;

		if (m->port >= w->n_ports)
			continue;
		p = &w->ports[m->port];
		if (m->family == 6 && p->v6)
			hsod_neigh_update(hsod_net6_neigh(&p->net6), m->addr, &m->mac, m->flags, now);
		else if (m->family == 4)
			hsod_neigh_update(hsod_net_neigh(&p->net), m->addr, &m->mac, m->flags, now);
		else
			continue;
		w->stats.neigh_share_applied++;
	}
	return n;
}

/* Port @p p's IPv6 (net6.h), when it has an address: @p nc's other settings. */
static int
port_init6(struct hsod_worker *w, struct wport *p, const struct hsod_port_conf *pc,
	   const struct hsod_net_conf *nc)
{
	static const uint8_t unset[16];
	struct hsod_net6_conf c6;
	char nb[32];

	if (memcmp(pc->addr6, unset, 16) == 0)
		return 0;
	hsod_net6_conf_init(&c6);
	memcpy(c6.addr, pc->addr6, 16);
	c6.prefix_len = pc->prefix6_len;
	memcpy(c6.gateway, pc->gateway6, 16);
	c6.ext_max = w->conf.cfg->ip6_ext_max;
	rte_ether_addr_copy(&nc->mac, &c6.mac);
	c6.mp = nc->mp;
	c6.tx = nc->tx;
	c6.tx_ctx = nc->tx_ctx;
	snprintf(nb, sizeof(nb), "hsod_nd_%u_%u", w->conf.index, (unsigned)(p - w->ports));
	c6.name = nb;
	c6.socket_id = nc->socket_id;
	c6.neigh = nc->neigh;
	c6.pool = nc->pool;
	c6.learned = nc->learned != NULL ? neigh_learned6 : NULL;
	c6.learn_ctx = nc->learn_ctx;
	p->v6 = true;
	return hsod_net6_init(&p->net6, &c6);
}

/* Neighbour tables (and the frames they hold), then their pool. */
static void
ports_release(struct hsod_worker *w)
{
	for (unsigned i = 0; i < w->n_ports; i++) {
		hsod_net_fini(&w->ports[i].net);
		hsod_net6_fini(&w->ports[i].net6);
	}
	hsod_neigh_pool_free(w->neigh_pool);
	w->neigh_pool = NULL;
}

struct hsod_worker *
hsod_worker_create(const struct hsod_worker_conf *conf)
{
	const struct hsod_config *cfg = conf->cfg;
	struct hsod_worker *w = calloc(1, sizeof(*w));
	struct tcp_config tc;
	struct sess_config sc;
	char name[RTE_RING_NAMESIZE];

	if (w == NULL)
		return NULL;
	w->conf = *conf;
	if (conf->n_ports == 0 || conf->n_ports > cfg->n_ports || conf->fc == NULL) {
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
		p->chain_csum_off = p->csum_off && !conf->ports[i].chain_csum_sw;
		p->multiseg = (conf->ports[i].tx_offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
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
		if (conf->neigh_rings != NULL && conf->n_workers > 1) {
			nc.learned = neigh_learned4;
			nc.learn_ctx = p;
		}
		r = hsod_net_init(&p->net, &nc);
		if (r == 0)
			r = port_init6(w, p, pc, &nc);
		if (r != 0) {
			ports_release(w);
			free(w);
			errno = -r;
			return NULL;
		}
	}
	w->shm = conf->shm;
	w->fc = conf->fc;
	w->budget = cfg->app_conn_budget;
	w->us_per_tsc = (1000000ull << 32) / rte_get_tsc_hz();
	w->ev_room = rte_pktmbuf_data_room_size(conf->mp) - RTE_PKTMBUF_HEADROOM -
		     (uint32_t)sizeof(struct hso_shm_msg);
	if (rte_pktmbuf_data_room_size(conf->mp) < RTE_PKTMBUF_HEADROOM + 1024) {
		/* Event mbufs must hold a fair part of a record each. */
		ports_release(w);
		free(w);
		errno = EINVAL;
		return NULL;
	}
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
	worker_tcp_config(cfg, &tc);
	w->tpool.mp = conf->mp;
	w->tpool.owner_off = conf->shm->owner_off;
	tc.buf_ops.alloc = buf_alloc;
	tc.buf_ops.release = buf_release;
	tc.buf_ops.pool_level = buf_pool_level;
	tc.buf_ops.ctx = w;
	{
		/*
		 * TCP's share of the pool: what it holds by reference (frames
		 * received, records unacknowledged) may not take the mbufs
		 * handshakes, receiving and the applications need.
		 */
		uint32_t size = conf->mp->size;     /* [net] mbufs x ports */
		uint32_t reserve = cfg->app_pool_reserve != 0 ? cfg->app_pool_reserve : size / 4;
		uint32_t all = cfg->tcp_bufs != 0 ? cfg->tcp_bufs :
			       size > reserve ? (size - reserve) / 2 : 1;
		unsigned nw = conf->n_workers > 0 ? conf->n_workers : 1;

		tc.bufs_budget = all / nw > 0 ? all / nw : 1;
	}
	w->tcp = tcp_tbl_create(&tc);
	{
		struct hsod_limit_conf lc = {
			.entries = cfg->source_table, .rate = cfg->source_rate,
			.burst = cfg->source_burst,
		};

		w->limit = hsod_limit_create(&lc);
		w->src_prefix6 = cfg->source_prefix6;
	}
	worker_sess_config(cfg, &sc);
	sc.ops = &worker_sess_ops;
	sc.ctx = w;
	w->sess = sess_tbl_create(&sc);
	/* Handshake contexts: as many as may handshake at once, not max_conns. */
	w->tls = hs_worker_create(conf->hs, cfg->max_handshakes);
	w->cfgs[0].hs = conf->hs;
	w->cur = 0;
	if (w->tcp == NULL || w->limit == NULL || w->sess == NULL || w->tls == NULL) {
		int e = errno ? errno : ENOMEM;

		hsod_worker_free(w);
		errno = e;
		return NULL;
	}
	for (unsigned i = 0; i < cfg->n_listen; i++)
		tcp_tbl_listen(w->tcp, cfg->listen[i]);
	return w;
}

void
hsod_worker_free(struct hsod_worker *w)
{
	if (w == NULL)
		return;
	/* Sessions first (their engines, their sends), then what they used. */
	sess_tbl_free(w->sess);
	for (unsigned a = 0; a < HSO_APP_MAX; a++) {
		for (unsigned k = 0; k < w->apps[a].n_stage; k++)
			msg_wipe_free(w, w->apps[a].stage[k]);
		w->apps[a].n_stage = 0;
	}
	tcp_tbl_free(w->tcp);
	hsod_limit_free(w->limit);
	hs_worker_free(w->tls);
	ports_release(w);
	free(w);
}

/* ------------------------------------------------------------ the loop */

/* Parse the TCP segment passed up by net and give it to the table. */
static void
tcp_in(struct hsod_worker *w, struct wport *port, struct rte_mbuf *m, uint64_t now)
{
	struct tcp_seg seg;
	int rc = tcp_pkt_parse(m, &seg);

	if (rc != 0) {
		if (rc == -EILSEQ)
			w->stats.tcp_csum_bad++;
		else    /* RFC 9293 3.1: a data offset outside the segment: no header to trust */
			hsod_net_count_drop(&port->net, HSOD_DROP_TCP_HDR);
		rte_pktmbuf_free(m);
		return;
	}
	if (seg.buf == NULL)
		w->stats.rx_copied++;   /* no headroom for TCP's node: copied */
	tcp_tbl_input(w->tcp, &seg, now);
	if (seg.buf == NULL)
		rte_pktmbuf_free(m);    /* else TCP has it */
}

/* A connection TCP accepted: a session, or a RST. */
static struct sess *
accept_one(struct hsod_worker *w, uint64_t handle)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, handle);
	struct dp_sess *d;
	struct sess *s;
	struct hsod_limit_key src;
	unsigned ci = w->cur;

	if (tc == NULL)
		return NULL;
	if (w->n_active == 0) {
		/* No application attached: refuse it now, cheaply. */
		w->stats.conns_no_app++;
		tcp_conn_abort(w->tcp, tc);
		return NULL;
	}
	/*
	 * Before any TLS work (a session, a handshake context, then the
	 * private-key operation every handshake costs): is this source within
	 * its rate? (limit.h)
	 */
	{
		const struct tcp_tuple *t = tcp_conn_tuple(tc);

		src = t->v6 ? hsod_limit_key6(t->raddr6, w->src_prefix6) :
			      hsod_limit_key4(t->raddr);
	}
	if (!hsod_limit_take(w->limit, &src, w->now_us)) {
		w->stats.conns_rate_limited++;
		tcp_conn_abort(w->tcp, tc);
		return NULL;
	}
	s = sess_open(w->sess, handle, w->now_us);
	if (s == NULL) {
		/* Fail closed: no session slot, no connection. */
		w->stats.conns_refused++;
		tcp_conn_abort(w->tcp, tc);
		return NULL;
	}
	d = dp(s);
	hs_conn_init(&d->hs, w->tls, NULL, 0);
	d->cfg_slot = (uint8_t)ci;
	w->cfgs[ci].users++;
	/* Flow-control words now carry this connection's generation. */
	{
		struct hso_shm_conn *sc = hso_shm_conn(w->fc, w->shm, w->conf.index, s->idx);

		__atomic_store_n(&sc->rx_done, hso_shm_tag(s->gen, 0), __ATOMIC_RELEASE);
		__atomic_store_n(&sc->tx_done, hso_shm_tag(s->gen, 0), __ATOMIC_RELEASE);
	}
	tcp_conn_set_user(tc, (void *)(uintptr_t)sess_handle(s));
	return s;
}

/* TCP's events, once per burst: new sessions, something to do, the end. */
static unsigned
handle_events(struct hsod_worker *w)
{
	struct tcp_event ev[BURST];
	unsigned n, total = 0;

	while ((n = tcp_tbl_event_burst(w->tcp, ev, BURST)) > 0) {
		total += n;
		for (unsigned i = 0; i < n; i++) {
			struct sess *s;

			if (ev[i].events & TCP_EV_ACCEPT) {
				s = accept_one(w, ev[i].handle);
			} else {
				s = ev[i].user != NULL ?
				    sess_get(w->sess, (uint64_t)(uintptr_t)ev[i].user) : NULL;
				/* The slot may serve another session by now. */
				if (s != NULL && s->tcp != ev[i].handle)
					s = NULL;
			}
			if (!(ev[i].events & TCP_EV_CLOSED)) {
				if (s != NULL)
					sess_mark(w->sess, s);
				continue;
			}
			if (s == NULL) {
				/* Refused, or no session any more: TCP may free it. */
				struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, ev[i].handle);

				if (tc != NULL)
					tcp_conn_release(w->tcp, tc);
				continue;
			}
			sess_input(w->sess, s, (ev[i].events & TCP_EV_TIMEOUT) ? SESS_IN_TCP_TIMEOUT :
					       (ev[i].events & TCP_EV_RESET) ? SESS_IN_TCP_RESET :
					       SESS_IN_TCP_CLOSED);
		}
	}
	return total;
}

static unsigned
handle_commands(struct hsod_worker *w)
{
	unsigned total = 0;

	for (unsigned a = 0; a < HSO_APP_MAX; a++) {
		struct rte_mbuf *ms[BURST];
		unsigned n;

		if (!w->apps[a].active)
			continue;
		n = rte_ring_sc_dequeue_burst(w->apps[a].cmd, (void **)ms, BURST, NULL);
		total += n;
		for (unsigned i = 0; i < n; i++) {
			struct hso_shm_msg *h = rte_pktmbuf_mtod(ms[i], struct hso_shm_msg *);
			struct sess *s = sess_get(w->sess, h->conn);
			uint32_t need = sizeof(*h) + h->len;
			struct dp_sess *d;
			struct tcp_buf *b;

			w->stats.app_commands++;
			/* Ours now: out of the application's custody (app_shm.h). */
			*hso_shm_owner(ms[i], w->shm->owner_off) = 0;
			if (h->type == HSO_CMD_SEND)
				need += HSO_SHM_SEAL_HEAD + HSO_SHM_SEAL_TAIL;
			if (s == NULL || s->app != a || rte_pktmbuf_data_len(ms[i]) < need ||
			    rte_pktmbuf_headroom(ms[i]) < TCP_PKT_BUF_ROOM) {
				/* Gone, or not this application's, or malformed: dropped. */
				w->stats.app_commands_stale++;
				msg_wipe_free(w, ms[i]);
				continue;
			}
			d = dp(s);
			switch (h->type) {
			case HSO_CMD_CLOSE:
				msg_free(w, ms[i]);
				sess_input(w->sess, s, SESS_IN_APP_CLOSE);
				break;
			case HSO_CMD_SHUTDOWN:
				msg_free(w, ms[i]);
				sess_input(w->sess, s, SESS_IN_APP_SHUTDOWN);
				break;
			case HSO_CMD_SEND:
				if (!sess_takes_sends(s)) {
					/* After its close or shutdown, or the session ends. */
					w->stats.app_sends_dropped++;
					msg_wipe_free(w, ms[i]);
					tx_done(w, s, 1);
					break;
				}
				if (d->n_pend >= HSO_APP_SEND_WINDOW) {
					/* More than its send window: fail closed. */
					w->stats.app_backlog_aborts++;
					msg_wipe_free(w, ms[i]);
					sess_input(w->sess, s, SESS_IN_ABORT);
					break;
				}
				b = tcp_pkt_buf_of(ms[i]);
				b->next = NULL;
				if (d->pend_tail != NULL)
					d->pend_tail->next = b;
				else
					d->pend_head = b;
				d->pend_tail = b;
				d->n_pend++;
				sess_mark(w->sess, s);
				break;
			default:
				w->stats.app_commands_stale++;
				msg_free(w, ms[i]);
				break;
			}
		}
	}
	return total;
}

/*
 * Follow the application slots: start serving an application hsod's
 * control accepted; for one that detached or died, close its connections
 * (close_notify, FIN: its list only), drain its rings and acknowledge.
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
			sess_tbl_app_gone(w->sess, a);
			w->apps[a].open = 0;
			for (unsigned k = 0; k < w->apps[a].n_stage; k++)
				msg_wipe_free(w, w->apps[a].stage[k]);
			w->stats.app_msgs_discarded += w->apps[a].n_stage;
			w->apps[a].n_stage = 0;
			while (rte_ring_sc_dequeue(w->apps[a].cmd, (void **)&m) == 0) {
				msg_wipe_free(w, m);
				w->stats.app_msgs_discarded++;
			}
			/* We are the ring's only producer and the consumer is gone. */
			while (rte_ring_sc_dequeue(w->apps[a].ev, (void **)&m) == 0) {
				msg_wipe_free(w, m);
				w->stats.app_msgs_discarded++;
			}
			__atomic_fetch_or(&s->acks, bit, __ATOMIC_ACQ_REL);
		}
	}
}

/*
 * The frame of segment @p o for @p port: payload by reference when the port
 * takes chains, checksums by the port where it sums them right (the same
 * for both families: RTE_ETH_TX_OFFLOAD_TCP_CKSUM covers TCP over IPv6).
 */
static struct rte_mbuf *
seg_build(struct hsod_worker *w, const struct wport *port, const struct tcp_seg_out *o)
{
	if (port->multiseg)
		/* A segment with payload is a chain: header, then pieces. */
		return tcp_pkt_build_ref(w->conf.mp, o, o->n_pieces > 0 ?
					 port->chain_csum_off : port->csum_off);
	w->stats.tx_copied += o->n_pieces > 0;
	return tcp_pkt_build(w->conf.mp, o, port->csum_off);
}

/* An IPv6 segment of the TCP table's output: by the port that has its local address. */
static void
emit6(struct hsod_worker *w, const struct tcp_seg_out *o, uint64_t now)
{
	struct rte_mbuf *m;

	for (unsigned i = 0; i < w->n_ports; i++) {
		struct wport *p = &w->ports[i];

		if (!p->v6 || memcmp(p->net6.addr, o->tuple.laddr6, 16) != 0)
			continue;
		m = seg_build(w, p, o);
		if (m == NULL) {
			w->stats.tx_dropped++;
			return;
		}
		/* Sent, or held (in order) until Neighbor Discovery answers. */
		hsod_net6_output(&p->net6, m, o->tuple.raddr6, now);
		return;
	}
	w->stats.tx_dropped++;
}

/* Turn the TCP table's output into packets: payload by reference when the port can. */
static void
emit(struct hsod_worker *w, uint64_t now)
{
	unsigned n;
	const struct tcp_seg_out *o = tcp_tbl_output(w->tcp, &n);
	struct wport *port = &w->ports[0];

	for (unsigned i = 0; i < n; i++, o++) {
		struct rte_mbuf *m;

		if (o->tuple.v6) {
			emit6(w, o, now);
			continue;
		}
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
		m = seg_build(w, port, o);
		if (m == NULL) {
			w->stats.tx_dropped++;
			continue;
		}
		/* Sent, or held (in order) until ARP answers: TCP need not retransmit. */
		hsod_net_output(&port->net, m, o->tuple.raddr, now);
	}
	tcp_tbl_output_clear(w->tcp);
}

/*
 * Every TCP segment's hash bucket fetched before the first segment is
 * handled: with many connections the tuple hash is larger than the cache
 * (16 MiB at a million), and one miss per segment, taken one after the
 * other, was part of what idle connections added to a handshake. A run of
 * one flow's segments needs one fetch (the table also finds the last flow
 * first).
 */
static void
rx_prefetch(struct hsod_worker *w, struct rte_mbuf **rx, uint16_t n)
{
	struct tcp_tuple tu, prev;
	bool have = false;

	for (uint16_t i = 0; i < n; i++) {
		if (tcp_pkt_peek_tuple(rx[i], &tu) != 0)
			continue;
		if (have && tu.raddr == prev.raddr && tu.rport == prev.rport &&
		    tu.laddr == prev.laddr && tu.lport == prev.lport)
			continue;
		tcp_tbl_prefetch(w->tcp, &tu);
		prev = tu;
		have = true;
	}
}

void
hsod_worker_poll(struct hsod_worker *w, uint64_t now)
{
	struct rte_mbuf *rx[BURST];
	bool busy = sess_tbl_marked(w->sess) > 0;  /* left from the last poll (crypto) */

	w->poll_tsc = rte_rdtsc();
	w->now_us = now;
	apps_sync(w);
	/* Ports the control path takes away (gates, worker.h): read once per poll. */
	if (w->conf.gates != NULL) {
		for (unsigned p = 0; p < w->n_ports; p++) {
			struct hsod_port_gate *g = &w->conf.gates[p];
			uint32_t want = atomic_load_explicit(&g->want, memory_order_acquire);

			w->ports[p].off = (want & 1) != 0;
			atomic_store_explicit(&g->seen[w->conf.index], want, memory_order_release);
		}
	}
	/* Before the burst: a frame for a neighbour another worker just resolved is sent at once. */
	busy |= neigh_share_drain(w, now) > 0;
	/* A burst from every port; ARP and ICMP are answered on the port they came by. */
	for (unsigned p = 0; p < w->n_ports; p++) {
		struct wport *port = &w->ports[p];
		uint16_t n = port->off ? 0 : rte_eth_rx_burst(port->id, w->conf.queue, rx, BURST);

		if (n == 0)
			continue;
		busy = true;
		w->stats.rx_packets += n;
		w->stats.port_rx_packets[p] += n;
		rx_prefetch(w, rx, n);
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = rx[i];

			enum hsod_verdict v = port->v6 && hsod_net6_is_ipv6(m) ?
					      hsod_net6_input(&port->net6, m, now) :
					      hsod_net_input(&port->net, m, now);

			switch (v) {
			case HSOD_NET_REPLY:
				tx_one(w, port, m);
				break;
			case HSOD_NET_TCP:
				/* TCP keeps what it receives, even past a RST, until
				 * the session took it: events wait for the burst. */
				tcp_in(w, port, m, now);
				break;
			default:
				rte_pktmbuf_free(m);
				break;
			}
		}
	}
	/* Everything that happened, once: TCP's events, the applications' commands. */
	busy |= handle_events(w) > 0;
	busy |= handle_commands(w) > 0;
	/* Sessions waiting for their application try again (not work by itself). */
	sess_tbl_retry_stalled(w->sess, STALL_RETRY);
	/* Every touched session runs, the crypto batch runs once, they run again. */
	sess_tbl_run(w->sess);
	busy |= hs_worker_run(w->tls) > 0;
	sess_tbl_run(w->sess);
	/*
	 * Deadlines: retransmissions, delayed ACKs, idle and handshake
	 * timeouts. Timers that fired are work too.
	 */
	busy |= tcp_tbl_tick(w->tcp, now) > 0;
	busy |= sess_tbl_tick(w->sess, now) > 0;
	for (unsigned p = 0; p < w->n_ports; p++) {
		hsod_net_tick(&w->ports[p].net, now);   /* ARP retries, probes, ageing */
		if (w->ports[p].v6)
			hsod_net6_tick(&w->ports[p].net6, now);
	}
	busy |= handle_events(w) > 0;   /* closes from timers and aborts */
	sess_tbl_run(w->sess);
	for (unsigned a = 0; a < HSO_APP_MAX; a++)
		stage_flush(w, a);
	emit(w, now);
	for (unsigned p = 0; p < w->n_ports; p++)
		tx_flush(w, &w->ports[p]);
	if (busy) {
		hsod_lcore_busy(&w->clock);
		return;
	}
	hsod_lcore_idle(&w->clock);
	/*
	 * Idle: pre-generate ECDHE keys off the critical path. That is work
	 * for the handshakes to come, charged as such (keygen_cycles).
	 */
	if (hs_worker_pool_refill(w->tls, 1) > 0)
		hsod_lcore_busy_part(&w->clock, &w->clock.st.keygen_cycles);
}

/* ------------------------------------------------------- reload, drain */

int
hsod_worker_use_tls(struct hsod_worker *w, const struct hs_config *hs)
{
	/* Entries do not move: sessions name the one they began with. */
	for (unsigned i = 0; i <= RETIRED_MAX; i++) {
		if (w->cfgs[i].hs == NULL) {
			w->cfgs[i].hs = hs;
			w->cfgs[i].users = 0;
			w->cur = i;
			hs_worker_set_config(w->tls, hs);
			return 0;
		}
	}
	return -ENOSPC;
}

const struct hs_config *
hsod_worker_released(struct hsod_worker *w)
{
	/* Retired configs no session of this worker uses any more (counted, not searched). */
	for (unsigned i = 0; i <= RETIRED_MAX; i++) {
		if (i != w->cur && w->cfgs[i].hs != NULL && w->cfgs[i].users == 0) {
			const struct hs_config *old = w->cfgs[i].hs;

			w->cfgs[i].hs = NULL;
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
		unsigned handshaking = tcp_tbl_stats(w->tcp)->conns[TCP_SYN_RCVD] +
				       sess_tbl_handshaking(w->sess);

		if (handshaking > 0 && now < w->drain_deadline)
			return false;
		/* Every session: close_notify, then FIN (its own lists, not every slot). */
		sess_tbl_drain(w->sess);
		w->closing_all = true;
		w->flush_deadline = now + HSOD_DRAIN_FLUSH_US;
		return false;
	}
	return now >= w->flush_deadline || sess_tbl_live(w->sess) == 0;
}

void
hsod_worker_announce(struct hsod_worker *w)
{
	for (unsigned p = 0; p < w->n_ports; p++) {
		struct rte_mbuf *g = hsod_net_garp(&w->ports[p].net, w->conf.mp);

		if (g != NULL)
			tx_one(w, &w->ports[p], g);
		/* IPv6: an unsolicited Neighbor Advertisement (RFC 4861 7.2.6). */
		if (w->ports[p].v6 &&
		    (g = hsod_net6_unsolicited_na(&w->ports[p].net6, w->conf.mp)) != NULL)
			tx_one(w, &w->ports[p], g);
		tx_flush(w, &w->ports[p]);
	}
}

unsigned hsod_worker_conn_slots(const struct hsod_worker *w) { return w->conf.cfg->max_conns; }
uint64_t hsod_worker_app_sessions(const struct hsod_worker *w, unsigned app) { return w->apps[app].sessions; }
unsigned hsod_worker_app_open(const struct hsod_worker *w, unsigned app) { return w->apps[app].open; }
unsigned hsod_worker_lcore(const struct hsod_worker *w) { return w->conf.lcore; }
const struct hsod_worker_stats *hsod_worker_stats(const struct hsod_worker *w) { return &w->stats; }
unsigned hsod_worker_ports(const struct hsod_worker *w) { return w->n_ports; }
const struct tcp_stats *hsod_worker_tcp_stats(const struct hsod_worker *w) { return tcp_tbl_stats(w->tcp); }
const struct hs_worker_stats *hsod_worker_tls_stats(const struct hsod_worker *w) { return &w->tls->stats; }
const struct hsod_limit_stats *hsod_worker_limit_stats(const struct hsod_worker *w) { return hsod_limit_stats(w->limit); }
const struct sess_stats *hsod_worker_sess_stats(const struct hsod_worker *w) { return sess_tbl_stats(w->sess); }
const struct hsod_latency *hsod_worker_latency(const struct hsod_worker *w) { return &w->latency; }
struct hsod_lcore_clock *hsod_worker_clock(struct hsod_worker *w) { return &w->clock; }
uint32_t hsod_worker_sessions_touched(const struct hsod_worker *w) { return sess_tbl_touched(w->sess); }

size_t
hsod_worker_conn_bytes(const struct hsod_worker *w)
{
	return sess_tbl_slot_bytes(w->sess) + tcp_tbl_conn_bytes(w->tcp) + sizeof(struct hso_shm_conn);
}

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

const struct hsod_net6_stats *
hsod_worker_net6_stats(const struct hsod_worker *w, unsigned port)
{
	return w->ports[port].v6 ? &w->ports[port].net6.stats : NULL;
}

const struct hsod_neigh_stats *
hsod_worker_neigh6_stats(const struct hsod_worker *w, unsigned port)
{
	return w->ports[port].v6 ? hsod_neigh_stats(hsod_net6_neigh(&w->ports[port].net6)) : NULL;
}
