/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session-ticket encryption keys: key sets, time rotation, key files, and
 * ticket seal/open with AES-256-GCM (aead.c). Contract in crypto_stek.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto_stek.h"

struct stek_key {
	struct hso_aead_key aead;       /* AES-256-GCM, expanded */
	uint8_t name[HSO_STEK_NAME_LEN];
	uint64_t created;               /* became current */
	uint64_t retired;               /* stopped sealing (previous keys) */
};

/*
 * keys[0] is current; keys[1 .. n_keys-1] are previous keys, newest first,
 * so the oldest is always last and expiry drops from the end. Slots at and
 * after n_keys are all zeros.
 */
struct hso_stek_set {
	struct stek_key keys[HSO_STEK_FILE_KEYS_MAX];
	struct hso_stek_config cfg;
	IMB_MGR *mgr;                   /* expands new keys; unused by seal/open */
	unsigned n_keys;
	bool from_file;
};

static void (*wipe_hook)(const void *mem, size_t len);

void
hso_stek_test_wipe_hook(void (*hook)(const void *mem, size_t len))
{
	wipe_hook = hook;
}

static void
wipe(void *mem, size_t len)
{
	OPENSSL_cleanse(mem, len);
	if (wipe_hook != NULL)
		wipe_hook(mem, len);
}

static void
set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

void
hso_stek_config_default(struct hso_stek_config *cfg)
{
	cfg->lifetime = HSO_STEK_LIFETIME_DEFAULT;
	cfg->grace = HSO_STEK_GRACE_DEFAULT;
	cfg->n_prev = HSO_STEK_PREV_DEFAULT;
}

