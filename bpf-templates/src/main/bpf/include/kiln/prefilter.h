/*
 * Node-level CIDR deny-list, checked at XDP before the kernel spends anything on a packet.
 *
 * API: node maps `deny4` (key struct lpm4_key) and `deny6` (struct lpm6_key), value a __u32
 * (reserved, write 0: an entry's presence is the rule); prefilter4_denied(saddr),
 * prefilter6_denied(saddr).
 * Only the source address is matched. deny6 is declared in every build, but only looked up with
 * ipv6=true; with ipv6=false IPv6 packets pass unchecked.
 */
#ifndef KILN_PREFILTER_H
#define KILN_PREFILTER_H

#include "kiln/compiler.h"
#include "kiln/addr.h"

#ifndef DENY_SIZE
#error "DENY_SIZE must come from the build parameter denySize"
#endif

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm4_key);
	__type(value, __u32);
	__uint(max_entries, DENY_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} deny4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm6_key);
	__type(value, __u32);
	__uint(max_entries, DENY_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} deny6 SEC(".maps");

static __always_inline bool prefilter4_denied(__be32 saddr)
{
	struct lpm4_key key = { .prefixlen = 32, .addr = saddr };

	return bpf_map_lookup_elem(&deny4, &key) != NULL;
}

static __always_inline bool prefilter6_denied(const union v6addr *saddr)
{
	struct lpm6_key key = { .prefixlen = 128, .addr = *saddr };

	return bpf_map_lookup_elem(&deny6, &key) != NULL;
}

#endif /* KILN_PREFILTER_H */
