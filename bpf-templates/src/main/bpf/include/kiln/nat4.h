/*
 * Rewriting an IPv4 TCP/UDP packet's address and port with both checksums kept right.
 *
 * API: nat4_rewrite(skb, f, dest, addr, port): sets the destination (dest) or the source address
 * and port of the packet to addr:port and updates f to match. Used by lb.h (DNAT on the way out,
 * reverse NAT on the way back); with loadBalancing=false nothing calls it.
 * The kernel helpers do the arithmetic and handle CHECKSUM_PARTIAL skbs (veth traffic usually
 * is): the L4 checksum covers the addresses through the pseudo-header (BPF_F_PSEUDO_HDR), and a
 * UDP checksum of 0 ("none") stays 0 (BPF_F_MARK_MANGLED_0).
 */
#ifndef KILN_NAT4_H
#define KILN_NAT4_H

#include "kiln/compiler.h"
#include "kiln/drop_reasons.h"
#include "kiln/ipv4.h"

static __always_inline int nat4_rewrite(struct __sk_buff *skb, struct flow4 *f, bool dest,
					__be32 addr, __be16 port)
{
	__u32 addr_off = IPV4_OFF + (dest ? offsetof(struct iphdr, daddr)
					  : offsetof(struct iphdr, saddr));
	__u32 port_off = f->l4.off + (dest ? offsetof(struct udphdr, dest)
					   : offsetof(struct udphdr, source));
	__be32 old_addr = dest ? f->daddr : f->saddr;
	__be16 old_port = dest ? f->l4.dport : f->l4.sport;
	__u32 csum_off;
	__u64 flags;

	if (f->l4.proto == IPPROTO_TCP) {
		csum_off = f->l4.off + offsetof(struct tcphdr, check);
		flags = 0;
	} else if (f->l4.proto == IPPROTO_UDP) {
		csum_off = f->l4.off + offsetof(struct udphdr, check);
		flags = BPF_F_MARK_MANGLED_0;
	} else {
		return REASON_NAT_FAILED;
	}

	if (addr != old_addr) {
		if (bpf_l4_csum_replace(skb, csum_off, old_addr, addr,
					flags | BPF_F_PSEUDO_HDR | sizeof(addr)) ||
		    bpf_l3_csum_replace(skb, IPV4_OFF + offsetof(struct iphdr, check),
					old_addr, addr, sizeof(addr)) ||
		    bpf_skb_store_bytes(skb, addr_off, &addr, sizeof(addr), 0))
			return REASON_NAT_FAILED;
	}
	if (port != old_port) {
		if (bpf_l4_csum_replace(skb, csum_off, old_port, port, flags | sizeof(port)) ||
		    bpf_skb_store_bytes(skb, port_off, &port, sizeof(port), 0))
			return REASON_NAT_FAILED;
	}

	if (dest) {
		f->daddr = addr;
		f->l4.dport = port;
	} else {
		f->saddr = addr;
		f->l4.sport = port;
	}
	return KILN_OK;
}

#endif /* KILN_NAT4_H */
