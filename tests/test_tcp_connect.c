/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP active opens (hso-gen's side) with crafted segments, no kernel:
 * SYN and its options, RFC 6528 ISNs, RFC 9293 3.10.7.3 SYN-SENT processing
 * (acceptable and bad ACKs, RST, neither SYN nor RST, simultaneous open,
 * text on a SYN-ACK), SYN retransmission with backoff and Karn, the
 * handshake deadline, data queued before ESTABLISHED, RFC 6056 ephemeral
 * selection over several sources (collisions, exhaustion, the filter,
 * TIME_WAIT), closing with RST or FIN, the RFC 5961 checks once
 * established, and a client table talking to a server table over a lossy
 * "wire" with data checked byte for byte.
 */

#include <errno.h>

#include "check.h"
#include "tcp_priv.h"
#include "tcp_testbuf.h"

#define T0 1000000000ull        /* tests start at t = 1000 s */
#define MS 1000ull
#define CADDR 0xc612000au       /* 198.18.0.10: the client (us) */
#define SADDR 0xc6120002u       /* 198.18.0.2: the server */

static uint64_t now;

/* The connection behind @h is over (its owner still holds it until released). */
static bool
over(struct tcp_tbl *t, uint64_t h)
{
	struct tcp_conn *c = tcp_tbl_conn_get(t, h);

	return c != NULL && tcp_conn_over(c);
}

/* ... and the owner lets it go: the handle is stale from then on. */
static bool
over_release(struct tcp_tbl *t, uint64_t h)
{
	bool o = over(t, h);

	if (o)
		tcp_conn_release(t, tcp_tbl_conn_get(t, h));
	return o && tcp_tbl_conn_get(t, h) == NULL;
}

static struct tcp_config
cfg_small(void)
{
	struct tcp_config cfg;

	tcp_config_init(&cfg);
	cfg.max_conns = 16;
	cfg.max_time_wait = 16;
	cfg.rx_buf_size = 65536;
	cfg.tx_buf_size = 65536;
	cfg.mss = 1000;
	cfg.handshake_timeout_us = 60 * 1000 * MS;
	cfg.buf_ops = testbuf_ops;
	cfg.fixed_secret = true;
	for (unsigned i = 0; i < sizeof(cfg.secret); i++)
		cfg.secret[i] = (uint8_t)(0x20 + i);
	return cfg;
}

static struct tcp_tbl *
client_new(const struct tcp_config *cfg)
{
	struct tcp_tbl *t = tcp_tbl_create(cfg);
	uint32_t a = CADDR;

	if (t == NULL) {
		perror("tcp_tbl_create");
		exit(1);
	}
	CHECK_EQ(tcp_tbl_set_sources(t, &a, 1, 40000, 40999), 0);
	return t;
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

/* A segment from the server to connection @c. */
static int
from_server(struct tcp_tbl *t, const struct tcp_conn *c, uint32_t seq, uint32_t ack,
	    uint8_t flags, uint16_t wnd, const void *data, uint32_t len,
	    const uint8_t *opts, uint8_t opt_len)
{
	struct tcp_seg s = {
		.tuple = c->tuple, .seq = seq, .ack = ack, .flags = flags, .window = wnd,
		.opts = opts, .opt_len = opt_len, .payload = data, .len = len,
	};

	return tcp_tbl_input(t, &s, now);
}

static unsigned
events(struct tcp_tbl *t, struct tcp_event *ev, unsigned max)
{
	return tcp_tbl_event_burst(t, ev, max);
}

static const uint8_t synack_opts[] = { 2, 4, 0x05, 0x78, 1, 3, 3, 7 };   /* MSS 1400, WS 7 */

/* connect() and check the SYN; returns the connection. */
static struct tcp_conn *
open_one(struct tcp_tbl *t, void *user)
{
	uint64_t h = 0;
	struct tcp_conn *c;
	const struct tcp_seg_out *o;

	tcp_tbl_output_clear(t);
	CHECK_EQ(tcp_tbl_connect(t, SADDR, 443, user, now, &h), 0);
	c = tcp_tbl_conn_get(t, h);
	CHECK(c != NULL);
	if (c == NULL)
		exit(1);
	CHECK_EQ(c->state, TCP_SYN_SENT);
	CHECK_EQ(nout(t), 1);
	o = out(t, 0);
	CHECK(o != NULL && o->flags == TCP_FLAG_SYN && o->seq == c->iss);
	tcp_tbl_output_clear(t);
	return c;
}

/* The server's SYN-ACK (ISN @irs, MSS 1400, WS 7, window 29200). */
static void
synack(struct tcp_tbl *t, struct tcp_conn *c, uint32_t irs)
{
	CHECK_EQ(from_server(t, c, irs, c->iss + 1, TCP_FLAG_SYN | TCP_FLAG_ACK, 29200, NULL, 0,
			     synack_opts, sizeof(synack_opts)), 0);
}

/* ------------------------------------------------------------------ */

static void
test_connect_basic(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = client_new(&cfg);
	struct tcp_event ev[4];
	const struct tcp_seg_out *o;
	struct tcp_conn *c;
	uint64_t h;
	int user;

	now = T0;
	CHECK_EQ(tcp_tbl_connect(t, SADDR, 443, &user, now, &h), 0);
	c = tcp_tbl_conn_get(t, h);
	CHECK(c != NULL && c->state == TCP_SYN_SENT);
	CHECK_EQ(c->tuple.laddr, CADDR);
	CHECK_EQ(c->tuple.raddr, SADDR);
	CHECK_EQ(c->tuple.rport, 443);
	CHECK(c->tuple.lport >= 40000 && c->tuple.lport <= 40999);
	/* RFC 6528: ISN = M (4 µs clock) + F(4-tuple, secret). */
	CHECK_EQ(c->iss, (uint32_t)(T0 / 4) +
		 (uint32_t)tcp_tuple_hash(cfg.secret, &c->tuple, NULL, 0));
	/* RFC 6056 3.3.3: the first pair is the destination's keyed offset. */
	CHECK_EQ(c->tuple.lport, 40000 + tcp_eph_offset(t, SADDR, 443) % 1000);
	CHECK_EQ(nout(t), 1);
	o = out(t, 0);
	CHECK_EQ(o->flags, TCP_FLAG_SYN);
	CHECK_EQ(o->seq, c->iss);
	CHECK_EQ(o->window, 65535);     /* unscaled in a SYN */
	/* MSS 1000, NOP, window scale 1 (a 64 KiB ring needs one shift). */
	CHECK_EQ(o->opt_len, 8);
	CHECK_MEM(o->opts, ((uint8_t[]){ 2, 4, 0x03, 0xe8, 1, 3, 3, 1 }), 8);
	CHECK_EQ(tcp_tbl_stats(t)->connects, 1);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_SYN_SENT], 1);
	CHECK_EQ(events(t, ev, 4), 0);
	/* Not readable, not closable with a FIN yet; writable (queued). */
	CHECK_EQ(tcp_conn_read(t, c, (uint8_t[8]){ 0 }, 8), -ENOTCONN);
	CHECK_EQ(tcp_conn_writable(t, c), 65536);
	tcp_tbl_output_clear(t);

	now += 25 * MS;
	synack(t, c, 7000);
	CHECK_EQ(c->state, TCP_ESTABLISHED);
	CHECK_EQ(c->irs, 7000);
	CHECK_EQ(c->rcv_nxt, 7001);
	CHECK_EQ(c->snd_una, c->iss + 1);
	CHECK_EQ(c->mss, 1000);                 /* min(1400, ours) */
	CHECK_EQ(c->snd_wscale, 7);
	CHECK_EQ(c->rcv_wscale, 1);
	CHECK_EQ(c->snd_wnd, 29200);            /* a SYN-ACK's window is not scaled */
	CHECK_EQ(c->srtt_us, 25000);            /* the SYN's RTT, first sample */
	CHECK_EQ(c->rto_us, 200000);
	CHECK_EQ(c->rto_at, 0);
	/* The third segment: <SEQ=ISS+1><ACK=IRS+1><CTL=ACK>, window now scaled. */
	CHECK_EQ(nout(t), 1);
	o = out(t, 0);
	CHECK(o->flags == TCP_FLAG_ACK && o->seq == c->iss + 1 && o->ack == 7001 && o->len == 0);
	CHECK_EQ(o->window, 65536 >> 1);
	CHECK_EQ(events(t, ev, 4), 1);
	CHECK(ev[0].events == TCP_EV_CONNECTED && ev[0].user == &user &&
	      ev[0].handle == h);
	CHECK_EQ(tcp_tbl_stats(t)->connected, 1);
	CHECK_EQ(tcp_tbl_stats(t)->accepted, 0);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_SYN_SENT], 0);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_ESTABLISHED], 1);
	tcp_tbl_output_clear(t);

	/* A repeated SYN-ACK (our ACK was lost): old, so ACKed (3.10.7.4). */
	CHECK_EQ(from_server(t, c, 7000, c->iss + 1, TCP_FLAG_SYN | TCP_FLAG_ACK, 29200, NULL, 0,
			     synack_opts, sizeof(synack_opts)), TCP_DROP_DUPLICATE + 1);
	CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_ACK && out(t, 0)->ack == 7001);
	CHECK_EQ(c->state, TCP_ESTABLISHED);
	tcp_tbl_output_clear(t);

	/* Once established, every check of the passive side applies: an
	 * in-window RST that is not exact gets a challenge ACK (RFC 5961 3.2). */
	CHECK_EQ(from_server(t, c, 7100, 0, TCP_FLAG_RST, 0, NULL, 0, NULL, 0),
		 TCP_DROP_RST_CHALLENGED + 1);
	CHECK_EQ(c->state, TCP_ESTABLISHED);
	CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_ACK);
	tcp_tbl_output_clear(t);
	/* The exact one resets it. */
	CHECK_EQ(from_server(t, c, 7001, 0, TCP_FLAG_RST, 0, NULL, 0, NULL, 0), 0);
	CHECK(events(t, ev, 4) == 1 && ev[0].events == (TCP_EV_CLOSED | TCP_EV_RESET));
	CHECK(over_release(t, h));
	tcp_tbl_free(t);
}

