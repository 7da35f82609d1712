/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The application library: hso_app.h on top of the shared memory that
 * app_shm.h describes. It runs in the application's thread (a DPDK
 * secondary process, or hsod itself for the built-in applications).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_memzone.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "app_shm.h"

/* Commands a worker's queue holds before hso_app_send() says -EAGAIN. */
#define CMDQ_SIZE 512u
/* Released mbufs go back to the pool in bulk (no per-lcore cache: see
 * hso_shm_mbuf_alloc()). */
#define FREEQ_SIZE 64u
#define POLL_BURST 32u
#define ATTACH_WAIT_MS 5000

struct cmdq {
	unsigned head, n;
	struct rte_mbuf *m[CMDQ_SIZE];
};

struct hso_app {
	struct hso_shm *shm;
	struct hso_shm_app *slot;
	unsigned index;
	unsigned n_workers;
	unsigned next_worker;
	bool inproc;
	bool gone;
	uint64_t checked_tsc;       /* last look at hsod's process */
	struct rte_mempool *mp;
	struct hso_shm_conn *fc;    /* the flow-control words (app_shm.h) */
	struct rte_ring **ev, **cmd;
	struct cmdq *q;
	uint32_t owner;             /* hso_shm_owner_tag() of this attach */
	unsigned n_free;
	void *freeq[FREEQ_SIZE];
	struct hso_app_stats st;
};

/* Into the pool: untagged first (the tag says "in an application's hands"). */
static void
mbuf_untag_free(struct hso_app *a, struct rte_mbuf *m)
{
	*hso_shm_owner(m, a->shm->owner_off) = 0;
	hso_shm_mbuf_free(m);
}

static void
freeq_flush(struct hso_app *a)
{
	for (unsigned i = 0; i < a->n_free; i++)
		*hso_shm_owner(a->freeq[i], a->shm->owner_off) = 0;
	if (a->n_free > 0)
		rte_mempool_generic_put(a->mp, a->freeq, a->n_free, NULL);
	a->n_free = 0;
}

