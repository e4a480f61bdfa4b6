package io.kiln.agent.spec;

import java.util.List;
import java.util.Objects;

/**
 * A port a policy rule allows or denies: {@code port} 0 means every port of the protocol;
 * {@link Protocol#ANY} means TCP and UDP for a given port, and every protocol for port 0.
 * ICMP has no ports: its port is always 0.
 *
 * <p>{@code dns} (egress, port 53, UDP or ANY only; null when the spec has none) are DNS rules on
 * queries: the names an endpoint the policy selects may ask for (see {@link DnsQueryNames}). An
 * empty list allows no name at all.
 */
public record PortRule(int port, Protocol protocol, List<FqdnSelector> dns) {
    public static final PortRule ANY = new PortRule(0, Protocol.ANY);
    /** The only port DNS rules on queries apply to. */
    public static final int DNS_PORT = 53;

    public PortRule {
        Objects.requireNonNull(protocol, "protocol");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 0..65535");
        }
        if (protocol == Protocol.ICMP && port != 0) {
            throw new IllegalArgumentException("ICMP has no ports; leave port out");
        }
        if (dns != null) {
            if (port != DNS_PORT || (protocol != Protocol.UDP && protocol != Protocol.ANY)) {
                throw new IllegalArgumentException("dns rules apply to port 53 with protocol UDP or ANY only");
            }
            dns = List.copyOf(dns);
            dns.forEach(DnsQueryNames::check);
        }
    }

    /** A port without DNS rules. */
    public PortRule(int port, Protocol protocol) {
        this(port, protocol, null);
    }
}
