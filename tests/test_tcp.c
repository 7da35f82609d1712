/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP core with crafted segments, no kernel: handshake and options, ISNs,
 * data both ways, delayed/quick ACKs, retransmission with backoff and Karn,
 * fast retransmit, out-of-order and duplicates, zero windows and probes,
 * RST/FIN in every state, challenge ACKs, SYN cookies, wrap-around,
 * TIME_WAIT reuse, limits, timeouts, SipHash-2-4 vectors.
 */

#include <errno.h>

#include "check.h"
#include "tcp_priv.h"
#include "tcp_testbuf.h"

#define T0 1000000000ull        /* tests start at t = 1000 s */
#define MS 1000ull
#define LADDR 0xc6120002u       /* 198.18.0.2 */
#define RADDR 0xc6120001u       /* 198.18.0.1 */

static uint64_t now;

struct peer {
	uint16_t port;
	uint32_t irs;           /* the peer's ISN */
	uint32_t seq;           /* next sequence the peer sends */
	uint32_t ack;           /* what the peer acknowledges (our side) */
	uint16_t wnd;
	struct tcp_conn *c;
};

static struct tcp_config
cfg_small(void)
{
	struct tcp_config cfg;

	tcp_config_init(&cfg);
	cfg.max_conns = 8;
	cfg.max_half_open = 4;
	cfg.max_time_wait = 8;
	cfg.rx_buf_size = 65536;
	cfg.tx_buf_size = 65536;
	cfg.mss = 1000;
	cfg.buf_ops = testbuf_ops;
	cfg.fixed_secret = true;
	for (unsigned i = 0; i < sizeof(cfg.secret); i++)
		cfg.secret[i] = (uint8_t)(0x40 + i);
	return cfg;
}

static struct tcp_tbl *
tbl_new(const struct tcp_config *cfg)
{
	struct tcp_tbl *t = tcp_tbl_create(cfg);

	if (t == NULL) {
		perror("tcp_tbl_create");
		exit(1);
	}
	CHECK_EQ(tcp_tbl_listen(t, 443), 0);
	CHECK_EQ(tcp_tbl_listen(t, 443), -EEXIST);
	return t;
}

static struct tcp_tuple
tuple(uint16_t rport)
{
	return (struct tcp_tuple){ .laddr = LADDR, .raddr = RADDR, .lport = 443, .rport = rport };
}

static int
send_seg(struct tcp_tbl *t, uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags,
	 uint16_t wnd, const void *data, uint32_t len, const uint8_t *opts, uint8_t opt_len)
{
	struct tcp_seg s = {
		.tuple = tuple(rport), .seq = seq, .ack = ack, .flags = flags,
		.window = wnd, .opts = opts, .opt_len = opt_len,
		.payload = data, .len = len,
	};

	return tcp_tbl_input(t, &s, now);
}

/* The peer sends @len bytes of @data (or just an ACK) with its state. */
static int
peer_send(struct tcp_tbl *t, struct peer *p, uint8_t flags, const void *data, uint32_t len)
{
	int rc = send_seg(t, p->port, p->seq, p->ack, (uint8_t)(flags | TCP_FLAG_ACK), p->wnd,
			  data, len, NULL, 0);

	p->seq += len + !!(flags & TCP_FLAG_FIN);
	return rc;
}

static struct tcp_conn *
lookup(struct tcp_tbl *t, uint16_t rport)
{
	struct tcp_tuple tu = tuple(rport);

	return tcp_tbl_lookup(t, &tu);
}

static unsigned
nout(const struct tcp_tbl *t)
{
	unsigned n;

	tcp_tbl_output(t, &n);
	return n;
}

static const struct tcp_seg_out *
out(const struct tcp_tbl *t, unsigned i)
{
	unsigned n;
	const struct tcp_seg_out *o = tcp_tbl_output(t, &n);

	return i < n ? &o[i] : NULL;
}

static void
seg_data(const struct tcp_seg_out *o, uint8_t *dst)
{
	testbuf_seg_data(o, dst);
}

static const uint8_t syn_opts[] = { 2, 4, 0x05, 0x78, 1, 3, 3, 7 };    /* MSS 1400, WS 7 */

/* 3-way handshake from @port with peer ISN @irs; leaves the output empty. */
static void
handshake(struct tcp_tbl *t, struct peer *p, uint16_t port, uint32_t irs)
{
	const struct tcp_seg_out *o;

	memset(p, 0, sizeof(*p));
	p->port = port;
	p->irs = irs;
	p->wnd = 1000;          /* x 2^7 = 128000 */
	tcp_tbl_output_clear(t);
	CHECK_EQ(send_seg(t, port, irs, 0, TCP_FLAG_SYN, 65535, NULL, 0, syn_opts,
			  sizeof(syn_opts)), 0);
	o = out(t, 0);
	CHECK(o != NULL && o->flags == (TCP_FLAG_SYN | TCP_FLAG_ACK));
	if (o == NULL)
		exit(1);
	p->seq = irs + 1;
	p->ack = o->seq + 1;
	tcp_tbl_output_clear(t);
	now += 10 * MS;
	CHECK_EQ(peer_send(t, p, 0, NULL, 0), 0);
	CHECK_EQ(nout(t), 0);
	p->c = lookup(t, port);
	CHECK(p->c != NULL && p->c->state == TCP_ESTABLISHED);
}

static void
drain_events(struct tcp_tbl *t)
{
	struct tcp_event ev[32];
	unsigned n;

	/* As an owner does: a connection that is over is released. */
	while ((n = tcp_tbl_event_burst(t, ev, 32)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct tcp_conn *c = tcp_tbl_conn_get(t, ev[i].handle);

			if ((ev[i].events & TCP_EV_CLOSED) && c != NULL)
				tcp_conn_release(t, c);
		}
	}
}

/* ------------------------------------------------------------------ */

static void
test_siphash(void)
{
	uint8_t key[16], msg[64];

	for (unsigned i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (unsigned i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	/* The paper's appendix A: key 00..0f, message 00..0e. */
	CHECK(tcp_siphash24(key, msg, 15) == 0xa129ca6149be45e5ull);
	/* The reference implementation's vectors (message 00..len-1). */
	CHECK(tcp_siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ull);
	CHECK(tcp_siphash24(key, msg, 1) == 0x74f839c593dc67fdull);
	CHECK(tcp_siphash24(key, msg, 8) == 0x93f5f5799a932462ull);
	/* Every length 0..63 differs from its neighbours (tail handling). */
	for (unsigned i = 1; i < 64; i++)
		CHECK(tcp_siphash24(key, msg, i) != tcp_siphash24(key, msg, i - 1));
}

static void
test_handshake(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tbl_new(&cfg);
	const struct tcp_seg_out *o;
	struct tcp_tuple tu = tuple(40000);
	struct tcp_event ev[4];
	struct tcp_conn *c;
	uint32_t iss;

	now = T0;
	CHECK_EQ(send_seg(t, 40000, 1000, 0, TCP_FLAG_SYN, 65535, NULL, 0, syn_opts,
			  sizeof(syn_opts)), 0);
	CHECK_EQ(nout(t), 1);
	o = out(t, 0);
	CHECK_EQ(o->flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	CHECK_EQ(o->ack, 1001);
	CHECK_EQ(o->window, 65535);     /* a SYN's window is never scaled */
	CHECK_EQ(o->opt_len, 8);
	/* MSS 1000, NOP, window scale 1 (a 64 KiB ring needs one shift). */
	CHECK_MEM(o->opts, ((uint8_t[]){ 2, 4, 0x03, 0xe8, 1, 3, 3, 1 }), 8);
	iss = o->seq;
	/* RFC 6528: M (4 µs clock) + SipHash of the 4-tuple. */
	CHECK_EQ(iss, (uint32_t)(T0 / 4) + (uint32_t)tcp_tuple_hash(cfg.secret, &tu, NULL, 0));
	CHECK(tcp_isn(t, &tu, T0 + 400) == iss + 100);
	tu.rport++;
	CHECK(tcp_isn(t, &tu, T0) != iss);
	c = lookup(t, 40000);
	CHECK(c != NULL && c->state == TCP_SYN_RCVD);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_SYN_RCVD], 1);
	CHECK_EQ(tcp_tbl_event_burst(t, ev, 4), 0);  /* not yet the app's */
	tcp_tbl_output_clear(t);

	/* A retransmitted SYN gets the same SYN-ACK. */
	CHECK_EQ(send_seg(t, 40000, 1000, 0, TCP_FLAG_SYN, 65535, NULL, 0, syn_opts,
			  sizeof(syn_opts)), 0);
	CHECK(nout(t) == 1 && out(t, 0)->seq == iss && out(t, 0)->flags == (TCP_FLAG_SYN | TCP_FLAG_ACK));
	tcp_tbl_output_clear(t);

	/* A bad ACK in SYN_RCVD: <SEQ=SEG.ACK><CTL=RST>, still half-open. */
	CHECK_EQ(send_seg(t, 40000, 1001, iss + 5, TCP_FLAG_ACK, 100, NULL, 0, NULL, 0),
		 TCP_DROP_BAD_ACK + 1);
	CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_RST && out(t, 0)->seq == iss + 5);
	CHECK_EQ(c->state, TCP_SYN_RCVD);
	tcp_tbl_output_clear(t);

	now += 20 * MS;
	CHECK_EQ(send_seg(t, 40000, 1001, iss + 1, TCP_FLAG_ACK, 1000, NULL, 0, NULL, 0), 0);
	CHECK_EQ(c->state, TCP_ESTABLISHED);
	CHECK_EQ(c->snd_wscale, 7);
	CHECK_EQ(c->snd_wnd, 128000);
	CHECK_EQ(c->mss, 1000);
	/* The SYN-ACK's RTT (20 ms) is the first sample; RTO floors at 200 ms. */
	CHECK_EQ(c->srtt_us, 20000);
	CHECK_EQ(c->rto_us, 200000);
	CHECK_EQ(tcp_tbl_event_burst(t, ev, 4), 1);
	CHECK(ev[0].events == TCP_EV_ACCEPT && tcp_tbl_conn_get(t, ev[0].handle) == c);
	CHECK_EQ(tcp_tbl_stats(t)->accepted, 1);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_SYN_RCVD], 0);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_ESTABLISHED], 1);

	/* No listener: RST,ACK with ACK = SEQ + 1. */
	tcp_tbl_output_clear(t);
	CHECK_EQ(send_seg(t, 40001, 7, 0, TCP_FLAG_SYN, 100, NULL, 0, NULL, 0), 0);
	{
		struct tcp_seg s = { .tuple = tuple(40001), .seq = 7, .flags = TCP_FLAG_SYN };

		s.tuple.lport = 80;
		CHECK_EQ(tcp_tbl_input(t, &s, now), TCP_DROP_NO_LISTENER + 1);
		o = out(t, 1);
		CHECK(o != NULL && o->flags == (TCP_FLAG_RST | TCP_FLAG_ACK) && o->ack == 8 && o->seq == 0);
	}
	/* A SYN without options: MSS 536, no window scale in the SYN-ACK. */
	o = out(t, 0);
	CHECK(o->opt_len == 4);
	c = lookup(t, 40001);
	CHECK(c != NULL && c->mss == TCP_MSS_DEFAULT && !(c->flags & TCP_CF_WSCALE));
	/* Malformed options are counted and ignored. */
	CHECK_EQ(send_seg(t, 40002, 7, 0, TCP_FLAG_SYN, 100, NULL, 0,
			  (const uint8_t[]){ 2, 0, 1, 1 }, 4), 0);
	CHECK_EQ(tcp_tbl_stats(t)->drops[TCP_DROP_BAD_OPTIONS], 1);
	tcp_tbl_free(t);
}

