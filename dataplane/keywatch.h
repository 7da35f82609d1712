/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_KEYWATCH_H
#define HSO_DATAPLANE_KEYWATCH_H

/**
 * @file
 * Notice that a file was replaced or rewritten (hsod's ticket key file) so
 * that it can be loaded again without a SIGHUP. For the control path: no
 * thread, never blocks, one read(2) of an inotify descriptor per poll.
 *
 * The directory is watched, not the file, and events are matched on the
 * file's name, so every way a file is updated is seen:
 *  - written in place (IN_CLOSE_WRITE);
 *  - replaced atomically by a rename (IN_MOVED_TO), as hso_stek_file_write(),
 *    deploy/stek-rotate.sh and most editors do: a watch on the file itself
 *    would stay on the old inode;
 *  - created again after a delete (IN_CREATE);
 *  - a Kubernetes Secret or ConfigMap volume: the file is a symlink through
 *    "..data", and the kubelet swaps "..data" with a rename (IN_MOVED_TO
 *    "..data").
 * A change is reported once the directory has been quiet for @c delay_ms,
 * so that a burst (a rotation script's several renames, an editor's backup
 * file, a write in several chunks) gives one reload, of the final content.
 * A deleted file is not reported (there is nothing to load) until it is
 * back.
 */

#include <stddef.h>
#include <stdint.h>

struct hsod_keywatch;

/**
 * Start watching @p path's directory for changes to @p path.
 * @param delay_ms  quiet time after the last change before it is reported
 * @param err       why it failed, naming the directory (may be NULL)
 * @return the watch; NULL with errno (inotify_init1(2) or
 *         inotify_add_watch(2)'s: ENOENT, EACCES, ENOSPC, EMFILE ...;
 *         EINVAL for an empty path; ENOMEM).
 */
struct hsod_keywatch *hsod_keywatch_open(const char *path, uint32_t delay_ms, char *err,
					 size_t errlen);

/**
 * Read what happened since the last call (never blocks).
 * @param now_ms  the caller's monotonic clock in milliseconds
 * @return 1 when the file changed and the directory has been quiet for
 *         delay_ms since (reported once per burst); 0 otherwise.
 */
int hsod_keywatch_poll(struct hsod_keywatch *kw, uint64_t now_ms);

/** Events read that concerned the file, since the watch was opened. */
uint64_t hsod_keywatch_events(const struct hsod_keywatch *kw);

/** Stop watching and free. NULL is fine. */
void hsod_keywatch_close(struct hsod_keywatch *kw);

#endif
