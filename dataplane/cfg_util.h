/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_CFG_UTIL_H
#define HSO_DATAPLANE_CFG_UTIL_H

/**
 * @file
 * What hsod's and hso-proxy's configuration readers share: the key-table
 * parser (file, flags, origins, messages, --help), the value parsers, and
 * the INI pre-scan that makes every rte_cfgfile quirk an error naming the
 * line. Errors follow one style: the message in @c why / @c err, -EINVAL
 * returned.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_cfgfile.h>

/* '#' rather than DPDK's default ';': what shell-style configs use. */
#define CFG_COMMENT '#'
/* rte_cfgfile's line buffer; longer lines are errors there too. */
#define CFG_LINE_MAX (CFG_NAME_LEN + CFG_VALUE_LEN + 4)

/** printf into @p err (when not NULL); @return -EINVAL. */
int cfg_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** A decimal in [min, max], digits only. @return 0 or -EINVAL (why says). */
int cfg_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
		  char *why, size_t wl);

/** yes/no, true/false, on/off, 1/0 (any case). */
int cfg_parse_bool(const char *s, bool *out, char *why, size_t wl);

/** @p s without leading and trailing blanks (trailing ones cut in place). */
char *cfg_trim(char *s);

/**
 * Read an INI file the way rte_cfgfile will and refuse, naming the line,
 * what it would skip, cut or fail on without saying where.
 */
int cfg_file_prescan(const char *path, char *err, size_t errlen);

/* ---- the key table ------------------------------------------------ */

/*
 * One table of keys drives a program's INI file reader, its flag parser and
 * its --help text, so a key cannot exist in one and be missing from
 * another. hsod (config.c) and hso-proxy (proxy/proxy_config.c) each hand
 * cfg_parse() their table; this file does the rest:
 *
 *  - the file (rte_cfgfile after cfg_file_prescan()): unknown sections and
 *    keys, a key or a section given twice, and bad values are errors;
 *  - then the flags, in order: "--flag VALUE", "--flag=VALUE", a boolean
 *    (a key without metavar) alone is yes and "--no-FLAG" no; a flag
 *    overrides the file's value, a flag given twice keeps the last;
 *  - where each value came from (its origin), so that a check across keys
 *    names the file's line or the flag the operator wrote;
 *  - every error is one line naming where and what:
 *        FILE: [section] key: what is wrong (got 'value')
 *        --flag: what is wrong (got 'value')
 *  - --help from the same table (cfg_usage()).
 *
 * Sections come in three kinds:
 *  - CFG_SEC_ONE: "[net]", at most once;
 *  - CFG_SEC_INDEXED: "[port N]", N in 0..n_index-1, instance N of an array
 *    in the config struct (off + N * stride). Its keys' flags take an
 *    optional "N:" prefix (none: 0), and an @c alias section may hold
 *    instance 0's keys ([net] addr is [port 0] addr; one or the other).
 *    At most one indexed section per table.
 *  - CFG_SEC_NAMED: "[cert NAME]", any number; open() gives the object the
 *    section's keys fill, close() checks and keeps it.
 */

/** The value types the parser knows; a table adds its own from CFG_CUSTOM. */
enum cfg_type {
	CFG_U32 = 0,    /**< uint32_t at off, decimal digits in [min, max] */
	CFG_BOOL,       /**< bool at off; the flag alone is yes, --no-FLAG no */
	CFG_STR,        /**< char[max + 1] at off, min..max bytes */
	CFG_CUSTOM = 16 /**< first type of the table's own set()/render() */
};

/** Where a value came from. */
enum cfg_origin {
	CFG_ORIGIN_DEFAULT = 0,
	CFG_ORIGIN_FILE,        /**< its own section */
	CFG_ORIGIN_FILE_ALIAS,  /**< an indexed key written in the alias section */
	CFG_ORIGIN_FLAG,
};