/* An empty set (no key yet) with its own manager, or NULL + errno. */
static struct hso_stek_set *
set_alloc(const struct hso_stek_config *cfg)
{
	struct hso_stek_set *set = NULL;
	IMB_ARCH arch;

	if (cfg != NULL && (cfg->lifetime == 0 || cfg->n_prev > HSO_STEK_PREV_MAX)) {
		errno = EINVAL;
		return NULL;
	}
	/* 64-byte alignment for the expanded GCM keys inside. */
	if (posix_memalign((void **)&set, 64, sizeof(*set)) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	memset(set, 0, sizeof(*set));
	if (cfg != NULL)
		set->cfg = *cfg;
	else
		hso_stek_config_default(&set->cfg);
	/* Key expansion is rare (rotation, load): one auto-chosen manager per
	 * set is enough, and keeps the set independent of any worker. */
	set->mgr = alloc_mb_mgr(0);
	if (set->mgr == NULL) {
		free(set);
		errno = ENOMEM;
		return NULL;
	}
	init_mb_mgr_auto(set->mgr, &arch);
	if (imb_get_errno(set->mgr) != 0) {
		free_mb_mgr(set->mgr);
		free(set);
		errno = ENOTSUP;
		return NULL;
	}
	return set;
}

void
hso_stek_set_free(struct hso_stek_set *set)
{
	if (set == NULL)
		return;
	if (set->mgr != NULL)
		free_mb_mgr(set->mgr);
	wipe(set, sizeof(*set));
	free(set);
}

/* Expand @p raw (32 bytes) as key @p k named @p name. */
static int
key_set(const struct hso_stek_set *set, struct stek_key *k,
	const uint8_t *name, const uint8_t *raw)
{
	int rc = hso_aead_key_init_mgr(&k->aead, set->mgr, HSO_AEAD_AES256_GCM,
				       raw, HSO_STEK_KEY_LEN);

	if (rc != 0)
		return rc;
	memcpy(k->name, name, HSO_STEK_NAME_LEN);
	return 0;
}

static int
name_index(const struct hso_stek_set *set, const uint8_t *name)
{
	for (unsigned i = 0; i < set->n_keys; i++)
		if (memcmp(set->keys[i].name, name, HSO_STEK_NAME_LEN) == 0)
			return (int)i;
	return -1;
}

/* Draw a new random key, with a name no key of @p set has, into @p k. */
static int
key_generate(const struct hso_stek_set *set, struct stek_key *k)
{
	uint8_t raw[HSO_STEK_KEY_LEN], name[HSO_STEK_NAME_LEN];
	int rc;

	/* Names are public (they travel in tickets): RAND_bytes. Keys come
	 * from the private DRBG, as OpenSSL advises for long-term secrets. */
	do {
		if (RAND_bytes(name, sizeof(name)) != 1)
			return -EIO;
	} while (name_index(set, name) >= 0);
	if (RAND_priv_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	rc = key_set(set, k, name, raw);
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

struct hso_stek_set *
hso_stek_set_create(const struct hso_stek_config *cfg, uint64_t now)
{
	struct hso_stek_set *set = set_alloc(cfg);
	int rc;

	if (set == NULL)
		return NULL;
	rc = key_generate(set, &set->keys[0]);
	if (rc != 0) {
		hso_stek_set_free(set);
		errno = -rc;
		return NULL;
	}
	set->keys[0].created = now;
	set->n_keys = 1;
	return set;
}

struct hso_stek_set *
hso_stek_set_dup(const struct hso_stek_set *set)
{
	struct hso_stek_set *copy;

	if (set == NULL) {
		errno = EINVAL;
		return NULL;
	}
	copy = set_alloc(&set->cfg);
	if (copy == NULL)
		return NULL;
	/* Expanded keys are plain data plus pointers to ipsec-mb functions
	 * that live as long as the library: a struct copy is a valid key. */
	memcpy(copy->keys, set->keys, sizeof(copy->keys));
	copy->n_keys = set->n_keys;
	copy->from_file = set->from_file;
	return copy;
}

unsigned
hso_stek_set_count(const struct hso_stek_set *set)
{
	return set->n_keys;
}

void
hso_stek_set_current_name(const struct hso_stek_set *set, uint8_t *name)
{
	memcpy(name, set->keys[0].name, HSO_STEK_NAME_LEN);
}

int
hso_stek_set_name(const struct hso_stek_set *set, unsigned i, uint8_t *name)
{
	if (set == NULL || i >= set->n_keys)
		return -ENOENT;
	memcpy(name, set->keys[i].name, HSO_STEK_NAME_LEN);
	return 0;
}

/* Drop the oldest previous key (the last one), wiping it. */
static void
drop_last(struct hso_stek_set *set)
{
	set->n_keys--;
	wipe(&set->keys[set->n_keys], sizeof(set->keys[0]));
}

int
hso_stek_set_rotate(struct hso_stek_set *set, uint64_t now)
{
	struct stek_key fresh;
	int rc;

	if (set == NULL || set->n_keys == 0)
		return -EINVAL;
	/* The file is the authority for fleet keys: no time policy. */
	if (set->from_file)
		return 0;

	/* Previous keys are newest first, so retired times fall towards the
	 * end: expire from the end. "now - retired" would wrap on a clock
	 * that went back; compare without subtracting. */
	while (set->n_keys > 1) {
		const struct stek_key *k = &set->keys[set->n_keys - 1];

		if (now < k->retired || now - k->retired < set->cfg.grace)
			break;
		drop_last(set);
	}

	if (now < set->keys[0].created ||
	    now - set->keys[0].created < set->cfg.lifetime)
		return 0;

	/* Generate before touching the set, so a CSPRNG failure leaves it as
	 * it was and the current key keeps sealing. */
	memset(&fresh, 0, sizeof(fresh));
	rc = key_generate(set, &fresh);
	if (rc != 0) {
		OPENSSL_cleanse(&fresh, sizeof(fresh));
		return rc;
	}
	if (set->n_keys > set->cfg.n_prev)
		drop_last(set);
	/* Shift up: the stale copy this leaves in keys[0] is overwritten by
	 * the new key just below, and keys[n_keys] was an empty slot. */
	memmove(&set->keys[1], &set->keys[0],
		set->n_keys * sizeof(set->keys[0]));
	set->n_keys++;
	if (set->n_keys > 1)
		set->keys[1].retired = now;
	set->keys[0] = fresh;
	set->keys[0].created = now;
	OPENSSL_cleanse(&fresh, sizeof(fresh));
	return 1;
}

int
hso_stek_seal(const struct hso_stek_set *set, const uint8_t *in, size_t len,
	      uint8_t *out, size_t out_cap)
{
	const struct stek_key *k;
	uint8_t *nonce;

	if (set == NULL || out == NULL || (in == NULL && len != 0) ||
	    set->n_keys == 0)
		return -EINVAL;
	if (len > HSO_STEK_PLAINTEXT_MAX)
		return -EMSGSIZE;
	if (out_cap < len + HSO_STEK_OVERHEAD)
		return -ENOBUFS;
	k = &set->keys[0];
	nonce = out + HSO_STEK_NAME_LEN;
	/* The header goes in front of the state: an in-place @p in at
	 * out + 28 is not touched by these writes. */
	memcpy(out, k->name, HSO_STEK_NAME_LEN);
	if (RAND_bytes(nonce, HSO_STEK_NONCE_LEN) != 1)
		return -EIO;
	return hso_aead_seal(&k->aead, nonce, out, HSO_STEK_NAME_LEN, in, len,
			     out + HSO_STEK_NAME_LEN + HSO_STEK_NONCE_LEN) +
	       HSO_STEK_NAME_LEN + HSO_STEK_NONCE_LEN;
}

int
hso_stek_open(const struct hso_stek_set *set, const uint8_t *ticket,
	      size_t len, uint8_t *out, size_t out_cap, bool *renew)
{
	const size_t hdr = HSO_STEK_NAME_LEN + HSO_STEK_NONCE_LEN;
	int i;

	if (set == NULL || ticket == NULL || out == NULL)
		return -EINVAL;
	if (renew != NULL)
		*renew = false;
	if (len < HSO_STEK_OVERHEAD || len > HSO_STEK_TICKET_MAX)
		return -EBADMSG;
	i = name_index(set, ticket);
	if (i < 0)
		return -ENOENT;
	if (out_cap < len - HSO_STEK_OVERHEAD)
		return -ENOBUFS;
	if (renew != NULL)
		*renew = i != 0;
	return hso_aead_open(&set->keys[i].aead, ticket + HSO_STEK_NAME_LEN,
			     ticket, HSO_STEK_NAME_LEN, ticket + hdr,
			     len - hdr, out);
}

/* ------------------------------------------------------------------------ */
/* Key files                                                                */
/* ------------------------------------------------------------------------ */

/*
 * Read and check a key file into @p buf (HSO_STEK_FILE_KEYS_MAX records);
 * returns the number of records or -errno, with a message naming @p path.
 */
static int
file_read(const char *path, uint8_t *buf, char *err, size_t err_len)
{
	const size_t cap = HSO_STEK_FILE_KEYS_MAX * HSO_STEK_FILE_RECORD_LEN;
	struct stat st;
	size_t n, got = 0;
	int fd, rc;

	if (path == NULL) {
		set_err(err, err_len, "ticket key file: no path given");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		set_err(err, err_len, "%s: cannot open ticket key file: %s",
			path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		set_err(err, err_len, "%s: cannot stat ticket key file: %s",
			path, strerror(errno));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, err_len, "%s: ticket key file is not a regular file",
			path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_size == 0) {
		set_err(err, err_len, "%s: ticket key file is empty; expected "
			"1 to %u keys of %u bytes (name 16, key 32, reserved 32)",
			path, HSO_STEK_FILE_KEYS_MAX, HSO_STEK_FILE_RECORD_LEN);
		close(fd);
		return -EINVAL;
	}
	if (st.st_size % HSO_STEK_FILE_RECORD_LEN != 0) {
		set_err(err, err_len, "%s: ticket key file size %lld is not a "
			"multiple of %u bytes (name 16, key 32, reserved 32)",
			path, (long long)st.st_size, HSO_STEK_FILE_RECORD_LEN);
		close(fd);
		return -EINVAL;
	}
	if ((unsigned long long)st.st_size > cap) {
		set_err(err, err_len, "%s: ticket key file holds %lld keys, at "
			"most %u are allowed", path,
			(long long)(st.st_size / HSO_STEK_FILE_RECORD_LEN),
			HSO_STEK_FILE_KEYS_MAX);
		close(fd);
		return -EINVAL;
	}
	n = (size_t)st.st_size;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			set_err(err, err_len, "%s: cannot read ticket key file: %s",
				path, r < 0 ? strerror(errno) :
				"file shrank while reading");
			close(fd);
			return rc;
		}
		got += (size_t)r;
	}
	close(fd);
	n /= HSO_STEK_FILE_RECORD_LEN;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (memcmp(buf + i * HSO_STEK_FILE_RECORD_LEN,
				   buf + j * HSO_STEK_FILE_RECORD_LEN,
				   HSO_STEK_NAME_LEN) == 0) {
				set_err(err, err_len, "%s: ticket keys %zu and "
					"%zu have the same name", path, j, i);
				return -EINVAL;
			}
	return (int)n;
}

struct hso_stek_set *
hso_stek_set_load(const char *path, const struct hso_stek_config *cfg,
		  uint64_t now, char *err, size_t err_len)
{
	uint8_t buf[HSO_STEK_FILE_KEYS_MAX * HSO_STEK_FILE_RECORD_LEN];
	struct hso_stek_set *set;
	int n, rc = 0;

	n = file_read(path, buf, err, err_len);
	if (n < 0) {
		OPENSSL_cleanse(buf, sizeof(buf));
		errno = -n;
		return NULL;
	}
	set = set_alloc(cfg);
	if (set == NULL) {
		rc = errno;
		OPENSSL_cleanse(buf, sizeof(buf));
		set_err(err, err_len, "%s: %s", path, strerror(rc));
		errno = rc;
		return NULL;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		const uint8_t *r = buf + (size_t)i * HSO_STEK_FILE_RECORD_LEN;

		rc = key_set(set, &set->keys[i], r, r + HSO_STEK_NAME_LEN);
		set->keys[i].created = now;
		set->keys[i].retired = i == 0 ? 0 : now;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != 0) {
		set_err(err, err_len, "%s: cannot expand ticket key: %s", path,
			strerror(-rc));
		hso_stek_set_free(set);
		errno = -rc;
		return NULL;
	}
	set->n_keys = (unsigned)n;
	set->from_file = true;
	return set;
}

int
hso_stek_set_reload(struct hso_stek_set *set, const char *path, uint64_t now,
		    char *err, size_t err_len)
{
	struct hso_stek_set *fresh;

	if (set == NULL)
		return -EINVAL;
	fresh = hso_stek_set_load(path, &set->cfg, now, err, err_len);
	if (fresh == NULL)
		return -errno;
	/* All checks passed: only now touch @p set. */
	wipe(set->keys, sizeof(set->keys));
	memcpy(set->keys, fresh->keys, sizeof(set->keys));
	set->n_keys = fresh->n_keys;
	set->from_file = true;
	hso_stek_set_free(fresh);
	return 0;
}

/* Write @p n records atomically over @p path (temp file, fsync, rename). */
static int
file_write_atomic(const char *path, const uint8_t *buf, size_t n, char *err,
		  size_t err_len)
{
	char tmp[4096];
	size_t len = n * HSO_STEK_FILE_RECORD_LEN, done = 0;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		set_err(err, err_len, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		set_err(err, err_len, "%s: cannot create %s: %s", path, tmp,
			strerror(errno));
		return rc;
	}
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		set_err(err, err_len, "%s: cannot write ticket key file: %s",
			path, strerror(-rc));
		unlink(tmp);
	}
	return rc;
}

/* Fill @p n fresh random records at @p buf. */
static int
records_generate(uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t *r = buf + i * HSO_STEK_FILE_RECORD_LEN;

		if (RAND_bytes(r, HSO_STEK_NAME_LEN) != 1 ||
		    RAND_priv_bytes(r + HSO_STEK_NAME_LEN,
				    HSO_STEK_KEY_LEN) != 1 ||
		    RAND_bytes(r + HSO_STEK_NAME_LEN + HSO_STEK_KEY_LEN,
			       HSO_STEK_FILE_RESERVED_LEN) != 1)
			return -EIO;
	}
	return 0;
}

