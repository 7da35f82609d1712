/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session layer (dataplane/session.c) against a fake world: a fake
 * TCP connection and TLS engine behind the sink, and a fake application
 * that checks every event it gets. Directed cases first (exact sequences
 * of actions), then every ordering of up to five of the things that can
 * happen to a connection (data, FIN, RST, close_notify both versions, a
 * fatal alert, the handshake deadline, application close, shutdown and
 * crash, drain, abort, a full ring, an empty pool) and random sequences of
 * up to twelve, each checked for the invariants an application and a
 * client rely on:
 *
 *  - the application hears OPEN first, data only between OPEN and
 *    PEER_CLOSED/CLOSED, PEER_CLOSED at most once and only after all the
 *    peer's data, CLOSED exactly once if it heard OPEN (unless it died);
 *  - no data is lost unless the session was reset by hsod, failed, timed
 *    out, was closed or abandoned by its application, or drained;
 *  - close_notify only on an established, unfailed engine, never after
 *    FIN; nothing is sent after FIN or RST; no send sealed after close;
 *  - the session always ends FREE, released once, its handle stale.
 */

#include <errno.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "session.h"

#define T0 1000000000ull
#define HS_TIMEOUT_US 10000000ull
#define LINGER_US 5000000ull
/* Timers fire at the first wheel tick (10 ms) at or after their deadline. */
#define TICK_SLACK 20000ull

/* ------------------------------------------------------------ the world */

struct world {
	struct sess_tbl *t;
	struct sess *s;
	uint64_t handle;
	uint64_t now;
	char log[512];              /* actions, in order */
	unsigned log_len;
	const char *scenario;

	/* the fake engine and TCP connection */
	bool established, failed, waiting;
	bool notify_in;             /* TLS 1.3 close_notify came (half-close) */
	bool closed12;              /* TLS 1.2 close_notify came and was answered */
	bool fin_in;                /* the peer's FIN */
	bool peer_done;             /* the peer sends nothing more (FIN, notify, RST) */
	bool tcp_gone, tcp_reset_ev;    /* TCP ended; its CLOSED event still to report */
	bool fin_out, notify_out, rst_out;
	unsigned rx;                /* plaintext units received, not yet taken */
	unsigned sent_by_peer;

	/* the fake application */
	bool app_attached, app_crashed;
	bool ring_full;             /* event ring or pool full */
	bool pool_empty;            /* no mbuf for close_notify */
	bool tx_full;               /* TCP send window full */
	bool got_open, got_pclosed, got_closed, app_closed;
	unsigned got_closed_n, got_reason;
	unsigned delivered, discarded;
	unsigned tx_queued, tx_sealed, tx_dropped;
	unsigned released;
	bool may_lose;              /* something happened that allows data loss */
	int errors;
};

static struct world W;

static void
logs(const char *what)
{
	size_t n = strlen(what);

	if (W.log_len + n + 1 < sizeof(W.log)) {
		memcpy(W.log + W.log_len, what, n);
		W.log_len += (unsigned)n;
		W.log[W.log_len++] = ' ';
		W.log[W.log_len] = '\0';
	}
}

#define WCHECK(cond_)                                                             \
	do {                                                                      \
		if (!(cond_)) {                                                   \
			W.errors++;                                               \
			CHECK_MSG(cond_, "scenario [%s] log [%s]", W.scenario, W.log); \
		}                                                                 \
	} while (0)

static unsigned
f_pump_in(void *ctx, struct sess *s, enum sess_rx mode)
{
	unsigned io = 0;

	(void)ctx;
	WCHECK(s == W.s);
	WCHECK(W.released == 0);
	if (W.failed)
		return SESS_IO_TLS_FAILED;
	if (W.waiting)
		return SESS_IO_WAITING;
	if (W.established)
		io |= SESS_IO_ESTABLISHED;
	switch (mode) {
	case SESS_RX_HANDSHAKE:
		break;
	case SESS_RX_HOLD:
		WCHECK(W.established);
		break;
	case SESS_RX_DELIVER:
		WCHECK(W.established && W.got_open && !W.app_crashed);
		WCHECK(!W.got_pclosed && !W.got_closed);
		while (W.rx > 0 && !W.ring_full) {
			W.rx--;
			W.delivered++;
			logs("D");
		}
		if (W.rx > 0)
			io |= SESS_IO_BLOCKED;
		break;
	case SESS_RX_DISCARD:
		W.discarded += W.rx;
		W.rx = 0;
		break;
	}
	/* Levels about the end of the peer's data hold once its data is taken. */
	if (W.rx == 0 || mode == SESS_RX_DISCARD) {
		if (W.closed12)
			io |= SESS_IO_TLS_CLOSED;
		if (W.notify_in)
			io |= SESS_IO_PEER_NOTIFY;
		if (W.fin_in && !W.tcp_gone)
			io |= SESS_IO_EOF;
	}
	return io;
}

