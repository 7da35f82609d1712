/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-bench-tcp-idle: does a short connection cost TCP more when many idle
 * connections are open beside it? (#11: a handshake's cost at 1M idle
 * connections within 5% of its cost at none.) The TCP core alone, in
 * memory, one thread: no DPDK, no crypto, no other process, so the figure
 * holds on a busy machine where the end-to-end one (bench/e2e_idle.sh)
 * drowns in noise.
 *
 * Two tables of the same configuration (max_conns N + 4096, hsod's timer
 * wheel, idle timeout one day): one holds N established idle connections,
 * the other none. Each step is one short connection's life on a table
 * (SYN, ACK, 300 bytes of data, RST, the events read and the slot released,
 * output built and cleared) with the table's clock moving 10 µs and its
 * timers run, as a worker taking 100,000 handshakes a second would; the
 * clock covers several revolutions of the wheel's first level. Batches of
 * steps alternate between the tables; thread CPU time per step, medians.
 *
 *   hso-bench-tcp-idle [--idle N] [--batches B] [--steps S]
 *
 * One JSON object: ns_per_conn_0_idle, ns_per_conn_n_idle, cost_vs_0
 * (their ratio; the target is <= 1.05).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcp.h"

#define LADDR 0xc6120002u       /* 198.18.0.2 */

struct pool_buf {
	struct tcp_buf b;
	struct pool_buf *free_next;
	uint8_t room[2048];
};

static struct pool_buf *pool_free;

static struct tcp_buf *
pool_alloc(void *ctx, uint32_t len)
{
	struct pool_buf *x = pool_free;

	(void)ctx;
	(void)len;
	if (x != NULL)
		pool_free = x->free_next;
	else if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	memset(&x->b, 0, sizeof(x->b));
	x->b.data = x->room;
	x->b.cap = sizeof(x->room);
	return &x->b;
}

static void
pool_release(void *ctx, struct tcp_buf *b)
{
	struct pool_buf *x = (struct pool_buf *)b;

	(void)ctx;
	x->free_next = pool_free;
	pool_free = x;
}

struct side {
	struct tcp_tbl *t;
	uint64_t now;
	uint32_t next_peer;         /* peers of the measured connections */
};

static double
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
seg_in(struct side *s, uint32_t raddr, uint16_t rport, uint32_t seq, uint32_t ack,
       uint8_t flags, const void *data, uint32_t len)
{
	struct tcp_seg g = {
		.tuple = { .laddr = LADDR, .raddr = raddr, .lport = 443, .rport = rport },
		.seq = seq, .ack = ack, .flags = flags, .window = 65535,
		.payload = data, .len = len,
	};

	return tcp_tbl_input(s->t, &g, s->now);
}

/* Events read as an owner does: accept, and release a connection once closed. */
static void
drain(struct side *s)
{
	struct tcp_event ev[64];
	unsigned n;

	while ((n = tcp_tbl_event_burst(s->t, ev, 64)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct tcp_conn *c = tcp_tbl_conn_get(s->t, ev[i].handle);

			if (c == NULL)
				continue;
			if (ev[i].events & TCP_EV_READABLE) {
				uint8_t tmp[512];

				while (tcp_conn_read(s->t, c, tmp, sizeof(tmp)) > 0)
					;
			}
			if (ev[i].events & TCP_EV_CLOSED)
				tcp_conn_release(s->t, c);
		}
	}
}

/* The server's ISS from the SYN-ACK it just queued. */
static uint32_t
synack_iss(struct side *s)
{
	unsigned n;
	const struct tcp_seg_out *o = tcp_tbl_output(s->t, &n);

	return n > 0 ? o[n - 1].seq : 0;
}

/* Open a connection from @raddr:@rport to ESTABLISHED; @data: bytes then. */
static int
conn_open(struct side *s, uint32_t raddr, uint16_t rport, const uint8_t *data, uint32_t len,
	  bool rst)
{
	uint32_t isn = 1000u + rport, iss;

	if (seg_in(s, raddr, rport, isn, 0, TCP_FLAG_SYN, NULL, 0) != 0)
		return -1;
	iss = synack_iss(s);
	tcp_tbl_output_clear(s->t);
	seg_in(s, raddr, rport, isn + 1, iss + 1, TCP_FLAG_ACK, NULL, 0);
	if (len > 0)
		seg_in(s, raddr, rport, isn + 1, iss + 1, TCP_FLAG_ACK | TCP_FLAG_PSH, data, len);
	if (rst)
		seg_in(s, raddr, rport, isn + 1 + len, 0, TCP_FLAG_RST, NULL, 0);
	tcp_tbl_output_clear(s->t);
	drain(s);
	return 0;
}

