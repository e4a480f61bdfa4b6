package io.kiln.agent.spec;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * A load-balanced service: packets an endpoint sends to {@code vip:port} over {@code protocol}
 * go to one of the backends, chosen per flow. Backends have the VIP's address family.
 *
 * @param protocol TCP or UDP
 */
public record ServiceSpec(String name, InetAddress vip, int port, Protocol protocol, List<ServiceBackend> backends,
                          Origin origin) implements Spec {
    public ServiceSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(vip, "vip");
        if (protocol != Protocol.TCP && protocol != Protocol.UDP) {
            throw new IllegalArgumentException("a service is TCP or UDP, not " + protocol);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 1..65535");
        }
        backends = List.copyOf(backends);
        Objects.requireNonNull(origin, "origin");
    }

    public ServiceSpec withOrigin(Origin o) {
        return new ServiceSpec(name, vip, port, protocol, backends, o);
    }

    @Override
    public SpecKind kind() {
        return SpecKind.SERVICE;
    }

    @Override
    public String key() {
        return name;
    }
}
