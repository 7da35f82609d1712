/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session layer: one lifecycle per connection, transitions in one
 * function (sess_transition()), everything else through the sink. See
 * session.h for the states and the contract.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "session.h"

/* s->flags */
#define SESS_F_TOLD      0x01u  /* HSO_EV_OPEN was posted: the app knows it */
#define SESS_F_NOTIFY    0x02u  /* end our side with close_notify */
#define SESS_F_OUT_DONE  0x04u  /* close_out() done: our close_notify/FIN are queued */
#define SESS_F_LINGER    0x08u  /* GONE: data from before the end still for the app */
#define SESS_F_DIRTY     0x10u  /* on the dirty list */
#define SESS_F_STALLED   0x20u  /* waiting for the application */
#define SESS_F_S_LINKED  0x40u  /* physically on the stalled list (removal is lazy) */
#define SESS_F_PEER_DONE 0x80u  /* PEER_CLOSED is owed or was posted: once */

#define EVB(e) (1u << (e))
/* The "no application" list, after the applications' lists. */
#define LIST_NONE SESS_APP_MAX

enum run_result { RUN_DONE, RUN_AGAIN, RUN_STALLED };

struct sess_list {
	uint32_t head;              /* 1 + index, 0: empty */
};

struct sess_tbl {
	struct sess_config cfg;
	const struct sess_ops *ops;
	void *ctx;
	uint8_t *slots;             /* max_sessions * stride bytes, reserved */
	size_t map_len;
	size_t stride;
	uint32_t hwm;               /* slots ever used: [0, hwm) were touched */
	uint32_t free_head;         /* 1 + index, 0: none (then hwm) */
	uint32_t n_live;
	uint32_t dirty_head, dirty_tail;
	uint32_t n_dirty;
	uint32_t stall_head, stall_tail;
	struct sess_list lists[SESS_APP_MAX + 1];
	struct tcp_wheel wheel;
	uint64_t now_us;
	struct sess_stats stats;
};

static const char *const state_names[SESS_STATE_NUM] = {
	[SESS_FREE] = "FREE",
	[SESS_HANDSHAKING] = "HANDSHAKING",
	[SESS_OPEN] = "OPEN",
	[SESS_HALF_CLOSED_IN] = "HALF_CLOSED_IN",
	[SESS_HALF_CLOSED_OUT] = "HALF_CLOSED_OUT",
	[SESS_CLOSING] = "CLOSING",
	[SESS_GONE] = "GONE",
	[SESS_HANDSHAKING_RESET] = "HANDSHAKING_RESET",
};

static const char *const in_names[SESS_IN_NUM] = {
	[SESS_IN_ESTABLISHED] = "established",
	[SESS_IN_TLS_FAILED] = "tls_failed",
	[SESS_IN_PEER_NOTIFY] = "peer_close_notify",
	[SESS_IN_TLS_CLOSED] = "tls_closed",
	[SESS_IN_EOF] = "eof",
	[SESS_IN_TCP_RESET] = "tcp_reset",
	[SESS_IN_TCP_TIMEOUT] = "tcp_timeout",
	[SESS_IN_TCP_CLOSED] = "tcp_closed",
	[SESS_IN_HS_TIMEOUT] = "handshake_timeout",
	[SESS_IN_APP_CLOSE] = "app_close",
	[SESS_IN_APP_SHUTDOWN] = "app_shutdown",
	[SESS_IN_APP_GONE] = "app_gone",
	[SESS_IN_ABORT] = "abort",
	[SESS_IN_DRAIN] = "drain",
	[SESS_IN_LINGER_TIMEOUT] = "linger_timeout",
	[SESS_IN_RX_END] = "rx_end",
};

static const char *const reason_names[SESS_REASON_NUM] = {
	[SESS_REASON_NONE] = "none",
	[SESS_REASON_DONE] = "done",
	[SESS_REASON_RESET] = "reset",
	[SESS_REASON_TLS_ERROR] = "tls_error",
	[SESS_REASON_TIMEOUT] = "timeout",
	[SESS_REASON_ABORTED] = "aborted",
};

const char *
sess_state_name(unsigned s)
{
	return s < SESS_STATE_NUM ? state_names[s] : "?";
}

const char *
sess_in_name(unsigned in)
{
	return in < SESS_IN_NUM ? in_names[in] : "?";
}

const char *
sess_reason_name(unsigned r)
{
	return r < SESS_REASON_NUM ? reason_names[r] : "?";
}

