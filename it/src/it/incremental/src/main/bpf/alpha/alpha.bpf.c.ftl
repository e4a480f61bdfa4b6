// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "common.h"
<#if ipv6>
#include "v6.h"
</#if>

SEC("tc")
int alpha(struct __sk_buff *skb)
{
<#if ipv6>
	return skb->len > 100 ? PASS + V6_BONUS : PASS;
<#else>
	return PASS;
</#if>
}

char LICENSE[] SEC("license") = "GPL";
