/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-gen's impairment stage without DPDK: packets are numbered cells whose
 * copies and frees are counted, so that every packet is accounted for
 * (out, lost, overflowed or still pending: none leaked, none freed twice).
 * The parser: every key, its range, unknown and repeated keys named.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gen_impair.h"

struct pkt {
	unsigned id;
	bool copy;
};

static long live;               /* packets allocated and not freed */
static bool copy_fails;

static struct pkt *
pkt_new(unsigned id)
{
	struct pkt *p = calloc(1, sizeof(*p));

	p->id = id;
	live++;
	return p;
}

static void *
op_copy(void *ctx, void *pkt)
{
	struct pkt *p;

	(void)ctx;
	if (copy_fails)
		return NULL;
	p = pkt_new(((struct pkt *)pkt)->id);
	p->copy = true;
	return p;
}

static void
op_free(void *ctx, void *pkt)
{
	(void)ctx;
	CHECK(pkt != NULL);
	live--;
	free(pkt);
}

static const struct gen_impair_ops ops = { op_copy, op_free, NULL };

static struct gen_impair_conf
conf(const char *s)
{
	struct gen_impair_conf c;
	char why[256];

	CHECK_MSG(gen_impair_parse(s, &c, why, sizeof(why)) == 0, "%s: %s", s, why);
	return c;
}

static void
expect_bad(const char *s, const char *needle)
{
	struct gen_impair_conf c;
	char why[256] = "";

	CHECK_EQ(gen_impair_parse(s, &c, why, sizeof(why)), -EINVAL);
	CHECK_MSG(strstr(why, needle) != NULL, "'%s': '%s' lacks '%s'", s, why, needle);
}

static void
test_parse(void)
{
	struct gen_impair_conf c = conf("loss=0.05,dup=0.01,reorder=0.01,delay=20");
	char buf[128];

	CHECK(c.on);
	CHECK(c.loss == 0.05 && c.dup == 0.01 && c.reorder == 0.01);
	CHECK_EQ(c.delay_ms, 20);
	CHECK_EQ(c.limit, GEN_IMPAIR_LIMIT_DEFAULT);
	gen_impair_render(&c, buf, sizeof(buf));
	CHECK(strcmp(buf, "loss=0.05,dup=0.01,reorder=0.01,delay=20,limit=1024") == 0);
	c = conf("delay=0");
	CHECK(c.on && c.loss == 0 && c.delay_ms == 0);
	c = conf("limit=7,loss=1");
	CHECK(c.limit == 7 && c.loss == 1);

	expect_bad("", "empty");
	expect_bad(",", "no KEY=VALUE");
	expect_bad("jitter=5", "unknown key 'jitter'");
	expect_bad("loss=0.1,corrupt=0.1", "unknown key 'corrupt'");
	expect_bad("loss", "loss: needs =VALUE");
	expect_bad("loss=", "loss: needs a probability");
	expect_bad("loss=1.5", "loss: needs a probability 0..1");
	expect_bad("dup=-0.1", "dup: needs a probability");
	expect_bad("reorder=nan", "reorder: needs a probability");
	expect_bad("loss=0.1x", "loss: needs a probability");
	expect_bad("delay=10001", "delay: needs milliseconds 0..10000");
	expect_bad("delay=-1", "delay: needs milliseconds");
	expect_bad("delay=2.5", "delay: needs milliseconds");
	expect_bad("limit=0", "limit: needs packets 1..1048576");
	expect_bad("limit=1048577", "limit: needs packets");
	expect_bad("loss=0.1,loss=0.2", "loss: given twice");
}

/* Feed ids 0..n-1 at @p now; everything due by @p until into out[] (ids). */
static unsigned
run(struct gen_impair *im, unsigned n, uint64_t now, uint64_t until, unsigned *ids, bool *copies,
    unsigned cap)
{
	unsigned k = 0;
	void *out[64];

	for (unsigned i = 0; i < n; i++) {
		gen_impair_input(im, pkt_new(i), now);
		for (unsigned j, m = gen_impair_output(im, now, out, 64); m > 0;
		     m = gen_impair_output(im, now, out, 64))
			for (j = 0; j < m; j++) {
				struct pkt *p = out[j];

				if (k < cap) {
					ids[k] = p->id;
					copies[k] = p->copy;
				}
				k++;
				op_free(NULL, p);
			}
	}
	for (unsigned j, m; (m = gen_impair_output(im, until, out, 64)) > 0;)
		for (j = 0; j < m; j++) {
			struct pkt *p = out[j];

			if (k < cap) {
				ids[k] = p->id;
				copies[k] = p->copy;
			}
			k++;
			op_free(NULL, p);
		}
	return k;
}

