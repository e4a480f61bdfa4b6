/*
 * DNS rules on queries (DNS-aware policy): which names an endpoint may ask its resolvers for.
 * A query for a name no rule allows never leaves: it is answered in place with RCODE REFUSED.
 *
 * API: maps `dns_rules` (node-wide hash, struct dns_rule_key -> struct dns_rule_value, written by
 * the agent) and `dns_query_scratch` (per-CPU, one struct dns_query_scratch: the name being looked
 * up and the answer being built, too big for the stack); KILN_MARK_DNS_REFUSED.
 * In from_endpoint, before load balancing and policy: dns_query_judge(c, l4, l4_off, &qlen), then
 * for REASON_DNS_REFUSED dns_refuse4(c, f, qlen) / dns_refuse6(c, f, qlen), which rewrite the frame
 * and return REASON_DNS_REFUSED for ctx_reply() (or REASON_NAT_FAILED to drop it).
 * In to_endpoint, before conntrack: dns_refusal_returning(skb, l4) passes our own answer.
 *
 * An endpoint is judged only when `dns_rules` holds its marker {endpoint_id, DNS_RULE_MARKER, ""}
 * (the agent writes it when some policy selecting the endpoint has `dns` rules on its ports).
 * Without it a packet to port 53 costs one hash lookup and goes on unchanged; other packets cost
 * one comparison. With it, a packet the endpoint sends to port 53:
 *   - TCP: dropped as REASON_DNS_QUERY_TCP (not parsed: a TCP stream may split a query anywhere);
 *     a client gets no answer over TCP and should retry over UDP.
 *   - UDP, marker flag DNS_RULE_ANY_NAME (the pattern "*"): goes on.
 *   - UDP, not one standard query (QR=1, an opcode other than QUERY, QDCOUNT != 1, answer or
 *     authority records, IPv4 options or IPv6 extension headers) or a question name that is not
 *     plain labels (a length over 63 - compression pointers included -, longer than 255 bytes, or
 *     cut short, QTYPE and QCLASS missing): dropped as REASON_DNS_QUERY_MALFORMED, never passed.
 *   - UDP, a question name (lower-cased, wire format) that is a DNS_RULE_NAME entry, or whose part
 *     after its first label is a DNS_RULE_SUFFIX entry (the pattern "*.example.test": exactly one
 *     label more), goes on unchanged, to load balancing, policy and conntrack as any packet.
 *   - otherwise it is REFUSED: rewritten in place into the answer (MACs, addresses and ports
 *     swapped, QR=1, RA=RD, RCODE 5, no records but the question, anything after it such as an
 *     EDNS record cut off, IP length and checksum and the UDP checksum computed anew) and sent
 *     back through the endpoint's host veth (REASON_DNS_REFUSED: a drop reason, since the query
 *     went nowhere; it sends a drop event like any drop), marked KILN_MARK_DNS_REFUSED so
 *     that to_endpoint passes it without conntrack or policy (a frame from another namespace
 *     loses its mark on the veth). It is counted in `dns_stats` DNS_STAT_QUERY_REFUSED; dropped
 *     queries in DNS_STAT_QUERY_DROPPED.
 * policyMode=audit: a query that would be refused or dropped goes on, counted as POLICY_AUDIT and
 * in dns_stats. policyMode=off: no code. The maps are declared in every variant (node maps are the
 * same for every variant of a node).
 */
#ifndef KILN_DNS_QUERY_H
#define KILN_DNS_QUERY_H

#include "kiln/compiler.h"
#include "kiln/config.h"
#include "kiln/context.h"
#include "kiln/drop_reasons.h"
#include "kiln/l4.h"
#include "kiln/packet.h"
#include "kiln/ipv4.h"
#ifdef ENABLE_IPV6
#include "kiln/ipv6.h"
#endif
#include "kiln/dns.h"

/* skb->mark of an answer built here, on its way back to the endpoint ("KDRF"). */
#define KILN_MARK_DNS_REFUSED	0x4b445246
/* Bytes of a question name: a wire-format name is at most 255 bytes, its root label included. */
#define DNS_NAME_MAX		256
#define DNS_NAME_WIRE_MAX	255
#define DNS_HDR_LEN		12
#define DNS_RCODE_REFUSED	5
#define DNS_RULES_SIZE		65536

