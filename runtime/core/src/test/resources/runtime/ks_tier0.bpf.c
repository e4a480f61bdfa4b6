// Tier 0 of the ks_tier test template: one program for every endpoint, which finds the endpoint's
// values by skb->ifindex in endpoint_configs and its ks_counters through ks_counters_maps. An
// interface without an entry: dropped. Counts UDP in the endpoint's slot SLOT, like tier 1.
#include "ks_tier_maps.h"

SEC("tc")
int ks_ingress(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	struct ks_config *cfg = bpf_map_lookup_elem(&endpoint_configs, &ifindex);
	void *counters;
	__u32 id;

	/* tier 0 never uses its own ks_counters; naming it here makes clang emit the counter's type
	 * whole in BTF (the inner map of ks_counters_maps alone gets a forward declaration) */
	asm volatile("" : : "r"(&ks_counters));
	if (!cfg)
		return TC_ACT_SHOT;
	id = cfg->endpoint_id;
	counters = bpf_map_lookup_elem(&ks_counters_maps, &id);
	if (counters && ks_is_udp4(skb))
		ks_count(counters, cfg->slot, skb->len);
	if (cfg->drop && skb->protocol == bpf_htons(ETH_P_IP))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc")
int ks_egress(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;

	return bpf_map_lookup_elem(&endpoint_configs, &ifindex) ? TC_ACT_OK : TC_ACT_SHOT;
}
