/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-gen's flags: a table of flags (name, value, help) that drives the
 * parser and --help alike, then the checks of their combinations. Contract
 * in gen_config.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_tls.h"
#include "cfg_util.h"
#include "gen_config.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

enum flag_id {
	F_TARGET, F_ADDR, F_GATEWAY, F_SOURCES, F_PORTS, F_NO_TX_OFFLOAD,
	F_CONCURRENCY, F_RATE, F_ARRIVAL, F_DURATION, F_WARMUP, F_COUNT, F_HOLD,
	F_MAX_INFLIGHT, F_TIMEOUT,
	F_TLS, F_SUITES, F_GROUPS, F_SIGALGS, F_SNI, F_ALPN, F_RESUME, F_RESUME_KIND,
	F_MODE, F_KEY_REUSE, F_CA, F_REQUEST, F_CLOSE,
	F_JSON, F_QUIET, F_MBUFS, F_SEED, F_HELP,
};

struct flag {
	enum flag_id id;
	const char *name;
	const char *arg;            /* NULL: takes no value */
	const char *help;
};

/* The order of --help. */
static const struct flag flags[] = {
	{ F_TARGET, "target", "A.B.C.D:PORT", "the server to load (required)" },
	{ F_ADDR, "addr", "A.B.C.D/LEN", "our address on the port and its subnet (required)" },
	{ F_GATEWAY, "gateway", "A.B.C.D",
	  "next hop for a target off the subnet (default: none; then the target must be on it)" },
	{ F_SOURCES, "sources", "A.B.C.D-A.B.C.D",
	  "source addresses to spread connections over, in the subnet (default: --addr only); "
	  "ARP is answered for each" },
	{ F_PORTS, "ports", "LO-HI", "ephemeral source ports (default 1024-65535); with the "
	  "sources, the 4-tuples chosen as RFC 6056 3.3.3" },
	{ F_NO_TX_OFFLOAD, "no-tx-offload", NULL,
	  "compute TX checksums in software even when the port offers to" },
	{ F_CONCURRENCY, "concurrency", "N",
	  "closed loop: keep N connections in progress, a new one as soon as one is done" },
	{ F_RATE, "rate", "R", "open loop: start R connections per second whatever happens "
	  "(latency counts from each one's intended start, so stalls are not hidden)" },
	{ F_ARRIVAL, "arrival", "poisson|uniform",
	  "open loop gaps: exponential (default) or exactly 1/R" },
	{ F_DURATION, "duration", "S", "seconds of measured load after the warm-up (default 10)" },
	{ F_WARMUP, "warmup", "S", "seconds of load first, not counted (default 0)" },
	{ F_COUNT, "count", "N", "stop after N handshakes (default: no limit)" },
	{ F_HOLD, "hold", "N", "open N connections, complete their handshakes and keep them "
	  "idle until the end (--concurrency at a time; default 64)" },
	{ F_MAX_INFLIGHT, "max-inflight", "N",
	  "open loop: connections in progress at most per lcore (default 4096); past it "
	  "arrivals wait, their wait counted in their latency" },
	{ F_TIMEOUT, "timeout", "MS",
	  "a connection not done this long after its start is reset, counted (default 10000)" },
	{ F_TLS, "tls", "1.2|1.3|none", "TLS version to offer (required); none: TCP only "
	  "(connect, then close)" },
	{ F_SUITES, "suites", "LIST", "cipher suites offered, IANA names, preferred first "
	  "(default: every suite of the version hso implements)" },
	{ F_GROUPS, "groups", "LIST",
	  "key-exchange groups offered, preferred first (default x25519,secp256r1)" },
	{ F_SIGALGS, "sigalgs", "LIST", "signature schemes offered (default: all hso implements)" },
	{ F_SNI, "sni", "NAME", "server_name sent (default: none); the name checked with --ca" },
	{ F_ALPN, "alpn", "LIST", "ALPN protocols offered, e.g. h2,http/1.1 (default: none)" },
	{ F_RESUME, "resume", "FRACTION", "share of connections that resume a session from an "
	  "earlier one of the same lcore (0..1, default 0)" },
	{ F_RESUME_KIND, "resume-kind", "ticket|id|psk|psk_dhe", "TLS 1.2: ticket (default) "
	  "or session id; TLS 1.3: psk_dhe (default, PSK with ECDHE) or psk" },
	{ F_MODE, "mode", "load|full", "load (default): key shares reused, server signature "
	  "and chain not checked, RSA premaster reused, the cheapest valid client; full: all "
	  "fresh and verified" },
	{ F_KEY_REUSE, "key-reuse", "N", "load mode: handshakes per client key share (default 1000)" },
	{ F_CA, "ca", "FILE", "full mode: verify the server's chain against these PEM CAs "
	  "(and --sni as host name)" },
	{ F_REQUEST, "request", "LINE", "after the handshake send LINE + Host header (e.g. "
	  "'GET / HTTP/1.1') and wait for the whole HTTP response" },
	{ F_CLOSE, "close", "rst|fin|close_notify",
	  "how a connection ends: RST (no TIME_WAIT), FIN, or close_notify then FIN (default)" },
	{ F_JSON, "json", "FILE", "also write the final JSON document to FILE" },
	{ F_QUIET, "quiet", NULL, "no per-second lines on stderr" },
	{ F_MBUFS, "mbufs", "N", "packet buffers per lcore (default 8191)" },
	{ F_SEED, "seed", "N", "random seed (arrivals, resumption draws); default: from the clock" },
	{ F_HELP, "help", NULL, "this text" },
};

