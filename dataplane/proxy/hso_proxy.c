/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-proxy: the load-balancer front end of hso. A DPDK secondary process
 * of hsod that attaches through hso_app.h and forwards each TLS session's
 * plaintext to a pool of backend servers over kernel TCP sockets
 * (non-blocking, epoll), optionally after a PROXY protocol v2 header.
 *
 * One thread, one loop: poll hsod's events in bursts, advance the touched
 * connections, epoll the backend sockets (0 ms while busy, 1 ms when idle),
 * push commands, run the timers (connect, idle, queue) and health checks.
 *
 * Flow control without loss, both ways:
 *  - client -> backend: a DATA event is released only once all its bytes
 *    are written to the backend socket. While the socket is not writable
 *    the events stay queued on the connection (at most --conn-queue, and
 *    --max-queued in all); the bytes they hold count against hsod's
 *    per-connection budget, so hsod closes the client's TCP window.
 *  - backend -> client: hso_app_send() takes a message whole or not at all.
 *    On -EAGAIN the bytes stay in the connection's read buffer, the
 *    backend socket leaves epoll's read set, and the send is retried after
 *    the next poll; the backend's TCP window closes meanwhile.
 *
 * Everything is preallocated from the configuration: the connection table
 * (--max-conns) with its handle hash, the held-event nodes (--max-queued),
 * the read buffers (--buffers x --bufsize) and the PROXY headers.
 *
 * This file: the loop, the counters, set-up and main. The rest, one concern
 * a file, is listed in proxy_priv.h.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "proxy_priv.h"

struct proxy_state P;

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
stats_print(FILE *out)
{
	const struct hso_app_stats *as = P.app != NULL ? hso_app_stats(P.app) : NULL;

	fprintf(out, "{\"hso_proxy\":{\"uptime_ms\":%" PRIu64 ",\"active\":%u,"
		"\"waiting\":%u,\"held_events\":%u,\"held_peak\":%u,"
		"\"read_buffers_in_use\":%u,\"backends_in_service\":%u",
		P.now - P.start, P.active, P.timers[TL_WAIT].len,
		P.cfg.max_queued - P.n_held_free, P.held_peak,
		P.cfg.buffers - P.n_free_bufs, pool_up_count(&P.pool));
#define X(n) fprintf(out, ",\"" #n "\":%" PRIu64, P.st.n);
	COUNTERS(X)
#undef X
	if (as != NULL)
		fprintf(out, ",\"app\":{\"events\":%" PRIu64 ",\"opens\":%" PRIu64
			",\"closes\":%" PRIu64 ",\"data_bytes\":%" PRIu64 ",\"sends\":%"
			PRIu64 ",\"send_bytes\":%" PRIu64 ",\"send_eagain\":%" PRIu64 "}",
			as->events, as->opens, as->closes, as->data_bytes, as->sends,
			as->send_bytes, as->send_eagain);
	fprintf(out, ",\"backends\":[");
	for (unsigned i = 0; i < P.pool.n; i++) {
		const struct pool_backend *b = &P.pool.b[i];
		const struct pool_backend_stats *s = &b->st;

		fprintf(out, "%s{\"name\":\"%s\",\"address\":\"%s\",\"up\":%s,"
			"\"check\":\"%s\",\"last_check\":\"%s\","
			"\"weight\":%u,\"maxconn\":%u,\"active\":%u,\"conns\":%" PRIu64
			",\"connect_ok\":%" PRIu64 ",\"connect_refused\":%" PRIu64
			",\"connect_timeout\":%" PRIu64 ",\"connect_error\":%" PRIu64
			",\"resets\":%" PRIu64 ",\"idle_timeouts\":%" PRIu64
			",\"checks_ok\":%" PRIu64 ",\"checks_failed\":%" PRIu64
			",\"passive_failures\":%" PRIu64 ",\"went_down\":%" PRIu64
			",\"went_up\":%" PRIu64 ",\"full\":%" PRIu64 ",\"bytes_to\":%"
			PRIu64 ",\"bytes_from\":%" PRIu64 "}", i ? "," : "", b->name,
			b->addr_str, b->up ? "true" : "false", health_type_name(P.chk[i].type),
			P.chk[i].last, b->weight, b->maxconn,
			b->active, s->conns, s->connect_ok, s->connect_refused,
			s->connect_timeout, s->connect_error, s->resets, s->idle_timeouts,
			s->checks_ok, s->checks_failed, s->passive_failures, s->went_down,
			s->went_up, s->full, s->bytes_to, s->bytes_from);
	}
	fprintf(out, "]}}\n");
	fflush(out);
}