static bool
f_pump_out(void *ctx, struct sess *s)
{
	(void)ctx;
	(void)s;
	WCHECK(W.released == 0);
	WCHECK(!W.fin_out && !W.rst_out && !W.tcp_gone);
	if (W.tx_queued > 0 && !W.tx_full) {
		W.tx_sealed += W.tx_queued;
		W.tx_queued = 0;
		logs("S");
	}
	return W.tx_queued > 0;
}

static void
f_drop_out(void *ctx, struct sess *s)
{
	(void)ctx;
	(void)s;
	W.tx_dropped += W.tx_queued;
	W.tx_queued = 0;
}

static unsigned
f_app_pick(void *ctx, struct sess *s)
{
	(void)ctx;
	(void)s;
	return W.app_attached && !W.app_crashed ? 0 : SESS_APP_NONE;
}

static bool
f_post(void *ctx, struct sess *s, enum sess_ev ev, enum sess_reason reason)
{
	char b[32];

	(void)ctx;
	WCHECK(s->app == 0);
	WCHECK(!W.app_crashed);
	WCHECK(W.released == 0);
	if (W.ring_full)
		return false;
	switch (ev) {
	case SESS_EV_OPEN:
		WCHECK(!W.got_open && W.established);
		W.got_open = true;
		logs("OPEN");
		break;
	case SESS_EV_PEER_CLOSED:
		/* Only after every byte the peer sent before it. */
		WCHECK(W.got_open && !W.got_pclosed && !W.got_closed);
		WCHECK(W.rx == 0);
		WCHECK(W.notify_in || W.closed12 || W.fin_in);
		W.got_pclosed = true;
		logs("PCLOSED");
		break;
	case SESS_EV_CLOSED:
		WCHECK(W.got_open);
		WCHECK(W.tcp_gone);
		W.got_closed = true;
		W.got_closed_n++;
		W.got_reason = reason;
		WCHECK(reason >= SESS_REASON_DONE && reason < SESS_REASON_NUM);
		snprintf(b, sizeof(b), "CLOSED(%s)", sess_reason_name(reason));
		logs(b);
		/* Callbacks may mark sessions: this one must still be released once. */
		sess_mark(W.t, s);
		break;
	default:
		WCHECK(0);
	}
	return true;
}

static int
f_close_out(void *ctx, struct sess *s, bool notify)
{
	(void)ctx;
	(void)s;
	WCHECK(W.released == 0);
	WCHECK(!W.fin_out && !W.rst_out);
	/* Our close goes after everything the application queued. */
	WCHECK(W.tx_queued == 0);
	if (W.pool_empty)
		return -EAGAIN;
	if (notify) {
		/* close_notify: only on an established engine that did not fail. */
		WCHECK(W.established && !W.failed && !W.closed12);
		W.notify_out = true;
		logs("N");
	}
	W.fin_out = true;
	logs("F");
	return 0;
}

static void
f_abort(void *ctx, struct sess *s)
{
	(void)ctx;
	(void)s;
	WCHECK(W.released == 0);
	if (!W.tcp_gone) {
		W.rst_out = true;
		W.tcp_gone = true;
		W.tcp_reset_ev = true;      /* TCP reports it, later */
		logs("RST");
	}
}

static void
f_release(void *ctx, struct sess *s)
{
	(void)ctx;
	WCHECK(s == W.s);
	WCHECK(W.tcp_gone);
	W.released++;
	logs("REL");
}

static const struct sess_ops fake_ops = {
	.pump_in = f_pump_in,
	.pump_out = f_pump_out,
	.drop_out = f_drop_out,
	.app_pick = f_app_pick,
	.post = f_post,
	.close_out = f_close_out,
	.abort = f_abort,
	.release = f_release,
};

static struct sess_tbl *
tbl_new(uint32_t max)
{
	struct sess_config cfg;
	struct sess_tbl *t;

	sess_config_init(&cfg);
	cfg.max_sessions = max;
	cfg.priv_size = 16;
	cfg.handshake_timeout_us = HS_TIMEOUT_US;
	cfg.linger_us = LINGER_US;
	cfg.ops = &fake_ops;
	t = sess_tbl_create(&cfg);
	if (t == NULL) {
		perror("sess_tbl_create");
		exit(1);
	}
	return t;
}

static void
world_start(struct sess_tbl *t, const char *scenario)
{
	uint64_t now = W.now > T0 ? W.now : T0;     /* the table's clock never goes back */

	memset(&W, 0, sizeof(W));
	W.t = t;
	W.scenario = scenario;
	W.now = now + 1000;
	W.app_attached = true;
	W.s = sess_open(t, 42, W.now);
	CHECK(W.s != NULL);
	W.handle = sess_handle(W.s);
}

/* TCP's side of things after each step: FIN both ways closes it. */
static void
tcp_settle(void)
{
	if (W.tcp_reset_ev) {
		W.tcp_reset_ev = false;
		if (W.released == 0)
			sess_input(W.t, W.s, SESS_IN_TCP_RESET);
	}
	if (!W.tcp_gone && W.fin_in && W.fin_out) {
		W.tcp_gone = true;
		sess_input(W.t, W.s, SESS_IN_TCP_CLOSED);
	}
}

