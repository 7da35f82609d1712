/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hsod's configuration: one table of keys drives the file parser, the flag
 * parser and the --help text, so a key cannot exist in one and be missing
 * from another.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cfgfile.h>

#include "cfg_util.h"
#include "config.h"

/* Where a message may quote a value: enough for any value we accept. */
#define WHY_LEN 512

enum key_type {
	KT_U32,         /* decimal, [min, max] */
	KT_BOOL,
	KT_PATH,        /* a string < HSOD_PATH_MAX, "" allowed */
	KT_ADDR,        /* A.B.C.D/LEN, a port's (per port) */
	KT_IPV4,        /* A.B.C.D, a port's gateway (per port) */
	KT_PORTS,
	KT_VERSIONS,
	KT_SUITES,
	KT_GROUPS,
	KT_SIGALGS,
	KT_ALPN,
	KT_APP,
	KT_BODY,        /* text with \n \r \t \\ escapes */
	KT_IMB,
};

struct key_def {
	const char *section;
	const char *name;
	const char *flag;       /* without "--"; NULL: file only */
	const char *metavar;    /* value shape; NULL for booleans */
	enum key_type type;
	size_t off;             /* KT_U32, KT_BOOL, KT_PATH */
	uint32_t min, max;      /* KT_U32 */
	const char *help;
};

#define F(m) offsetof(struct hsod_config, m)
/* How [port N] sections are named in the table and in --help. */
#define PORT_SECTION "port N"

static const struct key_def keys[] = {
	{ "net", "addr", "addr", "A.B.C.D/LEN", KT_ADDR, 0, 0, 0,
	  "port 0's IPv4 address and its subnet's prefix length (required; or "
	  "[port 0] addr)" },
	{ "net", "gateway", "gateway", "A.B.C.D", KT_IPV4, 0, 0, 0,
	  "port 0's next hop for peers outside its subnet; must be inside it (or "
	  "[port 0] gateway)" },
	{ "net", "listen", "listen", "PORT[,PORT...]", KT_PORTS, 0, 0, 0,
	  "TCP ports that accept TLS, 1..65535 (required; the flag may repeat)" },
	{ "net", "mbufs", "mbufs", "N", KT_U32, F(mbufs), 1024, 1u << 26,
	  "mbufs per port (one pool of mbufs x ports), 1024..67108864" },
	{ "net", "tx_offload", "tx-offload", NULL, KT_BOOL, F(tx_offload), 0, 0,
	  "let the port compute IPv4 and TCP checksums when it offers to; no (or "
	  "--no-tx-offload): always computed in software" },
	{ "tls", "versions", "tls-versions", "LIST", KT_VERSIONS, 0, 0, 0,
	  "protocol versions: 1.2, 1.3" },
	{ "tls", "ciphers", "ciphers", "LIST", KT_SUITES, 0, 0, 0,
	  "cipher suites by IANA name, server preference first; suites of a "
	  "disabled version are dropped, every enabled version needs one" },
	{ "tls", "groups", "groups", "LIST", KT_GROUPS, 0, 0, 0,
	  "key-exchange groups, server preference first: x25519, secp256r1" },
	{ "tls", "sigalgs", "sigalgs", "LIST", KT_SIGALGS, 0, 0, 0,
	  "signature schemes (TLS names), server preference first: "
	  "ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512, "
	  "ecdsa_sha224, rsa_pss_rsae_sha256, rsa_pss_rsae_sha384, rsa_pss_rsae_sha512, "
	  "rsa_pkcs1_sha256, rsa_pkcs1_sha384, rsa_pkcs1_sha512 (TLS 1.2: an ECDSA "
	  "key signs with any ECDSA hash listed; TLS 1.3: the curve must match)" },
	{ "tls", "alpn", "alpn", "LIST", KT_ALPN, 0, 0, 0,
	  "ALPN protocols, server preference first, 1..255 bytes each "
	  "(e.g. h2,http/1.1); a client offering none of them is refused "
	  "(no_application_protocol, RFC 7301); empty: no ALPN" },
	{ "tls", "sni_strict", "sni-strict", NULL, KT_BOOL, F(sni_strict), 0, 0,
	  "refuse a client whose SNI matches no certificate (else: the default one)" },
	{ "tls", "export_keys", "export-keys", NULL, KT_BOOL, F(export_keys), 0, 0,
	  "let the application obtain traffic keys (kTLS, NIC offload); whoever "
	  "holds them can read and forge the session" },
	{ "tls", "max_handshake_msg", "max-handshake-msg", "BYTES", KT_U32,
	  F(max_handshake_msg), 512, HS_MAX_MSG_LIMIT,
	  "largest handshake message accepted from a client, 512..16777215 (the "
	  "default takes the largest ClientHello possible); above 16384 a message "
	  "is gathered in one of the worker's large_msg_bufs buffers" },
	{ "tls", "large_msg_bufs", "large-msg-bufs", "N", KT_U32, F(large_msg_bufs),
	  0, 65536, "buffers of max_handshake_msg bytes per worker for handshake "
	  "messages above 16384 bytes, i.e. handshakes that may gather one at once; "
	  "one more fails (internal_error) and is counted, 0..65536" },
	{ "tls", "session_cache", "session-cache", "N", KT_U32, F(session_cache),
	  0, 1u << 20, "TLS 1.2 session-id cache entries per worker, 0..1048576 "
	  "(0: no cache)" },
	{ "tickets", "key_file", "ticket-key-file", "FILE", KT_PATH, F(ticket_key_file),
	  0, 0, "session-ticket keys shared by a fleet (80-byte records, the first "
	  "seals); none: keys generated at start and rotated" },
	{ "tickets", "lifetime", "ticket-lifetime", "SECONDS", KT_U32, F(ticket_lifetime),
	  1, 604800, "how long a ticket stays valid, 1..604800 (RFC 8446 4.6.1)" },
	{ "tickets", "rotation", "ticket-rotation", "SECONDS", KT_U32, F(ticket_rotation),
	  1, 604800, "how long a generated ticket key seals before the next one, "
	  "1..604800 (not used with key_file)" },
	{ "tickets", "psk_ke", NULL, NULL, KT_BOOL, F(psk_ke), 0, 0,
	  "accept TLS 1.3 resumption without ECDHE (psk_ke: no forward secrecy)" },
	{ "limits", "max_conns", "max-conns", "N", KT_U32, F(max_conns), 1, 1u << 24,
	  "TCP connections at once, 1..16777216" },
	{ "limits", "max_half_open", "max-half-open", "N", KT_U32, F(max_half_open),
	  1, 1u << 24, "connections in SYN-RECEIVED before SYN cookies, "
	  "1..max_conns" },
	{ "limits", "handshake_timeout_ms", "handshake-timeout", "MS", KT_U32,
	  F(handshake_timeout_ms), 1, 600000,
	  "time from SYN to a finished TLS handshake, 1..600000" },
	{ "limits", "idle_timeout_ms", "idle-timeout", "MS", KT_U32,
	  F(idle_timeout_ms), 1, 86400000,
	  "time an established connection may stay silent, 1..86400000" },
	{ "app", "type", "app", "http|echo|external", KT_APP, 0, 0, 0,
	  "what gets the sessions: built-in HTTP/1.1 responder, built-in echo, "
	  "or a separate process on the rings" },
	{ "app", "conn_budget", "app-conn-budget", "BYTES", KT_U32, F(app_conn_budget),
	  4096, 1u << 30, "plaintext a connection may have delivered to the application "
	  "and not yet released, 4096..1073741824; past it hsod stops reading the "
	  "connection and its TCP window closes" },
	{ "app", "http_status", "http-status", "CODE", KT_U32, F(http_status),
	  100, 599, "status of the HTTP responder, 100..599" },
	{ "app", "http_body", "http-body", "TEXT", KT_BODY, 0, 0, 0,
	  "body of the HTTP responder; escapes \\n \\r \\t \\\\" },
	{ "crypto", "imb_arch", "imb-arch", "SPEC", KT_IMB, 0, 0, 0,
	  "force ipsec-mb managers: ALG=ARCH pairs, ALG one of hmac-sha256, "
	  "hmac-sha384, aes-gcm, chacha20-poly1305, all; ARCH one of sse, avx, "
	  "avx2, avx512, auto; empty: chosen at start-up" },
	/* [port N]: the flags are [net]'s with an "N:" prefix. */
	{ PORT_SECTION, "addr", NULL, "A.B.C.D/LEN", KT_ADDR, 0, 0, 0,
	  "port N's IPv4 address and prefix length (required for every port; "
	  "--addr N:A.B.C.D/LEN); the subnets of two ports must not overlap" },
	{ PORT_SECTION, "gateway", NULL, "A.B.C.D", KT_IPV4, 0, 0, 0,
	  "port N's next hop for peers outside its subnet; must be inside it "
	  "(--gateway N:A.B.C.D)" },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const sections[] = {
	"net", PORT_SECTION, "tls", "tickets", "limits", "app", "crypto",
};

/*
 * Where each setting came from, for the checks that need several. A port's
 * address or gateway from the file came from [net] (ORIGIN_FILE, port 0)
 * or from its [port N] section (ORIGIN_FILE_PORT).
 */
enum origin { ORIGIN_DEFAULT = 0, ORIGIN_FILE, ORIGIN_FLAG, ORIGIN_FILE_PORT };

/* The per-port keys: a port's address and its gateway. */
enum { PK_ADDR = 0, PK_GATEWAY, PK_NUM };

struct pstate {
	const char *file;           /* the config file, or NULL */
	uint8_t origin[N_KEYS];     /* per-port keys: port_origin */
	uint8_t port_origin[HSOD_MAX_PORTS][PK_NUM];
	bool port_named[HSOD_MAX_PORTS];    /* by a section or a flag */
	bool listen_flag_seen;      /* the first --listen replaces the file's */
	unsigned n_flag_certs;
};

static bool
key_per_port(const struct key_def *k)
{
	return k->type == KT_ADDR || k->type == KT_IPV4;
}

static unsigned
port_key(const struct key_def *k)
{
	return k->type == KT_ADDR ? PK_ADDR : PK_GATEWAY;
}

/* ---- lists ---------------------------------------------------------- */

struct list_iter {
	const char *p;
	bool done;
};

static void
list_start(struct list_iter *it, const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	it->p = s;
	/* An empty (or all-blank) value is an empty list, not one empty item. */
	it->done = *s == '\0';
}

/* Next comma-separated item, blanks trimmed; false at the end. */
static bool
list_next(struct list_iter *it, const char **item, size_t *len)
{
	const char *s = it->p, *e;

	if (it->done)
		return false;
	e = strchr(s, ',');
	if (e == NULL) {
		e = s + strlen(s);
		it->done = true;
	} else {
		it->p = e + 1;
	}
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*item = s;
	*len = (size_t)(e - s);
	return true;
}

static bool
item_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(s, name, len) == 0;
}

