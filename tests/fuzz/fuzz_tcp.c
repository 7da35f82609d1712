/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the TCP core: the input is a script of segments from
 * a few peers (any flags, sequence numbers, windows, options and payload),
 * clock jumps, application reads, writes, closes, aborts and active opens
 * (whose tuples the same segments reach), zero-copy reads (peek, release)
 * and sends by reference, against one small table with SYN cookies on.
 * Segments come with a buffer of their own or without (TCP copies), and
 * buffer allocations sometimes fail. ASan and UBSan watch; the target
 * checks the output list's promises (within its limit, pieces inside their
 * buffers and adding up) and that every buffer TCP was handed is given
 * back exactly once (tcp_testbuf.h aborts on a double release; a leak after
 * tcp_tbl_free() aborts here). The owner releases connections when it
 * hears CLOSED, or later.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp.h"
#include "tcp_testbuf.h"

static struct tcp_tbl *tbl;
static uint64_t now;

static void
init(void)
{
	struct tcp_config cfg;

	tcp_config_init(&cfg);
	cfg.max_conns = 8;
	cfg.max_half_open = 2;          /* reach the SYN-cookie path quickly */
	cfg.max_time_wait = 2;
	cfg.rx_buf_size = 4096;
	cfg.tx_buf_size = 4096;
	cfg.mss = 536;
	cfg.out_max = 64;
	cfg.rx_bufs_max = 4;            /* reach the gathering path quickly */
	cfg.buf_ops = testbuf_ops;
	cfg.fixed_secret = true;
	memset(cfg.secret, 0x5a, sizeof(cfg.secret));
	tbl = tcp_tbl_create(&cfg);
	if (tbl == NULL || tcp_tbl_listen(tbl, 443) != 0)
		abort();
	/* Active opens from 198.18.0.2:443-444 to the peers' ports. */
	{
		const uint32_t src = 0xc6120002;

		if (tcp_tbl_set_sources(tbl, &src, 1, 443, 444) != 0)
			abort();
	}
}

/* Connections heard CLOSED, not yet released (the owner may take its time). */
static uint64_t closed_h[8];
static unsigned n_closed;

static void
release_closed(void)
{
	for (unsigned i = 0; i < n_closed; i++) {
		struct tcp_conn *c = tcp_tbl_conn_get(tbl, closed_h[i]);

		if (c != NULL)
			tcp_conn_release(tbl, c);
	}
	n_closed = 0;
}

static void
drain(bool release_now)
{
	struct tcp_event ev[16];
	unsigned n, k;
	const struct tcp_seg_out *o = tcp_tbl_output(tbl, &n);

	if (n > 64)
		abort();
	for (k = 0; k < n; k++) {
		uint32_t sum = 0;

		if (o[k].opt_len > TCP_OPT_OUT_MAX || o[k].n_pieces > TCP_SEG_PIECES)
			abort();
		for (unsigned i = 0; i < o[k].n_pieces; i++) {
			const struct testbuf *x = (const struct testbuf *)o[k].piece[i].buf;

			if (x->magic != TESTBUF_MAGIC || o[k].piece[i].data < x->room ||
			    o[k].piece[i].data + o[k].piece[i].len > x->room + TESTBUF_ROOM ||
			    o[k].piece[i].len == 0)
				abort();
			sum += o[k].piece[i].len;
		}
		if (sum != o[k].len)
			abort();
	}
	tcp_tbl_output_clear(tbl);
	while ((n = tcp_tbl_event_burst(tbl, ev, 16)) > 0)
		for (k = 0; k < n; k++)
			if ((ev[k].events & TCP_EV_CLOSED) && n_closed < 8)
				closed_h[n_closed++] = ev[k].handle;
	if (release_now || n_closed == 8)
		release_closed();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096];
	size_t off = 0;

	/* A fresh table per input: every finding reproduces from its input alone. */
	now = 1000000;
	init();
	/* Each record: op(1) peer(1) seq(4) ack(4) flags(1) win(2) optlen(1) len(1) + bytes. */
	while (off + 15 <= size) {
		const uint8_t *r = data + off;
		uint8_t op = r[0], peer = r[1] & 7;
		struct tcp_tuple tu = { .laddr = 0xc6120002, .raddr = 0xc6120001,
					.lport = (r[1] & 8) ? 444 : 443,
					.rport = (uint16_t)(40000 + peer) };
		size_t opt_len = r[13] & 40, len = r[14];
		struct tcp_conn *c;

		off += 15;
		if (opt_len + len > size - off)
			break;
		switch (op % 8) {
		case 0: case 1: case 2: case 3: {
			struct tcp_seg s = {
				.tuple = tu,
				.seq = (uint32_t)r[2] << 24 | (uint32_t)r[3] << 16 | (uint32_t)r[4] << 8 | r[5],
				.ack = (uint32_t)r[6] << 24 | (uint32_t)r[7] << 16 | (uint32_t)r[8] << 8 | r[9],
				.flags = r[10] & 0x3f,
				.window = (uint16_t)(r[11] << 8 | r[12]),
				.opt_len = (uint8_t)opt_len,
				.opts = data + off,
				.payload = data + off + opt_len,
				.len = (uint32_t)len,
			};

			/* Ops 0-1: the payload in a buffer of its own, held by reference. */
			if (op % 8 < 2)
				s.buf = testbuf_with(data + off + opt_len, (uint32_t)len, &s.payload);
			testbuf_fail = (r[13] & 0x80) ? 1 : 0;
			tcp_tbl_input(tbl, &s, now);
			testbuf_fail = 0;
			break;
		}
		case 4:
			now += (uint64_t)r[2] << (r[3] & 31);
			tcp_tbl_tick(tbl, now);
			break;
		case 5:
			if ((c = tcp_tbl_lookup(tbl, &tu)) == NULL)
				break;
			if (r[3] & 1) {
				struct iovec iov[4];
				uint32_t have;

				tcp_conn_rx_peek(c, iov, 4, &have);
				tcp_conn_rx_release(tbl, c, have < r[2] * 16u ? have : r[2] * 16u);
			} else {
				tcp_conn_read(tbl, c, buf, r[2] * 16u);
			}
			break;
		case 6:
			if ((c = tcp_tbl_lookup(tbl, &tu)) == NULL)
				break;
			if (r[3] & 1) {
				/* By reference: a buffer of its own, the caller's again on error. */
				struct tcp_buf *b = testbuf_alloc(NULL, 0);

				b->len = (uint32_t)(r[2] * 8u) % TESTBUF_ROOM;
				if (tcp_conn_send(tbl, c, b) != 0)
					testbuf_release(NULL, b);
			} else {
				testbuf_fail = (r[3] & 2) ? 1 : 0;
				tcp_conn_write(tbl, c, buf, r[2] * 16u);
				testbuf_fail = 0;
			}
			break;
		default:
			if (r[2] % 3 == 2) {
				uint64_t h;

				tcp_tbl_connect(tbl, tu.raddr, tu.rport, NULL, now, &h);
			} else if ((c = tcp_tbl_lookup(tbl, &tu)) != NULL) {
				if (r[2] % 3 == 1)
					tcp_conn_abort(tbl, c);
				else
					tcp_conn_close(tbl, c);
			}
			break;
		}
		off += opt_len + len;
		drain((r[1] & 0x10) != 0);
	}
	release_closed();
	tcp_tbl_free(tbl);
	tbl = NULL;
	/* Every buffer TCP was handed went back. */
	if (testbuf_live != 0)
		abort();
	return 0;
}
