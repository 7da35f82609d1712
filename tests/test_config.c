/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hsod's configuration (dataplane/config.c): defaults, a full file, flags
 * over the file, and every error naming its file, section, key and value
 * (or its flag). rte_cfgfile needs no EAL, so this runs anywhere.
 */

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "resources.h"
#include "neigh_defs.h"

static char dir[] = "/tmp/hso_test_config_XXXXXX";
static char err[HSOD_ERR_LEN];

/* Write @p text to DIR/@p name; returns the path (static, one per name slot). */
static const char *
file_write(const char *name, const char *text)
{
	static char paths[8][PATH_MAX];
	static unsigned next;
	char *path = paths[next++ % 8];
	FILE *f;

	snprintf(path, PATH_MAX, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

/* hsod_config_parse() over the NULL-terminated arguments. */
static int
parse(struct hsod_config *c, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	va_start(ap, c);
	for (char *a = va_arg(ap, char *); a != NULL; a = va_arg(ap, char *))
		argv[argc++] = a;
	va_end(ap);
	err[0] = '\0';
	return hsod_config_parse(c, argc, argv, err, sizeof(err));
}

/* The parse failed with -EINVAL and its message holds every string given. */
static void
check_err_has(int line, int ret, const char *const *subs)
{
	if (getenv("HSO_TEST_SHOW_ERRORS") != NULL)
		printf("%d: %s\n", line, err);
	check_count++;
	if (ret != -EINVAL) {
		check_failures++;
		fprintf(stderr, "test_config.c:%d: expected -EINVAL, got %d (err '%s')\n",
			line, ret, err);
		return;
	}
	for (; *subs != NULL; subs++) {
		check_count++;
		if (strstr(err, *subs) == NULL) {
			check_failures++;
			fprintf(stderr, "test_config.c:%d: error lacks '%s': %s\n", line,
				*subs, err);
		}
	}
}

#define ERR_HAS(ret_, ...) \
	check_err_has(__LINE__, (ret_), (const char *const[]){ __VA_ARGS__, NULL })

/* Minimal flags that make a valid config, for cases about one thing. */
#define MIN_FLAGS "--addr", "198.18.0.2/24", "--listen", "443", "--cert", "c.pem", \
	"--key", "k.pem"

static const char *
cfgfile(const char *body)
{
	return file_write("hsod.ini", body);
}

/* A file with [net] and one cert, plus @p extra. */
static const char *
cfgfile_with(const char *extra)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "[net]\naddr = 198.18.0.2/24\nlisten = 443\n"
		 "[cert main]\ncert = c.pem\nkey = k.pem\n%s", extra);
	return cfgfile(buf);
}

