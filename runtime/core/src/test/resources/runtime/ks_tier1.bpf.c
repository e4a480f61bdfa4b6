// Tier 1 of the ks_tier test template: the endpoint's own program, its values in .rodata.
#include "ks_tier_maps.h"

SEC("tc")
int ks_ingress(struct __sk_buff *skb)
{
	if (ks_is_udp4(skb))
		ks_count(&ks_counters, SLOT, skb->len);
	if (DROP && skb->protocol == bpf_htons(ETH_P_IP))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc")
int ks_egress(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}
