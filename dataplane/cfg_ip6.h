/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_CFG_IP6_H
#define HSO_DATAPLANE_CFG_IP6_H

/*
 * IPv6 addresses in configuration values (no DPDK): "ADDR" or "[ADDR]",
 * with "/LEN" for a prefix. The brackets let a flag say the port first
 * without ambiguity: --addr6 1:[2001:db8:1::2]/64 (cfg_util's "N:").
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * A unicast address a host may have or talk to: not unspecified, loopback,
 * multicast or in ::/8 (IPv4-compatible and reserved; which also keeps
 * "1:2001:db8::2", a port prefix without brackets, from reading as an
 * address). @p link_local: fe80::/10 accepted (a gateway) or refused (our
 * own address). @return 0; -EINVAL with @p why.
 */
int cfg_parse_ipv6(const char *s, bool link_local, uint8_t out[16], char *why, size_t wl);

/** "ADDR/LEN", LEN 1..128, ADDR as cfg_parse_ipv6() without link-local. */
int cfg_parse_ipv6_prefix(const char *s, uint8_t out[16], unsigned *len, char *why, size_t wl);

/** The first @p len bits of @p a and @p b agree. */
bool cfg_ip6_prefix_eq(const uint8_t a[16], const uint8_t b[16], unsigned len);

/** fe80::/10 */
static inline bool
cfg_ip6_is_linklocal(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/** All zero (unset). */
bool cfg_ip6_is_unset(const uint8_t a[16]);

/** "ADDR/LEN" (or "ADDR" when @p len is 0) into @p buf. */
const char *cfg_ip6_str(const uint8_t a[16], unsigned len, char *buf, size_t blen);

#endif