/* dns_rule_key.kind */
#define DNS_RULE_MARKER		0	/* name empty: the endpoint has DNS rules */
#define DNS_RULE_NAME		1	/* the whole question name */
#define DNS_RULE_SUFFIX		2	/* the question name without its first label */
/* dns_rule_value.flags of the marker */
#define DNS_RULE_ANY_NAME	1	/* every name is allowed ("*") */

struct dns_rule_key {
	__u16 endpoint_id;
	__u8 kind;		/* DNS_RULE_* */
	__u8 pad[5];		/* name at offset 8: clearing and lower-casing it take 8-byte words */
	__u8 name[DNS_NAME_MAX];	/* lower-case wire format (length-prefixed labels, root 0), zeros after it */
} __attribute__((aligned(8)));
KILN_ASSERT_SIZE(struct dns_rule_key, 264);
_Static_assert(offsetof(struct dns_rule_key, name) == 8, "dns_rule_key.name is 8-byte aligned");

struct dns_rule_value {
	__u32 flags;		/* DNS_RULE_ANY_NAME on the marker; 0 elsewhere */
};
KILN_ASSERT_SIZE(struct dns_rule_value, 4);

struct dns_query_scratch {
	struct dns_rule_key key;
	__u8 reply[DNS_HDR_LEN + DNS_NAME_MAX + 4];	/* header, question, zero padding to 16-bit words */
	__u32 namelen;		/* the name's length, passed through memory so that the verifier forgets */
	__u32 pad;		/* how it was found: the paths out of the label walk then merge */
};
KILN_ASSERT_SIZE(struct dns_query_scratch, 544);
_Static_assert(sizeof(((struct dns_query_scratch *)0)->reply) % 4 == 0, "bpf_csum_diff sums whole 32-bit words");

/* Node-wide: every endpoint's allowed names, keyed by endpoint id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct dns_rule_key);
	__type(value, struct dns_rule_value);
	__uint(max_entries, DNS_RULES_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} dns_rules SEC(".maps");

/* Node-wide, per CPU: working space of one packet. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct dns_query_scratch);
	__uint(max_entries, 1);
} dns_query_scratch SEC(".maps");

#ifndef POLICY_MODE_OFF

struct dns_query_hdr {
	__be16 id;
	__u8 flags1;		/* QR, OPCODE (4 bits), AA, TC, RD */
	__u8 flags2;		/* RA, Z, AD, CD, RCODE (4 bits) */
	__be16 qdcount;
	__be16 ancount;
	__be16 nscount;
	__be16 arcount;
};
KILN_ASSERT_SIZE(struct dns_query_hdr, DNS_HDR_LEN);

static __always_inline void dns_query_count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&dns_stats, &slot);

	if (n)
		*n += 1;
}

/* A query that is not let through: dropped with reason, or passed when auditing. */
static __always_inline int dns_query_stop(struct kiln_ctx *c, __u32 slot, int reason)
{
	dns_query_count(slot);
#ifdef POLICY_MODE_AUDIT
	c->audited = true;
	return KILN_OK;
#else
	return reason;
#endif
}

/*
 * The scratch key's name lower-cased, eight bytes at a time and without branches (a branch on the
 * name's length in a 256-step loop makes the verifier walk it once per length). Label lengths are
 * at most 63, below 'A': only letters change; the zeros after the name stay zeros.
 */
static __always_inline void dns_query_lower(struct dns_rule_key *k)
{
	const __u64 ones = 0x0101010101010101ULL;
	__u64 *w = (__u64 *)k->name;
	__u32 i;

	for (i = 0; i < DNS_NAME_MAX / 8; i++) {
		__u64 v = w[i];
		__u64 low7 = v & (0x7f * ones);
		__u64 ge_a = low7 + (0x80 - 'A') * ones;	/* high bit: byte >= 'A' (7 bits) */
		__u64 gt_z = low7 + (0x7f - 'Z') * ones;	/* high bit: byte > 'Z' (7 bits) */
		__u64 upper = ge_a & ~gt_z & ~v & (0x80 * ones);

		w[i] = v | (upper >> 2);
	}
}

/* Loads len bytes of the question name at off into the (zeroed) scratch key, lower-cased. */
static __always_inline int dns_query_load_name(struct __sk_buff *skb, struct dns_rule_key *k, __u32 off,
					       __u64 len, __u8 kind)
{
	__builtin_memset(k->name, 0, sizeof(k->name));
	barrier_var(len);
	if (len < 1 || len > DNS_NAME_WIRE_MAX)
		return -1;
	barrier_var(len);
	if (bpf_skb_load_bytes(skb, off, k->name, len))
		return -1;
	dns_query_lower(k);
	k->kind = kind;
	return 0;
}

