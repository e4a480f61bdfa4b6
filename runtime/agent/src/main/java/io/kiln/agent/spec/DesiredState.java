package io.kiln.agent.spec;

import java.util.Collection;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything the node should run, as the sources describe it now: endpoints by id, policies and
 * services by name. Immutable; a change is a new snapshot.
 */
public record DesiredState(SortedMap<Integer, EndpointSpec> endpoints, SortedMap<String, PolicySpec> policies,
                           SortedMap<String, ServiceSpec> services) {
    public static final DesiredState EMPTY = new DesiredState(new TreeMap<>(), new TreeMap<>(), new TreeMap<>());

    public DesiredState {
        endpoints = Collections.unmodifiableSortedMap(new TreeMap<>(endpoints));
        policies = Collections.unmodifiableSortedMap(new TreeMap<>(policies));
        services = Collections.unmodifiableSortedMap(new TreeMap<>(services));
    }

    /**
     * A snapshot of the given specs.
     *
     * @throws IllegalArgumentException when two endpoints share an id or two policies or services a name
     */
    public static DesiredState of(Collection<EndpointSpec> endpoints, Collection<PolicySpec> policies,
                                  Collection<ServiceSpec> services) {
        SortedMap<Integer, EndpointSpec> e = new TreeMap<>();
        for (EndpointSpec s : endpoints) {
            if (e.put(s.id(), s) != null) {
                throw new IllegalArgumentException("two endpoints with id " + s.id());
            }
        }
        SortedMap<String, PolicySpec> p = new TreeMap<>();
        for (PolicySpec s : policies) {
            if (p.put(s.name(), s) != null) {
                throw new IllegalArgumentException("two policies named " + s.name());
            }
        }
        SortedMap<String, ServiceSpec> v = new TreeMap<>();
        for (ServiceSpec s : services) {
            if (v.put(s.name(), s) != null) {
                throw new IllegalArgumentException("two services named " + s.name());
            }
        }
        return new DesiredState(e, p, v);
    }
}
