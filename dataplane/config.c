/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hsod's configuration: one table of keys drives the file parser, the flag
 * parser and the --help text, so a key cannot exist in one and be missing
 * from another.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cfgfile.h>

#include "cfg_ip6.h"
#include "cfg_tls.h"
#include "cfg_util.h"
#include "config.h"
#include "metrics.h"
#include "resources.h"
#include "neigh_defs.h"

/* Where a message may quote a value: enough for any value we accept. */
#define WHY_LEN 512

/* hsod's own value types, after cfg_util's CFG_U32, CFG_BOOL, CFG_STR. */
enum key_type {
	KT_ADDR = CFG_CUSTOM,   /* A.B.C.D/LEN, a port's */
	KT_IPV4,        /* A.B.C.D, a port's gateway */
	KT_ADDR6,       /* ADDR/LEN, a port's IPv6 address */
	KT_IPV6,        /* ADDR, a port's IPv6 gateway */
	KT_PORTS,
	KT_VERSIONS,
	KT_SUITES,
	KT_GROUPS,
	KT_SIGALGS,
	KT_ALPN,
	KT_APP,
	KT_BODY,        /* text with \n \r \t \\ escapes */
	KT_IMB,
	KT_LISTEN,      /* A.B.C.D:PORT or [IPv6]:PORT, or "" */
};

#define F(m) offsetof(struct hsod_config, m)
#define FP(m) offsetof(struct hsod_port_conf, m)
#define FC(m) offsetof(struct hsod_cert_conf, m)
/* Strings that hold a path: up to rte_cfgfile's value size. */
#define PATH_LEN (HSOD_PATH_MAX - 1)

