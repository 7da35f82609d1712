/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Echo: every byte a client sends comes back, in order. Built into hsod
 * (`--app echo`) and the process hso-echo; on the public API only. With a
 * rate it is a deliberately slow application (the backpressure tests):
 * events it cannot echo yet stay held, so hsod stops reading the client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "app.h"

struct hso_echo {
	struct app_loop loop;
	struct hso_app *app;
	uint64_t rate;          /* bytes per second, 0: unlimited */
	uint64_t tokens;        /* bytes that may go now */
	uint64_t last_tsc;
	FILE *keylog;
	FILE *sessions;         /* hso_echo_log_sessions() */
	struct hso_echo_stats st;
};

static void
hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* NSS key log (the format of SSLKEYLOGFILE), TLS 1.3 application secrets. */
static void
log_keys(struct hso_echo *e, const struct hso_session *s)
{
	static const char *const label[2] = { "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0" };

	if (e->keylog == NULL || !s->has_keys || s->keys.secret_len == 0)
		return;
	for (int i = 0; i < 2; i++) {
		fprintf(e->keylog, "%s ", label[i]);
		hex(e->keylog, s->keys.client_random, sizeof(s->keys.client_random));
		fputc(' ', e->keylog);
		hex(e->keylog, i == 0 ? s->keys.client_secret : s->keys.server_secret,
		    s->keys.secret_len);
		fputc('\n', e->keylog);
	}
	fflush(e->keylog);
	e->st.keys_logged++;
}

/* "[2001:db8::1]:443" or "198.18.0.1:443": the address as the client's family has it. */
static void
addr_str(char *buf, size_t cap, uint8_t family, const uint8_t ip[16], uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	if (family == HSO_FAMILY_IPV6) {
		inet_ntop(AF_INET6, ip, a, sizeof(a));
		snprintf(buf, cap, "[%s]:%u", a, port);
	} else {
		inet_ntop(AF_INET, ip + 12, a, sizeof(a));      /* ::ffff:a.b.c.d */
		snprintf(buf, cap, "%s:%u", a, port);
	}
}

static void
log_session(struct hso_echo *e, const struct hso_session *s)
{
	char c[INET6_ADDRSTRLEN + 8], l[INET6_ADDRSTRLEN + 8];

	if (e->sessions == NULL)
		return;
	addr_str(c, sizeof(c), s->family, s->client_ip, s->client_port);
	addr_str(l, sizeof(l), s->family, s->server_ip, s->server_port);
	fprintf(e->sessions, "session %s %s -> %s tls %04x suite %04x sni %s\n",
		s->family == HSO_FAMILY_IPV6 ? "ipv6" : "ipv4", c, l, s->version, s->suite,
		s->sni_len > 0 ? s->sni : "-");
	fflush(e->sessions);
}

/* Refill the token bucket (a second's worth, and at least a full event). */
static void
refill(struct hso_echo *e)
{
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();
	uint64_t add = (now - e->last_tsc) * e->rate / hz;
	uint64_t cap = e->rate > 65536 ? e->rate : 65536;

	if (add == 0)
		return;
	e->last_tsc = now;
	e->tokens = e->tokens + add > cap ? cap : e->tokens + add;
}

static int
on_event(void *ctx, struct hso_event *ev)
{
	struct hso_echo *e = ctx;
	int rc;

	switch (ev->type) {
	case HSO_EV_OPEN:
		e->st.sessions++;
		log_keys(e, ev->session);
		log_session(e, ev->session);
		return 0;
	case HSO_EV_DATA:
		if (e->rate > 0) {
			refill(e);
			if (e->tokens < ev->len) {
				e->st.rate_waits++;
				return -EAGAIN;
			}
		}
		/* More of the same connection's data right behind: one record for both. */
		rc = hso_app_send_flags(e->app, ev->conn, ev->data, ev->len,
					e->loop.next != NULL && e->loop.next->type == HSO_EV_DATA &&
					e->loop.next->conn == ev->conn ? HSO_SEND_MORE : 0);
		/* No mbuf now is no room now: held, echoed later, never dropped. */
		if (rc == -EAGAIN || rc == -ENOMEM) {
			e->st.send_waits++;
			return -EAGAIN;
		}
		if (rc == 0) {
			e->st.bytes += ev->len;
			if (e->rate > 0)
				e->tokens -= ev->len;
		}
		return 0;
	case HSO_EV_PEER_CLOSED:
		/* Everything before it was echoed (events come in order). No
		 * mbuf for the close now: it waits too (lost, the client would
		 * wait for our close_notify until a timeout). */
		rc = hso_app_close(e->app, ev->conn);
		return rc == -EAGAIN || rc == -ENOMEM ? -EAGAIN : 0;
	case HSO_EV_CLOSED:
		e->st.closes++;
		return 0;
	default:
		return 0;
	}
}

struct hso_echo *
hso_echo_create(struct hso_app *app, uint64_t rate, FILE *keylog)
{
	struct hso_echo *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->app = app;
	e->rate = rate;
	e->tokens = rate;
	e->last_tsc = rte_rdtsc();
	e->keylog = keylog;
	if (app_loop_init(&e->loop, app, on_event, e) != 0) {
		free(e);
		errno = ENOMEM;
		return NULL;
	}
	return e;
}

void
hso_echo_log_sessions(struct hso_echo *e, FILE *f)
{
	e->sessions = f;
}

const struct hso_echo_stats *
hso_echo_stats(const struct hso_echo *e)
{
	return &e->st;
}

int
hso_echo_poll(struct hso_echo *e)
{
	return app_loop_poll(&e->loop);
}

void
hso_echo_free(struct hso_echo *e)
{
	if (e == NULL)
		return;
	app_loop_fini(&e->loop);
	free(e);
}
