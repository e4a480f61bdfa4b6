// Map migration test template (v3: value {a, b retyped to u64}: refused). ks_ingress counts IPv4 UDP datagrams
// from the endpoint in ks_table[0] (and, in v2, in the new field c).
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

volatile const __u16 ENDPOINT_ID = 0;

struct ks_val {
	__u64 a;
	__u64 b;	/* retyped: u32 -> u64, cannot be migrated */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct ks_val);
	__uint(max_entries, 16);
} ks_table SEC(".maps");

SEC("tc")
int ks_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP) && ip->protocol == IPPROTO_UDP) {
		__u32 key = 0;
		struct ks_val *v = bpf_map_lookup_elem(&ks_table, &key);
		if (v) {
		__sync_fetch_and_add(&v->a, 1);
		}
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
