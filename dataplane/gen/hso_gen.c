/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-gen: a TLS load generator on DPDK. The order, for whoever runs it:
 * every flag checked before EAL starts (one line and exit 1 otherwise);
 * EAL, the one port (a queue pair per worker lcore, RSS steering when the
 * port hashes), link up; the target probed (ARP, one connection: exit 2
 * with one line when it cannot be reached); then the load on every worker
 * lcore, a line per second on stderr, and one JSON document on stdout.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
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

#include "cfg_ip6.h"
#include "cfg_tls.h"
#include "crypto_asym.h"
#include "gen_config.h"
#include "gen_hist.h"
#include "gen_worker.h"
#include "hs_client.h"
#include "port_guard.h"

#define RX_DESC 1024
#define TX_DESC 1024
#define LINK_WAIT_S 5
#define EXIT_UNREACHABLE 2
#define EXIT_NO_HANDSHAKE 3

static atomic_bool stop_requested, force_quit;
static atomic_uint workers_done;
static struct gen_config cfg;
static struct gen_worker *workers[RTE_MAX_LCORE];
static unsigned n_workers;
static uint16_t port_id;
static struct rte_mempool *pool;
static struct hs_client_config client_cfg;
static struct hso_ca_store *ca_store;

static void
on_signal(int sig)
{
	(void)sig;
	if (atomic_exchange(&stop_requested, true))
		atomic_store(&force_quit, true);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------- reporting */

struct totals {
	struct gen_stats s;         /* window: live - base */
	struct gen_hist h;
	struct tcp_stats tcp;
	uint64_t rx, tx, tx_dropped;
	uint64_t window_us;
	uint64_t errors;
	struct gen_impair_stats im[2];  /* --impair: [0] transmit, [1] receive */
};

static void
impair_add(struct gen_impair_stats *t, const struct gen_impair_stats *s)
{
	if (s == NULL)
		return;
	t->packets += s->packets;
	t->lost += s->lost;
	t->duplicated += s->duplicated;
	t->dup_failed += s->dup_failed;
	t->reordered += s->reordered;
	t->reorder_expired += s->reorder_expired;
	t->delayed += s->delayed;
	t->overflow += s->overflow;
}

static void
totals_sum(struct totals *t, bool with_hist)
{
	uint64_t w_start = UINT64_MAX, w_end = 0;

	memset(t, 0, sizeof(*t));
	gen_hist_init(&t->h);
	for (unsigned i = 0; i < n_workers; i++) {
		const struct gen_stats *s = gen_worker_stats(workers[i]);
		const struct gen_stats *b = gen_worker_base(workers[i]);
		const struct tcp_stats *ts = gen_worker_tcp_stats(workers[i]);
		const struct tcp_stats *tb = gen_worker_tcp_base(workers[i]);
		uint64_t rx, tx, txd, ws, we;

		t->s.started += s->started;
		t->s.connected += s->connected;
		t->s.handshakes += s->handshakes;
		t->s.resumed += s->resumed;
		t->s.resume_offered += s->resume_offered;
		t->s.requests += s->requests;
		t->s.responses += s->responses;
		t->s.closed += s->closed;
		t->s.sessions_stored += s->sessions_stored;
		t->s.tickets_missing += s->tickets_missing;
		for (int k = 0; k < 6; k++)
			t->s.http_status[k] += s->http_status[k];
		for (int k = 0; k < 2; k++)
			t->s.by_version[k] += s->by_version[k];
		for (int k = 0; k < HS_SUITES_NUM; k++)
			t->s.by_suite[k] += s->by_suite[k];
		for (int k = 0; k < GEN_GROUPS_NUM; k++)
			t->s.by_group[k] += s->by_group[k];
		for (int k = 0; k < 256; k++) {
			t->s.alerts_sent[k] += s->alerts_sent[k];
			t->s.alerts_rcvd[k] += s->alerts_rcvd[k];
		}
		t->s.flood_sent += s->flood_sent;
		t->s.flood_no_buf += s->flood_no_buf;
		t->s.flood_syn_acks += s->flood_syn_acks;
		t->s.flood_rsts += s->flood_rsts;
		t->s.flood_other += s->flood_other;
		t->s.hs_before_flood += s->hs_before_flood;
		t->s.hs_during_flood += s->hs_during_flood;
		impair_add(&t->im[0], gen_worker_impair_stats(workers[i], false));
		impair_add(&t->im[1], gen_worker_impair_stats(workers[i], true));
		t->s.late_starts += s->late_starts;
		t->s.arrivals += s->arrivals;
		t->s.abandoned += s->abandoned;
		t->s.drain_done += s->drain_done;
		t->s.drain_failed += s->drain_failed;
		for (int e = 0; e < GEN_ERR_NUM; e++)
			t->s.errors[e] += s->errors[e];
		for (int e = 0; e < GEN_ERR_NUM; e++)
			t->s.drain_errors[e] += s->drain_errors[e];
		for (int k = 0; k < GC_STATE_NUM; k++) {
			t->s.timeouts_in[k] += s->timeouts_in[k];
			t->s.drain_failed_in[k] += s->drain_failed_in[k];
		}
		t->s.busy_cycles += s->busy_cycles - b->busy_cycles;
		t->s.idle_cycles += s->idle_cycles - b->idle_cycles;
		t->s.inflight += s->inflight;
		t->s.held += s->held;
		t->tcp.connects += ts->connects - tb->connects;
		t->tcp.connected += ts->connected - tb->connected;
		t->tcp.connect_refused += ts->connect_refused - tb->connect_refused;
		t->tcp.connect_timeouts += ts->connect_timeouts - tb->connect_timeouts;
		t->tcp.retransmits += ts->retransmits - tb->retransmits;
		t->tcp.resets_sent += ts->resets_sent - tb->resets_sent;
		t->tcp.resets_rcvd += ts->resets_rcvd - tb->resets_rcvd;
		t->tcp.ports_exhausted += ts->ports_exhausted - tb->ports_exhausted;
		t->tcp.port_collisions += ts->port_collisions - tb->port_collisions;
		t->tcp.time_wait_reused += ts->time_wait_reused - tb->time_wait_reused;
		t->tcp.challenge_acks += ts->challenge_acks - tb->challenge_acks;
		for (int d = 0; d < TCP_DROP_NUM; d++)
			t->tcp.drops[d] += ts->drops[d] - tb->drops[d];
		gen_worker_packets(workers[i], &rx, &tx, &txd);
		t->rx += rx;
		t->tx += tx;
		t->tx_dropped += txd;
		gen_worker_window(workers[i], &ws, &we);
		if (ws != 0 && ws < w_start)
			w_start = ws;
		if (we > w_end)
			w_end = we;
		if (with_hist)
			gen_hist_merge(&t->h, gen_worker_hist(workers[i]));
	}
	for (int e = 0; e < GEN_ERR_NUM; e++)
		t->errors += t->s.errors[e];
	t->window_us = w_start != UINT64_MAX && w_end > w_start ? w_end - w_start : 0;
}

/* The per-second line: what happened since the previous one. */
static void
print_second(unsigned sec, struct totals *prev, struct gen_hist *scratch, double dt)
{
	struct totals now;
	char errs[512] = "";
	size_t o = 0;
	uint64_t hs, ne = 0;

	totals_sum(&now, true);
	gen_hist_diff(scratch, &now.h, &prev->h);
	hs = now.s.handshakes >= prev->s.handshakes ? now.s.handshakes - prev->s.handshakes : 0;
	for (int e = 0; e < GEN_ERR_NUM; e++) {
		uint64_t d = now.s.errors[e] - prev->s.errors[e];

		ne += d;
		if (d > 0 && o < sizeof(errs))
			o += (size_t)snprintf(errs + o, sizeof(errs) - o, " %s %" PRIu64,
					      gen_err_name((enum gen_err)e), d);
	}
	fprintf(stderr, "hso-gen: %4us  %8.0f hs/s  errors %" PRIu64 "%s%s%s  p50 %.1f us  "
		"p99 %.1f us  in progress %" PRIu64 "%s", sec, dt > 0 ? (double)hs / dt : 0.0,
		ne, ne ? " (" : "", errs + (ne ? 1 : 0), ne ? ")" : "",
		gen_hist_quantile(scratch, 0.5) / 1e3, gen_hist_quantile(scratch, 0.99) / 1e3,
		now.s.inflight, now.window_us == 0 && now.s.handshakes == 0 ? "  (warm-up)" : "");
	if (cfg.hold > 0)
		fprintf(stderr, "  held %" PRIu64, now.s.held);
	fputc('\n', stderr);
	*prev = now;
}

/* The alerts of failed handshakes, by name: {"sent": {...}, "received": {...}}. */
static void
json_alerts(FILE *f, const uint64_t *a)
{
	bool first = true;

	fputc('{', f);
	for (int k = 0; k < 256; k++) {
		if (a[k] == 0)
			continue;
		fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ",
			k == 255 ? "none" : hs_alert_name(k), a[k]);
		first = false;
	}
	fputc('}', f);
}