/* One burst: run, the crypto "batch", run again, TCP settles, timers. */
static void
burst(void)
{
	for (unsigned i = 0; i < 3; i++) {
		sess_tbl_retry_stalled(W.t, 64);
		sess_tbl_run(W.t);
		W.waiting = false;
		sess_tbl_run(W.t);
		tcp_settle();
	}
	sess_tbl_tick(W.t, W.now);
	tcp_settle();
	sess_tbl_run(W.t);
}

enum step {
	ST_HS_DONE = 0,     /* the client's Finished: established */
	ST_DATA,            /* the client sends data */
	ST_NOTIFY13,        /* the client's close_notify, TLS 1.3 half-close */
	ST_NOTIFY12,        /* the client's close_notify, TLS 1.2 (answered at once) */
	ST_FIN,
	ST_RST,
	ST_ALERT,           /* a fatal alert, sent or received */
	ST_HS_TIMEOUT,      /* 10 s pass */
	ST_APP_SEND,
	ST_APP_CLOSE,
	ST_APP_SHUTDOWN,
	ST_APP_CRASH,
	ST_DRAIN,
	ST_ABORT,
	ST_RING_FULL,       /* toggles */
	ST_POOL_EMPTY,      /* toggles */
	ST_WAIT,            /* the engine waits for crypto in the next burst */
	ST_TX_FULL,         /* toggles: TCP's send window */
	ST_NUM,
};

static const char *const step_names[ST_NUM] = {
	"hs_done", "data", "notify13", "notify12", "fin", "rst", "alert", "hs_timeout",
	"app_send", "app_close", "app_shutdown", "app_crash", "drain", "abort",
	"ring_full", "pool_empty", "wait", "tx_full",
};

/* The application may act only on a session it knows and while alive. */
static bool
app_can_act(void)
{
	return W.got_open && !W.app_crashed && !W.got_closed && W.released == 0;
}

static void
step(enum step st)
{
	struct sess *s = sess_get(W.t, W.handle);

	switch (st) {
	case ST_HS_DONE:
		if (!W.failed && !W.tcp_gone && !W.peer_done)
			W.established = true;
		break;
	case ST_DATA:
		if (!W.peer_done && !W.tcp_gone && !W.failed) {
			W.rx++;
			W.sent_by_peer++;
		}
		break;
	case ST_NOTIFY13:
	case ST_NOTIFY12:
		if (W.peer_done || W.tcp_gone || W.failed)
			break;
		W.peer_done = true;
		if (!W.established)
			W.closed12 = true;      /* during the handshake the engine closes */
		else if (st == ST_NOTIFY13)
			W.notify_in = true;
		else
			W.closed12 = true;
		break;
	case ST_FIN:
		if (W.fin_in || W.tcp_gone)
			break;
		W.fin_in = true;
		W.peer_done = true;
		break;
	case ST_RST:
		if (W.tcp_gone)
			break;
		W.tcp_gone = true;
		W.peer_done = true;
		if (W.released == 0)
			sess_input(W.t, W.s, SESS_IN_TCP_RESET);
		break;
	case ST_ALERT:
		if (!W.tcp_gone && !W.closed12) {
			W.failed = true;
			W.may_lose = true;
		}
		break;
	case ST_HS_TIMEOUT:
		W.now += HS_TIMEOUT_US + TICK_SLACK;
		if (s != NULL && s->state == SESS_HANDSHAKING)
			W.may_lose = true;
		if (s != NULL && s->state == SESS_GONE)
			W.may_lose = true;      /* lingering data may time out */
		break;
	case ST_APP_SEND:
		if (!app_can_act() || W.app_closed)
			break;
		/* The worker drops a send the session no longer takes. */
		if (s != NULL && sess_takes_sends(s))
			W.tx_queued++;
		else
			W.tx_dropped++;
		break;
	case ST_APP_CLOSE:
	case ST_APP_SHUTDOWN:
		if (app_can_act() && !W.app_closed) {
			if (st == ST_APP_CLOSE) {
				W.app_closed = true;
				W.may_lose = true;  /* it stops reading */
			}
			sess_input(W.t, W.s, st == ST_APP_CLOSE ? SESS_IN_APP_CLOSE
								: SESS_IN_APP_SHUTDOWN);
		}
		break;
	case ST_APP_CRASH:
		if (!W.app_crashed) {
			W.app_crashed = true;
			W.may_lose = true;
			sess_tbl_app_gone(W.t, 0);
		}
		break;
	case ST_DRAIN:
		W.may_lose = true;
		sess_tbl_drain(W.t);
		break;
	case ST_ABORT:
		W.may_lose = true;
		if (s != NULL)
			sess_input(W.t, s, SESS_IN_ABORT);
		break;
	case ST_RING_FULL:
		W.ring_full = !W.ring_full;
		break;
	case ST_POOL_EMPTY:
		W.pool_empty = !W.pool_empty;
		break;
	case ST_WAIT:
		W.waiting = true;
		break;
	case ST_TX_FULL:
		W.tx_full = !W.tx_full;
		break;
	default:
		break;
	}
	/* Something happened to it (TCP's READABLE or WRITABLE, a command): it runs. */
	s = sess_get(W.t, W.handle);
	if (s != NULL)
		sess_mark(W.t, s);
}

