/*
 * IPv6 flows: parsing and the header rewrites forwarding needs.
 *
 * API: struct flow6; ipv6_parse(skb, f); ipv6_dec_hop_limit(skb, f); ipv6_is_nd(f).
 * Only used when the template is built with ipv6=true (ENABLE_IPV6); with ipv6=false an IPv6
 * packet never gets here: it is dropped as REASON_UNSUPPORTED_L3.
 * Up to IPV6_EXT_MAX hop-by-hop, routing and destination-options headers are skipped; a
 * fragment header gives REASON_FRAGMENT, any other extension REASON_UNSUPPORTED_L4.
 */
#ifndef KILN_IPV6_H
#define KILN_IPV6_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/drop_reasons.h"
#include "kiln/packet.h"
#include "kiln/l4.h"

#define IPV6_OFF	ETH_HLEN
#define IPV6_EXT_MAX	4
#define ICMPV6_ND_FIRST	133	/* router solicitation */
#define ICMPV6_ND_NS	135	/* neighbor solicitation */
#define ICMPV6_ND_NA	136	/* neighbor advertisement */
#define ICMPV6_ND_LAST	137	/* redirect */

struct flow6 {
	union v6addr saddr;
	union v6addr daddr;
	__u8 hop_limit;
	struct l4_info l4;
};

struct ipv6_ext {
	__u8 nexthdr;
	__u8 len;		/* in 8-byte units, not counting the first 8 bytes */
};

static __always_inline bool ipv6_ext_skippable(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS;
}

static __always_inline int ipv6_parse(struct __sk_buff *skb, struct flow6 *f)
{
	void *data, *data_end;
	struct ipv6hdr *ip6;
	struct ipv6_ext ext;
	__u32 off = IPV6_OFF + sizeof(*ip6);
	__u8 nexthdr;
	int i;

	if (!pkt_pull(skb, off))
		return REASON_MALFORMED;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	ip6 = data + IPV6_OFF;
	if ((void *)(ip6 + 1) > data_end)
		return REASON_MALFORMED;
	if (ip6->version != 6)
		return REASON_MALFORMED;
	__builtin_memcpy(&f->saddr, &ip6->saddr, sizeof(f->saddr));
	__builtin_memcpy(&f->daddr, &ip6->daddr, sizeof(f->daddr));
	f->hop_limit = ip6->hop_limit;
	nexthdr = ip6->nexthdr;

#pragma unroll
	for (i = 0; i < IPV6_EXT_MAX; i++) {
		if (!ipv6_ext_skippable(nexthdr))
			break;
		if (bpf_skb_load_bytes(skb, off, &ext, sizeof(ext)))
			return REASON_MALFORMED;
		nexthdr = ext.nexthdr;
		off += ((__u32)ext.len + 1) * 8;
	}
	if (nexthdr == IPPROTO_FRAGMENT)
		return REASON_FRAGMENT;
	if (ipv6_ext_skippable(nexthdr))
		return REASON_UNSUPPORTED_L4;

	f->l4.proto = nexthdr;
	f->l4.off = off;
	return l4_parse(skb, &f->l4, true);
}

/* Neighbor discovery (router/neighbor solicitation and advertisement, redirect) is link-local
 * plumbing: it passes without source checks or policy, as ARP does. */
static __always_inline bool ipv6_is_nd(const struct flow6 *f)
{
	return f->l4.proto == IPPROTO_ICMPV6 &&
	       f->l4.icmp_type >= ICMPV6_ND_FIRST && f->l4.icmp_type <= ICMPV6_ND_LAST;
}

/* IPv6 has no header checksum: only the byte changes. */
static __always_inline int ipv6_dec_hop_limit(struct __sk_buff *skb, const struct flow6 *f)
{
	__u8 hop_limit = f->hop_limit - 1;

	if (f->hop_limit <= 1)
		return REASON_TTL_EXCEEDED;
	if (bpf_skb_store_bytes(skb, IPV6_OFF + offsetof(struct ipv6hdr, hop_limit),
				&hop_limit, 1, 0))
		return REASON_NAT_FAILED;
	return KILN_OK;
}

#endif /* KILN_IPV6_H */
