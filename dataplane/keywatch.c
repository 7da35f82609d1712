/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A file's changes through inotify on its directory: contract in
 * keywatch.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "keywatch.h"

/* Events that mean the file has (or may have) new content. */
#define KW_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_DELETE | \
		 IN_MOVED_FROM | IN_ATTRIB)
/* The Kubernetes atomic writer's link, renamed over on every update. */
#define KW_K8S_DATA "..data"

struct hsod_keywatch {
	int fd;
	char dir[PATH_MAX];
	char base[NAME_MAX + 1];
	uint32_t delay_ms;
	bool pending;           /* a change not reported yet */
	bool present;           /* the file was there after the last change */
	uint64_t last_ms;       /* when the last change was read */
	uint64_t events;
};

struct hsod_keywatch *
hsod_keywatch_open(const char *path, uint32_t delay_ms, char *err, size_t errlen)
{
	struct hsod_keywatch *kw;
	const char *slash;
	size_t dlen;

	if (path == NULL || *path == '\0' || path[strlen(path) - 1] == '/') {
		snprintf(err, err ? errlen : 0, "watch: '%s' is not a file path",
			 path ? path : "");
		errno = EINVAL;
		return NULL;
	}
	kw = calloc(1, sizeof(*kw));
	if (kw == NULL)
		return NULL;
	slash = strrchr(path, '/');
	dlen = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
	if (dlen >= sizeof(kw->dir) || strlen(slash ? slash + 1 : path) >= sizeof(kw->base)) {
		snprintf(err, err ? errlen : 0, "watch: '%s': path too long", path);
		free(kw);
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (slash == NULL)
		memcpy(kw->dir, ".", 2);
	else if (slash == path)
		memcpy(kw->dir, "/", 2);
	else
		snprintf(kw->dir, sizeof(kw->dir), "%.*s", (int)dlen, path);
	snprintf(kw->base, sizeof(kw->base), "%s", slash ? slash + 1 : path);
	kw->delay_ms = delay_ms;
	kw->present = true;
	kw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (kw->fd < 0 || inotify_add_watch(kw->fd, kw->dir, KW_MASK | IN_ONLYDIR) < 0) {
		int e = errno;

		snprintf(err, err ? errlen : 0, "watch: %s: %s", kw->dir, strerror(e));
		if (kw->fd >= 0)
			close(kw->fd);
		free(kw);
		errno = e;
		return NULL;
	}
	return kw;
}

/* Does event @p ev concern our file? Sets kw->present. */
static bool
kw_event(struct hsod_keywatch *kw, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW)
		return true;    /* events were lost: look again */
	if (ev->len == 0)
		return false;
	if (strcmp(ev->name, kw->base) == 0) {
		if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
			kw->present = false;
		else if (ev->mask & (IN_CREATE | IN_MOVED_TO))
			kw->present = true;
		return true;
	}
	/* Kubernetes: the file is base -> ..data/base; ..data is swapped. */
	return strcmp(ev->name, KW_K8S_DATA) == 0 && (ev->mask & (IN_MOVED_TO | IN_CREATE));
}

int
hsod_keywatch_poll(struct hsod_keywatch *kw, uint64_t now_ms)
{
	/* Aligned for struct inotify_event, as inotify(7) shows. */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(kw->fd, buf, sizeof(buf));

		if (n <= 0)
			break;  /* EAGAIN: nothing more now */
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;

			if (kw_event(kw, ev)) {
				kw->pending = true;
				kw->last_ms = now_ms;
				kw->events++;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	if (!kw->pending || !kw->present || now_ms - kw->last_ms < kw->delay_ms)
		return 0;
	kw->pending = false;
	return 1;
}

uint64_t
hsod_keywatch_events(const struct hsod_keywatch *kw)
{
	return kw->events;
}

void
hsod_keywatch_close(struct hsod_keywatch *kw)
{
	if (kw == NULL)
		return;
	close(kw->fd);
	free(kw);
}
