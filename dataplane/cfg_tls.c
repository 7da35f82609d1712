/* SPDX-License-Identifier: BSD-3-Clause */
/* TLS names in configurations; contract in cfg_tls.h. */
#include <errno.h>
#include <string.h>

#include "cfg_tls.h"
#include "cfg_util.h"
#include "negotiate.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

struct name_code {
	const char *name;
	uint16_t code;
};

/*
 * Well-known suites hso does not implement, so that a list copied from
 * elsewhere is refused with the reason rather than as unknown.
 */
static const char *const suites_unsupported[] = {
	"TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
	"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA",
	"TLS_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256",
	"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
};

static const struct name_code group_names[] = {
	{ "x25519", HS_GROUP_X25519 },
	{ "secp256r1", HS_GROUP_SECP256R1 },
	{ "prime256v1", HS_GROUP_SECP256R1 },   /* OpenSSL's name */
	{ "P-256", HS_GROUP_SECP256R1 },        /* NIST's name */
	{ "secp384r1", HS_GROUP_SECP384R1 },
	{ "P-384", HS_GROUP_SECP384R1 },
	{ "secp521r1", 0x0019 },
	{ "x448", 0x001e },
	{ "ffdhe2048", 0x0100 },
	{ "ffdhe3072", 0x0101 },
};

static const struct name_code sigalg_names[] = {
	{ "rsa_pkcs1_sha256", HS_SIG_RSA_PKCS1_SHA256 },
	{ "rsa_pkcs1_sha384", HS_SIG_RSA_PKCS1_SHA384 },
	{ "rsa_pkcs1_sha512", 0x0601 },
	{ "ecdsa_secp256r1_sha256", HS_SIG_ECDSA_SECP256R1_SHA256 },
	{ "ecdsa_secp384r1_sha384", HS_SIG_ECDSA_SECP384R1_SHA384 },
	{ "ecdsa_secp521r1_sha512", 0x0603 },
	{ "rsa_pss_rsae_sha256", HS_SIG_RSA_PSS_RSAE_SHA256 },
	{ "rsa_pss_rsae_sha384", HS_SIG_RSA_PSS_RSAE_SHA384 },
	{ "rsa_pss_rsae_sha512", 0x0806 },
	{ "ed25519", 0x0807 },
	{ "ed448", 0x0808 },
	{ "rsa_pss_pss_sha256", 0x0809 },
	{ "rsa_pss_pss_sha384", 0x080a },
	{ "rsa_pss_pss_sha512", 0x080b },
	{ "rsa_pkcs1_sha1", 0x0201 },
	{ "ecdsa_sha1", 0x0203 },
};

static bool
code_in(const uint16_t *list, unsigned n, uint16_t code)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == code)
			return true;
	return false;
}

static const char *
code_name(const struct name_code *t, size_t n, uint16_t code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return "?";
}

const char *
cfg_tls_group_name(uint16_t code)
{
	return code_name(group_names, DIM(group_names), code);
}

const char *
cfg_tls_sigalg_name(uint16_t code)
{
	return code_name(sigalg_names, DIM(sigalg_names), code);
}

int
cfg_tls_parse_suites(const char *s, uint16_t *dst, unsigned max, unsigned *n_dst,
		     char *why, size_t wl)
{
	uint16_t out[HS_POLICY_MAX_SUITES];
	struct hs_nego_policy def;
	unsigned n = 0;
	struct cfg_list it;
	const char *item;
	size_t len;

	hs_nego_policy_default(&def);
	for (cfg_list_start(&it, s); cfg_list_next(&it, &item, &len);) {
		const struct hs_suite_info *si = NULL;

		if (len == 0)
			return cfg_errf(why, wl, "empty item in the list");
		for (unsigned i = 0; i < def.n_suites && si == NULL; i++) {
			const struct hs_suite_info *x = hs_suite_find(def.suites[i]);

			if (x != NULL && cfg_item_is(item, len, x->name))
				si = x;
		}
		if (si == NULL) {
			for (size_t i = 0; i < DIM(suites_unsupported); i++)
				if (cfg_item_is(item, len, suites_unsupported[i]))
					return cfg_errf(why, wl, "cipher suite '%.*s' is not "
							"implemented by hso", (int)len, item);
			return cfg_errf(why, wl, "unknown cipher suite '%.*s' (IANA names "
					"such as TLS_AES_128_GCM_SHA256)", (int)len, item);
		}
		if (code_in(out, n, si->id))
			return cfg_errf(why, wl, "'%s' listed twice", si->name);
		if (n == max || n == DIM(out))
			return cfg_errf(why, wl, "more than %u suites", max);
		out[n++] = si->id;
	}
	if (n == 0)
		return cfg_errf(why, wl, "no cipher suite given");
	memcpy(dst, out, n * sizeof(out[0]));
	*n_dst = n;
	return 0;
}

