/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-gen's configuration: one key table (cfg_util.h) drives the flags, an
 * optional --config file and --help; then the checks across keys, each
 * message naming the flag (or the file's line) as the operator wrote it.
 * Contract in gen_config.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_ip6.h"
#include "cfg_tls.h"
#include "cfg_util.h"
#include "gen_config.h"
#include "gen_errors.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

/* hso-gen's own value types, after cfg_util's CFG_U32, CFG_BOOL, CFG_STR. */
enum key_type {
	KT_TARGET = CFG_CUSTOM, /* A.B.C.D:PORT */
	KT_ADDR,        /* A.B.C.D/LEN */
	KT_IPV4,        /* A.B.C.D */
	KT_RANGE,       /* A.B.C.D-A.B.C.D */
	KT_ADDR6,       /* ADDR/LEN */
	KT_IPV6,        /* ADDR (the gateway: link-local allowed) */
	KT_PORTS,       /* LO-HI */
	KT_DOUBLE,      /* a number in [min, max] as the key's help says */
	KT_U64,
	KT_ARRIVAL,
	KT_TLS,
	KT_SUITES,
	KT_GROUPS,
	KT_SIGALGS,
	KT_SNI,
	KT_ALPN,
	KT_RESUME_KIND,
	KT_MODE,
	KT_REQUEST,
	KT_CLOSE,
	KT_IMPAIR,      /* loss=P,dup=P,reorder=P,delay=MS[,limit=N] */
	KT_FLOOD_RANGE, /* A.B.C.D-A.B.C.D */
};

#define F(m) offsetof(struct gen_config, m)
#define PATH_LEN (GEN_PATH_MAX - 1)

static const struct cfg_key keys[] = {
	{ "net", "target", "target", "A.B.C.D:PORT|[IPv6]:PORT", KT_TARGET, 0, 0, 0,
	  "the server to load (required); an IPv6 target needs addr6, and the load "
	  "goes over IPv6" },
	{ "net", "addr", "addr", "A.B.C.D/LEN", KT_ADDR, 0, 0, 0,
	  "our address on the port and its subnet (required)" },
	{ "net", "gateway", "gateway", "A.B.C.D", KT_IPV4, F(gateway), 0, 0,
	  "next hop for a target off the subnet; inside it (none: the target must be on it)" },
	{ "net", "addr6", "addr6", "ADDR/LEN", KT_ADDR6, 0, 0, 0,
	  "our IPv6 address and prefix (for an IPv6 target; the source of every "
	  "connection: sources is IPv4 only). Neighbor Discovery answered for it" },
	{ "net", "gateway6", "gateway6", "ADDR", KT_IPV6, 0, 0, 0,
	  "IPv6 next hop for a target off addr6's prefix: on it, or link-local" },
	{ "net", "sources", "sources", "A.B.C.D-A.B.C.D", KT_RANGE, 0, 0, 0,
	  "source addresses connections are spread over, inside the subnet, ARP "
	  "answered for each (none: addr alone)" },
	{ "net", "ports", "ports", "LO-HI", KT_PORTS, 0, 0, 0,
	  "ephemeral source ports; with the sources, 4-tuples are chosen as RFC 6056 "
	  "3.3.3 says, never one the TCP table still holds" },
	{ "net", "tx_offload", "tx-offload", NULL, CFG_BOOL, F(tx_offload), 0, 0,
	  "let the port compute IPv4 and TCP checksums when it offers to; no (or "
	  "--no-tx-offload): computed in software" },
	{ "net", "mbufs", "mbufs", "N", CFG_U32, F(mbufs), 1023, 1u << 24,
	  "packet buffers per worker lcore, 1023..16777216" },
	{ "load", "concurrency", "concurrency", "N", CFG_U32, F(concurrency), 1, 1u << 22,
	  "closed loop: connections in progress at once, a new one as soon as one is "
	  "done, 1..4194304 (with hold: how many are opened at once)" },
	{ "load", "rate", "rate", "R", KT_DOUBLE, F(rate), 0, 0,
	  "open loop: connections started per second whatever happens, 0.001..1e8; "
	  "latency counts from each one's intended start, so stalls are not hidden" },
	{ "load", "arrival", "arrival", "poisson|uniform", KT_ARRIVAL, 0, 0, 0,
	  "open loop gaps: exponential (independent clients) or exactly 1/R" },
	{ "load", "duration", "duration", "S", KT_DOUBLE, F(duration_s), 0, 0,
	  "seconds of measured load after the warm-up, 0.001..1e7" },
	{ "load", "warmup", "warmup", "S", KT_DOUBLE, F(warmup_s), 0, 0,
	  "seconds of load first, not counted, 0..1e7" },
	{ "load", "count", "count", "N", KT_U64, F(count), 0, 0,
	  "stop once N handshakes were measured (0: no limit)" },
	{ "load", "hold", "hold", "N", CFG_U32, F(hold), 0, 1u << 24,
	  "open N connections, complete their handshakes and keep them idle until "
	  "the end (0: off), concurrency at a time (default 64)" },
	{ "load", "hold_close_rate", "hold-close-rate", "R", CFG_U32, F(hold_close_rate),
	  1000, 100000000,
	  "at the end, held connections are closed (as --close says) at most R a "
	  "second, all of them, whatever --drain says (default 100000), pausing "
	  "1 ms whenever the port refuses frames: a reset or FIN each, which the "
	  "port and the server must take; 1000..1e8" },
	{ "load", "max_inflight", "max-inflight", "N", CFG_U32, F(max_inflight), 1, 1u << 22,
	  "open loop: connections in progress at most per lcore; past it arrivals "
	  "wait (their wait is in their latency), 1..4194304" },
	{ "load", "timeout_ms", "timeout", "MS", CFG_U32, F(timeout_ms), 10, 3600000,
	  "a connection not done this long after its start is reset and counted, "
	  "10..3600000" },
	{ "load", "drain", "drain", "S", KT_DOUBLE, F(drain_s), 0, 0,
	  "after the measured window, connections in progress get this long to finish "
	  "(at most timeout), 0.001..3600; those still going are reset, counted as "
	  "abandoned_at_end (raise it under impair: a lost SYN waits 1 s, then 2)" },
	{ "load", "idle_sleep_us", "idle-sleep", "US", CFG_U32, F(idle_sleep_us), 0, 100000,
	  "sleep US microseconds after a poll that found nothing to do while no "
	  "connection is in progress (held ones are not), 0..100000, "
	  "leaving the CPU to others (a hold generator sharing a CPU with a loader); "
	  "0: busy poll, as DPDK does. Timers and impair run late by up to US" },
	{ "load", "seed", "seed", "N", KT_U64, F(seed), 0, 0,
	  "random seed for arrivals, resumption draws, impair and syn-flood (0: from "
	  "the clock)" },
	{ "tls", "version", "tls", "1.2|1.3|none", KT_TLS, 0, 0, 0,
	  "TLS version offered (required); none: TCP only, the three-way handshake "
	  "is the goal" },
	{ "tls", "suites", "suites", "LIST", KT_SUITES, 0, 0, 0,
	  "cipher suites offered, IANA names, preferred first (none: every suite of "
	  "the version hso implements)" },
	{ "tls", "groups", "groups", "LIST", KT_GROUPS, 0, 0, 0,
	  "key-exchange groups offered, preferred first (none: x25519, secp256r1, "
	  "secp384r1)" },
	{ "tls", "sigalgs", "sigalgs", "LIST", KT_SIGALGS, 0, 0, 0,
	  "signature schemes offered (none: every one hso implements)" },
	{ "tls", "sni", "sni", "NAME", KT_SNI, 0, 0, 0,
	  "server_name sent (RFC 6066), also the host name checked with ca" },
	{ "tls", "alpn", "alpn", "LIST", KT_ALPN, 0, 0, 0,
	  "ALPN protocols offered, e.g. h2,http/1.1" },
	{ "tls", "resume", "resume", "FRACTION", KT_DOUBLE, F(resume), 0, 0,
	  "share of connections that offer a session from an earlier one of the same "
	  "lcore, 0..1" },
	{ "tls", "resume_kind", "resume-kind", "ticket|id|psk|psk_dhe", KT_RESUME_KIND, 0, 0, 0,
	  "TLS 1.2: ticket (RFC 5077) or id (session id); TLS 1.3: psk_dhe (PSK with "
	  "ECDHE) or psk (psk_ke) [ticket for 1.2, psk_dhe for 1.3]" },
	{ "tls", "mode", "mode", "load|full", KT_MODE, 0, 0, 0,
	  "load: key shares reused, the server's signature and chain not checked, "
	  "the RSA premaster reused: the cheapest valid client, the server cannot "
	  "tell; full: everything fresh and verified" },
	{ "tls", "key_reuse", "key-reuse", "N", CFG_U32, F(key_reuse), 1, UINT32_MAX,
	  "load mode: handshakes served by one client key share" },
	{ "tls", "ca", "ca", "FILE", CFG_STR, F(ca), 1, PATH_LEN,
	  "full mode: verify the server's chain against these PEM CAs, and sni as "
	  "its host name" },
	{ "conn", "request", "request", "LINE", KT_REQUEST, 0, 0, 0,
	  "after the handshake send LINE, a Host header and a blank line (e.g. 'GET / "
	  "HTTP/1.1') and read the whole HTTP/1.1 response before closing" },
	{ "conn", "close", "close", "rst|fin|close_notify", KT_CLOSE, 0, 0, 0,
	  "how a finished connection ends: RST (nothing left behind, no TIME_WAIT), "
	  "FIN, or close_notify then FIN [fin with --tls none]" },
	{ "fault", "impair", "impair", "loss=P,dup=P,reorder=P,delay=MS[,limit=N]", KT_IMPAIR,
	  0, 0, 0,
	  "impair hso-gen's own transmit and receive paths, each direction on its own "
	  "(netem without a kernel): drop with probability loss, duplicate with dup, "
	  "hold a packet back behind the next one with reorder, delay every packet by "
	  "MS (0..10000); at most limit packets wait per direction and lcore (default "
	  "1024; past it dropped and counted); draws from --seed; counted in the JSON's "
	  "\"impair\"" },
	{ "fault", "syn_flood", "syn-flood", "PPS", KT_DOUBLE, F(syn_flood), 0, 0,
	  "also send PPS SYNs per second (1..1e8, over the lcores) with spoofed sources "
	  "drawn from flood-sources, random ports and sequence numbers, next to the "
	  "legitimate load; what comes back to those sources (SYN-ACKs, SYN cookies among "
	  "them, RSTs) is counted and dropped, never answered; the JSON's \"syn_flood\" "
	  "also gives the handshake rate before and during the flood" },
	{ "fault", "flood_sources", "flood-sources", "A.B.C.D-A.B.C.D", KT_FLOOD_RANGE, 0, 0, 0,
	  "spoofed source range of syn-flood (required with it), none of our addresses, "
	  "the target or the gateway; off the subnet (e.g. 198.19.0.0-198.19.255.255) the "
	  "server's answers come back through its gateway, so make that hso-gen's addr to "
	  "count them" },
	{ "fault", "flood_start", "flood-start", "S", KT_DOUBLE, F(flood_start_s), 0, 0,
	  "syn-flood begins this many seconds into the measured window, 0..1e7 (the "
	  "handshake rate before it is the baseline)" },
	{ "fault", "flood_duration", "flood-duration", "S", KT_DOUBLE, F(flood_duration_s), 0, 0,
	  "syn-flood lasts this many seconds, 0..1e7 (0: to the end of the window)" },
	{ "output", "json", "json", "FILE", CFG_STR, F(json), 1, PATH_LEN,
	  "also write the final JSON document to FILE" },
	{ "output", "quiet", "quiet", NULL, CFG_BOOL, F(quiet), 0, 0,
	  "no per-second lines on stderr" },
};

static const struct cfg_section sections[] = {
	{ .name = "net", .help = "    The port: our addresses and the target.\n" },
	{ .name = "load", .help = "    The load model: closed loop (concurrency), open loop "
	  "(rate) or hold.\n" },
	{ .name = "tls", .help = "    What the client offers and how hard it works.\n" },
	{ .name = "conn", .help = "    What a connection does once its handshake is done.\n" },
	{ .name = "fault", .help = "    Faults and attacks: hso-gen's own paths impaired; a SYN "
	  "flood beside the load.\n" },
	{ .name = "output" },
};

static int
parse_double(const char *s, double min, double max, double *out, char *why, size_t wl)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v))
		return cfg_errf(why, wl, "not a number");
	if (v < min || v > max)
		return cfg_errf(why, wl, "out of range %g..%g", min, max);
	*out = v;
	return 0;
}

