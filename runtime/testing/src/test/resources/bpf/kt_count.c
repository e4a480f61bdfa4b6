// Counts packets per ifindex in a hash map (value: __u64), for pin/reuse tests.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
} kt_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} kt_percpu SEC(".maps");

SEC("tc")
int kt_count(struct __sk_buff *skb)
{
	__u32 key = 7;
	__u64 one = 1, *v = bpf_map_lookup_elem(&kt_counters, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&kt_counters, &key, &one, BPF_NOEXIST);

	__u32 zero = 0, *c = bpf_map_lookup_elem(&kt_percpu, &zero);
	if (c)
		*c += 1;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
