/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session-ticket keys (crypto/stek.c): seal/open, tampering, unknown names,
 * rotation driven by a test clock, key files (good and bad), fleet sharing,
 * reload, copy-and-publish, and that key memory is zero when let go.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "crypto.h"

static char dir[] = "/tmp/hso_stek_XXXXXX";

static uint64_t rng = 0x94d049bb133111ebULL;
/* Reproducible test data: tests/check.h. */
#define rnd() check_rnd(&rng)
#define fill(p, n) check_fill(&rng, (p), (n))
#define all_zero(p, n) check_all_zero((p), (n))




/* The wipe hook: every region handed to it must be zeros already. */
static int hook_calls, hook_dirty;

static void
hook(const void *mem, size_t len)
{
	hook_calls++;
	if (!all_zero(mem, len))
		hook_dirty++;
}

static const char *
path(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void
write_bytes(const char *p, const uint8_t *b, size_t n)
{
	FILE *f = fopen(p, "wb");

	if (f == NULL) {
		perror(p);
		exit(2);
	}
	if (n != 0 && fwrite(b, 1, n, f) != n)
		exit(2);
	fclose(f);
}

/* Seal @p len random bytes with @p s into @p t; returns the ticket length. */
static int
seal_random(const struct hso_stek_set *s, uint8_t *state, size_t len,
	    uint8_t *t, size_t cap)
{
	fill(state, len);
	return hso_stek_seal(s, state, len, t, cap);
}

static void
test_roundtrip(void)
{
	static uint8_t state[HSO_STEK_PLAINTEXT_MAX + 1];
	static uint8_t t[HSO_STEK_TICKET_MAX + 16], out[HSO_STEK_TICKET_MAX];
	static const size_t lens[] = { 0, 1, 15, 16, 200, 1000,
				       HSO_STEK_PLAINTEXT_MAX };
	struct hso_stek_set *s = hso_stek_set_create(NULL, 1000);
	uint8_t name[16];
	bool renew = true;
	int rc;

	CHECK(s != NULL);
	CHECK_EQ(hso_stek_set_count(s), 1);
	hso_stek_set_current_name(s, name);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];

		rc = seal_random(s, state, len, t, sizeof(t));
		CHECK_EQ(rc, (int)(len + HSO_STEK_OVERHEAD));
		CHECK_MEM(t, name, 16);
		rc = hso_stek_open(s, t, (size_t)rc, out, sizeof(out), &renew);
		CHECK_EQ(rc, (int)len);
		CHECK(!renew);
		CHECK(memcmp(out, state, len) == 0);
	}
	/* Two tickets of the same state differ (random nonce). */
	memset(state, 7, 100);
	hso_stek_seal(s, state, 100, t, sizeof(t));
	hso_stek_seal(s, state, 100, out, sizeof(out));
	CHECK(memcmp(t + 16, out + 16, 100 + 28) != 0);
	/* In place both ways. */
	fill(t + 28, 300);
	memcpy(state, t + 28, 300);
	rc = hso_stek_seal(s, t + 28, 300, t, sizeof(t));
	CHECK_EQ(rc, 344);
	CHECK_EQ(hso_stek_open(s, t, 344, t + 28, 300, NULL), 300);
	CHECK(memcmp(t + 28, state, 300) == 0);
	/* Limits and buffers. */
	CHECK_EQ(hso_stek_seal(s, state, HSO_STEK_PLAINTEXT_MAX + 1, t,
			       sizeof(t)), -EMSGSIZE);
	CHECK_EQ(hso_stek_seal(s, state, 100, t, 143), -ENOBUFS);
	rc = hso_stek_seal(s, state, 100, t, sizeof(t));
	CHECK_EQ(hso_stek_open(s, t, (size_t)rc, out, 99, NULL), -ENOBUFS);
	CHECK_EQ(hso_stek_open(s, t, HSO_STEK_OVERHEAD - 1, out, sizeof(out),
			       NULL), -EBADMSG);
	hso_stek_set_free(s);
}

