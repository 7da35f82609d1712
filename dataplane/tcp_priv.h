/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_TCP_PRIV_H
#define HSO_DATAPLANE_TCP_PRIV_H

/*
 * Internals of the TCP core: the connection object, the table and the timer
 * wheel. Tests include this to look at sequence variables.
 */

#include "tcp.h"

/* Serial number arithmetic (RFC 1982) on 32-bit sequence numbers. */
static inline bool
tcp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool
tcp_seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline uint32_t
tcp_seq_max(uint32_t a, uint32_t b)
{
	return tcp_seq_lt(a, b) ? b : a;
}

/* One timer: intrusive, doubly linked in a wheel slot. */
struct tcp_timer {
	struct tcp_timer *next;
	struct tcp_timer **pprev;   /* NULL when not armed */
	uint64_t expire_us;
};

/*
 * Hierarchical timer wheel (Varghese and Lauck, "Hashed and hierarchical
 * timing wheels", 1987, scheme 7): level 0 has one slot per tick, a
 * revolution of mask + 1 ticks; each level above has 64 slots, each as long
 * as a revolution of the level below. A timer goes into the lowest level
 * whose span covers it and moves down (cascades) when its upper slot comes
 * round: a timer due in a day is touched a few times, not once per level-0
 * revolution (every 4 s for TCP, which with a million idle connections was
 * a million cache misses per revolution). Insert and cancel are O(1).
 */
#define TCP_WHEEL_UP_BITS 6         /* 64 slots per upper level */
#define TCP_WHEEL_LEVELS 4          /* level 0 + 3: 4096 ticks x 2^18 = 12.4 days at 1 ms */

struct tcp_wheel {
	struct tcp_timer **slots;   /* level 0 (mask + 1), then 64 per upper level */
	uint32_t mask;
	uint32_t bits;              /* log2(mask + 1) */
	uint32_t tick_us;
	uint64_t cur;               /* last tick processed */
};

int tcp_wheel_init(struct tcp_wheel *w, uint32_t slots, uint32_t tick_us, uint64_t now_us);
void tcp_wheel_fini(struct tcp_wheel *w);
void tcp_wheel_insert(struct tcp_wheel *w, struct tcp_timer *tm, uint64_t expire_us);
void tcp_wheel_cancel(struct tcp_timer *tm);
static inline bool
tcp_timer_armed(const struct tcp_timer *tm)
{
	return tm->pprev != NULL;
}
/*
 * Fire every timer due at @now_us through @fn; returns how many fired. A run
 * more than one level-0 revolution after the last (a stalled caller, a test
 * moving its clock) re-files every armed timer once.
 */
unsigned tcp_wheel_run(struct tcp_wheel *w, uint64_t now_us,
		       void (*fn)(struct tcp_timer *tm, void *arg), void *arg);

#define TCP_CF_ACK_NOW   0x0001u    /* send an ACK at the next output */
#define TCP_CF_QUICKACK  0x0002u    /* ACK the next data at once */
#define TCP_CF_FIN_QUEUED 0x0004u   /* app closed: FIN after the data */
#define TCP_CF_FIN_RCVD  0x0008u    /* peer's FIN consumed (rcv_nxt past it) */
#define TCP_CF_OOO_FIN   0x0010u    /* peer's FIN seen ahead of a gap */
#define TCP_CF_ACCEPTED  0x0020u    /* the owner knows it: TCP_EV_ACCEPT, or it connected */
#define TCP_CF_CLOSED_EV 0x0040u    /* TCP_EV_CLOSED was queued: over for the owner */
#define TCP_CF_WSCALE    0x0080u    /* window scaling on (both sent it) */
#define TCP_CF_RTT       0x0100u    /* timing rtt_seq */
#define TCP_CF_PERSIST   0x0200u    /* zero-window probing */
#define TCP_CF_COOKIE    0x0400u    /* created from a SYN cookie */
#define TCP_CF_RELEASED  0x0800u    /* the owner released it (tcp_conn_release()) */
#define TCP_CF_ACTIVE    0x1000u    /* opened by tcp_tbl_connect() */
#define TCP_CF_TIMEOUT   0x2000u    /* freed by a timer (TCP_EV_TIMEOUT) */
#define TCP_CF_IN_EV     0x4000u    /* on the event list */

/* tcp_buf.flags */
#define TCP_BF_DEFERRED  0x0001u    /* released while output pointed into it */

struct tcp_conn {
	struct tcp_tuple tuple;
	uint8_t state;              /* enum tcp_state; CLOSED: over or free */
	uint8_t snd_wscale;         /* peer's shift for its windows */
	uint8_t rcv_wscale;         /* our shift */
	uint8_t dupacks;
	uint16_t flags;             /* TCP_CF_* */
	uint16_t mss;               /* effective send MSS */
	uint8_t retries;            /* RTO expiries / probes without progress */
	uint8_t syn_retx;           /* SYN or SYN-ACK retransmissions */
	uint8_t n_ooo;              /* out-of-order buffers held */
	uint8_t ev_bits;            /* pending TCP_EV_* */
	uint32_t idx;
	uint32_t gen;
	void *user;

	/* send sequence space (RFC 9293 3.3.1) */
	uint32_t iss;
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max;           /* highest sequence sent + 1 */
	uint32_t snd_wnd;           /* scaled */
	uint32_t max_snd_wnd;
	uint32_t snd_wl1, snd_wl2;
	uint32_t cwnd, ssthresh;

