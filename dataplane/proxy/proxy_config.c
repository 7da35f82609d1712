/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-proxy's configuration: one table of keys drives the file parser, the
 * flag parser and --help, so a key cannot exist in one and be missing from
 * another. Errors name the flag, or the file, section and key, and quote
 * the value.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cfgfile.h>

#include "cfg_util.h"
#include "hso_app.h"
#include "proxy_config.h"

#define WHY_LEN 512
#define DIM(a) (sizeof(a) / sizeof((a)[0]))

/* hso-proxy's own value types, after cfg_util's CFG_U32, CFG_BOOL, CFG_STR. */
enum key_type {
	KT_BALANCE = CFG_CUSTOM,
	KT_NAME,        /* 1..PROXY_APP_NAME_MAX-1 printable bytes */
	KT_ADDR,        /* a backend's A.B.C.D:PORT or [IPv6]:PORT */
	KT_CHECK,       /* tcp | http */
	KT_CHECK_PATH,  /* /..., visible ASCII */
};

#define F(m) offsetof(struct proxy_config, m)
#define FB(m) offsetof(struct proxy_backend_conf, m)

static const struct cfg_key keys[] = {
	{ "proxy", "balance", "balance", "roundrobin|leastconn", KT_BALANCE, F(balance), 0, 0,
	  "how a backend is chosen: weighted round robin, or fewest connections "
	  "per unit of weight" },
	{ "proxy", "proxy_protocol", "proxy-protocol", NULL, CFG_BOOL, F(proxy_protocol), 0, 0,
	  "send a PROXY protocol v2 header first: client and hso addresses, "
	  "ALPN, SNI (authority), TLS version and cipher (as HAProxy's "
	  "send-proxy-v2-ssl-cipher)" },
	{ "proxy", "http", "http", NULL, CFG_BOOL, F(http), 0, 0,
	  "the traffic is HTTP/1.x: a client whose backend fails before any "
	  "response byte gets '502 Bad Gateway' before the close" },
	{ "proxy", "name", "name", "NAME", KT_NAME, F(name), 0, 0,
	  "this application's name in hsod's telemetry, 1..31 bytes" },
	{ "proxy", "check_interval", "check-interval", "MS", CFG_U32, F(check_interval_ms), 0,
	  3600000, "active health check of each backend every MS, 0..3600000; 0: none, "
	  "only failed connects count" },
	{ "proxy", "check", "check", "tcp|http", KT_CHECK, F(check_type), 0, 0,
	  "the health check: tcp, a connect; http, a connect then GET check_path, "
	  "healthy when the status is check_status (a backend may set its own)" },
	{ "proxy", "check_path", "check-path", "PATH", KT_CHECK_PATH, F(check_path), 0, 0,
	  "what an HTTP check asks for: from '/', visible ASCII, 1..127 bytes" },
	{ "proxy", "check_status", "check-status", "CODE", CFG_U32, F(check_status), 100, 599,
	  "the status that makes an HTTP check pass, 100..599" },
	{ "proxy", "check_timeout", "check-timeout", "MS", CFG_U32, F(check_timeout_ms), 1,
	  600000, "a health check with no verdict within MS failed (connect, and for "
	  "http the whole answer: a slow one fails), 1..600000" },
	{ "proxy", "fall", "fall", "N", CFG_U32, F(fall), 1, POOL_FALLRISE_MAX,
	  "consecutive failures (checks or refused/timed-out connects) that take a "
	  "backend out, 1..1000" },
	{ "proxy", "rise", "rise", "N", CFG_U32, F(rise), 1, POOL_FALLRISE_MAX,
	  "consecutive successful checks that put it back, 1..1000" },
	{ "proxy", "connect_timeout", "connect-timeout", "MS", CFG_U32, F(connect_timeout_ms), 1,
	  600000, "a backend connect not done within MS failed, 1..600000" },
	{ "proxy", "timeout", "timeout", "MS", CFG_U32, F(timeout_ms), 1, 86400000,
	  "a connection silent both ways for MS is closed, 1..86400000" },
	{ "proxy", "queue_timeout", "queue-timeout", "MS", CFG_U32, F(queue_timeout_ms), 0,
	  600000, "how long a connection waits for a backend under its maxconn, "
	  "0..600000; 0: no waiting, fail at once" },
	{ "proxy", "retries", "retries", "N", CFG_U32, F(retries), 0, POOL_MAX_BACKENDS,
	  "other backends tried after a failed connect (no client data sent to "
	  "it yet), 0..64" },
	{ "proxy", "max_conns", "max-conns", "N", CFG_U32, F(max_conns), 1, 1u << 22,
	  "sessions handled at once (the preallocated table), 1..4194304; more "
	  "are closed at once and counted" },
	{ "proxy", "conn_queue", "conn-queue", "N", CFG_U32, F(conn_queue), 1, 1u << 22,
	  "client DATA events held for one connection while its backend is not "
	  "writable, 1..4194304; beyond, the connection is closed and counted. "
	  "hsod's --app-conn-budget stops a client first when N > budget / "
	  "HSO_APP_EVENT_COST (512): 256 KiB needs 513" },
	{ "proxy", "max_queued", "max-queued", "N", CFG_U32, F(max_queued), 1, 1u << 24,
	  "client DATA events held in all, 1..16777216; when all are held, "
	  "hso-proxy stops polling hsod until backends drain" },
	{ "proxy", "buffers", "buffers", "N", CFG_U32, F(buffers), 1, 1u << 20,
	  "read buffers for backend data, 1..1048576; a connection holds one "
	  "only while hsod cannot take its data" },
	{ "proxy", "bufsize", "bufsize", "BYTES", CFG_U32, F(bufsize), 512, HSO_APP_SEND_MAX,
	  "size of a read buffer, 512..61440 (HSO_APP_SEND_MAX)" },
	{ "proxy", "sndbuf", "sndbuf", "BYTES", CFG_U32, F(sndbuf), 0, 1u << 27,
	  "SO_SNDBUF of backend sockets, 0..134217728; 0: the kernel's "
	  "autotuning (HAProxy's tune.sndbuf.server)" },
	{ "proxy", "rcvbuf", "rcvbuf", "BYTES", CFG_U32, F(rcvbuf), 0, 1u << 27,
	  "SO_RCVBUF of backend sockets, 0..134217728; 0: the kernel's autotuning" },
	{ "proxy", "burst", "burst", "N", CFG_U32, F(burst), 1, 1024,
	  "events taken from hsod per poll, 1..1024" },
	{ "proxy", "stats_interval", "stats-interval", "S", CFG_U32, F(stats_interval_s), 0,
	  86400, "print the counters as a JSON line every S seconds, 0..86400; 0: "
	  "only on exit" },
	/* [backend NAME]; --backend ADDR:PORT,KEY=VALUE,... takes the same keys. */
	{ "backend", "address", NULL, "A.B.C.D:PORT|[IPv6]:PORT", KT_ADDR, 0, 0, 0,
	  "where to connect (required)" },
	{ "backend", "weight", NULL, "0..256", CFG_U32, FB(weight), 0, POOL_WEIGHT_MAX,
	  "share of new connections; 0: none (drain)" },
	{ "backend", "maxconn", NULL, "N", CFG_U32, FB(maxconn), 0, POOL_MAXCONN_MAX,
	  "connections open to it at once, 0..16777216; 0: no limit; when every "
	  "backend is full a connection waits queue_timeout for a slot" },
	{ "backend", "check", NULL, "tcp|http", KT_CHECK, FB(check_type), 0, 0,
	  "this backend's health check (default: [proxy] check)" },
	{ "backend", "check_path", NULL, "PATH", KT_CHECK_PATH, FB(check_path), 0, 0,
	  "its HTTP check's path (default: [proxy] check_path)" },
	{ "backend", "check_status", NULL, "CODE", CFG_U32, FB(check_status), 100, 599,
	  "the status its HTTP check wants (default: [proxy] check_status)" },
	{ "backend", "check_timeout", NULL, "MS", CFG_U32, FB(check_timeout_ms), 1, 600000,
	  "its checks' timeout (default: [proxy] check_timeout)" },
};