/* Every single-bit flip fails: in the name -ENOENT, elsewhere -EBADMSG. */
static void
test_tamper(void)
{
	struct hso_stek_set *s = hso_stek_set_create(NULL, 0);
	struct hso_stek_set *other = hso_stek_set_create(NULL, 0);
	uint8_t state[40], t[100], bad[100], out[100];
	int n = seal_random(s, state, sizeof(state), t, sizeof(t));
	int fails = 0;

	CHECK_EQ(n, 84);
	for (int i = 0; i < n; i++) {
		int want = i < HSO_STEK_NAME_LEN ? -ENOENT : -EBADMSG;

		memcpy(bad, t, (size_t)n);
		bad[i] ^= (uint8_t)(1u << (rnd() % 8));
		memset(out, 0xaa, sizeof(out));
		if (hso_stek_open(s, bad, (size_t)n, out, sizeof(out), NULL) != want ||
		    (want == -EBADMSG && !all_zero(out, sizeof(state))))
			fails++;
	}
	CHECK_EQ(fails, 0);
	/* Truncated and extended tickets. */
	CHECK_EQ(hso_stek_open(s, t, (size_t)n - 1, out, sizeof(out), NULL),
		 -EBADMSG);
	/* A ticket of another set (another key name): unknown. */
	CHECK_EQ(hso_stek_open(other, t, (size_t)n, out, sizeof(out), NULL),
		 -ENOENT);
	hso_stek_set_free(s);
	hso_stek_set_free(other);
}

