/*
 * Address types shared by maps and parsers.
 *
 * API: union v6addr (16 bytes, network byte order), struct lpm4_key and lpm6_key (keys of
 * longest-prefix-match maps: prefixlen in host order, then the address), v6addr_equal(),
 * mac_load() (a 6-byte MAC
 * as the low 48 bits of a u64, byte 0 in bits 0..7, so two MACs compare with one `==`),
 * mac_store().
 */
#ifndef KILN_ADDR_H
#define KILN_ADDR_H

#include "kiln/compiler.h"

/* No 64-bit member: 4-byte alignment lets it follow a __u32 in a map key without padding. */
union v6addr {
	__u8 addr[16];
	__be32 p[4];
};
KILN_ASSERT_SIZE(union v6addr, 16);

struct lpm4_key {
	__u32 prefixlen;	/* host order, 0..32 */
	__be32 addr;
};
KILN_ASSERT_SIZE(struct lpm4_key, 8);

struct lpm6_key {
	__u32 prefixlen;	/* host order, 0..128 */
	union v6addr addr;
};
KILN_ASSERT_SIZE(struct lpm6_key, 20);

static __always_inline bool v6addr_equal(const volatile union v6addr *a,
					 const volatile union v6addr *b)
{
	return a->p[0] == b->p[0] && a->p[1] == b->p[1] && a->p[2] == b->p[2] && a->p[3] == b->p[3];
}

/* volatile: the source may be a .rodata constant; the verifier still folds each byte load. */
static __always_inline __u64 mac_load(const volatile __u8 *m)
{
	return (__u64)m[0] | (__u64)m[1] << 8 | (__u64)m[2] << 16 | (__u64)m[3] << 24 |
	       (__u64)m[4] << 32 | (__u64)m[5] << 40;
}

static __always_inline void mac_store(__u8 *dst, __u64 mac)
{
	dst[0] = mac;
	dst[1] = mac >> 8;
	dst[2] = mac >> 16;
	dst[3] = mac >> 24;
	dst[4] = mac >> 32;
	dst[5] = mac >> 40;
}

#endif /* KILN_ADDR_H */
