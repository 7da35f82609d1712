/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for a whole hsod worker from the wire: EAL without
 * hugepages, a DPDK net_ring port (rte_eth_from_rings), and a real worker
 * (worker.h: hsod_worker_create / hsod_worker_poll, net -> TCP -> TLS ->
 * application rings) with the built-in HTTP responder or echo attached the
 * way hsod attaches them (hso_app_attach_inproc), certificates loaded by
 * hso_cert_load. Only public APIs: the worker's internals may change under
 * it.
 *
 * Each input is a fresh worker (and application rings) driven by a script:
 *
 *   byte 0      configuration: bit 0 max_half_open 2 (SYN cookies soon)
 *               instead of 16, bit 1 source_rate 3/s burst 2, bit 2 echo
 *               instead of HTTP, bit 3 no automatic ARP replies, bit 4
 *               an mbuf reserve of all but 256 of the pool (app_shm.h:
 *               deliveries and sends past a connection's share wait)
 *   then ops    (opcode % 5):
 *     FRAME     fix(1) len(2) bytes: a raw Ethernet frame (ARP, ICMP, IPv4
 *               options and fragments, anything); fix bit 0 puts the port's
 *               MAC as destination, bit 1 recomputes the IPv4 header sum,
 *               bit 2 the TCP/UDP sum
 *     TCP       peer(1) flags(1) mode(1) dseq(2) dack(2) win(2) optlen(1)
 *               opts plen(2) payload: a segment from one of 8 client
 *               endpoints, with sequence and acknowledgment numbers relative
 *               to what that endpoint sent and what hsod sent it (tracked
 *               from hsod's transmissions), so mutated inputs get past TCP
 *     CLOCK     ms(2): time moves on (timers, deadlines), two polls
 *     POLL      n(1): 1..8 polls
 *     LIVE      peer(1) variant(1) off(2) xor(1) rounds(1) end(1): a real
 *               OpenSSL client (TLS 1.3, TLS 1.3 with a HelloRetryRequest,
 *               TLS 1.2 ECDHE-ECDSA, RSA key exchange, ECDHE-RSA ChaCha20,
 *               TLS 1.3 RSA-PSS) handshakes on that endpoint's connection and
 *               sends a request, for up to @rounds rounds, its byte stream
 *               xored with @xor at offset @off; then FIN, RST, close_notify
 *               or nothing
 *
 * What it checks besides ASan and UBSan: every mbuf is back in the pool
 * after each input's teardown (a leak aborts), and what hsod transmits
 * parses (IPv4 TCP from its address, ARP).
 *
 * With FUZZ_WIRE_SEEDS=DIR set it writes seed inputs to DIR instead
 * (ARP, ICMP, IPv4 options and fragments, TCP options, RST/FIN cases, and
 * real TLS 1.2 and 1.3 handshakes recorded as segments, each of which must
 * end with the HTTP response at the client, or it exits 1) and exits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <rte_arp.h>
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
#include "config.h"
#include "handshake.h"
#include "hso_app.h"
#include "worker.h"

#define POOL_MBUFS 4095u
#define RING_SIZE 1024u
#define N_PEERS 8
#define N_VARIANTS 16
#define MAX_OPS 96
#define SERVER_ADDR 0xc6120002u         /* 198.18.0.2 */
#define GATEWAY_ADDR 0xc6120001u        /* 198.18.0.1 */
#define PEER_ADDR(i) (0xc612000au + ((i) & 3u))   /* 198.18.0.10..13 */
#define PEER_PORT(i) (40000u + ((i) >> 2))
#define LIVE_VARIANTS 6

enum op { OP_FRAME, OP_TCP, OP_CLOCK, OP_POLL, OP_LIVE, OP_NUM };

static struct rte_mempool *pool;
static struct rte_ring *rx_ring, *tx_ring;
static uint16_t port_id;
static struct rte_ether_addr port_mac;
static struct hsod_config confs[N_VARIANTS];
static struct hs_config tls;
static struct hso_cert *certs[2];
static struct hso_stek_set *stek;
static SSL_CTX *live_ctx[LIVE_VARIANTS];
static char dir[] = "/tmp/fuzz_wire_XXXXXX";

/* One input's world. */
static struct {
	struct hsod_apps *apps;
	struct hsod_worker *w;
	struct hso_app *app;
	struct hsod_app_http *http;
	struct hso_echo *echo;
	uint64_t now;
	bool auto_arp;
	/* Seed recording: ops appended here when set. */
	uint8_t *rec;
	size_t rec_len, rec_cap;
} W;

/* One client endpoint: what it sent (c_nxt) and what hsod sent it in order (s_rcv). */
struct peer {
	uint32_t c_nxt;
	uint32_t s_rcv;
	bool synced;                    /* s_rcv is known (SYN-ACK seen) */
	SSL *ssl;                       /* a live client, during OP_LIVE */
	BIO *rbio;                      /* hsod's bytes for the client */
	uint64_t got;                   /* application bytes the live client read */
	uint8_t resp[64];               /* their start */
};
static struct peer peers[N_PEERS];

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_wire: %s\n", what);
	abort();
}

/* ---- Certificates: one ECDSA P-256 and one RSA 2048, made once --------- */

static void
write_cert(EVP_PKEY *k, const char *name)
{
	char path[256];
	X509 *x = X509_new();
	X509_NAME *n;
	FILE *f;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (X509_sign(x, k, EVP_sha256()) == 0)
		die("X509_sign");
	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	f = fopen(path, "w");
	if (f == NULL || !PEM_write_X509(f, x))
		die("writing a certificate");
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	f = fopen(path, "w");
	if (f == NULL || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL))
		die("writing a key");
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
certs_make(void)
{
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	write_cert(EVP_EC_gen("P-256"), "ec.test");
	write_cert(EVP_RSA_gen(2048), "rsa.test");
}

/* The configurations of byte 0, parsed the way hsod parses its flags. */
static void
confs_make(void)
{
	char ec[300], eck[300], rsa[300], rsak[300], err[HSOD_ERR_LEN];

	snprintf(ec, sizeof(ec), "%s/ec.test.pem", dir);
	snprintf(eck, sizeof(eck), "%s/ec.test.key", dir);
	snprintf(rsa, sizeof(rsa), "%s/rsa.test.pem", dir);
	snprintf(rsak, sizeof(rsak), "%s/rsa.test.key", dir);
	for (unsigned v = 0; v < N_VARIANTS; v++) {
		char *argv[40];
		int n = 0;

		argv[n++] = "--addr";
		argv[n++] = "198.18.0.2/24";
		argv[n++] = "--gateway";
		argv[n++] = "198.18.0.1";
		argv[n++] = "--listen";
		argv[n++] = "443";
		argv[n++] = "--cert";
		argv[n++] = ec;
		argv[n++] = "--key";
		argv[n++] = eck;
		argv[n++] = "--cert";
		argv[n++] = rsa;
		argv[n++] = "--key";
		argv[n++] = rsak;
		argv[n++] = "--max-conns";
		argv[n++] = "16";
		argv[n++] = "--max-half-open";
		argv[n++] = (v & 1) ? "2" : "16";
		argv[n++] = "--handshake-timeout";
		argv[n++] = "1000";
		argv[n++] = "--idle-timeout";
		argv[n++] = "5000";
		argv[n++] = "--mbufs";
		argv[n++] = "4095";
		argv[n++] = "--neigh-queue-total";
		argv[n++] = "64";
		argv[n++] = "--app-conn-budget";
		argv[n++] = "4096";
		if (v & 2) {
			argv[n++] = "--source-rate";
			argv[n++] = "3";
			argv[n++] = "--source-burst";
			argv[n++] = "2";
		}
		argv[n++] = "--app";
		argv[n++] = (v & 4) ? "echo" : "http";
		argv[n] = NULL;
		if (hsod_config_parse(&confs[v], n, argv, err, sizeof(err)) != 0) {
			fprintf(stderr, "fuzz_wire: config: %s\n", err);
			abort();
		}
	}
}

/* The TLS generation, as hsod's tls_gen_build() makes it. */
static void
tls_make(void)
{
	char err[HSOD_ERR_LEN];
	struct hso_stek_config sc;

	if (hsod_config_tls_policy(&confs[0], &tls, err, sizeof(err)) != 0)
		die(err);
	for (unsigned i = 0; i < 2; i++) {
		certs[i] = hso_cert_load(confs[0].certs[i].cert, confs[0].certs[i].key, err,
					 sizeof(err));
		if (certs[i] == NULL || hs_config_add_cert(&tls, certs[i], i == 0) != 0)
			die(err);
	}
	hso_stek_config_default(&sc);
	stek = hso_stek_set_create(&sc, 1700000000);
	if (stek == NULL)
		die("hso_stek_set_create");
	tls.stek = stek;
}

/* OpenSSL clients: what real peers send, one context per LIVE variant. */
static void
live_make(void)
{
	static const char *const v13[] = { NULL, "X448:X25519", NULL, NULL, NULL, NULL };

	for (unsigned v = 0; v < LIVE_VARIANTS; v++) {
		SSL_CTX *c = SSL_CTX_new(TLS_client_method());

		if (c == NULL)
			die("SSL_CTX_new");
		SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
		SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
		switch (v) {
		case 0: /* TLS 1.3, X25519, ECDSA */
		case 1: /* TLS 1.3, a key share hsod does not take: HelloRetryRequest */
		case 5: /* TLS 1.3 with the RSA certificate (RSA-PSS) */
			SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
			if (v13[v] != NULL)
				SSL_CTX_set1_groups_list(c, v13[v]);
			break;
		case 2:
			SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
			SSL_CTX_set_cipher_list(c, "ECDHE-ECDSA-AES128-GCM-SHA256");
			break;
		case 3: /* RSA key exchange: the server's most expensive handshake */
			SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
			SSL_CTX_set_cipher_list(c, "AES128-GCM-SHA256");
			break;
		case 4:
			SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
			SSL_CTX_set_cipher_list(c, "ECDHE-RSA-CHACHA20-POLY1305");
			break;
		}
		live_ctx[v] = c;
	}
}

static void
port_make(void)
{
	struct rte_eth_conf pc;
	int sock = (int)rte_socket_id();
	int r;

	pool = rte_pktmbuf_pool_create("fuzz_mbufs", POOL_MBUFS, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, sock);
	rx_ring = rte_ring_create("fuzz_rx", RING_SIZE, sock, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx_ring = rte_ring_create("fuzz_tx", RING_SIZE, sock, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pool == NULL || rx_ring == NULL || tx_ring == NULL)
		die("pool or rings");
	r = rte_eth_from_rings("net_ring_fuzz", &rx_ring, 1, &tx_ring, 1, (unsigned)sock);
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

/* ---- Frames in and out ------------------------------------------------- */

static void
inject(const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m;
	uint8_t *p;

	if (len == 0 || len > RTE_MBUF_DEFAULT_DATAROOM)
		return;
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL || rte_ring_sp_enqueue(rx_ring, m) != 0) {
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(p, frame, len);
}

static int
peer_of(uint32_t addr, uint16_t port)
{
	for (int i = 0; i < N_PEERS; i++)
		if (PEER_ADDR((unsigned)i) == addr && PEER_PORT((unsigned)i) == port)
			return i;
	return -1;
}

/* An ARP reply from @p ip (a peer) to hsod's request. */
static void
arp_reply(uint32_t ip, const struct rte_ether_addr *to, uint32_t to_ip)
{
	uint8_t f[sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr)];
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)f;
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(e + 1);
	struct rte_ether_addr mine = { { 0x02, 0, 0, 0, 0, (uint8_t)ip } };

	e->dst_addr = *to;
	e->src_addr = mine;
	e->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_sha = mine;
	a->arp_data.arp_sip = rte_cpu_to_be_32(ip);
	a->arp_data.arp_tha = *to;
	a->arp_data.arp_tip = rte_cpu_to_be_32(to_ip);
	inject(f, sizeof(f));
}

/* What hsod sent: parse it, track sequence numbers, feed live clients. */
static void
on_tx(struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t len = rte_pktmbuf_data_len(m);
	const struct rte_ether_hdr *e = (const struct rte_ether_hdr *)p;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *t;
	size_t ihl, thl, tot;
	uint32_t seq, plen;
	struct peer *pr;
	int i;

	if (m->nb_segs != 1 || len != rte_pktmbuf_pkt_len(m))
		die("hsod sent a chained mbuf");
	if (len < sizeof(*e))
		die("hsod sent a runt frame");
	if (e->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(e + 1);

		if (len < sizeof(*e) + sizeof(*a))
			die("hsod sent a short ARP frame");
		if (W.auto_arp && a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST)) {
			uint32_t tip = rte_be_to_cpu_32(a->arp_data.arp_tip);

			if (tip - PEER_ADDR(0) < 4 || tip == GATEWAY_ADDR)
				arp_reply(tip, &a->arp_data.arp_sha,
					  rte_be_to_cpu_32(a->arp_data.arp_sip));
		}
		return;
	}
	if (e->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		die("hsod sent neither IPv4 nor ARP");
	ip = (const struct rte_ipv4_hdr *)(e + 1);
	ihl = (size_t)(ip->version_ihl & 0xf) * 4;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (len < sizeof(*e) + sizeof(*ip) || ihl < sizeof(*ip) || tot < ihl ||
	    sizeof(*e) + tot > len)
		die("hsod sent a malformed IPv4 packet");
	if (ip->next_proto_id != IPPROTO_TCP)
		return;         /* ICMP echo replies */
	if (rte_be_to_cpu_32(ip->src_addr) != SERVER_ADDR)
		die("hsod sent TCP from an address not its own");
	t = (const struct rte_tcp_hdr *)((const uint8_t *)ip + ihl);
	thl = (size_t)(t->data_off >> 4) * 4;
	if (tot < ihl + sizeof(*t) || thl < sizeof(*t) || tot < ihl + thl)
		die("hsod sent a malformed TCP segment");
	i = peer_of(rte_be_to_cpu_32(ip->dst_addr), rte_be_to_cpu_16(t->dst_port));
	if (i < 0 || (t->tcp_flags & RTE_TCP_RST_FLAG))
		return;
	pr = &peers[i];
	seq = rte_be_to_cpu_32(t->sent_seq);
	plen = (uint32_t)(tot - ihl - thl);
	if (t->tcp_flags & RTE_TCP_SYN_FLAG) {
		pr->s_rcv = seq + 1;
		pr->synced = true;
		return;
	}
	if (!pr->synced)
		return;
	/* In-order bytes (or the new tail of a retransmission) go on. */
	if ((int32_t)(seq - pr->s_rcv) <= 0 && (int32_t)(seq + plen - pr->s_rcv) > 0) {
		uint32_t skip = pr->s_rcv - seq;

		if (pr->rbio != NULL)
			BIO_write(pr->rbio, (const uint8_t *)t + thl + skip, (int)(plen - skip));
		pr->s_rcv += plen - skip;
	}
	if ((t->tcp_flags & RTE_TCP_FIN_FLAG) && seq + plen == pr->s_rcv)
		pr->s_rcv++;
}

static void
poll_once(void)
{
	struct rte_mbuf *out[32];
	unsigned n;

	hsod_worker_poll(W.w, W.now);
	if (W.http != NULL)
		hsod_app_http_poll(W.http);
	else if (W.echo != NULL)
		hso_echo_poll(W.echo);
	hsod_apps_control(W.apps);
	while ((n = rte_ring_sc_dequeue_burst(tx_ring, (void **)out, 32, NULL)) > 0) {
		for (unsigned k = 0; k < n; k++) {
			on_tx(out[k]);
			rte_pktmbuf_free(out[k]);
		}
	}
	W.now += 50;    /* time runs a little with every poll */
}

/* ---- The script -------------------------------------------------------- */

struct cursor {
	const uint8_t *p;
	size_t n;
};

static bool
take(struct cursor *c, void *dst, size_t n)
{
	if (c->n < n)
		return false;
	memcpy(dst, c->p, n);
	c->p += n;
	c->n -= n;
	return true;
}

static uint8_t
u8(struct cursor *c)
{
	uint8_t v = 0;

	take(c, &v, 1);
	return v;
}

static uint16_t
u16(struct cursor *c)
{
	uint8_t b[2] = { 0, 0 };

	take(c, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static void
rec(const void *p, size_t n)
{
	if (W.rec == NULL || n == 0)
		return;
	if (W.rec_len + n > W.rec_cap)
		die("seed too long");
	memcpy(W.rec + W.rec_len, p, n);
	W.rec_len += n;
}

static void
rec_u16(uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	rec(b, 2);
}

struct tcp_op {
	uint8_t peer, flags, mode;
	int16_t dseq, dack;
	uint16_t win;
	uint8_t opt_len;
	uint8_t opts[40];
	uint16_t plen;
	const uint8_t *payload;
};

#define MODE_BAD_CSUM 0x01      /* TCP checksum off by one */
#define MODE_NO_ADVANCE 0x02    /* c_nxt stays (a retransmission, a probe) */

/* Build and inject the segment @p o describes; record it when recording. */
static void
tcp_send(const struct tcp_op *o)
{
	uint8_t f[1600];
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(e + 1);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);
	unsigned pi = o->peer % N_PEERS;
	struct peer *pr = &peers[pi];
	uint8_t ol = (uint8_t)(o->opt_len & ~3u);
	uint16_t plen = o->plen;
	uint32_t seq;

	if (ol > 40)
		ol = 40;
	if (plen > 1460)
		plen = 1460;
	if (o->flags & RTE_TCP_SYN_FLAG && !(o->mode & MODE_NO_ADVANCE)) {
		/* A new connection: the endpoint's initial sequence number. */
		pr->c_nxt = 0x1000000u * (pi + 1) + 7;
		pr->synced = false;
	}
	seq = pr->c_nxt + (uint32_t)(int32_t)o->dseq;
	memset(f, 0, sizeof(*e) + sizeof(*ip) + sizeof(*t));
	e->dst_addr = port_mac;
	e->src_addr = (struct rte_ether_addr){ { 0x02, 0, 0, 0, 0, (uint8_t)PEER_ADDR(pi) } };
	e->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*t) + ol + plen));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(PEER_ADDR(pi));
	ip->dst_addr = rte_cpu_to_be_32(SERVER_ADDR);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	t->src_port = rte_cpu_to_be_16((uint16_t)PEER_PORT(pi));
	t->dst_port = rte_cpu_to_be_16(443);
	t->sent_seq = rte_cpu_to_be_32(seq);
	t->recv_ack = rte_cpu_to_be_32(pr->s_rcv + (uint32_t)(int32_t)o->dack);
	t->data_off = (uint8_t)(((sizeof(*t) + ol) / 4) << 4);
	t->tcp_flags = o->flags;
	t->rx_win = rte_cpu_to_be_16(o->win);
	memcpy(t + 1, o->opts, ol);
	if (plen > 0)
		memcpy((uint8_t *)(t + 1) + ol, o->payload, plen);
	t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	if (o->mode & MODE_BAD_CSUM)
		t->cksum = (uint16_t)(t->cksum + 1);
	inject(f, sizeof(*e) + sizeof(*ip) + sizeof(*t) + ol + plen);
	if (!(o->mode & MODE_NO_ADVANCE) && seq == pr->c_nxt)
		pr->c_nxt += plen + !!(o->flags & RTE_TCP_SYN_FLAG) + !!(o->flags & RTE_TCP_FIN_FLAG);
	if (W.rec != NULL) {
		uint8_t h[4] = { OP_TCP, o->peer, o->flags, o->mode };

		rec(h, 4);
		rec_u16((uint16_t)o->dseq);
		rec_u16((uint16_t)o->dack);
		rec_u16(o->win);
		rec(&ol, 1);
		rec(o->opts, ol);
		rec_u16(plen);
		rec(o->payload, plen);
	}
}

