// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <linux/types.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

volatile const bool ENABLED = true;
volatile const __u16 PORT = 8080;
volatile const __u32 LIMIT = 0xfffffffe;
volatile const __u64 COOKIE = 0x1122334455667788;
volatile const __u8 LEVEL = 3;
volatile const __be32 SELF_V4 = 0x0c0012c6; /* 198.18.0.12 in network order on a little-endian host */
volatile const __be32 SELF_V6[4] = {0};
volatile const __u8 SELF_MAC[6] = {2, 0, 0, 0, 0, 0x0c};

struct flow_key {
	__be32 saddr;
	__be32 daddr;
<#if swapPorts>
	__be16 dport;
	__be16 sport;
<#else>
	__be16 sport;
	__be16 dport;
</#if>
	__u8 proto;
	__u8 pad[3];
};

struct counter_pair {
	__u16 a;
	__u8 b[2];
};

struct flow_value {
	__u64 packets;
	__u32 flags : 3;
	__s32 delta : 5;
	__u32 kind : 24;
	__s16 shift;
	struct counter_pair pair;
	union {
		__u32 word;
		__u8 bytes[4];
	} u;
	bool seen;
	__be32 addrs[2];
	struct counter_pair history[2];
<#if wide>
	__u64 extra;
</#if>
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __s64);
} counters SEC(".maps");

SEC("tc")
int count_flows(struct __sk_buff *skb)
{
	struct flow_key key = {.proto = LEVEL, .sport = PORT};
	struct flow_value *v = bpf_map_lookup_elem(&flows, &key);
	__u32 slot = 0;
	__s64 *c = bpf_map_lookup_elem(&counters, &slot);

	if (v && ENABLED && v->packets < LIMIT + COOKIE + SELF_V4 + SELF_V6[0] + SELF_MAC[0])
		v->packets++;
	if (c)
		*c += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
