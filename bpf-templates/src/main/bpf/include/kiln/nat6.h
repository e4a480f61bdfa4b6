/*
 * Rewriting an IPv6 TCP/UDP packet's address and port with the L4 checksum kept right.
 *
 * API: nat6_rewrite(skb, f, dest, addr, port): sets the destination (dest) or the source address
 * and port of the packet to addr:port and updates f to match. Used by lb.h for IPv6 services.
 * IPv6 has no header checksum; the L4 checksum covers the addresses through the pseudo-header:
 * the difference of the 16 address bytes (bpf_csum_diff) goes in with BPF_F_PSEUDO_HDR, so the
 * kernel also handles CHECKSUM_PARTIAL skbs. A UDP checksum is mandatory over IPv6 (RFC 8200);
 * one of 0 is left as it came (BPF_F_MARK_MANGLED_0), the receiver's stack judges it.
 */
#ifndef KILN_NAT6_H
#define KILN_NAT6_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/drop_reasons.h"
#include "kiln/ipv6.h"

static __always_inline int nat6_rewrite(struct __sk_buff *skb, struct flow6 *f, bool dest,
					const union v6addr *addr, __be16 port)
{
	__u32 addr_off = IPV6_OFF + (dest ? offsetof(struct ipv6hdr, daddr)
					  : offsetof(struct ipv6hdr, saddr));
	__u32 port_off = f->l4.off + (dest ? offsetof(struct udphdr, dest)
					   : offsetof(struct udphdr, source));
	union v6addr *old_addr = dest ? &f->daddr : &f->saddr;
	__be16 old_port = dest ? f->l4.dport : f->l4.sport;
	union v6addr new_addr = *addr;
	__u32 csum_off;
	__u64 flags;
	__s64 diff;

	if (f->l4.proto == IPPROTO_TCP) {
		csum_off = f->l4.off + offsetof(struct tcphdr, check);
		flags = 0;
	} else if (f->l4.proto == IPPROTO_UDP) {
		csum_off = f->l4.off + offsetof(struct udphdr, check);
		flags = BPF_F_MARK_MANGLED_0;
	} else {
		return REASON_NAT_FAILED;
	}

	if (!v6addr_equal(old_addr, &new_addr)) {
		diff = bpf_csum_diff(old_addr->p, sizeof(*old_addr), new_addr.p, sizeof(new_addr), 0);
		if (diff < 0 ||
		    bpf_l4_csum_replace(skb, csum_off, 0, diff, flags | BPF_F_PSEUDO_HDR) ||
		    bpf_skb_store_bytes(skb, addr_off, &new_addr, sizeof(new_addr), 0))
			return REASON_NAT_FAILED;
	}
	if (port != old_port) {
		if (bpf_l4_csum_replace(skb, csum_off, old_port, port, flags | sizeof(port)) ||
		    bpf_skb_store_bytes(skb, port_off, &port, sizeof(port), 0))
			return REASON_NAT_FAILED;
	}

	if (dest) {
		f->daddr = new_addr;
		f->l4.dport = port;
	} else {
		f->saddr = new_addr;
		f->l4.sport = port;
	}
	return KILN_OK;
}

#endif /* KILN_NAT6_H */
