/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-bench-neigh: what the neighbour cache (dataplane/neigh.c) costs a
 * worker per packet, in TSC cycles, side by side in one run with the table
 * it replaced (256 direct-mapped slots, one compare):
 *
 *  - lookup:   hsod_net_lookup() of a resolved next hop, what every segment
 *              sent pays (hash, bucket compare, LRU move, state check);
 *  - confirm:  hsod_neigh_confirm(), what every TCP segment received pays;
 *  - old:      the old direct-mapped lookup over the same addresses (for more
 *              than a few neighbours some of them miss: "old_hit_ratio");
 *  - miss:     hsod_net_output() of a frame to an unknown neighbour (new
 *              INCOMPLETE entry, LRU eviction of the oldest, one ARP request
 *              built and handed to the transmit hook; no hold pool, so the
 *              frame is freed: the cost of starting a resolution).
 *
 * For each neighbour count (--neighbours 1,16,256,4096,65536) the addresses
 * are visited in a shuffled order, repeated until --ops operations; the
 * median of 7 runs is reported. One JSON object on stdout, a table on stderr.
 *
 *   hso-bench-neigh [--ops N] [--neighbours LIST] [-- EAL options]
 *
 * Default EAL options: --no-huge -m 512 --no-shconf --no-pci -l 0
 * --file-prefix hsoneigh<pid>. Exit 77 when EAL cannot start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "eal_rundir.h"
#include "net.h"

#define REPS 7
#define MAX_COUNTS 16
#define OUR_IP RTE_IPV4(10, 0, 0, 1)

static struct rte_mempool *mp;
static struct rte_mbuf *held[64];
static unsigned n_held;

/* Transmit hook: keep a few, free the rest (only the miss case sends). */
static void
tx_sink(void *ctx, struct rte_mbuf *m)
{
	(void)ctx;
	if (n_held < 64)
		held[n_held++] = m;
	else
		rte_pktmbuf_free(m);
}

static void
held_free(void)
{
	rte_pktmbuf_free_bulk(held, n_held);
	n_held = 0;
}

/* The old table: 256 slots, (ip ^ ip >> 8) % 256, one compare and a TTL check. */
struct old_entry {
	uint32_t ip;
	struct rte_ether_addr mac;
	uint64_t updated_us;
};
static struct old_entry old_tbl[256];