/* What was negotiated: the most frequent of each, then every count. */
static void
json_negotiated(FILE *f, const struct totals *t)
{
	static const char *const groups[GEN_GROUPS_NUM] = {
		"none", "x25519", "secp256r1", "secp384r1",
	};
	int sv = -1, ss = -1, sg = -1;
	bool first;

	if (cfg.tls == 0) {
		fprintf(f, "  \"negotiated\": {\"version\": \"TCP\", \"suite\": null, "
			"\"group\": null},\n");
		return;
	}
	for (int k = 0; k < 2; k++)
		if (t->s.by_version[k] > 0 && (sv < 0 || t->s.by_version[k] > t->s.by_version[sv]))
			sv = k;
	for (int k = 0; k < HS_SUITES_NUM; k++)
		if (t->s.by_suite[k] > 0 && (ss < 0 || t->s.by_suite[k] > t->s.by_suite[ss]))
			ss = k;
	for (int k = 0; k < GEN_GROUPS_NUM; k++)
		if (t->s.by_group[k] > 0 && (sg < 0 || t->s.by_group[k] > t->s.by_group[sg]))
			sg = k;
	fprintf(f, "  \"negotiated\": {");
	if (sv < 0)
		fprintf(f, "\"version\": null, ");
	else
		fprintf(f, "\"version\": \"%s\", ", sv ? "TLSv1.3" : "TLSv1.2");
	if (ss < 0)
		fprintf(f, "\"suite\": null, ");
	else
		fprintf(f, "\"suite\": \"%s\", ", hs_suite_at((unsigned)ss)->name);
	if (sg < 0)
		fprintf(f, "\"group\": null");
	else
		fprintf(f, "\"group\": \"%s\"", groups[sg]);
	fprintf(f, ",\n    \"versions\": {\"TLSv1.2\": %" PRIu64 ", \"TLSv1.3\": %" PRIu64 "}",
		t->s.by_version[0], t->s.by_version[1]);
	fprintf(f, ", \"suites\": {");
	first = true;
	for (int k = 0; k < HS_SUITES_NUM; k++) {
		if (t->s.by_suite[k] == 0)
			continue;
		fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", hs_suite_at((unsigned)k)->name,
			t->s.by_suite[k]);
		first = false;
	}
	fprintf(f, "}, \"groups\": {");
	first = true;
	for (int k = 0; k < GEN_GROUPS_NUM; k++) {
		if (t->s.by_group[k] == 0)
			continue;
		fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", groups[k], t->s.by_group[k]);
		first = false;
	}
	fprintf(f, "}},\n  \"tls_alerts\": {\"sent\": ");
	json_alerts(f, t->s.alerts_sent);
	fprintf(f, ", \"received\": ");
	json_alerts(f, t->s.alerts_rcvd);
	fprintf(f, "},\n");
}

