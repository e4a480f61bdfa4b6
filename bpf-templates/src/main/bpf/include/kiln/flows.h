/*
 * Flow visibility: per-connection counters kept in the conntrack entry, and events to user
 * space through one node-wide ring buffer, only when something happens to a flow, so that the
 * cost per packet stays a counter update.
 *
 * API: maps `flow_events` (BPF_MAP_TYPE_RINGBUF, flowRingSize bytes) and `flow_lost` (per-CPU
 * array, one __u64: events whose reserve failed because the ring was full); struct flow_event;
 * FLOW_EVENT_*; FLOW_F_*. With flowEvents=on (FLOW_EVENTS): flow_drop(...) from ctx_finish() for
 * every dropped packet; flow_open(), flow_started(), flow_packet() from conntrack.h.
 *
 * Events:
 *   FLOW_EVENT_START  a conntrack entry was made (the flow's first packet, admitted by policy);
 *                     sampled 1 in flowStartSample (1: every flow).
 *   FLOW_EVENT_END    TCP: an RST, or the ACK of the second FIN (so the counters in the event are
 *                     the whole connection's); sent once per connection. Flows that never end
 *                     this way (UDP, ICMP, a TCP connection whose last ACK never came) end by
 *                     expiry, which the agent reports when it finds the entry expired.
 *   FLOW_EVENT_DROP   one per dropped packet, with the reason, the endpoint and what is known of
 *                     the tuple (family 0: dropped before the IP header was read), within the drop
 *                     event budget (below); a drop over the budget is counted in flow_suppressed.
 *   FLOW_EVENT_UPDATE with flowUpdateInterval=N > 0: a live flow's counters so far, sent by the first
 *                     packet of each N-second window of the flow's life (windows counted from its
 *                     first packet), so a long flow is seen before it ends. The check is a compare
 *                     (and a division once the flow is N seconds old) on the packet path; no field
 *                     is added to the conntrack entry. Two packets of one flow crossing a window's
 *                     start on two CPUs at once may both send it: at most about one per window.
 * RTT: a TCP flow's handshake round trip as the endpoint's interface sees it (rtt_us in the entry
 * and in its events; the start event comes before it is known).
 * Counters: "fwd" is the direction of the packet that opened the flow, "rev" its replies; bytes
 * are skb->len (L2 header included), as in the metrics map. Atomic adds: the two directions run
 * on different CPUs. A connection between two endpoints of one node has two entries (conntrack.h),
 * so it is seen twice, once by each endpoint, like Hubble's two observation points.
 *
 * Drop event budget (flowDropRate=R > 0 events per second, flowDropBurst=B): a flood of dropped
 * packets must not fill the ring and crowd out every other event. Each CPU keeps a token bucket
 * (GCRA: one "theoretical arrival time" per CPU in flow_drop_budget, no atomics, no division):
 * at most B drop events at once and R a second after that, per CPU. Drops over it are still
 * counted by reason in the metrics map; only their event is left out, counted per CPU in
 * flow_drop_budget.suppressed (the agent reports the sum). Per CPU, not per endpoint: one
 * endpoint's flood on a CPU also mutes other endpoints' drop events on that CPU while it lasts.
 *
 * Off (flowEvents=off): no code at all; the maps stay declared (node maps are the same in every
 * variant of a node) and conntrack entries keep their size, with the counters left at 0.
 * With connectionTracking=false there are no flows to count: only drop events are sent.
 */
#ifndef KILN_FLOWS_H
#define KILN_FLOWS_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/config.h"
#include "kiln/direction.h"
#include "kiln/drop_reasons.h"
#include "kiln/ipv4.h"
#ifdef ENABLE_IPV6
#include "kiln/ipv6.h"
#endif

#ifndef FLOW_RING_SIZE
#error "FLOW_RING_SIZE must come from the build parameter flowRingSize"
#endif
#if FLOW_RING_SIZE < 4096 || (FLOW_RING_SIZE & (FLOW_RING_SIZE - 1)) != 0
#error "flowRingSize must be a power of two of at least 4096 bytes (a ring buffer is whole pages)"
#endif

#define FLOW_EVENT_START	1
#define FLOW_EVENT_END		2
#define FLOW_EVENT_DROP		3
#define FLOW_EVENT_UPDATE	4

/* flow_flags of a conntrack entry and of an event */
#define FLOW_F_FIN_FWD		0x01	/* a FIN went the opening direction */
#define FLOW_F_FIN_REV		0x02	/* a FIN went the reply direction */
#define FLOW_F_LAST_FIN_REV	0x04	/* the second FIN went the reply direction */
#define FLOW_F_ENDED		0x08	/* the end event was sent */
#define FLOW_F_AUDIT		0x10	/* admitted by policyMode=audit although policy denies it */
#define FLOW_F_SYNACK_SENT	0x20	/* the endpoint answered a SYN: its peer's ACK gives the RTT */

