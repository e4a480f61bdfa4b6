// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

<@kiln.declareConstants/>

struct flow_key {
	__be32 saddr;
	__be16 dport;
	__u8 proto;
	__u8 pad;
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
} flows SEC(".maps");

SEC("tc")
int count(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct flow_key key = {};
	struct flow_stats *stats;

	if (ENDPOINT_ID == 0 || (void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	key.saddr = ip->saddr;
	key.dport = udp->dest;
	key.proto = ip->protocol;
	stats = bpf_map_lookup_elem(&flows, &key);
	if (stats) {
		__sync_fetch_and_add(&stats->packets, 1);
		__sync_fetch_and_add(&stats->bytes, skb->len);
	}
<#if dropPort>
	if (udp->dest == bpf_htons(BLOCKED_PORT))
		return TC_ACT_SHOT;
</#if>
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
