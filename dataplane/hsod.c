/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hsod: the daemon. Order matters for operators: the configuration, the
 * certificates and the ticket keys are all checked before EAL starts, so a
 * bad config exits non-zero without touching any port. Then EAL, the ports
 * (as many as configured, each with its own address; one RX/TX queue pair
 * per worker lcore on each, RSS across them), the workers' poll loops,
 * telemetry, and one line "hsod: ready" on stdout.
 *
 * Each worker (worker.c) runs ARP/IPv4/ICMP, the TCP core, the TLS engine
 * and its application rings. Applications talk to workers only through the
 * application API (hso_app.h) over those rings: a built-in one (HTTP
 * responder, echo) on the main lcore when there are several, in the
 * worker's loop when there is one; or, with --app external, DPDK secondary
 * processes that attach and detach while hsod runs (apps.c watches them).
 */
#include <arpa/inet.h>
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
#include <rte_mbuf_pool_ops.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include <openssl/crypto.h>

#include "cfg_ip6.h"
#include "config.h"
#include "counters.h"
#include "handshake.h"
#include "app.h"
#include "apps.h"
#include "hso_app.h"
#include "keywatch.h"
#include "metrics.h"
#include "net.h"
#include "port_guard.h"
#include "resources.h"
#include "worker.h"


/*
 * EAL puts its memory (the memseg lists: 16 GiB of address space each) at
 * 4 GiB unless told otherwise (--base-virtaddr). Under AddressSanitizer that
 * hint lies in ASan's shadow gap [0x00008fff7000, 0x02008fff6fff], which ASan
 * keeps reserved: the kernel puts the reservations in the mmap area instead,
 * among the shared libraries. A secondary process (hso-proxy, hso-echo)
 * must map them at the same addresses, and its own libraries and ASan's
 * mappings lie there at random (ASLR): about 1 attach in 25 failed with
 * "EAL: Cannot reserve 17179869184 bytes at [0x7f...]". So an ASan build
 * asks for a base of its own, in the span no process uses: above ASan's
 * high shadow (ends 0x10007fff7fff), below PIE executables (0x55...) and
 * ASan's allocator (0x600000000000). Not in other builds: 4 GiB is free
 * there and stays within a 39/40-bit device DMA mask (eal_get_baseaddr()).
 */
#if defined(__SANITIZE_ADDRESS__)
#define HSOD_ASAN_BASE_VIRTADDR "--base-virtaddr=0x200000000000"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HSOD_ASAN_BASE_VIRTADDR "--base-virtaddr=0x200000000000"
#endif
#endif

/*
 * First SIGINT/SIGTERM: drain (stop accepting, let handshakes finish up to
 * the handshake timeout, close the rest cleanly). A second one: quit now.
 */
static atomic_bool drain_requested, force_quit, reload_requested;
static atomic_uint workers_done;

/*
 * TLS configuration generations. SIGHUP builds a new one (certificates and
 * ticket keys loaded again); each worker adopts it for new connections at
 * the top of an iteration, keeps the old one for the connections that began
 * with it, and reports it released when none is left. A generation is freed
 * once every worker released it: no connection is dropped by a reload.
 */
struct tls_gen {
	struct hs_config hs;            /* first: a worker's config is its gen */
	struct hso_cert *certs[HSOD_MAX_CERTS];
	struct hso_ocsp *ocsp[HSOD_MAX_CERTS];  /* staples, [cert NAME] ocsp */
	struct hso_stek_set *stek;      /* owned when loaded from the key file */
	atomic_uint released;
	struct tls_gen *next;           /* on the retired list */
};
static struct tls_gen *tls_cur, *tls_retired;
/*
 * OCSP files loaded and refused (by reason: hso_ocsp_refusal_name()) at
 * start and on each reload; the control path counts, telemetry reads.
 */
static atomic_uint_fast64_t ocsp_loaded, ocsp_refused[HSO_OCSP_REFUSAL_NUM];
static _Atomic(struct tls_gen *) tls_next[RTE_MAX_LCORE];
/* Keys generated at start (no key file): one set, shared by every generation. */
static struct hso_stek_set *stek_generated;
/* The key file's directory, watched when [tickets] watch (control path). */
static struct hsod_keywatch *keywatch;
static struct hsod_worker *workers[RTE_MAX_LCORE];
static unsigned n_workers;
/* Each worker's neighbour inbox (worker.h), with several workers. */
static struct rte_ring *neigh_rings[HSOD_MAX_WORKERS];
/* Port i of the configuration is DPDK port port_ids[i]. */
static uint16_t port_ids[HSOD_MAX_PORTS];
static unsigned n_ports;
static struct rte_mempool *pool;
static struct hsod_config conf;
static struct hsod_apps *apps;             /* the shared memory and slots */
static struct hso_app *builtin;             /* --app http|echo */
static struct hsod_app_http *http;
static struct hso_echo *echo;
static struct hsod_metrics *metrics;        /* --metrics, or NULL */
/* With several lcores, the main lcore's cycles (application, control). */
static struct hsod_lcore_clock main_clock;
static uint64_t start_us;

/* The built-in application's turn: events handled. */
static int
builtin_poll(void)
{
	if (http != NULL)
		return hsod_app_http_poll(http);
	if (echo != NULL)
		return hso_echo_poll(echo);
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	if (atomic_exchange(&drain_requested, true))
		atomic_store(&force_quit, true);
}