static void
op_frame(struct cursor *c)
{
	uint8_t fix = u8(c), f[1514];
	size_t len = u16(c) % (sizeof(f) + 1);
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)f;

	if (len > c->n)
		len = c->n;
	take(c, f, len);
	if ((fix & 1) && len >= sizeof(*e))
		e->dst_addr = port_mac;
	if (len >= sizeof(*e) + sizeof(struct rte_ipv4_hdr) &&
	    e->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(e + 1);
		size_t ihl = (size_t)(ip->version_ihl & 0xf) * 4;
		size_t tot = rte_be_to_cpu_16(ip->total_length);

		if ((fix & 2) && ihl >= sizeof(*ip) && sizeof(*e) + ihl <= len) {
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_raw_cksum(ip, ihl) == 0xffff ?
					   0xffff : (uint16_t)~rte_raw_cksum(ip, ihl);
		}
		/* L4 sums over what the IPv4 length covers, when it fits and is not a fragment. */
		if ((fix & 4) && ihl == sizeof(*ip) && tot >= ihl + 8 && sizeof(*e) + tot <= len &&
		    (ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP)) {
			uint8_t *l4 = (uint8_t *)ip + ihl;
			uint16_t *sum = (uint16_t *)(l4 + (ip->next_proto_id == IPPROTO_TCP ? 16 : 6));

			if (ip->next_proto_id == IPPROTO_UDP || tot >= ihl + 20) {
				*sum = 0;
				*sum = rte_ipv4_udptcp_cksum(ip, l4);
			}
		}
	}
	inject(f, len);
}