/* An mbuf back to the pool, batched. */
static void
mbuf_put(struct hso_app *a, struct rte_mbuf *m)
{
	m = rte_pktmbuf_prefree_seg(m);
	if (m == NULL)
		return;
	if (m->pool != a->mp) {
		mbuf_untag_free(a, m);
		return;
	}
	a->freeq[a->n_free++] = m;
	if (a->n_free == FREEQ_SIZE)
		freeq_flush(a);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static uint32_t
slot_state(const struct hso_shm_app *s)
{
	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
}

static void
slot_set(struct hso_shm_app *s, uint32_t st)
{
	__atomic_store_n(&s->state, st, __ATOMIC_RELEASE);
}

/* Give a slot back: FREE, with no process named (hsod reads pid). */
static void
slot_release(struct hso_shm_app *s)
{
	__atomic_store_n(&s->pid, 0, __ATOMIC_RELEASE);
	slot_set(s, HSO_SLOT_FREE);
}

static void
app_free(struct hso_app *a)
{
	if (a == NULL)
		return;
	freeq_flush(a);
	for (unsigned w = 0; a->q != NULL && w < a->n_workers; w++) {
		for (unsigned k = 0; k < a->q[w].n; k++)
			mbuf_untag_free(a, a->q[w].m[(a->q[w].head + k) % CMDQ_SIZE]);
		a->q[w].n = 0;
	}
	if (a->fc != NULL)
		munmap(a->fc, a->shm->fc_len);
	free(a->ev);
	free(a->cmd);
	free(a->q);
	free(a);
}

struct hso_shm_conn *
hso_shm_fc_map(const struct hso_shm *shm)
{
	int fd = shm_open(shm->fc_name, O_RDWR, 0);
	void *p;
	int e;

	if (fd < 0)
		return NULL;
	p = mmap(NULL, shm->fc_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		errno = e;
		return NULL;
	}
	return p;
}

/* Find hsod's memzone and claim a free slot. */
static struct hso_app *
attach_claim(const char *name, unsigned flags, bool inproc)
{
	const struct rte_memzone *mz = rte_memzone_lookup(HSO_SHM_NAME);
	struct hso_shm *shm;
	struct hso_app *a;

	if (mz == NULL) {
		errno = ENOENT;
		return NULL;
	}
	shm = mz->addr;
	if (shm->magic != HSO_SHM_MAGIC || shm->abi != HSO_APP_ABI) {
		errno = EPROTO;
		return NULL;
	}
	if ((flags & ~(unsigned)HSO_APP_KEYS) != 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((flags & HSO_APP_KEYS) && !shm->allow_keys) {
		errno = EPERM;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->shm = shm;
	a->inproc = inproc;
	a->n_workers = shm->n_workers;
	a->ev = calloc(a->n_workers, sizeof(*a->ev));
	a->cmd = calloc(a->n_workers, sizeof(*a->cmd));
	a->q = calloc(a->n_workers, sizeof(*a->q));
	a->mp = rte_mempool_lookup(shm->pool);
	a->fc = hso_shm_fc_map(shm);
	if (a->ev == NULL || a->cmd == NULL || a->q == NULL || a->mp == NULL || a->fc == NULL) {
		app_free(a);
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned i = 0; i < HSO_APP_MAX; i++) {
		uint32_t want = HSO_SLOT_FREE;

		if (__atomic_compare_exchange_n(&shm->apps[i].state, &want, HSO_SLOT_CLAIMED,
						false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			a->index = i;
			a->slot = &shm->apps[i];
			/* At once: hsod frees a CLAIMED slot whose process is gone. */
			__atomic_store_n(&a->slot->pid, getpid(), __ATOMIC_RELEASE);
			break;
		}
	}
	if (a->slot == NULL) {
		app_free(a);
		errno = EBUSY;
		return NULL;
	}
	for (unsigned w = 0; w < a->n_workers; w++) {
		char rn[RTE_RING_NAMESIZE];

		snprintf(rn, sizeof(rn), HSO_SHM_EV_FMT, a->index, w);
		a->ev[w] = rte_ring_lookup(rn);
		snprintf(rn, sizeof(rn), HSO_SHM_CMD_FMT, a->index, w);
		a->cmd[w] = rte_ring_lookup(rn);
		if (a->ev[w] == NULL || a->cmd[w] == NULL) {
			slot_release(a->slot);
			app_free(a);
			errno = EPROTO;
			return NULL;
		}
	}
	a->slot->flags = flags;
	a->slot->error = 0;
	a->slot->inproc = inproc;
	a->slot->polls = 0;
	a->slot->acks = 0;
	snprintf(a->slot->name, sizeof(a->slot->name), "%s", name != NULL ? name : "app");
	a->slot->gen++;
	a->owner = hso_shm_owner_tag(a->index, a->slot->gen);
	return a;
}

struct hso_app *
hso_app_attach(const char *name, unsigned flags)
{
	struct hso_app *a = attach_claim(name, flags, false);

	if (a == NULL)
		return NULL;
	slot_set(a->slot, HSO_SLOT_REQUEST);
	/* hsod's control loop answers within a few milliseconds. */
	for (unsigned t = 0; t < ATTACH_WAIT_MS; t++) {
		uint32_t st = slot_state(a->slot);

		if (st == HSO_SLOT_ACTIVE)
			return a;
		if (st == HSO_SLOT_REJECTED) {
			int e = a->slot->error;

			slot_release(a->slot);
			app_free(a);
			errno = e != 0 ? e : EPERM;
			return NULL;
		}
		sleep_ms(1);
	}
	/* hsod never answered: give the slot back, if it still is a request. */
	{
		uint32_t want = HSO_SLOT_REQUEST;

		a->slot->pid = 0;
		if (!__atomic_compare_exchange_n(&a->slot->state, &want, HSO_SLOT_FREE, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			/* Answered just now: take the answer. */
			a->slot->pid = getpid();
			int e = a->slot->error != 0 ? a->slot->error : EPERM;

			if (want == HSO_SLOT_ACTIVE)
				return a;
			slot_release(a->slot);
			app_free(a);
			errno = e;
			return NULL;
		}
	}
	app_free(a);
	errno = ETIMEDOUT;
	return NULL;
}

struct hso_app *
hso_app_attach_inproc(const char *name, unsigned flags)
{
	struct hso_app *a = attach_claim(name, flags, true);

	if (a != NULL)
		slot_set(a->slot, HSO_SLOT_ACTIVE);
	return a;
}

unsigned
hso_app_workers(const struct hso_app *a)
{
	return a->n_workers;
}

unsigned
hso_app_conn_slots(const struct hso_app *a)
{
	return a->shm->conns_per_worker;
}

/* The parts of an application's handle (hso_app.h). */
static inline uint32_t
conn_slot(uint64_t conn)
{
	return (uint32_t)conn & HSO_SHM_SLOT_MASK;
}

static inline uint32_t
conn_gen(uint64_t conn)
{
	return (uint32_t)(conn >> 32);
}

/* The ring id (session handle) of an application's handle. */
static inline uint64_t
conn_id(uint64_t conn)
{
	return hso_shm_id(conn_gen(conn), conn_slot(conn));
}

unsigned
hso_app_pool_size(const struct hso_app *a)
{
	return a->mp->size;
}

unsigned
hso_app_conn_index(const struct hso_app *a, uint64_t conn)
{
	return hso_app_conn_worker(conn) * a->shm->conns_per_worker + conn_slot(conn);
}

const struct hso_app_stats *
hso_app_stats(const struct hso_app *a)
{
	return &a->st;
}

/* Is hsod still there? Checked about once a second from hso_app_poll(). */
static bool
hsod_alive(struct hso_app *a)
{
	uint64_t now = rte_rdtsc();

	if (a->gone)
		return false;
	if (__atomic_load_n(&a->shm->stopping, __ATOMIC_ACQUIRE) ||
	    slot_state(a->slot) != HSO_SLOT_ACTIVE) {
		a->gone = true;
		return false;
	}
	if (!a->inproc && now - a->checked_tsc > rte_get_tsc_hz()) {
		a->checked_tsc = now;
		if (kill(a->shm->hsod_pid, 0) != 0 && errno == ESRCH) {
			a->gone = true;
			return false;
		}
	}
	return true;
}

int
hso_app_flush(struct hso_app *a)
{
	int left = 0;

	freeq_flush(a);
	if (a->gone)
		return -ESHUTDOWN;
	for (unsigned w = 0; w < a->n_workers; w++) {
		struct cmdq *q = &a->q[w];

		while (q->n > 0) {
			/* Contiguous run from head (the queue wraps). */
			unsigned run = q->n < CMDQ_SIZE - q->head ? q->n : CMDQ_SIZE - q->head;
			unsigned done = rte_ring_sp_enqueue_burst(a->cmd[w], (void **)&q->m[q->head],
								  run, NULL);

			q->head = (q->head + done) % CMDQ_SIZE;
			q->n -= done;
			if (done < run)
				break;
		}
		left += (int)q->n;
	}
	return left;
}

int
hso_app_poll(struct hso_app *a, struct hso_event *ev, unsigned max)
{
	unsigned got = 0;

	if (!hsod_alive(a))
		return -ESHUTDOWN;
	__atomic_store_n(&a->slot->polls, a->slot->polls + 1, __ATOMIC_RELAXED);
	freeq_flush(a);
	hso_app_flush(a);
	for (unsigned k = 0; k < a->n_workers && got < max; k++) {
		unsigned w = (a->next_worker + k) % a->n_workers;
		struct rte_mbuf *ms[POLL_BURST];
		unsigned want = max - got < POLL_BURST ? max - got : POLL_BURST;
		unsigned n = rte_ring_sc_dequeue_burst(a->ev[w], (void **)ms, want, NULL);

		for (unsigned i = 0; i < n; i++) {
			const struct hso_shm_msg *h = rte_pktmbuf_mtod(ms[i], const struct hso_shm_msg *);
			struct hso_event *e = &ev[got++];

			memset(e, 0, sizeof(*e));
			e->conn = (uint64_t)hso_shm_id_gen(h->conn) << 32 | (uint64_t)w << 24 |
				  hso_shm_id_slot(h->conn);
			e->type = h->type;
			e->reason = h->reason;
			e->priv = ms[i];
			switch (h->type) {
			case HSO_EV_OPEN:
				e->session = (const struct hso_session *)(h + 1);
				a->st.opens++;
				break;
			case HSO_EV_DATA:
				e->data = (const uint8_t *)(h + 1);
				e->len = h->len;
				a->st.data_bytes += h->len;
				break;
			case HSO_EV_CLOSED:
				a->st.closes++;
				break;
			default:
				break;
			}
		}
		a->st.events += n;
	}
	a->next_worker = (a->next_worker + 1) % a->n_workers;
	return (int)got;
}

void
hso_app_release(struct hso_app *a, struct hso_event *ev)
{
	struct rte_mbuf *m = ev->priv;

	if (m == NULL)
		return;
	if (ev->type == HSO_EV_DATA && ev->len > 0) {
		unsigned w = hso_app_conn_worker(ev->conn);
		uint32_t id = conn_gen(ev->conn);
		struct hso_shm_conn *sc = hso_shm_conn(a->fc, a->shm, w, conn_slot(ev->conn));
		uint64_t cur = __atomic_load_n(&sc->rx_done, __ATOMIC_ACQUIRE);

		/*
		 * Only while the word is this connection's: the worker re-tags
		 * it when the slot is reused, and a late release of an old
		 * connection must not touch the new one's count.
		 */
		while ((uint32_t)(cur >> 32) == id &&
		       !__atomic_compare_exchange_n(&sc->rx_done, &cur,
						    hso_shm_tag(id, (uint32_t)cur + ev->len +
								HSO_APP_EVENT_COST), false,
						    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			;
	} else if (ev->type == HSO_EV_OPEN && ev->session != NULL && ev->session->has_keys) {
		struct hso_session *s = (struct hso_session *)(uintptr_t)ev->session;

		/* Secrets leave no trace in the pool (not optimised away: volatile). */
		volatile uint8_t *p = (volatile uint8_t *)&s->keys;

		for (size_t i = 0; i < sizeof(s->keys); i++)
			p[i] = 0;
	}
	mbuf_put(a, m);
	ev->priv = NULL;
}

/* Room for @p n more commands to worker @p w? */
static bool
q_room(const struct hso_app *a, unsigned w, unsigned n)
{
	return a->q[w].n + n <= CMDQ_SIZE;
}

static void
q_push(struct hso_app *a, unsigned w, struct rte_mbuf *m)
{
	struct cmdq *q = &a->q[w];

	q->m[(q->head + q->n) % CMDQ_SIZE] = m;
	q->n++;
}

/* A command for connection @p id: header, then (SEND) the seal gap and the bytes. */
static struct rte_mbuf *
cmd_mbuf(struct hso_app *a, uint64_t id, uint16_t type, uint16_t flags, const void *data,
	 uint32_t len)
{
	struct rte_mbuf *m = hso_shm_mbuf_alloc(a->mp);
	uint32_t room = type == HSO_CMD_SEND ? HSO_SHM_SEAL_HEAD + len + HSO_SHM_SEAL_TAIL : len;
	struct hso_shm_msg *h;

	if (m == NULL)
		return NULL;
	h = (struct hso_shm_msg *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*h) + room));
	if (h == NULL) {
		hso_shm_mbuf_free(m);
		return NULL;
	}
	*hso_shm_owner(m, a->shm->owner_off) = a->owner;
	memset(h, 0, sizeof(*h));
	h->conn = id;
	h->type = type;
	h->reason = flags;
	h->len = len;
	if (len > 0)
		memcpy(type == HSO_CMD_SEND ? hso_shm_send_data(h) : (uint8_t *)(h + 1), data, len);
	return m;
}

/*
 * Is @p gen still the connection in its slot? hsod tags tx_done with the
 * generation at accept: another tag means the connection is gone and the
 * slot serves a newer one, whose send window a stale send must not touch.
 */
static int
conn_current(struct hso_shm_conn *sc, uint32_t gen)
{
	return (uint32_t)(__atomic_load_n(&sc->tx_done, __ATOMIC_ACQUIRE) >> 32) == gen ? 0
											   : -ENOTCONN;
}

static int
check_conn(const struct hso_app *a, uint64_t conn)
{
	if (a->gone)
		return -ESHUTDOWN;
	if (hso_app_conn_worker(conn) >= a->n_workers || conn_gen(conn) == 0 ||
	    conn_slot(conn) >= a->shm->conns_per_worker)
		return -EINVAL;
	return 0;
}

int
hso_app_send_flags(struct hso_app *a, uint64_t conn, const void *data, size_t len,
		   unsigned flags)
{
	unsigned w = hso_app_conn_worker(conn);
	uint32_t gen = conn_gen(conn);
	struct hso_shm_conn *sc;
	uint32_t sent, done, n;
	struct rte_mbuf *ms[HSO_APP_SEND_WINDOW];
	int rc = check_conn(a, conn);

	if (rc != 0)
		return rc;
	if ((flags & ~(unsigned)HSO_SEND_MORE) != 0)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (len > HSO_APP_SEND_MAX)
		return -EMSGSIZE;
	n = (uint32_t)((len + HSO_SHM_SEND_CHUNK - 1) / HSO_SHM_SEND_CHUNK);
	sc = hso_shm_conn(a->fc, a->shm, w, conn_slot(conn));
	rc = conn_current(sc, gen);
	if (rc != 0)
		return rc;
	sent = hso_shm_count(__atomic_load_n(&sc->tx_sent, __ATOMIC_RELAXED), gen);
	done = hso_shm_count(__atomic_load_n(&sc->tx_done, __ATOMIC_ACQUIRE), gen);
	if (sent - done + n > HSO_APP_SEND_WINDOW || !q_room(a, w, n)) {
		hso_app_flush(a);
		if (sent - done + n > HSO_APP_SEND_WINDOW || !q_room(a, w, n)) {
			a->st.send_eagain++;
			return -EAGAIN;
		}
	}
	/*
	 * The pool at hsod's reserve: past its share a connection waits, and
	 * under a quarter of it every one with sends in flight does. One with
	 * nothing in flight may always send, whatever the size, so a message
	 * longer than the share waits for its acknowledgements, never for good.
	 */
	if (sent != done && (sent - done + n > HSO_SHM_TX_SHARE ||
			     hso_shm_pool_state(a->shm, a->mp) == 2) &&
	    hso_shm_pool_state(a->shm, a->mp) != 0) {
		a->st.send_eagain++;
		a->st.send_pool_waits++;
		return -EAGAIN;
	}
	for (uint32_t i = 0; i < n; i++) {
		size_t off = (size_t)i * HSO_SHM_SEND_CHUNK;
		uint32_t part = (uint32_t)(len - off < HSO_SHM_SEND_CHUNK ? len - off
									  : HSO_SHM_SEND_CHUNK);
		/* The pieces of one message make one record as far as they can. */
		uint16_t f = (uint16_t)((i + 1 < n || (flags & HSO_SEND_MORE)) ? HSO_SHM_F_MORE : 0);

		ms[i] = cmd_mbuf(a, conn_id(conn), HSO_CMD_SEND, f, (const uint8_t *)data + off, part);
		if (ms[i] == NULL) {
			while (i > 0)
				mbuf_untag_free(a, ms[--i]);
			a->st.send_nomem++;
			return -ENOMEM;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		q_push(a, w, ms[i]);
	__atomic_store_n(&sc->tx_sent, hso_shm_tag(gen, sent + n), __ATOMIC_RELEASE);
	a->st.sends++;
	a->st.send_bytes += len;
	if (a->q[w].n >= POLL_BURST)
		hso_app_flush(a);
	return 0;
}

int
hso_app_send(struct hso_app *a, uint64_t conn, const void *data, size_t len)
{
	return hso_app_send_flags(a, conn, data, len, 0);
}

static int
send_ctl(struct hso_app *a, uint64_t conn, uint16_t type)
{
	unsigned w = hso_app_conn_worker(conn);
	struct rte_mbuf *m;
	int rc = check_conn(a, conn);

	if (rc == 0)
		rc = conn_current(hso_shm_conn(a->fc, a->shm, w, conn_slot(conn)), conn_gen(conn));
	if (rc != 0)
		return rc;
	if (!q_room(a, w, 1)) {
		hso_app_flush(a);
		if (!q_room(a, w, 1))
			return -EAGAIN;
	}
	m = cmd_mbuf(a, conn_id(conn), type, 0, NULL, 0);
	if (m == NULL) {
		a->st.send_nomem++;
		return -ENOMEM;
	}
	q_push(a, w, m);
	return 0;
}

int
hso_app_close(struct hso_app *a, uint64_t conn)
{
	return send_ctl(a, conn, HSO_CMD_CLOSE);
}

int
hso_app_shutdown(struct hso_app *a, uint64_t conn)
{
	return send_ctl(a, conn, HSO_CMD_SHUTDOWN);
}

int
hso_app_detach(struct hso_app *a)
{
	int rc = 0;

	if (a == NULL)
		return 0;
	if (!a->gone) {
		/* Last commands (closes) out first, for up to 100 ms. */
		for (unsigned t = 0; t < 100 && hso_app_flush(a) > 0; t++)
			sleep_ms(1);
	}
	/*
	 * Our own mbufs back before hsod closes the slot: once it is closed,
	 * hsod takes back every mbuf still tagged with us (events not
	 * released included), and must not find these.
	 */
	for (unsigned w = 0; w < a->n_workers; w++) {
		for (unsigned k = 0; k < a->q[w].n; k++)
			mbuf_untag_free(a, a->q[w].m[(a->q[w].head + k) % CMDQ_SIZE]);
		a->q[w].n = 0;
	}
	freeq_flush(a);
	if (slot_state(a->slot) == HSO_SLOT_ACTIVE)
		slot_set(a->slot, HSO_SLOT_CLOSING);
	/*
	 * hsod's workers close our connections and drain the rings; wait for
	 * the slot to be free so a restart finds it clean. hsod's own apps do
	 * not wait: its control loop is this thread.
	 */
	if (!a->inproc) {
		unsigned t;

		for (t = 0; t < ATTACH_WAIT_MS; t++) {
			uint32_t st = slot_state(a->slot);

			if (st != HSO_SLOT_CLOSING || a->slot->pid != getpid() ||
			    __atomic_load_n(&a->shm->stopping, __ATOMIC_ACQUIRE))
				break;
			if (kill(a->shm->hsod_pid, 0) != 0 && errno == ESRCH)
				break;
			sleep_ms(1);
		}
		if (t == ATTACH_WAIT_MS)
			rc = -ETIMEDOUT;
	}
	app_free(a);
	return rc;
}