static void
on_sighup(int sig)
{
	(void)sig;
	atomic_store(&reload_requested, true);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void control(uint64_t now);

static int
worker_main(void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg;
	struct hsod_worker *w = workers[idx];
	struct hsod_lcore_clock *clk = hsod_worker_clock(w);
	bool alone = rte_lcore_count() == 1;
	bool draining = false;
	unsigned iter = 0;
	uint64_t next_control = 0;

	/*
	 * Every stretch of this loop is charged to the worker's clock: the
	 * poll charges its own, the rest is charged here, so busy + idle is
	 * the loop's wall-clock time (lcore_stats.h).
	 */
	hsod_lcore_clock_start(clk);
	port_guard_online();
	while (!atomic_load_explicit(&force_quit, memory_order_relaxed)) {
		uint64_t now = now_us();
		struct tls_gen *next = atomic_exchange_explicit(&tls_next[idx], NULL,
								memory_order_acquire);

		if (next != NULL && hsod_worker_use_tls(w, &next->hs) != 0) {
			/* Too many old generations still in use: adopt it later. */
			struct tls_gen *expected = NULL;

			if (!atomic_compare_exchange_strong(&tls_next[idx], &expected, next))
				atomic_fetch_add(&next->released, 1);
		}
		/* Outside every burst: a PMD may unmap what the last one read. */
		port_guard_quiescent();
		hsod_worker_poll(w, now);
		if (alone) {
			if (builtin_poll() > 0)
				hsod_lcore_busy_part(clk, &clk->st.app_cycles);
			else
				hsod_lcore_idle(clk);
			/* Control work (reload, attach requests, liveness: a
			 * syscall per attached app, metrics) once a millisecond. */
			if (now >= next_control) {
				next_control = now + 1000;
				control(now);
				hsod_lcore_busy_part(clk, &clk->st.control_cycles);
			}
		}
		if ((++iter & 1023) == 0) {
			const struct hs_config *old;

			while ((old = hsod_worker_released(w)) != NULL)
				atomic_fetch_add(&((struct tls_gen *)(uintptr_t)old)->released, 1);
			hsod_lcore_busy_part(clk, &clk->st.control_cycles);
		}
		if (!draining && atomic_load_explicit(&drain_requested, memory_order_relaxed)) {
			hsod_worker_drain(w, now, (uint64_t)conf.handshake_timeout_ms * 1000);
			draining = true;
		}
		if (draining && hsod_worker_drained(w, now))
			break;
	}
	port_guard_offline();
	atomic_fetch_add(&workers_done, 1);
	return 0;
}

/*
 * Ports stopped and started by telemetry command (/hso/port/stop,N and
 * /hso/port/start,N): the command only asks (port_cmd); the control path
 * takes the port from the workers through its gate (worker.h), stops it
 * once none is in its burst functions, starts it again and gives it back.
 */
enum port_run { PORT_RUNNING, PORT_STOPPING, PORT_STOPPED };
static const char *const port_run_names[] = {
	[PORT_RUNNING] = "running", [PORT_STOPPING] = "stopping", [PORT_STOPPED] = "stopped",
};
enum { PORT_CMD_NONE, PORT_CMD_STOP, PORT_CMD_START };
static struct hsod_port_gate port_gates[HSOD_MAX_PORTS];
static atomic_int port_cmd[HSOD_MAX_PORTS];
static _Atomic int port_run[HSOD_MAX_PORTS];   /* written by control, read by telemetry */
static atomic_uint_fast64_t port_stops;

/* Every counter the exports read (counters.h), built once the workers exist. */
static struct hsod_ctr_set ctr_sets[RTE_MAX_LCORE];
static struct hsod_global_stats gstats;
static struct hsod_ctr_view view;

/* The daemon's gauges, brought up to date before an export. */
static void
view_refresh(void *ctx)
{
	struct port_guard_stats pg;

	(void)ctx;
	gstats.apps_attached = hsod_apps_active(apps);
	gstats.mbufs_free = rte_mempool_avail_count(pool);
	gstats.mbufs_total = pool->size;
	gstats.tsc_hz = rte_get_tsc_hz();
	gstats.tsc_cycles = rte_rdtsc();
	gstats.lcores = n_workers + (view.main_lcore != NULL);
	gstats.uptime_seconds = (now_us() - start_us) / 1000000;
	gstats.conn_resident_bytes = n_workers > 0 ? hsod_worker_conn_bytes(workers[0]) : 0;
	gstats.ocsp_loaded = atomic_load(&ocsp_loaded);
	gstats.port_stops = atomic_load(&port_stops);
	port_guard_stats(&pg);
	gstats.port_guard_unmaps = pg.unmaps;
	gstats.port_guard_timeouts = pg.timeouts;
	for (unsigned r = 0; r < HSO_OCSP_REFUSAL_NUM; r++)
		gstats.ocsp_refused[r] = atomic_load(&ocsp_refused[r]);
}

static void
view_build(void)
{
	for (unsigned i = 0; i < n_workers; i++) {
		struct hsod_ctr_set *s = &ctr_sets[i];

		s->lcore = &hsod_worker_clock(workers[i])->st;
		s->worker = hsod_worker_stats(workers[i]);
		s->tcp = hsod_worker_tcp_stats(workers[i]);
		s->sess = hsod_worker_sess_stats(workers[i]);
		s->tls = hsod_worker_tls_stats(workers[i]);
		s->latency = hsod_worker_latency(workers[i]);
		s->limit = hsod_worker_limit_stats(workers[i]);
		s->n_ports = hsod_worker_ports(workers[i]);
		for (unsigned p = 0; p < s->n_ports; p++) {
			s->net[p] = hsod_worker_net_stats(workers[i], p);
			s->neigh[p] = hsod_worker_neigh_stats(workers[i], p);
			s->net6[p] = hsod_worker_net6_stats(workers[i], p);
			s->neigh6[p] = hsod_worker_neigh6_stats(workers[i], p);
		}
		s->lcore_id = hsod_worker_lcore(workers[i]);
	}
	view.workers = ctr_sets;
	view.n_workers = n_workers;
	view.main_lcore = rte_lcore_count() > 1 ? &main_clock.st : NULL;
	view.apps = hsod_apps_stats(apps);
	view.global = &gstats;
	view.http = http != NULL ? hsod_app_http_stats(http) : NULL;
	view.echo = echo != NULL ? hso_echo_stats(echo) : NULL;
	view.metrics = metrics != NULL ? hsod_metrics_stats(metrics) : NULL;
	view.port_ids = port_ids;
	view.n_ports = n_ports;
	view_refresh(NULL);
}

/* The DPDK ids of the ports ("ports") and the workers' lcores ("workers"). */
static int
add_id_arrays(struct rte_tel_data *d, bool with_workers)
{
	struct rte_tel_data *ids = rte_tel_data_alloc(), *lc = rte_tel_data_alloc();

	if (ids == NULL || lc == NULL) {
		rte_tel_data_free(ids);
		rte_tel_data_free(lc);
		return -ENOMEM;
	}
	rte_tel_data_start_array(ids, RTE_TEL_U64_VAL);
	for (unsigned p = 0; p < n_ports; p++)
		rte_tel_data_add_array_u64(ids, port_ids[p]);
	rte_tel_data_add_dict_container(d, "ports", ids, 0);
	if (!with_workers) {
		rte_tel_data_free(lc);
		return 0;
	}
	rte_tel_data_start_array(lc, RTE_TEL_U64_VAL);
	for (unsigned i = 0; i < n_workers; i++)
		rte_tel_data_add_array_u64(lc, hsod_worker_lcore(workers[i]));
	rte_tel_data_add_dict_container(d, "workers", lc, 0);
	return 0;
}

/*
 * /hso/stats: every counter of the table (counters.h), totals over the
 * workers; some per worker as arrays indexed like "workers" and per port as
 * arrays indexed like "ports" (DPDK 22.11 telemetry cannot nest a dict in a
 * dict); /hso/worker,N has one worker's counters in full.
 */
static int
telemetry_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	view_refresh(NULL);
	if (hsod_ctr_tel_stats(d, &view, 0, n_workers, true) != 0)
		return -ENOMEM;
	return add_id_arrays(d, true);
}