/* Each item of a list (len 0 for an empty one: the caller decides). */
#define LIST_FOREACH(it_, val_, s_, n_) \
	for (list_start(&(it_), (val_)); list_next(&(it_), &(s_), &(n_));)

/* ---- names of TLS code points --------------------------------------- */

struct name_code {
	const char *name;
	uint16_t code;
};

/*
 * Suites hso implements are looked up through hs_suite_find() over the
 * default policy, so the names come from the engine's own table and cannot
 * drift from it. These are well-known ones it does not implement, so that
 * an operator copying a list from elsewhere learns why it is refused.
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

/* Supported or not is decided by hs_nego_policy_default(), not here. */
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
	{ "rsa_pkcs1_sha512", HS_SIG_RSA_PKCS1_SHA512 },
	{ "ecdsa_secp256r1_sha256", HS_SIG_ECDSA_SECP256R1_SHA256 },
	{ "ecdsa_secp384r1_sha384", HS_SIG_ECDSA_SECP384R1_SHA384 },
	{ "ecdsa_secp521r1_sha512", HS_SIG_ECDSA_SECP521R1_SHA512 },
	{ "ecdsa_sha224", HS_SIG_ECDSA_SHA224 },
	{ "rsa_pss_rsae_sha256", HS_SIG_RSA_PSS_RSAE_SHA256 },
	{ "rsa_pss_rsae_sha384", HS_SIG_RSA_PSS_RSAE_SHA384 },
	{ "rsa_pss_rsae_sha512", HS_SIG_RSA_PSS_RSAE_SHA512 },
	{ "ed25519", 0x0807 },
	{ "ed448", 0x0808 },
	{ "rsa_pss_pss_sha256", 0x0809 },
	{ "rsa_pss_pss_sha384", 0x080a },
	{ "rsa_pss_pss_sha512", 0x080b },
	{ "rsa_pkcs1_sha1", 0x0201 },
	{ "ecdsa_sha1", 0x0203 },
};

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

static bool
code_in(const uint16_t *list, unsigned n, uint16_t code)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == code)
			return true;
	return false;
}

static const struct hs_suite_info *
suite_by_name(const char *s, size_t len)
{
	struct hs_nego_policy p;

	hs_nego_policy_default(&p);
	for (unsigned i = 0; i < p.n_suites; i++) {
		const struct hs_suite_info *si = hs_suite_find(p.suites[i]);

		if (si != NULL && item_is(s, len, si->name))
			return si;
	}
	return NULL;
}

static const char *
code_name(const struct name_code *t, size_t n, uint16_t code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return "?";
}

/* ---- values --------------------------------------------------------- */

static int
parse_ipv4(const char *s, uint32_t *out, char *why, size_t wl)
{
	struct in_addr in;
	uint32_t a;

	if (inet_pton(AF_INET, s, &in) != 1)
		return cfg_errf(why, wl, "not an IPv4 address A.B.C.D");
	a = ntohl(in.s_addr);
	/* 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved. */
	if ((a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) >= 14)
		return cfg_errf(why, wl, "not a unicast host address");
	*out = a;
	return 0;
}

static uint32_t
prefix_mask(unsigned len)
{
	return len == 0 ? 0 : ~0u << (32 - len);
}

static int
parse_addr(const char *s, struct hsod_port_conf *pc, char *why, size_t wl)
{
	const char *slash = strchr(s, '/');
	char ip[INET_ADDRSTRLEN];
	uint32_t a, len, m;

	if (slash == NULL)
		return cfg_errf(why, wl, "needs a prefix length, e.g. 198.18.0.2/24");
	if ((size_t)(slash - s) >= sizeof(ip))
		return cfg_errf(why, wl, "not an IPv4 address A.B.C.D/LEN");
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (parse_ipv4(ip, &a, why, wl) != 0)
		return -EINVAL;
	if (cfg_parse_u32(slash + 1, 1, 32, &len, why, wl) != 0)
		return cfg_errf(why, wl, "bad prefix length (1..32)");
	m = prefix_mask(len);
	/* RFC 3021: /31 and /32 have no network or broadcast address. */
	if (len <= 30 && ((a & ~m) == 0 || (a & ~m) == ~m))
		return cfg_errf(why, wl, "is the %s address of its subnet, not a host",
			    (a & ~m) == 0 ? "network" : "broadcast");
	pc->addr = a;
	pc->prefix_len = (uint8_t)len;
	return 0;
}

static int
parse_ports(const char *s, struct hsod_config *c, bool append, char *why, size_t wl)
{
	uint16_t ports[HSOD_MAX_LISTEN];
	unsigned n = append ? c->n_listen : 0;
	struct list_iter it;
	const char *item;
	size_t len;

	memcpy(ports, c->listen, sizeof(ports));
	LIST_FOREACH(it, s, item, len) {
		char buf[16], inner[64];
		uint32_t v;

		if (len == 0)
			return cfg_errf(why, wl, "empty item in the list");
		if (len >= sizeof(buf))
			return cfg_errf(why, wl, "port '%.*s': not a number 1..65535",
				    (int)len, item);
		memcpy(buf, item, len);
		buf[len] = '\0';
		if (cfg_parse_u32(buf, 1, 65535, &v, inner, sizeof(inner)) != 0)
			return cfg_errf(why, wl, "port '%s': %s", buf, inner);
		for (unsigned i = 0; i < n; i++)
			if (ports[i] == v)
				return cfg_errf(why, wl, "port %u listed twice", v);
		if (n == HSOD_MAX_LISTEN)
			return cfg_errf(why, wl, "more than %d ports", HSOD_MAX_LISTEN);
		ports[n++] = (uint16_t)v;
	}
	if (n == 0)
		return cfg_errf(why, wl, "no port given");
	memcpy(c->listen, ports, sizeof(ports));
	c->n_listen = n;
	return 0;
}

