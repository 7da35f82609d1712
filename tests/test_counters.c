/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hsod's counter table (dataplane/counters.c) and its Prometheus exposition
 * (dataplane/metrics.c), without EAL: the table's names are unique and
 * well-formed, the latency buckets and quantiles are right at their edges,
 * an exposition of a made-up view has exactly the samples it should, and
 * the --metrics address parser refuses what it must.
 *
 * test_counters --exposition FILE writes the made-up exposition to FILE,
 * for tests/metrics_promtool.sh to give promtool.
 */

#include <errno.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "counters.h"
#include "metrics.h"

/* ---- a made-up hsod: two workers, two ports, the main lcore ---------- */

static struct hsod_lcore_stats lc[2], main_lc;
static struct hsod_worker_stats ws[2];
static struct tcp_stats ts[2];
static struct sess_stats ss[2];
static struct hs_worker_stats hs[2];
static struct hsod_latency lat[2];
static struct hsod_net_stats ns[2][2];
static struct hsod_neigh_stats nbs[2][2];
/* IPv6 on port 1 only: port 0 has no IPv6 address (NULL). */
static struct hsod_net6_stats n6[2];
static struct hsod_neigh_stats nb6[2];
static struct hsod_apps_stats as;
static struct hsod_global_stats gs;
static struct hsod_app_http_stats http;
static struct hsod_metrics_stats ms;
static struct hsod_ctr_set sets[2];
static const uint16_t port_ids[2] = { 0, 1 };
static struct hsod_ctr_view view;

static void
view_make(void)
{
	for (unsigned w = 0; w < 2; w++) {
		lc[w].busy_cycles = 1000 + w;
		lc[w].idle_cycles = 2000 + w;
		ws[w].rx_packets = 5 + 2 * w;           /* 5 and 7 */
		ws[w].port_rx_packets[0] = 3;
		ws[w].port_rx_packets[1] = 2 + 2 * w;
		ws[w].tx_dropped = 1;
		ts[w].conns[TCP_ESTABLISHED] = 10;
		ts[w].conns[TCP_SYN_RCVD] = 1;
		ts[w].drops[TCP_DROP_NO_LISTENER] = 4;
		ss[w].states[SESS_OPEN] = 7 + w;        /* 7 and 8 */
		ss[w].ended[SESS_REASON_TIMEOUT] = 2;
		ss[w].touched = 40;
		hs[w].handshakes_completed = 100;
		hs[w].completed_by_suite[0] = 100;
		ns[w][0].drops[HSOD_DROP_RUNT] = 1;
		ns[w][1].drops[HSOD_DROP_TCP_HDR] = 2;
		n6[w].rx_ns = 3 + w;
		n6[w].drops[HSOD_DROP6_FRAGMENT] = 5;
		nb6[w].queue_drops = 1;
		sets[w] = (struct hsod_ctr_set){
			.lcore = &lc[w], .worker = &ws[w], .tcp = &ts[w], .sess = &ss[w],
			.tls = &hs[w],
			.latency = &lat[w], .net = { &ns[w][0], &ns[w][1] },
			.neigh = { &nbs[w][0], &nbs[w][1] }, .n_ports = 2,
			.net6 = { NULL, &n6[w] }, .neigh6 = { NULL, &nb6[w] },
			.lcore_id = w + 1,
		};
	}
	hs[1].failed_sent_alert[40] = 3;        /* handshake_failure */
	hs[1].failed_sent_alert[255] = 1;       /* internal */
	hsod_latency_add(&lat[0], 100);
	hsod_latency_add(&lat[0], 3000);
	hsod_latency_add(&lat[1], 1ull << 30);  /* past the last bound */
	main_lc.busy_cycles = 77;
	as.attached = 2;
	gs.mbufs_free = 1234;
	gs.tsc_hz = 2000000000;
	http.requests = 9;
	view = (struct hsod_ctr_view){
		.workers = sets, .n_workers = 2, .main_lcore = &main_lc, .apps = &as,
		.global = &gs, .http = &http, .echo = NULL, .metrics = &ms,
		.port_ids = port_ids, .n_ports = 2,
	};
	hsod_metrics_set_build("0.1.0", "DPDK 22.11.0", "OpenSSL 3.0.0 \"q\"");
}

