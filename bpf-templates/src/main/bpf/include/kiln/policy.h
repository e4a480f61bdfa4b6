/*
 * Identity-based L3/L4 policy, per endpoint and per direction.
 *
 * API: map `policy`; policy4_check(c, remote, dport, proto), policy6_check(c, remote, dport,
 * proto): KILN_OK, or the drop reason when the mode enforces.
 *
 * A packet is judged by up to six entries, most to least specific, with identity 0 = any
 * identity, dport 0 = any port, proto 0 = any protocol (and then dport must be 0 too):
 *   {id, dport, proto} {id, 0, proto} {id, 0, 0} {0, dport, proto} {0, 0, proto} {0, 0, 0}
 * If any matching entry denies, the packet is denied (REASON_POLICY_DENY_RULE: deny beats
 * allow); else if any allows, it passes; else it is denied (REASON_POLICY_DENIED: default deny,
 * so an endpoint with an empty policy map receives and sends nothing but replies and ARP).
 * An entry whose action is neither allow nor deny counts as deny (fail closed).
 *
 * policyMode=enforce: denied packets are dropped.
 * policyMode=audit:   denied packets pass and are counted as REASON_POLICY_AUDIT (context.h).
 * policyMode=off:     no policy code and no ipcache lookup is compiled in; the checks return
 *                     KILN_OK. The `policy` map is still declared, empty, so that every build
 *                     has the same maps.
 *
 * Tier 1 (configSource=constants) looks up its own `policy` map. Tier 0 (configSource=node) finds
 * the endpoint's `policy` map in the node map of maps `policy_maps` under the endpoint id: the same
 * inner map the endpoint's tier-1 program uses, so nothing is copied when it is swapped in. No map
 * registered for the endpoint: the packet is dropped as REASON_POLICY_MAP_MISSING, in audit mode
 * too (a missing map is a broken registration, not a policy verdict).
 */
#ifndef KILN_POLICY_H
#define KILN_POLICY_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/context.h"
#include "kiln/identity.h"

#if defined(POLICY_MODE_ENFORCE) + defined(POLICY_MODE_AUDIT) + defined(POLICY_MODE_OFF) != 1
#error "define exactly one of POLICY_MODE_ENFORCE, POLICY_MODE_AUDIT, POLICY_MODE_OFF (build parameter policyMode)"
#endif
#ifndef POLICY_SIZE
#error "POLICY_SIZE must come from the build parameter policySize"
#endif

#define POLICY_ALLOW	1
#define POLICY_DENY	2

struct policy_key {
	__u32 identity;		/* remote identity; 0 = any */
	__be16 dport;		/* network order; 0 = any. Ingress: our port; egress: the remote's */
	__u8 proto;		/* IPPROTO_*; 0 = any (dport must then be 0) */
	__u8 dir;		/* DIR_INGRESS or DIR_EGRESS (direction.h) */
};
KILN_ASSERT_SIZE(struct policy_key, 8);

struct policy_entry {
	__u8 action;		/* POLICY_ALLOW or POLICY_DENY */
	__u8 pad[3];
};
KILN_ASSERT_SIZE(struct policy_entry, 4);

struct policy_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct policy_key);
	__type(value, struct policy_entry);
	__uint(max_entries, POLICY_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
};

struct policy_map policy SEC(".maps");

/* Node-wide: endpoint id -> that endpoint's `policy` map (tier 0 only). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, ENDPOINTS_SIZE);
	__array(values, struct policy_map);
} policy_maps SEC(".maps");

#ifndef POLICY_MODE_OFF

/* The endpoint's policy map, or NULL (tier 0, nothing registered). */
static __always_inline void *policy_map_of(const struct kiln_ctx *c)
{
#ifdef CONFIG_SOURCE_NODE
	__u32 id = cfg_endpoint_id(c->cfg);

	return bpf_map_lookup_elem(&policy_maps, &id);
#else
	return &policy;
#endif
}

/* KILN_OK if the entry is absent or allows (then *allowed is set); the deny reason otherwise. */
static __always_inline int policy_probe(void *map, const struct policy_key *key, bool *allowed)
{
	struct policy_entry *e = bpf_map_lookup_elem(map, key);

	if (!e)
		return KILN_OK;
	if (e->action != POLICY_ALLOW)
		return REASON_POLICY_DENY_RULE;
	*allowed = true;
	return KILN_OK;
}

/* The six probes of one identity come in three shapes; shapes that repeat a key are skipped. */
static __always_inline int policy_probe_identity(void *map, struct policy_key *key, __be16 dport,
						 __u8 proto, bool *allowed)
{
	int ret;

	key->dport = dport;
	key->proto = proto;
	ret = policy_probe(map, key, allowed);
	if (ret)
		return ret;
	if (dport) {
		key->dport = 0;
		ret = policy_probe(map, key, allowed);
		if (ret)
			return ret;
	}
	key->dport = 0;
	key->proto = 0;
	return policy_probe(map, key, allowed);
}

static __always_inline int policy_verdict(void *map, __u32 identity, __be16 dport, __u8 proto,
					  __u8 dir)
{
	struct policy_key key = { .identity = identity, .dir = dir };
	bool allowed = false;
	int ret;

	ret = policy_probe_identity(map, &key, dport, proto, &allowed);
	if (ret)
		return ret;
	if (identity != IDENTITY_ANY) {
		key.identity = IDENTITY_ANY;
		ret = policy_probe_identity(map, &key, dport, proto, &allowed);
		if (ret)
			return ret;
	}
	return allowed ? KILN_OK : REASON_POLICY_DENIED;
}

static __always_inline int policy_apply(struct kiln_ctx *c, __u32 identity, __be16 dport,
					__u8 proto)
{
	void *map = policy_map_of(c);
	int ret;

	if (!map)
		return REASON_POLICY_MAP_MISSING;
	ret = policy_verdict(map, identity, dport, proto, c->dir);
#ifdef POLICY_MODE_AUDIT
	if (ret) {
		c->audited = true;
		ret = KILN_OK;
	}
#endif
	return ret;
}

static __always_inline int policy4_check(struct kiln_ctx *c, __be32 remote, __be16 dport,
					 __u8 proto)
{
	return policy_apply(c, remote4_identity(c, remote), dport, proto);
}

static __always_inline int policy6_check(struct kiln_ctx *c, const union v6addr *remote,
					 __be16 dport, __u8 proto)
{
	return policy_apply(c, remote6_identity(c, remote), dport, proto);
}

#else /* POLICY_MODE_OFF */

static __always_inline int policy4_check(struct kiln_ctx *c, __be32 remote, __be16 dport,
					 __u8 proto)
{
	return KILN_OK;
}

static __always_inline int policy6_check(struct kiln_ctx *c, const union v6addr *remote,
					 __be16 dport, __u8 proto)
{
	return KILN_OK;
}

#endif /* POLICY_MODE_OFF */

#endif /* KILN_POLICY_H */
