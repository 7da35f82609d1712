/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the TCP core: the input is a script of segments from
 * a few peers (any flags, sequence numbers, windows, options and payload),
 * clock jumps, application reads, writes, closes, aborts and active opens
 * (whose tuples the same segments reach), against one small table with SYN
 * cookies on. ASan and UBSan watch; the target checks
 * the output list's promises (within its limit, lengths consistent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

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

static void
drain(void)
{
	struct tcp_event ev[16];
	unsigned n, k;
	const struct tcp_seg_out *o = tcp_tbl_output(tbl, &n);

	if (n > 64)
		abort();
	for (k = 0; k < n; k++)
		if (o[k].len != o[k].data_len[0] + o[k].data_len[1] || o[k].opt_len > TCP_OPT_OUT_MAX)
			abort();
	tcp_tbl_output_clear(tbl);
	while (tcp_tbl_event_burst(tbl, ev, 16) > 0)
		;
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

			tcp_tbl_input(tbl, &s, now);
			break;
		}
		case 4:
			now += (uint64_t)r[2] << (r[3] & 31);
			tcp_tbl_tick(tbl, now);
			break;
		case 5:
			if ((c = tcp_tbl_lookup(tbl, &tu)) != NULL)
				tcp_conn_read(tbl, c, buf, r[2] * 16u);
			break;
		case 6:
			if ((c = tcp_tbl_lookup(tbl, &tu)) != NULL)
				tcp_conn_write(tbl, c, buf, r[2] * 16u);
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
		drain();
	}
	tcp_tbl_free(tbl);
	tbl = NULL;
	return 0;
}