/* The whole exposition of the made-up view (static buffer). */
static const char *
exposition(void)
{
	static char buf[1 << 20];
	size_t o = 0;

	for (unsigned f = 0; f < hsod_metrics_families(); f++) {
		int r = hsod_metrics_render(&view, f, buf + o, sizeof(buf) - o);

		CHECK(r >= 0);
		if (r > 0)
			o += (size_t)r;
	}
	buf[o] = '\0';
	return buf;
}

static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = strstr(text, line); p != NULL; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* ---- the table ------------------------------------------------------ */

static void
test_table(void)
{
	regex_t re;
	char a[128], b[128];
	static char keys[4096][96];
	unsigned nk = 0, n6k = 0, nak = 0;

	CHECK(regcomp(&re, "^[a-z][a-z0-9_]*$", REG_EXTENDED | REG_NOSUB) == 0);
	for (unsigned i = 0; i < hsod_n_ctrs; i++) {
		const struct hsod_ctr *c = &hsod_ctrs[i];

		CHECK_MSG(c->help != NULL && strlen(c->help) > 8, "%s: help", c->name);
		CHECK_MSG(c->name != NULL || c->metric != NULL, "entry %u has no name", i);
		if (c->metric != NULL) {
			hsod_ctr_metric_name(c, a, sizeof(a));
			CHECK_MSG(regexec(&re, a, 0, NULL, 0) == 0, "metric name %s", a);
			/* Prometheus: counters end in _total, nothing else does. */
			CHECK_MSG((c->kind == HSOD_CTR_COUNTER) ==
				  (strlen(a) > 6 && strcmp(a + strlen(a) - 6, "_total") == 0),
				  "%s: _total iff counter", a);
			for (const char *s = "_count\0_sum\0_bucket\0"; *s; s += strlen(s) + 1)
				CHECK_MSG(strlen(a) < strlen(s) ||
					  strcmp(a + strlen(a) - strlen(s), s) != 0,
					  "%s ends in the histogram suffix %s", a, s);
			for (unsigned j = 0; j < i; j++)
				if (hsod_ctrs[j].metric != NULL)
					CHECK_MSG(strcmp(a, hsod_ctr_metric_name(&hsod_ctrs[j], b,
										 sizeof(b))) != 0,
						  "metric %s twice", a);
		}
		if (c->n > 1)
			CHECK_MSG(c->label != NULL && ((c->flags & HSOD_CTR_F_PORTS) || c->elem != NULL),
				  "%s: array without label or names", c->name);
		if (c->width != 4 && c->width != 8 && c->kind <= HSOD_CTR_GAUGE &&
		    c->src != HSOD_SRC_DERIVED)
			CHECK_MSG(0, "%s: width %u", c->name, c->width);
		/* Telemetry keys of /hso/stats and /hso/app, each once. */
		if (c->name == NULL || c->kind == HSOD_CTR_HISTOGRAM)
			continue;
		for (unsigned e = 0; e < c->n; e++) {
			char k[96];

			if (c->n > 1 && (c->flags & HSOD_CTR_F_PORTS)) {
				if (e > 0)
					break;
				snprintf(k, sizeof(k), "%s", c->name);
			} else if (c->n > 1) {
				if (c->elem(e) == NULL)
					continue;
				/* Only the non-zero ones: counted below, not here. */
				if (c->flags & HSOD_CTR_F_SPARSE)
					continue;
				snprintf(k, sizeof(k), "%s%s%s", hsod_ctr_is_net6(c) ? "net6:" : "",
					 c->name, c->elem(e));
			} else {
				snprintf(k, sizeof(k), "%s%s",
					 c->src == HSOD_SRC_HTTP ? "app:" :
					 c->src == HSOD_SRC_ECHO ? "echo:" :
					 hsod_ctr_is_net6(c) ? "net6:" : "", c->name);
			}
			/* /hso/net6 is a dict of its own: its keys repeat IPv4's names. */
			if (hsod_ctr_is_net6(c))
				n6k++;
			/* So is /hso/app (the built-in application's). */
			if (c->src == HSOD_SRC_HTTP || c->src == HSOD_SRC_ECHO)
				nak++;
			for (unsigned j = 0; j < nk; j++)
				CHECK_MSG(strcmp(keys[j], k) != 0, "telemetry key %s twice", k);
			if (nk < 4096)
				snprintf(keys[nk++], sizeof(keys[0]), "%s", k);
		}
	}
	regfree(&re);
	CHECK(nk > 100);
	/*
	 * /hso/stats is one telemetry dict: 256 entries at most (DPDK 22.11),
	 * and the sparse arrays (alerts, states) add keys for what is non-zero.
	 */
	CHECK_MSG(nk - n6k - nak + 24 < 256, "%u keys leave too little room", nk - n6k - nak);
	/* /hso/net6: what tests/netns/hsod_ipv6.sh reads. */
	CHECK(n6k > 30 && n6k < 256);
	for (const char *s = "rx_ns\0tx_na\0rx_echo\0tx_echo\0rx_tcp\0drop6_ip6_fragment\0"
			     "drop6_nd_bad\0neigh_queued\0neigh_flushed\0neigh_queue_drops\0"
			     "neigh_entries\0";
	     *s; s += strlen(s) + 1) {
		bool found = false;
		char k[96];

		snprintf(k, sizeof(k), "net6:%s", s);
		for (unsigned j = 0; j < nk; j++)
			found |= strcmp(keys[j], k) == 0;
		CHECK_MSG(found, "/hso/net6 key %s", s);
	}
	/* The names other tools read (tests, hso-gen's benchmarks) stay. */
	for (const char *s = "busy_cycles\0idle_cycles\0keygen_cycles\0app_cycles\0"
			     "control_cycles\0handshakes_completed\0tsc_hz\0drops\0"
			     "tcp_active\0ecdhe_pool_hits\0ecdhe_pool_misses\0mbufs_free\0"
			     "handshake_contexts_in_use\0handshake_context_refusals\0"
			     "record_key_cache_hits\0sessions_touched\0conn_resident_bytes\0"
			     "sess_state_OPEN\0sess_ended_timeout\0handshakes_timed_out\0"
			     "app_records\0rx_segments_copied\0tx_segments_copied\0";
	     *s; s += strlen(s) + 1) {
		bool found = false;

		for (unsigned j = 0; j < nk; j++)
			found |= strcmp(keys[j], s) == 0;
		CHECK_MSG(found, "telemetry key %s", s);
	}
}