/*
 * A packet the endpoint sends: KILN_OK to go on, REASON_DNS_REFUSED to answer it (*qlen: bytes of
 * its question name), or a drop reason. l4_off: where the UDP header of a query without IP options
 * or extension headers is.
 */
static __always_inline int dns_query_judge(struct kiln_ctx *c, const struct l4_info *l4, __u32 l4_off,
					   __u32 *qlen)
{
	struct __sk_buff *skb = c->skb;
	const struct dns_rule_value *rule;
	struct dns_query_scratch *s;
	struct dns_query_hdr h;
	__u32 zero = 0, off, avail, pos = 0, namelen = 0, first;
	__u64 n;
	__u32 i;

	if (l4->dport != bpf_htons(DNS_PORT) || (l4->proto != IPPROTO_UDP && l4->proto != IPPROTO_TCP))
		return KILN_OK;
	s = bpf_map_lookup_elem(&dns_query_scratch, &zero);
	if (!s)
		return REASON_DNS_QUERY_MALFORMED;	/* cannot happen: a per-CPU array has slot 0 */
	__builtin_memset(&s->key, 0, sizeof(s->key));
	s->key.endpoint_id = cfg_endpoint_id(c->cfg);
	rule = bpf_map_lookup_elem(&dns_rules, &s->key);
	if (!rule)
		return KILN_OK;
	if (l4->proto == IPPROTO_TCP)
		return dns_query_stop(c, DNS_STAT_QUERY_DROPPED, REASON_DNS_QUERY_TCP);
	if (rule->flags & DNS_RULE_ANY_NAME)
		return KILN_OK;

	if (l4->off != l4_off)
		return dns_query_stop(c, DNS_STAT_QUERY_DROPPED, REASON_DNS_QUERY_MALFORMED);
	off = l4_off + sizeof(struct udphdr);
	if (bpf_skb_load_bytes(skb, off, &h, sizeof(h)) || (h.flags1 & 0xf8) != 0 ||
	    h.qdcount != bpf_htons(1) || h.ancount || h.nscount)
		return dns_query_stop(c, DNS_STAT_QUERY_DROPPED, REASON_DNS_QUERY_MALFORMED);
	off += DNS_HDR_LEN;
	if (skb->len <= off)
		return dns_query_stop(c, DNS_STAT_QUERY_DROPPED, REASON_DNS_QUERY_MALFORMED);
	avail = skb->len - off;
	n = avail < DNS_NAME_WIRE_MAX ? avail : DNS_NAME_WIRE_MAX;
	barrier_var(n);
	if (n < 1 || n > DNS_NAME_WIRE_MAX)
		return dns_query_stop(c, DNS_STAT_QUERY_DROPPED, REASON_DNS_QUERY_MALFORMED);
	barrier_var(n);
	/* the walk reads the name where the answer will be built; the key gets a clean copy */
	if (bpf_skb_load_bytes(skb, off, s->reply, n))
		return dns_query_stop(c, DNS_STAT_QUERY_DROPPED, REASON_DNS_QUERY_MALFORMED);

	/* Plain labels only, ending with the root label within 255 bytes; at most 127 labels fit. */
	for (i = 0; i < 128; i++) {
		__u8 len;

		if (pos >= n)
			break;
		len = s->reply[pos & (DNS_NAME_MAX - 1)];
		if (len == 0) {
			namelen = pos + 1;
			break;
		}
		if (len > 63)
			break;
		pos += len + 1;
	}
	if (!namelen || namelen + 4 > avail)
		return dns_query_stop(c, DNS_STAT_QUERY_DROPPED, REASON_DNS_QUERY_MALFORMED);
	/* through memory: the verifier forgets which way out of the walk led here, so the paths merge */
	s->namelen = namelen;
	barrier();
	namelen = s->namelen;
	first = (__u32)s->reply[0] + 1;

	if (dns_query_load_name(skb, &s->key, off, namelen, DNS_RULE_NAME))
		return dns_query_stop(c, DNS_STAT_QUERY_DROPPED, REASON_DNS_QUERY_MALFORMED);
	if (bpf_map_lookup_elem(&dns_rules, &s->key))
		return KILN_OK;
	/* the name without its first label: a "*.suffix" pattern (the suffix is not the root) */
	if (namelen > first + 1) {
		if (dns_query_load_name(skb, &s->key, off + first, namelen - first, DNS_RULE_SUFFIX))
			return dns_query_stop(c, DNS_STAT_QUERY_DROPPED, REASON_DNS_QUERY_MALFORMED);
		if (bpf_map_lookup_elem(&dns_rules, &s->key))
			return KILN_OK;
	}
	*qlen = namelen;
#ifdef POLICY_MODE_AUDIT
	return dns_query_stop(c, DNS_STAT_QUERY_REFUSED, KILN_OK);
#else
	dns_query_count(DNS_STAT_QUERY_REFUSED);
	return REASON_DNS_REFUSED;
#endif
}

