/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One hso-gen worker: the port's packets through net and TCP, a slot per
 * connection in one explicit lifecycle state, the load model, deadlines
 * and counters. Contract in gen_worker.h.
 *
 * A connection's life (enum gc_state, changed only by gc_set()):
 *
 *   FREE -> CONNECTING (SYN sent) -> HANDSHAKE (TCP up, TLS going)
 *        -> [REQUEST] -> [HOLD] -> FREE (closed as --close says)
 *
 * and from any state but FREE to FREE on an error, counted by kind. A slot
 * is free again as soon as its connection is closed or failed; what TCP
 * still does for it (FIN_WAIT, TIME_WAIT, answering a late segment) lives
 * in the TCP table alone, whose later events for the old handle are
 * recognised as stale and ignored.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_thash.h>

#include <arpa/inet.h>

#include "gen_http.h"
#include "gen_load.h"
#include "cfg_ip6.h"
#include "gen_wire.h"
#include "gen_worker.h"
#include "tcp_pkt.h"
/* The TCP core's hashed timer wheel: O(1) arm and cancel, no DPDK. */
#include "tcp_priv.h"


/* Open-loop arrivals waiting for a slot, at most (per worker). */
#define BACKLOG_MAX (1u << 16)
/* How long the probe waits for ARP and for its connection. */
#define PROBE_ARP_US (3 * US_PER_S)
#define PROBE_CONNECT_US (3 * US_PER_S)
/* Segments held per worker while ARP resolves the next hop. */
#define NEIGH_HELD 4096
/* Sessions an lcore keeps for resumption (the oldest is replaced). */
#define SESS_MAX 64
/* Once that many are kept, one full handshake in SESS_REFRESH keeps its own. */
#define SESS_REFRESH 16
/* TLS 1.3: how long a finished connection waits for a ticket to keep. */
#define TICKET_WAIT_US 1000000u
/*
 * Then the worker keeps polling this long with nothing of its own going:
 * the last segments (a Finished, a RST) reach the peer before the port
 * closes (a memif ring goes with its link), and what the server still
 * sends is answered (RST) rather than left to its retransmission timers.
 */
#define LINGER_US 250000u
/* An open-loop connection started this late is counted as late. */
#define LATE_US 1000u

#define GEN_ERR_NAME(name, doc) #name,
static const char *const err_names[GEN_ERR_NUM] = { GEN_ERRORS(GEN_ERR_NAME) };
#undef GEN_ERR_NAME
#define GEN_ERR_DOC(name, doc) doc,
static const char *const err_docs[GEN_ERR_NUM] = { GEN_ERRORS(GEN_ERR_DOC) };
#undef GEN_ERR_DOC

const char *
gen_err_name(enum gen_err e)
{
	return (unsigned)e < GEN_ERR_NUM ? err_names[e] : "?";
}

const char *
gen_err_doc(enum gen_err e)
{
	return (unsigned)e < GEN_ERR_NUM ? err_docs[e] : "?";
}


static const char *const gc_state_names[GC_STATE_NUM] = {
	[GC_FREE] = "FREE",
	[GC_CONNECTING] = "CONNECTING",
	[GC_HANDSHAKE] = "HANDSHAKE",
	[GC_REQUEST] = "REQUEST",
	[GC_TICKET] = "TICKET",
	[GC_HOLD] = "HOLD",
};

struct gen_conn {
	struct tcp_timer timer;     /* first: the wheel hands us this pointer */
	uint8_t state;              /* enum gc_state */
	bool dirty;
	bool peer_fin;              /* TCP: the server sent FIN */
	bool keep_session;          /* store this connection's session once it has one */
	uint32_t idx;
	uint64_t tcp;               /* TCP handle */
	uint64_t start_ns;          /* intended start (open loop) or start */
	struct gen_http http;       /* --request: the response so far */
	struct hs_conn hs;
};

enum phase {
	PH_IDLE = 0,                /* probing, no load */
	PH_WARMUP,
	PH_RUN,                     /* counted */
	PH_DRAIN,                   /* no new connections; in-flight ones finish */
	PH_LINGER,                  /* nothing of ours left: answer stragglers */
	PH_DONE,
};

enum probe {
	PR_ARP = 0,
	PR_CONNECT,
	PR_WAIT,
	PR_OK,
	PR_FAILED,
};

struct gen_worker {
	struct gen_worker_conf conf;
	const struct gen_config *cfg;
	struct gen_wire wire;
	struct hsod_net net;        /* must not move: its neighbour table points back */
	struct hsod_net6 net6;      /* IPv6 target (cfg->v6): live; else zeroed */
	uint8_t next_hop6[16];
	struct hsod_neigh_pool *neigh_pool;
	struct tcp_tbl *tcp;
	struct tcp_pkt_pool tpool;      /* TCP's buffers: mbufs of conf->mp */
	uint64_t now_us, now_ns;
	uint32_t next_hop;

	struct gen_conn *conns;
	unsigned n_slots;
	uint32_t *free_slots;
	unsigned n_free;
	struct gen_conn **dirty;
	unsigned n_dirty;
	/* Each connection's deadline (or ticket wait): one timer on the wheel. */
	struct tcp_wheel wheel;

	/* TLS */
	const struct hs_client_config *cc;
	struct hs_worker *tls;
	struct hs_client_session *sess;     /* SESS_MAX kept for resumption */
	unsigned n_sess, sess_next, sess_pick;
	uint64_t full_since_store;          /* full handshakes since one was kept */
	uint64_t rng;
	/* A record's plaintext (the response, or what nobody wants): room
	 * for the largest a record may open into (TLS 1.2: 2^14 + 2048). */
	uint8_t sink[HS_RECORD_MAX];

	/* load */
	enum phase phase;
	bool stopping;              /* gen_worker_stop(): no more starts */
	uint64_t warm_end_us, run_end_us, drain_end_us, run_start_us;
	uint64_t window_end_us;
	uint32_t concurrency;       /* this worker's share: in progress at once */
	uint32_t hold;              /* ... of --hold */
	uint32_t hold_cursor;       /* the end: conns[] below it are no longer held */
	uint64_t hold_close_from_us; /* ... and when closing them began */
	uint64_t hold_closed;       /* ... how many were closed since */
	uint64_t hold_tx_dropped;   /* ... the port's refusals seen so far */
	uint64_t count;             /* ... of --count (0: none) */
	struct gen_sched sched;
	bool open_loop;
	uint64_t *backlog;          /* intended starts (µs) waiting for a slot */
	unsigned bl_head, bl_n;

	/* probe */
	enum probe probe;
	uint64_t probe_until;
	uint64_t probe_tcp;
	bool probe_timed_out;       /* why it failed: no answer (else RST) */
	bool probe_announced;

	/* --syn-flood: this lcore's share, sent in [flood_from, flood_to) */
	double flood_pps;
	uint64_t flood_from_us, flood_to_us;
	uint64_t flood_rng;

	struct gen_stats stats, base;
	struct gen_wire_stats base_packets;
	struct tcp_stats base_tcp;
	struct gen_hist hist;
};

/* ------------------------------------------------------------------ utils */

static void
count_err(struct gen_worker *w, enum gen_err e)
{
	/* Only the measured window counts; errors while warming or draining
	 * are not the run's (the JSON says what the window was). */
	if (w->phase == PH_RUN)
		w->stats.errors[e]++;
	else if (w->phase == PH_DRAIN) {
		w->stats.drain_failed++;    /* seen, so that nothing fails unseen */
		w->stats.drain_errors[e]++;
	}
}

static void
mark_dirty(struct gen_worker *w, struct gen_conn *c)
{
	if (!c->dirty) {
		c->dirty = true;
		w->dirty[w->n_dirty++] = c;
	}
}

