/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_STEK_H
#define HSO_CRYPTO_STEK_H

/**
 * @file
 * Session-ticket encryption keys (STEKs) and ticket sealing.
 *
 * A ticket is opaque to the client (RFC 5077 4, RFC 8446 4.6.1); hso makes
 * it
 *
 *     key_name (16) || nonce (12) || AES-256-GCM(state) || tag (16)
 *
 * with the key name as additional data. The name says which key of the set
 * sealed it, so a ticket from a retired key still opens while that key is
 * kept, and an unknown name is reported as -ENOENT: the server then ignores
 * the ticket and does a full handshake ("If the server cannot or does not
 * want to honor the ticket, then it can initiate a full handshake",
 * RFC 5077 3.4). The nonce is random (RAND_bytes) per ticket; with random
 * 96-bit nonces SP 800-38D 8.3 allows 2^32 tickets per key, so keep the
 * lifetime short enough that a key (shared by a whole fleet) never seals
 * that many: at 10^5 tickets/s that is about 12 hours.
 *
 * A key set holds the current key, which seals, and up to N previous keys,
 * which only open. Two ways to get one:
 *
 *  - Generated: hso_stek_set_create() draws a key from the CSPRNG
 *    (RAND_priv_bytes). hso_stek_set_rotate(set, now), called periodically
 *    with the caller's clock (seconds; any epoch, tests drive it), makes a
 *    new current key once the current one is @c lifetime seconds old; the
 *    old one becomes the newest previous key. A previous key is dropped
 *    (and wiped) @c grace seconds after it stopped sealing, or earlier when
 *    more than @c n_prev previous keys would exist. Tickets should not be
 *    advertised (ticket_lifetime, lifetime hint) for longer than the grace.
 *  - Loaded from a key file (below), shared by every server of a fleet so
 *    that any of them opens any other's tickets. The first key of the file
 *    seals, the others only open; they never expire by time and rotate()
 *    leaves them alone: operators rotate the file (hso_stek_file_rotate())
 *    and every server reloads it. Until all have reloaded, a ticket sealed
 *    with the new key by one server is unknown (-ENOENT) to another, which
 *    falls back to a full handshake: harmless, and short if reloads follow
 *    the file promptly.
 *
 * Key file format: a binary file of 1 to HSO_STEK_FILE_KEYS_MAX records of
 * HSO_STEK_FILE_RECORD_LEN (80) bytes, no header:
 *
 *     name (16) || AES-256 key (32) || reserved (32)
 *
 * Record 0 is the current key. Reserved bytes are ignored on reading (they
 * are written random, so an 80-byte `openssl rand 80 > ticket.key` file, as
 * used for nginx's ssl_session_ticket_key, is a valid one-key file; nginx
 * itself reads the bytes differently, so the two do not share tickets).
 * Names must differ. Keep the file mode 0600: it is the fleet's secret.
 *
 * Threads. hso_stek_seal() and hso_stek_open() only read the set: any
 * number of workers may call them at once on one set. Everything that
 * changes a set -- hso_stek_set_rotate(), hso_stek_set_reload(),
 * hso_stek_set_free() -- needs the set to itself: no seal or open may run
 * on it meanwhile. The intended pattern is copy and publish: the control
 * thread keeps the published set read-only, makes a copy with
 * hso_stek_set_dup(), rotates or reloads the copy, publishes the new pointer
 * (atomic store with release ordering; workers load it with acquire at the
 * start of each burst), and frees the old set once every worker has passed
 * a quiescent point (e.g. DPDK's rte_rcu_qsbr). Workers therefore see either
 * the old or the new set, never half of a rotation.
 *
 * Secrets. Key material is wiped (OPENSSL_cleanse) when a key is rotated
 * out or dropped, when a reload replaces it, and when the set is freed.
 * Buffers read from or written to key files are wiped too.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto_sym.h"

#define HSO_STEK_NAME_LEN 16
#define HSO_STEK_KEY_LEN 32                     /**< AES-256 */
#define HSO_STEK_NONCE_LEN HSO_AEAD_NONCE_LEN   /**< 12 */
#define HSO_STEK_TAG_LEN HSO_AEAD_TAG_LEN       /**< 16 */
/** Bytes a ticket adds to the sealed state: name + nonce + tag = 44. */
#define HSO_STEK_OVERHEAD \
	(HSO_STEK_NAME_LEN + HSO_STEK_NONCE_LEN + HSO_STEK_TAG_LEN)
