/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-bench-echo: what one hsod worker core costs per byte of plaintext
 * echoed through an application over the rings, end to end: TLS records
 * in, opened, handed to the built-in echo application, sent back, sealed,
 * out. A whole worker (worker.h, only its public API) on a DPDK net_ring
 * port, the echo application attached in process as hsod attaches it, and
 * on the other side of the ring C clients: OpenSSL's libssl (memory BIOs)
 * over hso's TCP core in active-open mode, each keeping K messages of M
 * bytes in flight and checking every echoed byte.
 *
 * Everything runs on one lcore, so cycles are charged exactly: rte_rdtsc()
 * around hsod_worker_poll() (the worker), around hso_echo_poll() (the
 * application) and the rest (the clients, OpenSSL's work, frames). The
 * figure of merit is the worker's: gb_per_s_per_worker_core = bytes echoed
 * / (worker cycles / TSC Hz) / 1e9, each byte crossing the worker twice
 * (in: opened; out: sealed). It is a cost, not a race between threads, so
 * it holds on a busy machine much better than a throughput would. Time
 * the thread spent preempted is in rdtsc's cycles too: cpu_share (thread
 * CPU time / wall time over the window) says how much, and the per-core
 * figures count cycles scaled by it (the preemption falls on each part in
 * proportion to its time).
 *
 *   hso-bench-echo [--seconds S] [--warmup S] [--conns C] [--msg M]
 *                  [--inflight K] [--tls 1.2|1.3] [--offload] [-- EAL options]
 *
 * --offload: as on a NIC with checksum offloads: frames reach the worker
 * marked checksum-good and the port is said to compute IPv4 and TCP sums
 * on transmit, so the worker's cost is the data path's, not software sums
 * (net_ring computes nothing; the clients trust the marks).
 *
 * Default EAL options: --no-huge -m 1024 --no-shconf --no-pci -l 0
 * --file-prefix hsoecho<pid>. One JSON object on stdout. Exit 1 when an
 * echoed byte differs or nothing was echoed, 77 when EAL cannot start.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <rte_cycles.h>

#include "app.h"
#include "apps.h"
#include "ring_rig.h"
#include "session.h"
#include "worker.h"

#define MAX_CONNS 256
#define MSG_MAX (1u << 20)

static struct {
	double seconds, warmup;
	unsigned conns, msg, inflight;
	int tls;
	bool offload;
} opt = { 2.0, 0.5, 4, 16384, 2, 13, false };

static struct rig rig;
static SSL_CTX *cctx;
static uint64_t now_us;

struct client {
	uint64_t tcp;
	bool connected, closed, tls_up;
	SSL *ssl;
	BIO *rbio, *wbio;
	uint64_t sent;                  /* plaintext bytes written to SSL */
	uint64_t echoed;                /* plaintext bytes read back and checked */
	uint8_t *wpend;                 /* TLS bytes not yet taken by TCP */
	size_t wpend_len, wpend_off;
};
static struct client clients[MAX_CONNS];
static uint8_t pattern[MSG_MAX + 256];
static uint8_t scratch[65536];

static struct {
	uint64_t worker, app, client;
	uint64_t bytes;
} meas;
static bool measuring, failed;
static double cpu_share = 1.0;

static void
die(const char *what)
{
	fprintf(stderr, "hso-bench-echo: %s\n", what);
	exit(1);
}

/* The byte of a connection's stream at @p off: echoed bytes are checked against it. */
static inline uint8_t
stream_byte(unsigned c, uint64_t off)
{
	return pattern[(off + c * 7919u) % (sizeof(pattern) - 1)];
}

/* ---- set-up ------------------------------------------------------------ */

static void
clients_make(void)
{
	struct tcp_config tc;
	uint32_t src = RIG_CLIENT_ADDR;

	tcp_config_init(&tc);
	tc.max_conns = MAX_CONNS * 2;
	tc.rx_buf_size = 1u << 18;
	tc.tx_buf_size = 1u << 18;
	tc.idle_timeout_us = 0;
	rig_clients(&rig, &tc, &src, 1, 40000, 60000);
	cctx = SSL_CTX_new(TLS_client_method());
	if (cctx == NULL)
		die("SSL_CTX_new");
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
	if (opt.tls == 13) {
		SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
		SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256");
	} else {
		SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
		SSL_CTX_set_cipher_list(cctx, "ECDHE-ECDSA-AES128-GCM-SHA256");
	}
	for (unsigned i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 131u + (i >> 8));
	for (unsigned i = 0; i < opt.conns; i++) {
		struct client *c = &clients[i];

		if (tcp_tbl_connect(rig.ctcp, RIG_SERVER_ADDR, 443, c, now_us, &c->tcp) != 0)
			die("tcp_tbl_connect");
		c->ssl = rig_ssl_client(cctx, &c->rbio, &c->wbio);
		c->wpend = malloc(1u << 20);
		if (c->wpend == NULL)
			die("malloc");
	}
}

