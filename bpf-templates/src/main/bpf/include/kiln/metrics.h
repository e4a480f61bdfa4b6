/*
 * Per-reason packet and byte counters.
 *
 * API: map `metrics`, metrics_count(reason, dir, bytes); metrics_add(map, reason, dir, bytes) for
 * a map of the same type reached another way (tier 0 finds the endpoint's own `metrics` through
 * a map of maps, context.h); struct metrics_map is the type, for a map of maps to name.
 * The map is per-CPU (no atomics on the hot path); a reader sums the CPUs' values.
 * Slot index = dir * KILN_REASON_MAX + reason (direction.h, drop_reasons.h).
 * Always compiled in: every packet is counted once, under the reason of its final verdict.
 */
#ifndef KILN_METRICS_H
#define KILN_METRICS_H

#include "kiln/compiler.h"
#include "kiln/direction.h"
#include "kiln/drop_reasons.h"

struct metrics_value {
	__u64 packets;
	__u64 bytes;		/* skb->len (tc) or frame length (XDP): L2 header included */
};
KILN_ASSERT_SIZE(struct metrics_value, 16);

struct metrics_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct metrics_value);
	__uint(max_entries, 2 * KILN_REASON_MAX);
};

struct metrics_map metrics SEC(".maps");

static __always_inline void metrics_add(void *map, __u32 reason, __u32 dir, __u32 bytes)
{
	__u32 slot = dir * KILN_REASON_MAX + reason;
	struct metrics_value *v = bpf_map_lookup_elem(map, &slot);

	if (v) {
		v->packets++;
		v->bytes += bytes;
	}
}

static __always_inline void metrics_count(__u32 reason, __u32 dir, __u32 bytes)
{
	metrics_add(&metrics, reason, dir, bytes);
}

#endif /* KILN_METRICS_H */
