/*
 * The flow hash that picks a service backend.
 *
 * API: flow_hash4(saddr, daddr, sport, dport, proto), flow_hash6(saddr, daddr, sport, dport, proto).
 * It is MurmurHash3 x86_32 with seed 0 over 16 bytes: four little-endian u32 words
 *   ntohl(saddr), ntohl(daddr), ntohs(sport) << 16 | ntohs(dport), proto
 * so Java (any standard murmur3_32 over those bytes) can predict the backend a test flow gets.
 * flow_hash6 is the same over 40 bytes: the four words of each address (ntohl of each 32-bit
 * part, in address order), then the ports word and proto.
 * Unlike the skb hash (bpf_get_hash_recalc) it does not depend on the kernel or the device.
 */
#ifndef KILN_HASH_H
#define KILN_HASH_H

#include "kiln/compiler.h"
#include "kiln/addr.h"

static __always_inline __u32 hash_rotl32(__u32 x, __u32 r)
{
	return (x << r) | (x >> (32 - r));
}

static __always_inline __u32 murmur3_round(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51;
	k = hash_rotl32(k, 15);
	k *= 0x1b873593;
	h ^= k;
	h = hash_rotl32(h, 13);
	return h * 5 + 0xe6546b64;
}

static __always_inline __u32 murmur3_finish(__u32 h, __u32 len)
{
	h ^= len;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline __u32 flow_hash4(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport,
					__u8 proto)
{
	__u32 h = 0;

	h = murmur3_round(h, bpf_ntohl(saddr));
	h = murmur3_round(h, bpf_ntohl(daddr));
	h = murmur3_round(h, (__u32)bpf_ntohs(sport) << 16 | bpf_ntohs(dport));
	h = murmur3_round(h, proto);
	return murmur3_finish(h, 16);
}

static __always_inline __u32 flow_hash6(const union v6addr *saddr, const union v6addr *daddr,
					__be16 sport, __be16 dport, __u8 proto)
{
	__u32 h = 0;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++)
		h = murmur3_round(h, bpf_ntohl(saddr->p[i]));
#pragma unroll
	for (i = 0; i < 4; i++)
		h = murmur3_round(h, bpf_ntohl(daddr->p[i]));
	h = murmur3_round(h, (__u32)bpf_ntohs(sport) << 16 | bpf_ntohs(dport));
	h = murmur3_round(h, proto);
	return murmur3_finish(h, 40);
}

#endif /* KILN_HASH_H */