/* ---- the clients ------------------------------------------------------- */

static void
client_io(struct client *c, unsigned idx)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(rig.ctcp, c->tcp);
	int n;

	if (tc == NULL || !c->connected)
		return;
	/* TCP -> SSL */
	while ((n = tcp_conn_read(rig.ctcp, tc, scratch, sizeof(scratch))) > 0)
		BIO_write(c->rbio, scratch, n);
	if (!c->tls_up) {
		if (SSL_do_handshake(c->ssl) == 1)
			c->tls_up = true;
	}
	if (c->tls_up) {
		/* Echoes back, checked byte by byte. */
		while ((n = SSL_read(c->ssl, scratch, sizeof(scratch))) > 0) {
			for (int k = 0; k < n; k++) {
				if (scratch[k] != stream_byte(idx, c->echoed + (uint64_t)k)) {
					fprintf(stderr, "hso-bench-echo: conn %u byte %llu differs\n",
						idx, (unsigned long long)(c->echoed + (uint64_t)k));
					failed = true;
					return;
				}
			}
			c->echoed += (uint64_t)n;
			if (measuring)
				meas.bytes += (uint64_t)n;
		}
		/* Keep K messages in flight. */
		while (c->sent - c->echoed < (uint64_t)opt.inflight * opt.msg &&
		       c->wpend_len - c->wpend_off < 65536) {
			uint64_t in_msg = c->sent % opt.msg;
			uint32_t chunk = (uint32_t)(opt.msg - in_msg);
			uint8_t buf[16384];

			if (chunk > sizeof(buf))
				chunk = sizeof(buf);
			for (uint32_t k = 0; k < chunk; k++)
				buf[k] = stream_byte(idx, c->sent + k);
			n = SSL_write(c->ssl, buf, (int)chunk);
			if (n <= 0)
				break;
			c->sent += (uint64_t)n;
			/* TLS bytes out of the memory BIO into our queue for TCP. */
			{
				size_t have = c->wpend_len - c->wpend_off;

				if (c->wpend_off > 0) {
					memmove(c->wpend, c->wpend + c->wpend_off, have);
					c->wpend_off = 0;
					c->wpend_len = have;
				}
				n = BIO_read(c->wbio, c->wpend + c->wpend_len,
					     (int)((1u << 20) - c->wpend_len));
				if (n > 0)
					c->wpend_len += (size_t)n;
			}
		}
	}
	/* Handshake bytes (and anything left) from the BIO. */
	for (;;) {
		size_t have = c->wpend_len - c->wpend_off;

		if (c->wpend_off > 0 && have < (1u << 19)) {
			memmove(c->wpend, c->wpend + c->wpend_off, have);
			c->wpend_off = 0;
			c->wpend_len = have;
		}
		n = BIO_read(c->wbio, c->wpend + c->wpend_len, (int)((1u << 20) - c->wpend_len));
		if (n <= 0)
			break;
		c->wpend_len += (size_t)n;
	}
	if (c->wpend_len > c->wpend_off) {
		n = tcp_conn_write(rig.ctcp, tc, c->wpend + c->wpend_off, c->wpend_len - c->wpend_off);
		if (n > 0)
			c->wpend_off += (size_t)n;
	}
}

static void
client_event(const struct tcp_event *ev)
{
	struct client *c = ev->user;

	if (ev->events & TCP_EV_CONNECTED)
		c->connected = true;
	if (ev->events & TCP_EV_CLOSED) {
		c->closed = true;
		fprintf(stderr, "hso-bench-echo: a connection closed (events 0x%x)\n", ev->events);
		failed = true;
	}
}