#define N 100000u
static unsigned ids[3 * N];
static bool copies[3 * N];

static void
test_pass_through(void)
{
	struct gen_impair im;
	struct gen_impair_conf c = conf("loss=0");
	unsigned k;

	CHECK_EQ(gen_impair_init(&im, &c, &ops, 1), 0);
	k = run(&im, 1000, 5, 5, ids, copies, 3 * N);
	CHECK_EQ(k, 1000);
	for (unsigned i = 0; i < k; i++)
		CHECK(ids[i] == i && !copies[i]);
	CHECK(im.stats.packets == 1000 && im.stats.lost == 0 && im.stats.delayed == 0);
	gen_impair_fini(&im);
	CHECK_EQ(live, 0);
}

static void
test_loss(void)
{
	struct gen_impair im;
	struct gen_impair_conf c = conf("loss=0.05");
	unsigned k, prev = 0;

	CHECK_EQ(gen_impair_init(&im, &c, &ops, 42), 0);
	k = run(&im, N, 0, 0, ids, copies, 3 * N);
	/* Binomial(1e5, 0.05): sd 69; 5000 +- 500 is 7 sd. */
	CHECK_MSG(im.stats.lost > 4500 && im.stats.lost < 5500, "lost %lu",
		  (unsigned long)im.stats.lost);
	CHECK_EQ(k + im.stats.lost, N);
	for (unsigned i = 0; i < k; i++) {
		CHECK(i == 0 || ids[i] > prev);     /* order kept */
		prev = ids[i];
	}
	gen_impair_fini(&im);
	CHECK_EQ(live, 0);
}

static void
test_dup(void)
{
	struct gen_impair im;
	struct gen_impair_conf c = conf("dup=1");
	unsigned k;

	CHECK_EQ(gen_impair_init(&im, &c, &ops, 3), 0);
	k = run(&im, 100, 0, 0, ids, copies, 3 * N);
	CHECK_EQ(k, 200);
	for (unsigned i = 0; i < 100; i++)
		CHECK(ids[2 * i] == i && !copies[2 * i] && ids[2 * i + 1] == i && copies[2 * i + 1]);
	CHECK_EQ(im.stats.duplicated, 100);
	gen_impair_fini(&im);
	/* No buffer for the copy: the original goes alone, counted. */
	copy_fails = true;
	CHECK_EQ(gen_impair_init(&im, &c, &ops, 3), 0);
	k = run(&im, 10, 0, 0, ids, copies, 3 * N);
	CHECK(k == 10 && im.stats.dup_failed == 10 && im.stats.duplicated == 0);
	gen_impair_fini(&im);
	copy_fails = false;
	/* 1%: about 1000 in 1e5 (sd 31). */
	c = conf("dup=0.01");
	CHECK_EQ(gen_impair_init(&im, &c, &ops, 9), 0);
	k = run(&im, N, 0, 0, ids, copies, 3 * N);
	CHECK(im.stats.duplicated > 800 && im.stats.duplicated < 1200);
	CHECK_EQ(k, N + im.stats.duplicated);
	gen_impair_fini(&im);
	CHECK_EQ(live, 0);
}

