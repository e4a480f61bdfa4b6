// A tc program whose verdict is a load-time constant: DROP=0 passes, DROP=1 drops.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

volatile const __u32 DROP = 0;
volatile const __u16 ENDPOINT_ID = 0;
volatile const __u8 ENDPOINT_MAC[6] = {};
volatile const __s32 OFFSET = -1;

SEC("tc")
int kt_gate(struct __sk_buff *skb)
{
	return DROP ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
