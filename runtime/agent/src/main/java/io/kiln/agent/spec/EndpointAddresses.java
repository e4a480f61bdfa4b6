package io.kiln.agent.spec;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** An endpoint's own addresses: IPv4 always, IPv6 optionally (null when absent). */
public record EndpointAddresses(Inet4Address ipv4, Inet6Address ipv6) {
    public EndpointAddresses {
        Objects.requireNonNull(ipv4, "ipv4");
    }

    public List<InetAddress> all() {
        List<InetAddress> out = new ArrayList<>(List.of(ipv4));
        if (ipv6 != null) {
            out.add(ipv6);
        }
        return out;
    }
}
