/*
 * Connection tracking: replies to a connection policy admitted pass without a policy lookup,
 * and the entry of a load-balanced connection remembers what reverse NAT needs.
 *
 * API: maps `conntrack` (IPv4) and `conntrack6` (IPv6), node-wide LRU hashes; struct ct_key4,
 * ct_key6, ct_entry; CT_KIND_*. With conntrack=true: ct_start(c) once per packet, then
 * ct4_lookup(c, f, &entry) / ct6_lookup() -> CT_NEW, CT_ESTABLISHED or CT_REPLY, and after
 * policy admitted a new flow ct4_create(c, f, fresh) / ct6_create(); ct_find() and ct_put() serve
 * other kinds of entry (lb.h).
 *
 * Entries are directional, like Cilium's: from_endpoint makes CT_KIND_EGRESS entries for
 * connections its endpoint opens, to_endpoint makes CT_KIND_INGRESS entries for connections
 * opened towards its endpoint, both keyed by the tuple of the opening packet (after DNAT). A
 * packet matches its own kind with its own tuple (established), or the other kind with the
 * reversed tuple (reply). So a connection between two endpoints of one node has two entries, and
 * each side's policy is checked once, by its own program.
 *
 * An entry expires CT_LIFETIME_* after its last packet (bpf_ktime_get_ns, i.e. CLOCK_MONOTONIC:
 * Java's System.nanoTime on Linux); an expired entry counts as absent, and the next packet is new.
 * TCP: a FIN or RST seen in either direction moves the entry to the short closing lifetime; a
 * SYN without ACK on a closing entry starts it afresh (a new connection on a reused tuple).
 *
 * Off (connectionTracking=false): only the maps are declared (node maps must be the same for every
 * endpoint of a node, whatever its build parameters); policy judges every packet in both
 * directions. ipv6=false: the IPv6 functions are left out, conntrack6 stays declared and empty
 * (an LRU map is preallocated: keep ct6Size small on a node without IPv6 endpoints).
 */
#ifndef KILN_CONNTRACK_H
#define KILN_CONNTRACK_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/context.h"
#include "kiln/ipv4.h"
#ifdef ENABLE_IPV6
#include "kiln/ipv6.h"
#endif

#if !defined(CT_SIZE) || !defined(CT6_SIZE)
#error "CT_SIZE and CT6_SIZE must come from the build parameters ctSize and ct6Size"
#endif

#define CT_KIND_INGRESS	0	/* made by to_endpoint: a connection opened towards the endpoint */
#define CT_KIND_EGRESS	1	/* made by from_endpoint: a connection the endpoint opened */
#define CT_KIND_SERVICE	2	/* made by from_endpoint for a service: tuple before DNAT -> backend */

/* Addresses and ports in network order, as in the opening packet (after DNAT, except
 * CT_KIND_SERVICE entries, which use the tuple addressed to the service). */
struct ct_key4 {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 kind;		/* CT_KIND_* */
	__u16 pad;
};
KILN_ASSERT_SIZE(struct ct_key4, 16);

struct ct_key6 {
	union v6addr saddr;
	union v6addr daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 kind;
	__u16 pad;
};
KILN_ASSERT_SIZE(struct ct_key6, 40);

struct ct_entry {
	__u64 expires;		/* bpf_ktime_get_ns() deadline */
	__be32 nat_addr;	/* EGRESS: the service address the endpoint sent to (replies get it
				 * back as their source); SERVICE: the chosen backend; 0: no NAT */
	__be16 nat_port;	/* the port that goes with nat_addr */
	__u16 service_id;	/* service (lb.h) the connection went through; 0: none */
	__u16 endpoint_id;	/* ENDPOINT_ID of the program that made the entry */
	__u8 tcp_flags;		/* TCP_FLAG_* seen in either direction */
	__u8 pad[5];
};
KILN_ASSERT_SIZE(struct ct_entry, 24);

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct ct_key4);
	__type(value, struct ct_entry);
	__uint(max_entries, CT_SIZE);
} conntrack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct ct_key6);
	__type(value, struct ct_entry);
	__uint(max_entries, CT6_SIZE);
} conntrack6 SEC(".maps");

#ifdef ENABLE_CONNTRACK

#define NSEC_PER_SEC			1000000000ULL
#define CT_LIFETIME_TCP_OPENING		(60 * NSEC_PER_SEC)	/* SYN seen, no ACK yet */
#define CT_LIFETIME_TCP			(21600 * NSEC_PER_SEC)	/* established */
#define CT_LIFETIME_TCP_CLOSING		(10 * NSEC_PER_SEC)	/* FIN or RST seen */
#define CT_LIFETIME_OTHER		(60 * NSEC_PER_SEC)	/* UDP, ICMP echo */
/* An entry's deadline is rewritten only when it moves by more than this: fewer writes to a
 * cache line that the CPUs of both directions share. */
#define CT_REFRESH_NS			(1 * NSEC_PER_SEC)

/* Read the clock once per packet: LB and both CT lookups share it. */
static __always_inline void ct_start(struct kiln_ctx *c)
{
	c->now = bpf_ktime_get_ns();
}

enum ct_result {
	CT_NEW,
	CT_ESTABLISHED,
	CT_REPLY,
};

static __always_inline __u64 ct_lifetime(__u8 proto, __u8 tcp_flags)
{
	if (proto != IPPROTO_TCP)
		return CT_LIFETIME_OTHER;
	if (tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST))
		return CT_LIFETIME_TCP_CLOSING;
	if (tcp_flags & TCP_FLAG_ACK)
		return CT_LIFETIME_TCP;
	return CT_LIFETIME_TCP_OPENING;
}