static const struct flag *
flag_find(const char *name, size_t len)
{
	for (size_t i = 0; i < DIM(flags); i++)
		if (cfg_flag_is(name, len, flags[i].name))
			return &flags[i];
	return NULL;
}

static bool
takes_value(const char *name, size_t len)
{
	const struct flag *f = flag_find(name, len);

	return f != NULL && f->arg != NULL;
}

void
gen_config_usage(FILE *f)
{
	fputs("usage: hso-gen [EAL options] -- --target A.B.C.D:PORT --addr A.B.C.D/LEN\n"
	      "         (--concurrency N | --rate R) --tls 1.2|1.3|none [options]\n\n"
	      "hso-gen is a TLS load generator on DPDK: hso's TCP and its TLS client engine\n"
	      "on any DPDK port (net_memif facing hsod, net_af_packet / net_af_xdp / net_tap\n"
	      "facing a kernel server, a PCI NIC), one worker per lcore with RSS. Every second\n"
	      "a line on stderr; at the end one JSON document on stdout (handshakes, hs_per_s,\n"
	      "errors by kind, latency_us, a mergeable histogram, resumed_ratio, negotiated,\n"
	      "gen_busy_us_per_hs).\n\n"
	      "Exit status: 0 the run completed (see \"errors\"); 1 bad configuration or start\n"
	      "failure; 2 target unreachable (no ARP answer, connection refused or timed out\n"
	      "before the load starts); 3 no handshake completed.\n\n"
	      "Options:\n", f);
	for (size_t i = 0; i < DIM(flags); i++) {
		char head[64];

		snprintf(head, sizeof(head), "--%s%s%s", flags[i].name, flags[i].arg ? " " : "",
			 flags[i].arg ? flags[i].arg : "");
		fprintf(f, "  %-30s %s\n", head, flags[i].help);
	}
	fputs("\nExample (memif facing hsod, hsod started with\n"
	      "  --vdev=net_memif0,role=server,socket=/run/hso-memif.sock):\n"
	      "  hso-gen -l 1 --file-prefix gen --vdev=net_memif0,role=client,"
	      "socket=/run/hso-memif.sock -- \\\n"
	      "      --target 198.18.0.2:443 --addr 198.18.0.1/24 --concurrency 64 "
	      "--duration 10 --tls 1.3\n", f);
}

const char *
gen_config_tls_name(const struct gen_config *c)
{
	return c->tls == 13 ? "1.3" : c->tls == 12 ? "1.2" : "none";
}

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

