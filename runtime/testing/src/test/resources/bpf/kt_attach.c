// Two tc programs to swap between (different bodies, so different programs) and one XDP program.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int kt_pass_a(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("tc")
int kt_pass_b(struct __sk_buff *skb)
{
	return skb->len > 0 ? TC_ACT_OK : TC_ACT_OK;
}

SEC("xdp")
int kt_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

// For test runs with a context: the kernel copies __sk_buff.mark in and out.
SEC("tc")
int kt_mark(struct __sk_buff *skb)
{
	skb->mark = skb->mark + 1;
	return TC_ACT_OK;
}
