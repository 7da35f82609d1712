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

enum key_type {
	KT_U32,         /* decimal, [min, max] */
	KT_BOOL,
	KT_BALANCE,
	KT_NAME,        /* 1..PROXY_APP_NAME_MAX-1 printable bytes */
};

struct key_def {
	const char *name;       /* in [proxy] */
	const char *flag;       /* without "--" */
	const char *metavar;    /* NULL for booleans */
	enum key_type type;
	size_t off;
	uint32_t min, max;
	const char *help;
};

#define F(m) offsetof(struct proxy_config, m)

static const struct key_def keys[] = {
	{ "balance", "balance", "roundrobin|leastconn", KT_BALANCE, F(balance), 0, 0,
	  "how a backend is chosen: weighted round robin, or fewest connections "
	  "per unit of weight" },
	{ "proxy_protocol", "proxy-protocol", NULL, KT_BOOL, F(proxy_protocol), 0, 0,
	  "send a PROXY protocol v2 header first: client and hso addresses, "
	  "ALPN, SNI (authority), TLS version and cipher (as HAProxy's "
	  "send-proxy-v2-ssl-cipher)" },
	{ "http", "http", NULL, KT_BOOL, F(http), 0, 0,
	  "the traffic is HTTP/1.x: a client whose backend fails before any "
	  "response byte gets '502 Bad Gateway' before the close" },
	{ "name", "name", "NAME", KT_NAME, F(name), 0, 0,
	  "this application's name in hsod's telemetry, 1..31 bytes" },
	{ "check_interval", "check-interval", "MS", KT_U32, F(check_interval_ms), 0,
	  3600000, "active health check (a TCP connect) of each backend every MS, "
	  "0..3600000; 0: none, only failed connects count" },
	{ "check_timeout", "check-timeout", "MS", KT_U32, F(check_timeout_ms), 1,
	  600000, "a health check not connected within MS failed, 1..600000" },
	{ "fall", "fall", "N", KT_U32, F(fall), 1, POOL_FALLRISE_MAX,
	  "consecutive failures (checks or refused/timed-out connects) that take a "
	  "backend out, 1..1000" },
	{ "rise", "rise", "N", KT_U32, F(rise), 1, POOL_FALLRISE_MAX,
	  "consecutive successful checks that put it back, 1..1000" },
	{ "connect_timeout", "connect-timeout", "MS", KT_U32, F(connect_timeout_ms), 1,
	  600000, "a backend connect not done within MS failed, 1..600000" },
	{ "timeout", "timeout", "MS", KT_U32, F(timeout_ms), 1, 86400000,
	  "a connection silent both ways for MS is closed, 1..86400000" },
	{ "queue_timeout", "queue-timeout", "MS", KT_U32, F(queue_timeout_ms), 0,
	  600000, "how long a connection waits for a backend under its maxconn, "
	  "0..600000; 0: no waiting, fail at once" },
	{ "retries", "retries", "N", KT_U32, F(retries), 0, POOL_MAX_BACKENDS,
	  "other backends tried after a failed connect (no client data sent to "
	  "it yet), 0..64" },
	{ "max_conns", "max-conns", "N", KT_U32, F(max_conns), 1, 1u << 22,
	  "sessions handled at once (the preallocated table), 1..4194304; more "
	  "are closed at once and counted" },
	{ "conn_queue", "conn-queue", "N", KT_U32, F(conn_queue), 1, 1u << 22,
	  "client DATA events held for one connection while its backend is not "
	  "writable, 1..4194304; beyond, the connection is closed and counted. "
	  "hsod's --app-conn-budget stops a client first when N > budget / "
	  "HSO_APP_EVENT_COST (512): 256 KiB needs 513" },
	{ "max_queued", "max-queued", "N", KT_U32, F(max_queued), 1, 1u << 24,
	  "client DATA events held in all, 1..16777216; when all are held, "
	  "hso-proxy stops polling hsod until backends drain" },
	{ "buffers", "buffers", "N", KT_U32, F(buffers), 1, 1u << 20,
	  "read buffers for backend data, 1..1048576; a connection holds one "
	  "only while hsod cannot take its data" },
	{ "bufsize", "bufsize", "BYTES", KT_U32, F(bufsize), 512, HSO_APP_SEND_MAX,
	  "size of a read buffer, 512..61440 (HSO_APP_SEND_MAX)" },
	{ "sndbuf", "sndbuf", "BYTES", KT_U32, F(sndbuf), 0, 1u << 27,
	  "SO_SNDBUF of backend sockets, 0..134217728; 0: the kernel's "
	  "autotuning (HAProxy's tune.sndbuf.server)" },
	{ "rcvbuf", "rcvbuf", "BYTES", KT_U32, F(rcvbuf), 0, 1u << 27,
	  "SO_RCVBUF of backend sockets, 0..134217728; 0: the kernel's autotuning" },
	{ "burst", "burst", "N", KT_U32, F(burst), 1, 1024,
	  "events taken from hsod per poll, 1..1024" },
	{ "stats_interval", "stats-interval", "S", KT_U32, F(stats_interval_s), 0,
	  86400, "print the counters as a JSON line every S seconds, 0..86400; 0: "
	  "only on exit" },
};

