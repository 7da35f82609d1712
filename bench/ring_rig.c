/* SPDX-License-Identifier: BSD-3-Clause */
/* A whole hsod worker on a net_ring port with in-process TCP clients (ring_rig.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
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
#include "eal_rundir.h"
#include "hso_app.h"
#include "ring_rig.h"
#include "worker.h"

static const struct rte_ether_addr client_mac = { { 0x02, 0, 0, 0, 0, 0x0a } };

static void
die(const char *what)
{
	fprintf(stderr, "ring_rig: %s\n", what);
	exit(1);
}

uint64_t
rig_clock_us(void)
{
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000000);
}

int
rig_eal_init(struct rig *r, int argc, char **argv, int dash, const char *name,
	     const char *mem_mb)
{
	char *eal[32] = { argv[0], "--no-huge", "-m", (char *)mem_mb, "--no-shconf", "--no-pci",
			  "-l", "0", "--log-level", "lib.eal:error" };
	int n = 10;

	snprintf(r->prefix, sizeof(r->prefix), "--file-prefix=%s%d", name, (int)getpid());
	eal[n++] = r->prefix;
	for (int i = dash + 1; i < argc && n < 31; i++)
		eal[n++] = argv[i];
	if (rte_eal_init(n, eal) < 0) {
		fprintf(stderr, "%s: EAL: %s\n", argv[0], rte_strerror(rte_errno));
		return -1;
	}
	hso_eal_rundir_atexit();        /* the failure paths exit() */
	return 0;
}

void
rig_cleanup(struct rig *r)
{
	(void)r;
	hso_eal_cleanup_rundir();
}

