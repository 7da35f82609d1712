/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What hsod will run on, read before EAL starts: contract in resources.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "cfg_util.h"
#include "resources.h"

/* Lcore ids a list may name: EAL's own bound is RTE_MAX_LCORE. */
#define ID_MAX 1024

struct idset {
	uint64_t bits[ID_MAX / 64];
};

static void
idset_add(struct idset *s, unsigned id)
{
	s->bits[id / 64] |= 1ull << (id % 64);
}

static unsigned
idset_count(const struct idset *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < RTE_DIM(s->bits); i++)
		n += (unsigned)__builtin_popcountll(s->bits[i]);
	return n;
}

/* A decimal id at *p, advanced past it; -1 when there is none or it is too large. */
static long
id_next(const char **p)
{
	long v = 0;

	if (!isdigit((unsigned char)**p))
		return -1;
	while (isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		if (v >= ID_MAX)
			return -1;
		(*p)++;
	}
	return v;
}

/* "0-3,5" (up to @p end) into @p s. @return 0; -EINVAL. */
static int
list_parse(const char *p, const char *end, struct idset *s)
{
	while (p < end) {
		long a = id_next(&p), b = a;

		if (a < 0)
			return -EINVAL;
		if (p < end && *p == '-') {
			p++;
			b = id_next(&p);
			if (b < a)
				return -EINVAL;
		}
		for (long i = a; i <= b; i++)
			idset_add(s, (unsigned)i);
		if (p < end && *p != ',')
			return -EINVAL;
		if (p < end)
			p++;
	}
	return 0;
}

/*
 * --lcores: "LCORES[@CPUS],..." where LCORES is N, N-M or (LIST) and CPUS
 * the same shapes: the lcore ids are what counts.
 */
static int
lcores_parse(const char *s, struct idset *set)
{
	const char *p = s;

	while (*p != '\0') {
		const char *e = p, *l_end;
		int depth = 0;

		/* One element: up to a comma outside parentheses. */
		for (; *e != '\0' && (depth > 0 || *e != ','); e++) {
			if (*e == '(')
				depth++;
			else if (*e == ')' && --depth < 0)
				return -EINVAL;
		}
		if (depth != 0 || e == p)
			return -EINVAL;
		l_end = memchr(p, '@', (size_t)(e - p));
		if (l_end == NULL)
			l_end = e;
		if (*p == '(') {
			if (l_end - p < 2 || l_end[-1] != ')' ||
			    list_parse(p + 1, l_end - 1, set) != 0)
				return -EINVAL;
		} else if (list_parse(p, l_end, set) != 0) {
			return -EINVAL;
		}
		p = *e == ',' ? e + 1 : e;
	}
	return 0;
}

static int
mask_parse(const char *s, struct idset *set)
{
	size_t n;
	unsigned bit = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n == 0)
		return -EINVAL;
	for (size_t i = n; i-- > 0; bit += 4) {
		int d = isdigit((unsigned char)s[i]) ? s[i] - '0' :
			isxdigit((unsigned char)s[i]) ? tolower((unsigned char)s[i]) - 'a' + 10 : -1;

		if (d < 0)
			return -EINVAL;
		for (int b = 0; b < 4; b++)
			if (d & (1 << b)) {
				if (bit + (unsigned)b >= ID_MAX)
					return -EINVAL;
				idset_add(set, bit + (unsigned)b);
			}
	}
	return 0;
}

/* "512,512": MB summed. */
static int
mb_list_parse(const char *s, uint64_t *bytes)
{
	uint64_t sum = 0;

	while (*s != '\0') {
		char *end;
		unsigned long long v;

		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v = strtoull(s, &end, 10);
		if (*end != '\0' && *end != ',')
			return -EINVAL;
		sum += (uint64_t)v << 20;
		s = *end == ',' ? end + 1 : end;
	}
	*bytes = sum;
	return 0;
}

