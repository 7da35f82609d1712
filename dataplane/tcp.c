/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP server core: connection table, RFC 9293 segment arrival processing
 * (3.10.7) for passive opens, RFC 6298 retransmission, RFC 5681 fast
 * retransmit and congestion window, RFC 5961 blind-attack defences, RFC 7323
 * window scaling, RFC 4987 SYN cookies. See tcp.h for the contract.
 */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "tcp_priv.h"

#define US_PER_S 1000000ull
/* RFC 6298 5.7: the RTO after a retransmitted SYN(-ACK). */
#define TCP_RTO_AFTER_SYN_US 3000000u

static const char *const tcp_drop_names[TCP_DROP_NUM] = {
	[TCP_DROP_NO_LISTENER] = "no_listener",
	[TCP_DROP_TABLE_FULL] = "table_full",
	[TCP_DROP_BAD_FLAGS] = "bad_flags",
	[TCP_DROP_BAD_OPTIONS] = "bad_options",
	[TCP_DROP_OUT_OF_WINDOW] = "out_of_window",
	[TCP_DROP_BAD_ACK] = "bad_ack",
	[TCP_DROP_RST_INVALID] = "rst_invalid",
	[TCP_DROP_RST_CHALLENGED] = "rst_challenged",
	[TCP_DROP_SYN_CHALLENGED] = "syn_challenged",
	[TCP_DROP_COOKIE_FAILED] = "cookie_failed",
	[TCP_DROP_DUPLICATE] = "duplicate",
	[TCP_DROP_OOO_FULL] = "ooo_full",
	[TCP_DROP_WINDOW_TRIM] = "window_trim",
	[TCP_DROP_STATE] = "state",
	[TCP_DROP_OUT_FULL] = "out_full",
	[TCP_DROP_CHALLENGE_LIMIT] = "challenge_limit",
};

static const char *const tcp_state_names[TCP_STATE_NUM] = {
	[TCP_CLOSED] = "CLOSED",
	[TCP_SYN_RCVD] = "SYN_RCVD",
	[TCP_ESTABLISHED] = "ESTABLISHED",
	[TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_LAST_ACK] = "LAST_ACK",
	[TCP_FIN_WAIT_1] = "FIN_WAIT_1",
	[TCP_FIN_WAIT_2] = "FIN_WAIT_2",
	[TCP_CLOSING] = "CLOSING",
	[TCP_TIME_WAIT] = "TIME_WAIT",
};

const char *
tcp_drop_name(enum tcp_drop d)
{
	return (unsigned)d < TCP_DROP_NUM ? tcp_drop_names[d] : "?";
}

const char *
tcp_state_name(enum tcp_state s)
{
	return (unsigned)s < TCP_STATE_NUM ? tcp_state_names[s] : "?";
}

const char *
tcp_drop_elem(unsigned i)
{
	return i < TCP_DROP_NUM ? tcp_drop_names[i] : NULL;
}

const char *
tcp_state_elem(unsigned i)
{
	return i < TCP_STATE_NUM && i != TCP_CLOSED ? tcp_state_names[i] : NULL;
}

void
tcp_config_init(struct tcp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_conns = 1024;
	cfg->max_half_open = 256;
	cfg->max_time_wait = 256;
	cfg->rx_buf_size = 16384;
	cfg->tx_buf_size = 16384;
	cfg->mss = 1460;
	cfg->syn_cookies = true;
	cfg->rto_init_us = 1000000;
	cfg->rto_min_us = 200000;
	cfg->rto_max_us = 60000000;
	cfg->max_retries = 8;
	cfg->syn_retries = 4;
	cfg->delack_us = 40000;
	cfg->handshake_timeout_us = 10 * US_PER_S;
	cfg->idle_timeout_us = 120 * US_PER_S;
	cfg->fin_wait2_us = 30 * US_PER_S;
	cfg->time_wait_us = 5 * US_PER_S;
	cfg->timer_tick_us = 1000;
	cfg->timer_slots = 4096;
	cfg->out_max = 1024;
	cfg->challenge_ack_limit = 1000;
}

static inline uint32_t
min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t
pow2_ceil(uint32_t v)
{
	uint32_t n = 1;

	while (n < v)
		n <<= 1;
	return n;
}

static int
drop(struct tcp_tbl *t, enum tcp_drop why)
{
	t->stats.drops[why]++;
	return (int)why + 1;
}

/* ---------------------------------------------------------------- table */

/* What tcp_tbl_create() sizes from a config; tcp_tbl_mem_size() counts it. */
struct tcp_layout {
	uint32_t rx_cap, tx_cap;    /* ring bytes per connection */
	uint32_t hash_n;            /* tuple hash buckets */
	uint32_t ev_cap;            /* event list entries */
	uint32_t wheel_n;           /* timer wheel slots */
};

static void
layout_of(const struct tcp_config *cfg, struct tcp_layout *l)
{
	l->rx_cap = pow2_ceil(cfg->rx_buf_size);
	l->tx_cap = pow2_ceil(cfg->tx_buf_size);
	l->hash_n = pow2_ceil(2 * cfg->max_conns);
	l->ev_cap = 2 * cfg->max_conns + 64;
	l->wheel_n = pow2_ceil(cfg->timer_slots);
}

size_t
tcp_tbl_mem_size(const struct tcp_config *cfg)
{
	struct tcp_layout l;

	layout_of(cfg, &l);
	return sizeof(struct tcp_tbl) +
	       (size_t)cfg->max_conns * (sizeof(struct tcp_conn) + l.rx_cap + l.tx_cap) +
	       (size_t)l.hash_n * sizeof(((struct tcp_tbl *)0)->hash[0]) +
	       (size_t)cfg->out_max * sizeof(struct tcp_seg_out) +
	       (size_t)l.ev_cap * sizeof(((struct tcp_tbl *)0)->ev[0]) +
	       (size_t)l.wheel_n * sizeof(struct tcp_timer *);
}

struct tcp_tbl *
tcp_tbl_create(const struct tcp_config *cfg)
{
	struct tcp_layout l;
	struct tcp_tbl *t;
	uint8_t secret[48];
	size_t per;
	int rc;

	if (cfg == NULL || cfg->max_conns == 0 || cfg->max_conns > (1u << 24) ||
	    cfg->rx_buf_size < 2u * cfg->mss || cfg->tx_buf_size == 0 ||
	    cfg->rx_buf_size > (1u << 30) || cfg->tx_buf_size > (1u << 30) ||
	    cfg->mss < 64 || cfg->out_max == 0 || cfg->rto_min_us == 0 ||
	    cfg->rto_max_us < cfg->rto_min_us || cfg->timer_tick_us == 0) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *cfg;
	if (cfg->fixed_secret) {
		memcpy(secret, cfg->secret, sizeof(secret));
	} else if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret)) {
		rc = errno != 0 ? errno : EIO;
		free(t);
		errno = rc;
		return NULL;
	}
	memcpy(t->isn_key, secret, 16);
	memcpy(t->cookie_key, secret + 16, 16);
	memcpy(t->hash_key, secret + 32, 16);
	memset(secret, 0, sizeof(secret));
	memset(t->cfg.secret, 0, sizeof(t->cfg.secret));

	layout_of(cfg, &l);
	t->rx_cap = l.rx_cap;
	t->tx_cap = l.tx_cap;
	/* RFC 7323 2.3: the smallest shift that lets the window cover the ring. */
	while (t->rcv_wscale < TCP_WSCALE_MAX && (t->rx_cap >> t->rcv_wscale) > 65535)
		t->rcv_wscale++;
	per = (size_t)t->rx_cap + t->tx_cap;
	t->conns = calloc(cfg->max_conns, sizeof(*t->conns));
	t->bufs = malloc(per * cfg->max_conns);
	t->hash_mask = l.hash_n - 1;
	t->hash = calloc((size_t)t->hash_mask + 1, sizeof(*t->hash));
	t->out = calloc(cfg->out_max, sizeof(*t->out));
	t->ev_cap = l.ev_cap;
	t->ev = calloc(t->ev_cap, sizeof(*t->ev));
	if (t->conns == NULL || t->bufs == NULL || t->hash == NULL ||
	    t->out == NULL || t->ev == NULL)
		goto nomem;
	rc = tcp_wheel_init(&t->wheel, cfg->timer_slots, cfg->timer_tick_us, 0);
	if (rc < 0)
		goto nomem;
	for (uint32_t i = 0; i < cfg->max_conns; i++) {
		struct tcp_conn *c = &t->conns[i];

		c->idx = i;
		c->rx_buf = t->bufs + per * i;
		c->tx_buf = c->rx_buf + t->rx_cap;
		c->hnext = i + 2 <= cfg->max_conns ? i + 2 : 0;
	}
	t->free_head = 1;
	t->tw_tail = &t->tw_head;
	return t;