static void
cert_make(struct rig *r)
{
	char path[300];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	FILE *f;

	snprintf(r->dir, sizeof(r->dir), "/tmp/hso_bench_rig_XXXXXX");
	if (mkdtemp(r->dir) == NULL || k == NULL || x == NULL)
		die("certificate");
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)r->cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (X509_sign(x, k, EVP_sha256()) == 0)
		die("X509_sign");
	snprintf(path, sizeof(path), "%s/cert.pem", r->dir);
	f = fopen(path, "w");
	if (f == NULL || !PEM_write_X509(f, x))
		die("writing the certificate");
	fclose(f);
	snprintf(path, sizeof(path), "%s/key.pem", r->dir);
	f = fopen(path, "w");
	if (f == NULL || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL))
		die("writing the key");
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
server_config(struct rig *r, const char *const *extra, unsigned n_extra)
{
	char c[300], k[300], mbufs[16], err[HSOD_ERR_LEN];
	char *argv[64];
	int n = 0;

	snprintf(mbufs, sizeof(mbufs), "%u", r->pool_mbufs);

	snprintf(c, sizeof(c), "%s/cert.pem", r->dir);
	snprintf(k, sizeof(k), "%s/key.pem", r->dir);
	argv[n++] = "--addr";
	argv[n++] = "198.18.0.2/24";
	argv[n++] = "--listen";
	argv[n++] = "443";
	argv[n++] = "--cert";
	argv[n++] = c;
	argv[n++] = "--key";
	argv[n++] = k;
	argv[n++] = "--mbufs";
	argv[n++] = mbufs;
	for (unsigned i = 0; i < n_extra && n < 63; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	if (hsod_config_parse(&r->cfg, n, argv, err, sizeof(err)) != 0)
		die(err);
	if (hsod_config_tls_policy(&r->cfg, &r->tls, err, sizeof(err)) != 0)
		die(err);
	r->cert = hso_cert_load(r->cfg.certs[0].cert, r->cfg.certs[0].key, err, sizeof(err));
	/* Loaded: the key file and its directory go, not left in /tmp run after run. */
	unlink(c);
	unlink(k);
	rmdir(r->dir);
	if (r->cert == NULL || hs_config_add_cert(&r->tls, r->cert, true) != 0)
		die(err);
	{
		struct hso_stek_config sc;

		hso_stek_config_default(&sc);
		r->stek = hso_stek_set_create(&sc, 1700000000);
		if (r->stek == NULL)
			die("hso_stek_set_create");
		r->tls.stek = r->stek;
	}
}

static void
port_make(struct rig *r)
{
	struct rte_eth_conf pc;
	int sock = (int)rte_socket_id();
	int ret;

	r->pool = rte_pktmbuf_pool_create("rig_mbufs", r->pool_mbufs, r->pool_cache, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, sock);
	r->rx_ring = rte_ring_create("rig_rx", r->ring_size, sock, RING_F_SP_ENQ | RING_F_SC_DEQ);
	r->tx_ring = rte_ring_create("rig_tx", r->ring_size, sock, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (r->pool == NULL || r->rx_ring == NULL || r->tx_ring == NULL)
		die("pool or rings");
	ret = rte_eth_from_rings("net_ring_rig", &r->rx_ring, 1, &r->tx_ring, 1, (unsigned)sock);
	if (ret < 0)
		die("rte_eth_from_rings");
	r->port_id = (uint16_t)ret;
	memset(&pc, 0, sizeof(pc));
	if (rte_eth_dev_configure(r->port_id, 1, 1, &pc) != 0 ||
	    rte_eth_rx_queue_setup(r->port_id, 0, r->ring_size, (unsigned)sock, NULL, r->pool) != 0 ||
	    rte_eth_tx_queue_setup(r->port_id, 0, r->ring_size, (unsigned)sock, NULL) != 0 ||
	    rte_eth_dev_start(r->port_id) != 0)
		die("port setup");
	rte_eth_macaddr_get(r->port_id, &r->port_mac);
}

void
rig_setup(struct rig *r, const char *const *extra, unsigned n_extra)
{
	if (r->pool_mbufs == 0)
		r->pool_mbufs = RIG_POOL_MBUFS;
	if (r->ring_size == 0)
		r->ring_size = RIG_RING_SIZE;
	if (r->cn == NULL)
		r->cn = "bench.test";
	cert_make(r);
	server_config(r, extra, n_extra);
	port_make(r);
}

void
rig_worker_up(struct rig *r, const char *app_name, bool echo)
{
	struct hsod_worker_conf wc = {
		.queue = 0, .lcore = rte_lcore_id(), .index = 0, .mp = r->pool, .hs = &r->tls,
		.cfg = &r->cfg, .n_ports = 1,
	};

	r->apps = hsod_apps_create(1, r->cfg.max_conns, r->pool, false);
	if (r->apps == NULL)
		die("hsod_apps_create");
	wc.shm = hsod_apps_shm(r->apps);
	wc.fc = hsod_apps_fc(r->apps);
	/* net_ring passes chains through: payload by reference, as on a NIC. */
	wc.ports[0].tx_offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (r->offload)
		wc.ports[0].tx_offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	wc.ports[0].id = r->port_id;
	wc.ports[0].mac = r->port_mac;
	r->worker = hsod_worker_create(&wc);
	if (r->worker == NULL)
		die("hsod_worker_create");
	r->app = hso_app_attach_inproc(app_name, 0);
	if (r->app == NULL)
		die("hso_app_attach_inproc");
	r->echo = NULL;
	if (echo && (r->echo = hso_echo_create(r->app, 0, NULL)) == NULL)
		die("hso_echo_create");
	hsod_worker_announce(r->worker);
}

void
rig_worker_down(struct rig *r)
{
	hsod_apps_stop(r->apps);
	hso_app_detach(r->app);
	hsod_worker_free(r->worker);
	hsod_apps_free(r->apps);
	r->app = NULL;
	r->worker = NULL;
	r->apps = NULL;
}

void
rig_server(struct rig *r, const char *const *extra, unsigned n_extra)
{
	static const char *const echo_app[] = { "--app", "echo" };
	const char *args[64];
	unsigned n = 0;

	for (unsigned i = 0; i < n_extra && n < 62; i++)
		args[n++] = extra[i];
	args[n++] = echo_app[0];
	args[n++] = echo_app[1];
	rig_setup(r, args, n);
	rig_worker_up(r, "echo", true);
}

void
rig_clients(struct rig *r, struct tcp_config *tc, const uint32_t *srcs, unsigned n_srcs,
	    uint16_t port_lo, uint16_t port_hi)
{
	r->cpool.mp = r->pool;
	r->cpool.owner_off = -1;
	tc->buf_ops.alloc = tcp_pkt_buf_alloc;
	tc->buf_ops.release = tcp_pkt_buf_release;
	tc->buf_ops.ctx = &r->cpool;
	r->ctcp = tcp_tbl_create(tc);
	if (r->ctcp == NULL || tcp_tbl_set_sources(r->ctcp, srcs, n_srcs, port_lo, port_hi) != 0)
		die("client TCP table");
}

SSL *
rig_ssl_client(SSL_CTX *ctx, BIO **rbio, BIO **wbio)
{
	SSL *s = SSL_new(ctx);

	*rbio = BIO_new(BIO_s_mem());
	*wbio = BIO_new(BIO_s_mem());
	if (s == NULL || *rbio == NULL || *wbio == NULL)
		die("SSL_new");
	SSL_set_bio(s, *rbio, *wbio);
	SSL_set_connect_state(s);
	return s;
}

void
rig_client_events(struct rig *r, void (*fn)(const struct tcp_event *ev))
{
	struct tcp_event ev[64];
	unsigned n;

	while ((n = tcp_tbl_event_burst(r->ctcp, ev, 64)) > 0)
		for (unsigned i = 0; i < n; i++)
			if (ev[i].user != NULL)
				fn(&ev[i]);
}

static void
inject(struct rig *r, struct rte_mbuf *m)
{
	if (rte_ring_sp_enqueue(r->rx_ring, m) != 0) {
		r->ring_full++;
		rte_pktmbuf_free(m);
	}
}

static void
arp_reply(struct rig *r, const struct rte_arp_hdr *req)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);
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
	inject(r, m);
}