/* The one place a connection changes state. */
static void
gc_set(struct gen_worker *w, struct gen_conn *c, enum gc_state s)
{
	if (c->state == GC_HOLD)
		w->stats.held--;
	if (s == GC_HOLD)
		w->stats.held++;
	if (c->state != GC_FREE && c->state != GC_HOLD && (s == GC_FREE || s == GC_HOLD))
		w->stats.inflight--;
	c->state = (uint8_t)s;
	if (s == GC_FREE || s == GC_HOLD)
		tcp_wheel_cancel(&c->timer);    /* held ones have no deadline */
	if (s == GC_FREE) {
		c->tcp = 0;
		if (w->tls != NULL)
			hs_conn_reset(&c->hs);      /* secrets wiped */
		w->free_slots[w->n_free++] = c->idx;
	}
}

/* The engine's output into TCP's send ring (queued in SYN_SENT). */
static void
flush_out(struct gen_worker *w, struct gen_conn *c, struct tcp_conn *tc)
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

/* A copy of the first @p n bytes of @p iov[0..cnt) at @p dst. */
static void
iov_gather(const struct iovec *iov, unsigned cnt, uint8_t *dst, size_t n)
{
	for (unsigned i = 0; i < cnt && n > 0; i++) {
		size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;

		memcpy(dst, iov[i].iov_base, k);
		dst += k;
		n -= k;
	}
}

/*
 * TCP's in-order bytes into the engine, one whole record at a time, opened
 * straight from TCP's mbufs (the engine's own record path, so a held
 * connection can give its handshake context back). Application data goes
 * to the response being read (--request), or nowhere.
 */
static void
pump_in(struct gen_worker *w, struct gen_conn *c, struct tcp_conn *tc)
{
	while (tc != NULL && !hs_conn_waiting(&c->hs) &&
	       hs_conn_status(&c->hs) <= HS_STATUS_ESTABLISHED) {
		struct iovec iov[128], rec[128];
		struct iovec dst = { .iov_base = w->sink, .iov_len = sizeof(w->sink) };
		uint8_t hdr[HS_RECORD_HEADER_LEN];
		uint32_t avail, left;
		unsigned n = tcp_conn_rx_peek(tc, iov, 128, &avail), k = 0;
		int rl, r;

		if (avail < HS_RECORD_HEADER_LEN)
			break;
		iov_gather(iov, n, hdr, sizeof(hdr));
		rl = hs_conn_record_size(&c->hs, hdr);
		if (rl < 0 || avail < (uint32_t)rl)
			break;
		for (left = (uint32_t)rl; k < n && left > 0; k++) {
			rec[k] = iov[k];
			if (rec[k].iov_len > left)
				rec[k].iov_len = left;
			left -= (uint32_t)rec[k].iov_len;
		}
		r = hs_conn_open_record(&c->hs, rec, k, &dst, 1, NULL);
		if (r < 0)
			break;          /* waiting for the batch, or failed */
		tcp_conn_rx_release(w->tcp, tc, (uint32_t)rl);
		if (r > 0 && c->state == GC_REQUEST)
			gen_http_feed(&c->http, w->sink, (size_t)r);
		/* Answers (KeyUpdate, alerts) before anything else. */
		flush_out(w, c, tc);
	}
	/*
	 * A record that needs crypto (ServerHello's ECDHE, the server's
	 * signature, a key schedule stage) stops the pump: the records behind
	 * it wait in TCP, and nothing else will wake this connection (the
	 * server sent its whole flight), so it runs again after the next batch.
	 */
	if (hs_conn_waiting(&c->hs))
		mark_dirty(w, c);
}

/* Give up a connection: reset what TCP holds, count why, free the slot. */
static void
gc_fail(struct gen_worker *w, struct gen_conn *c, enum gen_err why)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, c->tcp);

	if (tc != NULL)
		tcp_conn_abort(w->tcp, tc);
	if (w->phase == PH_DRAIN)
		w->stats.drain_failed_in[c->state]++;
	count_err(w, why);
	gc_set(w, c, GC_FREE);
}

/* Its work is done: close it as --close says, free the slot. */
static void
gc_close(struct gen_worker *w, struct gen_conn *c)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, c->tcp);

	if (tc != NULL) {
		if (w->cfg->close == GEN_CLOSE_CLOSE_NOTIFY && w->tls != NULL &&
		    hs_conn_status(&c->hs) == HS_STATUS_ESTABLISHED) {
			/* RFC 8446 6.1: close_notify, then our FIN after it. */
			hs_conn_close(&c->hs);
			flush_out(w, c, tc);
		}
		if (w->cfg->close == GEN_CLOSE_RST || tcp_conn_close(w->tcp, tc) != 0)
			tcp_conn_abort(w->tcp, tc);
	}
	if (w->phase == PH_RUN)
		w->stats.closed++;
	else if (w->phase == PH_DRAIN)
		w->stats.drain_done++;
	gc_set(w, c, GC_FREE);
}

/* Keep this connection's session for later ones (the oldest goes). */
static void
session_keep(struct gen_worker *w, struct gen_conn *c)
{
	struct hs_client_session *s = &w->sess[w->sess_next];

	if (hs_conn_client_session(&c->hs, s) != 0)
		return;
	w->sess_next = (w->sess_next + 1) % SESS_MAX;
	if (w->n_sess < SESS_MAX)
		w->n_sess++;
	w->full_since_store = 0;
	c->keep_session = false;
	w->stats.sessions_stored++;
}

/* Its work is done (handshake, response, ticket): hold it or close it. */
static void
gc_finish(struct gen_worker *w, struct gen_conn *c)
{
	if (c->keep_session)
		session_keep(w, c);
	/* Done only once the holding is over (the drain): closed, not held. */
	if (w->cfg->hold > 0 && w->phase < PH_DRAIN) {
		gc_set(w, c, GC_HOLD);
		/* Held idle: only its resident state stays (the context goes back). */
		if (w->tls != NULL && hs_conn_hctx_release(&c->hs) == -EBUSY)
			mark_dirty(w, c);
		return;
	}
	gc_close(w, c);
}

/* The handshake is done: counted and timed (the latency's end point). */
static void
gc_handshake_done(struct gen_worker *w, struct gen_conn *c)
{
	struct hs_session_info si;

	if (w->tls != NULL) {
		hs_conn_session_info(&c->hs, &si);
		/* A session to keep: the store fills first, then is refreshed. */
		if (w->cfg->resume > 0 && !si.resumed &&
		    (w->n_sess < SESS_MAX || ++w->full_since_store >= SESS_REFRESH))
			c->keep_session = true;
	}
	if (w->phase != PH_RUN)
		return;
	gen_hist_record(&w->hist, w->now_ns > c->start_ns ? w->now_ns - c->start_ns : 0);
	w->stats.handshakes++;
	if (w->flood_pps > 0) {
		if (w->now_us < w->flood_from_us)
			w->stats.hs_before_flood++;
		else if (w->now_us < w->flood_to_us)
			w->stats.hs_during_flood++;
	}
	if (w->tls == NULL)
		return;
	{
		int s = hs_suite_index(si.suite);
		unsigned g = si.group == HS_GROUP_X25519 ? 1 : si.group == HS_GROUP_SECP256R1 ? 2 :
			     si.group == HS_GROUP_SECP384R1 ? 3 : 0;

		w->stats.by_version[si.version == HS_TLS13]++;
		if (s >= 0)
			w->stats.by_suite[s]++;
		w->stats.by_group[g]++;
		if (si.resumed)
			w->stats.resumed++;
	}
}

/* --------------------------------------------------------------- starting */

