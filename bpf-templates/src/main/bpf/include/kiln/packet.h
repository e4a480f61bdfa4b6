/*
 * Access to the packet's headers from tc.
 *
 * API: pkt_pull(skb, len) makes the first len bytes directly readable (false: packet shorter);
 * eth_load(skb, &proto, &src_mac) reads the Ethernet header; eth_set_addrs(skb, dst, src)
 * rewrites both MACs (as mac_load() values). VLAN tags are not parsed: such frames have
 * EtherType 0x8100 and are dropped as REASON_UNSUPPORTED_L3.
 * Callers still bounds-check every direct access against data_end: the verifier insists, and
 * pkt_pull() can fail. After any helper that changes the packet, re-read data/data_end.
 */
#ifndef KILN_PACKET_H
#define KILN_PACKET_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/drop_reasons.h"

static __always_inline bool pkt_pull(struct __sk_buff *skb, __u32 len)
{
	if ((void *)(long)skb->data + len <= (void *)(long)skb->data_end)
		return true;
	/* Headers can sit outside the linear area (GRO, some drivers): pull them in once. */
	if (skb->len < len)
		return false;
	return bpf_skb_pull_data(skb, len) == 0;
}

static __always_inline int eth_load(struct __sk_buff *skb, __be16 *proto, __u64 *src_mac)
{
	void *data, *data_end;
	struct ethhdr *eth;

	if (!pkt_pull(skb, sizeof(*eth)))
		return REASON_MALFORMED;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return REASON_MALFORMED;
	*proto = eth->h_proto;
	*src_mac = mac_load(eth->h_source);
	return KILN_OK;
}

static __always_inline int eth_set_addrs(struct __sk_buff *skb, __u64 dst, __u64 src)
{
	__u8 addrs[2 * ETH_ALEN];

	mac_store(addrs, dst);
	mac_store(addrs + ETH_ALEN, src);
	return bpf_skb_store_bytes(skb, 0, addrs, sizeof(addrs), 0);
}

#endif /* KILN_PACKET_H */
