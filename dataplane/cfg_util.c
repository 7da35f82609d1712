/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration helpers shared by hsod (config.c) and hso-proxy
 * (proxy/proxy_config.c): contract in cfg_util.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
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

/* ---- the key table -------------------------------------------------- */

/* Where a message may quote a value: enough for any value we accept. */
#define WHY_LEN 512

static const struct cfg_section *
section_find(const struct cfg_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_sections; i++)
		if (strcmp(t->sections[i].name, name) == 0)
			return &t->sections[i];
	return NULL;
}

/* The indexed section whose instance 0 section @p s also holds, or NULL. */
static const struct cfg_section *
alias_of(const struct cfg_table *t, const struct cfg_section *s)
{
	for (size_t i = 0; i < t->n_sections; i++)
		if (t->sections[i].kind == CFG_SEC_INDEXED && t->sections[i].alias != NULL &&
		    strcmp(t->sections[i].alias, s->name) == 0)
			return &t->sections[i];
	return NULL;
}

const struct cfg_key *
cfg_key_find(const struct cfg_table *t, const char *section, const char *name)
{
	for (size_t i = 0; i < t->n_keys; i++)
		if (strcmp(t->keys[i].section, section) == 0 && strcmp(t->keys[i].name, name) == 0)
			return &t->keys[i];
	return NULL;
}

static const struct cfg_key *
key_by_flag(const struct cfg_table *t, const char *name, size_t len)
{
	for (size_t i = 0; i < t->n_keys; i++)
		if (t->keys[i].flag != NULL && cfg_flag_is(name, len, t->keys[i].flag))
			return &t->keys[i];
	return NULL;
}

static const struct cfg_flag *
flag_find(const struct cfg_table *t, const char *name, size_t len)
{
	for (size_t i = 0; i < t->n_flags; i++)
		if (cfg_flag_is(name, len, t->flags[i].flag))
			return &t->flags[i];
	return NULL;
}

static size_t
key_index(const struct cfg_table *t, const struct cfg_key *k)
{
	return (size_t)(k - t->keys);
}

/* The object the keys of @p s write in (instance @p index when indexed). */
static void *
section_base(const struct cfg_parser *p, const struct cfg_section *s, unsigned index)
{
	if (s->kind == CFG_SEC_INDEXED)
		return (char *)p->obj + s->off + index * s->stride;
	return p->obj;
}

static int
value_set(const struct cfg_table *t, const struct cfg_key *k, void *base, const char *val,
	  bool append, char *why, size_t wl)
{
	uint8_t *f = (uint8_t *)base + k->off;
	size_t n;

	switch (k->type) {
	case CFG_U32:
		return cfg_parse_u32(val, k->min, k->max, (uint32_t *)(void *)f, why, wl);
	case CFG_BOOL:
		return cfg_parse_bool(val, (bool *)(void *)f, why, wl);
	case CFG_STR:
		n = strlen(val);
		if (n < k->min)
			return cfg_errf(why, wl, n == 0 ? "empty" : "shorter than %u bytes",
					k->min);
		if (n > k->max)
			return cfg_errf(why, wl, "longer than %u bytes", k->max);
		memcpy(f, val, n + 1);
		return 0;
	default:
		break;
	}
	if (k->type >= CFG_CUSTOM && t->set != NULL)
		return t->set(k, base, val, append, why, wl);
	return cfg_errf(why, wl, "internal: key type %d", k->type);
}

static void
value_render(const struct cfg_table *t, const struct cfg_key *k, const void *base,
	     char *buf, size_t len)
{
	const uint8_t *f = (const uint8_t *)base + k->off;

	buf[0] = '\0';
	switch (k->type) {
	case CFG_U32:
		snprintf(buf, len, "%u", *(const uint32_t *)(const void *)f);
		return;
	case CFG_BOOL:
		snprintf(buf, len, "%s", *(const bool *)(const void *)f ? "yes" : "no");
		return;
	case CFG_STR:
		snprintf(buf, len, "%s", (const char *)f);
		return;
	default:
		break;
	}
	if (k->type >= CFG_CUSTOM && t->render != NULL)
		t->render(k, base, buf, len);
}

int
cfg_key_set(const struct cfg_parser *p, const char *section, void *base, const char *name,
	    const char *val, char *why, size_t wl)
{
	const struct cfg_key *k = cfg_key_find(p->t, section, name);

	if (k == NULL)
		return -ENOENT;
	return value_set(p->t, k, base, val, false, why, wl);
}