nomem:
	tcp_tbl_free(t);
	errno = ENOMEM;
	return NULL;
}

void
tcp_tbl_free(struct tcp_tbl *t)
{
	if (t == NULL)
		return;
	tcp_wheel_fini(&t->wheel);
	free(t->conns);
	free(t->bufs);
	free(t->hash);
	free(t->out);
	free(t->ev);
	memset(t, 0, sizeof(*t));
	free(t);
}

int
tcp_tbl_listen(struct tcp_tbl *t, uint16_t port)
{
	for (unsigned i = 0; i < t->n_listen; i++)
		if (t->listen[i] == port)
			return -EEXIST;
	if (t->n_listen == TCP_LISTEN_MAX)
		return -ENOSPC;
	t->listen[t->n_listen++] = port;
	return 0;
}

int
tcp_tbl_unlisten(struct tcp_tbl *t, uint16_t port)
{
	for (unsigned i = 0; i < t->n_listen; i++) {
		if (t->listen[i] == port) {
			t->listen[i] = t->listen[--t->n_listen];
			return 0;
		}
	}
	return -ENOENT;
}

static bool
is_listening(const struct tcp_tbl *t, uint16_t port)
{
	for (unsigned i = 0; i < t->n_listen; i++)
		if (t->listen[i] == port)
			return true;
	return false;
}

const struct tcp_stats *
tcp_tbl_stats(const struct tcp_tbl *t)
{
	return &t->stats;
}

/* ------------------------------------------------------ 4-tuple hashing */

static bool
tuple_eq(const struct tcp_tuple *a, const struct tcp_tuple *b)
{
	return a->laddr == b->laddr && a->raddr == b->raddr &&
	       a->lport == b->lport && a->rport == b->rport;
}

static uint32_t
hash_home(const struct tcp_tbl *t, const struct tcp_tuple *tu)
{
	return (uint32_t)tcp_tuple_hash(t->hash_key, tu, NULL, 0) & t->hash_mask;
}

struct tcp_conn *
tcp_tbl_lookup(struct tcp_tbl *t, const struct tcp_tuple *tu)
{
	/* Open addressing, linear probing; the table is at most half full. */
	for (uint32_t i = hash_home(t, tu); t->hash[i] != 0; i = (i + 1) & t->hash_mask) {
		struct tcp_conn *c = &t->conns[t->hash[i] - 1];

		if (tuple_eq(&c->tuple, tu))
			return c;
	}
	return NULL;
}

static void
hash_insert(struct tcp_tbl *t, struct tcp_conn *c)
{
	uint32_t i = hash_home(t, &c->tuple);

	c->hhome = i;
	while (t->hash[i] != 0)
		i = (i + 1) & t->hash_mask;
	t->hash[i] = c->idx + 1;
}

static void
hash_remove(struct tcp_tbl *t, struct tcp_conn *c)
{
	uint32_t m = t->hash_mask, i = c->hhome, j;

	while (t->hash[i] != c->idx + 1) {
		if (t->hash[i] == 0)
			return;
		i = (i + 1) & m;
	}
	/* Backward-shift deletion: no tombstones, probes stay short. */
	for (j = (i + 1) & m; t->hash[j] != 0; j = (j + 1) & m) {
		uint32_t k = t->conns[t->hash[j] - 1].hhome;

		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (((j - k) & m) >= ((j - i) & m)) {
			t->hash[i] = t->hash[j];
			i = j;
		}
	}
	t->hash[i] = 0;
}

/* ---------------------------------------------------------------- events */

static void
ev_push(struct tcp_tbl *t, struct tcp_conn *c, uint32_t bits)
{
	uint32_t pos;

	if (!(c->flags & TCP_CF_ACCEPTED))
		return;
	if (c->ev_idx != 0) {
		t->ev[c->ev_idx - 1].events |= bits;
		return;
	}
	if (t->ev_n == t->ev_cap) {
		t->stats.events_lost++;
		return;
	}
	pos = (t->ev_head + t->ev_n) % t->ev_cap;
	t->ev[pos].handle = tcp_conn_handle(c);
	t->ev[pos].user = c->user;
	t->ev[pos].events = bits;
	t->ev_n++;
	c->ev_idx = pos + 1;
}

unsigned
tcp_tbl_event_burst(struct tcp_tbl *t, struct tcp_event *ev, unsigned max)
{
	unsigned n = 0;

	while (n < max && t->ev_n > 0) {
		struct tcp_event *e = &t->ev[t->ev_head];
		uint32_t idx = (uint32_t)e->handle;
		struct tcp_conn *c = &t->conns[idx];

		if (c->gen == (uint32_t)(e->handle >> 32) && c->ev_idx == t->ev_head + 1)
			c->ev_idx = 0;
		ev[n++] = *e;
		t->ev_head = (t->ev_head + 1) % t->ev_cap;
		t->ev_n--;
	}
	return n;
}

/* ----------------------------------------------------------- connections */

uint64_t
tcp_conn_handle(const struct tcp_conn *c)
{
	return ((uint64_t)c->gen << 32) | c->idx;
}

struct tcp_conn *
tcp_tbl_conn_get(struct tcp_tbl *t, uint64_t handle)
{
	uint32_t idx = (uint32_t)handle;
	struct tcp_conn *c;

	if (idx >= t->cfg.max_conns)
		return NULL;
	c = &t->conns[idx];
	if (c->gen != (uint32_t)(handle >> 32) || c->state == TCP_CLOSED ||
	    (c->flags & TCP_CF_CLOSED_EV))
		return NULL;
	return c;
}

enum tcp_state
tcp_conn_state(const struct tcp_conn *c)
{
	return (enum tcp_state)c->state;
}

const struct tcp_tuple *
tcp_conn_tuple(const struct tcp_conn *c)
{
	return &c->tuple;
}

void
tcp_conn_set_user(struct tcp_conn *c, void *user)
{
	c->user = user;
}

void *
tcp_conn_user(const struct tcp_conn *c)
{
	return c->user;
}

static void tw_unlink(struct tcp_tbl *t, struct tcp_conn *c);
static void conn_free(struct tcp_tbl *t, struct tcp_conn *c, bool reset);

static void
set_state(struct tcp_tbl *t, struct tcp_conn *c, enum tcp_state s)
{
	uint64_t now = t->now_us;

	if (c->state != TCP_CLOSED)
		t->stats.conns[c->state]--;
	if (s != TCP_CLOSED)
		t->stats.conns[s]++;
	if (c->state == TCP_SYN_RCVD)
		t->n_half_open--;
	if (c->state == TCP_TIME_WAIT)
		tw_unlink(t, c);
	c->state = (uint8_t)s;
	switch (s) {
	case TCP_SYN_RCVD:
		t->n_half_open++;
		c->life_at = now + t->cfg.handshake_timeout_us;
		break;
	case TCP_FIN_WAIT_2:
		c->life_at = now + t->cfg.fin_wait2_us;
		break;
	case TCP_TIME_WAIT:
		/* The application is done with it: its handle goes stale now. */
		ev_push(t, c, TCP_EV_CLOSED);
		c->flags |= TCP_CF_CLOSED_EV;
		c->life_at = now + t->cfg.time_wait_us;
		c->rto_at = 0;
		c->dack_at = 0;
		c->tw_next = NULL;
		c->tw_pprev = t->tw_tail;
		*t->tw_tail = c;
		t->tw_tail = &c->tw_next;
		t->n_time_wait++;
		/* TIME_WAIT cannot exhaust the table: past the cap, the oldest goes. */
		if (t->n_time_wait > t->cfg.max_time_wait && t->tw_head != c) {
			t->stats.time_wait_reused++;
			conn_free(t, t->tw_head, false);
		}
		break;
	default:
		c->life_at = t->cfg.idle_timeout_us != 0 ?
			     c->last_rx_us + t->cfg.idle_timeout_us : 0;
		break;
	}
}

