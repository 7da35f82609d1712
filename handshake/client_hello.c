/* SPDX-License-Identifier: BSD-3-Clause */
/* ClientHello decoding (client_hello.h) and encoding (messages.h). */
#include "client_hello.h"

#include <errno.h>
#include <string.h>

#include "codec.h"
#include "hs_err.h"
#include "messages.h"
#include "negotiate.h"

#define DECODE_ERROR HS_ERR_ALERT(HS_ALERT_DECODE_ERROR)
#define ILLEGAL_PARAMETER HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER)

/*
 * A set of u16 codes, for the duplicate checks: the first few in a small
 * array (real clients send 10 to 20 extensions, 1 to 3 key shares), then a
 * map of all 2^16 codes, cleared only when a hello carries that many (RFC
 * 8446 4.2 lets it carry thousands; each is looked at once).
 */
#define SEEN_SMALL 32
struct u16_seen {
	unsigned n;
	uint16_t small[SEEN_SMALL];
	uint64_t map[65536 / 64];
};

/* Add @p x to the set; false when it was there already. */
static bool
seen_add(struct u16_seen *s, uint16_t x)
{
	if (s->n < SEEN_SMALL) {
		for (unsigned i = 0; i < s->n; i++)
			if (s->small[i] == x)
				return false;
		s->small[s->n++] = x;
		return true;
	}
	if (s->n == SEEN_SMALL) {
		memset(s->map, 0, sizeof(s->map));
		for (unsigned i = 0; i < SEEN_SMALL; i++)
			s->map[s->small[i] >> 6] |= 1ull << (s->small[i] & 63);
		s->n++;
	}
	if (s->map[x >> 6] & (1ull << (x & 63)))
		return false;
	s->map[x >> 6] |= 1ull << (x & 63);
	return true;
}

static struct hs_view
view_of(const struct hs_reader *r)
{
	return (struct hs_view){ .p = r->p, .len = (uint16_t)r->len };
}

/* A vector of u16 values: <min..max> bytes, even length. */
static int
parse_u16_list(struct hs_reader *ext, unsigned width, size_t min, size_t max,
	       struct hs_view *out)
{
	struct hs_reader l;

	if (hs_reader_block(ext, width, min, max, &l) != 0 || (l.len & 1) != 0)
		return DECODE_ERROR;
	*out = view_of(&l);
	return 0;
}

/*
 * RFC 6066 3: "HostName contains the fully qualified DNS hostname of the
 * server ... represented as a byte string using ASCII encoding": letters,
 * digits, '-' and '.' (RFC 1123 2.1; internationalized names as A-labels),
 * and '_', which real names carry. A NUL, a control character, a space or a
 * byte above 0x7f cannot be in one: illegal_parameter (RFC 8446 6.2, "a
 * field in the handshake was incorrect").
 */