static void
test_defaults(void)
{
	struct hsod_config c;
	struct hs_nego_policy p;

	hsod_config_defaults(&c);
	hs_nego_policy_default(&p);
	CHECK(c.tls12 && c.tls13);
	CHECK_EQ(c.n_suites, p.n_suites);
	CHECK_MEM(c.suites, p.suites, p.n_suites * sizeof(p.suites[0]));
	CHECK_EQ(c.n_groups, p.n_groups);
	CHECK_EQ(c.n_sigalgs, p.n_sigalgs);
	CHECK_EQ(c.alpn_len, 0);
	CHECK_EQ(c.ticket_lifetime, 7200);
	CHECK_EQ(c.ticket_rotation, 3600);
	CHECK(c.ticket_watch && !c.check);
	CHECK_EQ(c.ticket_watch_delay_ms, 200);
	CHECK_EQ(c.max_conns, HSOD_MAX_CONNS_DEFAULT);
	CHECK_EQ(c.max_half_open, HSOD_MAX_HALF_OPEN_DEFAULT);
	CHECK_EQ(c.mbufs, 16384);
	CHECK_EQ(c.handshake_timeout_ms, 10000);
	CHECK_EQ(c.idle_timeout_ms, 60000);
	CHECK_EQ(c.app, HSOD_APP_HTTP);
	CHECK_EQ(c.http_status, 200);
	CHECK(strcmp(c.http_body, "hello from hso\n") == 0);
	CHECK_EQ(c.http_body_len, 15);
	CHECK(!c.sni_strict && !c.export_keys && c.psk_ke);
	CHECK_EQ(c.session_cache, HS_SESSION_CACHE_DEFAULT);
	CHECK_EQ(c.max_handshake_msg, HS_MAX_MSG_DEFAULT);
	CHECK_EQ(c.large_msg_bufs, HS_LARGE_MSG_BUFS_DEFAULT);
	CHECK_EQ(c.n_certs, 0);
	CHECK_EQ(c.n_listen, 0);
	CHECK_EQ(c.ports[0].addr, 0);
	CHECK_EQ(c.ports[0].gateway, 0);
	CHECK(c.ticket_key_file[0] == '\0' && c.config_file[0] == '\0');
	for (int a = 0; a < HSO_IMB_ALG_NUM; a++)
		CHECK_EQ(c.imb.arch[a], IMB_ARCH_NONE);

	/* The one-liner, no file. */
	CHECK_EQ(parse(&c, "--addr", "198.18.0.2/24", "--gateway", "198.18.0.1",
		       "--listen", "443", "--cert", "cert.pem", "--key", "key.pem",
		       "--app", "http", NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_EQ(c.ports[0].addr, 0xc6120002u);
	CHECK_EQ(c.ports[0].prefix_len, 24);
	CHECK_EQ(c.ports[0].gateway, 0xc6120001u);
	CHECK_EQ(c.n_ports, 1);
	CHECK_EQ(c.n_listen, 1);
	CHECK_EQ(c.listen[0], 443);
	CHECK_EQ(c.n_certs, 1);
	CHECK(strcmp(c.certs[0].cert, "cert.pem") == 0);
	CHECK(strcmp(c.certs[0].key, "key.pem") == 0);
	CHECK(!c.certs[0].is_default);
	CHECK(!c.help);
	/* Unchanged by the flags. */
	CHECK_EQ(c.n_suites, p.n_suites);
	CHECK_EQ(c.max_conns, HSOD_MAX_CONNS_DEFAULT);

	/* "--flag=value" works as "--flag value". */
	CHECK_EQ(parse(&c, "--addr=10.1.2.3/8", "--listen=80,443", "--cert=a",
		       "--key=b", NULL), 0);
	CHECK_EQ(c.ports[0].addr, 0x0a010203u);
	CHECK_EQ(c.ports[0].prefix_len, 8);
	CHECK_EQ(c.n_listen, 2);
}

static const char full_file[] =
	"# hsod test configuration\n"
	"[net]\n"
	"addr = 198.18.0.2/24   # our address\n"
	"gateway = 198.18.0.1\n"
	"listen = 443, 8443\n"
	"mbufs = 32768\n"
	"\n"
	"[tls]\n"
	"versions = 1.3, 1.2\n"
	"ciphers = TLS_CHACHA20_POLY1305_SHA256,TLS_AES_128_GCM_SHA256,"
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
	"groups = secp256r1, x25519\n"
	"sigalgs = rsa_pss_rsae_sha256, ecdsa_secp256r1_sha256\n"
	"alpn = h2, http/1.1\n"
	"sni_strict = yes\n"
	"export_keys = true\n"
	"max_handshake_msg = 8192\n"
	"session_cache = 0\n"
	"\n"
	"[cert rsa]\n"
	"cert = /etc/hso/rsa.pem\n"
	"key = /etc/hso/rsa.key\n"
	"[cert ecdsa]\n"
	"cert = /etc/hso/ec.pem\n"
	"key = /etc/hso/ec.key\n"
	"ocsp = /etc/hso/ec.ocsp.der\n"
	"default = yes\n"
	"\n"
	"[tickets]\n"
	"key_file = /etc/hso/ticket.key\n"
	"lifetime = 3600\n"
	"rotation = 600\n"
	"psk_ke = no\n"
	"[limits]\n"
	"max_conns = 1000\n"
	"max_half_open = 100\n"
	"handshake_timeout_ms = 5000\n"
	"idle_timeout_ms = 30000\n"
	"[app]\n"
	"type = echo\n"
	"http_status = 503\n"
	"http_body = busy \\#1\\n\\ttry later\\\\\n"
	"[crypto]\n"
	"imb_arch = hmac-sha256=sse, aes-gcm=avx2\n";

static void
test_full_file(void)
{
	struct hsod_config c;
	const char *path = cfgfile(full_file);
	static const uint8_t alpn[] = "\x02h2\x08http/1.1";

	CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK(strcmp(c.config_file, path) == 0);
	CHECK_EQ(c.ports[0].addr, 0xc6120002u);
	CHECK_EQ(c.ports[0].prefix_len, 24);
	CHECK_EQ(c.ports[0].gateway, 0xc6120001u);
	CHECK_EQ(c.n_listen, 2);
	CHECK_EQ(c.listen[0], 443);
	CHECK_EQ(c.listen[1], 8443);
	CHECK_EQ(c.mbufs, 32768);
	CHECK(c.tls12 && c.tls13);
	CHECK_EQ(c.n_suites, 4);
	CHECK_EQ(c.suites[0], HS_TLS_CHACHA20_POLY1305_SHA256);
	CHECK_EQ(c.suites[1], HS_TLS_AES_128_GCM_SHA256);
	CHECK_EQ(c.suites[2], HS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
	CHECK_EQ(c.suites[3], HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
	CHECK_EQ(c.n_groups, 2);
	CHECK_EQ(c.groups[0], HS_GROUP_SECP256R1);
	CHECK_EQ(c.groups[1], HS_GROUP_X25519);
	CHECK_EQ(c.n_sigalgs, 2);
	CHECK_EQ(c.sigalgs[0], HS_SIG_RSA_PSS_RSAE_SHA256);
	CHECK_EQ(c.sigalgs[1], HS_SIG_ECDSA_SECP256R1_SHA256);
	CHECK_EQ(c.alpn_len, sizeof(alpn) - 1);
	CHECK_MEM(c.alpn, alpn, sizeof(alpn) - 1);
	CHECK(c.sni_strict);
	CHECK(c.export_keys);
	CHECK_EQ(c.max_handshake_msg, 8192);
	CHECK_EQ(c.session_cache, 0);
	CHECK_EQ(c.n_certs, 2);
	CHECK(strcmp(c.certs[0].name, "rsa") == 0);
	CHECK(strcmp(c.certs[0].cert, "/etc/hso/rsa.pem") == 0);
	CHECK(strcmp(c.certs[0].key, "/etc/hso/rsa.key") == 0);
	CHECK(c.certs[0].ocsp[0] == '\0');
	CHECK(!c.certs[0].is_default);
	CHECK(strcmp(c.certs[1].name, "ecdsa") == 0);
	CHECK(strcmp(c.certs[1].cert, "/etc/hso/ec.pem") == 0);
	CHECK(strcmp(c.certs[1].ocsp, "/etc/hso/ec.ocsp.der") == 0);
	CHECK(c.certs[1].is_default);
	CHECK(strcmp(c.ticket_key_file, "/etc/hso/ticket.key") == 0);
	CHECK_EQ(c.ticket_lifetime, 3600);
	CHECK_EQ(c.ticket_rotation, 600);
	CHECK(!c.psk_ke);
	CHECK_EQ(c.max_conns, 1000);
	CHECK_EQ(c.max_half_open, 100);
	CHECK_EQ(c.handshake_timeout_ms, 5000);
	CHECK_EQ(c.idle_timeout_ms, 30000);
	CHECK_EQ(c.app, HSOD_APP_ECHO);
	CHECK_EQ(c.http_status, 503);
	CHECK_MSG(strcmp(c.http_body, "busy #1\n\ttry later\\") == 0, "body '%s'",
		  c.http_body);
	CHECK_EQ(c.http_body_len, strlen("busy #1\n\ttry later\\"));
	CHECK(strcmp(c.imb_arch, "hmac-sha256=sse,aes-gcm=avx2") == 0);
	CHECK_EQ(c.imb.arch[HSO_IMB_ALG_HMAC_SHA256], IMB_ARCH_SSE);
	CHECK_EQ(c.imb.arch[HSO_IMB_ALG_AES_GCM], IMB_ARCH_AVX2);
	CHECK_EQ(c.imb.arch[HSO_IMB_ALG_HMAC_SHA384], IMB_ARCH_NONE);
}

static void
test_flags_override(void)
{
	struct hsod_config c;
	const char *path = cfgfile(full_file);

	CHECK_EQ(parse(&c, "--config", (char *)path, "--listen", "9443",
		       "--addr", "10.0.0.5/16", "--gateway", "10.0.255.254",
		       "--tls-versions", "1.3", "--ciphers", "TLS_AES_256_GCM_SHA384",
		       "--groups", "x25519", "--sigalgs", "ecdsa_secp384r1_sha384",
		       "--alpn", "http/1.1", "--sni-strict=no", "--export-keys=off",
		       "--session-cache", "4096", "--ticket-key-file", "/tmp/t.key",
		       "--ticket-lifetime", "60", "--ticket-rotation", "30",
		       "--max-conns", "50", "--max-half-open", "50", "--mbufs", "2048",
		       "--handshake-timeout", "250", "--idle-timeout", "1000",
		       "--app", "external", "--http-status", "404",
		       "--http-body", "gone\\r\\n", "--imb-arch", "all=avx512", NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_EQ(c.n_listen, 1);
	CHECK_EQ(c.listen[0], 9443);
	CHECK_EQ(c.ports[0].addr, 0x0a000005u);
	CHECK_EQ(c.ports[0].prefix_len, 16);
	CHECK_EQ(c.ports[0].gateway, 0x0a00fffeu);
	CHECK(!c.tls12 && c.tls13);
	CHECK_EQ(c.n_suites, 1);
	CHECK_EQ(c.suites[0], HS_TLS_AES_256_GCM_SHA384);
	CHECK_EQ(c.n_groups, 1);
	CHECK_EQ(c.groups[0], HS_GROUP_X25519);
	CHECK_EQ(c.n_sigalgs, 1);
	CHECK_EQ(c.sigalgs[0], HS_SIG_ECDSA_SECP384R1_SHA384);
	CHECK_EQ(c.alpn_len, 9);
	CHECK(!c.sni_strict && !c.export_keys);
	CHECK_EQ(c.session_cache, 4096);
	CHECK(strcmp(c.ticket_key_file, "/tmp/t.key") == 0);
	CHECK_EQ(c.ticket_lifetime, 60);
	CHECK_EQ(c.ticket_rotation, 30);
	CHECK_EQ(c.max_conns, 50);
	CHECK_EQ(c.max_half_open, 50);
	CHECK_EQ(c.mbufs, 2048);
	CHECK_EQ(c.handshake_timeout_ms, 250);
	CHECK_EQ(c.idle_timeout_ms, 1000);
	CHECK_EQ(c.app, HSOD_APP_EXTERNAL);
	CHECK_EQ(c.http_status, 404);
	CHECK(strcmp(c.http_body, "gone\r\n") == 0);
	for (int a = 0; a < HSO_IMB_ALG_NUM; a++)
		CHECK_EQ(c.imb.arch[a], IMB_ARCH_AVX512);
	/* Not overridden: still the file's. */
	CHECK_EQ(c.max_handshake_msg, 8192);
	CHECK(!c.psk_ke);
	CHECK_EQ(c.n_certs, 2);

	/* A boolean flag alone turns it on; --config may come last. */
	path = cfgfile_with("[tls]\nsni_strict = no\n");
	CHECK_EQ(parse(&c, "--sni-strict", "--export-keys", "--config", (char *)path, NULL), 0);
	CHECK(c.sni_strict && c.export_keys);

	/* The first --listen replaces the file's list, later ones add. */
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 80, 443\n"
		       "[cert a]\ncert = c\nkey = k\n");
	CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
	CHECK_EQ(c.n_listen, 2);
	CHECK_EQ(parse(&c, "--config", (char *)path, "--listen", "8080",
		       "--listen", "8443,9443", NULL), 0);
	CHECK_EQ(c.n_listen, 3);
	CHECK_EQ(c.listen[0], 8080);
	CHECK_EQ(c.listen[1], 8443);
	CHECK_EQ(c.listen[2], 9443);
	ERR_HAS(parse(&c, "--config", (char *)path, "--listen", "8080",
		      "--listen", "8080", NULL), "--listen", "8080", "twice");

	/* The key file's watch, and --check. */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--no-ticket-key-watch", "--check", NULL), 0);
	CHECK(!c.ticket_watch && c.check);
	path = cfgfile_with("[tickets]\nwatch = no\nwatch_delay_ms = 1000\n");
	CHECK_EQ(parse(&c, "--config", (char *)path, "--ticket-key-watch", NULL), 0);
	CHECK(c.ticket_watch);
	CHECK_EQ(c.ticket_watch_delay_ms, 1000);
	path = cfgfile_with("[tickets]\nwatch_delay_ms = 0\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[tickets]", "watch_delay_ms",
		"1..60000", "'0'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--check=yes", NULL), "--check");

	/* A flag given twice: the last wins. */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--http-status", "201", "--http-status", "202", NULL), 0);
	CHECK_EQ(c.http_status, 202);
}

static void
test_certs(void)
{
	struct hsod_config c;
	const char *path = cfgfile_with("");

	CHECK_EQ(parse(&c, "--config", (char *)path, "--cert", "a.pem", "--key", "a.key",
		       "--cert", "b.pem", "--key", "b.key", NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_EQ(c.n_certs, 3);
	CHECK(strcmp(c.certs[0].name, "main") == 0);
	CHECK(strcmp(c.certs[1].cert, "a.pem") == 0);
	CHECK(strcmp(c.certs[1].key, "a.key") == 0);
	CHECK(strcmp(c.certs[1].name, "--cert 1") == 0);
	CHECK(strcmp(c.certs[2].cert, "b.pem") == 0);
	CHECK(strcmp(c.certs[2].key, "b.key") == 0);
	CHECK(strcmp(c.certs[2].name, "--cert 2") == 0);

	/* Pairs only, in order. */
	ERR_HAS(parse(&c, "--addr", "198.18.0.2/24", "--listen", "443", "--cert", "a.pem",
		      NULL), "--cert", "no --key", "a.pem");
	ERR_HAS(parse(&c, "--addr", "198.18.0.2/24", "--listen", "443", "--key", "a.key",
		      NULL), "--key", "no --cert", "a.key");
	ERR_HAS(parse(&c, "--addr", "198.18.0.2/24", "--listen", "443", "--cert", "a.pem",
		      "--cert", "b.pem", "--key", "b.key", NULL), "--cert", "no --key", "a.pem");
	ERR_HAS(parse(&c, "--addr", "198.18.0.2/24", "--listen", "443", "--key", "a.key",
		      "--cert", "a.pem", NULL), "--key", "no --cert", "a.key");
	/* --ocsp belongs to the --cert/--key pair before it, once. */
	CHECK_EQ(parse(&c, "--config", (char *)path, "--cert", "a.pem", "--key", "a.key",
		       "--ocsp", "a.der", "--cert", "b.pem", "--key", "b.key", NULL), 0);
	CHECK(strcmp(c.certs[1].ocsp, "a.der") == 0 && c.certs[2].ocsp[0] == '\0' &&
	      c.certs[0].ocsp[0] == '\0');
	ERR_HAS(parse(&c, "--config", (char *)path, "--ocsp", "a.der", NULL), "--ocsp",
		"no --cert", "a.der");
	ERR_HAS(parse(&c, "--addr", "198.18.0.2/24", "--listen", "443", "--cert", "a.pem",
		      "--ocsp", "a.der", "--key", "a.key", NULL), "--ocsp", "no --cert", "a.der");
	ERR_HAS(parse(&c, "--addr", "198.18.0.2/24", "--listen", "443", "--cert", "a.pem",
		      "--key", "a.key", "--ocsp", "a.der", "--ocsp", "b.der", NULL), "--ocsp",
		"one already", "b.der");
	ERR_HAS(parse(&c, "--addr", "198.18.0.2/24", "--listen", "443", "--cert", "a.pem",
		      "--key", "a.key", "--ocsp", "", NULL), "--ocsp");
	/* A forgotten value is not a file named "--key". */
	ERR_HAS(parse(&c, "--addr", "198.18.0.2/24", "--listen", "443", "--cert",
		      "--key", "k", NULL), "--cert", "missing value");

	/* At most HSOD_MAX_CERTS. */
	{
		char *argv[4 + 4 * (HSOD_MAX_CERTS + 1)];
		int argc = 0;

		argv[argc++] = "--addr";
		argv[argc++] = "198.18.0.2/24";
		argv[argc++] = "--listen";
		argv[argc++] = "443";
		for (int i = 0; i <= HSOD_MAX_CERTS; i++) {
			argv[argc++] = "--cert";
			argv[argc++] = "c.pem";
			argv[argc++] = "--key";
			argv[argc++] = "k.pem";
		}
		CHECK_EQ(hsod_config_parse(&c, argc - 4, argv, err, sizeof(err)), 0);
		CHECK_EQ(c.n_certs, HSOD_MAX_CERTS);
		ERR_HAS(hsod_config_parse(&c, argc, argv, err, sizeof(err)), "--cert",
			"more than 16");
	}

	/* File sections. */
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n[cert web]\ncert = w.pem\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[cert web]", "key",
		"missing", "w.pem");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n[cert web]\nkey = w.key\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[cert web]", "cert",
		"missing");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n"
		       "[cert a]\ncert = a\nkey = a\ndefault = yes\n"
		       "[cert b]\ncert = b\nkey = b\ndefault = yes\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[cert b]", "default",
		"[cert a]", "'yes'");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n"
		       "[cert a]\ncert = a\nkey = a\nocsp =\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[cert a]", "ocsp");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n"
		       "[cert a]\ncert = a\nkey = a\ndefault = maybe\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[cert a]", "default",
		"boolean", "'maybe'");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n"
		       "[cert a]\ncert = a\nkey = a\nchain = x.pem\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[cert a]", "chain",
		"unknown key", "'x.pem'");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n"
		       "[cert]\ncert = a\nkey = a\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[cert]", "needs a name");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n"
		       "[cert a]\ncert = a\nkey = a\n[cert a]\ncert = b\nkey = b\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[cert a]", "duplicate section");

	/* No certificate at all. */
	ERR_HAS(parse(&c, "--addr", "198.18.0.2/24", "--listen", "443", NULL), "--cert",
		"no certificate");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[cert NAME]",
		"no certificate");
}

