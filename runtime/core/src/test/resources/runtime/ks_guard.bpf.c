// Test template for io.kiln.runtime.PolicyChain: a chained program in front of ks_gate.
//   DROP  1: drop IPv4 UDP datagrams arriving at the endpoint's interface; 0: pass them on
//   SLOT  which slot of kg_seen counts the IPv4 UDP datagrams it saw (0..3)
// Passing on is TCX_NEXT in tcx and TC_ACT_UNSPEC in cls_bpf direct-action: both -1, "next program".
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

volatile const __u32 DROP = 0;
volatile const __u32 SLOT = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} kg_seen SEC(".maps");

SEC("tc")
int kg_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP) && ip->protocol == IPPROTO_UDP) {
		__u32 slot = SLOT & 3;
		__u64 *count = bpf_map_lookup_elem(&kg_seen, &slot);
		if (count)
			__sync_fetch_and_add(count, 1);
		if (DROP)
			return TC_ACT_SHOT;
	}
	return -1; /* TCX_NEXT / TC_ACT_UNSPEC */
}

char LICENSE[] SEC("license") = "GPL";
