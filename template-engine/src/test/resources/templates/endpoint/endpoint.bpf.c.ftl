<#-- A template using every feature of the model: FreeMarker includes from the template's folder
     and an include folder, a macro library, lists over kiln.programs, every build parameter type. -->
<#import "helpers.ftl" as h>
// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.h"

<@kiln.declareConstants/>

<@h.map name="ipcache" type="BPF_MAP_TYPE_LRU_HASH" key="__u32" value="__u32" entries=ctSize/>
<@h.map name="scratch" type="BPF_MAP_TYPE_PERCPU_ARRAY" key="__u32" value="__u64" entries=1/>
<#include "include/policy.h.ftl">

<#list kiln.programs as p>
SEC("${p.section}")
int ${p.name}(struct __sk_buff *skb)
{
	return ${prefix}_handle(skb, <#if p.hook == "tc-ingress">1<#else>0</#if>);
}

</#list>
char LICENSE[] SEC("license") = "GPL";
