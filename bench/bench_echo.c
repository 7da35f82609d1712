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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "app.h"
#include "apps.h"
#include "config.h"
#include "handshake.h"
#include "hso_app.h"
#include "tcp.h"
#include "tcp_pkt.h"
#include "worker.h"

#define POOL_MBUFS 32767u
#define RING_SIZE 4096u
#define SERVER_ADDR 0xc6120002u         /* 198.18.0.2 */
#define CLIENT_ADDR 0xc612000au         /* 198.18.0.10 */
#define MAX_CONNS 256
#define MSG_MAX (1u << 20)

static struct {
	double seconds, warmup;
	unsigned conns, msg, inflight;
	int tls;
	bool offload;
} opt = { 2.0, 0.5, 4, 16384, 2, 13, false };

static struct rte_mempool *pool;
static struct rte_ring *rx_ring, *tx_ring;
static uint16_t port_id;
static struct rte_ether_addr port_mac;
static const struct rte_ether_addr client_mac = { { 0x02, 0, 0, 0, 0, 0x0a } };
static char dir[] = "/tmp/hso_bench_echo_XXXXXX";

static struct hsod_config cfg;
static struct hs_config tls;
static struct hso_cert *cert;
static struct hso_stek_set *stek;
static struct hsod_apps *apps;
static struct hsod_worker *worker;
static struct hso_app *app;
static struct hso_echo *echo;

static struct tcp_tbl *ctcp;            /* the clients' TCP */
static struct tcp_pkt_pool cpool;
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
static uint64_t bad_frames;     /* from hsod, not parsed (a checksum, a header) */
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
cert_make(void)
{
	char path[300];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	FILE *f;

	if (mkdtemp(dir) == NULL || k == NULL || x == NULL)
		die("certificate");
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"bench.test",
				   -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (X509_sign(x, k, EVP_sha256()) == 0)
		die("X509_sign");
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	f = fopen(path, "w");
	if (f == NULL || !PEM_write_X509(f, x))
		die("writing the certificate");
	fclose(f);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	f = fopen(path, "w");
	if (f == NULL || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL))
		die("writing the key");
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
server_config(void)
{
	char c[300], k[300], err[HSOD_ERR_LEN];
	char *argv[40];
	int n = 0;

	snprintf(c, sizeof(c), "%s/cert.pem", dir);
	snprintf(k, sizeof(k), "%s/key.pem", dir);
	argv[n++] = "--addr";
	argv[n++] = "198.18.0.2/24";
	argv[n++] = "--listen";
	argv[n++] = "443";
	argv[n++] = "--cert";
	argv[n++] = c;
	argv[n++] = "--key";
	argv[n++] = k;
	argv[n++] = "--max-conns";
	argv[n++] = "1024";
	argv[n++] = "--mbufs";
	argv[n++] = "32767";
	argv[n++] = "--app";
	argv[n++] = "echo";
	argv[n] = NULL;
	if (hsod_config_parse(&cfg, n, argv, err, sizeof(err)) != 0)
		die(err);
	if (hsod_config_tls_policy(&cfg, &tls, err, sizeof(err)) != 0)
		die(err);
	cert = hso_cert_load(cfg.certs[0].cert, cfg.certs[0].key, err, sizeof(err));
	if (cert == NULL || hs_config_add_cert(&tls, cert, true) != 0)
		die(err);
	{
		struct hso_stek_config sc;

		hso_stek_config_default(&sc);
		stek = hso_stek_set_create(&sc, 1700000000);
		if (stek == NULL)
			die("hso_stek_set_create");
		tls.stek = stek;
	}
}

