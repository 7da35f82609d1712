/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_COUNTERS_H
#define HSO_DATAPLANE_COUNTERS_H

/**
 * @file
 * Every counter and gauge hsod has, in one table (hsod_ctrs[]) expanded from
 * the X/A lists declared next to each counter struct (worker.h describes
 * the format): worker.h, lcore_stats.h, net.h, net6.h, neigh.h, tcp.h, session.h,
 * handshake/hs_stats.h, apps.h, app.h, metrics.h and the global gauges
 * below. The exports all
 * walk that table and nothing else:
 *
 *  - telemetry: /hso/stats (totals over workers, some per worker and per
 *    port as arrays), /hso/worker,N (one worker), /hso/app (the built-in
 *    application), /hso/net6 (IPv6: layer 3 and its neighbour table),
 *    /hso/latency (the handshake latency histogram);
 *  - Prometheus text exposition (metrics.c): hso_<name>, _total for
 *    counters, labels worker, port and the array's own;
 *  - the documentation: hsod --counters prints the table README carries
 *    (tests/counters_doc.py keeps them equal).
 *
 * Counters are written by their owner (a worker, the control thread) and
 * read from other threads with plain loads: approximate but never torn on
 * x86-64, like rte_eth_stats.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "app.h"
#include "apps.h"
#include "handshake.h"
#include "lcore_stats.h"
#include "metrics.h"
#include "crypto_ocsp.h"
#include "neigh.h"
#include "net.h"
#include "net6.h"
#include "session.h"
#include "tcp.h"
#include "worker.h"

/* Gauges of the whole daemon, filled by hsod when it exports (format: worker.h). */
#define HSOD_GLOBAL_COUNTERS(X)                                                \
	X(apps_attached, "apps_attached", gauge, none,                         \
	  "applications attached now")                                         \
	X(mbufs_free, "mbufs_free", gauge, none, "mbufs in the pool now")      \
	X(mbufs_total, "mbufs_total", gauge, none,                             \
	  "mbufs in the pool ([net] mbufs x ports)")                           \
	X(tsc_hz, "tsc_hz", gauge, none,                                       \
	  "TSC frequency: a cycles counter / tsc_hz is seconds")               \
	X(tsc_cycles, "tsc_cycles", gauge, none,                               \
	  "the TSC when this was read: two reads give the window the cycle "   \
	  "counters cover (busy + idle = window x lcores)")                    \
	X(lcores, "lcores", gauge, none,                                       \
	  "lcores busy_cycles and idle_cycles add up: the workers, and the "   \
	  "main lcore when there are several")                                 \
	X(uptime_seconds, "uptime_seconds", gauge, none,                       \
	  "seconds since hsod started serving")                                \
	X(conn_resident_bytes, "conn_resident_bytes", gauge, none,             \
	  "bytes an established idle connection keeps resident in a worker "   \
	  "(session slot with the TLS state, TCP slot and hash, flow-control " \
	  "words)")                                                            \
	X(ocsp_loaded, "ocsp_loaded", counter, none,                           \
	  "OCSP response files accepted ([cert NAME] ocsp), at start and on "  \
	  "reloads")                                                            \
	X(port_stops, "port_stops", counter, none,                             \
	  "ports stopped by /hso/port/stop (rte_eth_dev_stop, workers kept "   \
	  "off them first); /hso/port says which are stopped now")            \
	X(port_guard_unmaps, "port_guard_unmaps", counter, none,               \
	  "memory unmapped by a thread not a worker (a memif peer leaving), "  \
	  "each after every worker left its burst (port_guard.h)")             \
	X(port_guard_timeouts, "port_guard_timeouts", counter, none,           \
	  "of them, unmapped after 2 s without every worker's quiescent point")

/* The daemon's arrays (ARRAY's arguments, as in hs_stats.h). */
#define HSOD_GLOBAL_COUNTER_ARRAYS(A)                                          \
	A(ocsp_refused, uint64_t, HSO_OCSP_REFUSAL_NUM, "ocsp_refused_",       \
	  "ocsp_refused", "reason", hsod_ctr_ocsp_refusal_name, counter,       \
	  dense, "OCSP response files refused at load or reload, by reason "   \
	  "(the configuration in service stays)")