/* Data written in SYN_SENT leaves with the handshake's ACK. */
static void
test_connect_early_data(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = client_new(&cfg);
	uint8_t hello[300], got[300];
	uint64_t rnd = 3;
	const struct tcp_seg_out *o;
	struct tcp_conn *c;

	now = T0;
	check_fill(&rnd, hello, sizeof(hello));
	c = open_one(t, NULL);
	CHECK_EQ(tcp_conn_write(t, c, hello, sizeof(hello)), (int)sizeof(hello));
	CHECK_EQ(nout(t), 0);                   /* queued, not sent with the SYN */
	now += 1 * MS;
	synack(t, c, 100);
	CHECK_EQ(nout(t), 1);
	o = out(t, 0);
	CHECK_EQ(o->flags, TCP_FLAG_ACK | TCP_FLAG_PSH);
	CHECK_EQ(o->seq, c->iss + 1);
	CHECK_EQ(o->ack, 101);
	CHECK_EQ(o->len, sizeof(hello));
	testbuf_seg_data(o, got);
	CHECK_MEM(got, hello, sizeof(hello));
	CHECK(c->rto_at != 0);                  /* data in flight: timer on */
	tcp_tbl_output_clear(t);
	/* Acknowledged: the timer stops. */
	CHECK_EQ(from_server(t, c, 101, c->iss + 1 + sizeof(hello), TCP_FLAG_ACK, 229, NULL, 0,
			     NULL, 0), 0);
	CHECK_EQ(c->rto_at, 0);
	CHECK_EQ(c->snd_wnd, 229u << 7);
	tcp_tbl_free(t);
}

