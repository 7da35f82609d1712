/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder until written; replaced by its owner. */
#include "crypto.h"
typedef int hso_placeholder_stek;