#define N_KEYS DIM(keys)

struct pstate {
	const char *file;
	bool from_flag[N_KEYS];
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
			return cfg_errf(why, wl, "'%s' is not an IPv6 address", host);
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

static const struct key_def *
key_by_name(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static const struct key_def *
key_by_flag(const char *name, size_t len)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strlen(keys[i].flag) == len && strncmp(keys[i].flag, name, len) == 0)
			return &keys[i];
	return NULL;
}

static int
key_set(const struct key_def *k, struct proxy_config *c, const char *v,
	char *why, size_t wl)
{
	char *base = (char *)c;

	switch (k->type) {
	case KT_U32:
		return cfg_parse_u32(v, k->min, k->max, (uint32_t *)(base + k->off), why, wl);
	case KT_BOOL:
		return cfg_parse_bool(v, (bool *)(base + k->off), why, wl);
	case KT_NAME:
		return parse_name(v, base + k->off, PROXY_APP_NAME_MAX, why, wl);
	case KT_BALANCE:
		if (strcasecmp(v, "roundrobin") == 0)
			c->balance = POOL_ROUNDROBIN;
		else if (strcasecmp(v, "leastconn") == 0)
			c->balance = POOL_LEASTCONN;
		else
			return cfg_errf(why, wl, "roundrobin or leastconn");
		return 0;
	}
	return cfg_errf(why, wl, "internal: key type %d", (int)k->type);
}

static void
key_render(const struct key_def *k, const struct proxy_config *c, char *out, size_t len)
{
	const char *base = (const char *)c;

	switch (k->type) {
	case KT_U32:
		snprintf(out, len, "%u", *(const uint32_t *)(base + k->off));
		break;
	case KT_BOOL:
		snprintf(out, len, "%s", *(const bool *)(base + k->off) ? "yes" : "no");
		break;
	case KT_NAME:
		snprintf(out, len, "%s", base + k->off);
		break;
	case KT_BALANCE:
		snprintf(out, len, "%s", c->balance == POOL_LEASTCONN ? "leastconn" :
			 "roundrobin");
		break;
	}
}

/* ---- backends ------------------------------------------------------- */

static int
backend_add(struct proxy_config *c, const struct proxy_backend_conf *b,
	    char *why, size_t wl)
{
	for (unsigned i = 0; i < c->n_backends; i++)
		if (strcmp(c->backends[i].name, b->name) == 0)
			return cfg_errf(why, wl, "a backend named '%s' exists already (%s)",
				    b->name, c->backends[i].addr_str);
	if (c->n_backends == POOL_MAX_BACKENDS)
		return cfg_errf(why, wl, "more than %d backends", POOL_MAX_BACKENDS);
	c->backends[c->n_backends++] = *b;
	return 0;
}

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

static void
backend_conf_init(struct proxy_backend_conf *b)
{
	memset(b, 0, sizeof(*b));
	b->weight = 1;
}

