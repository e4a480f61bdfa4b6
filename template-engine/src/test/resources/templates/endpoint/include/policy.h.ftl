<@h.map name="policy" type="BPF_MAP_TYPE_HASH" key="__u32" value="__u8" entries=ctSize/>

static __always_inline int ${prefix}_handle(struct __sk_buff *skb, int ingress)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 key = IDENTITY;
	__u8 *verdict;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (ingress && eth->h_source[5] != ENDPOINT_MAC[5])
		return TC_ACT_SHOT;
<#if ipv6>
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return TC_ACT_SHOT;
		if (!ingress && ip6->daddr.in6_u.u6_addr32[3] != ENDPOINT_IPV6[3])
			return TC_ACT_SHOT;
	}
</#if>
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return TC_ACT_SHOT;
		if (!ingress && ip->daddr != ENDPOINT_IPV4)
			return TC_ACT_SHOT;
		key ^= ingress ? ip->saddr : ip->daddr;
	}
	verdict = bpf_map_lookup_elem(&policy, &key);
	KILN_UNUSED_VAR(verdict);
<#if policyMode == "enforce">
	return verdict && *verdict ? TC_ACT_OK : TC_ACT_SHOT;
<#elseif policyMode == "audit">
	if (!verdict && DEBUG)
		bpf_printk("endpoint %d: audit: would drop", ENDPOINT_ID);
	return TC_ACT_OK;
<#else>
	return TC_ACT_OK;
</#if>
}
