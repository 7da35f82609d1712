/* SPDX-License-Identifier: BSD-3-Clause */
/* Remove EAL's per-process runtime directory (eal_rundir.h). */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>

#include "eal_rundir.h"

static char rundir[512];

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void
rundir_save(void)
{
	const char *d = rte_eal_get_runtime_dir();

	/* Only a directory of EAL's own: never a path that is not under .../dpdk/. */
	if (rundir[0] == '\0' && d != NULL && strstr(d, "/dpdk/") != NULL)
		snprintf(rundir, sizeof(rundir), "%s", d);
}

static void
rundir_remove(void)
{
	if (rundir[0] != '\0')
		nftw(rundir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	rundir[0] = '\0';
}

void
hso_eal_cleanup_rundir(void)
{
	rundir_save();
	rte_eal_cleanup();
	rundir_remove();
}

void
hso_eal_rundir_atexit(void)
{
	rundir_save();
	atexit(rundir_remove);
}
