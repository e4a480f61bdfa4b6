// Retired node map test template (v1: node map ks_flows, value {packets, endpoint}, 64 entries).
// ks_ingress tracks each IPv4 UDP flow it sees by destination port, as conntrack would: a new port
// is a new entry made by the program (BPF_NOEXIST), with the endpoint that saw it first.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

volatile const __u16 ENDPOINT_ID = 0;

struct ks_flow {
	__u64 packets;
	__u32 endpoint;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct ks_flow);
	__uint(max_entries, 64);
} ks_flows SEC(".maps");

SEC("tc")
int ks_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP) && ip->ihl == 5
	    && ip->protocol == IPPROTO_UDP) {
		__u32 key = bpf_ntohs(udp->dest);
		struct ks_flow *v = bpf_map_lookup_elem(&ks_flows, &key);
		if (v) {
			__sync_fetch_and_add(&v->packets, 1);
		} else {
			struct ks_flow n = { .packets = 1, .endpoint = ENDPOINT_ID };
			bpf_map_update_elem(&ks_flows, &key, &n, BPF_NOEXIST);
		}
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
