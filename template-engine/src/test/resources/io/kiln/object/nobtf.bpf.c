/* Compiled without -g: no BTF, so variables come from ELF symbols. No .maps (those need BTF). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

volatile const __u32 IDENTITY = 0;
volatile const __u8 ENDPOINT_MAC[6] = {};
volatile const __u16 ENDPOINT_ID = 0;

SEC("xdp")
int pass(struct xdp_md *ctx)
{
	return IDENTITY + ENDPOINT_MAC[5] + ENDPOINT_ID ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
