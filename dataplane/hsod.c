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

#include "config.h"
#include "handshake.h"
#include "app.h"
#include "apps.h"
#include "hso_app.h"
#include "keywatch.h"
#include "net.h"
#include "worker.h"

#define RX_DESC 1024
#define TX_DESC 1024

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
	struct hso_stek_set *stek;      /* owned when loaded from the key file */
	atomic_uint released;
	struct tls_gen *next;           /* on the retired list */
};
static struct tls_gen *tls_cur, *tls_retired;
static _Atomic(struct tls_gen *) tls_next[RTE_MAX_LCORE];
/* Keys generated at start (no key file): one set, shared by every generation. */
static struct hso_stek_set *stek_generated;
/* The key file's directory, watched when [tickets] watch (control path). */
static struct hsod_keywatch *keywatch;
static struct hsod_worker *workers[RTE_MAX_LCORE];
static unsigned n_workers;
/* Port i of the configuration is DPDK port port_ids[i]. */
static uint16_t port_ids[HSOD_MAX_PORTS];
static unsigned n_ports;
static struct rte_mempool *pool;
static struct hsod_config conf;
static struct hsod_apps *apps;             /* the shared memory and slots */
static struct hso_app *builtin;             /* --app http|echo */
static struct hsod_app_http *http;
static struct hso_echo *echo;

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

static void control(void);

static int
worker_main(void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg;
	struct hsod_worker *w = workers[idx];
	bool alone = rte_lcore_count() == 1;
	bool draining = false;
	unsigned iter = 0;
	uint64_t next_control = 0;

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
		hsod_worker_poll(w, now);
		if (alone) {
			builtin_poll();
			/* Control work (reload, attach requests, liveness: a
			 * syscall per attached app) once a millisecond. */
			if (now >= next_control) {
				next_control = now + 1000;
				control();
			}
		}
		if ((++iter & 1023) == 0) {
			const struct hs_config *old;

			while ((old = hsod_worker_released(w)) != NULL)
				atomic_fetch_add(&((struct tls_gen *)(uintptr_t)old)->released, 1);
		}
		if (!draining && atomic_load_explicit(&drain_requested, memory_order_relaxed)) {
			hsod_worker_drain(w, now, (uint64_t)conf.handshake_timeout_ms * 1000);
			draining = true;
		}
		if (draining && hsod_worker_drained(w, now))
			break;
	}
	atomic_fetch_add(&workers_done, 1);
	return 0;
}