/* A worker index parameter, or -EINVAL. */
static long
worker_param(const char *params)
{
	char *end;
	unsigned long i;

	if (params == NULL || *params == '\0')
		return -EINVAL;
	i = strtoul(params, &end, 10);
	if (*end != '\0' || i >= n_workers)
		return -EINVAL;
	return (long)i;
}

/* A port index parameter: 0..n_ports-1, or -EINVAL. */
static long
port_param(const char *params)
{
	char *end;
	unsigned long i;

	if (params == NULL || *params == '\0')
		return -EINVAL;
	i = strtoul(params, &end, 10);
	if (*end != '\0' || i >= n_ports || i >= HSOD_MAX_PORTS)
		return -EINVAL;
	return (long)i;
}

/* /hso/port/stop,N and /hso/port/start,N: asked here, done by the control path. */
static int
telemetry_port_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	long p = port_param(params);
	bool stop = strcmp(cmd, "/hso/port/stop") == 0;

	if (p < 0)
		return -EINVAL;
	atomic_store(&port_cmd[p], stop ? PORT_CMD_STOP : PORT_CMD_START);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "port", (uint64_t)p);
	rte_tel_data_add_dict_string(d, "requested", stop ? "stop" : "start");
	rte_tel_data_add_dict_string(d, "state", port_run_names[atomic_load(&port_run[p])]);
	return 0;
}

/* /hso/port[,N]: a port's run state (every port's without N). */
static int
telemetry_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	long p = params == NULL || *params == '\0' ? -1 : port_param(params);

	(void)cmd;
	if (p == -EINVAL)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < n_ports && i < HSOD_MAX_PORTS; i++) {
		char k[16];

		if (p >= 0 && (unsigned)p != i)
			continue;
		snprintf(k, sizeof(k), "%u", i);
		rte_tel_data_add_dict_string(d, k, port_run_names[atomic_load(&port_run[i])]);
	}
	return 0;
}

/* /hso/latency[,N]: the handshake latency histogram, every worker's or worker N's. */
static int
telemetry_latency(const char *cmd, const char *params, struct rte_tel_data *d)
{
	long i = params == NULL || *params == '\0' ? -1 : worker_param(params);

	(void)cmd;
	if (i == -EINVAL)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	return i < 0 ? hsod_ctr_tel_latency(d, &view, 0, n_workers)
		     : hsod_ctr_tel_latency(d, &view, (unsigned)i, (unsigned)i + 1);
}

/* /hso/app: the built-in application's counters (none with --app external). */
static int
telemetry_app(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "type", hsod_app_name(conf.app));
	hsod_ctr_tel_app(d, &view);
	return 0;
}

/*
 * /hso/apps: the application slots, as parallel arrays (slot index): state,
 * pid, sessions handed to it (all workers, ever), of those still open, and
 * its polls (a heartbeat).
 */
static int
telemetry_apps(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const state[] = { "free", "claimed", "request", "active",
					     "closing", "rejected" };
	struct hso_shm *shm = hsod_apps_shm(apps);
	struct rte_tel_data *names = rte_tel_data_alloc(), *states = rte_tel_data_alloc();
	struct rte_tel_data *pids = rte_tel_data_alloc(), *sess = rte_tel_data_alloc();
	struct rte_tel_data *polls = rte_tel_data_alloc(), *open = rte_tel_data_alloc();

	(void)cmd;
	(void)params;
	if (names == NULL || states == NULL || pids == NULL || sess == NULL || polls == NULL ||
	    open == NULL) {
		rte_tel_data_free(open);
		rte_tel_data_free(names);
		rte_tel_data_free(states);
		rte_tel_data_free(pids);
		rte_tel_data_free(sess);
		rte_tel_data_free(polls);
		return -ENOMEM;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_start_array(names, RTE_TEL_STRING_VAL);
	rte_tel_data_start_array(states, RTE_TEL_STRING_VAL);
	rte_tel_data_start_array(pids, RTE_TEL_U64_VAL);
	rte_tel_data_start_array(sess, RTE_TEL_U64_VAL);
	rte_tel_data_start_array(polls, RTE_TEL_U64_VAL);
	rte_tel_data_start_array(open, RTE_TEL_U64_VAL);
	for (unsigned i = 0; i < HSO_APP_MAX; i++) {
		const struct hso_shm_app *s = &shm->apps[i];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		char name[sizeof(s->name)];
		uint64_t n = 0, o = 0;

		memcpy(name, s->name, sizeof(name));
		name[sizeof(name) - 1] = '\0';
		for (unsigned w = 0; w < n_workers; w++)
			n += hsod_worker_app_sessions(workers[w], i);
		for (unsigned w = 0; w < n_workers; w++)
			o += hsod_worker_app_open(workers[w], i);
		rte_tel_data_add_array_string(names, st == HSO_SLOT_FREE ? "" : name);
		rte_tel_data_add_array_string(states, st < RTE_DIM(state) ? state[st] : "?");
		rte_tel_data_add_array_u64(pids, st == HSO_SLOT_FREE ? 0 : (uint64_t)s->pid);
		rte_tel_data_add_array_u64(sess, n);
		rte_tel_data_add_array_u64(polls, s->polls);
		rte_tel_data_add_array_u64(open, o);
	}
	rte_tel_data_add_dict_u64(d, "attached", hsod_apps_active(apps));
	rte_tel_data_add_dict_container(d, "name", names, 0);
	rte_tel_data_add_dict_container(d, "state", states, 0);
	rte_tel_data_add_dict_container(d, "pid", pids, 0);
	rte_tel_data_add_dict_container(d, "sessions", sess, 0);
	rte_tel_data_add_dict_container(d, "polls", polls, 0);
	rte_tel_data_add_dict_container(d, "open", open, 0);
	return 0;
}

static int
telemetry_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	long i = worker_param(params);

	(void)cmd;
	if (i < 0)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "lcore", hsod_worker_lcore(workers[i]));
	if (hsod_ctr_tel_stats(d, &view, (unsigned)i, (unsigned)i + 1, false) != 0)
		return -ENOMEM;
	return add_id_arrays(d, false);
}

