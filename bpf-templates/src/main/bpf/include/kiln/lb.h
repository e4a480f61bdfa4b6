/*
 * Service load balancing (IPv4 and IPv6, TCP and UDP) in the client endpoint's own programs.
 *
 * API: node maps `services` and `backends` (IPv4), `services6`, `backends6` and `revnat6`
 * (IPv6); lb4_translate(c, f, egress) / lb6_translate() in from_endpoint, lb4_reverse(c, f,
 * entry) / lb6_reverse() in to_endpoint.
 *
 * Way out (from_endpoint, before conntrack and policy): a packet to a service address and port
 * gets a backend, picked by flow_hash4() % backend_count among slots 0..count-1 and kept for the
 * flow by a CT_KIND_SERVICE entry keyed by the tuple addressed to the service; the packet is
 * DNATed to it. Conntrack and egress policy then see the backend, as in Cilium. The flow's
 * CT_KIND_EGRESS entry records the service address and port (nat_addr, nat_port).
 * Way back (to_endpoint): a reply matching such an entry gets its source rewritten back to the
 * service address and port, so the client only ever sees the service.
 *
 * IPv6 (ipv6=true) works the same way with one difference, because a conntrack entry holds a
 * 4-byte nat_addr only: the CT_KIND_SERVICE entry in conntrack6 keeps the backend's slot (in
 * nat_addr) and port, and the backend's address is read from backends6 on each packet (a slot
 * that is gone makes the flow pick again); the CT_KIND_EGRESS entry keeps the service id and
 * port, and the reply gets its source address from revnat6 (service id -> VIP), which the agent
 * writes with the service. Service ids are shared by both families.
 *
 * loadBalancing=false: the maps are declared (node maps are the same in every build), nothing
 * else is compiled. loadBalancing needs connectionTracking (#error otherwise): affinity and reverse NAT
 * live in conntrack entries.
 */
#ifndef KILN_LB_H
#define KILN_LB_H

#include "kiln/compiler.h"
#include "kiln/context.h"
#include "kiln/conntrack.h"
#include "kiln/hash.h"
#include "kiln/ipv4.h"
#include "kiln/nat4.h"
#ifdef ENABLE_IPV6
#include "kiln/ipv6.h"
#include "kiln/nat6.h"
#endif

#if defined(ENABLE_LB) && !defined(ENABLE_CONNTRACK)
#error "loadBalancing=true needs connectionTracking=true: backend affinity and reverse NAT live in conntrack entries"
#undef ENABLE_LB	/* build on without LB, so that the #error is the only diagnostic */
#endif
#if !defined(SERVICES_SIZE) || !defined(BACKENDS_SIZE)
#error "SERVICES_SIZE and BACKENDS_SIZE must come from the build parameters servicesSize and backendsSize"
#endif

struct lb4_key {
	__be32 vip;
	__be16 port;		/* network order */
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};
KILN_ASSERT_SIZE(struct lb4_key, 8);

struct lb_service {
	__u32 backend_count;	/* backends are in slots 0..backend_count-1 */
	__u16 service_id;	/* non-zero; keys the backends, recorded in conntrack */
	__u16 pad;
};
KILN_ASSERT_SIZE(struct lb_service, 8);

struct lb_backend_key {
	__u16 service_id;
	__u16 pad;
	__u32 slot;
};
KILN_ASSERT_SIZE(struct lb_backend_key, 8);

struct lb4_backend {
	__be32 addr;
	__be16 port;		/* network order */
	__u16 pad;
};
KILN_ASSERT_SIZE(struct lb4_backend, 8);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct lb4_key);
	__type(value, struct lb_service);
	__uint(max_entries, SERVICES_SIZE);
} services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct lb_backend_key);
	__type(value, struct lb4_backend);
	__uint(max_entries, BACKENDS_SIZE);
} backends SEC(".maps");

struct lb6_key {
	union v6addr vip;
	__be16 port;		/* network order */
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};
KILN_ASSERT_SIZE(struct lb6_key, 20);

struct lb6_backend {
	union v6addr addr;
	__be16 port;		/* network order */
	__u16 pad;
};
KILN_ASSERT_SIZE(struct lb6_backend, 20);

struct lb6_revnat_key {
	__u32 service_id;	/* struct lb_service's service_id, widened */
};
KILN_ASSERT_SIZE(struct lb6_revnat_key, 4);

struct lb6_revnat {
	union v6addr vip;	/* the address replies get back as their source */
};
KILN_ASSERT_SIZE(struct lb6_revnat, 16);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct lb6_key);
	__type(value, struct lb_service);
	__uint(max_entries, SERVICES_SIZE);
} services6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct lb_backend_key);
	__type(value, struct lb6_backend);
	__uint(max_entries, BACKENDS_SIZE);
} backends6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct lb6_revnat_key);
	__type(value, struct lb6_revnat);
	__uint(max_entries, SERVICES_SIZE);
} revnat6 SEC(".maps");

#ifdef ENABLE_LB

static __always_inline int lb4_pick(struct kiln_ctx *c, const struct flow4 *f,
				    const struct lb_service *svc, struct ct_entry *affinity)
{
	struct lb_backend_key key = { .service_id = svc->service_id };
	struct lb4_backend *be;
	__u32 count = svc->backend_count;

	if (count == 0)
		return REASON_NO_BACKEND;
	key.slot = flow_hash4(f->saddr, f->daddr, f->l4.sport, f->l4.dport, f->l4.proto) % count;
	be = bpf_map_lookup_elem(&backends, &key);
	if (!be)
		return REASON_NO_BACKEND;
	affinity->nat_addr = be->addr;
	affinity->nat_port = be->port;
	affinity->service_id = svc->service_id;
	return KILN_OK;
}