/* The counters of workers [from, to): summed into @p d. */
static void
stats_fill(struct rte_tel_data *d, unsigned from, unsigned to)
{
	uint64_t rx = 0, tx = 0, drops = 0, busy = 0, idle = 0, rst = 0, csum = 0;
	uint64_t hs_ok = 0, hs_fail = 0, hs_res = 0, active = 0, refused = 0;
	uint64_t rst_rcvd = 0, backlog = 0, no_route = 0;
	uint64_t no_app = 0, budget_stalls = 0, ring_stalls = 0;
	uint64_t rx_ignored = 0;
	uint64_t app_dropped = 0, app_ev = 0, app_cmd = 0, app_stale = 0;
	uint64_t app_bursts = 0;
	uint64_t zero_win = 0, win_upd = 0;
	uint64_t kdf_runs = 0, kdf_reqs = 0, asym = 0, v12 = 0, v13 = 0;
	uint64_t by_reason[HSOD_DROP_NUM] = { 0 }, tcp_drops[TCP_DROP_NUM] = { 0 };
	uint64_t by_suite[HS_SUITES_NUM] = { 0 }, sent[256] = { 0 }, peer[256] = { 0 };
	uint64_t in_state[HS_STATE_NUM] = { 0 }, big_msgs = 0, big_empty = 0, big_now = 0;
	uint64_t hctx_now = 0, hctx_max = 0, hctx_empty = 0, kc_hits = 0, kc_misses = 0;
	uint64_t by_state[TCP_STATE_NUM] = { 0 };
	uint64_t records = 0, coalesced = 0, sends_dropped = 0, rx_copied = 0, tx_copied = 0;
	uint64_t touched = 0;
	struct sess_stats ss = { 0 };
	struct hsod_neigh_stats nb = { 0 };

	for (unsigned i = from; i < to; i++) {
		const struct hsod_worker_stats *ws = hsod_worker_stats(workers[i]);
		const struct tcp_stats *ts = hsod_worker_tcp_stats(workers[i]);
		const struct hs_worker_stats *hs = hsod_worker_tls_stats(workers[i]);

		rx += ws->rx_packets;
		tx += ws->tx_packets;
		busy += ws->busy_cycles;
		idle += ws->idle_cycles;
		csum += ws->tcp_csum_bad;
		refused += ws->conns_refused;
		{
			const struct sess_stats *x = hsod_worker_sess_stats(workers[i]);

#define SESS_SUM(field, ...) ss.field += x->field;
			SESS_COUNTERS(SESS_SUM)
#undef SESS_SUM
			for (unsigned k = 0; k < SESS_REASON_NUM; k++)
				ss.ended[k] += x->ended[k];
			for (unsigned k = 0; k < SESS_STATE_NUM; k++)
				ss.states[k] += x->states[k];
		}
		records += ws->app_records;
		coalesced += ws->app_records_coalesced;
		sends_dropped += ws->app_sends_dropped;
		rx_copied += ws->rx_copied;
		tx_copied += ws->tx_copied;
		touched += hsod_worker_sessions_touched(workers[i]);
		backlog += ws->app_backlog_aborts;
		no_app += ws->conns_no_app;
		budget_stalls += ws->app_budget_stalls;
		ring_stalls += ws->app_ring_stalls;
		app_dropped += ws->app_bytes_dropped;
		rx_ignored += ws->rx_bytes_ignored;
		app_ev += ws->app_events;
		app_bursts += ws->app_event_bursts;
		app_cmd += ws->app_commands;
		app_stale += ws->app_commands_stale;
		zero_win += ts->zero_window_sent;
		win_upd += ts->window_updates;
		rst_rcvd += ts->resets_rcvd;
		drops += ws->tx_dropped + ws->tcp_csum_bad;
		rst += ts->resets_sent;
		for (unsigned p = 0; p < hsod_worker_ports(workers[i]); p++) {
			const struct hsod_net_stats *ns = hsod_worker_net_stats(workers[i], p);

			const struct hsod_neigh_stats *nbs = hsod_worker_neigh_stats(workers[i], p);

			for (int r = 0; r < HSOD_DROP_NUM; r++) {
				by_reason[r] += ns->drops[r];
				drops += ns->drops[r];
			}
			no_route += ns->tx_no_route;
			drops += ns->tx_no_route + nbs->queue_drops;
#define NEIGH_SUM(field, ...) nb.field += nbs->field;
			HSOD_NEIGH_COUNTERS(NEIGH_SUM)
#undef NEIGH_SUM
		}
		for (int r = 0; r < TCP_DROP_NUM; r++)
			tcp_drops[r] += ts->drops[r];
		for (int st = TCP_SYN_RCVD; st < TCP_STATE_NUM; st++) {
			active += ts->conns[st];
			by_state[st] += ts->conns[st];
		}
		v12 += hs->completed_tls12;
		v13 += hs->completed_tls13;
		for (int k = 0; k < HS_SUITES_NUM; k++)
			by_suite[k] += hs->completed_by_suite[k];
		for (int k = 0; k < 256; k++) {
			sent[k] += hs->failed_sent_alert[k];
			peer[k] += hs->failed_peer_alert[k];
		}
		for (int k = 0; k < HS_STATE_NUM; k++)
			in_state[k] += hs->failed_in_state[k];
		big_msgs += hs->msg_pool.borrowed;
		big_empty += hs->msg_pool.exhausted;
		big_now += hs->msg_pool.in_use;
		hctx_now += hs->hctx.in_use;
		hctx_max += hs->hctx.in_use_max;
		hctx_empty += hs->hctx.exhausted;
		kc_hits += hs->key_cache_hits;
		kc_misses += hs->key_cache_misses;
		hs_ok += hs->handshakes_completed;
		hs_fail += hs->handshakes_failed;
		hs_res += hs->resumed;
		kdf_runs += hs->kdf_runs;
		kdf_reqs += hs->kdf_requests;
		asym += hs->asym_jobs;
	}
	rte_tel_data_add_dict_u64(d, "rx_packets", rx);
	rte_tel_data_add_dict_u64(d, "tx_packets", tx);
	rte_tel_data_add_dict_u64(d, "drops", drops);
	rte_tel_data_add_dict_u64(d, "tcp_active", active);
	rte_tel_data_add_dict_u64(d, "tcp_resets_sent", rst);
	rte_tel_data_add_dict_u64(d, "tcp_csum_bad", csum);
	rte_tel_data_add_dict_u64(d, "conns_refused", refused);
	rte_tel_data_add_dict_u64(d, "app_backlog_aborts", backlog);
	rte_tel_data_add_dict_u64(d, "conns_no_app", no_app);
	rte_tel_data_add_dict_u64(d, "app_events", app_ev);
	rte_tel_data_add_dict_u64(d, "app_event_bursts", app_bursts);
	rte_tel_data_add_dict_u64(d, "app_commands", app_cmd);
	rte_tel_data_add_dict_u64(d, "app_commands_stale", app_stale);
	rte_tel_data_add_dict_u64(d, "app_budget_stalls", budget_stalls);
	rte_tel_data_add_dict_u64(d, "app_ring_stalls", ring_stalls);
	rte_tel_data_add_dict_u64(d, "app_bytes_dropped", app_dropped);
	rte_tel_data_add_dict_u64(d, "rx_bytes_ignored", rx_ignored);
	rte_tel_data_add_dict_u64(d, "app_records", records);
	rte_tel_data_add_dict_u64(d, "app_records_coalesced", coalesced);
	rte_tel_data_add_dict_u64(d, "app_sends_dropped", sends_dropped);
	rte_tel_data_add_dict_u64(d, "rx_segments_copied", rx_copied);
	rte_tel_data_add_dict_u64(d, "tx_segments_copied", tx_copied);
	rte_tel_data_add_dict_u64(d, "sessions_touched", touched);
	rte_tel_data_add_dict_u64(d, "conn_resident_bytes", hsod_worker_conn_bytes(workers[from]));
	/* The session layer's table (session.h), names and all. */
#define SESS_TEL(field, name, ...) rte_tel_data_add_dict_u64(d, name, ss.field);
	SESS_COUNTERS(SESS_TEL)
#undef SESS_TEL
	for (unsigned k = 1; k < SESS_REASON_NUM; k++) {
		char key[48];

		snprintf(key, sizeof(key), "sess_ended_%s", sess_reason_name(k));
		rte_tel_data_add_dict_u64(d, key, ss.ended[k]);
	}
	for (unsigned k = 1; k < SESS_STATE_NUM; k++) {
		char key[48];

		snprintf(key, sizeof(key), "sess_state_%s", sess_state_name(k));
		rte_tel_data_add_dict_u64(d, key, ss.states[k]);
	}
	rte_tel_data_add_dict_u64(d, "tcp_zero_window", zero_win);
	rte_tel_data_add_dict_u64(d, "window_updates", win_upd);
	rte_tel_data_add_dict_u64(d, "tx_no_route", no_route);
#define NEIGH_TEL(field, name, ...) rte_tel_data_add_dict_u64(d, name, nb.field);
	HSOD_NEIGH_COUNTERS(NEIGH_TEL)
#undef NEIGH_TEL
	rte_tel_data_add_dict_u64(d, "handshakes_completed", hs_ok);
	rte_tel_data_add_dict_u64(d, "handshakes_failed", hs_fail);
	rte_tel_data_add_dict_u64(d, "handshakes_resumed", hs_res);
	rte_tel_data_add_dict_u64(d, "handshake_large_msgs", big_msgs);
	rte_tel_data_add_dict_u64(d, "handshake_large_msg_bufs_in_use", big_now);
	rte_tel_data_add_dict_u64(d, "handshake_large_msg_pool_empty", big_empty);
	rte_tel_data_add_dict_u64(d, "handshake_contexts_in_use", hctx_now);
	rte_tel_data_add_dict_u64(d, "handshake_contexts_in_use_max", hctx_max);
	rte_tel_data_add_dict_u64(d, "handshake_context_refusals", hctx_empty);
	rte_tel_data_add_dict_u64(d, "record_key_cache_hits", kc_hits);
	rte_tel_data_add_dict_u64(d, "record_key_cache_misses", kc_misses);
	rte_tel_data_add_dict_u64(d, "tcp_resets_rcvd", rst_rcvd);
	rte_tel_data_add_dict_u64(d, "crypto_asym_jobs", asym);
	rte_tel_data_add_dict_u64(d, "crypto_kdf_runs", kdf_runs);
	rte_tel_data_add_dict_u64(d, "crypto_kdf_requests", kdf_reqs);
	rte_tel_data_add_dict_u64(d, "busy_cycles", busy);
	rte_tel_data_add_dict_u64(d, "idle_cycles", idle);
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	for (int r = 0; r < HSOD_DROP_NUM; r++) {
		char name[64];

		snprintf(name, sizeof(name), "drop_%s", hsod_drop_name((enum hsod_drop)r));
		rte_tel_data_add_dict_u64(d, name, by_reason[r]);
	}
	for (int r = 0; r < TCP_DROP_NUM; r++) {
		char name[64];

		snprintf(name, sizeof(name), "tcp_drop_%s", tcp_drop_name((enum tcp_drop)r));
		rte_tel_data_add_dict_u64(d, name, tcp_drops[r]);
	}
	for (int st = TCP_SYN_RCVD; st < TCP_STATE_NUM; st++) {
		char name[64];

		snprintf(name, sizeof(name), "tcp_state_%s", tcp_state_name((enum tcp_state)st));
		rte_tel_data_add_dict_u64(d, name, by_state[st]);
	}
	rte_tel_data_add_dict_u64(d, "handshakes_tls12", v12);
	rte_tel_data_add_dict_u64(d, "handshakes_tls13", v13);
	for (int k = 0; k < HS_SUITES_NUM; k++) {
		char name[80];

		snprintf(name, sizeof(name), "handshakes_%s", hs_suite_at((unsigned)k)->name);
		rte_tel_data_add_dict_u64(d, name, by_suite[k]);
	}
	/* Failures by alert: only the ones that happened, to keep the dict short. */
	for (int k = 0; k < 256; k++) {
		char name[80];

		if (sent[k] != 0) {
			snprintf(name, sizeof(name), "failed_sent_%s",
				 k == 255 ? "internal" : hs_alert_name(k));
			rte_tel_data_add_dict_u64(d, name, sent[k]);
		}
		if (peer[k] != 0) {
			snprintf(name, sizeof(name), "failed_peer_%s", hs_alert_name(k));
			rte_tel_data_add_dict_u64(d, name, peer[k]);
		}
	}
	/* Failures by the engine state they happened in: where clients fail. */
	for (int k = 0; k < HS_STATE_NUM; k++) {
		char name[80];

		if (in_state[k] != 0) {
			snprintf(name, sizeof(name), "failed_in_%s", hs_state_name((unsigned)k));
			rte_tel_data_add_dict_u64(d, name, in_state[k]);
		}
	}
}

