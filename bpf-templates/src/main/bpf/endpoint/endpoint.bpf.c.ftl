/*
 * The endpoint template: the dataplane of one endpoint (a network namespace behind a veth),
 * attached to the host side of its veth.
 *   from_endpoint  tc ingress: what the endpoint sends. ARP/ND responder, source checks, DNS rules
 *                  on queries, service DNAT, conntrack, egress policy, then local delivery or the
 *                  kernel stack.
 *   to_endpoint    tc egress: what the endpoint receives. Conntrack, reverse NAT, ingress policy.
 * This file is glue: the order of the steps. Each step lives in a kiln/ header that says what it
 * does and what happens when its feature is built out. Every packet ends in ctx_pass(),
 * ctx_redirect(), ctx_reply() or ctx_drop(), which count it under one reason (the descriptor's reasons; drop_reasons.h).
 */

/* Build configuration: the only FreeMarker in this file. */
<#if ipv6>
#define ENABLE_IPV6 1
</#if>
<#if connectionTracking>
#define ENABLE_CONNTRACK 1
</#if>
<#if loadBalancing>
#define ENABLE_LB 1
</#if>
<#if flowEvents == "on">
#define FLOW_EVENTS 1
#define FLOW_START_SAMPLE ${flowStartSample}
#define FLOW_UPDATE_INTERVAL ${flowUpdateInterval}
#define FLOW_DROP_RATE ${flowDropRate}
#define FLOW_DROP_BURST ${flowDropBurst}
</#if>
#define FLOW_RING_SIZE ${flowRingSize}
<#if dnsLearning>
#define DNS_LEARNING 1
</#if>
#define POLICY_MODE_${policyMode?upper_case} 1
#define CONFIG_SOURCE_${configSource?upper_case} 1
#define CT_SIZE ${ctSize}
#define CT6_SIZE ${ct6Size}
#define POLICY_SIZE ${policySize}
#define IPCACHE_SIZE ${ipcacheSize}
#define SERVICES_SIZE ${servicesSize}
#define BACKENDS_SIZE ${backendsSize}
#define ENDPOINTS_SIZE ${endpointsSize}
/* The descriptor's verdict reasons: REASON_<NAME> for kiln/drop_reasons.h and the steps. */
<@kiln.declareReasons/>
/* End of build configuration. */

#include "kiln/compiler.h"
#include "kiln/drop_reasons.h"
#include "kiln/direction.h"
#include "kiln/config.h"
#include "kiln/metrics.h"
#include "kiln/context.h"
#include "kiln/packet.h"
#include "kiln/ipv4.h"
#include "kiln/ipcache.h"
#include "kiln/policy.h"
#include "kiln/conntrack.h"
#include "kiln/lb.h"
#include "kiln/local.h"
#include "kiln/arp.h"
#include "kiln/dns.h"
#ifdef ENABLE_IPV6
#include "kiln/ipv6.h"
#include "kiln/nd.h"
#endif
#include "kiln/dns_query.h"

/*
 * Admission, the same in both directions: a packet conntrack knows passes (a reply to a
 * connection through a service gets its service source back in to_endpoint); anything else
 * must pass policy against the remote side, and then opens a connection.
 */
static __always_inline int ipv4_admit(struct kiln_ctx *c, struct flow4 *f, struct ct_entry *fresh)
{
	__be32 remote = c->dir == DIR_EGRESS ? f->daddr : f->saddr;
	int ret;
#ifdef ENABLE_CONNTRACK
	struct ct_entry *entry = NULL;

	switch (ct4_lookup(c, f, &entry)) {
	case CT_ESTABLISHED:
		return KILN_OK;
	case CT_REPLY:
#ifdef ENABLE_LB
		if (c->dir == DIR_INGRESS)
			return lb4_reverse(c, f, entry);
#endif
		return KILN_OK;
	case CT_NEW:
		break;
	}
#endif
	ret = policy4_check(c, remote, f->l4.dport, f->l4.proto);
	if (ret)
		return ret;
#ifdef ENABLE_CONNTRACK
	return ct4_create(c, f, fresh);
#else
	return KILN_OK;
#endif
}

