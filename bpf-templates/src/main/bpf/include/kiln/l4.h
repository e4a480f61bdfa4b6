/*
 * The transport part of a flow, common to IPv4 and IPv6.
 *
 * API: struct l4_info, l4_parse(skb, l4) with l4->proto and l4->off already set by the IP parser.
 * Ports stay in network byte order everywhere (as in the packet, policy keys and CT keys).
 * ICMP echo is tracked by its identifier: a request is (sport=id, dport=0) and a reply is
 * (sport=0, dport=id), so a reply's reversed tuple equals its request's tuple. Other ICMP
 * messages have both ports 0 and are not tracked.
 */
#ifndef KILN_L4_H
#define KILN_L4_H

#include "kiln/compiler.h"
#include "kiln/drop_reasons.h"

/* What conntrack may do with the packet. */
#define L4_CT_NONE	0	/* not tracked (ICMP errors, ND): policy decides every packet */
#define L4_CT_OPEN	1	/* tracked; a packet that misses may open a connection */
#define L4_CT_REPLY	2	/* tracked, but cannot open one (TCP RST, ICMP echo reply) */

#define TCP_FLAG_FIN	0x01
#define TCP_FLAG_SYN	0x02
#define TCP_FLAG_RST	0x04
#define TCP_FLAG_ACK	0x10

struct l4_info {
	__be16 sport;
	__be16 dport;
	__u8 proto;		/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
	__u8 tcp_flags;		/* TCP_FLAG_*: byte 13 of the TCP header */
	__u8 icmp_type;
	__u8 ct;		/* L4_CT_* */
	__u16 off;		/* offset of the transport header from skb->data (L2 start) */
};

struct l4_ports_flags {
	__be16 sport;
	__be16 dport;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff;
	__u8 flags;
};

struct l4_icmp_echo {
	__u8 type;
	__u8 code;
	__sum16 check;
	__be16 id;
};

static __always_inline int l4_parse_icmp(struct __sk_buff *skb, struct l4_info *l4,
					 __u8 echo_request, __u8 echo_reply)
{
	struct l4_icmp_echo h;

	if (bpf_skb_load_bytes(skb, l4->off, &h, sizeof(h)))
		return REASON_MALFORMED;
	l4->icmp_type = h.type;
	if (h.type == echo_request) {
		l4->sport = h.id;
		l4->ct = L4_CT_OPEN;
	} else if (h.type == echo_reply) {
		l4->dport = h.id;
		l4->ct = L4_CT_REPLY;
	}
	return KILN_OK;
}

/* ipv6 is a constant at every call site: ICMP belongs to IPv4 and ICMPv6 to IPv6 only. */
static __always_inline int l4_parse(struct __sk_buff *skb, struct l4_info *l4, bool ipv6)
{
	struct l4_ports_flags h;

	l4->sport = 0;
	l4->dport = 0;
	l4->tcp_flags = 0;
	l4->icmp_type = 0;
	l4->ct = L4_CT_NONE;

	switch (l4->proto) {
	case IPPROTO_TCP:
		if (bpf_skb_load_bytes(skb, l4->off, &h, sizeof(h)))
			return REASON_MALFORMED;
		l4->tcp_flags = h.flags;
		l4->ct = (h.flags & TCP_FLAG_RST) ? L4_CT_REPLY : L4_CT_OPEN;
		break;
	case IPPROTO_UDP:
		if (bpf_skb_load_bytes(skb, l4->off, &h, 4))
			return REASON_MALFORMED;
		l4->ct = L4_CT_OPEN;
		break;
	case IPPROTO_ICMP:
		if (ipv6)
			return REASON_UNSUPPORTED_L4;
		return l4_parse_icmp(skb, l4, ICMP_ECHO, ICMP_ECHOREPLY);
	case IPPROTO_ICMPV6:
		if (!ipv6)
			return REASON_UNSUPPORTED_L4;
		return l4_parse_icmp(skb, l4, ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY);
	default:
		return REASON_UNSUPPORTED_L4;
	}
	l4->sport = h.sport;
	l4->dport = h.dport;
	return KILN_OK;
}

#endif /* KILN_L4_H */
