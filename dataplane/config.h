/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_CONFIG_H
#define HSO_DATAPLANE_CONFIG_H

/**
 * @file
 * hsod's configuration: an INI file (DPDK rte_cfgfile) plus command-line
 * flags, parsed into one plain struct hsod_config.
 *
 * Contract:
 *
 *  - hsod_config_parse() takes what follows EAL's "--" on hsod's command
 *    line. It reads the file named by --config first, then applies the flags
 *    in order, so a flag overrides the file's value for the same key. The
 *    exceptions add rather than replace: --cert/--key pairs add to the file's
 *    [cert NAME] sections, and the first --listen replaces the file's list
 *    while later ones add to it. A flag given twice keeps the last value.
 *  - Ports: port 0's address and gateway are [net] addr and gateway (or a
 *    [port 0] section: one or the other), port N's are a [port N] section;
 *    on the command line --addr and --gateway set port 0's, and with a
 *    "N:" prefix port N's (--addr 1:198.18.1.2/24). A flag overrides the
 *    file for the same port and key.
 *  - Nothing is half-applied silently: an unknown section, key or flag, a key
 *    given twice in a section, a section given twice, a line that is neither
 *    "[section]" nor "key = value", a number that is not entirely decimal
 *    digits or is out of range, and every inconsistency between settings are
 *    errors. The error is one line in the caller's buffer that names where
 *    the value came from and what is wrong with it:
 *
 *        FILE: [section] key: what is wrong (got 'value')
 *        --flag: what is wrong (got 'value')
 *
 *    (HAProxy's parsers fill a char **err the same way). hsod prints it and
 *    exits non-zero before touching a port.
 *  - Files are only named here, never opened (apart from the config file
 *    itself): certificates, keys and the ticket key file are loaded by the
 *    daemon (hso_cert_load(), hso_stek_set_load()), which reports their
 *    errors with the path it got from here. That keeps this module free of
 *    secrets and lets SIGHUP reload them without re-parsing.
 *  - struct hsod_config has fixed-size arrays only; it owns no memory and
 *    may be copied. rte_cfgfile needs no EAL, so parsing may (and should)
 *    happen before rte_eal_init() has touched anything.
 *
 * File syntax: "[section]" lines, "key = value" lines, '#' starts a comment
 * anywhere (write "\#" for a literal '#'). Values are at most 255 bytes,
 * lists are comma-separated with optional spaces; an empty value is an
 * empty list where a list may be empty (alpn), and an empty item between
 * commas is an error. Booleans are yes/no, true/false, on/off or 1/0.
 * hsod_config_usage() prints every section, key, flag and default.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto_imb.h"
#include "handshake.h"

/** Certificates (each a [cert NAME] section or a --cert/--key pair). */
#define HSOD_MAX_CERTS HS_CONFIG_MAX_CERTS
/** Listening TCP ports. */
#define HSOD_MAX_LISTEN 16
/** DPDK ports hsod serves, each with its own address ([port N] sections). */
#define HSOD_MAX_PORTS 8
/** Longest path (and other string value) + 1: rte_cfgfile's value size. */
#define HSOD_PATH_MAX 256
/** Longest [cert NAME] name + 1. */
#define HSOD_CERT_NAME_MAX 48
/** Largest HTTP body of the built-in responder + 1 (flags may exceed 255). */
#define HSOD_HTTP_BODY_MAX 1024
/** A size for the @c err buffers below that fits every message. */
#define HSOD_ERR_LEN 2048

/* Defaults (hsod_config_defaults()). */
#define HSOD_MBUFS_DEFAULT 16384u
/*
 * The mbuf pool's driver: a lock-free LIFO stack, so that an mbuf an
 * application just released is the next one a worker fills, still in
 * cache (a FIFO ring hands out the coldest of the pool: 4x the cost per
 * event in hso-bench-handoff). Lock-free also means a process that dies
 * mid-operation cannot leave a lock held.
 */
#define HSOD_POOL_OPS "lf_stack"
#define HSOD_TICKET_LIFETIME_DEFAULT 7200u
#define HSOD_TICKET_ROTATION_DEFAULT 3600u
#define HSOD_TICKET_WATCH_DELAY_MS_DEFAULT 200u
#define HSOD_MAX_CONNS_DEFAULT 8192u
/** Default [limits] max_handshakes: handshake contexts per worker. */
#define HSOD_MAX_HANDSHAKES_DEFAULT 4096u
/**
 * [limits] max_conns is per worker: each worker has this many TCP and
 * session slots. At most 2^24: TCP's and the session layer's tables, and
 * the application slots (HSO_SHM_SLOT_MASK + 1).
 */
