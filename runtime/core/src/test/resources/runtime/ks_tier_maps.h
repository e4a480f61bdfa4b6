// The maps both tiers of the ks_tier test template declare (tier 0: ks_tier0.bpf.c, tier 1:
// ks_tier1.bpf.c): the same definitions, so that node maps are shared and the endpoint's
// ks_counters is one map for both. Variants (maps of maps migration tests): KS_ENDPOINTS_SIZE is the
// capacity of ks_counters_maps (64 unless defined); KS_COUNT_BYTES adds a byte count to each counter.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

volatile const __u32 DROP = 0;
volatile const __u32 SLOT = 0;
volatile const __u16 ENDPOINT_ID = 0;
volatile const __u32 UNSAFE = 0;

/* The .rodata image: tier 0's per-endpoint values. */
struct ks_config {
	__u32 drop;
	__u32 slot;
	__u16 endpoint_id;
	__u16 pad;
	__u32 unsafe;
};

#ifndef KS_ENDPOINTS_SIZE
#define KS_ENDPOINTS_SIZE 64
#endif

struct ks_counter {
	__u64 count;
#ifdef KS_COUNT_BYTES
	__u64 bytes;
#endif
};

struct ks_counters_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct ks_counter);
	__uint(max_entries, 4);
};

struct ks_counters_map ks_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 64);
} ks_node_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct ks_config);
	__uint(max_entries, 64);
} endpoint_configs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, KS_ENDPOINTS_SIZE);
	__array(values, struct ks_counters_map);
} ks_counters_maps SEC(".maps");

static __always_inline int ks_is_udp4(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	return (void *)(ip + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP) && ip->protocol == IPPROTO_UDP;
}

static __always_inline void ks_count(void *counters, __u32 slot, __u32 len)
{
	struct ks_counter *c;

	slot &= 3;
	c = bpf_map_lookup_elem(counters, &slot);
	if (!c)
		return;
	__sync_fetch_and_add(&c->count, 1);
#ifdef KS_COUNT_BYTES
	__sync_fetch_and_add(&c->bytes, len);
#endif
}

char LICENSE[] SEC("license") = "GPL";