static void
tw_unlink(struct tcp_tbl *t, struct tcp_conn *c)
{
	if (c->tw_pprev == NULL)
		return;
	*c->tw_pprev = c->tw_next;
	if (c->tw_next != NULL)
		c->tw_next->tw_pprev = c->tw_pprev;
	else
		t->tw_tail = c->tw_pprev;
	c->tw_next = NULL;
	c->tw_pprev = NULL;
	t->n_time_wait--;
}

static void
conn_free(struct tcp_tbl *t, struct tcp_conn *c, bool reset)
{
	if (c->state == TCP_CLOSED)
		return;
	if (!(c->flags & TCP_CF_CLOSED_EV))
		ev_push(t, c, TCP_EV_CLOSED | (reset ? TCP_EV_RESET : 0));
	set_state(t, c, TCP_CLOSED);
	hash_remove(t, c);
	tcp_wheel_cancel(&c->timer);
	c->ev_idx = 0;
	c->gen++;
	c->flags = 0;
	c->user = NULL;
	c->hnext = t->free_head;
	t->free_head = c->idx + 1;
	t->n_conns--;
	t->stats.closed++;
}

/* A free slot, else the oldest TIME_WAIT connection, else NULL. */
static struct tcp_conn *
conn_alloc(struct tcp_tbl *t)
{
	struct tcp_conn *c;
	uint32_t gen;

	if (t->free_head == 0) {
		if (t->tw_head == NULL)
			return NULL;
		t->stats.time_wait_reused++;
		conn_free(t, t->tw_head, false);
	}
	c = &t->conns[t->free_head - 1];
	t->free_head = c->hnext;
	gen = c->gen;
	{
		uint8_t *rx = c->rx_buf, *tx = c->tx_buf;
		uint32_t idx = c->idx;

		memset(c, 0, sizeof(*c));
		c->rx_buf = rx;
		c->tx_buf = tx;
		c->idx = idx;
	}
	c->gen = gen;
	t->n_conns++;
	return c;
}

/* ---------------------------------------------------------------- output */

const struct tcp_seg_out *
tcp_tbl_output(const struct tcp_tbl *t, unsigned *n)
{
	*n = t->n_out;
	return t->out;
}

void
tcp_tbl_output_clear(struct tcp_tbl *t)
{
	t->n_out = 0;
}

static struct tcp_seg_out *
out_new(struct tcp_tbl *t, const struct tcp_tuple *tu)
{
	struct tcp_seg_out *s;

	if (t->n_out == t->cfg.out_max) {
		drop(t, TCP_DROP_OUT_FULL);
		return NULL;
	}
	s = &t->out[t->n_out++];
	memset(s, 0, sizeof(*s));
	s->tuple = *tu;
	t->stats.tx_segs++;
	return s;
}

static uint32_t
rcv_data_end(const struct tcp_conn *c)
{
	return (c->flags & TCP_CF_FIN_RCVD) ? c->rcv_nxt - 1 : c->rcv_nxt;
}

/* The window field for a segment, advancing rcv_adv (never moving it left). */
static uint16_t
rcv_window(struct tcp_tbl *t, struct tcp_conn *c, bool syn)
{
	uint32_t space = t->rx_cap - (rcv_data_end(c) - c->rx_rd_seq);
	uint8_t shift = syn ? 0 : c->rcv_wscale;
	uint32_t w = space >> shift;
	uint32_t edge;

	/* RFC 7323 2.2: "The window field in a segment where the SYN bit is
	 * set (i.e., a <SYN> or <SYN,ACK>) MUST NOT be scaled." */
	if (w > 65535)
		w = 65535;
	edge = c->rcv_nxt + (w << shift);
	if (tcp_seq_lt(c->rcv_adv, edge))
		c->rcv_adv = edge;
	return (uint16_t)w;
}

/* A segment of @c: @n bytes of the send ring from @seq. */
static struct tcp_seg_out *
out_conn(struct tcp_tbl *t, struct tcp_conn *c, uint8_t flags, uint32_t seq, uint32_t n)
{
	struct tcp_seg_out *s = out_new(t, &c->tuple);

	if (s == NULL)
		return NULL;
	s->seq = seq;
	s->flags = flags;
	if (flags & TCP_FLAG_ACK) {
		s->ack = c->rcv_nxt;
		c->flags &= (uint16_t)~TCP_CF_ACK_NOW;
		c->dack_at = 0;
		c->rcv_unacked = 0;
	}
	s->window = rcv_window(t, c, false);
	if (s->window == 0 && !(flags & TCP_FLAG_RST))
		t->stats.zero_window_sent++;
	if (n > 0) {
		uint32_t mask = t->tx_cap - 1;
		uint32_t pos = (c->tx_pos + (seq - c->tx_seq)) & mask;
		uint32_t first = min_u32(n, t->tx_cap - pos);

		s->data[0] = c->tx_buf + pos;
		s->data_len[0] = first;
		if (first < n) {
			s->data[1] = c->tx_buf;
			s->data_len[1] = n - first;
		}
		s->len = n;
	}
	return s;
}

static void
out_ack(struct tcp_tbl *t, struct tcp_conn *c)
{
	out_conn(t, c, TCP_FLAG_ACK, c->snd_nxt, 0);
}

static void
out_synack(struct tcp_tbl *t, struct tcp_conn *c)
{
	struct tcp_seg_out *s = out_new(t, &c->tuple);

	if (s == NULL)
		return;
	s->seq = c->iss;
	s->ack = c->rcv_nxt;
	s->flags = TCP_FLAG_SYN | TCP_FLAG_ACK;
	s->window = rcv_window(t, c, true);
	s->opts[0] = 2;
	s->opts[1] = 4;
	s->opts[2] = (uint8_t)(t->cfg.mss >> 8);
	s->opts[3] = (uint8_t)t->cfg.mss;
	s->opt_len = 4;
	/* RFC 7323 2.2: a SYN-ACK carries the option only if the SYN did. */
	if (c->flags & TCP_CF_WSCALE) {
		s->opts[4] = 1;
		s->opts[5] = 3;
		s->opts[6] = 3;
		s->opts[7] = c->rcv_wscale;
		s->opt_len = 8;
	}
	c->synack_us = t->now_us;
}

/* RST answering a segment that has no connection (RFC 9293 3.10.7.1). */
static void
out_rst_reply(struct tcp_tbl *t, const struct tcp_seg *seg)
{
	struct tcp_seg_out *s = out_new(t, &seg->tuple);

	if (s == NULL)
		return;
	t->stats.resets_sent++;
	if (seg->flags & TCP_FLAG_ACK) {
		/* "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>" */
		s->seq = seg->ack;
		s->flags = TCP_FLAG_RST;
	} else {
		/* "If the ACK bit is off, sequence number zero is used,
		 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>" */
		s->seq = 0;
		s->ack = seg->seq + seg->len + !!(seg->flags & TCP_FLAG_SYN) +
			 !!(seg->flags & TCP_FLAG_FIN);
		s->flags = TCP_FLAG_RST | TCP_FLAG_ACK;
	}
}

static void
out_rst_conn(struct tcp_tbl *t, struct tcp_conn *c)
{
	struct tcp_seg_out *s = out_new(t, &c->tuple);

	if (s == NULL)
		return;
	t->stats.resets_sent++;
	/* RFC 9293 3.10.5 ABORT: "<SEQ=SND.NXT><CTL=RST>" */
	s->seq = c->snd_max;
	s->flags = TCP_FLAG_RST;
}