static void
test_rotation(void)
{
	struct hso_stek_config cfg = { .lifetime = 100, .grace = 150, .n_prev = 2 };
	struct hso_stek_set *s = hso_stek_set_create(&cfg, 1000);
	uint8_t state[64], ta[200], tb[200], tc[200], out[200];
	uint8_t name_a[16], name_b[16];
	bool renew = false;
	int la, lb, lc;

	hook_calls = hook_dirty = 0;
	hso_stek_test_wipe_hook(hook);
	hso_stek_set_current_name(s, name_a);
	la = seal_random(s, state, sizeof(state), ta, sizeof(ta));

	/* Not yet at the end of its lifetime; a clock going back does
	 * nothing either. */
	CHECK_EQ(hso_stek_set_rotate(s, 1099), 0);
	CHECK_EQ(hso_stek_set_rotate(s, 10), 0);
	CHECK_EQ(hso_stek_set_count(s), 1);

	/* Lifetime over: a new key seals, the old one still opens. */
	CHECK_EQ(hso_stek_set_rotate(s, 1100), 1);
	CHECK_EQ(hso_stek_set_count(s), 2);
	hso_stek_set_current_name(s, name_b);
	CHECK(memcmp(name_a, name_b, 16) != 0);
	lb = seal_random(s, state, sizeof(state), tb, sizeof(tb));
	CHECK_MEM(tb, name_b, 16);
	CHECK_EQ(hso_stek_open(s, ta, (size_t)la, out, sizeof(out), &renew), 64);
	CHECK(renew);
	CHECK_EQ(hso_stek_open(s, tb, (size_t)lb, out, sizeof(out), &renew), 64);
	CHECK(!renew);

	/* Next rotation at 1200: A (retired 1100) is within its grace. */
	CHECK_EQ(hso_stek_set_rotate(s, 1200), 1);
	CHECK_EQ(hso_stek_set_count(s), 3);
	lc = seal_random(s, state, sizeof(state), tc, sizeof(tc));
	CHECK_EQ(hso_stek_open(s, ta, (size_t)la, out, sizeof(out), NULL), 64);
	CHECK_EQ(hook_calls, 0);

	/* 1249: still there; 1250 = 1100 + grace: A is dropped and wiped. */
	CHECK_EQ(hso_stek_set_rotate(s, 1249), 0);
	CHECK_EQ(hso_stek_open(s, ta, (size_t)la, out, sizeof(out), NULL), 64);
	CHECK_EQ(hso_stek_set_rotate(s, 1250), 0);
	CHECK_EQ(hso_stek_set_count(s), 2);
	CHECK_EQ(hso_stek_open(s, ta, (size_t)la, out, sizeof(out), NULL), -ENOENT);
	CHECK_EQ(hso_stek_open(s, tb, (size_t)lb, out, sizeof(out), NULL), 64);
	CHECK_EQ(hso_stek_open(s, tc, (size_t)lc, out, sizeof(out), NULL), 64);
	CHECK_EQ(hook_calls, 1);

	/* A long pause: B expired at 1350, C rotated at 1400 and kept. */
	CHECK_EQ(hso_stek_set_rotate(s, 5000), 1);
	CHECK_EQ(hso_stek_set_count(s), 2);
	CHECK_EQ(hso_stek_open(s, tb, (size_t)lb, out, sizeof(out), NULL), -ENOENT);
	CHECK_EQ(hso_stek_open(s, tc, (size_t)lc, out, sizeof(out), &renew), 64);
	CHECK(renew);

	hso_stek_set_free(s);
	CHECK_EQ(hook_dirty, 0);
	CHECK(hook_calls >= 3);

	/* n_prev bounds the previous keys even within their grace. */
	cfg.grace = 1000000;
	cfg.n_prev = 1;
	s = hso_stek_set_create(&cfg, 0);
	la = seal_random(s, state, sizeof(state), ta, sizeof(ta));
	CHECK_EQ(hso_stek_set_rotate(s, 100), 1);
	CHECK_EQ(hso_stek_set_rotate(s, 200), 1);
	CHECK_EQ(hso_stek_set_count(s), 2);
	CHECK_EQ(hso_stek_open(s, ta, (size_t)la, out, sizeof(out), NULL), -ENOENT);
	hso_stek_set_free(s);
	/* n_prev 0: the old key is gone at once. */
	cfg.n_prev = 0;
	s = hso_stek_set_create(&cfg, 0);
	la = seal_random(s, state, sizeof(state), ta, sizeof(ta));
	CHECK_EQ(hso_stek_set_rotate(s, 100), 1);
	CHECK_EQ(hso_stek_set_count(s), 1);
	CHECK_EQ(hso_stek_open(s, ta, (size_t)la, out, sizeof(out), NULL), -ENOENT);
	hso_stek_set_free(s);
	CHECK_EQ(hook_dirty, 0);
	hso_stek_test_wipe_hook(NULL);

	/* Bad configurations. */
	cfg.lifetime = 0;
	errno = 0;
	CHECK(hso_stek_set_create(&cfg, 0) == NULL && errno == EINVAL);
	cfg.lifetime = 1;
	cfg.n_prev = HSO_STEK_PREV_MAX + 1;
	CHECK(hso_stek_set_create(&cfg, 0) == NULL && errno == EINVAL);
}

/* Copy and publish: rotate a copy, the published set is untouched. */
static void
test_dup(void)
{
	struct hso_stek_config cfg = { .lifetime = 10, .grace = 100, .n_prev = 2 };
	struct hso_stek_set *pub = hso_stek_set_create(&cfg, 0), *next;
	uint8_t state[32], t[100], t2[100], out[100], n1[16], n2[16];
	int l, l2;

	l = seal_random(pub, state, sizeof(state), t, sizeof(t));
	next = hso_stek_set_dup(pub);
	CHECK(next != NULL);
	CHECK_EQ(hso_stek_set_rotate(next, 10), 1);
	hso_stek_set_current_name(pub, n1);
	hso_stek_set_current_name(next, n2);
	CHECK(memcmp(n1, n2, 16) != 0);
	CHECK_EQ(hso_stek_set_count(pub), 1);
	CHECK_EQ(hso_stek_open(next, t, (size_t)l, out, sizeof(out), NULL), 32);
	l2 = seal_random(next, state, sizeof(state), t2, sizeof(t2));
	CHECK_EQ(hso_stek_open(pub, t2, (size_t)l2, out, sizeof(out), NULL),
		 -ENOENT);
	hso_stek_set_free(pub);
	CHECK_EQ(hso_stek_open(next, t2, (size_t)l2, out, sizeof(out), NULL), 32);
	hso_stek_set_free(next);
}