static int
flag_apply(struct gen_config *c, const struct flag *f, const char *val, char *why, size_t wl)
{
	uint32_t u;

	switch (f->id) {
	case F_TARGET:
		return parse_target(val, c, why, wl);
	case F_ADDR:
		return cfg_parse_ipv4_prefix(val, &c->addr, &c->prefix_len, why, wl);
	case F_GATEWAY:
		return cfg_parse_ipv4(val, &c->gateway, why, wl);
	case F_SOURCES:
		return parse_range_ipv4(val, &c->src_lo, &c->src_hi, why, wl);
	case F_PORTS:
		return parse_ports(val, &c->port_lo, &c->port_hi, why, wl);
	case F_NO_TX_OFFLOAD:
		c->tx_offload = false;
		return 0;
	case F_CONCURRENCY:
		return cfg_parse_u32(val, 1, 1u << 22, &c->concurrency, why, wl);
	case F_RATE:
		return parse_double(val, 0.001, 1e8, &c->rate, why, wl);
	case F_ARRIVAL:
		if (strcasecmp(val, "poisson") == 0)
			c->arrival = GEN_ARRIVAL_POISSON;
		else if (strcasecmp(val, "uniform") == 0)
			c->arrival = GEN_ARRIVAL_UNIFORM;
		else
			return cfg_errf(why, wl, "'%s': poisson or uniform", val);
		return 0;
	case F_DURATION:
		return parse_double(val, 0.001, 1e7, &c->duration_s, why, wl);
	case F_WARMUP:
		return parse_double(val, 0, 1e7, &c->warmup_s, why, wl);
	case F_COUNT:
		return parse_u64(val, &c->count, why, wl);
	case F_HOLD:
		return cfg_parse_u32(val, 1, 1u << 24, &c->hold, why, wl);
	case F_MAX_INFLIGHT:
		return cfg_parse_u32(val, 1, 1u << 22, &c->max_inflight, why, wl);
	case F_TIMEOUT:
		return cfg_parse_u32(val, 10, 3600000, &c->timeout_ms, why, wl);
	case F_TLS:
		if (strcmp(val, "1.3") == 0 || strcasecmp(val, "TLSv1.3") == 0)
			c->tls = 13;
		else if (strcmp(val, "1.2") == 0 || strcasecmp(val, "TLSv1.2") == 0)
			c->tls = 12;
		else if (strcasecmp(val, "none") == 0)
			c->tls = 0;
		else
			return cfg_errf(why, wl, "'%s': 1.2, 1.3 or none", val);
		return 0;
	case F_SUITES:
		return cfg_tls_parse_suites(val, c->suites, HS_POLICY_MAX_SUITES, &c->n_suites,
					    why, wl);
	case F_GROUPS:
		return cfg_tls_parse_groups(val, c->groups, HS_POLICY_MAX_GROUPS, &c->n_groups,
					    why, wl);
	case F_SIGALGS:
		return cfg_tls_parse_sigalgs(val, c->sigalgs, HS_POLICY_MAX_SIGALGS,
					     &c->n_sigalgs, why, wl);
	case F_SNI:
		/* RFC 6066 3: a host name, no trailing dot, ASCII. */
		for (const char *p = val; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
				return cfg_errf(why, wl, "'%s': not a DNS host name", val);
		if (val[0] == '.' || (val[0] != '\0' && val[strlen(val) - 1] == '.'))
			return cfg_errf(why, wl, "'%s': no leading or trailing dot (RFC 6066 3)",
					val);
		return parse_copy(val, c->sni, sizeof(c->sni), why, wl);
	case F_ALPN:
		return cfg_tls_parse_alpn(val, c->alpn, sizeof(c->alpn), &c->alpn_len, why, wl);
	case F_RESUME:
		return parse_double(val, 0, 1, &c->resume, why, wl);
	case F_RESUME_KIND:
		if (strcasecmp(val, "ticket") == 0)
			c->resume_kind = GEN_RESUME_TICKET;
		else if (strcasecmp(val, "id") == 0)
			c->resume_kind = GEN_RESUME_ID;
		else if (strcasecmp(val, "psk") == 0)
			c->resume_kind = GEN_RESUME_PSK;
		else if (strcasecmp(val, "psk_dhe") == 0)
			c->resume_kind = GEN_RESUME_PSK_DHE;
		else
			return cfg_errf(why, wl, "'%s': ticket, id, psk or psk_dhe", val);
		c->resume_kind_set = true;
		return 0;
	case F_MODE:
		if (strcasecmp(val, "load") == 0)
			c->full = false;
		else if (strcasecmp(val, "full") == 0)
			c->full = true;
		else
			return cfg_errf(why, wl, "'%s': load or full", val);
		return 0;
	case F_KEY_REUSE:
		return cfg_parse_u32(val, 1, UINT32_MAX, &c->key_reuse, why, wl);
	case F_CA:
		return parse_copy(val, c->ca, sizeof(c->ca), why, wl);
	case F_REQUEST:
		for (const char *p = val; *p != '\0'; p++)
			if (*p == '\r' || *p == '\n')
				return cfg_errf(why, wl, "one line, without CR or LF (the Host "
						"header and the blank line are added)");
		return parse_copy(val, c->request, sizeof(c->request), why, wl);
	case F_CLOSE:
		if (strcasecmp(val, "rst") == 0)
			c->close = GEN_CLOSE_RST;
		else if (strcasecmp(val, "fin") == 0)
			c->close = GEN_CLOSE_FIN;
		else if (strcasecmp(val, "close_notify") == 0)
			c->close = GEN_CLOSE_CLOSE_NOTIFY;
		else
			return cfg_errf(why, wl, "'%s': rst, fin or close_notify", val);
		return 0;
	case F_JSON:
		return parse_copy(val, c->json, sizeof(c->json), why, wl);
	case F_QUIET:
		c->quiet = true;
		return 0;
	case F_MBUFS:
		if (cfg_parse_u32(val, 1023, 1u << 24, &u, why, wl) != 0)
			return -EINVAL;
		c->mbufs = u;
		return 0;
	case F_SEED:
		return parse_u64(val, &c->seed, why, wl);
	case F_HELP:
		c->help = true;
		return 0;
	}
	return cfg_errf(why, wl, "internal: flag without handler");
}

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
	c->tls = 99;                /* not given */
	c->key_reuse = 1000;
	c->close = GEN_CLOSE_CLOSE_NOTIFY;
	c->mbufs = 8191;
}