/* RFC 5961 3.2 / 4.2 challenge ACK, rate limited per table (RFC 5961 7). */
static void
out_challenge_ack(struct tcp_tbl *t, struct tcp_conn *c)
{
	uint64_t epoch = t->now_us / US_PER_S;

	if (epoch != t->chack_epoch) {
		t->chack_epoch = epoch;
		t->chack_count = 0;
	}
	if (t->chack_count >= t->cfg.challenge_ack_limit) {
		drop(t, TCP_DROP_CHALLENGE_LIMIT);
		return;
	}
	t->chack_count++;
	t->stats.challenge_acks++;
	out_ack(t, c);
}

/* ---------------------------------------------------------------- timers */

static void
timer_sync(struct tcp_tbl *t, struct tcp_conn *c)
{
	uint64_t next = 0;
	uint64_t d[3] = { c->rto_at, c->dack_at, c->life_at };

	for (unsigned i = 0; i < 3; i++)
		if (d[i] != 0 && (next == 0 || d[i] < next))
			next = d[i];
	if (next == 0) {
		tcp_wheel_cancel(&c->timer);
		return;
	}
	/* A later deadline leaves the timer early; it re-arms when it fires. */
	if (!tcp_timer_armed(&c->timer) || next < c->timer.expire_us)
		tcp_wheel_insert(&t->wheel, &c->timer, next);
}

static uint32_t
unsent_bytes(const struct tcp_conn *c)
{
	uint32_t end = c->tx_seq + c->tx_len;

	return tcp_seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
}

static bool
fin_acked(const struct tcp_conn *c)
{
	return (c->flags & TCP_CF_FIN_QUEUED) &&
	       c->snd_una == c->tx_seq + c->tx_len + 1;
}

static bool
can_send_data(const struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return true;
	default:
		return false;
	}
}

/* Send what the windows allow, then an ACK if one is still owed. */
static void
conn_output(struct tcp_tbl *t, struct tcp_conn *c)
{
	bool blocked = false;

	if (can_send_data(c)) {
		for (;;) {
			uint32_t end = c->tx_seq + c->tx_len;
			uint32_t unsent = unsent_bytes(c);
			uint32_t wnd = min_u32(c->snd_wnd, c->cwnd);
			uint32_t right = c->snd_una + wnd;
			uint32_t usable = tcp_seq_lt(c->snd_nxt, right) ? right - c->snd_nxt : 0;
			uint32_t n = min_u32(min_u32(unsent, usable), c->mss);
			bool fin = (c->flags & TCP_CF_FIN_QUEUED) && c->snd_nxt + n == end;
			struct tcp_seg_out *s;

			if (n == 0 && !fin)
				break;
			/* Sender SWS avoidance (RFC 9293 3.8.6.2.1): a full
			 * segment, all that is queued, or half the largest
			 * window the peer offered. */
			if (n > 0 && n < unsent && n < c->mss && n < c->max_snd_wnd / 2 &&
			    c->snd_nxt != c->snd_una)
				break;
			s = out_conn(t, c, (uint8_t)(TCP_FLAG_ACK | (n > 0 ? TCP_FLAG_PSH : 0) |
				     (fin ? TCP_FLAG_FIN : 0)), c->snd_nxt, n);
			if (s == NULL) {
				blocked = true;
				break;
			}
			if (tcp_seq_lt(c->snd_nxt, c->snd_max)) {
				t->stats.retransmits++;
			} else if (!(c->flags & TCP_CF_RTT)) {
				c->flags |= TCP_CF_RTT;
				c->rtt_seq = c->snd_nxt;
				c->rtt_start_us = t->now_us;
			}
			c->snd_nxt += n + fin;
			c->snd_max = tcp_seq_max(c->snd_max, c->snd_nxt);
			if (fin)
				break;
		}
	}
	if (c->flags & TCP_CF_ACK_NOW)
		out_ack(t, c);
	/* RFC 6298 5.1: "Every time a packet containing data is sent
	 * (including a retransmission), if the timer is not running, start it
	 * running so that it will expire after RTO seconds". */
	if (c->state != TCP_SYN_RCVD && c->rto_at == 0 &&
	    (c->snd_max != c->snd_una ||
	     (unsent_bytes(c) > 0 && (c->snd_wnd == 0 || blocked))))
		c->rto_at = t->now_us + c->rto_us;
	timer_sync(t, c);
}

static void
rtt_sample(struct tcp_tbl *t, struct tcp_conn *c, uint64_t r64)
{
	uint32_t r = r64 > UINT32_MAX / 8 ? UINT32_MAX / 8 : (uint32_t)r64;
	uint32_t k;
	uint64_t rto;

	if (c->srtt_us == 0) {
		/* RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2 */
		c->srtt_us = r > 0 ? r : 1;
		c->rttvar_us = r / 2;
	} else {
		/* 2.3: RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|, SRTT <- 7/8 SRTT + 1/8 R' */
		uint32_t delta = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;

		c->rttvar_us = (3 * c->rttvar_us + delta) / 4;
		c->srtt_us = (7 * c->srtt_us + r) / 8;
		if (c->srtt_us == 0)
			c->srtt_us = 1;
	}
	/* RTO <- SRTT + max (G, K*RTTVAR), K = 4, G the clock granularity. */
	k = 4 * c->rttvar_us;
	rto = (uint64_t)c->srtt_us + (k > t->cfg.timer_tick_us ? k : t->cfg.timer_tick_us);
	/* 2.4: "Whenever RTO is computed, if it is less than 1 second, then
	 * the RTO SHOULD be rounded up to 1 second" (rto_min, configurable);
	 * 2.5: "A maximum value MAY be placed on RTO provided it is at least
	 * 60 seconds." */
	if (rto < t->cfg.rto_min_us)
		rto = t->cfg.rto_min_us;
	if (rto > t->cfg.rto_max_us)
		rto = t->cfg.rto_max_us;
	c->rto_us = (uint32_t)rto;
}

static void
rto_backoff(struct tcp_tbl *t, struct tcp_conn *c)
{
	/* RFC 6298 5.5: "The host MUST set RTO <- RTO * 2 ("back off the timer")." */
	uint64_t r = (uint64_t)c->rto_us * 2;

	c->rto_us = r > t->cfg.rto_max_us ? t->cfg.rto_max_us : (uint32_t)r;
}

static void
conn_timeout(struct tcp_tbl *t, struct tcp_conn *c)
{
	t->stats.timeouts++;
	if (c->state != TCP_SYN_RCVD && c->state != TCP_TIME_WAIT)
		out_rst_conn(t, c);
	conn_free(t, c, true);
}

static void
conn_rto(struct tcp_tbl *t, struct tcp_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;
	uint32_t ss;

	if (c->state == TCP_SYN_RCVD) {
		if (c->syn_retx >= t->cfg.syn_retries) {
			conn_timeout(t, c);
			return;
		}
		c->syn_retx++;
		t->stats.retransmits++;
		rto_backoff(t, c);
		out_synack(t, c);
		c->rto_at = t->now_us + c->rto_us;
		timer_sync(t, c);
		return;
	}
	if (flight == 0 && unsent_bytes(c) == 0) {
		timer_sync(t, c);
		return;
	}
	if (c->retries >= t->cfg.max_retries) {
		conn_timeout(t, c);
		return;
	}
	c->retries++;
	rto_backoff(t, c);
	c->dupacks = 0;
	/* Karn: no RTT sample from a retransmitted segment. */
	c->flags &= (uint16_t)~TCP_CF_RTT;
	if (c->snd_wnd == 0) {
		/*
		 * Zero window: probe with one byte past the window (RFC 9293
		 * 3.8.6.1). RFC 1122 4.2.2.17: "A TCP MUST allow the
		 * connection's receiving window to stay closed indefinitely,
		 * as long as the receiving TCP continues to send
		 * acknowledgments in response to the probe segments" -- every
		 * ACK resets retries while probing.
		 */
		uint32_t end = c->tx_seq + c->tx_len;

		c->flags |= TCP_CF_PERSIST;
		t->stats.probes++;
		if (tcp_seq_lt(c->snd_una, end) &&
		    out_conn(t, c, TCP_FLAG_ACK, c->snd_una, 1) != NULL) {
			c->snd_nxt = tcp_seq_max(c->snd_nxt, c->snd_una + 1);
			c->snd_max = tcp_seq_max(c->snd_max, c->snd_nxt);
		}
	} else {
		/* RFC 5681 3.1 eq. (4): ssthresh = max (FlightSize / 2,
		 * 2*SMSS); the loss window is one segment. */
		t->stats.rto_expired++;
		ss = flight / 2;
		c->ssthresh = ss > 2u * c->mss ? ss : 2u * c->mss;
		c->cwnd = c->mss;
		/* Go back: resend from SND.UNA as the (now one-segment) window allows. */
		c->snd_nxt = c->snd_una;
		c->rto_at = 0;
		conn_output(t, c);
	}
	c->rto_at = t->now_us + c->rto_us;
	timer_sync(t, c);
}

