/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hsod's side of the application shared memory: contract in apps.h, layout
 * in app_shm.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_mbuf_dyn.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "apps.h"

struct hsod_apps {
	const struct rte_memzone *mz;
	struct rte_mempool *mp;
	struct hso_shm *shm;
	unsigned n_workers;
	struct rte_ring **rings;        /* [app][worker][2] */
	int pidfd[HSO_APP_MAX];         /* -1: none (in-process, or no pidfd) */
	struct hso_shm_conn *fc;        /* the flow-control file, mapped */
	size_t fc_len;
	char fc_name[32];               /* its name while we own it */
	struct hsod_apps_stats st;
};

static void
owner_clear(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	(void)mp;
	(void)idx;
	*hso_shm_owner(obj, *(const int *)arg) = 0;
}

struct reclaim {
	int off;
	uint32_t tag;
	uint64_t n;
};

/* An mbuf still tagged with a closed application: it died holding it. */
static void
reclaim_one(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	struct reclaim *r = arg;
	struct rte_mbuf *m = obj;
	uint32_t *tag = hso_shm_owner(m, r->off);

	(void)mp;
	(void)idx;
	if (*tag != r->tag)
		return;
	*tag = 0;
	/* What it carried (plaintext, keys) does not stay in the pool. */
	memset(rte_pktmbuf_mtod(m, void *), 0, rte_pktmbuf_data_len(m));
	rte_pktmbuf_free(m);
	r->n++;
}