/*
 * After an RTO (SND.NXT back to SND.UNA) a pure ACK still carries SND.MAX:
 * numbered SND.NXT it would be older than what the peer received, and a
 * strict peer drops it with its acknowledgment (two such peers deadlock).
 */
static void
test_ack_after_rto(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = client_new(&cfg);
	uint8_t buf[3000] = { 0 };
	struct tcp_conn *c;

	now = T0;
	c = open_one(t, NULL);
	synack(t, c, 100);
	tcp_tbl_output_clear(t);
	CHECK_EQ(tcp_conn_write(t, c, buf, sizeof(buf)), (int)sizeof(buf));
	CHECK_EQ(nout(t), 3);
	tcp_tbl_output_clear(t);
	now += 1000 * MS;
	tcp_tbl_tick(t, now);
	CHECK(nout(t) == 1 && out(t, 0)->seq == c->iss + 1 && out(t, 0)->len == 1000);
	CHECK_EQ(c->snd_nxt, c->iss + 1 + 1000);
	tcp_tbl_output_clear(t);
	/* The server's data (its ACK of our first 1000 lost): ACKed at SND.MAX. */
	CHECK_EQ(from_server(t, c, 101, c->iss + 1, TCP_FLAG_ACK | TCP_FLAG_PSH, 229, "x", 1,
			     NULL, 0), 0);
	tcp_conn_quickack(t, c);
	CHECK(nout(t) == 1 && out(t, 0)->len == 0 && out(t, 0)->ack == 102);
	CHECK_EQ(out(t, 0)->seq, c->iss + 1 + 3000);
	tcp_tbl_free(t);
}

/* SYN retransmissions with RFC 6298 backoff; Karn and RTO 5.7 afterwards. */
static void
test_connect_retransmit(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = client_new(&cfg);
	struct tcp_event ev[4];
	uint64_t start, sent[8];
	unsigned n_sent = 0;
	struct tcp_conn *c;
	uint64_t h;

	now = T0;
	start = now;
	c = open_one(t, NULL);
	h = tcp_conn_handle(c);
	/* Silence: the SYN goes again at 1, 3, 7, 15 s; at 31 s it gives up. */
	for (unsigned k = 0; k < 400; k++) {
		now += 100 * MS;
		tcp_tbl_tick(t, now);
		for (unsigned i = 0; i < nout(t); i++) {
			CHECK(out(t, i)->flags == TCP_FLAG_SYN && out(t, i)->seq == c->iss);
			if (n_sent < 8)
				sent[n_sent] = now - start;
			n_sent++;
		}
		tcp_tbl_output_clear(t);
		if (over(t, h))
			break;
	}
	CHECK_EQ(n_sent, 4);
	CHECK_EQ(sent[0], 1000 * MS);
	CHECK_EQ(sent[1], 3000 * MS);
	CHECK_EQ(sent[2], 7000 * MS);
	CHECK_EQ(sent[3], 15000 * MS);
	CHECK_EQ(now - start, 31000 * MS);
	CHECK_EQ(events(t, ev, 4), 1);
	CHECK_EQ(ev[0].events, TCP_EV_CLOSED | TCP_EV_RESET | TCP_EV_TIMEOUT);
	CHECK(over_release(t, h));
	CHECK_EQ(tcp_tbl_stats(t)->connect_timeouts, 1);
	CHECK_EQ(tcp_tbl_stats(t)->retransmits, 4);
	CHECK_EQ(tcp_tbl_stats(t)->resets_sent, 0);     /* nothing to reset (3.10.5) */
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_SYN_SENT], 0);

	/* One retransmission, then the SYN-ACK: no RTT sample (Karn), and
	 * RFC 6298 5.7 "the RTO MUST be re-initialized to 3 seconds". */
	c = open_one(t, NULL);
	now += 1000 * MS;
	tcp_tbl_tick(t, now);
	CHECK_EQ(nout(t), 1);
	tcp_tbl_output_clear(t);
	now += 30 * MS;
	synack(t, c, 5);
	CHECK_EQ(c->state, TCP_ESTABLISHED);
	CHECK_EQ(c->srtt_us, 0);
	CHECK_EQ(c->rto_us, 3000000);
	tcp_tbl_free(t);

	/* The handshake deadline bounds SYN_SENT whatever the retries allow. */
	cfg.handshake_timeout_us = 2500 * MS;
	t = client_new(&cfg);
	c = open_one(t, NULL);
	h = tcp_conn_handle(c);
	for (unsigned k = 0; k < 30; k++) {
		now += 100 * MS;
		tcp_tbl_tick(t, now);
		tcp_tbl_output_clear(t);
	}
	CHECK(over_release(t, h));
	CHECK(events(t, ev, 4) == 0);      /* released: its event went with it */
	CHECK_EQ(tcp_tbl_stats(t)->retransmits, 1);     /* at 1 s; 3 s is too late */
	tcp_tbl_free(t);
}