void
proxy_config_defaults(struct proxy_config *c)
{
	memset(c, 0, sizeof(*c));
	c->balance = POOL_ROUNDROBIN;
	snprintf(c->name, sizeof(c->name), "hso-proxy");
	/* HAProxy's defaults: inter 2s, fall 3, rise 2, retries 3. */
	c->check_interval_ms = 2000;
	c->check_timeout_ms = 1000;
	c->check_type = HEALTH_TCP;
	snprintf(c->check_path, sizeof(c->check_path), "/");
	c->check_status = 200;
	c->fall = 3;
	c->rise = 2;
	c->connect_timeout_ms = 5000;
	c->timeout_ms = 60000;
	c->queue_timeout_ms = 5000;
	c->retries = 3;
	c->max_conns = 8192;
	c->conn_queue = 1024;
	c->max_queued = 65536;
	c->buffers = 1024;
	c->bufsize = 16384;
	c->burst = 32;
	c->stats_interval_s = 0;
}

/* ---- values --------------------------------------------------------- */

/* A name: printable, no blanks, commas or quotes (it goes into JSON and logs). */
static int
parse_name(const char *s, char *out, size_t cap, char *why, size_t wl)
{
	size_t n = strlen(s);

	if (n == 0 || n >= cap)
		return cfg_errf(why, wl, "a name is 1..%zu bytes", cap - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!isgraph(ch) || ch == ',' || ch == '"' || ch == '\\')
			return cfg_errf(why, wl, "a name is printable, without blanks, ',', "
				    "'\"' or '\\'");
	}
	memcpy(out, s, n + 1);
	return 0;
}