/** Longest ticket: "opaque ticket<1..2^16-1>" (RFC 8446 4.6.1, RFC 5077 3.3). */
#define HSO_STEK_TICKET_MAX 65535u
/** Longest state that fits a ticket: 65535 - 44 = 65491. */
#define HSO_STEK_PLAINTEXT_MAX (HSO_STEK_TICKET_MAX - HSO_STEK_OVERHEAD)

/** Previous keys kept by default, and at most. */
#define HSO_STEK_PREV_DEFAULT 2u
#define HSO_STEK_PREV_MAX 8u
/** Default lifetime of the current key and grace of a retired one, seconds. */
#define HSO_STEK_LIFETIME_DEFAULT 3600u
#define HSO_STEK_GRACE_DEFAULT 7200u

/** Key file: reserved bytes per record, the record, and records per file. */
#define HSO_STEK_FILE_RESERVED_LEN 32
#define HSO_STEK_FILE_RECORD_LEN \
	(HSO_STEK_NAME_LEN + HSO_STEK_KEY_LEN + HSO_STEK_FILE_RESERVED_LEN)
#define HSO_STEK_FILE_KEYS_MAX (1u + HSO_STEK_PREV_MAX)
/** A size for the @c err buffers below that fits every message. */
#define HSO_STEK_ERR_LEN 512

/** Rotation policy of generated keys. */
struct hso_stek_config {
	uint64_t lifetime;  /**< seconds the current key seals; > 0 */
	uint64_t grace;     /**< seconds a retired key still opens */
	unsigned n_prev;    /**< previous keys kept, 0..HSO_STEK_PREV_MAX */
};

struct hso_stek_set;

/** Fill @p cfg with the defaults (1 h lifetime, 2 h grace, 2 previous). */
void hso_stek_config_default(struct hso_stek_config *cfg);

/**
 * A set with one freshly generated current key.
 *
 * @param cfg  rotation policy, or NULL for the defaults (copied)
 * @param now  the caller's clock in seconds: the key's creation time
 * @return the set; NULL with errno EINVAL (bad @p cfg), ENOMEM, or EIO
 *         (the CSPRNG failed).
 */
struct hso_stek_set *hso_stek_set_create(const struct hso_stek_config *cfg,
					 uint64_t now);

/**
 * A set loaded from a key file (format above).
 *
 * @param path     key file
 * @param cfg      kept for hso_stek_set_dup(); NULL for the defaults
 * @param now      the caller's clock (recorded, no effect on file keys)
 * @param err      receives a message naming @p path and what is wrong
 *                 (may be NULL); HSO_STEK_ERR_LEN bytes are enough
 * @return the set; NULL with errno: the open(2)/read(2) error (ENOENT,
 *         EACCES, ...) when the file cannot be read, EINVAL when it is
 *         empty, not a multiple of 80 bytes, has more than
 *         HSO_STEK_FILE_KEYS_MAX keys or two keys with the same name, or
 *         is not a regular file; ENOMEM.
 */
struct hso_stek_set *hso_stek_set_load(const char *path,
				       const struct hso_stek_config *cfg,
				       uint64_t now, char *err, size_t err_len);

/**
 * Replace the keys of @p set with those of @p path, all or nothing: on any
 * error @p set is unchanged. The old keys are wiped. Needs @p set to itself
 * (see Threads).
 *
 * @return 0, or -errno as hso_stek_set_load() sets errno.
 */
int hso_stek_set_reload(struct hso_stek_set *set, const char *path,
			uint64_t now, char *err, size_t err_len);

/**
 * An independent copy (keys and policy) for copy-and-publish updates.
 * @return the copy; NULL with errno ENOMEM or EINVAL.
 */
