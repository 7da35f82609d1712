/* SPDX-License-Identifier: BSD-3-Clause */
/* hso-gen's impairment stage; contract in gen_impair.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_impair.h"
#include "gen_load.h"

#define KEYS "loss, dup, reorder, delay, limit"

static int
errf(char *why, size_t wl, const char *key, size_t klen, const char *what)
{
	snprintf(why, wl, "%.*s: %s", (int)klen, key, what);
	return -EINVAL;
}

static int
parse_prob(const char *v, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite(d) || d < 0 || d > 1)
		return -EINVAL;
	*out = d;
	return 0;
}

static int
parse_uint(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long n;

	if (v[0] < '0' || v[0] > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*end != '\0' || errno != 0 || n < min || n > max)
		return -EINVAL;
	*out = (uint32_t)n;
	return 0;
}

int
gen_impair_parse(const char *s, struct gen_impair_conf *c, char *why, size_t wl)
{
	char buf[256];
	unsigned seen = 0;
	char *save = NULL;

	memset(c, 0, sizeof(*c));
	c->limit = GEN_IMPAIR_LIMIT_DEFAULT;
	if (strlen(s) >= sizeof(buf)) {
		snprintf(why, wl, "longer than %zu bytes", sizeof(buf) - 1);
		return -EINVAL;
	}
	if (s[0] == '\0') {
		snprintf(why, wl, "empty: give KEY=VALUE pairs, keys " KEYS);
		return -EINVAL;
	}
	memcpy(buf, s, strlen(s) + 1);
	for (char *kv = strtok_r(buf, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		size_t kl = eq != NULL ? (size_t)(eq - kv) : strlen(kv);
		const char *v = eq != NULL ? eq + 1 : "";
		unsigned bit;
		int rc;

		if (kl == 4 && memcmp(kv, "loss", 4) == 0) {
			bit = 1;
			rc = parse_prob(v, &c->loss);
		} else if (kl == 3 && memcmp(kv, "dup", 3) == 0) {
			bit = 2;
			rc = parse_prob(v, &c->dup);
		} else if (kl == 7 && memcmp(kv, "reorder", 7) == 0) {
			bit = 4;
			rc = parse_prob(v, &c->reorder);
		} else if (kl == 5 && memcmp(kv, "delay", 5) == 0) {
			bit = 8;
			rc = parse_uint(v, 0, GEN_IMPAIR_DELAY_MAX_MS, &c->delay_ms);
			if (rc != 0)
				return errf(why, wl, kv, kl, "needs milliseconds 0..10000");
		} else if (kl == 5 && memcmp(kv, "limit", 5) == 0) {
			bit = 16;
			rc = parse_uint(v, 1, GEN_IMPAIR_LIMIT_MAX, &c->limit);
			if (rc != 0)
				return errf(why, wl, kv, kl, "needs packets 1..1048576");
		} else {
			snprintf(why, wl, "unknown key '%.*s' (keys: " KEYS ")", (int)kl, kv);
			return -EINVAL;
		}
		if (eq == NULL)
			return errf(why, wl, kv, kl, "needs =VALUE");
		if (rc != 0)
			return errf(why, wl, kv, kl, "needs a probability 0..1");
		if (seen & bit)
			return errf(why, wl, kv, kl, "given twice");
		seen |= bit;
	}
	if (seen == 0) {
		snprintf(why, wl, "no KEY=VALUE pair (keys: " KEYS ")");
		return -EINVAL;
	}
	c->on = true;
	return 0;
}

void
gen_impair_render(const struct gen_impair_conf *c, char *buf, size_t len)
{
	if (!c->on) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "loss=%g,dup=%g,reorder=%g,delay=%u,limit=%u", c->loss, c->dup,
		 c->reorder, c->delay_ms, c->limit);
}

int
gen_impair_init(struct gen_impair *im, const struct gen_impair_conf *c,
		const struct gen_impair_ops *ops, uint64_t seed)
{
	memset(im, 0, sizeof(*im));
	im->conf = *c;
	if (im->conf.limit == 0)
		im->conf.limit = GEN_IMPAIR_LIMIT_DEFAULT;
	im->ops = *ops;
	/* splitmix64's finaliser: nearby seeds (a worker's two directions,
	 * lcores) give unrelated streams; xorshift's state is never 0. */
	seed += 0x9e3779b97f4a7c15ull;
	seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ull;
	seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebull;
	seed ^= seed >> 31;
	im->rng = seed != 0 ? seed : 1;
	im->q = calloc(im->conf.limit, sizeof(*im->q));
	return im->q != NULL ? 0 : -ENOMEM;
}

