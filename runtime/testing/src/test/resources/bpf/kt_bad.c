// Rejected by the verifier: reads the packet 100 bytes in without checking its length, after
// enough work on the context that the log is longer than the short message shows.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int kt_fine(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("tc")
int kt_bad_read(struct __sk_buff *skb)
{
	__u32 h = skb->len;

	h = h * 31 + skb->mark;
	h = h * 31 + skb->priority;
	h = h * 31 + skb->ifindex;
	h = h * 31 + skb->protocol;
	h = h * 31 + skb->vlan_tci;
	h = h * 31 + skb->hash;
	h = h * 31 + skb->tc_index;
	void *data = (void *)(long)skb->data;
	return h + *(volatile __u8 *)(data + 100);
}

char LICENSE[] SEC("license") = "GPL";
