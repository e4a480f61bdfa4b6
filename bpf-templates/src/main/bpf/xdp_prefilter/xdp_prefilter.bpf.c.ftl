/*
 * The xdp_prefilter template: a node-level CIDR deny-list on a node interface, at XDP.
 *   prefilter  xdp: drops packets whose source address is on the deny-list (deny4, deny6),
 *              or only counts them when AUDIT_ONLY is set; everything else passes untouched.
 * Every packet is counted once in `metrics` (direction DIR_INGRESS) under FORWARDED,
 * PREFILTER_DENIED or PREFILTER_AUDIT. Frames too short to hold the headers pass: the stack
 * drops them with its own accounting.
 */

/* Build configuration: the only FreeMarker in this file. */
<#if ipv6>
#define ENABLE_IPV6 1
</#if>
#define DENY_SIZE ${denySize}
/* End of build configuration. */

/* The verdict reasons of the descriptor: REASON_<NAME> for kiln/drop_reasons.h and the steps. */
<@kiln.declareReasons/>

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/direction.h"
#include "kiln/drop_reasons.h"
#include "kiln/metrics.h"
#include "kiln/prefilter.h"

/* Count and pass instead of dropping: try a deny-list on live traffic first. */
volatile const bool AUDIT_ONLY = false;

static __always_inline int prefilter_verdict(struct xdp_md *ctx, bool denied)
{
	__u32 bytes = ctx->data_end - ctx->data;

	if (!denied) {
		metrics_count(REASON_FORWARDED, DIR_INGRESS, bytes);
		return XDP_PASS;
	}
	if (AUDIT_ONLY) {
		metrics_count(REASON_PREFILTER_AUDIT, DIR_INGRESS, bytes);
		return XDP_PASS;
	}
	metrics_count(REASON_PREFILTER_DENIED, DIR_INGRESS, bytes);
	return XDP_DROP;
}

SEC("xdp")
int prefilter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return prefilter_verdict(ctx, false);

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return prefilter_verdict(ctx, false);
		return prefilter_verdict(ctx, prefilter4_denied(ip->saddr));
	}
#ifdef ENABLE_IPV6
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		union v6addr saddr;

		if ((void *)(ip6 + 1) > data_end)
			return prefilter_verdict(ctx, false);
		__builtin_memcpy(&saddr, &ip6->saddr, sizeof(saddr));
		return prefilter_verdict(ctx, prefilter6_denied(&saddr));
	}
#endif
	return prefilter_verdict(ctx, false);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