static int
parse_versions(const char *s, struct hsod_config *c, char *why, size_t wl)
{
	bool v12 = false, v13 = false;
	struct list_iter it;
	const char *item;
	size_t len;

	LIST_FOREACH(it, s, item, len) {
		bool *v;

		if (len == 0)
			return cfg_errf(why, wl, "empty item in the list");
		if (item_is(item, len, "1.2") || item_is(item, len, "TLSv1.2"))
			v = &v12;
		else if (item_is(item, len, "1.3") || item_is(item, len, "TLSv1.3"))
			v = &v13;
		else if (item_is(item, len, "1.0") || item_is(item, len, "1.1") ||
			 item_is(item, len, "TLSv1") || item_is(item, len, "TLSv1.1"))
			return cfg_errf(why, wl, "'%.*s': hso supports only TLS 1.2 and 1.3",
				    (int)len, item);
		else
			return cfg_errf(why, wl, "unknown version '%.*s' (1.2 or 1.3)",
				    (int)len, item);
		if (*v)
			return cfg_errf(why, wl, "'%.*s' listed twice", (int)len, item);
		*v = true;
	}
	if (!v12 && !v13)
		return cfg_errf(why, wl, "no version given (1.2, 1.3)");
	c->tls12 = v12;
	c->tls13 = v13;
	return 0;
}

static int
parse_suites(const char *s, struct hsod_config *c, char *why, size_t wl)
{
	uint16_t out[HS_POLICY_MAX_SUITES];
	unsigned n = 0;
	struct list_iter it;
	const char *item;
	size_t len;

	LIST_FOREACH(it, s, item, len) {
		const struct hs_suite_info *si;

		if (len == 0)
			return cfg_errf(why, wl, "empty item in the list");
		si = suite_by_name(item, len);
		if (si == NULL) {
			for (size_t i = 0; i < DIM(suites_unsupported); i++)
				if (item_is(item, len, suites_unsupported[i]))
					return cfg_errf(why, wl, "cipher suite '%.*s' is not "
						    "implemented by hso (see hsod --help)",
						    (int)len, item);
			return cfg_errf(why, wl, "unknown cipher suite '%.*s' (IANA names "
				    "such as TLS_AES_128_GCM_SHA256)", (int)len, item);
		}
		if (code_in(out, n, si->id))
			return cfg_errf(why, wl, "'%s' listed twice", si->name);
		/* Cannot overflow: hso implements fewer suites than this. */
		if (n == HS_POLICY_MAX_SUITES)
			return cfg_errf(why, wl, "more than %d suites", HS_POLICY_MAX_SUITES);
		out[n++] = si->id;
	}
	if (n == 0)
		return cfg_errf(why, wl, "no cipher suite given");
	memcpy(c->suites, out, n * sizeof(out[0]));
	c->n_suites = n;
	return 0;
}

