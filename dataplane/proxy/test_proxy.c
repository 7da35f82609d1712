/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-proxy's units without EAL: the PROXY v2 encoder byte for byte against
 * the spec's layout (and its cipher names against OpenSSL's), the balancer
 * (weights, leastconn, maxconn, fall/rise) and the configuration parser
 * (flags, rte_cfgfile files, and the errors of both).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "check.h"
#include "pool.h"
#include "pp2.h"
#include "health.h"
#include "proxy_config.h"

/* ---- PROXY v2 ------------------------------------------------------- */

/*
 * Written from haproxy doc/proxy-protocol.txt section 2.2, not from the
 * encoder: signature, 0x21 (v2, PROXY), 0x11 (TCP4), length 76, the
 * addresses 198.18.0.1:40000 -> 198.18.0.2:443, then PP2_TYPE_ALPN
 * "http/1.1", PP2_TYPE_AUTHORITY "ec.test", PP2_TYPE_SSL (length 40):
 * client 0x01, verify 0, SSL_VERSION "TLSv1.3", SSL_CIPHER
 * "TLS_AES_128_GCM_SHA256".
 */
static const char pp2_tls13_hex[] =
	"0d0a0d0a000d0a515549540a" "21" "11" "004c"
	"c6120001" "c6120002" "9c40" "01bb"
	"01" "0008" "687474702f312e31"
	"02" "0007" "65632e74657374"
	"20" "0028" "01" "00000000"
	"21" "0007" "544c5376312e33"
	"23" "0016" "544c535f4145535f3132385f47434d5f534841323536";

/*
 * TLS 1.2, no SNI, no ALPN, ECDHE-RSA-AES256-GCM-SHA384 (0xc030),
 * 10.1.2.3:1 -> 10.0.0.9:8443: length 12 + 3 + 45, SSL TLV 5 + 10 + 30.
 */
static const char pp2_tls12_hex[] =
	"0d0a0d0a000d0a515549540a" "21" "11" "003c"
	"0a010203" "0a000009" "0001" "20fb"
	"20" "002d" "01" "00000000"
	"21" "0007" "544c5376312e32"
	"23" "001b" "45434448452d5253412d4145533235362d47434d2d534841333834";

/*
 * The spec's section 2.2 for TCP over IPv6: fam 0x21, the 36-byte ipv6_addr
 * block 2001:db8::1:2 port 50001 -> 2001:db8::2 port 443, then
 * PP2_TYPE_AUTHORITY "ec.test" and PP2_TYPE_SSL (length 40): TLSv1.3,
 * TLS_AES_256_GCM_SHA384. Length 36 + 10 + 43 = 89.
 */
static const char pp2_ipv6_hex[] =
	"0d0a0d0a000d0a515549540a" "21" "21" "0059"
	"20010db8000000000000000000010002" "20010db8000000000000000000000002" "c351" "01bb"
	"02" "0007" "65632e74657374"
	"20" "0028" "01" "00000000"
	"21" "0007" "544c5376312e33"
	"23" "0016" "544c535f4145535f3235365f47434d5f534841333834";

/* An independent walk of a header: lengths consistent, TLVs end exactly. */
static int
pp2_walk(const uint8_t *b, size_t n, char *sni, char *alpn, char *ver, char *cipher)
{
	size_t len, off, addrs;

	sni[0] = alpn[0] = ver[0] = cipher[0] = '\0';
	if (n < 16 || b[12] != 0x21 || (b[13] != 0x11 && b[13] != 0x21))
		return -1;
	addrs = b[13] == 0x11 ? 12 : 36;
	len = (size_t)b[14] << 8 | b[15];
	if (16 + len != n || len < addrs)
		return -1;
	for (off = 16 + addrs; off < n;) {
		size_t tl;

		if (off + 3 > n)
			return -1;
		tl = (size_t)b[off + 1] << 8 | b[off + 2];
		if (off + 3 + tl > n)
			return -1;
		if (b[off] == PP2_TYPE_ALPN)
			snprintf(alpn, 256, "%.*s", (int)tl, (const char *)b + off + 3);
		else if (b[off] == PP2_TYPE_AUTHORITY)
			snprintf(sni, 256, "%.*s", (int)tl, (const char *)b + off + 3);
		else if (b[off] == PP2_TYPE_SSL) {
			size_t s = off + 3 + 5, end = off + 3 + tl;

			if (tl < 5 || b[off + 3] != PP2_CLIENT_SSL)
				return -1;
			while (s < end) {
				size_t sl;

				if (s + 3 > end)
					return -1;
				sl = (size_t)b[s + 1] << 8 | b[s + 2];
				if (s + 3 + sl > end)
					return -1;
				if (b[s] == PP2_SUBTYPE_SSL_VERSION)
					snprintf(ver, 64, "%.*s", (int)sl, (const char *)b + s + 3);
				if (b[s] == PP2_SUBTYPE_SSL_CIPHER)
					snprintf(cipher, 64, "%.*s", (int)sl, (const char *)b + s + 3);
				s += 3 + sl;
			}
		} else {
			return -1;
		}
		off += 3 + tl;
	}
	return 0;
}

