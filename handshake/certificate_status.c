/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CertificateStatus (RFC 6066 8): an OCSP response stapled to the
 * certificate. TLS 1.2 sends it as its own message after Certificate (when
 * the ServerHello carried an empty status_request); TLS 1.3 carries the same
 * structure in the leaf's CertificateEntry (RFC 8446 4.4.2.1).
 *
 *   struct {
 *       CertificateStatusType status_type;      ocsp(1)
 *       select (status_type) {
 *           case ocsp: OCSPResponse;            opaque OCSPResponse<1..2^24-1>
 *       } response;
 *   } CertificateStatus;
 */
#include <errno.h>

#include "hs_err.h"
#include "messages.h"

int
hs_certificate_status_body_write(struct hs_writer *w, const uint8_t *ocsp, size_t len)
{
	struct hs_block_mark r;

	if (ocsp == NULL || len == 0)
		return -EINVAL;
	hs_write_u8(w, HS_STATUS_TYPE_OCSP);
	r = hs_writer_block_begin(w, 3);
	hs_write_bytes(w, ocsp, len);
	hs_writer_block_end(w, r, 0xffffff);
	return w->err ? -ENOBUFS : 0;
}

int
hs_certificate_status_write(struct hs_writer *w, const uint8_t *ocsp, size_t len)
{
	struct hs_block_mark msg;
	int rc;

	msg = hs_msg_begin(w, HS_MT_CERTIFICATE_STATUS);
	rc = hs_certificate_status_body_write(w, ocsp, len);
	if (rc == -EINVAL)
		return rc;
	return hs_msg_end(w, msg);
}

int
hs_certificate_status_parse(const uint8_t *body, size_t len, const uint8_t **ocsp,
			    size_t *ocsp_len)
{
	struct hs_reader r, resp;

	hs_reader_init(&r, body, len);
	/*
	 * Only ocsp(1) is defined for this structure (RFC 6066 8; ocsp_multi
	 * belongs to status_request_v2, RFC 6961, which hso never offers).
	 */
	if (hs_read_u8(&r) != HS_STATUS_TYPE_OCSP ||
	    hs_reader_block(&r, 3, 1, 0xffffff, &resp) != 0 || !hs_reader_done(&r))
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	*ocsp = resp.p;
	*ocsp_len = resp.len;
	return 0;
}