/* The world settles: rooms free, the app closes what it knows, the peer FINs. */
static void
finish(void)
{
	W.ring_full = false;
	W.pool_empty = false;
	W.tx_full = false;
	for (unsigned round = 0; round < 20 && W.released == 0; round++) {
		struct sess *s = sess_get(W.t, W.handle);

		if (s != NULL)
			sess_mark(W.t, s);     /* TCP's WRITABLE: the window opened */
		burst();
		if (W.released != 0)
			break;
		/* A client answers our FIN with its own; an app closes on PEER_CLOSED. */
		if (round >= 1 && app_can_act() && !W.app_closed) {
			W.app_closed = true;
			sess_input(W.t, W.s, SESS_IN_APP_CLOSE);
		}
		if (round >= 2 && !W.fin_in && !W.tcp_gone && (W.fin_out || round >= 4)) {
			W.fin_in = true;
			W.peer_done = true;
		}
		if (round >= 6)
			W.now += HS_TIMEOUT_US + TICK_SLACK;     /* timers: the deadline, linger */
	}
}

static void
world_check(void)
{
	struct sess *s = sess_get(W.t, W.handle);

	WCHECK(W.released == 1);
	WCHECK(s == NULL);
	WCHECK(W.got_closed_n <= 1);
	if (W.got_open && !W.app_crashed)
		WCHECK(W.got_closed_n == 1);
	if (!W.got_open)
		WCHECK(!W.got_pclosed && !W.got_closed && W.delivered == 0);
	/* close_notify goes before FIN: checked by order in the log. */
	if (W.notify_out) {
		const char *n = strstr(W.log, "N ");
		const char *f = strstr(W.log, "F ");

		WCHECK(n != NULL && f != NULL && n < f);
	}
	/* Data the peer sent before ending cleanly reached the application. */
	if (!W.may_lose && W.got_open &&
	    sess_tbl_stats(W.t)->lingered_out == 0)
		WCHECK(W.delivered == W.sent_by_peer);
	/* Sends are either sealed or dropped; none stays queued. */
	WCHECK(W.tx_queued == 0);
}

static void
run_steps(struct sess_tbl *t, const enum step *steps, unsigned n, const char *name)
{
	world_start(t, name);
	for (unsigned i = 0; i < n; i++) {
		step(steps[i]);
		burst();
	}
	finish();
	world_check();
}

/* ------------------------------------------------------------ directed */

/* Run the steps, one burst each, then let the world settle; W.log says what happened. */
#define RUN(t_, name_, ...)                                                     \
	do {                                                                    \
		static const enum step s_[] = { __VA_ARGS__ };                  \
		run_steps(t_, s_, sizeof(s_) / sizeof(s_[0]), name_);           \
	} while (0)

#define CHECK_LOG(expect_)                                                      \
	CHECK_MSG(strcmp(W.log, expect_) == 0, "%s: got [%s] want [%s]", W.scenario, W.log, \
		  expect_)