static void
test_pp2_known(void)
{
	uint8_t want[PP2_MAX], got[PP2_MAX];
	size_t wn;
	int n;
	struct pp2_info a = {
		.family = 4, .src_addr = 0xc6120001, .dst_addr = 0xc6120002,
		.src_port = 40000, .dst_port = 443,
		.version = 0x0304, .suite = 0x1301,
		.alpn = "http/1.1", .alpn_len = 8, .sni = "ec.test", .sni_len = 7,
	};
	struct pp2_info b = {
		.family = 4, .src_addr = 0x0a010203, .dst_addr = 0x0a000009,
		.src_port = 1, .dst_port = 8443,
		.version = 0x0303, .suite = 0xc030,
	};

	wn = check_unhex(pp2_tls13_hex, want, sizeof(want));
	n = pp2_encode(got, sizeof(got), &a);
	CHECK_EQ(n, wn);
	if (n == (int)wn)
		CHECK_MEM(got, want, wn);

	wn = check_unhex(pp2_tls12_hex, want, sizeof(want));
	n = pp2_encode(got, sizeof(got), &b);
	CHECK_EQ(n, wn);
	if (n == (int)wn)
		CHECK_MEM(got, want, wn);

	/* Empty strings are no TLV, as NULL. */
	b.alpn = "";
	b.sni = "";
	CHECK_EQ(pp2_encode(got, sizeof(got), &b), wn);

	/* A family neither 4 nor 6 is refused. */
	b.family = 0;
	CHECK_EQ(pp2_encode(got, sizeof(got), &b), -EINVAL);
	b.family = 10;                          /* AF_INET6's value: not ours */
	CHECK_EQ(pp2_encode(got, sizeof(got), &b), -EINVAL);

	/* IPv6: the IPv4 fields are not read. */
	{
		struct pp2_info c6 = {
			.family = 6, .src_addr = 0xdeadbeef, .dst_addr = 0xdeadbeef,
			.src6 = { 0x20, 0x01, 0x0d, 0xb8, [13] = 1, [15] = 2 },
			.dst6 = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
			.src_port = 50001, .dst_port = 443,
			.version = 0x0304, .suite = 0x1302, .sni = "ec.test", .sni_len = 7,
		};
		char sni[256], alpn[256], ver[64], cipher[64];

		wn = check_unhex(pp2_ipv6_hex, want, sizeof(want));
		n = pp2_encode(got, sizeof(got), &c6);
		CHECK_EQ(n, wn);
		if (n == (int)wn)
			CHECK_MEM(got, want, wn);
		CHECK_EQ(pp2_walk(got, (size_t)n, sni, alpn, ver, cipher), 0);
		CHECK(strcmp(sni, "ec.test") == 0 && alpn[0] == '\0');
		for (int cap = 0; cap < n; cap++)
			CHECK_EQ(pp2_encode(got, (size_t)cap, &c6), -ENOSPC);
	}

	/* Every buffer shorter than the header is refused, never overrun. */
	n = pp2_encode(want, sizeof(want), &a);
	for (int cap = 0; cap < n; cap++) {
		memset(got, 0xee, sizeof(got));
		CHECK_EQ(pp2_encode(got, (size_t)cap, &a), -ENOSPC);
		CHECK(got[cap] == 0xee);
	}
}

static void
test_pp2_limits(void)
{
	char big[300], sni[256], alpn[256], ver[64], cipher[64];
	uint8_t buf[PP2_MAX + 16];
	struct pp2_info in = {
		.family = 6, .src_port = 3, .dst_port = 4,              /* the longest */
		.version = 0x0303, .suite = 0xcca9,   /* the longest name */
	};
	int n;

	memset(big, 'a', sizeof(big));
	in.alpn = big;
	in.sni = big;
	in.alpn_len = in.sni_len = PP2_STR_MAX;
	n = pp2_encode(buf, sizeof(buf), &in);
	CHECK(n > 0 && n <= PP2_MAX);
	CHECK_EQ(pp2_walk(buf, (size_t)n, sni, alpn, ver, cipher), 0);
	CHECK_EQ(strlen(sni), PP2_STR_MAX);
	CHECK_EQ(strlen(alpn), PP2_STR_MAX);
	CHECK(strcmp(cipher, "ECDHE-ECDSA-CHACHA20-POLY1305") == 0);
	CHECK(strcmp(ver, "TLSv1.2") == 0);
	CHECK_EQ(pp2_encode(buf, PP2_MAX, &in), n);
	/* IPv6 with the longest strings: PP2_MAX less the names' slack only. */
	CHECK(n + 2 * PP2_NAME_MAX >= PP2_MAX);

	in.sni_len = PP2_STR_MAX + 1;
	CHECK_EQ(pp2_encode(buf, sizeof(buf), &in), -EINVAL);
	in.sni_len = 3;
	in.alpn_len = PP2_STR_MAX + 1;
	CHECK_EQ(pp2_encode(buf, sizeof(buf), &in), -EINVAL);

	/* A suite we do not name: no cipher sub-TLV, still well formed. */
	in.alpn_len = 2;
	in.suite = 0x1304;
	in.version = 0x7f00;
	n = pp2_encode(buf, sizeof(buf), &in);
	CHECK(n > 0);
	CHECK_EQ(pp2_walk(buf, (size_t)n, sni, alpn, ver, cipher), 0);
	CHECK(cipher[0] == '\0' && ver[0] == '\0');
	CHECK(strcmp(sni, "aaa") == 0 && strcmp(alpn, "aa") == 0);
}

/* Our names are OpenSSL's (what HAProxy sends): ask OpenSSL. */
static void
test_pp2_names_openssl(void)
{
	static const uint16_t suites[] = {
		0x1301, 0x1302, 0x1303, 0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca8,
		0xcca9, 0x009c, 0x009d,
	};
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;

	CHECK(ssl != NULL);
	for (size_t i = 0; ssl != NULL && i < sizeof(suites) / sizeof(suites[0]); i++) {
		unsigned char id[2] = { (unsigned char)(suites[i] >> 8), (unsigned char)suites[i] };
		const SSL_CIPHER *c = SSL_CIPHER_find(ssl, id);
		const char *ours = pp2_cipher_name(suites[i]);

		CHECK_MSG(c != NULL, "OpenSSL does not know 0x%04x", suites[i]);
		CHECK_MSG(ours != NULL && c != NULL && strcmp(ours, SSL_CIPHER_get_name(c)) == 0,
			  "0x%04x: ours %s, OpenSSL %s", suites[i], ours ? ours : "NULL",
			  c ? SSL_CIPHER_get_name(c) : "NULL");
		CHECK(ours == NULL || strlen(ours) <= PP2_NAME_MAX);
	}
	CHECK(pp2_cipher_name(0x0000) == NULL);
	CHECK(strcmp(pp2_version_name(0x0304), "TLSv1.3") == 0);
	CHECK(strcmp(pp2_version_name(0x0303), "TLSv1.2") == 0);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

/* ---- pool ----------------------------------------------------------- */

static void
pool_with(struct pool *p, enum pool_balance bal, const uint32_t *w,
	  const uint32_t *maxconn, unsigned n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };

	pool_init(p, bal, 3, 2);
	for (unsigned i = 0; i < n; i++) {
		char name[16];

		a.sin_addr.s_addr = htonl(0xc6120001 + i);
		snprintf(name, sizeof(name), "b%u", i);
		CHECK_EQ(pool_add(p, name, "x", (struct sockaddr *)&a, sizeof(a), w[i],
				  maxconn != NULL ? maxconn[i] : 0), i);
	}
}