static void
op_tcp(struct cursor *c)
{
	struct tcp_op o;

	memset(&o, 0, sizeof(o));
	o.peer = u8(c);
	o.flags = u8(c);
	o.mode = u8(c);
	o.dseq = (int16_t)u16(c);
	o.dack = (int16_t)u16(c);
	o.win = u16(c);
	o.opt_len = u8(c) % 41;
	if (o.opt_len > c->n)
		o.opt_len = (uint8_t)c->n;
	take(c, o.opts, o.opt_len);
	o.plen = u16(c);
	if (o.plen > c->n)
		o.plen = (uint16_t)c->n;
	o.payload = c->p;
	c->p += o.plen;
	c->n -= o.plen;
	tcp_send(&o);
}

/* A segment of client bytes (or a bare flag) on endpoint @p pi, in order. */
static void
seg(unsigned pi, uint8_t flags, const uint8_t *p, uint16_t len)
{
	struct tcp_op o;

	memset(&o, 0, sizeof(o));
	o.peer = (uint8_t)pi;
	o.flags = flags;
	o.win = 65535;
	o.plen = len;
	o.payload = p;
	tcp_send(&o);
}

static void
polls(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		poll_once();
	if (W.rec != NULL) {
		uint8_t op[2] = { OP_POLL, (uint8_t)(n - 1) };

		rec(op, 2);
	}
}

