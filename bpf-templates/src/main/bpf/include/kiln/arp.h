/*
 * ARP responder: the endpoint resolves its gateway and the other endpoints of the node to
 * NODE_MAC, so it needs neither host routes nor proxy ARP on the host side.
 *
 * API: arp_from_endpoint(c) handles an ARP frame the endpoint sent and ends the packet.
 * A request from the endpoint (sender = its own address and MAC, else SPOOFED_IP/SPOOFED_MAC)
 * for GATEWAY_IPV4 or for an address in `endpoints` other than its own is answered in place and
 * sent back through the endpoint's host veth (REASON_ARP_REPLIED). Anything else (a request for
 * another address, a probe with sender 0.0.0.0, a gratuitous ARP, a reply to the host) goes to
 * the stack unchanged. In to_endpoint ARP simply passes: it comes from the host or from here.
 * Always compiled in (IPv4 is required).
 */
#ifndef KILN_ARP_H
#define KILN_ARP_H

#include "kiln/compiler.h"
#include "kiln/addr.h"
#include "kiln/context.h"
#include "kiln/local.h"
#include "kiln/packet.h"

#define ARP_HRD_ETHER	1
#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2

struct arp_eth_ipv4 {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));
KILN_ASSERT_SIZE(struct arp_eth_ipv4, 28);

static __always_inline bool arp_answers_for(struct kiln_ctx *c, __be32 target)
{
	if (target == cfg_endpoint_ipv4(c->cfg))
		return false;
	return target == cfg_gateway_ipv4(c->cfg) || local4_lookup(target);
}

static __always_inline int arp_from_endpoint(struct kiln_ctx *c)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct arp_eth_ipv4 *arp;
	__be32 sender, target;
	__u64 requester, node_mac;

	if (!pkt_pull(c->skb, sizeof(*eth) + sizeof(*arp)))
		return ctx_drop(c, REASON_MALFORMED);
	data = (void *)(long)c->skb->data;
	data_end = (void *)(long)c->skb->data_end;
	eth = data;
	arp = (void *)(eth + 1);
	if ((void *)(arp + 1) > data_end)
		return ctx_drop(c, REASON_MALFORMED);
	if (arp->htype != bpf_htons(ARP_HRD_ETHER) || arp->ptype != bpf_htons(ETH_P_IP) ||
	    arp->hlen != ETH_ALEN || arp->plen != 4)
		return ctx_drop(c, REASON_MALFORMED);

	requester = mac_load(arp->sha);
	sender = arp->spa;
	target = arp->tpa;
	if (requester != cfg_endpoint_mac(c->cfg))
		return ctx_drop(c, REASON_SPOOFED_MAC);
	if (sender != 0 && sender != cfg_endpoint_ipv4(c->cfg))
		return ctx_drop(c, REASON_SPOOFED_IP);
	if (arp->op != bpf_htons(ARP_OP_REQUEST) || sender == 0 || !arp_answers_for(c, target))
		return ctx_pass(c);

	/* The map lookup above does not move the packet: eth and arp are still valid. */
	node_mac = cfg_node_mac(c->cfg);
	mac_store(eth->h_dest, requester);
	mac_store(eth->h_source, node_mac);
	arp->op = bpf_htons(ARP_OP_REPLY);
	mac_store(arp->tha, requester);
	arp->tpa = sender;
	mac_store(arp->sha, node_mac);
	arp->spa = target;
	return ctx_reply(c, REASON_ARP_REPLIED);
}

#endif /* KILN_ARP_H */