/* The combinations, once every flag is read. */
static int
check(struct gen_config *c, bool given[], char *err, size_t errlen)
{
	uint32_t mask = cfg_prefix_mask(c->prefix_len);
	uint32_t bcast = c->addr | ~mask;
	uint64_t n_src;

	if (!given[F_TARGET])
		return cfg_errf(err, errlen, "--target A.B.C.D:PORT is required");
	if (!given[F_ADDR])
		return cfg_errf(err, errlen, "--addr A.B.C.D/LEN is required");
	if (c->tls == 99)
		return cfg_errf(err, errlen, "--tls 1.2|1.3|none is required");
	if (given[F_CONCURRENCY] && given[F_RATE])
		return cfg_errf(err, errlen, "--concurrency and --rate: one load model, not both");
	if (!given[F_CONCURRENCY] && !given[F_RATE] && !given[F_HOLD])
		return cfg_errf(err, errlen, "--concurrency N (closed loop) or --rate R (open "
				"loop) is required");
	if (given[F_HOLD] && given[F_RATE])
		return cfg_errf(err, errlen, "--hold opens at --concurrency, not at a --rate");
	if (given[F_ARRIVAL] && !given[F_RATE])
		return cfg_errf(err, errlen, "--arrival applies to --rate (open loop) only");
	if (given[F_MAX_INFLIGHT] && !given[F_RATE])
		return cfg_errf(err, errlen, "--max-inflight applies to --rate (open loop) only");
	if (given[F_HOLD] && !given[F_CONCURRENCY])
		c->concurrency = c->hold < 64 ? c->hold : 64;
	if (c->target == c->addr)
		return cfg_errf(err, errlen, "--target: is our own --addr");
	if (c->gateway != 0) {
		if (((c->gateway ^ c->addr) & mask) != 0)
			return cfg_errf(err, errlen, "--gateway: not in --addr's subnet /%u",
					c->prefix_len);
		if (c->gateway == c->addr)
			return cfg_errf(err, errlen, "--gateway: is our own --addr");
	} else if (((c->target ^ c->addr) & mask) != 0) {
		return cfg_errf(err, errlen, "--target: off --addr's subnet /%u and no "
				"--gateway given", c->prefix_len);
	}
	if (!given[F_SOURCES]) {
		c->src_lo = c->src_hi = c->addr;
	} else {
		if (((c->src_lo ^ c->addr) & mask) != 0 || ((c->src_hi ^ c->addr) & mask) != 0)
			return cfg_errf(err, errlen, "--sources: not within --addr's subnet /%u",
					c->prefix_len);
		if (c->prefix_len <= 30 && (c->src_lo == (c->addr & mask) || c->src_hi == bcast))
			return cfg_errf(err, errlen, "--sources: takes the subnet's network or "
					"broadcast address");
		if (c->target >= c->src_lo && c->target <= c->src_hi)
			return cfg_errf(err, errlen, "--sources: includes the --target address");
		if (c->gateway != 0 && c->gateway >= c->src_lo && c->gateway <= c->src_hi)
			return cfg_errf(err, errlen, "--sources: includes the --gateway address");
	}
	n_src = (uint64_t)c->src_hi - c->src_lo + 1;
	if (n_src > 65536)
		return cfg_errf(err, errlen, "--sources: %llu addresses, at most 65536",
				(unsigned long long)n_src);
	if (c->tls == 0) {
		static const enum flag_id tls_only[] = {
			F_SUITES, F_GROUPS, F_SIGALGS, F_SNI, F_ALPN, F_RESUME, F_RESUME_KIND,
			F_MODE, F_KEY_REUSE, F_CA, F_REQUEST,
		};

		for (size_t i = 0; i < DIM(tls_only); i++)
			for (size_t k = 0; k < DIM(flags); k++)
				if (flags[k].id == tls_only[i] && given[tls_only[i]])
					return cfg_errf(err, errlen, "--%s needs TLS (--tls none "
							"is TCP only)", flags[k].name);
		if (c->close == GEN_CLOSE_CLOSE_NOTIFY && !given[F_CLOSE])
			c->close = GEN_CLOSE_FIN;
		if (c->close == GEN_CLOSE_CLOSE_NOTIFY)
			return cfg_errf(err, errlen, "--close close_notify needs TLS; rst or fin");
	}
	for (unsigned i = 0; i < c->n_suites; i++) {
		const struct hs_suite_info *si = hs_suite_find(c->suites[i]);

		if (si != NULL && si->version != (c->tls == 13 ? HS_TLS13 : HS_TLS12))
			return cfg_errf(err, errlen, "--suites: %s is not a TLS %s suite",
					si->name, gen_config_tls_name(c));
	}
	if (c->resume_kind_set) {
		bool v13 = c->resume_kind == GEN_RESUME_PSK || c->resume_kind == GEN_RESUME_PSK_DHE;

		if (v13 != (c->tls == 13))
			return cfg_errf(err, errlen, "--resume-kind: %s is for TLS %s",
					v13 ? "psk/psk_dhe" : "ticket/id", v13 ? "1.3" : "1.2");
		if (!given[F_RESUME])
			return cfg_errf(err, errlen, "--resume-kind without --resume FRACTION");
	} else {
		c->resume_kind = c->tls == 13 ? GEN_RESUME_PSK_DHE : GEN_RESUME_TICKET;
	}
	if (given[F_CA] && !c->full)
		return cfg_errf(err, errlen, "--ca verifies chains in --mode full only");
	if (given[F_KEY_REUSE] && c->full)
		return cfg_errf(err, errlen, "--key-reuse applies to --mode load only");
	if (c->hold > 0 && c->request[0] != '\0')
		return cfg_errf(err, errlen, "--hold keeps connections idle: no --request");
	if (c->warmup_s > 0 && c->hold > 0)
		return cfg_errf(err, errlen, "--warmup does not apply to --hold");
	if (c->rate > 0 && c->rate < 1.0 / c->duration_s && c->count == 0)
		return cfg_errf(err, errlen, "--rate %g starts no connection in --duration %g s",
				c->rate, c->duration_s);
	return 0;
}

