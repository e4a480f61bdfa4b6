/*
 * IPv6 neighbour-discovery responder, the IPv6 twin of arp.h: the endpoint resolves every other
 * address on its link (its gateway, the node's other endpoints, anything it believes on-link) to
 * NODE_MAC, so the host side needs no address, no proxy NDP and no routes towards the endpoint.
 *
 * API: nd_from_endpoint(c, f) handles an ND message the endpoint sent and ends the packet.
 * A neighbour solicitation from the endpoint (source its own address or a link-local one, hop
 * limit 255, no extension headers, exactly one source link-layer option carrying the endpoint's
 * MAC) for any unicast target other than its own address is answered in place with a solicited,
 * overriding neighbour advertisement for NODE_MAC and sent back through the endpoint's host veth
 * (REASON_ND_REPLIED). Duplicate-address detection (source ::), a solicitation for its own address
 * or a multicast one, and every other ND message (router solicitation, advertisements) go to the
 * stack unchanged, as ARP does. A solicitation whose link-layer option names another MAC is
 * REASON_SPOOFED_MAC. Only in the ipv6 build.
 */
#ifndef KILN_ND_H
#define KILN_ND_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/context.h"
#include "kiln/ipv6.h"

#define ND_OPT_SOURCE_LL	1
#define ND_OPT_TARGET_LL	2
#define ND_NA_FLAGS_SOLICITED_OVERRIDE	bpf_htonl(0x60000000)

/* A solicitation with one link-layer option, and the advertisement made from it: same size. */
struct nd_msg {
	__u8 type;
	__u8 code;
	__be16 csum;
	__be32 flags;		/* reserved in a solicitation; R|S|O in an advertisement */
	union v6addr target;
	__u8 opt_type;
	__u8 opt_len;		/* in 8-byte units */
	__u8 opt_mac[ETH_ALEN];
};
KILN_ASSERT_SIZE(struct nd_msg, 32);

#define ND_IP_OFF	ETH_HLEN
#define ND_MSG_OFF	(ETH_HLEN + sizeof(struct ipv6hdr))

/* The ICMPv6 checksum of msg (csum 0) sent from src to dst: the pseudo-header, then the message.
 * One's-complement sums do not care about byte order as long as words are summed as stored. */
static __always_inline __be16 nd_csum(const union v6addr *src, const union v6addr *dst,
				      const struct nd_msg *msg)
{
	const __u16 *w;
	__u32 sum = 0;
	int i;

	w = (const __u16 *)src;
#pragma unroll
	for (i = 0; i < 8; i++)
		sum += w[i];
	w = (const __u16 *)dst;
#pragma unroll
	for (i = 0; i < 8; i++)
		sum += w[i];
	sum += bpf_htons(sizeof(struct nd_msg));
	sum += bpf_htons(IPPROTO_ICMPV6);
	w = (const __u16 *)msg;
#pragma unroll
	for (i = 0; i < (int)(sizeof(*msg) / 2); i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__be16)~sum;
}

static __always_inline bool nd_link_local(const union v6addr *a)
{
	return (a->addr[0] == 0xfe) && ((a->addr[1] & 0xc0) == 0x80);
}

static __always_inline bool nd_unspecified(const union v6addr *a)
{
	return (a->p[0] | a->p[1] | a->p[2] | a->p[3]) == 0;
}

static __always_inline int nd_from_endpoint(struct kiln_ctx *c, const struct flow6 *f)
{
	struct ipv6hdr ip6;
	struct nd_msg msg;
	union v6addr src, dst;
	__u64 node_mac;
	__u8 eth[2 * ETH_ALEN];

	if (f->l4.icmp_type != ICMPV6_ND_NS || f->l4.off != ND_MSG_OFF)
		return ctx_pass(c);
	if (bpf_skb_load_bytes(c->skb, ND_IP_OFF, &ip6, sizeof(ip6)) ||
	    bpf_skb_load_bytes(c->skb, ND_MSG_OFF, &msg, sizeof(msg)))
		return ctx_pass(c);	/* shorter than a solicitation with its option: not ours */
	if (ip6.payload_len != bpf_htons(sizeof(msg)) || ip6.hop_limit != 255 || msg.code != 0 ||
	    msg.opt_type != ND_OPT_SOURCE_LL || msg.opt_len != 1)
		return ctx_pass(c);
	__builtin_memcpy(&src, &ip6.saddr, sizeof(src));
	if (nd_unspecified(&src))
		return ctx_pass(c);	/* duplicate-address detection: never answer it */
	if (!nd_link_local(&src) && !cfg_is_endpoint_ipv6(c->cfg, &src))
		return ctx_drop(c, REASON_SPOOFED_IP);
	if (mac_load(msg.opt_mac) != cfg_endpoint_mac(c->cfg))
		return ctx_drop(c, REASON_SPOOFED_MAC);
	if (msg.target.addr[0] == 0xff || nd_unspecified(&msg.target) ||
	    cfg_is_endpoint_ipv6(c->cfg, &msg.target))
		return ctx_pass(c);

	/* Advertise target -> NODE_MAC, from the target to the asker. */
	node_mac = cfg_node_mac(c->cfg);
	__builtin_memcpy(&dst, &src, sizeof(dst));
	__builtin_memcpy(&src, &msg.target, sizeof(src));
	msg.type = ICMPV6_ND_NA;
	msg.csum = 0;
	msg.flags = ND_NA_FLAGS_SOLICITED_OVERRIDE;
	msg.opt_type = ND_OPT_TARGET_LL;
	mac_store(msg.opt_mac, node_mac);
	msg.csum = nd_csum(&src, &dst, &msg);

	mac_store(eth, cfg_endpoint_mac(c->cfg));
	mac_store(eth + ETH_ALEN, node_mac);
	if (bpf_skb_store_bytes(c->skb, 0, eth, sizeof(eth), 0) ||
	    bpf_skb_store_bytes(c->skb, ND_IP_OFF + offsetof(struct ipv6hdr, saddr), &src, sizeof(src), 0) ||
	    bpf_skb_store_bytes(c->skb, ND_IP_OFF + offsetof(struct ipv6hdr, daddr), &dst, sizeof(dst), 0) ||
	    bpf_skb_store_bytes(c->skb, ND_MSG_OFF, &msg, sizeof(msg), 0))
		return ctx_drop(c, REASON_NAT_FAILED);
	return ctx_reply(c, REASON_ND_REPLIED);
}

#endif /* KILN_ND_H */
