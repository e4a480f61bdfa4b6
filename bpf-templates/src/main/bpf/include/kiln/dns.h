/*
 * DNS learning (DNS-aware policy, toFQDNs): the DNS answers an endpoint receives are held until
 * the agent has learned their addresses, so that a client connecting the moment its lookup
 * returns is never dropped because the ipcache did not know the address yet.
 *
 * API: maps `dns_events` (BPF_MAP_TYPE_RINGBUF, DNS_RING_SIZE bytes of struct dns_event),
 * `dns_stats` (per-CPU array of DNS_STAT_SLOTS __u64, indexed by DNS_STAT_*; slots 6 and 7 are
 * dns_query.h's) and `dns_agent`
 * (array of one struct dns_agent the agent writes); KILN_MARK_DNS_REDELIVERED. With
 * dnsLearning=true (DNS_LEARNING): dns_redelivered(skb, l4) and dns_hold(c, l4) from to_endpoint.
 *
 * In to_endpoint, after the packet was admitted (conntrack or policy, and reverse NAT), an answer
 * from port 53 (UDP, or a TCP segment with payload) is copied whole into `dns_events` and dropped
 * (REASON_DNS_HELD). The agent parses it, writes the ipcache and policy entries of the names its
 * rules select, and sends the very frame back out of the host-side veth with
 * skb->mark == KILN_MARK_DNS_REDELIVERED; this program passes such a frame at once
 * (dns_redelivered), since it was admitted the first time. Only a privileged process of the
 * node's network namespace can set a socket's mark; a frame crossing a veth from another
 * namespace loses its mark.
 *
 * When the agent does not consume: it writes `dns_agent` (its CLOCK_MONOTONIC heartbeat, how
 * old a heartbeat may be, its failure mode) every few hundred milliseconds. With a heartbeat
 * older than that (or none), an answer is passed unheld (fail-open; the name's address stays
 * unknown, so a toFQDNs rule does not allow it yet) or dropped as REASON_DNS_AGENT_DOWN
 * (fail-closed; the client asks again, and is answered once the agent is back). A full ring or
 * an answer larger than DNS_CAPTURE_MAX bytes (L2 frame) is handled the same way and counted.
 *
 * Off (dnsLearning=false): no code; the maps stay declared (node maps are the same in every
 * variant of a node).
 */
#ifndef KILN_DNS_H
#define KILN_DNS_H

#include "kiln/compiler.h"
#include "kiln/config.h"
#include "kiln/context.h"
#include "kiln/drop_reasons.h"
#include "kiln/l4.h"

#define DNS_PORT		53
/* skb->mark of a frame the agent re-delivers ("KDNS"). */
#define KILN_MARK_DNS_REDELIVERED	0x4b444e53
/* Bytes of one frame kept (from the Ethernet header): a UDP answer within a 1500-byte MTU. */
#define DNS_CAPTURE_MAX		1536
#define DNS_RING_SIZE		(1 << 20)

/* dns_stats slots */
#define DNS_STAT_HELD		0	/* copied to the ring and dropped, for the agent to re-deliver */
#define DNS_STAT_REDELIVERED	1	/* re-delivered by the agent (the mark), passed */
#define DNS_STAT_AGENT_DOWN_PASSED	2	/* agent heartbeat stale, fail-open: passed unheld */
#define DNS_STAT_AGENT_DOWN_DROPPED	3	/* agent heartbeat stale, fail-closed: dropped */
#define DNS_STAT_LOST		4	/* the ring was full (then as agent down: passed or dropped) */
#define DNS_STAT_TOO_BIG	5	/* larger than DNS_CAPTURE_MAX (then as agent down) */
#define DNS_STAT_QUERY_REFUSED	6	/* a query answered REFUSED by the endpoint's DNS rules (dns_query.h) */
#define DNS_STAT_QUERY_DROPPED	7	/* a query dropped by them: TCP or malformed (dns_query.h) */
#define DNS_STAT_SLOTS		8

struct dns_event {
	__u32 len;		/* bytes of frame[] that hold the frame (the whole frame: no truncation) */
	__u32 ifindex;		/* the interface the frame was leaving: the endpoint's host-side veth */
	__u16 endpoint_id;
	__u8 family;		/* 4 or 6 */
	__u8 proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	__u16 l4_off;		/* offset of the UDP or TCP header in frame[] */
	__u16 pad;
	__u64 timestamp;	/* bpf_ktime_get_ns() when it was held */
	__u8 frame[DNS_CAPTURE_MAX];
};
KILN_ASSERT_SIZE(struct dns_event, 24 + DNS_CAPTURE_MAX);