const char *
sess_state_elem(unsigned s)
{
	return s > SESS_FREE && s < SESS_STATE_NUM ? state_names[s] : NULL;
}

const char *
sess_reason_elem(unsigned r)
{
	return r > SESS_REASON_NONE && r < SESS_REASON_NUM ? reason_names[r] : NULL;
}

void
sess_config_init(struct sess_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_sessions = 1024;
	cfg->handshake_timeout_us = 10000000;
	cfg->linger_us = 5000000;
	cfg->timer_tick_us = 10000;
	cfg->timer_slots = 4096;
}

/* ------------------------------------------------------------- slots */

static inline struct sess *
slot(const struct sess_tbl *t, uint32_t idx)
{
	return (struct sess *)(t->slots + (size_t)idx * t->stride);
}

void *
sess_priv(struct sess *s)
{
	return (uint8_t *)s + sizeof(*s);
}

/* Slots start on a cache line: a session's hot fields stay on one. */
static size_t
slot_stride(uint32_t priv_size)
{
	return (sizeof(struct sess) + priv_size + 63) & ~(size_t)63;
}

size_t
sess_tbl_mem_size(const struct sess_config *cfg, size_t *slot)
{
	uint32_t wheel = 1;

	while (wheel < cfg->timer_slots)
		wheel <<= 1;
	if (slot != NULL)
		*slot = slot_stride(cfg->priv_size);
	return sizeof(struct sess_tbl) + slot_stride(cfg->priv_size) * cfg->max_sessions +
	       ((size_t)wheel + (TCP_WHEEL_LEVELS - 1) * (1u << TCP_WHEEL_UP_BITS)) *
	       sizeof(struct tcp_timer *);
}

struct sess_tbl *
sess_tbl_create(const struct sess_config *cfg)
{
	struct sess_tbl *t;
	int rc;

	if (cfg == NULL || cfg->ops == NULL || cfg->max_sessions == 0 ||
	    cfg->max_sessions > (1u << 24) || cfg->priv_size > (1u << 20) ||
	    cfg->timer_tick_us == 0 || cfg->timer_slots == 0) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *cfg;
	t->ops = cfg->ops;
	t->ctx = cfg->ctx;
	t->stride = slot_stride(cfg->priv_size);
	t->map_len = t->stride * cfg->max_sessions;
	/*
	 * Address space only: the kernel backs a page with memory when a slot
	 * on it is first written, so resident memory follows the sessions
	 * actually used, not max_sessions.
	 */
	t->slots = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t->slots == MAP_FAILED) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	rc = tcp_wheel_init(&t->wheel, cfg->timer_slots, cfg->timer_tick_us, 0);
	if (rc < 0) {
		munmap(t->slots, t->map_len);
		free(t);
		errno = -rc;
		return NULL;
	}
	return t;
}

static void list_unlink(struct sess_tbl *t, struct sess *s);

void
sess_tbl_free(struct sess_tbl *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->hwm; i++) {
		struct sess *s = slot(t, i);

		if (s->state != SESS_FREE) {
			tcp_wheel_cancel(&s->timer);
			t->ops->release(t->ctx, s);
			s->state = SESS_FREE;
		}
	}
	tcp_wheel_fini(&t->wheel);
	munmap(t->slots, t->map_len);
	free(t);
}

/* ------------------------------------------------------------- lists */

static void
list_push(struct sess_tbl *t, struct sess *s, unsigned l)
{
	struct sess_list *L = &t->lists[l];

	s->lprev = 0;
	s->lnext = L->head;
	if (L->head != 0)
		slot(t, L->head - 1)->lprev = s->idx + 1;
	L->head = s->idx + 1;
}

static unsigned
list_of(const struct sess *s)
{
	return s->app == SESS_APP_NONE ? LIST_NONE : s->app;
}

static void
list_unlink(struct sess_tbl *t, struct sess *s)
{
	if (s->lprev != 0)
		slot(t, s->lprev - 1)->lnext = s->lnext;
	else
		t->lists[list_of(s)].head = s->lnext;
	if (s->lnext != 0)
		slot(t, s->lnext - 1)->lprev = s->lprev;
	s->lprev = s->lnext = 0;
}

static void
set_app(struct sess_tbl *t, struct sess *s, unsigned app)
{
	list_unlink(t, s);
	s->app = (uint8_t)app;
	list_push(t, s, list_of(s));
}

