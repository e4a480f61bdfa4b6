package io.kiln.agent.source;

import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.ServiceSpec;
import io.kiln.agent.spec.SpecError;

import java.util.List;
import java.util.Objects;

/**
 * Everything one source knows now: its specs and the errors it found reading them. A source sends
 * a whole snapshot on every change, never a delta, so a lost or repeated snapshot does no harm.
 * A source keeps the last good version of a spec it can no longer read (and says so in its error),
 * so that a typo does not remove what runs.
 *
 * @param source the source's name, unique among the agent's sources ({@code directory}, {@code api}, {@code kubernetes})
 */
public record SourceSnapshot(String source, List<EndpointSpec> endpoints, List<PolicySpec> policies,
                             List<ServiceSpec> services, List<SpecError> errors) {
    public SourceSnapshot {
        Objects.requireNonNull(source, "source");
        endpoints = List.copyOf(endpoints);
        policies = List.copyOf(policies);
        services = List.copyOf(services);
        errors = List.copyOf(errors);
    }

    public static SourceSnapshot empty(String source) {
        return new SourceSnapshot(source, List.of(), List.of(), List.of(), List.of());
    }
}