/* Groups and signature schemes: a name table, the default policy decides. */
static int
parse_codes(const char *s, const struct name_code *t, size_t nt,
	    const uint16_t *supported, unsigned n_supported, const char *what,
	    uint16_t *dst, unsigned max, unsigned *n_dst, char *why, size_t wl)
{
	uint16_t out[16];
	unsigned n = 0;
	struct list_iter it;
	const char *item;
	size_t len;

	LIST_FOREACH(it, s, item, len) {
		const struct name_code *hit = NULL;

		if (len == 0)
			return cfg_errf(why, wl, "empty item in the list");
		for (size_t i = 0; i < nt && hit == NULL; i++)
			if (item_is(item, len, t[i].name))
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

static int
parse_alpn(const char *s, struct hsod_config *c, char *why, size_t wl)
{
	uint8_t wire[HS_POLICY_ALPN_MAX];
	size_t off = 0;
	struct list_iter it;
	const char *item;
	size_t len;

	LIST_FOREACH(it, s, item, len) {
		/* RFC 7301 3.1: "opaque ProtocolName<1..2^8-1>". */
		if (len == 0)
			return cfg_errf(why, wl, "empty item in the list (names are 1..255 bytes)");
		if (len > 255)
			return cfg_errf(why, wl, "protocol '%.20s...' longer than 255 bytes", item);
		for (size_t o = 0; o < off; o += 1u + wire[o])
			if (wire[o] == len && memcmp(wire + o + 1, item, len) == 0)
				return cfg_errf(why, wl, "'%.*s' listed twice", (int)len, item);
		if (off + 1 + len > sizeof(wire))
			return cfg_errf(why, wl, "the list takes more than %d bytes on the wire",
				    HS_POLICY_ALPN_MAX);
		wire[off] = (uint8_t)len;
		memcpy(wire + off + 1, item, len);
		off += 1 + len;
	}
	memcpy(c->alpn, wire, off);
	c->alpn_len = (uint16_t)off;
	return 0;
}

static int
parse_body(const char *s, struct hsod_config *c, char *why, size_t wl)
{
	char out[HSOD_HTTP_BODY_MAX];
	size_t n = 0;

	for (; *s != '\0'; s++) {
		char ch = *s;

		if (ch == '\\') {
			switch (*++s) {
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			case 't': ch = '\t'; break;
			case '\\': ch = '\\'; break;
			default:
				return cfg_errf(why, wl, "unknown escape '\\%c' (\\n \\r \\t \\\\)",
					    *s != '\0' ? *s : ' ');
			}
		}
		if (n == sizeof(out) - 1)
			return cfg_errf(why, wl, "longer than %d bytes", HSOD_HTTP_BODY_MAX - 1);
		out[n++] = ch;
	}
	out[n] = '\0';
	memcpy(c->http_body, out, n + 1);
	c->http_body_len = n;
	return 0;
}

static int
parse_path(const char *s, char *dst, char *why, size_t wl)
{
	size_t n = strlen(s);

	if (n >= HSOD_PATH_MAX)
		return cfg_errf(why, wl, "longer than %d bytes", HSOD_PATH_MAX - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

static int
parse_imb(const char *s, struct hsod_config *c, char *why, size_t wl)
{
	char spec[HSOD_PATH_MAX];
	size_t n = 0;

	/* hso_imb_override_parse() takes no blanks; lists here may have some. */
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t')
			continue;
		if (n == sizeof(spec) - 1)
			return cfg_errf(why, wl, "longer than %d bytes", HSOD_PATH_MAX - 1);
		spec[n++] = *s;
	}
	spec[n] = '\0';
	if (hso_imb_override_parse(&c->imb, spec, why, wl) != 0)
		return -EINVAL;
	memcpy(c->imb_arch, spec, n + 1);
	return 0;
}

/*
 * Set key @p k (of port @p port when it is a per-port key) from @p val; on
 * failure @p why says what is wrong.
 */
static int
key_set(const struct key_def *k, struct hsod_config *c, unsigned port, const char *val,
	bool append, char *why, size_t wl)
{
	struct hs_nego_policy def;
	uint8_t *field = (uint8_t *)c + k->off;

	switch (k->type) {
	case KT_U32:
		return cfg_parse_u32(val, k->min, k->max, (uint32_t *)(void *)field, why, wl);
	case KT_BOOL:
		return cfg_parse_bool(val, (bool *)(void *)field, why, wl);
	case KT_PATH:
		return parse_path(val, (char *)field, why, wl);
	case KT_ADDR:
		return parse_addr(val, &c->ports[port], why, wl);
	case KT_IPV4:
		return parse_ipv4(val, &c->ports[port].gateway, why, wl);
	case KT_PORTS:
		return parse_ports(val, c, append, why, wl);
	case KT_VERSIONS:
		return parse_versions(val, c, why, wl);
	case KT_SUITES:
		return parse_suites(val, c, why, wl);
	case KT_GROUPS:
		hs_nego_policy_default(&def);
		return parse_codes(val, group_names, DIM(group_names), def.groups,
				   def.n_groups, "group", c->groups, HS_POLICY_MAX_GROUPS,
				   &c->n_groups, why, wl);
	case KT_SIGALGS:
		hs_nego_policy_default(&def);
		return parse_codes(val, sigalg_names, DIM(sigalg_names), def.sigalgs,
				   def.n_sigalgs, "signature scheme", c->sigalgs,
				   HS_POLICY_MAX_SIGALGS, &c->n_sigalgs, why, wl);
	case KT_ALPN:
		return parse_alpn(val, c, why, wl);
	case KT_APP:
		if (strcasecmp(val, "http") == 0)
			c->app = HSOD_APP_HTTP;
		else if (strcasecmp(val, "echo") == 0)
			c->app = HSOD_APP_ECHO;
		else if (strcasecmp(val, "external") == 0)
			c->app = HSOD_APP_EXTERNAL;
		else
			return cfg_errf(why, wl, "unknown application (http, echo or external)");
		return 0;
	case KT_BODY:
		return parse_body(val, c, why, wl);
	case KT_IMB:
		return parse_imb(val, c, why, wl);
	}
	return cfg_errf(why, wl, "internal: unknown key type");
}

/* Print key @p k's value in @p c (of @p port) the way the file would take it. */
static void
key_render(const struct key_def *k, const struct hsod_config *c, unsigned port, char *buf,
	   size_t len)
{
	const struct hsod_port_conf *pc = &c->ports[port];
	const uint8_t *field = (const uint8_t *)c + k->off;
	size_t o = 0;
	struct in_addr in;
	char ip[INET_ADDRSTRLEN];

	buf[0] = '\0';
#define PUT(...) \
	(o += (size_t)snprintf(buf + (o < len ? o : len), o < len ? len - o : 0, __VA_ARGS__))
	switch (k->type) {
	case KT_U32:
		PUT("%u", *(const uint32_t *)(const void *)field);
		break;
	case KT_BOOL:
		PUT("%s", *(const bool *)(const void *)field ? "yes" : "no");
		break;
	case KT_PATH:
		PUT("%s", (const char *)field);
		break;
	case KT_ADDR:
	case KT_IPV4:
		if ((k->type == KT_ADDR ? pc->addr : pc->gateway) == 0)
			break;
		in.s_addr = htonl(k->type == KT_ADDR ? pc->addr : pc->gateway);
		inet_ntop(AF_INET, &in, ip, sizeof(ip));
		PUT("%s", ip);
		if (k->type == KT_ADDR)
			PUT("/%u", pc->prefix_len);
		break;
	case KT_PORTS:
		for (unsigned i = 0; i < c->n_listen; i++)
			PUT("%s%u", i ? "," : "", c->listen[i]);
		break;
	case KT_VERSIONS:
		PUT("%s%s%s", c->tls12 ? "1.2" : "", c->tls12 && c->tls13 ? "," : "",
		    c->tls13 ? "1.3" : "");
		break;
	case KT_SUITES:
		for (unsigned i = 0; i < c->n_suites; i++) {
			const struct hs_suite_info *si = hs_suite_find(c->suites[i]);

			PUT("%s%s", i ? "," : "", si != NULL ? si->name : "?");
		}
		break;
	case KT_GROUPS:
		for (unsigned i = 0; i < c->n_groups; i++)
			PUT("%s%s", i ? "," : "",
			    code_name(group_names, DIM(group_names), c->groups[i]));
		break;
	case KT_SIGALGS:
		for (unsigned i = 0; i < c->n_sigalgs; i++)
			PUT("%s%s", i ? "," : "",
			    code_name(sigalg_names, DIM(sigalg_names), c->sigalgs[i]));
		break;
	case KT_ALPN:
		for (size_t off = 0; off < c->alpn_len; off += 1u + c->alpn[off])
			PUT("%s%.*s", off ? "," : "", c->alpn[off], (const char *)c->alpn + off + 1);
		break;
	case KT_APP:
		PUT("%s", hsod_app_name(c->app));
		break;
	case KT_BODY:
		for (size_t i = 0; i < c->http_body_len; i++) {
			char ch = c->http_body[i];

			if (ch == '\n')
				PUT("\\n");
			else if (ch == '\r')
				PUT("\\r");
			else if (ch == '\t')
				PUT("\\t");
			else if (ch == '\\')
				PUT("\\\\");
			else
				PUT("%c", ch);
		}
		break;
	case KT_IMB:
		PUT("%s", c->imb_arch);
		break;
	}
#undef PUT
}

static const struct key_def *
key_by_name(const char *section, const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static const struct key_def *
key_by_flag(const char *flag, size_t len)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (keys[i].flag != NULL && strlen(keys[i].flag) == len &&
		    strncmp(keys[i].flag, flag, len) == 0)
			return &keys[i];
	return NULL;
}

/*
 * "FILE: [net] gateway", "FILE: [port 1] gateway", "--gateway" or
 * "--gateway (port 1)": where key @p k's value (of @p port) came from.
 */
static void
key_where(const struct pstate *st, const struct key_def *k, unsigned port, char *buf,
	  size_t len)
{
	enum origin o = (enum origin)st->origin[k - keys];
	char sec[32];

	snprintf(sec, sizeof(sec), "%s", k->section);
	if (key_per_port(k)) {
		o = (enum origin)st->port_origin[port][port_key(k)];
		/* The [net] entry has the flag; the [port N] one the section. */
		k = key_by_name("net", k->name);
		if (o == ORIGIN_FILE_PORT || (o == ORIGIN_DEFAULT && port > 0))
			snprintf(sec, sizeof(sec), "port %u", port);
	}
	if (o == ORIGIN_FLAG || (o == ORIGIN_DEFAULT && st->file == NULL && k->flag != NULL)) {
		if (key_per_port(k) && port > 0)
			snprintf(buf, len, "--%s (port %u)", k->flag, port);
		else
			snprintf(buf, len, "--%s", k->flag);
	} else if (st->file != NULL) {
		snprintf(buf, len, "%s: [%s] %s", st->file, sec, k->name);
	} else {
		snprintf(buf, len, "[%s] %s", sec, k->name);
	}
}

/* ---- defaults ------------------------------------------------------- */

const char *
hsod_app_name(enum hsod_app app)
{
	switch (app) {
	case HSOD_APP_HTTP:
		return "http";
	case HSOD_APP_ECHO:
		return "echo";
	case HSOD_APP_EXTERNAL:
		return "external";
	}
	return "?";
}

void
hsod_config_defaults(struct hsod_config *cfg)
{
	struct hs_nego_policy p;

	memset(cfg, 0, sizeof(*cfg));
	hs_nego_policy_default(&p);
	cfg->mbufs = HSOD_MBUFS_DEFAULT;
	cfg->tx_offload = true;
	cfg->tls12 = p.tls12;
	cfg->tls13 = p.tls13;
	memcpy(cfg->suites, p.suites, p.n_suites * sizeof(p.suites[0]));
	cfg->n_suites = p.n_suites;
	memcpy(cfg->groups, p.groups, p.n_groups * sizeof(p.groups[0]));
	cfg->n_groups = p.n_groups;
	memcpy(cfg->sigalgs, p.sigalgs, p.n_sigalgs * sizeof(p.sigalgs[0]));
	cfg->n_sigalgs = p.n_sigalgs;
	cfg->max_handshake_msg = HS_MAX_MSG_DEFAULT;
	cfg->large_msg_bufs = HS_LARGE_MSG_BUFS_DEFAULT;
	cfg->session_cache = HS_SESSION_CACHE_DEFAULT;
	cfg->ticket_lifetime = HSOD_TICKET_LIFETIME_DEFAULT;
	cfg->ticket_rotation = HSOD_TICKET_ROTATION_DEFAULT;
	cfg->psk_ke = true;
	cfg->max_conns = HSOD_MAX_CONNS_DEFAULT;
	cfg->max_half_open = HSOD_MAX_HALF_OPEN_DEFAULT;
	cfg->handshake_timeout_ms = HSOD_HANDSHAKE_TIMEOUT_MS_DEFAULT;
	cfg->idle_timeout_ms = HSOD_IDLE_TIMEOUT_MS_DEFAULT;
	cfg->app = HSOD_APP_HTTP;
	cfg->http_status = HSOD_HTTP_STATUS_DEFAULT;
	cfg->app_conn_budget = HSOD_APP_CONN_BUDGET_DEFAULT;
	cfg->http_body_len = strlen(HSOD_HTTP_BODY_DEFAULT);
	memcpy(cfg->http_body, HSOD_HTTP_BODY_DEFAULT, cfg->http_body_len + 1);
	for (int a = 0; a < HSO_IMB_ALG_NUM; a++)
		cfg->imb.arch[a] = IMB_ARCH_NONE;
}

/* ---- the file ------------------------------------------------------- */

static int
cert_section(struct hsod_config *c, struct pstate *st, const char *sec,
	     const char *name, const struct rte_cfgfile_entry *e, int n,
	     char *err, size_t errlen)
{
	struct hsod_cert_conf cc;
	char why[WHY_LEN];

	memset(&cc, 0, sizeof(cc));
	if (*name == '\0')
		return cfg_errf(err, errlen, "%s: [%s]: a certificate section needs a name: "
			    "[cert NAME]", st->file, sec);
	if (strlen(name) >= sizeof(cc.name))
		return cfg_errf(err, errlen, "%s: [%s]: name longer than %d bytes",
			    st->file, sec, HSOD_CERT_NAME_MAX - 1);
	if (c->n_certs == HSOD_MAX_CERTS)
		return cfg_errf(err, errlen, "%s: [%s]: more than %d certificates",
			    st->file, sec, HSOD_MAX_CERTS);
	snprintf(cc.name, sizeof(cc.name), "%s", name);
	for (int i = 0; i < n; i++) {
		const char *k = e[i].name, *v = e[i].value;
		int r;

		if (strcmp(k, "cert") == 0)
			r = parse_path(v, cc.cert, why, sizeof(why));
		else if (strcmp(k, "key") == 0)
			r = parse_path(v, cc.key, why, sizeof(why));
		else if (strcmp(k, "default") == 0)
			r = cfg_parse_bool(v, &cc.is_default, why, sizeof(why));
		else
			r = cfg_errf(why, sizeof(why), "unknown key; [cert NAME] takes cert, "
				 "key, default");
		if (r == 0 && (strcmp(k, "cert") == 0 || strcmp(k, "key") == 0) && *v == '\0')
			r = cfg_errf(why, sizeof(why), "empty path");
		if (r != 0)
			return cfg_errf(err, errlen, "%s: [%s] %s: %s (got '%s')", st->file, sec,
				    k, why, v);
	}
	if (cc.cert[0] == '\0')
		return cfg_errf(err, errlen, "%s: [%s] cert: missing: the section needs "
			    "cert = FILE (key = '%s')", st->file, sec, cc.key);
	if (cc.key[0] == '\0')
		return cfg_errf(err, errlen, "%s: [%s] key: missing: cert = '%s' needs its "
			    "private key, key = FILE", st->file, sec, cc.cert);
	for (unsigned i = 0; cc.is_default && i < c->n_certs; i++)
		if (c->certs[i].is_default)
			return cfg_errf(err, errlen, "%s: [%s] default: [cert %s] is the "
				    "default already (got 'yes')", st->file, sec,
				    c->certs[i].name);
	c->certs[c->n_certs++] = cc;
	return 0;
}

static bool
section_known(const char *sec)
{
	for (size_t i = 0; i < DIM(sections); i++)
		if (strcmp(sections[i], sec) == 0)
			return true;
	return false;
}

static void
section_keys(const char *sec, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_KEYS && o < len; i++)
		if (strcmp(keys[i].section, sec) == 0)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
					      keys[i].name);
}

/*
 * The keys of section @p sec as written; @p tsec is its name in the table
 * (PORT_SECTION for "port 1"), @p port the port of a per-port key.
 */
static int
file_section(struct hsod_config *c, struct pstate *st, const char *sec, const char *tsec,
	     unsigned port, const struct rte_cfgfile_entry *e, int n, char *err, size_t errlen)
{
	char why[WHY_LEN];

	for (int i = 0; i < n; i++) {
		const struct key_def *k;

		/* rte_cfgfile keeps both; a second value would silently win. */
		for (int j = 0; j < i; j++)
			if (strcmp(e[j].name, e[i].name) == 0)
				return cfg_errf(err, errlen, "%s: [%s] %s: duplicate key, "
					    "first set to '%s' (got '%s')", st->file, sec,
					    e[i].name, e[j].value, e[i].value);
		k = key_by_name(tsec, e[i].name);
		if (k == NULL) {
			section_keys(tsec, why, sizeof(why));
			return cfg_errf(err, errlen, "%s: [%s] %s: unknown key; [%s] takes %s "
				    "(got '%s')", st->file, sec, e[i].name, tsec, why,
				    e[i].value);
		}
		if (key_per_port(k)) {
			uint8_t *o = &st->port_origin[port][port_key(k)];

			/* [net] addr and [port 0] addr are one setting: once. */
			if (*o != ORIGIN_DEFAULT) {
				char first[32] = "net";

				if (*o == ORIGIN_FILE_PORT)
					snprintf(first, sizeof(first), "port %u", port);
				return cfg_errf(err, errlen, "%s: [%s] %s: port %u's %s is set "
					    "in [%s] already: give it once (got '%s')",
					    st->file, sec, e[i].name, port, e[i].name, first,
					    e[i].value);
			}
			*o = strcmp(tsec, PORT_SECTION) == 0 ? ORIGIN_FILE_PORT : ORIGIN_FILE;
		}
		if (key_set(k, c, port, e[i].value, false, why, sizeof(why)) != 0)
			return cfg_errf(err, errlen, "%s: [%s] %s: %s (got '%s')", st->file,
				    sec, e[i].name, why, e[i].value);
		if (!key_per_port(k))
			st->origin[k - keys] = ORIGIN_FILE;
	}
	return 0;
}

/*
 * "[port N]": N is a port number below HSOD_MAX_PORTS.
 * @return 1 and *port when @p sec names a port section, 0 when it is not
 * one, -EINVAL (message in @p err) for a bad N.
 */
static int
port_section(const struct pstate *st, const char *sec, unsigned *port, char *err,
	     size_t errlen)
{
	char num[CFG_NAME_LEN], why[WHY_LEN];
	uint32_t v;

	if (strncmp(sec, "port", 4) != 0 || (sec[4] != '\0' && !isspace((unsigned char)sec[4])))
		return 0;
	snprintf(num, sizeof(num), "%s", sec + 4);
	if (cfg_parse_u32(cfg_trim(num), 0, HSOD_MAX_PORTS - 1, &v, why, sizeof(why)) != 0)
		return cfg_errf(err, errlen, "%s: [%s]: a port section is [port N], N the port's "
			    "number in the order DPDK finds the ports, 0..%d", st->file, sec,
			    HSOD_MAX_PORTS - 1);
	*port = v;
	return 1;
}

static int
file_parse(struct hsod_config *c, struct pstate *st, char *err, size_t errlen)
{
	struct rte_cfgfile_parameters params = { .comment_character = CFG_COMMENT };
	struct rte_cfgfile_entry *e = NULL;
	struct rte_cfgfile *cf;
	unsigned port = 0;
	int ret, n_sec;

	ret = cfg_file_prescan(st->file, err, errlen);
	if (ret != 0)
		return ret;
	cf = rte_cfgfile_load_with_params(st->file, CFG_FLAG_EMPTY_VALUES, &params);
	if (cf == NULL)
		return cfg_errf(err, errlen, "%s: rte_cfgfile cannot load it", st->file);
	n_sec = rte_cfgfile_num_sections(cf, NULL, 0);
	for (int s = 0; ret == 0 && s < n_sec; s++) {
		char sec[CFG_NAME_LEN], other[CFG_NAME_LEN];
		int n = rte_cfgfile_section_num_entries_by_index(cf, sec, s);

		for (int t = 0; t < s; t++) {
			rte_cfgfile_section_num_entries_by_index(cf, other, t);
			if (strcmp(sec, other) == 0)
				ret = cfg_errf(err, errlen, "%s: [%s]: duplicate section",
					   st->file, sec);
		}
		if (ret != 0 || n < 0)
			break;
		free(e);
		e = calloc((size_t)n + 1, sizeof(*e));
		if (e == NULL) {
			ret = cfg_errf(err, errlen, "%s: out of memory", st->file);
			break;
		}
		n = rte_cfgfile_section_entries_by_index(cf, s, sec, e, n);
		if (strncmp(sec, "cert", 4) == 0 && (sec[4] == '\0' || isspace((unsigned char)sec[4]))) {
			char name[CFG_NAME_LEN];

			snprintf(name, sizeof(name), "%s", sec + 4);
			ret = cert_section(c, st, sec, cfg_trim(name), e, n, err, errlen);
		} else if ((ret = port_section(st, sec, &port, err, errlen)) != 0) {
			if (ret > 0) {
				st->port_named[port] = true;
				ret = file_section(c, st, sec, PORT_SECTION, port, e, n, err,
						   errlen);
			}
		} else if (section_known(sec) && strcmp(sec, PORT_SECTION) != 0) {
			ret = file_section(c, st, sec, sec, 0, e, n, err, errlen);
		} else {
			ret = cfg_errf(err, errlen, "%s: [%s]: unknown section; hsod takes [net], "
				   "[port N], [tls], [cert NAME], [tickets], [limits], [app], "
				   "[crypto]", st->file, sec);
		}
	}
	free(e);
	rte_cfgfile_close(cf);
	return ret;
}

/* ---- flags ---------------------------------------------------------- */

/* Does flag @p name take a value (so the next argument is not a flag)? */
static bool
flag_takes_value(const char *name, size_t len)
{
	const struct key_def *k;

	if (cfg_flag_is(name, len, "config") || cfg_flag_is(name, len, "cert") ||
	    cfg_flag_is(name, len, "key"))
		return true;
	k = key_by_flag(name, len);
	return k != NULL && k->metavar != NULL;
}

/*
 * The flag at argv[*i]: its name (without "--") and value, from "--f=v" or
 * "--f v". Advances *i past a separate value.
 * @return 0; 1 for a non-flag argument; -EINVAL for a missing value.
 */
static int
flag_cert_add(struct hsod_config *c, struct pstate *st, const char *cert,
	      const char *key, char *err, size_t errlen)
{
	struct hsod_cert_conf *cc;
	char why[WHY_LEN];

	if (c->n_certs == HSOD_MAX_CERTS)
		return cfg_errf(err, errlen, "--cert: more than %d certificates (with the "
			    "config file's) (got '%s')", HSOD_MAX_CERTS, cert);
	if (*cert == '\0' || parse_path(cert, c->certs[c->n_certs].cert, why, sizeof(why)))
		return cfg_errf(err, errlen, "--cert: %s (got '%s')",
			    *cert == '\0' ? "empty path" : why, cert);
	if (*key == '\0' || parse_path(key, c->certs[c->n_certs].key, why, sizeof(why)))
		return cfg_errf(err, errlen, "--key: %s (got '%s')",
			    *key == '\0' ? "empty path" : why, key);
	cc = &c->certs[c->n_certs++];
	snprintf(cc->name, sizeof(cc->name), "--cert %u", ++st->n_flag_certs);
	cc->is_default = false;
	return 0;
}

/*
 * A per-port flag's value: "N:VALUE" is port N's, a plain VALUE port 0's.
 * @return 0 with *port and *rest; -EINVAL with @p why for a bad N.
 */
static int
port_prefix(const char *val, unsigned *port, const char **rest, char *why, size_t wl)
{
	const char *colon = strchr(val, ':');
	char num[16];
	uint32_t v;

	*port = 0;
	*rest = val;
	if (colon == NULL)
		return 0;
	if ((size_t)(colon - val) >= sizeof(num))
		return cfg_errf(why, wl, "'N:' before the address is a port number 0..%d",
			    HSOD_MAX_PORTS - 1);
	memcpy(num, val, (size_t)(colon - val));
	num[colon - val] = '\0';
	if (cfg_parse_u32(num, 0, HSOD_MAX_PORTS - 1, &v, why, wl) != 0)
		return cfg_errf(why, wl, "port '%s' before ':' is not a port number 0..%d",
			    num, HSOD_MAX_PORTS - 1);
	*port = v;
	*rest = colon + 1;
	return 0;
}

static int
flags_parse(struct hsod_config *c, struct pstate *st, int argc, char **argv,
	    char *err, size_t errlen)
{
	const char *pending_cert = NULL;
	char why[WHY_LEN];

	for (int i = 0; i < argc; i++) {
		const struct key_def *k;
		const char *name, *val;
		size_t len;
		int r = cfg_flag_next(argc, argv, &i, &name, &len, &val, flag_takes_value);

		if (r == 1)
			return cfg_errf(err, errlen, "'%s': unexpected argument (hsod's options "
				    "start with --; see --help)", argv[i]);
		if (r < 0) {
			k = key_by_flag(name, len);
			return cfg_errf(err, errlen, "--%.*s: missing value (expects %s)",
				    (int)len, name, k != NULL ? k->metavar : "FILE");
		}
		if (cfg_flag_is(name, len, "config"))
			continue;       /* read before the other flags */
		if (cfg_flag_is(name, len, "cert")) {
			if (pending_cert != NULL)
				return cfg_errf(err, errlen, "--cert: '%s' has no --key: each "
					    "--cert FILE needs a --key FILE after it (got "
					    "'%s')", pending_cert, pending_cert);
			pending_cert = val;
			continue;
		}
		if (cfg_flag_is(name, len, "key")) {
			if (pending_cert == NULL)
				return cfg_errf(err, errlen, "--key: no --cert before it: give "
					    "--cert FILE --key FILE (got '%s')", val);
			r = flag_cert_add(c, st, pending_cert, val, err, errlen);
			if (r != 0)
				return r;
			pending_cert = NULL;
			continue;
		}
		k = key_by_flag(name, len);
		if (k == NULL && len > 3 && strncmp(name, "no-", 3) == 0) {
			/* --no-FLAG: a boolean turned off. */
			k = key_by_flag(name + 3, len - 3);
			if (k != NULL && k->type != KT_BOOL)
				k = NULL;
			if (k != NULL && val != NULL)
				return cfg_errf(err, errlen, "--%.*s: takes no value (or give "
					    "--%s=no) (got '%s')", (int)len, name, k->flag, val);
			if (k != NULL)
				val = "no";
		}
		if (k == NULL)
			return cfg_errf(err, errlen, "--%.*s: unknown option (see --help)",
				    (int)len, name);
		if (val == NULL)
			val = "yes";    /* a boolean flag alone turns it on */
		if (key_per_port(k)) {
			const char *v;
			unsigned port;

			if (port_prefix(val, &port, &v, why, sizeof(why)) != 0 ||
			    key_set(k, c, port, v, false, why, sizeof(why)) != 0)
				return cfg_errf(err, errlen, "--%s: %s (got '%s')", k->flag, why, val);
			st->port_origin[port][port_key(k)] = ORIGIN_FLAG;
			st->port_named[port] = true;
			continue;
		}
		r = key_set(k, c, 0, val, k->type == KT_PORTS && st->listen_flag_seen,
			    why, sizeof(why));
		if (r != 0)
			return cfg_errf(err, errlen, "--%s: %s (got '%s')", k->flag, why, val);
		if (k->type == KT_PORTS)
			st->listen_flag_seen = true;
		st->origin[k - keys] = ORIGIN_FLAG;
	}
	if (pending_cert != NULL)
		return cfg_errf(err, errlen, "--cert: '%s' has no --key: each --cert FILE "
			    "needs a --key FILE after it (got '%s')", pending_cert,
			    pending_cert);
	return 0;
}

/* ---- checks across keys --------------------------------------------- */

/*
 * Suites of the enabled versions, in order. Every enabled version needs
 * one: a TLS 1.2 client would otherwise be refused although 1.2 is "on".
 * @return 0; -EINVAL with @p why naming the version left without a suite.
 */
static int
suites_filter(const struct hsod_config *c, uint16_t *out, unsigned *n_out,
	      char *why, size_t wl)
{
	unsigned n = 0, n12 = 0, n13 = 0;

	if (!c->tls12 && !c->tls13)
		return cfg_errf(why, wl, "no TLS version is enabled");
	for (unsigned i = 0; i < c->n_suites; i++) {
		const struct hs_suite_info *si = hs_suite_find(c->suites[i]);

		if (si == NULL)
			return cfg_errf(why, wl, "suite 0x%04x is not implemented by hso",
				    c->suites[i]);
		if (si->version == HS_TLS12 ? !c->tls12 : !c->tls13)
			continue;
		if (n == HS_POLICY_MAX_SUITES)
			return cfg_errf(why, wl, "more than %d suites", HS_POLICY_MAX_SUITES);
		out[n++] = si->id;
		n12 += si->version == HS_TLS12;
		n13 += si->version == HS_TLS13;
	}
	if (c->tls12 && n12 == 0)
		return cfg_errf(why, wl, "TLS 1.2 is enabled but no TLS 1.2 cipher suite is "
			    "listed (add one, or set versions to 1.3)");
	if (c->tls13 && n13 == 0)
		return cfg_errf(why, wl, "TLS 1.3 is enabled but no TLS 1.3 cipher suite is "
			    "listed (add one, or set versions to 1.2)");
	*n_out = n;
	return 0;
}

static int
fail_at(const struct pstate *st, const struct hsod_config *c, const char *section,
	const char *name, unsigned port, const char *why, char *err, size_t errlen)
{
	const struct key_def *k = key_by_name(section, name);
	char where[HSOD_PATH_MAX + 64], val[WHY_LEN];

	key_where(st, k, port, where, sizeof(where));
	key_render(k, c, port, val, sizeof(val));
	return cfg_errf(err, errlen, "%s: %s (got '%s')", where, why, val);
}

/* A required setting is missing: say both ways to give it. */
static int
fail_missing(const struct pstate *st, const char *section, const char *name,
	     const char *flag, const char *what, const char *example,
	     char *err, size_t errlen)
{
	if (st->file != NULL)
		return cfg_errf(err, errlen, "%s: [%s] %s: missing: %s (set it here, or "
			    "--%s %s)", st->file, section, name, what, flag, example);
	return cfg_errf(err, errlen, "--%s: missing: %s, e.g. --%s %s (or [%s] %s in a "
		    "--config file)", flag, what, flag, example, section, name);
}

/* "A.B.C.D/LEN" of port @p p. */
static const char *
port_addr_str(const struct hsod_config *c, unsigned p, char *buf, size_t len)
{
	struct in_addr in = { .s_addr = htonl(c->ports[p].addr) };
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &in, ip, sizeof(ip));
	snprintf(buf, len, "%s/%u", ip, c->ports[p].prefix_len);
	return buf;
}

