package io.kiln.agent.spec;

import java.util.Objects;

/**
 * A port a policy rule allows or denies: {@code port} 0 means every port of the protocol;
 * {@link Protocol#ANY} means TCP and UDP for a given port, and every protocol for port 0.
 * ICMP has no ports: its port is always 0.
 */
public record PortRule(int port, Protocol protocol) {
    public static final PortRule ANY = new PortRule(0, Protocol.ANY);

    public PortRule {
        Objects.requireNonNull(protocol, "protocol");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 0..65535");
        }
        if (protocol == Protocol.ICMP && port != 0) {
            throw new IllegalArgumentException("ICMP has no ports; leave port out");
        }
    }
}
