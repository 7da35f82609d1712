/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The key-table parser of cfg_util.c on a table of its own (not hsod's nor
 * hso-proxy's): every section kind, every built-in type, a custom type,
 * extra flags, origins and the messages that name them, --no-FLAG, --help,
 * and the negative cases of each. test_config.c and test_proxy.c test the
 * two real tables on top of it.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg_util.h"
#include "check.h"

#define N_SLOTS 3
#define N_ITEMS 4

struct slot {
	uint32_t speed;
	char color[16];
};

struct item {
	char name[16];
	char path[32];
	bool on;
};

struct toy {
	uint32_t count;
	bool verbose;
	char label[8];
	char mode[8];           /* custom: "fast" or "slow" */
	unsigned list_n;        /* custom list: appends when a flag repeats */
	uint32_t list[8];
	struct slot slots[N_SLOTS];
	struct item items[N_ITEMS];
	unsigned n_items;
	unsigned extra;         /* --bump count */
};

enum { KT_MODE = CFG_CUSTOM, KT_LIST };

#define F(m) offsetof(struct toy, m)
#define FS(m) offsetof(struct slot, m)
#define FI(m) offsetof(struct item, m)

static const struct cfg_key keys[] = {
	{ "main", "count", "count", "N", CFG_U32, F(count), 2, 10, "a count, 2..10" },
	{ "main", "verbose", "verbose", NULL, CFG_BOOL, F(verbose), 0, 0, "talk" },
	{ "main", "label", "label", "TEXT", CFG_STR, F(label), 1, 7, "1..7 bytes" },
	{ "main", "mode", "mode", "fast|slow", KT_MODE, F(mode), 0, 0, "the mode" },
	{ "main", "list", "list", "N[,N...]", KT_LIST, 0, 0, 0, "numbers" },
	{ "main", "secret", NULL, "N", CFG_U32, F(extra), 0, 5, "file only" },
	{ "slot", "speed", "speed", "N", CFG_U32, FS(speed), 1, 100, "a slot's speed" },
	{ "slot", "color", NULL, "NAME", CFG_STR, FS(color), 0, 15, "a slot's color" },
	{ "item", "path", NULL, "PATH", CFG_STR, FI(path), 1, 31, "required" },
	{ "item", "on", NULL, NULL, CFG_BOOL, FI(on), 0, 0, "on or off" },
};

static int
toy_set(const struct cfg_key *k, void *base, const char *val, bool append, char *why,
	size_t wl)
{
	struct toy *t = base;

	if (k->type == KT_MODE) {
		if (strcmp(val, "fast") != 0 && strcmp(val, "slow") != 0)
			return cfg_errf(why, wl, "fast or slow");
		snprintf(t->mode, sizeof(t->mode), "%s", val);
		return 0;
	}
	if (!append)
		t->list_n = 0;
	for (const char *s = val; *s != '\0';) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || t->list_n == 8)
			return cfg_errf(why, wl, "bad list");
		t->list[t->list_n++] = (uint32_t)v;
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static void
toy_render(const struct cfg_key *k, const void *base, char *buf, size_t len)
{
	const struct toy *t = base;

	if (k->type == KT_MODE)
		snprintf(buf, len, "%s", t->mode);
	else
		snprintf(buf, len, "%u items", t->list_n);
}

static void *
item_open(struct cfg_parser *p, const char *label, char *why, size_t wl)
{
	struct toy *t = p->obj;
	struct item *it;

	if (t->n_items == N_ITEMS) {
		cfg_errf(why, wl, "more than %d items", N_ITEMS);
		return NULL;
	}
	if (strlen(label) >= sizeof(it->name)) {
		cfg_errf(why, wl, "name too long");
		return NULL;
	}
	it = &t->items[t->n_items];
	memset(it, 0, sizeof(*it));
	snprintf(it->name, sizeof(it->name), "%s", label);
	return it;
}

static int
item_close(struct cfg_parser *p, void *inst, const char **key, char *why, size_t wl)
{
	struct toy *t = p->obj;
	struct item *it = inst;

	if (it->path[0] == '\0') {
		*key = "path";
		return cfg_errf(why, wl, "missing");
	}
	if (strcmp(it->name, "dup") == 0 && t->n_items > 0) {
		*key = NULL;
		return cfg_errf(why, wl, "refused by close");
	}
	t->n_items++;
	return 0;
}

static int
flag_bump(struct cfg_parser *p, const char *val)
{
	struct toy *t = p->obj;

	(void)val;
	if (++t->extra > 2)
		return cfg_fail(p, "--bump: at most twice");
	return 0;
}

static int finish_calls;

static int
toy_finish(struct cfg_parser *p)
{
	finish_calls++;
	(void)p;
	return 0;
}

static const struct item item_proto = { .on = true };

static const struct cfg_section sections[] = {
	{ .name = "main" },
	{ .name = "slot", .kind = CFG_SEC_INDEXED, .n_index = N_SLOTS, .off = F(slots),
	  .stride = sizeof(struct slot), .alias = "main", .index_doc = "the slot" },
	{ .name = "item", .kind = CFG_SEC_NAMED, .open = item_open, .close = item_close,
	  .proto = &item_proto },
};

static const struct cfg_flag flags[] = {
	{ "bump", NULL, NULL, "bump the counter", flag_bump },
};

static const struct cfg_table table = {
	.prog = "toy",
	.usage = "Usage: toy [options]\n",
	.sections = sections,
	.n_sections = sizeof(sections) / sizeof(sections[0]),
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
	.flags = flags,
	.n_flags = sizeof(flags) / sizeof(flags[0]),
	.set = toy_set,
	.render = toy_render,
	.finish = toy_finish,
};

static char dir[] = "/tmp/hso-cfg-XXXXXX";
static char path[PATH_MAX];
static char err[1024];
static char file_buf[PATH_MAX];
static struct cfg_parser ps;

static const char *
file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/toy.ini", dir);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0) {
		perror(path);
		exit(2);
	}
	fclose(f);
	return path;
}