void
gen_impair_fini(struct gen_impair *im)
{
	if (im->held != NULL)
		im->ops.free(im->ops.ctx, im->held);
	im->held = NULL;
	for (; im->q != NULL && im->n > 0; im->n--) {
		im->ops.free(im->ops.ctx, im->q[im->head].pkt);
		im->head = (im->head + 1) % im->conf.limit;
	}
	free(im->q);
	im->q = NULL;
}

static bool
draw(struct gen_impair *im, double p)
{
	/* No draw for a zero probability: enabling one impairment does not
	 * shift the others' streams. */
	return p > 0 && gen_rand01(&im->rng) < p;
}

/* Into the delay queue (due now + delay), or dropped when it is full. */
static void
enqueue(struct gen_impair *im, void *pkt, uint64_t now_us)
{
	struct gen_impair_slot *s;

	if (im->n == im->conf.limit) {
		im->stats.overflow++;
		im->ops.free(im->ops.ctx, pkt);
		return;
	}
	s = &im->q[(im->head + im->n) % im->conf.limit];
	s->pkt = pkt;
	s->due_us = now_us + (uint64_t)im->conf.delay_ms * 1000;
	im->n++;
	if (im->conf.delay_ms > 0)
		im->stats.delayed++;
}

/* Past loss and duplication: held back, or on (with the held one behind it). */
static void
reorder_stage(struct gen_impair *im, void *pkt, uint64_t now_us, bool may_hold)
{
	if (im->held == NULL && may_hold && draw(im, im->conf.reorder)) {
		im->held = pkt;
		im->held_since_us = now_us;
		return;
	}
	enqueue(im, pkt, now_us);
	if (im->held != NULL) {
		void *h = im->held;

		im->held = NULL;
		im->stats.reordered++;
		enqueue(im, h, now_us);
	}
}

void
gen_impair_input(struct gen_impair *im, void *pkt, uint64_t now_us)
{
	void *copy = NULL;

	im->stats.packets++;
	if (draw(im, im->conf.loss)) {
		im->stats.lost++;
		im->ops.free(im->ops.ctx, pkt);
		return;
	}
	if (draw(im, im->conf.dup)) {
		copy = im->ops.copy(im->ops.ctx, pkt);
		if (copy != NULL)
			im->stats.duplicated++;
		else
			im->stats.dup_failed++;
	}
	reorder_stage(im, pkt, now_us, true);
	/* The copy right behind its original (or the packet that overtook it). */
	if (copy != NULL)
		reorder_stage(im, copy, now_us, false);
}

unsigned
gen_impair_output(struct gen_impair *im, uint64_t now_us, void **out, unsigned max)
{
	unsigned k = 0;

	if (im->held != NULL && now_us - im->held_since_us >= GEN_IMPAIR_HOLD_US) {
		void *h = im->held;

		im->held = NULL;
		im->stats.reorder_expired++;
		enqueue(im, h, now_us);
	}
	while (k < max && im->n > 0 && im->q[im->head].due_us <= now_us) {
		out[k++] = im->q[im->head].pkt;
		im->head = (im->head + 1) % im->conf.limit;
		im->n--;
	}
	return k;
}

unsigned
gen_impair_pending(const struct gen_impair *im)
{
	return im->n + (im->held != NULL);
}
