package io.kiln.agent.plan;

import io.kiln.agent.policy.NodeState;
import io.kiln.agent.spec.SpecError;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What the node should run, computed from one {@link io.kiln.agent.spec.DesiredState}: every
 * endpoint that can run with its plan, the node maps, and every spec that could not be used.
 * An endpoint whose new spec is bad but whose previous one was good keeps its previous plan here
 * (and has an error with {@code previousKept}); an endpoint with only bad specs is absent and
 * listed in {@link #held}: the reconciler leaves whatever runs for it alone rather than remove it.
 *
 * @param held     ids of endpoints a source still lists but that have no usable spec
 * @param complete false when some endpoint spec could not even be read far enough to know its id
 *                 (a file that is not YAML): an endpoint running from before the agent started and
 *                 absent from this plan may be that one, so it is not removed yet
 */
public record Plan(SortedMap<Integer, EndpointPlan> endpoints, NodeState node, List<SpecError> errors,
                   java.util.SortedSet<Integer> held, boolean complete, Instant computedAt) {
    public static final Plan EMPTY = new Plan(new TreeMap<>(), NodeState.EMPTY, List.of(), new java.util.TreeSet<>(),
            true, Instant.EPOCH);

    public Plan {
        endpoints = Collections.unmodifiableSortedMap(new TreeMap<>(endpoints));
        errors = List.copyOf(errors);
        held = Collections.unmodifiableSortedSet(new java.util.TreeSet<>(held));
    }
}