static void
conn_timer_fire(struct tcp_timer *tm, void *arg)
{
	struct tcp_tbl *t = arg;
	struct tcp_conn *c = (struct tcp_conn *)((char *)tm - offsetof(struct tcp_conn, timer));
	uint64_t now = t->now_us;

	if (c->life_at != 0 && c->life_at <= now) {
		/* Handshake, idle, FIN_WAIT_2 or TIME_WAIT lifetime over. */
		if (c->state == TCP_TIME_WAIT || c->state == TCP_FIN_WAIT_2)
			conn_free(t, c, false);
		else
			conn_timeout(t, c);
		return;
	}
	if (c->dack_at != 0 && c->dack_at <= now) {
		c->dack_at = 0;
		c->flags |= TCP_CF_ACK_NOW;
		t->stats.delayed_acks++;
	}
	if (c->rto_at != 0 && c->rto_at <= now) {
		c->rto_at = 0;
		conn_rto(t, c);
		if (c->state == TCP_CLOSED)
			return;
	}
	conn_output(t, c);
}

unsigned
tcp_tbl_tick(struct tcp_tbl *t, uint64_t now_us)
{
	if (now_us > t->now_us)
		t->now_us = now_us;
	return tcp_wheel_run(&t->wheel, t->now_us, conn_timer_fire, t);
}

/* ----------------------------------------------------------------- input */

/* MSS and window scale from a SYN's options; -1 when the list is malformed. */
static int
parse_opts(const uint8_t *o, unsigned n, uint16_t *mss, int *wscale)
{
	unsigned i = 0;

	while (i < n) {
		uint8_t kind = o[i], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		/* RFC 9293 3.1: "a TCP implementation MUST be prepared to handle
		 * an illegal option length (e.g., zero)". */
		if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
			return -1;
		len = o[i + 1];
		if (kind == 2 && len == 4)
			*mss = (uint16_t)(o[i + 2] << 8 | o[i + 3]);
		else if (kind == 3 && len == 3)
			*wscale = o[i + 2];
		i += len;
	}
	return 0;
}

static void
conn_init_common(struct tcp_tbl *t, struct tcp_conn *c, const struct tcp_seg *seg,
		 uint32_t iss, uint16_t peer_mss)
{
	uint32_t mss;

	c->tuple = seg->tuple;
	c->iss = iss;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rx_rd_seq = c->rcv_nxt;
	c->rcv_adv = c->rcv_nxt;
	c->tx_seq = iss + 1;
	/* RFC 9293 3.7.1: Eff.snd.MSS = min(SendMSS, our limit). */
	c->mss = peer_mss < t->cfg.mss ? peer_mss : t->cfg.mss;
	if (c->mss < 64)
		c->mss = 64;
	mss = c->mss;
	/* RFC 6928 initial window: min (10*MSS, max (2*MSS, 14600)). */
	c->cwnd = min_u32(10 * mss, 2 * mss > 14600 ? 2 * mss : 14600);
	c->ssthresh = UINT32_MAX / 2;
	c->rto_us = t->cfg.rto_init_us;
	c->last_rx_us = t->now_us;
	hash_insert(t, c);
}

/* A SYN on a listening port: a half-open connection or a SYN cookie. */
static int
listen_syn(struct tcp_tbl *t, const struct tcp_seg *seg)
{
	uint16_t peer_mss = TCP_MSS_DEFAULT;
	int wscale = -1;
	struct tcp_conn *c;

	if (seg->flags & (TCP_FLAG_RST | TCP_FLAG_FIN))
		return drop(t, TCP_DROP_BAD_FLAGS);
	if (parse_opts(seg->opts, seg->opt_len, &peer_mss, &wscale) < 0) {
		drop(t, TCP_DROP_BAD_OPTIONS);
		peer_mss = TCP_MSS_DEFAULT;
		wscale = -1;
	}
	if (t->n_half_open >= t->cfg.max_half_open) {
		struct tcp_seg_out *s;

		if (!t->cfg.syn_cookies)
			return drop(t, TCP_DROP_TABLE_FULL);
		/* RFC 4987 3.6: answer statelessly, the state in the ISN. */
		s = out_new(t, &seg->tuple);
		if (s == NULL)
			return drop(t, TCP_DROP_OUT_FULL);
		s->seq = tcp_cookie_make(t, &seg->tuple, seg->seq, peer_mss, t->now_us);
		s->ack = seg->seq + 1;
		s->flags = TCP_FLAG_SYN | TCP_FLAG_ACK;
		s->window = (uint16_t)min_u32(t->rx_cap, 65535);
		s->opts[0] = 2;
		s->opts[1] = 4;
		s->opts[2] = (uint8_t)(t->cfg.mss >> 8);
		s->opts[3] = (uint8_t)t->cfg.mss;
		s->opt_len = 4;
		t->stats.cookies_sent++;
		return 0;
	}
	c = conn_alloc(t);
	if (c == NULL) {
		/* Fail closed: the table is full of live connections. */
		out_rst_reply(t, seg);
		return drop(t, TCP_DROP_TABLE_FULL);
	}
	conn_init_common(t, c, seg, tcp_isn(t, &seg->tuple, t->now_us), peer_mss);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->snd_max = c->snd_nxt;
	/* RFC 7323 2.2: the SYN's window is never scaled. */
	c->snd_wnd = seg->window;
	c->max_snd_wnd = seg->window;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	if (wscale >= 0) {
		/* RFC 7323 2.3: "If a Window Scale option is received with a
		 * shift.cnt value larger than 14, the TCP SHOULD log the error
		 * but MUST use 14 instead of the specified value." */
		c->snd_wscale = (uint8_t)(wscale > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : wscale);
		c->rcv_wscale = t->rcv_wscale;
		c->flags |= TCP_CF_WSCALE;
	}
	set_state(t, c, TCP_SYN_RCVD);
	t->stats.syn_rcvd++;
	out_synack(t, c);
	c->rto_at = t->now_us + c->rto_us;
	timer_sync(t, c);
	return 0;
}

static void
conn_established(struct tcp_tbl *t, struct tcp_conn *c)
{
	set_state(t, c, TCP_ESTABLISHED);
	t->stats.accepted++;
	c->flags |= TCP_CF_ACCEPTED;
	ev_push(t, c, TCP_EV_ACCEPT);
}

/* An ACK to a listening port: the last step of a SYN cookie handshake. */
static int conn_input(struct tcp_tbl *t, struct tcp_conn *c, const struct tcp_seg *seg);

