/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The smallest hso application: attach to a running hsod, greet every
 * client by the name it asked for (SNI), then answer each line it sends
 * in upper case. Copy it to start your own.
 *
 *   hsod ... --file-prefix hso -- ... --app external
 *   hso-hello -l 1 --proc-type=secondary --file-prefix hso
 *   openssl s_client -connect 198.18.0.2:443 -servername example.test
 *
 * Build outside the tree: cc hso_hello.c $(pkg-config --cflags --libs hso-app)
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>

#include <hso_app.h>

static volatile sig_atomic_t quit;

static void on_signal(int sig) { (void)sig; quit = 1; }

/* One event; 0 when done with it, -EAGAIN to see it again later. */
static int
handle(struct hso_app *app, const struct hso_event *ev)
{
	char buf[2048];
	int n;

	switch (ev->type) {
	case HSO_EV_OPEN:
		n = snprintf(buf, sizeof(buf), "hello %s, TLS %s\n",
			     ev->session->sni[0] ? ev->session->sni : "stranger",
			     ev->session->version == 0x0304 ? "1.3" : "1.2");
		return hso_app_send(app, ev->conn, buf, (size_t)n);
	case HSO_EV_DATA:
		if (ev->len > sizeof(buf))
			return hso_app_close(app, ev->conn);
		for (uint32_t i = 0; i < ev->len; i++)
			buf[i] = (char)toupper(ev->data[i]);
		return hso_app_send(app, ev->conn, buf, ev->len);
	case HSO_EV_PEER_CLOSED:
		return hso_app_close(app, ev->conn);    /* the client is done */
	default:
		return 0;                               /* HSO_EV_CLOSED */
	}
}

int
main(int argc, char **argv)
{
	struct hso_event ev[32];
	struct hso_app *app;
	int n = 0, next = 0;

	if (rte_eal_init(argc, argv) < 0)
		return 1;
	app = hso_app_attach("hso-hello", 0);
	if (app == NULL) {
		fprintf(stderr, "hso-hello: attach: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("hso-hello: attached\n");
	fflush(stdout);
	while (!quit) {
		if (next == n) {                        /* all handled: take more */
			n = hso_app_poll(app, ev, 32);
			next = 0;
			if (n < 0)
				break;                  /* hsod stopped */
		} else {
			hso_app_flush(app);             /* a send waits for room */
		}
		/* In order; an event refused for now (-EAGAIN) is tried again. */
		while (next < n && handle(app, &ev[next]) != -EAGAIN)
			hso_app_release(app, &ev[next++]);
	}
	while (next < n)
		hso_app_release(app, &ev[next++]);
	hso_app_detach(app);
	rte_eal_cleanup();
	return 0;
}