static double
us(uint64_t ns)
{
	return round((double)ns / 100.0) / 10.0;
}

/* "NAME": {"CONNECTING": n, ...}, one key per state a connection can fail in. */
static void
json_by_state(FILE *f, const char *name, const uint64_t *by_state)
{
	fprintf(f, "  \"%s\": {", name);
	for (int k = GC_CONNECTING; k < GC_STATE_NUM; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k == GC_CONNECTING ? "" : ", ",
			gen_conn_state_name((unsigned)k), by_state[k]);
	fprintf(f, "},\n");
}

static void
json_write(FILE *f, const struct totals *t)
{
	double secs = (double)t->window_us / 1e6;
	double tsc = (double)rte_get_tsc_hz();
	uint64_t busy = t->s.busy_cycles, idle = t->s.idle_cycles;
	char target[64];

	if (cfg.v6) {
		char a[64];

		snprintf(target, sizeof(target), "[%s]:%u",
			 cfg_ip6_str(cfg.target6, 0, a, sizeof(a)), cfg.target_port);
	} else {
		snprintf(target, sizeof(target), "%u.%u.%u.%u:%u", cfg.target >> 24,
			 (cfg.target >> 16) & 255, (cfg.target >> 8) & 255, cfg.target & 255,
			 cfg.target_port);
	}
	fprintf(f, "{\n  \"tool\": \"hso-gen\",\n  \"target\": \"%s\",\n", target);
	fprintf(f, "  \"tls\": \"%s\",\n  \"mode\": \"%s\",\n", gen_config_tls_name(&cfg),
		cfg.tls == 0 ? "tcp" : cfg.full ? "full" : "load");
	fprintf(f, "  \"load\": \"%s\",\n", cfg.hold ? "hold" : cfg.rate > 0 ? "open" : "closed");
	if (cfg.rate > 0)
		fprintf(f, "  \"rate\": %g,\n  \"arrival\": \"%s\",\n  \"arrivals\": %" PRIu64 ",\n",
			cfg.rate, cfg.arrival == GEN_ARRIVAL_POISSON ? "poisson" : "uniform",
			t->s.arrivals);
	else
		fprintf(f, "  \"concurrency\": %u,\n", cfg.concurrency);
	if (cfg.hold > 0)
		fprintf(f, "  \"hold\": %u,\n", cfg.hold);
	fprintf(f, "  \"close\": \"%s\",\n", cfg.close == GEN_CLOSE_RST ? "rst" :
		cfg.close == GEN_CLOSE_FIN ? "fin" : "close_notify");
	fprintf(f, "  \"lcores\": %u,\n  \"duration_s\": %.3f,\n", n_workers, secs);
	fprintf(f, "  \"handshakes\": %" PRIu64 ",\n", t->s.handshakes);
	fprintf(f, "  \"hs_per_s\": %.1f,\n", secs > 0 ? (double)t->s.handshakes / secs : 0.0);
	fprintf(f, "  \"resumed\": %" PRIu64 ",\n  \"resume_offered\": %" PRIu64 ",\n",
		t->s.resumed, t->s.resume_offered);
	fprintf(f, "  \"resumed_ratio\": %.4f,\n", t->s.handshakes ?
		(double)t->s.resumed / (double)t->s.handshakes : 0.0);
	fprintf(f, "  \"connections\": {\"started\": %" PRIu64 ", \"connected\": %" PRIu64
		", \"closed\": %" PRIu64 ", \"late_starts\": %" PRIu64 ", \"abandoned_at_end\": %"
		PRIu64 ", \"done_in_drain\": %" PRIu64 ", \"failed_in_drain\": %" PRIu64 "},\n",
		t->s.started, t->s.connected, t->s.closed, t->s.late_starts, t->s.abandoned,
		t->s.drain_done, t->s.drain_failed);
	if (cfg.request[0] != '\0')
		fprintf(f, "  \"requests\": %" PRIu64 ",\n  \"responses\": %" PRIu64 ",\n",
			t->s.requests, t->s.responses);
	fprintf(f, "  \"errors\": {\"total\": %" PRIu64, t->errors);
	for (int e = 0; e < GEN_ERR_NUM; e++)
		fprintf(f, ", \"%s\": %" PRIu64, gen_err_name((enum gen_err)e), t->s.errors[e]);
	fprintf(f, "},\n");
	json_by_state(f, "timeouts_by_state", t->s.timeouts_in);
	/* The drain's failures, apart: the window's figures do not include them. */
	fprintf(f, "  \"drain_errors\": {");
	for (int e = 0; e < GEN_ERR_NUM; e++)
		fprintf(f, "%s\"%s\": %" PRIu64, e == 0 ? "" : ", ",
			gen_err_name((enum gen_err)e), t->s.drain_errors[e]);
	fprintf(f, "},\n");
	json_by_state(f, "drain_failed_by_state", t->s.drain_failed_in);
	fprintf(f, "  \"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, \"p999\": %.1f, "
		"\"max\": %.1f, \"min\": %.1f, \"mean\": %.1f},\n",
		us(gen_hist_quantile(&t->h, 0.5)), us(gen_hist_quantile(&t->h, 0.9)),
		us(gen_hist_quantile(&t->h, 0.99)), us(gen_hist_quantile(&t->h, 0.999)),
		us(t->h.count ? t->h.max : 0), us(t->h.count ? t->h.min : 0),
		t->h.count ? us(t->h.sum / t->h.count) : 0.0);
	fprintf(f, "  \"histogram\": {\"unit\": \"ns\", \"sub_bucket_bits\": %d, \"count\": %" PRIu64
		", \"buckets\": ", GEN_HIST_SUB_BITS, t->h.count);
	gen_hist_json_buckets(&t->h, f);
	fprintf(f, "},\n");
	json_negotiated(f, t);
	if (cfg.request[0] != '\0') {
		fprintf(f, "  \"http_status\": {\"1xx\": %" PRIu64 ", \"2xx\": %" PRIu64 ", \"3xx\": %"
			PRIu64 ", \"4xx\": %" PRIu64 ", \"5xx\": %" PRIu64 "},\n",
			t->s.http_status[1], t->s.http_status[2], t->s.http_status[3],
			t->s.http_status[4], t->s.http_status[5]);
	}
	if (cfg.resume > 0)
		fprintf(f, "  \"sessions_stored\": %" PRIu64 ",\n  \"tickets_missing\": %" PRIu64
			",\n", t->s.sessions_stored, t->s.tickets_missing);
	fprintf(f, "  \"gen_busy_us_per_hs\": %.2f,\n", t->s.handshakes ?
		(double)busy / tsc * 1e6 / (double)t->s.handshakes : 0.0);
	fprintf(f, "  \"gen_busy_fraction\": %.4f,\n", busy + idle ?
		(double)busy / (double)(busy + idle) : 0.0);
	fprintf(f, "  \"tcp\": {\"connects\": %" PRIu64 ", \"connected\": %" PRIu64 ", \"refused\": %"
		PRIu64 ", \"connect_timeouts\": %" PRIu64 ", \"retransmits\": %" PRIu64
		", \"resets_sent\": %" PRIu64 ", \"resets_rcvd\": %" PRIu64 ", \"ports_exhausted\": %"
		PRIu64 ", \"port_collisions\": %" PRIu64 ", \"time_wait_reused\": %" PRIu64
		", \"challenge_acks\": %" PRIu64, t->tcp.connects, t->tcp.connected,
		t->tcp.connect_refused, t->tcp.connect_timeouts, t->tcp.retransmits,
		t->tcp.resets_sent, t->tcp.resets_rcvd, t->tcp.ports_exhausted,
		t->tcp.port_collisions, t->tcp.time_wait_reused, t->tcp.challenge_acks);
	for (int d = 0; d < TCP_DROP_NUM; d++)
		if (t->tcp.drops[d] > 0)
			fprintf(f, ", \"drop_%s\": %" PRIu64, tcp_drop_name((enum tcp_drop)d),
				t->tcp.drops[d]);
	fprintf(f, "},\n");
	{
		char spec[128];

		/* Always there (zero without --impair): one schema for every run. */
		gen_impair_render(&cfg.impair, spec, sizeof(spec));
		fprintf(f, "  \"impair\": {\"spec\": \"%s\"", cfg.impair.on ? spec : "none");
		for (int d = 0; d < 2; d++) {
			const struct gen_impair_stats *m = &t->im[d];

			fprintf(f, ", \"%s\": {\"packets\": %" PRIu64 ", \"lost\": %" PRIu64
				", \"duplicated\": %" PRIu64 ", \"dup_failed\": %" PRIu64
				", \"reordered\": %" PRIu64 ", \"reorder_expired\": %" PRIu64
				", \"delayed\": %" PRIu64 ", \"overflow\": %" PRIu64 "}",
				d == 0 ? "tx" : "rx", m->packets, m->lost, m->duplicated,
				m->dup_failed, m->reordered, m->reorder_expired, m->delayed,
				m->overflow);
		}
		fprintf(f, "},\n");
	}
	if (cfg.syn_flood > 0) {
		double win = secs, start = cfg.flood_start_s, end, during;

		end = cfg.flood_duration_s > 0 ? start + cfg.flood_duration_s : win;
		if (end > win)
			end = win;
		during = end > start ? end - start : 0;
		fprintf(f, "  \"syn_flood\": {\"pps_target\": %g, \"sent\": %" PRIu64
			", \"no_buf\": %" PRIu64 ", \"pps_achieved\": %.1f, \"seconds\": %.3f"
			", \"syn_acks_rcvd\": %" PRIu64 ", \"rsts_rcvd\": %" PRIu64
			", \"other_rcvd\": %" PRIu64 ", \"handshakes_before\": %" PRIu64
			", \"hs_per_s_before\": %.1f, \"handshakes_during\": %" PRIu64
			", \"hs_per_s_during\": %.1f, \"ratio_during\": %.3f},\n",
			cfg.syn_flood, t->s.flood_sent, t->s.flood_no_buf,
			during > 0 ? (double)t->s.flood_sent / during : 0.0, during,
			t->s.flood_syn_acks, t->s.flood_rsts, t->s.flood_other,
			t->s.hs_before_flood, start > 0 ? (double)t->s.hs_before_flood / start : 0.0,
			t->s.hs_during_flood, during > 0 ? (double)t->s.hs_during_flood / during : 0.0,
			start > 0 && during > 0 && t->s.hs_before_flood > 0 ?
			((double)t->s.hs_during_flood / during) /
			((double)t->s.hs_before_flood / start) : 0.0);
	}
	fprintf(f, "  \"packets\": {\"rx\": %" PRIu64 ", \"tx\": %" PRIu64 ", \"tx_dropped\": %" PRIu64
		"}\n}\n", t->rx, t->tx, t->tx_dropped);
}

