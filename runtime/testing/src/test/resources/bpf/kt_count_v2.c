// kt_count with an incompatible redefinition of kt_counters: __u32 values instead of __u64.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 16);
} kt_counters SEC(".maps");

SEC("tc")
int kt_count(struct __sk_buff *skb)
{
	__u32 key = 7, one = 1;
	bpf_map_update_elem(&kt_counters, &key, &one, BPF_ANY);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