static const struct cfg_key keys[] = {
	/* [port N]: [net] holds port 0's; the flags take an "N:" prefix. */
	{ "port", "addr", "addr", "A.B.C.D/LEN", KT_ADDR, 0, 0, 0,
	  "the port's IPv4 address and its subnet's prefix length (required for "
	  "every port); the subnets of two ports must not overlap" },
	{ "port", "gateway", "gateway", "A.B.C.D", KT_IPV4, 0, 0, 0,
	  "the port's next hop for peers outside its subnet; must be inside it" },
	{ "port", "addr6", "addr6", "ADDR/LEN", KT_ADDR6, 0, 0, 0,
	  "the port's IPv6 address and prefix length (none: IPv4 only); on the "
	  "command line port N's is N:[ADDR]/LEN; the prefixes of two ports must "
	  "not overlap" },
	{ "port", "gateway6", "gateway6", "ADDR", KT_IPV6, 0, 0, 0,
	  "the port's IPv6 next hop for peers outside its prefix: inside it, or "
	  "link-local (fe80::/10); needs addr6" },
	{ "net", "listen", "listen", "PORT[,PORT...]", KT_PORTS, 0, 0, 0,
	  "TCP ports that accept TLS, 1..65535 (required; the first flag replaces "
	  "the file's list, more add to it)" },
	{ "net", "mbufs", "mbufs", "N", CFG_U32, F(mbufs), 1024, 1u << 26,
	  "mbufs per port (one pool of mbufs x ports), 1024..67108864" },
	{ "net", "tx_offload", "tx-offload", NULL, CFG_BOOL, F(tx_offload), 0, 0,
	  "let the port compute IPv4 and TCP checksums when it offers to; no (or "
	  "--no-tx-offload): always computed in software" },
	{ "net", "neigh_entries", "neigh-entries", "N", CFG_U32, F(neigh_entries),
	  HSOD_NEIGH_ENTRIES_MIN, HSOD_NEIGH_ENTRIES_MAX,
	  "neighbours (ARP entries) per worker and port, 8..4194304; when full, the "
	  "least recently used one makes room" },
	{ "net", "neigh_queue", "neigh-queue", "N", CFG_U32, F(neigh_queue), 1, 4096,
	  "packets held per neighbour while ARP resolves it, 1..4096 and at most "
	  "neigh_queue_total; "
	  "past it the oldest is dropped" },
	{ "net", "neigh_queue_total", "neigh-queue-total", "N", CFG_U32, F(neigh_queue_total),
	  1, 1u << 20, "packets held for ARP per worker (all its ports), 1..mbufs/2" },
	{ "net", "neigh_reachable_ms", "neigh-reachable", "MS", CFG_U32,
	  F(neigh_reachable_ms), 1000, 3600000,
	  "a neighbour is trusted this long after its last confirmation (a TCP "
	  "segment from it, an ARP reply), drawn in [0.5, 1.5) x this; then one in "
	  "use is asked again by unicast ARP while traffic goes on, 1000..3600000" },
	{ "net", "neigh_stale_ms", "neigh-stale", "MS", CFG_U32, F(neigh_stale_ms),
	  1000, 86400000, "an unused neighbour no longer confirmed is forgotten after "
	  "this, 1000..86400000" },
	{ "net", "ip6_ext_max", "ip6-ext-max", "N", CFG_U32, F(ip6_ext_max), 0,
	  HSOD_IP6_EXT_MAX_LIMIT, "IPv6 extension headers walked in one packet, "
	  "0..32; one more and the packet is dropped (drop6_ip6_ext_limit)" },
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
	{ "tls", "sni_strict", "sni-strict", NULL, CFG_BOOL, F(sni_strict), 0, 0,
	  "refuse a client whose SNI matches no certificate (else: the default one)" },
	{ "tls", "export_keys", "export-keys", NULL, CFG_BOOL, F(export_keys), 0, 0,
	  "let the application obtain traffic keys (kTLS, NIC offload); whoever "
	  "holds them can read and forge the session" },
	{ "tls", "max_handshake_msg", "max-handshake-msg", "BYTES", CFG_U32,
	  F(max_handshake_msg), 512, HS_MAX_MSG_LIMIT,
	  "largest handshake message accepted from a client, 512..16777215 (the "
	  "default takes the largest ClientHello possible); above 16384 a message "
	  "is gathered in one of the worker's large_msg_bufs buffers" },
	{ "tls", "large_msg_bufs", "large-msg-bufs", "N", CFG_U32, F(large_msg_bufs),
	  0, 65536, "buffers of max_handshake_msg bytes per worker for handshake "
	  "messages above 16384 bytes, i.e. handshakes that may gather one at once; "
	  "one more fails (internal_error) and is counted, 0..65536" },
	{ "tls", "session_cache", "session-cache", "N", CFG_U32, F(session_cache),
	  0, HS_SESSION_CACHE_MAX, "TLS 1.2 session-id cache entries per worker, "
	  "0..1048576 (0: no cache)" },
	/* [cert NAME]: the flags are the --cert FILE --key FILE pairs. */
	{ "cert", "cert", NULL, "FILE", CFG_STR, FC(cert), 1, PATH_LEN,
	  "certificate chain, PEM, leaf first (required)" },
	{ "cert", "key", NULL, "FILE", CFG_STR, FC(key), 1, PATH_LEN,
	  "its private key, PEM (required)" },
	{ "cert", "ocsp", NULL, "FILE", CFG_STR, FC(ocsp), 1, PATH_LEN,
	  "OCSP response, DER (openssl ocsp -respout), stapled for clients that ask "
	  "(status_request) until its nextUpdate; loaded with the certificate (and "
	  "on SIGHUP) only if successful, about this certificate under its issuer "
	  "(the certificate after the leaf in cert), signed by that issuer or its "
	  "OCSP responder, current and 'good'" },
	{ "cert", "default", NULL, NULL, CFG_BOOL, FC(is_default), 0, 0,
	  "served when the client's SNI matches no certificate, with the "
	  "certificates of other key types that share a name with it (a dual "
	  "RSA + ECDSA pair); at most one (none: the first certificate)" },
	{ "tickets", "key_file", "ticket-key-file", "FILE", CFG_STR, F(ticket_key_file),
	  0, PATH_LEN, "session-ticket keys shared by a fleet (80-byte records, the "
	  "first seals); none: keys generated at start and rotated" },
	{ "tickets", "lifetime", "ticket-lifetime", "SECONDS", CFG_U32, F(ticket_lifetime),
	  1, 604800, "how long a ticket stays valid, 1..604800 (RFC 8446 4.6.1)" },
	{ "tickets", "rotation", "ticket-rotation", "SECONDS", CFG_U32, F(ticket_rotation),
	  1, 604800, "how long a generated ticket key seals before the next one, "
	  "1..604800 (not used with key_file)" },
	{ "tickets", "watch", "ticket-key-watch", NULL, CFG_BOOL, F(ticket_watch), 0, 0,
	  "reload when key_file changes (inotify on its directory: renames, "
	  "in-place writes, Kubernetes Secret updates), as on SIGHUP" },
	{ "tickets", "watch_delay_ms", NULL, "MS", CFG_U32, F(ticket_watch_delay_ms), 1,
	  60000, "quiet time after the key file's last change before it is "
	  "loaded, 1..60000 (one reload per burst of changes)" },
	{ "tickets", "psk_ke", NULL, NULL, CFG_BOOL, F(psk_ke), 0, 0,
	  "accept TLS 1.3 resumption without ECDHE (psk_ke: no forward secrecy)" },
	{ "limits", "max_conns", "max-conns", "N", CFG_U32, F(max_conns), 1,
	  HSOD_MAX_CONNS_MAX, "TCP connections at once per worker (hsod holds "
	  "workers x max_conns), 1..16777216; their memory is reserved, not "
	  "taken: an idle TLS connection costs under 1 KiB, touched when it "
	  "comes; what they may reach is checked at start" },
	{ "limits", "max_handshakes", "max-handshakes", "N", CFG_U32, F(max_handshakes),
	  1, HS_MAX_HANDSHAKES_LIMIT, "TLS handshakes in progress at once, per worker, "
	  "1..65536 and at most max_conns: each holds a handshake context (about "
	  "100 KiB, from a pool touched as used) until the session is handed "
	  "over; a connection that finds none is reset (conns_refused)" },
	{ "limits", "max_half_open", "max-half-open", "N", CFG_U32, F(max_half_open),
	  1, HSOD_MAX_CONNS_MAX, "connections per worker in SYN-RECEIVED before SYN "
	  "cookies, 1..max_conns" },
	{ "limits", "handshake_timeout_ms", "handshake-timeout", "MS", CFG_U32,
	  F(handshake_timeout_ms), 1, HSOD_HANDSHAKE_TIMEOUT_MS_MAX,
	  "time from SYN to a finished TLS handshake, 1..600000" },
	{ "limits", "idle_timeout_ms", "idle-timeout", "MS", CFG_U32,
	  F(idle_timeout_ms), 1, 86400000,
	  "time an established connection may stay silent, 1..86400000" },
	{ "limits", "source_rate", "source-rate", "N", CFG_U32, F(source_rate), 0, 1u << 24,
	  "new connections (each a TLS handshake and its private-key work) per "
	  "second per client address and worker, 0..16777216; past it a source's "
	  "connections are reset, counted (conns_rate_limited); 0: no limit" },
	{ "limits", "source_burst", "source-burst", "N", CFG_U32, F(source_burst), 1,
	  1u << 20, "connections a client address may open at once before "
	  "source_rate applies, 1..1048576" },
	{ "limits", "source_table", "source-table", "N", CFG_U32, F(source_table), 16,
	  1u << 22, "client addresses each worker remembers for source_rate, "
	  "16..4194304; when full the least recently seen is forgotten" },
	{ "limits", "source_prefix6", "source-prefix6", "LEN", CFG_U32, F(source_prefix6),
	  16, 128, "IPv6 clients share source_rate per prefix of this length, "
	  "16..128 (default 64: one host or site usually holds a whole /64)" },
	{ "limits", "send_buffer", "send-buffer", "BYTES", CFG_U32, F(send_buffer),
	  HSOD_SEND_BUFFER_MIN, 1u << 24, "bytes a connection may have queued to send "
	  "and not yet acknowledged (TCP's send buffer, held in mbufs by reference), "
	  "32768..16777216; past it the application's sends wait "
	  "(send_buffer_waits)" },
	{ "limits", "tcp_bufs", "tcp-bufs", "N", CFG_U32, F(tcp_bufs), 0, 1u << 24,
	  "mbufs TCP may hold for received and unacknowledged data, all workers "
	  "(split evenly), at most the pool (mbufs x ports) minus pool_reserve; past it, or "
	  "with the pool at pool_reserve, a connection past its part in a direction "
	  "takes no more there (its segments dropped, tcp_drop_buf_budget; its sends "
	  "wait, tcp_budget_waits) while handshakes go on; 0: half of what "
	  "pool_reserve leaves" },
	{ "limits", "zero_window_timeout_ms", "zero-window-timeout", "MS", CFG_U32,
	  F(zero_window_timeout_ms), 0, 86400000, "time a peer may keep its receive "
	  "window at zero while we have data for it (we probe it meanwhile, RFC 9293 "
	  "3.8.6.1) before the connection is reset (tcp_zero_window_timeouts), "
	  "0..86400000; 0: probe forever" },
	{ "app", "type", "app", "http|echo|external", KT_APP, 0, 0, 0,
	  "what gets the sessions: built-in HTTP/1.1 responder, built-in echo, "
	  "or a separate process on the rings" },
	{ "app", "conn_budget", "app-conn-budget", "BYTES", CFG_U32, F(app_conn_budget),
	  4096, 1u << 30, "plaintext a connection may have delivered to the application "
	  "and not yet released, 4096..1073741824; past it hsod stops reading the "
	  "connection and its TCP window closes" },
	{ "app", "pool_reserve", "app-pool-reserve", "N", CFG_U32, F(app_pool_reserve), 0,
	  1u << 24, "free mbufs kept for receiving and sending segments: at or under "
	  "it a connection past its share (16 KiB delivered, 4 sends in flight) "
	  "waits, under a quarter of it every one does (app_pool_stalls), so "
	  "clients that never read cannot empty the pool; 0: a quarter of the "
	  "pool; at most half of mbufs" },
	{ "app", "http_status", "http-status", "CODE", CFG_U32, F(http_status),
	  100, 599, "status of the HTTP responder, 100..599" },
	{ "app", "http_body", "http-body", "TEXT", KT_BODY, 0, 0, 0,
	  "body of the HTTP responder; escapes \\n \\r \\t \\\\" },
	{ "crypto", "imb_arch", "imb-arch", "SPEC", KT_IMB, 0, 0, 0,
	  "force ipsec-mb managers: ALG=ARCH pairs, ALG one of hmac-sha256, "
	  "hmac-sha384, aes-gcm, chacha20-poly1305, all; ARCH one of sse, avx, "
	  "avx2, avx512, auto; empty: chosen at start-up" },
	{ "metrics", "listen", "metrics", "ADDR:PORT", KT_LISTEN, 0, 0, 0,
	  "serve Prometheus metrics (GET /metrics) on this A.B.C.D:PORT or "
	  "[IPv6]:PORT, a kernel socket on the control thread; empty: off" },
};

