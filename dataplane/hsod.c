/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hsod: the daemon. Order matters for operators: the configuration, the
 * certificates and the ticket keys are all checked before EAL starts, so a
 * bad config exits non-zero without touching any port. Then EAL, the port
 * (one RX/TX queue pair per worker lcore, RSS across them), the workers'
 * poll loops, telemetry, and one line "hsod: ready" on stdout.
 *
 * What a worker does today: ARP, IPv4 validation and ICMP echo (net.c);
 * TCP segments are answered as a closed port answers them (RST) until the
 * TCP core and the TLS engine are wired in (issue: dataplane and hsod).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_telemetry.h>

#include "config.h"
#include "handshake.h"
#include "net.h"

#define BURST 32
#define RX_DESC 1024
#define TX_DESC 1024
#define MAX_WORKERS RTE_MAX_LCORE

/* Per-worker state: one cache line apart, nothing shared on the fast path. */
struct worker {
	unsigned lcore;
	uint16_t port, queue;
	struct hsod_net net;
	uint64_t rx_packets, tx_packets, tx_dropped;
	uint64_t busy_cycles, idle_cycles;
} __rte_cache_aligned;

static atomic_bool force_quit;
static struct worker workers[MAX_WORKERS];
static unsigned n_workers;
static struct rte_mempool *pool;
static struct hsod_config conf;

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store(&force_quit, true);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Transmit what fits; free the rest (counted: a full TX ring is a drop). */
static void
send_burst(struct worker *w, struct rte_mbuf **tx, uint16_t n)
{
	uint16_t sent = n ? rte_eth_tx_burst(w->port, w->queue, tx, n) : 0;

	w->tx_packets += sent;
	if (unlikely(sent < n)) {
		w->tx_dropped += n - sent;
		rte_pktmbuf_free_bulk(tx + sent, n - sent);
	}
}

static int
worker_main(void *arg)
{
	struct worker *w = arg;
	struct rte_mbuf *rx[BURST], *tx[BURST];

	while (!atomic_load_explicit(&force_quit, memory_order_relaxed)) {
		uint64_t t0 = rte_rdtsc();
		uint16_t n = rte_eth_rx_burst(w->port, w->queue, rx, BURST), ntx = 0;
		uint64_t now = now_us();

		if (n == 0) {
			w->idle_cycles += rte_rdtsc() - t0;
			continue;
		}
		w->rx_packets += n;
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = rx[i];

			switch (hsod_net_input(&w->net, m, now)) {
			case HSOD_NET_REPLY:
				tx[ntx++] = m;
				break;
			case HSOD_NET_TCP:
				/* No TCP yet: every port is closed (RFC 9293 3.10.7.1). */
				if (hsod_net_tcp_reset(&w->net, m))
					tx[ntx++] = m;
				else
					rte_pktmbuf_free(m);
				break;
			default:
				rte_pktmbuf_free(m);
				break;
			}
		}
		send_burst(w, tx, ntx);
		w->busy_cycles += rte_rdtsc() - t0;
	}
	return 0;
}

/* /hso/stats: totals, then the same per worker. */
static void
stats_fill(struct rte_tel_data *d, const struct worker *ws, unsigned n)
{
	uint64_t rx = 0, tx = 0, drops = 0, busy = 0, idle = 0, rst = 0;
	uint64_t by_reason[HSOD_DROP_NUM] = { 0 };

	for (unsigned i = 0; i < n; i++) {
		rx += ws[i].rx_packets;
		tx += ws[i].tx_packets;
		busy += ws[i].busy_cycles;
		idle += ws[i].idle_cycles;
		rst += ws[i].net.stats.tx_rst;
		drops += ws[i].tx_dropped;
		for (int r = 0; r < HSOD_DROP_NUM; r++) {
			by_reason[r] += ws[i].net.stats.drops[r];
			drops += ws[i].net.stats.drops[r];
		}
	}
	rte_tel_data_add_dict_u64(d, "rx_packets", rx);
	rte_tel_data_add_dict_u64(d, "tx_packets", tx);
	rte_tel_data_add_dict_u64(d, "drops", drops);
	rte_tel_data_add_dict_u64(d, "tcp_resets_sent", rst);
	rte_tel_data_add_dict_u64(d, "busy_cycles", busy);
	rte_tel_data_add_dict_u64(d, "idle_cycles", idle);
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	for (int r = 0; r < HSOD_DROP_NUM; r++) {
		char name[64];

		snprintf(name, sizeof(name), "drop_%s", hsod_drop_name((enum hsod_drop)r));
		rte_tel_data_add_dict_u64(d, name, by_reason[r]);
	}
}