int
cfg_fail(struct cfg_parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err != NULL && p->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

enum cfg_origin
cfg_origin(const struct cfg_parser *p, const char *section, const char *name, unsigned index)
{
	const struct cfg_key *k = cfg_key_find(p->t, section, name);

	if (k == NULL || index >= CFG_MAX_INDEX)
		return CFG_ORIGIN_DEFAULT;
	return (enum cfg_origin)p->origin[key_index(p->t, k)][index];
}

void
cfg_where(const struct cfg_parser *p, const char *section, const char *name,
	  unsigned index, char *buf, size_t len)
{
	const struct cfg_key *k = cfg_key_find(p->t, section, name);
	const struct cfg_section *s;
	enum cfg_origin o;
	char sec[CFG_NAME_LEN + 16];
	bool indexed;

	if (k == NULL || (s = section_find(p->t, k->section)) == NULL) {
		snprintf(buf, len, "[%s] %s", section, name);
		return;
	}
	indexed = s->kind == CFG_SEC_INDEXED;
	o = cfg_origin(p, section, name, indexed ? index : 0);
	snprintf(sec, sizeof(sec), "%s", s->name);
	if (indexed) {
		if (o == CFG_ORIGIN_FILE_ALIAS ||
		    (o == CFG_ORIGIN_DEFAULT && index == 0 && s->alias != NULL))
			snprintf(sec, sizeof(sec), "%s", s->alias);
		else
			snprintf(sec, sizeof(sec), "%s %u", s->name, index);
	}
	if (o == CFG_ORIGIN_FLAG ||
	    (o == CFG_ORIGIN_DEFAULT && p->file == NULL && k->flag != NULL)) {
		if (indexed && index > 0)
			snprintf(buf, len, "--%s (%s %u)", k->flag, s->name, index);
		else
			snprintf(buf, len, "--%s", k->flag);
	} else if (p->file != NULL) {
		snprintf(buf, len, "%s: [%s] %s", p->file, sec, k->name);
	} else {
		snprintf(buf, len, "[%s] %s", sec, k->name);
	}
}

int
cfg_fail_at(struct cfg_parser *p, const char *section, const char *name, unsigned index,
	    const char *why)
{
	const struct cfg_key *k = cfg_key_find(p->t, section, name);
	char where[PATH_MAX + 64], val[WHY_LEN] = "";

	cfg_where(p, section, name, index, where, sizeof(where));
	if (k != NULL)
		value_render(p->t, k, section_base(p, section_find(p->t, k->section), index),
			     val, sizeof(val));
	return cfg_fail(p, "%s: %s (got '%s')", where, why, val);
}

int
cfg_fail_missing(struct cfg_parser *p, const char *section, const char *name,
		 unsigned index, const char *what, const char *example)
{
	const struct cfg_key *k = cfg_key_find(p->t, section, name);
	const struct cfg_section *s = k != NULL ? section_find(p->t, k->section) : NULL;
	char sec[CFG_NAME_LEN + 16], ex[WHY_LEN];

	snprintf(sec, sizeof(sec), "%s", section);
	snprintf(ex, sizeof(ex), "%s", example);
	if (s != NULL && s->kind == CFG_SEC_INDEXED) {
		if (index == 0 && s->alias != NULL)
			snprintf(sec, sizeof(sec), "%s", s->alias);
		else
			snprintf(sec, sizeof(sec), "%s %u", s->name, index);
		if (index > 0)
			snprintf(ex, sizeof(ex), "%u:%s", index, example);
	}
	if (p->file != NULL || k == NULL || k->flag == NULL) {
		if (k != NULL && k->flag != NULL)
			return cfg_fail(p, "%s: [%s] %s: missing: %s (set it here, or --%s %s)",
					p->file, sec, name, what, k->flag, ex);
		return cfg_fail(p, "%s%s[%s] %s: missing: %s", p->file ? p->file : "",
				p->file ? ": " : "", sec, name, what);
	}
	return cfg_fail(p, "--%s: missing: %s, e.g. --%s %s (or [%s] %s in a --config file)",
			k->flag, what, k->flag, ex, sec, name);
}

/* ---- flags ---------------------------------------------------------- */

static bool
flag_takes_value(const struct cfg_table *t, const char *name, size_t len)
{
	const struct cfg_flag *f;
	const struct cfg_key *k;

	if (cfg_flag_is(name, len, "config"))
		return true;
	f = flag_find(t, name, len);
	if (f != NULL)
		return f->metavar != NULL;
	k = key_by_flag(t, name, len);
	return k != NULL && k->metavar != NULL;
}

/*
 * The flag at argv[*i]: "--name", "--name=value" or "--name value" (when it
 * takes a value; "-h" is "help"). Advances *i past a separate value.
 * @return 0 with name/len/val set (val NULL for none); 1 when argv[*i] is
 *         not a flag; -EINVAL when its value is missing.
 */
static int
flag_next(const struct cfg_table *t, int argc, char **argv, int *i, const char **name,
	  size_t *len, const char **val)
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
	if (*val != NULL || !flag_takes_value(t, *name, *len))
		return 0;
	/* "--cert --key k.pem" is a forgotten value, not a file named "--key". */
	if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)
		return -EINVAL;
	*val = argv[++*i];
	return 0;
}

