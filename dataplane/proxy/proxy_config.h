/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_PROXY_CONFIG_H
#define HSO_PROXY_CONFIG_H

/**
 * @file
 * hso-proxy's settings: flags (after EAL's "--") and an INI file read with
 * DPDK's rte_cfgfile (no EAL needed). One table of keys drives the file
 * parser, the flag parser and --help. Flags override the file's [proxy]
 * keys; backends of the file and of --backend flags add up. A backend's
 * health-check keys (check, check_path, check_status, check_timeout) left
 * unset take [proxy]'s.
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "health.h"
#include "pool.h"

#define PROXY_ERR_LEN           1024
#define PROXY_APP_NAME_MAX      32      /* hso_app_attach() keeps 31 bytes */
#define PROXY_CHECK_PATH_MAX    128     /* an HTTP check's path, NUL included */

struct proxy_backend_conf {
	char name[POOL_NAME_MAX];
	char addr_str[POOL_ADDR_STR_MAX];
	struct sockaddr_storage addr;
	socklen_t addr_len;
	uint32_t weight, maxconn;
	/* Health check; after proxy_config_parse() never HEALTH_INHERIT/0/"":
	 * what the section or --backend did not set comes from [proxy]. */
	uint32_t check_type;            /**< enum health_type */
	char check_path[PROXY_CHECK_PATH_MAX];
	uint32_t check_status;          /**< HTTP: the status that means healthy */
	uint32_t check_timeout_ms;
};

struct proxy_config {
	struct proxy_backend_conf backends[POOL_MAX_BACKENDS];
	unsigned n_backends;
	uint32_t balance;               /**< enum pool_balance */
	bool proxy_protocol;
	bool http;
	char name[PROXY_APP_NAME_MAX];
	uint32_t check_interval_ms;     /**< 0: passive checks only */
	uint32_t check_timeout_ms;
	uint32_t check_type;            /**< enum health_type: tcp or http */
	char check_path[PROXY_CHECK_PATH_MAX];
	uint32_t check_status;
	uint32_t fall, rise;
	uint32_t connect_timeout_ms;
	uint32_t timeout_ms;            /**< idle, either direction */
	uint32_t queue_timeout_ms;      /**< waiting for a backend under maxconn */
	uint32_t retries;
	uint32_t max_conns;
	uint32_t conn_queue;            /**< DATA events held per connection */
	uint32_t max_queued;            /**< DATA events held in all */
	uint32_t buffers;               /**< backend read buffers */
	uint32_t bufsize;
	uint32_t sndbuf, rcvbuf;        /**< backend sockets; 0: autotuning */
	uint32_t burst;
	uint32_t stats_interval_s;
	char config_file[PATH_MAX];
	bool help;
};

/** Every key at its default; no backend. */
void proxy_config_defaults(struct proxy_config *c);

/**
 * Parse the arguments after EAL's "--" (argv[0] is the first option).
 * @return 0 (c->help set when --help was asked); -EINVAL with @p err
 *         naming the flag or file, section, key, and what is wrong.
 */
int proxy_config_parse(struct proxy_config *c, int argc, char **argv,
		       char *err, size_t errlen);

/**
 * Parse "A.B.C.D:PORT" or "[IPv6]:PORT".
 * @return 0; -EINVAL with @p why.
 */
int proxy_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len,
		     char *why, size_t wl);

/** --help text: every flag and every key with its default. */
void proxy_config_usage(FILE *out);

#endif