/* Per-worker values of one counter, as an array indexed like "workers". */
static int
add_worker_array(struct rte_tel_data *d, const char *name,
		 uint64_t (*get)(const struct worker *))
{
	struct rte_tel_data *a = rte_tel_data_alloc();

	if (a == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (unsigned i = 0; i < n_workers; i++)
		rte_tel_data_add_array_u64(a, get(&workers[i]));
	return rte_tel_data_add_dict_container(d, name, a, 0);
}

static uint64_t w_lcore(const struct worker *w) { return w->lcore; }
static uint64_t w_rx(const struct worker *w) { return w->rx_packets; }
static uint64_t w_tx(const struct worker *w) { return w->tx_packets; }
static uint64_t w_busy(const struct worker *w) { return w->busy_cycles; }
static uint64_t w_idle(const struct worker *w) { return w->idle_cycles; }

static uint64_t
w_drops(const struct worker *w)
{
	uint64_t n = w->tx_dropped;

	for (int r = 0; r < HSOD_DROP_NUM; r++)
		n += w->net.stats.drops[r];
	return n;
}

/*
 * /hso/stats: totals, and per worker as arrays indexed like "workers" (DPDK
 * 22.11 telemetry cannot nest a dict in a dict); /hso/worker,N has one
 * worker's counters in full.
 */
static int
telemetry_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	stats_fill(d, workers, n_workers);
	if (add_worker_array(d, "workers", w_lcore) != 0 ||
	    add_worker_array(d, "workers_rx_packets", w_rx) != 0 ||
	    add_worker_array(d, "workers_tx_packets", w_tx) != 0 ||
	    add_worker_array(d, "workers_drops", w_drops) != 0 ||
	    add_worker_array(d, "workers_busy_cycles", w_busy) != 0 ||
	    add_worker_array(d, "workers_idle_cycles", w_idle) != 0)
		return -ENOMEM;
	return 0;
}

static int
telemetry_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char *end;
	unsigned long i;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	i = strtoul(params, &end, 10);
	if (*end != '\0' || i >= n_workers)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "lcore", workers[i].lcore);
	stats_fill(d, &workers[i], 1);
	return 0;
}

static int
port_setup(uint16_t port, uint16_t nq)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf pc;
	int rc;

	memset(&pc, 0, sizeof(pc));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		return rc;
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		fprintf(stderr, "hsod: port %u has %u/%u queues, %u workers need one each\n",
			port, info.max_rx_queues, info.max_tx_queues, nq);
		return -EINVAL;
	}
	/* RSS on the TCP 4-tuple so a connection always meets the same worker. */
	if (nq > 1) {
		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pc.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4) & info.flow_type_rss_offloads;
	}
	/* Checksum offloads where the port offers them; software otherwise. */
	pc.rxmode.offloads = info.rx_offload_capa &
			     (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	rc = rte_eth_dev_configure(port, nq, nq, &pc);
	for (uint16_t q = 0; rc == 0 && q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, RX_DESC, rte_eth_dev_socket_id(port), NULL,
					    pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, q, TX_DESC,
						    rte_eth_dev_socket_id(port), NULL);
	}
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	return rc;
}

/* Split argv at "--": EAL's before, ours after (all ours when there is none). */
static void
split_args(int argc, char **argv, int *eal_argc, int *app_argc, char ***app_argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	if (i == argc) {
		/* No "--": "hsod --help" and friends are ours. */
		*eal_argc = 1;
		*app_argc = argc - 1;
		*app_argv = argv + 1;
		return;
	}
	*eal_argc = i;
	*app_argc = argc - i - 1;
	*app_argv = argv + i + 1;
}

