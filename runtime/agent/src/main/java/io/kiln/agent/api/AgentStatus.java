package io.kiln.agent.api;

import io.kiln.agent.spec.SpecError;

import java.time.Instant;
import java.util.List;

/**
 * The agent as {@code GET /v1/status} shows it.
 *
 * @param synced      true once every source has reported and a plan was made; until then nothing is changed
 * @param total       endpoints known (wanted or running)
 * @param ready       endpoints ready: with {@code total}, the progress of a first start
 * @param node        the node maps: {@code READY} or {@code NOT_READY} with a reason
 * @param nodeReason  why the node maps are not ready, or null
 * @param errors      every spec that could not be used, by source
 */
public record AgentStatus(Instant time, boolean synced, int total, int ready, List<EndpointStatus> endpoints,
                          EndpointStatus.State node, String nodeReason, List<SpecError> errors) {
    public AgentStatus {
        endpoints = List.copyOf(endpoints);
        errors = List.copyOf(errors);
    }
}