static void
test_files(void)
{
	char err[HSO_STEK_ERR_LEN];
	uint8_t buf[11 * 80], state[50], t[200], out[200], n1[16], n2[16];
	struct hso_stek_set *a, *b, *c;
	bool renew;
	int l, l2, rc;

	/* A written file loads in two "servers" that share tickets. */
	CHECK_EQ(hso_stek_file_write(path("good.key"), 3, err, sizeof(err)), 0);
	a = hso_stek_set_load(path("good.key"), NULL, 0, err, sizeof(err));
	b = hso_stek_set_load(path("good.key"), NULL, 0, err, sizeof(err));
	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		return;
	CHECK_EQ(hso_stek_set_count(a), 3);
	l = seal_random(a, state, sizeof(state), t, sizeof(t));
	CHECK_EQ(hso_stek_open(b, t, (size_t)l, out, sizeof(out), &renew), 50);
	CHECK(!renew && memcmp(out, state, 50) == 0);
	l = seal_random(b, state, sizeof(state), t, sizeof(t));
	CHECK_EQ(hso_stek_open(a, t, (size_t)l, out, sizeof(out), NULL), 50);
	/* Time never rotates file keys. */
	CHECK_EQ(hso_stek_set_rotate(a, UINT64_MAX), 0);
	CHECK_EQ(hso_stek_set_count(a), 3);

	/* Ops rotate the file; b reloads, a has not yet. */
	hso_stek_set_current_name(a, n1);
	CHECK_EQ(hso_stek_file_rotate(path("good.key"), 3, err, sizeof(err)), 0);
	CHECK_EQ(hso_stek_set_reload(b, path("good.key"), 5, err, sizeof(err)), 0);
	CHECK_EQ(hso_stek_set_count(b), 3);
	hso_stek_set_current_name(b, n2);
	CHECK(memcmp(n1, n2, 16) != 0);
	/* a's ticket opens in b with the previous key (renew), b's new ticket
	 * is unknown to a until it reloads too. */
	l = seal_random(a, state, sizeof(state), t, sizeof(t));
	CHECK_EQ(hso_stek_open(b, t, (size_t)l, out, sizeof(out), &renew), 50);
	CHECK(renew);
	l2 = seal_random(b, state, sizeof(state), t, sizeof(t));
	CHECK_EQ(hso_stek_open(a, t, (size_t)l2, out, sizeof(out), NULL), -ENOENT);
	CHECK_EQ(hso_stek_set_reload(a, path("good.key"), 5, err, sizeof(err)), 0);
	CHECK_EQ(hso_stek_open(a, t, (size_t)l2, out, sizeof(out), NULL), 50);

	/* Bad files: each error names the file and what is wrong, and a
	 * failed reload leaves the set as it was. */
	fill(buf, sizeof(buf));
	write_bytes(path("short.key"), buf, 81);
	errno = 0;
	c = hso_stek_set_load(path("short.key"), NULL, 0, err, sizeof(err));
	CHECK(c == NULL && errno == EINVAL);
	CHECK_MSG(strstr(err, path("short.key")) && strstr(err, "81") &&
		  strstr(err, "multiple of 80"), "%s", err);
	rc = hso_stek_set_reload(a, path("short.key"), 0, err, sizeof(err));
	CHECK_EQ(rc, -EINVAL);
	CHECK_EQ(hso_stek_set_count(a), 3);
	CHECK_EQ(hso_stek_open(a, t, (size_t)l2, out, sizeof(out), NULL), 50);

	write_bytes(path("empty.key"), buf, 0);
	c = hso_stek_set_load(path("empty.key"), NULL, 0, err, sizeof(err));
	CHECK(c == NULL && errno == EINVAL);
	CHECK_MSG(strstr(err, path("empty.key")) && strstr(err, "empty"), "%s", err);

	c = hso_stek_set_load(path("missing.key"), NULL, 0, err, sizeof(err));
	CHECK(c == NULL && errno == ENOENT);
	CHECK_MSG(strstr(err, path("missing.key")) &&
		  strstr(err, "No such file"), "%s", err);
	CHECK_EQ(hso_stek_set_reload(a, path("missing.key"), 0, err, sizeof(err)),
		 -ENOENT);

	write_bytes(path("many.key"), buf, 10 * 80);
	c = hso_stek_set_load(path("many.key"), NULL, 0, err, sizeof(err));
	CHECK(c == NULL && errno == EINVAL);
	CHECK_MSG(strstr(err, path("many.key")) && strstr(err, "at most"), "%s", err);

	memcpy(buf + 160, buf, 16);     /* record 2 named like record 0 */
	write_bytes(path("dup.key"), buf, 3 * 80);
	c = hso_stek_set_load(path("dup.key"), NULL, 0, err, sizeof(err));
	CHECK(c == NULL && errno == EINVAL);
	CHECK_MSG(strstr(err, path("dup.key")) && strstr(err, "same name"), "%s", err);

	c = hso_stek_set_load(dir, NULL, 0, err, sizeof(err));
	CHECK(c == NULL && errno == EINVAL);
	CHECK_MSG(strstr(err, "not a regular file"), "%s", err);

	/* 80 random bytes (openssl rand 80) make a valid one-key file. */
	write_bytes(path("rand.key"), buf + 400, 80);
	c = hso_stek_set_load(path("rand.key"), NULL, 0, err, sizeof(err));
	CHECK(c != NULL);
	if (c != NULL) {
		hso_stek_set_current_name(c, n1);
		CHECK_MEM(n1, buf + 400, 16);
		CHECK_EQ(hso_stek_set_count(c), 1);
		hso_stek_set_free(c);
	}

	/* The written file is 0600 and rotation keeps at most @keep. */
	CHECK_EQ(hso_stek_file_rotate(path("good.key"), 2, err, sizeof(err)), 0);
	{
		struct stat st;

		CHECK(stat(path("good.key"), &st) == 0 &&
		      (st.st_mode & 0777) == 0600 && st.st_size == 160);
	}
	c = hso_stek_set_load(path("good.key"), NULL, 0, err, sizeof(err));
	CHECK(c != NULL && hso_stek_set_count(c) == 2);
	hso_stek_set_free(c);
	CHECK_EQ(hso_stek_file_write(path("x.key"), 0, err, sizeof(err)), -EINVAL);
	CHECK_EQ(hso_stek_file_write(path("x.key"), HSO_STEK_FILE_KEYS_MAX + 1,
				     err, sizeof(err)), -EINVAL);
	CHECK_EQ(hso_stek_file_rotate(path("missing.key"), 2, err, sizeof(err)),
		 -ENOENT);

	/* Reload wipes the keys it replaces; free wipes everything. */
	hook_calls = hook_dirty = 0;
	hso_stek_test_wipe_hook(hook);
	CHECK_EQ(hso_stek_set_reload(a, path("good.key"), 9, err, sizeof(err)), 0);
	hso_stek_set_free(a);
	hso_stek_set_free(b);
	hso_stek_test_wipe_hook(NULL);
	CHECK(hook_calls >= 4);
	CHECK_EQ(hook_dirty, 0);
}

static void
cleanup(void)
{
	static const char *names[] = { "good.key", "short.key", "empty.key",
				       "many.key", "dup.key", "rand.key" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(path(names[i]));
	rmdir(dir);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return CHECK_SKIP;
	}
	test_roundtrip();
	test_tamper();
	test_rotation();
	test_dup();
	test_files();
	cleanup();
	return check_result("stek");
}