static void
toy_defaults(struct toy *t)
{
	memset(t, 0, sizeof(*t));
	t->count = 5;
	snprintf(t->mode, sizeof(t->mode), "slow");
}

/* Parse the NULL-terminated arguments into @p t (defaults first). */
static int
parse(struct toy *t, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	va_start(ap, t);
	for (char *a; argc < 31 && (a = va_arg(ap, char *)) != NULL;)
		argv[argc++] = a;
	va_end(ap);
	toy_defaults(t);
	return cfg_parse(&ps, &table, t, NULL, argc, argv, file_buf, sizeof(file_buf), err,
			 sizeof(err));
}

/* -EINVAL and every substring in err. */
#define ERR_HAS(call_, ...)                                                   \
	do {                                                                  \
		const char *subs_[] = { __VA_ARGS__, NULL };                  \
		int r_ = (call_);                                             \
		CHECK_MSG(r_ == -EINVAL, "got %d (err '%s')", r_, err);       \
		for (const char **s_ = subs_; *s_ != NULL; s_++)              \
			CHECK_MSG(strstr(err, *s_) != NULL, "'%s' lacks '%s'", \
				  err, *s_);                                  \
	} while (0)

static void
test_flags(void)
{
	struct toy t;

	CHECK_EQ(parse(&t, NULL), 0);
	CHECK_EQ(t.count, 5);
	CHECK(err[0] == '\0' && file_buf[0] == '\0' && ps.file == NULL);
	CHECK_EQ(cfg_origin(&ps, "main", "count", 0), CFG_ORIGIN_DEFAULT);

	CHECK_EQ(parse(&t, "--count", "7", "--verbose", "--label=abc", "--mode", "fast",
		       "--speed", "2:50", "--speed", "9", "--bump", "--list", "1,2",
		       "--list", "3", NULL), 0);
	CHECK_EQ(t.count, 7);
	CHECK(t.verbose);
	CHECK(strcmp(t.label, "abc") == 0);
	CHECK(strcmp(t.mode, "fast") == 0);
	CHECK_EQ(t.slots[2].speed, 50);
	CHECK_EQ(t.slots[0].speed, 9);
	CHECK_EQ(t.extra, 1);
	/* A repeated flag of a custom type is told to append. */
	CHECK_EQ(t.list_n, 3);
	CHECK_EQ(t.list[2], 3);
	CHECK(ps.named[2] && ps.named[0] && !ps.named[1]);
	CHECK_EQ(cfg_origin(&ps, "main", "count", 0), CFG_ORIGIN_FLAG);
	CHECK_EQ(cfg_origin(&ps, "slot", "speed", 2), CFG_ORIGIN_FLAG);
	CHECK_EQ(cfg_origin(&ps, "slot", "speed", 1), CFG_ORIGIN_DEFAULT);
	CHECK_EQ(finish_calls > 0, 1);

	/* --no-FLAG turns a boolean off, and only a boolean. */
	CHECK_EQ(parse(&t, "--verbose", "--no-verbose", NULL), 0);
	CHECK(!t.verbose);
	ERR_HAS(parse(&t, "--no-verbose=yes", NULL), "--no-verbose", "takes no value",
		"'yes'");
	ERR_HAS(parse(&t, "--no-count", NULL), "--no-count", "unknown option");
	ERR_HAS(parse(&t, "--verbose=perhaps", NULL), "--verbose", "not a boolean",
		"'perhaps'");

	/* Values: ranges, lengths, custom. */
	ERR_HAS(parse(&t, "--count", "11", NULL), "--count: out of range 2..10 (got '11')");
	ERR_HAS(parse(&t, "--count", "1", NULL), "--count", "'1'");
	ERR_HAS(parse(&t, "--count", " 3", NULL), "--count", "not a decimal");
	ERR_HAS(parse(&t, "--label", "12345678", NULL), "--label", "longer than 7 bytes");
	ERR_HAS(parse(&t, "--label=", NULL), "--label", "empty");
	ERR_HAS(parse(&t, "--mode", "warp", NULL), "--mode: fast or slow (got 'warp')");

	/* Indexed flags: the "N:" prefix. */
	ERR_HAS(parse(&t, "--speed", "3:5", NULL), "--speed", "slot '3'", "0..2", "'3:5'");
	ERR_HAS(parse(&t, "--speed", "x:5", NULL), "--speed", "slot 'x'");
	ERR_HAS(parse(&t, "--speed", "12345678901234567:5", NULL), "--speed", "'N:'");
	ERR_HAS(parse(&t, "--speed", "1:0", NULL), "--speed", "out of range 1..100",
		"'1:0'");

	/* Shapes. */
	ERR_HAS(parse(&t, "stray", NULL), "'stray': unexpected argument", "toy's options");
	ERR_HAS(parse(&t, "--count", NULL), "--count: missing value (expects N)");
	ERR_HAS(parse(&t, "--count", "--verbose", NULL), "--count", "missing value");
	ERR_HAS(parse(&t, "--secret", "1", NULL), "--secret", "unknown option");
	ERR_HAS(parse(&t, "--bump", "--bump", "--bump", NULL), "--bump: at most twice");
	ERR_HAS(parse(&t, "--bump=1", NULL), "--bump: takes no value (got '1')");
	/* --help wins over errors; a value that reads "--help" is a value. */
	CHECK_EQ(parse(&t, "--bogus", "-h", NULL), 0);
	CHECK(ps.help);
	CHECK_EQ(parse(&t, "--label=--help", NULL), 0);
	CHECK(!ps.help);
	ERR_HAS(parse(&t, "--config", "a", "--config=b", NULL), "--config: given twice",
		"toy reads one file");
	ERR_HAS(parse(&t, "--config=", NULL), "--config: empty path");
}