int
proxy_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len,
		 char *why, size_t wl)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s;
	size_t hlen;
	uint32_t port;
	bool v6 = s[0] == '[';

	if (v6) {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return cfg_errf(why, wl, "an IPv6 address is written [ADDR]:PORT");
		hlen = (size_t)(end - s - 1);
		s++;
		port_s = end + 2;
	} else {
		const char *colon = strrchr(s, ':');

		if (colon == NULL)
			return cfg_errf(why, wl, "no port: write A.B.C.D:PORT or [IPv6]:PORT");
		if (memchr(s, ':', (size_t)(colon - s)) != NULL)
			return cfg_errf(why, wl, "an IPv6 address is written in brackets: "
				    "[ADDR]:PORT");
		hlen = (size_t)(colon - s);
		port_s = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return cfg_errf(why, wl, "no address or too long an address before the port");
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (cfg_parse_u32(port_s, 1, 65535, &port, why, wl) != 0)
		return cfg_errf(why, wl, "port '%s' is not a number in 1..65535", port_s);
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return cfg_errf(why, wl, "'%s' is not an IPv6 address (names are not "
				    "resolved; no zone: a link-local backend is not supported)",
				    host);
		if (IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr) || IN6_IS_ADDR_MULTICAST(&a->sin6_addr))
			return cfg_errf(why, wl, "'%s' cannot be connected to", host);
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		/* inet_pton(AF_INET) takes only the dotted quad: no "1", no "0x7f.1". */
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return cfg_errf(why, wl, "'%s' is not an IPv4 address A.B.C.D (names "
				    "are not resolved)", host);
		if (a->sin_addr.s_addr == htonl(INADDR_ANY) ||
		    a->sin_addr.s_addr == htonl(INADDR_BROADCAST))
			return cfg_errf(why, wl, "'%s' cannot be connected to", host);
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
	}
	return 0;
}

/* ---- backends ------------------------------------------------------- */


