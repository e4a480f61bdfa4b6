/*
 * Per-reason packet and byte counters.
 *
 * API: map `metrics`, metrics_count(reason, dir, bytes).
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct metrics_value);
	__uint(max_entries, 2 * KILN_REASON_MAX);
} metrics SEC(".maps");

static __always_inline void metrics_count(__u32 reason, __u32 dir, __u32 bytes)
{
	__u32 slot = dir * KILN_REASON_MAX + reason;
	struct metrics_value *v = bpf_map_lookup_elem(&metrics, &slot);

	if (v) {
		v->packets++;
		v->bytes += bytes;
	}
}

#endif /* KILN_METRICS_H */
