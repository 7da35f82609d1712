/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-gen's configuration without EAL: defaults, every value type, the
 * checks across flags (each a one-line message naming the flag), a config
 * file, and --help documenting every flag.
 */
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "check.h"
#include "gen_config.h"

static struct gen_config cfg;
static char err[GEN_ERR_LEN];

/* Parse the NULL-terminated flags; returns gen_config_parse()'s result. */
static int
parse(const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a != NULL && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)(uintptr_t)a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return gen_config_parse(&cfg, argc, argv, err, sizeof(err));
}

#define BASE "--target", "198.18.0.2:443", "--addr", "198.18.0.1/24", "--tls", "1.3"

/* Parsing fails and the message contains @p want. */
#define BAD(want, ...)                                                            \
	do {                                                                      \
		CHECK_MSG(parse(__VA_ARGS__, NULL) == -EINVAL, "accepted; wanted '%s'", \
			  want);                                                  \
		CHECK_MSG(strstr(err, want) != NULL, "message '%s', wanted '%s'", err, \
			  want);                                                  \
		CHECK_MSG(strchr(err, '\n') == NULL, "not one line: '%s'", err); \
	} while (0)

static void
test_good(void)
{
	CHECK_EQ(parse(BASE, "--concurrency", "8", NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_EQ(cfg.target, 0xc6120002u);
	CHECK_EQ(cfg.target_port, 443);
	CHECK_EQ(cfg.addr, 0xc6120001u);
	CHECK_EQ(cfg.prefix_len, 24);
	CHECK_EQ(cfg.tls, 13);
	CHECK_EQ(cfg.concurrency, 8);
	/* Defaults. */
	CHECK(cfg.src_lo == cfg.addr && cfg.src_hi == cfg.addr);
	CHECK(cfg.port_lo == 1024 && cfg.port_hi == 65535);
	CHECK(cfg.duration_s == 10 && cfg.warmup_s == 0 && cfg.rate == 0);
	CHECK(!cfg.full && cfg.key_reuse == 1000 && cfg.close == GEN_CLOSE_CLOSE_NOTIFY);
	CHECK(cfg.resume_kind == GEN_RESUME_PSK_DHE && cfg.tx_offload);

	CHECK_EQ(parse("--target=198.18.0.2:8443", "--addr", "198.18.0.1/24", "--tls", "1.2",
		       "--rate", "2500.5", "--arrival", "uniform", "--duration", "2.5",
		       "--warmup", "1", "--count", "100000", "--sources",
		       "198.18.0.10-198.18.0.250", "--ports", "2000-3000", "--suites",
		       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_GCM_SHA256",
		       "--groups", "secp256r1", "--sigalgs", "rsa_pss_rsae_sha256", "--sni",
		       "hso.test", "--alpn", "h2,http/1.1", "--resume", "0.5", "--resume-kind",
		       "id", "--mode", "full", "--request", "GET / HTTP/1.1", "--close", "rst",
		       "--json", "/tmp/x.json", "--quiet", "--no-tx-offload", "--max-inflight", "99",
		       "--timeout", "500", "--seed", "42", NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_EQ(cfg.target_port, 8443);
	CHECK(cfg.rate == 2500.5 && cfg.arrival == GEN_ARRIVAL_UNIFORM);
	CHECK(cfg.duration_s == 2.5 && cfg.warmup_s == 1 && cfg.count == 100000);
	CHECK(cfg.src_lo == 0xc612000au && cfg.src_hi == 0xc61200fau);
	CHECK(cfg.port_lo == 2000 && cfg.port_hi == 3000);
	CHECK(cfg.n_suites == 2 && cfg.suites[0] == HS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
	CHECK(cfg.n_groups == 1 && cfg.groups[0] == HS_GROUP_SECP256R1);
	CHECK(cfg.n_sigalgs == 1 && cfg.sigalgs[0] == HS_SIG_RSA_PSS_RSAE_SHA256);
	CHECK(strcmp(cfg.sni, "hso.test") == 0);
	CHECK(cfg.alpn_len == 12 && memcmp(cfg.alpn, "\x02h2\x08http/1.1", 12) == 0);
	CHECK(cfg.resume == 0.5 && cfg.resume_kind == GEN_RESUME_ID && cfg.full);
	CHECK(strcmp(cfg.request, "GET / HTTP/1.1") == 0 && cfg.close == GEN_CLOSE_RST);
	CHECK(strcmp(cfg.json, "/tmp/x.json") == 0 && cfg.quiet && !cfg.tx_offload);
	CHECK(cfg.max_inflight == 99 && cfg.timeout_ms == 500 && cfg.seed == 42);

	/* TCP only: FIN by default; a gateway for an off-link target. */
	CHECK_EQ(parse("--target", "10.1.2.3:80", "--addr", "198.18.0.1/24", "--gateway",
		       "198.18.0.254", "--tls", "none", "--concurrency", "1", NULL), 0);
	CHECK(cfg.tls == 0 && cfg.close == GEN_CLOSE_FIN && cfg.gateway == 0xc61200feu);
	/* --hold alone: opened 64 (or fewer) at a time. */
	CHECK_EQ(parse(BASE, "--hold", "1000", NULL), 0);
	CHECK(cfg.hold == 1000 && cfg.concurrency == 64);
	CHECK_EQ(parse(BASE, "--hold", "10", NULL), 0);
	CHECK_EQ(cfg.concurrency, 10);
	/* Held connections closed at 100,000 a second at the end unless told. */
	CHECK_EQ(cfg.hold_close_rate, 100000);
	CHECK_EQ(parse(BASE, "--hold", "10", "--hold-close-rate", "5000", NULL), 0);
	CHECK_EQ(cfg.hold_close_rate, 5000);
	/* --help wins over anything else. */
	CHECK_EQ(parse("--bogus", "--help", NULL), 0);
	CHECK(cfg.help);

	/* IPv6: the target in brackets, our addr6 (on-link, or a gateway6). */
	CHECK_EQ(parse("--target", "[2001:db8::2]:8443", "--addr", "198.18.0.1/24", "--addr6",
		       "2001:db8::1/64", "--tls", "1.3", "--concurrency", "4", NULL), 0);
	{
		static const uint8_t t6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
		static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

		CHECK(cfg.v6 && cfg.target == 0 && cfg.target_port == 8443 &&
		      memcmp(cfg.target6, t6, 16) == 0 && memcmp(cfg.addr6, a6, 16) == 0 &&
		      cfg.prefix6_len == 64);
	}
	CHECK_EQ(parse("--target", "[2001:db8:99::2]:443", "--addr", "198.18.0.1/24", "--addr6",
		       "2001:db8::1/64", "--gateway6", "fe80::1", "--tls", "1.3", "--concurrency",
		       "4", NULL), 0);
	CHECK(cfg.v6 && cfg.gateway6[0] == 0xfe && cfg.gateway6[15] == 1);
	/* The last --target wins, family and all. */
	CHECK_EQ(parse("--target", "[2001:db8::2]:443", BASE, "--concurrency", "1", NULL), 0);
	CHECK(!cfg.v6 && cfg.target == 0xc6120002u);
}

static void
test_bad(void)
{
	BAD("--addr6: missing", "--target", "[2001:db8::2]:443", "--addr", "198.18.0.1/24",
	    "--tls", "1.3", "--concurrency", "1");
	BAD("in brackets", BASE, "--target", "2001:db8::2:443", "--concurrency", "1");
	BAD("[ADDR]:PORT", BASE, "--target", "[2001:db8::2]443", "--concurrency", "1");
	BAD("--target", BASE, "--target", "[2001:db8::2]:0", "--concurrency", "1");
	BAD("--target", BASE, "--target", "[ff02::1]:443", "--addr6", "2001:db8::1/64",
	    "--concurrency", "1");
	BAD("is our own addr6", BASE, "--target", "[2001:db8::1]:443", "--addr6",
	    "2001:db8::1/64", "--concurrency", "1");
	BAD("outside addr6's prefix", BASE, "--target", "[2001:db8:1::2]:443", "--addr6",
	    "2001:db8::1/64", "--concurrency", "1");
	BAD("--gateway6", BASE, "--target", "[2001:db8:1::2]:443", "--addr6", "2001:db8::1/64",
	    "--gateway6", "2001:db8:2::1", "--concurrency", "1");
	BAD("--gateway6: needs an IPv6 target", BASE, "--gateway6", "fe80::1", "--concurrency", "1");
	BAD("--sources: is IPv4 only", BASE, "--target", "[2001:db8::2]:443", "--addr6",
	    "2001:db8::1/64", "--sources", "198.18.0.10-198.18.0.20", "--concurrency", "1");
	BAD("--addr6", BASE, "--addr6", "fe80::1/64", "--concurrency", "1");
	BAD("--addr6", BASE, "--addr6", "2001:db8::1", "--concurrency", "1");
	BAD("--target: missing", "--addr", "198.18.0.1/24", "--tls", "1.3", "--concurrency", "1");
	BAD("--addr: missing", "--target", "198.18.0.2:443", "--tls", "1.3", "--concurrency", "1");
	BAD("--tls: missing", "--target", "198.18.0.2:443", "--addr", "198.18.0.1/24",
	    "--concurrency", "1");
	BAD("--concurrency: missing", BASE);
	BAD("--rate", BASE, "--concurrency", "1", "--rate", "5");
	BAD("--target", BASE, "--target", "198.18.0.2", "--concurrency", "1");
	BAD("--target", BASE, "--target", "198.18.0.2:0", "--concurrency", "1");
	BAD("--target", BASE, "--target", "300.1.1.1:443", "--concurrency", "1");
	BAD("--target", "--target", "198.18.0.1:443", "--addr", "198.18.0.1/24", "--tls", "1.3",
	    "--concurrency", "1");
	BAD("--target", "--target", "10.0.0.1:443", "--addr", "198.18.0.1/24", "--tls", "1.3",
	    "--concurrency", "1");
	BAD("--addr", BASE, "--addr", "198.18.0.0/24", "--concurrency", "1");
	BAD("--addr", BASE, "--addr", "198.18.0.1", "--concurrency", "1");
	BAD("--gateway", BASE, "--gateway", "10.0.0.1", "--concurrency", "1");
	BAD("--sources", BASE, "--sources", "198.18.0.10-198.18.1.10", "--concurrency", "1");
	BAD("--sources", BASE, "--sources", "198.18.0.1-198.18.0.5", "--concurrency", "1");
	BAD("--sources", BASE, "--sources", "198.18.0.20-198.18.0.10", "--concurrency", "1");
	BAD("--sources", BASE, "--sources", "198.18.0.10-198.18.0.255", "--concurrency", "1");
	BAD("--ports", BASE, "--ports", "3000-2000", "--concurrency", "1");
	BAD("--ports", BASE, "--ports", "0-2000", "--concurrency", "1");
	BAD("--concurrency", BASE, "--concurrency", "0");
	BAD("--concurrency", BASE, "--concurrency", "-1");
	BAD("--rate", BASE, "--rate", "0");
	BAD("--rate", BASE, "--rate", "abc");
	BAD("--rate", BASE, "--rate", "0.01", "--duration", "1");
	BAD("--arrival", BASE, "--concurrency", "1", "--arrival", "uniform");
	BAD("--arrival", BASE, "--rate", "10", "--arrival", "bursty");
	BAD("--max-inflight", BASE, "--concurrency", "1", "--max-inflight", "5");
	BAD("--duration", BASE, "--concurrency", "1", "--duration", "0");
	BAD("--tls", "--target", "198.18.0.2:443", "--addr", "198.18.0.1/24", "--tls", "1.1",
	    "--concurrency", "1");
	BAD("--suites", BASE, "--concurrency", "1", "--suites", "TLS_AES_128_CCM_SHA256");
	BAD("--suites", BASE, "--concurrency", "1", "--suites", "TLS_FOO");
	BAD("--suites", BASE, "--concurrency", "1", "--suites",
	    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	BAD("--groups", BASE, "--concurrency", "1", "--groups", "x448");
	BAD("--sigalgs", BASE, "--concurrency", "1", "--sigalgs", "nope");
	BAD("--sni", BASE, "--concurrency", "1", "--sni", "bad name");
	BAD("--sni", BASE, "--concurrency", "1", "--sni", "trailing.dot.");
	BAD("--alpn", BASE, "--concurrency", "1", "--alpn", "h2,,x");
	BAD("--resume", BASE, "--concurrency", "1", "--resume", "1.5");
	BAD("--resume-kind", BASE, "--concurrency", "1", "--resume", "0.5", "--resume-kind",
	    "ticket");
	BAD("--resume-kind", BASE, "--concurrency", "1", "--resume-kind", "psk");
	BAD("--ca", BASE, "--concurrency", "1", "--ca", "/etc/ssl/certs/x.pem");
	BAD("--key-reuse", BASE, "--concurrency", "1", "--mode", "full", "--key-reuse", "5");
	/* (the message quotes the value, CR LF included) */
	CHECK_EQ(parse(BASE, "--concurrency", "1", "--request", "GET /\r\nX: y", NULL), -EINVAL);
	CHECK_MSG(strstr(err, "--request: one line") != NULL, "%s", err);
	BAD("--request", BASE, "--hold", "5", "--request", "GET / HTTP/1.1");
	BAD("--hold", BASE, "--hold", "5", "--rate", "10");
	BAD("--hold-close-rate", BASE, "--hold", "5", "--hold-close-rate", "999");
	BAD("--close", BASE, "--concurrency", "1", "--close", "linger");
	BAD("--suites", "--target", "198.18.0.2:443", "--addr", "198.18.0.1/24", "--tls", "none",
	    "--concurrency", "1", "--suites", "TLS_AES_128_GCM_SHA256");
	BAD("--close", "--target", "198.18.0.2:443", "--addr", "198.18.0.1/24", "--tls", "none",
	    "--concurrency", "1", "--close", "close_notify");
	BAD("--timeout", BASE, "--concurrency", "1", "--timeout", "1");
	BAD("--bogus", BASE, "--concurrency", "1", "--bogus", "1");
	BAD("stray", BASE, "--concurrency", "1", "stray");
	BAD("--duration", BASE, "--concurrency", "1", "--duration");
	/* --impair: each key checked, an unknown one named; queues within mbufs. */
	BAD("--impair: unknown key 'jitter'", BASE, "--concurrency", "1", "--impair", "jitter=1");
	BAD("--impair: loss: needs a probability 0..1", BASE, "--concurrency", "1", "--impair",
	    "loss=2");
	BAD("--impair: delay: needs milliseconds", BASE, "--concurrency", "1", "--impair",
	    "delay=20000");
	BAD("--impair: dup: given twice", BASE, "--concurrency", "1", "--impair",
	    "dup=0.1,dup=0.2");
	BAD("--impair: limit=4096: two queues", BASE, "--concurrency", "1", "--impair",
	    "limit=4096");
	/* --syn-flood: spoofed sources required, none of ours, the target's or the gateway's. */
	BAD("--flood-sources: missing", BASE, "--concurrency", "1", "--syn-flood", "1000");
	BAD("--syn-flood", BASE, "--concurrency", "1", "--syn-flood", "0.5",
	    "--flood-sources", "198.19.0.0-198.19.0.255");
	BAD("--flood-sources: includes our addr", BASE, "--concurrency", "1", "--syn-flood",
	    "1000", "--flood-sources", "198.18.0.0-198.18.0.255");
	BAD("--flood-sources: overlaps sources", BASE, "--concurrency", "1", "--sources",
	    "198.18.0.10-198.18.0.20", "--syn-flood", "1000", "--flood-sources",
	    "198.18.0.20-198.18.0.30");
	BAD("--flood-sources: includes the target", BASE, "--concurrency", "1", "--syn-flood",
	    "1000", "--flood-sources", "198.18.0.2-198.18.0.9");
	BAD("--flood-sources: not a unicast", BASE, "--concurrency", "1", "--syn-flood", "1000",
	    "--flood-sources", "0.0.0.1-0.0.0.9");
	BAD("--flood-sources: takes 0/8", BASE, "--concurrency", "1", "--syn-flood", "1000",
	    "--flood-sources", "100.0.0.1-150.0.0.9");
	BAD("--flood-sources: applies to syn-flood only", BASE, "--concurrency", "1",
	    "--flood-sources", "198.19.0.0-198.19.0.255");
	BAD("--flood-start: not inside duration", BASE, "--concurrency", "1", "--syn-flood",
	    "1000", "--flood-sources", "198.19.0.0-198.19.0.255", "--duration", "2",
	    "--flood-start", "2");
	BAD("--syn-flood: not with hold", BASE, "--hold", "5", "--syn-flood", "1000",
	    "--flood-sources", "198.19.0.0-198.19.0.255");
}

static void
test_faults(void)
{
	CHECK_EQ(parse(BASE, "--concurrency", "1", "--impair",
		       "loss=0.05,dup=0.01,reorder=0.01,delay=20", NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK(cfg.impair.on && cfg.impair.loss == 0.05 && cfg.impair.dup == 0.01);
	CHECK(cfg.impair.reorder == 0.01 && cfg.impair.delay_ms == 20);
	CHECK_EQ(cfg.impair.limit, GEN_IMPAIR_LIMIT_DEFAULT);
	CHECK_EQ(parse(BASE, "--concurrency", "1", NULL), 0);
	CHECK(!cfg.impair.on && cfg.syn_flood == 0);
	CHECK_EQ(parse(BASE, "--rate", "100", "--duration", "6", "--syn-flood", "20000",
		       "--flood-sources", "198.19.0.0-198.19.255.255", "--flood-start", "3",
		       "--flood-duration", "2", NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK(cfg.syn_flood == 20000 && cfg.flood_lo == 0xc6130000u && cfg.flood_hi == 0xc613ffffu);
	CHECK(cfg.flood_start_s == 3 && cfg.flood_duration_s == 2);
}

static void
test_file(void)
{
	char path[] = "/tmp/test_gen_config_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	fprintf(f, "[net]\ntarget = 198.18.0.2:443\naddr = 198.18.0.1/24\n"
		"[load]\nconcurrency = 32\n[tls]\nversion = 1.2\n");
	fclose(f);
	CHECK_EQ(parse("--config", path, NULL), 0);
	CHECK(cfg.tls == 12 && cfg.concurrency == 32 && cfg.target_port == 443);
	/* A flag overrides the file. */
	CHECK_EQ(parse("--config", path, "--concurrency", "3", NULL), 0);
	CHECK_EQ(cfg.concurrency, 3);
	f = fopen(path, "a");
	fprintf(f, "[load]\nrate = 5\n");
	fclose(f);
	CHECK_EQ(parse("--config", path, NULL), -EINVAL);
	CHECK_MSG(strstr(err, "load") != NULL, "%s", err);
	unlink(path);
}

static void
test_help(void)
{
	static const char *const flags[] = {
		"--target", "--addr", "--addr6", "--gateway6", "--gateway", "--sources", "--ports", "--tx-offload",
		"--mbufs", "--concurrency", "--rate", "--arrival", "--duration", "--warmup",
		"--count", "--hold", "--hold-close-rate", "--max-inflight", "--timeout", "--seed", "--tls",
		"--suites", "--groups", "--sigalgs", "--sni", "--alpn", "--resume",
		"--resume-kind", "--mode", "--key-reuse", "--ca", "--request", "--close",
		"--json", "--quiet", "--config", "--help",
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	gen_config_usage(f);
	fclose(f);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		CHECK_MSG(strstr(buf, flags[i]) != NULL, "--help lacks %s", flags[i]);
	free(buf);
}

int
main(void)
{
	test_good();
	test_bad();
	test_faults();
	test_file();
	test_help();
	return check_result("test_gen_config");
}