static bool
rss_accept(void *arg, const struct tcp_tuple *tu)
{
	const struct gen_worker *w = arg;
	uint32_t h;

	if (tu->v6) {
		/* RSS over IPv6 TCP: source address, destination, ports (host order words). */
		uint32_t in[9];

		for (unsigned i = 0; i < 4; i++) {
			in[i] = rte_be_to_cpu_32(((const unaligned_uint32_t *)tu->raddr6)[i]);
			in[4 + i] = rte_be_to_cpu_32(((const unaligned_uint32_t *)tu->laddr6)[i]);
		}
		in[8] = (uint32_t)tu->rport << 16 | tu->lport;
		h = rte_softrss(in, 9, w->conf.rss_key);
	} else {
		/* The server's answers: from (raddr, rport) to (laddr, lport). */
		uint32_t in[3] = { tu->raddr, tu->laddr, (uint32_t)tu->rport << 16 | tu->lport };

		h = rte_softrss(in, 3, w->conf.rss_key);
	}
	return w->conf.reta[h % w->conf.reta_size] == w->conf.queue;
}

/* An active open to the target, over its family. */
static int
connect_target(struct gen_worker *w, void *user, uint64_t now_us, uint64_t *h)
{
	if (w->cfg->v6)
		return tcp_tbl_connect6(w->tcp, w->cfg->target6, w->cfg->target_port, user,
					now_us, h);
	return tcp_tbl_connect(w->tcp, w->cfg->target, w->cfg->target_port, user, now_us, h);
}

/* Begin a connection whose intended start was @p start_ns. */
static int
gc_start(struct gen_worker *w, uint64_t start_ns)
{
	struct gen_conn *c;
	int rc;

	if (w->n_free == 0)
		return -ENOSPC;
	c = &w->conns[w->free_slots[--w->n_free]];
	c->start_ns = start_ns;
	rc = connect_target(w, c, w->now_us, &c->tcp);
	if (rc != 0) {
		/* No 4-tuple free (or no TCP slot): the source space is too small
		 * for the load (more --sources, a wider --ports, RST closes). */
		w->free_slots[w->n_free++] = c->idx;
		count_err(w, GEN_ERR_no_port);
		return rc;
	}
	c->state = GC_CONNECTING;
	c->peer_fin = false;
	c->keep_session = false;
	w->stats.inflight++;
	if (w->phase == PH_RUN)
		w->stats.started++;
	if (w->tls != NULL) {
		const struct hs_client_session *offer = NULL;

		/* --resume: a draw per connection, a kept session round robin. */
		if (w->cfg->resume > 0 && w->n_sess > 0 && gen_rand01(&w->rng) < w->cfg->resume) {
			offer = &w->sess[w->sess_pick++ % w->n_sess];
			if (w->phase == PH_RUN)
				w->stats.resume_offered++;
		}
		/* The ClientHello (maybe after the batch makes a key share)
		 * waits in TCP's send ring and leaves with the third segment. */
		if (hs_conn_init_client(&c->hs, w->tls, w->cc, NULL, 0) != 0 ||
		    hs_conn_client_start(&c->hs, offer) != 0) {
			gc_fail(w, c, GEN_ERR_tls_error);
			if (w->phase == PH_RUN)
				w->stats.alerts_sent[255]++;
			return -EIO;
		}
		mark_dirty(w, c);
	}
	tcp_wheel_insert(&w->wheel, &c->timer, w->now_us + (uint64_t)w->cfg->timeout_ms * 1000);
	return 0;
}

static bool
may_start(const struct gen_worker *w)
{
	if ((w->phase != PH_WARMUP && w->phase != PH_RUN) || w->stopping)
		return false;
	/* --count: the measured handshakes, with those in progress. */
	if (w->count > 0 && w->stats.handshakes + w->stats.inflight >= w->count)
		return false;
	return true;
}

/* New connections as the load model says. */
static unsigned
load_step(struct gen_worker *w)
{
	unsigned started = 0;

	if (!may_start(w))
		return 0;
	if (w->cfg->hold > 0) {
		while (w->stats.held + w->stats.inflight < w->hold &&
		       w->stats.inflight < w->concurrency && may_start(w) &&
		       gc_start(w, w->now_ns) == 0)
			started++;
		return started;
	}
	if (!w->open_loop) {
		while (w->stats.inflight < w->concurrency && may_start(w) &&
		       gc_start(w, w->now_ns) == 0)
			started++;
		return started;
	}
	{
		uint64_t at;

		while (gen_sched_due(&w->sched, w->now_us, &at)) {
			if (w->phase == PH_RUN)
				w->stats.arrivals++;
			if (w->bl_n == BACKLOG_MAX) {
				count_err(w, GEN_ERR_overload);
				continue;
			}
			w->backlog[(w->bl_head + w->bl_n) % BACKLOG_MAX] = at;
			w->bl_n++;
		}
	}
	while (w->bl_n > 0 && w->stats.inflight < w->cfg->max_inflight && may_start(w)) {
		uint64_t at = w->backlog[w->bl_head];

		if (gc_start(w, at * 1000) != 0)
			break;
		if (w->now_us - at > LATE_US && w->phase == PH_RUN)
			w->stats.late_starts++;
		w->bl_head = (w->bl_head + 1) % BACKLOG_MAX;
		w->bl_n--;
		started++;
	}
	return started;
}

/*
 * A connection's timer: its deadline (--timeout from its start) passed, or
 * (TICKET) the wait for a TLS 1.3 ticket ended, which is not an error.
 */
static void
timer_fire(struct tcp_timer *tm, void *arg)
{
	struct gen_worker *w = arg;
	struct gen_conn *c = (struct gen_conn *)(void *)tm;

	switch (c->state) {
	case GC_FREE:
	case GC_HOLD:
		return;
	case GC_TICKET:
		w->stats.tickets_missing++;
		c->keep_session = false;
		gc_finish(w, c);
		return;
	default:
		if (w->phase == PH_RUN)
			w->stats.timeouts_in[c->state]++;
		gc_fail(w, c, c->state == GC_CONNECTING ? GEN_ERR_connect_timeout :
			      GEN_ERR_timeout);
		return;
	}
}

/* ------------------------------------------------------------- TCP events */

static void
probe_event(struct gen_worker *w, const struct tcp_event *ev)
{
	if (ev->handle != w->probe_tcp || w->probe != PR_WAIT)
		return;
	if (ev->events & TCP_EV_CONNECTED) {
		struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, ev->handle);

		if (tc != NULL)
			tcp_conn_abort(w->tcp, tc);
		w->probe = PR_OK;
	} else if (ev->events & TCP_EV_CLOSED) {
		w->probe = PR_FAILED;
		w->probe_timed_out = (ev->events & TCP_EV_TIMEOUT) != 0;
	}
}

static void
handle_events(struct gen_worker *w)
{
	struct tcp_event ev[GEN_BURST];
	uint64_t closed[GEN_BURST];
	unsigned n, n_closed = 0;

	while ((n = tcp_tbl_event_burst(w->tcp, ev, GEN_BURST)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct gen_conn *c = ev[i].user;

			/* Over: whatever we do with it below, TCP may free it after. */
			if (ev[i].events & TCP_EV_CLOSED)
				closed[n_closed++] = ev[i].handle;
			if (c == NULL) {
				probe_event(w, &ev[i]);
				continue;
			}
			if (c->state == GC_FREE || c->tcp != ev[i].handle)
				continue;       /* a connection we are done with */
			if (ev[i].events & TCP_EV_CLOSED) {
				enum gen_err why;

				if (c->state == GC_CONNECTING)
					why = (ev[i].events & TCP_EV_TIMEOUT) ?
					      GEN_ERR_connect_timeout : GEN_ERR_refused;
				else if (c->state == GC_HOLD)
					why = GEN_ERR_hold_lost;
				else if (ev[i].events & TCP_EV_TIMEOUT)
					why = GEN_ERR_timeout;
				else if (ev[i].events & TCP_EV_RESET)
					why = GEN_ERR_reset;
				else
					why = GEN_ERR_closed;
				c->tcp = 0;     /* gone: nothing to abort */
				gc_fail(w, c, why);
				continue;
			}
			if (ev[i].events & TCP_EV_CONNECTED) {
				if (w->phase == PH_RUN)
					w->stats.connected++;
				gc_set(w, c, GC_HANDSHAKE);
			}
			if (ev[i].events & TCP_EV_PEER_FIN)
				c->peer_fin = true;
			/* Into the engine now: a RST later in the burst would
			 * discard what TCP holds. */
			if ((ev[i].events & TCP_EV_READABLE) && w->tls != NULL)
				pump_in(w, c, tcp_tbl_conn_get(w->tcp, c->tcp));
			mark_dirty(w, c);
		}
		for (unsigned i = 0; i < n_closed; i++) {
			struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, closed[i]);

			if (tc != NULL)
				tcp_conn_release(w->tcp, tc);
		}
		n_closed = 0;
	}
}

