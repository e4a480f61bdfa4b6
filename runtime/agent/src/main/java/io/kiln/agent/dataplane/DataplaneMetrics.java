package io.kiln.agent.dataplane;

import io.kiln.agent.api.AgentMetrics;
import io.kiln.agent.api.LatencyHistogram;
import io.kiln.agent.api.MetricFamily;
import io.kiln.agent.api.MetricsProvider;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The dataplane's figures for {@code /metrics}: object cache hits and misses and clang runs, the
 * time of each regeneration phase, and every attached endpoint's drops per template, direction and
 * reason, summed over CPUs from each template's reason counter map (reasons by the names its
 * descriptor declares).
 */
final class DataplaneMetrics implements MetricsProvider {
    private final ObjectSources objects;
    private final Supplier<List<ReasonCounters>> counters;
    private final Supplier<MetricFamily> chains;
    private final LatencyHistogram phases;

    DataplaneMetrics(ObjectSources objects, Supplier<List<ReasonCounters>> counters, Supplier<MetricFamily> chains,
                     LatencyHistogram phases) {
        this.objects = objects;
        this.counters = counters;
        this.chains = chains;
        this.phases = phases;
    }

    @Override
    public List<MetricFamily> metrics() {
        List<MetricFamily> out = new ArrayList<>(AgentMetrics.cache(objects.hits(), objects.misses(), objects.clangRuns(),
                objects.memoHits()));
        out.add(phases.family());
        out.addAll(AgentMetrics.drops(drops()));
        out.add(chains.get());
        return out;
    }

    /** Every non-zero drop counter of every template of every attached endpoint. */
    List<AgentMetrics.Drop> drops() {
        List<AgentMetrics.Drop> out = new ArrayList<>();
        for (ReasonCounters c : counters.get()) {
            out.addAll(c.read());
        }
        return out;
    }
}