#define HSOD_MAX_CONNS_MAX (1u << 24)
/** Workers hsod runs at most (the application slots' acknowledgement bits). */
#define HSOD_MAX_WORKERS 64u
/** Descriptors of each RX and TX queue: mbufs a queue pair may hold. */
#define HSOD_RX_DESC 1024u
#define HSOD_TX_DESC 1024u
/** The mbuf pool's per-lcore cache (it may hold 1.5 times this: DPDK's flush threshold). */
#define HSOD_MBUF_CACHE 256u
/** Longest --metrics ADDR:PORT + 1. */
#define HSOD_METRICS_ADDR_MAX 64
#define HSOD_MAX_HALF_OPEN_DEFAULT 1024u
#define HSOD_HANDSHAKE_TIMEOUT_MS_DEFAULT 10000u
#define HSOD_HANDSHAKE_TIMEOUT_MS_MAX 600000u
#define HSOD_IDLE_TIMEOUT_MS_DEFAULT 60000u
/** Default [limits] send_buffer: a few full TLS records per connection. */
#define HSOD_SEND_BUFFER_DEFAULT 65536u
/** Smallest send_buffer: a whole TLS record (2^14 + overhead) goes at once. */
#define HSOD_SEND_BUFFER_MIN 32768u
/** Default [limits] zero_window_timeout_ms (nginx's send_timeout is 60 s). */
#define HSOD_ZERO_WINDOW_TIMEOUT_MS_DEFAULT 60000u
#define HSOD_SOURCE_RATE_DEFAULT 0u     /* no per-source limit */
#define HSOD_SOURCE_BURST_DEFAULT 64u
#define HSOD_SOURCE_TABLE_DEFAULT 16384u
#define HSOD_SOURCE_PREFIX6_DEFAULT 64u
/** Most memory a worker's pool of large handshake buffers may take. */
#define HSOD_LARGE_MSG_POOL_MAX (1ull << 30)
#define HSOD_HTTP_STATUS_DEFAULT 200u
#define HSOD_APP_CONN_BUDGET_DEFAULT (256u * 1024)
#define HSOD_HTTP_BODY_DEFAULT "hello from hso\n"
/** [net] ip6_ext_max: IPv6 extension headers walked (net6.h has the same bound). */
#define HSOD_IP6_EXT_MAX_DEFAULT 8u
#define HSOD_IP6_EXT_MAX_LIMIT 32u

/** The application sessions are handed to ([app] type, --app). */
enum hsod_app {
	HSOD_APP_HTTP = 0,      /**< built-in HTTP/1.1 responder */
	HSOD_APP_ECHO,          /**< built-in: plaintext sent back */
	HSOD_APP_EXTERNAL,      /**< a separate process attaches to the rings */
};

/** One certificate: paths only, loaded by the daemon. */
struct hsod_cert_conf {
	/** The NAME of [cert NAME], or "--cert N" for the Nth flag pair. */
	char name[HSOD_CERT_NAME_MAX];
	char cert[HSOD_PATH_MAX];   /**< PEM chain, leaf first */
	char key[HSOD_PATH_MAX];    /**< PEM private key */
	/** DER OCSP response to staple, "" for none (checked when loaded). */
	char ocsp[HSOD_PATH_MAX];
	/**
	 * Served when the SNI matches no certificate (default: the first),
	 * with its dual partners (other key types for the same names).
	 */
	bool is_default;
};

/**
 * One port's layer 3. Port N is the Nth port DPDK finds (in -a / --vdev
 * order: its DPDK port id when ids are contiguous, as they are at start).
 */
struct hsod_port_conf {
	uint32_t addr;              /**< IPv4 address, host order; 0: unset */
	uint8_t prefix_len;         /**< of addr's subnet, 1..32 */
	uint32_t gateway;           /**< host order; 0: none (on-link only) */
	uint8_t addr6[16];          /**< IPv6 address; all zero: IPv4 only */
	uint8_t prefix6_len;        /**< of addr6's prefix, 1..128 */
	uint8_t gateway6[16];       /**< on-link or link-local; all zero: none */
};