static void
test_sums(void)
{
	const struct hsod_ctr *rx = NULL, *busy = NULL, *drops = NULL, *active = NULL;

	for (unsigned i = 0; i < hsod_n_ctrs; i++) {
		const char *n = hsod_ctrs[i].name;

		if (n == NULL)
			continue;
		if (strcmp(n, "rx_packets") == 0)
			rx = &hsod_ctrs[i];
		if (strcmp(n, "busy_cycles") == 0)
			busy = &hsod_ctrs[i];
		if (strcmp(n, "drops") == 0)
			drops = &hsod_ctrs[i];
		if (strcmp(n, "tcp_active") == 0)
			active = &hsod_ctrs[i];
	}
	CHECK(rx != NULL && busy != NULL && drops != NULL && active != NULL);
	if (rx == NULL || busy == NULL || drops == NULL || active == NULL)
		return;
	CHECK_EQ(hsod_ctr_sum(rx, &view, 0, 2, 0, true), 12);
	CHECK_EQ(hsod_ctr_sum(rx, &view, 1, 2, 0, true), 7);
	/* The main lcore's cycles only with it. */
	CHECK_EQ(hsod_ctr_sum(busy, &view, 0, 2, 0, true), 1000 + 1001 + 77);
	CHECK_EQ(hsod_ctr_sum(busy, &view, 0, 2, 0, false), 1000 + 1001);
	/* tx_dropped 1 + runt 1 + tcp_hdr 2 + IPv6 fragment 5 + its queue 1, per worker. */
	CHECK_EQ(hsod_ctr_sum(drops, &view, 0, 2, 0, false), 20);
	/* IPv6 counters sum over the ports that have IPv6 only. */
	for (unsigned i = 0; i < hsod_n_ctrs; i++)
		if (hsod_ctr_is_net6(&hsod_ctrs[i]) && strcmp(hsod_ctrs[i].name, "rx_ns") == 0)
			CHECK_EQ(hsod_ctr_sum(&hsod_ctrs[i], &view, 0, 2, 0, false), 3 + 4);
	CHECK_EQ(hsod_ctr_sum(active, &view, 0, 2, 0, false), 22);
	/* Session states sum over workers, element by element. */
	for (unsigned i = 0; i < hsod_n_ctrs; i++)
		if (hsod_ctrs[i].name != NULL && strcmp(hsod_ctrs[i].name, "sess_state_") == 0)
			CHECK_EQ(hsod_ctr_sum(&hsod_ctrs[i], &view, 0, 2, SESS_OPEN, false), 15);
}

