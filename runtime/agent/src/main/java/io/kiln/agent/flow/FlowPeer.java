package io.kiln.agent.flow;

import java.net.InetAddress;
import java.util.SortedMap;

/**
 * One side of a flow as the agent knows it: address and port, the security identity of the
 * address (0 when the agent knows none), and when the address is a local endpoint's, its id,
 * name (the host-side interface) and labels.
 */
public record FlowPeer(InetAddress address, int port, int identity, Integer endpointId, String name,
                       SortedMap<String, String> labels) {
    public FlowPeer {
        labels = labels == null ? new java.util.TreeMap<>() : java.util.Collections.unmodifiableSortedMap(
                new java.util.TreeMap<>(labels));
    }

    /** The address as text, or "" when the event had none (dropped before the IP header was read). */
    public String ip() {
        return address == null ? "" : address.getHostAddress();
    }
}