/* One's-complement sum of n 16-bit words as stored (byte order does not matter if kept). */
static __always_inline __u32 dns_csum_words(const void *p, __u32 n, __u32 sum)
{
	const __u16 *w = p;
	__u32 i;

	for (i = 0; i < n; i++)
		sum += w[i];
	return sum;
}

static __always_inline __u16 dns_csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The answer's message (zero-padded, a multiple of 4 bytes) summed by the kernel: one helper call
 * instead of 136 unrolled loads. Its 32-bit partial sum folds like ours. */
static __always_inline __u64 dns_csum_reply(struct dns_query_scratch *s, __u32 sum)
{
	return (__u64)sum + (__u32)bpf_csum_diff(NULL, 0, (__be32 *)s->reply, sizeof(s->reply), 0);
}

/*
 * The answer's DNS message in the scratch area: header and question of the query (qlen bytes of
 * name), QR=1, RA=RD, RCODE REFUSED, no other records, zeros after it. Returns its length, 0 on failure.
 */
static __always_inline __u32 dns_refusal_build(struct __sk_buff *skb, struct dns_query_scratch *s,
					       __u32 dns_off, __u32 qlen)
{
	__u64 dlen = DNS_HDR_LEN + (__u64)qlen + 4;	/* 64-bit: the bound checked is the one passed */
	__u8 rd;

	__builtin_memset(s->reply, 0, sizeof(s->reply));
	barrier_var(dlen);
	if (dlen > DNS_HDR_LEN + DNS_NAME_WIRE_MAX + 4 || dlen < DNS_HDR_LEN + 5)
		return 0;
	barrier_var(dlen);
	if (bpf_skb_load_bytes(skb, dns_off, s->reply, dlen))
		return 0;
	rd = s->reply[2] & 1;
	s->reply[2] = 0x80 | rd;
	s->reply[3] = (rd << 7) | DNS_RCODE_REFUSED;
	__builtin_memset(&s->reply[6], 0, 6);	/* ANCOUNT, NSCOUNT, ARCOUNT */
	return dlen;
}

/* Ethernet: to the endpoint, from NODE_MAC; then the UDP header and the message; mark it. */
static __always_inline int dns_refusal_send(struct kiln_ctx *c, struct dns_query_scratch *s, __u32 udp_off,
					    const struct udphdr *udp, __u32 len)
{
	struct __sk_buff *skb = c->skb;
	__u64 dlen = len;

	barrier_var(dlen);
	if (dlen > DNS_HDR_LEN + DNS_NAME_WIRE_MAX + 4 || dlen < 1)
		return REASON_NAT_FAILED;
	barrier_var(dlen);
	if (eth_set_addrs(skb, cfg_endpoint_mac(c->cfg), cfg_node_mac(c->cfg)) ||
	    bpf_skb_store_bytes(skb, udp_off, udp, sizeof(*udp), 0) ||
	    bpf_skb_store_bytes(skb, udp_off + sizeof(*udp), s->reply, dlen, 0))
		return REASON_NAT_FAILED;
	skb->mark = KILN_MARK_DNS_REFUSED;
	return REASON_DNS_REFUSED;
}

/* Turns a refused IPv4 query (no options: dns_query_judge checked) into its answer in place:
 * REASON_DNS_REFUSED to send it back (ctx_reply), or REASON_NAT_FAILED. */
