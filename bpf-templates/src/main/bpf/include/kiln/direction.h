/*
 * Directions, always seen from the endpoint (as Cilium does), whatever the tc hook is called.
 *
 * API: DIR_INGRESS, DIR_EGRESS. They are ABI: they appear in policy keys and in the metrics
 * index, and Java mirrors them.
 *   DIR_INGRESS  traffic the endpoint receives: to_endpoint, attached at tc *egress* of the
 *                host-side veth; for a node-interface program (xdp_prefilter), received traffic.
 *   DIR_EGRESS   traffic the endpoint sends: from_endpoint, attached at tc *ingress* of the
 *                host-side veth.
 */
#ifndef KILN_DIRECTION_H
#define KILN_DIRECTION_H

#define DIR_INGRESS	0
#define DIR_EGRESS	1

#endif /* KILN_DIRECTION_H */
