package io.kiln.agent.api;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code GET /metrics} shows. The reconciler provides regeneration figures; the dataplane
 * side adds cache, clang and drop counters ({@link AgentMetrics} names them); {@link #of} joins
 * several providers.
 */
@FunctionalInterface
public interface MetricsProvider {

    List<MetricFamily> metrics();

    static MetricsProvider of(List<MetricsProvider> providers) {
        List<MetricsProvider> copy = List.copyOf(providers);
        return () -> {
            List<MetricFamily> out = new ArrayList<>();
            copy.forEach(p -> out.addAll(p.metrics()));
            return out;
        };
    }
}