/* RFC 9293 3.10.7.3 in SYN-SENT: ACK, RST and SYN checks. */
static void
test_syn_sent_checks(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = client_new(&cfg);
	struct tcp_event ev[4];
	struct tcp_conn *c;
	uint64_t h;

	now = T0;
	c = open_one(t, NULL);
	h = tcp_conn_handle(c);
	/* SEG.ACK =< ISS: <SEQ=SEG.ACK><CTL=RST>, segment dropped. */
	CHECK_EQ(from_server(t, c, 9, c->iss, TCP_FLAG_SYN | TCP_FLAG_ACK, 100, NULL, 0, NULL, 0),
		 TCP_DROP_BAD_ACK + 1);
	CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_RST && out(t, 0)->seq == c->iss);
	tcp_tbl_output_clear(t);
	/* SEG.ACK > SND.NXT: the same. */
	CHECK_EQ(from_server(t, c, 9, c->iss + 2, TCP_FLAG_ACK, 100, NULL, 0, NULL, 0),
		 TCP_DROP_BAD_ACK + 1);
	CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_RST && out(t, 0)->seq == c->iss + 2);
	tcp_tbl_output_clear(t);
	/* ... unless it is a RST: dropped silently. */
	CHECK_EQ(from_server(t, c, 9, c->iss + 7, TCP_FLAG_RST | TCP_FLAG_ACK, 0, NULL, 0, NULL,
			     0), TCP_DROP_RST_INVALID + 1);
	CHECK_EQ(nout(t), 0);
	/* A RST without ACK cannot be tied to our SYN: dropped (blind reset). */
	CHECK_EQ(from_server(t, c, 0, 0, TCP_FLAG_RST, 0, NULL, 0, NULL, 0),
		 TCP_DROP_RST_INVALID + 1);
	/* An acceptable ACK with neither SYN nor RST: dropped. */
	CHECK_EQ(from_server(t, c, 9, c->iss + 1, TCP_FLAG_ACK, 100, NULL, 0, NULL, 0),
		 TCP_DROP_BAD_FLAGS + 1);
	CHECK_EQ(nout(t), 0);
	CHECK(tcp_tbl_conn_get(t, h) == c && c->state == TCP_SYN_SENT);
	CHECK_EQ(events(t, ev, 4), 0);
	/* RST with an acceptable ACK: refused, deleted, told. */
	CHECK_EQ(from_server(t, c, 0, c->iss + 1, TCP_FLAG_RST | TCP_FLAG_ACK, 0, NULL, 0, NULL,
			     0), 0);
	CHECK(events(t, ev, 4) == 1 && ev[0].events == (TCP_EV_CLOSED | TCP_EV_RESET));
	CHECK(over_release(t, h));
	CHECK_EQ(tcp_tbl_stats(t)->connect_refused, 1);
	CHECK_EQ(nout(t), 0);
	/* The tuple is free again: a stray segment for it gets a RST (no listener). */
	{
		struct tcp_seg s = { .tuple = c->tuple, .seq = 1, .ack = 5,
				     .flags = TCP_FLAG_ACK };

		/* (c's tuple was kept by the test only as data) */
		CHECK_EQ(tcp_tbl_input(t, &s, now), TCP_DROP_NO_LISTENER + 1);
		CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_RST && out(t, 0)->seq == 5);
		tcp_tbl_output_clear(t);
	}

	/* A SYN-ACK without window scale: no scaling either way. */
	c = open_one(t, NULL);
	CHECK_EQ(from_server(t, c, 50, c->iss + 1, TCP_FLAG_SYN | TCP_FLAG_ACK, 8000, NULL, 0,
			     (const uint8_t[]){ 2, 4, 0x02, 0x00 }, 4), 0);
	CHECK_EQ(c->state, TCP_ESTABLISHED);
	CHECK(!(c->flags & TCP_CF_WSCALE) && c->snd_wscale == 0 && c->rcv_wscale == 0);
	CHECK_EQ(c->mss, 512);
	CHECK(nout(t) == 1 && out(t, 0)->window == 65535);      /* 64 KiB, unscaled: capped */
	tcp_tbl_output_clear(t);
	/* A shift over 14 counts as 14 (RFC 7323 2.3); no MSS option: 536. */
	c = open_one(t, NULL);
	CHECK_EQ(from_server(t, c, 50, c->iss + 1, TCP_FLAG_SYN | TCP_FLAG_ACK, 8000, NULL, 0,
			     (const uint8_t[]){ 1, 3, 3, 15 }, 4), 0);
	CHECK_EQ(c->snd_wscale, 14);
	CHECK_EQ(c->mss, TCP_MSS_DEFAULT);
	tcp_tbl_output_clear(t);
	/* Malformed options: counted, ignored. */
	c = open_one(t, NULL);
	CHECK_EQ(from_server(t, c, 50, c->iss + 1, TCP_FLAG_SYN | TCP_FLAG_ACK, 8000, NULL, 0,
			     (const uint8_t[]){ 2, 0, 0, 0 }, 4), 0);
	CHECK_EQ(c->state, TCP_ESTABLISHED);
	CHECK_EQ(tcp_tbl_stats(t)->drops[TCP_DROP_BAD_OPTIONS], 1);
	tcp_tbl_output_clear(t);

	/* Text and FIN on the SYN-ACK: read after CONNECTED, window not overstated. */
	c = open_one(t, NULL);
	h = tcp_conn_handle(c);
	while (events(t, ev, 4) > 0)
		;
	CHECK_EQ(from_server(t, c, 900, c->iss + 1, TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_FIN,
			     300, "hello", 5, synack_opts, sizeof(synack_opts)), 0);
	CHECK_EQ(c->state, TCP_CLOSE_WAIT);
	CHECK_EQ(c->rcv_nxt, 900 + 1 + 5 + 1);
	CHECK_EQ(c->snd_wnd, 300 >> 7 << 7);    /* not 300 << 7; rounded down */
	CHECK(nout(t) == 1 && out(t, 0)->ack == 907);
	CHECK(events(t, ev, 4) == 1 &&
	      ev[0].events == (TCP_EV_CONNECTED | TCP_EV_READABLE | TCP_EV_PEER_FIN));
	{
		uint8_t got[8];

		CHECK_EQ(tcp_conn_read(t, c, got, sizeof(got)), 5);
		CHECK_MEM(got, "hello", 5);
	}
	tcp_tbl_free(t);
}