static int
pool_setup(void)
{
	const struct proxy_config *cfg = &P.cfg;

	pool_init(&P.pool, (enum pool_balance)cfg->balance, cfg->fall, cfg->rise);
	for (unsigned i = 0; i < cfg->n_backends; i++) {
		const struct proxy_backend_conf *b = &cfg->backends[i];

		if (pool_add(&P.pool, b->name, b->addr_str, (const struct sockaddr *)&b->addr,
			     b->addr_len, b->weight, b->maxconn) < 0)
			return -EINVAL;
	}
	return checks_setup();
}

/* Split argv at "--": EAL's before, ours after (all ours when there is none). */
static void
split_args(int argc, char **argv, int *eal_argc, int *app_argc, char ***app_argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	if (i == argc) {
		*eal_argc = 1;
		*app_argc = argc - 1;
		*app_argv = argv + 1;
		return;
	}
	*eal_argc = i;
	*app_argc = argc - i - 1;
	*app_argv = argv + i + 1;
}

static const char *
attach_error(int e)
{
	switch (e) {
	case ENOENT: return "no hsod found: is it running with --app external, on "
		"hugepages (not --in-memory), with this --file-prefix?";
	case EPROTO: return "hsod speaks another HSO_APP_ABI: rebuild hso-proxy with it";
	case EBUSY: return "hsod has HSO_APP_MAX applications attached already";
	case EPERM: return "hsod refused the attach";
	case ETIMEDOUT: return "hsod did not answer within 5 s";
	case ENOMEM: return "out of memory";
	default: return strerror(e);
	}
}

/* Sockets closed, held events given back (the library does not track them). */
static void
teardown(void)
{
	for (uint32_t i = 0; P.conns != NULL && i < P.cfg.max_conns; i++) {
		if (!P.conns[i].used)
			continue;
		if (P.conns[i].fd >= 0)
			close(P.conns[i].fd);
		held_drop_all(i);
	}
	checks_close();
	if (P.ep >= 0)
		close(P.ep);
}

static int
run(void)
{
	struct hso_event *evs;
	uint64_t next_stats = 0;
	int rc = EXIT_SUCCESS;

	evs = zalloc(P.cfg.burst, sizeof(*evs), "the event burst");
	if (evs == NULL)
		return EXIT_FAILURE;
	if (P.cfg.stats_interval_s > 0)
		next_stats = P.now + (uint64_t)P.cfg.stats_interval_s * 1000;
	while (!stop) {
		struct epoll_event ee[EP_BATCH];
		uint32_t max = P.cfg.burst < P.n_held_free ? P.cfg.burst : P.n_held_free;
		bool busy = false;
		int n;

		P.now = now_ms();
		if (max == 0) {
			/* Every held-event node is in use: let backends drain first. */
			P.st.poll_stalls++;
		} else {
			n = hso_app_poll(P.app, evs, max);
			if (n < 0) {
				fprintf(stderr, "hso-proxy: %s\n", n == -ESHUTDOWN ?
					"hsod dropped this application (hsod stopping?)" :
					strerror(-n));
				rc = EXIT_FAILURE;
				break;
			}
			for (int i = 0; i < n; i++)
				on_event(&evs[i]);
			busy = n > 0;
		}
		busy |= retry_run();
		if (P.kick && P.timers[TL_WAIT].head != NIL)
			wait_kick();
		n = epoll_wait(P.ep, ee, EP_BATCH, busy ? 0 : 1);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "hso-proxy: epoll_wait: %s\n", strerror(errno));
			rc = EXIT_FAILURE;
			break;
		}
		P.now = now_ms();
		for (int i = 0; i < n; i++) {
			if (ee[i].data.u64 & CHECK_TAG)
				check_event(&ee[i]);
			else
				on_epoll(&ee[i]);
		}
		if (hso_app_flush(P.app) == -ESHUTDOWN) {
			fprintf(stderr, "hso-proxy: hsod dropped this application (hsod "
				"stopping?)\n");
			rc = EXIT_FAILURE;
			break;
		}
		timers_run();
		checks_run();
		if (next_stats != 0 && P.now >= next_stats) {
			stats_print(stdout);
			next_stats = P.now + (uint64_t)P.cfg.stats_interval_s * 1000;
		}
	}
	P.now = now_ms();
	free(evs);
	return rc;
}

