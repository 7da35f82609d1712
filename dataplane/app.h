/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_APP_H
#define HSO_DATAPLANE_APP_H

/**
 * @file
 * How applications talk to workers: per worker, a pair of single-producer
 * single-consumer rte_rings of mbufs. Events go worker -> app ("hso_ev_N"),
 * commands app -> worker ("hso_cmd_N"). Every mbuf starts with a struct
 * hsod_msg, then msg.len bytes. No application logic runs in the worker's
 * TCP or TLS code: the built-in HTTP responder (app_http.c) uses only this.
 *
 *   HSOD_EV_OPEN     a TLS session is established; payload struct hsod_open
 *   HSOD_EV_DATA     plaintext from the client
 *   HSOD_EV_CLOSED   the connection is gone (peer closed, reset or failed)
 *   HSOD_CMD_SEND    plaintext to the client
 *   HSOD_CMD_CLOSE   send close_notify, then FIN, once queued data is out
 *
 * Backpressure: when a worker cannot enqueue an event it leaves the
 * plaintext in the TLS engine, which stops taking TCP bytes, so the TCP
 * receive window closes; nothing is dropped. The handoff issue extends this
 * to other processes, zero-copy payloads and key export.
 */

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

enum hsod_msg_type {
	HSOD_EV_OPEN = 1,
	HSOD_EV_DATA,
	HSOD_EV_CLOSED,
	HSOD_CMD_SEND = 16,
	HSOD_CMD_CLOSE,
};

struct hsod_msg {
	uint32_t conn;          /**< worker-local id: slot | generation << 20 */
	uint16_t type;          /**< enum hsod_msg_type */
	uint16_t len;           /**< payload bytes after this header */
};

/** HSOD_EV_OPEN payload: what the handshake negotiated. */
struct hsod_open {
	uint32_t raddr;         /**< client IPv4, host order */
	uint16_t rport, lport;
	uint16_t version, suite;
	uint8_t resumed;
	uint8_t alpn_len;
	uint8_t sni_len;
	char alpn[255];
	char sni[255];
};

/** Payload room of one message mbuf. */
#define HSOD_MSG_MAX(m) ((uint16_t)(rte_pktmbuf_tailroom(m) - sizeof(struct hsod_msg)))

/** Ring size per direction and worker. */
#define HSOD_RING_SIZE 4096

/** The built-in HTTP/1.1 responder. */
struct hsod_app_http;

/**
 * @param n_workers  ring pairs to serve (index = worker)
 * @param status     HTTP status code of every response
 * @param body       response body (copied)
 * @return the app, or NULL with errno.
 */
struct hsod_app_http *hsod_app_http_create(struct rte_ring *const *ev,
					   struct rte_ring *const *cmd,
					   unsigned n_workers, unsigned conns_per_worker,
					   struct rte_mempool *mp, unsigned status,
					   const char *body, size_t body_len);

/** Counters of the HTTP responder (read from the control lcore: approximate). */
struct hsod_app_http_stats {
	uint64_t requests, responses, bad_requests, closes;
	uint64_t ring_full;     /**< commands that did not fit: connection given up */
};

const struct hsod_app_http_stats *hsod_app_http_stats(const struct hsod_app_http *app);

/** Handle the events waiting on every worker's ring; returns events handled. */
unsigned hsod_app_http_poll(struct hsod_app_http *app);

void hsod_app_http_free(struct hsod_app_http *app);

#endif