static int
parse_u64(const char *s, uint64_t *out, char *why, size_t wl)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return cfg_errf(why, wl, "not a decimal number");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno == ERANGE)
		return cfg_errf(why, wl, "not a decimal number below 2^64");
	*out = v;
	return 0;
}

static int
parse_target(const char *s, struct gen_config *c, char *why, size_t wl)
{
	const char *colon = strrchr(s, ':');
	char ip[INET_ADDRSTRLEN];
	uint32_t port;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		char ip6[INET6_ADDRSTRLEN + 2];

		if (end == NULL || end[1] != ':' || (size_t)(end - s) >= sizeof(ip6))
			return cfg_errf(why, wl, "an IPv6 target is written [ADDR]:PORT, e.g. "
				    "[2001:db8::2]:443");
		memcpy(ip6, s + 1, (size_t)(end - s - 1));
		ip6[end - s - 1] = '\0';
		if (cfg_parse_ipv6(ip6, false, c->target6, why, wl) != 0)
			return -EINVAL;
		if (cfg_parse_u32(end + 2, 1, 65535, &port, why, wl) != 0)
			return cfg_errf(why, wl, "port '%s': not a number 1..65535", end + 2);
		c->target_port = (uint16_t)port;
		c->v6 = true;
		c->target = 0;
		return 0;
	}
	if (colon != NULL && memchr(s, ':', (size_t)(colon - s)) != NULL)
		return cfg_errf(why, wl, "an IPv6 target is written in brackets: [ADDR]:PORT");
	c->v6 = false;
	memset(c->target6, 0, sizeof(c->target6));

	if (colon == NULL || (size_t)(colon - s) >= sizeof(ip))
		return cfg_errf(why, wl, "needs A.B.C.D:PORT, e.g. 198.18.0.2:443");
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	if (cfg_parse_ipv4(ip, &c->target, why, wl) != 0)
		return -EINVAL;
	if (cfg_parse_u32(colon + 1, 1, 65535, &port, why, wl) != 0)
		return cfg_errf(why, wl, "port '%s': not a number 1..65535", colon + 1);
	c->target_port = (uint16_t)port;
	return 0;
}