/* The request of --request: the line, a Host header, the blank line. */
static void
request_send(struct gen_worker *w, struct gen_conn *c, struct tcp_conn *tc)
{
	char req[GEN_REQUEST_MAX + GEN_SNI_MAX + 32];
	int n;

	if (w->cfg->sni[0] != '\0')
		n = snprintf(req, sizeof(req), "%s\r\nHost: %s\r\n\r\n", w->cfg->request,
			     w->cfg->sni);
	else
		n = snprintf(req, sizeof(req), "%s\r\nHost: %u.%u.%u.%u\r\n\r\n", w->cfg->request,
			     w->cfg->target >> 24, (w->cfg->target >> 16) & 255,
			     (w->cfg->target >> 8) & 255, w->cfg->target & 255);
	/* One record, sealed into one buffer, then to TCP (after the engine's own output). */
	{
		struct iovec d = { .iov_base = req, .iov_len = (size_t)n };
		uint8_t rec[GEN_REQUEST_MAX + GEN_SNI_MAX + 32 + HS_SEAL_HEADROOM_MAX +
			    HS_SEAL_TAILROOM_MAX];
		int rl;

		flush_out(w, c, tc);
		rl = hs_conn_seal_record_copy(&c->hs, &d, 1, rec, sizeof(rec));
		if (rl > 0)
			tcp_conn_write(w->tcp, tc, rec, (size_t)rl);
	}
	gen_http_init(&c->http);
	if (w->phase == PH_RUN)
		w->stats.requests++;
}

/* The server ended its side: FIN with nothing left to read, or close_notify. */
static bool
peer_done(struct gen_worker *w, struct gen_conn *c, struct tcp_conn *tc)
{
	return (c->peer_fin && tcp_conn_readable(tc) == 0 && !hs_conn_waiting(&c->hs)) ||
	       hs_conn_peer_closed(&c->hs) ||
	       (w->tls != NULL && hs_conn_status(&c->hs) == HS_STATUS_CLOSED);
}

/* After the handshake or the response: wait for a ticket, or finish. */
static void
gc_next(struct gen_worker *w, struct gen_conn *c, struct tcp_conn *tc)
{
	struct hs_session_info si;

	if (c->state == GC_HANDSHAKE && w->cfg->request[0] != '\0') {
		request_send(w, c, tc);
		gc_set(w, c, GC_REQUEST);
		return;
	}
	hs_conn_session_info(&c->hs, &si);
	/* TLS 1.3 tickets come after the handshake (RFC 8446 4.6.1). */
	if (c->keep_session && si.version == HS_TLS13 &&
	    hs_conn_client_session(&c->hs, &w->sess[w->sess_next]) != 0 && !peer_done(w, c, tc)) {
		tcp_wheel_insert(&w->wheel, &c->timer, w->now_us + TICKET_WAIT_US);
		gc_set(w, c, GC_TICKET);
		return;
	}
	gc_finish(w, c);
}

/* Failed handshake: counted by who sent the alert (and which). */
static void
gc_tls_failed(struct gen_worker *w, struct gen_conn *c, struct tcp_conn *tc)
{
	int e = hs_conn_error(&c->hs), a = hs_err_alert(e);
	bool peer = hs_err_class(e) == HS_ERR_CLASS_PEER_ALERT;

	/* Our fatal alert is in the engine's output: out before the RST. */
	flush_out(w, c, tc);
	if (w->phase == PH_RUN) {
		if (peer)
			w->stats.alerts_rcvd[a & 255]++;
		else
			w->stats.alerts_sent[a >= 0 ? a : 255]++;
	}
	gc_fail(w, c, peer ? GEN_ERR_tls_alert : GEN_ERR_tls_error);
}

/* Everything connection @p c can do now. */
static void
gc_step(struct gen_worker *w, struct gen_conn *c)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, c->tcp);

	if (tc == NULL)
		return;         /* gone: its CLOSED event says why */
	if (w->tls == NULL) {
		/* TCP only (--tls none): the three-way handshake is the goal. */
		if (c->state == GC_HANDSHAKE) {
			gc_handshake_done(w, c);
			gc_finish(w, c);
		} else if (c->state == GC_HOLD) {
			while (tcp_conn_read(w->tcp, tc, w->sink, sizeof(w->sink)) > 0)
				;
			if (c->peer_fin)
				gc_fail(w, c, GEN_ERR_hold_lost);
		}
		return;
	}
	pump_in(w, c, tc);
	flush_out(w, c, tc);
	if (hs_conn_status(&c->hs) == HS_STATUS_FAILED) {
		gc_tls_failed(w, c, tc);
		return;
	}
	switch (c->state) {
	case GC_CONNECTING:
		return;         /* the ClientHello waits in TCP for ESTABLISHED */
	case GC_HANDSHAKE:
		if (hs_conn_status(&c->hs) == HS_STATUS_ESTABLISHED) {
			gc_handshake_done(w, c);
			gc_next(w, c, tc);
		} else if (peer_done(w, c, tc)) {
			gc_fail(w, c, GEN_ERR_closed);  /* FIN or close_notify first */
		}
		return;
	case GC_REQUEST:
		/* pump_in() fed the response as its records came. */
		if (!gen_http_done(&c->http) && !gen_http_bad(&c->http) && peer_done(w, c, tc))
			gen_http_eof(&c->http);
		if (gen_http_bad(&c->http) ||
		    (gen_http_done(&c->http) && (c->http.status < 200 || c->http.status >= 400))) {
			if (w->phase == PH_RUN && gen_http_done(&c->http))
				w->stats.http_status[c->http.status / 100 < 6 ? c->http.status / 100 : 0]++;
			gc_fail(w, c, GEN_ERR_http);
			return;
		}
		if (!gen_http_done(&c->http))
			return;
		if (w->phase == PH_RUN) {
			w->stats.responses++;
			w->stats.http_status[c->http.status / 100]++;
		}
		gc_next(w, c, tc);
		return;
	case GC_TICKET:
		/* Post-handshake messages are read by the engine as they come
		 * (pump_in()); a NewSessionTicket makes the session resumable. */
		if (hs_conn_client_session(&c->hs, &w->sess[w->sess_next]) == 0) {
			gc_finish(w, c);                /* keeps it */
		} else if (peer_done(w, c, tc)) {
			w->stats.tickets_missing++;     /* the server ended first */
			c->keep_session = false;
			gc_finish(w, c);
		}
		return;
	case GC_HOLD:
		/* Held idle: the server's data was read (tickets, KeyUpdate) and
		 * dropped by pump_in(); if it ends the connection it is lost. */
		if (peer_done(w, c, tc)) {
			gc_fail(w, c, GEN_ERR_hold_lost);
			return;
		}
		if (hs_conn_hctx_held(&c->hs) && hs_conn_hctx_release(&c->hs) == -EBUSY)
			mark_dirty(w, c);
		return;
	default:
		return;
	}
}

/* --------------------------------------------------------------- packets */

static void
tcp_in(struct gen_worker *w, struct rte_mbuf *m)
{
	struct tcp_seg seg;

	if (tcp_pkt_parse(m, &seg) != 0) {
		rte_pktmbuf_free(m);
		return;
	}
	tcp_tbl_input(w->tcp, &seg, w->now_us);
	if (seg.buf == NULL)
		rte_pktmbuf_free(m);    /* else TCP has it */
}

