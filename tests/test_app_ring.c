/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The application API (hso_app.h) and its flow control, in one process and
 * without a network: hsod's side is dataplane/apps.c, the worker's side is
 * emulated here by hand the way dataplane/worker.c does it (messages on the
 * "hso_e<A>_<W>" rings, flow-control words tagged at accept, SEND/CLOSE
 * commands read from "hso_c<A>_<W>"). EAL without hugepages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "app_shm.h"
#include "apps.h"
#include "eal_rundir.h"
#include "check.h"
#include "hso_app.h"

#define N_WORKERS 2u
#define N_CONNS 64u
#define POOL_MBUFS 8192u
#define ALL_ACKS ((1ull << N_WORKERS) - 1)

static struct rte_mempool *mp;
static struct hsod_apps *apps;
static struct hso_shm *shm;
static struct hso_shm_conn *fc;

/* ---- hsod's control loop in a thread, for the attach/detach handshakes ---- */

static pthread_t ctl_thread;
static uint32_t ctl_running;

static void
sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000L };

	nanosleep(&ts, NULL);
}

static void *
ctl_main(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&ctl_running, __ATOMIC_ACQUIRE)) {
		/* The workers: an application going away is acknowledged at once
		 * (its rings are empty in this test). */
		for (unsigned i = 0; i < HSO_APP_MAX; i++)
			if (__atomic_load_n(&shm->apps[i].state, __ATOMIC_ACQUIRE) ==
			    HSO_SLOT_CLOSING)
				__atomic_fetch_or(&shm->apps[i].acks, ALL_ACKS, __ATOMIC_ACQ_REL);
		hsod_apps_control(apps);
		sleep_us(200);
	}
	return NULL;
}

static void
ctl_start(void)
{
	__atomic_store_n(&ctl_running, 1, __ATOMIC_RELEASE);
	CHECK(pthread_create(&ctl_thread, NULL, ctl_main, NULL) == 0);
}

static void
ctl_stop(void)
{
	__atomic_store_n(&ctl_running, 0, __ATOMIC_RELEASE);
	pthread_join(ctl_thread, NULL);
}

/* ---- the worker's side, by hand ---- */

static struct rte_ring *
ring(const char *fmt, unsigned app, unsigned worker)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), fmt, app, worker);
	return rte_ring_lookup(name);
}

/* A new connection @p id on worker @p w: its words carry its tag (accept). */
static void
accept_conn(unsigned w, uint64_t id)
{
	struct hso_shm_conn *sc = hso_shm_conn(fc, shm, w, hso_shm_id_slot(id));

	__atomic_store_n(&sc->rx_done, hso_shm_tag(hso_shm_id_gen(id), 0), __ATOMIC_RELEASE);
	__atomic_store_n(&sc->tx_done, hso_shm_tag(hso_shm_id_gen(id), 0), __ATOMIC_RELEASE);
}

/* Post one event as msg_new() + msg_post() do; @return its mbuf. */
static struct rte_mbuf *
post(struct rte_ring *r, uint64_t id, uint16_t type, uint16_t reason, const void *data,
     uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct hso_shm_msg *h;

	CHECK(m != NULL);
	if (m == NULL)
		return NULL;
	h = (struct hso_shm_msg *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*h) + len));
	CHECK(h != NULL);
	if (h == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(h, 0, sizeof(*h));
	h->conn = id;
	h->type = type;
	h->reason = reason;
	h->len = len;
	if (len > 0)
		memcpy(h + 1, data, len);
	CHECK_EQ(rte_ring_sp_enqueue(r, m), 0);
	return m;
}

static uint32_t
rx_count(unsigned w, uint64_t id)
{
	return hso_shm_count(__atomic_load_n(&hso_shm_conn(fc, shm, w, hso_shm_id_slot(id))->rx_done,
					     __ATOMIC_ACQUIRE), hso_shm_id_gen(id));
}

static void
tx_done_set(unsigned w, uint64_t id, uint32_t n)
{
	__atomic_store_n(&hso_shm_conn(fc, shm, w, hso_shm_id_slot(id))->tx_done,
			 hso_shm_tag(hso_shm_id_gen(id), n), __ATOMIC_RELEASE);
}