/* egress receives the service address for the flow's CT_KIND_EGRESS entry. */
static __always_inline int lb4_translate(struct kiln_ctx *c, struct flow4 *f,
					 struct ct_entry *egress)
{
	struct lb4_key key = { .vip = f->daddr, .port = f->l4.dport, .proto = f->l4.proto };
	struct ct_entry fresh = {};
	struct ct_entry *affinity;
	struct lb_service *svc;
	struct ct_key4 ckey;
	int ret;

	if (f->l4.proto != IPPROTO_TCP && f->l4.proto != IPPROTO_UDP)
		return KILN_OK;
	svc = bpf_map_lookup_elem(&services, &key);
	if (!svc)
		return KILN_OK;

	ct4_key(&ckey, f, CT_KIND_SERVICE, false);
	affinity = ct_find(&conntrack, &ckey, &f->l4, c->now);
	if (!affinity) {
		ret = lb4_pick(c, f, svc, &fresh);
		if (ret)
			return ret;
		if (f->l4.ct == L4_CT_OPEN) {
			ret = ct_put(c, &conntrack, &ckey, &fresh, &f->l4);
			if (ret)
				return ret;
		}
		affinity = &fresh;
	}

	egress->nat_addr = f->daddr;
	egress->nat_port = f->l4.dport;
	egress->service_id = affinity->service_id;
	return nat4_rewrite(c->skb, f, true, affinity->nat_addr, affinity->nat_port);
}

/* A reply on a connection that went through a service: it comes from the service again. */
static __always_inline int lb4_reverse(struct kiln_ctx *c, struct flow4 *f,
				       const struct ct_entry *entry)
{
	if (!entry->service_id)
		return KILN_OK;
	return nat4_rewrite(c->skb, f, false, entry->nat_addr, entry->nat_port);
}

#ifdef ENABLE_IPV6
/* Picks a slot for the flow; affinity records it (nat_addr) with the backend's port. */
static __always_inline const struct lb6_backend *lb6_pick(const struct flow6 *f,
							 const struct lb_service *svc,
							 struct ct_entry *affinity)
{
	struct lb_backend_key key = { .service_id = svc->service_id };
	const struct lb6_backend *be;
	__u32 count = svc->backend_count;

	if (count == 0)
		return NULL;
	key.slot = flow_hash6(&f->saddr, &f->daddr, f->l4.sport, f->l4.dport, f->l4.proto) % count;
	be = bpf_map_lookup_elem(&backends6, &key);
	if (!be)
		return NULL;
	affinity->nat_addr = bpf_htonl(key.slot);	/* network order, like an address */
	affinity->nat_port = be->port;
	affinity->service_id = svc->service_id;
	return be;
}

static __always_inline int lb6_translate(struct kiln_ctx *c, struct flow6 *f,
					 struct ct_entry *egress)
{
	struct lb6_key key = { .vip = f->daddr, .port = f->l4.dport, .proto = f->l4.proto };
	struct lb_backend_key bkey = {};
	const struct lb6_backend *be = NULL;
	struct ct_entry fresh = {};
	struct ct_entry *affinity;
	struct lb_service *svc;
	struct ct_key6 ckey;
	int ret;

	if (f->l4.proto != IPPROTO_TCP && f->l4.proto != IPPROTO_UDP)
		return KILN_OK;
	svc = bpf_map_lookup_elem(&services6, &key);
	if (!svc)
		return KILN_OK;

	ct6_key(&ckey, f, CT_KIND_SERVICE, false);
	affinity = ct_find(&conntrack6, &ckey, &f->l4, c->now);
	if (affinity && affinity->service_id == svc->service_id) {
		bkey.service_id = svc->service_id;
		bkey.slot = bpf_ntohl(affinity->nat_addr);
		be = bpf_map_lookup_elem(&backends6, &bkey);
	}
	if (!be) {
		/* a new flow, or its slot is gone: pick (again) */
		be = lb6_pick(f, svc, &fresh);
		if (!be)
			return REASON_NO_BACKEND;
		if (f->l4.ct == L4_CT_OPEN || affinity) {
			ret = ct_put(c, &conntrack6, &ckey, &fresh, &f->l4);
			if (ret)
				return ret;
		}
	}

	egress->nat_addr = 0;
	egress->nat_port = f->l4.dport;
	egress->service_id = svc->service_id;
	return nat6_rewrite(c->skb, f, true, &be->addr, be->port);
}

static __always_inline int lb6_reverse(struct kiln_ctx *c, struct flow6 *f,
				       const struct ct_entry *entry)
{
	struct lb6_revnat_key key = { .service_id = entry->service_id };
	const struct lb6_revnat *rev;

	if (!entry->service_id)
		return KILN_OK;
	rev = bpf_map_lookup_elem(&revnat6, &key);
	if (!rev)
		return REASON_NAT_FAILED;	/* the service is gone: the client could not place the reply */
	return nat6_rewrite(c->skb, f, false, &rev->vip, entry->nat_port);
}
#endif /* ENABLE_IPV6 */

#endif /* ENABLE_LB */

#endif /* KILN_LB_H */