void
sess_mark(struct sess_tbl *t, struct sess *s)
{
	if (s->state == SESS_FREE || (s->flags & SESS_F_DIRTY))
		return;
	/* Off the stalled list (lazily: its link stays until it is popped). */
	s->flags = (uint8_t)((s->flags & ~SESS_F_STALLED) | SESS_F_DIRTY);
	s->dnext = 0;
	if (t->dirty_tail != 0)
		slot(t, t->dirty_tail - 1)->dnext = s->idx + 1;
	else
		t->dirty_head = s->idx + 1;
	t->dirty_tail = s->idx + 1;
	t->n_dirty++;
}

/* The session waits for its application: retried by sess_tbl_retry_stalled(). */
static void
stall(struct sess_tbl *t, struct sess *s)
{
	s->flags |= SESS_F_STALLED;
	/* Still on the list from an earlier stall (lazily removed): stays there. */
	if (s->flags & SESS_F_S_LINKED)
		return;
	s->flags |= SESS_F_S_LINKED;
	s->snext = 0;
	if (t->stall_tail != 0)
		slot(t, t->stall_tail - 1)->snext = s->idx + 1;
	else
		t->stall_head = s->idx + 1;
	t->stall_tail = s->idx + 1;
}

/* ------------------------------------------------------------- states */

static void
set_state(struct sess_tbl *t, struct sess *s, enum sess_state to)
{
	/* FREE is not counted: the gauge says where live sessions are. */
	if (s->state != SESS_FREE)
		t->stats.states[s->state]--;
	if (to != SESS_FREE)
		t->stats.states[to]++;
	s->state = (uint8_t)to;
}

static void
set_reason(struct sess *s, enum sess_reason r)
{
	if (s->reason == SESS_REASON_NONE)
		s->reason = (uint8_t)r;
}

/* Can the application hear from this session? */
static bool
app_listens(const struct sess *s)
{
	return s->app != SESS_APP_NONE && (s->flags & SESS_F_TOLD);
}

/*
 * Our side ends: CLOSING, or HALF_CLOSED_OUT while the peer still sends.
 * @notify: close_notify first (an established engine, not failed).
 */
static void
end_ours(struct sess_tbl *t, struct sess *s, enum sess_state to, bool notify)
{
	if (notify)
		s->flags |= SESS_F_NOTIFY;
	else
		s->flags &= (uint8_t)~SESS_F_NOTIFY;
	/*
	 * The app was not told yet (its OPEN still waits for ring room): it
	 * never will be; nothing it could send is queued.
	 */
	if (!(s->flags & SESS_F_TOLD) && s->app != SESS_APP_NONE) {
		s->ev_due = 0;
		set_app(t, s, SESS_APP_NONE);
	}
	set_state(t, s, to);
}

/* The peer ended its data, all of it taken: the app hears PEER_CLOSED. */
static void
peer_done(struct sess *s)
{
	if (s->flags & SESS_F_PEER_DONE)
		return;
	if (app_listens(s) || (s->ev_due & EVB(SESS_EV_OPEN))) {
		s->ev_due |= EVB(SESS_EV_PEER_CLOSED);
		s->flags |= SESS_F_PEER_DONE;
	}
}

/* TCP is gone (or about to be, after an abort). */
static void
to_gone(struct sess_tbl *t, struct sess *s, enum sess_reason r, bool deliver_rest)
{
	enum sess_state from = (enum sess_state)s->state;

	set_reason(s, r);
	tcp_wheel_cancel(&s->timer);
	if (!(s->flags & SESS_F_TOLD)) {
		/* Never handed over: the application hears nothing. */
		s->ev_due = 0;
		if (s->app != SESS_APP_NONE)
			set_app(t, s, SESS_APP_NONE);
	}
	t->ops->drop_out(t->ctx, s);
	/*
	 * Data that came before a reset is the application's (TCP keeps it
	 * until released): it gets it first, for up to linger_us.
	 */
	if (deliver_rest && app_listens(s) &&
	    (from == SESS_OPEN || from == SESS_HALF_CLOSED_OUT)) {
		s->flags |= SESS_F_LINGER;
		if (t->cfg.linger_us != 0)
			tcp_wheel_insert(&t->wheel, &s->timer, t->now_us + t->cfg.linger_us);
	}
	set_state(t, s, SESS_GONE);
}

/*
 * THE transition function: every state change of a session is here.
 * Actions that can wait (posting, close_notify and FIN) are recorded as
 * due and done by run_one(); actions that cannot (RST) are done now.
 */
