package io.kiln.agent.api;

/** What {@code GET /v1/status} and {@code kiln status} show; the reconciler implements it. */
@FunctionalInterface
public interface StatusProvider {

    AgentStatus status();
}