/* Simultaneous open (RFC 9293 figure 7): SYN-SENT -> SYN-RECEIVED -> ESTABLISHED. */
static void
test_simultaneous_open(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = client_new(&cfg);
	struct tcp_event ev[4];
	const struct tcp_seg_out *o;
	struct tcp_conn *c;

	now = T0;
	c = open_one(t, NULL);
	CHECK_EQ(from_server(t, c, 300, 0, TCP_FLAG_SYN, 4000, NULL, 0, synack_opts,
			     sizeof(synack_opts)), 0);
	CHECK_EQ(c->state, TCP_SYN_RCVD);
	CHECK_EQ(nout(t), 1);
	o = out(t, 0);
	CHECK(o->flags == (TCP_FLAG_SYN | TCP_FLAG_ACK) && o->seq == c->iss && o->ack == 301);
	CHECK_EQ(o->opt_len, 8);                /* window scale: both SYNs had it */
	tcp_tbl_output_clear(t);
	CHECK_EQ(events(t, ev, 4), 0);
	CHECK_EQ(from_server(t, c, 301, c->iss + 1, TCP_FLAG_ACK, 4000, NULL, 0, NULL, 0), 0);
	CHECK_EQ(c->state, TCP_ESTABLISHED);
	CHECK(events(t, ev, 4) == 1 && ev[0].events == TCP_EV_CONNECTED);
	CHECK_EQ(tcp_tbl_stats(t)->connected, 1);
	tcp_tbl_free(t);
}

static bool
even_ports(void *arg, const struct tcp_tuple *tu)
{
	(*(unsigned *)arg)++;
	return (tu->lport & 1) == 0;
}

/* RFC 6056 selection over addresses x ports: spread, collisions, exhaustion. */
static void
test_ephemeral(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tcp_tbl_create(&cfg);
	const uint32_t srcs[3] = { CADDR, CADDR + 1, CADDR + 2 };
	struct tcp_conn *cs[12];
	uint64_t h;
	unsigned calls = 0;

	now = T0;
	/* Arguments. */
	CHECK_EQ(tcp_tbl_connect(t, SADDR, 443, NULL, now, &h), -EINVAL);
	CHECK_EQ(tcp_tbl_set_sources(t, srcs, 0, 1000, 1003), -EINVAL);
	CHECK_EQ(tcp_tbl_set_sources(t, srcs, 3, 0, 1003), -EINVAL);
	CHECK_EQ(tcp_tbl_set_sources(t, srcs, 3, 1004, 1003), -EINVAL);
	CHECK_EQ(tcp_tbl_set_sources(t, (const uint32_t[]){ 0 }, 1, 1000, 1003), -EINVAL);
	CHECK_EQ(tcp_tbl_set_sources(t, srcs, 3, 1000, 1003), 0);

	/* Twelve pairs: twelve connections take every one once, consecutive
	 * ones on consecutive addresses. */
	for (unsigned i = 0; i < 12; i++) {
		cs[i] = open_one(t, NULL);
		if (i > 0)
			CHECK_EQ(cs[i]->tuple.laddr,
				 srcs[(cs[i - 1]->tuple.laddr - CADDR + 1) % 3]);
		for (unsigned j = 0; j < i; j++)
			CHECK(cs[i]->tuple.laddr != cs[j]->tuple.laddr ||
			      cs[i]->tuple.lport != cs[j]->tuple.lport);
		CHECK(cs[i]->tuple.lport >= 1000 && cs[i]->tuple.lport <= 1003);
	}
	CHECK_EQ(tcp_tbl_stats(t)->port_collisions, 0);
	/* Every pair in use: no tuple after connect_tries candidates. */
	CHECK_EQ(tcp_tbl_connect(t, SADDR, 443, NULL, now, &h), -EADDRNOTAVAIL);
	CHECK_EQ(tcp_tbl_stats(t)->ports_exhausted, 1);
	CHECK_EQ(tcp_tbl_stats(t)->port_collisions, cfg.connect_tries);
	/* Another destination is another tuple space. */
	CHECK_EQ(tcp_tbl_connect(t, SADDR, 8443, NULL, now, &h), 0);
	tcp_tbl_output_clear(t);
	/* One freed (ABORT from SYN-SENT: no segment): found again. */
	{
		struct tcp_tuple freed = cs[5]->tuple;
		struct tcp_conn *c;

		tcp_conn_abort(t, cs[5]);
		CHECK_EQ(nout(t), 0);
		tcp_conn_release(t, cs[5]);
		c = open_one(t, NULL);
		CHECK(c->tuple.laddr == freed.laddr && c->tuple.lport == freed.lport);
	}
	/* The table is full now (12 + 1 + ... of 16): fill it, then -ENOBUFS. */
	for (uint16_t p = 1; p <= 3; p++)
		CHECK_EQ(tcp_tbl_connect(t, SADDR, (uint16_t)(9000 + p), NULL, now, &h), 0);
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_SYN_SENT], 16);
	CHECK_EQ(tcp_tbl_connect(t, SADDR, 9999, NULL, now, &h), -ENOBUFS);
	tcp_tbl_free(t);

	/* The filter: only what it accepts is used; refusals are collisions. */
	t = tcp_tbl_create(&cfg);
	CHECK_EQ(tcp_tbl_set_sources(t, srcs, 1, 2000, 2999), 0);
	tcp_tbl_set_filter(t, even_ports, &calls);
	for (unsigned i = 0; i < 8; i++)
		CHECK((open_one(t, NULL)->tuple.lport & 1) == 0);
	CHECK(calls >= 8);
	CHECK_EQ(tcp_tbl_stats(t)->port_collisions, calls - 8);
	tcp_tbl_free(t);
}