static void
sess_transition(struct sess_tbl *t, struct sess *s, enum sess_in in)
{
	enum sess_state st = (enum sess_state)s->state;

	if (st == SESS_FREE)
		return;
	/* Inputs that end a session the same way in every live state. */
	switch (in) {
	case SESS_IN_ABORT:
		if (st == SESS_GONE)
			return;
		t->stats.aborted++;
		set_reason(s, SESS_REASON_ABORTED);
		/* Reset by the client already: no RST of ours on top. */
		if (st != SESS_HANDSHAKING_RESET)
			t->ops->abort(t->ctx, s);
		to_gone(t, s, SESS_REASON_ABORTED, false);
		return;
	case SESS_IN_TCP_RESET:
	case SESS_IN_TCP_TIMEOUT:
	case SESS_IN_TCP_CLOSED:
		if (st == SESS_GONE || st == SESS_HANDSHAKING_RESET)
			return;
		if (st == SESS_HANDSHAKING && in == SESS_IN_TCP_RESET) {
			/*
			 * RFC 9293 3.10.7.4 ends the connection on a RST, but
			 * the data that came in order before it was received:
			 * the client's Finished right before its RST completes
			 * a handshake (as Linux keeps such data readable after
			 * a RST). It is read first; the deadline still runs.
			 */
			t->ops->drop_out(t->ctx, s);
			set_state(t, s, SESS_HANDSHAKING_RESET);
			return;
		}
		if (st == SESS_HANDSHAKING)
			t->stats.hs_abandoned++;
		to_gone(t, s, in == SESS_IN_TCP_RESET ? SESS_REASON_RESET :
			      in == SESS_IN_TCP_TIMEOUT ? SESS_REASON_TIMEOUT : SESS_REASON_DONE,
			true);
		return;
	case SESS_IN_APP_GONE:
		if (s->app == SESS_APP_NONE)
			return;
		/* Nobody to tell or to deliver to any more. */
		s->ev_due = 0;
		s->flags &= (uint8_t)~(SESS_F_TOLD | SESS_F_LINGER);
		set_app(t, s, SESS_APP_NONE);
		t->ops->drop_out(t->ctx, s);
		if (st == SESS_GONE || st == SESS_CLOSING)
			return;
		t->stats.app_gone++;
		set_reason(s, SESS_REASON_ABORTED);
		end_ours(t, s, SESS_CLOSING, st != SESS_HANDSHAKING);
		return;
	default:
		break;
	}

	switch (st) {
	case SESS_HANDSHAKING:
		switch (in) {
		case SESS_IN_ESTABLISHED: {
			unsigned app = t->ops->app_pick(t->ctx, s);

			tcp_wheel_cancel(&s->timer);
			if (app == SESS_APP_NONE || app >= SESS_APP_MAX) {
				/* Nobody to hand it to: close it cleanly, counted. */
				t->stats.no_app++;
				set_reason(s, SESS_REASON_ABORTED);
				end_ours(t, s, SESS_CLOSING, true);
				return;
			}
			set_app(t, s, app);
			s->ev_due |= EVB(SESS_EV_OPEN);
			set_state(t, s, SESS_OPEN);
			return;
		}
		case SESS_IN_TLS_FAILED:
			/* The alert is in the engine's output: it goes, then FIN. */
			t->stats.hs_failed++;
			set_reason(s, SESS_REASON_TLS_ERROR);
			tcp_wheel_cancel(&s->timer);
			end_ours(t, s, SESS_CLOSING, false);
			return;
		case SESS_IN_EOF:
		case SESS_IN_PEER_NOTIFY:
		case SESS_IN_TLS_CLOSED:
			/* The client gave up mid-handshake: FIN back. */
			t->stats.hs_abandoned++;
			set_reason(s, SESS_REASON_DONE);
			tcp_wheel_cancel(&s->timer);
			end_ours(t, s, SESS_CLOSING, false);
			return;
		case SESS_IN_HS_TIMEOUT:
			/* A client that stalls mid-handshake must not hold a slot. */
			t->stats.hs_timeouts++;
			set_reason(s, SESS_REASON_TIMEOUT);
			t->ops->abort(t->ctx, s);
			to_gone(t, s, SESS_REASON_TIMEOUT, false);
			return;
		case SESS_IN_DRAIN:
			t->stats.drained++;
			set_reason(s, SESS_REASON_ABORTED);
			tcp_wheel_cancel(&s->timer);
			end_ours(t, s, SESS_CLOSING, false);
			return;
		default:
			return;     /* the app does not know it: APP_* cannot come */
		}

	case SESS_OPEN:
	case SESS_HALF_CLOSED_OUT:
		switch (in) {
		case SESS_IN_TLS_FAILED:
			set_reason(s, SESS_REASON_TLS_ERROR);
			t->ops->drop_out(t->ctx, s);
			end_ours(t, s, SESS_CLOSING, false);
			return;
		case SESS_IN_TLS_CLOSED:
			/*
			 * TLS 1.2: the engine answered the close_notify and is
			 * CLOSED; RFC 5246 7.2.1 discards pending writes.
			 */
			peer_done(s);
			t->ops->drop_out(t->ctx, s);
			end_ours(t, s, SESS_CLOSING, false);
			return;
		case SESS_IN_EOF:
		case SESS_IN_PEER_NOTIFY:
			peer_done(s);
			if (st == SESS_OPEN)
				set_state(t, s, SESS_HALF_CLOSED_IN);
			else
				end_ours(t, s, SESS_CLOSING, true);
			return;
		case SESS_IN_APP_CLOSE:
			end_ours(t, s, SESS_CLOSING, true);
			return;
		case SESS_IN_APP_SHUTDOWN:
			if (st == SESS_OPEN)
				end_ours(t, s, SESS_HALF_CLOSED_OUT, true);
			return;
		case SESS_IN_DRAIN:
			t->stats.drained++;
			set_reason(s, SESS_REASON_ABORTED);
			end_ours(t, s, SESS_CLOSING, true);
			return;
		default:
			return;
		}

	case SESS_HALF_CLOSED_IN:
		switch (in) {
		case SESS_IN_TLS_FAILED:
			set_reason(s, SESS_REASON_TLS_ERROR);
			t->ops->drop_out(t->ctx, s);
			end_ours(t, s, SESS_CLOSING, false);
			return;
		case SESS_IN_TLS_CLOSED:
			t->ops->drop_out(t->ctx, s);
			end_ours(t, s, SESS_CLOSING, false);
			return;
		case SESS_IN_APP_CLOSE:
		case SESS_IN_APP_SHUTDOWN:
			end_ours(t, s, SESS_CLOSING, true);
			return;
		case SESS_IN_DRAIN:
			t->stats.drained++;
			set_reason(s, SESS_REASON_ABORTED);
			end_ours(t, s, SESS_CLOSING, true);
			return;
		default:
			return;
		}

	case SESS_CLOSING:
		/*
		 * Waiting for TCP. Only one thing can change: our close is not
		 * queued yet (no mbuf) and the engine meanwhile failed or
		 * answered the peer's close_notify itself: no close_notify
		 * from us then, the engine's alert or answer goes instead.
		 */
		if (in == SESS_IN_TLS_FAILED || in == SESS_IN_TLS_CLOSED) {
			if (in == SESS_IN_TLS_FAILED)
				set_reason(s, SESS_REASON_TLS_ERROR);
			s->flags &= (uint8_t)~SESS_F_NOTIFY;
		}
		return;

	case SESS_HANDSHAKING_RESET:
		/*
		 * TCP is over: every way out is GONE, nothing is sent (the
		 * engine's answers and alerts are dropped with the connection).
		 */
		switch (in) {
		case SESS_IN_ESTABLISHED:
			/*
			 * The handshake completed (the engine counted it), but
			 * no application can use a reset connection: it is not
			 * told of it at all (no OPEN, no CLOSED).
			 */
			t->stats.hs_reset_done++;
			to_gone(t, s, SESS_REASON_RESET, false);
			return;
		case SESS_IN_TLS_FAILED:
			t->stats.hs_failed++;
			to_gone(t, s, SESS_REASON_TLS_ERROR, false);
			return;
		case SESS_IN_RX_END:
		case SESS_IN_EOF:
		case SESS_IN_PEER_NOTIFY:
		case SESS_IN_TLS_CLOSED:
			/* The input ran out before the handshake completed. */
			t->stats.hs_abandoned++;
			to_gone(t, s, SESS_REASON_RESET, false);
			return;
		case SESS_IN_HS_TIMEOUT:
			t->stats.hs_timeouts++;
			to_gone(t, s, SESS_REASON_TIMEOUT, false);
			return;
		case SESS_IN_DRAIN:
			t->stats.drained++;
			to_gone(t, s, SESS_REASON_ABORTED, false);
			return;
		default:
			return;
		}

	case SESS_GONE:
		if (in == SESS_IN_LINGER_TIMEOUT && (s->flags & SESS_F_LINGER)) {
			t->stats.lingered_out++;
			s->flags &= (uint8_t)~SESS_F_LINGER;
		}
		return;

	default:
		return;
	}
}

