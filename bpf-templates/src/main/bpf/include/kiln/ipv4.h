/*
 * IPv4 flows: parsing and the header rewrites forwarding needs.
 *
 * API: struct flow4; ipv4_parse(skb, f); ipv4_dec_ttl(skb, f).
 * IPv4 is always compiled in. Options are skipped (the transport header is found through IHL);
 * fragments are dropped with REASON_FRAGMENT, because only a first fragment has ports.
 */
#ifndef KILN_IPV4_H
#define KILN_IPV4_H

#include "kiln/compiler.h"
#include "kiln/drop_reasons.h"
#include "kiln/packet.h"
#include "kiln/l4.h"

#define IPV4_OFF	ETH_HLEN
#define IPV4_FRAG_MASK	0x3fff		/* MF flag and fragment offset, host order */

struct flow4 {
	__be32 saddr;
	__be32 daddr;
	__u8 ttl;
	struct l4_info l4;
};

static __always_inline int ipv4_parse(struct __sk_buff *skb, struct flow4 *f)
{
	void *data, *data_end;
	struct iphdr *ip;

	if (!pkt_pull(skb, IPV4_OFF + sizeof(*ip)))
		return REASON_MALFORMED;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	ip = data + IPV4_OFF;
	if ((void *)(ip + 1) > data_end)
		return REASON_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return REASON_MALFORMED;
	if (ip->frag_off & bpf_htons(IPV4_FRAG_MASK))
		return REASON_FRAGMENT;

	f->saddr = ip->saddr;
	f->daddr = ip->daddr;
	f->ttl = ip->ttl;
	f->l4.proto = ip->protocol;
	f->l4.off = IPV4_OFF + ip->ihl * 4;
	return l4_parse(skb, &f->l4, false);
}

/* Forwarding to a local endpoint is routing: the TTL goes down by one, as the stack would do. */
static __always_inline int ipv4_dec_ttl(struct __sk_buff *skb, const struct flow4 *f)
{
	__u8 ttl = f->ttl - 1;

	if (f->ttl <= 1)
		return REASON_TTL_EXCEEDED;
	/* The checksum covers 16-bit words; TTL is the high byte of its word with the protocol,
	 * whose part of the difference cancels out. */
	if (bpf_l3_csum_replace(skb, IPV4_OFF + offsetof(struct iphdr, check),
				bpf_htons((__u16)f->ttl << 8), bpf_htons((__u16)ttl << 8), 2))
		return REASON_NAT_FAILED;
	if (bpf_skb_store_bytes(skb, IPV4_OFF + offsetof(struct iphdr, ttl), &ttl, 1, 0))
		return REASON_NAT_FAILED;
	return KILN_OK;
}

#endif /* KILN_IPV4_H */
