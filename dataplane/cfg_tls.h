/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_CFG_TLS_H
#define HSO_DATAPLANE_CFG_TLS_H

/**
 * @file
 * TLS names in configurations (hsod's, hso-gen's): cipher suites by IANA
 * name, groups and signature schemes by their RFC 8446 names (and common
 * aliases), ALPN lists. What hso implements is decided by the engine's
 * default policy (hs_nego_policy_default()), not by these tables; a known
 * name hso does not implement is refused as such. Errors in @c why,
 * -EINVAL returned (cfg_util.h style).
 */

#include <stddef.h>
#include <stdint.h>

/** Comma-separated suites into @p out (at most @p max), in order. */
int cfg_tls_parse_suites(const char *s, uint16_t *out, unsigned max, unsigned *n,
			 char *why, size_t wl);
/** Comma-separated groups (x25519, secp256r1, ...). */
int cfg_tls_parse_groups(const char *s, uint16_t *out, unsigned max, unsigned *n,
			 char *why, size_t wl);
/** Comma-separated signature schemes (ecdsa_secp256r1_sha256, ...). */
int cfg_tls_parse_sigalgs(const char *s, uint16_t *out, unsigned max, unsigned *n,
			  char *why, size_t wl);
/**
 * Comma-separated protocols into ALPN wire form (RFC 7301: u8-length
 * prefixed), at most @p cap bytes; an empty list gives *len 0.
 */
int cfg_tls_parse_alpn(const char *s, uint8_t *wire, size_t cap, uint16_t *len,
		       char *why, size_t wl);

/** Names for output ("x25519", "ecdsa_secp256r1_sha256"; "?" if unknown). */
const char *cfg_tls_group_name(uint16_t code);
const char *cfg_tls_sigalg_name(uint16_t code);

#endif