/* ------------------------------------------------------------------- TLS */

/*
 * What the client offers, from the flags, before EAL: the version alone,
 * suites (given, or the version's own), groups, schemes, SNI, ALPN, the
 * mode and the resumption kind; the CA file loaded (an error names it).
 */
static int
client_setup(char *err, size_t errlen)
{
	struct hs_nego_policy *p = &client_cfg.base.nego;
	unsigned n = 0;

	if (hs_client_config_init(&client_cfg) != 0) {
		snprintf(err, errlen, "TLS client: key-schedule constants failed (OpenSSL?)");
		return -EIO;
	}
	p->tls12 = cfg.tls == 12;
	p->tls13 = cfg.tls == 13;
	if (cfg.n_suites > 0) {
		memcpy(p->suites, cfg.suites, cfg.n_suites * sizeof(cfg.suites[0]));
		p->n_suites = (uint8_t)cfg.n_suites;
	} else {
		/* The default list, this version's suites only. */
		for (unsigned i = 0; i < p->n_suites; i++) {
			const struct hs_suite_info *si = hs_suite_find(p->suites[i]);

			if (si != NULL && si->version == (cfg.tls == 13 ? HS_TLS13 : HS_TLS12))
				p->suites[n++] = p->suites[i];
		}
		p->n_suites = (uint8_t)n;
	}
	if (cfg.n_groups > 0) {
		memcpy(p->groups, cfg.groups, cfg.n_groups * sizeof(cfg.groups[0]));
		p->n_groups = (uint8_t)cfg.n_groups;
	}
	if (cfg.n_sigalgs > 0) {
		memcpy(p->sigalgs, cfg.sigalgs, cfg.n_sigalgs * sizeof(cfg.sigalgs[0]));
		p->n_sigalgs = (uint8_t)cfg.n_sigalgs;
	}
	memcpy(p->alpn, cfg.alpn, cfg.alpn_len);
	p->alpn_len = cfg.alpn_len;
	if (cfg.sni[0] != '\0' && hs_client_config_set_sni(&client_cfg, cfg.sni) != 0) {
		snprintf(err, errlen, "--sni: the engine refuses '%.200s'", cfg.sni);
		return -EINVAL;
	}
	client_cfg.mode = cfg.full ? HS_CLIENT_FULL : HS_CLIENT_LOAD;
	client_cfg.key_share_reuse = cfg.key_reuse;
	switch (cfg.resume_kind) {
	case GEN_RESUME_TICKET:
	case GEN_RESUME_PSK_DHE:
		client_cfg.resume = HS_RESUME_TICKET;
		break;
	case GEN_RESUME_ID:
		client_cfg.resume = HS_RESUME_SESSION_ID;
		break;
	case GEN_RESUME_PSK:
		client_cfg.resume = HS_RESUME_PSK_KE;
		break;
	}
	if (cfg.resume == 0)
		client_cfg.resume = HS_RESUME_NONE;
	if (cfg.ca[0] != '\0') {
		char why[GEN_ERR_LEN / 2];

		ca_store = hso_ca_store_load(cfg.ca, why, sizeof(why));
		if (ca_store == NULL) {
			snprintf(err, errlen, "--ca: %s", why);
			return -EINVAL;
		}
		client_cfg.ca = ca_store;
	}
	return 0;
}

