/* Exercises the BTF kinds clang 14 emits, a sub-program in .text, a static constant and a custom .rodata section. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __user_tag __attribute__((btf_type_tag("user")))

enum verdict { V_ALLOW = 1, V_DENY = -2 };
struct undefined_thing;

struct kinds {
	float ratio;
	double big;
	enum verdict v;
	union { __u32 word; __u8 bytes[4]; } u;
	struct { __u16 a; __s16 b; } nested;
	__u32 matrix[2][3];
	int (*cb)(void *ctx, ...);
	struct undefined_thing *fwd;
	int __user_tag *tagged;
	__s8 small : 4 __attribute__((btf_decl_tag("member_tag")));
	__u64 rest : 60;
} __attribute__((btf_decl_tag("struct_tag")));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct kinds);
	__uint(max_entries, 1);
} kmap SEC(".maps");

static volatile const __u32 HIDDEN = 3;
const volatile __u32 CONFIG_VALUE SEC(".rodata.config") = 9;

__attribute__((noinline)) int helper(int *restrict p)
{
	return *p + HIDDEN + CONFIG_VALUE;
}

SEC("tcx/ingress")
int ingress(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct kinds *v = bpf_map_lookup_elem(&kmap, &k);
	int x = 1;

	return v ? helper(&x) + (int)v->v : 0;
}

char LICENSE[] SEC("license") = "GPL";