static void
test_data(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tbl_new(&cfg);
	struct peer p;
	uint8_t buf[8192], got[8192];
	uint64_t rnd = 7;
	struct tcp_event ev[4];
	const struct tcp_seg_out *o;

	now = T0;
	handshake(t, &p, 40000, 5000);
	drain_events(t);
	check_fill(&rnd, buf, sizeof(buf));

	/* One small segment: the ACK is delayed (40 ms). */
	CHECK_EQ(peer_send(t, &p, TCP_FLAG_PSH, buf, 500), 0);
	CHECK_EQ(nout(t), 0);
	CHECK_EQ(tcp_conn_readable(p.c), 500);
	CHECK(tcp_tbl_event_burst(t, ev, 4) == 1 && ev[0].events == TCP_EV_READABLE);
	CHECK_EQ(tcp_conn_read(t, p.c, got, sizeof(got)), 500);
	CHECK_MEM(got, buf, 500);
	now += 39 * MS;
	tcp_tbl_tick(t, now);
	CHECK_EQ(nout(t), 0);
	now += 2 * MS;
	tcp_tbl_tick(t, now);
	CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_ACK && out(t, 0)->ack == p.seq);
	CHECK_EQ(tcp_tbl_stats(t)->delayed_acks, 1);
	tcp_tbl_output_clear(t);

	/* Every second full-sized segment is ACKed at once. */
	CHECK_EQ(peer_send(t, &p, 0, buf + 500, 1000), 0);
	CHECK_EQ(nout(t), 0);
	CHECK_EQ(peer_send(t, &p, 0, buf + 1500, 1000), 0);
	CHECK(nout(t) == 1 && out(t, 0)->ack == p.seq);
	CHECK_EQ(out(t, 0)->window, (65536 - 2000) >> 1);
	tcp_tbl_output_clear(t);
	CHECK_EQ(tcp_conn_read(t, p.c, got, sizeof(got)), 2000);
	CHECK_MEM(got, buf + 500, 2000);

	/* Quick ACK: what is pending goes now, and the next data is ACKed at once. */
	CHECK_EQ(peer_send(t, &p, 0, buf, 10), 0);
	CHECK_EQ(nout(t), 0);
	tcp_conn_quickack(t, p.c);
	CHECK(nout(t) == 1 && out(t, 0)->ack == p.seq);
	tcp_tbl_output_clear(t);
	CHECK_EQ(peer_send(t, &p, 0, buf, 10), 0);
	CHECK(nout(t) == 1 && out(t, 0)->ack == p.seq);
	tcp_tbl_output_clear(t);
	CHECK_EQ(tcp_conn_read(t, p.c, got, sizeof(got)), 20);

	/* Server to peer: 2500 bytes in MSS-sized segments, ACK piggybacked. */
	CHECK_EQ(tcp_conn_write(t, p.c, buf, 2500), 2500);
	CHECK_EQ(nout(t), 3);
	for (unsigned i = 0; i < 3; i++) {
		o = out(t, i);
		CHECK_EQ(o->seq, p.ack + 1000 * i);
		CHECK_EQ(o->len, i < 2 ? 1000 : 500);
		CHECK(o->flags & TCP_FLAG_ACK);
		CHECK_EQ(o->ack, p.seq);
		seg_data(o, got + 1000 * i);
	}
	CHECK_MEM(got, buf, 2500);
	tcp_tbl_output_clear(t);
	CHECK_EQ(tcp_conn_writable(t, p.c), 65536 - 2500);
	now += 30 * MS;
	p.ack += 2500;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	CHECK_EQ(p.c->snd_una, p.ack);
	CHECK_EQ(p.c->rto_at, 0);       /* nothing outstanding: timer off */
	CHECK_EQ(tcp_conn_writable(t, p.c), 65536);
	CHECK(tcp_tbl_event_burst(t, ev, 4) == 1 && (ev[0].events & TCP_EV_WRITABLE));
	/* The send ring is bounded. */
	CHECK_EQ(tcp_conn_write(t, p.c, buf, 8192), 8192);
	tcp_tbl_output_clear(t);
	tcp_tbl_free(t);
}

static void
test_retransmit(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tbl_new(&cfg);
	struct peer p;
	uint8_t buf[4000], got[4000];
	uint64_t rnd = 9;
	uint64_t sent_at;
	uint32_t srtt;
	struct peer p2;

	now = T0;
	handshake(t, &p, 40000, 77);
	check_fill(&rnd, buf, sizeof(buf));
	CHECK_EQ(p.c->rto_us, 200000);

	CHECK_EQ(tcp_conn_write(t, p.c, buf, 1000), 1000);
	CHECK_EQ(nout(t), 1);
	tcp_tbl_output_clear(t);
	sent_at = now;
	/* RTO 200 ms, then 400, 800, 1600: the same bytes each time. */
	for (unsigned k = 0; k < 4; k++) {
		uint64_t rto = 200 * MS << k;

		now = sent_at + rto - 2 * MS;
		tcp_tbl_tick(t, now);
		CHECK_EQ(nout(t), 0);
		now = sent_at + rto + 1 * MS;
		tcp_tbl_tick(t, now);
		CHECK_EQ(nout(t), 1);
		if (nout(t) == 1) {
			CHECK_EQ(out(t, 0)->seq, p.ack);
			CHECK_EQ(out(t, 0)->len, 1000);
			seg_data(out(t, 0), got);
			CHECK_MEM(got, buf, 1000);
		}
		CHECK_EQ(p.c->rto_us, 400000u << k);
		tcp_tbl_output_clear(t);
		sent_at = now;
	}
	CHECK_EQ(tcp_tbl_stats(t)->rto_expired, 4);
	CHECK_EQ(p.c->cwnd, 1000);
	/* Karn: the ACK of a retransmitted segment gives no RTT sample. */
	srtt = p.c->srtt_us;
	now += 5 * MS;
	p.ack += 1000;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	CHECK_EQ(p.c->srtt_us, srtt);
	CHECK_EQ(p.c->rto_us, 3200000);     /* the backed-off RTO is kept */
	CHECK_EQ(p.c->retries, 0);
	/* A fresh segment is timed: 50 ms. */
	CHECK_EQ(tcp_conn_write(t, p.c, buf, 100), 100);
	tcp_tbl_output_clear(t);
	now += 50 * MS;
	p.ack += 100;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	/* SRTT = 7/8 * 10 ms + 1/8 * 50 ms = 15 ms; RTTVAR = 3/4 * 5 + 1/4 * 40 = 13.75 ms. */
	CHECK_EQ(p.c->srtt_us, 15000);
	CHECK_EQ(p.c->rttvar_us, 13750);
	CHECK_EQ(p.c->rto_us, 200000);

	/* Fast retransmit on the third duplicate ACK (a fresh connection: IW10). */
	{
		struct peer p0 = p;

		handshake(t, &p, 40001, 99);
		p2 = p0;
	}
	CHECK_EQ(tcp_conn_write(t, p.c, buf, 4000), 4000);
	CHECK_EQ(nout(t), 4);
	tcp_tbl_output_clear(t);
	for (unsigned i = 0; i < 2; i++) {
		CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
		CHECK_EQ(nout(t), 0);
	}
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	CHECK_EQ(nout(t), 1);
	if (nout(t) == 1) {
		CHECK_EQ(out(t, 0)->seq, p.ack);
		CHECK_EQ(out(t, 0)->len, 1000);
		seg_data(out(t, 0), got);
		CHECK_MEM(got, buf, 1000);
	}
	CHECK_EQ(tcp_tbl_stats(t)->fast_retransmits, 1);
	CHECK_EQ(p.c->ssthresh, 2000);
	tcp_tbl_output_clear(t);
	p.ack += 4000;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	CHECK_EQ(p.c->cwnd, 2000);          /* recovery over: cwnd = ssthresh */

	/* Retries exhausted: RST and a CLOSED|RESET event. */
	tcp_conn_abort(t, p.c);
	p = p2;
	drain_events(t);
	CHECK_EQ(tcp_conn_write(t, p.c, buf, 10), 10);
	tcp_tbl_output_clear(t);
	for (unsigned k = 0; k < 20 && lookup(t, 40000) != NULL; k++) {
		now += 61 * 1000 * MS;
		tcp_tbl_tick(t, now);
		tcp_tbl_output_clear(t);
	}
	CHECK(lookup(t, 40000) == NULL);
	CHECK_EQ(tcp_tbl_stats(t)->timeouts, 1);
	{
		struct tcp_event ev[4];

		struct tcp_conn *gone;

		CHECK(tcp_tbl_event_burst(t, ev, 4) == 1 &&
		      ev[0].events == (TCP_EV_CLOSED | TCP_EV_RESET | TCP_EV_TIMEOUT));
		/* Over, but the owner's until it releases it. */
		gone = tcp_tbl_conn_get(t, ev[0].handle);
		CHECK(gone != NULL && tcp_conn_over(gone));
		CHECK_EQ(tcp_conn_write(t, gone, buf, 1), -ENOTCONN);
		tcp_conn_release(t, gone);
		CHECK(tcp_tbl_conn_get(t, ev[0].handle) == NULL);
	}
	tcp_tbl_free(t);
}