static unsigned
drain(struct rte_ring *r)
{
	struct rte_mbuf *m;
	unsigned n = 0;

	while (rte_ring_sc_dequeue(r, (void **)&m) == 0) {
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}

/* Every event available now, up to @p max. */
static unsigned
poll_all(struct hso_app *a, struct hso_event *ev, unsigned max)
{
	unsigned got = 0;

	for (int k = 0; k < 8 && got < max; k++) {
		int n = hso_app_poll(a, ev + got, max - got);

		CHECK(n >= 0);
		if (n <= 0)
			break;
		got += (unsigned)n;
	}
	return got;
}

static int
slot_of(const char *name)
{
	for (unsigned i = 0; i < HSO_APP_MAX; i++)
		if (strcmp(shm->apps[i].name, name) == 0 &&
		    shm->apps[i].state != HSO_SLOT_FREE)
			return (int)i;
	return -1;
}

static uint32_t
state(unsigned slot)
{
	return __atomic_load_n(&shm->apps[slot].state, __ATOMIC_ACQUIRE);
}

/* The application's handle (hso_app.h) of ring id @p id on worker @p w. */
static uint64_t
conn_handle(unsigned w, uint64_t id)
{
	return (uint64_t)hso_shm_id_gen(id) << 32 | (uint64_t)w << 24 | hso_shm_id_slot(id);
}

static uint64_t
conn_id(uint32_t slot, uint32_t gen)
{
	return hso_shm_id(gen, slot);
}

/* ---- cases ---- */

static void
test_create(void)
{
	struct hso_app *a;

	/* Nothing to attach to before hsod made its memzone. */
	errno = 0;
	a = hso_app_attach("early", 0);
	CHECK(a == NULL && errno == ENOENT);
	errno = 0;
	a = hso_app_attach_inproc("early", 0);
	CHECK(a == NULL && errno == ENOENT);

	errno = 0;
	CHECK(hsod_apps_create(0, N_CONNS, mp, false) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(hsod_apps_create(65, N_CONNS, mp, false) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(hsod_apps_create(1, HSO_SHM_SLOT_MASK + 2, mp, false) == NULL && errno == EINVAL);

	apps = hsod_apps_create(N_WORKERS, N_CONNS, mp, false);
	CHECK(apps != NULL);
	if (apps == NULL)
		return;
	shm = hsod_apps_shm(apps);
	fc = hsod_apps_fc(apps);
	CHECK_EQ(shm->magic, HSO_SHM_MAGIC);
	CHECK_EQ(shm->abi, HSO_APP_ABI);
	CHECK_EQ(shm->n_workers, N_WORKERS);
	CHECK_EQ(shm->conns_per_worker, N_CONNS);
	CHECK_EQ(shm->allow_keys, 0);
	CHECK_EQ(shm->hsod_pid, getpid());
	CHECK(strcmp(shm->pool, mp->name) == 0);
	for (unsigned i = 0; i < HSO_APP_MAX; i++)
		for (unsigned w = 0; w < N_WORKERS; w++)
			CHECK(ring(HSO_SHM_EV_FMT, i, w) != NULL && ring(HSO_SHM_CMD_FMT, i, w) != NULL);

	/* A second hsod with the same --file-prefix. */
	errno = 0;
	CHECK(hsod_apps_create(N_WORKERS, N_CONNS, mp, false) == NULL && errno == EEXIST);
	CHECK_EQ(hsod_apps_active(apps), 0);
}

/* hso_app_attach(): REQUEST -> ACTIVE through hsod's control loop. */
static struct hso_app *
test_attach(void)
{
	struct hso_app *a;
	int s;

	errno = 0;
	a = hso_app_attach("keys", HSO_APP_KEYS);
	CHECK(a == NULL && errno == EPERM);
	errno = 0;
	a = hso_app_attach_inproc("keys", HSO_APP_KEYS);
	CHECK(a == NULL && errno == EPERM);
	errno = 0;
	a = hso_app_attach("flags", 1u << 7);
	CHECK(a == NULL && errno == EINVAL);
	/* An application built for the layout before IPv6 sessions (ABI 4). */
	shm->abi = HSO_APP_ABI - 1;
	errno = 0;
	a = hso_app_attach("old", 0);
	CHECK(a == NULL && errno == EPROTO);
	shm->abi = HSO_APP_ABI;
	for (unsigned i = 0; i < HSO_APP_MAX; i++)
		CHECK_EQ(state(i), HSO_SLOT_FREE);

	ctl_start();
	a = hso_app_attach("ext", 0);
	ctl_stop();
	CHECK(a != NULL);
	if (a == NULL)
		return NULL;
	s = slot_of("ext");
	CHECK(s >= 0);
	if (s < 0)
		return a;
	CHECK_EQ(state((unsigned)s), HSO_SLOT_ACTIVE);
	CHECK_EQ(shm->apps[s].pid, getpid());
	CHECK_EQ(shm->apps[s].inproc, 0);
	CHECK_EQ(shm->apps[s].gen, 1);
	CHECK_EQ(hsod_apps_active(apps), 1);
	CHECK_EQ(hsod_apps_stats(apps)->attached, 1);
	CHECK_EQ(hso_app_workers(a), N_WORKERS);
	CHECK_EQ(hso_app_conn_slots(a), N_CONNS);
	CHECK_EQ(hso_app_conn_index(a, conn_handle(1, conn_id(5, 3))), N_CONNS + 5);
	CHECK_EQ(hso_app_conn_worker(conn_handle(1, conn_id(5, 3))), 1);
	CHECK_EQ(hso_app_poll(a, NULL, 0), 0);
	return a;
}

/* hsod's control by hand: a key request it must refuse, dead processes. */
static void
test_control(void)
{
	unsigned i;
	pid_t dead = fork();

	if (dead == 0)
		_exit(0);
	CHECK(dead > 0);
	waitpid(dead, NULL, 0);
	for (i = 0; i < HSO_APP_MAX && state(i) != HSO_SLOT_FREE; i++)
		;
	CHECK(i < HSO_APP_MAX);
	if (i == HSO_APP_MAX)
		return;

	/* Keys asked for while hsod has no --export-keys: REJECTED, EPERM. */
	shm->apps[i].flags = HSO_APP_KEYS;
	shm->apps[i].pid = getpid();
	__atomic_store_n(&shm->apps[i].state, HSO_SLOT_REQUEST, __ATOMIC_RELEASE);
	hsod_apps_control(apps);
	CHECK_EQ(state(i), HSO_SLOT_REJECTED);
	CHECK_EQ(shm->apps[i].error, EPERM);
	CHECK_EQ(hsod_apps_stats(apps)->rejected, 1);

	/* A request from a process that is already gone: freed, not attached. */
	shm->apps[i].flags = 0;
	shm->apps[i].pid = dead;
	__atomic_store_n(&shm->apps[i].state, HSO_SLOT_REQUEST, __ATOMIC_RELEASE);
	hsod_apps_control(apps);
	CHECK_EQ(state(i), HSO_SLOT_FREE);
	CHECK_EQ(hsod_apps_stats(apps)->attached, 1);

	/* Claimed, then killed before asking. */
	CHECK_EQ(shm->apps[i].pid, 0);  /* freed slots name no process */
	shm->apps[i].pid = dead;
	__atomic_store_n(&shm->apps[i].state, HSO_SLOT_CLAIMED, __ATOMIC_RELEASE);
	hsod_apps_control(apps);
	CHECK_EQ(state(i), HSO_SLOT_FREE);

	/* Attached, then killed: CLOSING, then FREE once every worker acked. */
	CHECK_EQ(shm->apps[i].pid, 0);
	shm->apps[i].pid = dead;
	shm->apps[i].acks = 0;
	__atomic_store_n(&shm->apps[i].state, HSO_SLOT_ACTIVE, __ATOMIC_RELEASE);
	hsod_apps_control(apps);
	CHECK_EQ(state(i), HSO_SLOT_CLOSING);
	CHECK_EQ(hsod_apps_stats(apps)->crashed, 1);
	hsod_apps_control(apps);
	CHECK_EQ(state(i), HSO_SLOT_CLOSING);
	shm->apps[i].acks = 1;
	hsod_apps_control(apps);
	CHECK_EQ(state(i), HSO_SLOT_CLOSING);
	/*
	 * It died holding three mbufs (tagged as its own) and next to one of
	 * another attach of the same slot: the three come back when the slot
	 * is freed, wiped; the other one is left alone.
	 */
	{
		struct rte_mbuf *held[3], *other = rte_pktmbuf_alloc(mp);
		unsigned before, reclaimed0 = (unsigned)hsod_apps_stats(apps)->mbufs_reclaimed;

		CHECK(other != NULL);
		*hso_shm_owner(other, shm->owner_off) = hso_shm_owner_tag(i, shm->apps[i].gen + 1);
		for (unsigned k = 0; k < 3; k++) {
			held[k] = rte_pktmbuf_alloc(mp);
			CHECK(held[k] != NULL);
			memcpy(rte_pktmbuf_append(held[k], 6), "secret", 6);
			*hso_shm_owner(held[k], shm->owner_off) = hso_shm_owner_tag(i, shm->apps[i].gen);
		}
		before = rte_mempool_avail_count(mp);
		shm->apps[i].acks = ALL_ACKS;
		hsod_apps_control(apps);
		CHECK_EQ(state(i), HSO_SLOT_FREE);
		CHECK_EQ(hsod_apps_stats(apps)->mbufs_reclaimed - reclaimed0, 3);
		CHECK_EQ(rte_mempool_avail_count(mp), before + 3);
		for (unsigned k = 0; k < 3; k++) {
			CHECK_EQ(*hso_shm_owner(held[k], shm->owner_off), 0);
			CHECK(memcmp(rte_pktmbuf_mtod(held[k], void *), "secret", 6) != 0);
		}
		CHECK_EQ(*hso_shm_owner(other, shm->owner_off),
			 hso_shm_owner_tag(i, shm->apps[i].gen + 1));
		*hso_shm_owner(other, shm->owner_off) = 0;
		rte_pktmbuf_free(other);
	}
	CHECK_EQ(shm->apps[i].pid, 0);
	CHECK_EQ(hsod_apps_stats(apps)->detached, 0);
	shm->apps[i].acks = 0;
}

static void
test_busy(struct hso_app **in, unsigned n)
{
	struct hso_app *a;

	for (unsigned i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "in%u", i);
		in[i] = hso_app_attach_inproc(name, 0);
		CHECK(in[i] != NULL);
	}
	CHECK_EQ(hsod_apps_active(apps), HSO_APP_MAX);
	errno = 0;
	a = hso_app_attach("one too many", 0);
	CHECK(a == NULL && errno == EBUSY);
	errno = 0;
	a = hso_app_attach_inproc("one too many", 0);
	CHECK(a == NULL && errno == EBUSY);
	CHECK_EQ(hsod_apps_active(apps), HSO_APP_MAX);
}

/* Events from two workers: order per connection, handles, payloads, budget. */
static void
test_events(struct hso_app *a, unsigned slot)
{
	struct rte_ring *ev0 = ring(HSO_SHM_EV_FMT, slot, 0), *ev1 = ring(HSO_SHM_EV_FMT, slot, 1);
	uint64_t x = conn_id(5, 3), y = conn_id(7, 1);
	struct hso_session so, so6;
	struct hso_event ev[16];
	struct rte_mbuf *mx[4], *my[2];
	uint8_t big[2000];
	uint64_t seed = 1;
	unsigned n, kx = 0, ky = 0;

	CHECK(ev0 != NULL && ev1 != NULL);
	if (ev0 == NULL || ev1 == NULL)
		return;
	check_fill(&seed, big, sizeof(big));
	memset(&so, 0, sizeof(so));
	so.client_addr = 0x0a000002;
	so.server_addr = 0x0a000001;
	so.client_port = 40000;
	so.server_port = 443;
	so.version = 0x0304;
	so.suite = 0x1301;
	snprintf(so.sni, sizeof(so.sni), "example.com");
	so.sni_len = 11;
	snprintf(so.alpn, sizeof(so.alpn), "h2");
	so.alpn_len = 2;
	/* y is an IPv6 client: family and both 16-byte addresses go through. */
	so6 = so;
	so6.family = HSO_FAMILY_IPV6;
	so6.client_addr = so6.server_addr = 0;
	inet_pton(AF_INET6, "2001:db8::1:2", so6.client_ip);
	inet_pton(AF_INET6, "2001:db8::2", so6.server_ip);
	so6.client_port = 50001;

	accept_conn(1, x);
	accept_conn(0, y);
	mx[0] = post(ev1, x, HSO_EV_OPEN, 0, &so, sizeof(so));
	mx[1] = post(ev1, x, HSO_EV_DATA, 0, "hello", 5);
	mx[2] = post(ev1, x, HSO_EV_DATA, 0, big, sizeof(big));
	mx[3] = post(ev1, x, HSO_EV_PEER_CLOSED, 0, NULL, 0);
	my[0] = post(ev0, y, HSO_EV_OPEN, 0, &so6, sizeof(so6));
	my[1] = post(ev0, y, HSO_EV_DATA, 0, "abc", 3);

	n = poll_all(a, ev, 16);
	CHECK_EQ(n, 6);
	for (unsigned i = 0; i < n; i++) {
		if (ev[i].conn == conn_handle(1, x)) {
			const uint8_t *payload;

			CHECK(kx < 4);
			if (kx >= 4)
				continue;
			/* The event is the worker's mbuf: nothing copied. */
			payload = rte_pktmbuf_mtod(mx[kx], const uint8_t *) + sizeof(struct hso_shm_msg);
			CHECK(ev[i].priv == mx[kx]);
			switch (kx) {
			case 0:
				CHECK_EQ(ev[i].type, HSO_EV_OPEN);
				CHECK(ev[i].session == (const void *)payload);
				CHECK(ev[i].session != NULL &&
				      memcmp(ev[i].session, &so, sizeof(so)) == 0);
				break;
			case 1:
				CHECK_EQ(ev[i].type, HSO_EV_DATA);
				CHECK_EQ(ev[i].len, 5);
				CHECK(ev[i].data == payload);
				CHECK(ev[i].data != NULL && memcmp(ev[i].data, "hello", 5) == 0);
				break;
			case 2:
				CHECK_EQ(ev[i].type, HSO_EV_DATA);
				CHECK_EQ(ev[i].len, sizeof(big));
				CHECK(ev[i].data != NULL && memcmp(ev[i].data, big, sizeof(big)) == 0);
				break;
			case 3:
				CHECK_EQ(ev[i].type, HSO_EV_PEER_CLOSED);
				CHECK_EQ(ev[i].len, 0);
				CHECK(ev[i].data == NULL && ev[i].session == NULL);
				break;
			default:
				break;
			}
			kx++;
		} else if (ev[i].conn == conn_handle(0, y)) {
			CHECK(ky < 2);
			if (ky >= 2)
				continue;
			CHECK(ev[i].priv == my[ky]);
			CHECK_EQ(ev[i].type, ky == 0 ? HSO_EV_OPEN : HSO_EV_DATA);
			if (ky == 0) {
				static const uint8_t c6[16] = { 0x20, 0x01, 0x0d, 0xb8,
								[13] = 1, [15] = 2 };
				const struct hso_session *e6 = ev[i].session;

				CHECK(e6 != NULL && memcmp(e6, &so6, sizeof(so6)) == 0);
				CHECK(e6 != NULL && e6->family == HSO_FAMILY_IPV6 &&
				      memcmp(e6->client_ip, c6, 16) == 0 &&
				      e6->client_port == 50001 && e6->client_addr == 0);
			}
			if (ky == 1)
				CHECK(ev[i].len == 3 && memcmp(ev[i].data, "abc", 3) == 0);
			ky++;
		} else {
			CHECK_MSG(0, "event for unknown handle %#llx",
				  (unsigned long long)ev[i].conn);
		}
	}
	CHECK_EQ(kx, 4);
	CHECK_EQ(ky, 2);
	CHECK_EQ(hso_app_stats(a)->events, 6);
	CHECK_EQ(hso_app_stats(a)->opens, 2);
	CHECK_EQ(hso_app_stats(a)->data_bytes, 5 + sizeof(big) + 3);

	/* Nothing is returned to the budget before the release. */
	CHECK_EQ(rx_count(1, x), 0);
	CHECK_EQ(rx_count(0, y), 0);
	for (unsigned i = 0; i < n; i++)
		hso_app_release(a, &ev[i]);
	CHECK_EQ(rx_count(1, x), 5 + sizeof(big) + 2 * HSO_APP_EVENT_COST);
	CHECK_EQ(rx_count(0, y), 3 + HSO_APP_EVENT_COST);
	/* A second release of the same event is a no-op. */
	hso_app_release(a, &ev[1]);
	CHECK_EQ(rx_count(1, x), 5 + sizeof(big) + 2 * HSO_APP_EVENT_COST);

	/* CLOSED, with its reason, last. */
	post(ev1, x, HSO_EV_CLOSED, HSO_CLOSE_RESET, NULL, 0);
	n = poll_all(a, ev, 16);
	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK_EQ(ev[0].type, HSO_EV_CLOSED);
		CHECK_EQ(ev[0].reason, HSO_CLOSE_RESET);
		CHECK(ev[0].conn == conn_handle(1, x));
		hso_app_release(a, &ev[0]);
	}
	CHECK_EQ(hso_app_stats(a)->closes, 1);
	CHECK_EQ(hso_app_poll(a, ev, 16), 0);
}

/* A late release of an old connection must not count for the slot's new one. */
static void
test_stale_release(struct hso_app *a, unsigned slot)
{
	struct rte_ring *ev1 = ring(HSO_SHM_EV_FMT, slot, 1);
	uint64_t old = conn_id(9, 1), cur = conn_id(9, 2);
	struct hso_event ev[4];
	unsigned n;

	accept_conn(1, old);
	post(ev1, old, HSO_EV_DATA, 0, "old data", 8);
	n = poll_all(a, ev, 4);
	CHECK_EQ(n, 1);
	if (n != 1)
		return;
	/* The worker closed it and accepted another connection into slot 9. */
	accept_conn(1, cur);
	hso_app_release(a, &ev[0]);
	CHECK_EQ(__atomic_load_n(&hso_shm_conn(fc, shm, 1, hso_shm_id_slot(cur))->rx_done,
				 __ATOMIC_ACQUIRE), hso_shm_tag(hso_shm_id_gen(cur), 0));
	CHECK_EQ(rx_count(1, old), 0);

	post(ev1, cur, HSO_EV_DATA, 0, "new", 3);
	n = poll_all(a, ev, 4);
	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK(ev[0].conn == conn_handle(1, cur));
		hso_app_release(a, &ev[0]);
	}
	CHECK_EQ(rx_count(1, cur), 3 + HSO_APP_EVENT_COST);
}

