/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipsec-mb manager sets: init, a manager for every algorithm, overrides to
 * supported and unsupported architectures, the self-timed pick for the
 * HMAC algorithms (sane, stable where the gap is wide, fast), the log, and
 * the architecture names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "crypto.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
test_init(void)
{
	struct hso_imb_set set;
	double t0 = now_ms(), dt;

	CHECK_EQ(hso_imb_set_init(&set, NULL), 0);
	dt = now_ms() - t0;
	printf("imb: set init with self-timing took %.2f ms\n", dt);
	/* The brief is < 20 ms; leave room for sanitizer builds. */
	CHECK_MSG(dt < 200.0, "init took %.2f ms", dt);
	for (int alg = 0; alg < HSO_IMB_ALG_NUM; alg++) {
		CHECK(hso_imb_mgr(&set, (enum hso_imb_alg)alg) != NULL);
		CHECK(set.chosen[alg] >= IMB_ARCH_SSE && set.chosen[alg] < IMB_ARCH_NUM);
	}
	CHECK_EQ(set.timed[HSO_IMB_ALG_HMAC_SHA256], 1);
	CHECK_EQ(set.timed[HSO_IMB_ALG_HMAC_SHA384], 1);
	CHECK_EQ(set.timed[HSO_IMB_ALG_AES_GCM], 0);
	CHECK_EQ(set.timed[HSO_IMB_ALG_CHACHA20_POLY1305], 0);
	hso_imb_set_free(&set);
	hso_imb_set_free(&set);   /* twice is harmless */
}

static void
test_override(void)
{
	struct hso_imb_override ovr;
	struct hso_imb_set set;

	/* Supported: SSE exists on every CPU ipsec-mb runs on. */
	memset(&ovr, 0, sizeof(ovr));   /* IMB_ARCH_NONE everywhere: pick */
	ovr.arch[HSO_IMB_ALG_HMAC_SHA384] = IMB_ARCH_SSE;
	CHECK_EQ(hso_imb_set_init(&set, &ovr), 0);
	CHECK_EQ(set.chosen[HSO_IMB_ALG_HMAC_SHA384], IMB_ARCH_SSE);
	CHECK_EQ(set.timed[HSO_IMB_ALG_HMAC_SHA384], 2);   /* configured */
	CHECK_EQ(set.timed[HSO_IMB_ALG_HMAC_SHA256], 1);
	CHECK(hso_imb_mgr(&set, HSO_IMB_ALG_HMAC_SHA384) == set.mgr[IMB_ARCH_SSE]);
	hso_imb_set_free(&set);

	/* Unsupported: no set ever holds a "noaesni" manager. */
	ovr.arch[HSO_IMB_ALG_HMAC_SHA384] = IMB_ARCH_NOAESNI;
	CHECK_EQ(hso_imb_set_init(&set, &ovr), -ENOTSUP);
	for (int a = 0; a < IMB_ARCH_NUM; a++)
		CHECK(set.mgr[a] == NULL);
	/* Out of range. */
	ovr.arch[HSO_IMB_ALG_HMAC_SHA384] = IMB_ARCH_NUM;
	CHECK_EQ(hso_imb_set_init(&set, &ovr), -ENOTSUP);
	/* Every architecture this CPU has can be forced. */
	CHECK_EQ(hso_imb_set_init(&set, NULL), 0);
	for (int a = IMB_ARCH_SSE; a < IMB_ARCH_NUM; a++) {
		struct hso_imb_set s2;

		if (set.mgr[a] == NULL)
			continue;
		for (int alg = 0; alg < HSO_IMB_ALG_NUM; alg++)
			ovr.arch[alg] = (IMB_ARCH)a;
		CHECK_EQ(hso_imb_set_init(&s2, &ovr), 0);
		for (int alg = 0; alg < HSO_IMB_ALG_NUM; alg++)
			CHECK_EQ(s2.chosen[alg], a);
		hso_imb_set_free(&s2);
	}
	hso_imb_set_free(&set);
}

/*
 * The pick is timed, so only sanity: the choice is one of the managers
 * present, and over a few inits the SHA-384 choice (where the widest lanes
 * win by a factor) does not change.
 */