/*
 * The first pass: --help wins wherever it is, and the one --config FILE is
 * found so that it is read before the other flags.
 */
static int
find_help_config(struct cfg_parser *p, int argc, char **argv, size_t cap, const char **file)
{
	*file = NULL;
	for (int i = 0; i < argc; i++) {
		const char *name, *val;
		size_t len;

		if (flag_next(p->t, argc, argv, &i, &name, &len, &val) != 0)
			continue;       /* reported by the second pass */
		if (cfg_flag_is(name, len, "help")) {
			p->help = true;
			return 0;
		}
		if (!cfg_flag_is(name, len, "config"))
			continue;
		if (*file != NULL)
			return cfg_fail(p, "--config: given twice, %s reads one file (got '%s' "
					"after '%s')", p->t->prog, val, *file);
		if (*val == '\0' || strlen(val) >= cap)
			return cfg_fail(p, "--config: %s (got '%s')", *val == '\0' ?
					"empty path" : "path too long", val);
		*file = val;
	}
	return 0;
}

/*
 * An indexed key's flag value: "N:VALUE" is instance N's, a plain VALUE
 * instance 0's. @return 0 with *index and *rest; -EINVAL with @p why.
 */
static int
index_prefix(const struct cfg_section *s, const char *val, unsigned *index,
	     const char **rest, char *why, size_t wl)
{
	const char *colon = strchr(val, ':');
	char num[16];
	uint32_t v;

	*index = 0;
	*rest = val;
	if (colon == NULL)
		return 0;
	if ((size_t)(colon - val) >= sizeof(num))
		return cfg_errf(why, wl, "'N:' before the value is a %s number 0..%u",
				s->name, s->n_index - 1);
	memcpy(num, val, (size_t)(colon - val));
	num[colon - val] = '\0';
	if (cfg_parse_u32(num, 0, s->n_index - 1, &v, why, wl) != 0)
		return cfg_errf(why, wl, "%s '%s' before ':' is not a %s number 0..%u",
				s->name, num, s->name, s->n_index - 1);
	*index = v;
	*rest = colon + 1;
	return 0;
}