/* net's transmit hook: ARP, held segments released, addressed frames. */
static void
net_tx(void *ctx, struct rte_mbuf *m)
{
	struct gen_worker *w = ctx;

	gen_wire_tx(&w->wire, m, w->now_us);
}

/* An ARP request for the next hop asked from local address @p from. */
static void
arp_ask(struct gen_worker *w, uint32_t from)
{
	struct rte_mbuf *q;

	if (w->next_hop == 0)
		return;
	q = hsod_net_arp_request_from(&w->net, w->conf.mp, from, w->next_hop);
	if (q != NULL)
		gen_wire_tx(&w->wire, q, w->now_us);
}

/* The TCP table's output as frames, addressed (or held for ARP) by net. */
static void
emit(struct gen_worker *w)
{
	unsigned n;
	const struct tcp_seg_out *o = tcp_tbl_output(w->tcp, &n);

	for (unsigned i = 0; i < n; i++, o++) {
		/* IPv6: checksums in software (as hsod: no IPv6 offload yet). */
		struct rte_mbuf *m = tcp_pkt_build(w->conf.mp, o,
						   w->conf.csum_off && !o->tuple.v6);

		if (m == NULL) {
			w->wire.stats.tx_dropped++;
			continue;
		}
		if (o->tuple.v6)
			hsod_net6_output(&w->net6, m, o->tuple.raddr6, w->now_us);
		else
			hsod_net_output(&w->net, m, o->tuple.raddr, w->now_us);
	}
	tcp_tbl_output_clear(w->tcp);
}

/* ------------------------------------------------------------ SYN flood */

/* Spoofed SYNs sent per poll at most: a late worker catches up gradually. */
#define FLOOD_BURST_MAX 128
/* Its SYNs' TCP options: MSS 1460 (RFC 9293 3.7.1), as a real stack's first ones. */
#define FLOOD_OPT_LEN 4

static uint64_t
flood_rand(struct gen_worker *w)
{
	/* xorshift64*: not for anything secret, only to spread the flood. */
	w->flood_rng ^= w->flood_rng >> 12;
	w->flood_rng ^= w->flood_rng << 25;
	w->flood_rng ^= w->flood_rng >> 27;
	return w->flood_rng * 0x2545f4914f6cdd1dull;
}

/* One SYN from a random --flood-sources address and port to the target. */
static struct rte_mbuf *
flood_syn(struct gen_worker *w, const struct rte_ether_addr *dst)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->conf.mp);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *t;
	uint8_t *opt;
	uint64_t r = flood_rand(w), r2 = flood_rand(w);
	uint32_t span = w->cfg->flood_hi - w->cfg->flood_lo + 1;
	uint16_t len = sizeof(*eh) + sizeof(*ip) + sizeof(*t) + FLOOD_OPT_LEN;

	if (m == NULL)
		return NULL;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(&w->conf.mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*t) + FLOOD_OPT_LEN);
	ip->packet_id = rte_cpu_to_be_16((uint16_t)(r >> 48));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	/* span 0: the whole 2^32 (not allowed by the configuration anyway). */
	ip->src_addr = rte_cpu_to_be_32(w->cfg->flood_lo + (span != 0 ? (uint32_t)r % span :
							     (uint32_t)r));
	ip->dst_addr = rte_cpu_to_be_32(w->cfg->target);
	t = (struct rte_tcp_hdr *)(ip + 1);
	memset(t, 0, sizeof(*t));
	t->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (r >> 32) % (65536 - 1024)));
	t->dst_port = rte_cpu_to_be_16(w->cfg->target_port);
	t->sent_seq = rte_cpu_to_be_32((uint32_t)r2);
	t->data_off = (uint8_t)(((sizeof(*t) + FLOOD_OPT_LEN) / 4) << 4);
	t->tcp_flags = RTE_TCP_SYN_FLAG;
	t->rx_win = rte_cpu_to_be_16(64240);
	opt = (uint8_t *)(t + 1);
	opt[0] = 2;     /* MSS */
	opt[1] = 4;
	opt[2] = 1460 >> 8;
	opt[3] = 1460 & 255;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	return m;
}

/* The SYNs due by now (the flood's own schedule: a fixed rate from its start). */
static unsigned
flood_step(struct gen_worker *w)
{
	struct rte_ether_addr mac;
	uint64_t until, due;
	unsigned n = 0;

	if (w->flood_pps <= 0 || w->phase != PH_RUN || w->stopping ||
	    w->now_us < w->flood_from_us || w->now_us >= w->flood_to_us)
		return 0;
	if (!hsod_net_lookup(&w->net, w->next_hop, w->now_us, &mac))
		return 0;
	until = w->now_us;
	due = (uint64_t)((double)(until - w->flood_from_us) * w->flood_pps / 1e6) + 1;
	while (w->stats.flood_sent + w->stats.flood_no_buf < due && n < FLOOD_BURST_MAX) {
		struct rte_mbuf *m = flood_syn(w, &mac);

		n++;
		if (m == NULL) {
			w->stats.flood_no_buf++;
			continue;
		}
		w->stats.flood_sent++;
		/* Past --impair: the flood is the attack, not the network's fault. */
		gen_wire_tx_raw(&w->wire, m, w->now_us);
	}
	return n;
}

/*
 * A frame to one of the spoofed sources (the server's answers to the
 * flood): counted by kind and dropped, never answered, as from a host that
 * does not exist. @return true when it was one.
 */
static bool
flood_reply(struct gen_worker *w, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *t;
	uint32_t dst;
	size_t ihl;

	if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*ip) ||
	    eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return false;
	ip = (const struct rte_ipv4_hdr *)(eh + 1);
	dst = rte_be_to_cpu_32(ip->dst_addr);
	if (dst < w->cfg->flood_lo || dst > w->cfg->flood_hi)
		return false;
	ihl = (size_t)(ip->version_ihl & 15) * 4;
	if (ip->next_proto_id == IPPROTO_TCP && ihl >= sizeof(*ip) &&
	    rte_pktmbuf_data_len(m) >= sizeof(*eh) + ihl + sizeof(*t)) {
		t = (const struct rte_tcp_hdr *)((const uint8_t *)ip + ihl);
		if ((t->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
		    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG))
			w->stats.flood_syn_acks++;
		else if (t->tcp_flags & RTE_TCP_RST_FLAG)
			w->stats.flood_rsts++;
		else
			w->stats.flood_other++;
	} else {
		w->stats.flood_other++;
	}
	rte_pktmbuf_free(m);
	return true;
}

/* Receive a burst: ARP and ICMP answered, TCP into the table. */
static uint16_t
receive(struct gen_worker *w)
{
	struct rte_mbuf *rx[GEN_BURST];
	uint16_t n = gen_wire_rx(&w->wire, rx, GEN_BURST, w->now_us);

	for (uint16_t i = 0; i < n; i++) {
		enum hsod_verdict v;

		if (w->flood_pps > 0 && flood_reply(w, rx[i]))
			continue;
		v = w->cfg->v6 && hsod_net6_is_ipv6(rx[i]) ?
		    hsod_net6_input(&w->net6, rx[i], w->now_us) :
		    hsod_net_input(&w->net, rx[i], w->now_us);
		switch (v) {
		case HSOD_NET_REPLY:
			gen_wire_tx(&w->wire, rx[i], w->now_us);
			break;
		case HSOD_NET_TCP:
			tcp_in(w, rx[i]);
			/* Events now: a segment's payload must be taken before a
			 * RST later in the same burst frees the connection. */
			handle_events(w);
			break;
		default:
			rte_pktmbuf_free(rx[i]);
			break;
		}
	}
	return n;
}

/* ------------------------------------------------------------------- loop */

