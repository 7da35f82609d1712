/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hsod_keywatch (the ticket key file's inotify watch) against the ways a
 * file really gets updated: a rename over it (hso_stek_file_write(),
 * deploy/stek-rotate.sh, editors), a write in place, delete and re-create,
 * a Kubernetes Secret volume's "..data" swap; and what must not fire: other
 * files of the directory, a burst before it is quiet, a deleted file. The
 * clock is the test's, so the debounce is checked without sleeping.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "keywatch.h"

static char dir[] = "/tmp/hso-kw-XXXXXX";

static void
put(const char *name, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void
mv(const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];

	snprintf(a, sizeof(a), "%s/%s", dir, from);
	snprintf(b, sizeof(b), "%s/%s", dir, to);
	CHECK_MSG(rename(a, b) == 0, "rename %s %s: %s", a, b, strerror(errno));
}

static void
rm(const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
}

int
main(void)
{
	char path[PATH_MAX], err[256];
	struct hsod_keywatch *kw;
	uint64_t t = 1000;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/ticket.key", dir);
	put("ticket.key", "one");
	kw = hsod_keywatch_open(path, 100, err, sizeof(err));
	CHECK_MSG(kw != NULL, "%s", err);
	if (kw == NULL)
		return check_result("keywatch");
	CHECK_EQ(hsod_keywatch_poll(kw, t), 0);

	/* Other files of the directory are not ours. */
	put("other", "x");
	mv("other", "other2");
	CHECK_EQ(hsod_keywatch_poll(kw, t), 0);
	CHECK_EQ(hsod_keywatch_poll(kw, t += 1000), 0);
	CHECK_EQ(hsod_keywatch_events(kw), 0);

	/* A rename over it: reported once the directory is quiet for 100 ms. */
	put("ticket.key.tmp", "two");
	mv("ticket.key.tmp", "ticket.key");
	CHECK_EQ(hsod_keywatch_poll(kw, t), 0);
	CHECK_EQ(hsod_keywatch_poll(kw, t + 99), 0);
	CHECK_EQ(hsod_keywatch_poll(kw, t + 100), 1);
	CHECK_EQ(hsod_keywatch_poll(kw, t + 200), 0);       /* once */
	CHECK(hsod_keywatch_events(kw) >= 1);
	t += 1000;

	/* Written in place (truncate, write, close). */
	put("ticket.key", "three");
	CHECK_EQ(hsod_keywatch_poll(kw, t), 0);
	CHECK_EQ(hsod_keywatch_poll(kw, t + 100), 1);
	t += 1000;

	/* A burst (add, promote: two renames 60 ms apart) is one report, after the last. */
	put("a.tmp", "four");
	mv("a.tmp", "ticket.key");
	CHECK_EQ(hsod_keywatch_poll(kw, t), 0);
	t += 60;
	put("b.tmp", "five");
	mv("b.tmp", "ticket.key");
	CHECK_EQ(hsod_keywatch_poll(kw, t), 0);
	CHECK_EQ(hsod_keywatch_poll(kw, t + 60), 0);        /* 120 ms after the first */
	CHECK_EQ(hsod_keywatch_poll(kw, t + 100), 1);
	t += 1000;

	/* Deleted: nothing to load, nothing reported; back again: reported. */
	rm("ticket.key");
	CHECK_EQ(hsod_keywatch_poll(kw, t), 0);
	CHECK_EQ(hsod_keywatch_poll(kw, t += 1000), 0);
	put("ticket.key", "six");
	CHECK_EQ(hsod_keywatch_poll(kw, t), 0);
	CHECK_EQ(hsod_keywatch_poll(kw, t += 100), 1);
	t += 1000;
	hsod_keywatch_close(kw);

	/* A Kubernetes Secret volume: ticket.key -> ..data/ticket.key, ..data -> ts1. */
	{
		char p[PATH_MAX], q[PATH_MAX];

		rm("ticket.key");
		snprintf(p, sizeof(p), "%s/ts1", dir);
		CHECK(mkdir(p, 0700) == 0);
		put("ts1/ticket.key", "k8s-1");
		snprintf(p, sizeof(p), "%s/..data", dir);
		CHECK(symlink("ts1", p) == 0);
		CHECK(symlink("..data/ticket.key", path) == 0);
		kw = hsod_keywatch_open(path, 100, err, sizeof(err));
		CHECK_MSG(kw != NULL, "%s", err);
		if (kw == NULL)
			return check_result("keywatch");
		/* The kubelet: a new timestamped dir, ..data_tmp -> it, renamed over ..data. */
		snprintf(p, sizeof(p), "%s/ts2", dir);
		CHECK(mkdir(p, 0700) == 0);
		put("ts2/ticket.key", "k8s-2");
		snprintf(q, sizeof(q), "%s/..data_tmp", dir);
		CHECK(symlink("ts2", q) == 0);
		mv("..data_tmp", "..data");
		CHECK_EQ(hsod_keywatch_poll(kw, t), 0);
		CHECK_EQ(hsod_keywatch_poll(kw, t + 100), 1);
		hsod_keywatch_close(kw);
		rm("ts1/ticket.key");
		rm("ts2/ticket.key");
		rm("ts1");
		snprintf(p, sizeof(p), "%s/ts1", dir);
		rmdir(p);
		snprintf(p, sizeof(p), "%s/ts2", dir);
		rmdir(p);
		rm("..data");
		rm("ticket.key");
	}

	/* Open errors name the directory; close(NULL) is fine. */
	CHECK(hsod_keywatch_open("/nonexistent-hso-dir/ticket.key", 100, err, sizeof(err)) == NULL);
	CHECK_EQ(errno, ENOENT);
	CHECK_MSG(strstr(err, "/nonexistent-hso-dir") != NULL, "%s", err);
	CHECK(hsod_keywatch_open("", 100, err, sizeof(err)) == NULL);
	CHECK(hsod_keywatch_open("/tmp/", 100, err, sizeof(err)) == NULL);
	hsod_keywatch_close(NULL);

	rm("other2");
	rmdir(dir);
	return check_result("keywatch");
}