static void
test_directed(void)
{
	struct sess_tbl *t = tbl_new(4);
	const struct sess_stats *st = sess_tbl_stats(t);

	/* The happy path, TLS 1.3: data, the client's close_notify, the app closes. */
	RUN(t, "happy13", ST_HS_DONE, ST_DATA, ST_DATA, ST_NOTIFY13);
	CHECK_LOG("OPEN D D PCLOSED N F CLOSED(done) REL ");
	CHECK_EQ(W.delivered, 2);

	/* Finished, request and FIN in one burst: everything in order. */
	world_start(t, "one_burst");
	step(ST_HS_DONE);
	step(ST_DATA);
	step(ST_FIN);
	burst();
	CHECK_LOG("OPEN D PCLOSED ");
	finish();
	world_check();
	CHECK_LOG("OPEN D PCLOSED N F CLOSED(done) REL ");

	/* Data then RST in one burst: TCP kept the data, the app gets it first. */
	world_start(t, "data_rst");
	step(ST_HS_DONE);
	burst();
	step(ST_DATA);
	step(ST_DATA);
	step(ST_RST);
	burst();
	finish();
	world_check();
	CHECK_LOG("OPEN D D CLOSED(reset) REL ");

	/* Data then RST while the ring is full: the data waits for room. */
	world_start(t, "data_rst_full");
	step(ST_HS_DONE);
	burst();
	step(ST_RING_FULL);
	step(ST_DATA);
	step(ST_RST);
	burst();
	CHECK_EQ(W.delivered, 0);
	CHECK_EQ(W.released, 0);
	step(ST_RING_FULL);
	burst();
	CHECK_LOG("OPEN D CLOSED(reset) REL ");
	world_check();

	/* ... and if it never has room, the linger deadline ends it. */
	world_start(t, "linger");
	step(ST_HS_DONE);
	burst();
	step(ST_RING_FULL);
	step(ST_DATA);
	step(ST_RST);
	burst();
	W.now += LINGER_US + TICK_SLACK;
	burst();
	CHECK_EQ(W.released, 0);         /* CLOSED waits for ring room too */
	step(ST_RING_FULL);
	burst();
	CHECK_LOG("OPEN CLOSED(reset) REL ");
	CHECK_EQ(st->lingered_out, 1);

	/*
	 * Shut down by the app, then the peer's data, close_notify and FIN
	 * with TCP's CLOSED seen before the data: data, PEER_CLOSED, CLOSED.
	 */
	world_start(t, "shutdown_peer_ends");
	step(ST_HS_DONE);
	burst();
	step(ST_APP_SHUTDOWN);
	burst();
	step(ST_DATA);
	step(ST_NOTIFY13);
	step(ST_FIN);
	W.tcp_gone = true;
	sess_input(W.t, W.s, SESS_IN_TCP_CLOSED);
	burst();
	CHECK_LOG("OPEN N F D PCLOSED CLOSED(done) REL ");
	world_check();

	/* The handshake deadline: RST, no application event. */
	world_start(t, "hs_timeout");
	burst();
	W.now += HS_TIMEOUT_US + TICK_SLACK;
	burst();
	CHECK_LOG("RST REL ");
	CHECK_EQ(st->hs_timeouts, 1);
	world_check();

	/*
	 * The client's Finished and its RST in one burst: the Finished was
	 * received before the RST, so it is read and the handshake completes
	 * (counted), but nothing is sent and no application hears of it.
	 */
	uint64_t resets0 = st->ended[SESS_REASON_RESET];
	uint64_t errors0 = st->ended[SESS_REASON_TLS_ERROR];

	world_start(t, "finished_rst");
	step(ST_HS_DONE);
	step(ST_RST);
	CHECK_EQ(W.s->state, SESS_HANDSHAKING_RESET);
	burst();
	world_check();
	CHECK_LOG("REL ");
	CHECK_EQ(st->hs_reset_done, 1);
	CHECK_EQ(st->hs_abandoned, 0);
	CHECK_EQ(st->ended[SESS_REASON_RESET], resets0 + 1);
	CHECK(!W.got_open && !W.fin_out && !W.notify_out && !W.rst_out);

	/* ... with the Finished's crypto in the batch: it waits for the batch. */
	world_start(t, "finished_rst_wait");
	step(ST_WAIT);
	step(ST_HS_DONE);
	step(ST_RST);
	sess_tbl_run(W.t);
	CHECK_EQ(W.s->state, SESS_HANDSHAKING_RESET);
	CHECK_EQ(W.released, 0);
	CHECK_EQ(sess_tbl_handshaking(W.t), 1);
	W.waiting = false;                          /* the batch ran */
	sess_tbl_run(W.t);
	CHECK_EQ(W.released, 1);
	CHECK_LOG("REL ");
	CHECK_EQ(st->hs_reset_done, 2);
	CHECK_EQ(st->hs_abandoned, 0);

	/* RST behind half a Finished: the input runs out, abandoned. */
	world_start(t, "half_finished_rst");
	step(ST_RST);
	burst();
	world_check();
	CHECK_LOG("REL ");
	CHECK_EQ(st->hs_reset_done, 2);
	CHECK_EQ(st->hs_abandoned, 1);
	CHECK_EQ(st->ended[SESS_REASON_RESET], resets0 + 3);

	/* ... or a failed one: failed, still nothing sent (its alert is dropped). */
	world_start(t, "bad_finished_rst");
	step(ST_ALERT);
	step(ST_RST);
	burst();
	world_check();
	CHECK_LOG("REL ");
	CHECK_EQ(st->hs_failed, 1);
	CHECK_EQ(st->ended[SESS_REASON_TLS_ERROR], errors0 + 1);

	/* Bounded: an engine that never finishes meets the handshake deadline. */
	world_start(t, "reset_deadline");
	step(ST_WAIT);
	step(ST_RST);
	sess_tbl_run(W.t);
	CHECK_EQ(W.s->state, SESS_HANDSHAKING_RESET);
	W.now += HS_TIMEOUT_US + TICK_SLACK;
	sess_tbl_tick(W.t, W.now);
	sess_tbl_run(W.t);
	CHECK_EQ(W.released, 1);
	CHECK_LOG("REL ");
	CHECK_EQ(st->hs_timeouts, 2);
	CHECK(!W.rst_out);
	CHECK_EQ(st->hs_abandoned, 1);

	/* A client that leaves mid-handshake (FIN): FIN back, nothing to the app. */
	RUN(t, "hs_fin", ST_FIN);
	CHECK_LOG("F REL ");
	CHECK(st->hs_abandoned >= 1);

	/* A fatal alert during the handshake: the alert goes, then FIN. */
	RUN(t, "hs_alert", ST_ALERT);
	CHECK_LOG("F REL ");
	CHECK_EQ(st->hs_failed, 2);

	/* TLS 1.2 close_notify with sends queued: they are dropped (RFC 5246 7.2.1). */
	world_start(t, "close12");
	step(ST_HS_DONE);
	burst();
	step(ST_DATA);
	W.tx_full = true;
	step(ST_APP_SEND);
	step(ST_NOTIFY12);
	burst();
	finish();
	world_check();
	CHECK_LOG("OPEN D PCLOSED F CLOSED(done) REL ");
	CHECK_EQ(W.tx_dropped, 1);

	/* Shutdown: our close_notify and FIN, the client's data still arrives. */
	world_start(t, "shutdown");
	step(ST_HS_DONE);
	burst();
	step(ST_APP_SEND);
	step(ST_APP_SHUTDOWN);
	burst();
	CHECK_EQ(W.s->state, SESS_HALF_CLOSED_OUT);
	step(ST_DATA);
	burst();
	step(ST_FIN);
	burst();
	finish();
	world_check();
	CHECK_LOG("OPEN S N F D PCLOSED CLOSED(done) REL ");

	/* The application dies with data pending: closed cleanly, nobody told. */
	world_start(t, "crash");
	step(ST_HS_DONE);
	burst();
	step(ST_RING_FULL);
	step(ST_DATA);
	burst();
	step(ST_APP_CRASH);
	burst();
	CHECK_EQ(W.s->state, SESS_CLOSING);
	finish();
	world_check();
	CHECK_LOG("OPEN N F REL ");
	CHECK_EQ(st->app_gone, 1);

	/* No application at establishment: close_notify, FIN, counted. */
	world_start(t, "no_app");
	W.app_attached = false;
	step(ST_HS_DONE);
	burst();
	finish();
	world_check();
	CHECK_LOG("N F REL ");
	CHECK_EQ(st->no_app, 1);

	/* The ring is full when the session opens: OPEN waits, data after it. */
	world_start(t, "open_full");
	step(ST_RING_FULL);
	step(ST_HS_DONE);
	step(ST_DATA);
	burst();
	CHECK_EQ(W.s->state, SESS_OPEN);
	CHECK(!W.got_open);
	step(ST_RING_FULL);
	burst();
	CHECK_LOG("OPEN D ");
	finish();
	world_check();

	/* ... and fails before the app heard of it: the app never does. */
	world_start(t, "open_full_alert");
	step(ST_RING_FULL);
	step(ST_HS_DONE);
	burst();
	step(ST_ALERT);
	burst();
	step(ST_RING_FULL);
	finish();
	world_check();
	CHECK_LOG("F REL ");

	/* No mbuf for close_notify: the close waits, then goes. */
	world_start(t, "pool_empty");
	step(ST_HS_DONE);
	burst();
	step(ST_POOL_EMPTY);
	step(ST_APP_CLOSE);
	burst();
	CHECK(!W.fin_out);
	CHECK_EQ(W.s->state, SESS_CLOSING);
	step(ST_POOL_EMPTY);
	burst();
	CHECK(W.fin_out);
	finish();
	world_check();
	CHECK_LOG("OPEN N F CLOSED(done) REL ");

	/* Abort (a misbehaving application): RST at once, CLOSED(aborted). */
	RUN(t, "abort", ST_HS_DONE, ST_DATA, ST_ABORT);
	CHECK_LOG("OPEN D RST CLOSED(aborted) REL ");

	/* Drain: close_notify and FIN to every session, CLOSED(aborted). */
	RUN(t, "drain", ST_HS_DONE, ST_DRAIN);
	CHECK_LOG("OPEN N F CLOSED(aborted) REL ");
	CHECK_EQ(st->drained, 1);

	/* The crypto batch: the session runs again after it. */
	RUN(t, "wait", ST_WAIT, ST_HS_DONE, ST_NOTIFY13);
	CHECK_LOG("OPEN PCLOSED N F CLOSED(done) REL ");

	CHECK_EQ(sess_tbl_live(t), 0);
	CHECK_EQ(st->states[SESS_GONE], 0);
	CHECK_EQ(st->states[SESS_OPEN], 0);
	sess_tbl_free(t);
}