/* Keys in a session event are wiped from the mbuf on release. */
static void
test_keys_wipe(struct hso_app *a, unsigned slot)
{
	struct rte_ring *ev0 = ring(HSO_SHM_EV_FMT, slot, 0);
	uint64_t id = conn_id(11, 1);
	struct hso_session so;
	struct hso_event ev[2];
	struct rte_mbuf *m;
	const struct hso_session *in;
	unsigned n;

	memset(&so, 0, sizeof(so));
	so.has_keys = 1;
	snprintf(so.sni, sizeof(so.sni), "keys.example");
	so.keys.key_len = 16;
	so.keys.iv_len = 12;
	so.keys.aead = 1;
	memset(so.keys.client_key, 0xa5, sizeof(so.keys.client_key));
	memset(so.keys.server_secret, 0x5a, sizeof(so.keys.server_secret));
	so.keys.client_seq = 7;
	accept_conn(0, id);
	m = post(ev0, id, HSO_EV_OPEN, 0, &so, sizeof(so));
	if (m == NULL)
		return;
	/* Our own reference keeps the mbuf out of the pool to look at it. */
	rte_mbuf_refcnt_update(m, 1);
	n = poll_all(a, ev, 2);
	CHECK_EQ(n, 1);
	if (n == 1)
		hso_app_release(a, &ev[0]);
	CHECK_EQ(rte_mbuf_refcnt_read(m), 1);
	in = (const struct hso_session *)(rte_pktmbuf_mtod(m, const uint8_t *) +
					  sizeof(struct hso_shm_msg));
	CHECK(check_all_zero((const uint8_t *)&in->keys, sizeof(in->keys)));
	CHECK(strcmp(in->sni, "keys.example") == 0);
	rte_pktmbuf_free(m);
}

