/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_TICKET_H
#define HSO_HANDSHAKE_TICKET_H

/**
 * @file
 * What a session ticket carries (opaque to the client, RFC 5077 4 and
 * RFC 8446 4.6.1), and its sealing under the config's STEK set
 * (crypto_stek.h). Plaintext layout, version 1:
 *
 *   fmt(1)=1 version(2) suite(2) issued_ms(8) lifetime_s(4) age_add(4)
 *   ems(1) secret_len(1) secret(<=48) sni_len(1) sni alpn_len(1) alpn
 *
 * The secret is the TLS 1.3 resumption PSK or the TLS 1.2 master secret.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handshake.h"

#define HS_TICKET_STATE_MAX (1 + 2 + 2 + 8 + 4 + 4 + 1 + 1 + 48 + 1 + 255 + 1 + 255)
/** A sealed ticket: name (16) + nonce (12) + state + tag (16). */
#define HS_TICKET_MAX (16 + 12 + HS_TICKET_STATE_MAX + 16)

struct hs_ticket {
	uint16_t version;
	uint16_t suite;
	uint64_t issued_ms;
	uint32_t lifetime;
	uint32_t age_add;
	bool ems;
	uint8_t secret_len;
	uint8_t secret[48];
	uint8_t sni_len;
	char sni[HS_SNI_MAX + 1];
	uint8_t alpn_len;
	uint8_t alpn[255];
};

/**
 * Seal @p t into @p out.
 * @return ticket length; -ENOENT without a STEK set; -ENOBUFS; -EIO.
 */
int hs_ticket_seal(const struct hs_config *cfg, const struct hs_ticket *t,
		   uint8_t *out, size_t cap);

/**
 * Open and decode a ticket, then check it is still valid at @p now_ms.
 * @return 0; -ENOENT for an unknown key (or no STEK set); -EBADMSG when it
 *         does not authenticate or decode; -ETIMEDOUT when expired or
 *         issued in the future. On failure @p t is wiped.
 */
int hs_ticket_open(const struct hs_config *cfg, const uint8_t *in, size_t len,
		   uint64_t now_ms, struct hs_ticket *t);

/** Wipe @p t. */
void hs_ticket_wipe(struct hs_ticket *t);

#endif