static void
phase_step(struct gen_worker *w)
{
	switch (w->phase) {
	case PH_WARMUP:
		if (w->now_us < w->warm_end_us && !w->stopping)
			break;
		/* The measured window begins. What is counted only in it (started,
		 * handshakes, errors, ...) is zero here; the cycle and packet
		 * counters run all along: the base snapshot takes them out. */
		w->phase = PH_RUN;
		/* The window is the schedule's, not the polls': [warm_end, run_end). */
		w->run_start_us = w->now_us < w->warm_end_us ? w->now_us : w->warm_end_us;
		w->base = w->stats;
		w->base_packets = w->wire.stats;
		w->base_tcp = *tcp_tbl_stats(w->tcp);
		gen_hist_init(&w->hist);
		/* fall through */
	case PH_RUN:
		if (w->cfg->hold > 0) {
			if (w->now_us < w->run_end_us && !w->stopping)
				break;
		} else if (w->now_us < w->run_end_us && !w->stopping &&
			   (w->count == 0 || w->stats.handshakes < w->count)) {
			break;
		}
		w->window_end_us = w->now_us < w->run_end_us ? w->now_us : w->run_end_us;
		/* Open loop: arrivals intended before the end are counted (not
		 * started: the window is over). */
		if (w->open_loop) {
			uint64_t at;

			while (gen_sched_due(&w->sched, w->window_end_us - 1, &at))
				w->stats.arrivals++;
		}
		w->phase = PH_DRAIN;
		/* --drain, at most --timeout. */
		w->drain_end_us = w->now_us + (uint64_t)(w->cfg->drain_s * 1e6);
		if (w->drain_end_us > w->now_us + (uint64_t)w->cfg->timeout_ms * 1000)
			w->drain_end_us = w->now_us + (uint64_t)w->cfg->timeout_ms * 1000;
		/* fall through */
	case PH_DRAIN:
		/*
		 * Held connections end now, the way --close says, at most
		 * --hold-close-rate a second and every one of them (--drain does
		 * not cut this short): a million resets at once overflowed the
		 * port's ring and most never left, so the server kept them.
		 */
		if (w->stats.held > 0) {
			uint64_t due = 0;

			if (w->hold_close_from_us == 0) {
				w->hold_close_from_us = w->now_us;
				w->hold_tx_dropped = w->wire.stats.tx_dropped;
			}
			if (w->wire.stats.tx_dropped != w->hold_tx_dropped) {
				/* The port refused frames (the server lags): 1 ms
				 * without closes, then the rate afresh from there. */
				w->hold_tx_dropped = w->wire.stats.tx_dropped;
				w->hold_close_from_us = w->now_us + 1000;
				w->hold_closed = 0;
			}
			if (w->now_us >= w->hold_close_from_us)
				due = (w->now_us - w->hold_close_from_us) * w->cfg->hold_close_rate /
				      1000000 + GEN_BURST;
			/* A late poll does not make up the time in one go. */
			if (due > w->hold_closed + 4 * GEN_BURST)
				due = w->hold_closed + 4 * GEN_BURST;
			while (w->stats.held > 0 && w->hold_closed < due && w->hold_cursor < w->n_slots) {
				struct gen_conn *c = &w->conns[w->hold_cursor++];

				if (c->state == GC_HOLD) {
					gc_close(w, c);
					w->hold_closed++;
				}
			}
			/* (Past the last slot nothing is held: a guard, not a wait.) */
			if (w->stats.held > 0 && w->hold_cursor < w->n_slots)
				break;
		}
		if (w->stats.inflight > 0 && w->now_us < w->drain_end_us)
			break;
		/* What is still going after the drain: reset, not counted. */
		for (unsigned i = 0; w->stats.inflight > 0 && i < w->n_slots; i++) {
			struct gen_conn *c = &w->conns[i];

			if (c->state == GC_FREE)
				continue;
			w->stats.abandoned++;
			gc_fail(w, c, GEN_ERR_timeout);
		}
		w->phase = PH_LINGER;
		w->drain_end_us = w->now_us + LINGER_US;
		break;
	case PH_LINGER:
		if (w->now_us >= w->drain_end_us)
			w->phase = PH_DONE;
		break;
	default:
		break;
	}
}

/*
 * Step the connections marked so far, once each. Those a step marks again
 * (waiting for the next crypto batch, a handshake context not yet given
 * back) run at the next poll, not in this loop, which would spin on them.
 */
static void
run_dirty(struct gen_worker *w)
{
	unsigned n = w->n_dirty;

	for (unsigned i = 0; i < n; i++) {
		struct gen_conn *c = w->dirty[i];

		c->dirty = false;
		if (c->state != GC_FREE)
			gc_step(w, c);
	}
	/* At most n_slots were marked again (each once): w->dirty holds 2x. */
	memmove(w->dirty, w->dirty + n, (w->n_dirty - n) * sizeof(*w->dirty));
	w->n_dirty -= n;
}

bool
gen_worker_poll(struct gen_worker *w, uint64_t now_ns)
{
	uint64_t t0 = rte_rdtsc();
	unsigned work;
	uint16_t rx;

	w->now_ns = now_ns;
	w->now_us = now_ns / 1000;
	rx = receive(w);
	handle_events(w);
	work = w->n_dirty + rx;
	/* Feed every touched connection, then run the crypto batch once. */
	if (w->tls != NULL) {
		for (unsigned i = 0; i < w->n_dirty; i++)
			if (w->dirty[i]->state != GC_FREE)
				pump_in(w, w->dirty[i],
					tcp_tbl_conn_get(w->tcp, w->dirty[i]->tcp));
		hs_worker_run(w->tls);
	}
	run_dirty(w);
	phase_step(w);
	work += load_step(w);
	/* New connections' ClientHellos: key shares made in one batch now. */
	if (w->tls != NULL && w->n_dirty > 0) {
		hs_worker_run(w->tls);
		run_dirty(w);
	}
	work += tcp_wheel_run(&w->wheel, w->now_us, timer_fire, w);
	work += tcp_tbl_tick(w->tcp, w->now_us);
	handle_events(w);
	emit(w);
	work += flood_step(w);
	/* ARP retries, reachability probes (an entry in use never lapses). */
	work += hsod_net_tick(&w->net, w->now_us);
	if (w->cfg->v6)
		work += hsod_net6_tick(&w->net6, w->now_us);
	/* Idle: make ECDHE keys ahead (full mode); that work is busy time too. */
	if (work == 0 && w->tls != NULL && w->phase != PH_IDLE)
		work += hs_worker_pool_refill(w->tls, 1);
	gen_wire_flush(&w->wire, w->now_us);
	if (work > 0)
		w->stats.busy_cycles += rte_rdtsc() - t0;
	else
		w->stats.idle_cycles += rte_rdtsc() - t0;
	/* Idle enough to sleep: nothing done, and nothing waiting on the peer
	 * (a holder still opening its connections must not nap between answers,
	 * nor one closing them at the end). */
	return work > 0 || w->stats.inflight > 0 || (w->phase == PH_DRAIN && w->stats.held > 0);
}

void
gen_worker_idle_sleep(struct gen_worker *w, uint32_t us)
{
	uint64_t t0 = rte_rdtsc();

	rte_delay_us_sleep(us);
	w->stats.idle_cycles += rte_rdtsc() - t0;
}