/*
 * Port @p p of ports 0..c->n_ports-1: it has an address, its subnet
 * overlaps no lower port's (a segment's address must say which port it
 * leaves by), and its gateway is on-link.
 */
static int
port_check(const struct hsod_config *c, const struct pstate *st, unsigned p,
	   char *err, size_t errlen)
{
	const struct hsod_port_conf *pc = &c->ports[p];
	char why[WHY_LEN], mine[32], other[32], src[HSOD_PATH_MAX + 64];

	if (pc->addr == 0) {
		/* Port 0 was checked first, with the message of one port. */
		if (st->file != NULL)
			return cfg_errf(err, errlen, "%s: [port %u] addr: missing: port %u needs "
				    "its IPv4 address (ports 0..%u are configured) (set it "
				    "there, or --addr %u:198.18.%u.2/24)", st->file, p, p,
				    c->n_ports - 1, p, p);
		return cfg_errf(err, errlen, "--addr: missing: port %u needs its IPv4 address "
			    "(ports 0..%u are configured), e.g. --addr %u:198.18.%u.2/24 (or "
			    "[port %u] addr in a --config file)", p, c->n_ports - 1, p, p, p);
	}
	port_addr_str(c, p, mine, sizeof(mine));
	for (unsigned q = 0; q < p; q++) {
		const struct hsod_port_conf *qc = &c->ports[q];
		unsigned len = pc->prefix_len < qc->prefix_len ? pc->prefix_len : qc->prefix_len;
		uint32_t m = prefix_mask(len);
		struct pstate brief;

		if ((pc->addr & m) != (qc->addr & m))
			continue;
		/* Port q's origin without the file's name: it is in the message already. */
		brief = *st;
		brief.file = NULL;
		key_where(&brief, key_by_name("net", "addr"), q, src, sizeof(src));
		snprintf(why, sizeof(why), "subnet %s overlaps port %u's %s (%s): each port "
			 "needs a subnet of its own", mine, q,
			 port_addr_str(c, q, other, sizeof(other)), src);
		return fail_at(st, c, "net", "addr", p, why, err, errlen);
	}
	if (pc->gateway != 0) {
		uint32_t m = prefix_mask(pc->prefix_len);

		if ((pc->gateway & m) != (pc->addr & m)) {
			if (p == 0)
				snprintf(why, sizeof(why), "outside our subnet %s (addr): the "
					 "gateway must be on-link", mine);
			else
				snprintf(why, sizeof(why), "outside port %u's subnet %s (its "
					 "addr): the gateway must be on-link", p, mine);
			return fail_at(st, c, "net", "gateway", p, why, err, errlen);
		}
		if (pc->gateway == pc->addr)
			return fail_at(st, c, "net", "gateway", p, p == 0 ?
				       "is our own address (addr)" :
				       "is the port's own address (addr)", err, errlen);
	}
	return 0;
}

