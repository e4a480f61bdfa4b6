/*
 * Delivery between endpoints of one node without the host's routing table.
 *
 * API: node maps `endpoints` (IPv4) and `endpoints6` (IPv6): address -> struct endpoint_info;
 * local4_lookup(addr), local6_lookup(addr), local_redirect(c, ep).
 * from_endpoint sends a packet for a local endpoint straight to the egress of that endpoint's
 * host-side veth (bpf_redirect), as a router would: TTL/hop limit down by one, source MAC
 * NODE_MAC, destination MAC the endpoint's, the sender's identity in skb->mark (identity.h).
 * There the destination's to_endpoint runs and applies its ingress policy. Anything else goes to
 * the kernel stack, which routes it.
 * The ARP responder (arp.h) also answers for the addresses in `endpoints`.
 * Always compiled in; endpoints6 is only looked up with ipv6=true.
 */
#ifndef KILN_LOCAL_H
#define KILN_LOCAL_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/context.h"
#include "kiln/identity.h"
#include "kiln/packet.h"

#ifndef ENDPOINTS_SIZE
#error "ENDPOINTS_SIZE must come from the build parameter endpointsSize"
#endif

struct endpoint_info {
	__u32 ifindex;		/* host-side veth of the endpoint */
	__u8 mac[6];		/* the endpoint's own MAC (inside its namespace) */
	__u16 endpoint_id;
};
KILN_ASSERT_SIZE(struct endpoint_info, 12);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __be32);
	__type(value, struct endpoint_info);
	__uint(max_entries, ENDPOINTS_SIZE);
} endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, union v6addr);
	__type(value, struct endpoint_info);
	__uint(max_entries, ENDPOINTS_SIZE);
} endpoints6 SEC(".maps");

static __always_inline const struct endpoint_info *local4_lookup(__be32 addr)
{
	return bpf_map_lookup_elem(&endpoints, &addr);
}

static __always_inline const struct endpoint_info *local6_lookup(const union v6addr *addr)
{
	return bpf_map_lookup_elem(&endpoints6, addr);
}

/* The caller has already lowered the TTL (ipv4_dec_ttl, ipv6_dec_hop_limit). */
static __always_inline int local_redirect(struct kiln_ctx *c, const struct endpoint_info *ep)
{
	__u32 ifindex = ep->ifindex;

	if (eth_set_addrs(c->skb, mac_load(ep->mac), cfg_node_mac(c->cfg)))
		return ctx_drop(c, REASON_NAT_FAILED);
	identity_mark(c);
	return ctx_redirect(c, ifindex);
}

#endif /* KILN_LOCAL_H */