struct hsod_global_stats {
#define HSOD_GLOBAL_FIELD(field, ...) uint64_t field;
	HSOD_GLOBAL_COUNTERS(HSOD_GLOBAL_FIELD)
#undef HSOD_GLOBAL_FIELD
#define HSOD_GLOBAL_ARRAY_FIELD(field, type, n, ...) type field[n];
	HSOD_GLOBAL_COUNTER_ARRAYS(HSOD_GLOBAL_ARRAY_FIELD)
#undef HSOD_GLOBAL_ARRAY_FIELD
};

enum hsod_ctr_kind {
	HSOD_CTR_COUNTER = 0,
	HSOD_CTR_GAUGE,
	HSOD_CTR_HISTOGRAM,     /* struct hsod_latency */
	HSOD_CTR_INFO,          /* build information: labels, value 1 */
};

/** Which struct a counter lives in. */
enum hsod_ctr_src {
	HSOD_SRC_LCORE = 0,     /* per lcore: each worker, and the main lcore */
	HSOD_SRC_WORKER,        /* per worker */
	HSOD_SRC_NET,           /* per worker and port */
	HSOD_SRC_NEIGH,         /* per worker and port */
	HSOD_SRC_NET6,          /* per worker and port with IPv6 (/hso/net6) */
	HSOD_SRC_NEIGH6,        /* per worker and port with IPv6 (/hso/net6) */
	HSOD_SRC_TCP,           /* per worker */
	HSOD_SRC_SESS,          /* per worker */
	HSOD_SRC_TLS,           /* per worker */
	HSOD_SRC_LATENCY,       /* per worker */
	HSOD_SRC_LIMIT,         /* per worker: per-source admission (limit.h) */
	HSOD_SRC_DERIVED,       /* per worker, computed from the others */
	HSOD_SRC_APPS,          /* the daemon's, below */
	HSOD_SRC_GLOBAL,
	HSOD_SRC_HTTP,          /* the built-in application's (/hso/app) */
	HSOD_SRC_ECHO,
	HSOD_SRC_METRICS,
	HSOD_SRC_NUM
};

#define HSOD_CTR_F_WORKERS 0x1  /* /hso/stats also has workers_<name> */
#define HSOD_CTR_F_SPARSE 0x2   /* array: only non-zero elements exported */
#define HSOD_CTR_F_PORTS 0x4    /* array indexed by port */

struct hsod_ctr_set;

/** One counter, or one array of them. */
struct hsod_ctr {
	const char *name;       /**< telemetry key (arrays: prefix; ports arrays: key) */
	const char *metric;     /**< Prometheus name without hso_ and _total; NULL: none */
	const char *help;
	const char *label;      /**< arrays: the label naming an element */
	const char *(*elem)(unsigned i);    /**< arrays: element name, NULL: skip */
	uint64_t (*derive)(const struct hsod_ctr_set *s);  /**< HSOD_SRC_DERIVED */
	uint32_t off;           /**< offset in the source struct */
	uint16_t n;             /**< 1, or the array's length */
	uint8_t width;          /**< bytes per element: 4 or 8 */
	uint8_t kind;           /**< enum hsod_ctr_kind */
	uint8_t src;            /**< enum hsod_ctr_src */
	uint8_t flags;          /**< HSOD_CTR_F_* */
};

extern const struct hsod_ctr hsod_ctrs[];
extern const unsigned hsod_n_ctrs;

/** One worker's counters, as an export reads them. */
struct hsod_ctr_set {
	const struct hsod_lcore_stats *lcore;
	const struct hsod_worker_stats *worker;
	const struct tcp_stats *tcp;
	const struct sess_stats *sess;
	const struct hs_worker_stats *tls;
	const struct hsod_latency *latency;
	const struct hsod_limit_stats *limit;
	const struct hsod_net_stats *net[HSOD_MAX_PORTS];
	const struct hsod_neigh_stats *neigh[HSOD_MAX_PORTS];
	/** NULL for a port without an IPv6 address. */
	const struct hsod_net6_stats *net6[HSOD_MAX_PORTS];
	const struct hsod_neigh_stats *neigh6[HSOD_MAX_PORTS];
	unsigned n_ports;
	unsigned lcore_id;
};

/** Everything an export reads. NULL members are left out. */
struct hsod_ctr_view {
	const struct hsod_ctr_set *workers;
	unsigned n_workers;
	/** The main lcore's cycles when it is not a worker, else NULL. */
	const struct hsod_lcore_stats *main_lcore;
	const struct hsod_apps_stats *apps;
	const struct hsod_global_stats *global;
	const struct hsod_app_http_stats *http;
	const struct hso_echo_stats *echo;
	const struct hsod_metrics_stats *metrics;
	const uint16_t *port_ids;       /**< DPDK id of configured port i */
	unsigned n_ports;
};