/* "A-B" where each side is parsed by @p one; into lo, hi. */
static int
parse_range_ipv4(const char *s, uint32_t *lo, uint32_t *hi, char *why, size_t wl)
{
	const char *dash = strchr(s, '-');
	char a[INET_ADDRSTRLEN];

	if (dash == NULL)
		return cfg_errf(why, wl, "needs A.B.C.D-A.B.C.D");
	if ((size_t)(dash - s) >= sizeof(a))
		return cfg_errf(why, wl, "not an IPv4 address range");
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (cfg_parse_ipv4(a, lo, why, wl) != 0 || cfg_parse_ipv4(dash + 1, hi, why, wl) != 0)
		return -EINVAL;
	if (*lo > *hi)
		return cfg_errf(why, wl, "the first address is above the second");
	return 0;
}

static int
parse_ports(const char *s, uint16_t *lo, uint16_t *hi, char *why, size_t wl)
{
	const char *dash = strchr(s, '-');
	char a[8];
	uint32_t l, h;

	if (dash == NULL || (size_t)(dash - s) >= sizeof(a))
		return cfg_errf(why, wl, "needs LO-HI, e.g. 1024-65535");
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (cfg_parse_u32(a, 1, 65535, &l, why, wl) != 0 ||
	    cfg_parse_u32(dash + 1, 1, 65535, &h, why, wl) != 0)
		return -EINVAL;
	if (l > h)
		return cfg_errf(why, wl, "LO is above HI");
	*lo = (uint16_t)l;
	*hi = (uint16_t)h;
	return 0;
}