/* The address, and its text as given (for logs and counters). */
static int
addr_set(struct proxy_backend_conf *b, const char *s, char *why, size_t wl)
{
	size_t n = strlen(s);

	if (proxy_addr_parse(s, &b->addr, &b->addr_len, why, wl) != 0)
		return -EINVAL;
	if (n >= sizeof(b->addr_str))
		return cfg_errf(why, wl, "longer than %zu bytes", sizeof(b->addr_str) - 1);
	memcpy(b->addr_str, s, n + 1);
	return 0;
}

/* An HTTP check's path: the request-target of "GET PATH HTTP/1.0". */
static int
parse_check_path(const char *s, char *out, char *why, size_t wl)
{
	size_t n = strlen(s);

	if (s[0] != '/')
		return cfg_errf(why, wl, "a path starts with '/'");
	if (n >= PROXY_CHECK_PATH_MAX)
		return cfg_errf(why, wl, "longer than %d bytes", PROXY_CHECK_PATH_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return cfg_errf(why, wl, "a path is visible ASCII: no blank, control or "
					"8-bit byte (percent-encode them)");
	memcpy(out, s, n + 1);
	return 0;
}

static int
key_set(const struct cfg_key *k, void *base, const char *v, bool append, char *why,
	size_t wl)
{
	(void)append;
	switch ((enum key_type)k->type) {
	case KT_NAME:
		return parse_name(v, (char *)base + k->off, PROXY_APP_NAME_MAX, why, wl);
	case KT_BALANCE:
		if (strcasecmp(v, "roundrobin") == 0)
			((struct proxy_config *)base)->balance = POOL_ROUNDROBIN;
		else if (strcasecmp(v, "leastconn") == 0)
			((struct proxy_config *)base)->balance = POOL_LEASTCONN;
		else
			return cfg_errf(why, wl, "roundrobin or leastconn");
		return 0;
	case KT_ADDR:
		return addr_set(base, v, why, wl);
	case KT_CHECK:
		if (strcasecmp(v, "tcp") == 0)
			*(uint32_t *)(void *)((char *)base + k->off) = HEALTH_TCP;
		else if (strcasecmp(v, "http") == 0)
			*(uint32_t *)(void *)((char *)base + k->off) = HEALTH_HTTP;
		else
			return cfg_errf(why, wl, "tcp or http");
		return 0;
	case KT_CHECK_PATH:
		return parse_check_path(v, (char *)base + k->off, why, wl);
	}
	return cfg_errf(why, wl, "internal: key type %d", k->type);
}

static void
key_render(const struct cfg_key *k, const void *base, char *out, size_t len)
{
	switch ((enum key_type)k->type) {
	case KT_NAME:
		snprintf(out, len, "%s", (const char *)base + k->off);
		break;
	case KT_BALANCE:
		snprintf(out, len, "%s", ((const struct proxy_config *)base)->balance ==
			 POOL_LEASTCONN ? "leastconn" : "roundrobin");
		break;
	case KT_ADDR:
		snprintf(out, len, "%s", ((const struct proxy_backend_conf *)base)->addr_str);
		break;
	case KT_CHECK: {
		uint32_t t = *(const uint32_t *)(const void *)((const char *)base + k->off);

		snprintf(out, len, "%s", t == HEALTH_INHERIT ? "" : health_type_name(t));
		break;
	}
	case KT_CHECK_PATH:
		snprintf(out, len, "%s", (const char *)base + k->off);
		break;
	}
}

/* The next backend slot, at its defaults. @return NULL when all are taken. */
static struct proxy_backend_conf *
backend_new(struct proxy_config *c, char *why, size_t wl)
{
	struct proxy_backend_conf *b;

	if (c->n_backends == POOL_MAX_BACKENDS) {
		cfg_errf(why, wl, "more than %d backends", POOL_MAX_BACKENDS);
		return NULL;
	}
	b = &c->backends[c->n_backends];
	memset(b, 0, sizeof(*b));
	b->weight = 1;
	return b;
}

/* Keep the backend backend_new() gave, named, with an address. */
static int
backend_keep(struct proxy_config *c, struct proxy_backend_conf *b, char *why, size_t wl)
{
	for (unsigned i = 0; i < c->n_backends; i++)
		if (strcmp(c->backends[i].name, b->name) == 0)
			return cfg_errf(why, wl, "a backend named '%s' exists already (%s)",
					b->name, c->backends[i].addr_str);
	c->n_backends++;
	return 0;
}

/* [backend NAME] begins. */
static void *
backend_open(struct cfg_parser *p, const char *label, char *why, size_t wl)
{
	struct proxy_backend_conf *b = backend_new(p->obj, why, wl);
	char sub[WHY_LEN];

	if (b == NULL)
		return NULL;
	if (parse_name(label, b->name, sizeof(b->name), sub, sizeof(sub)) != 0) {
		cfg_errf(why, wl, "a backend section is [backend NAME]; NAME: %s", sub);
		return NULL;
	}
	return b;
}

static int
backend_close(struct cfg_parser *p, void *inst, const char **key, char *why, size_t wl)
{
	struct proxy_backend_conf *b = inst;

	if (b->addr_len == 0) {
		*key = "address";
		return cfg_errf(why, wl, "missing: the section needs address = A.B.C.D:PORT");
	}
	return backend_keep(p->obj, b, why, wl);
}

/* "a, b": the keys --backend takes after the address. */
static void
backend_spec_keys(char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < DIM(keys) && o < len; i++)
		if (strcmp(keys[i].section, "backend") == 0 &&
		    strcmp(keys[i].name, "address") != 0)
			o += (size_t)snprintf(buf + o, len - o, "%s=%s, ", keys[i].name,
					      keys[i].metavar ? keys[i].metavar : "yes|no");
	snprintf(buf + (o < len ? o : len), o < len ? len - o : 0, "name=NAME");
}

