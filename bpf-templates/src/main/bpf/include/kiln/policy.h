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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct policy_key);
	__type(value, struct policy_entry);
	__uint(max_entries, POLICY_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} policy SEC(".maps");

#ifndef POLICY_MODE_OFF

/* KILN_OK if the entry is absent or allows (then *allowed is set); the deny reason otherwise. */
static __always_inline int policy_probe(const struct policy_key *key, bool *allowed)
{
	struct policy_entry *e = bpf_map_lookup_elem(&policy, key);

	if (!e)
		return KILN_OK;
	if (e->action != POLICY_ALLOW)
		return REASON_POLICY_DENY_RULE;
	*allowed = true;
	return KILN_OK;
}

/* The six probes of one identity come in three shapes; shapes that repeat a key are skipped. */
static __always_inline int policy_probe_identity(struct policy_key *key, __be16 dport, __u8 proto,
						 bool *allowed)
{
	int ret;

	key->dport = dport;
	key->proto = proto;
	ret = policy_probe(key, allowed);
	if (ret)
		return ret;
	if (dport) {
		key->dport = 0;
		ret = policy_probe(key, allowed);
		if (ret)
			return ret;
	}
	key->dport = 0;
	key->proto = 0;
	return policy_probe(key, allowed);
}

static __always_inline int policy_verdict(__u32 identity, __be16 dport, __u8 proto, __u8 dir)
{
	struct policy_key key = { .identity = identity, .dir = dir };
	bool allowed = false;
	int ret;

	ret = policy_probe_identity(&key, dport, proto, &allowed);
	if (ret)
		return ret;
	if (identity != IDENTITY_ANY) {
		key.identity = IDENTITY_ANY;
		ret = policy_probe_identity(&key, dport, proto, &allowed);
		if (ret)
			return ret;
	}
	return allowed ? KILN_OK : REASON_POLICY_DENIED;
}

static __always_inline int policy_apply(struct kiln_ctx *c, __u32 identity, __be16 dport,
					__u8 proto)
{
	int ret = policy_verdict(identity, dport, proto, c->dir);

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