/* ------------------------------------------------------------ orderings */

static unsigned scenarios;

/* Every ordering of @p n steps out of @p pool (with repetition of none). */
static void
permute(struct sess_tbl *t, const enum step *pool, unsigned n_pool, enum step *seq,
	unsigned depth, unsigned n, uint32_t used)
{
	if (depth == n) {
		char name[256];
		size_t off = 0;

		for (unsigned i = 0; i < n; i++)
			off += (size_t)snprintf(name + off, sizeof(name) - off, "%s%s",
						i ? "," : "", step_names[seq[i]]);
		run_steps(t, seq, n, name);
		scenarios++;
		return;
	}
	for (unsigned i = 0; i < n_pool; i++) {
		if (used & (1u << i))
			continue;
		seq[depth] = pool[i];
		permute(t, pool, n_pool, seq, depth + 1, n, used | (1u << i));
		if (check_failures > 20)
			return;     /* enough to read */
	}
}

static void
test_orderings(void)
{
	struct sess_tbl *t = tbl_new(2);
	enum step all[ST_NUM], seq[8];
	/* Sets whose orderings matter most, permuted in full (5! .. 7!). */
	static const enum step peer_end[] = { ST_HS_DONE, ST_DATA, ST_NOTIFY13, ST_FIN, ST_RST,
					      ST_APP_CLOSE, ST_RING_FULL };
	static const enum step app_end[] = { ST_HS_DONE, ST_DATA, ST_APP_SHUTDOWN, ST_APP_SEND,
					     ST_NOTIFY12, ST_APP_CRASH, ST_POOL_EMPTY };
	static const enum step sends[] = { ST_HS_DONE, ST_APP_SEND, ST_TX_FULL, ST_APP_CLOSE,
					   ST_FIN, ST_RST, ST_NOTIFY13 };
	static const enum step limits[] = { ST_HS_DONE, ST_DATA, ST_HS_TIMEOUT, ST_ALERT,
					    ST_ABORT, ST_DRAIN, ST_WAIT };

	for (unsigned i = 0; i < ST_NUM; i++)
		all[i] = (enum step)i;
	/* Every ordering of every choice of up to four distinct steps. */
	for (unsigned n = 1; n <= 4; n++)
		permute(t, all, ST_NUM, seq, 0, n, 0);
	permute(t, peer_end, 7, seq, 0, 7, 0);
	permute(t, app_end, 7, seq, 0, 7, 0);
	permute(t, limits, 7, seq, 0, 7, 0);
	permute(t, sends, 7, seq, 0, 7, 0);
	printf("orderings: %u scenarios\n", scenarios);
	CHECK_EQ(sess_tbl_live(t), 0);
	sess_tbl_free(t);
}