static void
test_numbers(void)
{
	static const char *const bad[] = {
		"12x", "-1", "+5", "0x10", "", "99999999999999999999999", "1 000", "0",
		"16777217", "4294967296",
	};
	struct hsod_config c;
	char body[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *path;

		snprintf(body, sizeof(body), "[limits]\nmax_conns = %s\n", bad[i]);
		path = cfgfile_with(body);
		snprintf(body, sizeof(body), "(got '%s')", bad[i]);
		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[limits]",
			"max_conns", body);
		ERR_HAS(parse(&c, MIN_FLAGS, "--max-conns", (char *)bad[i], NULL),
			"--max-conns", body);
	}
	/* The ends of a range are accepted. */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--max-conns", "16777216", "--http-status", "599",
		       NULL), 0);
	CHECK_EQ(c.max_conns, 16777216);
	/* Connections per worker: past what TCP, sessions and the rings index, named. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--max-conns", "16777217", NULL), "--max-conns",
		"1..16777216", "'16777217'");
	CHECK_EQ(HSOD_MAX_CONNS_MAX, 1u << 24);
	/* Handshakes at once: the engine's ceiling, and at most max_conns. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--max-handshakes", "65537", NULL), "--max-handshakes",
		"1..65536", "'65537'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--max-conns", "100", "--max-handshakes", "101", NULL),
		"--max-handshakes", "more than max_conns (100)", "'101'");
	CHECK_EQ(parse(&c, MIN_FLAGS, "--max-conns", "100", NULL), 0);
	CHECK_EQ(c.max_handshakes, 100);        /* the default follows max_conns down */
	ERR_HAS(parse(&c, MIN_FLAGS, "--http-status", "600", NULL), "--http-status",
		"100..599", "'600'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--http-status", "99", NULL), "--http-status", "'99'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--ticket-lifetime", "604801", NULL),
		"--ticket-lifetime", "'604801'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--mbufs", "1023", NULL), "--mbufs", "'1023'");
	ERR_HAS(parse(&c, "--config", (char *)cfgfile_with("[tls]\nmax_handshake_msg = 16777216\n"),
		      NULL), "[tls]", "max_handshake_msg", "'16777216'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--max-handshake-msg", "511", NULL),
		"--max-handshake-msg", "'511'");
	CHECK_EQ(parse(&c, MIN_FLAGS, "--max-handshake-msg", "65536", "--large-msg-bufs", "4",
		       NULL), 0);
	CHECK(c.max_handshake_msg == 65536 && c.large_msg_bufs == 4);
	/* Cross-key: the large-message pool a worker would allocate, before EAL. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--max-handshake-msg", "16777215", "--large-msg-bufs", "65",
		      NULL), "--large-msg-bufs", "max_handshake_msg", "1024 MiB");
	CHECK_EQ(parse(&c, MIN_FLAGS, "--max-handshake-msg", "16777215", "--large-msg-bufs", "63",
		       NULL), 0);
	/* ... no pool at all when messages fit the connection's own area. */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--max-handshake-msg", "16384", "--large-msg-bufs",
		       "65536", NULL), 0);
	/* Cross-key: max_half_open <= max_conns. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--max-conns", "10", "--max-half-open", "11", NULL),
		"--max-half-open", "max_conns", "'11'");
	{
		const char *path = cfgfile_with("[limits]\nmax_conns = 10\nmax_half_open = 11\n");

		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[limits]",
			"max_half_open", "'11'");
	}
	/* Bad booleans and enums. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--sni-strict=maybe", NULL), "--sni-strict", "'maybe'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--app", "proxy", NULL), "--app", "'proxy'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--imb-arch", "all=avx9", NULL), "--imb-arch",
		"'all=avx9'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--http-body", "a\\qb", NULL), "--http-body",
		"escape", "'a\\qb'");
	{
		const char *path = cfgfile_with("[app]\ntype = ftp\n");

		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[app]", "type",
			"'ftp'");
		path = cfgfile_with("[crypto]\nimb_arch = sha1=sse\n");
		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[crypto]",
			"imb_arch", "'sha1=sse'");
	}
}

/* [net] neigh_*: defaults, flags, the file, ranges and the checks across keys. */
static void
test_neigh_keys(void)
{
	struct hsod_config c;
	const char *path;

	hsod_config_defaults(&c);
	CHECK_EQ(c.neigh_entries, HSOD_NEIGH_ENTRIES_DEFAULT);
	CHECK_EQ(c.neigh_queue, HSOD_NEIGH_QUEUE_DEFAULT);
	CHECK_EQ(c.neigh_queue_total, HSOD_NEIGH_QUEUE_TOTAL_DEFAULT);
	CHECK_EQ(c.neigh_reachable_ms, HSOD_NEIGH_REACHABLE_MS_DEFAULT);
	CHECK_EQ(c.neigh_stale_ms, HSOD_NEIGH_STALE_MS_DEFAULT);
	CHECK_EQ(parse(&c, MIN_FLAGS, "--neigh-entries", "8", "--neigh-queue", "3",
		       "--neigh-queue-total", "100", "--neigh-reachable", "1000",
		       "--neigh-stale", "86400000", NULL), 0);
	CHECK(c.neigh_entries == 8 && c.neigh_queue == 3 && c.neigh_queue_total == 100 &&
	      c.neigh_reachable_ms == 1000 && c.neigh_stale_ms == 86400000);
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\nneigh_entries = 4096\n"
		       "neigh_queue = 32\nneigh_queue_total = 2048\nneigh_reachable_ms = 15000\n"
		       "neigh_stale_ms = 120000\n[cert main]\ncert = c.pem\nkey = k.pem\n");
	CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
	CHECK(c.neigh_entries == 4096 && c.neigh_queue == 32 && c.neigh_queue_total == 2048 &&
	      c.neigh_reachable_ms == 15000 && c.neigh_stale_ms == 120000);
	/* A flag overrides the file. */
	CHECK_EQ(parse(&c, "--config", (char *)path, "--neigh-queue", "5", NULL), 0);
	CHECK_EQ(c.neigh_queue, 5);
	/* Out of range, each named. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--neigh-entries", "7", NULL), "--neigh-entries", "'7'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--neigh-entries", "4194305", NULL), "--neigh-entries",
		"'4194305'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--neigh-queue", "0", NULL), "--neigh-queue", "'0'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--neigh-reachable", "999", NULL), "--neigh-reachable",
		"'999'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--neigh-stale", "86400001", NULL), "--neigh-stale",
		"'86400001'");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\nneigh_queue_total = 0\n"
		       "[cert main]\ncert = c.pem\nkey = k.pem\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[net]", "neigh_queue_total",
		"'0'");
	/* Across keys: per neighbour within the total, the total within half the pool. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--neigh-queue", "64", "--neigh-queue-total", "32", NULL),
		"--neigh-queue", "neigh_queue_total (32)", "'64'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--mbufs", "4096", "--neigh-queue-total", "2049", NULL),
		"--neigh-queue-total", "mbufs (4096)", "'2049'");
	CHECK_EQ(parse(&c, MIN_FLAGS, "--mbufs", "4096", "--neigh-queue-total", "2048", NULL), 0);
}

/* [limits] source_rate, source_burst, source_table (limit.h). */
static void
test_source_keys(void)
{
	struct hsod_config c;
	const char *path;

	hsod_config_defaults(&c);
	CHECK_EQ(c.source_rate, 0);     /* off unless asked for */
	CHECK_EQ(c.source_burst, HSOD_SOURCE_BURST_DEFAULT);
	CHECK_EQ(c.source_table, HSOD_SOURCE_TABLE_DEFAULT);
	CHECK_EQ(parse(&c, MIN_FLAGS, "--source-rate", "50", "--source-burst", "5",
		       "--source-table", "16", NULL), 0);
	CHECK(c.source_rate == 50 && c.source_burst == 5 && c.source_table == 16);
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n[limits]\n"
		       "source_rate = 1000\nsource_burst = 100\nsource_table = 65536\n"
		       "[cert main]\ncert = c.pem\nkey = k.pem\n");
	CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
	CHECK(c.source_rate == 1000 && c.source_burst == 100 && c.source_table == 65536);
	ERR_HAS(parse(&c, MIN_FLAGS, "--source-burst", "0", NULL), "--source-burst", "'0'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--source-table", "15", NULL), "--source-table", "'15'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--source-rate", "16777217", NULL), "--source-rate",
		"'16777217'");
	/* IPv6 sources: per /64 unless told, 16..128. */
	CHECK_EQ(c.source_prefix6, HSOD_SOURCE_PREFIX6_DEFAULT);
	CHECK_EQ(parse(&c, MIN_FLAGS, "--source-prefix6", "128", NULL), 0);
	CHECK_EQ(c.source_prefix6, 128);
	ERR_HAS(parse(&c, MIN_FLAGS, "--source-prefix6", "15", NULL), "--source-prefix6", "'15'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--source-prefix6", "129", NULL), "--source-prefix6", "'129'");
	/* [app] pool_reserve: 0 (a quarter of the pool) up to half of mbufs. */
	CHECK_EQ(c.app_pool_reserve, 0);
	CHECK_EQ(parse(&c, MIN_FLAGS, "--mbufs", "4096", "--app-pool-reserve", "2048", NULL), 0);
	CHECK_EQ(c.app_pool_reserve, 2048);
	ERR_HAS(parse(&c, MIN_FLAGS, "--mbufs", "4096", "--app-pool-reserve", "2049", NULL),
		"--app-pool-reserve", "half of mbufs (4096)", "'2049'");
	/* [limits] send_buffer, tcp_bufs, zero_window_timeout_ms (tcp.h). */
	CHECK_EQ(c.send_buffer, HSOD_SEND_BUFFER_DEFAULT);
	CHECK_EQ(c.tcp_bufs, 0);
	CHECK_EQ(c.zero_window_timeout_ms, HSOD_ZERO_WINDOW_TIMEOUT_MS_DEFAULT);
	CHECK_EQ(parse(&c, MIN_FLAGS, "--mbufs", "4096", "--tcp-bufs", "3072",
		       "--send-buffer", "32768", "--zero-window-timeout", "0", NULL), 0);
	CHECK(c.tcp_bufs == 3072 && c.send_buffer == 32768 && c.zero_window_timeout_ms == 0);
	ERR_HAS(parse(&c, MIN_FLAGS, "--mbufs", "4096", "--tcp-bufs", "3073", NULL),
		"--tcp-bufs", "the pool (mbufs x 1 port: 4096) minus [app] pool_reserve (1024)",
		"'3073'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--mbufs", "4096", "--app-pool-reserve", "2048",
		      "--tcp-bufs", "2049", NULL), "--tcp-bufs", "pool_reserve (2048)");
	ERR_HAS(parse(&c, MIN_FLAGS, "--send-buffer", "32767", NULL), "--send-buffer", "'32767'");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n[limits]\n"
		       "zero_window_timeout_ms = 86400001\n[cert main]\ncert = c.pem\nkey = k.pem\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[limits]",
		"zero_window_timeout_ms", "'86400001'");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\n[limits]\n"
		       "source_table = 4194305\n[cert main]\ncert = c.pem\nkey = k.pem\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[limits]", "source_table",
		"'4194305'");
}