int
main(int argc, char **argv)
{
	char err[PROXY_ERR_LEN];
	char **app_argv, **eal_argv;
	int eal_argc, app_argc, rc;
	bool has_proc_type = false;
	struct sigaction sa;

	P.ep = -1;
	split_args(argc, argv, &eal_argc, &app_argc, &app_argv);
	if (proxy_config_parse(&P.cfg, app_argc, app_argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "hso-proxy: %s\nhso-proxy: see hso-proxy --help\n", err);
		return EXIT_FAILURE;
	}
	if (P.cfg.help) {
		proxy_config_usage(stdout);
		return EXIT_SUCCESS;
	}
	P.now = P.start = now_ms();
	if (tables_alloc() != 0 || pool_setup() != 0)
		return EXIT_FAILURE;

	/* An application is a secondary process of hsod: say so unless told. */
	eal_argv = zalloc((size_t)eal_argc + 2, sizeof(*eal_argv), "EAL arguments");
	if (eal_argv == NULL)
		return EXIT_FAILURE;
	for (int i = 0; i < eal_argc; i++) {
		eal_argv[i] = argv[i];
		has_proc_type |= strncmp(argv[i], "--proc-type", 11) == 0;
	}
	if (!has_proc_type)
		eal_argv[eal_argc++] = (char *)(uintptr_t)"--proc-type=secondary";
	rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0) {
		int e = rte_errno;

		free(eal_argv);
		/*
		 * rte_eal_init() says ENOMEM only when hsod's memory cannot be
		 * mapped: a secondary maps it at the addresses hsod chose, and
		 * one of them is taken here (EAL's "Cannot reserve ... at
		 * [ADDR]" above names it). Anything earlier (no hsod with that
		 * prefix, hsod --in-memory) is another errno.
		 */
		if (e == ENOMEM)
			fprintf(stderr, "hso-proxy: EAL: cannot map hsod's shared memory at "
				"the addresses hsod uses (EAL's message above names them): "
				"they are in use in this process. Start hsod with an EAL "
				"--base-virtaddr whose range is free in both processes (an "
				"AddressSanitizer build of hsod does so itself).\n");
		else
			fprintf(stderr, "hso-proxy: EAL: cannot initialise%s%s. hso-proxy is a "
				"DPDK secondary process: start hsod first (on hugepages, not "
				"--in-memory) and give its --file-prefix.\n",
				e != 0 ? ": " : "", e != 0 ? rte_strerror(e) : "");
		return EXIT_FAILURE;
	}
	P.app = hso_app_attach(P.cfg.name, 0);
	if (P.app == NULL) {
		fprintf(stderr, "hso-proxy: attach: %s\n", attach_error(errno));
		rte_eal_cleanup();
		return EXIT_FAILURE;
	}
	P.ep = epoll_create1(EPOLL_CLOEXEC);
	if (P.ep < 0) {
		fprintf(stderr, "hso-proxy: epoll_create1: %s\n", strerror(errno));
		hso_app_detach(P.app);
		rte_eal_cleanup();
		return EXIT_FAILURE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;      /* no SA_RESTART: epoll_wait returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "hso-proxy: %u backends, %s, up to %u connections%s%s\n",
		P.pool.n, P.cfg.balance == POOL_LEASTCONN ? "leastconn" : "roundrobin",
		P.cfg.max_conns, P.cfg.proxy_protocol ? ", PROXY protocol v2" : "",
		P.cfg.http ? ", HTTP" : "");
	printf("hso-proxy: attached\n");
	fflush(stdout);

	rc = run();

	stats_print(stdout);
	teardown();
	if (hso_app_detach(P.app) != 0)
		fprintf(stderr, "hso-proxy: hsod did not confirm the detach\n");
	P.app = NULL;
	rte_eal_cleanup();
	free(eal_argv);
	return rc;
}
