/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_GEN_CONFIG_H
#define HSO_GEN_CONFIG_H

/**
 * @file
 * hso-gen's configuration: the flags after EAL's "--" (or the same keys
 * in a --config INI file), every one checked, and their combinations,
 * before EAL starts, errors naming the flag or the file's key.
 * gen_config_usage() documents every flag and key.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gen_impair.h"
#include "gen_load.h"
#include "negotiate.h"

#define GEN_ERR_LEN 512
#define GEN_PATH_MAX 256
#define GEN_REQUEST_MAX 1024
#define GEN_SNI_MAX 255

/** How a connection ends once its work is done. */
enum gen_close {
	GEN_CLOSE_CLOSE_NOTIFY = 0, /**< TLS close_notify, then FIN */
	GEN_CLOSE_FIN,              /**< FIN without close_notify */
	GEN_CLOSE_RST,              /**< RST: nothing left behind (no TIME_WAIT) */
};

/** What is offered for resumption (--resume-kind). */
enum gen_resume_kind {
	GEN_RESUME_TICKET = 0,      /**< TLS 1.2 session ticket (RFC 5077) */
	GEN_RESUME_ID,              /**< TLS 1.2 session id */
	GEN_RESUME_PSK,             /**< TLS 1.3 PSK only (psk_ke) */
	GEN_RESUME_PSK_DHE,         /**< TLS 1.3 PSK with (EC)DHE (psk_dhe_ke) */
};

/** gen_config.tls before a version is given. */
#define GEN_TLS_UNSET 99

struct gen_config {
	bool help;
	char config_file[GEN_PATH_MAX];     /**< --config FILE, "" for none */

	/* network */
	uint32_t target;            /**< host order */
	uint16_t target_port;
	uint32_t addr;              /**< our address (host order) */
	unsigned prefix_len;
	uint32_t gateway;           /**< 0: none */
	uint32_t src_lo, src_hi;    /**< --sources range; both addr when not given */
	/** IPv6: --target [ADDR]:PORT. Connections then go over IPv6 only. */
	bool v6;
	uint8_t target6[16];        /**< network byte order */
	uint8_t addr6[16];          /**< --addr6: our IPv6 address (the source) */
	unsigned prefix6_len;
	uint8_t gateway6[16];       /**< --gateway6; all zero: none */
	uint16_t port_lo, port_hi;  /**< ephemeral ports */
	bool tx_offload;

	/* load */
	uint32_t concurrency;       /**< closed loop: connections in progress */
	double rate;                /**< open loop: new connections per second (0: closed) */
	enum gen_arrival arrival;
	double duration_s;
	double warmup_s;
	uint64_t count;             /**< stop after this many handshakes (0: no limit) */
	uint32_t hold;              /**< open and keep this many (0: off) */
	uint32_t hold_close_rate;   /**< held connections closed per second at the end */
	uint32_t max_inflight;      /**< open loop: connections in progress at most */
	uint32_t timeout_ms;        /**< a connection's deadline from its start */
	double drain_s;             /**< after the window: in-flight ones get this long */
	uint32_t idle_sleep_us;     /**< sleep after a poll with nothing to do (0: busy poll) */

	/* TLS */
	unsigned tls;               /**< 0 (none: TCP only), 12 or 13 */
	uint16_t suites[HS_POLICY_MAX_SUITES];
	unsigned n_suites;          /**< 0: every suite of the version */
	uint16_t groups[HS_POLICY_MAX_GROUPS];
	unsigned n_groups;
	uint16_t sigalgs[HS_POLICY_MAX_SIGALGS];
	unsigned n_sigalgs;
	char sni[GEN_SNI_MAX + 1];
	uint8_t alpn[HS_POLICY_ALPN_MAX];
	uint16_t alpn_len;
	double resume;              /**< fraction of connections that resume */
	enum gen_resume_kind resume_kind;
	bool full;                  /**< --mode full (else load) */
	uint32_t key_reuse;         /**< load mode: handshakes per key share */
	char ca[GEN_PATH_MAX];
	char request[GEN_REQUEST_MAX];  /**< request line; "" for none */
	enum gen_close close;

	/* faults and attacks */
	struct gen_impair_conf impair;  /**< --impair: on both paths of every worker */
	double syn_flood;           /**< --syn-flood: spoofed SYNs per second (0: none) */
	uint32_t flood_lo, flood_hi; /**< --flood-sources range (host order) */
	double flood_start_s;       /**< flood from this long into the measured window */
	double flood_duration_s;    /**< ... for this long (0: to the end) */

	/* output and resources */
	char json[GEN_PATH_MAX];
	bool quiet;
	uint32_t mbufs;
	uint64_t seed;
};

/**
 * Fill @p c from @p argc / @p argv (the arguments after "--").
 * @return 0; -EINVAL with a one-line message in @p err naming the flag.
 */
int gen_config_parse(struct gen_config *c, int argc, char **argv, char *err, size_t errlen);

/** The --help text: every flag, its default and what it does. */
void gen_config_usage(FILE *f);

/** "1.3", "1.2" or "none". */
const char *gen_config_tls_name(const struct gen_config *c);

#endif
