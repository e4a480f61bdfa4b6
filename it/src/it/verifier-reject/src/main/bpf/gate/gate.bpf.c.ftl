// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

<@kiln.declareConstants/>

SEC("tc")
int gate(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;

	/* dead code while PEEK is 0, as compiled: the verifier never sees the unchecked read */
	if (PEEK)
		return *(volatile __u8 *)(data + 100);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