/* Dequeue every command of a ring, checking each is @p type for @p id. */
static unsigned
commands(struct rte_ring *r, uint64_t id, uint16_t type, const uint8_t *data, size_t len)
{
	struct rte_mbuf *m;
	size_t off = 0;
	unsigned n = 0;

	while (rte_ring_sc_dequeue(r, (void **)&m) == 0) {
		const struct hso_shm_msg *h = rte_pktmbuf_mtod(m, const struct hso_shm_msg *);

		CHECK(h->conn == id);
		CHECK_EQ(h->type, type);
		if (type == HSO_CMD_SEND) {
			size_t part = len - off < HSO_SHM_SEND_CHUNK ? len - off : HSO_SHM_SEND_CHUNK;

			/* Room around the plaintext to seal it in place. */
			CHECK_EQ(rte_pktmbuf_data_len(m),
				 sizeof(*h) + HSO_SHM_SEAL_HEAD + h->len + HSO_SHM_SEAL_TAIL);
			CHECK_EQ(h->len, part);
			if (data != NULL && h->len == part)
				CHECK(memcmp(hso_shm_send_data((struct hso_shm_msg *)(uintptr_t)h),
					     data + off, part) == 0);
			/* The pieces of one message: "more" on all but its last. */
			CHECK_EQ(h->reason & HSO_SHM_F_MORE, off + part < len ? HSO_SHM_F_MORE : 0);
			off += h->len;
			if (off == len)
				off = 0;        /* the next message */
		} else {
			CHECK_EQ(rte_pktmbuf_data_len(m), sizeof(*h));
			CHECK_EQ(h->len, 0);
		}
		hso_shm_mbuf_free(m);
		n++;
	}
	return n;
}

