/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder until written. */
#include "bench.h"
typedef int hso_placeholder_bench_aead;
