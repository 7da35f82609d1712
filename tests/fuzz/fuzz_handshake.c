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
negotiate(const struct hs_client_hello *ch, uint8_t mode)
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
