/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_CFG_UTIL_H
#define HSO_DATAPLANE_CFG_UTIL_H

/**
 * @file
 * What hsod's and hso-proxy's configuration readers share: value parsers,
 * the INI pre-scan that makes every rte_cfgfile quirk an error naming the
 * line, and the command-line flag splitter. Errors follow one style: the
 * message in @c why / @c err, -EINVAL returned.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/** Is the flag name (@p len bytes at @p name, no "--") @p flag? */
bool cfg_flag_is(const char *name, size_t len, const char *flag);

/**
 * The flag at argv[*i]: "--name", "--name=value" or "--name value" (when
 * @p takes_value says so; "-h" is "help").
 * @return 0 with name/len/val set (val NULL for none); 1 when argv[*i] is
 *         not a flag; -EINVAL when its value is missing.
 */
int cfg_flag_next(int argc, char **argv, int *i, const char **name, size_t *len,
		  const char **val, bool (*takes_value)(const char *name, size_t len));

/**
 * The first pass over the flags: --help wins wherever it is, and the one
 * --config FILE is found so that it can be read before the other flags.
 * @param prog  the program's name, for the message
 * @return 0 with *help set, or *file the path (NULL for none, else shorter
 *         than @p cap); -EINVAL (--config twice, empty or too long).
 */
int cfg_find_help_config(int argc, char **argv, bool (*takes_value)(const char *, size_t),
			 const char *prog, size_t cap, bool *help, const char **file,
			 char *err, size_t errlen);

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
 * A unicast host address A.B.C.D (not 0/8, 127/8 or 224/3) into @p out,
 * host byte order.
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