/* "ipv4_cksum,tcp_cksum" or "none": the checksum offloads among @p offloads. */
static const char *
csum_offloads_str(uint64_t offloads, bool tx, char *buf, size_t len)
{
	uint64_t ip = tx ? RTE_ETH_TX_OFFLOAD_IPV4_CKSUM : RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	uint64_t tcp = tx ? RTE_ETH_TX_OFFLOAD_TCP_CKSUM : RTE_ETH_RX_OFFLOAD_TCP_CKSUM;

	snprintf(buf, len, "%s%s%s", (offloads & ip) ? "ipv4_cksum" : "",
		 (offloads & ip) && (offloads & tcp) ? "," : "",
		 (offloads & tcp) ? "tcp_cksum" : "");
	if (buf[0] == '\0')
		snprintf(buf, len, "none");
	return buf;
}

/*
 * Drivers that offer TCP checksum offload and multi-segment TX but sum a chain
 * wrongly. net_tap (DPDK 22.11) sums in software segment after segment with
 * __rte_raw_cksum() and no byte swap for a segment that starts at an odd
 * offset (RFC 1071 2(B)): any chain with an odd-length piece before the last
 * leaves with a bad TCP checksum, which the kernel drops (TcpInCsumErrors),
 * and the connection stalls on retransmissions that fail the same way. Those
 * frames are summed by hsod instead; one-segment frames stay offloaded.
 */
static const char *const chain_csum_broken[] = { "net_tap" };

static bool
driver_chain_csum_broken(const char *driver)
{
	for (size_t i = 0; i < RTE_DIM(chain_csum_broken); i++)
		if (driver != NULL && strcmp(driver, chain_csum_broken[i]) == 0)
			return true;
	return false;
}

/*
 * Configure and start @p port with @p nq queue pairs. Checksum offloads are
 * requested where the port offers them; TX ones only both together (IPv4
 * and TCP: a segment is summed entirely by the port or entirely by us) and
 * only with conf.tx_offload. *tx_offloads gets the TX offloads in use,
 * *chain_csum_sw whether frames of several segments must be summed in software
 * all the same (chain_csum_broken[]).
 */
static int
port_setup(uint16_t port, uint16_t nq, uint64_t *tx_offloads, bool *chain_csum_sw)
{
	const uint64_t tx_csum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	struct rte_eth_dev_info info;
	struct rte_eth_conf pc;
	char rx_s[32], tx_s[32], rx_c[32], tx_c[32];
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
	/*
	 * RSS on the TCP 4-tuple of either family so a connection always meets
	 * the same worker: what the port hashes of rss_want, logged. Frames it
	 * does not hash (ARP, ICMPv6) land on queue 0 or by the port's own
	 * rule; the workers share what ARP and Neighbor Discovery teach them
	 * (worker.h), so that does not matter.
	 */
	if (nq > 1) {
		const uint64_t rss_want = RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4 |
					  RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_IPV6 |
					  RTE_ETH_RSS_IPV6_EX | RTE_ETH_RSS_IPV6_TCP_EX;
		uint64_t hf = rss_want & info.flow_type_rss_offloads;

		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pc.rx_adv_conf.rss_conf.rss_hf = hf;
		printf("hsod: port %u: RSS over %u queues on%s%s%s%s%s%s%s\n", port, nq,
		       (hf & RTE_ETH_RSS_IPV4) ? " ipv4" : "",
		       (hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP) ? " ipv4_tcp" : "",
		       (hf & RTE_ETH_RSS_IPV6) ? " ipv6" : "",
		       (hf & RTE_ETH_RSS_NONFRAG_IPV6_TCP) ? " ipv6_tcp" : "",
		       (hf & RTE_ETH_RSS_IPV6_EX) ? " ipv6_ex" : "",
		       (hf & RTE_ETH_RSS_IPV6_TCP_EX) ? " ipv6_tcp_ex" : "",
		       hf == 0 ? " nothing (the port hashes none of them: one queue gets "
		       "the IPv4 and IPv6 traffic the port does not spread its own way)" : "");
		if ((hf & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP)) != 0 &&
		    (hf & (RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP)) == 0)
			printf("hsod: port %u: warning: the port hashes IPv4 but not IPv6: IPv6 "
			       "connections all go to one worker\n", port);
	}
	/* Checksum offloads where the port offers them; software otherwise. */
	pc.rxmode.offloads = info.rx_offload_capa &
			     (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	if (conf.tx_offload && (info.tx_offload_capa & tx_csum) == tx_csum)
		pc.txmode.offloads = tx_csum;
	/* Chains: segments sent by reference to the records in the applications' mbufs. */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		pc.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	*tx_offloads = pc.txmode.offloads;
	*chain_csum_sw = (pc.txmode.offloads & tx_csum) == tx_csum &&
			 (pc.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) &&
			 driver_chain_csum_broken(info.driver_name);
	printf("hsod: port %u (%s): checksum offloads offered rx %s tx %s; used rx %s "
	       "tx %s%s\n", port, info.driver_name,
	       csum_offloads_str(info.rx_offload_capa, false, rx_c, sizeof(rx_c)),
	       csum_offloads_str(info.tx_offload_capa, true, tx_c, sizeof(tx_c)),
	       csum_offloads_str(pc.rxmode.offloads, false, rx_s, sizeof(rx_s)),
	       csum_offloads_str(pc.txmode.offloads, true, tx_s, sizeof(tx_s)),
	       conf.tx_offload ? "" : " (tx_offload = no)");
	printf("hsod: port %u: payload sent %s%s\n", port,
	       (pc.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) ?
	       "by reference (multi-segment mbufs)" : "copied (the port takes no mbuf chains)",
	       *chain_csum_sw ? "; their checksums in software (the driver sums chains "
	       "wrongly)" : "");
	fflush(stdout);
	rc = rte_eth_dev_configure(port, nq, nq, &pc);
	for (uint16_t q = 0; rc == 0 && q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, HSOD_RX_DESC, rte_eth_dev_socket_id(port), NULL,
					    pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, q, HSOD_TX_DESC,
						    rte_eth_dev_socket_id(port), NULL);
	}
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	return rc;
}

/*
 * Port @p port's IPv6, if it has an address: printed, and the multicast
 * groups Neighbor Discovery needs received. @return 0, or -1 (said why).
 */
static int
port_ipv6_show(uint16_t port, const struct hsod_port_conf *pc)
{
	char as[64], gs[64];
	int rc;

	if (cfg_ip6_is_unset(pc->addr6))
		return 0;
	rc = hsod_net6_port_mcast(port, pc->addr6);
	if (rc != 0) {
		fprintf(stderr, "hsod: port %u: cannot receive IPv6 multicast: %s\n", port,
			rte_strerror(-rc));
		return -1;
	}
	printf("hsod: port %u: IPv6 %s, gateway6 %s\n", port,
	       cfg_ip6_str(pc->addr6, pc->prefix6_len, as, sizeof(as)),
	       cfg_ip6_is_unset(pc->gateway6) ? "none" : cfg_ip6_str(pc->gateway6, 0, gs, sizeof(gs)));
	return 0;
}

