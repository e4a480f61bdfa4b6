/*
 * Where the endpoint's own values come from: the one place that knows.
 *
 * API: config_load(&cfg) once per packet, then cfg_endpoint_id(cfg), cfg_identity(cfg),
 * cfg_endpoint_ipv4(cfg), cfg_gateway_ipv4(cfg), cfg_endpoint_ifindex(cfg),
 * cfg_endpoint_mac(cfg), cfg_node_mac(cfg), cfg_is_endpoint_ipv6(cfg, addr).
 *
 * CONFIG_SOURCE_CONSTANTS (the specialized build): values are `volatile const` globals in
 * .rodata, set per endpoint at load time; the verifier folds them. cfg is NULL and unused.
 * CONFIG_SOURCE_MAP (the generic build): the same values are read at run time from entry 0 of
 * the per-endpoint array map `endpoint_config`; cfg points at that entry. Until the entry is
 * written (its ipv4 is still 0) every packet is dropped as REASON_CONFIG_MISSING.
 *
 * Both the constants and the map are declared in BOTH builds: the descriptor lists them, and the
 * build checks that .rodata holds exactly the declared constants. In the map build nothing reads
 * the constants; in the constants build nothing reads the map.
 */
#ifndef KILN_CONFIG_H
#define KILN_CONFIG_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/drop_reasons.h"

#if defined(CONFIG_SOURCE_CONSTANTS) == defined(CONFIG_SOURCE_MAP)
#error "define exactly one of CONFIG_SOURCE_CONSTANTS and CONFIG_SOURCE_MAP (build parameter configSource)"
#endif

/* Endpoint constants. Addresses are in network byte order. */
volatile const __u16 ENDPOINT_ID = 0;
volatile const __u32 IDENTITY = 0;
volatile const __be32 ENDPOINT_IPV4 = 0;
volatile const union v6addr ENDPOINT_IPV6 = {};
volatile const __u8 ENDPOINT_MAC[6] = {};
volatile const __u8 NODE_MAC[6] = {};
volatile const __u32 ENDPOINT_IFINDEX = 0;
volatile const __be32 GATEWAY_IPV4 = 0;

/* The same values as one map entry, for the generic build. */
struct endpoint_config {
	__u32 identity;
	__be32 ipv4;
	__be32 gateway_ipv4;
	__u32 ifindex;
	union v6addr ipv6;
	__u8 mac[6];
	__u8 node_mac[6];
	__u16 endpoint_id;
	__u16 pad;
};
KILN_ASSERT_SIZE(struct endpoint_config, 48);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct endpoint_config);
	__uint(max_entries, 1);
} endpoint_config SEC(".maps");

#ifdef CONFIG_SOURCE_MAP
#define CFG_VALUE(cfg, field, constant)	((cfg)->field)
#define CFG_REF(cfg, field, constant)	(&(cfg)->field)
#else
#define CFG_VALUE(cfg, field, constant)	(constant)
#define CFG_REF(cfg, field, constant)	(&(constant))
#endif

static __always_inline int config_load(const struct endpoint_config **cfg)
{
#ifdef CONFIG_SOURCE_MAP
	__u32 zero = 0;

	*cfg = bpf_map_lookup_elem(&endpoint_config, &zero);
	/* An array always has entry 0, zeroed until the agent writes it. Every endpoint has an
	 * IPv4 address, so address 0 means "not written yet": drop rather than run on zeros. */
	return *cfg && (*cfg)->ipv4 ? KILN_OK : REASON_CONFIG_MISSING;
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