static __always_inline int ipv4_from_endpoint(struct kiln_ctx *c)
{
	struct ct_entry fresh = {};
	const struct endpoint_info *ep;
	struct flow4 f;
	__u32 qlen __attribute__((unused)) = 0;
	int ret;

	ret = ipv4_parse(c->skb, &f);
	if (ret)
		return ctx_drop(c, ret);
	ctx_note_flow4(c, &f);
	if (f.saddr != cfg_endpoint_ipv4(c->cfg))
		return ctx_drop(c, REASON_SPOOFED_IP);
#ifndef POLICY_MODE_OFF
	/* before load balancing: a refusal answers from the address the endpoint asked */
	ret = dns_query_judge(c, &f.l4, ETH_HLEN + sizeof(struct iphdr), &qlen);
	if (ret == REASON_DNS_REFUSED)
		ret = dns_refuse4(c, &f, qlen);
	if (ret == REASON_DNS_REFUSED)
		return ctx_reply(c, ret);
	if (ret)
		return ctx_drop(c, ret);
#endif
#ifdef ENABLE_CONNTRACK
	ct_start(c);
#endif
#ifdef ENABLE_LB
	ret = lb4_translate(c, &f, &fresh);
	if (ret)
		return ctx_drop(c, ret);
#endif
	ret = ipv4_admit(c, &f, &fresh);
	if (ret)
		return ctx_drop(c, ret);

	ep = local4_lookup(f.daddr);
	if (!ep)
		return ctx_pass(c);
	ret = ipv4_dec_ttl(c->skb, &f);
	if (ret)
		return ctx_drop(c, ret);
	return local_redirect(c, ep);
}

static __always_inline int ipv4_to_endpoint(struct kiln_ctx *c)
{
	struct ct_entry fresh = {};
	struct flow4 f;
	int ret;

	ret = ipv4_parse(c->skb, &f);
	if (ret)
		return ctx_drop(c, ret);
	ctx_note_flow4(c, &f);
#ifndef POLICY_MODE_OFF
	if (dns_refusal_returning(c->skb, &f.l4))
		return ctx_pass(c);
#endif
#ifdef DNS_LEARNING
	if (dns_redelivered(c->skb, &f.l4))
		return ctx_pass(c);
#endif
#ifdef ENABLE_CONNTRACK
	ct_start(c);
#endif
	ret = ipv4_admit(c, &f, &fresh);
	if (ret)
		return ctx_drop(c, ret);
#ifdef DNS_LEARNING
	ret = dns_hold(c, &f.l4, 4);
	if (ret)
		return ctx_drop(c, ret);
#endif
	return ctx_pass(c);
}

#ifdef ENABLE_IPV6
static __always_inline int ipv6_admit(struct kiln_ctx *c, struct flow6 *f, struct ct_entry *fresh)
{
	const union v6addr *remote = c->dir == DIR_EGRESS ? &f->daddr : &f->saddr;
	int ret;
#ifdef ENABLE_CONNTRACK
	struct ct_entry *entry = NULL;

	switch (ct6_lookup(c, f, &entry)) {
	case CT_ESTABLISHED:
		return KILN_OK;
	case CT_REPLY:
#ifdef ENABLE_LB
		if (c->dir == DIR_INGRESS)
			return lb6_reverse(c, f, entry);
#endif
		return KILN_OK;
	case CT_NEW:
		break;
	}
#endif
	ret = policy6_check(c, remote, f->l4.dport, f->l4.proto);
	if (ret)
		return ret;
#ifdef ENABLE_CONNTRACK
	return ct6_create(c, f, fresh);
#else
	return KILN_OK;
#endif
}