/* Closing: RST leaves nothing behind; FIN first means TIME_WAIT, skipped. */
static void
test_connect_close(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tcp_tbl_create(&cfg);
	const uint32_t src = CADDR;
	struct tcp_event ev[4];
	struct tcp_conn *c;
	struct tcp_tuple tw;
	uint64_t h;

	now = T0;
	/* Two ports: the second connection must avoid the first's TIME_WAIT. */
	CHECK_EQ(tcp_tbl_set_sources(t, &src, 1, 5000, 5001), 0);
	c = open_one(t, NULL);
	synack(t, c, 10);
	tcp_tbl_output_clear(t);
	while (events(t, ev, 4) > 0)
		;
	/* ABORT: <SEQ=SND.NXT><CTL=RST>, slot free at once. */
	h = tcp_conn_handle(c);
	tcp_conn_abort(t, c);
	CHECK(nout(t) == 1 && out(t, 0)->flags == TCP_FLAG_RST && out(t, 0)->seq == c->iss + 1);
	CHECK(events(t, ev, 4) == 1 && ev[0].events == (TCP_EV_CLOSED | TCP_EV_RESET));
	CHECK(over_release(t, h));
	CHECK_EQ(tcp_tbl_stats(t)->conns[TCP_TIME_WAIT], 0);
	tcp_tbl_output_clear(t);

	/* CLOSE in SYN-SENT: deleted, no segment, CLOSED without RESET. */
	c = open_one(t, NULL);
	h = tcp_conn_handle(c);
	CHECK_EQ(tcp_conn_close(t, c), 0);
	CHECK_EQ(nout(t), 0);
	CHECK(events(t, ev, 4) == 1 && ev[0].events == TCP_EV_CLOSED);
	CHECK(over_release(t, h));

	/* Active close: FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT after the server's FIN. */
	c = open_one(t, NULL);
	synack(t, c, 10);
	tcp_tbl_output_clear(t);
	CHECK_EQ(tcp_conn_close(t, c), 0);
	CHECK_EQ(c->state, TCP_FIN_WAIT_1);
	CHECK(nout(t) == 1 && (out(t, 0)->flags & TCP_FLAG_FIN));
	tcp_tbl_output_clear(t);
	CHECK_EQ(from_server(t, c, 11, c->iss + 2, TCP_FLAG_ACK, 100, NULL, 0, NULL, 0), 0);
	CHECK_EQ(c->state, TCP_FIN_WAIT_2);
	CHECK_EQ(from_server(t, c, 11, c->iss + 2, TCP_FLAG_ACK | TCP_FLAG_FIN, 100, NULL, 0,
			     NULL, 0), 0);
	CHECK_EQ(c->state, TCP_TIME_WAIT);
	tw = c->tuple;
	tcp_tbl_output_clear(t);
	/* The next connections take the other port: TIME_WAIT is in use. */
	for (unsigned i = 0; i < 3; i++) {
		c = open_one(t, NULL);
		CHECK(c->tuple.lport != tw.lport);
		tcp_conn_abort(t, c);
	}
	CHECK(tcp_tbl_stats(t)->port_collisions >= 1);
	tcp_tbl_free(t);
}

/*
 * A client table and a server table joined by a "wire" that loses every
 * seventh segment: connections, data both ways checked byte for byte,
 * closes from either side; retransmissions carry it through.
 */
struct wire {
	struct tcp_tbl *a, *b;
	unsigned n, lost;
	uint8_t buf[64][2048];
};