/* ----------------------------------------------------------------- ports */

/*
 * Configure and start the port with @p nq queue pairs. Several queues need
 * a port that steers the server's answers back to the queue whose worker
 * opened the connection: RSS (we then pick 4-tuples by its hash), or
 * net_memif, whose queue i is joined to the peer's queue i.
 */
static int
port_setup(uint16_t nq, struct gen_worker_conf *wc)
{
	const uint64_t tx_csum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	struct rte_eth_dev_info info;
	struct rte_eth_conf pc;
	int rc;

	memset(&pc, 0, sizeof(pc));
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0)
		return rc;
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		fprintf(stderr, "hso-gen: port %u (%s) has %u/%u queues; %u workers need one each\n",
			port_id, info.driver_name, info.max_rx_queues, info.max_tx_queues, nq);
		return -EINVAL;
	}
	if (nq > 1) {
		uint64_t hf = cfg.v6 ? RTE_ETH_RSS_NONFRAG_IPV6_TCP : RTE_ETH_RSS_NONFRAG_IPV4_TCP;

		if (info.flow_type_rss_offloads & hf) {
			/* The family the load goes over: rss_accept() hashes its tuples. */
			pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			pc.rx_adv_conf.rss_conf.rss_hf = hf;
			wc->rss = true;
		} else if (strcmp(info.driver_name, "net_memif") != 0) {
			fprintf(stderr, "hso-gen: port %u (%s) cannot bring the server's answers "
				"back to the lcore that opened the connection (no TCP RSS): run "
				"one worker lcore on it\n", port_id, info.driver_name);
			return -EINVAL;
		}
	}
	pc.rxmode.offloads = info.rx_offload_capa &
			     (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	if (cfg.tx_offload && (info.tx_offload_capa & tx_csum) == tx_csum)
		pc.txmode.offloads = tx_csum;
	wc->csum_off = pc.txmode.offloads == tx_csum;
	rc = rte_eth_dev_configure(port_id, nq, nq, &pc);
	for (uint16_t q = 0; rc == 0 && q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, RX_DESC, rte_eth_dev_socket_id(port_id),
					    NULL, pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port_id, q, TX_DESC,
						    rte_eth_dev_socket_id(port_id), NULL);
	}
	if (rc == 0)
		rc = rte_eth_dev_start(port_id);
	/* IPv6: all-nodes and our solicited-node group (Neighbor Solicitations). */
	if (rc == 0 && cfg.v6) {
		rc = hsod_net6_port_mcast(port_id, cfg.addr6);
		if (rc != 0)
			fprintf(stderr, "hso-gen: port %u: cannot receive IPv6 multicast (Neighbor "
				"Solicitations): %s\n", port_id, rte_strerror(-rc));
	}
	if (rc == 0 && wc->rss) {
		struct rte_eth_rss_conf rss = { .rss_key = wc->rss_key,
						.rss_key_len = sizeof(wc->rss_key) };
		struct rte_eth_rss_reta_entry64 reta[512 / RTE_ETH_RETA_GROUP_SIZE];

		wc->reta_size = info.reta_size;
		if (wc->reta_size == 0 || wc->reta_size > 512 ||
		    info.hash_key_size > sizeof(wc->rss_key) ||
		    rte_eth_dev_rss_hash_conf_get(port_id, &rss) != 0)
			return -ENOTSUP;
		wc->rss_key_len = rss.rss_key_len;
		memset(reta, 0, sizeof(reta));
		for (unsigned i = 0; i < wc->reta_size / RTE_ETH_RETA_GROUP_SIZE; i++)
			reta[i].mask = ~0ull;
		rc = rte_eth_dev_rss_reta_query(port_id, reta, (uint16_t)wc->reta_size);
		if (rc != 0)
			return rc;
		for (unsigned i = 0; i < wc->reta_size; i++)
			wc->reta[i] = reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	}
	fprintf(stderr, "hso-gen: port %u (%s), %u queue%s%s, TX checksums %s\n", port_id,
	       info.driver_name, nq, nq == 1 ? "" : "s", wc->rss ? ", RSS steering" : "",
	       wc->csum_off ? "offloaded" : "in software");
	return rc;
}