static __always_inline int ipv6_from_endpoint(struct kiln_ctx *c)
{
	struct ct_entry fresh = {};
	const struct endpoint_info *ep;
	struct flow6 f;
	__u32 qlen __attribute__((unused)) = 0;
	int ret;

	ret = ipv6_parse(c->skb, &f);
	if (ret)
		return ctx_drop(c, ret);
	ctx_note_flow6(c, &f);
	if (ipv6_is_nd(&f))
		return nd_from_endpoint(c, &f);
	if (!cfg_is_endpoint_ipv6(c->cfg, &f.saddr))
		return ctx_drop(c, REASON_SPOOFED_IP);
#ifndef POLICY_MODE_OFF
	ret = dns_query_judge(c, &f.l4, ETH_HLEN + sizeof(struct ipv6hdr), &qlen);
	if (ret == REASON_DNS_REFUSED)
		ret = dns_refuse6(c, &f, qlen);
	if (ret == REASON_DNS_REFUSED)
		return ctx_reply(c, ret);
	if (ret)
		return ctx_drop(c, ret);
#endif
#ifdef ENABLE_CONNTRACK
	ct_start(c);
#endif
#ifdef ENABLE_LB
	ret = lb6_translate(c, &f, &fresh);
	if (ret)
		return ctx_drop(c, ret);
#endif
	ret = ipv6_admit(c, &f, &fresh);
	if (ret)
		return ctx_drop(c, ret);

	ep = local6_lookup(&f.daddr);
	if (!ep)
		return ctx_pass(c);
	ret = ipv6_dec_hop_limit(c->skb, &f);
	if (ret)
		return ctx_drop(c, ret);
	return local_redirect(c, ep);
}

static __always_inline int ipv6_to_endpoint(struct kiln_ctx *c)
{
	struct ct_entry fresh = {};
	struct flow6 f;
	int ret;

	ret = ipv6_parse(c->skb, &f);
	if (ret)
		return ctx_drop(c, ret);
	ctx_note_flow6(c, &f);
	if (ipv6_is_nd(&f))
		return ctx_pass(c);
#ifndef POLICY_MODE_OFF
	if (dns_refusal_returning(c->skb, &f.l4))
		return ctx_pass(c);
#endif
#ifdef DNS_LEARNING
	if (dns_redelivered(c->skb, &f.l4))
		return ctx_pass(c);
#endif
#ifdef ENABLE_CONNTRACK
	ct_start(c);
#endif
	ret = ipv6_admit(c, &f, &fresh);
	if (ret)
		return ctx_drop(c, ret);
#ifdef DNS_LEARNING
	ret = dns_hold(c, &f.l4, 6);
	if (ret)
		return ctx_drop(c, ret);
#endif
	return ctx_pass(c);
}
#endif /* ENABLE_IPV6 */

SEC("tc")
int from_endpoint(struct __sk_buff *skb)
{
	struct kiln_ctx c;
	__be16 proto;
	__u64 src_mac;
	int ret;

	ret = ctx_init(&c, skb, DIR_EGRESS);
	if (ret)
		return ctx_drop(&c, ret);
	ret = eth_load(skb, &proto, &src_mac);
	if (ret)
		return ctx_drop(&c, ret);
	if (src_mac != cfg_endpoint_mac(c.cfg))
		return ctx_drop(&c, REASON_SPOOFED_MAC);

	switch (proto) {
	case bpf_htons(ETH_P_IP):
		return ipv4_from_endpoint(&c);
	case bpf_htons(ETH_P_ARP):
		return arp_from_endpoint(&c);
#ifdef ENABLE_IPV6
	case bpf_htons(ETH_P_IPV6):
		return ipv6_from_endpoint(&c);
#endif
	default:
		return ctx_drop(&c, REASON_UNSUPPORTED_L3);
	}
}

SEC("tc")
int to_endpoint(struct __sk_buff *skb)
{
	struct kiln_ctx c;
	__be16 proto;
	__u64 src_mac;
	int ret;

	ret = ctx_init(&c, skb, DIR_INGRESS);
	if (ret)
		return ctx_drop(&c, ret);
	ret = eth_load(skb, &proto, &src_mac);
	if (ret)
		return ctx_drop(&c, ret);

	switch (proto) {
	case bpf_htons(ETH_P_IP):
		return ipv4_to_endpoint(&c);
	case bpf_htons(ETH_P_ARP):
		return ctx_pass(&c);
#ifdef ENABLE_IPV6
	case bpf_htons(ETH_P_IPV6):
		return ipv6_to_endpoint(&c);
#endif
	default:
		return ctx_drop(&c, REASON_UNSUPPORTED_L3);
	}
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