static void
test_ooo(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tbl_new(&cfg);
	struct peer p;
	uint8_t buf[12000], got[12000];
	uint64_t rnd = 11;
	uint32_t base;

	now = T0;
	handshake(t, &p, 40000, 0xfffff000u);
	check_fill(&rnd, buf, sizeof(buf));
	base = p.seq;

	/* B before A: B is held, a duplicate ACK goes out at once. */
	CHECK_EQ(send_seg(t, p.port, base + 1000, p.ack, TCP_FLAG_ACK, p.wnd, buf + 1000, 1000, NULL, 0), 0);
	CHECK(nout(t) == 1 && out(t, 0)->ack == base);
	CHECK_EQ(tcp_conn_readable(p.c), 0);
	CHECK_EQ(p.c->n_ooo, 1);
	tcp_tbl_output_clear(t);
	/* A fills the gap: ACK at once, A||B readable. */
	CHECK_EQ(send_seg(t, p.port, base, p.ack, TCP_FLAG_ACK, p.wnd, buf, 1000, NULL, 0), 0);
	CHECK(nout(t) == 1 && out(t, 0)->ack == base + 2000);
	CHECK_EQ(p.c->n_ooo, 0);
	tcp_tbl_output_clear(t);
	CHECK_EQ(tcp_conn_read(t, p.c, got, sizeof(got)), 2000);
	CHECK_MEM(got, buf, 2000);

	/* A duplicate of A: ACKed and dropped. */
	CHECK_EQ(send_seg(t, p.port, base, p.ack, TCP_FLAG_ACK, p.wnd, buf, 1000, NULL, 0),
		 TCP_DROP_DUPLICATE + 1);
	CHECK(nout(t) == 1 && out(t, 0)->ack == base + 2000);
	tcp_tbl_output_clear(t);
	/* Partly old: only the new part is taken. */
	CHECK_EQ(send_seg(t, p.port, base + 1500, p.ack, TCP_FLAG_ACK, p.wnd, buf + 1500, 1000, NULL, 0), 0);
	CHECK_EQ(tcp_conn_read(t, p.c, got, sizeof(got)), 500);
	CHECK_MEM(got, buf + 2000, 500);
	tcp_tbl_output_clear(t);
	base += 2500;

	/* Out-of-order segments are held apart, each trimmed to what is not held yet. */
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(send_seg(t, p.port, base + 1000 + 2000 * i, p.ack, TCP_FLAG_ACK, p.wnd,
				  buf + 1000 + 2000 * i, 500, NULL, 0), 0);
	CHECK_EQ(p.c->n_ooo, 4);
	/* [1400, 3100) overlaps [1000,1500) and [3000,3500): [1500,3000) is kept. */
	CHECK_EQ(send_seg(t, p.port, base + 1400, p.ack, TCP_FLAG_ACK, p.wnd, buf + 1400, 1700, NULL, 0), 0);
	CHECK_EQ(p.c->n_ooo, 5);
	/* Inside what is held: nothing new. */
	CHECK_EQ(send_seg(t, p.port, base + 1100, p.ack, TCP_FLAG_ACK, p.wnd, buf + 1100, 200, NULL, 0), 0);
	CHECK_EQ(p.c->n_ooo, 5);
	tcp_tbl_output_clear(t);
	/* Every remaining gap, in reverse order. */
	CHECK_EQ(send_seg(t, p.port, base + 5500, p.ack, TCP_FLAG_ACK, p.wnd, buf + 5500, 2000, NULL, 0), 0);
	CHECK_EQ(send_seg(t, p.port, base + 3500, p.ack, TCP_FLAG_ACK, p.wnd, buf + 3500, 1500, NULL, 0), 0);
	CHECK_EQ(p.c->n_ooo, 7);
	CHECK_EQ(tcp_conn_readable(p.c), 0);
	CHECK_EQ(send_seg(t, p.port, base, p.ack, TCP_FLAG_ACK | TCP_FLAG_FIN, p.wnd, buf, 1000, NULL, 0), 0);
	/* The FIN rode on the gap-filler at base+1000? No: it ends at base+1000,
	 * which is not the end of the stream, so it is a FIN in the middle:
	 * ignored because data follows. */
	CHECK_EQ(tcp_conn_readable(p.c), 7500);
	CHECK_EQ(tcp_conn_read(t, p.c, got, sizeof(got)), 7500);
	CHECK_MEM(got, buf, 7500);
	tcp_tbl_output_clear(t);
	base += 7500;

	/* A FIN ahead of a gap waits for the gap. */
	CHECK_EQ(send_seg(t, p.port, base + 100, p.ack, TCP_FLAG_ACK | TCP_FLAG_FIN, p.wnd, buf + 100, 100, NULL, 0), 0);
	CHECK_EQ(p.c->state, TCP_ESTABLISHED);
	CHECK_EQ(send_seg(t, p.port, base, p.ack, TCP_FLAG_ACK, p.wnd, buf, 100, NULL, 0), 0);
	CHECK_EQ(p.c->state, TCP_CLOSE_WAIT);
	CHECK_EQ(p.c->rcv_nxt, base + 201);
	CHECK_EQ(tcp_conn_read(t, p.c, got, sizeof(got)), 200);
	CHECK_MEM(got, buf, 200);
	tcp_tbl_free(t);
	CHECK_EQ(testbuf_live, 0);

	/* At most TCP_OOO_MAX held out of order: the next is dropped. */
	t = tbl_new(&cfg);
	handshake(t, &p, 40001, 77);
	base = p.seq;
	for (unsigned i = 0; i < TCP_OOO_MAX; i++)
		CHECK_EQ(send_seg(t, p.port, base + 200 + 200 * i, p.ack, TCP_FLAG_ACK, p.wnd,
				  buf, 100, NULL, 0), 0);
	CHECK_EQ(p.c->n_ooo, TCP_OOO_MAX);
	CHECK_EQ(send_seg(t, p.port, base + 200 + 200 * TCP_OOO_MAX, p.ack, TCP_FLAG_ACK, p.wnd,
			  buf, 100, NULL, 0), TCP_DROP_OOO_FULL + 1);
	CHECK_EQ(testbuf_live, TCP_OOO_MAX);
	tcp_tbl_free(t);
	CHECK_EQ(testbuf_live, 0);
}

static void
test_zero_window(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t;
	struct peer p;
	uint8_t buf[4096], got[4096];
	uint64_t rnd = 13;
	uint64_t start;

	cfg.rx_buf_size = 4096;
	t = tbl_new(&cfg);
	now = T0;
	check_fill(&rnd, buf, sizeof(buf));
	handshake(t, &p, 40000, 1);
	CHECK_EQ(p.c->rcv_wscale, 0);

	/* Our window closes as the ring fills ... */
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ(peer_send(t, &p, 0, buf + 1024 * i, 1024), 0);
		tcp_tbl_output_clear(t);
	}
	CHECK_EQ(tcp_conn_readable(p.c), 4096);
	tcp_conn_quickack(t, p.c);
	now += 50 * MS;
	tcp_tbl_tick(t, now);
	tcp_tbl_output_clear(t);
	/* ... a probe byte is not taken, the ACK says window 0 ... */
	CHECK_EQ(send_seg(t, p.port, p.seq, p.ack, TCP_FLAG_ACK, p.wnd, "x", 1, NULL, 0),
		 TCP_DROP_OUT_OF_WINDOW + 1);
	CHECK(nout(t) == 1 && out(t, 0)->window == 0 && out(t, 0)->ack == p.seq);
	tcp_tbl_output_clear(t);
	/* ... and reopens with a window update when the app reads. */
	CHECK_EQ(tcp_conn_read(t, p.c, got, 900), 900);
	CHECK_EQ(nout(t), 0);                           /* < 1 MSS: not yet */
	CHECK_EQ(tcp_conn_read(t, p.c, got + 900, 1000), 1000);
	CHECK(nout(t) == 1 && out(t, 0)->window == 1900);
	CHECK_EQ(tcp_tbl_stats(t)->window_updates, 1);
	tcp_tbl_output_clear(t);
	CHECK_EQ(tcp_conn_read(t, p.c, got + 1900, 4096), 2196);
	CHECK_MEM(got, buf, 4096);
	CHECK(nout(t) == 1 && out(t, 0)->window == 4096);
	tcp_tbl_output_clear(t);

	/* The peer's zero window: nothing is sent, probes back off. */
	p.wnd = 0;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	CHECK_EQ(p.c->snd_wnd, 0);
	CHECK_EQ(tcp_conn_write(t, p.c, buf, 3000), 3000);
	CHECK_EQ(nout(t), 0);
	start = now;
	now = start + 199 * MS;
	tcp_tbl_tick(t, now);
	CHECK_EQ(nout(t), 0);
	now = start + 201 * MS;
	tcp_tbl_tick(t, now);
	CHECK(nout(t) == 1 && out(t, 0)->len == 1 && out(t, 0)->seq == p.ack);
	CHECK_EQ(tcp_tbl_stats(t)->probes, 1);
	tcp_tbl_output_clear(t);
	/* The peer ACKs the probe without taking it, many times: no reset. */
	for (unsigned k = 0; k < 12; k++) {
		CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
		CHECK_EQ(nout(t), 0);
		now += 61 * 1000 * MS;
		tcp_tbl_tick(t, now);
		CHECK(nout(t) == 1 && out(t, 0)->len == 1 && out(t, 0)->seq == p.ack);
		tcp_tbl_output_clear(t);
	}
	CHECK_EQ(p.c->rto_us, 60000000);    /* capped at the maximum */
	CHECK(lookup(t, 40000) == p.c);
	CHECK_EQ(tcp_tbl_stats(t)->fast_retransmits, 0);
	/* The window opens: the rest goes out. */
	p.wnd = 4096;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	CHECK_EQ(nout(t), 3);
	CHECK_EQ(out(t, 0)->seq, p.ack);
	{
		uint32_t total = 0;

		for (unsigned i = 0; i < nout(t); i++) {
			seg_data(out(t, i), got + total);
			total += out(t, i)->len;
		}
		CHECK_EQ(total, 3000);
		CHECK_MEM(got, buf, 3000);
	}
	tcp_tbl_free(t);
}

/* --------------------------------------------------- RST/FIN per state */

struct state_ctx {
	struct tcp_tbl *t;
	struct peer p;
};

