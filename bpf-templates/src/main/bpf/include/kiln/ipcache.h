/*
 * Which security identity a remote address has: node-wide longest-prefix-match maps filled by
 * the agent (every endpoint's /32 and /128, the node's own addresses, CIDR rules).
 *
 * API: maps `ipcache` (IPv4, key struct lpm4_key) and `ipcache6` (IPv6, struct lpm6_key), both
 * to struct ipcache_value; ipcache4_identity(addr), ipcache6_identity(addr): the identity of the
 * longest prefix holding addr, or 0 when none does (identity.h makes that IDENTITY_WORLD).
 * Only identity.h looks these maps up, for policy: with policyMode=off nothing does. Both maps
 * are declared in every build (empty LPM tries cost nothing), so every endpoint on a node can
 * share the same pinned node maps whatever its build parameters.
 */
#ifndef KILN_IPCACHE_H
#define KILN_IPCACHE_H

#include "kiln/compiler.h"
#include "kiln/addr.h"

#ifndef IPCACHE_SIZE
#error "IPCACHE_SIZE must come from the build parameter ipcacheSize"
#endif

struct ipcache_value {
	__u32 identity;
};
KILN_ASSERT_SIZE(struct ipcache_value, 4);

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm4_key);
	__type(value, struct ipcache_value);
	__uint(max_entries, IPCACHE_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} ipcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm6_key);
	__type(value, struct ipcache_value);
	__uint(max_entries, IPCACHE_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} ipcache6 SEC(".maps");

static __always_inline __u32 ipcache4_identity(__be32 addr)
{
	struct lpm4_key key = { .prefixlen = 32, .addr = addr };
	struct ipcache_value *v = bpf_map_lookup_elem(&ipcache, &key);

	return v ? v->identity : 0;
}

static __always_inline __u32 ipcache6_identity(const union v6addr *addr)
{
	struct lpm6_key key = { .prefixlen = 128, .addr = *addr };
	struct ipcache_value *v = bpf_map_lookup_elem(&ipcache6, &key);

	return v ? v->identity : 0;
}

#endif /* KILN_IPCACHE_H */