static void
test_file(void)
{
	struct toy t;
	const char *f;

	f = file("[main]\ncount = 3\nverbose = on\nmode = fast\nsecret = 4\nspeed = 7\n"
		 "[slot 1]\nspeed = 20\ncolor = red\n"
		 "[item a]\npath = /a\n[item b]\npath = /b\non = no\n");
	CHECK_EQ(parse(&t, "--config", f, "--count", "9", NULL), 0);
	CHECK_MSG(err[0] == '\0', "%s", err);
	CHECK(strcmp(file_buf, f) == 0 && ps.file == file_buf);
	CHECK_EQ(t.count, 9);
	CHECK(t.verbose);
	CHECK_EQ(t.extra, 4);
	CHECK_EQ(t.slots[0].speed, 7);
	CHECK_EQ(t.slots[1].speed, 20);
	CHECK(strcmp(t.slots[1].color, "red") == 0);
	CHECK_EQ(t.n_items, 2);
	CHECK(strcmp(t.items[1].name, "b") == 0 && strcmp(t.items[1].path, "/b") == 0);
	CHECK(!t.items[1].on);
	CHECK(ps.named[1] && !ps.named[2]);
	CHECK_EQ(cfg_origin(&ps, "main", "count", 0), CFG_ORIGIN_FLAG);
	CHECK_EQ(cfg_origin(&ps, "main", "verbose", 0), CFG_ORIGIN_FILE);
	CHECK_EQ(cfg_origin(&ps, "slot", "speed", 0), CFG_ORIGIN_FILE_ALIAS);
	CHECK_EQ(cfg_origin(&ps, "slot", "speed", 1), CFG_ORIGIN_FILE);

	/* Where a value came from, as messages name it. */
	{
		char w[PATH_MAX + 64], want[PATH_MAX + 64];

		cfg_where(&ps, "slot", "speed", 0, w, sizeof(w));
		snprintf(want, sizeof(want), "%s: [main] speed", f);
		CHECK_MSG(strcmp(w, want) == 0, "%s", w);
		cfg_where(&ps, "slot", "speed", 1, w, sizeof(w));
		snprintf(want, sizeof(want), "%s: [slot 1] speed", f);
		CHECK_MSG(strcmp(w, want) == 0, "%s", w);
		cfg_where(&ps, "main", "count", 0, w, sizeof(w));
		CHECK_MSG(strcmp(w, "--count") == 0, "%s", w);
		ERR_HAS(cfg_fail_at(&ps, "slot", "speed", 1, "too fast"),
			"[slot 1] speed: too fast (got '20')");
		ERR_HAS(cfg_fail_at(&ps, "main", "mode", 0, "odd"), "[main] mode: odd (got 'fast')");
		ERR_HAS(cfg_fail_missing(&ps, "slot", "speed", 2, "slot 2 needs one", "10"),
			f, "[slot 2] speed: missing: slot 2 needs one", "--speed 2:10");
	}
	CHECK_EQ(parse(&t, "--speed", "2:30", NULL), 0);
	ERR_HAS(cfg_fail_at(&ps, "slot", "speed", 2, "odd"), "--speed (slot 2): odd (got '30')");
	ERR_HAS(cfg_fail_missing(&ps, "main", "count", 0, "needed", "3"),
		"--count: missing: needed, e.g. --count 3 (or [main] count in a --config file)");
	ERR_HAS(cfg_fail_missing(&ps, "slot", "speed", 1, "needed", "3"), "--speed 1:3",
		"[slot 1] speed");

	/* cfg_key_set: a key by name into any object of its section. */
	{
		struct item it;
		char why[128];

		memset(&it, 0, sizeof(it));
		CHECK_EQ(cfg_key_set(&ps, "item", &it, "path", "/x", why, sizeof(why)), 0);
		CHECK(strcmp(it.path, "/x") == 0);
		CHECK_EQ(cfg_key_set(&ps, "item", &it, "nope", "1", why, sizeof(why)), -ENOENT);
		CHECK_EQ(cfg_key_set(&ps, "item", &it, "on", "2", why, sizeof(why)), -EINVAL);
		CHECK(cfg_key_find(&table, "item", "path") == &keys[8]);
		CHECK(cfg_key_find(&table, "main", "path") == NULL);
	}

	/* Negative cases, each naming the file, section and key. */
	static const struct {
		const char *text;
		const char *want[3];
	} bad[] = {
		{ "[main]\ncount = 1\n", { "[main] count: out of range 2..10 (got '1')" } },
		{ "[main]\ncount = 3\ncount = 4\n", { "[main] count: duplicate key",
						      "'3'", "'4'" } },
		{ "[main]\n[main]\n", { "[main]: duplicate section" } },
		{ "[mian]\n", { "[mian]: unknown section", "toy takes [main], [slot N], "
			        "[item NAME]" } },
		{ "[main]\ncolour = red\n", { "[main] colour: unknown key",
					      "[main] takes count, verbose", "speed, color" } },
		{ "[slot 1]\ncount = 3\n", { "[slot 1] count: unknown key", "[slot N] takes speed, color" } },
		{ "[slot 3]\nspeed = 1\n", { "[slot 3]: a slot section is [slot N], N the slot, 0..2" } },
		{ "[slot]\nspeed = 1\n", { "[slot]: a slot section" } },
		{ "[slot x]\n", { "[slot x]", "0..2" } },
		{ "[slots 1]\n", { "[slots 1]: unknown section" } },
		{ "[main]\nspeed = 1\n[slot 0]\nspeed = 2\n",
		  { "[slot 0] speed: slot 0's speed is set in [main] already: give it once "
		    "(got '2')" } },
		{ "[slot 1]\nspeed = 1\n[slot 01]\nspeed = 2\n",
		  { "[slot 01] speed: slot 1's speed is set in [slot 1] already" } },
		{ "[item]\npath = /a\n", { "[item]: a item section is [item NAME]: it needs a name" } },
		{ "[item a]\non = yes\n", { "[item a] path: missing" } },
		{ "[item a]\npath = /a\n[item dup]\npath = /b\n", { "[item dup]: refused by close" } },
		{ "[item a]\npath = \n", { "[item a] path: empty (got '')" } },
		{ "[item a]\npath = /a\nsize = 1\n", { "[item a] size: unknown key; [item NAME] takes path, on" } },
		{ "[item a]\npath=1\n[item b]\npath=1\n[item c]\npath=1\n[item d]\npath=1\n"
		  "[item e]\npath=1\n", { "[item e]: more than 4 items" } },
		{ "[item 0123456789abcdefg]\npath=1\n", { "name too long" } },
		{ "count = 3\n", { ":1: count: key before any [section]" } },
		{ "[main]\ncount 3\n", { ":2: neither '[section]' nor 'key = value'" } },
		{ "[main] # ok\n[slot 1] x\n", { ":2: a section line is '[name]' alone" } },
		{ "[main]\nmode = warp\n", { "[main] mode: fast or slow (got 'warp')" } },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = file(bad[i].text);
		CHECK_MSG(parse(&t, "--config", f, NULL) == -EINVAL, "case %zu: accepted", i);
		CHECK_MSG(strstr(err, f) != NULL, "case %zu: '%s' does not name the file", i, err);
		for (int j = 0; j < 3 && bad[i].want[j] != NULL; j++)
			CHECK_MSG(strstr(err, bad[i].want[j]) != NULL, "case %zu: '%s' lacks '%s'",
				  i, err, bad[i].want[j]);
	}
	{
		char missing[PATH_MAX + 16];

		snprintf(missing, sizeof(missing), "%s/none.ini", dir);
		ERR_HAS(parse(&t, "--config", missing, NULL), missing, "cannot open");
	}
	unlink(path);
}