/* Per-worker values of one counter, as an array indexed like "workers". */
static int
add_worker_array(struct rte_tel_data *d, const char *name,
		 uint64_t (*get)(const struct hsod_worker *))
{
	struct rte_tel_data *a = rte_tel_data_alloc();

	if (a == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (unsigned i = 0; i < n_workers; i++)
		rte_tel_data_add_array_u64(a, get(workers[i]));
	return rte_tel_data_add_dict_container(d, name, a, 0);
}

/*
 * Per-port packet counters of workers [from, to), as arrays indexed by port
 * (like "ports"), and the ports' DPDK ids as "ports".
 */
static int
add_port_arrays(struct rte_tel_data *d, unsigned from, unsigned to)
{
	struct rte_tel_data *ids = rte_tel_data_alloc(), *rx = rte_tel_data_alloc();
	struct rte_tel_data *tx = rte_tel_data_alloc();

	if (ids == NULL || rx == NULL || tx == NULL) {
		rte_tel_data_free(ids);
		rte_tel_data_free(rx);
		rte_tel_data_free(tx);
		return -ENOMEM;
	}
	rte_tel_data_start_array(ids, RTE_TEL_U64_VAL);
	rte_tel_data_start_array(rx, RTE_TEL_U64_VAL);
	rte_tel_data_start_array(tx, RTE_TEL_U64_VAL);
	for (unsigned p = 0; p < n_ports; p++) {
		uint64_t r = 0, t = 0;

		for (unsigned i = from; i < to; i++) {
			r += hsod_worker_stats(workers[i])->port_rx_packets[p];
			t += hsod_worker_stats(workers[i])->port_tx_packets[p];
		}
		rte_tel_data_add_array_u64(ids, port_ids[p]);
		rte_tel_data_add_array_u64(rx, r);
		rte_tel_data_add_array_u64(tx, t);
	}
	rte_tel_data_add_dict_container(d, "ports", ids, 0);
	rte_tel_data_add_dict_container(d, "ports_rx_packets", rx, 0);
	rte_tel_data_add_dict_container(d, "ports_tx_packets", tx, 0);
	return 0;
}

static uint64_t w_lcore(const struct hsod_worker *w) { return hsod_worker_lcore(w); }
static uint64_t w_rx(const struct hsod_worker *w) { return hsod_worker_stats(w)->rx_packets; }
static uint64_t w_tx(const struct hsod_worker *w) { return hsod_worker_stats(w)->tx_packets; }
static uint64_t w_busy(const struct hsod_worker *w) { return hsod_worker_stats(w)->busy_cycles; }
static uint64_t w_idle(const struct hsod_worker *w) { return hsod_worker_stats(w)->idle_cycles; }
static uint64_t
w_hs(const struct hsod_worker *w)
{
	return hsod_worker_tls_stats(w)->handshakes_completed;
}

/*
 * /hso/stats: totals, per worker as arrays indexed like "workers" and per
 * port as arrays indexed like "ports" (DPDK 22.11 telemetry cannot nest a
 * dict in a dict); /hso/worker,N has one worker's counters in full.
 */
static int
telemetry_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	stats_fill(d, 0, n_workers);
	{
		const struct hsod_apps_stats *as = hsod_apps_stats(apps);

		rte_tel_data_add_dict_u64(d, "apps_attached", hsod_apps_active(apps));
		rte_tel_data_add_dict_u64(d, "apps_attach_total", as->attached);
		rte_tel_data_add_dict_u64(d, "apps_rejected", as->rejected);
		rte_tel_data_add_dict_u64(d, "apps_detached", as->detached);
		rte_tel_data_add_dict_u64(d, "apps_crashed", as->crashed);
		rte_tel_data_add_dict_u64(d, "apps_mbufs_reclaimed", as->mbufs_reclaimed);
		rte_tel_data_add_dict_u64(d, "mbufs_free", rte_mempool_avail_count(pool));
		rte_tel_data_add_dict_u64(d, "mbufs_total", pool->size);
	}
	if (add_port_arrays(d, 0, n_workers) != 0 ||
	    add_worker_array(d, "workers", w_lcore) != 0 ||
	    add_worker_array(d, "workers_rx_packets", w_rx) != 0 ||
	    add_worker_array(d, "workers_tx_packets", w_tx) != 0 ||
	    add_worker_array(d, "workers_handshakes_completed", w_hs) != 0 ||
	    add_worker_array(d, "workers_busy_cycles", w_busy) != 0 ||
	    add_worker_array(d, "workers_idle_cycles", w_idle) != 0)
		return -ENOMEM;
	return 0;
}

