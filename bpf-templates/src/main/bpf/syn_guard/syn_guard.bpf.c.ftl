/*
 * The syn_guard template: a per-source TCP SYN budget for one endpoint, chained before its
 * dataplane program on the same hook (see docs/agent.md "Policy chains").
 *   syn_guard  tc egress of the host-side veth (what the endpoint receives): a SYN without ACK
 *              from a source that already sent SYN_BUDGET of them in its current WINDOW_MS window
 *              is dropped (SYN_OVER_BUDGET); every other packet is passed on to the next program
 *              on the hook (the dataplane), which still applies its own policy.
 * Passing on is TCX_NEXT with tcx and TC_ACT_UNSPEC with legacy tc direct-action: both -1.
 * SYNs are counted in syn_metrics under the descriptor's reasons (packets and bytes, per CPU, slot
 * direction * KILN_REASON_SLOTS + code, direction 0: what the endpoint receives), the layout the
 * agent reads as the template's drop counters; other packets are not counted.
 */

/* Build configuration: the only FreeMarker in this file. */
<#if ipv6>
#define ENABLE_IPV6 1
</#if>
#define SYN_SOURCES ${sources}
/* The descriptor's verdict reasons: REASON_SYN_PASSED, REASON_SYN_OVER_BUDGET, KILN_REASON_SLOTS. */
<@kiln.declareReasons/>
/* End of build configuration. */

#include "kiln/compiler.h"

/* Hand the packet to the next program on the hook. */
#define GUARD_NEXT	(-1)

/* The direction of the reason slots: packets the endpoint receives (Kiln's DIR_INGRESS). */
#define SYN_DIRECTION	0

volatile const __u32 SYN_BUDGET = 64;
volatile const __u32 WINDOW_MS = 1000;

struct syn_source {
	__u8 addr[16];		/* IPv6, or IPv4 mapped: ::ffff:a.b.c.d */
};
KILN_ASSERT_SIZE(struct syn_source, 16);

struct syn_window {
	__u64 start_ns;		/* bpf_ktime_get_ns() when the window began */
	__u32 syns;		/* SYNs seen in it */
	__u32 pad;
};
KILN_ASSERT_SIZE(struct syn_window, 16);

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct syn_source);
	__type(value, struct syn_window);
	__uint(max_entries, SYN_SOURCES);
} syn_sources SEC(".maps");

struct syn_count {
	__u64 packets;
	__u64 bytes;
};
KILN_ASSERT_SIZE(struct syn_count, 16);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct syn_count);
	__uint(max_entries, 2 * KILN_REASON_SLOTS);
} syn_metrics SEC(".maps");

static __always_inline void syn_count(__u32 reason, __u32 len)
{
	__u32 slot = SYN_DIRECTION * KILN_REASON_SLOTS + reason;
	struct syn_count *v = bpf_map_lookup_elem(&syn_metrics, &slot);

	if (v) {
		v->packets += 1; /* per-CPU: no other writer */
		v->bytes += len;
	}
}

/* Charges one SYN to `src`; true if it is within the source's budget. */
static __always_inline bool syn_within_budget(const struct syn_source *src)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 window = (__u64)WINDOW_MS * 1000000ULL;
	struct syn_window *w = bpf_map_lookup_elem(&syn_sources, src);

	if (!w || now - w->start_ns >= window) {
		struct syn_window fresh = { .start_ns = now, .syns = 1 };

		bpf_map_update_elem(&syn_sources, src, &fresh, BPF_ANY);
		return SYN_BUDGET >= 1;
	}
	if (w->syns >= SYN_BUDGET)
		return false;
	__sync_fetch_and_add(&w->syns, 1);
	return true;
}

static __always_inline int syn_verdict(const struct tcphdr *tcp, const struct syn_source *src, __u32 len)
{
	if (!tcp->syn || tcp->ack)
		return GUARD_NEXT;
	if (syn_within_budget(src)) {
		syn_count(REASON_SYN_PASSED, len);
		return GUARD_NEXT;
	}
	syn_count(REASON_SYN_OVER_BUDGET, len);
	return TC_ACT_SHOT;
}

SEC("tc")
int syn_guard(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct syn_source src = {};

	if ((void *)(eth + 1) > data_end)
		return GUARD_NEXT;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		struct tcphdr *tcp;

		if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_TCP || ip->ihl < 5)
			return GUARD_NEXT;
		if (ip->frag_off & bpf_htons(0x1fff))
			return GUARD_NEXT; /* a later fragment has no TCP header */
		tcp = (void *)ip + ip->ihl * 4;
		if ((void *)(tcp + 1) > data_end)
			return GUARD_NEXT;
		src.addr[10] = 0xff;
		src.addr[11] = 0xff;
		__builtin_memcpy(&src.addr[12], &ip->saddr, 4);
		return syn_verdict(tcp, &src, skb->len);
	}
#ifdef ENABLE_IPV6
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct tcphdr *tcp = (void *)(ip6 + 1);

		if ((void *)(tcp + 1) > data_end || ip6->nexthdr != IPPROTO_TCP)
			return GUARD_NEXT;
		__builtin_memcpy(src.addr, &ip6->saddr, 16);
		return syn_verdict(tcp, &src, skb->len);
	}
#endif
	return GUARD_NEXT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
