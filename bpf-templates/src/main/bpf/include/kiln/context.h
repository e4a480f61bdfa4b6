/*
 * The per-packet state a tc program threads through its steps, and the only ways to end a
 * packet, so that every verdict is counted exactly once.
 *
 * API: struct kiln_ctx; ctx_init(), ctx_pass(), ctx_redirect(), ctx_reply(), ctx_drop().
 * A pass after policy audit let a would-drop through is counted as REASON_POLICY_AUDIT instead
 * of its forwarding reason (see policy.h), so audit counts are exact "would have dropped" counts.
 *
 * Tier 0 (configSource=node) counts into the endpoint's own `metrics` map, found in the node map
 * of maps `metrics_maps` under the endpoint id: the very map its tier-1 program counts into, so
 * the counters go on across the swap. A packet tier 0 cannot attribute (no endpoint_configs entry
 * for the interface, or no metrics map registered for the endpoint) is counted in the node map
 * `unattributed_metrics` (same layout as `metrics`). Tier 1 never touches either map.
 *
 * With flowEvents=on every dropped packet also sends a drop event (flows.h), with the tuple the
 * program noted through ctx_note_flow4() / ctx_note_flow6() if it got that far.
 */
#ifndef KILN_CONTEXT_H
#define KILN_CONTEXT_H

#include "kiln/compiler.h"
#include "kiln/config.h"
#include "kiln/metrics.h"
#include "kiln/flows.h"

/* Node-wide: endpoint id -> that endpoint's `metrics` map (tier 0 only). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, ENDPOINTS_SIZE);
	__array(values, struct metrics_map);
} metrics_maps SEC(".maps");

/* Node-wide: what tier 0 could not count under an endpoint. */
struct metrics_map unattributed_metrics SEC(".maps");

struct kiln_ctx {
	struct __sk_buff *skb;
	const struct endpoint_config *cfg;	/* config.h; NULL in the constants build, and in the
						 * node build when the interface has no entry */
	__u8 dir;				/* DIR_INGRESS or DIR_EGRESS */
	bool audited;				/* policy audit passed a would-drop */
	__u64 now;				/* conntrack.h: ct_start() */
#ifdef FLOW_EVENTS
	const struct flow4 *f4;			/* the packet's parsed tuple, for drop events */
	const void *f6;				/* (flows.h); NULL until parsed */
#endif
};

/* After the IP header is parsed: drop events carry the tuple (flows.h). No code with flowEvents=off. */
#ifdef FLOW_EVENTS
#define ctx_note_flow4(c, f)	((c)->f4 = (f))
#define ctx_note_flow6(c, f)	((c)->f6 = (f))
#else
#define ctx_note_flow4(c, f)	do { } while (0)
#define ctx_note_flow6(c, f)	do { } while (0)
#endif

static __always_inline int ctx_init(struct kiln_ctx *c, struct __sk_buff *skb, __u8 dir)
{
	c->skb = skb;
	c->dir = dir;
	c->audited = false;
	c->now = 0;
#ifdef FLOW_EVENTS
	c->f4 = NULL;
	c->f6 = NULL;
#endif
	return config_load(skb, &c->cfg);
}

static __always_inline int ctx_finish(struct kiln_ctx *c, __u32 reason, int action)
{
	if (c->audited && !REASON_IS_DROP(reason))
		reason = REASON_POLICY_AUDIT;
#ifdef FLOW_EVENTS
	if (REASON_IS_DROP(reason)) {
#ifdef CONFIG_SOURCE_NODE
		__u16 endpoint_id = c->cfg ? c->cfg->endpoint_id : 0;
#else
		__u16 endpoint_id = ENDPOINT_ID;
#endif
		flow_drop(endpoint_id, c->dir, reason, c->now, c->f4, c->f6);
	}
#endif
#ifdef CONFIG_SOURCE_NODE
	void *map = NULL;

	if (c->cfg) {
		__u32 id = c->cfg->endpoint_id;

		map = bpf_map_lookup_elem(&metrics_maps, &id);
	}
	metrics_add(map ? map : (void *)&unattributed_metrics, reason, c->dir, c->skb->len);
#else
	metrics_count(reason, c->dir, c->skb->len);
#endif
	return action;
}

/* Hand the packet on: to the stack from from_endpoint, to the endpoint from to_endpoint. */
static __always_inline int ctx_pass(struct kiln_ctx *c)
{
	return ctx_finish(c, REASON_FORWARDED, TC_ACT_OK);
}

/* Send the packet out of another interface (the egress of a local endpoint's host veth). */
static __always_inline int ctx_redirect(struct kiln_ctx *c, __u32 ifindex)
{
	return ctx_finish(c, REASON_REDIRECTED, bpf_redirect(ifindex, 0));
}

/* Send an answer built in place (ARP) back to the endpoint through its own host veth. */
static __always_inline int ctx_reply(struct kiln_ctx *c, __u32 reason)
{
	return ctx_finish(c, reason, bpf_redirect(cfg_endpoint_ifindex(c->cfg), 0));
}

static __always_inline int ctx_drop(struct kiln_ctx *c, __u32 reason)
{
	return ctx_finish(c, reason, TC_ACT_SHOT);
}

#endif /* KILN_CONTEXT_H */