static int
config_check(const struct hsod_config *c, const struct pstate *st,
	     char *err, size_t errlen)
{
	uint16_t suites[HS_POLICY_MAX_SUITES];
	unsigned n;
	char why[WHY_LEN];

	if (c->ports[0].addr == 0)
		return fail_missing(st, "net", "addr", "addr", "hsod needs its IPv4 address",
				    "198.18.0.2/24", err, errlen);
	if (c->n_listen == 0)
		return fail_missing(st, "net", "listen", "listen", "no port to listen on",
				    "443", err, errlen);
	if (c->n_certs == 0) {
		if (st->file != NULL)
			return cfg_errf(err, errlen, "%s: [cert NAME] cert: missing: no "
				    "certificate (add a [cert NAME] section with cert and "
				    "key, or --cert FILE --key FILE)", st->file);
		return cfg_errf(err, errlen, "--cert: missing: no certificate, give --cert "
			    "FILE --key FILE (or [cert NAME] sections in a --config file)");
	}
	for (unsigned p = 0; p < c->n_ports; p++) {
		int r = port_check(c, st, p, err, errlen);

		if (r != 0)
			return r;
	}
	/* Blame the list when it was written, else the versions that were. */
	if (suites_filter(c, suites, &n, why, sizeof(why)) != 0)
		return fail_at(st, c, "tls",
			       st->origin[key_by_name("tls", "ciphers") - keys] ||
			       !st->origin[key_by_name("tls", "versions") - keys] ?
			       "ciphers" : "versions", 0, why, err, errlen);
	if (c->max_half_open > c->max_conns) {
		snprintf(why, sizeof(why), "more than max_conns (%u)", c->max_conns);
		return fail_at(st, c, "limits", "max_half_open", 0, why, err, errlen);
	}
	/* The pool hs_worker_create() would allocate per worker. */
	if (c->max_handshake_msg > HS_MSG_INLINE_MAX &&
	    (uint64_t)c->large_msg_bufs * (c->max_handshake_msg + 4u) > HSOD_LARGE_MSG_POOL_MAX) {
		snprintf(why, sizeof(why), "%u buffers of max_handshake_msg (%u) bytes are "
			 "more than %u MiB per worker", c->large_msg_bufs, c->max_handshake_msg,
			 (unsigned)(HSOD_LARGE_MSG_POOL_MAX >> 20));
		return fail_at(st, c, "tls", "large_msg_bufs", 0, why, err, errlen);
	}
	return 0;
}