int
gen_config_parse(struct gen_config *c, int argc, char **argv, char *err, size_t errlen)
{
	bool given[F_HELP + 1] = { false };

	defaults(c);
	/* --help wins wherever it is, whatever else is wrong. */
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			c->help = true;
			return 0;
		}
	}
	for (int i = 0; i < argc; i++) {
		const char *name, *val;
		const struct flag *f;
		char why[GEN_ERR_LEN];
		size_t len;
		int rc = cfg_flag_next(argc, argv, &i, &name, &len, &val, takes_value);

		if (rc == 1)
			return cfg_errf(err, errlen, "unexpected argument '%s' (flags start with "
					"--; EAL options go before --)", argv[i]);
		if (rc < 0)
			return cfg_errf(err, errlen, "--%.*s: needs a value", (int)len, name);
		f = flag_find(name, len);
		if (f == NULL)
			return cfg_errf(err, errlen, "--%.*s: unknown flag", (int)len, name);
		if (f->arg == NULL && val != NULL)
			return cfg_errf(err, errlen, "--%s: takes no value", f->name);
		if (given[f->id])
			return cfg_errf(err, errlen, "--%s: given twice", f->name);
		given[f->id] = true;
		if (flag_apply(c, f, val, why, sizeof(why)) != 0)
			return cfg_errf(err, errlen, "--%s: %s", f->name, why);
	}
	return check(c, given, err, errlen);
}