/* "ADDR:PORT[,weight=N][,maxconn=N][,name=NAME]" */
static int
backend_flag(struct proxy_config *c, const char *spec, char *why, size_t wl)
{
	char buf[256], *save = NULL, *item;
	struct proxy_backend_conf b;
	bool named = false;

	if (strlen(spec) >= sizeof(buf))
		return cfg_errf(why, wl, "longer than %zu bytes", sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", spec);
	backend_conf_init(&b);
	item = strtok_r(buf, ",", &save);
	if (item == NULL || spec[0] == ',')
		return cfg_errf(why, wl, "expects ADDR:PORT[,weight=N][,maxconn=N][,name=NAME]");
	if (addr_set(&b, item, why, wl) != 0)
		return -EINVAL;
	while ((item = strtok_r(NULL, ",", &save)) != NULL) {
		char sub[WHY_LEN];
		char *eq = strchr(item, '=');

		if (eq == NULL)
			return cfg_errf(why, wl, "'%s': expected weight=N, maxconn=N or "
				    "name=NAME", item);
		*eq = '\0';
		if (strcmp(item, "weight") == 0) {
			if (cfg_parse_u32(eq + 1, 0, POOL_WEIGHT_MAX, &b.weight, sub, sizeof(sub)))
				return cfg_errf(why, wl, "weight: %s", sub);
		} else if (strcmp(item, "maxconn") == 0) {
			if (cfg_parse_u32(eq + 1, 0, POOL_MAXCONN_MAX, &b.maxconn, sub, sizeof(sub)))
				return cfg_errf(why, wl, "maxconn: %s", sub);
		} else if (strcmp(item, "name") == 0) {
			if (parse_name(eq + 1, b.name, sizeof(b.name), sub, sizeof(sub)))
				return cfg_errf(why, wl, "name: %s", sub);
			named = true;
		} else {
			return cfg_errf(why, wl, "'%s': unknown; expected weight=N, maxconn=N "
				    "or name=NAME", item);
		}
	}
	if (!named)
		snprintf(b.name, sizeof(b.name), "%.*s", (int)sizeof(b.name) - 1, b.addr_str);
	return backend_add(c, &b, why, wl);
}

/* ---- the file ------------------------------------------------------- */

static int
dup_key(const struct pstate *st, const char *sec, const struct rte_cfgfile_entry *e,
	int i, char *err, size_t errlen)
{
	/* rte_cfgfile keeps both; a second value would silently win. */
	for (int j = 0; j < i; j++)
		if (strcmp(e[j].name, e[i].name) == 0)
			return cfg_errf(err, errlen, "%s: [%s] %s: duplicate key, first set to "
				    "'%s' (got '%s')", st->file, sec, e[i].name, e[j].value,
				    e[i].value);
	return 0;
}

static int
backend_section(struct proxy_config *c, const struct pstate *st, const char *sec,
		const char *name, const struct rte_cfgfile_entry *e, int n,
		char *err, size_t errlen)
{
	struct proxy_backend_conf b;
	char why[WHY_LEN];
	bool have_addr = false;

	backend_conf_init(&b);
	if (parse_name(name, b.name, sizeof(b.name), why, sizeof(why)) != 0)
		return cfg_errf(err, errlen, "%s: [%s]: a backend section is [backend NAME]; "
			    "NAME: %s", st->file, sec, why);
	for (int i = 0; i < n; i++) {
		const char *k = e[i].name, *v = e[i].value;
		int r;

		if (dup_key(st, sec, e, i, err, errlen) != 0)
			return -EINVAL;
		if (strcmp(k, "address") == 0) {
			r = addr_set(&b, v, why, sizeof(why));
			have_addr = r == 0;
		} else if (strcmp(k, "weight") == 0) {
			r = cfg_parse_u32(v, 0, POOL_WEIGHT_MAX, &b.weight, why, sizeof(why));
		} else if (strcmp(k, "maxconn") == 0) {
			r = cfg_parse_u32(v, 0, POOL_MAXCONN_MAX, &b.maxconn, why, sizeof(why));
		} else {
			r = cfg_errf(why, sizeof(why), "unknown key; [backend NAME] takes "
				 "address, weight, maxconn");
		}
		if (r != 0)
			return cfg_errf(err, errlen, "%s: [%s] %s: %s (got '%s')", st->file, sec,
				    k, why, v);
	}
	if (!have_addr)
		return cfg_errf(err, errlen, "%s: [%s] address: missing: the section needs "
			    "address = A.B.C.D:PORT", st->file, sec);
	if (backend_add(c, &b, why, sizeof(why)) != 0)
		return cfg_errf(err, errlen, "%s: [%s]: %s", st->file, sec, why);
	return 0;
}

static int
proxy_section(struct proxy_config *c, const struct pstate *st, const char *sec,
	      const struct rte_cfgfile_entry *e, int n, char *err, size_t errlen)
{
	char why[WHY_LEN];

	for (int i = 0; i < n; i++) {
		const struct key_def *k;

		if (dup_key(st, sec, e, i, err, errlen) != 0)
			return -EINVAL;
		k = key_by_name(e[i].name);
		if (k == NULL) {
			size_t o = 0;

			for (size_t j = 0; j < N_KEYS && o < sizeof(why); j++)
				o += (size_t)snprintf(why + o, sizeof(why) - o, "%s%s",
						      j ? ", " : "", keys[j].name);
			return cfg_errf(err, errlen, "%s: [%s] %s: unknown key; [proxy] takes "
				    "%s (got '%s')", st->file, sec, e[i].name, why,
				    e[i].value);
		}
		if (key_set(k, c, e[i].value, why, sizeof(why)) != 0)
			return cfg_errf(err, errlen, "%s: [%s] %s: %s (got '%s')", st->file,
				    sec, e[i].name, why, e[i].value);
	}
	return 0;
}

static int
file_parse(struct proxy_config *c, const struct pstate *st, char *err, size_t errlen)
{
	struct rte_cfgfile_parameters params = { .comment_character = CFG_COMMENT };
	struct rte_cfgfile_entry *e = NULL;
	struct rte_cfgfile *cf;
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
		if (ret != 0)
			break;
		if (n < 0) {
			ret = cfg_errf(err, errlen, "%s: [%s]: rte_cfgfile cannot read it",
				   st->file, sec);
			break;
		}
		free(e);
		e = calloc((size_t)n + 1, sizeof(*e));
		if (e == NULL) {
			ret = cfg_errf(err, errlen, "%s: out of memory", st->file);
			break;
		}
		n = rte_cfgfile_section_entries_by_index(cf, s, sec, e, n);
		if (strncmp(sec, "backend", 7) == 0 &&
		    (sec[7] == '\0' || isspace((unsigned char)sec[7]))) {
			char name[CFG_NAME_LEN];

			snprintf(name, sizeof(name), "%s", sec + 7);
			ret = backend_section(c, st, sec, cfg_trim(name), e, n, err, errlen);
		} else if (strcmp(sec, "proxy") == 0) {
			ret = proxy_section(c, st, sec, e, n, err, errlen);
		} else {
			ret = cfg_errf(err, errlen, "%s: [%s]: unknown section; hso-proxy takes "
				   "[proxy] and [backend NAME]", st->file, sec);
		}
	}
	free(e);
	rte_cfgfile_close(cf);
	return ret;
}