static bool
dns_name_ok(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

/* RFC 6066 3: ServerNameList server_name_list<1..2^16-1>. */
static int
parse_sni(struct hs_reader *ext, struct hs_client_hello *ch)
{
	struct hs_reader list, name;
	bool have_host = false;

	if (hs_reader_block(ext, 2, 1, 0xffff, &list) != 0)
		return DECODE_ERROR;
	while (hs_reader_left(&list) > 0) {
		uint8_t type = hs_read_u8(&list);

		if (hs_reader_block(&list, 2, 1, 0xffff, &name) != 0)
			return DECODE_ERROR;
		if (type != 0)
			continue;       /* unknown NameType: not ours to judge */
		/*
		 * RFC 6066 3: "The ServerNameList MUST NOT contain more than
		 * one name of the same name_type."
		 */
		if (have_host)
			return ILLEGAL_PARAMETER;
		have_host = true;
		if (name.len > HS_SNI_MAX || !dns_name_ok(name.p, name.len))
			return ILLEGAL_PARAMETER;
		ch->sni = view_of(&name);
	}
	ch->has_sni = have_host;
	return 0;
}

/* RFC 7301 3.1: ProtocolName protocol_name_list<2..2^16-1>, names <1..2^8-1>. */
static int
parse_alpn(struct hs_reader *ext, struct hs_client_hello *ch)
{
	struct hs_reader list, name;

	if (hs_reader_block(ext, 2, 2, 0xffff, &list) != 0)
		return DECODE_ERROR;
	ch->alpn = view_of(&list);
	while (hs_reader_left(&list) > 0)
		if (hs_reader_block(&list, 1, 1, 255, &name) != 0)
			return DECODE_ERROR;
	return 0;
}

/*
 * RFC 8446 4.2.8: KeyShareEntry client_shares<0..2^16-1>. Only the framing
 * is checked: a share of a group hso does not implement is skipped whatever
 * its length or content; negotiation looks only for its own groups.
 */
static int
parse_key_share(struct hs_reader *ext, struct hs_client_hello *ch)
{
	struct hs_reader list, key;
	struct u16_seen seen;

	seen.n = 0;
	if (hs_reader_block(ext, 2, 0, 0xffff, &list) != 0)
		return DECODE_ERROR;
	ch->key_shares = view_of(&list);
	while (hs_reader_left(&list) > 0) {
		uint16_t group = hs_read_u16(&list);

		/* opaque key_exchange<1..2^16-1>; */
		if (hs_reader_block(&list, 2, 1, 0xffff, &key) != 0)
			return DECODE_ERROR;
		/*
		 * RFC 8446 4.2.8: "Clients MUST NOT offer multiple
		 * KeyShareEntry values for the same group."
		 */
		if (!seen_add(&seen, group))
			return ILLEGAL_PARAMETER;
	}
	return 0;
}

/* RFC 8446 4.2.11: OfferedPsks; binders_off is relative to @p body. */
static int
parse_psk(struct hs_reader *ext, const uint8_t *body, struct hs_client_hello *ch)
{
	struct hs_reader ids, binders, v;
	unsigned n_ids = 0, n_binders = 0;

	if (hs_reader_block(ext, 2, 7, 0xffff, &ids) != 0)
		return DECODE_ERROR;
	while (hs_reader_left(&ids) > 0) {
		if (hs_reader_block(&ids, 2, 1, 0xffff, &v) != 0)
			return DECODE_ERROR;
		hs_read_u32(&ids);      /* obfuscated_ticket_age */
		if (ids.err)
			return DECODE_ERROR;
		n_ids++;
	}
	ch->psk_binders_off = (size_t)(ext->p + ext->off - body);
	if (hs_reader_block(ext, 2, 33, 0xffff, &binders) != 0)
		return DECODE_ERROR;
	while (hs_reader_left(&binders) > 0) {
		if (hs_reader_block(&binders, 1, 32, 255, &v) != 0)
			return DECODE_ERROR;
		n_binders++;
	}
	/*
	 * RFC 8446 4.2.11: there must be one binder per identity; a server
	 * that finds otherwise aborts with illegal_parameter.
	 */
	if (n_ids != n_binders)
		return ILLEGAL_PARAMETER;
	ch->psk_identities = view_of(&ids);
	ch->psk_binders = view_of(&binders);
	return 0;
}

/*
 * RFC 6066 8: CertificateStatusRequest { CertificateStatusType status_type;
 * OCSPStatusRequest request; } with OCSPStatusRequest { ResponderID
 * responder_id_list<0..2^16-1>; Extensions request_extensions; }, ResponderID
 * opaque<1..2^16-1>, Extensions opaque<0..2^16-1>. hso staples the one
 * response it holds, so the lists are only checked for form. A status_type
 * other than ocsp(1) (a later one) is skipped whole: nothing stapled.
 */
static int
parse_status_request(struct hs_reader *ext, struct hs_client_hello *ch)
{
	struct hs_reader ids, id, req_exts;
	uint8_t type = hs_read_u8(ext);

	if (ext->err)
		return DECODE_ERROR;
	if (type != 1) {
		hs_read_bytes(ext, hs_reader_left(ext));
		return 0;
	}
	if (hs_reader_block(ext, 2, 0, 0xffff, &ids) != 0)
		return DECODE_ERROR;
	while (hs_reader_left(&ids) > 0)
		if (hs_reader_block(&ids, 2, 1, 0xffff, &id) != 0)
			return DECODE_ERROR;
	if (hs_reader_block(ext, 2, 0, 0xffff, &req_exts) != 0)
		return DECODE_ERROR;
	ch->status_ocsp = true;
	return 0;
}

/* Decode one extension body into @p ch; @p ext must be consumed exactly. */
static int
parse_extension(uint16_t type, struct hs_reader *ext, const uint8_t *body,
		struct hs_client_hello *ch)
{
	struct hs_reader v;
	int rc = 0;

	switch (type) {
	case HS_EXT_SERVER_NAME:
		rc = parse_sni(ext, ch);
		break;
	case HS_EXT_STATUS_REQUEST:
		rc = parse_status_request(ext, ch);
		break;
	case HS_EXT_SUPPORTED_GROUPS:
		ch->has_groups = true;
		rc = parse_u16_list(ext, 2, 2, 0xffff, &ch->groups);
		break;
	case HS_EXT_SIGNATURE_ALGORITHMS:
		ch->has_sigalgs = true;
		rc = parse_u16_list(ext, 2, 2, 0xfffe, &ch->sigalgs);
		break;
	case HS_EXT_SIGNATURE_ALGORITHMS_CERT:
		ch->has_sigalgs_cert = true;
		rc = parse_u16_list(ext, 2, 2, 0xfffe, &ch->sigalgs_cert);
		break;
	case HS_EXT_ALPN:
		ch->has_alpn = true;
		rc = parse_alpn(ext, ch);
		break;
	case HS_EXT_SUPPORTED_VERSIONS:
		ch->has_versions = true;
		rc = parse_u16_list(ext, 1, 2, 254, &ch->versions);
		break;
	case HS_EXT_KEY_SHARE:
		ch->has_key_share = true;
		rc = parse_key_share(ext, ch);
		break;
	case HS_EXT_PSK_KEY_EXCHANGE_MODES:
		ch->has_psk_modes = true;
		if (hs_reader_block(ext, 1, 1, 255, &v) != 0)
			return DECODE_ERROR;
		ch->psk_modes = view_of(&v);
		break;
	case HS_EXT_PRE_SHARED_KEY:
		ch->has_psk = true;
		rc = parse_psk(ext, body, ch);
		break;
	case HS_EXT_EXTENDED_MASTER_SECRET:
		/* TLS 1.2 only: its emptiness is checked by hs_client_hello_parse12(). */
		ch->has_ems = true;
		ch->ems_ext_len = (uint16_t)ext->len;
		hs_read_bytes(ext, ext->len);
		break;
	case HS_EXT_SESSION_TICKET:
		ch->has_ticket = true;
		ch->ticket = (struct hs_view){ .p = ext->p, .len = (uint16_t)ext->len };
		hs_read_bytes(ext, ext->len);
		break;
	case HS_EXT_RENEGOTIATION_INFO:
		/* TLS 1.2 only: decoded by hs_client_hello_parse12(). */
		ch->has_reneg_info = true;
		ch->reneg_info_ext = view_of(ext);
		hs_read_bytes(ext, ext->len);
		break;
	case HS_EXT_COOKIE:
		ch->has_cookie = true;
		if (hs_reader_block(ext, 2, 1, 0xffff, &v) != 0)
			return DECODE_ERROR;
		ch->cookie = view_of(&v);
		break;
	case HS_EXT_EARLY_DATA:
		ch->has_early_data = true;      /* empty in a ClientHello */
		break;
	case HS_EXT_EC_POINT_FORMATS:
		/* TLS 1.2 only (RFC 8446 4.2.7 has no point formats). */
		ch->has_ec_point_formats = true;
		ch->ec_point_formats_ext = view_of(ext);
		hs_read_bytes(ext, ext->len);
		break;
	case HS_EXT_RECORD_SIZE_LIMIT:
		ch->has_record_size_limit = true;
		ch->record_size_limit = hs_read_u16(ext);
		/*
		 * RFC 8449 4: a value below 64 "MUST" be treated "as a fatal
		 * error and generate an illegal_parameter alert".
		 */
		if (!ext->err && ch->record_size_limit < 64)
			return ILLEGAL_PARAMETER;
		break;
	default:
		/* Not acted on: skipped whole, form unchecked (RFC 8446 4.2). */
		hs_read_bytes(ext, ext->len);
		break;
	}
	if (rc != 0)
		return rc;
	return hs_reader_done(ext) ? 0 : DECODE_ERROR;
}

int
hs_client_hello_parse(const uint8_t *body, size_t len, struct hs_client_hello *ch)
{
	struct hs_reader r, v, exts, ext;
	struct u16_seen seen;
	int rc;

	memset(ch, 0, sizeof(*ch));
	seen.n = 0;
	hs_reader_init(&r, body, len);
	ch->legacy_version = hs_read_u16(&r);
	ch->random = hs_read_bytes(&r, 32);
	if (hs_reader_block(&r, 1, 0, 32, &v) != 0)
		return DECODE_ERROR;
	ch->session_id = view_of(&v);
	/* CipherSuite cipher_suites<2..2^16-2>; */
	if (hs_reader_block(&r, 2, 2, 0xfffe, &v) != 0 || (v.len & 1) != 0)
		return DECODE_ERROR;
	ch->cipher_suites = view_of(&v);
	/* opaque legacy_compression_methods<1..2^8-1>; */
	if (hs_reader_block(&r, 1, 1, 255, &v) != 0)
		return DECODE_ERROR;
	ch->compression_count = (uint8_t)v.len;
	ch->null_compression = memchr(v.p, 0, v.len) != NULL;
	if (hs_reader_left(&r) == 0)
		return r.err ? DECODE_ERROR : 0;   /* TLS 1.2 without extensions */

	ch->has_extensions = true;
	if (hs_reader_block(&r, 2, 0, 0xffff, &exts) != 0 || !hs_reader_done(&r))
		return DECODE_ERROR;
	while (hs_reader_left(&exts) > 0) {
		uint16_t type = hs_read_u16(&exts);

		if (hs_reader_block(&exts, 2, 0, 0xffff, &ext) != 0)
			return DECODE_ERROR;
		/*
		 * RFC 8446 4.2: "There MUST NOT be more than one extension of
		 * the same type in a given extension block." Any number of
		 * distinct ones is fine, known or not.
		 */
		if (!seen_add(&seen, type))
			return ILLEGAL_PARAMETER;
		ch->ext_count++;
		/*
		 * RFC 8446 4.2.11: "The "pre_shared_key" extension MUST be the
		 * last extension in the ClientHello ... Servers MUST check that
		 * it is the last extension and otherwise fail the handshake
		 * with an "illegal_parameter" alert."
		 */
		if (ch->has_psk)
			return ILLEGAL_PARAMETER;
		rc = parse_extension(type, &ext, body, ch);
		if (rc != 0)
			return rc;
	}
	return hs_reader_done(&exts) ? 0 : DECODE_ERROR;
}

int
hs_client_hello_parse12(struct hs_client_hello *ch)
{
	struct hs_reader r, v;

	if (ch->has_ec_point_formats) {
		/* RFC 8422 5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>. */
		hs_reader_init(&r, ch->ec_point_formats_ext.p, ch->ec_point_formats_ext.len);
		if (hs_reader_block(&r, 1, 1, 255, &v) != 0 || !hs_reader_done(&r))
			return DECODE_ERROR;
		ch->uncompressed_points = memchr(v.p, 0, v.len) != NULL;
		/*
		 * RFC 8422 5.1.2: a client that lists curves and not the
		 * uncompressed format: "the server MUST abort the handshake and
		 * return an illegal_parameter alert".
		 */
		if (!ch->uncompressed_points && ch->has_groups)
			return ILLEGAL_PARAMETER;
	}
	/* RFC 7627 5.1: "The extension_data field of this extension is empty." */
	if (ch->has_ems && ch->ems_ext_len != 0)
		return DECODE_ERROR;
	if (ch->has_reneg_info) {
		/* RFC 5746 3.2: opaque renegotiated_connection<0..255>. */
		hs_reader_init(&r, ch->reneg_info_ext.p, ch->reneg_info_ext.len);
		if (hs_reader_block(&r, 1, 0, 255, &v) != 0 || !hs_reader_done(&r))
			return DECODE_ERROR;
		ch->reneg_info = view_of(&v);
	}
	return 0;
}

bool
hs_view_has_u16(struct hs_view v, uint16_t x)
{
	for (size_t i = 0; i + 1 < v.len; i += 2)
		if ((uint16_t)(v.p[i] << 8 | v.p[i + 1]) == x)
			return true;
	return false;
}

int
hs_key_share_next(struct hs_view shares, size_t *off, uint16_t *group,
		  struct hs_view *key)
{
	size_t klen;

	/* Entries were checked at parse time; still never read past the end. */
	if (*off + 4 > shares.len)
		return 0;
	*group = (uint16_t)(shares.p[*off] << 8 | shares.p[*off + 1]);
	klen = (size_t)shares.p[*off + 2] << 8 | shares.p[*off + 3];
	if (*off + 4 + klen > shares.len)
		return 0;
	key->p = shares.p + *off + 4;
	key->len = (uint16_t)klen;
	*off += 4 + klen;
	return 1;
}

const uint8_t *
hs_alpn_find(struct hs_view alpn, const uint8_t *proto, size_t len)
{
	size_t off = 0;

	while (off < alpn.len) {
		size_t n = alpn.p[off];

		if (off + 1 + n > alpn.len)
			return NULL;
		if (n == len && memcmp(alpn.p + off + 1, proto, len) == 0)
			return alpn.p + off + 1;
		off += 1 + n;
	}
	return NULL;
}

bool
hs_alpn_has(struct hs_view alpn, const uint8_t *proto, size_t len)
{
	return hs_alpn_find(alpn, proto, len) != NULL;
}

/* ------------------------------------------------------------------ */
/* ClientHello encoding (the client engine's first flight)            */
/* ------------------------------------------------------------------ */

static struct hs_block_mark
ext_open(struct hs_writer *w, uint16_t type)
{
	hs_write_u16(w, type);
	return hs_writer_block_begin(w, 2);
}

static void
write_u16_list(struct hs_writer *w, unsigned width, const uint16_t *v, unsigned n,
	       size_t max)
{
	struct hs_block_mark l = hs_writer_block_begin(w, width);

	for (unsigned i = 0; i < n; i++)
		hs_write_u16(w, v[i]);
	hs_writer_block_end(w, l, max);
}

int
hs_client_hello_write(struct hs_writer *w, const struct hs_client_hello_out *ch,
		      size_t *binders_at)
{
	struct hs_block_mark msg, exts, e, l, n;
	size_t start = w->off;

	if (ch->random == NULL || ch->session_id.len > 32 || ch->n_suites == 0 ||
	    (!ch->tls12 && !ch->tls13) || ch->sni.len > HS_SNI_MAX)
		return -EINVAL;
	msg = hs_msg_begin(w, HS_MT_CLIENT_HELLO);
	/* RFC 8446 4.1.2: legacy_version = 0x0303 also when offering TLS 1.3. */
	hs_write_u16(w, HS_TLS12);
	hs_write_bytes(w, ch->random, 32);
	hs_write_u8(w, (uint8_t)ch->session_id.len);
	hs_write_bytes(w, ch->session_id.p, ch->session_id.len);
	write_u16_list(w, 2, ch->suites, ch->n_suites, 0xfffe);
	hs_write_u8(w, 1);
	hs_write_u8(w, 0);              /* compression: null only */
	exts = hs_writer_block_begin(w, 2);
	if (ch->sni.len > 0) {
		/* RFC 6066 3: one host_name entry. */
		e = ext_open(w, HS_EXT_SERVER_NAME);
		l = hs_writer_block_begin(w, 2);
		hs_write_u8(w, 0);      /* host_name */
		n = hs_writer_block_begin(w, 2);
		hs_write_bytes(w, ch->sni.p, ch->sni.len);
		hs_writer_block_end(w, n, 0xffff);
		hs_writer_block_end(w, l, 0xffff);
		hs_writer_block_end(w, e, 0xffff);
	}
	if (ch->status_request) {
		/* RFC 6066 8: ocsp(1), no responder ids, no request extensions. */
		e = ext_open(w, HS_EXT_STATUS_REQUEST);
		hs_write_u8(w, 1);
		hs_write_u16(w, 0);
		hs_write_u16(w, 0);
		hs_writer_block_end(w, e, 0xffff);
	}
	if (ch->ec_point_formats) {
		e = ext_open(w, HS_EXT_EC_POINT_FORMATS);
		hs_write_u8(w, 1);
		hs_write_u8(w, 0);      /* uncompressed */
		hs_writer_block_end(w, e, 0xffff);
	}
	if (ch->n_groups > 0) {
		e = ext_open(w, HS_EXT_SUPPORTED_GROUPS);
		write_u16_list(w, 2, ch->groups, ch->n_groups, 0xffff);
		hs_writer_block_end(w, e, 0xffff);
	}
	if (ch->ticket_ext) {
		e = ext_open(w, HS_EXT_SESSION_TICKET);
		hs_write_bytes(w, ch->ticket.p, ch->ticket.len);
		hs_writer_block_end(w, e, 0xffff);
	}
	if (ch->alpn.len > 0) {
		e = ext_open(w, HS_EXT_ALPN);
		l = hs_writer_block_begin(w, 2);
		hs_write_bytes(w, ch->alpn.p, ch->alpn.len);
		hs_writer_block_end(w, l, 0xffff);
		hs_writer_block_end(w, e, 0xffff);
	}
	if (ch->ems) {
		e = ext_open(w, HS_EXT_EXTENDED_MASTER_SECRET);
		hs_writer_block_end(w, e, 0);
	}
	if (ch->n_sigalgs > 0) {
		e = ext_open(w, HS_EXT_SIGNATURE_ALGORITHMS);
		write_u16_list(w, 2, ch->sigalgs, ch->n_sigalgs, 0xfffe);
		hs_writer_block_end(w, e, 0xffff);
	}
	if (ch->tls13) {
		e = ext_open(w, HS_EXT_SUPPORTED_VERSIONS);
		l = hs_writer_block_begin(w, 1);
		hs_write_u16(w, HS_TLS13);
		if (ch->tls12)
			hs_write_u16(w, HS_TLS12);
		hs_writer_block_end(w, l, 254);
		hs_writer_block_end(w, e, 0xffff);
		if (ch->cookie.len > 0) {
			e = ext_open(w, HS_EXT_COOKIE);
			l = hs_writer_block_begin(w, 2);
			hs_write_bytes(w, ch->cookie.p, ch->cookie.len);
			hs_writer_block_end(w, l, 0xffff);
			hs_writer_block_end(w, e, 0xffff);
		}
		if (ch->psk_modes != 0) {
			e = ext_open(w, HS_EXT_PSK_KEY_EXCHANGE_MODES);
			l = hs_writer_block_begin(w, 1);
			if (ch->psk_modes & 2)
				hs_write_u8(w, 1);      /* psk_dhe_ke */
			if (ch->psk_modes & 1)
				hs_write_u8(w, 0);      /* psk_ke */
			hs_writer_block_end(w, l, 255);
			hs_writer_block_end(w, e, 0xffff);
		}
		e = ext_open(w, HS_EXT_KEY_SHARE);
		l = hs_writer_block_begin(w, 2);
		for (unsigned i = 0; i < ch->n_shares; i++) {
			hs_write_u16(w, ch->shares[i].group);
			n = hs_writer_block_begin(w, 2);
			hs_write_bytes(w, ch->shares[i].key.p, ch->shares[i].key.len);
			hs_writer_block_end(w, n, 0xffff);
		}
		hs_writer_block_end(w, l, 0xffff);
		hs_writer_block_end(w, e, 0xffff);
	}
	if (ch->reneg_info) {
		/* RFC 5746 3.4: empty renegotiated_connection on the first handshake. */
		e = ext_open(w, HS_EXT_RENEGOTIATION_INFO);
		hs_write_u8(w, 0);
		hs_writer_block_end(w, e, 0xffff);
	}
	if (ch->tls13 && ch->psk_identity.len > 0) {
		/* RFC 8446 4.2.11: pre_shared_key "MUST be the last extension". */
		if (ch->binder_len < 32 || binders_at == NULL)
			return -EINVAL;
		e = ext_open(w, HS_EXT_PRE_SHARED_KEY);
		l = hs_writer_block_begin(w, 2);
		n = hs_writer_block_begin(w, 2);
		hs_write_bytes(w, ch->psk_identity.p, ch->psk_identity.len);
		hs_writer_block_end(w, n, 0xffff);
		hs_write_uint(w, ch->obfuscated_age, 4);
		hs_writer_block_end(w, l, 0xffff);
		*binders_at = w->off - start;
		l = hs_writer_block_begin(w, 2);
		hs_write_u8(w, ch->binder_len);
		if (hs_write_reserve(w, ch->binder_len) != NULL)
			memset(w->p + w->off - ch->binder_len, 0, ch->binder_len);
		hs_writer_block_end(w, l, 0xffff);
		hs_writer_block_end(w, e, 0xffff);
	}
	hs_writer_block_end(w, exts, 0xffff);
	return hs_msg_end(w, msg);
}