static void
test_send(struct hso_app *a, unsigned slot)
{
	static uint8_t msg[HSO_APP_SEND_MAX + 1];
	struct rte_ring *cmd1 = ring(HSO_SHM_CMD_FMT, slot, 1), *cmd0 = ring(HSO_SHM_CMD_FMT, slot, 0);
	uint64_t x = conn_id(12, 5), z = conn_id(13, 1);
	uint64_t cx = conn_handle(1, x), cz = conn_handle(0, z);
	uint64_t seed = 7;
	unsigned ok;

	CHECK(cmd0 != NULL && cmd1 != NULL);
	if (cmd0 == NULL || cmd1 == NULL)
		return;
	check_fill(&seed, msg, sizeof(msg));
	accept_conn(1, x);
	accept_conn(0, z);

	CHECK_EQ(hso_app_send(a, cx, msg, 0), 0);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(rte_ring_count(cmd1), 0);

	/* 5000 bytes: three SEND mbufs, 1920 + 1920 + 1160. */
	CHECK_EQ(hso_app_send(a, cx, msg, 5000), 0);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(rte_ring_count(cmd1), 3);
	CHECK_EQ(commands(cmd1, x, HSO_CMD_SEND, msg, 5000), 3);
	CHECK_EQ(__atomic_load_n(&hso_shm_conn(fc, shm, 1, hso_shm_id_slot(x))->tx_sent,
				 __ATOMIC_ACQUIRE), hso_shm_tag(hso_shm_id_gen(x), 3));
	/* With HSO_SEND_MORE the last piece says "more" too; unknown flags are refused. */
	CHECK_EQ(hso_app_send_flags(a, cx, msg, 10, 1u << 5), -EINVAL);
	CHECK_EQ(hso_app_send_flags(a, cx, msg, 10, HSO_SEND_MORE), 0);
	CHECK_EQ(hso_app_flush(a), 0);
	{
		struct rte_mbuf *m = NULL;

		CHECK_EQ(rte_ring_sc_dequeue(cmd1, (void **)&m), 0);
		if (m != NULL) {
			CHECK(rte_pktmbuf_mtod(m, struct hso_shm_msg *)->reason & HSO_SHM_F_MORE);
			hso_shm_mbuf_free(m);
		}
	}
	tx_done_set(1, x, 1);   /* the worker is done with it */

	/* The window: HSO_APP_SEND_WINDOW mbufs in flight, then -EAGAIN. */
	for (ok = 3; ok < HSO_APP_SEND_WINDOW; ok++)
		CHECK_EQ(hso_app_send(a, cx, msg, HSO_SHM_SEND_CHUNK), 0);
	CHECK_EQ(hso_app_send(a, cx, msg, 1), -EAGAIN);
	CHECK_EQ(hso_app_send(a, cx, msg, 2 * HSO_SHM_SEND_CHUNK), -EAGAIN);
	CHECK_EQ(hso_app_stats(a)->send_eagain, 2);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(commands(cmd1, x, HSO_CMD_SEND, msg, HSO_SHM_SEND_CHUNK),
		 HSO_APP_SEND_WINDOW - 3);
	/* The client acknowledged the first three: room for three more. */
	tx_done_set(1, x, 1 + 3);
	CHECK_EQ(hso_app_send(a, cx, msg, 4 * HSO_SHM_SEND_CHUNK), -EAGAIN);
	CHECK_EQ(hso_app_send(a, cx, msg, 5000), 0);
	CHECK_EQ(hso_app_send(a, cx, msg, 1), -EAGAIN);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(commands(cmd1, x, HSO_CMD_SEND, msg, 5000), 3);
	/* All written: a whole window in one message. */
	tx_done_set(1, x, 1 + HSO_APP_SEND_WINDOW + 3);
	CHECK_EQ(hso_app_send(a, cx, msg, HSO_APP_SEND_MAX), 0);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(commands(cmd1, x, HSO_CMD_SEND, msg, HSO_APP_SEND_MAX), HSO_APP_SEND_WINDOW);
	CHECK_EQ(hso_app_stats(a)->send_bytes,
		 5000 + 10 + (HSO_APP_SEND_WINDOW - 3) * HSO_SHM_SEND_CHUNK + 5000 + HSO_APP_SEND_MAX);

	/* Too big, whatever the window. */
	CHECK_EQ(hso_app_send(a, cz, msg, HSO_APP_SEND_MAX + 1), -EMSGSIZE);
	CHECK_EQ(hso_app_send(a, cz, msg, HSO_APP_SEND_MAX), 0);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(commands(cmd0, z, HSO_CMD_SEND, msg, HSO_APP_SEND_MAX), HSO_APP_SEND_WINDOW);

	/* Bad handles: no such worker, id 0, slot out of range. */
	CHECK_EQ(hso_app_send(a, conn_handle(N_WORKERS, x), msg, 1), -EINVAL);
	CHECK_EQ(hso_app_send(a, conn_handle(1, 0), msg, 1), -EINVAL);
	CHECK_EQ(hso_app_send(a, conn_handle(1, conn_id(N_CONNS, 1)), msg, 1), -EINVAL);
	CHECK_EQ(hso_app_close(a, conn_handle(N_WORKERS, x)), -EINVAL);
	CHECK_EQ(hso_app_shutdown(a, conn_handle(0, 0)), -EINVAL);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(rte_ring_count(cmd0) + rte_ring_count(cmd1), 0);

	/* Close and shutdown are commands on the connection's worker's ring. */
	CHECK_EQ(hso_app_shutdown(a, cx), 0);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(commands(cmd1, x, HSO_CMD_SHUTDOWN, NULL, 0), 1);
	CHECK_EQ(hso_app_close(a, cz), 0);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(commands(cmd0, z, HSO_CMD_CLOSE, NULL, 0), 1);
	CHECK_EQ(rte_ring_count(cmd1), 0);

	/*
	 * The slot of x now serves a newer connection: x's handle is stale.
	 * Its sends and closes are refused and leave the new connection's
	 * send window alone.
	 */
	{
		uint64_t x2 = conn_id(hso_shm_id_slot(x), hso_shm_id_gen(x) + 1);
		uint64_t cx2 = conn_handle(1, x2);

		accept_conn(1, x2);
		CHECK_EQ(hso_app_send(a, cx, msg, 10), -ENOTCONN);
		CHECK_EQ(hso_app_close(a, cx), -ENOTCONN);
		CHECK_EQ(hso_app_shutdown(a, cx), -ENOTCONN);
		for (unsigned i = 0; i < HSO_APP_SEND_WINDOW; i++)
			CHECK_EQ(hso_app_send(a, cx2, msg, 1), 0);
		CHECK_EQ(hso_app_send(a, cx2, msg, 1), -EAGAIN);
		CHECK_EQ(hso_app_flush(a), 0);
		CHECK_EQ(commands(cmd1, x2, HSO_CMD_SEND, msg, 1), HSO_APP_SEND_WINDOW);
	}
}