/* /hso/net6: IPv6 counters of every worker and port, summed (net6.h, counters.h). */
static int
telemetry_net6(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	hsod_ctr_tel_net6(d, &view);
	return 0;
}

/*
 * rte_eal_init()'s arguments: the command line's EAL part and, in an ASan
 * build without a --base-virtaddr of the operator's, HSOD_ASAN_BASE_VIRTADDR.
 * The array is the caller's to free; NULL when out of memory.
 */
static char **
eal_args_build(int argc, char **argv, int *n)
{
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	bool has_base = false;

	if (args == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		args[i] = argv[i];
		has_base |= strncmp(argv[i], "--base-virtaddr", 15) == 0;
	}
	*n = argc;
#ifdef HSOD_ASAN_BASE_VIRTADDR
	if (!has_base) {
		args[(*n)++] = (char *)(uintptr_t)HSOD_ASAN_BASE_VIRTADDR;
		printf("hsod: built with AddressSanitizer: EAL %s (EAL's default is in "
		       "ASan's shadow gap; secondary processes map hsod's memory at its "
		       "addresses)\n", HSOD_ASAN_BASE_VIRTADDR);
	}
#else
	(void)has_base;
#endif
	return args;
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

/*
 * Which ticket keys were loaded from the key file: their names (key ids;
 * not secret: every ticket carries its key's name), the sealing one first.
 * Never the key bytes.
 */
static void
stek_log(const struct hso_stek_set *set)
{
	uint8_t name[HSO_STEK_NAME_LEN];
	unsigned n = hso_stek_set_count(set);

	printf("hsod: ticket keys from %s: %u key(s);", conf.ticket_key_file, n);
	for (unsigned i = 0; i < n && hso_stek_set_name(set, i, name) == 0; i++) {
		printf(" %s ", i == 0 ? "sealing" : i == 1 ? "opening" : "");
		for (unsigned j = 0; j < sizeof(name); j++)
			printf("%02x", name[j]);
		if (i + 1 < n)
			putchar(',');
	}
	putchar('\n');
	fflush(stdout);
}

static void
tls_gen_free(struct tls_gen *g)
{
	if (g == NULL)
		return;
	for (unsigned i = 0; i < HSOD_MAX_CERTS; i++) {
		hso_ocsp_free(g->ocsp[i]);
		hso_cert_free(g->certs[i]);
	}
	if (g->stek != stek_generated)
		hso_stek_set_free(g->stek);
	hs_config_wipe(&g->hs);
	free(g);
}

/* Add certificate @p i (loaded) and its staple to @p g; errors name the section. */
static int
tls_gen_add_cert(struct tls_gen *g, unsigned i)
{
	const struct hsod_cert_conf *cc = &conf.certs[i];
	const struct hso_cert *c = g->certs[i];
	enum hso_ocsp_refusal why;
	char err[HSOD_ERR_LEN];
	const char *name;
	int rc = hs_config_add_cert(&g->hs, c, cc->is_default);

	if (rc == -EEXIST) {
		int other = hs_config_cert_clash(&g->hs, c, cc->is_default, &name);

		/* The engine's slots are the configuration's, in order. */
		fprintf(stderr, "hsod: certificate '%s': %s key for '%s' like certificate "
			"'%s': a name has at most one certificate per key type (RSA, "
			"ECDSA P-256, ECDSA P-384); give the other a different key type "
			"or other names\n", cc->name, hso_key_type_name(c->key_type),
			name != NULL ? name : "(default)",
			other >= 0 ? conf.certs[other].name : "?");
		return -1;
	}
	if (rc == -E2BIG) {
		fprintf(stderr, "hsod: certificate '%s': chain '%s' too large for a "
			"handshake flight (at most %u bytes of certificates)\n", cc->name,
			cc->cert, HS_CERT_FLIGHT_MAX);
		return -1;
	}
	if (rc != 0) {
		fprintf(stderr, "hsod: certificate '%s': cannot be served (%s)\n", cc->name,
			strerror(-rc));
		return -1;
	}
	if (cc->ocsp[0] == '\0')
		return 0;
	g->ocsp[i] = hso_ocsp_load(cc->ocsp, c, (int64_t)time(NULL), &why, err, sizeof(err));
	if (g->ocsp[i] == NULL) {
		atomic_fetch_add(&ocsp_refused[why], 1);
		fprintf(stderr, "hsod: certificate '%s': ocsp: %s\n", cc->name, err);
		return -1;
	}
	rc = hs_config_set_ocsp(&g->hs, c, g->ocsp[i]);
	if (rc != 0) {
		atomic_fetch_add(&ocsp_refused[HSO_OCSP_UNREADABLE], 1);
		fprintf(stderr, "hsod: certificate '%s': ocsp: '%s': %zu bytes do not fit in "
			"a handshake flight with the chain (at most %u bytes together)\n",
			cc->name, cc->ocsp, g->ocsp[i]->len, HS_CERT_FLIGHT_MAX);
		return -1;
	}
	atomic_fetch_add(&ocsp_loaded, 1);
	{
		time_t nu = (time_t)g->ocsp[i]->next_update;
		struct tm tm;
		char when[40];

		gmtime_r(&nu, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		printf("hsod: certificate '%s': OCSP response from %s, stapled until %s\n",
		       cc->name, cc->ocsp, when);
	}
	return 0;
}

/*
 * Build a TLS generation from the configuration's paths: policy, then the
 * certificates (with their OCSP responses) and the ticket keys, each error
 * naming the file.
 */
static struct tls_gen *
tls_gen_build(void)
{
	struct tls_gen *g = calloc(1, sizeof(*g));
	char err[HSOD_ERR_LEN];
	struct hso_stek_config sc;

	if (g == NULL) {
		fprintf(stderr, "hsod: out of memory\n");
		return NULL;
	}
	if (hsod_config_tls_policy(&conf, &g->hs, err, sizeof(err)) != 0) {
		fprintf(stderr, "hsod: %s\n", err);
		goto fail;
	}
	for (unsigned i = 0; i < conf.n_certs; i++) {
		g->certs[i] = hso_cert_load(conf.certs[i].cert, conf.certs[i].key, err,
					    sizeof(err));
		if (g->certs[i] == NULL) {
			fprintf(stderr, "hsod: certificate '%s': %s\n", conf.certs[i].name, err);
			goto fail;
		}
		if (tls_gen_add_cert(g, i) != 0)
			goto fail;
	}
	hso_stek_config_default(&sc);
	sc.lifetime = conf.ticket_rotation;
	if (conf.ticket_key_file[0] != '\0') {
		g->stek = hso_stek_set_load(conf.ticket_key_file, &sc, (uint64_t)time(NULL), err,
					    sizeof(err));
		if (g->stek == NULL) {
			fprintf(stderr, "hsod: ticket keys: %s\n", err);
			goto fail;
		}
	} else {
		if (stek_generated == NULL)
			stek_generated = hso_stek_set_create(&sc, (uint64_t)time(NULL));
		if (stek_generated == NULL) {
			fprintf(stderr, "hsod: ticket keys: %s\n", strerror(errno));
			goto fail;
		}
		g->stek = stek_generated;
	}
	g->hs.stek = g->stek;
	if (conf.ticket_key_file[0] != '\0')
		stek_log(g->stek);
	return g;
fail:
	tls_gen_free(g);
	return NULL;
}

/* SIGHUP: a new generation for every worker, or the old one kept on error. */
static void
tls_reload(void)
{
	struct tls_gen *g = tls_gen_build();

	if (g == NULL) {
		fprintf(stderr, "hsod: reload failed: still serving the previous certificates "
			"and ticket keys\n");
		return;
	}
	for (unsigned i = 0; i < n_workers; i++) {
		struct tls_gen *pending = atomic_exchange(&tls_next[i], g);

		/* A generation this worker never adopted: it is released for it. */
		if (pending != NULL)
			atomic_fetch_add(&pending->released, 1);
	}
	tls_cur->next = tls_retired;
	tls_retired = tls_cur;
	tls_cur = g;
	printf("hsod: reloaded %u certificate(s) and the ticket keys\n", conf.n_certs);
	fflush(stdout);
}

/* Free the retired generations every worker is done with. */
static void
tls_collect(void)
{
	struct tls_gen **pp = &tls_retired;

	while (*pp != NULL) {
		struct tls_gen *g = *pp;

		if (atomic_load(&g->released) >= n_workers) {
			*pp = g->next;
			tls_gen_free(g);
		} else {
			pp = &g->next;
		}
	}
}

/* Every worker keeps off port @p p now (its gate's odd want seen by all). */
static bool
port_quiesced(unsigned p)
{
	uint32_t want = atomic_load(&port_gates[p].want);

	for (unsigned i = 0; i < n_workers; i++)
		if (atomic_load_explicit(&port_gates[p].seen[i], memory_order_acquire) != want)
			return false;
	return true;
}

/* Port stop and start commands (control path: the only caller of these). */
static void
ports_control(void)
{
	for (unsigned p = 0; p < n_ports && p < HSOD_MAX_PORTS; p++) {
		int cmd = atomic_exchange(&port_cmd[p], PORT_CMD_NONE);
		int run = atomic_load(&port_run[p]);
		struct hsod_port_gate *g = &port_gates[p];
		int rc;

		if (cmd == PORT_CMD_STOP && run == PORT_RUNNING) {
			atomic_fetch_add(&g->want, 1);  /* odd: workers keep off */
			run = PORT_STOPPING;
		} else if (cmd == PORT_CMD_START && run == PORT_STOPPING) {
			atomic_fetch_add(&g->want, 1);  /* not stopped yet: given back */
			run = PORT_RUNNING;
		} else if (cmd == PORT_CMD_START && run == PORT_STOPPED) {
			rc = rte_eth_dev_start(port_ids[p]);
			if (rc == 0) {
				atomic_fetch_add(&g->want, 1);
				run = PORT_RUNNING;
				printf("hsod: port %u started (/hso/port/start)\n", p);
			} else {
				fprintf(stderr, "hsod: port %u: rte_eth_dev_start: %s (still stopped)\n",
					p, rte_strerror(-rc));
			}
		}
		if (run == PORT_STOPPING && port_quiesced(p)) {
			rc = rte_eth_dev_stop(port_ids[p]);
			if (rc == 0) {
				atomic_fetch_add(&port_stops, 1);
				run = PORT_STOPPED;
				printf("hsod: port %u stopped (/hso/port/stop)\n", p);
			} else {
				/* Not stopped (e.g. -ENOTSUP): the workers have it back. */
				atomic_fetch_add(&g->want, 1);
				run = PORT_RUNNING;
				fprintf(stderr, "hsod: port %u: rte_eth_dev_stop: %s (left running)\n",
					p, rte_strerror(-rc));
			}
		}
		atomic_store(&port_run[p], run);
	}
	fflush(stdout);
}

/* Control work: on the main lcore, or in the worker loop with one lcore. */
static void
control(uint64_t now)
{
	bool reload = atomic_exchange(&reload_requested, false);

	/* The key file changed (and the directory has been quiet since). */
	if (keywatch != NULL && hsod_keywatch_poll(keywatch, now / 1000) > 0) {
		printf("hsod: %s changed: reloading\n", conf.ticket_key_file);
		reload = true;
	}
	if (reload)
		tls_reload();
	tls_collect();
	hsod_apps_control(apps);
	ports_control();
	hsod_metrics_poll(metrics, now);
}

/*
 * The ports DPDK found, in its order, into port_ids[]: exactly as many as
 * the configuration gives addresses to, or an error naming both numbers.
 */
static int
ports_find(void)
{
	unsigned found = rte_eth_dev_count_avail();
	char names[256] = "";
	size_t o = 0;
	uint16_t id;

	RTE_ETH_FOREACH_DEV(id) {
		char name[RTE_ETH_NAME_MAX_LEN];

		if (rte_eth_dev_get_name_by_port(id, name) != 0)
			snprintf(name, sizeof(name), "port %u", id);
		if (o < sizeof(names))
			o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s",
					      o ? ", " : "", name);
		if (n_ports < HSOD_MAX_PORTS)
			port_ids[n_ports] = id;
		n_ports++;
	}
	if (found == 0) {
		fprintf(stderr, "hsod: no port: give one with -a PCI or --vdev "
			"(e.g. --vdev=net_tap0,iface=hso0)\n");
		return -ENODEV;
	}
	if (n_ports != conf.n_ports) {
		fprintf(stderr, "hsod: DPDK found %u port%s (%s) but %u %s configured: ",
			n_ports, n_ports == 1 ? "" : "s", names, conf.n_ports,
			conf.n_ports == 1 ? "is" : "are");
		if (n_ports > conf.n_ports)
			fprintf(stderr, "give every port its address (--addr N:A.B.C.D/LEN "
				"or a [port N] section, N = 0..%u in the order above), or "
				"leave the extra ports out of -a/--vdev\n", n_ports - 1);
		else
			fprintf(stderr, "give DPDK one -a/--vdev per configured port, or "
				"configure %s%u only\n", n_ports == 1 ? "port " : "ports 0..",
				n_ports - 1);
		n_ports = 0;
		return -EINVAL;
	}
	return 0;
}

/* Stop and close ports [0, n). */
static void
ports_close(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		rte_eth_dev_stop(port_ids[i]);
		rte_eth_dev_close(port_ids[i]);
	}
}

