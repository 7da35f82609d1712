/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker intel-ipsec-mb managers and the per-algorithm choice of
 * architecture. See crypto_imb.h for why one manager is not enough.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto_imb.h"
#include "crypto_priv.h"

static const char *const arch_names[IMB_ARCH_NUM] = {
	[IMB_ARCH_NONE] = "none",
	[IMB_ARCH_NOAESNI] = "noaesni",
	[IMB_ARCH_SSE] = "sse",
	[IMB_ARCH_AVX] = "avx",
	[IMB_ARCH_AVX2] = "avx2",
	[IMB_ARCH_AVX512] = "avx512",
};

static const char *const alg_names[HSO_IMB_ALG_NUM] = {
	[HSO_IMB_ALG_HMAC_SHA256] = "hmac-sha256",
	[HSO_IMB_ALG_HMAC_SHA384] = "hmac-sha384",
	[HSO_IMB_ALG_AES_GCM] = "aes-gcm",
	[HSO_IMB_ALG_CHACHA20_POLY1305] = "chacha20-poly1305",
};

const char *
hso_imb_arch_name(IMB_ARCH arch)
{
	if ((unsigned)arch >= IMB_ARCH_NUM)
		return "invalid";
	return arch_names[arch];
}

IMB_ARCH
hso_imb_arch_parse(const char *name)
{
	for (int a = IMB_ARCH_SSE; a < IMB_ARCH_NUM; a++)
		if (name != NULL && strcasecmp(name, arch_names[a]) == 0)
			return (IMB_ARCH)a;
	return IMB_ARCH_NONE;
}

int
hso_imb_override_parse(struct hso_imb_override *ovr, const char *spec,
		       char *err, size_t errlen)
{
	const char *p = spec;

	for (int a = 0; a < HSO_IMB_ALG_NUM; a++)
		ovr->arch[a] = IMB_ARCH_NONE;
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ','), *eq = strchr(p, '=');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		char alg[32], arch[32];
		IMB_ARCH want;
		int hit = 0;

		if (eq == NULL || eq > p + len || (size_t)(eq - p) >= sizeof(alg) ||
		    (size_t)(p + len - eq - 1) >= sizeof(arch)) {
			if (err != NULL)
				snprintf(err, errlen, "ipsec-mb override '%.*s': expected ALG=ARCH",
					 (int)len, p);
			return -EINVAL;
		}
		memcpy(alg, p, (size_t)(eq - p));
		alg[eq - p] = '\0';
		memcpy(arch, eq + 1, (size_t)(p + len - eq - 1));
		arch[p + len - eq - 1] = '\0';
		want = strcasecmp(arch, "auto") == 0 ? IMB_ARCH_NONE : hso_imb_arch_parse(arch);
		if (want == IMB_ARCH_NONE && strcasecmp(arch, "auto") != 0) {
			if (err != NULL)
				snprintf(err, errlen, "ipsec-mb override: unknown architecture '%s' "
					 "(sse, avx, avx2, avx512 or auto)", arch);
			return -EINVAL;
		}
		for (int a = 0; a < HSO_IMB_ALG_NUM; a++) {
			if (strcasecmp(alg, "all") == 0 || strcasecmp(alg, alg_names[a]) == 0) {
				ovr->arch[a] = want;
				hit = 1;
			}
		}
		if (!hit) {
			if (err != NULL)
				snprintf(err, errlen, "ipsec-mb override: unknown algorithm '%s' "
					 "(hmac-sha256, hmac-sha384, aes-gcm, chacha20-poly1305 or all)",
					 alg);
			return -EINVAL;
		}
		p = end != NULL ? end + 1 : p + len;
	}
	return 0;
}

const char *
hso_imb_alg_name(enum hso_imb_alg alg)
{
	if ((unsigned)alg >= HSO_IMB_ALG_NUM)
		return "invalid";
	return alg_names[alg];
}

/* Initialise @p mgr for @p arch; 0 when the CPU runs it, -ENOTSUP if not. */
static int
mgr_init_arch(IMB_MGR *mgr, IMB_ARCH arch)
{
	switch (arch) {
	case IMB_ARCH_SSE:
		init_mb_mgr_sse(mgr);
		break;
	case IMB_ARCH_AVX:
		init_mb_mgr_avx(mgr);
		break;
	case IMB_ARCH_AVX2:
		init_mb_mgr_avx2(mgr);
		break;
	case IMB_ARCH_AVX512:
		init_mb_mgr_avx512(mgr);
		break;
	default:
		return -ENOTSUP;
	}
	return imb_get_errno(mgr) == 0 ? 0 : -ENOTSUP;
}