struct hso_stek_set *hso_stek_set_dup(const struct hso_stek_set *set);

/** Wipe every key and free. NULL is fine. */
void hso_stek_set_free(struct hso_stek_set *set);

/**
 * Apply the time policy at @p now: drop previous keys past their grace and,
 * for a generated set whose current key reached its lifetime, promote a new
 * random key. A clock that went backwards changes nothing. File-loaded sets
 * are never rotated by time.
 *
 * @return 1 when a new key was promoted, 0 when not; -EIO when the CSPRNG
 *         failed (the set is then unchanged); -EINVAL.
 */
int hso_stek_set_rotate(struct hso_stek_set *set, uint64_t now);

/** Keys in the set (current + previous). */
unsigned hso_stek_set_count(const struct hso_stek_set *set);

/** Copy the current key's name (HSO_STEK_NAME_LEN bytes) to @p name. */
void hso_stek_set_current_name(const struct hso_stek_set *set, uint8_t *name);

/**
 * Copy key @p i's name (0: the current key, which seals; then the previous
 * keys, newest first, as in the key file) to @p name. Names are not secret
 * (every ticket carries its key's name in the clear): logs may print them.
 * @return 0; -ENOENT when the set has no key @p i.
 */
int hso_stek_set_name(const struct hso_stek_set *set, unsigned i, uint8_t *name);

/**
 * Seal @p len bytes of session state into a ticket with the current key.
 *
 * @param in       state; in place when @p in == @p out + 28 (name + nonce),
 *                 otherwise must not overlap @p out
 * @param out      receives the ticket, @p len + HSO_STEK_OVERHEAD bytes
 * @return ticket length; -EMSGSIZE when @p len > HSO_STEK_PLAINTEXT_MAX;
 *         -ENOBUFS when @p out_cap is too small; -EIO when RAND_bytes
 *         failed; -EINVAL.
 */
int hso_stek_seal(const struct hso_stek_set *set, const uint8_t *in,
		  size_t len, uint8_t *out, size_t out_cap);

/**
 * Open a ticket sealed by this set (or by any set holding the same keys).
 *
 * @param out      receives the state (@p len - 44 bytes); in place when
 *                 @p out == @p ticket + 28. Wiped on failure.
 * @param renew    if not NULL, set to true when the ticket opened with a
 *                 previous key: the server should send a fresh ticket
 * @return state length; -ENOENT when no key of the set has the ticket's
 *         name (full handshake); -EBADMSG when the ticket is too short or
 *         fails authentication (also: full handshake); -ENOBUFS; -EINVAL.
 */
int hso_stek_open(const struct hso_stek_set *set, const uint8_t *ticket,
		  size_t len, uint8_t *out, size_t out_cap, bool *renew);

/**
 * Write a new key file of @p n_keys random keys (record 0 current),
 * atomically: a temporary file in the same directory, mode 0600, fsync,
 * then rename over @p path.
 *
 * @return 0; -EINVAL when @p n_keys is 0 or over HSO_STEK_FILE_KEYS_MAX;
 *         -EIO when the CSPRNG failed; -errno of the failing system call,
 *         with a message in @p err.
 */
int hso_stek_file_write(const char *path, unsigned n_keys, char *err,
			size_t err_len);

/**
 * Rotate a key file in place, atomically as above: a new random key becomes
 * record 0 (current), the old records follow, and the file keeps its first
 * @p keep records.
 *
 * @param keep   records kept, 1..HSO_STEK_FILE_KEYS_MAX
 * @return 0; -EINVAL for a bad @p keep or a bad existing file (message in
 *         @p err); the load errors of hso_stek_set_load() as -errno;
 *         errors as hso_stek_file_write().
 */
int hso_stek_file_rotate(const char *path, unsigned keep, char *err,
			 size_t err_len);

/**
 * Test hook: when set, called with every region of key memory right after
 * it was wiped (a rotated-out key, a reloaded set's old keys, the whole set
 * before free), so a test can check it is all zeros. Not thread-safe; for
 * tests only. NULL disables.
 */
void hso_stek_test_wipe_hook(void (*hook)(const void *mem, size_t len));

#endif