/* ------------------------------------------------------------- running */

struct sess *
sess_open(struct sess_tbl *t, uint64_t tcp, uint64_t now_us)
{
	struct sess *s;
	uint32_t idx, gen, snext;
	uint8_t keep;

	if (now_us > t->now_us)
		t->now_us = now_us;
	if (t->free_head != 0) {
		idx = t->free_head - 1;
		s = slot(t, idx);
		t->free_head = s->dnext;
	} else if (t->hwm < t->cfg.max_sessions) {
		idx = t->hwm++;
		t->stats.touched = t->hwm;
		s = slot(t, idx);   /* first touch of this slot */
	} else {
		t->stats.refused++;
		return NULL;
	}
	gen = s->gen + 1;
	/* A slot still linked on the stalled list (lazy removal) keeps its link. */
	keep = s->flags & SESS_F_S_LINKED;
	snext = s->snext;
	memset(s, 0, t->stride);
	s->snext = snext;
	s->gen = gen != 0 ? gen : 1;
	s->idx = idx;
	s->flags = keep;
	s->tcp = tcp;
	s->app = SESS_APP_NONE;
	s->state = SESS_HANDSHAKING;
	t->stats.states[SESS_HANDSHAKING]++;
	t->stats.opened++;
	t->n_live++;
	list_push(t, s, LIST_NONE);
	if (t->cfg.handshake_timeout_us != 0)
		tcp_wheel_insert(&t->wheel, &s->timer, t->now_us + t->cfg.handshake_timeout_us);
	sess_mark(t, s);
	return s;
}