int
hsod_config_parse(struct hsod_config *cfg, int argc, char **argv,
		  char *err, size_t errlen)
{
	struct pstate st;
	const char *file = NULL;
	int ret;

	memset(&st, 0, sizeof(st));
	hsod_config_defaults(cfg);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	/* --help wins, and --config is read first, wherever they are. */
	ret = cfg_find_help_config(argc, argv, flag_takes_value, "hsod", sizeof(cfg->config_file),
				   &cfg->help, &file, err, errlen);
	if (ret != 0 || cfg->help)
		return ret;
	if (file != NULL) {
		snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", file);
		st.file = cfg->config_file;
		ret = file_parse(cfg, &st, err, errlen);
		if (ret != 0)
			return ret;
	}
	ret = flags_parse(cfg, &st, argc, argv, err, errlen);
	if (ret != 0)
		return ret;
	/* A default half-open limit follows a smaller max_conns; a written one must fit. */
	if (cfg->max_half_open > cfg->max_conns &&
	    !st.origin[key_by_name("limits", "max_half_open") - keys])
		cfg->max_half_open = cfg->max_conns;
	/* Ports 0 up to the highest one named or given an address. */
	cfg->n_ports = 1;
	for (unsigned p = 1; p < HSOD_MAX_PORTS; p++)
		if (st.port_named[p] || cfg->ports[p].addr != 0)
			cfg->n_ports = p + 1;
	return config_check(cfg, &st, err, errlen);
}