/* --backend ADDR:PORT[,KEY=VALUE...]: the [backend NAME] keys, and name. */
static int
flag_backend(struct cfg_parser *p, const char *spec)
{
	struct proxy_config *c = p->obj;
	char buf[256], why[WHY_LEN], sub[WHY_LEN], ks[WHY_LEN], *save = NULL, *item;
	struct proxy_backend_conf *b;
	bool named = false;

	if (strlen(spec) >= sizeof(buf))
		return cfg_fail(p, "--backend: longer than %zu bytes (got '%s')",
				sizeof(buf) - 1, spec);
	b = backend_new(c, why, sizeof(why));
	if (b == NULL)
		return cfg_fail(p, "--backend: %s (got '%s')", why, spec);
	snprintf(buf, sizeof(buf), "%s", spec);
	item = strtok_r(buf, ",", &save);
	if (item == NULL || spec[0] == ',')
		return cfg_fail(p, "--backend: expects ADDR:PORT[,KEY=VALUE...] (got '%s')", spec);
	if (addr_set(b, item, why, sizeof(why)) != 0)
		return cfg_fail(p, "--backend: %s (got '%s')", why, spec);
	backend_spec_keys(ks, sizeof(ks));
	while ((item = strtok_r(NULL, ",", &save)) != NULL) {
		char *eq = strchr(item, '=');
		int r;

		if (eq == NULL)
			return cfg_fail(p, "--backend: '%s': expected %s (got '%s')", item, ks,
					spec);
		*eq = '\0';
		if (strcmp(item, "name") == 0) {
			r = parse_name(eq + 1, b->name, sizeof(b->name), sub, sizeof(sub));
			named = true;
		} else if (strcmp(item, "address") == 0) {
			r = -ENOENT;
		} else {
			r = cfg_key_set(p, "backend", b, item, eq + 1, sub, sizeof(sub));
		}
		if (r == -ENOENT)
			return cfg_fail(p, "--backend: '%s': unknown; expected %s (got '%s')",
					item, ks, spec);
		if (r != 0)
			return cfg_fail(p, "--backend: %s: %s (got '%s')", item, sub, spec);
	}
	if (!named) {
		size_t n = strnlen(b->addr_str, sizeof(b->name) - 1);

		memcpy(b->name, b->addr_str, n);
		b->name[n] = '\0';
	}
	if (backend_keep(c, b, why, sizeof(why)) != 0)
		return cfg_fail(p, "--backend: %s (got '%s')", why, spec);
	return 0;
}