int
gen_worker_probe(struct gen_worker *w, uint64_t now_us, char *err, size_t errlen)
{
	char ip[INET6_ADDRSTRLEN + 2];

	if (w->cfg->v6) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, w->cfg->target6, a, sizeof(a));
		snprintf(ip, sizeof(ip), "[%s]", a);
	} else {
		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", w->cfg->target >> 24,
			 (w->cfg->target >> 16) & 255, (w->cfg->target >> 8) & 255,
			 w->cfg->target & 255);
	}
	if (w->probe_until == 0)
		w->probe_until = now_us + PROBE_ARP_US;
	gen_worker_poll(w, now_us * 1000);
	switch (w->probe) {
	case PR_ARP: {
		struct rte_ether_addr mac;
		bool hit;

		/* IPv6: a miss sends a Neighbor Solicitation (net6 retries it). */
		if (w->cfg->v6)
			hit = hsod_neigh_resolve(hsod_net6_neigh(&w->net6), w->next_hop6, NULL,
						 now_us, &mac) == HSOD_NEIGH_HIT;
		else
			hit = hsod_net_lookup(&w->net, w->next_hop, now_us, &mac);
		if (hit) {
			if (w->conf.index != 0) {
				w->probe = PR_OK;
				return 1;
			}
			w->probe = PR_CONNECT;
			return 0;
		}
		if (now_us >= w->probe_until && w->cfg->v6) {
			snprintf(err, errlen, "%s unreachable: no Neighbor Advertisement for %s "
				 "within %u s", ip, cfg_ip6_is_unset(w->cfg->gateway6) ? "it" :
				 "the gateway (--gateway6)", (unsigned)(PROBE_ARP_US / US_PER_S));
			w->probe = PR_FAILED;
			return -1;
		}
		if (now_us >= w->probe_until) {
			snprintf(err, errlen, "%s unreachable: no ARP answer for %s%s within %u s",
				 ip, w->next_hop == w->cfg->target ? "it" : "the gateway",
				 w->next_hop == w->cfg->target ? "" : " (--gateway)",
				 (unsigned)(PROBE_ARP_US / US_PER_S));
			w->probe = PR_FAILED;
			return -1;
		}
		/*
		 * The lookup above asked (and net retries); once, also ask from
		 * every other source address, so that the target learns each
		 * (RFC 826) before its first SYN-ACK needs it.
		 */
		if (!w->probe_announced && w->conf.index == 0 && !w->cfg->v6) {
			for (uint32_t a = w->cfg->src_lo; a <= w->cfg->src_hi && a != 0; a++) {
				if (a == w->cfg->addr)
					continue;
				arp_ask(w, a);
				if ((a & 15) == 0)
					gen_wire_flush(&w->wire, now_us);
			}
			gen_wire_flush(&w->wire, now_us);
			w->probe_announced = true;
		}
		return 0;
	}
	case PR_CONNECT: {
		int rc = connect_target(w, NULL, now_us, &w->probe_tcp);

		if (rc != 0) {
			snprintf(err, errlen, "cannot open a connection to %s:%u: %s", ip,
				 w->cfg->target_port, strerror(-rc));
			w->probe = PR_FAILED;
			return -1;
		}
		w->probe = PR_WAIT;
		w->probe_until = now_us + PROBE_CONNECT_US;
		emit(w);
		gen_wire_flush(&w->wire, now_us);
		return 0;
	}
	case PR_WAIT:
		if (now_us < w->probe_until)
			return 0;
		{
			struct tcp_conn *tc = tcp_tbl_conn_get(w->tcp, w->probe_tcp);

			if (tc != NULL)
				tcp_conn_abort(w->tcp, tc);
		}
		snprintf(err, errlen, "%s:%u unreachable: no answer to a SYN within %u s", ip,
			 w->cfg->target_port, (unsigned)(PROBE_CONNECT_US / US_PER_S));
		w->probe = PR_FAILED;
		return -1;
	case PR_OK:
		emit(w);
		gen_wire_flush(&w->wire, now_us);
		return 1;
	case PR_FAILED:
	default:
		snprintf(err, errlen, "%s:%u %s", ip, w->cfg->target_port,
			 w->probe_timed_out ? "unreachable: no answer to a SYN" :
			 "refused the connection (RST): nothing listens there");
		return -1;
	}
}

void
gen_worker_begin(struct gen_worker *w, uint64_t start_us)
{
	const struct gen_config *cfg = w->cfg;

	w->warm_end_us = start_us + (uint64_t)(cfg->warmup_s * 1e6);
	w->run_end_us = w->warm_end_us + (uint64_t)(cfg->duration_s * 1e6);
	w->phase = PH_WARMUP;
	if (cfg->syn_flood > 0) {
		w->flood_pps = cfg->syn_flood / w->conf.n_workers;
		w->flood_from_us = w->warm_end_us + (uint64_t)(cfg->flood_start_s * 1e6);
		w->flood_to_us = cfg->flood_duration_s > 0 ?
				 w->flood_from_us + (uint64_t)(cfg->flood_duration_s * 1e6) :
				 w->run_end_us;
		if (w->flood_to_us > w->run_end_us)
			w->flood_to_us = w->run_end_us;
	}
	if (w->open_loop) {
		/* Each lcore's arrivals are an independent process at R / n:
		 * together a process of rate R (Poisson: superposition). */
		gen_sched_init(&w->sched, cfg->rate / w->conf.n_workers, cfg->arrival,
			       cfg->seed * 0x9e3779b97f4a7c15ull + w->conf.index + 1, start_us);
	}
}

void
gen_worker_stop(struct gen_worker *w)
{
	w->stopping = true;
}

bool
gen_worker_done(const struct gen_worker *w)
{
	return w->phase == PH_DONE;
}

/* ------------------------------------------------------------ life cycle */

static uint32_t
share(uint64_t total, unsigned n, unsigned i)
{
	return (uint32_t)(total / n + (i < total % n ? 1 : 0));
}

