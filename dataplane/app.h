/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_APP_H
#define HSO_DATAPLANE_APP_H

/**
 * @file
 * hso's own applications, written on the public API (hso_app.h) only: the
 * HTTP/1.1 responder and echo, built into hsod (`--app http|echo`), echo
 * also as the separate process hso-echo.
 *
 * struct app_loop is their common event loop: it hands each event to the
 * application's handler in order per connection; a handler that cannot
 * take an event now (its send window is full, a rate limit) returns
 * -EAGAIN and the event is held, unreleased, and offered again on the next
 * round, before any later event of that connection. Held DATA stays
 * charged to its connection's budget, so hsod stops reading that client:
 * backpressure without loss. The held queue is bounded; when it is full
 * the loop stops taking events and the rings push back too.
 */

#include <stdint.h>
#include <stdio.h>

#include "hso_app.h"

/** @return 0 (release the event) or -EAGAIN (hold it, offer it again). */
typedef int (*app_event_fn)(void *ctx, struct hso_event *ev);

struct app_loop {
	struct hso_app *app;
	app_event_fn on_event;
	void *ctx;
	unsigned n_conns;               /**< workers * slots */
	uint16_t *held_n;               /**< held events per connection index */
	uint8_t *blocked;               /**< per connection index, this round */
	struct hso_event *held;         /**< FIFO */
	unsigned held_cap, held_head, held_cnt;
	uint64_t held_total;            /**< events that had to wait */
	/**
	 * While on_event() runs: the event that comes next in this burst, or
	 * NULL (e.g. to send with HSO_SEND_MORE when it is more of the same).
	 */
	const struct hso_event *next;
};

/** @return 0; -ENOMEM. */
int app_loop_init(struct app_loop *l, struct hso_app *app, app_event_fn fn, void *ctx);

/**
 * One round: held events first, then up to a burst of new ones.
 * @return events handled (released); -ESHUTDOWN when hsod dropped us.
 */
int app_loop_poll(struct app_loop *l);

/** Release every held event (before detaching) and free the loop. */
void app_loop_fini(struct app_loop *l);

/* ---- The HTTP/1.1 responder ---------------------------------------- */

struct hsod_app_http;

/**
 * @param status  HTTP status code of every response
 * @param body    response body (copied)
 * @return the app, or NULL with errno.
 */
struct hsod_app_http *hsod_app_http_create(struct hso_app *app, unsigned status,
					   const char *body, size_t body_len);

/* /hso/app with --app http, declared once (format: worker.h); metrics hso_app_http_<name>. */
#define HSOD_APP_HTTP_COUNTERS(X)                                              \
	X(requests, "requests", counter, none, "HTTP requests parsed")         \
	X(responses, "responses", counter, none, "HTTP responses sent")        \
	X(bad_requests, "bad_requests", counter, none,                         \
	  "requests whose header exceeded the buffer (431, closed)")           \
	X(closes, "closes", counter, none, "sessions closed")                  \
	X(send_waits, "send_waits", counter, none,                             \
	  "responses that waited for send-window room")                        \
	X(req_bufs_exhausted, "req_bufs_exhausted", counter, none,             \
	  "requests refused (503): no request buffer free")

struct hsod_app_http_stats {
#define HSOD_APP_FIELD(field, ...) uint64_t field;
	HSOD_APP_HTTP_COUNTERS(HSOD_APP_FIELD)
};

const struct hsod_app_http_stats *hsod_app_http_stats(const struct hsod_app_http *h);

/** @return events handled; -ESHUTDOWN. */
int hsod_app_http_poll(struct hsod_app_http *h);

void hsod_app_http_free(struct hsod_app_http *h);

/* ---- Echo ----------------------------------------------------------- */

struct hso_echo;

/**
 * @param rate    bytes per second echoed at most (0: unlimited): a
 *                deliberately slow application
 * @param keylog  when not NULL, NSS key-log lines for each TLS 1.3
 *                session with keys (CLIENT_/SERVER_TRAFFIC_SECRET_0)
 */
struct hso_echo *hso_echo_create(struct hso_app *app, uint64_t rate, FILE *keylog);

/**
 * One line per session opened to @p f (NULL: none): "session ipv6
 * [CLIENT]:PORT -> [SERVER]:PORT tls VVVV suite SSSS sni NAME" (ipv4:
 * a.b.c.d:PORT), the family as hsod reports it in HSO_EV_OPEN.
 */
void hso_echo_log_sessions(struct hso_echo *e, FILE *f);

/* /hso/app with --app echo (and hso-echo), declared once; metrics hso_app_echo_<name>. */
#define HSO_ECHO_COUNTERS(X)                                                   \
	X(sessions, "sessions", counter, none, "sessions opened")              \
	X(bytes, "bytes", counter, none, "plaintext bytes echoed")             \
	X(closes, "closes", counter, none, "sessions closed")                  \
	X(send_waits, "send_waits", counter, none,                             \
	  "echoes that waited for send-window room")                           \
	X(rate_waits, "rate_waits", counter, none,                             \
	  "echoes that waited for the rate limit")                             \
	X(keys_logged, "keys_logged", counter, none,                           \
	  "sessions written to the key log")

struct hso_echo_stats {
	HSO_ECHO_COUNTERS(HSOD_APP_FIELD)
};
#undef HSOD_APP_FIELD

const struct hso_echo_stats *hso_echo_stats(const struct hso_echo *e);

/** @return events handled; -ESHUTDOWN. */
int hso_echo_poll(struct hso_echo *e);

void hso_echo_free(struct hso_echo *e);

#endif
