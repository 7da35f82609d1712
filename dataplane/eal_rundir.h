/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL's runtime directory (/var/run/dpdk/<file-prefix> as root) outlives
 * the process in DPDK 22.11: rte_eal_cleanup() leaves its files behind.
 * Tests and benchmarks that start EAL with a prefix of their own per
 * process (hsotest<pid>, tworker<pid>, hsoecho<pid>, ...) pile up a
 * directory per run; on a machine where /run is tmpfs that is memory until
 * reboot. These remove it. Not for hsod: its secondary processes (hso-echo,
 * hso-proxy) find it there.
 */
#ifndef HSO_EAL_RUNDIR_H
#define HSO_EAL_RUNDIR_H

/** rte_eal_cleanup(), then the runtime directory this process's EAL made. */
void hso_eal_cleanup_rundir(void);

/**
 * At exit() (a test's or a benchmark's failure path), remove the runtime
 * directory; hso_eal_cleanup_rundir() at the normal end does it anyway.
 * Call once, after rte_eal_init() succeeded.
 */
void hso_eal_rundir_atexit(void);

#endif