/* One mbuf holding all of @p m (hsod may send chains). */
static struct rte_mbuf *
linear(struct rig *r, struct rte_mbuf *m)
{
	struct rte_mbuf *l;
	uint8_t *p;

	if (m->nb_segs == 1)
		return m;
	l = rte_pktmbuf_alloc(r->pool);
	if (l == NULL || (p = (uint8_t *)rte_pktmbuf_append(l, (uint16_t)m->pkt_len)) == NULL)
		die("linearising a chained frame");
	rte_pktmbuf_read(m, 0, m->pkt_len, p);
	rte_pktmbuf_free(m);
	return l;
}

void
rig_from_server(struct rig *r, uint64_t now_us)
{
	struct rte_mbuf *ms[64];
	unsigned n;

	while ((n = rte_ring_sc_dequeue_burst(r->tx_ring, (void **)ms, 64, NULL)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *m = linear(r, ms[i]);
			struct rte_ether_hdr *e = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			struct tcp_seg seg;

			if (e->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
				const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(e + 1);

				if (a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST))
					arp_reply(r, a);
				rte_pktmbuf_free(m);
				continue;
			}
			m->l2_len = sizeof(*e);
			m->l3_len = sizeof(struct rte_ipv4_hdr);
			if (r->offload)
				m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
			if (tcp_pkt_parse(m, &seg) != 0) {
				r->bad_frames++;
				rte_pktmbuf_free(m);
				continue;
			}
			tcp_tbl_input(r->ctcp, &seg, now_us);
			if (seg.buf == NULL)
				rte_pktmbuf_free(m);    /* else TCP holds it */
		}
	}
}

void
rig_to_server(struct rig *r)
{
	unsigned n;
	const struct tcp_seg_out *o = tcp_tbl_output(r->ctcp, &n);

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = tcp_pkt_build(r->pool, &o[i], r->offload);
		struct rte_ether_hdr *e;

		if (m == NULL)
			die("tcp_pkt_build");
		if (r->offload) {
			/* What a NIC that checked the sums would say. */
			m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		}
		e = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		e->dst_addr = r->port_mac;
		e->src_addr = client_mac;
		inject(r, m);
	}
	tcp_tbl_output_clear(r->ctcp);
}
