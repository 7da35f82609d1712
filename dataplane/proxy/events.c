/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-proxy's application events: what hsod hands over (a session opens,
 * its data, the client's half-close, the end) and what goes back to the
 * client (data, shutdown, close, a 502), retried while hsod has no room.
 */
#include <errno.h>
#include <string.h>

#include "proxy_priv.h"

static const char resp_502[] =
	"HTTP/1.1 502 Bad Gateway\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 16\r\n"
	"Connection: close\r\n"
	"\r\n"
	"502 Bad Gateway\n";

/*
 * Send what is pending for the client, then the end it is to get. Returns
 * with the connection on the retry list when hsod had no room.
 */
void
client_flush(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];
	int r;

	if (c->flags & F_CLOSE_ISSUED) {
		list_del(ci, LK_RETRY);
		return;
	}
	if (c->pend_len > 0) {
		r = hso_app_send(P.app, c->handle, c->pend, c->pend_len);
		if (r == -EAGAIN || r == -ENOMEM) {
			if (r == -EAGAIN)
				P.st.client_send_eagain++;
			else
				P.st.client_send_nomem++;
			retry_on(ci);
			return;
		}
		if (r < 0) {
			/* The handle is gone: HSO_EV_CLOSED is on its way. */
			P.st.client_send_errors++;
			P.st.dropped_bytes += c->pend_len;
			c->pend_len = 0;
			be_close(ci);
			c->flags |= F_CLOSE_ISSUED;
			list_del(ci, LK_RETRY);
			return;
		}
		P.st.backend_bytes += c->pend_len;
		c->pend_len = 0;
		buf_put(ci);
		if (c->flags & F_READ_BLOCKED) {
			c->flags &= (uint16_t)~F_READ_BLOCKED;
			ep_update(ci);
		}
	}
	if (c->action == CA_SHUTDOWN && !(c->flags & F_SHUT_ISSUED)) {
		r = hso_app_shutdown(P.app, c->handle);
		if (r == -EAGAIN || r == -ENOMEM) {
			retry_on(ci);
			return;
		}
		c->flags |= F_SHUT_ISSUED;
	}
	if (c->action == CA_CLOSE) {
		r = hso_app_close(P.app, c->handle);
		if (r == -EAGAIN || r == -ENOMEM) {
			retry_on(ci);
			return;
		}
		c->flags |= F_CLOSE_ISSUED;
	}
	list_del(ci, LK_RETRY);
}

void
client_end(uint32_t ci, enum caction a)
{
	struct pconn *c = &P.conns[ci];

	if (a > c->action)
		c->action = (uint8_t)a;
	client_flush(ci);
}

static void
send_502(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	c->flags |= F_RESPONDED;
	c->flags &= (uint16_t)~F_WANT_502;
	c->pend = (const uint8_t *)resp_502;
	c->pend_len = sizeof(resp_502) - 1;
	P.st.http_502++;
	client_end(ci, CA_CLOSE);
}

/*
 * The backend side is lost for good: the client gets a clean close, with
 * --http a 502 first when no response byte went out yet. A 502 waits for
 * the client's request (so the client reads it rather than a reset of the
 * request it is still writing), up to --connect-timeout.
 */
void
client_fail(uint32_t ci, bool may_wait)
{
	struct pconn *c = &P.conns[ci];

	be_close(ci);
	c->flags |= F_FAILED;
	held_drop_all(ci);
	/* hsod takes no data after a shutdown or close: a 502 only before. */
	if (P.cfg.http && !(c->flags & F_RESPONDED) && c->action == CA_NONE) {
		if (c->from_client > 0 || (c->flags & F_PEER_CLOSED)) {
			send_502(ci);
			return;
		}
		if (may_wait) {
			c->flags |= F_WANT_502;
			timer_set(ci, TL_CONNECT, P.cfg.connect_timeout_ms);
			return;
		}
	}
	client_end(ci, CA_CLOSE);
}

