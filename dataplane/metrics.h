/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_METRICS_H
#define HSO_DATAPLANE_METRICS_H

/**
 * @file
 * Prometheus metrics (hsod --metrics ADDR:PORT): the text exposition
 * format 0.0.4 of every counter and gauge in hsod's counter table
 * (counters.h), per worker as the label worker="N" (the main lcore's
 * cycles as worker="main"), the handshake latency histogram, uptime and
 * build information, served over HTTP/1.1 on a kernel TCP socket:
 * GET /metrics.
 *
 * The server runs on the control thread: the main lcore, or with one
 * lcore inside the worker's loop once a millisecond. So it never blocks
 * and its work per hsod_metrics_poll() is bounded: a few accepts, one
 * read per client, metric families rendered until HSOD_METRICS_CHUNK
 * bytes wait, one send per client. A scraper that reads slowly only keeps
 * its response waiting; one that stalls is dropped after
 * HSOD_METRICS_TIMEOUT_US. A response is close-delimited
 * (Connection: close).
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The server's own counters, declared once (format: worker.h). */
#define HSOD_METRICS_COUNTERS(X)                                               \
	X(scrapes, "metrics_scrapes", counter, none,                           \
	  "expositions sent on the --metrics socket")                          \
	X(errors, "metrics_errors", counter, none,                             \
	  "metrics requests answered with an error or dropped (not GET "       \
	  "/metrics, too large, stalled, reset)")                              \
	X(truncated, "metrics_truncated", counter, none,                       \
	  "metric families left out of an exposition: larger than the buffer")

struct hsod_metrics_stats {
#define HSOD_METRICS_FIELD(field, ...) uint64_t field;
	HSOD_METRICS_COUNTERS(HSOD_METRICS_FIELD)
#undef HSOD_METRICS_FIELD
};

/** Scrapers served at once; more wait in the kernel's listen backlog. */
#define HSOD_METRICS_CLIENTS 4
/** Exposition bytes rendered ahead per client and poll. */
#define HSOD_METRICS_CHUNK 16384
/** A client's buffer: a metric family larger than this is left out (counted). */
#define HSOD_METRICS_BUF (256u * 1024)
/** A client that neither sends its request nor reads for this long is dropped. */
#define HSOD_METRICS_TIMEOUT_US 10000000u

struct hsod_ctr_view;
struct hsod_metrics;

/**
 * Parse "A.B.C.D:PORT" or "[IPv6]:PORT" (PORT 1..65535) into @p ss.
 * @return 0; -EINVAL.
 */
int hsod_metrics_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/**
 * Listen on @p addr ("A.B.C.D:PORT" or "[IPv6]:PORT"), non-blocking.
 * @param view     what expositions read; refresh(ctx) is called before
 *                 each one starts (to update gauges); both outlive @p m
 * @return the server, or NULL with @p err saying why (bind, listen).
 */
struct hsod_metrics *hsod_metrics_create(const char *addr, const struct hsod_ctr_view *view,
					 void (*refresh)(void *ctx), void *ctx,
					 char *err, size_t errlen);

/** Accept, read, render and send, a bounded amount; never blocks. */
void hsod_metrics_poll(struct hsod_metrics *m, uint64_t now_us);

const struct hsod_metrics_stats *hsod_metrics_stats(const struct hsod_metrics *m);

void hsod_metrics_free(struct hsod_metrics *m);

/** Metric families an exposition has (some may render empty). */
unsigned hsod_metrics_families(void);

/**
 * Render metric family @p f (HELP, TYPE and its samples) of view @p v into
 * @p buf.
 * @return bytes written (a family without samples now, e.g. failures by
 *         an alert none was sent of yet, is its HELP and TYPE lines); 0 for
 *         a family of something hsod does not run (the other built-in
 *         application): nothing written; -ENOSPC when it does not fit.
 */
int hsod_metrics_render(const struct hsod_ctr_view *v, unsigned f, char *buf, size_t cap);

/** Build labels of hso_build_info: version, dpdk, openssl. */
void hsod_metrics_set_build(const char *version, const char *dpdk, const char *openssl);

#endif