/* Move @from's output into @to, swapping the tuple's sides. */
static void
wire_pass(struct wire *w, struct tcp_tbl *from, struct tcp_tbl *to)
{
	struct tcp_seg segs[64];
	unsigned n, k = 0;
	const struct tcp_seg_out *o = tcp_tbl_output(from, &n);

	for (unsigned i = 0; i < n && k < 64; i++) {
		struct tcp_seg *s = &segs[k];

		if (++w->n % 7 == 0) {
			w->lost++;
			continue;
		}
		memset(s, 0, sizeof(*s));
		s->tuple.laddr = o[i].tuple.raddr;
		s->tuple.raddr = o[i].tuple.laddr;
		s->tuple.lport = o[i].tuple.rport;
		s->tuple.rport = o[i].tuple.lport;
		s->tuple.v6 = o[i].tuple.v6;
		memcpy(s->tuple.laddr6, o[i].tuple.raddr6, 16);
		memcpy(s->tuple.raddr6, o[i].tuple.laddr6, 16);
		s->seq = o[i].seq;
		s->ack = o[i].ack;
		s->window = o[i].window;
		s->flags = o[i].flags;
		s->opt_len = o[i].opt_len;
		s->opts = o[i].opts;
		testbuf_seg_data(&o[i], w->buf[k]);
		s->payload = w->buf[k];
		s->len = o[i].len;
		k++;
	}
	/* Options point into from's output: copy them before clearing. */
	{
		uint8_t opts[64][TCP_OPT_OUT_MAX];

		for (unsigned i = 0; i < k; i++) {
			memcpy(opts[i], segs[i].opts, segs[i].opt_len);
			segs[i].opts = opts[i];
		}
		tcp_tbl_output_clear(from);
		for (unsigned i = 0; i < k; i++)
			tcp_tbl_input(to, &segs[i], now);
	}
}

#define PAIRS 6
#define BYTES 20000

/* 2001:db8::10 (us) and 2001:db8::2 (the server). */
static const uint8_t caddr6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
static const uint8_t saddr6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x02 };

static void
test_wire(bool v6)
{
	struct tcp_config cc = cfg_small(), sc = cfg_small();
	static struct wire w;
	const uint32_t src = CADDR;
	uint8_t data[BYTES], got[BYTES];
	struct {
		struct tcp_conn *c, *s;
		uint32_t c_rx, s_rx, c_tx, s_tx;
		bool c_fin, s_fin, done;
	} p[PAIRS];
	uint64_t rnd = 99;
	unsigned done = 0;

	memset(p, 0, sizeof(p));
	check_fill(&rnd, data, sizeof(data));
	sc.secret[0] ^= 0xff;
	/* TIME_WAIT outlives the test: counted at the end. */
	cc.time_wait_us = sc.time_wait_us = 3600ull * 1000 * MS;
	w.a = tcp_tbl_create(&cc);
	w.b = tcp_tbl_create(&sc);
	CHECK(w.a != NULL && w.b != NULL);
	w.n = 0;
	w.lost = 0;
	if (v6)
		CHECK_EQ(tcp_tbl_set_sources6(w.a, &caddr6, 1, 30000, 30100), 0);
	else
		CHECK_EQ(tcp_tbl_set_sources(w.a, &src, 1, 30000, 30100), 0);
	CHECK_EQ(tcp_tbl_listen(w.b, 443), 0);
	now = T0;
	for (unsigned i = 0; i < PAIRS; i++) {
		uint64_t h;

		if (v6)
			CHECK_EQ(tcp_tbl_connect6(w.a, saddr6, 443, &p[i], now, &h), 0);
		else
			CHECK_EQ(tcp_tbl_connect(w.a, SADDR, 443, &p[i], now, &h), 0);
		p[i].c = tcp_tbl_conn_get(w.a, h);
		/* IPv6: the tuple says so, and the MSS leaves room for the longer header. */
		CHECK(p[i].c != NULL && p[i].c->tuple.v6 == v6);
		if (v6 && p[i].c != NULL) {
			CHECK(memcmp(p[i].c->tuple.laddr6, caddr6, 16) == 0 &&
			      memcmp(p[i].c->tuple.raddr6, saddr6, 16) == 0);
			CHECK_EQ(p[i].c->mss, 1000 - TCP_MSS_V6_LESS);
		}
	}
	for (unsigned round = 0; round < 20000 && done < PAIRS; round++) {
		struct tcp_event ev[32];
		unsigned n;

		now += 5 * MS;
		tcp_tbl_tick(w.a, now);
		tcp_tbl_tick(w.b, now);
		wire_pass(&w, w.a, w.b);
		wire_pass(&w, w.b, w.a);
		while ((n = tcp_tbl_event_burst(w.b, ev, 32)) > 0) {
			for (unsigned i = 0; i < n; i++) {
				struct tcp_conn *s = tcp_tbl_conn_get(w.b, ev[i].handle);

				if ((ev[i].events & TCP_EV_ACCEPT) && s != NULL) {
					/* Match by the client's port. */
					for (unsigned k = 0; k < PAIRS; k++)
						if (!p[k].done &&
						    p[k].c->tuple.lport == s->tuple.rport)
							p[k].s = s;
				}
			}
		}
		while (tcp_tbl_event_burst(w.a, ev, 32) > 0)
			;
		for (unsigned i = 0; i < PAIRS; i++) {
			int r;

			if (p[i].done || p[i].s == NULL || p[i].c->state == TCP_SYN_SENT)
				continue;
			/* Both directions, each side writes as room allows. */
			if (p[i].c_tx < BYTES && (r = tcp_conn_write(w.a, p[i].c, data + p[i].c_tx,
								      BYTES - p[i].c_tx)) > 0)
				p[i].c_tx += (uint32_t)r;
			if (p[i].s_tx < BYTES && (r = tcp_conn_write(w.b, p[i].s, data + p[i].s_tx,
								      BYTES - p[i].s_tx)) > 0)
				p[i].s_tx += (uint32_t)r;
			while ((r = tcp_conn_read(w.b, p[i].s, got, sizeof(got))) > 0) {
				CHECK_MEM(got, data + p[i].s_rx, (size_t)r);
				p[i].s_rx += (uint32_t)r;
			}
			while ((r = tcp_conn_read(w.a, p[i].c, got, sizeof(got))) > 0) {
				CHECK_MEM(got, data + p[i].c_rx, (size_t)r);
				p[i].c_rx += (uint32_t)r;
			}
			/* Even pairs: the client closes first; odd: the server;
			 * the other side once the FIN came (no simultaneous close). */
			if (p[i].c_tx == BYTES && p[i].s_rx == BYTES && !p[i].s_fin &&
			    (i % 2 == 1 || p[i].s->state == TCP_CLOSE_WAIT)) {
				p[i].s_fin = tcp_conn_close(w.b, p[i].s) == 0;
			}
			if (p[i].s_tx == BYTES && p[i].c_rx == BYTES && !p[i].c_fin &&
			    (i % 2 == 0 || p[i].c->state == TCP_CLOSE_WAIT)) {
				p[i].c_fin = tcp_conn_close(w.a, p[i].c) == 0;
			}
			if (p[i].c_fin && p[i].s_fin && p[i].c->state != TCP_FIN_WAIT_1 &&
			    p[i].c->state != TCP_LAST_ACK && p[i].c->state != TCP_CLOSING &&
			    p[i].s->state != TCP_FIN_WAIT_1 && p[i].s->state != TCP_LAST_ACK &&
			    p[i].s->state != TCP_CLOSING && p[i].s_rx == BYTES &&
			    p[i].c_rx == BYTES) {
				p[i].done = true;
				done++;
			}
		}
	}
	CHECK_EQ(done, PAIRS);
	for (unsigned i = 0; i < PAIRS && v6; i++)
		CHECK(p[i].s != NULL && p[i].s->tuple.v6 &&
		      memcmp(p[i].s->tuple.raddr6, caddr6, 16) == 0);
	for (unsigned i = 0; i < PAIRS; i++)
		if (!p[i].done)
			fprintf(stderr, "pair %u: client %s (rx %u tx %u fin %d), server %s (rx %u tx %u fin %d)\n",
				i, tcp_state_name(p[i].c->state), p[i].c_rx, p[i].c_tx, p[i].c_fin,
				p[i].s ? tcp_state_name(p[i].s->state) : "-", p[i].s_rx, p[i].s_tx,
				p[i].s_fin);
	CHECK(w.lost > 0);
	CHECK_EQ(tcp_tbl_stats(w.a)->connected, PAIRS);
	CHECK_EQ(tcp_tbl_stats(w.b)->accepted, PAIRS);
	CHECK(tcp_tbl_stats(w.a)->retransmits + tcp_tbl_stats(w.a)->fast_retransmits > 0);
	/* Active closers hold TIME_WAIT: the clients of even pairs, the server of odd. */
	CHECK_EQ(tcp_tbl_stats(w.a)->conns[TCP_TIME_WAIT] + tcp_tbl_stats(w.b)->conns[TCP_TIME_WAIT],
		 PAIRS);
	tcp_tbl_free(w.a);
	tcp_tbl_free(w.b);
}

