<#-- hello: counts packets on an endpoint's ingress and drops one IPv4 source address.
     Build parameters: dropEnabled (compile the drop in), counterSlots (size of the counters map).
     Constants, set per endpoint at load time: ENDPOINT_ID, BLOCKED_IPV4. -->
// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "hello.h"

<@kiln.declareConstants/>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ${counterSlots});
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

SEC("tc")
int hello_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;

	hello_count(&counters, HELLO_SLOT_PACKETS);
	/* An object not yet specialized for an endpoint passes everything. */
	if (ENDPOINT_ID == 0)
		return TC_ACT_OK;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;
	hello_count(&counters, HELLO_SLOT_FIRST_PROTO + ip->protocol % (${counterSlots} - HELLO_SLOT_FIRST_PROTO));
<#if dropEnabled>
	if (BLOCKED_IPV4 != 0 && ip->saddr == BLOCKED_IPV4) {
		hello_count(&counters, HELLO_SLOT_DROPPED);
		return TC_ACT_SHOT;
	}
</#if>
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