static int
flags_parse(struct cfg_parser *p, int argc, char **argv)
{
	const struct cfg_table *t = p->t;
	char why[WHY_LEN];

	for (int i = 0; i < argc; i++) {
		const struct cfg_section *s;
		const struct cfg_key *k;
		const struct cfg_flag *f;
		const char *name, *val, *v;
		unsigned index = 0;
		size_t len, ki;
		int r = flag_next(t, argc, argv, &i, &name, &len, &val);

		if (r == 1)
			return cfg_fail(p, "'%s': unexpected argument (%s's options start with "
					"--; see --help)", argv[i], t->prog);
		if (r < 0) {
			k = key_by_flag(t, name, len);
			f = flag_find(t, name, len);
			return cfg_fail(p, "--%.*s: missing value (expects %s)", (int)len, name,
					k != NULL ? k->metavar : f != NULL ? f->metavar : "FILE");
		}
		if (cfg_flag_is(name, len, "config") || cfg_flag_is(name, len, "help"))
			continue;       /* handled before */
		f = flag_find(t, name, len);
		if (f != NULL && f->metavar == NULL && val != NULL)
			return cfg_fail(p, "--%s: takes no value (got '%s')", f->flag, val);
		if (f != NULL) {
			r = f->handle(p, val);
			if (r != 0)
				return r;
			continue;
		}
		k = key_by_flag(t, name, len);
		if (k == NULL && len > 3 && strncmp(name, "no-", 3) == 0) {
			/* --no-FLAG: a boolean turned off. */
			k = key_by_flag(t, name + 3, len - 3);
			if (k != NULL && k->metavar != NULL)
				k = NULL;
			if (k != NULL && val != NULL)
				return cfg_fail(p, "--%.*s: takes no value (or give --%s=no) (got "
						"'%s')", (int)len, name, k->flag, val);
			if (k != NULL)
				val = "no";
		}
		if (k == NULL)
			return cfg_fail(p, "--%.*s: unknown option (see --help)", (int)len, name);
		if (val == NULL)
			val = "yes";    /* a boolean flag alone turns it on */
		s = section_find(t, k->section);
		v = val;
		if (s->kind == CFG_SEC_INDEXED &&
		    index_prefix(s, val, &index, &v, why, sizeof(why)) != 0)
			return cfg_fail(p, "--%s: %s (got '%s')", k->flag, why, val);
		ki = key_index(t, k);
		if (value_set(t, k, section_base(p, s, index), v,
			      p->origin[ki][index] == CFG_ORIGIN_FLAG,
			      why, sizeof(why)) != 0)
			return cfg_fail(p, "--%s: %s (got '%s')", k->flag, why, val);
		p->origin[ki][index] = CFG_ORIGIN_FLAG;
		if (s->kind == CFG_SEC_INDEXED)
			p->named[index] = true;
	}
	return 0;
}

/* ---- the file ------------------------------------------------------- */

/* "a, b, c": the keys section @p s takes (with an alias's indexed keys). */
static void
section_keys(const struct cfg_table *t, const struct cfg_section *s, char *buf, size_t len)
{
	const struct cfg_section *ix = s->kind == CFG_SEC_ONE ? alias_of(t, s) : NULL;
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n_keys && o < len; i++)
		if (strcmp(t->keys[i].section, s->name) == 0 ||
		    (ix != NULL && strcmp(t->keys[i].section, ix->name) == 0))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
					      t->keys[i].name);
}

/*
 * The keys of one section as written (@p sec), of table section @p s:
 * instance @p index of an indexed one, @p base a named one's object.
 */
static int
file_section(struct cfg_parser *p, const struct cfg_section *s, const char *sec,
	     unsigned index, void *base, const struct rte_cfgfile_entry *e, int n)
{
	const struct cfg_table *t = p->t;
	const struct cfg_section *ix = s->kind == CFG_SEC_ONE ? alias_of(t, s) : NULL;
	char why[WHY_LEN];

	for (int i = 0; i < n; i++) {
		const struct cfg_section *ks = s;
		const struct cfg_key *k;
		unsigned kindex = index;
		void *kbase = base;

		/* rte_cfgfile keeps both; a second value would silently win. */
		for (int j = 0; j < i; j++)
			if (strcmp(e[j].name, e[i].name) == 0)
				return cfg_fail(p, "%s: [%s] %s: duplicate key, first set to '%s' "
						"(got '%s')", p->file, sec, e[i].name, e[j].value,
						e[i].value);
		k = cfg_key_find(t, s->name, e[i].name);
		if (k == NULL && ix != NULL && (k = cfg_key_find(t, ix->name, e[i].name)) != NULL) {
			ks = ix;        /* [net] addr is [port 0] addr */
			kindex = 0;
			kbase = section_base(p, ix, 0);
		}
		if (k == NULL) {
			section_keys(t, s, why, sizeof(why));
			return cfg_fail(p, "%s: [%s] %s: unknown key; [%s%s] takes %s (got '%s')",
					p->file, sec, e[i].name, s->name,
					s->kind == CFG_SEC_NAMED ? " NAME" :
					s->kind == CFG_SEC_INDEXED ? " N" : "", why, e[i].value);
		}
		if (ks->kind == CFG_SEC_INDEXED) {
			uint8_t *o = &p->origin[key_index(t, k)][kindex];

			/* [net] addr and [port 0] addr are one setting: once. */
			if (*o != CFG_ORIGIN_DEFAULT) {
				char first[CFG_NAME_LEN + 16];

				if (*o == CFG_ORIGIN_FILE_ALIAS)
					snprintf(first, sizeof(first), "%s", ks->alias);
				else
					snprintf(first, sizeof(first), "%s %u", ks->name, kindex);
				return cfg_fail(p, "%s: [%s] %s: %s %u's %s is set in [%s] already: "
						"give it once (got '%s')", p->file, sec, e[i].name,
						ks->name, kindex, e[i].name, first, e[i].value);
			}
			*o = ks != s ? CFG_ORIGIN_FILE_ALIAS : CFG_ORIGIN_FILE;
		} else if (ks->kind == CFG_SEC_ONE) {
			p->origin[key_index(t, k)][0] = CFG_ORIGIN_FILE;
		}
		if (value_set(t, k, kbase, e[i].value, false, why, sizeof(why)) != 0)
			return cfg_fail(p, "%s: [%s] %s: %s (got '%s')", p->file, sec, e[i].name,
					why, e[i].value);
	}
	return 0;
}