static void
test_latency(void)
{
	struct hsod_latency l;
	static const struct { uint64_t us; unsigned bucket; } edge[] = {
		{ 0, 0 }, { 1, 0 }, { 32, 0 }, { 33, 1 }, { 64, 1 }, { 65, 2 },
		{ 1ull << 25, HSOD_LAT_BUCKETS - 1 }, { (1ull << 25) + 1, HSOD_LAT_BUCKETS },
		{ UINT32_MAX, HSOD_LAT_BUCKETS },
	};

	CHECK_EQ(hsod_latency_bound_us(0), 32);
	CHECK_EQ(hsod_latency_bound_us(HSOD_LAT_BUCKETS - 1), 1ull << 25);
	for (unsigned i = 0; i < RTE_DIM(edge); i++) {
		memset(&l, 0, sizeof(l));
		hsod_latency_add(&l, edge[i].us);
		CHECK_MSG(l.bucket[edge[i].bucket] == 1, "%llu us -> bucket %u",
			  (unsigned long long)edge[i].us, edge[i].bucket);
		CHECK_EQ(l.count, 1);
		CHECK_EQ(l.sum_us, edge[i].us);
	}
	/* 90 at 100 us (64..128], 10 at 1000 us (512..1024]. */
	memset(&l, 0, sizeof(l));
	CHECK_EQ(hsod_latency_quantile_us(&l, 0.5), 0);
	for (int i = 0; i < 90; i++)
		hsod_latency_add(&l, 100);
	for (int i = 0; i < 10; i++)
		hsod_latency_add(&l, 1000);
	CHECK(hsod_latency_quantile_us(&l, 0.5) > 64 && hsod_latency_quantile_us(&l, 0.5) <= 128);
	CHECK(hsod_latency_quantile_us(&l, 0.9) <= 128);
	CHECK(hsod_latency_quantile_us(&l, 0.99) > 512 && hsod_latency_quantile_us(&l, 0.99) <= 1024);
	/* Summing workers. */
	hsod_latency_sum(&view, 0, 2, &l);
	CHECK_EQ(l.count, 3);
	CHECK_EQ(l.bucket[HSOD_LAT_BUCKETS], 1);
}