/* The value of option @p opt at argv[*i] ("-l 0", "-l0", "--lcores=X", "--lcores X"). */
static const char *
opt_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);
	const char *a = argv[*i];

	if (strncmp(a, opt, n) != 0)
		return NULL;
	if (a[n] == '\0')
		return *i + 1 < argc ? argv[++*i] : "";
	if (opt[1] != '-')
		return a + n;                   /* -l0 */
	return a[n] == '=' ? a + n + 1 : NULL;
}

int
hsod_resources_from_eal(int argc, char **argv, struct hsod_resources *r, char *err,
			size_t errlen)
{
	struct idset set;
	const char *lc = NULL, *lc_opt = NULL;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	for (int i = 1; i < argc; i++) {
		const char *v;
		int k = i;

		if ((v = opt_value(argc, argv, &k, "--lcores")) != NULL) {
			lc = v;
			lc_opt = "--lcores";
		} else if ((v = opt_value(argc, argv, &k, "-l")) != NULL && lc_opt == NULL) {
			lc = v;
			lc_opt = "-l";
		} else if ((v = opt_value(argc, argv, &k, "-c")) != NULL && lc_opt == NULL) {
			lc = v;
			lc_opt = "-c";
		} else if ((v = opt_value(argc, argv, &k, "-m")) != NULL) {
			if (mb_list_parse(v, &r->mem_limit) != 0 || strchr(v, ',') != NULL)
				return cfg_errf(err, errlen, "EAL -m: not a number of MB (got '%s')", v);
		} else if ((v = opt_value(argc, argv, &k, "--socket-mem")) != NULL) {
			if (mb_list_parse(v, &r->mem_limit) != 0)
				return cfg_errf(err, errlen, "EAL --socket-mem: not MB[,MB...] "
						"(got '%s')", v);
		} else if (strcmp(argv[i], "--no-huge") == 0) {
			r->no_huge = true;
		}
		i = k;
	}
	if (lc == NULL)
		return 0;
	memset(&set, 0, sizeof(set));
	if (strcmp(lc_opt, "--lcores") == 0)
		rc = lcores_parse(lc, &set);
	else if (strcmp(lc_opt, "-l") == 0)
		rc = list_parse(lc, lc + strlen(lc), &set);
	else
		rc = mask_parse(lc, &set);
	if (rc != 0 || idset_count(&set) == 0)
		return cfg_errf(err, errlen, "EAL %s: cannot read '%s' as %s", lc_opt, lc,
				strcmp(lc_opt, "-c") == 0 ? "a hexadecimal core mask" :
				strcmp(lc_opt, "-l") == 0 ? "a core list (e.g. 0-3,5)" :
				"an lcore map (e.g. 0@0,1@1,2@0)");
	r->lcores = idset_count(&set);
	snprintf(r->lcores_from, sizeof(r->lcores_from), "%s %.48s", lc_opt, lc);
	return 0;
}

/* MemAvailable from /proc/meminfo, bytes; 0 when unknown. */
static uint64_t
meminfo_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb << 10;
}