/* A worker that does not read its command ring: the queue fills, -EAGAIN. */
static void
test_command_queue(struct hso_app *a, unsigned slot)
{
	struct rte_ring *cmd1 = ring(HSO_SHM_CMD_FMT, slot, 1);
	uint64_t cx = conn_handle(1, conn_id(14, 1));
	unsigned ok = 0, ring_cap = rte_ring_get_capacity(cmd1);
	int rc;

	accept_conn(1, conn_id(14, 1));
	while ((rc = hso_app_close(a, cx)) == 0 && ok < 2 * HSO_SHM_RING_SIZE)
		ok++;
	CHECK_EQ(rc, -EAGAIN);
	/* The ring is full and the library's own queue holds the rest. */
	CHECK_EQ(rte_ring_count(cmd1), ring_cap);
	CHECK(ok > ring_cap);
	CHECK_EQ(hso_app_flush(a), (int)(ok - ring_cap));
	/* Once the worker reads, the queue goes out in order. */
	CHECK_EQ(drain(cmd1), ring_cap);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(drain(cmd1), ok - ring_cap);
	CHECK_EQ(hso_app_close(a, cx), 0);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(drain(cmd1), 1);
}

/* Detach of an in-process application: CLOSING, FREE after all acks, reused. */
static struct hso_app *
test_slot_reuse(struct hso_app *in)
{
	int s = slot_of("in0");
	unsigned gen;
	struct hso_app *again;
	struct hso_event ev[2];

	CHECK(s >= 0);
	if (s < 0)
		return NULL;
	gen = shm->apps[s].gen;
	CHECK_EQ(hso_app_detach(in), 0);
	CHECK_EQ(state((unsigned)s), HSO_SLOT_CLOSING);
	CHECK_EQ(hsod_apps_active(apps), HSO_APP_MAX - 1);
	hsod_apps_control(apps);
	CHECK_EQ(state((unsigned)s), HSO_SLOT_CLOSING);
	__atomic_fetch_or(&shm->apps[s].acks, 1ull, __ATOMIC_ACQ_REL);
	hsod_apps_control(apps);
	CHECK_EQ(state((unsigned)s), HSO_SLOT_CLOSING);
	__atomic_fetch_or(&shm->apps[s].acks, 2ull, __ATOMIC_ACQ_REL);
	hsod_apps_control(apps);
	CHECK_EQ(state((unsigned)s), HSO_SLOT_FREE);
	CHECK_EQ(hsod_apps_stats(apps)->detached, 1);

	again = hso_app_attach_inproc("again", 0);
	CHECK(again != NULL);
	if (again == NULL)
		return NULL;
	CHECK_EQ(slot_of("again"), s);
	CHECK_EQ(shm->apps[s].gen, gen + 1);
	CHECK_EQ(shm->apps[s].acks, 0);
	CHECK_EQ(state((unsigned)s), HSO_SLOT_ACTIVE);
	CHECK_EQ(hso_app_poll(again, ev, 2), 0);
	return again;
}