static void
test_exposition(void)
{
	const char *t = exposition();
	char small[64];
	uint64_t prev = 0;
	char line[160];

	CHECK(has_line(t, "# TYPE hso_rx_packets_total counter"));
	CHECK(has_line(t, "hso_rx_packets_total{worker=\"0\"} 5"));
	CHECK(has_line(t, "hso_rx_packets_total{worker=\"1\"} 7"));
	CHECK(has_line(t, "hso_busy_cycles_total{worker=\"main\"} 77"));
	CHECK(has_line(t, "hso_port_rx_packets_total{worker=\"1\",port=\"1\"} 4"));
	CHECK(has_line(t, "hso_net_drops_total{worker=\"0\",port=\"1\",reason=\"tcp_hdr\"} 2"));
	CHECK(has_line(t, "hso_tcp_connections{worker=\"0\",state=\"ESTABLISHED\"} 10"));
	/* IPv6: a sample per port that has it, none for the port without. */
	CHECK(has_line(t, "hso_net6_rx_solicitations_total{worker=\"1\",port=\"1\"} 4"));
	CHECK(strstr(t, "hso_net6_rx_solicitations_total{worker=\"0\",port=\"0\"}") == NULL);
	CHECK(has_line(t, "hso_net6_drops_total{worker=\"0\",port=\"1\",reason=\"ip6_fragment\"} 5"));
	CHECK(has_line(t, "hso_net6_neigh_queue_drops_total{worker=\"0\",port=\"1\"} 1"));
	CHECK(has_line(t, "hso_net6_rx_tcp_total{worker=\"0\",port=\"1\"} 0"));
	/* The session layer's table (session.h): every state and reason but the 0th. */
	CHECK(has_line(t, "hso_sessions{worker=\"1\",state=\"OPEN\"} 8"));
	CHECK(has_line(t, "hso_sessions{worker=\"1\",state=\"GONE\"} 0"));
	CHECK(strstr(t, "state=\"FREE\"") == NULL);
	CHECK(has_line(t, "hso_sess_ended_total{worker=\"0\",reason=\"timeout\"} 2"));
	CHECK(has_line(t, "hso_sessions_touched{worker=\"0\"} 40"));
	CHECK(strstr(t, "state=\"CLOSED\"") == NULL);
	CHECK(has_line(t, "hso_handshakes_failed_sent_total{worker=\"1\",alert=\"handshake_failure\"} 3"));
	CHECK(has_line(t, "hso_handshakes_failed_sent_total{worker=\"1\",alert=\"internal\"} 1"));
	/* Sparse: the alerts that never happened are not there. */
	CHECK(strstr(t, "alert=\"decode_error\"") == NULL);
	CHECK(strstr(t, "hso_handshakes_failed_peer_total{") == NULL);
	CHECK(has_line(t, "# TYPE hso_handshakes_failed_peer_total counter"));
	CHECK(has_line(t, "hso_apps_attach_total 2"));
	CHECK(has_line(t, "hso_mbufs_free 1234"));
	CHECK(has_line(t, "# TYPE hso_mbufs_capacity gauge"));
	CHECK(has_line(t, "hso_app_http_requests_total 9"));
	CHECK(strstr(t, "hso_app_echo_") == NULL);      /* no echo application */
	CHECK(strstr(t, "openssl=\"OpenSSL 3.0.0 \\\"q\\\"\"} 1") != NULL);
	/* Telemetry-only sums are not metrics. */
	CHECK(strstr(t, "hso_drops") == NULL && strstr(t, "hso_tcp_active") == NULL);
	/* The histogram: cumulative, ending at +Inf = count. */
	CHECK(has_line(t, "# TYPE hso_handshake_duration_seconds histogram"));
	for (unsigned i = 0; i < HSOD_LAT_BUCKETS; i++) {
		const char *p;
		unsigned long long v;

		snprintf(line, sizeof(line), "hso_handshake_duration_seconds_bucket{worker=\"0\","
			 "le=\"%.9g\"} ", (double)hsod_latency_bound_us(i) / 1e6);
		p = strstr(t, line);
		CHECK_MSG(p != NULL, "%s", line);
		if (p == NULL)
			continue;
		v = strtoull(p + strlen(line), NULL, 10);
		CHECK(v >= prev);
		prev = v;
	}
	CHECK_EQ(prev, 2);
	CHECK(has_line(t, "hso_handshake_duration_seconds_bucket{worker=\"0\",le=\"+Inf\"} 2"));
	CHECK(has_line(t, "hso_handshake_duration_seconds_bucket{worker=\"1\",le=\"33.554432\"} 0"));
	CHECK(has_line(t, "hso_handshake_duration_seconds_bucket{worker=\"1\",le=\"+Inf\"} 1"));
	CHECK(has_line(t, "hso_handshake_duration_seconds_sum{worker=\"0\"} 0.003100"));
	CHECK(has_line(t, "hso_handshake_duration_seconds_count{worker=\"0\"} 2"));
	/* Every sample line belongs to the family announced above it. */
	{
		char fam[128] = "";
		const char *p = t;

		while (*p != '\0') {
			const char *e = strchr(p, '\n');
			size_t n = (size_t)(e - p);

			if (n > 7 && strncmp(p, "# TYPE ", 7) == 0) {
				sscanf(p + 7, "%127s", fam);
			} else if (*p != '#') {
				CHECK_MSG(fam[0] != '\0' && strncmp(p, fam, strlen(fam)) == 0,
					  "sample outside its family: %.*s", (int)n, p);
			}
			p = e + 1;
		}
	}
	/* A family that does not fit says so; one without samples writes nothing. */
	CHECK_EQ(hsod_metrics_render(&view, 0, small, sizeof(small)), -ENOSPC);
	view.http = NULL;
	for (unsigned f = 0; f < hsod_metrics_families(); f++) {
		char buf[4096];
		int r = hsod_metrics_render(&view, f, buf, sizeof(buf));

		if (r > 0 && strstr(buf, "hso_app_http_") != NULL)
			CHECK_MSG(0, "http family rendered without the application");
	}
	view.http = &http;
}