/** Is @p c kept per worker and port (a sample per port)? */
static inline bool
hsod_ctr_by_port(const struct hsod_ctr *c)
{
	return c->src == HSOD_SRC_NET || c->src == HSOD_SRC_NEIGH ||
	       c->src == HSOD_SRC_NET6 || c->src == HSOD_SRC_NEIGH6;
}

/** Is @p c one of /hso/net6's (not in /hso/stats: its names are IPv4's)? */
static inline bool
hsod_ctr_is_net6(const struct hsod_ctr *c)
{
	return c->src == HSOD_SRC_NET6 || c->src == HSOD_SRC_NEIGH6;
}

/** Element @p i of counter @p c in the struct at @p base. */
static inline uint64_t
hsod_ctr_get(const struct hsod_ctr *c, const void *base, unsigned i)
{
	const uint8_t *p = (const uint8_t *)base + c->off + (size_t)i * c->width;

	return c->width == 4 ? *(const uint32_t *)p : *(const uint64_t *)p;
}

/**
 * The struct counter @p c of worker @p s lives in (port @p port for
 * HSOD_SRC_NET, _NEIGH, _NET6 and _NEIGH6), or NULL when @p c is not a
 * per-worker counter or the port has no such struct (no IPv6 address).
 */
const void *hsod_ctr_worker_base(const struct hsod_ctr *c, const struct hsod_ctr_set *s,
				 unsigned port);

/** The struct a daemon-wide counter @p c lives in, or NULL (absent, or per worker). */
/** Refusal reason @p i of hso_ocsp_load() as an element name; NULL for "ok". */
const char *hsod_ctr_ocsp_refusal_name(unsigned i);
const void *hsod_ctr_global_base(const struct hsod_ctr *c, const struct hsod_ctr_view *v);

/**
 * Element @p i of per-worker counter @p c summed over workers [from, to)
 * (and their ports; for HSOD_SRC_LCORE plus the main lcore when
 * @p with_main).
 */
uint64_t hsod_ctr_sum(const struct hsod_ctr *c, const struct hsod_ctr_view *v,
		      unsigned from, unsigned to, unsigned i, bool with_main);

/** Prometheus metric name of @p c into @p buf: hso_<metric>[_total]. */
const char *hsod_ctr_metric_name(const struct hsod_ctr *c, char *buf, size_t len);

/**
 * Print the counter table as Markdown (hsod --counters): telemetry key,
 * metric and labels, kind, meaning.
 */
void hsod_ctr_doc(FILE *out);

struct rte_tel_data;

/**
 * /hso/stats and /hso/worker,N: the counters of workers [from, to) summed,
 * as a dict (started by the caller): scalars and array elements by key,
 * ports arrays as arrays; with @p whole (every worker) also the daemon's
 * counters, the main lcore's cycles (main_<name>, and in the totals) and
 * the per-worker arrays workers_<name>.
 * @return 0; -ENOMEM.
 */
int hsod_ctr_tel_stats(struct rte_tel_data *d, const struct hsod_ctr_view *v,
		       unsigned from, unsigned to, bool whole);

/**
 * /hso/net6: the IPv6 counters (HSOD_SRC_NET6, HSOD_SRC_NEIGH6) of every
 * worker and port summed, into dict @p d.
 */
void hsod_ctr_tel_net6(struct rte_tel_data *d, const struct hsod_ctr_view *v);

/** /hso/app: the built-in application's counters into dict @p d. */
void hsod_ctr_tel_app(struct rte_tel_data *d, const struct hsod_ctr_view *v);

/**
 * /hso/latency: workers [from, to)'s histogram summed: count, sum_us,
 * p50_us, p90_us, p99_us, and the arrays le_us (bucket bounds) and buckets
 * (counts, not cumulative; the last one past the last bound).
 * @return 0; -ENOMEM.
 */
int hsod_ctr_tel_latency(struct rte_tel_data *d, const struct hsod_ctr_view *v,
			 unsigned from, unsigned to);

/** Latency quantile @p q (0..1) in µs from a histogram, interpolated in its bucket. */
uint64_t hsod_latency_quantile_us(const struct hsod_latency *l, double q);

/** Sum of workers [from, to)'s histograms into @p out. */
void hsod_latency_sum(const struct hsod_ctr_view *v, unsigned from, unsigned to,
		      struct hsod_latency *out);

#endif