static struct side
side_make(uint32_t max_conns)
{
	struct tcp_config cfg;
	struct side s = { .now = 1000000000ull };

	tcp_config_init(&cfg);
	cfg.max_conns = max_conns;
	cfg.max_half_open = max_conns;
	cfg.idle_timeout_us = 86400ull * 1000000;   /* e2e_idle.sh's hsod */
	cfg.buf_ops = (struct tcp_buf_ops){ .alloc = pool_alloc, .release = pool_release };
	s.t = tcp_tbl_create(&cfg);
	if (s.t == NULL) {
		fprintf(stderr, "hso-bench-tcp-idle: tcp_tbl_create: %s\n", strerror(errno));
		exit(1);
	}
	tcp_tbl_listen(s.t, 443);
	tcp_tbl_tick(s.t, s.now);
	return s;
}

static void
batch(struct side *s, unsigned steps, const uint8_t *data)
{
	for (unsigned i = 0; i < steps; i++) {
		/* Measured peers from 10.128.0.0 on: never an idle one's tuple. */
		uint32_t p = s->next_peer++;

		conn_open(s, 0x0a800000u + (p >> 14), (uint16_t)(1024 + (p & 16383)), data, 300,
			  true);
		s->now += 10;
		tcp_tbl_tick(s->t, s->now);
		tcp_tbl_output_clear(s->t);
		drain(s);
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	unsigned idle = 1000000, batches = 60, steps = 10000;
	static uint8_t data[300];
	struct side with, without;
	double *t_with, *t_without, t0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--idle") == 0)
			idle = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--batches") == 0)
			batches = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--steps") == 0)
			steps = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else {
			fprintf(stderr, "usage: hso-bench-tcp-idle [--idle N] [--batches B] [--steps S]\n");
			return 2;
		}
	}
	if (batches == 0 || steps == 0 || idle > 8000000) {
		fprintf(stderr, "hso-bench-tcp-idle: bad arguments\n");
		return 2;
	}
	memset(data, 'x', sizeof(data));
	with = side_make(idle + 4096);
	without = side_make(idle + 4096);
	/* The idle ones: from 10.0.0.0 on, 60,000 ports per address, left open. */
	t0 = cpu_ns();
	for (unsigned i = 0; i < idle; i++) {
		if (conn_open(&with, 0x0a000000u + i / 60000, (uint16_t)(1024 + i % 60000), NULL,
			      0, false) != 0) {
			fprintf(stderr, "hso-bench-tcp-idle: idle connection %u refused\n", i);
			return 1;
		}
		if ((i & 1023) == 0) {
			with.now += 10;
			tcp_tbl_tick(with.t, with.now);
		}
	}
	t0 = cpu_ns() - t0;
	t_with = calloc(batches, sizeof(*t_with));
	t_without = calloc(batches, sizeof(*t_without));
	if (t_with == NULL || t_without == NULL)
		return 1;
	/* Warm-up, then alternate: a busy machine weighs on both alike. */
	batch(&with, steps, data);
	batch(&without, steps, data);
	for (unsigned b = 0; b < batches; b++) {
		double a = cpu_ns();

		batch(&without, steps, data);
		t_without[b] = (cpu_ns() - a) / steps;
		a = cpu_ns();
		batch(&with, steps, data);
		t_with[b] = (cpu_ns() - a) / steps;
	}
	qsort(t_with, batches, sizeof(*t_with), cmp_double);
	qsort(t_without, batches, sizeof(*t_without), cmp_double);
	{
		const struct tcp_stats *st = tcp_tbl_stats(with.t);
		double m_with = t_with[batches / 2], m_without = t_without[batches / 2];

		printf("{\"bench\": \"tcp_idle\", \"idle\": %u, \"batches\": %u, \"steps\": %u, "
		       "\"virtual_seconds\": %.1f, \"ns_per_idle_open\": %.1f, "
		       "\"ns_per_conn_0_idle\": %.1f, \"ns_per_conn_n_idle\": %.1f, "
		       "\"cost_vs_0\": %.3f, \"timeouts\": %llu}\n",
		       idle, batches, steps, (double)(with.now - 1000000000ull) / 1e6,
		       idle ? t0 / idle : 0.0, m_without, m_with, m_with / m_without,
		       (unsigned long long)st->timeouts);
	}
	tcp_tbl_free(with.t);
	tcp_tbl_free(without.t);
	return 0;
}
