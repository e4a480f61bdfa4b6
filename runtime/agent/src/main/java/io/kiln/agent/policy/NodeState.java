package io.kiln.agent.policy;

import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.Cidr;

import java.net.InetAddress;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The content of the node-wide maps the agent owns.
 *
 * @param ipcache        prefix to identity: each endpoint's /32 (and /128), the node's own addresses
 *                       (identity 1), and each CIDR named in a policy rule (a CIDR identity)
 * @param services       the services map
 * @param backends       the backends map
 * @param localEndpoints endpoint address to what local delivery needs
 */
public record NodeState(SortedMap<Cidr, Integer> ipcache, SortedMap<ServiceKey, ServiceValue> services,
                        SortedMap<BackendKey, BackendValue> backends,
                        SortedMap<InetAddress, LocalEndpoint> localEndpoints) {
    public static final NodeState EMPTY = new NodeState(new TreeMap<>(), new TreeMap<>(), new TreeMap<>(),
            new TreeMap<>(AddressLiterals.ORDER));

    public NodeState {
        ipcache = Collections.unmodifiableSortedMap(new TreeMap<>(ipcache));
        services = Collections.unmodifiableSortedMap(new TreeMap<>(services));
        backends = Collections.unmodifiableSortedMap(new TreeMap<>(backends));
        SortedMap<InetAddress, LocalEndpoint> l = new TreeMap<>(AddressLiterals.ORDER);
        l.putAll(localEndpoints);
        localEndpoints = Collections.unmodifiableSortedMap(l);
    }
}
