/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A whole hsod worker (worker.h, public API only) without root: EAL with
 * --no-huge, a DPDK net_ring port, an application attached in process as
 * hsod attaches its own (it records every event it gets), and on the other
 * side of the ring clients made of OpenSSL's libssl (memory BIOs) over hso's
 * TCP in active-open mode. The clock is the test's: deadlines are reached by
 * moving it, not by waiting.
 *
 * Cases (each checks the application's events in order, the bytes, what the
 * client received, and that every mbuf went back to the pool at the end):
 *  - echo, TLS 1.3 and 1.2, 64 KiB each way, checked byte for byte; then
 *    the client's close_notify: PEER_CLOSED, the app closes, the client
 *    gets close_notify and FIN, CLOSED(done);
 *  - a request then RST in the same burst: the app still gets the data,
 *    then CLOSED(reset) (TCP keeps it until the session took it);
 *  - the client's last flight then RST in the same burst, TLS 1.3 and 1.2:
 *    the handshake completes (counted), nothing is sent, the app hears
 *    nothing; 10 bytes short of that flight, it is abandoned;
 *  - the handshake deadline: a client that sends nothing is reset, the app
 *    hears nothing (a timer on the session layer's wheel, no sweep);
 *  - sends with HSO_SEND_MORE coalesce into one record;
 *  - the application detaches with connections open: each gets
 *    close_notify and FIN;
 *  - 300 idle connections: sessions and TCP slots touched as they come,
 *    each session's handshake context given back once handed over;
 *  - records with no room for plaintext after the handshake (a TLS 1.3
 *    change_cipher_spec, a TLS 1.2 record shorter than its tag): the
 *    alert, FIN and CLOSED(tls_error), never a session stalled waiting for
 *    zero bytes of application room;
 *  - a client that goes on sending after our fatal alert (256 KiB, eight
 *    times TCP's window): its bytes are released unread, it reads the
 *    alert and our FIN, and is not reset.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
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

#include "app.h"
#include "app_shm.h"
#include "apps.h"
#include "eal_rundir.h"
#include "check.h"
#include "config.h"
#include "handshake.h"
#include "hso_app.h"
#include "tcp.h"
#include "tcp_pkt.h"
#include "ring_rig.h"
#include "worker.h"

#define POOL_MBUFS 8191u
#define RING_SIZE 1024u
#define MAX_CLIENTS 400
#define HS_TIMEOUT_MS 500
#define T0 1000000000ull

/* hsod's worker on net_ring and the clients' TCP (bench/ring_rig.h); a fresh worker per case. */
static struct rig rig;
static SSL_CTX *ctx13, *ctx12;
static uint64_t now_us = T0;

/* ---- what the application saw, per connection ---- */

struct app_conn {
	uint64_t conn;
	uint16_t client_port;
	unsigned n_ev;
	char log[256];                  /* O D P C(reason) */
	uint64_t data;                  /* plaintext bytes received */
	uint8_t first[64];              /* its first bytes */
	unsigned n_first;
	bool echo;                      /* send every DATA back */
	bool closed;
	uint8_t *q;                     /* echo: bytes still to send back */
	uint32_t q_len;
	bool close_wanted;              /* close once q is empty */
};

static struct app_conn aconns[MAX_CLIENTS * 2];
static unsigned n_aconns;
static bool app_echo_mode = true;       /* echo, or just record */
static bool app_close_on_peer = true;   /* close on PEER_CLOSED */
/* hso's echo application (app_echo.c) in place of the recording one, when set. */
static struct hso_echo *echo_app;

/* ---- clients ---- */

struct client {
	uint64_t tcp;
	bool connected, over, tls_up, reset, fin_in;
	bool raw;                       /* no TLS: bytes written by the test, read into got[] */
	int ssl_err;                    /* reason of libssl's first error (an alert read) */
	SSL *ssl;
	BIO *rbio, *wbio;
	uint64_t sent, echoed;
	uint8_t got[256];
	unsigned n_got;
	uint16_t port;
};

static struct client clients[MAX_CLIENTS];
static unsigned n_clients;

static void
die(const char *what)
{
	fprintf(stderr, "test_worker: %s\n", what);
	exit(1);
}

static inline uint8_t
stream_byte(unsigned c, uint64_t off)
{
	return (uint8_t)((off * 131u + c * 7u + (off >> 9)) & 0xff);
}

/* ---- set-up (as hso-bench-echo: a worker on net_ring) ---- */

static void
setup(void)
{
	char hto[16];
	const char *args[] = { "--max-conns", "1024", "--max-handshakes", "64",
				"--handshake-timeout", hto, "--app", "external" };

	snprintf(hto, sizeof(hto), "%u", HS_TIMEOUT_MS);
	rig.pool_mbufs = POOL_MBUFS;
	rig.ring_size = RING_SIZE;
	rig.cn = "w.test";
	rig_setup(&rig, args, sizeof(args) / sizeof(args[0]));

	ctx13 = SSL_CTX_new(TLS_client_method());
	ctx12 = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx13, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_verify(ctx12, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(ctx13, TLS1_3_VERSION);
	SSL_CTX_set_ciphersuites(ctx13, "TLS_AES_128_GCM_SHA256");
	SSL_CTX_set_max_proto_version(ctx12, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(ctx12, "ECDHE-ECDSA-AES128-GCM-SHA256");
}

/* A fresh worker and application for one case. */
static void
world_up(void)
{
	struct tcp_config tc;
	uint32_t src = RIG_CLIENT_ADDR;

	rig_worker_up(&rig, "test", false);
	tcp_config_init(&tc);
	tc.max_conns = MAX_CLIENTS * 2;
	tc.max_half_open = MAX_CLIENTS * 2;
	tc.rx_buf_size = 1u << 17;
	tc.idle_timeout_us = 0;
	rig_clients(&rig, &tc, &src, 1, 40000, 60000);
	for (unsigned i = 0; i < n_aconns; i++)
		free(aconns[i].q);
	memset(aconns, 0, sizeof(aconns));
	n_aconns = 0;
	memset(clients, 0, sizeof(clients));
	n_clients = 0;
	app_echo_mode = true;
	app_close_on_peer = true;
}

/* ---- clients ---- */

static struct client *
client_new(bool tls13)
{
	struct client *c = &clients[n_clients++];

	if (tcp_tbl_connect(rig.ctcp, RIG_SERVER_ADDR, 443, c, now_us, &c->tcp) != 0)
		die("tcp_tbl_connect");
	c->port = tcp_conn_tuple(tcp_tbl_conn_get(rig.ctcp, c->tcp))->lport;
	c->ssl = rig_ssl_client(tls13 ? ctx13 : ctx12, &c->rbio, &c->wbio);
	return c;
}

static void
client_flush(struct client *c)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(rig.ctcp, c->tcp);
	uint8_t buf[16384];
	int n;

	while (tc != NULL && !tcp_conn_over(tc) && (n = BIO_read(c->wbio, buf, sizeof(buf))) > 0)
		if (tcp_conn_write(rig.ctcp, tc, buf, (size_t)n) != n)
			die("client TCP full");
}

static void
client_io(struct client *c)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(rig.ctcp, c->tcp);
	uint8_t buf[16384];
	int n;

	if (tc == NULL || !c->connected)
		return;
	if (c->raw) {
		while ((n = tcp_conn_read(rig.ctcp, tc, buf, sizeof(buf))) > 0)
			for (int i = 0; i < n && c->n_got < sizeof(c->got); i++)
				c->got[c->n_got++] = buf[i];
		if (tcp_conn_fin_rcvd(tc))
			c->fin_in = true;
		return;
	}
	while ((n = tcp_conn_read(rig.ctcp, tc, buf, sizeof(buf))) > 0)
		BIO_write(c->rbio, buf, n);
	if (tcp_conn_fin_rcvd(tc))
		c->fin_in = true;
	if (!c->tls_up && SSL_do_handshake(c->ssl) == 1)
		c->tls_up = true;
	if (c->tls_up) {
		while ((n = SSL_read(c->ssl, buf, sizeof(buf))) > 0) {
			for (int i = 0; i < n; i++) {
				if (c->n_got < sizeof(c->got))
					c->got[c->n_got++] = buf[i];
				if (buf[i] != stream_byte((unsigned)(c - clients), c->echoed + (uint64_t)i) &&
				    app_echo_mode)
					CHECK_MSG(0, "client %u: echoed byte %llu differs",
						  (unsigned)(c - clients),
						  (unsigned long long)(c->echoed + (uint64_t)i));
			}
			c->echoed += (uint64_t)n;
		}
		if (n <= 0 && SSL_get_error(c->ssl, n) == SSL_ERROR_SSL && c->ssl_err == 0)
			c->ssl_err = ERR_GET_REASON(ERR_peek_error());
		ERR_clear_error();
	}
	client_flush(c);
	if (tcp_conn_over(tc) && !c->over) {
		c->over = true;
	}
}

static void
client_send(struct client *c, uint64_t len)
{
	uint8_t buf[16384];

	while (len > 0) {
		uint32_t k = len < sizeof(buf) ? (uint32_t)len : sizeof(buf);

		for (uint32_t i = 0; i < k; i++)
			buf[i] = stream_byte((unsigned)(c - clients), c->sent + i);
		if (SSL_write(c->ssl, buf, (int)k) != (int)k)
			die("SSL_write");
		c->sent += k;
		len -= k;
	}
	client_flush(c);
}

static void
client_event(const struct tcp_event *ev)
{
	struct client *c = ev->user;

	if (ev->events & TCP_EV_CONNECTED)
		c->connected = true;
	if (ev->events & TCP_EV_CLOSED) {
		c->over = true;
		c->reset = (ev->events & TCP_EV_RESET) != 0;
	}
}

/* ---- the application ---- */

static struct app_conn *
aconn_of(uint64_t conn)
{
	for (unsigned i = 0; i < n_aconns; i++)
		if (aconns[i].conn == conn)
			return &aconns[i];
	return NULL;
}

static void
alog(struct app_conn *a, const char *s)
{
	size_t l = strlen(a->log);

	snprintf(a->log + l, sizeof(a->log) - l, "%s", s);
}

static void
app_poll(void)
{
	struct hso_event ev[32];
	int n;

	while ((n = hso_app_poll(rig.app, ev, 32)) > 0) {
		for (int i = 0; i < n; i++) {
			struct app_conn *a = aconn_of(ev[i].conn);
			char b[24];

			switch (ev[i].type) {
			case HSO_EV_OPEN:
				CHECK(a == NULL);
				a = &aconns[n_aconns++];
				a->conn = ev[i].conn;
				a->client_port = ev[i].session->client_port;
				/* An IPv4 client: its address twice, the second IPv4-mapped. */
				{
					const struct hso_session *so = ev[i].session;
					static const uint8_t mapped[16] = {
						[10] = 0xff, [11] = 0xff, 198, 18, 0, 10,
					};
					static const uint8_t mapped_s[16] = {
						[10] = 0xff, [11] = 0xff, 198, 18, 0, 2,
					};

					CHECK_EQ(so->family, HSO_FAMILY_IPV4);
					CHECK_EQ(so->client_addr, RIG_CLIENT_ADDR);
					CHECK_EQ(so->server_addr, RIG_SERVER_ADDR);
					CHECK_EQ(so->server_port, 443);
					CHECK(memcmp(so->client_ip, mapped, 16) == 0);
					CHECK(memcmp(so->server_ip, mapped_s, 16) == 0);
				}
				a->echo = app_echo_mode;
				alog(a, "O");
				break;
			case HSO_EV_DATA:
				CHECK(a != NULL);
				if (a == NULL)
					break;
				if (a->log[strlen(a->log) - 1] != 'D')
					alog(a, "D");
				for (uint32_t k = 0; k < ev[i].len && a->n_first < sizeof(a->first); k++)
					a->first[a->n_first++] = ev[i].data[k];
				a->data += ev[i].len;
				/* Echo: queued, sent as the send window allows. */
				if (a->echo) {
					if (a->q == NULL)
						a->q = malloc(1u << 20);
					CHECK(a->q_len + ev[i].len <= (1u << 20));
					memcpy(a->q + a->q_len, ev[i].data, ev[i].len);
					a->q_len += ev[i].len;
				}
				break;
			case HSO_EV_PEER_CLOSED:
				CHECK(a != NULL);
				if (a == NULL)
					break;
				alog(a, "P");
				if (app_close_on_peer)
					a->close_wanted = true;
				break;
			case HSO_EV_CLOSED:
				CHECK(a != NULL && !a->closed);
				if (a == NULL)
					break;
				snprintf(b, sizeof(b), "C%u", ev[i].reason);
				alog(a, b);
				a->closed = true;
				break;
			default:
				CHECK(0);
			}
			hso_app_release(rig.app, &ev[i]);
		}
	}
	CHECK(n >= 0);
	/*
	 * What is queued goes back in messages of up to 4 KiB, each but the
	 * last of a round marked "more" (HSO_SEND_MORE: one record for them).
	 */
	for (unsigned k = 0; k < n_aconns; k++) {
		struct app_conn *a = &aconns[k];

		while (a->q_len > 0 && !a->closed) {
			uint32_t part = a->q_len < 4096 ? a->q_len : 4096;
			int rc = hso_app_send_flags(rig.app, a->conn, a->q, part,
						    part < a->q_len ? HSO_SEND_MORE : 0);

			if (rc == -EAGAIN)
				break;
			CHECK_EQ(rc, 0);
			if (rc != 0)
				break;
			memmove(a->q, a->q + part, a->q_len - part);
			a->q_len -= part;
		}
		if (a->close_wanted && a->q_len == 0 && !a->closed) {
			CHECK_EQ(hso_app_close(rig.app, a->conn), 0);
			a->close_wanted = false;
		}
	}
	hso_app_flush(rig.app);
}

/* One round: clients, the worker (at the test's clock), the app, frames back. */
static void
round_once(void)
{
	now_us += 100;
	tcp_tbl_tick(rig.ctcp, now_us);
	rig_client_events(&rig, client_event);
	for (unsigned i = 0; i < n_clients; i++)
		client_io(&clients[i]);
	rig_to_server(&rig);
	hsod_worker_poll(rig.worker, now_us);
	if (echo_app != NULL)
		CHECK(hso_echo_poll(echo_app) >= 0);
	else
		app_poll();
	hsod_apps_control(rig.apps);
	rig_from_server(&rig, now_us);
	rig_client_events(&rig, client_event);
}

static void
rounds(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		round_once();
}

static struct app_conn *
aconn_for(const struct client *c)
{
	for (unsigned i = 0; i < n_aconns; i++)
		if (aconns[i].client_port == c->port)
			return &aconns[i];
	return NULL;
}

static void
world_down(void)
{
	struct rte_mbuf *m;

	/* Time for everything to end: closes, TIME_WAIT, timers. */
	for (unsigned i = 0; i < n_clients; i++) {
		struct tcp_conn *tc = tcp_tbl_conn_get(rig.ctcp, clients[i].tcp);

		if (tc != NULL && !tcp_conn_over(tc))
			tcp_conn_abort(rig.ctcp, tc);
	}
	for (unsigned k = 0; k < 40; k++) {
		now_us += 500000;
		rounds(4);
	}
	rig_worker_down(&rig);
	for (unsigned i = 0; i < n_clients; i++) {
		struct tcp_conn *tc = tcp_tbl_conn_get(rig.ctcp, clients[i].tcp);

		if (tc != NULL)
			tcp_conn_release(rig.ctcp, tc);
		SSL_free(clients[i].ssl);
	}
	tcp_tbl_output_clear(rig.ctcp);
	tcp_tbl_free(rig.ctcp);
	while (rte_ring_sc_dequeue(rig.rx_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_sc_dequeue(rig.tx_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	/* Every mbuf the worker, TCP and the app took went back. */
	CHECK_MSG(rte_mempool_avail_count(rig.pool) == POOL_MBUFS, "%u mbufs leaked",
		  POOL_MBUFS - rte_mempool_avail_count(rig.pool));
}

static void
handshake_all(void)
{
	for (unsigned k = 0; k < 4000; k++) {
		unsigned up = 0;

		/* Time runs: a SYN-ACK that ARP had to drop is sent again (RTO). */
		if (k % 10 == 9)
			now_us += 5000;
		round_once();
		for (unsigned i = 0; i < n_clients; i++)
			up += clients[i].tls_up;
		if (up == n_clients)
			break;
	}
	for (unsigned i = 0; i < n_clients; i++)
		CHECK_MSG(clients[i].tls_up, "client %u: no handshake", i);
	rounds(20);
}

/* ---- cases ---- */

static void
test_echo(void)
{
	world_up();
	for (unsigned i = 0; i < 6; i++)
		client_new(i < 4);      /* four TLS 1.3, two TLS 1.2 */
	handshake_all();
	CHECK_EQ(n_aconns, 6);
	for (unsigned i = 0; i < n_clients; i++)
		client_send(&clients[i], 65536);
	for (unsigned k = 0; k < 5000; k++) {
		bool done = true;

		round_once();
		for (unsigned i = 0; i < n_clients; i++)
			done &= clients[i].echoed == clients[i].sent;
		if (done)
			break;
	}
	for (unsigned i = 0; i < n_clients; i++) {
		struct app_conn *a = aconn_for(&clients[i]);

		CHECK_EQ(clients[i].echoed, 65536);
		CHECK(a != NULL && a->data == 65536);
	}
	/* The handshake contexts went back once the sessions were handed over. */
	CHECK_EQ(hsod_worker_tls_stats(rig.worker)->hctx.in_use, 0);
	/* Pieces of one TLS record in several mbufs, sent by reference. */
	CHECK(hsod_worker_stats(rig.worker)->app_records > 0);
	CHECK_EQ(hsod_worker_stats(rig.worker)->tx_copied, 0);
	CHECK_EQ(rig.bad_frames, 0);
	/* The client's close_notify: PEER_CLOSED, the app closes, close_notify and FIN back. */
	for (unsigned i = 0; i < n_clients; i++) {
		SSL_shutdown(clients[i].ssl);
		client_flush(&clients[i]);
	}
	rounds(200);
	for (unsigned i = 0; i < n_clients; i++) {
		struct app_conn *a = aconn_for(&clients[i]);

		CHECK(SSL_get_shutdown(clients[i].ssl) & SSL_RECEIVED_SHUTDOWN);
		CHECK(clients[i].fin_in);
		/* TCP closes when the client answers with its FIN. */
		tcp_conn_close(rig.ctcp, tcp_tbl_conn_get(rig.ctcp, clients[i].tcp));
		(void)a;
	}
	rounds(200);
	for (unsigned i = 0; i < n_clients; i++) {
		struct app_conn *a = aconn_for(&clients[i]);

		CHECK_MSG(a != NULL && strcmp(a->log, "ODPC1") == 0, "client %u: app saw %s", i,
			  a != NULL ? a->log : "nothing");
	}
	CHECK_EQ(hsod_worker_sess_stats(rig.worker)->ended[SESS_REASON_DONE], 6);
	world_down();
}

/* A round in which the application does not run: its events wait in the ring. */
static void
round_no_app(void)
{
	now_us += 100;
	tcp_tbl_tick(rig.ctcp, now_us);
	rig_client_events(&rig, client_event);
	for (unsigned i = 0; i < n_clients; i++)
		client_io(&clients[i]);
	rig_to_server(&rig);
	hsod_worker_poll(rig.worker, now_us);
	rig_from_server(&rig, now_us);
	rig_client_events(&rig, client_event);
}

/*
 * hso's echo application when the pool has no mbuf for its sends: every
 * byte must still come back, in order. hso_app_send() then says -ENOMEM
 * ("nothing queued"); an echo that took that as done released the event
 * and went on with the next, and the client got a stream with whole
 * events cut out: in app_echo (netns) "echo differs at byte N; the wrong
 * bytes repeat the stream at byte N+4064", two 2032-byte events dropped,
 * no TLS error (they were never sealed).
 */
static void
test_echo_pool_empty(void)
{
	static struct rte_mbuf *hoard[POOL_MBUFS];
	unsigned n_hoard = 0, polls = 0;
	const struct hso_echo_stats *st;
	uint64_t nomem, evs;

	world_up();
	echo_app = hso_echo_create(rig.app, 0, NULL);
	CHECK(echo_app != NULL);
	if (echo_app == NULL)
		return;
	for (unsigned i = 0; i < 4; i++)
		client_new(i < 2);
	handshake_all();
	for (unsigned i = 0; i < n_clients; i++)
		client_send(&clients[i], 65536);
	/*
	 * Rounds without the application until its events wait in the ring,
	 * then the pool emptied and one poll of the echo: none of its sends
	 * finds an mbuf.
	 */
	for (unsigned k = 0; k < 200 && hsod_worker_stats(rig.worker)->app_events < 8; k++)
		round_no_app();
	CHECK(hsod_worker_stats(rig.worker)->app_events >= 8);
	while (n_hoard < POOL_MBUFS && (hoard[n_hoard] = rte_pktmbuf_alloc(rig.pool)) != NULL)
		n_hoard++;
	for (unsigned k = 0; k < 4; k++)
		polls += (unsigned)hso_echo_poll(echo_app) > 0;
	st = hso_echo_stats(echo_app);
	CHECK_MSG(hso_app_stats(rig.app)->send_nomem > 0,
		  "the echo never found the pool empty (%u polls handled)", polls);
	CHECK(st->send_waits > 0);
	rte_pktmbuf_free_bulk(hoard, n_hoard);
	for (unsigned k = 0; k < 20000; k++) {
		bool done = true;

		round_once();
		for (unsigned i = 0; i < n_clients; i++)
			done &= clients[i].echoed == clients[i].sent;
		if (done)
			break;
	}
	/* client_io() checked every byte against the stream. */
	for (unsigned i = 0; i < n_clients; i++)
		CHECK_MSG(clients[i].echoed == 65536, "client %u: %llu of 65536 bytes echoed", i,
			  (unsigned long long)clients[i].echoed);
	CHECK_EQ(st->bytes, 4u * 65536u);
	/*
	 * The clients' close_notify, and again no mbuf when the echo closes
	 * in answer (PEER_CLOSED): the close waits, it is not lost (a lost
	 * one left the client waiting for the server's close_notify).
	 */
	evs = hsod_worker_stats(rig.worker)->app_events;
	for (unsigned i = 0; i < n_clients; i++) {
		SSL_shutdown(clients[i].ssl);
		client_flush(&clients[i]);
	}
	for (unsigned k = 0; k < 200 && hsod_worker_stats(rig.worker)->app_events < evs + n_clients;
	     k++)
		round_no_app();
	CHECK_EQ(hsod_worker_stats(rig.worker)->app_events, evs + n_clients);
	n_hoard = 0;
	while (n_hoard < POOL_MBUFS && (hoard[n_hoard] = rte_pktmbuf_alloc(rig.pool)) != NULL)
		n_hoard++;
	nomem = hso_app_stats(rig.app)->send_nomem;
	for (unsigned k = 0; k < 4; k++)
		CHECK(hso_echo_poll(echo_app) >= 0);
	CHECK(hso_app_stats(rig.app)->send_nomem > nomem);
	rte_pktmbuf_free_bulk(hoard, n_hoard);
	rounds(200);
	for (unsigned i = 0; i < n_clients; i++)
		CHECK_MSG(SSL_get_shutdown(clients[i].ssl) & SSL_RECEIVED_SHUTDOWN,
			  "client %u: no close_notify from the echo", i);
	/* The echo goes on through the closes; nothing is held by then. */
	world_down();
	hso_echo_free(echo_app);
	echo_app = NULL;
}

/* Data, then RST in the same burst: the app gets the data, then CLOSED(reset). */
static void
test_data_rst(void)
{
	struct client *c;
	struct app_conn *a;

	world_up();
	app_echo_mode = false;
	c = client_new(true);
	handshake_all();
	client_send(c, 3000);
	client_io(c);
	rig_to_server(&rig);                            /* the data's segments wait in the ring */
	tcp_conn_abort(rig.ctcp, tcp_tbl_conn_get(rig.ctcp, c->tcp));
	rig_to_server(&rig);                            /* ... and the RST right behind them */
	rounds(50);
	a = aconn_for(c);
	CHECK(a != NULL);
	if (a != NULL) {
		CHECK_MSG(strcmp(a->log, "ODC2") == 0, "app saw %s", a->log);
		CHECK_EQ(a->data, 3000);
		CHECK(a->n_first > 0 && a->first[0] == stream_byte(0, 0));
		/*
		 * Its handle is stale now, its slot not yet reused: every call
		 * fails at once (hso_app.h), never a send that the worker
		 * drops uncounted until the window is full and then -EAGAIN
		 * for good (an application would hold its data for ever).
		 */
		for (unsigned k = 0; k < HSO_APP_SEND_WINDOW + 2; k++)
			CHECK_EQ(hso_app_send(rig.app, a->conn, "late", 4), -ENOTCONN);
		CHECK_EQ(hso_app_close(rig.app, a->conn), -ENOTCONN);
	}
	CHECK_EQ(hsod_worker_sess_stats(rig.worker)->ended[SESS_REASON_RESET], 1);
	world_down();
}

/*
 * The client's last flight (TLS 1.3 Finished; TLS 1.2 ClientKeyExchange,
 * ChangeCipherSpec, Finished) and its RST right behind it, in one burst
 * (hso-gen --close rst): the flight came before the RST, so hsod reads it.
 * Whole: the handshake completes and is counted, nothing is sent back and
 * no application hears of it. @p cut bytes short of whole: abandoned.
 */
static void
test_finished_rst(bool tls13, unsigned cut)
{
	struct tcp_conn *tc;
	struct client *c;
	uint8_t flight[4096];
	int len = 0;
	bool last = false;
	const struct hs_worker_stats *hs;
	const struct sess_stats *ss;
	uint64_t tx_before;

	world_up();
	c = client_new(tls13);
	/* Rounds as round_once(), until the client has written its last flight. */
	for (unsigned k = 0; k < 4000 && !last; k++) {
		uint8_t buf[16384];
		int n;

		if (k % 10 == 9)
			now_us += 5000;
		now_us += 100;
		tcp_tbl_tick(rig.ctcp, now_us);
		rig_client_events(&rig, client_event);
		tc = tcp_tbl_conn_get(rig.ctcp, c->tcp);
		if (c->connected && tc != NULL) {
			while ((n = tcp_conn_read(rig.ctcp, tc, buf, sizeof(buf))) > 0)
				BIO_write(c->rbio, buf, n);
			/* TLS 1.3: done once Finished is written; TLS 1.2: waiting for the server's. */
			if (SSL_do_handshake(c->ssl) == 1 ||
			    SSL_get_state(c->ssl) == TLS_ST_CW_FINISHED) {
				last = true;
				len = BIO_read(c->wbio, flight, sizeof(flight));
				break;
			}
			client_flush(c);
		}
		rig_to_server(&rig);
		hsod_worker_poll(rig.worker, now_us);
		app_poll();
		hsod_apps_control(rig.apps);
		rig_from_server(&rig, now_us);
		rig_client_events(&rig, client_event);
	}
	CHECK_MSG(last && len > (int)cut, "TLS 1.%d: no last flight (%d bytes)", tls13 ? 3 : 2,
		  len);
	tc = tcp_tbl_conn_get(rig.ctcp, c->tcp);
	if (len > (int)cut && tc != NULL)
		CHECK_EQ(tcp_conn_write(rig.ctcp, tc, flight, (size_t)len - cut), len - (int)cut);
	rig_to_server(&rig);                            /* the flight's segments wait in the ring */
	tcp_conn_abort(rig.ctcp, tc);
	rig_to_server(&rig);                            /* ... and the RST right behind them */
	tx_before = hsod_worker_stats(rig.worker)->tx_packets;
	rounds(50);
	hs = hsod_worker_tls_stats(rig.worker);
	ss = hsod_worker_sess_stats(rig.worker);
	CHECK_MSG(hs->handshakes_completed == (cut == 0 ? 1u : 0u),
		  "TLS 1.%d cut %u: %llu completed", tls13 ? 3 : 2, cut,
		  (unsigned long long)hs->handshakes_completed);
	CHECK_EQ(ss->hs_reset_done, cut == 0 ? 1u : 0u);
	CHECK_EQ(ss->hs_abandoned, cut == 0 ? 0u : 1u);
	CHECK_EQ(ss->ended[SESS_REASON_RESET], 1);
	CHECK_EQ(ss->closed, 1);
	/* Nothing for the application, nothing sent on the reset connection. */
	CHECK_EQ(n_aconns, 0);
	CHECK_EQ(hsod_worker_stats(rig.worker)->tx_packets, tx_before);
	CHECK_EQ(hs->hctx.in_use, 0);
	world_down();
}

/* The handshake deadline: silence after the TCP handshake means RST. */
static void
test_hs_deadline(void)
{
	struct client *c;

	world_up();
	c = client_new(true);
	/* Connected, but no ClientHello: the SSL object is never driven. */
	for (unsigned k = 0; k < 100 && !c->connected; k++) {
		now_us += 100;
		tcp_tbl_tick(rig.ctcp, now_us);
		rig_client_events(&rig, client_event);
		rig_to_server(&rig);
		hsod_worker_poll(rig.worker, now_us);
		rig_from_server(&rig, now_us);
		rig_client_events(&rig, client_event);
	}
	CHECK(c->connected);
	/* Our ACK of the SYN-ACK goes out: the server's TCP accepts. */
	rig_to_server(&rig);
	hsod_worker_poll(rig.worker, now_us);
	now_us += (uint64_t)HS_TIMEOUT_MS * 1000 + 50000;
	for (unsigned k = 0; k < 10; k++) {
		now_us += 100;
		hsod_worker_poll(rig.worker, now_us);
		rig_from_server(&rig, now_us);
		rig_client_events(&rig, client_event);
	}
	CHECK(c->over && c->reset);
	CHECK_EQ(hsod_worker_sess_stats(rig.worker)->hs_timeouts, 1);
	CHECK_EQ(n_aconns, 0);
	world_down();
}

/* The application leaves with sessions open: close_notify and FIN for each. */
static void
test_app_gone(void)
{
	world_up();
	for (unsigned i = 0; i < 3; i++)
		client_new(true);
	handshake_all();
	CHECK_EQ(n_aconns, 3);
	hso_app_detach(rig.app);
	rig.app = NULL;
	for (unsigned k = 0; k < 100; k++) {
		/* A round without the application. */
		now_us += 100;
		rig_client_events(&rig, client_event);
		for (unsigned i = 0; i < n_clients; i++)
			client_io(&clients[i]);
		rig_to_server(&rig);
		hsod_worker_poll(rig.worker, now_us);
		hsod_apps_control(rig.apps);
		rig_from_server(&rig, now_us);
		rig_client_events(&rig, client_event);
	}
	for (unsigned i = 0; i < n_clients; i++) {
		CHECK(SSL_get_shutdown(clients[i].ssl) & SSL_RECEIVED_SHUTDOWN);
		CHECK(clients[i].fin_in);
	}
	CHECK_EQ(hsod_worker_sess_stats(rig.worker)->app_gone, 3);
	rig.app = hso_app_attach_inproc("test", 0);
	world_down();
}

/* Idle connections cost what they touch: sessions, TCP slots, no contexts. */
static void
test_idle(void)
{
	world_up();
	for (unsigned i = 0; i < 300; i++) {
		client_new(i % 2 == 0);
		if (i % 32 == 31)
			rounds(5);
	}
	handshake_all();
	CHECK_EQ(n_aconns, 300);
	CHECK_EQ(hsod_worker_sessions_touched(rig.worker), 300);
	CHECK_EQ(hsod_worker_tls_stats(rig.worker)->hctx.in_use, 0);
	CHECK(hsod_worker_tls_stats(rig.worker)->hctx.in_use_max <= 64);
	CHECK_EQ(hsod_worker_sess_stats(rig.worker)->states[SESS_OPEN], 300);
	/* #11: an idle established connection costs the worker at most 2 KiB. */
	CHECK_MSG(hsod_worker_conn_bytes(rig.worker) <= 2048, "%zu bytes per idle connection",
		  hsod_worker_conn_bytes(rig.worker));
	printf("idle connection: %zu bytes in the worker\n", hsod_worker_conn_bytes(rig.worker));
	world_down();
}

/* The application shuts its side down: close_notify and FIN, the client's data still comes. */
static void
test_shutdown(void)
{
	struct client *c;
	struct app_conn *a;

	world_up();
	app_echo_mode = false;
	c = client_new(true);
	handshake_all();
	a = aconn_for(c);
	CHECK(a != NULL);
	if (a == NULL) {
		world_down();
		return;
	}
	CHECK_EQ(hso_app_send(rig.app, a->conn, "bye", 3), 0);
	CHECK_EQ(hso_app_shutdown(rig.app, a->conn), 0);
	hso_app_flush(rig.app);
	rounds(100);
	CHECK_EQ(c->echoed, 3);
	CHECK(SSL_get_shutdown(c->ssl) & SSL_RECEIVED_SHUTDOWN);
	CHECK(c->fin_in);
	/* Half closed: what the client still sends reaches the application. */
	client_send(c, 5000);
	rounds(100);
	CHECK_EQ(a->data, 5000);
	/* Then the client ends too: PEER_CLOSED, then CLOSED once TCP is done. */
	app_close_on_peer = false;
	SSL_shutdown(c->ssl);
	client_flush(c);
	tcp_conn_close(rig.ctcp, tcp_tbl_conn_get(rig.ctcp, c->tcp));
	rounds(200);
	CHECK_MSG(strcmp(a->log, "ODPC1") == 0, "app saw %s", a->log);
	world_down();
}

/* More handshakes at once than handshake contexts: the rest are reset (fail closed). */
static void
test_hctx_exhausted(void)
{
	unsigned up = 0, reset = 0;

	world_up();
	for (unsigned i = 0; i < 80; i++)
		client_new(true);
	/* The clients' hellos all arrive before any handshake can finish. */
	for (unsigned k = 0; k < 3000; k++) {
		if (k % 10 == 9)
			now_us += 5000;
		round_once();
	}
	for (unsigned i = 0; i < n_clients; i++) {
		up += clients[i].tls_up;
		reset += clients[i].reset;
	}
	CHECK_EQ(up + reset, 80);
	CHECK(up >= 64);
	CHECK_EQ(hsod_worker_stats(rig.worker)->conns_refused, reset);
	CHECK_EQ(hsod_worker_tls_stats(rig.worker)->hctx.exhausted, reset);
	CHECK(hsod_worker_tls_stats(rig.worker)->hctx.in_use_max <= 64);
	CHECK_EQ(n_aconns, up);
	world_down();
}

/*
 * Established records with no plaintext room must not wait for room at the
 * application: a change_cipher_spec after the TLS 1.3 handshake is
 * unexpected_message (RFC 8446 5), a TLS 1.2 record shorter than its tag
 * bad_record_mac (RFC 5246 6.2.3.3). (Empty application data records,
 * RFC 5246 6.2.1, take the same path: tlsfuzzer's test-zero-length-data.)
 */
static void
test_roomless_records(void)
{
	static const uint8_t ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };
	static const uint8_t short_ct[] = { 0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5 };
	const uint8_t *raw[2] = { ccs, short_ct };
	const size_t raw_len[2] = { sizeof(ccs), sizeof(short_ct) };
	const int alert[2] = { SSL_AD_UNEXPECTED_MESSAGE, SSL_AD_BAD_RECORD_MAC };
	struct client *c[2];

	world_up();
	app_echo_mode = false;
	c[0] = client_new(true);
	c[1] = client_new(false);
	handshake_all();
	CHECK_EQ(n_aconns, 2);
	for (unsigned i = 0; i < 2; i++) {
		struct tcp_conn *tc = tcp_tbl_conn_get(rig.ctcp, c[i]->tcp);

		CHECK(tc != NULL && tcp_conn_write(rig.ctcp, tc, raw[i], raw_len[i]) == (int)raw_len[i]);
	}
	rounds(200);
	for (unsigned i = 0; i < 2; i++) {
		/* libssl read the fatal alert. */
		CHECK_MSG(c[i]->ssl_err == SSL_AD_REASON_OFFSET + alert[i], "client %u: reason %d",
			  i, c[i]->ssl_err);
		CHECK(c[i]->fin_in);
		tcp_conn_close(rig.ctcp, tcp_tbl_conn_get(rig.ctcp, c[i]->tcp));
	}
	rounds(200);
	for (unsigned i = 0; i < 2; i++) {
		struct app_conn *a = aconn_for(c[i]);

		CHECK_MSG(a != NULL && strcmp(a->log, "OC3") == 0, "client %u: app saw %s", i,
			  a != NULL ? a->log : "nothing");
	}
	CHECK_EQ(hsod_worker_sess_stats(rig.worker)->ended[SESS_REASON_TLS_ERROR], 2);
	app_echo_mode = true;
	world_down();
}

/*
 * After a fatal alert what the peer sends "MUST be ignored" (RFC 8446 6.1):
 * released unread, so that a client still sending (a large message we
 * refused) reads the alert and our FIN instead of a closed window and, at
 * the handshake deadline, a reset.
 */
static void
test_ignore_after_alert(void)
{
	/* A ClientHello with an empty body: decode_error. */
	static const uint8_t bad[] = { 0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00 };
	static uint8_t junk[4096];
	const uint64_t want = 256 * 1024;
	struct client *c;
	struct tcp_conn *tc;
	uint64_t sent = 0;
	uint32_t empty;

	world_up();
	c = client_new(true);
	c->raw = true;
	for (unsigned k = 0; k < 200 && !c->connected; k++)
		round_once();
	CHECK(c->connected);
	tc = tcp_tbl_conn_get(rig.ctcp, c->tcp);
	if (tc == NULL) {
		CHECK(tc != NULL);
		world_down();
		return;
	}
	empty = tcp_conn_writable(rig.ctcp, tc);   /* nothing queued yet */
	CHECK(tcp_conn_write(rig.ctcp, tc, bad, sizeof(bad)) == (int)sizeof(bad));
	memset(junk, 0x16, sizeof(junk));
	/* Well within the handshake deadline (HS_TIMEOUT_MS): 3000 rounds of 100 us. */
	for (unsigned k = 0; k < 3000 && sent < want; k++) {
		uint32_t room;

		tc = tcp_tbl_conn_get(rig.ctcp, c->tcp);
		if (tc == NULL || tcp_conn_over(tc))
			break;
		room = tcp_conn_writable(rig.ctcp, tc);
		room = room < sizeof(junk) ? room : (uint32_t)sizeof(junk);
		if (room > want - sent)
			room = (uint32_t)(want - sent);
		if (room > 0 && tcp_conn_write(rig.ctcp, tc, junk, room) == (int)room)
			sent += room;
		round_once();
	}
	/* 100 ms more, past the delayed ACK of the last segment. */
	for (unsigned k = 0; k < 100; k++) {
		now_us += 1000;
		round_once();
	}
	CHECK_EQ(sent, want);
	/* The alert: fatal (2), decode_error (50), in plaintext; then our FIN. */
	CHECK(c->n_got >= 7 && c->got[0] == 0x15 && c->got[5] == 2 && c->got[6] == 50);
	CHECK(c->fin_in);
	CHECK(!c->reset);
	/* Every byte was acknowledged: the window never closed on it. */
	tc = tcp_tbl_conn_get(rig.ctcp, c->tcp);
	CHECK_MSG(tc != NULL && tcp_conn_writable(rig.ctcp, tc) == empty, "%p writable %u of %u", (void *)tc, tc ? tcp_conn_writable(rig.ctcp, tc) : 0, empty);
	CHECK(hsod_worker_stats(rig.worker)->rx_bytes_ignored >= want);
	CHECK_EQ(n_aconns, 0);
	world_down();
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[16] = { argv[0], "--no-huge", "-m", "512", "--no-shconf", "--no-pci",
			  "-l", "0", "--no-telemetry", "--log-level", "lib.eal:error" };
	int n = 11;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=tworker%d", (int)getpid());
	eal[n++] = prefix;
	if (rte_eal_init(n, eal) < 0) {
		printf("skip: DPDK EAL cannot start here (%s)\n", rte_strerror(rte_errno));
		return CHECK_SKIP;
	}
	hso_eal_rundir_atexit();        /* a prefix per run: its directory goes at exit */
	setup();
	test_echo();
	test_echo_pool_empty();
	test_data_rst();
	test_finished_rst(true, 0);
	test_finished_rst(true, 10);
	test_finished_rst(false, 0);
	test_finished_rst(false, 10);
	test_hs_deadline();
	test_app_gone();
	test_idle();
	test_shutdown();
	test_hctx_exhausted();
	test_roomless_records();
	test_ignore_after_alert();
	return check_result("test_worker");
}