struct dns_agent {
	__u64 heartbeat_ns;	/* CLOCK_MONOTONIC of the agent's last sign of life; 0: never */
	__u64 stale_ns;		/* a heartbeat older than this means the agent is not consuming */
	__u32 fail_closed;	/* 1: hold answers while the agent is down; 0: pass them unheld */
	__u32 pad;
};
KILN_ASSERT_SIZE(struct dns_agent, 24);

/* Node-wide: held answers, for the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, DNS_RING_SIZE);
} dns_events SEC(".maps");

/* Node-wide, per CPU: what happened to answers (DNS_STAT_*). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, DNS_STAT_SLOTS);
} dns_stats SEC(".maps");

/* Node-wide: written by the agent only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct dns_agent);
	__uint(max_entries, 1);
} dns_agent SEC(".maps");

#ifdef DNS_LEARNING

static __always_inline void dns_count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&dns_stats, &slot);

	if (n)
		*n += 1;
}

static __always_inline bool dns_is_answer(const struct l4_info *l4)
{
	return (l4->proto == IPPROTO_UDP || l4->proto == IPPROTO_TCP) && l4->sport == bpf_htons(DNS_PORT);
}

/* True for an answer the agent re-delivered: pass it as it is (it was admitted when held). */
static __always_inline bool dns_redelivered(const struct __sk_buff *skb, const struct l4_info *l4)
{
	if (skb->mark != KILN_MARK_DNS_REDELIVERED || !dns_is_answer(l4))
		return false;
	dns_count(DNS_STAT_REDELIVERED);
	return true;
}

/* The agent is down, the ring full or the frame too big: pass (KILN_OK) or drop per the agent's mode. */
static __always_inline int dns_unheld(const struct dns_agent *agent, __u32 why)
{
	dns_count(why);
	if (agent && agent->fail_closed) {
		dns_count(DNS_STAT_AGENT_DOWN_DROPPED);
		return REASON_DNS_AGENT_DOWN;
	}
	if (why != DNS_STAT_AGENT_DOWN_PASSED)
		dns_count(DNS_STAT_AGENT_DOWN_PASSED);
	return KILN_OK;
}

/*
 * An admitted packet toward the endpoint: KILN_OK to pass it (not an answer, or unheld), else a
 * reason to drop it with (REASON_DNS_HELD: the agent has a copy and re-delivers it).
 */
static __always_inline int dns_hold(struct kiln_ctx *c, const struct l4_info *l4, __u8 family)
{
	struct __sk_buff *skb = c->skb;
	const struct dns_agent *agent;
	struct dns_event *ev;
	__u32 zero = 0;
	__u32 len;
	__u64 now;

	if (!dns_is_answer(l4))
		return KILN_OK;
	/* a TCP segment without payload (handshake, ACK, FIN) carries no answer; its header is
	 * data offset * 4 bytes (a SYN-ACK or an ACK with timestamps has 32..40 bytes of it) */
	if (l4->proto == IPPROTO_TCP) {
		__u8 doff;

		if (bpf_skb_load_bytes(skb, l4->off + 12, &doff, 1))
			return KILN_OK;
		if (skb->len <= (__u32)l4->off + ((__u32)(doff >> 4) << 2))
			return KILN_OK;
	}
	agent = bpf_map_lookup_elem(&dns_agent, &zero);
	now = bpf_ktime_get_ns();
	if (!agent || !agent->heartbeat_ns || now - agent->heartbeat_ns > agent->stale_ns)
		return dns_unheld(agent, DNS_STAT_AGENT_DOWN_PASSED);
	len = skb->len;
	if (len > DNS_CAPTURE_MAX || len < 1)
		return dns_unheld(agent, DNS_STAT_TOO_BIG);
	ev = bpf_ringbuf_reserve(&dns_events, sizeof(*ev), 0);
	if (!ev)
		return dns_unheld(agent, DNS_STAT_LOST);
	ev->len = len;
	ev->ifindex = skb->ifindex;
	ev->endpoint_id = cfg_endpoint_id(c->cfg);
	ev->family = family;
	ev->proto = l4->proto;
	ev->l4_off = l4->off;
	ev->pad = 0;
	ev->timestamp = now;
	barrier_var(len);
	if (len > DNS_CAPTURE_MAX || len < 1 || bpf_skb_load_bytes(skb, 0, ev->frame, len)) {
		bpf_ringbuf_discard(ev, 0);
		return dns_unheld(agent, DNS_STAT_TOO_BIG);
	}
	bpf_ringbuf_submit(ev, 0);
	dns_count(DNS_STAT_HELD);
	return REASON_DNS_HELD;
}

#endif /* DNS_LEARNING */

#endif /* KILN_DNS_H */