static void
on_open(struct hso_event *ev)
{
	const struct hso_session *s = ev->session;
	uint32_t ci = conn_alloc(ev->conn);
	struct pconn *c;

	if (ci == NIL) {
		/* No room: close it; the table is --max-conns. */
		int r = hso_app_close(P.app, ev->conn);

		P.st.table_full++;
		if (r == -EAGAIN || r == -ENOMEM) {
			if (P.n_orphans < ORPHANS_MAX)
				P.orphans[P.n_orphans++] = ev->conn;
			else
				P.st.orphan_overflows++;
		}
		hso_app_release(P.app, ev);
		return;
	}
	c = &P.conns[ci];
	P.st.sessions++;
	if (P.pp2 != NULL) {
		struct pp2_info in = {
			.family = s->family == HSO_FAMILY_IPV6 ? 6 : 4,
			.src_addr = s->client_addr, .dst_addr = s->server_addr,
			.src_port = s->client_port, .dst_port = s->server_port,
			.version = s->version, .suite = s->suite,
			.alpn = s->alpn, .alpn_len = s->alpn_len,
			.sni = s->sni, .sni_len = s->sni_len,
		};
		int n;

		memcpy(in.src6, s->client_ip, sizeof(in.src6));
		memcpy(in.dst6, s->server_ip, sizeof(in.dst6));
		n = pp2_encode(P.pp2 + (size_t)ci * PP2_MAX, PP2_MAX, &in);

		/* Cannot fail: lengths are one byte, PP2_MAX holds the largest. */
		if (n > 0) {
			c->pp2_len = (uint16_t)n;
			P.st.pp2_headers++;
		}
	}
	hso_app_release(P.app, ev);
	conn_connect(ci);
}

static void
on_data(uint32_t ci, struct hso_event *ev)
{
	struct pconn *c = &P.conns[ci];

	c->from_client += ev->len;
	if (c->bstate == BS_IDLE) {
		/* Failed or finished: nothing takes client data any more. */
		P.st.dropped_bytes += ev->len;
		hso_app_release(P.app, ev);
		if (c->flags & F_WANT_502)
			send_502(ci);
		return;
	}
	if (c->q_len >= P.cfg.conn_queue) {
		P.st.conn_queue_overflows++;
		P.st.dropped_bytes += ev->len;
		hso_app_release(P.app, ev);
		be_close(ci);
		c->flags |= F_FAILED;
		held_drop_all(ci);
		client_end(ci, CA_CLOSE);
		return;
	}
	held_push(ci, ev);
	touch(ci);
	if (c->bstate == BS_CONNECTED && !(c->flags & F_WANT_OUT))
		be_write(ci);
}

static void
on_peer_closed(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	c->flags |= F_PEER_CLOSED;
	if (c->flags & F_WANT_502) {
		send_502(ci);
		return;
	}
	if (c->bstate == BS_CONNECTED && !(c->flags & F_WANT_OUT) &&
	    c->q_head == NIL && c->pp2_off == c->pp2_len)
		be_shut_wr(ci);
}

static void
on_closed(uint32_t ci, unsigned reason)
{
	struct pconn *c = &P.conns[ci];

	switch (reason) {
	case HSO_CLOSE_DONE: P.st.closes_done++; break;
	case HSO_CLOSE_RESET: P.st.closes_reset++; break;
	case HSO_CLOSE_TLS_ERROR: P.st.closes_tls_error++; break;
	case HSO_CLOSE_TIMEOUT: P.st.closes_timeout++; break;
	default: P.st.closes_aborted++; break;
	}
	be_close(ci);
	held_drop_all(ci);
	if (c->pend_len > 0) {
		P.st.dropped_bytes += c->pend_len;
		c->pend_len = 0;
	}
	buf_put(ci);
	conn_free(ci);
}

void
on_event(struct hso_event *ev)
{
	uint32_t ci;

	if (ev->type == HSO_EV_OPEN) {
		on_open(ev);
		return;
	}
	ci = hash_find(ev->conn);
	if (ci == NIL) {
		P.st.unknown_events++;
		hso_app_release(P.app, ev);
		return;
	}
	switch (ev->type) {
	case HSO_EV_DATA:
		on_data(ci, ev);        /* held or released there */
		return;
	case HSO_EV_PEER_CLOSED:
		hso_app_release(P.app, ev);
		on_peer_closed(ci);
		return;
	case HSO_EV_CLOSED: {
		unsigned reason = ev->reason;

		hso_app_release(P.app, ev);
		on_closed(ci, reason);
		return;
	}
	default:
		P.st.unknown_events++;
		hso_app_release(P.app, ev);
		return;
	}
}

/* Sends and closes hsod had no room for, in order, each tried once. */
bool
retry_run(void)
{
	uint32_t n = P.retry.len;
	bool progress = false;

	while (n-- > 0 && P.retry.head != NIL) {
		uint32_t ci = P.retry.head;

		list_del(ci, LK_RETRY);
		client_flush(ci);
		progress |= P.conns[ci].on[LK_RETRY] == 0;
	}
	for (uint32_t i = 0; i < P.n_orphans;) {
		int r = hso_app_close(P.app, P.orphans[i]);

		if (r == -EAGAIN || r == -ENOMEM) {
			i++;
			continue;
		}
		P.orphans[i] = P.orphans[--P.n_orphans];
	}
	return progress;
}