static void
test_random(void)
{
	struct sess_tbl *t = tbl_new(2);
	uint64_t rnd = 0x5e55104e5e55104eull;
	unsigned runs = 0;

	for (unsigned r = 0; r < 200000 && check_failures <= 20; r++) {
		enum step seq[12];
		unsigned n = 1 + (unsigned)(check_rnd(&rnd) % 12);
		char name[256];
		size_t off;

		off = (size_t)snprintf(name, sizeof(name), "random #%u:", r);
		for (unsigned i = 0; i < n; i++) {
			seq[i] = (enum step)(check_rnd(&rnd) % ST_NUM);
			off += (size_t)snprintf(name + off, sizeof(name) - off, " %s",
						step_names[seq[i]]);
		}
		run_steps(t, seq, n, name);
		runs++;
	}
	printf("random: %u sequences\n", runs);
	sess_tbl_free(t);
}

/* --------------------------------------------------- table mechanics */

static unsigned n_released;

static unsigned
q_pump_in(void *ctx, struct sess *s, enum sess_rx mode)
{
	(void)ctx;
	(void)s;
	(void)mode;
	return 0;
}

static bool q_pump_out(void *c, struct sess *s) { (void)c; (void)s; return false; }
static void q_drop_out(void *c, struct sess *s) { (void)c; (void)s; }
static unsigned q_app_pick(void *c, struct sess *s) { (void)c; (void)s; return 1; }
static bool q_post(void *c, struct sess *s, enum sess_ev e, enum sess_reason r)
{ (void)c; (void)s; (void)e; (void)r; return true; }
static int q_close_out(void *c, struct sess *s, bool n) { (void)c; (void)s; (void)n; return 0; }
static void q_abort(void *c, struct sess *s) { (void)c; (void)s; }
static void q_release(void *c, struct sess *s) { (void)c; (void)s; n_released++; }

static const struct sess_ops quiet_ops = {
	.pump_in = q_pump_in, .pump_out = q_pump_out, .drop_out = q_drop_out,
	.app_pick = q_app_pick, .post = q_post, .close_out = q_close_out,
	.abort = q_abort, .release = q_release,
};