void
hso_imb_set_free(struct hso_imb_set *set)
{
	for (int a = 0; a < IMB_ARCH_NUM; a++) {
		if (set->mgr[a] != NULL)
			free_mb_mgr(set->mgr[a]);
		set->mgr[a] = NULL;
	}
}

/* The widest architecture present, for algorithms with no better rule. */
static IMB_ARCH
widest(const struct hso_imb_set *set)
{
	for (int a = IMB_ARCH_AVX512; a >= IMB_ARCH_SSE; a--)
		if (set->mgr[a] != NULL)
			return (IMB_ARCH)a;
	return IMB_ARCH_NONE;
}

int
hso_imb_set_init(struct hso_imb_set *set, const struct hso_imb_override *ovr)
{
	memset(set, 0, sizeof(*set));
	for (int a = IMB_ARCH_SSE; a < IMB_ARCH_NUM; a++) {
		IMB_MGR *m = alloc_mb_mgr(0);

		if (m == NULL) {
			hso_imb_set_free(set);
			return -ENOMEM;
		}
		if (mgr_init_arch(m, (IMB_ARCH)a) != 0) {
			free_mb_mgr(m);
			continue;
		}
		set->mgr[a] = m;
	}
	if (widest(set) == IMB_ARCH_NONE) {
		hso_imb_set_free(set);
		return -ENOTSUP;
	}
	for (int alg = 0; alg < HSO_IMB_ALG_NUM; alg++) {
		IMB_ARCH want = ovr != NULL ? ovr->arch[alg] : IMB_ARCH_NONE;

		if (want != IMB_ARCH_NONE) {
			if ((unsigned)want >= IMB_ARCH_NUM || set->mgr[want] == NULL) {
				hso_imb_set_free(set);
				return -ENOTSUP;
			}
			set->chosen[alg] = want;
			set->timed[alg] = 2;    /* configured */
			continue;
		}
		set->chosen[alg] = hso_imb_pick(set, (enum hso_imb_alg)alg,
						&set->timed[alg]);
	}
	return 0;
}

void
hso_imb_set_log(const struct hso_imb_set *set, FILE *out)
{
	for (int alg = 0; alg < HSO_IMB_ALG_NUM; alg++)
		fprintf(out, "hso: ipsec-mb %s: %s (%s)\n",
			hso_imb_alg_name((enum hso_imb_alg)alg),
			hso_imb_arch_name(set->chosen[alg]),
			set->timed[alg] == 2 ? "configured" :
			set->timed[alg] ? "self-timed" : "by CPU features");
}

/*
 * Self-timing for the HMAC algorithms, per candidate manager: bursts of
 * PICK_SMALL and PICK_LARGE HMACs over a PICK_MSG_LEN-byte message (a
 * typical HkdfLabel or PRF seed: one inner block), best of PICK_REPS after
 * one warm-up burst each; the cost of a manager is the sum of its per-HMAC
 * times at both sizes. Both sizes count because a worker's rounds range from
 * a few jobs (one connection's next step) to hundreds (a full burst), and
 * managers differ most there: on the EPYC development machine the AVX-512
 * manager ran 64-job HMAC-SHA256 bursts 5-8 % faster than the SSE one but
 * 8-job bursts about twice as slow. All of it is well under a millisecond
 * (the whole hso_imb_set_init, manager allocation included, takes ~2-3 ms
 * there; the budget is 20 ms). The CPU-feature rule gives the incumbent; a
 * challenger must be PICK_MARGIN_PCT cheaper to replace it, so that
 * managers within noise of each other do not flip between runs.
 * HSO_IMB_TRACE=1 in the environment prints the timings to stderr.
 */
#define PICK_SMALL 8
#define PICK_LARGE 64
#define PICK_MSG_LEN 64
#define PICK_REPS 5
#define PICK_MARGIN_PCT 8