/* Bring a new connection from port @port to @s. */
static void
reach_state(struct state_ctx *x, uint16_t port, enum tcp_state s)
{
	struct tcp_tbl *t = x->t;
	struct peer *p = &x->p;

	tcp_tbl_output_clear(t);
	if (s == TCP_SYN_RCVD) {
		memset(p, 0, sizeof(*p));
		p->port = port;
		p->seq = 1001;
		p->wnd = 1000;
		CHECK_EQ(send_seg(t, port, 1000, 0, TCP_FLAG_SYN, 65535, NULL, 0, syn_opts,
				  sizeof(syn_opts)), 0);
		p->ack = out(t, 0)->seq + 1;
		p->c = lookup(t, port);
		tcp_tbl_output_clear(t);
		return;
	}
	handshake(t, p, port, 1000);
	switch (s) {
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
		peer_send(t, p, TCP_FLAG_FIN, NULL, 0);
		if (s == TCP_LAST_ACK)
			CHECK_EQ(tcp_conn_close(t, p->c), 0);
		break;
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSING:
	case TCP_TIME_WAIT:
		CHECK_EQ(tcp_conn_close(t, p->c), 0);
		CHECK(nout(t) == 1 && (out(t, 0)->flags & TCP_FLAG_FIN));
		if (s == TCP_FIN_WAIT_2 || s == TCP_TIME_WAIT) {
			p->ack++;
			peer_send(t, p, 0, NULL, 0);
		}
		if (s == TCP_CLOSING || s == TCP_TIME_WAIT)
			peer_send(t, p, TCP_FLAG_FIN, NULL, 0);
		break;
	default:
		break;
	}
	tcp_tbl_output_clear(t);
	CHECK_MSG(p->c->state == s, "state %s, wanted %s", tcp_state_name(p->c->state),
		  tcp_state_name(s));
}

static void
test_states(void)
{
	static const struct {
		enum tcp_state s;
		enum tcp_state after_fin;   /* after the peer's (next or repeated) FIN */
		bool fin_new;               /* the peer has not sent FIN yet */
	} cases[] = {
		{ TCP_SYN_RCVD, TCP_CLOSE_WAIT, true },
		{ TCP_ESTABLISHED, TCP_CLOSE_WAIT, true },
		{ TCP_CLOSE_WAIT, TCP_CLOSE_WAIT, false },
		{ TCP_LAST_ACK, TCP_LAST_ACK, false },
		{ TCP_FIN_WAIT_1, TCP_CLOSING, true },
		{ TCP_FIN_WAIT_2, TCP_TIME_WAIT, true },
		{ TCP_CLOSING, TCP_CLOSING, false },
		{ TCP_TIME_WAIT, TCP_TIME_WAIT, false },
	};
	struct tcp_config cfg = cfg_small();
	struct state_ctx x;
	uint16_t port = 41000;

	cfg.max_conns = 64;
	cfg.max_half_open = 64;
	cfg.max_time_wait = 64;
	x.t = tbl_new(&cfg);
	now = T0;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum tcp_state s = cases[i].s;
		struct tcp_tbl *t = x.t;
		struct peer *p = &x.p;
		uint64_t chacks;
		uint32_t rcv_nxt;

		/* (a) RST at exactly RCV.NXT: the connection is gone. */
		reach_state(&x, port++, s);
		CHECK_EQ(send_seg(t, p->port, p->seq, 0, TCP_FLAG_RST, 0, NULL, 0, NULL, 0), 0);
		CHECK_MSG(lookup(t, p->port) == NULL, "exact RST in %s", tcp_state_name(s));
		CHECK_EQ(nout(t), 0);

		/* (b) RST in the window but not exact: challenge ACK (RFC 5961 3.2). */
		reach_state(&x, port++, s);
		chacks = tcp_tbl_stats(t)->challenge_acks;
		rcv_nxt = p->c->rcv_nxt;
		CHECK_EQ(send_seg(t, p->port, p->seq + 100, 0, TCP_FLAG_RST, 0, NULL, 0, NULL, 0),
			 TCP_DROP_RST_CHALLENGED + 1);
		CHECK_MSG(p->c->state == s, "challenged RST in %s", tcp_state_name(s));
		CHECK_MSG(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_ACK && out(t, 0)->ack == rcv_nxt,
			  "challenge ACK in %s", tcp_state_name(s));
		CHECK_EQ(tcp_tbl_stats(t)->challenge_acks, chacks + 1);
		tcp_tbl_output_clear(t);
		/* ... then the exact one from the real peer works. */
		CHECK_EQ(send_seg(t, p->port, rcv_nxt, 0, TCP_FLAG_RST, 0, NULL, 0, NULL, 0), 0);
		CHECK(lookup(t, p->port) == NULL);

		/* (c) RST outside the window: silently dropped. */
		reach_state(&x, port++, s);
		CHECK_EQ(send_seg(t, p->port, p->seq + 0x40000000u, 0, TCP_FLAG_RST, 0, NULL, 0, NULL, 0),
			 TCP_DROP_RST_INVALID + 1);
		CHECK(p->c->state == s && nout(t) == 0);
		/* SYN on the connection: challenge ACK, never a reset (RFC 5961 4.2). */
		if (s != TCP_SYN_RCVD && s != TCP_TIME_WAIT) {
			CHECK_EQ(send_seg(t, p->port, p->c->rcv_nxt + 10, 0, TCP_FLAG_SYN, 100, NULL, 0, NULL, 0),
				 TCP_DROP_SYN_CHALLENGED + 1);
			CHECK_MSG(p->c->state == s && nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_ACK,
				  "SYN in %s", tcp_state_name(s));
			tcp_tbl_output_clear(t);
		}

		/* (d) FIN: the next state, ACKed at once. */
		reach_state(&x, port++, s);
		if (!cases[i].fin_new)
			p->seq--;       /* the peer repeats its FIN */
		CHECK_EQ(peer_send(t, p, TCP_FLAG_FIN, NULL, 0), cases[i].fin_new ? 0 : TCP_DROP_DUPLICATE + 1);
		CHECK_MSG(p->c->state == cases[i].after_fin, "FIN in %s gives %s", tcp_state_name(s),
			  tcp_state_name(p->c->state));
		CHECK_MSG(nout(t) == 1 && (out(t, 0)->flags & TCP_FLAG_ACK) && out(t, 0)->ack == p->seq,
			  "FIN in %s is ACKed", tcp_state_name(s));
		tcp_tbl_output_clear(t);
	}
	drain_events(x.t);

	/* Passive close: CLOSE_WAIT -> LAST_ACK -> gone, with CLOSED (not RESET). */
	{
		struct tcp_tbl *t = x.t;
		struct peer *p = &x.p;
		struct tcp_event ev[4];
		uint64_t h;

		reach_state(&x, port++, TCP_CLOSE_WAIT);
		h = tcp_conn_handle(p->c);
		CHECK_EQ(tcp_conn_write(t, p->c, (const uint8_t *)"bye", 3), 3);
		CHECK_EQ(tcp_conn_close(t, p->c), 0);
		CHECK_EQ(tcp_conn_close(t, p->c), -ENOTCONN);
		CHECK_EQ(tcp_conn_write(t, p->c, (const uint8_t *)"x", 1), -EPIPE);
		CHECK(nout(t) == 2 && out(t, 0)->flags == (TCP_FLAG_ACK | TCP_FLAG_PSH) &&
		      out(t, 0)->len == 3 && out(t, 1)->flags == (TCP_FLAG_ACK | TCP_FLAG_FIN) &&
		      out(t, 1)->seq == p->ack + 3);
		tcp_tbl_output_clear(t);
		drain_events(t);
		p->ack += 4;
		peer_send(t, p, 0, NULL, 0);
		CHECK(lookup(t, p->port) == NULL);
		CHECK(tcp_tbl_event_burst(t, ev, 4) == 1 && ev[0].handle == h &&
		      (ev[0].events & (TCP_EV_CLOSED | TCP_EV_RESET)) == TCP_EV_CLOSED);

		/* Active close, lost FIN: retransmitted by the RTO. */
		reach_state(&x, port++, TCP_FIN_WAIT_1);
		now += 201 * MS;
		tcp_tbl_tick(t, now);
		{
			/* Earlier connections of this table retransmit too. */
			const struct tcp_seg_out *f = NULL;

			for (unsigned k = 0; k < nout(t); k++)
				if (out(t, k)->tuple.rport == p->port)
					f = out(t, k);
			CHECK(f != NULL && f->flags == (TCP_FLAG_ACK | TCP_FLAG_FIN) && f->seq == p->ack);
		}
		tcp_tbl_output_clear(t);

		/* TIME_WAIT and FIN_WAIT_2 end by themselves. */
		reach_state(&x, port++, TCP_TIME_WAIT);
		reach_state(&x, port++, TCP_FIN_WAIT_2);
		now += cfg.fin_wait2_us + 10 * MS;
		tcp_tbl_tick(t, now);
		CHECK(lookup(t, port - 1) == NULL);
		CHECK(lookup(t, port - 2) == NULL);
		CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_TIME_WAIT], 0);
		CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_FIN_WAIT_2], 0);

		/* An ACK for no connection: <SEQ=SEG.ACK><CTL=RST> (cookie check fails). */
		tcp_tbl_output_clear(t);
		CHECK_EQ(send_seg(t, 9, 5, 12345, TCP_FLAG_ACK, 100, NULL, 0, NULL, 0),
			 TCP_DROP_COOKIE_FAILED + 1);
		CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_RST && out(t, 0)->seq == 12345);
		/* A RST for no connection: nothing. */
		tcp_tbl_output_clear(t);
		CHECK_EQ(send_seg(t, 9, 5, 0, TCP_FLAG_RST, 0, NULL, 0, NULL, 0), TCP_DROP_RST_INVALID + 1);
		CHECK_EQ(nout(t), 0);
		/* Abort: RST <SEQ=SND.NXT>, CLOSED|RESET. */
		reach_state(&x, port++, TCP_ESTABLISHED);
		drain_events(t);
		tcp_conn_abort(t, p->c);
		CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_RST && out(t, 0)->seq == p->ack);
		CHECK(tcp_tbl_event_burst(t, ev, 4) == 1 && ev[0].events == (TCP_EV_CLOSED | TCP_EV_RESET));
	}
	tcp_tbl_free(x.t);
}

static void
test_challenge_limit(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t;
	struct peer p;

	cfg.challenge_ack_limit = 3;
	t = tbl_new(&cfg);
	now = T0;
	handshake(t, &p, 40000, 1);
	for (unsigned i = 0; i < 5; i++)
		send_seg(t, p.port, p.seq + 1 + i, 0, TCP_FLAG_RST, 0, NULL, 0, NULL, 0);
	CHECK_EQ(nout(t), 3);
	CHECK_EQ(tcp_tbl_stats(t)->drops[TCP_DROP_CHALLENGE_LIMIT], 2);
	CHECK_EQ(p.c->state, TCP_ESTABLISHED);
	tcp_tbl_free(t);
}

