/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP core's timer wheel: one per table, hashed by expiry tick, O(1)
 * insert and cancel, and a run that visits each slot once per tick that
 * passed (at most one revolution, however long the caller slept).
 */

#include <errno.h>
#include <stdlib.h>

#include "tcp_priv.h"

int
tcp_wheel_init(struct tcp_wheel *w, uint32_t slots, uint32_t tick_us, uint64_t now_us)
{
	uint32_t n = 1;

	if (slots == 0 || tick_us == 0 || slots > (1u << 24))
		return -EINVAL;
	while (n < slots)
		n <<= 1;
	w->slots = calloc(n, sizeof(*w->slots));
	if (w->slots == NULL)
		return -ENOMEM;
	w->mask = n - 1;
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

void
tcp_wheel_insert(struct tcp_wheel *w, struct tcp_timer *tm, uint64_t expire_us)
{
	/*
	 * The first tick that starts at or after the expiry: its slot is run
	 * with now >= expire_us. Rounding down put a timer due mid-tick in a
	 * slot run before it was due, and it then waited a whole revolution
	 * (4 s for TCP's wheel).
	 */
	uint64_t tick = (expire_us + w->tick_us - 1) / w->tick_us;

	tcp_wheel_cancel(tm);
	/* A tick already processed would wait a revolution: take the next. */
	if (tick <= w->cur)
		tick = w->cur + 1;
	tm->expire_us = expire_us;
	slot_push(&w->slots[tick & w->mask], tm);
}

unsigned
tcp_wheel_run(struct tcp_wheel *w, uint64_t now_us,
	      void (*fn)(struct tcp_timer *tm, void *arg), void *arg)
{
	uint64_t now_tick = now_us / w->tick_us;
	uint64_t steps;
	unsigned fired = 0;

	if (now_tick <= w->cur)
		return 0;
	steps = now_tick - w->cur;
	if (steps > (uint64_t)w->mask + 1)
		steps = (uint64_t)w->mask + 1;
	for (uint64_t s = 1; s <= steps; s++) {
		/* Detach the slot so callbacks may re-insert anywhere. */
		uint32_t slot = (uint32_t)((w->cur + s) & w->mask);
		struct tcp_timer *list = w->slots[slot];

		w->slots[slot] = NULL;
		if (list != NULL)
			list->pprev = &list;
		while (list != NULL) {
			struct tcp_timer *tm = list;

			tcp_wheel_cancel(tm);
			if (tm->expire_us <= now_us) {
				fired++;
				fn(tm, arg);
			} else {
				slot_push(&w->slots[slot], tm);
			}
		}
	}
	w->cur = now_tick;
	return fired;
}