/* /hso/app: the built-in application's counters (none with --app external). */
static int
telemetry_app(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "type", hsod_app_name(conf.app));
	if (http != NULL) {
		const struct hsod_app_http_stats *st = hsod_app_http_stats(http);

		rte_tel_data_add_dict_u64(d, "requests", st->requests);
		rte_tel_data_add_dict_u64(d, "responses", st->responses);
		rte_tel_data_add_dict_u64(d, "bad_requests", st->bad_requests);
		rte_tel_data_add_dict_u64(d, "closes", st->closes);
		rte_tel_data_add_dict_u64(d, "req_bufs_exhausted", st->req_bufs_exhausted);
		rte_tel_data_add_dict_u64(d, "send_waits", st->send_waits);
	} else if (echo != NULL) {
		const struct hso_echo_stats *st = hso_echo_stats(echo);

		rte_tel_data_add_dict_u64(d, "sessions", st->sessions);
		rte_tel_data_add_dict_u64(d, "bytes", st->bytes);
		rte_tel_data_add_dict_u64(d, "closes", st->closes);
		rte_tel_data_add_dict_u64(d, "send_waits", st->send_waits);
	}
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
	char *end;
	unsigned long i;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	i = strtoul(params, &end, 10);
	if (*end != '\0' || i >= n_workers)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "lcore", hsod_worker_lcore(workers[i]));
	stats_fill(d, (unsigned)i, (unsigned)i + 1);
	return add_port_arrays(d, (unsigned)i, (unsigned)i + 1);
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
	/* RSS on the TCP 4-tuple so a connection always meets the same worker. */
	if (nq > 1) {
		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pc.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4) & info.flow_type_rss_offloads;
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
	for (unsigned i = 0; i < HSOD_MAX_CERTS; i++)
		hso_cert_free(g->certs[i]);
	if (g->stek != stek_generated)
		hso_stek_set_free(g->stek);
	hs_config_wipe(&g->hs);
	free(g);
}