static void
port_make(void)
{
	struct rte_eth_conf pc;
	int sock = (int)rte_socket_id();
	int r;

	pool = rte_pktmbuf_pool_create("echo_mbufs", POOL_MBUFS, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, sock);
	rx_ring = rte_ring_create("echo_rx", RING_SIZE, sock, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx_ring = rte_ring_create("echo_tx", RING_SIZE, sock, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pool == NULL || rx_ring == NULL || tx_ring == NULL)
		die("pool or rings");
	r = rte_eth_from_rings("net_ring_echo", &rx_ring, 1, &tx_ring, 1, (unsigned)sock);
	if (r < 0)
		die("rte_eth_from_rings");
	port_id = (uint16_t)r;
	memset(&pc, 0, sizeof(pc));
	if (rte_eth_dev_configure(port_id, 1, 1, &pc) != 0 ||
	    rte_eth_rx_queue_setup(port_id, 0, RING_SIZE, (unsigned)sock, NULL, pool) != 0 ||
	    rte_eth_tx_queue_setup(port_id, 0, RING_SIZE, (unsigned)sock, NULL) != 0 ||
	    rte_eth_dev_start(port_id) != 0)
		die("port setup");
	rte_eth_macaddr_get(port_id, &port_mac);
}

static void
server_make(void)
{
	struct hsod_worker_conf wc = {
		.queue = 0, .lcore = rte_lcore_id(), .index = 0, .mp = pool, .hs = &tls,
		.cfg = &cfg, .n_ports = 1,
	};

	apps = hsod_apps_create(1, cfg.max_conns, pool, false);
	if (apps == NULL)
		die("hsod_apps_create");
	wc.shm = hsod_apps_shm(apps);
	wc.fc = hsod_apps_fc(apps);
	/* net_ring passes chains through: payload by reference, as on a NIC. */
	wc.ports[0].tx_offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (opt.offload)
		wc.ports[0].tx_offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	wc.ports[0].id = port_id;
	wc.ports[0].mac = port_mac;
	worker = hsod_worker_create(&wc);
	if (worker == NULL)
		die("hsod_worker_create");
	app = hso_app_attach_inproc("echo", 0);
	if (app == NULL)
		die("hso_app_attach_inproc");
	echo = hso_echo_create(app, 0, NULL);
	if (echo == NULL)
		die("hso_echo_create");
}

static void
clients_make(void)
{
	struct tcp_config tc;
	uint32_t src = CLIENT_ADDR;

	tcp_config_init(&tc);
	tc.max_conns = MAX_CONNS * 2;
	tc.rx_buf_size = 1u << 18;
	tc.tx_buf_size = 1u << 18;
	tc.idle_timeout_us = 0;
	cpool.mp = pool;
	cpool.owner_off = -1;
	tc.buf_ops.alloc = tcp_pkt_buf_alloc;
	tc.buf_ops.release = tcp_pkt_buf_release;
	tc.buf_ops.ctx = &cpool;
	ctcp = tcp_tbl_create(&tc);
	if (ctcp == NULL || tcp_tbl_set_sources(ctcp, &src, 1, 40000, 60000) != 0)
		die("client TCP table");
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

		if (tcp_tbl_connect(ctcp, SERVER_ADDR, 443, c, now_us, &c->tcp) != 0)
			die("tcp_tbl_connect");
		c->ssl = SSL_new(cctx);
		c->rbio = BIO_new(BIO_s_mem());
		c->wbio = BIO_new(BIO_s_mem());
		if (c->ssl == NULL || c->rbio == NULL || c->wbio == NULL)
			die("SSL_new");
		SSL_set_bio(c->ssl, c->rbio, c->wbio);
		SSL_set_connect_state(c->ssl);
		c->wpend = malloc(1u << 20);
		if (c->wpend == NULL)
			die("malloc");
	}
}

/* ---- frames between the clients and hsod ------------------------------ */

static void
inject(struct rte_mbuf *m)
{
	if (rte_ring_sp_enqueue(rx_ring, m) != 0)
		rte_pktmbuf_free(m);
}

static void
arp_reply(const struct rte_arp_hdr *req)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *e;
	struct rte_arp_hdr *a;

	if (m == NULL)
		return;
	e = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*e) + sizeof(*a));
	a = (struct rte_arp_hdr *)(e + 1);
	e->dst_addr = req->arp_data.arp_sha;
	e->src_addr = client_mac;
	e->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_sha = client_mac;
	a->arp_data.arp_sip = req->arp_data.arp_tip;
	a->arp_data.arp_tha = req->arp_data.arp_sha;
	a->arp_data.arp_tip = req->arp_data.arp_sip;
	inject(m);
}

/* One mbuf holding all of @p m (hsod may send chains). */
static struct rte_mbuf *
linear(struct rte_mbuf *m)
{
	struct rte_mbuf *l;
	uint8_t *p;

	if (m->nb_segs == 1)
		return m;
	l = rte_pktmbuf_alloc(pool);
	if (l == NULL || (p = (uint8_t *)rte_pktmbuf_append(l, (uint16_t)m->pkt_len)) == NULL)
		die("linearising a chained frame");
	rte_pktmbuf_read(m, 0, m->pkt_len, p);
	rte_pktmbuf_free(m);
	return l;
}

/* What hsod sent: ARP requests answered, TCP segments to the clients' table. */
static void
from_server(void)
{
	struct rte_mbuf *ms[64];
	unsigned n;

	while ((n = rte_ring_sc_dequeue_burst(tx_ring, (void **)ms, 64, NULL)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *m = linear(ms[i]);
			struct rte_ether_hdr *e = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			struct tcp_seg seg;

			if (e->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
				const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(e + 1);

				if (a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST))
					arp_reply(a);
				rte_pktmbuf_free(m);
				continue;
			}
			m->l2_len = sizeof(*e);
			m->l3_len = sizeof(struct rte_ipv4_hdr);
			if (opt.offload)
				m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
			if (tcp_pkt_parse(m, &seg) != 0) {
				bad_frames++;
				rte_pktmbuf_free(m);
				continue;
			}
			tcp_tbl_input(ctcp, &seg, now_us);
			if (seg.buf == NULL)
				rte_pktmbuf_free(m);    /* else TCP holds it */
		}
	}
}