/* ---- the TLS policy ------------------------------------------------- */

int
hsod_config_tls_policy(const struct hsod_config *cfg, struct hs_config *hs,
		       char *err, size_t errlen)
{
	struct hs_nego_policy *p = &hs->nego;
	uint16_t suites[HS_POLICY_MAX_SUITES];
	unsigned n;
	char why[WHY_LEN];

	if (hs_config_init(hs) != 0) {
		cfg_errf(err, errlen, "hs_config_init: cannot compute the TLS 1.3 "
		     "key-schedule constants");
		return -EIO;
	}
	if (suites_filter(cfg, suites, &n, why, sizeof(why)) != 0)
		return cfg_errf(err, errlen, "[tls] ciphers: %s", why);
	if (cfg->n_groups == 0 || cfg->n_groups > HS_POLICY_MAX_GROUPS)
		return cfg_errf(err, errlen, "[tls] groups: %u groups (1..%d)", cfg->n_groups,
			    HS_POLICY_MAX_GROUPS);
	if (cfg->n_sigalgs == 0 || cfg->n_sigalgs > HS_POLICY_MAX_SIGALGS)
		return cfg_errf(err, errlen, "[tls] sigalgs: %u schemes (1..%d)",
			    cfg->n_sigalgs, HS_POLICY_MAX_SIGALGS);
	if (cfg->alpn_len > sizeof(p->alpn))
		return cfg_errf(err, errlen, "[tls] alpn: %u bytes (at most %zu)",
			    cfg->alpn_len, sizeof(p->alpn));
	p->tls12 = cfg->tls12;
	p->tls13 = cfg->tls13;
	memcpy(p->suites, suites, n * sizeof(suites[0]));
	p->n_suites = (uint8_t)n;
	memcpy(p->groups, cfg->groups, cfg->n_groups * sizeof(cfg->groups[0]));
	p->n_groups = (uint8_t)cfg->n_groups;
	memcpy(p->sigalgs, cfg->sigalgs, cfg->n_sigalgs * sizeof(cfg->sigalgs[0]));
	p->n_sigalgs = (uint8_t)cfg->n_sigalgs;
	memcpy(p->alpn, cfg->alpn, cfg->alpn_len);
	p->alpn_len = cfg->alpn_len;
	hs->sni_strict = cfg->sni_strict;
	hs->export_keys = cfg->export_keys;
	/* A client's TLS 1.3 close_notify reaches the application as
	 * HSO_EV_PEER_CLOSED; the application still answers, then closes. */
	hs->half_close = true;
	hs->ticket_lifetime = cfg->ticket_lifetime;
	hs->psk_ke = cfg->psk_ke;
	hs->session_cache_size = cfg->session_cache;
	hs->max_handshake_msg = cfg->max_handshake_msg;
	hs->large_msg_bufs = cfg->large_msg_bufs;
	return 0;
}

/* ---- --help --------------------------------------------------------- */

void
hsod_config_usage(FILE *out)
{
	struct hsod_config d;
	char val[HSOD_HTTP_BODY_MAX * 2], left[64];

	hsod_config_defaults(&d);
	fprintf(out,
		"Usage: hsod [EAL options] -- [options]\n"
		"  e.g. hsod -l 0-1 --vdev=net_tap0,iface=hso0 -- --addr 198.18.0.2/24 \\\n"
		"       --gateway 198.18.0.1 --listen 443 --cert cert.pem --key key.pem\n"
		"  two ports (N: is the port; one address each, as many as DPDK finds):\n"
		"       hsod -l 0-1 --vdev=net_tap0,iface=hso0 --vdev=net_tap1,iface=hso1 -- \\\n"
		"       --addr 198.18.0.2/24 --addr 1:198.18.1.2/24 --gateway 1:198.18.1.1 ...\n"
		"\n"
		"Options (each sets the config-file key shown; flags override the file;\n"
		"--flag=VALUE works too; a boolean flag alone means yes, --no-FLAG no):\n"
		"  %-34s %s\n"
		"  %-34s %s\n"
		"  %-34s %s\n",
		"--config FILE", "read the settings below from FILE first",
		"--cert FILE --key FILE", "[cert NAME] cert, key: a certificate chain "
		"(PEM, leaf first) and its key; repeat for more (added to the file's)",
		"--help", "print this text and exit");
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_def *k = &keys[i];

		if (k->flag == NULL)
			continue;
		snprintf(left, sizeof(left), "--%s%s%s%s", k->flag, k->metavar ? " " : "",
			 key_per_port(k) ? "[N:]" : "", k->metavar ? k->metavar : "");
		if (key_per_port(k))
			fprintf(out, "  %-34s [%s] %s; with N: [port N] %s\n", left, k->section,
				k->name, k->name);
		else
			fprintf(out, "  %-34s [%s] %s\n", left, k->section, k->name);
	}
	fprintf(out,
		"\n"
		"Config file (--config): INI. '[section]' lines, 'key = value' lines,\n"
		"'#' starts a comment (\\# is a literal '#'), values up to 255 bytes.\n"
		"Lists are comma-separated; booleans are yes/no, true/false, on/off, 1/0.\n"
		"Unknown sections or keys, a key or section given twice, and any bad value\n"
		"are errors. Sections, keys (flag), meaning and [default]:\n");
	for (size_t s = 0; s < DIM(sections); s++) {
		fprintf(out, "\n  [%s]\n", sections[s]);
		if (strcmp(sections[s], PORT_SECTION) == 0)
			fprintf(out,
				"    one section per DPDK port hsod serves, N = 0..%d in the "
				"order DPDK finds\n"
				"    them (-a / --vdev order); as many ports configured as DPDK "
				"finds. Port 0\n"
				"    may be [net] addr and gateway instead (not both).\n",
				HSOD_MAX_PORTS - 1);
		for (size_t i = 0; i < N_KEYS; i++) {
			const struct key_def *k = &keys[i];

			if (strcmp(k->section, sections[s]) != 0)
				continue;
			key_render(k, &d, 0, val, sizeof(val));
			snprintf(left, sizeof(left), "%s = %s", k->name,
				 k->metavar ? k->metavar : "yes|no");
			fprintf(out, "    %s%s%s%s\n        %s [%s]\n", left,
				k->flag ? " (--" : "", k->flag ? k->flag : "",
				k->flag ? ")" : "", k->help, val[0] ? val : "none");
		}
		if (strcmp(sections[s], "tls") == 0) {
			/* [cert NAME] sits after [tls]: both are about TLS. */
			fprintf(out,
				"\n  [cert NAME]   one section per certificate, any NAME\n"
				"    cert = FILE (--cert)\n"
				"        certificate chain, PEM, leaf first [none: one is required]\n"
				"    key = FILE (--key)\n"
				"        its private key, PEM [none: required with cert]\n"
				"    default = yes|no\n"
				"        served when the client's SNI matches no certificate; at "
				"most one [no: the first certificate]\n");
		}
	}
}
