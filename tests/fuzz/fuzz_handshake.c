/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the input is what a client sends, byte for byte. It
 * goes through record framing, handshake reassembly (in records cut where
 * the input says), ClientHello decoding, every negotiation step, and the
 * ServerHello/HRR writers fed with what was negotiated. ASan and UBSan
 * watch; the target also checks the decoders' own promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client_hello.h"
#include "hs_err.h"
#include "messages.h"
#include "negotiate.h"
#include "record.h"

static void
negotiate(struct hs_client_hello *ch, uint8_t mode)
{
	static uint8_t out[4096];
	struct hs_nego_policy p;
	struct hs_writer w;
	uint16_t version, suite, group, scheme;
	bool hrr;
	struct hs_view key, alpn;
	unsigned certs = 1u + (mode & 7u);

	hs_nego_policy_default(&p);
	p.tls13 = (mode & 8) == 0;
	memcpy(p.alpn, "\x02h2\x08http/1.1", 12);
	p.alpn_len = 12;
	if (hs_nego_version(ch, &p, &version) != 0)
		return;
	if (version == HS_TLS12 && hs_client_hello_parse12(ch) != 0)
		return;
	if (hs_nego_suite(ch, &p, version, certs, &suite) != 0)
		return;
	if (hs_suite_find(suite) == NULL)
		abort();
	hs_nego_sigalg(ch, &p, version, HS_CERT_RSA, &scheme);
	hs_nego_sigalg(ch, &p, version, HS_CERT_ECDSA_P256, &scheme);
	if (hs_nego_alpn(ch, &p, &alpn) == 0 && alpn.len > 0 &&
	    !hs_alpn_has(ch->alpn, alpn.p, alpn.len))
		abort();
	hs_writer_init(&w, out, sizeof(out));
	if (version == HS_TLS13) {
		if (hs_nego_group(ch, &p, version, &group, &hrr, &key) != 0)
			return;
		if (hrr)
			hs_hello_retry_request_write(&w, ch->session_id, suite, group,
						     ch->cookie);
		else
			hs_server_hello_write(&w, &(struct hs_server_hello){
				.version = version, .random = out + 2048,
				.session_id = ch->session_id, .suite = suite,
				.group = group, .key_share = key });
	} else {
		hs_server_hello_write(&w, &(struct hs_server_hello){
			.version = version, .random = out + 2048,
			.session_id = ch->session_id, .suite = suite,
			.ems = ch->has_ems, .reneg_info = true, .alpn = alpn });
	}
	if (w.off > sizeof(out))
		abort();
}

/* A view inside [@p p, @p p + @p len), or empty. */
static void
inside(struct hs_view v, const uint8_t *p, size_t len)
{
	if (v.len > 0 && (v.p < p || v.p + v.len > p + len))
		abort();
}

/* The client engine's parsers, on whatever a server might send. */
static void
client_side(const struct hs_msg *m, uint8_t mode)
{
	const uint8_t *b = m->body;
	size_t n = m->len;

	switch (m->type) {
	case HS_MT_SERVER_HELLO: {
		struct hs_server_hello_in sh;

		if (hs_server_hello_parse(b, n, &sh) == 0) {
			inside(sh.session_id, b, n);
			inside(sh.ks_key, b, n);
			inside(sh.cookie, b, n);
			inside(sh.alpn, b, n);
		}
		break;
	}
	case HS_MT_ENCRYPTED_EXTENSIONS: {
		struct hs_encrypted_extensions_in ee;

		if (hs_encrypted_extensions_parse(b, n, &ee) == 0)
			inside(ee.alpn, b, n);
		break;
	}
	case HS_MT_CERTIFICATE: {
		struct hs_certificate_in ci;

		if (hs_certificate_parse(b, n, mode & 1, &ci) == 0) {
			if (ci.n == 0 || ci.n > ci.n_total)
				abort();
			for (unsigned i = 0; i < ci.n; i++)
				if (ci.len[i] == 0 || ci.der[i] < b || ci.der[i] + ci.len[i] > b + n)
					abort();
			if (ci.ocsp != NULL &&
			    (ci.ocsp_len == 0 || ci.ocsp < b || ci.ocsp + ci.ocsp_len > b + n))
				abort();
		}
		break;
	}
	case HS_MT_CERTIFICATE_STATUS: {
		const uint8_t *o;
		size_t ol;

		if (hs_certificate_status_parse(b, n, &o, &ol) == 0 &&
		    (ol == 0 || o < b || o + ol > b + n))
			abort();
		break;
	}
	case HS_MT_CERTIFICATE_REQUEST:
		hs_certificate_request_parse(b, n, mode & 1);
		break;
	case HS_MT_CERTIFICATE_VERIFY: {
		struct hs_view sig;
		uint16_t scheme;

		if (hs_certificate_verify_parse(b, n, &scheme, &sig) == 0)
			inside(sig, b, n);
		break;
	}
	case HS_MT_SERVER_KEY_EXCHANGE: {
		struct hs_server_key_exchange_in ske;

		if (hs_server_key_exchange_parse(b, n, &ske) == 0) {
			inside(ske.params, b, n);
			inside(ske.point, b, n);
			inside(ske.sig, b, n);
		}
		break;
	}
	case HS_MT_NEW_SESSION_TICKET: {
		struct hs_new_session_ticket_in t;

		if (hs_new_session_ticket_parse(b, n, mode & 1, &t) == 0) {
			inside(t.nonce, b, n);
			inside(t.ticket, b, n);
		}
		break;
	}
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t gather[4 + 16384];
	struct hs_msg_asm a;
	struct hs_record rec;
	size_t off = 1;
	int n;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	hs_msg_asm_init(&a, gather, sizeof(gather));
	while ((n = hs_record_parse(data + off, size - off, HS_RECORD_PLAINTEXT_MAX, &rec)) > 0) {
		struct hs_reader r;
		struct hs_msg m;
		int rc;

		if ((size_t)n > size - off || rec.frag + rec.len > data + size)
			abort();
		off += (size_t)n;
		if (rec.type != HS_CT_HANDSHAKE)
			continue;
		hs_reader_init(&r, rec.frag, rec.len);
		while ((rc = hs_msg_next(&a, &r, &m)) == 1) {
			struct hs_client_hello ch;
			struct hs_view v;

			if (m.len + HS_MSG_HEADER_LEN > sizeof(gather))
				abort();
			client_side(&m, mode);
			if (m.type == HS_MT_CLIENT_KEY_EXCHANGE) {
				hs_client_key_exchange_parse(m.body, m.len, mode & 1, &v);
				continue;
			}
			if (m.type != HS_MT_CLIENT_HELLO)
				continue;
			if (hs_client_hello_parse(m.body, m.len, &ch) != 0)
				continue;
			if (ch.has_psk && ch.psk_binders_off >= m.len)
				abort();
			negotiate(&ch, mode >> 1);
		}
		if (rc < 0)
			break;
	}
	return 0;
}