void
sess_input(struct sess_tbl *t, struct sess *s, enum sess_in in)
{
	if (s->state == SESS_FREE || (unsigned)in >= SESS_IN_NUM)
		return;
	sess_transition(t, s, in);
	sess_mark(t, s);
}

/* How the input pump treats plaintext in this state; -1: no pumping. */
static int
rx_mode(const struct sess *s)
{
	switch (s->state) {
	case SESS_HANDSHAKING:
	case SESS_HANDSHAKING_RESET:
		return SESS_RX_HANDSHAKE;
	case SESS_OPEN:
	case SESS_HALF_CLOSED_OUT:
		if (s->app == SESS_APP_NONE)
			return SESS_RX_DISCARD;
		/* Nothing before the application has its OPEN. */
		return (s->flags & SESS_F_TOLD) ? SESS_RX_DELIVER : SESS_RX_HOLD;
	case SESS_HALF_CLOSED_IN:
	case SESS_CLOSING:
		/* Read on so the peer's FIN and alerts are seen; nobody wants data. */
		return SESS_RX_DISCARD;
	case SESS_GONE:
		return (s->flags & SESS_F_LINGER) ? SESS_RX_DELIVER : -1;
	default:
		return -1;
	}
}

/* What the pump found becomes inputs, the most final first. */
static void
apply(struct sess_tbl *t, struct sess *s, int mode, unsigned io)
{
	if (s->state == SESS_HANDSHAKING_RESET) {
		/* Until the engine consumed what came before the RST (crypto too). */
		if (io & SESS_IO_TLS_FAILED)
			sess_transition(t, s, SESS_IN_TLS_FAILED);
		else if (io & SESS_IO_ESTABLISHED)
			sess_transition(t, s, SESS_IN_ESTABLISHED);
		else if (!(io & SESS_IO_WAITING))
			sess_transition(t, s, SESS_IN_RX_END);
		return;
	}
	if (s->state == SESS_GONE) {
		/*
		 * Lingering: the peer's clean end (close_notify, FIN) found
		 * after all its data is told as in OPEN, before CLOSED.
		 */
		if ((s->flags & SESS_F_LINGER) &&
		    (io & (SESS_IO_TLS_CLOSED | SESS_IO_PEER_NOTIFY | SESS_IO_EOF)))
			peer_done(s);
		/* Lingering: done once nothing is left for the application
		 * (not blocked on it, not waiting for the engine's crypto). */
		if ((s->flags & SESS_F_LINGER) && !(io & (SESS_IO_BLOCKED | SESS_IO_WAITING))) {
			s->flags &= (uint8_t)~SESS_F_LINGER;
			tcp_wheel_cancel(&s->timer);
		}
		return;
	}
	if (io & SESS_IO_TLS_FAILED) {
		sess_transition(t, s, SESS_IN_TLS_FAILED);
		return;
	}
	if (io & SESS_IO_ESTABLISHED) {
		sess_transition(t, s, SESS_IN_ESTABLISHED);
		/* Data facts count once the data could go somewhere: next round. */
		if (mode == SESS_RX_HANDSHAKE)
			return;
	}
	/* Held plaintext: "all data before it taken" cannot hold yet. */
	if (mode == SESS_RX_HOLD)
		return;
	if (io & SESS_IO_TLS_CLOSED)
		sess_transition(t, s, SESS_IN_TLS_CLOSED);
	else if (io & SESS_IO_PEER_NOTIFY)
		sess_transition(t, s, SESS_IN_PEER_NOTIFY);
	if (io & SESS_IO_EOF)
		sess_transition(t, s, SESS_IN_EOF);
}