static bool
link_wait(void)
{
	for (unsigned i = 0; i < LINK_WAIT_S * 20; i++) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(port_id, &link) == 0 && link.link_status)
			return true;
		usleep(50000);
	}
	return false;
}

/* ----------------------------------------------------------------- lcores */

static int
worker_main(void *arg)
{
	struct gen_worker *w = arg;

	port_guard_online();
	while (!gen_worker_done(w) && !atomic_load_explicit(&force_quit, memory_order_relaxed)) {
		if (atomic_load_explicit(&stop_requested, memory_order_relaxed))
			gen_worker_stop(w);
		port_guard_quiescent();
		if (!gen_worker_poll(w, now_ns()) && cfg.idle_sleep_us > 0)
			gen_worker_idle_sleep(w, cfg.idle_sleep_us);
	}
	port_guard_offline();
	atomic_fetch_add(&workers_done, 1);
	return 0;
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

int
main(int argc, char **argv)
{
	char err[GEN_ERR_LEN];
	int eal_argc, app_argc, rc, status = EXIT_FAILURE;
	char **app_argv;
	struct gen_worker_conf wc;
	struct totals prev, fin;
	static struct gen_hist scratch;
	unsigned lcore, sec = 0;
	uint64_t t0, next_print;
	bool alone;

	split_args(argc, argv, &eal_argc, &app_argc, &app_argv);
	if (gen_config_parse(&cfg, app_argc, app_argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "hso-gen: %s\nhso-gen: see hso-gen --help\n", err);
		return EXIT_FAILURE;
	}
	if (cfg.help) {
		gen_config_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (cfg.tls != 0 && client_setup(err, sizeof(err)) != 0) {
		fprintf(stderr, "hso-gen: %s\n", err);
		return EXIT_FAILURE;
	}
	if (cfg.seed == 0)
		cfg.seed = now_ns() | 1;

	rc = rte_eal_init(eal_argc, argv);
	if (rc < 0) {
		fprintf(stderr, "hso-gen: EAL: %s. Without reserved hugepages add --no-huge or "
			"--in-memory to the EAL arguments (net_memif needs hugepages and its own "
			"--file-prefix).\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* Before the port connects: a PMD's unmapping waits for the pollers (hsod leaving). */
	rc = port_guard_init();
	if (rc != 0) {
		fprintf(stderr, "hso-gen: port guard: %s\n", strerror(-rc));
		goto out_eal;
	}
	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "hso-gen: DPDK found %u ports; hso-gen drives exactly one (give "
			"one -a PCI or --vdev, e.g. --vdev=net_memif0,role=client)\n",
			rte_eth_dev_count_avail());
		goto out_eal;
	}
	RTE_ETH_FOREACH_DEV(port_id)
		break;
	alone = rte_lcore_count() == 1;
	n_workers = alone ? 1 : rte_lcore_count() - 1;
	pool = rte_pktmbuf_pool_create("gen_mbufs", cfg.mbufs * n_workers, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_eth_dev_socket_id(port_id));
	if (pool == NULL) {
		fprintf(stderr, "hso-gen: cannot allocate %u mbufs: %s\n", cfg.mbufs * n_workers,
			rte_strerror(rte_errno));
		goto out_eal;
	}
	memset(&wc, 0, sizeof(wc));
	wc.cfg = &cfg;
	wc.cc = cfg.tls != 0 ? &client_cfg : NULL;
	wc.n_workers = n_workers;
	wc.port = port_id;
	wc.mp = pool;
	rc = port_setup((uint16_t)n_workers, &wc);
	if (rc != 0) {
		fprintf(stderr, "hso-gen: port %u: %s\n", port_id, rte_strerror(-rc));
		goto out_port;
	}
	rte_eth_macaddr_get(port_id, &wc.mac);
	if (!link_wait()) {
		fprintf(stderr, "hso-gen: port %u: link down after %u s (net_memif: is the other "
			"side up, with the same socket and the other role?)\n", port_id, LINK_WAIT_S);
		status = EXIT_UNREACHABLE;
		goto out_port;
	}
	{
		unsigned i = 0;

		RTE_LCORE_FOREACH(lcore) {
			if (!alone && lcore == rte_get_main_lcore())
				continue;
			wc.index = i;
			wc.queue = (uint16_t)i;
			wc.lcore = lcore;
			workers[i] = gen_worker_create(&wc);
			if (workers[i] == NULL) {
				fprintf(stderr, "hso-gen: worker %u: %s\n", i, strerror(errno));
				goto out_workers;
			}
			i++;
		}
	}
	/* Reachability first: one clear line rather than a run of errors. The
	 * main lcore polls the workers' queues here (and is the worker alone). */
	port_guard_online();
	for (unsigned i = 0; i < n_workers; i++) {
		int r;

		while ((r = gen_worker_probe(workers[i], now_ns() / 1000, err, sizeof(err))) == 0) {
			if (atomic_load(&stop_requested))
				goto out_workers;
			port_guard_quiescent();
		}
		if (r < 0) {
			fprintf(stderr, "hso-gen: %s\n", err);
			status = EXIT_UNREACHABLE;
			goto out_workers;
		}
	}
	fflush(stdout);
	t0 = now_ns();
	for (unsigned i = 0; i < n_workers; i++)
		gen_worker_begin(workers[i], t0 / 1000);
	if (!alone) {
		port_guard_offline();
		for (unsigned i = 0; i < n_workers; i++)
			rte_eal_remote_launch(worker_main, workers[i], gen_worker_lcore(workers[i]));
	}
	memset(&prev, 0, sizeof(prev));
	gen_hist_init(&prev.h);
	next_print = t0 + 1000000000ull;
	for (;;) {
		uint64_t now = now_ns();

		if (alone) {
			if (gen_worker_done(workers[0]) || atomic_load(&force_quit))
				break;
			if (atomic_load_explicit(&stop_requested, memory_order_relaxed))
				gen_worker_stop(workers[0]);
			port_guard_quiescent();
			if (!gen_worker_poll(workers[0], now) && cfg.idle_sleep_us > 0)
				gen_worker_idle_sleep(workers[0], cfg.idle_sleep_us);
		} else {
			if (atomic_load(&workers_done) == n_workers)
				break;
			usleep(1000);
		}
		if (now >= next_print) {
			sec++;
			if (!cfg.quiet)
				print_second(sec, &prev, &scratch,
					     (double)(now - (next_print - 1000000000ull)) / 1e9);
			next_print += 1000000000ull;
		}
	}
	if (!alone)
		rte_eal_mp_wait_lcore();
	totals_sum(&fin, true);
	json_write(stdout, &fin);
	fflush(stdout);
	if (cfg.json[0] != '\0') {
		FILE *f = fopen(cfg.json, "w");

		if (f == NULL || (json_write(f, &fin), fclose(f)) != 0)
			fprintf(stderr, "hso-gen: --json %s: %s\n", cfg.json, strerror(errno));
	}
	status = fin.s.handshakes > 0 ? EXIT_SUCCESS : EXIT_NO_HANDSHAKE;
	if (status == EXIT_NO_HANDSHAKE)
		fprintf(stderr, "hso-gen: no handshake completed\n");
out_workers:
	port_guard_offline();
	for (unsigned i = 0; i < n_workers; i++)
		gen_worker_free(workers[i]);
out_port:
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
out_eal:
	rte_eal_cleanup();
	hs_config_wipe(&client_cfg.base);
	hso_ca_store_free(ca_store);
	return status;
}