struct flow_event {
	__u8 type;		/* FLOW_EVENT_* */
	__u8 family;		/* 4 or 6; 0: no tuple (dropped before the IP header was read) */
	__u8 proto;		/* IPPROTO_* */
	__u8 dir;		/* DIR_* of the opening packet (start, end) or of the dropped packet */
	__u8 reason;		/* REASON_*: drop reason; FORWARDED or POLICY_AUDIT for a flow */
	__u8 tcp_flags;		/* TCP_FLAG_* seen in both directions (flow), of the packet (drop) */
	__u8 flow_flags;	/* FLOW_F_* */
	__u8 pad;
	__u16 endpoint_id;	/* the endpoint whose program sent the event; 0: unknown (tier 0) */
	__be16 sport;		/* ports in network order, as the opening (or dropped) packet has them */
	__be16 dport;
	__u16 pad2;
	union v6addr saddr;	/* IPv4: the first 4 bytes, the rest 0 */
	union v6addr daddr;
	__u64 timestamp;	/* bpf_ktime_get_ns() of the event (CLOCK_MONOTONIC) */
	__u64 first_seen;	/* flow: first and last packet, bpf_ktime_get_ns() */
	__u64 last_seen;
	__u64 packets_fwd;
	__u64 bytes_fwd;
	__u64 packets_rev;
	__u64 bytes_rev;
	__u32 rtt_us;		/* TCP handshake round trip seen at the endpoint (conntrack.h); 0: none */
	__u32 pad3;
};
KILN_ASSERT_SIZE(struct flow_event, 112);

/* Node-wide: the events of every endpoint's programs. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FLOW_RING_SIZE);
} flow_events SEC(".maps");

/* Node-wide, per CPU: events lost because the ring was full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} flow_lost SEC(".maps");

/* Node-wide, per CPU: the drop event budget (GCRA) and the drop events it left out. */
struct flow_drop_budget {
	__u64 tat;		/* theoretical arrival time of the next event, bpf_ktime_get_ns() */
	__u64 suppressed;	/* drop events left out over the budget */
};
KILN_ASSERT_SIZE(struct flow_drop_budget, 16);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct flow_drop_budget);
	__uint(max_entries, 1);
} flow_drop_budget SEC(".maps");

#ifdef FLOW_EVENTS

#if !defined(FLOW_DROP_RATE) || !defined(FLOW_DROP_BURST) || !defined(FLOW_UPDATE_INTERVAL)
#error "FLOW_DROP_RATE, FLOW_DROP_BURST and FLOW_UPDATE_INTERVAL must come from flowDropRate, flowDropBurst, flowUpdateInterval"
#endif

/* Whether this CPU's budget has room for one more drop event; if not, it is counted as suppressed. */
static __always_inline bool flow_drop_admit(__u64 now)	/* now: not 0 */
{
#if FLOW_DROP_RATE > 0
	/* one event costs T ns; B events may come at once: allowed while tat <= now + (B - 1) * T */
	const __u64 cost = 1000000000ULL / FLOW_DROP_RATE;
	const __u64 tolerance = (FLOW_DROP_BURST - 1) * (1000000000ULL / FLOW_DROP_RATE);
	__u32 zero = 0;
	struct flow_drop_budget *b = bpf_map_lookup_elem(&flow_drop_budget, &zero);

	if (!b)
		return true;
	if (b->tat > now + tolerance) {
		b->suppressed += 1;
		return false;
	}
	b->tat = (b->tat > now ? b->tat : now) + cost;
#endif
	return true;
}

/* A zeroed event in the ring, or NULL (counted as lost). */
static __always_inline struct flow_event *flow_reserve(__u8 type, __u64 now)
{
	struct flow_event *ev = bpf_ringbuf_reserve(&flow_events, sizeof(*ev), 0);

	if (!ev) {
		__u32 zero = 0;
		__u64 *lost = bpf_map_lookup_elem(&flow_lost, &zero);

		if (lost)
			*lost += 1;
		return NULL;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->timestamp = now ? now : bpf_ktime_get_ns();
	return ev;
}

static __always_inline void flow_tuple4(struct flow_event *ev, const struct flow4 *f, bool reverse)
{
	ev->family = 4;
	ev->proto = f->l4.proto;
	ev->saddr.p[0] = reverse ? f->daddr : f->saddr;
	ev->daddr.p[0] = reverse ? f->saddr : f->daddr;
	ev->sport = reverse ? f->l4.dport : f->l4.sport;
	ev->dport = reverse ? f->l4.sport : f->l4.dport;
}

#ifdef ENABLE_IPV6
static __always_inline void flow_tuple6(struct flow_event *ev, const struct flow6 *f, bool reverse)
{
	ev->family = 6;
	ev->proto = f->l4.proto;
	ev->saddr = reverse ? f->daddr : f->saddr;
	ev->daddr = reverse ? f->saddr : f->daddr;
	ev->sport = reverse ? f->l4.dport : f->l4.sport;
	ev->dport = reverse ? f->l4.sport : f->l4.dport;
}
#endif

/* One dropped packet. f4 or f6 is the packet's parsed tuple, if it got that far. */
static __always_inline void flow_drop(__u16 endpoint_id, __u8 dir, __u32 reason, __u64 now,
				      const struct flow4 *f4, const void *f6)
{
	struct flow_event *ev;

	if (!now)
		now = bpf_ktime_get_ns();
	if (!flow_drop_admit(now))
		return;
	ev = flow_reserve(FLOW_EVENT_DROP, now);
	if (!ev)
		return;
	ev->dir = dir;
	ev->reason = reason;
	ev->endpoint_id = endpoint_id;
	if (f4) {
		flow_tuple4(ev, f4, false);
		ev->tcp_flags = f4->l4.tcp_flags;
	}
#ifdef ENABLE_IPV6
	else if (f6) {
		flow_tuple6(ev, f6, false);
		ev->tcp_flags = ((const struct flow6 *)f6)->l4.tcp_flags;
	}
#endif
	bpf_ringbuf_submit(ev, 0);
}

#endif /* FLOW_EVENTS */

#endif /* KILN_FLOWS_H */
