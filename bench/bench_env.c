/* SPDX-License-Identifier: BSD-3-Clause */
/* hso-bench's environment: the ipsec-mb override, logged at start-up. */
#include <stdio.h>
#include <stdlib.h>

#include "bench_env.h"

static struct hso_imb_override ovr;

static void __attribute__((constructor))
bench_env_init(void)
{
	struct hso_imb_set set;
	char err[256];

	if (hso_imb_override_parse(&ovr, getenv("HSO_IMB_ARCH"), err, sizeof(err)) != 0) {
		fprintf(stderr, "hso-bench: HSO_IMB_ARCH: %s\n", err);
		exit(2);
	}
	if (hso_imb_set_init(&set, &ovr) != 0) {
		fprintf(stderr, "hso-bench: HSO_IMB_ARCH names an architecture this CPU lacks\n");
		exit(2);
	}
	hso_imb_set_log(&set, stderr);
	hso_imb_set_free(&set);
}

const struct hso_imb_override *
hso_bench_imb_override(void)
{
	return &ovr;
}