/** Everything hsod is told; see hsod_config_usage() for the keys. */
struct hsod_config {
	/** --help was given: print hsod_config_usage() and exit 0. */
	bool help;
	/** --check: load the certificates and ticket keys, report, exit (no EAL). */
	bool check;
	/** The --config file, "" when none. */
	char config_file[HSOD_PATH_MAX];

	/*
	 * [net] addr and gateway (port 0), [port N] sections, --addr [N:]...:
	 * ports 0..n_ports-1 each have an address, their subnets are disjoint.
	 */
	struct hsod_port_conf ports[HSOD_MAX_PORTS];
	unsigned n_ports;

	/* [net] */
	uint16_t listen[HSOD_MAX_LISTEN];
	unsigned n_listen;
	uint32_t mbufs;             /**< mbufs per port (one pool of mbufs x ports) */
	/** Let the port compute IPv4/TCP checksums when it offers to ([net] tx_offload). */
	bool tx_offload;
	/*
	 * Neighbours (ARP): table size per worker and port, packets held per
	 * unresolved neighbour and per worker, reachable and stale times.
	 */
	uint32_t neigh_entries;
	uint32_t neigh_queue;
	uint32_t neigh_queue_total;
	uint32_t neigh_reachable_ms;
	uint32_t neigh_stale_ms;
	/** IPv6 extension headers walked before a packet is dropped ([net] ip6_ext_max). */
	uint32_t ip6_ext_max;

	/* [tls]: lists in server preference order, as code points */
	bool tls12, tls13;
	/** As configured, for every version; the policy keeps the enabled ones. */
	uint16_t suites[HS_POLICY_MAX_SUITES];
	unsigned n_suites;
	uint16_t groups[HS_POLICY_MAX_GROUPS];
	unsigned n_groups;
	uint16_t sigalgs[HS_POLICY_MAX_SIGALGS];
	unsigned n_sigalgs;
	uint8_t alpn[HS_POLICY_ALPN_MAX];   /**< wire form: u8 length + name */
	uint16_t alpn_len;
	bool sni_strict;
	bool export_keys;
	uint32_t max_handshake_msg;
	uint32_t large_msg_bufs;    /**< per worker, for messages above 16 KiB */
	uint32_t session_cache;     /**< TLS 1.2 session-id entries per worker */

	/* [cert NAME] sections, then --cert/--key pairs */
	struct hsod_cert_conf certs[HSOD_MAX_CERTS];
	unsigned n_certs;

	/* [tickets] */
	char ticket_key_file[HSOD_PATH_MAX];    /**< "": keys generated at start */
	uint32_t ticket_lifetime;   /**< seconds a ticket is valid */
	uint32_t ticket_rotation;   /**< seconds a generated key seals */
	/** Reload when key_file changes (inotify on its directory), not only on SIGHUP. */
	bool ticket_watch;
	uint32_t ticket_watch_delay_ms; /**< quiet time after a change before the reload */
	bool psk_ke;                /**< TLS 1.3 resumption without ECDHE */

	/* [limits] */
	uint32_t max_conns;             /**< per worker */
	uint32_t max_half_open;
	uint32_t max_handshakes;        /**< handshake contexts per worker */
	uint32_t handshake_timeout_ms;
	uint32_t idle_timeout_ms;
	/*
	 * New connections (TLS handshakes) per second per client address and
	 * worker (0: no limit), the burst a source may start at once, and the
	 * sources each worker remembers (limit.h).
	 */
	uint32_t source_rate;
	uint32_t source_burst;
	uint32_t source_table;
	/** IPv6 sources: the prefix length counted as one source (limit.h). */
	uint32_t source_prefix6;
	/** Bytes queued to send per connection (TCP's send buffer). */
	uint32_t send_buffer;
	/** Mbufs TCP may hold, all workers (split evenly); 0: half of what the reserve leaves. */
	uint32_t tcp_bufs;
	/** Peer's window zero this long with data to send: reset (0: probe forever). */
	uint32_t zero_window_timeout_ms;

	/* [app] */
	enum hsod_app app;
	uint32_t app_conn_budget;
	/** Mbufs kept for segments (app_shm.h); 0: a quarter of the pool. */
	uint32_t app_pool_reserve;
	uint32_t http_status;
	/** Escapes (\n \r \t \\) already decoded; NUL-terminated too. */
	char http_body[HSOD_HTTP_BODY_MAX];
	size_t http_body_len;