/* Load certificates and ticket keys into @p hs: errors name the file. */
static int
load_secrets(struct hs_config *hs, struct hso_cert **certs, struct hso_stek_set **stek)
{
	char err[HSOD_ERR_LEN];
	struct hso_stek_config sc;

	for (unsigned i = 0; i < conf.n_certs; i++) {
		certs[i] = hso_cert_load(conf.certs[i].cert, conf.certs[i].key, err, sizeof(err));
		if (certs[i] == NULL) {
			fprintf(stderr, "hsod: certificate '%s': %s\n", conf.certs[i].name, err);
			return -1;
		}
		if (hs_config_add_cert(hs, certs[i], conf.certs[i].is_default) != 0) {
			fprintf(stderr, "hsod: certificate '%s': cannot be served\n",
				conf.certs[i].name);
			return -1;
		}
	}
	hso_stek_config_default(&sc);
	sc.lifetime = conf.ticket_rotation;
	if (conf.ticket_key_file[0] != '\0')
		*stek = hso_stek_set_load(conf.ticket_key_file, &sc, (uint64_t)time(NULL), err,
					  sizeof(err));
	else
		*stek = hso_stek_set_create(&sc, (uint64_t)time(NULL));
	if (*stek == NULL) {
		fprintf(stderr, "hsod: ticket keys: %s\n",
			conf.ticket_key_file[0] != '\0' ? err : strerror(errno));
		return -1;
	}
	hs->stek = *stek;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct hs_config hs;
	struct hso_cert *certs[HSOD_MAX_CERTS] = { NULL };
	struct hso_stek_set *stek = NULL;
	struct rte_ether_addr mac;
	char err[HSOD_ERR_LEN];
	int eal_argc, app_argc, rc, status = EXIT_FAILURE;
	char **app_argv;
	uint16_t port = 0;
	unsigned lcore;

	split_args(argc, argv, &eal_argc, &app_argc, &app_argv);
	if (hsod_config_parse(&conf, app_argc, app_argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "hsod: %s\nhsod: see hsod --help\n", err);
		return EXIT_FAILURE;
	}
	if (conf.help) {
		hsod_config_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (hsod_config_tls_policy(&conf, &hs, err, sizeof(err)) != 0) {
		fprintf(stderr, "hsod: %s\n", err);
		return EXIT_FAILURE;
	}
	if (load_secrets(&hs, certs, &stek) != 0)
		goto out_secrets;

	rc = rte_eal_init(eal_argc, argv);
	if (rc < 0) {
		fprintf(stderr, "hsod: EAL: %s. Without reserved hugepages, add --no-huge "
			"or --in-memory to the EAL arguments (deploy/setup.sh reserves them).\n",
			rte_strerror(rte_errno));
		goto out_secrets;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "hsod: no port: give one with -a PCI or --vdev "
			"(e.g. --vdev=net_tap0,iface=hso0)\n");
		goto out_eal;
	}
	RTE_ETH_FOREACH_DEV(port)
		break;
	/* One lcore: it is the worker. More: the main lcore only does control. */
	n_workers = rte_lcore_count() > 1 ? rte_lcore_count() - 1 : 1;
	pool = rte_pktmbuf_pool_create("hsod_mbufs", conf.mbufs, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_eth_dev_socket_id(port));
	if (pool == NULL) {
		fprintf(stderr, "hsod: cannot allocate %u mbufs: %s\n", conf.mbufs,
			rte_strerror(rte_errno));
		goto out_eal;
	}
	rc = port_setup(port, (uint16_t)n_workers);
	if (rc != 0) {
		fprintf(stderr, "hsod: port %u: %s\n", port, rte_strerror(-rc));
		goto out_eal;
	}
	rte_eth_macaddr_get(port, &mac);
	{
		unsigned i = 0;

		RTE_LCORE_FOREACH(lcore) {
			struct worker *w = &workers[i];

			if (n_workers > 1 && lcore == rte_get_main_lcore())
				continue;
			w->lcore = lcore;
			w->port = port;
			w->queue = (uint16_t)i;
			if (hsod_net_init(&w->net, conf.addr, conf.prefix_len, conf.gateway,
					  &mac) != 0) {
				fprintf(stderr, "hsod: bad address configuration\n");
				goto out_port;
			}
			i++;
		}
	}
	/* Gratuitous ARP: neighbours learn (or relearn) us now (RFC 5227 2.3). */
	{
		struct rte_mbuf *g = hsod_net_garp(&workers[0].net, pool);

		if (g != NULL)
			send_burst(&workers[0], &g, 1);
	}
	if (rte_telemetry_register_cmd("/hso/stats", telemetry_stats,
				       "hsod counters: totals, and per worker as arrays") != 0 ||
	    rte_telemetry_register_cmd("/hso/worker", telemetry_worker,
				       "One worker's counters. Parameter: worker index") != 0)
		fprintf(stderr, "hsod: telemetry commands not registered\n");

	printf("hsod: ready\n");
	fflush(stdout);
	/* Workers on every lcore; with one lcore the main lcore is the worker. */
	if (rte_lcore_count() > 1) {
		for (unsigned i = 0; i < n_workers; i++)
			rte_eal_remote_launch(worker_main, &workers[i], workers[i].lcore);
		while (!atomic_load(&force_quit))
			usleep(100000);      /* control work: none yet, so sleep */
		rte_eal_mp_wait_lcore();
	} else {
		worker_main(&workers[0]);
	}
	status = EXIT_SUCCESS;
out_port:
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
out_eal:
	rte_eal_cleanup();
out_secrets:
	for (unsigned i = 0; i < HSOD_MAX_CERTS; i++)
		hso_cert_free(certs[i]);
	hso_stek_set_free(stek);
	hs_config_wipe(&hs);
	return status;
}