static void
test_pool_roundrobin(void)
{
	static const uint32_t w[] = { 5, 1, 1 };
	static const uint32_t w2[] = { 1, 2, 0 };
	static const int seq[] = { 0, 0, 1, 0, 2, 0, 0 };
	struct pool p;
	unsigned count[3] = { 0 };

	/* Smooth: 5,1,1 is a a b a c a a, repeating. */
	pool_with(&p, POOL_ROUNDROBIN, w, NULL, 3);
	for (int r = 0; r < 3; r++)
		for (int i = 0; i < 7; i++)
			CHECK_EQ(pool_pick(&p, 0), seq[i]);

	/* Weights 1,2 share 1:2; weight 0 gets nothing. */
	pool_with(&p, POOL_ROUNDROBIN, w2, NULL, 3);
	for (int i = 0; i < 300; i++) {
		int k = pool_pick(&p, 0);

		CHECK(k >= 0 && k < 3);
		if (k >= 0)
			count[k]++;
	}
	CHECK_EQ(count[0], 100);
	CHECK_EQ(count[1], 200);
	CHECK_EQ(count[2], 0);

	/* Excluded (tried) backends are skipped; all excluded: none. */
	CHECK_EQ(pool_pick(&p, 1u << 1), 0);
	CHECK_EQ(pool_pick(&p, 1u << 0), 1);
	CHECK_EQ(pool_pick(&p, 3), -ENOENT);

	/* Down backends are skipped; all down: none. */
	p.b[1].up = false;
	for (int i = 0; i < 5; i++)
		CHECK_EQ(pool_pick(&p, 0), 0);
	p.b[0].up = false;
	CHECK_EQ(pool_pick(&p, 0), -ENOENT);
	CHECK_EQ(pool_up_count(&p), 1);         /* weight 0 is still "in service" */
}

static void
test_pool_maxconn(void)
{
	static const uint32_t w[] = { 1, 1 };
	static const uint32_t mc[] = { 2, 1 };
	struct pool p;
	int k;

	pool_with(&p, POOL_ROUNDROBIN, w, mc, 2);
	for (int i = 0; i < 3; i++) {
		k = pool_pick(&p, 0);
		CHECK(k >= 0);
		if (k >= 0)
			pool_acquire(&p, (unsigned)k);
	}
	CHECK_EQ(p.b[0].active, 2);
	CHECK_EQ(p.b[1].active, 1);
	CHECK_EQ(pool_pick(&p, 0), -EBUSY);
	CHECK(p.b[0].st.full >= 1 && p.b[1].st.full >= 1);
	/* Full and excluded: nothing else would ever take it. */
	CHECK_EQ(pool_pick(&p, 1), -EBUSY);
	pool_release(&p, 1);
	CHECK_EQ(pool_pick(&p, 0), 1);
	/* Full but down is "none", not "busy". */
	pool_acquire(&p, 1);
	p.b[0].up = p.b[1].up = false;
	CHECK_EQ(pool_pick(&p, 0), -ENOENT);
	CHECK_EQ(p.b[0].st.conns, 2);
	CHECK_EQ(p.b[1].st.conns, 2);
}

static void
test_pool_leastconn(void)
{
	static const uint32_t w1[] = { 1, 1, 1 };
	static const uint32_t w2[] = { 1, 3 };
	struct pool p;
	unsigned count[3] = { 0 };

	pool_with(&p, POOL_LEASTCONN, w1, NULL, 3);
	p.b[0].active = 5;
	p.b[1].active = 2;
	p.b[2].active = 7;
	CHECK_EQ(pool_pick(&p, 0), 1);
	CHECK_EQ(pool_pick(&p, 1u << 1), 0);
	/* Ties rotate rather than always landing on the first. */
	p.b[0].active = p.b[1].active = p.b[2].active = 0;
	for (int i = 0; i < 30; i++) {
		int k = pool_pick(&p, 0);

		if (k >= 0)
			count[k]++;
	}
	CHECK_EQ(count[0], 10);
	CHECK_EQ(count[1], 10);
	CHECK_EQ(count[2], 10);
	/* Acquiring on each pick keeps them level. */
	for (int i = 0; i < 30; i++) {
		int k = pool_pick(&p, 0);

		if (k >= 0)
			pool_acquire(&p, (unsigned)k);
	}
	CHECK(p.b[0].active == 10 && p.b[1].active == 10 && p.b[2].active == 10);

	/* Weighted: weight 3 carries three times the connections. */
	pool_with(&p, POOL_LEASTCONN, w2, NULL, 2);
	for (int i = 0; i < 400; i++) {
		int k = pool_pick(&p, 0);

		if (k >= 0)
			pool_acquire(&p, (unsigned)k);
	}
	CHECK_EQ(p.b[0].active, 100);
	CHECK_EQ(p.b[1].active, 300);
}

