/*
 * Connection tracking: replies to a connection policy admitted pass without a policy lookup,
 * and the entry of a load-balanced connection remembers what reverse NAT needs.
 *
 * API: maps `conntrack` (IPv4) and `conntrack6` (IPv6), node-wide LRU hashes; struct ct_key4,
 * ct_key6, ct_entry; CT_KIND_*. With conntrack=true: ct_start(c) once per packet, then
 * ct4_lookup(c, f, &entry) / ct6_lookup() -> CT_NEW, CT_ESTABLISHED or CT_REPLY, and after
 * policy admitted a new flow ct4_create(c, f, fresh) / ct6_create(); ct_find() and ct_put() serve
 * other kinds of entry (lb.h).
 * With flowEvents=on, lookups and creates of connection entries (not service entries) also count
 * the packet in the entry and send flow start and end events (flows.h).
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
#include "kiln/flows.h"
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
	__u8 flow_flags;	/* FLOW_F_* (flows.h) */
	__u32 rtt_us;		/* TCP handshake round trip seen here (flows.h); 0: not (yet) measured */
	/* Flow counters (flows.h), 0 with flowEvents=off: "fwd" is the opening packet's direction. */
	__u64 first_seen;	/* bpf_ktime_get_ns() of the first and the last packet */
	__u64 last_seen;
	__u64 packets_fwd;
	__u64 bytes_fwd;	/* skb->len, L2 header included */
	__u64 packets_rev;
	__u64 bytes_rev;
};
KILN_ASSERT_SIZE(struct ct_entry, 72);

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

#ifdef FLOW_EVENTS
/* A new entry's flow fields: its first packet counted, the policy verdict remembered. */
static __always_inline void flow_open(const struct kiln_ctx *c, struct ct_entry *e)
{
	e->first_seen = c->now;
	e->last_seen = c->now;
	e->packets_fwd = 1;
	e->bytes_fwd = c->skb->len;
	e->flow_flags = c->audited ? FLOW_F_AUDIT : 0;
}

enum flow_step {
	FLOW_GOES_ON,
	FLOW_ENDS,		/* send the end event */
	FLOW_RESTARTS,		/* a SYN reused the tuple of a closed connection: send a start event */
	FLOW_UPDATES,		/* the first packet of a new flowUpdateInterval window: send an update */
};

#if FLOW_UPDATE_INTERVAL > 0
#define FLOW_UPDATE_NS	((__u64)FLOW_UPDATE_INTERVAL * NSEC_PER_SEC)
/* Whether a window of FLOW_UPDATE_NS (counted from first_seen) began after the previous packet
 * (prev) and by this one: young flows pay one compare, older ones a division (by a constant). */
static __always_inline bool flow_update_due(const struct ct_entry *e, __u64 prev, __u64 now)
{
	__u64 age = now - e->first_seen;

	if (age < FLOW_UPDATE_NS)
		return false;
	return prev < e->first_seen + age / FLOW_UPDATE_NS * FLOW_UPDATE_NS;
}
#endif

/*
 * The round trip of the TCP handshake, seen at this endpoint's interface: for a connection the
 * endpoint opened, SYN (first_seen) to SYN-ACK; for one opened towards it, its SYN-ACK to the
 * peer's ACK. A retransmitted SYN or SYN-ACK makes it longer (as any handshake-based RTT is).
 */
static __always_inline void flow_rtt(const struct kiln_ctx *c, struct ct_entry *e,
				     const struct l4_info *l4, bool reverse)
{
	bool opened_here = (reverse ? !c->dir : c->dir) == DIR_EGRESS;
	__u8 syn_ack = l4->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_FIN | TCP_FLAG_RST);
	__u64 rtt = 0;

	if (reverse && syn_ack == (TCP_FLAG_SYN | TCP_FLAG_ACK)) {
		if (opened_here)
			rtt = c->now - e->first_seen;
		else
			e->flow_flags |= FLOW_F_SYNACK_SENT;
	} else if (!reverse && !opened_here && syn_ack == TCP_FLAG_ACK &&
		   (e->flow_flags & FLOW_F_SYNACK_SENT)) {
		rtt = c->now - e->last_seen;	/* last_seen: the SYN-ACK, or a packet after it */
	}
	if (rtt) {
		rtt /= 1000;
		e->rtt_us = rtt ? (rtt > 0xffffffffULL ? 0xffffffff : rtt) : 1;
	}
}