/* Post the events owed, in order. @return false when one found no room. */
static bool
post_due(struct sess_tbl *t, struct sess *s)
{
	for (unsigned e = 0; e < SESS_EV_NUM && s->ev_due != 0; e++) {
		if (!(s->ev_due & EVB(e)))
			continue;
		if (!t->ops->post(t->ctx, s, (enum sess_ev)e,
				  (enum sess_reason)(s->reason != SESS_REASON_NONE ? s->reason
										 : SESS_REASON_DONE))) {
			t->stats.post_retries++;
			return false;
		}
		s->ev_due &= (uint8_t)~EVB(e);
		if (e == SESS_EV_OPEN) {
			s->flags |= SESS_F_TOLD;
			t->stats.handed++;
		} else if (e == SESS_EV_CLOSED) {
			s->flags &= (uint8_t)~SESS_F_TOLD;     /* its last word */
		}
	}
	return true;
}

static void
release(struct sess_tbl *t, struct sess *s)
{
	enum sess_reason r = s->reason != SESS_REASON_NONE ? (enum sess_reason)s->reason
							   : SESS_REASON_DONE;

	tcp_wheel_cancel(&s->timer);
	t->ops->release(t->ctx, s);
	t->stats.ended[r]++;
	t->stats.closed++;
	list_unlink(t, s);
	set_state(t, s, SESS_FREE);
	s->flags &= SESS_F_S_LINKED;
	s->ev_due = 0;
	s->dnext = t->free_head;
	t->free_head = s->idx + 1;
	t->n_live--;
}

static enum run_result
run_one(struct sess_tbl *t, struct sess *s)
{
	const struct sess_ops *ops = t->ops;
	unsigned io = 0;
	enum sess_state st;

	for (unsigned round = 0; round < 4; round++) {
		int mode;

		st = (enum sess_state)s->state;
		if (st == SESS_FREE)
			return RUN_DONE;
		mode = rx_mode(s);
		io = mode >= 0 ? ops->pump_in(t->ctx, s, (enum sess_rx)mode) : 0;
		apply(t, s, mode, io);
		if (!post_due(t, s))
			return RUN_STALLED;
		/* A new state, or a new way to take input (OPEN just posted): again. */
		if (s->state == st && rx_mode(s) == mode)
			break;
	}
	st = (enum sess_state)s->state;

	/* Output: the application's sends, then our close when it is due. */
	if (st == SESS_OPEN || st == SESS_HALF_CLOSED_IN ||
	    ((st == SESS_HALF_CLOSED_OUT || st == SESS_CLOSING) && !(s->flags & SESS_F_OUT_DONE))) {
		bool pending = ops->pump_out(t->ctx, s);

		if ((st == SESS_HALF_CLOSED_OUT || st == SESS_CLOSING) && !pending) {
			/* No mbuf for close_notify now: again when the pool has some. */
			if (ops->close_out(t->ctx, s, (s->flags & SESS_F_NOTIFY) != 0) != 0)
				return RUN_STALLED;
			s->flags |= SESS_F_OUT_DONE;
		}
	}

	if (st == SESS_GONE && !(s->flags & SESS_F_LINGER)) {
		if (app_listens(s))
			s->ev_due |= EVB(SESS_EV_CLOSED);
		if (!post_due(t, s))
			return RUN_STALLED;
		/* On the dirty list again (a callback marked it): released then. */
		if (s->flags & SESS_F_DIRTY)
			return RUN_DONE;
		release(t, s);
		return RUN_DONE;
	}
	if (io & SESS_IO_BLOCKED)
		return RUN_STALLED;
	if (io & SESS_IO_WAITING)
		return RUN_AGAIN;
	return RUN_DONE;
}

