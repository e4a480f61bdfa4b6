package io.kiln.agent.policy;

import java.util.Locale;

/** The node-wide maps the agent writes, by the names the endpoint template gives them. */
public enum NodeMap {
    /** {@code ipcache} (IPv4) and {@code ipcache6} (IPv6): prefix to identity. */
    IPCACHE,
    /** {@code services}: {vip, port, proto} to {service id, backend count}. */
    SERVICES,
    /** {@code backends}: {service id, slot} to {address, port}. */
    BACKENDS,
    /** {@code endpoints} (IPv4) and {@code endpoints6} (IPv6): address to local delivery info. */
    ENDPOINTS;

    public String mapName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