/*
 * Counts a packet of an existing entry (reverse: a reply) and follows the TCP close: an RST ends
 * the connection, and so does the ACK of the second FIN (the packet after both FINs that goes
 * against the second one). The FIN bits are not set atomically: two FINs of one connection at the
 * same moment on two CPUs could both miss the other's bit, and the end then comes by expiry.
 */
static __always_inline enum flow_step flow_count(const struct kiln_ctx *c, struct ct_entry *e,
						 const struct l4_info *l4, bool reverse)
{
	__u8 ff = e->flow_flags;
	__u8 fin = reverse ? FLOW_F_FIN_REV : FLOW_F_FIN_FWD;
	enum flow_step step = FLOW_GOES_ON;

	if (l4->proto == IPPROTO_TCP && (ff & (FLOW_F_ENDED | FLOW_F_FIN_FWD | FLOW_F_FIN_REV)) &&
	    e->tcp_flags == TCP_FLAG_SYN) {
		/* ct_entry_touch() started the entry afresh for a new SYN */
		e->first_seen = c->now;
		e->packets_fwd = 0;
		e->bytes_fwd = 0;
		e->packets_rev = 0;
		e->bytes_rev = 0;
		e->rtt_us = 0;
		ff &= FLOW_F_AUDIT;
		e->flow_flags = ff;
		step = FLOW_RESTARTS;
	}
	if (reverse) {
		__sync_fetch_and_add(&e->packets_rev, 1);
		__sync_fetch_and_add(&e->bytes_rev, c->skb->len);
	} else {
		__sync_fetch_and_add(&e->packets_fwd, 1);
		__sync_fetch_and_add(&e->bytes_fwd, c->skb->len);
	}
	if (l4->proto == IPPROTO_TCP && !e->rtt_us)
		flow_rtt(c, e, l4, reverse);
#if FLOW_UPDATE_INTERVAL > 0
	if (step == FLOW_GOES_ON && !(ff & FLOW_F_ENDED) && flow_update_due(e, e->last_seen, c->now))
		step = FLOW_UPDATES;
#endif
	e->last_seen = c->now;
	if (l4->proto != IPPROTO_TCP || (ff & FLOW_F_ENDED))
		return step;
	if (l4->tcp_flags & TCP_FLAG_RST) {
		e->flow_flags = ff | FLOW_F_ENDED;
		return FLOW_ENDS;
	}
	if (l4->tcp_flags & TCP_FLAG_FIN) {
		if (!(ff & fin)) {
			if (ff & (FLOW_F_FIN_FWD | FLOW_F_FIN_REV))
				ff |= reverse ? FLOW_F_LAST_FIN_REV : 0;
			e->flow_flags = ff | fin;
		}
		return step;
	}
	if ((ff & (FLOW_F_FIN_FWD | FLOW_F_FIN_REV)) == (FLOW_F_FIN_FWD | FLOW_F_FIN_REV) &&
	    !(ff & FLOW_F_LAST_FIN_REV) == reverse && (l4->tcp_flags & TCP_FLAG_ACK)) {
		e->flow_flags = ff | FLOW_F_ENDED;
		return FLOW_ENDS;
	}
	return step;
}

/* The entry's counters into a reserved event; the tuple and direction are the caller's. */
static __always_inline void flow_fill(struct flow_event *ev, const struct ct_entry *e)
{
	ev->reason = (e->flow_flags & FLOW_F_AUDIT) ? REASON_POLICY_AUDIT : REASON_FORWARDED;
	ev->tcp_flags = e->tcp_flags;
	ev->flow_flags = e->flow_flags;
	ev->endpoint_id = e->endpoint_id;
	ev->first_seen = e->first_seen;
	ev->last_seen = e->last_seen;
	ev->rtt_us = e->rtt_us;
	ev->packets_fwd = e->packets_fwd;
	ev->bytes_fwd = e->bytes_fwd;
	ev->packets_rev = e->packets_rev;
	ev->bytes_rev = e->bytes_rev;
}

/* Flow start events are sampled 1 in FLOW_START_SAMPLE. */
static __always_inline bool flow_start_sampled(void)
{
#if FLOW_START_SAMPLE > 1
	return bpf_get_prandom_u32() % FLOW_START_SAMPLE == 0;
#else
	return true;
#endif
}