/*
 * Which table section "[@p sec]" is: *label is what follows an indexed or
 * named section's name ("1" of "port 1"), trimmed, in @p lbuf.
 */
static const struct cfg_section *
section_match(const struct cfg_table *t, const char *sec, char *lbuf, size_t lcap)
{
	for (size_t i = 0; i < t->n_sections; i++) {
		const struct cfg_section *s = &t->sections[i];
		size_t n = strlen(s->name);

		if (s->kind == CFG_SEC_ONE) {
			if (strcmp(sec, s->name) == 0)
				return s;
			continue;
		}
		if (strncmp(sec, s->name, n) == 0 &&
		    (sec[n] == '\0' || isspace((unsigned char)sec[n]))) {
			char tmp[CFG_NAME_LEN];

			snprintf(tmp, sizeof(tmp), "%s", sec + n);
			snprintf(lbuf, lcap, "%s", cfg_trim(tmp));
			return s;
		}
	}
	return NULL;
}

static void
sections_list(const struct cfg_table *t, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n_sections && o < len; i++) {
		const struct cfg_section *s = &t->sections[i];

		o += (size_t)snprintf(buf + o, len - o, "%s[%s%s]", o ? ", " : "", s->name,
				      s->kind == CFG_SEC_NAMED ? " NAME" :
				      s->kind == CFG_SEC_INDEXED ? " N" : "");
	}
}

static int
file_one_section(struct cfg_parser *p, const char *sec, const struct rte_cfgfile_entry *e,
		 int n)
{
	const struct cfg_table *t = p->t;
	char label[CFG_NAME_LEN], why[WHY_LEN];
	const struct cfg_section *s = section_match(t, sec, label, sizeof(label));
	const char *key = NULL;
	uint32_t index;
	void *inst;
	int ret;

	if (s == NULL) {
		sections_list(t, why, sizeof(why));
		return cfg_fail(p, "%s: [%s]: unknown section; %s takes %s", p->file, sec,
				t->prog, why);
	}
	switch (s->kind) {
	case CFG_SEC_ONE:
		return file_section(p, s, sec, 0, p->obj, e, n);
	case CFG_SEC_INDEXED:
		if (cfg_parse_u32(label, 0, s->n_index - 1, &index, why, sizeof(why)) != 0)
			return cfg_fail(p, "%s: [%s]: a %s section is [%s N], N %s%s0..%u",
					p->file, sec, s->name, s->name,
					s->index_doc ? s->index_doc : "", s->index_doc ? ", " : "",
					s->n_index - 1);
		p->named[index] = true;
		return file_section(p, s, sec, index, section_base(p, s, index), e, n);
	case CFG_SEC_NAMED:
		if (label[0] == '\0')
			return cfg_fail(p, "%s: [%s]: a %s section is [%s NAME]: it needs a name",
					p->file, sec, s->name, s->name);
		inst = s->open(p, label, why, sizeof(why));
		if (inst == NULL)
			return cfg_fail(p, "%s: [%s]: %s", p->file, sec, why);
		ret = file_section(p, s, sec, 0, inst, e, n);
		if (ret != 0)
			return ret;
		if (s->close != NULL && s->close(p, inst, &key, why, sizeof(why)) != 0)
			return cfg_fail(p, "%s: [%s]%s%s: %s", p->file, sec, key ? " " : "",
					key ? key : "", why);
		return 0;
	}
	return cfg_fail(p, "%s: [%s]: internal: section kind %d", p->file, sec, (int)s->kind);
}