static int
listen_ack(struct tcp_tbl *t, const struct tcp_seg *seg)
{
	uint16_t mss = 0;
	struct tcp_conn *c;

	if (t->cfg.syn_cookies)
		mss = tcp_cookie_check(t, &seg->tuple, seg->seq - 1, seg->ack - 1, t->now_us);
	if (mss == 0) {
		/* RFC 9293 3.10.7.2: "Any acknowledgment is bad if it arrives
		 * on a connection still in the LISTEN state. An acceptable reset
		 * segment should be formed for any arriving ACK-bearing segment." */
		if (t->cfg.syn_cookies)
			t->stats.cookies_failed++;
		out_rst_reply(t, seg);
		return drop(t, TCP_DROP_COOKIE_FAILED);
	}
	c = conn_alloc(t);
	if (c == NULL) {
		out_rst_reply(t, seg);
		return drop(t, TCP_DROP_TABLE_FULL);
	}
	t->stats.cookies_validated++;
	conn_init_common(t, c, seg, seg->ack - 1, mss);
	c->irs = seg->seq - 1;
	c->rcv_nxt = seg->seq;
	c->rx_rd_seq = seg->seq;
	c->rcv_adv = seg->seq + min_u32(t->rx_cap, 65535);
	c->snd_una = seg->ack;
	c->snd_nxt = seg->ack;
	c->snd_max = seg->ack;
	c->snd_wnd = seg->window;   /* no window scaling on a cookie */
	c->max_snd_wnd = seg->window;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	c->flags |= TCP_CF_COOKIE;
	c->state = TCP_CLOSED;
	conn_established(t, c);
	return conn_input(t, c, seg);
}