unsigned
sess_tbl_run(struct sess_tbl *t)
{
	uint32_t next = t->dirty_head;
	uint32_t n = t->n_dirty;

	/* Run the list as it is now; sessions marked meanwhile run next time. */
	t->dirty_head = t->dirty_tail = 0;
	t->n_dirty = 0;
	while (n-- > 0 && next != 0) {
		struct sess *s = slot(t, next - 1);

		next = s->dnext;
		s->flags &= (uint8_t)~SESS_F_DIRTY;
		switch (run_one(t, s)) {
		case RUN_AGAIN:
			sess_mark(t, s);
			break;
		case RUN_STALLED:
			if (s->state != SESS_FREE && !(s->flags & SESS_F_DIRTY))
				stall(t, s);
			break;
		default:
			break;
		}
	}
	return t->n_dirty;
}

unsigned
sess_tbl_retry_stalled(struct sess_tbl *t, unsigned max)
{
	unsigned moved = 0, popped = 0;

	/* Stale entries (lazily removed) cost a pop each, bounded too. */
	while (moved < max && popped < 4 * max && t->stall_head != 0) {
		struct sess *s = slot(t, t->stall_head - 1);

		popped++;
		t->stall_head = s->snext;
		if (t->stall_head == 0)
			t->stall_tail = 0;
		s->snext = 0;
		s->flags &= (uint8_t)~SESS_F_S_LINKED;
		if (s->flags & SESS_F_STALLED) {
			s->flags &= (uint8_t)~SESS_F_STALLED;
			sess_mark(t, s);
			moved++;
		}
	}
	return moved;
}

static void
timer_fire(struct tcp_timer *tm, void *arg)
{
	struct sess_tbl *t = arg;
	struct sess *s = (struct sess *)((uint8_t *)tm - offsetof(struct sess, timer));

	switch (s->state) {
	case SESS_HANDSHAKING:
	case SESS_HANDSHAKING_RESET:
		sess_input(t, s, SESS_IN_HS_TIMEOUT);
		break;
	case SESS_GONE:
		sess_input(t, s, SESS_IN_LINGER_TIMEOUT);
		break;
	default:
		break;
	}
}

unsigned
sess_tbl_tick(struct sess_tbl *t, uint64_t now_us)
{
	if (now_us > t->now_us)
		t->now_us = now_us;
	return tcp_wheel_run(&t->wheel, t->now_us, timer_fire, t);
}

unsigned
sess_tbl_app_gone(struct sess_tbl *t, unsigned app)
{
	unsigned n = 0;
	uint32_t next;

	if (app >= SESS_APP_MAX)
		return 0;
	/* APP_GONE moves each session to the "none" list: take next first. */
	for (next = t->lists[app].head; next != 0; n++) {
		struct sess *s = slot(t, next - 1);

		next = s->lnext;
		sess_input(t, s, SESS_IN_APP_GONE);
	}
	return n;
}

unsigned
sess_tbl_drain(struct sess_tbl *t)
{
	unsigned n = 0;

	for (unsigned l = 0; l <= LIST_NONE; l++) {
		uint32_t next = t->lists[l].head;

		while (next != 0) {
			struct sess *s = slot(t, next - 1);

			next = s->lnext;
			sess_input(t, s, SESS_IN_DRAIN);
			n++;
		}
	}
	return n;
}

struct sess *
sess_at(struct sess_tbl *t, uint32_t idx)
{
	struct sess *s;

	if (idx >= t->hwm)
		return NULL;
	s = slot(t, idx);
	return s->state != SESS_FREE ? s : NULL;
}

struct sess *
sess_get(struct sess_tbl *t, uint64_t handle)
{
	struct sess *s = sess_at(t, (uint32_t)handle);

	return s != NULL && s->gen == (uint32_t)(handle >> 32) ? s : NULL;
}

uint32_t
sess_tbl_marked(const struct sess_tbl *t)
{
	return t->n_dirty;
}

uint32_t
sess_tbl_live(const struct sess_tbl *t)
{
	return t->n_live;
}

uint32_t
sess_tbl_handshaking(const struct sess_tbl *t)
{
	return t->stats.states[SESS_HANDSHAKING] + t->stats.states[SESS_HANDSHAKING_RESET];
}

size_t
sess_tbl_slot_bytes(const struct sess_tbl *t)
{
	return t->stride;
}

uint32_t
sess_tbl_touched(const struct sess_tbl *t)
{
	return t->hwm;
}

const struct sess_stats *
sess_tbl_stats(const struct sess_tbl *t)
{
	return &t->stats;
}
