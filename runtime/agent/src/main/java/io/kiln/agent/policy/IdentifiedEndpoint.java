package io.kiln.agent.policy;

import io.kiln.agent.spec.Labels;

/** An endpoint as policy sees it: its labels select it, its identity names it to peers. */
public record IdentifiedEndpoint(int id, Labels labels, int identity) {
}