/* A SYN with the options a Linux client sends, then the ACK of the SYN-ACK. */
static bool
connect_peer(unsigned pi)
{
	struct tcp_op o;
	/* MSS 1460, SACK permitted, timestamps, NOP, window scale 7 */
	static const uint8_t opts[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
					  1, 3, 3, 7 };

	memset(&o, 0, sizeof(o));
	o.peer = (uint8_t)pi;
	o.flags = RTE_TCP_SYN_FLAG;
	o.win = 64240;
	o.opt_len = sizeof(opts);
	memcpy(o.opts, opts, sizeof(opts));
	tcp_send(&o);
	polls(2);
	seg(pi, RTE_TCP_ACK_FLAG, NULL, 0);
	polls(1);
	return peers[pi].synced;
}

/*
 * A real client on endpoint @p pi: handshake, one request, read the
 * answer; its output xored with @p xor at stream offset @p off.
 * @return application bytes the client read.
 */
static uint64_t
live_run(unsigned pi, unsigned variant, uint16_t off, uint8_t xor, unsigned rounds, uint8_t end)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: ec.test\r\n\r\n";
	struct peer *pr = &peers[pi];
	const char *sni = (variant % LIVE_VARIANTS) >= 3 ? "rsa.test" : "ec.test";
	uint32_t sent = 0;
	bool req_sent = false;
	BIO *wbio;
	SSL *s;

	s = SSL_new(live_ctx[variant % LIVE_VARIANTS]);
	pr->rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(BIO_s_mem());
	if (s == NULL || pr->rbio == NULL || wbio == NULL)
		die("SSL_new");
	BIO_up_ref(pr->rbio);
	SSL_set_bio(s, pr->rbio, wbio);
	SSL_set_connect_state(s);
	SSL_set_tlsext_host_name(s, sni);
	pr->ssl = s;
	pr->got = 0;
	for (unsigned r = 0; r < rounds; r++) {
		uint8_t buf[4096];
		int n;

		if (!SSL_is_init_finished(s)) {
			SSL_do_handshake(s);
		} else if (!req_sent) {
			SSL_write(s, req, sizeof(req) - 1);
			req_sent = true;
		}
		while ((n = SSL_read(s, buf, sizeof(buf))) > 0) {
			if (pr->got < sizeof(pr->resp))
				memcpy(pr->resp + pr->got, buf,
				       (size_t)n < sizeof(pr->resp) - pr->got ? (size_t)n
									      : sizeof(pr->resp) - pr->got);
			pr->got += (uint64_t)n;
		}
		/* The client's bytes, mutated where the script says, in segments. */
		while ((n = BIO_read(wbio, buf, 1400)) > 0) {
			if (off >= sent && off < sent + (uint32_t)n)
				buf[off - sent] ^= xor;
			sent += (uint32_t)n;
			seg(pi, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, buf, (uint16_t)n);
		}
		/* ACK what hsod sent, so it goes on; then let it work. */
		seg(pi, RTE_TCP_ACK_FLAG, NULL, 0);
		polls(3);
		if (pr->got > 0 && req_sent && W.rec == NULL)
			break;
		if (W.rec != NULL && pr->got >= 40)
			break;
	}
	switch (end % 4) {
	case 1:
		seg(pi, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, NULL, 0);
		break;
	case 2:
		seg(pi, RTE_TCP_RST_FLAG, NULL, 0);
		break;
	case 3: {
		uint8_t buf[256];
		int n;

		SSL_shutdown(s);
		while ((n = BIO_read(wbio, buf, sizeof(buf))) > 0)
			seg(pi, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, buf, (uint16_t)n);
		seg(pi, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, NULL, 0);
		break;
	}
	default:
		break;
	}
	polls(2);
	SSL_free(s);
	BIO_free(pr->rbio);
	pr->rbio = NULL;
	pr->ssl = NULL;
	return pr->got;
}

