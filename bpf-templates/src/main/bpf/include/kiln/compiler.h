/*
 * Common includes and attributes for every Kiln template.
 *
 * API: includes the kernel UAPI headers the dataplane needs and libbpf's BPF-side headers;
 * defines likely()/unlikely() and KILN_ASSERT_SIZE() to lock map layouts that Java mirrors.
 * Every other kiln/ header includes this one first, so a header compiles on its own.
 */
#ifndef KILN_COMPILER_H
#define KILN_COMPILER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Not from <linux/icmp.h>: it pulls in libc's socket headers, which do not build for BPF. */
#define ICMP_ECHOREPLY	0
#define ICMP_ECHO	8

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

/* Map keys and values are read and written by Java (the runtime, tests): a layout change
 * must fail the build here, not corrupt a map at run time. */
#define KILN_ASSERT_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), #type " layout is mirrored in Java: update both")

#endif /* KILN_COMPILER_H */