static void
test_cookies(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t;
	const struct tcp_seg_out *o;
	struct tcp_conn *c;
	struct tcp_event ev[8];
	uint32_t cookie;

	cfg.mss = 1460;
	t = tbl_new(&cfg);
	now = T0;
	for (uint16_t i = 0; i < 4; i++)
		CHECK_EQ(send_seg(t, 50000 + i, 100, 0, TCP_FLAG_SYN, 1000, NULL, 0, syn_opts,
				  sizeof(syn_opts)), 0);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_SYN_RCVD], 4);
	tcp_tbl_output_clear(t);

	/* The half-open limit is reached: a stateless SYN-ACK. */
	CHECK_EQ(send_seg(t, 50100, 7777, 0, TCP_FLAG_SYN, 1000, NULL, 0, syn_opts, sizeof(syn_opts)), 0);
	CHECK_EQ(nout(t), 1);
	o = out(t, 0);
	CHECK_EQ(o->flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	CHECK_EQ(o->ack, 7778);
	CHECK_EQ(o->opt_len, 4);        /* MSS only: no window scale */
	cookie = o->seq;
	CHECK(lookup(t, 50100) == NULL);
	CHECK_EQ(tcp_tbl_stats(t)->cookies_sent, 1);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_SYN_RCVD], 4);
	tcp_tbl_output_clear(t);

	/* Forged: a wrong cookie, a wrong client ISN, another port. */
	CHECK_EQ(send_seg(t, 50100, 7778, cookie + 2, TCP_FLAG_ACK, 1000, NULL, 0, NULL, 0),
		 TCP_DROP_COOKIE_FAILED + 1);
	CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_RST && out(t, 0)->seq == cookie + 2);
	CHECK_EQ(send_seg(t, 50100, 7779, cookie + 1, TCP_FLAG_ACK, 1000, NULL, 0, NULL, 0),
		 TCP_DROP_COOKIE_FAILED + 1);
	CHECK_EQ(send_seg(t, 50101, 7778, cookie + 1, TCP_FLAG_ACK, 1000, NULL, 0, NULL, 0),
		 TCP_DROP_COOKIE_FAILED + 1);
	CHECK_EQ(tcp_tbl_stats(t)->cookies_failed, 3);
	CHECK(lookup(t, 50100) == NULL);
	tcp_tbl_output_clear(t);
	drain_events(t);

	/* The right ACK, with data, one period later: the connection exists. */
	now += 1ull << 26;
	CHECK_EQ(send_seg(t, 50100, 7778, cookie + 1, TCP_FLAG_ACK, 1000, "hello", 5, NULL, 0), 0);
	c = lookup(t, 50100);
	CHECK(c != NULL && c->state == TCP_ESTABLISHED);
	if (c != NULL) {
		uint8_t got[8];

		CHECK_EQ(c->mss, 1400);
		CHECK_EQ(c->snd_wnd, 1000);     /* unscaled */
		CHECK_EQ(c->snd_nxt, cookie + 1);
		CHECK_EQ(tcp_conn_read(t, c, got, sizeof(got)), 5);
		CHECK_MEM(got, "hello", 5);
		CHECK(tcp_tbl_event_burst(t, ev, 8) == 1 &&
		      ev[0].events == (TCP_EV_ACCEPT | TCP_EV_READABLE));
	}
	CHECK_EQ(tcp_tbl_stats(t)->cookies_validated, 1);
	tcp_tbl_output_clear(t);
	/* Too old: three cookie periods after it was made. */
	{
		uint64_t saved = now;

		now += 2ull << 26;
		CHECK_EQ(send_seg(t, 50102, 7778, cookie + 1, TCP_FLAG_ACK, 1000, NULL, 0, NULL, 0),
			 TCP_DROP_COOKIE_FAILED + 1);
		(void)saved;
		tcp_tbl_output_clear(t);
	}
	tcp_tbl_free(t);
}

static void
test_syn_timeout(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tbl_new(&cfg);

	now = T0;
	for (uint16_t i = 0; i < 4; i++)
		CHECK_EQ(send_seg(t, 50000 + i, 100, 0, TCP_FLAG_SYN, 1000, NULL, 0, syn_opts,
				  sizeof(syn_opts)), 0);
	tcp_tbl_output_clear(t);

	/* Half-open connections time out (after SYN-ACK retries with backoff). */
	{
		unsigned synacks = 0;

		for (unsigned k = 0; k < 200; k++) {
			now += 100 * MS;
			tcp_tbl_tick(t, now);
			synacks += nout(t);
			tcp_tbl_output_clear(t);
		}
		CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_SYN_RCVD], 0);
		/* 1 s, 2 s, 4 s backoff: three retransmissions fit in 10 s. */
		CHECK_EQ(synacks, 4 * 3);
	}
	/* The limit is free again: a stateful SYN. */
	CHECK_EQ(send_seg(t, 50200, 1, 0, TCP_FLAG_SYN, 1000, NULL, 0, NULL, 0), 0);
	CHECK(lookup(t, 50200) != NULL);
	CHECK_EQ(tcp_tbl_stats(t)->cookies_sent, 0);
	CHECK_EQ(tcp_tbl_stats(t)->timeouts, 4);
	tcp_tbl_free(t);
}

static void
test_wrap(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tbl_new(&cfg);
	struct tcp_tuple tu = tuple(40000);
	uint32_t h = (uint32_t)tcp_tuple_hash(cfg.secret, &tu, NULL, 0);
	struct peer p;
	uint8_t buf[6000], got[6000];
	uint64_t rnd = 17;
	unsigned n;

	check_fill(&rnd, buf, sizeof(buf));
	/* Pick the clock so that our ISN is 2^32 - 1500. */
	now = (uint64_t)(uint32_t)(0xfffffa24u - h) * 4;
	handshake(t, &p, 40000, 0xfffffc00u);       /* the peer's ISN near 2^32 too */
	CHECK_EQ(p.c->iss, 0xfffffa24u);
	CHECK_EQ(tcp_conn_write(t, p.c, buf, 6000), 6000);
	n = nout(t);
	CHECK_EQ(n, 6);
	for (unsigned i = 0; i < n; i++)
		seg_data(out(t, i), got + 1000 * i);
	CHECK_MEM(got, buf, 6000);
	CHECK_EQ(p.c->snd_nxt, 0xfffffa25u + 6000);
	tcp_tbl_output_clear(t);
	/* ACKs across the wrap. */
	p.ack += 2000;
	peer_send(t, &p, 0, NULL, 0);
	CHECK_EQ(p.c->tx_len, 4000);
	p.ack += 4000;
	peer_send(t, &p, 0, NULL, 0);
	CHECK_EQ(p.c->tx_len, 0);
	CHECK_EQ(p.c->snd_una, 0xfffffa25u + 6000);

	/* Receive across the wrap, out of order. */
	CHECK_EQ(send_seg(t, p.port, p.seq + 1000, p.ack, TCP_FLAG_ACK, p.wnd, buf + 1000, 2000, NULL, 0), 0);
	CHECK_EQ(send_seg(t, p.port, p.seq, p.ack, TCP_FLAG_ACK, p.wnd, buf, 1000, NULL, 0), 0);
	CHECK_EQ(tcp_conn_read(t, p.c, got, sizeof(got)), 3000);
	CHECK_MEM(got, buf, 3000);
	CHECK_EQ(p.c->rcv_nxt, 0xfffffc01u + 3000);
	/* An old segment from before the wrap is a duplicate. */
	tcp_tbl_output_clear(t);
	CHECK_EQ(send_seg(t, p.port, 0xfffffc01u, p.ack, TCP_FLAG_ACK, p.wnd, buf, 100, NULL, 0),
		 TCP_DROP_DUPLICATE + 1);
	CHECK(nout(t) == 1 && out(t, 0)->ack == 0xfffffc01u + 3000);
	tcp_tbl_free(t);
}

static void
test_limits(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t;
	struct state_ctx x;
	struct tcp_conn *c;

	cfg.max_conns = 4;
	cfg.max_time_wait = 4;
	t = tbl_new(&cfg);
	x.t = t;
	now = T0;
	/* Four connections in TIME_WAIT fill the table ... */
	for (uint16_t i = 0; i < 4; i++)
		reach_state(&x, 42000 + i, TCP_TIME_WAIT);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_TIME_WAIT], 4);
	/* Their owner heard CLOSED and let go; until then the slots are its own. */
	CHECK_EQ(send_seg(t, 42100, 1, 0, TCP_FLAG_SYN, 1000, NULL, 0, NULL, 0), TCP_DROP_TABLE_FULL + 1);
	tcp_tbl_output_clear(t);
	drain_events(t);
	/* ... a new SYN takes the oldest one. */
	CHECK_EQ(send_seg(t, 42100, 1, 0, TCP_FLAG_SYN, 1000, NULL, 0, NULL, 0), 0);
	CHECK(lookup(t, 42100) != NULL);
	CHECK(lookup(t, 42000) == NULL);
	CHECK(lookup(t, 42001) != NULL);
	CHECK_EQ(tcp_tbl_stats(t)->time_wait_reused, 1);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_TIME_WAIT], 3);

	/* A SYN above RCV.NXT on a TIME_WAIT 4-tuple reopens it. */
	c = lookup(t, 42001);
	tcp_tbl_output_clear(t);
	CHECK_EQ(send_seg(t, 42001, c->rcv_nxt + 100000, 0, TCP_FLAG_SYN, 1000, NULL, 0, NULL, 0), 0);
	c = lookup(t, 42001);
	CHECK(c != NULL && c->state == TCP_SYN_RCVD);
	CHECK(nout(t) == 1 && out(t, 0)->flags == (TCP_FLAG_SYN | TCP_FLAG_ACK));
	tcp_tbl_output_clear(t);

	/* All live: a new SYN is refused with RST (fail closed). */
	tcp_tbl_free(t);
	t = tbl_new(&cfg);
	x.t = t;
	for (uint16_t i = 0; i < 4; i++)
		reach_state(&x, 43000 + i, TCP_ESTABLISHED);
	CHECK_EQ(send_seg(t, 43100, 1, 0, TCP_FLAG_SYN, 1000, NULL, 0, NULL, 0), TCP_DROP_TABLE_FULL + 1);
	CHECK(nout(t) == 1 && out(t, 0)->flags == (TCP_FLAG_RST | TCP_FLAG_ACK) && out(t, 0)->ack == 2);
	CHECK(lookup(t, 43100) == NULL);
	tcp_tbl_free(t);

	/* The TIME_WAIT cap: past it the oldest goes. */
	cfg.max_conns = 8;
	cfg.max_time_wait = 2;
	t = tbl_new(&cfg);
	x.t = t;
	for (uint16_t i = 0; i < 3; i++)
		reach_state(&x, 44000 + i, TCP_TIME_WAIT);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_TIME_WAIT], 2);
	CHECK(lookup(t, 44000) == NULL);
	tcp_tbl_free(t);

	/* Idle timeout: RST and CLOSED|RESET. */
	cfg.idle_timeout_us = 5 * 1000 * MS;
	t = tbl_new(&cfg);
	x.t = t;
	reach_state(&x, 45000, TCP_ESTABLISHED);
	drain_events(t);
	now += 4 * 1000 * MS;
	tcp_tbl_tick(t, now);
	peer_send(t, &x.p, 0, "a", 1);          /* activity pushes it back */
	now += 4 * 1000 * MS;
	tcp_tbl_tick(t, now);
	CHECK(lookup(t, 45000) != NULL);
	tcp_tbl_output_clear(t);
	now += 2 * 1000 * MS;
	tcp_tbl_tick(t, now);
	CHECK(lookup(t, 45000) == NULL);
	CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_RST);
	CHECK_EQ(tcp_tbl_stats(t)->timeouts, 1);
	tcp_tbl_free(t);

	/* Bad configurations. */
	cfg.max_conns = 0;
	errno = 0;
	CHECK(tcp_tbl_create(&cfg) == NULL && errno == EINVAL);
}