static void
op_live(struct cursor *c)
{
	unsigned pi = u8(c) % N_PEERS, variant = u8(c);
	uint16_t off = u16(c);
	uint8_t xor = u8(c);
	unsigned rounds = u8(c) % 12 + 1;
	uint8_t end = u8(c);

	if (!peers[pi].synced)
		connect_peer(pi);
	live_run(pi, variant, off, xor, rounds, end);
}

/* ---- One input --------------------------------------------------------- */

static void
world_up(uint8_t cfg_bits)
{
	const struct hsod_config *cfg = &confs[cfg_bits % N_VARIANTS];
	struct hsod_worker_conf wc = {
		.queue = 0, .lcore = rte_lcore_id(), .index = 0, .mp = pool, .hs = &tls,
		.cfg = cfg, .n_ports = 1,
	};
	uint8_t *r = W.rec;     /* a seed being recorded goes on */
	size_t rl = W.rec_len, rc = W.rec_cap;

	memset(&W, 0, sizeof(W));
	W.rec = r;
	W.rec_len = rl;
	W.rec_cap = rc;
	W.now = 1000000000ull;
	W.auto_arp = !(cfg_bits & 8);
	memset(peers, 0, sizeof(peers));
	W.apps = hsod_apps_create(1, cfg->max_conns, pool, false);
	if (W.apps == NULL)
		die("hsod_apps_create");
	hsod_apps_set_mbuf_reserve(W.apps, (cfg_bits & 16) ? POOL_MBUFS - 256 : POOL_MBUFS / 4);
	wc.shm = hsod_apps_shm(W.apps);
	wc.fc = hsod_apps_fc(W.apps);
	wc.ports[0].id = port_id;
	wc.ports[0].mac = port_mac;
	W.w = hsod_worker_create(&wc);
	if (W.w == NULL)
		die("hsod_worker_create");
	W.app = hso_app_attach_inproc(hsod_app_name(cfg->app), 0);
	if (W.app == NULL)
		die("hso_app_attach_inproc");
	if (cfg->app == HSOD_APP_HTTP)
		W.http = hsod_app_http_create(W.app, cfg->http_status, cfg->http_body,
					      cfg->http_body_len);
	else
		W.echo = hso_echo_create(W.app, 0, NULL);
	if (W.http == NULL && W.echo == NULL)
		die("application");
	hsod_worker_announce(W.w);
}