/* A table the parser cannot hold is refused, not overrun. */
static void
test_table_limits(void)
{
	static struct cfg_key many[CFG_MAX_KEYS + 1];
	struct cfg_table big = table;
	struct cfg_section bad_sec[] = {
		{ .name = "slot", .kind = CFG_SEC_INDEXED, .n_index = CFG_MAX_INDEX + 1 },
	};
	struct toy t;

	for (size_t i = 0; i < CFG_MAX_KEYS + 1; i++)
		many[i] = keys[0];
	big.keys = many;
	big.n_keys = CFG_MAX_KEYS + 1;
	toy_defaults(&t);
	CHECK_EQ(cfg_parse(&ps, &big, &t, NULL, 0, NULL, file_buf, sizeof(file_buf), err,
			   sizeof(err)), -EINVAL);
	CHECK(strstr(err, "internal") != NULL);
	big = table;
	big.sections = bad_sec;
	big.n_sections = 1;
	CHECK_EQ(cfg_parse(&ps, &big, &t, NULL, 0, NULL, file_buf, sizeof(file_buf), err,
			   sizeof(err)), -EINVAL);
	CHECK(strstr(err, "instances") != NULL);
}

static void
test_usage(void)
{
	static const char *const want[] = {
		"Usage: toy", "--config FILE", "--bump ", "bump the counter", "--help",
		"--count N", "[main] count", "--speed [N:]N", "[main] speed; with N: [slot N] speed",
		"--verbose", "[main]", "[slot N]", "[item NAME]", "count = N (--count)",
		"a count, 2..10 [5]", "verbose = yes|no (--verbose)", "talk [no]",
		"mode = fast|slow", "the mode [slow]", "secret = N\n", "speed, color: [slot 0]'s",
		"on or off [yes]", "path = PATH\n", "list = N[,N...]", "numbers [0 items]",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct toy d;

	toy_defaults(&d);
	cfg_usage(&table, &d, f);
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_MSG(strstr(text, want[i]) != NULL, "--help lacks '%s'", want[i]);
	/* File-only keys have no flag line. */
	CHECK(strstr(text, "--secret") == NULL);
	/* No line runs past column 79 where it can be broken. */
	for (char *l = text, *e; l != NULL && *l != '\0'; l = e ? e + 1 : NULL) {
		e = strchr(l, '\n');
		CHECK_MSG((e ? (size_t)(e - l) : strlen(l)) < 80, "long line '%.*s'",
			  (int)(e ? e - l : (long)strlen(l)), l);
	}
	if (getenv("HSO_TEST_SHOW_USAGE") != NULL)
		fputs(text, stdout);
	free(text);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_flags();
	test_file();
	test_table_limits();
	test_usage();
	rmdir(dir);
	return check_result("cfg_util");
}