static int
file_parse(struct cfg_parser *p)
{
	struct rte_cfgfile_parameters params = { .comment_character = CFG_COMMENT };
	struct rte_cfgfile_entry *e = NULL;
	struct rte_cfgfile *cf;
	int ret, n_sec;

	ret = cfg_file_prescan(p->file, p->err, p->errlen);
	if (ret != 0)
		return ret;
	cf = rte_cfgfile_load_with_params(p->file, CFG_FLAG_EMPTY_VALUES, &params);
	if (cf == NULL)
		return cfg_fail(p, "%s: rte_cfgfile cannot load it", p->file);
	n_sec = rte_cfgfile_num_sections(cf, NULL, 0);
	for (int s = 0; ret == 0 && s < n_sec; s++) {
		char sec[CFG_NAME_LEN], other[CFG_NAME_LEN];
		int n = rte_cfgfile_section_num_entries_by_index(cf, sec, s);

		for (int t = 0; t < s && ret == 0; t++) {
			rte_cfgfile_section_num_entries_by_index(cf, other, t);
			if (strcmp(sec, other) == 0)
				ret = cfg_fail(p, "%s: [%s]: duplicate section", p->file, sec);
		}
		if (ret != 0)
			break;
		if (n < 0) {
			ret = cfg_fail(p, "%s: [%s]: rte_cfgfile cannot read it", p->file, sec);
			break;
		}
		free(e);
		e = calloc((size_t)n + 1, sizeof(*e));
		if (e == NULL) {
			ret = cfg_fail(p, "%s: out of memory", p->file);
			break;
		}
		n = rte_cfgfile_section_entries_by_index(cf, s, sec, e, n);
		ret = file_one_section(p, sec, e, n);
	}
	free(e);
	rte_cfgfile_close(cf);
	return ret;
}

/* ---- the parse ------------------------------------------------------ */

int
cfg_parse(struct cfg_parser *p, const struct cfg_table *t, void *obj, void *user,
	  int argc, char **argv, char *file_buf, size_t file_cap, char *err, size_t errlen)
{
	const char *file = NULL;
	int ret;

	memset(p, 0, sizeof(*p));
	p->t = t;
	p->obj = obj;
	p->user = user;
	p->err = err;
	p->errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (file_buf != NULL && file_cap > 0)
		file_buf[0] = '\0';
	if (t->n_keys > CFG_MAX_KEYS)
		return cfg_fail(p, "%s: internal: %zu keys, the parser takes %d", t->prog,
				t->n_keys, CFG_MAX_KEYS);
	for (size_t i = 0; i < t->n_sections; i++)
		if (t->sections[i].kind == CFG_SEC_INDEXED &&
		    (t->sections[i].n_index == 0 || t->sections[i].n_index > CFG_MAX_INDEX))
			return cfg_fail(p, "%s: internal: [%s N]: 1..%d instances", t->prog,
					t->sections[i].name, CFG_MAX_INDEX);
	/* --help wins, and --config is read first, wherever they are. */
	ret = find_help_config(p, argc, argv, file_cap, &file);
	if (ret != 0 || p->help)
		return ret;
	if (file != NULL) {
		snprintf(file_buf, file_cap, "%s", file);
		p->file = file_buf;
		ret = file_parse(p);
		if (ret != 0)
			return ret;
	}
	ret = flags_parse(p, argc, argv);
	if (ret == 0 && t->finish != NULL)
		ret = t->finish(p);
	return ret;
}

/* ---- --help --------------------------------------------------------- */

/*
 * @p text from column @p indent, lines broken at blanks before column 79;
 * the first line starts where the cursor is when @p cont.
 */
static void
put_wrapped(FILE *out, int indent, bool cont, const char *text)
{
	const int width = 79 - indent;

	while (*text != '\0') {
		int n = (int)strlen(text), cut = n;

		if (n > width) {
			for (cut = width; cut > 0 && text[cut] != ' '; cut--)
				;
			if (cut == 0)   /* one long word: let it run over */
				for (cut = width; text[cut] != '\0' && text[cut] != ' '; cut++)
					;
		}
		fprintf(out, "%*s%.*s\n", cont ? 0 : indent, "", cut, text);
		cont = false;
		text += cut;
		while (*text == ' ')
			text++;
	}
}

static void
section_title(const struct cfg_section *s, char *buf, size_t len)
{
	snprintf(buf, len, "[%s%s]", s->name, s->kind == CFG_SEC_NAMED ? " NAME" :
		 s->kind == CFG_SEC_INDEXED ? " N" : "");
}