static void
test_net(void)
{
	static const struct {
		const char *addr;
		const char *why;
	} bad_addr[] = {
		{ "198.18.0.300/24", "IPv4" },
		{ "198.18.0.2", "prefix length" },
		{ "198.18.0.2/33", "prefix length" },
		{ "198.18.0.2/0", "prefix length" },
		{ "198.18.0.2/", "prefix length" },
		{ "198.18.0.2/24x", "prefix length" },
		{ "198.18.0.0/24", "network" },
		{ "198.18.0.255/24", "broadcast" },
		{ "224.0.0.1/24", "unicast" },
		{ "127.0.0.1/8", "unicast" },
		{ "198.18.0/24", "IPv4" },
		{ "hso.example/24", "IPv4" },
	};
	struct hsod_config c;
	char body[256], got[128];

	for (size_t i = 0; i < sizeof(bad_addr) / sizeof(bad_addr[0]); i++) {
		const char *path;

		snprintf(body, sizeof(body), "[net]\naddr = %s\nlisten = 443\n"
			 "[cert a]\ncert = c\nkey = k\n", bad_addr[i].addr);
		path = cfgfile(body);
		snprintf(got, sizeof(got), "(got '%s')", bad_addr[i].addr);
		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[net]", "addr",
			bad_addr[i].why, got);
		ERR_HAS(parse(&c, "--addr", (char *)bad_addr[i].addr, "--listen", "443",
			      "--cert", "c", "--key", "k", NULL), "--addr", got);
	}
	/* /31 and /32 have no network or broadcast address (RFC 3021). */
	CHECK_EQ(parse(&c, "--addr", "10.0.0.0/31", "--listen", "1", "--cert", "c",
		       "--key", "k", NULL), 0);
	CHECK_EQ(parse(&c, "--addr", "10.0.0.7/32", "--listen", "1", "--cert", "c",
		       "--key", "k", NULL), 0);

	/* No address. */
	ERR_HAS(parse(&c, "--listen", "443", "--cert", "c", "--key", "k", NULL), "--addr",
		"missing");
	{
		const char *path = cfgfile("[net]\nlisten = 443\n[cert a]\ncert = c\nkey = k\n");

		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[net]", "addr",
			"missing");
	}

	/* Ports. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--listen", "0", NULL), "--listen", "'0'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--listen", "65536", NULL), "--listen", "'65536'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--listen", "http", NULL), "--listen", "'http'");
	{
		const char *path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443, 0\n"
					   "[cert a]\ncert = c\nkey = k\n");

		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[net]", "listen",
			"'443, 0'");
		path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 65536\n"
			       "[cert a]\ncert = c\nkey = k\n");
		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[net]", "listen",
			"'65536'");
		/* No listen port. */
		path = cfgfile("[net]\naddr = 198.18.0.2/24\n[cert a]\ncert = c\nkey = k\n");
		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[net]", "listen",
			"missing");
	}
	ERR_HAS(parse(&c, "--addr", "198.18.0.2/24", "--cert", "c", "--key", "k", NULL),
		"--listen", "missing");

	/* Gateway. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--gateway", "198.18.1.1", NULL), "--gateway",
		"subnet", "198.18.0.2/24", "'198.18.1.1'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--gateway", "198.18.0.2", NULL), "--gateway",
		"own address", "'198.18.0.2'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--gateway", "198.18.0.256", NULL), "--gateway",
		"'198.18.0.256'");
	{
		const char *path = cfgfile("[net]\naddr = 198.18.0.2/24\ngateway = 10.0.0.1\n"
					   "listen = 443\n[cert a]\ncert = c\nkey = k\n");

		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[net]", "gateway",
			"subnet", "'10.0.0.1'");
		/* The flag moves the subnet so the file's gateway is outside it. */
		path = cfgfile("[net]\naddr = 10.0.0.2/24\ngateway = 10.0.0.1\n"
			       "listen = 443\n[cert a]\ncert = c\nkey = k\n");
		CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
		ERR_HAS(parse(&c, "--config", (char *)path, "--addr", "10.0.1.2/24", NULL),
			path, "[net]", "gateway", "10.0.1.2/24", "'10.0.0.1'");
	}
}

/* Several ports: [port N] sections, --addr N:..., and the checks across them. */
static void
test_ports(void)
{
	struct hsod_config c;
	const char *path;

	/* Flags: port 0 plain, port N with "N:". */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--gateway", "198.18.0.1", "--addr", "1:198.18.1.2/24",
		       "--gateway", "1:198.18.1.254", "--addr=2:10.9.0.1/30", NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_EQ(c.n_ports, 3);
	CHECK_EQ(c.ports[0].addr, 0xc6120002u);
	CHECK_EQ(c.ports[0].gateway, 0xc6120001u);
	CHECK_EQ(c.ports[1].addr, 0xc6120102u);
	CHECK_EQ(c.ports[1].prefix_len, 24);
	CHECK_EQ(c.ports[1].gateway, 0xc61201feu);
	CHECK_EQ(c.ports[2].addr, 0x0a090001u);
	CHECK_EQ(c.ports[2].prefix_len, 30);
	CHECK_EQ(c.ports[2].gateway, 0);
	/* "0:" is port 0; the same port twice: the last wins. */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--addr", "0:198.18.5.2/24", "--addr", "1:198.18.1.2/24",
		       "--addr", "1:198.18.3.2/24", NULL), 0);
	CHECK_EQ(c.n_ports, 2);
	CHECK_EQ(c.ports[0].addr, 0xc6120502u);
	CHECK_EQ(c.ports[1].addr, 0xc6120302u);
	/* Every port there is. */
	{
		char *argv[8 + 2 * HSOD_MAX_PORTS] = { MIN_FLAGS };
		char vals[HSOD_MAX_PORTS][32];
		int argc = 8;

		for (int p = 1; p < HSOD_MAX_PORTS; p++) {
			snprintf(vals[p], sizeof(vals[p]), "%d:198.18.%d.2/24", p, p);
			argv[argc++] = "--addr";
			argv[argc++] = vals[p];
		}
		CHECK_EQ(hsod_config_parse(&c, argc, argv, err, sizeof(err)), 0);
		CHECK_EQ(c.n_ports, HSOD_MAX_PORTS);
		CHECK_EQ(c.ports[HSOD_MAX_PORTS - 1].addr, 0xc6120002u | (HSOD_MAX_PORTS - 1) << 8);
	}

	/* Bad port numbers. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr", "8:198.18.8.2/24", NULL), "--addr", "0..7",
		"'8:198.18.8.2/24'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--gateway", "x:198.18.0.1", NULL), "--gateway",
		"port 'x'", "'x:198.18.0.1'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr", ":198.18.1.2/24", NULL), "--addr",
		"':198.18.1.2/24'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr", "1:198.18.1.300/24", NULL), "--addr", "IPv4",
		"'1:198.18.1.300/24'");

	/* A port named without an address, or a gap. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--gateway", "1:198.18.1.1", NULL), "--addr", "port 1",
		"missing", "--addr 1:");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr", "2:198.18.2.2/24", NULL), "--addr", "port 1",
		"missing", "ports 0..2");
	/* Port 0 is needed even when others are given. */
	ERR_HAS(parse(&c, "--addr", "1:198.18.1.2/24", "--listen", "443", "--cert", "c",
		      "--key", "k", NULL), "--addr", "missing", "IPv4 address");

	/* Overlapping subnets, either way round, whatever the prefixes. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr", "1:198.18.0.3/24", NULL), "--addr (port 1)",
		"overlaps port 0's 198.18.0.2/24 (--addr)", "'198.18.0.3/24'");
	ERR_HAS(parse(&c, "--addr", "198.18.1.2/24", "--addr", "1:198.18.0.2/16", "--listen",
		      "443", "--cert", "c", "--key", "k", NULL), "--addr (port 1)",
		"198.18.0.2/16 overlaps port 0's 198.18.1.2/24", "each port needs a subnet");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr", "1:198.18.1.2/24", "--addr", "2:198.18.1.9/30",
		      NULL), "--addr (port 2)", "overlaps port 1's 198.18.1.2/24 (--addr (port 1))");
	/* Adjacent subnets do not overlap. */
	CHECK_EQ(parse(&c, "--addr", "198.18.0.1/31", "--addr", "1:198.18.0.2/31", "--listen",
		       "443", "--cert", "c", "--key", "k", NULL), 0);

	/* Each gateway inside its own port's subnet. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr", "1:198.18.1.2/24", "--gateway", "1:198.18.0.1",
		      NULL), "--gateway (port 1)", "outside port 1's subnet 198.18.1.2/24",
		"'198.18.0.1'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr", "1:198.18.1.2/24", "--gateway", "1:198.18.1.2",
		      NULL), "--gateway (port 1)", "own address", "'198.18.1.2'");

	/* The file: [net] is port 0, [port N] the others. */
	path = cfgfile_with("[port 1]\naddr = 198.18.1.2/24\ngateway = 198.18.1.1\n"
			    "[port 2]\naddr = 198.18.2.2/24\n");
	CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_EQ(c.n_ports, 3);
	CHECK_EQ(c.ports[0].addr, 0xc6120002u);
	CHECK_EQ(c.ports[1].addr, 0xc6120102u);
	CHECK_EQ(c.ports[1].gateway, 0xc6120101u);
	CHECK_EQ(c.ports[2].addr, 0xc6120202u);
	/* A flag overrides the file's value for its port only. */
	CHECK_EQ(parse(&c, "--config", (char *)path, "--addr", "2:198.18.7.2/24", NULL), 0);
	CHECK_EQ(c.ports[2].addr, 0xc6120702u);
	CHECK_EQ(c.ports[1].addr, 0xc6120102u);
	CHECK_EQ(c.ports[0].addr, 0xc6120002u);
	/* ... and the file's values are checked against the flag's. */
	ERR_HAS(parse(&c, "--config", (char *)path, "--addr", "2:198.18.1.7/24", NULL),
		"--addr (port 2)", "overlaps port 1's 198.18.1.2/24", "[port 1] addr",
		"'198.18.1.7/24'");
	/* [port 0] instead of [net] addr. */
	path = cfgfile("[net]\nlisten = 443\n[port 0]\naddr = 198.18.0.2/24\n"
		       "[port 1]\naddr = 198.18.1.2/24\n[cert a]\ncert = c\nkey = k\n");
	CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
	CHECK_EQ(c.n_ports, 2);
	CHECK_EQ(c.ports[0].addr, 0xc6120002u);
	/* ... but not both. */
	path = cfgfile_with("[port 0]\naddr = 198.18.0.2/24\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port 0] addr",
		"port 0's addr is set in [net] already", "'198.18.0.2/24'");
	path = cfgfile_with("[port 1]\naddr = 198.18.1.2/24\n[port 01]\naddr = 198.18.2.2/24\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port 01] addr",
		"port 1's addr is set in [port 1] already");
	path = cfgfile_with("[port 1]\naddr = 198.18.1.2/24\n[port 1]\ngateway = 198.18.1.1\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port 1]", "duplicate section");
	/* File errors name the section and key. */
	path = cfgfile_with("[port 1]\naddr = 198.18.0.9/16\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port 1] addr",
		"overlaps port 0's 198.18.0.2/24 ([net] addr)", "'198.18.0.9/16'");
	path = cfgfile_with("[port 1]\naddr = 198.18.1.2/24\ngateway = 198.18.2.1\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port 1] gateway",
		"outside port 1's subnet", "'198.18.2.1'");
	path = cfgfile_with("[port 1]\ngateway = 198.18.1.1\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port 1] addr", "missing",
		"port 1");
	path = cfgfile_with("[port 1]\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port 1] addr", "missing");
	path = cfgfile_with("[port 2]\naddr = 198.18.2.2/24\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port 1] addr", "missing",
		"ports 0..2");
	path = cfgfile_with("[port 1]\naddr = 198.18.1.2/24\nmac = 02:00:00:00:00:01\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port 1]", "mac",
		"unknown key", "addr, gateway");
	path = cfgfile_with("[port 1]\naddr = 198.18.1.2\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port 1] addr",
		"prefix length", "'198.18.1.2'");
	path = cfgfile_with("[port 8]\naddr = 198.18.8.2/24\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port 8]", "0..7");
	path = cfgfile_with("[port]\naddr = 198.18.8.2/24\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port]", "[port N]");
	path = cfgfile_with("[port N]\naddr = 198.18.8.2/24\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[port N]", "0..7");
	path = cfgfile_with("[ports 1]\naddr = 198.18.8.2/24\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[ports 1]",
		"unknown section", "[port N]");
}

