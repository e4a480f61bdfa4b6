package io.kiln.agent.policy;

import java.util.Comparator;
import java.util.Objects;

/**
 * The key of one entry of an endpoint's policy map.
 *
 * @param identity  the peer's identity; 0 = any peer
 * @param port      destination port, host order (the dataplane stores it in network order); 0 = any.
 *                  For INGRESS the endpoint's own port, for EGRESS the peer's
 * @param protocol  IP protocol number, 6 TCP, 17 UDP, 1 ICMP; 0 = any (then port is 0 too)
 * @param direction INGRESS or EGRESS, seen from the endpoint
 */
public record PolicyKey(int identity, int port, int protocol, TrafficDirection direction)
        implements Comparable<PolicyKey> {
    private static final Comparator<PolicyKey> ORDER = Comparator.comparing(PolicyKey::direction)
            .thenComparingLong(k -> Integer.toUnsignedLong(k.identity)).thenComparingInt(PolicyKey::protocol)
            .thenComparingInt(PolicyKey::port);

    public PolicyKey {
        Objects.requireNonNull(direction, "direction");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        if (protocol < 0 || protocol > 255) {
            throw new IllegalArgumentException("protocol " + protocol);
        }
        if (protocol == 0 && port != 0) {
            throw new IllegalArgumentException("a port needs a protocol: the dataplane never looks up {port, any protocol}");
        }
    }

    /** The wildcard: any peer, any port, any protocol. */
    public static PolicyKey any(TrafficDirection direction) {
        return new PolicyKey(0, 0, 0, direction);
    }

    @Override
    public int compareTo(PolicyKey o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return direction.name().toLowerCase(java.util.Locale.ROOT) + " identity " + (identity == 0 ? "any" : identity)
                + " proto " + (protocol == 0 ? "any" : protocol) + " port " + (port == 0 ? "any" : port);
    }
}
