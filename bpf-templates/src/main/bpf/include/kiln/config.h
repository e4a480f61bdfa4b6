/*
 * Where the endpoint's own values come from: the one place that knows.
 *
 * API: config_load(skb, &cfg) once per packet, then cfg_endpoint_id(cfg), cfg_identity(cfg),
 * cfg_endpoint_ipv4(cfg), cfg_gateway_ipv4(cfg), cfg_endpoint_ifindex(cfg),
 * cfg_endpoint_mac(cfg), cfg_node_mac(cfg), cfg_is_endpoint_ipv6(cfg, addr).
 *
 * CONFIG_SOURCE_CONSTANTS (tier 1, the specialized build): values are `volatile const` globals in
 * .rodata, set per endpoint at load time; the verifier folds them. cfg is NULL and unused.
 * CONFIG_SOURCE_NODE (tier 0, the node-wide generic build): ONE loaded program serves every
 * endpoint of the node. It finds its endpoint by the interface the packet is on (skb->ifindex: the
 * host-side veth, at tc ingress and tc egress alike) in the node map `endpoint_configs`; cfg points
 * at that entry. An interface without an entry: every packet is dropped as REASON_CONFIG_MISSING.
 * The endpoint's own per-endpoint maps (policy, metrics) are reached through the node maps of maps
 * `policy_maps` and `metrics_maps`, keyed by the endpoint id (policy.h, metrics.h).
 *
 * The value of `endpoint_configs` is laid out exactly as .rodata is (same fields, same offsets):
 * the runtime writes an endpoint's entry from the same encoded constants its tier-1 program gets,
 * placed at the offsets BTF gives for .rodata, without knowing this template. Keep both in step.
 *
 * Both the constants and the maps are declared in BOTH builds: the descriptor lists them, node maps
 * must be the same in every variant of a node, and the build checks that .rodata holds exactly the
 * declared constants. In the node build nothing reads the constants; in the constants build
 * nothing reads `endpoint_configs`.
 */
#ifndef KILN_CONFIG_H
#define KILN_CONFIG_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/drop_reasons.h"

#if defined(CONFIG_SOURCE_CONSTANTS) == defined(CONFIG_SOURCE_NODE)
#error "define exactly one of CONFIG_SOURCE_CONSTANTS and CONFIG_SOURCE_NODE (build parameter configSource)"
#endif
#ifndef ENDPOINTS_SIZE
#error "ENDPOINTS_SIZE must come from the build parameter endpointsSize"
#endif

/* Endpoint constants, in this order (their .rodata offsets are endpoint_config's). Addresses are
 * in network byte order. */
volatile const __u16 ENDPOINT_ID = 0;
volatile const __u32 IDENTITY = 0;
volatile const __be32 ENDPOINT_IPV4 = 0;
volatile const union v6addr ENDPOINT_IPV6 = {};
volatile const __u8 ENDPOINT_MAC[6] = {};
volatile const __u8 NODE_MAC[6] = {};
volatile const __u32 ENDPOINT_IFINDEX = 0;
volatile const __be32 GATEWAY_IPV4 = 0;

/* The same values as one map entry, for tier 0: the image of .rodata. */
struct endpoint_config {
	__u16 endpoint_id;
	__u16 pad;
	__u32 identity;
	__be32 ipv4;
	union v6addr ipv6;
	__u8 mac[6];
	__u8 node_mac[6];
	__u32 ifindex;
	__be32 gateway_ipv4;
};
KILN_ASSERT_SIZE(struct endpoint_config, 48);
_Static_assert(offsetof(struct endpoint_config, identity) == 4, "endpoint_config mirrors .rodata");
_Static_assert(offsetof(struct endpoint_config, ipv6) == 12, "endpoint_config mirrors .rodata");
_Static_assert(offsetof(struct endpoint_config, mac) == 28, "endpoint_config mirrors .rodata");
_Static_assert(offsetof(struct endpoint_config, ifindex) == 40, "endpoint_config mirrors .rodata");

/* Node-wide: ifindex of an endpoint's host-side veth -> its values. Written by the runtime when it
 * registers an endpoint in tier 0, after the endpoint's inner maps are in policy_maps and
 * metrics_maps; deleted first when it removes one. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct endpoint_config);
	__uint(max_entries, ENDPOINTS_SIZE);
} endpoint_configs SEC(".maps");

#ifdef CONFIG_SOURCE_NODE
#define CFG_VALUE(cfg, field, constant)	((cfg)->field)
#define CFG_REF(cfg, field, constant)	(&(cfg)->field)
#else
#define CFG_VALUE(cfg, field, constant)	(constant)
#define CFG_REF(cfg, field, constant)	(&(constant))
#endif

static __always_inline int config_load(const struct __sk_buff *skb, const struct endpoint_config **cfg)
{
#ifdef CONFIG_SOURCE_NODE
	__u32 ifindex = skb->ifindex;

	*cfg = bpf_map_lookup_elem(&endpoint_configs, &ifindex);
	return *cfg ? KILN_OK : REASON_CONFIG_MISSING;
#else
	*cfg = NULL;
	return KILN_OK;
#endif
}

static __always_inline __u16 cfg_endpoint_id(const struct endpoint_config *cfg)
{
	return CFG_VALUE(cfg, endpoint_id, ENDPOINT_ID);
}

static __always_inline __u32 cfg_identity(const struct endpoint_config *cfg)
{
	return CFG_VALUE(cfg, identity, IDENTITY);
}

static __always_inline __be32 cfg_endpoint_ipv4(const struct endpoint_config *cfg)
{
	return CFG_VALUE(cfg, ipv4, ENDPOINT_IPV4);
}

static __always_inline __be32 cfg_gateway_ipv4(const struct endpoint_config *cfg)
{
	return CFG_VALUE(cfg, gateway_ipv4, GATEWAY_IPV4);
}

static __always_inline __u32 cfg_endpoint_ifindex(const struct endpoint_config *cfg)
{
	return CFG_VALUE(cfg, ifindex, ENDPOINT_IFINDEX);
}

static __always_inline __u64 cfg_endpoint_mac(const struct endpoint_config *cfg)
{
	return mac_load(CFG_VALUE(cfg, mac, ENDPOINT_MAC));
}

static __always_inline __u64 cfg_node_mac(const struct endpoint_config *cfg)
{
	return mac_load(CFG_VALUE(cfg, node_mac, NODE_MAC));
}

static __always_inline bool cfg_is_endpoint_ipv6(const struct endpoint_config *cfg,
						 const union v6addr *addr)
{
	return v6addr_equal(CFG_REF(cfg, ipv6, ENDPOINT_IPV6), addr);
}

#endif /* KILN_CONFIG_H */