static void
test_pool_health(void)
{
	static const uint32_t w[] = { 1, 1 };
	struct pool p;

	pool_with(&p, POOL_ROUNDROBIN, w, NULL, 2);  /* fall 3, rise 2 */
	CHECK(p.b[0].up);
	CHECK_EQ(pool_check_result(&p, 0, false), POOL_SAME);
	CHECK_EQ(pool_check_result(&p, 0, false), POOL_SAME);
	/* A success breaks the streak. */
	CHECK_EQ(pool_check_result(&p, 0, true), POOL_SAME);
	CHECK_EQ(pool_check_result(&p, 0, false), POOL_SAME);
	CHECK_EQ(pool_check_result(&p, 0, false), POOL_SAME);
	CHECK(p.b[0].up);
	CHECK_EQ(pool_check_result(&p, 0, false), POOL_WENT_DOWN);
	CHECK(!p.b[0].up);
	CHECK_EQ(pool_up_count(&p), 1);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pool_pick(&p, 0), 1);
	/* More failures while down change nothing. */
	CHECK_EQ(pool_check_result(&p, 0, false), POOL_SAME);
	CHECK_EQ(pool_check_result(&p, 0, true), POOL_SAME);
	CHECK_EQ(pool_check_result(&p, 0, false), POOL_SAME);  /* rise restarts */
	CHECK_EQ(pool_check_result(&p, 0, true), POOL_SAME);
	CHECK_EQ(pool_check_result(&p, 0, true), POOL_WENT_UP);
	CHECK(p.b[0].up);
	CHECK_EQ(p.b[0].st.went_down, 1);
	CHECK_EQ(p.b[0].st.went_up, 1);
	CHECK_EQ(p.b[0].st.checks_failed, 7);
	CHECK_EQ(p.b[0].st.checks_ok, 4);

	/* Passive failures (refused connects) count towards fall too... */
	CHECK_EQ(pool_passive_failure(&p, 1), POOL_SAME);
	CHECK_EQ(pool_check_result(&p, 1, false), POOL_SAME);
	CHECK_EQ(pool_passive_failure(&p, 1), POOL_WENT_DOWN);
	CHECK_EQ(p.b[1].st.passive_failures, 2);
	/* ...and a connect that works starts a new count. */
	CHECK_EQ(pool_passive_failure(&p, 0), POOL_SAME);
	CHECK_EQ(pool_passive_failure(&p, 0), POOL_SAME);
	pool_passive_success(&p, 0);
	CHECK_EQ(pool_passive_failure(&p, 0), POOL_SAME);
	CHECK_EQ(pool_passive_failure(&p, 0), POOL_SAME);
	CHECK_EQ(pool_passive_failure(&p, 0), POOL_WENT_DOWN);
	CHECK_EQ(pool_pick(&p, 0), -ENOENT);

	/* fall 1 / rise 1 act at once. */
	pool_init(&p, POOL_ROUNDROBIN, 1, 1);
	{
		struct sockaddr_in a = { .sin_family = AF_INET };

		pool_add(&p, "a", "a", (struct sockaddr *)&a, sizeof(a), 1, 0);
	}
	CHECK_EQ(pool_check_result(&p, 0, false), POOL_WENT_DOWN);
	CHECK_EQ(pool_check_result(&p, 0, true), POOL_WENT_UP);
}

static void
test_pool_add(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct pool p;

	pool_init(&p, POOL_ROUNDROBIN, 3, 2);
	CHECK_EQ(pool_add(&p, "a", "a", (struct sockaddr *)&a, sizeof(a),
			  POOL_WEIGHT_MAX + 1, 0), -EINVAL);
	CHECK_EQ(pool_add(&p, "a", "a", (struct sockaddr *)&a, 0, 1, 0), -EINVAL);
	for (int i = 0; i < POOL_MAX_BACKENDS; i++)
		CHECK_EQ(pool_add(&p, "a", "a", (struct sockaddr *)&a, sizeof(a), 1, 0), i);
	CHECK_EQ(pool_add(&p, "a", "a", (struct sockaddr *)&a, sizeof(a), 1, 0), -ENOSPC);
	/* 64 backends: the exclusion mask's last bit works. */
	CHECK_EQ(pool_pick(&p, ~(UINT64_C(1) << 63)), 63);
}

/* ---- configuration -------------------------------------------------- */