static void
wheel_count(struct tcp_timer *tm, void *arg)
{
	(void)tm;
	(*(unsigned *)arg)++;
}

/* Unlisten: existing connections go on, new SYNs are refused with RST. */
static void
test_unlisten(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tbl_new(&cfg);

	now = T0;
	CHECK_EQ(send_seg(t, 41000, 1000, 0, TCP_FLAG_SYN, 65535, NULL, 0, NULL, 0), 0);
	CHECK(lookup(t, 41000) != NULL);
	tcp_tbl_output_clear(t);
	CHECK_EQ(tcp_tbl_unlisten(t, 443), 0);
	CHECK_EQ(tcp_tbl_unlisten(t, 443), -ENOENT);
	/* The half-open connection is still there; a new SYN gets a RST. */
	CHECK(lookup(t, 41000) != NULL);
	CHECK_EQ(send_seg(t, 41001, 5000, 0, TCP_FLAG_SYN, 65535, NULL, 0, NULL, 0),
		 TCP_DROP_NO_LISTENER + 1);
	CHECK(nout(t) == 1 && (out(t, 0)->flags & TCP_FLAG_RST));
	CHECK(lookup(t, 41001) == NULL);
	tcp_tbl_output_clear(t);
	CHECK_EQ(tcp_tbl_listen(t, 443), 0);
	tcp_tbl_free(t);
}

static void
test_wheel(void)
{
	struct tcp_wheel w;
	struct tcp_timer tm[3];
	unsigned fired = 0;

	memset(tm, 0, sizeof(tm));
	CHECK_EQ(tcp_wheel_init(&w, 16, 1000, 0), 0);
	tcp_wheel_insert(&w, &tm[0], 5000);
	tcp_wheel_insert(&w, &tm[1], 5000 + 16 * 1000);     /* same slot, next revolution */
	tcp_wheel_insert(&w, &tm[2], 7000);
	tcp_wheel_cancel(&tm[2]);
	CHECK(!tcp_timer_armed(&tm[2]));
	CHECK_EQ(tcp_wheel_run(&w, 4999, wheel_count, &fired), 0);
	CHECK_EQ(tcp_wheel_run(&w, 5000, wheel_count, &fired), 1);
	CHECK(!tcp_timer_armed(&tm[0]) && tcp_timer_armed(&tm[1]));
	CHECK_EQ(tcp_wheel_run(&w, 20000, wheel_count, &fired), 0);
	/* A long sleep: one sweep finds it. */
	CHECK_EQ(tcp_wheel_run(&w, 1000000, wheel_count, &fired), 1);
	CHECK_EQ(fired, 2);
	/* Inserting in the past fires at the next tick. */
	tcp_wheel_insert(&w, &tm[2], 10);
	CHECK_EQ(tcp_wheel_run(&w, 1001000, wheel_count, &fired), 1);
	tcp_wheel_fini(&w);

	/*
	 * Due mid-tick, the wheel run every 10 us as a busy worker does: fired
	 * within the tick after its expiry, never before it (it used to wait
	 * a whole revolution).
	 */
	CHECK_EQ(tcp_wheel_init(&w, 4096, 1000, 0), 0);
	for (uint64_t off = 1; off < 1000; off += 111) {
		uint64_t t0 = 2000000 + off * 1000, due = t0 + 40000 + off, at = 0;

		fired = 0;
		tcp_wheel_run(&w, t0, wheel_count, &fired);
		tcp_wheel_insert(&w, &tm[0], due);
		for (uint64_t t = t0; t < t0 + 10000000 && fired == 0; t += 10) {
			tcp_wheel_run(&w, t, wheel_count, &fired);
			at = t;
		}
		CHECK_MSG(fired == 1 && at >= due && at < due + 1000,
			  "due %llu fired %u at %llu", (unsigned long long)due, fired,
			  (unsigned long long)at);
	}
	tcp_wheel_fini(&w);
}

/*
 * The hierarchical wheel: timers up to beyond the top level's span (a 16-slot
 * level 0 of 1 ms ticks spans 16 x 2^18 ticks, 70 min), some cancelled, some
 * re-armed from their callback, the wheel run at uneven steps (sometimes
 * longer than a revolution): each fires exactly once, in the first run at or
 * after its expiry, never before.
 */
struct lvl_timer {
	struct tcp_timer tm;
	uint64_t due;
	uint64_t fired_at;
	unsigned fired;
	bool cancelled;
	bool rearm;
};

struct lvl_ctx {
	struct tcp_wheel *w;
	uint64_t now;
	unsigned early;
};

static void
lvl_fire(struct tcp_timer *tm, void *arg)
{
	struct lvl_timer *x = (struct lvl_timer *)tm;
	struct lvl_ctx *ctx = arg;

	if (ctx->now < x->due)
		ctx->early++;
	x->fired++;
	x->fired_at = ctx->now;
	if (x->rearm) {
		/* Re-armed from its own callback: due again 3 s on. */
		x->rearm = false;
		x->due = ctx->now + 3000000;
		x->fired--;
		tcp_wheel_insert(ctx->w, &x->tm, x->due);
	}
}

static void
test_wheel_levels(void)
{
	enum { N = 3000 };
	static struct lvl_timer x[N];
	struct tcp_wheel w;
	struct lvl_ctx ctx = { .w = &w };
	uint64_t rng = 0x9e3779b97f4a7c15ull, last = 0;
	uint64_t span_us = 16ull * (1ull << 18) * 1000;

	memset(x, 0, sizeof(x));
	CHECK_EQ(tcp_wheel_init(&w, 16, 1000, 0), 0);
	for (unsigned i = 0; i < N; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		/* Spread over every level, a tenth beyond the top span. */
		x[i].due = 1 + rng % (span_us + span_us / 10);
		if (i % 7 == 0)
			x[i].due = 1 + rng % 40000;      /* level 0 and 1 */
		x[i].cancelled = i % 11 == 0;
		x[i].rearm = i % 13 == 0;
		tcp_wheel_insert(&w, &x[i].tm, x[i].due);
	}
	for (unsigned i = 0; i < N; i += 11)
		tcp_wheel_cancel(&x[i].tm);
	for (ctx.now = 0; ctx.now < span_us + span_us / 10 + 4000000;) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		/* Mostly within a revolution (16 ms), now and then far past it. */
		ctx.now += rng % 64 == 0 ? 1 + rng % 40000 : 1 + rng % 15000;
		tcp_wheel_run(&w, ctx.now, lvl_fire, &ctx);
		for (unsigned k = 0; k < 8; k++) {
			/* Spot check: a timer due before the previous run has fired. */
			unsigned i = (unsigned)((rng >> (8 * k)) % N);

			if (!x[i].cancelled && x[i].due <= last)
				CHECK_MSG(x[i].fired == 1, "timer %u due %llu not fired at %llu", i,
					  (unsigned long long)x[i].due,
					  (unsigned long long)ctx.now);
		}
		last = ctx.now;
	}
	CHECK_EQ(ctx.early, 0);
	for (unsigned i = 0; i < N; i++) {
		if (x[i].cancelled) {
			CHECK_EQ(x[i].fired, 0);
			continue;
		}
		CHECK_MSG(x[i].fired == 1, "timer %u due %llu fired %u times", i,
			  (unsigned long long)x[i].due, x[i].fired);
		CHECK(!tcp_timer_armed(&x[i].tm));
	}
	tcp_wheel_fini(&w);
}

/* A segment whose payload sits in a buffer of its own, handed over with it. */
static int
send_buf(struct tcp_tbl *t, struct peer *p, uint8_t flags, const void *data, uint32_t len,
	 struct tcp_buf **bp)
{
	const uint8_t *payload;
	struct tcp_buf *b = testbuf_with(data, len, &payload);
	struct tcp_seg s = {
		.tuple = tuple(p->port), .seq = p->seq, .ack = p->ack,
		.flags = (uint8_t)(flags | TCP_FLAG_ACK), .window = p->wnd,
		.payload = payload, .len = len, .buf = b,
	};
	int rc;

	if (bp != NULL)
		*bp = b;
	rc = tcp_tbl_input(t, &s, now);
	p->seq += len + !!(flags & TCP_FLAG_FIN);
	return rc;
}

