/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration helpers shared by hsod (config.c) and hso-proxy
 * (proxy/proxy_config.c): contract in cfg_util.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_util.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

int
cfg_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int
cfg_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
	  char *why, size_t wl)
{
	unsigned long v;
	char *end;

	/* strtoul takes blanks, '+' and '-' (wrapping): only digits here. */
	if (!isdigit((unsigned char)s[0]))
		return cfg_errf(why, wl, "not a decimal number");
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0')
		return cfg_errf(why, wl, "not a decimal number");
	if (errno == ERANGE || v < min || v > max)
		return cfg_errf(why, wl, "out of range %u..%u", min, max);
	*out = (uint32_t)v;
	return 0;
}

int
cfg_parse_bool(const char *s, bool *out, char *why, size_t wl)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < DIM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return cfg_errf(why, wl, "not a boolean (yes/no, true/false, on/off, 1/0)");
}

char *
cfg_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * rte_cfgfile skips lines that are neither "[section]" nor "key = value",
 * ignores text after ']', fails without saying where, and cuts names and
 * values that are too long. Read the file once ourselves, the same way it
 * does (comment at the first unescaped '#'), so that each of those is an
 * error naming the line.
 */
int
cfg_file_prescan(const char *path, char *err, size_t errlen)
{
	char line[CFG_LINE_MAX];
	char section[CFG_LINE_MAX] = "";
	unsigned lineno = 0;
	int ret = 0;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL)
		return cfg_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
	while (ret == 0 && fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);
		char *s, *c, *eq;

		lineno++;
		/* Same test as rte_cfgfile, which refuses such a line even last. */
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			ret = cfg_errf(err, errlen, "%s:%u: line longer than %d bytes",
				   path, lineno, CFG_LINE_MAX - 2);
			break;
		}
		c = memchr(line, CFG_COMMENT, len);
		if (c != NULL && (c == line || c[-1] != '\\'))
			*c = '\0';
		s = cfg_trim(line);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (end == NULL || end[1] != '\0') {
				ret = cfg_errf(err, errlen, "%s:%u: a section line is '[name]' "
					   "alone (got '%s')", path, lineno, s);
				break;
			}
			*end = '\0';
			s = cfg_trim(s + 1);
			if (*s == '\0' || strlen(s) >= CFG_NAME_LEN)
				ret = cfg_errf(err, errlen, "%s:%u: section name empty or longer "
					   "than %d bytes (got '[%s]')", path, lineno,
					   CFG_NAME_LEN - 1, s);
			snprintf(section, sizeof(section), "%s", s);
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			ret = cfg_errf(err, errlen, "%s:%u: neither '[section]' nor 'key = value' "
				   "(got '%s')", path, lineno, s);
			break;
		}
		*eq = '\0';
		{
			char *key = cfg_trim(s), *val = cfg_trim(eq + 1);
			size_t vlen = strlen(val);

			/* rte_cfgfile turns "\#" into "#": count that byte once. */
			for (char *p = strstr(val, "\\#"); p != NULL; p = strstr(p + 2, "\\#"))
				vlen--;
			if (section[0] == '\0')
				ret = cfg_errf(err, errlen, "%s:%u: %s: key before any [section]",
					   path, lineno, key);
			else if (*key == '\0')
				ret = cfg_errf(err, errlen, "%s:%u: [%s]: empty key name (got '= %s')",
					   path, lineno, section, val);
			else if (strlen(key) >= CFG_NAME_LEN)
				ret = cfg_errf(err, errlen, "%s:%u: [%s] %s: key name longer than "
					   "%d bytes", path, lineno, section, key, CFG_NAME_LEN - 1);
			else if (vlen >= CFG_VALUE_LEN)
				ret = cfg_errf(err, errlen, "%s:%u: [%s] %s: value longer than %d "
					   "bytes", path, lineno, section, key, CFG_VALUE_LEN - 1);
		}
	}
	if (ret == 0 && ferror(f))
		ret = cfg_errf(err, errlen, "%s: read error: %s", path, strerror(errno));
	fclose(f);
	return ret;
}

bool
cfg_flag_is(const char *name, size_t len, const char *flag)
{
	return strlen(flag) == len && strncmp(name, flag, len) == 0;
}

