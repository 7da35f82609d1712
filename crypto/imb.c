/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker intel-ipsec-mb managers and the per-algorithm choice of
 * architecture. See crypto_imb.h for why one manager is not enough.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

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
			set->timed[alg] ? "self-timed" : "by CPU features");
}

/*
 * Default choice: SHA-256 HMAC prefers the SSE manager when the CPU has
 * SHA-NI (ipsec-mb uses SHA-NI only there); everything else the widest lanes.
 * TODO(kdf): replace with a short self-timing of each candidate.
 */
IMB_ARCH
hso_imb_pick(const struct hso_imb_set *set, enum hso_imb_alg alg, uint8_t *timed)
{
	*timed = 0;
	if (alg == HSO_IMB_ALG_HMAC_SHA256 && set->mgr[IMB_ARCH_SSE] != NULL &&
	    (set->mgr[IMB_ARCH_SSE]->features & IMB_FEATURE_SHANI))
		return IMB_ARCH_SSE;
	return widest(set);
}