static __always_inline void ct_entry_touch(struct ct_entry *e, const struct l4_info *l4, __u64 now)
{
	__u8 flags = e->tcp_flags;
	__u64 expires;

	if (l4->proto == IPPROTO_TCP) {
		if ((l4->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN &&
		    (flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
			flags = 0;
		flags |= l4->tcp_flags;
	}
	expires = now + ct_lifetime(l4->proto, flags);
	if (flags != e->tcp_flags || expires > e->expires + CT_REFRESH_NS) {
		e->tcp_flags = flags;
		e->expires = expires;
	}
}

/* A live entry for key, touched by this packet, or NULL. */
static __always_inline struct ct_entry *ct_find(void *map, const void *key,
						const struct l4_info *l4, __u64 now)
{
	struct ct_entry *e = bpf_map_lookup_elem(map, key);

	if (!e || e->expires <= now)
		return NULL;
	ct_entry_touch(e, l4, now);
	return e;
}

/* Store fresh (its NAT fields filled by the caller) as the entry for key. */
static __always_inline int ct_put(struct kiln_ctx *c, void *map, const void *key,
				  struct ct_entry *fresh, const struct l4_info *l4)
{
	fresh->tcp_flags = l4->proto == IPPROTO_TCP ? l4->tcp_flags : 0;
	fresh->expires = c->now + ct_lifetime(l4->proto, fresh->tcp_flags);
	fresh->endpoint_id = cfg_endpoint_id(c->cfg);
	if (bpf_map_update_elem(map, key, fresh, BPF_ANY))
		return REASON_CT_CREATE_FAILED;
	return KILN_OK;
}

static __always_inline void ct4_key(struct ct_key4 *key, const struct flow4 *f, __u8 kind,
				    bool reverse)
{
	key->saddr = reverse ? f->daddr : f->saddr;
	key->daddr = reverse ? f->saddr : f->daddr;
	key->sport = reverse ? f->l4.dport : f->l4.sport;
	key->dport = reverse ? f->l4.sport : f->l4.dport;
	key->proto = f->l4.proto;
	key->kind = kind;
	key->pad = 0;
}

/* The kind of entry this program makes; a reply matches the other program's kind. */
static __always_inline __u8 ct_own_kind(const struct kiln_ctx *c)
{
	return c->dir == DIR_EGRESS ? CT_KIND_EGRESS : CT_KIND_INGRESS;
}

static __always_inline __u8 ct_peer_kind(const struct kiln_ctx *c)
{
	return c->dir == DIR_EGRESS ? CT_KIND_INGRESS : CT_KIND_EGRESS;
}

static __always_inline enum ct_result ct4_lookup(struct kiln_ctx *c, const struct flow4 *f,
						 struct ct_entry **entry)
{
	struct ct_key4 key;

	if (f->l4.ct == L4_CT_NONE)
		return CT_NEW;
	ct4_key(&key, f, ct_own_kind(c), false);
	*entry = ct_find(&conntrack, &key, &f->l4, c->now);
	if (*entry)
		return CT_ESTABLISHED;
	ct4_key(&key, f, ct_peer_kind(c), true);
	*entry = ct_find(&conntrack, &key, &f->l4, c->now);
	if (*entry)
		return CT_REPLY;
	return CT_NEW;
}

/* After policy admitted a new flow: remember it, if it is one that can open a connection. */
static __always_inline int ct4_create(struct kiln_ctx *c, const struct flow4 *f,
				      struct ct_entry *fresh)
{
	struct ct_key4 key;

	if (f->l4.ct != L4_CT_OPEN)
		return KILN_OK;
	ct4_key(&key, f, ct_own_kind(c), false);
	return ct_put(c, &conntrack, &key, fresh, &f->l4);
}

#ifdef ENABLE_IPV6
static __always_inline void ct6_key(struct ct_key6 *key, const struct flow6 *f, __u8 kind,
				    bool reverse)
{
	key->saddr = reverse ? f->daddr : f->saddr;
	key->daddr = reverse ? f->saddr : f->daddr;
	key->sport = reverse ? f->l4.dport : f->l4.sport;
	key->dport = reverse ? f->l4.sport : f->l4.dport;
	key->proto = f->l4.proto;
	key->kind = kind;
	key->pad = 0;
}

static __always_inline enum ct_result ct6_lookup(struct kiln_ctx *c, const struct flow6 *f,
						 struct ct_entry **entry)
{
	struct ct_key6 key;

	if (f->l4.ct == L4_CT_NONE)
		return CT_NEW;
	ct6_key(&key, f, ct_own_kind(c), false);
	*entry = ct_find(&conntrack6, &key, &f->l4, c->now);
	if (*entry)
		return CT_ESTABLISHED;
	ct6_key(&key, f, ct_peer_kind(c), true);
	*entry = ct_find(&conntrack6, &key, &f->l4, c->now);
	if (*entry)
		return CT_REPLY;
	return CT_NEW;
}

static __always_inline int ct6_create(struct kiln_ctx *c, const struct flow6 *f,
				      struct ct_entry *fresh)
{
	struct ct_key6 key;

	if (f->l4.ct != L4_CT_OPEN)
		return KILN_OK;
	ct6_key(&key, f, ct_own_kind(c), false);
	return ct_put(c, &conntrack6, &key, fresh, &f->l4);
}
#endif /* ENABLE_IPV6 */

#endif /* ENABLE_CONNTRACK */

#endif /* KILN_CONNTRACK_H */
