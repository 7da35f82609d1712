/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP core's timer wheel: one per table, hierarchical (see tcp_priv.h),
 * O(1) insert and cancel, and a run that visits each level-0 slot once per
 * tick that passed and cascades an upper slot down when its time comes.
 */

#include <errno.h>
#include <stdlib.h>

#include "tcp_priv.h"

#define UP_SLOTS (1u << TCP_WHEEL_UP_BITS)

int
tcp_wheel_init(struct tcp_wheel *w, uint32_t slots, uint32_t tick_us, uint64_t now_us)
{
	uint32_t n = 1, bits = 0;

	if (slots == 0 || tick_us == 0 || slots > (1u << 24))
		return -EINVAL;
	while (n < slots) {
		n <<= 1;
		bits++;
	}
	w->slots = calloc((size_t)n + (TCP_WHEEL_LEVELS - 1) * UP_SLOTS, sizeof(*w->slots));
	if (w->slots == NULL)
		return -ENOMEM;
	w->mask = n - 1;
	w->bits = bits;
	w->tick_us = tick_us;
	w->cur = now_us / tick_us;
	return 0;
}

void
tcp_wheel_fini(struct tcp_wheel *w)
{
	free(w->slots);
	w->slots = NULL;
}

static void
slot_push(struct tcp_timer **head, struct tcp_timer *tm)
{
	tm->next = *head;
	if (tm->next != NULL)
		tm->next->pprev = &tm->next;
	*head = tm;
	tm->pprev = head;
}

void
tcp_wheel_cancel(struct tcp_timer *tm)
{
	if (tm->pprev == NULL)
		return;
	*tm->pprev = tm->next;
	if (tm->next != NULL)
		tm->next->pprev = tm->pprev;
	tm->next = NULL;
	tm->pprev = NULL;
}

/* Shift of an upper level's slot index in a tick number (level >= 1). */
static inline unsigned
up_shift(const struct tcp_wheel *w, unsigned level)
{
	return w->bits + (level - 1) * TCP_WHEEL_UP_BITS;
}

/* File @tm (not armed) for tick @tick, relative to w->cur. */
static void
wheel_place(struct tcp_wheel *w, struct tcp_timer *tm, uint64_t tick)
{
	struct tcp_timer **up = w->slots + w->mask + 1;
	uint64_t idx;

	/* A tick already processed would wait a revolution: take the next. */
	if (tick <= w->cur)
		tick = w->cur + 1;
	idx = tick - (w->cur + 1);      /* ticks after the next one run */
	if (idx <= w->mask) {
		slot_push(&w->slots[tick & w->mask], tm);
		return;
	}
	for (unsigned l = 1; l < TCP_WHEEL_LEVELS; l++) {
		unsigned shift = up_shift(w, l);
		uint64_t span = 1ull << (shift + TCP_WHEEL_UP_BITS);

		if (idx < span || l == TCP_WHEEL_LEVELS - 1) {
			/* Beyond the top level's span: filed at its end, and
			 * filed again from there (its expiry is kept). */
			if (idx >= span)
				tick = w->cur + span;
			slot_push(&up[(l - 1) * UP_SLOTS + ((tick >> shift) & (UP_SLOTS - 1))], tm);
			return;
		}
	}
}

static inline uint64_t
tick_of(const struct tcp_wheel *w, uint64_t expire_us)
{
	/*
	 * The first tick that starts at or after the expiry: its slot is run
	 * with now >= expire_us. Rounding down put a timer due mid-tick in a
	 * slot run before it was due, and it then waited a whole revolution.
	 */
	return (expire_us + w->tick_us - 1) / w->tick_us;
}

void
tcp_wheel_insert(struct tcp_wheel *w, struct tcp_timer *tm, uint64_t expire_us)
{
	tcp_wheel_cancel(tm);
	tm->expire_us = expire_us;
	wheel_place(w, tm, tick_of(w, expire_us));
}

/* Detach a slot's list: its head becomes *@list (callbacks may cancel any). */
static void
slot_take(struct tcp_timer **slot, struct tcp_timer **list)
{
	*list = *slot;
	*slot = NULL;
	if (*list != NULL)
		(*list)->pprev = list;
}

/* Tick w->cur + 1 starts a level-0 revolution: bring the upper slots due down. */
static void
wheel_cascade(struct tcp_wheel *w)
{
	struct tcp_timer **up = w->slots + w->mask + 1;
	uint64_t tick = w->cur + 1;

	for (unsigned l = 1; l < TCP_WHEEL_LEVELS; l++) {
		uint32_t i = (uint32_t)(tick >> up_shift(w, l)) & (UP_SLOTS - 1);
		struct tcp_timer *list;

		slot_take(&up[(l - 1) * UP_SLOTS + i], &list);
		while (list != NULL) {
			struct tcp_timer *tm = list;

			tcp_wheel_cancel(tm);
			wheel_place(w, tm, tick_of(w, tm->expire_us));
		}
		/* The level above moves only when this one wraps. */
		if (i != 0)
			break;
	}
}

/* Fire or re-file every timer of @list (detached by slot_take). */
static unsigned
list_run(struct tcp_wheel *w, struct tcp_timer **list, uint64_t now_us,
	 void (*fn)(struct tcp_timer *tm, void *arg), void *arg)
{
	unsigned fired = 0;

	while (*list != NULL) {
		struct tcp_timer *tm = *list;

		tcp_wheel_cancel(tm);
		if (tm->expire_us <= now_us) {
			fired++;
			fn(tm, arg);
		} else {
			wheel_place(w, tm, tick_of(w, tm->expire_us));
		}
	}
	return fired;
}

unsigned
tcp_wheel_run(struct tcp_wheel *w, uint64_t now_us,
	      void (*fn)(struct tcp_timer *tm, void *arg), void *arg)
{
	uint64_t now_tick = now_us / w->tick_us;
	unsigned fired = 0;
	struct tcp_timer *list;

	if (now_tick <= w->cur)
		return 0;
	if (now_tick - w->cur > (uint64_t)w->mask + 1) {
		/*
		 * Longer than a revolution since the last run: every slot of
		 * every level is gathered into one list (callbacks may cancel
		 * any timer on it) and each timer fired or filed afresh from
		 * now_tick.
		 */
		size_t n = (size_t)w->mask + 1 + (TCP_WHEEL_LEVELS - 1) * UP_SLOTS;

		list = NULL;
		for (size_t i = 0; i < n; i++) {
			while (w->slots[i] != NULL) {
				struct tcp_timer *tm = w->slots[i];

				tcp_wheel_cancel(tm);
				slot_push(&list, tm);
			}
		}
		w->cur = now_tick;
		return list_run(w, &list, now_us, fn, arg);
	}
	while (w->cur < now_tick) {
		if (((w->cur + 1) & w->mask) == 0)
			wheel_cascade(w);
		w->cur++;
		slot_take(&w->slots[w->cur & w->mask], &list);
		fired += list_run(w, &list, now_us, fn, arg);
	}
	return fired;
}