static int
parse_codes(const char *s, const struct name_code *t, size_t nt, const uint16_t *supported,
	    unsigned n_supported, const char *what, uint16_t *dst, unsigned max,
	    unsigned *n_dst, char *why, size_t wl)
{
	uint16_t out[16];
	unsigned n = 0;
	struct cfg_list it;
	const char *item;
	size_t len;

	for (cfg_list_start(&it, s); cfg_list_next(&it, &item, &len);) {
		const struct name_code *hit = NULL;

		if (len == 0)
			return cfg_errf(why, wl, "empty item in the list");
		for (size_t i = 0; i < nt && hit == NULL; i++)
			if (cfg_item_is(item, len, t[i].name))
				hit = &t[i];
		if (hit == NULL)
			return cfg_errf(why, wl, "unknown %s '%.*s'", what, (int)len, item);
		if (!code_in(supported, n_supported, hit->code))
			return cfg_errf(why, wl, "%s '%.*s' is not implemented by hso",
					what, (int)len, item);
		if (code_in(out, n, hit->code))
			return cfg_errf(why, wl, "'%.*s' listed twice", (int)len, item);
		if (n == max || n == DIM(out))
			return cfg_errf(why, wl, "more than %u %ss", max, what);
		out[n++] = hit->code;
	}
	if (n == 0)
		return cfg_errf(why, wl, "no %s given", what);
	memcpy(dst, out, n * sizeof(out[0]));
	*n_dst = n;
	return 0;
}

int
cfg_tls_parse_groups(const char *s, uint16_t *out, unsigned max, unsigned *n,
		     char *why, size_t wl)
{
	struct hs_nego_policy def;

	hs_nego_policy_default(&def);
	return parse_codes(s, group_names, DIM(group_names), def.groups, def.n_groups,
			   "group", out, max, n, why, wl);
}

int
cfg_tls_parse_sigalgs(const char *s, uint16_t *out, unsigned max, unsigned *n,
		      char *why, size_t wl)
{
	struct hs_nego_policy def;

	hs_nego_policy_default(&def);
	return parse_codes(s, sigalg_names, DIM(sigalg_names), def.sigalgs, def.n_sigalgs,
			   "signature scheme", out, max, n, why, wl);
}

int
cfg_tls_parse_alpn(const char *s, uint8_t *dst, size_t cap, uint16_t *dst_len,
		   char *why, size_t wl)
{
	uint8_t wire[HS_POLICY_ALPN_MAX];
	size_t off = 0;
	struct cfg_list it;
	const char *item;
	size_t len;

	if (cap > sizeof(wire))
		cap = sizeof(wire);
	for (cfg_list_start(&it, s); cfg_list_next(&it, &item, &len);) {
		/* RFC 7301 3.1: "opaque ProtocolName<1..2^8-1>". */
		if (len == 0)
			return cfg_errf(why, wl, "empty item in the list (names are 1..255 bytes)");
		if (len > 255)
			return cfg_errf(why, wl, "protocol '%.20s...' longer than 255 bytes", item);
		for (size_t o = 0; o < off; o += 1u + wire[o])
			if (wire[o] == len && memcmp(wire + o + 1, item, len) == 0)
				return cfg_errf(why, wl, "'%.*s' listed twice", (int)len, item);
		if (off + 1 + len > cap)
			return cfg_errf(why, wl, "the list takes more than %zu bytes on the wire",
					cap);
		wire[off] = (uint8_t)len;
		memcpy(wire + off + 1, item, len);
		off += 1 + len;
	}
	memcpy(dst, wire, off);
	*dst_len = (uint16_t)off;
	return 0;
}