static int
parse(struct proxy_config *c, char *err, size_t el, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	va_start(ap, el);
	for (char *a; argc < 63 && (a = va_arg(ap, char *)) != NULL;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return proxy_config_parse(c, argc, argv, err, el);
}

static char tmpfile_path[64];

static const char *
write_file(const char *text)
{
	int fd;

	snprintf(tmpfile_path, sizeof(tmpfile_path), "/tmp/hso-proxy-test-XXXXXX");
	fd = mkstemp(tmpfile_path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("mkstemp/write");
		exit(2);
	}
	close(fd);
	return tmpfile_path;
}

#define EXPECT_ERR(substr_, ...)                                                \
	do {                                                                    \
		char e_[PROXY_ERR_LEN];                                         \
		int r_ = parse(&c, e_, sizeof(e_), __VA_ARGS__, (char *)NULL);  \
		CHECK_MSG(r_ == -EINVAL && strstr(e_, (substr_)) != NULL,       \
			  "want error containing '%s', got %d '%s'", (substr_), \
			  r_, r_ ? e_ : "");                                    \
	} while (0)

static void
test_config_flags(void)
{
	struct proxy_config c;
	char err[PROXY_ERR_LEN];
	const struct sockaddr_in *a;
	const struct sockaddr_in6 *a6;

	CHECK_EQ(parse(&c, err, sizeof(err), "--backend", "198.18.0.1:8080",
		       "--backend=198.18.0.1:8081,weight=2,maxconn=100,name=api",
		       "--backend", "[::1]:9000,maxconn=0,weight=0",
		       "--proxy-protocol", "--http", "--balance", "leastconn",
		       "--check-interval", "100", "--fall", "2", "--rise=5",
		       "--connect-timeout", "250", "--timeout", "3000",
		       "--stats-interval", "1", "--max-conns", "16", "--name", "px1",
		       (char *)NULL), 0);
	CHECK_EQ(c.n_backends, 3);
	a = (const struct sockaddr_in *)&c.backends[0].addr;
	CHECK(a->sin_family == AF_INET && ntohs(a->sin_port) == 8080 &&
	      ntohl(a->sin_addr.s_addr) == 0xc6120001);
	CHECK(strcmp(c.backends[0].name, "198.18.0.1:8080") == 0);
	CHECK_EQ(c.backends[0].weight, 1);
	CHECK_EQ(c.backends[0].maxconn, 0);
	CHECK(strcmp(c.backends[1].name, "api") == 0);
	CHECK_EQ(c.backends[1].weight, 2);
	CHECK_EQ(c.backends[1].maxconn, 100);
	a6 = (const struct sockaddr_in6 *)&c.backends[2].addr;
	CHECK(a6->sin6_family == AF_INET6 && ntohs(a6->sin6_port) == 9000 &&
	      c.backends[2].addr_len == sizeof(*a6) && IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
	CHECK_EQ(c.backends[2].weight, 0);
	CHECK(c.proxy_protocol && c.http);
	CHECK_EQ(c.balance, POOL_LEASTCONN);
	CHECK_EQ(c.check_interval_ms, 100);
	CHECK_EQ(c.fall, 2);
	CHECK_EQ(c.rise, 5);
	CHECK_EQ(c.connect_timeout_ms, 250);
	CHECK_EQ(c.timeout_ms, 3000);
	CHECK_EQ(c.stats_interval_s, 1);
	CHECK_EQ(c.max_conns, 16);
	CHECK(strcmp(c.name, "px1") == 0);
	/* An IPv6 backend next to an IPv4 one. */
	CHECK_EQ(parse(&c, err, sizeof(err), "--backend", "[2001:db8::1]:8081,name=v6",
		       "--backend", "198.18.0.1:8081", (char *)NULL), 0);
	a6 = (const struct sockaddr_in6 *)&c.backends[0].addr;
	{
		static const uint8_t want6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

		CHECK(c.n_backends == 2 && a6->sin6_family == AF_INET6 &&
		      ntohs(a6->sin6_port) == 8081 &&
		      memcmp(&a6->sin6_addr, want6, 16) == 0);
		CHECK(strcmp(c.backends[0].addr_str, "[2001:db8::1]:8081") == 0);
	}

	/* Defaults. */
	CHECK_EQ(parse(&c, err, sizeof(err), "--backend", "10.0.0.1:1", (char *)NULL), 0);
	CHECK(!c.proxy_protocol && !c.http);
	CHECK_EQ(c.balance, POOL_ROUNDROBIN);
	CHECK_EQ(c.max_conns, 8192);
	CHECK_EQ(c.check_interval_ms, 2000);
	CHECK_EQ(c.fall, 3);
	CHECK_EQ(c.rise, 2);
	CHECK(strcmp(c.name, "hso-proxy") == 0);
	CHECK_EQ(parse(&c, err, sizeof(err), "--backend", "10.0.0.1:1", "--http=no",
		       (char *)NULL), 0);
	CHECK(!c.http);

	/* --help wins over anything wrong. */
	CHECK_EQ(parse(&c, err, sizeof(err), "--bogus", "--help", (char *)NULL), 0);
	CHECK(c.help);
	CHECK_EQ(parse(&c, err, sizeof(err), "-h", (char *)NULL), 0);
	CHECK(c.help);

	EXPECT_ERR("no backend", "--http");
	EXPECT_ERR("--backend: no port", "--backend", "198.18.0.1");
	EXPECT_ERR("port '0' is not a number in 1..65535", "--backend", "198.18.0.1:0");
	EXPECT_ERR("port '65536'", "--backend", "198.18.0.1:65536");
	EXPECT_ERR("port '80x'", "--backend", "198.18.0.1:80x");
	EXPECT_ERR("--backend: longer than 53 bytes", "--backend",
		   "198.18.0.1:000000000000000000000000000000000000000000000000080");
	EXPECT_ERR("not an IPv4 address", "--backend", "example.com:80");
	EXPECT_ERR("not an IPv4 address", "--backend", "198.18.0.256:80");
	EXPECT_ERR("not an IPv4 address", "--backend", "1.2.3:80");
	EXPECT_ERR("cannot be connected to", "--backend", "0.0.0.0:80");
	EXPECT_ERR("not an IPv6 address", "--backend", "[zz::1]:80");
	EXPECT_ERR("[ADDR]:PORT", "--backend", "[::1]80");
	EXPECT_ERR("[ADDR]:PORT", "--backend", "[::1]");
	EXPECT_ERR("[ADDR]:PORT", "--backend", "[2001:db8::1:80");
	EXPECT_ERR("in brackets: [ADDR]:PORT", "--backend", "2001:db8::1:80");
	EXPECT_ERR("in brackets: [ADDR]:PORT", "--backend", "::1");
	EXPECT_ERR("port '0'", "--backend", "[2001:db8::1]:0");
	EXPECT_ERR("port ''", "--backend", "[2001:db8::1]:");
	EXPECT_ERR("not an IPv6 address", "--backend", "[198.18.0.1]:80");
	EXPECT_ERR("not an IPv6 address", "--backend", "[fe80::1%eth0]:80");
	EXPECT_ERR("no address", "--backend", "[]:80");
	EXPECT_ERR("cannot be connected to", "--backend", "[::]:80");
	EXPECT_ERR("cannot be connected to", "--backend", "[ff02::1]:80");
	EXPECT_ERR("weight: out of range 0..256", "--backend", "1.2.3.4:80,weight=257");
	EXPECT_ERR("weight: not a decimal number", "--backend", "1.2.3.4:80,weight=-1");
	EXPECT_ERR("maxconn: not a decimal", "--backend", "1.2.3.4:80,maxconn=");
	EXPECT_ERR("'color': unknown", "--backend", "1.2.3.4:80,color=red");
	EXPECT_ERR("'weight2': expected", "--backend", "1.2.3.4:80,weight2");
	EXPECT_ERR("name: a name is printable", "--backend", "1.2.3.4:80,name=a\"b");
	EXPECT_ERR("exists already", "--backend", "1.2.3.4:80", "--backend", "1.2.3.4:80");
	EXPECT_ERR("--backend: missing value", "--backend");
	EXPECT_ERR("--backend: missing value", "--backend", "--http");
	EXPECT_ERR("--balance: roundrobin or leastconn", "--backend", "1.2.3.4:80",
		   "--balance", "random");
	EXPECT_ERR("--fall: out of range 1..1000", "--backend", "1.2.3.4:80", "--fall", "0");
	EXPECT_ERR("--timeout: not a decimal number (got '1s')", "--backend", "1.2.3.4:80",
		   "--timeout", "1s");
	EXPECT_ERR("--bufsize: out of range 512..61440", "--backend", "1.2.3.4:80",
		   "--bufsize", "100000");
	EXPECT_ERR("--max-conns: out of range", "--backend", "1.2.3.4:80", "--max-conns", "0");
	EXPECT_ERR("--frobnicate: unknown option", "--backend", "1.2.3.4:80", "--frobnicate");
	EXPECT_ERR("'stray': unexpected argument", "--backend", "1.2.3.4:80", "stray");
	EXPECT_ERR("--http: not a boolean", "--backend", "1.2.3.4:80", "--http=maybe");
	EXPECT_ERR("--name: a name is 1..31 bytes", "--backend", "1.2.3.4:80", "--name",
		   "0123456789012345678901234567890123");
	EXPECT_ERR("/nonexistent/proxy.ini: cannot open", "--config", "/nonexistent/proxy.ini");
	{
		/* 65 backends. */
		char *argv[140];
		char specs[65][32];
		int argc = 0;

		for (int i = 0; i < 65; i++) {
			snprintf(specs[i], sizeof(specs[i]), "10.0.0.%d:80", i + 1);
			argv[argc++] = (char *)"--backend";
			argv[argc++] = specs[i];
		}
		CHECK_EQ(proxy_config_parse(&c, argc, argv, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, "more than 64 backends") != NULL);
	}
}

static void
test_config_file(void)
{
	struct proxy_config c;
	char err[PROXY_ERR_LEN], flag[PATH_MAX + 16];
	const char *f;

	f = write_file(
		"# hso-proxy\n"
		"[proxy]\n"
		"balance = leastconn\n"
		"proxy_protocol = yes\n"
		"http = on\n"
		"check_interval = 500   # ms\n"
		"fall = 4\n"
		"timeout = 1234\n"
		"\n"
		"[backend web1]\n"
		"address = 198.18.0.1:8080\n"
		"\n"
		"[backend web2]\n"
		"address = 198.18.0.1:8081\n"
		"weight = 3\n"
		"maxconn = 50\n");
	snprintf(flag, sizeof(flag), "--config=%s", f);
	CHECK_EQ(parse(&c, err, sizeof(err), flag, "--timeout", "99", "--backend",
		       "198.18.0.1:9000,name=extra", (char *)NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_EQ(c.n_backends, 3);
	CHECK(strcmp(c.backends[0].name, "web1") == 0 && c.backends[0].weight == 1);
	CHECK(strcmp(c.backends[1].name, "web2") == 0 && c.backends[1].weight == 3 &&
	      c.backends[1].maxconn == 50);
	CHECK(strcmp(c.backends[1].addr_str, "198.18.0.1:8081") == 0);
	CHECK(strcmp(c.backends[2].name, "extra") == 0);
	CHECK_EQ(c.balance, POOL_LEASTCONN);
	CHECK(c.proxy_protocol && c.http);
	CHECK_EQ(c.check_interval_ms, 500);
	CHECK_EQ(c.fall, 4);
	CHECK_EQ(c.timeout_ms, 99);             /* the flag wins */
	unlink(f);

	/* A file alone is enough. */
	f = write_file("[backend a]\naddress = 10.1.1.1:80\n");
	CHECK_EQ(parse(&c, err, sizeof(err), "--config", f, (char *)NULL), 0);
	CHECK_EQ(c.n_backends, 1);
	unlink(f);

	struct {
		const char *text, *want;
	} bad[] = {
		{ "[proxy]\nfall = 0\n", "[proxy] fall: out of range 1..1000 (got '0')" },
		{ "[proxy]\nfalls = 2\n", "[proxy] falls: unknown key; [proxy] takes balance" },
		{ "[proxy]\nfall = 2\nfall = 3\n", "[proxy] fall: duplicate key" },
		{ "[proxy]\n[proxy]\n", "[proxy]: duplicate section" },
		{ "[frontend]\nx = 1\n", "[frontend]: unknown section" },
		{ "[backend a]\nweight = 2\n", "[backend a] address: missing" },
		{ "[backend a]\naddress = 10.0.0.1\n", "[backend a] address: no port" },
		{ "[backend a]\naddress = 10.0.0.1:80\nweight = 999\n",
		  "[backend a] weight: out of range 0..256 (got '999')" },
		{ "[backend a]\naddress = 10.0.0.1:80\nport = 1\n",
		  "[backend a] port: unknown key; [backend NAME] takes address" },
		{ "[backend]\naddress = 10.0.0.1:80\n", "[backend]: a backend section is "
		  "[backend NAME]" },
		{ "[backend a]\naddress = 10.0.0.1:80\n[backend b]\naddress = 10.0.0.1:81\n"
		  "[backend  a]\naddress = 10.0.0.1:82\n", "[backend  a]: a backend named 'a' "
		  "exists already" },
		{ "address = 10.0.0.1:80\n", ":1: address: key before any [section]" },
		{ "[proxy]\njunk\n", ":2: neither '[section]' nor 'key = value'" },
		{ "[proxy] x\n", ":1: a section line is '[name]' alone" },
		{ "[proxy]\nhttp = perhaps\n", "[proxy] http: not a boolean" },
		{ "[proxy]\nbalance = random\n", "[proxy] balance: roundrobin or leastconn" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = write_file(bad[i].text);
		CHECK_MSG(parse(&c, err, sizeof(err), "--config", f, "--backend",
				"10.9.9.9:1", (char *)NULL) == -EINVAL &&
			  strstr(err, bad[i].want) != NULL && strstr(err, f) != NULL,
			  "case %zu: want '%s' naming the file, got '%s'", i, bad[i].want, err);
		unlink(f);
	}
	{
		/* A line longer than rte_cfgfile takes. */
		char text[2048];

		snprintf(text, sizeof(text), "[proxy]\nname = %01500d\n", 0);
		f = write_file(text);
		CHECK_EQ(parse(&c, err, sizeof(err), "--config", f, (char *)NULL), -EINVAL);
		CHECK_MSG(strstr(err, "longer than") != NULL, "%s", err);
		unlink(f);
	}
	EXPECT_ERR("--config: given twice", "--config", "a", "--config", "b");
}


/* ---- HTTP health checks: the request and the status line ------------ */

static int
status_of(const char *resp, unsigned *st)
{
	return health_http_status((const uint8_t *)resp, strlen(resp), st);
}

static void
test_health_http(void)
{
	static const struct {
		const char *resp;
		int ret;
		unsigned status;
	} cases[] = {
		{ "HTTP/1.1 200 OK\r\n", 1, 200 },
		{ "HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", 1, 503 },
		{ "HTTP/1.1 204\r\n", 1, 204 },                 /* no SP, empty reason */
		{ "HTTP/1.1 204 \r\n", 1, 204 },                /* SP, empty reason */
		{ "HTTP/1.1 200 OK\n", 1, 200 },                /* bare LF (RFC 9112 2.2) */
		{ "HTTP/1.1 301 Moved\tPermanently\r\n", 1, 301 },
		{ "HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\n", 1, 200 },       /* obs-text */
		{ "HTTP/1.1 101 Switching Protocols\r\n", 1, 101 },
		/* Interim responses are skipped, with their headers. */
		{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n", 1, 204 },
		{ "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
		  "HTTP/1.1 102 Processing\n\nHTTP/1.1 500 Oops\r\n", 1, 500 },
		/* Not there yet: every prefix of a valid answer. */
		{ "", 0, 0 }, { "H", 0, 0 }, { "HTTP/1.", 0, 0 }, { "HTTP/1.1 2", 0, 0 },
		{ "HTTP/1.1 200", 0, 0 }, { "HTTP/1.1 200 OK", 0, 0 }, { "HTTP/1.1 200 OK\r", 0, 0 },
		{ "HTTP/1.1 100 Continue\r\n", 0, 0 },
		{ "HTTP/1.1 100 Continue\r\nX: y\r\n", 0, 0 },
		{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 20", 0, 0 },
		/* Malformed, as soon as it shows. */
		{ "SSH-2.0-OpenSSH_9.2\r\n", -EBADMSG, 0 },
		{ "h", -EBADMSG, 0 },
		{ "http/1.1 200 OK\r\n", -EBADMSG, 0 },        /* HTTP-name is case-sensitive */
		{ "HTTP/2 200\r\n", -EBADMSG, 0 },
		{ "HTTP/2.0 200 OK\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1  200 OK\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1 20x OK\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1 2000 OK\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1 099 Low\r\n", -EBADMSG, 0 },
		{ "HTTP/1.1 200 O\x01K\r\n", -EBADMSG, 0 },     /* control byte in the reason */
		{ "HTTP/1.1 200 OK\rX", -EBADMSG, 0 },          /* CR not before LF */
		{ "\r\nHTTP/1.1 200 OK\r\n", -EBADMSG, 0 },
	};
	uint8_t big[HEALTH_LINE_MAX + 64];
	char req[HEALTH_REQ_MAX];
	unsigned st;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = 0;
		int r = status_of(cases[i].resp, &st);

		CHECK_MSG(r == cases[i].ret && (r != 1 || st == cases[i].status),
			  "case %zu '%s': got %d status %u, want %d status %u", i, cases[i].resp,
			  r, st, cases[i].ret, cases[i].status);
	}
	/* A slow answer, a byte at a time: "more" at every prefix, then the verdict. */
	{
		const char *resp = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 503 Busy\r\n";
		size_t n = strlen(resp);

		for (size_t k = 0; k < n; k++)
			CHECK_MSG(health_http_status((const uint8_t *)resp, k, &st) == 0,
				  "prefix of %zu bytes", k);
		CHECK_EQ(health_http_status((const uint8_t *)resp, n, &st), 1);
		CHECK_EQ(st, 503);
	}
	/* A status line or a 1xx header line that never ends. */
	memcpy(big, "HTTP/1.1 200 ", 13);
	memset(big + 13, 'a', sizeof(big) - 13);
	CHECK_EQ(health_http_status(big, HEALTH_LINE_MAX - 1, &st), 0);
	CHECK_EQ(health_http_status(big, sizeof(big), &st), -EBADMSG);
	memcpy(big, "HTTP/1.1 100 Go\r\nX: ", 20);
	memset(big + 20, 'a', sizeof(big) - 20);
	CHECK_EQ(health_http_status(big, sizeof(big), &st), -EBADMSG);

	/* The request: exact bytes, and what is refused. */
	CHECK_EQ(health_http_request(req, sizeof(req), "/health?x=1", "198.18.0.1:8080"),
		 (int)strlen("GET /health?x=1 HTTP/1.0\r\nHost: 198.18.0.1:8080\r\n"
			     "User-Agent: hso-proxy\r\nConnection: close\r\n\r\n"));
	CHECK(strcmp(req, "GET /health?x=1 HTTP/1.0\r\nHost: 198.18.0.1:8080\r\n"
		     "User-Agent: hso-proxy\r\nConnection: close\r\n\r\n") == 0);
	CHECK(health_http_request(req, sizeof(req), "/", "[2001:db8::1]:80") > 0);
	CHECK_EQ(health_http_request(req, sizeof(req), "health", "h:1"), -EINVAL);
	CHECK_EQ(health_http_request(req, sizeof(req), "/a b", "h:1"), -EINVAL);
	CHECK_EQ(health_http_request(req, sizeof(req), "/a\r\nX: y", "h:1"), -EINVAL);
	CHECK_EQ(health_http_request(req, sizeof(req), "/", ""), -EINVAL);
	CHECK_EQ(health_http_request(req, 20, "/", "h:1"), -ENOSPC);
	CHECK(strcmp(health_type_name(HEALTH_HTTP), "http") == 0);
	CHECK(strcmp(health_type_name(HEALTH_TCP), "tcp") == 0);
}

static void
test_config_checks(void)
{
	struct proxy_config c;
	char err[PROXY_ERR_LEN];
	const char *f;

	/* Defaults: tcp, GET / wanting 200; every backend inherits. */
	CHECK_EQ(parse(&c, err, sizeof(err), "--backend", "10.0.0.1:1", (char *)NULL), 0);
	CHECK_EQ(c.check_type, HEALTH_TCP);
	CHECK(strcmp(c.check_path, "/") == 0);
	CHECK_EQ(c.check_status, 200);
	CHECK_EQ(c.backends[0].check_type, HEALTH_TCP);
	CHECK(strcmp(c.backends[0].check_path, "/") == 0);
	CHECK_EQ(c.backends[0].check_timeout_ms, 1000);

	/* Pool-wide flags, one backend overriding in --backend. */
	CHECK_EQ(parse(&c, err, sizeof(err), "--check", "http", "--check-path", "/health",
		       "--check-status", "204", "--check-timeout", "300",
		       "--backend", "10.0.0.1:1",
		       "--backend", "10.0.0.2:1,check=tcp,check_timeout=50",
		       "--backend", "10.0.0.3:1,check_path=/ready,check_status=200",
		       (char *)NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK(c.backends[0].check_type == HEALTH_HTTP && c.backends[0].check_status == 204 &&
	      strcmp(c.backends[0].check_path, "/health") == 0 &&
	      c.backends[0].check_timeout_ms == 300);
	CHECK(c.backends[1].check_type == HEALTH_TCP && c.backends[1].check_timeout_ms == 50);
	CHECK(c.backends[2].check_type == HEALTH_HTTP && c.backends[2].check_status == 200 &&
	      strcmp(c.backends[2].check_path, "/ready") == 0);

	/* The file: a [backend] before [proxy] still inherits. */
	f = write_file("[backend a]\naddress = 10.0.0.1:80\n"
		       "[backend b]\naddress = 10.0.0.2:80\ncheck = tcp\n"
		       "[backend c]\naddress = 10.0.0.3:80\ncheck_status = 503\n"
		       "[proxy]\ncheck = HTTP\ncheck_path = /hz\n");
	CHECK_EQ(parse(&c, err, sizeof(err), "--config", f, (char *)NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK(c.backends[0].check_type == HEALTH_HTTP &&
	      strcmp(c.backends[0].check_path, "/hz") == 0 && c.backends[0].check_status == 200);
	CHECK_EQ(c.backends[1].check_type, HEALTH_TCP);
	CHECK_EQ(c.backends[2].check_status, 503);
	unlink(f);

	/* The shipped example is read by the real reader. */
	CHECK_EQ(parse(&c, err, sizeof(err), "--config", HSO_SOURCE_ROOT "/deploy/proxy.ini.example",
		       (char *)NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK(c.n_backends == 2 && c.backends[0].check_type == HEALTH_HTTP &&
	      strcmp(c.backends[0].check_path, "/health") == 0 &&
	      c.backends[1].check_type == HEALTH_TCP);

	EXPECT_ERR("--check: tcp or http (got 'icmp')", "--backend", "1.2.3.4:80", "--check",
		   "icmp");
	EXPECT_ERR("--check-path: a path starts with '/' (got 'health')", "--backend",
		   "1.2.3.4:80", "--check-path", "health");
	EXPECT_ERR("--check-path: a path is visible ASCII", "--backend", "1.2.3.4:80",
		   "--check-path", "/a b");
	EXPECT_ERR("--check-status: out of range 100..599", "--backend", "1.2.3.4:80",
		   "--check-status", "99");
	EXPECT_ERR("--backend: check_status: out of range 100..599", "--backend",
		   "1.2.3.4:80,check_status=600");
	EXPECT_ERR("--backend: check: tcp or http", "--backend", "1.2.3.4:80,check=udp");
	f = write_file("[backend a]\naddress = 10.0.0.1:80\ncheck_path = x\n");
	CHECK_EQ(parse(&c, err, sizeof(err), "--config", f, (char *)NULL), -EINVAL);
	CHECK_MSG(strstr(err, "[backend a] check_path: a path starts with '/' (got 'x')") != NULL,
		  "%s", err);
	unlink(f);
	{
		char path[200];

		path[0] = '/';
		memset(path + 1, 'p', 127);
		path[128] = '\0';
		EXPECT_ERR("--check-path: longer than 127 bytes", "--backend", "1.2.3.4:80",
			   "--check-path", path);
	}
}

static void
test_usage(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	static const char *const must[] = {
		"--backend", "--balance", "--proxy-protocol", "--http", "--config",
		"--check-interval", "--fall", "--rise", "--connect-timeout", "--timeout",
		"--stats-interval", "--max-conns", "[backend NAME]", "address =",
		"weight =", "maxconn =", "[proxy]", "check_timeout", "--check tcp|http",
		"--check-path PATH", "--check-status CODE", "check = tcp|http",
	};

	proxy_config_usage(f);
	fclose(f);
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		CHECK_MSG(strstr(text, must[i]) != NULL, "--help lacks %s", must[i]);
	free(text);
}

int
main(void)
{
	test_pp2_known();
	test_pp2_limits();
	test_pp2_names_openssl();
	test_pool_roundrobin();
	test_pool_maxconn();
	test_pool_leastconn();
	test_pool_health();
	test_pool_add();
	test_config_flags();
	test_config_file();
	test_health_http();
	test_config_checks();
	test_usage();
	return check_result("proxy_unit");
}
