// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

<@kiln.declareReasons/>
<@kiln.declareConstants/>

struct counter { __u64 packets; __u64 bytes; };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, <#if narrow>2<#else>2 * KILN_REASON_SLOTS</#if>);
	__type(key, __u32);
	__type(value, struct counter);
} verdicts SEC(".maps");

__u64 seen;

SEC("tc")
int guard_in(struct __sk_buff *skb)
{
	__u32 reason = skb->protocol != __builtin_bswap16(0x0800) ? REASON_NOT_IPV4
		: ++seen > BUDGET ? REASON_OVER_BUDGET : REASON_PASSED;
	__u32 slot = 0 * KILN_REASON_SLOTS + reason;
	struct counter *c = bpf_map_lookup_elem(&verdicts, &slot);

	if (c) {
		c->packets++;
		c->bytes += skb->len;
	}
	return reason == REASON_PASSED ? 0 : 2;
}

char LICENSE[] SEC("license") = "GPL";