/* hso_app_detach() of another process's kind: waits for hsod to free the slot. */
static void
test_detach_ext(struct hso_app *a, unsigned slot)
{
	ctl_start();
	CHECK_EQ(hso_app_detach(a), 0);
	ctl_stop();
	CHECK_EQ(state(slot), HSO_SLOT_FREE);
	CHECK_EQ(hsod_apps_stats(apps)->detached, 2);
}

static void
test_stop(struct hso_app *a)
{
	struct hso_event ev[2];
	uint64_t c = conn_handle(0, conn_id(1, 1));

	accept_conn(0, conn_id(1, 1));
	hsod_apps_stop(apps);
	CHECK_EQ(hso_app_poll(a, ev, 2), -ESHUTDOWN);
	CHECK_EQ(hso_app_flush(a), -ESHUTDOWN);
	CHECK_EQ(hso_app_send(a, c, "x", 1), -ESHUTDOWN);
	CHECK_EQ(hso_app_close(a, c), -ESHUTDOWN);
}

/*
 * hsod's mbuf reserve (app_shm.h): with the pool down to it, a connection
 * may still have HSO_SHM_TX_SHARE sends in flight, no more (-EAGAIN,
 * counted), and sends go on once the pool has room again.
 */
static void
test_pool_reserve(struct hso_app *a, unsigned slot)
{
	struct rte_ring *cmd0 = ring(HSO_SHM_CMD_FMT, slot, 0);
	uint64_t y = conn_id(20, 3);
	uint64_t cy = conn_handle(0, y);
	uint64_t waits = hso_app_stats(a)->send_pool_waits;
	uint8_t msg[100] = { 0 };

	CHECK(cmd0 != NULL);
	if (cmd0 == NULL)
		return;
	accept_conn(0, y);
	/* Every free mbuf is in the reserve. */
	hsod_apps_set_mbuf_reserve(apps, rte_mempool_avail_count(mp) + 1);
	for (unsigned i = 0; i < HSO_SHM_TX_SHARE; i++)
		CHECK_EQ(hso_app_send(a, cy, msg, sizeof(msg)), 0);
	CHECK_EQ(hso_app_send(a, cy, msg, sizeof(msg)), -EAGAIN);
	CHECK_EQ(hso_app_stats(a)->send_pool_waits, waits + 1);
	/* The worker wrote two: two more within the share. */
	tx_done_set(0, y, 2);
	CHECK_EQ(hso_app_send(a, cy, msg, sizeof(msg)), 0);
	CHECK_EQ(hso_app_send(a, cy, msg, sizeof(msg)), 0);
	CHECK_EQ(hso_app_send(a, cy, msg, sizeof(msg)), -EAGAIN);
	/* Room in the pool again: the window applies, not the share. */
	hsod_apps_set_mbuf_reserve(apps, 0);
	CHECK_EQ(hso_app_send(a, cy, msg, sizeof(msg)), 0);
	CHECK_EQ(hso_app_flush(a), 0);
	CHECK_EQ(commands(cmd0, y, HSO_CMD_SEND, msg, sizeof(msg)), HSO_SHM_TX_SHARE + 3);

	/*
	 * A message longer than the share, with nothing in flight: it goes
	 * (else it would wait for good); the next waits for its mbufs to be
	 * done. Under a quarter of the reserve, one send in flight is enough
	 * to wait.
	 */
	{
		static uint8_t big[(HSO_SHM_TX_SHARE + 2) * HSO_SHM_SEND_CHUNK];
		uint64_t z = conn_id(21, 4), cz = conn_handle(0, z);

		accept_conn(0, z);
		hsod_apps_set_mbuf_reserve(apps, rte_mempool_avail_count(mp) + 1);
		CHECK_EQ(hso_app_send(a, cz, big, sizeof(big)), 0);
		CHECK_EQ(hso_app_send(a, cz, msg, sizeof(msg)), -EAGAIN);
		tx_done_set(0, z, HSO_SHM_TX_SHARE + 2);
		CHECK_EQ(hso_app_send(a, cz, msg, sizeof(msg)), 0);
		/* 1 in flight, within the share; the pool under a quarter of the reserve. */
		hsod_apps_set_mbuf_reserve(apps, 4 * rte_mempool_avail_count(mp) + 4);
		CHECK_EQ(hso_app_send(a, cz, msg, sizeof(msg)), -EAGAIN);
		hsod_apps_set_mbuf_reserve(apps, 0);
		CHECK_EQ(hso_app_flush(a), 0);
		CHECK_EQ(drain(cmd0), HSO_SHM_TX_SHARE + 3);
	}
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-shconf", "--no-pci", "-l", "0",
			"--file-prefix", prefix, "--no-telemetry", "--log-level=lib.eal:error",
			NULL };
	struct hso_app *ext, *in[HSO_APP_MAX - 1];
	int s;

	(void)argc;
	/* --no-huge implies legacy memory, which EAL refuses with --in-memory;
	 * --no-shconf keeps everything in this process all the same. */
	snprintf(prefix, sizeof(prefix), "hsotest%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		printf("skip: DPDK EAL cannot start here (%s)\n", rte_strerror(rte_errno));
		return CHECK_SKIP;
	}
	hso_eal_rundir_atexit();        /* a prefix per run: its directory goes at exit */
	mp = rte_pktmbuf_pool_create("test_app_ring", POOL_MBUFS, 32, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	CHECK(mp != NULL);
	if (mp == NULL)
		return check_result("app_ring");
	test_create();
	if (apps == NULL)
		goto out;
	ext = test_attach();
	s = slot_of("ext");
	if (ext == NULL || s < 0)
		goto out;
	test_control();
	test_busy(in, HSO_APP_MAX - 1);
	test_events(ext, (unsigned)s);
	test_stale_release(ext, (unsigned)s);
	test_keys_wipe(ext, (unsigned)s);
	test_send(ext, (unsigned)s);
	test_command_queue(ext, (unsigned)s);
	test_pool_reserve(ext, (unsigned)s);
	if (in[0] != NULL)
		in[0] = test_slot_reuse(in[0]);
	test_detach_ext(ext, (unsigned)s);
	test_stop(in[1]);
	for (unsigned i = 0; i < HSO_APP_MAX - 1; i++)
		CHECK_EQ(hso_app_detach(in[i]), 0);
	hsod_apps_free(apps);
	/* Every mbuf is back: none leaked by the library or by hsod's side. */
	CHECK_EQ(rte_mempool_avail_count(mp), POOL_MBUFS);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return check_result("app_ring");
out:
	hsod_apps_free(apps);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return check_result("app_ring");
}