static long
rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void
test_table(void)
{
	struct sess_config cfg;
	struct sess_tbl *t;
	struct sess *s, *s2;
	uint64_t h, h2;
	long before, after;

	/* Bad configurations. */
	sess_config_init(&cfg);
	errno = 0;
	CHECK(sess_tbl_create(&cfg) == NULL && errno == EINVAL);     /* no ops */
	cfg.ops = &quiet_ops;
	cfg.max_sessions = 0;
	CHECK(sess_tbl_create(&cfg) == NULL && errno == EINVAL);
	cfg.max_sessions = (1u << 24) + 1;
	CHECK(sess_tbl_create(&cfg) == NULL && errno == EINVAL);
	CHECK(sess_tbl_create(NULL) == NULL && errno == EINVAL);

	/* Pool exhaustion: the third open is refused, counted; a free slot is reused. */
	cfg.max_sessions = 2;
	cfg.priv_size = 16;
	t = sess_tbl_create(&cfg);
	CHECK(t != NULL);
	s = sess_open(t, 1, T0);
	s2 = sess_open(t, 2, T0);
	CHECK(s != NULL && s2 != NULL && s != s2);
	CHECK(sess_open(t, 3, T0) == NULL);
	CHECK_EQ(sess_tbl_stats(t)->refused, 1);
	CHECK_EQ(sess_tbl_live(t), 2);
	CHECK_EQ(sess_tbl_handshaking(t), 2);

	/* Generations: a handle goes stale when its session ends, for good. */
	h = sess_handle(s);
	CHECK(sess_get(t, h) == s);
	sess_input(t, s, SESS_IN_TCP_RESET);
	sess_tbl_run(t);
	CHECK(sess_get(t, h) == NULL);
	CHECK_EQ(n_released, 1);
	for (unsigned i = 0; i < 1000; i++) {
		struct sess *x = sess_open(t, 10 + i, T0);

		CHECK(x == s);          /* the freed slot, again and again */
		h2 = sess_handle(x);
		CHECK(sess_get(t, h) == NULL);
		CHECK(sess_get(t, h2) == x);
		sess_input(t, x, SESS_IN_ABORT);
		sess_tbl_run(t);
		CHECK(sess_get(t, h2) == NULL);
	}
	CHECK_EQ(s->gen, 1001);
	CHECK(sess_get(t, (uint64_t)1 << 32 | 7) == NULL);     /* never used */
	CHECK(sess_get(t, 0) == NULL);

	/* Private area: zeroed at each open. */
	memset(sess_priv(s2), 0xab, 16);
	sess_input(t, s2, SESS_IN_TCP_RESET);
	sess_tbl_run(t);
	s2 = sess_open(t, 5, T0);
	CHECK(check_all_zero(sess_priv(s2), 16));
	sess_tbl_free(t);       /* releases what is live */

	/* app_gone visits that application's sessions only. */
	cfg.max_sessions = 64;
	t = sess_tbl_create(&cfg);
	for (unsigned i = 0; i < 10; i++) {
		s = sess_open(t, i, T0);
		if (i < 6)
			sess_input(t, s, SESS_IN_ESTABLISHED);     /* app 1 */
	}
	sess_tbl_run(t);
	CHECK_EQ(sess_tbl_stats(t)->states[SESS_OPEN], 6);
	CHECK_EQ(sess_tbl_app_gone(t, 0), 0);
	CHECK_EQ(sess_tbl_app_gone(t, 1), 6);
	CHECK_EQ(sess_tbl_app_gone(t, 1), 0);
	CHECK_EQ(sess_tbl_stats(t)->states[SESS_CLOSING], 6);
	CHECK_EQ(sess_tbl_drain(t), 10);
	sess_tbl_free(t);

	/* Lazy memory: 4M slots of 1 KiB reserve 4 GiB of address space and
	 * cost nothing until used; 1000 sessions touch about 1 MiB. */
	cfg.max_sessions = 4u << 20;
	cfg.priv_size = 1024 - sizeof(struct sess);
	before = rss_kb();
	t = sess_tbl_create(&cfg);
	CHECK(t != NULL);
	after = rss_kb();
	CHECK_MSG(after - before < 4096, "creating 4M slots took %ld KiB", after - before);
	for (unsigned i = 0; i < 1000; i++)
		CHECK(sess_open(t, i, T0) != NULL);
	after = rss_kb();
	CHECK_EQ(sess_tbl_touched(t), 1000);
	CHECK_MSG(after - before < 8192, "1000 sessions took %ld KiB", after - before);
	sess_tbl_free(t);

	/* Names. */
	CHECK(strcmp(sess_state_name(SESS_HALF_CLOSED_IN), "HALF_CLOSED_IN") == 0);
	CHECK(strcmp(sess_state_name(SESS_HANDSHAKING_RESET), "HANDSHAKING_RESET") == 0);
	CHECK(strcmp(sess_state_name(99), "?") == 0);
	CHECK(strcmp(sess_in_name(SESS_IN_TCP_RESET), "tcp_reset") == 0);
	CHECK(strcmp(sess_reason_name(SESS_REASON_TIMEOUT), "timeout") == 0);
	for (unsigned i = 0; i < SESS_STATE_NUM; i++)
		CHECK(sess_state_name(i) != NULL);
	for (unsigned i = 0; i < SESS_IN_NUM; i++)
		CHECK(sess_in_name(i) != NULL);
}

int
main(void)
{
	test_table();
	test_directed();
	test_orderings();
	test_random();
	return check_result("test_session");
}