void
cfg_usage(const struct cfg_table *t, const void *defaults, FILE *out)
{
	char val[2048], help[4096], left[64], title[CFG_NAME_LEN + 8];

	fputs(t->usage, out);
	fprintf(out,
		"\n"
		"Options (each sets the config-file key shown; flags override the file;\n"
		"--flag=VALUE works too; a boolean flag alone means yes, --no-FLAG no):\n"
		"  %-34s %s\n", "--config FILE", "read the settings below from FILE first");
	for (size_t i = 0; i < t->n_flags; i++) {
		const struct cfg_flag *f = &t->flags[i];

		if (f->usage != NULL && f->usage[0] == '\0')
			continue;       /* documented with another flag */
		if (f->usage != NULL)
			snprintf(left, sizeof(left), "%s", f->usage);
		else
			snprintf(left, sizeof(left), "--%s%s%s", f->flag, f->metavar ? " " : "",
				 f->metavar ? f->metavar : "");
		fprintf(out, "  %-34s ", left);
		put_wrapped(out, 37, true, f->help);
	}
	fprintf(out, "  %-34s %s\n", "--help", "print this text and exit");
	for (size_t i = 0; i < t->n_keys; i++) {
		const struct cfg_key *k = &t->keys[i];
		const struct cfg_section *s = section_find(t, k->section);
		bool ix = s->kind == CFG_SEC_INDEXED;

		if (k->flag == NULL)
			continue;
		snprintf(left, sizeof(left), "--%s%s%s%s", k->flag, k->metavar ? " " : "",
			 ix ? "[N:]" : "", k->metavar ? k->metavar : "");
		if (ix && s->alias != NULL)
			fprintf(out, "  %-34s [%s] %s; with N: [%s N] %s\n", left, s->alias,
				k->name, s->name, k->name);
		else if (ix)
			fprintf(out, "  %-34s [%s N] %s\n", left, s->name, k->name);
		else
			fprintf(out, "  %-34s [%s] %s\n", left, k->section, k->name);
	}
	fprintf(out,
		"\n"
		"Config file (--config): INI read with rte_cfgfile. '[section]' lines,\n"
		"'key = value' lines, '#' starts a comment (\\# is a literal '#'), values\n"
		"up to 255 bytes. Lists are comma-separated; booleans are yes/no,\n"
		"true/false, on/off, 1/0. Unknown sections or keys, a key or section given\n"
		"twice, and any bad value are errors naming the file, section and key.\n"
		"Sections, keys (flag), meaning and [default]:\n");
	for (size_t j = 0; j < t->n_sections; j++) {
		const struct cfg_section *s = &t->sections[j];
		const struct cfg_section *ix = s->kind == CFG_SEC_ONE ? alias_of(t, s) : NULL;
		const void *base = NULL;

		section_title(s, title, sizeof(title));
		fprintf(out, "\n  %s\n", title);
		if (s->help != NULL)
			fprintf(out, "%s", s->help);
		if (ix != NULL) {
			section_keys(t, ix, val, sizeof(val));
			fprintf(out, "    %s: [%s 0]'s may be set here instead (not both)\n",
				val, ix->name);
		}
		if (s->kind == CFG_SEC_NAMED)
			base = s->proto;
		else if (defaults != NULL)
			base = s->kind == CFG_SEC_INDEXED ?
			       (const char *)defaults + s->off : defaults;
		for (size_t i = 0; i < t->n_keys; i++) {
			const struct cfg_key *k = &t->keys[i];

			if (strcmp(k->section, s->name) != 0)
				continue;
			val[0] = '\0';
			if (base != NULL)
				value_render(t, k, base, val, sizeof(val));
			snprintf(left, sizeof(left), "%s = %s", k->name,
				 k->metavar ? k->metavar : "yes|no");
			fprintf(out, "    %s%s%s%s\n", left, k->flag ? " (--" : "",
				k->flag ? k->flag : "", k->flag ? ")" : "");
			snprintf(help, sizeof(help), "%s%s%s%s", k->help, base ? " [" : "",
				 base ? (val[0] ? val : "none") : "", base ? "]" : "");
			put_wrapped(out, 8, false, help);
		}
	}
	if (t->file_help != NULL)
		fprintf(out, "\n%s", t->file_help);
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