static void
world_down(void)
{
	struct rte_mbuf *m;

	/* Time for timers to run their course: closes, TIME_WAIT, deadlines. */
	for (unsigned i = 0; i < 4; i++) {
		W.now += 1500000;
		poll_once();
		poll_once();
	}
	/* hsod's order at exit. */
	hsod_apps_stop(W.apps);
	hsod_app_http_free(W.http);
	hso_echo_free(W.echo);
	hso_app_detach(W.app);
	hsod_worker_free(W.w);
	hsod_apps_free(W.apps);
	while (rte_ring_sc_dequeue(rx_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_sc_dequeue(tx_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	/* Everything hsod took from the pool went back: no mbuf leaked. */
	if (rte_mempool_avail_count(pool) != POOL_MBUFS) {
		fprintf(stderr, "fuzz_wire: %u mbufs leaked\n",
			POOL_MBUFS - rte_mempool_avail_count(pool));
		abort();
	}
}

static void
run_script(struct cursor *c)
{
	for (unsigned ops = 0; ops < MAX_OPS && c->n > 0; ops++) {
		switch (u8(c) % OP_NUM) {
		case OP_FRAME:
			op_frame(c);
			break;
		case OP_TCP:
			op_tcp(c);
			break;
		case OP_CLOCK:
			W.now += (uint64_t)u16(c) * 1000;
			poll_once();
			poll_once();
			break;
		case OP_POLL: {
			unsigned n = u8(c) % 8 + 1;

			for (unsigned i = 0; i < n; i++)
				poll_once();
			break;
		}
		case OP_LIVE:
			op_live(c);
			break;
		}
		if (rte_ring_count(rx_ring) >= 32)
			poll_once();
	}
	poll_once();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void seeds_write(const char *out);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	/* No hugepages, nothing shared with other processes, no PCI scan. */
	char *eal[] = { (*argv)[0], "--no-huge", "-m", "128", "--no-shconf", "--no-pci",
			"-l", "0", "--file-prefix", prefix, "--no-telemetry",
			"--log-level=*:error", NULL };
	const char *seeds = getenv("FUZZ_WIRE_SEEDS");

	(void)argc;
	snprintf(prefix, sizeof(prefix), "fuzzwire%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "fuzz_wire: EAL: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	hso_eal_rundir_atexit();        /* a prefix per run: its directory goes at exit */
	port_make();
	certs_make();
	confs_make();
	tls_make();
	live_make();
	if (seeds != NULL) {
		seeds_write(seeds);
		exit(0);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data, size };

	if (size == 0)
		return 0;
	world_up(u8(&c));
	run_script(&c);
	world_down();
	return 0;
}

/* ---- Seeds ------------------------------------------------------------- */

static void
seed_save(const char *out, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(W.rec, 1, W.rec_len, f) != W.rec_len || fclose(f) != 0) {
		fprintf(stderr, "fuzz_wire: cannot write %s\n", path);
		exit(1);
	}
}

static void
seed_begin(uint8_t cfg_bits)
{
	static uint8_t buf[65536];

	W.rec = buf;
	W.rec_len = 0;
	W.rec_cap = sizeof(buf);
	world_up(cfg_bits);
	rec(&cfg_bits, 1);
}

static void
seed_end(const char *out, const char *name)
{
	uint8_t *r = W.rec;
	size_t n = W.rec_len, cap = W.rec_cap;

	W.rec = NULL;
	world_down();
	W.rec = r;
	W.rec_len = n;
	W.rec_cap = cap;
	seed_save(out, name);
	W.rec = NULL;
}

/* A raw frame op, recorded (and injected). */
static void
seed_frame(uint8_t fix, const uint8_t *f, uint16_t len)
{
	uint8_t h[2] = { OP_FRAME, fix };
	struct cursor c;
	uint8_t tmp[1600];

	rec(h, 2);
	rec_u16(len);
	rec(f, len);
	tmp[0] = fix;
	tmp[1] = (uint8_t)len;
	tmp[2] = (uint8_t)(len >> 8);
	memcpy(tmp + 3, f, len);
	c.p = tmp;
	c.n = (size_t)len + 3;
	op_frame(&c);
	polls(1);
}

/* An IPv4 packet from peer 0 to hsod: header (with @p opt_len option bytes) and payload. */
static uint16_t
ipv4_frame(uint8_t *f, uint8_t proto, const uint8_t *opts, uint8_t opt_len, uint16_t frag,
	   const uint8_t *l4, uint16_t l4_len)
{
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(e + 1);

	memset(f, 0, sizeof(*e) + sizeof(*ip));
	e->dst_addr = port_mac;
	e->src_addr = (struct rte_ether_addr){ { 0x02, 0, 0, 0, 0, 10 } };
	e->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = (uint8_t)(0x40 | (5 + opt_len / 4));
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + opt_len + l4_len));
	ip->fragment_offset = rte_cpu_to_be_16(frag);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(PEER_ADDR(0));
	ip->dst_addr = rte_cpu_to_be_32(SERVER_ADDR);
	if (opt_len > 0)
		memcpy(ip + 1, opts, opt_len);
	memcpy((uint8_t *)(ip + 1) + opt_len, l4, l4_len);
	return (uint16_t)(sizeof(*e) + sizeof(*ip) + opt_len + l4_len);
}

static void
seeds_write(const char *out)
{
	uint8_t f[1600];
	uint16_t n;
	static const char *const names[LIVE_VARIANTS] = {
		"live_tls13_x25519_ecdsa", "live_tls13_hrr", "live_tls12_ecdhe_ecdsa",
		"live_tls12_rsa_kx", "live_tls12_ecdhe_rsa_chacha", "live_tls13_rsa_pss",
	};
	int bad = 0;

	/* Real handshakes, recorded as segments: each must get the page. */
	for (unsigned v = 0; v < LIVE_VARIANTS; v++) {
		uint64_t got;

		seed_begin(0);
		if (!connect_peer(0)) {
			fprintf(stderr, "fuzz_wire: %s: no SYN-ACK\n", names[v]);
			exit(1);
		}
		got = live_run(0, v, 0xffff, 0, 12, 3);
		if (got < 20 || memcmp(peers[0].resp, "HTTP/1.1 200", 12) != 0) {
			fprintf(stderr, "fuzz_wire: %s: the client got %llu bytes, not the "
				"page\n", names[v], (unsigned long long)got);
			bad++;
		} else {
			printf("fuzz_wire: %s: handshake and response ok (%llu bytes), "
			       "%zu-byte seed\n", names[v], (unsigned long long)got, W.rec_len);
		}
		seed_end(out, names[v]);
	}
	/* The same through echo, with SYN cookies (max_half_open 2). */
	seed_begin(1 | 4);
	for (unsigned pi = 0; pi < 4; pi++)
		connect_peer(pi);
	live_run(1, 0, 0xffff, 0, 12, 1);
	seed_end(out, "live_echo_cookies");
	/* A corrupted Finished-flight byte and an abandoned HRR. */
	seed_begin(0);
	connect_peer(0);
	live_run(0, 0, 600, 0x40, 12, 1);
	seed_end(out, "live_tls13_corrupt");
	seed_begin(0);
	connect_peer(0);
	live_run(0, 1, 0xffff, 0, 1, 2);
	seed_end(out, "live_hrr_abandon");

	/* ARP: a request for hsod's address, and a gratuitous one. */
	seed_begin(8);
	{
		struct rte_ether_hdr *e = (struct rte_ether_hdr *)f;
		struct rte_arp_hdr *a = (struct rte_arp_hdr *)(e + 1);

		memset(f, 0, sizeof(*e) + sizeof(*a));
		memset(&e->dst_addr, 0xff, sizeof(e->dst_addr));
		e->src_addr = (struct rte_ether_addr){ { 0x02, 0, 0, 0, 0, 10 } };
		e->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
		a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
		a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		a->arp_hlen = 6;
		a->arp_plen = 4;
		a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
		a->arp_data.arp_sha = e->src_addr;
		a->arp_data.arp_sip = rte_cpu_to_be_32(PEER_ADDR(0));
		a->arp_data.arp_tip = rte_cpu_to_be_32(SERVER_ADDR);
		seed_frame(0, f, sizeof(*e) + sizeof(*a));
		a->arp_data.arp_tip = a->arp_data.arp_sip;
		seed_frame(0, f, sizeof(*e) + sizeof(*a));
		a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
		a->arp_data.arp_sha.addr_bytes[5] = 11;
		seed_frame(0, f, sizeof(*e) + sizeof(*a));
	}
	seed_end(out, "arp");

	/* ICMP echo, a plain one and one with IPv4 options (record route, NOP, end). */
	seed_begin(0);
	{
		uint8_t icmp[64] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1 };
		static const uint8_t rr[8] = { 7, 7, 4, 0, 0, 0, 0, 1 };
		uint16_t s;

		for (unsigned i = 8; i < sizeof(icmp); i++)
			icmp[i] = (uint8_t)i;
		s = (uint16_t)~rte_raw_cksum(icmp, sizeof(icmp));
		memcpy(icmp + 2, &s, 2);
		n = ipv4_frame(f, IPPROTO_ICMP, NULL, 0, 0, icmp, sizeof(icmp));
		seed_frame(2, f, n);
		n = ipv4_frame(f, IPPROTO_ICMP, rr, sizeof(rr), 0, icmp, sizeof(icmp));
		seed_frame(2, f, n);
	}
	seed_end(out, "icmp_options");

	/* Fragments: a first and a later fragment of a TCP segment, and a UDP datagram. */
	seed_begin(0);
	{
		uint8_t l4[40];

		memset(l4, 0, sizeof(l4));
		l4[1] = 80;     /* source port 80 */
		l4[2] = 0x01;
		l4[3] = 0xbb;   /* destination 443 */
		l4[12] = 0x50;
		l4[13] = RTE_TCP_SYN_FLAG;
		n = ipv4_frame(f, IPPROTO_TCP, NULL, 0, RTE_IPV4_HDR_MF_FLAG, l4, 16);
		seed_frame(2, f, n);
		n = ipv4_frame(f, IPPROTO_TCP, NULL, 0, 2, l4 + 16, 24);
		seed_frame(2, f, n);
		n = ipv4_frame(f, IPPROTO_UDP, NULL, 0, 0, l4, 16);
		seed_frame(6, f, n);
	}
	seed_end(out, "ipv4_fragments_udp");

	/* TCP: options of every kind, a bad checksum, RST and FIN cases, a port nobody serves. */
	seed_begin(0);
	{
		struct tcp_op o;
		static const uint8_t opts[40] = {
			2, 4, 0x02, 0x18,               /* MSS 536 */
			3, 3, 14,                       /* window scale 14 */
			4, 2,                           /* SACK permitted */
			8, 10, 1, 2, 3, 4, 0, 0, 0, 0,  /* timestamps */
			5, 10, 0, 0, 0, 1, 0, 0, 0, 2,  /* SACK block */
			30, 4, 0, 0,                    /* MPTCP, unknown to us */
			1, 1, 1, 0, 0, 0, 0,
		};

		memset(&o, 0, sizeof(o));
		o.peer = 2;
		o.flags = RTE_TCP_SYN_FLAG;
		o.win = 1024;
		o.opt_len = sizeof(opts);
		memcpy(o.opts, opts, sizeof(opts));
		tcp_send(&o);
		polls(2);
		o.flags = RTE_TCP_ACK_FLAG;
		o.opt_len = 12;
		memcpy(o.opts, "\x01\x01\x08\x0a\x00\x00\x00\x02\x00\x00\x00\x00", 12);
		tcp_send(&o);
		o.flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
		o.mode = MODE_BAD_CSUM;
		o.plen = 5;
		o.payload = (const uint8_t *)"\x16\x03\x01\x00\x10";
		tcp_send(&o);
		polls(1);
		o.mode = 0;
		o.dseq = 3000;          /* out of order */
		tcp_send(&o);
		o.dseq = 0;
		o.flags = RTE_TCP_RST_FLAG;
		o.dseq = 100;           /* in window, not exact: a challenge ACK */
		o.plen = 0;
		tcp_send(&o);
		polls(1);
		seg(2, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, NULL, 0);
		polls(2);
		seg(3, RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG, NULL, 0);
		polls(1);
	}
	seed_end(out, "tcp_options_rst_fin");

	/* A ClientHello one byte a segment (slowloris), then the deadline. */
	seed_begin(0);
	{
		static const uint8_t ch[9] = { 0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4 };
		uint8_t op[3] = { OP_CLOCK, 0xd0, 0x07 };   /* 2000 ms */

		connect_peer(0);
		for (unsigned i = 0; i < sizeof(ch); i++) {
			seg(0, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, ch + i, 1);
			polls(1);
		}
		rec(op, 3);
		W.now += 2000000;
		poll_once();
		poll_once();
	}
	seed_end(out, "slow_hello_deadline");
	if (bad) {
		fprintf(stderr, "fuzz_wire: %d real handshake(s) did not complete\n", bad);
		exit(1);
	}
}