static void
round_once(void)
{
	uint64_t t0, t1, t2, t3;

	t0 = rte_rdtsc();
	now_us = rig_clock_us();
	tcp_tbl_tick(rig.ctcp, now_us);
	rig_client_events(&rig, client_event);
	for (unsigned i = 0; i < opt.conns; i++)
		client_io(&clients[i], i);
	rig_to_server(&rig);
	t1 = rte_rdtsc();
	hsod_worker_poll(rig.worker, now_us);
	t2 = rte_rdtsc();
	hso_echo_poll(rig.echo);
	hsod_apps_control(rig.apps);
	t3 = rte_rdtsc();
	rig_from_server(&rig, now_us);
	rig_client_events(&rig, client_event);
	if (measuring) {
		meas.client += (t1 - t0) + (rte_rdtsc() - t3);
		meas.worker += t2 - t1;
		meas.app += t3 - t2;
	}
}

static int
parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--") == 0)
			return i;
		if (v == NULL && strcmp(a, "--offload") != 0)
			goto bad;
		if (strcmp(a, "--seconds") == 0)
			opt.seconds = atof(v);
		else if (strcmp(a, "--warmup") == 0)
			opt.warmup = atof(v);
		else if (strcmp(a, "--conns") == 0)
			opt.conns = (unsigned)atoi(v);
		else if (strcmp(a, "--msg") == 0)
			opt.msg = (unsigned)atoi(v);
		else if (strcmp(a, "--inflight") == 0)
			opt.inflight = (unsigned)atoi(v);
		else if (strcmp(a, "--tls") == 0)
			opt.tls = strcmp(v, "1.2") == 0 ? 12 : 13;
		else if (strcmp(a, "--offload") == 0) {
			opt.offload = true;
			continue;       /* no value */
		}
		else
			goto bad;
		i++;
	}
	if (opt.conns == 0 || opt.conns > MAX_CONNS || opt.msg == 0 || opt.msg > MSG_MAX ||
	    opt.inflight == 0 || opt.seconds <= 0)
		goto bad;
	return argc;