static void
test_pick_stable(void)
{
	IMB_ARCH first384 = IMB_ARCH_NONE;
	int same = 0;

	for (int i = 0; i < 3; i++) {
		struct hso_imb_set set;

		CHECK_EQ(hso_imb_set_init(&set, NULL), 0);
		CHECK(set.mgr[set.chosen[HSO_IMB_ALG_HMAC_SHA256]] != NULL);
		CHECK(set.mgr[set.chosen[HSO_IMB_ALG_HMAC_SHA384]] != NULL);
		if (i == 0)
			first384 = set.chosen[HSO_IMB_ALG_HMAC_SHA384];
		same += set.chosen[HSO_IMB_ALG_HMAC_SHA384] == first384;
		hso_imb_set_free(&set);
	}
	CHECK_MSG(same >= 2, "SHA-384 pick changed in %d of 3 inits", 3 - same);
}

static void
test_log(void)
{
	struct hso_imb_set set;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK_EQ(hso_imb_set_init(&set, NULL), 0);
	hso_imb_set_log(&set, f);
	fclose(f);
	printf("%s", buf);
	for (int alg = 0; alg < HSO_IMB_ALG_NUM; alg++)
		CHECK(strstr(buf, hso_imb_alg_name((enum hso_imb_alg)alg)) != NULL);
	CHECK(strstr(buf, "self-timed") != NULL);
	CHECK(strstr(buf, "by CPU features") != NULL);
	CHECK(strstr(buf, hso_imb_arch_name(set.chosen[HSO_IMB_ALG_HMAC_SHA256])) != NULL);
	free(buf);
	hso_imb_set_free(&set);
}

static void
test_names(void)
{
	for (int a = IMB_ARCH_SSE; a < IMB_ARCH_NUM; a++)
		CHECK_EQ(hso_imb_arch_parse(hso_imb_arch_name((IMB_ARCH)a)), a);
	CHECK_EQ(hso_imb_arch_parse("AVX512"), IMB_ARCH_AVX512);
	CHECK_EQ(hso_imb_arch_parse("bogus"), IMB_ARCH_NONE);
	CHECK_EQ(hso_imb_arch_parse(NULL), IMB_ARCH_NONE);
	CHECK(strcmp(hso_imb_arch_name(IMB_ARCH_NUM), "invalid") == 0);
	CHECK(strcmp(hso_imb_alg_name(HSO_IMB_ALG_NUM), "invalid") == 0);
	CHECK(strcmp(hso_imb_alg_name(HSO_IMB_ALG_HMAC_SHA384), "hmac-sha384") == 0);
}

static void
test_override_parse(void)
{
	struct hso_imb_override o;
	char err[256] = "";

	CHECK_EQ(hso_imb_override_parse(&o, "hmac-sha256=sse,hmac-sha384=avx2", err, sizeof(err)), 0);
	CHECK_EQ(o.arch[HSO_IMB_ALG_HMAC_SHA256], IMB_ARCH_SSE);
	CHECK_EQ(o.arch[HSO_IMB_ALG_HMAC_SHA384], IMB_ARCH_AVX2);
	CHECK_EQ(o.arch[HSO_IMB_ALG_AES_GCM], IMB_ARCH_NONE);
	CHECK_EQ(hso_imb_override_parse(&o, "all=avx,aes-gcm=auto", err, sizeof(err)), 0);
	CHECK_EQ(o.arch[HSO_IMB_ALG_CHACHA20_POLY1305], IMB_ARCH_AVX);
	CHECK_EQ(o.arch[HSO_IMB_ALG_AES_GCM], IMB_ARCH_NONE);
	CHECK_EQ(hso_imb_override_parse(&o, "", err, sizeof(err)), 0);
	CHECK_EQ(hso_imb_override_parse(&o, NULL, err, sizeof(err)), 0);
	CHECK_EQ(hso_imb_override_parse(&o, "hmac-md5=sse", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "hmac-md5") != NULL);
	CHECK_EQ(hso_imb_override_parse(&o, "aes-gcm=avx1024", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "avx1024") != NULL);
	CHECK_EQ(hso_imb_override_parse(&o, "aes-gcm", err, sizeof(err)), -EINVAL);
	CHECK_EQ(hso_imb_override_parse(&o, "aes-gcm=sse,", err, sizeof(err)), 0);
	CHECK_EQ(hso_imb_override_parse(&o, "=sse", err, sizeof(err)), -EINVAL);
}

int
main(void)
{
	test_init();
	test_override();
	test_pick_stable();
	test_log();
	test_names();
	test_override_parse();
	return check_result("imb");
}
