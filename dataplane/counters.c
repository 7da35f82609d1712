/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hsod's counter table: the X/A lists of every counter struct expanded
 * into one array of descriptors, and the exports that walk it (telemetry
 * here, Prometheus in metrics.c, the documentation in hsod_ctr_doc()).
 * Contract in counters.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "counters.h"

#define KIND_counter HSOD_CTR_COUNTER
#define KIND_gauge HSOD_CTR_GAUGE
#define FLAG_none 0
#define FLAG_workers HSOD_CTR_F_WORKERS
#define FLAG_dense 0
#define FLAG_sparse HSOD_CTR_F_SPARSE
#define FLAG_ports HSOD_CTR_F_PORTS

#define SCALAR(src_, type_, pfx_, field_, name_, kind_, flags_, help_)          \
	{ .name = name_, .metric = pfx_ name_, .help = help_,                   \
	  .off = offsetof(type_, field_), .n = 1,                               \
	  .width = sizeof(((type_ *)0)->field_), .kind = KIND_##kind_,          \
	  .src = src_, .flags = FLAG_##flags_ },
#define ARRAY(src_, type_, pfx_, field_, etype_, n_, name_, metric_, label_,   \
	      elem_, kind_, flags_, help_)                                      \
	{ .name = name_, .metric = pfx_ metric_, .help = help_, .label = label_, \
	  .elem = elem_, .off = offsetof(type_, field_), .n = n_,               \
	  .width = sizeof(etype_), .kind = KIND_##kind_, .src = src_,           \
	  .flags = FLAG_##flags_ },

#define X_LCORE(...) SCALAR(HSOD_SRC_LCORE, struct hsod_lcore_stats, "", __VA_ARGS__)
#define X_WORKER(...) SCALAR(HSOD_SRC_WORKER, struct hsod_worker_stats, "", __VA_ARGS__)
#define A_WORKER(...) ARRAY(HSOD_SRC_WORKER, struct hsod_worker_stats, "", __VA_ARGS__)
#define X_NET(...) SCALAR(HSOD_SRC_NET, struct hsod_net_stats, "", __VA_ARGS__)
#define X_NEIGH(...) SCALAR(HSOD_SRC_NEIGH, struct hsod_neigh_stats, "", __VA_ARGS__)
#define A_NET(...) ARRAY(HSOD_SRC_NET, struct hsod_net_stats, "", __VA_ARGS__)
/* /hso/net6 keeps IPv4's names (rx_tcp, neigh_hits); the metrics say net6_. */
#define X_NET6(...) SCALAR(HSOD_SRC_NET6, struct hsod_net6_stats, "net6_", __VA_ARGS__)
#define A_NET6(...) ARRAY(HSOD_SRC_NET6, struct hsod_net6_stats, "net6_", __VA_ARGS__)
#define X_NEIGH6(...) SCALAR(HSOD_SRC_NEIGH6, struct hsod_neigh_stats, "net6_", __VA_ARGS__)
#define X_TCP(...) SCALAR(HSOD_SRC_TCP, struct tcp_stats, "", __VA_ARGS__)
#define A_TCP(...) ARRAY(HSOD_SRC_TCP, struct tcp_stats, "", __VA_ARGS__)
#define X_SESS(...) SCALAR(HSOD_SRC_SESS, struct sess_stats, "", __VA_ARGS__)
#define A_SESS(...) ARRAY(HSOD_SRC_SESS, struct sess_stats, "", __VA_ARGS__)
#define X_TLS(...) SCALAR(HSOD_SRC_TLS, struct hs_worker_stats, "", __VA_ARGS__)
#define A_TLS(...) ARRAY(HSOD_SRC_TLS, struct hs_worker_stats, "", __VA_ARGS__)
#define X_LIMIT(...) SCALAR(HSOD_SRC_LIMIT, struct hsod_limit_stats, "", __VA_ARGS__)
#define X_APPS(...) SCALAR(HSOD_SRC_APPS, struct hsod_apps_stats, "", __VA_ARGS__)
#define X_GLOBAL(...) SCALAR(HSOD_SRC_GLOBAL, struct hsod_global_stats, "", __VA_ARGS__)
#define A_GLOBAL(...) ARRAY(HSOD_SRC_GLOBAL, struct hsod_global_stats, "", __VA_ARGS__)
#define X_METRICS(...) SCALAR(HSOD_SRC_METRICS, struct hsod_metrics_stats, "", __VA_ARGS__)
#define X_HTTP(...) SCALAR(HSOD_SRC_HTTP, struct hsod_app_http_stats, "app_http_", __VA_ARGS__)
#define X_ECHO(...) SCALAR(HSOD_SRC_ECHO, struct hso_echo_stats, "app_echo_", __VA_ARGS__)

/* Every packet hsod dropped, wherever: the one number to watch. */
static uint64_t
derive_drops(const struct hsod_ctr_set *s)
{
	uint64_t n = s->worker->tx_dropped + s->worker->tcp_csum_bad;

	for (unsigned p = 0; p < s->n_ports; p++) {
		for (unsigned r = 0; r < HSOD_DROP_NUM; r++)
			n += s->net[p]->drops[r];
		n += s->net[p]->tx_no_route + s->neigh[p]->queue_drops;
		if (s->net6[p] == NULL)
			continue;
		for (unsigned r = 0; r < HSOD_DROP6_NUM; r++)
			n += s->net6[p]->drops[r];
		n += s->net6[p]->tx_no_route + s->neigh6[p]->queue_drops;
	}
	return n;
}

static uint64_t
derive_tcp_active(const struct hsod_ctr_set *s)
{
	uint64_t n = 0;

	for (unsigned st = TCP_SYN_RCVD; st < TCP_STATE_NUM; st++)
		n += s->tcp->conns[st];
	return n;
}

const struct hsod_ctr hsod_ctrs[] = {
	HSOD_LCORE_COUNTERS(X_LCORE)
	HSOD_WORKER_COUNTERS(X_WORKER)
	HSOD_WORKER_COUNTER_ARRAYS(A_WORKER)
	{ .name = "drops", .src = HSOD_SRC_DERIVED, .kind = HSOD_CTR_COUNTER, .n = 1,
	  .derive = derive_drops,
	  .help = "every packet dropped: the net_drops reasons, tcp_csum_bad, "
		  "tx_dropped, tx_no_route, neigh_queue_drops, and IPv6's (net6_drops, "
		  "net6_tx_no_route, net6_neigh_queue_drops) (telemetry only: sum "
		  "them in PromQL)" },
	HSOD_NET_COUNTERS(X_NET)
	HSOD_NET_COUNTER_ARRAYS(A_NET)
	HSOD_NEIGH_COUNTERS(X_NEIGH)
	HSOD_NET6_COUNTERS(X_NET6)
	HSOD_NET6_COUNTER_ARRAYS(A_NET6)
	HSOD_NEIGH_COUNTERS(X_NEIGH6)
	TCP_COUNTERS(X_TCP)
	TCP_COUNTER_ARRAYS(A_TCP)
	{ .name = "tcp_active", .src = HSOD_SRC_DERIVED, .kind = HSOD_CTR_GAUGE, .n = 1,
	  .derive = derive_tcp_active,
	  .help = "connections in every state but CLOSED (telemetry only: "
		  "sum(hso_tcp_connections))" },
	SESS_COUNTERS(X_SESS)
	SESS_COUNTER_ARRAYS(A_SESS)
	HS_WORKER_COUNTERS(X_TLS)
	HS_WORKER_COUNTER_ARRAYS(A_TLS)
	HS_WORKER_POOL_COUNTERS(X_TLS)
	{ .name = "latency", .metric = "handshake_duration_seconds",
	  .src = HSOD_SRC_LATENCY, .kind = HSOD_CTR_HISTOGRAM, .n = 1,
	  .help = "server-side handshake latency, first ClientHello byte to the "
		  "client's Finished (/hso/latency)" },
	HSOD_LIMIT_COUNTERS(X_LIMIT)
	HSOD_APPS_COUNTERS(X_APPS)
	HSOD_GLOBAL_COUNTERS(X_GLOBAL)
	HSOD_GLOBAL_COUNTER_ARRAYS(A_GLOBAL)
	HSOD_METRICS_COUNTERS(X_METRICS)
	{ .name = NULL, .metric = "build_info", .src = HSOD_SRC_GLOBAL,
	  .kind = HSOD_CTR_INFO, .n = 1,
	  .help = "hsod's version and the DPDK and OpenSSL it runs on (value 1)" },
	HSOD_APP_HTTP_COUNTERS(X_HTTP)
	HSO_ECHO_COUNTERS(X_ECHO)
};

const unsigned hsod_n_ctrs = RTE_DIM(hsod_ctrs);

const char *
hsod_ctr_ocsp_refusal_name(unsigned i)
{
	if (i == HSO_OCSP_OK || i >= HSO_OCSP_REFUSAL_NUM)
		return NULL;
	return hso_ocsp_refusal_name((enum hso_ocsp_refusal)i);
}

static bool
per_worker(const struct hsod_ctr *c)
{
	return c->src <= HSOD_SRC_DERIVED;
}

const void *
hsod_ctr_worker_base(const struct hsod_ctr *c, const struct hsod_ctr_set *s, unsigned port)
{
	switch (c->src) {
	case HSOD_SRC_LCORE: return s->lcore;
	case HSOD_SRC_WORKER: return s->worker;
	case HSOD_SRC_NET: return port < s->n_ports ? s->net[port] : NULL;
	case HSOD_SRC_NEIGH: return port < s->n_ports ? s->neigh[port] : NULL;
	case HSOD_SRC_NET6: return port < s->n_ports ? s->net6[port] : NULL;
	case HSOD_SRC_NEIGH6: return port < s->n_ports ? s->neigh6[port] : NULL;
	case HSOD_SRC_TCP: return s->tcp;
	case HSOD_SRC_SESS: return s->sess;
	case HSOD_SRC_TLS: return s->tls;
	case HSOD_SRC_LATENCY: return s->latency;
	case HSOD_SRC_LIMIT: return s->limit;
	default: return NULL;
	}
}

const void *
hsod_ctr_global_base(const struct hsod_ctr *c, const struct hsod_ctr_view *v)
{
	switch (c->src) {
	case HSOD_SRC_APPS: return v->apps;
	case HSOD_SRC_GLOBAL: return v->global;
	case HSOD_SRC_HTTP: return v->http;
	case HSOD_SRC_ECHO: return v->echo;
	case HSOD_SRC_METRICS: return v->metrics;
	default: return NULL;
	}
}

/* Element @p i of @p c for one worker, every port summed. */
static uint64_t
worker_value(const struct hsod_ctr *c, const struct hsod_ctr_set *s, unsigned i)
{
	uint64_t n = 0;

	if (c->src == HSOD_SRC_DERIVED)
		return c->derive(s);
	if (hsod_ctr_by_port(c)) {
		for (unsigned p = 0; p < s->n_ports; p++) {
			const void *b = hsod_ctr_worker_base(c, s, p);

			if (b != NULL)          /* IPv6: ports with an address only */
				n += hsod_ctr_get(c, b, i);
		}
		return n;
	}
	if (c->flags & HSOD_CTR_F_PORTS)
		return i < s->n_ports ? hsod_ctr_get(c, hsod_ctr_worker_base(c, s, 0), i) : 0;
	return hsod_ctr_get(c, hsod_ctr_worker_base(c, s, 0), i);
}

uint64_t
hsod_ctr_sum(const struct hsod_ctr *c, const struct hsod_ctr_view *v, unsigned from,
	     unsigned to, unsigned i, bool with_main)
{
	uint64_t n = 0;

	for (unsigned w = from; w < to && w < v->n_workers; w++)
		n += worker_value(c, &v->workers[w], i);
	if (with_main && c->src == HSOD_SRC_LCORE && v->main_lcore != NULL)
		n += hsod_ctr_get(c, v->main_lcore, i);
	return n;
}

/*
 * Telemetry keys kept as they are for the tools that read them, whose
 * metric name would mislead: a gauge ending in _total reads as a counter.
 */
static const struct { const char *name, *metric; } metric_renames[] = {
	{ "mbufs_total", "mbufs_capacity" },
	/* "_ns" reads as nanoseconds (promtool's linter says so too). */
	{ "rx_ns", "net6_rx_solicitations" },
	{ "tx_ns", "net6_tx_solicitations" },
	{ "rx_na", "net6_rx_advertisements" },
	{ "tx_na", "net6_tx_advertisements" },
};

const char *
hsod_ctr_metric_name(const struct hsod_ctr *c, char *buf, size_t len)
{
	const char *m = c->metric;
	size_t ml;
	bool total;

	for (unsigned i = 0; i < RTE_DIM(metric_renames); i++)
		if (c->name != NULL && strcmp(c->name, metric_renames[i].name) == 0)
			m = metric_renames[i].metric;
	ml = strlen(m);
	total = c->kind == HSOD_CTR_COUNTER && !(ml >= 6 && strcmp(m + ml - 6, "_total") == 0);
	snprintf(buf, len, "hso_%s%s", m, total ? "_total" : "");
	return buf;
}

/* ---- telemetry ------------------------------------------------------ */

/*
 * A telemetry dict holds RTE_TEL_MAX_DICT_ENTRIES; keys past it are lost
 * silently, so they are counted, and the sparse arrays (failures by alert)
 * go last and stop where the room ends (the metrics have them all).
 */
struct tel_dict {
	struct rte_tel_data *d;
	unsigned n, room;
};

static void
tel_add(struct tel_dict *t, const char *key, uint64_t v)
{
	if (t->n < t->room && rte_tel_data_add_dict_u64(t->d, key, v) == 0)
		t->n++;
}

/* A per-worker counter's elements (or its value) as keys. */
static void
tel_add_elems(struct tel_dict *t, const struct hsod_ctr *c, const struct hsod_ctr_view *v,
	      unsigned from, unsigned to, bool with_main)
{
	char key[RTE_TEL_MAX_STRING_LEN];

	if (c->n == 1) {
		tel_add(t, c->name, hsod_ctr_sum(c, v, from, to, 0, with_main));
		return;
	}
	for (unsigned i = 0; i < c->n; i++) {
		const char *e = c->elem(i);
		uint64_t n;

		if (e == NULL)
			continue;
		n = hsod_ctr_sum(c, v, from, to, i, with_main);
		if (n == 0 && (c->flags & HSOD_CTR_F_SPARSE))
			continue;
		snprintf(key, sizeof(key), "%s%s", c->name, e);
		tel_add(t, key, n);
	}
}

/* An array of values under @p key: per port, or per worker (@p by_worker). */
static int
tel_add_array(struct tel_dict *t, const char *key, const struct hsod_ctr *c,
	      const struct hsod_ctr_view *v, unsigned from, unsigned to, bool by_worker)
{
	struct rte_tel_data *a;

	if (t->n >= t->room)
		return -ENOSPC;
	a = rte_tel_data_alloc();
	if (a == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	if (by_worker)
		for (unsigned w = from; w < to; w++)
			rte_tel_data_add_array_u64(a, worker_value(c, &v->workers[w], 0));
	else
		for (unsigned p = 0; p < v->n_ports; p++)
			rte_tel_data_add_array_u64(a, hsod_ctr_sum(c, v, from, to, p, false));
	if (rte_tel_data_add_dict_container(t->d, key, a, 0) != 0) {
		rte_tel_data_free(a);
		return -ENOSPC;
	}
	t->n++;
	return 0;
}

int
hsod_ctr_tel_stats(struct rte_tel_data *d, const struct hsod_ctr_view *v, unsigned from,
		   unsigned to, bool whole)
{
	/* Room is kept for the caller's "ports" and "workers" (and "lcore"). */
	struct tel_dict t = { .d = d, .n = 0, .room = RTE_TEL_MAX_DICT_ENTRIES - 3 };
	char key[RTE_TEL_MAX_STRING_LEN];

	for (unsigned k = 0; k < hsod_n_ctrs; k++) {
		const struct hsod_ctr *c = &hsod_ctrs[k];

		if (c->name == NULL || c->kind == HSOD_CTR_HISTOGRAM ||
		    (c->flags & HSOD_CTR_F_SPARSE) || hsod_ctr_is_net6(c))
			continue;
		if (per_worker(c)) {
			if (c->flags & HSOD_CTR_F_PORTS) {
				if (tel_add_array(&t, c->name, c, v, from, to, false) == -ENOMEM)
					return -ENOMEM;
			} else {
				tel_add_elems(&t, c, v, from, to, whole);
			}
			continue;
		}
		/* The daemon's own, not the built-in application's (/hso/app). */
		if (whole && c->src != HSOD_SRC_HTTP && c->src != HSOD_SRC_ECHO &&
		    hsod_ctr_global_base(c, v) != NULL) {
			const void *b = hsod_ctr_global_base(c, v);

			if (c->n == 1) {
				tel_add(&t, c->name, hsod_ctr_get(c, b, 0));
				continue;
			}
			/* A daemon array: a key per exported element. */
			for (unsigned i = 0; i < c->n; i++) {
				const char *e = c->elem(i);

				if (e == NULL)
					continue;
				snprintf(key, sizeof(key), "%s%s", c->name, e);
				tel_add(&t, key, hsod_ctr_get(c, b, i));
			}
		}
	}
	for (unsigned k = 0; whole && k < hsod_n_ctrs; k++) {
		const struct hsod_ctr *c = &hsod_ctrs[k];

		if (c->src == HSOD_SRC_LCORE && v->main_lcore != NULL) {
			snprintf(key, sizeof(key), "main_%s", c->name);
			tel_add(&t, key, hsod_ctr_get(c, v->main_lcore, 0));
		}
		if (c->flags & HSOD_CTR_F_WORKERS) {
			snprintf(key, sizeof(key), "workers_%s", c->name);
			if (tel_add_array(&t, key, c, v, from, to, true) == -ENOMEM)
				return -ENOMEM;
		}
	}
	for (unsigned k = 0; k < hsod_n_ctrs; k++)
		if (hsod_ctrs[k].flags & HSOD_CTR_F_SPARSE)
			tel_add_elems(&t, &hsod_ctrs[k], v, from, to, whole);
	return 0;
}

void
hsod_ctr_tel_net6(struct rte_tel_data *d, const struct hsod_ctr_view *v)
{
	/* About 40 keys: far from the dict's room. */
	struct tel_dict t = { .d = d, .n = 0, .room = RTE_TEL_MAX_DICT_ENTRIES };

	for (unsigned k = 0; k < hsod_n_ctrs; k++)
		if (hsod_ctr_is_net6(&hsod_ctrs[k]))
			tel_add_elems(&t, &hsod_ctrs[k], v, 0, v->n_workers, false);
}

void
hsod_ctr_tel_app(struct rte_tel_data *d, const struct hsod_ctr_view *v)
{
	/* A dozen keys at most: no room to count. */
	for (unsigned k = 0; k < hsod_n_ctrs; k++) {
		const struct hsod_ctr *c = &hsod_ctrs[k];
		const void *b = hsod_ctr_global_base(c, v);

		if ((c->src == HSOD_SRC_HTTP || c->src == HSOD_SRC_ECHO) && b != NULL)
			rte_tel_data_add_dict_u64(d, c->name, hsod_ctr_get(c, b, 0));
	}
}

void
hsod_latency_sum(const struct hsod_ctr_view *v, unsigned from, unsigned to,
		 struct hsod_latency *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned w = from; w < to && w < v->n_workers; w++) {
		const struct hsod_latency *l = v->workers[w].latency;

		for (unsigned i = 0; i <= HSOD_LAT_BUCKETS; i++)
			out->bucket[i] += l->bucket[i];
		out->sum_us += l->sum_us;
		out->count += l->count;
	}
}

uint64_t
hsod_latency_quantile_us(const struct hsod_latency *l, double q)
{
	uint64_t total = 0, seen = 0;
	double rank;

	for (unsigned i = 0; i <= HSOD_LAT_BUCKETS; i++)
		total += l->bucket[i];
	if (total == 0)
		return 0;
	rank = q * (double)total;
	for (unsigned i = 0; i <= HSOD_LAT_BUCKETS; i++) {
		uint64_t lo = i == 0 ? 0 : hsod_latency_bound_us(i - 1);
		uint64_t hi;

		if (l->bucket[i] == 0 || (double)(seen + l->bucket[i]) < rank) {
			seen += l->bucket[i];
			continue;
		}
		/* Past the last bound there is no upper edge: say the last bound. */
		if (i == HSOD_LAT_BUCKETS)
			return lo;
		hi = hsod_latency_bound_us(i);
		/* Linear within the bucket, as Prometheus' histogram_quantile(). */
		return lo + (uint64_t)((double)(hi - lo) * (rank - (double)seen) /
				       (double)l->bucket[i]);
	}
	return hsod_latency_bound_us(HSOD_LAT_BUCKETS - 1);
}

int
hsod_ctr_tel_latency(struct rte_tel_data *d, const struct hsod_ctr_view *v, unsigned from,
		     unsigned to)
{
	struct rte_tel_data *le = rte_tel_data_alloc(), *b = rte_tel_data_alloc();
	struct hsod_latency l;

	if (le == NULL || b == NULL) {
		rte_tel_data_free(le);
		rte_tel_data_free(b);
		return -ENOMEM;
	}
	hsod_latency_sum(v, from, to, &l);
	rte_tel_data_add_dict_u64(d, "count", l.count);
	rte_tel_data_add_dict_u64(d, "sum_us", l.sum_us);
	rte_tel_data_add_dict_u64(d, "p50_us", hsod_latency_quantile_us(&l, 0.50));
	rte_tel_data_add_dict_u64(d, "p90_us", hsod_latency_quantile_us(&l, 0.90));
	rte_tel_data_add_dict_u64(d, "p99_us", hsod_latency_quantile_us(&l, 0.99));
	rte_tel_data_start_array(le, RTE_TEL_U64_VAL);
	rte_tel_data_start_array(b, RTE_TEL_U64_VAL);
	for (unsigned i = 0; i <= HSOD_LAT_BUCKETS; i++) {
		if (i < HSOD_LAT_BUCKETS)
			rte_tel_data_add_array_u64(le, hsod_latency_bound_us(i));
		rte_tel_data_add_array_u64(b, l.bucket[i]);
	}
	rte_tel_data_add_dict_container(d, "le_us", le, 0);
	rte_tel_data_add_dict_container(d, "buckets", b, 0);
	return 0;
}

/* ---- documentation -------------------------------------------------- */

static const char *
kind_name(const struct hsod_ctr *c)
{
	static const char *const names[] = {
		[HSOD_CTR_COUNTER] = "counter", [HSOD_CTR_GAUGE] = "gauge",
		[HSOD_CTR_HISTOGRAM] = "histogram", [HSOD_CTR_INFO] = "info",
	};

	return names[c->kind];
}

void
hsod_ctr_doc(FILE *out)
{
	char m[128];

	fprintf(out, "| telemetry | metric | kind | meaning |\n"
		"| --- | --- | --- | --- |\n");
	for (unsigned k = 0; k < hsod_n_ctrs; k++) {
		const struct hsod_ctr *c = &hsod_ctrs[k];
		char labels[96] = "";
		size_t o = 0;
		const char *where = "";

		if (per_worker(c))
			o += (size_t)snprintf(labels + o, sizeof(labels) - o, "worker");
		if (hsod_ctr_by_port(c) || (c->flags & HSOD_CTR_F_PORTS))
			o += (size_t)snprintf(labels + o, sizeof(labels) - o, ", port");
		if (c->n > 1 && c->label != NULL && !(c->flags & HSOD_CTR_F_PORTS))
			o += (size_t)snprintf(labels + o, sizeof(labels) - o, "%s%s",
					      o ? ", " : "", c->label);
		if (c->kind == HSOD_CTR_INFO)
			snprintf(labels, sizeof(labels), "version, dpdk, openssl");
		if (c->kind == HSOD_CTR_HISTOGRAM)
			snprintf(labels, sizeof(labels), "worker, le");
		if (c->src == HSOD_SRC_HTTP || c->src == HSOD_SRC_ECHO)
			where = "/hso/app ";
		else if (hsod_ctr_is_net6(c))
			where = "/hso/net6 ";
		else if (c->kind == HSOD_CTR_HISTOGRAM)
			where = "/hso/latency";
		/* Telemetry key(s). */
		fputs("| ", out);
		if (c->kind == HSOD_CTR_HISTOGRAM)
			fputs("`/hso/latency`", out);
		else if (c->name == NULL)
			fputs("-", out);
		else if (c->n > 1 && !(c->flags & HSOD_CTR_F_PORTS))
			fprintf(out, "%s`%s<%s>`", where, c->name, c->label);
		else
			fprintf(out, "%s`%s`", where, c->name);
		if (c->flags & HSOD_CTR_F_WORKERS)
			fprintf(out, ", `workers_%s`", c->name);
		if (c->src == HSOD_SRC_LCORE)
			fprintf(out, ", `main_%s`", c->name);
		/* Metric and labels. */
		fputs(" | ", out);
		if (c->metric == NULL)
			fputs("-", out);
		else
			fprintf(out, "`%s`%s%s%s", hsod_ctr_metric_name(c, m, sizeof(m)),
				labels[0] ? " {" : "", labels, labels[0] ? "}" : "");
		fprintf(out, " | %s | %s%s |\n", kind_name(c), c->help,
			(c->flags & HSOD_CTR_F_SPARSE) ? " (non-zero ones only)" : "");
	}
}
