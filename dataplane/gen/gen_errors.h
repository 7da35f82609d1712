/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_GEN_ERRORS_H
#define HSO_GEN_ERRORS_H

/**
 * @file
 * The kinds of errors hso-gen counts, declared once: the enum, the JSON
 * keys ("errors" object) and their documentation (--help, README).
 */

/* X(name, meaning) */
#define GEN_ERRORS(X)                                                              \
	X(refused, "the target answered our SYN with a RST")                       \
	X(connect_timeout, "no SYN-ACK: SYN retries or --timeout ran out")         \
	X(reset, "RST after the connection was up, before we were done")          \
	X(closed, "the server closed (FIN) before we were done")                   \
	X(tls_alert, "the server sent a fatal TLS alert")                          \
	X(tls_error, "the handshake failed on our side (we sent the alert)")       \
	X(timeout, "not done within --timeout of its start")                       \
	X(http, "the response was not HTTP, or its status not 2xx/3xx")            \
	X(no_port, "no free source address and port, or no TCP slot")              \
	X(overload, "open loop: arrival dropped, --max-inflight busy and backlog full") \
	X(hold_lost, "a held connection was closed by the server")

#define GEN_ERR_ENUM(name, doc) GEN_ERR_##name,
enum gen_err { GEN_ERRORS(GEN_ERR_ENUM) GEN_ERR_NUM };
#undef GEN_ERR_ENUM

/** JSON key of an error kind ("refused", ...). */
const char *gen_err_name(enum gen_err e);
/** What it means (for --help and the README). */
const char *gen_err_doc(enum gen_err e);

#endif