/* Received data stays in the segments' buffers: no copy until read, none with peek. */
static void
test_zero_copy_rx(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tbl_new(&cfg);
	struct peer p;
	struct tcp_buf *b1, *b2;
	struct iovec iov[8];
	uint8_t buf[3000], got[3000];
	uint64_t rnd = 21;
	uint32_t bytes;
	long live0;

	now = T0;
	check_fill(&rnd, buf, sizeof(buf));
	handshake(t, &p, 40100, 5);
	drain_events(t);
	live0 = testbuf_live;
	CHECK_EQ(send_buf(t, &p, 0, buf, 1000, &b1), 0);
	CHECK_EQ(send_buf(t, &p, 0, buf + 1000, 1000, &b2), 0);
	tcp_tbl_output_clear(t);
	/* Held by reference: the iovecs point into the very buffers given. */
	CHECK_EQ(tcp_conn_rx_peek(p.c, iov, 8, &bytes), 2);
	CHECK_EQ(bytes, 2000);
	CHECK(iov[0].iov_base == (void *)b1->data && iov[0].iov_len == 1000);
	CHECK(iov[1].iov_base == (void *)b2->data && iov[1].iov_len == 1000);
	CHECK_MEM(iov[1].iov_base, buf + 1000, 1000);
	CHECK_EQ(testbuf_live, live0 + 2);
	/* Part of the first: it stays; all of it: it goes back. */
	CHECK_EQ(tcp_conn_rx_release(t, p.c, 300), 0);
	CHECK_EQ(testbuf_live, live0 + 2);
	CHECK_EQ(tcp_conn_rx_peek(p.c, iov, 1, &bytes), 1);
	CHECK_EQ(bytes, 700);
	CHECK_MEM(iov[0].iov_base, buf + 300, 700);
	CHECK_EQ(tcp_conn_rx_release(t, p.c, 700), 0);
	CHECK_EQ(testbuf_live, live0 + 1);
	CHECK_EQ(tcp_conn_rx_release(t, p.c, 1001), -EINVAL);
	CHECK_EQ(tcp_conn_read(t, p.c, got, sizeof(got)), 1000);
	CHECK_MEM(got, buf + 1000, 1000);
	CHECK_EQ(testbuf_live, live0);
	/* A segment with nothing new (a duplicate) goes straight back. */
	p.seq -= 500;
	CHECK_EQ(send_buf(t, &p, 0, buf, 500, NULL), TCP_DROP_DUPLICATE + 1);
	CHECK_EQ(testbuf_live, live0);
	tcp_tbl_output_clear(t);

	/* Data, then RST, in one burst: the data stays readable until released. */
	CHECK_EQ(send_buf(t, &p, 0, buf, 1200, NULL), 0);
	CHECK_EQ(send_seg(t, p.port, p.seq, 0, TCP_FLAG_RST, 0, NULL, 0, NULL, 0), 0);
	tcp_tbl_output_clear(t);
	CHECK(lookup(t, p.port) == NULL);           /* the 4-tuple is free again */
	{
		struct tcp_event ev[4];
		struct tcp_conn *c;

		CHECK(tcp_tbl_event_burst(t, ev, 4) == 1 &&
		      ev[0].events == (TCP_EV_READABLE | TCP_EV_CLOSED | TCP_EV_RESET));
		c = tcp_tbl_conn_get(t, ev[0].handle);
		CHECK(c == p.c && tcp_conn_over(c));
		CHECK_EQ(tcp_conn_readable(c), 1200);
		CHECK_EQ(tcp_conn_read(t, c, got, 700), 700);
		CHECK_MEM(got, buf, 700);
		CHECK_EQ(tcp_conn_write(t, c, buf, 10), -ENOTCONN);
		CHECK_EQ(testbuf_live, live0 + 1);
		tcp_conn_release(t, c);         /* 500 bytes nobody wants: given back */
		CHECK_EQ(testbuf_live, live0);
		CHECK(tcp_tbl_conn_get(t, ev[0].handle) == NULL);
		CHECK_EQ(tcp_tbl_event_burst(t, ev, 4), 0);
	}
	tcp_tbl_free(t);
	CHECK_EQ(testbuf_live, 0);
}

/* Tiny segments cannot pin a buffer each: past rx_bufs_max they are gathered. */
static void
test_gather(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t;
	struct peer p;
	uint8_t buf[4000], got[4000];
	uint64_t rnd = 31;

	cfg.rx_bufs_max = 8;
	t = tbl_new(&cfg);
	now = T0;
	check_fill(&rnd, buf, sizeof(buf));
	handshake(t, &p, 40200, 9);
	drain_events(t);
	for (unsigned i = 0; i < 3000; i++) {
		CHECK_EQ(send_buf(t, &p, 0, buf + i, 1, NULL), 0);
		tcp_tbl_output_clear(t);
	}
	/* 8 by reference, the other 2992 bytes gathered into 2 KiB buffers. */
	CHECK_EQ(p.c->n_rx, 8 + 2);
	CHECK_EQ(testbuf_live, 10);
	CHECK_EQ(tcp_tbl_stats(t)->rx_gathered, 2992);
	CHECK_EQ(tcp_conn_read(t, p.c, got, sizeof(got)), 3000);
	CHECK_MEM(got, buf, 3000);
	CHECK_EQ(testbuf_live, 0);
	/* No buffer to gather into: dropped as if lost; the peer sends it again. */
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(send_buf(t, &p, 0, buf + i, 1, NULL), 0);
	testbuf_fail = 1;
	CHECK_EQ(send_buf(t, &p, 0, buf + 8, 1, NULL), TCP_DROP_NO_BUF + 1);
	p.seq--;
	CHECK(nout(t) >= 1 && out(t, nout(t) - 1)->ack == p.seq);
	tcp_tbl_output_clear(t);
	CHECK_EQ(send_buf(t, &p, 0, buf + 8, 1, NULL), 0);
	CHECK_EQ(tcp_conn_read(t, p.c, got, sizeof(got)), 9);
	CHECK_MEM(got, buf, 9);
	tcp_tbl_output_clear(t);
	tcp_tbl_free(t);
	CHECK_EQ(testbuf_live, 0);
}

/* Sending by reference: segments point into the buffers, until acknowledged. */
static void
test_zero_copy_tx(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tbl_new(&cfg);
	struct peer p;
	struct tcp_buf *b[3];
	uint8_t buf[3000], got[3000];
	uint64_t rnd = 41;
	const struct tcp_seg_out *o;

	now = T0;
	check_fill(&rnd, buf, sizeof(buf));
	handshake(t, &p, 40300, 19);
	drain_events(t);
	/* Three records of 700 bytes, queued as they are. */
	for (unsigned i = 0; i < 3; i++) {
		b[i] = testbuf_alloc(NULL, 700);
		memcpy(b[i]->data, buf + 700 * i, 700);
		b[i]->len = 700;
		CHECK_EQ(tcp_conn_send(t, p.c, b[i]), 0);
	}
	/* No delay (TCP_NODELAY-like): each goes out as it comes, pointing into it. */
	CHECK_EQ(nout(t), 3);
	for (unsigned i = 0; i < 3; i++) {
		o = out(t, i);
		CHECK(o->len == 700 && o->n_pieces == 1 && o->piece[0].buf == b[i] &&
		      o->piece[0].data == b[i]->data && o->piece[0].len == 700);
	}
	testbuf_seg_data(out(t, 1), got);
	CHECK_MEM(got, buf + 700, 700);
	/* The peer acknowledges the first before the segments were built: b0
	 * is done but stays until the output is cleared. */
	p.ack += 700;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	CHECK_EQ(testbuf_live, 3);
	CHECK_EQ(out(t, 0)->piece[0].buf->refs, 1);
	tcp_tbl_output_clear(t);
	CHECK_EQ(testbuf_live, 2);
	/* Lost: the RTO sends one MSS from SND.UNA again, [700, 1700): from
	 * the same two buffers, as two pieces. */
	now += 1100 * MS;
	tcp_tbl_tick(t, now);
	CHECK(nout(t) >= 1);
	o = out(t, 0);
	CHECK(o->seq == p.ack && o->len == 1000 && o->n_pieces == 2 &&
	      o->piece[0].buf == b[1] && o->piece[0].data == b[1]->data &&
	      o->piece[0].len == 700 && o->piece[1].buf == b[2] && o->piece[1].len == 300);
	testbuf_seg_data(o, got);
	CHECK_MEM(got, buf + 700, 1000);
	tcp_tbl_output_clear(t);
	/* Partly acknowledged: b1 goes, b2 stays for its last 400 bytes. */
	p.ack += 1000;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	CHECK_EQ(testbuf_live, 1);
	CHECK(b[2]->len == 400 && b[2]->data == ((struct testbuf *)b[2])->room + 300);
	tcp_tbl_output_clear(t);
	p.ack += 400;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	tcp_tbl_output_clear(t);
	CHECK_EQ(testbuf_live, 0);
	/* An empty buffer is refused; one past the send limit too (the caller keeps it). */
	b[0] = testbuf_alloc(NULL, 10);
	b[0]->len = 0;
	CHECK_EQ(tcp_conn_send(t, p.c, b[0]), -EINVAL);
	b[0]->len = 10;
	CHECK_EQ(tcp_conn_close(t, p.c), 0);
	CHECK_EQ(tcp_conn_send(t, p.c, b[0]), -EPIPE);
	testbuf_release(NULL, b[0]);
	tcp_tbl_output_clear(t);
	tcp_tbl_free(t);
	CHECK_EQ(testbuf_live, 0);
}

/* Slots are touched as they are used: a table for 4M connections costs little. */
static void
test_lazy(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t;
	struct peer p;
	long before = 0, after = 0, pages = 0;
	FILE *f;

	cfg.max_conns = 4u << 20;
	cfg.max_half_open = 1024;
	f = fopen("/proc/self/statm", "r");
	if (f != NULL && fscanf(f, "%ld %ld", &pages, &before) != 2)
		before = 0;
	if (f != NULL)
		fclose(f);
	t = tbl_new(&cfg);
	now = T0;
	for (uint16_t i = 0; i < 100; i++)
		handshake(t, &p, (uint16_t)(30000 + i), i);
	CHECK_EQ(tcp_tbl_touched(t), 100);
	f = fopen("/proc/self/statm", "r");
	if (f != NULL && fscanf(f, "%ld %ld", &pages, &after) != 2)
		after = before;
	if (f != NULL)
		fclose(f);
	/* Pages: the slots touched and the hash buckets used, not 4M slots. */
	CHECK_MSG((after - before) * 4 < 8192, "%ld KiB resident for 100 connections",
		  (after - before) * 4);
	drain_events(t);
	tcp_tbl_output_clear(t);
	tcp_tbl_free(t);
}

/* The pool level test_buf_budget() gives TCP (tcp_buf_ops.pool_level). */
static int test_pool_level;

static int
test_pool_level_of(void *ctx)
{
	(void)ctx;
	return test_pool_level;
}

/*
 * The table's buffer budget: past it a connection holding its share in a
 * direction (the budget split over both directions of every connection,
 * TCP_BUF_FLOOR..TCP_BUF_SHARE) takes no more there; one holding nothing
 * there (a handshake) still may, whatever its size; reading or ACKs bring
 * it back under. With the pool at its reserve the share is TCP_BUF_FLOOR
 * even under the budget, under a quarter of it nothing.
 */