struct hsod_apps *
hsod_apps_create(unsigned n_workers, unsigned conns_per_worker, struct rte_mempool *mp,
		 bool allow_keys)
{
	struct hsod_apps *a;
	size_t sz = sizeof(struct hso_shm);

	if (n_workers == 0 || n_workers > 64 || conns_per_worker == 0 ||
	    conns_per_worker > HSO_SHM_SLOT_MASK + 1) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->n_workers = n_workers;
	for (unsigned i = 0; i < HSO_APP_MAX; i++)
		a->pidfd[i] = -1;
	a->rings = calloc((size_t)HSO_APP_MAX * n_workers * 2, sizeof(*a->rings));
	a->mz = rte_memzone_reserve(HSO_SHM_NAME, sz, (int)rte_socket_id(), RTE_MEMZONE_SIZE_HINT_ONLY);
	if (a->rings == NULL || a->mz == NULL) {
		int e = a->rings == NULL ? ENOMEM : rte_errno;

		hsod_apps_free(a);
		errno = e;
		return NULL;
	}
	a->shm = a->mz->addr;
	memset(a->shm, 0, sz);
	a->mp = mp;
	{
		static const struct rte_mbuf_dynfield owner = {
			.name = HSO_SHM_OWNER_FIELD,
			.size = sizeof(uint32_t),
			.align = __alignof__(uint32_t),
		};

		a->shm->owner_off = rte_mbuf_dynfield_register(&owner);
		if (a->shm->owner_off < 0) {
			int e = rte_errno;

			hsod_apps_free(a);
			errno = e;
			return NULL;
		}
		/* Nothing is in an application's hands yet. */
		rte_mempool_obj_iter(mp, owner_clear, &a->shm->owner_off);
	}
	/*
	 * The flow-control words: a sparse file in /dev/shm, mapped here and
	 * by each application. Pages get memory when a slot's words are first
	 * written, so max_conns slots cost nothing until used (a memzone is
	 * hugepage memory, all of it pinned at start).
	 */
	a->fc_len = (size_t)n_workers * conns_per_worker * sizeof(struct hso_shm_conn);
	snprintf(a->fc_name, sizeof(a->fc_name), HSO_SHM_FC_FMT, (int)getpid());
	{
		int fd, e;

		shm_unlink(a->fc_name);     /* a dead hsod's with our pid */
		fd = shm_open(a->fc_name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)a->fc_len) != 0) {
			e = errno;
			if (fd >= 0)
				close(fd);
			a->fc_name[0] = '\0';
			hsod_apps_free(a);
			errno = e;
			return NULL;
		}
		a->fc = mmap(NULL, a->fc_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		e = errno;
		close(fd);
		if (a->fc == MAP_FAILED) {
			a->fc = NULL;
			hsod_apps_free(a);
			errno = e;
			return NULL;
		}
	}
	snprintf(a->shm->fc_name, sizeof(a->shm->fc_name), "%s", a->fc_name);
	a->shm->fc_len = a->fc_len;
	a->shm->abi = HSO_APP_ABI;
	a->shm->n_workers = n_workers;
	a->shm->conns_per_worker = conns_per_worker;
	a->shm->allow_keys = allow_keys;
	a->shm->hsod_pid = getpid();
	snprintf(a->shm->pool, sizeof(a->shm->pool), "%s", mp->name);
	for (unsigned i = 0; i < HSO_APP_MAX; i++) {
		for (unsigned w = 0; w < n_workers; w++) {
			char name[RTE_RING_NAMESIZE];
			struct rte_ring **r = &a->rings[((size_t)i * n_workers + w) * 2];

			snprintf(name, sizeof(name), HSO_SHM_EV_FMT, i, w);
			r[0] = rte_ring_create(name, HSO_SHM_RING_SIZE, (int)rte_socket_id(),
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
			snprintf(name, sizeof(name), HSO_SHM_CMD_FMT, i, w);
			r[1] = rte_ring_create(name, HSO_SHM_RING_SIZE, (int)rte_socket_id(),
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (r[0] == NULL || r[1] == NULL) {
				int e = rte_errno;

				hsod_apps_free(a);
				errno = e;
				return NULL;
			}
		}
	}
	/* Last: an application that finds the magic finds everything else. */
	__atomic_store_n(&a->shm->magic, HSO_SHM_MAGIC, __ATOMIC_RELEASE);
	return a;
}

struct hso_shm *
hsod_apps_shm(struct hsod_apps *a)
{
	return a->shm;
}

struct hso_shm_conn *
hsod_apps_fc(struct hsod_apps *a)
{
	return a->fc;
}

/* Has the process behind slot @p i gone (exited, killed, a zombie)? */
static bool
process_gone(struct hsod_apps *a, unsigned i)
{
	const struct hso_shm_app *s = &a->shm->apps[i];

	if (s->inproc)
		return false;
	if (a->pidfd[i] >= 0) {
		struct pollfd p = { .fd = a->pidfd[i], .events = POLLIN };

		return poll(&p, 1, 0) > 0;      /* readable: the process exited */
	}
	return kill(s->pid, 0) != 0 && errno == ESRCH;
}

static void
close_pidfd(struct hsod_apps *a, unsigned i)
{
	if (a->pidfd[i] >= 0)
		close(a->pidfd[i]);
	a->pidfd[i] = -1;
}

void
hsod_apps_control(struct hsod_apps *a)
{
	uint64_t all = a->n_workers == 64 ? ~0ull : (1ull << a->n_workers) - 1;

	for (unsigned i = 0; i < HSO_APP_MAX; i++) {
		struct hso_shm_app *s = &a->shm->apps[i];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

		switch (st) {
		case HSO_SLOT_REQUEST:
			if ((s->flags & HSO_APP_KEYS) && !a->shm->allow_keys) {
				s->error = EPERM;
				a->st.rejected++;
				__atomic_store_n(&s->state, HSO_SLOT_REJECTED, __ATOMIC_RELEASE);
				break;
			}
#ifdef SYS_pidfd_open
			a->pidfd[i] = (int)syscall(SYS_pidfd_open, s->pid, 0);
#endif
			if (process_gone(a, i)) {
				/* Asked and died before we looked: nothing to close. */
				close_pidfd(a, i);
				s->pid = 0;
				__atomic_store_n(&s->state, HSO_SLOT_FREE, __ATOMIC_RELEASE);
				break;
			}
			a->st.attached++;
			s->acks = 0;
			printf("hsod: application \"%s\" (pid %d) attached as #%u%s\n", s->name,
			       s->pid, i, (s->flags & HSO_APP_KEYS) ? ", with key export" : "");
			fflush(stdout);
			__atomic_store_n(&s->state, HSO_SLOT_ACTIVE, __ATOMIC_RELEASE);
			break;
		case HSO_SLOT_ACTIVE:
			if (process_gone(a, i)) {
				a->st.crashed++;
				s->error = ESRCH;
				printf("hsod: application \"%s\" (pid %d) is gone: closing its "
				       "connections\n", s->name, s->pid);
				fflush(stdout);
				__atomic_store_n(&s->state, HSO_SLOT_CLOSING, __ATOMIC_RELEASE);
			}
			break;
		case HSO_SLOT_CLOSING:
			if ((__atomic_load_n(&s->acks, __ATOMIC_ACQUIRE) & all) == all) {
				if (s->error != ESRCH) {
					a->st.detached++;
					printf("hsod: application \"%s\" detached\n", s->name);
					fflush(stdout);
				}
				close_pidfd(a, i);
				/*
				 * Every worker drained the rings and the process is
				 * gone or detached: what is still tagged with it, it
				 * held (events not released, commands not sent).
				 */
				{
					struct reclaim r = {
						.off = a->shm->owner_off,
						.tag = hso_shm_owner_tag(i, s->gen),
					};

					rte_mempool_obj_iter(a->mp, reclaim_one, &r);
					a->st.mbufs_reclaimed += r.n;
				}
				s->error = 0;
				s->pid = 0;
				__atomic_store_n(&s->state, HSO_SLOT_FREE, __ATOMIC_RELEASE);
			}
			break;
		case HSO_SLOT_CLAIMED:
			/* Claimed, then killed before asking: free it again. */
			if (s->pid != 0 && kill(s->pid, 0) != 0 && errno == ESRCH) {
				s->pid = 0;
				__atomic_store_n(&s->state, HSO_SLOT_FREE, __ATOMIC_RELEASE);
			}
			break;
		default:
			break;
		}
	}
}

unsigned
hsod_apps_active(const struct hsod_apps *a)
{
	unsigned n = 0;

	for (unsigned i = 0; i < HSO_APP_MAX; i++)
		n += __atomic_load_n(&a->shm->apps[i].state, __ATOMIC_ACQUIRE) == HSO_SLOT_ACTIVE;
	return n;
}

void
hsod_apps_stop(struct hsod_apps *a)
{
	__atomic_store_n(&a->shm->stopping, 1, __ATOMIC_RELEASE);
}

const struct hsod_apps_stats *
hsod_apps_stats(const struct hsod_apps *a)
{
	return &a->st;
}

void
hsod_apps_free(struct hsod_apps *a)
{
	if (a == NULL)
		return;
	for (unsigned i = 0; i < HSO_APP_MAX; i++)
		close_pidfd(a, i);
	for (size_t k = 0; a->rings != NULL && k < (size_t)HSO_APP_MAX * a->n_workers * 2; k++) {
		struct rte_mbuf *m;

		while (a->rings[k] != NULL && rte_ring_dequeue(a->rings[k], (void **)&m) == 0) {
			memset(rte_pktmbuf_mtod(m, void *), 0, rte_pktmbuf_data_len(m));
			*hso_shm_owner(m, a->shm->owner_off) = 0;
			rte_pktmbuf_free(m);
		}
		rte_ring_free(a->rings[k]);
	}
	if (a->fc != NULL)
		munmap(a->fc, a->fc_len);
	if (a->fc_name[0] != '\0')
		shm_unlink(a->fc_name);
	rte_memzone_free(a->mz);
	free(a->rings);
	free(a);
}