/* IPv6 per port: flags (N:[ADDR]), files, and the checks before EAL. */
static void
test_ipv6(void)
{
	static const uint8_t a0[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	static const uint8_t a1[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 2 };
	static const uint8_t ll1[16] = { 0xfe, 0x80, [15] = 1 };
	static const uint8_t unset[16];
	struct hsod_config c;
	const char *path;

	CHECK_EQ(parse(&c, MIN_FLAGS, NULL), 0);
	CHECK_MEM(c.ports[0].addr6, unset, 16);
	CHECK_EQ(c.ip6_ext_max, HSOD_IP6_EXT_MAX_DEFAULT);
	/* A bare address is port 0's; N:[ADDR] port N's; [ADDR] port 0's too. */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--addr6", "2001:db8::2/64", "--gateway6", "fe80::1",
		       "--addr", "1:198.18.1.2/24", "--addr6", "1:[2001:db8:0:1::2]/64",
		       "--gateway6", "1:[2001:db8:0:1::1]", "--ip6-ext-max", "3", NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_EQ(c.n_ports, 2);
	CHECK_MEM(c.ports[0].addr6, a0, 16);
	CHECK_EQ(c.ports[0].prefix6_len, 64);
	CHECK_MEM(c.ports[0].gateway6, ll1, 16);
	CHECK_MEM(c.ports[1].addr6, a1, 16);
	CHECK_EQ(c.ports[1].gateway6[15], 1);
	CHECK_EQ(c.ip6_ext_max, 3);
	CHECK_EQ(parse(&c, MIN_FLAGS, "--addr6", "[2001:db8::2]/64", NULL), 0);
	CHECK_MEM(c.ports[0].addr6, a0, 16);
	/* The file: [net] for port 0, [port N]. */
	path = cfgfile("[net]\naddr = 198.18.0.2/24\naddr6 = 2001:db8::2/64\nlisten = 443\n"
		       "[port 1]\naddr = 198.18.1.2/24\naddr6 = 2001:db8:0:1::2/64\n"
		       "gateway6 = fe80::1\n[cert main]\ncert = c.pem\nkey = k.pem\n");
	CHECK_EQ(parse(&c, "--config", path, NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_MEM(c.ports[0].addr6, a0, 16);
	CHECK_MEM(c.ports[1].addr6, a1, 16);
	CHECK_MEM(c.ports[1].gateway6, ll1, 16);

	/* Values refused, naming the flag or key and the value. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "2001:db8::2", NULL), "--addr6", "prefix length",
		"'2001:db8::2'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "2001:db8::2/129", NULL), "--addr6", "1..128");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "2001:db8::g/64", NULL), "--addr6",
		"not an IPv6 address");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "ff02::1/64", NULL), "--addr6", "multicast");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "::1/128", NULL), "--addr6", "::/8");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "fe80::2/64", NULL), "--addr6", "link-local");
	/* A port prefix without brackets would read as an address in ::/8. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "1:2001:db8::2/64", NULL), "--addr6",
		"N:[ADDR]");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "9:[2001:db8::2]/64", NULL), "--addr6", "0..7");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "[2001:db8::2/64", NULL), "--addr6",
		"not an IPv6 address");
	ERR_HAS(parse(&c, MIN_FLAGS, "--ip6-ext-max", "33", NULL), "--ip6-ext-max", "33");
	/* Checks across keys. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--gateway6", "fe80::1", NULL), "--gateway6", "addr6");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "2001:db8::2/64", "--gateway6", "2001:db8:1::1",
		      NULL), "--gateway6", "on-link", "'2001:db8:1::1'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "2001:db8::2/64", "--gateway6", "2001:db8::2",
		      NULL), "--gateway6", "own address");
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "2001:db8::2/64", "--addr", "1:198.18.1.2/24",
		      "--addr6", "1:[2001:db8::3]/64", NULL), "--addr6", "overlaps port 0");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\naddr6 = 2001:db8::2/64\nlisten = 443\n"
		       "gateway6 = 2001:db9::1\n[cert main]\ncert = c.pem\nkey = k.pem\n");
	ERR_HAS(parse(&c, "--config", path, NULL), path, "gateway6", "on-link");
	/* An address 6 alone does not make a port: port 1 still needs its IPv4 one. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--addr6", "1:[2001:db8:1::2]/64", NULL), "addr",
		"port 1 needs its IPv4 address");
}

static void
test_file_structure(void)
{
	struct hsod_config c;
	const char *path;

	/* Unknown section and key. */
	path = cfgfile_with("[netwrok]\nmtu = 1500\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[netwrok]",
		"unknown section");
	path = cfgfile_with("[limits]\nmax_con = 10\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[limits]", "max_con",
		"unknown key", "max_conns", "'10'");
	/* A key from another section is unknown here. */
	path = cfgfile_with("[tls]\nmax_conns = 10\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[tls]", "max_conns",
		"unknown key");

	/* Duplicate key and section. */
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 443\nlisten = 8443\n"
		       "[cert a]\ncert = c\nkey = k\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[net]", "listen",
		"duplicate key", "'8443'", "'443'");
	path = cfgfile_with("[limits]\nmax_conns = 10\n[limits]\nidle_timeout_ms = 5\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[limits]",
		"duplicate section");

	/* Lines rte_cfgfile would skip or cut are errors with a line number. */
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten 443\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, ":3:", "listen 443");
	path = cfgfile("listen = 443\n[net]\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, ":1:", "listen",
		"before any [section]");
	path = cfgfile("[net] # ok\n[tls] extra\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, ":2:", "[tls] extra");
	path = cfgfile("[net\naddr = 1.2.3.4/8\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, ":1:", "[net");
	path = cfgfile("[net]\n = 443\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, ":2:", "empty key");
	{
		char big[600];

		memset(big, 'a', sizeof(big));
		memcpy(big, "[app]\nhttp_body = ", 18);
		big[18 + 256] = '\n';
		big[18 + 257] = '\0';
		path = cfgfile(big);
		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, ":2:", "[app]",
			"http_body", "longer than 255");
		big[18 + 255] = '\n';
		big[18 + 256] = '\0';
		path = cfgfile_with(big);
		CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
		CHECK_EQ(c.http_body_len, 255);
		memset(big, 'a', sizeof(big));
		memcpy(big, "[app]\nhttp_body = ", 18);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		path = cfgfile(big);
		ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, ":2:",
			"line longer");
	}
	/* Comments and blank lines are fine; an unterminated last line too. */
	/* ';' is not a comment here: a line of text is an error, not skipped. */
	path = cfgfile("# top\n\n   ; a note\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, ":3:");
	path = cfgfile("# top\n\n[net]   # net\n  addr=198.18.0.2/24\nlisten=443#x\n"
		       "[cert a]\ncert = c\nkey = k");
	CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_EQ(c.listen[0], 443);
	CHECK(strcmp(c.certs[0].key, "k") == 0);

	/* The file itself. */
	{
		char missing[PATH_MAX];

		snprintf(missing, sizeof(missing), "%s/nope.ini", dir);
		ERR_HAS(parse(&c, "--config", missing, NULL), missing, "No such file");
	}
	ERR_HAS(parse(&c, "--config", (char *)path, "--config", (char *)path, NULL),
		"--config", "twice");
	ERR_HAS(parse(&c, "--config", NULL), "--config", "missing value");

	/* Flags: unknown, positional, missing value. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--lisen", "80", NULL), "--lisen", "unknown option");
	ERR_HAS(parse(&c, MIN_FLAGS, "443", NULL), "'443'", "unexpected argument");
	ERR_HAS(parse(&c, MIN_FLAGS, "--max-conns", NULL), "--max-conns", "missing value");
	ERR_HAS(parse(&c, MIN_FLAGS, "--mbufs", "--listen", "80", NULL), "--mbufs",
		"missing value");
	/* File-only keys are not flags. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--psk-ke", NULL), "--psk-ke", "unknown option");

	/* --help wins over anything else, even errors. */
	CHECK_EQ(parse(&c, "--lisen", "--help", NULL), 0);
	CHECK(c.help);
	CHECK_EQ(parse(&c, "-h", NULL), 0);
	CHECK(c.help);
	/* ... unless it is a value: an HTTP body may say "--help". */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--http-body=--help", NULL), 0);
	CHECK(!c.help);
	CHECK(strcmp(c.http_body, "--help") == 0);
}

static void
test_lists(void)
{
	struct hsod_config c;
	const char *path;

	/* Spaces around items are ignored, case of names too. */
	path = cfgfile_with("[tls]\nciphers =  tls_aes_256_gcm_sha384 ,TLS_AES_128_GCM_SHA256 ,\t"
			    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256  \n"
			    "groups =X25519\nversions = TLSv1.2 , 1.3\n");
	CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK_EQ(c.n_suites, 3);
	CHECK_EQ(c.suites[0], HS_TLS_AES_256_GCM_SHA384);
	CHECK_EQ(c.suites[1], HS_TLS_AES_128_GCM_SHA256);
	CHECK_EQ(c.suites[2], HS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
	CHECK_EQ(c.n_groups, 1);

	/* Empty items are errors (a typo must not pass); an empty alpn is none. */
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 80,,443\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[net]", "listen",
		"empty item", "'80,,443'");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten = 80, 443,\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[net]", "listen",
		"empty item", "'80, 443,'");
	path = cfgfile("[net]\naddr = 198.18.0.2/24\nlisten =\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[net]", "listen",
		"no port", "''");
	path = cfgfile_with("[tls]\nalpn = h2,,http/1.1\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[tls]", "alpn",
		"empty item", "'h2,,http/1.1'");
	path = cfgfile_with("[tls]\nalpn =\n");
	CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
	CHECK_EQ(c.alpn_len, 0);
	path = cfgfile_with("[tls]\nciphers = TLS_AES_128_GCM_SHA256, ,"
			    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[tls]", "ciphers",
		"empty item");
	path = cfgfile_with("[tls]\nversions =\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[tls]", "versions",
		"no version", "''");

	/* ALPN names are 1..255 bytes and the list fits the policy. */
	{
		char name[300];

		memset(name, 'p', 256);
		name[256] = '\0';
		ERR_HAS(parse(&c, MIN_FLAGS, "--alpn", name, NULL), "--alpn", "255 bytes");
		name[255] = '\0';
		CHECK_EQ(parse(&c, MIN_FLAGS, "--alpn", name, NULL), 0);
		CHECK_EQ(c.alpn_len, 256);
		CHECK_EQ(c.alpn[0], 255);
		memcpy(name + 255, ",h2", 4);
		ERR_HAS(parse(&c, MIN_FLAGS, "--alpn", name, NULL), "--alpn", "256 bytes");
	}
	ERR_HAS(parse(&c, MIN_FLAGS, "--alpn", "h2,h2", NULL), "--alpn", "twice");

	/* Names: unknown, known but not implemented, duplicates. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--ciphers", "TLS_AES_128_GCM_SHA256,FOO", NULL),
		"--ciphers", "unknown cipher suite 'FOO'", "'TLS_AES_128_GCM_SHA256,FOO'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256", NULL),
		"--ciphers", "IANA");
	ERR_HAS(parse(&c, MIN_FLAGS, "--ciphers", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", NULL),
		"--ciphers", "not implemented", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
	ERR_HAS(parse(&c, MIN_FLAGS, "--ciphers",
		      "TLS_AES_128_GCM_SHA256,tls_aes_128_gcm_sha256", NULL),
		"--ciphers", "twice");
	path = cfgfile_with("[tls]\nciphers = TLS_AES_128_CCM_SHA256\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[tls]", "ciphers",
		"not implemented", "'TLS_AES_128_CCM_SHA256'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--groups", "secp384r1", NULL), "--groups",
		"not implemented", "'secp384r1'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--groups", "x25519,curve9", NULL), "--groups",
		"unknown group 'curve9'");
	CHECK_EQ(parse(&c, MIN_FLAGS, "--groups", "prime256v1", NULL), 0);
	CHECK_EQ(c.groups[0], HS_GROUP_SECP256R1);
	path = cfgfile_with("[tls]\nsigalgs = rsa_pss_rsae_sha256, ed25519\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[tls]", "sigalgs",
		"not implemented", "'rsa_pss_rsae_sha256, ed25519'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--sigalgs", "rsa_pss_sha256", NULL), "--sigalgs",
		"unknown signature scheme");
	ERR_HAS(parse(&c, MIN_FLAGS, "--tls-versions", "1.1,1.2", NULL), "--tls-versions",
		"only TLS 1.2 and 1.3", "'1.1,1.2'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--tls-versions", "1.4", NULL), "--tls-versions",
		"unknown version");
	ERR_HAS(parse(&c, MIN_FLAGS, "--tls-versions", "1.3,1.3", NULL), "--tls-versions",
		"twice");
}

/* Every suite the engine implements is reachable by its IANA name. */
static void
test_suite_names(void)
{
	struct hs_nego_policy p;
	struct hsod_config c;

	hs_nego_policy_default(&p);
	for (unsigned i = 0; i < p.n_suites; i++) {
		const struct hs_suite_info *si = hs_suite_find(p.suites[i]);
		char *ver = si->version == HS_TLS12 ? "1.2" : "1.3";

		CHECK_EQ(parse(&c, MIN_FLAGS, "--tls-versions", ver, "--ciphers",
			       (char *)si->name, NULL), 0);
		CHECK_MSG(c.n_suites == 1 && c.suites[0] == si->id, "%s", si->name);
		/* With only the other version, nothing is left. */
		ERR_HAS(parse(&c, MIN_FLAGS, "--tls-versions",
			      si->version == HS_TLS12 ? "1.3" : "1.2", "--ciphers",
			      (char *)si->name, NULL), "--ciphers", si->name,
			si->version == HS_TLS12 ? "no TLS 1.3" : "no TLS 1.2");
	}
}

static void
test_versions_filter(void)
{
	struct hsod_config c;
	const char *path;

	/* TLS 1.3 only with only TLS 1.2 suites: the file's ciphers is blamed. */
	path = cfgfile_with("[tls]\nversions = 1.3\n"
			    "ciphers = TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[tls]", "ciphers",
		"no TLS 1.3 cipher suite", "'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'");
	/* Both versions but only 1.3 suites: 1.2 would refuse every client. */
	ERR_HAS(parse(&c, MIN_FLAGS, "--ciphers", "TLS_AES_128_GCM_SHA256", NULL),
		"--ciphers", "no TLS 1.2 cipher suite", "'TLS_AES_128_GCM_SHA256'");
	/* The file's ciphers, the flag's versions: blame the ciphers' origin. */
	path = cfgfile_with("[tls]\nciphers = TLS_AES_128_GCM_SHA256\n");
	ERR_HAS(parse(&c, "--config", (char *)path, "--tls-versions", "1.2", NULL), path,
		"[tls]", "ciphers", "no TLS 1.2", "'TLS_AES_128_GCM_SHA256'");
	CHECK_EQ(parse(&c, "--config", (char *)path, "--tls-versions", "1.3", NULL), 0);
	/* Versions only: the default list is filtered, nothing to complain of. */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--tls-versions", "1.2", NULL), 0);
	CHECK_EQ(parse(&c, MIN_FLAGS, "--tls-versions", "1.3", NULL), 0);
}

static void
test_tls_policy(void)
{
	struct hsod_config c;
	struct hs_config hs;
	struct hs_nego_policy def;
	const char *path = cfgfile(full_file);
	static const uint8_t alpn[] = "\x02h2\x08http/1.1";

	hs_nego_policy_default(&def);

	/* Defaults give the engine's default policy. */
	CHECK_EQ(parse(&c, MIN_FLAGS, NULL), 0);
	CHECK_EQ(hsod_config_tls_policy(&c, &hs, err, sizeof(err)), 0);
	CHECK(hs.nego.tls12 && hs.nego.tls13);
	CHECK_EQ(hs.nego.n_suites, def.n_suites);
	CHECK_MEM(hs.nego.suites, def.suites, def.n_suites * sizeof(def.suites[0]));
	CHECK_EQ(hs.nego.n_groups, def.n_groups);
	CHECK_MEM(hs.nego.groups, def.groups, def.n_groups * sizeof(def.groups[0]));
	CHECK_EQ(hs.nego.n_sigalgs, def.n_sigalgs);
	CHECK_MEM(hs.nego.sigalgs, def.sigalgs, def.n_sigalgs * sizeof(def.sigalgs[0]));
	CHECK_EQ(hs.nego.alpn_len, 0);
	CHECK_EQ(hs.ticket_lifetime, 7200);
	CHECK(hs.psk_ke);
	CHECK(!hs.sni_strict && !hs.export_keys);
	CHECK_EQ(hs.session_cache_size, HS_SESSION_CACHE_DEFAULT);
	CHECK_EQ(hs.max_handshake_msg, HS_MAX_MSG_DEFAULT);
	CHECK_EQ(hs.n_certs, 0);
	CHECK(hs.stek == NULL);
	CHECK(hs.now_ms != NULL);
	hs_config_wipe(&hs);

	/* The full file: server order kept across versions. */
	CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
	CHECK_EQ(hsod_config_tls_policy(&c, &hs, err, sizeof(err)), 0);
	CHECK_EQ(hs.nego.n_suites, 4);
	CHECK_EQ(hs.nego.suites[0], HS_TLS_CHACHA20_POLY1305_SHA256);
	CHECK_EQ(hs.nego.suites[1], HS_TLS_AES_128_GCM_SHA256);
	CHECK_EQ(hs.nego.suites[2], HS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
	CHECK_EQ(hs.nego.suites[3], HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
	CHECK_EQ(hs.nego.n_groups, 2);
	CHECK_EQ(hs.nego.groups[0], HS_GROUP_SECP256R1);
	CHECK_EQ(hs.nego.n_sigalgs, 2);
	CHECK_EQ(hs.nego.sigalgs[0], HS_SIG_RSA_PSS_RSAE_SHA256);
	CHECK_EQ(hs.nego.alpn_len, sizeof(alpn) - 1);
	CHECK_MEM(hs.nego.alpn, alpn, sizeof(alpn) - 1);
	CHECK(hs.sni_strict && hs.export_keys && !hs.psk_ke);
	CHECK_EQ(hs.ticket_lifetime, 3600);
	CHECK_EQ(hs.session_cache_size, 0);
	CHECK_EQ(hs.max_handshake_msg, 8192);
	hs_config_wipe(&hs);

	/* TLS 1.2 only drops the 1.3 suites, keeping the rest in order. */
	CHECK_EQ(parse(&c, "--config", (char *)path, "--tls-versions", "1.2", NULL), 0);
	CHECK_EQ(c.n_suites, 4);        /* the config keeps what was written */
	CHECK_EQ(hsod_config_tls_policy(&c, &hs, err, sizeof(err)), 0);
	CHECK(hs.nego.tls12 && !hs.nego.tls13);
	CHECK_EQ(hs.nego.n_suites, 2);
	CHECK_EQ(hs.nego.suites[0], HS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
	CHECK_EQ(hs.nego.suites[1], HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
	hs_config_wipe(&hs);

	/* The same with the default list. */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--tls-versions", "1.2", NULL), 0);
	CHECK_EQ(hsod_config_tls_policy(&c, &hs, err, sizeof(err)), 0);
	CHECK_EQ(hs.nego.n_suites, def.n_suites - 3);
	for (unsigned i = 0, j = 0; i < def.n_suites; i++) {
		if (hs_suite_find(def.suites[i])->version != HS_TLS12)
			continue;
		CHECK_EQ(hs.nego.suites[j], def.suites[i]);
		j++;
	}
	hs_config_wipe(&hs);

	/* TLS 1.3 only keeps the 1.3 suites. */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--tls-versions", "1.3", NULL), 0);
	CHECK_EQ(hsod_config_tls_policy(&c, &hs, err, sizeof(err)), 0);
	CHECK(!hs.nego.tls12 && hs.nego.tls13);
	CHECK_EQ(hs.nego.n_suites, 3);
	for (unsigned i = 0; i < hs.nego.n_suites; i++)
		CHECK_EQ(hs_suite_find(hs.nego.suites[i])->version, HS_TLS13);
	hs_config_wipe(&hs);

	/* A hand-made config is checked too. */
	hsod_config_defaults(&c);
	c.tls12 = false;
	c.n_suites = 1;
	c.suites[0] = HS_TLS_RSA_WITH_AES_128_GCM_SHA256;
	ERR_HAS(hsod_config_tls_policy(&c, &hs, err, sizeof(err)), "[tls] ciphers",
		"no TLS 1.3");
	hsod_config_defaults(&c);
	c.tls12 = c.tls13 = false;
	ERR_HAS(hsod_config_tls_policy(&c, &hs, err, sizeof(err)), "no TLS version");
	hsod_config_defaults(&c);
	c.n_groups = 0;
	ERR_HAS(hsod_config_tls_policy(&c, &hs, err, sizeof(err)), "[tls] groups");
}

static int parse_res(struct hsod_config *c, const struct hsod_resources *r, ...);

/* The examples shipped in deploy/ are read by the real reader: they cannot drift. */
static void
test_examples(void)
{
	static const char *const files[] = {
		"deploy/hsod.ini.example", "deploy/kubernetes/hsod.ini",
	};
	struct hsod_config c;
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", HSO_SOURCE_ROOT, files[i]);
		CHECK_MSG(parse(&c, "--config", path, NULL) == 0, "%s: %s", files[i], err);
		CHECK(c.n_certs >= 1 && c.ticket_key_file[0] != '\0' && c.ticket_watch);
	}
	/*
	 * The DaemonSet's hsod (deploy/kubernetes/daemonset.yaml): 2 CPUs (one
	 * worker), a 1 GiB memory limit, 2 GiB of hugepages, a 64 MiB /dev/shm
	 * and its --metrics flag fit the limits checked at start.
	 */
	{
		struct hsod_resources r = { .lcores = 2, .huge_free = 2ull << 30,
					    .mem_available = 1ull << 30, .shm_free = 64ull << 20 };
		struct hsod_worker_mem wm;

		snprintf(r.lcores_from, sizeof(r.lcores_from), "-l 2-3");
		snprintf(path, sizeof(path), "%s/deploy/kubernetes/hsod.ini", HSO_SOURCE_ROOT);
		CHECK_MSG(parse_res(&c, &r, "--config", path, "--metrics", "0.0.0.0:9102", NULL) == 0,
			  "kubernetes: %s", err);
		CHECK(strcmp(c.metrics, "0.0.0.0:9102") == 0);
		hsod_worker_mem(&c, &wm);
		/* With room to spare: OpenSSL, the libraries, the heap's own. */
		CHECK_MSG(wm.total < (768ull << 20), "kubernetes: %zu bytes per worker", wm.total);
	}
}

static void
test_usage(void)
{
	static const char *const want[] = {
		/* flags */
		"--config FILE", "--addr [N:]A.B.C.D/LEN", "--gateway [N:]A.B.C.D",
		"[net] addr; with N: [port N] addr", "--listen PORT",
		"--cert FILE", "--key FILE", "--app http|echo|external", "--tls-versions",
		"--ciphers", "--groups", "--sigalgs", "--alpn", "--ticket-key-file",
		"--ticket-lifetime", "--ticket-rotation", "--session-cache", "--max-conns",
		"--max-half-open", "--mbufs", "--handshake-timeout", "--idle-timeout",
		"--http-status", "--http-body", "--imb-arch", "--export-keys",
		"--sni-strict", "--neigh-entries", "--neigh-queue", "--neigh-queue-total",
		"--neigh-reachable", "--neigh-stale", "--help",
		/* sections and keys */
		"[net]", "addr =", "gateway =", "listen =", "mbufs =", "neigh_entries =",
		"neigh_queue =", "neigh_queue_total =", "neigh_reachable_ms =",
		"neigh_stale_ms =", "[port N]",
		"[tls]", "versions =", "ciphers =", "groups =", "sigalgs =", "alpn =",
		"sni_strict =", "export_keys =", "max_handshake_msg =", "session_cache =",
		"[cert NAME]", "cert =", "key =", "default =",
		"[tickets]", "key_file =", "lifetime =", "rotation =", "psk_ke =",
		"[limits]", "max_conns =", "max_half_open =", "handshake_timeout_ms =",
		"idle_timeout_ms =", "[app]", "type =", "http_status =", "http_body =",
		"[crypto]", "imb_arch =",
		/* defaults */
		"[1.2,1.3]", "[7200]", "[3600]", "[8192]", "[1024]", "[16384]",
		"[10000]", "[60000]", "[http]", "[200]", "[hello from hso\\n]",
		"[TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,", "[x25519,secp256r1]",
		"[ecdsa_secp256r1_sha256,",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL);
	if (f == NULL)
		return;
	hsod_config_usage(f);
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_MSG(strstr(text, want[i]) != NULL, "--help lacks '%s'", want[i]);
	/* Every suite name is spelled out in the default. */
	{
		struct hs_nego_policy p;

		hs_nego_policy_default(&p);
		for (unsigned i = 0; i < p.n_suites; i++)
			CHECK_MSG(strstr(text, hs_suite_find(p.suites[i])->name) != NULL,
				  "--help lacks %s", hs_suite_find(p.suites[i])->name);
	}
	if (getenv("HSO_TEST_SHOW_USAGE") != NULL)
		fputs(text, stdout);
	free(text);
}

/* hsod_resources_from_eal() over EAL's arguments (NULL-terminated, program first). */
static int
eal(struct hsod_resources *r, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	va_start(ap, r);
	for (char *a = va_arg(ap, char *); a != NULL; a = va_arg(ap, char *))
		argv[argc++] = a;
	va_end(ap);
	err[0] = '\0';
	return hsod_resources_from_eal(argc, argv, r, err, sizeof(err));
}

static void
test_eal_args(void)
{
	struct hsod_resources r;

	CHECK_EQ(eal(&r, "hsod", NULL), 0);
	CHECK_EQ(r.lcores, 0);                  /* none given: the probe counts CPUs */
	CHECK_EQ(eal(&r, "hsod", "-l", "0", "--no-pci", NULL), 0);
	CHECK_EQ(r.lcores, 1);
	CHECK(strstr(r.lcores_from, "-l 0") != NULL);
	CHECK_EQ(eal(&r, "hsod", "-l0-3,5", NULL), 0);
	CHECK_EQ(r.lcores, 5);
	CHECK_EQ(eal(&r, "hsod", "-l", "0-2,1", NULL), 0);
	CHECK_EQ(r.lcores, 3);                  /* an id twice is one lcore */
	CHECK_EQ(eal(&r, "hsod", "-c", "0x3", NULL), 0);
	CHECK_EQ(r.lcores, 2);
	CHECK_EQ(eal(&r, "hsod", "-c", "f0", NULL), 0);
	CHECK_EQ(r.lcores, 4);
	CHECK_EQ(eal(&r, "hsod", "--lcores", "0@0,1@1,2@0", NULL), 0);
	CHECK_EQ(r.lcores, 3);
	CHECK_EQ(eal(&r, "hsod", "--lcores=(0-3)@0,4@(1,2),5", NULL), 0);
	CHECK_EQ(r.lcores, 6);
	/* --lcores wins over -l, as in EAL. */
	CHECK_EQ(eal(&r, "hsod", "-l", "0", "--lcores", "0-1", NULL), 0);
	CHECK_EQ(r.lcores, 2);
	CHECK_EQ(eal(&r, "hsod", "-l", "0", "--no-huge", "-m", "512", NULL), 0);
	CHECK(r.no_huge);
	CHECK_EQ(r.mem_limit, 512ull << 20);
	CHECK_EQ(eal(&r, "hsod", "--socket-mem", "256,128", NULL), 0);
	CHECK_EQ(r.mem_limit, 384ull << 20);
	CHECK(!r.no_huge);
	/* What EAL would refuse, refused here too, naming the option. */
	ERR_HAS(eal(&r, "hsod", "-l", "0-x", NULL), "EAL -l", "'0-x'");
	ERR_HAS(eal(&r, "hsod", "-l", "3-1", NULL), "EAL -l", "'3-1'");
	ERR_HAS(eal(&r, "hsod", "-l", "", NULL), "EAL -l");
	ERR_HAS(eal(&r, "hsod", "-c", "0xZ", NULL), "EAL -c", "'0xZ'");
	ERR_HAS(eal(&r, "hsod", "-c", "0", NULL), "EAL -c");
	ERR_HAS(eal(&r, "hsod", "--lcores", "(0-1@0", NULL), "EAL --lcores");
	ERR_HAS(eal(&r, "hsod", "--lcores", "0,,1", NULL), "EAL --lcores");
	ERR_HAS(eal(&r, "hsod", "-l", "0-5000", NULL), "EAL -l");
	ERR_HAS(eal(&r, "hsod", "-m", "lots", NULL), "EAL -m", "'lots'");
	ERR_HAS(eal(&r, "hsod", "--socket-mem", "1,x", NULL), "EAL --socket-mem");
}

/* hsod_config_parse_res() with resources @p r. */
static int
parse_res(struct hsod_config *c, const struct hsod_resources *r, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	va_start(ap, r);
	for (char *a = va_arg(ap, char *); a != NULL; a = va_arg(ap, char *))
		argv[argc++] = a;
	va_end(ap);
	err[0] = '\0';
	return hsod_config_parse_res(c, argc, argv, r, err, sizeof(err));
}

static void
test_limits(void)
{
	struct hsod_resources r = { .lcores = 1, .huge_free = 1ull << 30,
				    .mem_available = 16ull << 30 };
	struct hsod_worker_mem wm, wm2;
	struct hsod_config c;
	const char *path;

	snprintf(r.lcores_from, sizeof(r.lcores_from), "-l 0");
	/* Defaults fit one lcore with 1 GiB of hugepages and 16 GiB of memory. */
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, NULL), 0);

	/* Workers: EAL's lcores less the main one, 64 at most. */
	r.lcores = 66;
	snprintf(r.lcores_from, sizeof(r.lcores_from), "-l 0-65");
	ERR_HAS(parse_res(&c, &r, MIN_FLAGS, "--mbufs", "16777216", NULL), "EAL -l 0-65",
		"65 workers", "at most 64");
	r.lcores = 65;
	r.huge_free = 1ull << 40;
	r.mem_available = 1ull << 42;
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, "--mbufs", "16777216", "--max-conns", "64",
			   NULL), 0);

	/*
	 * mbufs per port: every worker's RX and TX queue on every port, and the
	 * lcores' caches (1.5 x 256): 3 lcores, 2 workers, 2 ports:
	 * 2 x 2 x 2048 + 3 x 384 = 9344, 4672 per port.
	 */
	r.lcores = 3;
	snprintf(r.lcores_from, sizeof(r.lcores_from), "--lcores 0@0,1@1,2@0");
	ERR_HAS(parse_res(&c, &r, MIN_FLAGS, "--addr", "1:198.18.1.2/24", "--mbufs", "4671",
			  NULL), "--mbufs", "mbufs per port", "2 workers on 2 ports",
		"--lcores 0@0,1@1,2@0", "at least 4672", "'4671'");
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, "--addr", "1:198.18.1.2/24", "--mbufs", "4672",
			   NULL), 0);
	path = cfgfile_with("mbufs = 2000\n");
	(void)path;
	path = file_write("mbufs.ini", "[net]\naddr = 198.18.0.2/24\nlisten = 443\nmbufs = 3000\n"
			  "[cert a]\ncert = c.pem\nkey = k.pem\n");
	ERR_HAS(parse_res(&c, &r, "--config", (char *)path, NULL), path, "[net] mbufs",
		"at least 5248", "'3000'");

	/*
	 * Memory: the workers' from the structures' sizes, within MemAvailable:
	 * every connection slot and handshake context in use.
	 */
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, "--max-conns", "1000000", NULL), 0);
	hsod_worker_mem(&c, &wm);
	CHECK(wm.session >= 512 && wm.session <= 1024);   /* one cache-aligned slot */
	CHECK(wm.tcp >= 200 && wm.tcp <= 1024);           /* slot and two hash buckets */
	CHECK(wm.fc > 0 && wm.fc <= 64);
	CHECK_EQ(wm.conn, wm.session + wm.tcp + wm.fc);
	/* What test_worker measures resident: an idle connection stays under 2 KiB. */
	CHECK(wm.conn <= 2048);
	/* 4096 handshake contexts (the default) of ~100 KiB: the engine's bulk. */
	CHECK(wm.engine > 4096ull * 64 * 1024);
	CHECK(wm.total > 1000000 * wm.conn + wm.engine);
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, "--max-conns", "2000000", NULL), 0);
	hsod_worker_mem(&c, &wm2);
	/* Linear in connections: twice the connections, twice the per-connection part. */
	CHECK(wm2.total - wm.total >= 1000000 * wm.conn);
	CHECK(wm2.total - wm.total < 1000000 * (wm.conn + 64));
	r.mem_available = 2 * wm2.total - 1;    /* two workers of 2000000 do not fit */
	ERR_HAS(parse_res(&c, &r, MIN_FLAGS, "--max-conns", "2000000", NULL), "--max-conns",
		"connections per worker", "2 workers x (2000000 connections", "MemAvailable",
		"lower max_conns", "'2000000'");
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, "--max-conns", "1900000", NULL), 0);
	path = file_write("conns.ini", "[net]\naddr = 198.18.0.2/24\nlisten = 443\n"
			  "[limits]\nmax_conns = 2000000\n[cert a]\ncert = c.pem\nkey = k.pem\n");
	ERR_HAS(parse_res(&c, &r, "--config", (char *)path, NULL), path,
		"[limits] max_conns", "'2000000'");
	/* Handshake contexts take most: max_handshakes is named. */
	r.mem_available = 2 * wm.engine;
	ERR_HAS(parse_res(&c, &r, MIN_FLAGS, "--max-conns", "4096", NULL), "--max-handshakes",
		"handshakes per worker", "4096 handshakes at once", "lower max_handshakes");
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, "--max-conns", "4096", "--max-handshakes", "512",
			   NULL), 0);
	r.mem_available = 0;                    /* unknown: not checked */
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, "--max-conns", "2000000", NULL), 0);
	/* /dev/shm: the flow-control words of every connection slot (24 bytes each). */
	r.shm_free = 64ull << 20;
	ERR_HAS(parse_res(&c, &r, MIN_FLAGS, "--max-conns", "2000000", NULL), "--max-conns",
		"2 workers x 2000000 connections", "/dev/shm", "64.0 MiB free", "'2000000'");
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, "--max-conns", "1000000", NULL), 0);
	r.shm_free = 0;                         /* unknown: not checked */

	/* DPDK memory: the pool, the application rings, the neighbour tables within EAL's. */
	r.mem_available = 1ull << 42;
	CHECK_EQ(parse(&c, MIN_FLAGS, NULL), 0);
	hsod_worker_mem(&c, &wm);
	CHECK(wm.dpdk > 0);
	r.huge_free = hsod_mbuf_pool_mem_size(8192) + hsod_apps_mem_size(2) + 2 * wm.dpdk;
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, "--mbufs", "8192", NULL), 0);
	ERR_HAS(parse_res(&c, &r, MIN_FLAGS, "--mbufs", "8300", NULL), "--mbufs",
		"DPDK memory", "free hugepages", "'8300'");
	r.huge_free = 0;
	ERR_HAS(parse_res(&c, &r, MIN_FLAGS, NULL), "no free hugepages", "--no-huge");
	r.no_huge = true;                       /* 64 MB without -m */
	CHECK(hsod_mbuf_pool_mem_size(16384) < (64u << 20));
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, NULL), 0);
	ERR_HAS(parse_res(&c, &r, MIN_FLAGS, "--mbufs", "65536", NULL), "--mbufs",
		"--no-huge", "'65536'");
	r.mem_limit = 512ull << 20;
	CHECK_EQ(parse_res(&c, &r, MIN_FLAGS, "--mbufs", "65536", NULL), 0);
}