	/* receive sequence space */
	uint32_t irs;
	uint32_t rcv_nxt;
	uint32_t rcv_adv;           /* right edge advertised (never moves left) */
	uint32_t rcv_unacked;       /* bytes received since our last ACK */

	/* RFC 6298 */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t rtt_seq;
	uint64_t rtt_start_us;

	/* deadlines (0: none); the timer holds their minimum or earlier */
	uint64_t rto_at;            /* RTO or persist */
	uint64_t dack_at;
	uint64_t life_at;           /* handshake / idle / FIN_WAIT_2 / TIME_WAIT */
	uint64_t last_rx_us;
	uint64_t synack_us;         /* our SYN or SYN-ACK last went out */
	struct tcp_timer timer;

	/* received: in order from rx_rd_seq, then out of order (sorted) */
	struct tcp_buf *rx_head, *rx_tail;
	struct tcp_buf *ooo_head;
	uint32_t rx_rd_seq;         /* sequence of the first byte not yet read */
	uint32_t n_rx;              /* in-order buffers held */
	uint32_t ooo_fin_seq;
	/* to send: from tx_seq (the first unacknowledged byte), tx_len bytes */
	struct tcp_buf *tx_head, *tx_tail;
	struct tcp_buf *tx_cur;     /* a buffer at or before SND.NXT (a search hint) */
	uint32_t tx_seq;
	uint32_t tx_len;
	uint32_t n_tx;              /* buffers queued to send (tx_head's list) */
	uint64_t zw_since;          /* the peer's window closed (persist) at; 0: open */

	uint32_t hnext;             /* free list */
	uint32_t hhome;             /* home bucket in the tuple hash */
	uint32_t ev_next;           /* event list: 1 + index, 0: end */
	struct tcp_conn *tw_next, **tw_pprev;   /* TIME_WAIT FIFO */
};

struct tcp_tbl {
	struct tcp_config cfg;
	uint64_t now_us;
	uint8_t isn_key[16];
	uint8_t cookie_key[16];
	uint8_t hash_key[16];
	uint8_t eph_key[16];        /* RFC 6056 F(), derived from hash_key */
	uint32_t rx_cap, tx_cap;
	uint8_t rcv_wscale;
	uint16_t listen[TCP_LISTEN_MAX];
	unsigned n_listen;

	struct tcp_conn *conns;     /* max_conns slots, reserved; [0, hwm) touched */
	size_t conns_len;
	uint32_t hwm;
	uint32_t free_head;         /* 1 + index, 0: none (then hwm) */
	uint32_t n_conns;
	uint32_t n_half_open;
	uint32_t n_time_wait;
	struct tcp_conn *tw_head, **tw_tail;

	uint64_t *hash;             /* tuple hash << 32 | 1 + index; 0: empty */
	uint32_t hash_mask;
	struct tcp_conn *last;      /* the last connection looked up (in the hash) */

	struct tcp_wheel wheel;

	struct tcp_seg_out *out;
	uint32_t n_out;
	struct tcp_buf *deferred;   /* released while output pointed into them */
	struct tcp_buf *in_buf;     /* tcp_tbl_input(): the segment's buffer, until taken */

	uint32_t ev_head, ev_tail;  /* connections with events: 1 + index */

	/* Active opens: sources (RFC 6056 3.3.3 over address x port pairs). */
	uint32_t *src_addrs;
	uint8_t (*src_addrs6)[16];  /* IPv6 sources (tcp_tbl_set_sources6()) */
	uint32_t n_src;             /* of src_addrs, or of src_addrs6 when set */
	uint16_t port_lo;
	uint32_t n_ports;           /* port_hi - port_lo + 1 */
	uint64_t eph_space;         /* n_src * n_ports */
	uint64_t eph_next;          /* RFC 6056 next_ephemeral */
	tcp_tuple_filter_t filter;
	void *filter_arg;

	uint64_t chack_epoch;       /* second of the challenge ACK budget */
	uint32_t chack_count;

	struct tcp_stats stats;
};

/* SYN cookies (tcp_cookie.c). */
uint32_t tcp_cookie_make(const struct tcp_tbl *t, const struct tcp_tuple *tu,
			 uint32_t peer_isn, uint16_t peer_mss, uint64_t now_us);
/* Returns the MSS the cookie encodes, or 0 when it is not valid. */
uint16_t tcp_cookie_check(const struct tcp_tbl *t, const struct tcp_tuple *tu,
			  uint32_t peer_isn, uint32_t cookie, uint64_t now_us);
/* RFC 6056 3.3.3 F(): the offset of a destination in the ephemeral space. */
uint64_t tcp_eph_offset(const struct tcp_tbl *t, uint32_t raddr, uint16_t rport);
/** tcp_eph_offset() for an IPv6 destination. */
uint64_t tcp_eph_offset6(const struct tcp_tbl *t, const uint8_t raddr[16], uint16_t rport);
/* RFC 6528 ISN. */
uint32_t tcp_isn(const struct tcp_tbl *t, const struct tcp_tuple *tu, uint64_t now_us);
uint64_t tcp_tuple_hash(const uint8_t key[16], const struct tcp_tuple *tu,
			const uint32_t *extra, unsigned n_extra);

#endif
