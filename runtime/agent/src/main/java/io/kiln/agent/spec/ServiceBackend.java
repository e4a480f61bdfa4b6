package io.kiln.agent.spec;

import java.net.InetAddress;
import java.util.Objects;

/** One backend of a service: where traffic for the service's address and port goes. */
public record ServiceBackend(InetAddress address, int port) {
    public ServiceBackend {
        Objects.requireNonNull(address, "address");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 1..65535");
        }
    }
}