static void
to_server(void)
{
	unsigned n;
	const struct tcp_seg_out *o = tcp_tbl_output(ctcp, &n);

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = tcp_pkt_build(pool, &o[i], opt.offload);
		struct rte_ether_hdr *e;

		if (m == NULL)
			die("tcp_pkt_build");
		if (opt.offload) {
			/* What a NIC that checked the sums would say. */
			m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		}
		e = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		e->dst_addr = port_mac;
		e->src_addr = client_mac;
		inject(m);
	}
	tcp_tbl_output_clear(ctcp);
}

/* ---- the clients ------------------------------------------------------- */

static void
client_io(struct client *c, unsigned idx)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(ctcp, c->tcp);
	int n;

	if (tc == NULL || !c->connected)
		return;
	/* TCP -> SSL */
	while ((n = tcp_conn_read(ctcp, tc, scratch, sizeof(scratch))) > 0)
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
		n = tcp_conn_write(ctcp, tc, c->wpend + c->wpend_off, c->wpend_len - c->wpend_off);
		if (n > 0)
			c->wpend_off += (size_t)n;
	}
}

static void
client_events(void)
{
	struct tcp_event ev[64];
	unsigned n;

	while ((n = tcp_tbl_event_burst(ctcp, ev, 64)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct client *c = ev[i].user;

			if (c == NULL)
				continue;
			if (ev[i].events & TCP_EV_CONNECTED)
				c->connected = true;
			if (ev[i].events & TCP_EV_CLOSED) {
				c->closed = true;
				fprintf(stderr, "hso-bench-echo: a connection closed (events 0x%x)\n",
					ev[i].events);
				failed = true;
			}
		}
	}
}

static uint64_t
clock_us(void)
{
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000000);
}

static void
round_once(void)
{
	uint64_t t0, t1, t2, t3;

	t0 = rte_rdtsc();
	now_us = clock_us();
	tcp_tbl_tick(ctcp, now_us);
	client_events();
	for (unsigned i = 0; i < opt.conns; i++)
		client_io(&clients[i], i);
	to_server();
	t1 = rte_rdtsc();
	hsod_worker_poll(worker, now_us);
	t2 = rte_rdtsc();
	hso_echo_poll(echo);
	hsod_apps_control(apps);
	t3 = rte_rdtsc();
	from_server();
	client_events();
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
	char prefix[64];
	char *eal[32] = { argv[0], "--no-huge", "-m", "1024", "--no-shconf", "--no-pci",
			  "-l", "0", "--log-level", "lib.eal:error" };
	int n_eal = 10, dash = parse_args(argc, argv);
	uint64_t hz, t_end, up_deadline;
	unsigned up = 0;
	struct hsod_worker_stats w_at0;
	struct tcp_stats t_at0;

	snprintf(prefix, sizeof(prefix), "--file-prefix=hsoecho%d", (int)getpid());
	eal[n_eal++] = prefix;
	for (int i = dash + 1; i < argc && n_eal < 31; i++)
		eal[n_eal++] = argv[i];
	if (rte_eal_init(n_eal, eal) < 0) {
		fprintf(stderr, "hso-bench-echo: EAL: %s\n", rte_strerror(rte_errno));
		return 77;
	}
	hz = rte_get_tsc_hz();
	cert_make();
	server_config();
	port_make();
	server_make();
	hsod_worker_announce(worker);
	now_us = clock_us();
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
	w_at0 = *hsod_worker_stats(worker);
	t_at0 = *hsod_worker_tcp_stats(worker);
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
		const struct hsod_worker_stats *ws = hsod_worker_stats(worker);
		const struct sess_stats *ss = hsod_worker_sess_stats(worker);
		const struct hs_worker_stats *hs = hsod_worker_tls_stats(worker);

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
			(unsigned long long)bad_frames,
			(unsigned long long)tcp_tbl_stats(ctcp)->rx_segs,
			(unsigned long long)tcp_tbl_stats(ctcp)->tx_segs,
			(unsigned long long)tcp_tbl_stats(ctcp)->retransmits);
		for (unsigned k = 0; k < TCP_DROP_NUM; k++)
			if (tcp_tbl_stats(ctcp)->drops[k] != 0)
				fprintf(stderr, "  client drop %s %llu\n", tcp_drop_name(k),
					(unsigned long long)tcp_tbl_stats(ctcp)->drops[k]);
		for (unsigned k = 0; k < TCP_DROP_NUM; k++)
			if (hsod_worker_tcp_stats(worker)->drops[k] != 0)
				fprintf(stderr, "  hsod drop %s %llu\n", tcp_drop_name(k),
					(unsigned long long)hsod_worker_tcp_stats(worker)->drops[k]);
		for (unsigned i = 0; i < opt.conns; i++)
			fprintf(stderr, "client %u: sent %llu echoed %llu\n", i,
				(unsigned long long)clients[i].sent,
				(unsigned long long)clients[i].echoed);
		die(failed ? "failed" : "nothing echoed");
	}
	{
		double ws = (double)meas.worker * cpu_share / (double)hz;
		double as = (double)meas.app * cpu_share / (double)hz;
		const struct hsod_worker_stats *wst = hsod_worker_stats(worker);
		const struct tcp_stats *tst = hsod_worker_tcp_stats(worker);

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
	return 0;
}