/** One key of one section. */
struct cfg_key {
	const char *section;    /**< the section's name in the table */
	const char *name;
	const char *flag;       /**< without "--"; NULL: file only */
	const char *metavar;    /**< the value's shape; NULL for booleans */
	int type;               /**< enum cfg_type, or the table's own >= CFG_CUSTOM */
	size_t off;             /**< in the section's object */
	uint32_t min, max;      /**< CFG_U32: range; CFG_STR: length */
	const char *help;
};

enum cfg_section_kind { CFG_SEC_ONE = 0, CFG_SEC_INDEXED, CFG_SEC_NAMED };

struct cfg_parser;

struct cfg_section {
	const char *name;       /**< "net"; "port" for [port N]; "cert" for [cert NAME] */
	enum cfg_section_kind kind;
	const char *help;       /**< --help: a paragraph under its title; may be NULL */
	/* CFG_SEC_INDEXED */
	unsigned n_index;       /**< N in 0..n_index-1 (at most CFG_MAX_INDEX) */
	size_t off, stride;     /**< instance N at (char *)obj + off + N * stride */
	const char *alias;      /**< a CFG_SEC_ONE section that holds instance 0's keys too */
	const char *index_doc;  /**< what N is, for messages */
	/* CFG_SEC_NAMED */
	const void *proto;      /**< an instance at its defaults, for --help; may be NULL */
	/**
	 * A [name LABEL] section begins: the object its keys fill (zeroed or
	 * defaulted by open), or NULL with @p why (e.g. a bad label, too many).
	 */
	void *(*open)(struct cfg_parser *p, const char *label, char *why, size_t wl);
	/**
	 * It ended: check and keep @p inst. @return 0; -EINVAL with @p why
	 * and *key the key to blame (NULL: the section).
	 */
	int (*close)(struct cfg_parser *p, void *inst, const char **key, char *why, size_t wl);
};

/** A flag that is not a key (hsod's --cert/--key, hso-proxy's --backend). */
struct cfg_flag {
	const char *flag;       /**< without "--" */
	const char *metavar;    /**< NULL: takes no value */
	const char *usage;      /**< --help's left column; NULL: "--flag METAVAR" */
	const char *help;
	/** The flag was given: 0, or -EINVAL with the message set by cfg_fail(). */
	int (*handle)(struct cfg_parser *p, const char *val);
};

/** A program's configuration language. */
struct cfg_table {
	const char *prog;               /**< for messages: "hsod" */
	const char *usage;              /**< --help's first lines */
	const char *file_help;          /**< --help: a paragraph after the sections; may be NULL */
	const struct cfg_section *sections;
	size_t n_sections;
	const struct cfg_key *keys;
	size_t n_keys;
	const struct cfg_flag *flags;
	size_t n_flags;
	/**
	 * A custom type's value from text: 0, or -EINVAL with @p why. @p append
	 * is true when a flag set the key already (a list the first flag
	 * replaces and later ones add to may use it).
	 */
	int (*set)(const struct cfg_key *k, void *base, const char *val, bool append,
		   char *why, size_t wl);
	/** A custom type's value as the file would take it. */
	void (*render)(const struct cfg_key *k, const void *base, char *buf, size_t len);
	/** After the flags (e.g. a --cert without its --key): 0 or cfg_fail(). */
	int (*finish)(struct cfg_parser *p);
};

/** Keys a table may have; indexed instances. */
#define CFG_MAX_KEYS    96
#define CFG_MAX_INDEX   16

/** One parse: the caller's, alive after cfg_parse() for its checks. */
struct cfg_parser {
	const struct cfg_table *t;
	void *obj;                      /**< the program's config struct */
	void *user;                     /**< the program's own parse state */
	const char *file;               /**< the --config file, or NULL */
	char *err;
	size_t errlen;
	bool help;                      /**< --help or -h was given */
	uint8_t origin[CFG_MAX_KEYS][CFG_MAX_INDEX];    /**< enum cfg_origin */
	bool named[CFG_MAX_INDEX];      /**< indexed instance named by a section or flag */
};