static void
test_reorder(void)
{
	struct gen_impair im;
	struct gen_impair_conf c = conf("reorder=1");
	void *out[4];
	unsigned k, swapped = 0;

	/* Every packet is held, overtaken by the next (which is not held:
	 * one at a time): 1 0 3 2 5 4 ... */
	CHECK_EQ(gen_impair_init(&im, &c, &ops, 5), 0);
	k = run(&im, 10, 0, 0, ids, copies, 3 * N);
	CHECK_EQ(k, 10);
	for (unsigned i = 0; i < 10; i++)
		CHECK_EQ(ids[i], i ^ 1u);
	CHECK_EQ(im.stats.reordered, 5);
	/* Nothing after a held packet: it leaves on its own after the hold. */
	gen_impair_input(&im, pkt_new(77), 1000);
	CHECK_EQ(gen_impair_output(&im, 1000 + GEN_IMPAIR_HOLD_US - 1, out, 4), 0);
	CHECK_EQ(gen_impair_pending(&im), 1);
	CHECK_EQ(gen_impair_output(&im, 1000 + GEN_IMPAIR_HOLD_US, out, 4), 1);
	CHECK_EQ(((struct pkt *)out[0])->id, 77);
	op_free(NULL, out[0]);
	CHECK_EQ(im.stats.reorder_expired, 1);
	gen_impair_fini(&im);
	/* 1%: each held packet swaps with its successor, nothing lost. */
	c = conf("reorder=0.01");
	CHECK_EQ(gen_impair_init(&im, &c, &ops, 11), 0);
	k = run(&im, N, 0, 0, ids, copies, 3 * N);
	CHECK_EQ(k, N);
	for (unsigned i = 0; i + 1 < k; i++)
		swapped += ids[i] > ids[i + 1];
	CHECK_EQ(swapped, im.stats.reordered);
	CHECK(im.stats.reordered > 800 && im.stats.reordered < 1200);
	gen_impair_fini(&im);
	CHECK_EQ(live, 0);
}

static void
test_delay(void)
{
	struct gen_impair im;
	struct gen_impair_conf c = conf("delay=20,limit=4");
	void *out[8];

	CHECK_EQ(gen_impair_init(&im, &c, &ops, 1), 0);
	for (unsigned i = 0; i < 6; i++)
		gen_impair_input(&im, pkt_new(i), 100 + i);
	/* Four wait; two found the queue full: dropped, counted, freed. */
	CHECK_EQ(im.stats.overflow, 2);
	CHECK_EQ(im.stats.delayed, 4);
	CHECK_EQ(live, 4);
	CHECK_EQ(gen_impair_output(&im, 100 + 19999, out, 8), 0);
	CHECK_EQ(gen_impair_output(&im, 100 + 20000, out, 8), 1);
	CHECK_EQ(((struct pkt *)out[0])->id, 0);
	op_free(NULL, out[0]);
	/* At most max per call, in order. */
	CHECK_EQ(gen_impair_output(&im, 1000000, out, 2), 2);
	CHECK(((struct pkt *)out[0])->id == 1 && ((struct pkt *)out[1])->id == 2);
	op_free(NULL, out[0]);
	op_free(NULL, out[1]);
	/* What still waits is freed with the stage. */
	CHECK_EQ(gen_impair_pending(&im), 1);
	gen_impair_fini(&im);
	CHECK_EQ(live, 0);
}

/* The same seed, the same fate for each packet; another seed, another. */
static void
test_seed(void)
{
	struct gen_impair_conf c = conf("loss=0.05,dup=0.01,reorder=0.01,delay=0");
	static unsigned a[3 * 10000], b[3 * 10000];
	static bool ca[3 * 10000];
	struct gen_impair im;
	unsigned ka, kb;

	CHECK_EQ(gen_impair_init(&im, &c, &ops, 1234), 0);
	ka = run(&im, 10000, 0, GEN_IMPAIR_HOLD_US, a, ca, 3 * 10000);
	gen_impair_fini(&im);
	CHECK_EQ(gen_impair_init(&im, &c, &ops, 1234), 0);
	kb = run(&im, 10000, 0, GEN_IMPAIR_HOLD_US, b, ca, 3 * 10000);
	gen_impair_fini(&im);
	CHECK(ka == kb && memcmp(a, b, ka * sizeof(a[0])) == 0);
	CHECK_EQ(gen_impair_init(&im, &c, &ops, 1235), 0);
	kb = run(&im, 10000, 0, GEN_IMPAIR_HOLD_US, b, ca, 3 * 10000);
	gen_impair_fini(&im);
	CHECK(ka != kb || memcmp(a, b, ka * sizeof(a[0])) != 0);
	CHECK_EQ(live, 0);
}

int
main(void)
{
	test_parse();
	test_pass_through();
	test_loss();
	test_dup();
	test_reorder();
	test_delay();
	test_seed();
	return check_result("test_gen_impair");
}