/* ---- flags ---------------------------------------------------------- */

static bool
flag_takes_value(const char *name, size_t len)
{
	const struct key_def *k;

	if (cfg_flag_is(name, len, "config") || cfg_flag_is(name, len, "backend"))
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
flags_parse(struct proxy_config *c, int argc, char **argv, char *err, size_t errlen)
{
	char why[WHY_LEN];

	for (int i = 0; i < argc; i++) {
		const struct key_def *k;
		const char *name, *val;
		size_t len;
		int r = cfg_flag_next(argc, argv, &i, &name, &len, &val, flag_takes_value);

		if (r == 1)
			return cfg_errf(err, errlen, "'%s': unexpected argument (hso-proxy's "
				    "options start with --; see --help)", argv[i]);
		if (r < 0) {
			k = key_by_flag(name, len);
			return cfg_errf(err, errlen, "--%.*s: missing value (expects %s)",
				    (int)len, name, k != NULL ? k->metavar :
				    cfg_flag_is(name, len, "backend") ? "ADDR:PORT[,...]" : "FILE");
		}
		if (cfg_flag_is(name, len, "config") || cfg_flag_is(name, len, "help"))
			continue;       /* handled before */
		if (cfg_flag_is(name, len, "backend")) {
			if (backend_flag(c, val, why, sizeof(why)) != 0)
				return cfg_errf(err, errlen, "--backend: %s (got '%s')", why, val);
			continue;
		}
		k = key_by_flag(name, len);
		if (k == NULL)
			return cfg_errf(err, errlen, "--%.*s: unknown option (see --help)",
				    (int)len, name);
		if (val == NULL)
			val = "yes";    /* a boolean flag alone turns it on */
		if (key_set(k, c, val, why, sizeof(why)) != 0)
			return cfg_errf(err, errlen, "--%s: %s (got '%s')", k->flag, why, val);
	}
	return 0;
}

int
proxy_config_parse(struct proxy_config *c, int argc, char **argv, char *err, size_t errlen)
{
	struct pstate st;
	const char *file = NULL;
	int ret;

	memset(&st, 0, sizeof(st));
	proxy_config_defaults(c);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	/* --help wins, and --config is read first, wherever they are. */
	ret = cfg_find_help_config(argc, argv, flag_takes_value, "hso-proxy", sizeof(c->config_file),
				   &c->help, &file, err, errlen);
	if (ret != 0 || c->help)
		return ret;
	if (file != NULL) {
		snprintf(c->config_file, sizeof(c->config_file), "%s", file);
		st.file = c->config_file;
		ret = file_parse(c, &st, err, errlen);
		if (ret != 0)
			return ret;
	}
	ret = flags_parse(c, argc, argv, err, errlen);
	if (ret != 0)
		return ret;
	if (c->n_backends == 0)
		return cfg_errf(err, errlen, "no backend: give --backend A.B.C.D:PORT (or "
			    "[backend NAME] sections with address = A.B.C.D:PORT in a "
			    "--config file)");
	return 0;
}

/* ---- --help --------------------------------------------------------- */

void
proxy_config_usage(FILE *out)
{
	struct proxy_config d;
	char val[64], left[64];

	proxy_config_defaults(&d);
	fprintf(out,
		"Usage: hso-proxy [EAL options] -- [options]\n"
		"  e.g. hso-proxy -l 1 --proc-type=secondary --file-prefix hso -- \\\n"
		"       --backend 198.18.0.1:8080 --backend 198.18.0.1:8081,weight=2,maxconn=100\n"
		"\n"
		"A load balancer behind hsod: attaches to the hsod that runs with\n"
		"--app external and the same --file-prefix (a DPDK secondary process;\n"
		"--proc-type=secondary is added when absent), and forwards each TLS\n"
		"session's plaintext to a backend over TCP. Prints 'hso-proxy: attached'\n"
		"once attached; SIGINT/SIGTERM detach and exit 0. The counters are printed\n"
		"as one JSON line on stdout on exit (and every --stats-interval seconds).\n"
		"\n"
		"Options (each sets the [proxy] key shown; flags override the file;\n"
		"--flag=VALUE works too; a boolean flag alone means yes):\n"
		"  %-34s %s\n"
		"  %-34s %s\n"
		"  %-34s %s\n",
		"--config FILE", "read [proxy] and [backend NAME] sections from FILE first",
		"--backend ADDR:PORT[,k=v...]", "a backend (repeat for more; added to the "
		"file's),\n"
		"                                     ADDR A.B.C.D or [IPv6]; k=v: weight=0..256 [1],\n"
		"                                     maxconn=N [0: none], name=NAME [ADDR:PORT]",
		"--help", "print this text and exit");
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_def *k = &keys[i];

		snprintf(left, sizeof(left), "--%s%s%s", k->flag, k->metavar ? " " : "",
			 k->metavar ? k->metavar : "");
		fprintf(out, "  %-34s [proxy] %s\n", left, k->name);
	}
	fprintf(out,
		"\n"
		"Config file (--config): INI read with rte_cfgfile. '[section]' lines,\n"
		"'key = value' lines, '#' starts a comment. Unknown sections or keys, a key\n"
		"or section given twice, and any bad value are errors naming the file,\n"
		"section and key. Booleans are yes/no, true/false, on/off, 1/0.\n"
		"\n"
		"  [proxy]   keys (flag), meaning and [default]:\n");
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_def *k = &keys[i];

		key_render(k, &d, val, sizeof(val));
		snprintf(left, sizeof(left), "%s = %s", k->name,
			 k->metavar ? k->metavar : "yes|no");
		fprintf(out, "    %s (--%s)\n        %s [%s]\n", left, k->flag, k->help, val);
	}
	fprintf(out,
		"\n"
		"  [backend NAME]   one section per backend, NAME 1..31 bytes\n"
		"    address = A.B.C.D:PORT or [IPv6]:PORT\n"
		"        where to connect [none: required]\n"
		"    weight = 0..256\n"
		"        share of new connections; 0: none (drain) [1]\n"
		"    maxconn = N\n"
		"        connections open to it at once, 0..%u; 0: no limit; when every\n"
		"        backend is full a connection waits queue_timeout for a slot [0]\n"
		"\n"
		"Backend failures: a refused or timed-out connect counts towards fall and\n"
		"is retried on another backend (retries) while no client data was sent\n"
		"to it; otherwise the client gets close_notify and FIN (with --http, a\n"
		"'502 Bad Gateway' first when no response byte was sent yet).\n",
		POOL_MAXCONN_MAX);
}
