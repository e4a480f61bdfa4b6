// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "common.h"

SEC("tc")
int beta(struct __sk_buff *skb)
{
	return PASS;
}

char LICENSE[] SEC("license") = "GPL";