static __always_inline void flow4_emit(const struct kiln_ctx *c, __u8 type, const struct ct_entry *e,
				       const struct flow4 *f, bool reverse)
{
	struct flow_event *ev;

	if (type == FLOW_EVENT_START && !flow_start_sampled())
		return;
	ev = flow_reserve(type, c->now);
	if (!ev)
		return;
	flow_tuple4(ev, f, reverse);
	ev->dir = reverse ? !c->dir : c->dir;
	flow_fill(ev, e);
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline void flow4_packet(const struct kiln_ctx *c, struct ct_entry *e,
					 const struct flow4 *f, bool reverse)
{
	switch (flow_count(c, e, &f->l4, reverse)) {
	case FLOW_ENDS:
		flow4_emit(c, FLOW_EVENT_END, e, f, reverse);
		break;
	case FLOW_RESTARTS:
		flow4_emit(c, FLOW_EVENT_START, e, f, reverse);
		break;
	case FLOW_UPDATES:
		flow4_emit(c, FLOW_EVENT_UPDATE, e, f, reverse);
		break;
	default:
		break;
	}
}
#else
#define flow4_packet(c, e, f, reverse)	do { } while (0)
#endif /* FLOW_EVENTS */

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
	if (*entry) {
		flow4_packet(c, *entry, f, false);
		return CT_ESTABLISHED;
	}
	ct4_key(&key, f, ct_peer_kind(c), true);
	*entry = ct_find(&conntrack, &key, &f->l4, c->now);
	if (*entry) {
		flow4_packet(c, *entry, f, true);
		return CT_REPLY;
	}
	return CT_NEW;
}

/* After policy admitted a new flow: remember it, if it is one that can open a connection. */
static __always_inline int ct4_create(struct kiln_ctx *c, const struct flow4 *f,
				      struct ct_entry *fresh)
{
	struct ct_key4 key;
	int ret;

	if (f->l4.ct != L4_CT_OPEN)
		return KILN_OK;
	ct4_key(&key, f, ct_own_kind(c), false);
#ifdef FLOW_EVENTS
	flow_open(c, fresh);
#endif
	ret = ct_put(c, &conntrack, &key, fresh, &f->l4);
#ifdef FLOW_EVENTS
	if (!ret)
		flow4_emit(c, FLOW_EVENT_START, fresh, f, false);
#endif
	return ret;
}

#ifdef ENABLE_IPV6
#ifdef FLOW_EVENTS
static __always_inline void flow6_emit(const struct kiln_ctx *c, __u8 type, const struct ct_entry *e,
				       const struct flow6 *f, bool reverse)
{
	struct flow_event *ev;

	if (type == FLOW_EVENT_START && !flow_start_sampled())
		return;
	ev = flow_reserve(type, c->now);
	if (!ev)
		return;
	flow_tuple6(ev, f, reverse);
	ev->dir = reverse ? !c->dir : c->dir;
	flow_fill(ev, e);
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline void flow6_packet(const struct kiln_ctx *c, struct ct_entry *e,
					 const struct flow6 *f, bool reverse)
{
	switch (flow_count(c, e, &f->l4, reverse)) {
	case FLOW_ENDS:
		flow6_emit(c, FLOW_EVENT_END, e, f, reverse);
		break;
	case FLOW_RESTARTS:
		flow6_emit(c, FLOW_EVENT_START, e, f, reverse);
		break;
	case FLOW_UPDATES:
		flow6_emit(c, FLOW_EVENT_UPDATE, e, f, reverse);
		break;
	default:
		break;
	}
}
#else
#define flow6_packet(c, e, f, reverse)	do { } while (0)
#endif /* FLOW_EVENTS */

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
	if (*entry) {
		flow6_packet(c, *entry, f, false);
		return CT_ESTABLISHED;
	}
	ct6_key(&key, f, ct_peer_kind(c), true);
	*entry = ct_find(&conntrack6, &key, &f->l4, c->now);
	if (*entry) {
		flow6_packet(c, *entry, f, true);
		return CT_REPLY;
	}
	return CT_NEW;
}

static __always_inline int ct6_create(struct kiln_ctx *c, const struct flow6 *f,
				      struct ct_entry *fresh)
{
	struct ct_key6 key;
	int ret;

	if (f->l4.ct != L4_CT_OPEN)
		return KILN_OK;
	ct6_key(&key, f, ct_own_kind(c), false);
#ifdef FLOW_EVENTS
	flow_open(c, fresh);
#endif
	ret = ct_put(c, &conntrack6, &key, fresh, &f->l4);
#ifdef FLOW_EVENTS
	if (!ret)
		flow6_emit(c, FLOW_EVENT_START, fresh, f, false);
#endif
	return ret;
}
#endif /* ENABLE_IPV6 */

#endif /* ENABLE_CONNTRACK */

#endif /* KILN_CONNTRACK_H */
