/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event loop of hso's own applications: contract in app.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define BURST 32u
/* Held events at most: past this the loop stops taking new ones. */
#define HELD_CAP 8192u

int
app_loop_init(struct app_loop *l, struct hso_app *app, app_event_fn fn, void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->app = app;
	l->on_event = fn;
	l->ctx = ctx;
	l->n_conns = hso_app_workers(app) * hso_app_conn_slots(app);
	l->held_cap = HELD_CAP;
	l->held_n = calloc(l->n_conns, sizeof(*l->held_n));
	l->blocked = calloc(l->n_conns, sizeof(*l->blocked));
	l->held = calloc(l->held_cap, sizeof(*l->held));
	if (l->held_n == NULL || l->blocked == NULL || l->held == NULL) {
		app_loop_fini(l);
		return -ENOMEM;
	}
	return 0;
}

static void
hold(struct app_loop *l, const struct hso_event *ev, unsigned ci)
{
	l->held[(l->held_head + l->held_cnt) % l->held_cap] = *ev;
	l->held_cnt++;
	l->held_n[ci]++;
	l->held_total++;
}

int
app_loop_poll(struct app_loop *l)
{
	struct hso_event ev[BURST];
	unsigned n_held = l->held_cnt;
	int handled = 0, n;

	/*
	 * Held events, oldest first. Once one of a connection's events must
	 * wait, its later ones wait too (order per connection).
	 */
	for (unsigned k = 0; k < n_held; k++) {
		struct hso_event e = l->held[l->held_head];
		unsigned ci = hso_app_conn_index(l->app, e.conn);

		l->held_head = (l->held_head + 1) % l->held_cap;
		l->held_cnt--;
		l->held_n[ci]--;
		if (!l->blocked[ci] && l->on_event(l->ctx, &e) != -EAGAIN) {
			hso_app_release(l->app, &e);
			handled++;
			continue;
		}
		l->blocked[ci] = 1;
		l->held[(l->held_head + l->held_cnt) % l->held_cap] = e;
		l->held_cnt++;
		l->held_n[ci]++;
	}
	for (unsigned k = 0; k < l->held_cnt; k++)
		l->blocked[hso_app_conn_index(l->app, l->held[(l->held_head + k) % l->held_cap].conn)] = 0;
	if (l->held_cnt + BURST > l->held_cap) {
		/* Full: take nothing new; the rings and budgets push back. */
		return hso_app_flush(l->app) < 0 ? -ESHUTDOWN : handled;
	}
	n = hso_app_poll(l->app, ev, BURST);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		unsigned ci = hso_app_conn_index(l->app, ev[i].conn);

		if (ci >= l->n_conns) {
			hso_app_release(l->app, &ev[i]);
			continue;
		}
		l->next = i + 1 < n ? &ev[i + 1] : NULL;
		if (l->held_n[ci] == 0 && l->on_event(l->ctx, &ev[i]) != -EAGAIN) {
			l->next = NULL;
			hso_app_release(l->app, &ev[i]);
			handled++;
			continue;
		}
		l->next = NULL;
		hold(l, &ev[i], ci);
	}
	return handled;
}

void
app_loop_fini(struct app_loop *l)
{
	while (l->held != NULL && l->held_cnt > 0) {
		hso_app_release(l->app, &l->held[l->held_head]);
		l->held_head = (l->held_head + 1) % l->held_cap;
		l->held_cnt--;
	}
	free(l->held_n);
	free(l->blocked);
	free(l->held);
	l->held_n = NULL;
	l->blocked = NULL;
	l->held = NULL;
}