static __always_inline int dns_refuse4(struct kiln_ctx *c, const struct flow4 *f, __u32 qlen)
{
	const __u32 udp_off = ETH_HLEN + sizeof(struct iphdr);
	struct __sk_buff *skb = c->skb;
	struct dns_query_scratch *s;
	struct udphdr udp;
	struct iphdr ip;
	__u32 zero = 0, dlen, sum;

	s = bpf_map_lookup_elem(&dns_query_scratch, &zero);
	if (!s || bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)))
		return REASON_NAT_FAILED;
	dlen = dns_refusal_build(skb, s, udp_off + sizeof(udp), qlen);
	if (!dlen)
		return REASON_NAT_FAILED;

	ip.saddr = f->daddr;
	ip.daddr = f->saddr;
	ip.tot_len = bpf_htons(sizeof(ip) + sizeof(udp) + dlen);
	ip.ttl = 64;
	ip.check = 0;
	ip.check = dns_csum_fold(dns_csum_words(&ip, sizeof(ip) / 2, 0));

	udp.source = f->l4.dport;
	udp.dest = f->l4.sport;
	udp.len = bpf_htons(sizeof(udp) + dlen);
	udp.check = 0;
	sum = dns_csum_words(&ip.saddr, 4, 0);
	sum += bpf_htons(IPPROTO_UDP) + udp.len;
	sum = dns_csum_words(&udp, sizeof(udp) / 2, sum);
	udp.check = dns_csum_fold(dns_csum_reply(s, sum));
	if (!udp.check)
		udp.check = 0xffff;

	if (bpf_skb_change_tail(skb, udp_off + sizeof(udp) + dlen, 0) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, &ip, sizeof(ip), 0))
		return REASON_NAT_FAILED;
	return dns_refusal_send(c, s, udp_off, &udp, dlen);
}

#ifdef ENABLE_IPV6
/* dns_refuse4 for IPv6 (no extension headers: dns_query_judge checked). */
static __always_inline int dns_refuse6(struct kiln_ctx *c, const struct flow6 *f, __u32 qlen)
{
	const __u32 udp_off = ETH_HLEN + sizeof(struct ipv6hdr);
	struct __sk_buff *skb = c->skb;
	struct dns_query_scratch *s;
	struct ipv6hdr ip6;
	struct udphdr udp;
	__u32 zero = 0, dlen, sum;

	s = bpf_map_lookup_elem(&dns_query_scratch, &zero);
	if (!s || bpf_skb_load_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6)))
		return REASON_NAT_FAILED;
	dlen = dns_refusal_build(skb, s, udp_off + sizeof(udp), qlen);
	if (!dlen)
		return REASON_NAT_FAILED;

	__builtin_memcpy(&ip6.saddr, &f->daddr, sizeof(ip6.saddr));
	__builtin_memcpy(&ip6.daddr, &f->saddr, sizeof(ip6.daddr));
	ip6.payload_len = bpf_htons(sizeof(udp) + dlen);
	ip6.hop_limit = 64;

	udp.source = f->l4.dport;
	udp.dest = f->l4.sport;
	udp.len = ip6.payload_len;
	udp.check = 0;
	sum = dns_csum_words(&ip6.saddr, 16, 0);
	sum += bpf_htons(IPPROTO_UDP) + udp.len;
	sum = dns_csum_words(&udp, sizeof(udp) / 2, sum);
	udp.check = dns_csum_fold(dns_csum_reply(s, sum));
	if (!udp.check)
		udp.check = 0xffff;

	if (bpf_skb_change_tail(skb, udp_off + sizeof(udp) + dlen, 0) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6), 0))
		return REASON_NAT_FAILED;
	return dns_refusal_send(c, s, udp_off, &udp, dlen);
}
#endif /* ENABLE_IPV6 */

/* In to_endpoint: true for an answer dns_refuse4/6 built (the mark survives only within the node). */
static __always_inline bool dns_refusal_returning(struct __sk_buff *skb, const struct l4_info *l4)
{
	struct __sk_buff *own = skb;

	/* its own copy of the pointer: clang must not share &skb->mark with identity.h's read of it
	 * (the verifier refuses a load through a context pointer plus an offset) */
	barrier_var(own);
	return own->mark == KILN_MARK_DNS_REFUSED && l4->proto == IPPROTO_UDP &&
	       l4->sport == bpf_htons(DNS_PORT);
}

#endif /* !POLICY_MODE_OFF */

#endif /* KILN_DNS_QUERY_H */
