/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-echo: the echo application as a process of its own, attached to a
 * running hsod (`--app external`) as a DPDK secondary process:
 *
 *   hso-echo -l 1 --proc-type=secondary --file-prefix PREFIX -- [options]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "app.h"

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: hso-echo [EAL options] -- [options]\n"
		"Echo every byte of every session back; a DPDK secondary process of hsod\n"
		"(EAL: --proc-type=secondary --file-prefix PREFIX, PREFIX as hsod's;\n"
		"hsod runs with --app external on hugepages).\n"
		"  --name NAME     name shown in hsod's telemetry (default hso-echo)\n"
		"  --rate BYTES    echo at most BYTES per second (a slow application:\n"
		"                  unechoed data stays held and hsod stops reading)\n"
		"  --keylog FILE   ask for key export (hsod --export-keys) and append NSS\n"
		"                  key-log lines for TLS 1.3 sessions to FILE\n"
		"  --log-sessions  print a line per session: family, client and server\n"
		"                  address and port, TLS version, suite, SNI\n"
		"  --help          this text\n"
		"Prints \"hso-echo: attached\" once attached; on SIGINT/SIGTERM detaches\n"
		"and prints its counters as one JSON line.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "keylog", required_argument, NULL, 'k' },
		{ "log-sessions", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = "hso-echo", *keylog_path = NULL;
	uint64_t rate = 0;
	bool log_sessions = false;
	FILE *keylog = NULL;
	struct hso_app *app;
	struct hso_echo *echo;
	const struct hso_echo_stats *st;
	int n, c, rc = EXIT_SUCCESS;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_SUCCESS;
		}
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		/* ENOMEM: hsod's memory cannot be mapped at its addresses here (hso_proxy.c). */
		fprintf(stderr, "hso-echo: EAL: %s%s\n", rte_strerror(rte_errno),
			rte_errno == ENOMEM ? " (hsod's shared memory cannot be mapped at the "
			"addresses hsod uses, named by EAL above: they are in use in this "
			"process; start hsod with an EAL --base-virtaddr whose range is free in "
			"both)" : "");
		return EXIT_FAILURE;
	}
	argc -= n;
	argv += n;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'r':
			errno = 0;
			rate = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || rate == 0) {
				fprintf(stderr, "hso-echo: --rate: not a positive number: %s\n", optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'k':
			keylog_path = optarg;
			break;
		case 's':
			log_sessions = true;
			break;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (keylog_path != NULL && (keylog = fopen(keylog_path, "a")) == NULL) {
		fprintf(stderr, "hso-echo: --keylog %s: %s\n", keylog_path, strerror(errno));
		return EXIT_FAILURE;
	}
	app = hso_app_attach(name, keylog != NULL ? HSO_APP_KEYS : 0);
	if (app == NULL) {
		fprintf(stderr, "hso-echo: cannot attach to hsod: %s%s\n", strerror(errno),
			errno == ENOENT ? " (is hsod running with this --file-prefix, on "
					  "hugepages, not --in-memory?)" :
			errno == EPERM ? " (hsod runs without --export-keys)" : "");
		return EXIT_FAILURE;
	}
	echo = hso_echo_create(app, rate, keylog);
	if (echo == NULL) {
		fprintf(stderr, "hso-echo: %s\n", strerror(errno));
		hso_app_detach(app);
		return EXIT_FAILURE;
	}
	if (log_sessions)
		hso_echo_log_sessions(echo, stdout);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("hso-echo: attached\n");
	fflush(stdout);
	while (!quit) {
		n = hso_echo_poll(echo);
		if (n < 0) {
			fprintf(stderr, "hso-echo: hsod went away: %s\n", strerror(-n));
			rc = EXIT_FAILURE;
			break;
		}
		if (n == 0) {
			/* Idle: do not burn the core hsod may share with us. */
			struct timespec ts = { 0, 50000 };

			nanosleep(&ts, NULL);
		}
	}
	st = hso_echo_stats(echo);
	printf("{\"sessions\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"closes\": %" PRIu64
	       ", \"send_waits\": %" PRIu64 ", \"rate_waits\": %" PRIu64
	       ", \"keys_logged\": %" PRIu64 ", \"send_nomem\": %" PRIu64 "}\n",
	       st->sessions, st->bytes, st->closes, st->send_waits, st->rate_waits,
	       st->keys_logged, hso_app_stats(app)->send_nomem);
	hso_echo_free(echo);
	if (hso_app_detach(app) != 0)
		fprintf(stderr, "hso-echo: hsod did not confirm the detach\n");
	if (keylog != NULL)
		fclose(keylog);
	rte_eal_cleanup();
	return rc;
}