int
cfg_flag_next(int argc, char **argv, int *i, const char **name, size_t *len,
	      const char **val, bool (*takes_value)(const char *name, size_t len))
{
	const char *a = argv[*i], *eq;

	if (strcmp(a, "-h") == 0) {
		*name = "help";
		*len = 4;
		*val = NULL;
		return 0;
	}
	if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
		return 1;
	*name = a + 2;
	eq = strchr(*name, '=');
	*len = eq != NULL ? (size_t)(eq - *name) : strlen(*name);
	*val = eq != NULL ? eq + 1 : NULL;
	if (*val != NULL || !takes_value(*name, *len))
		return 0;
	/* "--cert --key k.pem" is a forgotten value, not a file named "--key". */
	if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)
		return -EINVAL;
	*val = argv[++*i];
	return 0;
}

int
cfg_find_help_config(int argc, char **argv, bool (*takes_value)(const char *, size_t),
		     const char *prog, size_t cap, bool *help, const char **file,
		     char *err, size_t errlen)
{
	*help = false;
	*file = NULL;
	for (int i = 0; i < argc; i++) {
		const char *name, *val;
		size_t len;

		if (cfg_flag_next(argc, argv, &i, &name, &len, &val, takes_value) != 0)
			continue;       /* reported by the second pass */
		if (cfg_flag_is(name, len, "help")) {
			*help = true;
			return 0;
		}
		if (!cfg_flag_is(name, len, "config"))
			continue;
		if (*file != NULL)
			return cfg_errf(err, errlen, "--config: given twice, %s reads one "
					"file (got '%s' after '%s')", prog, val, *file);
		if (*val == '\0' || strlen(val) >= cap)
			return cfg_errf(err, errlen, "--config: %s (got '%s')", *val == '\0' ?
					"empty path" : "path too long", val);
		*file = val;
	}
	return 0;
}

void
cfg_list_start(struct cfg_list *it, const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	it->p = s;
	it->done = *s == '\0';
}

bool
cfg_list_next(struct cfg_list *it, const char **item, size_t *len)
{
	const char *s = it->p, *e;

	if (it->done)
		return false;
	e = strchr(s, ',');
	if (e == NULL) {
		e = s + strlen(s);
		it->done = true;
	} else {
		it->p = e + 1;
	}
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*item = s;
	*len = (size_t)(e - s);
	return true;
}

bool
cfg_item_is(const char *item, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(item, name, len) == 0;
}

int
cfg_parse_ipv4(const char *s, uint32_t *out, char *why, size_t wl)
{
	struct in_addr in;
	uint32_t a;

	if (inet_pton(AF_INET, s, &in) != 1)
		return cfg_errf(why, wl, "not an IPv4 address A.B.C.D");
	a = ntohl(in.s_addr);
	/* 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved. */
	if ((a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) >= 14)
		return cfg_errf(why, wl, "not a unicast host address");
	*out = a;
	return 0;
}

int
cfg_parse_ipv4_prefix(const char *s, uint32_t *addr, unsigned *plen, char *why, size_t wl)
{
	const char *slash = strchr(s, '/');
	char ip[INET_ADDRSTRLEN];
	uint32_t a, len, m;

	if (slash == NULL)
		return cfg_errf(why, wl, "needs a prefix length, e.g. 198.18.0.1/24");
	if ((size_t)(slash - s) >= sizeof(ip))
		return cfg_errf(why, wl, "not an IPv4 address A.B.C.D/LEN");
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (cfg_parse_ipv4(ip, &a, why, wl) != 0)
		return -EINVAL;
	if (cfg_parse_u32(slash + 1, 1, 32, &len, why, wl) != 0)
		return cfg_errf(why, wl, "bad prefix length (1..32)");
	m = cfg_prefix_mask(len);
	/* RFC 3021: /31 and /32 have no network or broadcast address. */
	if (len <= 30 && ((a & ~m) == 0 || (a & ~m) == ~m))
		return cfg_errf(why, wl, "is the %s address of its subnet, not a host",
				(a & ~m) == 0 ? "network" : "broadcast");
	*addr = a;
	*plen = len;
	return 0;
}