/* Free hugepages of every size, bytes. */
static uint64_t
hugepages_free(void)
{
	const char *dir = "/sys/kernel/mm/hugepages";
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t sum = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		unsigned long long kb, n;
		char path[512];
		FILE *f;

		if (sscanf(e->d_name, "hugepages-%llukB", &kb) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s/free_hugepages", dir, e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fscanf(f, "%llu", &n) == 1)
			sum += (uint64_t)n * kb << 10;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/* A number from a one-line file; false when absent or not a number ("max"). */
static bool
file_u64(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "r");
	unsigned long long n;
	bool ok;

	if (f == NULL)
		return false;
	ok = fscanf(f, "%llu", &n) == 1;
	fclose(f);
	*v = n;
	return ok;
}

/*
 * What our memory cgroup still lets us take, bytes; 0 when it sets no limit
 * (or none can be read). cgroup v2 ("0::PATH": memory.max, memory.current)
 * or v1 ("N:memory:PATH": memory.limit_in_bytes, memory.usage_in_bytes); in
 * a container with its own cgroup namespace the files are at the mount's
 * root, so that is tried after PATH.
 */
static uint64_t
cgroup_room(void)
{
	static const struct {
		const char *prefix, *dir, *limit, *usage;
	} kinds[] = {
		{ "0::", "/sys/fs/cgroup", "memory.max", "memory.current" },
		{ ":memory:", "/sys/fs/cgroup/memory", "memory.limit_in_bytes",
		  "memory.usage_in_bytes" },
	};
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[512], path[1024];

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		for (unsigned k = 0; k < RTE_DIM(kinds); k++) {
			const char *p = strstr(line, kinds[k].prefix);
			uint64_t limit, usage = 0;

			if (p == NULL || (k == 0 && p != line))
				continue;
			p += strlen(kinds[k].prefix);
			for (int root = 0; root < 2; root++) {
				snprintf(path, sizeof(path), "%s%s/%s", kinds[k].dir,
					 root ? "" : p, kinds[k].limit);
				if (!file_u64(path, &limit))
					continue;
				snprintf(path, sizeof(path), "%s%s/%s", kinds[k].dir,
					 root ? "" : p, kinds[k].usage);
				file_u64(path, &usage);
				fclose(f);
				/* v1 says "no limit" with a huge number. */
				if (limit >= (1ull << 60))
					return 0;
				return limit > usage ? limit - usage : 1;
			}
		}
	}
	fclose(f);
	return 0;
}

void
hsod_resources_probe(struct hsod_resources *r)
{
	uint64_t room;

	if (r->lcores == 0) {
		cpu_set_t cpus;

		/* Without an lcore option EAL takes every CPU we may run on. */
		if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0) {
			r->lcores = (unsigned)CPU_COUNT(&cpus);
			snprintf(r->lcores_from, sizeof(r->lcores_from),
				 "(no -l: every CPU, %u)", r->lcores);
		}
	}
	r->huge_free = hugepages_free();
	r->mem_available = meminfo_available();
	snprintf(r->mem_from, sizeof(r->mem_from), "MemAvailable");
	room = cgroup_room();
	if (room != 0 && (r->mem_available == 0 || room < r->mem_available)) {
		r->mem_available = room;
		snprintf(r->mem_from, sizeof(r->mem_from), "left under the cgroup's memory limit");
	}
	{
		struct statvfs sv;

		/* A container's /dev/shm is often small (64 MiB by default). */
		if (statvfs("/dev/shm", &sv) == 0)
			r->shm_free = (uint64_t)sv.f_bavail * sv.f_frsize;
	}
}

uint64_t
hsod_resources_dpdk_mem(const struct hsod_resources *r, char *from, size_t len)
{
	if (r->no_huge) {
		snprintf(from, len, r->mem_limit ? "EAL --no-huge -m" :
			 "EAL --no-huge without -m: %u MB", HSOD_EAL_NO_HUGE_MB);
		return r->mem_limit ? r->mem_limit : (uint64_t)HSOD_EAL_NO_HUGE_MB << 20;
	}
	if (r->mem_limit != 0 && r->mem_limit < r->huge_free) {
		snprintf(from, len, "EAL -m / --socket-mem");
		return r->mem_limit;
	}
	snprintf(from, len, "free hugepages");
	return r->huge_free;
}

size_t
hsod_mbuf_pool_mem_size(unsigned n)
{
	struct rte_mempool_objsz sz;
	uint32_t elt = (uint32_t)(sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE);

	rte_mempool_calc_obj_size(elt, 0, &sz);
	/*
	 * The objects, the pool's header with a cache per possible lcore, and
	 * the driver's store (a stack or a ring: two words per object at most).
	 */
	return (size_t)n * (sz.total_size + 2 * sizeof(void *)) + sizeof(struct rte_mempool) +
	       RTE_MAX_LCORE * sizeof(struct rte_mempool_cache);
}