int
hso_stek_file_write(const char *path, unsigned n_keys, char *err,
		    size_t err_len)
{
	uint8_t buf[HSO_STEK_FILE_KEYS_MAX * HSO_STEK_FILE_RECORD_LEN];
	int rc;

	if (path == NULL || n_keys == 0 || n_keys > HSO_STEK_FILE_KEYS_MAX) {
		set_err(err, err_len, "%s: key count %u not in 1..%u",
			path != NULL ? path : "(null)", n_keys,
			HSO_STEK_FILE_KEYS_MAX);
		return -EINVAL;
	}
	rc = records_generate(buf, n_keys);
	if (rc != 0)
		set_err(err, err_len, "%s: random generator failed", path);
	else
		rc = file_write_atomic(path, buf, n_keys, err, err_len);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

int
hso_stek_file_rotate(const char *path, unsigned keep, char *err,
		     size_t err_len)
{
	uint8_t buf[(HSO_STEK_FILE_KEYS_MAX + 1) * HSO_STEK_FILE_RECORD_LEN];
	int n, rc;

	if (keep == 0 || keep > HSO_STEK_FILE_KEYS_MAX) {
		set_err(err, err_len, "%s: keep %u not in 1..%u",
			path != NULL ? path : "(null)", keep,
			HSO_STEK_FILE_KEYS_MAX);
		return -EINVAL;
	}
	/* Old records land after the slot of the new one. */
	n = file_read(path, buf + HSO_STEK_FILE_RECORD_LEN, err, err_len);
	if (n < 0) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return n;
	}
	/* A new name that collides with an old one would make the file
	 * unloadable: draw again (probability 2^-128, but cheap). */
	do {
		rc = records_generate(buf, 1);
		for (int i = 1; rc == 0 && i <= n; i++)
			if (memcmp(buf, buf + (size_t)i * HSO_STEK_FILE_RECORD_LEN,
				   HSO_STEK_NAME_LEN) == 0)
				rc = 1;
	} while (rc == 1);
	if (rc != 0)
		set_err(err, err_len, "%s: random generator failed", path);
	else
		rc = file_write_atomic(path, buf,
				       (size_t)n + 1 < keep ? (size_t)n + 1 : keep,
				       err, err_len);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}
