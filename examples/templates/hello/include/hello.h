/* hello.h: counter slots and the counting helper of the hello template. */
#ifndef HELLO_H
#define HELLO_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Slots of the counters map. Slots from HELLO_SLOT_FIRST_PROTO on count IPv4 packets by protocol. */
#define HELLO_SLOT_PACKETS	0
#define HELLO_SLOT_DROPPED	1
#define HELLO_SLOT_FIRST_PROTO	2

static __always_inline void hello_count(void *counters, __u32 slot)
{
	__u64 *value = bpf_map_lookup_elem(counters, &slot);

	if (value)
		*value += 1;
}

#endif /* HELLO_H */