/* ---- the table ------------------------------------------------------ */

static const struct proxy_backend_conf backend_proto = { .weight = 1 };

static const struct cfg_section sections[] = {
	{ .name = "proxy" },
	{ .name = "backend", .kind = CFG_SEC_NAMED, .open = backend_open,
	  .close = backend_close, .proto = &backend_proto,
	  .help = "    one section per backend, NAME 1..31 bytes (or --backend, added after "
		  "the file's)\n" },
};

static const struct cfg_flag flags[] = {
	{ "backend", "ADDR:PORT[,KEY=VALUE...]", "--backend ADDR:PORT[,k=v...]",
	  "a backend (repeat for more; added to the file's); ADDR A.B.C.D or "
	  "[IPv6]; k=v: the [backend NAME] keys, and name=NAME [ADDR:PORT]",
	  flag_backend },
};

static const struct cfg_table table = {
	.prog = "hso-proxy",
	.usage =
		"Usage: hso-proxy [EAL options] -- [options]\n"
		"  e.g. hso-proxy -l 1 --proc-type=secondary --file-prefix hso -- \\\n"
		"       --backend 198.18.0.1:8080 --backend 198.18.0.1:8081,weight=2,maxconn=100\n"
		"\n"
		"A load balancer behind hsod: attaches to the hsod that runs with\n"
		"--app external and the same --file-prefix (a DPDK secondary process;\n"
		"--proc-type=secondary is added when absent), and forwards each TLS\n"
		"session's plaintext to a backend over TCP. Prints 'hso-proxy: attached'\n"
		"once attached; SIGINT/SIGTERM detach and exit 0. The counters are printed\n"
		"as one JSON line on stdout on exit (and every --stats-interval seconds).\n",
	.file_help =
		"Backend failures: a refused or timed-out connect counts towards fall and\n"
		"is retried on another backend (retries) while no client data was sent\n"
		"to it; otherwise the client gets close_notify and FIN (with --http, a\n"
		"'502 Bad Gateway' first when no response byte was sent yet).\n",
	.sections = sections,
	.n_sections = DIM(sections),
	.keys = keys,
	.n_keys = DIM(keys),
	.flags = flags,
	.n_flags = DIM(flags),
	.set = key_set,
	.render = key_render,
};

int
proxy_config_parse(struct proxy_config *c, int argc, char **argv, char *err, size_t errlen)
{
	struct cfg_parser p;
	int ret;

	proxy_config_defaults(c);
	ret = cfg_parse(&p, &table, c, NULL, argc, argv, c->config_file,
			sizeof(c->config_file), err, errlen);
	c->help = p.help;
	if (ret != 0 || c->help)
		return ret;
	if (c->n_backends == 0)
		return cfg_fail(&p, "no backend: give --backend A.B.C.D:PORT (or [backend NAME] "
				"sections with address = A.B.C.D:PORT in a --config file)");
	/* What a backend left unset comes from [proxy] (whatever the order). */
	for (unsigned i = 0; i < c->n_backends; i++) {
		struct proxy_backend_conf *b = &c->backends[i];

		if (b->check_type == HEALTH_INHERIT)
			b->check_type = c->check_type;
		if (b->check_path[0] == '\0')
			memcpy(b->check_path, c->check_path, sizeof(b->check_path));
		if (b->check_status == 0)
			b->check_status = c->check_status;
		if (b->check_timeout_ms == 0)
			b->check_timeout_ms = c->check_timeout_ms;
	}
	return 0;
}

/* ---- --help --------------------------------------------------------- */

void
proxy_config_usage(FILE *out)
{
	struct proxy_config d;

	proxy_config_defaults(&d);
	cfg_usage(&table, &d, out);
}