/**
 * Parse a program's arguments (those after EAL's "--"; argv[0] is the first
 * flag) into @p obj, which holds its defaults already: --help wins
 * wherever it is (nothing else is parsed, p->help set); else the --config
 * file (copied into @p file_buf), the flags, then t->finish.
 *
 * @param p        filled; keep it for cfg_origin() and the cfg_fail_*()
 *                 messages of the checks across keys
 * @param file_buf where the --config path is kept ("" when none)
 * @param file_cap its size; a longer path is an error
 * @param err      one line naming where and what; may be NULL
 * @return 0; -EINVAL with @p err.
 */
int cfg_parse(struct cfg_parser *p, const struct cfg_table *t, void *obj, void *user,
	      int argc, char **argv, char *file_buf, size_t file_cap,
	      char *err, size_t errlen);

/** Print --help: t->usage, every flag, every section and key with its default from @p defaults. */
void cfg_usage(const struct cfg_table *t, const void *defaults, FILE *out);

/** The key [@p section] @p name, or NULL. */
const struct cfg_key *cfg_key_find(const struct cfg_table *t, const char *section,
				   const char *name);

/** Where key [@p section] @p name (of instance @p index) got its value. */
enum cfg_origin cfg_origin(const struct cfg_parser *p, const char *section,
			   const char *name, unsigned index);

/**
 * Set key @p name of section @p section in @p base (that section's object,
 * e.g. a named section's instance) from @p val, as the file would.
 * @return 0; -ENOENT no such key; -EINVAL with @p why.
 */
int cfg_key_set(const struct cfg_parser *p, const char *section, void *base,
		const char *name, const char *val, char *why, size_t wl);

/** printf the whole message into p->err. @return -EINVAL. */
int cfg_fail(struct cfg_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * "WHERE: @p why (got 'VALUE')": WHERE the key's origin (FILE: [sec] key,
 * --flag, --flag (port N)), VALUE its value now. @return -EINVAL.
 */
int cfg_fail_at(struct cfg_parser *p, const char *section, const char *name,
		unsigned index, const char *why);

/**
 * A required key is missing: with a file, "FILE: [sec] key: missing: WHAT
 * (set it here, or --flag [N:]EXAMPLE)"; without, "--flag: missing: WHAT,
 * e.g. --flag [N:]EXAMPLE (or [sec] key in a --config file)". @return -EINVAL.
 */
int cfg_fail_missing(struct cfg_parser *p, const char *section, const char *name,
		     unsigned index, const char *what, const char *example);

/** Where key [@p section] @p name of @p index came from, as cfg_fail_at() names it. */
void cfg_where(const struct cfg_parser *p, const char *section, const char *name,
	       unsigned index, char *buf, size_t len);

/** Is the flag name (@p len bytes at @p name, no "--") @p flag? */
bool cfg_flag_is(const char *name, size_t len, const char *flag);

/* ---- list and address values (hsod's config, hso-gen's flags) --------- */

/** A comma-separated list being walked (cfg_list_start / cfg_list_next). */
struct cfg_list {
	const char *p;
	bool done;
};

/** Walk @p s; an empty (or all-blank) value is an empty list. */
void cfg_list_start(struct cfg_list *it, const char *s);

/** Next item, blanks trimmed (len 0 for an empty item); false at the end. */
bool cfg_list_next(struct cfg_list *it, const char **item, size_t *len);

/** Is the item (@p len bytes) @p name, any case? */
bool cfg_item_is(const char *item, size_t len, const char *name);

/**
 * A unicast host address A.B.C.D (not 0/8, 127/8, 224/4 or 240/4) into
 * @p out, host byte order.
 */
int cfg_parse_ipv4(const char *s, uint32_t *out, char *why, size_t wl);

/**
 * A.B.C.D/LEN: a host of its subnet (not the network or broadcast address
 * below /31, RFC 3021).
 */
int cfg_parse_ipv4_prefix(const char *s, uint32_t *addr, unsigned *len, char *why, size_t wl);

/** The netmask of a prefix length (0..32), host order. */
static inline uint32_t
cfg_prefix_mask(unsigned len)
{
	return len == 0 ? 0 : ~0u << (32 - len);
}

#endif
