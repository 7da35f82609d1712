/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-bench-idle: what one hsod worker core spends per handshake with N
 * idle TLS connections open beside them, against what it spends with none,
 * in one process (#11: "handshake cost at 1M idle connections within 5% of
 * the cost at 0").
 *
 * A whole worker on a net_ring port with the echo application attached
 * (ring_rig.h) and, on the other side, libssl clients over hso's TCP core,
 * all on one lcore: rte_rdtsc() around hsod_worker_poll() charges the
 * worker's cycles exactly, whatever the clients cost. That takes out what
 * makes bench/e2e_idle.sh's figure noisy on a small machine (two processes
 * per side sharing cores, memif rings, batching that depends on timing),
 * and keeps what idle connections can change: hsod's tables, timer wheel
 * and memory, and the cache they leave to the rest.
 *
 * The run, in one process:
 *   fresh:     R windows per kind with no idle connection ever opened;
 *   R rounds:  for each N of --idle (in reverse on odd rounds), N idle
 *              connections opened (TLS 1.2 resumed handshakes, then left
 *              silent), a window per kind ("held", kinds in reverse on odd
 *              rounds); the N reset and waited for until hsod holds none, a
 *              window per kind ("released": the same process, tables and
 *              memory, only the idle connections gone).
 * hsod's max_conns is the largest N + 4096 throughout, so the Ns differ in
 * their idle connections only.
 * A window is --warmup then --seconds of a closed loop of --conc clients,
 * each doing one handshake of the kind and closing (FIN, as a browser that
 * leaves), again and again. Kinds: tls13_ecdsa (TLS 1.3 full, X25519,
 * ECDSA P-256), tls12_resumed (TLS 1.2 ticket, ECDHE-ECDSA-AES128-GCM).
 * --conc 32 (the default) keeps the worker's bursts full: at 8, windows of
 * one state differed by up to 8% for resumed handshakes, at 32 by 3%.
 *
 *   hso-bench-idle [--idle N[,N...]] [--rounds R] [--seconds S] [--warmup S]
 *                  [--conc K] [--mem MB] [-- EAL options]
 *
 * One JSON object on stdout: every window's worker µs per handshake
 * (cycles scaled by cpu_share, as hso-bench-echo) and ("cost"), per N and
 * kind, the medians of the fresh, held and released windows, held_vs_fresh and
 * released_vs_fresh (ratios of those medians) and held_vs_released (the
 * median of the rounds' own ratios, with min and max). Exit 1 when a
 * handshake fails or is not resumed, an idle connection is lost, or a
 * window completes none; 77 when EAL cannot start. --idle 1000000 takes
 * ~50 s to open per round and ~1.5 GB (hsod's side and the clients').
 * Default: --idle 100000 --rounds 3 --seconds 2 --warmup 0.5 --conc 32.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "apps.h"
#include "app.h"
#include "hso_app.h"
#include "ring_rig.h"
#include "session.h"
#include "worker.h"

#define CONC_MAX 256u
#define OPEN_CONC 128u
#define ROUNDS_MAX 16u
#define NS_MAX 4u       /* idle counts in one run */
#define WBUF 16384u
#define RELEASE_S 120u /* hsod holds no session this long after the resets: fail */
#define N_SRCS 64u      /* client addresses 198.18.0.10-73: 64 x 64,512 ports */

enum kind { K_TLS13_ECDSA, K_TLS12_RESUMED, K_NUM };
static const char *const kind_name[K_NUM] = { "tls13_ecdsa", "tls12_resumed" };

static struct {
	unsigned idle[NS_MAX], n_idle, idle_max, rounds, conc;
	double seconds, warmup;
	const char *mem;
} opt = { { 100000 }, 1, 100000, 3, 32, 2.0, 0.5, "2048" };

static struct rig rig;
static SSL_CTX *ctx[K_NUM];
static SSL_SESSION *ticket;             /* resumed from, by every tls12_resumed client */
static uint64_t now_us;
static uint8_t scratch[65536];
static int idle_tag;                    /* tcp user of an idle connection */

struct client {
	uint64_t tcp;
	bool live, connected, done, closing;
	bool keep;                      /* an opener: its connection stays, idle */
	enum kind kind;
	SSL *ssl;
	BIO *rbio, *wbio;
	uint8_t wbuf[WBUF];
	size_t wlen, woff;
};
static struct client loop_c[CONC_MAX], open_c[OPEN_CONC];

static uint64_t *idle_h;                /* the idle connections' TCP handles */
static unsigned n_idle;
static uint64_t idle_lost, failures, not_resumed, worker_cycles;

static void
die(const char *what)
{
	fprintf(stderr, "hso-bench-idle: %s\n", what);
	exit(1);
}

/* ---- clients ------------------------------------------------------------ */

static void
client_start(struct client *c, enum kind k, bool keep)
{
	int r;

	memset(c, 0, offsetof(struct client, wbuf));
	c->kind = k;
	c->keep = keep;
	c->ssl = rig_ssl_client(ctx[k], &c->rbio, &c->wbio);
	if (k == K_TLS12_RESUMED && ticket != NULL)
		SSL_set_session(c->ssl, ticket);
	r = tcp_tbl_connect(rig.ctcp, RIG_SERVER_ADDR, 443, c, now_us, &c->tcp);
	if (r != 0) {
		fprintf(stderr, "hso-bench-idle: tcp_tbl_connect: %s\n", strerror(-r));
		exit(1);
	}
	c->wlen = c->woff = 0;
	c->live = true;
}

static void
client_end(struct client *c)
{
	/* Else OpenSSL marks the shared ticket session unresumable at SSL_free(). */
	if (c->done)
		SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(c->ssl);               /* frees the BIOs too */
	c->ssl = NULL;
	c->live = false;
}

static void
client_io(struct client *c)
{
	struct tcp_conn *tc = tcp_tbl_conn_get(rig.ctcp, c->tcp);
	int n;

	if (tc == NULL || !c->connected || c->closing)
		return;
	while ((n = tcp_conn_read(rig.ctcp, tc, scratch, sizeof(scratch))) > 0)
		BIO_write(c->rbio, scratch, n);
	if (!c->done) {
		n = SSL_do_handshake(c->ssl);
		if (n == 1) {
			c->done = true;
		} else if (SSL_get_error(c->ssl, n) != SSL_ERROR_WANT_READ) {
			unsigned long e = ERR_get_error();

			fprintf(stderr, "hso-bench-idle: %s handshake: %s\n", kind_name[c->kind],
				e ? ERR_error_string(e, NULL) : "failed");
			failures++;
			tcp_conn_release(rig.ctcp, tc);
			client_end(c);
			return;
		}
	}
	if (c->woff == c->wlen) {
		c->woff = c->wlen = 0;
		n = BIO_read(c->wbio, c->wbuf, (int)sizeof(c->wbuf));
		if (n > 0)
			c->wlen = (size_t)n;
	}
	if (c->wlen > c->woff) {
		n = tcp_conn_write(rig.ctcp, tc, c->wbuf + c->woff, c->wlen - c->woff);
		if (n > 0)
			c->woff += (size_t)n;
	}
	if (!c->done || c->wlen > c->woff || BIO_ctrl_pending(c->wbio) > 0)
		return;
	/* Done, and everything it wrote is queued in TCP. */
	if (c->kind == K_TLS12_RESUMED && ticket != NULL && !SSL_session_reused(c->ssl))
		not_resumed++;
	if (c->kind == K_TLS12_RESUMED && ticket == NULL)
		ticket = SSL_get1_session(c->ssl);
	if (c->keep) {
		tcp_conn_set_user(tc, &idle_tag);
		idle_h[n_idle++] = c->tcp;
		client_end(c);
		return;
	}
	c->closing = true;
	tcp_conn_close(rig.ctcp, tc);   /* FIN after the last flight */
}

static void
client_event(const struct tcp_event *ev)
{
	struct client *c = ev->user;
	struct tcp_conn *tc;

	if ((void *)c == (void *)&idle_tag) {
		if (ev->events & TCP_EV_CLOSED) {
			idle_lost++;
			tc = tcp_tbl_conn_get(rig.ctcp, ev->handle);
			if (tc != NULL)
				tcp_conn_release(rig.ctcp, tc);
		}
		return;
	}
	if (ev->events & TCP_EV_CONNECTED)
		c->connected = true;
	if (ev->events & TCP_EV_CLOSED) {
		if (!c->closing) {
			fprintf(stderr, "hso-bench-idle: a %s connection closed before its "
				"handshake was done (events 0x%x)\n", kind_name[c->kind], ev->events);
			failures++;
		}
		tc = tcp_tbl_conn_get(rig.ctcp, ev->handle);
		if (tc != NULL)
			tcp_conn_release(rig.ctcp, tc);
		if (c->live)
			client_end(c);
	}
}

/* One pass: clients, then the worker (timed), then the application, then frames back. */
static void
round_once(void)
{
	uint64_t t1, t2;

	now_us = rig_clock_us();
	tcp_tbl_tick(rig.ctcp, now_us);
	rig_client_events(&rig, client_event);
	for (unsigned i = 0; i < opt.conc; i++)
		if (loop_c[i].live)
			client_io(&loop_c[i]);
	for (unsigned i = 0; i < OPEN_CONC; i++)
		if (open_c[i].live)
			client_io(&open_c[i]);
	rig_to_server(&rig);
	t1 = rte_rdtsc();
	hsod_worker_poll(rig.worker, now_us);
	t2 = rte_rdtsc();
	worker_cycles += t2 - t1;
	hso_echo_poll(rig.echo);
	hsod_apps_control(rig.apps);
	rig_from_server(&rig, now_us);
	rig_client_events(&rig, client_event);
	if (failures > 0 || idle_lost > 0 || not_resumed > 0) {
		fprintf(stderr, "hso-bench-idle: %llu failed handshakes, %llu not resumed, %llu "
			"idle connections lost\n", (unsigned long long)failures,
			(unsigned long long)not_resumed, (unsigned long long)idle_lost);
		exit(1);
	}
}

/* ---- phases ------------------------------------------------------------- */

static unsigned
sess_live(void)
{
	const struct sess_stats *s = hsod_worker_sess_stats(rig.worker);
	unsigned n = 0;

	for (unsigned k = 1; k < SESS_STATE_NUM; k++)
		n += s->states[k];
	return n;
}

/* Open idle connections until @p n are held. */
static void
idle_open(unsigned n)
{
	uint64_t deadline = rte_rdtsc() + (uint64_t)(600 * rte_get_tsc_hz());

	while (n_idle < n) {
		unsigned in_flight = 0;

		for (unsigned i = 0; i < OPEN_CONC; i++)
			in_flight += open_c[i].live;
		for (unsigned i = 0; i < OPEN_CONC && n_idle + in_flight < n; i++)
			if (!open_c[i].live) {
				client_start(&open_c[i], K_TLS12_RESUMED, true);
				in_flight++;
			}
		round_once();
		if (rte_rdtsc() > deadline)
			die("opening the idle connections took over 600 s");
	}
	/* Until hsod has taken every client Finished: all N established there. */
	while (hsod_worker_sess_stats(rig.worker)->states[SESS_OPEN] < n) {
		round_once();
		if (rte_rdtsc() > deadline)
			die("hsod did not count every idle connection");
	}
}

/* Reset every idle connection, a burst a pass, until hsod holds none. */
static void
idle_release(void)
{
	uint64_t deadline = rte_rdtsc() + (uint64_t)(RELEASE_S * rte_get_tsc_hz());

	while (n_idle > 0) {
		/* No more resets than hsod's receive ring has room for: a lost one stays lost. */
		unsigned room = rte_ring_free_count(rig.rx_ring);

		for (unsigned k = 0; k + 64 < room && k < 64 && n_idle > 0; k++) {
			struct tcp_conn *tc = tcp_tbl_conn_get(rig.ctcp, idle_h[--n_idle]);

			if (tc != NULL)
				tcp_conn_release(rig.ctcp, tc);
		}
		round_once();
	}
	while (sess_live() > 0) {
		round_once();
		if (rte_rdtsc() > deadline) {
			const struct sess_stats *ss = hsod_worker_sess_stats(rig.worker);

			for (unsigned k = 1; k < SESS_STATE_NUM; k++)
				if (ss->states[k] != 0)
					fprintf(stderr, "  hsod sessions %s: %u\n", sess_state_name(k),
						ss->states[k]);
			for (unsigned k = 0; k < TCP_DROP_NUM; k++)
				if (hsod_worker_tcp_stats(rig.worker)->drops[k] != 0)
					fprintf(stderr, "  hsod TCP drops %s: %llu\n", tcp_drop_name(k),
						(unsigned long long)hsod_worker_tcp_stats(rig.worker)->drops[k]);
			fprintf(stderr, "  frames to hsod dropped (ring full): %llu\n",
				(unsigned long long)rig.ring_full);
			die("hsod still holds sessions 120 s after the release");
		}
	}
}

struct window {
	double us_per_hs;               /* worker µs per handshake */
	uint64_t handshakes;
	double cpu_share;
};

/* Closed loop of one kind: --warmup, then --seconds measured. */
static struct window
window_run(enum kind k)
{
	const struct hs_worker_stats *hs = hsod_worker_tls_stats(rig.worker);
	uint64_t hz = rte_get_tsc_hz(), t_end, w0, c_at0, hs_at0, res_at0;
	struct timespec c0, c1;
	struct window w;

	for (unsigned i = 0; i < opt.conc; i++)
		loop_c[i].kind = k;
	t_end = rte_rdtsc() + (uint64_t)(opt.warmup * (double)hz);
	for (;;) {
		bool measuring = rte_rdtsc() >= t_end;

		for (unsigned i = 0; i < opt.conc; i++)
			if (!loop_c[i].live)
				client_start(&loop_c[i], k, false);
		round_once();
		if (measuring)
			break;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	w0 = rte_rdtsc();
	c_at0 = worker_cycles;
	hs_at0 = hs->handshakes_completed;
	res_at0 = hs->resumed;
	t_end = w0 + (uint64_t)(opt.seconds * (double)hz);
	while (rte_rdtsc() < t_end) {
		for (unsigned i = 0; i < opt.conc; i++)
			if (!loop_c[i].live)
				client_start(&loop_c[i], k, false);
		round_once();
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	w.cpu_share = ((double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9) /
		      ((double)(rte_rdtsc() - w0) / (double)hz);
	if (w.cpu_share > 1.0)
		w.cpu_share = 1.0;
	w.handshakes = hs->handshakes_completed - hs_at0;
	if (w.handshakes == 0)
		die("a window completed no handshake");
	/* Resumptions count at the ClientHello, handshakes at the Finished. */
	if (k == K_TLS12_RESUMED && hs->resumed - res_at0 + opt.conc < w.handshakes) {
		fprintf(stderr, "hso-bench-idle: tls12_resumed window: %llu handshakes, %llu "
			"resumed\n", (unsigned long long)w.handshakes,
			(unsigned long long)(hs->resumed - res_at0));
		exit(1);
	}
	w.us_per_hs = (double)(worker_cycles - c_at0) * w.cpu_share / (double)hz * 1e6 /
		      (double)w.handshakes;
	/* Let the loop's connections finish, so the next phase starts from none. */
	for (uint64_t end = rte_rdtsc() + 5 * hz;;) {
		bool any = false;

		round_once();
		for (unsigned i = 0; i < opt.conc; i++)
			any |= loop_c[i].live;
		if (!any)
			break;
		if (rte_rdtsc() > end)
			die("the loop's connections did not close within 5 s");
	}
	return w;
}

/* ---- output ------------------------------------------------------------- */

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Every window of the run. */
static struct {
	struct window fresh[ROUNDS_MAX][K_NUM];
	struct window held[ROUNDS_MAX][NS_MAX][K_NUM], rel[ROUNDS_MAX][NS_MAX][K_NUM];
	double open_s[ROUNDS_MAX][NS_MAX];
} res;

static void
print_windows(const char *name, const struct window *w)
{
	printf("\"%s\": {", name);
	for (unsigned k = 0; k < K_NUM; k++)
		printf("%s\"%s\": {\"us_per_handshake\": %.3f, \"handshakes\": %llu, "
		       "\"cpu_share\": %.3f}", k ? ", " : "", kind_name[k], w[k].us_per_hs,
		       (unsigned long long)w[k].handshakes, w[k].cpu_share);
	printf("}");
}

static int
parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;

		if (strcmp(a, "--") == 0)
			return i;
		if (v == NULL)
			goto bad;
		errno = 0;
		if (strcmp(a, "--idle") == 0) {
			/* N[,N...]: ascending, up to NS_MAX */
			const char *q = v;

			opt.n_idle = 0;
			do {
				if (opt.n_idle == NS_MAX)
					goto bad;
				opt.idle[opt.n_idle] = (unsigned)strtoul(q, &end, 10);
				if (end == q || opt.idle[opt.n_idle] == 0 ||
				    opt.idle[opt.n_idle] > 4000000 ||
				    (opt.n_idle > 0 && opt.idle[opt.n_idle] <= opt.idle[opt.n_idle - 1]))
					goto bad;
				opt.n_idle++;
				q = end + 1;
			} while (*end == ',');
			opt.idle_max = opt.idle[opt.n_idle - 1];
		} else if (strcmp(a, "--rounds") == 0)
			opt.rounds = (unsigned)strtoul(v, &end, 10);
		else if (strcmp(a, "--conc") == 0)
			opt.conc = (unsigned)strtoul(v, &end, 10);
		else if (strcmp(a, "--seconds") == 0)
			opt.seconds = strtod(v, &end);
		else if (strcmp(a, "--warmup") == 0)
			opt.warmup = strtod(v, &end);
		else if (strcmp(a, "--mem") == 0) {
			opt.mem = v;
			strtoul(v, &end, 10);
		} else
			goto bad;
		if (errno != 0 || end == v || *end != '\0')
			goto bad;
		i++;
	}
	if (opt.rounds == 0 || opt.rounds > ROUNDS_MAX ||
	    opt.conc == 0 || opt.conc > CONC_MAX || opt.seconds <= 0 || opt.warmup < 0)
		goto bad;
	return argc;
bad:
	fprintf(stderr, "usage: hso-bench-idle [--idle N[,N...] (ascending, <= %u of them, "
		"each <= 4000000)] [--rounds R<=%u] [--seconds S] [--warmup S] [--conc K<=%u] "
		"[--mem MB] [-- EAL options]\n", NS_MAX, ROUNDS_MAX, CONC_MAX);
	exit(2);
}

/* The figures of one kind at one N: medians over the rounds. */
static void
print_cost(unsigned n, unsigned k)
{
	double f[ROUNDS_MAX], h[ROUNDS_MAX], l[ROUNDS_MAX], hl[ROUNDS_MAX];
	double mf, mh, ml, lo = 1e9, hi = 0;

	for (unsigned r = 0; r < opt.rounds; r++) {
		f[r] = res.fresh[r][k].us_per_hs;
		h[r] = res.held[r][n][k].us_per_hs;
		l[r] = res.rel[r][n][k].us_per_hs;
		hl[r] = h[r] / l[r];
		lo = hl[r] < lo ? hl[r] : lo;
		hi = hl[r] > hi ? hl[r] : hi;
	}
	mf = median(f, opt.rounds);
	mh = median(h, opt.rounds);
	ml = median(l, opt.rounds);
	printf("\"%s\": {\"us_fresh\": %.3f, \"us_held\": %.3f, \"us_released\": %.3f, "
	       "\"held_vs_fresh\": %.4f, \"released_vs_fresh\": %.4f, "
	       "\"held_vs_released\": %.4f, \"held_vs_released_min\": %.4f, "
	       "\"held_vs_released_max\": %.4f}", kind_name[k], mf, mh, ml, mh / mf, ml / mf,
	       median(hl, opt.rounds), lo, hi);
}

int
main(int argc, char **argv)
{
	char conns[16];
	const char *server_args[] = { "--max-conns", conns, "--idle-timeout", "86400000" };
	int dash = parse_args(argc, argv);
	uint32_t srcs[N_SRCS];
	struct tcp_config tc;

	if (rig_eal_init(&rig, argc, argv, dash, "hsoidle", opt.mem) != 0)
		return 77;
	rig.pool_cache = 256;
	/*
	 * One max_conns for every N (the largest + room for the loop's and the
	 * openers'; hsod closes passively, so no TIME_WAIT there): only the idle
	 * connections differ between N, not the tables.
	 */
	snprintf(conns, sizeof(conns), "%u", opt.idle_max + 4096u);
	rig_server(&rig, server_args, 4);
	tcp_config_init(&tc);
	/* Idle ones, openers, and the loop's in TIME_WAIT (1 s of handshakes). */
	tc.max_conns = opt.idle_max + 131072u;
	tc.idle_timeout_us = 0;
	tc.time_wait_us = 1000000;
	for (unsigned i = 0; i < N_SRCS; i++)
		srcs[i] = RIG_CLIENT_ADDR + i;
	rig_clients(&rig, &tc, srcs, N_SRCS, 1024, 65535);
	idle_h = calloc(opt.idle_max, sizeof(*idle_h));
	if (idle_h == NULL)
		die("calloc");

	for (unsigned k = 0; k < K_NUM; k++) {
		ctx[k] = SSL_CTX_new(TLS_client_method());
		if (ctx[k] == NULL)
			die("SSL_CTX_new");
		SSL_CTX_set_verify(ctx[k], SSL_VERIFY_NONE, NULL);
		if (k == K_TLS13_ECDSA) {
			SSL_CTX_set_min_proto_version(ctx[k], TLS1_3_VERSION);
			SSL_CTX_set_ciphersuites(ctx[k], "TLS_AES_128_GCM_SHA256");
			SSL_CTX_set1_groups_list(ctx[k], "X25519");
			SSL_CTX_set1_sigalgs_list(ctx[k], "ECDSA+SHA256");
		} else {
			/* P-256 offered: RFC 8422 5.1 lets an ECDSA P-256 certificate be used only then. */
			SSL_CTX_set_max_proto_version(ctx[k], TLS1_2_VERSION);
			SSL_CTX_set_cipher_list(ctx[k], "ECDHE-ECDSA-AES128-GCM-SHA256");
		}
	}
	now_us = rig_clock_us();
	/* The ticket every resumed handshake uses: one full TLS 1.2 handshake. */
	client_start(&loop_c[0], K_TLS12_RESUMED, false);
	for (uint64_t end = rte_rdtsc() + 10 * rte_get_tsc_hz(); loop_c[0].live;) {
		round_once();
		if (rte_rdtsc() > end)
			die("the first TLS 1.2 handshake did not complete");
	}
	if (ticket == NULL)
		die("no TLS 1.2 session to resume");

	for (unsigned r = 0; r < opt.rounds; r++)
		for (unsigned k = 0; k < K_NUM; k++)
			res.fresh[r][k] = window_run((enum kind)k);
	for (unsigned r = 0; r < opt.rounds; r++) {
		/* Odd rounds take the Ns and the kinds in reverse: a drift weighs on all alike. */
		for (unsigned j = 0; j < opt.n_idle; j++) {
			unsigned n = r % 2 ? opt.n_idle - 1 - j : j;
			uint64_t t0 = rte_rdtsc();

			idle_open(opt.idle[n]);
			res.open_s[r][n] = (double)(rte_rdtsc() - t0) / (double)rte_get_tsc_hz();
			for (unsigned i = 0; i < K_NUM; i++) {
				unsigned k = r % 2 ? K_NUM - 1 - i : i;

				res.held[r][n][k] = window_run((enum kind)k);
			}
			idle_release();
			for (unsigned i = 0; i < K_NUM; i++) {
				unsigned k = r % 2 ? K_NUM - 1 - i : i;

				res.rel[r][n][k] = window_run((enum kind)k);
			}
		}
	}

	printf("{\"bench\": \"idle\", \"idle\": [");
	for (unsigned n = 0; n < opt.n_idle; n++)
		printf("%s%u", n ? ", " : "", opt.idle[n]);
	printf("], \"max_conns\": %s, \"rounds\": %u, \"seconds\": %.3f, \"warmup\": %.3f, "
	       "\"conc\": %u, \"idle_kind\": \"tls12_resumed\", \"close\": \"client FIN\", "
	       "\"tsc_hz\": %llu, \"round\": [", conns, opt.rounds, opt.seconds, opt.warmup,
	       opt.conc, (unsigned long long)rte_get_tsc_hz());
	for (unsigned r = 0; r < opt.rounds; r++) {
		printf("%s{", r ? ", " : "");
		print_windows("fresh", res.fresh[r]);
		printf(", \"idle\": [");
		for (unsigned n = 0; n < opt.n_idle; n++) {
			printf("%s{\"idle\": %u, \"open_seconds\": %.2f, ", n ? ", " : "",
			       opt.idle[n], res.open_s[r][n]);
			print_windows("held", res.held[r][n]);
			printf(", ");
			print_windows("released", res.rel[r][n]);
			printf("}");
		}
		printf("]}");
	}
	printf("], \"cost\": [");
	for (unsigned n = 0; n < opt.n_idle; n++) {
		printf("%s{\"idle\": %u", n ? ", " : "", opt.idle[n]);
		for (unsigned k = 0; k < K_NUM; k++) {
			printf(", ");
			print_cost(n, k);
		}
		printf("}");
	}
	printf("], \"not_resumed\": %llu, \"ring_full\": %llu, \"bad_frames\": %llu}\n",
	       (unsigned long long)not_resumed, (unsigned long long)rig.ring_full,
	       (unsigned long long)rig.bad_frames);
	rig_cleanup(&rig);
	return 0;
}