static inline bool
old_lookup(uint32_t ip, uint64_t now, struct rte_ether_addr *mac)
{
	const struct old_entry *e = &old_tbl[(ip ^ (ip >> 8)) % 256];

	if (e->ip != ip || now - e->updated_us > 300ull * 1000 * 1000)
		return false;
	rte_ether_addr_copy(&e->mac, mac);
	return true;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
median(uint64_t *v)
{
	qsort(v, REPS, sizeof(*v), cmp_u64);
	return v[REPS / 2];
}

/* Neighbour i's address: 10.0.0.0/8 hosts, skipping ours. */
static uint32_t
addr_of(uint32_t i)
{
	return RTE_IPV4(10, 0, 0, 2) + i;
}

struct result {
	unsigned n;
	double lookup, confirm, old, miss, old_hit_ratio;
};

static int
run_count(unsigned n, unsigned ops, struct result *r)
{
	struct hsod_net_conf c;
	struct hsod_net net;
	struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0, 1 } }, out;
	uint32_t *order = malloc(sizeof(*order) * n);
	struct rte_ether_addr *macs = malloc(sizeof(*macs) * n);
	uint64_t now = 1000000, t[4][REPS];
	unsigned old_hits = 0;
	char name[32];
	int rc;

	if (order == NULL || macs == NULL) {
		free(order);
		free(macs);
		return -ENOMEM;
	}
	hsod_net_conf_init(&c);
	c.addr = OUR_IP;
	c.prefix_len = 8;
	c.mp = mp;
	c.tx = tx_sink;
	snprintf(name, sizeof(name), "bench_neigh_%u", n);
	c.name = name;
	c.neigh.entries = n < 1024 ? 1024 : n;
	c.neigh.randomize = false;
	rc = hsod_net_init(&net, &c);
	if (rc != 0) {
		free(order);
		free(macs);
		return rc;
	}
	memset(old_tbl, 0, sizeof(old_tbl));
	/* Every neighbour resolved (as an ARP reply would) and in the old table. */
	for (unsigned i = 0; i < n; i++) {
		uint32_t ip = addr_of(i);

		mac.addr_bytes[4] = (uint8_t)(i >> 8);
		mac.addr_bytes[5] = (uint8_t)i;
		hsod_neigh_update(hsod_net_neigh(&net), &ip, &mac,
				  HSOD_NEIGH_F_CREATE | HSOD_NEIGH_F_OVERRIDE | HSOD_NEIGH_F_SOLICITED,
				  now);
		old_tbl[(ip ^ (ip >> 8)) % 256] = (struct old_entry){ ip, mac, now };
		order[i] = ip;
	}
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)(rte_rand() % i);
		uint32_t x = order[i - 1];

		order[i - 1] = order[j];
		order[j] = x;
	}
	for (unsigned i = 0; i < n; i++) {
		macs[i] = mac;
		macs[i].addr_bytes[4] = (uint8_t)((order[i] - addr_of(0)) >> 8);
		macs[i].addr_bytes[5] = (uint8_t)(order[i] - addr_of(0));
	}
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t c0;
		unsigned hits = 0;

		c0 = rte_rdtsc_precise();
		for (unsigned k = 0; k < ops; k++)
			hits += hsod_net_lookup(&net, order[k % n], now, &out);
		t[0][rep] = rte_rdtsc_precise() - c0;
		if (hits != ops) {
			fprintf(stderr, "hso-bench-neigh: %u of %u lookups hit\n", hits, ops);
			rc = -EIO;
		}
		c0 = rte_rdtsc_precise();
		for (unsigned k = 0; k < ops; k++)
			hsod_neigh_confirm(hsod_net_neigh(&net), &order[k % n], &macs[k % n], now);
		t[1][rep] = rte_rdtsc_precise() - c0;
		hits = 0;
		c0 = rte_rdtsc_precise();
		for (unsigned k = 0; k < ops; k++)
			hits += old_lookup(order[k % n], now, &out);
		t[2][rep] = rte_rdtsc_precise() - c0;
		old_hits = hits;
	}
	/* Last, as they evict the resolved ones: fresh addresses, each a miss. */
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t c0 = rte_rdtsc_precise();

		for (unsigned k = 0; k < 1000; k++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

			if (m == NULL || rte_pktmbuf_append(m, 60) == NULL) {
				rte_pktmbuf_free(m);
				rc = -ENOBUFS;
				break;
			}
			hsod_net_output(&net, m, addr_of(1000000 + rep * 1000 + k), now);
			if (n_held == 64)
				held_free();
		}
		t[3][rep] = rte_rdtsc_precise() - c0;
		held_free();
	}
	r->n = n;
	r->lookup = (double)median(t[0]) / ops;
	r->confirm = (double)median(t[1]) / ops;
	r->old = (double)median(t[2]) / ops;
	r->miss = (double)median(t[3]) / 1000;
	r->old_hit_ratio = (double)old_hits / ops;
	if (hsod_neigh_stats(hsod_net_neigh(&net))->refreshes != (uint64_t)REPS * ops) {
		fprintf(stderr, "hso-bench-neigh: confirmations did not match\n");
		rc = -EIO;
	}
	hsod_net_fini(&net);
	free(order);
	free(macs);
	return rc;
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal_def[] = { argv[0], "--no-huge", "-m", "512", "--no-shconf", "--no-pci", "-l",
			    "0", "--file-prefix", prefix, "--log-level=lib.eal:error", NULL };
	char **eal = eal_def;
	int n_eal = 11, bad = 0;
	unsigned ops = 1000000, counts[MAX_COUNTS] = { 1, 16, 256, 4096, 65536 }, n_counts = 5;
	struct result res[MAX_COUNTS];
	double ns;

	snprintf(prefix, sizeof(prefix), "hsoneigh%d", (int)getpid());
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc) {
			ops = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--neighbours") == 0 && i + 1 < argc) {
			char *s = argv[++i];

			n_counts = 0;
			for (char *tok = strtok(s, ","); tok != NULL && n_counts < MAX_COUNTS;
			     tok = strtok(NULL, ","))
				counts[n_counts++] = (unsigned)strtoul(tok, NULL, 10);
		} else if (strcmp(argv[i], "--") == 0) {
			argv[i] = argv[0];
			eal = argv + i;
			n_eal = argc - i;
			break;
		} else {
			fprintf(stderr, "usage: hso-bench-neigh [--ops N] [--neighbours LIST] "
				"[-- EAL options]\n");
			return 2;
		}
	}
	for (unsigned i = 0; i < n_counts; i++)
		if (counts[i] == 0 || counts[i] > (1u << 22) || ops == 0) {
			fprintf(stderr, "hso-bench-neigh: neighbours 1..4194304, ops > 0\n");
			return 2;
		}
	if (rte_eal_init(n_eal, eal) < 0) {
		printf("skip: DPDK EAL cannot start here (%s)\n", rte_strerror(rte_errno));
		return 77;
	}
	hso_eal_rundir_atexit();        /* a prefix per run: its directory goes at exit */
	mp = rte_pktmbuf_pool_create("bench_neigh", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "hso-bench-neigh: mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	ns = 1e9 / (double)rte_get_tsc_hz();
	for (unsigned i = 0; i < n_counts; i++) {
		int rc = run_count(counts[i], ops, &res[i]);

		if (rc != 0) {
			fprintf(stderr, "hso-bench-neigh: %u neighbours: %s\n", counts[i],
				strerror(-rc));
			bad = 1;
			continue;
		}
		fprintf(stderr, "%7u neighbours: lookup %6.1f cycles (%5.1f ns), confirm %6.1f, "
			"old table %5.1f (hits %3.0f%%), miss %7.1f\n", res[i].n, res[i].lookup,
			res[i].lookup * ns, res[i].confirm, res[i].old, 100 * res[i].old_hit_ratio,
			res[i].miss);
	}
	printf("{\n  \"bench\": \"neigh\",\n  \"tsc_hz\": %llu,\n  \"ops\": %u,\n  \"results\": [\n",
	       (unsigned long long)rte_get_tsc_hz(), ops);
	for (unsigned i = 0; i < n_counts; i++)
		printf("    {\"neighbours\": %u, \"lookup_cycles\": %.1f, \"confirm_cycles\": %.1f, "
		       "\"old_lookup_cycles\": %.1f, \"old_hit_ratio\": %.3f, \"miss_cycles\": %.1f, "
		       "\"lookup_vs_old\": %.2f}%s\n", res[i].n, res[i].lookup, res[i].confirm,
		       res[i].old, res[i].old_hit_ratio, res[i].miss,
		       res[i].old > 0 ? res[i].lookup / res[i].old : 0,
		       i + 1 < n_counts ? "," : "");
	printf("  ]\n}\n");
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return bad;
}