static void
test_buf_budget(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t;
	struct peer a, b;
	struct tcp_buf *bb, *tx[8];
	uint8_t buf[100];
	uint8_t got[100 * 16];
	/* Two connections, budget 18: a share of 18 / (2 x 2) = 4 per direction. */
	const uint32_t share = 4;

	cfg.bufs_budget = 18;
	cfg.buf_ops.pool_level = test_pool_level_of;
	test_pool_level = 0;
	t = tbl_new(&cfg);
	now = T0;
	memset(buf, 'a', sizeof(buf));
	handshake(t, &a, 40300, 7);
	handshake(t, &b, 40301, 9);
	drain_events(t);
	/* A's unread segments, each in its own buffer: under the budget, all taken ... */
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(send_buf(t, &a, 0, buf, sizeof(buf), NULL), 0);
	CHECK_EQ(tcp_tbl_stats(t)->bufs_held, 16);
	/* ... then B's: the table reaches its budget. */
	CHECK_EQ(send_buf(t, &b, 0, buf, sizeof(buf), NULL), 0);
	CHECK_EQ(send_buf(t, &b, 0, buf, sizeof(buf), NULL), 0);
	CHECK_EQ(tcp_tbl_stats(t)->bufs_held, 18);
	/* A's next segment is dropped (the peer sends it again), ACKed. */
	tcp_tbl_output_clear(t);
	CHECK_EQ(send_buf(t, &a, 0, buf, sizeof(buf), &bb), TCP_DROP_BUF_BUDGET + 1);
	a.seq -= sizeof(buf);
	CHECK_EQ(tcp_tbl_stats(t)->drops[TCP_DROP_BUF_BUDGET], 1);
	CHECK(nout(t) == 1 && out(t, 0)->ack == a.seq);
	tcp_tbl_output_clear(t);
	CHECK_EQ(tcp_conn_readable(a.c), 100 * 16);
	/* B, under its share, still takes up to it. */
	CHECK_EQ(send_buf(t, &b, 0, buf, sizeof(buf), NULL), 0);
	CHECK_EQ(send_buf(t, &b, 0, buf, sizeof(buf), NULL), 0);
	CHECK_EQ(send_buf(t, &b, 0, buf, sizeof(buf), NULL), TCP_DROP_BUF_BUDGET + 1);
	b.seq -= sizeof(buf);
	CHECK_EQ(tcp_conn_readable(b.c), 100 * share);
	tcp_tbl_output_clear(t);
	/* What A received does not stop it sending: it holds nothing to send. */
	CHECK_EQ(tcp_conn_tx_bufs_left(t, a.c), UINT32_MAX);
	CHECK(tcp_conn_writable(t, a.c) > 0);
	/* A reads: the table is back under its budget, the retransmission taken. */
	CHECK_EQ(tcp_conn_read(t, a.c, got, 100 * 12), 100 * 12);
	CHECK_EQ(send_buf(t, &a, 0, buf, sizeof(buf), NULL), 0);
	CHECK_EQ(tcp_conn_readable(a.c), 100 * (share + 1));
	tcp_tbl_output_clear(t);

	/*
	 * To send, past the budget (B takes 10 more while under it): A
	 * holding nothing queues a record of any size (here 6 buffers, over
	 * its share); then nothing until its ACKs bring it under.
	 */
	for (unsigned i = 0; i < 9; i++)
		CHECK_EQ(send_buf(t, &b, 0, buf, sizeof(buf), NULL), 0);
	CHECK_EQ(tcp_tbl_stats(t)->bufs_held, cfg.bufs_budget);
	for (unsigned i = 0; i < 6; i++) {
		tx[i] = testbuf_alloc(NULL, 100);
		memcpy(tx[i]->data, buf, 100);
		tx[i]->len = 100;
	}
	CHECK_EQ(tcp_conn_send_bulk(t, a.c, tx, 6), 0);
	CHECK_EQ(tcp_conn_tx_bufs_left(t, a.c), 0);
	CHECK_EQ(tcp_conn_writable(t, a.c), 0);
	tcp_tbl_output_clear(t);
	a.ack += 300;
	CHECK_EQ(peer_send(t, &a, 0, NULL, 0), 0);
	CHECK_EQ(tcp_conn_tx_bufs_left(t, a.c), 1);
	a.ack += 300;
	CHECK_EQ(peer_send(t, &a, 0, NULL, 0), 0);
	CHECK_EQ(tcp_conn_tx_bufs_left(t, a.c), UINT32_MAX);
	tcp_tbl_output_clear(t);

	/*
	 * The pool at its reserve: the share is TCP_BUF_FLOOR even with the
	 * table under its budget; under a quarter of it, nothing but what
	 * one holding nothing takes.
	 */
	CHECK_EQ(tcp_conn_read(t, a.c, got, 100 * (share + 1)), 100 * (share + 1));
	CHECK_EQ(tcp_conn_read(t, b.c, got, 100 * (share + 9)), 100 * (share + 9));
	CHECK(tcp_tbl_stats(t)->bufs_held < cfg.bufs_budget);
	test_pool_level = 1;
	for (unsigned i = 0; i < TCP_BUF_FLOOR; i++)
		CHECK_EQ(send_buf(t, &a, 0, buf, sizeof(buf), NULL), 0);
	CHECK_EQ(send_buf(t, &a, 0, buf, sizeof(buf), NULL), TCP_DROP_BUF_BUDGET + 1);
	a.seq -= sizeof(buf);
	test_pool_level = 2;
	CHECK_EQ(send_buf(t, &b, 0, buf, sizeof(buf), NULL), 0);
	CHECK_EQ(send_buf(t, &b, 0, buf, sizeof(buf), NULL), TCP_DROP_BUF_BUDGET + 1);
	b.seq -= sizeof(buf);
	test_pool_level = 0;
	CHECK_EQ(send_buf(t, &a, 0, buf, sizeof(buf), NULL), 0);
	tcp_tbl_output_clear(t);
	tcp_tbl_free(t);

	/*
	 * Out of order: a connection holding its share beyond a hole still
	 * takes the segment that fills it, else they could never drain.
	 */
	t = tbl_new(&cfg);
	handshake(t, &a, 40302, 11);
	handshake(t, &b, 40303, 13);
	drain_events(t);
	{
		uint32_t hole = a.seq;

		a.seq += sizeof(buf);
		for (unsigned i = 0; i < TCP_OOO_MAX; i++)
			CHECK_EQ(send_buf(t, &a, 0, buf, sizeof(buf), NULL), 0);
		CHECK_EQ(send_buf(t, &b, 0, buf, sizeof(buf), NULL), 0);
		CHECK_EQ(send_buf(t, &b, 0, buf, sizeof(buf), NULL), 0);
		CHECK(tcp_tbl_stats(t)->bufs_held >= cfg.bufs_budget);
		CHECK_EQ(tcp_conn_readable(a.c), 0);
		a.seq = hole;
		CHECK_EQ(send_buf(t, &a, 0, buf, sizeof(buf), NULL), 0);
		CHECK_EQ(tcp_conn_readable(a.c), 100 * (TCP_OOO_MAX + 1));
	}
	tcp_tbl_output_clear(t);
	tcp_tbl_free(t);
}

/*
 * [limits] zero_window_timeout: a peer that answers our probes but never
 * opens its window is reset at the deadline, counted; one that opens it
 * in time starts afresh.
 */
static void
test_zero_window_timeout(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t;
	struct peer p;
	uint8_t buf[3000];
	uint64_t start;
	unsigned probes = 0;

	cfg.zero_window_timeout_us = 5000 * MS;
	t = tbl_new(&cfg);
	now = T0;
	memset(buf, 'z', sizeof(buf));
	handshake(t, &p, 40400, 11);
	drain_events(t);
	/* Window zero, data to send: probes until just before the deadline. */
	p.wnd = 0;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	CHECK_EQ(tcp_conn_write(t, p.c, buf, 3000), 3000);
	start = now;
	while (now < start + 4000 * MS) {
		now += 100 * MS;
		tcp_tbl_tick(t, now);
		if (nout(t) > 0) {
			CHECK(out(t, 0)->len == 1 && !(out(t, 0)->flags & TCP_FLAG_RST));
			probes++;
			CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
		}
		tcp_tbl_output_clear(t);
	}
	CHECK(probes >= 2);
	CHECK(lookup(t, 40400) == p.c);
	/* The window opens for a moment: the deadline starts again. */
	p.wnd = 1;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	tcp_tbl_output_clear(t);
	p.ack += 1;
	p.wnd = 0;
	now += 10 * MS;
	CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
	tcp_tbl_output_clear(t);
	start = now;
	while (now < start + 4000 * MS) {
		now += 100 * MS;
		tcp_tbl_tick(t, now);
		if (nout(t) > 0)
			CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
		tcp_tbl_output_clear(t);
	}
	CHECK(lookup(t, 40400) == p.c);
	CHECK_EQ(tcp_tbl_stats(t)->zero_window_timeouts, 0);
	/* Still closed past it: reset (RST sent), counted, the owner told. */
	while (lookup(t, 40400) != NULL && now < start + 20000 * MS) {
		now += 100 * MS;
		tcp_tbl_tick(t, now);
		if (lookup(t, 40400) != NULL && nout(t) > 0)
			CHECK_EQ(peer_send(t, &p, 0, NULL, 0), 0);
		if (lookup(t, 40400) == NULL)
			break;
		tcp_tbl_output_clear(t);
	}
	CHECK(lookup(t, 40400) == NULL);
	CHECK(now <= start + 5200 * MS);
	CHECK(nout(t) >= 1 && (out(t, nout(t) - 1)->flags & TCP_FLAG_RST));
	CHECK_EQ(tcp_tbl_stats(t)->zero_window_timeouts, 1);
	tcp_tbl_output_clear(t);
	drain_events(t);
	tcp_tbl_free(t);
}

int
main(void)
{
	test_siphash();
	test_unlisten();
	test_wheel();
	test_wheel_levels();
	test_handshake();
	test_data();
	test_retransmit();
	test_ooo();
	test_zero_window();
	test_states();
	test_challenge_limit();
	test_cookies();
	test_syn_timeout();
	test_wrap();
	test_limits();
	test_zero_copy_rx();
	test_gather();
	test_zero_copy_tx();
	test_lazy();
	test_buf_budget();
	test_zero_window_timeout();
	/* Every buffer TCP was handed went back, once. */
	CHECK_EQ(testbuf_live, 0);
	return check_result("test_tcp");
}
