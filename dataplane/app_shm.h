/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_APP_SHM_H
#define HSO_DATAPLANE_APP_SHM_H

/**
 * @file
 * The shared memory between hsod and its applications (private: the
 * public side is hso_app.h). hsod creates, before its workers start:
 *
 *  - memzone HSO_SHM_NAME: struct hso_shm, the application slots;
 *  - the flow-control file (below): per worker and connection slot, struct
 *    hso_shm_conn;
 *  - per application slot A and worker W two SPSC rte_rings of mbufs:
 *    "hso_e<A>_<W>" events worker -> app, "hso_c<A>_<W>" commands back.
 *
 * Every ring mbuf holds one struct hso_shm_msg, then msg.len bytes: a
 * struct hso_session (HSO_EV_OPEN), plaintext (HSO_EV_DATA; HSO_CMD_SEND
 * after a gap, below) or nothing.
 *
 * Slot life: FREE -(app CAS)-> CLAIMED -(app)-> REQUEST -(hsod control)->
 * ACTIVE or REJECTED; ACTIVE -(app detach, or hsod finds the process
 * gone)-> CLOSING; every worker closes the app's connections, drains both
 * rings and sets its bit in @c acks; then hsod control -> FREE.
 *
 * Flow-control words, per worker and connection slot, in a sparse file of
 * their own (HSO_SHM_FC_FMT in /dev/shm, mapped by hsod and by every
 * application: memory backs a slot's words only once it is used, so they
 * cost nothing for max_conns slots never touched). Each word is written by
 * one side only and tagged with the connection's 32-bit generation in its
 * top half, so a word left by a previous connection of the slot reads as
 * zero:
 *  - rx_done: bytes of DATA the app released (app writes, by CAS, only
 *    while the tag is the connection's: the worker re-tags at accept);
 *  - tx_sent: SEND mbufs the app queued (app writes);
 *  - tx_done: SEND mbufs the worker is done with: their bytes acknowledged
 *    by the client (or dropped) (worker writes; re-tagged at accept).
 * Counts wrap at 2^32; differences are taken modulo 2^32.
 *
 * A connection's id on the rings (hso_shm_msg.conn) is its session handle:
 * generation << 32 | slot. The application's handle adds the worker:
 * generation << 32 | worker << 24 | slot (hso_app.h).
 *
 * SEND mbufs (HSO_CMD_SEND) are sealed into TLS records where they lie:
 * after the message header the library leaves HSO_SHM_SEAL_HEAD bytes for
 * the record header, then the plaintext, then HSO_SHM_SEAL_TAIL bytes for
 * the tag, so hsod seals and sends the very mbuf (no copy).
 */

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "hso_app.h"

#define HSO_SHM_NAME "hso_apps"
#define HSO_SHM_MAGIC 0x48534f41u       /* "HSOA" */

/** Connection slots per worker at most (the application handle's 24 bits). */
#define HSO_SHM_SLOT_BITS 24
#define HSO_SHM_SLOT_MASK ((1u << HSO_SHM_SLOT_BITS) - 1)

/** Events (hso_event_type) and commands in hso_shm_msg.type. */
enum hso_shm_cmd {
	HSO_CMD_SEND = 16,
	HSO_CMD_CLOSE,
	HSO_CMD_SHUTDOWN,
};

struct hso_shm_msg {
	uint64_t conn;          /**< the connection's session handle: gen << 32 | slot */
	uint16_t type;          /**< enum hso_event_type or enum hso_shm_cmd */
	uint16_t reason;        /**< events: enum hso_close_reason; SEND: HSO_SHM_F_* */
	uint32_t len;           /**< payload bytes after this header (SEND: after the gap) */
};

/** HSO_CMD_SEND: more sends follow; seal them with this one into one record. */
#define HSO_SHM_F_MORE 0x0001u

/** Payload room of a ring mbuf (the pool's data room, headroom kept). */
#define HSO_SHM_PAYLOAD(m) ((uint32_t)(rte_pktmbuf_tailroom(m) - sizeof(struct hso_shm_msg)))

/**
 * Room kept in a SEND mbuf around its plaintext so hsod seals it in place:
 * at least the largest record header (TLS 1.2 AES-GCM: 5 + 8) before it,
 * the largest trailer (TLS 1.3: type + 16-byte tag) after it.
 */
#define HSO_SHM_SEAL_HEAD 16u
#define HSO_SHM_SEAL_TAIL 17u

/** Payload of one SEND mbuf from the library (with the seal room, fits a 2 KiB mbuf). */
#define HSO_SHM_SEND_CHUNK 1920u

/** Where a SEND mbuf's plaintext starts, from its message header. */
static inline uint8_t *
hso_shm_send_data(struct hso_shm_msg *h)
{
	return (uint8_t *)(h + 1) + HSO_SHM_SEAL_HEAD;
}

enum hso_shm_state {
	HSO_SLOT_FREE = 0,
	HSO_SLOT_CLAIMED,
	HSO_SLOT_REQUEST,
	HSO_SLOT_ACTIVE,
	HSO_SLOT_CLOSING,
	HSO_SLOT_REJECTED,
};