static void
test_metrics_key(void)
{
	struct hsod_config c;
	const char *path;

	CHECK_EQ(parse(&c, MIN_FLAGS, NULL), 0);
	CHECK(c.metrics[0] == '\0');           /* off by default */
	CHECK_EQ(parse(&c, MIN_FLAGS, "--metrics", "127.0.0.1:9100", NULL), 0);
	CHECK(strcmp(c.metrics, "127.0.0.1:9100") == 0);
	CHECK_EQ(parse(&c, MIN_FLAGS, "--metrics=[::1]:9100", NULL), 0);
	CHECK(strcmp(c.metrics, "[::1]:9100") == 0);
	path = cfgfile_with("[metrics]\nlisten = 198.18.0.1:9100\n");
	CHECK_EQ(parse(&c, "--config", (char *)path, NULL), 0);
	CHECK(strcmp(c.metrics, "198.18.0.1:9100") == 0);
	/* The flag overrides the file. */
	CHECK_EQ(parse(&c, "--config", (char *)path, "--metrics", "127.0.0.1:1", NULL), 0);
	CHECK(strcmp(c.metrics, "127.0.0.1:1") == 0);
	ERR_HAS(parse(&c, MIN_FLAGS, "--metrics", "localhost:9100", NULL), "--metrics",
		"'localhost:9100'");
	ERR_HAS(parse(&c, MIN_FLAGS, "--metrics", "127.0.0.1:0", NULL), "--metrics",
		"'127.0.0.1:0'");
	path = cfgfile_with("[metrics]\nlisten = 127.0.0.1\n");
	ERR_HAS(parse(&c, "--config", (char *)path, NULL), path, "[metrics] listen",
		"'127.0.0.1'");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_defaults();
	test_full_file();
	test_flags_override();
	test_certs();
	test_numbers();
	test_neigh_keys();
	test_source_keys();
	test_net();
	test_ports();
	test_ipv6();
	test_file_structure();
	test_lists();
	test_suite_names();
	test_versions_filter();
	test_tls_policy();
	test_usage();
	test_eal_args();
	test_limits();
	test_metrics_key();
	test_examples();

	/* Remove what file_write() made. */
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/hsod.ini", dir);
		unlink(path);
		rmdir(dir);
	}
	/* A default half-open limit follows a smaller --max-conns; an explicit one must fit. */
	{
		struct hsod_config c;
		char e[HSOD_ERR_LEN];
		char *a1[] = { "--addr", "198.18.0.2/24", "--listen", "443", "--cert", "c.pem",
			       "--key", "k.pem", "--max-conns", "256" };
		char *a2[] = { "--addr", "198.18.0.2/24", "--listen", "443", "--cert", "c.pem",
			       "--key", "k.pem", "--max-conns", "256", "--max-half-open", "512" };

		CHECK_EQ(hsod_config_parse(&c, 10, a1, e, sizeof(e)), 0);
		CHECK_EQ(c.max_half_open, 256);
		CHECK_EQ(hsod_config_parse(&c, 12, a2, e, sizeof(e)), -EINVAL);
		CHECK(strstr(e, "max") != NULL);
	}
	return check_result("config");
}