/* hsod's own parse state (cfg_parser.user). */
struct pstate {
	const char *pending_cert;   /* a --cert waiting for its --key */
	unsigned n_flag_certs;
};

/* ---- lists (cfg_util.h) and TLS names (cfg_tls.h) ------------------- */

/* Each item of a list (len 0 for an empty one: the caller decides). */
#define LIST_FOREACH(it_, val_, s_, n_) \
	for (cfg_list_start(&(it_), (val_)); cfg_list_next(&(it_), &(s_), &(n_));)


#define DIM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- values --------------------------------------------------------- */

static int
parse_addr(const char *s, struct hsod_port_conf *pc, char *why, size_t wl)
{
	uint32_t a;
	unsigned len;

	if (cfg_parse_ipv4_prefix(s, &a, &len, why, wl) != 0)
		return -EINVAL;
	pc->addr = a;
	pc->prefix_len = (uint8_t)len;
	return 0;
}

static int
parse_ports(const char *s, struct hsod_config *c, bool append, char *why, size_t wl)
{
	uint16_t ports[HSOD_MAX_LISTEN];
	unsigned n = append ? c->n_listen : 0;
	struct cfg_list it;
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
	struct cfg_list it;
	const char *item;
	size_t len;

	LIST_FOREACH(it, s, item, len) {
		bool *v;

		if (len == 0)
			return cfg_errf(why, wl, "empty item in the list");
		if (cfg_item_is(item, len, "1.2") || cfg_item_is(item, len, "TLSv1.2"))
			v = &v12;
		else if (cfg_item_is(item, len, "1.3") || cfg_item_is(item, len, "TLSv1.3"))
			v = &v13;
		else if (cfg_item_is(item, len, "1.0") || cfg_item_is(item, len, "1.1") ||
			 cfg_item_is(item, len, "TLSv1") || cfg_item_is(item, len, "TLSv1.1"))
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
 * Set hsod's own key types: @p base is the config, or for [port N] keys the
 * port's struct hsod_port_conf. On failure @p why says what is wrong.
 */
static int
key_set(const struct cfg_key *k, void *base, const char *val, bool append,
	char *why, size_t wl)
{
	struct hsod_config *c = base;

	switch ((enum key_type)k->type) {
	case KT_ADDR:
		return parse_addr(val, base, why, wl);
	case KT_IPV4:
		return cfg_parse_ipv4(val, &((struct hsod_port_conf *)base)->gateway, why, wl);
	case KT_ADDR6: {
		struct hsod_port_conf *pc = base;
		unsigned len;

		if (cfg_parse_ipv6_prefix(val, pc->addr6, &len, why, wl) != 0)
			return -EINVAL;
		pc->prefix6_len = (uint8_t)len;
		return 0;
	}
	case KT_IPV6:
		return cfg_parse_ipv6(val, true, ((struct hsod_port_conf *)base)->gateway6, why,
				      wl);
	case KT_PORTS:
		return parse_ports(val, c, append, why, wl);
	case KT_VERSIONS:
		return parse_versions(val, c, why, wl);
	/* The names hso implements: the engine's default policy says (cfg_tls.h). */
	case KT_SUITES:
		return cfg_tls_parse_suites(val, c->suites, HS_POLICY_MAX_SUITES, &c->n_suites,
					    why, wl);
	case KT_GROUPS:
		return cfg_tls_parse_groups(val, c->groups, HS_POLICY_MAX_GROUPS, &c->n_groups,
					    why, wl);
	case KT_SIGALGS:
		return cfg_tls_parse_sigalgs(val, c->sigalgs, HS_POLICY_MAX_SIGALGS,
					     &c->n_sigalgs, why, wl);
	case KT_ALPN:
		return cfg_tls_parse_alpn(val, c->alpn, sizeof(c->alpn), &c->alpn_len, why, wl);
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
	case KT_LISTEN: {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (val[0] != '\0' && (strlen(val) >= sizeof(c->metrics) ||
					hsod_metrics_addr_parse(val, &ss, &sl) != 0))
			return cfg_errf(why, wl, "not A.B.C.D:PORT or [IPv6]:PORT, PORT 1..65535");
		snprintf(c->metrics, sizeof(c->metrics), "%s", val);
		return 0;
	}
	}
	return cfg_errf(why, wl, "internal: unknown key type");
}

/* Print key @p k's value in @p base the way the file would take it. */
static void
key_render(const struct cfg_key *k, const void *base, char *buf, size_t len)
{
	const struct hsod_config *c = base;
	const struct hsod_port_conf *pc = base;
	size_t o = 0;
	struct in_addr in;
	char ip[INET_ADDRSTRLEN];

	buf[0] = '\0';
#define PUT(...) \
	(o += (size_t)snprintf(buf + (o < len ? o : len), o < len ? len - o : 0, __VA_ARGS__))
	switch ((enum key_type)k->type) {
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
	case KT_ADDR6:
	case KT_IPV6: {
		char ip6[64];
		const uint8_t *a = k->type == KT_ADDR6 ? pc->addr6 : pc->gateway6;

		if (!cfg_ip6_is_unset(a))
			PUT("%s", cfg_ip6_str(a, k->type == KT_ADDR6 ? pc->prefix6_len : 0, ip6,
					      sizeof(ip6)));
		break;
	}
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
			    cfg_tls_group_name(c->groups[i]));
		break;
	case KT_SIGALGS:
		for (unsigned i = 0; i < c->n_sigalgs; i++)
			PUT("%s%s", i ? "," : "",
			    cfg_tls_sigalg_name(c->sigalgs[i]));
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
	case KT_LISTEN:
		PUT("%s", c->metrics);
		break;
	}
#undef PUT
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
	cfg->neigh_entries = HSOD_NEIGH_ENTRIES_DEFAULT;
	cfg->neigh_queue = HSOD_NEIGH_QUEUE_DEFAULT;
	cfg->neigh_queue_total = HSOD_NEIGH_QUEUE_TOTAL_DEFAULT;
	cfg->neigh_reachable_ms = HSOD_NEIGH_REACHABLE_MS_DEFAULT;
	cfg->neigh_stale_ms = HSOD_NEIGH_STALE_MS_DEFAULT;
	cfg->ip6_ext_max = HSOD_IP6_EXT_MAX_DEFAULT;
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
	cfg->ticket_watch = true;
	cfg->ticket_watch_delay_ms = HSOD_TICKET_WATCH_DELAY_MS_DEFAULT;
	cfg->psk_ke = true;
	cfg->max_conns = HSOD_MAX_CONNS_DEFAULT;
	cfg->max_half_open = HSOD_MAX_HALF_OPEN_DEFAULT;
	cfg->max_handshakes = HSOD_MAX_HANDSHAKES_DEFAULT;
	cfg->handshake_timeout_ms = HSOD_HANDSHAKE_TIMEOUT_MS_DEFAULT;
	cfg->idle_timeout_ms = HSOD_IDLE_TIMEOUT_MS_DEFAULT;
	cfg->send_buffer = HSOD_SEND_BUFFER_DEFAULT;
	cfg->zero_window_timeout_ms = HSOD_ZERO_WINDOW_TIMEOUT_MS_DEFAULT;
	cfg->source_rate = HSOD_SOURCE_RATE_DEFAULT;
	cfg->source_burst = HSOD_SOURCE_BURST_DEFAULT;
	cfg->source_table = HSOD_SOURCE_TABLE_DEFAULT;
	cfg->source_prefix6 = HSOD_SOURCE_PREFIX6_DEFAULT;
	cfg->app = HSOD_APP_HTTP;
	cfg->http_status = HSOD_HTTP_STATUS_DEFAULT;
	cfg->app_conn_budget = HSOD_APP_CONN_BUDGET_DEFAULT;
	cfg->http_body_len = strlen(HSOD_HTTP_BODY_DEFAULT);
	memcpy(cfg->http_body, HSOD_HTTP_BODY_DEFAULT, cfg->http_body_len + 1);
	for (int a = 0; a < HSO_IMB_ALG_NUM; a++)
		cfg->imb.arch[a] = IMB_ARCH_NONE;
}

/* ---- certificates -------------------------------------------------- */

/* [cert NAME] begins: it fills the next free slot. */
static void *
cert_open(struct cfg_parser *p, const char *label, char *why, size_t wl)
{
	struct hsod_config *c = p->obj;
	struct hsod_cert_conf *cc;

	if (strlen(label) >= sizeof(cc->name))
		return cfg_errf(why, wl, "name longer than %d bytes", HSOD_CERT_NAME_MAX - 1),
		       NULL;
	if (c->n_certs == HSOD_MAX_CERTS)
		return cfg_errf(why, wl, "more than %d certificates", HSOD_MAX_CERTS), NULL;
	cc = &c->certs[c->n_certs];
	memset(cc, 0, sizeof(*cc));
	snprintf(cc->name, sizeof(cc->name), "%s", label);
	return cc;
}

static int
cert_close(struct cfg_parser *p, void *inst, const char **key, char *why, size_t wl)
{
	struct hsod_config *c = p->obj;
	struct hsod_cert_conf *cc = inst;

	if (cc->cert[0] == '\0') {
		*key = "cert";
		return cfg_errf(why, wl, "missing: the section needs cert = FILE (key = '%s')",
				cc->key);
	}
	if (cc->key[0] == '\0') {
		*key = "key";
		return cfg_errf(why, wl, "missing: cert = '%s' needs its private key, "
				"key = FILE", cc->cert);
	}
	for (unsigned i = 0; cc->is_default && i < c->n_certs; i++)
		if (c->certs[i].is_default) {
			*key = "default";
			return cfg_errf(why, wl, "[cert %s] is the default already (got 'yes')",
					c->certs[i].name);
		}
	c->n_certs++;
	return 0;
}

/* --cert FILE: waits for its --key. */
static int
flag_cert(struct cfg_parser *p, const char *val)
{
	struct pstate *st = p->user;

	if (st->pending_cert != NULL)
		return cfg_fail(p, "--cert: '%s' has no --key: each --cert FILE needs a --key "
				"FILE after it (got '%s')", st->pending_cert, st->pending_cert);
	st->pending_cert = val;
	return 0;
}

/* --key FILE: completes the pair, added after the file's certificates. */
static int
flag_key(struct cfg_parser *p, const char *val)
{
	struct hsod_config *c = p->obj;
	struct pstate *st = p->user;
	const char *cert = st->pending_cert;
	struct hsod_cert_conf *cc;
	char why[WHY_LEN];

	if (cert == NULL)
		return cfg_fail(p, "--key: no --cert before it: give --cert FILE --key FILE "
				"(got '%s')", val);
	st->pending_cert = NULL;
	if (c->n_certs == HSOD_MAX_CERTS)
		return cfg_fail(p, "--cert: more than %d certificates (with the config "
				"file's) (got '%s')", HSOD_MAX_CERTS, cert);
	cc = &c->certs[c->n_certs];
	memset(cc, 0, sizeof(*cc));
	if (cfg_key_set(p, "cert", cc, "cert", cert, why, sizeof(why)) != 0)
		return cfg_fail(p, "--cert: %s (got '%s')", why, cert);
	if (cfg_key_set(p, "cert", cc, "key", val, why, sizeof(why)) != 0)
		return cfg_fail(p, "--key: %s (got '%s')", why, val);
	snprintf(cc->name, sizeof(cc->name), "--cert %u", ++st->n_flag_certs);
	c->n_certs++;
	return 0;
}

/* --ocsp FILE: the OCSP response of the --cert/--key pair before it. */
static int
flag_ocsp(struct cfg_parser *p, const char *val)
{
	struct hsod_config *c = p->obj;
	struct pstate *st = p->user;
	struct hsod_cert_conf *cc = c->n_certs > 0 ? &c->certs[c->n_certs - 1] : NULL;
	char why[WHY_LEN];

	if (st->pending_cert != NULL || st->n_flag_certs == 0 || cc == NULL ||
	    strncmp(cc->name, "--cert ", 7) != 0)
		return cfg_fail(p, "--ocsp: no --cert FILE --key FILE pair before it "
				"(got '%s')", val);
	if (cc->ocsp[0] != '\0')
		return cfg_fail(p, "--ocsp: '%s' has one already: one --ocsp per --cert "
				"(got '%s')", cc->cert, val);
	if (cfg_key_set(p, "cert", cc, "ocsp", val, why, sizeof(why)) != 0)
		return cfg_fail(p, "--ocsp: %s (got '%s')", why, val);
	return 0;
}

/* --check: load and report, do not serve. */
static int
flag_check(struct cfg_parser *p, const char *val)
{
	(void)val;
	((struct hsod_config *)p->obj)->check = true;
	return 0;
}

static int
flags_finish(struct cfg_parser *p)
{
	const struct pstate *st = p->user;

	if (st->pending_cert != NULL)
		return cfg_fail(p, "--cert: '%s' has no --key: each --cert FILE needs a --key "
				"FILE after it (got '%s')", st->pending_cert, st->pending_cert);
	return 0;
}

/* ---- the table ------------------------------------------------------ */

static const struct cfg_section sections[] = {
	{ .name = "net" },
	{ .name = "port", .kind = CFG_SEC_INDEXED, .n_index = HSOD_MAX_PORTS,
	  .off = F(ports), .stride = sizeof(struct hsod_port_conf), .alias = "net",
	  .index_doc = "the port's number in the order DPDK finds the ports",
	  .help = "    one section per DPDK port hsod serves, N = 0..7 in the order DPDK "
		  "finds\n    them (-a / --vdev order); as many ports configured as DPDK "
		  "finds. Port 0\n    may be [net] addr and gateway instead (not both).\n" },
	{ .name = "tls" },
	{ .name = "cert", .kind = CFG_SEC_NAMED, .open = cert_open, .close = cert_close,
	  .help = "    one section per certificate, any NAME (or --cert FILE --key FILE, "
		  "added after\n    the file's); one is required. Sections whose "
		  "certificates share a name\n    and differ in key type (RSA, ECDSA "
		  "P-256, P-384) are served together:\n    ECDSA to clients that can take "
		  "it, RSA to the others\n" },
	{ .name = "tickets" },
	{ .name = "limits" },
	{ .name = "app" },
	{ .name = "crypto" },
	{ .name = "metrics" },
};

static const struct cfg_flag flags[] = {
	{ "cert", "FILE", "--cert FILE --key FILE",
	  "[cert NAME] cert, key: a certificate chain (PEM, leaf first) and its key; "
	  "repeat for more (added to the file's)", flag_cert },
	{ "key", "FILE", "", "the private key of the --cert before it", flag_key },
	{ "ocsp", "FILE", NULL, "[cert NAME] ocsp: the OCSP response (DER) of the --cert "
	  "--key pair before it", flag_ocsp },
	{ "check", NULL, NULL, "check the configuration, load the certificates and "
	  "the ticket key file, say what was loaded and exit (0: hsod would start); "
	  "no EAL arguments needed", flag_check },
};

static const struct cfg_table table = {
	.prog = "hsod",
	.usage =
		"Usage: hsod [EAL options] -- [options]\n"
		"  e.g. hsod -l 0-1 --vdev=net_tap0,iface=hso0 -- --addr 198.18.0.2/24 \\\n"
		"       --gateway 198.18.0.1 --listen 443 --cert cert.pem --key key.pem\n"
		"  two ports (N: is the port; one address each, as many as DPDK finds):\n"
		"       hsod -l 0-1 --vdev=net_tap0,iface=hso0 --vdev=net_tap1,iface=hso1 -- \\\n"
		"       --addr 198.18.0.2/24 --addr 1:198.18.1.2/24 --gateway 1:198.18.1.1 ...\n"
		"  hsod --counters: every counter and metric as a Markdown table, and exit\n",
	.sections = sections,
	.n_sections = DIM(sections),
	.keys = keys,
	.n_keys = DIM(keys),
	.flags = flags,
	.n_flags = DIM(flags),
	.set = key_set,
	.render = key_render,
	.finish = flags_finish,
};

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
 * Port @p p's IPv6: a gateway needs an address; the gateway is on-link or
 * link-local and not our address; prefixes of two ports do not overlap
 * (a segment's address says its port).
 */
static int
port_check6(struct cfg_parser *ps, const struct hsod_config *c, unsigned p)
{
	const struct hsod_port_conf *pc = &c->ports[p];
	char why[WHY_LEN], mine[64], other[64];

	if (cfg_ip6_is_unset(pc->addr6)) {
		if (!cfg_ip6_is_unset(pc->gateway6))
			return cfg_fail_at(ps, "port", "gateway6", p, "needs the port's IPv6 "
					   "address (addr6)");
		return 0;
	}
	cfg_ip6_str(pc->addr6, pc->prefix6_len, mine, sizeof(mine));
	for (unsigned q = 0; q < p; q++) {
		const struct hsod_port_conf *qc = &c->ports[q];
		unsigned len = pc->prefix6_len < qc->prefix6_len ? pc->prefix6_len :
								    qc->prefix6_len;

		if (cfg_ip6_is_unset(qc->addr6) || !cfg_ip6_prefix_eq(pc->addr6, qc->addr6, len))
			continue;
		snprintf(why, sizeof(why), "prefix %s overlaps port %u's %s: each port needs "
			 "a prefix of its own", mine, q,
			 cfg_ip6_str(qc->addr6, qc->prefix6_len, other, sizeof(other)));
		return cfg_fail_at(ps, "port", "addr6", p, why);
	}
	if (cfg_ip6_is_unset(pc->gateway6))
		return 0;
	if (memcmp(pc->gateway6, pc->addr6, 16) == 0)
		return cfg_fail_at(ps, "port", "gateway6", p, "is the port's own address (addr6)");
	if (!cfg_ip6_is_linklocal(pc->gateway6) &&
	    !cfg_ip6_prefix_eq(pc->gateway6, pc->addr6, pc->prefix6_len)) {
		snprintf(why, sizeof(why), "outside the port's prefix %s (addr6) and not "
			 "link-local: the gateway must be on-link", mine);
		return cfg_fail_at(ps, "port", "gateway6", p, why);
	}
	return 0;
}

/*
 * Port @p p of ports 0..c->n_ports-1: it has an address, its subnet
 * overlaps no lower port's (a segment's address must say which port it
 * leaves by), and its gateway is on-link.
 */
static int
port_check(struct cfg_parser *ps, const struct hsod_config *c, unsigned p)
{
	const struct hsod_port_conf *pc = &c->ports[p];
	char why[WHY_LEN], mine[32], other[32], src[HSOD_PATH_MAX + 64], ex[32];

	if (pc->addr == 0) {
		/* Port 0 was checked first, with the message of one port. */
		snprintf(why, sizeof(why), "port %u needs its IPv4 address (ports 0..%u are "
			 "configured)", p, c->n_ports - 1);
		snprintf(ex, sizeof(ex), "198.18.%u.2/24", p);
		return cfg_fail_missing(ps, "port", "addr", p, why, ex);
	}
	port_addr_str(c, p, mine, sizeof(mine));
	for (unsigned q = 0; q < p; q++) {
		const struct hsod_port_conf *qc = &c->ports[q];
		unsigned len = pc->prefix_len < qc->prefix_len ? pc->prefix_len : qc->prefix_len;
		uint32_t m = cfg_prefix_mask(len);
		struct cfg_parser brief;

		if ((pc->addr & m) != (qc->addr & m))
			continue;
		/* Port q's origin without the file's name: it is in the message already. */
		brief = *ps;
		brief.file = NULL;
		cfg_where(&brief, "port", "addr", q, src, sizeof(src));
		snprintf(why, sizeof(why), "subnet %s overlaps port %u's %s (%s): each port "
			 "needs a subnet of its own", mine, q,
			 port_addr_str(c, q, other, sizeof(other)), src);
		return cfg_fail_at(ps, "port", "addr", p, why);
	}
	if (pc->gateway != 0) {
		uint32_t m = cfg_prefix_mask(pc->prefix_len);

		if ((pc->gateway & m) != (pc->addr & m)) {
			if (p == 0)
				snprintf(why, sizeof(why), "outside our subnet %s (addr): the "
					 "gateway must be on-link", mine);
			else
				snprintf(why, sizeof(why), "outside port %u's subnet %s (its "
					 "addr): the gateway must be on-link", p, mine);
			return cfg_fail_at(ps, "port", "gateway", p, why);
		}
		if (pc->gateway == pc->addr)
			return cfg_fail_at(ps, "port", "gateway", p, p == 0 ?
					   "is our own address (addr)" :
					   "is the port's own address (addr)");
	}
	return port_check6(ps, c, p);
}

/* Bytes as "1.5 GiB", "12.0 MiB", "96 KiB", "320 bytes". */
static const char *
size_str(uint64_t b, char *buf, size_t len)
{
	if (b >= (1ull << 30))
		snprintf(buf, len, "%.1f GiB", (double)b / (1ull << 30));
	else if (b >= (1ull << 20))
		snprintf(buf, len, "%.1f MiB", (double)b / (1ull << 20));
	else if (b >= 1024)
		snprintf(buf, len, "%" PRIu64 " KiB", (b + 1023) >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", b);
	return buf;
}

/*
 * What a later stage would refuse, checked now (config.h,
 * hsod_config_parse_res()): workers, mbufs per port, memory.
 */
static int
limits_check(struct cfg_parser *ps, const struct hsod_config *c, const struct hsod_resources *r)
{
	unsigned lcores = r->lcores > 0 ? r->lcores : 1;
	unsigned workers = lcores > 1 ? lcores - 1 : 1;
	uint64_t need, per_port, heap, dpdk, pool, rings, avail;
	struct hsod_worker_mem wm;
	char why[WHY_LEN], a[32], b[32], d[32], e[32], f[32], g[32], from[64];

	if (workers > HSOD_MAX_WORKERS)
		return cfg_fail(ps, "EAL %s: %u lcores make %u workers (one lcore is the main "
				"one), hsod runs at most %u: give EAL at most %u lcores", r->lcores_from,
				lcores, workers, HSOD_MAX_WORKERS, HSOD_MAX_WORKERS + 1);
	/*
	 * Every worker's RX queue on every port is filled with mbufs, its TX
	 * queue holds what it sent until the port is done with it, and each
	 * lcore's mempool cache holds up to 1.5 times its size.
	 */
	need = (uint64_t)c->n_ports * workers * (HSOD_RX_DESC + HSOD_TX_DESC) +
	       (uint64_t)lcores * HSOD_MBUF_CACHE * 3 / 2;
	per_port = (need + c->n_ports - 1) / c->n_ports;
	if (c->mbufs < per_port) {
		snprintf(why, sizeof(why), "mbufs per port: %u worker%s on %u port%s hold up to "
			 "%u RX + %u TX descriptors per queue, and %u lcore%s mempool cache%s up "
			 "to %u each (%s): at least %" PRIu64 " per port", workers,
			 workers == 1 ? "" : "s", c->n_ports, c->n_ports == 1 ? "" : "s",
			 HSOD_RX_DESC, HSOD_TX_DESC, lcores, lcores == 1 ? "'s" : "s'",
			 lcores == 1 ? "" : "s",
			 HSOD_MBUF_CACHE * 3 / 2, r->lcores_from, per_port);
		return cfg_fail_at(ps, "net", "mbufs", 0, why);
	}
	/*
	 * The workers' memory, from the structures' sizes: slots are reserved
	 * and touched as connections come, so this is what max_conns
	 * connections and max_handshakes handshakes at once come to.
	 */
	hsod_worker_mem(c, &wm);
	pool = hsod_mbuf_pool_mem_size(c->mbufs * c->n_ports);
	/* The application rings, and the workers' neighbour tables (rte_hash). */
	rings = hsod_apps_mem_size(workers) + (uint64_t)workers * wm.dpdk;
	dpdk = pool + rings;
	heap = (uint64_t)workers * wm.total + (r->no_huge ? dpdk : 0);
	if (r->mem_available != 0 && heap > r->mem_available) {
		/* Blame what takes most: the connections, or the handshake contexts. */
		bool conns = (uint64_t)c->max_conns * wm.conn >= wm.engine;

		snprintf(why, sizeof(why), "%s: %u worker%s x (%u connections of %s (session "
			 "%s, TCP %s, flow control %s) + the TLS engine's %s for %u handshakes at "
			 "once) come to %s%s, but %s is available (%s): lower %s or give EAL "
			 "fewer lcores", conns ? "connections per worker" : "handshakes per worker",
			 workers, workers == 1 ? "" : "s", c->max_conns,
			 size_str(wm.conn, b, sizeof(b)), size_str(wm.session, d, sizeof(d)),
			 size_str(wm.tcp, e, sizeof(e)), size_str(wm.fc, f, sizeof(f)),
			 size_str(wm.engine, g, sizeof(g)), c->max_handshakes,
			 size_str(heap, a, sizeof(a)),
			 r->no_huge ? " with DPDK's memory (--no-huge)" : "",
			 size_str(r->mem_available, from, sizeof(from)),
			 r->mem_from[0] ? r->mem_from : "MemAvailable",
			 conns ? "max_conns" : "max_handshakes");
		return cfg_fail_at(ps, "limits", conns ? "max_conns" : "max_handshakes", 0, why);
	}
	/* The flow-control words: a file in /dev/shm, every slot's page may be written. */
	if (r->shm_free != 0 && (uint64_t)workers * c->max_conns * wm.fc > r->shm_free) {
		snprintf(why, sizeof(why), "connections per worker: the applications' flow-"
			 "control words of %u worker%s x %u connections (%s each) come to %s in "
			 "/dev/shm, but it has %s free (a container's /dev/shm is 64 MiB unless "
			 "sized): lower max_conns or enlarge /dev/shm", workers,
			 workers == 1 ? "" : "s", c->max_conns, size_str(wm.fc, a, sizeof(a)),
			 size_str((uint64_t)workers * c->max_conns * wm.fc, b, sizeof(b)),
			 size_str(r->shm_free, d, sizeof(d)));
		return cfg_fail_at(ps, "limits", "max_conns", 0, why);
	}
	avail = hsod_resources_dpdk_mem(r, from, sizeof(from));
	if (dpdk > avail) {
		char src[96];

		snprintf(src, sizeof(src), "%s", from);
		if (!r->no_huge && avail == 0)
			return cfg_fail(ps, "EAL: no free hugepages for DPDK's memory (%s needed: "
					"%u mbufs x %u port%s, application rings): reserve some "
					"(deploy/setup.sh) or give EAL --no-huge -m %" PRIu64,
					size_str(dpdk, a, sizeof(a)), c->mbufs, c->n_ports,
					c->n_ports == 1 ? "" : "s", (dpdk >> 20) + 64);
		snprintf(why, sizeof(why), "DPDK memory: the mbuf pool (%u x %u port%s: %s) and "
			 "the application rings and neighbour tables (%u worker%s: %s) need %s, "
			 "but EAL has %s (%s)", c->mbufs, c->n_ports, c->n_ports == 1 ? "" : "s",
			 size_str(pool, a, sizeof(a)), workers, workers == 1 ? "" : "s",
			 size_str(rings, b, sizeof(b)), size_str(dpdk, d, sizeof(d)),
			 size_str(avail, e, sizeof(e)), src);
		return cfg_fail_at(ps, "net", pool >= rings ? "mbufs" : "neigh_entries", 0, why);
	}
	return 0;
}

static int
config_check(struct cfg_parser *ps, const struct hsod_config *c)
{
	uint16_t suites[HS_POLICY_MAX_SUITES];
	unsigned n;
	char why[WHY_LEN];

	if (c->ports[0].addr == 0)
		return cfg_fail_missing(ps, "port", "addr", 0, "hsod needs its IPv4 address",
					"198.18.0.2/24");
	if (c->n_listen == 0)
		return cfg_fail_missing(ps, "net", "listen", 0, "no port to listen on", "443");
	if (c->n_certs == 0) {
		if (ps->file != NULL)
			return cfg_fail(ps, "%s: [cert NAME] cert: missing: no certificate (add "
					"a [cert NAME] section with cert and key, or --cert FILE "
					"--key FILE)", ps->file);
		return cfg_fail(ps, "--cert: missing: no certificate, give --cert FILE --key "
				"FILE (or [cert NAME] sections in a --config file)");
	}
	for (unsigned p = 0; p < c->n_ports; p++) {
		int r = port_check(ps, c, p);

		if (r != 0)
			return r;
	}
	/* Blame the list when it was written, else the versions that were. */
	if (suites_filter(c, suites, &n, why, sizeof(why)) != 0)
		return cfg_fail_at(ps, "tls",
				   cfg_origin(ps, "tls", "ciphers", 0) != CFG_ORIGIN_DEFAULT ||
				   cfg_origin(ps, "tls", "versions", 0) == CFG_ORIGIN_DEFAULT ?
				   "ciphers" : "versions", 0, why);
	/* Held packets are mbufs of the pool: half of it at most, per worker. */
	if (c->neigh_queue_total > c->mbufs / 2) {
		snprintf(why, sizeof(why), "more than half of mbufs (%u): packets held "
			 "for ARP would starve the pool", c->mbufs);
		return cfg_fail_at(ps, "net", "neigh_queue_total", 0, why);
	}
	/* A reserve of most of the pool would leave applications nothing. */
	if (c->app_pool_reserve > c->mbufs / 2) {
		snprintf(why, sizeof(why), "more than half of mbufs (%u)", c->mbufs);
		return cfg_fail_at(ps, "app", "pool_reserve", 0, why);
	}
	/* TCP's budget within what the reserve leaves (0: derived, always fits). */
	{
		uint64_t pool = (uint64_t)c->mbufs * c->n_ports;
		uint64_t reserve = c->app_pool_reserve != 0 ? c->app_pool_reserve : pool / 4;

		if (c->tcp_bufs > pool - reserve) {
			snprintf(why, sizeof(why), "more than the pool (mbufs x %u port%s: %" PRIu64
				 ") minus [app] pool_reserve (%" PRIu64 ")", c->n_ports,
				 c->n_ports == 1 ? "" : "s", pool, reserve);
			return cfg_fail_at(ps, "limits", "tcp_bufs", 0, why);
		}
	}
	if (c->neigh_queue > c->neigh_queue_total) {
		snprintf(why, sizeof(why), "more than neigh_queue_total (%u)",
			 c->neigh_queue_total);
		return cfg_fail_at(ps, "net", "neigh_queue", 0, why);
	}
	if (c->max_half_open > c->max_conns) {
		snprintf(why, sizeof(why), "more than max_conns (%u)", c->max_conns);
		return cfg_fail_at(ps, "limits", "max_half_open", 0, why);
	}
	if (c->max_handshakes > c->max_conns) {
		snprintf(why, sizeof(why), "more than max_conns (%u)", c->max_conns);
		return cfg_fail_at(ps, "limits", "max_handshakes", 0, why);
	}
	/* The pool hs_worker_create() would allocate per worker. */
	if (c->max_handshake_msg > HS_MSG_INLINE_MAX &&
	    (uint64_t)c->large_msg_bufs * (c->max_handshake_msg + 4u) > HSOD_LARGE_MSG_POOL_MAX) {
		snprintf(why, sizeof(why), "%u buffers of max_handshake_msg (%u) bytes are "
			 "more than %u MiB per worker", c->large_msg_bufs, c->max_handshake_msg,
			 (unsigned)(HSOD_LARGE_MSG_POOL_MAX >> 20));
		return cfg_fail_at(ps, "tls", "large_msg_bufs", 0, why);
	}
	return 0;
}

int
hsod_config_parse(struct hsod_config *cfg, int argc, char **argv,
		  char *err, size_t errlen)
{
	return hsod_config_parse_res(cfg, argc, argv, NULL, err, errlen);
}

int
hsod_config_parse_res(struct hsod_config *cfg, int argc, char **argv,
		      const struct hsod_resources *res, char *err, size_t errlen)
{
	struct cfg_parser ps;
	struct pstate st;
	int ret;

	memset(&st, 0, sizeof(st));
	hsod_config_defaults(cfg);
	ret = cfg_parse(&ps, &table, cfg, &st, argc, argv, cfg->config_file,
			sizeof(cfg->config_file), err, errlen);
	cfg->help = ps.help;
	if (ret != 0 || cfg->help)
		return ret;
	/* A default half-open limit follows a smaller max_conns; a written one must fit. */
	if (cfg->max_half_open > cfg->max_conns &&
	    cfg_origin(&ps, "limits", "max_half_open", 0) == CFG_ORIGIN_DEFAULT)
		cfg->max_half_open = cfg->max_conns;
	if (cfg->max_handshakes > cfg->max_conns &&
	    cfg_origin(&ps, "limits", "max_handshakes", 0) == CFG_ORIGIN_DEFAULT)
		cfg->max_handshakes = cfg->max_conns;
	/* Ports 0 up to the highest one named or given an address. */
	cfg->n_ports = 1;
	for (unsigned p = 1; p < HSOD_MAX_PORTS; p++)
		if (ps.named[p] || cfg->ports[p].addr != 0 || !cfg_ip6_is_unset(cfg->ports[p].addr6))
			cfg->n_ports = p + 1;
	ret = config_check(&ps, cfg);
	if (ret == 0 && res != NULL)
		ret = limits_check(&ps, cfg, res);
	return ret;
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
	/* Handshake contexts per worker: the engine's pool is this big, not max_conns. */
	hs->max_handshakes = cfg->max_handshakes;
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

	hsod_config_defaults(&d);
	cfg_usage(&table, &d, out);
}
