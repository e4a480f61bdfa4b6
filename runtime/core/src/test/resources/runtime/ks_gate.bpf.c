// Test template for io.kiln.runtime: every behaviour a test checks is a load-time constant.
//   DROP     1: drop IPv4 packets arriving from the endpoint (ARP still passes)
//   SLOT     which slot of ks_counters counts IPv4 UDP datagrams (0..3): two values that both pass
//            traffic; a datagram that crossed an empty hook would be counted in neither
//   UNSAFE   1: read the packet without a bounds check; the verifier rejects that branch only when it
//            is live, so the same object loads with UNSAFE=0 and is refused with UNSAFE=1
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

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} ks_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 64);
} ks_node_stats SEC(".maps");

SEC("tc")
int ks_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP) && ip->protocol == IPPROTO_UDP) {
		__u32 slot = SLOT & 3;
		__u64 *count = bpf_map_lookup_elem(&ks_counters, &slot);
		if (count)
			__sync_fetch_and_add(count, 1);
	}
	if (UNSAFE) {
		if (*(volatile __u8 *)(data + 100) == 0xff)
			return TC_ACT_SHOT;
	}
	if (DROP && skb->protocol == bpf_htons(ETH_P_IP))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc")
int ks_egress(struct __sk_buff *skb)
{
	__u32 key = ENDPOINT_ID;
	__u64 one = 1, *v = bpf_map_lookup_elem(&ks_node_stats, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&ks_node_stats, &key, &one, BPF_NOEXIST);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