struct gen_worker *
gen_worker_create(const struct gen_worker_conf *conf)
{
	const struct gen_config *cfg = conf->cfg;
	struct gen_worker *w = calloc(1, sizeof(*w));
	struct tcp_config tc;
	uint32_t *srcs = NULL;
	unsigned n_src;
	int rc;

	if (w == NULL)
		return NULL;
	w->conf = *conf;
	w->cfg = cfg;
	gen_wire_init(&w->wire, conf->port, conf->queue);
	gen_hist_init(&w->hist);
	w->neigh_pool = hsod_neigh_pool_create(NEIGH_HELD);
	if (w->neigh_pool == NULL) {
		free(w);
		return NULL;
	}
	{
		struct hsod_net_conf nc;
		char name[32];

		hsod_net_conf_init(&nc);
		nc.addr = cfg->addr;
		nc.prefix_len = cfg->prefix_len;
		nc.gateway = cfg->gateway;
		if (cfg->src_lo != cfg->addr || cfg->src_hi != cfg->addr) {
			nc.extra_lo = cfg->src_lo;
			nc.extra_hi = cfg->src_hi;
		}
		rte_ether_addr_copy(&conf->mac, &nc.mac);
		nc.mp = conf->mp;
		nc.tx = net_tx;
		nc.tx_ctx = w;
		snprintf(name, sizeof(name), "gen_neigh_%u", conf->index);
		nc.name = name;
		nc.socket_id = (int)rte_lcore_to_socket_id(conf->lcore);
		nc.pool = w->neigh_pool;
		rc = hsod_net_init(&w->net, &nc);
		if (rc != 0) {
			hsod_neigh_pool_free(w->neigh_pool);
			free(w);
			errno = -rc;
			return NULL;
		}
	}
	w->next_hop = cfg->v6 ? 0 : hsod_net_next_hop(&w->net, cfg->target);
	if (cfg->v6) {
		struct hsod_net6_conf c6;
		char name[32];

		hsod_net6_conf_init(&c6);
		memcpy(c6.addr, cfg->addr6, 16);
		c6.prefix_len = cfg->prefix6_len;
		memcpy(c6.gateway, cfg->gateway6, 16);
		rte_ether_addr_copy(&conf->mac, &c6.mac);
		c6.mp = conf->mp;
		c6.tx = net_tx;
		c6.tx_ctx = w;
		snprintf(name, sizeof(name), "gen_neigh6_%u", conf->index);
		c6.name = name;
		c6.socket_id = (int)rte_lcore_to_socket_id(conf->lcore);
		c6.pool = w->neigh_pool;
		rc = hsod_net6_init(&w->net6, &c6);
		if (rc != 0 || !hsod_net6_next_hop(&w->net6, cfg->target6, w->next_hop6)) {
			hsod_net6_fini(&w->net6);
			hsod_net_fini(&w->net);
			hsod_neigh_pool_free(w->neigh_pool);
			free(w);
			errno = rc != 0 ? -rc : EHOSTUNREACH;
			return NULL;
		}
	}
	w->open_loop = cfg->rate > 0;
	w->concurrency = share(cfg->concurrency, conf->n_workers, conf->index);
	w->hold = share(cfg->hold, conf->n_workers, conf->index);
	w->count = cfg->count > 0 ? share(cfg->count, conf->n_workers, conf->index) : 0;
	if (cfg->count > 0 && w->count == 0)
		w->count = 1;
	if (cfg->hold > 0)
		w->n_slots = w->hold > 0 ? w->hold : 1;
	else if (w->open_loop)
		w->n_slots = cfg->max_inflight;
	else
		w->n_slots = w->concurrency > 0 ? w->concurrency : 1;

	tcp_config_init(&tc);
	/* In progress, closing (FIN_WAIT, LAST_ACK) and TIME_WAIT: a slot each. */
	tc.max_time_wait = w->n_slots * 4 < 1024 ? 1024 : (w->n_slots * 4 > 65536 ? 65536 :
							    w->n_slots * 4);
	tc.max_conns = 2 * w->n_slots + tc.max_time_wait + 1;
	tc.max_half_open = tc.max_conns;
	tc.syn_cookies = false;     /* we listen on nothing */
	tc.handshake_timeout_us = (uint64_t)cfg->timeout_ms * 1000;
	tc.idle_timeout_us = 0;     /* held connections stay; deadlines are ours */
	tc.out_max = 4096;
	w->tpool.mp = conf->mp;
	w->tpool.owner_off = -1;
	tc.buf_ops.alloc = tcp_pkt_buf_alloc;
	tc.buf_ops.release = tcp_pkt_buf_release;
	tc.buf_ops.ctx = &w->tpool;
	w->tcp = tcp_tbl_create(&tc);
	n_src = cfg->src_hi - cfg->src_lo + 1;
	srcs = calloc(n_src, sizeof(*srcs));
	w->conns = calloc(w->n_slots, sizeof(*w->conns));
	w->free_slots = calloc(w->n_slots, sizeof(*w->free_slots));
	w->dirty = calloc(2 * (size_t)w->n_slots, sizeof(*w->dirty));   /* run_dirty() */
	rc = tcp_wheel_init(&w->wheel, 4096, 1000, 0);
	if (rc != 0) {
		errno = -rc;
		goto fail;
	}
	w->backlog = w->open_loop ? calloc(BACKLOG_MAX, sizeof(*w->backlog)) : NULL;
	if (w->tcp == NULL || srcs == NULL || w->conns == NULL || w->free_slots == NULL ||
	    w->dirty == NULL || (w->open_loop && w->backlog == NULL))
		goto fail;
	if (conf->cc != NULL) {
		/*
		 * The engine: a worker whose pool of handshake contexts covers the
		 * connections in progress at once (held ones give theirs back).
		 */
		unsigned n_hctx = w->hold > 0 ? (w->concurrency > 0 ? w->concurrency : 64) :
				  w->n_slots;

		w->cc = conf->cc;
		if (n_hctx > HS_MAX_HANDSHAKES_LIMIT)
			n_hctx = HS_MAX_HANDSHAKES_LIMIT;
		w->tls = hs_worker_create_client(conf->cc, n_hctx);
		w->sess = calloc(SESS_MAX, sizeof(*w->sess));
		if (w->tls == NULL || w->sess == NULL)
			goto fail;
	}
	w->rng = cfg->seed * 0xd1342543de82ef95ull + conf->index + 1;
	w->flood_rng = (cfg->seed ^ 0x5eed0f100dull) * 0x9e3779b97f4a7c15ull + conf->index + 1;
	if (w->flood_rng == 0)
		w->flood_rng = 1;
	/* Each lcore's two paths: streams of their own, from --seed. */
	if (cfg->impair.on &&
	    gen_wire_impair(&w->wire, &cfg->impair, conf->mp,
			    cfg->seed * 0xbf58476d1ce4e5b9ull + conf->index) != 0) {
		errno = ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < n_src; i++)
		srcs[i] = cfg->src_lo + i;
	rc = cfg->v6 ? tcp_tbl_set_sources6(w->tcp, (const uint8_t (*)[16])cfg->addr6, 1,
					    cfg->port_lo, cfg->port_hi) :
		       tcp_tbl_set_sources(w->tcp, srcs, n_src, cfg->port_lo, cfg->port_hi);
	free(srcs);
	srcs = NULL;
	if (rc != 0) {
		errno = -rc;
		goto fail;
	}
	if (conf->rss)
		tcp_tbl_set_filter(w->tcp, rss_accept, w);
	for (unsigned i = 0; i < w->n_slots; i++) {
		w->conns[i].idx = i;
		w->free_slots[w->n_free++] = w->n_slots - 1 - i;
	}
	return w;
fail:
	rc = errno != 0 ? errno : ENOMEM;
	free(srcs);
	gen_worker_free(w);
	errno = rc;
	return NULL;
}

void
gen_worker_free(struct gen_worker *w)
{
	if (w == NULL)
		return;
	gen_wire_fini(&w->wire);
	hsod_net_fini(&w->net);
	hsod_net6_fini(&w->net6);
	hsod_neigh_pool_free(w->neigh_pool);
	tcp_tbl_free(w->tcp);
	if (w->tls != NULL) {
		/* Secrets wiped: connections still open, kept sessions. */
		for (unsigned i = 0; w->conns != NULL && i < w->n_slots; i++)
			if (w->conns[i].state != GC_FREE)
				hs_conn_reset(&w->conns[i].hs);
		hs_worker_free(w->tls);
	}
	for (unsigned i = 0; w->sess != NULL && i < SESS_MAX; i++)
		hs_client_session_wipe(&w->sess[i]);
	free(w->sess);
	tcp_wheel_fini(&w->wheel);
	free(w->conns);
	free(w->free_slots);
	free(w->dirty);
	free(w->backlog);
	free(w);
}

const struct gen_stats *gen_worker_stats(const struct gen_worker *w) { return &w->stats; }
const struct gen_stats *gen_worker_base(const struct gen_worker *w) { return &w->base; }
const struct gen_hist *gen_worker_hist(const struct gen_worker *w) { return &w->hist; }
const struct tcp_stats *gen_worker_tcp_stats(const struct gen_worker *w) { return tcp_tbl_stats(w->tcp); }
const struct tcp_stats *gen_worker_tcp_base(const struct gen_worker *w) { return &w->base_tcp; }
const struct hsod_net_stats *gen_worker_net_stats(const struct gen_worker *w) { return &w->net.stats; }
unsigned gen_worker_lcore(const struct gen_worker *w) { return w->conf.lcore; }

const struct gen_impair_stats *
gen_worker_impair_stats(const struct gen_worker *w, bool rx)
{
	return gen_wire_impair_stats(&w->wire, rx);
}

void
gen_worker_window(const struct gen_worker *w, uint64_t *start_us, uint64_t *end_us)
{
	*start_us = w->run_start_us;
	*end_us = w->window_end_us;
}

void
gen_worker_packets(const struct gen_worker *w, uint64_t *rx, uint64_t *tx, uint64_t *tx_dropped)
{
	/* Those of the measured window once it began. */
	*rx = w->wire.stats.rx_packets - w->base_packets.rx_packets;
	*tx = w->wire.stats.tx_packets - w->base_packets.tx_packets;
	*tx_dropped = w->wire.stats.tx_dropped - w->base_packets.tx_dropped;
}

const char *
gen_conn_state_name(unsigned s)
{
	return s < GC_STATE_NUM ? gc_state_names[s] : "?";
}