/* IPv6 sources: checked; a table opens the family of its sources only. */
static void
test_sources6(void)
{
	struct tcp_config cfg = cfg_small();
	struct tcp_tbl *t = tcp_tbl_create(&cfg);
	static const uint8_t zero[1][16], mcast[1][16] = { { 0xff, 0x02, [15] = 1 } };
	uint32_t a = CADDR;
	uint64_t h;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK_EQ(tcp_tbl_connect6(t, saddr6, 443, NULL, T0, &h), -EINVAL);
	CHECK_EQ(tcp_tbl_set_sources6(t, zero, 1, 1000, 1001), -EINVAL);
	CHECK_EQ(tcp_tbl_set_sources6(t, mcast, 1, 1000, 1001), -EINVAL);
	CHECK_EQ(tcp_tbl_set_sources6(t, &caddr6, 1, 1002, 1001), -EINVAL);
	CHECK_EQ(tcp_tbl_set_sources(t, &a, 1, 1000, 1001), 0);
	CHECK_EQ(tcp_tbl_connect6(t, saddr6, 443, NULL, T0, &h), -EINVAL);
	CHECK_EQ(tcp_tbl_set_sources6(t, &caddr6, 1, 1000, 1001), 0);
	CHECK_EQ(tcp_tbl_connect(t, SADDR, 443, NULL, T0, &h), -EINVAL);
	/* Two ports: two connections to one destination, then none. */
	CHECK_EQ(tcp_tbl_connect6(t, saddr6, 443, NULL, T0, &h), 0);
	CHECK_EQ(tcp_tbl_connect6(t, saddr6, 443, NULL, T0, &h), 0);
	CHECK_EQ(tcp_tbl_connect6(t, saddr6, 443, NULL, T0, &h), -EADDRNOTAVAIL);
	tcp_tbl_output_clear(t);
	tcp_tbl_free(t);
}

int
main(void)
{
	test_connect_basic();
	test_connect_early_data();
	test_connect_retransmit();
	test_ack_after_rto();
	test_syn_sent_checks();
	test_simultaneous_open();
	test_ephemeral();
	test_connect_close();
	test_wire(false);
	test_wire(true);
	test_sources6();
	/* Every buffer TCP was handed went back, once. */
	CHECK_EQ(testbuf_live, 0);
	return check_result("test_tcp_connect");
}