static int
parse_copy(const char *s, char *dst, size_t cap, char *why, size_t wl)
{
	size_t n = strlen(s);

	if (n == 0)
		return cfg_errf(why, wl, "empty");
	if (n >= cap)
		return cfg_errf(why, wl, "longer than %zu bytes", cap - 1);
	memcpy(dst, s, n + 1);
	return 0;
}


static void
put_ipv4(char *buf, size_t len, uint32_t a)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static int
key_set(const struct cfg_key *k, void *base, const char *val, bool append, char *why, size_t wl)
{
	struct gen_config *c = base;

	(void)append;
	switch ((enum key_type)k->type) {
	case KT_TARGET:
		return parse_target(val, c, why, wl);
	case KT_ADDR:
		return cfg_parse_ipv4_prefix(val, &c->addr, &c->prefix_len, why, wl);
	case KT_IPV4:
		return cfg_parse_ipv4(val, &c->gateway, why, wl);
	case KT_RANGE:
		return parse_range_ipv4(val, &c->src_lo, &c->src_hi, why, wl);
	case KT_ADDR6:
		return cfg_parse_ipv6_prefix(val, c->addr6, &c->prefix6_len, why, wl);
	case KT_IPV6:
		return cfg_parse_ipv6(val, true, c->gateway6, why, wl);
	case KT_PORTS:
		return parse_ports(val, &c->port_lo, &c->port_hi, why, wl);
	case KT_DOUBLE:
		if (k->off == F(rate))
			return parse_double(val, 0.001, 1e8, &c->rate, why, wl);
		if (k->off == F(duration_s))
			return parse_double(val, 0.001, 1e7, &c->duration_s, why, wl);
		if (k->off == F(warmup_s))
			return parse_double(val, 0, 1e7, &c->warmup_s, why, wl);
		if (k->off == F(drain_s))
			return parse_double(val, 0.001, 3600, &c->drain_s, why, wl);
		if (k->off == F(syn_flood))
			return parse_double(val, 1, 1e8, &c->syn_flood, why, wl);
		if (k->off == F(flood_start_s))
			return parse_double(val, 0, 1e7, &c->flood_start_s, why, wl);
		if (k->off == F(flood_duration_s))
			return parse_double(val, 0, 1e7, &c->flood_duration_s, why, wl);
		return parse_double(val, 0, 1, &c->resume, why, wl);
	case KT_U64:
		return parse_u64(val, (uint64_t *)(void *)((char *)c + k->off), why, wl);
	case KT_ARRIVAL:
		if (strcasecmp(val, "poisson") == 0)
			c->arrival = GEN_ARRIVAL_POISSON;
		else if (strcasecmp(val, "uniform") == 0)
			c->arrival = GEN_ARRIVAL_UNIFORM;
		else
			return cfg_errf(why, wl, "poisson or uniform");
		return 0;
	case KT_TLS:
		if (strcmp(val, "1.3") == 0 || strcasecmp(val, "TLSv1.3") == 0)
			c->tls = 13;
		else if (strcmp(val, "1.2") == 0 || strcasecmp(val, "TLSv1.2") == 0)
			c->tls = 12;
		else if (strcasecmp(val, "none") == 0)
			c->tls = 0;
		else
			return cfg_errf(why, wl, "1.2, 1.3 or none");
		return 0;
	case KT_SUITES:
		return cfg_tls_parse_suites(val, c->suites, HS_POLICY_MAX_SUITES, &c->n_suites,
					    why, wl);
	case KT_GROUPS:
		return cfg_tls_parse_groups(val, c->groups, HS_POLICY_MAX_GROUPS, &c->n_groups,
					    why, wl);
	case KT_SIGALGS:
		return cfg_tls_parse_sigalgs(val, c->sigalgs, HS_POLICY_MAX_SIGALGS,
					     &c->n_sigalgs, why, wl);
	case KT_SNI:
		/* RFC 6066 3: a DNS host name, ASCII, no trailing dot. */
		for (const char *p = val; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
				return cfg_errf(why, wl, "not a DNS host name");
		if (val[0] == '.' || (val[0] != '\0' && val[strlen(val) - 1] == '.'))
			return cfg_errf(why, wl, "no leading or trailing dot (RFC 6066 3)");
		return parse_copy(val, c->sni, sizeof(c->sni), why, wl);
	case KT_ALPN:
		return cfg_tls_parse_alpn(val, c->alpn, sizeof(c->alpn), &c->alpn_len, why, wl);
	case KT_RESUME_KIND:
		if (strcasecmp(val, "ticket") == 0)
			c->resume_kind = GEN_RESUME_TICKET;
		else if (strcasecmp(val, "id") == 0)
			c->resume_kind = GEN_RESUME_ID;
		else if (strcasecmp(val, "psk") == 0)
			c->resume_kind = GEN_RESUME_PSK;
		else if (strcasecmp(val, "psk_dhe") == 0)
			c->resume_kind = GEN_RESUME_PSK_DHE;
		else
			return cfg_errf(why, wl, "ticket, id, psk or psk_dhe");
		return 0;
	case KT_MODE:
		if (strcasecmp(val, "load") == 0)
			c->full = false;
		else if (strcasecmp(val, "full") == 0)
			c->full = true;
		else
			return cfg_errf(why, wl, "load or full");
		return 0;
	case KT_REQUEST:
		for (const char *p = val; *p != '\0'; p++)
			if (*p == '\r' || *p == '\n')
				return cfg_errf(why, wl, "one line without CR or LF (the Host "
						"header and the blank line are added)");
		return parse_copy(val, c->request, sizeof(c->request), why, wl);
	case KT_IMPAIR:
		return gen_impair_parse(val, &c->impair, why, wl);
	case KT_FLOOD_RANGE:
		return parse_range_ipv4(val, &c->flood_lo, &c->flood_hi, why, wl);
	case KT_CLOSE:
		if (strcasecmp(val, "rst") == 0)
			c->close = GEN_CLOSE_RST;
		else if (strcasecmp(val, "fin") == 0)
			c->close = GEN_CLOSE_FIN;
		else if (strcasecmp(val, "close_notify") == 0)
			c->close = GEN_CLOSE_CLOSE_NOTIFY;
		else
			return cfg_errf(why, wl, "rst, fin or close_notify");
		return 0;
	}
	return cfg_errf(why, wl, "internal: key type %d", k->type);
}

static void
key_render(const struct cfg_key *k, const void *base, char *buf, size_t len)
{
	const struct gen_config *c = base;
	char a[16], b[16];

	buf[0] = '\0';
	switch ((enum key_type)k->type) {
	case KT_ADDR6:
		if (!cfg_ip6_is_unset(c->addr6))
			cfg_ip6_str(c->addr6, c->prefix6_len, buf, len);
		break;
	case KT_IPV6:
		if (!cfg_ip6_is_unset(c->gateway6))
			cfg_ip6_str(c->gateway6, 0, buf, len);
		break;
	case KT_TARGET:
		if (c->v6) {
			char a6[64];

			snprintf(buf, len, "[%s]:%u", cfg_ip6_str(c->target6, 0, a6, sizeof(a6)),
				 c->target_port);
		} else if (c->target != 0) {
			put_ipv4(a, sizeof(a), c->target);
			snprintf(buf, len, "%s:%u", a, c->target_port);
		}
		break;
	case KT_ADDR:
		if (c->addr != 0) {
			put_ipv4(a, sizeof(a), c->addr);
			snprintf(buf, len, "%s/%u", a, c->prefix_len);
		}
		break;
	case KT_IPV4:
		if (c->gateway != 0)
			put_ipv4(buf, len, c->gateway);
		break;
	case KT_RANGE:
		if (c->src_lo != 0) {
			put_ipv4(a, sizeof(a), c->src_lo);
			put_ipv4(b, sizeof(b), c->src_hi);
			snprintf(buf, len, "%s-%s", a, b);
		}
		break;
	case KT_FLOOD_RANGE:
		if (c->flood_lo != 0) {
			put_ipv4(a, sizeof(a), c->flood_lo);
			put_ipv4(b, sizeof(b), c->flood_hi);
			snprintf(buf, len, "%s-%s", a, b);
		}
		break;
	case KT_IMPAIR:
		gen_impair_render(&c->impair, buf, len);
		break;
	case KT_PORTS:
		snprintf(buf, len, "%u-%u", c->port_lo, c->port_hi);
		break;
	case KT_DOUBLE:
		snprintf(buf, len, "%g", *(const double *)(const void *)((const char *)c + k->off));
		break;
	case KT_U64:
		snprintf(buf, len, "%" PRIu64,
			 *(const uint64_t *)(const void *)((const char *)c + k->off));
		break;
	case KT_ARRIVAL:
		snprintf(buf, len, "%s", c->arrival == GEN_ARRIVAL_POISSON ? "poisson" : "uniform");
		break;
	case KT_TLS:
		if (c->tls != GEN_TLS_UNSET)
			snprintf(buf, len, "%s", gen_config_tls_name(c));
		break;
	case KT_RESUME_KIND:
	case KT_SUITES:
	case KT_GROUPS:
	case KT_SIGALGS:
	case KT_SNI:
	case KT_ALPN:
	case KT_REQUEST:
		break;      /* the help says what "none" means */
	case KT_MODE:
		snprintf(buf, len, "%s", c->full ? "full" : "load");
		break;
	case KT_CLOSE:
		snprintf(buf, len, "%s", c->close == GEN_CLOSE_RST ? "rst" :
			 c->close == GEN_CLOSE_FIN ? "fin" : "close_notify");
		break;
	}
}

static const struct cfg_table table = {
	.prog = "hso-gen",
	.usage =
	"usage: hso-gen [EAL options] -- --target A.B.C.D:PORT --addr A.B.C.D/LEN\n"
	"         (--concurrency N | --rate R | --hold N) --tls 1.2|1.3|none [options]\n\n"
	"hso-gen is a TLS load generator on DPDK: hso's TCP and its TLS client engine\n"
	"on any DPDK port (net_memif facing hsod, net_af_packet / net_af_xdp / net_tap\n"
	"facing a kernel server, a PCI NIC), one worker per lcore (RSS steering on\n"
	"ports that hash; net_memif's queues pair up). Before the load it ARPs for the\n"
	"target (from every source address) and opens one connection to it. An\n"
	"IPv6 target ([ADDR]:PORT, with --addr6; --addr is still the port's IPv4\n"
	"address) is resolved by Neighbor Discovery and loaded from addr6. Every\n"
	"second a line on stderr; at the end one JSON document on stdout: handshakes,\n"
	"hs_per_s, errors (by kind, with total), latency_us (p50 p90 p99 p999 max),\n"
	"histogram (log-linear buckets that runs and lcores merge by bounds),\n"
	"resumed_ratio, negotiated, gen_busy_us_per_hs, tcp and packet counters,\n"
	"impair (what --impair did on each path) and syn_flood (with --syn-flood).\n"
	"Exit status: 0 the run completed (see \"errors\"); 1 bad configuration or\n"
	"start failure; 2 the target is unreachable (link down, no ARP answer,\n"
	"connection refused or unanswered before the load); 3 no handshake completed.\n",
	.file_help =
	"Example (memif facing hsod, which runs with\n"
	"  --vdev=net_memif0,role=server,socket=/run/hso-memif.sock):\n"
	"  hso-gen -l 1 --file-prefix gen --vdev=net_memif0,role=client,socket=/run/hso-memif.sock \\\n"
	"      -- --target 198.18.0.2:443 --addr 198.18.0.1/24 --concurrency 64 --tls 1.3\n",
	.sections = sections,
	.n_sections = DIM(sections),
	.keys = keys,
	.n_keys = DIM(keys),
	.set = key_set,
	.render = key_render,
};

static void
defaults(struct gen_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port_lo = 1024;
	c->port_hi = 65535;
	c->tx_offload = true;
	c->arrival = GEN_ARRIVAL_POISSON;
	c->duration_s = 10;
	c->max_inflight = 4096;
	c->timeout_ms = 10000;
	c->drain_s = 2;
	c->hold_close_rate = 100000;
	c->tls = GEN_TLS_UNSET;
	c->key_reuse = 1000;
	c->close = GEN_CLOSE_CLOSE_NOTIFY;
	c->mbufs = 8191;
	c->concurrency = 64;
}

static bool
given(const struct cfg_parser *p, const char *section, const char *name)
{
	return cfg_origin(p, section, name, 0) != CFG_ORIGIN_DEFAULT;
}

/* The checks across keys, once all are read. */
static int
check(struct cfg_parser *p, struct gen_config *c)
{
	uint32_t mask = cfg_prefix_mask(c->prefix_len);
	uint32_t bcast = c->addr | ~mask;
	bool conc = given(p, "load", "concurrency"), rate = given(p, "load", "rate");
	bool hold = c->hold > 0;

	if (!given(p, "net", "target"))
		return cfg_fail_missing(p, "net", "target", 0, "the server to load",
					"198.18.0.2:443");
	if (!given(p, "net", "addr"))
		return cfg_fail_missing(p, "net", "addr", 0, "our address and subnet",
					"198.18.0.1/24");
	if (c->tls == GEN_TLS_UNSET)
		return cfg_fail_missing(p, "tls", "version", 0, "the TLS version", "1.3");
	if (conc && rate)
		return cfg_fail_at(p, "load", "rate", 0, "one load model: concurrency "
				   "(closed loop) or rate (open loop), not both");
	if (!conc && !rate && !hold)
		return cfg_fail_missing(p, "load", "concurrency", 0, "a load model: "
					"concurrency N (closed loop), rate R (open loop) or hold N",
					"64");
	if (hold && rate)
		return cfg_fail_at(p, "load", "hold", 0, "hold opens at concurrency, not at a rate");
	if (given(p, "load", "arrival") && !rate)
		return cfg_fail_at(p, "load", "arrival", 0, "applies to rate (open loop) only");
	if (given(p, "load", "max_inflight") && !rate)
		return cfg_fail_at(p, "load", "max_inflight", 0, "applies to rate (open loop) only");
	if (hold && !conc && c->concurrency > c->hold)
		c->concurrency = c->hold;
	if (c->v6) {
		if (!given(p, "net", "addr6"))
			return cfg_fail_missing(p, "net", "addr6", 0, "our IPv6 address for an "
						"IPv6 target", "2001:db8::1/64");
		if (memcmp(c->target6, c->addr6, 16) == 0)
			return cfg_fail_at(p, "net", "target", 0, "is our own addr6");
		if (!cfg_ip6_is_unset(c->gateway6)) {
			if (memcmp(c->gateway6, c->addr6, 16) == 0)
				return cfg_fail_at(p, "net", "gateway6", 0, "is our own addr6");
			if (!cfg_ip6_is_linklocal(c->gateway6) &&
			    !cfg_ip6_prefix_eq(c->gateway6, c->addr6, c->prefix6_len))
				return cfg_fail_at(p, "net", "gateway6", 0, "neither on addr6's "
						   "prefix nor link-local");
		} else if (!cfg_ip6_prefix_eq(c->target6, c->addr6, c->prefix6_len)) {
			return cfg_fail_at(p, "net", "target", 0, "outside addr6's prefix, and "
					   "no gateway6 given");
		}
		if (given(p, "net", "sources"))
			return cfg_fail_at(p, "net", "sources", 0, "is IPv4 only: an IPv6 target "
					   "is loaded from addr6 alone");
	} else if (given(p, "net", "gateway6")) {
		return cfg_fail_at(p, "net", "gateway6", 0, "needs an IPv6 target");
	}
	if (!c->v6 && c->target == c->addr)
		return cfg_fail_at(p, "net", "target", 0, "is our own addr");
	if (c->v6) {
		/* The IPv4 side only answers ARP and ping. */
	} else if (c->gateway != 0) {
		if (((c->gateway ^ c->addr) & mask) != 0)
			return cfg_fail_at(p, "net", "gateway", 0, "not inside addr's subnet");
		if (c->gateway == c->addr)
			return cfg_fail_at(p, "net", "gateway", 0, "is our own addr");
	} else if (((c->target ^ c->addr) & mask) != 0) {
		return cfg_fail_at(p, "net", "target", 0, "outside addr's subnet, and no "
				   "gateway given");
	}
	if (!given(p, "net", "sources")) {
		c->src_lo = c->src_hi = c->addr;
	} else {
		if (((c->src_lo ^ c->addr) & mask) != 0 || ((c->src_hi ^ c->addr) & mask) != 0)
			return cfg_fail_at(p, "net", "sources", 0, "not inside addr's subnet");
		if (c->prefix_len <= 30 && (c->src_lo == (c->addr & mask) || c->src_hi == bcast))
			return cfg_fail_at(p, "net", "sources", 0, "takes the subnet's network or "
					   "broadcast address");
		if (c->target >= c->src_lo && c->target <= c->src_hi)
			return cfg_fail_at(p, "net", "sources", 0, "includes the target's address");
		if (c->gateway != 0 && c->gateway >= c->src_lo && c->gateway <= c->src_hi)
			return cfg_fail_at(p, "net", "sources", 0, "includes the gateway");
		if ((uint64_t)c->src_hi - c->src_lo + 1 > 65536)
			return cfg_fail_at(p, "net", "sources", 0, "more than 65536 addresses");
	}
	if (c->tls == 0) {
		static const char *const tls_only[][2] = {
			{ "tls", "suites" }, { "tls", "groups" }, { "tls", "sigalgs" },
			{ "tls", "sni" }, { "tls", "alpn" }, { "tls", "resume" },
			{ "tls", "resume_kind" }, { "tls", "mode" }, { "tls", "key_reuse" },
			{ "tls", "ca" }, { "conn", "request" },
		};

		for (size_t i = 0; i < DIM(tls_only); i++)
			if (given(p, tls_only[i][0], tls_only[i][1]))
				return cfg_fail_at(p, tls_only[i][0], tls_only[i][1], 0,
						   "needs TLS (tls none is TCP only)");
		if (!given(p, "conn", "close"))
			c->close = GEN_CLOSE_FIN;
		if (c->close == GEN_CLOSE_CLOSE_NOTIFY)
			return cfg_fail_at(p, "conn", "close", 0, "close_notify needs TLS; rst or fin");
	}
	for (unsigned i = 0; i < c->n_suites; i++) {
		const struct hs_suite_info *si = hs_suite_find(c->suites[i]);

		if (si != NULL && si->version != (c->tls == 13 ? HS_TLS13 : HS_TLS12)) {
			char why[128];

			snprintf(why, sizeof(why), "%s is not a TLS %s suite", si->name,
				 gen_config_tls_name(c));
			return cfg_fail_at(p, "tls", "suites", 0, why);
		}
	}
	if (given(p, "tls", "resume_kind")) {
		bool v13 = c->resume_kind == GEN_RESUME_PSK || c->resume_kind == GEN_RESUME_PSK_DHE;

		if (v13 != (c->tls == 13))
			return cfg_fail_at(p, "tls", "resume_kind", 0, v13 ?
					   "psk and psk_dhe are TLS 1.3's" :
					   "ticket and id are TLS 1.2's");
		if (!given(p, "tls", "resume"))
			return cfg_fail_at(p, "tls", "resume_kind", 0, "without resume FRACTION");
	} else {
		c->resume_kind = c->tls == 13 ? GEN_RESUME_PSK_DHE : GEN_RESUME_TICKET;
	}
	if (given(p, "tls", "ca") && !c->full)
		return cfg_fail_at(p, "tls", "ca", 0, "chains are verified in mode full only");
	if (given(p, "tls", "key_reuse") && c->full)
		return cfg_fail_at(p, "tls", "key_reuse", 0, "applies to mode load only");
	if (hold && c->request[0] != '\0')
		return cfg_fail_at(p, "conn", "request", 0, "held connections stay idle: no "
				   "request with hold");
	if (hold && c->warmup_s > 0)
		return cfg_fail_at(p, "load", "warmup", 0, "does not apply to hold");
	if (c->impair.on) {
		/* Both directions' queues hold mbufs: leave the rest half the pool. */
		if ((uint64_t)c->impair.limit * 2 > c->mbufs / 2) {
			char why[160];

			snprintf(why, sizeof(why), "limit=%u: two queues of it could take more "
				 "than half of mbufs (%u); a smaller limit or more mbufs",
				 c->impair.limit, c->mbufs);
			return cfg_fail_at(p, "fault", "impair", 0, why);
		}
	}
	if (c->syn_flood > 0) {
		if (!given(p, "fault", "flood_sources"))
			return cfg_fail_missing(p, "fault", "flood_sources", 0, "spoofed sources "
						"for syn-flood", "198.19.0.0-198.19.255.255");
		if (c->flood_lo <= c->addr && c->addr <= c->flood_hi)
			return cfg_fail_at(p, "fault", "flood_sources", 0, "includes our addr");
		if (c->flood_lo <= c->src_hi && c->src_lo <= c->flood_hi)
			return cfg_fail_at(p, "fault", "flood_sources", 0, "overlaps sources");
		if (c->flood_lo <= c->target && c->target <= c->flood_hi)
			return cfg_fail_at(p, "fault", "flood_sources", 0, "includes the target");
		if (c->gateway != 0 && c->flood_lo <= c->gateway && c->gateway <= c->flood_hi)
			return cfg_fail_at(p, "fault", "flood_sources", 0, "includes the gateway");
		if (c->flood_lo >> 24 == 0 || c->flood_hi >> 24 >= 224 || c->flood_lo >> 24 == 127 ||
		    c->flood_hi >> 24 == 127 || (c->flood_lo >> 24 < 127 && c->flood_hi >> 24 > 127))
			return cfg_fail_at(p, "fault", "flood_sources", 0, "takes 0/8, loopback, "
					   "multicast or reserved addresses");
		if (c->hold > 0)
			return cfg_fail_at(p, "fault", "syn_flood", 0, "not with hold (measure a "
					   "handshake rate: concurrency or rate)");
		if (c->flood_start_s >= c->duration_s)
			return cfg_fail_at(p, "fault", "flood_start", 0, "not inside duration");
	} else {
		static const char *const flood_only[] = { "flood_sources", "flood_start",
							  "flood_duration" };

		for (size_t i = 0; i < DIM(flood_only); i++)
			if (given(p, "fault", flood_only[i]))
				return cfg_fail_at(p, "fault", flood_only[i], 0,
						   "applies to syn-flood only");
	}
	if (rate && c->count == 0 && c->rate * c->duration_s < 1)
		return cfg_fail_at(p, "load", "rate", 0, "starts no connection within duration");
	return 0;
}

int
gen_config_parse(struct gen_config *c, int argc, char **argv, char *err, size_t errlen)
{
	struct cfg_parser p;
	int ret;

	defaults(c);
	ret = cfg_parse(&p, &table, c, NULL, argc, argv, c->config_file,
			sizeof(c->config_file), err, errlen);
	c->help = p.help;
	if (ret != 0 || c->help)
		return ret;
	return check(&p, c);
}

void
gen_config_usage(FILE *f)
{
	struct gen_config d;

	defaults(&d);
	cfg_usage(&table, &d, f);
	fputs("\nErrors, counted by kind in the measured window (the JSON's \"errors\"):\n", f);
	for (int e = 0; e < GEN_ERR_NUM; e++)
		fprintf(f, "  %-16s %s\n", gen_err_name((enum gen_err)e), gen_err_doc((enum gen_err)e));
}

const char *
gen_config_tls_name(const struct gen_config *c)
{
	return c->tls == 13 ? "1.3" : c->tls == 12 ? "1.2" : c->tls == 0 ? "none" : "?";
}