/*
 * Build a TLS generation from the configuration's paths: policy, then the
 * certificates and the ticket keys, each error naming the file.
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
		if (hs_config_add_cert(&g->hs, g->certs[i], conf.certs[i].is_default) != 0) {
			fprintf(stderr, "hsod: certificate '%s': cannot be served\n",
				conf.certs[i].name);
			goto fail;
		}
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

/* Control work: on the main lcore, or in the worker loop with one lcore. */
static void
control(void)
{
	bool reload = atomic_exchange(&reload_requested, false);

	/* The key file changed (and the directory has been quiet since). */
	if (keywatch != NULL && hsod_keywatch_poll(keywatch, now_us() / 1000) > 0) {
		printf("hsod: %s changed: reloading\n", conf.ticket_key_file);
		reload = true;
	}
	if (reload)
		tls_reload();
	tls_collect();
	hsod_apps_control(apps);
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
	int eal_argc, app_argc, rc, status = EXIT_FAILURE;
	char **app_argv;
	struct hsod_worker_port wports[HSOD_MAX_PORTS];
	unsigned lcore, n_started = 0;

	split_args(argc, argv, &eal_argc, &app_argc, &app_argv);
	if (hsod_config_parse(&conf, app_argc, app_argv, err, sizeof(err)) != 0) {
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
	if (conf.ticket_key_file[0] != '\0' && conf.ticket_watch) {
		keywatch = hsod_keywatch_open(conf.ticket_key_file, conf.ticket_watch_delay_ms,
					      err, sizeof(err));
		if (keywatch == NULL) {
			fprintf(stderr, "hsod: [tickets] watch: %s (set watch = no, or "
				"--no-ticket-key-watch, to reload on SIGHUP only)\n", err);
			goto out_secrets;
		}
	}

	rc = rte_eal_init(eal_argc, argv);
	if (rc < 0) {
		fprintf(stderr, "hsod: EAL: %s. Without reserved hugepages, add --no-huge "
			"or --in-memory to the EAL arguments (deploy/setup.sh reserves them).\n",
			rte_strerror(rte_errno));
		goto out_secrets;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_sighup);
	if (ports_find() != 0)
		goto out_eal;
	/* One lcore: it is the worker. More: the main lcore only does control. */
	n_workers = rte_lcore_count() > 1 ? rte_lcore_count() - 1 : 1;
	/* One pool for every port: [net] mbufs per port. */
	pool = rte_pktmbuf_pool_create_by_ops("hsod_mbufs", conf.mbufs * n_ports, 256, 0,
					      RTE_MBUF_DEFAULT_BUF_SIZE,
					      rte_eth_dev_socket_id(port_ids[0]), HSOD_POOL_OPS);
	if (pool == NULL && rte_errno == EINVAL) {
		/* The stack mempool driver is not there: FIFO ring, said so. */
		printf("hsod: mempool driver %s unavailable, using %s\n", HSOD_POOL_OPS,
		       rte_mbuf_best_mempool_ops());
		pool = rte_pktmbuf_pool_create("hsod_mbufs", conf.mbufs * n_ports, 256, 0,
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
	}
	fflush(stdout);
	/* Application slots and rings, before the workers that use them. */
	apps = hsod_apps_create(n_workers, conf.max_conns, pool, conf.export_keys);
	if (apps == NULL) {
		fprintf(stderr, "hsod: application rings: %s%s\n", strerror(errno),
			errno == EEXIST ? " (another hsod with this --file-prefix?)" : "");
		goto out_port;
	}
	{
		unsigned i = 0;

		RTE_LCORE_FOREACH(lcore) {
			struct hsod_worker_conf wc = {
				.queue = (uint16_t)i, .lcore = lcore, .index = i,
				.mp = pool, .hs = &tls_cur->hs, .cfg = &conf,
				.shm = hsod_apps_shm(apps), .fc = hsod_apps_fc(apps),
				.n_ports = n_ports,
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
	if (rte_telemetry_register_cmd("/hso/stats", telemetry_stats,
				       "hsod counters: totals, per worker and per port as arrays") != 0 ||
	    rte_telemetry_register_cmd("/hso/worker", telemetry_worker,
				       "One worker's counters. Parameter: worker index") != 0 ||
	    rte_telemetry_register_cmd("/hso/app", telemetry_app,
				       "The built-in application's counters") != 0 ||
	    rte_telemetry_register_cmd("/hso/apps", telemetry_apps,
				       "Application slots: name, state, pid, sessions, polls") != 0)
		fprintf(stderr, "hsod: telemetry commands not registered\n");

	printf("hsod: ready\n");
	fflush(stdout);
	/* Workers on every lcore; with one lcore the main lcore is the worker. */
	if (rte_lcore_count() > 1) {
		for (unsigned i = 0; i < n_workers; i++)
			rte_eal_remote_launch(worker_main, (void *)(uintptr_t)i,
					      hsod_worker_lcore(workers[i]));
		/* The main lcore: the application, and control work, until workers stop. */
		while (atomic_load(&workers_done) < n_workers) {
			control();
			if (builtin_poll() <= 0)
				usleep(50);
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
	for (unsigned i = 0; i < n_workers; i++)
		hsod_worker_free(workers[i]);
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
	return status;
}