int
main(int argc, char **argv)
{
	char err[HSOD_ERR_LEN];
	int eal_argc, eal_n, app_argc, rc, status = EXIT_FAILURE;
	char **app_argv, **eal_args = NULL;
	struct hsod_worker_port wports[HSOD_MAX_PORTS];
	struct hsod_resources res;
	unsigned lcore, n_started = 0;

	split_args(argc, argv, &eal_argc, &app_argc, &app_argv);
	/* hsod --counters: the counter table as Markdown (README carries it). */
	if (app_argc == 1 && strcmp(app_argv[0], "--counters") == 0) {
		hsod_ctr_doc(stdout);
		return EXIT_SUCCESS;
	}
	/*
	 * What EAL will have (lcores, memory) and the system has: every limit a
	 * later stage would refuse is checked against it with the rest of the
	 * configuration, before EAL starts.
	 */
	if (hsod_resources_from_eal(eal_argc, argv, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "hsod: %s\n", err);
		return EXIT_FAILURE;
	}
	hsod_resources_probe(&res);
	/*
	 * Without EAL options (hsod --check --config FILE, as systemd's reload
	 * runs it beside the running hsod) the workers are not known: the
	 * checks that need them are left to the run that has them.
	 */
	if (hsod_config_parse_res(&conf, app_argc, app_argv, eal_argc > 1 ? &res : NULL, err,
				  sizeof(err)) != 0) {
		fprintf(stderr, "hsod: %s\nhsod: see hsod --help\n", err);
		return EXIT_FAILURE;
	}
	if (conf.help) {
		hsod_config_usage(stdout);
		return EXIT_SUCCESS;
	}
	/* Generation 0: policy, certificates, ticket keys, all before EAL. */
	tls_cur = tls_gen_build();
	if (tls_cur == NULL)
		goto out_secrets;
	if (conf.check) {
		printf("hsod: configuration ok: %u certificate(s), ticket keys %s\n",
		       conf.n_certs, conf.ticket_key_file[0] ? "from the key file" :
		       "generated at start");
		status = EXIT_SUCCESS;
		goto out_secrets;
	}
	/* The metrics socket is bound now: an address in use is said before EAL. */
	if (conf.metrics[0] != '\0') {
		metrics = hsod_metrics_create(conf.metrics, &view, view_refresh, NULL, err,
					      sizeof(err));
		if (metrics == NULL) {
			fprintf(stderr, "hsod: [metrics] listen (--metrics): %s\n", err);
			goto out_secrets;
		}
		hsod_metrics_set_build(HSO_VERSION, rte_version(), OpenSSL_version(OPENSSL_VERSION));
	}
	if (conf.ticket_key_file[0] != '\0' && conf.ticket_watch) {
		keywatch = hsod_keywatch_open(conf.ticket_key_file, conf.ticket_watch_delay_ms,
					      err, sizeof(err));
		if (keywatch == NULL) {
			fprintf(stderr, "hsod: [tickets] watch: %s (set watch = no, or "
				"--no-ticket-key-watch, to reload on SIGHUP only)\n", err);
			goto out_secrets;
		}
	}

	eal_args = eal_args_build(eal_argc, argv, &eal_n);
	if (eal_args == NULL) {
		fprintf(stderr, "hsod: out of memory\n");
		goto out_secrets;
	}
	rc = rte_eal_init(eal_n, eal_args);
	if (rc < 0) {
		fprintf(stderr, "hsod: EAL: %s. Without reserved hugepages, add --no-huge "
			"or --in-memory to the EAL arguments (deploy/setup.sh reserves them).\n",
			rte_strerror(rte_errno));
		goto out_secrets;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_sighup);
	/* Before any port connects: a PMD's unmapping waits for the workers. */
	rc = port_guard_init();
	if (rc != 0) {
		fprintf(stderr, "hsod: port guard: %s\n", strerror(-rc));
		goto out_eal;
	}
	if (ports_find() != 0)
		goto out_eal;
	/* One lcore: it is the worker. More: the main lcore only does control. */
	n_workers = rte_lcore_count() > 1 ? rte_lcore_count() - 1 : 1;
	/* One pool for every port: [net] mbufs per port. */
	pool = rte_pktmbuf_pool_create_by_ops("hsod_mbufs", conf.mbufs * n_ports, HSOD_MBUF_CACHE, 0,
					      RTE_MBUF_DEFAULT_BUF_SIZE,
					      rte_eth_dev_socket_id(port_ids[0]), HSOD_POOL_OPS);
	if (pool == NULL && rte_errno == EINVAL) {
		/* The stack mempool driver is not there: FIFO ring, said so. */
		printf("hsod: mempool driver %s unavailable, using %s\n", HSOD_POOL_OPS,
		       rte_mbuf_best_mempool_ops());
		pool = rte_pktmbuf_pool_create("hsod_mbufs", conf.mbufs * n_ports, HSOD_MBUF_CACHE, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE,
					       rte_eth_dev_socket_id(port_ids[0]));
	}
	if (pool == NULL) {
		fprintf(stderr, "hsod: cannot allocate %u mbufs: %s\n", conf.mbufs * n_ports,
			rte_strerror(rte_errno));
		goto out_eal;
	}
	memset(wports, 0, sizeof(wports));
	for (unsigned p = 0; p < n_ports; p++) {
		const struct hsod_port_conf *pc = &conf.ports[p];
		struct in_addr a = { .s_addr = htonl(pc->addr) };
		struct in_addr g = { .s_addr = htonl(pc->gateway) };
		char as[INET_ADDRSTRLEN], gs[INET_ADDRSTRLEN], ms[RTE_ETHER_ADDR_FMT_SIZE];

		wports[p].id = port_ids[p];
		rc = port_setup(port_ids[p], (uint16_t)n_workers, &wports[p].tx_offloads,
				&wports[p].chain_csum_sw);
		if (rc != 0) {
			fprintf(stderr, "hsod: port %u: %s\n", port_ids[p], rte_strerror(-rc));
			goto out_port;
		}
		n_started++;
		rte_eth_macaddr_get(port_ids[p], &wports[p].mac);
		rte_ether_format_addr(ms, sizeof(ms), &wports[p].mac);
		inet_ntop(AF_INET, &a, as, sizeof(as));
		inet_ntop(AF_INET, &g, gs, sizeof(gs));
		printf("hsod: port %u: %s/%u, gateway %s, MAC %s\n", port_ids[p], as,
		       pc->prefix_len, pc->gateway != 0 ? gs : "none", ms);
		if (port_ipv6_show(port_ids[p], pc) != 0)
			goto out_port;
	}
	fflush(stdout);
	/* Application slots and rings, before the workers that use them. */
	apps = hsod_apps_create(n_workers, conf.max_conns, pool, conf.export_keys);
	if (apps == NULL) {
		fprintf(stderr, "hsod: application rings: %s%s\n", strerror(errno),
			errno == EEXIST ? " (another hsod with this --file-prefix?)" : "");
		goto out_port;
	}
	/* Mbufs that slow readers and their applications may not take ([app] pool_reserve). */
	hsod_apps_set_mbuf_reserve(apps, conf.app_pool_reserve != 0 ? conf.app_pool_reserve
								 : pool->size / 4);
	/* What ARP and NDP teach one worker, the others learn (worker.h). */
	for (unsigned i = 0; n_workers > 1 && i < n_workers; i++) {
		neigh_rings[i] = hsod_worker_neigh_ring_create(i, (int)rte_socket_id());
		if (neigh_rings[i] == NULL) {
			fprintf(stderr, "hsod: worker %u's neighbour ring: %s\n", i,
				rte_strerror(rte_errno));
			goto out_workers;
		}
	}
	{
		unsigned i = 0;

		RTE_LCORE_FOREACH(lcore) {
			struct hsod_worker_conf wc = {
				.queue = (uint16_t)i, .lcore = lcore, .index = i,
				.mp = pool, .hs = &tls_cur->hs, .cfg = &conf,
				.shm = hsod_apps_shm(apps), .fc = hsod_apps_fc(apps),
				.n_ports = n_ports,
				.neigh_rings = neigh_rings, .n_workers = n_workers,
				.gates = port_gates,
			};

			if (rte_lcore_count() > 1 && lcore == rte_get_main_lcore())
				continue;
			memcpy(wc.ports, wports, sizeof(wc.ports));
			workers[i] = hsod_worker_create(&wc);
			if (workers[i] == NULL) {
				fprintf(stderr, "hsod: worker %u: %s\n", i, strerror(errno));
				goto out_workers;
			}
			i++;
		}
	}
	/* The built-in application attaches like any other, in this process. */
	if (conf.app != HSOD_APP_EXTERNAL) {
		builtin = hso_app_attach_inproc(hsod_app_name(conf.app), 0);
		if (builtin != NULL && conf.app == HSOD_APP_HTTP)
			http = hsod_app_http_create(builtin, conf.http_status, conf.http_body,
						    conf.http_body_len);
		else if (builtin != NULL)
			echo = hso_echo_create(builtin, 0, NULL);
		if (http == NULL && echo == NULL) {
			fprintf(stderr, "hsod: application %s: %s\n", hsod_app_name(conf.app),
				strerror(errno));
			goto out_workers;
		}
	}
	/* Gratuitous ARP on every port: neighbours learn (or relearn) us now (RFC 5227 2.3). */
	hsod_worker_announce(workers[0]);
	start_us = now_us();
	view_build();
	if (rte_telemetry_register_cmd("/hso/stats", telemetry_stats,
				       "hsod counters: totals, per worker and per port as arrays") != 0 ||
	    rte_telemetry_register_cmd("/hso/latency", telemetry_latency,
				       "Handshake latency histogram. Parameter: worker index "
				       "(none: every worker)") != 0 ||
	    rte_telemetry_register_cmd("/hso/worker", telemetry_worker,
				       "One worker's counters. Parameter: worker index") != 0 ||
	    rte_telemetry_register_cmd("/hso/app", telemetry_app,
				       "The built-in application's counters") != 0 ||
	    rte_telemetry_register_cmd("/hso/apps", telemetry_apps,
				       "Application slots: name, state, pid, sessions, polls") != 0 ||
	    rte_telemetry_register_cmd("/hso/net6", telemetry_net6,
				       "IPv6 counters: Neighbor Discovery, ICMPv6, drops by reason") != 0 ||
	    rte_telemetry_register_cmd("/hso/port", telemetry_port,
				       "Ports' run state (running, stopping, stopped). "
				       "Parameter: port index (none: every port)") != 0 ||
	    rte_telemetry_register_cmd("/hso/port/stop", telemetry_port_cmd,
				       "Stop a port (rte_eth_dev_stop) once the workers keep "
				       "off it; connections retransmit or time out. "
				       "Parameter: port index") != 0 ||
	    rte_telemetry_register_cmd("/hso/port/start", telemetry_port_cmd,
				       "Start a stopped port again. Parameter: port index") != 0)
		fprintf(stderr, "hsod: telemetry commands not registered\n");

	printf("hsod: ready\n");
	fflush(stdout);
	/* Workers on every lcore; with one lcore the main lcore is the worker. */
	if (rte_lcore_count() > 1) {
		for (unsigned i = 0; i < n_workers; i++)
			rte_eal_remote_launch(worker_main, (void *)(uintptr_t)i,
					      hsod_worker_lcore(workers[i]));
		/*
		 * The main lcore: the application, and control work once a
		 * millisecond, until the workers stop; its cycles are counted
		 * like a worker's (main_clock).
		 */
		uint64_t next_control = 0;

		hsod_lcore_clock_start(&main_clock);
		while (atomic_load(&workers_done) < n_workers) {
			uint64_t now = now_us();

			if (now >= next_control) {
				next_control = now + 1000;
				control(now);
				hsod_lcore_busy_part(&main_clock, &main_clock.st.control_cycles);
			}
			if (builtin_poll() > 0) {
				hsod_lcore_busy_part(&main_clock, &main_clock.st.app_cycles);
			} else {
				usleep(50);
				hsod_lcore_idle(&main_clock);
			}
		}
		rte_eal_mp_wait_lcore();
	} else {
		worker_main((void *)(uintptr_t)0);
	}
	status = EXIT_SUCCESS;
out_workers:
	/* Attached applications see -ESHUTDOWN from now on. */
	if (apps != NULL)
		hsod_apps_stop(apps);
	hsod_app_http_free(http);
	hso_echo_free(echo);
	hso_app_detach(builtin);
	for (unsigned i = 0; i < n_workers; i++) {
		hsod_worker_free(workers[i]);
		rte_ring_free(neigh_rings[i]);
		neigh_rings[i] = NULL;
	}
	hsod_apps_free(apps);
out_port:
	ports_close(n_started);
out_eal:
	rte_eal_cleanup();
out_secrets:
	while (tls_retired != NULL) {
		struct tls_gen *g = tls_retired;

		tls_retired = g->next;
		tls_gen_free(g);
	}
	tls_gen_free(tls_cur);
	hso_stek_set_free(stek_generated);
	hsod_keywatch_close(keywatch);
	hsod_metrics_free(metrics);
	free(eal_args);
	return status;
}