struct hso_shm_app {
	uint32_t state;         /**< enum hso_shm_state (atomic) */
	uint32_t flags;         /**< hso_app_flags asked for */
	int32_t pid;            /**< the attached process */
	int32_t error;          /**< REJECTED: the errno attach returns */
	uint32_t gen;           /**< attaches of this slot so far */
	uint32_t inproc;        /**< hsod's own (built-in) application */
	uint64_t acks;          /**< CLOSING: workers done (bit per worker) */
	uint64_t polls;         /**< hso_app_poll() calls: a heartbeat */
	char name[32];
} __attribute__((aligned(64)));

struct hso_shm_conn {
	uint64_t rx_done;
	uint64_t tx_sent;
	uint64_t tx_done;
};

/** The flow-control file in /dev/shm: hsod's pid keeps names apart. */
#define HSO_SHM_FC_FMT "/hso_fc_%d"

struct hso_shm {
	uint32_t magic;
	uint32_t abi;
	uint32_t n_workers;
	uint32_t conns_per_worker;      /**< connection slots per worker */
	uint32_t allow_keys;            /**< hsod --export-keys */
	uint32_t stopping;              /**< hsod is going away */
	int32_t hsod_pid;
	int32_t owner_off;              /**< mbuf dynfield: HSO_SHM_OWNER_FIELD */
	char pool[32];                  /**< mbuf pool name */
	char fc_name[32];               /**< the flow-control file (shm_open name) */
	uint64_t fc_len;                /**< its size: n_workers * conns_per_worker words */
	struct hso_shm_app apps[HSO_APP_MAX];
};

/** A session handle on the rings: generation and slot. */
static inline uint64_t
hso_shm_id(uint32_t gen, uint32_t slot)
{
	return (uint64_t)gen << 32 | slot;
}

static inline uint32_t
hso_shm_id_gen(uint64_t id)
{
	return (uint32_t)(id >> 32);
}

static inline uint32_t
hso_shm_id_slot(uint64_t id)
{
	return (uint32_t)id;
}

static inline uint64_t
hso_shm_tag(uint32_t gen, uint32_t count)
{
	return (uint64_t)gen << 32 | count;
}

/** The count in @p word if it is tagged @p gen, else 0. */
static inline uint32_t
hso_shm_count(uint64_t word, uint32_t gen)
{
	return (uint32_t)(word >> 32) == gen ? (uint32_t)word : 0;
}

/** The words of @p worker's slot @p slot, in the flow-control mapping @p fc. */
static inline struct hso_shm_conn *
hso_shm_conn(struct hso_shm_conn *fc, const struct hso_shm *shm, unsigned worker, uint32_t slot)
{
	return &fc[(size_t)worker * shm->conns_per_worker + slot];
}

/**
 * Map the flow-control file named in @p shm (read and write, shared).
 * @return the mapping (fc_len bytes), or NULL with errno.
 */
struct hso_shm_conn *hso_shm_fc_map(const struct hso_shm *shm);

/**
 * Ownership of ring mbufs, so hsod can take back what a dead application
 * held: a 32-bit mbuf dynamic field holds hso_shm_owner_tag() of the
 * application whose custody the mbuf is in (an event posted to it, a
 * command it allocated), 0 otherwise. Whoever puts such an mbuf back in
 * the pool clears the tag first; after an application's slot is closed,
 * every mbuf still tagged with it is one it took to the grave.
 */
#define HSO_SHM_OWNER_FIELD "hso_app_owner"

static inline uint32_t
hso_shm_owner_tag(unsigned slot, uint32_t gen)
{
	return (gen << 3) | (slot + 1);     /* never 0; HSO_APP_MAX <= 7 */
}

static inline uint32_t *
hso_shm_owner(struct rte_mbuf *m, int off)
{
	return RTE_MBUF_DYNFIELD(m, off, uint32_t *);
}

/** Ring names. */
#define HSO_SHM_EV_FMT "hso_e%u_%u"
#define HSO_SHM_CMD_FMT "hso_c%u_%u"

/** Ring size per direction, application and worker. */
#define HSO_SHM_RING_SIZE 4096

/**
 * Mbuf alloc/free without the per-lcore mempool cache: an application's
 * lcore id may be a worker's in hsod (`hsod -l 0-1`, `hso-proxy -l 1`),
 * and two processes must never share a cache.
 */
static inline struct rte_mbuf *
hso_shm_mbuf_alloc(struct rte_mempool *mp)
{
	void *obj;
	struct rte_mbuf *m;

	if (rte_mempool_generic_get(mp, &obj, 1, NULL) != 0)
		return NULL;
	m = obj;
	rte_pktmbuf_reset(m);
	return m;
}

static inline void
hso_shm_mbuf_free(struct rte_mbuf *m)
{
	m = rte_pktmbuf_prefree_seg(m);
	if (m != NULL) {
		void *obj = m;

		rte_mempool_generic_put(m->pool, &obj, 1, NULL);
	}
}

/* For hsod's built-in applications (hso_app.c): attach without waiting for
 * the control loop, which runs in the same thread. */
struct hso_app *hso_app_attach_inproc(const char *name, unsigned flags);

#endif
