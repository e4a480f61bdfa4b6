package io.kiln.agent.reconcile;

import io.kiln.agent.policy.NodeState;

import java.util.List;

/**
 * What runs at start.
 *
 * @param node the node maps as read back, or null when unknown (every wanted entry is then written)
 */
public record AdoptedState(List<ActualEndpoint> endpoints, NodeState node) {
    public static final AdoptedState NOTHING = new AdoptedState(List.of(), NodeState.EMPTY);

    public AdoptedState {
        endpoints = List.copyOf(endpoints);
    }
}
