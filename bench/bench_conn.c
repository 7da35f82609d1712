/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a connection costs once established, and what moving its records
 * costs, before and after issue #11 (handshake contexts from a pool,
 * records opened and sealed in the caller's memory). hso's server and
 * hso's client in one process, in memory, TLS 1.3 with ECDSA P-256 and
 * X25519 unless said otherwise.
 *
 *  conn/bytes_per_idle_conn
 *	Establishes connections one after another and keeps the server's side
 *	open, idle, measuring the process's resident memory (/proc/self/statm)
 *	at two counts: the bytes per connection are the difference over the
 *	difference, so fixed costs (the pool, the key cache) drop out. Twice in
 *	one run: "released" (the connection gives its handshake context back
 *	once established, as a dataplane on the new API does) and "held" (it
 *	keeps it until reset: the memory model before #11, when every
 *	connection kept its ~100 KiB of buffers, of which the pages a
 *	handshake wrote stay resident). ratio = held / released. Also the
 *	server's time per handshake on the worker holding the idle connections
 *	and on one of the same config holding none, 256 each, interleaved one
 *	for one (idle_cost_ratio: with / without, the target is <= 1.05):
 *	medians in thread CPU time.
 *	Client work is not timed; 256 handshakes warm up first. The counts are
 *	1600 and 8000 released, 300 and 1500 held (HSO_BENCH_IDLE_CONNS=N sets
 *	the larger released count, e.g. 100000; the held one stays small: it
 *	costs resident memory). A few seconds.
 *
 *  record/seal_inplace_vs_copy/<aead>
 *	One 2^14-byte application record per step, three ways in the same
 *	iteration: hs_conn_seal_record() in place in the caller's buffer (the
 *	zero-copy path), the same over nine separate 1920-byte pieces with the
 *	header and trailer apart (sends coalesced into one record, in place),
 *	and the copy path the dataplane used before: hs_conn_app_write() (copy
 *	into the engine's output, seal there) then hs_conn_send_buf() copied
 *	out to the transmit buffer. ratio = copy time / in-place time.
 *  record/open_inplace_vs_copy/<aead>
 *	The same for receiving records the client sealed beforehand (not
 *	timed): hs_conn_open_record() in place; the same over 2048-byte
 *	pieces (a record across mbufs); into a caller buffer (one copy); and
 *	the copy path: copy into hs_conn_recv_buf(), hs_conn_recv_ack()
 *	(decrypted in the engine's input), hs_conn_app_read() copied out.
 *	<aead>: 0 AES-128-GCM, 1 ChaCha20-Poly1305.
 *
 * Noisy machine: medians of per-iteration figures, ratios measured side by
 * side in each iteration.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

/* OpenSSL headers before crypto.h: intel-ipsec-mb.h defines SHA1 etc. */
#include "../tests/test_asym_keys.h"
#include "bench.h"
#include "engine_priv.h"
#include "hs_client.h"

#define REC HS_RECORD_PLAINTEXT_MAX
/* Records per mode per iteration in the record benchmarks. */
#define BATCH 16
#define WIRE_CAP (1u << 20)

static struct {
	bool ready;
	char dir[32];
	struct hso_cert *cert;
	struct hs_config scfg;
	struct hs_client_config ccfg;
} g;

static int
setup(void)
{
	EVP_PKEY *k;
	char *cp, *kp, err[256];

	if (g.ready)
		return 0;
	snprintf(g.dir, sizeof(g.dir), "/tmp/hso-bconn-XXXXXX");
	if (mkdtemp(g.dir) == NULL)
		return -1;
	k = tk_keygen("EC", "P-256", 0);
	cp = tk_pair(g.dir, "p256", k, "DNS:bench.test", &kp);
	g.cert = hso_cert_load(cp, kp, err, sizeof(err));
	free(cp);
	free(kp);
	EVP_PKEY_free(k);
	tk_rmdir(g.dir);
	if (g.cert == NULL || hs_config_init(&g.scfg) != 0 ||
	    hs_config_add_cert(&g.scfg, g.cert, true) != 0 || hs_client_config_init(&g.ccfg) != 0)
		return -1;
	/* One full handshake each: no tickets, no resumption. */
	g.scfg.session_cache_size = 0;
	g.ccfg.resume = HS_RESUME_NONE;
	g.ccfg.mode = HS_CLIENT_LOAD;
	g.ccfg.compat_mode = false;
	g.ready = true;
	return 0;
}

/* Bytes on their way from one engine to the other. */
struct wire {
	uint8_t *p;
	size_t len;
};

/*
 * Take @p from's output into @p wr, then open every whole record of it in
 * @p to (in place); -EAGAIN retried after @p wt's crypto ran.
 * @return 0, or the error.
 */
static int
hop(struct hs_conn *from, struct hs_conn *to, struct hs_worker *wt, struct wire *wr)
{
	size_t len;
	const uint8_t *out = hs_conn_send_buf(from, &len);

	if (len > WIRE_CAP - wr->len)
		return -ENOBUFS;
	memcpy(wr->p + wr->len, out, len);
	wr->len += len;
	hs_conn_send_ack(from, len);
	while (wr->len >= HS_RECORD_HEADER_LEN) {
		int n = hs_conn_record_size(to, wr->p), rc;
		struct iovec v;

		if (n < 0)
			return n;
		if ((size_t)n > wr->len)
			break;
		v = (struct iovec){ wr->p, (size_t)n };
		while ((rc = hs_conn_open_record(to, &v, 1, NULL, 0, NULL)) == -EAGAIN)
			if (hs_worker_run(wt) == 0)
				return -EAGAIN;
		if (rc < 0)
			return rc;
		memmove(wr->p, wr->p + n, wr->len - (size_t)n);
		wr->len -= (size_t)n;
	}
	return 0;
}

/*
 * This thread's CPU time: the machine is shared, and a handshake timed by
 * the wall clock while another process has the core says nothing.
 */
static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * One handshake: server @p s (fresh) against client @p c (fresh), all in
 * memory; *@p srv_ns gets the CPU time spent in the server's calls.
 */
static int
pair_handshake(struct hs_conn *s, struct hs_worker *ws, struct hs_conn *c, struct hs_worker *wc,
	       struct wire *to_s, struct wire *to_c, uint64_t *srv_ns)
{
	uint64_t t0;
	int rc;

	if (hs_conn_init(s, ws, NULL, 0) != 0 ||
	    hs_conn_init_client(c, wc, wc->cli->cc, NULL, 0) != 0)
		return -EINVAL;
	rc = hs_conn_client_start(c, NULL);
	hs_worker_run(wc);
	for (int i = 0; rc == 0 && i < 8; i++) {
		t0 = cpu_ns();
		rc = hop(c, s, ws, to_s);
		hs_worker_run(ws);
		*srv_ns += cpu_ns() - t0;
		if (rc == 0)
			rc = hop(s, c, wc, to_c);
		hs_worker_run(wc);
		if (hs_conn_status(s) == HS_STATUS_ESTABLISHED &&
		    hs_conn_status(c) == HS_STATUS_ESTABLISHED && to_s->len == 0 && to_c->len == 0) {
			size_t left;

			hs_conn_send_buf(c, &left);
			if (left == 0)
				return 0;
		}
	}
	return rc != 0 ? rc : -ETIMEDOUT;
}

static long
rss_bytes(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : res * sysconf(_SC_PAGESIZE);
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define SAMPLES 4096
static double
median(double *v, unsigned n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	return v[n / 2];
}

struct idle_result {
	double bytes_per_conn;
	double us_few, us_many;     /* server CPU time per handshake: 0 idle, n2 idle */
};

/*
 * Establish @p n2 connections, RSS at @p n1 and @p n2; then 256 handshakes
 * on this worker (n2 idle connections) interleaved one for one with 256 on
 * a worker of the same config with none, so that both see the same
 * machine: see the file comment.
 */
static const char *
idle_run(bool release, unsigned n1, unsigned n2, struct idle_result *r)
{
	struct hs_config sc = g.scfg;
	struct hs_worker *ws, *ws0, *wc;
	struct hs_conn *conns, cl, one;
	struct wire to_s = { malloc(WIRE_CAP), 0 }, to_c = { malloc(WIRE_CAP), 0 };
	enum { WIN = 256 };
	static double few[WIN], many[WIN];
	long rss1 = 0, rss2;
	const char *err = NULL;

	sc.max_handshakes = release ? 64 : n2 + 16;
	ws = hs_worker_create(&sc, 64);
	ws0 = hs_worker_create(&sc, 64);
	wc = hs_worker_create_client(&g.ccfg, 64);
	/* Untouched until used whatever malloc does (MALLOC_PERTURB_ fills what it gives). */
	conns = mmap(NULL, (size_t)n2 * sizeof(*conns), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (conns == MAP_FAILED)
		conns = NULL;
	if (ws == NULL || ws0 == NULL || wc == NULL || conns == NULL || to_s.p == NULL ||
	    to_c.p == NULL) {
		err = "setup: workers or memory";
		goto out;
	}
	/* Warm up (caches, the pools' first pages, lazy OpenSSL state): not counted. */
	for (unsigned i = 0; i < 2 * WIN; i++) {
		uint64_t ns = 0;
		int rc = pair_handshake(&one, i % 2 ? ws : ws0, &cl, wc, &to_s, &to_c, &ns);

		hs_conn_reset(&one);
		hs_conn_reset(&cl);
		if (rc != 0) {
			err = "a warm-up handshake did not complete";
			goto out;
		}
	}
	for (unsigned i = 0; i < n2; i++) {
		uint64_t ns = 0;
		int rc = pair_handshake(&conns[i], ws, &cl, wc, &to_s, &to_c, &ns);

		if (rc != 0) {
			err = "a handshake did not complete";
			hs_conn_reset(&cl);
			goto out;
		}
		if (release && hs_conn_hctx_release(&conns[i]) != 0) {
			err = "hs_conn_hctx_release refused";
			hs_conn_reset(&cl);
			goto out;
		}
		hs_conn_reset(&cl);
		if (i + 1 == n1)
			rss1 = rss_bytes();
	}
	rss2 = rss_bytes();
	r->bytes_per_conn = (double)(rss2 - rss1) / (double)(n2 - n1);
	for (unsigned i = 0; i < 2 * WIN; i++) {
		uint64_t ns = 0;
		int rc = pair_handshake(&one, i % 2 ? ws : ws0, &cl, wc, &to_s, &to_c, &ns);

		if (release && rc == 0)
			rc = hs_conn_hctx_release(&one);
		hs_conn_reset(&one);
		hs_conn_reset(&cl);
		if (rc != 0) {
			err = "a measured handshake did not complete";
			goto out;
		}
		if (i % 2)
			many[i / 2] = (double)ns;
		else
			few[i / 2] = (double)ns;
	}
	r->us_few = median(few, WIN) / 1e3;
	r->us_many = median(many, WIN) / 1e3;
out:
	for (unsigned i = 0; conns != NULL && i < n2; i++)
		if (conns[i].w != NULL)
			hs_conn_reset(&conns[i]);
	if (conns != NULL)
		munmap(conns, (size_t)n2 * sizeof(*conns));
	free(to_s.p);
	free(to_c.p);
	hs_worker_free(ws);
	hs_worker_free(ws0);
	hs_worker_free(wc);
	return err;
}

static void
bm_idle(struct hso_bench *b)
{
	const char *env = getenv("HSO_BENCH_IDLE_CONNS");
	unsigned n2 = env != NULL && atoi(env) > 4000 ? (unsigned)atoi(env) : 8000;
	struct idle_result rel = { 0 }, held = { 0 };
	const char *err = NULL;

	if (setup() != 0) {
		hso_bench_fail(b, "setup: certificate or config");
		return;
	}
	while (err == NULL && hso_bench_keep_running(b)) {
		err = idle_run(true, n2 / 5, n2, &rel);
		if (err == NULL)
			err = idle_run(false, 300, 1500, &held);
	}
	if (err != NULL) {
		hso_bench_fail(b, err);
		return;
	}
	hso_bench_counter(b, "conns", n2, HSO_BENCH_VALUE);
	hso_bench_counter(b, "released_rss_bytes_per_conn", rel.bytes_per_conn, HSO_BENCH_VALUE);
	hso_bench_counter(b, "held_rss_bytes_per_conn", held.bytes_per_conn, HSO_BENCH_VALUE);
	hso_bench_counter(b, "ratio", held.bytes_per_conn / (rel.bytes_per_conn > 1 ? rel.bytes_per_conn : 1),
			  HSO_BENCH_VALUE);
	/* What each reserves: the resident struct, and with a context (before #11: 7232 + 100527). */
	hso_bench_counter(b, "resident_struct_bytes", (double)sizeof(struct hs_conn), HSO_BENCH_VALUE);
	hso_bench_counter(b, "held_reserved_bytes",
			  (double)(sizeof(struct hs_conn) + sizeof(struct hs_hctx)), HSO_BENCH_VALUE);
	hso_bench_counter(b, "hs_us_0_idle", rel.us_few, HSO_BENCH_VALUE);
	hso_bench_counter(b, "hs_us_n_idle", rel.us_many, HSO_BENCH_VALUE);
	hso_bench_counter(b, "idle_cost_ratio", rel.us_many / rel.us_few, HSO_BENCH_VALUE);
	hso_bench_label(b, "TLS 1.3 ECDSA P-256 X25519");
}
HSO_BENCH_ITERS(bm_idle, "conn/bytes_per_idle_conn", 1)

/* ------------------------------------------------------------------ */
/* Records                                                            */
/* ------------------------------------------------------------------ */

struct rpair {
	struct hs_worker *ws, *wc;
	struct hs_conn s, c;
	struct wire to_s, to_c;
};

static const char *
rpair_start(struct rpair *p, int aead)
{
	static struct hs_client_config cc;
	static struct hs_config sc;
	uint64_t ns = 0;

	memset(p, 0, sizeof(*p));
	if (setup() != 0)
		return "setup: certificate or config";
	cc = g.ccfg;
	sc = g.scfg;
	cc.base.nego.suites[0] = aead ? HS_TLS_CHACHA20_POLY1305_SHA256 : HS_TLS_AES_128_GCM_SHA256;
	cc.base.nego.n_suites = 1;
	cc.base.nego.tls12 = false;
	p->ws = hs_worker_create(&sc, 4);
	p->wc = hs_worker_create_client(&cc, 4);
	p->to_s.p = malloc(WIRE_CAP);
	p->to_c.p = malloc(WIRE_CAP);
	if (p->ws == NULL || p->wc == NULL || p->to_s.p == NULL || p->to_c.p == NULL)
		return "setup: workers";
	if (pair_handshake(&p->s, p->ws, &p->c, p->wc, &p->to_s, &p->to_c, &ns) != 0)
		return "handshake";
	if (p->s.suite != cc.base.nego.suites[0])
		return "wrong suite negotiated";
	return NULL;
}

static void
rpair_free(struct rpair *p)
{
	if (p->s.w != NULL)
		hs_conn_reset(&p->s);
	if (p->c.w != NULL)
		hs_conn_reset(&p->c);
	hs_worker_free(p->ws);
	hs_worker_free(p->wc);
	free(p->to_s.p);
	free(p->to_c.p);
}

static double
gbps(uint64_t bytes, uint64_t ns)
{
	return ns > 0 ? (double)bytes / (double)ns : 0;
}


static void
bm_seal(struct hso_bench *b)
{
	static uint8_t buf[HS_SEAL_HEADROOM_MAX + REC + HS_SEAL_TAILROOM_MAX], tx[2 * REC];
	static uint8_t pieces[9][2048], hdr[16], trl[32], plain[REC];
	static double s_in[SAMPLES], s_seg[SAMPLES], s_cp[SAMPLES], s_r[SAMPLES];
	struct rpair p;
	unsigned n = 0;
	uint64_t tin = 0, tseg = 0, tcp = 0;
	const char *err = rpair_start(&p, (int)hso_bench_arg(b));

	memset(plain, 0x5a, sizeof(plain));
	while (err == NULL && hso_bench_keep_running(b)) {
		uint64_t t0, a = 0, s = 0, c = 0;
		size_t head = hs_conn_seal_headroom(&p.s), tail = hs_conn_seal_tailroom(&p.s);

		for (int i = 0; i < BATCH && err == NULL; i++) {
			struct iovec v = { buf + head, REC }, seg[9];
			size_t len;
			int rc;

			/* In place, one buffer. */
			t0 = hso_bench_now_ns();
			rc = hs_conn_seal_record(&p.s, &v, 1, buf, buf + head + REC);
			a += hso_bench_now_ns() - t0;
			if (rc != (int)(head + REC + tail))
				err = "seal in place";
			/* In place over nine pieces (coalesced sends). */
			for (int k = 0; k < 9; k++)
				seg[k] = (struct iovec){ pieces[k], k < 8 ? 1920 : REC - 8 * 1920 };
			t0 = hso_bench_now_ns();
			rc = hs_conn_seal_record(&p.s, seg, 9, hdr, trl);
			s += hso_bench_now_ns() - t0;
			if (rc != (int)(head + REC + tail))
				err = "seal in pieces";
			/* The copy path: into the engine, sealed there, copied out. */
			t0 = hso_bench_now_ns();
			rc = hs_conn_app_write(&p.s, plain, REC);
			memcpy(tx, hs_conn_send_buf(&p.s, &len), len);
			hs_conn_send_ack(&p.s, len);
			c += hso_bench_now_ns() - t0;
			hso_bench_escape(tx);
			if (rc != REC || len != head + REC + tail)
				err = "app_write";
		}
		tin += a;
		tseg += s;
		tcp += c;
		if (n < SAMPLES) {
			s_in[n] = gbps((uint64_t)BATCH * REC, a);
			s_seg[n] = gbps((uint64_t)BATCH * REC, s);
			s_cp[n] = gbps((uint64_t)BATCH * REC, c);
			s_r[n] = (double)c / (double)a;
			n++;
		}
	}
	if (err != NULL) {
		hso_bench_fail(b, err);
		rpair_free(&p);
		return;
	}
	hso_bench_set_items(b, hso_bench_iterations(b) * BATCH);
	hso_bench_counter(b, "inplace_GBps", median(s_in, n), HSO_BENCH_VALUE);
	hso_bench_counter(b, "inplace_pieces_GBps", median(s_seg, n), HSO_BENCH_VALUE);
	hso_bench_counter(b, "copy_GBps", median(s_cp, n), HSO_BENCH_VALUE);
	hso_bench_counter(b, "ratio", median(s_r, n), HSO_BENCH_VALUE);
	hso_bench_counter(b, "inplace_ns_per_record", (double)tin / n / BATCH, HSO_BENCH_VALUE);
	hso_bench_counter(b, "copy_ns_per_record", (double)tcp / n / BATCH, HSO_BENCH_VALUE);
	hso_bench_counter(b, "key_cache_misses", (double)p.ws->stats.key_cache_misses,
			  HSO_BENCH_VALUE);
	hso_bench_label(b, hso_bench_arg(b) ? "chacha20-poly1305" : "aes-128-gcm");
	(void)tseg;
	rpair_free(&p);
}
HSO_BENCH_ARGS(bm_seal, "record/seal_inplace_vs_copy", 0, 1)

static void
bm_open(struct hso_bench *b)
{
	enum { M_IN, M_SEG, M_DST, M_COPY, M_N };
	static uint8_t recs[M_N][BATCH][HS_SEAL_HEADROOM_MAX + REC + HS_SEAL_TAILROOM_MAX];
	static uint8_t dst[REC + 32], plain[REC];
	static double smp[M_N][SAMPLES], s_r[SAMPLES];
	struct rpair p;
	unsigned n = 0;
	size_t rl = 0;
	const char *err = rpair_start(&p, (int)hso_bench_arg(b));

	memset(plain, 0xa5, sizeof(plain));
	while (err == NULL && hso_bench_keep_running(b)) {
		uint64_t t[M_N] = { 0 }, t0;
		size_t head = hs_conn_seal_headroom(&p.c);

		/* The client seals them (not timed), in the order the server opens them. */
		hso_bench_pause(b);
		for (int m = 0; m < M_N; m++)
			for (int i = 0; i < BATCH; i++) {
				struct iovec v = { (uint8_t *)plain, REC };
				int rc = hs_conn_seal_record_copy(&p.c, &v, 1, recs[m][i],
								  sizeof(recs[m][i]));

				if (rc <= 0)
					err = "client seal";
				rl = (size_t)rc;
			}
		hso_bench_resume(b);
		for (int m = 0; m < M_N && err == NULL; m++) {
			for (int i = 0; i < BATCH && err == NULL; i++) {
				uint8_t *r = recs[m][i];
				struct iovec v = { r, rl }, seg[10], d = { dst, sizeof(dst) };
				unsigned ns = 0;
				int rc;

				switch (m) {
				case M_IN:
					t0 = hso_bench_now_ns();
					rc = hs_conn_open_record(&p.s, &v, 1, NULL, 0, NULL);
					t[m] += hso_bench_now_ns() - t0;
					break;
				case M_SEG:
					for (size_t off = 0; off < rl; off += 2048)
						seg[ns++] = (struct iovec){ r + off,
									    rl - off < 2048 ? rl - off : 2048 };
					t0 = hso_bench_now_ns();
					rc = hs_conn_open_record(&p.s, seg, ns, NULL, 0, NULL);
					t[m] += hso_bench_now_ns() - t0;
					break;
				case M_DST:
					t0 = hso_bench_now_ns();
					rc = hs_conn_open_record(&p.s, &v, 1, &d, 1, NULL);
					t[m] += hso_bench_now_ns() - t0;
					hso_bench_escape(dst);
					break;
				default: {
					size_t room;
					uint8_t *in;

					t0 = hso_bench_now_ns();
					in = hs_conn_recv_buf(&p.s, &room);
					if (room < rl) {
						err = "recv_buf room";
						break;
					}
					memcpy(in, r, rl);
					hs_conn_recv_ack(&p.s, rl);
					rc = hs_conn_app_read(&p.s, dst, sizeof(dst));
					t[m] += hso_bench_now_ns() - t0;
					hso_bench_escape(dst);
					break;
				}
				}
				if (err == NULL && rc != REC)
					err = "open";
			}
		}
		if (n < SAMPLES) {
			for (int m = 0; m < M_N; m++)
				smp[m][n] = gbps((uint64_t)BATCH * REC, t[m]);
			s_r[n] = (double)t[M_COPY] / (double)t[M_IN];
			n++;
		}
		(void)head;
	}
	if (err != NULL) {
		hso_bench_fail(b, err);
		rpair_free(&p);
		return;
	}
	hso_bench_set_items(b, hso_bench_iterations(b) * BATCH);
	hso_bench_counter(b, "inplace_GBps", median(smp[M_IN], n), HSO_BENCH_VALUE);
	hso_bench_counter(b, "inplace_pieces_GBps", median(smp[M_SEG], n), HSO_BENCH_VALUE);
	hso_bench_counter(b, "to_dst_GBps", median(smp[M_DST], n), HSO_BENCH_VALUE);
	hso_bench_counter(b, "copy_GBps", median(smp[M_COPY], n), HSO_BENCH_VALUE);
	hso_bench_counter(b, "ratio", median(s_r, n), HSO_BENCH_VALUE);
	hso_bench_label(b, hso_bench_arg(b) ? "chacha20-poly1305" : "aes-128-gcm");
	rpair_free(&p);
}
HSO_BENCH_ARGS(bm_open, "record/open_inplace_vs_copy", 0, 1)