/* RFC 9293 3.10.7.4, "first, check sequence number". */
static bool
seq_acceptable(const struct tcp_conn *c, uint32_t seq, uint32_t seglen)
{
	uint32_t wnd = c->rcv_adv - c->rcv_nxt;

	if (seglen == 0) {
		if (wnd == 0)
			return seq == c->rcv_nxt;
		return tcp_seq_le(c->rcv_nxt, seq) && tcp_seq_lt(seq, c->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return false;
	return (tcp_seq_le(c->rcv_nxt, seq) && tcp_seq_lt(seq, c->rcv_nxt + wnd)) ||
	       (tcp_seq_le(c->rcv_nxt, seq + seglen - 1) &&
		tcp_seq_lt(seq + seglen - 1, c->rcv_nxt + wnd));
}

static void
rx_copy(struct tcp_tbl *t, struct tcp_conn *c, uint32_t seq, const uint8_t *p, uint32_t n)
{
	uint32_t mask = t->rx_cap - 1;
	uint32_t pos = (c->rx_rd + (seq - c->rx_rd_seq)) & mask;
	uint32_t first = min_u32(n, t->rx_cap - pos);

	memcpy(c->rx_buf + pos, p, first);
	memcpy(c->rx_buf, p + first, n - first);
}

/* Add [s, e) to the out-of-order ranges; false when they are all in use. */
static bool
ooo_add(struct tcp_conn *c, uint32_t s, uint32_t e)
{
	struct tcp_range r[TCP_OOO_MAX + 1];
	unsigned n = 0, i;
	bool placed = false;

	for (i = 0; i < c->n_ooo; i++) {
		struct tcp_range x = c->ooo[i];

		if (tcp_seq_le(x.start, e) && tcp_seq_le(s, x.end)) {
			/* Overlapping or adjacent: absorb it. */
			if (tcp_seq_lt(x.start, s))
				s = x.start;
			if (tcp_seq_lt(e, x.end))
				e = x.end;
			continue;
		}
		if (!placed && tcp_seq_lt(e, x.start)) {
			r[n++] = (struct tcp_range){ s, e };
			placed = true;
		}
		r[n++] = x;
	}
	if (!placed)
		r[n++] = (struct tcp_range){ s, e };
	if (n > TCP_OOO_MAX)
		return false;
	memcpy(c->ooo, r, n * sizeof(r[0]));
	c->n_ooo = (uint8_t)n;
	return true;
}

/* Advance RCV.NXT over held ranges the in-order data now reaches. */
static bool
ooo_merge(struct tcp_conn *c)
{
	bool merged = false;

	while (c->n_ooo > 0 && tcp_seq_le(c->ooo[0].start, c->rcv_nxt)) {
		c->rcv_nxt = tcp_seq_max(c->rcv_nxt, c->ooo[0].end);
		memmove(&c->ooo[0], &c->ooo[1], (c->n_ooo - 1) * sizeof(c->ooo[0]));
		c->n_ooo--;
		merged = true;
	}
	return merged;
}

/* RFC 9293 3.10.7.4 "fifth, check the ACK field", for an acceptable ACK. */
static void
ack_new_data(struct tcp_tbl *t, struct tcp_conn *c, uint32_t ack)
{
	uint32_t acked = ack - c->snd_una;

	/* Karn (RFC 6298 3): only a segment never retransmitted is timed. */
	if ((c->flags & TCP_CF_RTT) && tcp_seq_lt(c->rtt_seq, ack)) {
		c->flags &= (uint16_t)~TCP_CF_RTT;
		rtt_sample(t, c, t->now_us - c->rtt_start_us);
	}
	c->snd_una = ack;
	if (tcp_seq_lt(c->tx_seq, ack)) {
		uint32_t d = min_u32(ack - c->tx_seq, c->tx_len);

		c->tx_seq += d;
		c->tx_pos = (c->tx_pos + d) & (t->tx_cap - 1);
		c->tx_len -= d;
		if (d > 0)
			ev_push(t, c, TCP_EV_WRITABLE);
	}
	if (tcp_seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->retries = 0;
	/* RFC 5681: leave fast recovery, or grow the window. */
	if (c->dupacks >= 3)
		c->cwnd = c->ssthresh;
	else if (c->cwnd < c->ssthresh)
		c->cwnd += min_u32(acked, c->mss);
	else
		c->cwnd += (uint32_t)((uint64_t)c->mss * c->mss / c->cwnd) + 1;
	c->dupacks = 0;
	/* RFC 6298 5.2/5.3: all acked: stop the timer; else restart it. */
	c->rto_at = c->snd_una == c->snd_max ? 0 : t->now_us + c->rto_us;
}

static void
fast_retransmit(struct tcp_tbl *t, struct tcp_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;
	uint32_t end = c->tx_seq + c->tx_len;
	uint32_t n = tcp_seq_lt(c->snd_una, end) ? min_u32(end - c->snd_una, c->mss) : 0;
	bool fin = (c->flags & TCP_CF_FIN_QUEUED) && c->snd_una + n == end &&
		   tcp_seq_lt(end, c->snd_max);

	/* RFC 5681 3.2: ssthresh = max (FlightSize / 2, 2*SMSS), resend the
	 * missing segment, cwnd = ssthresh + 3*SMSS. */
	c->ssthresh = flight / 2 > 2u * c->mss ? flight / 2 : 2u * c->mss;
	c->cwnd = c->ssthresh + 3u * c->mss;
	c->flags &= (uint16_t)~TCP_CF_RTT;
	if (out_conn(t, c, (uint8_t)(TCP_FLAG_ACK | (fin ? TCP_FLAG_FIN : 0)), c->snd_una, n))
		t->stats.fast_retransmits++;
}

static int
conn_input(struct tcp_tbl *t, struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint8_t fl = seg->flags;
	uint32_t seq = seg->seq, ack = seg->ack, len = seg->len;
	const uint8_t *data = seg->payload;
	bool fin = fl & TCP_FLAG_FIN;
	uint32_t seglen = len + !!(fl & TCP_FLAG_SYN) + fin;
	int ret = 0;

	/* A retransmitted SYN: our SYN-ACK was lost. */
	if (c->state == TCP_SYN_RCVD && (fl & TCP_FLAG_SYN) &&
	    !(fl & (TCP_FLAG_ACK | TCP_FLAG_RST)) && seq == c->irs) {
		out_synack(t, c);
		return 0;
	}

	/* first, check sequence number */
	if (!seq_acceptable(c, seq, seglen)) {
		/* "If an incoming segment is not acceptable, an acknowledgment
		 * should be sent in reply (unless the RST bit is set, if so
		 * drop the segment and return)". */
		if (fl & TCP_FLAG_RST)
			return drop(t, TCP_DROP_RST_INVALID);
		/* TIME-WAIT: a retransmitted FIN restarts the 2 MSL timeout. */
		if (c->state == TCP_TIME_WAIT && fin)
			c->life_at = t->now_us + t->cfg.time_wait_us;
		out_ack(t, c);
		timer_sync(t, c);
		return drop(t, tcp_seq_le(seq + seglen, c->rcv_nxt) ?
			    TCP_DROP_DUPLICATE : TCP_DROP_OUT_OF_WINDOW);
	}

	/* second, check the RST bit */
	if (fl & TCP_FLAG_RST) {
		/* RFC 5961 3.2: "If the RST bit is set and the sequence number
		 * exactly matches the next expected sequence number (RCV.NXT),
		 * then TCP MUST reset the connection." ... "If the RST bit is
		 * set and the sequence number does not exactly match the next
		 * expected sequence value, yet is within the current receive
		 * window, TCP MUST send an acknowledgment (challenge ACK)". */
		if (seq == c->rcv_nxt) {
			t->stats.resets_rcvd++;
			conn_free(t, c, true);
			return 0;
		}
		out_challenge_ack(t, c);
		return drop(t, TCP_DROP_RST_CHALLENGED);
	}

	/* fourth, check the SYN bit: RFC 5961 4.2 "If the SYN bit is set,
	 * irrespective of the sequence number, TCP MUST send an ACK (also
	 * referred to as challenge ACK) to the remote peer". */
	if (fl & TCP_FLAG_SYN) {
		out_challenge_ack(t, c);
		return drop(t, TCP_DROP_SYN_CHALLENGED);
	}

	/* fifth, check the ACK field: "if the ACK bit is off, drop the segment" */
	if (!(fl & TCP_FLAG_ACK))
		return drop(t, TCP_DROP_BAD_FLAGS);
	c->last_rx_us = t->now_us;
	if (c->state == TCP_SYN_RCVD) {
		/* "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED
		 * state ... If the segment acknowledgment is not acceptable,
		 * form a reset segment <SEQ=SEG.ACK><CTL=RST>". */
		if (!(tcp_seq_lt(c->snd_una, ack) && tcp_seq_le(ack, c->snd_max))) {
			out_rst_reply(t, seg);
			return drop(t, TCP_DROP_BAD_ACK);
		}
		if (c->syn_retx == 0) {
			rtt_sample(t, c, t->now_us - c->synack_us);
		} else if (c->rto_us < TCP_RTO_AFTER_SYN_US) {
			/* RFC 6298 5.7: "the RTO MUST be re-initialized to 3
			 * seconds when data transmission begins". */
			c->rto_us = TCP_RTO_AFTER_SYN_US;
		}
		c->rto_at = 0;
		c->snd_wnd = (uint32_t)seg->window << c->snd_wscale;
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = seq;
		c->snd_wl2 = ack;
		conn_established(t, c);
	}
	/* RFC 5961 5.2: "(SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT" else
	 * "send an ACK and drop the segment"; RFC 9293: "If the ACK acks
	 * something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop
	 * the segment, and return." */
	if (tcp_seq_lt(c->snd_max, ack) || tcp_seq_lt(ack, c->snd_una - c->max_snd_wnd)) {
		out_ack(t, c);
		timer_sync(t, c);
		return drop(t, TCP_DROP_BAD_ACK);
	}
	if (c->state != TCP_TIME_WAIT) {
		uint32_t wnd = (uint32_t)seg->window << c->snd_wscale;

		if (c->flags & TCP_CF_PERSIST)
			c->retries = 0;     /* the peer answers our probes */
		if (tcp_seq_lt(c->snd_una, ack)) {
			ack_new_data(t, c, ack);
		} else if (ack == c->snd_una && len == 0 && !fin && wnd == c->snd_wnd &&
			   wnd != 0 && !(c->flags & TCP_CF_PERSIST) &&
			   c->snd_max != c->snd_una) {
			/* RFC 5681 3.2: the third duplicate ACK triggers a
			 * fast retransmit; more inflate the window. */
			if (++c->dupacks == 3)
				fast_retransmit(t, c);
			else if (c->dupacks > 3)
				c->cwnd += c->mss;
		}
		/* "If SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =<
		 * SEG.ACK), set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and
		 * set SND.WL2 <- SEG.ACK." */
		if (tcp_seq_le(c->snd_una, ack) &&
		    (tcp_seq_lt(c->snd_wl1, seq) ||
		     (c->snd_wl1 == seq && tcp_seq_le(c->snd_wl2, ack)))) {
			c->snd_wnd = wnd;
			c->snd_wl1 = seq;
			c->snd_wl2 = ack;
			if (wnd > c->max_snd_wnd)
				c->max_snd_wnd = wnd;
			if (wnd > 0 && (c->flags & TCP_CF_PERSIST)) {
				/* The window opened: send full segments from
				 * SND.UNA, the probe byte included. */
				c->flags &= (uint16_t)~TCP_CF_PERSIST;
				c->snd_nxt = c->snd_una;
				c->rto_at = c->snd_una == c->snd_max ? 0 :
					    t->now_us + c->rto_us;
			}
		}
		if (fin_acked(c)) {
			switch (c->state) {
			case TCP_FIN_WAIT_1:
				set_state(t, c, TCP_FIN_WAIT_2);
				break;
			case TCP_CLOSING:
				set_state(t, c, TCP_TIME_WAIT);
				break;
			case TCP_LAST_ACK:
				conn_free(t, c, false);
				return 0;
			default:
				break;
			}
		}
	}

	/* seventh, process the segment text (sixth, URG, is not supported) */
	if (len > 0 || fin) {
		uint32_t orig_len = len;

		if (tcp_seq_lt(seq, c->rcv_nxt)) {
			uint32_t skip = c->rcv_nxt - seq;

			if (skip > len) {
				len = 0;
				fin = false;    /* that FIN was consumed already */
			} else {
				data += skip;
				len -= skip;
			}
			seq = c->rcv_nxt;
		}
		if (tcp_seq_lt(c->rcv_adv, seq + len)) {
			len = tcp_seq_lt(seq, c->rcv_adv) ? c->rcv_adv - seq : 0;
			fin = false;
			drop(t, TCP_DROP_WINDOW_TRIM);
		}
		switch (c->state) {
		case TCP_ESTABLISHED:
		case TCP_FIN_WAIT_1:
		case TCP_FIN_WAIT_2:
			break;
		default:
			/* "This should not occur, since a FIN has been received
			 * from the remote side. Ignore the segment text." */
			if (len > 0)
				ret = drop(t, TCP_DROP_STATE);
			len = 0;
			fin = false;
			break;
		}
		if (len > 0 && seq == c->rcv_nxt) {
			bool had_gap = c->n_ooo > 0;

			rx_copy(t, c, seq, data, len);
			c->rcv_nxt += len;
			ooo_merge(c);
			ev_push(t, c, TCP_EV_READABLE);
			c->rcv_unacked += len;
			/* RFC 9293 3.8.6.3: "an ACK SHOULD be generated for at
			 * least every second full-sized segment" and "MUST be
			 * less than 0.5 seconds"; RFC 5681 4.2: ACK at once
			 * when a segment fills a gap. */
			if (had_gap || (c->flags & TCP_CF_QUICKACK) ||
			    c->rcv_unacked >= 2u * c->mss) {
				c->flags |= TCP_CF_ACK_NOW;
				c->flags &= (uint16_t)~TCP_CF_QUICKACK;
			} else if (c->dack_at == 0) {
				c->dack_at = t->now_us + t->cfg.delack_us;
			}
			if ((c->flags & TCP_CF_OOO_FIN) && c->rcv_nxt == c->ooo_fin_seq) {
				fin = true;
				seq = c->rcv_nxt;
				len = 0;
			}
		} else if (len > 0 || (fin && seq != c->rcv_nxt)) {
			/* Ahead of a gap: hold it, ACK RCV.NXT at once (RFC
			 * 5681 4.2: "A TCP receiver SHOULD send an immediate
			 * duplicate ACK when an out-of-order segment arrives"). */
			c->flags |= TCP_CF_ACK_NOW;
			if (len > 0 && !ooo_add(c, seq, seq + len)) {
				ret = drop(t, TCP_DROP_OOO_FULL);
				fin = false;
			} else if (len > 0) {
				rx_copy(t, c, seq, data, len);
			}
			if (fin) {
				c->flags |= TCP_CF_OOO_FIN;
				c->ooo_fin_seq = seq + len;
			}
			fin = false;
			len = 0;
		} else if (orig_len > 0 && !fin) {
			c->flags |= TCP_CF_ACK_NOW;
			ret = drop(t, TCP_DROP_DUPLICATE);
		}

		/* eighth, check the FIN bit */
		if (fin && seq + len == c->rcv_nxt) {
			c->rcv_nxt++;
			c->flags |= TCP_CF_FIN_RCVD | TCP_CF_ACK_NOW;
			c->flags &= (uint16_t)~TCP_CF_OOO_FIN;
			ev_push(t, c, TCP_EV_PEER_FIN);
			switch (c->state) {
			case TCP_ESTABLISHED:
				set_state(t, c, TCP_CLOSE_WAIT);
				break;
			case TCP_FIN_WAIT_1:
				set_state(t, c, fin_acked(c) ? TCP_TIME_WAIT : TCP_CLOSING);
				break;
			case TCP_FIN_WAIT_2:
				set_state(t, c, TCP_TIME_WAIT);
				break;
			default:
				break;
			}
		}
	}
	if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) {
		if (t->cfg.idle_timeout_us != 0)
			c->life_at = t->now_us + t->cfg.idle_timeout_us;
	}
	conn_output(t, c);
	return ret;
}

int
tcp_tbl_input(struct tcp_tbl *t, const struct tcp_seg *seg, uint64_t now_us)
{
	struct tcp_conn *c;

	if (now_us > t->now_us)
		t->now_us = now_us;
	t->stats.rx_segs++;
	c = tcp_tbl_lookup(t, &seg->tuple);
	if (c != NULL) {
		/* RFC 9293 3.10.7.4 / RFC 6191: a new SYN above RCV.NXT may
		 * take over a TIME-WAIT connection. */
		if (c->state == TCP_TIME_WAIT && (seg->flags & TCP_FLAG_SYN) &&
		    !(seg->flags & (TCP_FLAG_ACK | TCP_FLAG_RST)) &&
		    tcp_seq_lt(c->rcv_nxt, seg->seq)) {
			t->stats.time_wait_reused++;
			conn_free(t, c, false);
		} else {
			return conn_input(t, c, seg);
		}
	}
	/* No connection: CLOSED or LISTEN (RFC 9293 3.10.7.1, 3.10.7.2). */
	if (seg->flags & TCP_FLAG_RST)
		return drop(t, TCP_DROP_RST_INVALID);   /* "An incoming segment containing a RST is discarded." */
	if (!is_listening(t, seg->tuple.lport)) {
		out_rst_reply(t, seg);
		return drop(t, TCP_DROP_NO_LISTENER);
	}
	if ((seg->flags & TCP_FLAG_SYN) && (seg->flags & TCP_FLAG_ACK)) {
		out_rst_reply(t, seg);
		return drop(t, TCP_DROP_BAD_FLAGS);
	}
	if (seg->flags & TCP_FLAG_SYN)
		return listen_syn(t, seg);
	if (seg->flags & TCP_FLAG_ACK)
		return listen_ack(t, seg);
	return drop(t, TCP_DROP_BAD_FLAGS);
}

/* ----------------------------------------------------------- application */

static bool
conn_usable(const struct tcp_conn *c)
{
	return c->state != TCP_CLOSED && c->state != TCP_SYN_RCVD &&
	       !(c->flags & TCP_CF_CLOSED_EV);
}

uint32_t
tcp_conn_readable(const struct tcp_conn *c)
{
	return conn_usable(c) ? rcv_data_end(c) - c->rx_rd_seq : 0;
}

uint32_t
tcp_conn_writable(const struct tcp_tbl *t, const struct tcp_conn *c)
{
	if (!conn_usable(c) || (c->flags & TCP_CF_FIN_QUEUED) ||
	    (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT))
		return 0;
	return t->tx_cap - c->tx_len;
}

int
tcp_conn_read(struct tcp_tbl *t, struct tcp_conn *c, uint8_t *dst, size_t cap)
{
	uint32_t avail, n, pos, first, edge, grow;

	if (!conn_usable(c))
		return -ENOTCONN;
	avail = rcv_data_end(c) - c->rx_rd_seq;
	n = cap < avail ? (uint32_t)cap : avail;
	if (n == 0)
		return 0;
	pos = c->rx_rd & (t->rx_cap - 1);
	first = min_u32(n, t->rx_cap - pos);
	memcpy(dst, c->rx_buf + pos, first);
	memcpy(dst + first, c->rx_buf, n - first);
	c->rx_rd += n;
	c->rx_rd_seq += n;
	/*
	 * Receiver SWS avoidance (RFC 9293 3.8.6.2.2): the window reopens by
	 * at least min(half the buffer, one MSS). An explicit update is sent
	 * only when what the peer may still send fell to half the buffer or
	 * less; otherwise the next ACK carries it.
	 */
	edge = c->rx_rd_seq + t->rx_cap;
	grow = tcp_seq_lt(c->rcv_adv, edge) ? edge - c->rcv_adv : 0;
	if (!(c->flags & TCP_CF_FIN_RCVD) && grow >= min_u32(t->rx_cap / 2, c->mss) &&
	    c->rcv_adv - c->rcv_nxt <= t->rx_cap / 2 &&
	    (c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
	     c->state == TCP_FIN_WAIT_2)) {
		t->stats.window_updates++;
		c->flags |= TCP_CF_ACK_NOW;
		conn_output(t, c);
	}
	return (int)n;
}

int
tcp_conn_write(struct tcp_tbl *t, struct tcp_conn *c, const uint8_t *src, size_t len)
{
	uint32_t room, n, pos, first;

	if (c->state == TCP_CLOSED || (c->flags & TCP_CF_CLOSED_EV))
		return -ENOTCONN;
	if ((c->flags & TCP_CF_FIN_QUEUED) ||
	    (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT &&
	     c->state != TCP_SYN_RCVD))
		return -EPIPE;
	room = t->tx_cap - c->tx_len;
	n = len < room ? (uint32_t)len : room;
	if (n > 0) {
		pos = (c->tx_pos + c->tx_len) & (t->tx_cap - 1);
		first = min_u32(n, t->tx_cap - pos);
		memcpy(c->tx_buf + pos, src, first);
		memcpy(c->tx_buf, src + first, n - first);
		c->tx_len += n;
		conn_output(t, c);
	}
	return (int)n;
}

void
tcp_conn_quickack(struct tcp_tbl *t, struct tcp_conn *c)
{
	if (!conn_usable(c))
		return;
	c->flags |= TCP_CF_QUICKACK;
	if (c->rcv_unacked > 0 || c->dack_at != 0) {
		c->flags |= TCP_CF_ACK_NOW;
		conn_output(t, c);
	}
}

int
tcp_conn_close(struct tcp_tbl *t, struct tcp_conn *c)
{
	if (!conn_usable(c) || (c->flags & TCP_CF_FIN_QUEUED))
		return -ENOTCONN;
	switch (c->state) {
	case TCP_ESTABLISHED:
		set_state(t, c, TCP_FIN_WAIT_1);
		break;
	case TCP_CLOSE_WAIT:
		set_state(t, c, TCP_LAST_ACK);
		break;
	default:
		return -ENOTCONN;
	}
	c->flags |= TCP_CF_FIN_QUEUED;
	conn_output(t, c);
	return 0;
}

void
tcp_conn_abort(struct tcp_tbl *t, struct tcp_conn *c)
{
	if (c->state == TCP_CLOSED)
		return;
	if (c->state != TCP_TIME_WAIT && c->state != TCP_SYN_RCVD)
		out_rst_conn(t, c);
	conn_free(t, c, true);
}