static uint64_t
pick_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Best time of a burst of @p n HMACs on @p mgr, in ns per HMAC; 0 on error. */
static double
pick_time_hmac(IMB_MGR *mgr, IMB_HASH_ALG hash, int n)
{
	/* Pads and message contents do not matter for timing. */
	static const uint8_t pad[64] __attribute__((aligned(16)));
	static const uint8_t msg[PICK_MSG_LEN];
	IMB_JOB jobs[PICK_LARGE];
	uint8_t tags[PICK_LARGE][48];
	uint32_t tag_len = hash == IMB_AUTH_HMAC_SHA_256 ? 32 : 48;
	uint64_t best = UINT64_MAX;

	memset(jobs, 0, sizeof(jobs));
	for (int rep = 0; rep <= PICK_REPS; rep++) {
		uint64_t t0, t1;

		for (int i = 0; i < n; i++) {
			IMB_JOB *j = &jobs[i];

			j->cipher_mode = IMB_CIPHER_NULL;
			j->chain_order = IMB_ORDER_HASH_CIPHER;
			j->hash_alg = hash;
			j->src = msg;
			j->hash_start_src_offset_in_bytes = 0;
			j->msg_len_to_hash_in_bytes = PICK_MSG_LEN;
			j->auth_tag_output = tags[i];
			j->auth_tag_output_len_in_bytes = tag_len;
			j->u.HMAC._hashed_auth_key_xor_ipad = pad;
			j->u.HMAC._hashed_auth_key_xor_opad = pad;
		}
		t0 = pick_now_ns();
		if (IMB_SUBMIT_HASH_BURST(mgr, jobs, (uint32_t)n, hash) != (uint32_t)n)
			return 0;
		t1 = pick_now_ns();
		if (rep != 0 && t1 - t0 < best)
			best = t1 - t0;
	}
	return (double)best / n;
}

/*
 * Choose the architecture for @p alg. HMAC-SHA256/384 are self-timed: where
 * SHA-NI exists the SSE manager's 2-lane SHA-NI HMAC-SHA256 is expected to
 * beat the 8/16-lane AVX2/AVX-512 one, and SHA-384 (no SHA-NI) to want the
 * widest lanes, but which wins depends on the core and the library build,
 * so measure. (On a SHA-NI + AVX-512 EPYC with ipsec-mb 1.3 every manager
 * ran HMAC-SHA256 at ~62-70 ns, i.e. all on SHA-NI, AVX-512 a few percent
 * ahead of SSE; HMAC-SHA384 was ~4.7x faster on AVX-512 than on SSE.)
 * AES-GCM and ChaCha20-Poly1305 take the widest lanes (VAES, AVX-512 IFMA).
 *
 * @param set    managers to choose among (non-NULL entries)
 * @param alg    the algorithm
 * @param timed  set to 1 when the choice came from the self-timing
 * @return the chosen architecture; IMB_ARCH_NONE only for an empty set.
 */
IMB_ARCH
hso_imb_pick(const struct hso_imb_set *set, enum hso_imb_alg alg, uint8_t *timed)
{
	double small[IMB_ARCH_NUM] = { 0 }, large[IMB_ARCH_NUM] = { 0 };
	double cost[IMB_ARCH_NUM] = { 0 };
	IMB_HASH_ALG hash;
	IMB_ARCH incumbent = widest(set), best;
	const char *trace = getenv("HSO_IMB_TRACE");

	*timed = 0;
	if (alg == HSO_IMB_ALG_HMAC_SHA256) {
		hash = IMB_AUTH_HMAC_SHA_256;
		if (set->mgr[IMB_ARCH_SSE] != NULL &&
		    (set->mgr[IMB_ARCH_SSE]->features & IMB_FEATURE_SHANI))
			incumbent = IMB_ARCH_SSE;
	} else if (alg == HSO_IMB_ALG_HMAC_SHA384) {
		hash = IMB_AUTH_HMAC_SHA_384;
	} else {
		return incumbent;
	}
	for (int a = IMB_ARCH_SSE; a < IMB_ARCH_NUM; a++) {
		if (set->mgr[a] == NULL)
			continue;
		small[a] = pick_time_hmac(set->mgr[a], hash, PICK_SMALL);
		large[a] = pick_time_hmac(set->mgr[a], hash, PICK_LARGE);
		if (small[a] > 0 && large[a] > 0)
			cost[a] = small[a] + large[a];
	}
	if (incumbent == IMB_ARCH_NONE || cost[incumbent] == 0)
		return incumbent;
	best = incumbent;
	for (int a = IMB_ARCH_SSE; a < IMB_ARCH_NUM; a++) {
		if (cost[a] == 0)
			continue;
		if (cost[a] * 100 < cost[best] * (100 - PICK_MARGIN_PCT) ||
		    (best != incumbent && cost[a] < cost[best]))
			best = (IMB_ARCH)a;
	}
	*timed = 1;
	if (trace != NULL && trace[0] != '\0' && trace[0] != '0') {
		fprintf(stderr, "hso: ipsec-mb %s self-timing, ns per HMAC in bursts "
			"of %d/%d:", hso_imb_alg_name(alg), PICK_SMALL, PICK_LARGE);
		for (int a = IMB_ARCH_SSE; a < IMB_ARCH_NUM; a++)
			if (cost[a] != 0)
				fprintf(stderr, " %s %.1f/%.1f",
					hso_imb_arch_name((IMB_ARCH)a), small[a], large[a]);
		fprintf(stderr, " -> %s\n", hso_imb_arch_name(best));
	}
	return best;
}
