/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv6 addresses in configuration values; see cfg_ip6.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfg_ip6.h"
#include "cfg_util.h"

bool
cfg_ip6_is_unset(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

bool
cfg_ip6_prefix_eq(const uint8_t a[16], const uint8_t b[16], unsigned len)
{
	unsigned bytes = len / 8, bits = len % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	return bits == 0 || ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

const char *
cfg_ip6_str(const uint8_t a[16], unsigned len, char *buf, size_t blen)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, ip, sizeof(ip));
	if (len != 0)
		snprintf(buf, blen, "%s/%u", ip, len);
	else
		snprintf(buf, blen, "%s", ip);
	return buf;
}

/* @p n bytes of @p s, brackets taken off, into @p buf; false when unbalanced. */
static bool
unbracket(const char *s, size_t n, char *buf, size_t blen)
{
	if (n > 0 && s[0] == '[') {
		if (n < 2 || s[n - 1] != ']')
			return false;
		s++;
		n -= 2;
	} else if (memchr(s, '[', n) != NULL || memchr(s, ']', n) != NULL) {
		return false;
	}
	if (n >= blen)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

static int
ip6_check(const uint8_t a[16], bool link_local, char *why, size_t wl)
{
	if (cfg_ip6_is_unset(a))
		return cfg_errf(why, wl, "the unspecified address :: is not a host address");
	if (a[0] == 0xff)
		return cfg_errf(why, wl, "a multicast address, not a host address");
	/* ::1, ::/96, ::ffff:0:0/96 and the rest of ::/8 (RFC 4291 2.4). */
	if (a[0] == 0)
		return cfg_errf(why, wl, "in ::/8 (loopback, IPv4-compatible or reserved), not "
				"a host address (for port N, write N:[ADDR])");
	if (!link_local && cfg_ip6_is_linklocal(a))
		return cfg_errf(why, wl, "a link-local address (fe80::/10): give a global or "
				"unique-local one");
	return 0;
}

int
cfg_parse_ipv6(const char *s, bool link_local, uint8_t out[16], char *why, size_t wl)
{
	char ip[INET6_ADDRSTRLEN + 2];
	uint8_t a[16];

	if (!unbracket(s, strlen(s), ip, sizeof(ip)) || inet_pton(AF_INET6, ip, a) != 1)
		return cfg_errf(why, wl, "not an IPv6 address (ADDR or [ADDR])");
	if (ip6_check(a, link_local, why, wl) != 0)
		return -EINVAL;
	memcpy(out, a, 16);
	return 0;
}

int
cfg_parse_ipv6_prefix(const char *s, uint8_t out[16], unsigned *plen, char *why, size_t wl)
{
	const char *slash = strrchr(s, '/');
	char ip[INET6_ADDRSTRLEN + 2];
	uint8_t a[16];
	uint32_t len;

	if (slash == NULL)
		return cfg_errf(why, wl, "needs a prefix length, e.g. 2001:db8::2/64");
	if (!unbracket(s, (size_t)(slash - s), ip, sizeof(ip)) ||
	    inet_pton(AF_INET6, ip, a) != 1)
		return cfg_errf(why, wl, "not an IPv6 address ADDR/LEN or [ADDR]/LEN");
	if (ip6_check(a, false, why, wl) != 0)
		return -EINVAL;
	if (cfg_parse_u32(slash + 1, 1, 128, &len, why, wl) != 0)
		return cfg_errf(why, wl, "bad prefix length (1..128)");
	memcpy(out, a, 16);
	*plen = len;
	return 0;
}