bad:
	fprintf(stderr, "usage: hso-bench-echo [--seconds S] [--warmup S] [--conns C<=%d] "
		"[--msg BYTES] [--inflight K] [--tls 1.2|1.3] [-- EAL options]\n", MAX_CONNS);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const char *const server_args[] = { "--max-conns", "1024" };
	int dash = parse_args(argc, argv);
	uint64_t hz, t_end, up_deadline;
	unsigned up = 0;
	struct hsod_worker_stats w_at0;
	struct tcp_stats t_at0;

	rig.offload = opt.offload;
	rig.pool_cache = 256;
	if (rig_eal_init(&rig, argc, argv, dash, "hsoecho", "1024") != 0)
		return 77;
	hz = rte_get_tsc_hz();
	rig_server(&rig, server_args, 2);
	now_us = rig_clock_us();
	clients_make();

	/* Handshakes, then the warm-up, then the measured window. */
	up_deadline = rte_rdtsc() + 10 * hz;
	while (up < opt.conns && rte_rdtsc() < up_deadline && !failed) {
		round_once();
		up = 0;
		for (unsigned i = 0; i < opt.conns; i++)
			up += clients[i].tls_up;
	}
	if (up < opt.conns)
		die("the clients' handshakes did not complete");
	t_end = rte_rdtsc() + (uint64_t)(opt.warmup * (double)hz);
	while (rte_rdtsc() < t_end && !failed)
		round_once();
	/* The counters below are for the measured window only. */
	w_at0 = *hsod_worker_stats(rig.worker);
	t_at0 = *hsod_worker_tcp_stats(rig.worker);
	{
		struct timespec c0, c1;
		uint64_t w0;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		w0 = rte_rdtsc();
		measuring = true;
		t_end = w0 + (uint64_t)(opt.seconds * (double)hz);
		while (rte_rdtsc() < t_end && !failed)
			round_once();
		measuring = false;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
		cpu_share = ((double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9) /
			    ((double)(rte_rdtsc() - w0) / (double)hz);
		if (cpu_share > 1.0)
			cpu_share = 1.0;
	}
	if (failed || meas.bytes == 0) {
		const struct hsod_worker_stats *ws = hsod_worker_stats(rig.worker);
		const struct sess_stats *ss = hsod_worker_sess_stats(rig.worker);
		const struct hs_worker_stats *hs = hsod_worker_tls_stats(rig.worker);

		fprintf(stderr, "worker: rx %llu tx %llu app_events %llu commands %llu stale %llu "
			"records %llu budget_stalls %llu ring_stalls %llu refused %llu\n",
			(unsigned long long)ws->rx_packets, (unsigned long long)ws->tx_packets,
			(unsigned long long)ws->app_events, (unsigned long long)ws->app_commands,
			(unsigned long long)ws->app_commands_stale,
			(unsigned long long)ws->app_records, (unsigned long long)ws->app_budget_stalls,
			(unsigned long long)ws->app_ring_stalls,
			(unsigned long long)ws->records_refused);
		fprintf(stderr, "sessions: opened %llu handed %llu open %u closed %llu; tls ok %llu failed %llu\n",
			(unsigned long long)ss->opened, (unsigned long long)ss->handed,
			ss->states[SESS_OPEN], (unsigned long long)ss->closed,
			(unsigned long long)hs->handshakes_completed,
			(unsigned long long)hs->handshakes_failed);
		fprintf(stderr, "clients: bad frames %llu, tcp rx %llu tx %llu retransmits %llu\n",
			(unsigned long long)rig.bad_frames,
			(unsigned long long)tcp_tbl_stats(rig.ctcp)->rx_segs,
			(unsigned long long)tcp_tbl_stats(rig.ctcp)->tx_segs,
			(unsigned long long)tcp_tbl_stats(rig.ctcp)->retransmits);
		for (unsigned k = 0; k < TCP_DROP_NUM; k++)
			if (tcp_tbl_stats(rig.ctcp)->drops[k] != 0)
				fprintf(stderr, "  client drop %s %llu\n", tcp_drop_name(k),
					(unsigned long long)tcp_tbl_stats(rig.ctcp)->drops[k]);
		for (unsigned k = 0; k < TCP_DROP_NUM; k++)
			if (hsod_worker_tcp_stats(rig.worker)->drops[k] != 0)
				fprintf(stderr, "  hsod drop %s %llu\n", tcp_drop_name(k),
					(unsigned long long)hsod_worker_tcp_stats(rig.worker)->drops[k]);
		for (unsigned i = 0; i < opt.conns; i++)
			fprintf(stderr, "client %u: sent %llu echoed %llu\n", i,
				(unsigned long long)clients[i].sent,
				(unsigned long long)clients[i].echoed);
		die(failed ? "failed" : "nothing echoed");
	}
	{
		double ws = (double)meas.worker * cpu_share / (double)hz;
		double as = (double)meas.app * cpu_share / (double)hz;
		const struct hsod_worker_stats *wst = hsod_worker_stats(rig.worker);
		const struct tcp_stats *tst = hsod_worker_tcp_stats(rig.worker);

		printf("{\"bench\": \"echo\", \"tls\": \"%s\", \"suite\": \"AES-128-GCM\", "
		       "\"offload\": %s, "
		       "\"conns\": %u, \"msg_bytes\": %u, \"inflight\": %u, \"seconds\": %.3f, "
		       "\"bytes_echoed\": %llu, \"worker_cycles\": %llu, \"app_cycles\": %llu, "
		       "\"client_cycles\": %llu, \"tsc_hz\": %llu, "
		       "\"cpu_share\": %.3f, "
		       "\"worker_cycles_per_byte\": %.3f, \"app_cycles_per_byte\": %.3f, "
		       "\"gb_per_s_per_worker_core\": %.3f, \"gb_per_s_per_app_core\": %.3f, "
		       "\"rx_packets\": %llu, \"tx_packets\": %llu, \"app_events\": %llu, "
		       "\"records_sealed\": %llu, \"records_coalesced\": %llu, "
		       "\"tcp_window_updates\": %llu, \"tcp_delayed_acks\": %llu}\n",
		       opt.tls == 13 ? "1.3" : "1.2", opt.offload ? "true" : "false", opt.conns, opt.msg, opt.inflight, opt.seconds,
		       (unsigned long long)meas.bytes, (unsigned long long)meas.worker,
		       (unsigned long long)meas.app, (unsigned long long)meas.client,
		       (unsigned long long)hz, cpu_share,
		       (double)meas.worker * cpu_share / (double)meas.bytes,
		       (double)meas.app * cpu_share / (double)meas.bytes,
		       (double)meas.bytes / ws / 1e9, (double)meas.bytes / as / 1e9,
		       (unsigned long long)(wst->rx_packets - w_at0.rx_packets),
		       (unsigned long long)(wst->tx_packets - w_at0.tx_packets),
		       (unsigned long long)(wst->app_events - w_at0.app_events),
		       (unsigned long long)(wst->app_records - w_at0.app_records),
		       (unsigned long long)(wst->app_records_coalesced - w_at0.app_records_coalesced),
		       (unsigned long long)(tst->window_updates - t_at0.window_updates),
		       (unsigned long long)(tst->delayed_acks - t_at0.delayed_acks));
	}
	rig_cleanup(&rig);
	return 0;
}