static void
test_addr(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	CHECK_EQ(hsod_metrics_addr_parse("127.0.0.1:9100", &ss, &sl), 0);
	CHECK(ss.ss_family == AF_INET && sl == sizeof(struct sockaddr_in));
	CHECK_EQ(hsod_metrics_addr_parse("0.0.0.0:1", &ss, &sl), 0);
	CHECK_EQ(hsod_metrics_addr_parse("[::1]:65535", &ss, &sl), 0);
	CHECK(ss.ss_family == AF_INET6);
	CHECK_EQ(hsod_metrics_addr_parse("[2001:db8::1]:9100", &ss, &sl), 0);
	for (const char *bad = "127.0.0.1\0" "127.0.0.1:\0" "127.0.0.1:0\0" "127.0.0.1:65536\0"
			       "127.0.0.1:99999999999\0" "127.0.0.1:9x\0" ":9100\0"
			       "localhost:9100\0" "::1:9100\0" "[::1:9100\0" "1.2.3.256:80\0"
			       "[1.2.3.4]:80\0";
	     *bad; bad += strlen(bad) + 1)
		CHECK_MSG(hsod_metrics_addr_parse(bad, &ss, &sl) == -EINVAL, "'%s' accepted", bad);
}

int
main(int argc, char **argv)
{
	view_make();
	if (argc == 3 && strcmp(argv[1], "--exposition") == 0) {
		FILE *f = fopen(argv[2], "w");

		if (f == NULL || fputs(exposition(), f) < 0 || fclose(f) != 0) {
			perror(argv[2]);
			return 2;
		}
		return check_result("counters");
	}
	test_table();
	test_sums();
	test_latency();
	test_exposition();
	test_addr();
	return check_result("counters");
}
