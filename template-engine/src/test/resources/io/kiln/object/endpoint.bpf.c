/* A small endpoint-like program: two entry points, maps of several kinds, endpoint constants. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct policy_key {
	__u32 identity;
	__u16 port;
	__u8 proto;
	__u8 dir;
};

struct policy_entry {
	__u64 packets;
	__u64 bytes;
	__u32 flags : 3;
	__u32 proxy_port : 16;
	__s32 verdict;
	__u8 pad[4];
};

struct lpm_v4_key {
	struct bpf_lpm_trie_key lpm;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct policy_key);
	__type(value, struct policy_entry);
	__uint(max_entries, 1024);
} policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
	__uint(max_entries, 512);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ipcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 16);
	__uint(max_entries, 8);
} metrics SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);
	__type(value, struct policy_key);
	__uint(max_entries, 4096);
} conntrack SEC(".maps");

volatile const __u8 POLICY_MODE = 1;
volatile const __u16 ENDPOINT_ID = 0;
volatile const __u32 IDENTITY = 0;
volatile const __u64 COOKIE = 0;
volatile const __u8 ENDPOINT_IPV6[16] = {};
volatile const __u8 ENDPOINT_MAC[6] = {};

__u64 packets_seen = 0;
__u32 last_ifindex = 7;

static __always_inline int lookup(__u32 id)
{
	struct policy_key k = {
		.identity = id,
		.port = ENDPOINT_ID,
		.proto = POLICY_MODE,
		.dir = ENDPOINT_MAC[3] + ENDPOINT_IPV6[15],
	};
	struct policy_entry *e = bpf_map_lookup_elem(&policy, &k);
	__u32 zero = 0;
	__u64 cookie = COOKIE;

	bpf_map_lookup_elem(&metrics, &zero);
	bpf_map_lookup_elem(&conntrack, &cookie);
	return e ? e->verdict : 0;
}

SEC("tc")
int from_endpoint(struct __sk_buff *skb)
{
	struct lpm_v4_key key = { .lpm = { .prefixlen = 32 } };
	__u32 *v = bpf_map_lookup_elem(&ipcache, &key);

	packets_seen++;
	if (v && *v == IDENTITY)
		return TC_ACT_SHOT;
	return lookup(skb->mark) ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("xdp")
int xdp_entry(struct xdp_md *ctx)
{
	last_ifindex = ctx->ingress_ifindex;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
