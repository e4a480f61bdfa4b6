// Emits one record per run into a ring buffer: a sequence number and the packet's length.
// A reserve that fails (ring full) is counted in kt_rb_lost, like the endpoint template's flow_lost.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct kt_record {
	__u32 seq;
	__u32 len;
	__u64 marker;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} kt_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);	/* 0: next sequence number, 1: records lost */
} kt_rb_state SEC(".maps");

SEC("tc")
int kt_ringbuf(struct __sk_buff *skb)
{
	__u32 k_seq = 0, k_lost = 1;
	__u64 *seq = bpf_map_lookup_elem(&kt_rb_state, &k_seq);
	__u64 *lost = bpf_map_lookup_elem(&kt_rb_state, &k_lost);
	struct kt_record *r;

	if (!seq || !lost)
		return TC_ACT_OK;
	r = bpf_ringbuf_reserve(&kt_ring, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(lost, 1);
		return TC_ACT_OK;
	}
	r->seq = __sync_fetch_and_add(seq, 1);
	r->len = skb->len;
	r->marker = 0x6b696c6e72696e67ULL;	/* "kilnring" */
	bpf_ringbuf_submit(r, 0);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