	/* [crypto] */
	char imb_arch[HSOD_PATH_MAX];   /**< as written, "" for auto */
	struct hso_imb_override imb;    /**< imb_arch parsed */

	/* [metrics] */
	/** Prometheus metrics on this "A.B.C.D:PORT" or "[IPv6]:PORT"; "": off. */
	char metrics[HSOD_METRICS_ADDR_MAX];
};

struct hsod_resources;

/**
 * Fill @p cfg with the defaults: TLS 1.2 and 1.3 with hso's suites, groups
 * and signature schemes in hs_nego_policy_default()'s order, no ALPN, no
 * address, port or certificate, and the HSOD_*_DEFAULT values above.
 */
void hsod_config_defaults(struct hsod_config *cfg);

/**
 * Parse hsod's arguments (what follows EAL's "--") into @p cfg: defaults,
 * then the --config file, then the flags, then the checks that need all of
 * them (an address for every port up to the highest one named, a listen
 * port and a certificate are required; each port's gateway is inside its
 * subnet and no two ports' subnets overlap; every enabled TLS version keeps
 * at least one cipher suite; max_half_open <= max_conns). Whether the number
 * of ports matches the ones DPDK finds is for the daemon to check, after EAL.
 *
 * With --help anywhere, nothing else is parsed: @p cfg holds the defaults
 * with cfg->help set, and the call returns 0.
 *
 * @param cfg     filled (also on failure, partially: do not use it then)
 * @param argc    number of arguments in @p argv
 * @param argv    the arguments; argv[0] is the first flag, not a program
 *                name; not modified
 * @param err     on failure, one line naming the file, section and key or
 *                the flag, what is wrong and the value; may be NULL
 * @param errlen  size of @p err (HSOD_ERR_LEN fits every message)
 * @return 0; -EINVAL for any error in the file or the flags, including a
 *         config file that cannot be read (the message gives the reason).
 */
int hsod_config_parse(struct hsod_config *cfg, int argc, char **argv,
		      char *err, size_t errlen);

/**
 * hsod_config_parse(), and then the limits a later stage would refuse,
 * checked against what hsod will run on (@p res, resources.h; NULL: only
 * the checks that need nothing from it):
 *
 *  - the workers EAL's lcores make: at most HSOD_MAX_WORKERS;
 *  - [net] mbufs: per port at least what the workers' RX and TX rings on
 *    every port and the lcores' mempool caches hold;
 *  - [limits] max_conns (per worker) x workers: the memory the workers
 *    allocate (hsod_worker_mem(), from the real structure sizes) within
 *    the system's available memory;
 *  - the mbuf pool and the application rings (hsod_mbuf_pool_mem_size(),
 *    hsod_apps_mem_size()) within the DPDK memory EAL will have (free
 *    hugepages, -m, --socket-mem, --no-huge);
 *
 * each refused with a message naming the key (or EAL option), its value
 * and the limit. max_conns above HSOD_MAX_CONNS_MAX is refused by its range.
 * @return as hsod_config_parse().
 */
int hsod_config_parse_res(struct hsod_config *cfg, int argc, char **argv,
			  const struct hsod_resources *res, char *err, size_t errlen);

/**
 * Print the --help text to @p out: the command line, every flag, and every
 * config-file section and key with its meaning, range and default.
 */
void hsod_config_usage(FILE *out);

/**
 * Turn the TLS part of @p cfg into an engine policy: hs_config_init(), then
 * versions, the cipher suites of the enabled versions (order kept), groups,
 * signature schemes, ALPN, sni_strict, export_keys, ticket lifetime, psk_ke,
 * session cache size and max_handshake_msg. Certificates and ticket keys are
 * left out: the daemon loads them and adds them (hs_config_add_cert(),
 * hs->stek).
 *
 * @param cfg     a configuration hsod_config_parse() accepted
 * @param hs      filled
 * @param err     on failure, what is wrong (may be NULL)
 * @param errlen  size of @p err
 * @return 0; -EINVAL when an enabled version has no suite, no version is
 *         enabled, a list is empty or longer than the engine takes, or a
 *         code point is one hso does not implement; -EIO when
 *         hs_config_init() cannot compute its key-schedule constants.
 */
int hsod_config_tls_policy(const struct hsod_config *cfg, struct hs_config *hs,
			   char *err, size_t errlen);

/** "http", "echo" or "external". */
const char *hsod_app_name(enum hsod_app app);

#endif
