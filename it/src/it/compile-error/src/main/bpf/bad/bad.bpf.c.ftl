// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int bad(struct __sk_buff *skb)
{
	/* line 9 uses a name nothing declares */
	return skb->len + no_such_name;
}

char LICENSE[] SEC("license") = "GPL";
