/*
 * The one list of verdict reasons: every packet a Kiln program handles is counted under exactly
 * one of these (metrics.h), whether it is passed on or dropped.
 *
 * API: the REASON_* numbers, REASON_IS_DROP(r), KILN_REASON_MAX, KILN_OK.
 *   0..7   the packet went on (passed, redirected, answered);
 *   8..63  the packet was dropped.
 * The numbers are ABI: they index the metrics maps, and Java mirrors this list. Never renumber
 * or reuse a value; add new reasons at the end of their range. Only reasons are spelled
 * REASON_<NAME>, one per line as `#define REASON_<NAME> <number>` followed by a one-line
 * comment, so the Java mirror can be generated from, and checked against, this file.
 */
#ifndef KILN_DROP_REASONS_H
#define KILN_DROP_REASONS_H

/* The packet went on. */
#define REASON_FORWARDED        0 /* passed on: to the kernel stack, or delivered to the endpoint */
#define REASON_REDIRECTED       1 /* sent straight to a local endpoint's interface */
#define REASON_ARP_REPLIED      2 /* ARP request answered with NODE_MAC, reply sent to the endpoint */
#define REASON_POLICY_AUDIT     3 /* policy would drop it; passed because policyMode=audit */
#define REASON_PREFILTER_AUDIT  4 /* source is on the prefilter deny-list; passed because AUDIT_ONLY */
#define REASON_ND_REPLIED       5 /* IPv6 neighbour solicitation answered with NODE_MAC, advertisement sent to the endpoint */

/* The packet was dropped. */
#define REASON_POLICY_DENIED    8 /* no policy entry allows it (default deny) */
#define REASON_POLICY_DENY_RULE 9 /* a deny entry matched (deny beats allow) */
#define REASON_MALFORMED       10 /* truncated or invalid header */
#define REASON_UNSUPPORTED_L3  11 /* EtherType not handled by this build */
#define REASON_UNSUPPORTED_L4  12 /* IP protocol or IPv6 extension header not handled */
#define REASON_FRAGMENT        13 /* IP fragment: fragments are not tracked */
#define REASON_SPOOFED_IP      14 /* source address is not the endpoint's own */
#define REASON_SPOOFED_MAC     15 /* source MAC address is not the endpoint's own */
#define REASON_NO_BACKEND      16 /* the service has no backend for this flow */
#define REASON_TTL_EXCEEDED    17 /* TTL or hop limit too low to forward */
#define REASON_CT_CREATE_FAILED 18 /* a conntrack entry could not be created */
#define REASON_NAT_FAILED      19 /* packet rewrite or checksum update failed */
#define REASON_CONFIG_MISSING  20 /* tier 0: no endpoint_configs entry for the packet's interface */
#define REASON_PREFILTER_DENIED 21 /* source address is on the prefilter deny-list */
#define REASON_POLICY_MAP_MISSING 22 /* tier 0: no policy map registered for the endpoint in policy_maps */

#define KILN_REASON_FIRST_DROP  8
#define KILN_REASON_MAX        64 /* exclusive bound: the metrics map has this many slots per direction */

#define REASON_IS_DROP(r)	((r) >= KILN_REASON_FIRST_DROP)

/* Steps of a program return KILN_OK to go on, or a drop reason (never 0, see above). */
#define KILN_OK                 0

#endif /* KILN_DROP_REASONS_H */
